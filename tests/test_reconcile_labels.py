"""The weekly reconciliation page in words: the roll-forward's accounts by what they hold and whose
(the ledger's name kept small beside), a refused import's fields by their names, and the workbook's
columns headed in the page's language (decision 120)."""

from __future__ import annotations

import ast
import datetime as dt
import html
import io
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from emitra.core import ledger
from emitra.core import reconcile as rec
from emitra.core.models import LSP, District, LedgerEntry
from emitra.web import labels
from emitra.web import reconcile as page

DATA = Path(__file__).parent / "data"
JVVNL = "jaipur-vidyut-vitran-nigam-ltd-jvvnl"
WEEK = "2025-11-24"


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.text))


def _roll_forward(response) -> str:
    """The roll-forward table of the page, as its HTML."""
    text = response.text[response.text.index('id="roll-forward"'):]
    return text[:text.index("</table>")]


async def _a_week_of_postings() -> int:
    """A day end's deposit in transit, a remittance to JVVNL and an LSP's share, dated in the week of
    24-11-2025; the LSP's number."""
    district = await District.get(code="JP")
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    await ledger.post(district.id, "words:1", "deposit", [ledger.debit("deposit_in_transit:JP-LM-001", 148_350),
                                                           ledger.credit("counter_cash:JP-LM-001", 148_350)])
    await ledger.post(district.id, "words:2", "remit", [ledger.debit(f"dept_payable:{JVVNL}", 50_000), ledger.credit("society_bank", 50_000)])
    await ledger.post(district.id, "words:3", "share", [ledger.debit(f"lsp_fee_payable:{lsp.id}", 1_000), ledger.credit("society_fee_income", 1_000)])
    moment = dt.datetime(2025, 11, 25, 11, tzinfo=ZoneInfo("Asia/Kolkata"))
    await LedgerEntry.filter(idempotency_key__startswith="words:").update(created_at=moment)
    return lsp.id


def test_the_roll_forward_names_each_account_in_words_with_its_ledger_name_small(web):
    """It printed `society_bank`, `deposit_in_transit:JP-LM-001` and `dept_payable:jaipur-vidyut-…` on
    English and Hindi pages alike; each now reads as what it holds and whose, the name kept small."""
    lsp_id = web.run(_a_week_of_postings)
    web.login("society")
    english = _roll_forward(web.get(f"/society/reconciliation?week={WEEK}&lang=en"))
    for words, account in (("Cash deposits in transit: JP-LM-001", "deposit_in_transit:JP-LM-001"),
                           ("Cash in the counter&#39;s drawer: JP-LM-001", "counter_cash:JP-LM-001"),
                           ("Society&#39;s bank account", "society_bank"),
                           ("Principal owed to the department or partner: Jaipur Vidyut Vitran Nigam Ltd (JVVNL)", f"dept_payable:{JVVNL}"),
                           ("LSP&#39;s share of service charges: Pink City e-Services Pvt Ltd", f"lsp_fee_payable:{lsp_id}"),
                           ("Society&#39;s share of service charges", "society_fee_income")):
        assert f"<td>{words}<br><small><code>{account}</code></small></td>" in english, account
    assert "<td><code>" not in english  # no account by its ledger name alone
    hindi = _roll_forward(web.get(f"/society/reconciliation?week={WEEK}&lang=hi"))
    assert "ट्रांज़िट में नकद जमा: JP-LM-001<br><small><code>deposit_in_transit:JP-LM-001</code></small>" in hindi
    assert "विभाग या भागीदार को देय मूल राशि: जयपुर विद्युत वितरण निगम लि. (JVVNL)" in hindi
    assert "सोसायटी का बैंक खाता<br>" in hindi and "Society&#39;s bank account" not in hindi


def test_every_account_of_the_money_docs_is_labelled_and_an_unknown_one_shows_its_name():
    """docs/money.md lists the accounts; each reads in words, and one no table knows shows as it is."""
    money = (Path(__file__).parents[1] / "docs" / "money.md").read_text()
    table = money[money.index("## The accounts"):money.index("`<provider>` is")]
    first_cells = re.findall(r"^\| (`[^|]+)\|", table, re.M)
    kinds = {re.sub(r":<[a-z]+>$", "", name) for cell in first_cells for name in re.findall(r"`([^`]+)`", cell)}
    assert {"society_bank", "deposit_in_transit", "escrow:card", "escrow:upi", "upi_refund_payable"} <= kinds
    assert kinds <= set(labels.ACCOUNTS), kinds - set(labels.ACCOUNTS)
    assert labels.account_label("cheques_in_clearing:JP-LM-001") == "Cheques and drafts in clearing: JP-LM-001"
    assert labels.account_label("escrow:upi") == "UPI collections not yet paid onwards"
    assert labels.account_label("gold_bars:JP") == "gold_bars:JP"


def test_a_refused_import_names_each_field_in_words(web):
    """The table of a refused import printed `date`, `debit`, `columns` and Stripe's `net` as codes,
    on the Hindi page too; each field is now named in the page's language (a Stripe key stays beside
    its name, as the file spells it)."""
    web.login("society")
    token = web.csrf("/society/reconciliation")
    bad = (DATA / "bank_bad.csv").read_bytes()
    refused = web.post("/society/reconciliation?lang=en", data={"action": "import_bank", "csrf_token": token},
                       files={"file": ("bank_bad.csv", bad, "text/csv")})
    assert refused.status_code == 400
    for field in ("Date", "Debit", "Credit", "Columns", "Balance"):
        assert f"<td>{field}</td>" in refused.text, field
    assert "<code>date</code>" not in refused.text and "<code>columns</code>" not in refused.text
    stripe = json.dumps({"data": [{"id": "txn_words", "amount": 10_000, "fee": 300, "net": 9_000, "type": "charge",
                                   "created": 1764000000, "source": "ch_1"}]}).encode()
    wrong = web.post("/society/reconciliation", data={"action": "import_stripe", "csrf_token": token},
                     files={"file": ("stripe.json", stripe, "application/json")})
    assert wrong.status_code == 400 and "<td>Net amount <small><code>net</code></small></td>" in wrong.text
    none = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token})
    assert "<td>The file</td>" in none.text
    web.get("/lang/hi?next=/")
    hindi = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": web.csrf("/society/reconciliation")},
                     files={"file": ("bank_bad.csv", bad, "text/csv")})
    assert "<td>तिथि</td>" in hindi.text and "<td>स्तंभ</td>" in hindi.text and "<td>Date</td>" not in hindi.text


def test_every_field_a_refusal_names_has_its_words():
    """Each field core/reconcile.py gives a LineError (as a literal, or through its ``bad`` helpers and
    the tuples it loops over) has a label: a new one fails here until it is labelled."""
    tree = ast.parse((Path(rec.__file__)).read_text())

    def name_of(call: ast.Call) -> str:
        return getattr(call.func, "id", "") or getattr(call.func, "attr", "")

    def field_arg(call: ast.Call) -> ast.expr | None:
        """The field of LineError(line, field, ...), bad(field, ...) or bad(line, field, ...)."""
        if name_of(call) == "LineError":
            return call.args[1] if len(call.args) > 1 else None
        if name_of(call) == "bad" and call.args:
            return call.args[1] if len(call.args) == 4 else call.args[0]
        return None

    fields: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            arg = field_arg(node)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                fields.add(arg.value)
            if name_of(node) == "append" and getattr(node.func.value, "id", "") == "problems" and node.args \
                    and isinstance(node.args[0], ast.Tuple) and isinstance(node.args[0].elts[0], ast.Constant):
                fields.add(node.args[0].elts[0].value)  # problems.append(("reference", en, hi)), each then bad(...)
        if isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple):  # for name in ("amount", "fee", "net"): bad(name, ...)
            target = node.target.elts[0] if isinstance(node.target, ast.Tuple) else node.target
            used = any(isinstance(c, ast.Call) and isinstance(field_arg(c), ast.Name) and field_arg(c).id == getattr(target, "id", None)
                       or isinstance(c, ast.Call) and name_of(c) == "append" and c.args and isinstance(c.args[0], ast.Tuple)
                       and isinstance(c.args[0].elts[0], ast.Name) and c.args[0].elts[0].id == getattr(target, "id", None)
                       for c in ast.walk(node))
            if used:
                for e in node.iter.elts:
                    first = e.elts[0] if isinstance(e, ast.Tuple) else e
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        fields.add(first.value)
    fields |= {"import", "import_id", "reason"}  # core/statement_withdraw.py's
    assert {"date", "debit", "net", "created", "columns", "header", "file", "id"} <= fields
    missing = sorted(f for f in fields if page.field_label(f) == f)
    assert not missing, missing


def test_the_workbook_is_headed_in_words_and_both_downloads_name_the_accounts(web):
    """The workbook's columns were the CSV's codes (`statement_reference`, `rolls_forward`); they are
    headed in the page's language, and both downloads name each account in words, last in its row."""
    web.run(_a_week_of_postings)
    web.login("society")
    web.get("/lang/hi?next=/")
    book = load_workbook(io.BytesIO(web.get(f"/society/reconciliation/export.xlsx?week={WEEK}").content))
    summary = [[c.value for c in r] for r in book["Summary"].iter_rows()]
    assert summary[2] == ["खाता", "प्रारंभिक शेष (₹)", "आवक (नामे) (₹)", "जावक (जमा) (₹)", "अंतिम शेष (₹)", "शेष सही आगे बढ़ा", "खाते का नाम"]
    rows = {r[0]: r for r in summary[3:] if r and r[0]}
    assert rows["society_bank"][6] == "सोसायटी का बैंक खाता"
    assert [c.value for c in next(book["Items"].iter_rows())][:2] == ["श्रेणी", "स्रोत"]
    web.get("/lang/en?next=/")
    text = web.get(f"/society/reconciliation/export.csv?week={WEEK}").text
    assert "\naccount,opening,in,out,closing,rolls_forward,account_name\n" in text  # the CSV keeps its codes, for a program
    assert "\ndeposit_in_transit:JP-LM-001,0.00,1483.50,0.00,1483.50,yes,Cash deposits in transit: JP-LM-001\n" in text


def _problems(response) -> list[str]:
    """The problems the page lists under "The report FAILED", as text."""
    text = response.text[response.text.index('<div role="alert"><p class="error">'):]
    return [re.sub(r"\s+", " ", html.unescape(li)) for li in re.findall(r'<li class="error">(.*?)</li>', text[:text.index("</ul>")])]


SAID_EN = ("Cash deposits in transit: JP-LM-001 (deposit_in_transit:JP-LM-001) does not roll forward: opening ₹0.00 + in ₹1,483.50 "
           "− out ₹0.00 ≠ closing ₹1,483.51")
SAID_HI = ("ट्रांज़िट में नकद जमा: JP-LM-001 (deposit_in_transit:JP-LM-001) आगे नहीं बढ़ता: आरंभिक ₹0.00 + आवक ₹1,483.50 "
           "− जावक ₹0.00 ≠ अंतिम ₹1,483.51")


def _one_paisa_lost(monkeypatch) -> None:
    """The books broken: the transit account of :func:`_a_week_of_postings` closes a paisa above its postings."""
    sums = rec._sums_sql

    def broken_sums(by: str, since: bool) -> str:
        sql = sums(by, since)
        broken = sql.replace('SUM(p."amount_paise") AS closing', 'SUM(p."amount_paise") + SUM(CASE WHEN p."account" = '
                             "'deposit_in_transit:JP-LM-001' THEN 1 ELSE 0 END) AS closing")
        assert broken != sql
        return broken

    monkeypatch.setattr(rec, "_sums_sql", broken_sums)


def test_an_account_that_does_not_roll_forward_is_named_in_words_on_the_page_and_by_its_key_on_the_cli(web, monkeypatch):
    """The page's failure said "account deposit_in_transit:JP-LM-001 does not roll forward" (and
    "खाता deposit_in_transit:JP-LM-001" in Hindi) though its table names the account in words; it now
    names it as the table does, the key in brackets, in the report computed for the page, in the same
    report kept and shown again in Hindi, and in a recorded run's. The CLI, the JSON and the audit log
    keep the key first."""
    web.run(_a_week_of_postings)
    _one_paisa_lost(monkeypatch)
    web.login("society")
    english = _problems(web.get(f"/society/reconciliation?week={WEEK}&lang=en"))
    said = SAID_EN
    assert said in english, english
    hindi = _problems(web.get(f"/society/reconciliation?week={WEEK}&lang=hi"))  # the report kept, shown again
    assert SAID_HI in hindi, hindi
    ran = web.post_form("/society/reconciliation?lang=en", {"action": "run", "week": WEEK})
    assert ran.status_code == 200 and "Report of the run recorded" in ran.text and said in _problems(ran)

    async def kept() -> tuple[list[str], list[str]]:
        from emitra.core.models import AuditLog, ReconciliationSnapshot
        snap = await ReconciliationSnapshot.filter(recorded=True).order_by("-id").first()
        run = await AuditLog.filter(action="reconciliation.run").order_by("-id").first()
        return [p["en"] for p in snap.report["problems"]], run.detail["problems"]

    stored, audited = web.run(kept)
    key_first = ("account deposit_in_transit:JP-LM-001 does not roll forward: opening ₹0.00 + in ₹1,483.50 − out ₹0.00 "
                 "≠ closing ₹1,483.51")
    assert stored[0] == audited[0] == key_first  # the text the CLI prints and the JSON gives, as it was


def test_a_report_kept_before_its_accounts_were_kept_names_the_account_in_words_all_the_same(web, monkeypatch):
    """A report kept before decision 132 kept only the texts of its failures, and the page showed
    "account deposit_in_transit:JP-LM-001 does not roll forward" (and "खाता deposit_in_transit:…") until
    the week was computed again; the page reads the account from the text's key now, and the kept
    report is left as it was (decision 135)."""
    from emitra.core.models import ReconciliationSnapshot

    web.run(_a_week_of_postings)
    _one_paisa_lost(monkeypatch)
    web.login("society")
    assert SAID_EN in _problems(web.get(f"/society/reconciliation?week={WEEK}&lang=en"))

    async def kept_the_old_way() -> tuple[int, list[dict[str, str]]]:  # the stored shape before decision 132: the texts only
        snap = await ReconciliationSnapshot.filter(recorded=False).order_by("-id").first()
        report = dict(snap.report)
        report["problems"] = [{"en": p["en"], "hi": p["hi"]} for p in report["problems"]]
        assert report["problems"][0]["en"].startswith("account deposit_in_transit:JP-LM-001 does not roll forward: ")
        await ReconciliationSnapshot.filter(id=snap.id).update(report=report)
        return snap.id, report["problems"]

    snap_id, old = web.run(kept_the_old_way)
    english = _problems(web.get(f"/society/reconciliation?week={WEEK}&lang=en"))
    assert SAID_EN in english and not any(p.startswith("account ") for p in english), english
    hindi = _problems(web.get(f"/society/reconciliation?week={WEEK}&lang=hi"))
    assert SAID_HI in hindi and not any(p.startswith("खाता ") for p in hindi), hindi

    async def kept() -> tuple[int, list[dict[str, str]]]:
        snap = await ReconciliationSnapshot.filter(recorded=False).order_by("-id").first()
        return snap.id, snap.report["problems"]

    assert web.run(kept) == (snap_id, old)  # shown from the same snapshot, not computed again, and not rewritten

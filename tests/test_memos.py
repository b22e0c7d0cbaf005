"""A ledger entry's memo the core writes reads in Hindi on a Hindi page (core/memos.py, decision 146):
the Society's reconciliation page showed "day end JP-JM-001 2026-11-30 slip ...", "deposit ... bank
ref ...", "settlement ..." in English on its Hindi page. The memo is stored as written; the page
reads it in Hindi, every entry ever posted too, and shows a memo it does not know as stored."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from emitra.core import bank_lines, dayend, memos
from emitra.core import reconcile as rec
from emitra.core import settlement
from emitra.core.models import DayEnd, LedgerEntry
from emitra.core.plugins import get_host

from tests.test_dayend import _close_today, _take_cash
from tests.test_reconcile import BILL, _a_week

_DEVANAGARI = re.compile("[\u0900-\u097f]")
#: what a memo names that its Hindi must name too: receipts, slips, counters, bank references (DSJP..., JP-JM-001, UTR-9), Stripe ids
_IDS = re.compile(r"[A-Z]{2,}[-A-Z0-9]*\d|\b[a-z]+_\w+")
#: the electricity bill's Hindi title (its plugin's ``title_hi``), as a Hindi memo names the service
BILL_HI = "बिजली बिल – जयपुर विद्युत वितरण निगम लि. (JVVNL)"


@pytest.mark.parametrize("memo, said", [
    ("day end JP-JM-001 2026-11-30 slip DSJP0001202611301", "दिवस-समापन JP-JM-001 2026-11-30, जमा पर्ची DSJP0001202611301"),
    ("day end JP-JM-001 2026-11-30: deposit in transit", "दिवस-समापन JP-JM-001 2026-11-30: बैंक के रास्ते में जमा राशि"),
    ("Stripe fees in the period (1 transaction)", "अवधि में Stripe के शुल्क (1 लेन-देन)"),
    ("Stripe fees in the period (12 transactions)", "अवधि में Stripe के शुल्क (12 लेन-देन)"),
    ("processor fees posted with escrow:card movements in the period", "अवधि में escrow:card की गतिविधियों के साथ दर्ज प्रोसेसर शुल्क"),
    ("deposit DSJP0001202611301 bank ref UTR-9", "जमा पर्ची DSJP0001202611301 की राशि बैंक में जमा, बैंक संदर्भ UTR-9"),
    ("wallet top-up JP-KI-001 ref NEFT42", "काउंटर JP-KI-001 का वॉलेट टॉप-अप, संदर्भ NEFT42"),
    ("refund of closed counters' wallets to LSP 3 ref NEFT43", "बंद काउंटरों के वॉलेट की राशि एलएसपी 3 को लौटाई, संदर्भ NEFT43"),
    ("wallet of closed counter JP-KI-002 to JP-KI-001", "बंद काउंटर JP-KI-002 का वॉलेट काउंटर JP-KI-001 को"),
    ("wallet of closed counter JP-KI-002 to LSP 3 (to refund)", "बंद काउंटर JP-KI-002 का वॉलेट एलएसपी 3 को (लौटाने के लिए)"),
    ("remittance to Jaipur Vidyut Vitran Nigam 2026-11-01 to 2026-11-30: 1 lines",
     "Jaipur Vidyut Vitran Nigam को प्रेषण, 2026-11-01 से 2026-11-30: 1 पंक्ति"),
    ("service charges paid by Passport Seva 2026-11-01 to 2026-11-30 bank ref UTR77",
     "Passport Seva द्वारा सेवा शुल्क का भुगतान, 2026-11-01 से 2026-11-30, बैंक संदर्भ UTR77"),
    ("settlement JP-20261130-3: 1 payment(s) by upi to LSP 3", "निपटान JP-20261130-3: 1 भुगतान, यूपीआई से, एलएसपी 3 को"),  # as written before decision 136
    ("UPI refund to the citizen of DSJP0001 ref RF1", "रसीद DSJP0001 के नागरिक को यूपीआई धनवापसी, संदर्भ RF1"),
    ("UPI refund to the citizen of DSJP0001 ref RF1 returned by the bank ref RT9",
     "रसीद DSJP0001 के नागरिक को यूपीआई धनवापसी (संदर्भ RF1) बैंक ने लौटाई, बैंक संदर्भ RT9"),
    ("gov.rj.jvvnl.bill cancelled DSJP0001", f"{BILL_HI} रद्द, रसीद DSJP0001"),
    ("gov.rj.jvvnl.bill cancelled DSJP0001: refunded to the card re_1", f"{BILL_HI} रद्द, रसीद DSJP0001: कार्ड में धनवापसी re_1"),
    ("gov.rj.jvvnl.bill cancelled DSJP0001: refund owed to the citizen's UPI account",
     f"{BILL_HI} रद्द, रसीद DSJP0001: नागरिक के यूपीआई खाते में धनवापसी देय"),
    ("card refunded DSJP0001", "कार्ड में धनवापसी, रसीद DSJP0001"),
    ("card: LSP share to acct_1 DSJP0001", "कार्ड: एलएसपी का हिस्सा acct_1 को, रसीद DSJP0001"),
    ("cheque cleared DSJP0001", "चेक समाशोधित, रसीद DSJP0001"),
    ("gov.rj.jvvnl.bill cash DSJP0001", f"{BILL_HI}: नकद से भुगतान, रसीद DSJP0001"),
    ("gov.rj.pehchan.birth_certificate upi DSJP0002", "जन्म प्रमाण पत्र – रजिस्ट्रार, जन्म-मृत्यु: यूपीआई से भुगतान, रसीद DSJP0002"),
    ("bank charges: statement line 5 of import #17 (24-11-2026): SMS alert charges",
     "बैंक शुल्क: आयात #17 की विवरण पंक्ति 5 (24-11-2026): SMS alert charges"),  # core/bank_lines.py (decision 156)
    ("bank interest: statement line 3 of import #17 (26-11-2026, ref «INT2611»): interest for the quarter",
     "बैंक ब्याज: आयात #17 की विवरण पंक्ति 3 (26-11-2026, संदर्भ «INT2611»): interest for the quarter"),
    ("bank charges of statement line 5 of import #17 (24-11-2026) reversed, the import withdrawn (file «nov (2).csv»): "
     "reverses bankcharges:JP:0123456789abcdef01234567#2",
     "बैंक शुल्क उलटा गया: आयात #17 की विवरण पंक्ति 5 (24-11-2026), आयात वापस लिया गया (फ़ाइल «nov (2).csv»); "
     "bankcharges:JP:0123456789abcdef01234567#2 को उलटता है"),  # core/bank_lines.py (decision 161)
    ("Stripe import #4 withdrawn: reverses stripe_fee:txn_1 (Stripe fee txn_1 (charge ch_1))",
     "Stripe आयात #4 वापस लिया गया: stripe_fee:txn_1 को उलटता है (Stripe शुल्क txn_1 (charge ch_1))"),
])
def test_each_memo_the_core_writes_has_its_hindi(memo, said):
    assert memos.hindi(memo) == said


def test_the_memos_written_by_the_settlement_and_a_stripe_import_read_in_hindi():
    """Written by the writers themselves, so that a memo whose words change is caught here."""
    shares = [SimpleNamespace(lines={"escrow:upi": 0}, amount_paise=100, late=late) for late in (False, True)]
    payout = settlement.Payout(1, 3, "escrow:upi", "JP-20261130-3", shares)
    assert memos.hindi(settlement._payout_entry(payout).memo) == "निपटान JP-20261130-3: 2 भुगतान, यूपीआई से, एलएसपी 3 को, 1 देर से"
    line = rec.ParsedLine(1, rec.FIRST_DATE, -49_000, "txn_p1", "", stripe={"type": "payout", "source": "po_1", "fee": 100})
    assert [memos.hindi(memo) for _, memo, _ in rec.stripe_postings(line)] == [
        "Stripe पेआउट po_1 (txn_p1) सोसायटी के बैंक खाते में", "Stripe शुल्क txn_p1 (payout po_1)"]


def test_a_bank_lines_booking_and_its_reversal_read_in_hindi_from_their_writers():
    """Written by core/bank_lines.py itself (decisions 156, 161): the booking's memo, and the memo of
    its reversal when its statement is withdrawn, naming the file withdrawn."""
    line = SimpleNamespace(line_no=5, statement_id=17, value_date=rec.FIRST_DATE, reference="INT2611")
    assert memos.hindi(f"{bank_lines.memo_of('interest', line)}: interest for the quarter") == (
        f"बैंक ब्याज: आयात #17 की विवरण पंक्ति 5 ({rec.FIRST_DATE:%d-%m-%Y}, संदर्भ «INT2611»): interest for the quarter")
    for book_as, said in (("charges", "बैंक शुल्क"), ("interest", "बैंक ब्याज")):
        booking = bank_lines.LineBooking(9, "bankcharges:JP:0123456789abcdef01234567", book_as, 5, rec.FIRST_DATE, -1770)
        memo = bank_lines.reversal_memo(booking, SimpleNamespace(id=17, filename="statement «nov».csv"))
        assert memos.hindi(memo) == (f"{said} उलटा गया: आयात #17 की विवरण पंक्ति 5 ({rec.FIRST_DATE:%d-%m-%Y}), आयात वापस लिया गया "
                                     "(फ़ाइल «statement nov.csv»); bankcharges:JP:0123456789abcdef01234567 को उलटता है")


def test_a_payments_memo_names_its_service_in_hindi_and_by_its_code_once_it_is_gone(monkeypatch):
    """A payment's or a cancellation's memo names the service by its code ("gov.rj.jvvnl.bill cash
    ..."): in Hindi it is the service's Hindi title, as the counter shows it; a service the Society's
    policy refuses is still declared, so still named; one no plugin declares any more keeps its code."""
    host = get_host()
    monkeypatch.delitem(host.registry.services, BILL)  # refused by a policy rule: declared, not offered
    assert memos.hindi(f"{BILL} cheque DSJP0001") == f"{BILL_HI}: चेक से भुगतान, रसीद DSJP0001"
    monkeypatch.delitem(host.all_declared, BILL)  # its plugin uninstalled
    assert memos.hindi(f"{BILL} cheque DSJP0001") == f"{BILL}: चेक से भुगतान, रसीद DSJP0001"
    assert memos.hindi(f"{BILL} cancelled DSJP0001") == f"{BILL} रद्द, रसीद DSJP0001"


def test_a_memo_the_core_does_not_write_is_shown_as_stored():
    for own in ("card payment ch_test1", "adjustment agreed with the bank, letter 12", "", "deposit DSJP0001"):
        assert memos.hindi(own) == own


async def test_every_memo_a_week_of_the_books_holds_reads_in_hindi(demo_db, tmp_path: Path):
    """Cash and cheque payments, cheques cleared, day ends, a deposit confirmed, Stripe's payout and
    fee: each entry's memo, as the core wrote it, has its Hindi, naming what the English names."""
    week = await _a_week(tmp_path)
    await dayend.confirm_deposit(week["actor"], await DayEnd.get(id=week["a"].id), "UTR-9", week["a"].deposit_paise)
    stored = [m for m in await LedgerEntry.all().values_list("memo", flat=True) if m != "card payment ch_test1"]
    for kind in ("day end ", "deposit ", "Stripe payout ", "Stripe fee ", "cheque cleared ", f"{BILL} cash ", f"{BILL} cheque "):
        assert any(m.startswith(kind) for m in stored), (kind, stored)
    for memo in stored:
        said = memos.hindi(memo)
        assert said != memo and _DEVANAGARI.search(said), memo
        assert set(_IDS.findall(memo)) <= set(_IDS.findall(said)), memo
    assert any(memos.hindi(m).startswith(f"{BILL_HI}: नकद से भुगतान, रसीद ") for m in stored)


async def test_the_exports_give_the_memos_as_the_page_does(demo_db, tmp_path: Path):
    """The CSV and the workbook, given the page's reading of a memo, write the ledger's memos and the
    Stripe fees' total so; the bank's and Stripe's own narrations as written; without it, as stored."""
    week = await _a_week(tmp_path)
    (start, end), district_id, counter = week["week"], week["district"].id, week["a"].counter.code

    def items(text: str) -> list[list[str]]:
        return [r for r in csv.reader(io.StringIO(text)) if len(r) == len(rec.REPORT_COLUMNS)][1:]

    english = items((await rec.export_csv(district_id, start, end))[1])
    hindi = items((await rec.export_csv(district_id, start, end, memo=memos.hindi))[1])
    assert f"day end {counter} {week['a'].business_date}: deposit in transit" in {r[12] for r in english}
    said = {r[12] for r in hindi}
    assert f"दिवस-समापन {counter} {week['a'].business_date}: बैंक के रास्ते में जमा राशि" in said
    assert "Stripe पेआउट po_test1 (txn_p1) सोसायटी के बैंक खाते में" in said and "card payment ch_test1" in said  # (not a memo the core writes)
    assert not any(m.startswith(("day end", "cheque cleared", "Stripe payout")) for m in said)
    assert "अवधि में Stripe के शुल्क (2 लेन-देन)" in {r[7] for r in hindi}
    assert [r[7] for r in hindi if r[7] and "Stripe" not in r[7]] == [r[7] for r in english if r[7] and "Stripe" not in r[7]] != []
    assert [r[:7] + r[8:12] + r[13:] for r in hindi] == [r[:7] + r[8:12] + r[13:] for r in english]
    _, book = await rec.export_xlsx(district_id, start, end, memo=memos.hindi)
    assert {r[12].value for r in list(load_workbook(io.BytesIO(book))["Items"].iter_rows())[1:]} - {None} == said - {""}


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _a_deposit_and_a_slip_in_transit(web) -> tuple[str, DayEnd, str]:
    """Two counters' day ends, the first's deposit confirmed by the bank, the other's slip not yet in
    it, and a bank statement imported: (the first's slip, the other's day end, the day)."""
    _take_cash(web, "operator1", "m-1")
    slip = _close_today(web, "operator1", "1483.50")
    _take_cash(web, "operator2", "m-2")  # its slip not yet in the bank
    other = _close_today(web, "operator2", "1483.50")
    waiting = web.run(lambda: DayEnd.get(slip_no=other).prefetch_related("counter"))
    web.login("society")
    day_end = web.run(lambda: DayEnd.get(slip_no=slip))
    web.post_form(f"/society/dayends/{day_end.id}/confirm", {"bank_reference": "UTR-9", "amount": "1483.50"}, token_from="/society/dayends")
    day = web.run(lambda: DayEnd.get(slip_no=slip)).business_date.isoformat()
    token = web.csrf("/society/reconciliation")
    web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
             files={"file": ("bank.csv", f"date,description,reference,debit,credit,balance\n{day},SMS CHARGES,,1.00,,\n".encode(), "text/csv")})
    return slip, waiting, day


def test_the_reconciliation_page_shows_the_ledgers_memos_in_hindi_on_its_hindi_page(web):
    slip, waiting, day = _a_deposit_and_a_slip_in_transit(web)
    english = _text(web.get("/society/reconciliation", params={"week": day, "lang": "en"}).text)
    assert f"deposit {slip} bank ref UTR-9" in english
    hindi = _text(web.get("/society/reconciliation", params={"week": day, "lang": "hi"}).text)
    assert f"जमा पर्ची {slip} की राशि बैंक में जमा, बैंक संदर्भ UTR-9" in hindi and "bank ref UTR-9" not in hindi
    assert f"day end {waiting.counter.code} {day}: deposit in transit" in english
    assert f"दिवस-समापन {waiting.counter.code} {day}: बैंक के रास्ते में जमा राशि" in hindi and "deposit in transit" not in hindi


def test_the_downloads_from_the_hindi_page_give_the_memos_in_hindi_and_the_english_ones_as_stored(web):
    """The CSV and the workbook downloaded from the Hindi page kept the ledger's memos in English
    (the workbook's headings were already in Hindi): they are in Hindi, as the page shows them; the
    bank's narration stays as the bank wrote it, and the English downloads keep the memos as stored."""
    slip, waiting, day = _a_deposit_and_a_slip_in_transit(web)
    deposit_en, deposit_hi = f"deposit {slip} bank ref UTR-9", f"जमा पर्ची {slip} की राशि बैंक में जमा, बैंक संदर्भ UTR-9"
    transit_en = f"day end {waiting.counter.code} {day}: deposit in transit"
    transit_hi = f"दिवस-समापन {waiting.counter.code} {day}: बैंक के रास्ते में जमा राशि"

    def ledger_cells(lang: str) -> tuple[set[str], set[str]]:
        web.get(f"/lang/{lang}?next=/")
        rows = list(csv.reader(io.StringIO(web.get(f"/society/reconciliation/export.csv?week={day}").text.lstrip("\ufeff"))))
        book = load_workbook(io.BytesIO(web.get(f"/society/reconciliation/export.xlsx?week={day}").content))
        items = [[c.value for c in r] for r in book["Items"].iter_rows()][1:]
        assert {r[7] for r in rows[2:] if len(r) > 12 and r[7]} == {r[7] for r in items if r[7]} == {"SMS CHARGES"}
        return {r[12] for r in rows[2:] if len(r) > 12 and r[12]}, {r[12] for r in items if r[12]}

    in_csv, in_book = ledger_cells("hi")
    assert {deposit_hi, transit_hi} <= in_csv and in_csv == in_book
    assert not any(deposit_en in c or "deposit in transit" in c for c in in_csv)
    in_csv, in_book = ledger_cells("en")
    assert {deposit_en, transit_en} <= in_csv and in_csv == in_book

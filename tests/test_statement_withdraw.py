"""A bank statement imported by mistake is withdrawn (core/statement_withdraw.py, decision 89): its
lines and their marks go, in one transaction with the audit record; the week is computed again; the
same file can be imported again. Refused, with nothing changed: an import a later
one left lines out as, one whose lines confirmed deposits, another district's, one withdrawn
already, a reason too short."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from emitra.core import clock, dayend, drawer_totals, ledger
from emitra.core import counter as counter_core
from emitra.core import reconcile as rec
from emitra.core import reconcile_saved as saved
from emitra.core import statement_withdraw as sw
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, Counter, DayEnd, District, LedgerEntry, StatementImport, StatementLine, User

pytestmark = pytest.mark.anyio
REASON = "The next district's statement, handed over by mistake"


def _bank(*rows: str) -> bytes:
    return ("date,description,reference,debit,credit,balance\n" + "".join(r + "\n" for r in rows)).encode()


async def _cash_day(username: str, k_number: str, key: str, today: dt.date) -> DayEnd:
    """A cash bill at the operator's counter, and the counter's day closed with the cash counted right."""
    user = await User.get(username=username)
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    await counter_core.record_cash(Actor(user), counter, citizen, "gov.rj.jvvnl.bill", {"k_number": k_number}, key)
    return await dayend.close_day(Actor(user), counter, today, (await dayend.figures(counter, today)).expected_paise)


async def _setting() -> tuple[District, Actor]:
    return await District.get(code="JP"), Actor(await User.get(username="society"), via="cli")


async def _remittance(district_id: int, key: str, day: dt.date, paise: int) -> LedgerEntry:
    await ledger.post(district_id, key, key, [ledger.debit("society_bank", paise), ledger.credit("dept_payable:test", paise)])
    await drawer_totals.redate(LedgerEntry.filter(idempotency_key=key), dt.datetime.combine(day, dt.time(12), dayend.ZoneInfo("Asia/Kolkata")))
    return await LedgerEntry.get(idempotency_key=key)


async def _nothing_changed(imp: StatementImport, lines: int, withdrawn_records: int = 0) -> None:
    fresh = await StatementImport.get(id=imp.id)
    assert fresh.withdrawn_at is None and fresh.sha256 == imp.sha256 and fresh.withdrawn_reason == ""
    assert await StatementLine.filter(statement_id=imp.id).count() == lines
    assert await AuditLog.filter(action="statement.withdrawn").count() == withdrawn_records


async def test_a_wrong_statement_is_withdrawn_with_its_marks_and_the_same_file_imports_again(demo_db):
    district, actor = await _setting()
    week = rec.week_of(clock.today() - dt.timedelta(days=7))
    entry = await _remittance(district.id, "remit:week", week[0] + dt.timedelta(days=2), 5_000)
    wednesday = (week[0] + dt.timedelta(days=2)).isoformat()
    data = _bank(f"{wednesday},NEFT CR SOMEONE,LINE-A,,50.00,1050.00", f"{wednesday},NEFT CR OTHER,LINE-B,,70.00,1120.00")
    imp = await rec.import_bank_statement(actor, district.id, data, "wrong.csv")
    report = await rec.reconcile(actor, district.id, *week)
    assert [p.ledger.key for p in report.matched] == [f"entry:{entry.id}"]
    assert (await StatementLine.get(reference="LINE-A")).matched_id == f"entry:{entry.id}"
    kept, _ = await saved.week_report(district.id, *week)  # the page's report, kept
    assert len(kept.unmatched_statement) == 1

    done = await sw.withdraw_import(actor, district.id, imp.id, REASON + ", Aadhaar 2341 2341 2346 on the cover")
    assert (done.import_id, done.lines, done.marked, done.weeks) == (imp.id, 2, 1, [week])
    assert await StatementLine.filter(statement_id=imp.id).count() == 0
    row = await StatementImport.get(id=imp.id)
    assert row.withdrawn_at is not None and row.withdrawn_by == "society" and row.lines == 2  # listed as it was imported
    assert "XXXX XXXX 2346" in row.withdrawn_reason and "2341 2341" not in row.withdrawn_reason
    record = await AuditLog.get(action="statement.withdrawn", object_id=str(imp.id))
    assert record.detail["sha256"] == imp.sha256 and record.detail["lines"] == 2 and record.detail["marked"] == 1
    assert record.detail["credits_paise"] == 12_000 and record.detail["filename"] == "wrong.csv"
    assert "XXXX XXXX 2346" in record.detail["reason"] and record.actor_name == "society"
    # the kept report is stale: computed again, without the lines; the item they took is free again
    again, snap = await saved.week_report(district.id, *week)
    assert again.matched == [] and again.unmatched_statement == [] and [i.key for i in again.unmatched_ledger] == [f"entry:{entry.id}"]
    assert snap.computed_at >= row.withdrawn_at
    # withdrawn once: a second time is refused, naming who did it
    with pytest.raises(sw.WithdrawRefused, match=f"Import #{imp.id} was already withdrawn, by society on"):
        await sw.withdraw_import(actor, district.id, imp.id, REASON)
    # the same file again (the withdrawal was the mistake): imported, and matched as before
    back = await rec.import_bank_statement(actor, district.id, data, "wrong.csv")
    assert back.id != imp.id and back.lines == 2
    assert [p.ledger.key for p in (await rec.build_report(district.id, *week)).matched] == [f"entry:{entry.id}"]


async def test_what_cannot_be_withdrawn_is_refused_and_nothing_changes(demo_db):
    district, actor = await _setting()
    monday = ["2026-11-23,BY CASH DEP,CDM1,,500.00,1500.00", "2026-11-23,UPI CR JP0001,UTR1,,10.00,1510.00"]
    first = await rec.import_bank_statement(actor, district.id, _bank(*monday), "to-monday.csv")
    # the reason is the Society's record of why: too short is refused before anything is looked at
    for reason in ("", "   ", "mistake"):
        with pytest.raises(sw.WithdrawRefused) as caught:
            await sw.withdraw_import(actor, district.id, first.id, reason)
        assert caught.value.field == "reason" and "at least 10 characters" in caught.value.message_en and caught.value.message_hi
    # another district's import, or a number no import has
    other = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    for district_id, import_id in ((other.id, first.id), (district.id, 99_999), (district.id, 0), (district.id, 2**40)):
        with pytest.raises(sw.WithdrawRefused, match=f"There is no statement import #{import_id} in this district"):
            await sw.withdraw_import(actor, district_id, import_id, REASON)
    # a later "statement to date" left out lines as this one's: withdrawn alone, they would be lost
    second = await rec.import_bank_statement(actor, district.id, _bank(*monday, "2026-11-24,SMS CHARGES,,17.70,,1492.30"), "to-tuesday.csv")
    with pytest.raises(sw.WithdrawRefused, match=f"Later imports left out lines as import #{first.id}'s: #{second.id} \\(2 lines\\)") as caught:
        await sw.withdraw_import(actor, district.id, first.id, REASON)
    assert f"#{second.id}" in caught.value.message_hi
    await _nothing_changed(first, 2)
    # in the order the message gives, both go, and the later file brings all its lines back
    await sw.withdraw_import(actor, district.id, second.id, REASON)
    await sw.withdraw_import(actor, district.id, first.id, REASON)
    again = await rec.import_bank_statement(actor, district.id, _bank(*monday, "2026-11-24,SMS CHARGES,,17.70,,1492.30"), "to-tuesday.csv")
    assert again.lines == 3 and again.left_out == {}
    # a Stripe file can be withdrawn (decision 98, tests/test_stripe_withdraw.py), with the same refusals: a short
    # reason, another district's; refused, nothing is reversed either
    stripe = {"object": "list", "data": [{"id": "txn_w1", "amount": 10_000, "fee": 300, "net": 9_700, "type": "charge",
                                          "created": 1764000000, "source": "ch_w1"}]}
    card = await rec.import_stripe_transactions(actor, district.id, json.dumps(stripe).encode(), "stripe.json")
    with pytest.raises(sw.WithdrawRefused, match="at least 10 characters"):
        await sw.withdraw_import(actor, district.id, card.id, "mistake")
    with pytest.raises(sw.WithdrawRefused, match=f"There is no statement import #{card.id} in this district"):
        await sw.withdraw_import(actor, other.id, card.id, REASON)
    await _nothing_changed(card, 1, withdrawn_records=2)
    assert await LedgerEntry.exists(idempotency_key="stripe_fee:txn_w1")
    assert not await LedgerEntry.exists(idempotency_key="reverse:stripe_fee:txn_w1")


async def test_a_statement_whose_lines_confirmed_deposits_is_not_withdrawn(demo_db):
    """A confirmed deposit is an entry in the books: withdrawing the statement would leave it
    confirmed on a line no longer imported. Refused, naming the slip and the reference."""
    district, actor = await _setting()
    today = clock.today()
    a = await _cash_day("operator1", "210412345678", "wd-a", today)
    day = today.isoformat()
    imp = await rec.import_bank_statement(actor, district.id, _bank(f"{day},CASH DEPOSIT {a.slip_no},br 7,,{a.deposit_paise / 100:.2f},",
                                                                     f"{day},NEFT CR,,,9.00,"), "bank.csv")
    report = await rec.reconcile(actor, district.id, *rec.week_of(today), confirm_deposits=True)
    assert report.confirmed == [a.slip_no]
    with pytest.raises(sw.WithdrawRefused, match=f"Deposit slips were confirmed with lines of import #{imp.id}: {a.slip_no} \\(BR7\\)"):
        await sw.withdraw_import(actor, district.id, imp.id, REASON)
    await _nothing_changed(imp, 2)
    assert (await DayEnd.get(id=a.id)).confirmed_at is not None


async def test_a_deposit_confirmed_by_a_line_without_a_reference_keeps_its_statement(demo_db):
    district, actor = await _setting()
    today = clock.today()
    a = await _cash_day("operator1", "210412345678", "wd-b", today)
    imp = await rec.import_bank_statement(actor, district.id, _bank(f"{today.isoformat()},CASH DEPOSIT {a.slip_no},,,{a.deposit_paise / 100:.2f},"), "b.csv")
    assert (await rec.reconcile(actor, district.id, *rec.week_of(today), confirm_deposits=True)).confirmed == [a.slip_no]
    assert (await DayEnd.get(id=a.id)).bank_reference == f"STATEMENT#{imp.id}LINE2"
    with pytest.raises(sw.WithdrawRefused, match=f"{a.slip_no} \\(STATEMENT#{imp.id}LINE2\\)"):
        await sw.withdraw_import(actor, district.id, imp.id, REASON)


def test_the_society_withdraws_an_import_on_the_page_in_english_and_hindi(web):
    web.login("society")
    token = web.csrf("/society/reconciliation")
    web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
             files={"file": ("wrong.csv", _bank("2026-11-23,NEFT CR X,N1,,5.00,"), "text/csv")})
    imp = web.run(lambda: StatementImport.get(filename="wrong.csv"))
    page = web.get("/society/reconciliation")
    assert f'name="import_id" value="{imp.id}"' in page.text and f"Withdraw import #{imp.id}" in page.text
    # a refusal names the field, in the page's language, and changes nothing
    short = web.post("/society/reconciliation?lang=hi", data={"action": "withdraw", "import_id": str(imp.id), "reason": "oops",
                                                               "csrf_token": token})
    assert short.status_code == 400 and "कारण: " in short.text and "कम से कम 10 अक्षरों" in short.text
    assert "reason:" not in short.text and "<code>reason</code>" not in short.text  # the field in words, not its code
    bad = web.post("/society/reconciliation?lang=en", data={"action": "withdraw", "import_id": "../1", "reason": REASON, "csrf_token": token})
    assert bad.status_code == 400 and "Import number: Give the number of the import to withdraw" in bad.text
    forged = web.post("/society/reconciliation", data={"action": "withdraw", "import_id": str(imp.id), "reason": REASON, "csrf_token": "x"})
    assert forged.status_code == 403
    assert web.run(lambda: StatementLine.filter(statement_id=imp.id).count()) == 1
    done = web.post("/society/reconciliation?lang=en", data={"action": "withdraw", "import_id": f"#{imp.id}", "reason": REASON,
                                                              "csrf_token": token})
    assert done.status_code == 200 and f"Import #{imp.id} was withdrawn: 1 statement line deleted" in done.text
    assert "23-11-2026 – 29-11-2026" in done.text and "Run these weeks again" in done.text
    row = done.text[done.text.index(f"<s>{imp.id}</s>"):]
    assert "handed over by mistake" in row[:row.index("</tr>")] and "Withdrawn" in row[:row.index("</tr>")]
    assert web.run(lambda: StatementLine.filter(statement_id=imp.id).count()) == 0
    assert web.run(lambda: AuditLog.get(action="statement.withdrawn")).ip  # from the page: the address is kept
    web.logout()
    web.login("operator1")
    assert web.post("/society/reconciliation", data={"action": "withdraw", "import_id": str(imp.id), "reason": REASON,
                                                     "csrf_token": web.csrf("/counter/cases")}).status_code == 403

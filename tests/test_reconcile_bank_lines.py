"""A bank statement line unmatched because it is the bank's charges or its interest is booked from
the line (core/bank_lines.py, decision 156): a balanced entry of the line's amount and date, once,
in one transaction with its audit record; the next run matches the line to it. Refused, with
nothing booked: a line matched already, a credit as charges, a debit as interest, a reason too
short, another district's line. The Society admin's page (CSRF, roles, Hindi) and the command line."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emitra.core import bank_lines, clock, dayend, drawer_totals, ledger
from emitra.core import reconcile as rec
from emitra.core import statement_withdraw as sw
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, District, LedgerEntry, StatementLine, User

pytestmark = pytest.mark.anyio
EMITRA = str(Path(sys.executable).parent / "emitra")


def _bank(*rows: str) -> bytes:
    return ("date,description,reference,debit,credit,balance\n" + "".join(r + "\n" for r in rows)).encode()


async def _setting() -> tuple[District, Actor]:
    return await District.get(code="JP"), Actor(await User.get(username="society"), via="cli")


def _week() -> tuple[dt.date, dt.date]:
    return rec.week_of(clock.today() - dt.timedelta(days=7))


async def _line(reference: str = "", description: str = "") -> StatementLine:
    q = StatementLine.filter(reference=reference) if reference else StatementLine.filter(description=description)
    return await q.order_by("-id").first()


async def test_charges_and_interest_are_booked_once_and_the_next_run_matches_them(demo_db):
    district, actor = await _setting()
    start, end = _week()
    tue, thu = (start + dt.timedelta(days=1)).isoformat(), (start + dt.timedelta(days=3)).isoformat()
    await rec.import_bank_statement(actor, district.id, _bank(f"{tue},SMS ALERT CHARGES INCL GST,,17.70,,982.30",
                                                              f"{thu},INT.PD FOR QTR,INT2611,,250.00,1232.30"), "week.csv")
    before = await rec.build_report(district.id, start, end)
    assert sorted(i.amount_paise for i in before.unmatched_statement) == [-1770, 25_000]
    charges, interest = await _line(description="SMS ALERT CHARGES INCL GST"), await _line("INT2611")

    booked = await bank_lines.book_line(actor, district.id, charges.id, "charges", "SMS alert charges for the month")
    assert not booked.already and booked.amount_paise == -1770 and booked.key.startswith("bankcharges:JP:")
    paid = await bank_lines.book_line(actor, district.id, interest.id, "interest", "Savings interest for the quarter")
    assert not paid.already and paid.key.startswith("bankinterest:JP:")
    assert await ledger.balance("bank_charges") == 1770 and await ledger.balance("bank_interest") == -25_000
    assert await ledger.balance("society_bank") == 25_000 - 1770 and (await ledger.check())["balanced"]
    # dated as the line, so the week's report finds it
    entry = await LedgerEntry.get(id=booked.entry_id)
    assert rec.local_date(entry.created_at) == start + dt.timedelta(days=1)
    record = await AuditLog.get(action="statement.line_booked", object_id=str(charges.id))
    assert record.detail["key"] == booked.key and record.detail["amount_paise"] == -1770 and record.detail["reason"] == "SMS alert charges for the month"

    # a second click books nothing
    again = await bank_lines.book_line(actor, district.id, charges.id, "charges", "SMS alert charges for the month")
    assert again.already and again.entry_id == booked.entry_id
    assert await LedgerEntry.filter(idempotency_key__startswith="bankcharges:").count() == 1
    assert await AuditLog.filter(action="statement.line_booked").count() == 2

    report = await rec.reconcile(actor, district.id, start, end)
    assert report.ok and report.unmatched_statement == [] and report.unmatched_ledger == []
    assert sorted((p.kind, p.how) for p in report.matched) == [("bank_charges", "amount_date"), ("bank_interest", "reference")]
    assert (await StatementLine.get(id=charges.id)).matched_id == f"entry:{booked.entry_id}"
    assert (await StatementLine.get(id=interest.id)).matched_id == f"entry:{paid.entry_id}"


async def test_a_repeated_import_books_nothing_twice_and_matches_the_entry_booked(demo_db):
    district, actor = await _setting()
    start, end = _week()
    day = (start + dt.timedelta(days=2)).isoformat()
    data = _bank(f"{day},CASH HANDLING CHGS,,59.00,,941.00")
    first = await rec.import_bank_statement(actor, district.id, data, "a.csv")
    booked = await bank_lines.book_line(actor, district.id, (await _line(description="CASH HANDLING CHGS")).id, "charges", "Cash handling fee")
    await sw.withdraw_import(actor, district.id, first.id, "Imported before the month closed, again later")
    await rec.import_bank_statement(actor, district.id, data, "a.csv")
    line = await _line(description="CASH HANDLING CHGS")
    assert line.statement_id != first.id
    again = await bank_lines.book_line(actor, district.id, line.id, "charges", "Cash handling fee")
    assert again.already and again.key == booked.key and await ledger.balance("bank_charges") == 5_900
    report = await rec.reconcile(actor, district.id, start, end)
    assert report.ok and [p.kind for p in report.matched] == ["bank_charges"]
    assert (await StatementLine.get(id=line.id)).matched_id == f"entry:{booked.entry_id}"


async def test_two_charges_alike_are_two_bookings(demo_db):
    district, actor = await _setting()
    start, end = _week()
    day = (start + dt.timedelta(days=1)).isoformat()
    await rec.import_bank_statement(actor, district.id, _bank(f"{day},SMS CHARGES,,17.70,,", f"{day},SMS CHARGES,,17.70,,"), "two.csv")
    lines = await StatementLine.filter(description="SMS CHARGES").order_by("line_no")
    keys = {(await bank_lines.book_line(actor, district.id, line.id, "charges", "SMS alert charges")).key for line in lines}
    assert len(keys) == 2 and await ledger.balance("bank_charges") == 3540
    report = await rec.reconcile(actor, district.id, start, end)
    assert report.ok and [p.kind for p in report.matched] == ["bank_charges", "bank_charges"]


async def test_refusals_name_the_field_and_book_nothing(demo_db):
    district, actor = await _setting()
    start, end = _week()
    day = (start + dt.timedelta(days=1)).isoformat()
    await ledger.post(district.id, "remit:test", "remit:test", [ledger.debit("dept_payable:test", 5000), ledger.credit("society_bank", 5000)])
    await drawer_totals.redate(LedgerEntry.filter(idempotency_key="remit:test"), dt.datetime.combine(start + dt.timedelta(days=1), dt.time(12),
                                                                                                    dayend.ZoneInfo("Asia/Kolkata")))
    await rec.import_bank_statement(actor, district.id, _bank(f"{day},NEFT DR REMIT,REM1,50.00,,", f"{day},NEFT CR UNKNOWN,CR99,,80.00,",
                                                              f"{day},SMS CHARGES,,17.70,,"), "mixed.csv")
    await rec.reconcile(actor, district.id, start, end)
    matched, credit, debit = await _line("REM1"), await _line("CR99"), await _line(description="SMS CHARGES")
    assert matched.matched_id
    cases = [(matched.id, "charges", "Bank charges for NEFT", "line", "is matched already"),
             (credit.id, "charges", "Bank charges for NEFT", "book_as", "is a credit (money in) of ₹80.00: it cannot be the bank's charges"),
             (debit.id, "interest", "Interest for the quarter", "book_as", "is a debit (money out) of ₹17.70: it cannot be the bank's interest"),
             (debit.id, "charges", "SMS", "reason", "at least 5 characters"),
             (debit.id, "fees", "SMS alert charges", "book_as", "Choose what the line is"),
             (999_999, "charges", "SMS alert charges", "line", "No bank statement line 999999 in district JP")]
    for line_id, book_as, reason, field, words in cases:
        with pytest.raises(bank_lines.BookRefused) as caught:
            await bank_lines.book_line(actor, district.id, line_id, book_as, reason)
        assert caught.value.field == field and words in caught.value.message_en and caught.value.message_hi
    # another district's Society cannot book this district's line
    other = await District.create(code="ZZ", name_en="Test district", name_hi="परीक्षण जिला")
    with pytest.raises(bank_lines.BookRefused) as caught:
        await bank_lines.book_line(actor, other.id, debit.id, "charges", "SMS alert charges")
    assert caught.value.field == "line"
    assert await LedgerEntry.filter(idempotency_key__startswith="bank").count() == 0
    assert await AuditLog.filter(action="statement.line_booked").count() == 0


def _form(text: str, line_id: int) -> str:
    return text[text.index(f'name="line_id" value="{line_id}"') - 400:]


def test_the_society_books_a_line_from_the_page_in_english_and_hindi(web):
    start, end = rec.week_of(clock.today() - dt.timedelta(days=7))
    day = (start + dt.timedelta(days=1)).isoformat()
    web.login("society")
    token = web.csrf("/society/reconciliation")
    imported = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                        files={"file": ("b.csv", _bank(f"{day},SMS ALERT CHARGES,,17.70,,", f"{day},INT PAID,INT77,,12.00,"), "text/csv")})
    assert imported.status_code == 200
    page = web.get(f"/society/reconciliation?week={start.isoformat()}")
    charges = web.run(lambda: StatementLine.get(description="SMS ALERT CHARGES"))
    interest = web.run(lambda: StatementLine.get(reference="INT77"))
    assert 'value="book_line"' in page.text and f'name="line_id" value="{charges.id}"' in page.text
    assert "Book ₹17.70 from line 2" in page.text
    week = start.isoformat()
    # without the form's token: refused, nothing booked
    assert web.post("/society/reconciliation", data={"action": "book_line", "line_id": charges.id, "book_as": "charges",
                                                     "reason": "SMS alerts", "week": week}).status_code == 403
    wrong = web.post("/society/reconciliation", data={"action": "book_line", "line_id": interest.id, "book_as": "charges", "reason": "Charges?",
                                                      "week": week, "csrf_token": token})
    assert wrong.status_code == 400 and "Nothing was booked." in wrong.text and "Book as: " in wrong.text and "cannot be the bank&#39;s charges" in wrong.text
    hindi = web.post("/society/reconciliation?lang=hi", data={"action": "book_line", "line_id": interest.id, "book_as": "charges",
                                                              "reason": "Charges?", "week": week, "csrf_token": token, "lang": "hi"})
    assert hindi.status_code == 400 and "बैंक शुल्क नहीं हो सकता" in hindi.text
    done = web.post("/society/reconciliation?lang=en", data={"action": "book_line", "line_id": charges.id, "book_as": "charges",
                                                     "reason": "SMS alert charges", "week": week, "csrf_token": token})
    assert done.status_code == 200 and "Line 2 of import" in done.text and "was booked as bank charges: ₹17.70" in done.text
    twice = web.post("/society/reconciliation?lang=en", data={"action": "book_line", "line_id": charges.id, "book_as": "charges",
                                                      "reason": "SMS alert charges", "week": week, "csrf_token": token})
    assert twice.status_code == 200 and "was booked already" in twice.text and "nothing was booked again" in twice.text
    assert web.run(lambda: LedgerEntry.filter(idempotency_key__startswith="bankcharges:").count()) == 1
    # the page of the week no longer lists the line as unmatched once run again
    run = web.post("/society/reconciliation?lang=en", data={"action": "run", "week": week, "csrf_token": token})
    assert run.status_code == 200 and f'name="line_id" value="{charges.id}"' not in run.text and "Bank charges" in run.text
    assert f'name="line_id" value="{interest.id}"' in run.text
    hindi_page = web.get(f"/society/reconciliation?week={week}&lang=hi")
    assert "बैंक शुल्क: आयात #" in hindi_page.text and "SMS alert charges" in hindi_page.text
    web.logout()
    web.login("operator1")
    assert web.post("/society/reconciliation", data={"action": "book_line", "line_id": interest.id, "book_as": "interest",
                                                     "reason": "Interest paid"}).status_code == 403
    assert web.run(lambda: LedgerEntry.filter(idempotency_key__startswith="bankinterest:").count()) == 0


def _cli(*args, env):
    return subprocess.run([EMITRA, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


def test_the_command_line_books_a_line(tmp_path):
    env = {"EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}
    assert _cli("db", "migrate", env=env).returncode == 0
    assert _cli("demo", env=env).returncode == 0
    start, _end = rec.week_of(clock.today() - dt.timedelta(days=7))
    (tmp_path / "b.csv").write_bytes(_bank(f"{start.isoformat()},SMS CHARGES,,17.70,,"))
    imported = _cli("reconcile", "import-bank", str(tmp_path / "b.csv"), "--district", "JP", "--as", "society", env=env)
    assert imported.returncode == 0, imported.stderr
    number = re.search(r"import #(\d+)", imported.stdout).group(1)
    base = ("reconcile", "book-line", number, "2", "--district", "JP", "--as", "society", "--reason", "SMS alert charges")
    wrong = _cli(*base, "--book-as", "interest", env=env)
    assert wrong.returncode == 2 and "Invalid value for --book-as" in wrong.stderr and "cannot be the bank's interest" in wrong.stderr
    done = _cli(*base, "--book-as", "charges", env=env)
    assert done.returncode == 0 and f"booked line 2 of import #{number} as bank charges: ₹17.70" in done.stdout, done.stderr
    assert f"emitra reconcile run --district JP --week {start.isoformat()}" in done.stdout
    again = _cli(*base, "--book-as", "charges", env=env)
    assert again.returncode == 0 and "booked already" in again.stdout
    missing = _cli("reconcile", "book-line", number, "9", "--book-as", "charges", "--district", "JP", "--as", "society", "--reason", "SMS charges", env=env)
    assert missing.returncode == 1 and "has no line 9" in missing.stderr
    checked = _cli("ledger", "check", env=env)
    assert checked.returncode == 0 and checked.stdout.startswith("balanced:"), checked.stdout

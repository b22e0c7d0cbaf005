"""A bank statement line unmatched because it is the bank's charges or its interest is booked from
the line (core/bank_lines.py, decision 156): a balanced entry of the line's amount and date, once,
in one transaction with its audit record; the next run matches the line to it. Refused, with
nothing booked: a line matched already, a credit as charges, a debit as interest, a reason too
short, another district's line. The Society admin's page (CSRF, roles, Hindi) and the command line.
Its statement withdrawn only with its bookings reversed, when asked (decision 161); the line then
imported again is booked again, once."""

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


REASON = "Imported into the wrong district by mistake"


async def _balances() -> dict[str, int]:
    return {a: await ledger.balance(a) for a in ("society_bank", "bank_charges", "bank_interest")}


async def test_a_statement_with_bookings_is_withdrawn_only_with_them_reversed(demo_db):
    """Decision 161: withdrawing a bank statement whose lines were booked as the bank's charges or
    interest is refused, naming each booking, until the user asks for them to be reversed too; then
    each is reversed in the same step, dated today, its memo naming the file, audited, the books
    balanced and back to what they were, and no week's report left with the entries unmatched."""
    district, actor = await _setting()
    start, end = _week()
    tue, thu = (start + dt.timedelta(days=1)).isoformat(), (start + dt.timedelta(days=3)).isoformat()
    before = await _balances()
    imp = await rec.import_bank_statement(actor, district.id, _bank(f"{tue},SMS ALERT CHARGES,,17.70,,982.30",
                                                                    f"{thu},INT.PD FOR QTR,INT2611,,250.00,1232.30"), "nov-statement.csv")
    charges = await bank_lines.book_line(actor, district.id, (await _line(description="SMS ALERT CHARGES")).id, "charges", "SMS alert charges")
    interest = await bank_lines.book_line(actor, district.id, (await _line("INT2611")).id, "interest", "Interest for the quarter")
    assert (await rec.reconcile(actor, district.id, start, end)).ok
    booked = await _balances()
    entries = await LedgerEntry.all().count()

    with pytest.raises(sw.WithdrawRefused) as caught:
        await sw.withdraw_import(actor, district.id, imp.id, REASON)
    refused = caught.value
    assert refused.field == "reverse_bookings" and refused.bookings == 2
    for words in (f"line 2 ({start + dt.timedelta(days=1):%d-%m-%Y}, bank charges ₹17.70, entry {charges.key})",
                  f"line 3 ({start + dt.timedelta(days=3):%d-%m-%Y}, bank interest ₹250.00, entry {interest.key})",
                  "nothing was withdrawn", '"Also reverse its 2 bookings"', "--reverse-bookings"):
        assert words in refused.message_en, words
    assert charges.key in refused.message_hi and "इसकी 2 दर्ज प्रविष्टियाँ भी उलटें" in refused.message_hi
    # nothing changed
    assert (await rec.StatementImport.get(id=imp.id)).withdrawn_at is None
    assert await StatementLine.filter(statement_id=imp.id).count() == 2
    assert await LedgerEntry.all().count() == entries and await _balances() == booked
    assert not await AuditLog.filter(action="statement.withdrawn").exists()

    done = await sw.withdraw_import(actor, district.id, imp.id, REASON, reverse_bookings=True)
    assert [(b.key, b.line_no, b.amount_paise) for b in done.bookings] == [(charges.key, 2, -1770), (interest.key, 3, 25_000)]
    assert await _balances() == before and (await ledger.check())["balanced"]
    for b in (charges, interest):
        reversal = await LedgerEntry.get(idempotency_key=ledger.reversal_key(b.key))
        assert rec.local_date(reversal.created_at) == clock.today()
        assert f"of import #{imp.id}" in reversal.memo and "«nov-statement.csv»" in reversal.memo and reversal.memo.endswith(f"reverses {b.key}")
    record = await AuditLog.get(action="statement.withdrawn", object_id=str(imp.id))
    assert [(r["key"], r["reversal_key"], r["line_no"]) for r in record.detail["bookings_reversed"]] == [
        (charges.key, ledger.reversal_key(charges.key), 2), (interest.key, ledger.reversal_key(interest.key), 3)]
    # the week booked and the week of the reversals: the bookings and their reversals are nobody's items
    for week in (_week(), rec.week_of(clock.today())):
        report = await rec.build_report(district.id, *week)
        assert not [i for i in report.unmatched_ledger if i.kind in ("bank_charges", "bank_interest")], week
    # asked again: withdrawn already, nothing reversed twice
    with pytest.raises(sw.WithdrawRefused):
        await sw.withdraw_import(actor, district.id, imp.id, REASON, reverse_bookings=True)
    assert await _balances() == before


async def test_the_same_line_imported_again_is_booked_again_once(demo_db):
    """Its booking reversed with its statement, the same bank line imported again is booked again
    (under the key's next generation), once; withdrawn and imported again, once more."""
    district, actor = await _setting()
    start, end = _week()
    data = _bank(f"{(start + dt.timedelta(days=2)).isoformat()},CASH HANDLING CHGS,,59.00,,941.00")
    first = await rec.import_bank_statement(actor, district.id, data, "a.csv")
    booked = await bank_lines.book_line(actor, district.id, (await _line(description="CASH HANDLING CHGS")).id, "charges", "Cash handling fee")
    await sw.withdraw_import(actor, district.id, first.id, REASON, reverse_bookings=True)
    assert await ledger.balance("bank_charges") == 0
    second = await rec.import_bank_statement(actor, district.id, data, "a.csv")
    line = await _line(description="CASH HANDLING CHGS")
    assert line.statement_id == second.id
    assert [i.amount_paise for i in (await rec.build_report(district.id, start, end)).unmatched_statement] == [-5_900]
    again = await bank_lines.book_line(actor, district.id, line.id, "charges", "Cash handling fee")
    assert not again.already and again.key == f"{booked.key}#2" and await ledger.balance("bank_charges") == 5_900
    twice = await bank_lines.book_line(actor, district.id, line.id, "charges", "Cash handling fee")
    assert twice.already and twice.entry_id == again.entry_id and await ledger.balance("bank_charges") == 5_900
    report = await rec.reconcile(actor, district.id, start, end)
    assert report.ok and [p.kind for p in report.matched] == ["bank_charges"] and report.unmatched_ledger == []
    assert (await StatementLine.get(id=line.id)).matched_id == f"entry:{again.entry_id}"
    # the second generation is found and reversed with its statement too; a third import books a third
    with pytest.raises(sw.WithdrawRefused) as caught:
        await sw.withdraw_import(actor, district.id, second.id, REASON)
    assert again.key in caught.value.message_en
    done = await sw.withdraw_import(actor, district.id, second.id, REASON, reverse_bookings=True)
    assert [b.key for b in done.bookings] == [again.key] and await ledger.balance("bank_charges") == 0
    await rec.import_bank_statement(actor, district.id, data, "a.csv")
    third = await bank_lines.book_line(actor, district.id, (await _line(description="CASH HANDLING CHGS")).id, "charges", "Cash handling fee")
    assert third.key == f"{booked.key}#3" and await ledger.balance("bank_charges") == 5_900 and (await ledger.check())["balanced"]


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


def _imported_on_the_page(web, name: str, *rows: str) -> tuple[dt.date, str]:
    """Signed in as the Society admin, a bank statement of last week's Tuesday (``{day}``) imported
    from the page: the week's Monday and the form's token."""
    start, _end = rec.week_of(clock.today() - dt.timedelta(days=7))
    day = (start + dt.timedelta(days=1)).isoformat()
    web.login("society")
    token = web.csrf("/society/reconciliation")
    imported = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                        files={"file": (name, _bank(*(r.format(day=day) for r in rows)), "text/csv")})
    assert imported.status_code == 200
    return start, token


def test_the_society_books_a_line_from_the_page_in_english_and_hindi(web):
    start, token = _imported_on_the_page(web, "b.csv", "{day},SMS ALERT CHARGES,,17.70,,", "{day},INT PAID,INT77,,12.00,")
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


async def test_a_line_booked_from_a_statement_withdrawn_before_is_found_with_the_next_import_of_it(demo_db, monkeypatch):
    """A booking made from a statement withdrawn before decision 161 stayed in the books; the same
    line imported again is that booking's line (booked already), and withdrawing the new import
    names and reverses it: the bookings are found by key, not by the import they were made from."""
    district, actor = await _setting()
    start, _end = _week()
    data = _bank(f"{(start + dt.timedelta(days=2)).isoformat()},CASH HANDLING CHGS,,59.00,,941.00")
    first = await rec.import_bank_statement(actor, district.id, data, "a.csv")
    booked = await bank_lines.book_line(actor, district.id, (await _line(description="CASH HANDLING CHGS")).id, "charges", "Cash handling fee")
    with monkeypatch.context() as m:  # withdrawn as before decision 161: its bookings left
        m.setattr(bank_lines, "bookings_of", lambda imp: _none())
        await sw.withdraw_import(actor, district.id, first.id, REASON)
    second = await rec.import_bank_statement(actor, district.id, data, "a.csv")
    line = await _line(description="CASH HANDLING CHGS")
    assert (await bank_lines.book_line(actor, district.id, line.id, "charges", "Cash handling fee")).already
    with pytest.raises(sw.WithdrawRefused) as caught:
        await sw.withdraw_import(actor, district.id, second.id, REASON)
    assert booked.key in caught.value.message_en and "line 2 (" in caught.value.message_en
    done = await sw.withdraw_import(actor, district.id, second.id, REASON, reverse_bookings=True)
    assert [b.key for b in done.bookings] == [booked.key] and await ledger.balance("bank_charges") == 0


async def _none() -> list:
    return []


def test_the_page_withdraws_a_statement_with_bookings_only_when_the_box_is_ticked(web):
    start, token = _imported_on_the_page(web, "nov.csv", "{day},SMS ALERT CHARGES,,17.70,,")
    line = web.run(lambda: StatementLine.get(description="SMS ALERT CHARGES"))
    booked = web.post("/society/reconciliation?lang=en", data={"action": "book_line", "line_id": line.id, "book_as": "charges",
                                                               "reason": "SMS alert charges", "week": start.isoformat(), "csrf_token": token})
    assert booked.status_code == 200 and "was booked as bank charges" in booked.text
    key = web.run(lambda: LedgerEntry.get(idempotency_key__startswith="bankcharges:")).idempotency_key
    form = {"action": "withdraw", "import_id": str(line.statement_id), "reason": REASON, "csrf_token": token}
    page = web.get(f"/society/reconciliation?week={start.isoformat()}&lang=en")
    assert 'name="reverse_bookings" value="1"' in page.text and "Also reverse its bookings" in page.text
    refused = web.post("/society/reconciliation?lang=en", data=form)
    assert refused.status_code == 400 and "Nothing was withdrawn." in refused.text and "Also reverse its bookings: Lines of import #" in refused.text
    assert key in refused.text and "Also reverse its 1 booking" in refused.text and f'value="{REASON}"' in refused.text
    hindi = web.post("/society/reconciliation?lang=hi", data=form)
    assert hindi.status_code == 400 and "इसकी दर्ज प्रविष्टियाँ भी उलटें: आयात #" in hindi.text and key in hindi.text
    assert "इसकी 1 दर्ज प्रविष्टि भी उलटें</label>" in hindi.text
    assert web.run(lambda: rec.StatementImport.get(id=line.statement_id)).withdrawn_at is None
    assert web.post("/society/reconciliation", data={**form, "reverse_bookings": "1", "csrf_token": "x"}).status_code == 403
    done = web.post("/society/reconciliation?lang=en", data={**form, "reverse_bookings": "1"})
    assert done.status_code == 200 and "1 booking of its lines as the bank's charges or interest was reversed, dated today" in done.text
    assert f"entry {key})" in done.text
    assert web.run(lambda: ledger.balance("bank_charges")) == 0 and web.run(ledger.check)["balanced"]
    assert web.run(lambda: LedgerEntry.filter(idempotency_key=ledger.reversal_key(key)).count()) == 1


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
    # the statement withdrawn only with --reverse-bookings (decision 161)
    withdraw = ("reconcile", "withdraw", number, "--district", "JP", "--as", "society", "--reason", "Imported into the wrong district")
    refused = _cli(*withdraw, env=env)
    assert refused.returncode == 2 and "--reverse-bookings" in refused.stderr and "bank charges ₹17.70, entry bankcharges:JP:" in refused.stderr
    withdrawn = _cli(*withdraw, "--reverse-bookings", env=env)
    assert withdrawn.returncode == 0 and "reversed the booking of line 2" in withdrawn.stdout, withdrawn.stderr
    checked = _cli("ledger", "check", env=env)
    assert checked.returncode == 0 and checked.stdout.startswith("balanced:"), checked.stdout

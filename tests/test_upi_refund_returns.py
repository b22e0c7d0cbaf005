"""A UPI refund transfer the citizen's bank sends back, and refunds owed too long (decision 75).

Before, a transfer recorded with ``emitra upi-refunds pay`` that bounced (the citizen's account
closed, a wrong account) could only be undone by a hand-written entry, and nothing showed how long a
refund had been owed. Now the return is recorded once by its own bank reference, the refund is owed
again and back on the Society's list with a note, the citizen is told to bring the right account,
the weekly reconciliation pairs the return credit; each refund owed shows its age and is overdue
after EMITRA_UPI_REFUND_DUE_DAYS working days, which ``emitra ledger check`` counts."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_cancel_upi import MOBILE, REFUND, _book_by_upi, _booked, _cancel_all, _entry_lines, _society, bus  # noqa: E402,F401

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import holidays, ledger, reconcile, upi_refunds  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.dayend import MoneyError  # noqa: E402
from emitra.core.models import AuditLog, District, LedgerEntry, Notification, Payment, ServiceRequest, StatementLine, User  # noqa: E402


async def _sent(reference="IMPS61", key="bus-upi", utr="UTR600100200300"):
    actor, counter, req, _ = await _book_by_upi(key, utr)
    await counter_core.cancel(actor, counter, req)
    await upi_refunds.pay(await _society(), req.receipt_no, reference)
    return counter, req


async def _refund(req) -> Payment:
    return await Payment.get(request_id=req.id, method="upi_refund")


@pytest.mark.anyio
async def test_a_returned_transfer_is_owed_again_told_to_the_citizen_and_recorded_once(demo_db, bus):
    counter, req = await _sent()
    owed_account = f"upi_refund_payable:{req.receipt_no}"
    escrow = await ledger.balance("escrow:upi")
    society = await _society()
    # refused, nothing written: not the Society's admin, a transfer not recorded, more than it sent, no return reference
    with pytest.raises(MoneyError, match="Only the district Society's admin"):
        await upi_refunds.bounced(Actor(await User.get(username="lsp")), req.receipt_no, "IMPS61", "RET1")
    with pytest.raises(MoneyError, match=r"No transfer with bank reference 'IMPS99' is recorded .* \(recorded: IMPS61\)") as caught:
        await upi_refunds.bounced(society, req.receipt_no, "IMPS99", "RET1")
    assert caught.value.field == "transfer" and "हस्तांतरण" in caught.value.message_hi
    with pytest.raises(MoneyError, match="₹266.41 is more than the ₹266.40 the transfer IMPS61 sent"):
        await upi_refunds.bounced(society, req.receipt_no, "IMPS61", "RET1", REFUND + 1)
    with pytest.raises(MoneyError, match="Give the bank reference of the return"):
        await upi_refunds.bounced(society, req.receipt_no, "IMPS61", "  ")
    with pytest.raises(MoneyError, match="No cancelled UPI-paid booking"):
        await upi_refunds.bounced(society, "JP0000000000000", "IMPS61", "RET1")
    assert not await LedgerEntry.filter(idempotency_key__startswith="upirefund-return:").exists()

    back = await upi_refunds.bounced(society, req.receipt_no.lower(), "imps 61", "ret 1")
    assert (back.amount_paise, back.transfer_reference, back.return_reference, back.owed_paise, back.repeated) == \
        (REFUND, "IMPS61", "RET1", REFUND, False)
    # the reverse of the transfer: the money is back in the UPI collection account, owed to the citizen again
    assert await _entry_lines("upirefund-return:RET1") == {"escrow:upi": REFUND, owed_account: -REFUND}
    assert await ledger.balance("escrow:upi") == escrow + REFUND and await ledger.balance(owed_account) == -REFUND
    refund = await _refund(req)
    assert (refund.status, refund.reference, refund.confirmed_at) == ("pending", "", None)
    audited = await AuditLog.get(action="upi.refund_returned")
    assert audited.detail == {"via": "web", "receipt_no": req.receipt_no, "amount_paise": REFUND, "transfer": "IMPS61", "reference": "RET1",
                              "owed_after_paise": REFUND}
    told = await Notification.get(event="upi_refund_returned")
    assert told.recipient == MOBILE and "sent back the refund of Rs 266.40" in told.body_en
    assert "correct bank account details" in told.body_en and "District e-Mitra Society" in told.body_en
    assert "सही खाता विवरण" in told.body_hi and "₹266.40" in told.body_hi
    owed, _ = await upi_refunds.owed(counter.district_id)
    assert [(o.receipt_no, o.owed_paise, [(r["transfer"], r["reference"], r["amount_paise"]) for r in o.returned]) for o in owed] == \
        [(req.receipt_no, REFUND, [("IMPS61", "RET1", REFUND)])]
    checked = await ledger.check()
    assert checked["balanced"] and checked["upi_refunds_owed_paise"] == {owed_account: REFUND}

    # the same return again: nothing new; its reference for another amount or transfer, or the transfer again: refused
    again = await upi_refunds.bounced(society, req.receipt_no, "IMPS61", "RET1")
    assert again.repeated and again.amount_paise == REFUND
    with pytest.raises(MoneyError, match="Bank reference RET1 is already recorded for another return"):
        await upi_refunds.bounced(society, req.receipt_no, "IMPS61", "RET1", 100)
    with pytest.raises(MoneyError, match="already recorded as returned in full"):
        await upi_refunds.bounced(society, req.receipt_no, "IMPS61", "RET2")
    assert await LedgerEntry.filter(idempotency_key__startswith="upirefund-return:").count() == 1
    assert await AuditLog.filter(action="upi.refund_returned").count() == 1
    assert await Notification.filter(event="upi_refund_returned").count() == 1

    # the Society sends it again, to the right account: refunded, nothing owed
    sent = await upi_refunds.pay(society, req.receipt_no, "NEFT-RIGHT")
    assert sent.amount_paise == REFUND and sent.owed_paise == 0
    assert (await _refund(req)).status == "refunded"
    assert await ledger.balance("escrow:upi") == escrow and (await ledger.check())["upi_refunds_owed_paise"] == {}


@pytest.mark.anyio
async def test_part_of_a_transfer_returned_and_never_more_than_it_sent(demo_db, bus):
    actor, counter, req, _ = await _book_by_upi()
    await counter_core.cancel(actor, counter, req)
    society = await _society()
    await upi_refunds.pay(society, req.receipt_no, "NEFT-A", 10000)
    await upi_refunds.pay(society, req.receipt_no, "NEFT-B")
    part = await upi_refunds.bounced(society, req.receipt_no, "NEFT-A", "RET-A1", 4000)
    assert part.owed_paise == 4000
    with pytest.raises(MoneyError, match="₹60.01 is more than the ₹60.00 the transfer NEFT-A sent"):
        await upi_refunds.bounced(society, req.receipt_no, "NEFT-A", "RET-A2", 6001)
    rest = await upi_refunds.bounced(society, req.receipt_no, "NEFT-A", "RET-A2")
    assert (rest.amount_paise, rest.owed_paise) == (6000, 10000)
    with pytest.raises(MoneyError, match="Bank reference RET-A1 is already recorded for another return"):
        await upi_refunds.bounced(society, req.receipt_no, "NEFT-B", "RET-A1")
    assert (await _refund(req)).status == "pending"
    assert (await ledger.check())["upi_refunds_owed_paise"] == {f"upi_refund_payable:{req.receipt_no}": 10000}


@pytest.mark.anyio
async def test_the_weekly_reconciliation_pairs_the_return_credit_by_its_reference(demo_db, bus):
    """The statement of the UPI collection account: the citizen's payment in, the refund out, and
    the bank's return of it in again; the return's entry is the credit of kind upi_refund_return."""
    from emitra.core import clock

    counter, req = await _sent("IMPS7788")
    society = await _society()
    await upi_refunds.bounced(society, req.receipt_no, "IMPS7788", "RTN 5566")
    assert reconcile._bank_kind("upirefund-return:RTN5566", {"escrow:upi", f"upi_refund_payable:{req.receipt_no}"}) == \
        "upi_refund_return"
    district = await District.get(id=counter.district_id)
    day = clock.today()
    bank = ("date,description,reference,debit,credit,balance\n"
            f"{day.isoformat()},UPI CR {req.receipt_no} UTR600100200300,UTR600100200300,,306.00,\n"
            f"{day.isoformat()},IMPS DR REFUND TO CITIZEN,IMPS7788,266.40,,\n"
            f"{day.isoformat()},IMPS RETURN ACCOUNT CLOSED,RTN5566,,266.40,\n")
    await reconcile.import_bank_statement(society, district.id, bank.encode(), "bank.csv")
    start, end = reconcile.week_of(day)
    report = await reconcile.reconcile(society, district.id, start, end)
    returned = [p for p in report.matched if p.kind == "upi_refund_return"]
    assert [(p.statement.amount_paise, p.ledger.amount_paise, p.ledger.reference, p.how) for p in returned] == \
        [(REFUND, REFUND, "upirefund-return:RTN5566", "reference")]
    assert [p.kind for p in report.matched if p.statement.reference == "IMPS7788"] == ["upi_refund"]
    assert report.unmatched_statement == []
    assert not [i for i in report.unmatched_ledger if i.kind in ("upi", "upi_refund", "upi_refund_return", "other")]
    assert (await StatementLine.get(reference="RTN5566")).matched_kind == "upi_refund_return"
    from emitra.web.reconcile import KIND_LABELS
    assert str(KIND_LABELS["upi_refund_return"]) == "UPI refund returned by the citizen's bank"


CANCELLED = dt.datetime(2026, 11, 20, 4, 30, tzinfo=dt.timezone.utc)  # Friday 20-11-2026, 10:00 in Jaipur


async def _cancelled_on(req, at: dt.datetime) -> None:
    await Payment.filter(request_id=req.id, method="upi_refund").update(created_at=at)


@pytest.mark.anyio
async def test_owed_refunds_show_their_age_oldest_first_and_overdue_after_three_working_days(demo_db, bus, monkeypatch):
    actor, counter, first, _ = await _book_by_upi("bus-upi-1", "UTR600100200301")
    _, _, second, _ = await _book_by_upi("bus-upi-2", "UTR600100200302")
    await counter_core.cancel(actor, counter, first)
    await counter_core.cancel(actor, counter, second)
    await _cancelled_on(first, CANCELLED + dt.timedelta(days=1))  # Saturday
    await _cancelled_on(second, CANCELLED)  # cancelled later in the day's list, but owed longer

    # Tuesday 24-11: 4 days since the Friday, 3 working days (Sunday is not one): not yet overdue
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-24")
    owed, _ = await upi_refunds.owed(counter.district_id)
    assert [(o.receipt_no, o.days_owed, o.overdue) for o in owed] == [(second.receipt_no, 4, False), (first.receipt_no, 3, False)]
    assert (await ledger.check())["upi_refunds_overdue"] == 0
    # Wednesday 25-11: the Friday's is 4 working days old, overdue; the Saturday's is not
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-25")
    owed, _ = await upi_refunds.owed(counter.district_id)
    assert [(o.receipt_no, o.days_owed, o.overdue) for o in owed] == [(second.receipt_no, 5, True), (first.receipt_no, 4, False)]
    checked = await ledger.check()
    assert checked["balanced"] and checked["upi_refunds_overdue"] == 1  # reported; the books still balance
    # the limit is a setting
    monkeypatch.setenv("EMITRA_UPI_REFUND_DUE_DAYS", "5")
    assert not [o for o in (await upi_refunds.owed(counter.district_id))[0] if o.overdue]
    monkeypatch.setenv("EMITRA_UPI_REFUND_DUE_DAYS", "1")
    assert (await ledger.check())["upi_refunds_overdue"] == 2
    # a refund sent is no longer counted
    await upi_refunds.pay(await _society(), second.receipt_no, "IMPS-OLD")
    assert (await ledger.check())["upi_refunds_overdue"] == 1


@pytest.mark.anyio
async def test_a_public_holiday_is_not_a_working_day_for_an_owed_refund(demo_db, bus, monkeypatch, tmp_path):
    """Friday's refund is overdue on Wednesday (4 working days: Saturday, Monday, Tuesday, Wednesday)
    unless the Monday was a public holiday (EMITRA_HOLIDAYS): then 3, not yet overdue, on the list,
    the Society's panel (its bound, ``overdue_before``) and in `ledger check` alike. A holiday on a
    Sunday takes nothing more off."""
    actor, counter, first, _ = await _book_by_upi("bus-upi-1", "UTR600100200301")
    await counter_core.cancel(actor, counter, first)
    await _cancelled_on(first, CANCELLED)  # Friday 20-11
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-25")  # Wednesday
    assert [o.overdue for o in (await upi_refunds.owed(counter.district_id))[0]] == [True]

    listed = tmp_path / "holidays.txt"
    listed.write_text("# Jaipur, 2026\n2026-11-22 a Sunday: no working day anyway\n2026-11-23 Monday holiday\n", encoding="utf-8")
    monkeypatch.setenv("EMITRA_HOLIDAYS", str(listed))
    closed = await holidays.closed_days(counter.district_id)  # the state's holidays, and the district's own (none here)
    assert upi_refunds.working_days_between(dt.date(2026, 11, 20), dt.date(2026, 11, 25), closed) == 3
    owed, _ = await upi_refunds.owed(counter.district_id)
    assert [(o.days_owed, o.overdue) for o in owed] == [(5, False)]  # five calendar days, three working ones
    assert (await ledger.check())["upi_refunds_overdue"] == 0
    assert upi_refunds.overdue_before(closed) < CANCELLED  # the panel's bound: cancelled before it is overdue
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-26")  # Thursday: the fourth working day
    assert [o.overdue for o in (await upi_refunds.owed(counter.district_id))[0]] == [True]
    assert (await ledger.check())["upi_refunds_overdue"] == 1 and upi_refunds.overdue_before(closed) > CANCELLED


# --- the page (browser-free: the test client) -----------------------------------------------------------

def _books(web) -> tuple[int, int, int]:
    """Returns' entries, their audit records, and the SMSes asking citizens for the right account."""
    async def count():
        return (await LedgerEntry.filter(idempotency_key__startswith="upirefund-return:").count(),
                await AuditLog.filter(action="upi.refund_returned").count(),
                await Notification.filter(event="upi_refund_returned").count())
    return web.run(count)


def _pay(web, receipt_no: str, reference: str) -> None:
    async def go():
        await upi_refunds.pay(await _society(), receipt_no, reference)
    web.run(go)


def test_the_society_records_a_returned_transfer_on_its_page(web):
    first, second = _booked(web, "bus-upi-a", "bus-upi-b")
    _cancel_all(web, [first, second])
    _pay(web, first, "IMPS-1")
    web.login("society")
    page = web.get("/society/upi-refunds")
    assert f'action="/society/upi-refunds/{first}/bounced"' in page.text and 'name="return_reference"' in page.text
    assert 'name="transfer" value="IMPS-1"' in page.text
    assert f'id="r-{second}-days">0<' in page.text and "Days owed" in page.text
    url = f"/society/upi-refunds/{first}/bounced"
    # refused beside the form, nothing written: no return reference, more than sent, another transfer, no CSRF token
    empty = web.post_form(url, {"transfer": "IMPS-1", "return_reference": "", "return_amount": ""}, token_from="/society/upi-refunds")
    assert empty.status_code == 400 and "Bank reference of the return: type the bank reference of the credit" in empty.text
    over = web.post_form(url, {"transfer": "IMPS-1", "return_reference": "RET-1", "return_amount": "266.41"},
                         token_from="/society/upi-refunds")
    assert over.status_code == 400 and "Amount returned (₹): ₹266.41 is more than the ₹266.40 the transfer IMPS-1 sent" in over.text
    assert 'value="266.41"' in over.text
    other = web.post_form(url, {"transfer": "IMPS-9", "return_reference": "RET-1"}, token_from="/society/upi-refunds")
    assert other.status_code == 400 and "No transfer with bank reference" in other.text
    assert web.post(url, data={"transfer": "IMPS-1", "return_reference": "RET-1"}).status_code == 403
    assert _books(web) == (0, 0, 0)

    done = web.post_form(url, {"transfer": "IMPS-1", "return_reference": "ret 1", "return_amount": ""}, token_from="/society/upi-refunds")
    assert done.status_code == 303
    shown = web.get(done.headers["location"])
    assert (f"Return of ₹266.40 of transfer IMPS-1 to the citizen of {first} recorded (bank reference RET1); the citizen is asked "
            "by SMS for the right account details. Owed to them again: ₹266.40.") in shown.text
    today = web.run(_today_text)
    assert f'id="r-{first}-owed">₹266.40<' in shown.text and 'id="total-owed">₹532.80<' in shown.text
    assert f"Transfer IMPS-1 returned by the bank on {today}: check the account." in shown.text
    assert _books(web) == (1, 1, 1)
    repeat = web.post_form(url, {"transfer": "IMPS-1", "return_reference": "RET1"}, token_from="/society/upi-refunds")
    assert repeat.status_code == 400 and "a return with reference RET1 is already recorded" in repeat.text
    assert _books(web) == (1, 1, 1)
    hindi = web.get("/society/upi-refunds?lang=hi")
    assert "बैंक ने लौटाया" in hindi.text and "returned by the bank on" not in hindi.text
    web.get("/society/upi-refunds?lang=en")
    assert web.post_form("/society/upi-refunds/JP0000000000000/bounced", {"transfer": "X", "return_reference": "X1"},
                         token_from="/society/upi-refunds").status_code == 404
    assert web.run(_outbox_label) == "UPI refund returned by the bank"  # the message's event, as the Outbox names it


def test_a_transfer_of_part_of_a_refund_that_bounced_is_recorded_beside_what_is_still_owed(web):
    """A refund sent in part stays on the owed list, and its transfer may come back: the return's
    form is beside it there (it was only beside the refunds sent in full, so such a return could be
    recorded from the command line only). A refused return keeps its errors beside that form and
    leaves the transfer's form blank; once the transfer is back in full, no form is offered for it."""
    (first,) = _booked(web, "bus-upi-a")
    _cancel_all(web, [first])

    async def part():
        await upi_refunds.pay(await _society(), first, "IMPS-P1", 10_000)
    web.run(part)
    web.login("society")
    page = web.get("/society/upi-refunds")
    owed_table = page.text.split('id="owed"', 1)[1].split("</table>", 1)[0]
    assert f'id="r-{first}-owed">₹166.40<' in owed_table and f'id="r-{first}-returns"' in owed_table
    assert f'action="/society/upi-refunds/{first}/bounced"' in owed_table and 'name="transfer" value="IMPS-P1"' in owed_table
    assert "Empty for all the transfer sent (₹100.00)." in owed_table
    url = f"/society/upi-refunds/{first}/bounced"
    refused = web.post_form(url, {"transfer": "IMPS-P1", "return_reference": "", "return_amount": "40"}, token_from="/society/upi-refunds")
    assert refused.status_code == 400
    owed_table = refused.text.split('id="owed"', 1)[1].split("</table>", 1)[0]
    assert 'id="b-' + first + '-1-reference-error"' in owed_table and "Bank reference of the return: type the bank reference" in owed_table
    assert 'name="return_amount" maxlength="20" value="40"' in owed_table  # what was typed is kept
    assert f'id="r-{first}-amount" name="amount" maxlength="20" value=""' in owed_table  # the transfer's form is left alone
    assert f"{first}: Bank reference of the return" not in refused.text  # not repeated above the tables
    assert _books(web) == (0, 0, 0)
    done = web.post_form(url, {"transfer": "IMPS-P1", "return_reference": "RET-P1"}, token_from="/society/upi-refunds")
    assert done.status_code == 303
    shown = web.get(done.headers["location"])
    assert f'id="r-{first}-owed">₹266.40<' in shown.text and "Transfer IMPS-P1 returned by the bank on" in shown.text
    assert f'id="r-{first}-returns"' not in shown.text and 'name="transfer" value="IMPS-P1"' not in shown.text
    assert _books(web) == (1, 1, 1)


async def _today_text() -> str:
    from emitra.core import clock
    return clock.today().strftime("%d-%m-%Y")


async def _outbox_label() -> str:
    from emitra.web.outbox import _labels  # type: ignore[attr-defined]
    return str(_labels()["event"]["upi_refund_returned"])


@pytest.mark.parametrize("who", ["operator1", "lsp", "officer", "state"])
def test_only_the_society_admin_records_a_returned_transfer(web, who):
    first, = _booked(web, "bus-upi-roles")
    _cancel_all(web, [first])
    _pay(web, first, "IMPS-R")
    web.login(who)
    refused = web.post_form(f"/society/upi-refunds/{first}/bounced", {"transfer": "IMPS-R", "return_reference": "RET-X"},
                            token_from="/no-such-page")
    assert refused.status_code == 403 and _books(web) == (0, 0, 0)
    assert web.run(lambda: Payment.get(request__receipt_no=first, method="upi_refund")).status == "refunded"


# --- the commands -------------------------------------------------------------------------------------

def test_the_commands_record_a_return_list_it_and_ledger_check_counts_the_overdue(monkeypatch):
    import asyncio

    from click.testing import CliRunner
    from tortoise import Tortoise

    from emitra.core import db
    from emitra.core.cli import main

    conftest = next(m for name, m in sys.modules.items() if name.endswith("conftest") and hasattr(m, "_reset_and_seed"))
    DB_URL = conftest.DB_URL
    conftest._reset_and_seed()

    async def sent() -> str:
        await Tortoise.init(config=db.tortoise_config(DB_URL))
        try:
            actor, counter, req, _ = await _book_by_upi("bus-upi-cli", "UTR600100200777")
            await counter_core.cancel(actor, counter, req)
            await upi_refunds.pay(await _society(), req.receipt_no, "IMPS-C1")
            await _cancelled_on(req, CANCELLED)
            return req.receipt_no
        finally:
            await Tortoise.close_connections()

    receipt_no = asyncio.run(sent())
    monkeypatch.setenv("EMITRA_DATABASE_URL", DB_URL)
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-25")

    def emitra(*args: str):
        return CliRunner().invoke(main, list(args))

    refused = emitra("upi-refunds", "bounced", receipt_no, "--transfer", "IMPS-C9", "--return-reference", "RET-C1", "--as", "society")
    assert refused.exit_code == 1 and "Error: --transfer: No transfer with bank reference 'IMPS-C9'" in refused.output
    over = emitra("upi-refunds", "bounced", receipt_no, "--transfer", "IMPS-C1", "--return-reference", "RET-C1", "--amount", "300",
                  "--as", "society")
    assert over.exit_code == 1 and "Error: --amount: ₹300.00 is more than the ₹266.40" in over.output
    lsp = emitra("upi-refunds", "bounced", receipt_no, "--transfer", "IMPS-C1", "--return-reference", "RET-C1", "--as", "lsp")
    assert lsp.exit_code == 1 and "Only the district Society's admin" in lsp.output
    done = emitra("upi-refunds", "bounced", receipt_no, "--transfer", "imps-c1", "--return-reference", "ret-c1", "--as", "society")
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"returned: ₹266.40 of transfer IMPS-C1 to the citizen of {receipt_no} (return reference RET-C1); "
                                  "owed to them again ₹266.40")
    again = emitra("upi-refunds", "bounced", receipt_no, "--transfer", "IMPS-C1", "--return-reference", "RET-C1", "--as", "society")
    assert again.exit_code == 0 and again.output.startswith("already recorded: ₹266.40")
    listed = emitra("upi-refunds", "list")
    assert listed.exit_code == 0, listed.output
    assert f"{receipt_no}  20-11-2026  JP-LM-001  owed ₹266.40 of ₹266.40  for 5 days  OVERDUE  UTR UTR600100200777" in listed.output
    assert "transfer IMPS-C1 of ₹266.40 returned by the bank on 25-11-2026 (reference RET-C1): check the account" in listed.output
    assert "1 owed, ₹266.40 in all, 1 overdue (owed more than 3 working days)" in listed.output
    checked = emitra("ledger", "check")
    assert checked.exit_code == 0 and checked.output.startswith("balanced"), checked.output
    assert "overdue: 1 UPI refund owed to citizens for more than 3 working days (EMITRA_UPI_REFUND_DUE_DAYS)" in checked.output
    monkeypatch.setenv("EMITRA_UPI_REFUND_DUE_DAYS", "10")
    assert "overdue" not in emitra("ledger", "check").output and "OVERDUE" not in emitra("upi-refunds", "list").output

"""A bus booking paid by UPI and cancelled at the counter is not refunded from the drawer: its
refund is owed to the citizen, and the Society sends it to the citizen's UPI account by bank
transfer (decision 71). Balanced books settled or not; the transfer recorded once, never more than
owed, audited, the citizen told; the weekly reconciliation pairs the bank's debit with it; the
Society's page and command; the receipt, the API and /track say where the refund goes."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import ledger, reconcile, settlement, upi_refunds  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.dayend import MoneyError  # noqa: E402
from emitra.core.models import (AuditLog, Citizen, Counter, District, LedgerEntry, Notification, Payment, Posting,  # noqa: E402
                                RequestStatus, ServiceRequest, User)
from emitra.core.plugins import get_host  # noqa: E402

BUS = "pvt.rsrtc.bus_ticket"
PHOTOCOPY = "pvt.lsp.photocopy"
RSRTC = "dept_payable:rajasthan-state-road-transport-corporation-rsrtc"
TODAY = dt.date(2026, 11, 20)
PEOPLE = [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"}, {"name": "Sunita Sharma", "age": 44, "gender": "F"}]
TRIP = {"from": "jaipur", "to": "ajmer", "journey_date": "2026-11-23", "service_class": "ordinary", "seats": 2, "passengers": PEOPLE}
TOTAL, FARE, CHARGE = 30600, 29600, 1000  # two ordinary seats, the Rs 10 charge paid by the citizen
REFUND = FARE - FARE // 10  # cancelled more than 24 hours before departure: the fare less 10% (₹266.40)
MOBILE = "9829012345"  # Ramesh Kumar Sharma's


@pytest.fixture(autouse=True)
def bus():
    """RSRTC's sandbox with a fixed 'now' (20-11-2026 10:00), its earlier bookings forgotten."""
    booking = get_host().registry.get(BUS).booking
    saved = booking.today, booking.time_of_day
    booking.today, booking.time_of_day = TODAY, dt.time(10, 0)
    booking.reset()
    yield booking
    booking.reset()
    booking.today, booking.time_of_day = saved


async def _ctx(username="operator1"):
    user = await User.get(username=username)
    return Actor(user), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


async def _book_by_upi(key="bus-upi", utr="UTR600100200300"):
    """Two seats to Ajmer paid by UPI: the bank's confirmation (with its UTR) applied."""
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_payment(actor, counter, citizen, BUS, TRIP, key, "upi")
    payment = await Payment.get(request_id=req.id)
    await counter_core.confirm_payment(Actor(None, via="webhook"), payment, "upi", f"evt-{key}", provider_reference=utr)
    req = await ServiceRequest.get(id=req.id)
    assert req.status == RequestStatus.SUBMITTED and req.citizen_total_paise == TOTAL
    return actor, counter, req, payment


async def _entry_lines(key: str) -> dict[str, int]:
    entry = await LedgerEntry.get(idempotency_key=key)
    return dict(await Posting.filter(entry=entry).values_list("account", "amount_paise"))


def _run_time() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)


async def _society() -> Actor:
    return Actor(await User.get(username="society"))


@pytest.mark.anyio
@pytest.mark.parametrize("settled_first", [False, True], ids=["not-yet-settled", "settled-first"])
async def test_a_upi_paid_booking_is_owed_to_the_citizen_not_paid_from_the_drawer(demo_db, bus, settled_first):
    actor, counter, req, payment = await _book_by_upi()
    lsp = f"lsp_fee_payable:{counter.lsp_id}"
    owed_account = f"upi_refund_payable:{req.receipt_no}"
    drawer = await ledger.balance(f"counter_cash:{counter.code}")
    system = Actor(None, via="system")
    if settled_first:  # the LSP's share of the charge already paid out of escrow:upi
        assert [p.lines for p in (await settlement.settle(system, _run_time())).payouts] == [{lsp: CHARGE}]
    escrow = await ledger.balance("escrow:upi")

    done = await counter_core.cancel(actor, counter, req, "plans changed")
    assert done.status == RequestStatus.CANCELLED and bus.bookings[req.department_ref].cancelled
    # no cash: the drawer is untouched, and nothing leaves escrow:upi until the Society transfers it
    assert await ledger.balance(f"counter_cash:{counter.code}") == drawer
    assert await ledger.balance("escrow:upi") == escrow
    rows = await Payment.filter(request_id=req.id).order_by("id").values_list("method", "amount_paise", "status")
    assert rows == [("upi", TOTAL, "received"), ("upi_refund", -REFUND, "pending")]
    assert (await Payment.get(request_id=req.id, method="upi_refund")).details["utr"] == "UTR600100200300"
    assert await _entry_lines(f"refund:cancel:{req.receipt_no}") == {RSRTC: REFUND, owed_account: -REFUND}
    assert not await Payment.exists(method="cash_refund")
    cancelled = await AuditLog.get(action="request.cancelled", object_id=str(req.id))
    assert cancelled.detail["refund_to"] == "upi" and cancelled.detail["refund_paise"] == REFUND
    told = await Notification.get(event="upi_refund_owed")
    assert told.recipient == MOBILE and "₹266.40" in told.body_en and "UPI account" in told.body_en
    assert "₹266.40" in told.body_hi and "यूपीआई" in told.body_hi
    checked = await ledger.check()
    assert checked["balanced"], checked["problems"]
    assert checked["upi_refunds_owed_paise"] == {owed_account: REFUND}
    owed, _ = await upi_refunds.owed(counter.district_id)
    assert [(o.receipt_no, o.counter_code, o.owed_paise, o.utr) for o in owed] == [(req.receipt_no, counter.code, REFUND, "UTR600100200300")]

    if not settled_first:  # the cancel leaves the LSP's share of the charge owed: the next run pays it
        assert [p.lines for p in (await settlement.settle(system, _run_time())).payouts] == [{lsp: CHARGE}]
    assert await ledger.balance(lsp) == 0 and await ledger.balance(RSRTC) == -(FARE - REFUND)
    assert await ledger.balance("escrow:upi") == TOTAL - CHARGE
    assert (await ledger.check())["balanced"]
    # cancelling again changes nothing
    await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))
    assert await Payment.filter(request_id=req.id).count() == 2 and await Notification.filter(event="upi_refund_owed").count() == 1

    # the Society's transfer: only its admin, never more than owed, once per reference
    with pytest.raises(MoneyError, match="Only the district Society's admin"):
        await upi_refunds.pay(Actor(await User.get(username="lsp")), req.receipt_no, "IMPS1")
    with pytest.raises(MoneyError, match="₹266.41 is more than the ₹266.40 owed to the citizen"):
        await upi_refunds.pay(await _society(), req.receipt_no, "IMPS1", REFUND + 1)
    with pytest.raises(MoneyError, match="No cancelled UPI-paid booking"):
        await upi_refunds.pay(await _society(), "JP0000000000000", "IMPS1")
    sent = await upi_refunds.pay(await _society(), req.receipt_no.lower(), "imps 61")
    assert (sent.amount_paise, sent.reference, sent.owed_paise, sent.repeated) == (REFUND, "IMPS61", 0, False)
    again = await upi_refunds.pay(await _society(), req.receipt_no, "IMPS61")
    assert again.repeated and again.amount_paise == REFUND
    with pytest.raises(MoneyError, match="Nothing is owed to the citizen"):
        await upi_refunds.pay(await _society(), req.receipt_no, "IMPS62")
    assert await _entry_lines("upirefund:IMPS61") == {owed_account: REFUND, "escrow:upi": -REFUND}
    assert await LedgerEntry.filter(idempotency_key__startswith="upirefund:").count() == 1
    refund = await Payment.get(request_id=req.id, method="upi_refund")
    assert (refund.status, refund.reference) == ("refunded", "IMPS61") and refund.confirmed_at is not None
    assert await AuditLog.filter(action="upi.refund_sent").count() == 1
    told = await Notification.get(event="upi_refund_sent")
    assert told.recipient == MOBILE and "has sent ₹266.40" in told.body_en and "IMPS61" in told.body_en and "भेज दिया" in told.body_hi
    # the books: the citizen is paid back out of the UPI collection account, the partner keeps its
    # cancellation charge in escrow:upi, the service charge is kept
    assert await ledger.balance(owed_account) == 0 and await ledger.balance("escrow:upi") == TOTAL - CHARGE - REFUND
    checked = await ledger.check()
    assert checked["balanced"] and checked["upi_refunds_owed_paise"] == {}
    assert reconcile._bank_kind("upirefund:IMPS61", {owed_account, "escrow:upi"}) == "upi_refund"
    assert (await upi_refunds.owed(counter.district_id))[0] == []


@pytest.mark.anyio
async def test_a_refund_sent_in_parts_and_a_reference_used_for_another_citizen(demo_db, bus):
    actor, counter, req, _ = await _book_by_upi()
    _, _, other, _ = await _book_by_upi("bus-upi-2", "UTR600100200301")
    await counter_core.cancel(actor, counter, req)
    await counter_core.cancel(actor, counter, other)
    society = await _society()
    part = await upi_refunds.pay(society, req.receipt_no, "NEFT-A", 10000)
    assert part.owed_paise == REFUND - 10000
    assert (await Payment.get(request_id=req.id, method="upi_refund")).status == "pending"  # still owed
    with pytest.raises(MoneyError, match="Bank reference NEFT-A is already recorded for another transfer"):
        await upi_refunds.pay(society, other.receipt_no, "NEFT-A")
    with pytest.raises(MoneyError, match="already recorded for another transfer"):
        await upi_refunds.pay(society, req.receipt_no, "NEFT-A", 5000)  # the same reference, another amount
    assert (await upi_refunds.pay(society, req.receipt_no, "NEFT-B")).owed_paise == 0
    assert (await Payment.get(request_id=req.id, method="upi_refund")).status == "refunded"
    checked = await ledger.check()
    assert checked["balanced"] and checked["upi_refunds_owed_paise"] == {f"upi_refund_payable:{other.receipt_no}": REFUND}


@pytest.mark.anyio
async def test_the_weekly_reconciliation_pairs_the_banks_debit_with_the_refund_sent(demo_db, bus):
    """The bank statement of the UPI collection account shows the citizen's payment coming in and
    the Society's transfer back going out; the transfer's entry is the bank debit of kind
    upi_refund, paired by its bank reference."""
    from emitra.core import clock

    actor, counter, req, _ = await _book_by_upi()
    await counter_core.cancel(actor, counter, req)
    society = await _society()
    await upi_refunds.pay(society, req.receipt_no, "IMPS 7788")
    district = await District.get(id=counter.district_id)
    day = clock.today()
    bank = ("date,description,reference,debit,credit,balance\n"
            f"{day.isoformat()},UPI CR {req.receipt_no} UTR600100200300,UTR600100200300,,306.00,\n"
            f"{day.isoformat()},IMPS DR REFUND TO CITIZEN,IMPS7788,266.40,,\n")
    await reconcile.import_bank_statement(society, district.id, bank.encode(), "bank.csv")
    start, end = reconcile.week_of(day)
    report = await reconcile.reconcile(society, district.id, start, end)
    refunded = [p for p in report.matched if p.kind == "upi_refund"]
    assert [(p.statement.amount_paise, p.ledger.amount_paise, p.ledger.reference, p.how) for p in refunded] == \
        [(-REFUND, -REFUND, "upirefund:IMPS7788", "reference")]
    assert [p.kind for p in report.matched if p.statement.reference == "UTR600100200300"] == ["upi"]
    assert not [i for i in report.unmatched_ledger if i.kind in ("upi", "upi_refund")]
    assert report.unmatched_statement == []
    assert [i.kind for i in report.unmatched_ledger if i.kind == "other"] == []
    from emitra.core.models import StatementLine
    assert (await StatementLine.get(reference="IMPS7788")).matched_kind == "upi_refund"
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_cash_paid_cancellations_are_still_refunded_from_the_drawer(demo_db, bus):
    actor, counter, citizen = await _ctx()
    await counter_core.record_cash(actor, counter, citizen, PHOTOCOPY, {"quantity": 300}, "cash-in-drawer")
    cash = await counter_core.record_cash(actor, counter, citizen, BUS, TRIP, "bus-cash")
    drawer = await ledger.balance(f"counter_cash:{counter.code}")
    await counter_core.cancel(actor, counter, cash)
    assert await ledger.balance(f"counter_cash:{counter.code}") == drawer - REFUND
    assert await Payment.filter(request_id=cash.id).order_by("id").values_list("method", flat=True) == ["cash", "cash_refund"]
    assert await ledger.check() == {**await ledger.check(), "balanced": True, "upi_refunds_owed_paise": {}}

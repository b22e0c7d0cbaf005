"""A bus booking paid by card and cancelled at the counter is refunded to the card through Stripe
(the fake on 127.0.0.1, tests/fake_stripe.py), not from the drawer (decision 69): Stripe asked once
for exactly the partner's refund, balanced entries out of escrow:card, settled or not; Stripe down
after RSRTC cancelled leaves nothing booked and cancelling again completes it once; a booking paid
in cash is still refunded in cash (one paid by UPI: tests/test_cancel_upi.py, decision 71)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import ledger, reconcile, refunds, settlement  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.models import AuditLog, Citizen, Counter, LedgerEntry, Payment, Posting, RequestStatus, ServiceRequest, User  # noqa: E402
from emitra.core.payment_methods import card  # noqa: E402
from emitra.core.plugins import get_host  # noqa: E402

BUS = "pvt.rsrtc.bus_ticket"
PHOTOCOPY = "pvt.lsp.photocopy"
RSRTC = "dept_payable:rajasthan-state-road-transport-corporation-rsrtc"
TODAY = dt.date(2026, 11, 20)
PEOPLE = [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"}, {"name": "Sunita Sharma", "age": 44, "gender": "F"}]
TRIP = {"from": "jaipur", "to": "ajmer", "journey_date": "2026-11-23", "service_class": "ordinary", "seats": 2, "passengers": PEOPLE}
TOTAL, FARE, CHARGE = 30600, 29600, 1000  # two ordinary seats, the Rs 10 charge paid by the citizen
REFUND = FARE - FARE // 10  # cancelled more than 24 hours before departure: the fare less 10% (₹266.40)


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


async def _book_by_card(fake, key="bus-card"):
    """Two seats to Ajmer paid by card: the intent made, the citizen pays, Stripe's success applied."""
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_payment(actor, counter, citizen, BUS, TRIP, key, "card")
    payment = await Payment.get(request_id=req.id)
    assert await card.handle_event(fake.pay(payment.reference)) == "confirmed"
    req = await ServiceRequest.get(id=req.id)
    assert req.status == RequestStatus.SUBMITTED and req.citizen_total_paise == TOTAL
    return actor, counter, req, payment


def _refund_calls(fake):
    return [c[2] for c in fake.calls if c[1] == "/v1/refunds"]


async def _entry_lines(key: str) -> dict[str, int]:
    entry = await LedgerEntry.get(idempotency_key=key)
    return dict(await Posting.filter(entry=entry).values_list("account", "amount_paise"))


async def _fails(*args, **kwargs):
    raise RuntimeError("database gone")


def _run_time() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)


@pytest.mark.anyio
@pytest.mark.parametrize("settled_first", [False, True], ids=["not-yet-settled", "settled-first"])
async def test_a_card_paid_booking_is_refunded_to_the_card_not_from_the_drawer(demo_db, fake, bus, settled_first):
    actor, counter, req, payment = await _book_by_card(fake)
    lsp = f"lsp_fee_payable:{counter.lsp_id}"
    drawer = await ledger.balance(f"counter_cash:{counter.code}")
    system = Actor(None, via="system")
    if settled_first:  # the LSP's share of the charge already paid out of escrow:card
        assert [p.lines for p in (await settlement.settle(system, _run_time())).payouts] == [{lsp: CHARGE}]

    done = await counter_core.cancel(actor, counter, req, "plans changed")
    assert done.status == RequestStatus.CANCELLED and bus.bookings[req.department_ref].cancelled
    # Stripe: one partial refund of the intent, exactly the partner's refund, keyed by the receipt
    assert [(r["payment_intent"], r["amount"]) for r in fake.refunds.values()] == [(payment.reference, REFUND)]
    assert _refund_calls(fake) == [f"emitra-cancel-refund-{req.receipt_no}"]
    # the drawer pays nothing; the refund leaves escrow:card, where the citizen's money went
    assert await ledger.balance(f"counter_cash:{counter.code}") == drawer
    rows = await Payment.filter(request_id=req.id).order_by("id").values_list("method", "amount_paise", "status")
    assert rows == [("card", TOTAL, "received"), ("card_refund", -REFUND, "received")]
    refund_id = next(iter(fake.refunds))
    assert (await Payment.get(request_id=req.id, method="card_refund")).reference == refund_id
    key = f"refund:cancel:{req.receipt_no}"
    assert await _entry_lines(key) == {RSRTC: REFUND, "escrow:card": -REFUND}
    entry = await LedgerEntry.get(idempotency_key=key)
    assert entry.request_id == req.id and refund_id in entry.memo
    assert reconcile._card_kind(key, {RSRTC, "escrow:card"}, -REFUND) == "card_refund"  # the weekly reconciliation's kind
    checked = await ledger.check()
    assert checked["balanced"], checked["problems"]
    cancelled = await AuditLog.get(action="request.cancelled", object_id=str(req.id))
    assert cancelled.detail["refund_to"] == "card" and cancelled.detail["stripe_refund"] == refund_id
    assert cancelled.detail["refund_paise"] == REFUND
    actions = await AuditLog.filter(object_type="Payment", object_id=str(payment.id)).order_by("id").values_list("action", flat=True)
    assert actions[-2:] == ["card.cancel_refund_requested", "card.cancel_refund_created"]

    if not settled_first:  # the cancel leaves the LSP's share of the charge owed: the next run pays it
        assert [p.lines for p in (await settlement.settle(system, _run_time())).payouts] == [{lsp: CHARGE}]
    # settled before or after, the same books: the service charge is kept, the LSP has its share,
    # RSRTC keeps its cancellation charge and escrow:card holds what is still the Society's to pay on
    assert await ledger.balance("escrow:card") == TOTAL - CHARGE - REFUND
    assert await ledger.balance(RSRTC) == -(FARE - REFUND) and await ledger.balance(lsp) == 0
    assert (await ledger.check())["balanced"]

    # cancelling again, and Stripe's charge.refunded for it, change nothing; the Society cannot refund it again
    await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))
    assert fake.created["refund"] == 1 and await Payment.filter(request_id=req.id).count() == 2
    assert await card.handle_event(fake.refunded_event(payment.reference)) == "cancel_refund_booked"
    assert not await AuditLog.exists(action="card.partial_refund")  # not left to the Society as a Dashboard refund
    with pytest.raises(refunds.RefundError, match="cancelled at the counter and ₹266.40 was refunded to the card"):
        await refunds.refund(Actor(await User.get(username="society")), req.receipt_no)
    assert fake.created["refund"] == 1 and await ledger.balance("escrow:card") == TOTAL - CHARGE - REFUND


@pytest.mark.anyio
@pytest.mark.parametrize("fault", ["500", "timeout"])
async def test_stripe_down_after_rsrtc_cancelled_books_nothing_and_cancelling_again_refunds_once(demo_db, fake, bus, monkeypatch, fault):
    if fault == "timeout":  # Stripe makes the refund, and its answer comes too late
        monkeypatch.setenv("EMITRA_STRIPE_MAX_RETRIES", "0")
        monkeypatch.setenv("EMITRA_STRIPE_TIMEOUT", "0.5")
        fake.fail("create_refund", "timeout", delay=1.5)
    else:  # the library's retry too: Stripe makes nothing
        fake.fail("create_refund", "500", times=2)
    actor, counter, req, payment = await _book_by_card(fake)
    drawer = await ledger.balance(f"counter_cash:{counter.code}")
    with pytest.raises(counter_core.ProviderBusy) as failed:
        await counter_core.cancel(actor, counter, req)
    assert failed.value.field == "refund"
    assert "cancelled the booking" in failed.value.message_en and "Stripe did not answer the refund of ₹266.40" in failed.value.message_en
    assert "Nothing was booked here and no cash is to be paid" in failed.value.message_en and "Cancel it again" in failed.value.message_en
    assert "Stripe ने जवाब नहीं दिया" in failed.value.message_hi and "फिर से रद्द करें" in failed.value.message_hi
    assert bus.bookings[req.department_ref].cancelled  # RSRTC did cancel
    # nothing booked: the request as it was, no refund payment, no entry beyond the collection, the drawer untouched
    fresh = await ServiceRequest.get(id=req.id)
    assert fresh.status == RequestStatus.SUBMITTED
    assert await Payment.filter(request_id=req.id).values_list("method", flat=True) == ["card"]
    assert await LedgerEntry.filter(request_id=req.id).values_list("idempotency_key", flat=True) == [f"request:{req.receipt_no}"]
    assert await ledger.balance(f"counter_cash:{counter.code}") == drawer and await ledger.balance("escrow:card") == TOTAL
    assert not await AuditLog.exists(action="request.cancelled")
    assert (await Payment.get(id=payment.id)).details["cancel_refund_state"] == "unknown"
    assert fake.created["refund"] == (1 if fault == "timeout" else 0)
    if fault == "timeout":  # Stripe's event for the refund it made arrives first: the counter's, not the Society's
        assert await card.handle_event(fake.refunded_event(payment.reference)) == "cancel_refund_not_booked_yet"
        assert not await AuditLog.exists(action="card.partial_refund")

    done = await counter_core.cancel(actor, counter, fresh)  # RSRTC answers its cancellation; Stripe its refund
    assert done.status == RequestStatus.CANCELLED
    assert fake.created["refund"] == 1 and [r["amount"] for r in fake.refunds.values()] == [REFUND]
    assert set(_refund_calls(fake)) == {f"emitra-cancel-refund-{req.receipt_no}"}
    assert await Payment.filter(request_id=req.id).order_by("id").values_list("method", "amount_paise") == [("card", TOTAL), ("card_refund", -REFUND)]
    assert await _entry_lines(f"refund:cancel:{req.receipt_no}") == {RSRTC: REFUND, "escrow:card": -REFUND}
    assert await ledger.balance(f"counter_cash:{counter.code}") == drawer and await ledger.balance("escrow:card") == TOTAL - REFUND
    assert await AuditLog.filter(action="request.cancelled").count() == 1
    await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))
    assert fake.created["refund"] == 1 and await Payment.filter(request_id=req.id).count() == 2
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_refund_made_but_not_recorded_is_recorded_by_cancelling_again_never_refunded_twice(demo_db, fake, bus, monkeypatch):
    """Stripe refunded, then the counter's write failed (the database went away inside it)."""
    actor, counter, req, payment = await _book_by_card(fake)
    with monkeypatch.context() as gone, pytest.raises(counter_core.CounterError) as failed:
        gone.setattr(ledger, "post", _fails)
        await counter_core.cancel(actor, counter, req)
    assert "Stripe refunded ₹266.40 to the card" in failed.value.message_en and "the card is not refunded twice" in failed.value.message_en
    assert "कार्ड पर दोबारा रिफंड नहीं होगा" in failed.value.message_hi
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED
    assert not await Payment.exists(request_id=req.id, method="card_refund") and fake.created["refund"] == 1
    done = await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))
    assert done.status == RequestStatus.CANCELLED and fake.created["refund"] == 1
    assert await _entry_lines(f"refund:cancel:{req.receipt_no}") == {RSRTC: REFUND, "escrow:card": -REFUND}
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_card_paid_booking_is_not_cancelled_where_stripe_is_not_set_up(demo_db, fake, bus, monkeypatch):
    """Checked before RSRTC is asked: nothing is cancelled anywhere, and no cash is paid."""
    actor, counter, req, _ = await _book_by_card(fake)
    monkeypatch.delenv("EMITRA_STRIPE_API_KEY")
    with pytest.raises(counter_core.CounterError, match="its refund goes back to the card through Stripe, which is not set up here"):
        await counter_core.cancel(actor, counter, req)
    assert not bus.bookings[req.department_ref].cancelled
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED
    assert await Payment.filter(request_id=req.id).count() == 1 and (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_the_weekly_reconciliation_pairs_stripes_refund_with_the_cancel(demo_db, fake, bus):
    """Stripe's list for the week shows the charge and the refund; the cancel's refund:cancel: entry
    is the card refund it pairs with, by the refund's id, and nothing is left over."""
    from emitra.core import clock
    from emitra.core.models import District

    actor, counter, req, payment = await _book_by_card(fake)
    await counter_core.cancel(actor, counter, req)
    district = await District.get(id=counter.district_id)
    start, end = reconcile.week_of(clock.today())
    data = await reconcile.fetch_stripe_transactions(start, end)
    society = Actor(await User.get(username="society"))
    imported = await reconcile.import_stripe_transactions(society, district.id, data, "from-stripe.json")
    assert imported.lines == 2  # the charge and the refund
    report = await reconcile.build_report(district.id, start, end)
    refunded = [p for p in report.matched if p.kind == "card_refund"]
    assert [(p.statement.amount_paise, p.ledger.amount_paise, p.ledger.reference, p.how) for p in refunded] == \
        [(-REFUND, -REFUND, f"refund:cancel:{req.receipt_no}", "reference")]  # paired by Stripe's refund id
    assert report.unmatched_statement == [] and report.unmatched_ledger == [] and report.ok
    assert (await ledger.check())["balanced"]


def _eid(web):
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def test_the_receipt_and_the_api_say_the_refund_went_to_the_card(web, fake):
    async def book():
        actor, counter, req, payment = await _book_by_card(fake, "bus-card-web")
        other = await _book_by_card(fake, "bus-card-api")
        return req.receipt_no, other[2].receipt_no

    on_page, by_api = web.run(book)
    web.login("operator1")
    page = web.get(f"/receipts/{on_page}")
    assert "Paid by card: the refund goes back to the citizen" in page.text and "card through Stripe, not from the drawer" in page.text
    done = web.post_form(f"/receipts/{on_page}/cancel", {"reason": "citizen asked"}, token_from=f"/receipts/{on_page}")
    assert done.status_code == 303
    page = web.get(f"/receipts/{on_page}")
    refund_id = next(iter(fake.refunds))
    assert "Cancelled" in page.text and "refunded to the card ₹266.40" in page.text and refund_id in page.text
    assert "refunded in cash" not in page.text
    web.get("/lang/hi")
    page = web.get(f"/receipts/{on_page}")
    assert "कार्ड पर धनवापसी की गई ₹266.40" in page.text and "रद्द" in page.text
    api = web.post(f"/api/v1/transactions/{by_api}/cancel", headers=web.api_token("operator1"), json={"reason": "x"})
    assert api.status_code == 200, api.text
    body = api.json()
    assert (body["status"], body["refund_paise"], body["refund_to"]) == ("cancelled", REFUND, "card")
    assert body["refund_reference"] == list(fake.refunds)[1] and body["payment"]["method"] == "card"
    assert web.run(lambda: Payment.filter(method="cash_refund").count()) == 0


def test_the_api_says_a_booking_paid_in_cash_is_refunded_in_cash_and_one_paid_by_upi_is_not(web, fake):
    """Cash from the drawer; UPI no longer (decision 71: owed to the citizen's UPI account, sent by the
    Society, tests/test_cancel_upi.py); Stripe is asked for neither."""
    async def book():
        actor, counter, citizen = await _ctx()
        await counter_core.record_cash(actor, counter, citizen, PHOTOCOPY, {"quantity": 300}, "cash-in-drawer")
        cash = await counter_core.record_cash(actor, counter, citizen, BUS, TRIP, "bus-cash")
        upi = await counter_core.record_payment(actor, counter, citizen, BUS, {**TRIP, "seats": 1, "passengers": PEOPLE[:1]}, "bus-upi", "upi")
        await counter_core.confirm_payment(Actor(None, via="webhook"), await Payment.get(request_id=upi.id), "upi", "evt-upi-bus", "UTR9")
        return cash.receipt_no, upi.receipt_no, counter.code, await ledger.balance(f"counter_cash:{counter.code}")

    cash_no, upi_no, code, drawer = web.run(book)
    h = web.api_token("operator1")
    cash = web.post(f"/api/v1/transactions/{cash_no}/cancel", headers=h, json={})
    upi = web.post(f"/api/v1/transactions/{upi_no}/cancel", headers=h, json={})
    assert cash.status_code == 200 and upi.status_code == 200, (cash.text, upi.text)
    one_seat = 14800 - 1480
    assert (cash.json()["refund_to"], cash.json()["refund_paise"]) == ("cash", REFUND)
    assert (upi.json()["refund_to"], upi.json()["refund_paise"]) == ("upi", one_seat)
    assert "refund_reference" not in cash.json()
    assert web.run(lambda: ledger.balance(f"counter_cash:{code}")) == drawer - REFUND
    assert web.run(lambda: Payment.filter(method="cash_refund").count()) == 1
    assert _refund_calls(fake) == []


@pytest.mark.anyio
async def test_a_cancellations_reason_keeps_no_aadhaar_number_in_full(demo_db):
    """The reason typed at the counter goes to the partner and into the audit record: an Aadhaar
    number in it is kept masked (docs/security.md), as in a case's remark."""
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, BUS, TRIP, "bus-cash-aadhaar")
    await counter_core.cancel(actor, counter, req, "plans changed; Aadhaar 4991 1866 5246 shown")
    record = await AuditLog.get(action="request.cancelled", object_id=str(req.id))
    assert record.detail["reason"] == "plans changed; Aadhaar XXXX XXXX 5246 shown"

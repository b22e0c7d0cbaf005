"""Private services: RSRTC bus tickets (booked, refused, cancelled), a partner's insurance policy,
and the LSP's own counter services (photocopy, fax, internet time) at its published prices."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from emitra.core import counter as counter_core
from emitra.core import ledger
from emitra.core.audit import Actor
from emitra.core.forms import FormErrors
from emitra.core.models import Citizen, Counter, LspPrice, Payment, RequestStatus, ServiceRequest, User
from emitra.core.plugins import get_host

BUS = "pvt.rsrtc.bus_ticket"
POLICY = "pvt.marudhar.policy"
PHOTOCOPY, FAX, INTERNET = "pvt.lsp.photocopy", "pvt.lsp.fax", "pvt.lsp.internet"
RSRTC_ACCOUNT = "dept_payable:rajasthan-state-road-transport-corporation-rsrtc"
INSURER_FEE = "partner_fee_receivable:marudhar-general-insurance-co-ltd"

TODAY = dt.date(2026, 11, 20)
PEOPLE = [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"}, {"name": "Sunita Sharma", "age": 44, "gender": "F"},
          {"name": "Ankit Sharma", "age": 19, "gender": "M"}]


@pytest.fixture(autouse=True)
def fixed_calendars():
    """The sandboxes live as long as the process: give them a fixed 'now' and forget earlier bookings."""
    bus = get_host().registry.get(BUS).booking
    insurer = get_host().registry.get(POLICY).insurer
    saved = bus.today, bus.time_of_day, insurer.today
    bus.today, bus.time_of_day, insurer.today = TODAY, dt.time(10, 0), TODAY
    bus.reset()
    yield bus
    bus.reset()
    bus.today, bus.time_of_day, insurer.today = saved


def trip(day="2026-11-23", seats=2, klass="ordinary", **extra):
    return {"from": "jaipur", "to": "ajmer", "journey_date": day, "service_class": klass, "seats": seats,
            "passengers": PEOPLE[:seats], **extra}


def policy(**extra):
    return {"product": "accident", "sum_assured": 200000, "insured_name": "Geeta Meena", "date_of_birth": "1990-05-01",
            "nominees": [{"name": "Rakesh Meena", "relation": "spouse", "share_percent": 100}], **extra}


async def _ctx(username="operator1"):
    user = await User.get(username=username)
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    return Actor(user), counter, citizen


async def _field_error(code, data, key="bad"):
    actor, counter, citizen = await _ctx()
    with pytest.raises(FormErrors) as err:
        await counter_core.record_cash(actor, counter, citizen, code, data, key)
    return err.value.by_field()


def test_the_declarations_load_without_refusals():
    registry = get_host().registry
    for code in (BUS, POLICY, PHOTOCOPY, FAX, INTERNET):
        assert registry.get(code) is not None, code
    assert not [r for r in registry.refusals if r.plugin in ("rsrtc", "insurance", "counter_services")]
    bus, insurance, copy = registry.get(BUS), registry.get(POLICY), registry.get(PHOTOCOPY)
    assert bus.cancellable and (bus.fee.payer.value, bus.fee.fee_paise) == ("citizen", 1000)
    assert (insurance.fee.payer.value, insurance.fee.commission_bp) == ("partner", 1500)
    assert copy.priced_by_lsp and copy.unit_en == "page" and (copy.fee.payer.value, copy.fee.fee_paise) == ("citizen", 0)
    for service in (bus, insurance, copy, registry.get(FAX), registry.get(INTERNET)):
        props = service.form["properties"]
        assert service.form["additionalProperties"] is False
        for prop in props.values():
            assert prop["title"] and re.search("[\u0900-\u097F]", prop["x-title-hi"])
            for sub in prop.get("items", {}).get("properties", {}).values():
                assert sub["title"] and re.search("[\u0900-\u097F]", sub["x-title-hi"])


# --- RSRTC --------------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_a_bus_ticket_is_booked_and_reduces_the_seats_free(demo_db, fixed_calendars):
    bus = fixed_calendars
    actor, counter, citizen = await _ctx()
    first_bus = bus.departures("jaipur", "ajmer", dt.date(2026, 11, 23))[0]
    assert (first_bus[0].time, first_bus[0].service_class, first_bus[0].fare_paise, first_bus[1]) == ("06:20", "ordinary", 14800, 32)
    req = await counter_core.record_cash(actor, counter, citizen, BUS, trip(), "bus-1", expected_total_paise=30600)
    assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (29600, 1000, "citizen", 30600)
    assert req.status == RequestStatus.SUBMITTED and req.department_ref == req.reference and req.reference.startswith("RS2611230620")
    details = {d["label_en"]: d["value"] for d in req.quote_details}
    assert details["Departure time"] == "06:20" and details["Seat numbers"] == "9, 10" and details["Seats"] == "2"
    assert "Jaipur – Ajmer" in details["Route"] and details["Class"].startswith("Ordinary")
    assert bus.departures("jaipur", "ajmer", dt.date(2026, 11, 23))[0][1] == 30
    assert await ledger.trial_balance() == 0
    assert await ledger.balance(RSRTC_ACCOUNT) == -29600
    assert await ledger.balance(f"lsp_fee_payable:{counter.lsp_id}") == -1000
    again = await counter_core.record_cash(actor, counter, citizen, BUS, trip(seats=1), "bus-2")
    assert {d["label_en"]: d["value"] for d in again.quote_details}["Seat numbers"] == "11" and again.reference != req.reference


async def _field_errors_both(code, data, key="bad"):
    actor, counter, citizen = await _ctx()
    with pytest.raises(FormErrors) as err:
        await counter_core.record_cash(actor, counter, citizen, code, data, key)
    return err.value.by_field(), err.value.by_field("hi")


@pytest.mark.anyio
async def test_the_seats_free_and_the_passengers_given_are_counted_one_or_many_in_english_and_hindi(demo_db):
    """The refusals said "1 seat(s)", "1 passenger(s)" and, in Hindi, "1 सीट खाली हैं", "1 सीटें माँगी गईं"."""
    express = {"day": "2026-11-24", "klass": "express", "departure": "07:50"}  # 2 seats left on it
    en, hi = await _field_errors_both(BUS, trip(seats=3, **express))
    assert "Only 2 seats are free on the 07:50 Express bus" in en["seats"] and en["seats"].endswith("; 3 asked.")
    assert "बस में केवल 2 सीटें खाली हैं; 3 माँगी गईं।" in hi["seats"]
    actor, counter, citizen = await _ctx()
    await counter_core.record_cash(actor, counter, citizen, BUS, trip(seats=1, **express), "bus-one")
    en, hi = await _field_errors_both(BUS, trip(seats=2, **express))
    assert "Only 1 seat is free on the 07:50 Express bus" in en["seats"] and "बस में केवल 1 सीट खाली है; 2 माँगी गईं।" in hi["seats"]
    await counter_core.record_cash(actor, counter, citizen, BUS, trip(seats=1, **express), "bus-last")
    en, hi = await _field_errors_both(BUS, trip(seats=1, **express))
    assert "No seat is free on the 07:50 Express bus" in en["seats"] and "बस में कोई सीट खाली नहीं है; 1 माँगी गई।" in hi["seats"]

    en, hi = await _field_errors_both(BUS, {**trip(seats=1), "passengers": PEOPLE[:2]})
    assert en["passengers"] == "Give one passenger per seat: 1 seat asked, 2 passengers given."
    assert hi["passengers"] == "हर सीट के लिए एक यात्री दें: 1 सीट माँगी गई, 2 यात्री दिए गए।"
    en, hi = await _field_errors_both(BUS, trip(passengers=PEOPLE[:1]))
    assert en["passengers"] == "Give one passenger per seat: 2 seats asked, 1 passenger given."
    assert hi["passengers"] == "हर सीट के लिए एक यात्री दें: 2 सीटें माँगी गईं, 1 यात्री दिया गया।"


@pytest.mark.anyio
async def test_a_sold_out_or_nearly_full_bus_is_refused_naming_the_seats_free(demo_db):
    # 25-11-2026: both ordinary buses from Jaipur to Ajmer are sold out
    errors = await _field_error(BUS, trip(day="2026-11-25", seats=1))
    assert "Not enough free seats" in errors["seats"] and "06:20: 0" in errors["seats"] and "13:20: 0" in errors["seats"]
    # 24-11-2026: the 07:50 express has 2 seats left
    errors = await _field_error(BUS, trip(day="2026-11-24", seats=3, klass="express", departure="07:50"))
    assert "Only 2 seats are free on the 07:50 Express bus" in errors["seats"]
    # booking the last two seats sells it out, in this process
    actor, counter, citizen = await _ctx()
    await counter_core.record_cash(actor, counter, citizen, BUS, trip(day="2026-11-24", klass="express", departure="07:50"), "bus-3")
    errors = await _field_error(BUS, trip(day="2026-11-24", seats=1, klass="express", departure="07:50"))
    assert "No seat is free on the 07:50 Express bus" in errors["seats"]
    # without a departure time the next express with room is taken
    later = await counter_core.record_cash(actor, counter, citizen, BUS, trip(day="2026-11-24", seats=1, klass="express"), "bus-4")
    assert {d["label_en"]: d["value"] for d in later.quote_details}["Departure time"] == "16:20"
    assert await ServiceRequest.all().count() == 2


@pytest.mark.anyio
@pytest.mark.parametrize("data,field,fragment", [
    (trip(passengers=PEOPLE[:1]), "passengers", "one passenger per seat"),
    (trip(day="2026-11-19"), "journey_date", "in the past"),
    (trip(day="2027-02-01"), "journey_date", "60 days ahead"),
    (trip(day="23-11-2026"), "journey_date", "YYYY-MM-DD"),
    (trip(to="jaipur"), "to", "must differ"),
    (trip(klass="volvo"), "service_class", "No Volvo AC bus runs from Jaipur to Ajmer"),
    (trip(departure="09:00"), "departure", "departures: 06:20, 13:20"),
    (trip(departure="25:00"), "departure", "24-hour clock"),
    ({**trip(), "seats": 7}, "seats", "at most 6"),
    ({**trip(), "passengers": []}, "passengers", "at least 1"),
    ({**trip(seats=1), "passengers": [{"name": "Asha", "age": 0, "gender": "F"}]}, "passengers.0.age", "at least 1"),
    ({**trip(seats=1), "passengers": [{"name": "Asha", "age": 30, "gender": "X"}]}, "passengers.0.gender", "choose one"),
    ({**trip(seats=1), "passengers": [{"age": 30, "gender": "F"}]}, "passengers.0.name", "required"),
    ({**trip(), "from": "delhi"}, "from", "choose one"),
])
async def test_bad_bus_bookings_name_the_field(demo_db, data, field, fragment):
    errors = await _field_error(BUS, data)
    assert fragment in errors[field], errors
    assert await ServiceRequest.all().count() == 0


@pytest.mark.anyio
async def test_a_booking_cancelled_at_the_counter_is_refunded_once_and_frees_its_seats(demo_db, fixed_calendars):
    bus = fixed_calendars
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, BUS, trip(), "bus-5")
    assert bus.departures("jaipur", "ajmer", dt.date(2026, 11, 23))[0][1] == 30
    done = await counter_core.cancel(actor, counter, req, "plans changed")
    assert done.status == RequestStatus.CANCELLED
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.CANCELLED
    refund = 29600 - 2960  # more than 24 hours before departure: the fare less 10%
    payments = await Payment.filter(request_id=req.id).order_by("id").values_list("method", "amount_paise")
    assert payments == [("cash", 30600), ("cash_refund", -refund)]
    assert await ledger.trial_balance() == 0
    assert await ledger.balance(f"counter_cash:{counter.code}") == 30600 - refund
    assert await ledger.balance(RSRTC_ACCOUNT) == -2960
    assert bus.departures("jaipur", "ajmer", dt.date(2026, 11, 23))[0][1] == 32
    again = await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))
    assert again.status == RequestStatus.CANCELLED and await Payment.filter(request_id=req.id).count() == 2
    assert await ledger.trial_balance() == 0
    # another counter cannot cancel it; a service that is not a booking cannot be cancelled
    other_actor, other_counter, _ = await _ctx("operator2")
    second = await counter_core.record_cash(actor, counter, citizen, BUS, trip(seats=1), "bus-6")
    with pytest.raises(counter_core.CounterError, match="counter that sold it"):
        await counter_core.cancel(other_actor, other_counter, second)
    copy = await counter_core.record_cash(actor, counter, citizen, PHOTOCOPY, {"quantity": 1}, "copy-x")
    with pytest.raises(counter_core.CounterError, match="cannot be cancelled"):
        await counter_core.cancel(actor, counter, copy)


@pytest.mark.anyio
async def test_cancelling_within_24_hours_refunds_half_and_after_departure_nothing(demo_db, fixed_calendars):
    bus = fixed_calendars
    actor, counter, citizen = await _ctx()
    soon = await counter_core.record_cash(actor, counter, citizen, BUS, trip(seats=1), "bus-7")  # 23-11 at 06:20
    gone = await counter_core.record_cash(actor, counter, citizen, BUS, trip(seats=1, departure="13:20"), "bus-8")
    bus.today, bus.time_of_day = dt.date(2026, 11, 22), dt.time(20, 0)
    await counter_core.cancel(actor, counter, soon)
    assert (await Payment.get(request_id=soon.id, method="cash_refund")).amount_paise == -7400  # half the fare
    bus.today, bus.time_of_day = dt.date(2026, 11, 23), dt.time(14, 0)
    cancelled = await counter_core.cancel(actor, counter, gone)
    assert cancelled.status == RequestStatus.CANCELLED and not await Payment.exists(request_id=gone.id, method="cash_refund")
    assert await ledger.trial_balance() == 0


@pytest.mark.anyio
async def test_a_booking_made_before_a_restart_can_still_be_cancelled(demo_db, fixed_calendars):
    """The sandbox keeps bookings in memory; a PNR it issued earlier carries its date and departure time."""
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, BUS, trip(seats=1), "bus-9")
    fixed_calendars.reset()  # as after a restart
    await counter_core.cancel(actor, counter, req)
    assert (await Payment.get(request_id=req.id, method="cash_refund")).amount_paise == -(14800 - 1480)
    unknown = await counter_core.record_cash(actor, counter, citizen, BUS, trip(seats=1), "bus-10")
    unknown.department_ref = "NOT-A-PNR"
    with pytest.raises(counter_core.CounterError, match="no booking with PNR NOT-A-PNR"):
        await counter_core.cancel(actor, counter, unknown)
    assert (await ServiceRequest.get(id=unknown.id)).status == RequestStatus.SUBMITTED
    assert await ledger.trial_balance() == 0


@pytest.mark.anyio
async def test_a_booking_whose_payment_has_not_been_received_is_not_refunded_in_cash(demo_db, fixed_calendars):
    """A bus ticket taken by UPI and not yet paid: cancelling it would pay the fare out of the drawer
    for money that never came in. Refused, nothing written; once the UPI payment is received it can be."""
    from emitra.core.audit import Actor as A

    bus = fixed_calendars
    actor, counter, citizen = await _ctx()
    await counter_core.record_cash(actor, counter, citizen, PHOTOCOPY, {"quantity": 200}, "cash-in-drawer")  # cash to refund from
    drawer = await ledger.balance(f"counter_cash:{counter.code}")
    req = await counter_core.record_payment(actor, counter, citizen, BUS, trip(), "bus-upi", "upi")
    assert req.status == RequestStatus.PAYMENT_PENDING
    with pytest.raises(counter_core.CounterError) as refused:
        await counter_core.cancel(actor, counter, req, "plans changed")
    assert refused.value.field == "payment"
    assert "UPI payment has not been received yet" in refused.value.message_en and "Wait until the bank confirms it" in refused.value.message_en
    assert "यूपीआई भुगतान अभी प्राप्त नहीं हुआ है" in refused.value.message_hi
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.PAYMENT_PENDING
    assert not await Payment.exists(request_id=req.id, method="cash_refund")
    assert await ledger.balance(f"counter_cash:{counter.code}") == drawer and await ledger.balance(RSRTC_ACCOUNT) == 0
    # received: now it is booked at RSRTC and can be cancelled, the refund owed to the citizen's UPI
    # account (decision 71: the Society sends it; the drawer pays nothing)
    payment = await Payment.get(request_id=req.id)
    await counter_core.confirm_payment(A(None, via="webhook"), payment, "upi", "evt-bus", provider_reference="UTR1")
    assert bus.departures("jaipur", "ajmer", dt.date(2026, 11, 23))[0][1] == 30
    done = await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id), "plans changed")
    assert done.status == RequestStatus.CANCELLED
    assert (await Payment.get(request_id=req.id, method="upi_refund")).amount_paise == -(29600 - 2960)
    assert not await Payment.exists(request_id=req.id, method="cash_refund")
    assert await ledger.balance(f"counter_cash:{counter.code}") == drawer
    assert bus.departures("jaipur", "ajmer", dt.date(2026, 11, 23))[0][1] == 32
    # a payment that failed: nothing was received or booked, nothing to refund
    failed = await counter_core.record_payment(actor, counter, citizen, BUS, trip(seats=1), "bus-upi-2", "upi")
    await counter_core.fail_payment(A(None, via="webhook"), await Payment.get(request_id=failed.id), "declined")
    with pytest.raises(counter_core.CounterError, match="its payment failed, so nothing was received"):
        await counter_core.cancel(actor, counter, await ServiceRequest.get(id=failed.id))
    assert not await Payment.exists(request_id=failed.id, method="cash_refund")
    assert await ledger.trial_balance() == 0


def test_the_receipt_of_a_booking_awaiting_its_upi_payment_offers_no_cancel(web):
    async def book():
        actor, counter, citizen = await _ctx()
        await counter_core.record_cash(actor, counter, citizen, PHOTOCOPY, {"quantity": 200}, "cash-in-drawer")
        return (await counter_core.record_payment(actor, counter, citizen, BUS, trip(), "bus-upi-web", "upi")).receipt_no

    receipt_no = web.run(book)
    web.login("operator1")
    page = web.get(f"/receipts/{receipt_no}")
    assert "Awaiting UPI payment" in page.text and "Cancel this booking" not in page.text
    refused = web.post_form(f"/receipts/{receipt_no}/cancel", {"reason": "citizen asked"}, token_from=f"/receipts/{receipt_no}")
    assert refused.status_code == 400 and "UPI payment has not been received yet" in refused.text
    page = web.get(f"/receipts/{receipt_no}")
    assert "Cancelled" not in page.text and "refunded in cash" not in page.text
    api = web.post(f"/api/v1/transactions/{receipt_no}/cancel", headers=web.api_token("operator1"), json={"reason": "x"})
    assert api.status_code == 422 and api.json()["error"]["fields"][0]["field"] == "payment"
    assert web.run(lambda: Payment.filter(method="cash_refund").count()) == 0


@pytest.mark.anyio
async def test_a_cancel_refused_for_lack_of_cash_leaves_the_booking_at_rsrtc(demo_db, fixed_calendars):
    """The drawer is checked against RSRTC's quoted refund before RSRTC is asked to cancel: refused,
    the seats stay booked there, and the booking can be cancelled once there is cash."""
    bus = fixed_calendars
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, BUS, trip(), "bus-short")
    await ledger.post(counter.district_id, "test:empty-drawer", "cash taken out for the test",
                      [ledger.debit("cash_over_short:test", 30600 - 9995), ledger.credit(f"counter_cash:{counter.code}", 30600 - 9995)])
    with pytest.raises(counter_core.CounterError, match=r"The refund is ₹266.40 but the drawer holds ₹99.95"):
        await counter_core.cancel(actor, counter, req)
    assert not bus.bookings[req.department_ref].cancelled  # RSRTC was not asked
    assert bus.departures("jaipur", "ajmer", dt.date(2026, 11, 23))[0][1] == 30
    await counter_core.record_cash(actor, counter, citizen, PHOTOCOPY, {"quantity": 100}, "more-cash")
    done = await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))
    assert done.status == RequestStatus.CANCELLED and bus.bookings[req.department_ref].cancelled
    assert (await Payment.get(request_id=req.id, method="cash_refund")).amount_paise == -26640
    assert await ledger.trial_balance() == 0


@pytest.mark.anyio
async def test_a_cancel_recorded_nowhere_after_rsrtc_cancelled_is_completed_by_cancelling_again(demo_db, fixed_calendars, monkeypatch):
    bus = fixed_calendars
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, BUS, trip(), "bus-crash")
    real_post = ledger.post

    async def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(ledger, "post", broken)
    with pytest.raises(counter_core.CounterError) as failed:
        await counter_core.cancel(actor, counter, req)
    assert "cancelled the booking" in failed.value.message_en and "Cancel it again" in failed.value.message_en
    assert bus.bookings[req.department_ref].cancelled  # RSRTC did cancel
    fresh = await ServiceRequest.get(id=req.id)
    assert fresh.status == RequestStatus.SUBMITTED and not await Payment.exists(request_id=req.id, method="cash_refund")
    monkeypatch.setattr(ledger, "post", real_post)
    done = await counter_core.cancel(actor, counter, fresh)  # RSRTC answers its earlier cancellation
    assert done.status == RequestStatus.CANCELLED
    assert (await Payment.get(request_id=req.id, method="cash_refund")).amount_paise == -26640
    assert await ledger.balance(f"counter_cash:{counter.code}") == 30600 - 26640 and await ledger.trial_balance() == 0


@pytest.mark.anyio
async def test_rsrtc_reads_the_counters_clock_not_the_servers(demo_db, monkeypatch):
    """At 01:00 in India (19:30 the day before in UTC) the day's first buses have not left and the
    previous evening's have: the sandbox reads EMITRA_NOW / India time, as the core does."""
    from emitra.plugins.private.rsrtc_sandbox import RsrtcSandbox

    bus = RsrtcSandbox()  # as the plugin makes it: no date or time fixed
    monkeypatch.setattr(get_host().registry.get(BUS), "booking", bus)
    monkeypatch.setenv("EMITRA_NOW", "2030-01-10T01:00")
    assert bus.now() == dt.datetime(2030, 1, 10, 1, 0)
    # the 06:20 bus of the day is bookable, the day before is in the past (not "has left today")
    assert (await _field_error(BUS, trip(day="2030-01-09")))["journey_date"].startswith("The journey date 09-01-2030 is in the past")
    assert "until 11-03-2030" in (await _field_error(BUS, trip(day="2030-03-12")))["journey_date"]
    actor, counter, citizen = await _ctx()
    early = await counter_core.record_cash(actor, counter, citizen, BUS, trip(day="2030-01-10", seats=1), "bus-night")
    assert early.department_ref.startswith("RS3001100620")
    late = await counter_core.record_cash(actor, counter, citizen, BUS, trip(day="2030-03-11", seats=1), "bus-window")
    assert late.status == RequestStatus.SUBMITTED
    # a bus that left at 23:00 on the 9th: bought in the evening, cancelled after it left, nothing refunded
    monkeypatch.setenv("EMITRA_NOW", "2030-01-09T20:00")
    gone = await counter_core.record_cash(actor, counter, citizen, BUS,
                                          {**trip(day="2030-01-09", seats=1), "to": "jodhpur", "service_class": "volvo"}, "bus-left")
    monkeypatch.setenv("EMITRA_NOW", "2030-01-10T01:00")
    await counter_core.cancel(actor, counter, gone)
    assert (await ServiceRequest.get(id=gone.id)).status == RequestStatus.CANCELLED
    assert not await Payment.exists(request_id=gone.id, method="cash_refund")


def test_the_insurer_and_the_birth_register_read_the_counters_date(monkeypatch):
    from emitra.plugins.government.births_deaths import _not_in_future

    from emitra.plugins.private.insurance_sandbox import InsuranceSandbox

    insurer = InsuranceSandbox()  # as the plugin makes it: no date fixed
    monkeypatch.setenv("EMITRA_TODAY", "2030-01-10")
    proposal = insurer.propose("accident", 200000, "Geeta Meena", dt.date(1990, 5, 1))
    assert proposal.age == 39 and proposal.cover_to == dt.date(2031, 1, 9)
    _not_in_future("date_of_birth", "2030-01-09", "date of birth", "जन्म तिथि")  # yesterday at the counter: accepted


def _eid(web):
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def test_a_bus_ticket_through_the_api_is_cancelled_on_the_receipt_page(web):
    h = web.api_token("operator1")
    form = trip(day="2026-11-21", seats=1, klass="deluxe")
    q = web.post("/api/v1/quotes", headers=h, json={"service_code": BUS, "form": form})
    assert q.status_code == 200, q.text
    q = q.json()
    assert (q["principal_paise"], q["service_charge_paise"], q["charge_payer"], q["citizen_total_paise"]) == (23600, 1000, "citizen", 24600)
    body = {"citizen": _eid(web), "service_code": BUS, "form": form,
            "payment": {"method": "cash", "amount_paise": 24600}, "idempotency_key": "api-bus-1"}
    created = web.post("/api/v1/transactions", headers=h, json=body)
    assert created.status_code == 201, created.text
    receipt_no = created.json()["receipt_no"]
    assert created.json()["reference"] == q["reference"]
    bad = web.post("/api/v1/quotes", headers=h, json={"service_code": BUS, "form": trip(day="2026-11-25", seats=1)})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "seats"

    web.login("operator1")
    page = web.get(f"/receipts/{receipt_no}")
    assert page.status_code == 200 and f'action="/receipts/{receipt_no}/cancel"' in page.text and "Cancelled" not in page.text
    done = web.post_form(f"/receipts/{receipt_no}/cancel", {"reason": "citizen asked"}, token_from=f"/receipts/{receipt_no}")
    assert done.status_code == 303 and done.headers["location"] == f"/receipts/{receipt_no}"
    page = web.get(f"/receipts/{receipt_no}")
    assert "Cancelled" in page.text and "₹212.40" in page.text and f"/receipts/{receipt_no}/cancel" not in page.text


def test_a_bus_ticket_booked_through_the_counter_pages(web):
    web.login("operator1")
    form_url = f"/counter/citizens/{_eid(web)}/services/{BUS}"
    posted = {"from": "jaipur", "to": "udaipur", "journey_date": "2026-11-23", "service_class": "volvo", "seats": "1",
              "passengers.0.name": "Ramesh Kumar Sharma", "passengers.0.age": "48", "passengers.0.gender": "M",
              "passengers.1.name": "", "passengers.1.age": "", "passengers.1.gender": ""}
    short = web.post_form(form_url, {**posted, "seats": "2"}, token_from=form_url)
    assert short.status_code == 400 and "one passenger per seat" in short.text
    confirm = web.post_form(form_url, posted, token_from=form_url)
    assert confirm.status_code == 200, confirm.text
    assert "₹1,027.00" in confirm.text and "₹10.00" in confirm.text and "23:05" in confirm.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.text))
    done = web.client.post(form_url + "/pay", data=fields)
    assert done.status_code == 303, done.text
    receipt = web.get(done.headers["location"]).text
    assert "RS2611232305" in receipt and "₹1,037.00" in receipt and "Cancel this booking" in receipt


def _rows(page: str) -> list[tuple[str, str]]:
    return [(html.unescape(th), html.unescape(td)) for th, td in re.findall(r"<tr[^>]*><th>([^<]*)</th><td[^>]*>([^<]*)", page)]


def test_a_bus_tickets_route_class_and_passengers_are_in_the_pages_language_and_shown_once(web):
    web.login("operator1")
    web.get("/lang/hi")
    form_url = f"/counter/citizens/{_eid(web)}/services/{BUS}"
    posted = {"from": "jaipur", "to": "ajmer", "journey_date": "2026-11-23", "service_class": "express", "seats": "2",
              "passengers.0.name": "Ramesh Kumar Sharma", "passengers.0.age": "48", "passengers.0.gender": "M",
              "passengers.1.name": "Sunita Sharma", "passengers.1.age": "44", "passengers.1.gender": "F"}
    confirm = web.post_form(form_url, posted, token_from=form_url)
    assert confirm.status_code == 200, confirm.text
    rows = _rows(confirm.text)
    hindi = [("मार्ग", "जयपुर – अजमेर (135 किमी)"), ("श्रेणी", "एक्सप्रेस"),
             ("यात्री", "Ramesh Kumar Sharma (48, पुरुष); Sunita Sharma (44, महिला)")]
    assert set(hindi) <= set(rows), rows
    # the destination, the class and the passengers are in those details: not listed again after them
    labels = [th for th, _ in rows]
    assert not {"कहाँ से (चढ़ने का स्थान)", "कहाँ तक (गंतव्य)", "बस श्रेणी", "यात्री का नाम (1)", "आयु (1)", "लिंग (1)", "लिंग (2)"} & set(labels), labels
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.text))
    done = web.client.post(form_url + "/pay", data=fields)
    assert done.status_code == 303, done.text
    receipt = web.get(done.headers["location"]).text
    assert set(hindi) <= set(_rows(receipt))
    assert not [td for _, td in _rows(receipt) if "Jaipur" in td or "Express" in td or ", M)" in td]
    web.get("/lang/en")
    receipt = _rows(web.get(done.headers["location"]).text)
    assert {("Route", "Jaipur – Ajmer (135 km)"), ("Class", "Express"),
            ("Passengers", "Ramesh Kumar Sharma (48, Male); Sunita Sharma (44, Female)")} <= set(receipt), receipt
    details = ("Route", "Journey date", "Departure time", "Class", "Seats", "Seat numbers", "Fare per seat", "Passengers", "PNR")
    assert not [td for th, td in receipt if th in details and re.search(r"[\u0900-\u097F]", td)]


def test_the_new_forms_render_at_the_counter(web):
    web.login("operator1")
    eid = _eid(web)
    bus = web.get(f"/counter/citizens/{eid}/services/{BUS}")
    assert bus.status_code == 200 and 'name="passengers.0.name"' in bus.text and 'name="passengers.1.gender"' in bus.text
    assert "Volvo AC" in bus.text and "Jodhpur" in bus.text
    cover = web.get(f"/counter/citizens/{eid}/services/{POLICY}")
    assert cover.status_code == 200 and 'name="nominees.0.share_percent"' in cover.text and "₹2,00,000" in cover.text
    copy = web.get(f"/counter/citizens/{eid}/services/{PHOTOCOPY}")
    assert copy.status_code == 200 and 'name="quantity"' in copy.text and 'name="both_sides"' in copy.text


# --- insurance ----------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_a_policy_is_sold_for_the_premium_and_the_insurer_pays_the_commission(demo_db):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, POLICY, policy(), "cover-1", expected_total_paise=2000)
    # age 36 on 20-11-2026: the 36-50 band of the Rs 2 lakh accident cover
    assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (2000, 300, "partner", 2000)
    assert req.status == RequestStatus.SUBMITTED and req.department_ref.startswith("MGI-PA-2026-")
    assert req.reference.startswith("PRP")
    details = {d["label_en"]: d["value"] for d in req.quote_details}
    assert details["Insured"] == "Geeta Meena (age 36)" and details["Cover period"] == "20-11-2026 – 19-11-2027"
    assert details["Nominees"] == "Rakesh Meena (Spouse, 100%)" and details["Sum assured"] == "₹2,00,000"
    # the Hindi receipt says the age and the relation in Hindi (it said "age 36", "Spouse")
    in_hindi = {d["label_en"]: d.get("value_hi") for d in req.quote_details}
    assert in_hindi["Insured"] == "Geeta Meena (आयु 36)" and in_hindi["Nominees"] == "Rakesh Meena (पति/पत्नी, 100%)"
    assert await ledger.trial_balance() == 0
    assert await ledger.balance(INSURER_FEE) == 300
    health = await counter_core.record_cash(actor, counter, citizen, POLICY, policy(
        product="health", sum_assured=300000, date_of_birth="1971-01-15",
        nominees=[{"name": "Rakesh Meena", "relation": "spouse", "share_percent": 60},
                  {"name": "Pooja Meena", "relation": "daughter", "share_percent": 40}]), "cover-2")
    assert (health.principal_paise, health.service_charge_paise, health.citizen_total_paise) == (860000, 129000, 860000)
    assert await ledger.trial_balance() == 0


@pytest.mark.anyio
@pytest.mark.parametrize("data,field,fragment", [
    (policy(nominees=[{"name": "Rakesh Meena", "relation": "spouse", "share_percent": 50},
                      {"name": "Pooja Meena", "relation": "daughter", "share_percent": 40}]), "nominees", "add up to 90%"),
    (policy(nominees=[{"name": "geeta  meena", "relation": "other", "share_percent": 100}]), "nominees", "own nominee"),
    (policy(date_of_birth="2009-01-01"), "date_of_birth", "aged 18 to 70; the insured is 17"),
    (policy(product="term_life", date_of_birth="1970-01-01"), "date_of_birth", "aged 18 to 50; the insured is 56"),
    (policy(date_of_birth="2027-01-01"), "date_of_birth", "in the future"),
    (policy(date_of_birth="01/05/1990"), "date_of_birth", "YYYY-MM-DD"),
    (policy(product="health", sum_assured=500000), "sum_assured", "₹1,00,000, ₹2,00,000, ₹3,00,000 only"),
    (policy(sum_assured=150000), "sum_assured", "choose one"),
    (policy(product="car"), "product", "choose one"),
    (policy(nominees=[]), "nominees", "at least 1"),
    (policy(nominees=[{"name": "Rakesh Meena", "relation": "spouse", "share_percent": 0}]), "nominees.0.share_percent", "at least 1"),
    (policy(nominees=[{"name": "Rakesh Meena", "relation": "cousin", "share_percent": 100}]), "nominees.0.relation", "choose one"),
    ({k: v for k, v in policy().items() if k != "insured_name"}, "insured_name", "required"),
])
async def test_bad_policies_name_the_field(demo_db, data, field, fragment):
    errors = await _field_error(POLICY, data)
    assert fragment in errors[field], errors
    assert await ServiceRequest.all().count() == 0


def test_a_policy_through_the_api(web):
    h = web.api_token("operator1")
    q = web.post("/api/v1/quotes", headers=h, json={"service_code": POLICY, "form": policy(product="term_life", sum_assured=500000)}).json()
    assert (q["principal_paise"], q["service_charge_paise"], q["charge_payer"], q["citizen_total_paise"]) == (210000, 31500, "partner", 210000)
    body = {"citizen": _eid(web), "service_code": POLICY, "form": policy(product="term_life", sum_assured=500000),
            "payment": {"method": "cash", "amount_paise": 210000, "tendered_paise": 250000}, "idempotency_key": "api-cover-1"}
    created = web.post("/api/v1/transactions", headers=h, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["principal_paise"] == 210000 and created.json()["service_charge_paise"] == 31500
    bad = web.post("/api/v1/quotes", headers=h, json={"service_code": POLICY, "form": policy(nominees=[
        {"name": "A B", "relation": "son", "share_percent": 30}])})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "nominees"


# --- counter services ---------------------------------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("code,form,principal", [
    (PHOTOCOPY, {"quantity": 25, "both_sides": True}, 25 * 200),
    (PHOTOCOPY, {"quantity": 25}, 25 * 200),
    (FAX, {"quantity": 3}, 3 * 1000),
    (INTERNET, {"quantity": 45}, 45 * 100),
])
async def test_counter_services_are_the_lsps_own_sales_at_its_price(demo_db, code, form, principal):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, code, form, "sale-1", expected_total_paise=principal)
    assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (principal, 0, "citizen", principal)
    details = {d["label_en"]: d["value"] for d in req.quote_details}
    assert details["Quantity"].startswith(str(form["quantity"])) and any(k.startswith("Price per") for k in details)
    assert await ledger.trial_balance() == 0
    assert await ledger.balance(f"lsp_sales:{counter.lsp_id}") == -principal
    assert await ledger.balance(f"counter_cash:{counter.code}") == principal
    assert await ledger.balance(f"lsp_fee_payable:{counter.lsp_id}") == 0


@pytest.mark.anyio
@pytest.mark.parametrize("code,form,fragment", [
    (PHOTOCOPY, {"quantity": 0}, "at least 1"),
    (PHOTOCOPY, {"quantity": 501}, "at most 500"),
    (FAX, {"quantity": 51}, "at most 50"),
    (INTERNET, {"quantity": 241}, "at most 240"),
    (INTERNET, {"quantity": "ten"}, "must be a whole number"),
    (FAX, {}, "required"),
])
async def test_bad_quantities_name_the_field(demo_db, code, form, fragment):
    errors = await _field_error(code, form)
    assert fragment in errors["quantity"], errors


@pytest.mark.anyio
async def test_an_lsp_without_a_published_price_cannot_sell(demo_db):
    actor, counter, citizen = await _ctx()
    await LspPrice.filter(lsp_id=counter.lsp_id, service_code=FAX).delete()
    with pytest.raises(counter_core.CounterError) as err:
        await counter_core.record_cash(actor, counter, citizen, FAX, {"quantity": 2}, "sale-2")
    assert err.value.field == "service_code" and "has not published its price for Fax" in err.value.message_en
    assert "मूल्य" in err.value.message_hi and await ServiceRequest.all().count() == 0


def test_the_lsp_admin_sets_a_price_and_the_counter_charges_it(web):
    web.login("lsp")
    page = web.get("/lsp/prices")
    assert page.status_code == 200 and "Photocopy" in page.text and "Internet browsing time" in page.text
    done = web.post_form("/lsp/prices", {"service_code": PHOTOCOPY, "price_rupees": "2.50"})
    assert done.status_code == 303 and done.headers["location"] == f"/lsp/prices?saved={PHOTOCOPY}"  # the page says it saved it
    bad = web.post_form("/lsp/prices", {"service_code": PHOTOCOPY, "price_rupees": "2.505"})
    assert bad.status_code == 400 and "more than two decimals" in bad.text
    h = web.api_token("operator1")
    q = web.post("/api/v1/quotes", headers=h, json={"service_code": PHOTOCOPY, "form": {"quantity": 4, "both_sides": False}}).json()
    assert (q["principal_paise"], q["service_charge_paise"], q["citizen_total_paise"]) == (1000, 0, 1000)
    assert {d["label_en"]: d["value"] for d in q["details"]}["Price per page"] == "₹2.50"
    body = {"citizen": _eid(web), "service_code": PHOTOCOPY, "form": {"quantity": 4},
            "payment": {"method": "cash", "amount_paise": 1000}, "idempotency_key": "api-copy-1"}
    created = web.post("/api/v1/transactions", headers=h, json=body)
    assert created.status_code == 201 and created.json()["principal_paise"] == 1000
    bad = web.post("/api/v1/quotes", headers=h, json={"service_code": PHOTOCOPY, "form": {"quantity": 0}})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "quantity"


@pytest.mark.anyio
@pytest.mark.parametrize("quoted,wrong", [
    (12.5, "12.5 has a fraction of a paisa"),  # was read as 12
    ("1200", "'1200' is not a number (str)"),  # was read as 1200
    (True, "True is a yes/no value (bool)"),  # was read as 1
])
async def test_a_refund_quote_that_is_not_whole_paise_is_refused_before_the_partner_cancels(demo_db, fixed_calendars, monkeypatch, quoted,
                                                                                           wrong):
    bus = fixed_calendars
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, BUS, trip(), "bus-quote-float")

    async def refund_quote(*args):
        return quoted

    monkeypatch.setattr(get_host().registry.get(BUS), "refund_quote", refund_quote)
    with pytest.raises(counter_core.CounterError) as refused:
        await counter_core.cancel(actor, counter, req)
    assert f"Plugin rsrtc quoted an impossible refund: {wrong}" in refused.value.message_en
    assert "प्लगइन rsrtc ने असंभव रिफंड बताया" in refused.value.message_hi
    assert not bus.bookings[req.department_ref].cancelled  # RSRTC was not asked
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED


@pytest.mark.anyio
@pytest.mark.parametrize("answer,wrong", [
    (12.5, "refund_paise: 12.5 has a fraction of a paisa"),  # was booked as 12 paise
    ("1200", "refund_paise: '1200' is not a number (str)"),  # was booked as 1200 paise
    (None, "cancel() returned NoneType, not a Cancellation"),  # was an error page (AttributeError)
])
async def test_a_cancellation_that_is_not_whole_paise_is_not_booked(demo_db, fixed_calendars, monkeypatch, answer, wrong):
    from emitra.core import Cancellation

    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, BUS, trip(), "bus-cancel-float")

    async def cancel(*args):
        return None if answer is None else Cancellation(refund_paise=answer, reference="CXL-1")

    monkeypatch.setattr(get_host().registry.get(BUS), "cancel", cancel)
    with pytest.raises(counter_core.CounterError) as refused:
        await counter_core.cancel(actor, counter, req)
    assert f"Plugin rsrtc offered an impossible refund: {wrong}" in refused.value.message_en
    assert "प्लगइन rsrtc ने असंभव रिफंड बताया" in refused.value.message_hi
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED
    assert not await Payment.exists(request_id=req.id, method="cash_refund") and await ledger.trial_balance() == 0


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["refund_quote", "cancel"])
async def test_a_partner_failing_to_cancel_is_a_message_naming_the_plugin_not_an_error_page(demo_db, fixed_calendars, monkeypatch, method):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, BUS, trip(), "bus-cancel-down")

    async def down(*args):
        raise ConnectionError("RSRTC server timed out")

    monkeypatch.setattr(get_host().registry.get(BUS), method, down)
    with pytest.raises(counter_core.CounterError) as refused:
        await counter_core.cancel(actor, counter, req)
    assert refused.value.message_en.startswith(f"Plugin rsrtc failed in {method}: ConnectionError: RSRTC server timed out")
    assert "Nothing was cancelled at the counter; cancel again once Rajasthan State Road Transport Corporation (RSRTC) answers." \
        in refused.value.message_en
    assert f"प्लगइन rsrtc {method} में विफल रहा" in refused.value.message_hi
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED
    monkeypatch.undo()
    done = await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))  # answering again: cancelled
    assert done.status == RequestStatus.CANCELLED


def test_a_refused_cancel_shows_the_receipt_again_with_the_reason_kept(web, fixed_calendars):
    """Refused (the drawer short of the refund), the cancel was an error page: the receipt and the
    reason typed were gone. Now the receipt shows the refusal above its cancel form, the reason kept."""
    async def book():
        actor, counter, citizen = await _ctx()
        req = await counter_core.record_cash(actor, counter, citizen, BUS, trip(), "bus-short-web")
        await ledger.post(counter.district_id, "test:empty-drawer-web", "cash taken out for the test",
                          [ledger.debit("cash_over_short:test", 30600 - 9995), ledger.credit(f"counter_cash:{counter.code}", 30600 - 9995)])
        return req.receipt_no

    receipt_no = web.run(book)
    web.login("operator1")
    refused = web.post_form(f"/receipts/{receipt_no}/cancel", {"reason": "journey postponed"}, token_from=f"/receipts/{receipt_no}")
    assert refused.status_code == 400
    assert "The refund is ₹266.40 but the drawer holds ₹99.95" in refused.text
    assert receipt_no in refused.text and "e-Mitra receipt" in refused.text  # still the receipt, printable
    box = re.search(r'<input id="reason"[^>]*>', refused.text).group(0)
    assert 'value="journey postponed"' in box
    assert not bool(fixed_calendars.bookings[web.run(lambda: ServiceRequest.get(receipt_no=receipt_no)).department_ref].cancelled)


def test_the_counters_lists_say_which_receipts_are_paid_awaited_or_cancelled(web, fixed_calendars):
    """The counter's recent transactions and the citizen's earlier ones listed an awaited UPI payment
    and a cancelled booking like any paid receipt: "did it go through?" needed each receipt opened."""
    async def book():
        actor, counter, citizen = await _ctx()
        paid = await counter_core.record_cash(actor, counter, citizen, PHOTOCOPY, {"quantity": 200}, "list-cash")
        awaited = await counter_core.record_payment(actor, counter, citizen, BUS, trip(), "list-upi", "upi")
        cancelled = await counter_core.record_cash(actor, counter, citizen, BUS, trip(seats=1), "list-bus")
        await counter_core.cancel(actor, counter, cancelled, "plans changed")
        return paid.receipt_no, awaited.receipt_no, cancelled.receipt_no, citizen.emitra_id

    paid, awaited, cancelled, eid = web.run(book)
    web.login("operator1")

    def status_of(html, receipt_no):
        row = re.search(rf'{receipt_no}</a>(.*?)(</tr>|</li>)', html, re.S).group(1)
        return re.sub(r"<[^>]+>", "", row.rsplit("<td", 1)[-1] if "<td" in row else row.rsplit("·", 1)[-1]).split(">")[-1].strip()

    for page in (web.get("/counter").text, web.get(f"/counter/citizens/{eid}").text):
        assert status_of(page, paid) == "Paid" and status_of(page, awaited) == "Payment awaited"
        assert status_of(page, cancelled) == "Cancelled"
    web.get("/lang/hi")
    assert status_of(web.get("/counter").text, awaited) == "भुगतान प्रतीक्षित"

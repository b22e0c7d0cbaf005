"""The pre-aggregated daily figures always equal a full recount from the requests, whatever the
sequence of payments, pending cheques cleared or bounced days later, bookings cancelled on a later
day (back-dated corrections: they change the day the request was recorded on) and counters."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emitra.core import counter as counter_core
from emitra.core import mis
from emitra.core.audit import Actor
from emitra.core.forms import FormErrors
from emitra.core.models import Citizen, Counter, DailyFigure, Payment, ServiceRequest, User
from emitra.core.payment_methods import cheque
from emitra.core.plugins import get_host
from tests.test_money_properties import BILL, BUS, JAMABANDI, K_NUMBERS, START, _empty_the_books, bus  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio

ops = st.lists(st.one_of(
    st.tuples(st.just("cash_bill"), st.sampled_from(K_NUMBERS), st.sampled_from(["operator1", "operator2"])),
    st.tuples(st.just("cash_application"), st.just(""), st.sampled_from(["operator1", "operator2"])),
    st.tuples(st.just("cheque"), st.just(""), st.sampled_from(["operator1", "operator2"])),
    st.tuples(st.just("clear_oldest"), st.just(""), st.just("")),
    st.tuples(st.just("bounce_oldest"), st.just(""), st.just("")),
    st.tuples(st.just("bus"), st.just(""), st.just("operator1")),
    st.tuples(st.just("cancel_a_ticket"), st.integers(0, 5), st.just("")),
    st.tuples(st.just("next_day"), st.just(""), st.just("")),
), min_size=1, max_size=12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=ops)
async def test_the_daily_figures_equal_a_full_recount(demo_db, bus, monkeypatch, sequence):
    await _empty_the_books()
    bus.reset()
    society = Actor(await User.get(username="society"), via="test")
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    jamabandi = dict(get_host().registry.get(JAMABANDI).example)
    day = START
    pending: list[Payment] = []
    tickets: list[ServiceRequest] = []
    for n, (what, arg, who) in enumerate(sequence):
        monkeypatch.setenv("EMITRA_TODAY", day.isoformat())
        bus.today, bus.time_of_day = day, dt.time(9, 0)
        key = f"m{n}"
        op = Actor(await User.get(username=who), via="test") if who else None
        counter = await Counter.get(id=op.user.counter_id) if op else None
        if what == "cash_bill":
            await counter_core.record_cash(op, counter, citizen, BILL, {"k_number": arg}, key)
        elif what == "cash_application":
            await counter_core.record_cash(op, counter, citizen, JAMABANDI, jamabandi, key)
        elif what == "cheque":
            details = cheque.CHEQUE.check_details({"instrument_no": f"{200000 + n}", "bank_name": "State Bank of India", "ifsc": "SBIN0001234",
                                                   "instrument_date": day.isoformat(), "drawer_name": citizen.name})
            req = await counter_core.record_payment(op, counter, citizen, BILL, {"k_number": K_NUMBERS[n % 3]}, key, "cheque", payment_details=details)
            pending.append(await Payment.get(request=req))
        elif what in ("clear_oldest", "bounce_oldest") and pending:
            payment = pending.pop(0)  # perhaps recorded days ago: the figures of that day change
            if what == "clear_oldest":
                await cheque.clear(society, payment)
            else:
                await cheque.bounce(society, payment, "funds insufficient")
        elif what == "bus":
            trip = {"from": "jaipur", "to": "ajmer", "journey_date": (day + dt.timedelta(days=9)).isoformat(), "service_class": "ordinary",
                    "seats": 1, "passengers": [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"}]}
            try:
                tickets.append(await counter_core.record_cash(op, counter, citizen, BUS, trip, key))
            except FormErrors:
                pass
        elif what == "cancel_a_ticket" and tickets:
            ticket = tickets.pop(arg % len(tickets))
            seller = Actor(await User.get(username="operator1"), via="test")
            try:
                await counter_core.cancel(seller, await Counter.get(id=ticket.counter_id), ticket, "plans changed")
            except counter_core.CounterError:
                pass  # the drawer cannot pay the refund: refused, nothing changed
        elif what == "next_day":
            day += dt.timedelta(days=1)
        assert await mis.differences() == [], f"after {what} (step {n} of {sequence})"
    # and a rebuild from scratch gives the same table
    before = await mis.stored()
    await mis.rebuild()
    assert await mis.stored() == before == await mis.recount()
    assert await mis.stored_months() == mis._by_month(before)  # each month the sum of its days, after a rebuild too


async def test_a_back_dated_correction_changes_the_day_it_belongs_to(demo_db, monkeypatch):
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-16")
    op = Actor(await User.get(username="operator1"), via="test")
    counter = await Counter.get(code="JP-LM-001")
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    details = cheque.CHEQUE.check_details({"instrument_no": "300001", "bank_name": "State Bank of India", "ifsc": "SBIN0001234",
                                           "instrument_date": "2026-11-16", "drawer_name": citizen.name})
    req = await counter_core.record_payment(op, counter, citizen, BILL, {"k_number": K_NUMBERS[0]}, "bd-1", "cheque", payment_details=details)
    assert not await DailyFigure.filter(transactions__gt=0).exists()  # pending: not a transaction yet
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-19")
    await cheque.clear(Actor(await User.get(username="society"), via="test"), await Payment.get(request=req))
    row = await DailyFigure.get(counter_id=counter.id, service_code=BILL)
    assert (row.business_date, row.transactions, row.principal_paise) == (dt.date(2026, 11, 16), 1, req.principal_paise)
    assert row.charge_by_department_paise == req.service_charge_paise and row.lsp_id == counter.lsp_id

"""What is waiting on the Society (decision 76): the panel on /society/today and the Society admin's
home page, and `emitra society today`. Built from real states: a cash day closed and its deposit
not confirmed, UPI payments unsettled past 24 hours, a UPI booking cancelled (its refund owed), weeks
not reconciled; counted in one aggregate query a row, so the page's queries do not grow with the
items; only the district's Society admin sees it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import dayend, drawer_totals, society_today  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.models import (Citizen, Counter, DayEnd, LedgerEntry, Notification, Payment, RequestStatus,  # noqa: E402
                                ServiceRequest, User)
from emitra.core.plugins import get_host  # noqa: E402

BUS = "pvt.rsrtc.bus_ticket"
BILL, K = "gov.rj.jvvnl.bill", "210412345678"  # ₹1,483.50, paid in cash: deposited
PEOPLE = [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"}, {"name": "Sunita Sharma", "age": 44, "gender": "F"}]
TRIP = {"from": "jaipur", "to": "ajmer", "journey_date": "2026-11-23", "service_class": "ordinary", "seats": 2, "passengers": PEOPLE}
TOTAL, FARE = 30600, 29600  # two ordinary seats, the Rs 10 charge paid by the citizen
REFUND = FARE - FARE // 10  # cancelled more than 24 hours before departure: ₹266.40


@pytest.fixture(autouse=True)
def bus():
    """RSRTC's sandbox with a fixed 'now' (20-11-2026 10:00), its earlier bookings forgotten."""
    booking = get_host().registry.get(BUS).booking
    saved = booking.today, booking.time_of_day
    booking.today, booking.time_of_day = dt.date(2026, 11, 20), dt.time(10, 0)
    booking.reset()
    yield booking
    booking.reset()
    booking.today, booking.time_of_day = saved


async def _operator(username: str = "operator1"):
    user = await User.get(username=username)
    return Actor(user, via="test"), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


async def _book_by_upi(key: str, utr: str) -> ServiceRequest:
    actor, counter, citizen = await _operator()
    req = await counter_core.record_payment(actor, counter, citizen, BUS, TRIP, key, "upi")
    payment = await Payment.get(request_id=req.id)
    await counter_core.confirm_payment(Actor(None, via="webhook"), payment, "upi", f"evt-{key}", provider_reference=utr)
    return await ServiceRequest.get(id=req.id)


async def _waiting_states(now: dt.datetime) -> dict[str, int]:
    """A cash day closed 5 days ago and not confirmed; two UPI bookings confirmed, one 30 hours ago
    (past the 24 h rule), both unsettled; the other cancelled (its refund owed to the citizen); the
    books begun three weeks back. What was deposited, for the assertions."""
    actor, counter, citizen = await _operator()
    day = dayend.local_date(now) - dt.timedelta(days=5)
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "cash-1")
    await drawer_totals.redate(LedgerEntry.all(), dayend.day_start(day) + dt.timedelta(hours=11))
    figures = await dayend.figures(counter, day, now)
    closed = await dayend.close_day(actor, counter, day, figures.expected_paise, now)
    early = await LedgerEntry.all().order_by("id").first()
    early.created_at = now - dt.timedelta(days=20)  # the district's books began three weeks back
    await early.save(update_fields=["created_at"])
    late = await _book_by_upi("upi-1", "UTR600100200301")
    await Payment.filter(request_id=late.id).update(confirmed_at=now - dt.timedelta(hours=30))
    cancelled = await _book_by_upi("upi-2", "UTR600100200302")
    await Payment.filter(request_id=cancelled.id).update(confirmed_at=now - dt.timedelta(hours=1))
    done = await counter_core.cancel(actor, counter, cancelled, "plans changed")
    assert done.status == RequestStatus.CANCELLED
    return {"deposit": closed.deposit_paise}


def _rows(rows: list[society_today.Row]) -> dict[str, society_today.Row]:
    return {r.kind: r for r in rows}


@pytest.mark.anyio
async def test_a_week_whose_recorded_run_failed_still_waits_on_the_panel(demo_db):
    """A week counts as reconciled once a run of it is recorded, unless that run's report failed
    (an entry that does not balance, an account that does not roll forward): the Society must look
    into it and run it again. The latest recorded run decides."""
    from emitra.core import reconcile
    from emitra.core.models import Posting

    now = dayend.utcnow()
    society = await User.get(username="society")
    await _waiting_states(now)
    week = _rows(await society_today.waiting(society.district_id, now))["reconciliation"]
    oldest = dt.date.fromisoformat(week.link.split("=")[1])
    first = await LedgerEntry.all().order_by("created_at").first()  # the books' first entry, in that week
    bad = await Posting.create(entry=first, district_id=first.district_id, account="society_bank", amount_paise=1)
    failed_run = await reconcile.reconcile(Actor(society), society.district_id, oldest, oldest + dt.timedelta(days=6))
    assert failed_run.recorded and not failed_run.ok
    failed = _rows(await society_today.waiting(society.district_id, now))["reconciliation"]
    assert (failed.count, failed.link) == (week.count, week.link)  # still waiting, still the first to open
    await bad.delete()
    sound_run = await reconcile.reconcile(Actor(society), society.district_id, oldest, oldest + dt.timedelta(days=6))
    assert sound_run.ok
    done = _rows(await society_today.waiting(society.district_id, now))["reconciliation"]
    assert done.count == week.count - 1 and done.link == f"/society/reconciliation?week={oldest + dt.timedelta(days=7)}"


@pytest.mark.anyio
async def test_each_kind_of_waiting_work_is_counted_with_its_money_age_and_overdue(demo_db, monkeypatch):
    now = dayend.utcnow()
    society = await User.get(username="society")
    before = _rows(await society_today.waiting(society.district_id, now))
    assert [before[k].count for k in ("deposits", "settlement", "upi_refunds", "card_refunds", "wallet_refunds")] == [0] * 5

    made = await _waiting_states(now)
    rows = _rows(await society_today.waiting(society.district_id, now))
    deposits = rows["deposits"]
    assert (deposits.count, deposits.amount_paise, deposits.overdue) == (1, made["deposit"], 1) and made["deposit"] > 0
    assert deposits.age_days(now) >= 4 and deposits.link == "/society/dayends"
    settle = rows["settlement"]
    assert (settle.count, settle.amount_paise, settle.overdue) == (2, 2 * TOTAL, 1)
    assert settle.age_days(now) == 1
    upi = rows["upi_refunds"]
    assert (upi.count, upi.amount_paise, upi.overdue, upi.age_days(now)) == (1, REFUND, 0, 0)
    week = rows["reconciliation"]
    assert week.count == week.overdue >= 2 and week.link.startswith("/society/reconciliation?week=")
    assert rows["card_refunds"].count == rows["wallet_refunds"].count == 0
    # the oldest open week reconciled and recorded: the next one is the oldest, one fewer waits
    from emitra.core import reconcile

    oldest_week = dt.date.fromisoformat(week.link.split("=")[1])
    await reconcile.reconcile(Actor(society), society.district_id, oldest_week, oldest_week + dt.timedelta(days=6))
    again = _rows(await society_today.waiting(society.district_id, now))["reconciliation"]
    assert again.count == week.count - 1 and again.link == f"/society/reconciliation?week={oldest_week + dt.timedelta(days=7)}"

    # another district's Society sees none of it
    from emitra.core.models import District

    other = await District.create(code="ZZ", name_en="Elsewhere", name_hi="अन्यत्र")
    elsewhere = _rows(await society_today.waiting(other.id, now))
    assert all(r.count == 0 for r in elsewhere.values())

    # a refund part-sent: what is still owed, not what was owed
    from emitra.core import upi_refunds

    receipt = (await ServiceRequest.get(status=RequestStatus.CANCELLED)).receipt_no
    await upi_refunds.pay(Actor(society), receipt, "IMPS71", 10000)
    assert _rows(await society_today.waiting(society.district_id, now))["upi_refunds"].amount_paise == REFUND - 10000
    # overdue by the Society's list's rule (decision 75): more than EMITRA_UPI_REFUND_DUE_DAYS working days
    from emitra.core.models import Payment as Pay

    await Pay.filter(method=upi_refunds.METHOD).update(created_at=now - dt.timedelta(days=6))
    [owed] = (await upi_refunds.owed(society.district_id))[0]
    upi = _rows(await society_today.waiting(society.district_id, now))["upi_refunds"]
    assert (upi.overdue, owed.overdue) == (1, True) and "3 working days" in upi.rule_en
    monkeypatch.setenv("EMITRA_UPI_REFUND_DUE_DAYS", "6")  # six days back are at most six working days
    [owed] = (await upi_refunds.owed(society.district_id))[0]
    upi = _rows(await society_today.waiting(society.district_id, now))["upi_refunds"]
    assert (upi.overdue, owed.overdue) == (0, False) and "6 working days" in upi.rule_en
    # the deposit confirmed: it no longer waits
    day_end = await DayEnd.get(district_id=society.district_id)
    await dayend.confirm_deposit(Actor(society), day_end, "BR-71", day_end.deposit_paise)
    assert _rows(await society_today.waiting(society.district_id, now))["deposits"].count == 0


@contextmanager
def _queries():
    """Count the SQL statements tortoise runs (its client logs each one at DEBUG)."""
    seen: list[str] = []

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    log = logging.getLogger("tortoise.db_client")
    handler, level = Count(level=logging.DEBUG), log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def _cell(html: str, cell: str) -> str:
    found = re.search(rf'id="w-{cell}"[^>]*>(.*?)</td>', html, re.S)
    assert found, cell
    return re.sub(r"<[^>]+>", " ", found.group(1)).split()[0] if found.group(1).strip() else ""


def test_the_society_admin_sees_the_panel_first_and_its_queries_do_not_grow_with_the_items(web):
    now = dayend.utcnow()
    web.run(lambda: _waiting_states(now))
    web.login("society")
    home = web.get("/")
    assert home.status_code == 200 and 'id="waiting"' in home.text
    assert home.text.index('href="/society/today"') < home.text.index('href="/network"')  # first in the Society's menu
    page = web.get("/society/today")
    assert page.status_code == 200
    assert _cell(page.text, "deposits-count") == "1" and _cell(page.text, "settlement-count") == "2"
    assert "₹612.00" in page.text and "₹266.40" in page.text  # integer paise, formatted
    assert 'id="w-deposits" class="marked"' in page.text and 'id="w-settlement" class="marked"' in page.text
    assert 'id="w-upi_refunds" class="marked"' not in page.text  # owed since today: not overdue yet
    assert re.search(r'id="w-card_refunds-count">0</td><td colspan="3" class="ok">Nothing waiting.', page.text)
    assert 'href="/society/upi-refunds"' in page.text and 'href="/card-refunds"' in page.text

    with _queries() as few:
        assert web.get("/society/today").status_code == 200

    async def many() -> None:  # 300 more day ends waiting and 300 failed messages
        counter = await Counter.get(code=(await _operator())[1].code)
        await DayEnd.bulk_create([DayEnd(district_id=counter.district_id, counter=counter, business_date=dt.date(2020, 1, 1) + dt.timedelta(days=i),
                                         expected_paise=100, counted_paise=100, retained_paise=0, deposit_paise=100, difference_paise=0,
                                         slip_no=f"T-{i}", closed_by="test") for i in range(300)])
        await Notification.bulk_create([Notification(district_id=counter.district_id, event="x", channel="sms", recipient="9829012345",
                                                     body_en="x", body_hi="x", status="failed", created_at=now) for _ in range(300)])

    web.run(many)
    with _queries() as more:
        page = web.get("/society/today")
    assert _cell(page.text, "deposits-count") == "301" and _cell(page.text, "outbox-count") == "300"
    assert len(few) == len(more) and len(few) <= 20, (len(few), len(more))

    hindi = web.post_form("/lang/hi", {"next": "/society/today"}, token_from="/society/today")
    assert hindi.status_code == 303
    page = web.get("/society/today")
    assert "ट्रांज़िट में नकद जमा" in page.text and "सोसायटी पर बाकी काम" in page.text and "कुछ बाकी नहीं।" in page.text


@pytest.mark.parametrize("who", ["state", "lsp", "operator1", "officer", "citizen"])
def test_no_one_but_the_society_admin_sees_it(web, who):
    web.login(who)
    assert web.get("/society/today").status_code == 403
    home = web.get("/")
    assert 'id="waiting"' not in home.text and 'href="/society/today"' not in home.text


def test_the_command_prints_the_same_rows(web, tmp_path):
    from tests.case_helpers import run_commands

    now = dayend.utcnow()
    web.run(lambda: _waiting_states(now))
    from tests.conftest import DB_URL

    (text, as_json, unknown) = run_commands(tmp_path, [["society", "today", "--district", "JP"],
                                                       ["society", "today", "--district", "jp", "--json"],
                                                       ["society", "today", "--district", "QQ"]], database_url=DB_URL)
    assert text[0] == 0, text
    assert "Cash deposits in transit (day ends not confirmed): 1, ₹1,483.50, oldest 4 days, OVERDUE 1 (not confirmed 3 days after the business day)" in text[1] and "OVERDUE" in text[1]
    assert "UPI refunds owed to citizens: 1, ₹266.40" in text[1]
    assert "Card refunds waiting to be finished: nothing waiting" in text[1]
    assert as_json[0] == 0, as_json
    rows = {r["kind"]: r for r in json.loads(as_json[1])["rows"]}
    assert rows["settlement"]["count"] == 2 and rows["settlement"]["amount_paise"] == 2 * TOTAL and rows["settlement"]["overdue"] == 1
    assert rows["upi_refunds"]["amount"] == "₹266.40"
    assert unknown[0] != 0 and "--district" in unknown[1]

"""Day end at a counter: the drawer's expected cash, what the counter keeps back, the deposit slip,
the Society's confirmation of the deposit; and prepaid wallet top-ups. Through the core and the pages."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from stdnum import verhoeff

from emitra.core import counter as counter_core, drawer_totals
from emitra.core import dayend, ledger
from emitra.core.audit import Actor
from emitra.core.models import LSP, AuditLog, Citizen, Counter, DayEnd, LedgerEntry, User, Wallet
from emitra.core.plugins import get_host

IST = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2026, 11, 20)
BILL, K = "gov.rj.jvvnl.bill", "210412345678"  # ₹1,483.50; Rs 3.95 paid by JVVNL
WATER = "gov.rj.phed.water_bill"  # ₹386.40; Rs 3.95 paid by PHED
BIRTH, GRIEVANCE, PHOTOCOPY, BUS = "gov.rj.pehchan.birth_certificate", "gov.rj.sampark.grievance", "pvt.lsp.photocopy", "pvt.rsrtc.bus_ticket"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=IST)


@pytest.fixture
def bus_calendar():
    """The RSRTC sandbox with a fixed 'today' (20-11-2026, 10:00) and no earlier bookings."""
    bus = get_host().registry.get(BUS).booking
    saved = bus.today, bus.time_of_day
    bus.today, bus.time_of_day = DAY, dt.time(10, 0)
    bus.reset()
    yield bus
    bus.reset()
    bus.today, bus.time_of_day = saved


async def _operator(username: str):
    user = await User.get(username=username)
    return Actor(user, via="test"), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


async def _move_entries_to(moment: dt.datetime, after_id: int = 0) -> None:
    """Date the ledger entries posted by the test (after ``after_id``) as if they were made at ``moment``."""
    await drawer_totals.redate(LedgerEntry.filter(id__gt=after_id), moment)


async def _last_entry_id() -> int:
    last = await LedgerEntry.all().order_by("-id").first()
    return last.id if last else 0


def _example(code: str) -> dict:
    return dict(get_host().registry.get(code).example)


async def _golden_day(bus) -> tuple[Actor, Counter]:
    """The kiosk JP-JM-001 (service charge split 30% LSP, 50% kiosk owner, 20% Society) on 20-11-2026:
    two bills (charges paid by the departments), a birth certificate application (Rs 10) and a
    grievance (Rs 5) paid by the citizen, 25 photocopies (the LSP's own sale, ₹50) and a bus ticket
    (₹296 fare + Rs 10) cancelled the same day, ₹266.40 refunded from the drawer."""
    actor, kiosk, citizen = await _operator("operator2")
    kiosk.split_lsp_bp, kiosk.split_owner_bp, kiosk.split_society_bp = 3000, 5000, 2000
    await kiosk.save()
    for key, code, data in [("g-1", BILL, {"k_number": K}), ("g-2", WATER, _example(WATER)), ("g-3", BIRTH, _example(BIRTH)),
                            ("g-4", GRIEVANCE, _example(GRIEVANCE)), ("g-5", PHOTOCOPY, {"quantity": 25, "both_sides": True})]:
        await counter_core.record_cash(actor, kiosk, citizen, code, data, key)
    trip = {"from": "jaipur", "to": "ajmer", "journey_date": "2026-11-23", "service_class": "ordinary", "seats": 2,
            "passengers": [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"}, {"name": "Sunita Sharma", "age": 44, "gender": "F"}]}
    ticket = await counter_core.record_cash(actor, kiosk, citizen, BUS, trip, "g-6")
    await counter_core.cancel(actor, kiosk, ticket, "plans changed")
    await _move_entries_to(at(DAY, 11))
    return actor, kiosk


@pytest.mark.anyio
async def test_a_golden_day_is_closed_exact_to_the_paisa(demo_db, bus_calendar):
    actor, kiosk = await _golden_day(bus_calendar)
    fig = await dayend.figures(kiosk, DAY, at(DAY, 19))
    # 1,483.50 + 386.40 + 10 + 5 + 50 + 306 - 266.40 (refund) = 1,974.50
    assert fig.expected_paise == 148_350 + 38_640 + 1_000 + 500 + 5_000 + 30_600 - 26_640 == 197_450
    # kept back: LSP 30% and owner 50% of the citizen-paid charges (10 + 5 + 10), and the LSP's photocopies
    assert fig.retained == {f"lsp_fee_payable:{kiosk.lsp_id}": 300 + 150 + 300, "owner_fee_payable:JP-JM-001": 500 + 250 + 500,
                            f"lsp_sales:{kiosk.lsp_id}": 5_000}
    assert fig.entries == 7  # six sales and the refund
    day_end = await dayend.close_day(actor, kiosk, DAY, 197_450, now=at(DAY, 19))
    assert (day_end.expected_paise, day_end.retained_paise, day_end.deposit_paise, day_end.difference_paise) == (197_450, 7_000, 190_450, 0)
    assert day_end.status == "closed" and day_end.closed_by == "operator2"
    assert day_end.slip_no == "DSJP000220261120" + verhoeff.calc_check_digit("000220261120") and dayend.is_valid_slip_no(day_end.slip_no)
    assert await ledger.balance("counter_cash:JP-JM-001") == 0
    assert await ledger.balance("deposit_in_transit:JP-JM-001") == 190_450
    # the LSP and the owner kept their shares of the citizen-paid charges from the drawer; their shares
    # of the bills' Rs 3.95 (paid by the departments: 30% = 1.19, 50% = 1.97 each) stay owed to them
    assert await ledger.balance(f"lsp_fee_payable:{kiosk.lsp_id}") == -(119 * 2)
    assert await ledger.balance("owner_fee_payable:JP-JM-001") == -(197 * 2)
    assert await ledger.balance(f"lsp_sales:{kiosk.lsp_id}") == 0
    assert await ledger.balance("cash_over_short:JP-JM-001") == 0
    assert (await ledger.check())["balanced"]
    assert await AuditLog.filter(action="dayend.closed", object_id=str(day_end.id)).count() == 1


@pytest.mark.anyio
async def test_closing_twice_is_refused_and_a_later_count_changes_nothing(demo_db, bus_calendar):
    actor, kiosk = await _golden_day(bus_calendar)
    first = await dayend.close_day(actor, kiosk, DAY, 197_450, now=at(DAY, 19))
    entries = await LedgerEntry.all().count()
    with pytest.raises(dayend.MoneyError, match="already closed") as err:
        await dayend.close_day(actor, kiosk, DAY, 190_000, now=at(DAY, 20))
    assert err.value.field == "date" and first.slip_no in err.value.message_en and "पहले ही बंद" in err.value.message_hi
    assert await LedgerEntry.all().count() == entries and await DayEnd.all().count() == 1
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_shortage_is_flagged_and_posted_to_cash_over_short(demo_db):
    actor, counter, citizen = await _operator("operator1")
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "s-1")
    await counter_core.record_cash(actor, counter, citizen, BIRTH, _example(BIRTH), "s-2")
    await _move_entries_to(at(DAY, 12))
    day_end = await dayend.close_day(actor, counter, DAY, 148_350 + 1_000 - 10_000, now=at(DAY, 18))  # ₹100 short
    assert day_end.status == "flagged" and day_end.difference_paise == -10_000 and "shortage ₹100.00" in day_end.note
    assert (day_end.retained_paise, day_end.deposit_paise) == (1_000, 148_350 - 10_000)  # the LSP (100% of the split) keeps its Rs 10
    assert await ledger.balance("cash_over_short:JP-LM-001") == 10_000  # a debit: money missing
    assert await ledger.balance("counter_cash:JP-LM-001") == 0
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_an_excess_is_flagged_too_and_an_empty_drawer_keeps_nothing_back(demo_db):
    actor, counter, citizen = await _operator("operator1")
    await counter_core.record_cash(actor, counter, citizen, BIRTH, _example(BIRTH), "e-1")
    await _move_entries_to(at(DAY, 12))
    excess = await dayend.close_day(actor, counter, DAY, 1_050, now=at(DAY, 18))
    assert excess.status == "flagged" and excess.difference_paise == 50 and await ledger.balance("cash_over_short:JP-LM-001") == -50
    # next day: an application, and the drawer is found empty: nothing can be kept back, all is short
    mark = await _last_entry_id()
    await counter_core.record_cash(actor, counter, citizen, BIRTH, _example(BIRTH), "e-2")
    await _move_entries_to(at(DAY + dt.timedelta(days=1), 12), mark)
    empty = await dayend.close_day(actor, counter, DAY + dt.timedelta(days=1), 0, now=at(DAY + dt.timedelta(days=1), 18))
    assert (empty.retained_paise, empty.deposit_paise, empty.difference_paise) == (0, 0, -1_000)
    assert await ledger.balance("lsp_fee_payable:1") == -1_000  # the LSP's fee is still owed to it
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_days_close_in_order_and_late_cash_is_carried_to_the_next_day(demo_db):
    actor, counter, citizen = await _operator("operator1")
    day2 = DAY + dt.timedelta(days=1)
    await counter_core.record_cash(actor, counter, citizen, BIRTH, _example(BIRTH), "o-1")
    await _move_entries_to(at(DAY, 10))
    mark = await _last_entry_id()
    await counter_core.record_cash(actor, counter, citizen, GRIEVANCE, _example(GRIEVANCE), "o-2")
    await _move_entries_to(at(day2, 10), mark)
    with pytest.raises(dayend.MoneyError, match="Close 20-11-2026 first") as err:
        await dayend.close_day(actor, counter, day2, 500, now=at(day2, 18))
    assert err.value.field == "date"
    with pytest.raises(dayend.MoneyError, match="has not begun"):
        await dayend.close_day(actor, counter, day2 + dt.timedelta(days=1), 0, now=at(day2, 18))
    await dayend.close_day(actor, counter, DAY, 1_000, now=at(DAY, 17))
    # a bill taken at 17:30, after the close of the 20th: it goes into the 21st's drawer
    mark = await _last_entry_id()
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "o-3")
    await _move_entries_to(at(DAY, 17, 30), mark)
    fig = await dayend.figures(counter, day2, at(day2, 18))
    assert (fig.expected_paise, fig.carried_paise) == (500 + 148_350, 148_350)
    second = await dayend.close_day(actor, counter, day2, 148_850, now=at(day2, 18))
    assert second.status == "closed" and "taken on 20-11-2026 after that day was closed" in second.note
    with pytest.raises(dayend.MoneyError, match="days are closed in order"):
        await dayend.close_day(actor, counter, DAY - dt.timedelta(days=1), 0, now=at(day2, 19))
    assert await ledger.balance("counter_cash:JP-LM-001") == 0
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_an_earlier_open_day_is_found_in_large_books_too(demo_db, monkeypatch):
    """A counter never closed: its first cash is looked up from the entries before the day when the
    books hold few of them, from its drawer's postings when they hold many (here: any)."""
    actor, counter, citizen = await _operator("operator1")
    day2 = DAY + dt.timedelta(days=1)
    await counter_core.record_cash(actor, counter, citizen, BIRTH, _example(BIRTH), "o-1")
    await _move_entries_to(at(DAY, 10))
    for few in (dayend._FEW_ENTRIES, 0):
        monkeypatch.setattr(dayend, "_FEW_ENTRIES", few)
        with pytest.raises(dayend.MoneyError, match="Close 20-11-2026 first"):
            await dayend.close_day(actor, counter, day2, 0, now=at(day2, 18))
    closed = await dayend.close_day(actor, counter, DAY, 1_000, now=at(DAY, 18))
    assert (closed.expected_paise, closed.status) == (1_000, "closed")


@pytest.mark.anyio
async def test_a_counter_never_closed_is_reckoned_the_same_in_large_books(demo_db, bus_calendar, monkeypatch):
    """In books with many entries before the day, a never-closed counter's window opens at its
    drawer's first movement (not at the start of the books): the same expected cash, shares kept
    and count of entries; a counter whose drawer never moved has nothing to close."""
    actor, kiosk = await _golden_day(bus_calendar)
    other, counter, citizen = await _operator("operator1")
    await counter_core.record_cash(other, counter, citizen, BIRTH, _example(BIRTH), "early")
    await _move_entries_to(at(DAY - dt.timedelta(days=3), 10), after_id=await LedgerEntry.all().order_by("-id").first().values_list("id", flat=True) - 1)
    idle = await Counter.create(district_id=kiosk.district_id, lsp_id=kiosk.lsp_id, code="JP-LM-009", name="New centre",
                                kind=counter.kind, owner_name="e-Mitra LSP")
    found = {}
    for few in (dayend._FEW_ENTRIES, 0):  # few entries before the day, then "many": the drawers' postings say where to start
        monkeypatch.setattr(dayend, "_FEW_ENTRIES", few)
        for group in ([kiosk, counter, idle], [idle]):
            figures = await dayend.figures_for_day(group, DAY, at(DAY, 19))
            found[few, len(group)] = [(f.expected_paise, f.retained, f.entries) for f in (figures[c.id] for c in group)]
    assert found[0, 3] == found[dayend._FEW_ENTRIES, 3] and found[0, 1] == found[dayend._FEW_ENTRIES, 1] == [(0, {}, 0)]
    kiosk_figures, counter_figures, idle_figures = found[0, 3]
    assert kiosk_figures[0] == 197_450 and counter_figures[:1] == (1_000,) and counter_figures[2] == 1 and idle_figures == (0, {}, 0)


@pytest.mark.anyio
async def test_the_day_end_page_suggests_the_oldest_day_not_closed(demo_db):
    actor, counter, citizen = await _operator("operator1")
    assert await dayend.oldest_open_date(counter) is None  # no cash yet
    day1, day2 = DAY - dt.timedelta(days=2), DAY
    await counter_core.record_cash(actor, counter, citizen, BIRTH, _example(BIRTH), "s-1")
    await _move_entries_to(at(day1, 10))
    mark = await _last_entry_id()
    await counter_core.record_cash(actor, counter, citizen, BIRTH, _example(BIRTH), "s-2")
    await _move_entries_to(at(day2, 10), after_id=mark)
    other, elsewhere, _ = await _operator("operator2")  # another counter's cash is not this drawer's
    mark = await _last_entry_id()
    await counter_core.record_cash(other, elsewhere, citizen, BIRTH, _example(BIRTH), "s-3")
    await _move_entries_to(at(day1 - dt.timedelta(days=5), 10), after_id=mark)
    assert await dayend.oldest_open_date(counter) == day1
    await dayend.close_day(actor, counter, day1, 1_000, now=at(day1, 19))
    assert await dayend.oldest_open_date(counter) == day2  # the day end's own entry is not cash taken
    await dayend.close_day(actor, counter, DAY - dt.timedelta(days=1), 0, now=at(DAY - dt.timedelta(days=1), 19))
    await dayend.close_day(actor, counter, day2, 1_000, now=at(day2, 19))
    assert await dayend.oldest_open_date(counter) is None


@pytest.mark.anyio
async def test_only_the_counters_own_operator_closes_it(demo_db):
    actor, counter, citizen = await _operator("operator1")
    other, _, _ = await _operator("operator2")
    for who in (other, Actor(await User.get(username="lsp")), Actor(await User.get(username="society"))):
        with pytest.raises(dayend.MoneyError) as err:
            await dayend.close_day(who, counter, DAY, 0, now=at(DAY, 18))
        assert err.value.field == "operator"
    with pytest.raises(dayend.MoneyError) as err:
        await dayend.close_day(actor, counter, DAY, -5, now=at(DAY, 18))
    assert err.value.field == "counted"
    assert await DayEnd.all().count() == 0


@pytest.mark.anyio
async def test_confirming_the_deposit_moves_the_money_to_the_society_bank(demo_db, bus_calendar):
    actor, kiosk = await _golden_day(bus_calendar)
    day_end = await dayend.close_day(actor, kiosk, DAY, 197_450, now=at(DAY, 19))
    society = Actor(await User.get(username="society"))
    with pytest.raises(dayend.MoneyError) as err:
        await dayend.confirm_deposit(actor, day_end, "UTR1", 190_450)  # an operator cannot
    assert err.value.field == "actor"
    with pytest.raises(dayend.MoneyError) as err:
        await dayend.confirm_deposit(society, day_end, "  ", 190_450)
    assert err.value.field == "bank_reference"
    done = await dayend.confirm_deposit(society, day_end, "SBIN0012345", 190_450)
    assert done.status == "confirmed" and done.confirmed_by == "society" and done.bank_reference == "SBIN0012345"
    assert await ledger.balance("society_bank") == 190_450
    assert await ledger.balance("deposit_in_transit:JP-JM-001") == 0
    again = await dayend.confirm_deposit(society, day_end, "SBIN0012345", 190_450)  # the reconciliation may say it again
    assert again.status == "confirmed" and await ledger.balance("society_bank") == 190_450
    with pytest.raises(dayend.MoneyError, match="already confirmed"):
        await dayend.confirm_deposit(society, day_end, "OTHER", 190_450)
    assert await dayend.find_slip(day_end.slip_no[:6] + "-" + day_end.slip_no[6:]) is not None
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_deposit_of_another_amount_than_the_slip_is_flagged(demo_db):
    actor, counter, citizen = await _operator("operator1")
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "d-1")
    await _move_entries_to(at(DAY, 12))
    day_end = await dayend.close_day(actor, counter, DAY, 148_350, now=at(DAY, 18))
    done = await dayend.confirm_deposit(Actor(None, via="reconcile"), day_end, "UTR-77", 148_000)
    assert done.status == "flagged" and "bank credited ₹1,480.00, ₹3.50 less than the slip" in done.note
    assert await ledger.balance("society_bank") == 148_000
    assert await ledger.balance("deposit_in_transit:JP-LM-001") == 350  # the missing money stays visible
    assert (await ledger.check())["balanced"]


# --- wallets ----------------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_a_top_up_raises_the_wallet_and_the_ledger_equally_once(demo_db):
    _, counter, _ = await _operator("operator1")
    lsp_admin = Actor(await User.get(username="lsp"))
    with pytest.raises(dayend.MoneyError) as err:  # a post-paid LSP has no wallet
        await dayend.top_up(lsp_admin, counter, 500_000, "NEFT-1")
    assert err.value.field == "counter"
    lsp = await LSP.get(id=counter.lsp_id)
    lsp.mode = "prepaid"
    await lsp.save()
    done = await dayend.top_up(lsp_admin, counter, 500_000, "NEFT-1")
    assert done.balance_paise == 500_000 and (await Wallet.get(counter_id=counter.id)).balance_paise == 500_000
    assert await ledger.balance("kiosk_wallet:JP-LM-001") == -500_000 and await ledger.balance("society_bank") == 500_000
    again = await dayend.top_up(lsp_admin, counter, 500_000, "NEFT-1")  # the same bank reference: nothing more
    assert again.repeated and (await Wallet.get(counter_id=counter.id)).balance_paise == 500_000
    with pytest.raises(dayend.MoneyError, match="already used") as err:
        await dayend.top_up(lsp_admin, counter, 100_000, "NEFT-1")
    assert err.value.field == "reference"
    await dayend.top_up(Actor(await User.get(username="society")), counter, 100_000, "NEFT-2")
    assert (await Wallet.get(counter_id=counter.id)).balance_paise == -await ledger.balance("kiosk_wallet:JP-LM-001") == 600_000
    for who, field in ((Actor(await User.get(username="operator1")), "actor"),):
        with pytest.raises(dayend.MoneyError) as err:
            await dayend.top_up(who, counter, 100, "X")
        assert err.value.field == field
    with pytest.raises(dayend.MoneyError) as err:
        await dayend.top_up(lsp_admin, counter, 0, "NEFT-3")
    assert err.value.field == "amount"
    # the wallet pays for a bill: the row and the ledger still agree
    actor, _, citizen = await _operator("operator1")
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "w-1")
    assert (await Wallet.get(counter_id=counter.id)).balance_paise == -await ledger.balance("kiosk_wallet:JP-LM-001") == 600_000 - 148_350
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_top_up_reference_is_one_whatever_its_capitals_and_spaces(demo_db):
    """The same bank payment typed "neft 1" and then "NEFT1" tops the wallet up once; so does one
    recorded before references were kept in one form (its key as it was typed then)."""
    _, counter, _ = await _operator("operator1")
    lsp = await LSP.get(id=counter.lsp_id)
    lsp.mode = "prepaid"
    await lsp.save()
    lsp_admin = Actor(await User.get(username="lsp"))
    done = await dayend.top_up(lsp_admin, counter, 500_000, " neft 1")
    assert done.reference == "NEFT1" and await LedgerEntry.exists(idempotency_key="topup:JP-LM-001:NEFT1")
    for typed in ("NEFT1", "Neft 1 ", "neft1"):
        again = await dayend.top_up(lsp_admin, counter, 500_000, typed)
        assert again.repeated and again.balance_paise == 500_000, typed
    with pytest.raises(dayend.MoneyError, match="already used"):
        await dayend.top_up(Actor(await User.get(username="society")), counter, 100_000, "neft1")
    # a top-up recorded before the fix, under its reference as typed then
    await ledger.post(counter.district_id, "topup:JP-LM-001:neft-old 9", "wallet top-up JP-LM-001 ref neft-old 9",
                      [ledger.debit("society_bank", 20_000), ledger.credit("kiosk_wallet:JP-LM-001", 20_000)])
    await Wallet.filter(counter_id=counter.id).update(balance_paise=520_000)
    old = await dayend.top_up(lsp_admin, counter, 20_000, "NEFT-OLD9")
    assert old.repeated and old.balance_paise == 520_000
    with pytest.raises(dayend.MoneyError, match="already used"):
        await dayend.top_up(lsp_admin, counter, 30_000, "Neft-Old 9")
    assert (await Wallet.get(counter_id=counter.id)).balance_paise == -await ledger.balance("kiosk_wallet:JP-LM-001") == 520_000
    assert await ledger.balance("society_bank") == 520_000 and (await ledger.check())["balanced"]


# --- pages ------------------------------------------------------------------------------------------

def _today_ist() -> dt.date:
    return dt.datetime.now(IST).date()


def _take_cash(web, username: str, key: str, code: str = BILL, data: dict | None = None) -> None:
    async def go():
        actor, counter, citizen = await _operator(username)
        await counter_core.record_cash(actor, counter, citizen, code, data or {"k_number": K}, key)
    web.run(go)


def test_the_operator_closes_the_drawer_and_prints_the_deposit_slip(web):
    _take_cash(web, "operator1", "p-1")
    _take_cash(web, "operator1", "p-2", BIRTH, _example(BIRTH))
    web.login("operator1")
    page = web.get("/counter/dayend")
    assert page.status_code == 200
    assert re.search(r'id="expected">₹1,493.50<', page.text) and re.search(r'id="retained">₹10.00<', page.text)
    assert re.search(r'id="deposit">₹1,483.50<', page.text)
    # without the form's CSRF token: refused
    assert web.post("/counter/dayend", data={"counted": "1493.50", "date": _today_ist().isoformat()}).status_code == 403
    # a malformed amount is named, nothing is closed
    bad = web.post_form("/counter/dayend", {"counted": "14,93.5.0", "date": _today_ist().isoformat()})
    assert bad.status_code == 400 and "Cash counted in the drawer" in bad.text and "is not an amount in rupees" in bad.text
    too_fine = web.post_form("/counter/dayend", {"counted": "1493.505", "date": _today_ist().isoformat()})
    assert too_fine.status_code == 400 and "more than two decimals" in too_fine.text
    assert web.run(lambda: DayEnd.all().count()) == 0
    done = web.post_form("/counter/dayend", {"counted": "1,493.50", "date": _today_ist().isoformat()})
    assert done.status_code == 303 and done.headers["location"].startswith("/dayend/DSJP0001")
    slip = web.get(done.headers["location"])
    assert slip.status_code == 200 and 'id="slip-deposit">₹1,483.50<' in slip.text and "SBI 0000 1234 5678" in slip.text
    assert re.search(r'id="slip-closed-by">Anil Verma \(operator1\) · ', slip.text)  # signed by a name, as the receipt is
    # pressed again with the same count (a double click on a slow link): the slip of the first press,
    # not "already closed ... ask the Society"; with another count: refused, naming the slip
    again = web.post_form("/counter/dayend", {"counted": "1493.50", "date": _today_ist().isoformat()})
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]
    other = web.post_form("/counter/dayend", {"counted": "1490", "date": _today_ist().isoformat()})
    assert other.status_code == 400 and "is already closed (deposit slip DSJP0001" in other.text
    assert web.run(lambda: DayEnd.all().count()) == 1
    assert web.run(lambda: AuditLog.filter(action="dayend.closed").count()) == 1
    # another counter's operator does not see the slip; other roles cannot use the day-end page
    web.logout()
    web.login("operator2")
    assert web.get(done.headers["location"]).status_code == 404
    web.logout()
    for username in ("lsp", "society", "officer", "citizen"):
        web.login(username)
        assert web.get("/counter/dayend").status_code == 403, username
        web.logout()
    assert web.run(lambda: ledger.check())["balanced"]


def test_the_society_sees_flagged_day_ends_first_and_confirms_a_deposit(web):
    _take_cash(web, "operator1", "q-1")
    _take_cash(web, "operator2", "q-2")
    web.login("operator1")
    assert web.post_form("/counter/dayend", {"counted": "1483.50", "date": _today_ist().isoformat()}).status_code == 303
    web.logout()
    web.login("operator2")
    assert web.post_form("/counter/dayend", {"counted": "1400", "date": _today_ist().isoformat()}).status_code == 303  # ₹83.50 short
    closed = web.get(f"/counter/dayend?date={_today_ist().isoformat()}")  # the closed day says the shortage, as the slip does
    assert "This day is closed." in closed.text and re.search(r"Shortage</th><td class=\"num error\" id=\"difference\">₹83.50<", closed.text)
    web.logout()
    web.login("operator1")
    assert web.get("/society/dayends").status_code == 403
    web.logout()
    web.login("society")
    page = web.get("/society/dayends")
    assert page.status_code == 200
    assert page.text.index("JP-JM-001") < page.text.index("JP-LM-001")  # the flagged one first
    day_end = web.run(lambda: DayEnd.get(counter__code="JP-LM-001"))
    path = f"/society/dayends/{day_end.id}/confirm"
    assert web.post(path, data={"bank_reference": "UTR1", "amount": "1483.50"}).status_code == 403  # no CSRF token
    bad = web.post_form(path, {"bank_reference": "UTR1", "amount": "abc"}, token_from="/society/dayends")
    assert bad.status_code == 400 and "Amount credited by the bank" in bad.text
    no_ref = web.post_form(path, {"bank_reference": "", "amount": "1483.50"}, token_from="/society/dayends")
    assert no_ref.status_code == 400 and "Bank reference" in no_ref.text
    ok = web.post_form(path, {"bank_reference": "UTR1", "amount": "1483.50"}, token_from="/society/dayends")
    assert ok.status_code == 303
    assert web.run(lambda: ledger.balance("society_bank")) == 148_350
    assert web.run(lambda: DayEnd.get(id=day_end.id)).status == "confirmed"


def test_the_lsp_reads_its_own_counters_day_ends_with_the_shortage_first(web):
    """An LSP admin had no list of its counters' day ends (only a slip, by a number it could not
    find): a shortage at its kiosk stayed unseen until the Society asked. Its Day ends page lists its
    own counters' ones as the Society's does, with no Confirm form and no other LSP's counter."""
    from emitra.core.models import CounterKind

    async def rival():
        jaipur = await Counter.get(code="JP-LM-001")
        other = await LSP.create(district_id=jaipur.district_id, name="Rival LSP")
        await Counter.create(district_id=jaipur.district_id, lsp=other, code="JP-LM-099", name="Rival centre",
                             kind=CounterKind.LOKMITRA, owner_name="Rival")

    web.run(rival)
    _take_cash(web, "operator1", "l-1")
    _take_cash(web, "operator2", "l-2")
    for username, counted in (("operator1", "1483.50"), ("operator2", "1400")):  # the kiosk ₹83.50 short
        web.login(username)
        assert web.post_form("/counter/dayend", {"counted": counted, "date": _today_ist().isoformat()}).status_code == 303
        web.logout()
    web.login("lsp")
    home = web.get("/")
    assert '<a href="/lsp/dayends">Day ends</a>' in home.text
    page = web.get("/lsp/dayends")
    assert page.status_code == 200 and "ask that counter's operator" in page.text
    assert page.text.index("JP-JM-001") < page.text.index("JP-LM-001")  # the flagged one first
    assert re.search(r'class="num error">-?₹83.50<', page.text)
    slip = web.run(lambda: DayEnd.get(counter__code="JP-JM-001")).slip_no
    assert f'href="/dayend/{slip}"' in page.text and web.get(f"/dayend/{slip}").status_code == 200
    assert "/confirm" not in page.text and "JP-LM-099" not in page.text
    assert re.search(r'id="awaiting-total"><th colspan="6">Awaiting deposit: 2 day ends</th>', page.text)
    other = web.get("/lsp/dayends?counter=JP-LM-099")
    assert other.status_code == 400 and "Counter: choose one of your counters from the list." in other.text
    web.get("/lang/hi")
    hi = web.get("/lsp/dayends?counter=JP-JM-001")
    assert hi.status_code == 200 and "उस काउंटर के ऑपरेटर से पूछें" in hi.text and "JP-LM-001</td>" not in hi.text
    web.logout()
    web.login("operator1")
    assert web.get("/lsp/dayends").status_code == 403


def test_the_lsp_tops_up_a_prepaid_wallet_on_its_page(web):
    async def prepaid():
        lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
        lsp.mode = "prepaid"
        await lsp.save()
    web.run(prepaid)
    web.login("operator1")
    assert web.get("/wallets").status_code == 403
    web.logout()
    web.login("lsp")
    assert web.get("/lsp/statement").status_code == 200
    bad = web.post_form("/wallets", {"counter": "JP-LM-001", "amount": "-5", "reference": "NEFT9"})
    assert bad.status_code == 400 and "Amount paid in" in bad.text and web.run(lambda: Wallet.all().count()) == 0
    ok = web.post_form("/wallets", {"counter": "JP-LM-001", "amount": "2,500", "reference": "NEFT9"})
    assert ok.status_code == 303
    assert 'id="wallet-JP-LM-001">₹2,500.00<' in web.get("/wallets").text
    assert web.run(lambda: ledger.balance("kiosk_wallet:JP-LM-001")) == -250_000


# --- one bank credit, one slip; nothing to deposit; refusals shown; notes in Hindi ----------------

@pytest.mark.anyio
async def test_one_bank_reference_confirms_one_slip_only(demo_db):
    """A bank reference that confirmed one slip is refused for another of the district, naming the
    slip it confirmed, one at a time or in a batch (the weekly reconciliation's)."""
    slips = []
    for username, key in (("operator1", "r-1"), ("operator2", "r-2"), ("operator1", "r-3")):
        actor, counter, citizen = await _operator(username)
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, key)
    await _move_entries_to(at(DAY, 12))
    for username in ("operator1", "operator2"):
        actor, counter, _ = await _operator(username)
        slips.append(await dayend.close_day(actor, counter, DAY, (await dayend.figures(counter, DAY, at(DAY, 18))).expected_paise, now=at(DAY, 18)))
    first, second = slips
    society = Actor(await User.get(username="society"))
    await dayend.confirm_deposit(society, first, "UTR-500", first.deposit_paise)
    with pytest.raises(dayend.MoneyError) as err:
        await dayend.confirm_deposit(society, second, "UTR-500", second.deposit_paise)
    assert err.value.field == "bank_reference" and first.slip_no in err.value.message_en and first.slip_no in err.value.message_hi
    assert (await DayEnd.get(id=second.id)).confirmed_at is None
    assert await ledger.balance("society_bank") == first.deposit_paise  # the second slip's money did not arrive twice
    # the reconciliation's batch: the same refusal, and the other deposits of the batch still go ahead
    actor, counter, citizen = await _operator("operator1")
    day2 = DAY + dt.timedelta(days=1)
    mark = await _last_entry_id()
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "r-4")
    await _move_entries_to(at(day2, 12), mark)
    third = await dayend.close_day(actor, counter, day2, 148_350, now=at(day2, 18))
    results = await dayend.confirm_deposits(society, [(second, "UTR-500", second.deposit_paise, day2), (third, "UTR-501", 148_350, day2)])
    assert isinstance(results[0], dayend.MoneyError) and first.slip_no in results[0].message_en
    assert isinstance(results[1], DayEnd) and results[1].status == "confirmed"
    assert await ledger.balance("society_bank") == first.deposit_paise + 148_350
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
async def test_a_slip_confirmed_twice_at_the_same_moment_is_confirmed_once(demo_db, batch):
    """Two Society staff confirming one slip at once (the Day ends page and a reconciliation run, or
    two runs of the week): both saw it open, and the second, under the district's lock, checked only
    the bank reference. The posting is idempotent, so the ledger had one entry, but the second wrote
    its own reference and confirmer over the first's and a second 'dayend.deposit_confirmed' audit
    record. Now the second finds the slip confirmed: the same reference and amount change nothing,
    another reference is refused naming the first."""
    import asyncio

    first, _, _ = await _three_slips()
    society = Actor(await User.get(username="society"))

    async def confirm(reference: str):
        if batch:
            [result] = await dayend.confirm_deposits(society, [(first, reference, first.deposit_paise, DAY)])
            if isinstance(result, Exception):
                raise result
            return result
        return await dayend.confirm_deposit(society, first, reference, first.deposit_paise, DAY)

    results = await asyncio.gather(confirm("UTR-600"), confirm("UTR-601"), return_exceptions=True)
    done = [r for r in results if isinstance(r, DayEnd)]
    refused = [r for r in results if isinstance(r, dayend.MoneyError)]
    assert len(done) == 1 and len(refused) == 1, results
    stored = await DayEnd.get(id=first.id)
    assert stored.bank_reference == done[0].bank_reference and f"bank reference {stored.bank_reference}" in refused[0].message_en
    assert await AuditLog.filter(action="dayend.deposit_confirmed").count() == 1
    assert await LedgerEntry.filter(idempotency_key=f"deposit:{first.slip_no}").count() == 1
    same = await asyncio.gather(confirm(stored.bank_reference), confirm(stored.bank_reference))  # said again by two: nothing changes
    assert [d.bank_reference for d in same] == [stored.bank_reference] * 2
    assert await AuditLog.filter(action="dayend.deposit_confirmed").count() == 1


async def _three_slips() -> tuple[DayEnd, DayEnd, DayEnd]:
    """Two counters' day ends of DAY and one of the day after, each with a bill's ₹1,483.50 to deposit."""
    slips = []
    for username, key in (("operator1", "s-1"), ("operator2", "s-2")):
        actor, counter, citizen = await _operator(username)
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, key)
    await _move_entries_to(at(DAY, 12))
    for username in ("operator1", "operator2"):
        actor, counter, _ = await _operator(username)
        slips.append(await dayend.close_day(actor, counter, DAY, 148_350, now=at(DAY, 18)))
    actor, counter, citizen = await _operator("operator1")
    day2, mark = DAY + dt.timedelta(days=1), await _last_entry_id()
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "s-3")
    await _move_entries_to(at(day2, 12), mark)
    slips.append(await dayend.close_day(actor, counter, day2, 148_350, now=at(day2, 18)))
    return slips[0], slips[1], slips[2]


@pytest.mark.anyio
async def test_a_bank_reference_is_one_whatever_its_capitals_and_spaces(demo_db):
    """One bank credit typed "utr9ab12" on one slip and "UTR 9AB12" on another is one reference: it
    is stored in capitals without spaces, and refused for the second slip, alone or in a batch."""
    first, second, third = await _three_slips()
    society = Actor(await User.get(username="society"))
    done = await dayend.confirm_deposit(society, first, " utr9ab12 ", 148_350)
    assert done.bank_reference == "UTR9AB12" and (await DayEnd.get(id=first.id)).bank_reference == "UTR9AB12"
    entry = await LedgerEntry.get(idempotency_key=f"deposit:{first.slip_no}")
    assert entry.memo.endswith("bank ref UTR9AB12")
    audit_detail = (await AuditLog.get(action="dayend.deposit_confirmed")).detail
    assert audit_detail["bank_reference"] == "UTR9AB12"
    for typed in ("UTR9AB12", "UTR 9AB12", "utr9AB12\t", "Utr 9ab 12"):
        with pytest.raises(dayend.MoneyError) as err:
            await dayend.confirm_deposit(society, second, typed, 148_350)
        assert err.value.field == "bank_reference" and first.slip_no in err.value.message_en and first.slip_no in err.value.message_hi, typed
    again = await dayend.confirm_deposit(society, first, "Utr9Ab12", 148_350)  # the same confirmation again: nothing changes
    assert again.bank_reference == "UTR9AB12" and await LedgerEntry.filter(idempotency_key__startswith="deposit:").count() == 1
    # the weekly reconciliation's batch: the same, and within one batch too
    results = await dayend.confirm_deposits(society, [(second, "utr 9ab12", 148_350, DAY), (third, "neft-7", 148_350, None),
                                                      (second, "NEFT-7", 148_350, None)])
    assert isinstance(results[0], dayend.MoneyError) and first.slip_no in results[0].message_en
    assert isinstance(results[1], DayEnd) and results[1].bank_reference == "NEFT-7"
    assert isinstance(results[2], dayend.MoneyError)  # (the second slip given twice, whatever the reference)
    alone = await dayend.confirm_deposits(society, [(second, " Neft-7", 148_350, None)])
    assert isinstance(alone[0], dayend.MoneyError) and third.slip_no in alone[0].message_en and third.slip_no in alone[0].message_hi
    assert (await DayEnd.get(id=second.id)).confirmed_at is None
    assert await ledger.balance("society_bank") == 2 * 148_350  # one credit, one slip: the second slip's money is still awaited
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_slip_given_twice_in_one_batch_is_confirmed_once(demo_db):
    """The same day end twice in one call of confirm_deposits: confirmed once; the second occurrence
    refused, naming the slip, in English and Hindi; the rest of the batch goes ahead (it failed whole)."""
    first, second, third = await _three_slips()
    society = Actor(await User.get(username="society"))
    results = await dayend.confirm_deposits(society, [(first, "UTR-1", 148_350, DAY), (second, "UTR-2", 148_350, DAY),
                                                      (first, "UTR-1", 148_350, DAY), (first, "UTR-3", 148_000, DAY)])
    assert [type(r).__name__ for r in results] == ["DayEnd", "DayEnd", "MoneyError", "MoneyError"]
    for refused in results[2:]:
        assert "given twice" in refused.message_en and first.slip_no in refused.message_en
        assert "दो बार" in refused.message_hi and first.slip_no in refused.message_hi
    assert "UTR-3" in results[3].message_en and "UTR-1" in results[3].message_en
    assert (await DayEnd.get(id=first.id)).bank_reference == "UTR-1" and (await DayEnd.get(id=second.id)).status == "confirmed"
    assert await ledger.balance("society_bank") == 2 * 148_350
    assert await AuditLog.filter(action="dayend.deposit_confirmed").count() == 2
    # a slip confirmed already, given twice (its first occurrence is the repeat of its confirmation)
    # beside one still awaited
    results = await dayend.confirm_deposits(society, [(first, "utr-1", 148_350, DAY), (third, "UTR-4", 148_350, None),
                                                      (first, "UTR-1", 148_350, DAY)])
    assert isinstance(results[0], DayEnd) and isinstance(results[1], DayEnd) and isinstance(results[2], dayend.MoneyError)
    assert first.slip_no in results[2].message_en
    assert await ledger.balance("society_bank") == 3 * 148_350
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_day_end_notes_are_written_in_hindi_too(demo_db):
    actor, counter, citizen = await _operator("operator1")
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "n-1")
    await _move_entries_to(at(DAY, 12))
    day_end = await dayend.close_day(actor, counter, DAY, 140_000, now=at(DAY, 18))  # ₹83.50 short
    assert day_end.note == "shortage ₹83.50" and day_end.note_hi == "नकद में कमी ₹83.50"
    done = await dayend.confirm_deposit(Actor(await User.get(username="society")), day_end, "UTR-9", 139_000)
    assert done.note == "shortage ₹83.50; bank credited ₹1,390.00, ₹10.00 less than the slip"
    assert done.note_hi == "नकद में कमी ₹83.50; बैंक ने ₹1,390.00 जमा किए, पर्ची से ₹10.00 कम"
    # a day end noted before the Hindi column (migration 0020): its English note is put into Hindi part by part
    old = DayEnd(note="includes ₹1,483.50 taken on 20-11-2026 after that day was closed; the drawer held less than the counter's "
                      "shares (₹70.00): ₹20.00 of them stay owed to the LSP; excess ₹20.00; bank credited ₹1,480.00, ₹3.50 more than the slip")
    assert dayend.note_hi(old) == ("इसमें ₹1,483.50 शामिल है जो 20-11-2026 को उस दिन के बंद होने के बाद लिया गया; दराज़ में काउंटर के हिस्सों (₹70.00) "
                                   "से कम नकद था: उनमें से ₹20.00 एलएसपी को देय रहता है; अधिक नकद ₹20.00; बैंक ने ₹1,480.00 जमा किए, पर्ची से ₹3.50 अधिक")


def _close_today(web, username: str, counted: str) -> str:
    web.login(username)
    done = web.post_form("/counter/dayend", {"counted": counted, "date": _today_ist().isoformat()})
    assert done.status_code == 303, done.text
    web.logout()
    return done.headers["location"].rsplit("/", 1)[-1]


def test_a_day_with_nothing_to_deposit_is_not_awaited_anywhere(web):
    """An empty drawer closes with a slip of ₹0: the slip, the operator's page and the Society's say
    there is nothing to deposit (not "awaiting"), and confirming it is refused on the page, saying why."""
    slip = _close_today(web, "operator1", "0")
    web.login("operator1")
    page = web.get(f"/dayend/{slip}")
    assert "Nothing to deposit" in page.text and "Awaiting the bank" not in page.text and "Write the deposit slip number" not in page.text
    own = web.get("/counter/dayend")
    assert "closed, nothing to deposit" in own.text and "deposit awaited" not in own.text
    web.logout()
    web.login("society")
    page = web.get("/society/dayends")
    row = page.text[page.text.index(slip):]
    row = row[:row.index("</tr>")]
    assert "nothing to deposit" in row and "awaiting deposit" not in row and "<form" not in row
    day_end = web.run(lambda: DayEnd.get(slip_no=slip))
    refused = web.post_form(f"/society/dayends/{day_end.id}/confirm", {"bank_reference": "UTR1", "amount": "1.00"}, token_from="/society/dayends")
    assert refused.status_code == 400 and f"{slip} has nothing to deposit" in refused.text and 'role="alert"' in refused.text
    assert web.run(lambda: ledger.balance("society_bank")) == 0
    web.get("/lang/hi?next=/")
    hindi = web.get(f"/dayend/{slip}")
    assert "जमा करने को कुछ नहीं" in hindi.text


def test_a_refused_confirmation_is_shown_on_the_page_with_the_reason(web):
    """A slip confirmed already, confirmed again with another bank reference; another slip confirmed
    with a bank reference already used: each refusal is a page naming the slip and the reason."""
    _take_cash(web, "operator1", "x-1")
    _take_cash(web, "operator2", "x-2")
    first, second = _close_today(web, "operator1", "1483.50"), _close_today(web, "operator2", "1400")  # the second ₹83.50 short
    web.login("society")
    ids = {s: web.run(lambda s=s: DayEnd.get(slip_no=s)).id for s in (first, second)}
    ok = web.post_form(f"/society/dayends/{ids[first]}/confirm", {"bank_reference": "UTR-1", "amount": "1483.50"}, token_from="/society/dayends")
    assert ok.status_code == 303
    again = web.post_form(f"/society/dayends/{ids[first]}/confirm", {"bank_reference": "UTR-2", "amount": "1483.50"}, token_from="/society/dayends")
    assert again.status_code == 400
    assert f"Deposit slip {first} was not confirmed." in again.text and "already confirmed with bank reference UTR-1" in again.text
    reused = web.post_form(f"/society/dayends/{ids[second]}/confirm", {"bank_reference": "UTR-1", "amount": "1400"}, token_from="/society/dayends")
    assert reused.status_code == 400 and f"already confirmed deposit slip {first}" in html_text(reused.text)
    retyped = web.post_form(f"/society/dayends/{ids[second]}/confirm", {"bank_reference": " utr -1", "amount": "1400"}, token_from="/society/dayends")
    assert retyped.status_code == 400 and f"Bank reference UTR-1 already confirmed deposit slip {first}" in html_text(retyped.text)
    assert web.run(lambda: ledger.balance("society_bank")) == 148_350
    # the note of the short day end is in Hindi on the Hindi page
    web.get("/lang/hi?next=/")
    hindi = web.get("/society/dayends")
    assert "नकद में कमी ₹83.50" in hindi.text and "shortage" not in hindi.text



def test_a_refused_confirmation_keeps_the_bank_reference_and_amount_typed_on_its_row(web):
    """The deposit confirmed with an amount mistyped: the page said why but emptied the bank reference
    and put the slip's amount back, so the Society typed the reference again (and might confirm the
    slip's amount, not the bank's)."""
    _take_cash(web, "operator1", "t-1")
    slip = _close_today(web, "operator1", "1483.50")
    web.login("society")
    day_end = web.run(lambda: DayEnd.get(slip_no=slip))
    for lang, words in (("en", "Amount credited by the bank"), ("hi", "बैंक द्वारा जमा (क्रेडिट) की गई राशि")):
        web.get(f"/lang/{lang}?next=/")
        refused = web.post_form(f"/society/dayends/{day_end.id}/confirm", {"bank_reference": "UTR-TYPED-9", "amount": "1,4835O"},
                                token_from="/society/dayends")
        assert refused.status_code == 400 and words in html_text(refused.text)
        form = refused.text[refused.text.index(f'action="/society/dayends/{day_end.id}/confirm"'):]
        form = form[:form.index("</form>")]
        assert 'value="UTR-TYPED-9"' in form and 'value="1,4835O"' in form and 'aria-invalid="true"' in form
    assert web.run(lambda: ledger.balance("society_bank")) == 0

def html_text(text: str) -> str:
    import html

    return html.unescape(text)


def test_the_page_of_a_later_day_warns_that_an_earlier_open_days_cash_is_in_its_figures(web):
    """Cash taken yesterday (not closed) and today: today's page says yesterday is open and that its
    cash is in today's figures until it is closed (closing today is refused until then)."""
    today = _today_ist()
    yesterday = today - dt.timedelta(days=1)

    async def yesterdays_cash():
        mark = await _last_entry_id()
        actor, counter, citizen = await _operator("operator1")
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "early-1")
        await _move_entries_to(at(yesterday, 11), after_id=mark)

    web.run(yesterdays_cash)
    _take_cash(web, "operator1", "early-2", BIRTH, _example(BIRTH))
    web.login("operator1")
    page = web.get(f"/counter/dayend?date={today.isoformat()}")
    assert page.status_code == 200 and 'id="earlier-open"' in page.text
    assert f"{yesterday:%d-%m-%Y} is still open at this counter: close it first" in html_text(page.text)
    assert 'id="earlier-open"' not in web.get(f"/counter/dayend?date={yesterday.isoformat()}").text


def test_a_bank_reference_on_several_slips_from_before_is_listed_for_the_society(web):
    """Two slips confirmed before the rule with one bank credit (or with its reference in other
    capitals, which migration 0022 made the same): the Day ends page lists them to be checked."""
    _take_cash(web, "operator1", "sh-1")
    _take_cash(web, "operator2", "sh-2")
    first, second = _close_today(web, "operator1", "1483.50"), _close_today(web, "operator2", "1483.50")

    async def confirmed_with_one_reference():
        society = Actor(await User.get(username="society"))
        for slip, ref in ((first, "UTR-7"), (second, "UTR-8")):
            await dayend.confirm_deposit(society, await DayEnd.get(slip_no=slip), ref, 148_350)
        await DayEnd.filter(slip_no=second).update(bank_reference="UTR-7")  # as a database from before may hold it
    web.run(confirmed_with_one_reference)
    web.login("society")
    page = html_text(web.get("/society/dayends").text)
    assert f"Bank reference UTR-7 confirmed 2 deposit slips: {first}" in page and second in page.split("Bank reference UTR-7")[1][:200]
    web.get("/lang/hi?next=/")
    hindi = html_text(web.get("/society/dayends").text)
    assert "बैंक संदर्भ UTR-7 से 2 जमा पर्चियों की पुष्टि हुई है" in hindi
    web.get("/lang/en?next=/")
    web.run(lambda: DayEnd.filter(slip_no=second).update(bank_reference="UTR-8"))
    assert "confirmed 2 deposit slips" not in web.get("/society/dayends").text


def test_cash_taken_after_the_days_close_is_the_next_day_ends_not_a_reopened_day(web):
    """Closed today (counted = expected), then one more bill the same evening: that cash is carried
    into the next day end. Tomorrow's page does not call today open, the page without a date opens
    tomorrow with the carried cash (not the closed today again), and tomorrow's close takes it."""
    today = _today_ist()
    tomorrow = today + dt.timedelta(days=1)
    _take_cash(web, "operator1", "c-1")
    web.login("operator1")
    assert web.post_form("/counter/dayend", {"counted": "1483.50", "date": today.isoformat()}).status_code == 303
    _take_cash(web, "operator1", "c-2")  # after the close
    page = web.get(f"/counter/dayend?date={tomorrow.isoformat()}")
    assert page.status_code == 200 and 'id="earlier-open"' not in page.text and "still open" not in html_text(page.text)
    assert re.search(r'id="expected">₹1,483.50<', page.text) and "of which taken after the previous day was closed" in page.text
    default = web.get("/counter/dayend")
    assert f'name="date" type="date" value="{tomorrow.isoformat()}"' in default.text and "This day is closed" not in default.text
    assert re.search(r'id="expected">₹1,483.50<', default.text)
    again = web.post_form("/counter/dayend", {"counted": "1483.50", "date": today.isoformat()})
    assert again.status_code == 400 and "is already closed" in html_text(again.text)

    async def close_tomorrow():
        actor, counter, _ = await _operator("operator1")
        assert await dayend.next_open_date(counter) == tomorrow
        closed = await dayend.close_day(actor, counter, tomorrow, 148_350, now=at(tomorrow, 19))
        assert (closed.expected_paise, closed.difference_paise) == (148_350, 0) and "after that day was closed" in closed.note
        assert await dayend.next_open_date(counter) is None and await ledger.balance(f"counter_cash:{counter.code}") == 0

    web.run(close_tomorrow)


def test_the_society_sees_the_total_of_the_deposits_awaited_in_english_and_hindi(web):
    """Under the list, one row counts the day ends awaiting their deposit and adds up their deposits,
    as the "Waiting today" panel does; a confirmed one leaves the total."""
    _take_cash(web, "operator1", "t-1")
    _take_cash(web, "operator2", "t-2")
    _close_today(web, "operator1", "1483.50")
    _close_today(web, "operator2", "1400")  # ₹83.50 short: ₹1,400.00 to deposit
    web.login("society")

    def total() -> str:
        page = web.get("/society/dayends").text
        row = page[page.index('id="awaiting-total">') + len('id="awaiting-total">'):]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row[:row.index("</tr>")])).strip()

    assert total() == "Awaiting deposit: 2 day ends ₹2,883.50"
    day_end = web.run(lambda: DayEnd.get(counter__code="JP-LM-001"))
    ok = web.post_form(f"/society/dayends/{day_end.id}/confirm", {"bank_reference": "UTR7", "amount": "1483.50"},
                       token_from="/society/dayends")
    assert ok.status_code == 303
    assert total() == "Awaiting deposit: 1 day end ₹1,400.00"
    web.get("/lang/hi?next=/")
    assert total() == "जमा की प्रतीक्षा: 1 दिन-अंत ₹1,400.00"


async def _day_ends(code: str, days: int, start: dt.date, flagged: tuple[int, ...] = ()) -> list[DayEnd]:
    """``days`` day ends of counter ``code`` awaiting their deposit, the days before ``start``
    (₹100.00 and a paisa more each day further back); those numbered in ``flagged`` flagged."""
    counter = await Counter.get(code=code)
    made = []
    for n in range(days):
        day = start - dt.timedelta(days=n + 1)
        deposit = 10_000 + n
        made.append(await DayEnd.create(
            district_id=counter.district_id, counter=counter, business_date=day, expected_paise=deposit, counted_paise=deposit,
            retained_paise=0, deposit_paise=deposit, difference_paise=0, slip_no=f"DS{code[:2]}{counter.id:04d}{day:%Y%m%d}{n}",
            status="flagged" if n in flagged else "closed", closed_by="operator1"))
    return made


def _rows_shown(page: str) -> list[str]:
    """The slips the Day ends page lists, in order."""
    return re.findall(r'<td><a href="/dayend/([A-Z0-9]+)">', page)


def test_the_day_ends_are_paged_and_filtered_and_a_confirmation_returns_to_its_page(web, monkeypatch):
    """The page listed every day end awaiting its deposit and 100 done with, in one page. It is paged
    as the Society's other long lists (web/params.page_number, the pager of macros.html: links, no
    script), filtered by counter and status, and the filters and page are kept by the pager's links,
    by a confirmation (back to the same page) and by a refused one; the total counts every page."""
    from emitra.web import money as money_pages

    monkeypatch.setattr(money_pages, "DAYENDS_PER_PAGE", 4, raising=False)  # (the old page had no pages: it fails below)
    today = _today_ist()
    web.run(lambda: _day_ends("JP-LM-001", 7, today))
    kiosk = web.run(lambda: _day_ends("JP-JM-001", 3, today, flagged=(2,)))
    web.login("society")
    first = web.get("/society/dayends")
    assert first.status_code == 200 and len(_rows_shown(first.text)) == 4
    assert _rows_shown(first.text)[0] == kiosk[2].slip_no  # the flagged one first, on the first page
    assert "Page 1 of 3" in first.text and 'href="/society/dayends?page=2" rel="next"' in first.text
    assert "Awaiting deposit: 10 day ends" in first.text and "every page" in first.text
    listed = [slip for n in (1, 2, 3) for slip in _rows_shown(web.get(f"/society/dayends?page={n}").text)]
    assert len(listed) == len(set(listed)) == 10  # each day end once, on one page
    own = web.get("/society/dayends?counter=JP-LM-001")
    assert "Page 1 of 2" in own.text and 'href="/society/dayends?counter=JP-LM-001&amp;page=2" rel="next"' in own.text
    total = sum(10_000 + n for n in range(7))
    assert re.search(rf'Awaiting deposit: 7 day ends</th>\s*<td class="num">₹{total // 100:,}\.{total % 100:02d}<', own.text)
    second = web.get("/society/dayends?counter=JP-LM-001&page=2")
    slips = _rows_shown(second.text)
    assert len(slips) == 3 and all(s.startswith("DSJP") for s in slips)
    assert 'href="/society/dayends?counter=JP-LM-001&amp;page=1" rel="prev"' in second.text
    day_end = web.run(lambda: DayEnd.get(slip_no=slips[0]))
    form = second.text[second.text.index(f'action="/society/dayends/{day_end.id}/confirm"'):]
    form = form[:form.index("</form>")]
    assert '<input type="hidden" name="counter" value="JP-LM-001">' in form and '<input type="hidden" name="page" value="2">' in form
    sent = {"counter": "JP-LM-001", "page": "2", "bank_reference": "UTR-P2", "amount": "abc"}
    refused = web.post_form(f"/society/dayends/{day_end.id}/confirm", sent, token_from="/society/dayends")
    assert refused.status_code == 400 and slips[0] in _rows_shown(refused.text) and "Page 2 of 2" in refused.text
    done = web.post_form(f"/society/dayends/{day_end.id}/confirm", {**sent, "amount": f"{day_end.deposit_paise / 100:.2f}"},
                         token_from="/society/dayends")
    assert done.status_code == 303 and done.headers["location"] == f"/society/dayends?counter=JP-LM-001&page=2&done={slips[0]}"
    finished = web.get("/society/dayends?status=done")
    assert _rows_shown(finished.text) == [slips[0]] and "awaiting-total" not in finished.text
    assert _rows_shown(web.get("/society/dayends?status=flagged").text) == [kiosk[2].slip_no]
    for query, words in (("counter=XX-99", "Counter: choose one of the district&#39;s counters"), ("status=lost", "Status: choose"),
                         ("page=abc", "Page")):
        bad = web.get(f"/society/dayends?{query}")
        assert bad.status_code == 400 and words in bad.text and len(_rows_shown(bad.text)) == 4, query
    web.get("/lang/hi?next=/")
    hindi = web.get("/society/dayends?counter=JP-LM-001")
    assert "पृष्ठ 1, कुल 2" in hindi.text
    assert "सभी पृष्ठ" in hindi.text and "दिन-अंत छाँटें" in hindi.text


def test_the_day_ends_total_and_the_waiting_today_panel_count_a_reference_without_its_confirmation_alike(web):
    """A day end holding a bank reference but no confirmation (its deposit still in transit in the
    ledger, its Confirm form still offered) was in the Day ends page's total and not in the Waiting
    today panel's "Cash deposits in transit": the two now count it alike (decision 120)."""
    from emitra.core import society_today

    today = _today_ist()
    made = web.run(lambda: _day_ends("JP-LM-001", 2, today))
    web.run(lambda: DayEnd.filter(id=made[0].id).update(bank_reference="UTR-HALF"))

    async def panel():
        society = await User.get(username="society")
        rows = {r.kind: r for r in await society_today.waiting(society.district_id, dayend.utcnow())}
        return rows["deposits"].count, rows["deposits"].amount_paise
    assert web.run(panel) == (2, 10_000 + 10_001)
    web.login("society")
    page = web.get("/society/dayends").text
    assert re.search(r'Awaiting deposit: 2 day ends</th>\s*<td class="num">₹200\.01<', page)
    assert f'action="/society/dayends/{made[0].id}/confirm"' in page  # still offered to be confirmed


def test_an_amount_box_left_empty_on_the_societys_pages_says_the_box_is_empty(web):
    """The deposit's *Amount credited by the bank* and the fee schedule's *New rate* left empty were
    refused "'' is not an amount in rupees" (a quoted nothing; the fee without its box's name)."""
    _take_cash(web, "operator1", "e-1")
    slip = _close_today(web, "operator1", "1483.50")
    web.login("society")
    day_end = web.run(lambda: DayEnd.get(slip_no=slip))
    path = f"/society/dayends/{day_end.id}/confirm"
    said = {"en": ("Amount credited by the bank: the box is empty: type the amount in rupees, for example 125.50.",
                   "New rate (₹): the box is empty: type the amount in rupees, for example 125.50."),
            "hi": ("बैंक द्वारा जमा (क्रेडिट) की गई राशि: खाना खाली है: राशि रुपये में लिखें, जैसे 125.50।",
                   "नई दर (₹): खाना खाली है: राशि रुपये में लिखें, जैसे 125.50।")}
    for lang, (deposit, fee) in said.items():
        web.get(f"/lang/{lang}?next=/")
        empty = web.post_form(path, {"bank_reference": "UTR-E1", "amount": " "}, token_from="/society/dayends")
        assert empty.status_code == 400 and deposit in html_text(empty.text) and "&#39;&#39;" not in empty.text, html_text(empty.text)
        unset = web.post_form("/admin/fees", {"service_code": BILL, "fee_rupees": ""})
        assert unset.status_code == 400 and fee in html_text(unset.text), html_text(unset.text)
        typed = web.post_form("/admin/fees", {"service_code": BILL, "fee_rupees": "abc"})  # a word: named with its box too
        assert typed.status_code == 400 and fee.split(":")[0] + ": " in html_text(typed.text)
    assert web.run(lambda: DayEnd.get(id=day_end.id)).confirmed_at is None

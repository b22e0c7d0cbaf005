"""The drawers' half-hourly totals (decision 124): kept with every entry a counter writes, read by the
day end for the whole half hours of its window, checked by ``emitra ledger check`` and written again
from the postings by ``emitra ledger rebuild-drawer-totals`` and by migration 0033."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections

from emitra.core import counter as counter_core
from emitra.core import dayend, drawer_totals, ledger
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, Counter, DrawerTotal, LedgerEntry, User
from emitra.core.plugins import get_host

pytestmark = pytest.mark.anyio

IST = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2026, 11, 20)
BILL, K = "gov.rj.jvvnl.bill", "210412345678"  # ₹1,483.50; Rs 3.95 paid by JVVNL
BIRTH, PHOTOCOPY, BUS = "gov.rj.pehchan.birth_certificate", "pvt.lsp.photocopy", "pvt.rsrtc.bus_ticket"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=IST)


async def _a_day_at_the_counter() -> tuple[Actor, Counter]:
    """A morning and an afternoon of cash at JP-LM-001: a bill (the department pays the charge), a
    certificate (the citizen pays it: shares kept back), photocopies (the LSP's own sale), and the bill
    paid on a cheque (no cash); the afternoon's certificate's entry reversed. Each dated as taken."""
    user = await User.get(username="operator1")
    actor, counter = Actor(user, via="test"), await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    birth = dict(get_host().registry.get(BIRTH).example)
    mark = 0
    for key, code, data, moment in (("d-1", BILL, {"k_number": K}, at(DAY, 9, 10)), ("d-2", BIRTH, birth, at(DAY, 9, 40)),
                                    ("d-3", PHOTOCOPY, {"quantity": 25, "both_sides": True}, at(DAY, 11, 5)),
                                    ("d-4", BIRTH, {**birth, "child_name": "Asha"}, at(DAY, 16, 20))):
        request = await counter_core.record_cash(actor, counter, citizen, code, data, key)
        await drawer_totals.redate(LedgerEntry.filter(id__gt=mark), moment)
        mark = (await LedgerEntry.all().order_by("-id").first()).id
    await ledger.reverse(await LedgerEntry.get(request_id=request.id), "taken twice")
    await drawer_totals.redate(LedgerEntry.filter(id__gt=mark), at(DAY, 16, 45))
    return actor, counter


async def _plain(counter: Counter) -> dict[str, tuple[int, int]]:
    """The drawer's half hours of DAY as the postings say them: {since: (total, postings)}."""
    rows = await ledger.rows(drawer_totals.from_postings_sql(connections.get("default").capabilities.dialect), [])
    return {drawer_totals._text(r["since"]): (int(r["total"]), int(r["n"])) for r in rows
            if r["drawer"] == r["account"] == f"counter_cash:{counter.code}"}


async def test_a_counters_day_is_kept_by_the_half_hour_and_closed_from_it_to_the_paisa(demo_db):
    actor, counter = await _a_day_at_the_counter()
    drawer = f"counter_cash:{counter.code}"
    kept = {drawer_totals._text(r.since): (r.total_paise, r.postings)
            for r in await DrawerTotal.filter(drawer=drawer, account=drawer)}
    # four half hours took cash (09:00, 09:30, 11:00 and 16:00 IST), and the reversal gave it back in 16:30
    assert sorted(kept) == ["2026-11-20 03:30:00+00:00", "2026-11-20 04:00:00+00:00", "2026-11-20 05:30:00+00:00",
                            "2026-11-20 10:30:00+00:00", "2026-11-20 11:00:00+00:00"]
    assert kept == await _plain(counter) and await drawer_totals.problems() == []
    assert sum(t for t, _ in kept.values()) == await ledger.balance(drawer)  # nothing else moved the drawer
    # the shares kept back: the LSP's sale, and the certificate's shares (the reversed one's given back)
    shares = {r.account: r.total_paise for r in await DrawerTotal.filter(drawer=drawer).exclude(account=drawer)}
    assert shares and all(a.startswith(drawer_totals.RETAINED_PREFIXES) for a in shares)

    fig = await dayend.figures(counter, DAY, at(DAY, 20))
    assert fig.expected_paise == await ledger.balance(drawer) and fig.entries == sum(n for _, n in kept.values())
    closed = await dayend.close_day(actor, counter, DAY, fig.expected_paise, now=at(DAY, 20))
    assert closed.difference_paise == 0 and closed.retained_paise == fig.retained_paise > 0
    # the day end's own entry empties the drawer and is never in its totals
    assert await ledger.balance(drawer) == 0 and await drawer_totals.problems() == []
    assert {drawer_totals._text(r.since) for r in await DrawerTotal.filter(drawer=drawer, account=drawer)} == set(kept)


async def test_the_day_end_reads_the_totals_and_the_check_finds_one_that_differs_from_the_books(demo_db, tmp_path, monkeypatch):
    """A total changed behind the books' back shows in the day end's figure (it is what the day end
    reads), and `emitra ledger check` names it with the fix; `emitra ledger rebuild-drawer-totals`
    writes the totals again from the postings, audited, and the figure is the books' again."""
    from tests.case_helpers import run_commands
    from tests.conftest import DB_URL

    _, counter = await _a_day_at_the_counter()
    monkeypatch.setattr(dayend, "_FEW_ENTRIES", 0)  # books of a district's size: a window opens at the drawer's first cash
    drawer = f"counter_cash:{counter.code}"
    right = (await dayend.figures(counter, DAY, at(DAY, 20))).expected_paise
    row = await DrawerTotal.get(drawer=drawer, account=drawer, since=dt.datetime(2026, 11, 20, 5, 30, tzinfo=dt.timezone.utc))  # 11:00 IST
    await DrawerTotal.filter(id=row.id).update(total_paise=row.total_paise + 100)
    assert (await dayend.figures(counter, DAY, at(DAY, 20))).expected_paise == right + 100
    [problem] = (await ledger.check())["problems"]
    assert problem.startswith(f"drawer total {drawer} 2026-11-20 05:30:00+00:00 {drawer}: {row.total_paise + 100} paise in "
                              f"{row.postings} postings kept, but the postings say {row.total_paise} in {row.postings}")
    assert "emitra ledger rebuild-drawer-totals" in problem

    check, rebuild, again = run_commands(tmp_path, [["ledger", "check"], ["ledger", "rebuild-drawer-totals"], ["ledger", "check"]],
                                         database_url=DB_URL)
    assert check[0] == 1 and "NOT BALANCED" in check[1] and f"drawer total {drawer}" in check[1]
    assert rebuild[0] == 0 and "(1 differed before)" in rebuild[1], rebuild
    assert again[0] == 0 and again[1].startswith("balanced"), again
    assert (await dayend.figures(counter, DAY, at(DAY, 20))).expected_paise == right
    record = await AuditLog.filter(action="ledger.drawer_totals_rebuilt").get()
    assert record.detail["differing_before"] == 1 and record.detail["rows"] == await DrawerTotal.all().count()


async def test_a_window_closed_mid_half_hour_reads_its_ends_from_the_postings(demo_db):
    """A counter closed at 09:50 (before its day was over) and again at the day's end: the first
    window's last part half hour (09:30–09:50) and the second's first (09:50–10:00) come from the
    postings, each payment counted in the window it was taken in."""
    user = await User.get(username="operator1")
    actor, counter = Actor(user, via="test"), await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    mark = 0
    for key, moment in (("w-1", at(DAY, 9, 35)), ("w-2", at(DAY, 9, 55)), ("w-3", at(DAY, 14, 0))):
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, key)
        await drawer_totals.redate(LedgerEntry.filter(id__gt=mark), moment)
        mark = (await LedgerEntry.all().order_by("-id").first()).id
    bill = (await dayend.figures(counter, DAY, at(DAY, 9, 50))).expected_paise
    assert bill == 148_350  # ₹1,483.50: the 09:35 payment alone
    await dayend.close_day(actor, counter, DAY, bill, now=at(DAY, 9, 50))
    await drawer_totals.redate(LedgerEntry.filter(id__gt=mark), at(DAY, 9, 50))  # the day end's entry, when it was made
    later = await dayend.figures(counter, DAY + dt.timedelta(days=1), at(DAY + dt.timedelta(days=1), 20))
    assert later.expected_paise == 2 * bill and later.carried_paise == 2 * bill and later.entries == 2


async def test_migration_0033_writes_the_totals_of_the_books_before_it(demo_db):
    """Migration 0033, run again on the suite's database: the totals of the postings written before
    it, whatever the table held (here: nothing)."""
    from tests.test_migrations import _migrated_again_after

    _, counter = await _a_day_at_the_counter()
    before = {(r.drawer, drawer_totals._text(r.since), r.account): (r.total_paise, r.postings) for r in await DrawerTotal.all()}
    await DrawerTotal.all().delete()
    assert await drawer_totals.problems()  # the day's cash is no longer in them
    await _migrated_again_after("0032_statement_entry_own_district")
    after = {(r.drawer, drawer_totals._text(r.since), r.account): (r.total_paise, r.postings) for r in await DrawerTotal.all()}
    assert after == before and len(after) > 5 and await drawer_totals.problems() == []

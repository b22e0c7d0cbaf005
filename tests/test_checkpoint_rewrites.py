"""A recorded week's balances (the next week's opening) are trusted only while nothing behind them
was rewritten: an edit or deletion of a posting or an entry by hand, or a re-dating, makes the next
run sum the history again, and its figures are the books' (decision 159). On both databases: the
count of rewrites is kept by triggers of each."""

from __future__ import annotations

import datetime as dt

import pytest

from emitra.core import dayend, drawer_totals, ledger_rewrites
from emitra.core import reconcile as rec
from emitra.core.models import BalanceCheckpoint, LedgerEntry, Posting
from tests.test_reconcile import _a_week, _post_dated, _rolls

pytestmark = pytest.mark.anyio


async def _truth(district_id: int, week: tuple[dt.date, dt.date], monkeypatch) -> rec.Report:
    """The week's report with its opening balances summed from every posting."""
    async def from_history(*_args):
        return None

    with monkeypatch.context() as m:
        m.setattr(rec, "_usable_checkpoint", from_history)
        return await rec.build_report(district_id, *week)


async def _recorded_then_next_week(tmp_path) -> tuple[dict, BalanceCheckpoint, tuple[dt.date, dt.date]]:
    w = await _a_week(tmp_path)
    district, (start, end) = w["district"], w["week"]
    await rec.reconcile(w["actor"], district.id, start, end)
    cp = await BalanceCheckpoint.get(district_id=district.id)
    week2 = (start + dt.timedelta(days=7), end + dt.timedelta(days=7))
    await _post_dated(district.id, "test:week2", week2[0] + dt.timedelta(days=1), 5_000)  # made after it: not a rewrite
    return w, cp, week2


@pytest.mark.parametrize("how", ["amount edited", "posting deleted", "entry deleted"])
async def test_a_posting_edited_or_deleted_by_hand_behind_a_recorded_week_makes_the_next_run_read_the_history(
        demo_db, tmp_path, monkeypatch, how):
    w, cp, week2 = await _recorded_then_next_week(tmp_path)
    district = w["district"]
    assert cp.rewrites is not None and cp.rewrites == await ledger_rewrites.count()
    carried = await rec.build_report(district.id, *week2)
    assert carried.opening_from == cp.as_of and _rolls(carried) == _rolls(await _truth(district.id, week2, monkeypatch))
    payout = await LedgerEntry.get(idempotency_key="payout:po_test1")  # in the recorded week
    bank = await Posting.get(entry_id=payout.id, account="society_bank")
    conn = Posting._meta.db
    if how == "amount edited":  # a person with the database's password "corrects" a figure in place
        await conn.execute_query(f'UPDATE "posting" SET "amount_paise" = "amount_paise" + 100 WHERE "id" = {bank.id}')
    elif how == "posting deleted":
        await conn.execute_query(f'DELETE FROM "posting" WHERE "id" = {bank.id}')
    else:
        await conn.execute_query(f'DELETE FROM "statement_entry" WHERE "entry_id" = {payout.id}')  # (its import vouched for it)
        await conn.execute_query(f'DELETE FROM "posting" WHERE "entry_id" = {payout.id}')
        await conn.execute_query(f'DELETE FROM "ledger_entry" WHERE "id" = {payout.id}')
    assert await ledger_rewrites.count() > cp.rewrites
    again = await rec.build_report(district.id, *week2)
    truth = await _truth(district.id, week2, monkeypatch)
    # not the recorded week's balances (which the edit no longer matches): the history summed again
    assert again.opening_from is None and _rolls(again) == _rolls(truth)
    opening = next(a.opening_paise for a in again.accounts if a.account == "society_bank")
    moved = {"amount edited": 100, "posting deleted": -49_000, "entry deleted": -49_000}[how]
    assert opening == cp.balances["society_bank"] + moved


async def test_entries_made_and_re_dated_after_a_recorded_week_leave_its_balances_in_use(demo_db, tmp_path, monkeypatch):
    """A test or a demo re-dating the entries it has just made (ids after the checkpoint's) is not a
    rewrite of what the checkpoint covers: the next week still opens from it, with the books' figures."""
    w, cp, week2 = await _recorded_then_next_week(tmp_path)
    district = w["district"]
    await _post_dated(district.id, "test:late", w["week"][0] + dt.timedelta(days=2), 700)  # made now, dated in the recorded week
    assert await ledger_rewrites.count() == cp.rewrites
    carried = await rec.build_report(district.id, *week2)
    assert carried.opening_from == cp.as_of and _rolls(carried) == _rolls(await _truth(district.id, week2, monkeypatch))
    # one the checkpoint covers, re-dated into the next week: counted, and the history read again
    moved = await LedgerEntry.get(idempotency_key="payout:po_test1")
    await drawer_totals.redate(LedgerEntry.filter(id=moved.id), dt.datetime.combine(week2[0], dt.time(9), dayend.ZoneInfo("Asia/Kolkata")))
    assert await ledger_rewrites.count() == cp.rewrites + 1
    again = await rec.build_report(district.id, *week2)
    assert again.opening_from is None and _rolls(again) == _rolls(await _truth(district.id, week2, monkeypatch))


async def test_a_second_recorded_week_counts_only_the_entries_since_the_first(demo_db, tmp_path, monkeypatch):
    """The next checkpoint's check covers the ids since the last one (and the last LATE_IDS): its
    cost is the week's, not the years'. A checkpoint from before migration 0039 (no rewrite count)
    is still checked by every entry before it."""
    monkeypatch.setattr(rec, "LATE_IDS", 0)
    w, first, week2 = await _recorded_then_next_week(tmp_path)
    district = w["district"]
    assert first.window_from == 0  # the first checkpoint of the books: every id
    await rec.reconcile(w["actor"], district.id, *week2, today=week2[1])
    second = await BalanceCheckpoint.filter(district_id=district.id).order_by("-id").first()
    assert second.as_of > first.as_of and second.window_from == first.through_id
    assert (second.entries, second.id_sum) == await rec._entries_checksum(second.as_of, second.through_id, first.through_id)
    assert second.entries < await LedgerEntry.filter(created_at__lt=second.as_of, id__lte=second.through_id).count()
    week3 = (week2[0] + dt.timedelta(days=7), week2[1] + dt.timedelta(days=7))
    assert (await rec.build_report(district.id, *week3)).opening_from == second.as_of
    # as a checkpoint written before the migration: no count, every entry before it counted
    await BalanceCheckpoint.filter(id=second.id).update(rewrites=None, window_from=None,
                                                        **dict(zip(("entries", "id_sum"), await rec._entries_checksum(second.as_of, second.through_id))))
    assert (await rec.build_report(district.id, *week3)).opening_from == second.as_of
    # an entry it covers moved out of its weeks: its count no longer matches
    moved = await LedgerEntry.get(idempotency_key="test:week2")
    await LedgerEntry.filter(id=moved.id).update(created_at=dt.datetime.combine(week3[0], dt.time(9), dayend.ZoneInfo("Asia/Kolkata")))
    assert await ledger_rewrites.count() > first.rewrites  # the first's count moved too: the history is read
    assert (await rec.build_report(district.id, *week3)).opening_from is None

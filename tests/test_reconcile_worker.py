"""A large week's Stripe side matched in a process of its own (decision 153): the report, the
lines' marks, the deposits confirmed and the progress are those of a run in one process; a worker
that fails fails the run with its message and nothing is recorded; ``auto`` starts one for a
period of many lines only."""

from __future__ import annotations

import pickle
import sys

import pytest

from emitra.core import reconcile as rec
from emitra.core.models import AuditLog, BalanceCheckpoint, DayEnd, StatementLine
from tests.test_reconcile import _a_week, _report_as_seen

pytestmark = pytest.mark.anyio


def _count_workers(monkeypatch) -> list[dict]:
    """The jobs of the worker processes started from now on."""
    started: list[dict] = []
    start = rec._SideWorker.start.__func__

    async def counted(cls, base, job):
        started.append(job)
        return await start(cls, base, job)

    monkeypatch.setattr(rec._SideWorker, "start", classmethod(counted))
    return started


async def _marks() -> dict[int, tuple[str, str]]:
    return {i: (kind, key) for i, kind, key in await StatementLine.exclude(matched_kind="").values_list("id", "matched_kind", "matched_id")}


async def test_the_stripe_side_in_a_worker_gives_the_report_marks_and_progress_of_one_process(demo_db, tmp_path, monkeypatch):
    w = await _a_week(tmp_path)
    start, end = w["week"]
    district = w["district"].id
    started = _count_workers(monkeypatch)
    monkeypatch.setattr(rec, "KEEP_MATCHED", 4)  # the pairs kept: the bank's 3, then the worker's first
    monkeypatch.setenv("EMITRA_RECONCILE_WORKER", "never")
    here = await rec.build_report(district, start, end)
    assert started == []
    monkeypatch.setenv("EMITRA_RECONCILE_WORKER", "always")
    apart = await rec.build_report(district, start, end)
    assert len(started) == 1 and started[0]["period"] == [start.isoformat(), end.isoformat()]
    assert _report_as_seen(apart) == _report_as_seen(here)
    assert [p.scope for p in apart.matched] == ["bank", "bank", "bank", "stripe"] and apart.n_matched == 6
    assert apart.counts["stripe"] == here.counts["stripe"] and apart.counts["stripe"]["statement"] > 0

    # recorded: the same marks on the lines, the deposit confirmed, the progress counted to every line
    monkeypatch.setenv("EMITRA_RECONCILE_WORKER", "never")
    counted_here: list[int] = []
    one = await rec.reconcile(w["actor"], district, start, end, progress=counted_here.append)
    marks_here = await _marks()
    monkeypatch.setenv("EMITRA_RECONCILE_WORKER", "always")
    counted_apart: list[int] = []
    two = await rec.reconcile(w["actor"], district, start, end, confirm_deposits=True, progress=counted_apart.append)
    assert len(started) == 2
    assert await _marks() == marks_here and len(marks_here) == 6
    assert {kind for kind, _ in marks_here.values()} >= {"deposit", "card_payout"}  # both sides' kinds, merged
    assert sum(counted_apart) == sum(counted_here) > 0
    assert two.confirmed == [w["a"].slip_no] and (await DayEnd.get(id=w["a"].id)).confirmed_at is not None
    assert two.ok and one.ok and two.matched_count == one.matched_count == 6


async def test_auto_starts_a_worker_for_a_period_of_many_lines_only(demo_db, tmp_path, monkeypatch):
    w = await _a_week(tmp_path)
    start, end = w["week"]
    lines = await StatementLine.filter(statement__district_id=w["district"].id, value_date__gte=start, value_date__lte=end).count()
    started = _count_workers(monkeypatch)
    monkeypatch.delenv("EMITRA_RECONCILE_WORKER", raising=False)
    monkeypatch.setattr(rec, "WORKER_LINES", lines + 1)
    small = await rec.build_report(w["district"].id, start, end)
    assert started == []
    monkeypatch.setattr(rec, "WORKER_LINES", lines)
    large = await rec.build_report(w["district"].id, start, end)
    assert len(started) == 1 and _report_as_seen(large) == _report_as_seen(small)
    # a caller that wants every pair handed on, in order (an export), keeps both sides here
    handed: list[str] = []
    await rec.build_report(w["district"].id, start, end, on_pair=lambda p: handed.append(p.scope))
    assert len(started) == 1 and "stripe" in handed


async def test_a_worker_that_fails_fails_the_run_with_its_message_and_records_nothing(demo_db, tmp_path, monkeypatch):
    w = await _a_week(tmp_path)
    start, end = w["week"]
    monkeypatch.setenv("EMITRA_RECONCILE_WORKER", "always")
    monkeypatch.setattr(rec, "WORKER_COMMAND", (sys.executable, "-c", "import sys; sys.stdin.read(); sys.exit('the worker lost its database')"))
    with pytest.raises(rec.WorkerFailed, match=r"Stripe side failed in its worker process \(exit 1\): the worker lost its database"):
        await rec.reconcile(w["actor"], w["district"].id, start, end, confirm_deposits=True)
    assert await StatementLine.exclude(matched_kind="").count() == 0 and not await AuditLog.filter(action="reconciliation.run").exists()
    assert (await DayEnd.get(id=w["a"].id)).confirmed_at is None and not await BalanceCheckpoint.exists()
    # a worker that ends without its result (killed, out of memory) is a failure too, not an empty side
    monkeypatch.setattr(rec, "WORKER_COMMAND", (sys.executable, "-c", "import sys; sys.stdin.read(); print('progress 3')"))
    with pytest.raises(rec.WorkerFailed, match=r"\(exit 0\): no message"):
        await rec.reconcile(w["actor"], w["district"].id, start, end, confirm_deposits=True)
    monkeypatch.undo()
    monkeypatch.setenv("EMITRA_RECONCILE_WORKER", "always")
    report = await rec.reconcile(w["actor"], w["district"].id, start, end, confirm_deposits=True)
    assert report.ok and report.confirmed == [w["a"].slip_no] and report.matched_count == 6


def test_a_report_message_keeps_its_hindi_and_account_through_a_worker():
    said = rec.Message("account society_bank does not roll forward", "खाता आगे नहीं बढ़ता", account="society_bank")
    back = pickle.loads(pickle.dumps(said))
    assert (back, back.hi, back.account) == (said, said.hi, "society_bank") and isinstance(back, rec.Message)


def test_marks_merged_keep_each_lines_kind_and_key():
    def pair(line_id: int, kind: str, key: str) -> rec.Pair:
        day = rec.dt.date(2026, 11, 2)
        s = rec.Item("bank", "other", f"line:{line_id}", day, 100, line_id=line_id)
        return rec.Pair("bank", kind, s, rec.Item("ledger", kind, key, day, 100), "reference")

    here, there = rec._Marks(), rec._Marks()
    here.add(pair(1, "deposit", "slip:DSJP1"))
    here.add(pair(2, "upi", "entry:7"))
    there.add(pair(3, "card_payout", "entry:9"))
    there.add(pair(4, "deposit", "slip:DSJP2"))
    there.add(pair(5, "upi", "entry:11"))
    here.merge(there)
    rows = [r for chunk in here.rows() for r in chunk]
    assert rows == [["deposit", "slip:DSJP1", 1], ["upi", "entry:7", 2], ["card_payout", "entry:9", 3],
                    ["deposit", "slip:DSJP2", 4], ["upi", "entry:11", 5]]

"""The ledger: balanced, immutable, idempotent entries; reversals; the check."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emitra.core import drawer_totals, ledger
from emitra.core.models import District, LedgerEntry, Posting

pytestmark = pytest.mark.anyio


async def _district():
    return (await District.get(code="JP")).id


async def test_an_unbalanced_entry_is_refused_and_writes_nothing(demo_db):
    d = await _district()
    with pytest.raises(ledger.LedgerError, match="does not balance"):
        await ledger.post(d, "k1", "bad", [ledger.debit("counter_cash:X", 100), ledger.credit("dept_payable:y", 99)])
    with pytest.raises(ledger.LedgerError, match="whole paise"):
        await ledger.post(d, "k1", "bad", [ledger.debit("counter_cash:X", 1.5), ledger.credit("dept_payable:y", 1.5)])
    assert await LedgerEntry.all().count() == 0


async def test_replaying_a_key_posts_nothing_and_another_payload_is_an_error(demo_db):
    d = await _district()
    lines = [ledger.debit("counter_cash:X", 500), ledger.credit("lsp_fee_payable:1", 500)]
    first = await ledger.post(d, "k2", "fee", lines)
    again = await ledger.post(d, "k2", "fee", list(reversed(lines)))
    assert again.id == first.id and await Posting.all().count() == 2
    with pytest.raises(ledger.LedgerError, match="already used for a different entry"):
        await ledger.post(d, "k2", "fee", [ledger.debit("counter_cash:X", 600), ledger.credit("lsp_fee_payable:1", 600)])


async def test_a_mistake_is_corrected_by_a_reversing_entry_once(demo_db):
    d = await _district()
    entry = await ledger.post(d, "k3", "oops", [ledger.debit("counter_cash:X", 700), ledger.credit("dept_payable:y", 700)])
    r1 = await ledger.reverse(entry, "correction")
    r2 = await ledger.reverse(entry, "correction")
    assert r1.id == r2.id
    assert await ledger.balance("counter_cash:X") == 0 and await ledger.balance("dept_payable:y") == 0
    assert await LedgerEntry.all().count() == 2  # the original stays: nothing is edited


accounts = st.sampled_from(["counter_cash:A", "counter_cash:B", "dept_payable:jvvnl", "lsp_fee_payable:1", "escrow:card", "society_bank"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(["post", "replay", "reverse"]), accounts, accounts, st.integers(1, 10**9)), min_size=1, max_size=12))
async def test_random_posts_replays_and_reversals_keep_the_books_balanced(demo_db, ops):
    from tortoise import connections

    await connections.get("default").execute_script('DELETE FROM "drawer_total"; DELETE FROM "posting"; DELETE FROM "ledger_entry"')
    d = await _district()
    posted: list[LedgerEntry] = []
    for i, (op, a, b, amount) in enumerate(ops):
        if a == b:
            continue
        if op == "post" or not posted:
            posted.append(await ledger.post(d, f"p{i}", "random", [ledger.debit(a, amount), ledger.credit(b, amount)]))
        elif op == "replay":
            e = posted[-1]
            lines = [ledger.Line(p.account, p.amount_paise) for p in await Posting.filter(entry=e)]
            before = await Posting.all().count()
            await ledger.post(d, e.idempotency_key, "replay", lines)
            assert await Posting.all().count() == before
        else:
            await ledger.reverse(posted[-1], "reverse")
    result = await ledger.check()
    assert result["balanced"] and result["imbalance_paise"] == 0, result


def test_ledger_check_json_on_a_fresh_database(tmp_path):
    env = {**os.environ, "EMITRA_DATA_DIR": str(tmp_path), "EMITRA_DATABASE_URL": ""}
    emitra = str(Path(sys.executable).parent / "emitra")
    assert subprocess.run([emitra, "db", "migrate"], env=env, capture_output=True).returncode == 0
    out = subprocess.run([emitra, "ledger", "check", "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["balanced"] is True and result["entries"] == 0 and result["imbalance_paise"] == 0


async def test_times_written_in_india_and_in_utc_compare_correctly(demo_db):
    """SQLite compares stored datetimes as text: every aware datetime is stored in UTC."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    ist = ZoneInfo("Asia/Kolkata")
    d = await _district()
    early = await ledger.post(d, "t-early", "x", [ledger.debit("counter_cash:X", 1), ledger.credit("dept_payable:y", 1)])
    late = await ledger.post(d, "t-late", "x", [ledger.debit("counter_cash:X", 1), ledger.credit("dept_payable:y", 1)])
    await drawer_totals.redate(LedgerEntry.filter(id=early.id), dt.datetime(2026, 11, 29, 0, 10, tzinfo=ist))  # 18:40 UTC on the 28th
    await drawer_totals.redate(LedgerEntry.filter(id=late.id), dt.datetime(2026, 11, 28, 19, 0, tzinfo=dt.timezone.utc))  # 00:30 IST
    before = await LedgerEntry.filter(created_at__lt=dt.datetime(2026, 11, 29, 0, 20, tzinfo=ist)).values_list("idempotency_key", flat=True)
    assert list(before) == ["t-early"]

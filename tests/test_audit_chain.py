"""The audit log is tamper-evident: ``emitra audit verify`` finds an edited, deleted or rewritten entry."""

from __future__ import annotations

import asyncio
import json

import pytest
from tortoise.transactions import in_transaction

from emitra.core import audit
from emitra.core.models import AuditHead, AuditLog, User
from tests.test_cli import run as emitra

pytestmark = pytest.mark.anyio


async def _some_history(n: int = 6) -> list[AuditLog]:
    state = await User.get(username="state")
    for i in range(n):
        await audit.record(audit.Actor(state, ip="10.0.0.7", via="test"), "test.step", state,
                           detail={"i": i, "हिंदी": "जाँच", "nested": {"b": [1, 2], "a": None}})
    return await AuditLog.all().order_by("id")


async def test_a_chain_written_by_the_application_verifies(demo_db):
    entries = await _some_history()
    assert entries and all(e.hash and e.prev_hash for e in entries)
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    ok = emitra("audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert f"audit log intact: {len(entries)} entries chained; head hash {entries[-1].hash}" in ok.stdout
    assert json.loads(emitra("audit", "verify", "--json").stdout) == {
        "intact": True, "entries": len(entries), "head_hash": entries[-1].hash, "problems": []}


async def test_an_edited_entry_is_named(demo_db):
    entries = await _some_history()
    victim = entries[len(entries) // 2]
    await AuditLog.filter(id=victim.id).update(actor_name="someone-else")  # edited behind the application's back
    bad = emitra("audit", "verify")
    assert bad.returncode == 1
    assert f"entry {victim.id} (test.step) was edited" in bad.stderr
    # changing the detail by one character is found the same way
    await AuditLog.filter(id=victim.id).update(actor_name=victim.actor_name)
    assert emitra("audit", "verify").returncode == 0
    await AuditLog.filter(id=victim.id).update(detail={**victim.detail, "i": 99})
    assert f"entry {victim.id} (test.step) was edited" in emitra("audit", "verify").stderr


async def test_a_deleted_entry_breaks_the_next_link_and_a_deleted_newest_entry_the_head(demo_db):
    entries = await _some_history()
    middle, after = entries[3], entries[4]
    await AuditLog.filter(id=middle.id).delete()
    result = await audit.verify()
    assert not result.intact
    assert any(p.startswith(f"entry {after.id}: the entry before it is missing or was changed (after entry {entries[2].id})")
               for p in result.problems), result.problems
    assert f"the head counts {len(entries)} entries, the log holds {len(entries) - 1}" in result.problems


async def test_deleting_the_newest_entries_is_found_by_the_head(demo_db):
    entries = await _some_history()
    await AuditLog.filter(id__in=[entries[-1].id, entries[-2].id]).delete()
    result = await audit.verify()
    assert (f"the newest entries were deleted or changed: the chain's head records entry {entries[-1].id}, "
            f"the log ends at entry {entries[-3].id}") in result.problems


async def test_a_rewritten_chain_is_found_with_the_head_hash_kept_elsewhere(demo_db):
    entries = await _some_history()
    kept = json.loads(emitra("audit", "verify", "--json").stdout)["head_hash"]
    # an administrator edits an entry and recomputes every hash after it, head included
    await AuditLog.filter(id=entries[1].id).update(action="test.nothing")
    await audit.chain_existing()
    assert emitra("audit", "verify").returncode == 0  # internally consistent again ...
    caught = emitra("audit", "verify", "--expect-head", kept)
    assert caught.returncode == 1  # ... but no longer passes through the hash published earlier
    assert f"no entry carries the head hash {kept} recorded earlier" in caught.stderr


async def test_concurrent_writers_chain_in_order(demo_db):
    state = await User.get(username="state")

    async def one(i: int) -> None:
        async with in_transaction():
            await audit.record(audit.Actor(state, via="test"), "test.concurrent", detail={"i": i})
            await asyncio.sleep(0.001)  # others wait for the head row meanwhile
            await audit.record(audit.Actor(state, via="test"), "test.concurrent", detail={"i": i, "second": True})

    await asyncio.gather(*(one(i) for i in range(12)))
    result = await audit.verify()
    assert result.intact, result.problems
    assert await AuditLog.filter(action="test.concurrent").count() == 24
    assert (await AuditHead.get(id=audit.HEAD_ID)).entries == result.entries


async def test_a_rolled_back_change_leaves_no_entry_and_the_chain_intact(demo_db):
    state = await User.get(username="state")
    before = await AuditLog.all().count()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await audit.record(audit.Actor(state, via="test"), "test.rolled_back")
            raise RuntimeError("the change failed after its audit record was written")
    assert await AuditLog.all().count() == before
    await audit.record(audit.Actor(state, via="test"), "test.after")
    assert (await audit.verify()).intact


async def test_a_log_from_before_the_chain_is_chained_once_on_upgrade(demo_db):
    from emitra.core import db
    from tests.conftest import DB_URL

    await _some_history(3)
    await AuditLog.all().update(prev_hash="", hash="")  # as migration 0008 finds a log written before it
    await AuditHead.all().delete()
    await db._after_migrations(DB_URL)
    await db.init(DB_URL)
    result = await audit.verify()
    assert result.intact and result.entries == await AuditLog.all().count()


async def test_an_entry_edited_into_an_unreadable_value_is_named_and_the_walk_goes_on(demo_db):
    """An edit that leaves a value the application cannot read back (broken JSON, a word for a
    time, where the database's types let it: SQLite) is named like any edit, not a traceback, and
    the entries after it are still checked."""
    from tortoise import connections

    if connections.get("default").capabilities.dialect != "sqlite":
        pytest.skip("PostgreSQL's jsonb and timestamptz columns refuse such values at the UPDATE")
    entries = await _some_history(8)
    broken, worded, later = entries[2], entries[4], entries[6]
    conn = connections.get("default")
    await conn.execute_query('UPDATE "audit_log" SET "detail" = ? WHERE "id" = ?', ['{"via": "cli", broken', broken.id])
    await conn.execute_query('UPDATE "audit_log" SET "at" = ? WHERE "id" = ?', ["yesterday", worded.id])
    await AuditLog.filter(id=later.id).update(actor_name="someone-else")
    bad = emitra("audit", "verify")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert f"entry {broken.id} (test.step) was edited: a value in it can no longer be read" in bad.stderr
    assert f"entry {worded.id} (test.step) was edited: a value in it can no longer be read" in bad.stderr
    assert f"entry {later.id} (test.step) was edited: its content does not match its hash" in bad.stderr

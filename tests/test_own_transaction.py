"""A transaction on a connection of its own (core/db.own_transaction, decision 144): the
reconciliation's Stripe side keeps its temporary tables and SQLite's work on them there, beside
the bank side's. What its caller relies on, on SQLite and PostgreSQL alike: the caller's own
connection is left as it was, its writes stay when the body ends well and are undone when it
fails, and the two connections' temporary tables are their own."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from emitra.core.db import own_transaction, raw_rows


def _name(rows) -> str:
    return rows[0]["name_en"]


def test_the_callers_connection_is_untouched_and_a_good_end_keeps_the_writes(web):
    async def run():
        base = connections.get("default")
        async with in_transaction() as mine:
            async with own_transaction(base) as other:
                assert other is not mine
                assert connections.get("default") is mine  # what the caller's questions go to
                await raw_rows(other, 'UPDATE "district" SET "name_en" = \'Jaipur (own)\' WHERE "code" = \'JP\'')
                seen_there = _name(await raw_rows(other, 'SELECT "name_en" FROM "district" WHERE "code" = \'JP\''))
            assert connections.get("default") is mine
        return seen_there, _name(await raw_rows(connections.get("default"), 'SELECT "name_en" FROM "district" WHERE "code" = \'JP\''))

    seen_there, after = web.run(run)
    assert seen_there == "Jaipur (own)"
    assert after == "Jaipur (own)"


def test_a_failed_body_leaves_nothing_of_its_writes(web):
    async def run():
        base = connections.get("default")
        with pytest.raises(ZeroDivisionError):
            async with own_transaction(base) as other:
                await raw_rows(other, 'UPDATE "district" SET "name_en" = \'Jaipur (half-written)\' WHERE "code" = \'JP\'')
                1 / 0
        return _name(await raw_rows(connections.get("default"), 'SELECT "name_en" FROM "district" WHERE "code" = \'JP\''))

    assert web.run(run) == "Jaipur"


def test_each_connection_has_temporary_tables_of_its_own(web):
    async def run():
        base = connections.get("default")
        async with in_transaction() as mine:
            await raw_rows(mine, "CREATE TEMPORARY TABLE own_probe (n INTEGER)" + (" ON COMMIT DROP" if base.capabilities.dialect == "postgres" else ""))
            await raw_rows(mine, "INSERT INTO own_probe (n) VALUES (1)")
            async with own_transaction(base) as other:
                await raw_rows(other, "CREATE TEMPORARY TABLE own_probe (n INTEGER)" + (" ON COMMIT DROP" if base.capabilities.dialect == "postgres" else ""))
                await raw_rows(other, "INSERT INTO own_probe (n) VALUES (2), (3)")
                theirs = [r["n"] for r in await raw_rows(other, "SELECT n FROM own_probe ORDER BY n")]
                if base.capabilities.dialect != "postgres":
                    await raw_rows(other, "DROP TABLE temp.own_probe")
            ours = [r["n"] for r in await raw_rows(mine, "SELECT n FROM own_probe ORDER BY n")]
            if base.capabilities.dialect != "postgres":
                await raw_rows(mine, "DROP TABLE temp.own_probe")
        return ours, theirs

    assert web.run(run) == ([1], [2, 3])

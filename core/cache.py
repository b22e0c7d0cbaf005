"""Reference data read by every counter transaction, kept per process until the database says it changed.

A payment reads the same few rows again and again: the operator's user and counter, the services
enabled there, the district's policy rules, the fee overrides, a citizen. They change rarely (a
Society admin edits a fee, an LSP enables a service) but must apply at once, in every worker and
after a change made from the command line. So the database keeps a **generation**: one row of
``cache_generation``, moved by triggers on every insert, update, delete (and, on PostgreSQL,
truncate) of the tables cached here (migration 0012). A request reads it once (:func:`check`, one
primary-key read) and the cache is emptied when it differs from the one its entries were read
under. No code path has to remember to invalidate anything: a raw SQL update, another worker, a
restore and a test's truncation all move the generation.

Correctness rests on two orderings:

- the generation row is written in the writer's own transaction, so a reader sees the new
  generation only once the new data is committed, and
- a value is stored only under the generation its request checked *before* reading it, and only
  while that is still the current one: a value read before a change can never be stored after the
  cache was emptied for it.

Outside a request that called :func:`check` (the command line, tests calling the core directly,
background jobs) :func:`get` always reads the database. Values are shared between requests: callers
must not modify what they get (the model instances are read, never saved, on the cached paths).
The ``instance`` column, random per database, keeps a process pointed at a different database (a
test run's fresh one, a restored copy) from mistaking its generation for the old one's.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Hashable, TypeVar

from tortoise import connections

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The tables whose rows are cached; a write to any of them empties every process's cache.
#: ``citizen`` only on update and delete: a new registration changes no cached row (misses are not cached).
TABLES: dict[str, tuple[str, ...]] = {
    "app_user": ("INSERT", "UPDATE", "DELETE"),
    "counter": ("INSERT", "UPDATE", "DELETE"),
    "lsp": ("INSERT", "UPDATE", "DELETE"),
    "district": ("INSERT", "UPDATE", "DELETE"),
    "counter_service": ("INSERT", "UPDATE", "DELETE"),
    "policy_rule": ("INSERT", "UPDATE", "DELETE"),
    "policy_approval": ("INSERT", "UPDATE", "DELETE"),
    "fee_override": ("INSERT", "UPDATE", "DELETE"),
    "lsp_price": ("INSERT", "UPDATE", "DELETE"),
    "citizen": ("UPDATE", "DELETE"),
}

_GENERATION = 'SELECT "instance", "generation" FROM "cache_generation" WHERE "id" = 1'

_store: dict[tuple[str, Hashable], Any] = {}
_current: list[tuple[str, int] | None] = [None]  # the generation the stored values were read under
_checked: ContextVar[tuple[str, int] | None] = ContextVar("emitra_cache_checked", default=None)


async def check() -> None:
    """At the start of a request: read the database's generation; empty the cache if it moved.

    Until the next call in this context, :func:`get` may answer from the cache. If the generation
    cannot be read (a database from before migration 0012), nothing is cached for this request.
    """
    try:
        rows = await connections.get("default").execute_query_dict(_GENERATION)
    except Exception as exc:  # noqa: BLE001 - no table yet: read everything from the database
        log.debug("no cache generation (%s): reading reference data from the database", type(exc).__name__)
        rows = []
    key = (str(rows[0]["instance"]), int(rows[0]["generation"])) if rows else None
    if key is not None and key != _current[0]:
        _store.clear()
        _current[0] = key
    _checked.set(key)


def forget() -> None:
    """Read the database again from now on in this context (after this request changed cached rows itself)."""
    _checked.set(None)


async def get(kind: str, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """The value of ``load()`` for (kind, key): from the cache inside a checked request, else read.

    ``None`` is never stored (a missing row may be inserted without a change of generation, e.g. a
    citizen registered a moment ago).
    """
    checked = _checked.get()
    if checked is None:
        return await load()
    try:
        return _store[(kind, key)]
    except KeyError:
        pass
    value = await load()
    if value is not None and checked == _current[0]:
        _store[(kind, key)] = value
    return value


def clear() -> None:
    """Empty this process's cache (tests, and after a restore in the same process)."""
    _store.clear()
    _current[0] = None


def trigger_sql(dialect: str) -> list[str]:
    """The statements that create the generation row and the triggers that move it (migration 0012)."""
    if dialect == "postgres":
        out = [
            'CREATE TABLE IF NOT EXISTS "cache_generation" ("id" INT NOT NULL PRIMARY KEY, "instance" VARCHAR(32) NOT NULL, '
            '"generation" BIGINT NOT NULL DEFAULT 0)',
            'INSERT INTO "cache_generation" ("id", "instance", "generation") '
            "VALUES (1, md5(random()::text || clock_timestamp()::text), 0) ON CONFLICT DO NOTHING",
            'CREATE OR REPLACE FUNCTION emitra_cache_bump() RETURNS trigger LANGUAGE plpgsql AS $$ '
            'BEGIN UPDATE "cache_generation" SET "generation" = "generation" + 1 WHERE "id" = 1; RETURN NULL; END $$',
        ]
        for table, events in TABLES.items():
            if "DELETE" in events:
                events = events + ("TRUNCATE",)
            out.append(f'CREATE TRIGGER "{table}_cache_bump" AFTER {" OR ".join(events)} ON "{table}" '
                       "FOR EACH STATEMENT EXECUTE FUNCTION emitra_cache_bump()")
        return out
    out = [
        'CREATE TABLE IF NOT EXISTS "cache_generation" ("id" INT NOT NULL PRIMARY KEY, "instance" VARCHAR(32) NOT NULL, '
        '"generation" BIGINT NOT NULL DEFAULT 0)',
        'INSERT OR IGNORE INTO "cache_generation" ("id", "instance", "generation") VALUES (1, lower(hex(randomblob(16))), 0)',
    ]
    for table, events in TABLES.items():
        for event in events:
            out.append(f'CREATE TRIGGER "{table}_cache_bump_{event.lower()}" AFTER {event} ON "{table}" '
                       'BEGIN UPDATE "cache_generation" SET "generation" = "generation" + 1 WHERE "id" = 1; END')
    return out


def drop_sql(dialect: str) -> list[str]:
    """The reverse of :func:`trigger_sql`."""
    if dialect == "postgres":
        return [f'DROP TRIGGER IF EXISTS "{t}_cache_bump" ON "{t}"' for t in TABLES] + [
            "DROP FUNCTION IF EXISTS emitra_cache_bump()", 'DROP TABLE IF EXISTS "cache_generation"']
    return [f'DROP TRIGGER IF EXISTS "{t}_cache_bump_{e.lower()}"' for t, events in TABLES.items() for e in events] + [
        'DROP TABLE IF EXISTS "cache_generation"']


async def new_instance() -> None:
    """Give the database a new instance token (after a restore: a copy must not pass for the original).

    A backup from before migration 0012 has no generation yet: `emitra db migrate` creates it."""
    conn = connections.get("default")
    token = "md5(random()::text || clock_timestamp()::text)" if conn.capabilities.dialect == "postgres" else "lower(hex(randomblob(16)))"
    try:
        await conn.execute_script(f'UPDATE "cache_generation" SET "instance" = {token}, "generation" = "generation" + 1 WHERE "id" = 1')
    except Exception as exc:  # noqa: BLE001 - no table in a backup that old
        log.info("no cache generation to renew (%s); `emitra db migrate` creates it", type(exc).__name__)

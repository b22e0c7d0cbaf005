"""A count of the rewrites of the books' past: an UPDATE or DELETE of a ledger entry or a posting that
a recorded reconciliation's balances cover.

The ledger is append-only: a correction is a new entry, never an edit (decision 37). Only a demo or
a test re-dates entries (``core.drawer_totals.redate``), and only a person with the database's
password edits or deletes rows by hand. Either changes what a recorded reconciliation's balances
(:class:`core.models.BalanceCheckpoint`) describe, and the next week's opening balances must then
be summed from the whole history again.

The database keeps the count itself: one row of ``ledger_rewrites``, moved by triggers on every
update and delete (and, on PostgreSQL, truncate) of ``ledger_entry`` and ``posting`` that touches
an entry a checkpoint covers, in the writer's own transaction (migration 0039; the pattern of
core/cache.py's generation). No code path has to remember to move it: a raw SQL edit, a restore's
truncation and a test's clean-up all do. A checkpoint keeps the count it was taken under; while the
count is the same, nothing behind it was rewritten, and checking so is one primary-key read (and
a count of the checkpoint's own ids, core/reconcile._late_window) instead of a read of every entry
ever made (decision 159). Inserts do not move it: a counter transaction writes no more than before.
"""

from __future__ import annotations

#: the tables whose rows a rewrite of the books' past changes, each with the column naming its entry
TABLES: dict[str, str] = {"ledger_entry": "id", "posting": "entry_id"}

#: the entries a checkpoint covers: ids up to the last one any recorded run read (every district's)
_COVERED = '(SELECT COALESCE(MAX("through_id"), -1) FROM "balance_checkpoint")'

_READ = 'SELECT "rewrites" FROM "ledger_rewrites" WHERE "id" = 1'
_BUMP = 'UPDATE "ledger_rewrites" SET "rewrites" = "rewrites" + 1 WHERE "id" = 1'


def trigger_sql(dialect: str) -> list[str]:
    """The statements that create the counting row and the triggers that move it (migration 0039).

    An update or delete moves the count only when it touches an entry some checkpoint covers (an
    id up to the largest ``through_id``): a test or a demo re-dating the entries it has just made
    leaves the recorded weeks' balances as they were. On PostgreSQL a truncate always moves it."""
    table = 'CREATE TABLE IF NOT EXISTS "ledger_rewrites" ("id" INT NOT NULL PRIMARY KEY, "rewrites" BIGINT NOT NULL DEFAULT 0)'
    if dialect == "postgres":
        out = [table, 'INSERT INTO "ledger_rewrites" ("id", "rewrites") VALUES (1, 0) ON CONFLICT DO NOTHING',
               f'CREATE OR REPLACE FUNCTION emitra_ledger_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {_BUMP}; RETURN NULL; END $$']
        for name, column in TABLES.items():
            for event, seen in (("UPDATE", ("old_rows", "new_rows")), ("DELETE", ("old_rows",))):
                hit = " OR ".join(f'EXISTS (SELECT 1 FROM {rows} WHERE "{column}" <= {_COVERED})' for rows in seen)
                function = f"emitra_{name}_rewritten_{event.lower()}"
                out.append(f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                           f"BEGIN IF {hit} THEN {_BUMP}; END IF; RETURN NULL; END $$")
                tables = " ".join(f"{'OLD' if rows == 'old_rows' else 'NEW'} TABLE AS {rows}" for rows in seen)
                out.append(f'CREATE TRIGGER "{name}_rewritten_{event.lower()}" AFTER {event} ON "{name}" REFERENCING {tables} '
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
            out.append(f'CREATE TRIGGER "{name}_rewritten_truncate" AFTER TRUNCATE ON "{name}" '
                       "FOR EACH STATEMENT EXECUTE FUNCTION emitra_ledger_truncated()")
        return out
    out = [table, 'INSERT OR IGNORE INTO "ledger_rewrites" ("id", "rewrites") VALUES (1, 0)']
    for name, column in TABLES.items():
        out.append(f'CREATE TRIGGER "{name}_rewritten_update" AFTER UPDATE ON "{name}" '
                   f'WHEN min(OLD."{column}", NEW."{column}") <= {_COVERED} BEGIN {_BUMP}; END')
        out.append(f'CREATE TRIGGER "{name}_rewritten_delete" AFTER DELETE ON "{name}" WHEN OLD."{column}" <= {_COVERED} BEGIN {_BUMP}; END')
    return out


def drop_sql(dialect: str) -> list[str]:
    """The reverse of :func:`trigger_sql`."""
    if dialect == "postgres":
        out = []
        for name in TABLES:
            out += [f'DROP TRIGGER IF EXISTS "{name}_rewritten_{event}" ON "{name}"' for event in ("update", "delete", "truncate")]
            out += [f"DROP FUNCTION IF EXISTS emitra_{name}_rewritten_{event}()" for event in ("update", "delete")]
        return out + ["DROP FUNCTION IF EXISTS emitra_ledger_truncated()", 'DROP TABLE IF EXISTS "ledger_rewrites"']
    return [f'DROP TRIGGER IF EXISTS "{name}_rewritten_{event}"' for name in TABLES for event in ("update", "delete")] + [
        'DROP TABLE IF EXISTS "ledger_rewrites"']


async def count() -> int | None:
    """How many rewrites the books have had (in the current transaction), or None when the database
    has no count (its row deleted by hand): then no checkpoint relies on it."""
    from emitra.core import ledger

    rows = await ledger.rows(_READ, [])
    return int(rows[0]["rewrites"]) if rows else None

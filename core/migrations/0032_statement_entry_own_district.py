"""A Stripe import vouches only for its own district's entries (decision 112): the ``statement_entry``
rows whose import is of another district than the entry are removed.

Before decision 106 a Stripe file imported into district B whose payouts and fees district A's books
held "found" A's entries and wrote rows by which B's import vouched for A's money (and migration
0028 filled in such rows for the imports before it, from their audit records). Decision 106 refuses
such a file now and a withdrawal no longer reads those rows, but they stayed, saying what is not so.

What is removed is written where an auditor sees it: one ``statement.other_district_entries_removed``
audit record per import, on that import and in its district (actor ``(migration)``), listing each
entry's key, its district and whether the row said posted; chained as every audit record is
(core/audit.entry_hash), in the migration's transaction. Reversing it changes nothing: the rows
were wrong, and the audit records name them. ``emitra ledger check`` reports any such row found
again (core/ledger.vouching_problems)."""
import datetime as dt
import json

from tortoise import migrations
from tortoise.migrations import operations as ops

from emitra.core.audit import GENESIS, entry_hash
from emitra.core.db import placeholders

ACTION = "statement.other_district_entries_removed"
WHY = ("A Stripe import vouches only for the entries of its own district's books (decisions 106 and 112): "
       "these rows said that this import vouched for another district's payouts or fees.")


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    def sql(text: str) -> str:
        return placeholders(client, text)

    rows = await client.execute_query_dict(
        'SELECT s."id" AS id, s."statement_id" AS statement_id, s."posted" AS posted, e."idempotency_key" AS k, '
        'i."district_id" AS district_id, d."code" AS code FROM "statement_entry" s '
        'JOIN "statement_import" i ON i."id" = s."statement_id" JOIN "ledger_entry" e ON e."id" = s."entry_id" '
        'JOIN "district" d ON d."id" = e."district_id" WHERE i."district_id" <> e."district_id" ORDER BY s."statement_id", e."id"')
    if not rows:
        return
    by_import: dict[int, list[dict]] = {}
    for r in rows:
        by_import.setdefault(int(r["statement_id"]), []).append(r)

    lock = " FOR UPDATE" if postgres else ""
    head = await client.execute_query_dict(f'SELECT "last_hash", "entries" FROM "audit_head" WHERE "id" = 1{lock}')
    if head:
        prev, entries = head[0]["last_hash"] or GENESIS, int(head[0]["entries"])
    else:  # a log never chained by a writer since 0008: its last entry, as core/audit._locked_head starts one
        last = await client.execute_query_dict('SELECT "hash" FROM "audit_log" ORDER BY "id" DESC LIMIT 1')
        prev = (last[0]["hash"] if last else "") or GENESIS
        entries = int((await client.execute_query_dict('SELECT COUNT(*) AS n FROM "audit_log"'))[0]["n"])
        await client.execute_query(sql('INSERT INTO "audit_head" ("id", "last_id", "last_hash", "entries") VALUES (1, 0, ?, ?)'),
                                   [prev if last else "", entries])
    columns = '"at", "district_id", "actor_id", "actor_name", "counter_id", "action", "object_type", "object_id", "detail", "ip", "prev_hash", "hash"'
    detail_mark = "?::jsonb" if postgres else "?"
    insert = sql(f'INSERT INTO "audit_log" ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, {detail_mark}, ?, ?, ?) RETURNING "id"')
    last_id = 0
    for statement_id, removed in by_import.items():
        values = {
            "at": dt.datetime.now(dt.timezone.utc), "district_id": int(removed[0]["district_id"]), "actor_id": None,
            "actor_name": "(migration)", "counter_id": None, "action": ACTION, "object_type": "StatementImport",
            "object_id": str(statement_id), "ip": "",
            "detail": {"via": "migration", "migration": "0032_statement_entry_own_district", "why": WHY,
                       "removed": [{"entry": r["k"], "district": r["code"], "posted": bool(r["posted"])} for r in removed]},
        }
        digest = entry_hash(prev, **values)
        params = [values["at"], values["district_id"], None, values["actor_name"], None, ACTION, values["object_type"],
                  values["object_id"], json.dumps(values["detail"], ensure_ascii=False), "", prev, digest]
        last_id = int((await client.execute_query_dict(insert, params))[0]["id"])
        prev, entries = digest, entries + 1
        ids = [int(r["id"]) for r in removed]
        for at in range(0, len(ids), 500):
            chunk = ids[at:at + 500]
            await client.execute_query(sql(f'DELETE FROM "statement_entry" WHERE "id" IN ({", ".join("?" for _ in chunk)})'), chunk)
    await client.execute_query(sql('UPDATE "audit_head" SET "last_id" = ?, "last_hash" = ?, "entries" = ? WHERE "id" = 1'),
                               [last_id, prev, entries])


async def backward(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0031_district_holiday')]

    initial = False

    operations = [
        ops.RunPython(forward, backward),
    ]

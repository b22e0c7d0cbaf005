"""The ledger entries each Stripe import vouches for (decision 98): a row per payout or fee entry its
transactions move, saying whether the import posted the entry itself or found it in the books
already. Withdrawing a Stripe import (core/statement_withdraw.py) reverses the entries an import
posted that no import still imported vouches for, and leaves alone a payout booked by hand.

The imports made before this migration are filled in from their ``statement.imported`` audit
records (``posted``: every key the import vouched for, found or posted). Those records do not say
which keys were found: an entry counts as posted by an import when its memo is the memo the import
writes (``Stripe payout <po> (<txn>) to the Society's bank``, ``Stripe fee <txn> (<type>...)``),
and as found otherwise (a payout booked by hand has the memo its author gave it). The rule is
written out here, not imported: what this migration did must not change with core/reconcile.py.
Reversing it drops the table."""
import json
import re

from tortoise import fields
from tortoise import migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

_IMPORT_MEMO = re.compile(r"^(?:Stripe payout \S+ \(\S+\) to the Society's bank|Stripe fee \S+ \()")


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    def sql(text: str) -> str:
        if not postgres:
            return text
        parts = text.split("?")
        return "".join(p + (f"${i}" if i < len(parts) else "") for i, p in enumerate(parts, start=1))

    imports = await client.execute_query_dict(
        'SELECT i."id" AS id FROM "statement_import" i WHERE i."source" = \'stripe\' AND i."withdrawn_at" IS NULL ORDER BY i."id"')
    for imp in imports:
        records = await client.execute_query_dict(
            sql('SELECT "detail" FROM "audit_log" WHERE "action" = \'statement.imported\' AND "object_id" = ? ORDER BY "id"'),
            [str(imp["id"])])
        keys: list[str] = []
        for r in records:
            detail = r["detail"]
            if isinstance(detail, str):
                detail = json.loads(detail)
            keys += [k for k in (detail or {}).get("posted") or [] if isinstance(k, str)]
        keys = sorted(set(keys))
        rows = []
        for at in range(0, len(keys), 500):
            chunk = keys[at:at + 500]
            marks = ", ".join("?" for _ in chunk)
            for e in await client.execute_query_dict(
                    sql(f'SELECT "id", "memo" FROM "ledger_entry" WHERE "idempotency_key" IN ({marks})'), chunk):
                rows.append([imp["id"], e["id"], bool(_IMPORT_MEMO.match(e["memo"] or ""))])
        if rows:
            await client.execute_many(sql('INSERT INTO "statement_entry" ("statement_id", "entry_id", "posted") VALUES (?, ?, ?)'), rows)


async def backward(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0027_statement_import_withdrawn')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatementEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('statement', fields.ForeignKeyField('models.StatementImport', source_field='statement_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('entry', fields.ForeignKeyField('models.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('posted', fields.BooleanField()),
            ],
            options={'table': 'statement_entry', 'app': 'models', 'unique_together': (('statement', 'entry'),), 'indexes': [Index(fields=['entry_id'])], 'pk_attr': 'id', 'table_description': 'A ledger entry a Stripe import vouches for: a payout or a fee its transactions move'},
            bases=['Model'],
        ),
        ops.RunPython(forward, backward),
    ]

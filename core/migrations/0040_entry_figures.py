"""What each ledger entry moves of the accounts the weekly reconciliation reads, on the entry's row
(core/entry_figures.py, decision 164): four nullable columns. The entries already written keep them
NULL, and a run reads those by their postings, as before: no entry is rewritten, so the books'
rewrite count (decision 159) and every recorded week's checkpoint stay as they were."""
import sqlite3

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class AddNullableField(ops.AddField):
    """AddField whose undo on SQLite drops the column in place (SQLite 3.35+), as migration 0013's:
    tortoise would rebuild the table and lose its other indexes (and, here, the triggers of 0039)."""

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect == "sqlite" and sqlite3.sqlite_version_info >= (3, 35):
            model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor.client.execute_query(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{self.name}"')
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('models', '0039_ledger_rewrites')]

    initial = False

    operations = [
        AddNullableField(model_name='LedgerEntry', name='bank_paise', field=fields.BigIntField(null=True)),
        AddNullableField(model_name='LedgerEntry', name='card_paise', field=fields.BigIntField(null=True)),
        AddNullableField(model_name='LedgerEntry', name='fee_paise', field=fields.BigIntField(null=True)),
        AddNullableField(model_name='LedgerEntry', name='touches', field=fields.IntField(null=True)),
    ]

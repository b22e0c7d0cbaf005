"""Settlement reads the escrow payments still open (payment.settled_at NULL), not every one ever
made. No backfill here: rows from before are open until the next settlement run closes them (settled,
reversed or not citizen-paid), once, as core/settlement.py explains."""
import sqlite3

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class AddNullableField(ops.AddField):
    """AddField whose undo on SQLite drops the column in place (SQLite 3.35+): tortoise would rebuild
    the table, and the rebuilt table loses its other indexes (payment.request_id, .reference), which
    the undo of the earlier migrations then fails to drop."""

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect == "sqlite" and sqlite3.sqlite_version_info >= (3, 35):
            model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor.client.execute_query(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{self.name}"')
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('models', '0012_cache_generation')]

    initial = False

    operations = [
        AddNullableField(
            model_name='Payment',
            name='settled_at',
            field=fields.DatetimeField(null=True, description='An escrow payment closed for settlement: its shares paid out, or none to pay (reversed, not citizen-paid). NULL while open, and for payments outside escrow', auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['method', 'settled_at', 'id']),
        ),
    ]

"""The count of the books' rewrites (core/ledger_rewrites.py, decision 159): a one-row table and the
triggers that move it on every update and delete of a ledger entry or a posting; and on
``balance_checkpoint`` the count each checkpoint was taken under, and where the ids its late-commit
check covers begin. A checkpoint from before this migration has neither, and is checked as before
(every entry created before it counted)."""
import sqlite3

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


async def forward(apps, schema_editor) -> None:
    from emitra.core import ledger_rewrites

    for statement in ledger_rewrites.trigger_sql(schema_editor.client.capabilities.dialect):
        await schema_editor.client.execute_query(statement)


async def backward(apps, schema_editor) -> None:
    from emitra.core import ledger_rewrites

    for statement in ledger_rewrites.drop_sql(schema_editor.client.capabilities.dialect):
        await schema_editor.client.execute_query(statement)


class AddNullableField(ops.AddField):
    """AddField whose undo on SQLite drops the column in place (SQLite 3.35+), as migration 0013's:
    tortoise would rebuild the table and lose its other indexes."""

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect == "sqlite" and sqlite3.sqlite_version_info >= (3, 35):
            model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor.client.execute_query(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{self.name}"')
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('models', '0038_document_held_index')]

    initial = False

    operations = [
        ops.RunPython(forward, backward),
        AddNullableField(
            model_name='BalanceCheckpoint',
            name='rewrites',
            field=fields.BigIntField(null=True),
        ),
        AddNullableField(
            model_name='BalanceCheckpoint',
            name='window_from',
            field=fields.BigIntField(null=True),
        ),
    ]

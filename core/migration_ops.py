"""Migration operations shared by several migrations (kept outside core/migrations/, whose every
module is a migration)."""

from tortoise.migrations import operations as ops


class AddColumn(ops.AddField):
    """AddField whose reversal on SQLite drops the column in place (``ALTER TABLE ... DROP COLUMN``,
    SQLite 3.35+) instead of rebuilding the table: tortoise-orm 1.x rebuilds it without the indexes
    earlier migrations created (statement_line lost its value_date index, and the next step back,
    which drops that index, failed). For a column in no index. (Used by 0020 and 0021; keep it
    as it is: migrations that ran with it must mean the same when reversed.)"""

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is None or state_editor.DIALECT != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        column = model._meta.fields_db_projection[self.name]
        await state_editor._run_sql(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{column}"')

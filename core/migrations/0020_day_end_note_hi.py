"""A day end's note in Hindi beside the English one (pages show the note in their language; a day
end noted before this migration keeps an empty ``note_hi`` and is put into Hindi from its English
when shown), and an index on day_end (district_id, bank_reference): a deposit's confirmation looks
for another slip of the district confirmed with the same bank reference (one credit, one slip).
The column has a constant default in the database (db_default: the day ends already there get ''), so
both are quick, and day_end is a district's counters times its days."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


class AddColumn(ops.AddField):
    """AddField whose reversal on SQLite drops the column in place (``ALTER TABLE ... DROP COLUMN``,
    SQLite 3.35+) instead of rebuilding the table: tortoise-orm 1.x rebuilds it without the indexes
    earlier migrations created (statement_line lost its value_date index, and the next step back,
    which drops that index, failed). For a column in no index. (The same class is in 0020 and 0021:
    a migration stands on its own.)"""

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is None or state_editor.DIALECT != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        column = model._meta.fields_db_projection[self.name]
        await state_editor._run_sql(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{column}"')


class Migration(migrations.Migration):
    dependencies = [('models', '0019_request_and_payment_indexes')]

    initial = False

    operations = [
        AddColumn(
            model_name='DayEnd',
            name='note_hi',
            field=fields.CharField(default='', description='The same note in Hindi (empty for a day end closed before 0020)', db_default='', max_length=500),
        ),
        ops.AddIndex(
            model_name='DayEnd',
            index=Index(fields=['district_id', 'bank_reference']),
        ),
    ]

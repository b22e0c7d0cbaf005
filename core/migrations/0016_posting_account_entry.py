"""An account's postings in entry order: the index on posting(account) becomes posting(account,
entry_id) (decision 38), so that the entries of a window moving an account are a range of ids per
account. The field's own index is dropped by name, not through AlterField: on SQLite, AlterField
rebuilds the table and the rebuilt table lost its other indexes (tortoise-orm 1.x)."""
from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class _StateOnly(ops.AlterField):
    """``account`` without db_index in the migration state; the database is changed by the RunSQL below."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0015_balance_checkpoint')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Posting',
            index=Index(fields=['account', 'entry_id']),
        ),
        _StateOnly(
            model_name='Posting',
            name='account',
            field=fields.CharField(max_length=100),
        ),
        ops.RunSQL('DROP INDEX IF EXISTS "idx_posting_account_a6587f"',
                   reverse_sql='CREATE INDEX IF NOT EXISTS "idx_posting_account_a6587f" ON "posting" ("account")'),
    ]

"""An index on statement_line by value date: a run reads and marks its period's lines (it read
every line ever imported)."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0016_posting_account_entry')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='StatementLine',
            index=Index(fields=['value_date']),
        ),
    ]

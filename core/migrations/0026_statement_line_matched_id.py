"""An index on statement_line by what each line was matched to: a week's run leaves out the ledger
items that a line of another period took, and looked them up by reading every line of the district
marked in another period, a read that grew with every week of statements imported. Now each of
the run's items is looked up by its key. On a large database this migration takes about a second
per million statement lines."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0025_settlement_item')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='StatementLine',
            index=Index(fields=['matched_id']),
        ),
    ]

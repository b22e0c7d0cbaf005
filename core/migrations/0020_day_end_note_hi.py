"""A day end's note in Hindi beside the English one (pages show the note in their language; a day
end noted before this migration keeps an empty ``note_hi`` and is put into Hindi from its English
when shown), and an index on day_end (district_id, bank_reference): a deposit's confirmation looks
for another slip of the district confirmed with the same bank reference (one credit, one slip).
The column has a constant default in the database (db_default: the day ends already there get ''), so
both are quick, and day_end is a district's counters times its days."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from emitra.core.migration_ops import AddColumn
from tortoise.indexes import Index


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

"""A table of weekly reconciliation reports as computed, so that the page shows one again at once
while nothing it was computed from has changed (decision 39)."""
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0017_statement_line_value_date')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReconciliationSnapshot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recorded', fields.BooleanField(default=False)),
                ('recorded_by', fields.CharField(default='', max_length=60)),
                ('through_entry_id', fields.BigIntField()),
                ('through_import_id', fields.BigIntField()),
                ('day_ends', fields.CharField(max_length=200)),
                ('report', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'reconciliation_snapshot', 'app': 'models', 'indexes': [Index(fields=['district_id', 'period_start', 'recorded'])], 'pk_attr': 'id', 'table_description': "A weekly reconciliation report as it was computed (the page's, or a recorded run's), kept so"},
            bases=['Model'],
        ),
    ]

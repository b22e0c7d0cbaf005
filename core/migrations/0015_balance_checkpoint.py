from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0014_case_report_covering_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BalanceCheckpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('as_of', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('through_id', fields.BigIntField()),
                ('entries', fields.BigIntField()),
                ('id_sum', fields.BigIntField()),
                ('balances', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'balance_checkpoint', 'app': 'models', 'indexes': [Index(fields=['district_id', 'as_of'])], 'pk_attr': 'id', 'table_description': "Every account's balance in a district at a moment, as a recorded reconciliation found it: the"},
            bases=['Model'],
        ),
    ]

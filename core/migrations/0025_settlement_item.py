"""Settlement pays each LSP once per run and escrow (decision 68): one entry ``settle:<reference>``
for all the payments of the run, and a row per payment in ``settlement_item`` naming the request it
settled (unique: a request is settled once), its receipt, amount and whether it was late. Payments
settled before this migration keep their entries ``settle:<receipt no>``, which settlement still
reads as settled."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0024_citizen_name_sound')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SettlementItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('entry', fields.ForeignKeyField('models.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='settled_items', on_delete=OnDelete.RESTRICT)),
                ('request', fields.OneToOneField('models.ServiceRequest', source_field='request_id', db_constraint=True, to_field='id', related_name='settlement_item', on_delete=OnDelete.RESTRICT)),
                ('receipt_no', fields.CharField(max_length=24)),
                ('amount_paise', fields.BigIntField()),
                ('confirmed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('late', fields.BooleanField(default=False)),
            ],
            options={'table': 'settlement_item', 'app': 'models', 'indexes': [Index(fields=['entry_id'])], 'pk_attr': 'id', 'table_description': 'One payment whose shares a settlement payout paid to its LSP (decision 68): a run pays each'},
            bases=['Model'],
        ),
    ]

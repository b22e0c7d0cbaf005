from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from emitra.core.models import RequestStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_policy')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DayEnd',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('counter', fields.ForeignKeyField('models.Counter', source_field='counter_id', db_constraint=True, to_field='id', related_name='day_ends', on_delete=OnDelete.RESTRICT)),
                ('business_date', fields.DateField()),
                ('expected_paise', fields.BigIntField()),
                ('counted_paise', fields.BigIntField()),
                ('retained_paise', fields.BigIntField(description="The LSP's share of the service charges, kept back")),
                ('deposit_paise', fields.BigIntField()),
                ('difference_paise', fields.BigIntField(description='Counted minus expected: negative is a shortage')),
                ('slip_no', fields.CharField(unique=True, max_length=40)),
                ('status', fields.CharField(default='closed', description='closed, confirmed or flagged', max_length=12)),
                ('closed_by', fields.CharField(max_length=60)),
                ('closed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('confirmed_by', fields.CharField(default='', max_length=60)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('bank_reference', fields.CharField(default='', max_length=100)),
                ('note', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'day_end', 'app': 'models', 'unique_together': (('counter', 'business_date'),), 'pk_attr': 'id', 'table_description': "A counter's cash closed for one business day, and the Society's confirmation of the deposit."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProcessedEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.CharField(max_length=20)),
                ('event_id', fields.CharField(max_length=100)),
                ('kind', fields.CharField(max_length=60)),
                ('processed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'processed_event', 'app': 'models', 'unique_together': (('provider', 'event_id'),), 'pk_attr': 'id', 'table_description': "A payment provider's event (a Stripe webhook, a bank or UPI confirmation) already processed, once."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatementImport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('source', fields.CharField(description='bank or stripe', max_length=20)),
                ('filename', fields.CharField(default='', max_length=200)),
                ('sha256', fields.CharField(max_length=64)),
                ('period_start', fields.DateField(null=True)),
                ('period_end', fields.DateField(null=True)),
                ('lines', fields.IntField(default=0)),
                ('imported_by', fields.CharField(max_length=60)),
                ('imported_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'statement_import', 'app': 'models', 'unique_together': (('district', 'sha256'),), 'pk_attr': 'id', 'table_description': "A bank statement (CSV) or a payment provider's balance report, imported whole or not at all."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatementLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('statement', fields.ForeignKeyField('models.StatementImport', source_field='statement_id', db_constraint=True, to_field='id', related_name='rows', on_delete=OnDelete.CASCADE)),
                ('line_no', fields.IntField()),
                ('value_date', fields.DateField()),
                ('amount_paise', fields.BigIntField(description='Credit positive, debit negative')),
                ('reference', fields.CharField(default='', db_index=True, max_length=100)),
                ('description', fields.CharField(default='', max_length=300)),
                ('matched_kind', fields.CharField(default='', description='deposit, settlement, remittance, card ...', max_length=20)),
                ('matched_id', fields.CharField(default='', max_length=60)),
            ],
            options={'table': 'statement_line', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Wallet',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('counter', fields.OneToOneField('models.Counter', source_field='counter_id', db_constraint=True, to_field='id', related_name='wallet', on_delete=OnDelete.CASCADE)),
                ('balance_paise', fields.BigIntField(default=0)),
            ],
            options={'table': 'wallet', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Counter',
            name='split_lsp_bp',
            field=fields.IntField(default=10000),
        ),
        ops.AddField(
            model_name='Counter',
            name='split_owner_bp',
            field=fields.IntField(default=0, description='The authorised kiosk owner'),
        ),
        ops.AddField(
            model_name='Counter',
            name='split_society_bp',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='LSP',
            name='mode',
            field=fields.CharField(default='postpaid', description='postpaid (cash deposited at day end) or prepaid (wallet)', max_length=10),
        ),
        ops.AlterField(
            model_name='Payment',
            name='status',
            field=fields.CharField(default='received', description='received, pending, cleared, bounced, failed, refunded', max_length=20),
        ),
        ops.AddField(
            model_name='Payment',
            name='confirmed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Payment',
            name='details',
            field=fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Payment',
            name='reference',
            field=fields.CharField(default='', db_index=True, description='Cheque number, UPI or card reference', max_length=100),
        ),
        ops.AlterField(
            model_name='ServiceRequest',
            name='status',
            field=fields.CharEnumField(default=RequestStatus.PAID, description='PAID: paid\nSUBMITTED: submitted\nSUBMISSION_FAILED: submission_failed\nCANCELLED: cancelled\nPAYMENT_PENDING: payment_pending\nPAYMENT_FAILED: payment_failed', enum_type=RequestStatus, max_length=20),
        ),
    ]

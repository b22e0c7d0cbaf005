from tortoise import migrations
from tortoise.migrations import operations as ops
from emitra.core.models import RequestStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Document',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.CharField(unique=True, max_length=32)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('counter', fields.ForeignKeyField('models.Counter', source_field='counter_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('uploaded_by', fields.ForeignKeyField('models.User', source_field='uploaded_by_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('service_code', fields.CharField(max_length=100)),
                ('field', fields.CharField(max_length=100)),
                ('content_type', fields.CharField(max_length=40)),
                ('size_bytes', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('original_name', fields.CharField(default='', max_length=200)),
                ('request', fields.ForeignKeyField('models.ServiceRequest', source_field='request_id', null=True, db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'document', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A scanned document uploaded with a service form, stored outside the web root.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LspPrice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('lsp', fields.ForeignKeyField('models.LSP', source_field='lsp_id', db_constraint=True, to_field='id', related_name='prices', on_delete=OnDelete.CASCADE)),
                ('service_code', fields.CharField(max_length=100)),
                ('unit_price_paise', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'lsp_price', 'app': 'models', 'unique_together': (('lsp', 'service_code'),), 'pk_attr': 'id', 'table_description': "An LSP's own published price per unit for a counter service (photocopy, fax, internet time)."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='ServiceRequest',
            name='status',
            field=fields.CharEnumField(default=RequestStatus.PAID, description='PAID: paid\nSUBMITTED: submitted\nSUBMISSION_FAILED: submission_failed\nCANCELLED: cancelled', enum_type=RequestStatus, max_length=20),
        ),
    ]

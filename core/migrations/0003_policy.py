from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_documents_and_lsp_prices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PolicyApproval',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('lsp', fields.ForeignKeyField('models.LSP', source_field='lsp_id', db_constraint=True, to_field='id', related_name='policy_approvals', on_delete=OnDelete.CASCADE)),
                ('service_code', fields.CharField(max_length=100)),
                ('rule_id', fields.CharField(max_length=64)),
                ('note', fields.CharField(default='', max_length=500)),
                ('approved_by', fields.CharField(max_length=60)),
                ('approved_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_by', fields.CharField(default='', max_length=60)),
            ],
            options={'table': 'policy_approval', 'app': 'models', 'pk_attr': 'id', 'table_description': "The Society's recorded approval of a restricted service for one LSP."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('rule_id', fields.CharField(max_length=64)),
                ('citation', fields.CharField(max_length=500)),
                ('decision', fields.CharField(max_length=12)),
                ('effective_from', fields.DateField()),
                ('effective_to', fields.DateField(null=True)),
                ('match', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_by', fields.CharField(default='', max_length=60)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'policy_rule', 'app': 'models', 'unique_together': (('district', 'rule_id'),), 'pk_attr': 'id', 'table_description': "A district Society's own policy rule (the files hold the state's and the Union's)."},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_workflows')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DailyFigure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('lsp', fields.ForeignKeyField('models.LSP', source_field='lsp_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('counter', fields.ForeignKeyField('models.Counter', source_field='counter_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('business_date', fields.DateField(db_index=True)),
                ('service_code', fields.CharField(max_length=100)),
                ('provider', fields.CharField(max_length=200)),
                ('category', fields.CharField(default='', max_length=20)),
                ('transactions', fields.IntField(default=0)),
                ('principal_paise', fields.BigIntField(default=0)),
                ('service_charge_paise', fields.BigIntField(default=0)),
                ('citizen_total_paise', fields.BigIntField(default=0)),
                ('charge_by_department_paise', fields.BigIntField(default=0)),
                ('charge_by_partner_paise', fields.BigIntField(default=0, description='Commissions paid by partners')),
                ('cancelled', fields.IntField(default=0)),
            ],
            options={'table': 'daily_figure', 'app': 'models', 'unique_together': (('counter', 'business_date', 'service_code'),), 'pk_attr': 'id', 'table_description': 'Pre-aggregated figures of one counter, service and business day, kept as transactions are recorded.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Inspection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('counter', fields.ForeignKeyField('models.Counter', source_field='counter_id', db_constraint=True, to_field='id', related_name='inspections', on_delete=OnDelete.RESTRICT)),
                ('inspector', fields.ForeignKeyField('models.User', source_field='inspector_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('inspected_on', fields.DateField()),
                ('checklist', fields.JSONField(default=dict, description='Item code to true (in order) or false', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('findings', fields.TextField(default='', unique=False)),
                ('follow_up', fields.TextField(default='', unique=False)),
                ('follow_up_due', fields.DateField(null=True)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_note', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'inspection', 'app': 'models', 'pk_attr': 'id', 'table_description': "The Society's inspection of a counter: the checklist, findings and the follow-up."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MisReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('lsp', fields.ForeignKeyField('models.LSP', source_field='lsp_id', db_constraint=True, to_field='id', related_name='mis_reports', on_delete=OnDelete.RESTRICT)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('status', fields.CharField(default='submitted', description='submitted, returned or vetted', max_length=12)),
                ('figures', fields.JSONField(default=dict, description='The figures as submitted, frozen once vetted', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('adjustments', fields.JSONField(default=list, description='Corrections to earlier vetted periods', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('submitted_by', fields.ForeignKeyField('models.User', source_field='submitted_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('remarks', fields.TextField(default='', unique=False)),
                ('sha256', fields.CharField(default='', description='Of the frozen figures and adjustments', max_length=64)),
            ],
            options={'table': 'mis_report', 'app': 'models', 'pk_attr': 'id', 'table_description': "An LSP's periodic MIS report: submitted, vetted (then frozen) or returned with remarks by the Society."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ServiceRequest',
            name='business_date',
            field=fields.DateField(null=True, db_index=True, description="The counter's business day it was recorded on"),
        ),
    ]

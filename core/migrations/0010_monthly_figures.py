from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_case_report_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MonthlyFigure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('lsp', fields.ForeignKeyField('models.LSP', source_field='lsp_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('counter', fields.ForeignKeyField('models.Counter', source_field='counter_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('month', fields.DateField(description='The first day of the month')),
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
            options={'table': 'monthly_figure', 'app': 'models', 'unique_together': (('counter', 'month', 'service_code'),), 'indexes': [Index(fields=['district_id', 'month']), Index(fields=['lsp_id', 'month'])], 'pk_attr': 'id', 'table_description': 'The daily figures summed by calendar month, kept with them in the same transaction.'},
            bases=['Model'],
        ),
    ]

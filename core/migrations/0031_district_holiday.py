"""The district Society's own holidays (decision 109): a row per local holiday the Collector declares
for the district (date and name), one a day, kept by the Society on its Holidays page or with
``emitra holidays add``. The working days of an owed UPI refund leave them out besides Sundays and
the state-wide ``EMITRA_HOLIDAYS``. A new table: nothing to fill in; reversing it drops the table."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0030_case_filed_counter')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DistrictHoliday',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('date', fields.DateField(description="The holiday's date")),
                ('name', fields.CharField(description="As the Collector's order names it, e.g. Pushkar Mela", max_length=100)),
                ('created_by', fields.CharField(default='', description='Username (the audit log has the rest)', max_length=60)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'district_holiday', 'app': 'models', 'unique_together': (('district', 'date'),), 'pk_attr': 'id', 'table_description': 'A local holiday of a district, kept by its Society: not a working day there.'},
            bases=['Model'],
        ),
    ]

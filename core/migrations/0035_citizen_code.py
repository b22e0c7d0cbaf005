"""One-time codes a citizen signs in with, sent by SMS to the mobile registered for them at a counter
(core/citizen_login.py): a keyed hash of each code, never the code. A new table: nothing to fill in;
reversing it drops the table."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0034_counter_name_hi')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CitizenCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('mobile_key', fields.CharField(db_index=True, description='Keyed hash of the mobile, as the sign-in session holds it', max_length=64)),
                ('mobile', fields.CharField(description='The registered mobile the code was sent to', max_length=10)),
                ('code_hash', fields.CharField(description='salt$HMAC-SHA256 of the code', max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, description='Signed in with it, or ended by a newer code or a lock', auto_now=False, auto_now_add=False)),
                ('notification', fields.ForeignKeyField('models.Notification', source_field='notification_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('ip', fields.CharField(default='', max_length=45)),
            ],
            options={'table': 'citizen_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time code sent by SMS to sign a citizen in with their mobile (core/citizen_login.py).'},
            bases=['Model'],
        ),
    ]

"""A staff member's name and post in Hindi (decision 147): ``app_user.full_name_hi``, shown on Hindi
pages wherever the account is named (the page's header, an officer's step on a case's timeline):
"तहसीलदार, राजस्व विभाग" for "Tehsildar, Revenue Department". Empty for the accounts made before: they
show their English name until one is given (``emitra officer add --name-hi``). A constant default in
the database (db_default), so the column is added without rewriting the table."""
from tortoise import fields
from tortoise import migrations

from emitra.core.migration_ops import AddColumn


class Migration(migrations.Migration):
    dependencies = [('models', '0035_citizen_code')]

    initial = False

    operations = [
        AddColumn(
            model_name='User',
            name='full_name_hi',
            field=fields.CharField(max_length=200, default='', db_default='', unique=False),
        ),
    ]

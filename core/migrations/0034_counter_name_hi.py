"""A counter's name in Hindi (decision 128): ``counter.name_hi``, shown wherever a Hindi page,
receipt or message names the counter ("जनमित्र कियोस्क, चौमूं" for "JanMitra Kiosk, Chomu"). Empty for
the counters licensed before: they show their English name until the Society gives them one
(``emitra counter set CODE --name-hi``, or the Network page). A constant default in the database
(db_default), so the column is added without rewriting the table."""
from tortoise import fields
from tortoise import migrations

from emitra.core.migration_ops import AddColumn


class Migration(migrations.Migration):
    dependencies = [('models', '0033_drawer_total')]

    initial = False

    operations = [
        AddColumn(
            model_name='Counter',
            name='name_hi',
            field=fields.CharField(max_length=200, default='', db_default='', unique=False),
        ),
    ]

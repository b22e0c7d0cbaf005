"""A scan held for a form refused for another field (decision 149): ``document.held_for``, the hash
of the operator's session and the form it was uploaded in, while the scan is not yet attached to an
application. Only that session posting that form may use it again; a held scan is deleted an hour
after its upload, or when the form is recorded without it. Empty (NULL) for the scans uploaded
before and through the API: they are used as before."""
from tortoise import fields
from tortoise import migrations

from emitra.core.migration_ops import AddColumn


class Migration(migrations.Migration):
    dependencies = [('models', '0036_user_full_name_hi')]

    initial = False

    operations = [
        AddColumn(
            model_name='Document',
            name='held_for',
            field=fields.CharField(max_length=64, null=True, unique=False),
        ),
    ]

"""The language of the messages to a citizen (decision 99): ``service_request.message_lang``, chosen
when the citizen is served and used by every later message about that request (its case's steps,
a counter move, a UPI or card refund). Empty for the requests recorded before: their messages keep
the language they had (the operator's, or Hindi for a refund). A constant default in the database
(db_default): the column is added without rewriting service_request."""
from tortoise import fields
from tortoise import migrations

from emitra.core.migration_ops import AddColumn


class Migration(migrations.Migration):
    dependencies = [('models', '0028_statement_entry')]

    initial = False

    operations = [
        AddColumn(
            model_name='ServiceRequest',
            name='message_lang',
            field=fields.CharField(max_length=2, default='', db_default='', unique=False),
        ),
    ]

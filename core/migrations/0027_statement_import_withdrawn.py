"""A statement import can be withdrawn (decision 89): when, by whom and why. A withdrawn import keeps
its row (the page lists it, struck through, with the reason) but not its lines; its file's hashes
move to the audit record, so that the right file, or the same one after a mistaken withdrawal, can
be imported. Constant defaults in the database (db_default): the columns are added without
rewriting statement_import."""
from tortoise import fields
from tortoise import migrations

from emitra.core.migration_ops import AddColumn


class Migration(migrations.Migration):
    dependencies = [('models', '0026_statement_line_matched_id')]

    initial = False

    operations = [
        AddColumn(
            model_name='StatementImport',
            name='withdrawn_at',
            field=fields.DatetimeField(null=True, unique=False),
        ),
        AddColumn(
            model_name='StatementImport',
            name='withdrawn_by',
            field=fields.CharField(max_length=60, default='', db_default='', unique=False),
        ),
        AddColumn(
            model_name='StatementImport',
            name='withdrawn_reason',
            field=fields.CharField(max_length=300, default='', db_default='', unique=False),
        ),
    ]

"""The same statement saved again is recognised, and repeated bank lines are told apart by balance.

``statement_import.content_sha256``: the SHA-256 of an import's lines as read (value date, amount,
reference, description, in order), unique in a district beside the file's own ``sha256``: a file
saved again from a spreadsheet (a byte-order mark, CRLF line endings) has other bytes and the same
lines. Imports made before this migration have none (NULL): a copy of one is still refused, line by
line (core/reconcile._repeated_lines). ``statement_line.balance_paise``: the bank's running
balance after the line, when the statement gives it, which tells a line downloaded again from
another transaction alike in date, amount, reference and description. Both columns are added
without rewriting either table."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from emitra.core.migration_ops import AddColumn
from tortoise.migrations.constraints import UniqueConstraint


class Migration(migrations.Migration):
    dependencies = [('models', '0020_day_end_note_hi')]

    initial = False

    operations = [
        AddColumn(
            model_name='StatementImport',
            name='content_sha256',
            field=fields.CharField(null=True, description='Of its lines as read (date, amount, reference, description): the same statement saved again', max_length=64),
        ),
        ops.AddConstraint(
            model_name='StatementImport',
            constraint=UniqueConstraint(fields=('district', 'content_sha256'), name=None),
        ),
        AddColumn(
            model_name='StatementLine',
            name='balance_paise',
            field=fields.BigIntField(null=True, description="The bank's running balance after the line, when the statement gives it"),
        ),
    ]

"""A case event's remark in Hindi beside the English one: the remarks the platform writes ("Received
by the department, reference ...", the SLA sweep's "escalated to level N") are kept in both languages
and shown in the page's language (a person's remark stays as written, ``remark_hi`` empty). Events
written before this migration keep an empty ``remark_hi``; core/workflow.remark_hi puts the
platform's English ones into Hindi when shown. A constant default in the database (db_default), so
the column is added without rewriting case_event."""
from tortoise import migrations
from tortoise import fields

from emitra.core.migration_ops import AddColumn


class Migration(migrations.Migration):
    dependencies = [('models', '0022_bank_reference_form')]

    initial = False

    operations = [
        AddColumn(
            model_name='CaseEvent',
            name='remark_hi',
            field=fields.TextField(default='', description="The platform's remark in Hindi (empty: as written)", db_default='', unique=False),
        ),
    ]

"""Where a case was filed, on the case (decision 110): ``work_case.filed_counter_id``, the counter of
its request's payment, which a move to another counter leaves where it was (decision 101 counted a
counter's or an LSP's "filed" through the request, a join that read the whole request table's
counter index on PostgreSQL: 0.14 s a month for an LSP of 27 counters, growing with every request
the district ever recorded). Filled in from the requests for the cases before; the index the
month's "filed" figure reads gains the column, so the question is answered from it alone."""
from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from emitra.core.migration_ops import AddColumn


class Migration(migrations.Migration):
    dependencies = [('models', '0029_message_lang')]

    initial = False

    operations = [
        AddColumn(
            model_name='Case',
            name='filed_counter_id',
            field=fields.IntField(null=True),
        ),
        ops.RunSQL('UPDATE "work_case" SET "filed_counter_id" = (SELECT "counter_id" FROM "service_request"'
                   ' WHERE "service_request"."id" = "work_case"."request_id") WHERE "request_id" IS NOT NULL',
                   reverse_sql='SELECT 1'),
        ops.RemoveIndex(
            model_name='Case',
            name=None,
            fields=['district_id', 'created_at', 'department', 'service_code', 'counter_id', 'about_counter_id'],
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['district_id', 'created_at', 'department', 'service_code', 'counter_id', 'about_counter_id',
                                'filed_counter_id']),
        ),
    ]

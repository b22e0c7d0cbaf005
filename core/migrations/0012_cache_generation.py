"""The cache generation (core/cache.py): a one-row table and the triggers that move it on every write
to a table whose rows the counter transaction caches. Raw SQL, per dialect: triggers have no model."""
from tortoise import migrations
from tortoise.migrations import operations as ops


async def forward(apps, schema_editor) -> None:
    from emitra.core import cache

    for statement in cache.trigger_sql(schema_editor.client.capabilities.dialect):
        await schema_editor.client.execute_query(statement)


async def backward(apps, schema_editor) -> None:
    from emitra.core import cache

    for statement in cache.drop_sql(schema_editor.client.capabilities.dialect):
        await schema_editor.client.execute_query(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0011_ledger_indexes')]

    initial = False

    operations = [
        ops.RunPython(forward, backward),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_settlement_open')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Case',
            name=None,
            fields=['district_id', 'closed_at'],
        ),
        ops.RemoveIndex(
            model_name='Case',
            name=None,
            fields=['district_id', 'created_at'],
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['district_id', 'closed_at', 'department', 'service_code', 'kind', 'breached', 'level', 'counter_id', 'about_counter_id']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['district_id', 'created_at', 'department', 'service_code', 'counter_id', 'about_counter_id']),
        ),
    ]

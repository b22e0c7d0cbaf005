from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_audit_chain_sessions')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['district_id', 'closed_at']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['district_id', 'created_at']),
        ),
    ]

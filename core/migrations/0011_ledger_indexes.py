from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_monthly_figures')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['created_at']),
        ),
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['request_id']),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['request_id']),
        ),
        ops.AddIndex(
            model_name='Posting',
            index=Index(fields=['entry_id']),
        ),
    ]

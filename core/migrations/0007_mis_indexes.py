from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_mis')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='DailyFigure',
            index=Index(fields=['district_id', 'business_date']),
        ),
        ops.AddIndex(
            model_name='DailyFigure',
            index=Index(fields=['lsp_id', 'business_date']),
        ),
    ]

"""The drawers' totals by half hour (decision 124): ``drawer_total``, what each counter's cash
drawer took in a half hour and what its entries credited to each share the counter keeps back,
written with every new entry from now on (core/drawer_totals.note) and filled in here from the
postings already in the books (core/drawer_totals.rebuild: one pass over the drawers' entries). A
day end then reads its window's whole half hours from it instead of every posting of the day.
Reversing it drops the table: the postings are unchanged and remain the books."""
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


async def forward(apps, schema_editor) -> None:
    from emitra.core.drawer_totals import rebuild

    await rebuild(schema_editor.client)


async def backward(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0032_statement_entry_own_district')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DrawerTotal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='id',
                                                    related_name=False, on_delete=OnDelete.RESTRICT)),
                ('drawer', fields.CharField(max_length=100)),
                ('since', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('account', fields.CharField(max_length=100)),
                ('total_paise', fields.BigIntField()),
                ('postings', fields.IntField()),
            ],
            options={'table': 'drawer_total', 'app': 'models', 'unique_together': (('drawer', 'since', 'account', 'district'),), 'pk_attr': 'id',
                     'table_description': "What a counter's cash drawer took in a half hour, and what its entries credited to each share"},
            bases=['Model'],
        ),
        ops.RunPython(forward, backward),
    ]

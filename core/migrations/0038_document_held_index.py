"""The held scans found by an index (decision 158): ``document`` (request_id, held_for, created_at).
The sweep of held scans (``documents.sweep_held``: the scans not attached, held for a form, uploaded
more than an hour ago) runs with every form posted at a counter and by ``emitra documents sweep``,
and the release of a recorded form's scans asks for those held for it; both read the whole table of
every scan ever uploaded. The index starts with the request, NULL for the few scans not attached, so
both read only those. Declared on the model (``Document.Meta.indexes``). On a large database this
migration takes a few seconds per million documents."""
from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0037_document_held_for')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Document',
            index=Index(fields=['request_id', 'held_for', 'created_at']),
        ),
    ]

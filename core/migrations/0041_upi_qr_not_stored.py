"""A UPI payment's QR code is no longer stored in its ``details`` (decision 188): it is drawn from
the payment's ``upi_link`` whenever a page or an API answer shows the pending payment
(core/payment_methods/upi.shown_details). This removes the ``qr_svg`` field the payments started
before it kept: about 27 KB of SVG text each, which every read of a payment's details (the weekly
reconciliation reads those of every payment of the week) had to parse. The link, the VPA, the
payee and the reference stay; so does the QR code on every page and answer that showed it.

One statement, in the migration's transaction. On SQLite the file keeps its size until a
``VACUUM`` (docs/operations.md); PostgreSQL reuses the space after its autovacuum. Reversing it
changes nothing: the codes are drawn again from the links when shown."""
from tortoise import migrations
from tortoise.migrations import operations as ops


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(
            """UPDATE "payment" SET "details" = "details" - 'qr_svg' WHERE "method" = 'upi' AND "details" ? 'qr_svg'""")
    else:
        await client.execute_script(
            """UPDATE "payment" SET "details" = json_remove("details", '$.qr_svg') """
            """WHERE "method" = 'upi' AND json_type("details", '$.qr_svg') IS NOT NULL""")


async def backward(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0040_entry_figures')]

    initial = False

    operations = [
        ops.RunPython(forward, backward),
    ]

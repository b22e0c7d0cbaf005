"""Day ends' bank references in one form: capitals and no spaces (core/money.bank_reference).

A deposit's bank reference is now stored, looked up and compared in that form, so that one bank
credit typed "utr9ab12" on one slip and "UTR 9AB12" on another is seen as one (decision 50). This
rewrites the references typed before it into that form, row by row, in Python (the same two lines
as core/money.bank_reference, copied here: what this migration did must not change with that
function; SQL's UPPER differs between SQLite and PostgreSQL outside ASCII).

It never fails on what it finds: two slips of a district whose references become the same (one
credit that confirmed two slips before the rule) are both rewritten and left as they are, confirmed,
with their postings untouched; the Society's Day ends page lists every reference on more than one
slip of the district (core/dayend.shared_references) to be checked against the bank statement. A
reference that would grow past the column's 100 characters in capitals (a few letters outside ASCII
do) is left as it was. Reversing it changes nothing: the references typed before are not kept
(the audit log's ``dayend.deposit_confirmed`` records still have them)."""
from tortoise import migrations
from tortoise.migrations import operations as ops


def _form(text: str) -> str:
    return "".join((text or "").split()).upper()


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    rows = await client.execute_query_dict('SELECT "id", "bank_reference" FROM "day_end" WHERE "bank_reference" <> \'\' ORDER BY "id"')
    changes = [[_form(r["bank_reference"]), r["id"]] for r in rows
               if _form(r["bank_reference"]) != r["bank_reference"] and 0 < len(_form(r["bank_reference"])) <= 100]
    sql = 'UPDATE "day_end" SET "bank_reference" = $1 WHERE "id" = $2' if postgres else 'UPDATE "day_end" SET "bank_reference" = ? WHERE "id" = ?'
    for at in range(0, len(changes), 5000):
        await client.execute_many(sql, changes[at:at + 5000])


async def backward(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0021_statement_content')]

    initial = False

    operations = [
        ops.RunPython(forward, backward),
    ]

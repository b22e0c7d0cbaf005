"""Citizens' names matched in both scripts (decision 56): a column ``name_sound`` (the phonetic key of
the name, the same for "रमेश कुमार" and "Ramesh Kumar") and every ``name_key`` worked out again.

The key used to split a Devanagari word at each vowel sign, virama and anusvara ("रमेश कुमार" was
keyed "रम श क म र"), so searches and the likely-duplicate check misbehaved on Devanagari names. This
works out both columns of every citizen with core/names.py, in batches of 5,000 by id, and writes
only the rows that change: run again, it writes nothing. It uses the functions of the version that
runs it, not a copy: the keys are derived from the name and must be the ones that version's search
computes for a typed name (a later change to them comes with its own migration that works them out
again).

Reversing it puts back the keys the versions before it computed (their three lines, copied here:
what they did must not change) and drops the column. Nothing typed is lost either way: the name
itself is never changed."""
import re
import unicodedata

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from emitra.core.migration_ops import AddColumn

_BATCH = 5000
_OLD_TITLES = {"shri", "sri", "smt", "km", "mr", "mrs", "ms", "dr", "श्री", "श्रीमती", "सुश्री"}


def _old_key(name: str) -> str:
    text = re.sub(r"[^\w\s]", " ", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(w for w in text.split() if w not in _OLD_TITLES)


def _new_keys(name: str) -> tuple[str, str]:
    from emitra.core.names import name_key, name_sound

    return name_key(name), name_sound(name)


async def _rewrite(schema_editor, keys, columns: tuple[str, ...]) -> int:
    """Each citizen's ``columns`` set to ``keys(name)``, where they differ, batch by batch; how many
    rows were written."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    mark = (lambda n: f"${n}") if postgres else (lambda n: "?")
    read = ", ".join(f'"{c}"' for c in columns)
    write = ", ".join(f'"{c}" = {mark(n)}' for n, c in enumerate(columns, 1))
    select = f'SELECT "id", "name", {read} FROM "citizen" WHERE "id" > {mark(1)} ORDER BY "id" LIMIT {_BATCH}'
    update = f'UPDATE "citizen" SET {write} WHERE "id" = {mark(len(columns) + 1)}'
    last = written = 0
    while rows := await client.execute_query_dict(select, [last]):
        changes = []
        for row in rows:
            new = keys(row["name"] or "")
            if list(new) != [row[c] for c in columns]:
                changes.append([*new, row["id"]])
        if changes:
            await client.execute_many(update, changes)
        written += len(changes)
        last = rows[-1]["id"]
    return written


async def forward(apps, schema_editor) -> None:
    await rewrite_keys(schema_editor)


async def rewrite_keys(schema_editor) -> int:
    """Every citizen's name_key and name_sound as core/names.py works them out; rows written."""
    return await _rewrite(schema_editor, _new_keys, ("name_key", "name_sound"))


async def backward(apps, schema_editor) -> None:
    await _rewrite(schema_editor, lambda name: (_old_key(name),), ("name_key",))


class Migration(migrations.Migration):
    dependencies = [('models', '0023_case_event_remark_hi')]

    initial = False

    operations = [
        AddColumn(
            model_name='Citizen',
            name='name_sound',
            field=fields.CharField(default='', description='Phonetic key of the name, the same in Devanagari and Latin letters',
                                   db_default='', max_length=200),
        ),
        ops.RunPython(forward, backward),
    ]

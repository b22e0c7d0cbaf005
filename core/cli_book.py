"""``emitra book digest``: the weekly digest of the LokMitra centres' complaint and suggestion books.

Run it from cron every Monday morning (docs/citizens.md)::

    30 7 * * 1  emitra book digest
"""

from __future__ import annotations


import click


@click.group("book")
def book_group() -> None:
    """The complaint and suggestion books of the LokMitra centres (docs/citizens.md)."""


@book_group.command("digest")
@click.option("--week", default=None, help="The Monday the week starts on (YYYY-MM-DD); default: the last complete Monday-Sunday week.")
@click.option("--district", default=None, help="The district's code, e.g. JP; default: every district.")
def digest(week: str | None, district: str | None) -> None:
    """Email each district's book entries of the week to its nodal officer (once; safe to run twice)."""
    from emitra.core import audit, book, notify
    from emitra.core.cli import run
    from emitra.core.models import District

    if week:
        from emitra.core.cli import cli_date

        week_start = cli_date(week, "--week", "a date; give the Monday as YYYY-MM-DD")
        if week_start.weekday() != 0:
            raise click.BadParameter(f"{week} is a {week_start.strftime('%A')}; give the Monday the week starts on", param_hint="--week")
    else:
        week_start = book.last_complete_week()

    async def go():
        if district:
            found = await District.get_or_none(code=district.strip().upper())
            if found is None:
                raise click.BadParameter(f"no district {district!r}; use its two-letter code, e.g. JP", param_hint="--district")
            districts = [found]
        else:
            districts = await District.all().order_by("code")
        out = []
        for d in districts:
            try:
                note = await book.weekly_digest(audit.Actor(None, via="cli"), d.id, week_start)
            except book.BookError as exc:
                out.append(f"{d.code}: not sent: {exc.message_en}")
                continue
            if note is None:
                out.append(f"{d.code}: week of {week_start.isoformat()}: already sent, nothing new")
            else:
                first = note.body_en.splitlines()[0]
                out.append(f"{d.code}: sent to {notify.mask_recipient(note.recipient)} (notification #{note.id}): {first}")
        return out

    for line in run(go):
        click.echo(line)


commands: list[click.Command] = [book_group]

"""``emitra holidays list | add | remove``: a district's local holidays, kept by its Society
(core/holidays.py, decision 109); the same checks and audit records as the Holidays page."""

from __future__ import annotations

import click

from emitra.core.text import count_en

DISTRICT = click.option("--district", "district_code", required=True, help="The district's code, e.g. JP.")
AS = click.option("--as", "as_user", required=True, help="The district Society admin's username (recorded in the audit log).")


async def _district(code: str):
    from emitra.core.models import District

    district = await District.get_or_none(code=code.strip().upper())
    if district is None:
        raise click.ClickException(f"--district: no district with code {code!r} (`emitra district list` shows them)")
    return district


def _change(fn, district_code: str, as_user: str, *args):
    """``fn(actor, district_id, *args)`` as the user --as; a refusal is the command's error, naming
    the option (DATE, --name, --as)."""
    from emitra.core import audit, holidays
    from emitra.core.cli import run
    from emitra.core.models import User

    options = {"date": "DATE", "name": "--name", "actor": "--as"}

    async def go():
        district = await _district(district_code)
        user = await User.get_or_none(username=as_user)
        if user is None:
            raise click.ClickException(f"--as {as_user!r}: no account has that username")
        try:
            return district, await fn(audit.Actor(user, via="cli"), district.id, *args)
        except holidays.HolidayError as exc:
            raise click.ClickException(f"{options.get(exc.field, exc.field)}: {exc.message_en}") from None

    return run(go)


@click.group("holidays")
def holidays_group() -> None:
    """A district's local holidays, declared by its Collector: not working days there, besides Sundays
    and the state's EMITRA_HOLIDAYS (an owed UPI refund's overdue count; docs/money.md)."""


@holidays_group.command("list")
@DISTRICT
@click.option("--year", type=click.IntRange(2000, 2099), default=None, help="Only this year's (default: every year's).")
def holidays_list(district_code: str, year: int | None) -> None:
    """The district's holidays, in date order: date, day, name, who added it."""
    from emitra.core import holidays
    from emitra.core.cli import run

    async def go():
        district = await _district(district_code)
        return district, await holidays.listing(district.id, year)

    district, rows = run(go)
    for h in rows:
        click.echo(f"{h.date.isoformat()}  {h.date:%a}  {h.name}  (added by {h.created_by or '-'})")
    click.echo(f"{count_en(len(rows), 'holiday')} of {district.code}" + (f" in {year}" if year else ""))


@holidays_group.command("add")
@click.argument("date")
@click.option("--name", required=True, help="The holiday's name as the Collector's order writes it, e.g. 'Pushkar Mela'.")
@DISTRICT
@AS
def holidays_add(date: str, name: str, district_code: str, as_user: str) -> None:
    """Add DATE (YYYY-MM-DD, from a year back to the end of next year) to the district's holidays."""
    from emitra.core import holidays

    district, holiday = _change(holidays.add, district_code, as_user, date, name)
    click.echo(f"added: {holiday.date.isoformat()} {holiday.name}: no working day in {district.code}")


@holidays_group.command("remove")
@click.argument("date")
@DISTRICT
@AS
def holidays_remove(date: str, district_code: str, as_user: str) -> None:
    """Remove DATE from the district's holidays: it is a working day there again."""
    from emitra.core import holidays

    district, holiday = _change(holidays.remove, district_code, as_user, date)
    click.echo(f"removed: {holiday.date.isoformat()} {holiday.name}: a working day in {district.code} again")


commands: list[click.Command] = [holidays_group]

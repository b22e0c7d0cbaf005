"""``emitra officer add | list | deactivate | reactivate | set-password | departments``: the department
officers of a district (core/officers.py)."""

from __future__ import annotations

import sys

import click

from emitra.core.text import count_en, noun_en


@click.group("officer")
def officer() -> None:
    """Department officers: who acts on a department's applications (docs/workflows.md)."""


@officer.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="The officer's name and post, e.g. 'Mining Engineer, Jaipur'.")
@click.option("--name-hi", "full_name_hi", default="",
              help="The same in Hindi (Devanagari), shown on Hindi pages, e.g. 'खनि अभियंता, जयपुर'.")
@click.option("--department", required=True,
              help="The department exactly as its services name it (`emitra officer departments` lists them).")
@click.option("--district", "district_code", required=True, help="The district's code, e.g. JP.")
@click.option("--level", default=1, show_default=True, type=int, help="1 the desk officer, 2 the next officer up (escalations).")
@click.option("--email", default="", help="Where escalations are sent.")
@click.option("--as", "as_user", required=True, help="The Society admin's username (recorded in the audit log).")
def officer_add(username: str, full_name: str, full_name_hi: str, department: str, district_code: str, level: int, email: str,
                as_user: str) -> None:
    """Create the department officer USERNAME in a district. The password is asked for twice, or read
    from the first line of standard input when it is not a terminal."""
    from emitra.core import officers

    password = _password("Password for the officer (at least 8 characters)")
    user = run_as(officers.add_officer, as_user, username=username, full_name=full_name, department=department,
                  district_code=district_code, password=password, level=level, email=email,
                  full_name_hi=full_name_hi)
    click.echo(f"created {user.username}: department officer, level {user.level}, of {user.department!r} in {district_code.upper()}")


def _password(prompt: str) -> str:
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")  # a script pipes it in: the first line (never an option, which `ps` would show)


def run_as(fn, as_user: str | None, *args, **kwargs):
    """Run ``fn(actor, ...)`` as the user --as (a command-line actor); a refusal (an
    :class:`~emitra.core.officers.OfficerError`, naming the option) is the command's error."""
    from emitra.core import audit
    from emitra.core.cli import run
    from emitra.core.models import User
    from emitra.core.officers import OfficerError

    async def go():
        user = await User.get_or_none(username=as_user) if as_user is not None else None
        if as_user is not None and user is None:  # never taken for the shell's own first steps (core/onboarding._first_steps)
            raise click.ClickException(f"--as {as_user!r}: no account has that username (`emitra district list`, "
                                       "`emitra lsp list` and `emitra counter list` show who runs what)")
        actor = audit.Actor(user, via="cli")
        try:
            return await fn(actor, *args, **kwargs)
        except OfficerError as exc:
            raise click.ClickException(str(exc)) from None

    return run(go)


def add_account_commands(group: click.Group, *, deactivate, reactivate, set_password, rename, who: str, as_help: str,
                         citizens: str = "") -> None:
    """``deactivate``, ``reactivate``, ``set-password`` and ``rename`` on ``group`` (``emitra officer``,
    ``emitra user``): the same steps for every kind of account, each ``fn(actor, username[, password])``
    (deactivate and reactivate also take the ``--reason``, decision 145; rename ``name=`` and
    ``name_hi=``, decision 148);
    ``citizens``, the help's words on a citizen's login, when the group's steps take one too."""
    from emitra.core.models import Role
    from emitra.core.officers import REASON_MAX, REASON_MIN

    as_option = click.option("--as", "as_user", required=True, help=as_help)
    reason_option = click.option(
        "--reason", default="",
        help=f"Why, in {REASON_MIN} to {REASON_MAX} characters, kept in the audit log"
             + (": required for a citizen's login, as the Society's page asks for it; optional for staff." if citizens
                else " (optional)."))

    @group.command("deactivate", help=f"{who} who left: USERNAME can no longer log in, and every session and API token "
                                      "they hold ends now. The account stays (their name on the steps, receipts and timelines)."
                                      + (f" {citizens}" if citizens else ""))
    @click.argument("username")
    @as_option
    @reason_option
    def deactivate_command(username: str, as_user: str, reason: str) -> None:
        made = run_as(deactivate, as_user, username, reason)
        if made.role == Role.CITIZEN:
            click.echo(f"{made.username} ({made.full_name}) deactivated: a code sent to their mobile no longer signs them in, and "
                       f"their open sessions ended (emitra {group.name} reactivate {made.username} --as ... --reason ... to undo)")
        else:
            click.echo(f"{made.username} deactivated: cannot log in (emitra {group.name} reactivate {made.username} --as ... to undo)")

    @group.command("reactivate", help="Let a deactivated USERNAME log in again with their password"
                                      + (" (a citizen: sign in again with a code sent to their mobile)." if citizens else "."))
    @click.argument("username")
    @as_option
    @reason_option
    def reactivate_command(username: str, as_user: str, reason: str) -> None:
        made = run_as(reactivate, as_user, username, reason)
        if made.role == Role.CITIZEN:
            click.echo(f"{made.username} ({made.full_name}) may sign in again with a code sent to their mobile")
        else:
            click.echo(f"{made.username} may log in again")

    @group.command("set-password", help="Give USERNAME a new password (asked for twice, or the first line of standard input "
                                        "when it is not a terminal); every session they have open ends.")
    @click.argument("username")
    @as_option
    def set_password_command(username: str, as_user: str) -> None:
        made = run_as(set_password, as_user, username, _password("New password (at least 8 characters)"))
        click.echo(f"{made.username}: password changed; their open sessions were ended")

    @group.command("rename", help="Change what USERNAME is called, in English (--name), in Hindi (--name-hi, shown on Hindi "
                                  "pages: the header, the case timeline) or both; what is left out stays as it is.")
    @click.argument("username")
    @click.option("--name", default=None, help="The name (and post), e.g. 'Naib Tehsildar, Phagi'.")
    @click.option("--name-hi", "name_hi", default=None,
                  help="The same in Hindi (Devanagari), e.g. 'नायब तहसीलदार, फागी'; '' removes it (Hindi pages show --name).")
    @as_option
    def rename_command(username: str, name: str | None, name_hi: str | None, as_user: str) -> None:
        made = run_as(rename, as_user, username, name=name, name_hi=name_hi)
        click.echo(f"{made.username}: {made.full_name}; {hindi_name(made, group.name)}")


def hindi_name(account, group: str) -> str:
    """An account's Hindi name as a listing says it, or how to give one."""
    return (f"in Hindi: {account.full_name_hi}" if account.full_name_hi else
            f"no Hindi name: Hindi pages show the English one (emitra {group} rename {account.username} --name-hi '...' --as ... gives one)")


def _officers() -> None:
    from emitra.core import officers

    add_account_commands(officer, deactivate=officers.deactivate_officer, reactivate=officers.reactivate_officer,
                         set_password=officers.set_officer_password, rename=officers.rename_officer, who="An officer",
                         as_help="The Society admin's username (recorded in the audit log).")


_officers()


@officer.command("departments")
@click.option("--district", "district_code", default=None,
              help="Also say, for this district (its code, e.g. JP), how many active officers each has, and which "
                   "departments have no officer to act on open cases waiting, or on a service enabled at a counter.")
def officer_departments(district_code: str | None) -> None:
    """The departments the loaded services send applications to: an officer's --department is one of them."""
    from emitra.core.officers import known_departments

    if not district_code:
        for name in known_departments():
            click.echo(name)
        return
    from emitra.core.cli import run
    from emitra.core.models import District
    from emitra.core.officers import staffing

    async def go():
        district = await District.get_or_none(code=district_code.strip().upper())
        if district is None:
            raise click.ClickException(f"--district: no district with code {district_code!r}")
        for row in await staffing(district.id):
            waiting = row.waiting
            flags = ([f"{count_en(waiting.cases, 'open case')} waiting"
                      + (f" (needs an officer of level {waiting.level} or above)" if waiting.level > 1 else "")]
                     if waiting is not None else []) \
                + ([f"offered: {'; '.join(_offered(gap, counters) for gap, counters in row.offered)}"] if row.offered else [])
            flag = f"  NO OFFICER: {'; '.join(flags)}" if flags else ""
            click.echo(f"{row.officers:>3} {noun_en(row.officers, 'officer'):<8}  {row.department}{flag}")

    run(go)


def _offered(gap, counters) -> str:
    level = f" (needs an officer of level {gap.level} or above)" if gap.level > 1 else ""
    return f"{gap.service.code} at {', '.join(counters)}{level}"


@officer.command("list")
@click.option("--district", "district_code", default=None, help="Only this district's (its code, e.g. JP).")
def officer_list(district_code: str | None) -> None:
    """The department officers: username, district, level, department, name in English and in Hindi
    ("-" when it has none: Hindi pages show the English one), and whether they may log in."""
    from emitra.core.cli import run
    from emitra.core.models import Role, User

    async def go():
        query = User.filter(role=Role.DEPARTMENT_OFFICER).select_related("district").order_by("department", "level", "username")
        if district_code:
            query = query.filter(district__code=district_code.strip().upper())
        for user in await query:
            state = "" if user.active else "  (deactivated)"
            click.echo(f"{user.username:<16} {user.district.code if user.district else '--':<3} level {user.level}  "
                       f"{user.department}  |  {user.full_name} / {user.full_name_hi or '-'}{state}")

    run(go)


commands: list[click.Command] = [officer]

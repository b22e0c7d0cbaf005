"""``emitra dispatch pending | prepare | list | show | acknowledge``: the day's dispatch of paper
documents from a shell (core/dispatch.py; the pages are web/dispatch.py, docs/dispatch.md).

The Dispatch page was the only way to send a counter's papers, so moving a closing counter's
applications (``emitra counter move-applications``, refused while papers wait there) took a visit
to that counter's page (decision 72). The commands call the same functions as the pages, with the
same people allowed: an operator of the counter prepares its dispatch (they hold the papers and
sign the list), an officer of the department in the district or the district's Society admin
acknowledges one. Reading (pending, list, show) needs no ``--as``: it changes nothing, and the
shell is the Society's. The state changes are audited inside core/dispatch.py
(``dispatch.prepared``, ``dispatch.acknowledged``, ``via: cli``), not here again.
"""

from __future__ import annotations


import click

from emitra.core.text import count_en

#: a refusal's field (core/dispatch.DispatchError) -> the argument or option the command names
OPTION = {"counter": "COUNTER", "cases": "COUNTER", "user": "--as", "role": "--as", "date": "--date", "note": "--note",
          "missing": "--missing", "dispatch": "NUMBER"}
LISTED = 100  # dispatches `emitra dispatch list` prints unless given --limit


def _fail(exc) -> None:
    raise click.ClickException(f"{OPTION.get(exc.field, exc.field)}: {exc.message_en}")


async def _counter(code: str):
    from emitra.core.models import Counter

    counter = await Counter.get_or_none(code=str(code or "").strip().upper()) if str(code or "").strip() else None
    if counter is None:
        raise click.ClickException(f"COUNTER: no counter with code {code!r}; `emitra counter list` shows them")
    return counter


async def _user(username: str):
    from emitra.core.models import User

    user = await User.get_or_none(username=str(username or "").strip(), active=True)
    if user is None:
        raise click.ClickException(f"--as: no active user {username!r}")
    return user


async def _dispatch(number: str):
    from emitra.core.models import Dispatch

    found = await Dispatch.get_or_none(number=str(number or "").strip().upper()[:60])
    if found is None:
        raise click.ClickException(f"NUMBER: no dispatch {number!r}; `emitra dispatch list COUNTER` shows a counter's")
    return found


def _papers(documents: list) -> str:
    return "; ".join(f"{d.get('en', '')} / {d.get('hi', '')}" for d in documents or [])


@click.group("dispatch")
def dispatch() -> None:
    """The day-end dispatch of paper documents from a counter to each department (docs/dispatch.md)."""


@dispatch.command("pending")
@click.argument("counter_code", metavar="COUNTER")
def dispatch_pending(counter_code: str) -> None:
    """The papers waiting at COUNTER to be sent, per department: each case, its applicant and papers."""
    from emitra.core import dispatch as core
    from emitra.core.cli import run
    from emitra.core.models import Dispatch

    async def go():
        counter = await _counter(counter_code)
        waiting = await core.pending(counter)
        # papers a department reported missing, waiting again: from which dispatch (as the page says)
        reported: dict[str, str] = {}
        for d in reversed(await Dispatch.filter(counter_id=counter.id).order_by("-business_date", "-id").limit(60)):
            for number in core.missing_numbers(d):
                reported[number] = d.number
        return counter, waiting, reported

    counter, waiting, reported = run(go)
    closed = " (closed)" if not counter.active else ""
    if not waiting:
        click.echo(f"{counter.code}{closed}: no papers wait for dispatch")
        return
    cases = sum(len(c) for c in waiting.values())
    papers = sum(len(case.paper_documents or []) for c in waiting.values() for case in c)
    click.echo(f"{counter.code}{closed}: {count_en(cases, 'case')}, {count_en(papers, 'paper')} wait for dispatch "
               f"(emitra dispatch prepare {counter.code} --as OPERATOR)")
    for department, listed in waiting.items():
        click.echo(f"{department}: {count_en(len(listed), 'case')}")
        for case in listed:
            again = f"  reported missing from {reported[case.number]}" if case.number in reported else ""
            click.echo(f"  {case.number}  {case.title_en}  {case.applicant_name}  [{case.state}]{again}")
            click.echo(f"    papers: {_papers(case.paper_documents)}")


@dispatch.command("prepare")
@click.argument("counter_code", metavar="COUNTER")
@click.option("--date", "day", default=None, help="The dispatch's date (YYYY-MM-DD), today or earlier; default: today.")
@click.option("--as", "as_user", required=True, help="An operator of COUNTER, who signs the list (recorded in the audit log).")
def dispatch_prepare(counter_code: str, day: str | None, as_user: str) -> None:
    """Prepare COUNTER's dispatch, as its Dispatch page's button does: one numbered list per
    department of every case whose papers wait there. Print each list (its page, /dispatch/NUMBER)
    and send it with its bundle. Refused for a closed counter, someone not its operator, or when
    nothing waits."""
    from emitra.core import audit, clock
    from emitra.core import dispatch as core
    from emitra.core.cli import cli_date, run

    on = cli_date(day, "--date") if day else None

    async def go():
        counter = await _counter(counter_code)
        user = await _user(as_user)
        when = on or clock.today()
        try:
            await core.check_preparer(user, counter, when)
            made = await core.prepare(audit.Actor(user, via="cli"), counter, when)
        except core.DispatchError as exc:
            _fail(exc)
        if not made:
            raise click.ClickException(f"COUNTER: no papers wait at {counter.code} for dispatch; nothing was prepared "
                                       f"(`emitra dispatch list {counter.code}` shows its dispatches)")
        return counter, when, made

    counter, when, made = run(go)
    click.echo(f"prepared {len(made)} dispatch(es) at {counter.code} dated {when.isoformat()}; print each list "
               "(/dispatch/NUMBER, or emitra dispatch show NUMBER), sign it and send it with its bundle:")
    for d in made:
        click.echo(f"  {d.number}  {d.department}: {count_en(len(d.items), 'case')}")


def _state(d, by_name: dict[int, str]) -> str:
    from emitra.core import dispatch as core

    if d.acknowledged_at is None:
        return "waiting for the department"
    missing = core.missing_numbers(d)
    said = f"acknowledged {core.clock_fmt(d.acknowledged_at)} by {by_name.get(d.acknowledged_by_id, '—')}"
    return said + (f"; missing: {', '.join(missing)}" if missing else "")


async def _names(ids: set) -> dict[int, str]:
    from emitra.core.models import User

    ids = {i for i in ids if i}
    return {u.id: u.full_name or u.username for u in await User.filter(id__in=ids)} if ids else {}


@dispatch.command("list")
@click.argument("counter_code", metavar="[COUNTER]", required=False)
@click.option("--date", "day", default=None, help="Only the dispatches of this date (YYYY-MM-DD).")
@click.option("--waiting", is_flag=True, help="Only those the department has not acknowledged yet.")
@click.option("--department", default=None, metavar="TEXT", help="Only those to a department whose name contains TEXT (any case).")
@click.option("--limit", type=click.IntRange(min=0), default=LISTED, show_default=True, help="At most this many, newest first; 0 for all.")
def dispatch_list(counter_code: str | None, day: str | None, waiting: bool, department: str | None, limit: int) -> None:
    """The dispatches, newest first (COUNTER's, or every counter's): number, date, department, cases,
    and whether the department acknowledged it."""
    from emitra.core.cli import cli_date, run
    from emitra.core.models import Dispatch

    on = cli_date(day, "--date") if day else None
    office = (department or "").strip()
    if department is not None and not office:
        raise click.BadParameter("give part of the department's name, e.g. --department revenue", param_hint="--department")

    async def go():
        query = Dispatch.all()
        if counter_code:
            query = query.filter(counter_id=(await _counter(counter_code)).id)
        if on is not None:
            query = query.filter(business_date=on)
        if waiting:
            query = query.filter(acknowledged_at=None)
        if office:
            query = query.filter(department__icontains=office[:200])
        total = await query.count()
        query = query.order_by("-business_date", "-id")
        rows = await (query.limit(limit) if limit else query).prefetch_related("counter")
        return total, rows, await _names({d.acknowledged_by_id for d in rows})

    total, rows, names = run(go)
    if not rows:
        click.echo("no dispatch" + (" waiting for its department" if waiting else "")
                   + (f" to a department named like {office!r}" if office else "")
                   + (f" at {counter_code.strip().upper()}" if counter_code else "")
                   + (f" dated {on.isoformat()}" if on else ""))
        return
    for d in rows:
        click.echo(f"{d.number}  {d.business_date.isoformat()}  {d.counter.code}  {count_en(len(d.items or []), 'case')}  "
                   f"{d.department}  {_state(d, names)}")
    if total > len(rows):
        narrower = [hint for hint, given in (("a COUNTER", counter_code), ("a --date", on), ("--waiting", waiting),
                                             ("a --department", office)) if not given]
        click.echo(f"... and {total - len(rows)} older: " + (f"name {', '.join(narrower)}, or " if narrower else "")
                   + f"give --limit {total} (or --limit 0) for every one")


@dispatch.command("show")
@click.argument("number")
def dispatch_show(number: str) -> None:
    """The dispatch NUMBER as its printed list: the counter, department, date, who prepared it,
    each case with its papers, and its acknowledgement (or that it waits for one)."""
    from emitra.core.cli import run
    from emitra.core.models import Counter

    async def go():
        d = await _dispatch(number)
        return d, await Counter.get(id=d.counter_id), await _names({d.created_by_id, d.acknowledged_by_id})

    d, counter, names = run(go)
    click.echo(f"dispatch {d.number} dated {d.business_date.isoformat()}")
    # the counter and each service in English and Hindi, as the printed list's papers are (decision 131)
    hindi = f" / {counter.name_hi}" if counter.name_hi else ""
    click.echo(f"  from {counter.code} {counter.name}{hindi}" + (f"; {counter.address}" if counter.address else ""))
    click.echo(f"  to {d.department}")
    click.echo(f"  prepared by {names.get(d.created_by_id, '—')}")
    click.echo(f"  {_state(d, names)}" + (f" ({d.ack_note})" if d.ack_note else ""))
    for item in d.items or []:
        missing = "  MISSING" if item.get("missing") else ""
        service = " / ".join(dict.fromkeys(n for n in (item["service"].get("en"), item["service"].get("hi")) if n))
        click.echo(f"  {item['number']}  {service}  {item['applicant']}{missing}")
        click.echo(f"    papers: {_papers(item.get('documents'))}")


@dispatch.command("acknowledge")
@click.argument("number")
@click.option("--missing", multiple=True, metavar="CASE_NO",
              help="A case on the list whose papers did not arrive (repeat for each); it waits at its counter again.")
@click.option("--note", default="", help="What arrived short or damaged (at most 300 characters).")
@click.option("--as", "as_user", required=True,
              help="An officer of the dispatch's department in its district, or the district's Society admin.")
def dispatch_acknowledge(number: str, missing: tuple[str, ...], note: str, as_user: str) -> None:
    """Acknowledge the receipt of the dispatch NUMBER, as the department's clerk does on its page:
    once, with the cases whose papers did not arrive (--missing) and a note."""
    from emitra.core import audit
    from emitra.core import dispatch as core
    from emitra.core.cli import run
    from emitra.core.models import Counter

    async def go():
        d = await _dispatch(number)
        user = await _user(as_user)
        try:
            done = await core.acknowledge(audit.Actor(user, via="cli"), d, note, [m.strip().upper() for m in missing])
        except core.DispatchError as exc:
            _fail(exc)
        return done, await Counter.get(id=done.counter_id)

    done, counter = run(go)
    gone = core.missing_numbers(done)
    click.echo(f"{done.number} acknowledged: {count_en(len(done.items or []) - len(gone), 'case')} received"
               + (f"; reported missing: {', '.join(gone)} (waiting at {counter.code} again, for its next dispatch)" if gone else ""))


commands: list[click.Command] = [dispatch]

"""The ``emitra`` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Awaitable, Callable

import click

from emitra.core import config, db
from emitra.core.text import count_en


def run(fn: Callable[[], Awaitable[Any]], with_db: bool = True) -> Any:
    """Run ``fn`` with the ORM connected to the configured database. When it fails on the database,
    say why in one line, as `emitra db status` would (it cannot be reached or does not exist, it has no
    schema or migrations to apply) instead of the driver's traceback; a failure it cannot explain
    (a bug) keeps its traceback."""
    async def main() -> Any:
        if not with_db:
            return await fn()
        await db.init()
        try:
            return await fn()
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except Exception as exc:
        if with_db and _failed_on_the_database(exc):
            _explain_database_failure(exc)
        raise


def _failed_on_the_database(exc: BaseException) -> bool:
    from tortoise.exceptions import DBConnectionError, OperationalError

    return isinstance(exc, (DBConnectionError, OperationalError, OSError)) or db.unavailable(exc)


def _explain_database_failure(exc: BaseException) -> None:
    """Raise an :class:`~emitra.core.cli_ops.OpsError` that says why the database failed, if it can be said."""
    from emitra.core import cli_ops

    url = config.database_url()
    problem = cli_ops.database_not_ready(url)  # an OpsError itself when the database cannot be reached or does not exist
    if problem:
        raise cli_ops.OpsError(problem) from None
    if db.unavailable(exc):
        said = cli_ops.without_password(str(exc), url)
        raise cli_ops.OpsError(f"{db.safe_url(url)}: the database did not answer ({type(exc).__name__}: {said}): try again; if it "
                               f"persists, check that PostgreSQL is running, or that no other program holds the SQLite file locked") from None


@click.group()
def main() -> None:
    """emitra: multi-service, single-window citizen service counters.

    The database is a SQLite file in ./var unless EMITRA_DATABASE_URL names a PostgreSQL server.
    """
    config.check()  # every setting, before any command: a bad one stops here, named with its fix


@main.group("db")
def db_group() -> None:
    """Database commands."""


@db_group.command("migrate")
def db_migrate() -> None:
    """Create the database, or bring it up to the latest schema."""
    from emitra.core import cli_ops

    cli_ops.migrate_or_explain()
    click.echo(f"database is up to date: {_safe_url(config.database_url())}")


_safe_url = db.safe_url  # the database URL without its password, for printing and logs


@main.command()
def demo() -> None:
    """Load the Jaipur demo district (safe to run twice) and print the demo logins."""
    from emitra.core import demo as demo_data

    logins = run(demo_data.load)
    click.echo("Demo district Jaipur is loaded. Logins (username / password):")
    for username, full_name, role, _ in demo_data.USERS:
        click.echo(f"  {username:<10} / {logins[username]:<12}  {role.value:<19} {full_name}")


@main.command("demo-cases")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as a JSON object.")
def demo_cases(as_json: bool) -> None:
    """Applications and grievances on the demo district: a caste certificate applied for at the kiosk,
    approved, issued and collected; one waiting for the Tehsildar; a grievance escalated past its SLA
    (docs/workflows.md). Needs `emitra demo` first; safe to run twice."""
    from emitra.core import demo_cases as cases

    try:
        result = run(cases.run)
    except cases.DemoCasesError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else cases.summary_text(result))


@main.command("demo-week")
@click.option("--start", default=None, help="The Monday the week starts (YYYY-MM-DD); default: the last full week's Monday.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as a JSON object.")
def demo_week(start: str | None, as_json: bool) -> None:
    """Simulate a week of mixed payments at JP-LM-001 on the demo database, with day ends, settlement,
    remittances, the bank statement and the reconciliation (docs/money.md); exit 1 unless every figure
    reconciles and the ledger is balanced. Needs `emitra demo` first."""
    from emitra.core import demo_week as week

    monday = cli_date(start, "--start", "a date; give the Monday as YYYY-MM-DD") if start else week.default_start()
    try:
        result = run(lambda: week.run_week(monday))
    except week.DemoWeekError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else week.summary_text(result))
    if not result["ok"]:
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Worker processes; several only on PostgreSQL (docs/operations.md).")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app (pages and the JSON API)."""
    import uvicorn

    from emitra.core import cli_ops
    from emitra.core.plugins import get_host

    if workers > 1 and config.database_url().startswith("sqlite://"):
        raise click.UsageError(f"--workers {workers} on SQLite: SQLite takes one writer at a time, so worker processes queue "
                               "on its lock and multiply each other's latency. Serve SQLite with --workers 1, or set EMITRA_DATABASE_URL "
                               "to a PostgreSQL database for several workers (docs/operations.md).")
    try:  # a database without the schema this version needs would answer every log-in with a 500
        problem = cli_ops.database_not_ready(config.database_url())
    except cli_ops.DatabaseUnreachable as exc:  # down for now: serve, answer 503 until it is back (docs/operations.md)
        click.echo(f"warning: the migrations were not checked: {exc.message}", err=True)
        problem = None
    if problem:
        raise cli_ops.OpsError(f"not serving {problem}")
    config.secret_key()  # made once here, before the workers start, so that they all sign with the same key
    get_host()  # plugins and policy rules load now: a malformed rules file stops here, before serving
    click.echo(f"emitra is serving on http://{host}:{port}  (database: {_safe_url(config.database_url())})")
    uvicorn.run("emitra.web.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


def catalogue_markdown(rows: list[dict]) -> str:
    """The service catalogue as a Markdown page (docs/services/catalogue.md is this, generated)."""
    from emitra.core.money import format_paise

    out = ["# Service catalogue", "",
           "Generated by `emitra plugins --markdown` (run `make catalogue` after adding a service; a test checks it is current).", ""]
    for domain in ("government", "central", "private"):
        group = [r for r in rows if r["domain"] == domain]
        if not group:
            continue
        out += [f"## {domain.capitalize()}", "", "| code | service | provider | category | service charge | paid by |", "|---|---|---|---|---|---|"]
        for r in group:
            if r["commission_bp"] is not None:
                charge = f"{r['commission_bp'] / 100:g}% commission"
            elif r["priced_by_lsp"]:
                charge = "LSP's own unit price"
            else:
                charge = format_paise(r["fee_paise"])
            out.append(f"| `{r['code']}` | {r['title_en']}<br>{r['title_hi']} | {r['provider']} | {r['category']} | {charge} | {r['payer']} |")
        out.append("")
    return "\n".join(out)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per service.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the catalogue as a Markdown page.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool, as_markdown: bool) -> None:
    """List plugins and their services, with fee and payer; and what was refused, and why."""
    import logging

    from emitra.core import fees
    from emitra.core.plugins import get_host

    logging.getLogger("emitra.core.plugins").setLevel(logging.ERROR)  # refusals are listed below instead
    if ctx.invoked_subcommand is not None:
        return
    host = get_host()
    rows = []
    for service in sorted(host.registry, key=lambda s: s.code):
        rate = fees.default_rate(service)
        rows.append({
            "code": service.code, "title_en": service.title_en, "title_hi": service.title_hi,
            "provider": service.provider, "domain": service.domain.value, "category": service.category.value,
            "fee_paise": rate.fee_paise, "payer": rate.payer.value, "workflow": service.workflow.value,
            "commission_bp": service.fee.commission_bp, "priced_by_lsp": service.priced_by_lsp,
            "plugin": service.plugin,
        })
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if as_markdown:
        click.echo(catalogue_markdown(rows), nl=False)
        return
    from emitra.core.money import format_paise

    click.echo(f"plugins loaded: {', '.join(host.registry.plugins) or '(none)'}")
    for r in rows:
        if r["commission_bp"] is not None:
            charge = f"{r['commission_bp'] / 100:g}% commission"
        elif r["priced_by_lsp"]:
            charge = "LSP's unit price"
        else:
            charge = format_paise(r["fee_paise"])
        click.echo(f"  {r['code']:<36} {charge:>16} paid by {r['payer']:<10} [{r['plugin']}] {r['title_en']}")
    for refusal in host.registry.refusals:
        click.echo(f"  REFUSED {refusal}", err=True)


@main.group("ledger")
def ledger_group() -> None:
    """The double-entry ledger."""


@ledger_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: balanced, entries, imbalance_paise, problems.")
def ledger_check(as_json: bool) -> None:
    """Verify every invariant of the books; exit 1 when they do not hold."""
    from emitra.core import ledger

    result = run(ledger.check)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        echo_ledger_check(result)
    if not result["balanced"]:
        sys.exit(1)


def echo_ledger_check(result: dict, prefix: str = "") -> None:
    """Print the result of :func:`emitra.core.ledger.check`: a summary line, then each problem, then
    what closed counters' wallets left owed back to their LSPs, what cancelled UPI bookings left owed
    to citizens, and how many of those are overdue (a line, not a failure: decision 75)."""
    from emitra.core.money import format_paise

    click.echo(f"{prefix}{'balanced' if result['balanced'] else 'NOT BALANCED'}: {result['entries']} entries, "
               f"{result['postings']} postings, imbalance {result['imbalance_paise']} paise")
    for problem in result["problems"]:
        click.echo(f"  {problem}")
    for account, paise in result.get("wallet_refunds_owed_paise", {}).items():
        lsp = account.partition(":")[2]
        click.echo(f"  owed back to LSP {lsp} (wallets of closed counters, for the Society to refund): {format_paise(paise)}; "
                   f"record the transfer with `emitra wallet refund {lsp} RUPEES --reference REF`")
    for account, paise in result.get("upi_refunds_owed_paise", {}).items():
        receipt = account.partition(":")[2]
        click.echo(f"  owed to the citizen of {receipt} (a cancelled UPI booking's refund, for the Society to send to their UPI "
                   f"account): {format_paise(paise)}; record the transfer with `emitra upi-refunds pay {receipt} --reference REF`")
    overdue = result.get("upi_refunds_overdue", 0)
    if overdue:  # reported beside the problems, but the books balance: the exit status stays theirs (decision 75)
        from emitra.core import config

        click.echo(f"  overdue: {count_en(overdue, 'UPI refund')} owed to citizens for more than {count_en(config.upi_refund_due_days(), 'working day')} "
                   "(EMITRA_UPI_REFUND_DUE_DAYS): send them first; `emitra upi-refunds list` shows them oldest first")


@ledger_group.command("rebuild-drawer-totals")
def ledger_rebuild_drawer_totals() -> None:
    """Write the drawers' half-hourly totals again from the postings (decision 124), in one
    transaction: what `emitra ledger check` asks for when it finds them differing from the books."""
    from emitra.core import drawer_totals

    rows, differing = _rebuilt("ledger.drawer_totals_rebuilt", "rows", _counted(drawer_totals.problems), drawer_totals.rebuild)
    click.echo(f"drawer totals written again from the postings: {rows} rows ({differing} differed before)")


@ledger_group.command("rebuild-entry-figures")
def ledger_rebuild_entry_figures() -> None:
    """Write each entry's figures for the weekly reconciliation from its postings (decision 164), in
    one transaction: those of entries written before migration 0040 (which a weekly run otherwise
    adds up from their postings every time), and any that `emitra ledger check` finds differing.
    A recorded week whose entries are rewritten is checked again: the next weekly run reads the
    books' history once."""
    from emitra.core import entry_figures

    written, differing = _rebuilt("ledger.entry_figures_rebuilt", "entries", entry_figures.mismatch_count,
                                  entry_figures.rebuild)
    click.echo(f"entry figures written from the postings: {count_en(written, 'entry', 'entries')} ({differing} differed before)")


def _counted(listing: Callable[[], Awaitable[list[Any]]]) -> Callable[[], Awaitable[int]]:
    """How many rows ``listing`` gives (a check that lists every row that differs)."""
    async def count() -> int:
        return len(await listing())
    return count


def _rebuilt(action: str, what: str, differing: Callable[[], Awaitable[int]], rebuild: Callable[[], Awaitable[int]]) -> tuple[int, int]:
    """A stored sum of the books written again from the postings, in one transaction, audited as
    ``action`` with how many (``what``) and how many differed before; (written, differed)."""
    from tortoise.transactions import in_transaction

    from emitra.core import audit

    async def go() -> tuple[int, int]:
        async with in_transaction():
            before = await differing()
            written = await rebuild()
            await audit.record(audit.Actor(None, via="cli"), action, None, detail={what: written, "differing_before": before})
        return written, before

    return run(go)


@ledger_group.command("balance")
@click.argument("account")
def ledger_balance(account: str) -> None:
    """The balance of ACCOUNT (debits minus credits, in paise and rupees), from the postings."""
    from emitra.core import ledger
    from emitra.core.money import format_paise

    paise = run(lambda: ledger.balance(account))
    click.echo(f"{account}: {paise} paise ({format_paise(paise)})")


@main.group("policy")
def policy_group() -> None:
    """Prohibited and restricted services: explain decisions, list and check the rules."""


@policy_group.command("check")
@click.argument("service_code")
@click.option("--date", "on", default=None, help="The day to decide for (YYYY-MM-DD); today by default.")
@click.option("--district", default=None, help="A district code (e.g. JP): include its Society's rules.")
@click.option("--lsp", "lsp_id", default=None, type=int, help="An LSP id: include the Society's approvals for it.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: decision, rule, citation, ...")
def policy_check(service_code: str, on: str | None, district: str | None, lsp_id: int | None, as_json: bool) -> None:
    """Explain the decision (allow, deny or restricted) for SERVICE_CODE."""
    from emitra.core.clock import today
    from emitra.core.plugins import get_host

    day = cli_date(on, "--date") if on else today()
    host = get_host()
    service = host.registry.get(service_code) or host.all_declared.get(service_code)
    if service is None:
        raise click.ClickException(f"no plugin declares a service {service_code!r}; `emitra plugins` lists them")

    async def with_district():
        from emitra.core import compliance
        from emitra.core.models import District

        from tortoise.exceptions import BaseORMException

        try:
            d = await District.get_or_none(code=district.upper())
        except (BaseORMException, OSError):  # no database here: the rules files still apply
            d = None
        if d is None:  # not in this database: the district's rules files still apply
            return host.policy.static(service, day, district.upper())
        return await compliance.decide(service, d.id, lsp_id, day)

    decision = run(with_district) if district else host.policy.static(service, day)
    out = {"service": service_code, "date": day.isoformat(), **decision.as_dict(), "explanation": decision.explain()}
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{service_code} on {day}: {decision.decision.upper()}")
        click.echo(f"  {decision.explain()}")


@policy_group.command("rules")
@click.option("--json", "as_json", is_flag=True)
def policy_rules(as_json: bool) -> None:
    """The rules of the files and of the plugins, with their dates."""
    from emitra.core.plugins import get_host

    policy = get_host().policy
    rows = [{"id": r.id, "authority": r.authority, "decision": r.decision, "effective_from": r.effective_from.isoformat(),
             "effective_to": r.effective_to.isoformat() if r.effective_to else None, "district": r.district,
             "citation": r.citation, "source": r.source} for r in policy.rules]
    rows += [{"id": r.id, "authority": f"code ({r.plugin})", "decision": "in code", "effective_from": None, "effective_to": None,
              "district": None, "citation": r.citation, "source": f"plugin {r.plugin}"} for r in policy.code_rules]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        dates = f"{r['effective_from'] or ''}..{r['effective_to'] or ''}"
        where = f"district {r['district']}" if r["district"] else "statewide"
        click.echo(f"{r['id']:<26} {r['decision']:<10} {dates:<24} {where:<14} {r['authority']}: {r['citation']}")


@main.group("plugin")
def plugin_group() -> None:
    """Write a new service plugin (`new`) and check it (`check`)."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--dir", "directory", default=".", show_default=True, type=click.Path(file_okay=False), help="Where to create it.")
@click.option("--title", default=None, help="The service's English title.")
@click.option("--title-hi", default=None, help="Its Hindi title, in Devanagari (else a placeholder the check refuses until you write it).")
@click.option("--provider", default=None, help="Who provides it, as receipts name it (default: the title).")
@click.option("--provider-hi", default=None, help="The provider's name in Devanagari, for Hindi pages (else they show --provider).")
def plugin_new(name: str, directory: str, title: str | None, title_hi: str | None, provider: str | None, provider_hi: str | None) -> None:
    """Scaffold an installable plugin package NAME: pyproject with the entry point, a Service, tests."""
    from pathlib import Path

    from emitra.core import scaffold

    try:
        root = scaffold.new(name, Path(directory), title, title_hi, provider, provider_hi)
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {root}")
    if not title_hi:
        click.echo(f"first: write the Hindi title (TITLE_HI, in Devanagari) in {root / f'emitra_{name}.py'}: "
                   "`emitra plugins` refuses the service until it is translated")
    click.echo(f"next:  pip install -e '{root}[test]'  &&  emitra plugins  &&  (cd {root} && pytest)")


@main.group("counter")
def counter_group() -> None:
    """Counters: the services offered at each (what an LSP admin does on the Services page), licensing, closing and reopening (the Society's)."""


async def _counter_or_fail(code: str):
    from emitra.core.models import Counter

    counter = await Counter.get_or_none(code=code.upper())
    if counter is None:
        raise click.ClickException(f"no counter with code {code!r}; `emitra counter list` shows them")
    return counter


@counter_group.command("list")
def counter_list() -> None:
    """Counters, with how many services each offers."""
    from emitra.core.models import Counter, CounterService

    async def go():
        for c in await Counter.all().order_by("code"):
            n = await CounterService.filter(counter=c, enabled=True).count()
            hindi = f" / {c.name_hi}" if c.name_hi else ""
            click.echo(f"{c.code:<12} {c.kind.value:<9} {n:>3} services  {c.name}{hindi}{'' if c.active else '  (closed)'}")

    run(go)


@counter_group.command("services")
@click.argument("counter_code")
def counter_services(counter_code: str) -> None:
    """The services enabled at COUNTER_CODE; NO OFFICER marks an application service whose department
    (or some of whose departments) has no active officer in the counter's district, NO OFFICER OF
    LEVEL 2+ one with none of the level a step of its process needs (an approval)."""
    from emitra.core.counter import enabled_codes
    from emitra.core.plugins import get_host

    async def go():
        from emitra.core.officers import without_officers

        counter = await _counter_or_fail(counter_code)
        codes = await enabled_codes(counter)
        registry = get_host().registry
        gaps = await without_officers(counter.district_id, [s for s in map(registry.get, codes) if s is not None])
        for code in sorted(codes):
            service = registry.get(code)
            gap = gaps.get(code)
            level = f" OF LEVEL {gap.level}+" if gap and gap.level > 1 else ""
            flag = f"  NO OFFICER{level} in {gap.district_code}: {'; '.join(gap.missing)}" if gap else ""
            click.echo(f"{code:<32} {service.title_en if service else '(plugin not loaded)'}{flag}")

    run(go)


def _set_many(counter_code: str, codes: tuple[str, ...], enabled: bool, as_user: str) -> None:
    from emitra.core import audit
    from emitra.core.counter import CounterError, set_enabled
    from emitra.core.models import Role, User

    async def go():
        counter = await _counter_or_fail(counter_code)
        user = await User.get_or_none(username=as_user, active=True)
        if user is None or user.role != Role.LSP_ADMIN or user.lsp_id != counter.lsp_id:
            raise click.ClickException(f"--as {as_user!r} is not an admin of the LSP that runs {counter.code}")
        for code in codes:
            try:
                gap = await set_enabled(audit.Actor(user, via="cli"), counter, code, enabled)
            except CounterError as exc:
                raise click.ClickException(f"{code}: {exc.message_en}") from None
            click.echo(f"{'enabled' if enabled else 'disabled'} {code} at {counter.code}")
            if gap is not None:  # enabled all the same: the officer may be added later (decision 128)
                click.echo(f"warning: {gap.said()[0]}", err=True)

    run(go)


@counter_group.command("split")
@click.argument("counter_code")
@click.option("--lsp", "lsp_pct", required=True, help="The LSP's share of the service charge, in percent (e.g. 70, 62.5 or 70%).")
@click.option("--owner", "owner_pct", default="0", show_default=True, help="The authorised kiosk owner's share, in percent.")
@click.option("--society", "society_pct", default="0", show_default=True, help="The Society's share, in percent.")
@click.option("--as", "as_user", required=True, help="The Society admin's username (recorded in the audit log).")
def counter_split(counter_code: str, lsp_pct: str, owner_pct: str, society_pct: str, as_user: str) -> None:
    """Set who gets the service charge earned at COUNTER_CODE (the shares add up to 100%)."""
    from emitra.core import audit, payments
    from emitra.core.models import User
    from emitra.core.money import AmountError, parse_rupees
    from emitra.core.text import without_percent_sign

    def bp(text: str, option: str) -> int:
        try:  # "60", "62.5", "60%": percent with at most 2 decimals -> basis points, exactly
            return parse_rupees(without_percent_sign(text))
        except AmountError as exc:
            raise click.BadParameter(str(exc).replace("Amount", "Share").replace("rupees", "percent"), param_hint=option) from None

    shares = bp(lsp_pct, "--lsp"), bp(owner_pct, "--owner"), bp(society_pct, "--society")

    async def go():
        counter = await _counter_or_fail(counter_code)
        user = await User.get_or_none(username=as_user, active=True)
        try:
            return await payments.set_split(audit.Actor(user, via="cli"), counter, *shares)
        except payments.PaymentError as exc:
            raise click.ClickException(f"{exc.field}: {exc.message_en}") from None

    counter = run(go)
    click.echo(f"{counter.code}: LSP {counter.split_lsp_bp / 100:g}%, kiosk owner {counter.split_owner_bp / 100:g}%, "
               f"Society {counter.split_society_bp / 100:g}% of the service charge from now on")


@counter_group.command("enable")
@click.argument("counter_code")
@click.argument("service_codes", nargs=-1, required=True)
@click.option("--as", "as_user", required=True, help="The LSP admin's username (recorded in the audit log).")
def counter_enable(counter_code: str, service_codes: tuple[str, ...], as_user: str) -> None:
    """Offer SERVICE_CODES at COUNTER_CODE. An application service whose department has no active
    officer in the counter's district is enabled with a warning: its paid applications would wait in
    nobody's inbox until the Society adds one (`emitra officer add`)."""
    _set_many(counter_code, service_codes, True, as_user)


@counter_group.command("disable")
@click.argument("counter_code")
@click.argument("service_codes", nargs=-1, required=True)
@click.option("--as", "as_user", required=True, help="The LSP admin's username (recorded in the audit log).")
def counter_disable(counter_code: str, service_codes: tuple[str, ...], as_user: str) -> None:
    """Stop offering SERVICE_CODES at COUNTER_CODE."""
    _set_many(counter_code, service_codes, False, as_user)


@plugins.command("check")
@click.argument("path", type=click.Path(exists=True))
def plugins_check(path: str) -> None:
    """Check the plugin at PATH (a .py file or a plugin project folder): every problem, at once."""
    from pathlib import Path

    from emitra.core import scaffold

    problems = scaffold.check(Path(path))
    for problem in problems:
        click.echo(problem)
    if problems:
        raise click.ClickException(f"{count_en(len(problems), 'problem')} found")
    click.echo("no problems found")


# `plugin new` and `plugins check` are also `plugins new` and `plugin check`: a partner who has typed
# one of them types the other the same way, and was answered "No such command"
plugins.add_command(plugin_new, "new")
plugin_group.add_command(plugins_check, "check")


@main.group("reconcile")
def reconcile_group() -> None:
    """Weekly reconciliation: import bank and Stripe statements, match them against the ledger
    (docs/reconciliation.md)."""


async def _society_admin(district_code: str, as_user: str | None):
    """The district, and the acting Society admin of it (an audit actor; without --as, the CLI itself)."""
    from emitra.core import audit
    from emitra.core.models import District, Role, User

    district = await District.get_or_none(code=district_code.strip().upper())
    if district is None:
        raise click.ClickException(f"no district with code {district_code!r}")
    if as_user is None:
        return district, audit.Actor(None, via="cli")
    user = await User.get_or_none(username=as_user, active=True)
    if user is None or user.role != Role.SOCIETY_ADMIN or user.district_id != district.id:
        raise click.ClickException(f"--as {as_user!r} is not a Society admin of district {district.code}")
    return district, audit.Actor(user, via="cli")


def _statement_errors(exc) -> None:
    for error in exc.errors:
        click.echo(f"  {error}", err=True)
    raise click.ClickException(f"{count_en(len(exc.errors), 'problem')}; nothing was imported")


def _parse_week(week: str | None):
    from emitra.core import reconcile as rec

    if not week:
        return rec.last_full_week()
    try:
        return rec.week_given(week)
    except ValueError:
        raise click.BadParameter(f"{week!r} is not a date from {rec.FIRST_DATE} to {rec.LAST_DATE}; give any day of the week as YYYY-MM-DD",
                                 param_hint="--week") from None


@reconcile_group.command("import-bank")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--district", required=True, help="The district's code, e.g. JP.")
@click.option("--as", "as_user", required=True, help="The Society admin's username (recorded in the audit log).")
def reconcile_import_bank(file: str, district: str, as_user: str) -> None:
    """Import a bank statement: the bank's download as it comes, CSV or text separated by tabs (State Bank's
    "Excel" .xls, a bank's TXT), or date,description,reference,debit,credit,balance: all of it, or nothing and
    every bad line listed."""
    from pathlib import Path

    from emitra.core import reconcile as rec

    data = Path(file).read_bytes()

    async def go():
        d, actor = await _society_admin(district, as_user)
        return await rec.import_bank_statement(actor, d.id, data, Path(file).name)

    try:
        imp = run(go)
    except rec.StatementError as exc:
        _statement_errors(exc)
    click.echo(f"imported {count_en(imp.lines, 'line')} from {Path(file).name} ({imp.period_start} to {imp.period_end}) as import #{imp.id}")
    for note in getattr(imp, "notes", None) or []:
        click.echo(f"  {note}")
    for earlier, n in sorted((getattr(imp, "left_out", None) or {}).items()):
        click.echo(f"  left out {count_en(n, 'line')} import #{earlier} already has (the same date, amount, reference, description and balance)")


@reconcile_group.command("import-stripe")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--district", required=True, help="The district's code, e.g. JP.")
@click.option("--as", "as_user", required=True, help="The Society admin's username (recorded in the audit log).")
@click.option("--from-stripe", is_flag=True, help="List the week's balance transactions from Stripe instead of a FILE (needs EMITRA_STRIPE_API_KEY).")
@click.option("--week", default=None, help="With --from-stripe: any day of the week to fetch (default: the last full week).")
def reconcile_import_stripe(file: str | None, district: str, as_user: str, from_stripe: bool, week: str | None) -> None:
    """Import Stripe balance transactions from a JSON FILE (Stripe's list object), or --from-stripe."""
    from pathlib import Path

    from emitra.core import reconcile as rec

    if bool(file) == from_stripe:
        raise click.UsageError("give a FILE or --from-stripe (one of them)")
    start, end = _parse_week(week)

    async def go():
        d, actor = await _society_admin(district, as_user)
        if from_stripe:
            return await rec.import_from_stripe(actor, d.id, start, end)
        return await rec.import_stripe_transactions(actor, d.id, Path(file).read_bytes(), Path(file).name)

    try:
        imp = run(go)
    except rec.StatementError as exc:
        _statement_errors(exc)
    click.echo(f"imported {count_en(imp.lines, 'Stripe balance transaction')} ({imp.period_start} to {imp.period_end}) as import #{imp.id}")
    for note in imp.notes:
        click.echo(f"  {note}")


@reconcile_group.command("run")
@click.option("--district", required=True, help="The district's code, e.g. JP.")
@click.option("--week", default=None, help="Any day of the Monday-Sunday week (YYYY-MM-DD); default: the last full week.")
@click.option("--as", "as_user", default=None, help="The Society admin's username (for the audit log; needed to confirm deposits).")
@click.option("--confirm-deposits", is_flag=True, help="Confirm the day-end deposits matched exactly (needs --as).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as a JSON object.")
def reconcile_run(district: str, week: str | None, as_user: str | None, confirm_deposits: bool, as_json: bool) -> None:
    """Match the week's statements against the ledger and record it; exit 1 if the report fails
    (an item dropped or an account that does not roll forward)."""
    from emitra.core import reconcile as rec
    from emitra.core.money import format_paise

    if confirm_deposits and not as_user:
        raise click.UsageError("--confirm-deposits needs --as (the Society admin who confirms)")
    start, end = _parse_week(week)
    bar: dict[str, Any] = {}

    def on_total(n: int) -> None:
        bar["bar"] = click.progressbar(length=max(n, 1), label="matching statement lines", file=sys.stderr)
        bar["bar"].__enter__()

    def progress(k: int) -> None:
        if "bar" in bar:
            bar["bar"].update(k)

    async def go():
        d, actor = await _society_admin(district, as_user)
        try:
            return await rec.reconcile(actor, d.id, start, end, confirm_deposits=confirm_deposits, progress=progress, on_total=on_total)
        finally:
            if "bar" in bar:
                bar["bar"].__exit__(None, None, None)

    try:
        report = run(go)
    except rec.WeekNotBegun as exc:
        raise click.BadParameter(exc.message_en, param_hint="--week") from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"reconciliation {report.district_code} {start} to {end}: {'OK' if report.ok else 'FAILED'}")
        click.echo(f"  matched {report.matched_count}, differing {len(report.differing)}, unmatched on the statements "
                   f"{len(report.unmatched_statement)}, unmatched in the ledger {len(report.unmatched_ledger)}")
        for p in report.differing:
            click.echo(f"  DIFFERING {p.scope} {p.kind}: statement {p.statement.date} {p.statement.reference} {format_paise(p.statement.amount_paise)}"
                       f" vs ledger {p.ledger.key} {format_paise(p.ledger.amount_paise)} (difference {format_paise(p.difference_paise)})")
        for i in report.unmatched_statement:
            click.echo(f"  UNMATCHED {i.source} line {i.line_no or '-'} {i.date} {i.reference} {format_paise(i.amount_paise)} {i.description}")
        for i in report.unmatched_ledger:
            click.echo(f"  NOT ON STATEMENT {i.scope} {i.kind} {i.key} {i.date} {format_paise(i.amount_paise)} {i.description}")
        for slip in report.confirmed:
            click.echo(f"  confirmed deposit {slip}")
        for note in report.notes:
            click.echo(f"  note: {note}")
        click.echo("  account                                  opening            in           out       closing")
        for a in report.accounts:
            click.echo(f"  {a.account:<34} {format_paise(a.opening_paise, False):>13} {format_paise(a.in_paise, False):>13} "
                       f"{format_paise(a.out_paise, False):>13} {format_paise(a.closing_paise, False):>13} {'' if a.ok else 'DOES NOT ROLL FORWARD'}")
        for problem in report.problems:
            click.echo(f"  PROBLEM: {problem}")
    if not report.ok:
        sys.exit(1)


@reconcile_group.command("imports")
@click.option("--district", required=True, help="The district's code, e.g. JP.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="How many, the latest first.")
def reconcile_imports(district: str, limit: int) -> None:
    """List the district's statement imports, the latest first: number, source, file, dates, lines,
    who imported it, and whether it was withdrawn (and why)."""
    from emitra.core.models import StatementImport

    async def go():
        d, _actor = await _society_admin(district, None)
        return list(await StatementImport.filter(district_id=d.id).order_by("-imported_at", "-id").limit(limit))

    from zoneinfo import ZoneInfo

    zone = ZoneInfo(config.timezone())
    for i in run(go):
        dates = f"{i.period_start} to {i.period_end}" if i.period_start else "-"
        line = (f"#{i.id:<6} {i.source:<6} {dates:<24} {i.lines:>7} lines  {i.filename or '-'}  by {i.imported_by} "
                f"{i.imported_at.astimezone(zone):%Y-%m-%d %H:%M}")
        if i.withdrawn_at is not None:
            line += f"  WITHDRAWN by {i.withdrawn_by} {i.withdrawn_at.astimezone(zone):%Y-%m-%d %H:%M}: {i.withdrawn_reason}"
        click.echo(line)


@reconcile_group.command("withdraw")
@click.argument("import_id", type=int)
@click.option("--district", required=True, help="The district's code, e.g. JP.")
@click.option("--as", "as_user", required=True, help="The Society admin's username (recorded in the audit log).")
@click.option("--reason", required=True, help="Why it is withdrawn (10 to 300 characters; kept in the audit log).")
@click.option("--reverse-bookings", "reverse_bookings", is_flag=True,
              help="A bank statement some of whose lines were booked as the bank's charges or interest: reverse those bookings "
                   "in the same step (refused without it, naming them).")
def reconcile_withdraw(import_id: int, district: str, as_user: str, reason: str, reverse_bookings: bool) -> None:
    """Withdraw statement import IMPORT_ID (a bank statement or a Stripe file), imported by mistake:
    its lines are deleted (with the marks recorded runs gave them), the import is kept as withdrawn,
    and the weeks it covered are computed again. A Stripe file's payouts and fees that it posted,
    and that no other import still vouches for, are reversed in the same transaction (a payout
    booked by hand stays). A bank statement whose lines were booked as the bank's charges or
    interest is withdrawn only with --reverse-bookings: each booking is then reversed in the same
    transaction, dated today (decision 161). Refused for an import a later one left lines out as,
    and for one whose lines confirmed deposits (docs/reconciliation.md §7)."""
    from emitra.core import statement_withdraw as sw

    async def go():
        d, actor = await _society_admin(district, as_user)
        return await sw.withdraw_import(actor, d.id, import_id, reason, reverse_bookings=reverse_bookings)

    try:
        done = run(go)
    except sw.WithdrawRefused as exc:
        if exc.field in ("reason", "reverse_bookings"):
            raise click.BadParameter(exc.message_en, param_hint=f"--{exc.field.replace('_', '-')}") from None
        raise click.ClickException(exc.message_en) from None
    click.echo(f"withdrew import #{done.import_id}: {done.lines} lines deleted ({done.marked} of them matched by a recorded run)")
    if done.reversed or done.kept:
        click.echo(f"  reversed {len(done.reversed)} ledger entries the import posted (Stripe's payouts and fees), dated as each entry")
        for key, why in list(done.kept.items())[:20]:
            click.echo(f"  kept {key}: " + {"found": "found in the books by the import (booked by hand)",
                                               "reversed already": "reversed already"}.get(why, f"{why} still vouches for it"))
        if len(done.kept) > 20:
            click.echo(f"  kept {len(done.kept) - 20} more (the audit record statement.withdrawn lists every one)")
    for booking in done.bookings:
        click.echo(f"  reversed the booking of {booking.named_en()}, dated today")
    if done.unmarked:
        click.echo(f"  unmatched again: {count_en(done.unmarked, 'statement line')} of other imports a recorded run had matched to the payouts reversed")
    for start, end in done.weeks:
        click.echo(f"  run the week of {start} to {end} again: emitra reconcile run --district {district.strip().upper()} --week {start}")


@reconcile_group.command("book-line")
@click.argument("import_id", type=int)
@click.argument("line_no", type=int)
@click.option("--book-as", "book_as", required=True, type=click.Choice(["charges", "interest"]),
              help="charges: the bank's charges (a debit line); interest: interest the bank paid (a credit line).")
@click.option("--district", required=True, help="The district's code, e.g. JP.")
@click.option("--as", "as_user", required=True, help="The Society admin's username (recorded in the audit log).")
@click.option("--reason", required=True, help="What the line is (5 to 200 characters; the entry's memo, kept in the audit log).")
def reconcile_book_line(import_id: int, line_no: int, book_as: str, district: str, as_user: str, reason: str) -> None:
    """Book line LINE_NO of bank statement import IMPORT_ID, unmatched on the statements, as the
    bank's charges or its interest: Dr bank_charges / Cr society_bank, or Dr society_bank / Cr
    bank_interest, the amount and date the line's (docs/reconciliation.md §5). Booked once: again,
    it says so and books nothing. Run the week again to match the line to the entry."""
    from emitra.core import bank_lines

    async def go():
        d, actor = await _society_admin(district, as_user)
        line_id = await bank_lines.line_of(d.id, import_id, line_no)
        if line_id is None:
            raise bank_lines.BookRefused("line", f"import #{import_id} of district {d.code} has no line {line_no}", "")
        return d, await bank_lines.book_line(actor, d.id, line_id, book_as, reason)

    try:
        d, done = run(go)
    except bank_lines.BookRefused as exc:
        if exc.field == "reason":
            raise click.BadParameter(exc.message_en, param_hint="--reason") from None
        if exc.field == "book_as":
            raise click.BadParameter(exc.message_en, param_hint="--book-as") from None
        raise click.ClickException(exc.message_en) from None
    from emitra.core import reconcile as rec
    from emitra.core.money import format_paise

    what = "bank charges" if done.book_as == "charges" else "bank interest"
    if done.already:
        click.echo(f"line {done.line_no} of import #{done.import_id} was booked already (entry {done.key}): nothing booked again")
    else:
        click.echo(f"booked line {done.line_no} of import #{done.import_id} as {what}: {format_paise(abs(done.amount_paise))} "
                   f"dated {done.value_date} (entry {done.key})")
    start, _end = rec.week_of(done.value_date)
    click.echo(f"  run the week again to match it: emitra reconcile run --district {d.code} --week {start}")


# --- money: day end, deposits, settlement, remittances, claims, wallets (docs/money.md) -------------

_MONEY_OPTION = {"counted": "--counted", "date": "--date", "operator": "--as", "actor": "--as", "reference": "--reference",
                 "bank_reference": "--reference", "amount": "--amount", "from": "--from", "to": "--to", "provider": "PROVIDER",
                 "counter": "COUNTER_CODE", "now": "--now", "district": "--district", "lsp": "LSP_ID",
                 "receipt_no": "RECEIPT_NO", "transfer": "--transfer", "return_reference": "--return-reference",
                 "reason": "--reason", "slip": "SLIP_NO"}


def _money_fail(exc, amount_name: str = "--amount") -> None:
    name = _MONEY_OPTION.get(exc.field, exc.field)
    if exc.field == "amount":
        name = amount_name
    raise click.ClickException(f"{name}: {exc.message_en}")


def _money_rupees(text: str, hint: str) -> int:
    from emitra.core.money import AmountError, parse_rupees

    try:
        return parse_rupees(text)
    except AmountError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


def cli_date(text: str, hint: str, what: str = "a date; use YYYY-MM-DD"):
    """A date typed on the command line: ``YYYY-MM-DD`` within e-Mitra's working days
    (core/clock.FIRST_DAY to LAST_DAY, as the pages take them), else a usage error naming the option
    (a date like 9999-12-31 ran the date arithmetic past Python's years: a traceback)."""
    import datetime as dt

    from emitra.core.clock import FIRST_DAY, LAST_DAY

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not {what}", param_hint=hint) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise click.BadParameter(f"{text} is outside {FIRST_DAY} to {LAST_DAY}; give a date within them", param_hint=hint)
    return day


def cli_moment(text: str, hint: str):
    """A time typed on the command line (ISO 8601; without a zone, the district's), its date within
    e-Mitra's working days, else a usage error naming the option."""
    import datetime as dt

    from emitra.core.clock import FIRST_DAY, LAST_DAY

    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a time; use ISO 8601, e.g. 2026-11-21T10:00:00+05:30", param_hint=hint) from None
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise click.BadParameter(f"{text} is outside {FIRST_DAY} to {LAST_DAY}; give a time within them", param_hint=hint)
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo(config.timezone()))
    return moment


def _money_date(text: str | None, hint: str):
    return None if text is None else cli_date(text, hint)


def _money_now(text: str | None):
    if not text:
        return None
    return cli_moment(text, "--now")


async def _money_user(username: str | None):
    from emitra.core import audit
    from emitra.core.models import User

    if username is None:
        return audit.Actor(None, via="cli")
    user = await User.get_or_none(username=username, active=True)
    if user is None:
        raise click.ClickException(f"--as: no active user {username!r}")
    return audit.Actor(user, via="cli")


async def _money_district(actor, code: str | None) -> int:
    from emitra.core.models import District

    if code:
        district = await District.get_or_none(code=code.strip().upper())
        if district is None:
            raise click.ClickException(f"--district: no district with code {code!r}")
        if actor.user is not None and actor.user.district_id != district.id:
            raise click.ClickException(f"--as: {actor.user.username} does not belong to district {district.code}")
        return district.id
    if actor.user is not None and actor.user.district_id is not None:
        return actor.user.district_id
    ids = await District.all().values_list("id", flat=True)
    if len(ids) != 1:
        raise click.ClickException("--district: name the district (there are several)")
    return ids[0]


@main.group("dayend")
def dayend_group() -> None:
    """Close a counter's cash for a day, confirm its deposit, or correct its count."""


@dayend_group.command("close")
@click.argument("counter_code")
@click.option("--date", "day", required=True, help="The business day (YYYY-MM-DD).")
@click.option("--counted", required=True, help="Cash counted in the drawer, in rupees (e.g. 1974.50).")
@click.option("--as", "as_user", required=True, help="The counter operator's username.")
def dayend_close(counter_code: str, day: str, counted: str, as_user: str) -> None:
    """Close COUNTER_CODE's drawer for --date: expected, kept back, deposit; prints the slip number."""
    from emitra.core import dayend
    from emitra.core.money import format_paise

    business_date = _money_date(day, "--date")
    counted_paise = _money_rupees(counted, "--counted")

    async def go():
        actor = await _money_user(as_user)
        counter = await dayend.counter_by_code(counter_code)
        return await dayend.close_day(actor, counter, business_date, counted_paise)

    try:
        d = run(go)
    except dayend.MoneyError as exc:
        _money_fail(exc)
    click.echo(f"closed {counter_code.upper()} for {d.business_date}: deposit slip {d.slip_no}")
    click.echo(f"  expected {format_paise(d.expected_paise)}, counted {format_paise(d.counted_paise)}, "
               f"kept back {format_paise(d.retained_paise)}, to deposit {format_paise(d.deposit_paise)}")
    if d.difference_paise:
        click.echo(f"  FLAGGED: {'excess' if d.difference_paise > 0 else 'shortage'} of {format_paise(abs(d.difference_paise))}")
    if d.note:
        click.echo(f"  note: {d.note}")


def _on_slip(slip_no: str, as_user: str, act):
    """``act(actor, day_end)`` on the day end of deposit slip SLIP_NO as the user ``--as``; a refusal
    exits naming the option at fault."""
    from emitra.core import dayend

    async def go():
        actor = await _money_user(as_user)
        day_end = await dayend.find_slip(slip_no)
        if day_end is None:
            raise click.ClickException(f"SLIP_NO: no day end with deposit slip {slip_no!r}")
        return await act(actor, day_end)

    try:
        return run(go)
    except dayend.MoneyError as exc:
        _money_fail(exc)


@dayend_group.command("confirm")
@click.argument("slip_no")
@click.option("--reference", required=True, help="The bank's reference for the deposit (kept in capitals, without spaces).")
@click.option("--amount", required=True, help="The amount the bank credited, in rupees.")
@click.option("--as", "as_user", required=True, help="The Society admin's username.")
def dayend_confirm(slip_no: str, reference: str, amount: str, as_user: str) -> None:
    """Confirm the deposit of SLIP_NO as seen in the Society's bank account."""
    from emitra.core import dayend
    from emitra.core.money import format_paise

    paise = _money_rupees(amount, "--amount")
    d = _on_slip(slip_no, as_user, lambda actor, day_end: dayend.confirm_deposit(actor, day_end, reference, paise))
    click.echo(f"deposit {d.slip_no} confirmed: {format_paise(paise)} (slip {format_paise(d.deposit_paise)}), bank reference {d.bank_reference}, "
               f"status {d.status}")


@dayend_group.command("correct")
@click.argument("slip_no")
@click.option("--counted", required=True, help="The cash the drawer really held, in rupees (e.g. 1974.50).")
@click.option("--reason", required=True, help="Why the count is corrected, 5 to 300 characters (kept in the audit log).")
@click.option("--as", "as_user", required=True, help="An operator of the slip's counter (until EMITRA_DAYEND_CORRECTION_HOURS after the "
                                                       "close, default 24), or the district Society's admin (at any time).")
def dayend_correct(slip_no: str, counted: str, reason: str, as_user: str) -> None:
    """Correct the cash counted of SLIP_NO's day end while its deposit is not confirmed (decision 162):
    kept back, deposit and shortage or excess follow, with one adjusting ledger entry. The counter's
    operator only within EMITRA_DAYEND_CORRECTION_HOURS of the close; after it the Society (decision 166)."""
    from emitra.core import dayend
    from emitra.core.money import format_paise

    paise = _money_rupees(counted, "--counted")
    done = _on_slip(slip_no, as_user, lambda actor, day_end: dayend.correct_count(actor, day_end, paise, reason))
    d = done.day_end
    if done.repeated:
        click.echo(f"deposit slip {d.slip_no} already says {format_paise(d.counted_paise)} counted: nothing changed")
        return
    click.echo(f"deposit slip {d.slip_no} corrected: counted {format_paise(done.old['counted_paise'])} -> {format_paise(d.counted_paise)}, "
               f"to deposit {format_paise(done.old['deposit_paise'])} -> {format_paise(d.deposit_paise)}, status {d.status} (entry {done.key})")


@main.group("settle", invoke_without_command=True)
@click.option("--now", "now_text", default=None, help="The time of the run (ISO 8601); default: now.")
@click.option("--district", default=None, help="Only this district (its code); default: all.")
@click.option("--as", "as_user", default=None, help="A Society admin's username (default: the system).")
@click.pass_context
def settle_command(ctx: click.Context, now_text: str | None, district: str | None, as_user: str | None) -> None:
    """Pay each LSP its share of confirmed card and UPI payments out of escrow (once each); payments
    settled more than 24 hours after confirmation are listed as LATE. `settle find RECEIPT` says
    which payout paid a receipt; `settle payout REFERENCE` lists every payment a payout paid."""
    from emitra.core import dayend, settlement
    from emitra.core.money import format_paise

    if ctx.invoked_subcommand is not None:
        return

    now = _money_now(now_text) or dayend.utcnow()

    async def go():
        actor = await _money_user(as_user)
        district_id = await _money_district(actor, district) if (district or actor.user) else None
        items = await settlement.pending(now, district_id)
        if not items:
            return await settlement.settle(actor, now, district_id, items=[])
        with click.progressbar(length=len(items), label="settling", file=sys.stderr) as bar:
            return await settlement.settle(actor, now, district_id, items=items, progress=lambda _: bar.update(1))

    try:
        report = run(go)
    except dayend.MoneyError as exc:
        _money_fail(exc)
    click.echo(f"settled {count_en(len(report.items), 'payment')}, {format_paise(report.total_paise)} in all, at {report.now.isoformat()}")
    for payout in report.payouts:  # one transfer each: the reference goes on the NEFT or Stripe transfer
        click.echo(f"  pay LSP {payout.lsp_id} {format_paise(payout.amount_paise)} by {payout.method}, reference {payout.reference} "
                   f"({count_en(len(payout.items), 'payment')})")
    for item in report.late:
        click.echo(f"  LATE {item.receipt_no}: confirmed {item.confirmed_at.isoformat()}, settled after {item.hours} hours")


async def _payout_reader(as_user: str | None, district: str | None) -> tuple[int, int | None]:
    """The district and the LSP (an LSP admin's own; None for the Society and the system) whose
    payouts ``--as`` may read, as the payout pages allow: anyone else is refused."""
    from emitra.core.models import Role

    actor = await _money_user(as_user)
    if actor.user is not None and actor.user.role not in (Role.SOCIETY_ADMIN, Role.LSP_ADMIN):
        raise click.ClickException("--as: only the district Society or an LSP admin reads settlement payouts")
    district_id = await _money_district(actor, district)
    return district_id, (actor.user.lsp_id if actor.user is not None and actor.user.role == Role.LSP_ADMIN else None)


@settle_command.command("find")
@click.argument("receipt")
@click.option("--district", default=None, help="The district (its code); default: the only one, or --as's.")
@click.option("--as", "as_user", default=None, help="A Society or LSP admin's username (an LSP admin: its own receipts only).")
def settle_find(receipt: str, district: str | None, as_user: str | None) -> None:
    """Which payout paid RECEIPT (its reference and date), or why it is not settled yet."""
    from emitra.core import settlement
    from emitra.core.money import format_paise

    async def go():
        district_id, lsp_id = await _payout_reader(as_user, district)
        return await settlement.find_receipt(receipt, district_id, lsp_id)

    f = run(go)
    if not f.found:
        raise click.ClickException(f"RECEIPT: {f.why_en}")
    late = " (late)" if f.late else ""
    if f.settled and not f.legacy:
        click.echo(f"{f.receipt_no}: paid in payout {f.reference} on {f.at.isoformat()}, {format_paise(f.share_paise)} to LSP {f.lsp_id}{late}")
    elif f.settled:
        click.echo(f"{f.receipt_no}: settled on {f.at.isoformat()} by its own entry settle:{f.receipt_no} (before payouts), "
                   f"{format_paise(f.share_paise)} to LSP {f.lsp_id}")
    else:
        click.echo(f"{f.receipt_no}: not settled yet. {f.why_en}")
    confirmed = f", confirmed {f.confirmed_at.isoformat()}" if f.confirmed_at else ""
    click.echo(f"  counter {f.counter_code}, {f.method or 'no payment'} {f.status}{confirmed}")


@settle_command.command("payout")
@click.argument("reference")
@click.option("--page", "page_no", default=1, type=click.IntRange(1, 1_000_000), help="The page of its payments (100 a page).")
@click.option("--all", "every", is_flag=True, help="Every payment, not one page.")
@click.option("--district", default=None, help="The district (its code); default: the only one, or --as's.")
@click.option("--as", "as_user", default=None, help="A Society or LSP admin's username (an LSP admin: its own payouts only).")
def settle_payout(reference: str, page_no: int, every: bool, district: str | None, as_user: str | None) -> None:
    """The payout REFERENCE (STL...): its totals, then the payments it paid, in receipt order."""
    from emitra.core import settlement
    from emitra.core.money import format_paise

    async def go():
        district_id, lsp_id = await _payout_reader(as_user, district)
        first = await settlement.payout(reference, district_id, lsp_id, page_no)
        views = [first]
        while every and first is not None and views[-1].page < views[-1].pages:
            views.append(await settlement.payout(reference, district_id, lsp_id, views[-1].page + 1))
        return views

    views = run(go)
    p = views[0]
    if p is None:
        raise click.ClickException(f"REFERENCE: no settlement payout {reference!r} that you may read")
    late = f", {p.late} late" if p.late else ""
    click.echo(f"payout {p.reference} on {p.at.isoformat()} to LSP {p.lsp_id} by {p.method}: "
               f"{count_en(p.payments, 'payment')}, {format_paise(p.amount_paise)}{late}")
    for account, paise in p.lines.items():
        click.echo(f"  {account}: {format_paise(paise)}")
    if not every:
        click.echo(f"page {p.page} of {p.pages}")
    for view in views:
        for i in view.items:
            click.echo(f"  {i.receipt_no} {i.counter_code} {i.method} {i.confirmed_at.isoformat()} paid {format_paise(i.paid_paise)} "
                       f"share {format_paise(i.share_paise)}{' LATE' if i.late else ''}")


@main.command("remit")
@click.argument("provider")
@click.option("--from", "start", required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last day of the period (YYYY-MM-DD), already ended.")
@click.option("--as", "as_user", required=True, help="The Society admin's username.")
@click.option("--csv", "csv_path", default=None, type=click.Path(dir_okay=False, writable=True), help="Also write the statement to this CSV file.")
def remit_command(provider: str, start: str, end: str, as_user: str, csv_path: str | None) -> None:
    """Remit to PROVIDER (its name, or its slug, e.g. jaipur-vidyut-vitran-nigam-ltd-jvvnl) what was collected for it in the period."""
    from emitra.core import dayend, settlement
    from emitra.core.money import format_paise

    period = _money_date(start, "--from"), _money_date(end, "--to")

    async def go():
        actor = await _money_user(as_user)
        return await settlement.remit(actor, await settlement.known_provider(provider, actor.user.district_id), *period)

    try:
        st = run(go)
    except dayend.MoneyError as exc:
        _money_fail(exc)
    if csv_path:
        with open(csv_path, "w", encoding="utf-8", newline="") as f:
            f.write(st.csv())
    verb = "already remitted" if st.repeated else "remitted"
    click.echo(f"{verb}: {format_paise(st.total_paise)} to {st.provider} for {st.period_start} to {st.period_end} ({len(st.lines)} lines)")


@main.command("claims")
@click.argument("provider")
@click.option("--from", "start", required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last day of the period (YYYY-MM-DD).")
@click.option("--district", default=None, help="The district's code (default: the --as user's, or the only one).")
@click.option("--paid", default=None, help="Record that the department paid this amount (rupees); needs --reference and --as.")
@click.option("--reference", default=None, help="The bank's reference for the department's payment.")
@click.option("--as", "as_user", default=None, help="The Society admin's username.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the claim as CSV.")
def claims_command(provider: str, start: str, end: str, district: str | None, paid: str | None, reference: str | None,
                   as_user: str | None, as_csv: bool) -> None:
    """List the service charges PROVIDER (its name, or its slug) owes for the period (posts nothing); with --paid, record its payment."""
    from emitra.core import dayend, settlement
    from emitra.core.money import format_paise

    period = _money_date(start, "--from"), _money_date(end, "--to")
    paid_paise = _money_rupees(paid, "--paid") if paid is not None else None
    if paid_paise is not None and not (reference and as_user):
        raise click.UsageError("--paid needs --reference and --as")

    async def go():
        actor = await _money_user(as_user)
        district_id = await _money_district(actor, district)
        provider_slug = await settlement.known_provider(provider, district_id)
        if paid_paise is not None:
            return await settlement.record_claim_payment(actor, provider_slug, *period, paid_paise, reference or "", district_id)
        return await settlement.claim(actor, provider_slug, *period, district_id)

    try:
        st = run(go)
    except dayend.MoneyError as exc:
        _money_fail(exc, "--paid")
    if as_csv:
        click.echo(st.csv(), nl=False)
        return
    click.echo(f"claim on {st.provider} for {st.period_start} to {st.period_end}: {count_en(len(st.lines), 'transaction')}, {format_paise(st.total_paise)}")
    for line in st.lines:
        click.echo(f"  {line.receipt_no:<16} {line.service_code:<28} {line.reference:<16} {format_paise(line.amount_paise):>10}")
    if st.posted:
        click.echo(f"  paid by the department: {format_paise(st.paid_paise or 0)} (bank reference {st.bank_reference})")
        if st.claim_status == "paid_in_part":
            click.echo(f"  paid in part: {format_paise(st.owed_paise)} still owed; record the rest with --paid when it arrives")
        elif st.mismatch_paise:
            click.echo(f"  DIFFERS from the claim by {format_paise(st.mismatch_paise)}")


@main.group("wallet")
def wallet_group() -> None:
    """Prepaid counters' wallets."""


@wallet_group.command("topup")
@click.argument("counter_code")
@click.argument("rupees")
@click.option("--reference", required=True, help="The bank reference of the payment into the Society's account.")
@click.option("--as", "as_user", required=True, help="The LSP admin's or Society admin's username.")
def wallet_topup(counter_code: str, rupees: str, reference: str, as_user: str) -> None:
    """Top up COUNTER_CODE's wallet by RUPEES paid into the Society's bank."""
    from emitra.core import dayend
    from emitra.core.money import format_paise

    paise = _money_rupees(rupees, "RUPEES")

    async def go():
        actor = await _money_user(as_user)
        counter = await dayend.counter_by_code(counter_code)
        return await dayend.top_up(actor, counter, paise, reference)

    try:
        done = run(go)
    except dayend.MoneyError as exc:
        _money_fail(exc, "RUPEES")
    verb = "already recorded" if done.repeated else "topped up"
    click.echo(f"{verb}: {done.counter.code} +{format_paise(done.amount_paise)} (reference {done.reference}); wallet balance {format_paise(done.balance_paise)}")


@wallet_group.command("refund")
@click.argument("lsp_id", type=int)
@click.argument("rupees")
@click.option("--reference", required=True, help="The bank reference of the Society's transfer to the LSP.")
@click.option("--as", "as_user", required=True, help="The Society admin's username.")
def wallet_refund(lsp_id: int, rupees: str, reference: str, as_user: str) -> None:
    """Record that the Society paid RUPEES back to the LSP LSP_ID, of what its closed counters'
    wallets held (`emitra ledger check` lists what is owed back)."""
    from emitra.core import dayend
    from emitra.core.models import LSP
    from emitra.core.money import format_paise

    paise = _money_rupees(rupees, "RUPEES")

    async def go():
        actor = await _money_user(as_user)
        lsp = await LSP.get_or_none(id=lsp_id) if 0 < lsp_id < 2**31 else None
        if lsp is None:
            raise dayend.MoneyError("lsp", f"No LSP with number {lsp_id}; `emitra lsp list` shows them.",
                                    f"{lsp_id} संख्या का कोई एलएसपी नहीं है।")
        return await dayend.refund_wallets(actor, lsp, paise, reference)

    try:
        done = run(go)
    except dayend.MoneyError as exc:
        _money_fail(exc, "RUPEES")
    verb = "already recorded" if done.repeated else "refunded"
    click.echo(f"{verb}: {format_paise(done.amount_paise)} to LSP {done.lsp.id} {done.lsp.name} (reference {done.reference}); "
               f"still owed back {format_paise(done.owed_paise)}")



@wallet_group.command("refunds")
@click.argument("lsp_id", type=int)
@click.option("--page", "page_no", default=None, type=click.IntRange(1, 1_000_000), help="The page of its refunds (50 a page, newest first).")
@click.option("--all", "every", is_flag=True, help="Every refund, not one page.")
@click.option("--as", "as_user", default=None, help="A Society admin's username (its district's LSPs), or an LSP admin's (its own).")
def wallet_refunds(lsp_id: int, page_no: int | None, every: bool, as_user: str | None) -> None:
    """The refunds recorded to the LSP LSP_ID of what its closed counters' wallets held, newest first
    (`emitra wallet refund` records one): the total refunded and still owed back, then each one's date,
    amount, bank reference and who recorded it."""
    from emitra.core import dayend
    from emitra.core.models import LSP, Role
    from emitra.core.money import format_paise

    if every and page_no is not None:
        raise click.UsageError("give --page N or --all, not both")

    async def go():
        actor = await _money_user(as_user)
        lsp = await LSP.get_or_none(id=lsp_id) if 0 < lsp_id < 2**31 else None
        if lsp is None:
            raise click.ClickException(f"LSP_ID: no LSP with number {lsp_id}; `emitra lsp list` shows them")
        user = actor.user
        if user is not None and not ((user.role == Role.SOCIETY_ADMIN and user.district_id == lsp.district_id)
                                     or (user.role == Role.LSP_ADMIN and user.lsp_id == lsp.id)):
            raise click.ClickException(f"--as: {user.username} may not read LSP {lsp.id}'s wallet refunds: the district "
                                       "Society's admin reads any LSP's of its district, an LSP admin its own LSP's")
        views = [await dayend.refund_history(lsp, page_no or 1)]
        while every and views[-1].page < views[-1].pages:
            views.append(await dayend.refund_history(lsp, views[-1].page + 1))
        return views

    from zoneinfo import ZoneInfo

    views = run(go)
    zone = ZoneInfo(config.timezone())
    h = views[0]
    click.echo(f"LSP {h.lsp.id} {h.lsp.name}: {count_en(h.count, 'refund')}, {format_paise(h.refunded_paise)} refunded; "
               f"still owed back {format_paise(h.owed_paise)}")
    if not every and h.pages > 1:
        click.echo(f"page {h.page} of {h.pages}")
    for view in views:
        for r in view.rows:
            click.echo(f"  {r['at'].astimezone(zone):%Y-%m-%d %H:%M}  {format_paise(r['amount_paise']):>14}  {r['reference']:<24} {r['by'] or '-'}")


@main.group("society")
def society_group() -> None:
    """The district Society's own views (decision 76)."""


@society_group.command("today")
@click.option("--district", default="", help="The district's code (default: every district).")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text, for a script.")
def society_today_command(district: str, as_json: bool) -> None:
    """What is waiting on the Society: one line per kind (deposits in transit, settlement, wallet,
    UPI and card refunds, weeks not reconciled, MIS reports, escalated cases, failed messages) with
    the count, the money, the oldest's age and how many are overdue; for cron mail. Exit 0 whatever
    waits (the lines say it), 1 for an unknown district."""
    from emitra.core import dayend, society_today
    from emitra.core.models import District

    async def go():
        query = District.filter(code=district.strip().upper()) if district.strip() else District.all()
        found = await query.order_by("id")
        if district.strip() and not found:
            raise click.ClickException(f"--district: no district with code {district!r}")
        now = dayend.utcnow()
        return now, [(d, await society_today.waiting(d.id, now)) for d in found]

    now, found = run(go)
    if as_json:
        click.echo(json.dumps({"at": now.isoformat(), "districts": [
            {"district": d.code, "rows": [r.as_json(now) for r in rows]} for d, rows in found],
            **({"rows": [r.as_json(now) for r in found[0][1]]} if len(found) == 1 else {})}, ensure_ascii=False, indent=1))
        return
    for d, rows in found:
        click.echo(f"Waiting on the Society of {d.code} at {now.astimezone(dayend.tz()):%d-%m-%Y %H:%M}")
        for r in rows:
            click.echo(f"  {society_today.line(r, now)}")


@main.group("upi-refunds")
def upi_refunds_group() -> None:
    """Refunds of cancelled UPI-paid bookings, owed to citizens until the Society sends them (decision 71)."""


@upi_refunds_group.command("list")
@click.option("--district", default="", help="The district's code (default: the only district, or every district).")
def upi_refunds_list(district: str) -> None:
    """The UPI refunds still owed to citizens: receipt, date, counter, amount owed, and the UTR (and
    payer's VPA, when the bank gave it) of the citizen's payment, to find the account to pay; how many
    days each has been owed (OVERDUE past EMITRA_UPI_REFUND_DUE_DAYS working days), the oldest first,
    and any transfer the bank returned."""
    import datetime as dt

    from emitra.core import config, dayend, upi_refunds
    from emitra.core.models import District
    from emitra.core.money import format_paise

    async def go():
        query = District.filter(code=district.strip().upper()) if district.strip() else District.all()
        found = await query.order_by("id")
        if district.strip() and not found:
            raise click.ClickException(f"--district: no district with code {district!r}")
        return [row for d in found for row in (await upi_refunds.owed(d.id))[0]]

    rows = run(go)
    if not rows:
        click.echo("no UPI refund is owed")
        return
    rows.sort(key=lambda o: (o.cancelled_at is None, o.cancelled_at, o.receipt_no))  # the oldest first, across districts
    for o in rows:
        at = o.cancelled_at.astimezone(dayend.tz()).strftime("%d-%m-%Y") if o.cancelled_at else ""
        vpa = f" VPA {o.payer_vpa}" if o.payer_vpa else ""
        late = "  OVERDUE" if o.overdue else ""
        click.echo(f"{o.receipt_no}  {at}  {o.counter_code}  owed {format_paise(o.owed_paise)} of {format_paise(o.refund_paise)}  "
                   f"for {count_en(o.days_owed, 'day')}{late}  UTR {o.utr or '-'}{vpa}")
        for r in o.returned:
            on = dt.date.fromisoformat(r["on"]).strftime("%d-%m-%Y")
            click.echo(f"    transfer {r['transfer']} of {format_paise(r['amount_paise'])} returned by the bank on {on} "
                       f"(reference {r['reference']}): check the account")
    overdue = sum(1 for o in rows if o.overdue)
    click.echo(f"{len(rows)} owed, {format_paise(sum(o.owed_paise for o in rows))} in all"
               + (f", {overdue} overdue (owed more than {count_en(config.upi_refund_due_days(), 'working day')})" if overdue else "")
               + "; record each transfer with `emitra upi-refunds pay RECEIPT --reference REF`")


@upi_refunds_group.command("pay")
@click.argument("receipt_no")
@click.option("--reference", required=True, help="The bank reference of the Society's transfer to the citizen.")
@click.option("--amount", "rupees", default="", help="Rupees transferred (default: all that is owed).")
@click.option("--as", "as_user", required=True, help="The Society admin's username.")
def upi_refunds_pay(receipt_no: str, reference: str, rupees: str, as_user: str) -> None:
    """Record that the Society sent the refund of the cancelled UPI-paid booking RECEIPT_NO to the
    citizen's UPI account (never more than is owed; the same reference again records nothing)."""
    from emitra.core import dayend, upi_refunds
    from emitra.core.money import format_paise

    paise = _money_rupees(rupees, "--amount") if rupees.strip() else None

    async def go():
        actor = await _money_user(as_user)
        return await upi_refunds.pay(actor, receipt_no, reference, paise)

    try:
        done = run(go)
    except dayend.MoneyError as exc:
        _money_fail(exc, "--amount")
    verb = "already recorded" if done.repeated else "sent"
    click.echo(f"{verb}: {format_paise(done.amount_paise)} to the citizen of {done.receipt_no} (reference {done.reference}); "
               f"still owed {format_paise(done.owed_paise)}")


@upi_refunds_group.command("bounced")
@click.argument("receipt_no")
@click.option("--transfer", required=True, help="The bank reference of the Society's transfer that came back.")
@click.option("--return-reference", "return_reference", required=True,
              help="The bank reference of the return: the credit on the statement that brought the transfer back.")
@click.option("--amount", "rupees", default="", help="Rupees returned (default: all the transfer sent).")
@click.option("--as", "as_user", required=True, help="The Society admin's username.")
def upi_refunds_bounced(receipt_no: str, transfer: str, return_reference: str, rupees: str, as_user: str) -> None:
    """Record that the citizen's bank sent back the Society's transfer of the refund of RECEIPT_NO
    (the account closed, a wrong account): the refund is owed again, the citizen is told by SMS to
    bring the right account details (never more than the transfer sent; the same return reference
    again records nothing; decision 75)."""
    from emitra.core import dayend, upi_refunds
    from emitra.core.money import format_paise

    paise = _money_rupees(rupees, "--amount") if rupees.strip() else None

    async def go():
        actor = await _money_user(as_user)
        return await upi_refunds.bounced(actor, receipt_no, transfer, return_reference, paise)

    try:
        done = run(go)
    except dayend.MoneyError as exc:
        _money_fail(exc, "--amount")
    verb = "already recorded" if done.repeated else "returned"
    click.echo(f"{verb}: {format_paise(done.amount_paise)} of transfer {done.transfer_reference} to the citizen of {done.receipt_no} "
               f"(return reference {done.return_reference}); owed to them again {format_paise(done.owed_paise)}: the citizen is "
               "asked by SMS for the right account details")


@main.group("card")
def card_group() -> None:
    """Card payments through Stripe (docs/payments.md, "Card payments (Stripe)")."""


@card_group.command("refund")
@click.argument("receipt_no")
@click.option("--as", "as_user", required=True, help="The Society admin's username (recorded in the audit log).")
def card_refund(receipt_no: str, as_user: str) -> None:
    """Refund the card payment of RECEIPT_NO in full through Stripe, and book it (once)."""
    from emitra.core import audit, refunds
    from emitra.core.models import User

    async def go():
        user = await User.get_or_none(username=as_user, active=True)
        if user is None:
            raise click.ClickException(f"--as: no active user {as_user!r}")
        return await refunds.refund(audit.Actor(user, via="cli"), receipt_no)

    try:
        payment = run(go)
    except refunds.RefundError as exc:
        raise click.ClickException(exc.message_en) from None
    click.echo(f"{receipt_no.strip().upper()}: {payment.status} ({payment.details.get('refund_id', '')})")


@card_group.command("cancel-refunds")
@click.option("--finish", is_flag=True, help="Finish them (by default they are only listed).")
@click.option("--receipt", "receipts", multiple=True, help="Only this receipt (may be given more than once).")
@click.option("--as", "as_user", required=True,
              help="The Society admin's username (the district's), an LSP admin's (its counters') or an operator's (their counter's).")
def card_cancel_refunds(finish: bool, receipts: tuple[str, ...], as_user: str) -> None:
    """List the bookings cancelled at the counter whose refund to the card Stripe did not make (or whose
    answer was lost), and with --finish complete each as the operator's second cancel would: refunded
    once, booked once, the citizen told by SMS (decision 73). Exits 1 when any is still waiting after
    --finish (for a scheduled run)."""
    from emitra.core import refunds
    from emitra.core.money import format_paise

    async def go():
        actor = await _money_user(as_user)
        if finish:
            return await refunds.finish_cancel_refunds(actor, list(receipts) or None)
        return await refunds.waiting_cancel_refunds(actor.user, list(receipts) or None)

    try:
        rows = run(go)
    except refunds.RefundError as exc:
        raise click.ClickException(exc.message_en) from None
    if not finish:
        for w in rows:
            state = ("Stripe has refunded: finish it" if w.stripe_refunded else
                     "refused by Stripe: the Society's to refund by hand" if w.refused else
                     f"Stripe did not refund it ({w.error or w.state}): finish it")
            click.echo(f"{w.receipt_no}  {w.counter_code}  {format_paise(w.refund_paise)}  {state}")
        click.echo(f"{len(rows)} waiting" + ("; finish them with --finish" if rows else ""))
        return
    for r in rows:
        click.echo(f"{r.receipt_no}: {r.outcome.replace('_', ' ')}: {r.message_en}")
    left = [r for r in rows if r.outcome in (refunds.FAILING, refunds.REFUSED)]
    click.echo(f"{len(rows) - len(left)} finished, {len(left)} still waiting")
    if left:
        sys.exit(1)


@main.group("documents")
def documents_group() -> None:
    """Scans uploaded at the counters (docs/counter.md)."""


@documents_group.command("sweep")
@click.option("--at", "at_text", default=None, help="Sweep as of this time (ISO 8601); default: now.")
def documents_sweep(at_text: str | None) -> None:
    """Delete the scans held for counter forms that were never recorded, an hour after their upload,
    with their files (audited as document.expire). A counter's next form does this too; run it from
    cron where counters may be quiet for days. Safe to run often."""
    from emitra.core import documents

    at = cli_moment(at_text, "--at") if at_text else None

    async def go() -> int:
        total = 0
        for _ in range(100_000):  # 200 a round; bounded whatever happens to the rows meanwhile
            deleted = await documents.sweep_held(at)
            total += deleted
            if not deleted:
                break
        return total

    click.echo(f"deleted: {run(go)}")


def _add_case_commands() -> None:
    from emitra.core import cli_holidays, cli_onboarding
    from emitra.core.cli_cases import cases_commands
    from emitra.core.cli_ops import db_commands

    for command in cli_onboarding.commands:
        main.add_command(command)
    for command in cli_onboarding.counter_commands:
        counter_group.add_command(command)
    for command in cli_holidays.commands:
        main.add_command(command)

    for command in cases_commands:
        main.add_command(command)
    for command in db_commands:
        db_group.add_command(command)


_add_case_commands()

_click_main = main.main


def _main_with_policy_errors(*args, **kwargs):
    """A malformed rules file stops every command with the file, rule and field named, and a bad
    setting with the variable and the fix (exit 2)."""
    from emitra.policy.rules import PolicyFileError

    try:
        return _click_main(*args, **kwargs)
    except PolicyFileError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    except config.SettingError as exc:
        for problem in exc.problems:
            click.echo(f"Error: {problem}", err=True)
        sys.exit(2)


main.main = _main_with_policy_errors  # type: ignore[method-assign]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

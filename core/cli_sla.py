"""``emitra sla sweep`` (for cron) and ``emitra cases list / act / retry``: the workflow from a shell.

Every step goes through :mod:`emitra.core.workflow` exactly as the web pages do (the role and the
scope of ``--as`` are checked there, and the step is audited with ``via="cli"``).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import click

from emitra.core.workflow import WAITING_ON


def _moment(text: str | None) -> dt.datetime | None:
    from emitra.core.cli import cli_moment

    return cli_moment(text, "--at") if text else None


async def _district_id(code: str | None) -> int | None:
    from emitra.core.models import District

    if not code:
        return None
    district = await District.get_or_none(code=code.strip().upper())
    if district is None:
        raise click.ClickException(f"--district: no district with code {code!r}")
    return district.id


@click.group("sla")
def sla() -> None:
    """SLA deadlines of applications and grievances (docs/workflows.md)."""


@sla.command("sweep")
@click.option("--at", "at_text", default=None, help="Sweep as of this time (ISO 8601); default: now.")
@click.option("--district", "district_code", default=None, help="Only this district (its two-letter code).")
@click.option("--json", "as_json", is_flag=True, help="Print {\"escalated\": [...], \"breached\": [...], \"at_top\": [...]}.")
def sla_sweep(at_text: str | None, district_code: str | None, as_json: bool) -> None:
    """Flag every SLA breach and escalate each overdue case to the next officer (safe to run often; run it from cron)."""
    from emitra.core import audit, workflow
    from emitra.core.cli import run

    at = _moment(at_text)

    async def go() -> workflow.SweepResult:
        return await workflow.sweep(audit.Actor(None, via="cli"), at=at, district_id=await _district_id(district_code))

    result = run(go)
    if as_json:
        click.echo(json.dumps({"escalated": result.escalated, "breached": result.breached, "at_top": result.at_top}))
        return
    click.echo(f"escalated: {len(result.escalated)}" + (f"  {' '.join(result.escalated)}" if result.escalated else ""))
    click.echo(f"breached:  {len(result.breached)}" + (f"  {' '.join(result.breached)}" if result.breached else ""))
    if result.at_top:  # overdue with no officer above: told once, not escalated
        click.echo(f"at top:    {len(result.at_top)}  {' '.join(result.at_top)}")


@click.group("cases")
def cases() -> None:
    """Applications and grievances: list them, take a step, retry failed hand-overs."""


def _row(case: Any, at: dt.datetime, at_top: set[int]) -> dict[str, Any]:
    from emitra.core import workflow

    state = workflow.process_of(case).state(case.state)
    return {
        "number": case.number, "service": case.service_code, "department": case.department, "desk": case.desk,
        "state": case.state, "state_en": state.label_en, "waiting_on": workflow.turn_of(state), "level": case.level,
        "breached": case.breached, "past_deadline": workflow.is_past_deadline(case, at), "at_top": case.id in at_top,
        "age_days": workflow.age_days(case, at),
        "state_due_at": case.state_due_at.isoformat() if case.state_due_at else None,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "applicant": case.applicant_name,
    }


@cases.command("list")
@click.option("--state", default=None, help="Only cases in this state (e.g. forwarded), closed ones too, whoever's turn it is.")
@click.option("--turn", type=click.Choice(WAITING_ON), default=None,
              help="Whose turn: department (the default: the open cases waiting on the department, or on the Society "
                   "for a Society desk case, as the officer's inbox), counter (waiting on the counter: a correction or a "
                   "collection), open (every open case) or all (closed ones too). With --state alone: every case in that state.")
@click.option("--department", default=None, help="Only departments whose name contains this text.")
@click.option("--breached", is_flag=True, help="Only cases past a deadline now: flagged by the SLA sweep, or open with their "
                                              "state's or overall deadline passed since it last ran.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per case.")
def cases_list(state: str | None, turn: str | None, department: str | None, breached: bool, as_json: bool) -> None:
    """Cases waiting on the department (see --turn) in the inbox's order: overdue at the top level first
    (marked OVERDUE AT TOP), then escalated or breached, then the rest, each by its overall deadline."""
    from emitra.core import workflow
    from emitra.core.cli import run
    from emitra.core.models import Case

    async def go() -> list[dict[str, Any]]:
        query = Case.filter(state=state) if state else Case.all()
        if turn or not state:  # a state asked for alone: its cases, closed too, whoever's turn (as the inbox)
            query = await workflow.waiting_on(query, turn or "department")
        if department:
            query = query.filter(department__icontains=department)
        at = workflow.now()
        if breached:  # past a deadline now, flagged by the sweep or not yet (decision 167)
            query = query.filter(workflow.past_deadline(at))
        at_top = await workflow.at_top_among(query)  # the inbox's definitions and order (decision 152)
        return [_row(c, at, at_top) for c in await workflow.in_inbox_order(query, at_top)]

    rows = run(go)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no cases")
        return
    for r in rows:
        breach = "  BREACHED" if r["breached"] else "  PAST DEADLINE" if r["past_deadline"] else ""  # not yet flagged by the sweep
        flags = ("  OVERDUE AT TOP" if r["at_top"] else "") + breach + (f"  level {r['level']}" if r["level"] > 1 else "")
        waiting = {"counter": "  waiting on the counter", "none": "  closed"}.get(r["waiting_on"], "")
        click.echo(f"{r['number']:<20} {r['state']:<12} {r['age_days']:>3}d  {r['service']:<40} {r['department']}{flags}{waiting}")


@cases.command("act")
@click.argument("number")
@click.argument("action")
@click.option("--as", "as_user", required=True, help="The officer's, operator's or Society admin's username (audited).")
@click.option("--remark", default="", help="The remark or reason (required for reject, return, resubmit, resolve...).")
def cases_act(number: str, action: str, as_user: str, remark: str) -> None:
    """Take ACTION (approve, issue, reject, ...) on case NUMBER as the user --as."""
    from emitra.core import audit, workflow
    from emitra.core.cli import run
    from emitra.core.models import Case, User

    async def go() -> Any:
        user = await User.get_or_none(username=as_user, active=True)
        if user is None:
            raise click.ClickException(f"--as: no active user {as_user!r}")
        case = await Case.get_or_none(number=workflow.clean_number(number)) or await Case.get_or_none(number=number.strip())
        if case is None or not workflow.can_view(user, case):
            raise click.ClickException(f"no case {number!r} that {as_user} may see; `emitra cases list` shows them")
        moved = await workflow.act(audit.Actor(user, via="cli"), case, action.strip(), remark)
        return moved, workflow.process_of(moved).state(moved.state).label_en

    try:
        case, label = run(go)
    except workflow.WorkflowError as exc:
        click.echo(f"Error: {exc.message_en}", err=True)
        if exc.allowed:  # the message names the steps by their labels; the command takes their codes
            click.echo(f"To take one: emitra cases act {number} {'|'.join(exc.allowed)} --as {as_user}", err=True)
        if exc.field == "remark":  # the page has a box for it; here it is an option
            click.echo(f'Write it with --remark: emitra cases act {number} {action} --as {as_user} --remark "..."', err=True)
        sys.exit(1)
    click.echo(f"{case.number}: {case.state} ({label})")


@cases.command("retry")
@click.option("--stuck-minutes", default=10, show_default=True, type=click.IntRange(min=1),
              help="Also hand over requests paid at least this long ago whose hand-over never ran (the server stopped in between).")
def cases_retry(stuck_minutes: int) -> None:
    """Hand every paid request whose hand-over failed, or never ran, to its department again; exit 1 if one still fails."""
    import datetime as dt

    from tortoise.expressions import Q

    from emitra.core import audit
    from emitra.core import counter as counter_core
    from emitra.core.cli import run
    from emitra.core.models import RequestStatus, ServiceRequest

    async def go() -> list[tuple[str, str]]:
        out = []
        actor = audit.Actor(None, via="cli")
        stuck_before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=stuck_minutes)
        failed_or_stuck = Q(status=RequestStatus.SUBMISSION_FAILED) | (Q(status=RequestStatus.PAID) & Q(created_at__lt=stuck_before))
        for request in await ServiceRequest.filter(failed_or_stuck).order_by("id"):
            try:
                await counter_core.retry_hand_over(actor, request)
            except counter_core.CounterError as exc:
                out.append((request.receipt_no or str(request.id), f"failed: {exc.message_en}"))
                continue
            status = request.status.value if hasattr(request.status, "value") else str(request.status)
            out.append((request.receipt_no or str(request.id), "handed over" if status == "submitted" else "still failing"))
        return out

    results = run(go)
    if not results:
        click.echo("no failed hand-over to retry")
        return
    for receipt, outcome in results:
        click.echo(f"{receipt}: {outcome}", err=outcome != "handed over")
    if any(outcome != "handed over" for _, outcome in results):
        sys.exit(1)


commands: list[click.Command] = [sla, cases]

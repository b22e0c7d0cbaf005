"""``emitra sla sweep`` and ``emitra cases ...``, run as cron and an administrator run them: the real
command in a subprocess, on the test database (EMITRA_DATABASE_URL is set by conftest)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from emitra.core import clock
from emitra.core.models import AuditLog, Case, RequestStatus, ServiceRequest
from emitra.core.plugins import get_host
from tests.case_helpers import CASTE, caste_case, grievance_case
from tests.test_cli import run as emitra

pytestmark = pytest.mark.anyio


async def test_the_sweep_escalates_an_overdue_grievance_once(demo_db):
    grievance = await grievance_case("cli-1")
    caste = await caste_case("cli-2")
    await Case.filter(id=grievance.id).update(state_due_at=clock.now() - dt.timedelta(hours=2))
    out = emitra("sla", "sweep", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"escalated": [grievance.number], "breached": [grievance.number], "at_top": []}
    case = await Case.get(id=grievance.id)
    assert (case.level, case.breached) == (2, True)
    assert (await Case.get(id=caste.id)).level == 1
    assert (await AuditLog.get(action="case.escalated", object_id=str(grievance.id))).detail["via"] == "cli"
    again = emitra("sla", "sweep")
    assert again.returncode == 0 and "escalated: 0" in again.stdout


async def test_the_sweep_as_of_a_later_time_and_by_district(demo_db):
    caste = await caste_case("cli-3")
    later = (clock.now() + dt.timedelta(days=8)).isoformat()
    unknown = emitra("sla", "sweep", "--district", "ZZ")
    assert unknown.returncode != 0 and "no district with code 'ZZ'" in unknown.stderr
    bad = emitra("sla", "sweep", "--at", "next week")
    assert bad.returncode != 0 and "ISO 8601" in bad.stderr
    out = emitra("sla", "sweep", "--at", later, "--district", "jp")
    assert out.returncode == 0, out.stderr
    assert caste.number in out.stdout and "escalated: 1" in out.stdout
    assert (await Case.get(id=caste.id)).level == 2


async def test_cases_list_filters_by_state_department_and_breach(demo_db):
    caste = await caste_case("cli-4")
    grievance = await grievance_case("cli-5")
    await Case.filter(id=grievance.id).update(breached=True)
    everything = json.loads(emitra("cases", "list", "--json").stdout)
    assert [r["number"] for r in everything] == [grievance.number, caste.number]  # breached first
    revenue = json.loads(emitra("cases", "list", "--department", "revenue department", "--json").stdout)
    assert [r["number"] for r in revenue] == [caste.number]
    assert revenue[0]["state"] == "forwarded" and revenue[0]["state_en"] == "With the department"
    breached = emitra("cases", "list", "--breached")
    assert grievance.number in breached.stdout and "BREACHED" in breached.stdout and caste.number not in breached.stdout
    assert emitra("cases", "list", "--state", "approved").stdout.strip() == "no cases"


async def test_cases_list_breached_is_past_a_deadline_now_whether_the_sweep_has_run_or_not(demo_db):
    """--breached (decision 167): the cases flagged by the SLA sweep, and the open ones whose overall
    or state deadline passed since it last ran (not flagged yet: marked PAST DEADLINE); not a case
    within its deadlines, nor a closed one never flagged. The sweep run then flags exactly those."""
    from emitra.core import workflow
    from tests.case_helpers import actor

    flagged, overall, state_late, on_time, closed = [await caste_case(f"cli-late-{n}") for n in range(5)]
    now = clock.now()
    await Case.filter(id=flagged.id).update(breached=True)
    await Case.filter(id=overall.id).update(due_at=now - dt.timedelta(hours=1))  # the overall deadline an hour ago
    await Case.filter(id=state_late.id).update(state_due_at=now - dt.timedelta(minutes=5))  # the officer's step's deadline
    await Case.filter(id__in=[flagged.id, on_time.id]).update(state_due_at=now + dt.timedelta(days=1), due_at=now + dt.timedelta(days=20))
    await workflow.act(await actor("tehsildar"), closed, "reject", "Caste not shown on the ration card")
    await Case.filter(id=closed.id).update(due_at=now - dt.timedelta(days=1), breached=False)

    out = emitra("cases", "list", "--breached", "--turn", "all", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["number"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {flagged.number, overall.number, state_late.number}
    assert [(rows[c.number]["breached"], rows[c.number]["past_deadline"]) for c in (flagged, overall, state_late)] == \
        [(True, True), (False, True), (False, True)]
    text = emitra("cases", "list", "--breached").stdout
    line = {n: next(x for x in text.splitlines() if x.startswith(n)) for n in rows}
    assert "BREACHED" in line[flagged.number] and "PAST DEADLINE" in line[overall.number] and "PAST DEADLINE" in line[state_late.number]
    assert on_time.number not in text and closed.number not in text
    assert not await Case.filter(id__in=[overall.id, state_late.id], breached=True).exists()  # a list writes nothing
    # what the sweep flags when it runs is what the list called past its deadline
    await workflow.sweep(at=clock.now())
    assert set(await Case.filter(breached=True).values_list("number", flat=True)) == set(rows)


async def test_cases_list_shows_what_waits_on_the_department_unless_asked(demo_db):
    from emitra.core import workflow
    from tests.case_helpers import actor

    ours, returned, rejected = [await caste_case(f"cli-turn-{n}") for n in range(3)]
    await workflow.act(await actor("tehsildar"), returned, "return", "Father's name differs from the ration card")
    await workflow.act(await actor("tehsildar"), rejected, "reject", "Caste not shown on the ration card")

    def numbers(*options: str) -> list[str]:
        out = emitra("cases", "list", "--department", "revenue", "--json", *options)
        assert out.returncode == 0, out.stderr
        return [r["number"] for r in json.loads(out.stdout)]

    assert numbers() == [ours.number]  # as the Tehsildar's inbox: not the one the counter must correct
    assert numbers("--turn", "department") == [ours.number]
    assert numbers("--turn", "counter") == [returned.number]
    assert numbers("--turn", "open") == [ours.number, returned.number]
    assert numbers("--turn", "all") == [ours.number, returned.number, rejected.number]
    assert numbers("--state", "rejected") == [rejected.number]
    text = emitra("cases", "list", "--turn", "all").stdout
    line = {n: next(l for l in text.splitlines() if l.startswith(n)) for n in (ours.number, returned.number, rejected.number)}
    assert "waiting on the counter" in line[returned.number] and "closed" in line[rejected.number]
    assert "waiting on" not in line[ours.number] and "closed" not in line[ours.number]
    wrong = emitra("cases", "list", "--turn", "mine")
    assert wrong.returncode == 2 and "'mine' is not one of 'department', 'counter', 'open', 'all'" in wrong.stderr


async def test_cases_list_puts_the_cases_overdue_at_the_top_level_first_and_marks_them(demo_db):
    """Decision 157: the command sorted breached, then level, then oldest, so an escalated case came
    before a level-1 case nobody above can take any more, and such a case was not marked; it now
    lists and marks them as the officers' inbox does (decision 152)."""
    from emitra.core import workflow
    from emitra.core.models import User
    from tests.test_staff_names import _jamabandi_case

    escalated = await caste_case("cli-order-escalated")
    await workflow.sweep(at=escalated.state_due_at + dt.timedelta(minutes=1))  # to the SDM, level 2
    await User.filter(username="sdm").update(active=False)  # the Tehsildar is now the top of the desk
    top = await caste_case("cli-order-top")
    await workflow.sweep(at=top.state_due_at + dt.timedelta(minutes=1))
    escalated, top = await Case.get(id=escalated.id), await Case.get(id=top.id)
    assert (escalated.level, escalated.breached, top.level, top.breached) == (2, True, 1, True)
    later = await caste_case("cli-order-later")  # due in 15 days
    sooner = await _jamabandi_case("cli-order-sooner")  # filed after it, due in 3 days
    assert sooner.due_at < later.due_at and sooner.created_at > later.created_at

    out = emitra("cases", "list", "--department", "revenue", "--json")
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert [r["number"] for r in listed] == [top.number, escalated.number, sooner.number, later.number]
    assert [r["at_top"] for r in listed] == [True, False, False, False]
    text = emitra("cases", "list", "--department", "revenue").stdout
    lines = [line for line in text.splitlines() if line.strip()]
    assert [line.split()[0] for line in lines] == [top.number, escalated.number, sooner.number, later.number]
    assert "OVERDUE AT TOP" in lines[0] and not any("OVERDUE AT TOP" in line for line in lines[1:])


async def test_cases_act_moves_a_case_or_prints_the_refusal(demo_db):
    case = await caste_case("cli-6")
    refused = emitra("cases", "act", case.number, "reject", "--as", "tehsildar")
    assert refused.returncode == 1 and "needs a reason the citizen can read" in refused.stderr
    assert f'Write it with --remark: emitra cases act {case.number} reject --as tehsildar --remark "..."' in refused.stderr
    outsider = emitra("cases", "act", case.number, "approve", "--as", "phed")
    assert outsider.returncode != 0 and "no case" in outsider.stderr
    assert (await Case.get(id=case.id)).state == "forwarded"
    done = emitra("cases", "act", case.number, "approve", "--as", "tehsildar", "--remark", "Verified at the tehsil")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{case.number}: approved (Approved)"
    assert (await Case.get(id=case.id)).state == "approved"
    twice = emitra("cases", "act", case.number, "approve", "--as", "tehsildar")
    assert twice.returncode == 1 and "Allowed for you: 'Issue the certificate'." in twice.stderr
    assert f"To take one: emitra cases act {case.number} issue --as tehsildar" in twice.stderr
    audit = await AuditLog.get(action="case.approve", object_id=str(case.id))
    assert audit.detail["via"] == "cli" and audit.actor_name == "tehsildar"


async def test_cases_retry_hands_over_what_failed(demo_db):
    office = get_host().registry.get(CASTE).office
    original = office.file_application

    async def down(*args, **kwargs):
        raise ConnectionError("tehsil server down")

    office.file_application = down
    try:
        case = await caste_case("cli-7")
    finally:
        office.file_application = original
    assert case.state == "submitted"
    out = emitra("cases", "retry")
    assert out.returncode == 0, out.stderr
    assert f"{case.number}: handed over" in out.stdout
    assert (await Case.get(id=case.id)).state == "forwarded"
    assert (await ServiceRequest.get(id=case.request_id)).status == RequestStatus.SUBMITTED
    assert emitra("cases", "retry").stdout.strip() == "no failed hand-over to retry"


async def test_cases_retry_finishes_a_payment_whose_hand_over_never_ran(demo_db, monkeypatch):
    """The server stopped between recording a payment and handing it over (kill -9): the request
    stays paid; the retry picks it up once it is older than --stuck-minutes, not before."""
    from emitra.core import counter as counter_core
    from tests.case_helpers import pay
    from tests.test_money_properties import BILL, K_NUMBERS

    async def crashed(*args, **kwargs):  # the process died right after the payment's transaction committed
        return None

    monkeypatch.setattr(counter_core, "_hand_over", crashed)
    request = await pay(BILL, {"k_number": K_NUMBERS[0]}, "cli-8")
    monkeypatch.undo()
    assert (await ServiceRequest.get(id=request.id)).status == RequestStatus.PAID
    assert emitra("cases", "retry").stdout.strip() == "no failed hand-over to retry"  # just paid: maybe still running
    await ServiceRequest.filter(id=request.id).update(created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=30))
    out = emitra("cases", "retry", "--stuck-minutes", "15")
    assert out.returncode == 0 and f"{request.receipt_no}: handed over" in out.stdout
    assert (await ServiceRequest.get(id=request.id)).status == RequestStatus.SUBMITTED


async def _held_escalations(monkeypatch, others: int):
    """Hold every sweep inside its escalation (before it writes the case) until ``others`` more
    sweeps reach the same point, or a second passes (a sweep waiting for the case's lock never
    arrives)."""
    import asyncio

    from emitra.core import notify

    arrived, real = [], notify.escalation

    async def held(case, process):
        arrived.append(case.number)
        for _ in range(20):
            if len(arrived) > others:
                break
            await asyncio.sleep(0.05)
        return await real(case, process)

    monkeypatch.setattr(notify, "escalation", held)
    return arrived


async def test_two_sweeps_at_the_same_moment_escalate_a_deadline_once(demo_db, monkeypatch):
    """Cron's 'emitra sla sweep' and the Society's button at once: on PostgreSQL both read the
    overdue case before either wrote it, and each escalated it: two 'escalated to level 2' steps on
    the timeline, two audit records, the officers and the citizen told twice. The sweep now locks
    the case and reads it again, so the second finds the deadline already renewed."""
    import asyncio

    from emitra.core import workflow
    from emitra.core.models import CaseEvent

    grievance = await grievance_case("sla-race")
    await Case.filter(id=grievance.id).update(state_due_at=clock.now() - dt.timedelta(hours=2))
    await _held_escalations(monkeypatch, others=1)
    first, second = await asyncio.gather(workflow.sweep(), workflow.sweep())
    assert first.escalated + second.escalated == [grievance.number]
    case = await Case.get(id=grievance.id)
    assert case.level == 2
    assert await CaseEvent.filter(case_id=grievance.id, action="escalate").count() == 1
    assert await AuditLog.filter(action="case.escalated", object_id=str(grievance.id)).count() == 1

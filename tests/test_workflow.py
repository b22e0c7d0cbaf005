"""The workflow engine: a paid application opens a case that moves only as its process allows."""

from __future__ import annotations

import datetime as dt

import pytest

from emitra.core import workflow
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Case, CaseEvent, Certificate, Notification, RequestStatus, ServiceRequest
from emitra.core.plugins import declaration_problems
from emitra.core.services import Category, Domain, FeeRule, Payer, Service, Workflow
from tests.case_helpers import DOMICILE, actor, caste_case, grievance_case, pay, upload


@pytest.mark.anyio
async def test_a_paid_caste_application_is_forwarded_to_the_revenue_department(demo_db):
    case = await caste_case()
    request = await ServiceRequest.get(id=case.request_id)
    assert request.status == RequestStatus.SUBMITTED
    assert (case.number, case.state, case.kind) == (request.receipt_no, "forwarded", "application")
    assert case.department == "Revenue Department, Government of Rajasthan"
    assert case.due_at - case.created_at == dt.timedelta(days=15)
    assert case.state_due_at - case.state_since == dt.timedelta(days=7)
    events = [e.action for e in await CaseEvent.filter(case_id=case.id).order_by("id")]
    assert events == ["open", "forward"]
    # the citizen was told on submission and on forwarding, in both languages
    notes = await Notification.filter(case_id=case.id).order_by("id")
    assert [n.event for n in notes] == ["submitted", "state_changed"]
    assert case.number in notes[0].body_en and "दर्ज" in notes[0].body_hi and notes[0].recipient == "9829012345"


@pytest.mark.anyio
async def test_the_whole_road_to_a_collected_certificate(demo_db):
    case = await caste_case()
    case = await workflow.act(await actor("tehsildar"), case, "approve", "Caste verified against the ration card")
    case = await workflow.act(await actor("tehsildar"), case, "issue")
    assert case.state == "ready"
    cert = await Certificate.get(case_id=case.id)
    assert cert.holder_name == "Lakshmi Narayan Bairwa" and cert.number.startswith("JP-C-")
    case = await workflow.act(await actor("operator1"), case, "collect", "Identity checked against Aadhaar")
    assert case.state == "collected" and case.closed_at is not None
    actions = await AuditLog.filter(object_type="Case", object_id=str(case.id)).values_list("action", flat=True)
    assert {"case.opened", "case.forward", "case.approve", "case.issue", "case.collect"} <= set(actions)
    assert "ready" in [n.event for n in await Notification.filter(case_id=case.id)]


APPROVE_REJECT_RETURN = "'Approve', 'Reject', 'Send back for correction'"


@pytest.mark.anyio
async def test_an_illegal_step_is_refused_saying_what_is_allowed(demo_db):
    case = await caste_case()
    with pytest.raises(workflow.WorkflowError) as err:
        await workflow.act(await actor("tehsildar"), case, "collect")
    assert f"Allowed for you: {APPROVE_REJECT_RETURN}." in err.value.message_en  # the steps by their labels, as in Hindi
    assert err.value.allowed == ("approve", "reject", "return")  # the codes, for `emitra cases act`
    assert (await Case.get(id=case.id)).state == "forwarded"


@pytest.mark.anyio
async def test_only_the_cases_department_may_decide_it(demo_db):
    case = await caste_case()
    for username in ("officer", "phed", "operator1", "operator2", "lsp"):  # JVVNL, PHED, the counter, another counter
        with pytest.raises(workflow.WorkflowError) as err:
            await workflow.act(await actor(username), case, "approve")
        assert err.value.field in ("role", "action")
    assert (await Case.get(id=case.id)).state == "forwarded"


@pytest.mark.anyio
async def test_rejection_and_return_need_a_reason_and_a_correction_goes_back(demo_db):
    case = await caste_case()
    with pytest.raises(workflow.WorkflowError) as err:
        await workflow.act(await actor("tehsildar"), case, "reject", "")
    assert err.value.field == "remark"
    case = await workflow.act(await actor("tehsildar"), case, "return", "Father's name differs from the ration card")
    assert case.state == "returned"
    with pytest.raises(workflow.WorkflowError):
        await workflow.act(await actor("operator2"), case, "resubmit", "Corrected")  # another counter
    case = await workflow.act(await actor("operator1"), case, "resubmit", "Father's name corrected from the ration card")
    assert case.state == "forwarded"
    case = await workflow.act(await actor("tehsildar"), case, "reject", "Not on the state list of castes")
    assert case.state == "rejected" and case.closed_at is not None
    timeline = await workflow.timeline(case)
    assert [t["state"] for t in timeline] == ["submitted", "forwarded", "returned", "forwarded", "rejected"]
    assert timeline[-1]["remark"] == "Not on the state list of castes" and timeline[-1]["by"] == "department"


@pytest.mark.anyio
async def test_personal_verification_comes_before_approval_where_declared(demo_db):
    from emitra.core.forms import upload_fields
    from emitra.core.plugins import get_host

    service = get_host().registry.get(DOMICILE)
    example = dict(service.example)
    for path, _ in upload_fields(service.form):
        example[path] = await upload(DOMICILE, path)
    request = await pay(DOMICILE, example, "dom-1")
    case = await Case.get(request_id=request.id)
    tehsildar = await actor("tehsildar")
    with pytest.raises(workflow.WorkflowError) as err:
        await workflow.act(tehsildar, case, "approve")
    assert "'Call for personal verification'" in err.value.message_en and err.value.allowed[0] == "call_for_verification"
    case = await workflow.act(tehsildar, case, "call_for_verification", "Appear at Phagi tehsil on Monday")
    case = await workflow.act(tehsildar, case, "approve")
    assert case.state == "approved"


@pytest.mark.anyio
async def test_a_breach_is_flagged_and_escalated_once_to_the_next_officer(demo_db):
    case = await grievance_case()
    assert (case.kind, case.department, case.state) == ("grievance", "Public Health Engineering (water supply)", "forwarded")
    later = case.state_due_at + dt.timedelta(hours=1)
    result = await workflow.sweep(at=later)
    assert result.escalated == [case.number]
    case = await Case.get(id=case.id)
    assert (case.level, case.breached) == (2, True)
    # the superintending engineer (level 2) is told, not the assistant engineer
    escalations = await Notification.filter(case_id=case.id, event="escalated")
    assert [n.recipient for n in escalations] == ["phed_se@demo.emitra.invalid"]
    assert (await workflow.sweep(at=later)).escalated == []  # once per breach
    # the next officer has a fresh deadline; missing that finds no officer above level 2 (decision 147)
    assert case.state_due_at > later
    missed = await workflow.sweep(at=case.state_due_at + dt.timedelta(minutes=1))
    assert (missed.escalated, missed.at_top) == ([], [case.number])
    assert (await Case.get(id=case.id)).level == 2


@pytest.mark.anyio
async def test_many_at_once_each_in_its_own_transaction(demo_db):
    one, two = await caste_case("c-1"), await caste_case("c-2")
    await workflow.act(await actor("tehsildar"), two, "approve")
    done, refused = await workflow.act_many(await actor("tehsildar"), [one.id, two.id, 99999], "approve")
    assert [c.number for c in done] == [one.number]
    assert [r[0] for r in refused] == [two.id, 99999]


def _service(**kw):
    base = dict(code="test.x.app", title_en="X", title_hi="एक्स", provider="X", domain=Domain.GOVERNMENT,
                category=Category.APPLICATION, form={"type": "object", "properties": {}}, fee=FeeRule(payer=Payer.CITIZEN),
                workflow=Workflow.APPLICATION)
    base.update(kw)
    return Service(**base)


def test_a_bad_process_declaration_is_refused_naming_the_field():
    bad = workflow.Process("x", (workflow.State("submitted", "S", "स"),),
                           (workflow.Transition("go", ("submitted",), "nowhere", ("wizard",), "Go", "जाओ"),))
    fields = {p.field for p in declaration_problems(_service(process=bad))}
    assert "process.transitions[go]" in fields and "process.states" in fields
    assert [p.field for p in declaration_problems(_service(deliverable="parcel"))] == ["deliverable"]
    assert [p.field for p in declaration_problems(_service(sla_days=0))] == ["sla_days"]
    assert [p.field for p in declaration_problems(_service(paper_documents=("Affidavit",)))] == ["paper_documents"]
    assert declaration_problems(_service(personal_verification=True, deliverable="certificate")) == []


def _two_level(*, forward_roles=("system", "operator"), extra_states=(), extra_transitions=(), collect_to="collected"):
    """The trade licence of docs/workflows.md, shortened: what each test changes is named by its arguments."""
    S, T = workflow.State, workflow.Transition
    return workflow.Process(
        "two_level",
        states=(S("submitted", "Submitted", "जमा", 1, desk="counter"), S("forwarded", "With the office", "कार्यालय में", 5),
                S("approved", "Approved", "स्वीकृत", 2), S("rejected", "Rejected", "अस्वीकृत", final=True, desk="none"),
                S("ready", "Ready", "तैयार", desk="counter"), S("collected", "Collected", "प्राप्त", final=True, desk="none"),
                *extra_states),
        transitions=(T("forward", ("submitted",), "forwarded", forward_roles, "Forward", "भेजें"),
                     T("approve", ("forwarded",), "approved", ("department_officer",), "Approve", "स्वीकृत करें"),
                     T("reject", ("forwarded",), "rejected", ("department_officer",), "Reject", "अस्वीकृत करें", reason_required=True),
                     T("issue", ("approved",), "ready", ("department_officer",), "Issue", "जारी करें"),
                     T("collect", ("ready",), collect_to, ("operator",), "Hand over", "सौंपें"),
                     *extra_transitions),
        sla_days=21, deliverable="department")


def test_a_process_the_platform_cannot_forward_is_refused_at_load():
    assert declaration_problems(_service(process=_two_level())) == []
    (problem,) = declaration_problems(_service(process=_two_level(forward_roles=("operator", "society_admin"))))
    assert problem.field == "process.transitions[forward]"
    assert "the role 'system' may not take it" in problem.message and "add 'system' to its roles" in problem.message


def test_a_state_nothing_leads_to_and_a_road_with_no_end_are_refused_at_load():
    inspection = workflow.State("inspection", "Site inspection", "स्थल निरीक्षण", 10)
    inspected = workflow.Transition("inspected", ("inspection",), "approved", ("department_officer",), "Inspected", "निरीक्षण किया")
    problems = declaration_problems(_service(process=_two_level(extra_states=(inspection,), extra_transitions=(inspected,))))
    assert [(p.field, p.message) for p in problems] == [
        ("process.states[inspection]", "no transition leads to it from 'submitted'; add one, or remove the state")]
    # "collect" goes back to "approved": "collected" is out of reach, and an approved case could never end
    fields = {p.field for p in declaration_problems(_service(process=_two_level(collect_to="approved")))}
    assert fields == {"process.states[collected]", "process.states[approved]", "process.states[ready]"}


@pytest.mark.anyio
async def test_a_workflow_failure_after_payment_leaves_the_paid_request_for_the_retry(demo_db):
    """The load check refuses such a process; a plugin that changes its process afterwards gets the
    same treatment as a department that does not answer: the payment stands, no error page, and
    the case waits on the counter's Applications page for a retry."""
    import logging

    from emitra.core import counter as counter_core
    from emitra.core.plugins import get_host
    from tests.case_helpers import CASTE

    caste = get_host().registry.get(CASTE)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("emitra.core.counter").addHandler(handler)
    caste.process = _two_level(forward_roles=("operator", "society_admin"))
    try:
        case = await caste_case()
    finally:
        caste.process = None
        logging.getLogger("emitra.core.counter").removeHandler(handler)
    request = await ServiceRequest.get(id=case.request_id)
    assert request.status == RequestStatus.SUBMISSION_FAILED and case.state == "submitted"
    assert request.department_ref  # the department had it: its reference is kept
    assert any("plugin revenue" in r.getMessage() and request.receipt_no in r.getMessage() for r in records)
    # what the counter's Applications page lists as "not yet forwarded", and the retry forwards it
    assert await Case.filter(counter_id=case.counter_id, state="submitted", request__status=RequestStatus.SUBMISSION_FAILED).count() == 1
    await counter_core.retry_hand_over(Actor(None, via="cli"), request)
    assert (await Case.get(id=case.id)).state == "forwarded" and request.status == RequestStatus.SUBMITTED


@pytest.mark.anyio
async def test_a_refusal_in_hindi_names_the_steps_by_their_hindi_labels(demo_db):
    case = await caste_case()
    case = await workflow.act(await actor("tehsildar"), case, "return", "Father's name differs from the ration card")
    with pytest.raises(workflow.WorkflowError) as err:
        await workflow.act(await actor("operator1"), case, "collect")
    assert err.value.message_en == (f"Case {case.number} is 'Sent back for correction': 'Hand over to the citizen' cannot be taken now. "
                                    "Allowed for you: 'Resubmit, corrected'.")
    assert err.value.message_hi == (f"प्रकरण {case.number} 'सुधार हेतु लौटाया गया' स्थिति में है: 'नागरिक को सौंपें' अभी नहीं हो सकता। "
                                    "आपके लिए अनुमत: सुधार कर पुनः भेजें।")
    with pytest.raises(workflow.WorkflowError) as err:
        await workflow.act(await actor("operator1"), case, "nuke")
    assert err.value.message_en == f"Case {case.number}: 'nuke' is an unknown action. Allowed for you: 'Resubmit, corrected'."
    assert "अज्ञात कार्रवाई" in err.value.message_hi and "resubmit" not in err.value.message_hi
    # the counter's reason is read by the department, not the citizen
    with pytest.raises(workflow.WorkflowError) as err:
        await workflow.act(await actor("operator1"), case, "resubmit", "ok")
    assert "needs a reason the department can read" in err.value.message_en and "citizen" not in err.value.message_en
    assert "विभाग के पढ़ने योग्य" in err.value.message_hi
    with pytest.raises(workflow.WorkflowError) as err:
        await workflow.act(await actor("phed"), await grievance_case(), "resolve", "")
    assert "needs the reply the citizen reads" in err.value.message_en and "उत्तर" in err.value.message_hi


@pytest.mark.anyio
async def test_the_platforms_remarks_are_kept_and_sent_in_both_languages(demo_db):
    case = await caste_case()
    request = await ServiceRequest.get(id=case.request_id)
    forward = await CaseEvent.get(case_id=case.id, action="forward")
    assert forward.remark == f"Received by the department, reference {request.department_ref}"
    assert forward.remark_hi == f"विभाग को प्राप्त, संदर्भ {request.department_ref}"
    sms = await Notification.get(case_id=case.id, event="state_changed", channel="sms")
    # the remark within its two DLT variables (decision 165): the reference, too long for them, is on /track, not half-written
    assert "Note: Received by the department, reference... Details: " in sms.body_en and request.department_ref not in sms.body_en
    # the Hindi SMS says the platform's remark in Hindi, as far as two parts hold it (the reference is on /track)
    assert "टिप्पणी: विभाग को प्राप्त, संदर्भ" in sms.body_hi and "Received" not in sms.body_hi
    grievance = await grievance_case()
    await workflow.sweep(at=grievance.state_due_at + dt.timedelta(hours=1))
    escalated = await CaseEvent.get(case_id=grievance.id, action="escalate")
    assert escalated.remark == "'With the department' for more than 3 days: escalated to level 2"
    assert escalated.remark_hi == "3 दिन से अधिक समय से 'विभाग के पास' स्थिति में: स्तर 2 पर अग्रेषित"
    steps = await workflow.timeline(grievance)
    assert [(s["step_en"], s["step_hi"]) for s in steps] == [
        ("Registered", "दर्ज किया गया"), ("Forwarded to the department", "विभाग को भेजा गया"),
        ("Escalated to the next officer", "अगले स्तर के अधिकारी को अग्रेषित")]


@pytest.mark.anyio
async def test_a_platform_remark_written_before_the_hindi_column_is_put_into_hindi(demo_db):
    case = await caste_case()
    await CaseEvent.filter(case_id=case.id).update(remark_hi="")  # as written before migration 0023
    grievance = await grievance_case()
    await workflow.sweep(at=grievance.state_due_at + dt.timedelta(hours=1))
    await CaseEvent.filter(case_id=grievance.id).update(remark_hi="")
    await workflow.add_remark(await actor("phed"), grievance, "Received by the department, reference in the register")
    forward = (await workflow.timeline(case))[1]
    assert forward["remark_hi"] == "विभाग को प्राप्त, संदर्भ " + forward["remark"].rsplit(" ", 1)[1]
    escalated, remark = (await workflow.timeline(grievance, public_only=False))[2:]
    assert escalated["remark_hi"] == "3 दिन से अधिक समय से 'विभाग के पास' स्थिति में: स्तर 2 पर अग्रेषित"
    assert remark["remark_hi"] == ""  # an officer's words are shown as written


# --- a step for the next officer up (Transition.min_level) ---------------------------------------------

REVENUE = "Revenue Department, Government of Rajasthan"
MUTATION = "gov.rj.mutation.land_mutation"  # the plugin's own namespace (decision 150)


def _maker_checker() -> workflow.Process:
    """The desk officer scrutinises; only the next officer up (level 2) approves or rejects."""
    S, T = workflow.State, workflow.Transition
    return workflow.Process(
        "maker_checker",
        states=(S("submitted", "Submitted", "जमा", 1, desk="counter"), S("forwarded", "With the desk officer", "डेस्क अधिकारी के पास", 5),
                S("scrutinised", "Scrutinised", "जाँचा गया", 3), S("approved", "Approved", "स्वीकृत", final=True, desk="none"),
                S("rejected", "Rejected", "अस्वीकृत", final=True, desk="none")),
        transitions=(T("forward", ("submitted",), "forwarded", ("system",), "Forward", "भेजें"),
                     T("scrutinise", ("forwarded",), "scrutinised", ("department_officer",), "Scrutinise", "जाँचें"),
                     T("approve", ("scrutinised",), "approved", ("department_officer",), "Approve", "स्वीकृत करें", min_level=2),
                     T("reject", ("forwarded", "scrutinised"), "rejected", ("department_officer",), "Reject", "अस्वीकृत करें",
                       reason_required=True, min_level=2)),
        deliverable=None)


def mutation_plugin():
    """A plugin registering the land mutation (:func:`_maker_checker`) of the Revenue Department."""
    from emitra.core import hookimpl
    from emitra.core.services import Quote

    class Mutation(Service):
        async def quote(self, data, ctx):
            return Quote(principal_paise=0, reference=data["khasra_no"])

    class Plugin:
        @hookimpl
        def emitra_register_services(self, register):
            register(Mutation(code=MUTATION, title_en="Land mutation", title_hi="नामांतरण", provider=REVENUE,
                              provider_hi="राजस्व विभाग, राजस्थान सरकार", domain=Domain.GOVERNMENT, category=Category.APPLICATION,
                              workflow=Workflow.APPLICATION, fee=FeeRule(payer=Payer.CITIZEN, fee_paise=2000), process=_maker_checker(),
                              form={"type": "object", "required": ["khasra_no"],
                                    "properties": {"khasra_no": {"type": "string", "title": "Khasra number", "x-title-hi": "खसरा संख्या"}}}))

    return Plugin()


@pytest.fixture
def mutation_db(emitra_plugin, request):
    emitra_plugin(mutation_plugin(), name="mutation")
    return request.getfixturevalue("demo_db")  # the demo enables the loaded services at its counters


@pytest.mark.anyio
async def test_a_step_for_the_next_officer_up_is_refused_to_the_desk_officer(mutation_db):
    """Before ``min_level``, every officer of the department could take every step of a two-desk
    process: the desk officer who scrutinised an application could approve it too."""
    request = await pay(MUTATION, {"khasra_no": "112/4"}, "mutation-1")
    case = await Case.get(request_id=request.id)
    tehsildar, sdm = await actor("tehsildar"), await actor("sdm")  # level 1 and level 2 of the Revenue Department
    assert [t.action for t in workflow.allowed_actions(tehsildar.user, case)] == ["scrutinise"]
    case = await workflow.act(tehsildar, case, "scrutinise", "Khasra checked against the jamabandi")
    assert workflow.allowed_actions(tehsildar.user, case) == []
    with pytest.raises(workflow.WorkflowError) as refused:
        await workflow.act(tehsildar, case, "approve")
    assert refused.value.field == "role" and "an officer of level 2 or above" in refused.value.message_en
    assert "you are level 1" in refused.value.message_en and "स्तर 2" in refused.value.message_hi
    assert (await Case.get(id=case.id)).state == "scrutinised"
    assert [t.action for t in workflow.allowed_actions(sdm.user, case)] == ["approve", "reject"]
    case = await workflow.act(sdm, case, "approve")
    assert case.state == "approved"
    steps = await CaseEvent.filter(case_id=case.id).order_by("id").values_list("action", "actor_name")
    assert [s for s in steps if s[0] in ("scrutinise", "approve")] == [("scrutinise", "Tehsildar, Revenue Department"),
                                                                                   ("approve", "Sub-Divisional Officer, Revenue Department")]


def test_a_bad_min_level_is_refused_naming_the_step():
    S, T = workflow.State, workflow.Transition
    base = _maker_checker()
    for bad, fragment in ((0, "is not an officer level"), ("2", "is not an officer level"), (True, "is not an officer level")):
        process = workflow.Process("x", base.states, (*base.transitions[:2], T("approve", ("scrutinised",), "approved",
                                   ("department_officer",), "Approve", "स्वीकृत करें", min_level=bad), base.transitions[3]), deliverable=None)
        assert any(fragment in p and "transitions[approve].min_level" in p for p in process.problems()), bad
    counter_step = workflow.Process("x", (*base.states, S("ready", "Ready", "तैयार", desk="counter")), (*base.transitions,
                                    T("hand", ("approved",), "ready", ("operator",), "Hand", "सौंपें", min_level=2)), deliverable=None)
    assert any("levels are department officers'" in p for p in counter_step.problems())
    assert base.problems() == []

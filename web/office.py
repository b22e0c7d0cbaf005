"""The department officer's inbox and case page, the Society's sweep, and the counter's side of a case.

* ``/office``: the cases on the officer's desk (their department, their district), or, for the
  Society admin, the Society desk cases of the district (``?desk=all``: every case of the district);
  filters in the query string, bulk steps from one form.
* ``/office/cases/{id}``: one case with its form, documents, timeline and one form per allowed step.
* ``/counter/cases``: the operator's cases at their counter: collections, corrections, failed
  hand-overs to retry.

Every step goes through :func:`emitra.core.workflow.act` (role, scope and reason checked there,
audited there); this module decides only who may *see* what: out of scope is a 404.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from types import SimpleNamespace
from typing import Any, Iterable
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import counter as counter_core
from emitra.core import forms, notify, privacy, workflow
from emitra.core.documents import CORRECTION_SPEC, size_label
from emitra.core.models import (Case, CaseEvent, Certificate, Counter, Document, RequestStatus, Role, ServiceRequest,
                                User)
from emitra.core.plugins import get_host
from emitra.core.text import day_first
from emitra.web import params
from emitra.web.i18n import _, department, pick
from emitra.web.security import Forbidden, actor, page
from emitra.web.templating import local_time, render

OFFICE = [Role.DEPARTMENT_OFFICER, Role.SOCIETY_ADMIN]
SOCIETY = [Role.SOCIETY_ADMIN]
OPERATOR = [Role.OPERATOR]
PER_PAGE = 50
#: the oldest "at least this many days old" the inbox takes: a hundred years (web/params.py)
MAX_AGE_DAYS = 36500
COUNTER_ACTIONS = ("collect", "resubmit")
#: whose turn the listed cases are (``?turn=``): the desk's own (the default; for the Society's
#: "every case of the district", every open case), the counter's, every open case, every case
TURNS = ("ours", "counter", "open", "all")
_MOBILE = re.compile(r"(?<!\d)([6-9]\d{9})(?!\d)")


# --- helpers ------------------------------------------------------------------------------------

def mask(text: str) -> str:
    """Aadhaar-like numbers as XXXX XXXX 1234 and mobiles as 98XXXXXX45, wherever they appear."""
    text = privacy.mask_any(str(text))
    return _MOBILE.sub(lambda m: notify.mask_recipient(m.group(1)), text)


def _taken_by(taken: CaseEvent, case: Case, action: str) -> str:
    """Who took this step on ``case`` and when, said before a colleague's refusal of the same step
    (``workflow.last_step``; decisions 90 and 100)."""
    return _("%(name)s took this step (%(step)s) on %(at)s.") % {
        "name": taken.actor_name, "step": pick(*workflow.step_names(workflow.process_of(case), action)),
        "at": local_time(taken.created_at)}


def _role(user: User) -> str:
    return user.role.value if hasattr(user.role, "value") else str(user.role)


def _state_label(case: Any) -> str:
    state = workflow.process_of(case).state(case.state)
    return pick(state.label_en, state.label_hi)


def _scope(user: User, desk: str) -> Any:
    """The cases this user's inbox lists (before filters)."""
    query = Case.all()
    if user.district_id is not None:
        query = query.filter(district_id=user.district_id)
    if _role(user) == Role.DEPARTMENT_OFFICER.value:
        return query.filter(desk="department", department=user.department)
    return query if desk == "all" else query.filter(desk="society")


async def _visible_case(request: Request) -> Case:
    case_id = params.record_id(request.path_params["case_id"])
    case = await Case.get_or_none(id=case_id) if case_id is not None else None
    if case is None or not workflow.can_view(request.state.user, case):
        raise HTTPException(404, _("No case with this number on your desk."))
    return case


# --- the inbox ----------------------------------------------------------------------------------

def _filters(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The inbox filters from the query string, and a message per filter that could not be read."""
    q = request.query_params
    out = {
        "desk": "all" if q.get("desk") == "all" else "",
        "turn": q.get("turn", "") if q.get("turn") in TURNS else "",
        "service": q.get("service", "").strip(),
        "state": q.get("state", "").strip(),
        "min_age": q.get("min_age", "").strip(),
        "flagged": "1" if q.get("flagged") else "",
        "top": "1" if q.get("top") else "",
        "number": q.get("number", "").strip()[:30],
        "page": q.get("page", "").strip(),
    }
    errors: dict[str, str] = {}
    if out["min_age"]:
        try:
            out["min_age"] = str(params.whole_number(out["min_age"], "min_age", _("At least this many days old"), 0, MAX_AGE_DAYS))
        except params.BadParam as exc:
            errors["min_age"] = exc.message
            out["min_age"] = ""
    try:
        out["page"] = str(params.page_number(out["page"])) if out["page"] else ""
    except params.BadParam as exc:
        errors["page"] = exc.message
        out["page"] = ""
    return out, errors


def _turn(filters: dict[str, str]) -> str:
    return filters["turn"] or ("open" if filters["desk"] == "all" else "ours")


def _query_string(filters: dict[str, str], **changes: Any) -> str:
    merged = {**filters, **changes}
    return urlencode({k: v for k, v in merged.items() if v})


async def _inbox(request: Request, *, summary: dict[str, Any] | None = None, bulk_error: str = "",
                 swept: workflow.SweepResult | None = None, status: int = 200) -> Response:
    user = request.state.user
    filters, errors = _filters(request)
    scope = _scope(user, filters["desk"])
    services = sorted({(code, pick(en, hi)) for code, en, hi in await scope.distinct().values_list("service_code", "title_en", "title_hi")},
                      key=lambda pair: pair[1])
    states: dict[str, str] = {}
    pairs = await scope.distinct().values_list("service_code", "kind", "state")
    for code, kind, state in pairs:
        states.setdefault(state, _state_label(SimpleNamespace(service_code=code, kind=kind, state=state)))
    turn = _turn(filters)
    at = workflow.now()
    narrowed = scope  # every filter but the state and whose turn
    if filters["service"]:
        narrowed = narrowed.filter(service_code=filters["service"])
    if filters["min_age"]:
        narrowed = narrowed.filter(created_at__lte=at - dt.timedelta(days=int(filters["min_age"])))
    at_top = await workflow.at_top_among(scope)  # overdue with no officer above: flagged, and a filter (decision 148)
    if filters["flagged"]:  # what the list marks as flagged: escalated, breached or overdue at the top level (decision 152)
        narrowed = narrowed.filter(workflow.flagged(at_top))
    if filters["number"]:
        narrowed = narrowed.filter(workflow.number_or_certificate(filters["number"]))  # one certificate a case: no repeats
    if filters["top"]:
        narrowed = narrowed.filter(id__in=sorted(at_top) or [0])
    query = narrowed
    if filters["state"]:
        query = query.filter(state=filters["state"])  # a state asked for: its cases, closed too, whoever's turn
    elif turn != "all":
        query = query.filter(closed_at=None)
        if turn in ("ours", "counter"):
            query = query.filter(workflow.whose_turn(pairs, "department" if turn == "ours" else "counter"))
    total = await query.count()
    pages = max(1, math.ceil(total / PER_PAGE))
    current = min(int(filters["page"] or 1), pages)
    cases = await workflow.in_inbox_order(query, at_top).offset((current - 1) * PER_PAGE).limit(PER_PAGE)
    actions: dict[str, str] = {}
    rows = []
    for case in cases:
        process = workflow.process_of(case)
        for t in workflow.allowed_actions(user, case, process):
            actions.setdefault(t.action, pick(t.label_en, t.label_hi))
        soon = case.state_due_at is not None and at <= case.state_due_at < at + dt.timedelta(hours=24)
        overdue = case.state_due_at is not None and case.state_due_at < at
        rows.append({"case": case, "state": _state_label(case), "age": workflow.age_days(case, at), "soon": soon, "overdue": overdue,
                     "at_top": case.id in at_top})
    elsewhere = 0  # a number looked up that no case waiting on this turn has: how many of the desk's have it
    if filters["number"] and not total and not filters["state"] and turn != "all":
        elsewhere = await narrowed.count()
    unattended: list[Any] = []  # the Society's: departments with cases waiting and no officer (of their step's level) to act
    offered_unstaffed: list[tuple[Any, list[str], str]] = []  # and services offered whose department has no officer (decision 128)
    if _role(user) == Role.SOCIETY_ADMIN.value and user.district_id is not None:
        from emitra.core import officers

        unattended = await officers.unattended(user.district_id)
        offered_unstaffed = [(gap, counters, "; ".join(department(m, gap.service.code) for m in gap.missing))
                             for gap, counters in await officers.offered_without_officers(user.district_id)]
    escalated_to_me = 0
    if _role(user) == Role.DEPARTMENT_OFFICER.value and user.level > 1:
        escalated_to_me = await scope.filter(workflow.whose_turn(pairs, "department"), closed_at=None, level__gte=user.level).count()
    return render(request, "office/inbox.html", {
        "rows": rows, "total": total, "page": current, "pages": pages, "filters": filters, "errors": errors,
        "services": services, "states": sorted(states.items(), key=lambda kv: kv[1]), "actions": sorted(actions.items(), key=lambda kv: kv[1]),
        "query": _query_string(filters, page=""), "summary": summary, "bulk_error": bulk_error,
        "swept": swept, "escalated_to_me": escalated_to_me, "elsewhere": elsewhere, "unattended": unattended, "offered_unstaffed": offered_unstaffed,
        "elsewhere_query": _query_string(filters, turn="all", state="", page=""), "turn": turn, "is_society": _role(user) == Role.SOCIETY_ADMIN.value,
        "posted": getattr(request.state, "form", None), "printed_at": local_time(workflow.now()),
    }, status if not errors else 400)


@page(OFFICE)
async def inbox(request: Request) -> Response:
    """The cases on this user's desk: overdue at the top level first, then escalated or breached,
    then the rest, each by its overall deadline (:func:`emitra.core.workflow.in_inbox_order`)."""
    return await _inbox(request)


@page(OFFICE)
async def bulk_act(request: Request) -> Response:
    """One step on every ticked case; each is its own transaction, so a refusal undoes nothing else."""
    user = request.state.user
    form = request.state.form
    action = str(form.get("action", "")).strip()
    remark = str(form.get("remark", "")).strip()
    ids = list(dict.fromkeys(i for i in (params.record_id(v) for v in form.getlist("case")) if i is not None))  # each case once
    if not ids:
        return await _inbox(request, bulk_error=_("Tick at least one case in the first column."), status=400)
    if not action:
        return await _inbox(request, bulk_error=_("Choose the action to take on the ticked cases."), status=400)
    visible: dict[int, Case] = {c.id: c for c in await Case.filter(id__in=ids) if workflow.can_view(user, c)}
    steps = [t for c in visible.values() if (t := workflow.process_of(c).transition(action)) is not None]
    if steps and all(t.reason_required for t in steps) and len(remark) < 5:  # said once, not once a case
        return await _inbox(request, bulk_error=pick(*workflow.reason_needed(steps[0])), status=400)
    refused: list[dict[str, str]] = []
    for case_id in ids:
        if case_id not in visible:  # out of scope: never say more than that it is not on this desk
            refused.append({"number": str(case_id), "message": _("No case with this number on your desk.")})
    already: list[dict[str, str]] = []  # done by this officer's earlier press (decision 100): done, not refused
    done, failures = await workflow.act_many(actor(request), [i for i in ids if i in visible], action, remark)
    for case_id, exc in failures:
        message = pick(exc.message_en, exc.message_hi)
        fresh = await Case.get_or_none(id=case_id) if exc.field == "action" else None
        taken = await workflow.last_step(fresh, action) if fresh is not None else None
        if taken is not None and taken.actor_id == user.id:  # the bulk button pressed twice, or this case's own page first
            already.append({"number": fresh.number, "at": local_time(taken.created_at),
                            "step": pick(*workflow.step_names(workflow.process_of(fresh), action))})
            continue
        if taken is not None:  # a colleague's step: a refusal, naming who and when
            message = _taken_by(taken, fresh, action) + " " + message
        refused.append({"number": visible[case_id].number, "message": message})
    known = next(((t.label_en, t.label_hi) for c in visible.values()
                  if (t := workflow.process_of(c).transition(action)) is not None), None) or workflow.step_label(action)
    label = pick(*known) if known else _("an unknown action")
    summary = {"action": label, "done": [c.number for c in done], "already": already, "refused": refused}
    return await _inbox(request, summary=summary)


@page(SOCIETY)
async def sweep(request: Request) -> Response:
    """Flag the district's SLA breaches and escalate them now (cron runs ``emitra sla sweep`` too)."""
    result = await workflow.sweep(actor(request), district_id=request.state.user.district_id)
    return await _inbox(request, swept=result)


# --- one case -----------------------------------------------------------------------------------

def _service(case: Case) -> Any:
    host = get_host()
    return host.registry.get(case.service_code) or host.all_declared.get(case.service_code)


#: the fields of a grievance filed at the counter that its case keeps as its subject and text
#: (``core/counter``): the page shows them under "What the citizen wrote", not twice
GRIEVANCE_TEXT_FIELDS = ("subject", "description")


def _form_rows(service: Any, data: dict[str, Any], shown_above: Iterable[str] = ()) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(label, value) rows of the form, masked, and the labels of the document fields by path;
    the fields at the paths ``shown_above`` are left out (the page shows them already)."""
    uploads = {path for path, _spec in forms.upload_fields(service.form)} if service else set()
    skipped = set(shown_above)
    described = forms.describe(service.form, data) if service else [
        dict(zip(("label_en", "label_hi", "value_en", "value_hi"), (p, p, *day_first(v)))) for p, v in forms.flatten(data)]
    rows, doc_labels = [], {}
    for (path, _text), row in zip(forms.flatten(data), described):
        label = pick(row["label_en"], row["label_hi"])
        if path in uploads:
            doc_labels[path] = label
            continue
        if path in skipped:
            continue
        rows.append({"label": label, "value": mask(pick(row["value_en"], row["value_hi"]))})
    return rows, doc_labels


async def _case_page(request: Request, case: Case, *, errors: dict[str, str] | None = None,
                     remarks: dict[str, str] | None = None, status: int = 200) -> Response:
    user = request.state.user
    process = workflow.process_of(case)
    service = _service(case)
    req = await ServiceRequest.get_or_none(id=case.request_id) if case.request_id else None
    above = [f for f, text in zip(GRIEVANCE_TEXT_FIELDS, (case.subject, case.body)) if text] if case.kind == "grievance" else []
    rows, doc_labels = _form_rows(service, req.form_data or {}, above) if req else ([], {})
    docs = await Document.filter(request_id=case.request_id).order_by("id") if case.request_id else []
    doc_labels.setdefault("correction", _("Corrected document"))  # attached at resubmission (core/corrections.py)
    documents = [{"doc": d, "label": doc_labels.get(d.field, d.field), "name": mask(d.original_name or d.public_id)} for d in docs]
    events = await workflow.timeline(case, public_only=False)
    public = await CaseEvent.filter(case_id=case.id).order_by("id").values_list("public", flat=True)
    for event, is_public in zip(events, public):
        event["internal"] = not is_public
    counter = await Counter.get_or_none(id=case.counter_id) if case.counter_id else None
    about = await Counter.get_or_none(id=case.about_counter_id) if case.about_counter_id else None
    at = workflow.now()
    return render(request, "office/case.html", {
        "case": case, "state": _state_label(case), "final": process.state(case.state).final or case.closed_at is not None,
        "waiting_on": workflow.turn_of(process.state(case.state)),
        "service_title": pick(case.title_en, case.title_hi), "service_request": req, "rows": rows, "documents": documents,
        "paper": [pick(p.get("en", ""), p.get("hi", "")) for p in case.paper_documents or []],
        "events": events, "counter": counter, "about": about,
        "certificate": await Certificate.get_or_none(case_id=case.id),
        "actions": workflow.allowed_actions(user, case, process), "errors": errors or {}, "remarks": remarks or {},
        "mobile": notify.mask_recipient(case.mobile) if case.mobile else "", "age": workflow.age_days(case, at),
        "overdue": case.state_due_at is not None and case.state_due_at < at, "done": request.query_params.get("done", ""),
        "at_top": await workflow.at_top(case),
    }, status)


@page(OFFICE)
async def case_page(request: Request) -> Response:
    """One case: the form, the documents, the timeline with internal notes, and the steps allowed.
    The address takes the case's number too, as an officer types it from an email or the phone
    (``/office/cases/JP0001000000025``, spaces and dashes ignored): it leads to the case's page
    when the officer may see the case, and is "not found" as any other case otherwise (decision 140)."""
    raw = request.path_params["case_id"]
    if params.record_id(raw) is None and workflow.clean_number(raw):
        case = await Case.get_or_none(number=workflow.clean_number(raw))
        if case is not None and workflow.can_view(request.state.user, case):
            return RedirectResponse(f"/office/cases/{case.id}", status_code=303)
    return await _case_page(request, await _visible_case(request))


@page(OFFICE)
async def case_act(request: Request) -> Response:
    case = await _visible_case(request)
    action = str(request.state.form.get("action", "")).strip()
    remark = str(request.state.form.get("remark", "")).strip()
    try:
        await workflow.act(actor(request), case, action, remark)
    except workflow.WorkflowError as exc:
        fresh = await Case.get(id=case.id)
        message = pick(exc.message_en, exc.message_hi)
        taken = await workflow.last_step(fresh, action) if exc.field == "action" else None
        if taken is not None and taken.actor_id == request.state.user.id:  # pressed twice: the first press did it
            return RedirectResponse(f"/office/cases/{case.id}?done={action}", status_code=303)
        if taken is not None:  # a colleague took it first, perhaps a moment ago: say who and when
            message = _taken_by(taken, fresh, action) + " " + message
        # beside the step's form when the page draws it (a missing reason); above them all otherwise
        # (a step not offered now: taken already, forged, or on a case that has moved on)
        drawn = {t.action for t in workflow.allowed_actions(request.state.user, fresh)}
        return await _case_page(request, fresh, errors={action if action in drawn else "_": message},
                                remarks={action: remark} if action in drawn else {}, status=400)
    return RedirectResponse(f"/office/cases/{case.id}?done={action}", status_code=303)


@page(OFFICE)
async def case_remark(request: Request) -> Response:
    case = await _visible_case(request)
    remark = str(request.state.form.get("remark", "")).strip()
    public = bool(request.state.form.get("public"))
    try:
        await workflow.add_remark(actor(request), case, remark, public=public)
    except workflow.WorkflowError as exc:  # what was written stays in the box, to shorten it rather than type it again
        return await _case_page(request, case, errors={"_remark": pick(exc.message_en, exc.message_hi)},
                                remarks={"_remark": remark, "_public": "1" if public else ""}, status=400)
    return RedirectResponse(f"/office/cases/{case.id}?done=remark", status_code=303)


# --- the counter's side -------------------------------------------------------------------------

async def _counter_id(request: Request) -> int:
    user = request.state.user
    if user.counter_id is None:
        raise Forbidden()
    return user.counter_id


async def _counter_case(request: Request) -> Case:
    counter_id = await _counter_id(request)
    case_id = params.record_id(request.path_params["case_id"])
    case = await Case.get_or_none(id=case_id, counter_id=counter_id) if case_id is not None else None
    if case is None:
        raise HTTPException(404, _("No case with this number at your counter."))
    return case


async def _counter_page(request: Request, *, errors: dict[int, str] | None = None, remarks: dict[int, str] | None = None,
                        status: int = 200) -> Response:
    counter_id = await _counter_id(request)
    counter = await Counter.get(id=counter_id)
    ours = Case.filter(counter_id=counter_id)
    ready = await ours.filter(state="ready").order_by("state_since", "id")
    certificates = {c.case_id: c for c in await Certificate.filter(case_id__in=[c.id for c in ready])} if ready else {}
    returned = []
    for case in await ours.filter(state="returned").order_by("state_since", "id"):
        last = await CaseEvent.filter(case_id=case.id, to_state="returned").exclude(action="remark").order_by("-id").first()
        returned.append({"case": case, "reason": last.remark if last else "", "by": last.actor_name if last else ""})
    failed = await ours.filter(state="submitted", request__status=RequestStatus.SUBMISSION_FAILED).order_by("created_at", "id")
    recent = await ours.order_by("-state_since", "-id").limit(20)
    return render(request, "counter_cases/cases.html", {
        "counter": counter, "ready": ready, "certificates": certificates, "returned": returned, "failed": failed,
        "recent": [{"case": c, "state": _state_label(c)} for c in recent], "errors": errors or {}, "remarks": remarks or {},
        "done": request.query_params.get("done", ""), "number": request.query_params.get("number", ""),
        "correction_size": size_label(CORRECTION_SPEC["max_kb"]),  # as its refusal says it
    }, status)


@page(OPERATOR)
async def counter_cases(request: Request) -> Response:
    """This counter's cases: ready to hand over, sent back for correction, not yet forwarded."""
    return await _counter_page(request)


@page(OPERATOR)
async def counter_act(request: Request) -> Response:
    """Hand over a ready document (identity checked) or resubmit a corrected application."""
    case = await _counter_case(request)
    form = request.state.form
    action = str(form.get("action", "")).strip()
    remark = str(form.get("remark", "")).strip()
    if action not in COUNTER_ACTIONS:  # forwarding is the hand-over's (retry), not a button here
        return await _counter_page(request, errors={case.id: _("Choose a step offered on this page: hand over or resubmit.")},
                                   status=400)
    if action == "collect" and not form.get("handed_over"):
        return await _counter_page(request, errors={case.id: _(
            "Tick the box to confirm you checked the citizen's identity and receipt and handed over the document.")}, status=400)
    try:
        await workflow.act(actor(request), case, action, remark)
    except workflow.WorkflowError as exc:
        return await _counter_page(request, errors={case.id: pick(exc.message_en, exc.message_hi)}, remarks={case.id: remark},
                                   status=400)
    return RedirectResponse(f"/counter/cases?{urlencode({'done': action, 'number': case.number})}", status_code=303)


@page(OPERATOR)
async def counter_retry(request: Request) -> Response:
    """Hand a paid application whose hand-over failed to its department again."""
    case = await _counter_case(request)
    req = await ServiceRequest.get_or_none(id=case.request_id) if case.request_id else None
    if req is None or req.status != RequestStatus.SUBMISSION_FAILED:
        return await _counter_page(request, errors={case.id: _("This application is not waiting for a hand-over.")}, status=409)
    try:
        await counter_core.retry_hand_over(actor(request), req)
    except counter_core.CounterError as exc:
        return await _counter_page(request, errors={case.id: pick(exc.message_en, exc.message_hi)}, status=400)
    done = "retried" if req.status == RequestStatus.SUBMITTED else "retry_failed"
    return RedirectResponse(f"/counter/cases?{urlencode({'done': done, 'number': case.number})}", status_code=303)


ROUTES = [
    Route("/office", inbox),
    Route("/office/act", bulk_act, methods=["POST"]),
    Route("/office/sweep", sweep, methods=["POST"]),
    Route("/office/cases/{case_id}", case_page),
    Route("/office/cases/{case_id}/act", case_act, methods=["POST"]),
    Route("/office/cases/{case_id}/remark", case_remark, methods=["POST"]),
    Route("/counter/cases", counter_cases),
    Route("/counter/cases/{case_id}/act", counter_act, methods=["POST"]),
    Route("/counter/cases/{case_id}/retry", counter_retry, methods=["POST"]),
]

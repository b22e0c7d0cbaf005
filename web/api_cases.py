"""The JSON API for applications and grievances: a department's system (or the counter's) lists its
cases, reads one with its timeline and the steps it may take, and takes a step on one or many.

Scope is the same as the pages': an officer sees their department's cases in their district, the
Society admin their district's, an operator their counter's (docs/workflows.md).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emitra.core import corrections, workflow
from emitra.core.forms import FormErrors
from emitra.core.models import Case, CaseEvent, Role
from emitra.core.plugins import department_hi
from emitra.web.api import _json
from emitra.web.openapi import BULK_ACTION_INPUT, CASE_ACTION_INPUT, CASE_TURNS
from emitra.web.security import actor, api, api_error
from emitra.web.i18n import translations
from emitra.web.labels import N_
from emitra.web.templating import local_time

CASE_USERS = [Role.DEPARTMENT_OFFICER, Role.SOCIETY_ADMIN, Role.OPERATOR, Role.STATE_ADMIN]
FILTERS = {"state", "service_code", "turn", "breached", "limit", "offset", "lang"}
CASE_NUMBER_MAX = Case._meta.fields_map["number"].max_length


def _scoped(user) -> Any:
    query = Case.all()
    role = user.role
    if role != Role.STATE_ADMIN:
        query = query.filter(district_id=user.district_id)
    if role == Role.DEPARTMENT_OFFICER:
        query = query.filter(desk="department", department=user.department)
    elif role == Role.OPERATOR:
        query = query.filter(counter_id=user.counter_id)
    return query


async def _case_json(case: Case, user, with_timeline: bool = False, at: Any = None) -> dict[str, Any]:
    process = workflow.process_of(case)
    state = process.state(case.state)
    out: dict[str, Any] = {
        "number": case.number, "kind": case.kind, "service_code": case.service_code, "title_en": case.title_en,
        "title_hi": case.title_hi, "department": case.department,
        "department_hi": department_hi(case.department, case.service_code) or case.department,
        "desk": case.desk, "channel": case.channel,
        "state": case.state, "state_en": state.label_en, "state_hi": state.label_hi, "waiting_on": workflow.turn_of(state),
        "level": case.level,
        "breached": case.breached, "past_deadline": workflow.is_past_deadline(case, at or workflow.now()),
        "created_at": case.created_at.isoformat(),
        "state_due_at": case.state_due_at.isoformat() if case.state_due_at else None,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "applicant_name": case.applicant_name,
        "allowed_actions": [{"action": t.action, "label_en": t.label_en, "label_hi": t.label_hi, "reason_required": t.reason_required}
                            for t in workflow.allowed_actions(user, case, process)],
    }
    if with_timeline:
        out["timeline"] = [{**row, "at": row["at"].isoformat()} for row in await workflow.timeline(case, public_only=False)]
    return out


#: said before a colleague's refusal of the same step (the inbox's and the case page's words: web/office._taken_by)
TAKEN_BY = N_("%(name)s took this step (%(step)s) on %(at)s.")


async def _taken_before(user: Any, case: Case, action: str) -> tuple[CaseEvent | None, Case | None]:
    """After a refusal of ``action`` on ``case`` as not offered now: the step itself when it is the
    last one taken on the case and the case is still where it led (``workflow.last_step``), and the
    case as it is now. The same user's: the request sent again (a client's retry after a timeout),
    answered as done; a colleague's: the refusal names who took it and when (decision 105)."""
    fresh = await Case.get_or_none(id=case.id)
    return (await workflow.last_step(fresh, action) if fresh is not None else None), fresh


def _named(exc: workflow.WorkflowError, taken: CaseEvent, case: Case, action: str) -> workflow.WorkflowError:
    """``exc`` with who took the step and when said first, in English and Hindi."""
    step_en, step_hi = workflow.step_names(workflow.process_of(case), action)
    said = {"name": taken.actor_name, "at": local_time(taken.created_at)}
    return workflow.WorkflowError(exc.field, TAKEN_BY % {**said, "step": step_en} + " " + exc.message_en,
                                  translations("hi").gettext(TAKEN_BY) % {**said, "step": step_hi} + " " + exc.message_hi)


def _refusal(exc: workflow.WorkflowError, status: int = 409) -> Response:
    return api_error(status, "refused" if exc.field != "remark" else "invalid",
                     exc.message_en, [{"field": exc.field, "message_en": exc.message_en, "message_hi": exc.message_hi}])


async def _find(request: Request, number: str) -> Case | None:
    if not isinstance(number, str) or len(number) > 2 * CASE_NUMBER_MAX or "\x00" in number:  # no case can have it
        return None
    number = workflow.clean_number(number)  # as typed: "jp0001 000000421", "GR JP 0000670"
    if len(number) > CASE_NUMBER_MAX:
        return None
    case = await _scoped(request.state.user).get_or_none(number=number)
    if case is None or not workflow.can_view(request.state.user, case):
        return None
    return case


def _query_error(name: str, en: str, hi: str) -> Response:
    return api_error(422, "invalid_fields", en, [{"field": name, "message_en": en, "message_hi": hi}])


def _whole(params, name: str, default: int, low: int, high: int) -> int | Response:
    text = params.get(name)
    if text is None:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", text) or not low <= int(text) <= high:
        return _query_error(name, f"{name} must be a whole number from {low} to {high}.", f"{name} {low} से {high} तक की पूर्ण संख्या होनी चाहिए।")
    return int(text)


@api(CASE_USERS)
async def list_cases(request: Request) -> Response:
    """Cases in scope, oldest first; filters: state, service_code, turn (whose turn: ours, the default,
    department, counter, open or all), breached (true: past a deadline now, flagged by the SLA sweep
    or not yet; false: the others), limit (1-500), offset."""
    query = _scoped(request.state.user)
    params = request.query_params
    unknown = sorted(set(params) - FILTERS)
    if unknown:  # a mistyped filter would otherwise list everything
        return _query_error(unknown[0], f"Unknown parameter {unknown[0]!r}; use {', '.join(sorted(FILTERS - {'lang'}))}.",
                            f"अज्ञात पैरामीटर {unknown[0]!r}; {', '.join(sorted(FILTERS - {'lang'}))} दें।")
    for name, longest in (("state", 30), ("service_code", 100)):
        value = params.get(name)
        if not value:
            continue
        if len(value) > longest:
            return _query_error(name, f"{name} has at most {longest} characters.", f"{name} में अधिकतम {longest} अक्षर होते हैं।")
        # a NUL character matches no case (and no database column stores one)
        query = query.filter(**{name: value}) if "\x00" not in value else query.filter(id__in=[])
    turn = params.get("turn")
    if turn is not None and turn not in CASE_TURNS:
        return _query_error("turn", f"turn is one of {', '.join(CASE_TURNS)}: whose turn the listed cases are.",
                            f"turn इनमें से एक होता है: {', '.join(CASE_TURNS)} (सूची के प्रकरण किसकी बारी पर हैं)।")
    if turn or not params.get("state"):  # a state asked for alone: its cases, closed too, whoever's turn (as the inbox)
        if turn in (None, "ours"):  # the caller's desk: the counter's for an operator, else the department's
            turn = "counter" if request.state.user.role == Role.OPERATOR else "department"
        query = await workflow.waiting_on(query, turn)
    breached = params.get("breached")
    if breached not in (None, "true", "false"):
        return _query_error("breached", "breached is true or false.", "breached true या false होता है।")
    if breached:  # past a deadline now, flagged by the SLA sweep or not yet: as `emitra cases list --breached` (decision 168)
        at = workflow.now()
        query = query.filter(workflow.past_deadline(at) if breached == "true" else workflow.within_deadlines(at))
    limit = _whole(params, "limit", 100, 1, 500)
    offset = _whole(params, "offset", 0, 0, 10**9)
    for value in (limit, offset):
        if isinstance(value, Response):
            return value
    cases = await query.order_by("created_at", "id").offset(offset).limit(limit)
    at = workflow.now()
    return JSONResponse({"cases": [await _case_json(c, request.state.user, at=at) for c in cases], "limit": limit, "offset": offset})


@api(CASE_USERS)
async def get_case(request: Request) -> Response:
    case = await _find(request, request.path_params["number"])
    if case is None:
        return api_error(404, "not_found", "No case with this number in your scope.")
    return JSONResponse(await _case_json(case, request.state.user, with_timeline=True))


@api(CASE_USERS)
async def act_on_case(request: Request) -> Response:
    """Take one step: ``{"action": "approve", "remark": "..."}``; 409 says what is allowed instead."""
    body = await _json(request, CASE_ACTION_INPUT)
    if isinstance(body, Response):
        return body
    parsed = body["action"], body.get("remark", "")
    case = await _find(request, request.path_params["number"])
    if case is None:
        return api_error(404, "not_found", "No case with this number in your scope.")
    try:
        if "document" in body:  # a resubmission with the corrected document's scan (core/corrections.py)
            if parsed[0] != "resubmit":
                return api_error(422, "invalid_fields", "document goes with the action 'resubmit' only.", [{
                    "field": "document", "message_en": "document goes with the action 'resubmit' only; leave it out for this step.",
                    "message_hi": "document केवल 'resubmit' के साथ दिया जाता है; इस चरण में इसे न भेजें।"}])
            document = await corrections.uploaded(case, body["document"])
            case = await corrections.resubmit(actor(request, via="api"), case, parsed[1], document=document)
        else:
            case = await workflow.act(actor(request, via="api"), case, *parsed)
    except workflow.WorkflowError as exc:
        if exc.field == "action" and "document" not in body:  # not offered now: taken already?
            taken, fresh = await _taken_before(request.state.user, case, parsed[0])
            if taken is not None and fresh is not None and taken.actor_id == request.state.user.id:
                return JSONResponse(await _case_json(fresh, request.state.user))  # sent again: done once, answered as done
            if taken is not None and fresh is not None:
                exc = _named(exc, taken, fresh, parsed[0])
        return _refusal(exc, 422 if exc.field == "remark" else 403 if exc.field == "role" else 409)
    except FormErrors as exc:
        return api_error(422, "invalid_fields", exc.errors[0].en, [dict(e.as_dict(), field="document") for e in exc.errors])
    return JSONResponse(await _case_json(case, request.state.user))


@api(CASE_USERS)
async def act_on_many(request: Request) -> Response:
    """The same step on many cases: ``{"numbers": [...], "action": ..., "remark": ...}``; each case is
    its own transaction, so a refusal leaves the others done. Answers what was done, what this user
    had done already (the same request sent again: ``already``, decision 105) and what was refused."""
    body = await _json(request, BULK_ACTION_INPUT)
    if isinstance(body, Response):
        return body
    numbers, parsed = body["numbers"], (body["action"], body.get("remark", ""))
    done, already, refused = [], [], []
    who = actor(request, via="api")
    for number in dict.fromkeys(numbers):
        case = await _find(request, number)
        if case is None:
            refused.append({"number": number, "field": "number", "message_en": "No case with this number in your scope.",
                            "message_hi": "आपके दायरे में इस संख्या का कोई प्रकरण नहीं है।"})
            continue
        try:
            done.append((await workflow.act(who, case, *parsed)).number)
        except workflow.WorkflowError as exc:
            taken, fresh = await _taken_before(request.state.user, case, parsed[0]) if exc.field == "action" else (None, None)
            if taken is not None and fresh is not None and taken.actor_id == request.state.user.id:  # sent again
                already.append({"number": fresh.number, "action": parsed[0], "at": taken.created_at.isoformat()})
                continue
            if taken is not None and fresh is not None:
                exc = _named(exc, taken, fresh, parsed[0])
            refused.append({"number": number, "field": exc.field, "message_en": exc.message_en, "message_hi": exc.message_hi})
    return JSONResponse({"done": done, "already": already, "refused": refused})

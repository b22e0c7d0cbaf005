"""The JSON API for applications and grievances: a department's system (or the counter's) lists its
cases, reads one with its timeline and the steps it may take, and takes a step on one or many.

Scope is the same as the pages': an officer sees their department's cases in their district, the
Society admin their district's, an operator their counter's (docs/workflows.md).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emitra.core import workflow
from emitra.core.models import Case, Role
from emitra.web.api import _json
from emitra.web.security import actor, api, api_error

CASE_USERS = [Role.DEPARTMENT_OFFICER, Role.SOCIETY_ADMIN, Role.OPERATOR, Role.STATE_ADMIN]
MAX_BULK = 200


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


async def _case_json(case: Case, user, with_timeline: bool = False) -> dict[str, Any]:
    process = workflow.process_of(case)
    state = process.state(case.state)
    out: dict[str, Any] = {
        "number": case.number, "kind": case.kind, "service_code": case.service_code, "title_en": case.title_en,
        "title_hi": case.title_hi, "department": case.department, "desk": case.desk, "channel": case.channel,
        "state": case.state, "state_en": state.label_en, "state_hi": state.label_hi, "level": case.level,
        "breached": case.breached, "created_at": case.created_at.isoformat(),
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


def _refusal(exc: workflow.WorkflowError, status: int = 409) -> Response:
    return api_error(status, "refused" if exc.field != "remark" else "invalid",
                     exc.message_en, [{"field": exc.field, "message_en": exc.message_en, "message_hi": exc.message_hi}])


async def _find(request: Request, number: str) -> Case | None:
    case = await _scoped(request.state.user).get_or_none(number=number)
    if case is None or not workflow.can_view(request.state.user, case):
        return None
    return case


@api(CASE_USERS)
async def list_cases(request: Request) -> Response:
    """Cases in scope, oldest first; filters: state, service_code, breached=true, limit (≤ 500), offset."""
    query = _scoped(request.state.user)
    params = request.query_params
    if params.get("state"):
        query = query.filter(state=params["state"])
    if params.get("service_code"):
        query = query.filter(service_code=params["service_code"])
    if params.get("breached") in ("true", "1"):
        query = query.filter(breached=True)
    try:
        limit = min(max(int(params.get("limit", "100")), 1), 500)
        offset = max(int(params.get("offset", "0")), 0)
    except ValueError:
        return api_error(422, "invalid", "limit and offset are whole numbers.",
                         [{"field": "limit", "message_en": "Give limit (1-500) and offset as whole numbers.",
                           "message_hi": "limit (1-500) और offset पूर्ण संख्या में दें।"}])
    cases = await query.order_by("created_at", "id").offset(offset).limit(limit)
    return JSONResponse({"cases": [await _case_json(c, request.state.user) for c in cases], "limit": limit, "offset": offset})


@api(CASE_USERS)
async def get_case(request: Request) -> Response:
    case = await _find(request, request.path_params["number"])
    if case is None:
        return api_error(404, "not_found", "No case with this number in your scope.")
    return JSONResponse(await _case_json(case, request.state.user, with_timeline=True))


def _action_input(body: dict[str, Any]) -> tuple[str, str] | Response:
    action, remark = body.get("action"), body.get("remark", "")
    if not isinstance(action, str) or not action:
        return api_error(422, "invalid", "Say which step to take in 'action' (see allowed_actions of the case).",
                         [{"field": "action", "message_en": "Give the step to take, e.g. approve.", "message_hi": "लिया जाने वाला चरण दें, जैसे approve।"}])
    if not isinstance(remark, str) or len(remark) > 2000:
        return api_error(422, "invalid", "'remark' is text of at most 2000 characters.",
                         [{"field": "remark", "message_en": "The remark is text of at most 2000 characters.",
                           "message_hi": "टिप्पणी अधिकतम 2000 अक्षरों का पाठ है।"}])
    return action, remark


@api(CASE_USERS)
async def act_on_case(request: Request) -> Response:
    """Take one step: ``{"action": "approve", "remark": "..."}``; 409 says what is allowed instead."""
    body = await _json(request)
    if isinstance(body, Response):
        return body
    parsed = _action_input(body)
    if isinstance(parsed, Response):
        return parsed
    case = await _find(request, request.path_params["number"])
    if case is None:
        return api_error(404, "not_found", "No case with this number in your scope.")
    try:
        case = await workflow.act(actor(request, via="api"), case, *parsed)
    except workflow.WorkflowError as exc:
        return _refusal(exc, 422 if exc.field == "remark" else 403 if exc.field == "role" else 409)
    return JSONResponse(await _case_json(case, request.state.user))


@api(CASE_USERS)
async def act_on_many(request: Request) -> Response:
    """The same step on many cases: ``{"numbers": [...], "action": ..., "remark": ...}``; each case is
    its own transaction, so a refusal leaves the others done. Answers what was done and what refused."""
    body = await _json(request)
    if isinstance(body, Response):
        return body
    parsed = _action_input(body)
    if isinstance(parsed, Response):
        return parsed
    numbers = body.get("numbers")
    if not isinstance(numbers, list) or not numbers or len(numbers) > MAX_BULK or not all(isinstance(n, str) for n in numbers):
        return api_error(422, "invalid", f"'numbers' is a list of 1 to {MAX_BULK} case numbers.",
                         [{"field": "numbers", "message_en": f"Give 1 to {MAX_BULK} case numbers.",
                           "message_hi": f"1 से {MAX_BULK} मामला संख्याएँ दें।"}])
    done, refused = [], []
    who = actor(request, via="api")
    for number in dict.fromkeys(numbers):
        case = await _find(request, number)
        if case is None:
            refused.append({"number": number, "field": "number", "message_en": "No case with this number in your scope.",
                            "message_hi": "आपके दायरे में इस संख्या का कोई मामला नहीं है।"})
            continue
        try:
            done.append((await workflow.act(who, case, *parsed)).number)
        except workflow.WorkflowError as exc:
            refused.append({"number": number, "field": exc.field, "message_en": exc.message_en, "message_hi": exc.message_hi})
    return JSONResponse({"done": done, "refused": refused})

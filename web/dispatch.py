"""Day-end dispatch pages: the counter sends the day's paper to each department, which acknowledges it.

* ``/counter/dispatch`` (operator): the papers waiting, by department; prepare today's dispatch;
  this counter's dispatches and whether each was acknowledged.
* ``/dispatch/{number}``: the printable list (the counter's operators, the department's officers
  in the district, the district's Society admin; 404 for anyone else). An officer acknowledges it
  there, ticking the cases whose papers did not arrive.
* ``/office/dispatches`` (department officer; Society admin for the whole district): dispatches
  received, waiting ones first; found by number, a case on them, counter or date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.expressions import Q

from emitra.core import dispatch as dispatch_core
from emitra.core import workflow
from emitra.core.models import Case, Counter, Dispatch, Role, User
from emitra.web import params
from emitra.web.i18n import _, current_lang
from emitra.web.security import actor, page
from emitra.web.templating import local_time, render

OPERATOR = [Role.OPERATOR]
VIEWERS = [Role.OPERATOR, Role.DEPARTMENT_OFFICER, Role.SOCIETY_ADMIN]
OFFICE = [Role.DEPARTMENT_OFFICER, Role.SOCIETY_ADMIN]
COUNTER_PAGE = "/counter/dispatch"


def _message(exc: dispatch_core.DispatchError) -> str:
    return exc.message_hi if current_lang.get() == "hi" else exc.message_en


async def _counter(request: Request) -> Counter:
    user = request.state.user
    counter = await Counter.get_or_none(id=user.counter_id) if user.counter_id else None
    if counter is None:
        raise HTTPException(404, _("Your login is not attached to a counter."))
    return counter


async def _counter_page(request: Request, error: str = "", status: int = 200) -> Response:
    counter = await _counter(request)
    waiting = await dispatch_core.pending(counter)
    sent = await Dispatch.filter(counter_id=counter.id).order_by("-business_date", "-id").limit(60)
    # papers a department reported missing, now waiting again: say from which dispatch
    reported: dict[str, str] = {}
    for d in reversed(sent):
        for number in dispatch_core.missing_numbers(d):
            reported[number] = d.number
    return render(request, "dispatch/counter.html", {
        "counter": counter, "waiting": waiting, "sent": sent, "reported": reported, "error": error,
        "papers": sum(len(c.paper_documents) for cases in waiting.values() for c in cases),
        "prepared": request.query_params.get("prepared", ""),
    }, status)


@page(OPERATOR)
async def counter_dispatch(request: Request) -> Response:
    """GET: what waits, by department, and the counter's dispatches. POST: prepare today's dispatch."""
    if request.method != "POST":
        return await _counter_page(request)
    counter = await _counter(request)
    try:
        made = await dispatch_core.prepare(actor(request), counter)
    except dispatch_core.DispatchError as exc:
        return await _counter_page(request, _message(exc), 409)
    return RedirectResponse(f"{COUNTER_PAGE}?prepared={len(made)}", status_code=303)


async def _dispatch(request: Request) -> Dispatch:
    number = request.path_params["number"][:60]
    found = await Dispatch.get_or_none(number=number)
    if found is None or not dispatch_core.may_view(request.state.user, found):
        raise HTTPException(404, _("No dispatch with this number for you."))
    return found


async def _dispatch_page(request: Request, d: Dispatch, error: str = "", note: str = "", ticked: list[str] | None = None,
                         status: int = 200) -> Response:
    counter = await Counter.get(id=d.counter_id)
    created_by = await User.get_or_none(id=d.created_by_id)
    acknowledged_by = await User.get_or_none(id=d.acknowledged_by_id) if d.acknowledged_by_id else None
    return render(request, "dispatch/list.html", {
        "d": d, "counter": counter, "created_by": created_by, "acknowledged_by": acknowledged_by,
        "papers": sum(len(i.get("documents", [])) for i in d.items or []),
        "may_acknowledge": d.acknowledged_at is None and dispatch_core.may_acknowledge(request.state.user, d),
        "error": error, "note": note, "ticked": ticked or [], "note_max": dispatch_core.NOTE_MAX,
        "done": request.query_params.get("done", ""), "filed": {i["number"]: _filed(i) for i in d.items or []},
        "case_pages": await _case_pages(request.state.user, [str(i["number"]) for i in d.items or []]),
    }, status)


async def _case_pages(user: User, numbers: list[str]) -> dict[str, str]:
    """The office page of each listed case the user may open (an officer checking a bundle against
    the list opens the case whose papers are short): number -> address. One query for the list; none
    for an operator, whose counter's cases are on /counter/cases."""
    if user.role not in OFFICE or not numbers:
        return {}
    return {c.number: f"/office/cases/{c.id}" for c in await Case.filter(number__in=numbers) if workflow.can_view(user, c)}


def _filed(item: dict[str, Any]) -> str:
    try:
        return local_time(dt.datetime.fromisoformat(item.get("filed_at") or ""), "%d-%m-%Y")
    except ValueError:
        return ""


@page(VIEWERS)
async def dispatch_list(request: Request) -> Response:
    """The printable dispatch list, and (for the department) the acknowledgement form."""
    return await _dispatch_page(request, await _dispatch(request))


@page(OFFICE)
async def acknowledge(request: Request) -> Response:
    d = await _dispatch(request)
    form = request.state.form
    note = str(form.get("note", ""))
    missing = [str(m) for m in form.getlist("missing")]
    try:
        await dispatch_core.acknowledge(actor(request), d, note, missing)
    except dispatch_core.DispatchError as exc:
        status = 409 if exc.field == "dispatch" else 403 if exc.field == "role" else 400
        fresh = await Dispatch.get(id=d.id)
        if exc.field == "dispatch" and dispatch_core.same_acknowledgement(fresh, request.state.user, note, missing):
            # the button pressed twice: the first press acknowledged it, as this one says
            return RedirectResponse(f"/dispatch/{d.number}?done=acknowledged", status_code=303)
        return await _dispatch_page(request, fresh, _message(exc), note, missing, status)
    return RedirectResponse(f"/dispatch/{d.number}?done=acknowledged", status_code=303)


#: acknowledged dispatches per page of /office/dispatches
RECEIVED_PER_PAGE = 50


async def _with_case(query: Any, number: str) -> list[int]:
    """The ids of the dispatches in ``query`` whose list names the case ``number`` (its papers
    travelled with it, or were reported missing from it): those of its counter to its department
    since it was filed."""
    case = await Case.get_or_none(number=number)
    if case is None or case.counter_id is None:
        return []
    rows = await query.filter(counter_id=case.counter_id, department=case.department,
                              business_date__gte=case.created_at.date() - dt.timedelta(days=1)).values_list("id", "items")
    return [i for i, items in rows if any(item.get("number") == number for item in items or [])]


@page(OFFICE)
async def office_dispatches(request: Request) -> Response:
    """Dispatches addressed to the officer's department in the district (the whole district for the
    Society): waiting ones first, then those acknowledged, newest first, fifty a page; found by a part
    of their number, a case on them, the counter or the date."""
    user = request.state.user
    query = Dispatch.filter(district_id=user.district_id)
    if user.role == Role.DEPARTMENT_OFFICER:
        query = query.filter(department=user.department)
    q = request.query_params
    filters = {"number": q.get("number", "").strip()[:60], "counter": q.get("counter", "").strip()[:60],
               "date": q.get("date", "").strip()[:20]}
    errors: dict[str, str] = {}
    narrowed = query
    if filters["number"]:
        on_case = await _with_case(query, workflow.clean_number(filters["number"]))
        narrowed = narrowed.filter(Q(number__icontains=filters["number"]) | Q(id__in=on_case or [0]))
    if filters["counter"]:
        narrowed = narrowed.filter(Q(counter__code__icontains=filters["counter"]) | Q(counter__name__icontains=filters["counter"])
                                   | Q(counter__name_hi__icontains=filters["counter"]))
    if filters["date"]:
        try:
            narrowed = narrowed.filter(business_date=params.day(filters["date"], "date", _("Date")))
        except params.BadParam as exc:
            errors["date"] = exc.message
    try:
        wanted = params.page_number(q.get("page"))
    except params.BadParam as exc:
        errors["page"], wanted = exc.message, 1
    waiting = await narrowed.filter(acknowledged_at=None).order_by("business_date", "id").prefetch_related("counter")
    acknowledged = narrowed.filter(acknowledged_at__not_isnull=True)
    total = await acknowledged.count()
    pages = max(1, -(-total // RECEIVED_PER_PAGE))
    current = min(wanted, pages)
    received = await acknowledged.order_by("-acknowledged_at", "-id").offset((current - 1) * RECEIVED_PER_PAGE) \
        .limit(RECEIVED_PER_PAGE).prefetch_related("counter")
    rows: list[dict[str, Any]] = [{"d": d, "missing": dispatch_core.missing_numbers(d)} for d in received]
    kept = {k: v for k, v in filters.items() if v and k not in errors}
    return render(request, "dispatch/office.html", {
        "waiting": waiting, "received": rows, "whole_district": user.role == Role.SOCIETY_ADMIN,
        "filters": filters, "errors": errors, "filtered": bool(kept), "total": total, "page": current, "pages": pages,
        "query": urlencode(kept),
    }, 400 if errors else 200)


ROUTES = [
    Route(COUNTER_PAGE, counter_dispatch, methods=["GET", "POST"]),
    Route("/dispatch/{number}", dispatch_list),
    Route("/office/dispatches", office_dispatches),
    Route("/office/dispatches/{number}/acknowledge", acknowledge, methods=["POST"]),
]

"""Day-end dispatch pages: the counter sends the day's paper to each department, which acknowledges it.

* ``/counter/dispatch`` (operator): the papers waiting, by department; prepare today's dispatch;
  this counter's dispatches and whether each was acknowledged.
* ``/dispatch/{number}``: the printable list (the counter's operators, the department's officers
  in the district, the district's Society admin; 404 for anyone else). An officer acknowledges it
  there, ticking the cases whose papers did not arrive.
* ``/office/dispatches`` (department officer; Society admin for the whole district): dispatches
  received, waiting ones first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import dispatch as dispatch_core
from emitra.core.models import Counter, Dispatch, Role, User
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
    }, status)


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
        return await _dispatch_page(request, fresh, _message(exc), note, missing, status)
    return RedirectResponse(f"/dispatch/{d.number}?done=acknowledged", status_code=303)


@page(OFFICE)
async def office_dispatches(request: Request) -> Response:
    """Dispatches addressed to the officer's department in the district (the whole district for the Society)."""
    user = request.state.user
    query = Dispatch.filter(district_id=user.district_id)
    if user.role == Role.DEPARTMENT_OFFICER:
        query = query.filter(department=user.department)
    waiting = await query.filter(acknowledged_at=None).order_by("business_date", "id").prefetch_related("counter")
    received = await query.filter(acknowledged_at__not_isnull=True).order_by("-acknowledged_at").limit(50).prefetch_related("counter")
    rows: list[dict[str, Any]] = [{"d": d, "missing": dispatch_core.missing_numbers(d)} for d in received]
    return render(request, "dispatch/office.html", {"waiting": waiting, "received": rows,
                                                    "whole_district": user.role == Role.SOCIETY_ADMIN})


ROUTES = [
    Route(COUNTER_PAGE, counter_dispatch, methods=["GET", "POST"]),
    Route("/dispatch/{number}", dispatch_list),
    Route("/office/dispatches", office_dispatches),
    Route("/office/dispatches/{number}/acknowledge", acknowledge, methods=["POST"]),
]

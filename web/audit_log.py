"""The audit log page (``/admin/audit``, decision 201): the district's audit entries for its Society
admin, every district's for the state admin, newest first, 50 a page, found by what was done, by
whom and on which days. The home page shows the newest 30 and links here.

Log-ins and log-outs are left out unless asked for (*Everything, log-ins too*, or *Logged in*
chosen): a morning of them hid every change the Society looks for. What an entry is about is named
in words where the page can (a user's username, a counter's code, a day end's slip number, a
district's code), not by
its row number alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emitra.core import dayend
from emitra.core.models import AuditLog, Counter, DayEnd, District, Role, User
from emitra.web import params
from emitra.web.i18n import _
from emitra.web.labels import AUDIT_ACTIONS, audit_action, audit_object
from emitra.web.security import page
from emitra.web.templating import render

ADMINS = [Role.SOCIETY_ADMIN, Role.STATE_ADMIN]
PAGE = "/admin/audit"
PER_PAGE = 50
#: left out unless asked for: many a day, and no change of state
LOG_INS = ("auth.login", "auth.logout")
EVERYTHING = "all"


def _scope(request: Request) -> Any:
    user = request.state.user
    return AuditLog.all() if user.role == Role.STATE_ADMIN else AuditLog.filter(district_id=user.district_id)


async def _named(rows: list[AuditLog]) -> dict[tuple[str, str], str]:
    """What the page's entries are about, in words where it can: (object_type, object_id) -> label."""
    ids: dict[str, set[int]] = {"User": set(), "Counter": set(), "DayEnd": set(), "District": set()}
    for row in rows:
        if row.object_type in ids and row.object_id.isdigit() and len(row.object_id) < 10:
            ids[row.object_type].add(int(row.object_id))
    names: dict[tuple[str, str], str] = {}
    for kind, model, field in (("User", User, "username"), ("Counter", Counter, "code"), ("DayEnd", DayEnd, "slip_no"),
                               ("District", District, "code")):
        if ids[kind]:
            for pk, name in await model.filter(id__in=ids[kind]).values_list("id", field):
                names[(kind, str(pk))] = f"{audit_object(kind, '')} {name}"
    return names


@page(ADMINS)
async def audit_log(request: Request) -> Response:
    """The audit entries of the district (or the state), filtered and paginated."""
    q = request.query_params
    what, who = q.get("what", "").strip()[:60], q.get("who", "").strip().lower()[:60]
    errors: dict[str, str] = {}
    scope = _scope(request)
    known = sorted(set(AUDIT_ACTIONS) | set(await scope.distinct().values_list("action", flat=True)))
    if what and what != EVERYTHING and what not in known:
        errors["what"] = _("What: choose what was done from the list.")
    start = end = None
    for name, label in (("from", _("From")), ("to", _("To"))):
        if q.get(name, "").strip():
            try:
                day = params.day(q.get(name), name, label)
            except params.BadParam as exc:
                errors[name] = exc.message
            else:
                start, end = (day, end) if name == "from" else (start, day)
    if start and end and start > end:
        errors["from"] = _("From: the period starts after it ends; give a date on or before the To date.")
    page_no = params.page_or_first(q.get("page"), errors)
    rows: list[AuditLog] = []
    total = 0
    if not errors:
        query = scope
        if not what:
            query = query.exclude(action__in=LOG_INS)
        elif what != EVERYTHING:
            query = query.filter(action=what)
        if who:
            query = query.filter(actor_name=who)
        if start:
            query = query.filter(at__gte=dayend.day_start(start))
        if end:
            query = query.filter(at__lt=dayend.day_start(end + dt.timedelta(days=1)))
        total = await query.count()
        rows = await query.order_by("-id").offset((page_no - 1) * PER_PAGE).limit(PER_PAGE)
    filters = {k: v for k, v in (("what", what), ("who", who), ("from", q.get("from", "").strip()),
                                 ("to", q.get("to", "").strip())) if v}
    choices = sorted(((code, audit_action(code)) for code in known), key=lambda c: c[1].lower())
    return render(request, "admin/audit.html", {
        "rows": rows, "names": await _named(rows), "total": total, "page_no": page_no,
        "last_page": max((total + PER_PAGE - 1) // PER_PAGE, 1), "filters": filters, "query": urlencode(filters),
        "choices": choices, "errors": errors, "PAGE": PAGE, "EVERYTHING": EVERYTHING,
    }, 400 if errors else 200)


ROUTES = [Route(PAGE, audit_log)]

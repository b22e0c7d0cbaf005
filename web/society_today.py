"""The Society's morning page: what is waiting on it, one row per kind, each linking to the page
where it is handled (decision 76, core/society_today.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emitra.core import dayend, society_today
from emitra.core.models import Role
from emitra.web.security import page
from emitra.web.templating import render

SOCIETY = [Role.SOCIETY_ADMIN]
PAGE = "/society/today"


async def panel(district_id: int) -> dict[str, object]:
    """The panel's context, for this page and the Society admin's home page: nine aggregate queries and
    one of the district's holidays."""
    now = dayend.utcnow()
    return {"waiting_rows": await society_today.waiting(district_id, now), "waiting_now": now}


@page(SOCIETY)
async def today(request: Request) -> Response:
    """What is waiting on the district's Society now: counts, money, the oldest's age, the overdue
    marked; nothing here changes anything."""
    return render(request, "society/today.html", await panel(request.state.user.district_id))


ROUTES = [Route(PAGE, today)]

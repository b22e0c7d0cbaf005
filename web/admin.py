"""The fee schedule page: the state publishes rates, each Society may override them for its district."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from emitra.core import fees
from emitra.core.models import Role
from emitra.core.plugins import get_host
from emitra.web import params
from emitra.web.i18n import _
from emitra.web.security import actor, page
from emitra.web.templating import render

FEE_SETTERS = [Role.STATE_ADMIN, Role.SOCIETY_ADMIN]


async def _rows(district_id: int | None):
    services = sorted(get_host().registry, key=lambda s: s.code)
    state = await fees.published_rates(services, None)  # one query each, not two per service
    published = await fees.published_rates(services, district_id) if district_id else state
    return [{"service": s, "default": fees.default_rate(s), "state": state[s.code], "published": published[s.code]}
            for s in services]


@page(FEE_SETTERS)
async def fee_schedule(request: Request) -> Response:
    user = request.state.user
    district_id = user.district_id if user.role == Role.SOCIETY_ADMIN else None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.state.form
        code = str(form.get("service_code", ""))
        service = get_host().registry.get(code)
        if service is None:
            errors["service_code"] = _("No such service.")
        else:
            try:
                paise = params.rupees(form.get("fee_rupees", ""), "fee_rupees", _("New rate (₹)"))
                await fees.set_override(actor(request), service, paise, district_id)
                return RedirectResponse("/admin/fees?saved=" + code, status_code=303)
            except params.BadParam as exc:  # named with its box (was the bare reason, "'' is not an amount")
                errors[code] = exc.message
            except fees.FeeError as exc:
                errors[code] = exc.message
        status = 400
    return render(request, "admin/fees.html", {
        "rows": await _rows(district_id), "errors": errors, "saved": request.query_params.get("saved", ""),
        "scope_district": district_id is not None,
    }, status)

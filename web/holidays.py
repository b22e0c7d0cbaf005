"""The Society's Holidays page: the district's local holidays of a year, the form that adds one and
a button beside each that removes it (decision 109).

The forms call core/holidays.add and remove, as ``emitra holidays add | remove`` does, so the checks,
the refusals (naming the field and the fix) and the audit records are the command line's. The page
works on the user's own district alone: another district's Society sees and changes only its own.
The state-wide holidays (``EMITRA_HOLIDAYS``, kept by the server's administrator) are listed beside
them, read-only: both count for an owed UPI refund's working days.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import clock, config, holidays
from emitra.core.clock import FIRST_DAY, LAST_DAY
from emitra.core.models import AuditLog, District, DistrictHoliday, Role
from emitra.web import params
from emitra.web.i18n import _, pick
from emitra.web.security import actor, page
from emitra.web.templating import render

SOCIETY = [Role.SOCIETY_ADMIN]
PAGE = "/society/holidays"


def _label(field: str) -> str:
    return {"date": _("Date"), "name": _("Name of the holiday")}.get(field, "")


def _year(request: Request, errors: dict[str, str]) -> int:
    """The year shown: ``?year=`` (or the form's), else the current one."""
    text = request.query_params.get("year", "")
    if not text:
        return clock.today().year
    try:
        return params.whole_number(text, "year", _("Year"), FIRST_DAY.year, LAST_DAY.year)
    except params.BadParam as exc:
        errors["year"] = exc.message
        return clock.today().year


async def _done(request: Request, district_id: int) -> str:
    """What the change just made was (``?added=`` or ``?removed=`` a date), read from the calendar and
    the audit log of the district, else nothing (never the address's text)."""
    for key in ("added", "removed"):
        text = request.query_params.get(key, "")
        if not text:
            continue
        try:
            day = holidays.parse_date(text[:10])
        except holidays.HolidayError:
            return ""
        if key == "added":
            holiday = await DistrictHoliday.get_or_none(district_id=district_id, date=day)
            return _("%(date)s added: %(name)s. It is no working day in the district now.") % {
                "date": holidays.shown(day), "name": holiday.name} if holiday else ""
        gone = await AuditLog.filter(district_id=district_id, action="holiday.removed").order_by("-id").first()
        if gone is not None and (gone.detail or {}).get("date") == day.isoformat() and \
                not await DistrictHoliday.exists(district_id=district_id, date=day):
            return _("%(date)s (%(name)s) removed: it is a working day in the district again.") % {
                "date": holidays.shown(day), "name": gone.detail.get("name", "")}
    return ""


async def _render(request: Request, errors: dict[str, str] | None = None, sent: dict[str, str] | None = None,
                  year: int | None = None) -> Response:
    errors = dict(errors or {})
    district_id = request.state.user.district_id
    shown_year = year or _year(request, errors)
    first, last = holidays.window()
    state = sorted(d for d in config.holidays() if d.year == shown_year)
    return render(request, "society/holidays.html", {
        "district": await District.get(id=district_id), "year": shown_year, "holidays": await holidays.listing(district_id, shown_year),
        "state_holidays": state, "first": first, "last": last, "errors": errors, "sent": sent or {},
        "message": await _done(request, district_id) if request.method == "GET" else "",
        "years": [y for y in (shown_year - 1, shown_year + 1) if FIRST_DAY.year <= y <= LAST_DAY.year],
    }, 400 if errors else 200)


@page(SOCIETY)
async def holidays_page(request: Request) -> Response:
    """The district's holidays of a year (the current one by default), with the forms that change them."""
    return await _render(request)


def _error(exc: holidays.HolidayError) -> dict[str, str]:
    label = _label(exc.field)
    message = pick(exc.message_en, exc.message_hi)
    return {exc.field if label else "form": f"{label}: {message}" if label else message}


def _year_of(text: str) -> int | None:
    """The year of a date the form sent, to show that year's list again (a duplicate is in it); None,
    for the current year's, when it is not a date one may add."""
    try:
        day = holidays.parse_date(text)
    except holidays.HolidayError:
        return None
    first, last = holidays.window()
    return day.year if first <= day <= last else None


@page(SOCIETY)
async def add(request: Request) -> Response:
    """Add a local holiday to the district's calendar: its date and its name."""
    form = request.state.form
    sent = {k: str(form.get(k, "") or "").strip() for k in ("date", "name")}
    try:
        holiday = await holidays.add(actor(request), request.state.user.district_id, sent["date"], sent["name"])
    except holidays.HolidayError as exc:
        return await _render(request, _error(exc), sent, _year_of(sent["date"]))
    return RedirectResponse(f"{PAGE}?{urlencode({'year': holiday.date.year, 'added': holiday.date.isoformat()})}#holidays",
                            status_code=303)


@page(SOCIETY)
async def remove(request: Request) -> Response:
    """Remove a holiday from the district's calendar: the day is a working day again."""
    text = str(request.state.form.get("date", "") or "").strip()
    try:
        holiday = await holidays.remove(actor(request), request.state.user.district_id, text)
    except holidays.HolidayError as exc:
        return await _render(request, {"remove": pick(exc.message_en, exc.message_hi)}, {}, _year_of(text))
    day: dt.date = holiday.date
    return RedirectResponse(f"{PAGE}?{urlencode({'year': day.year, 'removed': day.isoformat()})}#holidays", status_code=303)


ROUTES = [
    Route(PAGE, holidays_page),
    Route(PAGE + "/add", add, methods=["POST"]),
    Route(PAGE + "/remove", remove, methods=["POST"]),
]

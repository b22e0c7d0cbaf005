"""A citizen signs in with their mobile and a code sent to it by SMS (core/citizen_login.py).

``/my/login``: the mobile; the same answer whether or not it is registered (no one learns from the
page who is). ``/my/login/code``: the code; a right one signs the browser in (a new session id, as
every log-in). ``/my/login/choose``: when several citizens are registered with the mobile (a
family's phone), whose applications to open, and later to switch to another of them.
Every form carries the session's CSRF token and works without JavaScript.
"""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.routing import Route

from emitra.core import audit, config, text
from emitra.core import citizen_login as core
from emitra.core.models import Citizen, CitizenCode, Role, User
from emitra.web import i18n
from emitra.web.citizens import MOBILE, _no_store
from emitra.web.i18n import _
from emitra.web.pages import _safe_next
from emitra.web.security import ANYONE, actor, client_address, log_in, page
from emitra.web.templating import local_time, render

PENDING = "citizen_code"  # the session's note of the mobile a code was asked for: its keyed hash and masked form
VERIFIED = "code_ok"  # the id of the code that was right, while its holder may choose whose applications to open


def _next(target: str | None) -> str:
    """Where to go once signed in: a citizen's page asked for (``/my/...``), else ``/my``."""
    target = _safe_next(target)
    return target if target == "/my" or target.startswith("/my/") and not target.startswith("/my/login") else "/my"


def _ask_page(request: Request, next_url: str, mobile: str = "", error: str = "", status: int = 200,
              code_link: bool = False) -> Response:
    return _no_store(render(request, "citizens/sign_in.html", {"mobile": mobile, "error": error, "next": next_url,
                                                               "code_link": code_link}, status))


def _pending(request: Request, mobile: str, next_url: str) -> None:
    """This browser may now type a code sent to ``mobile`` (known or not: the same for both)."""
    request.session.pop(VERIFIED, None)
    request.session[PENDING] = {"key": core.mobile_key(mobile), "shown": core.masked(mobile), "next": next_url}


@page(ANYONE)
async def ask(request: Request) -> Response:
    """Anyone: type the mobile registered at the counter, and a code is sent to it (if it is)."""
    user = request.state.user
    if request.method == "GET":
        if user is not None and user.role == Role.CITIZEN:
            return RedirectResponse(_next(request.query_params.get("next")), status_code=303)
        return _ask_page(request, _next(request.query_params.get("next")))
    form = request.state.form
    next_url = _next(str(form.get("next", "")))
    mobile = text.typed_mobile(str(form.get("mobile", "")))[:15]
    if not MOBILE.fullmatch(mobile):
        return _ask_page(request, next_url, mobile, _("Mobile number: the 10 digits registered for you at the e-Mitra counter, "
                                            "e.g. 9829012345."), 400)
    sent = await core.count_request(mobile, client_address(request))
    if sent.refused:
        at, minutes, seconds = core.try_again(sent.refused_until)
        if sent.refused == "mobile":
            # the codes already sent to it stay good: its holder types the last (decision 143). Refused
            # with no way to type it, a stranger asking three codes an hour kept its holder out
            _pending(request, mobile, next_url)
            why = _("Too many codes were asked for this mobile number in the last hour. Ask again after %(at)s "
                    "(in %(minutes)s minutes); the last code sent is still good until it expires.") % {"at": at, "minutes": minutes}
        else:
            why = _("Too many codes were asked for from this connection in the last hour. Ask again after %(at)s "
                    "(in %(minutes)s minutes), or ask at any e-Mitra counter.") % {"at": at, "minutes": minutes}
        response = _ask_page(request, next_url, mobile, why, 429, code_link=sent.refused == "mobile")
        response.headers["Retry-After"] = str(seconds)
        return response
    _pending(request, mobile, next_url)
    response = RedirectResponse("/my/login/code", status_code=303)
    # the code made and sent after the answer, for a registered mobile and an unknown one alike, so
    # the answer's time does not tell them apart (decision 143); at once, as cron would be minutes late
    response.background = BackgroundTask(core.send_after_answer, actor(request), mobile, client_address(request),
                                         i18n.current_lang.get())
    return response


def _code_page(request: Request, pending: dict, error: str = "", status: int = 200) -> Response:
    return _no_store(render(request, "citizens/sign_in_code.html", {
        "shown": pending.get("shown", ""), "minutes": config.citizen_code_limits()["minutes"], "error": error}, status))


@page(ANYONE)
async def enter(request: Request) -> Response:
    """Anyone who asked for a code in this browser: type it to sign in."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or not pending.get("key"):
        return RedirectResponse("/my/login", status_code=303)
    if request.method == "GET":
        return _code_page(request, pending)
    code = text.typed_number(str(request.state.form.get("code", "")))[:20]
    if not (code.isdigit() and len(code) == core.CODE_DIGITS):
        return _code_page(request, pending, _("Code: type the 6 digits of the SMS, e.g. 042917."), 400)
    checked = await core.check_code(actor(request), str(pending["key"]), str(pending.get("shown", "")), code,
                                    client_address(request))
    if checked.locked_until is not None and checked.day:  # the day lock: a counter can lift it (decision 160)
        response = _code_page(request, pending, _(
            "Too many wrong codes were typed for this mobile number in 24 hours, so no code is checked for it until "
            "%(at)s. Any e-Mitra counter can lift this lock sooner: go there and show an identity document, then ask "
            "for a new code. The code was not checked.") % {"at": local_time(checked.locked_until)}, 429)
        response.headers["Retry-After"] = str(core.try_again(checked.locked_until)[2])
        return response
    if checked.locked_until is not None:
        at, minutes, seconds = core.try_again(checked.locked_until)
        response = _code_page(request, pending, _("Too many wrong codes for this mobile number or from this connection. Ask "
                                                  "for a new code after %(at)s (in %(minutes)s minutes). The code was not "
                                                  "checked.") % {"at": at, "minutes": minutes}, 429)
        response.headers["Retry-After"] = str(seconds)
        return response
    if checked.code is None:
        return _code_page(request, pending, _("This code is wrong, already used or expired. Check the SMS and type it "
                                              "again, or ask for a new code."), 400)
    if len(checked.citizens) == 1:
        return await _sign_in(request, checked.citizens[0], checked.code, 1, str(pending.get("next", "/my")))
    request.session[VERIFIED] = checked.code.id
    return RedirectResponse("/my/login/choose", status_code=303)


async def _sign_in(request: Request, citizen: Citizen, code: CitizenCode, on_mobile: int, next_url: str,
                   switched_from: User | None = None) -> Response:
    """A new session (new id and CSRF token) as ``citizen``'s login, audited; the verified code
    stays in it, so the holder of the mobile may switch to another person on it."""
    user = await core.user_for(actor(request), citizen, i18n.current_lang.get())
    if user is None:
        return _no_store(render(request, "citizens/sign_in_stopped.html", {}, 403))
    await log_in(request, user)
    request.session[VERIFIED] = code.id
    request.session[core.SESSION_MOBILE] = code.mobile_key  # the counter changing their mobile ends the session
    detail = {"mobile": core.masked(code.mobile), "on_mobile": on_mobile}
    if switched_from is not None:
        detail["switched_from"] = switched_from.username
    await audit.record(actor(request), "auth.code_login", user, detail=detail)
    return RedirectResponse(_next(next_url), status_code=303)


async def _verified(request: Request) -> CitizenCode | None:
    """The code proved in this browser, while it lets its holder choose: before signing in, for the
    code's minutes after it was used; once signed in, for the session, as a citizen on its mobile."""
    code_id = request.session.get(VERIFIED)
    row = await CitizenCode.get_or_none(id=code_id) if isinstance(code_id, int) else None
    if row is None or row.used_at is None:
        return None
    user = request.state.user
    if user is None or user.role != Role.CITIZEN:  # staff at a shared computer are signed out by the choice
        return row if row.used_at + dt.timedelta(minutes=config.citizen_code_limits()["minutes"]) > core.utcnow() else None
    if user.citizen_id is not None and await Citizen.filter(id=user.citizen_id, mobile=row.mobile).exists():
        return row
    return None


async def _choices(mobile: str) -> list[Citizen]:
    """The citizens registered with ``mobile`` whose sign-in the Society has not stopped."""
    citizens = await Citizen.filter(mobile=mobile).order_by("name", "id")
    stopped = set(await User.filter(citizen_id__in=[c.id for c in citizens], role=Role.CITIZEN, active=False)
                  .values_list("citizen_id", flat=True))
    return [c for c in citizens if c.id not in stopped]


@page(ANYONE)
async def choose(request: Request) -> Response:
    """The holder of a verified code: whose applications to open, of the citizens on its mobile."""
    row = await _verified(request)
    if row is None:
        return RedirectResponse("/my/login", status_code=303)
    people = await _choices(row.mobile)
    user = request.state.user if request.state.user is not None and request.state.user.role == Role.CITIZEN else None
    current = user.citizen_id if user is not None else None
    if request.method == "GET":
        return _no_store(render(request, "citizens/sign_in_choose.html", {"people": people, "current": current, "error": ""}))
    picked = str(request.state.form.get("citizen", ""))
    chosen = next((c for c in people if str(c.id) == picked), None)
    if chosen is None:
        return _no_store(render(request, "citizens/sign_in_choose.html", {
            "people": people, "current": current, "error": _("Choose one of the names below.")}, 400))
    pending = request.session.get(PENDING)
    next_url = pending.get("next", "/my") if isinstance(pending, dict) and user is None else "/my"
    return await _sign_in(request, chosen, row, len(people), str(next_url), switched_from=user)


async def may_switch(request: Request) -> bool:
    """Whether /my offers to switch to another person on the signed-in citizen's mobile."""
    row = await _verified(request)
    return row is not None and await Citizen.filter(mobile=row.mobile).count() > 1


ROUTES = [
    Route("/my/login", ask, methods=["GET", "POST"]),
    Route("/my/login/code", enter, methods=["GET", "POST"]),
    Route("/my/login/choose", choose, methods=["GET", "POST"]),
]

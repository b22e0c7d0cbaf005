"""A citizen's registered mobile changed (core/mobile_change.py, decision 154).

``/my/mobile``: the signed-in citizen types the new number; a code goes to it by SMS;
``/my/mobile/code``: typing it makes the change. ``/counter/citizens/<e-Mitra ID>/mobile`` and
``.../mobile/code``: the same for a citizen at the counter, the operator typing what the citizen
reads from the SMS on their new phone. ``/counter/citizens/<e-Mitra ID>/sign-in-lock`` (POST): the
operator lifts the day lock ten wrong codes put on the citizen's mobile, the citizen at the counter
having shown who they are (decision 160). Every form carries the session's CSRF token and works
without JavaScript; the citizen changed is always the signed-in citizen's own (never one named by
the form) or, at a counter, one of the counter's district.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import citizen_login, config, mobile_change, text
from emitra.core.models import Citizen, Role
from emitra.web.citizens import MOBILE, _no_store
from emitra.web.counter import LOCK_LIFTED, OPERATOR, _citizen, _counter, render_citizen
from emitra.web.i18n import _
from emitra.web.security import actor, client_address, page
from emitra.web.templating import render

DONE = "mobile_changed"  # the session's note, shown once, of the number just made the citizen's (masked)


async def _own(request: Request) -> Citizen:
    """The signed-in citizen's own registration; 404 for a login linked to none."""
    user = request.state.user
    citizen = await Citizen.get_or_none(id=user.citizen_id) if user.citizen_id is not None else None
    if citizen is None:
        raise HTTPException(404, _("Your login is not linked to an e-Mitra registration yet. Ask at any e-Mitra counter to link it."))
    return citizen


def _base(request: Request, at_counter: bool) -> str:
    return f"/counter/citizens/{request.path_params['emitra_id']}/mobile" if at_counter else "/my/mobile"


def _retry_after(response: Response, seconds: int) -> Response:
    """A throttled page (429) saying, for a client, when to try again."""
    response.headers["Retry-After"] = str(seconds)
    return response


async def _form(request: Request, citizen: Citizen, at_counter: bool, mobile: str = "", error: str = "", status: int = 200) -> Response:
    done = request.session.pop(DONE, "") if request.method == "GET" else ""
    return _no_store(render(request, "citizens/mobile.html", {
        "citizen": citizen, "at_counter": at_counter, "base": _base(request, at_counter),
        "current": citizen_login.masked(citizen.mobile), "pending": await mobile_change.pending_mobile(citizen),
        "mobile": mobile, "error": error, "done": done}, status))


async def _ask(request: Request, citizen: Citizen, at_counter: bool) -> Response:
    if request.method == "GET":
        return await _form(request, citizen, at_counter)
    mobile = text.typed_mobile(str(request.state.form.get("mobile", "")))[:15]
    if not MOBILE.fullmatch(mobile):
        return await _form(request, citizen, at_counter, mobile, _(
            "New mobile number: the 10 digits of an Indian mobile, starting with 6, 7, 8 or 9, e.g. 9829012345."), 400)
    by = mobile_change.BY_COUNTER if at_counter else mobile_change.BY_CITIZEN
    try:
        sent = await mobile_change.ask(actor(request), citizen, mobile, client_address(request), by)
    except mobile_change.Refused:
        return await _form(request, citizen, at_counter, mobile, _(
            "New mobile number: this is the number already registered. Type the new number."), 400)
    if sent.refused:
        at, minutes, seconds = citizen_login.try_again(sent.refused_until)
        return _retry_after(await _form(request, citizen, at_counter, mobile, _(
            "Too many codes were asked for in the last hour (for this number, this citizen or from this connection). "
            "Ask again after %(at)s (in %(minutes)s minutes).") % {"at": at, "minutes": minutes}, 429), seconds)
    return RedirectResponse(f"{_base(request, at_counter)}/code", status_code=303)


async def _code_page(request: Request, citizen: Citizen, at_counter: bool, shown: str, error: str = "",
                     status: int = 200) -> Response:
    return _no_store(render(request, "citizens/mobile_code.html", {
        "citizen": citizen, "at_counter": at_counter, "base": _base(request, at_counter), "shown": shown,
        "minutes": config.citizen_code_limits()["minutes"], "error": error}, status))


async def _enter(request: Request, citizen: Citizen, at_counter: bool) -> Response:
    base = _base(request, at_counter)
    shown = await mobile_change.pending_mobile(citizen)
    if request.method == "GET":
        if not shown:  # none asked, or expired or used: ask again
            return RedirectResponse(base, status_code=303)
        return await _code_page(request, citizen, at_counter, shown)
    code = text.typed_number(str(request.state.form.get("code", "")))[:20]
    if not (code.isdigit() and len(code) == citizen_login.CODE_DIGITS):
        return await _code_page(request, citizen, at_counter, shown, _("Code: type the 6 digits of the SMS, e.g. 042917."), 400)
    by = mobile_change.BY_COUNTER if at_counter else mobile_change.BY_CITIZEN
    keep = "" if at_counter else str(request.session.get("sid", ""))
    try:
        changed = await mobile_change.confirm(actor(request), citizen, code, client_address(request), shown, keep, by)
    except mobile_change.Refused as exc:
        if exc.reason == "same":  # changed to it meanwhile (the counter, another browser)
            return await _form(request, citizen, at_counter, "", _(
                "New mobile number: this is the number already registered. Type the new number."), 400)
        return await _form(request, citizen, at_counter, "", _(
            "New mobile number: this number is already registered for someone else at e-Mitra, so it cannot be "
            "registered here too. Type another number, or ask at an e-Mitra counter."), 409)
    if changed.locked_until is not None:
        at, minutes, seconds = citizen_login.try_again(changed.locked_until)
        return _retry_after(await _code_page(request, citizen, at_counter, shown, _(
            "Too many wrong codes. Ask for a new code after %(at)s (in %(minutes)s minutes). The code was not "
            "checked.") % {"at": at, "minutes": minutes}, 429), seconds)
    if not changed.done:
        return await _code_page(request, citizen, at_counter, shown, _(
            "This code is wrong, already used or expired. Check the SMS and type it again, or ask for a new code."), 400)
    if not at_counter:
        # this browser proved the new number: it stays signed in, now as a session of the new number
        if request.session.get(citizen_login.SESSION_MOBILE):
            request.session[citizen_login.SESSION_MOBILE] = citizen_login.mobile_key(changed.new_mobile)
        request.session.pop("code_ok", None)  # the old number's code: no longer a choice of people on it
    request.session[DONE] = citizen_login.masked(changed.new_mobile)
    return RedirectResponse(base, status_code=303)


@page([Role.CITIZEN])
async def my_mobile(request: Request) -> Response:
    """The signed-in citizen: the new mobile number, to which a code is sent."""
    return await _ask(request, await _own(request), at_counter=False)


@page([Role.CITIZEN])
async def my_mobile_code(request: Request) -> Response:
    """The signed-in citizen: the code sent to the new number, which makes the change."""
    return await _enter(request, await _own(request), at_counter=False)


async def _at_counter(request: Request) -> Citizen:
    return await _citizen(request, await _counter(request))


@page(OPERATOR)
async def counter_mobile(request: Request) -> Response:
    """An operator, for a citizen at the counter: the new mobile number, to which a code is sent."""
    return await _ask(request, await _at_counter(request), at_counter=True)


@page(OPERATOR)
async def counter_mobile_code(request: Request) -> Response:
    """An operator: the code the citizen reads from the SMS on the new phone, which makes the change."""
    return await _enter(request, await _at_counter(request), at_counter=True)


def identity_unseen() -> str:
    """The refusal of a lift of a sign-in lock without the box ticked (here and on the Society's page)."""
    return _("Identity seen: tick the box once the citizen has shown you an identity document with this name. The "
             "lock keeps a stranger from guessing their sign-in code; lift it only for its holder.")


@page(OPERATOR)
async def counter_lift_lock(request: Request) -> Response:
    """An operator, the citizen at the counter having shown who they are: lift the day lock that ten
    wrong codes put on their mobile's sign-in codes (decision 160), and back to the citizen's page."""
    counter = await _counter(request)
    citizen = await _citizen(request, counter)
    if request.state.form.get("identity_seen") != "yes":
        return await render_citizen(request, counter, citizen, identity_unseen(), 400)
    lifted = await citizen_login.lift_day_lock(actor(request), citizen)
    request.session[LOCK_LIFTED] = "lifted" if lifted is not None else "none"
    return RedirectResponse(f"/counter/citizens/{citizen.emitra_id}#sign-in-lock", status_code=303)


ROUTES: list[Any] = [
    Route("/my/mobile", my_mobile, methods=["GET", "POST"]),  # before /my/{number}
    Route("/my/mobile/code", my_mobile_code, methods=["GET", "POST"]),
    Route("/counter/citizens/{emitra_id}/mobile", counter_mobile, methods=["GET", "POST"]),
    Route("/counter/citizens/{emitra_id}/mobile/code", counter_mobile_code, methods=["GET", "POST"]),
    Route("/counter/citizens/{emitra_id}/sign-in-lock", counter_lift_lock, methods=["POST"]),
]

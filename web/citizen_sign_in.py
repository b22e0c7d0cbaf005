"""The Society's page that stops or restarts one citizen's sign-in by a code sent by SMS (decision
142): ``emitra user deactivate | reactivate`` of decision 133, for the admin without a shell.

Find the citizen by their e-Mitra ID, their login's username (``citizen:<id>``, as the audit log
names it) or their registered mobile (every citizen of the district sharing it); the mobile is shown
masked. Each row says whether the citizen can sign in, never has, or is stopped, and the last stop
or restart (when, by whom, why); a form with a reason stops or restarts it, through the same
functions as the command line (core/onboarding.stop_citizen_sign_in, restart_citizen_sign_in), so
the same checks and audit records (``user.deactivated`` with the sessions ended, ``user.reactivated``),
the reason added to them. A day lock ten wrong codes put on a citizen's mobile is shown with its end,
and lifted here, the citizen at the office with an identity document, as at a counter (decision 160).
The district's own citizens alone; no JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import citizen_login
from emitra.core.ids import format_emitra_id
from emitra.core.models import Citizen, Role
from emitra.core.officers import REASON_MAX, REASON_MIN
from emitra.core.onboarding import Refused, restart_citizen_sign_in, stop_citizen_sign_in
from emitra.web import params
from emitra.web.citizen_mobile import identity_unseen
from emitra.web.i18n import _, pick
from emitra.web.security import actor, page
from emitra.web.templating import render

SOCIETY = [Role.SOCIETY_ADMIN]
PAGE = "/society/citizen-sign-in"


async def _render(request: Request, typed: str, errors: dict[str, str] | None = None, sent_reason: str = "") -> Response:
    errors = dict(errors or {})
    found: list[citizen_login.SignIn] = []
    if typed:
        try:
            found = await citizen_login.find_for_society(request.state.user.district_id, typed)
        except citizen_login.NotACitizen:
            errors["q"] = _("Type the citizen's e-Mitra ID (such as JP-00000123-4) or the 10-digit mobile registered for them.")
    return render(request, "society/citizen_sign_in.html", {
        "typed": typed, "found": found, "errors": errors, "sent_reason": sent_reason,
        "done": _done(found, request) if request.method == "GET" else "", "masked": citizen_login.masked,
        "reason_max": REASON_MAX,
    }, 400 if errors else 200)


def _done(found: list[citizen_login.SignIn], request: Request) -> str:
    """What the change just made was (``?stopped=``, ``?restarted=`` or ``?lifted=`` a citizen's id),
    read from the login's state and the lock's, never from the address's text."""
    lifted = next((r for r in found if str(r.citizen.id) == request.query_params.get("lifted", "")), None)
    if lifted is not None and lifted.code_lock is None:
        return _("The sign-in lock on the mobile of %(name)s is lifted: they can ask for a new code now.") % {
            "name": lifted.citizen.name}
    for key, state in (("stopped", "stopped"), ("restarted", "active")):
        row = next((r for r in found if str(r.citizen.id) == request.query_params.get(key, "")), None)
        if row is not None and row.state == state:
            if key == "stopped":
                return _("Sign-in of %(name)s stopped: a code sent to their mobile no longer signs them in, and their open "
                         "sessions ended.") % {"name": row.citizen.name}
            return _("%(name)s may sign in again with a code sent to their mobile.") % {"name": row.citizen.name}
    return ""


@page(SOCIETY)
async def sign_in_page(request: Request) -> Response:
    """Find a citizen of the district (``?q=``) and see whether they can sign in with a code."""
    return await _render(request, request.query_params.get("q", "").strip()[:40])


async def _posted_citizen(request: Request) -> tuple[Citizen, str]:
    """The citizen of the district the form names (404 otherwise), and how the page finds them again."""
    citizen_id = params.record_id(str(request.state.form.get("citizen", "")))
    citizen = await Citizen.get_or_none(id=citizen_id, district_id=request.state.user.district_id) if citizen_id else None
    if citizen is None:
        raise HTTPException(404, _("No citizen with this number in your district."))
    return citizen, format_emitra_id(citizen.emitra_id) if citizen.emitra_id else f"citizen:{citizen.id}"  # never the mobile


async def _change(request: Request, stop: bool) -> Response:
    form = request.state.form
    citizen, back = await _posted_citizen(request)
    reason = " ".join(str(form.get("reason", "") or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        error = _("Reason: say why, in %(least)s to %(most)s characters (for example: phone lost, reported by the citizen "
                  "at the counter).") % {"least": REASON_MIN, "most": REASON_MAX}
        return await _render(request, back, {f"c-{citizen.id}": error}, reason[:REASON_MAX])
    try:
        if stop:
            await stop_citizen_sign_in(actor(request), citizen, reason)
        else:
            await restart_citizen_sign_in(actor(request), citizen, reason)
    except Refused as exc:
        return await _render(request, back, {f"c-{citizen.id}": pick(exc.message, exc.message_hi)}, reason)
    key = "stopped" if stop else "restarted"
    return RedirectResponse(f"{PAGE}?{urlencode({'q': back, key: citizen.id})}#c-{citizen.id}", status_code=303)


@page(SOCIETY)
async def stop(request: Request) -> Response:
    """Stop the citizen's sign-in: a code no longer signs them in, their open sessions end now."""
    return await _change(request, stop=True)


@page(SOCIETY)
async def restart(request: Request) -> Response:
    """Let the citizen sign in again with a code sent to their mobile."""
    return await _change(request, stop=False)


@page(SOCIETY)
async def lift_lock(request: Request) -> Response:
    """Lift the day lock ten wrong codes put on the citizen's mobile, the citizen at the Society's
    office having shown who they are (decision 160): the counter's own function and audit record."""
    citizen, back = await _posted_citizen(request)
    if request.state.form.get("identity_seen") != "yes":
        return await _render(request, back, {f"lock-{citizen.id}": identity_unseen()})
    await citizen_login.lift_day_lock(actor(request), citizen)
    return RedirectResponse(f"{PAGE}?{urlencode({'q': back, 'lifted': citizen.id})}#c-{citizen.id}", status_code=303)


ROUTES = [
    Route(PAGE, sign_in_page),
    Route(PAGE + "/stop", stop, methods=["POST"]),
    Route(PAGE + "/restart", restart, methods=["POST"]),
    Route(PAGE + "/lift-lock", lift_lock, methods=["POST"]),
]

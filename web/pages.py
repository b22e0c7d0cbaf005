"""Login, logout, the home page of each role, and the language switch."""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.transactions import in_transaction

from emitra.core import audit
from emitra.core.auth import attempt_login, closed_counter, closed_message
from emitra.core.models import AuditLog, Counter, Role, ServiceRequest
from emitra.core.text import storable, unstorable
from emitra.web.i18n import LANGUAGES, _
from emitra.web.security import ALL_ROLES, ANYONE, actor, client_address, log_in, log_out, page
from emitra.web.templating import render


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a login to another site. Browsers read a backslash as a slash
    (``/\\evil.example`` is ``//evil.example``) and drop tabs and newlines, so those are refused too,
    and a lone surrogate (core/text.py), which no address can hold."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or unstorable(target) or urlparse(target).netloc):
        return "/"
    return target


@page(ANYONE, checks_text=True)  # a NUL or lone-surrogate username is a wrong one, counted by the throttle (core/auth.py)
async def login(request: Request) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if request.state.user:
            return RedirectResponse(next_url, status_code=303)
        return render(request, "login.html", {"next": next_url})
    form = request.state.form
    username = storable(str(form.get("username", ""))).strip().lower()  # shown again on the page
    attempt = await attempt_login(username, str(form.get("password", "")), client_address(request), actor(request))
    if attempt.locked_until is not None:
        english, hindi = attempt.message()
        response = render(request, "login.html", {"next": next_url, "error": f"{english} / {hindi}", "username": username}, 429)
        response.headers["Retry-After"] = str(attempt.retry_after_seconds)
        return response
    user = attempt.user
    if user is None:
        return render(request, "login.html", {"next": next_url, "error": _("Wrong username or password."), "username": username}, 400)
    closed = await closed_counter(user)
    if closed is not None:
        english, hindi = closed_message(closed)
        return render(request, "login.html", {"next": next_url, "error": f"{english} / {hindi}", "username": username}, 403)
    await log_in(request, user)
    await audit.record(actor(request), "auth.login", user)
    return RedirectResponse(_safe_next(form.get("next")), status_code=303)


@page(ALL_ROLES)
async def logout(request: Request) -> Response:
    user = request.state.user
    await audit.record(actor(request), "auth.logout", user)
    await log_out(request)
    return RedirectResponse("/my/login" if user.role == Role.CITIZEN else "/login", status_code=303)


@page(ANYONE)
async def set_language(request: Request) -> Response:
    """Switch language: the header's buttons post ``/lang/hi`` (``next``: the page to go back to),
    kept in the session and, for a logged-in user, as their preference (audited). A plain link
    (``GET /lang/hi?next=/counter``, shareable) switches the session only: a GET changes nothing
    stored, so another site cannot change a user's preference with an image tag."""
    lang = request.path_params["lang"]
    where = request.query_params.get("next") if request.method == "GET" else request.state.form.get("next")
    if lang in LANGUAGES:
        request.session["lang"] = lang
        user = request.state.user
        if request.method == "POST" and user is not None and user.lang != lang:
            async with in_transaction():
                user.lang = lang
                await user.save(update_fields=["lang"])
                await audit.record(actor(request), "user.language", user, detail={"lang": lang})
    return RedirectResponse(_safe_next(where if isinstance(where, str) else None), status_code=303)


@page(ALL_ROLES)
async def home(request: Request) -> Response:
    user = request.state.user
    if user.role == Role.OPERATOR:
        return RedirectResponse("/counter", status_code=303)
    if user.role == Role.DEPARTMENT_OFFICER:  # their inbox of applications and grievances
        return RedirectResponse("/office", status_code=303)
    if user.role == Role.CITIZEN:  # what they applied for
        return RedirectResponse("/my", status_code=303)
    counters = Counter.all()
    requests = ServiceRequest.all()
    if user.role == Role.SOCIETY_ADMIN:
        counters, requests = counters.filter(district_id=user.district_id), requests.filter(district_id=user.district_id)
    elif user.role == Role.LSP_ADMIN:
        counters, requests = counters.filter(lsp_id=user.lsp_id), requests.filter(counter__lsp_id=user.lsp_id)
    elif user.role in (Role.DEPARTMENT_OFFICER, Role.CITIZEN):
        counters = counters.filter(id=-1)
        if user.role == Role.CITIZEN:
            requests = requests.filter(citizen_id=user.citizen_id)
        else:
            requests = requests.filter(district_id=user.district_id, provider=user.department)
    recent = await requests.order_by("-id").limit(20).prefetch_related("counter")
    audit_rows = []
    if user.role in (Role.STATE_ADMIN, Role.SOCIETY_ADMIN):
        q = AuditLog.all() if user.role == Role.STATE_ADMIN else AuditLog.filter(district_id=user.district_id)
        audit_rows = await q.order_by("-id").limit(30)
    waiting = {}
    if user.role == Role.SOCIETY_ADMIN:  # what waits on the Society, first thing after logging in (decision 76)
        from emitra.web import society_today

        waiting = await society_today.panel(user.district_id)
    return render(request, "home.html", {
        **waiting,
        "counters": await counters.order_by("code"),
        "recent": recent,
        "audit_rows": audit_rows,
    })


@page(ANYONE)
async def healthz(request: Request) -> Response:
    """For a load balancer or a monitor: 200 when this worker serves and reaches its database, else 503."""
    from starlette.responses import JSONResponse
    from tortoise import connections

    from emitra.core import db

    headers = {"cache-control": "no-store"}
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:
        if not db.unavailable(exc):
            raise
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503,
                            headers={**headers, "Retry-After": "5"})
    return JSONResponse({"status": "ok", "database": "ok"}, headers=headers)

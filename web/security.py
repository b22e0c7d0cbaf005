"""Sessions, CSRF and the role check that guards every route.

Every endpoint is declared through :func:`page` (server-rendered pages) or :func:`api`
(the JSON API), each naming the roles allowed. A test walks the routing table and fails when an
endpoint is not guarded.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from typing import Any, Awaitable, Callable, Iterable

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from emitra.core import audit, config
from emitra.core.models import Role, User
from emitra.web import i18n

ANYONE = "anyone"  # public pages (login, language switch)
ALL_ROLES = tuple(Role)
API_TOKEN_MAX_AGE = 8 * 3600


class Forbidden(Exception):
    pass


class CsrfFailed(Exception):
    pass


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _check_csrf(request: Request, form: Any) -> None:
    expected = request.session.get("csrf", "")
    sent = form.get("csrf_token", "") if form is not None else ""
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        raise CsrfFailed()


async def load_user(request: Request) -> User | None:
    uid = request.session.get("uid")
    if not uid:
        return None
    user = await User.get_or_none(id=uid, active=True)
    if user is None or request.session.get("pwv") != user.password_hash[-16:]:
        request.session.clear()  # deactivated, or the password changed since login
        return None
    return user


def _set_language(request: Request, user: User | None) -> None:
    lang = request.query_params.get("lang") or request.session.get("lang") or (user.lang if user else None)
    if lang not in i18n.LANGUAGES:
        lang = i18n.negotiate(request.headers.get("accept-language", ""))
    if request.query_params.get("lang") in i18n.LANGUAGES:
        request.session["lang"] = lang
    i18n.current_lang.set(lang)
    request.state.lang = lang


def actor(request: Request, via: str = "web") -> audit.Actor:
    user = getattr(request.state, "user", None)
    return audit.Actor(user, ip=request.client.host if request.client else "", via=via)


Handler = Callable[..., Awaitable[Response]]


def page(roles: Iterable[Role] | str) -> Callable[[Handler], Handler]:
    """Guard a server-rendered page: login and role check, CSRF on POST, language.

    The handler is called as ``handler(request)``; on POST ``request.state.form`` holds the
    parsed form, already CSRF-checked.
    """
    allowed = roles if roles == ANYONE else frozenset(roles)

    def decorate(fn: Handler) -> Handler:
        @functools.wraps(fn)
        async def endpoint(request: Request) -> Response:
            user = await load_user(request)
            request.state.user = user
            _set_language(request, user)
            if allowed != ANYONE:
                if user is None:
                    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
                if user.role not in allowed:
                    raise Forbidden()
            if request.method == "POST":
                form = await request.form()
                _check_csrf(request, form)
                request.state.form = form
            return await fn(request)

        endpoint.emitra_guard = ("page", allowed)  # type: ignore[attr-defined]
        return endpoint

    return decorate


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.secret_key(), salt="emitra-api-token")


def issue_api_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "pwv": user.password_hash[-16:]})


async def user_from_token(request: Request) -> User | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    try:
        data = _serializer().loads(header[7:].strip(), max_age=API_TOKEN_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    user = await User.get_or_none(id=data.get("uid"), active=True)
    if user is None or data.get("pwv") != user.password_hash[-16:]:
        return None
    return user


def api_error(status: int, code: str, message: str, fields: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return JSONResponse(body, status_code=status)


def api(roles: Iterable[Role] | str) -> Callable[[Handler], Handler]:
    """Guard a JSON API endpoint: a bearer token (from POST /api/v1/token) and a role check.

    The API takes no cookies, so cross-site requests cannot ride on a browser session.
    """
    allowed = roles if roles == ANYONE else frozenset(roles)

    def decorate(fn: Handler) -> Handler:
        @functools.wraps(fn)
        async def endpoint(request: Request) -> Response:
            user = await user_from_token(request)
            request.state.user = user
            lang = request.query_params.get("lang") or i18n.negotiate(request.headers.get("accept-language", ""))
            i18n.current_lang.set(lang if lang in i18n.LANGUAGES else i18n.DEFAULT)
            if allowed != ANYONE:
                if user is None:
                    return api_error(401, "unauthorized", "Send 'Authorization: Bearer <token>'; get a token from POST /api/v1/token.")
                if user.role not in allowed:
                    return api_error(403, "forbidden", f"The role {user.role.value} may not use this endpoint.")
            return await fn(request)

        endpoint.emitra_guard = ("api", allowed)  # type: ignore[attr-defined]
        return endpoint

    return decorate


def webhook(scheme: str) -> Callable[[Handler], Handler]:
    """Mark an endpoint as a payment provider's webhook: no session and no role; the endpoint checks
    the provider's signature itself (``scheme`` names it). The routes test accepts this guard only
    under /webhooks/."""

    def decorate(fn: Handler) -> Handler:
        fn.emitra_guard = ("webhook", scheme)  # type: ignore[attr-defined]
        return fn

    return decorate

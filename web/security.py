"""Sessions, log-in and log-out, CSRF and the role check that guards every route.

Every endpoint is declared through :func:`page` (server-rendered pages) or :func:`api`
(the JSON API), each naming the roles allowed. A test walks the routing table and fails when an
endpoint is not guarded.
"""

from __future__ import annotations

import base64
import functools
import hmac
import secrets
from typing import Any, Awaitable, Callable, Iterable

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from emitra.core import audit, auth, cache, citizen_login, config
from emitra.core.models import Role, User
from emitra.core.text import NAMES as UNSTORABLE, shown, unstorable
from emitra.web import i18n

ANYONE = "anyone"  # public pages (login, language switch)
ALL_ROLES = tuple(Role)
CITIZENS_ONLY = frozenset({Role.CITIZEN})
API_TOKEN_MAX_AGE = 8 * 3600


class Forbidden(Exception):
    """403. ``message`` (already translated) says what was refused and what to do instead, and
    ``back`` the page to go back to; without them the page says the role does not allow it."""

    def __init__(self, message: str = "", back: str = "") -> None:
        super().__init__(message)
        self.message, self.back = message, back


class CsrfFailed(Exception):
    pass


def _session_csrf(request: Request) -> str:
    """The session's CSRF token (one per session, made at its first page)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_token(request: Request) -> str:
    """The session's CSRF token as a page carries it: masked with fresh random bytes on every page
    (the random bytes, then the token's XORed with them), so no two pages carry the same text. Pages
    are gzipped (web/app.py), and a secret repeated in every compressed page beside text an attacker
    can put there (a search, an address) can be read off the pages' sizes (BREACH, decision 127)."""
    token = _session_csrf(request).encode()
    mask = secrets.token_bytes(len(token))
    return base64.urlsafe_b64encode(mask + bytes(a ^ b for a, b in zip(token, mask))).decode().rstrip("=")


def _unmasked(sent: str) -> bytes:
    """The token a form sent, unmasked (:func:`csrf_token`); b"" when it is not a masked token."""
    try:
        raw = base64.urlsafe_b64decode(sent + "=" * (-len(sent) % 4))
    except (ValueError, UnicodeError):
        return b""
    half = len(raw) // 2
    return bytes(a ^ b for a, b in zip(raw[half:], raw[:half])) if raw and len(raw) % 2 == 0 else b""


def _check_csrf(request: Request, form: Any) -> None:
    expected = str(request.session.get("csrf", "")).encode()
    sent = form.get("csrf_token", "") if form is not None else ""
    # compared as bytes: compare_digest refuses a str with non-ASCII text (a TypeError, a 500), and a
    # posted token may hold anything, even a lone surrogate (core/text.py); the token as sent is taken
    # too, unmasked (a page drawn before masking, by a worker not yet upgraded)
    if not expected or not sent or not (hmac.compare_digest(expected, _unmasked(str(sent)))
                                        or hmac.compare_digest(expected, str(sent).encode("utf-8", "surrogatepass"))):
        raise CsrfFailed()


async def load_user(request: Request) -> User | None:
    """The user of this browser session, checked against its server-side row (core/auth.py:
    :func:`~emitra.core.auth.session_user`); a dead session is cleared from the cookie."""
    uid = request.session.get("uid")
    if not uid:
        return None
    user = await auth.session_user(str(request.session.get("sid", "")), uid, str(request.session.get("pwv", "")))
    closed = await auth.closed_counter(user) if user is not None else None
    if user is not None and closed is not None:  # closed since (even by raw SQL): the sessions end, audited (decision 145)
        await auth.end_for_change(audit.Actor(user, client_address(request)), user, auth.COUNTER_CLOSED, counter=closed)
        user = None
    if user is not None and await citizen_login.session_mobile_changed(user, str(request.session.get(citizen_login.SESSION_MOBILE, ""))):
        # signed in by a code sent to a mobile no longer theirs: this session ends, audited (decision 145)
        await auth.end_for_change(audit.Actor(user, client_address(request)), user, auth.MOBILE_CHANGED,
                                  str(request.session.get("sid", "")))
        user = None
    if user is None:  # logged out elsewhere, timed out, deactivated, or the password changed since login
        lang = request.session.get("lang")
        request.session.clear()
        if lang:
            request.session["lang"] = lang
    return user


def client_address(request: Request) -> str:
    """The client's address as the server saw it (behind a proxy, run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else ""


async def log_in(request: Request, user: User) -> None:
    """Start a new session for ``user``: a fresh random session id and a fresh CSRF token, so nothing
    from before log-in (a cookie planted by someone else) survives into the logged-in session. A
    session the cookie held (a citizen switching to another person on their mobile, a log-in over
    one still open) ends on the server, so a copy of the cookie before opens nothing (decision 143)."""
    await auth.end_session(str(request.session.get("sid", "")))
    lang = request.session.get("lang")
    request.session.clear()
    session_id = await auth.start_session(user, client_address(request), request.headers.get("user-agent", ""))
    request.session.update({"sid": session_id, "uid": user.id, "pwv": auth.password_version(user), "lang": lang or user.lang})
    _session_csrf(request)
    request.state.user = user


async def log_out(request: Request) -> None:
    """End the session on the server (a copied cookie stops working too) and in the cookie; keep the language."""
    await auth.end_session(str(request.session.get("sid", "")))
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang


def _locked_message(attempt: auth.LoginAttempt) -> str:
    english, hindi = attempt.message()
    return f"{english} / {hindi}"


async def api_authenticate(request: Request, username: str, password: str) -> User | JSONResponse:
    """``POST /api/v1/token``'s check: the user, or the JSON error to answer (429 while locked, with
    Retry-After; 401 for a wrong username or password). Throttled like the log-in page."""
    attempt = await auth.attempt_login(username, password, client_address(request), actor(request, "api"))
    if attempt.user is not None:
        closed = await auth.closed_counter(attempt.user)
        if closed is not None:
            return api_error(403, "counter_closed", " / ".join(auth.closed_message(closed)))
        return attempt.user
    if attempt.locked_until is not None:
        response = api_error(429, "too_many_attempts", _locked_message(attempt))
        response.headers["Retry-After"] = str(attempt.retry_after_seconds)
        return response
    return api_error(401, "bad_credentials", "Wrong username or password.")


def set_language(request: Request, user: User | None) -> None:
    """The page's language: ``?lang=``, the session's, the user's, else the browser's."""
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

#: a posted page form takes at most this many files, and this many fields (a multi-step form carries
#: its earlier steps in hidden fields); a text field at most MAX_FIELD_BYTES
MAX_FILES = 20
MAX_FIELDS = 1000
MAX_FIELD_BYTES = 1024 * 1024


class FormTooLarge(HTTPException):
    """A posted form larger than ``EMITRA_MAX_REQUEST_MB``: nothing of it was read, nothing recorded.
    A page answers it in the page's language (web/app.py); the API with the English half of the detail."""

    def __init__(self, limit: int):
        self.mb = limit // (1024 * 1024)
        super().__init__(413, _too_large_detail(self.mb))


def _too_large_detail(mb: int) -> str:
    return (f"The form with its files is larger than {mb} MB, the most this site accepts (EMITRA_MAX_REQUEST_MB). "
            "Send smaller files (documents scanned at a lower resolution, a bank statement split by week) or fewer at once. "
            f"/ फ़ॉर्म अपनी फ़ाइलों सहित {mb} MB से बड़ा है, जो इस साइट की सीमा है। छोटी फ़ाइलें भेजें (दस्तावेज़ कम रिज़ॉल्यूशन पर "
            "स्कैन करके, बैंक विवरण सप्ताह के अनुसार बाँटकर) या एक बार में कम फ़ाइलें भेजें।")


async def read_form(request: Request) -> Any:
    """Parse a posted page form without ever taking in more than ``EMITRA_MAX_REQUEST_MB``: a declared
    Content-Length over the limit is refused before reading (413), and a body sent without one is
    cut off as soon as it passes the limit. Each upload field then checks its own size and type."""
    limit = config.max_request_bytes()
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise FormTooLarge(limit)
    received = 0
    receive = request._receive  # Starlette reads the body through it; count what arrives

    async def limited() -> Any:
        nonlocal received
        message = await receive()
        if message.get("type") == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise FormTooLarge(limit)
        return message

    request._receive = limited
    return await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)


def unstorable_field(form: Any) -> tuple[str, str] | None:
    """The name of the first posted field whose name, text or upload file name holds text no
    database column stores (a NUL character or a lone surrogate, core/text.py), and which of the two."""
    for name, value in form.multi_items():
        text = value if isinstance(value, str) else getattr(value, "filename", "") or ""
        kind = unstorable(name) or unstorable(text)
        if kind:
            return name, kind
    return None


def _refuse_unstorable(form: Any) -> None:
    """A posted field (its name, its text, an upload's file name) holding a NUL character or a lone
    surrogate is refused, the field named, before any handler reads it: PostgreSQL stores no NUL in
    text or JSONB (a server error there, and a stored NUL on SQLite), no one types one at a counter,
    and a lone surrogate (which a multipart form declaring ``charset=utf-7`` decodes into) is no
    character: it cannot be written to either database or shown on a page."""
    found = unstorable_field(form)
    if found:
        name, kind = shown(found[0])[:60], found[1]
        what_en, what_hi = UNSTORABLE[kind]
        raise HTTPException(400, f"The field '{name}' contains {what_en}; remove it and send the form again. / "
                                 f"फ़ील्ड '{name}' में {what_hi} है; उसे हटाकर फ़ॉर्म फिर से भेजें।")


def page(roles: Iterable[Role] | str, cached: bool = False, checks_text: bool = False) -> Callable[[Handler], Handler]:
    """Guard a server-rendered page: login and role check, CSRF on POST, language.

    The handler is called as ``handler(request)``; on POST ``request.state.form`` holds the
    parsed form, already CSRF-checked. ``cached=True`` lets the handler's reference data come from
    core/cache.py (the counter's pages: they never change a cached table and then read it back).
    ``checks_text=True``: the handler answers a NUL character or a lone surrogate itself (the log-in
    form, which answers it as any wrong username and counts it in the throttle); every other form
    is refused here when a field holds one (:func:`_refuse_unstorable`).
    """
    allowed = roles if roles == ANYONE else frozenset(roles)

    def decorate(fn: Handler) -> Handler:
        @functools.wraps(fn)
        async def endpoint(request: Request) -> Response:
            user = await load_user(request)
            request.state.user = user
            set_language(request, user)
            if allowed != ANYONE:
                if user is None:  # a citizen's own pages: the sign-in by a code sent to their mobile
                    sign_in = "/my/login" if allowed == CITIZENS_ONLY else "/login"
                    return RedirectResponse(f"{sign_in}?next={request.url.path}", status_code=303)
                if user.role not in allowed:
                    raise Forbidden()
            if request.method == "POST":
                form = await read_form(request)
                _check_csrf(request, form)
                if not checks_text:
                    _refuse_unstorable(form)
                request.state.form = form
            if cached:
                await cache.check()
            return await fn(request)

        endpoint.emitra_guard = ("page", allowed)  # type: ignore[attr-defined]
        return endpoint

    return decorate


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.secret_key(), salt="emitra-api-token")


def issue_api_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "pwv": auth.password_version(user), "cid": user.counter_id})


async def user_from_token(request: Request) -> User | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    try:
        data = _serializer().loads(header[7:].strip(), max_age=API_TOKEN_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    uid = data.get("uid")
    user = await cache.get("user", uid, lambda: User.get_or_none(id=uid, active=True)) if isinstance(uid, int) else None
    if user is None or data.get("pwv") != auth.password_version(user):
        return None
    # an operator's token names their counter: moved elsewhere (`emitra user move`), or their counter
    # closed (`emitra counter close`), it is refused
    if data.get("cid") != user.counter_id:
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
            await cache.check()  # the reference data this request reads may come from the cache (core/cache.py)
            user = await user_from_token(request)
            request.state.user = user
            lang = request.query_params.get("lang") or i18n.negotiate(request.headers.get("accept-language", ""))
            i18n.current_lang.set(lang if lang in i18n.LANGUAGES else i18n.DEFAULT)
            if allowed != ANYONE:
                if user is None:
                    return api_error(401, "unauthorized", "Send 'Authorization: Bearer <token>'; get a token from POST /api/v1/token.")
                if user.role not in allowed:
                    return api_error(403, "forbidden", f"The role {user.role.value} may not use this endpoint.")
                closed = await auth.closed_counter(user)
                if closed is not None:
                    return api_error(403, "counter_closed", " / ".join(auth.closed_message(closed)))
            return await fn(request)

        endpoint.emitra_guard = ("api", allowed)  # type: ignore[attr-defined]
        return endpoint

    return decorate


def static_file(fn: Handler) -> Handler:
    """Mark an endpoint that answers a file any visitor may have, the same for all, with no session
    and no role (the browser's ``/favicon.ico``): nothing personal, so the browser may keep it. The
    routes test accepts this guard only on the paths it lists."""
    fn.emitra_guard = ("static", ANYONE)  # type: ignore[attr-defined]
    return fn


def webhook(scheme: str) -> Callable[[Handler], Handler]:
    """Mark an endpoint as a payment provider's webhook: no session and no role; the endpoint checks
    the provider's signature itself (``scheme`` names it). The routes test accepts this guard only
    under /webhooks/."""

    def decorate(fn: Handler) -> Handler:
        fn.emitra_guard = ("webhook", scheme)  # type: ignore[attr-defined]
        return fn

    return decorate

"""Every route is guarded: a role check (or an explicit 'anyone'), and CSRF on every page form; every
answer carries the security headers, a server error too; HEAD is answered as GET, without a body."""

import pytest
from starlette.routing import Mount, Route

from emitra.core.models import Role
from emitra.web.app import ROUTES, create_app
from emitra.web.headers import HEADERS
from emitra.web.security import ANYONE, api, page
from tests.conftest import DB_URL, serving
from tests.test_route_roles import Visitors, _fill, _ids, one_allowed, page_and_api_routes

PUBLIC = {"/login", "/healthz", "/lang/{lang}", "/api/v1/token", "/api/openapi.json",
          # what citizens use without an account: tracking, grievances, verification
          "/track", "/grievances/new", "/grievances/filed", "/verify", "/verify/certificate/{token}", "/verify/receipt",
          # a citizen's sign-in with a code sent by SMS (the pages check the code's proof themselves)
          "/my/login", "/my/login/code", "/my/login/choose",
          # the site's icon, which browsers ask for whatever a page links (web/assets.favicon)
          "/favicon.ico"}
#: the routes that answer a file the same for everyone (``@static_file``): no session, kept by the browser
STATIC_FILES = {"/favicon.ico"}


def test_every_route_declares_who_may_use_it():
    for route in ROUTES:
        if isinstance(route, Mount):
            assert route.path == "/static"
            continue
        assert isinstance(route, Route)
        guard = getattr(route.endpoint, "emitra_guard", None)
        assert guard is not None, f"{route.path} has no role check: declare it with @page(...) or @api(...)"
        kind, roles = guard
        assert (roles == ANYONE) == (route.path in PUBLIC), route.path
        # a provider's webhook (/webhooks/...) is checked by its signature: no session, no role
        assert kind == ("api" if route.path.startswith("/api/") else "webhook" if route.path.startswith("/webhooks/")
                        else "static" if route.path in STATIC_FILES else "page"), route.path


def test_pages_carry_security_headers_and_personal_pages_are_not_cached(web):
    login = web.get("/login")
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    assert "'unsafe-inline'" not in login.headers["content-security-policy"]
    assert login.headers["x-content-type-options"] == "nosniff"
    web.login("operator1")
    assert web.get("/counter").headers["cache-control"] == "no-store"


def get_routes(web) -> list[tuple[str, str, Role | None, str]]:
    """(path, kind, a role allowed on it or None on a public one, the path filled with demo ids) of every GET route."""
    ids = _ids(web)
    return [(path, kind, one_allowed(allowed), _fill(path, ids)) for path, methods, kind, allowed in page_and_api_routes()
            if "GET" in methods]


def _kept(visitors: Visitors, asked: list[tuple[str, str, str, Role | None, str]]) -> list[str]:
    """Which of the requests ``asked`` (method, route, kind, role, url) were answered without ``no-store``."""
    kept = []
    for method, path, kind, role, url in asked:
        answer = visitors.request(role, kind, method, url)
        if answer.headers.get("cache-control") != "no-store":
            kept.append(f"{method} {path} as {role.value if role else 'anonymous'}: {answer.status_code}, "
                        f"cache-control {answer.headers.get('cache-control')!r}")
    return kept


def test_no_page_or_api_answer_is_kept_by_the_browser(web):
    """A shared kiosk's browser keeps nothing of any answer (its Back button shows nothing after
    log-out): the header used to be added by a list of path prefixes, and the pages left out of it
    (the home page's recent receipts and audit log, deposit slips, payouts, wallets, the Network
    page, card refunds) were kept. Every GET route of the table, as a role allowed on it, says
    ``no-store``; the static files (the style sheet, the print button's script) alone may be kept."""
    asked = [("GET", path, kind, role, url) for path, kind, role, url in get_routes(web)]
    assert _kept(Visitors(web), asked) == []
    assert len(asked) > 60
    assert web.get("/no-such-page").headers["cache-control"] == "no-store"
    assert "no-store" not in web.get("/static/style.css").headers.get("cache-control", "")


def test_no_answer_to_a_form_and_no_error_page_is_kept_either(web):
    """The answers to forms (a confirmation with the citizen's bill, a refused form with what was typed
    and a fresh CSRF token) are kept no more than the pages: every POST route of the table, as a role
    allowed on it and as one refused, says ``no-store``. So does an address under /static/ that is no
    file: its error page names who is logged in and carries the log-out form's token, and it used to
    go out without the header (the static files' prefix was let through whole, decision 127). The one
    answer a browser may keep is a report's chart: a minute, by that browser only (``private``)."""
    ids = _ids(web)
    asked = []
    for path, methods, kind, allowed in sorted(page_and_api_routes(), key=lambda r: r[0] == "/logout"):  # log-out last
        role = one_allowed(allowed)
        refused = [Role.CITIZEN] if role != Role.CITIZEN and allowed != ANYONE else []
        asked += [("POST", path, kind, who, _fill(path, ids)) for who in [role, *refused] if "POST" in methods]
    assert _kept(Visitors(web), asked) == []
    assert len(asked) > 80
    web.client.cookies.clear()
    web.login("operator1")
    for address in ("/static/no-such.css", "/static/no-such.0123456789.css", "/static/fonts"):
        missing = web.get(address)
        assert missing.status_code == 404 and "Log out" in missing.text, address
        assert missing.headers["cache-control"] == "no-store", address
    assert web.post("/static/style.css").headers["cache-control"] == "no-store"
    web.logout()
    web.login("society")
    chart = web.get("/reports/chart.svg?from=2026-11-01&to=2026-11-30&kind=trend")
    assert chart.status_code == 200 and chart.headers["cache-control"] == "private, max-age=60"


def test_the_health_check_answers_without_a_login(web):
    answer = web.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "database": "ok"}
    assert answer.headers["cache-control"] == "no-store"


def test_the_sites_icon_answers_without_a_login_and_is_kept(web):
    """Browsers ask for /favicon.ico on every site: it was a 404 page on every first visit (logged, the
    session read to render it, a wasted request on a kiosk's slow link). It is the site's icon, without
    a login, kept 30 days. Pages do not link it: a browser asks for /favicon.ico by itself, and a
    link would be one more file for the page-weight budget to count (tests/test_page_weight.py)."""
    for who in (None, "operator1"):
        if who:
            web.login(who)
        icon = web.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\x00\x00\x01\x00" and len(icon.content) < 4096  # an ICO file, small
        assert icon.headers["cache-control"] == "public, max-age=2592000" and "set-cookie" not in icon.headers
        assert "nosniff" in icon.headers["x-content-type-options"]
        head = web.client.head("/favicon.ico")
        assert head.status_code == 200 and head.content == b""


class BodySent:
    """Wraps the application and counts the bytes of body it sends: the test client drops a HEAD's
    body by itself, so what the application sent is checked here, before any client or server."""

    def __init__(self, app):
        self.app = app
        self.bytes = 0

    async def __call__(self, scope, receive, send):
        async def counting(message):
            if message["type"] == "http.response.body":
                self.bytes += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counting if scope["type"] == "http" else send)


@pytest.fixture
def counted():
    """Like the ``web`` fixture (conftest.py), with the application's body bytes counted."""
    app = BodySent(create_app(DB_URL))
    with serving(app, raise_server_exceptions=False) as web:
        yield web, app


def test_every_get_route_answers_head_as_get_without_a_body(counted):
    """Starlette lets every GET route take HEAD; a page whose handler branched on GET used to treat a
    HEAD as a posted form (a 500 on /login, /track, the counter's forms). Every GET route of the
    table, as a role allowed on it (anonymous on public ones), answers HEAD with the GET's status
    and type, and the application sends no body."""
    web, app = counted
    visitors = Visitors(web)
    problems, checked = [], 0
    for path, kind, role, url in get_routes(web):
        app.bytes = 0
        got = visitors.request(role, kind, "GET", url)
        got_bytes, app.bytes = app.bytes, 0
        head = visitors.request(role, kind, "HEAD", url)
        checked += 1
        who = role.value if role else "anonymous"
        if head.status_code != got.status_code or head.status_code >= 500:
            problems.append(f"HEAD {path} as {who}: {head.status_code}, GET {got.status_code}")
        elif head.headers.get("content-type") != got.headers.get("content-type"):
            problems.append(f"HEAD {path}: type {head.headers.get('content-type')}, GET {got.headers.get('content-type')}")
        elif app.bytes or head.content:
            problems.append(f"HEAD {path}: {app.bytes} bytes of body sent")
        elif got.status_code == 200 and not got_bytes:
            problems.append(f"GET {path}: no body counted: the count is broken")
    assert problems == [], "\n".join(problems)
    assert checked > 60


def _raises(request):
    raise RuntimeError("a bug in a handler")


@pytest.fixture
def failing():
    """The application with three routes that fail: a public page, a personal page (under /counter)
    and an API endpoint; server errors are answered, not raised into the test."""
    app = create_app(DB_URL)
    app.router.routes[:0] = [Route("/failing", page(ANYONE)(_raises)), Route("/counter/failing", page(ANYONE)(_raises)),
                             Route("/api/v1/failing", api(ANYONE)(_raises))]
    with serving(app, raise_server_exceptions=False) as web:
        yield web.client


def test_a_server_error_carries_the_security_headers(failing):
    """The 500 is drawn by Starlette's outermost layer, which used to sit outside the security
    headers: a page or API error went out without CSP, X-Frame-Options, nosniff or no-store."""
    for path in ("/failing", "/counter/failing", "/api/v1/failing"):
        for method in ("GET", "HEAD"):
            answer = failing.request(method, path)
            assert answer.status_code == 500, (method, path)
            for name, value in HEADERS:
                assert answer.headers.get(name.decode()) == value.decode(), (method, path, name)
            assert answer.headers.get("cache-control") == "no-store", (method, path)
            if method == "HEAD":
                assert answer.content == b""
            elif path.startswith("/api/"):
                assert answer.json()["error"]["code"] == "internal_error"
            else:
                assert "Something failed on our side" in answer.text and "RuntimeError" not in answer.text


def test_a_value_the_model_refuses_is_named_never_repeated_in_the_page_or_the_log(web):
    """A value a route let through and the model refused (longer than its column) is answered 400
    by one handler (web/app.py). It used to repeat the value, in the page and in the application's
    log: whatever was typed there, an Aadhaar number, a line break that forges a log line, or a
    megabyte of text, went into the log as it came."""
    import logging

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger, keep = logging.getLogger("emitra.web.app"), Keep(logging.DEBUG)
    logger.addHandler(keep)
    sent = "JP-LM-001\n2026-11-30 ERROR forged line; Aadhaar 4991 1866 5246 " + "x" * 50_000
    web.login("society")
    try:
        answer = web.post_form("/network", {"action": "operator", "username": "new.operator", "name": "New Operator",
                                            "counter": sent, "password": "a-long-password-1", "password2": "a-long-password-1"})
    finally:
        logger.removeHandler(keep)
    assert answer.status_code == 400 and "too long or not acceptable" in answer.text
    assert "4991 1866 5246" not in answer.text and "forged line" not in answer.text and len(answer.text) < 40_000
    logged = [r.getMessage() for r in records if "refused by the model" in r.getMessage()]
    assert len(logged) == 1 and "code" in logged[0], logged
    assert "4991" not in logged[0] and "\n" not in logged[0] and len(logged[0]) < 500


def test_the_access_log_keeps_no_query_values(web):
    """The server's access line carried the query string as sent: a counter's search for a citizen
    (``/counter?q=<mobile or Aadhaar number or name>``) went into the log in full. The application
    (installed on uvicorn's access logger however uvicorn was started) keeps the names, not the values."""
    import logging

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger, keep = logging.getLogger("uvicorn.access"), Keep(logging.DEBUG)
    logger.addHandler(keep)
    level, logger.level = logger.level, logging.INFO
    try:  # as uvicorn's HTTP protocols write it
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:39830", "GET", "/counter?q=4991%201866%205246&page=2", "1.1", 200)
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:39830", "GET", "/counter?q=9414098765", "1.1", 200)
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:39830", "GET", "/login", "1.1", 200)
    finally:
        logger.removeHandler(keep)
        logger.level = level
    assert lines == ['127.0.0.1:39830 - "GET /counter?q=***&page=*** HTTP/1.1" 200', '127.0.0.1:39830 - "GET /counter?q=*** HTTP/1.1" 200',
                     '127.0.0.1:39830 - "GET /login HTTP/1.1" 200']

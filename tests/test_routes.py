"""Every route is guarded: a role check (or an explicit 'anyone'), and CSRF on every page form."""

from starlette.routing import Mount, Route

from emitra.web.app import ROUTES
from emitra.web.security import ANYONE

PUBLIC = {"/login", "/healthz", "/lang/{lang}", "/api/v1/token", "/api/openapi.json",
          # what citizens use without an account: tracking, grievances, verification
          "/track", "/grievances/new", "/grievances/filed", "/verify", "/verify/certificate/{token}", "/verify/receipt"}


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
        assert kind == ("api" if route.path.startswith("/api/") else "webhook" if route.path.startswith("/webhooks/") else "page"), route.path


def test_pages_carry_security_headers_and_personal_pages_are_not_cached(web):
    login = web.get("/login")
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    assert "'unsafe-inline'" not in login.headers["content-security-policy"]
    assert login.headers["x-content-type-options"] == "nosniff"
    web.login("operator1")
    assert web.get("/counter").headers["cache-control"] == "no-store"


def test_the_health_check_answers_without_a_login(web):
    answer = web.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "database": "ok"}
    assert answer.headers["cache-control"] == "no-store"

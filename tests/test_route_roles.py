"""Every route refuses every role that must not use it, generated from the route table.

For each route of ``emitra.web.app.ROUTES`` and each method it takes, every role outside its guard
(and an anonymous visitor) is refused: a page sends the anonymous visitor to /login (303) and
answers 403 to a logged-in wrong role; the API answers 401/403 in JSON. Nothing is written by a
refused request (row counts of every table unchanged). The positive control: one allowed role is
let through on every route, so the test cannot pass by everything being broken.
"""

from __future__ import annotations

import re

from starlette.routing import Route
from tortoise import Tortoise, connections

from emitra.core.models import Citizen, Role
from emitra.core.plugins import get_host
from emitra.web.app import ROUTES
from emitra.web.security import ANYONE

USERS = {Role.STATE_ADMIN: "state", Role.SOCIETY_ADMIN: "society", Role.LSP_ADMIN: "lsp", Role.OPERATOR: "operator1",
         Role.DEPARTMENT_OFFICER: "officer", Role.CITIZEN: "citizen"}
ANONYMOUS = None
COOKIE = "emitra_session"


def page_and_api_routes() -> list[tuple[str, list[str], str, frozenset | str]]:
    """(path, methods, kind, allowed roles or ANYONE) of every page and API route, public ones included."""
    out = []
    for route in ROUTES:
        if not isinstance(route, Route):
            continue
        kind, roles = route.endpoint.emitra_guard
        if kind in ("page", "api"):
            out.append((route.path, sorted(route.methods - {"HEAD"}), kind, roles))
    return out


def guarded_routes() -> list[tuple[str, list[str], str, frozenset]]:
    """(path, methods, kind, allowed roles) of every route with a role check."""
    return [r for r in page_and_api_routes() if r[3] != ANYONE]  # type: ignore[misc]


def test_the_route_table_is_walked():
    routes = guarded_routes()
    assert len(routes) > 80
    assert all(roles and set(roles) <= set(Role) for _path, _methods, _kind, roles in routes)


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: ids.get(m.group(1), "1"), path)


def _row_counts(web) -> dict[str, int]:
    """Rows in every table, in one query."""
    tables = sorted(model._meta.db_table for model in Tortoise.apps["models"].values())

    async def count():
        sql = " UNION ALL ".join(f"SELECT '{t}' AS t, COUNT(*) AS n FROM \"{t}\"" for t in tables)
        rows = await connections.get("default").execute_query_dict(sql)
        return {r["t"]: int(r["n"]) for r in rows}

    return web.run(count)


class Visitors:
    """One logged-in session (cookie + CSRF token) and one API token per role, reused for every route."""

    def __init__(self, web):
        self.web = web
        self.cookies: dict[Role | None, str] = {}
        self.csrf: dict[Role | None, str] = {}
        self.tokens: dict[Role | None, dict[str, str]] = {ANONYMOUS: {}}
        web.client.cookies.clear()
        self.csrf[ANONYMOUS] = web.csrf("/login")
        self.cookies[ANONYMOUS] = web.client.cookies[COOKIE]
        for role, username in USERS.items():
            web.client.cookies.clear()
            web.login(username)
            self.cookies[role] = web.client.cookies[COOKIE]
            self.csrf[role] = web.csrf("/no-such-page")
            self.tokens[role] = web.api_token(username)

    def request(self, role: Role | None, kind: str, method: str, url: str):
        """``method`` (POST with an empty body, or a GET or HEAD) of ``url`` as ``role``."""
        web = self.web
        web.client.cookies.clear()
        if kind == "api":
            if method == "POST":
                return web.client.post(url, json={}, headers=self.tokens[role])
            return web.client.request(method, url, headers=self.tokens[role])
        web.client.cookies.set(COOKIE, self.cookies[role])
        if method == "POST":
            return web.client.post(url, data={"csrf_token": self.csrf[role]})
        return web.client.request(method, url)


def _ids(web) -> dict[str, str]:
    """Real ids of the demo data for the path parameters that have them; the rest get placeholders."""

    async def ramesh():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    service = next(s for s in get_host().registry if not s.priced_by_lsp)
    return {"emitra_id": web.run(ramesh), "code": service.code, "lang": "hi"}


def _sign_in_of(allowed: frozenset) -> str:
    """Where an anonymous visitor is sent: a citizen's own pages to the sign-in with a code sent to
    their mobile (/my/login), every other page to the log-in form."""
    return "/my/login?" if allowed == frozenset({Role.CITIZEN}) else "/login?"


def _refused(kind: str, role: Role | None, response, allowed: frozenset = frozenset()) -> str | None:
    """Why ``response`` is not a proper refusal, or None when it is one."""
    if kind == "api":
        want = 401 if role is None else 403
        if response.status_code != want:
            return f"status {response.status_code}, expected {want}"
        if response.json().get("error", {}).get("code") != ("unauthorized" if role is None else "forbidden"):
            return f"body {response.text[:200]}"
        return None
    if role is None:
        where = _sign_in_of(allowed)
        if response.status_code != 303 or not response.headers.get("location", "").startswith(where):
            return f"status {response.status_code} to {response.headers.get('location')}, expected 303 to {where}"
        return None
    return None if response.status_code == 403 else f"status {response.status_code}, expected 403"


def test_every_route_refuses_every_role_outside_its_guard_and_writes_nothing(web):
    visitors = Visitors(web)
    ids = _ids(web)
    problems, checked = [], 0
    for path, methods, kind, allowed in guarded_routes():
        url = _fill(path, ids)
        before = _row_counts(web)
        for method in methods:
            for role in [ANONYMOUS, *USERS]:
                if role in allowed:
                    continue
                why = _refused(kind, role, visitors.request(role, kind, method, url), allowed)
                checked += 1
                if why:
                    problems.append(f"{method} {path} as {role.value if role else 'anonymous'}: {why}")
        after = _row_counts(web)
        if after != before:
            problems.append(f"{path}: refused requests changed rows: " + ", ".join(
                f"{t} {before[t]}->{after[t]}" for t in after if after[t] != before[t]))
    assert not problems, "\n".join(problems)
    assert checked > 300


# the order in which an allowed role is picked for the positive control
PREFERRED = [Role.OPERATOR, Role.SOCIETY_ADMIN, Role.LSP_ADMIN, Role.DEPARTMENT_OFFICER, Role.CITIZEN, Role.STATE_ADMIN]


def one_allowed(allowed: frozenset | str) -> Role | None:
    """The role that stands for everyone allowed on a route (the anonymous visitor on a public one)."""
    return ANONYMOUS if allowed == ANYONE else next(r for r in PREFERRED if r in allowed)


def test_every_route_lets_one_allowed_role_through(web):
    visitors = Visitors(web)
    ids = _ids(web)
    problems = []
    routes = sorted(guarded_routes(), key=lambda r: r[0] == "/logout")  # log-out last: it ends the session
    for path, methods, kind, allowed in routes:
        role = one_allowed(allowed)
        method = "GET" if "GET" in methods else "POST"
        response = visitors.request(role, kind, method, _fill(path, ids))
        location = response.headers.get("location", "")
        if response.status_code in (401, 403) or response.status_code >= 500 or location.startswith(("/login?", "/my/login?")):
            problems.append(f"{method} {path} as {role.value}: {response.status_code} {location or response.text[:120]}")
    assert not problems, "\n".join(problems)


#: the public pages of a citizen's sign-in by a code sent by SMS (web/citizen_login.py): what each
#: answers a visitor without a code asked for, and a citizen already signed in
SIGN_IN = {"/my/login": (200, "/my"), "/my/login/code": ("/my/login", "/my/login"),
           "/my/login/choose": ("/my/login", "/my/login")}


def test_the_citizens_sign_in_pages_are_public_and_the_citizens_pages_send_a_visitor_to_them(web):
    public = {path for path, _methods, _kind, roles in page_and_api_routes() if roles == ANYONE}
    assert set(SIGN_IN) <= public
    citizens_only = [path for path, _methods, _kind, roles in guarded_routes() if roles == frozenset({Role.CITIZEN})]
    assert "/my" in citizens_only and "/my/{number}" in citizens_only
    visitors = Visitors(web)
    for path, answers in SIGN_IN.items():
        for role, want in zip((ANONYMOUS, Role.CITIZEN), answers):
            response = visitors.request(role, "page", "GET", path)
            got = response.status_code if isinstance(want, int) else response.headers.get("location")
            assert got == want, (path, role)
    for role in (Role.OPERATOR, Role.SOCIETY_ADMIN):  # staff at a shared computer may open it too
        assert visitors.request(role, "page", "GET", "/my/login").status_code == 200
    assert visitors.request(ANONYMOUS, "page", "GET", "/my").headers["location"] == "/my/login?next=/my"

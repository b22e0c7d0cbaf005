"""Server-side sessions: a new random id at every log-in (no session fixation), only its hash stored,
ended by log-out, by a password change or deactivation, by an idle timeout and a maximum lifetime."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

from itsdangerous import TimestampSigner

from emitra.core import audit, auth
from emitra.core.models import User, WebSession

COOKIE = "emitra_session"


def csrf_of(web, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', web.get(path).text).group(1)


def with_cookie(web, value: str) -> None:
    web.client.cookies.clear()
    web.client.cookies.set(COOKIE, value)


def sessions(web) -> list[WebSession]:
    async def rows():
        return await WebSession.all().order_by("created_at")

    return web.run(rows)


def test_a_cookie_planted_before_login_is_replaced_grants_nothing_and_only_a_hash_is_stored(web):
    planted_csrf = csrf_of(web)
    planted = web.client.cookies[COOKIE]  # what an attacker could plant in the victim's browser
    web.login("operator1")
    after = web.client.cookies[COOKIE]
    assert after != planted
    assert csrf_of(web, "/counter") != planted_csrf
    # the attacker, holding the planted cookie, is still anonymous
    victim = dict(web.client.cookies)
    with_cookie(web, planted)
    assert web.get("/counter").status_code == 303
    with_cookie(web, victim[COOKIE])
    assert web.get("/counter").status_code == 200
    # the server keeps only the hash of the new session id
    data = json.loads(base64.b64decode(TimestampSigner("test-secret-key-not-for-production").unsign(victim[COOKIE])))
    (row,) = sessions(web)
    assert row.id == auth.session_digest(data["sid"]) != data["sid"]
    assert len(data["sid"]) >= 43  # secrets.token_urlsafe(32)
    assert row.ended_at is None and row.ip == "testclient" and row.user_agent == "testclient"


def test_after_logout_a_copy_of_the_cookie_is_refused(web):
    web.login("operator1")
    stolen = web.client.cookies[COOKIE]
    web.logout()
    assert sessions(web)[0].ended_at is not None
    with_cookie(web, stolen)
    assert web.get("/counter").status_code == 303
    token = web.csrf("/login")
    assert web.client.post("/counter/citizens/new", data={"csrf_token": token, "name": "X"}).status_code == 303


def test_each_login_is_a_separate_session_and_logout_ends_only_its_own(web):
    web.login("operator1")
    first = web.client.cookies[COOKIE]
    web.client.cookies.clear()
    web.login("operator1")  # the same operator on a second browser
    second = web.client.cookies[COOKIE]
    web.logout()
    with_cookie(web, first)
    assert web.get("/counter").status_code == 200
    with_cookie(web, second)
    assert web.get("/counter").status_code == 303


def test_a_password_change_or_deactivation_ends_every_session(web):
    web.login("operator1")
    one = web.client.cookies[COOKIE]
    web.client.cookies.clear()
    web.login("operator1")
    two = web.client.cookies[COOKIE]
    headers = web.api_token("operator1")

    async def change_password():
        user = await User.get(username="operator1")
        await auth.set_password(audit.Actor(None, via="cli"), user, "a-new-password-1")

    web.run(change_password)
    for cookie in (one, two):
        with_cookie(web, cookie)
        assert web.get("/counter").status_code == 303
    assert web.get("/api/v1/services", headers=headers).status_code == 401
    assert all(row.ended_at is not None for row in sessions(web))
    web.client.cookies.clear()
    web.login("operator1", "a-new-password-1")
    live = web.client.cookies[COOKIE]

    async def deactivate():
        await auth.deactivate(audit.Actor(None, via="cli"), await User.get(username="operator1"))

    web.run(deactivate)
    with_cookie(web, live)
    assert web.get("/counter").status_code == 303
    assert all(row.ended_at is not None for row in sessions(web))


def _age(web, **fields) -> None:
    async def update():
        await WebSession.all().update(**fields)

    web.run(update)


def test_sessions_time_out_when_idle_and_after_their_lifetime_and_last_seen_is_written_once_a_minute(web):
    web.login("operator1")
    seen = sessions(web)[0].last_seen_at
    for _ in range(3):
        assert web.get("/counter").status_code == 200
    assert sessions(web)[0].last_seen_at == seen  # no write per request
    now = dt.datetime.now(dt.timezone.utc)
    _age(web, last_seen_at=now - dt.timedelta(hours=7, minutes=59))
    assert web.get("/counter").status_code == 200  # still within 8 hours, and now seen again
    assert sessions(web)[0].last_seen_at > now - dt.timedelta(minutes=1)
    _age(web, last_seen_at=now - dt.timedelta(hours=8, minutes=1))
    assert web.get("/counter").status_code == 303
    assert sessions(web)[0].ended_at is not None
    web.login("operator1")
    _age(web, created_at=now - dt.timedelta(hours=12, minutes=1))  # used a minute ago, but logged in 12 hours ago
    assert web.get("/counter").status_code == 303


def test_a_link_switches_the_language_for_the_visit_only_the_header_form_saves_it(web):
    """GET /lang/hi (a link anyone can plant, even in an image tag) switches this session's pages
    and stores nothing; the header's button posts the form with its CSRF token and saves the
    logged-in user's preference, audited; without the token it is refused."""
    from emitra.core.models import AuditLog, User

    def saved() -> tuple[str, int]:
        async def read():
            return (await User.get(username="operator1")).lang, await AuditLog.filter(action="user.language").count()

        return web.run(read)

    web.login("operator1")
    before = saved()
    switched = web.get("/lang/hi?next=/counter")
    assert switched.status_code == 303 and switched.headers["location"] == "/counter"
    assert 'lang="hi"' in web.get("/counter").text and saved() == before
    page = web.get("/counter").text
    assert '<form method="post" action="/lang/en"' in page
    assert web.client.post("/lang/en", data={"next": "/counter"}).status_code == 403  # no CSRF token
    assert saved() == before
    posted = web.post_form("/lang/en", {"next": "/counter"}, token_from="/counter")
    assert posted.status_code == 303 and posted.headers["location"] == "/counter"
    assert 'lang="en"' in web.get("/counter").text
    away = web.post_form("/lang/hi", {"next": "//evil.example/"}, token_from="/counter")
    assert away.status_code == 303 and not away.headers["location"].startswith("//")
    assert saved() == ("hi", before[1] + 1)  # hi saved and audited ('en' was already the preference)

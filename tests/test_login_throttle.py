"""Brute-force log-in is throttled, in the database, for the log-in page and the API token alike.

Limits by default (core/config.py login_limits): 5 failures of a username from one address, 20 of a
username from anywhere, 50 from one address, within 15 minutes; a lock lasts 15 minutes and doubles
at each further failure.
"""

from __future__ import annotations

import datetime as dt

from emitra.core.models import AuditLog, LoginThrottle

WRONG = "not-the-password"


def post_login(web, username: str, password: str):
    token = web.csrf("/login")
    return web.client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def audit_count(web, action: str) -> int:
    async def count():
        return await AuditLog.filter(action=action).count()

    return web.run(count)


def from_address(web, address: str) -> None:
    """Make the test client's next requests come from ``address`` (as uvicorn reports request.client)."""
    web.client._transport.client = (address, 50000)


def test_five_failures_lock_the_username_the_right_password_is_then_refused_unchecked_and_the_lock_audited(web):
    for attempt in range(5):
        assert post_login(web, "operator1", WRONG).status_code == 400, attempt
    assert audit_count(web, "auth.locked") == 1
    locked = post_login(web, "operator1", "emitra-demo")
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert "Try again after" in locked.text and "फिर से प्रयास करें" in locked.text
    assert "The password was not checked" in locked.text
    # the locked attempt was not checked, not counted as a failure, and nobody is logged in
    assert audit_count(web, "auth.login_failed") == 5
    assert audit_count(web, "auth.login") == 0
    assert web.get("/counter").status_code == 303
    # the lock is in the audit log, with its end
    (entry,) = web.run(lambda: AuditLog.filter(action="auth.locked"))
    assert entry.detail["key"] == "user:operator1@testclient" and entry.ip == "testclient"
    assert entry.detail["failures"] == 5 and entry.detail["limit"] == 5
    assert dt.datetime.fromisoformat(entry.detail["locked_until"]) > dt.datetime.now(dt.timezone.utc)
    # another user at the same address is not affected
    web.login("operator2")


def test_a_success_resets_the_usernames_count(web):
    for _ in range(4):
        assert post_login(web, "operator1", WRONG).status_code == 400
    web.login("operator1")
    web.logout()
    for _ in range(4):
        assert post_login(web, "operator1", WRONG).status_code == 400
    web.login("operator1")  # 4 + 4 failures, but never 5 in a row
    assert audit_count(web, "auth.locked") == 0


def test_a_lock_from_one_address_does_not_lock_the_user_out_elsewhere(web):
    from_address(web, "203.0.113.66")  # the attacker
    for _ in range(6):
        post_login(web, "operator1", WRONG)
    assert post_login(web, "operator1", "emitra-demo").status_code == 429
    from_address(web, "10.20.30.40")  # the operator at the counter
    web.login("operator1")


def test_the_username_is_locked_everywhere_after_failures_from_many_addresses(web, monkeypatch):
    monkeypatch.setenv("EMITRA_LOGIN_MAX_FAILURES_USER", "6")
    for n in range(3):  # 2 failures from each of 3 addresses: none locks its own pair
        from_address(web, f"198.51.100.{n + 1}")
        for _ in range(2):
            assert post_login(web, "operator1", WRONG).status_code == 400
    from_address(web, "10.20.30.40")
    assert post_login(web, "operator1", "emitra-demo").status_code == 429


def test_an_address_trying_many_usernames_is_locked(web, monkeypatch):
    monkeypatch.setenv("EMITRA_LOGIN_MAX_FAILURES_IP", "3")
    for username in ("operator1", "operator2", "lsp"):
        assert post_login(web, username, WRONG).status_code == 400
    assert post_login(web, "society", "emitra-demo").status_code == 429
    from_address(web, "10.20.30.40")
    web.login("society")


def test_each_failure_after_a_lock_doubles_the_next_lock(web):
    for _ in range(5):
        post_login(web, "operator1", WRONG)

    async def expire_and_read(expire: bool):
        rows = await LoginThrottle.filter(key__startswith="user:operator1@")
        assert len(rows) == 1
        if expire:  # the lock has run out (as if 15 minutes had passed)
            rows[0].locked_until = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
            await rows[0].save(update_fields=["locked_until"])
        return rows[0].locked_until

    first = web.run(lambda: expire_and_read(False))
    assert dt.timedelta(minutes=14) < first - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(minutes=15)
    web.run(lambda: expire_and_read(True))
    assert post_login(web, "operator1", WRONG).status_code == 400  # one more guess, then locked again for longer
    second = web.run(lambda: expire_and_read(False))
    assert dt.timedelta(minutes=29) < second - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(minutes=30)
    assert post_login(web, "operator1", "emitra-demo").status_code == 429
    assert audit_count(web, "auth.locked") == 2


def test_the_api_token_is_throttled_with_the_same_counters(web):
    for _ in range(3):
        assert post_login(web, "operator1", WRONG).status_code == 400
    for _ in range(2):
        bad = web.post("/api/v1/token", json={"username": "operator1", "password": WRONG})
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_credentials"
    locked = web.post("/api/v1/token", json={"username": "operator1", "password": "emitra-demo"})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_attempts"
    assert "Try again after" in locked.json()["error"]["message"]
    assert int(locked.headers["retry-after"]) > 0
    assert post_login(web, "operator1", "emitra-demo").status_code == 429  # the page shares the lock
    assert audit_count(web, "auth.token_issued") == 0


def test_a_username_no_account_can_have_is_refused_like_a_wrong_one(web):
    """Longer than any username, or with a NUL byte (which PostgreSQL cannot store): the same
    "wrong username or password" as any other, counted by the throttle, never a server error."""
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', web.client.get("/login").text).group(1)
    for name in ["x" * 200, "oper\x00ator1", "ऑ" * 70]:
        answer = web.client.post("/login", data={"username": name, "password": "nope", "csrf_token": token})
        assert answer.status_code == 400, (name, answer.status_code)
        assert "Wrong username or password" in answer.text


def test_a_password_typed_as_the_username_is_never_stored_yet_its_tries_are_counted(web):
    """Someone types their password into the username box: the audit log and the throttle table
    keep a keyed digest of an unknown username, never the text; the same text tried again is still
    counted as one username and locks after five."""
    typed = "Emitra-Demo-Secret!9"
    for attempt in range(5):
        assert post_login(web, typed, WRONG).status_code == 400, attempt
    assert post_login(web, typed, WRONG).status_code == 429

    async def stored() -> str:
        rows = [str(a.detail) for a in await AuditLog.filter(action__in=["auth.login_failed", "auth.locked"])]
        rows += [t.key for t in await LoginThrottle.all()]
        return " ".join(rows)

    everything = web.run(stored)
    assert "unknown:" in everything and typed.lower() not in everything.lower() and "secret" not in everything.lower()
    post_login(web, "operator2", WRONG)  # a real username is still written as typed: staff see who is being guessed
    assert "user:operator2@testclient" in web.run(stored)


def test_a_lone_surrogate_in_the_log_in_form_is_a_wrong_username_or_password_too(web):
    """A multipart form declaring charset=utf-7 decodes "+2AA-" into a lone surrogate, which no
    database stores (core/text.py). In the username or the password it is a wrong one like any other,
    counted by the throttle and audited; in ``next`` the log-in leads home. Never a server error."""
    from .test_form_nul import multipart

    token = web.csrf("/login")
    for username, password in (("oper\ud800ator1", "nope-nope"), ("operator1", "emitra-demo\ud800")):
        answer = web.client.post("/login", **multipart({"username": username, "password": password, "csrf_token": token}))
        assert answer.status_code == 400, (username, answer.status_code)
        assert "Wrong username or password" in answer.text
    assert audit_count(web, "auth.login_failed") == 2

    async def failures() -> dict[str, int]:
        return {t.key: t.failures for t in await LoginThrottle.filter(key__startswith="user:").exclude(key__contains="@")}

    counted = web.run(failures)  # the unknown username as its keyed digest (core/auth._who), the real one as typed
    assert counted.pop("user:operator1") == 1 and list(counted.values()) == [1] and list(counted)[0].startswith("user:unknown:")
    home = web.client.post("/login", **multipart({"username": "operator1", "password": "emitra-demo", "next": "/counter\udc00",
                                                  "csrf_token": token}))
    assert home.status_code == 303 and home.headers["location"] == "/"

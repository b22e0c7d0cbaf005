"""The day lock on a mobile's sign-in codes lifted at a counter (decision 160).

Decision 143 stopped a mobile's codes being checked for the rest of 24 hours once ten wrong codes
were typed for it, and left its cost: a stranger typing ten wrong codes for someone's number kept
them from signing in by code for a day, with no way back. Now any e-Mitra counter of the district,
the citizen in front of it with an identity document, lifts the lock from the citizen's page
(operators alone, CSRF, POST, audited with the mobile masked, the counters deleted in one
transaction), and the sign-in page tells the citizen so, and when the lock ends.
"""

from __future__ import annotations

import datetime as dt

import pytest

from emitra.core import audit
from emitra.core.models import AuditLog, Citizen, District, LoginThrottle
from emitra.web.templating import local_time
from tests.test_citizen_login import SUNITA, SUNITA_SHOWN, ask_code, from_address, last_code, type_code

LIFTED = "auth.code_lock_lifted"


def _a_quiet_window_passes(web) -> None:
    """The 15-minute counters (mobile's and address's) as after their lock and a quiet window."""
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    web.run(lambda: LoginThrottle.filter(key__startswith="citizen-code:").update(window_start=long_ago, locked_until=long_ago))
    web.run(lambda: LoginThrottle.filter(key__startswith="ip:").update(window_start=long_ago, locked_until=long_ago))


def a_stranger_locks(web, mobile: str = SUNITA) -> None:
    """A stranger, from an address of their own, asks one code for ``mobile`` and types ten wrong
    ones, five at a time, waiting out the 15-minute lock between: the day lock (decision 143)."""
    from_address(web, "203.0.113.66")
    ask_code(web, mobile)
    for _round in range(2):
        assert [type_code(web, "000000").status_code for _attempt in range(5)] == [400] * 5
        _a_quiet_window_passes(web)
    assert type_code(web, "000000").status_code == 429


def day_lock_end(web) -> dt.datetime:
    row = web.run(lambda: LoginThrottle.get(key__startswith="citizen-code-day:"))
    return row.window_start + dt.timedelta(hours=24)


def sunita(web) -> Citizen:
    return web.run(lambda: Citizen.get(mobile=SUNITA))


def test_a_counter_lifts_the_lock_a_stranger_put_on_a_citizens_mobile_and_they_sign_in(web):
    web.login("operator2")
    unlocked = web.get(f"/counter/citizens/{sunita(web).emitra_id}").text
    assert "Sign-in by code locked" not in unlocked and "sign-in-lock" not in unlocked  # none holds: nothing shown
    web.logout()
    a_stranger_locks(web)
    ends = day_lock_end(web)
    # the holder, at home: their right code is refused, and the page says until when and what to do
    web.client.cookies.clear()
    from_address(web, "198.51.100.7")
    ask_code(web, SUNITA)
    refused = type_code(web, last_code(web))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 23 * 3600
    assert f"no code is checked for it until {local_time(ends)}" in refused.text
    assert "Any e-Mitra counter can lift this lock sooner" in refused.text and "identity document" in refused.text
    # at a counter of the district (not the one that registered her): the lock and its end, never a code
    web.login("operator2")
    page = web.get(f"/counter/citizens/{sunita(web).emitra_id}")
    assert f"Sign-in by code locked until {local_time(ends)}" in page.text
    assert last_code(web) not in page.text and 'action="/counter/citizens/' + sunita(web).emitra_id + '/sign-in-lock"' in page.text
    lift = f"/counter/citizens/{sunita(web).emitra_id}/sign-in-lock"
    unticked = web.post_form(lift, {}, token_from=f"/counter/citizens/{sunita(web).emitra_id}")
    assert unticked.status_code == 400 and "Identity seen: tick the box" in unticked.text
    assert web.run(lambda: LoginThrottle.filter(key__startswith="citizen-code-day:").exists())
    lifted = web.post_form(lift, {"identity_seen": "yes"}, token_from=f"/counter/citizens/{sunita(web).emitra_id}")
    assert lifted.status_code == 303 and lifted.headers["location"] == f"/counter/citizens/{sunita(web).emitra_id}#sign-in-lock"
    after = web.get(f"/counter/citizens/{sunita(web).emitra_id}").text
    assert "The sign-in lock is lifted" in after and "Sign-in by code locked until" not in after
    # the mobile's 15-minute counter is gone, its day's count three short of the limit (decision
    # 171); the stranger's address keeps its count
    keys = web.run(lambda: LoginThrottle.all().values_list("key", flat=True))
    assert not [k for k in keys if k.startswith("citizen-code:")]
    assert web.run(lambda: LoginThrottle.get(key__startswith="citizen-code-day:")).failures == 7
    assert "ip:203.0.113.66" in keys
    (record,) = web.run(lambda: AuditLog.filter(action=LIFTED))
    assert record.detail["mobile"] == SUNITA_SHOWN and SUNITA not in str(record.detail)
    assert record.detail["failures"] == 10 and record.detail["identity_seen"] is True and record.detail["codes_until_locked_again"] == 3
    assert record.actor_name == "operator2" and record.counter_id is not None
    assert record.object_type == "Citizen" and record.district_id == sunita(web).district_id
    assert web.run(audit.verify).intact
    # the holder asks a fresh code and signs in
    web.logout()
    ask_code(web, SUNITA)
    assert type_code(web, last_code(web)).headers["location"] == "/my"


def test_a_lifted_lock_allows_three_wrong_codes_then_holds_again_until_its_day_ends(web):
    """Decision 171: a lift gave whoever typed the ten wrong codes ten more; now three, in the same
    24-hour window, after which the lock holds again until that window's end (not a new day's)."""
    a_stranger_locks(web)
    ends = day_lock_end(web)
    web.login("operator2")
    lift = f"/counter/citizens/{sunita(web).emitra_id}/sign-in-lock"
    assert web.post_form(lift, {"identity_seen": "yes"}, token_from=f"/counter/citizens/{sunita(web).emitra_id}").status_code == 303
    web.logout()
    web.client.cookies.clear()
    from_address(web, "203.0.113.67")  # the stranger again, from another address
    ask_code(web, SUNITA)
    assert [type_code(web, "000000").status_code for _attempt in range(3)] == [400] * 3
    _a_quiet_window_passes(web)
    held = type_code(web, "123456")  # the fourth: refused unchecked, the day lock holding again
    assert held.status_code == 429 and f"no code is checked for it until {local_time(ends)}" in held.text
    assert day_lock_end(web) == ends


def test_the_lock_is_told_in_hindi_with_its_end(web):
    a_stranger_locks(web)
    web.get("/lang/hi")
    refused = type_code(web, "123456")
    assert refused.status_code == 429 and local_time(day_lock_end(web)) in refused.text
    assert "ई-मित्र काउंटर" in refused.text and "Any e-Mitra counter" not in refused.text


@pytest.mark.parametrize("who", [None, "citizen", "society", "lsp", "officer"])
def test_only_a_counters_operator_lifts_a_lock(web, who):
    a_stranger_locks(web)
    path = f"/counter/citizens/{sunita(web).emitra_id}/sign-in-lock"
    web.client.cookies.clear()
    if who is None:
        refused = web.client.post(path, data={"identity_seen": "yes"})
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    else:
        web.login(who)
        refused = web.post_form(path, {"identity_seen": "yes"}, token_from="/no-such-page")
        assert refused.status_code == 403
    assert web.run(lambda: LoginThrottle.filter(key__startswith="citizen-code-day:").exists())
    assert not web.run(lambda: AuditLog.filter(action=LIFTED).exists())


def test_an_operator_lifts_no_lock_without_the_token_nor_for_another_districts_citizen(web):
    async def far_citizen():
        other = await District.create(code="JD", name_en="Jodhpur", name_hi="जोधपुर")
        return await Citizen.create(district=other, name="X Y", name_key="x y", date_of_birth="1990-01-01",
                                    mobile="9000000000", emitra_id="JD000000999")

    far = web.run(far_citizen)
    a_stranger_locks(web, "9000000000")
    a_stranger_locks(web)
    web.client.cookies.clear()
    web.login("operator1")
    assert web.post_form(f"/counter/citizens/{far.emitra_id}/sign-in-lock", {"identity_seen": "yes"},
                         token_from="/counter").status_code == 404
    mine = f"/counter/citizens/{sunita(web).emitra_id}/sign-in-lock"
    assert web.client.post(mine, data={"identity_seen": "yes"}).status_code == 403  # no CSRF token
    assert web.client.get(mine).status_code == 405
    assert len(web.run(lambda: LoginThrottle.filter(key__startswith="citizen-code-day:"))) == 2
    assert not web.run(lambda: AuditLog.filter(action=LIFTED).exists())


def test_the_society_sees_the_lock_and_lifts_it_for_a_citizen_at_its_office(web):
    a_stranger_locks(web)
    ends = day_lock_end(web)
    page = "/society/citizen-sign-in"
    web.client.cookies.clear()
    web.login("operator1")
    assert web.post_form(f"{page}/lift-lock", {"citizen": str(sunita(web).id), "identity_seen": "yes"},
                         token_from="/counter").status_code == 403
    web.logout()
    web.login("society")
    found = web.get(page, params={"q": SUNITA}).text
    assert f"Sign-in by code locked until {local_time(ends)}" in found and f'id="lift-{sunita(web).id}"' in found
    unticked = web.post_form(f"{page}/lift-lock", {"citizen": str(sunita(web).id)}, token_from=page)
    assert unticked.status_code == 400 and "Identity seen: tick the box" in unticked.text
    lifted = web.post_form(f"{page}/lift-lock", {"citizen": str(sunita(web).id), "identity_seen": "yes"}, token_from=page)
    assert lifted.status_code == 303
    after = web.get(lifted.headers["location"]).text
    assert "The sign-in lock on the mobile of Sunita Devi is lifted" in after and "Sign-in by code locked until" not in after
    (record,) = web.run(lambda: AuditLog.filter(action=LIFTED))
    assert record.actor_name == "society" and record.detail["mobile"] == SUNITA_SHOWN and SUNITA not in str(record.detail)
    assert web.run(lambda: LoginThrottle.get(key__startswith="citizen-code-day:")).failures == 7  # three codes left (decision 171)
    web.logout()
    ask_code(web, SUNITA)
    assert type_code(web, last_code(web)).headers["location"] == "/my"

"""A citizen's registered mobile changed in the application (core/mobile_change.py,
web/citizen_mobile.py, decision 154): before, no page changed it (only the database).

Through the application's own pages on the suite's database: a code goes to the NEW number by the
outbox, the change happens only when it is typed, the old number gets a notice, the citizen's
other sessions end (audited), a number someone else holds is refused without naming them, asking
and typing are throttled, and a failure half-way changes nothing.
"""

from __future__ import annotations

import re

import pytest

from emitra.core import audit, auth
from emitra.core.models import AuditLog, Citizen, Notification, User, WebSession
from tests.test_citizen_login import RAMESH, SUNITA, ask_code, last_code, type_code

NEW, NEW_SHOWN, SUNITA_SHOWN = "9414011111", "94XXXXXX11", "94XXXXXX65"


def sign_in_sunita(web) -> User:
    ask_code(web, SUNITA)
    assert type_code(web, last_code(web)).headers["location"] == "/my"
    return web.run(lambda: User.get(citizen__name="Sunita Devi"))


def change_code(web, to: str = NEW) -> str:
    async def read():
        note = await Notification.filter(event="mobile_change_code", recipient=to).order_by("-id").first()
        return re.search(r"\b(\d{6})\b", note.body_en).group(1)

    return web.run(read)


def mobile_of(web, name: str) -> str:
    return web.run(lambda: Citizen.get(name=name)).mobile


def rows(web, action: str) -> list[AuditLog]:
    return web.run(lambda: AuditLog.filter(action=action).order_by("id"))


def other_session(web, user: User) -> str:
    """A session of ``user`` in another browser (a phone left signed in)."""
    return web.run(lambda: auth.start_session(user, "10.0.0.9", "another phone"))


def is_open(web, session_id: str) -> bool:
    return web.run(lambda: WebSession.filter(id=auth.session_digest(session_id), ended_at__isnull=True).exists())


def test_a_citizen_changes_their_mobile_with_a_code_sent_to_the_new_number(web):
    login = sign_in_sunita(web)
    elsewhere = other_session(web, login)
    assert 'href="/my/mobile"' in web.get("/my").text
    page = web.get("/my/mobile")
    assert page.status_code == 200 and SUNITA_SHOWN in page.text and SUNITA not in page.text
    asked = web.post_form("/my/mobile", {"mobile": "+91 94140 11111"})
    assert asked.status_code == 303 and asked.headers["location"] == "/my/mobile/code"
    assert mobile_of(web, "Sunita Devi") == SUNITA  # nothing changes before the code is typed
    (note,) = web.run(lambda: Notification.filter(event="mobile_change_code"))
    assert note.recipient == NEW and note.channel == "sms"  # to the new number, not the old
    code = change_code(web)
    assert NEW_SHOWN in web.get("/my/mobile/code").text
    wrong = web.post_form("/my/mobile/code", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "This code is wrong" in wrong.text and mobile_of(web, "Sunita Devi") == SUNITA
    done = web.post_form("/my/mobile/code", {"code": f"{code[:3]} {code[3:]}"})
    assert done.status_code == 303 and done.headers["location"] == "/my/mobile"
    assert mobile_of(web, "Sunita Devi") == NEW
    shown = web.get("/my/mobile")
    assert shown.status_code == 200 and f"now {NEW_SHOWN}" in shown.text
    # this browser proved the new number: it stays signed in; the phone left signed in elsewhere does not
    assert web.get("/my").status_code == 200
    assert not is_open(web, elsewhere)
    # the code is used once, and its message no longer keeps it
    assert web.get("/my/mobile/code").headers["location"] == "/my/mobile"
    assert code not in web.run(lambda: Notification.get(id=note.id)).body_en
    # a notice to the old number, naming the new one masked
    (notice,) = web.run(lambda: Notification.filter(event="mobile_changed"))
    assert notice.recipient == SUNITA and NEW_SHOWN in notice.body_en and NEW not in notice.body_en + notice.body_hi
    # audited, masked: the change and the sessions it ended
    (changed,) = rows(web, "citizen.mobile_changed")
    assert changed.detail["old_mobile"] == SUNITA_SHOWN and changed.detail["new_mobile"] == NEW_SHOWN
    assert changed.detail["by"] == "citizen" and changed.actor_name == login.username
    (ended,) = rows(web, "auth.sessions_ended")
    assert ended.detail["reason"] == "mobile_changed" and ended.detail["sessions_ended"] == 1
    written = "".join(str(r.detail) for r in web.run(lambda: AuditLog.all()))
    assert NEW not in written and SUNITA not in written
    assert web.run(audit.verify).intact
    # signing in again: the new number has the code, the old one nobody any more
    web.logout()
    ask_code(web, NEW)
    assert type_code(web, last_code(web)).headers["location"] == "/my"
    assert web.run(lambda: Notification.filter(event="citizen_code").order_by("-id").first()).recipient == NEW


def test_the_new_number_is_checked_and_the_message_names_the_field_in_english_and_hindi(web):
    sign_in_sunita(web)
    bad = web.post_form("/my/mobile", {"mobile": "12345"})
    assert bad.status_code == 400 and "New mobile number: the 10 digits of an Indian mobile" in bad.text
    assert web.post_form("/my/mobile", {"mobile": "5414011111"}).status_code == 400  # no Indian mobile starts with 5
    same = web.post_form("/my/mobile", {"mobile": SUNITA})
    assert same.status_code == 400 and "already registered" in same.text
    web.get("/lang/hi")
    hindi = web.post_form("/my/mobile", {"mobile": "12345"})
    assert hindi.status_code == 400 and "नया मोबाइल नंबर" in hindi.text and "Indian mobile" not in hindi.text
    assert "पंजीकृत मोबाइल नंबर बदलें" in web.get("/my/mobile").text
    assert not web.run(lambda: Notification.filter(event="mobile_change_code").exists())
    assert mobile_of(web, "Sunita Devi") == SUNITA


def test_a_number_registered_for_someone_else_is_refused_without_saying_whose(web):
    sign_in_sunita(web)
    asked = web.post_form("/my/mobile", {"mobile": RAMESH})
    # asking answers as for any number: only the holder of that phone learns it is registered
    assert asked.status_code == 303 and asked.headers["location"] == "/my/mobile/code"
    refused = web.post_form("/my/mobile/code", {"code": change_code(web, RAMESH)})
    assert refused.status_code == 409 and "already registered for someone else" in refused.text
    assert "Ramesh" not in refused.text and RAMESH not in refused.text
    assert mobile_of(web, "Sunita Devi") == SUNITA and mobile_of(web, "Ramesh Kumar Sharma") == RAMESH
    assert not rows(web, "citizen.mobile_changed") and not web.run(lambda: Notification.filter(event="mobile_changed").exists())
    (entry,) = rows(web, "citizen.mobile_change_refused")
    assert entry.detail["reason"] == "taken" and entry.detail["new_mobile"] == "98XXXXXX45"


def test_codes_asked_and_wrong_codes_are_throttled_as_sign_in_codes_are(web):
    sign_in_sunita(web)
    for n in range(3):  # three codes an hour for one citizen, whichever numbers
        assert web.post_form("/my/mobile", {"mobile": f"941401111{n}"}).status_code == 303
    fourth = web.post_form("/my/mobile", {"mobile": "9414011119"})
    assert fourth.status_code == 429 and "Too many codes" in fourth.text and int(fourth.headers["Retry-After"]) > 0
    code = change_code(web, "9414011112")
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(5):
        assert web.post_form("/my/mobile/code", {"code": wrong}).status_code == 400, attempt
    locked = web.post_form("/my/mobile/code", {"code": code}, token_from="/my/mobile")
    assert locked.status_code == 429 and "The code was not checked" in locked.text and int(locked.headers["Retry-After"]) > 0
    assert mobile_of(web, "Sunita Devi") == SUNITA
    (lock,) = rows(web, "auth.code_locked")
    assert lock.district_id == web.run(lambda: Citizen.get(name="Sunita Devi")).district_id
    assert rows(web, "auth.code_failed") and all("9414011112" not in str(r.detail) for r in rows(web, "auth.code_failed"))


def test_only_the_signed_in_citizen_changes_their_own_and_every_form_needs_its_token(web):
    assert web.get("/my/mobile").headers["location"] == "/my/login?next=/my/mobile"
    login = sign_in_sunita(web)
    token = web.csrf("/my/mobile")
    assert web.client.post("/my/mobile", data={"mobile": NEW}).status_code == 403  # no CSRF token
    assert web.client.post("/my/mobile", data={"mobile": NEW, "csrf_token": token + "x"}).status_code == 403
    assert not web.run(lambda: Notification.filter(event="mobile_change_code").exists())
    assert web.post_form("/my/mobile", {"mobile": NEW}).status_code == 303
    code = change_code(web)
    # another citizen (the demo's `citizen`, Ramesh, signed in with a password) cannot type Sunita's code
    web.logout()
    web.login("citizen")
    assert web.get("/my/mobile/code").headers["location"] == "/my/mobile"
    assert web.post_form("/my/mobile/code", {"code": code}, token_from="/my/mobile").status_code == 400
    assert mobile_of(web, "Sunita Devi") == SUNITA and mobile_of(web, "Ramesh Kumar Sharma") == RAMESH
    # staff are not citizens
    web.logout()
    web.login("operator1")
    assert web.get("/my/mobile").status_code == 403
    assert login.username.startswith("citizen:")


def test_a_password_login_changes_its_mobile_and_stays_signed_in(web):
    web.login("citizen")  # Ramesh, linked by hand
    assert web.post_form("/my/mobile", {"mobile": NEW}).status_code == 303
    assert web.post_form("/my/mobile/code", {"code": change_code(web)}).headers["location"] == "/my/mobile"
    assert mobile_of(web, "Ramesh Kumar Sharma") == NEW and web.get("/my").status_code == 200


def test_a_failure_half_way_changes_nothing(web_answering_errors, monkeypatch):
    web = web_answering_errors
    login = sign_in_sunita(web)
    elsewhere = other_session(web, login)
    assert web.post_form("/my/mobile", {"mobile": NEW}).status_code == 303
    code = change_code(web)
    from emitra.core import notify

    queue = notify.queue_sms

    async def failing(event, *args, **kwargs):
        if event == "mobile_changed":
            raise RuntimeError("the outbox's table is full")
        return await queue(event, *args, **kwargs)

    monkeypatch.setattr(notify, "queue_sms", failing)
    assert web.post_form("/my/mobile/code", {"code": code}).status_code == 500
    assert mobile_of(web, "Sunita Devi") == SUNITA
    assert is_open(web, elsewhere)
    assert not rows(web, "citizen.mobile_changed") and not rows(web, "auth.sessions_ended")
    assert web.run(audit.verify).intact


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_an_operator_changes_the_mobile_of_a_citizen_at_the_counter(web, lang):
    sunita = web.run(lambda: Citizen.get(name="Sunita Devi"))
    sign_in_sunita(web)
    login = web.run(lambda: User.get(citizen_id=sunita.id))
    phone = other_session(web, login)
    web.logout()
    web.login("operator1")
    web.get(f"/lang/{lang}")
    base = f"/counter/citizens/{sunita.emitra_id}/mobile"
    assert f'href="{base}"' in web.get(f"/counter/citizens/{sunita.emitra_id}").text
    bad = web.post_form(base, {"mobile": "99"})
    assert bad.status_code == 400 and ("New mobile number" if lang == "en" else "नया मोबाइल नंबर") in bad.text
    assert web.post_form(base, {"mobile": NEW}).headers["location"] == f"{base}/code"
    assert mobile_of(web, "Sunita Devi") == SUNITA
    assert web.post_form(f"{base}/code", {"code": change_code(web)}).headers["location"] == base
    assert mobile_of(web, "Sunita Devi") == NEW and NEW_SHOWN in web.get(base).text
    assert not is_open(web, phone)  # every session of hers ends: none proved the new number
    (changed,) = rows(web, "citizen.mobile_changed")
    assert changed.detail["by"] == "counter" and changed.actor_name == "operator1" and changed.counter_id
    assert web.run(lambda: Notification.get(event="mobile_changed")).recipient == SUNITA
    # a citizen cannot use the counter's page
    web.logout()
    web.login("citizen")
    assert web.get(base).status_code == 403


def test_a_number_made_theirs_meanwhile_is_not_changed_twice(web):
    web.login("citizen")  # Ramesh's demo login, linked by hand, with a password
    assert web.post_form("/my/mobile", {"mobile": NEW}).status_code == 303
    code = change_code(web)
    web.run(lambda: Citizen.filter(name="Ramesh Kumar Sharma").update(mobile=NEW))  # a counter, meanwhile
    same = web.post_form("/my/mobile/code", {"code": code})
    assert same.status_code == 400 and "this is the number already registered" in same.text
    assert not rows(web, "citizen.mobile_changed") and not web.run(lambda: Notification.filter(event="mobile_changed").exists())
    assert rows(web, "citizen.mobile_change_refused")[0].detail["reason"] == "same"

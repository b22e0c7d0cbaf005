"""A citizen signs in with a code sent by SMS to the mobile registered for them at a counter
(core/citizen_login.py, web/citizen_login.py, decision 129): no login was possible before but a
`User` linked by hand (the demo `citizen`).

Through the application's own pages (Starlette's TestClient), on the suite's database: the code
goes out through the outbox to a real transport plugin at once, is kept only as a keyed hash,
signs in once, in a new session; the page says the same for an unknown mobile; codes sent and
wrong codes are limited per mobile and per address, and the limits and sign-ins are audited with
the mobile masked; a family's shared mobile chooses whose applications to open.
"""

from __future__ import annotations

import datetime as dt
import re

from emitra.core import citizen_login, notify
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, CitizenCode, LoginThrottle, Notification, User
from tests.case_helpers import pay
from tests.test_notify import Registered, SmsRecorder

SUNITA, SUNITA_SHOWN = "9414098765", "94XXXXXX65"
RAMESH = "9829012345"
COOKIE = "emitra_session"
BILL = "gov.rj.jvvnl.bill"


def ask_code(web, mobile: str, lang: str = ""):
    if lang:
        web.get(f"/lang/{lang}")
    return web.post_form("/my/login", {"mobile": mobile})


def type_code(web, code: str):
    return web.post_form("/my/login/code", {"code": code})


def last_code(web) -> str:
    """The code of the newest sign-in message kept in the outbox (no transport installed)."""
    async def read():
        note = await Notification.filter(event="citizen_code").order_by("-id").first()
        return re.search(r"\b(\d{6})\b", note.body_en).group(1)

    return web.run(read)


def audit_rows(web, action: str) -> list[AuditLog]:
    return web.run(lambda: AuditLog.filter(action=action).order_by("id"))


def from_address(web, address: str) -> None:
    web.client._transport.client = (address, 50000)


def test_a_citizen_signs_in_with_a_code_sent_by_sms_and_sees_their_own_applications(web):
    bill = web.run(lambda: pay(BILL, {"k_number": "210412345678"}, "bill-sunita", citizen="Sunita Devi")).receipt_no
    # a visitor finds the way from the home page's log-in form, the menu and /track
    home = web.get("/")
    assert home.status_code == 303 and home.headers["location"].startswith("/login")
    for path in ("/login", "/track"):
        assert 'href="/my/login' in web.get(path).text, path
    assert web.get("/my").headers["location"] == "/my/login?next=/my"
    with Registered(SmsRecorder(), "sms-recorder") as sms:
        asked = ask_code(web, "+91 94140 98765")
        assert asked.status_code == 303 and asked.headers["location"] == "/my/login/code"
        (message,) = sms.received  # sent at once, not at cron's next run
    assert message.recipient == SUNITA and message.event == "citizen_code" and message.channel == "sms"
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    assert f"your sign-in code is {code}, valid for 10 minutes" in message.body_en and code in message.body_hi
    assert not message.unicode or message.lang == "hi"
    page = web.get("/my/login/code")
    assert SUNITA_SHOWN in page.text and SUNITA not in page.text and 'autocomplete="one-time-code"' in page.text
    # nothing stored keeps the code: the row a keyed hash, the outbox's message (sent) written XXXXXX
    row, note = web.run(lambda: CitizenCode.get(mobile=SUNITA)), web.run(lambda: Notification.get(event="citizen_code"))
    assert code not in row.code_hash and code not in note.body_en + note.body_hi and "XXXXXX" in note.body_en
    assert note.status == "sent"
    planted = web.client.cookies[COOKIE]
    signed = type_code(web, f" {code[:3]} {code[3:]} ")  # as read out from the SMS
    assert signed.status_code == 303 and signed.headers["location"] == "/my"
    mine = web.get("/my")
    assert mine.status_code == 200 and f'href="/my/{bill}"' in mine.text and "Sunita Devi" in mine.text
    assert web.get(f"/my/{bill}").status_code == 200
    # a new session: the cookie held before the code opens nothing (no session fixation)
    signed_in = web.client.cookies[COOKIE]
    assert signed_in != planted
    web.client.cookies.clear()
    web.client.cookies.set(COOKIE, planted)
    assert web.get("/my").status_code == 303
    web.client.cookies.set(COOKIE, signed_in)
    user = web.run(lambda: User.get(citizen__mobile=SUNITA))
    assert user.role.value == "citizen" and user.full_name == "Sunita Devi"
    # in the audit log, the mobile masked
    (sent,) = audit_rows(web, "auth.code_sent")
    (login,) = audit_rows(web, "auth.code_login")
    assert sent.detail["mobile"] == login.detail["mobile"] == SUNITA_SHOWN and login.actor_id == user.id
    everything = " ".join(str(r.detail) for r in web.run(lambda: AuditLog.all()))
    assert SUNITA not in everything
    assert not web.run(lambda: LoginThrottle.filter(key__contains=SUNITA).exists())
    # signed out, back to the citizen's sign-in; the code is used up
    web.logout()
    assert web.get("/my").status_code == 303
    ask_code(web, SUNITA)
    assert type_code(web, code).status_code == 400


def test_an_unknown_mobile_gets_the_same_answer_and_no_message(web):
    asked = ask_code(web, "9000000001")
    assert asked.status_code == 303 and asked.headers["location"] == "/my/login/code"
    page = web.get("/my/login/code").text
    assert "90XXXXXX01" in page and "If 90XXXXXX01 is registered" in page
    assert not web.run(lambda: Notification.filter(event="citizen_code").exists())
    # in place of a code, a row that opens nothing: no number, no hash, no message (decision 137)
    (row,) = web.run(lambda: CitizenCode.all())
    assert row.mobile == "" and row.code_hash == "" and row.notification_id is None
    assert "9000000001" not in str(web.run(lambda: AuditLog.filter(action="auth.code_unregistered").values_list("detail", flat=True)))
    wrong = type_code(web, "123456")
    assert wrong.status_code == 400 and "wrong, already used or expired" in wrong.text
    assert web.get("/my").status_code == 303
    # a mobile that is not ten digits is named, in Hindi too
    assert "Mobile number: the 10 digits" in ask_code(web, "12345").text
    assert "मोबाइल नंबर" in ask_code(web, "12345", lang="hi").text


def _writes(web, mobile: str) -> tuple[int, dict[str, int]]:
    """The SQL statements asking for a code for ``mobile`` runs (the request's own work, without the
    delivery after the answer), and the rows it writes, by table."""
    from tests.test_society_today import _queries

    with _queries() as seen:  # the request counted, then the code made (after the page's answer, decision 143)
        sent = web.run(lambda: citizen_login.count_request(mobile, "203.0.113.9"))
        note_id = web.run(lambda: citizen_login.send_code(Actor(None, ip="203.0.113.9"), mobile, "203.0.113.9", "en"))
    assert sent.refused == ""
    if note_id is not None:  # as the page does after answering
        web.run(lambda: citizen_login.deliver_now(note_id))
    writes: dict[str, int] = {}
    for statement in seen:  # PostgreSQL's audit record is one statement writing two tables (WITH ins AS (INSERT ...) UPDATE)
        for _verb, table in re.findall(r'(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', statement.split(": [")[0]):
            writes[table] = writes.get(table, 0) + 1
    return len(seen), writes


def test_asking_for_an_unknown_mobile_does_the_same_database_work_as_for_a_registered_one(web):
    """A registered mobile's request wrote a code, a message and an audit record in a transaction; an
    unknown one's wrote nothing beyond the counters: the time the page took told whether a mobile is
    registered (decision 137). Now the same look-ups and the same writes but the message."""
    _writes(web, "9000000009")  # the address's counter made (each mobile's is made at its first ask alike)
    with Registered(SmsRecorder(), "sms-recorder") as sms:
        for _ask in range(2):  # the first code, then one that replaces it
            known_count, known = _writes(web, SUNITA)
            unknown_count, unknown = _writes(web, "9000000001")
            assert known.pop("notification") == 1  # the SMS: never queued for a stranger's number
            assert unknown == known and unknown["citizen_code"] == 2 and unknown["audit_log"] == 1
            # the message's insert, and on a second ask the look-up of the replaced code's message
            assert known_count - unknown_count in (1, 2), (known_count, unknown_count)
    assert len(sms.received) == 2


def test_the_sms_is_in_the_citizens_language_within_one_part_in_english(web):
    web.run(_pay_hindi)
    ask_code(web, "8003344556", lang="en")  # the page is English; Geeta chose Hindi at the counter
    note = web.run(lambda: Notification.get(event="citizen_code"))
    assert note.lang == "hi" and note.district_id is not None
    english, hindi = citizen_login.sms_texts("042917", 10)
    assert notify.is_gsm(english) and notify.sms_parts(english) == 1
    assert notify.sms_parts(hindi) <= 2 and "042917" in hindi


async def _pay_hindi():
    from emitra.core.models import ServiceRequest

    request = await pay(BILL, {"k_number": "210412345678"}, "bill-geeta", citizen="Geeta Meena")
    await ServiceRequest.filter(id=request.id).update(message_lang="hi")  # Geeta's choice at the counter


def test_five_wrong_codes_lock_the_mobile_unchecked_and_the_lock_is_audited(web):
    ask_code(web, SUNITA)
    code = last_code(web)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in range(5):
        assert type_code(web, wrong).status_code == 400, attempt
    locked = type_code(web, code)
    assert locked.status_code == 429 and "The code was not checked" in locked.text
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    (lock,) = audit_rows(web, "auth.code_locked")
    assert lock.detail["mobile"] == SUNITA_SHOWN and lock.detail["failures"] == 5 and SUNITA not in lock.detail["key"]
    sunita_district = web.run(lambda: Citizen.get(mobile=SUNITA)).district_id
    assert lock.district_id == sunita_district  # on the Society's home page
    assert len(audit_rows(web, "auth.code_failed")) == 5
    # the lock ended the code: once the lock is over it still does not sign in
    web.run(lambda: LoginThrottle.filter(key__startswith="citizen-code:").update(locked_until=None, failures=0))
    assert type_code(web, code).status_code == 400
    assert web.get("/my").status_code == 303
    # the lock message in Hindi
    web.run(lambda: LoginThrottle.filter(key__startswith="citizen-code:").update(
        locked_until=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=15)))
    web.get("/lang/hi")
    assert "कोड की जाँच नहीं की गई" in type_code(web, code).text


def test_codes_are_limited_per_mobile_known_or_not_and_per_address(web, monkeypatch):
    for mobile in (SUNITA, "9000000001"):
        for attempt in range(3):
            assert ask_code(web, mobile).status_code == 303, (mobile, attempt)
        refused = ask_code(web, mobile)
        assert refused.status_code == 429 and "for this mobile number in the last hour" in refused.text, mobile
        assert int(refused.headers["retry-after"]) > 0
    assert web.run(lambda: Notification.filter(event="citizen_code").count()) == 3
    # only the newest code is good: each new one ends the ones before
    assert web.run(lambda: CitizenCode.filter(used_at=None).exclude(mobile="").count()) == 1
    monkeypatch.setenv("EMITRA_CITIZEN_CODES_PER_ADDRESS_HOUR", "7")
    assert ask_code(web, "9000000002").status_code == 303
    refused = ask_code(web, "9000000003")
    assert refused.status_code == 429 and "from this connection" in refused.text
    from_address(web, "10.1.2.3")
    assert ask_code(web, "9000000003").status_code == 303


def test_an_expired_code_does_not_sign_in(web):
    ask_code(web, SUNITA)
    code = last_code(web)
    web.run(lambda: CitizenCode.all().update(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    assert type_code(web, code).status_code == 400
    assert web.get("/my").status_code == 303


def test_both_forms_need_the_sessions_csrf_token(web):
    web.get("/my/login")
    assert web.client.post("/my/login", data={"mobile": SUNITA}).status_code == 403
    assert not web.run(lambda: Notification.filter(event="citizen_code").exists())
    ask_code(web, SUNITA)
    code = last_code(web)
    assert web.client.post("/my/login/code", data={"code": code}).status_code == 403
    assert type_code(web, code).status_code == 303


def test_a_family_sharing_a_mobile_chooses_whose_applications_and_switches_without_a_new_code(web):
    async def family():
        ramesh = await Citizen.get(mobile=RAMESH)
        await Citizen.create(district_id=ramesh.district_id, emitra_id="JP-FAMILY-0001", name="Kamla Sharma", name_key="kamla sharma",
                             date_of_birth=dt.date(1981, 5, 9), mobile=RAMESH)
        return ramesh.aadhaar_masked, (await pay(BILL, {"k_number": "210412345678"}, "bill-ramesh")).receipt_no

    aadhaar, bill = web.run(family)
    assert aadhaar
    ask_code(web, RAMESH)
    chosen = type_code(web, last_code(web))
    assert chosen.status_code == 303 and chosen.headers["location"] == "/my/login/choose"
    assert web.get("/my").status_code == 303  # not signed in until a person is chosen
    page = web.get("/my/login/choose").text
    assert "Ramesh Kumar Sharma" in page and "Kamla Sharma" in page
    assert aadhaar not in page and aadhaar[-4:] not in page and "234123412346" not in page
    kamla = web.run(lambda: Citizen.get(name="Kamla Sharma")).id
    before = web.client.cookies[COOKIE]
    assert web.post_form("/my/login/choose", {"citizen": str(kamla)}, "/my/login/choose").headers["location"] == "/my"
    mine = web.get("/my")
    assert "Kamla Sharma" in mine.text and bill not in mine.text and 'id="switch"' in mine.text
    assert web.get(f"/my/{bill}").status_code == 404
    # switching: another new session, the one signed in by password for Ramesh (the demo's `citizen`) used
    ramesh = web.run(lambda: Citizen.get(name="Ramesh Kumar Sharma")).id
    middle = web.client.cookies[COOKIE]
    assert web.post_form("/my/login/choose", {"citizen": str(ramesh)}, "/my/login/choose").status_code == 303
    assert web.client.cookies[COOKIE] not in (before, middle)
    assert bill in web.get("/my").text
    logins = audit_rows(web, "auth.code_login")
    assert [r.detail.get("switched_from") for r in logins] == [None, f"citizen:{kamla}"]
    assert web.run(lambda: User.get(id=logins[-1].actor_id)).username == "citizen"
    # someone else's citizen is not among the choices
    sunita = web.run(lambda: Citizen.get(mobile=SUNITA)).id
    assert web.post_form("/my/login/choose", {"citizen": str(sunita)}, "/my/login/choose").status_code == 400
    # a password's sign-in (no code) offers no switch
    web.logout()
    web.login("citizen")
    assert 'id="switch"' not in web.get("/my").text
    assert web.get("/my/login/choose").headers["location"] == "/my/login"


def test_a_login_the_society_deactivated_is_not_signed_in_by_a_code(web):
    web.run(lambda: User.filter(username="citizen").update(active=False))
    ask_code(web, RAMESH)
    stopped = type_code(web, last_code(web))
    assert stopped.status_code == 403 and "stopped by the District e-Mitra Society" in stopped.text
    assert web.get("/my").status_code == 303


def test_the_society_reads_the_outbox_without_the_code(web):
    ask_code(web, SUNITA)
    code = last_code(web)  # kept: no transport installed
    web.login("society")
    outbox = web.get("/admin/outbox").text
    assert "Sign-in code" in outbox and code not in outbox and "XXXXXX" in outbox
    web.logout()
    ask_code(web, SUNITA)  # a new code: the last one's message loses its code
    assert code not in web.run(lambda: Notification.filter(event="citizen_code").order_by("id").first()).body_en


def test_the_society_stops_one_citizens_sign_in_and_their_open_session_ends(web):
    """`emitra user deactivate` took only operators and LSP admins: nothing stopped one citizen's
    sign-in (decision 133). The Society's admin stops it by the login's username or the citizen's
    e-Mitra ID; the open session ends at its next request; a reactivated citizen signs in again."""
    from emitra.core.ids import format_emitra_id
    from emitra.core.onboarding import deactivate_user, reactivate_user
    from tests.case_helpers import as_user, refused

    ask_code(web, SUNITA)
    assert type_code(web, last_code(web)).headers["location"] == "/my"
    assert web.get("/my").status_code == 200
    sunita = web.run(lambda: Citizen.get(mobile=SUNITA))
    login = f"citizen:{sunita.id}"
    # the district Society's admin does it: an LSP admin or an operator may not
    for who in ("lsp", "operator1"):
        assert "the Society's admin of the citizen's district" in refused(
            web, lambda: as_user(who, deactivate_user, login), "--as")
    stopped = web.run(lambda: as_user("society", deactivate_user, login, "Phone lost"))
    assert stopped.username == login and not stopped.active
    assert web.get("/my").headers["location"] == "/my/login?next=/my"  # the open session ended
    entry = audit_rows(web, "user.deactivated")[-1]
    assert entry.actor_name == "society" and entry.object_id == str(stopped.id) and entry.detail["sessions_ended"] == 1
    ask_code(web, SUNITA)
    page = type_code(web, last_code(web))
    assert page.status_code == 403 and "stopped by the District e-Mitra Society" in page.text
    # let in again, by the citizen's e-Mitra ID as the counter's card writes it
    again = web.run(lambda: as_user("society", reactivate_user, format_emitra_id(sunita.emitra_id).lower(), "Phone found"))
    assert again.id == stopped.id and again.active and audit_rows(web, "user.reactivated")[-1].object_id == str(stopped.id)
    ask_code(web, SUNITA)
    assert type_code(web, last_code(web)).headers["location"] == "/my" and web.get("/my").status_code == 200


def test_a_citizen_who_never_signed_in_is_stopped_before_their_first_sign_in(web):
    from emitra.core.onboarding import deactivate_user, reactivate_user
    from tests.case_helpers import as_user, refused

    geeta = web.run(lambda: Citizen.get(name="Geeta Meena"))
    assert "has never signed in" in refused(web, lambda: as_user("society", reactivate_user, geeta.emitra_id), "USERNAME")
    assert "is no operator, LSP admin or admin" in refused(web, lambda: as_user("society", deactivate_user, "JP-00000999-0"),
                                                           "USERNAME")
    made = web.run(lambda: as_user("society", deactivate_user, geeta.emitra_id, "Phone stolen"))
    assert made.username == f"citizen:{geeta.id}" and not made.active and made.citizen_id == geeta.id
    assert [r.action for r in web.run(lambda: AuditLog.filter(object_id=str(made.id)).order_by("id"))] == \
        ["user.citizen_login_created", "user.deactivated"]
    ask_code(web, geeta.mobile)
    assert type_code(web, last_code(web)).status_code == 403


def test_a_changed_mobile_ends_the_session_its_code_opened(web):
    """A session signed in by a code sent to the citizen's old mobile lasted until it timed out
    after the counter changed their mobile: the code proved a phone no longer theirs."""
    ask_code(web, SUNITA)
    assert type_code(web, last_code(web)).headers["location"] == "/my"
    assert web.get("/my").status_code == 200
    sid = web.run(lambda: User.get(username__startswith="citizen:")).id

    async def new_mobile(name: str, mobile: str):
        citizen = await Citizen.get(name=name)
        citizen.mobile = mobile
        await citizen.save(update_fields=["mobile"])

    web.run(lambda: new_mobile("Sunita Devi", "9414011111"))
    assert web.get("/my").headers["location"] == "/my/login?next=/my"
    from emitra.core.models import WebSession

    assert not web.run(lambda: WebSession.filter(user_id=sid, ended_at__isnull=True).exists())
    # a login signed in by its password (the demo's `citizen`) proved no mobile: it stays
    web.login("citizen")
    web.run(lambda: new_mobile("Ramesh Kumar Sharma", "9829099999"))
    assert web.get("/my").status_code == 200


def test_a_session_a_changed_mobile_ends_is_in_the_audit_log_with_no_number(web):
    """The change of mobile ended the session signed in by a code sent to the old one, but the log
    did not say so: who, why, how many sessions. Recorded once, naming the login, never a mobile or
    the session's id (decision 145)."""
    ask_code(web, SUNITA)
    assert type_code(web, last_code(web)).headers["location"] == "/my"
    assert web.get("/my").status_code == 200
    login = web.run(lambda: User.get(username__startswith="citizen:"))
    sid = web.client.cookies[COOKIE]
    assert not audit_rows(web, "auth.sessions_ended")

    async def new_mobile():
        await Citizen.filter(name="Sunita Devi").update(mobile="9414011111")

    web.run(new_mobile)
    assert web.get("/my").headers["location"] == "/my/login?next=/my"
    assert web.get("/my").headers["location"] == "/my/login?next=/my"  # asked again: nothing more to record
    (entry,) = audit_rows(web, "auth.sessions_ended")
    assert entry.object_type == "User" and entry.object_id == str(login.id) and entry.actor_name == login.username
    assert entry.detail == {"via": "web", "username": login.username, "reason": "mobile_changed", "sessions_ended": 1}
    written = str(entry.detail) + entry.actor_name
    assert "9414011111" not in written and SUNITA not in written and SUNITA_SHOWN not in written and sid not in written
    from emitra.core import audit

    assert web.run(audit.verify).intact

"""Notifications: bilingual messages in the outbox, delivery through transport plugins, the outbox page and CLI."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from emitra.core import hookimpl, notify, workflow
from emitra.core.models import Case, District, Notification
from emitra.core.plugins import get_host
from tests.case_helpers import actor, caste_case, grievance_case

MOBILE, MASKED = "9829012345", "98XXXXXX45"
EMITRA = str(Path(sys.executable).parent / "emitra")


class SmsRecorder:
    """A real transport plugin: sends SMS (records them), declines email."""

    def __init__(self):
        self.received: list[notify.Message] = []

    @hookimpl
    def emitra_send_notification(self, message):
        if message.channel != "sms":
            return None
        self.received.append(message)
        return True


class BrokenGateway:
    """An SMS gateway that is down, and names the number in its error (as real ones do)."""

    def __init__(self):
        self.calls = 0

    @hookimpl
    def emitra_send_notification(self, message):
        if message.channel != "sms":
            return None
        self.calls += 1
        raise ConnectionError(f"gateway refused {message.recipient}: 503")


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


class Registered:
    def __init__(self, plugin, name):
        self.plugin, self.name = plugin, name

    def __enter__(self):
        get_host().pm.register(self.plugin, name=self.name)
        return self.plugin

    def __exit__(self, *exc):
        get_host().pm.unregister(self.plugin, name=self.name)


# --- the messages ---------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_the_citizen_is_told_of_each_step_in_english_and_hindi(demo_db):
    case = await caste_case()
    case = await workflow.act(await actor("tehsildar"), case, "return", "Father's name differs from the ration card")
    case = await workflow.act(await actor("operator1"), case, "resubmit", "Father's name corrected")
    case = await workflow.act(await actor("tehsildar"), case, "approve")
    case = await workflow.act(await actor("tehsildar"), case, "issue")
    notes = await Notification.filter(case_id=case.id).order_by("id")
    assert [n.event for n in notes] == ["submitted", "state_changed", "state_changed", "state_changed", "state_changed", "ready"]
    assert {n.channel for n in notes} == {"sms"} and {n.recipient for n in notes} == {MOBILE}
    opened, forwarded, returned, *_, ready = notes
    assert opened.body_en.startswith("e-Mitra: your application for Caste certificate")
    assert f"registered, number {case.number}. Expected by " in opened.body_en
    assert "जाति प्रमाण पत्र" in opened.body_hi and f"आवेदन दर्ज, संख्या {case.number}" in opened.body_hi
    assert "is now: With the department" in forwarded.body_en and "): विभाग के पास।" in forwarded.body_hi
    # sent back for correction: where to go to correct it, then the department's reason, then where to read more
    assert returned.body_en.endswith("is now: Sent back for correction. Take your receipt to LokMitra Centre, Malviya Nagar "
                                     "(JP-LM-001) to correct it. Reason: Father's name differs from the ration card. "
                                     "Details: http://127.0.0.1:8000/track")
    # in Hindi two parts hold the step and where to go (the counter's Hindi name, decision 128); the reason is on /track
    assert "): सुधार हेतु लौटाया गया। रसीद लेकर लोकमित्" in returned.body_hi and "(JP-LM-001) जाएँ।" in returned.body_hi
    assert returned.body_hi.endswith(" http://127.0.0.1:8000/track")
    assert "is ready. Collect it at LokMitra Centre, Malviya Nagar (JP-LM-001) with your receipt." in ready.body_en
    assert "तैयार है। रसीद लेकर लोकमित्र केंद्र, मालवीय नगर (JP-LM-001) से लें।" in ready.body_hi
    for n in notes:
        assert case.number in n.body_en and case.number in n.body_hi
        assert notify.sms_parts(n.body_en) <= 2 and notify.sms_parts(n.body_hi) <= 2
        assert re.search(r"[\u0900-\u097F]", n.body_hi) and not re.search(r"[\u0900-\u097F]", n.body_en)


@pytest.mark.anyio
async def test_a_grievance_is_acknowledged_naming_the_department_it_went_to(demo_db):
    case = await grievance_case()
    opened = await Notification.get(case_id=case.id, event="submitted")
    assert opened.recipient == "9414098765"
    assert opened.body_en.startswith(f"e-Mitra: your grievance to Public Health Engineering (water supply) is registered, number {case.number}.")
    # the Hindi SMS names the department in Hindi (it gave the English name)
    assert f"जन स्वास्थ्य अभियांत्रिकी (जल… को शिकायत दर्ज, संख्या {case.number}।" in opened.body_hi  # shortened to fit two parts
    case = await workflow.act(await actor("phed"), case, "resolve", "Supply restored on 27 November; the main valve was replaced.")
    resolved = await Notification.filter(case_id=case.id, event="state_changed").order_by("-id").first()
    # the reply within its two DLT variables of 30 characters (decision 165), cut at a word's end; /track has it whole
    assert "is now: Resolved. Reply: Supply restored on 27 November; the main valve... Details: " in resolved.body_en
    assert "): निस्तारित। उत्तर: Supply restored" in resolved.body_hi


def test_the_counters_resubmit_remark_never_reaches_the_citizen_as_tracking_hides_it(web):
    """docs/citizens.md: remarks written at the counter may describe the citizen's papers; the SMS and
    the email say the step, as /track does, without them. The department's reason still goes out."""
    case = web.run(caste_case)
    web.run(lambda: Case.filter(id=case.id).update(email="lakshmi@example.org"))
    web.login("tehsildar")
    returned = web.post_form(f"/office/cases/{case.id}/act", {"action": "return", "remark": "Attach an affidavit for the father's name"},
                             token_from=f"/office/cases/{case.id}")
    assert returned.status_code == 303
    web.logout()
    web.login("operator1")
    counter_remark = "Checked ration card 0812-3345 and the school register; father's name corrected"
    done = web.post_form(f"/counter/cases/{case.id}/act", {"action": "resubmit", "remark": counter_remark}, token_from="/counter/cases")
    assert done.status_code == 303

    async def messages():
        return await Notification.filter(case_id=case.id, event="state_changed").order_by("id")

    *_, sent_back_sms, sent_back_email, resubmitted_sms, resubmitted_email = web.run(messages)
    assert "Reason: Attach an affidavit for the father's name" in sent_back_sms.body_en  # the department's: told
    assert "कारण: Attach an affidavit" in sent_back_email.body_hi
    assert resubmitted_sms.body_en.endswith("is now: With the department. Details: http://127.0.0.1:8000/track")
    assert resubmitted_sms.body_hi.endswith("): विभाग के पास। विवरण: http://127.0.0.1:8000/track")
    assert resubmitted_email.body_en.endswith("is now: With the department.")
    assert resubmitted_email.body_hi.endswith("की स्थिति अब: विभाग के पास।")
    for note in (resubmitted_sms, resubmitted_email):
        for body in (note.body_en, note.body_hi):
            assert "ration card" not in body and "0812" not in body and "Reason" not in body and "कारण" not in body
    web.logout()
    tracked = web.post_form("/track", {"number": case.number, "mobile": MOBILE})
    assert "Attach an affidavit" in tracked.text and "ration card 0812" not in tracked.text


@pytest.mark.anyio
async def test_a_long_reason_is_shortened_in_the_sms_and_given_whole_by_email(demo_db):
    case = await caste_case()
    await Case.filter(id=case.id).update(email="lakshmi@example.org")
    case = await Case.get(id=case.id)
    reason = "The ration card does not list the applicant. " * 20
    case = await workflow.act(await actor("tehsildar"), case, "reject", reason)
    sms = await Notification.get(case_id=case.id, event="state_changed", channel="sms", body_en__contains="Rejected")
    email = await Notification.get(case_id=case.id, event="state_changed", channel="email")
    # English in the GSM alphabet, two parts, the reason cut (at a word's end); Hindi in Unicode, two parts
    assert notify.sms_parts(sms.body_en) == 2 and notify.is_gsm(sms.body_en) and notify.sms_parts(sms.body_hi) == 2
    assert case.number in sms.body_en and case.number in sms.body_hi
    # cut at a word's end within the reason's two DLT variables (60 characters with its words, decision 165)
    assert re.search(r"Rejected\. Reason: The ration card does not list the applicant\.\.\. Details: http://127\.0\.0\.1:8000/track$",
                     sms.body_en)
    assert "): अस्वीकृत।" in sms.body_hi and sms.body_hi.endswith("विवरण: http://127.0.0.1:8000/track")
    assert reason.strip() in email.body_en and email.subject == f"e-Mitra {case.number}: Rejected"


@pytest.mark.anyio
async def test_an_overdue_case_is_announced_to_the_next_officer_in_their_language(demo_db):
    case = await caste_case()
    await workflow.sweep(at=case.state_due_at + dt.timedelta(hours=1))
    [note] = await Notification.filter(case_id=case.id, event="escalated")
    assert (note.channel, note.recipient) == ("email", "sdm@demo.emitra.invalid")
    assert f"case {case.number} (Caste certificate" in note.body_en
    assert "'With the department' for more than 7 days and is escalated to you (level 2)" in note.body_en
    assert "7 दिन से अधिक समय से 'विभाग के पास' स्थिति में है" in note.body_hi and "स्तर 2" in note.body_hi


def test_recipients_are_masked():
    assert notify.mask_recipient(MOBILE) == MASKED
    assert notify.mask_recipient("lakshmi@example.org") == "l***@example.org"


# --- delivery through transports --------------------------------------------------------------------

@pytest.mark.anyio
async def test_with_no_transport_messages_are_kept_in_the_outbox(demo_db):
    case = await caste_case()
    counts = await notify.deliver()
    assert counts == {"sent": 0, "kept": 2, "retry": 0, "failed": 0}
    assert set(await Notification.filter(case_id=case.id).values_list("status", flat=True)) == {"kept"}
    assert await notify.deliver() == {"sent": 0, "kept": 0, "retry": 0, "failed": 0}


@pytest.mark.anyio
async def test_an_sms_transport_plugin_sends_sms_once_and_leaves_email_kept(demo_db):
    case = await caste_case()
    email = await notify.queue("notice", "email", "nodal.jaipur@demo.emitra.invalid", "A notice", "एक सूचना",
                               district_id=case.district_id)
    with Registered(SmsRecorder(), "test-sms-gateway") as gateway:
        assert await notify.deliver() == {"sent": 2, "kept": 1, "retry": 0, "failed": 0}
        assert await notify.deliver() == {"sent": 0, "kept": 0, "retry": 0, "failed": 0}
    assert [(m.channel, m.recipient, m.event) for m in gateway.received] == [
        ("sms", MOBILE, "submitted"), ("sms", MOBILE, "state_changed")]
    first = gateway.received[0]
    assert first.lang == case.lang == "en" and first.body == first.body_en and case.number in first.body
    assert "दर्ज" in first.body_hi
    for note in await Notification.filter(case_id=case.id):
        assert (note.status, note.transport, note.attempts) == ("sent", "test-sms-gateway", 1) and note.sent_at
    email = await Notification.get(id=email.id)
    assert (email.status, email.transport) == ("kept", "outbox")


@pytest.mark.anyio
async def test_a_failing_transport_keeps_the_message_queued_then_fails_it_after_five_attempts(demo_db):
    case = await caste_case()
    logged = _Collect()
    logging.getLogger("emitra.core.notify").addHandler(logged)
    try:
        with Registered(BrokenGateway(), "test-broken-gateway") as gateway:
            assert await notify.deliver() == {"sent": 0, "kept": 0, "retry": 2, "failed": 0}
    finally:
        logging.getLogger("emitra.core.notify").removeHandler(logged)
    # the failure is logged, without the number or the message
    assert logged.lines and all("ConnectionError" in line for line in logged.lines)
    assert not any(MOBILE in line or case.number in line or MASKED in line for line in logged.lines)
    with Registered(gateway, "test-broken-gateway"):
        note = await Notification.filter(case_id=case.id).order_by("id").first()
        assert (note.status, note.attempts) == ("queued", 1)
        assert note.error.startswith("test-broken-gateway: ConnectionError: gateway refused")
        assert MASKED in note.error and MOBILE not in note.error
        for _ in range(3):
            assert (await notify.deliver())["retry"] == 2
        assert await notify.deliver() == {"sent": 0, "kept": 0, "retry": 0, "failed": 2}
        assert await notify.deliver() == {"sent": 0, "kept": 0, "retry": 0, "failed": 0}  # never offered again
        assert gateway.calls == 10
    note = await Notification.get(id=note.id)
    assert (note.status, note.attempts) == ("failed", 5)
    # a working gateway installed later does not resend what has failed
    with Registered(SmsRecorder(), "test-sms-gateway") as recorder:
        await notify.deliver()
    assert recorder.received == []


@pytest.mark.anyio
async def test_a_message_failed_by_one_transport_is_sent_by_another(demo_db):
    await caste_case()
    with Registered(SmsRecorder(), "test-sms-gateway") as recorder, Registered(BrokenGateway(), "test-broken-gateway"):
        assert (await notify.deliver())["sent"] == 2
    assert len(recorder.received) == 2
    assert set(await Notification.all().values_list("transport", flat=True)) == {"test-sms-gateway"}


# --- the example transport in docs/notifications.md, run as written -----------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "notifications.md"


class _Gateway(http.server.BaseHTTPRequestHandler):
    answer = 202
    received: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({**body, "auth": self.headers["Authorization"]})
        self.send_response(type(self).answer)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def sms_gateway():
    _Gateway.received, _Gateway.answer = [], 202
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/send", _Gateway
    finally:
        server.shutdown()
        server.server_close()


def _example_plugin(monkeypatch, url: str):
    code = re.search(r'```python\n("""emitra-sms-gateway.*?)```', DOCS.read_text(encoding="utf-8"), re.S).group(1)
    namespace: dict = {"__name__": "emitra_sms_gateway"}
    monkeypatch.delenv("EMITRA_SMS_GATEWAY_URL", raising=False)
    with pytest.raises(RuntimeError, match="set EMITRA_SMS_GATEWAY_URL"):
        exec(compile(code, str(DOCS), "exec"), dict(namespace))
    monkeypatch.setenv("EMITRA_SMS_GATEWAY_URL", url)
    monkeypatch.setenv("EMITRA_SMS_GATEWAY_TOKEN", "test-token")
    for name in ("no_proxy", "NO_PROXY"):  # the local gateway, never through a proxy
        monkeypatch.setenv(name, "127.0.0.1")
    exec(compile(code, str(DOCS), "exec"), namespace)
    return namespace["gateway"]


@pytest.mark.anyio
async def test_the_documented_http_sms_gateway_works_as_written(demo_db, monkeypatch, sms_gateway):
    url, server = sms_gateway
    case = await caste_case()
    email = await notify.queue("notice", "email", "nodal.jaipur@demo.emitra.invalid", "A notice", "एक सूचना",
                               district_id=case.district_id)
    server.answer = 503
    with Registered(_example_plugin(monkeypatch, url), "sms_gateway"):
        assert await notify.deliver() == {"sent": 0, "kept": 1, "retry": 2, "failed": 0}
        assert "HTTPError" in (await Notification.filter(case_id=case.id).first()).error
        server.answer = 202
        assert await notify.deliver() == {"sent": 2, "kept": 0, "retry": 0, "failed": 0}
    assert [(r["to"], r["sender"], r["unicode"], r["auth"]) for r in server.received[-2:]] == [
        ("91" + MOBILE, "EMITRA", False, "Bearer test-token")] * 2
    assert server.received[-2]["text"].startswith("e-Mitra: your application for Caste certificate - Revenue Department")
    assert all(notify.is_gsm(r["text"]) for r in server.received[-2:])  # sent as plain text, nothing to garble
    for note in await Notification.filter(case_id=case.id):
        assert (note.status, note.transport, note.attempts) == ("sent", "http-sms", 2)
    assert (await Notification.get(id=email.id)).status == "kept"


# --- the outbox page ------------------------------------------------------------------------------

async def _other_district() -> None:
    ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    for i in range(2):
        await Notification.create(district=ajmer, event="submitted", channel="sms", recipient="9414000077",
                                  body_en=f"Ajmer message {i}", body_hi=f"अजमेर संदेश {i}", created_at=dt.datetime.now(dt.timezone.utc))


async def _hindi_notice() -> None:
    jaipur = await District.get(code="JP")
    await notify.queue_sms("mobile_changed", "9414011122", {"mobile": "94XXXXXX11"}, lang="hi",
                           district_id=jaipur.id)


def test_the_society_reads_the_districts_outbox_with_numbers_masked(web):
    case = web.run(caste_case)
    web.run(_other_district)
    web.run(_hindi_notice)
    web.login("society")
    page = web.get("/admin/outbox")
    assert page.status_code == 200
    assert page.text.count(f"<td class=\"nowrap\">{case.number}</td>") == 2
    assert MASKED in page.text and MOBILE not in page.text
    assert "): विभाग के पास।" in page.text and "is now: With the department" in page.text
    # the body in the recipient's language comes first
    assert page.text.index("With the department") < page.text.index("विभाग के पास")
    assert page.text.index("आपका पंजीकृत मोबाइल बदलकर") < page.text.index("the mobile registered for you was changed")
    assert "Ajmer message" not in page.text and "9414000077" not in page.text and "94XXXXXX77" not in page.text
    # filters: by event, by case number, by channel
    assert "Expected by" in web.get("/admin/outbox?event=submitted").text
    assert "Expected by" not in web.get("/admin/outbox?event=state_changed").text
    assert case.number in web.get(f"/admin/outbox?q={case.number[-6:]}").text
    assert "No message matches." in web.get("/admin/outbox?q=NO-SUCH-CASE").text
    assert "No message matches." in web.get("/admin/outbox?channel=email").text
    wrong = web.get("/admin/outbox?status=lost")
    assert wrong.status_code == 400 and "Choose a status from the list" in wrong.text

    # the state admin sees every district
    web.logout()
    web.login("state")
    page = web.get("/admin/outbox")
    assert "Ajmer message 1" in page.text and "94XXXXXX77" in page.text and case.number in page.text


def test_delivering_from_the_page_keeps_messages_and_shows_the_counts(web):
    case = web.run(caste_case)
    web.run(_other_district)
    web.login("society")
    assert "Queued" in web.get("/admin/outbox?status=queued").text
    done = web.post_form("/admin/outbox/deliver", {}, token_from="/admin/outbox")
    assert done.status_code == 303
    page = web.get(done.headers["location"])
    assert "Delivery run: 0 sent, 2 kept in the outbox, 0 to retry, 0 failed." in page.text
    kept = web.get("/admin/outbox?status=kept").text
    assert kept.count(f"<td class=\"nowrap\">{case.number}</td>") == 2
    # the Society delivers its own district only: Ajmer's messages are still queued
    async def ajmer_statuses():
        return set(await Notification.filter(district__code="AJ").values_list("status", flat=True))
    assert web.run(ajmer_statuses) == {"queued"}


def test_the_outbox_pages_fifty_at_a_time(web):
    async def many():
        jaipur = await District.get(code="JP")
        for i in range(60):
            await notify.queue("notice", "email", "nodal.jaipur@demo.emitra.invalid", f"Notice number {i:02d}.", f"सूचना {i:02d}।", district_id=jaipur.id)
    web.run(many)
    web.login("society")
    first = web.get("/admin/outbox?event=notice")
    assert "(60)" in first.text and "Notice number 59." in first.text and "Notice number 09." not in first.text
    assert 'href="/admin/outbox?event=notice&amp;page=2"' in first.text
    second = web.get("/admin/outbox?event=notice&page=2")
    assert "Notice number 09." in second.text and "Notice number 10." not in second.text
    pager = re.search(r'<p class="pager no-print">(.*?)</p>', second.text, re.S).group(1)  # the inbox's pager (one macro)
    assert '<a href="/admin/outbox?event=notice&amp;page=1" rel="prev">Newer</a>' in pager and "Page 2 of 2" in pager
    assert 'class="pager' not in web.get("/admin/outbox?event=nothing-such").text  # one page: no pager


def test_only_the_admins_open_the_outbox_and_delivery_needs_the_form_token(web):
    for username in ("operator1", "officer", "tehsildar", "citizen", "lsp"):
        web.login(username)
        assert web.get("/admin/outbox").status_code == 403, username
        web.logout()
    web.login("society")
    assert web.post("/admin/outbox/deliver", data={}).status_code == 403
    assert web.post("/admin/outbox/deliver", data={"csrf_token": "forged"}).status_code == 403


# --- the command line ------------------------------------------------------------------------------

def test_the_cli_reads_the_outbox_masked_and_delivers_it(web):
    case = web.run(caste_case)
    env = dict(os.environ)
    listed = subprocess.run([EMITRA, "notify", "outbox", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["case"], r["event"], r["recipient"], r["status"]) for r in rows] == [
        (case.number, "state_changed", MASKED, "queued"), (case.number, "submitted", MASKED, "queued")]
    assert MOBILE not in listed.stdout
    delivered = subprocess.run([EMITRA, "notify", "deliver", "--limit", "1"], capture_output=True, text=True, env=env, timeout=120)
    assert delivered.returncode == 0, delivered.stderr
    assert delivered.stdout.strip() == "sent 0, kept 1, retry 0, failed 0"
    table = subprocess.run([EMITRA, "notify", "outbox", "--status", "kept"], capture_output=True, text=True, env=env, timeout=120)
    assert table.returncode == 0 and MASKED in table.stdout and "submitted" in table.stdout
    assert "state_changed" not in table.stdout and MOBILE not in table.stdout


@pytest.mark.anyio
async def test_an_english_sms_goes_in_the_gsm_alphabet_and_one_quoting_hindi_in_unicode(demo_db):
    """An English SMS said "Caste certificate – Revenue Department": the en dash alone made it a
    Unicode message (207 characters: four parts instead of two), and the documented gateway, which
    sent English as plain text, turned the dash into "?"; an English message quoting the officer's
    Hindi remark came out as question marks. The limit of 300 characters was five Unicode parts.
    Now (decision 163) a Hindi reason that would not fit the two Unicode parts is left to /track, and
    the English SMS stays in the GSM alphabet; a short one is quoted, in Unicode, in two parts."""
    case = await caste_case()
    await Case.filter(id=case.id).update(lang="en")
    case = await workflow.act(await actor("tehsildar"), await Case.get(id=case.id), "return",
                              "पिता का नाम राशन कार्ड से भिन्न है। " * 12)
    notes = await Notification.filter(case_id=case.id, channel="sms").order_by("id")
    for note in notes:
        message = notify._message(note)
        assert message.lang == "en" and not message.unicode and notify.is_gsm(note.body_en), note.body_en
        assert "–" not in note.body_en and "Caste certificate - Revenue Department" in note.body_en
        assert notify.sms_parts(note.body_en) <= 2 and notify.sms_parts(note.body_hi) <= 2
        assert "पिता" not in note.body_en and "?" not in note.body_en
    assert "–" in notes[0].body_hi  # Hindi goes in Unicode anyway: kept as written
    case = await caste_case("caste-2")
    await Case.filter(id=case.id).update(lang="en")
    case = await workflow.act(await actor("tehsildar"), await Case.get(id=case.id), "reject", "पिता का नाम भिन्न है।")
    quoting = await Notification.filter(case_id=case.id, channel="sms").order_by("-id").first()
    message = notify._message(quoting)
    assert message.unicode and "Reason: पिता का नाम भिन्न है. Details: " in message.body and notify.sms_parts(message.body) == 2
    assert notify.sms_text("refund of ₹1,234.00 … “sent”") == 'refund of Rs 1,234.00 ... "sent"'


@pytest.mark.anyio
async def test_the_acknowledgement_says_where_to_track_it_online(demo_db, monkeypatch):
    """It said "track it … at any e-Mitra counter or online", and not where online."""
    monkeypatch.setenv("EMITRA_PUBLIC_URL", "https://emitra.rajasthan.example.in/")
    for case in (await caste_case(), await grievance_case()):
        opened = await Notification.get(case_id=case.id, event="submitted", channel="sms")
        # the address with its https://, as the DLT platform whitelists it and every phone makes a link of it (decision 165)
        assert opened.body_en.endswith("at any e-Mitra counter or at https://emitra.rajasthan.example.in/track")
        assert opened.body_hi.endswith("। https://emitra.rajasthan.example.in/track")  # the address alone, as in a step's
        assert notify.sms_parts(opened.body_en) == 2 and notify.sms_parts(opened.body_hi) <= 2
        assert case.number in opened.body_en and case.number in opened.body_hi

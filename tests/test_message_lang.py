"""Messages to a citizen in the language the citizen chose when served (decision 99): asked on the
counter's form (and by the API's ``message_lang``), kept on the request, shown on the confirmation
page and the receipt, and used by every later message about that request: a UPI refund owed, sent
and sent back, a card refund finished later, the case's acknowledgement and steps, a counter move.
A request recorded before it was asked keeps its messages' former language."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# the bus trip and the RSRTC sandbox at a fixed moment (bus: the autouse fixture)
from test_cancel_card import BUS, PEOPLE, TRIP, _book_by_card, _ctx, bus  # noqa: E402,F401
from test_cancel_refund_finish import _left_waiting  # noqa: E402

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import notify, refunds, upi_refunds, workflow  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.models import AuditLog, Case, Citizen, Counter, Notification, Payment, ServiceRequest, User  # noqa: E402
from emitra.web.i18n import LANGUAGES  # noqa: E402

BILL = "gov.rj.jvvnl.bill"


async def _booked_by_upi(message_lang, key="bus-upi-lang"):
    """Two seats to Ajmer paid by UPI, the language of the citizen's messages chosen (or not: None)."""
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_payment(actor, counter, citizen, BUS, TRIP, key, "upi", message_lang=message_lang)
    await counter_core.confirm_payment(Actor(None, via="webhook"), await Payment.get(request_id=req.id), "upi", f"evt-{key}",
                                       provider_reference="UTR600100200399")
    return actor, counter, await ServiceRequest.get(id=req.id)


async def _refund_messages(actor, counter, req) -> list[notify.Message]:
    """Cancel the booking, the Society sends the refund and the bank sends it back: the three SMS, as
    a gateway is given them."""
    await counter_core.cancel(actor, counter, req, "plans changed")
    society = Actor(await User.get(username="society"))
    await upi_refunds.pay(society, req.receipt_no, "IMPS77")
    await upi_refunds.bounced(society, req.receipt_no, "IMPS77", "RET77")
    notes = await Notification.filter(event__startswith="upi_refund_").order_by("id")
    return [notify._message(n) for n in notes]


@pytest.mark.anyio
async def test_an_english_choosing_citizens_upi_refund_messages_are_in_english(demo_db, bus):
    actor, counter, req = await _booked_by_upi("en")
    assert req.message_lang == "en"
    sent = await _refund_messages(actor, counter, req)
    assert [m.event for m in sent] == ["upi_refund_owed", "upi_refund_sent", "upi_refund_returned"]
    assert {m.lang for m in sent} == {"en"}
    owed, paid, back = (m.body for m in sent)
    assert owed.startswith("e-Mitra: your booking") and "will reach your UPI account" in owed
    assert "has sent Rs 266.40" in paid and "bank reference IMPS77" in paid
    assert "your bank sent back the refund of Rs 266.40" in back
    assert not any(m.unicode for m in sent)  # English goes in the GSM alphabet (decision 95)
    assert [m.subject for m in sent] == [f"e-Mitra {req.receipt_no}: refund to your UPI account", f"e-Mitra {req.receipt_no}: refund sent",
                                         f"e-Mitra {req.receipt_no}: refund returned by your bank"]
    cancelled = await AuditLog.get(action="request.payment_pending", object_id=str(req.id))
    assert cancelled.detail["message_lang"] == "en"


@pytest.mark.anyio
async def test_a_hindi_choosing_citizens_upi_refund_messages_are_in_hindi(demo_db, bus):
    actor, counter, req = await _booked_by_upi("hi")
    sent = await _refund_messages(actor, counter, req)
    assert {m.lang for m in sent} == {"hi"}
    owed, paid, back = (m.body for m in sent)
    assert owed.startswith("ई-मित्र: बुकिंग") and "₹266.40" in paid and "बैंक ने लौटाया" in back
    assert sent[0].subject == f"ई-मित्र {req.receipt_no}: यूपीआई खाते में रिफंड" and all(m.unicode for m in sent)


@pytest.mark.anyio
async def test_a_booking_recorded_before_the_choice_was_asked_keeps_its_hindi_refund_messages(demo_db, bus):
    actor, counter, req = await _booked_by_upi("en")
    await ServiceRequest.filter(id=req.id).update(message_lang="")  # as migration 0028 leaves an older request
    req = await ServiceRequest.get(id=req.id)
    sent = await _refund_messages(actor, counter, req)
    assert {m.lang for m in sent} == {"hi"} and sent[0].body.startswith("ई-मित्र: बुकिंग")


@pytest.mark.anyio
async def test_a_card_refund_finished_later_is_told_in_the_citizens_language(demo_db, fake, bus):
    actor, counter, req, payment = await _left_waiting(fake)
    await ServiceRequest.filter(id=req.id).update(message_lang="en")  # chosen when booked
    [done] = await refunds.finish_cancel_refunds(Actor(await User.get(username="society"), via="cli"))
    assert done.outcome == refunds.FINISHED
    [sms] = [notify._message(n) for n in await Notification.filter(event="card_refunded")]
    assert sms.lang == "en" and sms.body.startswith(f"e-Mitra: booking {req.receipt_no}") and "refunded to the card" in sms.body


@pytest.mark.anyio
async def test_an_application_is_acknowledged_moved_and_answered_in_the_language_the_citizen_chose(demo_db):
    """operator1 works in English: a citizen who chose Hindi gets every message of the case in Hindi
    (it followed the operator's language before: still so for a request where no choice was made)."""
    from case_helpers import ADDRESS, CASTE, actor, upload

    operator = await User.get(username="operator1")
    assert operator.lang == "en"
    counter = await Counter.get(id=operator.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")

    async def form():
        return {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "SC",
                "caste": "Bairwa", "address": dict(ADDRESS), "ration_card_scan": await upload(CASTE, "ration_card_scan"),
                "mobile": "9829012345"}

    unasked = await counter_core.record_cash(Actor(operator), counter, citizen, CASTE, await form(), "caste-unasked")
    assert unasked.message_lang == "" and (await Case.get(request_id=unasked.id)).lang == "en"

    hindi = await counter_core.record_payment(Actor(operator), counter, citizen, CASTE, await form(), "caste-hi", "cash",
                                              message_lang="hi")
    case = await Case.get(request_id=hindi.id)
    assert case.lang == "hi"
    [opened] = [notify._message(n) for n in await Notification.filter(case_id=case.id, event="submitted")]
    assert opened.lang == "hi" and opened.body.startswith("ई-मित्र:") and opened.subject.startswith("ई-मित्र")
    case = await workflow.act(await actor("tehsildar"), case, "return", "Father's name differs from the ration card")
    step = notify._message(await Notification.filter(case_id=case.id, event="state_changed").order_by("-id").first())
    assert step.lang == "hi" and "): सुधार हेतु लौटाया गया।" in step.body
    other = await Counter.exclude(id=counter.id).filter(district_id=counter.district_id).first()
    [moved] = [notify._message(n) for n in await notify.counter_changed(case, counter, other)]
    assert moved.lang == "hi" and f"अब {other.name_hi} ({other.code})" in moved.body and other.name_hi  # its Hindi name (decision 128)
    # the citizen's next request, with no language given (a script, an API client): their last choice
    later = await counter_core.record_cash(Actor(operator), counter, citizen, BILL, {"k_number": "210412345678"}, "bill-later")
    assert later.message_lang == "hi"


def _eid(web) -> str:
    return web.run(lambda: Citizen.get(name="Ramesh Kumar Sharma")).emitra_id


def _hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


def test_the_counter_form_asks_the_language_shows_it_to_confirm_and_on_the_receipt(web):
    web.login("operator1")
    eid = _eid(web)
    url = f"/counter/citizens/{eid}/services/{BILL}"
    web.get("/lang/hi")  # a Hindi page: Hindi offered first
    form = web.get(url).text
    assert "संदेश" in form and re.search(r'name="_message_lang" value="hi" checked', form)
    assert 'name="_message_lang" value="en">' in form and "English" in form and "हिन्दी" in form
    web.get("/lang/en")
    form = web.get(url).text
    assert "Messages to the citizen (SMS, email) in" in form and re.search(r'name="_message_lang" value="en" checked', form)
    # the citizen reads Hindi, on an English page
    confirm = web.post_form(url, {"k_number": "210412345678", "_message_lang": "hi"}, token_from=url)
    assert confirm.status_code == 200, confirm.text
    assert re.search(r'id="message-lang">हिन्दी<', confirm.text)
    fields = _hidden(confirm.text)
    assert fields["message_lang"] == "hi"
    done = web.client.post(url + "/pay", data={**fields, "tendered": ""})
    assert done.status_code == 303, done.text
    receipt = web.get(done.headers["location"]).text
    assert "Messages to the citizen (SMS, email) in" in receipt and re.search(r'id="receipt-message-lang">हिन्दी<', receipt)
    number = re.search(r'id="receipt-no">([A-Z0-9]+)<', receipt).group(1)
    assert web.run(lambda: ServiceRequest.get(receipt_no=number)).message_lang == "hi"
    # and tracking tells the citizen which language their messages come in
    tracked = web.post_form("/track", {"number": number, "mobile": "9829012345"})
    assert tracked.status_code == 200 and re.search(r'id="message-lang">हिन्दी<', tracked.text)
    assert "Messages to you (SMS, email) in" in tracked.text
    # the next form for this citizen offers their choice first, whatever the page's language
    assert re.search(r'name="_message_lang" value="hi" checked', web.get(url).text)


def test_a_language_that_is_neither_is_refused_naming_the_field_in_english_and_hindi(web):
    web.login("operator1")
    eid = _eid(web)
    url = f"/counter/citizens/{eid}/services/{BILL}"
    refused = web.post_form(url, {"k_number": "210412345678", "_message_lang": "fr"}, token_from=url)
    assert refused.status_code == 400 and "message_lang (the language of the SMS and email to the citizen)" in refused.text
    confirm = web.post_form(url, {"k_number": "210412345678", "_message_lang": "en"}, token_from=url)
    fields = {**_hidden(confirm.text), "message_lang": "fr", "tendered": ""}
    again = web.client.post(url + "/pay", data=fields)
    assert again.status_code == 400 and 'must be "hi" for Hindi or "en" for English' in html.unescape(again.text)
    assert web.run(lambda: ServiceRequest.all().count()) == 0
    web.get("/lang/hi")
    again = web.client.post(url + "/pay", data=fields)
    assert again.status_code == 400 and "नागरिक को भेजे जाने वाले SMS और ईमेल की भाषा" in again.text


def test_the_api_takes_the_language_refuses_another_naming_the_field_and_tells_the_upi_refund_in_it(web, bus):
    h = web.api_token("operator1")
    eid = _eid(web)
    trip = {**TRIP, "seats": 1, "passengers": PEOPLE[:1]}
    body = {"citizen": eid, "service_code": BUS, "form": trip, "payment": {"method": "upi", "amount_paise": 15800},
            "idempotency_key": "api-lang-1"}
    bad = web.post("/api/v1/transactions", headers=h, json={**body, "message_lang": "english"})
    assert bad.status_code == 422, bad.text
    [field] = bad.json()["error"]["fields"]
    assert field["field"] == "message_lang" and '"en" for English' in field["message_en"] and "अंग्रेज़ी" in field["message_hi"]
    created = web.post("/api/v1/transactions", headers=h, json={**body, "message_lang": "en"})
    assert created.status_code == 201, created.text
    receipt = created.json()
    assert receipt["message_lang"] == "en"
    # the same key with the other language is another request
    assert web.post("/api/v1/transactions", headers=h, json={**body, "message_lang": "hi"}).status_code == 409

    async def paid():
        payment = await Payment.get(request__receipt_no=receipt["receipt_no"])
        await counter_core.confirm_payment(Actor(None, via="webhook"), payment, "upi", "evt-api-lang", provider_reference="UTR61")

    web.run(paid)
    assert web.get(f"/api/v1/transactions/{receipt['receipt_no']}", headers=h).json()["message_lang"] == "en"
    assert web.post(f"/api/v1/transactions/{receipt['receipt_no']}/cancel", headers=h, json={}).status_code == 200
    told = web.run(lambda: Notification.get(event="upi_refund_owed"))
    assert told.lang == "en" and notify._message(told).body.startswith("e-Mitra: your booking")


# --- changed after payment (decision 108) --------------------------------------------------------------

async def _application(lang: str, citizen: str = "Ramesh Kumar Sharma", key: str = "caste-change") -> str:
    """A caste certificate application paid at operator1's counter, its messages in ``lang``: its receipt number."""
    from case_helpers import ADDRESS, CASTE, upload

    operator = await User.get(username="operator1")
    form = {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "SC",
            "caste": "Bairwa", "address": dict(ADDRESS), "ration_card_scan": await upload(CASTE, "ration_card_scan"),
            "mobile": "9829012345"}
    req = await counter_core.record_payment(Actor(operator), await Counter.get(id=operator.counter_id), await Citizen.get(name=citizen),
                                            CASTE, form, key, "cash", message_lang=lang)
    return req.receipt_no


def _next_step_message(web, number: str) -> notify.Message:
    """The tehsildar returns the application: the SMS that tells the citizen, as a gateway is given it."""
    from case_helpers import actor

    async def step():
        case = await workflow.act(await actor("tehsildar"), await Case.get(number=number), "return", "Father's name differs")
        return notify._message(await Notification.filter(case_id=case.id, event="state_changed", channel="sms").order_by("-id").first())

    return web.run(step)


def _lang_changes(web, number: str) -> list[tuple[str, str, str]]:
    async def read():
        req = await ServiceRequest.get(receipt_no=number)
        return [(r.actor_name, r.detail["from"], r.detail["to"]) for r in await counter_core.message_lang_changes(req)]

    return web.run(read)


def _offered_without_csrf_refused(web, page_url: str, action: str, lang: str) -> str:
    """The page (returned) offers the form, ``lang`` ticked; the other language posted without the
    form's CSRF token is refused (403)."""
    page = web.get(page_url).text
    assert f'action="{action}"' in page and re.search(rf'name="message_lang" value="{lang}" checked', page)
    assert web.client.post(action, data={"message_lang": "en" if lang == "hi" else "hi"}).status_code == 403
    return page


async def _society_of_another_district() -> None:
    from emitra.core.auth import hash_password
    from emitra.core.models import District, Role, Society

    district = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    await Society.create(district=district, name="District e-Mitra Society, Ajmer")
    await User.create(username="society_aj", password_hash=hash_password("emitra-demo"), full_name="Nodal officer, Ajmer",
                      role=Role.SOCIETY_ADMIN, district=district)


def test_the_counter_and_the_society_correct_the_language_after_payment_for_the_messages_that_follow(web):
    number = web.run(lambda: _application("hi"))
    receipt, action = f"/receipts/{number}", f"/receipts/{number}/message-lang"
    web.login("operator1")
    page = _offered_without_csrf_refused(web, receipt, action, "hi")
    assert "those already queued or sent stay in the language they were written in" in page
    bad = web.post_form(action, {"message_lang": "fr"}, token_from=receipt)
    assert bad.status_code == 400 and 'must be "hi" for Hindi or "en" for English' in html.unescape(bad.text)
    assert _lang_changes(web, number) == []
    done = web.post_form(action, {"message_lang": "en"}, token_from=receipt)
    assert done.status_code == 303 and done.headers["location"].startswith(receipt)
    page = web.get(receipt).text
    assert re.search(r'id="receipt-message-lang">English<', page)
    assert re.search(r"changed from हिन्दी to English by operator1", page)
    assert _lang_changes(web, number) == [("operator1", "hi", "en")]
    # the acknowledgement already queued stays Hindi; the next message is English
    acknowledged = web.run(lambda: Notification.filter(case__number=number, event="submitted").values_list("lang", flat=True))
    assert set(acknowledged) == {"hi"}
    step = _next_step_message(web, number)
    assert step.lang == "en" and not step.unicode and "e-Mitra" in step.body
    # the same language again changes and records nothing
    assert web.post_form(action, {"message_lang": "en"}, token_from=receipt).status_code == 303
    assert len(_lang_changes(web, number)) == 1
    # the page in Hindi
    web.get("/lang/hi")
    page = web.get(receipt).text
    assert "नागरिक को संदेशों की भाषा" in page and "हिन्दी से English" in page
    web.logout()
    # another counter, another district's Society: no such receipt; roles that may not: refused
    web.run(_society_of_another_district)
    for username, status in (("operator2", 404), ("society_aj", 404), ("lsp", 403), ("officer", 403), ("state", 403), ("citizen", 403)):
        web.login(username)
        assert web.post_form(action, {"message_lang": "hi"}, token_from="/no-such-page").status_code == status, username
        web.logout()
    assert len(_lang_changes(web, number)) == 1
    # the Society of its district may
    web.login("society")
    assert f'action="{action}"' in web.get(receipt).text
    assert web.post_form(action, {"message_lang": "hi"}, token_from=receipt).status_code == 303
    assert _lang_changes(web, number) == [("operator1", "hi", "en"), ("society", "en", "hi")]
    assert web.run(lambda: Case.get(number=number)).lang == "hi"


def test_the_api_changes_the_language_for_the_counter_that_took_it(web):
    number = web.run(lambda: _application("hi"))
    url = f"/api/v1/transactions/{number}/message-lang"
    h = web.api_token("operator1")
    bad = web.post(url, headers=h, json={"message_lang": "english"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "message_lang"
    done = web.post(url, headers=h, json={"message_lang": "en"})
    assert done.status_code == 200 and done.json()["message_lang"] == "en" and done.json()["receipt_no"] == number
    assert web.post(url, headers=web.api_token("operator2"), json={"message_lang": "hi"}).status_code == 404
    assert web.post(url, headers=web.api_token("lsp"), json={"message_lang": "hi"}).status_code == 403
    [(who, before, after)] = _lang_changes(web, number)
    assert (who, before, after) == ("operator1", "hi", "en")
    assert _next_step_message(web, number).lang == "en"


def test_a_citizen_sets_the_language_of_the_messages_about_their_own_application(web):
    number = web.run(lambda: _application("en"))
    others = web.run(lambda: _application("en", citizen="Sunita Devi", key="caste-sunita"))
    page_url, action = f"/my/{number}", f"/my/{number}/message-lang"
    web.login("citizen")
    assert "Language of messages to you" in _offered_without_csrf_refused(web, page_url, action, "en")
    assert web.post_form(f"/my/{others}/message-lang", {"message_lang": "hi"}, token_from="/my").status_code == 404
    done = web.post_form(action, {"message_lang": "hi"}, token_from=page_url)
    assert done.status_code == 303
    page = web.get(page_url).text
    assert re.search(r'id="message-lang">हिन्दी<', page) and "changed from English to हिन्दी" in page
    assert "by citizen" not in page
    assert _lang_changes(web, number) == [("citizen", "en", "hi")] and _lang_changes(web, others) == []
    step = _next_step_message(web, number)
    assert step.lang == "hi" and step.body.startswith("ई-मित्र")
    # their latest request: the counter offers Hindi first next time
    citizen_id = web.run(lambda: Citizen.get(name="Ramesh Kumar Sharma")).id
    assert web.run(lambda: counter_core.last_message_lang(citizen_id)) == "hi"
    web.get("/lang/hi")
    page = web.get(page_url).text
    assert "आपको संदेशों की भाषा" in page
    web.logout()
    web.login("operator1")  # the citizen's page is the citizen's
    assert web.post_form(action, {"message_lang": "en"}, token_from="/counter").status_code == 403
    assert len(_lang_changes(web, number)) == 1


def test_a_citizens_page_ticks_the_language_it_shows_and_saving_none_is_told_in_the_citizens_words(web):
    """An application paid before the citizen was asked (decision 99): /my/<number> said "Messages to
    you in English" (its case's language) above a form with nothing ticked, and pressing Save the
    language then answered 'message_lang (the language ...) must be "hi" ... or "en": ask the
    citizen which they read', the operator's message with its code words, on the citizen's page."""
    number = web.run(lambda: _application(None, key="caste-unasked"))
    shown = web.run(lambda: Case.get(number=number)).lang
    web.login("citizen")
    page = web.get(f"/my/{number}").text
    assert re.search(rf'id="message-lang">{re.escape(LANGUAGES[shown])}<', page)
    assert re.findall(r'<input type="radio" name="message_lang" value="(\w+)" checked>', page) == [shown]
    for lang, says in (("en", "Messages to you: tick हिन्दी (Hindi) or English, the language you read"),
                       ("hi", "आपको संदेश: हिन्दी या English (अंग्रेज़ी) चुनें, जो भाषा आप पढ़ते हैं")):
        web.get(f"/lang/{lang}")
        for sent in ({}, {"message_lang": "fr"}):
            refused = web.post_form(f"/my/{number}/message-lang", sent, token_from=f"/my/{number}")
            assert refused.status_code == 400 and says in html.unescape(refused.text), lang
            assert "message_lang" not in refused.text.replace('name="message_lang"', "") and "ask the citizen" not in refused.text
    assert _lang_changes(web, number) == []

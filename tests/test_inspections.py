"""The Society's inspections of counters (checklist, findings, follow-up) and each counter's rate list poster."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from emitra.core import clock, inspections
from emitra.core import counter as counter_core
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Counter, Inspection, LspPrice, User

ALL_YES = {code: True for code, _, _ in inspections.CHECKLIST}


async def _society() -> Actor:
    return Actor(await User.get(username="society"), via="test")


def _answers(**changes: str) -> dict[str, str]:
    """The inspection form with every item answered yes, then ``changes``."""
    data = {f"checklist.{code}": "yes" for code, _, _ in inspections.CHECKLIST}
    data.update({"inspected_on": clock.today().isoformat(), "findings": "", "follow_up": "", "follow_up_due": ""})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.anyio
async def test_an_inspection_with_every_item_answered_is_recorded_and_audited(demo_db):
    lokmitra = await Counter.get(code="JP-LM-001")
    today = clock.today()
    answers = {**ALL_YES, "rate_list": False}
    inspection = await inspections.record(await _society(), lokmitra, today - dt.timedelta(days=1), answers,
                                          "No rate list on the wall.", "Display the rate list poster.", today + dt.timedelta(days=7))
    stored = await Inspection.get(id=inspection.id)
    assert stored.checklist == answers and stored.follow_up_due == today + dt.timedelta(days=7) and stored.closed_at is None
    log = await AuditLog.get(action="inspection.recorded")
    assert log.counter_id == lokmitra.id and log.detail["failed"] == ["rate_list"] and log.actor_name == "society"
    # a kiosk keeps no complaint book: the item is not asked there
    kiosk = await Counter.get(code="JP-JM-001")
    assert "complaint_book" not in [i.code for i in inspections.checklist_for(kiosk)]
    without_book = {k: v for k, v in ALL_YES.items() if k != "complaint_book"}
    assert (await inspections.record(await _society(), kiosk, today, without_book)).checklist == without_book


@pytest.mark.anyio
async def test_missing_answers_a_future_date_and_a_no_without_findings_are_refused(demo_db):
    lokmitra = await Counter.get(code="JP-LM-001")
    today = clock.today()
    society = await _society()
    cases = [
        ({k: v for k, v in ALL_YES.items() if k != "receipts"}, today, "", "", None, "checklist.receipts"),
        (ALL_YES, today + dt.timedelta(days=1), "", "", None, "inspected_on"),
        ({**ALL_YES, "id_card": False}, today, "", "", None, "findings"),
        (ALL_YES, today, "", "Put up the signage", None, "follow_up_due"),
        (ALL_YES, today, "", "Put up the signage", today, "follow_up_due"),
        (ALL_YES, today, "", "", today + dt.timedelta(days=3), "follow_up"),
        ({**ALL_YES, "mood": True}, today, "", "", None, "checklist.mood"),
    ]
    for checklist, day, findings, follow_up, due, field in cases:
        with pytest.raises(inspections.InspectionError) as err:
            await inspections.record(society, lokmitra, day, checklist, findings, follow_up, due)
        assert err.value.field == field and err.value.message_hi
    assert "in the future" in str((await _refusal(society, lokmitra, ALL_YES, today + dt.timedelta(days=1))))
    operator = Actor(await User.get(username="operator1"))
    with pytest.raises(inspections.InspectionError) as err:
        await inspections.record(operator, lokmitra, today, ALL_YES)
    assert err.value.field == "role"
    assert await Inspection.all().count() == 0 and not await AuditLog.exists(action="inspection.recorded")


async def _refusal(actor: Actor, counter: Counter, checklist, day) -> inspections.InspectionError:
    try:
        await inspections.record(actor, counter, day, checklist)
    except inspections.InspectionError as exc:
        return exc
    raise AssertionError("recorded")


@pytest.mark.anyio
async def test_closing_needs_a_note_and_overdue_follow_ups_are_listed(demo_db):
    lokmitra = await Counter.get(code="JP-LM-001")
    society = await _society()
    today = clock.today()
    late = await inspections.record(society, lokmitra, today - dt.timedelta(days=20), ALL_YES, "", "Repair the printer",
                                    today - dt.timedelta(days=5))
    not_yet = await inspections.record(society, lokmitra, today - dt.timedelta(days=2), ALL_YES, "", "Fix the signage",
                                       today + dt.timedelta(days=5))
    await inspections.record(society, lokmitra, today - dt.timedelta(days=30), ALL_YES)  # no follow-up
    overdue = await inspections.overdue(lokmitra.district_id, today)
    assert [i.id for i in overdue] == [late.id] and inspections.days_overdue(overdue[0], today) == 5
    with pytest.raises(inspections.InspectionError) as err:
        await inspections.close(society, late, "  ")
    assert err.value.field == "note"
    await inspections.close(society, late, "The printer was replaced; seen on 14-11.")
    assert (await Inspection.get(id=late.id)).closed_note == "The printer was replaced; seen on 14-11."
    assert await AuditLog.exists(action="inspection.closed", object_id=str(late.id))
    with pytest.raises(inspections.InspectionError):
        await inspections.close(society, late, "Closed again by mistake")
    assert await inspections.overdue(lokmitra.district_id, today) == []
    # the other follow-up becomes overdue after its date
    assert [i.id for i in await inspections.overdue(lokmitra.district_id, today + dt.timedelta(days=6))] == [not_yet.id]


# --- the pages ----------------------------------------------------------------------------------

def test_the_society_records_an_inspection_on_the_form_and_closes_its_follow_up(web):
    web.login("society")
    form = web.get("/society/inspections/new?counter=JP-LM-001")
    assert form.status_code == 200
    assert form.text.count('type="radio"') == 2 * len(inspections.CHECKLIST)
    path = "/society/inspections/new?counter=JP-LM-001"
    missing = web.post_form(path, _answers(**{"checklist.receipts": None}))
    assert missing.status_code == 400 and "A receipt is issued for every transaction: answer yes or no." in missing.text
    assert 'name="checklist.id_card" value="yes" checked' in missing.text  # what was sent is kept
    future = web.post_form(path, _answers(inspected_on=(clock.today() + dt.timedelta(days=2)).isoformat()))
    assert future.status_code == 400 and "Date of inspection" in future.text and "in the future" in future.text
    no_findings = web.post_form(path, _answers(**{"checklist.rate_list": "no"}))
    assert no_findings.status_code == 400 and "Findings: write what you found" in no_findings.text
    due = (clock.today() + dt.timedelta(days=7)).isoformat()
    saved = web.post_form(path, _answers(**{"checklist.rate_list": "no"}, findings="No rate list displayed at the counter.",
                                         follow_up="Print and display the rate list poster.", follow_up_due=due))
    assert saved.status_code == 303
    detail = web.get(saved.headers["location"])
    assert detail.status_code == 200 and "No rate list displayed at the counter." in detail.text
    assert 'id="answer-rate_list" class="failed"' in detail.text and 'id="close"' in detail.text
    listing = web.get("/society/inspections", params={"counter": "JP-LM-001", "status": "open"})
    assert re.search(r'id="inspection-\d+"', listing.text)
    assert not re.search(r'id="inspection-\d+"', web.get("/society/inspections", params={"status": "closed"}).text)
    close_path = saved.headers["location"] + "/close"
    empty = web.post_form(close_path, {"note": ""}, token_from=saved.headers["location"])
    assert empty.status_code == 400 and "Note: say how the follow-up was done" in empty.text
    done = web.post_form(close_path, {"note": "Poster displayed; seen on a visit."}, token_from=saved.headers["location"])
    assert done.status_code == 303
    closed = web.get(saved.headers["location"]).text
    assert 'id="closed"' in closed and "Poster displayed; seen on a visit." in closed and 'id="close"' not in closed
    assert re.search(r'id="inspection-\d+"', web.get("/society/inspections", params={"status": "closed"}).text)


def test_the_items_answered_no_are_counted_one_or_many_in_english_and_hindi(web):
    """The refusal said "1 item(s) were answered no"; in Hindi "1 बिंदुओं का उत्तर"."""
    web.login("society")
    path = "/society/inspections/new?counter=JP-LM-001"
    one = web.post_form(path, _answers(**{"checklist.rate_list": "no"}))
    assert one.status_code == 400 and "since 1 item was answered no (The rate list is displayed" in one.text
    many = web.post_form(path, _answers(**{"checklist.rate_list": "no", "checklist.id_card": "no"}))
    assert many.status_code == 400 and "since 2 items were answered no (" in many.text
    hindi = path + "&lang=hi"
    one = web.post_form(hindi, _answers(**{"checklist.rate_list": "no"}))
    assert "क्योंकि 1 बिंदु का उत्तर &#39;नहीं&#39; है" in one.text
    many = web.post_form(hindi, _answers(**{"checklist.rate_list": "no", "checklist.id_card": "no"}))
    assert "क्योंकि 2 बिंदुओं का उत्तर &#39;नहीं&#39; है" in many.text


def test_overdue_follow_ups_show_on_the_watch_page(web):
    async def late() -> Inspection:
        lokmitra = await Counter.get(code="JP-LM-001")
        today = clock.today()
        return await inspections.record(await _society(), lokmitra, today - dt.timedelta(days=10), ALL_YES, "",
                                        "Replace the broken biometric device", today - dt.timedelta(days=3))

    inspection = web.run(late)
    web.login("society")
    page = web.get("/society/watch").text
    row = re.search(rf'<tr id="followup-{inspection.id}">.*?</tr>', page, re.S).group(0)
    assert "Replace the broken biometric device" in row and ">3<" in row


def test_inspections_are_the_societys_only(web):
    web.login("lsp")
    assert web.get("/society/inspections").status_code == 403
    assert web.get("/society/inspections/new?counter=JP-LM-001").status_code == 403
    web.logout()
    web.login("society")
    assert web.get("/society/inspections/new?counter=XX-LM-999").status_code == 404
    assert web.get("/society/inspections/999").status_code == 404


# --- the rate list poster -----------------------------------------------------------------------

def _row(page: str, code: str) -> str:
    match = re.search(rf'<tr id="rate-{code.replace(".", "-")}">.*?</tr>', page, re.S)
    return match.group(0) if match else ""


def test_the_rate_poster_lists_every_enabled_service_with_its_rate_in_both_languages(web):
    web.login("operator1")
    poster = web.get("/counters/JP-LM-001/rates")
    assert poster.status_code == 200
    text = poster.text
    assert "LokMitra Centre, Malviya Nagar" in text and "JP-LM-001" in text and "Pink City e-Services Pvt Ltd" in text
    assert "e-Mitra service charges" in text and "ई-मित्र सेवा शुल्क" in text  # both languages on the same page
    assert "/grievances/new" in text and "complaint book at LokMitra centres" in text and "District e-Mitra Society, Jaipur" in text

    async def enabled():
        return [s.code for s in await counter_core.enabled_services(await Counter.get(code="JP-LM-001"))]

    codes = web.run(enabled)
    assert codes and all(_row(text, code) for code in codes)
    bill = _row(text, "gov.rj.jvvnl.bill")
    assert "₹3.95" in bill and "Department pays" in bill and "विभाग देता है" in bill
    caste = _row(text, "gov.rj.revenue.caste_certificate")
    assert "₹10.00" in caste and "You pay" in caste and "जाति प्रमाण" in caste
    photocopy = _row(text, "pvt.lsp.photocopy")
    assert "₹2.00 per page" in photocopy and "Price set by the LSP" in photocopy
    assert "2.5% of the amount" in _row(text, "pvt.recharge.dth")

    async def disable_and_reprice():
        lokmitra = await Counter.get(code="JP-LM-001")
        await counter_core.set_enabled(Actor(await User.get(username="lsp")), lokmitra, "gov.rj.revenue.caste_certificate", False)
        await LspPrice.filter(service_code="pvt.lsp.photocopy").update(unit_price_paise=300)

    web.run(disable_and_reprice)
    again = web.get("/counters/JP-LM-001/rates").text
    assert not _row(again, "gov.rj.revenue.caste_certificate") and _row(again, "gov.rj.jvvnl.bill")
    assert "₹3.00 per page" in _row(again, "pvt.lsp.photocopy")


def test_the_poster_prints_the_public_address_whatever_host_the_request_named(web, monkeypatch):
    """The poster is printed and pinned at the counter, where citizens copy its complaint address: it
    used to take the address from the request's Host header, so a request naming another host (or
    the server's own address behind a proxy) printed a poster sending citizens' complaints to that
    host. With ``EMITRA_PUBLIC_URL`` set it prints that address, as the certificates do."""
    monkeypatch.setenv("EMITRA_PUBLIC_URL", "https://emitra.example.org/")
    web.login("operator1")
    poster = web.get("/counters/JP-LM-001/rates", headers={"host": "phish.example"}).text
    assert "https://emitra.example.org/grievances/new" in poster and "phish.example" not in poster
    monkeypatch.delenv("EMITRA_PUBLIC_URL")
    assert "http://testserver/grievances/new" in web.get("/counters/JP-LM-001/rates").text  # unset: the address asked for


def test_who_may_see_a_counters_poster(web):
    web.login("operator2")
    assert web.get("/counters/JP-LM-001/rates").status_code == 404
    assert web.get("/counters/JP-JM-001/rates").status_code == 200
    mine = web.get("/counter/rates")
    assert mine.status_code == 303 and mine.headers["location"] == "/counters/JP-JM-001/rates"
    web.logout()
    for username in ("lsp", "society", "state"):
        web.login(username)
        assert web.get("/counters/JP-LM-001/rates").status_code == 200, username
        web.logout()
    for username in ("officer", "citizen"):
        web.login(username)
        assert web.get("/counters/JP-LM-001/rates").status_code == 404, username
        web.logout()
    assert web.get("/counters/JP-LM-001/rates").status_code == 303  # to the login page


def test_every_item_left_unanswered_is_named_at_once(web):
    """Saved with no item answered, the form named the first one only ("The operator wears the photo
    ID card: answer yes or no"): the inspector answered it, saved, and met the next, eight times."""
    web.login("society")
    path = "/society/inspections/new?counter=JP-LM-001"
    items = inspections.checklist_for(web.run(lambda: Counter.get(code="JP-LM-001")))
    blank = {k: v for k, v in _answers().items() if not k.startswith("checklist.")}
    for lang, said in (("en", f"{len(items)} items are not answered: "), ("hi", f"{len(items)} बिंदुओं का उत्तर नहीं दिया गया: ")):
        web.get(f"/lang/{lang}?next=/")
        missing = web.post_form(path, blank)
        assert missing.status_code == 400 and said in missing.text, missing.text
        for item in items:
            assert re.search(rf'<tr class="has-error" id="item-{item.code}">', missing.text), item.code
            assert (item.en if lang == "en" else item.hi) in html.unescape(missing.text.split('id="form-error">', 1)[1].split("</p>", 1)[0])
    two = web.post_form(path, _answers(**{"checklist.receipts": None, "checklist.signage": None}))
    assert two.status_code == 400 and 'class="has-error" id="item-receipts"' in two.text and 'class="has-error" id="item-signage"' in two.text
    assert 'class="has-error" id="item-id_card"' not in two.text
    assert web.run(lambda: Inspection.all().count()) == 0

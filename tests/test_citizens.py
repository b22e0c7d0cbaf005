"""The citizens' side: tracking by number and mobile, the citizen's own page, online grievances."""

from __future__ import annotations

import re

import pytest

from emitra.core import auth, grievances, workflow
from emitra.core.audit import Actor
from emitra.core.ids import make_receipt_no
from emitra.core.models import AuditLog, Case, Certificate, Counter, LoginThrottle, Notification, RequestStatus, ServiceRequest, User
from emitra.web.citizens import HOUR, TRACK_WINDOW
from tests.case_helpers import actor, caste_case, grievance_case, pay

RAMESH = "9829012345"
GOOD = {"district": "JP", "about": "department", "department": "phed", "counter_code": "", "complaint_type": "",
        "receipt_no": "", "name": "Sunita Devi", "mobile": "9414098765", "subject": "No water supply in ward 12",
        "body": "The PHED tap supply in ward 12, Chomu has been off for a week; the tanker has not come either."}


def track(web, number: str, mobile: str):
    return web.post_form("/track", {"number": number, "mobile": mobile})


def test_a_caste_application_is_tracked_by_receipt_and_mobile_with_the_departments_remark(web):
    async def setup():
        case = await caste_case()
        await workflow.act(await actor("tehsildar"), case, "approve", "Caste verified against the ration card")
        await workflow.add_remark(await actor("tehsildar"), case, "Applicant's father has a land dispute (internal)")
        return case.number

    number = web.run(setup)
    page = track(web, number, RAMESH)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    steps = page.text[page.text.index('id="steps"'):]
    assert "Caste certificate – Revenue Department" in page.text
    assert re.search(r'id="state">Approved<', page.text)
    for label in ("With the department", "Approve", "Caste verified against the ration card"):
        assert label in steps
    # the service and the steps only: no applicant's details, no officer's name, no internal note
    for secret in ("Gheesa Lal Bairwa", "Lakshmi Narayan Bairwa", "2341", "Tehsildar, Revenue", "land dispute", RAMESH):
        assert secret not in page.text
    assert "Expected by" in page.text and "LokMitra Centre, Malviya Nagar" in page.text


def test_a_ready_certificate_says_where_to_collect_it(web):
    async def setup():
        case = await caste_case()
        case = await workflow.act(await actor("tehsildar"), case, "approve", "Caste verified")
        case = await workflow.act(await actor("tehsildar"), case, "issue")
        return case.number

    number = web.run(setup)
    page = track(web, number, RAMESH)
    assert "collect it at LokMitra Centre, Malviya Nagar, Collectorate campus, Malviya Nagar, Jaipur with your receipt" in page.text
    assert "/certificates/" not in page.text  # the certificate itself only on the citizen's own page
    web.login("citizen")
    certificate = web.run(lambda: Certificate.get(case__number=number)).number
    mine = web.get(f"/my/{number}")
    assert f'href="/certificates/{certificate}"' in mine.text
    assert web.get(f"/certificates/{certificate}").status_code == 200  # the citizen may open it


def test_a_wrong_mobile_or_number_gets_one_generic_message_and_no_data(web):
    number = web.run(lambda: caste_case()).number
    wrong_mobile = track(web, number, "9999999999")
    wrong_number = track(web, make_receipt_no("JP", 1, 9999), RAMESH)  # a receipt number no counter issued
    for page in (wrong_mobile, wrong_number):
        assert page.status_code == 404
        assert "No application with this number and mobile" in page.text
        assert "Caste" not in page.text and 'id="steps"' not in page.text
    bad = track(web, number, "12345")
    assert bad.status_code == 400 and "Mobile number: the 10 digits" in bad.text


def test_the_shape_a_refusal_gives_a_receipt_number_is_the_one_core_ids_takes(monkeypatch):
    """The tracking page said a receipt number is "two letters and 13 digits" after core/ids.RECEIPT_NO
    took 13 to 20 (a counter id past 9999): the message says the range core/ids declares, and what it
    says a receipt number is, core/ids takes."""
    from emitra.core import ids
    from emitra.web.citizens import number_mistyped

    fewest, most = ids.RECEIPT_DIGITS
    said = number_mistyped("JP000100000042")  # 12 digits
    assert f"two letters and {fewest} to {most} digits" in said and "(this has 12 digits)" in said
    assert ids.RECEIPT_NO.fullmatch("JP" + "1" * fewest) and ids.RECEIPT_NO.fullmatch("JP" + "1" * most)
    assert not ids.RECEIPT_NO.fullmatch("JP" + "1" * (fewest - 1)) and not ids.RECEIPT_NO.fullmatch("JP" + "1" * (most + 1))
    assert number_mistyped(ids.make_receipt_no("JP", 12_345, 421)) == ""  # 14 digits: a receipt number
    monkeypatch.setattr(ids, "RECEIPT_DIGITS", (13, 21))
    assert "two letters and 13 to 21 digits" in number_mistyped("JP000100000042")  # read from core/ids, not restated


def test_a_mistyped_number_is_refused_beside_it_saying_what_to_fix_and_never_spends_the_look_ups(web):
    """A digit mistyped, two swapped, one left out or a word typed: the page says which, under the
    number, in the page's language, without looking anything up; ten such never hold back the real one."""
    number = web.run(lambda: caste_case()).number
    swapped = number[:-3] + number[-2] + number[-3] + number[-1]
    assert swapped != number
    mistyped = {
        swapped.lower(): "This receipt number has a wrong check digit: a digit was probably mistyped, or two swapped.",
        number[:-1]: "a receipt number is two letters and 13 to 20 digits, such as JP0001000000421 (this has 12 digits)",
        "my caste certificate": "(this has 0 digits); a grievance number is written GR-JP-0000001",
    }
    for typed, said in mistyped.items():
        page = track(web, typed, RAMESH)
        assert page.status_code == 400, (typed, page.status_code)
        error = re.search(r'<p class="error" id="number-error" role="alert">(.*?)</p>', page.text, re.S)
        assert error and said in error.group(1), (typed, page.text[-3000:])
        assert 'id="not-found"' not in page.text and 'id="steps"' not in page.text
        assert f'value="{typed}"' in page.text  # kept to correct
    web.get("/lang/hi?next=/track")
    hindi = track(web, swapped, RAMESH)
    assert hindi.status_code == 400 and "इस रसीद संख्या का जाँच अंक गलत है" in hindi.text
    short = track(web, number[:-1], RAMESH)
    assert "रसीद संख्या में दो अक्षर और 13 से 20 अंक होते हैं" in short.text and "(इसमें 12 अंक हैं)" in short.text
    for _ in range(11):  # more than the look-ups allowed from one address: none was spent
        assert track(web, swapped, RAMESH).status_code == 400
    found = track(web, " ".join([number[:2], number[2:6], number[6:]]).lower(), RAMESH)
    assert found.status_code == 200 and 'id="steps"' in found.text


def test_a_payment_that_is_not_a_case_shows_its_status(web):
    async def setup():
        request = await pay("gov.rj.jvvnl.bill", {"k_number": "210412345678"}, "bill-1")
        return request.receipt_no

    receipt = web.run(setup)
    page = track(web, receipt, RAMESH)
    assert page.status_code == 200, page.text
    assert "Paid" in page.text and 'id="steps"' not in page.text

    async def cancel():
        r = await ServiceRequest.get(receipt_no=receipt)
        r.status = RequestStatus.PAYMENT_FAILED
        await r.save(update_fields=["status"])

    web.run(cancel)
    assert "Payment failed" in track(web, receipt, RAMESH).text


def test_tracking_is_throttled_after_ten_failures_from_one_address(web):
    number = web.run(lambda: caste_case()).number
    token = web.csrf("/track")
    for i in range(10):
        r = web.post("/track", data={"number": number, "mobile": f"90000000{i:02d}", "csrf_token": token})
        assert r.status_code == 404
    blocked = web.post("/track", data={"number": number, "mobile": RAMESH, "csrf_token": token})
    assert blocked.status_code == 429
    assert "Wait 15 minutes" in blocked.text and 'id="steps"' not in blocked.text


def test_the_tracking_throttle_is_shared_by_every_worker(web):
    """Failures another worker process counted (it writes the same rows of the database) count here."""
    from emitra.core import auth
    from emitra.web.citizens import TRACK_WINDOW

    number = web.run(lambda: caste_case()).number
    token = web.csrf("/track")
    for i in range(4):
        assert web.post("/track", data={"number": number, "mobile": f"90000000{i:02d}", "csrf_token": token}).status_code == 404

    async def elsewhere():  # the other worker's six failures from the same address (the test client's)
        for _ in range(6):
            await auth.count_event("track:testclient", TRACK_WINDOW)

    web.run(elsewhere)
    blocked = web.post("/track", data={"number": number, "mobile": RAMESH, "csrf_token": token})
    assert blocked.status_code == 429 and 'id="steps"' not in blocked.text


def test_tracking_needs_the_forms_csrf_token(web):
    number = web.run(lambda: caste_case()).number
    web.get("/track")
    refused = web.post("/track", data={"number": number, "mobile": RAMESH})
    assert refused.status_code == 403 and 'id="steps"' not in refused.text


def test_my_page_shows_the_citizens_own_cases_and_hides_others(web):
    async def setup():
        mine = await caste_case("caste-mine")
        other = await pay("gov.rj.jvvnl.bill", {"k_number": "210412345678"}, "bill-sunita", citizen="Sunita Devi")
        return mine.number, other.receipt_no

    mine, others = web.run(setup)
    web.login("citizen")
    listing = web.get("/my")
    assert listing.status_code == 200 and f'href="/my/{mine}"' in listing.text
    assert others not in listing.text
    detail = web.get(f"/my/{mine}")
    assert detail.status_code == 200 and 'id="steps"' in detail.text and "With the department" in detail.text
    assert web.get(f"/my/{others}").status_code == 404
    web.logout()
    web.login("operator1")
    assert web.get("/my").status_code == 403


def test_a_logged_in_citizen_reaches_their_receipt_and_the_public_pages_from_their_own(web):
    """A citizen logged in saw only "My applications" in the menu (tracking another number, verifying a
    receipt or filing a grievance meant logging out, or knowing the address), and their application's
    page did not lead to its receipt, which they may read and which the counter asks for at collection."""
    async def setup():
        return (await caste_case("caste-receipt")).number, (await pay("gov.rj.jvvnl.bill", {"k_number": "210412345678"}, "bill-mine")).receipt_no

    application, bill = web.run(setup)
    web.login("citizen")
    for lang in ("en", "hi"):
        web.get(f"/lang/{lang}")
        page = web.get("/my").text
        menu = page[page.index("<nav>"):page.index("</nav>")]
        for link in ('href="/my"', 'href="/track"', 'href="/verify"', 'href="/grievances/new"'):
            assert link in menu, (lang, link)
        for number in (application, bill):
            detail = web.get(f"/my/{number}").text
            link = re.search(r'<p class="no-print" id="receipt-link"><a href="([^"]+)">([^<]+)</a>', detail)
            assert link and link.group(1) == f"/receipts/{number}", (lang, number)
            assert ("आपकी रसीद" if lang == "hi" else "Your receipt") in link.group(2)
            receipt = web.get(link.group(1))
            assert receipt.status_code == 200 and number in receipt.text
    assert web.get("/track").status_code == 200 and web.get("/verify").status_code == 200
    assert web.get("/grievances/new").status_code == 200


def test_an_online_grievance_about_phed_reaches_the_phed_officer(web):
    filed = web.post_form("/grievances/new", GOOD)
    assert filed.status_code == 303
    confirmation = web.get(filed.headers["location"])
    number = re.search(r"GR-JP-\d{7}", confirmation.text).group(0)
    assert "/track" in confirmation.text and "94XXXXXX65" in confirmation.text

    async def check():
        case = await Case.get(number=number)
        assert (case.department, case.state, case.channel, case.desk) == (
            "Public Health Engineering (water supply)", "forwarded", "online", "department")
        phed = await User.get(username="phed")
        assert [t.action for t in workflow.allowed_actions(phed, case)] == ["acknowledge", "resolve", "close"]
        notes = await Notification.filter(case_id=case.id).order_by("id")
        assert notes[0].event == "submitted" and notes[0].recipient == "9414098765" and number in notes[0].body_en
        assert await AuditLog.exists(action="grievance.filed_online", object_id=str(case.id))

    web.run(check)
    page = track(web, number, "9414098765")
    assert page.status_code == 200 and "Public Health Engineering" in page.text


def test_a_grievance_number_is_found_however_its_spaces_and_dashes_are_typed(web):
    """As a receipt number is: "GR JP 0000670", "GRJP0000670", "gr-jp-0000670" all find GR-JP-0000670,
    and none of them counts against the throttle."""
    web.login("citizen")  # filed while logged in: also the citizen's own, at /my/<number>
    filed = web.post_form("/grievances/new", GOOD)
    number = re.search(r"GR-JP-\d{7}", web.get(filed.headers["location"]).text).group(0)
    digits = number[len("GR-JP-"):]
    typed = [f"GR JP {digits}", f"GRJP{digits}", f"gr-jp-{digits}", f" GR - JP - {digits} ", f"GR–JP–{digits}", f"gr jp-{digits}"]
    for spelling in typed:
        page = track(web, spelling, "9414098765")
        assert page.status_code == 200, spelling
        assert "Public Health Engineering" in page.text and "No application with this number" not in page.text
    assert web.run(lambda: auth.events_in_window("track:testclient", TRACK_WINDOW)) == 0
    for spelling in (f"GRJP{digits}", f"gr-jp-{digits}", f"GR JP {digits}"):
        assert web.get(f"/my/{spelling}").status_code == 200, spelling
    # a receipt number keeps working with spaces and dashes
    receipt = web.run(lambda: caste_case()).number
    assert track(web, f"{receipt[:2]} {receipt[2:6]}-{receipt[6:]}", RAMESH).status_code == 200


def test_hindi_pages_name_the_department_in_hindi(web):
    """/track's "किसके पास", the grievance confirmation and /verify/certificate's "जारीकर्ता कार्यालय"
    name the department as its plugin declares it in Hindi; English pages keep the English name."""
    async def setup():
        case = await caste_case()  # approved: the department's turn (to issue the certificate)
        case = await workflow.act(await actor("tehsildar"), case, "approve", "Caste verified")
        issued = await workflow.act(await actor("tehsildar"), await caste_case("hindi-issued"), "approve", "Caste verified")
        issued = await workflow.act(await actor("tehsildar"), issued, "issue")
        return case.number, (await Certificate.get(case_id=issued.id)).token

    number, token = web.run(setup)
    english = track(web, number, RAMESH).text
    assert "Revenue Department, Government of Rajasthan" in english
    web.get("/lang/hi?next=/track")
    hindi = track(web, number, RAMESH).text
    with_row = re.search(r"<th>किसके पास</th><td[^>]*>(.*?)</td>", hindi).group(1)
    assert with_row == "राजस्व विभाग, राजस्थान सरकार"
    issuer = re.search(r"<th>जारीकर्ता कार्यालय</th><td>(.*?)</td>", web.get(f"/verify/certificate/{token}").text, re.S).group(1)
    assert issuer.startswith("राजस्व विभाग, राजस्थान सरकार ·") and "Government of Rajasthan" not in issuer
    filed = web.post_form("/grievances/new", GOOD)
    confirmation = web.get(filed.headers["location"]).text
    assert "जन स्वास्थ्य अभियांत्रिकी (जल आपूर्ति)" in confirmation and "Public Health Engineering" not in confirmation
    grievance = re.search(r"GR-JP-\d{7}", confirmation).group(0)
    tracked = track(web, grievance, "9414098765").text
    assert re.search(r"<th>किसके पास</th><td[^>]*>जन स्वास्थ्य अभियांत्रिकी \(जल आपूर्ति\)</td>", tracked)
    web.get("/lang/en?next=/track")
    assert "Public Health Engineering (water supply)" in track(web, grievance, "9414098765").text


def test_a_complaint_about_a_counter_goes_to_the_society_desk(web):
    async def setup():
        request = await pay("gov.rj.jvvnl.bill", {"k_number": "210412345678"}, "bill-kiosk", username="operator2")
        return request.receipt_no

    receipt = web.run(setup)
    form = web.get(f"/grievances/new?counter=JP-JM-001&receipt={receipt}")
    assert 'value="JP-JM-001"' in form.text and receipt in form.text and "₹5" in form.text
    data = {**GOOD, "about": "counter", "department": "", "counter_code": "JP-JM-001", "complaint_type": "overcharging",
            "receipt_no": receipt, "subject": "Asked for Rs 50 more than the receipt"}
    assert web.post_form("/grievances/new", data).status_code == 303

    async def check():
        case = await Case.get(service_code="emitra.counter_complaint")
        kiosk = await Counter.get(code="JP-JM-001")
        assert (case.desk, case.about_counter_id, case.department, case.state) == ("society", kiosk.id, "e-Mitra Society", "forwarded")
        assert receipt in case.body and "Overcharging" in case.body
        with pytest.raises(workflow.WorkflowError):
            await workflow.act(await actor("phed"), case, "acknowledge")
        case = await workflow.act(await actor("society"), case, "acknowledge", "Kiosk owner called for an explanation")
        assert case.state == "in_progress"

    web.run(check)


def test_the_grievance_form_is_no_oracle_of_which_receipt_numbers_exist(web):
    """The complaint form says whether a receipt number is one of the counter's ("… is not a receipt
    of counter JP-LM-001"), so a stranger could list every receipt number of every counter (they run
    in sequence) with forms that file nothing (the subject left empty) and were counted by no
    throttle: what /verify/receipt refuses to tell (docs/security.md). Every receipt number the form
    checks, found or not, now counts against the receipt check's throttle (10 in 15 minutes from an
    address, then 429 for a form naming a receipt), and the receipt check's misses against the form's."""
    async def setup():
        return (await pay("gov.rj.jvvnl.bill", {"k_number": "210412345678"}, "bill-lm")).receipt_no  # at JP-LM-001

    receipt = web.run(setup)
    probe = {**GOOD, "about": "counter", "department": "", "counter_code": "JP-LM-001", "complaint_type": "overcharging", "subject": ""}
    for n in range(9):
        miss = web.post_form("/grievances/new", {**probe, "receipt_no": f"{receipt[:-2]}{90 + n}"})
        assert miss.status_code == 400 and "is not a receipt of counter JP-LM-001" in miss.text
    hit = web.post_form("/grievances/new", {**probe, "receipt_no": receipt})  # found: counted too (binary search finds no gap)
    assert hit.status_code == 400 and "is not a receipt" not in hit.text and "Subject" in hit.text
    refused = web.post_form("/grievances/new", {**probe, "receipt_no": receipt})  # the right one: not told now
    assert refused.status_code == 429 and "is not a receipt" not in refused.text and "Subject" not in refused.text
    assert "Too many receipt numbers" in refused.text and "रसीद" in refused.text
    assert web.get(f"/verify/receipt?receipt_no={receipt}&total=1").status_code == 429  # one count for both
    data = {**GOOD, "about": "counter", "department": "", "counter_code": "JP-LM-001", "complaint_type": "rude"}
    assert web.post_form("/grievances/new", data).status_code == 303  # a complaint naming no receipt is still taken


def test_grievance_validation_names_each_field(web):
    async def setup():
        request = await pay("gov.rj.jvvnl.bill", {"k_number": "210412345678"}, "bill-lm")  # at JP-LM-001
        return request.receipt_no

    receipt = web.run(setup)
    bad = web.post_form("/grievances/new", {**GOOD, "mobile": "12345", "body": "Too short", "subject": "Hi"})
    assert bad.status_code == 400
    assert "Mobile number: 10 digits starting with 6, 7, 8 or 9" in bad.text
    assert "Grievance in detail: write 20 to 2000 characters (now 9)" in bad.text
    assert "Subject: write 5 to 150 characters" in bad.text
    assert 'value="Sunita Devi"' in bad.text  # what was typed stays
    unknown = web.post_form("/grievances/new", {**GOOD, "about": "counter", "counter_code": "JP-XX-999", "complaint_type": "rude"})
    assert unknown.status_code == 400 and "there is no e-Mitra counter JP-XX-999 in Jaipur district" in unknown.text
    other = web.post_form("/grievances/new", {**GOOD, "about": "counter", "counter_code": "JP-JM-001",
                                              "complaint_type": "overcharging", "receipt_no": receipt})
    assert other.status_code == 400 and f"{receipt} is not a receipt of counter JP-JM-001" in other.text
    no_department = web.post_form("/grievances/new", {**GOOD, "department": "nasa"})
    assert no_department.status_code == 400 and "Department: choose the department" in no_department.text
    assert web.run(lambda: Case.filter(channel="online").count()) == 0


def test_the_grievance_form_needs_its_csrf_token(web):
    web.get("/grievances/new")
    refused = web.post("/grievances/new", data=GOOD)
    assert refused.status_code == 403
    assert web.run(lambda: Case.filter(channel="online").count()) == 0


def test_a_district_grievance_goes_to_the_collectorate_and_a_logged_in_citizen_sees_it(web):
    web.login("citizen")
    form = web.get("/grievances/new").text
    assert 'value="Ramesh Kumar Sharma"' in form and f'value="{RAMESH}"' in form  # their own name and mobile
    filed = web.post_form("/grievances/new", {**GOOD, "about": "district", "department": "", "name": "Ramesh Kumar Sharma",
                                               "mobile": RAMESH})
    assert filed.status_code == 303
    case = web.run(lambda: Case.get(channel="online"))
    assert (case.department, case.desk, case.number) == ("District Collectorate", "department", "GR-JP-%07d" % case.id)
    assert case.number in web.get("/my").text


@pytest.mark.anyio
async def test_file_online_writes_nothing_when_a_field_is_wrong(demo_db):
    before = await Case.all().count(), await Notification.all().count()
    with pytest.raises(grievances.GrievanceInvalid) as err:
        await grievances.file_online(Actor(None), (await Counter.get(code="JP-LM-001")).district_id, about="counter",
                                     counter_code="JP-LM-001", complaint_type="bribe", name="A", mobile="98290",
                                     subject="Rude", body="x" * 19, lang="en")
    assert set(err.value.errors) == {"complaint_type", "name", "mobile", "subject", "body"}
    assert all(hi for _, hi in err.value.errors.values())
    assert (await Case.all().count(), await Notification.all().count()) == before


@pytest.mark.anyio
async def test_a_counter_grievance_is_tracked_with_the_citizens_mobile(demo_db):
    case = await grievance_case()
    assert case.mobile == "9414098765"
    from emitra.web.citizens import lookup

    found = await lookup(case.number, "9414098765")
    assert found is not None and found["department"] == "Public Health Engineering (water supply)"
    assert await lookup(case.number, RAMESH) is None



def test_one_mobile_files_at_most_five_grievances_an_hour_however_it_is_written(web):
    token = web.csrf("/grievances/new")
    written = ["9414098765", "+91 94140 98765", "094140-98765", "९४१४०९८७६५", "(+91) 9414098765"]
    for n, mobile in enumerate(written):  # five different grievances (the same one sent again is filed once, not counted)
        sent = web.post("/grievances/new", data={**GOOD, "mobile": mobile, "body": f"{GOOD['body']} ({n})", "csrf_token": token})
        assert sent.status_code == 303, sent.text
    flood = web.post("/grievances/new", data={**GOOD, "body": f"{GOOD['body']} (6)", "csrf_token": token})
    assert flood.status_code == 429 and "Too many grievances from this mobile number" in flood.text
    assert web.run(lambda: Case.filter(channel="online").count()) == 5
    # the throttle keeps a keyed hash of the number, never the number
    keys = web.run(lambda: LoginThrottle.all().values_list("key", flat=True))
    assert any(k.startswith("grievance-mobile:") for k in keys) and not any("9414098765" in k for k in keys)


def test_citizens_behind_one_public_address_each_file_their_own_grievances(web):
    """A mobile carrier puts thousands of its subscribers behind one public address: eleven
    citizens filing from it in an hour are not refused for each other's grievances (decision 103)."""
    token = web.csrf("/grievances/new")
    for n in range(11):
        sent = web.post("/grievances/new", data={**GOOD, "mobile": f"94140{n:05d}", "name": f"Citizen {chr(65 + n)}",
                                                 "body": f"{GOOD['body']} ({n})", "csrf_token": token})
        assert sent.status_code == 303, sent.text
    assert web.run(lambda: Case.filter(channel="online").count()) == 11


def test_one_address_is_still_kept_from_flooding_the_form(web, monkeypatch):
    monkeypatch.setenv("EMITRA_GRIEVANCES_PER_ADDRESS_HOUR", "3")
    token = web.csrf("/grievances/new")
    for n in range(3):  # three mobiles, each under its own limit
        assert web.post("/grievances/new", data={**GOOD, "mobile": f"98290{n:05d}", "body": f"{GOOD['body']} ({n})",
                                                 "csrf_token": token}).status_code == 303
    flood = web.post("/grievances/new", data={**GOOD, "mobile": "9829099999", "body": f"{GOOD['body']} (4)", "csrf_token": token})
    assert flood.status_code == 429 and "Too many grievances from this connection" in flood.text
    assert web.run(lambda: Case.filter(channel="online").count()) == 3


def test_tracking_names_the_steps_taken_and_says_with_whom_only_while_open(web):
    async def setup():
        case = await caste_case("track-past")
        case = await workflow.act(await actor("tehsildar"), case, "approve")
        case = await workflow.act(await actor("tehsildar"), case, "issue")
        return case

    case = web.run(setup)
    page = track(web, case.number, RAMESH).text
    steps = page[page.index('id="steps"'):]
    names = re.findall(r'<td class="nowrap">[^<]*</td>\s*<td>([^<]*)</td>', steps)
    assert names == ["Registered", "Forwarded to the department", "Approved", "Certificate issued"]
    assert "Received by the department, reference " in steps
    # ready for collection: it waits on the counter, not on the department (which said so before)
    assert re.search(r'<th>With</th><td id="with">the counter: LokMitra Centre, Malviya Nagar \(JP-LM-001\)</td>', page)
    web.get("/track?lang=hi")
    hindi = track(web, case.number, RAMESH).text
    steps = hindi[hindi.index('id="steps"'):]
    names = re.findall(r'<td class="nowrap">[^<]*</td>\s*<td>([^<]*)</td>', steps)
    assert names == ["दर्ज किया गया", "विभाग को भेजा गया", "स्वीकृत किया गया", "प्रमाण पत्र जारी किया गया"]
    assert "विभाग को प्राप्त, संदर्भ " in steps and "Received by the department" not in steps
    web.get("/track?lang=en")

    async def collect():
        await workflow.act(await actor("operator1"), await Case.get(id=case.id), "collect", "Identity checked")

    web.run(collect)
    collected = track(web, case.number, RAMESH).text
    assert re.search(r'id="state">Collected<', collected) and 'id="with"' not in collected and "Revenue Department, Government" not in collected
    assert "Handed over to the citizen" in collected and "Identity checked" not in collected  # the counter's remark stays private


def test_an_application_sent_back_for_correction_says_it_waits_on_the_counter_and_what_to_do(web):
    """Tracking said "With: Revenue Department" for an application the department had sent back for
    correction, and nothing of what the citizen must do."""
    async def setup():
        case = await caste_case("track-returned")
        await workflow.act(await actor("tehsildar"), case, "return", "Bring the affidavit of caste")
        forwarded = await caste_case("track-forwarded")
        return case.number, forwarded.number

    returned, forwarded = web.run(setup)
    page = track(web, returned, RAMESH).text
    assert re.search(r'<td id="with">the counter: LokMitra Centre, Malviya Nagar \(JP-LM-001\)</td>', page)
    advice = re.search(r'<p class="warning" id="correct">(.*?)</p>', page, re.S).group(1)
    assert "Sent back for correction" in advice and "LokMitra Centre, Malviya Nagar, Collectorate campus" in advice
    assert "Bring the affidavit of caste" in page  # the department's remark, in the steps
    web.get("/track?lang=hi")
    hindi = track(web, returned, RAMESH).text
    assert re.search(r'<td id="with">काउंटर: लोकमित्र केंद्र, मालवीय नगर \(JP-LM-001\)</td>', hindi)  # its Hindi name (decision 128)
    assert "सुधार हेतु लौटाया गया" in re.search(r'id="correct">(.*?)</p>', hindi, re.S).group(1)
    web.get("/track?lang=en")
    # with the department: it says so, and asks nothing of the citizen
    waiting = track(web, forwarded, RAMESH).text
    assert re.search(r'<td id="with">Revenue Department', waiting) and 'id="correct"' not in waiting
    web.login("citizen")  # the citizen's own page says the same
    mine = web.get(f"/my/{returned}").text
    assert 'id="correct"' in mine and "the counter: LokMitra Centre" in mine


def test_a_grievance_sent_twice_by_a_double_click_is_filed_once(web):
    """The form sent twice (a double click, Back and send again, a retry on a slow link whose first
    answer never came) filed two grievances with two numbers and two sets of messages, and the
    department answered both. The second copy now gets the first one's number, and says so."""
    token = web.csrf("/grievances/new")
    first = web.post("/grievances/new", data={**GOOD, "csrf_token": token})
    number = re.search(r"GR-JP-\d{7}", web.get(first.headers["location"]).text).group(0)
    again = web.post("/grievances/new", data={**GOOD, "csrf_token": token, "subject": f"  {GOOD['subject']} "})
    assert again.status_code == 303
    page = web.get(again.headers["location"])
    assert re.findall(r"GR-JP-\d{7}", page.text)[0] == number and 'id="filed-before"' in page.text
    assert web.run(lambda: Case.filter(channel="online").count()) == 1
    assert web.run(lambda: Notification.filter(event="submitted").count()) == 1
    assert web.run(lambda: auth.events_in_window("grievance:testclient", HOUR)) == 1
    other = web.post("/grievances/new", data={**GOOD, "csrf_token": token, "department": "energy"})  # another department: another grievance
    assert other.status_code == 303 and 'id="filed-before"' not in web.get(other.headers["location"]).text
    assert web.run(lambda: Case.filter(channel="online").count()) == 2


@pytest.mark.anyio
async def test_two_copies_of_one_grievance_sent_at_the_same_moment_file_one_case(demo_db):
    import asyncio

    district = (await Counter.get(code="JP-LM-001")).district_id
    form = {k: GOOD[k] for k in ("about", "department", "name", "mobile", "subject", "body")}
    cases = await asyncio.gather(*[grievances.file_online(Actor(None, via="web"), district, lang="hi", **form) for _ in range(3)])
    assert len({c.id for c in cases}) == 1 and sorted(c.filed_before for c in cases) == [False, True, True]
    assert await Case.filter(channel="online").count() == 1
    assert await AuditLog.filter(action="grievance.filed_online").count() == 1


def test_a_number_and_a_mobile_are_found_as_people_write_and_copy_them(web):
    """A mobile written +91 98290 12345 or 098290 12345 (as it is said, and as the counter's search
    takes it) or typed on a Hindi keyboard (९८२९०१२३४५) was refused; a number copied from the SMS
    with an invisible character or the full stop after it, or in Hindi digits, was "not found" and
    counted against the throttle."""
    number = web.run(lambda: caste_case()).number
    hindi = number.translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    for typed_number, typed_mobile in [(number, "+91 98290 12345"), (number, "098290 12345"), (number, "(+91) 98290-12345"),
                                       (number, "९८२९०१२३४५"), (f"{number}\u200b", RAMESH), (f"\u200e{number}.", RAMESH),
                                       (f"{number}।", RAMESH), (hindi, RAMESH), (f"\ufeff{number.lower()}\t", "+919829012345")]:
        page = track(web, typed_number, typed_mobile)
        assert page.status_code == 200 and 'id="steps"' in page.text, (typed_number, typed_mobile)
    assert web.run(lambda: auth.events_in_window("track:testclient", TRACK_WINDOW)) == 0
    assert track(web, number, "+1 98290 12345").status_code == 400  # not an Indian mobile: refused, naming the field
    # the grievance form takes them so too: the mobile stored as its 10 digits, the counter's code found however typed
    assert web.post_form("/grievances/new", {**GOOD, "mobile": "+91 ९४१४० ९८७६५"}).status_code == 303
    assert web.run(lambda: Case.get(channel="online")).mobile == "9414098765"
    data = {**GOOD, "about": "counter", "department": "", "counter_code": "jp jm 001", "complaint_type": "rude", "subject": "Rude operator"}
    assert web.post_form("/grievances/new", data).status_code == 303
    assert web.run(lambda: Case.get(service_code="emitra.counter_complaint").prefetch_related("about_counter")).about_counter.code == "JP-JM-001"


def test_a_long_number_on_the_citizens_own_page_is_not_found_not_a_technical_refusal(web):
    """/my/<a number of 300 characters> answered 400 "Length of (the value sent) 300 > 30", the
    database column's check, instead of saying the citizen has no such application."""
    web.login("citizen")
    for number in ("x" * 300, "JP" + "0" * 40, "%E0%A4%9C" * 40):
        page = web.get(f"/my/{number}")
        assert page.status_code == 404 and "You have no application or grievance with this number" in page.text, number
        assert "Length of" not in page.text


def test_every_state_says_what_the_citizen_does_next_and_where(web):
    """Tracking said what to do for an application sent back or ready only: one called for a personal
    verification, rejected, revoked, a grievance resolved or closed, or one late and escalated showed
    a bare status, and the citizen did not know whether to wait, go somewhere, or apply again."""
    from tests.case_helpers import domicile_case

    async def setup():
        officer = await actor("tehsildar")
        verification = await workflow.act(officer, await domicile_case("dom-next"), "call_for_verification")
        approved = await workflow.act(officer, await caste_case("next-approved"), "approve", "Caste verified")
        rejected = await workflow.act(officer, await caste_case("next-rejected"), "reject", "Caste not shown by the papers")
        revoked = await workflow.act(officer, await workflow.act(officer, await caste_case("next-revoked"), "approve"), "issue")
        revoked = await workflow.act(officer, revoked, "revoke", "Issued on a forged ration card")
        resolved = await workflow.act(await actor("phed"), await grievance_case("grv-resolved"), "resolve", "Supply restored on Monday")
        closed = await workflow.act(await actor("phed"), await grievance_case("grv-closed"), "close", "Not a PHED matter")
        late = await caste_case("next-late")
        await Case.filter(id=late.id).update(level=2)
        return {c.state if c is not late else "late": c.number for c in (verification, approved, rejected, revoked, resolved, closed, late)}

    numbers = web.run(setup)

    def advice(state: str, mobile: str = RAMESH) -> str:
        page = track(web, numbers[state], mobile).text
        found = re.search(r'<p[^>]*id="(?:next|late)"[^>]*>(.*?)</p>', page, re.S)
        assert found, state
        return " ".join(found.group(1).split())

    assert "appear in person with your original papers" in advice("verification")
    called = web.run(lambda: Notification.filter(case__number=numbers["verification"], event="state_changed").order_by("-id").first())
    assert "is now: Personal verification. The department will call you to appear in person with your original papers." in called.body_en
    assert "): व्यक्तिगत सत्यापन। विभाग मूल दस्तावेज़ों सहित बुलाएगा।" in called.body_hi
    assert "ready to collect at LokMitra Centre, Malviya Nagar (JP-LM-001)" in advice("approved")
    assert "You may apply again, with papers that answer it, at any e-Mitra counter" in advice("rejected")
    assert "no longer valid and must not be used" in advice("revoked")
    assert "file a new one and quote this number" in advice("resolved", "9414098765")
    assert "If you disagree, file a new grievance" in advice("closed", "9414098765")
    assert "sent to a senior officer (level 2)" in advice("late")
    web.get("/track?lang=hi")
    assert "मूल दस्तावेज़ों के साथ व्यक्तिगत रूप से उपस्थित" in advice("verification")
    assert "किसी भी ई-मित्र काउंटर पर फिर से आवेदन" in advice("rejected")
    web.get("/track?lang=en")
    forwarded = track(web, web.run(lambda: caste_case("next-waiting")).number, RAMESH).text  # with the department, on time
    assert 'id="next"' not in forwarded and 'id="late"' not in forwarded


def test_control_characters_and_text_reordering_marks_do_not_reach_the_officer(web):
    """A name of control characters only ("\\x07\\x1b\\x08") was taken as a name, and a subject could
    carry a terminal's escape (shown as written by `emitra cases list` in the data centre's shell) or
    U+202E, which shows the rest of the line reversed in the officer's inbox."""
    bad = web.post_form("/grievances/new", {**GOOD, "name": "\x07\x1b\x08"})
    assert bad.status_code == 400 and "Your name: write 2 to 100 characters (now 0)" in bad.text
    no_words = web.post_form("/grievances/new", {**GOOD, "name": "👍🏽👍🏽", "subject": "....."})
    assert no_words.status_code == 400 and "Your name: write your name in letters, in Hindi or English." in no_words.text
    assert "Subject: say in words what the grievance is about" in no_words.text
    assert web.post_form("/grievances/new", {**GOOD, "name": "सुनीता देवी"}).status_code == 303
    filed = web.post_form("/grievances/new", {**GOOD, "subject": "\u202eNo water\x1b[2J in ward\t12", "name": "Sunita\x08 Devi",
                                               "body": f"{GOOD['body']}\r\nSecond line\x00".replace("\x00", "\x07")})
    assert filed.status_code == 303
    case = web.run(lambda: Case.filter(channel="online").order_by("-id").first())
    assert (case.subject, case.applicant_name) == ("No water[2J in ward 12", "Sunita Devi")
    assert case.body == f"{GOOD['body']}\nSecond line"
    web.login("phed")
    inbox = web.get(f"/office/cases/{case.id}")
    assert inbox.status_code == 200 and "No water[2J in ward 12" in inbox.text
    assert "\u202e" not in inbox.text and "\x1b" not in inbox.text


def test_the_grievance_confirmation_prints_the_whole_address_to_track_it(web, monkeypatch):
    """It said "track it … at /track": on a page written down or printed, a path leads nowhere."""
    monkeypatch.setenv("EMITRA_PUBLIC_URL", "https://emitra.example.in")
    filed = web.post_form("/grievances/new", GOOD)
    page = web.get(filed.headers["location"]).text
    assert "your mobile at https://emitra.example.in/track, or at any e-Mitra counter" in page
    web.get("/lang/hi?next=/grievances/filed")
    assert "मोबाइल से https://emitra.example.in/track पर" in web.get("/grievances/filed").text


def test_the_confirmation_is_not_shown_to_the_next_person_at_a_shared_kiosk(web, monkeypatch):
    """The confirmation (the grievance number, where it went, the mobile's last digits) stayed in the
    browser's session for good: whoever used a shared kiosk's browser next opened /grievances/filed
    and read it. It is shown again (a reload) for 30 minutes, and not once the form is opened anew."""
    monkeypatch.setenv("EMITRA_NOW", "2026-12-01T10:00")
    filed = web.post_form("/grievances/new", GOOD)
    number = re.search(r"GR-JP-\d{7}", web.get(filed.headers["location"]).text).group(0)
    monkeypatch.setenv("EMITRA_NOW", "2026-12-01T10:29")
    assert number in web.get("/grievances/filed").text  # a reload soon after: still there
    monkeypatch.setenv("EMITRA_NOW", "2026-12-01T10:31")
    later = web.get("/grievances/filed")
    assert later.status_code == 303 and later.headers["location"] == "/grievances/new"
    monkeypatch.setenv("EMITRA_NOW", "2026-12-01T11:00")
    filed = web.post_form("/grievances/new", {**GOOD, "body": GOOD["body"] + " Again."})  # the form opened anew: forgotten
    assert filed.status_code == 303 and web.get("/grievances/filed").status_code == 200
    web.get("/grievances/new")
    assert web.get("/grievances/filed").status_code == 303


def test_an_application_past_the_date_it_was_expected_by_says_it_is_late(web):
    """Tracking kept saying "Expected by 16-11-2026" on 1 December, as if that date were still ahead,
    until the SLA sweep escalated it."""
    import datetime as dt

    async def setup():
        late, on_time = await caste_case("late-1"), await caste_case("late-2")
        await Case.filter(id=late.id).update(due_at=late.created_at - dt.timedelta(days=2))
        return late.number, on_time.number

    late, on_time = web.run(setup)
    page = track(web, late, RAMESH).text
    note = " ".join(re.search(r'id="late">(.*?)</p>', page, re.S).group(1).split())
    assert note.startswith("Late: it was expected by ") and "file a grievance about the delay" in note
    assert 'id="late"' not in track(web, on_time, RAMESH).text


def test_a_late_application_ready_at_the_counter_is_not_called_late(web):
    """Once it waits on the citizen (ready to collect), "late … you need not do anything" would
    contradict "collect it at …"."""
    async def setup():
        case = await workflow.act(await actor("tehsildar"), await caste_case("late-ready"), "approve")
        case = await workflow.act(await actor("tehsildar"), case, "issue")
        await Case.filter(id=case.id).update(level=2)
        return case.number

    page = track(web, web.run(setup), RAMESH).text
    assert 'id="collect"' in page and 'id="late"' not in page


def test_the_mobile_fields_take_a_mobile_as_people_write_it(web):
    """The mobile inputs stopped at 15 characters with a digits-only keypad: "(+91) 98290-12345" was
    cut to "(+91) 98290-123" by the browser, and a phone's keypad offered no "+"."""
    written = "(+91) 98290-12345"
    for page in (web.get("/track").text, web.get("/grievances/new").text):
        tag = re.search(r'<input id="mobile"[^>]*>', page).group(0)
        assert int(re.search(r'maxlength="(\d+)"', tag).group(1)) >= len(written) and 'inputmode="tel"' in tag


# --- the language of an online grievance's messages (decision 111) ---------------------------------------

def _grievance_notes(web, number: str) -> list[tuple[str, str]]:
    """(event, lang) of the messages queued about grievance ``number``, oldest first."""
    return web.run(lambda: Notification.filter(case__number=number, channel="sms").order_by("id").values_list("event", "lang"))


def test_the_grievance_form_asks_the_language_of_its_messages_the_pages_ticked_first(web):
    """Filed on a borrowed phone set to English, by a citizen who reads Hindi: every SMS was English."""
    assert re.search(r'name="message_lang" value="en" checked', web.get("/grievances/new").text)
    filed = web.post_form("/grievances/new", {**GOOD, "message_lang": "hi"})
    assert filed.status_code == 303
    confirmation = web.get(filed.headers["location"]).text
    number = re.search(r"GR-JP-\d{7}", confirmation).group(0)
    assert re.search(r'id="message-lang">हिन्दी<', confirmation)
    assert web.run(lambda: Case.get(number=number)).lang == "hi"
    assert {lang for _, lang in _grievance_notes(web, number)} == {"hi"}  # its acknowledgement, its forwarding
    # Back, English ticked, sent again: the grievance filed once, its messages from now on in English
    again = web.get(web.post_form("/grievances/new", {**GOOD, "message_lang": "en"}).headers["location"]).text
    assert 'id="filed-before"' in again and number in again and re.search(r'id="message-lang">English<', again)
    [changed] = web.run(lambda: AuditLog.filter(action="case.message_lang"))
    assert (changed.detail["from"], changed.detail["to"], changed.detail["case"]) == ("hi", "en", number)
    assert web.run(lambda: Case.get(number=number)).lang == "en"
    # a value that is neither: refused naming the field, nothing filed, the other fields kept
    bad = web.post_form("/grievances/new", {**GOOD, "department": "energy", "message_lang": "fr"})
    assert bad.status_code == 400 and "Messages to you (SMS) in: choose हिन्दी (Hindi) or English" in bad.text
    assert 'value="Sunita Devi"' in bad.text and not re.search(r'name="message_lang" value="\w+" checked', bad.text)
    web.get("/lang/hi")
    assert re.search(r'name="message_lang" value="hi" checked', web.get("/grievances/new").text)
    bad = web.post_form("/grievances/new", {**GOOD, "department": "energy", "message_lang": "english"})
    assert bad.status_code == 400 and "आपको संदेश (SMS) किस भाषा में: हिन्दी या English" in bad.text
    assert web.run(lambda: Case.filter(channel="online").count()) == 1
    # chosen English on a Hindi page
    filed = web.post_form("/grievances/new", {**GOOD, "department": "energy", "message_lang": "en"})
    assert re.search(r'id="message-lang">English<', web.get(filed.headers["location"]).text)
    assert web.run(lambda: Case.get(department__contains="Energy", channel="online")).lang == "en"


def test_a_citizen_changes_the_language_of_their_online_grievance_for_the_messages_that_follow(web):
    web.login("citizen")
    filed = web.post_form("/grievances/new", {**GOOD, "name": "Ramesh Kumar Sharma", "mobile": RAMESH, "message_lang": "en"})
    number = re.search(r"GR-JP-\d{7}", web.get(filed.headers["location"]).text).group(0)
    queued = _grievance_notes(web, number)
    assert queued and {lang for _, lang in queued} == {"en"}
    page_url, action = f"/my/{number}", f"/my/{number}/message-lang"
    page = web.get(page_url).text
    assert f'action="{action}"' in page and re.search(r'name="message_lang" value="en" checked', page)
    assert "SMS about this grievance in" in page
    assert web.client.post(action, data={"message_lang": "hi"}).status_code == 403  # no CSRF token
    bad = web.post_form(action, {"message_lang": "fr"}, token_from=page_url)
    assert bad.status_code == 400 and "Messages to you: tick हिन्दी (Hindi) or English, the language you read" in bad.text
    assert web.run(lambda: Case.get(number=number)).lang == "en"
    done = web.post_form(action, {"message_lang": "hi"}, token_from=page_url)
    assert done.status_code == 303 and done.headers["location"].startswith(page_url)
    page = web.get(page_url).text
    assert re.search(r'id="message-lang">हिन्दी<', page) and "changed from English to हिन्दी" in page and "by citizen" not in page
    [record] = web.run(lambda: AuditLog.filter(action="case.message_lang"))
    assert (record.actor_name, record.object_type, record.detail["from"], record.detail["to"], record.detail["case"]) == (
        "citizen", "Case", "en", "hi", number)
    assert web.post_form(action, {"message_lang": "hi"}, token_from=page_url).status_code == 303  # the same again: nothing
    assert web.run(lambda: AuditLog.filter(action="case.message_lang").count()) == 1

    async def next_step():  # the PHED officer acknowledges it: the citizen is told in Hindi
        await workflow.act(await actor("phed"), await Case.get(number=number), "acknowledge")

    web.run(next_step)
    notes = _grievance_notes(web, number)  # those queued before stay English
    assert notes[:len(queued)] == queued and notes[len(queued):] == [("state_changed", "hi")]
    # tracking by number and mobile shows it, and changes nothing (decision 111)
    tracked = track(web, number, RAMESH).text
    assert re.search(r'id="message-lang">हिन्दी<', tracked) and "message-lang-form" not in tracked
    web.logout()
    # a grievance filed without logging in, though with the citizen's own mobile, is not theirs to change
    anonymous = web.post_form("/grievances/new", {**GOOD, "department": "energy", "mobile": RAMESH, "message_lang": "en"})
    other = re.search(r"GR-JP-\d{7}", web.get(anonymous.headers["location"]).text).group(0)
    web.login("citizen")
    assert web.get(f"/my/{other}").status_code == 404
    assert web.post_form(f"/my/{other}/message-lang", {"message_lang": "hi"}, token_from="/my").status_code == 404
    web.logout()
    for username in ("operator1", "phed", "society"):  # the citizen's page is the citizen's
        web.login(username)
        assert web.post_form(action, {"message_lang": "en"}, token_from="/no-such-page").status_code == 403, username
        web.logout()
    assert web.run(lambda: Case.get(number=other)).lang == "en" and web.run(lambda: Case.get(number=number)).lang == "hi"
    assert web.run(lambda: AuditLog.filter(action="case.message_lang").count()) == 1

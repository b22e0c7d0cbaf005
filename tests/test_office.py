"""The officer's inbox and case page, the Society's sweep, and the counter's side of a case."""

from __future__ import annotations

import datetime as dt
import html
import re

from emitra.core import clock
from emitra.core.models import Case, CaseEvent, Counter, RequestStatus, ServiceRequest
from emitra.core.plugins import get_host
from tests.case_helpers import CASTE, caste_case, domicile_case, grievance_case


def _state(web, case_id: int) -> str:
    return web.run(lambda: Case.get(id=case_id)).state


def _act(web, case_id: int, action: str, remark: str = ""):
    return web.post_form(f"/office/cases/{case_id}/act", {"action": action, "remark": remark}, token_from=f"/office/cases/{case_id}")


def test_an_officer_sees_only_the_cases_of_their_department(web):
    caste = web.run(lambda: caste_case("office-1"))
    grievance = web.run(lambda: grievance_case("office-2"))
    web.login("tehsildar")
    inbox = web.get("/office")
    assert inbox.status_code == 200
    assert caste.number in inbox.text and grievance.number not in inbox.text
    assert "Lakshmi Narayan Bairwa" in inbox.text and "With the department" in inbox.text
    web.logout()
    web.login("phed")
    inbox = web.get("/office")
    assert grievance.number in inbox.text and caste.number not in inbox.text
    assert web.get(f"/office/cases/{caste.id}").status_code == 404
    web.logout()
    web.login("officer")  # JVVNL: neither case is theirs
    inbox = web.get("/office")
    assert caste.number not in inbox.text and grievance.number not in inbox.text
    assert web.get(f"/office/cases/{caste.id}").status_code == 404
    assert web.get(f"/office/cases/{grievance.id}").status_code == 404


def test_operators_and_citizens_have_no_inbox(web):
    web.login("operator1")
    assert web.get("/office").status_code == 403
    web.logout()
    web.login("citizen")
    assert web.get("/office").status_code == 403


def test_the_filters_narrow_the_inbox(web):
    old = web.run(lambda: caste_case("office-f1"))
    new = web.run(lambda: caste_case("office-f2", mobile="9414098765"))
    web.run(lambda: Case.filter(id=old.id).update(created_at=clock.now() - dt.timedelta(days=5)))
    web.login("tehsildar")
    assert old.number in web.get("/office").text and new.number in web.get("/office").text
    by_age = web.get("/office", params={"min_age": "3"}).text
    assert old.number in by_age and new.number not in by_age
    by_number = web.get("/office", params={"number": new.number[-4:]}).text
    assert new.number in by_number and old.number not in by_number
    assert "No case matches" in web.get("/office", params={"flagged": "1"}).text
    assert "No case matches" in web.get("/office", params={"state": "approved"}).text
    assert old.number in web.get("/office", params={"service": CASTE, "state": "forwarded"}).text
    bad = web.get("/office", params={"min_age": "a week"})
    assert bad.status_code == 400 and "At least this many days old: give a whole number from 0 to 36500." in bad.text
    # the oldest first
    page = web.get("/office").text
    assert page.index(old.number) < page.index(new.number)


def test_approving_from_the_case_page_moves_it_and_shows_in_the_timeline(web):
    case = web.run(lambda: caste_case("office-3"))
    web.login("tehsildar")
    detail = web.get(f"/office/cases/{case.id}")
    assert detail.status_code == 200
    assert "Bairwa" in detail.text and "Caste" in detail.text  # the form data, as label and value
    assert re.search(r'href="/documents/\w+"', detail.text)  # the ration card scan
    size = int(re.search(r'<ul id="documents">.*?, ([\d,]+) KB\)', detail.text, re.S).group(1).replace(",", ""))
    assert size >= 1  # a small scan is "1 KB" (as at the counter), never "0.0 KB", which reads as an empty file
    assert 'id="act-approve"' in detail.text and 'id="act-reject"' in detail.text
    assert "9829012345" not in detail.text and "98XXXXXX45" in detail.text
    done = _act(web, case.id, "approve", "Caste verified against the ration card")
    assert done.status_code == 303
    assert _state(web, case.id) == "approved"
    after = web.get(done.headers["location"])
    assert "Caste verified against the ration card" in after.text and "Tehsildar, Revenue Department" in after.text
    assert 'id="act-issue"' in after.text and 'id="act-approve"' not in after.text
    # an internal remark is marked as such, and never reaches the citizen's timeline
    noted = web.post_form(f"/office/cases/{case.id}/remark", {"remark": "Called the patwari to confirm"}, token_from=f"/office/cases/{case.id}")
    assert noted.status_code == 303
    event = web.run(lambda: CaseEvent.filter(case_id=case.id, action="remark").first())
    assert event.public is False
    page = web.get(f"/office/cases/{case.id}").text
    assert re.search(r"internal</span>\s*Called the patwari", page)


def test_the_officer_opens_the_scanned_document(web):
    case = web.run(lambda: caste_case("office-doc"))
    web.login("tehsildar")
    link = re.search(r'href="(/documents/\w+)"', web.get(f"/office/cases/{case.id}").text).group(1)
    document = web.get(link)
    assert document.status_code == 200 and document.content.startswith(b"%PDF")


def test_a_rejection_without_a_reason_is_refused_with_the_field_message(web):
    case = web.run(lambda: caste_case("office-4"))
    web.login("tehsildar")
    refused = _act(web, case.id, "reject", "")
    assert refused.status_code == 400
    assert 'id="error-reject"' in refused.text and "needs a reason the citizen can read" in refused.text
    assert _state(web, case.id) == "forwarded"


def test_a_bulk_approve_does_the_rest_when_one_is_refused(web):
    cases = [web.run(lambda k=k: caste_case(f"office-bulk-{k}")) for k in range(3)]
    web.login("tehsildar")
    assert _act(web, cases[0].id, "reject", "Forged ration card").status_code == 303  # rejected before the bulk step
    token = web.csrf("/office")
    done = web.post("/office/act", data={"csrf_token": token, "action": "approve", "remark": "Checked",
                                         "case": [str(c.id) for c in cases]})
    assert done.status_code == 200
    assert "2 cases done" in done.text
    refused = re.search(r'<ul class="refused">(.*?)</ul>', done.text, re.S).group(1)
    assert cases[0].number in refused and "&#39;Approve&#39; cannot be taken now" in refused
    assert cases[1].number not in refused
    assert [_state(web, c.id) for c in cases] == ["rejected", "approved", "approved"]


def test_a_bulk_step_in_hindi_gives_the_hindi_reason(web):
    case = web.run(lambda: caste_case("office-hi"))
    web.login("tehsildar")
    web.get("/office?lang=hi")
    token = web.csrf("/office")
    done = web.post("/office/act", data={"csrf_token": token, "action": "reject", "case": [str(case.id)]})
    assert "नागरिक के पढ़ने योग्य कारण" in done.text
    assert _state(web, case.id) == "forwarded"


def test_a_bulk_step_on_another_departments_case_reveals_nothing(web):
    grievance = web.run(lambda: grievance_case("office-5"))
    web.login("tehsildar")
    token = web.csrf("/office")
    done = web.post("/office/act", data={"csrf_token": token, "action": "acknowledge", "case": [str(grievance.id)]})
    assert "0 cases done" in done.text and grievance.number not in done.text
    assert _state(web, grievance.id) == "forwarded"


def test_a_bulk_step_needs_a_case_and_an_action(web):
    case = web.run(lambda: caste_case("office-6"))
    web.login("tehsildar")
    token = web.csrf("/office")
    assert "Tick at least one case" in web.post("/office/act", data={"csrf_token": token, "action": "approve"}).text
    none = web.post("/office/act", data={"csrf_token": token, "case": [str(case.id)]})
    assert none.status_code == 400 and "Choose the action" in none.text


def test_the_counter_collects_only_with_the_identity_check_ticked(web):
    case = web.run(lambda: caste_case("office-7"))
    web.login("tehsildar")
    _act(web, case.id, "approve", "Verified")
    _act(web, case.id, "issue")
    assert _state(web, case.id) == "ready"
    web.logout()
    web.login("operator2")  # another counter
    assert case.number not in web.get("/counter/cases").text
    other = web.post_form(f"/counter/cases/{case.id}/act", {"action": "collect", "handed_over": "1"}, token_from="/counter/cases")
    assert other.status_code == 404
    web.logout()
    web.login("operator1")
    page = web.get("/counter/cases").text
    ready = re.search(r'<section id="ready">(.*?)</section>', page, re.S).group(1)
    assert case.number in ready and re.search(r'href="/certificates/JP-C-[\w-]+"', ready)
    unticked = web.post_form(f"/counter/cases/{case.id}/act", {"action": "collect"}, token_from="/counter/cases")
    assert unticked.status_code == 400 and "Tick the box" in unticked.text
    assert _state(web, case.id) == "ready"
    ticked = web.post_form(f"/counter/cases/{case.id}/act", {"action": "collect", "handed_over": "1"}, token_from="/counter/cases")
    assert ticked.status_code == 303
    assert _state(web, case.id) == "collected"
    after = web.get(ticked.headers["location"]).text
    assert "is collected" in after and "Nothing is waiting to be handed over" in after


def test_a_returned_application_is_resubmitted_with_what_was_corrected(web):
    case = web.run(lambda: caste_case("office-8"))
    web.login("tehsildar")
    _act(web, case.id, "return", "Father's name differs from the ration card")
    web.logout()
    web.login("operator1")
    page = web.get("/counter/cases").text
    returned = re.search(r'<section id="returned">(.*?)</section>', page, re.S).group(1)
    assert case.number in returned and "Father&#39;s name differs from the ration card" in returned
    empty = web.post_form(f"/counter/cases/{case.id}/act", {"action": "resubmit", "remark": ""}, token_from="/counter/cases")
    assert empty.status_code == 400 and "at least 5 characters" in empty.text
    done = web.post_form(f"/counter/cases/{case.id}/act", {"action": "resubmit", "remark": "Father's name corrected"},
                         token_from="/counter/cases")
    assert done.status_code == 303 and _state(web, case.id) == "forwarded"


def test_a_failed_hand_over_is_retried_from_the_counter(web):
    service = get_host().registry.get(CASTE)
    office = service.office
    original = office.file_application

    async def down(*args, **kwargs):
        raise ConnectionError("tehsil server down")

    office.file_application = down
    try:
        case = web.run(lambda: caste_case("office-9"))
    finally:
        office.file_application = original
    assert case.state == "submitted"
    web.login("operator1")
    failed = re.search(r'<section id="failed">(.*?)</section>', web.get("/counter/cases").text, re.S).group(1)
    assert case.number in failed and "Retry hand-over" in failed
    by_hand = web.post_form(f"/counter/cases/{case.id}/act", {"action": "forward"}, token_from="/counter/cases")
    assert by_hand.status_code == 400 and _state(web, case.id) == "submitted"  # only a real hand-over forwards it
    retried = web.post_form(f"/counter/cases/{case.id}/retry", {}, token_from="/counter/cases")
    assert retried.status_code == 303
    assert _state(web, case.id) == "forwarded"
    request = web.run(lambda: ServiceRequest.get(id=case.request_id))
    assert request.status == RequestStatus.SUBMITTED
    again = web.post_form(f"/counter/cases/{case.id}/retry", {}, token_from="/counter/cases")
    assert again.status_code == 409


def test_the_societys_sweep_escalates_an_overdue_grievance_for_the_next_officer(web):
    grievance = web.run(lambda: grievance_case("office-10"))
    past = clock.now() - dt.timedelta(hours=1)
    web.run(lambda: Case.filter(id=grievance.id).update(state_due_at=past))
    web.login("phed")
    assert web.post_form("/office/sweep", {}, token_from="/office").status_code == 403  # the Society's, not an officer's
    web.logout()
    web.login("society")
    default = web.get("/office").text  # the Society desk: grievances go to departments
    assert grievance.number not in default
    assert grievance.number in web.get("/office?desk=all").text
    swept = web.post_form("/office/sweep", {}, token_from="/office")
    assert swept.status_code == 200
    assert re.search(r"Escalated: [^<]*" + re.escape(grievance.number), swept.text)
    case = web.run(lambda: Case.get(id=grievance.id))
    assert (case.level, case.breached) == (2, True) and case.state_due_at > clock.now()
    web.logout()
    web.login("phed_se")
    inbox = web.get("/office").text
    row = re.search(rf'<tr id="case-{grievance.id}" class="flagged">(.*?)</tr>', inbox, re.S).group(1)
    assert "SLA breached" in row and "Escalated: level 2" in row
    assert "escalated to your level" in inbox
    assert "SLA breached" in web.get("/office", params={"flagged": "1"}).text
    detail = web.get(f"/office/cases/{grievance.id}").text
    assert "escalated to level 2" in detail


def test_a_form_without_the_csrf_token_is_refused(web):
    case = web.run(lambda: caste_case("office-11"))
    web.login("tehsildar")
    forged = web.post(f"/office/cases/{case.id}/act", data={"action": "approve", "remark": "x"})
    assert forged.status_code == 403
    assert web.post("/office/act", data={"action": "approve", "case": [str(case.id)]}).status_code == 403
    assert _state(web, case.id) == "forwarded"
    web.logout()
    web.login("society")
    assert web.post("/office/sweep", data={}).status_code == 403


def test_the_society_sees_a_counter_complaint_on_its_own_desk(web):
    async def complaint():
        from emitra.core import workflow
        from emitra.core.audit import Actor

        counter = await Counter.get(code="JP-JM-001")
        return await workflow.open_case(Actor(None, via="system"), district_id=counter.district_id, kind="grievance",
                                        service_code="emitra.counter_complaint", title_en="Complaint about an e-Mitra counter",
                                        title_hi="ई-मित्र काउंटर के विरुद्ध शिकायत", department="District e-Mitra Society",
                                        desk="society", about_counter_id=counter.id, channel="online", applicant_name="Sunita Devi",
                                        mobile="9414098765", subject="Charged Rs 50 for a Rs 30 service", body="Asked for extra money.")

    case = web.run(complaint)
    web.run(lambda: Case.filter(id=case.id).update(state="forwarded"))
    web.login("society")
    assert case.number in web.get("/office").text
    detail = web.get(f"/office/cases/{case.id}")
    assert detail.status_code == 200 and "JP-JM-001" in detail.text and 'id="act-acknowledge"' in detail.text
    web.logout()
    web.login("tehsildar")
    assert web.get(f"/office/cases/{case.id}").status_code == 404


def test_the_inbox_pages_by_fifty_with_breached_cases_first(web):
    async def many():
        from emitra.core.models import District

        district = await District.get(code="JP")
        at = clock.now()
        await Case.bulk_create([Case(
            number=f"JP-TEST-{i:04d}", district_id=district.id, kind="application", service_code=CASTE,
            title_en="Caste certificate", title_hi="जाति प्रमाण पत्र", department="Revenue Department, Government of Rajasthan",
            state="forwarded", state_since=at, state_due_at=at + dt.timedelta(days=7), due_at=at + dt.timedelta(days=15),
            applicant_name=f"Applicant {i}", created_at=at - dt.timedelta(minutes=i), breached=(i == 0), level=1,
        ) for i in range(51)])

    web.run(many)
    web.login("tehsildar")
    first = web.get("/office").text
    assert "51 cases" in first and "page 1 of 2" in first
    assert len(re.findall(r'name="case" value=', first)) == 50
    numbers = re.findall(r'<a href="/office/cases/\d+">(JP-TEST-\d+)</a>', first)
    assert numbers[0] == "JP-TEST-0000"  # breached first, then the oldest
    assert numbers[1] == "JP-TEST-0050"
    second = web.get("/office", params={"page": "2"}).text
    assert re.findall(r'<a href="/office/cases/\d+">(JP-TEST-\d+)</a>', second) == ["JP-TEST-0001"]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # the one pager of every paged list (docs/architecture.md): not printed, its links keeping the filters,
    # "Page N of M" between them, as on the dispatches, payouts and outbox pages
    pager = re.search(r'<p class="pager no-print">(.*?)</p>', web.get("/office", params={"service": CASTE, "page": "2"}).text, re.S).group(1)
    assert f'<a href="/office?service={CASTE}&amp;page=1" rel="prev">Previous page</a>' in pager and "Page 2 of 2" in pager
    hindi = web.get("/office", params={"lang": "hi"}).text
    pager = re.search(r'<p class="pager no-print">(.*?)</p>', hindi, re.S).group(1)
    assert '<a href="/office?page=2" rel="next">अगला पृष्ठ</a>' in pager and "पृष्ठ 1, कुल 2" in pager


def _refusal(page) -> str:
    """The refusal the case page shows above its step forms (role="alert"), as read."""
    found = re.search(r'<p class="error" role="alert" id="refusal">(.*?)</p>', page.text, re.S)
    return html.unescape(found.group(1)) if found else ""


def test_a_step_not_offered_now_is_refused_with_its_reason_shown(web):
    """A step whose form the page does not draw (forged, taken already, out of turn, on a closed
    case) was answered 400 with no message at all: the refusal is shown above the forms."""
    case = web.run(lambda: caste_case("office-refused"))
    domicile = web.run(lambda: domicile_case("office-refused-dom"))
    grievance = web.run(lambda: grievance_case("office-refused-grv"))
    web.login("tehsildar")
    forged = _act(web, case.id, "delete_everything")
    assert forged.status_code == 400
    assert _refusal(forged) == (f"Case {case.number}: 'delete_everything' is an unknown action. Allowed for you: "
                                "'Approve', 'Reject', 'Send back for correction'.")
    early = _act(web, case.id, "issue")
    assert early.status_code == 400 and _refusal(early) == (
        f"Case {case.number} is 'With the department': 'Issue the certificate' cannot be taken now. "
        "Allowed for you: 'Approve', 'Reject', 'Send back for correction'.")
    assert _act(web, case.id, "approve").status_code == 303
    assert _act(web, case.id, "approve", "Verified").status_code == 303  # pressed twice: done once (the last test)
    late = _act(web, case.id, "reject", "Verified")
    assert late.status_code == 400
    assert _refusal(late) == f"Case {case.number} is 'Approved': 'Reject' cannot be taken now. Allowed for you: 'Issue the certificate'."
    assert "Verified</textarea>" not in late.text  # not put back into another step's form
    web.get(f"/office/cases/{case.id}?lang=hi")
    hindi = _act(web, case.id, "reject", "Verified")
    assert _refusal(hindi) == (f"प्रकरण {case.number} 'स्वीकृत' स्थिति में है: 'अस्वीकृत करें' अभी नहीं हो सकता। "
                               "आपके लिए अनुमत: प्रमाण पत्र जारी करें।")
    web.get(f"/office/cases/{case.id}?lang=en")
    unverified = _act(web, domicile.id, "approve")
    assert unverified.status_code == 400 and "Allowed for you: 'Call for personal verification', 'Reject', 'Send back for correction'." in _refusal(unverified)
    assert _act(web, case.id, "issue").status_code == 303
    assert _act(web, case.id, "revoke", "Issued on a forged ration card").status_code == 303
    closed = _act(web, case.id, "approve")
    assert closed.status_code == 400 and _refusal(closed).endswith(
        "Allowed for you: nothing (it is with someone else, or finished).")
    web.logout()
    web.login("phed")
    assert _act(web, grievance.id, "resolve", "Supply restored on 25 November").status_code == 303
    resolved = _act(web, grievance.id, "close", "Duplicate of another grievance")
    assert resolved.status_code == 400 and _refusal(resolved).startswith(f"Case {grievance.number} is 'Resolved': 'Close without action' cannot be taken now.")
    assert [_state(web, c.id) for c in (case, domicile, grievance)] == ["revoked", "forwarded", "resolved"]


def test_a_missing_reason_is_still_shown_beside_its_form(web):
    case = web.run(lambda: caste_case("office-reason"))
    web.login("tehsildar")
    refused = _act(web, case.id, "return", "no")
    assert 'id="error-return"' in refused.text and _refusal(refused) == ""
    assert re.search(r'id="remark-return"[^>]*>no</textarea>', refused.text, re.S)


def test_the_inbox_lists_the_cases_whose_turn_is_the_departments(web):
    """A case sent back to the counter, or ready there, is not the department's work: before the
    sweep such a case flagged as breached was listed above it. It is found under "Waiting on"."""
    waiting = web.run(lambda: caste_case("office-turn-1"))
    returned = web.run(lambda: caste_case("office-turn-2"))
    ready = web.run(lambda: caste_case("office-turn-3"))
    web.login("tehsildar")
    _act(web, returned.id, "return", "Father's name differs from the ration card")
    _act(web, ready.id, "approve")
    _act(web, ready.id, "issue")
    web.run(lambda: Case.filter(id=returned.id).update(breached=True))
    inbox = web.get("/office").text
    listed = re.findall(r'<a href="/office/cases/\d+">([^<]+)</a>', inbox)
    assert listed == [waiting.number] and "1 case<" in inbox
    counter = re.findall(r'<a href="/office/cases/\d+">([^<]+)</a>', web.get("/office", params={"turn": "counter"}).text)
    assert counter == [returned.number, ready.number]  # breached first
    every = web.get("/office", params={"turn": "open"}).text
    assert all(c.number in every for c in (waiting, returned, ready))
    assert ready.number in web.get("/office", params={"turn": "all", "number": ready.number[-6:]}).text
    assert ready.number in web.get("/office", params={"state": "ready"}).text  # a state asked for: whoever's turn
    assert 'value="counter" selected' in web.get("/office", params={"turn": "counter"}).text


def test_the_office_timeline_names_every_step_in_the_pages_language(web):
    grievance = web.run(lambda: grievance_case("office-names"))
    case = web.run(lambda: caste_case("office-names-2"))
    web.run(lambda: Case.filter(id=grievance.id).update(state_due_at=clock.now() - dt.timedelta(hours=1)))
    web.login("society")
    web.post_form("/office/sweep", {}, token_from="/office")
    web.logout()
    web.login("phed")
    web.post_form(f"/office/cases/{grievance.id}/remark", {"remark": "Asked the junior engineer"}, token_from=f"/office/cases/{grievance.id}")
    web.get("/office?lang=hi")
    page = web.get(f"/office/cases/{grievance.id}").text
    timeline = page[page.index('id="timeline"'):]
    steps = [html.unescape(s).strip() for s in re.findall(r'<td class="nowrap">[^<]*</td>\s*<td>([^<]*)</td>', timeline)]
    assert steps == ["दर्ज किया गया", "विभाग को भेजा गया", "अगले स्तर के अधिकारी को अग्रेषित", "टिप्पणी"]
    assert "3 दिन से अधिक समय से &#39;विभाग के पास&#39; स्थिति में: स्तर 2 पर अग्रेषित" in timeline
    assert "escalated to level" not in timeline and "e-Mitra (e-Mitra)" not in timeline
    web.logout()
    web.login("tehsildar")
    web.get("/office?lang=hi")
    revenue = web.get(f"/office/cases/{case.id}").text
    assert "विभाग को प्राप्त, संदर्भ " in revenue and "Received by the department" not in revenue
    # the platform's steps are taken by e-Mitra, named in the page's language (it said "e-Mitra")
    by = [c.strip() for c in re.findall(r'<td class="nowrap">[^<]*</td>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>(.*?)</td>',
                                         revenue[revenue.index('id="timeline"'):], re.S)]
    assert by[1] == "ई-मित्र" and "e-Mitra" not in by[1], by
    web.get("/office?lang=en")
    english = web.get(f"/office/cases/{case.id}").text
    english_steps = re.findall(r'<td class="nowrap">[^<]*</td>\s*<td>([^<]*)</td>', english[english.index('id="timeline"'):])
    assert english_steps == ["Registered", "Forwarded to the department"] and "Received by the department, reference " in english


def test_the_case_page_writes_dates_and_ticked_boxes_as_people_read_them(web):
    case = web.run(lambda: domicile_case("office-values"))
    web.login("tehsildar")
    rows = re.search(r'<table class="facts" id="form-data">(.*?)</table>', web.get(f"/office/cases/{case.id}").text, re.S).group(1)
    assert "<th>Date of birth</th><td>15-08-2006</td>" in rows and "2006-08-15" not in rows
    assert "<th>I declare that the information given is true</th><td>Yes</td>" in rows and ">on<" not in rows
    hindi = web.get(f"/office/cases/{case.id}?lang=hi").text
    assert "<th>मैं घोषणा करता/करती हूँ कि दी गई जानकारी सत्य है</th><td>हाँ</td>" in hindi


def test_each_step_form_says_who_reads_what_is_written_in_it(web):
    case = web.run(lambda: caste_case("office-labels"))
    grievance = web.run(lambda: grievance_case("office-labels-2"))
    web.login("tehsildar")
    page = web.get(f"/office/cases/{case.id}").text
    approve = re.search(r'<form[^>]*id="act-approve">(.*?)</form>', page, re.S).group(1)
    assert "Remark (optional; the citizen reads it)" in approve and "use Add a remark below" in approve
    web.logout()
    web.login("phed")
    page = web.get(f"/office/cases/{grievance.id}").text
    resolve = re.search(r'<form[^>]*id="act-resolve">(.*?)</form>', page, re.S).group(1)
    assert "Reply (the citizen reads it)" in resolve and "Reason" not in resolve
    refused = _act(web, grievance.id, "resolve", "")
    assert "needs the reply the citizen reads" in refused.text


def test_a_bulk_step_counts_a_case_ticked_twice_once_and_names_an_unknown_action(web):
    case = web.run(lambda: caste_case("office-bulk-twice"))
    grievance = web.run(lambda: grievance_case("office-bulk-other"))
    web.login("tehsildar")
    assert _act(web, case.id, "approve").status_code == 303
    token = web.csrf("/office")
    again = web.post("/office/act", data={"csrf_token": token, "action": "approve", "case": [str(case.id), str(case.id)]})
    already = re.search(r'<ul class="already">(.*?)</ul>', again.text, re.S).group(1)
    assert already.count("<li>") == 1 and "1 case already done by you" in again.text
    done = web.post("/office/act", data={"csrf_token": token, "action": "reject", "remark": "Ticked twice",
                                         "case": [str(case.id), str(case.id)]})
    refused = re.search(r'<ul class="refused">(.*?)</ul>', done.text, re.S).group(1)
    assert refused.count("<li>") == 1 and "1 case refused" in done.text
    web.get("/office?lang=hi")
    nuked = web.post("/office/act", data={"csrf_token": token, "action": "nuke", "case": [str(case.id)]})
    summary = re.search(r'<div id="bulk-summary" role="status">(.*?)</div>', nuked.text, re.S).group(1)
    assert "अज्ञात कार्रवाई" in summary and ": nuke" not in summary and "nuke।" not in summary
    other = web.post("/office/act", data={"csrf_token": token, "action": "acknowledge", "case": [str(grievance.id)]})
    summary = re.search(r'<div id="bulk-summary" role="status">(.*?)</div>', other.text, re.S).group(1)
    assert "स्वीकार कर कार्यवाही करें" in summary and "acknowledge" not in summary


def test_the_officers_case_page_names_the_department_in_the_pages_language(web):
    """The case page's Department row: the English name on an English page, the Hindi name its
    plugin declares on a Hindi page (it printed the stored English name on both)."""
    from emitra.plugins.government.revenue import PROVIDER_HI

    caste = web.run(lambda: caste_case("office-hi"))
    web.login("tehsildar")
    row = r"<th>{}</th><td>(.*?)</td>"
    english = web.get(f"/office/cases/{caste.id}").text
    assert re.search(row.format("Department"), english).group(1).startswith("Revenue Department")
    web.get("/lang/hi?next=/office")
    hindi = web.get(f"/office/cases/{caste.id}").text
    shown = re.search(row.format("विभाग"), hindi).group(1)
    assert shown.startswith(PROVIDER_HI) and "Revenue" not in shown


def test_a_remark_is_kept_whole_as_the_browser_counted_it_or_refused_naming_its_length(web):
    """The remark boxes take 2,000 characters (maxlength), counting a line break as one; a browser
    sends each as two (CR LF). A reason of 1,990 characters on 20 lines arrived as 2,009 and lost its
    end without a word. Line breaks are now counted as the box counts them and the remark kept
    whole; one longer than 2,000 characters (a client that ignores maxlength) is refused beside
    the step, naming its length, and the case does not move."""
    case = web.run(lambda: caste_case("remark-len"))
    web.login("tehsildar")
    lines = ["Line %02d of the reason: the ration card scan is unreadable." % n for n in range(20)]
    reason = "\r\n".join(line.ljust(98, ".") for line in lines) + " END"
    assert len(reason.replace("\r\n", "\n")) <= 2000 < len(reason)
    assert _act(web, case.id, "return", reason).status_code == 303
    (event,) = web.run(lambda: CaseEvent.filter(case_id=case.id, action="return"))
    assert event.remark == reason.replace("\r\n", "\n") and event.remark.endswith(" END")

    other = web.run(lambda: caste_case("remark-len-2"))
    refused = _act(web, other.id, "reject", "x" * 2500)
    assert refused.status_code == 400 and "The remark is 2,500 characters long; shorten it to at most 2,000." in refused.text
    assert _state(web, other.id) == "forwarded"
    note = web.post_form(f"/office/cases/{other.id}/remark", {"remark": "y" * 2001, "public": "1"}, token_from=f"/office/cases/{other.id}")
    assert note.status_code == 400 and "The remark is 2,001 characters long" in note.text
    # what was written stays in the box, with its tick, to be shortened rather than typed again
    box = re.search(r'<textarea id="remark-note"[^>]*>(.*?)</textarea>', note.text, re.S)
    assert box.group(1) == "y" * 2001 and 'aria-invalid="true"' in box.group(0)
    assert re.search(r'<input type="checkbox" id="remark-public"[^>]*checked', note.text)
    assert not web.run(lambda: CaseEvent.filter(case_id=other.id, action__in=["reject", "remark"]).exists())
    web.get("/lang/hi")
    assert "टिप्पणी 2,500 अक्षरों की है" in _act(web, other.id, "reject", "x" * 2500).text


def test_the_inbox_heading_names_the_officers_department_in_the_pages_language(web):
    """The inbox's heading printed the officer's department as stored (English) on a Hindi page."""
    from emitra.plugins.government.revenue import PROVIDER, PROVIDER_HI

    web.login("tehsildar")
    heading = r"<h1>.*?<small>(.*?)</small></h1>"
    assert re.search(heading, web.get("/office").text, re.S).group(1) == PROVIDER
    web.get("/lang/hi?next=/office")
    assert re.search(heading, web.get("/office").text, re.S).group(1) == PROVIDER_HI


def _sent_back(web, key: str) -> Case:
    """A caste application the tehsildar sent back to the counter for correction (the counter's turn)."""
    async def go() -> Case:
        from emitra.core import workflow
        from tests.case_helpers import actor

        case = await caste_case(key)
        await workflow.act(await actor("tehsildar"), case, "return", "Father's name differs from the ration card")
        return case

    return web.run(go)


def test_a_number_looked_up_that_waits_on_someone_else_is_pointed_to(web):
    """Typing the number of the desk's case sent back to the counter answered only "No case matches",
    as if there were none; the inbox now says it is waiting on someone else, with a link to it."""
    case = _sent_back(web, "office-lookup")
    web.login("tehsildar")
    page = web.get("/office", params={"number": case.number}).text
    assert "No case matches" in page
    pointer = re.search(r'<p class="warning" id="elsewhere">(.*?)</p>', page, re.S).group(1)
    assert "1 case of your desk with this number is not listed here" in pointer
    link = html.unescape(re.search(r'href="(/office\?[^"]+)"', pointer).group(1))
    assert "turn=all" in link and f"number={case.number}" in link
    assert f'href="/office/cases/{case.id}"' in web.get(link).text
    # a number no case of the desk has: no pointer; with the case listed: none either
    assert 'id="elsewhere"' not in web.get("/office", params={"number": "JP9999999999999"}).text
    assert 'id="elsewhere"' not in web.get("/office", params={"number": case.number, "turn": "counter"}).text


def test_a_case_waiting_on_the_counter_says_so_where_its_steps_would_be(web):
    """The case page of an application sent back to the counter said only "the case is with someone
    else"; it names the counter it waits on."""
    case = _sent_back(web, "office-no-step")
    web.login("tehsildar")
    said = re.search(r'<p class="no-print" id="no-step">(.*?)</p>', web.get(f"/office/cases/{case.id}").text, re.S).group(1)
    assert "waiting on the counter LokMitra Centre, Malviya Nagar (JP-LM-001), for a correction or a collection" in html.unescape(said)
    web.get("/lang/hi?next=/office")
    hindi = re.search(r'id="no-step">(.*?)</p>', web.get(f"/office/cases/{case.id}").text, re.S).group(1)
    assert "काउंटर लोकमित्र केंद्र, मालवीय नगर (JP-LM-001)" in hindi  # its Hindi name (decision 128)


def test_a_bulk_step_refused_as_a_whole_keeps_the_ticks_the_action_and_the_reason(web):
    """The officer ticked cases and wrote a long reason but forgot to choose the action: the page came
    back with the ticks and an empty box, the reason lost. And 'Reject' on thirty ticked cases without
    a reason gave thirty identical refusals. Now the action and the reason come back as written, and a
    missing reason is said once, beside the form, with nothing done."""
    first = web.run(lambda: caste_case("office-keep-1"))
    second = web.run(lambda: caste_case("office-keep-2"))
    web.login("tehsildar")
    token = web.csrf("/office")
    reason = "Ration card not legible; bring the original to the Tehsil office"
    page = web.post("/office/act", data={"csrf_token": token, "case": [str(first.id), str(second.id)], "remark": reason})
    assert page.status_code == 400 and "Choose the action" in page.text
    assert f'value="{first.id}" id="tick-{first.id}"' in page.text and f">{reason}</textarea>" in page.text
    short = web.post("/office/act", data={"csrf_token": token, "case": [str(first.id), str(second.id)], "action": "reject", "remark": "no"})
    assert short.status_code == 400
    error = html.unescape(re.search(r'id="bulk-error">(.*?)</p>', short.text, re.S).group(1))
    assert "'Reject' needs a reason the citizen can read" in error
    assert 'id="bulk-summary"' not in short.text and '<option value="reject" selected>' in short.text and ">no</textarea>" in short.text
    assert _state(web, first.id) == _state(web, second.id) == "forwarded"
    done = web.post("/office/act", data={"csrf_token": token, "case": [str(first.id), str(second.id)], "action": "reject", "remark": reason})
    assert "2 cases done: Reject." in done.text and f">{reason}</textarea>" not in done.text
    assert _state(web, first.id) == _state(web, second.id) == "rejected"


def test_a_case_number_typed_with_spaces_or_without_its_dashes_is_found_in_the_inbox(web):
    """The officer typed the number as the citizen read it out, 'jp0001 000000018' or 'GR JP 0000012',
    and the inbox answered 'No case matches' (the tracking page, the API and the shell read numbers
    so; the inbox compared the text as typed). Now spaces, dashes and case are ignored there too."""
    caste = web.run(lambda: caste_case("office-typed-1"))
    other = web.run(lambda: caste_case("office-typed-2"))
    filed = web.post_form("/grievances/new", {
        "district": "JP", "about": "department", "department": "phed", "counter_code": "", "complaint_type": "",
        "receipt_no": "", "name": "Sunita Devi", "mobile": "9414098765", "subject": "No water in ward 12",
        "body": "Ward 12 has had no water for a week."})
    assert filed.status_code == 303
    grievance = web.run(lambda: Case.get(channel="online"))
    assert grievance.number.startswith("GR-JP-")
    web.login("tehsildar")
    spaced = f"{caste.number[:6].lower()} {caste.number[6:]}"
    found = web.get("/office", params={"number": spaced}).text
    assert caste.number in found and other.number not in found
    assert caste.number in web.get("/office", params={"number": f" {caste.number[-6:-3]} {caste.number[-3:]} "}).text
    web.logout()
    web.login("phed")
    digits = grievance.number.split("-")[-1]
    for typed in (f"gr jp {digits}", f"GRJP{digits}", grievance.number.lower(), f"jp-{digits}"):
        assert grievance.number in web.get("/office", params={"number": typed}).text, typed


def test_a_step_pressed_twice_is_done_once_and_a_colleagues_second_is_told_who_took_it(web):
    """A double click on Approve: the first press approved the case, the second came back in red,
    "'Approve' cannot be taken now", and that is the page the officer saw, as if the approval had
    failed. Now the second press of the officer who took the step shows it done (nothing taken twice);
    a colleague pressing it a moment later is told who took it and when."""
    from emitra.core.models import AuditLog

    case = web.run(lambda: caste_case("office-twice"))
    web.login("tehsildar")
    token = web.csrf(f"/office/cases/{case.id}")
    form = {"csrf_token": token, "action": "approve", "remark": "Caste verified"}
    first = web.post(f"/office/cases/{case.id}/act", data=form)
    second = web.post(f"/office/cases/{case.id}/act", data=form)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == f"/office/cases/{case.id}?done=approve"
    assert "Done. The case is now: Approved." in web.get(second.headers["location"]).text
    assert web.run(lambda: CaseEvent.filter(case_id=case.id, action="approve").count()) == 1
    assert web.run(lambda: AuditLog.filter(action="case.approve", object_id=str(case.id)).count()) == 1
    web.logout()
    web.login("sdm")  # the officer above, with the same page open
    late = web.post_form(f"/office/cases/{case.id}/act", {"action": "approve", "remark": "Verified"}, token_from=f"/office/cases/{case.id}")
    assert late.status_code == 400
    refusal = _refusal(late)
    assert refusal.startswith("Tehsildar, Revenue Department took this step (Approved) on ")
    assert "'Approve' cannot be taken now" in refusal
    web.get("/office?lang=hi")
    late_hi = web.post_form(f"/office/cases/{case.id}/act", {"action": "approve", "remark": "Verified"}, token_from=f"/office/cases/{case.id}")
    assert "ने यह चरण (स्वीकृत किया गया)" in _refusal(late_hi)
    assert web.run(lambda: CaseEvent.filter(case_id=case.id, action="approve").count()) == 1


def test_a_remark_sent_twice_at_once_is_kept_once(web):
    """'Add the remark' pressed twice put the same note on the timeline twice, with two audit
    records. The same note by the same officer within two minutes is now kept once; another note, or
    the same one later (a second call to the applicant), is a note of its own."""
    from emitra.core.models import AuditLog

    case = web.run(lambda: caste_case("office-remark-twice"))
    web.login("tehsildar")
    token = web.csrf(f"/office/cases/{case.id}")
    form = {"csrf_token": token, "remark": "Called the applicant; no answer"}
    for _ in range(2):
        assert web.post(f"/office/cases/{case.id}/remark", data=form).status_code == 303
    assert web.run(lambda: CaseEvent.filter(case_id=case.id, action="remark").count()) == 1
    assert web.run(lambda: AuditLog.filter(action="case.remark").count()) == 1
    assert web.post(f"/office/cases/{case.id}/remark", data={**form, "public": "1"}).status_code == 303  # now for the citizen too
    web.run(lambda: CaseEvent.filter(case_id=case.id, action="remark").update(created_at=clock.now() - dt.timedelta(minutes=3)))
    assert web.post(f"/office/cases/{case.id}/remark", data=form).status_code == 303
    page = web.get(f"/office/cases/{case.id}").text
    assert page.count("Called the applicant; no answer") == 3


def test_a_case_is_found_in_the_inbox_by_its_certificates_number(web):
    """A verifier reported certificate JP-C-2026-000001 as obtained on a forged card; the Tehsildar
    typed its number into the inbox and found nothing (it searched case numbers only), so the case to
    revoke could not be found. The certificate's number now finds its case, pointed to when it waits
    on someone else, and listed with every case."""
    from emitra.core import workflow
    from emitra.core.models import Certificate
    from tests.case_helpers import actor

    async def issued():
        case = await caste_case("office-cert-find")
        case = await workflow.act(await actor("tehsildar"), case, "approve", "Caste verified")
        case = await workflow.act(await actor("tehsildar"), case, "issue")
        return case, (await Certificate.get(case_id=case.id)).number

    case, number = web.run(issued)
    other = web.run(lambda: caste_case("office-cert-other"))
    web.login("tehsildar")
    ours = web.get("/office", params={"number": number}).text  # ready: waiting on the counter
    assert 'id="elsewhere"' in ours
    every = web.get("/office", params={"number": number.lower(), "turn": "all"}).text
    assert f"/office/cases/{case.id}" in every and f"/office/cases/{other.id}" not in every
    assert "1 case" in every


def _bulk(web, token: str, action: str, cases, remark: str = ""):
    return web.post("/office/act", data={"csrf_token": token, "action": action, "remark": remark, "case": [str(c.id) for c in cases]})


def _summary_list(page, kind: str) -> str:
    found = re.search(rf'<ul class="{kind}">(.*?)</ul>', page.text, re.S)
    return html.unescape(found.group(1)) if found else ""


def test_a_bulk_step_pressed_twice_shows_its_cases_done_and_a_colleagues_as_refused_naming_who(web):
    """The bulk button pressed twice (a double click, a browser retry): the first press approved the
    ticked cases, the second answered "2 cases refused: 'Approve' cannot be taken now" for each, and
    that is the page the officer read. Now the second answer lists them as already done by this
    officer (nothing taken twice); a case that has moved on since is refused as before; a colleague
    pressing the same step on them is refused with who took it and when (decision 100)."""
    from emitra.core.models import AuditLog

    first, second, moved, fresh = (web.run(lambda k=k: caste_case(f"office-bulk-again-{k}")) for k in range(4))
    web.login("tehsildar")
    token = web.csrf("/office")
    assert "3 cases done: Approve." in _bulk(web, token, "approve", [first, second, moved], "Caste verified").text
    assert _act(web, moved.id, "issue").status_code == 303  # moved on since: not a repeat any more
    again = _bulk(web, token, "approve", [first, second, moved, fresh], "Caste verified")
    assert again.status_code == 200
    assert "1 case done: Approve." in again.text and f"({fresh.number})" in again.text
    assert "2 cases already done by you: Approve." in again.text and "nothing was taken twice" in again.text
    already = _summary_list(again, "already")
    assert first.number in already and second.number in already and already.count("Approved by you on ") == 2
    refused = _summary_list(again, "refused")
    assert refused.count("<li>") == 1 and moved.number in refused
    assert "'Approve' cannot be taken now" in refused and "took this step" not in refused
    repeat = _bulk(web, token, "approve", [first, second], "Caste verified")  # nothing new: no "0 cases done"
    assert "cases done" not in repeat.text and 'class="refused"' not in repeat.text
    assert "2 cases already done by you: Approve." in repeat.text
    assert web.run(lambda: CaseEvent.filter(case_id=first.id, action="approve").count()) == 1
    assert web.run(lambda: AuditLog.filter(action="case.approve", object_id=str(first.id)).count()) == 1
    web.get("/office?lang=hi")
    hindi = _bulk(web, token, "approve", [first])
    assert "1 प्रकरण पर कार्रवाई पहले ही आपके द्वारा हो चुकी है" in hindi.text and "स्वीकृत किया गया" in _summary_list(hindi, "already")
    web.logout()
    web.login("sdm")  # a colleague with the same inbox page open
    token = web.csrf("/office?lang=en")
    late = _bulk(web, token, "approve", [first, second])
    assert "0 cases done: Approve." in late.text and 'class="already"' not in late.text
    refused = _summary_list(late, "refused")
    assert refused.count("<li>") == 2
    assert refused.count("Tehsildar, Revenue Department took this step (Approved) on ") == 2
    assert refused.count("'Approve' cannot be taken now") == 2
    assert [_state(web, c.id) for c in (first, second, moved, fresh)] == ["approved", "approved", "ready", "approved"]

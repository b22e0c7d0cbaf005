"""A new department officer's day, as they meet it: the email that a case is overdue, the case's
number typed into the address, the inbox in Hindi, an income on the case page and the certificate
(decision 140)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from emitra.core import workflow
from emitra.core.certificate_render import public_base_url
from emitra.core.models import AuditLog, Case, CaseEvent, Certificate, Notification, User
from emitra.core.plugins import get_host
from tests.case_helpers import ADDRESS, CASTE, actor, caste_case, grievance_case, pay, upload


def test_a_case_number_typed_into_the_case_pages_address_opens_the_case(web):
    """``/office/cases/JP0001…`` answered "No case with this number on your desk" for a case on the desk:
    the page took only the database's id, which no officer is told."""
    case = web.run(lambda: caste_case("walk-number"))
    web.login("tehsildar")
    for typed in (case.number, case.number.lower(), f"{case.number[:6]} {case.number[6:]}"):
        answer = web.get(f"/office/cases/{typed}")
        assert (answer.status_code, answer.headers["location"]) == (303, f"/office/cases/{case.id}"), typed
    assert "Lakshmi Narayan Bairwa" in web.get(answer.headers["location"]).text
    assert web.get("/office/cases/JP0001999999999").status_code == 404
    web.logout()
    web.login("phed")  # another department: not found, as by its id
    assert web.get(f"/office/cases/{case.number}").status_code == 404
    assert web.get(f"/office/cases/{case.id}").status_code == 404


@pytest.mark.anyio
async def test_the_overdue_email_links_to_the_case_and_calls_it_a_prakaran_in_hindi(demo_db):
    """It said "act on it in your e-Mitra inbox" with no address, and in Hindi "मामला" where every
    officer's page says "प्रकरण"."""
    case = await caste_case()
    await workflow.sweep(at=case.state_due_at + dt.timedelta(hours=1))
    [note] = await Notification.filter(case_id=case.id, event="escalated")
    link = f"{public_base_url()}/office/cases/{case.id}"
    assert note.body_en.endswith(f"Please act on it in your e-Mitra inbox: {link}")
    assert note.body_hi.endswith(f"कृपया अपने ई-मित्र इनबॉक्स में कार्यवाही करें: {link}")
    assert note.body_hi.startswith(f"ई-मित्र सेवा समय-सीमा: प्रकरण {case.number} ")  # "SLA" is no Hindi (decision 147)
    assert "मामला" not in note.body_hi + note.subject


def test_the_hindi_inbox_and_refusals_call_a_case_prakaran(web):
    case = web.run(lambda: caste_case("walk-hindi"))
    web.login("tehsildar")
    web.get("/lang/hi?next=/office")
    inbox = web.get("/office").text
    assert "प्रकरण या प्रमाण पत्र संख्या" in inbox and "मामला" not in inbox
    web.post_form(f"/office/cases/{case.id}/act", {"action": "approve"}, token_from=f"/office/cases/{case.id}")
    refused = web.post_form(f"/office/cases/{case.id}/act", {"action": "reject", "remark": "Not eligible"},
                            token_from=f"/office/cases/{case.id}").text
    assert f"प्रकरण {case.number} &#39;स्वीकृत&#39; स्थिति में है" in refused and "मामला" not in refused


async def _obc_case(key: str, income: int) -> Case:
    scan = await upload(CASTE, "ration_card_scan")
    form = {"applicant_name": "Sunita Devi", "father_name": "Mangi Lal", "caste_category": "OBC", "caste": "Jat",
            "annual_family_income": income, "non_creamy_layer": True, "address": dict(ADDRESS), "ration_card_scan": scan}
    request = await pay(CASTE, form, key)
    return await Case.get(request_id=request.id)


def test_an_income_reads_in_lakhs_on_the_case_page_and_the_certificate(web):
    """The case page showed the income as 180000, the certificate as "Rs 180,000" (the Western grouping)."""
    case = web.run(lambda: _obc_case("walk-income", 180000))
    web.login("tehsildar")
    page = web.get(f"/office/cases/{case.id}").text
    income = re.search(r"<th>Annual family income \(₹\)</th><td>([^<]*)</td>", page)
    assert income and income.group(1) == "1,80,000"
    assert "<td>303005</td>" in page  # a PIN code is no amount: as typed
    for action in ("approve", "issue"):
        web.post_form(f"/office/cases/{case.id}/act", {"action": action}, token_from=f"/office/cases/{case.id}")
    certificate = web.run(lambda: Certificate.get(case_id=case.id))
    paper = web.get(f"/certificates/{certificate.number}").text
    assert "annual family income Rs 1,80,000" in paper and "वार्षिक पारिवारिक आय ₹1,80,000" in paper
    assert "180,000" not in paper


def test_a_money_fields_amount_is_described_in_the_indian_grouping():
    from emitra.core import forms

    service = get_host().registry.get(CASTE)
    data = {**service.example, "caste_category": "OBC", "annual_family_income": 1250000, "non_creamy_layer": True}
    rows = {r["label_en"]: (r["value_en"], r["value_hi"]) for r in forms.describe(service.form, data)}
    assert rows["Annual family income (₹)"] == ("12,50,000", "12,50,000")
    paid = {"type": "number", "title": "Amount paid", "x-money": True}
    assert forms.describe({"type": "object", "properties": {"paid": paid}}, {"paid": "1483.5"})[0]["value_en"] == "1,483.50"


def test_a_grievance_filed_at_the_counter_shows_what_the_citizen_wrote_once(web):
    """Its subject and text were shown under "What the citizen wrote" and again under "The application form"."""
    case = web.run(lambda: grievance_case("walk-grievance"))
    web.login("phed")
    page = web.get(f"/office/cases/{case.id}").text
    assert page.count("No water supply in ward 12 for a week") == 1
    assert page.count("has been off since 20 November") == 1
    assert "The grievance form" in page and "The application form" not in page
    assert re.search(r"<th>Mobile number for updates \(optional\)</th><td>94XXXXXX65</td>", page)
    web.get("/lang/hi?next=/office")
    assert "शिकायत पत्र" in web.get(f"/office/cases/{case.id}").text


def test_the_certificate_page_leads_back_to_the_case(web):
    """From the case page an officer opened the certificate, and the certificate page had no way back."""
    case = web.run(lambda: caste_case("walk-back"))
    web.login("tehsildar")
    for action in ("approve", "issue"):
        web.post_form(f"/office/cases/{case.id}/act", {"action": action}, token_from=f"/office/cases/{case.id}")
    certificate = web.run(lambda: Certificate.get(case_id=case.id))
    page = web.get(f"/certificates/{certificate.number}").text
    assert f'<a href="/office/cases/{case.id}" id="back">Back to the case {case.number}</a>' in page
    web.get("/lang/hi?next=/office")
    assert f"प्रकरण {case.number} पर वापस जाएँ" in web.get(f"/certificates/{certificate.number}").text
    web.logout()
    web.login("operator1")
    web.get("/lang/en?next=/counter")
    assert '<a href="/counter/cases" id="back">Back to the applications</a>' in web.get(f"/certificates/{certificate.number}").text


def test_a_printed_inbox_says_when_and_which_cases_it_lists(web):
    """The filters do not print: a printed list of "12 cases" did not say which twelve, nor when."""
    web.run(lambda: caste_case("walk-print"))
    web.login("tehsildar")
    page = web.get("/office", params={"flagged": "1", "state": "forwarded", "min_age": "3"}).text
    printed = re.search(r'<p class="print-only" id="printed">(.*?)</p>', page).group(1)
    assert printed.startswith("Printed on ") and re.search(r"\d\d-\d\d-\d{4} \d\d:\d\d", printed)
    assert ("Shown: Your department (your turn); With the department; At least this many days old: 3; "
            "Escalated or breached only.") in printed
    web.get("/lang/hi?next=/office")
    hindi = web.get("/office", params={"turn": "counter"}).text
    assert re.search(r'id="printed">[^<]*काउंटर \(सुधार या प्राप्ति\)', hindi)
    css = web.get(re.search(r'href="(/static/office\.[^"]+\.css)"', page).group(1)).text
    assert ".print-only { display:none; }" in css and "@media print { .print-only { display:block; } }" in css


# --- the top of the ladder (decision 147) ---------------------------------------------------------

async def _sweep_every_day(case: Case, days: int) -> list[workflow.SweepResult]:
    """The sweep run from cron once a day for ``days`` days after the case's state deadline."""
    at = case.state_due_at
    return [await workflow.sweep(at=at + dt.timedelta(days=day, minutes=1)) for day in range(days)]


@pytest.mark.anyio
async def test_an_unattended_case_stops_at_the_top_officer_and_says_so_once(demo_db):
    """A grievance left on the PHED desks was escalated to "level 3", "level 4"... every few days,
    though the Superintending Engineer (level 2) is the highest PHED officer: each step wrote an
    event, an audit record and an email that went to nobody new."""
    case = await grievance_case("top-phed")
    results = await _sweep_every_day(case, 40)
    case = await Case.get(id=case.id)
    assert case.level == 2 and case.breached
    assert [r.escalated for r in results if r.escalated] == [[case.number]]
    assert [r.at_top for r in results if r.at_top] == [[case.number]]
    steps = await CaseEvent.filter(case_id=case.id, action__in=("escalate", "top_level")).order_by("id")
    assert [(e.action, e.remark) for e in steps] == [
        ("escalate", "'With the department' for more than 3 days: escalated to level 2"),
        ("top_level", "'With the department' for more than 3 days: overdue at the top level (level 2); "
                      "no officer above it, the Society is told")]
    assert steps[1].remark_hi == ("3 दिन से अधिक समय से 'विभाग के पास' स्थिति में: सर्वोच्च स्तर (स्तर 2) पर समय-सीमा पार; "
                                  "इससे ऊपर कोई अधिकारी नहीं, सोसायटी को सूचित किया गया")
    told = await Notification.filter(case_id=case.id, event="overdue_at_top").order_by("id")
    assert sorted(n.recipient for n in told) == ["phed_se@demo.emitra.invalid", "society@demo.emitra.invalid"]
    assert "There is no officer above to send it to" in told[0].body_en and "level 2" in told[0].body_en
    assert "सेवा समय-सीमा" in told[0].body_hi and "SLA" not in told[0].body_hi
    assert await Notification.filter(case_id=case.id, event="escalated").count() == 1
    assert await AuditLog.filter(action="case.escalated").count() == 1
    assert await AuditLog.filter(action="case.overdue_at_top").count() == 1
    assert await workflow.at_top(case)
    # the top officer acts: the case moves on with a deadline of its own, and is no longer "at the top, overdue"
    case = await workflow.act(await actor("phed_se"), case, "acknowledge")
    assert case.state_due_at is not None and not await workflow.at_top(case)


@pytest.mark.anyio
async def test_escalation_climbs_to_the_next_level_an_officer_holds(demo_db):
    """Levels are whatever officers a department has: with a level 4 officer and none at 2 or 3, an
    overdue case goes from level 1 to 4 (not to 2, where no one reads it), and stops there."""
    await User.filter(username="phed_se").update(level=4)
    case = await grievance_case("top-gap")
    results = await _sweep_every_day(case, 30)
    assert [r.escalated for r in results if r.escalated] == [[case.number]]
    case = await Case.get(id=case.id)
    assert case.level == 4 and await workflow.at_top(case)
    [escalated] = await Notification.filter(case_id=case.id, event="escalated")
    assert escalated.recipient == "phed_se@demo.emitra.invalid" and "(level 4)" in escalated.body_en


@pytest.mark.anyio
async def test_a_department_with_one_officer_is_at_its_top_at_once(demo_db):
    """The Tehsildar's SDM gone, a caste application left unattended is not "escalated to level 2"
    where no officer is: the Tehsildar and the Society are told once that it is overdue at the top."""
    await User.filter(username="sdm").update(active=False)
    case = await caste_case("top-one")
    results = await _sweep_every_day(case, 20)
    assert [r for r in results if r.escalated] == []
    case = await Case.get(id=case.id)
    assert case.level == 1 and await CaseEvent.filter(case_id=case.id, action="top_level").count() == 1
    told = await Notification.filter(case_id=case.id, event="overdue_at_top")
    assert sorted(n.recipient for n in told) == ["society@demo.emitra.invalid", "tehsildar@demo.emitra.invalid"]


def test_the_case_page_shows_a_case_overdue_at_the_top_level(web):
    case = web.run(lambda: grievance_case("top-page"))
    web.run(lambda: _sweep_every_day(case, 20))
    web.login("phed_se")
    page = web.get(f"/office/cases/{case.id}").text
    assert "Overdue at the top level (level 2): no officer above, not escalated further" in page
    assert "Overdue at the top level</td>" in page  # the timeline's step
    web.get("/lang/hi?next=/office")
    hindi = web.get(f"/office/cases/{case.id}").text
    assert "सर्वोच्च स्तर (स्तर 2) पर समय-सीमा पार: ऊपर कोई अधिकारी नहीं, आगे अग्रेषित नहीं" in hindi


# --- the plugin's own step names (decision 147) ---------------------------------------------------

JAMABANDI = "gov.rj.revenue.jamabandi_copy"


def test_the_jamabandi_copys_step_names_the_copy_not_a_certificate():
    """The Tehsildar's button on a jamabandi copy said "Issue the certificate"."""
    process = workflow.process_for(get_host().registry.get(JAMABANDI))
    issue = process.transition("issue")
    assert (issue.label_en, issue.label_hi) == ("Issue the certified copy", "प्रमाणित नकल जारी करें")
    assert workflow.step_names(process, "issue") == ("Certified copy issued", "प्रमाणित नकल जारी की गई")
    caste = workflow.process_for(get_host().registry.get(CASTE)).transition("issue")
    assert (caste.label_en, caste.label_hi) == ("Issue the certificate", "प्रमाण पत्र जारी करें")


def test_the_default_step_that_issues_names_no_kind_of_document():
    """A service that names no step is given one that fits any document it issues."""
    from emitra.core.services import Category, Domain, FeeRule, Payer, Service, Workflow

    service = Service(code="test.copy", title_en="Copy", title_hi="नकल", provider="Test", domain=Domain.GOVERNMENT,
                      category=Category.APPLICATION, form={"type": "object", "properties": {}}, fee=FeeRule(payer=Payer.CITIZEN),
                      workflow=Workflow.APPLICATION, deliverable="certificate")
    issue = workflow.process_for(service).transition("issue")
    assert (issue.label_en, issue.label_hi, issue.done_en, issue.done_hi) == (
        "Issue the document", "दस्तावेज़ जारी करें", "Document issued", "दस्तावेज़ जारी किया गया")


def test_a_plugins_step_names_are_checked_when_it_loads():
    from emitra.core.plugins import declaration_problems
    from emitra.core.services import Category, Domain, FeeRule, Payer, Service, Workflow

    def service(labels):
        return Service(code="test.copy", title_en="Copy", title_hi="नकल", provider="Test", domain=Domain.GOVERNMENT,
                       category=Category.APPLICATION, form={"type": "object", "properties": {}}, fee=FeeRule(payer=Payer.CITIZEN),
                       workflow=Workflow.APPLICATION, deliverable="certificate", step_labels=labels)

    assert [str(p) for p in declaration_problems(service({"isue": ("Issue the copy", "नकल जारी करें")}))] == [
        "step_labels['isue']: the process has no such step; name one of forward, approve, reject, return, resubmit, "
        "issue, collect, revoke"]
    hindi = [str(p) for p in declaration_problems(service({"issue": ("Issue the copy", "Issue the copy")}))]
    assert hindi[0].startswith("process.transitions[issue].label_hi: 'Issue the copy' is not Hindi")
    [shape] = declaration_problems(service({"issue": "Issue the copy"}))
    assert str(shape).startswith("step_labels['issue']: 'Issue the copy' is not (English, Hindi)")


def test_the_jamabandi_case_page_offers_to_issue_the_copy_in_both_languages(web):
    async def jamabandi_case():
        request = await pay(JAMABANDI, {"village": "sanganer", "khasra_no": "245/1"}, "top-jamabandi")
        return await Case.get(request_id=request.id)

    case = web.run(jamabandi_case)
    web.login("tehsildar")
    web.post_form(f"/office/cases/{case.id}/act", {"action": "approve"}, token_from=f"/office/cases/{case.id}")
    page = web.get(f"/office/cases/{case.id}").text
    assert "Issue the certified copy" in page and "Issue the certificate" not in page
    web.get("/lang/hi?next=/office")
    assert "प्रमाणित नकल जारी करें" in web.get(f"/office/cases/{case.id}").text


# --- officers' names and the time limit in Hindi (decision 147) ------------------------------------

def test_hindi_pages_name_the_officer_in_hindi_and_say_seva_samay_seema(web):
    """The Hindi case page and header said "Tehsildar, Revenue Department", and "SLA" in Hindi text."""
    case = web.run(lambda: caste_case("walk-hindi-name"))
    web.login("tehsildar")
    web.post_form(f"/office/cases/{case.id}/act", {"action": "approve"}, token_from=f"/office/cases/{case.id}")
    web.run(lambda: Case.filter(id=case.id).update(breached=True))
    web.get("/lang/hi?next=/office")
    page = web.get(f"/office/cases/{case.id}").text
    assert '<span class="who">तहसीलदार, राजस्व विभाग (' in page
    assert "तहसीलदार, राजस्व विभाग <small>" in page  # who approved, on the timeline
    assert "Tehsildar, Revenue Department" not in page
    assert "सेवा समय-सीमा का उल्लंघन" in page
    for hindi in (page, web.get("/office").text):
        assert "SLA" not in re.sub(r"<[^>]*>", "", hindi.split("<body", 1)[1])
    web.get("/lang/en?next=/office")
    assert '<span class="who">Tehsildar, Revenue Department (' in web.get(f"/office/cases/{case.id}").text


@pytest.mark.anyio
async def test_an_officers_hindi_name_must_be_hindi(demo_db):
    from emitra.core import officers

    society = await actor("society")
    with pytest.raises(officers.OfficerError) as refused:
        await officers.add_officer(society, username="mining_jp", full_name="Mining Engineer, Jaipur", department="Mines",
                                   district_code="JP", password="secret-123", full_name_hi="Mining Engineer")
    assert refused.value.field == "--name-hi" and "Devanagari" in refused.value.message
    added = await officers.add_officer(society, username="mining_jp", full_name="Mining Engineer, Jaipur",
                                       department="Revenue Department, Government of Rajasthan", district_code="JP",
                                       password="secret-123", full_name_hi="खनि अभियंता, जयपुर")
    assert (await User.get(id=added.id)).full_name_hi == "खनि अभियंता, जयपुर"

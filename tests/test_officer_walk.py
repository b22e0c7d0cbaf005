"""A new department officer's day, as they meet it: the email that a case is overdue, the case's
number typed into the address, the inbox in Hindi, an income on the case page and the certificate
(decision 140)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from emitra.core import workflow
from emitra.core.certificate_render import public_base_url
from emitra.core.models import Case, Certificate, Notification
from emitra.core.plugins import get_host
from tests.case_helpers import ADDRESS, CASTE, caste_case, grievance_case, pay, upload


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
    assert note.body_hi.startswith(f"ई-मित्र SLA: प्रकरण {case.number} ")
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

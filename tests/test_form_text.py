"""What the counter's forms and pages say: amounts typed with digit grouping, refusals an operator
can act on (in English and Hindi), the citizen search, page titles, the confirmation page, and
Hindi values on Hindi pages."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from starlette.routing import Route

from emitra.core import forms
from emitra.core.models import Citizen, ServiceRequest
from emitra.core.plugins import get_host
from emitra.web.app import ROUTES

DTH = "pvt.recharge.dth"
CASTE = "gov.rj.revenue.caste_certificate"
GRIEVANCE = "gov.rj.sampark.grievance"
PHOTOCOPY = "pvt.lsp.photocopy"
BILL = "gov.rj.jvvnl.bill"
PDF = b"%PDF-1.4\n%a ration card\n"


def ramesh(web) -> str:
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="error"[^>]*>([^<]+)<', page)]


def hidden(page: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}


def caste_form(token: str, **changes: str) -> dict[str, str]:
    return {"csrf_token": token, "applicant_name": "Ramesh Kumar Sharma", "father_name": "Mohan Lal Sharma",
            "caste_category": "OBC", "caste": "Jat", "address.house": "12, Main Road", "address.village_ward": "Ward 3",
            "address.tehsil": "phagi", "address.district": "Jaipur", "address.pin": "303005",
            "annual_family_income": "2,50,000", "non_creamy_layer": "on", **changes}


# --- 1. numbers typed with digit grouping; refusals in words ---------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("2,50,000", 250000), ("250,000", 250000), ("1,000", 1000), ("12,34,567", 1234567), ("1,234,567", 1234567),
    ("2 50 000", 250000), (" 1,500 ", 1500), ("-1,000", -1000), ("1500", 1500),
])
def test_grouped_digits_typed_into_an_integer_field_are_a_number(typed, expected):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "x": {"type": "number"}}}
    assert forms.coerce(schema, {"n": typed}) == {"n": expected}
    assert forms.coerce(schema, {"x": typed.strip() + ".50"}) == {"x": Decimal(f"{expected}.50")}


@pytest.mark.parametrize("typed", ["25,0000", "1,0,00", "3,00", "1,,000", ",000", "1,000,", "1.000,50", "12,34,5678"])
def test_commas_that_are_not_digit_grouping_are_refused_as_typed(typed):
    schema = {"type": "object", "properties": {"n": {"type": "integer", "title": "Amount", "x-title-hi": "राशि"}}}
    data = forms.coerce(schema, {"n": typed})
    assert data == {"n": typed.strip()}
    with pytest.raises(forms.FormErrors) as err:
        forms.validate(schema, data)
    assert err.value.by_field() == {"n": "Amount must be a whole number, such as 1500 or 2,50,000."}
    assert "integer" not in err.value.by_field("hi")["n"] and "पूर्ण संख्या" in err.value.by_field("hi")["n"]


def test_the_json_api_takes_json_numbers_only():
    dth = get_host().registry.get(DTH)
    with pytest.raises(forms.FormErrors) as err:
        forms.validate(dth.form, {"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": "1,000"})
    assert err.value.by_field()["amount_rupees"].startswith("Recharge amount (Rs) must be a whole number")


def test_amounts_with_indian_digit_grouping_are_accepted_at_the_counter(web):
    web.login("operator1")
    eid = ramesh(web)
    dth = f"/counter/citizens/{eid}/services/{DTH}"
    confirm = web.post_form(dth, {"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": "1,000"})
    assert confirm.status_code == 200, errors(confirm.text)
    assert "₹1,000.00" in confirm.text and hidden(confirm.text)["data.amount_rupees"] == "1000"
    caste = f"/counter/citizens/{eid}/services/{CASTE}"
    confirm = web.client.post(caste, data=caste_form(web.csrf(caste)), files={"ration_card_scan": ("ration card.pdf", PDF, "application/pdf")})
    assert confirm.status_code == 200, errors(confirm.text)
    assert hidden(confirm.text)["data.annual_family_income"] == "250000"
    # more pages than a photocopy takes: refused for the number, not for the comma
    copy = f"/counter/citizens/{eid}/services/{PHOTOCOPY}"
    refused = web.post_form(copy, {"quantity": "1,000"})
    assert refused.status_code == 400 and errors(refused.text) == ["Number of pages must be at most 500."]
    word = web.post_form(dth, {"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": "one thousand"})
    assert errors(word.text) == ["Recharge amount (Rs) must be a whole number from 100 to 5,000."]
    web.get("/lang/hi")
    word = web.post_form(dth, {"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": "one thousand"})
    assert errors(word.text) == ["रिचार्ज राशि (₹) 100 से 5,000 तक की पूर्ण संख्या होनी चाहिए।"]


def test_a_number_typed_wrong_into_a_bounded_field_is_told_its_bounds_not_an_example_it_refuses(web):
    """A passenger's age typed with the letter O, a number of pages in words: the refusal says the
    field's range (1 to 120, 1 to 500), never "such as 1500 or 2,50,000", which an age cannot be."""
    web.login("operator1")
    eid = ramesh(web)
    bus = f"/counter/citizens/{eid}/services/pvt.rsrtc.bus_ticket"
    posted = {"from": "jaipur", "to": "ajmer", "journey_date": "2026-11-23", "service_class": "express", "seats": "2",
              "passengers.0.name": "Ramesh Kumar Sharma", "passengers.0.age": "48", "passengers.0.gender": "M",
              "passengers.1.name": "Sita Sharma", "passengers.1.age": "4O", "passengers.1.gender": "F"}
    refused = web.post_form(bus, posted)
    assert refused.status_code == 400 and errors(refused.text) == ["Age must be a whole number from 1 to 120."]
    assert 'id="f-passengers-1-age-error"' in refused.text  # beside the second passenger's age
    copy = f"/counter/citizens/{eid}/services/{PHOTOCOPY}"
    assert errors(web.post_form(copy, {"quantity": "ten"}).text) == ["Number of pages must be a whole number from 1 to 500."]
    web.get("/lang/hi")
    assert errors(web.post_form(bus, posted).text) == ["आयु 1 से 120 तक की पूर्ण संख्या होनी चाहिए।"]
    assert errors(web.post_form(copy, {"quantity": "ten"}).text) == ["पृष्ठों की संख्या 1 से 500 तक की पूर्ण संख्या होनी चाहिए।"]


MONEY = {"type": "object", "properties": {
    "rupees": {"type": "integer", "title": "Recharge amount (Rs)", "x-title-hi": "रिचार्ज राशि (₹)", "x-money": True},
    "paid": {"type": "number", "title": "Amount paid", "x-title-hi": "दी गई राशि", "x-money": True},
    "pages": {"type": "integer", "title": "Number of pages", "x-title-hi": "पृष्ठों की संख्या"}}}


@pytest.mark.parametrize("typed, rupees", [
    ("₹350", 350), ("Rs 350", 350), ("Rs. 350/-", 350), ("rs.350", 350), ("INR 1,000", 1000), ("₹ 1,00,000", 100000),
    ("रु. ३५०", 350), ("३५० रुपये", 350), ("350 rupees", 350), ("350.00", 350), ("350/-", 350),
])
def test_a_money_field_takes_an_amount_as_the_money_boxes_do(typed, rupees):
    """A form's own amount (the DTH recharge's "Recharge amount (Rs)") refused `₹350` and `Rs 350` as
    not a whole number, though every money box of the counter takes them (core/money.parse_rupees)."""
    assert forms.coerce(MONEY, {"rupees": typed}) == {"rupees": rupees}
    assert forms.coerce(MONEY, {"paid": typed}) == {"paid": rupees}
    forms.validate(MONEY, forms.coerce(MONEY, {"rupees": typed, "paid": typed}))


def test_a_money_field_of_rupees_and_paise_keeps_the_paise():
    assert forms.coerce(MONEY, {"paid": "₹1,483.50"}) == {"paid": Decimal("1483.50")}
    assert forms.coerce(MONEY, {"paid": "Rs. 40.5"}) == {"paid": Decimal("40.5")}


@pytest.mark.parametrize("typed, en, hi", [
    ("₹1483,50", "Recharge amount (Rs): '₹1483,50' has a comma where no thousands end", "रिचार्ज राशि (₹): '₹1483,50' में अल्पविराम"),
    ("Rs 1.483,50", "Recharge amount (Rs): 'Rs 1.483,50' has a comma after the decimal point", "रिचार्ज राशि (₹): 'Rs 1.483,50' में दशमलव"),
    ("Rs 35O", "Recharge amount (Rs) must be a whole number, such as 1500", "रिचार्ज राशि (₹) पूर्ण संख्या होनी चाहिए"),
    ("₹350.50", "Recharge amount (Rs) is in whole rupees, with no paise: type 350 or 351.", "रिचार्ज राशि (₹) पूरे रुपयों में है, पैसे नहीं: 350 या 351"),
    ("₹350.505", "Recharge amount (Rs): Amount has more than two decimals", "रिचार्ज राशि (₹): राशि में दो से अधिक दशमलव"),
])
def test_an_amount_that_reads_two_ways_is_refused_naming_the_field_and_the_fix(typed, en, hi):
    data = forms.coerce(MONEY, {"rupees": typed})
    assert data == {"rupees": typed}
    with pytest.raises(forms.FormErrors) as err:
        forms.validate(MONEY, data)
    assert err.value.by_field()["rupees"].startswith(en), err.value.by_field()
    assert err.value.by_field("hi")["rupees"].startswith(hi), err.value.by_field("hi")


def test_a_field_that_is_not_money_still_refuses_rupees():
    data = forms.coerce(MONEY, {"pages": "Rs 5"})
    assert data == {"pages": "Rs 5"}
    with pytest.raises(forms.FormErrors) as err:
        forms.validate(MONEY, data)
    assert err.value.by_field() == {"pages": "Number of pages must be a whole number, such as 1500 or 2,50,000."}


def test_the_dth_recharge_takes_rupees_typed_with_the_sign_at_the_counter(web):
    web.login("operator1")
    eid = ramesh(web)
    dth = f"/counter/citizens/{eid}/services/{DTH}"
    for typed in ("₹350", "Rs 350", "रु. ३५०"):
        confirm = web.post_form(dth, {"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": typed})
        assert confirm.status_code == 200, errors(confirm.text)
        assert "₹350.00" in confirm.text and hidden(confirm.text)["data.amount_rupees"] == "350"
    caste = f"/counter/citizens/{eid}/services/{CASTE}"
    confirm = web.client.post(caste, data=caste_form(web.csrf(caste), annual_family_income="₹ 2,50,000"),
                              files={"ration_card_scan": ("ration card.pdf", PDF, "application/pdf")})
    assert confirm.status_code == 200, errors(confirm.text)
    assert hidden(confirm.text)["data.annual_family_income"] == "250000"
    paise = web.post_form(dth, {"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": "₹350.50"})
    assert paise.status_code == 400 and errors(paise.text) == ["Recharge amount (Rs) is in whole rupees, with no paise: type 350 or 351."]
    web.get("/lang/hi")
    comma = web.post_form(dth, {"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": "₹1483,50"})
    [message] = errors(comma.text)
    assert comma.status_code == 400 and message.startswith("रिचार्ज राशि (₹): '₹1483,50' में अल्पविराम वहाँ है जहाँ हज़ार पूरे नहीं होते")


def test_an_unticked_declaration_and_a_wrong_choice_are_refused_in_the_forms_words(web):
    web.login("operator1")
    eid = ramesh(web)
    caste = f"/counter/citizens/{eid}/services/{CASTE}"
    scan = {"ration_card_scan": ("ration card.pdf", PDF, "application/pdf")}
    unticked = web.client.post(caste, data=caste_form(web.csrf(caste), non_creamy_layer=""), files=scan)
    assert unticked.status_code == 400
    [message] = errors(unticked.text)
    assert message.endswith(": this box must be ticked.") and "True" not in message
    grievance = f"/counter/citizens/{eid}/services/{GRIEVANCE}"
    web.get("/lang/hi")
    unticked = web.client.post(caste, data=caste_form(web.csrf(caste), non_creamy_layer=""), files=scan)
    [message] = errors(unticked.text)
    assert message.endswith(": इस बॉक्स पर सही का निशान लगाना आवश्यक है।") and "True" not in message
    wrong = web.post_form(grievance, {"department": "forest", "subject": "No water in ward 12 for a week",
                                      "description": "The tap supply in ward 12 has been off for a week."})
    [message] = errors(wrong.text)
    assert "जन स्वास्थ्य अभियांत्रिकी (जल आपूर्ति)" in message and "phed" not in message and "energy" not in message
    web.get("/lang/en")
    wrong = web.post_form(grievance, {"department": "forest", "subject": "No water in ward 12 for a week",
                                      "description": "The tap supply in ward 12 has been off for a week."})
    [message] = errors(wrong.text)
    assert "Public Health Engineering (water supply)" in message and "phed," not in message


# --- 2. the citizen search -------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["+919829012345", "+91 98290 12345", "+91-98290-12345", "919829012345", "09829012345", "98290 12345"])
def test_a_mobile_number_typed_with_the_country_code_finds_the_citizen(web, typed):
    web.login("operator1")
    eid = ramesh(web)
    found = web.client.get("/counter", params={"q": typed})
    assert found.status_code == 200 and f"/counter/citizens/{eid}" in found.text and "No citizen found" not in found.text


@pytest.mark.parametrize("typed", ["'", "%", "Shri", "Smt.", "--", "Dr. "])
def test_a_search_with_nothing_to_search_by_lists_nobody_and_says_what_to_type(web, typed):
    web.login("operator1")
    page = web.client.get("/counter", params={"q": typed})
    assert page.status_code == 200
    assert "/counter/citizens/JP" not in page.text.split("Recent transactions")[0]
    assert errors(page.text) == ["Nothing to search for: type the citizen's e-Mitra ID, mobile number or name "
                                 "(a title such as Shri or Smt alone is not searched)."]
    web.get("/lang/hi")
    assert "नागरिक की ई-मित्र आईडी, मोबाइल नंबर या नाम लिखें" in errors(web.client.get("/counter", params={"q": typed}).text)[0]


# --- 3. page titles --------------------------------------------------------------------------------

USERS = ["operator1", "lsp", "society", "state", "officer", "citizen"]


def _paid_receipt(web) -> str:
    web.login("operator1")
    eid = ramesh(web)
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    confirm = web.post_form(form_url, {"k_number": "210412345678"}, token_from=form_url)
    done = web.client.post(form_url + "/pay", data=hidden(confirm.text))
    assert done.status_code == 303, done.text
    return done.headers["location"].rsplit("/", 1)[-1]


def test_no_page_title_carries_markup(web):
    """Every page each role can open (the route table's GET pages, with the demo's ids filled in):
    the <title> is text (a browser shows markup there literally, in the tab and the printed header)."""
    receipt_no = _paid_receipt(web)
    eid = ramesh(web)
    ids = {"receipt_no": receipt_no, "emitra_id": eid, "code": BILL}
    paths = []
    for route in ROUTES:
        if isinstance(route, Route) and "GET" in (route.methods or ()) and route.endpoint.emitra_guard[0] == "page":
            names = re.findall(r"\{(\w+)", route.path)
            if all(n in ids for n in names):
                paths.append(re.sub(r"\{(\w+)(:\w+)?\}", lambda m: ids[m.group(1)], route.path))
    assert f"/receipts/{receipt_no}" in paths and "/counter" in paths
    seen = 0
    for user in USERS:
        web.logout()
        web.login(user)
        for path in paths:
            response = web.client.get(path)
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            title = re.search(r"<title>(.*?)</title>", response.text, re.S)
            assert title, path
            assert "<" not in title.group(1) and "&lt;" not in title.group(1), (user, path, title.group(1))
            seen += response.status_code == 200
    assert seen > 40


def test_the_receipt_title_is_the_receipt_number(web):
    receipt_no = _paid_receipt(web)
    page = web.get(f"/receipts/{receipt_no}").text
    assert re.search(r"<title>([^<]*)</title>", page).group(1).startswith(f"Receipt {receipt_no}")
    # the print button still works (its script under its content's name: decision 127)
    assert len(re.findall(r'<script src="/static/print\.[0-9a-f]{10}\.js" defer></script>', page)) == 1


# --- 4. the confirmation page ----------------------------------------------------------------------

def test_the_confirmation_of_a_free_application_shows_each_field_once_and_names_the_scan(web):
    web.login("operator1")
    eid = ramesh(web)
    caste = f"/counter/citizens/{eid}/services/{CASTE}"
    form = web.get(caste).text
    assert "Check and continue" in form and "Get amount due" not in form
    assert "Get amount due" in web.get(f"/counter/citizens/{eid}/services/{BILL}").text
    confirm = web.client.post(caste, data=caste_form(web.csrf(caste)), files={"ration_card_scan": ("ration card.pdf", PDF, "application/pdf")})
    assert confirm.status_code == 200
    rows = [(html.unescape(th), html.unescape(td)) for th, td in re.findall(r"<tr[^>]*><th>([^<]*)</th><td[^>]*>([^<]*)", confirm.text)]
    labels = [th for th, _ in rows]
    values = [td for _, td in rows]
    assert ("Ration card (scan)", "ration card.pdf (PDF, 1 KB)") in rows
    scan_id = hidden(confirm.text)["data.ration_card_scan"]
    assert scan_id not in values
    for value in ("Ramesh Kumar Sharma", "Mohan Lal Sharma", "2,50,000"):
        assert values.count(value) == 1, (value, rows)
    assert len(labels) == len(set(labels)), labels
    assert ("Caste", "Jat – Other Backward Class (OBC)") in rows and "Other Backward Class (OBC)" not in values
    assert "Amount due" not in labels and ("To collect from the citizen", "₹10.00") in rows
    web.get("/lang/hi")
    assert "जाँचें और आगे बढ़ें" in web.get(caste).text


def test_the_confirmation_of_an_lsps_own_sale_shows_each_figure_once(web, monkeypatch):
    """A photocopy's confirmation page said "Quantity 3 pages" and "Number of pages 3", "Price per
    page ₹2.00" and "Price per unit (published by your LSP) ₹2.00 / page", "Amount due ₹6.00" and
    "To collect from the citizen ₹6.00" (no service charge between them), in English and Hindi."""
    web.login("operator1")
    eid = ramesh(web)
    copy = f"/counter/citizens/{eid}/services/{PHOTOCOPY}"
    for lang, expected in (("en", [("Quantity", "3 pages"), ("Price per page", "₹2.00"), ("Printed on both sides", "Yes"),
                                   ("Service charge", "₹0.00 "), ("To collect from the citizen", "₹6.00")]),
                           ("hi", [("मात्रा", "3 पृष्ठ"), ("प्रति पृष्ठ मूल्य", "₹2.00"), ("दोनों ओर छपाई", "हाँ"),
                                   ("सेवा शुल्क", "₹0.00 "), ("नागरिक से ली जाने वाली राशि", "₹6.00")])):
        web.get(f"/lang/{lang}")
        confirm = web.post_form(copy, {"quantity": "3", "both_sides": "on"})
        assert confirm.status_code == 200, errors(confirm.text)
        assert rows_of(confirm.text)[:-1] == expected, rows_of(confirm.text)  # (the last: the messages' language)
    web.get("/lang/en")
    internet = web.post_form(f"/counter/citizens/{eid}/services/pvt.lsp.internet", {"quantity": "45"})
    assert [td for _, td in rows_of(internet.text)][:2] == ["45 minutes", "₹1.00"], rows_of(internet.text)
    assert "Number of minutes" not in internet.text.split("How does the citizen pay?")[0]

    service = get_host().registry.get(PHOTOCOPY)  # a service that does not show its price: the LSP's is shown
    plain_quote = service.quote

    async def without_price(data, ctx):
        quote = await plain_quote(data, ctx)
        quote.details = [d for d in quote.details if not d["label_en"].startswith("Price per")]
        return quote

    monkeypatch.setattr(service, "quote", without_price)
    confirm = web.post_form(copy, {"quantity": "3"})
    assert ("Price per unit (published by your LSP)", "₹2.00 / page") in rows_of(confirm.text), rows_of(confirm.text)


def test_a_bill_still_shows_the_amount_due(web):
    web.login("operator1")
    eid = ramesh(web)
    confirm = web.post_form(f"/counter/citizens/{eid}/services/{BILL}", {"k_number": "210412345678"})
    assert re.search(r"<th>Amount due</th><td class=\"num\">₹1,483.50", confirm.text)
    assert confirm.text.count("210412345678</td>") == 1  # the K-number: the bill's own row, not the form's too


def test_a_file_of_the_wrong_kind_is_refused_in_a_sentence(web):
    web.login("operator1")
    eid = ramesh(web)
    caste = f"/counter/citizens/{eid}/services/{CASTE}"
    scan = {"ration_card_scan": ("ration card.pdf", b"PK\x03\x04 a zip", "application/pdf")}
    refused = web.client.post(caste, data=caste_form(web.csrf(caste)), files=scan)
    assert errors(refused.text) == ["This file is not a PDF, JPEG or PNG file. Upload the scan as a PDF, JPEG or PNG."]
    web.get("/lang/hi")
    refused = web.client.post(caste, data=caste_form(web.csrf(caste)), files=scan)
    assert errors(refused.text) == ["यह फ़ाइल PDF, JPEG या PNG फ़ाइल नहीं है। स्कैन को PDF, JPEG या PNG फ़ाइल के रूप में अपलोड करें।"]


# --- 5. Hindi pages --------------------------------------------------------------------------------

def test_service_groups_are_named_and_sorted_in_hindi_when_the_service_has_a_hindi_department_name(web, monkeypatch):
    host = get_host()
    for code, name_hi in ((BILL, "जयपुर विद्युत वितरण निगम लिमिटेड"), (GRIEVANCE, "राजस्थान संपर्क")):
        monkeypatch.setattr(host.registry.get(code), "provider_hi", name_hi, raising=False)
    web.login("operator1")
    eid = ramesh(web)
    web.get("/lang/hi")
    headings = re.findall(r"<h3>([^<]*)</h3>", web.get(f"/counter/citizens/{eid}").text)
    assert "जयपुर विद्युत वितरण निगम लिमिटेड" in headings and "राजस्थान संपर्क" in headings
    assert "Jaipur Vidyut Vitran Nigam Ltd (JVVNL)" not in headings
    assert headings == sorted(headings, key=str.casefold)
    found = web.client.get(f"/counter/citizens/{eid}", params={"q": "संपर्क"}).text
    assert f"/services/{GRIEVANCE}" in found


def test_the_receipt_shows_the_departments_hindi_values_on_a_hindi_page(web):
    web.login("operator1")
    eid = ramesh(web)
    url = f"/counter/citizens/{eid}/services/{GRIEVANCE}"
    web.get("/lang/hi")
    confirm = web.post_form(url, {"department": "phed", "subject": "No water in ward 12 for a week",
                                  "description": "The tap supply in ward 12 has been off for a week."})
    assert confirm.status_code == 200, errors(confirm.text)
    assert "जन स्वास्थ्य अभियांत्रिकी (जल आपूर्ति)" in confirm.text and ">नहीं<" in confirm.text
    done = web.client.post(url + "/pay", data=hidden(confirm.text))
    assert done.status_code == 303
    receipt = web.get(done.headers["location"]).text
    assert "जन स्वास्थ्य अभियांत्रिकी (जल आपूर्ति)</td>" in receipt and ">नहीं</td>" in receipt
    assert "Public Health Engineering (water supply)" not in receipt
    web.get("/lang/en")
    receipt = web.get(done.headers["location"]).text
    assert "Public Health Engineering (water supply)</td>" in receipt and ">no</td>" in receipt

    async def stored():
        return (await ServiceRequest.get(receipt_no=done.headers["location"].rsplit("/", 1)[-1])).quote_details

    assert {"label_en": "Department", "label_hi": "विभाग", "value": "Public Health Engineering (water supply)",
            "value_hi": "जन स्वास्थ्य अभियांत्रिकी (जल आपूर्ति)"} in web.run(stored)


async def test_the_revenue_and_counter_services_details_carry_hindi_values(demo_db):
    from emitra.core import QuoteContext

    ctx = QuoteContext(counter_code="JP-LM-001", district_code="JP", lsp_id=1, unit_price_paise=200)
    caste = get_host().registry.get(CASTE)
    quote = await caste.quote({**caste.example, "caste_category": "OBC", "annual_family_income": 250000, "non_creamy_layer": True}, ctx)
    by_label = {d["label_en"]: d for d in quote.details}
    assert by_label["Caste"]["value_hi"] == "Bairwa – अन्य पिछड़ा वर्ग (OBC)"
    assert by_label["Processed by"] == {"label_en": "Processed by", "label_hi": "प्रक्रिया कार्यालय", "value": "Tehsildar, Phagi",
                                        "value_hi": "तहसीलदार, फागी"}
    assert "value_hi" not in by_label["Applicant"]  # a name is the same in both
    copy = await get_host().registry.get(PHOTOCOPY).quote({"quantity": 3, "both_sides": True}, ctx)
    assert [(d["value"], d.get("value_hi")) for d in copy.details] == [("3 pages", "3 पृष्ठ"), ("₹2.00", None), ("Yes", "हाँ")]


# --- 6. a service's details in the page's language, and the form's fields they show left out -----

BIRTH = "gov.rj.pehchan.birth_certificate"
POLICY = "pvt.marudhar.policy"
DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def rows_of(page: str) -> list[tuple[str, str]]:
    return [(html.unescape(th), html.unescape(td)) for th, td in re.findall(r"<tr[^>]*><th>([^<]*)</th><td[^>]*>([^<]*)", page)]


def posted(example: dict) -> dict[str, str]:
    return dict(forms.flatten(example))


def test_a_detail_joining_the_forms_values_replaces_them_on_the_confirmation_page(web):
    web.login("operator1")
    eid = ramesh(web)
    birth = get_host().registry.get(BIRTH)
    confirm = web.post_form(f"/counter/citizens/{eid}/services/{BIRTH}", posted(birth.example))
    assert confirm.status_code == 200, errors(confirm.text)
    rows = rows_of(confirm.text)
    labels = [th for th, _ in rows]
    # "Child: Aarav Sharma (Male)" shows the child's name and sex; the place its kind in brackets
    assert ("Child", "Aarav Sharma (Male)") in rows
    assert not {"Child's name", "Sex", "Born at"} & set(labels), rows
    assert labels.count("Place of birth") == 1 and "Hospital or health centre" not in [td for _, td in rows]
    # a comma joins an office and its place, not values of the form: "Tehsildar, Phagi" does not
    # stand for the village Phagi, which is listed
    caste = f"/counter/citizens/{eid}/services/{CASTE}"
    confirm = web.client.post(caste, data=caste_form(web.csrf(caste), **{"address.village_ward": "Phagi"}),
                              files={"ration_card_scan": ("ration card.pdf", PDF, "application/pdf")})
    assert confirm.status_code == 200, errors(confirm.text)
    rows = rows_of(confirm.text)
    assert ("Processed by", "Tehsildar, Phagi") in rows and ("Village / ward", "Phagi") in rows and ("Tehsil", "Phagi") in rows


def test_a_list_row_is_left_out_only_when_a_detail_shows_all_of_it(web, monkeypatch):
    web.login("operator1")
    eid = ramesh(web)
    policy = get_host().registry.get(POLICY)
    monkeypatch.setattr(policy.insurer, "today", dt.date(2026, 11, 20))
    confirm = web.post_form(f"/counter/citizens/{eid}/services/{POLICY}", posted(policy.example))
    assert confirm.status_code == 200, errors(confirm.text)
    rows = rows_of(confirm.text)
    # "Rakesh Meena (Spouse, 100%)": the share is written 100%, not the form's 100, so the nominee's
    # row is listed whole rather than its share alone
    assert ("Nominees", "Rakesh Meena (Spouse, 100%)") in rows
    assert {("Nominee name (1)", "Rakesh Meena"), ("Relation to the insured (1)", "Spouse"), ("Share (%) (1)", "100")} <= set(rows)


async def test_no_built_in_service_writes_both_languages_into_one_detail(demo_db, monkeypatch):
    """A detail's ``value`` is the English (a name as typed, a number); its Hindi is ``value_hi``,
    shown instead on a Hindi page: never "Tata Play / टाटा प्ले" or "Express (एक्सप्रेस)" on both."""
    from emitra.core import QuoteContext

    registry = get_host().registry
    bus = registry.get("pvt.rsrtc.bus_ticket").booking
    monkeypatch.setattr(bus, "today", dt.date(2026, 11, 20))
    monkeypatch.setattr(bus, "time_of_day", dt.time(10, 0))
    ctx = QuoteContext(counter_code="JP-LM-001", district_code="JP", lsp_id=1, unit_price_paise=200)
    quoted, both = [], []
    for service in registry:
        if not service.example:
            continue
        data = {**service.example, **{path: "0" * 32 for path, _spec in forms.upload_fields(service.form) if path not in service.example}}
        quote = await service.quote(data, ctx)
        quoted.append(service.code)
        both += [(service.code, d["label_en"], d["value"]) for d in quote.details if DEVANAGARI.search(str(d["value"]))]
    assert len(quoted) >= 20 and "pvt.rsrtc.bus_ticket" in quoted
    assert both == []


PASSPORT = "gov.in.rpo_jaipur.passport"
DEATH = "gov.rj.pehchan.death_certificate"
LATIN = re.compile(r"[A-Za-z]")


async def test_the_departments_words_are_in_hindi_on_a_hindi_page_names_and_codes_as_written(demo_db):
    """A Hindi page shows a detail's ``value_hi`` when it has one. For every record of the land
    records, PHED and UD tax systems, what it shows has Latin letters only in names and codes (an
    owner's, a consumer's, an address, a property ID): a land class, a connection, a billing period,
    a property's use and zone, an owner's relation and the units are in Hindi."""
    from emitra.core import QuoteContext
    from emitra.plugins.government import land_records_sandbox as land, levies_sandbox as ud, phed_sandbox as phed

    quotes = []  # (service, form, the names its details may show in Latin letters)
    for (village, khasra), (_khata, owners, _area, _class, due) in land._RECORDS.items():
        names = [name for owner in owners for name in re.split(r" [sw]/o ", owner)]
        quotes.append(("gov.rj.revenue.jamabandi_copy", {"village": village, "khasra_no": khasra}, names))
        if due:
            quotes.append(("gov.rj.revenue.land_revenue", {"village": village, "khasra_no": khasra}, names))
    for number, (name, address, *_bill, due) in phed._CONSUMERS.items():
        if due:
            quotes.append(("gov.rj.phed.water_bill", {"consumer_no": number}, [name, address]))
    for pid, (owner, address, *_plot, years) in ud._PROPERTIES.items():
        quotes += [("gov.rj.jmc.ud_tax", {"property_id": pid, "assessment_year": year}, [owner, f"{pid}, {address}"])
                   for year, amounts in years.items() if amounts is not ud.PAID]
    ctx = QuoteContext(counter_code="JP-LM-001", district_code="JP", lsp_id=1)
    english = []
    for code, data, names in quotes:
        for d in (await get_host().registry.get(code).quote(data, ctx)).details:
            shown = str(d.get("value_hi") or d["value"])
            if LATIN.search(re.sub("|".join(map(re.escape, names)), "", shown)):
                english.append((code, d["label_en"], shown))
    assert len(quotes) > 25
    assert english == []


def test_a_hindi_jamabandi_confirmation_names_the_land_class_and_relations_in_hindi(web):
    web.login("operator1")
    eid = ramesh(web)
    web.get("/lang/hi")
    confirm = web.post_form(f"/counter/citizens/{eid}/services/gov.rj.revenue.jamabandi_copy", {"village": "sanganer", "khasra_no": "245/1"})
    assert confirm.status_code == 200, errors(confirm.text)
    rows = dict(rows_of(confirm.text))
    assert rows["भूमि किस्म"] == "चाही (कुएँ से सिंचित)" and rows["क्षेत्रफल"] == "1.2650 हेक्टेयर"
    assert rows["खातेदार"] == "Mangi Lal Saini पुत्र Gopal Saini; Kamla Devi Saini पत्नी Mangi Lal Saini"
    assert "Chahi" not in confirm.text and "w/o" not in confirm.text


def test_the_passports_kendra_and_the_insureds_name_are_listed_once_on_the_confirmation_page(web, monkeypatch):
    """A detail joining them to something else by a comma ("2026-12-09 09:30, Jaipur PSK", "Geeta
    Meena, age 36") did not stand for the form's field, which was listed again (decision 126)."""
    registry = get_host().registry
    monkeypatch.setattr(registry.get(POLICY).insurer, "today", dt.date(2026, 11, 20))
    web.login("operator1")
    eid = ramesh(web)
    for lang, kendra, insured in (("en", "Jaipur PSK", "Geeta Meena (age 36)"), ("hi", "जयपुर पासपोर्ट सेवा केंद्र", "Geeta Meena (आयु 36)")):
        web.get(f"/lang/{lang}")
        confirm = web.post_form(f"/counter/citizens/{eid}/services/{PASSPORT}", {**posted(registry.get(PASSPORT).example), "_step": "2"})
        assert confirm.status_code == 200, errors(confirm.text)
        assert [td for _, td in rows_of(confirm.text) if kendra in td] == [kendra]
        confirm = web.post_form(f"/counter/citizens/{eid}/services/{POLICY}", posted(registry.get(POLICY).example))
        assert confirm.status_code == 200, errors(confirm.text)
        assert [td for _, td in rows_of(confirm.text) if "Geeta Meena" in td] == [insured]


SHARES = {"type": "object", "properties": {
    "share": {"type": "integer", "title": "Share (%)", "x-title-hi": "हिस्सा (%)", "minimum": 1, "maximum": 100, "x-percent": True},
    "rate": {"type": "number", "title": "Rate (%)", "x-title-hi": "दर (%)", "minimum": 0, "maximum": 100, "x-percent": True},
    "pages": {"type": "integer", "title": "Number of pages", "x-title-hi": "पृष्ठों की संख्या"}}}


@pytest.mark.parametrize("typed, number", [("60%", 60), ("60 %", 60), (" 60% ", 60), ("60", 60), ("६०%", 60), ("100 ％", 100)])
def test_a_share_in_per_cent_takes_its_sign(typed, number):
    """A nominee's share typed "60%" was refused as not a whole number, though the field is titled
    "Share (%)" and people write the sign."""
    assert forms.coerce(SHARES, {"share": typed}) == {"share": number}
    assert forms.coerce(SHARES, {"rate": typed.replace("60", "62.5")}) == {"rate": Decimal("62.5") if "60" in typed else number}
    forms.validate(SHARES, forms.coerce(SHARES, {"share": typed}))


@pytest.mark.parametrize("typed", ["150%", "0 %", "60%%", "%60", "sixty %", "6O%"])
def test_a_share_in_per_cent_is_still_checked_as_a_number(typed):
    with pytest.raises(forms.FormErrors) as err:
        forms.validate(SHARES, forms.coerce(SHARES, {"share": typed}))
    said = err.value.by_field()["share"]
    assert said.startswith("Share (%) must be") and ("1" in said or "100" in said), said
    assert err.value.by_field("hi")["share"].startswith("हिस्सा (%)")
    with pytest.raises(forms.FormErrors):  # a field not in per cent takes no sign
        forms.validate(SHARES, forms.coerce(SHARES, {"pages": "60%"}))


def test_the_nominees_shares_are_taken_with_the_per_cent_sign_at_the_counter(web, monkeypatch):
    registry = get_host().registry
    monkeypatch.setattr(registry.get(POLICY).insurer, "today", dt.date(2026, 11, 20))
    web.login("operator1")
    eid = ramesh(web)
    url = f"/counter/citizens/{eid}/services/{POLICY}"
    shared = {**posted(registry.get(POLICY).example), "nominees.0.share_percent": "60%", "nominees.1.name": "Pooja Meena",
              "nominees.1.relation": "daughter", "nominees.1.share_percent": " 40 % "}
    confirm = web.post_form(url, shared)
    assert confirm.status_code == 200, errors(confirm.text)
    assert dict(rows_of(confirm.text))["Nominees"] == "Rakesh Meena (Spouse, 60%); Pooja Meena (Daughter, 40%)", rows_of(confirm.text)
    refused = web.post_form(url, {**shared, "nominees.1.share_percent": "140%"})
    assert refused.status_code == 400 and "Share (%) must be at most 100." in errors(refused.text), errors(refused.text)
    web.get("/lang/hi")
    refused = web.post_form(url, {**shared, "nominees.1.share_percent": "4O%"})
    assert refused.status_code == 400 and "हिस्सा (%) 1 से 100 तक की पूर्ण संख्या होनी चाहिए।" in errors(refused.text), errors(refused.text)
    web.get("/lang/en")


async def test_a_relation_relabelled_in_the_form_is_named_so_in_the_details(demo_db, monkeypatch):
    """The insurance and the death certificate name a relation by the form's labels
    (``kit.choice_label``), not a table of their own: what the drop-down says, the receipt says."""
    from emitra.core import QuoteContext

    registry = get_host().registry
    ctx = QuoteContext(counter_code="JP-LM-001", district_code="JP", lsp_id=1)
    death = registry.get(DEATH)
    monkeypatch.setitem(death.form["properties"]["informant_relation"], "x-enum-labels-hi",
                        ["बेटा", *death.form["properties"]["informant_relation"]["x-enum-labels-hi"][1:]])
    informant = {d["label_en"]: d for d in (await death.quote(death.example, ctx)).details}["Informant"]
    assert informant["value_hi"] == "Ramesh Kumar Sharma (बेटा)"
    policy = registry.get(POLICY)
    monkeypatch.setattr(policy.insurer, "today", dt.date(2026, 11, 20))
    relation = policy.form["properties"]["nominees"]["items"]["properties"]["relation"]
    monkeypatch.setitem(relation, "x-enum-labels", ["Husband or wife", *relation["x-enum-labels"][1:]])
    nominees = {d["label_en"]: d for d in (await policy.quote(policy.example, ctx)).details}["Nominees"]
    assert nominees["value"] == "Rakesh Meena (Husband or wife, 100%)"


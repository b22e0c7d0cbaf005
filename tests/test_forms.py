"""The form engine on a service that uses every feature: steps, conditions, nested objects, rows,
multiple choice, document upload; and a plugin that fails while serving."""

import contextlib
import logging
import re
import types
from typing import Any

import pytest

from emitra.core import Category, Domain, FeeRule, Payer, Quote, Service, Workflow, forms, hookimpl
from emitra.core.models import Citizen, Document, ServiceRequest
from emitra.core.plugins import PluginHost, get_host, set_host

FORM = {
    "type": "object",
    "unevaluatedProperties": False,
    "x-steps": [
        {"title": "Applicant", "x-title-hi": "आवेदक", "fields": ["name", "category", "income", "languages"]},
        {"title": "Address and family", "x-title-hi": "पता और परिवार", "fields": ["address", "members"]},
        {"title": "Documents", "x-title-hi": "दस्तावेज़", "fields": ["proof", "agree"]},
    ],
    "properties": {
        "name": {"type": "string", "title": "Name", "x-title-hi": "नाम", "minLength": 2},
        "category": {"type": "string", "title": "Category", "x-title-hi": "वर्ग", "enum": ["GEN", "OBC"],
                     "x-enum-labels": ["General", "Other Backward Class"], "x-enum-labels-hi": ["सामान्य", "अन्य पिछड़ा वर्ग"]},
        "languages": {"type": "array", "title": "Languages", "x-title-hi": "भाषाएँ", "items": {"type": "string", "enum": ["hi", "en", "raj"]}},
        "address": {"type": "object", "title": "Address", "x-title-hi": "पता", "required": ["pin"], "properties": {
            "village": {"type": "string", "title": "Village", "x-title-hi": "गाँव"},
            "pin": {"type": "string", "title": "PIN", "x-title-hi": "पिन", "pattern": "^3[0-9]{5}$",
                    "x-error-en": "PIN is 6 digits starting with 3.", "x-error-hi": "पिन 3 से शुरू होने वाले 6 अंक है।"}}},
        "members": {"type": "array", "title": "Family members", "x-title-hi": "परिवार के सदस्य", "x-rows": 1, "minItems": 1,
                    "items": {"type": "object", "required": ["member_name"], "properties": {
                        "member_name": {"type": "string", "title": "Member name", "x-title-hi": "सदस्य का नाम"},
                        "age": {"type": "integer", "title": "Age", "x-title-hi": "आयु", "minimum": 0}}}},
        "proof": {"type": "string", "title": "Proof", "x-title-hi": "प्रमाण", "x-upload": {"accept": ["application/pdf"], "max_kb": 1}},
        "agree": {"type": "boolean", "title": "I agree", "x-title-hi": "मैं सहमत हूँ", "const": True},
    },
    "required": ["name", "category", "address", "members", "proof", "agree"],
    "if": {"properties": {"category": {"const": "OBC"}}, "required": ["category"]},
    "then": {"properties": {"income": {"type": "integer", "title": "Annual income", "x-title-hi": "वार्षिक आय", "minimum": 0}},
             "required": ["income"]},
}


class KitchenSink(Service):
    fail_with: Exception | None = None
    quoted: Any = 0  # the principal the quote gives

    async def quote(self, data, ctx):
        if self.fail_with:
            raise self.fail_with
        return Quote(principal_paise=self.quoted, reference=self.reference, details=self.details)


SINK = KitchenSink(code="test.forms.sink", title_en="Kitchen sink application", title_hi="सभी सुविधाओं वाला आवेदन",
                   provider="Test Department", domain=Domain.GOVERNMENT, category=Category.APPLICATION, form=FORM,
                   fee=FeeRule(payer=Payer.CITIZEN), workflow=Workflow.APPLICATION)


@pytest.fixture
def sink_plugin():
    module = types.SimpleNamespace(emitra_register_services=hookimpl(lambda register: register(SINK)))
    previous = get_host()
    set_host(PluginHost(extra_plugins=[("sink", module)]))
    SINK.fail_with, SINK.quoted, SINK.reference, SINK.details = None, 0, "KS-1", []
    yield SINK
    SINK.form = FORM
    set_host(previous)


@contextlib.contextmanager
def logged(name: str):
    """The records logged by ``name`` meanwhile (pytest's log capture may be off: ``-p no:logging``)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger(name).addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger(name).removeHandler(handler)


def _sink_quote_body(web, sink) -> dict:
    """A filled form of the sink service, for /api/v1/quotes, with its document uploaded."""
    async def upload():
        from emitra.core import documents
        from emitra.core.audit import Actor
        from emitra.core.models import Counter, User

        user = await User.get(username="operator1")
        doc = await documents.store(Actor(user), await Counter.get(id=user.counter_id), sink, "proof", "p.pdf", b"%PDF-1 x")
        return doc.public_id

    return {"service_code": "test.forms.sink", "form": {"name": "Asha", "category": "GEN", "address": {"pin": "302001"},
                                                         "members": [{"member_name": "R"}], "agree": True, "proof": web.run(upload)}}


def test_conditional_fields_follow_the_data():
    assert "income" not in forms.effective(FORM, {"category": "GEN"})["properties"]
    shape = forms.effective(FORM, {"category": "OBC"})
    assert "income" in shape["properties"] and "income" in shape["required"]
    with pytest.raises(forms.FormErrors) as err:
        forms.validate_step(FORM, {"name": "Asha", "category": "OBC"}, 0)
    assert list(err.value.by_field()) == ["income"]
    forms.validate_step(FORM, {"name": "Asha", "category": "GEN"}, 0)  # later steps are not checked yet


DATED = {"type": "object", "required": ["born"], "properties": {
    "born": {"type": "string", "format": "date", "title": "Date of birth", "x-title-hi": "जन्म तिथि"}}}


@pytest.mark.parametrize("typed,stored", [("12-03-1978", "1978-03-12"), ("12/3/1978", "1978-03-12"), ("1.12.1978", "1978-12-01"),
                                          ("1978-03-12", "1978-03-12")])
def test_a_date_typed_day_first_where_no_picker_is_shown_is_read_as_that_day(typed, stored):
    """A counter's browser without a date picker shows a text box, and Indian dates are written day
    first: 12-03-1978 was refused ("use YYYY-MM-DD"); it is the 12th of March 1978."""
    data = forms.coerce(DATED, {"born": typed})
    forms.validate(DATED, data)
    assert data == {"born": stored}


@pytest.mark.parametrize("typed", ["31-02-2026", "12-1978", "03-12-78", "1978/03/12"])
def test_a_date_that_is_no_day_is_refused_naming_the_field_and_both_ways_to_write_it(typed):
    with pytest.raises(forms.FormErrors) as caught:
        forms.validate(DATED, forms.coerce(DATED, {"born": typed}))
    (error,) = caught.value.errors
    assert error.field == "born" and "Date of birth is not a date: write it as DD-MM-YYYY (12-03-1978) or YYYY-MM-DD" in error.en
    assert "जन्म तिथि तारीख नहीं है" in error.hi


def test_posted_text_becomes_nested_json_and_back():
    raw = {"name": "Asha", "category": "OBC", "income": "120000", "languages": ["hi", "raj"], "address.pin": "302001",
           "members.0.member_name": "Ravi", "members.0.age": "12", "members.1.member_name": "", "members.2.member_name": "Mira", "agree": "on"}
    data = forms.coerce(FORM, raw)
    assert data == {"name": "Asha", "category": "OBC", "income": 120000, "languages": ["hi", "raj"], "address": {"pin": "302001"},
                    "members": [{"member_name": "Ravi", "age": 12}, {"member_name": "Mira"}], "agree": True}
    again = {}
    for k, v in forms.flatten(data):
        again.setdefault(k, []).append(v)
    assert forms.coerce(FORM, again) == data


def test_nested_and_row_errors_name_the_exact_field():
    with pytest.raises(forms.FormErrors) as err:
        forms.validate(FORM, {"name": "Asha", "category": "GEN", "address": {"pin": "110001"}, "members": [{"age": -1}], "agree": True})
    fields = err.value.by_field()
    assert fields["address.pin"] == "PIN is 6 digits starting with 3."
    assert fields["members.0.member_name"] == "Member name is required."
    assert fields["members.0.age"] == "Age must be at least 0."
    assert err.value.by_field("hi")["proof"] == "प्रमाण आवश्यक है।"


def _hidden(text):
    return [(k, v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text) if k != "csrf_token"]


def _form(pairs):
    """Form fields as httpx takes them: repeated names as lists."""
    out = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _ramesh(web):
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def test_a_multi_step_form_with_rows_and_an_upload_through_the_counter(sink_plugin, web):
    web.login("operator1")
    url = f"/counter/citizens/{_ramesh(web)}/services/test.forms.sink"
    first = web.get(url)
    assert "Step 1 / 3" in first.text and 'name="income"' not in first.text
    token = web.csrf(url)
    # step 1 with OBC but no income: stays on step 1, income now shown with its error
    r = web.client.post(url, data={"csrf_token": token, "_step": "0", "name": "Asha", "category": "OBC"})
    assert r.status_code == 400 and 'name="income"' in r.text and "Annual income is required." in r.text
    r = web.client.post(url, data={"csrf_token": token, "_step": "0", "name": "Asha", "category": "OBC", "income": "90000", "languages": ["hi", "raj"]})
    assert "Step 2 / 3" in r.text and ("languages", "raj") in _hidden(r.text)
    carried = _hidden(r.text)
    # "Add a row" keeps the step and adds an empty row
    r = web.client.post(url, data=_form(carried + [("csrf_token", token), ("members.0.member_name", "Ravi"), ("_more", "members")]))
    assert 'name="members.1.member_name"' in r.text and "Step 2 / 3" in r.text
    r = web.client.post(url, data=_form(carried + [("csrf_token", token), ("address.pin", "110001"), ("members.0.member_name", "Ravi")]))
    assert r.status_code == 400 and "PIN is 6 digits starting with 3." in r.text
    r = web.client.post(url, data=_form(carried + [("csrf_token", token), ("address.pin", "302017"), ("members.0.member_name", "Ravi"), ("members.1.member_name", "Mira")]))
    assert "Step 3 / 3" in r.text and 'enctype="multipart/form-data"' in r.text and 'type="file"' in r.text
    assert "File types: PDF. At most 1 KB." in r.text  # what this field takes, not a fixed "PDF, JPEG or PNG"
    carried = _hidden(r.text)
    # a JPEG where a PDF is asked, then a file too large: both refused on the field
    r = web.client.post(url, data=_form(carried + [("csrf_token", token), ("agree", "on")]), files={"proof": ("x.jpg", b"\xff\xd8\xff\xe0jpeg", "application/pdf")})
    assert r.status_code == 400 and "not a PDF file. Upload the scan as a PDF." in r.text
    r = web.client.post(url, data=_form(carried + [("csrf_token", token), ("agree", "on")]), files={"proof": ("big.pdf", b"%PDF-" + b"0" * 2048, "application/pdf")})
    assert r.status_code == 400 and "at most 1 KB" in r.text
    r = web.client.post(url, data=_form(carried + [("csrf_token", token), ("agree", "on")]), files={"proof": ("ok.pdf", b"%PDF-1.4 scan", "application/pdf")})
    assert r.status_code == 200 and "Other Backward Class" in r.text and "Mira" in r.text, r.text
    paid = web.client.post(url + "/pay", data=_form(_hidden(r.text) + [("csrf_token", token)]))
    assert paid.status_code == 303, paid.text
    receipt_no = paid.headers["location"].rsplit("/", 1)[1]

    async def stored():
        req = await ServiceRequest.get(receipt_no=receipt_no)
        doc = await Document.get(request_id=req.id)
        return req.form_data, req.citizen_total_paise, doc.public_id, doc.content_type

    form_data, total, public_id, content_type = web.run(stored)
    assert form_data["income"] == 90000 and form_data["members"] == [{"member_name": "Ravi"}, {"member_name": "Mira"}]
    assert total == 1000 and content_type == "application/pdf" and form_data["proof"] == public_id
    # the document: to the uploading counter and the Society; to no one else
    doc = web.get(f"/documents/{public_id}")
    assert doc.status_code == 200 and doc.content == b"%PDF-1.4 scan" and "attachment" in doc.headers["content-disposition"]
    for username, status in (("operator2", 404), ("officer", 404), ("lsp", 403), ("society", 200)):
        web.logout()
        web.login(username)
        assert web.get(f"/documents/{public_id}").status_code == status, username


def test_a_document_cannot_be_reused_from_another_request_or_counter(sink_plugin, web):
    test_a_multi_step_form_with_rows_and_an_upload_through_the_counter(sink_plugin, web)

    async def used():
        return (await Document.all().first()).public_id

    public_id = web.run(used)
    web.logout()
    web.login("operator1")
    h = web.api_token("operator1")
    body = {"service_code": "test.forms.sink", "form": {"name": "Asha", "category": "GEN", "address": {"pin": "302001"},
                                                         "members": [{"member_name": "R"}], "proof": public_id, "agree": True}}
    r = web.post("/api/v1/quotes", headers=h, json=body)
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "proof"


def test_a_plugin_failing_while_serving_is_isolated_and_shown_unavailable(sink_plugin, web):
    web.login("operator1")
    eid = _ramesh(web)
    sink_plugin.fail_with = ConnectionError("department server timed out")
    h = web.api_token("operator1")
    body = _sink_quote_body(web, sink_plugin)
    r = web.post("/api/v1/quotes", headers=h, json=body)
    assert r.status_code == 503 and "department server timed out" in r.json()["error"]["message"]
    picker = web.get(f"/counter/citizens/{eid}")
    assert "Unavailable" in picker.text and "department server timed out" in picker.text
    assert "Electricity bill" in picker.text  # the rest of the counter keeps working
    sink_plugin.fail_with = None
    r = web.post("/api/v1/quotes", headers=h, json=body)
    assert r.status_code == 200 and r.json()["citizen_total_paise"] == 1000  # answering again
    assert "Unavailable" not in web.get(f"/counter/citizens/{eid}").text


@pytest.mark.parametrize("amount,wrong_en,wrong_hi", [
    (True, "True is a yes/no value (bool), not a number", "True हाँ/नहीं मान (bool) है, संख्या नहीं"),
    (12.5, "12.5 has a fraction of a paisa", "12.5 में पैसे का भिन्न है"),
    (-500, "-500 is negative; an amount is zero or more paise", "-500 ऋणात्मक है"),
    ("250", "'250' is not a number (str)", "'250' संख्या नहीं है"),
    # past the largest amount emitra takes: 10**19 paise overflowed the database (an error page, the
    # service still offered), and Rs 10,00,00,00,00,000 was recorded though the API refuses it
    (10**19, "10000000000000000000 is more than the largest amount, 99999999999 paise (₹99,99,99,999.99)",
     "10000000000000000000 सबसे बड़ी राशि 99999999999 पैसे (₹99,99,99,999.99) से अधिक है"),
    (10**15, "1000000000000000 is more than the largest amount", "1000000000000000 सबसे बड़ी राशि"),
])
def test_a_quote_of_an_impossible_amount_says_what_is_wrong_in_both_languages(sink_plugin, web, amount, wrong_en, wrong_hi):
    web.login("operator1")
    h = web.api_token("operator1")
    body = _sink_quote_body(web, sink_plugin)
    sink_plugin.quoted = amount
    with logged("emitra.core.counter") as records:
        r = web.post("/api/v1/quotes", headers=h, json=body)
    assert r.status_code == 503, r.text
    (field,) = r.json()["error"]["fields"]
    assert f"Plugin sink quoted an invalid amount: {wrong_en}" in field["message_en"]
    assert f"प्लगइन sink ने अमान्य राशि बताई: {wrong_hi}" in field["message_hi"]
    assert any("plugin sink" in rec.getMessage() and wrong_en in rec.getMessage() for rec in records)
    picker = web.get(f"/counter/citizens/{_ramesh(web)}")
    assert "Unavailable" in picker.text and "quoted an invalid amount" in picker.text
    sink_plugin.quoted = 0
    assert web.post("/api/v1/quotes", headers=h, json=body).status_code == 200  # corrected: offered again


@pytest.mark.parametrize("reference,details,wrong_en", [
    # details=None gave the operator an error page at "Get amount due"
    ("KS-1", None, "details is NoneType, not a list of {'label_en', 'label_hi', 'value'}"),
    ("KS-1", [{"label_en": "Weight", "value": "3 kg"}], "details[0] has no text 'label_hi'; each detail is"),
    ("KS-1", ["Weight: 3 kg"], "details[0] has no text 'label_en', 'label_hi', 'value'"),
    (None, [], "reference is NoneType, not text"),
])
def test_a_quote_the_counter_cannot_show_makes_the_service_unavailable_naming_what_is_wrong(sink_plugin, web, reference, details,
                                                                                              wrong_en):
    web.login("operator1")
    eid = _ramesh(web)
    body = _sink_quote_body(web, sink_plugin)
    sink_plugin.reference, sink_plugin.details = reference, details
    r = web.post("/api/v1/quotes", headers=web.api_token("operator1"), json=body)
    assert r.status_code == 503 and wrong_en in r.json()["error"]["fields"][0]["message_en"]
    assert "प्लगइन sink ने अमान्य कोटेशन लौटाया" in r.json()["error"]["fields"][0]["message_hi"]
    picker = web.get(f"/counter/citizens/{eid}")
    assert "Unavailable" in picker.text and "returned an invalid quote" in picker.text
    sink_plugin.reference, sink_plugin.details = "KS-1", [{"label_en": "Years", "label_hi": "वर्ष", "value": 2}]
    assert web.post("/api/v1/quotes", headers=web.api_token("operator1"), json=body).status_code == 200  # a whole number is shown


def test_a_form_that_cannot_be_checked_makes_the_service_unavailable_not_an_error_page(sink_plugin, web):
    """The load check refuses a $ref to nothing; a form its plugin changes afterwards is still never a 500."""
    web.login("operator1")
    h = web.api_token("operator1")
    body = _sink_quote_body(web, sink_plugin)
    sink_plugin.form = {**FORM, "properties": {**FORM["properties"], "name": {"$ref": "#/$defs/name", "title": "Name", "x-title-hi": "नाम"}}}
    with logged("emitra.core.counter") as records:
        r = web.post("/api/v1/quotes", headers=h, json=body)
        assert r.status_code == 503 and "its form cannot be checked" in r.json()["error"]["message"]
        url = f"/counter/citizens/{_ramesh(web)}/services/test.forms.sink"
        page = web.client.post(url, data={"csrf_token": web.csrf(url), "_step": "0", "name": "Asha", "category": "GEN"})
    assert page.status_code == 503 and "plugin sink must correct it" in page.text
    assert any(rec.getMessage() == "plugin sink: the form of test.forms.sink cannot be checked" for rec in records)


def test_an_upload_field_says_what_it_takes_and_shows_its_description(web):
    web.login("operator1")
    page = web.get(f"/counter/citizens/{_ramesh(web)}/services/gov.in.incometax.pan_new")
    assert "File types: JPEG, PNG. At most 200 KB." in page.text  # the photograph: images only
    assert "File types: PDF, JPEG, PNG. At most 1 MB." in page.text  # the proof of identity
    assert "Recent colour photograph, 3.5 cm x 2.5 cm, scanned at 200 dpi" in page.text
    web.get("/lang/hi")
    page = web.get(f"/counter/citizens/{_ramesh(web)}/services/gov.in.incometax.pan_new")
    assert "फ़ाइल के प्रकार: JPEG, PNG। अधिकतम 200 KB।" in page.text and "हाल का रंगीन फ़ोटो" in page.text


def test_described_values_read_as_every_page_writes_them():
    """The counter's confirmation page and the officer's case page show a date as DD-MM-YYYY and a
    ticked box as Yes (हाँ), not 2006-08-15 and "on"; the hidden inputs still carry what coerce reads."""
    schema = {"type": "object", "properties": {
        "born": {"type": "string", "format": "date", "title": "Date of birth", "x-title-hi": "जन्म तिथि"},
        "agree": {"type": "boolean", "title": "I declare", "x-title-hi": "मैं घोषणा करता हूँ"},
        "member": {"type": "boolean", "title": "Member", "x-title-hi": "सदस्य"}}}
    data = {"born": "2006-08-15", "agree": True, "member": False}
    shown = {(d["label_en"], d["value_en"], d["value_hi"]) for d in forms.describe(schema, data)}
    assert shown == {("Date of birth", "15-08-2006", "15-08-2006"), ("I declare", "Yes", "हाँ"), ("Member", "No", "नहीं")}
    assert forms.flatten(data) == [("born", "2006-08-15"), ("agree", "on"), ("member", "")]
    assert forms.describe(schema, {"born": "15 August"})[0]["value_en"] == "15 August"  # not a date: as written


def test_a_required_group_left_empty_names_each_of_its_fields(web):
    """Step 2 of the passport form posted empty: it was refused with no message at all (the group
    was marked, its fields were not), so the operator could not tell what to fill."""
    web.login("operator1")
    url = f"/counter/citizens/{_ramesh(web)}/services/gov.in.rpo_jaipur.passport"
    token = web.csrf(url)
    first = {"csrf_token": token, "_step": "0", "given_name": "ASHA", "date_of_birth": "1990-01-01", "place_of_birth": "Jaipur",
             "application_type": "fresh", "booklet": "36"}
    r = web.client.post(url, data=first)
    assert "Step 2 / 3" in r.text
    carried = _hidden(r.text)
    r = web.client.post(url, data=_form(carried + [("csrf_token", token), ("emergency_contact.name", "Ravi")]))
    assert r.status_code == 400 and "Step 2 / 3" in r.text
    for message in ("Present address is required.", "House number and street is required.", "Village, town or locality is required.",
                    "District is required.", "PIN code is required.", "Mobile number is required."):
        assert message in r.text, message
    assert 'value="Ravi"' in r.text  # what was typed stays
    house = re.search(r'<input id="f-address-house"[^>]*>', r.text).group(0)
    assert 'aria-invalid="true"' in house
    web.get("/lang/hi")
    r = web.client.post(url, data=_form(carried + [("csrf_token", token)]))
    assert r.status_code == 400 and "वर्तमान पता आवश्यक है।" in r.text and "मकान नंबर और गली आवश्यक है।" in r.text


def test_a_number_field_takes_indian_digit_grouping(sink_plugin, web):
    """An <input type=number> sends nothing for "1,20,000" (the browser drops what it cannot read),
    so the operator was told "Annual income is required."; a text box with a numeric keypad sends it."""
    web.login("operator1")
    url = f"/counter/citizens/{_ramesh(web)}/services/test.forms.sink"
    token = web.csrf(url)
    r = web.client.post(url, data={"csrf_token": token, "_step": "0", "name": "Asha", "category": "OBC"})
    income = re.search(r'<input id="f-income"[^>]*>', re.sub(r"\s+", " ", r.text)).group(0)
    assert 'type="text"' in income and 'inputmode="numeric"' in income
    r = web.client.post(url, data={"csrf_token": token, "_step": "0", "name": "Asha", "category": "OBC", "income": "1,20,000"})
    assert "Step 2 / 3" in r.text and ("income", "120000") in _hidden(r.text)


def test_change_the_form_opens_it_filled_as_it_was(sink_plugin, web):
    """"Change the form" on the confirmation page was a link to the empty form: every step and the
    scan had to be given again to correct one field."""
    web.login("operator1")
    url = f"/counter/citizens/{_ramesh(web)}/services/test.forms.sink"
    token = web.csrf(url)
    r = web.client.post(url, data={"csrf_token": token, "_step": "0", "name": "Asha", "category": "OBC", "income": "90000"})
    r = web.client.post(url, data=_form(_hidden(r.text) + [("csrf_token", token), ("address.pin", "302017"), ("members.0.member_name", "Ravi")]))
    r = web.client.post(url, data=_form(_hidden(r.text) + [("csrf_token", token), ("agree", "on")]),
                        files={"proof": ("ok.pdf", b"%PDF-1.4 scan", "application/pdf")})
    assert r.status_code == 200 and "/pay" in r.text
    change = re.search(r'<form method="post" action="([^"]+)" class="no-print">(.*?)</form>', r.text, re.S)
    assert change and change.group(1) == url and "Change the form" in change.group(2)
    pairs = [(k, v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', change.group(2))]
    edit = web.client.post(url, data=_form(pairs))
    assert edit.status_code == 200 and "Step 1 / 3" in edit.text
    assert re.search(r'name="name" value="Asha"', edit.text) and re.search(r'name="income" value="90000"', edit.text)
    assert ("address.pin", "302017") in _hidden(edit.text) and ("members.0.member_name", "Ravi") in _hidden(edit.text)
    proof = dict(_hidden(edit.text))["proof"]
    # correct the name, go through the steps again: the scan is still attached, nothing re-uploaded
    r = web.client.post(url, data=_form([(k, v) for k, v in _hidden(edit.text) if k != "_step"]
                                        + [("csrf_token", token), ("_step", "0"), ("name", "Asha Devi"), ("category", "OBC"), ("income", "90000")]))
    r = web.client.post(url, data=_form(_hidden(r.text) + [("csrf_token", token), ("address.pin", "302017"), ("members.0.member_name", "Ravi")]))
    assert "Document uploaded: <strong>ok.pdf (PDF, 1 KB)</strong>" in r.text and ("proof", proof) in _hidden(r.text)
    r = web.client.post(url, data=_form(_hidden(r.text) + [("csrf_token", token), ("agree", "on")]))
    assert r.status_code == 200 and "Asha Devi" in r.text and "/pay" in r.text


def test_add_a_row_is_offered_only_while_another_row_is_allowed(web):
    """At the insurer's four nominees the form showed "Add a row", which then did nothing."""
    web.login("operator1")
    url = f"/counter/citizens/{_ramesh(web)}/services/pvt.marudhar.policy"
    token = web.csrf(url)
    first = web.get(url)
    assert 'name="_more" value="nominees"' in first.text
    rows = [(f"nominees.{i}.name", n) for i, n in enumerate(["Rakesh Meena", "Pooja Meena", "Ravi Meena"])]
    r = web.client.post(url, data=_form([("csrf_token", token), ("_step", "0"), ("_more", "nominees")] + rows))
    assert 'name="nominees.3.name"' in r.text and 'name="nominees.4.name"' not in r.text
    assert 'name="_more" value="nominees"' not in r.text and 'value="Ravi Meena"' in r.text


def test_a_refused_choice_or_tick_box_is_marked_for_screen_readers_and_required_ones_starred(sink_plugin, web):
    web.login("operator1")
    url = f"/counter/citizens/{_ramesh(web)}/services/test.forms.sink"
    token = web.csrf(url)
    r = web.client.post(url, data={"csrf_token": token, "_step": "0", "name": "Asha"})
    select = re.search(r'<select id="f-category"[^>]*>', r.text).group(0)
    assert 'aria-invalid="true"' in select and 'aria-describedby="f-category-error"' in select
    assert 'id="f-category-error"' in r.text
    r = web.client.post(url, data=_form(_hidden(web.client.post(url, data=_form(
        _hidden(web.client.post(url, data={"csrf_token": token, "_step": "0", "name": "Asha", "category": "GEN"}).text)
        + [("csrf_token", token), ("address.pin", "302017"), ("members.0.member_name", "Ravi")])).text) + [("csrf_token", token)]))
    agree = re.search(r'<label for="f-agree">.*?</label>', r.text, re.S).group(0)
    assert 'aria-invalid="true"' in agree and 'class="req"' in agree and "this box must be ticked" in r.text


def _first_button(html):
    form = re.search(r'<form method="post" action="/counter/citizens/[^"]+/services/[^"]+"[^>]*>(.*?)</form>', html, re.S).group(1)
    return re.search(r"<button [^>]*>", form).group(0)


def test_enter_in_a_field_goes_on_not_back_or_adds_a_row(web):
    """Enter in a field presses a form's first button. On step 2 of the passport that was "Back"
    (the operator lost their place), and in a form with rows "Add a row"."""
    web.login("operator1")
    eid = _ramesh(web)
    url = f"/counter/citizens/{eid}/services/gov.in.rpo_jaipur.passport"
    token = web.csrf(url)
    r = web.client.post(url, data={"csrf_token": token, "_step": "0", "given_name": "ASHA", "date_of_birth": "1990-01-01",
                                   "place_of_birth": "Jaipur", "application_type": "fresh", "booklet": "36"})
    assert "Step 2 / 3" in r.text and 'name="_back"' in r.text
    first = _first_button(r.text)
    assert 'type="submit"' in first and "name=" not in first  # the step's own: on to step 3
    policy = web.get(f"/counter/citizens/{eid}/services/pvt.marudhar.policy").text
    assert 'name="_more"' in policy and "name=" not in _first_button(policy)
    bill = web.get(f"/counter/citizens/{eid}/services/gov.rj.jvvnl.bill").text
    assert 'class="sr-only"' not in bill  # one step, no rows: its only button is already the first


def test_a_code_of_the_wrong_shape_is_told_its_shape_and_its_box_has_room_for_spaces():
    """A field with a pattern and its own message (an IFSC) is told that message, not a length it
    may have only for the spaces typed in it; a pattern without a message leaves the length's, which
    says more than "not in the expected format". Its box takes the code typed in groups (decision 191)."""
    from emitra.web.schema_form import fields_for

    schema = {"type": "object", "properties": {
        "ifsc": {"type": "string", "title": "IFSC", "pattern": "^[A-Z]{4}0[A-Z0-9]{6}$", "maxLength": 11,
                 "x-error-en": "IFSC shape", "x-error-hi": "IFSC आकार"},
        "code": {"type": "string", "title": "Code", "pattern": "^[A-Z ]+$", "maxLength": 3},
        "name": {"type": "string", "title": "Name", "maxLength": 5},
        "branch": {"type": "object", "properties": {
            "pin": {"type": "string", "title": "PIN", "pattern": "^[0-9]{6}$", "maxLength": 6, "x-error-en": "PIN shape",
                    "x-error-hi": "पिन आकार"}}}}}
    with pytest.raises(forms.FormErrors) as err:
        forms.validate(schema, forms.coerce(schema, {"ifsc": "SBIN 00012345", "code": "abcd", "branch.pin": "3020 015"}))
    assert err.value.by_field() == {"ifsc": "IFSC shape", "code": "Code can have at most 3 characters.", "branch.pin": "PIN shape"}
    assert forms.coerce(schema, {"ifsc": "sbin 0001234", "branch.pin": "302 015"}) == {"ifsc": "SBIN0001234", "branch": {"pin": "302015"}}
    boxes = {f.name: f.maxlength for f in fields_for(schema)}
    assert boxes == {"ifsc": 22, "code": 6, "name": 5, "branch": None}
    assert [c.maxlength for c in fields_for(schema)[-1].children] == [12]

"""What the operator's and the citizen's walks found and left (docs/counter.md, docs/citizens.md): a
plugin's dates printed year first, the operator's login on the citizen's copy of a receipt, an
incomplete certificate number refused as if it had a wrong character, "day(s)" in the escalation
remark, an amount typed after ₹ or Rs and a time typed 7.35 or 7:35 pm refused."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from emitra.core import forms, workflow
from emitra.core.models import CaseEvent, Citizen, DayEnd, ServiceRequest
from emitra.core.money import AmountError, parse_rupees
from emitra.core.plugins import get_host
from emitra.core.text import day_first
from emitra.core.workflow import State
from tests.case_helpers import actor, caste_case, pay

BILL = "gov.rj.jvvnl.bill"
BUS = "pvt.rsrtc.bus_ticket"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
ERRORS = re.compile(r'class="error"[^>]*>([^<]+)')


def ramesh(web) -> str:
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def form_fields(page: str) -> dict[str, str]:
    form = page[page.index('<form method="post" action="/counter/citizens/'):]
    return {k: html.unescape(v) for k, v in HIDDEN.findall(form[:form.index("</form>")])}


def pay_fields(confirm: str, tendered: str = "") -> dict[str, str]:
    form = confirm[confirm.index('id="pay-cash"'):]
    return {**{k: html.unescape(v) for k, v in HIDDEN.findall(form[:form.index("</form>")])}, "tendered": tendered}


def facts(page: str) -> str:
    """The receipt's or the confirmation page's table of facts."""
    return page[page.index('<table class="facts"'):page.index("</table>")]


# --- 1. a plugin's dates, day first ------------------------------------------------------------

def test_a_bills_month_and_due_date_are_shown_day_first_in_both_languages_and_stored_as_given(web):
    """JVVNL's sandbox gives the bill month 2026-10 and the due date 2026-12-05: the confirmation
    page, the receipt and the citizen's copy printed them so, where every other date is day first."""
    web.login("operator1")
    form_url = f"/counter/citizens/{ramesh(web)}/services/{BILL}"
    confirm = web.client.post(form_url, data={**form_fields(web.get(form_url).text), "k_number": "210412345678"})
    assert confirm.status_code == 200
    for page in (confirm.text,):
        shown = facts(page)
        assert "<td>Oct 2026</td>" in shown and "<td>05-12-2026</td>" in shown
        assert "2026-10" not in shown and "2026-12-05" not in shown
    done = web.client.post(form_url + "/pay", data=pay_fields(confirm.text))
    receipt_url = done.headers["location"]
    receipt = web.get(receipt_url).text
    assert "<td>Oct 2026</td>" in facts(receipt) and "<td>05-12-2026</td>" in facts(receipt)
    web.get("/lang/hi?next=/counter")
    hindi = facts(web.get(receipt_url).text)
    assert "<td>अक्टूबर 2026</td>" in hindi and "<td>05-12-2026</td>" in hindi and "2026-1" not in hindi
    web.logout()
    web.login("citizen")  # Ramesh's own copy
    web.get("/lang/en?next=/my")
    mine = facts(web.get(receipt_url).text)
    assert "<td>Oct 2026</td>" in mine and "<td>05-12-2026</td>" in mine

    # stored and answered by the API as the plugin gave them
    receipt_no = receipt_url.rsplit("/", 1)[1]
    stored = web.run(lambda: ServiceRequest.get(receipt_no=receipt_no))
    assert {d["label_en"]: d["value"] for d in stored.quote_details}["Bill month"] == "2026-10"
    api = web.get(f"/api/v1/transactions/{receipt_no}", headers=web.api_token("operator1")).json()
    assert {"label_en": "Due date", "label_hi": "अंतिम तिथि", "value": "2026-12-05"} in api["details"]


@pytest.mark.parametrize("value,en,hi", [
    ("2026-12-05", "05-12-2026", "05-12-2026"),
    ("2026-10", "Oct 2026", "अक्टूबर 2026"),
    ("2026-12-09 09:30", "09-12-2026 09:30", "09-12-2026 09:30"),  # the passport's appointment
    ("2026-12-09 09:30, Jaipur PSK", "09-12-2026 09:30, Jaipur PSK", "09-12-2026 09:30, Jaipur PSK"),  # a date in a longer text
    ("2025-26", "2025-26", "2025-26"),  # a financial year
    ("2011-12", "2011-12", "2011-12"),  # a financial year too, not December 2011
    ("2079-2082", "2079-2082", "2079-2082"),  # samvat years of a jamabandi
    ("0141-2712345", "0141-2712345", "0141-2712345"),  # a landline
    ("ACK-2026-12-05", "ACK-2026-12-05", "ACK-2026-12-05"),  # a reference that holds a date
    ("2026-02-30", "2026-02-30", "2026-02-30"),  # no such day
])
def test_only_what_is_a_date_is_written_day_first(value, en, hi):
    assert day_first(value, within=True) == (en, hi)


def test_a_forms_iso_date_or_month_is_shown_day_first_without_format_date_and_codes_stay():
    """The officer's case page and the confirmation page show a form's values by the field's
    ``format: date``; an ISO date or month in a plain text field (or a case whose plugin is gone)
    stayed year first."""
    from emitra.web.office import _form_rows

    schema = {"type": "object", "properties": {
        "meter_read_on": {"type": "string", "title": "Meter read on", "x-title-hi": "मीटर रीडिंग की तिथि"},
        "bill_month": {"type": "string", "title": "Bill month", "x-title-hi": "बिल माह"},
        "code": {"type": "string", "title": "Code", "pattern": "^[0-9]{4}-[0-9]{2}$"}}}
    rows = forms.describe(schema, {"meter_read_on": "2026-11-02", "bill_month": "2026-10", "code": "2026-10"})
    assert [(r["value_en"], r["value_hi"]) for r in rows] == [("02-11-2026", "02-11-2026"), ("Oct 2026", "अक्टूबर 2026"),
                                                             ("2026-10", "2026-10")]
    rows, _docs = _form_rows(None, {"date_of_birth": "1985-04-23", "name": "Ramesh"})
    assert [r["value"] for r in rows] == ["23-04-1985", "Ramesh"]


# --- 2. the citizen's copy names the operator, not their login ------------------------------------

def test_the_citizens_pages_name_the_operator_and_never_a_login(web):
    """The citizen's copy of a receipt said "Anil Verma (operator1)", and who changed the language
    of its messages by login; no citizen-facing page names anyone by their login."""
    async def setup():
        bill = await pay(BILL, {"k_number": "210412345678"}, "bill-1")
        case = await caste_case()
        await workflow.act(await actor("tehsildar"), case, "approve", "Caste verified")
        return bill.receipt_no, case.number, (await ServiceRequest.get(id=case.request_id)).receipt_no

    bill, number, caste_receipt = web.run(setup)
    web.login("operator1")
    changed = web.post_form(f"/receipts/{bill}/message-lang", {"message_lang": "en"}, token_from=f"/receipts/{bill}")
    assert changed.status_code == 303
    counter_copy = web.get(f"/receipts/{bill}").text
    assert "Anil Verma (operator1)" in counter_copy and "by operator1" in counter_copy  # the counter's view keeps it
    web.logout()

    web.login("citizen")
    receipt = web.get(f"/receipts/{bill}").text
    assert re.search(r'id="receipt-operator">Anil Verma</td>', receipt)
    assert 'id="message-lang-changes"' in receipt  # the change is shown, without who made it
    logins = ("operator1", "tehsildar", "society")
    for path in ("/my", f"/my/{bill}", f"/my/{number}", f"/receipts/{bill}", f"/receipts/{caste_receipt}"):
        page = web.get(path)
        assert page.status_code == 200, path
        for login in logins:
            assert not re.search(rf"\b{login}\b", page.text), (path, login)
    web.get("/lang/hi?next=/my")
    assert "operator1" not in web.get(f"/receipts/{bill}").text


# --- 3. an incomplete certificate number --------------------------------------------------------

def test_an_incomplete_certificate_number_is_said_to_be_too_short_in_both_languages(web):
    """``JP C 2026 1`` was refused as "letters, digits and dashes only", though a whole number typed
    with spaces is found: what is wrong is that the serial is short."""
    for typed in ("JP C 2026 1", "jp-c-2026-1", "JPC2026"):
        page = web.get("/verify", params={"number": typed})
        assert page.status_code == 400, typed
        assert "is too short for a certificate number" in page.text and "JP-C-2026-000001" in page.text, typed
        assert "letters, digits and dashes only" not in page.text
    other = web.get("/verify", params={"number": "AB 12 CD 34"})
    assert other.status_code == 400 and "is not the shape of a certificate number" in other.text
    assert "letters, digits and dashes only" in web.get("/verify", params={"number": "JP/C/2026"}).text  # as it is: a slash
    hindi = web.get("/verify", params={"number": "JP C 2026 1", "lang": "hi"})
    assert hindi.status_code == 400 and "बहुत छोटा" in hindi.text and "JP-C-2026-000001" in hindi.text


# --- 4. the escalation remark -------------------------------------------------------------------

def test_the_escalation_remark_counts_days_in_words():
    one = State("with_department", "With the department", "विभाग के पास", sla_days=1)
    three = State("with_department", "With the department", "विभाग के पास", sla_days=3)
    assert workflow.escalated_remark(one, 2) == ("'With the department' for more than 1 day: escalated to level 2",
                                                 "1 दिन से अधिक समय से 'विभाग के पास' स्थिति में: स्तर 2 पर अग्रेषित")
    assert workflow.escalated_remark(three, 2)[0] == "'With the department' for more than 3 days: escalated to level 2"


def test_an_escalation_written_before_shows_its_days_in_words(web):
    """A remark the sweep stored as "3 day(s)" is shown "3 days"; Hindi as before."""
    async def setup():
        case = await caste_case()
        await CaseEvent.create(case_id=case.id, action="escalate", from_state=case.state, to_state=case.state,
                               actor_role=workflow.SYSTEM, actor_name="(sla)", public=True, created_at=workflow.now(),
                               remark="'With the department' for more than 3 day(s): escalated to level 2")
        return case

    case = web.run(setup)
    steps = web.run(lambda: workflow.timeline(case))
    assert steps[-1]["remark"] == "'With the department' for more than 3 days: escalated to level 2"
    assert steps[-1]["remark_hi"].startswith("3 दिन से अधिक समय से")


# --- 5. amounts and times as people type them ----------------------------------------------------

@pytest.mark.parametrize("typed,paise", [
    ("Rs 1,500", 150000), ("rs. 1500", 150000), ("RS.1,00,000", 10000000), ("INR 1500", 150000), ("₹ 1,500/-", 150000),
    ("1500 rupees", 150000), ("रु. १,५००", 150000), ("₹१,४८३.५०", 148350), ("Rs. 40/-", 4000),
])
def test_an_amount_is_read_after_its_rupee_sign_and_in_hindi_digits(typed, paise):
    assert parse_rupees(typed) == paise


@pytest.mark.parametrize("typed,fragment", [
    ("1.483,50", "comma after the decimal point"),  # the European way: ₹1,483.50 or ₹1.48?
    ("1483,50", "a comma where no thousands end"),
    ("Rs 15 00", "not an amount in rupees"),
    ("Rs", "not an amount in rupees"),
])
def test_an_ambiguous_amount_is_still_refused_saying_what_to_type(typed, fragment):
    with pytest.raises(AmountError) as refused:
        parse_rupees(typed)
    assert fragment in str(refused.value) and refused.value.message_hi


def test_cash_received_counted_and_deposited_are_taken_after_rs(web):
    web.login("operator1")
    form_url = f"/counter/citizens/{ramesh(web)}/services/{BILL}"
    confirm = web.client.post(form_url, data={**form_fields(web.get(form_url).text), "k_number": "210412345678"})
    refused = web.client.post(form_url + "/pay", data=pay_fields(confirm.text, "1.500,00"))
    assert refused.status_code == 400 and "Cash received: &#39;1.500,00&#39; has a comma after the decimal point" in refused.text
    done = web.client.post(form_url + "/pay", data=pay_fields(confirm.text, "Rs 1,500/-"))
    assert done.status_code == 303, ERRORS.findall(done.text)
    receipt = web.get(done.headers["location"]).text
    assert "received ₹1,500.00 · change ₹16.50" in receipt

    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=5, minutes=30))).date().isoformat()
    closed = web.post_form("/counter/dayend", {"counted": "Rs. 1,483.50", "date": today})
    assert closed.status_code == 303, ERRORS.findall(closed.text)
    web.logout()
    web.login("society")
    day_end = web.run(lambda: DayEnd.get(counter__code="JP-LM-001"))
    confirmed = web.post_form(f"/society/dayends/{day_end.id}/confirm", {"bank_reference": "UTR1", "amount": "₹ 1,483.50"},
                              token_from="/society/dayends")
    assert confirmed.status_code == 303, ERRORS.findall(confirmed.text)
    assert web.run(lambda: DayEnd.get(id=day_end.id)).status == "confirmed"


@pytest.mark.parametrize("typed,taken", [
    ("7.35", "07:35"), ("7:35", "07:35"), ("7:35 pm", "19:35"), ("9.40 P.M.", "21:40"), ("12:10 am", "00:10"), ("1 pm", "13:00"),
    ("१३:२०", "13:20"), ("21:40", "21:40"),
])
def test_a_time_is_read_as_people_write_it(typed, taken):
    service = get_host().registry.get(BUS)
    assert forms.coerce(service.form, {"departure": typed})["departure"] == taken


@pytest.mark.parametrize("typed", ["7.5", "7", "19:35 pm", "25:00", "0735"])
def test_a_time_that_is_not_one_for_certain_is_refused_naming_the_field(typed):
    service = get_host().registry.get(BUS)
    data = forms.coerce(service.form, {"departure": typed})
    assert data["departure"] == typed
    message = next(e for e in forms.field_errors(service.form, data) if e.field == "departure")
    assert message.en.startswith("Departure time must be HH:MM") and "9:40 pm" in message.en
    plain = {"type": "object", "properties": {"at": {"type": "string", "title": "Time of the hearing", "x-title-hi": "सुनवाई का समय",
                                                     "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}}}
    refused = forms.field_errors(plain, forms.coerce(plain, {"at": typed}))[0]
    assert refused.en.startswith("Time of the hearing: write the time as HH:MM") and refused.hi.startswith("सुनवाई का समय:")


def test_a_bus_departure_typed_1_20_pm_books_the_13_20_bus(web):
    bus = get_host().registry.get(BUS).booking
    saved = bus.today, bus.time_of_day
    bus.today, bus.time_of_day = dt.date(2026, 11, 20), dt.time(10, 0)
    bus.reset()
    try:
        web.login("operator1")
        form_url = f"/counter/citizens/{ramesh(web)}/services/{BUS}"
        posted = {**form_fields(web.get(form_url).text), "from": "jaipur", "to": "ajmer", "journey_date": "23-11-2026",
                  "service_class": "ordinary", "departure": "1:20 pm", "seats": "1",
                  "passengers.0.name": "Ramesh Kumar Sharma", "passengers.0.age": "48", "passengers.0.gender": "M"}
        confirm = web.client.post(form_url, data=posted)
        assert confirm.status_code == 200, ERRORS.findall(confirm.text)
        assert "<td>13:20</td>" in facts(confirm.text)
    finally:
        bus.reset()
        bus.today, bus.time_of_day = saved

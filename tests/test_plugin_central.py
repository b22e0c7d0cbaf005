"""Government of India services: passport (RPO Jaipur), new PAN (Protean), voter registration (ECI)."""

import datetime as dt
import re

import pytest

from emitra.core import counter as counter_core
from emitra.core import documents, forms, ledger
from emitra.core.audit import Actor
from emitra.core.forms import FormErrors
from emitra.core.models import Citizen, Counter, Document, RequestStatus, ServiceRequest, User
from emitra.core.plugins import get_host
from emitra.plugins.central.passport_sandbox import PassportSandbox

pytestmark = pytest.mark.anyio

PASSPORT = "gov.in.rpo_jaipur.passport"
PAN = "gov.in.incometax.pan_new"
VOTER = "gov.in.eci.voter_registration"

JPEG = b"\xff\xd8\xff\xe0 fake jpeg"
PNG = b"\x89PNG\r\n\x1a\n fake png"
PDF = b"%PDF-1.4 fake scan"


async def _ctx(username="operator1"):
    user = await User.get(username=username)
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    return Actor(user), counter, citizen


@pytest.fixture
def fresh_passport_office(monkeypatch):
    """A passport office with no bookings made through e-Mitra yet (the sandbox keeps them in memory)."""
    service = get_host().registry.get(PASSPORT)
    sandbox = PassportSandbox()
    monkeypatch.setattr(service, "sandbox", sandbox)
    return sandbox


def passport_form(**changes):
    data = {
        "given_name": "Ramesh Kumar", "surname": "Sharma", "date_of_birth": "1978-03-14", "place_of_birth": "Jaipur, Rajasthan",
        "application_type": "fresh", "booklet": "36",
        "address": {"house": "12, Shanti Path", "locality": "Malviya Nagar", "district": "Jaipur", "pin": "302017"},
        "emergency_contact": {"name": "Sushila Sharma", "mobile": "9829012346"},
        "psk": "JAIPUR_PSK", "preferred_date": "2026-12-09",
    }
    data.update(changes)
    return data


def voter_form(**changes):
    data = {"name": "Anjali Sharma", "gender": "F", "relative_name": "Ramesh Kumar Sharma", "relation": "father",
            "date_of_birth": "2008-06-15", "constituency": "054",
            "family_members_on_roll": [{"name": "Ramesh Kumar Sharma", "epic_number": "RJA1234567"},
                                       {"name": "Sushila Sharma", "epic_number": "RJA1234568"}]}
    data.update(changes)
    return data


async def _pan_documents(actor, counter, photo=JPEG):
    service = get_host().registry.get(PAN)
    photo_doc = await documents.store(actor, counter, service, "photo", "p.jpg", photo)
    sign_doc = await documents.store(actor, counter, service, "signature", "s.png", PNG)
    proof_doc = await documents.store(actor, counter, service, "proof_of_identity", "aadhaar.pdf", PDF)
    return {"photo": photo_doc.public_id, "signature": sign_doc.public_id, "proof_of_identity": proof_doc.public_id}


def pan_form(docs, **changes):
    data = {"name": "Anjali Sharma", "father_name": "Ramesh Kumar Sharma", "date_of_birth": "2008-06-15", "mobile": "9829012345", **docs}
    data.update(changes)
    return data


async def _field_error(actor, counter, citizen, code, data, key):
    with pytest.raises(FormErrors) as err:
        await counter_core.record_cash(actor, counter, citizen, code, data, key)
    return err.value.by_field()


def test_the_central_services_are_declared_and_loaded():
    host = get_host()
    for code in (PASSPORT, PAN, VOTER):
        service = host.registry.get(code)
        assert service is not None, code
        assert service.domain.value == "central" and service.category.value == "application"
        assert service.fee.payer.value == "citizen" and service.fee.fee_paise is None  # Table 2: Rs 10
        assert re.search(r"[\u0900-\u097F]", service.title_hi)
    assert not [r for r in host.registry.refusals if r.plugin in ("passport", "pan", "voter_id")]


# --- passport ------------------------------------------------------------------------------------

async def test_a_fresh_passport_application_collects_the_fee_and_books_the_slot(demo_db, fresh_passport_office):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, PASSPORT, passport_form(), "pp-1", expected_total_paise=151000)
    assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (150000, 1000, "citizen", 151000)
    assert re.fullmatch(r"26-\d{10}", req.reference) and req.department_ref == req.reference
    assert req.status == RequestStatus.SUBMITTED
    details = {d["label_en"]: d["value"] for d in req.quote_details}
    assert (details["Appointment"], details["Passport Seva Kendra"]) == ("2026-12-09 09:30", "Jaipur PSK")
    assert details["ARN"] == req.reference
    assert await ledger.trial_balance() == 0
    assert await ledger.balance(f"lsp_fee_payable:{counter.lsp_id}") == -1000
    # the slot is now taken: the next applicant for that day gets the next one
    assert fresh_passport_office.first_free_slot("JAIPUR_PSK", dt.date(2026, 12, 9)).time == "10:00"


async def test_a_reissue_needs_the_old_passport_number_and_60_pages_cost_more(demo_db, fresh_passport_office):
    actor, counter, citizen = await _ctx()
    fields = await _field_error(actor, counter, citizen, PASSPORT, passport_form(application_type="reissue"), "pp-2")
    assert fields == {"old_passport_number": "Old passport number is required."}
    fields = await _field_error(actor, counter, citizen, PASSPORT,
                                passport_form(application_type="reissue", old_passport_number="k123"), "pp-3")
    assert fields["old_passport_number"].startswith("Passport number is one capital letter")
    req = await counter_core.record_cash(actor, counter, citizen, PASSPORT,
                                         passport_form(application_type="reissue", old_passport_number="K1234567", booklet="60"), "pp-4")
    assert (req.principal_paise, req.citizen_total_paise) == (200000, 201000)
    assert {"label_en": "Old passport", "label_hi": "पुराना पासपोर्ट", "value": "K1234567"} in req.quote_details
    # a fresh application has no such field
    fields = await _field_error(actor, counter, citizen, PASSPORT, passport_form(old_passport_number="K1234567"), "pp-5")
    assert list(fields) == ["old_passport_number"]
    assert await ledger.trial_balance() == 0


def test_the_form_shows_the_old_passport_number_only_for_a_reissue_and_checks_one_step_at_a_time():
    schema = get_host().registry.get(PASSPORT).form
    assert "old_passport_number" not in forms.effective(schema, {"application_type": "fresh"})["properties"]
    assert "old_passport_number" in forms.effective(schema, {"application_type": "reissue"})["required"]
    step1 = {k: v for k, v in passport_form().items() if k in forms.steps(schema)[0]["fields"]}
    assert "address" not in step1 and "psk" not in step1
    forms.validate_step(schema, step1, 0)  # later steps are not filled yet
    with pytest.raises(FormErrors) as err:
        forms.validate_step(schema, {**step1, "application_type": "reissue"}, 0)
    assert list(err.value.by_field()) == ["old_passport_number"]
    with pytest.raises(FormErrors) as err:
        forms.validate_step(schema, {**step1, "address": {"pin": "012345"}}, 1)
    fields = err.value.by_field()
    assert fields["address.pin"] == "PIN code is 6 digits and does not start with 0." and "emergency_contact" in fields


def test_the_sandbox_gives_the_first_free_slot_on_or_after_the_preferred_date():
    office = PassportSandbox()
    sunday = office.first_free_slot("JAIPUR_PSK", dt.date(2026, 12, 6))
    assert (sunday.day, sunday.time) == (dt.date(2026, 12, 7), "09:30")  # a Sunday gets the Monday
    assert office.first_free_slot("AJMER_PSK", dt.date(2026, 12, 25)).day == dt.date(2026, 12, 26)  # Christmas is closed
    assert office.first_free_slot("JAIPUR_PSK", dt.date(2026, 12, 28)) == office.first_free_slot("JAIPUR_PSK", dt.date(2026, 12, 29))
    assert office.first_free_slot("JAIPUR_PSK", dt.date(2026, 12, 29)).time == "10:30"  # fully booked the day before, 2 taken
    assert office.first_free_slot("SIKAR_POPSK", dt.date(2026, 12, 7)).day == dt.date(2026, 12, 8)
    first = office.book("26-1000000001", "SIKAR_POPSK", dt.date(2026, 12, 8))
    again = office.book("26-1000000001", "SIKAR_POPSK", dt.date(2026, 12, 8))
    second = office.book("26-1000000002", "SIKAR_POPSK", dt.date(2026, 12, 8))
    assert first == again and (first.time, second.time) == ("10:00", "10:30")
    assert PassportSandbox.arn("x", dt.date(2026, 12, 8)) == PassportSandbox.arn("x", dt.date(2026, 12, 8))


async def test_wrong_passport_fields_are_named(demo_db, fresh_passport_office):
    actor, counter, citizen = await _ctx()
    cases = [
        (passport_form(preferred_date="09-12-2026"), "preferred_date", "is not a date"),
        (passport_form(psk="DELHI_PSK"), "psk", "choose one of the listed options"),
        (passport_form(booklet="48"), "booklet", "choose one of the listed options"),
        (passport_form(given_name="Ramesh 2"), "given_name", "English letters"),
        (passport_form(address={"house": "1", "locality": "Karol Bagh", "district": "Delhi", "pin": "11000"}), "address.pin", "6 digits"),
        (passport_form(address={"house": "12", "locality": "Karol Bagh", "district": "Delhi", "pin": "110005"}), "address.pin", "outside Rajasthan"),
        (passport_form(emergency_contact={"name": "Sushila"}), "emergency_contact.mobile", "required"),
        (passport_form(preferred_date="2028-01-10"), "preferred_date", "No appointments are open"),
        (passport_form(date_of_birth="2026-12-10"), "date_of_birth", "before the appointment"),
        ({k: v for k, v in passport_form().items() if k != "place_of_birth"}, "place_of_birth", "required"),
    ]
    for i, (data, field, fragment) in enumerate(cases):
        fields = await _field_error(actor, counter, citizen, PASSPORT, data, f"pp-bad-{i}")
        assert fragment in fields.get(field, ""), (field, fields)
    assert await ServiceRequest.all().count() == 0


# --- PAN -----------------------------------------------------------------------------------------

async def test_a_new_pan_application_with_its_scans(demo_db):
    actor, counter, citizen = await _ctx()
    docs = await _pan_documents(actor, counter)
    req = await counter_core.record_cash(actor, counter, citizen, PAN, pan_form(docs), "pan-1", expected_total_paise=11700)
    assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (10700, 1000, "citizen", 11700)
    assert re.fullmatch(r"8810\d{11}", req.reference) and req.department_ref == req.reference
    assert await Document.filter(request_id=req.id).count() == 3
    assert await ledger.trial_balance() == 0
    assert await ledger.balance("dept_payable:income-tax-department-pan-protean-nsdl") == -10700


async def test_pan_uploads_and_fields_are_checked(demo_db):
    actor, counter, citizen = await _ctx()
    service = get_host().registry.get(PAN)
    with pytest.raises(FormErrors) as err:
        await documents.store(actor, counter, service, "photo", "scan.pdf", PDF)
    assert "not a JPEG or PNG file" in err.value.by_field()["photo"]
    with pytest.raises(FormErrors) as err:
        await documents.store(actor, counter, service, "signature", "big.jpg", b"\xff\xd8\xff" + b"0" * (201 * 1024))
    assert "at most 200 KB" in err.value.by_field()["signature"]
    docs = await _pan_documents(actor, counter)
    without_photo = {k: v for k, v in pan_form(docs).items() if k != "photo"}
    assert "required" in (await _field_error(actor, counter, citizen, PAN, without_photo, "pan-2"))["photo"]
    fields = await _field_error(actor, counter, citizen, PAN, pan_form(docs, photo="0" * 32), "pan-3")
    assert "upload it again" in fields["photo"]
    fields = await _field_error(actor, counter, citizen, PAN, pan_form(docs, mobile="12345"), "pan-4")
    assert fields["mobile"].startswith("Mobile number must be 10 digits")
    fields = await _field_error(actor, counter, citizen, PAN, pan_form(docs, name="Ramesh Kumar Sharma", date_of_birth="1978-03-14"), "pan-5")
    assert "already holds PAN ABXXX1234X" in fields["name"]
    assert await ServiceRequest.all().count() == 0


# --- voter registration ----------------------------------------------------------------------------

async def test_a_form_6_registration_costs_only_the_service_charge(demo_db):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, VOTER, voter_form(), "v-1", expected_total_paise=1000)
    assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (0, 1000, "citizen", 1000)
    assert req.reference.startswith("F6-S20054-") and req.department_ref == req.reference
    assert req.status == RequestStatus.SUBMITTED
    assert await ledger.trial_balance() == 0
    # the family rows are optional; 18 exactly on the qualifying date is enough
    req = await counter_core.record_cash(actor, counter, citizen, VOTER,
                                         {k: v for k, v in voter_form(date_of_birth="2009-01-01").items() if k != "family_members_on_roll"}, "v-2")
    assert req.citizen_total_paise == 1000


async def test_wrong_voter_fields_are_named(demo_db):
    actor, counter, citizen = await _ctx()
    cases = [
        (voter_form(date_of_birth="2009-01-02"), "date_of_birth", "must be 18 on the qualifying date 2027-01-01"),
        (voter_form(family_members_on_roll=[{"name": "Ramesh", "epic_number": "RJ1234567"}]),
         "family_members_on_roll.0.epic_number", "3 capital letters and 7 digits"),
        (voter_form(family_members_on_roll=[{"name": "Ramesh", "epic_number": "RJA1234567"}, {"name": "Somebody", "epic_number": "RJZ9999999"}]),
         "family_members_on_roll.1.epic_number", "not on the electoral roll"),
        (voter_form(family_members_on_roll=[{"epic_number": "RJA1234567"}]), "family_members_on_roll.0.name", "required"),
        (voter_form(constituency="999"), "constituency", "choose one of the listed options"),
        (voter_form(relation="uncle"), "relation", "choose one of the listed options"),
        (voter_form(name="R2D2"), "name", "no digits"),
    ]
    for i, (data, field, fragment) in enumerate(cases):
        fields = await _field_error(actor, counter, citizen, VOTER, data, f"v-bad-{i}")
        assert fragment in fields.get(field, ""), (field, fields)
    assert await ServiceRequest.all().count() == 0


# --- through the JSON API --------------------------------------------------------------------------

def test_central_services_through_the_api(web, fresh_passport_office):
    h = web.api_token("operator1")

    async def setup():
        actor, counter, citizen = await _ctx()
        return citizen.emitra_id, await _pan_documents(actor, counter)

    eid, docs = web.run(setup)
    listed = {s["code"]: s for s in web.get("/api/v1/services", headers=h).json()}
    for code in (PASSPORT, PAN, VOTER):
        assert (listed[code]["fee_paise"], listed[code]["payer"], listed[code]["domain"]) == (1000, "citizen", "central")
    for i, (code, form, principal) in enumerate([(PASSPORT, passport_form(preferred_date="2026-12-06"), 150000),
                                                 (PAN, pan_form(docs), 10700), (VOTER, voter_form(), 0)]):
        q = web.post("/api/v1/quotes", headers=h, json={"service_code": code, "form": form})
        assert q.status_code == 200, q.text
        quote = q.json()
        assert (quote["principal_paise"], quote["service_charge_paise"], quote["charge_payer"], quote["citizen_total_paise"]) == (
            principal, 1000, "citizen", principal + 1000)
        body = {"citizen": eid, "service_code": code, "form": form, "idempotency_key": f"api-central-{i}",
                "payment": {"method": "cash", "amount_paise": principal + 1000}}
        created = web.post("/api/v1/transactions", headers=h, json=body)
        assert created.status_code == 201, created.text
        receipt = created.json()
        assert receipt["reference"] == quote["reference"] and receipt["status"] == "submitted"
        if code == PASSPORT:
            slot = {d["label_en"]: d["value"] for d in receipt["details"]}["Appointment"]
            assert slot.startswith("2026-12-07 09:30")  # asked for a Sunday, got the Monday
    bad = web.post("/api/v1/quotes", headers=h, json={"service_code": VOTER, "form": voter_form(date_of_birth="2010-05-05")})
    assert bad.status_code == 422
    err = bad.json()["error"]["fields"][0]
    assert err["field"] == "date_of_birth" and err["message_hi"]
    bad = web.post("/api/v1/quotes", headers=h, json={"service_code": PASSPORT, "form": passport_form(application_type="reissue")})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "old_passport_number"

    async def totals():
        return await ledger.trial_balance(), await ServiceRequest.all().count()

    assert web.run(totals) == (0, 3)

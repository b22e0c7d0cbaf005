"""The government plugins: discom bills (JVVNL, AVVNL, JdVVNL), the PHED water bill, the UD tax and
land revenue levies, the Revenue Department's applications, birth and death certificates and the
Rajasthan Sampark grievance: each declared, paid at a counter on the demo database, its bad inputs
named by field, and one flow per module through the JSON API.
"""

from __future__ import annotations

import pytest

from emitra.core import counter as counter_core
from emitra.core import documents, forms, ledger
from emitra.core.audit import Actor
from emitra.core.forms import FormErrors
from emitra.core.models import Citizen, Counter, Document, RequestStatus, ServiceRequest, User
from emitra.core.plugins import get_host

PLUGINS = {"electricity", "phed_water", "levies", "revenue", "births_deaths", "grievance"}
CODES = {
    "gov.rj.jvvnl.bill": ("electricity", 395, "department"),
    "gov.rj.avvnl.bill": ("electricity", 395, "department"),
    "gov.rj.jdvvnl.bill": ("electricity", 395, "department"),
    "gov.rj.phed.water_bill": ("phed_water", 395, "department"),
    "gov.rj.jmc.ud_tax": ("levies", 395, "department"),
    "gov.rj.revenue.land_revenue": ("levies", 395, "department"),
    "gov.rj.revenue.caste_certificate": ("revenue", 1000, "citizen"),
    "gov.rj.revenue.domicile_certificate": ("revenue", 1000, "citizen"),
    "gov.rj.revenue.jamabandi_copy": ("revenue", 1000, "citizen"),
    "gov.rj.pehchan.birth_certificate": ("births_deaths", 1000, "citizen"),
    "gov.rj.pehchan.death_certificate": ("births_deaths", 1000, "citizen"),
    "gov.rj.sampark.grievance": ("grievance", 500, "citizen"),
}

ADDRESS = {"house": "14, Bairwa Mohalla", "village_ward": "Phagi", "tehsil": "phagi", "district": "Jaipur", "pin": "303005"}


# --- declarations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", sorted(CODES))
def test_the_service_is_declared_with_its_fee_rule(code):
    from emitra.core import fees

    service = get_host().registry.get(code)
    assert service is not None, f"{code} did not load"
    plugin, fee, payer = CODES[code]
    assert service.plugin == plugin
    rate = fees.default_rate(service)
    assert (rate.fee_paise, rate.payer.value, rate.source) == (fee, payer, "table2")
    props = forms.all_properties(service.form)
    assert all(p.get("title") and p.get("x-title-hi") for p in props.values())
    assert service.form.get("additionalProperties") is False or service.form.get("unevaluatedProperties") is False


def test_no_government_plugin_is_refused():
    refused = [str(r) for r in get_host().registry.refusals if r.plugin in PLUGINS]
    assert refused == []


def test_each_discom_has_its_own_accounts_and_jvvnl_is_unchanged():
    from emitra.plugins.government.discom_sandbox import _ACCOUNTS

    jv, av, jd = (set(_ACCOUNTS[d]) for d in ("JVVNL", "AVVNL", "JDVVNL"))
    assert not (jv & av) and not (jv & jd) and not (av & jd)
    assert _ACCOUNTS["JVVNL"]["210412345678"] == ("Ramesh Kumar Sharma", "2026-10", "2026-12-05", 148_350)
    assert len(jv) == 6


@pytest.mark.anyio
async def test_sandbox_acknowledgements_are_deterministic():
    from emitra.plugins.government.land_records_sandbox import LandRecordsSandbox
    from emitra.plugins.government.sampark_sandbox import SamparkSandbox

    land, sampark = LandRecordsSandbox(), SamparkSandbox()
    assert await land.request_copy("bassi", "78/2", "emitra-7") == await land.request_copy("bassi", "78/2", "emitra-7")
    assert await land.request_copy("bassi", "78/2", "emitra-7") != await land.request_copy("bassi", "78/2", "emitra-8")
    assert await sampark.register_grievance("phed", "No water", "emitra-1") == await sampark.register_grievance("phed", "No water", "emitra-1")


def test_the_grievance_description_renders_as_a_textarea():
    from emitra.web.schema_form import fields_for

    form = get_host().registry.get("gov.rj.sampark.grievance").form
    widgets = {f.name: f.widget for f in fields_for(form)}
    assert widgets["description"] == "textarea" and widgets["department"] == "select" and widgets["attachment"] == "file"
    assert len(form["properties"]["department"]["enum"]) >= 8


# --- helpers for the counter flows ----------------------------------------------------------------

async def _ctx(username="operator1"):
    user = await User.get(username=username)
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    return Actor(user), counter, citizen


async def _pay(code, form, key, **kw):
    actor, counter, citizen = await _ctx()
    return await counter_core.record_cash(actor, counter, citizen, code, form, key, **kw)


async def _paid(code, form, key, principal, fee, payer):
    req = await _pay(code, form, key)
    citizen_total = principal + (fee if payer == "citizen" else 0)
    assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (principal, fee, payer, citizen_total)
    assert req.status == RequestStatus.SUBMITTED and req.department_ref
    assert await ledger.trial_balance() == 0
    return req


async def _field_error(code, form, key="bad") -> dict[str, str]:
    with pytest.raises(FormErrors) as err:
        await _pay(code, form, key)
    return err.value.by_field()


async def _upload(code, field, name="card.pdf", content=b"%PDF-1.4 test") -> str:
    actor, counter, _ = await _ctx()
    service = get_host().registry.get(code)
    doc = await documents.store(actor, counter, service, field, name, content)
    return doc.public_id


# --- electricity ----------------------------------------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("code,k,amount,prefix", [
    ("gov.rj.avvnl.bill", "110123456780", 96_420, "AVVNL-ACK-"),
    ("gov.rj.jdvvnl.bill", "310234567890", 213_640, "JdVVNL-ACK-"),
])
async def test_ajmer_and_jodhpur_discom_bills_are_paid_like_jaipurs(demo_db, code, k, amount, prefix):
    req = await _paid(code, {"k_number": k}, f"e-{code}", amount, 395, "department")
    assert req.department_ref.startswith(prefix)
    service = get_host().registry.get(code)
    assert await ledger.balance(f"dept_fee_receivable:{counter_core.slug(service.provider)}") == 395
    # each discom knows only its own consumers
    assert "No consumer account" in (await _field_error(code, {"k_number": "210412345678"}))["k_number"]
    assert "Nothing is due" in (await _field_error(code, {"k_number": k[:4] + "00000000"}))["k_number"]
    assert "12 digits" in (await _field_error(code, {"k_number": "1101-2345"}))["k_number"]


# --- PHED water -----------------------------------------------------------------------------------

WATER = "gov.rj.phed.water_bill"


@pytest.mark.anyio
async def test_a_phed_water_bill_is_paid_and_the_department_pays_the_charge(demo_db):
    req = await _paid(WATER, {"consumer_no": "10230045671", "mobile": "9829012345"}, "w-1", 38_640, 395, "department")
    assert req.department_ref.startswith("PHED-ACK-") and req.reference == "10230045671"
    assert {d["label_en"]: d["value"] for d in req.quote_details}["Meter reading (kL)"] == "1824 → 1851 (27 kL)"
    assert await ledger.balance("dept_fee_receivable:public-health-engineering-department-rajasthan-phed") == 395


@pytest.mark.anyio
async def test_bad_phed_consumer_numbers_are_named(demo_db):
    assert "no water connection" in (await _field_error(WATER, {"consumer_no": "99999999999"}))["consumer_no"]
    assert "Nothing is due" in (await _field_error(WATER, {"consumer_no": "10230000000"}))["consumer_no"]
    assert "11 digits" in (await _field_error(WATER, {"consumer_no": "1023004567"}))["consumer_no"]
    assert "required" in (await _field_error(WATER, {}))["consumer_no"]
    assert "6, 7, 8 or 9" in (await _field_error(WATER, {"consumer_no": "10230045671", "mobile": "12345"}))["mobile"]
    assert await ServiceRequest.all().count() == 0


# --- levies ---------------------------------------------------------------------------------------

UD_TAX = "gov.rj.jmc.ud_tax"
LAND_REVENUE = "gov.rj.revenue.land_revenue"


@pytest.mark.anyio
async def test_urban_development_tax_with_arrears_penalty(demo_db):
    req = await _paid(UD_TAX, {"property_id": "MN00004217", "assessment_year": "2025-26"}, "ud-1", 186_000 + 16_740, 395, "department")
    assert req.department_ref.startswith("JMC-UDT-") and req.reference == "MN00004217/2025-26"
    details = {d["label_en"]: d["value"] for d in req.quote_details}
    assert details["Owner"] == "Ramesh Kumar Sharma" and details["Penalty (arrears)"] == "₹167.40"
    await _paid(UD_TAX, {"property_id": "MS00031805", "assessment_year": "2026-27"}, "ud-2", 232_500, 395, "department")
    assert await ledger.balance("dept_fee_receivable:jaipur-municipal-corporation-nagar-nigam-jaipur") == 790


@pytest.mark.anyio
async def test_bad_ud_tax_inputs_are_named(demo_db):
    assert "no property" in (await _field_error(UD_TAX, {"property_id": "MN99999999", "assessment_year": "2026-27"}))["property_id"]
    assert "2 capital letters" in (await _field_error(UD_TAX, {"property_id": "mn4217", "assessment_year": "2026-27"}))["property_id"]
    assert "already paid" in (await _field_error(UD_TAX, {"property_id": "MN00004217", "assessment_year": "2024-25"}))["assessment_year"]
    assert "not assessed" in (await _field_error(UD_TAX, {"property_id": "HM00000588", "assessment_year": "2023-24"}))["assessment_year"]
    assert "choose one" in (await _field_error(UD_TAX, {"property_id": "MN00004217", "assessment_year": "2030-31"}))["assessment_year"]
    assert "required" in (await _field_error(UD_TAX, {"property_id": "MN00004217"}))["assessment_year"]


@pytest.mark.anyio
async def test_land_revenue_is_looked_up_by_khasra_and_village(demo_db):
    req = await _paid(LAND_REVENUE, {"village": "phagi", "khasra_no": "602"}, "lr-1", 33_700, 395, "department")
    assert req.department_ref.startswith("LR-PHA-")
    assert "Nathu Lal Jat" in {d["label_en"]: d["value"] for d in req.quote_details}["Owners"]
    # the same khasra number is another field in another village
    assert "no khasra 602" in (await _field_error(LAND_REVENUE, {"village": "bassi", "khasra_no": "602"}))["khasra_no"]
    assert "No land revenue is due" in (await _field_error(LAND_REVENUE, {"village": "sanganer", "khasra_no": "530"}))["khasra_no"]
    assert "245/1" in (await _field_error(LAND_REVENUE, {"village": "sanganer", "khasra_no": "245-1"}))["khasra_no"]
    assert "choose one" in (await _field_error(LAND_REVENUE, {"village": "jodhpur", "khasra_no": "112"}))["village"]


# --- revenue: caste certificate -------------------------------------------------------------------

CASTE = "gov.rj.revenue.caste_certificate"


def _caste(category="SC", scan=None, **extra):
    return {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": category,
            "caste": "Bairwa", "address": dict(ADDRESS), "ration_card_scan": scan, **extra}


@pytest.mark.anyio
async def test_an_sc_caste_certificate_needs_no_income_and_carries_its_scan(demo_db):
    scan = await _upload(CASTE, "ration_card_scan")
    req = await _paid(CASTE, _caste("SC", scan), "cc-1", 0, 1000, "citizen")
    assert req.department_ref.startswith("JPC/PHA/")
    assert {d["label_en"]: d["value"] for d in req.quote_details}["Processed by"] == "Tehsildar, Phagi"
    doc = await Document.get(public_id=scan)
    assert doc.request_id == req.id
    counter = await Counter.get(id=req.counter_id)
    assert await ledger.balance(f"lsp_fee_payable:{counter.lsp_id}") == -1000
    assert await ledger.balance("counter_cash:JP-LM-001") == 1000


@pytest.mark.anyio
async def test_obc_and_mbc_need_the_income_and_the_non_creamy_layer_declaration(demo_db):
    scan = await _upload(CASTE, "ration_card_scan")
    errors = await _field_error(CASTE, _caste("OBC", scan))
    assert "Annual family income" in errors["annual_family_income"] and "non_creamy_layer" in errors
    errors = await _field_error(CASTE, _caste("MBC", scan, annual_family_income=240000, non_creamy_layer=False))
    assert list(errors) == ["non_creamy_layer"]
    assert "annual_family_income" in await _field_error(CASTE, _caste("OBC", scan, annual_family_income="two lakh", non_creamy_layer=True))
    req = await _paid(CASTE, _caste("OBC", scan, caste="Jat", annual_family_income=240000, non_creamy_layer=True), "cc-2", 0, 1000, "citizen")
    assert {d["label_en"]: d["value"] for d in req.quote_details}["Annual family income (₹)"] == "2,40,000"  # the receipt and certificate print it in lakhs (decision 140)


def test_the_caste_form_as_posted_from_a_page_passes_for_sc():
    """The declaration checkbox belongs to the OBC/MBC branch: for ST it is neither shown nor posted."""
    raw = {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "ST", "caste": "Meena",
           "ration_card_scan": "x" * 32, **{f"address.{k}": v for k, v in ADDRESS.items()}}
    form = get_host().registry.get(CASTE).form
    data = forms.coerce(form, raw)
    assert "non_creamy_layer" not in data and data["address"]["pin"] == "303005"
    forms.validate(form, data)
    assert "annual_family_income" not in forms.effective(form, data)["properties"]
    assert "annual_family_income" in forms.effective(form, {**data, "caste_category": "MBC"})["required"]


@pytest.mark.anyio
async def test_the_caste_certificate_requires_an_uploaded_ration_card_and_a_valid_address(demo_db):
    assert "required" in (await _field_error(CASTE, {k: v for k, v in _caste("SC").items() if k != "ration_card_scan"}))["ration_card_scan"]
    assert "upload it again" in (await _field_error(CASTE, _caste("SC", "0" * 32)))["ration_card_scan"]
    with pytest.raises(FormErrors) as err:  # a Word file is not a scan
        await _upload(CASTE, "ration_card_scan", "card.docx", b"PK\x03\x04 word")
    assert "PDF, JPEG or PNG" in err.value.by_field()["ration_card_scan"]
    scan = await _upload(CASTE, "ration_card_scan", "card.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    bad = _caste("SC", scan)
    bad["address"] = {**ADDRESS, "pin": "110001", "tehsil": "jodhpur"}
    errors = await _field_error(CASTE, bad)
    assert "starting with 3" in errors["address.pin"] and "choose one" in errors["address.tehsil"]
    assert "required" in (await _field_error(CASTE, {k: v for k, v in _caste("SC", scan).items() if k != "caste_category"}))["caste_category"]
    assert "choose one" in (await _field_error(CASTE, _caste("GEN", scan)))["caste_category"]
    assert await ServiceRequest.all().count() == 0


# --- revenue: domicile ----------------------------------------------------------------------------

DOMICILE = "gov.rj.revenue.domicile_certificate"
STEP0 = {"applicant_name": "Pooja Kumawat", "father_name": "Jagdish Prasad Kumawat", "date_of_birth": "2006-08-15",
         "gender": "F", "purpose": "education"}


def test_the_domicile_form_is_checked_step_by_step():
    form = get_host().registry.get(DOMICILE).form
    assert [len(s["fields"]) > 0 for s in forms.steps(form)] == [True, True, True]
    forms.validate_step(form, STEP0, 0)  # later steps are not filled yet
    with pytest.raises(FormErrors) as err:
        forms.validate_step(form, {**STEP0, "date_of_birth": "15/08/2006"}, 0)
    assert list(err.value.by_field()) == ["date_of_birth"]
    with pytest.raises(FormErrors) as err:
        forms.validate_step(form, {**STEP0, "years_of_residence": 6, "address": {**ADDRESS, "pin": "30300"}}, 1)
    assert "at least 10" in err.value.by_field()["years_of_residence"] and "address.pin" in err.value.by_field()
    forms.validate_step(form, {**STEP0, "years_of_residence": 18, "address": ADDRESS}, 1)


@pytest.mark.anyio
async def test_a_domicile_certificate_is_applied_for(demo_db):
    proof = await _upload(DOMICILE, "residence_proof", "bill.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64)
    data = {**STEP0, "years_of_residence": 18, "address": {**ADDRESS, "tehsil": "chomu", "village_ward": "Ward 12"},
            "residence_proof": proof, "declaration": True}
    req = await _paid(DOMICILE, data, "dm-1", 0, 1000, "citizen")
    assert req.department_ref.startswith("MNC/CHO/")
    errors = await _field_error(DOMICILE, {**data, "declaration": False, "years_of_residence": 9})
    assert set(errors) == {"years_of_residence", "declaration"}


# --- revenue: jamabandi ---------------------------------------------------------------------------

JAMABANDI = "gov.rj.revenue.jamabandi_copy"


@pytest.mark.anyio
async def test_a_jamabandi_copy_shows_the_owners_and_area(demo_db):
    req = await _paid(JAMABANDI, {"village": "sanganer", "khasra_no": "245/1"}, "jb-1", 0, 1000, "citizen")
    details = {d["label_en"]: d["value"] for d in req.quote_details}
    assert details["Owners"] == "Mangi Lal Saini s/o Gopal Saini; Kamla Devi Saini w/o Mangi Lal Saini"
    assert details["Area"] == "1.2650 ha" and details["Village / tehsil"] == "Sanganer / Sanganer"
    assert req.department_ref.startswith("JB-SAN-") and req.reference == "Sanganer / khasra 245/1"
    assert "no khasra 999" in (await _field_error(JAMABANDI, {"village": "amer", "khasra_no": "999"}))["khasra_no"]
    assert "required" in (await _field_error(JAMABANDI, {"khasra_no": "112"}))["village"]


# --- births and deaths ----------------------------------------------------------------------------

BIRTH = "gov.rj.pehchan.birth_certificate"
DEATH = "gov.rj.pehchan.death_certificate"
CHILD = {"child_name": "Aarav Sharma", "sex": "M", "date_of_birth": "2025-09-03", "place_type": "hospital",
         "place_of_birth": "Mahila Chikitsalaya, Sanganeri Gate, Jaipur", "parents": {"father": "Vikas Sharma", "mother": "Neha Sharma"}}


@pytest.mark.anyio
async def test_a_birth_certificate_is_applied_for(demo_db):
    req = await _paid(BIRTH, CHILD, "b-1", 0, 1000, "citizen")
    assert req.department_ref.startswith("PB-2025-")
    assert {d["label_en"]: d["value"] for d in req.quote_details}["Parents"] == "Vikas Sharma / Neha Sharma"
    assert "future" in (await _field_error(BIRTH, {**CHILD, "date_of_birth": "2099-01-01"}))["date_of_birth"]
    assert "YYYY-MM-DD" in (await _field_error(BIRTH, {**CHILD, "date_of_birth": "03-09-2026"}))["date_of_birth"]
    assert "required" in (await _field_error(BIRTH, {**CHILD, "parents": {"father": "Vikas Sharma"}}))["parents.mother"]
    assert "choose one" in (await _field_error(BIRTH, {**CHILD, "sex": "X"}))["sex"]


@pytest.mark.anyio
async def test_a_death_certificate_with_or_without_the_hospital_slip(demo_db):
    death = {"deceased_name": "Prabhu Dayal Sharma", "date_of_death": "2025-10-21", "place_of_death": "SMS Hospital, Jaipur",
             "informant_name": "Ramesh Kumar Sharma", "informant_relation": "son"}
    req = await _paid(DEATH, death, "d-1", 0, 1000, "citizen")
    assert req.department_ref.startswith("PD-2025-")
    slip = await _upload(DEATH, "hospital_slip", "slip.pdf")
    req = await _paid(DEATH, {**death, "hospital_slip": slip}, "d-2", 0, 1000, "citizen")
    assert {d["label_en"]: d["value"] for d in req.quote_details}["Hospital slip"] == "attached"
    assert "choose one" in (await _field_error(DEATH, {**death, "informant_relation": "friend"}))["informant_relation"]
    assert "future" in (await _field_error(DEATH, {**death, "date_of_death": "2099-12-31"}))["date_of_death"]


# --- grievance ------------------------------------------------------------------------------------

GRIEVANCE = "gov.rj.sampark.grievance"
COMPLAINT = {"department": "phed", "subject": "No water supply in ward 12 for a week",
             "description": "The PHED tap supply in ward 12, Chomu has been off since 20 November; the tanker has not come either."}


@pytest.mark.anyio
async def test_a_grievance_is_registered_for_rs_5(demo_db):
    req = await _paid(GRIEVANCE, COMPLAINT, "g-1", 0, 500, "citizen")
    assert req.department_ref.startswith("RSG") and len(req.department_ref) == 13
    assert "choose one" in (await _field_error(GRIEVANCE, {**COMPLAINT, "department": "nasa"}))["department"]
    assert "at most 2000" in (await _field_error(GRIEVANCE, {**COMPLAINT, "description": "x" * 2001}))["description"]
    assert "at least 20" in (await _field_error(GRIEVANCE, {**COMPLAINT, "description": "no water"}))["description"]


# --- the same through the JSON API ----------------------------------------------------------------

API_CASES = [
    ("gov.rj.avvnl.bill", {"k_number": "110187654320"}, 15_530, 395, 15_530),
    ("gov.rj.phed.water_bill", {"consumer_no": "10230077003"}, 7_350, 395, 7_350),
    ("gov.rj.jmc.ud_tax", {"property_id": "VN00012093", "assessment_year": "2023-24"}, 514_350, 395, 514_350),
    ("gov.rj.revenue.jamabandi_copy", {"village": "chomu", "khasra_no": "367/4"}, 0, 1000, 1000),
    ("gov.rj.pehchan.birth_certificate", CHILD, 0, 1000, 1000),
    ("gov.rj.sampark.grievance", COMPLAINT, 0, 500, 500),
]


def test_one_service_per_module_through_the_api(web):
    h = web.api_token("operator1")

    async def ramesh():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    eid = web.run(ramesh)
    for i, (code, form, principal, fee, total) in enumerate(API_CASES):
        q = web.post("/api/v1/quotes", headers=h, json={"service_code": code, "form": form})
        assert q.status_code == 200, q.text
        q = q.json()
        assert (q["principal_paise"], q["service_charge_paise"], q["citizen_total_paise"]) == (principal, fee, total), code
        body = {"citizen": eid, "service_code": code, "form": form, "payment": {"method": "cash", "amount_paise": total},
                "idempotency_key": f"gov-api-{i}"}
        created = web.post("/api/v1/transactions", headers=h, json=body)
        assert created.status_code == 201, created.text
        receipt = created.json()
        assert receipt["citizen_total_paise"] == total and receipt["status"] == "submitted" and receipt["details"], code
    bad = web.post("/api/v1/quotes", headers=h, json={"service_code": "gov.rj.revenue.jamabandi_copy", "form": {"village": "amer", "khasra_no": "4444"}})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "khasra_no"

    async def balanced():
        return await ledger.trial_balance()

    assert web.run(balanced) == 0


def test_the_forms_render_and_an_sc_caste_certificate_goes_through_the_counter_pages(web):
    import re

    web.login("operator1")

    async def ramesh():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    eid = web.run(ramesh)
    for code in CODES:
        page = web.get(f"/counter/citizens/{eid}/services/{code}")
        assert page.status_code == 200, (code, page.text[:500])
    url = f"/counter/citizens/{eid}/services/{CASTE}"
    page = web.get(url)
    assert 'name="address.pin"' in page.text and 'name="ration_card_scan"' in page.text and "annual_family_income" not in page.text
    fields = {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "SC",
              "caste": "Bairwa", **{f"address.{k}": v for k, v in ADDRESS.items()}, "csrf_token": web.csrf(url)}
    confirm = web.client.post(url, data=fields, files={"ration_card_scan": ("card.pdf", b"%PDF-1.4 test", "application/pdf")})
    assert confirm.status_code == 200, confirm.text
    assert "₹10.00" in confirm.text and "Tehsildar, Phagi" in confirm.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.text))
    done = web.client.post(url + "/pay", data=hidden)
    assert done.status_code == 303, done.text
    receipt = web.get(done.headers["location"])
    assert "Lakshmi Narayan Bairwa" in receipt.text and "JPC/PHA/" in receipt.text

"""Private partners' payments: LIC premium, BSNL bills, prepaid mobile and DTH recharges."""

import re

import pytest

from emitra.core import counter as counter_core
from emitra.core import forms, ledger
from emitra.core.audit import Actor
from emitra.core.forms import FormErrors
from emitra.core.models import Citizen, Counter, RequestStatus, ServiceRequest, User
from emitra.core.plugins import get_host

pytestmark = pytest.mark.anyio

LIC = "pvt.lic.premium"
BSNL = "pvt.bsnl.bill"
MOBILE = "pvt.recharge.mobile_prepaid"
DTH = "pvt.recharge.dth"


async def _ctx(username="operator1"):
    user = await User.get(username=username)
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    return Actor(user), counter, citizen


async def _field_errors(actor, counter, citizen, code, cases, prefix):
    for i, (data, field, fragment) in enumerate(cases):
        with pytest.raises(FormErrors) as err:
            await counter_core.record_cash(actor, counter, citizen, code, data, f"{prefix}-{i}")
        fields = err.value.by_field()
        assert fragment in fields.get(field, ""), (field, fields)
        assert err.value.by_field("hi")[field]
    assert await ServiceRequest.all().count() == 0


def _row(req):
    return req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise


def test_the_private_services_are_declared_and_loaded():
    host = get_host()
    expected = {LIC: ("private_service", 500, None), BSNL: ("bill", 395, None),
                MOBILE: ("private_service", None, 200), DTH: ("private_service", None, 250)}
    for code, (category, fee, bp) in expected.items():
        service = host.registry.get(code)
        assert service is not None, code
        assert (service.domain.value, service.category.value, service.fee.payer.value) == ("private", category, "partner")
        assert (service.fee.fee_paise, service.fee.commission_bp) == (fee, bp)
    assert not [r for r in host.registry.refusals if r.plugin in ("lic", "bsnl", "mobile_recharge", "dth")]


# --- LIC -----------------------------------------------------------------------------------------

async def test_an_lic_premium_is_paid_and_lic_pays_the_counter_5_rupees(demo_db):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, LIC, {"policy_number": "123456789"}, "lic-1", expected_total_paise=1245000)
    assert _row(req) == (1245000, 500, "partner", 1245000)
    assert req.status == RequestStatus.SUBMITTED and req.department_ref.startswith("LIC-")
    details = {d["label_en"]: d["value"] for d in req.quote_details}
    assert details["Policy holder"] == "Ramesh Kumar Sharma" and details["Mode"].startswith("Yearly")
    late = await counter_core.record_cash(actor, counter, citizen, LIC, {"policy_number": "345678912"}, "lic-2")
    assert _row(late) == (315158, 500, "partner", 315158)  # premium + late fee
    assert await ledger.trial_balance() == 0
    assert await ledger.balance("partner_fee_receivable:life-insurance-corporation-of-india") == 1000
    assert await ledger.balance("dept_payable:life-insurance-corporation-of-india") == -(1245000 + 315158)


async def test_wrong_lic_policies_are_named(demo_db):
    actor, counter, citizen = await _ctx()
    await _field_errors(actor, counter, citizen, LIC, [
        ({"policy_number": "999999999"}, "policy_number", "No LIC policy"),
        ({"policy_number": "567891234"}, "policy_number", "No premium is due"),
        ({"policy_number": "678912345"}, "policy_number", "lapsed"),
        ({"policy_number": "12345678"}, "policy_number", "exactly 9 digits"),
        ({}, "policy_number", "required"),
        ({"policy_number": "123456789", "mobile": "55555"}, "mobile", "10 digits"),
    ], "lic-bad")


# --- BSNL ----------------------------------------------------------------------------------------

async def test_bsnl_landline_and_broadband_bills(demo_db):
    actor, counter, citizen = await _ctx()
    landline = {"service_type": "landline", "std_code": "0141", "phone_number": "2712345"}
    req = await counter_core.record_cash(actor, counter, citizen, BSNL, landline, "bsnl-1", expected_total_paise=59000)
    assert _row(req) == (59000, 395, "partner", 59000) and req.reference == "0141-2712345"
    assert req.department_ref.startswith("BSNL-RJ-")
    broadband = {"service_type": "broadband", "account_id": "9012345678"}
    req = await counter_core.record_cash(actor, counter, citizen, BSNL, broadband, "bsnl-2")
    assert _row(req) == (58882, 395, "partner", 58882)
    assert await ledger.trial_balance() == 0
    assert await ledger.balance("partner_fee_receivable:bharat-sanchar-nigam-ltd-bsnl") == 790


def test_the_bsnl_form_asks_for_the_number_of_the_chosen_connection():
    schema = get_host().registry.get(BSNL).form
    assert set(forms.effective(schema, {"service_type": "landline"})["required"]) == {"service_type", "std_code", "phone_number"}
    assert set(forms.effective(schema, {"service_type": "broadband"})["required"]) == {"service_type", "account_id"}


async def test_wrong_bsnl_fields_are_named(demo_db):
    actor, counter, citizen = await _ctx()
    await _field_errors(actor, counter, citizen, BSNL, [
        ({"service_type": "landline", "phone_number": "2712345"}, "std_code", "required"),
        ({"service_type": "landline", "std_code": "141", "phone_number": "2712345"}, "std_code", "starting with 0"),
        ({"service_type": "landline", "std_code": "0141", "phone_number": "271234"}, "phone_number", "11 digits"),
        ({"service_type": "landline", "std_code": "0141", "phone_number": "2799999"}, "phone_number", "no connection"),
        ({"service_type": "landline", "std_code": "0141", "phone_number": "2200000"}, "phone_number", "Nothing is due"),
        ({"service_type": "broadband"}, "account_id", "required"),
        ({"service_type": "broadband", "account_id": "90123"}, "account_id", "exactly 10 digits"),
        ({"service_type": "broadband", "account_id": "9000000000"}, "account_id", "no connection"),
        ({"service_type": "broadband", "account_id": "9012345678", "std_code": "0141"}, "std_code", "no field"),
        ({"service_type": "fax"}, "service_type", "choose one of the listed options"),
    ], "bsnl-bad")


# --- prepaid mobile recharge -------------------------------------------------------------------------

async def test_a_prepaid_recharge_earns_a_2_percent_commission_from_the_partner(demo_db):
    actor, counter, citizen = await _ctx()
    for i, (operator, plan, price) in enumerate([("jio", "JIO-299", 29900), ("bsnl", "BSNL-107", 10700), ("vi", "VI-349", 34900)]):
        data = {"mobile": "9829012345", "operator": operator, "plan": plan}
        req = await counter_core.record_cash(actor, counter, citizen, MOBILE, data, f"mob-{i}", expected_total_paise=price)
        assert _row(req) == (price, price * 200 // 10000, "partner", price)
        assert req.citizen_total_paise == price and re.fullmatch(r"RCH\d{12}", req.department_ref)
    assert await ledger.trial_balance() == 0
    provider = counter_core.slug(get_host().registry.get(MOBILE).provider)
    assert await ledger.balance(f"partner_fee_receivable:{provider}") == 598 + 214 + 698


def test_plan_labels_show_price_and_validity():
    plan = get_host().registry.get(MOBILE).form["properties"]["plan"]
    i = plan["enum"].index("JIO-299")
    assert plan["x-enum-labels"][i].startswith("Jio ₹299 – 28 days") and "28 दिन" in plan["x-enum-labels-hi"][i]
    assert len(plan["x-enum-labels"]) == len(plan["x-enum-labels-hi"]) == len(plan["enum"])


async def test_wrong_recharge_fields_are_named(demo_db):
    actor, counter, citizen = await _ctx()
    await _field_errors(actor, counter, citizen, MOBILE, [
        ({"mobile": "9829012345", "operator": "airtel", "plan": "JIO-299"}, "plan", "belongs to Jio, not Airtel"),
        ({"mobile": "9829012345", "operator": "jio", "plan": "JIO-1"}, "plan", "choose one of the listed options"),
        ({"mobile": "5829012345", "operator": "jio", "plan": "JIO-299"}, "mobile", "starting with 6, 7, 8 or 9"),
        ({"mobile": "9414000001", "operator": "bsnl", "plan": "BSNL-107"}, "mobile", "postpaid"),
        ({"mobile": "9829012345", "plan": "JIO-299"}, "operator", "required"),
    ], "mob-bad")


# --- DTH -----------------------------------------------------------------------------------------

async def test_a_dth_recharge_of_any_amount_earns_2_5_percent(demo_db):
    actor, counter, citizen = await _ctx()
    data = {"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": 350}
    req = await counter_core.record_cash(actor, counter, citizen, DTH, data, "dth-1", expected_total_paise=35000)
    assert _row(req) == (35000, 875, "partner", 35000)
    assert {"label_en": "Balance after recharge", "label_hi": "रिचार्ज के बाद शेष राशि", "value": "₹362.50"} in req.quote_details
    data = {"operator": "dish_tv", "subscriber_id": "01234567890", "amount_rupees": 123}
    req = await counter_core.record_cash(actor, counter, citizen, DTH, data, "dth-2")
    assert _row(req) == (12300, 307, "partner", 12300)  # 307.5 paise, floor-rounded
    assert await ledger.trial_balance() == 0


async def test_wrong_dth_fields_are_named(demo_db):
    actor, counter, citizen = await _ctx()
    await _field_errors(actor, counter, citizen, DTH, [
        ({"operator": "tata_play", "subscriber_id": "1000000000", "amount_rupees": 300}, "subscriber_id", "no subscriber"),
        ({"operator": "tata_play", "subscriber_id": "3001234567", "amount_rupees": 300}, "subscriber_id", "10 digits starting with 1"),
        ({"operator": "dish_tv", "subscriber_id": "1012345678", "amount_rupees": 300}, "subscriber_id", "11 digits starting with 0"),
        ({"operator": "airtel_dth", "subscriber_id": "30012", "amount_rupees": 300}, "subscriber_id", "starting with 3"),
        ({"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": 99}, "amount_rupees", "at least 100"),
        ({"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": 5001}, "amount_rupees", "at most 5000"),
        # a money field reads an amount as the money boxes do (decision 132): the comma is the fault named
        ({"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": "3,00"}, "amount_rupees", "has a comma where no thousands end"),
        ({"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": "three"}, "amount_rupees", "must be a whole number"),
        ({"operator": "dd_free_dish", "subscriber_id": "1012345678", "amount_rupees": 300}, "operator", "choose one"),
    ], "dth-bad")


# --- through the JSON API --------------------------------------------------------------------------

def test_private_payments_through_the_api(web):
    h = web.api_token("operator1")

    async def eid():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    citizen = web.run(eid)
    listed = {s["code"]: s for s in web.get("/api/v1/services", headers=h).json()}
    assert (listed[LIC]["fee_paise"], listed[LIC]["payer"]) == (500, "partner")
    assert (listed[BSNL]["fee_paise"], listed[BSNL]["payer"]) == (395, "partner")
    cases = [
        (LIC, {"policy_number": "234567891"}, 673200, 500),
        (BSNL, {"service_type": "broadband", "account_id": "9087654321"}, 117882, 395),
        (MOBILE, {"mobile": "9829012345", "operator": "airtel", "plan": "AIRTEL-979"}, 97900, 1958),
        (DTH, {"operator": "airtel_dth", "subscriber_id": "3001234567", "amount_rupees": 500}, 50000, 1250),
    ]
    for i, (code, form, principal, charge) in enumerate(cases):
        q = web.post("/api/v1/quotes", headers=h, json={"service_code": code, "form": form})
        assert q.status_code == 200, q.text
        quote = q.json()
        assert (quote["principal_paise"], quote["service_charge_paise"], quote["charge_payer"], quote["citizen_total_paise"]) == (
            principal, charge, "partner", principal)
        body = {"citizen": citizen, "service_code": code, "form": form, "idempotency_key": f"api-pvt-{i}",
                "payment": {"method": "cash", "amount_paise": principal, "tendered_paise": principal + 100}}
        created = web.post("/api/v1/transactions", headers=h, json=body)
        assert created.status_code == 201, created.text
        assert created.json()["citizen_total_paise"] == principal and created.json()["status"] == "submitted"
    bad = web.post("/api/v1/quotes", headers=h, json={"service_code": MOBILE, "form": {"mobile": "9829012345", "operator": "vi", "plan": "JIO-199"}})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "plan"
    bad = web.post("/api/v1/quotes", headers=h, json={"service_code": DTH, "form": {"operator": "tata_play", "subscriber_id": "1099999999", "amount_rupees": 200}})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "subscriber_id"

    async def totals():
        return await ledger.trial_balance(), await ServiceRequest.all().count()

    assert web.run(totals) == (0, 4)

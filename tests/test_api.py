"""The same counter flow through the JSON API, and its OpenAPI document."""

import pytest

from emitra.core.models import Citizen, ServiceRequest
from emitra.web.app import ROUTES

BILL = "gov.rj.jvvnl.bill"


def ramesh(web):
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def requests_count(web):
    async def c():
        return await ServiceRequest.all().count()

    return web.run(c)


def test_pay_a_bill_through_the_api(web):
    h = web.api_token("operator1")
    services = web.get("/api/v1/services", headers=h).json()
    bill = next(s for s in services if s["code"] == BILL)
    assert (bill["fee_paise"], bill["payer"]) == (395, "department") and bill["form"]["properties"]["k_number"]["pattern"]
    eid = ramesh(web)
    q = web.post("/api/v1/quotes", headers=h, json={"service_code": BILL, "form": {"k_number": "210412345678"}}).json()
    assert (q["principal_paise"], q["service_charge_paise"], q["citizen_total_paise"]) == (148350, 395, 148350)
    body = {"citizen": eid, "service_code": BILL, "form": {"k_number": "210412345678"},
            "payment": {"method": "cash", "amount_paise": 148350, "tendered_paise": 150000}, "idempotency_key": "api-1"}
    created = web.post("/api/v1/transactions", headers=h, json=body)
    assert created.status_code == 201, created.text
    receipt = created.json()
    assert receipt["counter"] == "JP-LM-001" and receipt["operator"] == "operator1" and receipt["citizen"] == eid
    replay = web.post("/api/v1/transactions", headers=h, json=body)
    assert replay.status_code == 200 and replay.json()["receipt_no"] == receipt["receipt_no"]
    assert requests_count(web) == 1
    fetched = web.get(f"/api/v1/transactions/{receipt['receipt_no']}", headers=h).json()
    assert fetched["citizen_total_paise"] == 148350


@pytest.mark.parametrize("payment,field", [
    ({"method": "cash", "amount_paise": 1483.5}, "payment.amount_paise"),
    ({"method": "cash", "amount_paise": "1483.50"}, "payment.amount_paise"),
    ({"method": "cash", "amount_paise": -1}, "payment.amount_paise"),
    ({"method": "cash"}, "payment.amount_paise"),
    ({"method": "cash", "amount_paise": 148350, "tendered_paise": 100.25}, "payment.tendered_paise"),
    ({"method": "bitcoin", "amount_paise": 148350}, "payment.method"),
])
def test_malformed_amounts_are_refused_naming_the_field(web, payment, field):
    h = web.api_token("operator1")
    body = {"citizen": ramesh(web), "service_code": BILL, "form": {"k_number": "210412345678"}, "payment": payment, "idempotency_key": "api-x"}
    response = web.post("/api/v1/transactions", headers=h, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == field
    assert requests_count(web) == 0


def test_wrong_k_number_and_missing_fields_are_named(web):
    h = web.api_token("operator1")
    eid = ramesh(web)
    base = {"citizen": eid, "service_code": BILL, "payment": {"amount_paise": 1}, "idempotency_key": "api-y"}
    for form, fragment in (({"k_number": "999999999999"}, "No consumer account"), ({}, "required"), ({"k_number": "12"}, "12 digits")):
        r = web.post("/api/v1/transactions", headers=h, json={**base, "form": form})
        assert r.status_code == 422
        err = r.json()["error"]["fields"][0]
        assert err["field"] == "k_number" and fragment in err["message_en"] and err["message_hi"]
    r = web.post("/api/v1/transactions", headers=h, json={**base, "form": {"k_number": "210412345678"}, "citizen": eid[:-1] + "0" if eid[-1] != "0" else eid[:-1] + "1"})
    assert r.status_code == 422 and "check digit" in r.json()["error"]["message"]
    assert web.post("/api/v1/transactions", headers=h, content=b"{not json").status_code == 400
    assert requests_count(web) == 0


def test_the_api_checks_token_and_role(web):
    assert web.get("/api/v1/services").status_code == 401
    assert web.get("/api/v1/services", headers={"Authorization": "Bearer forged.token.value"}).status_code == 401
    assert web.get("/api/v1/services", headers=web.api_token("officer")).status_code == 403
    assert web.post("/api/v1/token", json={"username": "operator1", "password": "wrong-one"}).status_code == 401


def test_registration_through_the_api_reports_likely_duplicates(web):
    h = web.api_token("operator1")
    person = {"name": "Sunita Devi", "date_of_birth": "1985-07-02", "mobile": "9414098765"}
    dup = web.post("/api/v1/citizens", headers=h, json=person)
    assert dup.status_code == 409 and dup.json()["error"]["candidates"][0]["name"] == "Sunita Devi"
    new = web.post("/api/v1/citizens", headers=h, json={**person, "confirm_new_person": True})
    assert new.status_code == 201 and new.json()["emitra_id"].startswith("JP")
    bad = web.post("/api/v1/citizens", headers=h, json={**person, "mobile": "12"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "mobile"


def test_openapi_documents_every_api_route(web):
    doc = web.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    api_routes = {(r.path, m.lower()) for r in ROUTES if getattr(r, "path", "").startswith("/api/") for m in (r.methods or []) if m != "HEAD"}
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert api_routes == documented


def test_idempotency_keys_are_checked_and_never_reused_for_another_payment(web):
    h = web.api_token("operator1")
    eid = ramesh(web)
    body = {"citizen": eid, "service_code": BILL, "form": {"k_number": "210412345678"},
            "payment": {"method": "cash", "amount_paise": 148350}, "idempotency_key": "k" * 65}
    long = web.post("/api/v1/transactions", headers=h, json=body)
    assert long.status_code == 422 and long.json()["error"]["fields"][0]["field"] == "idempotency_key"
    assert web.post("/api/v1/transactions", headers=h, json={**body, "idempotency_key": ""}).status_code == 422
    assert web.post("/api/v1/transactions", headers=h, json={**body, "idempotency_key": "same-key"}).status_code == 201
    other_bill = {**body, "idempotency_key": "same-key", "form": {"k_number": "210498765432"}, "payment": {"amount_paise": 1234567}}
    conflict = web.post("/api/v1/transactions", headers=h, json=other_bill)
    assert conflict.status_code == 409 and "already used for another request" in conflict.json()["error"]["message"]
    assert requests_count(web) == 1
    changed = web.post("/api/v1/transactions", headers=h, json={**body, "idempotency_key": "k2", "payment": {"amount_paise": 100}})
    assert changed.status_code == 409 and "₹1,483.50" in changed.json()["error"]["message"]
    assert changed.json()["error"]["fields"][0]["field"] == "payment.amount_paise"


def test_confirm_new_person_must_be_a_boolean(web):
    h = web.api_token("operator1")
    person = {"name": "Sunita Devi", "date_of_birth": "1985-07-02", "mobile": "9414098765", "confirm_new_person": "false"}
    r = web.post("/api/v1/citizens", headers=h, json=person)
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "confirm_new_person"


def test_documents_upload_through_the_api_and_are_checked(web):
    h = web.api_token("operator1")
    code = "gov.rj.revenue.caste_certificate"
    ok = web.post("/api/v1/documents", headers=h, data={"service_code": code, "field": "ration_card_scan"},
                  files={"file": ("card.pdf", b"%PDF-1.4 ration card", "application/pdf")})
    assert ok.status_code == 201 and ok.json()["content_type"] == "application/pdf" and len(ok.json()["id"]) == 32
    word = web.post("/api/v1/documents", headers=h, data={"service_code": code, "field": "ration_card_scan"},
                    files={"file": ("card.docx", b"PK\x03\x04 word", "application/pdf")})
    assert word.status_code == 422 and word.json()["error"]["fields"][0]["field"] == "ration_card_scan"
    nofield = web.post("/api/v1/documents", headers=h, data={"service_code": code, "field": "caste"},
                       files={"file": ("x.pdf", b"%PDF-1", "application/pdf")})
    assert nofield.status_code == 422
    assert web.post("/api/v1/documents", headers=web.api_token("officer"), data={}).status_code == 403


def test_a_duplicate_in_another_district_shows_nothing_of_the_person(web):
    """The Aadhaar of a Jaipur citizen typed at an Ajmer counter: the page and the API name the
    district only, never the Jaipur citizen's name, date of birth, mobile or e-Mitra ID."""
    from emitra.core.auth import hash_password
    from emitra.core.models import Counter, District, User

    async def ajmer_operator() -> None:
        jaipur = await Counter.get(code="JP-LM-001")
        ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
        counter = await Counter.create(district=ajmer, lsp_id=jaipur.lsp_id, code="AJ-LM-001", name="LokMitra Ajmer",
                                       kind=jaipur.kind, owner_name="LSP")
        await User.create(username="op_ajmer", password_hash=hash_password("emitra-demo"), full_name="Ajmer operator",
                          role="operator", district=ajmer, lsp_id=jaipur.lsp_id, counter=counter)

    web.run(ajmer_operator)
    person = {"name": "Pooja Kumari Jat", "date_of_birth": "1999-05-17", "mobile": "9460011223", "aadhaar": "4991 1866 5246"}
    first = web.post("/api/v1/citizens", headers=web.api_token("operator1"), json=person)
    assert first.status_code == 201
    jaipur_id = first.json()["emitra_id"]
    secrets = [jaipur_id, "Pooja", "9460011223"]  # what the Ajmer operator did not type
    before = web.run(lambda: Citizen.all().count())
    dup = web.post("/api/v1/citizens", headers=web.api_token("op_ajmer"), json={**person, "name": "P K Jat", "mobile": "9000000001"})
    assert dup.status_code == 409
    assert dup.json()["error"]["candidates"] == [{"district": "JP", "reason": "aadhaar"}]
    assert "another district" in dup.json()["error"]["message"] and not any(s in dup.text for s in secrets)
    web.login("op_ajmer")
    page = web.post_form("/counter/citizens/new", {"name": "P K Jat", "date_of_birth": "1999-05-17", "mobile": "9000000001",
                                                   "aadhaar": "4991 1866 5246"})
    assert page.status_code == 409 and "another district" in page.text and "Jaipur" in page.text
    assert not any(s in page.text for s in secrets)
    assert web.run(lambda: Citizen.all().count()) == before


def test_a_key_of_another_counter_or_another_payment_is_refused_telling_nothing_of_it(web):
    """Keys are looked up across the district: a key another counter used is refused without its
    receipt number; the same key with another method or another amount of cash is a new payment."""
    eid = ramesh(web)
    body = {"citizen": eid, "service_code": BILL, "form": {"k_number": "210412345678"},
            "payment": {"method": "cash", "amount_paise": 148350, "tendered_paise": 150000}, "idempotency_key": "till-7-0001"}

    first = web.post("/api/v1/transactions", headers=web.api_token("operator2"), json=body)
    assert first.status_code == 201, first.text
    h = web.api_token("operator1")
    taken = web.post("/api/v1/transactions", headers=h, json=body)
    assert taken.status_code == 409 and "another counter" in taken.json()["error"]["message"]
    assert first.json()["receipt_no"] not in taken.text and "JP-LM-001-" in taken.json()["error"]["message"]
    mine = {**body, "idempotency_key": "JP-LM-001-20261130-0002"}
    assert web.post("/api/v1/transactions", headers=h, json=mine).status_code == 201
    assert web.post("/api/v1/transactions", headers=h, json=mine).status_code == 200  # the same payment again: its receipt
    for changed in ({"method": "upi", "amount_paise": 148350}, {"method": "cash", "amount_paise": 148350, "tendered_paise": 200000}):
        r = web.post("/api/v1/transactions", headers=h, json={**mine, "payment": changed})
        assert r.status_code == 409 and "already used for another request" in r.json()["error"]["message"], changed
    assert requests_count(web) == 2


def test_a_counter_cannot_take_the_keys_another_counter_begins_with_its_code(web):
    """Keys are unique across the district and the documented ones are predictable (the counter's
    code, the date, a serial): another counter sending JP-LM-001's next keys first would have held
    them, and JP-LM-001's own payments with them would be refused. A key that begins with another
    counter's code (in any case) is refused at this counter, naming the field and the fix; nothing
    is recorded, and the counter whose code it is uses it as ever."""
    eid = ramesh(web)
    key = "JP-LM-001-20261130-0001"
    body = {"citizen": eid, "service_code": BILL, "form": {"k_number": "210412345678"},
            "payment": {"method": "cash", "amount_paise": 148350}, "idempotency_key": key}
    other = web.api_token("operator2")  # JP-JM-001
    before = requests_count(web)
    for taken in (key, key.lower(), "JP-LM-001-x"):
        r = web.post("/api/v1/transactions", headers=other, json={**body, "idempotency_key": taken})
        assert r.status_code == 422, (taken, r.text)
        (error,) = r.json()["error"]["fields"]
        assert error["field"] == "idempotency_key" and "another counter's code (JP-LM-001)" in error["message_en"]
        assert "JP-JM-001-" in error["message_en"] and "JP-JM-001-" in error["message_hi"]
    assert requests_count(web) == before
    assert web.post("/api/v1/transactions", headers=other, json={**body, "idempotency_key": "JP-JM-001-20261130-0001"}).status_code == 201
    mine = web.post("/api/v1/transactions", headers=web.api_token("operator1"), json=body)
    assert mine.status_code == 201, mine.text


def test_a_key_replayed_by_another_operator_of_the_same_counter_answers_that_counters_receipt(web):
    """Two operators of one counter share its keys: the second one's replay of a key the first used
    answers the first receipt (a receipt of their own counter, which they may open anyway) and
    records nothing; with another bill it is refused naming that receipt, also their counter's."""
    from emitra.core.auth import hash_password
    from emitra.core.models import Counter, User

    async def second_operator() -> None:
        counter = await Counter.get(code="JP-LM-001")
        await User.create(username="operator1b", password_hash=hash_password("emitra-demo"), full_name="Second operator",
                          role="operator", district_id=counter.district_id, lsp_id=counter.lsp_id, counter=counter)

    web.run(second_operator)
    body = {"citizen": ramesh(web), "service_code": BILL, "form": {"k_number": "210412345678"},
            "payment": {"method": "cash", "amount_paise": 148350}, "idempotency_key": "JP-LM-001-20261130-0007"}
    first = web.post("/api/v1/transactions", headers=web.api_token("operator1"), json=body)
    assert first.status_code == 201, first.text
    again = web.post("/api/v1/transactions", headers=web.api_token("operator1b"), json=body)
    assert again.status_code == 200 and again.json()["receipt_no"] == first.json()["receipt_no"]
    assert web.get(f"/api/v1/transactions/{first.json()['receipt_no']}", headers=web.api_token("operator1b")).status_code == 200
    other = web.post("/api/v1/transactions", headers=web.api_token("operator1b"), json={**body, "form": {"k_number": "210498765432"}})
    assert other.status_code == 409 and first.json()["receipt_no"] in other.json()["error"]["message"]
    assert requests_count(web) == 1


def test_the_receipt_example_of_api_md_is_what_the_api_answers(web):
    """docs/api.md's payment example, sent as written, is answered with the receipt the page shows:
    the same fields in the same order and the same values (the time of recording aside). It once
    lacked department_ref and payment."""
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text(encoding="utf-8")
    sent = re.search(r"curl -s -X POST http://127\.0\.0\.1:8123/api/v1/transactions .*?-d '(\{.*?\})'", text, re.S)
    shown = re.compile(r"`201 Created`\s*```json\n(.*?)\n```", re.S).search(text, sent.end()) if sent else None
    assert sent and shown, "docs/api.md no longer has the payment example"
    answered = web.post("/api/v1/transactions", headers=web.api_token("operator1"), json=json.loads(sent.group(1)))
    assert answered.status_code == 201, answered.text
    real, example = answered.json(), json.loads(shown.group(1))
    assert list(example) == list(real)
    assert {**example, "recorded_at": None} == {**real, "recorded_at": None}

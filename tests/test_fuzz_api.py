"""Fuzzing the JSON API with schemathesis against its own OpenAPI document, and hostile bodies.

Every operation of /api/openapi.json is called with generated requests (valid ones, and ones that
break the schema on purpose), as the right role, without a token, with a forged token and as a role
that may not use it. Each answer must not be a server error, must have a documented status code and
content type, and must match the documented schema. The app runs in-process (ASGI) on the test
database (SQLite, or PostgreSQL with EMITRA_TEST_DATABASE_URL) with the demo district, a few
payments and a case, so real receipt and case numbers are fuzzed as well as made-up ones.

The run is sized for CI and repeatable (derandomized). For a deep run set EMITRA_FUZZ_EXAMPLES,
e.g. ``EMITRA_FUZZ_EXAMPLES=300 .venv/bin/pytest -p no:logging tests/test_fuzz_api.py`` (docs/api.md).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any, Awaitable, Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance
from tortoise import Tortoise

from emitra.core import db
from emitra.core.models import AuditLog, CaseEvent, Citizen, Document, LoginThrottle, ServiceRequest
from emitra.web.app import create_app
from emitra.web.openapi import document
from tests.case_helpers import caste_case, pay
from tests.conftest import DB_URL, _reset_and_seed

EXAMPLES = int(os.environ.get("EMITRA_FUZZ_EXAMPLES", "12"))
BILL = "gov.rj.jvvnl.bill"

APP = create_app(DB_URL)
schema = schemathesis.openapi.from_dict(document())
schema.app = APP  # requests, and the checks that send their own, go to the app in-process

# Who may use each operation (the rest need no token), and a role that may not.
USER_OF = {"listCases": "tehsildar", "getCase": "tehsildar", "actOnCase": "tehsildar", "actOnCases": "tehsildar"}
OPERATOR_ONLY = {"listServices", "registerCitizen", "getCitizen", "quote", "createTransaction", "cancelTransaction", "withdrawPayment",
                 "uploadDocument"}
WRONG_ROLE = {**{op: "officer" for op in OPERATOR_ONLY}, "getTransaction": "officer", "changeMessageLang": "officer",
              **{op: "lsp" for op in USER_OF}}
PUBLIC = {"token", "openapi"}
# Where a schema-valid request may still be refused (422) by a rule JSON Schema cannot state: a check
# digit, a date not in the future, a K-number the discom knows, a service's own form, a step the
# case's state does not allow, a remark a rejection needs, a scan's real file type, a NUL character in
# any text (no database column stores one). The other checks still apply to them.
SEMANTIC = {"token", "registerCitizen", "getCitizen", "quote", "createTransaction", "cancelTransaction", "withdrawPayment",
            "uploadDocument", "actOnCase", "actOnCases"}

# Real receipt and case numbers (filled in by the fixture), mixed into the generated path parameters.
KNOWN: dict[str, list[str]] = {"receipt_no": [], "number": [], "emitra_id": []}


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict[str, Any]):
    real = [{**path_parameters, name: value} for name in path_parameters or {} for value in KNOWN.get(name, [])]
    return st.sampled_from([path_parameters, *real]) if real else st.just(path_parameters)


def _db(fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run ORM code on a connection of its own (the app keeps its connections in its own event loop)."""
    async def run() -> Any:
        await Tortoise.init(config=db.tortoise_config(DB_URL))
        try:
            return await fn()
        finally:
            await Tortoise.close_connections()

    return asyncio.run(run())


async def _seed() -> None:
    await pay(BILL, {"k_number": "210412345678"}, "fuzz-bill-1")
    await pay(BILL, {"k_number": "210498765432"}, "fuzz-bill-2", username="operator2", citizen="Geeta Meena")
    await caste_case("fuzz-caste-1")
    KNOWN["receipt_no"] = [r.receipt_no for r in await ServiceRequest.all().order_by("id")]
    KNOWN["number"] = [r.receipt_no for r in await ServiceRequest.filter(service_code__startswith="gov.rj.revenue")]
    KNOWN["emitra_id"] = [c.emitra_id for c in await Citizen.all().order_by("id").limit(3)]


@pytest.fixture(scope="module")
def api():
    """The demo district with two payments and a case; the app started once; a token per user."""
    _reset_and_seed()
    _db(_seed)
    client = asgi.get_client(APP)
    with client:
        tokens = {u: client.post("/api/v1/token", json={"username": u, "password": "emitra-demo"}).json()["token"]
                  for u in {"operator1", "tehsildar", "officer", "lsp"}}
        yield client, tokens
    asgi.shutdown_lifespans()  # closes the app's database connections before the next module starts its own


def _operation_id(case) -> str:
    return case.operation.definition.raw["operationId"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


@schema.parametrize()
@FUZZ
def test_fuzz_as_the_right_role(api, case):
    _, tokens = api
    op = _operation_id(case)
    headers = {} if op in PUBLIC else _bearer(tokens[USER_OF.get(op, "operator1")])
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance] if op in SEMANTIC else None)


@schema.parametrize()
@settings(FUZZ, max_examples=max(3, EXAMPLES // 4))
@pytest.mark.parametrize("who", ["nobody", "forged", "wrong_role"])
def test_fuzz_without_the_right_token(api, case, who):
    _, tokens = api
    op = _operation_id(case)
    if op in PUBLIC:
        return
    headers = {"nobody": {}, "forged": {"Authorization": "Bearer eyJ1aWQiOjF9.forged.token"},
               "wrong_role": _bearer(tokens[WRONG_ROLE[op]])}[who]
    response = case.call_and_validate(headers=headers)
    if case.method.upper() == case.operation.method.upper():  # (not a probe with an undeclared method: 405)
        # the generator may replace the Authorization header with one of its own: then it is a 401 too
        assert response.status_code in ((401, 403) if who == "wrong_role" else (401,)), response.text


# --- hostile bodies, sent by hand: each must be refused with the documented error, nothing written ---

def _valid_payment(eid: str, key: str = "fuzz-hostile") -> dict[str, Any]:
    return {"citizen": eid, "service_code": BILL, "form": {"k_number": "210412345678"},
            "payment": {"method": "cash", "amount_paise": 148350}, "idempotency_key": key}


def _written() -> tuple[int, ...]:
    """Requests, citizens, audit entries, then throttle rows, case events and documents."""
    async def counts() -> tuple[int, ...]:
        return tuple([await model.all().count() for model in (ServiceRequest, Citizen, AuditLog, LoginThrottle, CaseEvent, Document)])

    return _db(counts)


def _post(api, path: str, token_of: str = "operator1", **kwargs):
    client, tokens = api
    headers = {**_bearer(tokens[token_of]), **kwargs.pop("headers", {})}
    return client.post(path, headers=headers, **kwargs)


JSON_ENDPOINTS = [("/api/v1/citizens", "operator1"), ("/api/v1/quotes", "operator1"), ("/api/v1/transactions", "operator1"),
                  ("/api/v1/cases/actions", "tehsildar"), ("/api/v1/token", "operator1")]
DEEP = b"[" * 100_000 + b"]" * 100_000
HOSTILE = [
    ("malformed", {"data": b'{"name": '}, 400, "bad_json"),
    ("not UTF-8", {"data": b'{"name": "\xff\xfe"}'}, 400, "bad_json"),
    ("nested 100,000 deep", {"data": DEEP}, 400, "bad_json"),
    ("NaN", {"data": b'{"name": NaN}'}, 400, "bad_json"),
    ("a number too large for a float", {"data": b'{"name": 1e999}'}, 400, "bad_json"),
    ("not an object", {"data": b'[1, 2]'}, 400, "bad_json"),
    ("over 1 MiB", {"data": b'{"name": "' + b"x" * (1024 * 1024) + b'"}'}, 413, "too_large"),
    ("form-encoded", {"data": b"name=x", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type"),
    ("text/plain", {"data": b'{"name": "x"}', "headers": {"Content-Type": "text/plain"}}, 415, "unsupported_media_type"),
]


# Every kind against the payment endpoint; the first two against every endpoint with a JSON body (they share the parser).
HOSTILE_CALLS = [(*JSON_ENDPOINTS[2], *h) for h in HOSTILE] + [(*e, *h) for e in JSON_ENDPOINTS if e != JSON_ENDPOINTS[2] for h in HOSTILE[:2]]


@pytest.mark.parametrize("path,user,what,request_kwargs,status,code", HOSTILE_CALLS, ids=[f"{c[0]} {c[2]}" for c in HOSTILE_CALLS])
def test_hostile_bodies_are_refused_with_the_error_shape(api, path, user, what, request_kwargs, status, code):
    before = _written()
    response = _post(api, path, user, headers={"Content-Type": "application/json", **request_kwargs.get("headers", {})},
                     data=request_kwargs["data"])
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    # a failed login is audited; nothing else is written
    assert _written()[:2] == before[:2]


@pytest.mark.parametrize("field,payment", [
    ("payment.amount_paise", {"method": "cash", "amount_paise": 2**64}),
    ("payment.amount_paise", {"method": "cash", "amount_paise": -(2**63) - 1}),
    ("payment.tendered_paise", {"method": "cash", "amount_paise": 148350, "tendered_paise": 10**30}),
    ("payment.amount_paise", {"method": "cash", "amount_paise": 1e18}),
])
def test_amounts_beyond_64_bits_are_refused_naming_the_field(api, field, payment):
    eid = KNOWN["emitra_id"][0]
    before = _written()
    response = _post(api, "/api/v1/transactions", json={**_valid_payment(eid), "payment": payment})
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["fields"]] == [field]
    assert _written() == before


def _with(body: dict[str, Any], path: str, text: str) -> dict[str, Any]:
    """A copy of ``body`` with ``text`` at ``path`` (``form.k_number``, ``numbers.0``)."""
    body = json.loads(json.dumps(body))
    *parents, last = path.split(".")
    node = body
    for name in parents:
        node = node[int(name)] if isinstance(node, list) else node[name]
    node[int(last) if isinstance(node, list) else last] = text
    return body


# Every route that takes a JSON body, and the text fields it stores or looks up ("{receipt}" and
# "{case}" are the seeded payment and case of the fixture).
TEXT_FIELDS = [
    ("/api/v1/token", "operator1", {"username": "operator1", "password": "emitra-demo"}, "username"),
    ("/api/v1/token", "operator1", {"username": "operator1", "password": "emitra-demo"}, "password"),
    ("/api/v1/citizens", "operator1", {"name": "Sunita Devi", "date_of_birth": "1985-07-02", "mobile": "9414098765", "address": "x"}, "address"),
    ("/api/v1/citizens", "operator1", {"name": "Sunita Devi", "date_of_birth": "1985-07-02", "mobile": "9414098765"}, "name"),
    ("/api/v1/quotes", "operator1", {"service_code": BILL, "form": {"k_number": "210412345678"}}, "form.k_number"),
    ("/api/v1/quotes", "operator1", {"service_code": BILL, "form": {"k_number": "210412345678"}}, "service_code"),
    ("/api/v1/transactions", "operator1", None, "idempotency_key"),
    ("/api/v1/transactions", "operator1", None, "form.mobile"),
    ("/api/v1/transactions", "operator1", None, "citizen"),
    ("/api/v1/transactions/{receipt}/cancel", "operator1", {"reason": "seat not needed"}, "reason"),
    ("/api/v1/transactions/{receipt}/message-lang", "operator1", {"message_lang": "en"}, "message_lang"),
    ("/api/v1/cases/{case}/actions", "tehsildar", {"action": "approve", "remark": "ok"}, "remark"),
    ("/api/v1/cases/actions", "tehsildar", {"numbers": ["X"], "action": "approve", "remark": "ok"}, "remark"),
    ("/api/v1/cases/actions", "tehsildar", {"numbers": ["X"], "action": "approve", "remark": "ok"}, "numbers.0"),
]
# what no database column stores (core/text.py), and the word the refusal names it by
UNSTORABLE = {"NUL": ("ab\x00cd", "NUL"), "lone surrogate": ("ab\ud800cd", "surrogate"), "low surrogate": ("\udfff", "surrogate")}
TEXT_CASES = [(*case, kind) for case in TEXT_FIELDS for kind in UNSTORABLE]


def _path(path: str) -> str:
    return path.format(receipt=KNOWN["receipt_no"][0], case=KNOWN["number"][0])


@pytest.mark.parametrize("path,user,body,field,kind", TEXT_CASES, ids=[f"{p} {f} {k}" for p, _, _, f, k in TEXT_CASES])
def test_text_no_database_stores_is_refused_naming_the_field(api, path, user, body, field, kind):
    """PostgreSQL stores no NUL in text, and a lone surrogate (JSON's "\\ud800") is no character
    either database (or a JSON answer) can encode: the API refuses both on both databases, the field
    named in English and Hindi, before anything is written: not a 500 with a traceback."""
    text, word = UNSTORABLE[kind]
    body = _with(body or _valid_payment(KNOWN["emitra_id"][0]), field, text)
    before = _written()
    response = _post(api, _path(path), user, headers={"Content-Type": "application/json"}, data=json.dumps(body).encode())
    assert response.status_code == 422, response.text
    (named,) = response.json()["error"]["fields"]
    assert named["field"] == field and word in named["message_en"] and word in response.json()["error"]["message"]
    assert named["message_hi"] and "है" in named["message_hi"]
    assert _written() == before


def test_a_lone_surrogate_as_raw_bytes_or_in_a_key_is_refused_too(api):
    """Python's JSON parser lets a lone surrogate through as raw UTF-8 bytes as well as escaped; and a
    key can hold one: the answer names it escaped, so the JSON answer itself is valid UTF-8."""
    before = _written()
    raw = b'{"name": "Sunita \xed\xa0\x80", "date_of_birth": "1985-07-02", "mobile": "9414098765"}'
    response = _post(api, "/api/v1/citizens", headers={"Content-Type": "application/json"}, data=raw)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "name", response.text
    keyed = json.dumps({"service_code": BILL, "form": {"k_number": "210412345678", "note\udc00": "x"}}).encode()
    response = _post(api, "/api/v1/quotes", headers={"Content-Type": "application/json"}, data=keyed)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "form.note\\udc00", response.text
    assert _written() == before


def test_a_scan_uploaded_through_the_api_with_text_no_database_stores_is_refused(api):
    """A multipart form that declares ``charset=utf-7`` decodes "+2AA-" into a lone surrogate (and
    ``unicode_escape`` "\\ud800"): in the file name or a field, it is refused naming the field."""
    boundary = "emitraBoundary"

    def multipart(fields: dict[str, bytes], filename: bytes, charset: str) -> tuple[bytes, str]:
        parts = [b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary.encode(), k.encode(), v) for k, v in fields.items()]
        parts.append(b'--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\nContent-Type: application/pdf\r\n\r\n'
                     b"%%PDF-1.4 scan\r\n--%s--\r\n" % (boundary.encode(), filename, boundary.encode()))
        return b"".join(parts), f"multipart/form-data; boundary={boundary}; charset={charset}"

    fields = {"service_code": b"gov.rj.revenue.caste_certificate", "field": b"ration_card_scan"}
    before = _written()
    for sent, filename, charset, named in ((fields, b"card+2AA-.pdf", "utf-7", "file"),
                                           ({**fields, "field": b"ration_card_scan+2AA-"}, b"card.pdf", "utf-7", "field"),
                                           ({**fields, "service_code": b"gov\\ud800"}, b"card.pdf", "unicode_escape", "service_code")):
        content, content_type = multipart(sent, filename, charset)
        response = _post(api, "/api/v1/documents", headers={"Content-Type": content_type}, data=content)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["fields"][0]["field"] == named and "surrogate" in response.json()["error"]["message"]
    assert _written() == before


def test_receipt_and_case_numbers_are_found_only_as_they_are(api):
    """Real numbers in other spellings are found; mutated ones (a digit, the check digit, NUL, overlong,
    another counter's) are a 404, never a server error."""
    client, tokens = api
    mine, theirs = KNOWN["receipt_no"][0], KNOWN["receipt_no"][1]
    h = _bearer(tokens["operator1"])
    for spelling in (mine, mine.lower(), f"{mine[:2]}-{mine[2:6]}-{mine[6:]}"):
        response = client.get(f"/api/v1/transactions/{spelling}", headers=h)
        assert response.status_code == 200 and response.json()["receipt_no"] == mine, spelling
    wrong_digit = mine[:-2] + str((int(mine[-2]) + 1) % 10) + mine[-1]
    for mutated in (wrong_digit, mine[:-1], mine + "0", theirs, mine + "%00", "ß" * 20, mine * 10, "%C3%9F" + mine[2:], "٠" * 13):
        for url in (f"/api/v1/transactions/{mutated}", f"/api/v1/transactions/{mutated}/cancel"):
            response = client.get(url, headers=h) if not url.endswith("cancel") else client.post(url, headers=h)
            assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", (url, response.text)
    case = KNOWN["number"][0]
    officer = _bearer(tokens["tehsildar"])
    for spelling in (case, case.lower(), f"{case[:6]} {case[6:]}"):  # read as the tracking page reads them
        found = client.get(f"/api/v1/cases/{spelling}", headers=officer)
        assert found.status_code == 200 and found.json()["number"] == case, spelling
    for mutated in (case + "%00", case * 5, case[:-1], "ß" * 20):
        assert client.get(f"/api/v1/cases/{mutated}", headers=officer).status_code == 404
        assert client.post(f"/api/v1/cases/{mutated}/actions", headers=officer, json={"action": "approve"}).status_code == 404
    bulk = client.post("/api/v1/cases/actions", headers=officer, json={"numbers": [case * 3, "A\x01"], "action": "zzz"})
    assert bulk.status_code == 200 and [r["number"] for r in bulk.json()["refused"]] == [case * 3, "A\x01"]


def test_case_filters_refuse_what_they_cannot_mean(api):
    client, tokens = api
    h = _bearer(tokens["tehsildar"])
    assert client.get("/api/v1/cases?state=forwarded%00", headers=h).json()["cases"] == []
    for query, field in (("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset"), ("limit=%D9%A5", "limit"),
                         ("breached=yes", "breached"), ("state=" + "x" * 31, "state"), ("satte=forwarded", "satte")):
        response = client.get(f"/api/v1/cases?{query}", headers=h)
        assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == field, query


def test_a_405_names_the_allowed_methods(api):
    client, _ = api
    response = client.delete("/api/v1/transactions")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "http_405"

"""The payment webhooks refuse text no database stores where they read it: a signed UPI
confirmation or Stripe event holding a NUL character or a lone UTF-16 surrogate (core/text.py), in
a value or a key of a field the webhook reads, as a JSON escape ("\\u0000", "\\ud800") or, for the
surrogate, as its raw bytes, is answered 400 naming the field, and nothing is written: no payment
confirmed or failed, no event recorded, no audit record, no row in any table. Never a 500.
PostgreSQL refuses a NUL in a text column (a server error there), SQLite would store it; neither
encodes a lone surrogate. The same characters in a field the webhook neither reads nor stores (a
bank's note, a description, metadata emitra did not set) do not stop the event: it is applied, and
none of them is stored. The bodies are signed as the bank and Stripe sign them, so each reaches the
code behind the signature check."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emitra.core.models import AuditLog, Citizen, Payment, ProcessedEvent, ServiceRequest  # noqa: E402
from emitra.web.webhooks_upi import sign  # noqa: E402

from .test_route_roles import _row_counts  # noqa: E402

BILL, K, DUE = "gov.rj.jvvnl.bill", "210412345678", 148_350
UPI_SECRET = "upi-test-secret"
NUL, SURROGATE = "\x00", "\ud800"
RAW_SURROGATE = b"\xed\xa0\x80"  # the UTF-8 form of U+D800: not UTF-8 at all, but Python's JSON parser lets it through
NAMED = {NUL: "a NUL character", SURROGATE: "a lone UTF-16 surrogate"}


def _ramesh(web) -> str:
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def _pay(web, method: str, key: str) -> dict:
    body = {"citizen": _ramesh(web), "service_code": BILL, "form": {"k_number": K}, "idempotency_key": key,
            "payment": {"method": method, "amount_paise": DUE}}
    response = web.client.post("/api/v1/transactions", json=body, headers=web.api_token("operator1"))
    assert response.status_code == 201, response.text
    return response.json()


def _payment(web, receipt_no: str) -> dict:
    async def read():
        payment = await Payment.get(request=await ServiceRequest.get(receipt_no=receipt_no))
        return {"status": payment.status, "reference": payment.reference, "details": payment.details}

    return web.run(read)


def _refused(web, response, field: str, char: str, before: dict[str, int]) -> None:
    """The answer is a 400 naming ``field`` and the kind of character, and no table changed."""
    assert response.status_code == 400, (field, response.status_code, response.text)
    error = response.json()["error"]
    assert error["code"] == "unstorable_text" and error["field"] == field, error
    assert error["message"].startswith(f"{field} contains {NAMED[char]}") and "nothing was changed" in error["message"], error
    assert _row_counts(web) == before, field


def _stored_clean(web, receipt_no: str) -> None:
    """What the webhook stored for the payment (its row, the events, their audit records) holds
    neither character (PostgreSQL would have refused the write; SQLite would have kept it)."""
    async def read():
        payment = await Payment.get(request=await ServiceRequest.get(receipt_no=receipt_no))
        rows = [payment.reference, payment.details, payment.status]
        rows += [list(e) for e in await ProcessedEvent.all().values_list("event_id", "kind")]
        rows += [a.detail for a in await AuditLog.all()]
        return json.dumps(rows, ensure_ascii=True)

    stored = web.run(read)
    assert "\\u0000" not in stored and "\\ud800" not in stored


# --- UPI ------------------------------------------------------------------------------------------

def _upi(web, raw: bytes):
    headers = {"content-type": "application/json", "x-upi-signature": "sha256=" + sign(raw, UPI_SECRET)}
    return web.client.post("/webhooks/upi", content=raw, headers=headers)


@pytest.mark.parametrize("char", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_a_upi_confirmation_with_unstorable_text_is_refused_naming_the_field_and_writes_nothing(web_answering_errors, monkeypatch, char):
    web = web_answering_errors
    monkeypatch.setenv("EMITRA_UPI_WEBHOOK_SECRET", UPI_SECRET)
    receipt_no = _pay(web, "upi", "upi-text-1")["receipt_no"]
    ok = {"event_id": "evt-text-1", "reference": receipt_no, "amount_paise": DUE, "status": "SUCCESS", "utr": "612345678901"}
    before, pending = _row_counts(web), _payment(web, receipt_no)
    cases = [
        ("utr", {**ok, "utr": f"6123{char}45678901"}),
        ("utr", {**ok, "status": "FAILURE", "utr": f"6123{char}"}),
        ("event_id", {**ok, "event_id": f"evt-text-1{char}"}),
        ("reference", {**ok, "reference": f"{receipt_no}{char}"}),
        ("status", {**ok, "status": f"SUCCESS{char}"}),
    ]
    for field, payload in cases:
        _refused(web, _upi(web, json.dumps(payload).encode()), field.replace(NUL, "\\0").replace(SURROGATE, "\\ud800"), char, before)
    if char == SURROGATE:  # the surrogate's raw bytes in the body, not its JSON escape
        raw = json.dumps({**ok, "utr": "6123@"}).encode().replace(b"@", RAW_SURROGATE)
        _refused(web, _upi(web, raw), "utr", char, before)
    assert _payment(web, receipt_no) == pending and pending["status"] == "pending"

    # the same confirmation with the character only in fields the webhook neither reads nor stores is applied
    ignored = {**ok, "note": f"from the bank{char}", f"extra{char}": "1", "payer": {"name": f"R{char}"}}
    applied = _upi(web, json.dumps(ignored).encode())
    assert applied.status_code == 200 and applied.json()["applied"] is True, applied.text
    assert _payment(web, receipt_no)["status"] == "received"
    _stored_clean(web, receipt_no)


# --- Stripe ---------------------------------------------------------------------------------------

def _stripe(web, fake, event: dict):
    body, headers = fake.signed(event)
    return web.client.post("/webhooks/stripe", content=body, headers=headers)


def _with(event: dict, path: str, value) -> dict:
    """A copy of ``event`` with the value at the dotted ``path`` replaced (or added)."""
    copy = json.loads(json.dumps(event))
    *parents, last = path.split(".")
    node = copy
    for name in parents:
        if not isinstance(node.get(name), dict):
            node[name] = {}
        node = node[name]
    node[last] = value
    return copy


@pytest.mark.parametrize("char", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_a_stripe_event_with_unstorable_text_is_refused_naming_the_field_and_writes_nothing(web_answering_errors, fake, char):
    web = web_answering_errors
    created = _pay(web, "card", "card-text-1")
    receipt_no, intent_id = created["receipt_no"], created["payment"]["reference"]
    succeeded = fake.pay(intent_id)
    before, pending = _row_counts(web), _payment(web, receipt_no)
    cases = [
        # the intent's id is one we do not know: the payment is looked up by the receipt number in its metadata
        ("data.object.metadata.receipt_no", _with(_with(succeeded, "data.object.id", "pi_not_saved_yet"),
                                                  "data.object.metadata.receipt_no", f"{receipt_no}{char}")),
        ("data.object.metadata.receipt_no", _with(succeeded, "data.object.metadata.receipt_no", f"{receipt_no}{char}")),
        ("id", _with(succeeded, "id", f"{succeeded['id']}{char}")),
        ("type", _with(succeeded, "type", f"payment_intent.succeeded{char}")),
        ("data.object.id", _with(succeeded, "data.object.id", f"pi_1{char}")),
        ("data.object.currency", _with(succeeded, "data.object.currency", f"inr{char}")),
        ("data.object.latest_charge", _with(succeeded, "data.object.latest_charge", f"ch_1{char}")),
        ("data.object.last_payment_error.message",
         _with(_with(succeeded, "type", "payment_intent.payment_failed"), "data.object.last_payment_error.message", f"declined{char}")),
        (f"data.object.last_payment_error.message.k{char}",  # a key beneath a field read
         _with(_with(succeeded, "type", "payment_intent.payment_failed"), "data.object.last_payment_error.message", {f"k{char}": "v"})),
    ]
    for field, event in cases:
        _refused(web, _stripe(web, fake, event), field.replace(NUL, "\\0").replace(SURROGATE, "\\ud800"), char, before)
    assert _payment(web, receipt_no) == pending and pending["status"] == "pending"

    # an event of a type not applied is answered, whatever its object holds
    other = _stripe(web, fake, _with(fake.event("customer.created", {"id": "cus_1"}), "data.object.metadata.receipt_no", char))
    assert other.status_code == 200 and other.json()["outcome"] == "ignored"
    assert _payment(web, receipt_no) == pending

    # the event itself, with the character only where emitra neither reads nor stores (metadata it did
    # not set, a key of it, a description): applied, not refused forever
    ignored = _with(_with(_with(succeeded, "data.object.metadata.note", f"counter{char}"), f"data.object.metadata.k{char}", "v"),
                    "data.object.description", f"bill{char}")
    applied = _stripe(web, fake, ignored)
    assert applied.status_code == 200 and applied.json()["outcome"] == "confirmed", applied.text
    assert _payment(web, receipt_no)["status"] == "received"
    _stored_clean(web, receipt_no)


def test_a_stripe_body_that_is_not_utf8_is_refused_not_a_server_error(web_answering_errors, fake):
    """A surrogate's raw bytes are no UTF-8: Stripe signs text and sends none such. Signed or not,
    the body is refused with 400 (the stripe library decoding it would raise) and nothing changes."""
    web = web_answering_errors
    created = _pay(web, "card", "card-text-2")
    event = _with(fake.pay(created["payment"]["reference"]), "data.object.metadata.receipt_no", "@")
    body = json.dumps(event).encode().replace(b'"@"', b'"' + RAW_SURROGATE + b'"')
    t = int(time.time())
    mac = hmac.new(fake.webhook_secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    before = _row_counts(web)
    for headers in ({"Stripe-Signature": f"t={t},v1={mac}"}, {"Stripe-Signature": f"t={t},v1={'0' * 64}"}, {}):
        response = web.client.post("/webhooks/stripe", content=body, headers={"Content-Type": "application/json", **headers})
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_signature", response.text
        assert "not UTF-8" in response.json()["error"]["message"]
    assert _row_counts(web) == before and _payment(web, created["receipt_no"])["status"] == "pending"


def _signed_stripe(fake, body: bytes) -> dict[str, str]:
    t = int(time.time())
    mac = hmac.new(fake.webhook_secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}


def test_a_signed_body_python_cannot_parse_is_refused_not_a_server_error(web_answering_errors, fake, monkeypatch):
    """JSON that is valid but that Python will not turn into values: a number of more than 4,300
    digits (Python's limit on int conversion, a ValueError that is not a JSONDecodeError) or arrays
    nested 100,000 deep (a RecursionError). Signed, they passed the signature and were a 500 on
    either webhook; they are refused 400 as not JSON, and nothing is written."""
    web = web_answering_errors
    monkeypatch.setenv("EMITRA_UPI_WEBHOOK_SECRET", UPI_SECRET)
    created = _pay(web, "card", "card-text-3")
    event = _with(fake.pay(created["payment"]["reference"]), "data.object.metadata.note", "@")
    before = _row_counts(web)
    for filler in (b"9" * 5000, b"[" * 100_000 + b"]" * 100_000):
        body = json.dumps(event).encode().replace(b'"@"', filler)
        stripe = web.client.post("/webhooks/stripe", content=body, headers=_signed_stripe(fake, body))
        assert stripe.status_code == 400 and "not JSON" in stripe.json()["error"]["message"], stripe.text[:300]
        upi_body = b'{"event_id": "e-1", "reference": "X", "amount_paise": 1, "status": "SUCCESS", "utr": "1", "note": ' + filler + b"}"
        upi = _upi(web, upi_body)
        assert upi.status_code in (400, 413) and upi.json()["error"]["code"] in ("bad_json", "too_large"), upi.text[:300]
    upi = _upi(web, b'{"event_id": "e-1", "reference": "X", "amount_paise": ' + b"9" * 5000 + b', "status": "SUCCESS", "utr": "1"}')
    assert upi.status_code == 400 and upi.json()["error"]["code"] == "bad_json", upi.text[:300]
    assert _row_counts(web) == before and _payment(web, created["receipt_no"])["status"] == "pending"

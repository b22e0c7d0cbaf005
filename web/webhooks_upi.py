"""POST /webhooks/upi: the bank's (or payment service provider's) confirmation of a UPI payment.

The body is JSON ``{"event_id", "reference", "amount_paise", "status": "SUCCESS"|"FAILURE", "utr"}``
where ``reference`` is our receipt number (the ``tr`` of the UPI link). It is signed: the header
``X-UPI-Signature`` carries the hex HMAC-SHA256 of the raw body under the shared secret
``EMITRA_UPI_WEBHOOK_SECRET`` (``sha256=`` may prefix it). The signature is compared in constant
time; an unsigned or wrongly signed call is refused with 401 and changes nothing.

Each event is applied exactly once, whatever the order or repetition: a repeated event_id, or any
event for a payment already confirmed or failed, changes nothing and is answered 200 so the sender
stops retrying. An amount that differs from the payment's is refused with 409, logged, and changes
nothing (the payment stays pending; the Society follows it up with the bank).

Text no database column stores (a NUL character or a lone UTF-16 surrogate, core/text.py) in a
field of a signed body that is read (:data:`READS`; anything beneath it, keys included) is refused
with 400 naming the field before anything is looked up or written: no payment is confirmed or
failed and no event is recorded. Other fields are neither read nor stored, so such text there is
let be (a bank's note cannot keep its payment from confirming).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from typing import Any, Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emitra.web.security import webhook
from emitra.core import audit
from emitra.core import counter as counter_core
from emitra.core.models import Payment, ProcessedEvent
from emitra.core.privacy import vpa_or_empty
from emitra.core.text import NAMES as UNSTORABLE, picked, shown, unstorable_in

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-upi-signature"
PROVIDER = "upi"
MAX_BODY = 16 * 1024
#: the fields of a confirmation this webhook reads (and may store: the event id, the UTR)
READS = ("event_id", "reference", "amount_paise", "status", "utr")


def sign(body: bytes, secret: str) -> str:
    """The signature a sender puts in ``X-UPI-Signature`` (also what tests and simulators use)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def unstorable_refusal(body: Any, provider: str, reads: Iterable[str]) -> JSONResponse | None:
    """400 naming the first field of a signed webhook ``body``, among the dotted paths ``reads`` (each
    with all beneath it, keys included), whose text no database column stores, a NUL character or
    a lone surrogate (core/text.py); None when every text read can be stored. Answered before the
    body is used: PostgreSQL refuses a NUL in text (a server error there, and a NUL stored on
    SQLite), and neither database, nor the log, nor a JSON answer can write a lone surrogate. A
    field that is not read is not searched: it is never stored, and refusing it would refuse a
    genuine event forever (the sender retries the same body). Also used by the Stripe webhook
    (web/webhooks.py)."""
    found = unstorable_in(picked(body, reads))
    if found is None:
        return None
    field, what = shown(found[0])[:200], UNSTORABLE[found[1]][0]
    log.warning("%s webhook refused: %s contains %s", provider, field, what)
    return JSONResponse({"error": {"code": "unstorable_text", "field": field,
                                   "message": f"{field} contains {what}; nothing was changed. Remove it and send the event again."}},
                        status_code=400)


def _check(body: dict[str, Any]) -> str:
    """What is wrong with the body, or ''."""
    if not isinstance(body.get("event_id"), str) or not 1 <= len(body["event_id"]) <= 100:
        return "event_id must be a string of 1 to 100 characters"
    if not isinstance(body.get("reference"), str) or not body["reference"]:
        return "reference (our receipt number) is required"
    amount = body.get("amount_paise")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        return "amount_paise must be a whole, non-negative number of paise"
    if body.get("status") not in ("SUCCESS", "FAILURE"):
        return "status must be SUCCESS or FAILURE"
    if body.get("utr") is not None and not isinstance(body.get("utr"), str):
        return "utr must be a string"
    if body["status"] == "SUCCESS" and not body.get("utr"):
        return "utr (the bank's transaction reference) is required for a SUCCESS"
    return ""


@webhook("hmac-sha256")
async def upi_webhook(request: Request) -> Response:
    secret = os.environ.get("EMITRA_UPI_WEBHOOK_SECRET", "")
    if not secret:
        log.error("UPI confirmation refused: EMITRA_UPI_WEBHOOK_SECRET is not set")
        return _error(503, "not_configured", "UPI confirmations are not configured on this server.")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _error(413, "too_large", "The body is too large.")
    sent = request.headers.get(SIGNATURE_HEADER, "").strip()
    sent = sent[7:] if sent.lower().startswith("sha256=") else sent
    if not sent or not hmac.compare_digest(sent.lower().encode(), sign(raw, secret).encode()):
        log.warning("UPI confirmation with a missing or wrong signature from %s", request.client.host if request.client else "?")
        return _error(401, "bad_signature", f"The {SIGNATURE_HEADER} header does not match the body.")
    try:  # ValueError: also a number Python will not convert (over 4,300 digits); RecursionError: nesting too deep
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return _error(400, "bad_json", "The body is not valid JSON.")
    if not isinstance(body, dict):
        return _error(400, "bad_json", "The body must be a JSON object.")
    refused = unstorable_refusal(body, "UPI", READS)
    if refused is not None:
        return refused
    problem = _check(body)
    if problem:
        return _error(422, "invalid_fields", problem)
    payment = await Payment.get_or_none(method="upi", reference=body["reference"].strip().upper())
    if payment is None:
        log.warning("UPI confirmation %s for unknown reference %r", body["event_id"], body["reference"])
        return _error(404, "not_found", "No UPI payment with this reference.")
    if body["amount_paise"] != payment.amount_paise:
        log.warning("UPI confirmation %s for %s refused: amount %d paise, expected %d paise (status %s, utr %s)",
                    body["event_id"], payment.reference, body["amount_paise"], payment.amount_paise, body["status"], body.get("utr"))
        return _error(409, "amount_mismatch",
                      f"The amount {body['amount_paise']} paise differs from the payment's {payment.amount_paise} paise; nothing was changed.")
    repeat = await ProcessedEvent.exists(provider=PROVIDER, event_id=body["event_id"])
    before = payment.status
    actor = audit.Actor(None, ip=request.client.host if request.client else "", via="webhook")
    utr = str(body.get("utr") or "")[:100]
    if body["status"] == "SUCCESS":
        # the payer's UPI address, kept for the Society to pay back a refund (decision 79); informational:
        # one that is not a UPI address is not kept (and not logged), and never refuses the confirmation
        payer_vpa = vpa_or_empty(body.get("payer_vpa"))
        if body.get("payer_vpa") not in (None, "") and not payer_vpa:
            log.warning("UPI confirmation %s: payer_vpa is not a UPI address (name@handle); not kept", body["event_id"])
        req = await counter_core.confirm_payment(actor, payment, PROVIDER, body["event_id"], provider_reference=utr, payer_vpa=payer_vpa)
    else:
        reason = f"UPI payment failed{' (UTR ' + utr + ')' if utr else ''}"
        req = await counter_core.fail_payment(actor, payment, reason, PROVIDER, body["event_id"])
    after = await Payment.get(id=payment.id)
    if not repeat and before != "pending":
        # A late event for a payment already decided: applied never; the Society must look at it
        # (a SUCCESS after a FAILURE means the citizen's money arrived and must be refunded).
        log.warning("UPI event %s (%s) for %s ignored: the payment is already %s", body["event_id"], body["status"], payment.reference, before)
        if body["status"] == "SUCCESS" and before == "failed":
            # the citizen's money reached the Society's account for a payment failed or withdrawn at
            # the counter: recorded for the Society, which returns it (docs/payments.md)
            await audit.record(actor, "upi.late_success", payment, district_id=payment.district_id, counter_id=req.counter_id,
                               detail={"receipt_no": req.receipt_no, "utr": utr, "amount_paise": payment.amount_paise,
                                       "event": body["event_id"], "to_do": "refund the citizen"})
    return JSONResponse({"reference": payment.reference, "event_id": body["event_id"], "payment_status": after.status,
                         "request_status": req.status.value if hasattr(req.status, "value") else str(req.status),
                         "applied": not repeat and before == "pending"})

"""POST /webhooks/stripe: Stripe's events about card payments.

The ``Stripe-Signature`` header is checked with the stripe library's webhook helper against the
endpoint's signing secret ``EMITRA_STRIPE_WEBHOOK_SECRET`` (and the timestamp must be at most five
minutes old). A missing or wrong signature is answered 400 and changes nothing; so is a signed body
that is not an event, or that holds text no database column stores (a NUL character or a lone
UTF-16 surrogate, core/text.py) in a field the event's handling reads (``card.reads``: the id, the
type, the intent's or charge's ids, receipt number, currency, status and decline reason; anything
beneath them, keys included): that refusal names the field, and nothing is applied or recorded.
Such text elsewhere (a description, metadata emitra did not set) is neither read nor stored, and
the event is applied: refused, Stripe would send it again and again and the payment would never be
confirmed.

The events applied (:func:`emitra.core.payment_methods.card.handle_event`):
``payment_intent.succeeded``, ``payment_intent.payment_failed`` and ``charge.refunded``, each
exactly once by its event id, whatever the order or repetition. Any other event is answered 200
and ignored. When an event cannot be applied without asking Stripe and Stripe does not answer, the
reply is 503 and nothing was changed: Stripe delivers the event again later.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise.exceptions import IntegrityError

from emitra.web.security import webhook
from emitra.web.webhooks_upi import unstorable_refusal
from emitra.core import stripe_api
from emitra.core.payment_methods import card

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


@webhook("stripe-signature")
async def stripe_webhook(request: Request) -> Response:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _error(413, "too_large", "The body is too large for a Stripe event.")
    try:
        event = stripe_api.verify_webhook(raw, request.headers.get("stripe-signature"), stripe_api.webhook_secret())
    except stripe_api.StripeConfigError as exc:
        log.error("Stripe webhook refused: %s", exc)
        return _error(503, "not_configured", "Stripe webhooks are not configured on this server.")
    except stripe_api.WebhookSignatureError as exc:
        log.warning("Stripe webhook with a bad signature from %s: %s", request.client.host if request.client else "?", exc)
        return _error(400, "bad_signature", f"The Stripe-Signature header does not verify: {exc}")
    refused = unstorable_refusal(event, "Stripe", card.reads(event["type"]))
    if refused is not None:
        return refused
    actor = card.stripe_actor(request.client.host if request.client else "")
    try:
        outcome = await card.handle_event(event, actor)
    except card.TryLater as exc:
        log.warning("Stripe event %s (%s) not applied yet: %s", event["id"], event["type"], exc)
        return _error(503, "try_later", "Stripe could not be reached to apply this event; nothing was changed. Deliver it again later.")
    except IntegrityError:  # the same event (or its payment's other event) applied at this moment by another delivery
        log.warning("Stripe event %s (%s) raced another delivery; rolled back, to be delivered again", event["id"], event["type"])
        return _error(503, "try_later", "Another delivery was applying this payment at the same moment; nothing was changed by this one. Deliver it again.")
    log.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
    return JSONResponse({"received": True, "id": event["id"], "type": event["type"], "outcome": outcome})

"""Card payments through Stripe: a PaymentIntent per request, confirmed by Stripe's webhook.

The flow (docs/payments.md, "Card payments (Stripe)"):

1. The operator confirms the amount and picks *Card*. The request and its payment are recorded
   ``payment_pending``; nothing is posted yet (the money is not ours until Stripe says so).
2. :meth:`CardMethod.start` writes a pending marker on the payment (with the idempotency key
   ``emitra-pi-<receipt no>``), then creates the PaymentIntent, then saves its id on the payment
   (``payment.reference``) before the client secret goes back to the counter. The card terminal
   or Stripe.js completes the payment with that client secret.
3. Stripe calls ``POST /webhooks/stripe`` (web/webhooks.py). :func:`handle_event` applies
   ``payment_intent.succeeded`` (post the collection to ``escrow:card``, hand the request over),
   ``payment_intent.payment_failed`` (cancel the intent, fail the request) and ``charge.refunded``
   (core/refunds.py), each event exactly once whatever the order or repetition.

The LSP's share of the money the citizen pays travels as a *destination charge*: when
``EMITRA_STRIPE_LSP_ACCOUNTS`` maps the counter's LSP to a connected account, the intent carries
``transfer_data.destination`` and ``application_fee_amount`` = the part that does not go to the
LSP, and the ledger records that transfer once the charge succeeds (``card_transfer:<receipt>``:
Dr the LSP's payable / Cr ``escrow:card``).

Faults: a timeout or a lost answer leaves the payment pending with ``stripe_state = unknown``;
pressing the button again (the same confirmation, the same idempotency key) asks Stripe again
with the same key, which returns the intent it created the first time, never a second one. A
definite refusal (Stripe's 4xx or 5xx, a wrong key) fails the payment at once: nothing was posted,
the request is ``payment_failed`` and the operator takes the payment again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from emitra.core import audit, hookimpl, ledger, stripe_api
from emitra.core.counter import CounterError
from emitra.core.money import format_paise
from emitra.core.payments import PaymentMethod, fee_shares

if TYPE_CHECKING:
    from emitra.core.models import Counter, Payment, ServiceRequest

log = logging.getLogger(__name__)

PROVIDER = "stripe"
COLLECTION_ACCOUNT = "escrow:card"
#: Stripe's smallest INR charge is ₹0.50
MINIMUM_PAISE = 50


def intent_key(receipt_no: str) -> str:
    """The idempotency key of a request's PaymentIntent: the same receipt, the same intent."""
    return f"emitra-pi-{receipt_no}"


class CardUnavailable(CounterError):
    """The card payment could not be started. ``retry_same_key``: Stripe did not answer, so the
    operator presses the button again (same key, never a second intent); otherwise the payment
    was failed and the operator takes it again (a new confirmation)."""

    def __init__(self, message_en: str, message_hi: str, retry_same_key: bool, receipt_no: str = ""):
        super().__init__("method", message_en, message_hi)
        self.retry_same_key = retry_same_key
        self.receipt_no = receipt_no


class TryLater(Exception):
    """Stripe must be asked before the event can be applied and it did not answer: answer the
    webhook with 503 so Stripe delivers it again later. Nothing was changed."""


def stripe_actor(ip: str = "") -> audit.Actor:
    return audit.Actor(None, ip=ip, via=PROVIDER)


def lsp_share(counter: "Counter", request: "ServiceRequest") -> dict[str, int]:
    """Of the money the citizen pays by card, what belongs to the LSP, by ledger account: its
    share of a citizen-paid service charge, and the price of an LSP-priced service."""
    from emitra.core.plugins import get_host

    shares: dict[str, int] = {}
    if request.charge_payer == "citizen":
        for account, paise in fee_shares(counter, request.service_charge_paise):
            if account.startswith("lsp_fee_payable:") and paise:
                shares[account] = paise
    service = get_host().registry.get(request.service_code) or get_host().all_declared.get(request.service_code)
    if service is not None and service.priced_by_lsp and request.principal_paise:
        shares[f"lsp_sales:{counter.lsp_id}"] = request.principal_paise
    return shares


async def _save(payment: "Payment", actor: audit.Actor, action: str, request: "ServiceRequest", fields: list[str],
                detail: dict[str, Any]) -> None:
    async with in_transaction():
        await payment.save(update_fields=fields)
        await audit.record(actor, action, payment, district_id=payment.district_id, counter_id=request.counter_id,
                           detail={"receipt_no": request.receipt_no, **detail})


@dataclass
class CardMethod(PaymentMethod):
    """A debit or credit card, through Stripe (see the module's docstring)."""

    def collection_account(self, counter: "Counter") -> str:
        return COLLECTION_ACCOUNT

    def available(self) -> bool:
        """Offered at the counter only when Stripe is configured (``EMITRA_STRIPE_API_KEY``)."""
        return stripe_api.configured()

    async def start(self, payment: "Payment", request: "ServiceRequest", counter: "Counter") -> dict[str, Any]:
        actor = stripe_actor()
        receipt_no = request.receipt_no or ""
        try:
            s = stripe_api.settings()
        except stripe_api.StripeConfigError as exc:
            await _refuse(actor, payment, f"not configured: {exc}")
            raise CardUnavailable(
                f"Card payments are not set up here ({exc.setting}: {exc.message}). Receipt {receipt_no} is marked payment failed; take the payment in cash.",
                f"यहाँ कार्ड भुगतान की व्यवस्था नहीं है ({exc.setting})। रसीद {receipt_no} भुगतान विफल दर्ज है; नकद भुगतान लें।",
                False, receipt_no) from None
        if payment.amount_paise < MINIMUM_PAISE:
            await _refuse(actor, payment, "amount below the card minimum")
            raise CardUnavailable(
                f"A card payment must be at least {format_paise(MINIMUM_PAISE)}; take {format_paise(payment.amount_paise)} in cash.",
                f"कार्ड भुगतान कम से कम {format_paise(MINIMUM_PAISE)} होना चाहिए; {format_paise(payment.amount_paise)} नकद लें।",
                False, receipt_no)
        key = intent_key(receipt_no)
        plan: dict[str, Any] = {"stripe_state": "creating", "stripe_idempotency_key": key}
        shares = lsp_share(counter, request)
        destination = s.lsp_accounts.get(counter.lsp_id)
        to_lsp = sum(shares.values())
        if destination and 0 < to_lsp <= payment.amount_paise:
            plan.update(transfer_destination=destination, transfer_paise=to_lsp, transfer_accounts=shares,
                        application_fee_paise=payment.amount_paise - to_lsp)
        # 1. the pending marker, before Stripe is asked: a crash from here on leaves a trace
        payment.details = {**payment.details, **plan}
        await _save(payment, actor, "card.intent_requested", request, ["details"], {"idempotency_key": key})
        # 2. the call
        try:
            intent = await stripe_api.create_payment_intent(
                s, amount_paise=payment.amount_paise, idempotency_key=key,
                description=f"{request.service_title_en} · e-Mitra receipt {receipt_no}",
                metadata={"receipt_no": receipt_no, "service_code": request.service_code, "emitra_payment_id": str(payment.id)},
                destination=plan.get("transfer_destination"), application_fee_paise=plan.get("application_fee_paise"))
        except stripe_api.StripeFailure as exc:
            if exc.outcome_unknown:
                payment.details = {**payment.details, "stripe_state": "unknown", "stripe_error": exc.message[:300]}
                await _save(payment, actor, "card.intent_unknown", request, ["details"], {"error": exc.message[:300]})
                raise CardUnavailable(
                    f"Stripe did not answer in time ({exc.message[:120]}). The card payment for receipt {receipt_no} is waiting; "
                    "press the button again (API: send the same idempotency_key) to retry: the same request is sent again, so the citizen cannot be charged twice.",
                    f"Stripe ने समय पर जवाब नहीं दिया। रसीद {receipt_no} का कार्ड भुगतान प्रतीक्षा में है; फिर से बटन दबाएँ: "
                    "वही अनुरोध दोबारा भेजा जाता है, इसलिए नागरिक से दो बार पैसे नहीं कटेंगे।",
                    True, receipt_no) from None
            await _refuse(actor, payment, f"Stripe {exc.kind} {exc.http_status or ''}: {exc.message}".strip())
            raise CardUnavailable(
                f"Stripe refused to start the card payment ({exc.http_status or exc.kind}: {exc.message[:160]}). Nothing was charged "
                f"and nothing was booked; receipt {receipt_no} is marked payment failed. Take the payment again (cash, or card once Stripe works).",
                f"Stripe ने कार्ड भुगतान शुरू करने से मना किया ({exc.http_status or exc.kind})। कोई राशि नहीं कटी और कुछ दर्ज नहीं हुआ; "
                f"रसीद {receipt_no} भुगतान विफल दर्ज है। भुगतान फिर से लें (नकद, या Stripe ठीक होने पर कार्ड)।",
                False, receipt_no) from None
        # 3. the intent's id, saved before the client secret leaves this function
        payment.reference = str(intent["id"])[:100]
        payment.details = {**payment.details, "stripe_state": "created", "payment_intent": intent["id"],
                           "client_secret": intent.get("client_secret") or "", "stripe_error": ""}
        await _save(payment, actor, "card.intent_created", request, ["reference", "details"], {"payment_intent": intent["id"]})
        return {"payment_intent": intent["id"], "client_secret": intent.get("client_secret") or ""}


    async def withdraw(self, actor: audit.Actor, payment: "Payment", request: "ServiceRequest") -> str:
        """The citizen left without paying: cancel the PaymentIntent at Stripe, so no card can be
        charged on it later. If Stripe says it succeeded, the payment is confirmed here instead
        (``"paid"``: the citizen did pay). Stripe unreachable, or the charge still processing: a
        :class:`PaymentError` on ``payment``, nothing changed (the operator tries again)."""
        from emitra.core.models import Counter
        from emitra.core.payments import PaymentError

        receipt_no = request.receipt_no or ""
        if not payment.reference and payment.details.get("stripe_state") in ("creating", "unknown"):
            # Stripe may have made the intent without our hearing of it: asking again with the same
            # idempotency key answers that intent (or makes it), which is then cancelled below
            try:
                await self.start(payment, request, await Counter.get(id=request.counter_id))
            except CardUnavailable as exc:
                if not exc.retry_same_key:
                    return "withdrawn"  # Stripe refused it: failed already, nothing was charged
                raise PaymentError("payment", _STRIPE_SILENT_EN, _STRIPE_SILENT_HI, retry_later=True) from None
        if not payment.reference:
            return "withdrawn"  # no intent was ever made: no card can be charged
        try:
            latest = await _cancel_at_stripe(payment.reference, receipt_no)
        except TryLater as exc:
            log.warning("withdrawing card payment %s: %s", receipt_no, exc)
            raise PaymentError("payment", _STRIPE_SILENT_EN, _STRIPE_SILENT_HI, retry_later=True) from None
        if latest is None:
            return "withdrawn"
        if latest.get("status") == "succeeded":
            done = await _succeeded(actor, f"withdraw-found-paid:{payment.id}", latest)
            if done == "confirmed":
                return "paid"
            raise PaymentError("payment", f"Stripe charged the card but the payment could not be confirmed ({done}): nothing was "
                               "withdrawn. Tell the District e-Mitra Society.",
                               f"Stripe ने कार्ड से राशि ली, पर भुगतान की पुष्टि नहीं हो सकी ({done}): कुछ वापस नहीं लिया गया। "
                               "ज़िला ई-मित्र सोसाइटी को बताएँ।")
        raise PaymentError("payment", f"Stripe is still processing this card payment (status {latest.get('status')}): it cannot be "
                           "withdrawn now. Wait a minute and open the receipt again: it then shows the payment received, or lets you withdraw it.",
                           f"Stripe अभी इस कार्ड भुगतान पर काम कर रहा है (स्थिति {latest.get('status')}): इसे अभी वापस नहीं लिया जा "
                           "सकता। एक मिनट रुककर रसीद फिर खोलें: तब भुगतान प्राप्त दिखेगा, या आप इसे वापस ले सकेंगे।", retry_later=True)


_STRIPE_SILENT_EN = ("Stripe did not answer, so the card payment could not be withdrawn: nothing was changed. Ask the citizen to wait "
                     "and try again in a minute.")
_STRIPE_SILENT_HI = ("Stripe ने जवाब नहीं दिया, इसलिए कार्ड भुगतान वापस नहीं लिया जा सका: कुछ नहीं बदला। नागरिक से रुकने को कहें और "
                     "एक मिनट बाद फिर प्रयास करें।")


async def _refuse(actor: audit.Actor, payment: "Payment", reason: str) -> None:
    from emitra.core.counter import fail_payment

    payment.details = {**payment.details, "stripe_state": "refused", "stripe_error": reason[:300]}
    await payment.save(update_fields=["details"])
    await fail_payment(actor, payment, f"card not started: {reason}"[:300], PROVIDER)


def method() -> CardMethod:
    from emitra.core import payments

    return payments.methods()["card"]


async def ensure_started(request: "ServiceRequest") -> "Payment | None":
    """The card payment of ``request``, its PaymentIntent created. Asking again after a timeout
    sends the same idempotency key, so Stripe answers with the intent of the first attempt."""
    from emitra.core.models import Counter, Payment

    payment = await Payment.filter(request_id=request.id, method="card").order_by("id").first()
    if payment is None or payment.status != "pending" or payment.details.get("stripe_state") == "created":
        return payment
    counter = await Counter.get(id=request.counter_id)
    await method().start(payment, request, counter)
    return payment


# -- the webhook's events -----------------------------------------------------------------------

async def find_payment(intent_id: str | None, metadata: dict[str, Any] | None) -> "Payment | None":
    """Our card payment for a PaymentIntent: by the id saved on it, else by the receipt number in
    the intent's metadata (the id is not saved yet when Stripe's answer was lost)."""
    from emitra.core.models import Payment, ServiceRequest

    if intent_id:
        found = await Payment.filter(method="card", reference=str(intent_id)).first()
        if found is not None:
            return found
    receipt_no = str((metadata or {}).get("receipt_no") or "")
    request = await ServiceRequest.get_or_none(receipt_no=receipt_no) if receipt_no else None
    if request is None:
        return None
    payment = await Payment.filter(request_id=request.id, method="card").order_by("id").first()
    if payment is None or (payment.reference and payment.reference != intent_id):
        return None
    if intent_id and not payment.reference:
        payment.reference = str(intent_id)[:100]
        payment.details = {**payment.details, "payment_intent": intent_id}
        await _save(payment, stripe_actor(), "card.intent_found", request, ["reference", "details"], {"payment_intent": intent_id})
    return payment


#: what :func:`handle_event` reads of each event it applies (dotted paths under the event; each
#: with all beneath it): the webhook refuses text no database stores only there (web/webhooks.py).
#: Keep it in step with _succeeded, _failed and refunds.on_charge_refunded.
READS = {
    "payment_intent.succeeded": ("data.object.id", "data.object.metadata.receipt_no", "data.object.amount_received",
                                 "data.object.amount", "data.object.currency", "data.object.latest_charge"),
    "payment_intent.payment_failed": ("data.object.id", "data.object.metadata.receipt_no", "data.object.last_payment_error.message",
                                      "data.object.last_payment_error.decline_code", "data.object.last_payment_error.code"),
    "charge.refunded": ("data.object.id", "data.object.payment_intent", "data.object.metadata.receipt_no", "data.object.amount_refunded",
                        "data.object.amount_captured", "data.object.amount", "data.object.currency", "data.object.status"),
}


def reads(kind: str) -> tuple[str, ...]:
    """The paths of an event of type ``kind`` that are read: its id and type always (the answer and the
    log name them), and what applying it reads."""
    return ("id", "type") + READS.get(kind, ())


async def handle_event(event: dict[str, Any], actor: audit.Actor | None = None) -> str:
    """Apply one verified Stripe event; return what happened (for the log and the response)."""
    from emitra.core import refunds

    actor = actor or stripe_actor()
    kind, event_id, obj = event["type"], event["id"], event["data"]["object"]
    if kind == "payment_intent.succeeded":
        return await _succeeded(actor, event_id, obj)
    if kind == "payment_intent.payment_failed":
        return await _failed(actor, event_id, obj)
    if kind == "charge.refunded":
        return await refunds.on_charge_refunded(actor, event_id, obj)
    return "ignored"


async def _event_seen(event_id: str) -> bool:
    from emitra.core.models import ProcessedEvent

    return await ProcessedEvent.exists(provider=PROVIDER, event_id=event_id)


async def _mark_event(actor: audit.Actor, event_id: str, kind: str, payment: "Payment", action: str, detail: dict[str, Any]) -> bool:
    """Record an event we handle ourselves (no posting) once, with its audit record; False if seen."""
    from emitra.core.models import ProcessedEvent, ServiceRequest

    request = await ServiceRequest.get(id=payment.request_id)
    async with in_transaction():
        try:
            await ProcessedEvent.create(provider=PROVIDER, event_id=event_id, kind=kind)
        except IntegrityError:
            return False
        await audit.record(actor, action, payment, district_id=payment.district_id, counter_id=request.counter_id,
                           detail={"receipt_no": request.receipt_no, "event": event_id, **detail})
    return True


async def confirm(actor: audit.Actor, payment: "Payment", event_id: str, amount_paise: int, charge_id: str) -> str:
    """The charge succeeded: post the collection (exactly once), hand over, book the LSP's transfer."""
    from emitra.core.counter import confirm_payment

    if amount_paise != payment.amount_paise:
        await _mark_event(actor, event_id, "amount_mismatch", payment, "card.amount_mismatch",
                          {"expected_paise": payment.amount_paise, "received_paise": amount_paise})
        log.error("Stripe charged %s paise for payment %s of %s paise; left pending", amount_paise, payment.id, payment.amount_paise)
        return "amount_mismatch"
    if payment.status == "failed":
        return await _late_success(actor, payment, event_id)
    await confirm_payment(actor, payment, PROVIDER, event_id, provider_reference=charge_id)
    await post_transfer(payment.id)
    return "confirmed"


async def _succeeded(actor: audit.Actor, event_id: str, intent: dict[str, Any]) -> str:
    payment = await find_payment(intent.get("id"), intent.get("metadata"))
    if payment is None:
        log.warning("Stripe event %s: no card payment for intent %s", event_id, intent.get("id"))
        return "unknown_payment"
    try:
        amount = stripe_api.paise_from_minor(intent.get("amount_received") or intent.get("amount"), intent.get("currency", ""))
    except ValueError:
        amount = -1
    return await confirm(actor, payment, event_id, amount, str(intent.get("latest_charge") or intent.get("id")))


async def _late_success(actor: audit.Actor, payment: "Payment", event_id: str) -> str:
    """A success for a payment we had already failed (the counter told the citizen it failed, and
    may have taken cash since): the money goes back to the card, automatically. Nothing is booked:
    the charge and its refund cancel out at Stripe."""
    from emitra.core.models import ServiceRequest

    if await _event_seen(event_id):
        return "duplicate"
    request = await ServiceRequest.get(id=payment.request_id)
    try:
        s = stripe_api.settings()
        refund = await stripe_api.create_refund(
            s, intent_id=payment.reference, idempotency_key=f"emitra-late-refund-{request.receipt_no}",
            metadata={"receipt_no": request.receipt_no or "", "why": "succeeded after the payment was failed"},
            reverse_transfer=bool(payment.details.get("transfer_destination")))
    except stripe_api.StripeFailure as exc:
        if exc.kind != "refused":
            raise TryLater(f"refund of a late card success for {request.receipt_no}: {exc}") from None
        await _mark_event(actor, event_id, "late_success", payment, "card.late_success_refund_refused", {"error": exc.message[:300]})
        log.error("late card success for %s: Stripe refused the refund: %s", request.receipt_no, exc.message)
        return "late_success_refund_refused"
    except stripe_api.StripeConfigError as exc:
        raise TryLater(f"refund of a late card success for {request.receipt_no}: {exc}") from None
    from emitra.core.models import ProcessedEvent

    payment.details = {**payment.details, "late_success_refund": refund.get("id", "")}
    async with in_transaction():
        try:
            await ProcessedEvent.create(provider=PROVIDER, event_id=event_id, kind="late_success")
        except IntegrityError:
            return "duplicate"
        await payment.save(update_fields=["details"])
        await audit.record(actor, "card.late_success_refunded", payment, district_id=payment.district_id, counter_id=request.counter_id,
                           detail={"receipt_no": request.receipt_no, "event": event_id, "refund": refund.get("id", "")})
    return "late_success_refunded"


async def _failed(actor: audit.Actor, event_id: str, intent: dict[str, Any]) -> str:
    """A declined attempt. While the payment is pending the intent is cancelled at Stripe first,
    so no later attempt can succeed on it; if Stripe says it already succeeded (events out of
    order), the payment is confirmed instead."""
    from emitra.core.counter import fail_payment
    from emitra.core.models import ServiceRequest

    payment = await find_payment(intent.get("id"), intent.get("metadata"))
    if payment is None:
        log.warning("Stripe event %s: no card payment for intent %s", event_id, intent.get("id"))
        return "unknown_payment"
    error = intent.get("last_payment_error") or {}
    reason = "card declined: " + str(error.get("message") or error.get("decline_code") or error.get("code") or "no reason given")
    if payment.status != "pending":  # confirmed, failed or refunded already: a late failure changes nothing
        await fail_payment(actor, payment, reason, PROVIDER, event_id)
        return f"ignored_{payment.status}"
    if await _event_seen(event_id):
        return "duplicate"
    request = await ServiceRequest.get(id=payment.request_id)
    latest = await _cancel_at_stripe(str(intent["id"]), request.receipt_no or "")
    if latest is not None:
        if latest.get("status") == "succeeded":
            return await _succeeded(actor, event_id, latest)
        return "waiting"  # processing: Stripe sends the final event later
    await fail_payment(actor, payment, reason[:300], PROVIDER, event_id)
    return "failed"


async def _cancel_at_stripe(intent_id: str, receipt_no: str) -> dict[str, Any] | None:
    """Cancel a PaymentIntent at Stripe so that no attempt can succeed on it any more: None once it
    is cancelled (or was), else the intent as Stripe has it now, which moved on (``succeeded``, or
    still processing). :class:`TryLater` when Stripe cannot be asked: nothing was changed."""
    try:
        s = stripe_api.settings()
        await stripe_api.cancel_payment_intent(s, intent_id, f"emitra-cancel-{receipt_no}")
    except stripe_api.StripeConfigError as exc:
        raise TryLater(str(exc)) from None
    except stripe_api.StripeFailure as exc:
        if exc.kind != "refused":
            raise TryLater(f"cancel {intent_id}: {exc}") from None
        try:  # it cannot be cancelled: it moved on
            latest = await stripe_api.retrieve_payment_intent(s, intent_id)
        except stripe_api.StripeFailure as again:
            raise TryLater(f"retrieve {intent_id}: {again}") from None
        if latest.get("status") != "canceled":
            return latest
    return None


async def post_transfer(payment_id: int) -> None:
    """Book the LSP's share that Stripe moved to its connected account (a destination charge):
    Dr the LSP's payable / Cr ``escrow:card``. Once (idempotency key ``card_transfer:<receipt>``)."""
    from emitra.core.models import LedgerEntry, Payment, ServiceRequest

    payment = await Payment.get(id=payment_id)
    accounts = payment.details.get("transfer_accounts") or {}
    if payment.status not in ("received", "refunded") or not payment.details.get("transfer_destination") or not accounts:
        return
    request = await ServiceRequest.get(id=payment.request_id)
    key = f"card_transfer:{request.receipt_no}"
    if await LedgerEntry.exists(idempotency_key=key):
        return
    total = sum(int(p) for p in accounts.values())
    lines = [ledger.debit(a, int(p)) for a, p in sorted(accounts.items()) if int(p)] + [ledger.credit(COLLECTION_ACCOUNT, total)]
    async with in_transaction():
        await ledger.post(request.district_id, key, f"card: LSP share to {payment.details['transfer_destination']} {request.receipt_no}",
                          lines, request.id)
        await audit.record(stripe_actor(), "card.transfer_booked", payment, district_id=request.district_id, counter_id=request.counter_id,
                           detail={"receipt_no": request.receipt_no, "destination": payment.details["transfer_destination"], "paise": total})


@hookimpl
def emitra_register_payment_methods(register):
    register(CardMethod(code="card", title_en="Card (debit or credit, through Stripe)", title_hi="कार्ड (डेबिट या क्रेडिट, Stripe द्वारा)",
                        immediate=False, post_on_start=False, withdrawable=True))

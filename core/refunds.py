"""Refunds of card payments: started here, confirmed by Stripe, booked once.

:func:`refund` asks Stripe to refund a confirmed card payment in full (idempotency key
``emitra-refund-<receipt no>``, so asking twice refunds once; a destination charge also takes the
LSP's share and the application fee back). It books the refund as soon as Stripe says it
succeeded; the ``charge.refunded`` webhook (:func:`on_charge_refunded`) books it too if it was not,
whichever comes first, exactly once.

The refund entry (``refund:<receipt no>``) is the mirror of what the payment booked: the collection
(``request:<receipt>``: Dr ``escrow:card`` / Cr the department's or partner's principal and the
fee shares) and the LSP's transfer (``card_transfer:<receipt>``). So it debits the accounts the
payment credited (the department owes back the principal, the LSP, the kiosk owner and the Society
give back their fee shares) and credits ``escrow:card``; the payment becomes ``refunded`` and the
request ``cancelled``.

A *partial* refund (only possible from Stripe's Dashboard) is not booked automatically: how it
splits between the department and the fee shares is the Society's decision. It is written to the
audit log (``card.partial_refund``) for the Society to book; once the refunds add up to the whole
amount, the full mirror entry is posted as above.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from emitra.core import audit, ledger, stripe_api
from emitra.core.counter import CounterError
from emitra.core.models import LedgerEntry, Payment, Posting, ProcessedEvent, RequestStatus, ServiceRequest
from emitra.core.payment_methods import card


class RefundError(CounterError):
    """A refund that cannot be made; ``retry_same_key`` when Stripe did not answer."""

    def __init__(self, message_en: str, message_hi: str, retry_same_key: bool = False):
        super().__init__("receipt_no", message_en, message_hi)
        self.retry_same_key = retry_same_key


def refund_key(receipt_no: str) -> str:
    return f"emitra-refund-{receipt_no}"


async def refund(actor: audit.Actor, receipt_no: str) -> Payment:
    """Refund the card payment of ``receipt_no`` in full through Stripe; book it once it succeeded.
    The actor is the district Society's admin (or the system: an actor without a user)."""
    from emitra.core.models import Role

    receipt_no = (receipt_no or "").strip().upper()
    request = await ServiceRequest.get_or_none(receipt_no=receipt_no)
    user = actor.user
    if user is not None and (user.role != Role.SOCIETY_ADMIN or (request is not None and user.district_id != request.district_id)):
        raise RefundError(f"Only the district Society's admin refunds card payments; {user.username} may not.",
                          f"कार्ड भुगतान केवल जिला सोसायटी के एडमिन वापस करते हैं; {user.username} नहीं कर सकते।")
    payment = await Payment.filter(request_id=request.id, method="card").order_by("id").first() if request else None
    if payment is None:
        raise RefundError(f"No card payment with receipt number {receipt_no!r}.", f"रसीद संख्या {receipt_no!r} का कोई कार्ड भुगतान नहीं है।")
    if payment.status == "refunded":
        return payment
    if payment.status != "received" or not payment.reference:
        raise RefundError(f"The card payment of {receipt_no} is {payment.status}, not confirmed: there is nothing to refund.",
                          f"रसीद {receipt_no} का कार्ड भुगतान पुष्ट नहीं है ({payment.status}): वापस करने को कुछ नहीं है।")
    try:
        s = stripe_api.settings()
    except stripe_api.StripeConfigError as exc:
        raise RefundError(f"Card refunds need Stripe to be configured ({exc.setting}).", "कार्ड रिफंड के लिए Stripe की सेटिंग चाहिए।") from None
    key = refund_key(receipt_no)
    payment.details = {**payment.details, "refund_state": "requested", "refund_idempotency_key": key}
    await _save(actor, payment, request, "card.refund_requested", {"idempotency_key": key})
    try:
        result = await stripe_api.create_refund(s, intent_id=payment.reference, idempotency_key=key,
                                                metadata={"receipt_no": receipt_no},
                                                reverse_transfer=bool(payment.details.get("transfer_destination")))
    except stripe_api.StripeFailure as exc:
        payment.details = {**payment.details, "refund_state": "unknown" if exc.outcome_unknown else "refused", "refund_error": exc.message[:300]}
        await _save(actor, payment, request, "card.refund_not_made", {"error": exc.message[:300], "kind": exc.kind})
        if exc.outcome_unknown:
            raise RefundError(f"Stripe did not answer ({exc.message[:120]}); ask for the refund again: the same request is sent, so it is refunded once.",
                              "Stripe ने जवाब नहीं दिया; रिफंड फिर से माँगें: वही अनुरोध भेजा जाता है, इसलिए रिफंड एक ही बार होगा।", True) from None
        raise RefundError(f"Stripe refused the refund ({exc.http_status or exc.kind}: {exc.message[:160]}). Nothing was booked.",
                          f"Stripe ने रिफंड अस्वीकार किया ({exc.http_status or exc.kind})। कुछ दर्ज नहीं हुआ।") from None
    payment.details = {**payment.details, "refund_state": str(result.get("status", "")), "refund_id": str(result.get("id", "")), "refund_error": ""}
    await _save(actor, payment, request, "card.refund_created", {"refund": result.get("id", ""), "status": result.get("status", "")})
    if result.get("status") == "succeeded":
        await record_refund(actor, payment, stripe_api.paise_from_minor(result.get("amount"), result.get("currency", "")), source=str(result.get("id", "")))
    return await Payment.get(id=payment.id)


async def _save(actor: audit.Actor, payment: Payment, request: ServiceRequest, action: str, detail: dict[str, Any]) -> None:
    async with in_transaction():
        await payment.save(update_fields=["details"])
        await audit.record(actor, action, payment, district_id=payment.district_id, counter_id=request.counter_id,
                           detail={"receipt_no": request.receipt_no, **detail})


async def on_charge_refunded(actor: audit.Actor, event_id: str, charge: dict[str, Any]) -> str:
    """Stripe's ``charge.refunded``: book the refund (once), confirming the payment first if its
    ``payment_intent.succeeded`` has not arrived yet (events out of order)."""
    payment = await card.find_payment(charge.get("payment_intent"), charge.get("metadata"))
    if payment is None:
        return "unknown_payment"
    try:
        refunded = stripe_api.paise_from_minor(charge.get("amount_refunded"), charge.get("currency", ""))
        charged = stripe_api.paise_from_minor(charge.get("amount_captured") or charge.get("amount"), charge.get("currency", ""))
    except ValueError:
        return "bad_amount"
    if payment.status == "pending" and charge.get("status") == "succeeded":
        outcome = await card.confirm(actor, payment, f"{event_id}:confirm", charged, str(charge.get("id", "")))
        if outcome != "confirmed":
            return outcome
        payment = await Payment.get(id=payment.id)
    return await record_refund(actor, payment, refunded, event_id=event_id, source=str(charge.get("id", "")))


def _mirror(postings: list[tuple[str, int]]) -> list[ledger.Line]:
    net: dict[str, int] = defaultdict(int)
    for account, paise in postings:
        net[account] -= paise
    return [ledger.Line(a, p) for a, p in sorted(net.items()) if p]


async def record_refund(actor: audit.Actor, payment: Payment, refunded_paise: int, event_id: str = "", source: str = "") -> str:
    """Book ``refunded_paise`` (the total refunded so far at Stripe) once; see the module's docstring."""
    await card.post_transfer(payment.id)  # what the refund mirrors must all be booked first
    request = await ServiceRequest.get(id=payment.request_id)
    keys = [f"request:{request.receipt_no}", f"card_transfer:{request.receipt_no}"]
    async with in_transaction():
        if event_id:
            try:
                await ProcessedEvent.create(provider=card.PROVIDER, event_id=event_id, kind="refund")
            except IntegrityError:
                return "duplicate"
        fresh = await Payment.get(id=payment.id)
        detail = {"receipt_no": request.receipt_no, "event": event_id, "source": source, "refunded_paise": refunded_paise}
        if fresh.status == "refunded":
            return "already_refunded"
        if fresh.status != "received":  # never booked (failed: a late success refunded): nothing to reverse
            await audit.record(actor, "card.refund_not_booked", fresh, district_id=request.district_id, counter_id=request.counter_id,
                               detail={**detail, "status": fresh.status})
            return f"not_booked_{fresh.status}"
        if refunded_paise < fresh.amount_paise:
            await audit.record(actor, "card.partial_refund", fresh, district_id=request.district_id, counter_id=request.counter_id,
                               detail={**detail, "amount_paise": fresh.amount_paise})
            return "partial_refund_for_the_society"
        postings = await Posting.filter(entry__idempotency_key__in=keys, entry__request_id=request.id).values_list("account", "amount_paise")
        lines = _mirror([(a, int(p)) for a, p in postings])
        if lines:
            await ledger.post(request.district_id, f"refund:{request.receipt_no}", f"card refunded {request.receipt_no}", lines, request.id)
        fresh.status = "refunded"
        fresh.details = {**fresh.details, "refunded_paise": refunded_paise, "refund_state": "succeeded"}
        await fresh.save(update_fields=["status", "details"])
        previous = request.status
        request.status = RequestStatus.CANCELLED
        await request.save(update_fields=["status"])
        from emitra.core import mis

        await mis.status_changed(request, previous, RequestStatus.CANCELLED)
        await audit.record(actor, "payment.refunded", fresh, district_id=request.district_id, counter_id=request.counter_id, detail=detail)
    return "refunded"


async def refunded_entry(receipt_no: str) -> LedgerEntry | None:
    return await LedgerEntry.get_or_none(idempotency_key=f"refund:{receipt_no}")

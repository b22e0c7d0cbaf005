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

A booking paid by card and cancelled at the counter (``core/counter.cancel``, decision 69) is
refunded to the card, not from the drawer: :func:`refund_cancelled_booking` asks Stripe for a
*partial* refund of the partner's refund (the service charge is never refunded; idempotency key
``emitra-cancel-refund-<receipt no>``), and the counter books it (``refund:cancel:<receipt no>``:
Dr the partner's ``dept_payable`` / Cr ``escrow:card``). Its ``charge.refunded`` event is known
by the marker on the payment (``cancel_refund_*``) and is not left to the Society as a partial
refund from the Dashboard.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from emitra.core import audit, ledger, stripe_api
from emitra.core.counter import CounterError, ProviderBusy
from emitra.core.money import format_paise
from emitra.core.models import (AuditLog, Counter, LedgerEntry, Payment, Posting, ProcessedEvent, RequestStatus, Role, ServiceRequest,
                                User)
from emitra.core.payment_methods import card


class RefundError(CounterError):
    """A refund that cannot be made; ``retry_same_key`` when Stripe did not answer."""

    def __init__(self, message_en: str, message_hi: str, retry_same_key: bool = False):
        super().__init__("receipt_no", message_en, message_hi)
        self.retry_same_key = retry_same_key


def refund_key(receipt_no: str) -> str:
    return f"emitra-refund-{receipt_no}"


def cancel_refund_key(receipt_no: str) -> str:
    """Stripe's idempotency key of a cancelled booking's refund: the same receipt, one refund."""
    return f"emitra-cancel-refund-{receipt_no}"


def cancel_entry_key(receipt_no: str) -> str:
    """The ledger entry of a cancelled booking's refund to the card (a ``refund:`` key, which the
    weekly reconciliation reads as a card refund)."""
    return f"refund:cancel:{receipt_no}"


#: the states of a cancelled booking's refund in which Stripe has made, or may have made, it
_CANCEL_REFUND_LIVE = ("requested", "unknown", "succeeded", "pending")


def cancel_refund_paise(payment: Payment) -> int:
    """What a cancel at the counter refunded (or may have refunded) to this card; 0 if none."""
    if payment.details.get("cancel_refund_state") not in _CANCEL_REFUND_LIVE:
        return 0
    return int(payment.details.get("cancel_refund_paise") or 0)


async def refund_cancelled_booking(actor: audit.Actor, payment: Payment, request: ServiceRequest, paise: int,
                                   partner: str, partner_reference: str) -> dict[str, Any]:
    """Refund ``paise`` (the partner's refund of a booking it has just cancelled) to the card the
    booking was paid with; return Stripe's refund. Nothing is booked here: the counter books it
    with the cancellation (core/counter.cancel). A partial refund of the PaymentIntent, with the
    key :func:`cancel_refund_key`, so cancelling again after a failure refunds once; no transfer
    is reversed: the LSP keeps its share of the service charge, which is not refunded.

    Stripe silent or failing (5xx): :class:`ProviderBusy`, cancel again. Stripe refusing, or a
    refund that did not go through: :class:`CounterError` for the Society. Either way the partner
    has cancelled and nothing is booked, and the operator is told so (no cash is to be paid)."""
    receipt_no = request.receipt_no or ""
    key = cancel_refund_key(receipt_no)
    s = stripe_api.settings()  # checked before the partner was asked (core/counter.cancel)
    said = f"{partner} cancelled the booking (reference {partner_reference})"
    said_hi = f"{partner} ने बुकिंग रद्द कर दी (संदर्भ {partner_reference})"
    payment.details = {**payment.details, "cancel_refund_state": "requested", "cancel_refund_key": key, "cancel_refund_paise": paise}
    await _save(actor, payment, request, "card.cancel_refund_requested",
                {"idempotency_key": key, "refund_paise": paise, "partner_reference": partner_reference})
    try:
        result = await stripe_api.create_refund(
            s, intent_id=payment.reference, idempotency_key=key, reverse_transfer=False, amount_paise=paise,
            metadata={"receipt_no": receipt_no, "why": "booking cancelled at the counter", "partner_reference": partner_reference[:100]})
    except stripe_api.StripeFailure as exc:
        payment.details = {**payment.details, "cancel_refund_state": "unknown" if exc.kind in ("unreachable", "server") else "refused",
                           "cancel_refund_error": exc.message[:300]}
        await _save(actor, payment, request, "card.cancel_refund_not_made", {"error": exc.message[:300], "kind": exc.kind})
        if exc.kind in ("unreachable", "server"):
            raise ProviderBusy(
                "refund",
                f"{said}, but Stripe did not answer the refund of {format_paise(paise)} to the card ({exc.message[:120]}). "
                "Nothing was booked here and no cash is to be paid. Cancel it again in a minute: the same refund is asked of "
                "Stripe again, so the card is refunded once.",
                f"{said_hi}, पर कार्ड पर {format_paise(paise)} के रिफंड का Stripe ने जवाब नहीं दिया। यहाँ कुछ दर्ज नहीं हुआ और "
                "कोई नकद नहीं देना है। एक मिनट बाद इसे फिर से रद्द करें: Stripe से वही रिफंड फिर माँगा जाता है, इसलिए कार्ड पर "
                "रिफंड एक ही बार होगा।") from None
        raise CounterError(
            "refund",
            f"{said}, but Stripe refused the refund of {format_paise(paise)} to the card ({exc.http_status or exc.kind}: "
            f"{exc.message[:160]}). Nothing was booked here and no cash is to be paid: tell the District e-Mitra Society, "
            "which refunds the card.",
            f"{said_hi}, पर Stripe ने कार्ड पर {format_paise(paise)} का रिफंड अस्वीकार किया ({exc.http_status or exc.kind})। "
            "यहाँ कुछ दर्ज नहीं हुआ और कोई नकद नहीं देना है: ज़िला ई-मित्र सोसाइटी को बताएँ, जो कार्ड पर रिफंड करेगी।") from None
    status, refund_id = str(result.get("status", "")), str(result.get("id", ""))
    try:
        amount = stripe_api.paise_from_minor(result.get("amount"), result.get("currency", ""))
    except ValueError:
        amount = -1
    if status not in ("succeeded", "pending") or amount != paise:
        payment.details = {**payment.details, "cancel_refund_state": "refused", "cancel_refund_id": refund_id,
                           "cancel_refund_error": f"status {status}, amount {amount}"}
        await _save(actor, payment, request, "card.cancel_refund_not_made", {"refund": refund_id, "status": status, "amount_paise": amount})
        raise CounterError(
            "refund",
            f"{said}, but Stripe did not refund {format_paise(paise)} to the card (refund {refund_id}: {status}, "
            f"{amount} paise). Nothing was booked here and no cash is to be paid: tell the District e-Mitra Society.",
            f"{said_hi}, पर Stripe ने कार्ड पर {format_paise(paise)} का रिफंड नहीं किया (रिफंड {refund_id}: {status})। "
            "यहाँ कुछ दर्ज नहीं हुआ और कोई नकद नहीं देना है: ज़िला ई-मित्र सोसाइटी को बताएँ।")
    payment.details = {**payment.details, "cancel_refund_state": status, "cancel_refund_id": refund_id, "cancel_refund_error": ""}
    await _save(actor, payment, request, "card.cancel_refund_created", {"refund": refund_id, "status": status, "refund_paise": paise})
    return result


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
    if cancel_refund_paise(payment):
        raise RefundError(f"Booking {receipt_no} was cancelled at the counter and {format_paise(cancel_refund_paise(payment))} "
                          "was refunded to the card; the rest is the service charge, which is not refunded.",
                          f"बुकिंग {receipt_no} काउंटर पर रद्द हुई और कार्ड पर {format_paise(cancel_refund_paise(payment))} वापस किए "
                          "गए; शेष सेवा शुल्क है, जो वापस नहीं होता।")
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
        by_cancel = cancel_refund_paise(fresh)
        if by_cancel and refunded_paise == by_cancel:  # the refund of a booking cancelled at the counter, which books it
            booked = await LedgerEntry.exists(idempotency_key=cancel_entry_key(request.receipt_no))
            await audit.record(actor, "card.cancel_refund_confirmed", fresh, district_id=request.district_id,
                               counter_id=request.counter_id, detail={**detail, "booked": booked})
            return "cancel_refund_booked" if booked else "cancel_refund_not_booked_yet"
        if by_cancel or refunded_paise < fresh.amount_paise:  # (more than the cancel's: a refund from the Dashboard besides)
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


# -- finishing a cancel whose refund to the card was not made (decision 73) ------------------------

#: what :func:`finish_cancel_refunds` says of each booking
FINISHED, ALREADY_FINISHED, FAILING, REFUSED = "finished", "already_finished", "failing", "refused"


@dataclass
class WaitingRefund:
    """A booking cancelled at the partner whose refund to the card is not booked here: the cancel's
    Stripe call failed, its answer was lost, or its write failed after Stripe refunded (decision 69).

    ``stripe_refunded``: Stripe has said it made the refund (its answer, or its ``charge.refunded``
    event, ``card.cancel_refund_confirmed`` in the audit log), so finishing only books it.
    ``refused``: Stripe's last answer was a refusal, which it keeps under the key."""

    payment: Payment
    request: ServiceRequest
    counter_code: str
    refund_paise: int
    state: str
    error: str
    stripe_refunded: bool
    attempted_at: Any = None  # when the cancel first asked Stripe (the partner had cancelled)

    @property
    def receipt_no(self) -> str:
        return self.request.receipt_no or ""

    @property
    def refused(self) -> bool:
        return self.state == "refused" and not self.stripe_refunded


@dataclass
class FinishedRefund:
    """The outcome of finishing one waiting refund: :data:`FINISHED` (booked now),
    :data:`ALREADY_FINISHED` (someone finished it first), :data:`FAILING` (Stripe or the partner still
    failing: try again later) or :data:`REFUSED` (Stripe refuses it: the Society's to finish by hand)."""

    receipt_no: str
    outcome: str
    refund_paise: int
    message_en: str
    message_hi: str
    refund_id: str = ""


def _refund_scope_refusal(user: User) -> RefundError:
    return RefundError(f"Only the Society's admin, an LSP admin or an operator finishes refunds to the card; {user.username} may not.",
                       f"कार्ड पर रिफंड केवल सोसाइटी के एडमिन, एलएसपी एडमिन या ऑपरेटर पूरे करते हैं; {user.username} नहीं कर सकते।")


async def _counter_scope(user: User | None) -> dict[str, Any]:
    """Which counters' bookings ``user`` sees and finishes: the Society's admin its district's, an
    LSP admin its LSP's counters', an operator their counter's (whose cancel it finishes; no more
    than cancelling again at the counter would). No user (the system): all."""
    if user is None:
        return {}
    if user.role == Role.SOCIETY_ADMIN:
        return {"district_id": user.district_id}
    if user.role == Role.LSP_ADMIN:
        return {"counter_id__in": list(await Counter.filter(lsp_id=user.lsp_id).values_list("id", flat=True))}
    if user.role == Role.OPERATOR:
        return {"counter_id": user.counter_id}
    raise _refund_scope_refusal(user)


async def waiting_cancel_refunds(user: User | None, receipts: list[str] | None = None) -> list[WaitingRefund]:
    """The bookings whose cancel reached the partner and Stripe but whose refund to the card is not
    booked (no ``refund:cancel:<receipt>`` entry, the request not cancelled), among those ``user``
    may see (:func:`_counter_scope`), oldest first. Found by the audit record every such attempt
    writes before Stripe is asked (``card.cancel_refund_requested``), then checked against the
    payment's marker and the ledger."""
    scope = await _counter_scope(user)
    attempted: dict[int, Any] = {}
    for object_id, at in await AuditLog.filter(action="card.cancel_refund_requested", object_type="Payment", **scope) \
            .order_by("id").values_list("object_id", "at"):
        if str(object_id).isdigit():
            attempted.setdefault(int(object_id), at)
    ids = set(attempted)
    if not ids:
        return []
    wanted = sorted(ids)
    payments: list[Payment] = []
    for start in range(0, len(wanted), 500):  # every card cancel ever made has the record: asked in slices, under any parameter limit
        query = Payment.filter(id__in=wanted[start:start + 500], method="card", status="received") \
            .exclude(request__status=RequestStatus.CANCELLED)
        if receipts is not None:
            query = query.filter(request__receipt_no__in=[r.strip().upper() for r in receipts])
        payments += [p for p in await query.order_by("id").prefetch_related("request", "request__counter") if p.details.get("cancel_refund_key")]
    if not payments:
        return []
    booked = set(await LedgerEntry.filter(idempotency_key__in=[cancel_entry_key(p.request.receipt_no or "") for p in payments])
                 .values_list("idempotency_key", flat=True))
    confirmed = set(await AuditLog.filter(action="card.cancel_refund_confirmed", object_type="Payment",
                                          object_id__in=[str(p.id) for p in payments]).values_list("object_id", flat=True))
    return [WaitingRefund(p, p.request, p.request.counter.code, int(p.details.get("cancel_refund_paise") or 0),
                          str(p.details.get("cancel_refund_state", "")), str(p.details.get("cancel_refund_error", "")),
                          str(p.details.get("cancel_refund_state", "")) in ("succeeded", "pending") or str(p.id) in confirmed,
                          attempted.get(p.id))
            for p in payments if cancel_entry_key(p.request.receipt_no or "") not in booked]


async def finish_cancel_refunds(actor: audit.Actor, receipts: list[str] | None = None) -> list[FinishedRefund]:
    """Finish every waiting refund ``actor`` may see (or those of ``receipts``) exactly as the
    operator's second cancel would: through ``core/counter.cancel`` itself (the partner answers its
    earlier cancellation, Stripe the same refund under the same key, and the cancel books it once,
    in its own transaction, re-reading the request under a lock), one booking after another, each
    reported. A run together with another run or with the operator's cancel books each once."""
    from emitra.core import counter as counter_core

    waiting = await waiting_cancel_refunds(actor.user, receipts)
    if waiting:
        try:
            stripe_api.settings()
        except stripe_api.StripeConfigError as exc:
            raise RefundError(f"Refunds to the card need Stripe to be set up here ({exc.setting}); nothing was done.",
                              f"कार्ड पर रिफंड के लिए यहाँ Stripe की व्यवस्था चाहिए ({exc.setting}); कुछ नहीं किया गया।") from None
    return [await _finish_one(actor, w, counter_core) for w in waiting]


async def _finish_one(actor: audit.Actor, waiting: WaitingRefund, counter_core: Any) -> FinishedRefund:
    receipt_no, paise = waiting.receipt_no, waiting.refund_paise
    key = cancel_entry_key(receipt_no)
    request = await ServiceRequest.get(id=waiting.request.id)
    if request.status == RequestStatus.CANCELLED or await LedgerEntry.exists(idempotency_key=key):
        return _already(receipt_no, paise)
    counter = await Counter.get(id=request.counter_id)
    try:
        await counter_core.cancel(actor, counter, request, "refund to the card finished after a failed attempt (decision 73)", finishing=True)
    except ProviderBusy as exc:
        return FinishedRefund(receipt_no, FAILING, paise, exc.message_en, exc.message_hi)
    except CounterError as exc:
        fresh = await Payment.get(id=waiting.payment.id)
        if exc.field == "refund" and fresh.details.get("cancel_refund_state") == "refused":
            said = str(fresh.details.get("cancel_refund_error", ""))[:200]
            return FinishedRefund(
                receipt_no, REFUSED, paise,
                f"Stripe refuses this refund ({said}) and keeps that answer under its key, so asking again changes nothing: the "
                "District e-Mitra Society must refund the card by hand (from Stripe's Dashboard) and book it. No cash is to be paid.",
                f"Stripe इस रिफंड को अस्वीकार करता है ({said}) और यही उत्तर अपनी कुंजी के साथ रखता है, इसलिए फिर माँगने से कुछ नहीं "
                "बदलेगा: ज़िला ई-मित्र सोसाइटी को कार्ड पर रिफंड हाथ से (Stripe के डैशबोर्ड से) करना और दर्ज करना होगा। कोई नकद नहीं देना है।")
        return FinishedRefund(receipt_no, FAILING, paise, exc.message_en, exc.message_hi)
    done = await Payment.get_or_none(request_id=request.id, method="card_refund")
    if done is None:  # cancelled at the same moment by another run or at the counter, which booked it
        return _already(receipt_no, paise)
    finished_by = await AuditLog.filter(action="request.cancelled", object_type="ServiceRequest", object_id=str(request.id)) \
        .order_by("-id").values_list("detail", flat=True)
    if not finished_by or not (finished_by[0] or {}).get("finished_by"):
        return _already(receipt_no, paise, done.reference)
    return FinishedRefund(receipt_no, FINISHED, paise,
                          f"Refunded {format_paise(paise)} to the card (refund {done.reference}) and booked; the citizen is sent an SMS.",
                          f"कार्ड पर {format_paise(paise)} वापस किए गए (रिफंड {done.reference}) और दर्ज हुए; नागरिक को SMS भेजा गया।",
                          done.reference)


def _already(receipt_no: str, paise: int, refund_id: str = "") -> FinishedRefund:
    return FinishedRefund(receipt_no, ALREADY_FINISHED, paise, "Already finished: the refund to the card is booked once.",
                          "पहले ही पूरा हो चुका: कार्ड पर रिफंड एक बार दर्ज है।", refund_id)

"""Refunds of cancelled UPI-paid bookings, owed to the citizen and paid by the Society's bank (decision 71).

A booking paid by UPI went to the Society's UPI collection account (``escrow:upi``), never into a
counter's drawer, and no API here sends money back to a citizen's UPI account. So when the counter
cancels such a booking (``core/counter.cancel``) the drawer pays nothing: the partner's refund is
booked as owed to the citizen, in the cancel's transaction::

    refund:cancel:<receipt>     Dr dept_payable:<partner>   Cr upi_refund_payable:<receipt>

with a payment ``upi_refund`` (negative, ``pending``) for the receipt, the tracking page and the
Society's list (:func:`owed`). The Society transfers the money from its UPI collection account to
the account the citizen paid from (the UTR of the payment finds it), and records the transfer with
its bank reference (:func:`pay`: the Society's page ``/society/upi-refunds`` or ``emitra upi-refunds
pay``)::

    upirefund:<bank reference>  Dr upi_refund_payable:<receipt>   Cr escrow:upi

which the weekly reconciliation reads as the bank debit of kind ``upi_refund`` and pairs with the
statement's line by the bank reference. One account per receipt: what is owed to one citizen is
its balance, never more is paid, and a reference records one transfer. The citizen is sent an SMS
through the outbox, and the payment becomes ``refunded`` once nothing is owed.

A transfer the citizen's bank sends back (the account closed, a wrong account) comes in on the
statement as a credit with its own bank reference; the Society records it (:func:`bounced`: the
page's form beside each refund sent, or ``emitra upi-refunds bounced``, decision 75)::

    upirefund-return:<return reference>   Dr escrow:upi   Cr upi_refund_payable:<receipt>

so the refund is owed again (back on the list, noted as returned, the payment ``pending``), the
citizen is told by SMS to bring the right account details, and the reconciliation pairs the credit
(kind ``upi_refund_return``). What is owed shows its age, and one owed longer than
``EMITRA_UPI_REFUND_DUE_DAYS`` working days is overdue (:func:`owed`, :func:`overdue_count`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from emitra.core import audit, ledger, notify
from emitra.core.db import on_postgres
from emitra.core.dayend import MoneyError, check_paise, tz
from emitra.core.models import Citizen, Counter, LedgerEntry, Payment, Posting, Role, ServiceRequest
from emitra.core.money import bank_reference as normal_reference
from emitra.core.money import format_paise

METHOD = "upi_refund"
ACCOUNT_PREFIX = "upi_refund_payable:"
KEY_PREFIX = "upirefund:"
COLLECTION_ACCOUNT = "escrow:upi"
#: the outbox's event of the citizen's message that the refund was sent
SENT_EVENT = "upi_refund_sent"
#: and of the message at the cancel, that it will be sent
OWED_EVENT = "upi_refund_owed"
#: the entry of a transfer the citizen's bank returned, by the return's own bank reference (decision 75)
RETURN_KEY_PREFIX = "upirefund-return:"
#: and the message telling the citizen to bring the right account details
RETURNED_EVENT = "upi_refund_returned"
#: the longest bank reference of a transfer recorded (:func:`pay`): the citizen's SMS says it whole, in
#: two DLT variables of 30 characters (decision 165)
REFERENCE_MAX = 60


def account(receipt_no: str) -> str:
    """What the Society owes the citizen of this receipt: one account per cancelled booking."""
    return f"{ACCOUNT_PREFIX}{receipt_no}"


def entry_key(reference: str) -> str:
    """The transfer's entry: one bank reference, one transfer (to one citizen)."""
    return f"{KEY_PREFIX}{reference}"


def return_key(reference: str) -> str:
    """A returned transfer's entry: the return credit's bank reference, recorded once."""
    return f"{RETURN_KEY_PREFIX}{reference}"


def upi_details(paid_by: Payment) -> dict[str, str]:
    """What identifies the citizen's UPI payment to the Society's bank: the UTR the confirmation
    brought (``provider_reference``) and the payer's VPA if the confirmation gave one. Neither is
    masked: the Society needs them whole to find the account to pay back."""
    details = paid_by.details or {}
    out = {"utr": str(details.get("provider_reference") or details.get("utr") or "")}
    vpa = details.get("payer_vpa") or details.get("vpa")
    if isinstance(vpa, str) and vpa:
        out["payer_vpa"] = vpa
    return out


def cancel_texts(paise: int, receipt_no: str) -> tuple[str, str]:
    """What the counter, the API and the citizen's message say of the refund at the cancel."""
    amount = format_paise(paise)
    return (f"The refund of {amount} for receipt {receipt_no} will reach the citizen's UPI account from the District "
            "e-Mitra Society by bank transfer. No cash is paid at the counter.",
            f"रसीद {receipt_no} का {amount} का रिफंड ज़िला ई-मित्र सोसायटी की ओर से बैंक हस्तांतरण द्वारा नागरिक के यूपीआई "
            "खाते में आएगा। काउंटर पर कोई नकद नहीं दिया जाता।")


def refund_texts(payment: Payment, receipt_no: str) -> tuple[str, str]:
    """What the API says of a UPI refund payment: owed (as at the cancel), or sent, when and how."""
    if payment.status != "refunded":
        return cancel_texts(-payment.amount_paise, receipt_no)
    amount = format_paise(-payment.amount_paise)
    on = payment.confirmed_at.astimezone(tz()).strftime("%d-%m-%Y") if payment.confirmed_at else ""
    return (f"The District e-Mitra Society sent the refund of {amount} for receipt {receipt_no} to the citizen's UPI account "
            f"on {on} (bank reference {payment.reference}).",
            f"ज़िला ई-मित्र सोसायटी ने रसीद {receipt_no} का {amount} का रिफंड {on} को नागरिक के यूपीआई खाते में भेज दिया "
            f"(बैंक संदर्भ {payment.reference})।")


async def book_owed(request: ServiceRequest, provider_slug: str, service_code: str, paid_by: Payment, refund: int) -> Payment:
    """Book a cancelled UPI-paid booking's refund as owed to the citizen (inside the cancel's
    transaction, core/counter.cancel): the partner owes back what it refunded, the Society owes it
    to the citizen; ``escrow:upi`` and the drawer are not touched until the Society transfers it.
    The fee shares stay, as for a card (decision 69): the service charge is not refunded. The
    citizen is told by SMS that the Society will transfer it."""
    from emitra.core import refunds

    receipt_no = request.receipt_no or ""
    payment = await Payment.create(
        district_id=request.district_id, request=request, method=METHOD, amount_paise=-refund, status="pending",
        details={"upi_payment": paid_by.id, **upi_details(paid_by), "owed_paise": refund})
    await ledger.post(request.district_id, refunds.cancel_entry_key(receipt_no),
                      f"{service_code} cancelled {receipt_no}: refund owed to the citizen's UPI account",
                      [ledger.debit(f"dept_payable:{provider_slug}", refund), ledger.credit(account(receipt_no), refund)],
                      request.id)
    amount = format_paise(refund)
    await _tell_citizen(request, OWED_EVENT, {"number": receipt_no, "amount": amount},
                        f"e-Mitra {receipt_no}: refund to your UPI account", f"ई-मित्र {receipt_no}: यूपीआई खाते में रिफंड")
    return payment


async def _tell_citizen(request: ServiceRequest, event: str, values: dict[str, str], subject_en: str, subject_hi: str) -> None:
    """The citizen's SMS ``event`` (its template in notify.SMS_TEMPLATES, decision 163) with ``values``."""
    citizen = await Citizen.get(id=request.citizen_id)
    mobile = citizen.mobile or str((request.form_data or {}).get("mobile") or "")
    if mobile:  # in the language the citizen chose when served (decision 99)
        lang = notify.request_lang(request)
        await notify.queue_sms(event, mobile, values, subject=subject_hi if lang == "hi" else subject_en, lang=lang,
                               district_id=request.district_id)


@dataclass
class Owed:
    """One cancelled UPI-paid booking's refund, as the Society's list shows it."""

    payment: Payment
    receipt_no: str
    counter_code: str
    counter_name: str
    cancelled_at: dt.datetime | None
    refund_paise: int  # what the cancel booked as owed
    owed_paise: int  # still owed (the account's balance)
    utr: str
    payer_vpa: str
    sent: list[dict[str, Any]]  # the transfers recorded: reference, at, amount
    returned: list[dict[str, Any]]  # the transfers the bank sent back: transfer, reference, on, amount_paise (decision 75)
    days_owed: int = 0  # calendar days since the cancel
    overdue: bool = False  # owed longer than EMITRA_UPI_REFUND_DUE_DAYS working days
    counter_name_hi: str = ""  # the counter's name in Hindi ("" : its name)

    @property
    def returnable(self) -> list[dict[str, Any]]:
        """The transfers sent that the bank has not sent back in full: those a return may still be
        recorded against (a refund sent in part is still owed, and its transfer may bounce)."""
        back: dict[str, int] = {}
        for r in self.returned:
            back[r["transfer"]] = back.get(r["transfer"], 0) + int(r["amount_paise"])
        return [t for t in self.sent if back.get(t["reference"], 0) < int(t["amount_paise"])]


def working_days_between(start: dt.date, end: dt.date, closed: Collection[dt.date]) -> int:
    """The working days after ``start`` up to and including ``end``: Monday to Saturday, less the
    ``closed`` days, the holidays of the district whose Society counts them (the state-wide
    ``EMITRA_HOLIDAYS`` and the district's own: :func:`emitra.core.holidays.closed_days`, read once
    for a whole list; decision 109)."""
    days = (end - start).days
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    working = weeks * 6 + sum(1 for n in range(1, rest + 1) if (start + dt.timedelta(days=weeks * 7 + n)).weekday() != 6)
    return working - sum(1 for h in closed if start < h <= end and h.weekday() != 6)


def age(cancelled_at: dt.datetime | None, closed: Collection[dt.date], today: dt.date | None = None) -> tuple[int, bool]:
    """How long a refund has been owed: calendar days since the cancel, and whether that is more than
    ``EMITRA_UPI_REFUND_DUE_DAYS`` working days (overdue) in its district (``closed``: the district's
    holidays, :func:`working_days_between`). Counted from the cancel even for a transfer the bank
    returned: the citizen has waited since then."""
    from emitra.core import clock, config

    if cancelled_at is None:
        return 0, False
    today = today or clock.today()
    since = cancelled_at.astimezone(tz()).date()
    return max((today - since).days, 0), working_days_between(since, today, closed) > config.upi_refund_due_days()


def overdue_before(closed: Collection[dt.date], today: dt.date | None = None) -> dt.datetime:
    """The moment before which a refund owed today was cancelled more than
    ``EMITRA_UPI_REFUND_DUE_DAYS`` working days ago in the district whose holidays are ``closed``
    (:func:`age`'s rule, as a bound an SQL count can compare the cancel's time with: the Society's
    panel, core/society_today.py)."""
    from emitra.core import clock, config
    from emitra.core.dayend import day_start

    today = today or clock.today()
    due, day = config.upi_refund_due_days(), today
    while working_days_between(day, today, closed) <= due:
        day -= dt.timedelta(days=1)
    return day_start(day + dt.timedelta(days=1))  # cancelled on ``day`` or before: overdue


async def transfers(receipt_no: str) -> list[dict[str, Any]]:
    """The transfers recorded to the citizen of this receipt, oldest first: reference, time, amount."""
    rows = await ledger.rows(
        'SELECT e."idempotency_key" AS k, e."created_at" AS at, p."amount_paise" AS paise FROM "posting" p '
        'JOIN "ledger_entry" e ON e."id" = p."entry_id" WHERE p."account" = ? AND p."amount_paise" > 0 ORDER BY e."id"',
        [account(receipt_no)])
    return [{"reference": r["k"].removeprefix(KEY_PREFIX), "at": ledger.as_datetime(r["at"]), "amount_paise": int(r["paise"])} for r in rows]


async def _owed_of(payment: Payment, closed: Collection[dt.date]) -> Owed:
    request = payment.request
    counter = await Counter.get(id=request.counter_id)
    receipt_no = request.receipt_no or ""
    details = payment.details or {}
    days, late = age(payment.created_at, closed) if payment.status == "pending" else (0, False)
    return Owed(payment, receipt_no, counter.code, counter.name, payment.created_at, -payment.amount_paise,
                -await ledger.balance(account(receipt_no)), str(details.get("utr") or ""), str(details.get("payer_vpa") or ""),
                await transfers(receipt_no), list(details.get("returned") or []), days, late, counter.name_hi)


async def owed(district_id: int, *, sent_too: int = 0) -> tuple[list[Owed], list[Owed]]:
    """The district's UPI refunds still owed (oldest first: the longest owed, overdue or not, at the
    top), and the last ``sent_too`` sent (newest first). The district's holidays are read once for
    the list (decision 109)."""
    from emitra.core import holidays

    closed = await holidays.closed_days(district_id)
    pending = await Payment.filter(district_id=district_id, method=METHOD, status="pending").prefetch_related("request")
    waiting = [await _owed_of(p, closed) for p in sorted(pending, key=lambda p: (p.created_at, p.id))]
    done: list[Owed] = []
    if sent_too:
        for p in await Payment.filter(district_id=district_id, method=METHOD, status="refunded").order_by("-id").limit(sent_too) \
                .prefetch_related("request"):
            done.append(await _owed_of(p, closed))
    return waiting, done


async def refund_of(request: ServiceRequest) -> Payment | None:
    """The request's UPI refund payment, if its cancel booked one."""
    return await Payment.filter(request_id=request.id, method=METHOD).order_by("id").first()


@dataclass
class Sent:
    receipt_no: str
    amount_paise: int
    reference: str
    owed_paise: int  # still owed to the citizen after it
    repeated: bool = False


def _society_admin(actor: audit.Actor, district_id: int) -> None:
    user = actor.user
    if not (user is not None and user.active and user.role == Role.SOCIETY_ADMIN and user.district_id == district_id):
        raise MoneyError("actor", "Only the district Society's admin records a UPI refund sent to a citizen.",
                         "नागरिक को भेजा गया यूपीआई रिफंड केवल जिला सोसायटी के एडमिन दर्ज करते हैं।")


async def _booking(receipt_no: str, what_en: str, what_hi: str) -> tuple[str, ServiceRequest, Payment]:
    """The receipt number as stored, the cancelled UPI-paid booking and its refund payment; refused
    naming the receipt when it is not one (``what``: what the caller does with its refund)."""
    number = "".join((receipt_no or "").split()).upper()
    request = await ServiceRequest.get_or_none(receipt_no=number) if 0 < len(number) <= 24 else None
    payment = await refund_of(request) if request is not None else None
    if request is None or payment is None:
        raise MoneyError("receipt_no", f"No cancelled UPI-paid booking with receipt number {receipt_no!r}: only those have a UPI refund "
                                       f"{what_en} (`emitra upi-refunds list` shows what is owed).",
                         f"रसीद संख्या {receipt_no!r} की कोई रद्द यूपीआई बुकिंग नहीं है: केवल उन्हीं का यूपीआई रिफंड {what_hi}।")
    return number, request, payment


async def pay(actor: audit.Actor, receipt_no: str, reference: str, amount_paise: int | None = None, _retry: bool = True) -> Sent:
    """The Society transferred (part of) a cancelled UPI-paid booking's refund to the citizen's
    account: Dr ``upi_refund_payable:<receipt>`` / Cr ``escrow:upi`` (the UPI collection account the
    transfer leaves), key ``upirefund:<bank reference>``, audited ``upi.refund_sent``; the citizen
    is sent an SMS; the refund payment becomes ``refunded`` once nothing is owed. ``amount_paise``:
    what was transferred, by default all that is owed; never more. The same reference again with
    the same amount for the same receipt records nothing (a double click, a retried command);
    a reference already used otherwise is refused."""
    number, request, payment = await _booking(receipt_no, "to send", "भेजना होता है")
    _society_admin(actor, request.district_id)
    ref = normal_reference(reference)
    if not ref or len(ref) > REFERENCE_MAX:
        raise MoneyError("reference", f"Give the bank reference of the transfer to the citizen (1 to {REFERENCE_MAX} characters).",
                         f"नागरिक को किए गए हस्तांतरण का बैंक संदर्भ दें (1 से {REFERENCE_MAX} अक्षर)।")
    if amount_paise is not None:
        check_paise(amount_paise, "amount", allow_zero=False)
    acct, key = account(number), entry_key(ref)
    previous = await LedgerEntry.get_or_none(idempotency_key=key)
    if previous is not None:
        posted = sum(p for p in await Posting.filter(entry=previous, account=acct).values_list("amount_paise", flat=True))
        if not posted or (amount_paise is not None and posted != amount_paise):
            raise MoneyError("reference", f"Bank reference {ref} is already recorded for another transfer "
                                          f"({previous.memo[:120]}): nothing was recorded.",
                             f"बैंक संदर्भ {ref} किसी अन्य हस्तांतरण के लिए पहले से दर्ज है: कुछ दर्ज नहीं हुआ।")
        return Sent(number, posted, ref, -await ledger.balance(acct), repeated=True)
    try:
        async with in_transaction():
            # locked: two recordings at once must not both pass the check below
            locked = await Payment.select_for_update().get(id=payment.id) if on_postgres() else payment
            owed_now = -await ledger.balance(acct)
            amount = owed_now if amount_paise is None else amount_paise
            if owed_now <= 0:
                raise MoneyError("receipt_no", f"Nothing is owed to the citizen of {number} any more: its refund was sent.",
                                 f"{number} के नागरिक का अब कुछ देय नहीं है: उसका रिफंड भेजा जा चुका है।")
            if amount > owed_now:
                raise MoneyError("amount", f"{format_paise(amount)} is more than the {format_paise(owed_now)} owed to the citizen "
                                           f"of {number}.",
                                 f"{format_paise(amount)} रसीद {number} के नागरिक को देय {format_paise(owed_now)} से अधिक है।")
            await ledger.post(request.district_id, key, f"UPI refund to the citizen of {number} ref {ref}",
                              [ledger.debit(acct, amount), ledger.credit(COLLECTION_ACCOUNT, amount)], request.id)
            left = owed_now - amount
            locked.details = {**(locked.details or {}), "sent": [*(locked.details or {}).get("sent", []), ref]}
            fields = ["details"]
            if left == 0:
                locked.status, locked.reference, locked.confirmed_at = "refunded", ref, dt.datetime.now(dt.timezone.utc)
                fields += ["status", "reference", "confirmed_at"]
            await locked.save(update_fields=fields)
            await audit.record(actor, "upi.refund_sent", locked, district_id=request.district_id, counter_id=request.counter_id,
                               detail={"receipt_no": number, "amount_paise": amount, "reference": ref, "owed_after_paise": left})
            await _tell_citizen(
                request, SENT_EVENT, {"number": number, "amount": format_paise(amount), "reference": ref},
                f"e-Mitra {number}: refund sent", f"ई-मित्र {number}: रिफंड भेजा गया")
    except IntegrityError:  # the same reference recorded at the same moment: nothing was written here
        if _retry:  # read again: the other one's transfer is now there (repeated, or refused as another's)
            return await pay(actor, receipt_no, reference, amount_paise, _retry=False)
        raise
    return Sent(number, amount, ref, left)


async def overdue_count() -> int:
    """How many UPI refunds, in every district, have been owed longer than ``EMITRA_UPI_REFUND_DUE_DAYS``
    working days (``emitra ledger check``, decision 75), each counted with its own district's holidays
    (read in one query for every district, decision 109)."""
    from emitra.core import holidays

    owed = await Payment.filter(method=METHOD, status="pending").values_list("district_id", "created_at")
    closed = await holidays.closed_days_by_district(d for d, _ in owed)
    return sum(1 for district_id, at in owed if age(at, closed[district_id])[1])


@dataclass
class Returned:
    receipt_no: str
    amount_paise: int
    transfer_reference: str
    return_reference: str
    owed_paise: int  # owed to the citizen again, after it
    repeated: bool = False


def _returned_of(details: dict[str, Any], transfer: str) -> int:
    return sum(int(r.get("amount_paise") or 0) for r in details.get("returned") or [] if r.get("transfer") == transfer)


async def bounced(actor: audit.Actor, receipt_no: str, transfer_reference: str, return_reference: str,
                  amount_paise: int | None = None, _retry: bool = True) -> Returned:
    """The citizen's bank sent back the Society's transfer ``transfer_reference`` of the refund of
    ``receipt_no`` (the account closed, a wrong account): its credit on the statement has its own
    bank reference, ``return_reference``. Posts the reverse of the transfer, Dr ``escrow:upi`` / Cr
    ``upi_refund_payable:<receipt>``, key ``upirefund-return:<return reference>``, so the refund is
    owed again: back on the list, noted as returned (``details["returned"]``), the payment
    ``pending``; audited ``upi.refund_returned``; the citizen is told by SMS to bring the right
    account details to the counter or the Society. ``amount_paise``: what came back, by default
    what the transfer sent (less any earlier return of it); never more. The same return reference
    again, for the same transfer and amount, records nothing; one used otherwise is refused. The
    district Society's admin only (decision 75)."""
    from emitra.core import clock

    number, request, payment = await _booking(receipt_no, "that can come back", "लौट सकता है")
    _society_admin(actor, request.district_id)
    transfer, ref = normal_reference(transfer_reference), normal_reference(return_reference)
    sent = next((t for t in await transfers(number) if t["reference"] == transfer), None) if transfer else None
    if sent is None:
        recorded = ", ".join(t["reference"] for t in await transfers(number)) or "none"
        raise MoneyError("transfer", f"No transfer with bank reference {transfer_reference!r} is recorded to the citizen of {number} "
                                     f"(recorded: {recorded}): give the reference of the transfer that came back.",
                         f"रसीद {number} के नागरिक को बैंक संदर्भ {transfer_reference!r} का कोई हस्तांतरण दर्ज नहीं है (दर्ज: {recorded}): "
                         "लौटे हस्तांतरण का संदर्भ दें।")
    if not ref or len(ref) > 60:
        raise MoneyError("return_reference", "Give the bank reference of the return (the credit on the bank statement that brought "
                                             "the transfer back, 1 to 60 characters).",
                         "वापसी का बैंक संदर्भ दें (बैंक विवरण की वह जमा प्रविष्टि जिससे हस्तांतरण लौटा, 1 से 60 अक्षर)।")
    if amount_paise is not None:
        check_paise(amount_paise, "amount", allow_zero=False)
    acct, key = account(number), return_key(ref)
    previous = await LedgerEntry.get_or_none(idempotency_key=key)
    if previous is not None:
        posted = -sum(p for p in await Posting.filter(entry=previous, account=acct).values_list("amount_paise", flat=True))
        mine = any(r.get("reference") == ref and r.get("transfer") == transfer for r in (payment.details or {}).get("returned") or [])
        if not posted or not mine or (amount_paise is not None and posted != amount_paise):
            raise MoneyError("return_reference", f"Bank reference {ref} is already recorded for another return "
                                                 f"({previous.memo[:120]}): nothing was recorded.",
                             f"बैंक संदर्भ {ref} किसी अन्य वापसी के लिए पहले से दर्ज है: कुछ दर्ज नहीं हुआ।")
        return Returned(number, posted, transfer, ref, -await ledger.balance(acct), repeated=True)
    on = clock.today()
    try:
        async with in_transaction():
            # locked: two returns of one transfer at once must not both pass the check below
            locked = await Payment.select_for_update().get(id=payment.id) if on_postgres() else await Payment.get(id=payment.id)
            details = dict(locked.details or {})
            left_of_transfer = sent["amount_paise"] - _returned_of(details, transfer)
            amount = left_of_transfer if amount_paise is None else amount_paise
            if left_of_transfer <= 0:
                raise MoneyError("transfer", f"The transfer {transfer} to the citizen of {number} is already recorded as returned in full.",
                                 f"रसीद {number} के नागरिक को हस्तांतरण {transfer} पहले ही पूरा लौटा हुआ दर्ज है।")
            if amount > left_of_transfer:
                raise MoneyError("amount", f"{format_paise(amount)} is more than the {format_paise(left_of_transfer)} the transfer "
                                           f"{transfer} sent to the citizen of {number}.",
                                 f"{format_paise(amount)} हस्तांतरण {transfer} द्वारा रसीद {number} के नागरिक को भेजे गए "
                                 f"{format_paise(left_of_transfer)} से अधिक है।")
            await ledger.post(request.district_id, key, f"UPI refund to the citizen of {number} ref {transfer} returned by the bank ref {ref}",
                              [ledger.debit(COLLECTION_ACCOUNT, amount), ledger.credit(acct, amount)], request.id)
            owed_now = -await ledger.balance(acct)
            details["returned"] = [*details.get("returned", []),
                                   {"transfer": transfer, "reference": ref, "on": on.isoformat(), "amount_paise": amount}]
            locked.details, locked.status, locked.reference, locked.confirmed_at = details, "pending", "", None
            await locked.save(update_fields=["details", "status", "reference", "confirmed_at"])
            await audit.record(actor, "upi.refund_returned", locked, district_id=request.district_id, counter_id=request.counter_id,
                               detail={"receipt_no": number, "amount_paise": amount, "transfer": transfer, "reference": ref,
                                       "owed_after_paise": owed_now})
            await _tell_citizen(
                request, RETURNED_EVENT, {"number": number, "amount": format_paise(amount)},
                f"e-Mitra {number}: refund returned by your bank", f"ई-मित्र {number}: बैंक ने रिफंड लौटाया")
    except IntegrityError:  # the same return reference recorded at the same moment: nothing was written here
        if _retry:
            return await bounced(actor, receipt_no, transfer_reference, return_reference, amount_paise, _retry=False)
        raise
    return Returned(number, amount, transfer, ref, owed_now)


async def owed_accounts() -> dict[str, int]:
    """Every receipt's UPI refund still owed (``emitra ledger check``): account -> paise."""
    where, params = await ledger.key_prefix('"account"', ACCOUNT_PREFIX)
    rows = await ledger.rows(f'SELECT "account", SUM("amount_paise") AS total FROM "posting" WHERE {where} '
                             'GROUP BY "account" ORDER BY "account"', params)
    return {r["account"]: -int(r["total"]) for r in rows if int(r["total"] or 0)}

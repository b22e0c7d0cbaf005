"""Booking a bank statement line the ledger does not expect as the bank's charges or its interest
(docs/reconciliation.md §5, decision 156).

A bank statement line left *unmatched on the statements* because the bank took its charges (a
debit: SMS alerts, a cash-handling fee, GST on them) or paid interest (a credit) has no page of
its own that books it. :func:`book_line` books it from the line itself, the amount and the date
the line's, never typed:

    charges   Dr bank_charges    / Cr society_bank   (key ``bankcharges:<district>:<digest>``)
    interest  Dr society_bank    / Cr bank_interest  (key ``bankinterest:<district>:<digest>``)

dated at noon (local time) of the line's value date, so the next reconciliation of the week
matches the line to it: by the line's reference, which the entry's memo quotes (``ref «...»``,
read back by core/reconcile._key_refs), else by amount and date. The digest is of what makes the
line that bank line (its value date, amount, reference, narration, running balance, and which
of the district's lines alike in all of these it is), not of its row id: a second click, or the
same line in a later import, books nothing twice. The entry and its audit record
``statement.line_booked`` are written in one transaction, or nothing is.

A statement whose lines were booked is withdrawn only with its bookings reversed, when the user
asks for it (core/statement_withdraw.py, decision 161): :func:`bookings_of` finds them (by key,
whichever import of the line they were booked from), :func:`reverse_bookings` posts each one's
mirror entry ``reverse:<key>``, dated at the withdrawal. The same line imported again is then
booked under the key's next generation (``<key>#2``, :func:`ledger.key_again`), once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from emitra.core import audit, config, ledger, privacy
from emitra.core.models import District, LedgerEntry, Posting, StatementImport, StatementLine
from emitra.core.money import format_paise
from emitra.core.reconcile import local_date

#: what a line may be booked as: (the entry key's kind, the other account, the sign the line must have)
AS = {"charges": ("bankcharges", "bank_charges", -1), "interest": ("bankinterest", "bank_interest", 1)}
KEY_KINDS = tuple(kind for kind, _a, _s in AS.values())
MIN_REASON, MAX_REASON = 5, 200
_AS_HI = {"charges": "बैंक शुल्क", "interest": "बैंक ब्याज"}


class BookRefused(ValueError):
    """A booking refused: ``field`` (``line``, ``book_as`` or ``reason``), ``message_en``,
    ``message_hi``. Nothing was booked."""

    def __init__(self, field: str, message_en: str, message_hi: str):
        self.field, self.message_en, self.message_hi = field, message_en, message_hi
        super().__init__(f"{field}: {message_en}")


@dataclass(frozen=True)
class Booked:
    """What :func:`book_line` did: the entry (``already``: booked before, nothing booked now)."""

    entry_id: int
    key: str
    book_as: str
    amount_paise: int  # the line's: + a credit (interest), - a debit (charges)
    value_date: dt.date
    line_no: int
    import_id: int
    already: bool


def _clean_reason(text: object) -> str:
    reason = privacy.mask_aadhaar_in_text(" ".join(str(text or "").split()))
    if len(reason) < MIN_REASON:
        raise BookRefused("reason", f"Say in at least {MIN_REASON} characters what the line is (for example 'SMS alert charges for "
                          "November'): it is the entry's memo and is kept in the audit log.",
                          f"कम से कम {MIN_REASON} अक्षरों में लिखें कि यह पंक्ति क्या है (जैसे 'नवंबर के SMS अलर्ट शुल्क'): यह प्रविष्टि का "
                          "विवरण है और ऑडिट लॉग में रखा जाता है।")
    if len(reason) > MAX_REASON:
        raise BookRefused("reason", f"The reason is {len(reason)} characters long; keep it to {MAX_REASON}.",
                          f"कारण {len(reason)} अक्षरों का है; इसे {MAX_REASON} अक्षरों तक रखें।")
    return reason


def line_digest(value_date: dt.date, amount_paise: int, reference: str, description: str, balance_paise: int | None, nth: int) -> str:
    """What names the bank line whatever import holds it (24 hex digits)."""
    text = "\x1f".join([value_date.isoformat(), str(amount_paise), reference, description,
                        "" if balance_paise is None else str(balance_paise), str(nth)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


async def _nth(line: StatementLine, district_id: int) -> int:
    """Which of the district's live bank lines alike in date, amount, reference, narration and
    balance this one is (0 for the first): two ₹17.70 SMS charges on a day are two bookings."""
    alike = await StatementLine.filter(
        statement__district_id=district_id, statement__source="bank", statement__withdrawn_at=None, value_date=line.value_date,
        amount_paise=line.amount_paise, reference=line.reference, description=line.description, balance_paise=line.balance_paise,
    ).order_by("statement_id", "line_no").values_list("id", flat=True)
    return list(alike).index(line.id) if line.id in alike else 0


def memo_of(book_as: str, line: StatementLine) -> str:
    """The entry's memo: what it is and the line it books (the reference quoted, for the matching)."""
    words = "bank charges" if book_as == "charges" else "bank interest"
    ref = f", ref «{line.reference}»" if line.reference else ""
    return f"{words}: statement line {line.line_no} of import #{line.statement_id} ({line.value_date:%d-%m-%Y}{ref})"


async def _live_key(base: str) -> tuple[str, LedgerEntry | None]:
    """The key the line's booking has now, and its entry if it is booked: ``base`` itself, else,
    once the booking under it was reversed (its statement withdrawn, decision 161), the first of its
    next generations (:func:`ledger.key_again`) not reversed. A line is booked a few times at most."""
    generation = 1
    while True:
        key = ledger.key_again(base, generation)
        existing = await LedgerEntry.get_or_none(idempotency_key=key)
        if existing is None or not await LedgerEntry.exists(idempotency_key=ledger.reversal_key(key)):
            return key, existing
        generation += 1


def _line_refused(en: str, hi: str) -> BookRefused:
    return BookRefused("line", en, hi)


async def book_line(actor: audit.Actor, district_id: int, line_id: int, book_as: str, reason: object) -> Booked:
    """Book bank statement line ``line_id`` of the district as the bank's ``charges`` (a debit) or
    ``interest`` (a credit), with ``reason`` (5 to 200 characters, Aadhaar numbers masked). Refused
    (:class:`BookRefused`, nothing booked) for a line of another district or of a Stripe file, of a
    withdrawn import, one a recorded run matched, or one of the other side (a credit as charges).
    Booked already: the entry booked before, ``already`` True, nothing booked again."""
    if book_as not in AS:
        raise BookRefused("book_as", "Choose what the line is: the bank's charges (a debit) or its interest (a credit).",
                          "चुनें कि यह पंक्ति क्या है: बैंक का शुल्क (डेबिट) या उसका ब्याज (क्रेडिट)।")
    kind, account, sign = AS[book_as]
    text = _clean_reason(reason)
    district = await District.get(id=district_id)
    async with in_transaction():
        # the import locked, then the line: two clicks at once book it once (the second waits, then
        # finds the entry), and a withdrawal of the import (which locks it first, decision 161) either
        # waits for the booking and finds it, or is waited for and the booking is refused
        statement_ids = await StatementLine.filter(id=line_id).values_list("statement_id", flat=True)
        imp = await StatementImport.filter(id=statement_ids[0]).select_for_update().first() if statement_ids else None
        line = await StatementLine.filter(id=line_id).select_for_update().first() if imp is not None else None
        if line is None or imp is None or imp.district_id != district_id or imp.source != "bank":
            raise _line_refused(f"No bank statement line {line_id} in district {district.code}: book a line from the week's list of lines "
                                "unmatched on the statements.",
                                f"ज़िला {district.code} में बैंक विवरण की पंक्ति {line_id} नहीं है: सप्ताह की बिना मिलान वाली पंक्तियों की सूची से "
                                "पंक्ति दर्ज करें।")
        where = f"line {line.line_no} of import #{imp.id}"
        where_hi = f"आयात #{imp.id} की पंक्ति {line.line_no}"
        if imp.withdrawn_at is not None:
            raise _line_refused(f"The {where} was withdrawn by {imp.withdrawn_by}: nothing of it is booked.",
                                f"{where_hi} {imp.withdrawn_by} ने वापस ले ली है: उसकी कोई राशि दर्ज नहीं होती।")
        digest = line_digest(line.value_date, line.amount_paise, line.reference, line.description, line.balance_paise,
                             await _nth(line, district_id))
        key, existing = await _live_key(f"{kind}:{district.code}:{digest}")
        if existing is not None:  # a second click, or the same bank line imported again
            return Booked(existing.id, key, book_as, line.amount_paise, line.value_date, line.line_no, imp.id, True)
        if line.matched_id:
            raise _line_refused(f"The {where} is matched already, to {line.matched_id} (a recorded run): it is in the books. "
                                "Book only a line the week's report lists as unmatched on the statements.",
                                f"{where_hi} का मिलान पहले ही {line.matched_id} से हो चुका है (दर्ज मिलान): यह खातों में है। केवल वही पंक्ति "
                                "दर्ज करें जिसे सप्ताह की रिपोर्ट विवरणों में बिना मिलान बताती है।")
        if line.amount_paise * sign <= 0:
            side, side_hi = ("a credit (money in)", "क्रेडिट (आई राशि)") if line.amount_paise > 0 else ("a debit (money out)", "डेबिट (गई राशि)")
            right = "interest" if book_as == "charges" else "charges"
            raise BookRefused("book_as", f"The {where} is {side} of {format_paise(abs(line.amount_paise))}: it cannot be the bank's "
                              f"{book_as}. Book it as {right}, or, if it is neither, record it through the page that owns it.",
                              f"{where_hi} {format_paise(abs(line.amount_paise))} का {side_hi} है: यह {_AS_HI[book_as]} नहीं हो सकता। "
                              f"इसे {_AS_HI[right]} के रूप में दर्ज करें, या यदि यह दोनों में से कोई नहीं है तो उसके अपने पृष्ठ से दर्ज करें।")
        paise = abs(line.amount_paise)
        lines = ([ledger.debit(account, paise), ledger.credit("society_bank", paise)] if book_as == "charges"
                 else [ledger.debit("society_bank", paise), ledger.credit(account, paise)])
        at = dt.datetime.combine(line.value_date, dt.time(12), ZoneInfo(config.timezone()))
        memo = f"{memo_of(book_as, line)}: {text}"
        try:
            async with in_transaction():
                ids = await ledger.post_many([ledger.NewEntry(district_id, key, memo, lines, created_at=at)])
        except IntegrityError:  # booked at the same moment by another click
            existing = await LedgerEntry.get_or_none(idempotency_key=key)
            if existing is None:
                raise
            return Booked(existing.id, key, book_as, line.amount_paise, line.value_date, line.line_no, imp.id, True)
        entry_id = ids[key]
        await audit.record(actor, "statement.line_booked", line, district_id=district_id, detail={
            "book_as": book_as, "key": key, "entry_id": entry_id, "import_id": imp.id, "line_no": line.line_no,
            "value_date": line.value_date.isoformat(), "amount_paise": line.amount_paise, "reference": line.reference,
            "description": line.description, "account": account, "reason": text})
    return Booked(entry_id, key, book_as, line.amount_paise, line.value_date, line.line_no, imp.id, False)


async def line_of(district_id: int, import_id: int, line_no: int) -> int | None:
    """The id of line ``line_no`` of import ``import_id`` of the district (as the page and a run's
    report name a line), or None."""
    ids = await StatementLine.filter(statement_id=import_id, statement__district_id=district_id, line_no=line_no).values_list("id", flat=True)
    return ids[0] if ids else None


@dataclass(frozen=True)
class LineBooking:
    """A booking made from a line of a statement import (:func:`bookings_of`): the entry, and the
    line it books."""

    entry_id: int
    key: str
    book_as: str
    line_no: int
    value_date: dt.date
    amount_paise: int  # the line's: + a credit (interest), - a debit (charges)

    def named_en(self) -> str:
        words = "bank charges" if self.book_as == "charges" else "bank interest"
        return f"line {self.line_no} ({self.value_date:%d-%m-%Y}, {words} {format_paise(abs(self.amount_paise))}, entry {self.key})"

    def named_hi(self) -> str:
        return (f"पंक्ति {self.line_no} ({self.value_date:%d-%m-%Y}, {_AS_HI[self.book_as]} {format_paise(abs(self.amount_paise))}, "
                f"प्रविष्टि {self.key})")


def _book_as_of(key: str) -> str | None:
    kind = key.split(":", 1)[0]
    return next((book_as for book_as, (k, _a, _s) in AS.items() if k == kind), None)


async def bookings_of(imp: StatementImport) -> list[LineBooking]:
    """The bookings in the books (not reversed) of the lines of bank statement import ``imp``, by
    line: each entry whose key is the key :func:`book_line` gives one of its lines now (the line's
    digest, in any generation), whichever import of the same bank line it was booked from (decision
    161). The district's bookings dated within the import's period are read, a handful a month, and
    each compared with the import's lines of its date and amount, not the import's every line."""
    if imp.source != "bank" or imp.period_start is None or imp.period_end is None:
        return []
    district = await District.get(id=imp.district_id)
    zone = ZoneInfo(config.timezone())
    lo = dt.datetime.combine(imp.period_start, dt.time(0), zone)
    hi = dt.datetime.combine(imp.period_end + dt.timedelta(days=1), dt.time(0), zone)
    entries: list[LedgerEntry] = []
    for kind in KEY_KINDS:
        entries += await LedgerEntry.filter(district_id=imp.district_id, idempotency_key__startswith=f"{kind}:{district.code}:",
                                            created_at__gte=lo, created_at__lt=hi).order_by("id")
    if not entries:
        return []
    reversed_keys = set(await LedgerEntry.filter(idempotency_key__in=[ledger.reversal_key(e.idempotency_key) for e in entries]
                                                 ).values_list("idempotency_key", flat=True))
    live = [e for e in entries if ledger.reversal_key(e.idempotency_key) not in reversed_keys and _book_as_of(e.idempotency_key)]
    bank = dict(await Posting.filter(entry_id__in=[e.id for e in live], account="society_bank").values_list("entry_id", "amount_paise"))
    found: list[LineBooking] = []
    for entry in live:
        digest = entry.idempotency_key.split("#", 1)[0].rsplit(":", 1)[-1]
        value_date = local_date(entry.created_at, zone)
        for line in await StatementLine.filter(statement_id=imp.id, value_date=value_date, amount_paise=bank.get(entry.id, 0)).order_by("line_no"):
            if line_digest(line.value_date, line.amount_paise, line.reference, line.description, line.balance_paise,
                           await _nth(line, imp.district_id)) == digest:
                found.append(LineBooking(entry.id, entry.idempotency_key, _book_as_of(entry.idempotency_key) or "", line.line_no,
                                         line.value_date, line.amount_paise))
                break
    return sorted(found, key=lambda b: (b.line_no, b.entry_id))


def reversal_memo(booking: LineBooking, imp: StatementImport) -> str:
    """The memo of the entry reversing ``booking`` when its statement ``imp`` is withdrawn: what it
    reverses (the bank's charges or interest, the line, its date, the key) and the file withdrawn."""
    words = "bank charges" if booking.book_as == "charges" else "bank interest"
    name = (imp.filename or "").replace("«", "").replace("»", "").strip()[:80]
    return (f"{words} of statement line {booking.line_no} of import #{imp.id} ({booking.value_date:%d-%m-%Y}) reversed, "
            f"the import withdrawn (file «{name}»): reverses {booking.key}")


async def reverse_bookings(imp: StatementImport, bookings: list[LineBooking]) -> dict[str, int]:
    """Reverse each of ``bookings`` (:func:`bookings_of`) by its mirror entry (key
    :func:`ledger.reversal_key` of its key: posted once), dated now, memo :func:`reversal_memo`;
    inside the withdrawal's transaction (core/statement_withdraw.py, decision 161). Returns each
    reversal's key and entry id."""
    lines: dict[int, list[ledger.Line]] = {}
    for entry_id, account, amount in await Posting.filter(entry_id__in=[b.entry_id for b in bookings]).values_list(
            "entry_id", "account", "amount_paise"):
        lines.setdefault(entry_id, []).append(ledger.Line(account, -amount))
    return await ledger.post_many([ledger.NewEntry(imp.district_id, ledger.reversal_key(b.key), reversal_memo(b, imp), lines[b.entry_id])
                                   for b in bookings])

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
of the district's lines alike in all of these it is), not of its row id: the same line imported
again after its statement was withdrawn has the same key, so a second click, or a repeated import,
books nothing twice. The entry and its audit record ``statement.line_booked`` are written in one
transaction, or nothing is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from emitra.core import audit, config, ledger, privacy
from emitra.core.models import District, LedgerEntry, StatementImport, StatementLine
from emitra.core.money import format_paise

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
        # the line locked: two clicks at once book it once (the second waits, then finds the entry)
        line = await StatementLine.filter(id=line_id).select_for_update().first()
        imp = await StatementImport.get_or_none(id=line.statement_id) if line is not None else None
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
        key = f"{kind}:{district.code}:{digest}"
        existing = await LedgerEntry.get_or_none(idempotency_key=key)
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

"""Money is integer paise from end to end. This module is the only place rupees become paise."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from emitra.core.text import ascii_digits

_RUPEES = re.compile(r"^(?P<int>\d+)(?:\.(?P<frac>\d{1,2}))?$")
#: rupees with commas where thousands end: the Indian way (1,00,000.00) or the international (100,000.00)
_GROUPED = re.compile(r"(?:\d{1,2}(?:,\d{2})*,\d{3}|\d{1,3}(?:,\d{3})+)(?:\.\d*)?")

#: the largest amount one field, payment or statement line may carry: Rs 99,99,99,999.99 (nine
#: digits of rupees, just under Rs 100 crore), far inside the signed 64-bit integers the database
#: stores, so that sums of many fit too. The counter pages, the API and both statement imports
#: (core/reconcile.py) refuse anything larger.
MAX_PAISE = 99_999_999_999


class AmountError(ValueError):
    """A rupee amount that cannot be accepted; ``message_hi`` says the same in Hindi. ``unreadable``:
    the text is no number at all (not one written in a way that reads two ways, or too large)."""

    def __init__(self, message: str, message_hi: str, unreadable: bool = False):
        super().__init__(message)
        self.message_hi, self.unreadable = message_hi, unreadable


#: what is written before an amount to say it is in rupees (₹, Rs, Rs., INR, रु, रु., रुपये), and after it
_CURRENCY_BEFORE = re.compile(r"^(?:₹|rs\.?|inr|रु\.?|रुपये)\s*", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"\s*(?:/-|/=|₹|rs\.?|inr|रु\.?|रुपये|rupees)$", re.IGNORECASE)


def _bare(text: str) -> str:
    """An amount as typed without what says it is in rupees, before it and after it ("₹ 1,483.50",
    "Rs. 40/-", "रु. ४०", "40 rupees"), its digits 0-9 (a Hindi keyboard types ४०)."""
    cleaned = ascii_digits(text).strip()
    for _ in range(2):  # "₹ Rs. 40", "40 rupees/-"
        cleaned = _CURRENCY_AFTER.sub("", _CURRENCY_BEFORE.sub("", cleaned))
    return cleaned


def parse_rupees(text: str | int) -> int:
    """Turn a rupee amount typed by a person ("125", "125.5", "1,250.50") into paise, written as people
    write amounts too: after ₹, Rs, Rs. or INR (रु., रुपये in Hindi), followed by /- or "rupees", in
    Hindi digits (४०), and grouped in thousands, the Indian way (1,00,000) or the international.

    Refused, with a message that says what to type instead: negative amounts, more than two
    decimals, a comma where no thousands end ("1483,50", a decimal comma, was ₹1,48,350.00), more
    than :data:`MAX_PAISE`, anything that is not a number. Floats are refused outright: they cannot
    hold paise exactly.
    """
    if isinstance(text, bool) or isinstance(text, float):
        raise AmountError(
            "Amount must be given as text or whole paise, not a floating-point number.",
            "राशि टेक्स्ट या पूरे पैसे में दें, दशमलव संख्या (float) में नहीं।",
        )
    if isinstance(text, int):
        if text < 0:
            raise AmountError("Amount cannot be negative.", "राशि ऋणात्मक नहीं हो सकती।")
        if text * 100 > MAX_PAISE:
            raise _too_large(text)
        return text * 100
    cleaned = _bare(str(text))
    if cleaned.startswith("-"):
        raise AmountError("Amount cannot be negative.", "राशि ऋणात्मक नहीं हो सकती।")
    grouped, cleaned = cleaned, cleaned.replace(",", "")
    match = _RUPEES.match(cleaned)
    if not match and re.search(r"\..*,", grouped):  # "1.483,50": a decimal comma after a point grouping thousands
        raise AmountError(f"'{text}' has a comma after the decimal point: the point is before the paise and a comma groups "
                          "thousands (1,483.50); write the amount so.",
                          f"'{text}' में दशमलव बिंदु के बाद अल्पविराम है: बिंदु पैसों से पहले आता है और अल्पविराम हज़ारों को अलग करता है "
                          "(1,483.50); राशि ऐसे ही लिखें।")
    if not match:
        if re.match(r"^\d+\.\d{3,}$", cleaned):
            raise AmountError(
                "Amount has more than two decimals; rupees take at most two (paise).",
                "राशि में दो से अधिक दशमलव अंक हैं; रुपये में अधिकतम दो (पैसे) होते हैं।",
            )
        raise AmountError(
            f"'{text}' is not an amount in rupees; type digits such as 125 or 125.50.",
            f"'{text}' रुपये में राशि नहीं है; 125 या 125.50 जैसे अंक लिखें।", unreadable=True,
        )
    if grouped != cleaned and not _GROUPED.fullmatch(grouped):  # "1483,50" (a decimal comma) is not ₹1,48,350.00
        raise AmountError(f"'{text}' has a comma where no thousands end: a comma only groups thousands (1,483.50, 1,00,000.00 or "
                          "100,000.00), never before the paise; write the amount so.",
                          f"'{text}' में अल्पविराम वहाँ है जहाँ हज़ार पूरे नहीं होते: अल्पविराम केवल हज़ारों को अलग करता है (1,483.50, "
                          "1,00,000.00 या 100,000.00), पैसों से पहले कभी नहीं; राशि ऐसे ही लिखें।")
    rupees = match["int"].lstrip("0") or "0"
    if len(rupees) > 9:  # (counted, not converted: int() refuses a string of thousands of digits)
        raise _too_large(text)
    frac = (match["frac"] or "").ljust(2, "0")
    return int(rupees) * 100 + int(frac)


def _too_large(text: str | int) -> AmountError:
    largest, shown = format_paise(MAX_PAISE), str(text) if len(str(text)) <= 40 else f"{str(text)[:40]}…"
    return AmountError(f"'{shown}' is more than the largest amount accepted, {largest}.",
                       f"'{shown}' स्वीकार की जाने वाली सबसे बड़ी राशि {largest} से अधिक है।")


def paise_problem(value: object) -> tuple[str, str] | None:
    """What is wrong with ``value`` as an amount of paise that a plugin gives (a fee, a quote), in
    English and Hindi; None when it is one: a whole, non-negative ``int`` (``True`` is not one), at
    most :data:`MAX_PAISE` (a larger one overflowed the database at the payment)."""
    kind = type(value).__name__
    if isinstance(value, bool):
        return (f"{value!r} is a yes/no value (bool), not a number; an amount is whole paise, an int (Rs 3.95 is 395)",
                f"{value!r} हाँ/नहीं मान (bool) है, संख्या नहीं; राशि पूरे पैसों में int होती है (Rs 3.95 = 395)")
    if not isinstance(value, (int, float, Decimal, Fraction)):
        return (f"{value!r} is not a number ({kind}); an amount is whole paise, an int (Rs 3.95 is 395)",
                f"{value!r} संख्या नहीं है ({kind}); राशि पूरे पैसों में int होती है (Rs 3.95 = 395)")
    if not isinstance(value, int):
        try:
            whole = value == int(value)
        except (ValueError, OverflowError):  # NaN, infinity
            return (f"{value!r} is not a number ({kind}); an amount is whole paise, an int (Rs 3.95 is 395)",
                    f"{value!r} संख्या नहीं है ({kind}); राशि पूरे पैसों में int होती है (Rs 3.95 = 395)")
        if not whole:
            return (f"{value!r} has a fraction of a paisa; an amount is whole paise, an int (Rs 3.95 is 395)",
                    f"{value!r} में पैसे का भिन्न है; राशि पूरे पैसों में int होती है (Rs 3.95 = 395)")
        return (f"{value!r} is a {kind}, not whole paise; an amount is an int (Rs 3.95 is 395)",
                f"{value!r} {kind} है, पूरे पैसे नहीं; राशि int होती है (Rs 3.95 = 395)")
    if value < 0:
        return (f"{value} is negative; an amount is zero or more paise", f"{value} ऋणात्मक है; राशि शून्य या अधिक पैसे होती है")
    if value > MAX_PAISE:
        largest = format_paise(MAX_PAISE)
        return (f"{value} is more than the largest amount, {MAX_PAISE} paise ({largest}); an amount is whole paise (Rs 3.95 is 395)",
                f"{value} सबसे बड़ी राशि {MAX_PAISE} पैसे ({largest}) से अधिक है; राशि पूरे पैसों में होती है (Rs 3.95 = 395)")
    return None


def indian_digits(number: int) -> str:
    """180000 -> '1,80,000': a whole number in the Indian digit grouping (lakhs and crores), as a
    figure in rupees is written on a receipt or a certificate (Python's ``f"{n:,}"`` gives 180,000)."""
    sign = "-" if number < 0 else ""
    digits = str(abs(number))
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        digits = ",".join(groups + [tail])
    return sign + digits


def format_paise(paise: int, symbol: bool = True) -> str:
    """1234567 -> '₹12,345.67' (Indian digit grouping)."""
    if not isinstance(paise, int) or isinstance(paise, bool):
        raise TypeError("format_paise takes whole paise (int)")
    sign = "-" if paise < 0 else ""
    rupees, p = divmod(abs(paise), 100)
    return f"{sign}{'₹' if symbol else ''}{indian_digits(rupees)}.{p:02d}"


def split(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` paise by integer ``weights``; the parts always add up to ``total``.

    Remainders go, one paisa at a time, to the parts with the largest fractional share (the
    largest-remainder method), earliest first on ties.
    """
    if total < 0 or not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("split needs a non-negative total and non-negative weights that are not all zero")
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(parts)]:
        parts[i] += 1
    return parts


def bank_reference(text: str | None) -> str:
    """A bank reference (a UTR, an NEFT/IMPS/RTGS reference, a cash deposit's number) in the one form
    it is stored, looked up and compared in: capitals, as banks print them, and no spaces, around
    it or inside it ("utr 9ab12 " -> "UTR9AB12": a reference copied from a printed statement is
    often spaced in groups, and no bank's reference has a space of its own). Punctuation is kept
    ("UTR-500/1" stays, so a suffixed part of a combined deposit is its own reference). Used for
    day-end deposits (core/dayend.confirm_deposit, confirm_deposits), wallet top-ups
    (dayend.top_up) and claims' payments (core/settlement.record_claim_payment); migration 0022
    rewrote the deposits' stored references into it with its own copy of these two lines."""
    return "".join((text or "").split()).upper()

"""Identifiers people type: e-Mitra citizen IDs and receipt numbers, each with a Verhoeff check digit.

Verhoeff (the scheme Aadhaar uses) catches every single mistyped digit and every swap of two
neighbouring digits. An e-Mitra ID is the district code, eight digits and the check digit:
``JP000001234`` is written ``JP-00000123-4`` for reading; both forms are accepted.
"""

from __future__ import annotations

import re

from stdnum import verhoeff

_EMITRA_ID = re.compile(r"^([A-Z]{2})(\d{8})(\d)$")


class IdError(ValueError):
    def __init__(self, message: str, message_hi: str):
        super().__init__(message)
        self.message_hi = message_hi


def make_emitra_id(district_code: str, number: int) -> str:
    body = f"{number:08d}"
    if len(body) > 8:
        raise ValueError("district has run out of 8-digit citizen numbers")
    return f"{district_code.upper()}{body}{verhoeff.calc_check_digit(body)}"


def format_emitra_id(emitra_id: str) -> str:
    return f"{emitra_id[:2]}-{emitra_id[2:10]}-{emitra_id[10:]}"


def parse_emitra_id(text: str) -> str:
    """Normalise a typed e-Mitra ID (case, spaces, dashes) and verify its check digit."""
    cleaned = re.sub(r"[\s\-]", "", text or "").upper()
    match = _EMITRA_ID.match(cleaned)
    if not match:
        raise IdError(
            "An e-Mitra ID is two letters and nine digits, such as JP-00000123-4.",
            "ई-मित्र आईडी दो अक्षर और नौ अंक होती है, जैसे JP-00000123-4।",
        )
    if not verhoeff.is_valid(match[2] + match[3]):
        raise IdError(
            "This e-Mitra ID has a wrong check digit: a digit was probably mistyped. Please check it on the citizen's card.",
            "इस ई-मित्र आईडी का जाँच अंक गलत है: शायद कोई अंक गलत टाइप हुआ है। कृपया नागरिक के कार्ड से मिलाएँ।",
        )
    return cleaned


def make_receipt_no(district_code: str, counter_id: int, serial: int) -> str:
    """``JP`` + counter (4 digits) + serial (8 digits) + check digit, e.g. ``JP0001000000421``; a
    counter id or serial past its width keeps all its digits (a longer number, 13 to 20 digits)."""
    body = f"{counter_id:04d}{serial:08d}"
    return f"{district_code.upper()}{body}{verhoeff.calc_check_digit(body)}"


def is_valid_receipt_no(text: str) -> bool:
    cleaned = re.sub(r"[\s\-]", "", text or "").upper()
    return bool(RECEIPT_NO.fullmatch(cleaned)) and verhoeff.is_valid(cleaned[2:])


#: how many digits follow a receipt number's two letters (:func:`make_receipt_no`): 13, more once a
#: counter id passes 9999 or a serial 99,999,999 (the column holds 24 characters); messages that
#: describe a receipt number say this range (web/citizens.number_mistyped, core/settlement.find_receipt)
RECEIPT_DIGITS = (13, 20)
#: a receipt number's shape: two letters and :data:`RECEIPT_DIGITS` digits
RECEIPT_NO = re.compile(rf"[A-Z]{{2}}\d{{{RECEIPT_DIGITS[0]},{RECEIPT_DIGITS[1]}}}")

"""Small helpers for plugin authors: the form properties many services ask for, the English and
Hindi labels of a choice for a quote's details (:func:`choice_label`), the refusal of an account
the department does not know, deterministic numbers for sandboxes, and the date and time
where the counters are (:func:`today`, :func:`now`).

::

    from emitra.core import FieldError, kit

    FORM = {
        "type": "object",
        "title": "Water bill",
        "x-title-hi": "पानी का बिल",
        "properties": {
            "consumer_no": {...},
            "mobile": kit.mobile(),  # "Mobile number for the receipt SMS (optional)"
        },
        "required": ["consumer_no"],
        "additionalProperties": False,
    }

    async def quote(self, data, ctx):
        number = data["consumer_no"]
        bill = await kit.look_up(self.billing.bill_due(number), {
            UnknownConsumer: FieldError("consumer_no", f"No connection {number}.", f"{number} का कोई कनेक्शन नहीं है।"),
            NothingDue: FieldError("consumer_no", f"Nothing is due on {number}.", f"{number} पर कुछ देय नहीं है।"),
        })

Every property helper returns a new dict, in the key order a hand-written property would have
(``type``, ``title``, ``x-title-hi``, ``description``, ``x-description-hi``, the rule, the
messages, ``x-inputmode``): change it freely. Whether a field must be filled is said by the form's
``"required"`` list, not by the property; give an optional field a title that says so, e.g.
"(optional)" / "(वैकल्पिक)".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Awaitable, Iterable, Mapping, TypeVar

from emitra.core.forms import choice_labels
from emitra.core.services import FieldError

T = TypeVar("T")

MOBILE_PATTERN = r"^[6-9][0-9]{9}$"
MOBILE_ERROR_EN = "Mobile number must be 10 digits starting with 6, 7, 8 or 9."
MOBILE_ERROR_HI = "मोबाइल नंबर 6, 7, 8 या 9 से शुरू होने वाले 10 अंकों का होना चाहिए।"

#: a PIN code of Rajasthan (301xxx to 345xxx start with 3)
RAJASTHAN_PIN_PATTERN = r"^3[0-9]{5}$"
RAJASTHAN_PIN_ERROR_EN = "PIN code must be 6 digits starting with 3 (Rajasthan)."
RAJASTHAN_PIN_ERROR_HI = "पिन कोड 3 से शुरू होने वाले 6 अंकों का होना चाहिए (राजस्थान)।"
#: a PIN code anywhere in India
INDIA_PIN_PATTERN = r"^[1-9][0-9]{5}$"
INDIA_PIN_ERROR_EN = "PIN code is 6 digits and does not start with 0."
INDIA_PIN_ERROR_HI = "पिन कोड 6 अंकों का होता है और 0 से शुरू नहीं होता।"

#: ``Service.step_labels`` of a service whose document is a certificate: the officer's step that
#: issues it says so (the core's default, "Issue the document", names no kind of document)
ISSUE_CERTIFICATE = {"issue": ("Issue the certificate", "प्रमाण पत्र जारी करें", "Certificate issued", "प्रमाण पत्र जारी किया गया")}

#: what :func:`document` accepts unless told otherwise: a scan as PDF, JPEG or PNG
PDF_OR_IMAGE = ("application/pdf", "image/jpeg", "image/png")
#: a photograph or a signature
IMAGE = ("image/jpeg", "image/png")


def _labels(title_en: str, title_hi: str, description_en: str | None, description_hi: str | None) -> dict[str, Any]:
    if (description_en is None) != (description_hi is None):
        raise ValueError("give the description in both English and Hindi, or in neither")
    out: dict[str, Any] = {"type": "string", "title": title_en, "x-title-hi": title_hi}
    if description_en is not None:
        out["description"] = description_en
        out["x-description-hi"] = description_hi
    return out


def mobile(title_en: str = "Mobile number for the receipt SMS (optional)",
           title_hi: str = "रसीद SMS के लिए मोबाइल नंबर (वैकल्पिक)") -> dict[str, Any]:
    """An Indian mobile number (10 digits starting with 6 to 9), with its message in both languages
    and the telephone keypad. The default title is the optional number a receipt SMS goes to; pass
    another (both languages) for another use, e.g. "Mobile number" for a required one."""
    return {
        "type": "string",
        "title": title_en,
        "x-title-hi": title_hi,
        "pattern": MOBILE_PATTERN,
        "x-error-en": MOBILE_ERROR_EN,
        "x-error-hi": MOBILE_ERROR_HI,
        "x-inputmode": "tel",
    }


def pin(title_en: str = "PIN code", title_hi: str = "पिन कोड", *, rajasthan: bool = True) -> dict[str, Any]:
    """A 6-digit PIN code with the numeric keypad: of Rajasthan (starts with 3) by default, of
    anywhere in India with ``rajasthan=False``."""
    if rajasthan:
        pattern, error_en, error_hi = RAJASTHAN_PIN_PATTERN, RAJASTHAN_PIN_ERROR_EN, RAJASTHAN_PIN_ERROR_HI
    else:
        pattern, error_en, error_hi = INDIA_PIN_PATTERN, INDIA_PIN_ERROR_EN, INDIA_PIN_ERROR_HI
    return {
        "type": "string",
        "title": title_en,
        "x-title-hi": title_hi,
        "pattern": pattern,
        "x-error-en": error_en,
        "x-error-hi": error_hi,
        "x-inputmode": "numeric",
    }


def document(title_en: str, title_hi: str, description_en: str | None = None, description_hi: str | None = None, *,
             accept: Iterable[str] = PDF_OR_IMAGE, max_kb: int = 1024) -> dict[str, Any]:
    """A scanned document the operator uploads (``x-upload``): the value is the document's id.

    ``accept`` lists the MIME types taken (PDF, JPEG or PNG by default; :data:`IMAGE` for a photo or
    signature), ``max_kb`` the largest file in KB. Say both in the title or the description: the
    operator reads them there."""
    return {**_labels(title_en, title_hi, description_en, description_hi),
            "x-upload": {"accept": list(accept), "max_kb": max_kb}}


def choice(options: Iterable[tuple[str, str, str]], title_en: str, title_hi: str, **extra: Any) -> dict[str, Any]:
    """One of a list of ``(code, English label, Hindi label)``: the value is the code. ``extra``
    keys (``description`` ...) come after the labels."""
    options = list(options)
    return {
        "type": "string",
        "title": title_en,
        "x-title-hi": title_hi,
        "enum": [code for code, _, _ in options],
        "x-enum-labels": [en for _, en, _ in options],
        "x-enum-labels-hi": [hi for _, _, hi in options],
        **extra,
    }


def choice_label(prop: dict[str, Any], value: Any) -> tuple[str, str]:
    """The (English, Hindi) label a form's choice is shown by (``x-enum-labels``,
    ``x-enum-labels-hi``), for the details of a quote: ``value_en, value_hi =
    kit.choice_label(FORM["properties"]["service_class"], data["service_class"])``. A value that is
    not one of the ``enum`` is given as it is, in both."""
    return choice_labels(prop, value) or (str(value), str(value))


async def look_up(lookup: Awaitable[T], refusals: Mapping[type[BaseException], FieldError]) -> T:
    """Await a department's answer; when it raises one of the exception classes of ``refusals``,
    raise that class's :class:`~emitra.core.FieldError` instead (the first class that matches, as
    ``except`` clauses would), without the department's traceback: the input was wrong, not the code.

    For the bill services: an account the department does not know, or with nothing due, is a
    mistake in that field of the form. Other exceptions pass through unchanged."""
    try:
        return await lookup
    except tuple(refusals) as exc:
        raise next(error for kind, error in refusals.items() if isinstance(exc, kind)) from None


def today() -> dt.date:
    """Today's date where the counters are (the district's time zone, Asia/Kolkata by default), as
    the core itself reads it (:mod:`emitra.core.clock`): ``EMITRA_TODAY`` / ``EMITRA_NOW`` fix it in
    demonstrations and tests. A plugin never reads ``datetime.date.today()``: the server's clock
    may run in UTC, five and a half hours behind the counters at midnight."""
    from emitra.core import clock

    return clock.today()


def now() -> dt.datetime:
    """The time now where the counters are, an aware datetime in the district's time zone (see
    :func:`today`). ``now().replace(tzinfo=None)`` is the counters' wall clock, for comparing with
    a timetable's local times. A plugin never reads ``datetime.datetime.now()`` or ``utcnow()``."""
    from emitra.core import clock

    return clock.now()


def stable_int(*parts: object, sep: str = ":", hex_digits: int = 12) -> int:
    """A number derived from ``parts`` alone (the first ``hex_digits`` hex digits of the SHA-256 of
    their ``str()`` joined by ``sep``): the same parts give the same number on every machine and
    run, unlike :func:`hash`. For sandboxes, which must not use randomness."""
    text = sep.join(str(p) for p in parts)
    return int(hashlib.sha256(text.encode()).hexdigest()[:hex_digits], 16)


def acknowledgement(prefix: str, *parts: object, digits: int = 10, hex_digits: int = 12) -> str:
    """A sandbox's acknowledgement number: ``prefix`` followed by ``digits`` digits (zero-padded)
    derived from ``parts``, e.g. ``acknowledgement("PHED-ACK-", "PHED", consumer_no, amount_paise,
    our_reference)``. The same parts always give the same number (a retried request gets the same
    acknowledgement); any part that differs gives another one, almost surely.

    ``prefix`` is not hashed: put what tells one system (or kind of request) from another in
    ``parts`` too. ``hex_digits`` is how much of the hash is used (see :func:`stable_int`)."""
    return f"{prefix}{stable_int(*parts, hex_digits=hex_digits) % 10**digits:0{digits}d}"

"""Cheques and demand drafts: the instrument is in hand, the money is not yet.

The collection is posted when the operator records the instrument, to
``cheques_in_clearing:<counter>``; the request waits (``payment_pending``) and nothing is handed to
the department until the Society clears the instrument (:func:`clear`: the money moves to
``society_bank`` and the request is handed over) or records it bounced (:func:`bounce`: every
posting is reversed, the request becomes ``payment_failed`` and, for a bill, the bill is due again).

The operator types the instrument's details; :meth:`InstrumentMethod.check_details` validates them
(the form's JSON Schema, and a date that is neither post-dated nor older than three months, the
validity of a cheque in India) and returns what is stored in ``payment.details``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emitra.core import clock, forms, hookimpl
from emitra.core.payments import PaymentMethod

if TYPE_CHECKING:
    from emitra.core.audit import Actor
    from emitra.core.models import Counter, Payment, ServiceRequest

INSTRUMENT_CODES = ("cheque", "dd")
VALID_MONTHS = 3  # a cheque or draft older than this is stale: banks do not honour it
IFSC_PATTERN = r"^[A-Z]{4}0[A-Z0-9]{6}$"


def instrument_form(kind_en: str, kind_hi: str) -> dict[str, Any]:
    """What the operator types for a cheque or a draft (a JSON Schema, same conventions as service forms)."""
    return {
        "type": "object",
        "title": f"{kind_en} details",
        "x-title-hi": f"{kind_hi} का विवरण",
        "properties": {
            "instrument_no": {
                "type": "string", "title": f"{kind_en} number", "x-title-hi": f"{kind_hi} संख्या",
                "description": "6 digits, printed at the bottom left", "x-description-hi": "6 अंक, नीचे बाईं ओर छपे होते हैं",
                "pattern": r"^[0-9]{6}$", "maxLength": 6, "x-inputmode": "numeric",
                "x-error-en": f"{kind_en} number must be exactly 6 digits, as printed on the {kind_en.lower()}.",
                "x-error-hi": f"{kind_hi} संख्या ठीक 6 अंकों की होनी चाहिए, जैसी {kind_hi} पर छपी है।",
            },
            "bank_name": {
                "type": "string", "title": "Bank name", "x-title-hi": "बैंक का नाम", "minLength": 2, "maxLength": 100,
            },
            "ifsc": {
                "type": "string", "title": "IFSC of the branch", "x-title-hi": "शाखा का IFSC",
                "description": "11 characters, e.g. SBIN0001234", "x-description-hi": "11 अक्षर, जैसे SBIN0001234",
                "pattern": IFSC_PATTERN, "maxLength": 11,
                "x-error-en": "IFSC must be 11 characters, not counting spaces: 4 letters, a zero, then 6 letters or digits (e.g. SBIN0001234).",
                "x-error-hi": "IFSC रिक्त स्थान छोड़कर 11 अक्षरों का होना चाहिए: 4 अक्षर, फिर शून्य, फिर 6 अक्षर या अंक (जैसे SBIN0001234)।",
            },
            "instrument_date": {
                "type": "string", "format": "date", "title": f"{kind_en} date", "x-title-hi": f"{kind_hi} की तारीख",
                "description": "Not post-dated, and not older than 3 months", "x-description-hi": "आगे की तारीख नहीं, और 3 महीने से पुरानी नहीं",
            },
            "drawer_name": {
                "type": "string", "title": "Drawer (who signed it)" if kind_en == "Cheque" else "Purchaser (who bought the draft)",
                "x-title-hi": "आहर्ता (जिसने हस्ताक्षर किए)" if kind_en == "Cheque" else "क्रेता (जिसने ड्राफ़्ट बनवाया)",
                "minLength": 2, "maxLength": 200,
            },
        },
        "required": ["instrument_no", "bank_name", "ifsc", "instrument_date", "drawer_name"],
        "additionalProperties": False,
    }


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class InstrumentMethod(PaymentMethod):
    """A cheque or a demand draft, collected at the counter and cleared by the Society's bank."""

    kind_en: str = "Cheque"
    kind_hi: str = "चेक"

    def collection_account(self, counter: "Counter") -> str:
        return f"cheques_in_clearing:{counter.code}"

    def check_details(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate the instrument's details; return what is stored. Raises :class:`FormErrors`
        naming every wrong field (nothing has been written)."""
        # typed as printed ("sbin 0001234", "004 512"): read as the field's pattern wants it, as the
        # counter's form reads it (an API caller hands the details whole)
        props = self.form["properties"]
        data = {k: (forms.fit_to_pattern(props.get(k, {}), v) if isinstance(v, str) else v) for k, v in dict(data or {}).items()}
        errors: list[forms.FieldMessage] = []
        try:
            forms.validate(self.form, data)
        except forms.FormErrors as exc:
            errors = list(exc.errors)
        try:
            issued = dt.date.fromisoformat(str(data.get("instrument_date", "")))
        except ValueError:
            issued = None
        today = clock.today()
        if issued is None or any(e.field == "instrument_date" for e in errors):
            pass  # the schema's message says what is wrong with the date
        elif issued > today:
            errors.append(forms.FieldMessage(
                "instrument_date",
                f"The {self.kind_en.lower()} is post-dated ({issued:%d-%m-%Y}); it can be accepted on or after that day.",
                f"{self.kind_hi} आगे की तारीख ({issued:%d-%m-%Y}) का है; इसे उस दिन या उसके बाद ही लिया जा सकता है।"))
        elif add_months(issued, VALID_MONTHS) < today:
            errors.append(forms.FieldMessage(
                "instrument_date",
                f"The {self.kind_en.lower()} dated {issued:%d-%m-%Y} is more than {VALID_MONTHS} months old (stale); the bank will not honour it.",
                f"{issued:%d-%m-%Y} का {self.kind_hi} {VALID_MONTHS} महीने से पुराना (कालातीत) है; बैंक इसे स्वीकार नहीं करेगा।"))
        if errors:
            order = list(self.form["properties"])
            raise forms.FormErrors(sorted(errors, key=lambda e: order.index(e.field) if e.field in order else len(order)))
        return {**data, "reference": f"{self.code.upper()} {data['instrument_no']} {data['ifsc']}"}

    async def start(self, payment: "Payment", request: "ServiceRequest", counter: "Counter") -> dict[str, Any]:
        return {"collection_account": self.collection_account(counter)}


CHEQUE = InstrumentMethod(code="cheque", title_en="Cheque", title_hi="चेक", immediate=False, post_on_start=True,
                          form=instrument_form("Cheque", "चेक"), kind_en="Cheque", kind_hi="चेक")
DD = InstrumentMethod(code="dd", title_en="Demand draft", title_hi="डिमांड ड्राफ़्ट", immediate=False, post_on_start=True,
                      form=instrument_form("Demand draft", "डिमांड ड्राफ़्ट"), kind_en="Demand draft", kind_hi="डिमांड ड्राफ़्ट")


@hookimpl
def emitra_register_payment_methods(register):
    register(CHEQUE)
    register(DD)


class NotAnInstrument(ValueError):
    """The payment is not a cheque or draft waiting for clearance."""


def _decision_event(payment: "Payment") -> str:
    # Clearing and bouncing share one event id: whichever the Society records first is the only one.
    return f"instrument:{payment.id}"


async def clear(actor: "Actor", payment: "Payment") -> "ServiceRequest":
    """The Society's bank has cleared the instrument: move it from clearing to the bank, hand over.
    Clearing twice (or after a bounce) changes nothing."""
    from emitra.core import counter

    if payment.method not in INSTRUMENT_CODES:
        raise NotAnInstrument(f"payment {payment.id} is {payment.method}, not a cheque or demand draft")
    return await counter.confirm_payment(actor, payment, provider=payment.method, event_id=_decision_event(payment))


async def bounce(actor: "Actor", payment: "Payment", reason: str) -> "ServiceRequest":
    """The instrument bounced: reverse everything the payment posted; the request is reopened
    (``payment_failed``) and what it paid for (a bill) is due again."""
    from emitra.core import counter

    if payment.method not in INSTRUMENT_CODES:
        raise NotAnInstrument(f"payment {payment.id} is {payment.method}, not a cheque or demand draft")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a bounce needs the bank's reason")
    return await counter.fail_payment(actor, payment, reason, provider=payment.method, event_id=_decision_event(payment))

"""Bus tickets of the Rajasthan State Road Transport Corporation (RSRTC), booked at the counter.

The operator picks the route, date, class and number of seats and types the passengers; RSRTC
says which departure and seats are free and what the fare is. The citizen pays the fare plus a
published convenience fee of Rs 10. A booking can be cancelled at the counter that sold it: RSRTC
refunds the fare less 10% until 24 hours before departure, half within 24 hours, nothing after
the bus has left; the convenience fee is not refunded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emitra.core import (
    Cancellation,
    Category,
    Domain,
    FeeRule,
    FieldError,
    Payer,
    Quote,
    QuoteContext,
    Service,
    Workflow,
    hookimpl,
    kit,
)
from emitra.core.money import format_paise
from emitra.core.text import count_en, noun_hi
from emitra.plugins.private.rsrtc_sandbox import CLASSES, STOPS, RsrtcError, RsrtcSandbox

MAX_SEATS = 6
PROVIDER = "Rajasthan State Road Transport Corporation (RSRTC)"
PROVIDER_HI = "राजस्थान राज्य पथ परिवहन निगम (RSRTC)"

_STOP_CODES = list(STOPS)
_CLASS_CODES = list(CLASSES)


def _stop(title_en: str, title_hi: str) -> dict[str, Any]:
    return {
        "type": "string",
        "title": title_en,
        "x-title-hi": title_hi,
        "enum": _STOP_CODES,
        "x-enum-labels": [STOPS[c][0] for c in _STOP_CODES],
        "x-enum-labels-hi": [STOPS[c][1] for c in _STOP_CODES],
    }


GENDER = kit.choice([("M", "Male", "पुरुष"), ("F", "Female", "महिला"), ("T", "Transgender", "ट्रांसजेंडर")], "Gender", "लिंग")

FORM: dict[str, Any] = {
    "type": "object",
    "title": "RSRTC bus ticket",
    "x-title-hi": "आरएसआरटीसी बस टिकट",
    "properties": {
        "from": _stop("From (boarding stop)", "कहाँ से (चढ़ने का स्थान)"),
        "to": _stop("To (destination)", "कहाँ तक (गंतव्य)"),
        "journey_date": {
            "type": "string",
            "format": "date",
            "title": "Date of journey",
            "x-title-hi": "यात्रा की तिथि",
            "description": "Seats can be booked up to 60 days ahead",
            "x-description-hi": "सीटें 60 दिन पहले तक बुक हो सकती हैं",
        },
        "service_class": {
            "type": "string",
            "title": "Bus class",
            "x-title-hi": "बस श्रेणी",
            "enum": _CLASS_CODES,
            "x-enum-labels": [CLASSES[c][0] for c in _CLASS_CODES],
            "x-enum-labels-hi": [CLASSES[c][1] for c in _CLASS_CODES],
        },
        "departure": {
            "type": "string",
            "title": "Departure time (optional)",
            "x-title-hi": "प्रस्थान समय (वैकल्पिक)",
            "description": "HH:MM, e.g. 07:35 or 21:40 (7.35 and 9:40 pm are taken too); leave empty for the first bus of "
                           "this class with enough free seats",
            "x-description-hi": "घंटा:मिनट, जैसे 07:35 या 21:40 (7.35 और 9:40 pm भी चलेंगे); खाली छोड़ें तो इस श्रेणी की पहली बस "
                                "जिसमें पर्याप्त सीटें खाली हों",
            # the counter reads a time typed 7.35 or 9:40 pm as 07:35 or 21:40 (core/forms.time_field)
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
            "x-error-en": "Departure time must be HH:MM on the 24-hour clock, e.g. 07:35 or 21:40, or with am or pm, e.g. 9:40 pm.",
            "x-error-hi": "प्रस्थान समय 24 घंटे की घड़ी में घंटा:मिनट होना चाहिए, जैसे 07:35 या 21:40, या am/pm के साथ, जैसे 9:40 pm।",
            "x-inputmode": "numeric",
        },
        "seats": {
            "type": "integer",
            "title": "Number of seats",
            "x-title-hi": "सीटों की संख्या",
            "minimum": 1,
            "maximum": MAX_SEATS,
            "description": f"1 to {MAX_SEATS}; one passenger per seat",
            "x-description-hi": f"1 से {MAX_SEATS}; हर सीट के लिए एक यात्री",
            "x-inputmode": "numeric",
        },
        "passengers": {
            "type": "array",
            "title": "Passengers",
            "x-title-hi": "यात्री",
            "description": "One row per seat",
            "x-description-hi": "हर सीट के लिए एक पंक्ति",
            "minItems": 1,
            "maxItems": MAX_SEATS,
            "x-rows": 2,
            "items": {
                "type": "object",
                "title": "Passenger",
                "x-title-hi": "यात्री",
                "properties": {
                    "name": {
                        "type": "string",
                        "title": "Passenger name",
                        "x-title-hi": "यात्री का नाम",
                        "minLength": 2,
                        "maxLength": 60,
                    },
                    "age": {
                        "type": "integer",
                        "title": "Age",
                        "x-title-hi": "आयु",
                        "minimum": 1,
                        "maximum": 120,
                        "x-inputmode": "numeric",
                    },
                    "gender": GENDER,
                },
                "required": ["name", "age", "gender"],
                "additionalProperties": False,
            },
        },
        "mobile": kit.mobile("Mobile number for the ticket SMS (optional)", "टिकट SMS के लिए मोबाइल नंबर (वैकल्पिक)"),
    },
    "required": ["from", "to", "journey_date", "service_class", "seats", "passengers"],
    "additionalProperties": False,
}


def _field_error(exc: RsrtcError) -> FieldError:
    return FieldError(exc.field, exc.en, exc.hi)


class RsrtcTicket(Service):
    """A bus ticket; ``booking`` is RSRTC's reservation system (a sandbox here)."""

    def __init__(self, booking: Any):
        super().__init__(
            code="pvt.rsrtc.bus_ticket",
            title_en="Bus ticket – RSRTC",
            title_hi="बस टिकट – राजस्थान राज्य पथ परिवहन निगम",
            provider=PROVIDER,
            provider_hi=PROVIDER_HI,
            domain=Domain.PRIVATE,
            category=Category.PRIVATE_SERVICE,
            form=FORM,
            fee=FeeRule(payer=Payer.CITIZEN, fee_paise=1000),
            workflow=Workflow.PAYMENT,
            description_en=("Book seats on an RSRTC bus. The citizen pays the fare and a convenience fee of Rs 10. "
                            "Cancelling refunds the fare less 10% until 24 hours before departure, half within 24 hours, "
                            "nothing after departure; the convenience fee is not refunded."),
            description_hi=("आरएसआरटीसी बस में सीट बुक करें। नागरिक किराया और ₹10 सुविधा शुल्क देता है। रद्द करने पर प्रस्थान से "
                            "24 घंटे पहले तक किराये का 90%, 24 घंटे के भीतर आधा, प्रस्थान के बाद कुछ नहीं लौटाया जाता; "
                            "सुविधा शुल्क नहीं लौटता।"),
            cancellable=True,
            example={
                # a fixed date: bookable while "today" (the sandbox's ``today``) is from 16-11-2026 to 14-01-2027;
                # tests set today to 20-11-2026
                "from": "jaipur", "to": "ajmer", "journey_date": "2027-01-15", "service_class": "ordinary", "seats": 2,
                "passengers": [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"},
                               {"name": "Sunita Sharma", "age": 44, "gender": "F"}],
            },
        )
        self.booking = booking

    @staticmethod
    def _trip(data: dict[str, Any]) -> tuple[str, str, dt.date, str, int, str | None]:
        return (data["from"], data["to"], dt.date.fromisoformat(data["journey_date"]), data["service_class"],
                int(data["seats"]), data.get("departure") or None)

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        origin, destination, day, klass, seats, departure = self._trip(data)
        try:
            offer = self.booking.offer(origin, destination, day, klass, seats, departure)
        except RsrtcError as exc:
            raise _field_error(exc) from None
        passengers = data["passengers"]
        if len(passengers) != seats:
            raise FieldError(
                "passengers",
                f"Give one passenger per seat: {count_en(seats, 'seat')} asked, {count_en(len(passengers), 'passenger')} given.",
                f"हर सीट के लिए एक यात्री दें: {seats} {noun_hi(seats, 'सीट माँगी गई', 'सीटें माँगी गईं')}, "
                f"{len(passengers)} यात्री {noun_hi(len(passengers), 'दिया गया', 'दिए गए')}।",
            )
        dep = offer.departure
        klass_en, klass_hi = kit.choice_label(FORM["properties"]["service_class"], klass)
        genders = [kit.choice_label(GENDER, p["gender"]) for p in passengers]
        return Quote(
            principal_paise=offer.principal_paise,
            reference=offer.pnr,
            details=[
                {"label_en": "Route", "label_hi": "मार्ग", "value": f"{dep.route} ({dep.km} km)", "value_hi": f"{dep.route_hi} ({dep.km} किमी)"},
                {"label_en": "Journey date", "label_hi": "यात्रा तिथि", "value": day.strftime("%d-%m-%Y")},
                {"label_en": "Departure time", "label_hi": "प्रस्थान समय", "value": dep.time},
                {"label_en": "Class", "label_hi": "श्रेणी", "value": klass_en, "value_hi": klass_hi},
                {"label_en": "Seats", "label_hi": "सीटें", "value": str(seats)},
                {"label_en": "Seat numbers", "label_hi": "सीट संख्या", "value": ", ".join(str(n) for n in offer.seat_numbers)},
                {"label_en": "Fare per seat", "label_hi": "प्रति सीट किराया", "value": format_paise(dep.fare_paise)},
                {"label_en": "Passengers", "label_hi": "यात्री",
                 "value": "; ".join(f"{p['name']} ({p['age']}, {en})" for p, (en, _hi) in zip(passengers, genders)),
                 "value_hi": "; ".join(f"{p['name']} ({p['age']}, {hi})" for p, (_en, hi) in zip(passengers, genders))},
                {"label_en": "PNR", "label_hi": "पीएनआर", "value": offer.pnr},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        origin, destination, day, klass, seats, departure = self._trip(data)
        # book the departure that was quoted (the operator told the citizen its time)
        time = next((d["value"] for d in quote.details if d.get("label_en") == "Departure time"), None) or departure
        booking = self.booking.book(origin, destination, day, klass, seats, time, f"emitra-{request_id}")
        return booking.pnr

    async def refund_quote(self, request_id: int, data: dict[str, Any], reference: str, principal_paise: int) -> int:
        try:
            return self.booking.refund_quote(reference, principal_paise)
        except RsrtcError as exc:
            raise _field_error(exc) from None

    async def cancel(self, request_id: int, data: dict[str, Any], reference: str, principal_paise: int) -> Cancellation:
        try:
            booking = self.booking.cancel(reference, principal_paise)
        except RsrtcError as exc:
            raise _field_error(exc) from None
        return Cancellation(
            refund_paise=booking.refund_paise,
            reference=self.booking.cancellation_reference(booking.pnr),
            details=[
                {"label_en": "PNR", "label_hi": "पीएनआर", "value": booking.pnr},
                {"label_en": "Seats freed", "label_hi": "मुक्त सीटें", "value": ", ".join(str(n) for n in booking.seat_numbers)},
                {"label_en": "Refund", "label_hi": "वापसी", "value": format_paise(booking.refund_paise)},
            ],
        )


@hookimpl
def emitra_register_services(register):
    register(RsrtcTicket(RsrtcSandbox()))

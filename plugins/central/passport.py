"""Passport application forwarded to the Regional Passport Office, Jaipur (Ministry of External Affairs).

The counter fills the application in three steps (applicant, address, appointment), collects the
government passport fee (the principal, paid over to the RPO) and books the first free appointment
at the chosen Passport Seva Kendra on or after the citizen's preferred date. The citizen pays the
e-Mitra service charge for an application (Table 2: Rs 10). The receipt carries the ARN and the slot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.core.money import format_paise
from emitra.plugins.central.passport_sandbox import KENDRAS, NoSlot, PassportSandbox

NAME_PATTERN = r"^[A-Za-z][A-Za-z .'-]{0,44}$"
NAME_ERROR_EN = "Write the name in English letters, as it should appear in the passport (up to 45 characters)."
NAME_ERROR_HI = "नाम अंग्रेज़ी अक्षरों में लिखें, जैसा पासपोर्ट में छपना है (अधिकतम 45 अक्षर)।"
OLD_PASSPORT_PATTERN = r"^[A-Z][0-9]{7}$"

APPLICATION_TYPES = ["fresh", "reissue"]
APPLICATION_TYPE_LABELS = ["Fresh passport", "Re-issue of passport"]
APPLICATION_TYPE_LABELS_HI = ["नया पासपोर्ट", "पासपोर्ट का पुनः जारी होना"]
BOOKLETS = ["36", "60"]
BOOKLET_LABELS = ["36 pages", "60 pages"]
BOOKLET_LABELS_HI = ["36 पृष्ठ", "60 पृष्ठ"]


def _name(title: str, title_hi: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "x-title-hi": title_hi, "pattern": NAME_PATTERN,
            "x-error-en": NAME_ERROR_EN, "x-error-hi": NAME_ERROR_HI}


FORM: dict[str, Any] = {
    "type": "object",
    "title": "Passport application",
    "x-title-hi": "पासपोर्ट आवेदन",
    "x-steps": [
        {"title": "Applicant", "x-title-hi": "आवेदक",
         "fields": ["given_name", "surname", "date_of_birth", "place_of_birth", "application_type", "old_passport_number", "booklet"]},
        {"title": "Address and emergency contact", "x-title-hi": "पता और आपातकालीन संपर्क",
         "fields": ["address", "emergency_contact"]},
        {"title": "Appointment", "x-title-hi": "अपॉइंटमेंट", "fields": ["psk", "preferred_date"]},
    ],
    "properties": {
        "given_name": {**_name("Given name", "दिया गया नाम (प्रथम नाम)"),
                       "description": "First and middle names, in English letters",
                       "x-description-hi": "प्रथम और मध्य नाम, अंग्रेज़ी अक्षरों में"},
        "surname": {**_name("Surname (leave empty if none)", "उपनाम (न हो तो खाली छोड़ें)")},
        "date_of_birth": {"type": "string", "format": "date", "title": "Date of birth", "x-title-hi": "जन्म तिथि"},
        "place_of_birth": {"type": "string", "title": "Place of birth (village or town, district)", "x-title-hi": "जन्म स्थान (गाँव या कस्बा, जिला)",
                           "minLength": 2, "maxLength": 60},
        "application_type": {"type": "string", "title": "Application type", "x-title-hi": "आवेदन का प्रकार",
                             "enum": APPLICATION_TYPES, "x-enum-labels": APPLICATION_TYPE_LABELS,
                             "x-enum-labels-hi": APPLICATION_TYPE_LABELS_HI},
        "booklet": {"type": "string", "title": "Passport booklet", "x-title-hi": "पासपोर्ट पुस्तिका",
                    "description": "60 pages for frequent travellers; the fee is higher",
                    "x-description-hi": "अधिक यात्रा करने वालों के लिए 60 पृष्ठ; शुल्क अधिक है",
                    "enum": BOOKLETS, "x-enum-labels": BOOKLET_LABELS, "x-enum-labels-hi": BOOKLET_LABELS_HI},
        "address": {
            "type": "object",
            "title": "Present address",
            "x-title-hi": "वर्तमान पता",
            "properties": {
                "house": {"type": "string", "title": "House number and street", "x-title-hi": "मकान नंबर और गली", "minLength": 2, "maxLength": 80},
                "locality": {"type": "string", "title": "Village, town or locality", "x-title-hi": "गाँव, कस्बा या मोहल्ला", "minLength": 2, "maxLength": 60},
                "district": {"type": "string", "title": "District", "x-title-hi": "जिला", "minLength": 2, "maxLength": 40},
                "pin": kit.pin(rajasthan=False),  # outside Rajasthan is refused with its own message in _check
            },
            "required": ["house", "locality", "district", "pin"],
            "additionalProperties": False,
        },
        "emergency_contact": {
            "type": "object",
            "title": "Emergency contact",
            "x-title-hi": "आपातकालीन संपर्क",
            "properties": {
                "name": {"type": "string", "title": "Name", "x-title-hi": "नाम", "minLength": 2, "maxLength": 60},
                "mobile": kit.mobile("Mobile number", "मोबाइल नंबर"),
            },
            "required": ["name", "mobile"],
            "additionalProperties": False,
        },
        "psk": {"type": "string", "title": "Passport Seva Kendra", "x-title-hi": "पासपोर्ट सेवा केंद्र",
                "enum": list(KENDRAS), "x-enum-labels": [k[0] for k in KENDRAS.values()],
                "x-enum-labels-hi": [k[1] for k in KENDRAS.values()]},
        "preferred_date": {"type": "string", "format": "date", "title": "Preferred appointment date", "x-title-hi": "अपॉइंटमेंट की पसंदीदा तिथि",
                           "description": "The first free slot on or after this date is booked",
                           "x-description-hi": "इस तिथि को या उसके बाद का पहला खाली समय बुक किया जाता है"},
    },
    "required": ["given_name", "date_of_birth", "place_of_birth", "application_type", "booklet",
                 "address", "emergency_contact", "psk", "preferred_date"],
    # unevaluatedProperties (not additionalProperties) so that the fields of the branches are allowed
    "unevaluatedProperties": False,
    "if": {"properties": {"application_type": {"const": "reissue"}}, "required": ["application_type"]},
    "then": {
        "properties": {
            "old_passport_number": {"type": "string", "title": "Old passport number", "x-title-hi": "पुराने पासपोर्ट की संख्या",
                                    "description": "One capital letter and 7 digits, e.g. K1234567",
                                    "x-description-hi": "एक बड़ा अक्षर और 7 अंक, जैसे K1234567",
                                    "pattern": OLD_PASSPORT_PATTERN,
                                    "x-error-en": "Passport number is one capital letter followed by 7 digits, e.g. K1234567.",
                                    "x-error-hi": "पासपोर्ट संख्या एक बड़े अक्षर के बाद 7 अंक होती है, जैसे K1234567।"},
        },
        "required": ["old_passport_number"],
    },
    "else": {},
}

# RPO Jaipur serves Rajasthan: PIN codes 301xxx to 345xxx.
RAJASTHAN_PIN_PREFIXES = range(30, 35)


class PassportApplication(Service):
    def __init__(self, sandbox: PassportSandbox):
        super().__init__(
            code="gov.in.rpo_jaipur.passport",
            title_en="Passport application – Regional Passport Office, Jaipur",
            title_hi="पासपोर्ट आवेदन – क्षेत्रीय पासपोर्ट कार्यालय, जयपुर",
            provider="Regional Passport Office Jaipur (Ministry of External Affairs)",
            provider_hi="क्षेत्रीय पासपोर्ट कार्यालय जयपुर (विदेश मंत्रालय)",
            domain=Domain.CENTRAL,
            category=Category.APPLICATION,
            form=FORM,
            fee=FeeRule(payer=Payer.CITIZEN),
            workflow=Workflow.APPLICATION,
            deliverable="department", sla_days=30, personal_verification=True,
            paper_documents=(),
            description_en="Fresh or re-issue passport (normal scheme): the government fee is collected and an "
                           "appointment at a Passport Seva Kendra is booked.",
            description_hi="नया या पुनः जारी पासपोर्ट (सामान्य योजना): सरकारी शुल्क लिया जाता है और पासपोर्ट सेवा "
                           "केंद्र पर अपॉइंटमेंट बुक होता है।",
            example={
                "given_name": "Ramesh Kumar", "surname": "Sharma", "date_of_birth": "1978-03-14", "place_of_birth": "Jaipur, Rajasthan",
                "application_type": "fresh", "booklet": "36",
                "address": {"house": "12, Shanti Path", "locality": "Malviya Nagar", "district": "Jaipur", "pin": "302017"},
                "emergency_contact": {"name": "Sushila Sharma", "mobile": "9829012346"},
                "psk": "JAIPUR_PSK", "preferred_date": "2026-12-09",
            },
        )
        self.sandbox = sandbox

    @staticmethod
    def _arn_key(data: dict[str, Any]) -> str:
        parts = [data.get("given_name", "").upper(), data.get("surname", "").upper(), data["date_of_birth"],
                 data["place_of_birth"].upper(), data["application_type"],
                 data.get("old_passport_number", "") if data["application_type"] == "reissue" else "",
                 data["booklet"], data["psk"], data["preferred_date"]]
        return "|".join(parts)

    def _check(self, data: dict[str, Any]) -> tuple[dt.date, dt.date]:
        born = dt.date.fromisoformat(data["date_of_birth"])
        preferred = dt.date.fromisoformat(data["preferred_date"])
        if born >= preferred:
            raise FieldError("date_of_birth", "The date of birth must be before the appointment date.",
                             "जन्म तिथि अपॉइंटमेंट की तिथि से पहले होनी चाहिए।")
        pin = data["address"]["pin"]
        if int(pin[:2]) not in RAJASTHAN_PIN_PREFIXES:
            raise FieldError("address.pin",
                             f"PIN code {pin} is outside Rajasthan; apply to the Regional Passport Office of that state.",
                             f"पिन कोड {pin} राजस्थान से बाहर का है; उस राज्य के क्षेत्रीय पासपोर्ट कार्यालय में आवेदन करें।")
        return born, preferred

    def _slot(self, arn: str, data: dict[str, Any], preferred: dt.date, book: bool):
        try:
            if book:
                return self.sandbox.book(arn, data["psk"], preferred)
            return self.sandbox.slot_for(arn, data["psk"], preferred)
        except NoSlot:
            raise FieldError(
                "preferred_date",
                "No appointments are open for this date; choose a date from 2026-10-01 to 2027-06-30.",
                "इस तिथि के लिए अपॉइंटमेंट उपलब्ध नहीं हैं; 2026-10-01 से 2027-06-30 के बीच की तिथि चुनें।",
            ) from None

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        _born, preferred = self._check(data)
        fee = self.sandbox.fee_paise(data["application_type"], data["booklet"])
        arn = self.sandbox.arn(self._arn_key(data), preferred)
        slot = self._slot(arn, data, preferred, book=False)
        kind = APPLICATION_TYPES.index(data["application_type"])
        pages = BOOKLETS.index(data["booklet"])
        name = " ".join(p for p in (data["given_name"], data.get("surname", "")) if p)
        kendra_en, kendra_hi = kit.choice_label(FORM["properties"]["psk"], slot.kendra)
        details = [
            {"label_en": "Applicant", "label_hi": "आवेदक", "value": name},
            {"label_en": "ARN", "label_hi": "आवेदन संदर्भ संख्या (ARN)", "value": arn},
            {"label_en": "Application", "label_hi": "आवेदन",
             "value": f"{APPLICATION_TYPE_LABELS[kind]} – {BOOKLET_LABELS[pages]}",
             "value_hi": f"{APPLICATION_TYPE_LABELS_HI[kind]} – {BOOKLET_LABELS_HI[pages]}"},
        ]
        if data["application_type"] == "reissue":
            details.append({"label_en": "Old passport", "label_hi": "पुराना पासपोर्ट", "value": data["old_passport_number"]})
        details += [
            {"label_en": "Passport fee", "label_hi": "पासपोर्ट शुल्क", "value": format_paise(fee)},
            # the Kendra a row of its own, under the form's label: the confirmation page then does not list
            # the form's Kendra again (a comma does not join values there: decision 126)
            {"label_en": "Appointment", "label_hi": "अपॉइंटमेंट", "value": slot.when},
            {"label_en": "Passport Seva Kendra", "label_hi": "पासपोर्ट सेवा केंद्र", "value": kendra_en, "value_hi": kendra_hi},
        ]
        return Quote(principal_paise=fee, reference=arn, details=details)

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        preferred = dt.date.fromisoformat(data["preferred_date"])
        self._slot(quote.reference, data, preferred, book=True)
        return quote.reference


@hookimpl
def emitra_register_services(register):
    register(PassportApplication(PassportSandbox()))

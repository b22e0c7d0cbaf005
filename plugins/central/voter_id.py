"""New voter registration (Form 6) for the Election Commission of India.

No government fee: the principal is 0 and the citizen pays only the e-Mitra service charge for an
application (Table 2: Rs 10). The applicant must be 18 on the qualifying date of the current
revision of the rolls (1 January 2027).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.plugins.central.eci_sandbox import CONSTITUENCIES, QUALIFYING_DATE, EciSandbox, age_on

NAME_PATTERN = r"^[^0-9]{2,60}$"
EPIC_PATTERN = r"^[A-Z]{3}[0-9]{7}$"
RELATIONS = ["father", "mother", "husband", "wife", "guardian"]
RELATION_LABELS = ["Father", "Mother", "Husband", "Wife", "Guardian"]
RELATION_LABELS_HI = ["पिता", "माता", "पति", "पत्नी", "अभिभावक"]
GENDERS = ["M", "F", "T"]
GENDER_LABELS = ["Male", "Female", "Third gender"]
GENDER_LABELS_HI = ["पुरुष", "महिला", "तृतीय लिंग"]


def _name(title: str, title_hi: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "x-title-hi": title_hi, "pattern": NAME_PATTERN,
            "x-error-en": "Write the name in letters (2 to 60, no digits).",
            "x-error-hi": "नाम अक्षरों में लिखें (2 से 60, कोई अंक नहीं)।"}


FORM: dict[str, Any] = {
    "type": "object",
    "title": "New voter registration (Form 6)",
    "x-title-hi": "नए मतदाता का पंजीकरण (फ़ॉर्म 6)",
    "properties": {
        "name": _name("Applicant's name", "आवेदक का नाम"),
        "gender": {"type": "string", "title": "Gender", "x-title-hi": "लिंग", "enum": GENDERS,
                   "x-enum-labels": GENDER_LABELS, "x-enum-labels-hi": GENDER_LABELS_HI},
        "relative_name": _name("Relative's name", "संबंधी का नाम"),
        "relation": {"type": "string", "title": "Relation of the relative", "x-title-hi": "संबंधी से संबंध",
                     "enum": RELATIONS, "x-enum-labels": RELATION_LABELS, "x-enum-labels-hi": RELATION_LABELS_HI},
        "date_of_birth": {"type": "string", "format": "date", "title": "Date of birth", "x-title-hi": "जन्म तिथि",
                          "description": "The applicant must be 18 or older on 1 January 2027",
                          "x-description-hi": "1 जनवरी 2027 को आवेदक की आयु 18 वर्ष या अधिक होनी चाहिए"},
        "constituency": {"type": "string", "title": "Assembly constituency", "x-title-hi": "विधानसभा क्षेत्र",
                         "enum": list(CONSTITUENCIES),
                         "x-enum-labels": [f"{int(n)} {en}" for n, (en, _hi) in CONSTITUENCIES.items()],
                         "x-enum-labels-hi": [f"{int(n)} {hi}" for n, (_en, hi) in CONSTITUENCIES.items()]},
        "mobile": kit.mobile("Mobile number (optional)", "मोबाइल नंबर (वैकल्पिक)"),
        "family_members_on_roll": {
            "type": "array",
            "title": "Family members already on the roll (optional)",
            "x-title-hi": "मतदाता सूची में पहले से दर्ज परिवार के सदस्य (वैकल्पिक)",
            "description": "Their EPIC (voter ID card) numbers help place the applicant in the same polling part",
            "x-description-hi": "उनके EPIC (मतदाता पहचान पत्र) नंबर से आवेदक को उसी मतदान भाग में जोड़ा जाता है",
            "x-rows": 2,
            "maxItems": 6,
            "items": {
                "type": "object",
                "properties": {
                    "name": _name("Member's name", "सदस्य का नाम"),
                    "epic_number": {"type": "string", "title": "EPIC number", "x-title-hi": "EPIC नंबर",
                                    "pattern": EPIC_PATTERN,
                                    "x-error-en": "EPIC number is 3 capital letters and 7 digits, e.g. RJA1234567.",
                                    "x-error-hi": "EPIC नंबर 3 बड़े अक्षर और 7 अंक होता है, जैसे RJA1234567।"},
                },
                "required": ["name", "epic_number"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["name", "gender", "relative_name", "relation", "date_of_birth", "constituency"],
    "additionalProperties": False,
}


class VoterRegistration(Service):
    def __init__(self, sandbox: EciSandbox):
        super().__init__(
            code="gov.in.eci.voter_registration",
            title_en="New voter registration (Form 6) – Election Commission of India",
            title_hi="नए मतदाता का पंजीकरण (फ़ॉर्म 6) – भारत निर्वाचन आयोग",
            provider="Election Commission of India",
            provider_hi="भारत निर्वाचन आयोग",
            domain=Domain.CENTRAL,
            category=Category.APPLICATION,
            form=FORM,
            fee=FeeRule(payer=Payer.CITIZEN),
            workflow=Workflow.APPLICATION,
            deliverable="department", sla_days=30,
            paper_documents=(("Signed Form 6", "हस्ताक्षरित फ़ॉर्म 6"),),
            description_en="Enrol as a new voter in a Jaipur assembly constituency. No government fee.",
            description_hi="जयपुर के किसी विधानसभा क्षेत्र में नए मतदाता के रूप में नाम जुड़वाएँ। कोई सरकारी शुल्क नहीं।",
            example={
                "name": "Anjali Sharma", "gender": "F", "relative_name": "Ramesh Kumar Sharma", "relation": "father",
                "date_of_birth": "2008-06-15", "constituency": "054",
                "family_members_on_roll": [{"name": "Ramesh Kumar Sharma", "epic_number": "RJA1234567"},
                                           {"name": "Sushila Sharma", "epic_number": "RJA1234568"}],
            },
        )
        self.sandbox = sandbox

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        born = dt.date.fromisoformat(data["date_of_birth"])
        if age_on(born, QUALIFYING_DATE) < 18:
            raise FieldError(
                "date_of_birth",
                f"The applicant must be 18 on the qualifying date {QUALIFYING_DATE.isoformat()}; "
                f"someone born on {born.isoformat()} is not.",
                f"अर्हता तिथि {QUALIFYING_DATE.isoformat()} को आवेदक की आयु 18 वर्ष होनी चाहिए; "
                f"{born.isoformat()} को जन्मे व्यक्ति की नहीं है।",
            )
        members = data.get("family_members_on_roll", [])
        for i, member in enumerate(members):
            if self.sandbox.elector(member["epic_number"]) is None:
                raise FieldError(
                    f"family_members_on_roll.{i}.epic_number",
                    f"EPIC number {member['epic_number']} is not on the electoral roll. Check the voter ID card.",
                    f"EPIC नंबर {member['epic_number']} मतदाता सूची में नहीं है। मतदाता पहचान पत्र जाँचें।",
                )
        key = "|".join([" ".join(data["name"].upper().split()), data["date_of_birth"], " ".join(data["relative_name"].upper().split())])
        reference = self.sandbox.reference(data["constituency"], key)
        en, hi = CONSTITUENCIES[data["constituency"]]
        details = [
            {"label_en": "Applicant", "label_hi": "आवेदक", "value": data["name"]},
            {"label_en": "Form 6 reference", "label_hi": "फ़ॉर्म 6 संदर्भ संख्या", "value": reference},
            {"label_en": "Assembly constituency", "label_hi": "विधानसभा क्षेत्र",
             "value": f"{int(data['constituency'])} {en}", "value_hi": f"{int(data['constituency'])} {hi}"},
        ]
        if members:
            details.append({"label_en": "Family members on the roll", "label_hi": "सूची में दर्ज परिवार के सदस्य",
                            "value": ", ".join(m["epic_number"] for m in members)})
        return Quote(principal_paise=0, reference=reference, details=details)

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return self.sandbox.receive(quote.reference, f"emitra-{request_id}")


@hookimpl
def emitra_register_services(register):
    register(VoterRegistration(EciSandbox()))

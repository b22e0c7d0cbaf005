"""Birth and death certificates (जन्म-मृत्यु पंजीयन) from the Registrar of Births and Deaths, applied
for at the counter and sent to Pehchan (Directorate of Economics and Statistics, Rajasthan).

Both are applications: the citizen pays the service charge (Table 2: Rs 10); nothing is due to
the department. Pehchan is a sandbox here (:mod:`~emitra.plugins.government.pehchan_sandbox`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.plugins.government.pehchan_sandbox import PehchanSandbox

PROVIDER = "Directorate of Economics and Statistics, Rajasthan (Registrar, Births and Deaths)"
PROVIDER_HI = "आर्थिक एवं सांख्यिकी निदेशालय, राजस्थान (रजिस्ट्रार, जन्म एवं मृत्यु)"

SEXES: list[tuple[str, str, str]] = [("M", "Male", "पुरुष"), ("F", "Female", "महिला"), ("T", "Transgender", "ट्रांसजेंडर")]
BIRTH_PLACES: list[tuple[str, str, str]] = [
    ("hospital", "Hospital or health centre", "अस्पताल या स्वास्थ्य केंद्र"),
    ("home", "Home", "घर"),
    ("other", "Other place", "अन्य स्थान"),
]
INFORMANT_RELATIONS: list[tuple[str, str, str]] = [
    ("son", "Son", "पुत्र"),
    ("daughter", "Daughter", "पुत्री"),
    ("spouse", "Husband / wife", "पति / पत्नी"),
    ("father", "Father", "पिता"),
    ("mother", "Mother", "माता"),
    ("brother", "Brother", "भाई"),
    ("sister", "Sister", "बहन"),
    ("other_relative", "Other relative", "अन्य संबंधी"),
    ("hospital", "Hospital in-charge", "अस्पताल प्रभारी"),
    ("neighbour", "Neighbour / other person", "पड़ोसी / अन्य व्यक्ति"),
]


def _text(title_en: str, title_hi: str, max_length: int = 100, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title_en, "x-title-hi": title_hi, "minLength": 2, "maxLength": max_length, **extra}


MOBILE = kit.mobile("Mobile number for updates (optional)", "सूचना के लिए मोबाइल नंबर (वैकल्पिक)")


def _not_in_future(field: str, text: str, what_en: str, what_hi: str) -> None:
    """A birth or death cannot be registered before it happens (the one check that needs the calendar:
    the counters' date, not the server's, which may still be yesterday in UTC)."""
    if dt.date.fromisoformat(text) > kit.today():
        raise FieldError(field, f"The {what_en} {text} is in the future.", f"{what_hi} {text} भविष्य की तारीख है।")


#: the certificates' particulars give a value in English and, where it is words, its value in Hindi
#: (``value_hi``), printed and shown the page's language first, as every certificate's (decision 67;
#: a certificate issued earlier kept both languages in one value, "Male / पुरुष", and keeps it so:
#: its content is hashed)
ISSUED_BY = {"label_en": "Issuing authority", "label_hi": "जारीकर्ता प्राधिकारी", "value": "Registrar, Births and Deaths",
             "value_hi": "रजिस्ट्रार, जन्म-मृत्यु"}


def _certified(event_en: str, event_hi: str) -> list[dict[str, str]]:
    """What the certificate certifies (Form 5 or 6), in English and in Hindi, as every certificate
    states it: a row each (docs/certificates.md)."""
    return [{"label_en": "Certified (English)", "label_hi": "प्रमाणन (अंग्रेज़ी)",
             "value": "Issued under section 12/17 of the Registration of Births and Deaths Act, 1969 and rule 8/13 of the "
                      "Rajasthan Registration of Births and Deaths Rules, 2000. This is to certify that the following "
                      f"information has been taken from the original record of {event_en} in the register of {event_en}s."},
            {"label_en": "Certified (Hindi)", "label_hi": "प्रमाणन (हिन्दी)",
             "value": "जन्म और मृत्यु रजिस्ट्रीकरण अधिनियम, 1969 की धारा 12/17 तथा राजस्थान जन्म और मृत्यु रजिस्ट्रीकरण "
                      f"नियम, 2000 के नियम 8/13 के अंतर्गत जारी। प्रमाणित किया जाता है कि निम्नलिखित सूचना {event_hi} के मूल "
                      f"अभिलेख ({event_hi} रजिस्टर) से ली गई है।"}]


def _with_kind(name: str, kind_en: str, kind_hi: str) -> dict[str, str]:
    """A name with its kind after it in each language ("Mahila Chikitsalaya (Hospital)", "... (अस्पताल)")."""
    if not kind_en:
        return {"value": name}
    return {"value": f"{name} ({kind_en})", "value_hi": f"{name} ({kind_hi or kind_en})"}


# --- birth certificate ---------------------------------------------------------------------------

BIRTH_FORM: dict[str, Any] = {
    "type": "object",
    "title": "Birth certificate application",
    "x-title-hi": "जन्म प्रमाण पत्र आवेदन",
    "properties": {
        "child_name": _text("Child's name", "बच्चे का नाम"),
        "sex": kit.choice(SEXES, "Sex", "लिंग"),
        "date_of_birth": {"type": "string", "format": "date", "title": "Date of birth", "x-title-hi": "जन्म तिथि"},
        "place_type": kit.choice(BIRTH_PLACES, "Born at", "जन्म का स्थान प्रकार"),
        "place_of_birth": _text("Place of birth", "जन्म स्थान", 150,
                                description="Hospital name, or the house address, with village or town",
                                **{"x-description-hi": "अस्पताल का नाम, या गाँव/शहर सहित घर का पता"}),
        "parents": {
            "type": "object",
            "title": "Parents",
            "x-title-hi": "माता-पिता",
            "properties": {
                "father": _text("Father's name", "पिता का नाम"),
                "mother": _text("Mother's name", "माता का नाम"),
            },
            "required": ["father", "mother"],
            "additionalProperties": False,
        },
        "mobile": MOBILE,
    },
    "required": ["child_name", "sex", "date_of_birth", "place_type", "place_of_birth", "parents"],
    "additionalProperties": False,
}


class BirthCertificate(Service):
    def __init__(self, pehchan: PehchanSandbox):
        super().__init__(
            code="gov.rj.pehchan.birth_certificate",
            title_en="Birth certificate – Registrar, Births and Deaths",
            title_hi="जन्म प्रमाण पत्र – रजिस्ट्रार, जन्म-मृत्यु",
            provider=PROVIDER,
            provider_hi=PROVIDER_HI,
            domain=Domain.GOVERNMENT,
            category=Category.APPLICATION,
            form=BIRTH_FORM,
            fee=FeeRule(payer=Payer.CITIZEN),
            workflow=Workflow.APPLICATION,
            deliverable="certificate", sla_days=7, step_labels=kit.ISSUE_CERTIFICATE,
            description_en="Apply for a birth certificate from the Registrar of Births and Deaths (Pehchan).",
            description_hi="जन्म-मृत्यु रजिस्ट्रार (पहचान) से जन्म प्रमाण पत्र के लिए आवेदन।",
            example={
                "child_name": "Aarav Sharma", "sex": "M", "date_of_birth": "2025-09-03", "place_type": "hospital",
                "place_of_birth": "Mahila Chikitsalaya, Sanganeri Gate, Jaipur", "parents": {"father": "Vikas Sharma", "mother": "Neha Sharma"},
            },
        )
        self.pehchan = pehchan

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        _not_in_future("date_of_birth", data["date_of_birth"], "date of birth", "जन्म तिथि")
        parents = data["parents"]
        sex_en, sex_hi = kit.choice_label(BIRTH_FORM["properties"]["sex"], data["sex"])
        place_en, place_hi = kit.choice_label(BIRTH_FORM["properties"]["place_type"], data["place_type"])
        return Quote(
            principal_paise=0,
            reference=data["child_name"][:100],
            details=[
                {"label_en": "Child", "label_hi": "बच्चा", "value": f"{data['child_name']} ({sex_en})",
                 "value_hi": f"{data['child_name']} ({sex_hi})"},
                {"label_en": "Date of birth", "label_hi": "जन्म तिथि", "value": data["date_of_birth"]},
                {"label_en": "Place of birth", "label_hi": "जन्म स्थान", **_with_kind(data["place_of_birth"], place_en, place_hi)},
                {"label_en": "Parents", "label_hi": "माता-पिता", "value": f"{parents['father']} / {parents['mother']}"},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.pehchan.file_application("birth", data["child_name"], data["date_of_birth"], f"emitra-{request_id}")

    def certificate(self, data: dict[str, Any], details: list[dict[str, str]]) -> dict[str, Any]:
        """The birth certificate (Form 5): an extract of the register of births, in both languages."""
        parents = data.get("parents") or {}
        sex_en, sex_hi = kit.choice_label(BIRTH_FORM["properties"]["sex"], data.get("sex", ""))
        place = data.get("place_type")
        place_en, place_hi = kit.choice_label(BIRTH_FORM["properties"]["place_type"], place) if place else ("", "")
        born = str(data.get("date_of_birth", ""))
        if len(born) == 10 and born[4] == "-":
            born = f"{born[8:10]}-{born[5:7]}-{born[0:4]}"
        rows = [
            *_certified("birth", "जन्म"),
            {"label_en": "Name", "label_hi": "नाम", "value": str(data.get("child_name", ""))},
            {"label_en": "Sex", "label_hi": "लिंग", "value": sex_en, "value_hi": sex_hi},
            {"label_en": "Date of birth", "label_hi": "जन्म तिथि", "value": born},
            {"label_en": "Place of birth", "label_hi": "जन्म स्थान", **_with_kind(str(data.get("place_of_birth", "")), place_en, place_hi)},
            {"label_en": "Name of the mother", "label_hi": "माता का नाम", "value": str(parents.get("mother", ""))},
            {"label_en": "Name of the father", "label_hi": "पिता का नाम", "value": str(parents.get("father", ""))},
            dict(ISSUED_BY),
        ]
        return {"title_en": "Birth Certificate", "title_hi": "जन्म प्रमाण पत्र", "holder": str(data.get("child_name", "")),
                "rows": [r for r in rows if r["value"]]}


# --- death certificate ---------------------------------------------------------------------------

DEATH_FORM: dict[str, Any] = {
    "type": "object",
    "title": "Death certificate application",
    "x-title-hi": "मृत्यु प्रमाण पत्र आवेदन",
    "properties": {
        "deceased_name": _text("Name of the deceased", "मृतक का नाम"),
        "date_of_death": {"type": "string", "format": "date", "title": "Date of death", "x-title-hi": "मृत्यु की तिथि"},
        "place_of_death": _text("Place of death", "मृत्यु का स्थान", 150,
                                description="Hospital name, or the house address, with village or town",
                                **{"x-description-hi": "अस्पताल का नाम, या गाँव/शहर सहित घर का पता"}),
        "informant_name": _text("Informant's name", "सूचनादाता का नाम"),
        "informant_relation": kit.choice(INFORMANT_RELATIONS, "Informant's relation to the deceased", "मृतक से सूचनादाता का संबंध"),
        "hospital_slip": kit.document(
            "Hospital death slip (scan, optional)", "अस्पताल की मृत्यु पर्ची (स्कैन, वैकल्पिक)",
            "PDF, JPEG or PNG, at most 1 MB, when the death was in a hospital",
            "PDF, JPEG या PNG, अधिकतम 1 MB, यदि मृत्यु अस्पताल में हुई"),
        "mobile": MOBILE,
    },
    "required": ["deceased_name", "date_of_death", "place_of_death", "informant_name", "informant_relation"],
    "additionalProperties": False,
}


class DeathCertificate(Service):
    def __init__(self, pehchan: PehchanSandbox):
        super().__init__(
            code="gov.rj.pehchan.death_certificate",
            title_en="Death certificate – Registrar, Births and Deaths",
            title_hi="मृत्यु प्रमाण पत्र – रजिस्ट्रार, जन्म-मृत्यु",
            provider=PROVIDER,
            provider_hi=PROVIDER_HI,
            domain=Domain.GOVERNMENT,
            category=Category.APPLICATION,
            form=DEATH_FORM,
            fee=FeeRule(payer=Payer.CITIZEN),
            workflow=Workflow.APPLICATION,
            deliverable="certificate", sla_days=7, step_labels=kit.ISSUE_CERTIFICATE,
            description_en="Apply for a death certificate from the Registrar of Births and Deaths (Pehchan).",
            description_hi="जन्म-मृत्यु रजिस्ट्रार (पहचान) से मृत्यु प्रमाण पत्र के लिए आवेदन।",
            example={
                "deceased_name": "Prabhu Dayal Sharma", "date_of_death": "2025-10-21", "place_of_death": "SMS Hospital, Jaipur",
                "informant_name": "Ramesh Kumar Sharma", "informant_relation": "son",
            },
        )
        self.pehchan = pehchan

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        _not_in_future("date_of_death", data["date_of_death"], "date of death", "मृत्यु की तिथि")
        relation_en, relation_hi = kit.choice_label(DEATH_FORM["properties"]["informant_relation"], data["informant_relation"])
        return Quote(
            principal_paise=0,
            reference=data["deceased_name"][:100],
            details=[
                {"label_en": "Deceased", "label_hi": "मृतक", "value": data["deceased_name"]},
                {"label_en": "Date of death", "label_hi": "मृत्यु की तिथि", "value": data["date_of_death"]},
                {"label_en": "Place of death", "label_hi": "मृत्यु का स्थान", "value": data["place_of_death"]},
                {"label_en": "Informant", "label_hi": "सूचनादाता", **_with_kind(data["informant_name"], relation_en, relation_hi)},
                {"label_en": "Hospital slip", "label_hi": "अस्पताल पर्ची",
                 "value": "attached" if data.get("hospital_slip") else "not attached",
                 "value_hi": "संलग्न" if data.get("hospital_slip") else "संलग्न नहीं"},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.pehchan.file_application("death", data["deceased_name"], data["date_of_death"], f"emitra-{request_id}")

    def certificate(self, data: dict[str, Any], details: list[dict[str, str]]) -> dict[str, Any]:
        """The death certificate (Form 6): an extract of the register of deaths, in both languages."""
        died = str(data.get("date_of_death", ""))
        if len(died) == 10 and died[4] == "-":
            died = f"{died[8:10]}-{died[5:7]}-{died[0:4]}"
        relation_en, relation_hi = kit.choice_label(DEATH_FORM["properties"]["informant_relation"], data.get("informant_relation", ""))
        rows = [
            *_certified("death", "मृत्यु"),
            {"label_en": "Name of the deceased", "label_hi": "मृतक का नाम", "value": str(data.get("deceased_name", ""))},
            {"label_en": "Date of death", "label_hi": "मृत्यु की तिथि", "value": died},
            {"label_en": "Place of death", "label_hi": "मृत्यु का स्थान", "value": str(data.get("place_of_death", ""))},
            {"label_en": "Informant", "label_hi": "सूचनादाता", **_with_kind(str(data.get("informant_name", "")), relation_en, relation_hi)},
            dict(ISSUED_BY),
        ]
        return {"title_en": "Death Certificate", "title_hi": "मृत्यु प्रमाण पत्र", "holder": str(data.get("deceased_name", "")),
                "rows": [r for r in rows if r["value"]]}


@hookimpl
def emitra_register_services(register):
    pehchan = PehchanSandbox()
    register(BirthCertificate(pehchan))
    register(DeathCertificate(pehchan))

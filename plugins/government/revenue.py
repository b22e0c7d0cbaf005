"""Revenue Department (राजस्व विभाग) applications taken at the counter and sent to the Tehsildar:
caste certificate, domicile (mool niwas) certificate and a certified copy of the jamabandi.

All three are applications: the citizen pays the service charge (Table 2: Rs 10), nothing is due
to the department, and the tehsil processes the request after it is paid. The tehsil's systems
are sandboxes (:mod:`~emitra.plugins.government.revenue_sandbox`,
:mod:`~emitra.plugins.government.land_records_sandbox`).
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.core.money import indian_digits
from emitra.plugins.government.land_records_sandbox import JAMABANDI_SAMVAT, VILLAGES, LandRecordsSandbox, UnknownKhasra
from emitra.plugins.government.revenue_sandbox import RevenueSandbox

PROVIDER = "Revenue Department, Government of Rajasthan"
PROVIDER_HI = "राजस्व विभाग, राजस्थान सरकार"
#: the officer's step that issues the jamabandi copy, named as what it issues (the certificates use
#: kit.ISSUE_CERTIFICATE; the core's default, "Issue the document", names no kind of document)
ISSUE_COPY = {"issue": ("Issue the certified copy", "प्रमाणित नकल जारी करें", "Certified copy issued", "प्रमाणित नकल जारी की गई")}

# Tehsils of Jaipur district: code, English, Hindi
TEHSILS: list[tuple[str, str, str]] = [
    ("jaipur", "Jaipur", "जयपुर"),
    ("sanganer", "Sanganer", "सांगानेर"),
    ("amer", "Amer", "आमेर"),
    ("bassi", "Bassi", "बस्सी"),
    ("chaksu", "Chaksu", "चाकसू"),
    ("chomu", "Chomu", "चौमूं"),
    ("phagi", "Phagi", "फागी"),
    ("phulera", "Phulera", "फुलेरा"),
    ("jamwa_ramgarh", "Jamwa Ramgarh", "जमवारामगढ़"),
    ("dudu", "Dudu", "दूदू"),
    ("mauzamabad", "Mauzamabad", "मौजमाबाद"),
    ("kishangarh_renwal", "Kishangarh Renwal", "किशनगढ़ रेनवाल"),
]
TEHSIL_NAMES = {code: en for code, en, _ in TEHSILS}


def district_hi(typed: str) -> str:
    """The address's district as the Hindi text of a certificate prints it: the form's district is
    typed (default "Jaipur", whose tehsils the form lists), and "जिला Jaipur" in a Hindi sentence is
    the English name; another district's name stays as typed."""
    return "जयपुर" if typed.strip().casefold() == "jaipur" else typed
TEHSIL_NAMES_HI = {code: hi for code, _, hi in TEHSILS}

CASTE_CATEGORIES: list[tuple[str, str, str]] = [
    ("SC", "Scheduled Caste (SC)", "अनुसूचित जाति (SC)"),
    ("ST", "Scheduled Tribe (ST)", "अनुसूचित जनजाति (ST)"),
    ("OBC", "Other Backward Class (OBC)", "अन्य पिछड़ा वर्ग (OBC)"),
    ("MBC", "Most Backward Class (MBC)", "अति पिछड़ा वर्ग (MBC)"),
]
CATEGORY_NAMES = {code: en for code, en, _ in CASTE_CATEGORIES}
CATEGORY_NAMES_HI = {code: hi for code, _, hi in CASTE_CATEGORIES}

def _name(title_en: str, title_hi: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title_en, "x-title-hi": title_hi, "minLength": 2, "maxLength": 100, **extra}


MOBILE = kit.mobile("Mobile number for updates (optional)", "सूचना के लिए मोबाइल नंबर (वैकल्पिक)")


def address_schema(title_en: str = "Address", title_hi: str = "पता") -> dict[str, Any]:
    """A postal address in Jaipur district (a nested object)."""
    return {
        "type": "object",
        "title": title_en,
        "x-title-hi": title_hi,
        "properties": {
            "house": {"type": "string", "title": "House number / street", "x-title-hi": "मकान संख्या / गली",
                      "minLength": 1, "maxLength": 120},
            "village_ward": {"type": "string", "title": "Village / ward", "x-title-hi": "गाँव / वार्ड",
                             "minLength": 2, "maxLength": 80},
            "tehsil": kit.choice(TEHSILS, "Tehsil", "तहसील"),
            "district": {"type": "string", "title": "District", "x-title-hi": "जिला", "minLength": 2, "maxLength": 60,
                         "default": "Jaipur"},
            "pin": kit.pin(),
        },
        "required": ["village_ward", "tehsil", "district", "pin"],
        "additionalProperties": False,
    }


def khasra_property() -> dict[str, Any]:
    return {
        "type": "string",
        "title": "Khasra number",
        "x-title-hi": "खसरा संख्या",
        "description": "The field's survey number, e.g. 112 or 245/1",
        "x-description-hi": "खेत की सर्वे संख्या, जैसे 112 या 245/1",
        "pattern": r"^[0-9]{1,5}(/[0-9]{1,3}){0,2}$",
        "x-error-en": "Khasra number is digits, with an optional sub-number after a slash (e.g. 112 or 245/1).",
        "x-error-hi": "खसरा संख्या अंकों में होती है, स्लैश के बाद उप-संख्या हो सकती है (जैसे 112 या 245/1)।",
        "x-inputmode": "numeric",
    }


def village_property() -> dict[str, Any]:
    options = [(code, f"{v_en} (tehsil {t_en})", f"{v_hi} (तहसील {t_hi})") for code, (v_en, v_hi, t_en, t_hi) in VILLAGES.items()]
    return kit.choice(options, "Village", "गाँव")


def _details(*rows: tuple[Any, ...]) -> list[dict[str, str]]:
    """Detail rows of (English label, Hindi label, value[, Hindi value]); empty values left out."""
    out = []
    for en, hi, value, *value_hi in rows:
        if value in (None, ""):
            continue
        row = {"label_en": en, "label_hi": hi, "value": str(value)}
        if value_hi and value_hi[0]:
            row["value_hi"] = str(value_hi[0])
        out.append(row)
    return out


# --- caste certificate ---------------------------------------------------------------------------

CASTE_FORM: dict[str, Any] = {
    "type": "object",
    "title": "Caste certificate application",
    "x-title-hi": "जाति प्रमाण पत्र आवेदन",
    "properties": {
        "applicant_name": _name("Applicant's name", "आवेदक का नाम"),
        "father_name": _name("Father's name", "पिता का नाम"),
        "caste_category": kit.choice(CASTE_CATEGORIES, "Caste category", "जाति वर्ग"),
        "caste": _name("Caste", "जाति", description="As in the state list, e.g. Meena, Bairwa, Jat, Gurjar",
                       **{"x-description-hi": "राज्य की सूची के अनुसार, जैसे मीणा, बैरवा, जाट, गुर्जर"}),
        "address": address_schema("Permanent address", "स्थायी पता"),
        "ration_card_scan": kit.document(
            "Ration card (scan)", "राशन कार्ड (स्कैन)",
            "PDF, JPEG or PNG, at most 1 MB: the family's ration card",
            "PDF, JPEG या PNG, अधिकतम 1 MB: परिवार का राशन कार्ड"),
        "mobile": MOBILE,
    },
    "required": ["applicant_name", "father_name", "caste_category", "caste", "address", "ration_card_scan"],
    # OBC and MBC certificates carry the non-creamy layer status: the family income and a declaration
    "if": {"properties": {"caste_category": {"enum": ["OBC", "MBC"]}}, "required": ["caste_category"]},
    "then": {
        "properties": {
            "annual_family_income": {
                "type": "integer",
                "title": "Annual family income (₹)",
                "x-title-hi": "वार्षिक पारिवारिक आय (₹)",
                "description": "All sources, whole rupees, for the last financial year",
                "x-description-hi": "सभी स्रोतों से, पूरे रुपयों में, पिछले वित्तीय वर्ष की",
                "minimum": 0,
                "x-inputmode": "numeric",
                "x-money": True,  # an amount: typed as the money boxes take one, ₹350 or Rs 350 (core/forms.money_field)
            },
            "non_creamy_layer": {
                "type": "boolean",
                "title": "I declare that the family is not in the creamy layer",
                "x-title-hi": "मैं घोषणा करता/करती हूँ कि परिवार क्रीमी लेयर में नहीं है",
                "description": "Required for an OBC or MBC certificate",
                "x-description-hi": "OBC या MBC प्रमाण पत्र के लिए आवश्यक",
                "const": True,
            },
        },
        "required": ["annual_family_income", "non_creamy_layer"],
    },
    # SC and ST: no income or declaration is asked (the form page does not show them).
    "unevaluatedProperties": False,
}


class CasteCertificate(Service):
    def __init__(self, office: RevenueSandbox):
        super().__init__(
            code="gov.rj.revenue.caste_certificate",
            title_en="Caste certificate – Revenue Department",
            title_hi="जाति प्रमाण पत्र – राजस्व विभाग",
            provider=PROVIDER,
            provider_hi=PROVIDER_HI,
            domain=Domain.GOVERNMENT,
            category=Category.APPLICATION,
            form=CASTE_FORM,
            fee=FeeRule(payer=Payer.CITIZEN),
            workflow=Workflow.APPLICATION,
            deliverable="certificate", sla_days=15, step_labels=kit.ISSUE_CERTIFICATE,
            paper_documents=(("Signed application form", "हस्ताक्षरित आवेदन पत्र"),
                             ("Self-attested copy of the ration card", "राशन कार्ड की स्व-प्रमाणित प्रति"),
                             ("Affidavit of caste", "जाति का शपथ पत्र")),
            description_en="Apply to the Tehsildar for an SC, ST, OBC or MBC caste certificate.",
            description_hi="SC, ST, OBC या MBC जाति प्रमाण पत्र के लिए तहसीलदार को आवेदन।",
            example={  # the ration card scan is uploaded
                "applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "SC",
                "caste": "Bairwa", "address": {"house": "14, Bairwa Mohalla", "village_ward": "Phagi", "tehsil": "phagi", "district": "Jaipur", "pin": "303005"},
            },
        )
        self.office = office

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        tehsil = TEHSIL_NAMES[data["address"]["tehsil"]]
        category = data["caste_category"]
        income = data.get("annual_family_income") if category in ("OBC", "MBC") else None
        return Quote(
            principal_paise=0,
            reference=data["applicant_name"][:100],
            details=_details(
                ("Applicant", "आवेदक", data["applicant_name"]),
                ("Father's name", "पिता का नाम", data["father_name"]),
                ("Caste", "जाति", f"{data['caste']} – {CATEGORY_NAMES[category]}", f"{data['caste']} – {CATEGORY_NAMES_HI[category]}"),
                ("Annual family income (₹)", "वार्षिक पारिवारिक आय (₹)", None if income is None else indian_digits(income)),
                ("Processed by", "प्रक्रिया कार्यालय", f"Tehsildar, {tehsil}", f"तहसीलदार, {TEHSIL_NAMES_HI[data['address']['tehsil']]}"),
            ),
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.office.file_application("caste", data["address"]["tehsil"], data["applicant_name"], f"emitra-{request_id}")

    def certificate(self, data: dict[str, Any], details: list[dict[str, str]]) -> dict[str, Any]:
        """The caste certificate as the Tehsildar issues it: the certifying statement in both
        languages, then the particulars (no house number, PIN or mobile: only what the paper shows)."""
        address = data.get("address") or {}
        code = address.get("tehsil", "")
        tehsil_en, tehsil_hi = next(((en, hi) for c, en, hi in TEHSILS if c == code), (code, code))
        category = data.get("caste_category", "")
        category_en, category_hi = next(((en, hi) for c, en, hi in CASTE_CATEGORIES if c == category), (category, category))
        name, father, caste = data.get("applicant_name", ""), data.get("father_name", ""), data.get("caste", "")
        village, district = address.get("village_ward", ""), address.get("district", "") or "Jaipur"
        statement_en = (f"This is to certify that {name}, son/daughter of {father}, resident of {village}, tehsil {tehsil_en}, "
                        f"district {district}, Rajasthan, belongs to the {caste} caste, which is recognised as "
                        f"{category_en} under the orders of the Government of Rajasthan.")
        statement_hi = (f"प्रमाणित किया जाता है कि {name} पुत्र/पुत्री श्री {father}, निवासी {village}, तहसील {tehsil_hi}, "
                        f"जिला {district_hi(district)}, राजस्थान, {caste} जाति के सदस्य हैं, जिसे राजस्थान सरकार के आदेशानुसार "
                        f"{category_hi} के रूप में मान्यता प्राप्त है।")
        income = data.get("annual_family_income") if category in ("OBC", "MBC") else None
        if income is not None:
            statement_en += f" The family does not belong to the creamy layer (annual family income Rs {indian_digits(income)})."
            statement_hi += f" परिवार क्रीमी लेयर में नहीं है (वार्षिक पारिवारिक आय ₹{indian_digits(income)})।"
        return {
            "title_en": "Caste Certificate", "title_hi": "जाति प्रमाण पत्र", "holder": name,
            "rows": _details(
                ("Certified (English)", "प्रमाणन (अंग्रेज़ी)", statement_en),
                ("Certified (Hindi)", "प्रमाणन (हिन्दी)", statement_hi),
                ("Name", "नाम", name),
                ("Father's name", "पिता का नाम", father),
                ("Caste", "जाति", caste),
                ("Category", "वर्ग", category_en, category_hi),
                ("Resident of", "निवासी", f"{village}, tehsil {tehsil_en}, district {district}",
                 f"{village}, तहसील {tehsil_hi}, जिला {district_hi(district)}"),
                ("Annual family income (Rs)", "वार्षिक पारिवारिक आय (₹)", None if income is None else indian_digits(income)),
                ("Issuing authority", "जारीकर्ता प्राधिकारी", f"Tehsildar, {tehsil_en}", f"तहसीलदार, {tehsil_hi}"),
            ),
        }


# --- domicile (mool niwas) certificate -----------------------------------------------------------

DOMICILE_PURPOSES: list[tuple[str, str, str]] = [
    ("education", "Admission to an educational institution", "शैक्षणिक संस्थान में प्रवेश"),
    ("employment", "Government employment / recruitment", "सरकारी नौकरी / भर्ती"),
    ("scholarship", "Scholarship", "छात्रवृत्ति"),
    ("other", "Other", "अन्य"),
]
GENDERS: list[tuple[str, str, str]] = [
    ("M", "Male", "पुरुष"),
    ("F", "Female", "महिला"),
    ("T", "Transgender", "ट्रांसजेंडर"),
]

DOMICILE_FORM: dict[str, Any] = {
    "type": "object",
    "title": "Domicile (mool niwas) certificate application",
    "x-title-hi": "मूल निवास प्रमाण पत्र आवेदन",
    "x-steps": [
        {"title": "Applicant", "x-title-hi": "आवेदक",
         "fields": ["applicant_name", "father_name", "date_of_birth", "gender", "purpose", "mobile"]},
        {"title": "Residence", "x-title-hi": "निवास", "fields": ["years_of_residence", "address"]},
        {"title": "Documents", "x-title-hi": "दस्तावेज़", "fields": ["residence_proof", "declaration"]},
    ],
    "properties": {
        "applicant_name": _name("Applicant's name", "आवेदक का नाम"),
        "father_name": _name("Father's name", "पिता का नाम"),
        "date_of_birth": {"type": "string", "format": "date", "title": "Date of birth", "x-title-hi": "जन्म तिथि"},
        "gender": kit.choice(GENDERS, "Gender", "लिंग"),
        "purpose": kit.choice(DOMICILE_PURPOSES, "Purpose of the certificate", "प्रमाण पत्र का उद्देश्य"),
        "mobile": MOBILE,
        "years_of_residence": {
            "type": "integer",
            "title": "Years of residence in Rajasthan",
            "x-title-hi": "राजस्थान में निवास के वर्ष",
            "description": "At least 10 years of continuous residence",
            "x-description-hi": "कम से कम 10 वर्ष का लगातार निवास",
            "minimum": 10,
            "maximum": 120,
            "x-inputmode": "numeric",
        },
        "address": address_schema("Present address in Rajasthan", "राजस्थान में वर्तमान पता"),
        "residence_proof": kit.document(
            "Proof of residence (scan)", "निवास का प्रमाण (स्कैन)",
            "PDF, JPEG or PNG, at most 1 MB: e.g. ration card, electricity bill or school certificate",
            "PDF, JPEG या PNG, अधिकतम 1 MB: जैसे राशन कार्ड, बिजली बिल या स्कूल प्रमाण पत्र"),
        "declaration": {
            "type": "boolean",
            "title": "I declare that the information given is true",
            "x-title-hi": "मैं घोषणा करता/करती हूँ कि दी गई जानकारी सत्य है",
            "const": True,
        },
    },
    "required": ["applicant_name", "father_name", "date_of_birth", "gender", "purpose",
                 "years_of_residence", "address", "residence_proof", "declaration"],
    "additionalProperties": False,
}


class DomicileCertificate(Service):
    def __init__(self, office: RevenueSandbox):
        super().__init__(
            code="gov.rj.revenue.domicile_certificate",
            title_en="Domicile (mool niwas) certificate – Revenue Department",
            title_hi="मूल निवास प्रमाण पत्र – राजस्व विभाग",
            provider=PROVIDER,
            provider_hi=PROVIDER_HI,
            domain=Domain.GOVERNMENT,
            category=Category.APPLICATION,
            form=DOMICILE_FORM,
            fee=FeeRule(payer=Payer.CITIZEN),
            workflow=Workflow.APPLICATION,
            deliverable="certificate", sla_days=15, personal_verification=True, step_labels=kit.ISSUE_CERTIFICATE,
            paper_documents=(("Signed application form", "हस्ताक्षरित आवेदन पत्र"),
                             ("Self-attested proof of residence", "निवास प्रमाण की स्व-प्रमाणित प्रति"),
                             ("Affidavit of 10 years' residence", "10 वर्ष के निवास का शपथ पत्र")),
            description_en="Apply to the Tehsildar for a certificate of domicile of Rajasthan (10 years' residence).",
            description_hi="राजस्थान के मूल निवास प्रमाण पत्र के लिए तहसीलदार को आवेदन (10 वर्ष का निवास)।",
            example={  # the residence proof is uploaded
                "applicant_name": "Pooja Kumawat", "father_name": "Jagdish Prasad Kumawat", "date_of_birth": "2006-08-15",
                "gender": "F", "purpose": "education", "years_of_residence": 18,
                "address": {"house": "14, Bairwa Mohalla", "village_ward": "Ward 12", "tehsil": "chomu", "district": "Jaipur", "pin": "303005"},
                "declaration": True,
            },
        )
        self.office = office

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        tehsil = TEHSIL_NAMES[data["address"]["tehsil"]]
        purpose = dict((c, en) for c, en, _ in DOMICILE_PURPOSES)[data["purpose"]]
        purpose_hi = dict((c, hi) for c, _, hi in DOMICILE_PURPOSES)[data["purpose"]]
        return Quote(
            principal_paise=0,
            reference=data["applicant_name"][:100],
            details=_details(
                ("Applicant", "आवेदक", data["applicant_name"]),
                ("Father's name", "पिता का नाम", data["father_name"]),
                ("Years of residence", "निवास के वर्ष", data["years_of_residence"]),
                ("Purpose", "उद्देश्य", purpose, purpose_hi),
                ("Processed by", "प्रक्रिया कार्यालय", f"Tehsildar, {tehsil}", f"तहसीलदार, {TEHSIL_NAMES_HI[data['address']['tehsil']]}"),
            ),
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.office.file_application("domicile", data["address"]["tehsil"], data["applicant_name"], f"emitra-{request_id}")

    def certificate(self, data: dict[str, Any], details: list[dict[str, str]]) -> dict[str, Any]:
        """The domicile (mool niwas) certificate: who, where, for how long, and for what purpose."""
        address = data.get("address") or {}
        code = address.get("tehsil", "")
        tehsil_en, tehsil_hi = next(((en, hi) for c, en, hi in TEHSILS if c == code), (code, code))
        gender = data.get("gender", "")
        relation_en, relation_hi = {"M": ("son", "पुत्र"), "F": ("daughter", "पुत्री")}.get(gender, ("child", "संतान"))
        sex_en, sex_hi = next(((en, hi) for c, en, hi in GENDERS if c == gender), (gender, gender))
        purpose = data.get("purpose", "")
        purpose_en, purpose_hi = next(((en, hi) for c, en, hi in DOMICILE_PURPOSES if c == purpose), (purpose, purpose))
        name, father, years = data.get("applicant_name", ""), data.get("father_name", ""), data.get("years_of_residence", "")
        village, district = address.get("village_ward", ""), address.get("district", "") or "Jaipur"
        born = str(data.get("date_of_birth", ""))
        if len(born) == 10 and born[4] == "-":
            born = f"{born[8:10]}-{born[5:7]}-{born[0:4]}"
        statement_en = (f"This is to certify that {name}, {relation_en} of {father}, resident of {village}, tehsil {tehsil_en}, "
                        f"district {district}, has ordinarily resided in the State of Rajasthan for {years} years and is a "
                        f"bona fide resident (mool niwasi) of Rajasthan.")
        statement_hi = (f"प्रमाणित किया जाता है कि {name} {relation_hi} श्री {father}, निवासी {village}, तहसील {tehsil_hi}, "
                        f"जिला {district_hi(district)}, पिछले {years} वर्षों से राजस्थान राज्य में सामान्यतः निवास कर रहे हैं तथा "
                        f"राजस्थान के मूल निवासी हैं।")
        return {
            "title_en": "Domicile Certificate (Mool Niwas)", "title_hi": "मूल निवास प्रमाण पत्र", "holder": name,
            "rows": _details(
                ("Certified (English)", "प्रमाणन (अंग्रेज़ी)", statement_en),
                ("Certified (Hindi)", "प्रमाणन (हिन्दी)", statement_hi),
                ("Name", "नाम", name),
                ("Father's name", "पिता का नाम", father),
                ("Date of birth", "जन्म तिथि", born),
                ("Sex", "लिंग", sex_en, sex_hi),
                ("Resident of", "निवासी", f"{village}, tehsil {tehsil_en}, district {district}",
                 f"{village}, तहसील {tehsil_hi}, जिला {district_hi(district)}"),
                ("Years of residence in Rajasthan", "राजस्थान में निवास के वर्ष", years),
                ("Purpose", "उद्देश्य", purpose_en, purpose_hi),
                ("Issuing authority", "जारीकर्ता प्राधिकारी", f"Tehsildar, {tehsil_en}", f"तहसीलदार, {tehsil_hi}"),
            ),
        }


# --- copy of the jamabandi -----------------------------------------------------------------------

JAMABANDI_FORM: dict[str, Any] = {
    "type": "object",
    "title": "Certified copy of the jamabandi",
    "x-title-hi": "जमाबंदी की प्रमाणित नकल",
    "properties": {
        "village": village_property(),
        "khasra_no": khasra_property(),
        "mobile": MOBILE,
    },
    "required": ["village", "khasra_no"],
    "additionalProperties": False,
}


def khasra_not_found(village: str, khasra: str) -> FieldError:
    v_en, v_hi, _, _ = VILLAGES[village]
    return FieldError(
        "khasra_no",
        f"There is no khasra {khasra} in the land records of village {v_en}. Check the number on the jamabandi or girdawari.",
        f"गाँव {v_hi} के भू-अभिलेख में खसरा {khasra} नहीं है। जमाबंदी या गिरदावरी पर लिखी संख्या जाँचें।",
    )


class JamabandiCopy(Service):
    def __init__(self, land: LandRecordsSandbox):
        super().__init__(
            code="gov.rj.revenue.jamabandi_copy",
            title_en="Copy of the jamabandi (land record) – Revenue Department",
            title_hi="जमाबंदी की नकल – राजस्व विभाग",
            provider=PROVIDER,
            provider_hi=PROVIDER_HI,
            domain=Domain.GOVERNMENT,
            category=Category.APPLICATION,
            form=JAMABANDI_FORM,
            fee=FeeRule(payer=Payer.CITIZEN),
            workflow=Workflow.APPLICATION,
            deliverable="certificate", sla_days=3, paper_documents=(), step_labels=ISSUE_COPY,
            description_en="A certified copy of the record of rights for a khasra, issued by the tehsil.",
            description_hi="किसी खसरे के अधिकार अभिलेख (जमाबंदी) की तहसील द्वारा प्रमाणित नकल।",
            example={"village": "sanganer", "khasra_no": "245/1"},
        )
        self.land = land

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        village, khasra = data["village"], data["khasra_no"]
        record = await kit.look_up(self.land.record(village, khasra), {UnknownKhasra: khasra_not_found(village, khasra)})
        v_en, v_hi, t_en, t_hi = VILLAGES[village]
        return Quote(
            principal_paise=0,
            reference=f"{v_en} / khasra {record.khasra}",
            details=_details(
                ("Village / tehsil", "गाँव / तहसील", f"{v_en} / {t_en}", f"{v_hi} / {t_hi}"),
                ("Khata number", "खाता संख्या", record.khata),
                ("Khasra number", "खसरा संख्या", record.khasra),
                ("Owners", "खातेदार", "; ".join(record.owners), "; ".join(record.owners_hi)),
                ("Area", "क्षेत्रफल", record.area_text, record.area_text_hi),
                ("Land class", "भूमि किस्म", record.land_class, record.land_class_hi),
                ("Jamabandi (samvat)", "जमाबंदी (संवत)", JAMABANDI_SAMVAT),
            ),
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.land.request_copy(data["village"], data["khasra_no"], f"emitra-{request_id}")

    def certificate(self, data: dict[str, Any], details: list[dict[str, str]]) -> dict[str, Any]:
        """The certified copy: the attestation, then the jamabandi entry as the land records gave it at the counter."""
        village = data.get("village", "")
        v_en, v_hi, t_en, t_hi = VILLAGES.get(village, (village, village, "", ""))
        khasra = data.get("khasra_no", "")
        statement_en = (f"Certified to be a true copy of the entry for khasra {khasra} in the jamabandi (record of rights) "
                        f"of village {v_en}, tehsil {t_en}, samvat {JAMABANDI_SAMVAT}.")
        statement_hi = (f"प्रमाणित किया जाता है कि यह गाँव {v_hi}, तहसील {t_hi} की जमाबंदी (संवत {JAMABANDI_SAMVAT}) में "
                        f"खसरा संख्या {khasra} की प्रविष्टि की सही प्रतिलिपि है।")
        rows = _details(("Certified (English)", "प्रमाणन (अंग्रेज़ी)", statement_en), ("Certified (Hindi)", "प्रमाणन (हिन्दी)", statement_hi))
        rows += [dict(r) for r in details]
        rows += _details(("Issuing authority", "जारीकर्ता प्राधिकारी", f"Tehsildar, {t_en} / तहसीलदार, {t_hi}"))
        return {"title_en": "Certified Copy of the Jamabandi", "title_hi": "जमाबंदी की प्रमाणित प्रतिलिपि", "holder": "", "rows": rows}


@hookimpl
def emitra_register_services(register):
    office = RevenueSandbox()
    register(CasteCertificate(office))
    register(DomicileCertificate(office))
    register(JamabandiCopy(LandRecordsSandbox()))

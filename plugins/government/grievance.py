"""A grievance to any department of the state, registered on Rajasthan Sampark (राजस्थान संपर्क).

Category grievance: the citizen pays the service charge (Table 2: Rs 5); nothing is due to the
department. Rajasthan Sampark is a sandbox here (:mod:`~emitra.plugins.government.sampark_sandbox`).
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.plugins.government.sampark_sandbox import SamparkSandbox

PROVIDER = "Rajasthan Sampark (Department of Administrative Reforms)"
PROVIDER_HI = "राजस्थान संपर्क (प्रशासनिक सुधार विभाग)"

DEPARTMENTS: list[tuple[str, str, str]] = [
    ("energy", "Energy (electricity discoms)", "ऊर्जा (बिजली वितरण निगम)"),
    ("phed", "Public Health Engineering (water supply)", "जन स्वास्थ्य अभियांत्रिकी (जल आपूर्ति)"),
    ("revenue", "Revenue (land records, tehsil)", "राजस्व (भू-अभिलेख, तहसील)"),
    ("local_bodies", "Local Self Government (municipal bodies)", "स्वायत्त शासन (नगरीय निकाय)"),
    ("rural_development", "Rural Development and Panchayati Raj", "ग्रामीण विकास एवं पंचायती राज"),
    ("food", "Food and Civil Supplies (ration)", "खाद्य एवं नागरिक आपूर्ति (राशन)"),
    ("medical", "Medical and Health", "चिकित्सा एवं स्वास्थ्य"),
    ("education", "School Education", "स्कूल शिक्षा"),
    ("police", "Home (police)", "गृह (पुलिस)"),
    ("social_justice", "Social Justice and Empowerment (pensions)", "सामाजिक न्याय एवं अधिकारिता (पेंशन)"),
    ("transport", "Transport", "परिवहन"),
    ("pwd", "Public Works (roads)", "सार्वजनिक निर्माण (सड़कें)"),
]

def department_name(code: str) -> str:
    """The department a grievance is routed to, e.g. 'Public Health Engineering (water supply)'."""
    return next(en for c, en, _ in DEPARTMENTS if c == code)


FORM: dict[str, Any] = {
    "type": "object",
    "title": "Grievance on Rajasthan Sampark",
    "x-title-hi": "राजस्थान संपर्क पर शिकायत",
    "properties": {
        "department": kit.choice(DEPARTMENTS, "Department", "विभाग"),
        "subject": {
            "type": "string",
            "title": "Subject",
            "x-title-hi": "विषय",
            "description": "One line, e.g. 'No water supply in ward 12 for a week'",
            "x-description-hi": "एक पंक्ति में, जैसे 'वार्ड 12 में एक सप्ताह से पानी नहीं आ रहा'",
            "minLength": 5,
            "maxLength": 150,
        },
        "description": {
            "type": "string",
            "title": "Grievance in detail",
            "x-title-hi": "शिकायत का विवरण",
            "description": "What happened, where and since when; any application or bill number",
            "x-description-hi": "क्या हुआ, कहाँ और कब से; कोई आवेदन या बिल संख्या",
            "minLength": 20,
            "maxLength": 2000,
        },
        "attachment": kit.document(
            "Supporting document (scan, optional)", "सहायक दस्तावेज़ (स्कैन, वैकल्पिक)",
            "PDF, JPEG or PNG, at most 2 MB", "PDF, JPEG या PNG, अधिकतम 2 MB", max_kb=2048),
        "mobile": kit.mobile("Mobile number for updates (optional)", "सूचना के लिए मोबाइल नंबर (वैकल्पिक)"),
    },
    "required": ["department", "subject", "description"],
    "additionalProperties": False,
}


class Grievance(Service):
    def __init__(self, sampark: SamparkSandbox):
        super().__init__(
            code="gov.rj.sampark.grievance",
            title_en="Grievance – Rajasthan Sampark",
            title_hi="शिकायत – राजस्थान संपर्क",
            provider=PROVIDER,
            provider_hi=PROVIDER_HI,
            departments_hi={en: hi for _code, en, hi in DEPARTMENTS},  # route() sends it to one of them
            domain=Domain.GOVERNMENT,
            category=Category.GRIEVANCE,
            form=FORM,
            fee=FeeRule(payer=Payer.CITIZEN),
            workflow=Workflow.APPLICATION,
            deliverable=None, sla_days=15, paper_documents=(),
            description_en="Register a grievance against any state department on Rajasthan Sampark.",
            description_hi="राजस्थान संपर्क पर किसी भी राज्य विभाग के विरुद्ध शिकायत दर्ज करें।",
            example={
                "department": "phed", "subject": "No water supply in ward 12 for a week",
                "description": "The PHED tap supply in ward 12, Chomu has been off since 20 November; the tanker has not come either.",
            },
        )
        self.sampark = sampark

    def route(self, data: dict[str, Any]) -> str:
        """The grievance goes to the department the citizen chose (officers' department name)."""
        return department_name(data["department"])

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        department, department_hi = next((en, hi) for c, en, hi in DEPARTMENTS if c == data["department"])
        attached = bool(data.get("attachment"))
        return Quote(
            principal_paise=0,
            reference=data["subject"][:100],
            details=[
                {"label_en": "Department", "label_hi": "विभाग", "value": department, "value_hi": department_hi},
                {"label_en": "Subject", "label_hi": "विषय", "value": data["subject"]},
                {"label_en": "Document attached", "label_hi": "दस्तावेज़ संलग्न", "value": "yes" if attached else "no",
                 "value_hi": "हाँ" if attached else "नहीं"},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.sampark.register_grievance(data["department"], data["subject"], f"emitra-{request_id}")


@hookimpl
def emitra_register_services(register):
    register(Grievance(SamparkSandbox()))

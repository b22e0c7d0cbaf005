"""New PAN application (Form 49A) for the Income Tax Department, through Protean (NSDL e-Gov).

The counter scans the photograph, the signature and a proof of identity, collects the PAN fee
(Rs 107, paid over to Protean) and forwards the application; the receipt carries Protean's
15-digit acknowledgement number. The citizen pays the e-Mitra service charge (Table 2: Rs 10).
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.core.money import format_paise
from emitra.plugins.central.pan_sandbox import AlreadyHasPan, PanSandbox

NAME_PATTERN = r"^[A-Za-z][A-Za-z .'-]{1,74}$"
NAME_ERROR_EN = "Write the full name in English letters, as on the proof of identity."
NAME_ERROR_HI = "पूरा नाम अंग्रेज़ी अक्षरों में लिखें, जैसा पहचान प्रमाण पर है।"

FORM: dict[str, Any] = {
    "type": "object",
    "title": "New PAN application (Form 49A)",
    "x-title-hi": "नया पैन आवेदन (फ़ॉर्म 49A)",
    "properties": {
        "name": {"type": "string", "title": "Full name of the applicant", "x-title-hi": "आवेदक का पूरा नाम",
                 "description": "First, middle and last name, in English letters",
                 "x-description-hi": "प्रथम, मध्य और अंतिम नाम, अंग्रेज़ी अक्षरों में",
                 "pattern": NAME_PATTERN, "x-error-en": NAME_ERROR_EN, "x-error-hi": NAME_ERROR_HI},
        "father_name": {"type": "string", "title": "Father's full name", "x-title-hi": "पिता का पूरा नाम",
                        "pattern": NAME_PATTERN, "x-error-en": NAME_ERROR_EN, "x-error-hi": NAME_ERROR_HI},
        "date_of_birth": {"type": "string", "format": "date", "title": "Date of birth", "x-title-hi": "जन्म तिथि"},
        "mobile": kit.mobile("Mobile number", "मोबाइल नंबर"),
        "photo": kit.document("Photograph (JPEG or PNG, up to 200 KB)", "फ़ोटो (JPEG या PNG, अधिकतम 200 KB)",
                              "Recent colour photograph, 3.5 cm x 2.5 cm, scanned at 200 dpi",
                              "हाल का रंगीन फ़ोटो, 3.5 सेमी x 2.5 सेमी, 200 dpi पर स्कैन किया हुआ",
                              accept=kit.IMAGE, max_kb=200),
        "signature": kit.document("Signature (JPEG or PNG, up to 200 KB)", "हस्ताक्षर (JPEG या PNG, अधिकतम 200 KB)",
                                  "Signature or left thumb impression on white paper",
                                  "सफ़ेद कागज़ पर हस्ताक्षर या बाएँ अंगूठे का निशान",
                                  accept=kit.IMAGE, max_kb=200),
        "proof_of_identity": kit.document(
            "Proof of identity, address and date of birth (PDF, JPEG or PNG, up to 1 MB)",
            "पहचान, पते और जन्म तिथि का प्रमाण (PDF, JPEG या PNG, अधिकतम 1 MB)",
            "Aadhaar card, or voter ID with a birth certificate",
            "आधार कार्ड, या जन्म प्रमाण पत्र के साथ मतदाता पहचान पत्र"),
    },
    "required": ["name", "father_name", "date_of_birth", "mobile", "photo", "signature", "proof_of_identity"],
    "additionalProperties": False,
}


class PanApplication(Service):
    def __init__(self, sandbox: PanSandbox):
        super().__init__(
            code="gov.in.incometax.pan_new",
            title_en="New PAN card application (Form 49A)",
            title_hi="नया पैन कार्ड आवेदन (फ़ॉर्म 49A)",
            provider="Income Tax Department PAN (Protean/NSDL)",
            provider_hi="आयकर विभाग पैन (प्रोटियन/एनएसडीएल)",
            domain=Domain.CENTRAL,
            category=Category.APPLICATION,
            form=FORM,
            fee=FeeRule(payer=Payer.CITIZEN),
            workflow=Workflow.APPLICATION,
            deliverable="department", sla_days=15,
            paper_documents=(("Signed Form 49A with photographs", "फ़ोटो सहित हस्ताक्षरित फ़ॉर्म 49A"),),
            description_en="Apply for a first PAN: the PAN fee (Rs 107) is paid to Protean with the scanned photo, "
                           "signature and proof of identity.",
            description_hi="पहला पैन बनवाने का आवेदन: पैन शुल्क (₹107) स्कैन किए फ़ोटो, हस्ताक्षर और पहचान प्रमाण के "
                           "साथ प्रोटियन को भेजा जाता है।",
            example={"name": "Anjali Sharma", "father_name": "Ramesh Kumar Sharma", "date_of_birth": "2008-06-15", "mobile": "9829012345"},
        )
        self.sandbox = sandbox

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        name = " ".join(data["name"].split())
        try:
            self.sandbox.check_new_applicant(name, data["date_of_birth"])
        except AlreadyHasPan as exc:
            raise FieldError(
                "name",
                f"{name} (born {data['date_of_birth']}) already holds PAN {exc.masked}; a second PAN is not allowed. "
                "Apply for a change or correction of PAN data instead.",
                f"{name} (जन्म {data['date_of_birth']}) के पास पहले से पैन {exc.masked} है; दूसरा पैन नहीं बन सकता। "
                "इसके बजाय पैन विवरण में बदलाव/सुधार का आवेदन करें।",
            ) from None
        fee = self.sandbox.fee_paise()
        key = "|".join([name.upper(), " ".join(data["father_name"].upper().split()), data["date_of_birth"], data["mobile"], data["photo"]])
        ack = self.sandbox.acknowledgement(key)
        return Quote(
            principal_paise=fee,
            reference=ack,
            details=[
                {"label_en": "Applicant", "label_hi": "आवेदक", "value": name},
                {"label_en": "Father's name", "label_hi": "पिता का नाम", "value": data["father_name"]},
                {"label_en": "Date of birth", "label_hi": "जन्म तिथि", "value": data["date_of_birth"]},
                {"label_en": "Acknowledgement number", "label_hi": "पावती संख्या", "value": ack},
                {"label_en": "PAN fee", "label_hi": "पैन शुल्क", "value": format_paise(fee)},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return self.sandbox.receive(quote.reference, f"emitra-{request_id}")


@hookimpl
def emitra_register_services(register):
    register(PanApplication(PanSandbox()))

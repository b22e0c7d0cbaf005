"""BSNL landline and broadband (Bharat Fibre) bills, paid at the counter.

BSNL is a public sector partner: like a utility it pays the counter's charge (Rs 3.95 a bill), so
the citizen pays only the bill.
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.plugins.private.bsnl_sandbox import BsnlSandbox, NothingDue, UnknownAccount

FORM: dict[str, Any] = {
    "type": "object",
    "title": "BSNL bill",
    "x-title-hi": "बीएसएनएल बिल",
    "properties": {
        "service_type": {
            "type": "string",
            "title": "Connection",
            "x-title-hi": "कनेक्शन",
            "enum": ["landline", "broadband"],
            "x-enum-labels": ["Landline telephone", "Broadband (Bharat Fibre)"],
            "x-enum-labels-hi": ["लैंडलाइन टेलीफ़ोन", "ब्रॉडबैंड (भारत फ़ाइबर)"],
        },
        "mobile": kit.mobile(),
    },
    "required": ["service_type"],
    # unevaluatedProperties (not additionalProperties) so that the fields of the branches are allowed
    "unevaluatedProperties": False,
    "if": {"properties": {"service_type": {"const": "landline"}}, "required": ["service_type"]},
    "then": {
        "properties": {
            "std_code": {
                "type": "string",
                "title": "STD code",
                "x-title-hi": "एसटीडी कोड",
                "description": "With the leading 0, e.g. 0141 for Jaipur",
                "x-description-hi": "शुरुआती 0 के साथ, जैसे जयपुर के लिए 0141",
                "pattern": r"^0[1-9][0-9]{1,3}$",
                "x-error-en": "STD code is 3 to 5 digits starting with 0, e.g. 0141.",
                "x-error-hi": "एसटीडी कोड 0 से शुरू होने वाले 3 से 5 अंक होता है, जैसे 0141।",
                "x-inputmode": "numeric",
            },
            "phone_number": {
                "type": "string",
                "title": "Telephone number",
                "x-title-hi": "टेलीफ़ोन नंबर",
                "description": "Without the STD code",
                "x-description-hi": "एसटीडी कोड के बिना",
                "pattern": r"^[2-9][0-9]{5,7}$",
                "x-error-en": "Telephone number is 6 to 8 digits, without the STD code.",
                "x-error-hi": "टेलीफ़ोन नंबर एसटीडी कोड के बिना 6 से 8 अंकों का होता है।",
                "x-inputmode": "numeric",
            },
        },
        "required": ["std_code", "phone_number"],
    },
    "else": {
        "properties": {
            "account_id": {
                "type": "string",
                "title": "Broadband account number",
                "x-title-hi": "ब्रॉडबैंड खाता संख्या",
                "description": "10 digits, printed on the bill",
                "x-description-hi": "10 अंक, बिल पर छपे होते हैं",
                "pattern": r"^[0-9]{10}$",
                "x-error-en": "Broadband account number must be exactly 10 digits.",
                "x-error-hi": "ब्रॉडबैंड खाता संख्या ठीक 10 अंकों की होनी चाहिए।",
                "x-inputmode": "numeric",
            },
        },
        "required": ["account_id"],
    },
}


class BsnlBill(Service):
    def __init__(self, sandbox: BsnlSandbox):
        super().__init__(
            code="pvt.bsnl.bill",
            title_en="BSNL landline / broadband bill",
            title_hi="बीएसएनएल लैंडलाइन / ब्रॉडबैंड बिल",
            provider="Bharat Sanchar Nigam Ltd (BSNL)",
            provider_hi="भारत संचार निगम लिमिटेड (BSNL)",
            domain=Domain.PRIVATE,
            category=Category.BILL,
            form=FORM,
            fee=FeeRule(payer=Payer.PARTNER, fee_paise=395),
            workflow=Workflow.PAYMENT,
            description_en="Pay a BSNL landline or Bharat Fibre broadband bill. BSNL pays the counter's charge.",
            description_hi="बीएसएनएल लैंडलाइन या भारत फ़ाइबर ब्रॉडबैंड बिल जमा करें। काउंटर शुल्क बीएसएनएल देता है।",
            example={"service_type": "landline", "std_code": "0141", "phone_number": "2712345"},
        )
        self.sandbox = sandbox

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        if data["service_type"] == "landline":
            std, number = data["std_code"], data["phone_number"]
            if len(std) + len(number) != 11:
                raise FieldError(
                    "phone_number",
                    f"STD code and number together make 11 digits; {std} {number} makes {len(std) + len(number)}.",
                    f"एसटीडी कोड और नंबर मिलाकर 11 अंक होते हैं; {std} {number} में {len(std) + len(number)} हैं।",
                )
            field, shown = "phone_number", f"{std}-{number}"
            lookup = self.sandbox.landline_bill(std, number)
        else:
            field, shown = "account_id", data["account_id"]
            lookup = self.sandbox.broadband_bill(shown)
        bill = await kit.look_up(lookup, {
            UnknownAccount: FieldError(field, f"BSNL has no connection {shown}. Check the number on the bill.",
                                       f"बीएसएनएल में {shown} का कोई कनेक्शन नहीं है। बिल पर लिखा नंबर जाँचें।"),
            NothingDue: FieldError(field, f"Nothing is due on {shown}: the last bill is paid.",
                                   f"{shown} पर कुछ भी देय नहीं है: पिछला बिल चुका दिया गया है।"),
        })
        return Quote(
            principal_paise=bill.amount_paise,
            reference=bill.account,
            details=[
                {"label_en": "Subscriber", "label_hi": "उपभोक्ता", "value": bill.subscriber},
                {"label_en": "Connection", "label_hi": "कनेक्शन", "value": bill.account},
                {"label_en": "Plan", "label_hi": "प्लान", "value": bill.plan},
                {"label_en": "Bill month", "label_hi": "बिल माह", "value": bill.bill_month},
                {"label_en": "Due date", "label_hi": "अंतिम तिथि", "value": bill.due_date},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.sandbox.post_payment(quote.reference, quote.principal_paise, f"emitra-{request_id}")


@hookimpl
def emitra_register_services(register):
    register(BsnlBill(BsnlSandbox()))

"""Electricity bills of the Rajasthan discoms, paid at the counter.

One implementation serves every discom; each is a :class:`DiscomBill` with its own code, titles
and billing system. The bill's service charge (Table 2: Rs 3.95) is paid by the discom, not the
citizen.
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.plugins.government.discom_sandbox import DiscomSandbox, NothingDue, UnknownAccount

K_NUMBER_PATTERN = r"^[0-9]{12}$"


def bill_form(discom_en: str, discom_hi: str) -> dict[str, Any]:
    return {
        "type": "object",
        "title": f"{discom_en} electricity bill",
        "x-title-hi": f"{discom_hi} बिजली बिल",
        "properties": {
            "k_number": {
                "type": "string",
                "title": "K-number (consumer account number)",
                "x-title-hi": "के-नंबर (उपभोक्ता खाता संख्या)",
                "description": "12 digits, printed at the top of the bill",
                "x-description-hi": "12 अंक, बिल के ऊपर छपा होता है",
                "pattern": K_NUMBER_PATTERN,
                "x-error-en": "K-number must be exactly 12 digits, as printed on the bill.",
                "x-error-hi": "के-नंबर ठीक 12 अंकों का होना चाहिए, जैसा बिल पर छपा है।",
                "x-inputmode": "numeric",
            },
            "mobile": kit.mobile(),
        },
        "required": ["k_number"],
        "additionalProperties": False,
    }


class DiscomBill(Service):
    """A discom's bill. ``billing`` is the discom's billing system (a sandbox here)."""

    def __init__(self, discom: str, discom_en: str, discom_hi: str, billing: Any):
        super().__init__(
            code=f"gov.rj.{discom.lower()}.bill",
            title_en=f"Electricity bill – {discom_en} ({discom})",
            title_hi=f"बिजली बिल – {discom_hi} ({discom})",
            provider=f"{discom_en} ({discom})",
            provider_hi=f"{discom_hi} ({discom})",
            domain=Domain.GOVERNMENT,
            category=Category.BILL,
            form=bill_form(discom, discom_hi),
            fee=FeeRule(payer=Payer.DEPARTMENT),
            workflow=Workflow.PAYMENT,
            description_en="Pay the electricity bill due on a K-number. No charge to the citizen.",
            description_hi="के-नंबर पर देय बिजली बिल का भुगतान। नागरिक से कोई शुल्क नहीं।",
            example={"k_number": EXAMPLE_K_NUMBERS[discom.upper()]},
        )
        self.billing = billing

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        k_number = data["k_number"]
        bill = await kit.look_up(self.billing.bill_due(k_number), {
            UnknownAccount: FieldError(
                "k_number",
                f"No consumer account with K-number {k_number} at this discom. Check the number on the bill.",
                f"इस डिस्कॉम में के-नंबर {k_number} का कोई उपभोक्ता खाता नहीं है। बिल पर लिखा नंबर जाँचें।"),
            NothingDue: FieldError(
                "k_number",
                f"Nothing is due on K-number {k_number}: the last bill is paid.",
                f"के-नंबर {k_number} पर कुछ भी देय नहीं है: पिछला बिल चुका दिया गया है।"),
        })
        return Quote(
            principal_paise=bill.amount_paise,
            reference=bill.k_number,
            details=[
                {"label_en": "Consumer", "label_hi": "उपभोक्ता", "value": bill.consumer_name},
                {"label_en": "K-number", "label_hi": "के-नंबर", "value": bill.k_number},
                {"label_en": "Bill month", "label_hi": "बिल माह", "value": bill.bill_month},
                {"label_en": "Due date", "label_hi": "अंतिम तिथि", "value": bill.due_date},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.billing.post_payment(data["k_number"], quote.principal_paise, f"emitra-{request_id}")


#: a consumer of each discom with a bill due in its sandbox: the services' examples
EXAMPLE_K_NUMBERS = {"JVVNL": "210412345678", "AVVNL": "110123456780", "JDVVNL": "310234567890"}

DISCOMS = [
    ("JVVNL", "Jaipur Vidyut Vitran Nigam Ltd", "जयपुर विद्युत वितरण निगम लि."),
    ("AVVNL", "Ajmer Vidyut Vitran Nigam Ltd", "अजमेर विद्युत वितरण निगम लि."),
    ("JdVVNL", "Jodhpur Vidyut Vitran Nigam Ltd", "जोधपुर विद्युत वितरण निगम लि."),
]


@hookimpl
def emitra_register_services(register):
    for discom, name_en, name_hi in DISCOMS:
        register(DiscomBill(discom, name_en, name_hi, DiscomSandbox(discom)))

"""LIC premium payment at the counter (Life Insurance Corporation of India).

The premium due (and any late fee) is collected and paid over to LIC; LIC pays the counter a fixed
Rs 5 per premium collected, so the citizen pays only the premium.
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.core.money import format_paise
from emitra.plugins.private.lic_sandbox import Lapsed, LicSandbox, NothingDue, UnknownPolicy

MODES = {
    "yearly": ("Yearly", "वार्षिक"),
    "half_yearly": ("Half-yearly", "अर्धवार्षिक"),
    "quarterly": ("Quarterly", "त्रैमासिक"),
    "monthly": ("Monthly", "मासिक"),
}

FORM: dict[str, Any] = {
    "type": "object",
    "title": "LIC premium",
    "x-title-hi": "एलआईसी प्रीमियम",
    "properties": {
        "policy_number": {
            "type": "string",
            "title": "Policy number",
            "x-title-hi": "पॉलिसी संख्या",
            "description": "9 digits, printed on the policy bond and on premium notices",
            "x-description-hi": "9 अंक, पॉलिसी बॉन्ड और प्रीमियम सूचना पर छपे होते हैं",
            "pattern": r"^[0-9]{9}$",
            "x-error-en": "Policy number must be exactly 9 digits.",
            "x-error-hi": "पॉलिसी संख्या ठीक 9 अंकों की होनी चाहिए।",
            "x-inputmode": "numeric",
        },
        "mobile": kit.mobile(),
    },
    "required": ["policy_number"],
    "additionalProperties": False,
}


class LicPremium(Service):
    def __init__(self, sandbox: LicSandbox):
        super().__init__(
            code="pvt.lic.premium",
            title_en="LIC premium payment",
            title_hi="एलआईसी प्रीमियम भुगतान",
            provider="Life Insurance Corporation of India",
            provider_hi="भारतीय जीवन बीमा निगम",
            domain=Domain.PRIVATE,
            category=Category.PRIVATE_SERVICE,
            form=FORM,
            fee=FeeRule(payer=Payer.PARTNER, fee_paise=500),
            workflow=Workflow.PAYMENT,
            description_en="Pay the premium due on an LIC policy. LIC pays the counter's charge; no charge to the citizen.",
            description_hi="एलआईसी पॉलिसी का देय प्रीमियम जमा करें। काउंटर शुल्क एलआईसी देता है; नागरिक से कोई शुल्क नहीं।",
            example={"policy_number": "123456789"},
        )
        self.sandbox = sandbox

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        number = data["policy_number"]
        due = await kit.look_up(self.sandbox.premium_due(number), {
            UnknownPolicy: FieldError("policy_number", f"No LIC policy with number {number}. Check the number on the policy bond.",
                                      f"संख्या {number} की कोई एलआईसी पॉलिसी नहीं है। पॉलिसी बॉन्ड पर लिखी संख्या जाँचें।"),
            NothingDue: FieldError("policy_number", f"No premium is due on policy {number}.",
                                   f"पॉलिसी {number} पर कोई प्रीमियम देय नहीं है।"),
            Lapsed: FieldError("policy_number", f"Policy {number} has lapsed; it can be revived only at an LIC branch.",
                               f"पॉलिसी {number} व्यपगत (लैप्स) हो चुकी है; इसका पुनर्चलन केवल एलआईसी शाखा में होगा।"),
        })
        mode_en, mode_hi = MODES[due.mode]
        details = [
            {"label_en": "Policy holder", "label_hi": "पॉलिसीधारक", "value": due.holder},
            {"label_en": "Policy number", "label_hi": "पॉलिसी संख्या", "value": due.policy_number},
            {"label_en": "Plan", "label_hi": "योजना", "value": due.plan},
            {"label_en": "Mode", "label_hi": "भुगतान अवधि", "value": mode_en, "value_hi": mode_hi},
            {"label_en": "Due date", "label_hi": "देय तिथि", "value": due.due_date},
            {"label_en": "Premium", "label_hi": "प्रीमियम", "value": format_paise(due.premium_paise)},
        ]
        if due.late_fee_paise:
            details.append({"label_en": "Late fee", "label_hi": "विलंब शुल्क", "value": format_paise(due.late_fee_paise)})
        return Quote(principal_paise=due.total_paise, reference=due.policy_number, details=details)

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.sandbox.post_premium(data["policy_number"], quote.principal_paise, f"emitra-{request_id}")


@hookimpl
def emitra_register_services(register):
    register(LicPremium(LicSandbox()))

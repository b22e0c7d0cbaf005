"""Prepaid mobile recharge (Jio, Airtel, Vi, BSNL) through a recharge aggregator.

The citizen pays the plan's price; the aggregator pays the counter a commission of 2% of it.
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.core.money import format_paise
from emitra.plugins.private.recharge_sandbox import OPERATORS, PLANS, Postpaid, RechargeSandbox, WrongOperator

FORM: dict[str, Any] = {
    "type": "object",
    "title": "Prepaid mobile recharge",
    "x-title-hi": "प्रीपेड मोबाइल रिचार्ज",
    "properties": {
        "mobile": kit.mobile("Mobile number", "मोबाइल नंबर"),
        "operator": {
            "type": "string",
            "title": "Operator",
            "x-title-hi": "ऑपरेटर",
            "description": "Ask the citizen: a number may have been ported to another operator",
            "x-description-hi": "नागरिक से पूछें: नंबर किसी दूसरे ऑपरेटर में पोर्ट हो सकता है",
            "enum": list(OPERATORS),
            "x-enum-labels": [en for en, _hi in OPERATORS.values()],
            "x-enum-labels-hi": [hi for _en, hi in OPERATORS.values()],
        },
        "plan": {
            "type": "string",
            "title": "Plan",
            "x-title-hi": "प्लान",
            "description": "Price, validity and benefits; choose a plan of the chosen operator",
            "x-description-hi": "मूल्य, वैधता और लाभ; चुने गए ऑपरेटर का प्लान चुनें",
            "enum": [p.code for p in PLANS],
            "x-enum-labels": [p.label_en() for p in PLANS],
            "x-enum-labels-hi": [p.label_hi() for p in PLANS],
        },
    },
    "required": ["mobile", "operator", "plan"],
    "additionalProperties": False,
}


class MobileRecharge(Service):
    def __init__(self, sandbox: RechargeSandbox):
        super().__init__(
            code="pvt.recharge.mobile_prepaid",
            title_en="Prepaid mobile recharge",
            title_hi="प्रीपेड मोबाइल रिचार्ज",
            provider="Mobile recharge aggregator (Jio, Airtel, Vi, BSNL)",
            provider_hi="मोबाइल रिचार्ज एग्रीगेटर (जियो, एयरटेल, वी, बीएसएनएल)",
            domain=Domain.PRIVATE,
            category=Category.PRIVATE_SERVICE,
            form=FORM,
            fee=FeeRule(payer=Payer.PARTNER, commission_bp=200),
            workflow=Workflow.PAYMENT,
            description_en="Recharge a prepaid mobile with a plan of its operator. The citizen pays the plan price only.",
            description_hi="प्रीपेड मोबाइल को उसके ऑपरेटर के प्लान से रिचार्ज करें। नागरिक केवल प्लान का मूल्य देता है।",
            example={"mobile": "9829012345", "operator": "jio", "plan": "JIO-299"},
        )
        self.sandbox = sandbox

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        try:
            plan = await self.sandbox.check(data["mobile"], data["operator"], data["plan"])
        except WrongOperator as exc:
            chosen_en, chosen_hi = OPERATORS[data["operator"]]
            raise FieldError(
                "plan",
                f"Plan {exc.plan.code} belongs to {OPERATORS[exc.plan.operator][0]}, not {chosen_en}; choose a plan of {chosen_en}.",
                f"प्लान {exc.plan.code} {OPERATORS[exc.plan.operator][1]} का है, {chosen_hi} का नहीं; {chosen_hi} का प्लान चुनें।",
            ) from None
        except Postpaid:
            raise FieldError("mobile", f"{data['mobile']} is a postpaid connection; pay its bill instead of a recharge.",
                             f"{data['mobile']} पोस्टपेड कनेक्शन है; रिचार्ज के बजाय इसका बिल जमा करें।") from None
        return Quote(
            principal_paise=plan.price_paise,
            reference=data["mobile"],
            details=[
                {"label_en": "Mobile number", "label_hi": "मोबाइल नंबर", "value": data["mobile"]},
                {"label_en": "Operator", "label_hi": "ऑपरेटर", "value": OPERATORS[plan.operator][0], "value_hi": OPERATORS[plan.operator][1]},
                {"label_en": "Plan", "label_hi": "प्लान", "value": f"{plan.code}: {format_paise(plan.price_paise)}"},
                {"label_en": "Validity", "label_hi": "वैधता", "value": f"{plan.validity_days} days", "value_hi": f"{plan.validity_days} दिन"},
                {"label_en": "Benefits", "label_hi": "लाभ", "value": plan.benefit_en, "value_hi": plan.benefit_hi},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.sandbox.recharge(data["mobile"], data["plan"], quote.principal_paise, f"emitra-{request_id}")


@hookimpl
def emitra_register_services(register):
    register(MobileRecharge(RechargeSandbox()))

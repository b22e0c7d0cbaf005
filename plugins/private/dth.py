"""DTH recharge (Tata Play, Airtel Digital TV, Dish TV) through the recharge aggregator.

The citizen pays the amount recharged; the aggregator pays the counter a commission of 2.5% of it.
DD Free Dish needs no recharge and is not listed.
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl
from emitra.core.money import format_paise
from emitra.plugins.private.dth_sandbox import OPERATORS, DthSandbox, UnknownSubscriber

# operator -> (pattern, English message, Hindi message) for its subscriber ID
ID_RULES: dict[str, tuple[str, str, str]] = {
    "tata_play": (r"^1[0-9]{9}$", "Tata Play subscriber ID is 10 digits starting with 1.",
                  "टाटा प्ले सब्सक्राइबर आईडी 1 से शुरू होने वाले 10 अंकों की होती है।"),
    "airtel_dth": (r"^3[0-9]{9}$", "Airtel Digital TV customer ID is 10 digits starting with 3.",
                   "एयरटेल डिजिटल टीवी ग्राहक आईडी 3 से शुरू होने वाले 10 अंकों की होती है।"),
    "dish_tv": (r"^0[0-9]{10}$", "Dish TV VC number is 11 digits starting with 0.",
                "डिश टीवी वीसी नंबर 0 से शुरू होने वाले 11 अंकों का होता है।"),
}

FORM: dict[str, Any] = {
    "type": "object",
    "title": "DTH recharge",
    "x-title-hi": "डीटीएच रिचार्ज",
    "properties": {
        "operator": {
            "type": "string",
            "title": "DTH operator",
            "x-title-hi": "डीटीएच ऑपरेटर",
            "enum": list(OPERATORS),
            "x-enum-labels": [en for en, _hi in OPERATORS.values()],
            "x-enum-labels-hi": [hi for _en, hi in OPERATORS.values()],
        },
        "subscriber_id": {
            "type": "string",
            "title": "Subscriber ID / VC number",
            "x-title-hi": "सब्सक्राइबर आईडी / वीसी नंबर",
            "description": "Shown on the TV's information screen and on the set-top box",
            "x-description-hi": "टीवी की जानकारी स्क्रीन पर और सेट-टॉप बॉक्स पर लिखा होता है",
            "pattern": r"^[0-9]{10,11}$",
            "x-error-en": "Subscriber ID is 10 or 11 digits.",
            "x-error-hi": "सब्सक्राइबर आईडी 10 या 11 अंकों की होती है।",
            "x-inputmode": "numeric",
        },
        "amount_rupees": {
            "type": "integer",
            "title": "Recharge amount (Rs)",
            "x-title-hi": "रिचार्ज राशि (₹)",
            "description": "Whole rupees, from 100 to 5,000",
            "x-description-hi": "पूरे रुपये, 100 से 5,000 तक",
            "minimum": 100,
            "maximum": 5000,
            "x-inputmode": "numeric",
            "x-money": True,  # an amount: typed as the money boxes take one, ₹350 or Rs 350 (core/forms.money_field)
        },
    },
    "required": ["operator", "subscriber_id", "amount_rupees"],
    # unevaluatedProperties (not additionalProperties): the branches also describe subscriber_id
    "unevaluatedProperties": False,
    "allOf": [
        {
            "if": {"properties": {"operator": {"const": op}}, "required": ["operator"]},
            "then": {"properties": {"subscriber_id": {"title": "Subscriber ID / VC number", "x-title-hi": "सब्सक्राइबर आईडी / वीसी नंबर", "pattern": pattern, "x-error-en": en, "x-error-hi": hi}}},
        }
        for op, (pattern, en, hi) in ID_RULES.items()
    ],
}


class DthRecharge(Service):
    def __init__(self, sandbox: DthSandbox):
        super().__init__(
            code="pvt.recharge.dth",
            title_en="DTH recharge (Tata Play, Airtel Digital TV, Dish TV)",
            title_hi="डीटीएच रिचार्ज (टाटा प्ले, एयरटेल डिजिटल टीवी, डिश टीवी)",
            provider="DTH recharge aggregator (Tata Play, Airtel Digital TV, Dish TV)",
            provider_hi="डीटीएच रिचार्ज एग्रीगेटर (टाटा प्ले, एयरटेल डिजिटल टीवी, डिश टीवी)",
            domain=Domain.PRIVATE,
            category=Category.PRIVATE_SERVICE,
            form=FORM,
            fee=FeeRule(payer=Payer.PARTNER, commission_bp=250),
            workflow=Workflow.PAYMENT,
            description_en="Recharge a DTH connection with any amount from Rs 100 to Rs 5,000. The citizen pays only the amount.",
            description_hi="डीटीएच कनेक्शन को ₹100 से ₹5,000 तक की किसी भी राशि से रिचार्ज करें। नागरिक केवल वही राशि देता है।",
            example={"operator": "tata_play", "subscriber_id": "1012345678", "amount_rupees": 350},
        )
        self.sandbox = sandbox

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        operator, sid = data["operator"], data["subscriber_id"]
        try:
            sub = await self.sandbox.subscriber(operator, sid)
        except UnknownSubscriber:
            name_en, name_hi = OPERATORS[operator]
            raise FieldError("subscriber_id", f"{name_en} has no subscriber with ID {sid}. Check the ID on the TV screen.",
                             f"{name_hi} में आईडी {sid} का कोई सब्सक्राइबर नहीं है। टीवी स्क्रीन पर आईडी जाँचें।") from None
        amount = data["amount_rupees"] * 100
        return Quote(
            principal_paise=amount,
            reference=sid,
            details=[
                {"label_en": "Subscriber", "label_hi": "सब्सक्राइबर", "value": sub.name},
                {"label_en": "Operator", "label_hi": "ऑपरेटर", "value": OPERATORS[operator][0], "value_hi": OPERATORS[operator][1]},
                {"label_en": "Subscriber ID", "label_hi": "सब्सक्राइबर आईडी", "value": sid},
                {"label_en": "Pack", "label_hi": "पैक", "value": f"{sub.pack} ({format_paise(sub.monthly_paise)}/month)",
                 "value_hi": f"{sub.pack} ({format_paise(sub.monthly_paise)}/माह)"},
                {"label_en": "Balance after recharge", "label_hi": "रिचार्ज के बाद शेष राशि",
                 "value": format_paise(sub.balance_paise + amount)},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.sandbox.recharge(data["operator"], data["subscriber_id"], quote.principal_paise, f"emitra-{request_id}")


@hookimpl
def emitra_register_services(register):
    register(DthRecharge(DthSandbox()))

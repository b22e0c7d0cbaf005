"""Water bills of PHED (Public Health Engineering Department, जन स्वास्थ्य अभियांत्रिकी विभाग),
paid at the counter.

The bill's service charge (Table 2: Rs 3.95) is paid by the department, not the citizen. The
billing system is a sandbox (:mod:`emitra.plugins.government.phed_sandbox`).
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.plugins.government.phed_sandbox import NothingDue, PhedSandbox, UnknownConsumer

CONSUMER_NO_PATTERN = r"^[0-9]{11}$"
PROVIDER = "Public Health Engineering Department, Rajasthan (PHED)"
PROVIDER_HI = "जन स्वास्थ्य अभियांत्रिकी विभाग, राजस्थान (PHED)"

FORM: dict[str, Any] = {
    "type": "object",
    "title": "PHED water bill",
    "x-title-hi": "जन स्वास्थ्य अभियांत्रिकी विभाग पानी का बिल",
    "properties": {
        "consumer_no": {
            "type": "string",
            "title": "Consumer number",
            "x-title-hi": "उपभोक्ता संख्या",
            "description": "11 digits, printed as 'Consumer No.' on the water bill",
            "x-description-hi": "11 अंक, पानी के बिल पर 'उपभोक्ता संख्या' के रूप में छपा होता है",
            "pattern": CONSUMER_NO_PATTERN,
            "x-error-en": "Consumer number must be exactly 11 digits, as printed on the water bill.",
            "x-error-hi": "उपभोक्ता संख्या ठीक 11 अंकों की होनी चाहिए, जैसी पानी के बिल पर छपी है।",
            "x-inputmode": "numeric",
        },
        "mobile": kit.mobile(),
    },
    "required": ["consumer_no"],
    "additionalProperties": False,
}


class WaterBillService(Service):
    def __init__(self, billing: Any):
        super().__init__(
            code="gov.rj.phed.water_bill",
            title_en="Water bill – Public Health Engineering Department (PHED)",
            title_hi="पानी का बिल – जन स्वास्थ्य अभियांत्रिकी विभाग (PHED)",
            provider=PROVIDER,
            provider_hi=PROVIDER_HI,
            domain=Domain.GOVERNMENT,
            category=Category.BILL,
            form=FORM,
            fee=FeeRule(payer=Payer.DEPARTMENT),
            workflow=Workflow.PAYMENT,
            description_en="Pay the water bill due on a PHED consumer number. No charge to the citizen.",
            description_hi="PHED उपभोक्ता संख्या पर देय पानी के बिल का भुगतान। नागरिक से कोई शुल्क नहीं।",
            example={"consumer_no": "10230045671", "mobile": "9829012345"},
        )
        self.billing = billing

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        number = data["consumer_no"]
        bill = await kit.look_up(self.billing.bill_due(number), {
            UnknownConsumer: FieldError(
                "consumer_no",
                f"PHED has no water connection with consumer number {number}. Check the number on the bill.",
                f"PHED में उपभोक्ता संख्या {number} का कोई जल कनेक्शन नहीं है। बिल पर लिखा नंबर जाँचें।"),
            NothingDue: FieldError(
                "consumer_no",
                f"Nothing is due on consumer number {number}: the last water bill is paid.",
                f"उपभोक्ता संख्या {number} पर कुछ भी देय नहीं है: पिछला पानी का बिल चुका दिया गया है।"),
        })
        return Quote(
            principal_paise=bill.amount_paise,
            reference=bill.consumer_no,
            details=[
                {"label_en": "Consumer", "label_hi": "उपभोक्ता", "value": bill.consumer_name},
                {"label_en": "Address", "label_hi": "पता", "value": bill.address},
                {"label_en": "Connection", "label_hi": "कनेक्शन", "value": bill.connection, "value_hi": bill.connection_hi},
                {"label_en": "Billing period", "label_hi": "बिल अवधि", "value": bill.period, "value_hi": bill.period_hi},
                {"label_en": "Meter reading (kL)", "label_hi": "मीटर रीडिंग (किलोलीटर)",
                 "value": f"{bill.previous_reading_kl} → {bill.current_reading_kl} ({bill.consumed_kl} kL)",
                 "value_hi": f"{bill.previous_reading_kl} → {bill.current_reading_kl} ({bill.consumed_kl} किलोलीटर)"},
                {"label_en": "Due date", "label_hi": "अंतिम तिथि", "value": bill.due_date},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.billing.post_payment(data["consumer_no"], quote.principal_paise, f"emitra-{request_id}")


@hookimpl
def emitra_register_services(register):
    register(WaterBillService(PhedSandbox()))

"""Micro-insurance policies of a partner insurer, sold at the counter.

The operator picks the product and the sum assured, types the insured person and the nominees;
the insurer quotes the annual premium for the insured's age band and issues the policy once paid.
The citizen pays the premium only: the counter's service charge is the insurer's commission, 15%
of the premium.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.core.money import format_paise
from emitra.plugins.private.insurance_sandbox import (
    PARTNER,
    PARTNER_HI,
    PRODUCTS,
    SUMS_ASSURED,
    InsuranceError,
    InsuranceSandbox,
    rupees,
)

MAX_NOMINEES = 4

RELATIONS: list[tuple[str, str, str]] = [
    ("spouse", "Spouse", "पति/पत्नी"),
    ("son", "Son", "पुत्र"),
    ("daughter", "Daughter", "पुत्री"),
    ("father", "Father", "पिता"),
    ("mother", "Mother", "माता"),
    ("brother", "Brother", "भाई"),
    ("sister", "Sister", "बहन"),
    ("other", "Other relative", "अन्य संबंधी"),
]

RELATION = kit.choice(RELATIONS, "Relation to the insured", "बीमित व्यक्ति से संबंध")

FORM: dict[str, Any] = {
    "type": "object",
    "title": "Insurance policy",
    "x-title-hi": "बीमा पॉलिसी",
    "properties": {
        "product": {
            "type": "string",
            "title": "Product",
            "x-title-hi": "उत्पाद",
            "enum": list(PRODUCTS),
            "x-enum-labels": [p.title_en for p in PRODUCTS.values()],
            "x-enum-labels-hi": [p.title_hi for p in PRODUCTS.values()],
        },
        "sum_assured": {
            "type": "integer",
            "title": "Sum assured",
            "x-title-hi": "बीमा राशि",
            "description": "Personal accident: ₹1 or 2 lakh; health: ₹1, 2 or 3 lakh; term life: ₹2 or 5 lakh",
            "x-description-hi": "व्यक्तिगत दुर्घटना: ₹1 या 2 लाख; स्वास्थ्य: ₹1, 2 या 3 लाख; टर्म जीवन: ₹2 या 5 लाख",
            "enum": SUMS_ASSURED,
            "x-enum-labels": [rupees(s) for s in SUMS_ASSURED],
            "x-enum-labels-hi": [rupees(s) for s in SUMS_ASSURED],
        },
        "insured_name": {
            "type": "string",
            "title": "Name of the insured person",
            "x-title-hi": "बीमित व्यक्ति का नाम",
            "minLength": 2,
            "maxLength": 80,
        },
        "date_of_birth": {
            "type": "string",
            "format": "date",
            "title": "Date of birth of the insured",
            "x-title-hi": "बीमित व्यक्ति की जन्म तिथि",
            "description": "Accident cover: age 18 to 70; health: 18 to 65; term life: 18 to 50",
            "x-description-hi": "दुर्घटना बीमा: आयु 18 से 70; स्वास्थ्य: 18 से 65; टर्म जीवन: 18 से 50",
        },
        "mobile": kit.mobile("Mobile number for the policy SMS (optional)", "पॉलिसी SMS के लिए मोबाइल नंबर (वैकल्पिक)"),
        "nominees": {
            "type": "array",
            "title": "Nominees",
            "x-title-hi": "नामांकित व्यक्ति",
            "description": "Their shares must add up to 100%",
            "x-description-hi": "सभी के हिस्से मिलाकर 100% होने चाहिए",
            "minItems": 1,
            "maxItems": MAX_NOMINEES,
            "x-rows": 2,
            "items": {
                "type": "object",
                "title": "Nominee",
                "x-title-hi": "नामांकित व्यक्ति",
                "properties": {
                    "name": {"type": "string", "title": "Nominee name", "x-title-hi": "नामांकित व्यक्ति का नाम", "minLength": 2, "maxLength": 80},
                    "relation": RELATION,
                    "share_percent": {
                        "type": "integer",
                        "title": "Share (%)",
                        "x-title-hi": "हिस्सा (%)",
                        "minimum": 1,
                        "maximum": 100,
                        "x-percent": True,
                        "x-inputmode": "numeric",
                    },
                },
                "required": ["name", "relation", "share_percent"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["product", "sum_assured", "insured_name", "date_of_birth", "nominees"],
    "additionalProperties": False,
}


class InsurancePolicy(Service):
    """A policy of the partner insurer; ``insurer`` is its policy system (a sandbox here)."""

    def __init__(self, insurer: Any):
        super().__init__(
            code="pvt.marudhar.policy",
            title_en=f"Insurance policy – {PARTNER}",
            title_hi=f"बीमा पॉलिसी – {PARTNER_HI}",
            provider=PARTNER,
            provider_hi=PARTNER_HI,
            domain=Domain.PRIVATE,
            category=Category.PRIVATE_SERVICE,
            form=FORM,
            fee=FeeRule(payer=Payer.PARTNER, commission_bp=1500),
            workflow=Workflow.PAYMENT,
            description_en=("Personal accident, health or term life micro-insurance for one year. The citizen pays the "
                            "premium only; the insurer pays the counter a 15% commission."),
            description_hi=("एक वर्ष के लिए व्यक्तिगत दुर्घटना, स्वास्थ्य या टर्म जीवन सूक्ष्म बीमा। नागरिक केवल प्रीमियम देता है; "
                            "बीमा कंपनी काउंटर को 15% कमीशन देती है।"),
            example={  # the insured is 36 on 20-11-2026 (the sandbox's ``today``)
                "product": "accident", "sum_assured": 200000, "insured_name": "Geeta Meena", "date_of_birth": "1990-05-01",
                "nominees": [{"name": "Rakesh Meena", "relation": "spouse", "share_percent": 100}],
            },
        )
        self.insurer = insurer

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        nominees = data["nominees"]
        try:
            proposal = self.insurer.propose(data["product"], int(data["sum_assured"]), data["insured_name"],
                                            dt.date.fromisoformat(data["date_of_birth"]))
        except InsuranceError as exc:
            raise FieldError(exc.field, exc.en, exc.hi) from None
        total = sum(int(n["share_percent"]) for n in nominees)
        if total != 100:
            raise FieldError(
                "nominees",
                f"The nominees' shares add up to {total}%; they must add up to 100%.",
                f"नामांकित व्यक्तियों के हिस्से मिलाकर {total}% हैं; ये 100% होने चाहिए।",
            )
        insured = " ".join(proposal.insured_name.lower().split())
        if any(" ".join(n["name"].lower().split()) == insured for n in nominees):
            raise FieldError(
                "nominees",
                "The insured person cannot be their own nominee; name someone who receives the benefit.",
                "बीमित व्यक्ति स्वयं अपना नामांकित व्यक्ति नहीं हो सकता; लाभ पाने वाले किसी अन्य व्यक्ति का नाम दें।",
            )
        relations = [kit.choice_label(RELATION, n["relation"]) for n in nominees]
        product = proposal.product
        return Quote(
            principal_paise=proposal.premium_paise,
            reference=proposal.proposal_no,
            details=[
                {"label_en": "Product", "label_hi": "उत्पाद", "value": product.title_en, "value_hi": product.title_hi},
                {"label_en": "Sum assured", "label_hi": "बीमा राशि", "value": rupees(proposal.sum_assured_rupees)},
                # a Hindi page and receipt say "आयु" and the relation in Hindi (they said "age", "Spouse"); the age
                # in brackets, so that the confirmation page sees the name (a comma does not join values there)
                {"label_en": "Insured", "label_hi": "बीमित व्यक्ति", "value": f"{proposal.insured_name} (age {proposal.age})",
                 "value_hi": f"{proposal.insured_name} (आयु {proposal.age})"},
                {"label_en": "Cover period", "label_hi": "बीमा अवधि",
                 "value": f"{proposal.cover_from:%d-%m-%Y} – {proposal.cover_to:%d-%m-%Y}"},
                {"label_en": "Nominees", "label_hi": "नामांकित व्यक्ति",
                 "value": "; ".join(f"{n['name']} ({en}, {n['share_percent']}%)" for n, (en, _hi) in zip(nominees, relations)),
                 "value_hi": "; ".join(f"{n['name']} ({hi}, {n['share_percent']}%)" for n, (_en, hi) in zip(nominees, relations))},
                {"label_en": "Annual premium", "label_hi": "वार्षिक प्रीमियम", "value": format_paise(proposal.premium_paise)},
                {"label_en": "Proposal number", "label_hi": "प्रस्ताव संख्या", "value": proposal.proposal_no},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return self.insurer.issue(quote.reference, quote.principal_paise, f"emitra-{request_id}", data["product"])


@hookimpl
def emitra_register_services(register):
    register(InsurancePolicy(InsuranceSandbox()))

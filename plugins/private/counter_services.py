"""Services the LSP sells itself at its counters: photocopies, fax pages, internet time.

Each is priced by the LSP, per unit, on its Prices page; the counter charges that price times the
quantity and no service charge on top (the price is the LSP's own). The money is the LSP's sale,
not owed to any department.
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl
from emitra.core.money import format_paise

PROVIDER = "Counter services (LSP)"
PROVIDER_HI = "काउंटर सेवाएँ (एलएसपी)"


def _quantity(unit_en: str, units_hi: str, maximum: int) -> dict[str, Any]:
    return {
        "type": "integer",
        "title": f"Number of {unit_en}s",
        "x-title-hi": f"{units_hi} की संख्या",
        "description": f"1 to {maximum}",
        "x-description-hi": f"1 से {maximum}",
        "minimum": 1,
        "maximum": maximum,
        "x-inputmode": "numeric",
    }


class LspCounterService(Service):
    """A service sold by the LSP at its own published price per unit (``ctx.unit_price_paise``)."""

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        price = ctx.unit_price_paise
        if price is None:  # the core refuses before asking; kept as a guard
            raise FieldError("quantity", f"No published price per {self.unit_en} for {self.title_en}.",
                             f"{self.title_hi} का प्रति {self.unit_hi} मूल्य प्रकाशित नहीं है।")
        quantity = int(data["quantity"])
        details = [
            {"label_en": "Quantity", "label_hi": "मात्रा", "value": f"{quantity} {self.unit_en}{'s' if quantity != 1 else ''}",
             "value_hi": f"{quantity} {self.unit_hi}"},
            {"label_en": f"Price per {self.unit_en}", "label_hi": f"प्रति {self.unit_hi} मूल्य", "value": format_paise(price)},
        ]
        if "both_sides" in self.form["properties"]:
            both = bool(data.get("both_sides"))
            details.append({"label_en": "Printed on both sides", "label_hi": "दोनों ओर छपाई", "value": "Yes" if both else "No",
                            "value_hi": "हाँ" if both else "नहीं"})
        return Quote(principal_paise=price * quantity, reference="", details=details)

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return ""  # served on the spot: nothing to hand over


def _service(code: str, title_en: str, title_hi: str, unit_en: str, unit_hi: str, units_hi: str, maximum: int,
             description_en: str, description_hi: str, extra: dict[str, Any] | None = None,
             example: dict[str, Any] | None = None) -> LspCounterService:
    properties: dict[str, Any] = {"quantity": _quantity(unit_en, units_hi, maximum)}
    properties.update(extra or {})
    return LspCounterService(
        code=code,
        title_en=title_en,
        title_hi=title_hi,
        provider=PROVIDER,
        provider_hi=PROVIDER_HI,
        domain=Domain.PRIVATE,
        category=Category.PRIVATE_SERVICE,
        form={
            "type": "object",
            "title": title_en,
            "x-title-hi": title_hi,
            "properties": properties,
            "required": ["quantity"],
            "additionalProperties": False,
        },
        fee=FeeRule(payer=Payer.CITIZEN, fee_paise=0),
        workflow=Workflow.PAYMENT,
        description_en=description_en,
        description_hi=description_hi,
        priced_by_lsp=True,
        unit_en=unit_en,
        unit_hi=unit_hi,
        example=example,
    )


SERVICES = [
    _service(
        "pvt.lsp.photocopy", "Photocopy", "फोटोकॉपी", "page", "पृष्ठ", "पृष्ठों", 500,
        "Photocopies at the counter, at the LSP's published price per page. No service charge.",
        "काउंटर पर फोटोकॉपी, एलएसपी के प्रकाशित प्रति पृष्ठ मूल्य पर। कोई सेवा शुल्क नहीं।",
        {"both_sides": {
            "type": "boolean",
            "title": "Print on both sides",
            "x-title-hi": "दोनों ओर छपाई",
            "description": "Same price per page",
            "x-description-hi": "प्रति पृष्ठ मूल्य वही",
        }},
        example={"quantity": 25, "both_sides": True},
    ),
    _service(
        "pvt.lsp.fax", "Fax", "फैक्स", "page", "पृष्ठ", "पृष्ठों", 50,
        "Fax pages sent from the counter, at the LSP's published price per page. No service charge.",
        "काउंटर से फैक्स भेजे गए पृष्ठ, एलएसपी के प्रकाशित प्रति पृष्ठ मूल्य पर। कोई सेवा शुल्क नहीं।",
        example={"quantity": 3},
    ),
    _service(
        "pvt.lsp.internet", "Internet browsing time", "इंटरनेट उपयोग समय", "minute", "मिनट", "मिनटों", 240,
        "Internet time on a counter computer, at the LSP's published price per minute. No service charge.",
        "काउंटर के कंप्यूटर पर इंटरनेट समय, एलएसपी के प्रकाशित प्रति मिनट मूल्य पर। कोई सेवा शुल्क नहीं।",
        example={"quantity": 45},
    ),
]


@hookimpl
def emitra_register_services(register):
    for service in SERVICES:
        register(service)

"""The LSP's own published price per unit for its counter services (photocopy, fax, internet time).

Its admin sets it on the Prices page (web/lsp.py). A price is refused outside the bounds
(:func:`bounds`): ₹0 (a counter would hand over pages for nothing and record a sale of ₹0: an LSP
that stops selling a service disables it instead) and more than ``EMITRA_LSP_MAX_UNIT_PRICE_RUPEES``
(default ₹1,000 a unit: a ₹2.50 page typed with extra zeros is caught, not charged to the next
citizen). The paper's fee tables and the Society's rules fix no price for these services (they are
the LSP's own sales, decision 16), so the ceiling is a setting (decision 145). Nothing is written
when refused; a price set is audited ``lsp.price`` with the price before and after.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from emitra.core import audit, config
from emitra.core.models import LspPrice
from emitra.core.money import format_paise
from emitra.core.services import Service

#: the lowest price per unit: 1 paisa (₹0 is refused)
MIN_UNIT_PRICE_PAISE = 1
#: the highest a price can be stored as (``lsp_price.unit_price_paise`` is a 32-bit integer): a larger
#: setting is taken as this
STORED_MAX_PAISE = 2**31 - 1


class PriceRefused(ValueError):
    """A price per unit outside :func:`bounds`: what is wrong and the allowed range, in English
    (``str(exc)``) and Hindi (``message_hi``)."""

    def __init__(self, message: str, message_hi: str):
        super().__init__(message)
        self.message_en, self.message_hi = message, message_hi


def bounds() -> tuple[int, int]:
    """The lowest and highest price per unit an LSP may publish, in paise."""
    return MIN_UNIT_PRICE_PAISE, min(config.lsp_max_unit_price_paise(), STORED_MAX_PAISE)


def check(service: Service, paise: int) -> None:
    """Refuse a price per unit of ``service`` outside :func:`bounds`, saying the range allowed."""
    low, high = bounds()
    if low <= paise <= high:
        return
    said = {"low": format_paise(low), "high": format_paise(high), "price": format_paise(paise)}
    unit_en, unit_hi = service.unit_en or "unit", service.unit_hi or "इकाई"
    if paise < low:
        raise PriceRefused(
            f"the price per {unit_en} must be from {said['low']} to {said['high']}, not {said['price']}. "
            f"To stop selling {service.title_en}, disable it at your counters on the Services at counters page.",
            f"प्रति {unit_hi} मूल्य {said['low']} से {said['high']} तक होना चाहिए, {said['price']} नहीं। "
            f"{service.title_hi} बेचना बंद करने के लिए उसे 'काउंटरों पर सेवाएँ' पृष्ठ पर अपने काउंटरों पर बंद करें।")
    raise PriceRefused(
        f"the price per {unit_en} must be from {said['low']} to {said['high']}, not {said['price']}: check the amount "
        f"typed (the price of one {unit_en}, in rupees, such as 2.50).",
        f"प्रति {unit_hi} मूल्य {said['low']} से {said['high']} तक होना चाहिए, {said['price']} नहीं: लिखी गई राशि जाँचें "
        f"(एक {unit_hi} का मूल्य, रुपये में, जैसे 2.50)।")


async def set_price(actor: audit.Actor, lsp_id: int, district_id: int, service: Service, paise: int) -> LspPrice:
    """Publish ``paise`` as the LSP's price per unit of ``service`` (refused by :func:`check` with
    nothing written); audited ``lsp.price`` with the price before (None: first published) and after."""
    check(service, paise)
    async with in_transaction():
        row = await LspPrice.get_or_none(lsp_id=lsp_id, service_code=service.code)
        before = row.unit_price_paise if row else None
        if row:
            row.unit_price_paise = paise
            await row.save()
        else:
            row = await LspPrice.create(lsp_id=lsp_id, district_id=district_id, service_code=service.code, unit_price_paise=paise)
        await audit.record(actor, "lsp.price", row, detail={"service": service.code, "before_paise": before, "after_paise": paise})
    return row

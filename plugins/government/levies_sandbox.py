"""A deterministic stand-in for the Jaipur Municipal Corporation's urban development (UD) tax
system (नगरीय विकास कर).

UD tax is assessed per property and per assessment year (April to March). For a fixed set of
property IDs the sandbox answers the tax and the penalty (interest on arrears) due for a year,
or that the year is paid or not assessed, and acknowledges payments. No network, no randomness,
no wall clock: the amounts already include any penalty for a past year.
"""

from __future__ import annotations

from dataclasses import dataclass

from emitra.core import kit

ASSESSMENT_YEARS = ["2023-24", "2024-25", "2025-26", "2026-27"]
PAID = None  # a year listed with PAID has been paid


@dataclass(frozen=True)
class Property:
    property_id: str
    owner: str
    address: str
    zone: str
    usage: str
    plot_sq_yd: int

    @property
    def zone_hi(self) -> str:
        return ZONES_HI[self.zone]

    @property
    def usage_hi(self) -> str:
        return USAGES_HI[self.usage]


#: the corporation's zones and a property's uses, as its Hindi notice names them
ZONES_HI = {"Malviya Nagar": "मालवीय नगर", "Mansarovar": "मानसरोवर", "Vidhyadhar Nagar": "विद्याधर नगर",
            "Hawa Mahal (East)": "हवामहल (पूर्व)", "Sanganer": "सांगानेर"}
USAGES_HI = {"Residential": "आवासीय", "Commercial": "व्यावसायिक", "Mixed (residential and shop)": "मिश्रित (आवासीय और दुकान)",
             "Commercial (hotel)": "व्यावसायिक (होटल)"}


@dataclass(frozen=True)
class UdTaxDue:
    property: Property
    year: str
    tax_paise: int
    penalty_paise: int

    @property
    def total_paise(self) -> int:
        return self.tax_paise + self.penalty_paise


class UnknownProperty(LookupError):
    pass


class NotAssessed(LookupError):
    pass


class AlreadyPaid(LookupError):
    pass


# property ID -> (owner, address, zone, usage, plot area in square yards, {year: (tax, penalty) in paise or PAID})
_PROPERTIES: dict[str, tuple[str, str, str, str, int, dict[str, tuple[int, int] | None]]] = {
    "MN00004217": ("Ramesh Kumar Sharma", "C-42, Malviya Nagar", "Malviya Nagar", "Residential", 400,
                   {"2023-24": PAID, "2024-25": PAID, "2025-26": (186_000, 16_740), "2026-27": (186_000, 0)}),
    "MS00031805": ("Savitri Agarwal", "112/7, Madhyam Marg, Mansarovar", "Mansarovar", "Residential", 500,
                   {"2023-24": PAID, "2024-25": PAID, "2025-26": PAID, "2026-27": (232_500, 0)}),
    "VN00012093": ("Shekhawat Electronics", "Shop 14, Central Spine, Vidhyadhar Nagar", "Vidhyadhar Nagar", "Commercial", 150,
                   {"2023-24": (405_000, 109_350), "2024-25": (405_000, 72_900), "2025-26": (405_000, 36_450), "2026-27": (405_000, 0)}),
    "HM00000588": ("Mohammed Iqbal", "Ghat Gate, Ramganj", "Hawa Mahal (East)", "Mixed (residential and shop)", 320,
                   {"2024-25": PAID, "2025-26": PAID, "2026-27": (98_850, 0)}),
    "SG00027740": ("Hotel Sanganer Residency", "Airport Road, Sanganer", "Sanganer", "Commercial (hotel)", 1200,
                   {"2023-24": PAID, "2024-25": PAID, "2025-26": PAID, "2026-27": PAID}),
}


class UdTaxSandbox:
    async def property(self, property_id: str) -> Property:
        try:
            owner, address, zone, usage, plot, _ = _PROPERTIES[property_id]
        except KeyError:
            raise UnknownProperty(property_id) from None
        return Property(property_id, owner, address, zone, usage, plot)

    async def due(self, property_id: str, year: str) -> UdTaxDue:
        prop = await self.property(property_id)
        years = _PROPERTIES[property_id][5]
        if year not in years:
            raise NotAssessed(year)
        amounts = years[year]
        if amounts is PAID:
            raise AlreadyPaid(year)
        return UdTaxDue(prop, year, *amounts)

    async def post_payment(self, property_id: str, year: str, amount_paise: int, our_reference: str) -> str:
        """Acknowledge a payment: the corporation's challan number, the same for the same reference."""
        return kit.acknowledgement("JMC-UDT-", "JMC-UDT", property_id, year, amount_paise, our_reference, digits=9, hex_digits=10)

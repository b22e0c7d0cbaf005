"""A deterministic stand-in for the DTH operators' recharge systems (through the recharge
aggregator). DD Free Dish needs no recharge and is not offered.

Subscribers (operator, subscriber ID -> name, pack, monthly charge, balance in paise):

- Tata Play 1012345678 Ramesh Kumar Sharma, Hindi Basic HD, Rs 299.00 a month, balance Rs 12.50
- Tata Play 1098765432 Geeta Meena, Rajasthani Smart, Rs 249.00 a month, balance Rs 0.00
- Airtel Digital TV 3001234567 Sunita Devi, Value Lite Hindi, Rs 310.00 a month, balance Rs 45.00
- Dish TV 01234567890 Mohammed Iqbal, Super Family, Rs 350.00 a month, balance Rs 5.00
"""

from __future__ import annotations

from dataclasses import dataclass

from emitra.core import kit

OPERATORS: dict[str, tuple[str, str]] = {
    "tata_play": ("Tata Play", "टाटा प्ले"),
    "airtel_dth": ("Airtel Digital TV", "एयरटेल डिजिटल टीवी"),
    "dish_tv": ("Dish TV", "डिश टीवी"),
}


@dataclass(frozen=True)
class Subscriber:
    operator: str
    subscriber_id: str
    name: str
    pack: str
    monthly_paise: int
    balance_paise: int


class UnknownSubscriber(LookupError):
    pass


_SUBSCRIBERS: dict[tuple[str, str], tuple[str, str, int, int]] = {
    ("tata_play", "1012345678"): ("Ramesh Kumar Sharma", "Hindi Basic HD", 29_900, 1_250),
    ("tata_play", "1098765432"): ("Geeta Meena", "Rajasthani Smart", 24_900, 0),
    ("airtel_dth", "3001234567"): ("Sunita Devi", "Value Lite Hindi", 31_000, 4_500),
    ("dish_tv", "01234567890"): ("Mohammed Iqbal", "Super Family", 35_000, 500),
}


class DthSandbox:
    async def subscriber(self, operator: str, subscriber_id: str) -> Subscriber:
        row = _SUBSCRIBERS.get((operator, subscriber_id))
        if row is None:
            raise UnknownSubscriber(subscriber_id)
        return Subscriber(operator, subscriber_id, *row)

    async def recharge(self, operator: str, subscriber_id: str, amount_paise: int, our_reference: str) -> str:
        return kit.acknowledgement("DTH", "DTH", operator, subscriber_id, amount_paise, our_reference, digits=12, hex_digits=14)

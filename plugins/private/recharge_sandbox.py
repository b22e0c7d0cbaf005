"""A deterministic stand-in for a prepaid recharge aggregator (the partner that connects e-Mitra to
Jio, Airtel, Vi and BSNL).

The plan list is fixed (``PLANS``). A plan is sold only for its own operator. A few numbers are
postpaid connections, which cannot be recharged: 9414000001 (BSNL), 9829000002 (Airtel).
"""

from __future__ import annotations

from dataclasses import dataclass

from emitra.core import kit

OPERATORS: dict[str, tuple[str, str]] = {
    "jio": ("Jio", "जियो"),
    "airtel": ("Airtel", "एयरटेल"),
    "vi": ("Vi (Vodafone Idea)", "वीआई (वोडाफ़ोन आइडिया)"),
    "bsnl": ("BSNL", "बीएसएनएल"),
}


@dataclass(frozen=True)
class Plan:
    code: str
    operator: str
    price_rupees: int
    validity_days: int
    benefit_en: str
    benefit_hi: str

    @property
    def price_paise(self) -> int:
        return self.price_rupees * 100

    def label_en(self) -> str:
        return f"{OPERATORS[self.operator][0]} ₹{self.price_rupees} – {self.validity_days} days, {self.benefit_en}"

    def label_hi(self) -> str:
        return f"{OPERATORS[self.operator][1]} ₹{self.price_rupees} – {self.validity_days} दिन, {self.benefit_hi}"


PLANS: list[Plan] = [
    Plan("JIO-199", "jio", 199, 18, "1.5 GB/day, unlimited calls", "1.5 GB/दिन, असीमित कॉल"),
    Plan("JIO-299", "jio", 299, 28, "1.5 GB/day, unlimited calls", "1.5 GB/दिन, असीमित कॉल"),
    Plan("JIO-889", "jio", 889, 84, "1.5 GB/day, unlimited calls", "1.5 GB/दिन, असीमित कॉल"),
    Plan("AIRTEL-199", "airtel", 199, 28, "2 GB total, unlimited calls", "कुल 2 GB, असीमित कॉल"),
    Plan("AIRTEL-349", "airtel", 349, 28, "1.5 GB/day, unlimited calls", "1.5 GB/दिन, असीमित कॉल"),
    Plan("AIRTEL-979", "airtel", 979, 84, "2 GB/day, unlimited calls", "2 GB/दिन, असीमित कॉल"),
    Plan("VI-199", "vi", 199, 28, "2 GB total, unlimited calls", "कुल 2 GB, असीमित कॉल"),
    Plan("VI-349", "vi", 349, 28, "1.5 GB/day, unlimited calls", "1.5 GB/दिन, असीमित कॉल"),
    Plan("BSNL-107", "bsnl", 107, 35, "3 GB total, 200 minutes", "कुल 3 GB, 200 मिनट"),
    Plan("BSNL-397", "bsnl", 397, 150, "2 GB/day for 30 days, unlimited calls", "30 दिन 2 GB/दिन, असीमित कॉल"),
]
PLANS_BY_CODE = {p.code: p for p in PLANS}

_POSTPAID = {"9414000001", "9829000002"}


class WrongOperator(LookupError):
    def __init__(self, plan: Plan):
        super().__init__(plan.code)
        self.plan = plan


class Postpaid(LookupError):
    pass


class RechargeSandbox:
    async def check(self, mobile: str, operator: str, plan_code: str) -> Plan:
        plan = PLANS_BY_CODE[plan_code]
        if plan.operator != operator:
            raise WrongOperator(plan)
        if mobile in _POSTPAID:
            raise Postpaid(mobile)
        return plan

    async def recharge(self, mobile: str, plan_code: str, amount_paise: int, our_reference: str) -> str:
        """The operator's transaction id; the same reference always gets the same id."""
        return kit.acknowledgement("RCH", "RECHARGE", mobile, plan_code, amount_paise, our_reference, digits=12, hex_digits=14)

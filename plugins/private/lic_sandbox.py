"""A deterministic stand-in for LIC's premium collection service for e-Mitra counters.

Policies (policy number -> holder, plan, mode, due date, premium, late fee, all in paise):

- 123456789 Ramesh Kumar Sharma, Jeevan Anand (915), yearly, due 2026-12-15, Rs 12,450.00
- 234567891 Sunita Devi, Jeevan Labh (936), half-yearly, due 2026-12-20, Rs 6,732.00
- 345678912 Mohammed Iqbal, New Endowment (914), quarterly, due 2026-11-28, Rs 3,105.00 + late fee Rs 46.58
- 456789123 Geeta Meena, Jeevan Umang (945), monthly, due 2026-12-10, Rs 1,875.50
- 567891234 Paid Up Holder, Jeevan Anand (915), yearly: nothing due
- 678912345 Lapsed Holder, Bima Jyoti (860), yearly: lapsed, revival only at an LIC branch
"""

from __future__ import annotations

from dataclasses import dataclass

from emitra.core import kit


@dataclass(frozen=True)
class PremiumDue:
    policy_number: str
    holder: str
    plan: str
    mode: str  # yearly, half_yearly, quarterly, monthly
    due_date: str
    premium_paise: int
    late_fee_paise: int

    @property
    def total_paise(self) -> int:
        return self.premium_paise + self.late_fee_paise


class UnknownPolicy(LookupError):
    pass


class NothingDue(LookupError):
    pass


class Lapsed(LookupError):
    pass


_POLICIES: dict[str, tuple[str, str, str, str, int, int, str]] = {
    "123456789": ("Ramesh Kumar Sharma", "Jeevan Anand (915)", "yearly", "2026-12-15", 1_245_000, 0, "in_force"),
    "234567891": ("Sunita Devi", "Jeevan Labh (936)", "half_yearly", "2026-12-20", 673_200, 0, "in_force"),
    "345678912": ("Mohammed Iqbal", "New Endowment (914)", "quarterly", "2026-11-28", 310_500, 4_658, "in_force"),
    "456789123": ("Geeta Meena", "Jeevan Umang (945)", "monthly", "2026-12-10", 187_550, 0, "in_force"),
    "567891234": ("Paid Up Holder", "Jeevan Anand (915)", "yearly", "", 0, 0, "paid_up"),
    "678912345": ("Lapsed Holder", "Bima Jyoti (860)", "yearly", "2024-03-01", 2_000_000, 0, "lapsed"),
}


class LicSandbox:
    async def premium_due(self, policy_number: str) -> PremiumDue:
        try:
            holder, plan, mode, due, premium, late_fee, status = _POLICIES[policy_number]
        except KeyError:
            raise UnknownPolicy(policy_number) from None
        if status == "paid_up":
            raise NothingDue(policy_number)
        if status == "lapsed":
            raise Lapsed(policy_number)
        return PremiumDue(policy_number, holder, plan, mode, due, premium, late_fee)

    async def post_premium(self, policy_number: str, amount_paise: int, our_reference: str) -> str:
        """Acknowledge a premium; the same reference always gets the same LIC receipt number."""
        return kit.acknowledgement("LIC-", "LIC", policy_number, amount_paise, our_reference)

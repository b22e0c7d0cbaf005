"""A deterministic stand-in for BSNL's billing system (Rajasthan telecom circle).

Landlines are keyed by STD code and number, broadband (Bharat Fibre) connections by their
10-digit account number:

- landline 0141-2712345 Ramesh Kumar Sharma, bill 2026-11, due 2026-12-12, Rs 590.00
- landline 01423-224466 Chomu Cloth House, bill 2026-11, due 2026-12-12, Rs 1,234.56
- landline 0141-2200000 Paid Up Subscriber: nothing due
- broadband 9012345678 Sunita Devi, Bharat Fibre 499, bill 2026-11, due 2026-12-15, Rs 588.82
- broadband 9087654321 Jaipur Kirana Store, Bharat Fibre 999, bill 2026-11, due 2026-12-15, Rs 1,178.82
"""

from __future__ import annotations

from dataclasses import dataclass

from emitra.core import kit


@dataclass(frozen=True)
class TelecomBill:
    account: str  # "0141-2712345" or the broadband account number
    subscriber: str
    plan: str
    bill_month: str
    due_date: str
    amount_paise: int


class UnknownAccount(LookupError):
    pass


class NothingDue(LookupError):
    pass


_LANDLINES: dict[tuple[str, str], tuple[str, str, str, str, int]] = {
    ("0141", "2712345"): ("Ramesh Kumar Sharma", "Landline Rural/Urban 199", "2026-11", "2026-12-12", 59_000),
    ("01423", "224466"): ("Chomu Cloth House", "Landline Business 399", "2026-11", "2026-12-12", 123_456),
    ("0141", "2200000"): ("Paid Up Subscriber", "Landline 199", "2026-11", "2026-12-12", 0),
}
_BROADBAND: dict[str, tuple[str, str, str, str, int]] = {
    "9012345678": ("Sunita Devi", "Bharat Fibre 499", "2026-11", "2026-12-15", 58_882),
    "9087654321": ("Jaipur Kirana Store", "Bharat Fibre 999", "2026-11", "2026-12-15", 117_882),
}


class BsnlSandbox:
    async def landline_bill(self, std_code: str, number: str) -> TelecomBill:
        row = _LANDLINES.get((std_code, number))
        if row is None:
            raise UnknownAccount(f"{std_code}-{number}")
        return self._bill(f"{std_code}-{number}", row)

    async def broadband_bill(self, account_id: str) -> TelecomBill:
        row = _BROADBAND.get(account_id)
        if row is None:
            raise UnknownAccount(account_id)
        return self._bill(account_id, row)

    @staticmethod
    def _bill(account: str, row: tuple[str, str, str, str, int]) -> TelecomBill:
        name, plan, month, due, amount = row
        if amount == 0:
            raise NothingDue(account)
        return TelecomBill(account, name, plan, month, due, amount)

    async def post_payment(self, account: str, amount_paise: int, our_reference: str) -> str:
        return kit.acknowledgement("BSNL-RJ-", "BSNL", account, amount_paise, our_reference)

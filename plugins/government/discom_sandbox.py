"""A deterministic stand-in for a Rajasthan discom's billing system.

It answers what the real system answers (the bill due on a K-number, an acknowledgement of a
payment) for a fixed set of consumer accounts, so that the demo and the tests behave like the
real thing without leaving this machine. The accounts are listed in docs/services/electricity.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Bill:
    k_number: str
    consumer_name: str
    bill_month: str
    due_date: str
    amount_paise: int


class UnknownAccount(LookupError):
    pass


class NothingDue(LookupError):
    pass


# K-number -> (consumer name, bill month, due date, amount due in paise)
_ACCOUNTS: dict[str, dict[str, tuple[str, str, str, int]]] = {
    "JVVNL": {
        "210412345678": ("Ramesh Kumar Sharma", "2026-10", "2026-12-05", 148_350),
        "210412345679": ("Sunita Devi", "2026-10", "2026-12-05", 62_000),
        "210498765432": ("Mohammed Iqbal", "2026-10", "2026-12-08", 1_234_567),
        "210400000011": ("Geeta Meena", "2026-10", "2026-12-10", 9_995),
        "210455500001": ("Jaipur Kirana Store", "2026-10", "2026-12-03", 387_540),
        "210400000000": ("Paid Up Consumer", "2026-10", "2026-12-05", 0),
    },
}


class DiscomSandbox:
    def __init__(self, discom: str):
        self.discom = discom
        self.accounts = _ACCOUNTS.get(discom, {})

    async def bill_due(self, k_number: str) -> Bill:
        try:
            name, month, due, amount = self.accounts[k_number]
        except KeyError:
            raise UnknownAccount(k_number) from None
        if amount == 0:
            raise NothingDue(k_number)
        return Bill(k_number, name, month, due, amount)

    async def post_payment(self, k_number: str, amount_paise: int, our_reference: str) -> str:
        """Acknowledge a payment; the same reference always gets the same acknowledgement."""
        digest = hashlib.sha256(f"{self.discom}:{k_number}:{amount_paise}:{our_reference}".encode()).hexdigest()
        return f"{self.discom}-ACK-{int(digest[:10], 16) % 10**10:010d}"

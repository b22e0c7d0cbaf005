"""A deterministic stand-in for a Rajasthan discom's billing system.

It answers what the real system answers (the bill due on a K-number, an acknowledgement of a
payment) for a fixed set of consumer accounts, so that the demo and the tests behave like the
real thing without leaving this machine. The accounts are listed in docs/services/electricity.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from emitra.core import kit


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
    # Ajmer discom (Ajmer, Bhilwara, Nagaur, Udaipur ... circles): K-numbers start 1101 here
    "AVVNL": {
        "110123456780": ("Kailash Chand Jat", "2026-10", "2026-12-07", 96_420),
        "110123456781": ("Pushpa Kanwar Rathore", "2026-10", "2026-12-07", 41_850),
        "110187654320": ("Bhanwar Lal Regar", "2026-10", "2026-12-09", 15_530),
        "110155500002": ("Dargah Bazaar Sweets, Ajmer", "2026-10", "2026-12-04", 562_275),
        "110100000000": ("Paid Up Consumer", "2026-10", "2026-12-07", 0),
    },
    # Jodhpur discom (Jodhpur, Bikaner, Barmer, Jaisalmer ... circles): K-numbers start 3102 here
    "JDVVNL": {
        "310234567890": ("Mahendra Singh Rathore", "2026-10", "2026-12-06", 213_640),
        "310234567891": ("Kamla Bishnoi", "2026-10", "2026-12-06", 38_700),
        "310276543210": ("Abdul Rehman Mohammed", "2026-10", "2026-12-10", 7_905),
        "310255500003": ("Sardarpura Handicrafts", "2026-10", "2026-12-03", 1_046_010),
        "310200000000": ("Paid Up Consumer", "2026-10", "2026-12-06", 0),
    },
}


class DiscomSandbox:
    def __init__(self, discom: str):
        self.discom = discom
        self.accounts = _ACCOUNTS.get(discom.upper(), {})

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
        return kit.acknowledgement(f"{self.discom}-ACK-", self.discom, k_number, amount_paise, our_reference, hex_digits=10)

"""A deterministic stand-in for PHED's water billing system (Public Health Engineering Department,
Rajasthan).

Water is billed every two months on metered domestic and non-domestic connections. The sandbox
answers, for a fixed set of consumer numbers, the bill due (with the meter readings) and an
acknowledgement of a payment. No network, no randomness, no wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from emitra.core import kit


@dataclass(frozen=True)
class WaterBill:
    consumer_no: str
    consumer_name: str
    address: str
    use: tuple[str, str]  # domestic or not, in English and Hindi
    pipe_mm: int
    billing_period: tuple[str, str]  # in English and Hindi
    previous_reading_kl: int
    current_reading_kl: int
    due_date: str
    amount_paise: int

    @property
    def consumed_kl(self) -> int:
        return self.current_reading_kl - self.previous_reading_kl

    @property
    def connection(self) -> str:
        return f"{self.use[0]}, {self.pipe_mm} mm"

    @property
    def connection_hi(self) -> str:
        return f"{self.use[1]}, {self.pipe_mm} मिमी"

    @property
    def period(self) -> str:
        return self.billing_period[0]

    @property
    def period_hi(self) -> str:
        return self.billing_period[1]


# what the bill prints, in English and Hindi
DOMESTIC = ("Domestic", "घरेलू")
NON_DOMESTIC = ("Non-domestic", "गैर-घरेलू")
SEP_OCT_2026 = ("Sep–Oct 2026", "सितंबर–अक्टूबर 2026")


class UnknownConsumer(LookupError):
    pass


class NothingDue(LookupError):
    pass


# consumer number -> (name, address, use, pipe size in mm, billing period, previous and current meter reading in kL, due date,
# amount due in paise)
_CONSUMERS: dict[str, tuple[str, str, tuple[str, str], int, tuple[str, str], int, int, str, int]] = {
    "10230045671": ("Ramesh Kumar Sharma", "C-42, Malviya Nagar, Jaipur", DOMESTIC, 15, SEP_OCT_2026, 1824, 1851, "2026-12-12", 38_640),
    "10230045672": ("Sunita Devi", "Ward 12, Main Bazaar, Chomu", DOMESTIC, 15, SEP_OCT_2026, 642, 660, "2026-12-12", 21_180),
    "10230098810": ("Mohammed Iqbal", "Ghat Gate, Ramganj, Jaipur", DOMESTIC, 20, SEP_OCT_2026, 3310, 3372, "2026-12-15", 97_525),
    "10230011002": ("Hotel Amber Palace", "Amer Road, Jaipur", NON_DOMESTIC, 25, SEP_OCT_2026, 10450, 10842, "2026-12-08", 1_128_960),
    "10230077003": ("Geeta Meena", "Meena Mohalla, Bassi", DOMESTIC, 15, SEP_OCT_2026, 211, 219, "2026-12-18", 7_350),
    "10230000000": ("Paid Up Consumer", "Sanganer, Jaipur", DOMESTIC, 15, SEP_OCT_2026, 500, 512, "2026-12-12", 0),
}


class PhedSandbox:
    async def bill_due(self, consumer_no: str) -> WaterBill:
        try:
            row = _CONSUMERS[consumer_no]
        except KeyError:
            raise UnknownConsumer(consumer_no) from None
        bill = WaterBill(consumer_no, *row)
        if bill.amount_paise == 0:
            raise NothingDue(consumer_no)
        return bill

    async def post_payment(self, consumer_no: str, amount_paise: int, our_reference: str) -> str:
        """Acknowledge a payment; the same reference always gets the same acknowledgement."""
        return kit.acknowledgement("PHED-ACK-", "PHED", consumer_no, amount_paise, our_reference, hex_digits=10)

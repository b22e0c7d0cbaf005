"""A deterministic stand-in for Passport Seva (Regional Passport Office, Jaipur).

It answers what the real system answers for the counter: the fee of an application, its
Application Reference Number (ARN) and the first free appointment slot at a Passport Seva Kendra
(PSK) or Post Office PSK (POPSK) on or after the preferred date; and it books that slot.

The calendar is fixed (no wall clock):

- every kendra is closed on Sundays and on the national holidays in ``HOLIDAYS``;
- appointments are released from ``FIRST_DAY`` to ``LAST_DAY``;
- some slots are already taken (``TAKEN``): Jaipur PSK is fully booked on 2026-12-28 and its first
  two slots on 2026-12-29 are gone; Sikar POPSK is fully booked on 2026-12-07;
- each slot takes one applicant; a slot booked through :meth:`PassportSandbox.book` is taken for
  everyone else, and booking the same ARN again returns the same slot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emitra.core import kit

FIRST_DAY = dt.date(2026, 10, 1)
LAST_DAY = dt.date(2027, 6, 30)

HOLIDAYS: dict[dt.date, str] = {
    dt.date(2026, 10, 2): "Gandhi Jayanti",
    dt.date(2026, 12, 25): "Christmas",
    dt.date(2027, 1, 26): "Republic Day",
    dt.date(2027, 8, 15): "Independence Day",
}

# code -> (English name, Hindi name, slot times)
_PSK_TIMES = ["09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "14:00", "14:30", "15:00", "15:30"]
_POPSK_TIMES = ["10:00", "10:30", "11:00", "11:30", "12:00"]
KENDRAS: dict[str, tuple[str, str, list[str]]] = {
    "JAIPUR_PSK": ("Jaipur PSK", "जयपुर पासपोर्ट सेवा केंद्र", _PSK_TIMES),
    "SIKAR_POPSK": ("Sikar POPSK", "सीकर डाकघर पासपोर्ट सेवा केंद्र", _POPSK_TIMES),
    "AJMER_PSK": ("Ajmer PSK", "अजमेर पासपोर्ट सेवा केंद्र", _PSK_TIMES),
    "ALWAR_POPSK": ("Alwar POPSK", "अलवर डाकघर पासपोर्ट सेवा केंद्र", _POPSK_TIMES),
}

# (kendra, date) -> slot times already booked in the real system
TAKEN: dict[tuple[str, dt.date], set[str]] = {
    ("JAIPUR_PSK", dt.date(2026, 12, 28)): set(_PSK_TIMES),
    ("JAIPUR_PSK", dt.date(2026, 12, 29)): {"09:30", "10:00"},
    ("SIKAR_POPSK", dt.date(2026, 12, 7)): set(_POPSK_TIMES),
}

# Normal scheme, 10-year passport: (application type, pages) -> fee in paise
FEES: dict[tuple[str, str], int] = {
    ("fresh", "36"): 150_000,
    ("fresh", "60"): 200_000,
    ("reissue", "36"): 150_000,
    ("reissue", "60"): 200_000,
}


@dataclass(frozen=True)
class Slot:
    kendra: str
    day: dt.date
    time: str

    @property
    def when(self) -> str:
        """The day and time, ``2026-12-09 09:30`` (the pages write the day first)."""
        return f"{self.day.isoformat()} {self.time}"


class NoSlot(LookupError):
    """No appointment can be given for this date (outside the released window)."""


class PassportSandbox:
    def __init__(self) -> None:
        self.booked: dict[tuple[str, dt.date], set[str]] = {}
        self.by_arn: dict[str, Slot] = {}

    @staticmethod
    def fee_paise(application_type: str, booklet: str) -> int:
        return FEES[(application_type, booklet)]

    @staticmethod
    def is_open(day: dt.date) -> bool:
        return day.weekday() != 6 and day not in HOLIDAYS

    def _free_times(self, kendra: str, day: dt.date) -> list[str]:
        taken = TAKEN.get((kendra, day), set()) | self.booked.get((kendra, day), set())
        return [t for t in KENDRAS[kendra][2] if t not in taken]

    def first_free_slot(self, kendra: str, preferred: dt.date) -> Slot:
        """The first free slot at ``kendra`` on or after ``preferred``."""
        if kendra not in KENDRAS:
            raise KeyError(kendra)
        if preferred < FIRST_DAY or preferred > LAST_DAY:
            raise NoSlot(preferred)
        day = preferred
        while day <= LAST_DAY:
            if self.is_open(day):
                free = self._free_times(kendra, day)
                if free:
                    return Slot(kendra, day, free[0])
            day += dt.timedelta(days=1)
        raise NoSlot(preferred)

    @staticmethod
    def arn(applicant_key: str, preferred: dt.date) -> str:
        """The Application Reference Number: the same application always gets the same ARN."""
        return f"{preferred.year % 100:02d}-{1_000_000_000 + kit.stable_int('RPO-JAIPUR', applicant_key) % 9_000_000_000:010d}"

    def slot_for(self, arn: str, kendra: str, preferred: dt.date) -> Slot:
        """The slot ``arn`` holds, or else the one it would get if booked now."""
        return self.by_arn.get(arn) or self.first_free_slot(kendra, preferred)

    def book(self, arn: str, kendra: str, preferred: dt.date) -> Slot:
        """Book the first free slot for ``arn``; booking the same ARN again returns its slot."""
        if arn in self.by_arn:
            return self.by_arn[arn]
        slot = self.first_free_slot(kendra, preferred)
        self.booked.setdefault((kendra, slot.day), set()).add(slot.time)
        self.by_arn[arn] = slot
        return slot

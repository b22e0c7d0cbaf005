"""A deterministic stand-in for the Election Commission's voter registration system (ERONET) for
the Jaipur assembly constituencies.

It knows a few electors already on the roll (by EPIC number, for the "family members on the roll"
part of Form 6) and gives a Form 6 reference number that depends only on the application, so the
same application always gets the same number.

Electors on the roll (EPIC -> name, assembly constituency):

- RJA1234567 Ramesh Kumar Sharma, 54 Malviya Nagar
- RJA1234568 Sushila Sharma, 54 Malviya Nagar
- RJB7654321 Sunita Devi, 43 Chomu
- RJC1111111 Mohammed Iqbal, 49 Hawa Mahal
"""

from __future__ import annotations

import datetime as dt

from emitra.core import kit

#: the qualifying date of the current revision of the rolls: an applicant must be 18 on it
QUALIFYING_DATE = dt.date(2027, 1, 1)

# number -> (English name, Hindi name), Jaipur district
CONSTITUENCIES: dict[str, tuple[str, str]] = {
    "043": ("Chomu", "चौमूं"),
    "046": ("Jhotwara", "झोटवाड़ा"),
    "049": ("Hawa Mahal", "हवा महल"),
    "050": ("Vidhyadhar Nagar", "विद्याधर नगर"),
    "051": ("Civil Lines", "सिविल लाइंस"),
    "054": ("Malviya Nagar", "मालवीय नगर"),
    "055": ("Sanganer", "सांगानेर"),
    "057": ("Bassi", "बस्सी"),
}

_ROLL: dict[str, tuple[str, str]] = {
    "RJA1234567": ("Ramesh Kumar Sharma", "054"),
    "RJA1234568": ("Sushila Sharma", "054"),
    "RJB7654321": ("Sunita Devi", "043"),
    "RJC1111111": ("Mohammed Iqbal", "049"),
}


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class EciSandbox:
    def __init__(self) -> None:
        self.received: dict[str, str] = {}

    @staticmethod
    def elector(epic: str) -> tuple[str, str] | None:
        return _ROLL.get(epic)

    @staticmethod
    def reference(constituency: str, application_key: str) -> str:
        return kit.acknowledgement(f"F6-S20{constituency}-", "ECI-F6", constituency, application_key, digits=8)

    def receive(self, reference: str, our_reference: str) -> str:
        self.received.setdefault(reference, our_reference)
        return reference

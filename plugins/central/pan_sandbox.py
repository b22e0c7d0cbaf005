"""A deterministic stand-in for Protean (formerly NSDL e-Gov), which takes new PAN applications
(Form 49A) for the Income Tax Department.

It knows a few people who already hold a PAN (a second PAN is not allowed: they apply for a
correction instead) and acknowledges an application with a 15-digit acknowledgement number that
depends only on the application, so the same application always gets the same number.

People who already hold a PAN (name, date of birth -> masked PAN):

- Ramesh Kumar Sharma, 1978-03-14 -> ABCPS1234K
- Mohammed Iqbal, 1969-11-20 -> AAJPI4321L
"""

from __future__ import annotations

from emitra.core import kit


#: PAN fee for a physical card dispatched to an Indian address (GST included), in paise
PAN_FEE_PAISE = 10_700

_EXISTING: dict[tuple[str, str], str] = {
    ("RAMESH KUMAR SHARMA", "1978-03-14"): "ABCPS1234K",
    ("MOHAMMED IQBAL", "1969-11-20"): "AAJPI4321L",
}


class AlreadyHasPan(LookupError):
    def __init__(self, pan: str):
        super().__init__(pan)
        self.pan = pan

    @property
    def masked(self) -> str:
        return self.pan[:2] + "XXX" + self.pan[5:9] + "X"


def _key(name: str) -> str:
    return " ".join(name.upper().split())


class PanSandbox:
    def __init__(self) -> None:
        self.received: dict[str, str] = {}  # acknowledgement -> our reference

    def fee_paise(self) -> int:
        return PAN_FEE_PAISE

    def check_new_applicant(self, name: str, date_of_birth: str) -> None:
        pan = _EXISTING.get((_key(name), date_of_birth))
        if pan:
            raise AlreadyHasPan(pan)

    @staticmethod
    def acknowledgement(application_key: str) -> str:
        return kit.acknowledgement("8810", "PROTEAN-49A", application_key, digits=11, hex_digits=14)

    def receive(self, acknowledgement: str, our_reference: str) -> str:
        """Accept the application (idempotent on the acknowledgement number)."""
        self.received.setdefault(acknowledgement, our_reference)
        return acknowledgement

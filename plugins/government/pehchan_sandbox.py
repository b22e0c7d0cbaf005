"""A deterministic stand-in for Pehchan, Rajasthan's civil registration system for births and
deaths (Directorate of Economics and Statistics, Chief Registrar of Births and Deaths).

It files an application for a birth or death certificate and answers with Pehchan's application
number, a hash of e-Mitra's own reference: the same request always gets the same number. No
network, no randomness, no wall clock.
"""

from __future__ import annotations

from emitra.core import kit


PREFIX = {"birth": "PB", "death": "PD"}


class PehchanSandbox:
    async def file_application(self, kind: str, name: str, event_date: str, our_reference: str) -> str:
        return kit.acknowledgement(f"{PREFIX[kind]}-{event_date[:4]}-", "pehchan", kind, name, event_date, our_reference,
                                   digits=9, hex_digits=10)

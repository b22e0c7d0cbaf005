"""A deterministic stand-in for Rajasthan Sampark, the state's grievance redressal system.

It registers a grievance against a department and answers with the grievance number, a hash of
e-Mitra's own reference: the same request always gets the same number. No network, no
randomness, no wall clock.
"""

from __future__ import annotations

from emitra.core import kit


class SamparkSandbox:
    async def register_grievance(self, department: str, subject: str, our_reference: str) -> str:
        return kit.acknowledgement("RSG", "sampark", department, subject, our_reference)

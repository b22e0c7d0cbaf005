"""A deterministic stand-in for Rajasthan Sampark, the state's grievance redressal system.

It registers a grievance against a department and answers with the grievance number, a hash of
e-Mitra's own reference: the same request always gets the same number. No network, no
randomness, no wall clock.
"""

from __future__ import annotations

import hashlib


class SamparkSandbox:
    async def register_grievance(self, department: str, subject: str, our_reference: str) -> str:
        digest = hashlib.sha256(f"sampark:{department}:{subject}:{our_reference}".encode()).hexdigest()
        return f"RSG{int(digest[:12], 16) % 10**10:010d}"

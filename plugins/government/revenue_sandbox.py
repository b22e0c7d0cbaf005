"""A deterministic stand-in for the Revenue Department's certificate application system (the
tehsil's e-Mitra back office): it files a caste or domicile certificate application and answers
with the tehsil's application number. The number is a hash of e-Mitra's own reference, so the
same request always gets the same number. No network, no randomness, no wall clock.
"""

from __future__ import annotations

import hashlib

# kind -> prefix of the tehsil's application number
KINDS = {"caste": "JPC", "domicile": "MNC"}


class RevenueSandbox:
    async def file_application(self, kind: str, tehsil: str, applicant: str, our_reference: str) -> str:
        prefix = KINDS[kind]
        digest = hashlib.sha256(f"{kind}:{tehsil}:{applicant}:{our_reference}".encode()).hexdigest()
        return f"{prefix}/{tehsil[:3].upper()}/{int(digest[:10], 16) % 10**9:09d}"

"""A deterministic stand-in for the Revenue Department's certificate application system (the
tehsil's e-Mitra back office): it files a caste or domicile certificate application and answers
with the tehsil's application number. The number is a hash of e-Mitra's own reference, so the
same request always gets the same number. No network, no randomness, no wall clock.
"""

from __future__ import annotations

from emitra.core import kit


# kind -> prefix of the tehsil's application number
KINDS = {"caste": "JPC", "domicile": "MNC"}


class RevenueSandbox:
    async def file_application(self, kind: str, tehsil: str, applicant: str, our_reference: str) -> str:
        return kit.acknowledgement(f"{KINDS[kind]}/{tehsil[:3].upper()}/", kind, tehsil, applicant, our_reference, digits=9, hex_digits=10)

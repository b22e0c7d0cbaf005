"""Aadhaar-like numbers in free text: found in any of the ways people write them, and masked.

A registration keeps the Aadhaar number only masked (``core.registration``), but people also
type it into free text: a grievance's subject and description, an officer's remark. Those texts
are stored with each valid Aadhaar number masked (``XXXX XXXX 1234``), so that no page, export,
notification or API answer can show it in full. "Valid" is the number's own rule (12 digits, not
starting with 0 or 1, the Verhoeff check digit): a consumer or account number of 12 digits that
is not an Aadhaar number (most are not) stays as typed, because a department needs it.

Pages that show form values to officers mask every 12-digit group, valid or not
(:func:`mask_any`): there nothing is lost, the stored value is unchanged.
"""

from __future__ import annotations

import re

from stdnum.in_ import aadhaar as aadhaar_number

#: 12 digits as 4+4+4, run together or separated by a space, a no-break space, a dash or a dot,
#: not inside a longer number
AADHAAR_LIKE = re.compile(r"(?<!\d)(\d{4})[ \u00a0\-.]?(\d{4})[ \u00a0\-.]?(\d{4})(?!\d)")


def _masked(match: re.Match[str]) -> str:
    return f"XXXX XXXX {match.group(3)}"


def mask_aadhaar_in_text(text: str) -> str:
    """``text`` with every valid Aadhaar number in it masked; everything else as it was."""
    if not text:
        return text
    return AADHAAR_LIKE.sub(lambda m: _masked(m) if aadhaar_number.is_valid("".join(m.groups())) else m.group(0), text)


def mask_any(text: str) -> str:
    """``text`` with every 12-digit group written as an Aadhaar number is masked, valid or not (for display)."""
    return AADHAAR_LIKE.sub(_masked, text)

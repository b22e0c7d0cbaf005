"""Aadhaar-like numbers in free text: found in any of the ways people write them, and masked.

A registration keeps the Aadhaar number only masked (``core.registration``), but people also
type it into free text: a grievance's subject and description, an officer's remark. Those texts
are stored with each valid Aadhaar number masked (``XXXX XXXX 1234``), so that no page, export,
notification or API answer can show it in full. "Valid" is the number's own rule (12 digits, not
starting with 0 or 1, the Verhoeff check digit): a consumer or account number of 12 digits that
is not an Aadhaar number (most are not) stays as typed, because a department needs it. Its digits
may be typed on a Hindi keyboard (४५६७ ८९०१ २३४१): the same number, masked the same way.

Pages that show form values to officers mask every 12-digit group, valid or not
(:func:`mask_any`): there nothing is lost, the stored value is unchanged.
"""

from __future__ import annotations

import re

from stdnum.in_ import aadhaar as aadhaar_number

from emitra.core.text import ascii_digits

#: 12 digits as 4+4+4, run together or separated by a space, a no-break space, a dash or a dot,
#: not inside a longer number
AADHAAR_LIKE = re.compile(r"(?<!\d)(\d{4})[ \u00a0\-.]?(\d{4})[ \u00a0\-.]?(\d{4})(?!\d)")


def _masked(match: re.Match[str]) -> str:
    return f"XXXX XXXX {match.group(3)}"


def mask_aadhaar_in_text(text: str) -> str:
    """``text`` with every valid Aadhaar number in it masked; everything else as it was."""
    if not text:
        return text
    # (typed on a Hindi keyboard, ४५६७ ८९०१ २३४१ is the same number: it was kept whole, since the
    # check digit was computed on digits the library does not read)
    return AADHAAR_LIKE.sub(lambda m: _masked(m) if aadhaar_number.is_valid(ascii_digits("".join(m.groups()))) else m.group(0), text)


def mask_any(text: str) -> str:
    """``text`` with every 12-digit group written as an Aadhaar number is masked, valid or not (for display)."""
    return AADHAAR_LIKE.sub(_masked, text)


#: a UPI address (VPA): a name of letters, digits, dots, dashes and underscores, '@', the payment
#: service provider's handle (``ramesh.k@okaxis``, ``9829012345@ybl``)
VPA = re.compile(r"[a-z0-9][a-z0-9._-]{0,98}@[a-z][a-z0-9.-]{0,48}")


def vpa_or_empty(value: object) -> str:
    """``value`` as a UPI address in lower case (UPI addresses are not case-sensitive), or '' when
    it is not one (not a string, too long, or not of the form ``name@handle``)."""
    if not isinstance(value, str):
        return ""
    text = value.strip().lower()
    return text if len(text) <= 100 and VPA.fullmatch(text) else ""


def mask_vpa(vpa: str) -> str:
    """A UPI address with its name hidden but its first two characters (``ra******@okaxis``): its
    name is often the payer's mobile number. For the audit log and the API; the Society's UPI
    refunds page shows it whole, to pay the refund back."""
    name, at, handle = vpa.partition("@")
    if not at:
        return "*" * len(vpa)
    return name[:2] + "*" * max(len(name) - 2, 1) + "@" + handle


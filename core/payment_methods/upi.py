"""UPI: the citizen pays the Society's VPA from their own phone by scanning a QR code.

Nothing is posted when the payment starts (the money is not ours until the bank says so): the
counter shows the UPI payment link and its QR code, with our reference (the receipt number) in
``tr`` and the exact amount in ``am``. The bank or payment service provider then calls
``POST /webhooks/upi`` (web/webhooks_upi.py) with a signed confirmation; a SUCCESS posts the
collection to ``escrow:upi`` and hands the request over, a FAILURE fails it, each exactly once.

Settings (environment):

- ``EMITRA_UPI_VPA``: the Society's virtual payment address (default :data:`DEMO_VPA`, which
  belongs to no one: set the real one in production);
- ``EMITRA_UPI_PAYEE``: the payee name shown in the citizen's UPI app (default: the district
  Society's name);
- ``EMITRA_UPI_WEBHOOK_SECRET``: the secret shared with the bank to sign confirmations.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from emitra.core import hookimpl
from emitra.core.payments import PaymentMethod

if TYPE_CHECKING:
    from emitra.core.models import Counter, Payment, ServiceRequest

#: a documented demonstration address; no bank account is behind it
DEMO_VPA = "emitra.demo@upi"
_VPA = re.compile(r"^[A-Za-z0-9.\-_]{2,256}@[A-Za-z][A-Za-z0-9.\-]{1,63}$")


def vpa() -> str:
    """The Society's VPA (``EMITRA_UPI_VPA``), checked so a typo is found at the first payment."""
    value = os.environ.get("EMITRA_UPI_VPA", "").strip() or DEMO_VPA
    if not _VPA.match(value):
        raise ValueError(f"EMITRA_UPI_VPA={value!r} is not a UPI address (name@bank)")
    return value


def rupees_text(paise: int) -> str:
    """Paise as rupees with exactly two decimals, by integer arithmetic: 148350 -> '1483.50'."""
    if not isinstance(paise, int) or isinstance(paise, bool) or paise < 0:
        raise ValueError("an amount in whole, non-negative paise is required")
    return f"{paise // 100}.{paise % 100:02d}"


def payment_link(payee_vpa: str, payee_name: str, amount_paise: int, reference: str, note: str) -> str:
    """The UPI deep link (NPCI's linking specification): ``upi://pay?pa=..&pn=..&am=..&cu=INR&tr=..&tn=..``."""
    parts = [
        ("pa", quote(payee_vpa, safe="@")),
        ("pn", quote(payee_name[:50], safe="")),
        ("am", rupees_text(amount_paise)),
        ("cu", "INR"),
        ("tr", quote(reference, safe="")),
        ("tn", quote(note[:50], safe="")),
    ]
    return "upi://pay?" + "&".join(f"{k}={v}" for k, v in parts)


@functools.lru_cache(maxsize=256)
def qr_svg(text: str) -> str:
    """A QR code of ``text`` as an inline SVG element, drawn on the server (no Pillow, no JavaScript).

    Drawn when a page or an API answer shows a pending payment's link (:func:`shown_details`),
    never stored with the payment (decision 188: about 27 KB a payment, some 13 ms to draw); the
    last few drawn are kept, so the receipt's "Check again" does not draw its code again."""
    import qrcode
    from qrcode.image.svg import SvgPathFillImage

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=15, border=4,
                         image_factory=SvgPathFillImage)
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return svg.replace("<svg ", '<svg role="img" aria-label="UPI QR code" ', 1)


@dataclass
class UpiMethod(PaymentMethod):
    """UPI collect by QR: pending until the bank's signed confirmation arrives."""

    def collection_account(self, counter: "Counter") -> str:
        return "escrow:upi"

    async def start(self, payment: "Payment", request: "ServiceRequest", counter: "Counter") -> dict[str, Any]:
        from emitra.core.models import Society

        society = await Society.get_or_none(district_id=request.district_id)
        payee = os.environ.get("EMITRA_UPI_PAYEE", "").strip() or (society.name if society else "e-Mitra Society")
        reference = request.receipt_no or ""
        link = payment_link(vpa(), payee, payment.amount_paise, reference, f"e-Mitra {reference}")
        payment.reference = reference  # the bank's confirmation names it
        await payment.save(update_fields=["reference"])
        # (the QR code is not stored: it is drawn from the link whenever it is shown, decision 188)
        return {"upi_link": link, "vpa": vpa(), "payee": payee, "reference": reference}


def shown_details(method: str, status: str, details: dict[str, Any]) -> dict[str, Any]:
    """A payment's ``details`` as a page or an API answer shows them: a pending UPI payment's with
    ``qr_svg``, the QR code of its ``upi_link``, drawn here (decision 188); any other as they are."""
    link = details.get("upi_link")
    if method == UPI.code and status == "pending" and isinstance(link, str) and link:
        return {**details, "qr_svg": qr_svg(link)}
    return details


UPI = UpiMethod(code="upi", title_en="UPI (QR code)", title_hi="यूपीआई (क्यूआर कोड)", immediate=False, post_on_start=False,
                withdrawable=True)


@hookimpl
def emitra_register_payment_methods(register):
    register(UPI)

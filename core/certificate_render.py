"""A certificate on paper: its QR code (as a matrix, as inline SVG) and its bilingual A4 PDF.

The QR code holds the absolute address of the public verification page,
``<public base URL>/verify/certificate/<token>``; anyone who scans it sees what was issued and
whether it still stands. The same matrix is drawn in the HTML page (SVG) and in the PDF (filled
rectangles), so both print the same code, and no image library is needed.

Settings (environment):

- ``EMITRA_PUBLIC_URL``: the address citizens reach this site at (default
  ``http://127.0.0.1:8000``). It is printed in the PDF's QR code, which must work from any
  phone, long after the request that produced it. The HTML page uses the address the browser
  asked for instead.

The PDF carries Hindi: it embeds Noto Sans Devanagari and a Latin subset of Noto Sans from
``web/static/fonts/`` (SIL Open Font License 1.1, see ``OFL.txt`` there), and shapes the
Devanagari text with HarfBuzz (``uharfbuzz``). Without uharfbuzz the PDF is still produced, with
the conjuncts and vowel signs unshaped, and a warning is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from emitra.core.models import Case, Certificate

log = logging.getLogger(__name__)

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
FONT_DIR = Path(__file__).resolve().parent.parent / "web" / "static" / "fonts"
FONTS = {  # family, style -> file
    ("latin", ""): "NotoSans-Regular-Latin.ttf",
    ("latin", "B"): "NotoSans-Bold-Latin.ttf",
    ("deva", ""): "NotoSansDevanagari-Regular.ttf",
}
#: the fpdf2 ``set_compression`` setting; tests may turn it off to read the page text
COMPRESS = True


#: the fixed words of the paper, in both languages (the certificate is bilingual whatever the
#: reader's language, like the content a plugin gives)
PAPER: dict[str, tuple[str, str]] = {
    "number": ("Certificate number", "प्रमाण पत्र संख्या"),
    "holder": ("Issued to", "धारक"),
    "issued_on": ("Date of issue", "जारी करने की तिथि"),
    "issued_by": ("Issued by", "जारीकर्ता"),
    "revoked_on": ("REVOKED on", "निरस्त, दिनांक"),
    "society": ("District e-Mitra Society", "जिला ई-मित्र सोसायटी"),
    "altered": ("NOT AUTHENTIC: this record was changed after issue", "अप्रामाणिक: जारी होने के बाद यह अभिलेख बदला गया"),
    "note": ("Digitally issued; no signature is needed. Scan the QR code, or open the address under it, to check that this "
             "certificate is authentic and has not been revoked.",
             "यह प्रमाण पत्र डिजिटल रूप से जारी है; हस्ताक्षर आवश्यक नहीं। इसकी प्रामाणिकता जाँचने के लिए क्यूआर कोड स्कैन करें "
             "या उसके नीचे लिखा पता खोलें।"),
}


def public_base_url() -> str:
    """``EMITRA_PUBLIC_URL`` without a trailing slash (default :data:`DEFAULT_PUBLIC_URL`)."""
    url = os.environ.get("EMITRA_PUBLIC_URL", "").strip() or DEFAULT_PUBLIC_URL
    if not re.match(r"^https?://[^\s/]+", url):
        raise ValueError(f"EMITRA_PUBLIC_URL={url!r} is not an http(s) address such as https://emitra.example.org")
    return url.rstrip("/")


def verify_path(token: str) -> str:
    return f"/verify/certificate/{token}"


def verify_url(token: str, base: str | None = None) -> str:
    """The absolute verification address of a certificate (``base``: a request's base URL)."""
    return (base.rstrip("/") if base else public_base_url()) + verify_path(token)


# --- QR code ------------------------------------------------------------------------------------

def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code of ``url`` (error correction M) as rows of dark (True) / light modules, no quiet zone."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return [list(map(bool, row)) for row in code.get_matrix()]


def _runs(row: list[bool]) -> Iterable[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    x, n = 0, len(row)
    while x < n:
        if row[x]:
            start = x
            while x < n and row[x]:
                x += 1
            yield start, x - start
        else:
            x += 1


def qr_svg(url: str, label: str = "QR code") -> str:
    """The QR code of ``url`` as an inline SVG element: one path, four modules of quiet zone.

    Drawn from :func:`qr_matrix` (the PDF draws the same matrix), on the server: no Pillow, no
    JavaScript, and no inline style (the site's content security policy forbids it).
    """
    matrix = qr_matrix(url)
    size = len(matrix) + 8
    path = "".join(f"M{x + 4} {y + 4}h{n}v1h-{n}z" for y, row in enumerate(matrix) for x, n in _runs(row))
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" aria-label="{label}" '
            f'class="qr" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path fill="#000" d="{path}"/></svg>')


# --- PDF ----------------------------------------------------------------------------------------

def _date(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    from emitra.core import config

    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(ZoneInfo(config.timezone())).strftime("%d-%m-%Y")


def _new_pdf() -> Any:
    import fpdf

    missing = [name for name in FONTS.values() if not (FONT_DIR / name).is_file()]
    if missing:
        raise FileNotFoundError(f"the certificate fonts {', '.join(missing)} are missing from {FONT_DIR}; reinstall emitra")
    pdf = fpdf.FPDF(format="A4", unit="mm")
    for (family, style), name in FONTS.items():
        pdf.add_font(family, style, str(FONT_DIR / name))
    # Latin text in Noto Sans; any character it lacks (Devanagari) falls back to Noto Sans Devanagari
    pdf.set_fallback_fonts(["deva"], exact_match=False)
    try:
        pdf.set_text_shaping(True)
    except Exception as exc:  # uharfbuzz missing or broken: unshaped Hindi beats no certificate
        log.warning("Devanagari text shaping is unavailable (%s); the PDF's Hindi is printed unshaped", exc)
    pdf.set_compression(COMPRESS)
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(18, 15, 18)
    return pdf


def _font(pdf: Any, style: str, size: float) -> None:
    """Set the font and put it on the page at once.

    fpdf2 2.8 puts a font on the page lazily, with the first text; when that text starts with a
    fallback (Devanagari) character, it sets the font inside a saved graphics state that is then
    restored, and the next line prints with no font or the wrong one (garbled). An empty text
    puts it on the page outside any such state.
    """
    pdf.set_font("latin", style, size)
    pdf.text(pdf.l_margin, pdf.get_y(), "")


def pdf_bytes(cert: "Certificate", case: "Case", verify_url: str, lang_pair: tuple[str, str] = ("hi", "en"), *,
              society_name: str = "", district_hi: str = "") -> bytes:
    """The certificate as an A4 PDF, in both languages (``lang_pair``: which comes first).

    ``case`` gives the issuing department (with the Hindi name its plugin declares, see
    :func:`emitra.core.plugins.department_hi`); ``society_name`` and ``district_hi`` head the page.
    A particular's ``value_hi`` is printed with its ``value``, as its label is.
    The QR code of ``verify_url`` is drawn module by module under the particulars, with the
    address printed below it, so the paper can be checked by scanning or by typing.
    """
    first = lang_pair[0] if lang_pair and lang_pair[0] in ("hi", "en") else "hi"

    def both(en: str, hi: str, sep: str = " / ") -> str:
        if not hi or hi == en:
            return en
        return sep.join((hi, en) if first == "hi" else (en, hi))

    pdf = _new_pdf()
    pdf.set_title(f"{cert.number} {cert.title_en}")
    pdf.set_subject(f"{cert.title_en} / {cert.title_hi}")
    pdf.set_author(cert.issued_by_name or "e-Mitra")
    pdf.set_creator("emitra")
    pdf.set_keywords(f"{cert.number} {verify_url}")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # heading: the department (in Hindi too when its plugin names it so), then the district Society
    from emitra.core.plugins import department_hi

    _font(pdf, "B", 13)
    heading = both(case.department, department_hi(case.department, case.service_code), "\n") if case.department else "e-Mitra"
    pdf.multi_cell(width, 7, heading, align="C", new_x="LMARGIN", new_y="NEXT")
    _font(pdf, "", 10)
    society_hi = f"{PAPER['society'][1]}, {district_hi}" if district_hi else ""
    if society_name:
        pdf.multi_cell(width, 6, both(society_name, society_hi), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(5)

    # title and number
    _font(pdf, "B", 18)
    pdf.multi_cell(width, 9, both(cert.title_en, cert.title_hi, "\n"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _font(pdf, "", 10)
    pdf.multi_cell(width, 6, both(*(f"{word}: {cert.number}" for word in PAPER["number"])), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(width, 6, both(*(f"{word}: {cert.holder_name}" for word in PAPER["holder"])), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    from emitra.core.certificates import verification_status

    banner = ""
    if verification_status(cert) == "altered":
        banner = both(*PAPER["altered"], "\n")
    elif cert.revoked_at is not None:
        banner = both(*(f"{word} {_date(cert.revoked_at)}: {cert.revoked_reason}" for word in PAPER["revoked_on"]), "\n")
    if banner:
        pdf.set_text_color(176, 0, 32)
        _font(pdf, "B", 14)
        pdf.multi_cell(width, 8, banner, align="C", border=1, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(4)

    # the particulars: label and value, each in both languages when the plugin gave both
    label_w = 50
    for row in cert.rows or []:
        label = both(str(row.get("label_en", "")), str(row.get("label_hi", "")), "\n")
        value = both(str(row.get("value", "")), str(row.get("value_hi", "") or ""), "\n")
        y = pdf.get_y()
        _font(pdf, "", 9)
        lines_label = len(pdf.multi_cell(label_w - 3, 4.6, label, dry_run=True, output="LINES"))
        _font(pdf, "", 10.5)
        lines_value = len(pdf.multi_cell(width - label_w, 5.4, value, dry_run=True, output="LINES"))
        height = max(lines_label * 4.6, lines_value * 5.4) + 2
        if y + height > pdf.page_break_trigger:
            pdf.add_page()
            y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y + 1)
        _font(pdf, "", 9)
        pdf.set_text_color(70, 70, 70)
        pdf.multi_cell(label_w, 4.6, label)
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(pdf.l_margin + label_w, y + 1)
        _font(pdf, "", 10.5)
        pdf.multi_cell(width - label_w, 5.4, value)
        pdf.set_y(y + height)
        pdf.set_draw_color(200, 200, 200)
        pdf.set_line_width(0.2)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())

    # issue date, issuer; the QR code on the right
    qr_size = 34.0
    if pdf.get_y() + qr_size + 10 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(4)
    top = pdf.get_y()
    _font(pdf, "", 10)
    text_w = width - qr_size - 8
    pdf.multi_cell(text_w, 6, both(*(f"{word}: {_date(cert.issued_at)}" for word in PAPER["issued_on"])),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(text_w, 6, both(*(f"{word}: {cert.issued_by_name}" for word in PAPER["issued_by"])),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _font(pdf, "", 8.5)
    pdf.multi_cell(text_w, 4.5, both(*PAPER["note"], "\n"), new_x="LMARGIN", new_y="NEXT")
    bottom_text = pdf.get_y()

    matrix = qr_matrix(verify_url)
    module = qr_size / (len(matrix) + 8)  # four modules of quiet zone on each side
    left = pdf.w - pdf.r_margin - qr_size
    pdf.set_fill_color(0, 0, 0)
    for y, row in enumerate(matrix):
        for x, n in _runs(row):
            pdf.rect(left + (x + 4) * module, top + (y + 4) * module, n * module, module, style="F")
    pdf.set_xy(pdf.l_margin, max(bottom_text, top + qr_size) + 2)
    _font(pdf, "", 7.5)
    pdf.multi_cell(width, 4, verify_url, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

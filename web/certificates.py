"""Certificates as printable pages and PDFs, and the public verification of certificates and receipts.

* ``/certificates/{number}`` and ``/certificates/{number}.pdf``: the certificate, bilingual, with
  its QR code, for the people of its case only: the department officer (``workflow.can_view``),
  the operator of the counter where it is collected, the district's Society, the state, and the
  citizen whose request it is. Anyone else gets a 404, as if it did not exist.
* ``/verify`` (public): check a certificate by its number (the answer shows the status, the title,
  the date and the holder's name masked: the number is printed on the paper, so it reveals no
  more than the paper does) or a receipt by its number. Look-ups by certificate number are
  counted per client address, found or not (the numbers run in sequence): CERTIFICATE_LOOKUPS in
  CERTIFICATE_WINDOW, then 429 until the window ends.
* ``/verify/certificate/{token}`` (public): the page the QR code opens, showing the certified
  content in full: the token is unguessable and printed only on the certificate.
* ``/verify/receipt?receipt_no=...&total=...`` (public): what was charged, against the published
  rate, with nothing personal; a charge above the published rate links to the complaint form. It
  needs the total printed on the receipt with its number, and numbers not found are throttled as
  /track's are, so that it does not tell anyone which receipt numbers exist.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emitra.core import auth, certificate_render, certificates, fees, money, workflow
from emitra.core.models import Case, Certificate, Counter, District, Role, ServiceRequest, Society, User
from emitra.core.plugins import department_hi, get_host
from emitra.core.services import Payer
from emitra.core.text import ascii_digits, typed_number
from emitra.web import citizens
from emitra.web.i18n import _, current_lang, department
from emitra.web.security import ANYONE, page
from emitra.web.templating import render, site_url

#: any logged-in role may ask; the case decides (see :func:`may_open`), and a "no" is a 404 for all
READERS = list(Role)
RECEIPT_FORMAT = re.compile(r"^[A-Z0-9]{1,24}$")  # once spaces and dashes are gone
NUMBER_MAX = 40
NUMBER_FORMAT = re.compile(r"^[A-Za-z0-9-]{1,%d}$" % NUMBER_MAX)


# --- helpers ------------------------------------------------------------------------------------

def mask_name(name: str) -> str:
    """Each word's first letter, the rest as stars: 'Lakshmi Narayan Bairwa' -> 'L****** N****** B*****'."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in str(name).split())


async def may_open(user: User, case: Case) -> bool:
    """The case's department, counter, Society and the state (``workflow.can_view``), and the
    citizen whose request it is (their login is linked to that citizen)."""
    role = user.role.value if hasattr(user.role, "value") else str(user.role)
    if role == Role.CITIZEN.value:
        if user.citizen_id is None or case.request_id is None:
            return False
        request = await ServiceRequest.get_or_none(id=case.request_id)
        return request is not None and request.citizen_id == user.citizen_id
    return workflow.can_view(user, case)


async def _issuer(case: Case) -> dict[str, str]:
    district = await District.get_or_none(id=case.district_id)
    society = await Society.get_or_none(district_id=case.district_id)
    return {
        "department": department(case.department, case.service_code),  # in the page's language
        # the paper is bilingual whatever the page's language: both names when the plugin gives both
        "department_en": case.department,
        "department_hi": department_hi(case.department, case.service_code),
        "society": society.name if society else "",
        "society_hi": f"{certificate_render.PAPER['society'][1]}, {district.name_hi}" if society and district else "",
        "district_en": district.name_en if district else "",
        "district_hi": district.name_hi if district else "",
    }


async def _readable(request: Request) -> tuple[Certificate, Case]:
    number = str(request.path_params["number"])
    cert = await Certificate.get_or_none(number=number) if NUMBER_FORMAT.match(number) else None
    case = await Case.get_or_none(id=cert.case_id) if cert else None
    if cert is None or case is None or not await may_open(request.state.user, case):
        raise HTTPException(404, _("No certificate with this number is open to you."))
    return cert, case


def _first_lang() -> str:
    return "hi" if current_lang.get() == "hi" else "en"


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return response


# --- the certificate ----------------------------------------------------------------------------

def _way_back(user: User, case: Case) -> tuple[str, str] | None:
    """(address, words) of the page a reader came to the certificate from: the case's page for an
    officer or the Society, the counter's applications for an operator (decision 140)."""
    role = user.role.value if hasattr(user.role, "value") else str(user.role)
    if role in (Role.DEPARTMENT_OFFICER.value, Role.SOCIETY_ADMIN.value):
        return f"/office/cases/{case.id}", _("Back to the case %(number)s") % {"number": case.number}
    if role == Role.OPERATOR.value:
        return "/counter/cases", _("Back to the applications")
    return None


@page(READERS)
async def certificate_page(request: Request) -> Response:
    """The certificate to print: both languages, the QR code, a revoked banner when revoked."""
    cert, case = await _readable(request)
    url = certificate_render.verify_url(cert.token, site_url(request))
    return _no_store(render(request, "certificates/certificate.html", {
        "back": _way_back(request.state.user, case),
        "cert": cert, "case": case, "issuer": await _issuer(case), "status": certificates.verification_status(cert),
        "verify_url": url, "qr": certificate_render.qr_svg(url, _("QR code: scan to verify this certificate")),
        "first": _first_lang(), "paper": certificate_render.PAPER,
    }))


@page(READERS)
async def certificate_pdf(request: Request) -> Response:
    """The same certificate as an A4 PDF (shown in the browser; the operator prints it)."""
    cert, case = await _readable(request)
    issuer = await _issuer(case)
    url = certificate_render.verify_url(cert.token)  # EMITRA_PUBLIC_URL: the paper outlives this request
    first = _first_lang()
    body = await run_in_threadpool(certificate_render.pdf_bytes, cert, case, url, (first, "en" if first == "hi" else "hi"),
                                   society_name=issuer["society"], district_hi=issuer["district_hi"])
    filename = re.sub(r"[^A-Za-z0-9-]", "", cert.number) or "certificate"
    return _no_store(Response(body, media_type="application/pdf",
                              headers={"content-disposition": f'inline; filename="{filename}.pdf"'}))


# --- public verification ------------------------------------------------------------------------

#: certificate numbers one client address may look up in CERTIFICATE_WINDOW (then 429 until it ends)
CERTIFICATE_LOOKUPS = 20
CERTIFICATE_WINDOW = dt.timedelta(minutes=15)

#: a certificate number without its dashes: the district, C, the year, the serial (JP-C-2026-000001)
CERTIFICATE_COMPACT = re.compile(r"([A-Z]{2})C(\d{4})(\d{6,})")


#: the beginning of a certificate number without its dashes, short of its serial's six digits (JP C 2026 1)
CERTIFICATE_BEGUN = re.compile(r"[A-Z]{2}C\d{0,9}")


def _number_problem(typed: str, number: str) -> str:
    """What is wrong with a certificate number as typed, said so that it can be put right; empty when
    it may be looked up. A number cut short (``JP C 2026 1``: the serial has six digits) is too short,
    however it was typed, and is not looked up (no certificate has it); letters and digits typed with
    spaces in another shape are not a certificate number's shape (they were refused as "letters,
    digits and dashes only", which spaces are not, though a whole number typed with spaces is found)."""
    if len(number) > NUMBER_MAX:
        return _("A certificate number has at most %(most)s characters; this one has %(count)s. Type only the number "
                 "printed on the certificate (for example JP-C-2026-000001).") % {"most": NUMBER_MAX, "count": len(number)}
    compact = typed_number(typed[:200]).upper()
    if CERTIFICATE_BEGUN.fullmatch(compact):
        return _("%(typed)s is too short for a certificate number: after the district's letters, C and the year comes a "
                 "serial of six digits, zeros included (for example JP-C-2026-000001). Type the whole number printed on the "
                 "certificate.") % {"typed": number}
    if NUMBER_FORMAT.match(number):
        return ""
    if re.fullmatch(r"[A-Za-z0-9\s\u2010-\u2015-]+", ascii_digits(number)):  # (typed with spaces: else it is looked up)
        return _("%(typed)s is not the shape of a certificate number: the district's two letters, C, the year and a serial "
                 "of six digits (for example JP-C-2026-000001). Type it as printed on the certificate.") % {"typed": number}
    return _("A certificate number has letters, digits and dashes only, as printed (for example JP-C-2026-000001).")


def _certificate_number(typed: str) -> str:
    """A certificate number as printed (JP-C-2026-000001), however it was typed: ``jp c 2026 000001``,
    ``JPC2026000001``, ``JP–C–2026–000001`` or in Hindi digits; else what was typed, trimmed (to be refused)."""
    compact = CERTIFICATE_COMPACT.fullmatch(typed_number(typed[:200]).upper())
    return f"{compact[1]}-C-{compact[2]}-{compact[3]}" if compact else typed.strip()


@page(ANYONE)
async def verify(request: Request) -> Response:
    """Check a certificate by its number, or a receipt by its number: two small forms."""
    number = _certificate_number(request.query_params.get("number", ""))
    found: Certificate | None = None
    error = ""
    status = 200
    if number:
        error = _number_problem(request.query_params.get("number", ""), number)
        if error:
            status = 400
        else:
            # every look-up by number counted per client address (numbers run in sequence: found or
            # not, a run of them would list the district's certificates); the QR code's page is not
            lookups = citizens.address_key(request, "certificate")
            if await auth.events_in_window(lookups, CERTIFICATE_WINDOW) >= CERTIFICATE_LOOKUPS:
                return render(request, "verify/index.html", {"number": number, "cert": None, "error": "", "status": "",
                                                             "masked": "", "throttled": True}, 429)
            await auth.count_event(lookups, CERTIFICATE_WINDOW)
            found = await Certificate.get_or_none(number=number.upper())
            if found is None:
                status = 404
    verdict = certificates.verification_status(found) if found else ""
    return render(request, "verify/index.html", {
        "number": number, "cert": found, "error": error, "status": verdict, "throttled": False,
        # an altered record's particulars are not the certificate's: none is shown, not even masked
        "masked": mask_name(found.holder_name) if found and verdict != "altered" else "",
    }, status)


@page(ANYONE)
async def verify_certificate(request: Request) -> Response:
    """The page the QR code opens: authentic, revoked, altered, or not found (404)."""
    token = str(request.path_params["token"])
    cert = await Certificate.get_or_none(token=token) if re.match(r"^[A-Za-z0-9_-]{8,40}$", token) else None
    if cert is None:
        response = render(request, "verify/certificate.html", {"cert": None}, 404)
    else:
        case = await Case.get_or_none(id=cert.case_id)
        response = render(request, "verify/certificate.html", {
            "cert": cert, "status": certificates.verification_status(cert),
            "issuer": await _issuer(case) if case else {}, "first": _first_lang(), "paper": certificate_render.PAPER,
        })
    return response  # not kept (web/headers.py): a revocation shows at the next scan, and the particulars stay off the kiosk


async def _rate_check(req: ServiceRequest) -> dict[str, Any]:
    """The recorded charge against the district's published rate today."""
    host = get_host()
    service = host.registry.get(req.service_code) or host.all_declared.get(req.service_code)
    if service is None:
        return {"known": False}
    rate = await fees.published_rate(service, req.district_id)
    citizen_pays = req.charge_payer == Payer.CITIZEN.value
    if rate.source == "commission" or not citizen_pays:
        # the department or partner pays the counter: the citizen owes the principal only
        published, charged = 0, req.citizen_total_paise - req.principal_paise
    else:
        published, charged = rate.fee_paise, req.service_charge_paise
    return {"known": True, "published_paise": published, "charged_paise": charged, "over": charged > published,
            "excess_paise": max(0, charged - published), "citizen_pays": citizen_pays}


def _total_paise(text: str) -> int | None:
    """The total as a person copies it from the receipt ("40", "40.00", "₹ 1,040.50", "Rs 40", "Rs. 40/-",
    "रु. ४०": as every amount typed is read, core/money.parse_rupees), or None."""
    try:
        return money.parse_rupees(text) if text.strip() else None
    except money.AmountError:
        return None


def _receipt_page(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    context = {"error": "", "errors": {}, "r": None, "receipt_no": "", "total": "", **context}
    return _no_store(render(request, "verify/receipt.html", context, status))


@page(ANYONE)
async def verify_receipt(request: Request) -> Response:
    """What a receipt charged, against the published rate; nothing personal.

    Asked with the receipt's number and the total printed on it: a number alone is not enough, so the
    page cannot be used to find out which numbers exist (as /track cannot). Numbers that are not
    found, with their total, are counted per client address like /track's failures: 10 in 15
    minutes, then 429."""
    query = request.query_params
    typed = {"receipt_no": query.get("receipt_no", "").strip()[:40], "total": query.get("total", "").strip()[:40]}
    if "receipt_no" not in query and "total" not in query:  # opened from a link or typed: the empty form, nothing wrong yet
        return _receipt_page(request, typed)
    if await citizens.receipt_checks_spent(request):
        return _receipt_page(request, {**typed, "throttled": True}, 429)
    receipt_no = typed_number(typed["receipt_no"]).upper()  # spaces, dashes, an invisible character or Hindi digits
    errors: dict[str, str] = {}
    if not RECEIPT_FORMAT.match(receipt_no):
        errors["receipt_no"] = _("Type the receipt number as printed: letters, digits and dashes, at most 24 characters.") \
            if receipt_no else _("Type the receipt number printed on your e-Mitra receipt.")
    total = _total_paise(typed["total"])
    if total is None:
        errors["total"] = _("Total paid: type the total printed on the receipt, in rupees (for example 40 or 40.00).")
    if errors:
        return _receipt_page(request, {**typed, "errors": errors}, 400)
    req = await ServiceRequest.get_or_none(receipt_no=receipt_no)
    if req is None or req.citizen_total_paise != total:  # one answer for both: which was wrong is not said
        await citizens.count_receipt_check(request)
        return _receipt_page(request, {**typed, "error": _(
            "No receipt with this number and total. Check both on your receipt: the number is printed at the top, "
            "the total paid at the bottom.")}, 404)
    counter = await Counter.get(id=req.counter_id)
    check = await _rate_check(req)
    complaint = "/grievances/new?" + urlencode({"counter": counter.code, "receipt": req.receipt_no})
    return _receipt_page(request, {
        "r": req, "counter": counter, "check": check, "complaint": complaint, "receipt_no": req.receipt_no,
        "total": typed["total"], "status_label": req.status.value if hasattr(req.status, "value") else str(req.status),
        # a cheque in clearing or bounced, a card or UPI payment not confirmed: the receipt was printed, the money not paid
        "status_text": citizens._request_status(req.status),
    })


ROUTES = [
    Route("/certificates/{number}.pdf", certificate_pdf),
    Route("/certificates/{number}", certificate_page),
    Route("/verify", verify),
    Route("/verify/certificate/{token}", verify_certificate),
    Route("/verify/receipt", verify_receipt),
]


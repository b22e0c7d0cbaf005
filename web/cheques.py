"""The district Society admin's cheques and demand drafts: those waiting for the bank, cleared or bounced.

Clearing moves the money from the counter's clearing account to the Society's bank and hands the
request to its department; a bounce reverses everything the payment posted and reopens the request
(see :mod:`emitra.core.payment_methods.cheque`). Each instrument is decided once.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from emitra.core.models import Payment, Role
from emitra.core.payment_methods import cheque
from emitra.web import params
from emitra.web.i18n import _
from emitra.web.security import actor, page
from emitra.web.templating import render

SOCIETY = [Role.SOCIETY_ADMIN]
PAGE = "/society/cheques"


async def _listing(request: Request, errors: dict[int, str] | None = None, reasons: dict[int, str] | None = None,
                   status: int = 200) -> Response:
    district_id = request.state.user.district_id
    base = Payment.filter(district_id=district_id, method__in=cheque.INSTRUMENT_CODES)
    # sorted here, not in SQL: ORDER BY id made SQLite walk every payment of the district in id order (0.5 s at
    # 1M payments) instead of the few instruments by the (method, ...) index
    pending = sorted(await base.filter(status="pending").prefetch_related("request", "request__counter"), key=lambda p: p.id)
    decided = await base.filter(status__in=("cleared", "bounced")).order_by("-id").limit(20).prefetch_related("request", "request__counter")
    return render(request, "society/cheques.html", {
        "pending": pending, "decided": decided, "errors": errors or {}, "reasons": reasons or {},
        "total_pending": sum(p.amount_paise for p in pending),
        "done": request.query_params.get("done", ""), "receipt": request.query_params.get("receipt", ""),
    }, status)


@page(SOCIETY)
async def cheques(request: Request) -> Response:
    """Instruments of the district waiting for the bank, and the last ones decided."""
    return await _listing(request)


async def _payment(request: Request) -> Payment:
    payment_id = params.record_id(request.path_params["payment_id"])
    payment = await Payment.get_or_none(id=payment_id, district_id=request.state.user.district_id,
                                        method__in=cheque.INSTRUMENT_CODES).prefetch_related("request") if payment_id else None
    if payment is None:
        raise HTTPException(404, _("No cheque or demand draft with this number in your district."))
    return payment


def _already(payment: Payment) -> str:
    status = {"cleared": _("cleared"), "bounced": _("bounced")}.get(payment.status, payment.status)
    return _("This instrument was already decided: it is %(status)s.") % {"status": status}


@page(SOCIETY)
async def clear(request: Request) -> Response:
    payment = await _payment(request)
    if payment.status != "pending":
        return await _listing(request, {payment.id: _already(payment)}, status=409)
    await cheque.clear(actor(request), payment)
    return RedirectResponse(f"{PAGE}?done=cleared&receipt={payment.request.receipt_no}", status_code=303)


@page(SOCIETY)
async def bounce(request: Request) -> Response:
    payment = await _payment(request)
    reason = str(request.state.form.get("reason", "")).strip()[:300]
    if payment.status != "pending":
        return await _listing(request, {payment.id: _already(payment)}, status=409)
    if not reason:
        return await _listing(request, {payment.id: _("Give the bank's reason for the bounce (for example: insufficient funds).")},
                              {payment.id: reason}, status=400)
    await cheque.bounce(actor(request), payment, reason)
    return RedirectResponse(f"{PAGE}?done=bounced&receipt={payment.request.receipt_no}", status_code=303)

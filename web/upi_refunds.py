"""The Society's UPI refunds: what cancelled UPI-paid bookings left owed to citizens, and the form
that records each bank transfer back to the citizen's UPI account (decision 71).

The form calls the same function as ``emitra upi-refunds pay`` (core/upi_refunds.pay), so the
checks, the refusals and the audit record are the command line's: the district Society's admin
only, never more than is owed, a bank reference already recorded records nothing new. A refusal is
shown beside the receipt's form, naming the field and the fix.

Beside each refund sent, a second form records that the citizen's bank sent the transfer back
(core/upi_refunds.bounced, ``emitra upi-refunds bounced``, decision 75): the refund is owed again
and returns to the list above, noted as returned. Each refund owed shows how many days it has been
owed, and those past ``EMITRA_UPI_REFUND_DUE_DAYS`` working days are marked overdue.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import ledger, upi_refunds
from emitra.core.dayend import MoneyError
from emitra.core.models import Payment, Role, ServiceRequest
from emitra.core.money import AmountError, format_paise, parse_rupees
from emitra.web.i18n import _, pick
from emitra.web.security import actor, page
from emitra.web.templating import render

SOCIETY = [Role.SOCIETY_ADMIN]
PAGE = "/society/upi-refunds"
SENT_SHOWN = 20  # the latest refunds sent, listed under those owed


def _label(field: str) -> str:
    return {"amount": _("Amount sent (₹)"), "reference": _("Bank reference")}.get(field, "")


def _bounce_label(field: str) -> str:
    return {"amount": _("Amount returned (₹)"), "return_reference": _("Bank reference of the return"),
            "transfer": _("Transfer")}.get(field, "")


async def _done(request: Request, district_id: int) -> str:
    """What the transfer just recorded was (``?sent=<receipt>&reference=<ref>``), read from the books:
    a transfer with that reference to the citizen of that receipt of the district, else nothing
    (never the address's text)."""
    returned = request.query_params.get("returned", "")[:24]
    if returned:
        return await _returned_done(returned, request.query_params.get("reference", "")[:60], district_id)
    receipt_no, reference = request.query_params.get("sent", "")[:24], request.query_params.get("reference", "")[:60]
    if not receipt_no or not reference:
        return ""
    request_ = await ServiceRequest.get_or_none(receipt_no=receipt_no, district_id=district_id)
    if request_ is None:
        return ""
    sent = next((t for t in await upi_refunds.transfers(receipt_no) if t["reference"] == reference), None)
    if sent is None:
        return ""
    owed = -await ledger.balance(upi_refunds.account(receipt_no))
    return _("Transfer of %(amount)s to the citizen of %(receipt)s recorded (bank reference %(reference)s); the citizen is sent "
             "an SMS. Still owed to them: %(owed)s.") % {"amount": format_paise(sent["amount_paise"]), "receipt": receipt_no,
                                                        "reference": reference, "owed": format_paise(owed)}


async def _returned_done(receipt_no: str, reference: str, district_id: int) -> str:
    """What the return just recorded was (``?returned=<receipt>&reference=<return ref>``), read from
    the refund's record in the district, else nothing."""
    request_ = await ServiceRequest.get_or_none(receipt_no=receipt_no, district_id=district_id)
    payment = await upi_refunds.refund_of(request_) if request_ is not None and reference else None
    back = next((r for r in ((payment.details or {}).get("returned") or []) if r.get("reference") == reference), None) if payment else None
    if back is None:
        return ""
    owed = -await ledger.balance(upi_refunds.account(receipt_no))
    return _("Return of %(amount)s of transfer %(transfer)s to the citizen of %(receipt)s recorded (bank reference %(reference)s); "
             "the citizen is asked by SMS for the right account details. Owed to them again: %(owed)s.") % {
        "amount": format_paise(int(back["amount_paise"])), "transfer": back["transfer"], "receipt": receipt_no,
        "reference": reference, "owed": format_paise(owed)}


async def _render(request: Request, errors: dict[str, dict[str, str]] | None = None, sent: dict[str, str] | None = None) -> Response:
    district_id = request.state.user.district_id
    owed, done = await upi_refunds.owed(district_id, sent_too=SENT_SHOWN)
    from emitra.core import config

    return render(request, "society/upi_refunds.html", {
        "owed": owed, "done": done, "due_days": config.upi_refund_due_days(), "overdue": sum(1 for o in owed if o.overdue), "total_owed": sum(o.owed_paise for o in owed), "errors": errors or {}, "sent": sent or {},
        "message": await _done(request, district_id) if request.method == "GET" else "",
    }, 400 if errors else 200)


@page(SOCIETY)
async def upi_refunds_page(request: Request) -> Response:
    """The UPI refunds the district owes citizens (oldest first), each with the form recording the
    Society's transfer, and the latest sent."""
    return await _render(request)


async def _booking_of(request: Request) -> str:
    """The receipt number of the path, when it names a cancelled UPI-paid booking of the user's
    district (its refund owed or sent); else 404."""
    number = "".join(request.path_params["receipt_no"].split()).upper()[:24]
    found = await ServiceRequest.get_or_none(receipt_no=number, district_id=request.state.user.district_id)
    if found is None or not await Payment.exists(request_id=found.id, method=upi_refunds.METHOD):
        raise HTTPException(404, _("No cancelled UPI booking with this receipt number in your district."))
    return number


@page(SOCIETY)
async def pay(request: Request) -> Response:
    """Record the Society's bank transfer of a cancelled UPI booking's refund to the citizen."""
    number = await _booking_of(request)
    form = request.state.form
    sent = {k: str(form.get(k, "") or "").strip() for k in ("amount", "reference")}
    sent["_receipt"] = number
    error: dict[str, str] = {}
    amount = None
    try:
        amount = parse_rupees(sent["amount"]) if sent["amount"] else None
    except AmountError as exc:
        error["amount"] = f"{_label('amount')}: {pick(str(exc), exc.message_hi)}"
    if not sent["reference"]:
        error["reference"] = f"{_label('reference')}: " + _("type the bank reference of the Society's transfer to the citizen.")
    if not error:
        try:
            done = await upi_refunds.pay(actor(request), number, sent["reference"], amount)
        except MoneyError as exc:
            label = _label(exc.field)
            error[exc.field if label else "form"] = f"{label}: {pick(exc.message_en, exc.message_hi)}" if label \
                else pick(exc.message_en, exc.message_hi)
        else:
            if done.repeated:  # a double click, a form sent again: the first one recorded it
                error["reference"] = f"{_label('reference')}: " + _(
                    "a transfer with reference %(reference)s is already recorded for %(receipt)s: nothing new was recorded.") % {
                    "reference": done.reference, "receipt": number}
            else:
                return RedirectResponse(f"{PAGE}?{urlencode({'sent': number, 'reference': done.reference})}", status_code=303)
    return await _render(request, {number: error}, sent)


@page(SOCIETY)
async def bounced(request: Request) -> Response:
    """Record that the citizen's bank sent back one of the Society's transfers of a refund (decision 75)."""
    number = await _booking_of(request)
    form = request.state.form
    sent = {k: str(form.get(k, "") or "").strip() for k in ("transfer", "return_amount", "return_reference")}
    sent["_receipt"], sent["_bounce"] = number, sent["transfer"]
    error: dict[str, str] = {}
    amount = None
    try:
        amount = parse_rupees(sent["return_amount"]) if sent["return_amount"] else None
    except AmountError as exc:
        error["amount"] = f"{_bounce_label('amount')}: {pick(str(exc), exc.message_hi)}"
    if not sent["return_reference"]:
        error["return_reference"] = f"{_bounce_label('return_reference')}: " + _(
            "type the bank reference of the credit that brought the transfer back (on the bank statement).")
    if not error:
        try:
            done = await upi_refunds.bounced(actor(request), number, sent["transfer"], sent["return_reference"], amount)
        except MoneyError as exc:
            label = _bounce_label(exc.field)
            error[exc.field if label else "form"] = f"{label}: {pick(exc.message_en, exc.message_hi)}" if label \
                else pick(exc.message_en, exc.message_hi)
        else:
            if done.repeated:
                error["return_reference"] = f"{_bounce_label('return_reference')}: " + _(
                    "a return with reference %(reference)s is already recorded for %(receipt)s: nothing new was recorded.") % {
                    "reference": done.return_reference, "receipt": number}
            else:
                return RedirectResponse(f"{PAGE}?{urlencode({'returned': number, 'reference': done.return_reference})}",
                                        status_code=303)
    return await _render(request, {number: error}, sent)


ROUTES = [
    Route(PAGE, upi_refunds_page),
    Route(PAGE + "/{receipt_no}/pay", pay, methods=["POST"]),
    Route(PAGE + "/{receipt_no}/bounced", bounced, methods=["POST"]),
]

"""Refunds to the card that a cancel at the counter left waiting, finished without the operator (decision 73).

A booking paid by card and cancelled at the counter is cancelled at the partner first; if Stripe
then failed, or its answer was lost, nothing was booked and the operator was told to cancel again
(decision 69). This page lists those bookings and finishes them with the operator's own cancel
(``refunds.finish_cancel_refunds``): the Society's admin for the district, an LSP admin for its
counters, an operator for their counter (their counter page shows them too). Finishing is no more
than cancelling again at the counter would do, so each of them may; it refunds and books once, however
many press the button.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from emitra.core import refunds
from emitra.core.models import Role
from emitra.web.i18n import pick
from emitra.web.security import actor, page
from emitra.web.templating import render

ROLES = [Role.SOCIETY_ADMIN, Role.LSP_ADMIN, Role.OPERATOR]
PAGE = "/card-refunds"


async def _render(request: Request, results: list[refunds.FinishedRefund] | None = None, error: str = "",
                  asked: str = "", status: int = 200) -> Response:
    waiting = await refunds.waiting_cancel_refunds(request.state.user)
    return render(request, "card_refunds.html", {"waiting": waiting, "results": results, "error": error, "asked": asked,
                                                 "total": sum(w.refund_paise for w in waiting)}, status)


@page(ROLES)
async def card_refunds(request: Request) -> Response:
    """The waiting refunds the user may see, with a button to finish each, or all."""
    return await _render(request)


@page(ROLES)
async def finish(request: Request) -> Response:
    """Finish one waiting refund (``receipt_no``) or all the user may see; each outcome shown."""
    receipt = str(request.state.form.get("receipt_no", "")).strip().upper()[:40]
    try:
        results = await refunds.finish_cancel_refunds(actor(request), [receipt] if receipt else None)
    except refunds.RefundError as exc:
        return await _render(request, error=pick(exc.message_en, exc.message_hi), status=400)
    return await _render(request, results, asked=receipt)

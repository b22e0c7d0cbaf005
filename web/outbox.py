"""The notifications outbox: what was (or will be) sent to citizens and officers, and its delivery.

The district Society admin sees the district's messages, the state admin every district's.
Recipients are always masked; both languages of each message are shown, the recipient's first.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import notify
from emitra.core.models import Notification, Role
from emitra.web import params
from emitra.web.i18n import _
from emitra.web.security import page
from emitra.web.templating import render

ADMINS = [Role.SOCIETY_ADMIN, Role.STATE_ADMIN]
PAGE = "/admin/outbox"
PER_PAGE = 50


def _scope(request: Request):
    user = request.state.user
    query = Notification.all()
    if user.role == Role.SOCIETY_ADMIN:
        query = query.filter(district_id=user.district_id)
    return query


def _labels() -> dict[str, dict[str, str]]:
    return {
        "status": {"queued": _("Queued"), "kept": _("Kept in the outbox"), "sent": _("Sent"), "failed": _("Failed")},
        "channel": {"sms": _("SMS"), "email": _("Email")},
        "event": {"submitted": _("Registered"), "state_changed": _("Change of state"), "ready": _("Ready for collection"),
                  "escalated": _("Escalated to an officer"),
                  "overdue_at_top": _("Overdue at the top level"), "book_digest": _("Weekly complaint book digest"),
                  "counter_changed": _("Moved to another counter"), "upi_refund_owed": _("UPI refund to be sent"),
                  "upi_refund_sent": _("UPI refund sent"), "upi_refund_returned": _("UPI refund returned by the bank"),
                  "card_refunded": _("Booking refunded to the card"),
                  "citizen_code": _("Sign-in code (hidden)"),
                  "mobile_change_code": _("Code to change the registered mobile (hidden)"),
                  "mobile_changed": _("Registered mobile changed: notice to the old number")},
    }


def _parts(note: Notification) -> str:
    """What an SMS costs, as the row says it: the parts of the body sent (in the recipient's language)
    and the alphabet it goes in (decision 163); nothing for an email."""
    if note.channel != "sms":
        return ""
    body = note.body_hi if note.lang == "hi" else note.body_en
    count = notify.sms_parts(body)
    alphabet = _("GSM alphabet") if notify.is_gsm(body) else _("Unicode")
    said = _("%(count)s parts, %(alphabet)s") if count != 1 else _("1 part, %(alphabet)s")
    return said % {"count": count, "alphabet": alphabet}


@page(ADMINS)
async def outbox(request: Request) -> Response:
    """The messages of the district (or the state), newest first, filtered and paginated."""
    q = request.query_params
    status, channel = q.get("status", "").strip(), q.get("channel", "").strip()
    event, number = q.get("event", "").strip()[:40], q.get("q", "").strip()[:30]
    errors: dict[str, str] = {}
    if status and status not in notify.STATUSES:
        errors["status"] = _("Choose a status from the list: queued, kept, sent or failed.")
    if channel and channel not in notify.CHANNELS:
        errors["channel"] = _("Choose a channel from the list: SMS or email.")
    page_no = params.page_or_first(q.get("page"), errors)
    scope = _scope(request)
    known_events = sorted(set(notify.EVENTS) | set(await scope.distinct().values_list("event", flat=True)))
    query = scope
    if not errors:
        if status:
            query = query.filter(status=status)
        if channel:
            query = query.filter(channel=channel)
        if event:
            query = query.filter(event=event)
        if number:
            query = query.filter(case__number__icontains=number)
    total = await query.count() if not errors else 0
    rows = []
    if not errors:
        rows = await query.order_by("-id").offset((page_no - 1) * PER_PAGE).limit(PER_PAGE).prefetch_related("case")
    filters = {k: v for k, v in (("status", status), ("channel", channel), ("event", event), ("q", number)) if v}
    last_page = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render(request, "outbox/list.html", {
        "rows": rows, "total": total, "page_no": page_no, "last_page": last_page, "filters": filters,
        "status": status, "channel": channel, "event": event, "q": number, "events": known_events, "errors": errors,
        "labels": _labels(), "mask": notify.mask_recipient, "body": notify.shown_body, "parts": _parts,
        "PAGE": PAGE, "query": urlencode(filters),
        "done": {k: q.get(k, "") for k in ("sent", "kept", "retry", "failed")} if q.get("delivered") else None,
    }, 400 if errors else 200)


@page(ADMINS)
async def deliver(request: Request) -> Response:
    """Offer the queued messages (of the district, for its Society admin) to the transports now."""
    user = request.state.user
    counts = await notify.deliver(district_id=user.district_id if user.role == Role.SOCIETY_ADMIN else None)
    return RedirectResponse(f"{PAGE}?{urlencode({'delivered': 1, **counts})}", status_code=303)


ROUTES = [
    Route(PAGE, outbox),
    Route(f"{PAGE}/deliver", deliver, methods=["POST"]),
]

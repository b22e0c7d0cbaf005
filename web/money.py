"""Money pages: the operator's day end and deposit slip; the Society's day ends, settlement,
remittances and claims; the LSP's statement and prepaid wallets (docs/money.md).

Every figure comes from :mod:`emitra.core.dayend` and :mod:`emitra.core.settlement`, which check,
post and audit; these pages only parse what people type and show the result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.expressions import Q

from emitra.core import dayend, settlement
from emitra.core.auth import can_see_counter
from emitra.core.dayend import MoneyError
from emitra.core.forms import _iso_date
from emitra.core.models import LSP, Counter, DayEnd, Posting, Role, Society, User
from emitra.core.money import format_paise
from emitra.core.plugins import department_hi
from emitra.core.text import ascii_digits
from emitra.web import labels, params
from emitra.web.i18n import _, pick
from emitra.web.security import Forbidden, actor, page
from emitra.web.templating import render

OPERATOR = [Role.OPERATOR]
SOCIETY = [Role.SOCIETY_ADMIN]
LSP_ADMIN = [Role.LSP_ADMIN]
SLIP_READERS = [Role.OPERATOR, Role.LSP_ADMIN, Role.SOCIETY_ADMIN]
WALLET_ADMINS = [Role.LSP_ADMIN, Role.SOCIETY_ADMIN]


def account_label(account: str) -> str:
    """What an account holds, without its party (web/labels.ACCOUNTS); its name when not listed."""
    kind = account.split(":", 1)[0]
    return labels.account_label(kind) if kind in labels.ACCOUNTS else account


def _owed_label(account: str) -> str:
    """What the LSP is owed on an account, in words: the share, and a kiosk owner's counter (not the
    ledger's name of the account, ``lsp_fee_payable:1``)."""
    kind, _sep, party = account.partition(":")
    return f"{account_label(account)} ({party})" if kind == "owner_fee_payable" else account_label(account)


def _error(exc: MoneyError) -> str:
    return pick(exc.message_en, exc.message_hi)


def _date_label(name: str) -> str:
    """What the money pages call each date they read."""
    return {"date": _("Business day"), "from": _("From"), "to": _("To")}[name]


def _date_param(request: Request, name: str, default: dt.date, errors: dict[str, str], source: Any = None) -> dt.date:
    """The date ``name`` of the query string (or of ``source``, a posted form), ``default`` when not
    given; a bad one (not a date, or outside web/params.py's range) leaves what to type in ``errors``
    (the templates put the field's label in front of it). A date typed day first (``01-12-2026``, as
    these pages print dates) or in Hindi digits is the same date, as at registration (decision 116)."""
    text = str((source if source is not None else request.query_params).get(name, "") or "").strip()
    if not text:
        return default
    try:
        return params.day(_iso_date(ascii_digits(text)), name, _date_label(name))
    except params.BadParam as exc:
        errors[name] = exc.fix
        return default


def _rupees(text: str, errors: dict[str, str], name: str, what: str) -> int | None:
    try:
        return params.rupees(text, name, what)
    except params.BadParam as exc:
        errors[name] = exc.message
        return None


# --- operator: day end ----------------------------------------------------------------------------

#: the same close pressed again within this long, the counter taking no cash since, shows the first
#: press's slip (a double click on a slow link); later, or with another count, it is refused
REPEAT_WINDOW = dt.timedelta(minutes=10)

async def _own_counter(request: Request) -> Counter:
    user = request.state.user
    if user.counter_id is None:
        raise Forbidden()
    return await Counter.get(id=user.counter_id)


@page(OPERATOR)
async def counter_dayend(request: Request) -> Response:
    """Close the cash drawer of the operator's own counter: expected, kept back, to deposit."""
    counter = await _own_counter(request)
    errors: dict[str, str] = {}
    counted_text = ""
    # the day to close next (cash taken after a day's close belongs to the next day end, so it makes
    # the next day open, not the closed one), else today
    open_day = await dayend.next_open_date(counter)
    suggested = open_day or dayend.today()
    if request.method == "POST":
        form = request.state.form
        day = _date_param(request, "date", suggested, errors, form)
        counted_text = str(form.get("counted", "")).strip()
        counted = _rupees(counted_text, errors, "counted", _("Cash counted in the drawer")) if counted_text else None
        if not counted_text:
            errors["counted"] = _("Cash counted in the drawer: type the amount you counted, in rupees (0 if the drawer is empty).")
        if not errors and counted is not None:
            try:
                closed = await dayend.close_day(actor(request), counter, day, counted)
            except MoneyError as exc:
                done = await DayEnd.get_or_none(counter_id=counter.id, business_date=day)
                if done is not None and open_day is None and done.counted_paise == counted and done.closed_by == actor(request).name \
                        and dayend.utcnow() - done.closed_at < REPEAT_WINDOW:
                    # the same count pressed twice (a slow link, a double click), no cash taken since:
                    # the first press closed the day; show its slip, not "already closed ... ask the Society"
                    return RedirectResponse(f"/dayend/{done.slip_no}", status_code=303)
                errors[exc.field if exc.field in ("date", "counted") else "form"] = _error(exc)
            else:
                return RedirectResponse(f"/dayend/{closed.slip_no}", status_code=303)
    else:
        day = _date_param(request, "date", suggested, errors)
    if day > max(dayend.today(), suggested):
        # a day not begun has no cash yet: its figures would be today's, under the later date (the
        # next open day may be tomorrow, when cash was taken after today's close: that one is shown)
        errors["date"] = _("%(day)s has not begun yet: pick today or an earlier day.") % {"day": day.strftime("%d-%m-%Y")}
        day = suggested
    fig = await dayend.figures(counter, day)
    lsp = await LSP.get(id=counter.lsp_id)
    recent = await DayEnd.filter(counter_id=counter.id).order_by("-business_date").limit(10)
    return render(request, "money/dayend.html", {
        "counter": counter, "day": day, "fig": fig, "errors": errors, "counted": counted_text, "recent": recent,
        "retained": [(account_label(a), p) for a, p in fig.retained.items()] if not fig.closed else [],
        "prepaid": lsp.mode == "prepaid", "suggested": suggested, "open_day": open_day,
        # warned of exactly when closing this day is refused for it ("Close … first")
        "earlier": None if fig.closed else await dayend.earlier_open_date(counter, day),
    }, 400 if errors else 200)


@page(SLIP_READERS)
async def deposit_slip(request: Request) -> Response:
    """The printable deposit slip of a day end (its counter's operator, its LSP, its Society)."""
    day_end = await dayend.find_slip(request.path_params["slip_no"])
    if day_end is None:
        raise HTTPException(404, _("No deposit slip with this number."))
    counter = await Counter.get(id=day_end.counter_id)
    if not can_see_counter(request.state.user, counter):
        raise HTTPException(404, _("No deposit slip with this number."))
    society = await Society.get_or_none(district_id=day_end.district_id)
    # the slip is signed by the operator who closed the day: named as on the receipt, not by username alone
    closer = await User.get_or_none(username=day_end.closed_by)
    user = request.state.user
    # its count correctable by this user (decision 162), the operator until the end of his window
    # (decision 166: until when, or, past it, that only the Society corrects it now), and just corrected
    correctable = dayend.may_correct_now(user, day_end)
    operator = dayend.may_correct(user, day_end) and user.role == Role.OPERATOR and day_end.confirmed_at is None
    past = dayend.past_operators_window(user, day_end) if operator and not correctable else None
    return render(request, "money/slip.html", {"d": day_end, "counter": counter, "society": society,
                                               "closer": closer.full_name if closer else "",
                                               "correctable": correctable,
                                               "correct_until": dayend.correction_deadline(day_end) if operator and correctable else None,
                                               "not_correctable": _error(past) if past else "",
                                               "corrected": request.query_params.get("corrected") == "1"})


# --- correcting a day end's count (decision 162) -------------------------------------------------

CORRECTORS = [Role.OPERATOR, Role.SOCIETY_ADMIN]


@page(CORRECTORS)
async def correct_count(request: Request) -> Response:
    """Correct the cash counted of a day end whose deposit is not confirmed: its counter's operator
    (within his window after the close, decision 166) or the district Society
    (core/dayend.correct_count, which checks, posts and audits). A confirmed or reconciled one, or
    one past the operator's window for him, shows why it is not corrected, and no form; the
    operator's form sent past his window is refused (403), as the core would refuse it."""
    user = request.state.user
    day_end = await dayend.find_slip(request.path_params["slip_no"])
    if day_end is None or not dayend.may_correct(user, day_end):
        raise HTTPException(404, _("No deposit slip with this number."))
    counter = await Counter.get(id=day_end.counter_id)
    errors: dict[str, str] = {}
    sent = {"counted": "", "reason": ""}
    status = 200
    past = dayend.past_operators_window(user, day_end)
    if request.method == "POST" and past is not None:
        return render(request, "money/correct.html", {
            "d": day_end, "counter": counter, "errors": errors, "sent": sent,
            "refusal": _error(await dayend.why_not_correctable(day_end, user) or past)}, 403)
    if request.method == "POST":
        form = request.state.form
        sent = {name: str(form.get(name, "") or "").strip()[:400] for name in sent}
        counted = _rupees(sent["counted"], errors, "counted", _("Cash counted in the drawer")) if sent["counted"] else None
        if not sent["counted"]:
            errors["counted"] = _("Cash counted in the drawer: type the amount the drawer really held, in rupees (0 if it was empty).")
        was_text = str(form.get("was", "") or "").strip()
        was = int(was_text) if was_text.isdigit() and len(was_text) < 16 else None
        if not errors and counted is not None:
            try:
                done = await dayend.correct_count(actor(request), day_end, counted, sent["reason"], was_paise=was)
            except MoneyError as exc:
                label = {"counted": _("Cash counted in the drawer"), "reason": _("Reason")}.get(exc.field)
                errors[exc.field if label else "form"] = f"{label}: {_error(exc)}" if label else _error(exc)
            else:
                if not (done.repeated and was == counted):  # corrected now, or by this same form sent a moment ago
                    return RedirectResponse(f"/dayend/{day_end.slip_no}?corrected=1", status_code=303)
                errors["counted"] = _("Cash counted in the drawer: the day end already says %(amount)s. Type the amount the drawer "
                                      "really held.") % {"amount": format_paise(counted)}
        status = 400 if errors else 200
        day_end = await DayEnd.get(id=day_end.id)
    refusal = await dayend.why_not_correctable(day_end, user)
    return render(request, "money/correct.html", {
        "d": day_end, "counter": counter, "errors": errors, "sent": sent, "refusal": _error(refusal) if refusal else ""}, status)


# --- Society: day ends and deposits ---------------------------------------------------------------

DAYENDS_PER_PAGE = 50  # day ends a page of /society/dayends lists
#: the day ends the Society's list shows, as its ``status`` filter names them ("" for all of them)
DAYEND_STATUSES = ("", "awaiting", "flagged", "done")


def _dayend_filters(source: Any, counters: dict[str, Counter], errors: dict[str, str],
                    yours: bool = False) -> tuple[Counter | None, str, int]:
    """The Day ends list's filters (a counter by its code, a status) and page, from the query string
    or, for a refused confirmation, from the form it was posted from; a bad one is left out, naming
    the field and the fix in ``errors``."""
    code = str(source.get("counter", "") or "").strip().upper()[:40]
    counter = counters.get(code)
    if code and counter is None:
        errors["counter"] = (_("Counter: choose one of your counters from the list.") if yours
                             else _("Counter: choose one of the district's counters from the list."))
    status = str(source.get("status", "") or "").strip()
    if status not in DAYEND_STATUSES:
        errors["status"] = _("Status: choose awaiting deposit, flagged or done with, or all.")
        status = ""
    try:
        page_no = params.page_number(source.get("page"))
    except params.BadParam as exc:
        errors["page"] = exc.message
        page_no = 1
    return counter, status, page_no


async def _paged(parts: list[Any], first: int, limit: int) -> list[DayEnd]:
    """Rows ``first`` to ``first + limit`` of the querysets ``parts`` one after the other (each
    counted: (queryset, count)), reading only the rows of the page."""
    rows: list[DayEnd] = []
    for qs, count in parts:
        if first >= count:
            first -= count
            continue
        rows += await qs.offset(first).limit(limit - len(rows)).prefetch_related("counter")
        first = 0
        if len(rows) >= limit:
            break
    return rows


async def _dayends_page(request: Request, refused: tuple[DayEnd, str] | None = None, status: int = 200) -> Response:
    """The district's day ends, DAYENDS_PER_PAGE a page: those awaiting their deposit (flagged first,
    oldest first), then the flagged ones done with (confirmed, or with nothing to deposit), then the
    others done with (newest first); filtered by counter and status, the filters kept by the pager
    and by each confirmation. Above them, any bank reference on more than one slip
    (dayend.shared_references); under them, the total of the day ends awaiting their deposit among
    those filtered, every page (dayend.awaiting_totals: the Waiting today panel's rule).
    ``refused``: the day end whose confirmation was refused, and why (shown at the top and on its row)."""
    user = request.state.user
    lsp_id = user.lsp_id if user.role == Role.LSP_ADMIN else None  # an LSP admin: its own counters', to read (decision 142)
    form = request.state.form if refused else {}  # the refused row keeps what was typed in it
    mine = Counter.filter(district_id=user.district_id)
    counters = {c.code: c for c in await (mine.filter(lsp_id=lsp_id) if lsp_id is not None else mine).order_by("code")}
    errors: dict[str, str] = {}
    counter, shown, page_no = _dayend_filters(form if refused else request.query_params, counters, errors, lsp_id is not None)
    district = DayEnd.filter(district_id=user.district_id)
    if lsp_id is not None:
        district = district.filter(counter__lsp_id=lsp_id)
    if counter is not None:
        district = district.filter(counter_id=counter.id)
    awaiting, done = Q(confirmed_at__isnull=True, deposit_paise__gt=0), Q(confirmed_at__isnull=False) | Q(deposit_paise__lte=0)
    sections = {  # in the order listed
        "awaiting_flagged": district.filter(awaiting, status="flagged").order_by("business_date", "id"),
        "awaiting": district.filter(awaiting).exclude(status="flagged").order_by("business_date", "id"),
        "done_flagged": district.filter(done, status="flagged").order_by("-business_date", "-id"),
        "done": district.filter(done).exclude(status="flagged").order_by("-business_date", "-id"),
    }
    chosen = {"": sections, "awaiting": ("awaiting_flagged", "awaiting"), "flagged": ("awaiting_flagged", "done_flagged"),
              "done": ("done_flagged", "done")}[shown]
    parts = [(sections[name], await sections[name].count()) for name in chosen]
    total = sum(n for _qs, n in parts)
    pages = max(1, -(-total // DAYENDS_PER_PAGE))
    page_no = min(page_no, pages)
    rows = await _paged(parts, (page_no - 1) * DAYENDS_PER_PAGE, DAYENDS_PER_PAGE)
    # the total row: the awaited day ends among those the filters list, on every page
    awaiting_total = (0, 0) if shown == "done" else await dayend.awaiting_totals(
        user.district_id, counter.id if counter is not None else None, flagged=shown == "flagged", lsp_id=lsp_id)
    filters = {k: v for k, v in (("counter", counter.code if counter is not None else ""), ("status", shown)) if v}
    done = str(request.query_params.get("done", ""))[:40]
    return render(request, "money/dayends.html", {
        "rows": rows, "awaiting": awaiting_total, "counters": list(counters), "counter": counter.code if counter is not None else "",
        "status_shown": shown, "errors": errors, "page_no": page_no, "pages": pages, "listed": total,
        "query": urlencode(filters), "kept": {**filters, "page": page_no},
        "refused": refused[0] if refused else None, "error": refused[1] if refused else "",
        "sent": {name: str(form.get(name, ""))[:100] for name in ("bank_reference", "amount")},
        "done": done, "done_differs": "" if lsp_id is not None else await _confirmed_differing(user.district_id, done),
        "page_url": "/lsp/dayends" if lsp_id is not None else "/society/dayends", "for_lsp": lsp_id is not None,
        "shared": [] if lsp_id is not None else await dayend.shared_references(user.district_id)}, 400 if errors else status)  # one bank credit on several slips, from before the rule


async def _confirmed_differing(district_id: int, slip_no: str) -> str:
    """Beside the confirmation of ``?done=<slip>`` (a day end of the district): when the bank credited
    another amount than the slip, what it credited and the difference, in the page's language; else
    "". The confirmation used to say only "Deposit confirmed", the difference shown small on the row."""
    row = await DayEnd.get_or_none(district_id=district_id, slip_no=slip_no) if slip_no else None
    if row is None or row.confirmed_at is None:
        return ""
    credited = await Posting.filter(entry__district_id=district_id, entry__idempotency_key=f"deposit:{row.slip_no}",
                                    account="society_bank").values_list("amount_paise", flat=True)
    if len(credited) != 1 or credited[0] == row.deposit_paise:
        return ""
    gap = {"credited": format_paise(credited[0]), "gap": format_paise(abs(credited[0] - row.deposit_paise)), "slip": format_paise(row.deposit_paise)}
    if credited[0] < row.deposit_paise:
        return _("The bank credited %(credited)s, %(gap)s less than the slip's %(slip)s. The day end is flagged, and the difference stays "
                 "in the counter's deposits in transit until it is explained: ask the counter for the bank's counterfoil.") % gap
    return _("The bank credited %(credited)s, %(gap)s more than the slip's %(slip)s. The day end is flagged, and the difference stays "
             "in the counter's deposits in transit until it is explained: ask the counter for the bank's counterfoil.") % gap


@page(SOCIETY)
async def society_dayends(request: Request) -> Response:
    """Closed day ends of the district, awaiting ones first (flagged first), each awaiting its deposit
    with a confirm form; paged, filtered by counter and status."""
    return await _dayends_page(request)


@page(LSP_ADMIN)
async def lsp_dayends(request: Request) -> Response:
    """The day ends of the LSP's own counters, as the Society lists them (flagged and awaiting first,
    filtered by counter and status), to read: the Society confirms the deposits (decision 142)."""
    return await _dayends_page(request)


@page(SOCIETY)
async def confirm_deposit(request: Request) -> Response:
    user = request.state.user
    day_end_id = params.record_id(request.path_params["day_end_id"])
    day_end = await DayEnd.get_or_none(id=day_end_id, district_id=user.district_id) if day_end_id else None
    if day_end is None:
        raise HTTPException(404, _("No such day end."))
    form = request.state.form
    errors: dict[str, str] = {}
    amount = _rupees(str(form.get("amount", "")), errors, "amount", _("Amount credited by the bank"))
    if errors:
        return await _dayends_page(request, (day_end, errors["amount"]), 400)
    try:
        await dayend.confirm_deposit(actor(request), day_end, str(form.get("bank_reference", "")), amount or 0)
    except MoneyError as exc:
        what = _("Bank reference") if exc.field == "bank_reference" else _("Amount credited by the bank") if exc.field == "amount" else ""
        return await _dayends_page(request, (day_end, f"{what}: {_error(exc)}" if what else _error(exc)), 400)
    # back to the list as it was (its filters and page, posted with the confirmation)
    kept = {k: str(form.get(k, "") or "").strip()[:40] for k in ("counter", "status", "page")}
    return RedirectResponse(f"/society/dayends?{urlencode({**{k: v for k, v in kept.items() if v}, 'done': day_end.slip_no})}", status_code=303)


# --- Society: settlement --------------------------------------------------------------------------

WAITING_SHOWN = 100  # payments waiting for settlement listed on the page (the oldest; the run settles all)

@page(SOCIETY)
async def society_settlement(request: Request) -> Response:
    """Pay the LSPs their shares of confirmed card and UPI payments out of escrow; show the run's report."""
    user = request.state.user
    report = None
    if request.method == "POST":
        report = await settlement.settle(actor(request), dayend.utcnow(), district_id=user.district_id)
    now = dayend.utcnow()
    waiting = await settlement.pending(now, user.district_id)
    overdue = [p for p in waiting if now - p.confirmed_at > settlement.LATE_AFTER]
    lsp_ids = {i.lsp_id for i in [*(report.items if report else []), *waiting]}
    lsps = dict(await LSP.filter(id__in=lsp_ids).values_list("id", "name")) if lsp_ids else {}
    return render(request, "money/settlement.html", {"report": report, "waiting": waiting, "overdue": overdue,
                                                      "shown": waiting[:WAITING_SHOWN], "settled_shown": WAITING_SHOWN,
                                                      "waiting_total": sum(p.amount_paise for p in waiting),
                                                      "lsp_name": lambda lsp_id: lsps.get(lsp_id, str(lsp_id)),
                                                      "method_title": _method_title, "waited": _waited})


def _method_title(code: str) -> str:
    """A payment method by its title in the page's language ("UPI", not "escrow:upi")."""
    from emitra.core import payments

    method = payments.methods().get(code)
    return pick(method.title_en, method.title_hi) if method else code


def _waited(hours: float) -> str:
    """How long a payment waited for its settlement, as people say it: "5.5 hours", "2 days 6 hours"."""
    if hours < 48:
        return _("%(hours)s hours") % {"hours": f"{hours:.1f}"}
    days, left = divmod(int(round(hours)), 24)
    return _("%(days)s days %(hours)s hours") % {"days": f"{days:,}", "hours": left}


# --- Society: remittances and claims --------------------------------------------------------------

def _period(request: Request, errors: dict[str, str], source: Any = None) -> tuple[dt.date, dt.date]:
    yesterday = dayend.today() - dt.timedelta(days=1)
    start = _date_param(request, "from", yesterday.replace(day=1), errors, source)
    end = _date_param(request, "to", yesterday, errors, source)
    return start, end


async def _statement_page(request: Request, kind: str) -> Response:
    user = request.state.user
    errors: dict[str, str] = {}
    source = request.state.form if request.method == "POST" else None
    provider = str((source if source is not None else request.query_params).get("provider", "") or "").strip()
    start, end = _period(request, errors, source)
    providers = await settlement.providers(user.district_id)
    if provider and provider not in {p["slug"] for p in providers}:
        errors["provider"] = _("Choose a department or partner from the list.")
    if start > end and "from" not in errors:
        errors["from"] = _("the period starts after it ends; give a date on or before the To date.")
    path = "/society/remittances" if kind == "remittance" else "/society/claims"
    if request.method == "POST" and not errors:
        if not provider:
            errors["provider"] = _("Choose a department or partner from the list.")
        else:
            try:
                if kind == "remittance":
                    await settlement.remit(actor(request), provider, start, end, district_id=user.district_id)
                else:
                    amount = _rupees(str(request.state.form.get("amount", "")), errors, "amount", _("Amount paid by the department"))
                    if amount is not None:
                        await settlement.record_claim_payment(actor(request), provider, start, end, amount,
                                                              str(request.state.form.get("bank_reference", "")), district_id=user.district_id)
            except MoneyError as exc:
                field = exc.field if exc.field in ("from", "to", "provider", "amount", "bank_reference") else "form"
                errors[field] = f"{_('Amount paid by the department')}: {_error(exc)}" if field == "amount" else _error(exc)
            if not errors:
                return RedirectResponse(f"{path}?provider={provider}&from={start}&to={end}&done=1", status_code=303)
    statement = None
    if provider and "provider" not in errors and start <= end:
        statement = await (settlement.remittance_statement if kind == "remittance" else settlement.claim_statement)(user.district_id, provider, start, end)
    # what can be posted for the statement shown: a period that has ended (settlement._check_period), not
    # remitted yet, or a claim with something still owed on it; a refusal is shown where the page has room for it
    last_day = dayend.today() - dt.timedelta(days=1)
    ended = end <= last_day
    can_post = bool(statement is not None and ended and (
        (kind == "remittance" and not statement.posted and statement.total_paise) or (kind == "claim" and statement.owed_paise > 0)))
    if not can_post:
        for name, what in (("amount", ""), ("bank_reference", _("Bank reference"))):
            if name in errors:
                errors["form"] = " ".join(filter(None, [errors.get("form"), f"{what}: {errors.pop(name)}" if what else errors.pop(name)]))
    posted = await settlement.posted_statements(kind, user.district_id)
    # each department or partner named in the page's language: its Hindi name where a plugin declares
    # one (as the reports name it, decision 114); the stored English name stays the key, and the CSV's
    names = {p["slug"]: pick(p["name"], department_hi(p["name"]) or p["name"]) for p in providers}
    for p in providers:
        p["label"] = names[p["slug"]]
    for item in posted:
        item["provider"] = names.get(item["provider_slug"], item["provider_slug"])
    return render(request, "money/statements.html", {
        "kind": kind, "path": path, "providers": providers, "provider": provider, "start": start, "end": end,
        # the list's total row: integer paise summed here, shown in rupees by the template's filter
        "totals": {"payable": sum(int(p["payable_paise"]) for p in providers), "receivable": sum(int(p["receivable_paise"]) for p in providers)},
        "statement": statement, "posted": posted, "errors": errors, "done": request.query_params.get("done") == "1",
        "shown": STATEMENT_LINES_SHOWN, "can_post": can_post, "ended": ended, "last_day": last_day,
        "provider_label": names.get(provider, provider),
        # a refused claim payment keeps what was typed (the amount, the bank reference)
        "sent": {name: str(source.get(name, ""))[:100] for name in ("amount", "bank_reference")} if source is not None and errors else {},
    }, 400 if errors else 200)


STATEMENT_LINES_SHOWN = 200  # receipts a statement page lists (a department's month is tens of thousands; the CSV has every one)


@page(SOCIETY)
async def remittances(request: Request) -> Response:
    """Per department: principal collected and owed; a statement for a period; remit it (once)."""
    return await _statement_page(request, "remittance")


@page(SOCIETY)
async def claims(request: Request) -> Response:
    """Per department or partner: the service charges it owes; the claim for a period; record its payment."""
    return await _statement_page(request, "claim")


async def _csv(request: Request, kind: str) -> Response:
    user = request.state.user
    errors: dict[str, str] = {}
    provider = request.query_params.get("provider", "").strip()
    start, end = _period(request, errors)
    if errors:
        raise HTTPException(400, " ".join(f"{_date_label(name)}: {fix}" for name, fix in errors.items()))
    if not provider or start > end:
        raise HTTPException(400, _("Give provider, from and to (YYYY-MM-DD)."))
    if provider not in {p["slug"] for p in await settlement.providers(user.district_id)}:  # as the page: not an empty statement
        raise HTTPException(404, _("No department or partner with this name has money in the district's books: choose one from the list."))
    fn = settlement.remittance_statement if kind == "remittance" else settlement.claim_statement
    st = await fn(user.district_id, provider, start, end)
    name = f"{kind}-{st.district_code}-{provider}-{start}-{end}.csv"
    return Response(st.csv(), media_type="text/csv; charset=utf-8", headers={"content-disposition": f'attachment; filename="{name}"'})


@page(SOCIETY)
async def remittance_csv(request: Request) -> Response:
    return await _csv(request, "remittance")


@page(SOCIETY)
async def claims_csv(request: Request) -> Response:
    return await _csv(request, "claim")


# --- LSP: statement and wallets -------------------------------------------------------------------

@page(LSP_ADMIN)
async def lsp_statement(request: Request) -> Response:
    """The LSP's fee shares and commissions by counter for a period, what was paid, what is owed, wallets."""
    user = request.state.user
    errors: dict[str, str] = {}
    today = dayend.today()
    start = _date_param(request, "from", today.replace(day=1), errors)
    end = _date_param(request, "to", today, errors)
    if start > end:
        errors["from"] = _("the period starts after it ends; give a date on or before the To date.")
        start = end
    lsp = await LSP.get(id=user.lsp_id)
    data = await settlement.lsp_statement(user.lsp_id, start, end)
    owed = [(_owed_label(a), p) for a, p in data["owed"].items() if p]
    return render(request, "money/lsp_statement.html", {"lsp": lsp, "start": start, "end": end, "s": data, "owed": owed,
                                                         "errors": errors}, 400 if errors else 200)


@page(WALLET_ADMINS)
async def payout_csv(request: Request) -> Response:
    """The receipts of one settlement payout (``?reference=STL...``): an LSP admin's own payouts, the
    Society's of its district."""
    user = request.state.user
    reference = request.query_params.get("reference", "")
    text = await settlement.payout_csv(reference, user.district_id, user.lsp_id if user.role == Role.LSP_ADMIN else None)
    if text is None:
        raise HTTPException(404, _("No settlement payout with this reference was made to you: copy the reference from the statement."))
    name = f"payout-{''.join(ch for ch in reference.upper() if ch.isascii() and ch.isalnum())}.csv"
    return Response(text, media_type="text/csv; charset=utf-8", headers={"content-disposition": f'attachment; filename="{name}"'})


# --- payouts: every payment a payout paid, and which payout paid a receipt -------------------------

PAYOUT_READERS = [Role.SOCIETY_ADMIN, Role.LSP_ADMIN]  # as /lsp/payout.csv: the Society's district, an LSP admin's own LSP


def _own_lsp(user) -> int | None:
    """The LSP whose payouts alone the user may see (an LSP admin's), None for the Society (its district's)."""
    return user.lsp_id if user.role == Role.LSP_ADMIN else None


def _page_param(request: Request, errors: dict[str, str]) -> int:
    try:
        return params.page_number(request.query_params.get("page"))
    except params.BadParam as exc:
        errors["page"] = exc.message
        return 1


async def _lsp_names(ids: set[int]) -> dict[int, str]:
    return dict(await LSP.filter(id__in=ids).values_list("id", "name")) if ids else {}


@page(PAYOUT_READERS)
async def payouts(request: Request) -> Response:
    """The settlement payouts, newest first (the Society: its district's; an LSP admin: its own), and
    "which payout paid receipt X?": the payout's reference and date, or why it is not settled yet.
    A payout's reference typed in the box opens that payout."""
    from urllib.parse import urlencode

    user = request.state.user
    errors: dict[str, str] = {}
    page_no = _page_param(request, errors)
    text = str(request.query_params.get("receipt", "") or "").strip()[:100]
    finding = None
    if text:
        compact = "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())
        if compact.startswith("STL") and await settlement.payout(compact, user.district_id, _own_lsp(user), per_page=1) is not None:
            return RedirectResponse(f"/payouts/{compact}", status_code=303)
        finding = await settlement.find_receipt(text, user.district_id, _own_lsp(user))
    rows, page_no, pages = await settlement.payouts(user.district_id, _own_lsp(user), page_no)
    # the search stays in the paging links (the page's only filter): turning a page of the list must
    # not drop the receipt's answer shown above it
    kept = {"receipt": text} if text else {}
    names = await _lsp_names({r["lsp_id"] for r in rows if r["lsp_id"]} | ({finding.lsp_id} if finding and finding.lsp_id else set()))
    return render(request, "money/payouts.html", {
        "rows": rows, "page_no": page_no, "pages": pages, "receipt": text, "finding": finding, "errors": errors,
        "why": pick(finding.why_en, finding.why_hi) if finding and finding.why_en else "",
        "query": urlencode(kept),
        "lsp_name": lambda lsp_id: names.get(lsp_id, str(lsp_id)), "method_title": _method_title,
        "is_society": user.role == Role.SOCIETY_ADMIN,
    }, 400 if errors else 200)


@page(PAYOUT_READERS)
async def payout_page(request: Request) -> Response:
    """One payout: its totals, then every payment it paid, PAYOUT_PAGE a page in receipt order
    (``?page=``; ``?receipt=`` marks the one searched for)."""
    user = request.state.user
    errors: dict[str, str] = {}
    page_no = _page_param(request, errors)
    view = await settlement.payout(request.path_params["reference"], user.district_id, _own_lsp(user), page_no)
    if view is None:
        raise HTTPException(404, _("No settlement payout with this reference was made to you: copy the reference from the statement.")
                            if _own_lsp(user) is not None else _("No settlement payout with this reference in your district."))
    base = f"/payouts/{view.reference}"
    names = await _lsp_names({view.lsp_id})
    return render(request, "money/payout.html", {
        "p": view, "errors": errors, "lsp": names.get(view.lsp_id, str(view.lsp_id)),
        "marked": str(request.query_params.get("receipt", "") or "").strip().upper()[:40],
        "lines": [(_owed_label(a), paise) for a, paise in view.lines.items()],
        "first_no": (view.page - 1) * view.per_page, "method_title": _method_title, "base": base,
    }, 400 if errors else 200)


async def _wallet_counters(user) -> list[Counter]:
    qs = Counter.filter(lsp__mode="prepaid")
    qs = qs.filter(lsp_id=user.lsp_id) if user.role == Role.LSP_ADMIN else qs.filter(district_id=user.district_id)
    return await qs.order_by("code")


@page(WALLET_ADMINS)
async def wallets(request: Request) -> Response:
    """Prepaid counters' wallets: balance, and a top-up recorded against the bank reference."""
    from emitra.core import ledger
    from emitra.core.models import Wallet

    user = request.state.user
    counters = await _wallet_counters(user)
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        form = request.state.form
        values = {k: str(form.get(k, "")).strip() for k in ("counter", "amount", "reference")}
        counter = next((c for c in counters if c.code == values["counter"]), None)
        if counter is None:
            errors["counter"] = _("Choose one of your prepaid counters.")
        amount = _rupees(values["amount"], errors, "amount", _("Amount paid in"))
        if not errors and counter is not None and amount is not None:
            try:
                done = await dayend.top_up(actor(request), counter, amount, values["reference"])
            except MoneyError as exc:
                errors[exc.field if exc.field in ("amount", "reference", "counter") else "form"] = _error(exc)
            else:
                return RedirectResponse(f"/wallets?done={done.counter.code}", status_code=303)
    balances = {w.counter_id: w.balance_paise for w in await Wallet.filter(counter_id__in=[c.id for c in counters])}
    rows = [(c, balances.get(c.id, 0), -await ledger.balance(f"kiosk_wallet:{c.code}")) for c in counters]
    return render(request, "money/wallets.html", {"rows": rows, "errors": errors, "values": values,
                                                   "done": request.query_params.get("done", "")}, 400 if errors else 200)

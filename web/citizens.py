"""The citizens' side: tracking an application, the citizen's own page, online grievances, and each
LokMitra centre's complaint and suggestion book (recorded at the counter, read by the Society).

Tracking shows the service, the steps and the department's public remarks, never the applicant's
details (docs/citizens.md). A number is found only with the mobile it was filed with, and failed
look-ups and online grievances are throttled per client address, counted in the database so
that every worker process sees the same count (core.auth.count_event).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import auth, book, clock, config, grievances, ids, notify, text, upi_refunds, workflow
from emitra.core import counter as counter_core
from emitra.core.models import (AuditLog, BookEntry, Case, CaseEvent, Certificate, Citizen, Counter, CounterKind, District,
                                Notification, RequestStatus, Role, ServiceRequest)
from emitra.plugins.government.grievance import DEPARTMENTS
from emitra.web import i18n, params
from emitra.web.i18n import _
from emitra.web.security import ANYONE, actor, page
from emitra.web.templating import render, site_url

MOBILE = re.compile(r"[6-9]\d{9}")
#: failed look-ups allowed per client address in the window, then 429 until the oldest one ages out
TRACK_MAX_FAILURES = 10
TRACK_WINDOW = dt.timedelta(minutes=15)
HOUR = dt.timedelta(hours=1)
#: public remarks shown when tracking: the department's, the Society's and the platform's (a
#: counter's remark may name what it checked of the citizen's papers); the messages follow the same rule
REMARK_ROLES = notify.CITIZEN_REMARK_ROLES


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"  # a citizen's status on a shared kiosk: never cached
    return response


# --- the status of a case or a request, as the citizen sees it --------------------------------------

def _request_status(status: Any) -> str:
    value = getattr(status, "value", status)
    return {
        RequestStatus.PAID.value: _("Paid"),
        RequestStatus.SUBMITTED.value: _("Paid and passed to the provider"),
        RequestStatus.SUBMISSION_FAILED.value: _("Paid; being passed to the provider (retried by the back office)"),
        RequestStatus.CANCELLED.value: _("Cancelled"),
        RequestStatus.PAYMENT_PENDING.value: _("Payment pending (cheque in clearing, or card or UPI not yet confirmed)"),
        RequestStatus.PAYMENT_FAILED.value: _("Payment failed"),
    }.get(value, value)


async def case_view(case: Case, *, with_certificate: bool = False) -> dict[str, Any]:
    """What tracking shows of a case: service, state, dates, counter, public steps. No personal data."""
    process = workflow.process_of(case)
    state = process.state(case.state)
    counter = await Counter.get_or_none(id=case.counter_id) if case.counter_id else None
    about = await Counter.get_or_none(id=case.about_counter_id) if case.about_counter_id else None
    # where it was filed: its payment's counter, which stays when the case moves to another (its counter closing)
    filed_id = (await ServiceRequest.filter(id=case.request_id).values_list("counter_id", flat=True)) if case.request_id else []
    filed = counter if not filed_id or counter is None or filed_id[0] == counter.id else await Counter.get_or_none(id=filed_id[0])
    steps = []
    for row in await workflow.timeline(case, public_only=True):
        steps.append({**row, "remark": row["remark"] if row["by_role"] in REMARK_ROLES else ""})
    certificate = None
    if with_certificate and case.state in ("ready", "collected"):
        certificate = await Certificate.get_or_none(case_id=case.id, revoked_at=None)
    return {
        "kind": "case", "number": case.number, "title": i18n.pick(case.title_en, case.title_hi),
        "state": case.state, "state_label": i18n.pick(state.label_en, state.label_hi),
        "closed": bool(state.final or state.desk == "none"),
        # a case sent back for correction or ready for collection waits on its counter, not the department
        "at_counter": workflow.turn_of(state) == "counter" and counter is not None,
        "filed_at": case.created_at, "due_at": case.due_at, "counter": counter, "about_counter": about,
        "filed_counter": filed, "moved": filed is not None and counter is not None and filed.id != counter.id,
        "channel": case.channel, "department": i18n.department(case.department, case.service_code), "steps": steps,
        "certificate": certificate, "kind_of_case": case.kind, "deliverable": bool(process.deliverable),
        # sent up a level by the SLA sweep: late, and with a senior officer now (docs/workflows.md)
        "escalated": case.level > 1 and not (state.final or state.desk == "none"), "level": case.level,
        # past the date it was expected by and still open: said so, not left as a date in the past
        "overdue": case.due_at is not None and case.due_at < clock.now() and not (state.final or state.desk == "none"),
        # the language its SMS and email are sent in (the citizen's choice at the counter, decision 99)
        "message_lang": case.lang,
    }


async def request_view(request: ServiceRequest) -> dict[str, Any]:
    counter = await Counter.get_or_none(id=request.counter_id)
    # a cancelled UPI booking: its refund, owed to the citizen's UPI account, then sent by the Society (decision 71)
    refund = await upi_refunds.refund_of(request)
    return {
        "kind": "request", "number": request.receipt_no,
        "title": i18n.pick(request.service_title_en, request.service_title_hi),
        "status_label": _request_status(request.status), "filed_at": request.created_at, "counter": counter,
        "upi_refund": {"amount_paise": -refund.amount_paise, "sent": refund.status == "refunded", "sent_at": refund.confirmed_at}
        if refund is not None else None,
        "message_lang": request.message_lang,  # "" before the citizen was asked (decision 99)
    }


def _clean_number(text: str) -> str:
    return workflow.clean_number(text)


#: the numbers a citizen can track, as :func:`_clean_number` reads them: a receipt number
#: (core/ids.make_receipt_no: district, counter, serial, check digit) and a grievance number filed online
GRIEVANCE_NUMBER = re.compile(r"GR-[A-Z]{2}-\d{7,}")


def number_mistyped(number: str) -> str:
    """Why ``number`` (read by :func:`_clean_number`) is no receipt or grievance number, saying what
    to do; "" when it may be one. Told without a look-up: a number's shape and check digit are
    public, so this says nothing of which numbers exist, and it is not counted as a failed look-up."""
    if GRIEVANCE_NUMBER.fullmatch(number):
        return ""
    if ids.RECEIPT_NO.fullmatch(number):
        return "" if ids.is_valid_receipt_no(number) else _(
            "This receipt number has a wrong check digit: a digit was probably mistyped, or two swapped. "
            "Read it again from your receipt.")
    digits = sum(ch.isdigit() for ch in number)
    fewest, most = ids.RECEIPT_DIGITS
    return i18n.ngettext_(
        "Number: a receipt number is two letters and %(fewest)d to %(most)d digits, such as JP0001000000421 (this has "
        "%(digits)d digit); a grievance number is written GR-JP-0000001. Copy it again from your receipt or SMS.",
        "Number: a receipt number is two letters and %(fewest)d to %(most)d digits, such as JP0001000000421 (this has "
        "%(digits)d digits); a grievance number is written GR-JP-0000001. Copy it again from your receipt or SMS.",
        digits) % {"digits": digits, "fewest": fewest, "most": most}


async def lookup(number: str, mobile: str) -> dict[str, Any] | None:
    """The case or request with this number, if ``mobile`` is the one it was filed with; else None."""
    # a number longer than any stored one cannot match (and must not reach the database's length check)
    case = await Case.get_or_none(number=number) if len(number) <= 30 else None
    if case is not None:
        expected = case.mobile
        if not expected and case.request_id:  # a counter case filed without a mobile: the citizen's own
            request = await ServiceRequest.get(id=case.request_id)
            expected = (await Citizen.get(id=request.citizen_id)).mobile
        return await case_view(case) if expected and expected == mobile else None
    request = await ServiceRequest.get_or_none(receipt_no=number) if len(number) <= 24 else None
    if request is None:
        return None
    citizen = await Citizen.get(id=request.citizen_id)
    mobiles = {citizen.mobile, str((request.form_data or {}).get("mobile") or "")} - {""}
    return await request_view(request) if mobile in mobiles else None


def address_key(request: Request, kind: str) -> str:
    """The shared counter (core.auth.count_event) of one kind of event from this client address."""
    return f"{kind}:{request.client.host if request.client else 'unknown'}"


# Receipt numbers run in sequence: every public page that says whether one exists counts here, one count
# per address for all of them: the receipt check its misses (a hit needs the receipt's total as well),
# the complaint form about a counter every receipt number it checks, found or not (it needs the number only).
RECEIPT_CHECKS_SPENT = ("Too many receipt numbers that were not found from this connection in the last 15 minutes. Try again "
                        "later, or file the complaint without the receipt number, or at any e-Mitra counter. / इस कनेक्शन से "
                        "पिछले 15 मिनट में बहुत-सी ऐसी रसीद संख्याएँ आईं जो नहीं मिलीं। बाद में प्रयास करें, या रसीद संख्या के बिना "
                        "शिकायत दर्ज करें, या किसी भी ई-मित्र काउंटर पर।")


async def receipt_checks_spent(request: Request) -> bool:
    """Whether this address has used up its receipt checks (``TRACK_MAX_FAILURES`` in ``TRACK_WINDOW``)."""
    return await auth.events_in_window(address_key(request, "receipt"), TRACK_WINDOW) >= TRACK_MAX_FAILURES


async def count_receipt_check(request: Request) -> None:
    await auth.count_event(address_key(request, "receipt"), TRACK_WINDOW)


@page(ANYONE)
async def track(request: Request) -> Response:
    """Anyone: the status of an application or grievance, by its number and the mobile it was filed with."""
    form = {"number": "", "mobile": ""}
    if request.method == "GET":
        return _no_store(render(request, "citizens/track.html", {"form": form, "errors": {}, "result": None}))
    failures_key = address_key(request, "track")
    if await auth.events_in_window(failures_key, TRACK_WINDOW) >= TRACK_MAX_FAILURES:
        return _no_store(render(request, "citizens/track.html", {"form": form, "errors": {}, "result": None, "throttled": True}, 429))
    posted = request.state.form
    # as written on paper or copied from the SMS: +91 or 0 before the mobile, Hindi digits, invisible characters
    form = {"number": str(posted.get("number", "")).strip()[:40], "mobile": text.typed_mobile(str(posted.get("mobile", "")))[:15]}
    errors = {}
    number = _clean_number(form["number"])
    if not number:
        errors["number"] = _("Number: write the receipt number (e.g. JP0001000000421) or the grievance number (e.g. GR-JP-0000001).")
    elif mistyped := number_mistyped(number):  # (not a failed look-up: nothing was looked up)
        errors["number"] = mistyped
    if not MOBILE.fullmatch(form["mobile"]):
        errors["mobile"] = _("Mobile number: the 10 digits given when the application or grievance was filed.")
    if errors:
        return _no_store(render(request, "citizens/track.html", {"form": form, "errors": errors, "result": None}, 400))
    result = await lookup(number, form["mobile"])
    if result is None:
        await auth.count_event(failures_key, TRACK_WINDOW)
        return _no_store(render(request, "citizens/track.html", {"form": form, "errors": {}, "result": None, "not_found": True}, 404))
    return _no_store(render(request, "citizens/track.html", {"form": {"number": "", "mobile": ""}, "errors": {}, "result": result}))


# --- the citizen's own page -------------------------------------------------------------------------

async def _own_case_ids(request: Request) -> set[int]:
    """Online grievances this user filed while logged in."""
    user = request.state.user
    return set(await CaseEvent.filter(action="open", actor_id=user.id).values_list("case_id", flat=True))


@page([Role.CITIZEN])
async def my_cases(request: Request) -> Response:
    """The citizen's applications, grievances and payments, newest first."""
    user = request.state.user
    items: list[dict[str, Any]] = []
    if user.citizen_id is not None:
        requests = await ServiceRequest.filter(citizen_id=user.citizen_id).exclude(receipt_no=None)
        by_request = list(await Case.filter(request_id__in=[r.id for r in requests])) if requests else []
        own = await _own_case_ids(request) - {c.id for c in by_request}
        cases = by_request + (list(await Case.filter(id__in=own)) if own else [])
        with_case = {c.request_id for c in cases}
        for c in cases:
            state = workflow.process_of(c).state(c.state)
            items.append({"number": c.number, "title": i18n.pick(c.title_en, c.title_hi),
                          "status": i18n.pick(state.label_en, state.label_hi), "at": c.created_at})
        for r in requests:
            if r.id not in with_case:
                items.append({"number": r.receipt_no, "title": i18n.pick(r.service_title_en, r.service_title_hi),
                              "status": _request_status(r.status), "at": r.created_at})
    items.sort(key=lambda i: i["at"], reverse=True)
    from emitra.web.citizen_login import may_switch  # (it imports this module)

    return _no_store(render(request, "citizens/my.html", {"items": items, "linked": user.citizen_id is not None,
                                                          "may_switch": await may_switch(request)}))


async def _mine(request: Request) -> tuple[Case | None, ServiceRequest | None]:
    """The citizen's own case (an application of theirs, a grievance they filed online while logged
    in) or payment with the number in the path, and its request if it has one; 404 otherwise."""
    user = request.state.user
    number = _clean_number(request.path_params["number"])
    if user.citizen_id is not None and 0 < len(number) <= 30:  # a longer one is no number (nor for the column's check)
        case = await Case.get_or_none(number=number)
        if case is not None:
            own = await ServiceRequest.get_or_none(id=case.request_id, citizen_id=user.citizen_id) if case.request_id else None
            if own is not None or case.id in await _own_case_ids(request):
                return case, own
        else:
            found = await ServiceRequest.get_or_none(receipt_no=number, citizen_id=user.citizen_id) if len(number) <= 24 else None
            if found is not None:
                return None, found
    raise HTTPException(404, _("You have no application or grievance with this number."))


def _lang_target(case: Case | None, own: ServiceRequest | None) -> ServiceRequest | Case | None:
    """What the language of the citizen's messages is kept on, for one of their own (``_mine``): the
    request paid at a counter (its case follows), or a grievance they filed online, which has no
    request (decision 111)."""
    return own if own is not None else case if case is not None and case.request_id is None else None


async def _my_detail(request: Request, case: Case | None, own: ServiceRequest | None, lang_error: str = "",
                     status: int = 200) -> Response:
    result = await case_view(case, with_certificate=True) if case is not None else await request_view(own)  # type: ignore[arg-type]
    target = _lang_target(case, own)
    return _no_store(render(request, "citizens/my_detail.html", {
        "result": result, "lang_error": lang_error,
        "lang_form": target is not None, "lang_of_grievance": own is None,
        # ticked as the page above says it is sent: a counter's request from before the citizen was asked
        # (decision 99) has no choice of its own, and its case's messages go in the case's language
        "lang_current": (own.message_lang if own is not None else "") or (case.lang if case is not None else ""),
        "receipt_no": own.receipt_no if own is not None else "",
        # who changed it is not shown to the citizen (an officer's name never is): when, and from what to what
        "lang_changes": await counter_core.message_lang_changes(target) if target is not None else []}, status))


@page([Role.CITIZEN])
async def my_case(request: Request) -> Response:
    """One of the citizen's own applications or grievances: the same steps as /track; for one paid
    at a counter or a grievance they filed online, the language of its messages, which the citizen
    may change (decisions 108, 111)."""
    return await _my_detail(request, *await _mine(request))


@page([Role.CITIZEN])
async def my_message_lang(request: Request) -> Response:
    """The citizen sets the language of the messages about one of their own requests (decision
    108) or about a grievance they filed online while logged in (decision 111)."""
    case, own = await _mine(request)
    target = _lang_target(case, own)
    if target is None:
        raise HTTPException(404, _("You have no application or grievance with this number."))
    try:
        await counter_core.change_message_lang(actor(request), target, request.state.form.get("message_lang"))
    except counter_core.CounterError:  # none ticked, or a value not offered: said to the citizen, not the operator
        return await _my_detail(request, case, own, _("Messages to you: tick हिन्दी (Hindi) or English, the language you read, "
                                                      "then press Save the language."), 400)
    return RedirectResponse(f"/my/{case.number if case is not None else own.receipt_no}#message-lang-form", status_code=303)


# --- online grievances -------------------------------------------------------------------------------

def _grievance_choices() -> dict[str, Any]:
    lang = i18n.current_lang.get()
    return {
        "departments": [(c, hi if lang == "hi" else en) for c, en, hi in DEPARTMENTS],
        "complaint_types": [(c, hi if lang == "hi" else en) for c, en, hi in grievances.COMPLAINT_TYPES],
    }


async def _grievance_form(request: Request, form: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    districts = await District.all().order_by("code")
    options = [(d.code, i18n.pick(d.name_en, d.name_hi)) for d in districts]
    return render(request, "citizens/grievance_form.html",
                  {"form": form, "errors": errors, "districts": districts, "district_options": options, **_grievance_choices()}, status)


FIELDS = ("district", "about", "department", "counter_code", "complaint_type", "receipt_no", "name", "mobile", "subject", "body")


@page(ANYONE)
async def new_grievance(request: Request) -> Response:
    """Anyone: file a grievance to a department, the district administration, or about an e-Mitra counter."""
    if request.method == "GET":
        _forget_confirmation(request)  # a new grievance: the last one's confirmation is not for whoever comes next
        q = request.query_params
        form = {k: "" for k in FIELDS}
        form["about"] = "department"
        form["message_lang"] = i18n.current_lang.get()  # the page's language ticked first (decision 111)
        districts = await District.all().order_by("code")
        form["district"] = districts[0].code if len(districts) == 1 else ""
        user = request.state.user
        if user is not None and user.citizen_id is not None:  # a logged-in citizen: their own name and mobile
            citizen = await Citizen.get(id=user.citizen_id)
            form.update(name=citizen.name, mobile=citizen.mobile)
        code = grievances.typed_counter_code(q.get("counter", "")[:40])[:20]
        if code:
            form.update(about="counter", counter_code=code, receipt_no=q.get("receipt", "").strip()[:24],
                        complaint_type=q.get("type", "overcharging") if q.get("type", "overcharging") in
                        {c for c, _, _ in grievances.COMPLAINT_TYPES} else "")
            counter = await Counter.get_or_none(code=code).prefetch_related("district")
            if counter is not None:
                form["district"] = counter.district.code
        return await _grievance_form(request, form, {})
    posted = request.state.form
    form = {k: str(posted.get(k, ""))[:2100] for k in FIELDS}
    # the language of the SMS about it (decision 111); a form opened before it was asked: the page's, as then
    chosen_lang = posted.get("message_lang")
    form["message_lang"] = i18n.current_lang.get() if chosen_lang is None else str(chosen_lang)[:5]
    # a public form that writes, kept from floods: per mobile number (a citizen's own count, whoever shares
    # their connection) and, far higher, per client address (a mobile carrier's subscribers share one; decision 103)
    limits = config.grievance_limits()
    filed_key = address_key(request, "grievance")
    if await auth.events_in_window(filed_key, HOUR) >= limits["per_address"]:
        raise HTTPException(429, _("Too many grievances from this connection in the last hour. Try again later, or file it at any e-Mitra counter."))
    mobile = text.typed_mobile(form["mobile"])
    mobile_key = grievances.mobile_throttle_key(mobile) if MOBILE.fullmatch(mobile) else None
    if mobile_key and await auth.events_in_window(mobile_key, HOUR) >= limits["per_mobile"]:
        raise HTTPException(429, _("Too many grievances from this mobile number in the last hour. Try again later, or file it at any e-Mitra counter."))
    if form["receipt_no"].strip() and await receipt_checks_spent(request):  # it would tell whether the receipt exists
        raise HTTPException(429, RECEIPT_CHECKS_SPENT)
    district_code = form["district"].strip().upper()
    district = await District.get_or_none(code=district_code) if 0 < len(district_code) <= 2 else None
    if district is None:
        districts = await District.all()
        district = districts[0] if len(districts) == 1 else None
    try:
        case = await grievances.file_online(
            actor(request), district.id if district else 0, about=form["about"], department=form["department"],
            counter_code=form["counter_code"], complaint_type=form["complaint_type"], receipt_no=form["receipt_no"],
            name=form["name"], mobile=form["mobile"], subject=form["subject"], body=form["body"], lang=form["message_lang"])
    except grievances.GrievanceInvalid as exc:
        if form["receipt_no"].strip():  # the page says whether it is one of the counter's receipts
            await count_receipt_check(request)
        lang = i18n.current_lang.get()
        errors = {k: (hi if lang == "hi" else en) for k, (en, hi) in exc.errors.items()}
        return await _grievance_form(request, form, errors, 400)
    again = bool(getattr(case, "filed_before", False))  # sent twice (a double click, a retry): filed once
    if not again:
        await auth.count_event(filed_key, HOUR)
        if mobile_key:
            await auth.count_event(mobile_key, HOUR)
    if form["receipt_no"].strip():
        await count_receipt_check(request)
    request.session["grievance_filed"] = case.number
    request.session["grievance_again"] = again
    request.session["grievance_filed_at"] = clock.now().timestamp()
    return RedirectResponse("/grievances/filed", status_code=303)


#: how long after filing the confirmation is shown again in the same browser (a reload, Back): then it is
#: forgotten, as it is when the form is opened anew, so that the next person at a shared kiosk does not see it
CONFIRMATION_SHOWN = dt.timedelta(minutes=30)


def _forget_confirmation(request: Request) -> None:
    for key in ("grievance_filed", "grievance_again", "grievance_filed_at"):
        request.session.pop(key, None)


@page(ANYONE)
async def grievance_filed(request: Request) -> Response:
    """The confirmation after filing: the number to track it with (kept in this browser's session only)."""
    number = request.session.get("grievance_filed", "")
    at = request.session.get("grievance_filed_at")
    if number and not (isinstance(at, (int, float)) and 0 <= clock.now().timestamp() - at <= CONFIRMATION_SHOWN.total_seconds()):
        _forget_confirmation(request)  # a shared kiosk's browser: the next person does not see it
        number = ""
    if not number:
        return RedirectResponse("/grievances/new", status_code=303)
    case = await Case.get_or_none(number=number)
    if case is None:
        return RedirectResponse("/grievances/new", status_code=303)
    return _no_store(render(request, "citizens/grievance_filed.html", {
        "number": case.number, "title": i18n.pick(case.title_en, case.title_hi),
        "department": i18n.department(case.department, case.service_code),
        "due_at": case.due_at, "mobile": notify.mask_recipient(case.mobile), "message_lang": case.lang, "again": bool(request.session.get("grievance_again")),
        "track_url": site_url(request) + "/track"}))  # the whole address: the page is written down or printed


# --- the complaint and suggestion book ---------------------------------------------------------------

def _book_rows(entries: list[BookEntry]) -> list[dict[str, Any]]:
    return [{"at": e.created_at, "kind": e.kind, "text": e.text, "name": e.name,
             "mobile": notify.mask_recipient(e.mobile) if e.mobile else "", "digest_sent_at": e.digest_sent_at,
             "counter": getattr(e, "counter", None)} for e in entries]


async def _counter_book(request: Request, counter: Counter, form: dict[str, str], errors: dict[str, str], status: int = 200,
                        saved: bool = False) -> Response:
    entries = await BookEntry.filter(counter_id=counter.id).order_by("-created_at", "-id").limit(50)
    return render(request, "citizens/book.html", {"counter": counter, "entries": _book_rows(entries), "form": form,
                                                  "errors": errors, "saved": saved, "keeps_book": book.keeps_book(counter)}, status)


@page([Role.OPERATOR])
async def counter_book(request: Request) -> Response:
    """Operator of a LokMitra centre: record an entry of the centre's complaint and suggestion book."""
    counter = await Counter.get_or_none(id=request.state.user.counter_id)
    if counter is None:
        raise HTTPException(404, _("Your user is not attached to a counter."))
    empty = {"kind": "complaint", "text": "", "name": "", "mobile": ""}
    if not book.keeps_book(counter):
        return await _counter_book(request, counter, empty, {}, 403 if request.method == "POST" else 200)
    if request.method == "GET":
        return await _counter_book(request, counter, empty, {}, saved=request.query_params.get("saved") == "1")
    posted = request.state.form
    form = {k: str(posted.get(k, ""))[:2100] for k in empty}
    try:
        await book.add_entry(actor(request), counter, form["kind"], form["text"], form["name"], form["mobile"])
    except book.BookError as exc:
        message = exc.message_hi if i18n.current_lang.get() == "hi" else exc.message_en
        return await _counter_book(request, counter, form, {exc.field: message}, 400)
    return RedirectResponse("/counter/book?saved=1", status_code=303)


def _monday(text: str) -> dt.date:
    """The Monday of the week of ``text`` (any day of it); :class:`params.BadParam` when it is not a
    date or outside web/params.py's range."""
    day = params.day(text, "week", _("Week of"))
    return day - dt.timedelta(days=day.weekday())


@page([Role.SOCIETY_ADMIN])
async def society_book(request: Request) -> Response:
    """Society admin: every LokMitra centre's book entries in the district, and the weekly digests sent."""
    district_id = request.state.user.district_id
    centres = await Counter.filter(district_id=district_id, kind=CounterKind.LOKMITRA).order_by("code")
    q = request.query_params
    centre = q.get("centre", "").strip().upper()
    week, week_error = None, ""
    if q.get("week", "").strip():
        try:
            week = _monday(q.get("week", ""))
        except params.BadParam as exc:  # every week's entries are listed below the refusal
            week_error = exc.message
    query = BookEntry.filter(district_id=district_id)
    chosen = next((c for c in centres if c.code == centre), None)
    if chosen is not None:
        query = query.filter(counter_id=chosen.id)
    if week is not None:
        start, end = book.week_bounds(week)
        query = query.filter(created_at__gte=start, created_at__lt=end)
    entries = await query.order_by("-created_at", "-id").limit(200).prefetch_related("counter")
    digests = await Notification.filter(district_id=district_id, event="book_digest").order_by("-id").limit(20)
    weeks = {}
    for record in await AuditLog.filter(district_id=district_id, action="book.digest").order_by("-id").limit(50):
        weeks.setdefault(record.object_id, record.detail.get("week_start", ""))
    last = book.last_complete_week()
    return render(request, "citizens/society_book.html", {
        "centres": centres, "centre": chosen.code if chosen else "", "week": week.isoformat() if week else "",
        "entries": _book_rows(entries),
        "digests": [{"note": n, "week": weeks.get(str(n.id), ""), "recipient": ", ".join(notify.mask_recipient(r.strip()) for r in n.recipient.split(","))}
                    for n in digests],
        "last_week": last, "last_week_end": last + dt.timedelta(days=6),
        "last_week_sent": await book.digest_sent(district_id, last), "done": q.get("digest", ""), "week_error": week_error,
    }, 400 if week_error else 200)


@page([Role.SOCIETY_ADMIN])
async def send_digest(request: Request) -> Response:
    """Send the digest of the last complete week now (nothing more if it was sent and nothing is new)."""
    try:
        note = await book.weekly_digest(actor(request), request.state.user.district_id, book.last_complete_week())
    except book.BookError as exc:
        raise HTTPException(409, exc.message_hi if i18n.current_lang.get() == "hi" else exc.message_en) from None
    return RedirectResponse(f"/society/book?digest={'sent' if note else 'none'}", status_code=303)


ROUTES = [
    Route("/track", track, methods=["GET", "POST"]),
    Route("/my", my_cases),
    Route("/my/{number}", my_case),
    Route("/my/{number}/message-lang", my_message_lang, methods=["POST"]),
    Route("/grievances/new", new_grievance, methods=["GET", "POST"]),
    Route("/grievances/filed", grievance_filed),
    Route("/counter/book", counter_book, methods=["GET", "POST"]),
    Route("/society/book", society_book),
    Route("/society/book/digest", send_digest, methods=["POST"]),
]

"""The Society's watch lists and inspections, and each counter's printable rate list.

* ``/society/watch``: the five watch lists of :mod:`emitra.core.watch` for the admin's district,
  each threshold shown and adjustable in the query string, and the inspection follow-ups past due.
* ``/society/inspections``: the district's inspections; ``/new`` records one (a yes/no radio pair
  per checklist item), ``/{id}`` shows one (printable), ``/{id}/close`` marks its follow-up done.
* ``/counters/{code}/rates``: the A4 rate list poster in English and Hindi (the counter's
  operators, its LSP, its district's Society, the state); ``/counter/rates`` takes an operator to
  their own counter's poster.

The Society sees only its district; a counter or inspection outside it is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import clock, fees, inspections, watch, workflow
from emitra.core import counter as counter_core
from emitra.core.models import LSP, Counter, District, Inspection, LspPrice, Role, Society, User
from emitra.core.money import format_paise
from emitra.core.services import Payer
from emitra.web import params
from emitra.web.i18n import _, pick
from emitra.web.security import actor, page
from emitra.web.templating import render, site_url

SOCIETY = [Role.SOCIETY_ADMIN]
RATE_VIEWERS = list(Role)  # signed in: the scope check below gives anyone else a 404

# name in the query string -> (default, lowest, highest)
THRESHOLDS: dict[str, tuple[int, int, int]] = {
    "dormant_days": (watch.DORMANT_DAYS, 1, 366),
    "dormant_min": (watch.DORMANT_MIN_TRANSACTIONS, 1, 100_000),
    "over_days": (watch.OVERCHARGING_DAYS, 1, 366),
    "short_days": (watch.SHORTAGE_DAYS, 1, 366),
    "short_min": (watch.SHORTAGE_MIN, 1, 366),
    "complaint_days": (watch.COMPLAINT_DAYS, 1, 366),
    "complaint_min": (watch.COMPLAINT_MIN, 1, 10_000),
    "hours": (watch.NEAR_BREACH_HOURS, 1, 24 * 60),
    "lookup_days": (watch.LOOKUP_DAYS, 1, 366),
}

# The rate list poster prints both languages at once, whatever the page language: (English, Hindi)
POSTER = {
    "title": ("e-Mitra service charges", "ई-मित्र सेवा शुल्क"),
    "counter": ("Counter", "काउंटर"),
    "lsp": ("Service provider (LSP)", "सेवा प्रदाता (एलएसपी)"),
    "district": ("District", "ज़िला"),
    "as_of": ("Rates as published on", "प्रकाशित दरें, दिनांक"),
    "service": ("Service", "सेवा"),
    "charge": ("Service charge", "सेवा शुल्क"),
    "paid_by": ("Paid by", "कौन देता है"),
    "free": ("Where the department or the company pays the service charge, you pay nothing for it.",
             "जहाँ सेवा शुल्क विभाग या कंपनी देती है, वहाँ आपको इसके लिए कुछ नहीं देना है।"),
    "no_price": ("Price not yet published: not available", "मूल्य प्रकाशित नहीं: उपलब्ध नहीं"),
    "commission": ("of the amount", "राशि का"),
    "per": ("per", "प्रति"),
    "receipt": ("Ask for a printed receipt for every payment. Pay nothing more than the receipt shows.",
                "हर भुगतान की छपी रसीद माँगें। रसीद में लिखी राशि से अधिक कुछ न दें।"),
    "complaints": ("Complaints", "शिकायत"),
    "complaint_line": ("online at %(url)s, or in the complaint book at LokMitra centres",
                       "ऑनलाइन %(url)s पर, या लोकमित्र केंद्रों पर शिकायत पुस्तिका में"),
    "society": ("Licensed and supervised by", "लाइसेंस एवं निगरानी"),
}

#: who pays the charge, as the poster says it
PAYER = {
    "citizen": ("You pay", "आप देते हैं"),
    "department": ("Department pays", "विभाग देता है"),
    "partner": ("Company pays", "कंपनी देती है"),
    "lsp": ("Price set by the LSP", "एलएसपी का तय मूल्य"),
}


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _role(user: User) -> str:
    return user.role.value if hasattr(user.role, "value") else str(user.role)


def _today() -> dt.date:
    return clock.today()


async def _counter_in_district(code: str, district_id: int) -> Counter:
    counter = await Counter.get_or_none(code=(code or "").strip().upper(), district_id=district_id)
    if counter is None:
        raise HTTPException(404, _("There is no counter with this code in your district."))
    return counter


# --- watch lists --------------------------------------------------------------------------------

def threshold_labels() -> dict[str, tuple[str, str]]:
    """Each threshold's (list, box) in the page's language: the box's label beside it, and both in a
    refusal, for "Days" is the box of four lists."""
    dormant, over, short = _("Dormant counters"), _("Overcharging"), _("Day-end shortages")
    many, lookups, deadlines = _("Many complaints"), _("Citizen look-ups refused"), _("Cases near their deadline")
    return {"dormant_days": (dormant, _("Days")), "dormant_min": (dormant, _("Minimum transactions")),
            "over_days": (over, _("Days")), "short_days": (short, _("Days")), "short_min": (short, _("Minimum shortages")),
            "complaint_days": (many, _("Days")), "complaint_min": (many, _("Minimum complaints")),
            "hours": (deadlines, _("Hours")), "lookup_days": (lookups, _("Days"))}


def _threshold_refusal(list_name: str, box: str, raw: str, low: int, high: int, default: int) -> str:
    """Why ``raw`` is refused in the box ``box`` of the list ``list_name``, and what to type instead."""
    what = {"list": list_name, "box": box, "typed": raw[:20], "low": low, "high": high, "default": default}
    value = _int(raw)
    if value is None:
        said = _("%(list)s, %(box)s: “%(typed)s” is not a whole number. Type a whole number from %(low)s to %(high)s, "
                 "in digits, without words or decimals; meanwhile the default, %(default)s, is used.")
    elif value < low:
        said = _("%(list)s, %(box)s: %(typed)s is less than %(low)s. Type a whole number from %(low)s to %(high)s; "
                 "meanwhile the default, %(default)s, is used.")
    else:
        said = _("%(list)s, %(box)s: %(typed)s is more than %(high)s. Type a whole number from %(low)s to %(high)s; "
                 "meanwhile the default, %(default)s, is used.")
    return said % what


def _thresholds(request: Request) -> tuple[dict[str, int], dict[str, str]]:
    values, errors = {}, {}
    labels = threshold_labels()
    for name, (default, low, high) in THRESHOLDS.items():
        raw = request.query_params.get(name, "").strip()
        value = _int(raw) if raw else default
        if value is None or not low <= value <= high:
            errors[name] = _threshold_refusal(*labels[name], raw, low, high, default)
            value = default
        values[name] = value
    return values, errors


def _hidden_except(values: dict[str, int], *names: str, as_of: str = "") -> list[tuple[str, Any]]:
    """The other lists' thresholds (and the as-of date), carried along when one list's form is sent."""
    kept: list[tuple[str, Any]] = [(k, v) for k, v in values.items() if k not in names and v != THRESHOLDS[k][0]]
    return kept + ([("on", as_of)] if as_of and "on" not in names else [])


def _state_label(case: Any) -> str:
    try:
        state = workflow.process_of(case).state(case.state)
        return pick(state.label_en, state.label_hi)
    except Exception:  # a service no longer loaded: its state's name is all there is
        return case.state


@page(SOCIETY)
async def watch_page(request: Request) -> Response:
    user = request.state.user
    district_id = user.district_id
    values, errors = _thresholds(request)
    today, now = _today(), clock.now()
    as_of = request.query_params.get("on", "").strip()
    if as_of:  # the counter lists as they stood on an earlier day (the deadlines are always now)
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            day = None
        if day is None or day > today or day < today - dt.timedelta(days=730):
            errors["on"] = _("Counter lists as of: give a date (YYYY-MM-DD) in the last two years, not in the future; "
                             "meanwhile today is used.")
        else:
            today = day
    lists = {
        "dormant": await watch.dormant(district_id, today, values["dormant_days"], values["dormant_min"]),
        "overcharging": await watch.overcharging(district_id, today, values["over_days"]),
        "shortages": await watch.shortages(district_id, today, values["short_days"], values["short_min"]),
        "complaints": await watch.complaints(district_id, today, values["complaint_days"], values["complaint_min"]),
        "lookups": await watch.lookups(district_id, today, values["lookup_days"]),
    }
    deadlines = await watch.near_breach(district_id, now, values["hours"])
    case_counters = {c.id: c for c in await Counter.filter(
        district_id=district_id, id__in=[i.case.counter_id or i.case.about_counter_id for i in deadlines.soon + deadlines.breached
                                         if i.case.counter_id or i.case.about_counter_id] or [0])}
    overdue = await inspections.overdue(district_id, today)
    return render(request, "watch/watch.html", {
        "lists": lists, "deadlines": deadlines, "values": values, "errors": errors, "labels": threshold_labels(), "defaults": {k: v[0] for k, v in THRESHOLDS.items()},
        "hidden_except": lambda *names: _hidden_except(values, *names, as_of=as_of), "state_label": _state_label, "case_counters": case_counters,
        "overdue": [(i, inspections.days_overdue(i, today)) for i in overdue], "today": today, "now": now, "as_of": as_of,
        "district": await District.get(id=district_id),
    }, status_code=400 if errors else 200)


# --- inspections --------------------------------------------------------------------------------

@page(SOCIETY)
async def inspection_list(request: Request) -> Response:
    user = request.state.user
    code = request.query_params.get("counter", "").strip().upper()
    status = request.query_params.get("status", "")
    status = status if status in ("open", "closed", "none") else ""
    query = Inspection.filter(district_id=user.district_id)
    counter = None
    if code:
        counter = await _counter_in_district(code, user.district_id)
        query = query.filter(counter_id=counter.id)
    if status == "open":
        query = query.filter(closed_at=None).exclude(follow_up="")
    elif status == "closed":
        query = query.filter(closed_at__not_isnull=True)
    elif status == "none":
        query = query.filter(follow_up="")
    rows = await query.order_by("-inspected_on", "-id").limit(500).prefetch_related("counter", "inspector")
    counters = await Counter.filter(district_id=user.district_id).order_by("code")
    today = _today()
    return render(request, "watch/inspections.html", {
        "rows": [(i, inspections.is_open(i), i.follow_up_due is not None and inspections.is_open(i) and i.follow_up_due < today)
                 for i in rows],
        "counter": counter, "counters": counters, "status": status, "code": code,
    })


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


async def _form_page(request: Request, counter: Counter | None, sent: dict[str, Any], error: inspections.InspectionError | None = None,
                     status: int = 200) -> Response:
    user = request.state.user
    counters = await Counter.filter(district_id=user.district_id).order_by("code")
    return render(request, "watch/inspection_form.html", {
        "counter": counter, "counters": counters, "items": inspections.checklist_for(counter) if counter else [],
        "sent": sent, "error": error, "error_text": pick(error.message_en, error.message_hi) if error else "",
        "today": _today(),
    }, status_code=status)


@page(SOCIETY)
async def inspection_new(request: Request) -> Response:
    user = request.state.user
    code = request.query_params.get("counter", "").strip()
    if request.method == "POST":
        code = str(request.state.form.get("counter", code)).strip()
    counter = await _counter_in_district(code, user.district_id) if code else None
    if request.method != "POST":
        return await _form_page(request, counter, {"inspected_on": _today().isoformat(), "checklist": {}})
    form = request.state.form
    if counter is None:
        return await _form_page(request, None, {}, inspections.InspectionError(
            "counter", "Counter: choose the counter you inspected.", "काउंटर: जिस काउंटर का निरीक्षण किया वह चुनें।"), 400)
    sent: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in ("inspected_on", "findings", "follow_up", "follow_up_due")}
    sent["checklist"] = {i.code: str(form.get(f"checklist.{i.code}", "")) for i in inspections.checklist_for(counter)}
    inspected_on = _parse_date(sent["inspected_on"])
    due = _parse_date(sent["follow_up_due"]) if sent["follow_up_due"] else None
    try:
        if inspected_on is None:
            raise inspections.InspectionError("inspected_on", "Date of inspection: give the date as YYYY-MM-DD, for example 2026-11-20.",
                                              "निरीक्षण की तिथि: YYYY-MM-DD के रूप में दें, जैसे 2026-11-20।")
        if sent["follow_up_due"] and due is None:
            raise inspections.InspectionError("follow_up_due", "Follow-up due by: give the date as YYYY-MM-DD, or leave it empty.",
                                              "अनुवर्ती कार्रवाई की अंतिम तिथि: YYYY-MM-DD के रूप में दें, या खाली छोड़ें।")
        answers = {c: v == "yes" for c, v in sent["checklist"].items() if v in ("yes", "no")}
        inspection = await inspections.record(actor(request), counter, inspected_on, answers, sent["findings"], sent["follow_up"], due)
    except inspections.InspectionError as exc:
        return await _form_page(request, counter, sent, exc, 400)
    return RedirectResponse(f"/society/inspections/{inspection.id}", status_code=303)


async def _inspection_in_district(request: Request) -> Inspection:
    inspection_id = params.record_id(request.path_params["inspection_id"])
    inspection = await Inspection.get_or_none(id=inspection_id, district_id=request.state.user.district_id) if inspection_id else None
    if inspection is None:
        raise HTTPException(404, _("No inspection with this number in your district."))
    return inspection


async def _detail(request: Request, inspection: Inspection, error: str = "", note: str = "", status: int = 200) -> Response:
    counter = await Counter.get(id=inspection.counter_id)
    inspector = await User.get(id=inspection.inspector_id)
    today = _today()
    return render(request, "watch/inspection.html", {
        "inspection": inspection, "counter": counter, "inspector": inspector, "checklist": inspections.summary(inspection),
        "is_open": inspections.is_open(inspection), "days_overdue": inspections.days_overdue(inspection, today) if inspections.is_open(inspection) else 0,
        "error": error, "note": note, "lsp": await LSP.get(id=counter.lsp_id),
    }, status_code=status)


@page(SOCIETY)
async def inspection_detail(request: Request) -> Response:
    return await _detail(request, await _inspection_in_district(request))


@page(SOCIETY)
async def inspection_close(request: Request) -> Response:
    inspection = await _inspection_in_district(request)
    note = str(request.state.form.get("note", ""))
    try:
        await inspections.close(actor(request), inspection, note)
    except inspections.InspectionError as exc:
        return await _detail(request, inspection, pick(exc.message_en, exc.message_hi), note, 400)
    return RedirectResponse(f"/society/inspections/{inspection.id}", status_code=303)


# --- the rate list poster -----------------------------------------------------------------------

def _may_see_rates(user: User, counter: Counter) -> bool:
    role = _role(user)
    if role == Role.STATE_ADMIN.value:
        return True
    if role == Role.SOCIETY_ADMIN.value:
        return user.district_id == counter.district_id
    if role == Role.LSP_ADMIN.value:
        return user.lsp_id == counter.lsp_id
    if role == Role.OPERATOR.value:
        return user.counter_id == counter.id
    return False


def _bp(bp: int) -> str:
    text = f"{bp / 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


async def rate_rows(counter: Counter) -> list[dict[str, Any]]:
    """The counter's enabled services with their published rates, grouped by department or partner."""
    services = await counter_core.enabled_services(counter)
    rates = await fees.published_rates(services, counter.district_id) if services else {}
    prices = dict(await LspPrice.filter(lsp_id=counter.lsp_id, service_code__in=[s.code for s in services] or ["-"])
                  .values_list("service_code", "unit_price_paise"))
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in services:
        rate = rates[s.code]
        payer = Payer(s.fee.payer).value
        # the group heading names the department or partner: "Electricity bill – JVVNL" is "Electricity bill" under it
        row: dict[str, Any] = {"code": s.code, "title_en": s.title_en.split(" – ")[0], "title_hi": s.title_hi.split(" – ")[0],
                               "payer": payer}
        if s.priced_by_lsp:
            price = prices.get(s.code)
            row["payer"] = "lsp"
            if price is None:
                row["charge_en"], row["charge_hi"] = POSTER["no_price"]
            else:
                row["charge_en"] = f"{format_paise(price)} {POSTER['per'][0]} {s.unit_en}"
                row["charge_hi"] = f"{format_paise(price)} {POSTER['per'][1]} {s.unit_hi}"
        elif s.fee.commission_bp is not None:
            row["charge_en"] = f"{_bp(s.fee.commission_bp)} {POSTER['commission'][0]}"
            row["charge_hi"] = f"{POSTER['commission'][1]} {_bp(s.fee.commission_bp)}"
        else:
            row["charge_en"] = row["charge_hi"] = format_paise(rate.fee_paise)
        row["charge_paise"] = None if s.priced_by_lsp or s.fee.commission_bp is not None else rate.fee_paise
        groups.setdefault(s.provider, []).append(row)
    return [{"provider": p, "rows": sorted(rows, key=lambda r: r["title_en"])} for p, rows in sorted(groups.items())]


@page(RATE_VIEWERS)
async def rate_poster(request: Request) -> Response:
    user = request.state.user
    code = str(request.path_params["code"]).strip().upper()
    counter = await Counter.get_or_none(code=code) if len(code) <= 20 else None  # a longer code cannot exist
    if counter is None or not _may_see_rates(user, counter):
        raise HTTPException(404, _("There is no counter with this code that you look after."))
    district = await District.get(id=counter.district_id)
    society = await Society.get_or_none(district_id=counter.district_id)
    return render(request, "watch/rates.html", {
        "counter": counter, "district": district, "society": society, "lsp": await LSP.get(id=counter.lsp_id),
        "groups": await rate_rows(counter), "t": POSTER, "payer": PAYER, "today": _today(),
        "complaint_url": f"{site_url(request)}/grievances/new",
    })


@page([Role.OPERATOR])
async def my_rates(request: Request) -> Response:
    user = request.state.user
    counter = await Counter.get_or_none(id=user.counter_id) if user.counter_id else None
    if counter is None:
        raise HTTPException(404, _("You are not assigned to a counter."))
    return RedirectResponse(f"/counters/{counter.code}/rates", status_code=303)


ROUTES = [
    Route("/society/watch", watch_page),
    Route("/society/inspections", inspection_list),
    Route("/society/inspections/new", inspection_new, methods=["GET", "POST"]),
    Route("/society/inspections/{inspection_id}", inspection_detail),
    Route("/society/inspections/{inspection_id}/close", inspection_close, methods=["POST"]),
    Route("/counters/{code}/rates", rate_poster),
    Route("/counter/rates", my_rates),
]

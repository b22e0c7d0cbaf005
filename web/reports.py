"""MIS reports with charts and exports, and the state dashboard.

* ``/reports``: figures of a period (from the pre-aggregated daily table) grouped by district, LSP,
  counter, service, department or category, optionally by day, week or month, with totals, the
  case figures (pending applications, SLA breaches, grievances) and three charts. The filters are a
  GET form, so a report is a link that can be bookmarked, shared and printed.
* ``/reports/export.csv`` and ``/reports/export.xlsx``: the same report to a file (same query string).
* ``/reports/chart.svg?kind=trend|share|counters``: server-rendered SVG charts (pygal), shown as
  ``<img>`` so they need no JavaScript and print with the page.
* ``/state``: the state dashboard, every district side by side (state admin only).

Scope (:func:`emitra.core.reports.scope_for`): the state admin reports on every district, a Society
admin on its district, an LSP admin on its own counters. A filter naming a district, LSP or counter
outside that scope is a 404, the same as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emitra.core import clock, spreadsheet
from emitra.core import reports as core
from emitra.core.mis import MEASURES
from emitra.core.money import format_paise
from emitra.core.models import LSP, Counter, District, Role, User
from emitra.core.text import MONTHS
from emitra.web import params
from emitra.web.i18n import _, pick
from emitra.web.security import page
from emitra.web.templating import render

REPORTERS = [Role.STATE_ADMIN, Role.SOCIETY_ADMIN, Role.LSP_ADMIN]
STATE = [Role.STATE_ADMIN]
PAGE_ROWS = 2000  # a longer report is exported, not shown
CHART_KINDS = ("trend", "share", "counters")
TOP = 9  # pie slices and trend lines before "Others"
MONEY = ("principal_paise", "service_charge_paise", "citizen_total_paise", "charge_by_department_paise", "charge_by_partner_paise")
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


# --- texts chosen at run time -------------------------------------------------------------------

def dimension_names() -> dict[str, str]:
    return {"district": _("District"), "lsp": _("LSP"), "counter": _("Counter"), "service": _("Service"),
            "department": _("Department or partner"), "category": _("Category")}


def period_names() -> dict[str, str]:
    return {"": _("No breakdown"), "day": _("By day"), "week": _("By week (Monday to Sunday)"), "month": _("By month")}


def measure_names() -> dict[str, str]:
    return {"transactions": _("Transactions"), "principal_paise": _("Principal"), "service_charge_paise": _("Service charges"),
            "citizen_total_paise": _("Collected from citizens"), "charge_by_department_paise": _("Charges paid by departments"),
            "charge_by_partner_paise": _("Commissions from partners"), "cancelled": _("Cancelled")}


def case_measure_names() -> dict[str, str]:
    return {"filed": _("Filed in the period"), "open": _("Open now"), "breached": _("Open past the SLA"),
            "escalated": _("Escalated (open)"), "closed": _("Closed in the period"), "closed_late": _("Closed late"),
            "grievances_open": _("Grievances open"), "grievances_resolved": _("Grievances resolved in the period")}


def category_names() -> dict[str, str]:
    return {"bill": _("Bills"), "levy": _("Levies and fees"), "application": _("Applications"), "grievance": _("Grievances"),
            "private_service": _("Private services")}


def month_abbr(month: int) -> str:
    """"Oct" (अक्टूबर): the month as every page names it (a bill's month on a receipt too, core/text.MONTHS)."""
    return pick(*MONTHS[month - 1])


def date_range(start: dt.date, end: dt.date) -> str:
    """'1–28 Nov 2026', '5 Oct – 28 Nov 2026', '5 Dec 2025 – 28 Nov 2026' or '28 Nov 2026'."""
    if start == end:
        return f"{end.day} {month_abbr(end.month)} {end.year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {month_abbr(end.month)} {end.year}"
    if start.year == end.year:
        return f"{start.day} {month_abbr(start.month)} – {end.day} {month_abbr(end.month)} {end.year}"
    return f"{start.day} {month_abbr(start.month)} {start.year} – {end.day} {month_abbr(end.month)} {end.year}"


def bucket_label(period: str | None, start: dt.date, end: dt.date) -> str:
    if period == "month" and start.day == 1 and (end + dt.timedelta(days=1)).day == 1:
        return f"{month_abbr(start.month)} {start.year}"
    return date_range(start, end)


def row_label(by: str, row: dict[str, Any]) -> str:
    if by == "category":
        return category_names().get(row["code"], row["code"] or "—")
    return pick(row["label_en"], row["label_hi"])


# --- filters ------------------------------------------------------------------------------------

def _role(user: User) -> str:
    return getattr(user.role, "value", user.role)


def _date(value: str, default: dt.date, name: str, errors: dict[str, str]) -> dt.date:
    value = value.strip()
    if not value:
        return default
    try:
        return params.day(value, name, _("From") if name == "from" else _("To"))
    except params.BadParam as exc:
        errors[name] = exc.message
        return default


def read_filters(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    """The filters from the query string (defaults: this month so far) and a message per bad one."""
    user = request.state.user
    q = request.query_params
    today = clock.today()
    errors: dict[str, str] = {}
    is_state = _role(user) == Role.STATE_ADMIN.value
    f: dict[str, Any] = {
        "from": _date(q.get("from", ""), today.replace(day=1), "from", errors),
        "to": _date(q.get("to", ""), today, "to", errors),
        "by": q.get("by", "").strip() or ("district" if is_state else "counter"),
        "period": q.get("period", "").strip(),
        "district": q.get("district", "").strip()[:2].upper() if is_state else "",
        "lsp": q.get("lsp", "").strip()[:12] if _role(user) != Role.LSP_ADMIN.value else "",
        "counter": q.get("counter", "").strip()[:20].upper(),
    }
    if "from" not in errors and "to" not in errors:
        bad = core.check_dates(f["from"], f["to"])
        if bad == "from":
            errors["from"] = _("From: the period starts after it ends; give a date on or before the To date.")
        elif bad == "to":
            errors["to"] = _("To: a report covers at most %(days)s days; give a To date closer to the From date.") % {"days": core.MAX_DAYS}
    if f["by"] not in core.DIMENSIONS or (f["by"] == "district" and not is_state):
        errors["by"] = _("Group by: choose one of the listed groupings.")
    if f["period"] not in ("", *core.PERIODS):
        errors["period"] = _("Breakdown: choose none, day, week or month.")
    return f, errors


def query_string(f: dict[str, Any], **changes: Any) -> str:
    merged = {**f, **changes}
    out = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in merged.items() if v}
    return urlencode(out)


async def _scope(request: Request, f: dict[str, Any]) -> core.Scope:
    try:
        return await core.scope_for(request.state.user, district=f["district"], lsp=f["lsp"], counter=f["counter"])
    except core.OutOfScope as exc:
        what = {"district": _("district"), "lsp": _("LSP"), "counter": _("counter")}[exc.field]
        raise HTTPException(404, _("No %(what)s with this code in the reports you may see.") % {"what": what}) from None


def _bad_request(errors: dict[str, str]) -> HTTPException:
    return HTTPException(400, " ".join(errors.values()))


def _case_by(by: str) -> str:
    return by if by in core.CASE_DIMENSIONS else "department"


# --- the report page ----------------------------------------------------------------------------

def chart_alt(kind: str, report: core.Report, share_by: str = "") -> str:
    when = date_range(report.start, report.end)
    if kind == "trend":
        what = {"day": _("Transactions per day"), "week": _("Transactions per week"), "month": _("Transactions per month")}[report.period or "day"]
        if report.by == "district":
            what = {"day": _("Transactions per day by district"), "week": _("Transactions per week by district"),
                    "month": _("Transactions per month by district")}[report.period or "day"]
        return f"{what}, {when}"
    if kind == "share":
        return _("Share of transactions by %(dimension)s, %(when)s") % {"dimension": dimension_names()[share_by].lower(), "when": when}
    return _("Transactions per counter, %(when)s") % {"when": when}


def _share_by(by: str) -> str:
    return by if by in ("service", "department", "district", "category", "lsp") else "department"


async def _choices(user: User, f: dict[str, Any]) -> dict[str, Any]:
    role = _role(user)
    districts = await District.all().order_by("name_en") if role == Role.STATE_ADMIN.value else []
    lsps: list[LSP] = []
    if role == Role.STATE_ADMIN.value:
        lsps = await (LSP.filter(district__code=f["district"]) if f["district"] else LSP.all()).order_by("name").limit(500)
    elif role == Role.SOCIETY_ADMIN.value:
        lsps = await LSP.filter(district_id=user.district_id).order_by("name")
    counters = Counter.all()
    if role == Role.SOCIETY_ADMIN.value:
        counters = counters.filter(district_id=user.district_id)
    elif role == Role.LSP_ADMIN.value:
        counters = counters.filter(lsp_id=user.lsp_id)
    elif f["district"]:
        counters = counters.filter(district__code=f["district"])
    return {"districts": districts, "lsps": lsps, "counters": [(code, pick(name, name_hi)) for code, name, name_hi in
                                                                await counters.order_by("code").limit(500).values_list("code", "name", "name_hi")]}


@page(REPORTERS)
async def report_page(request: Request) -> Response:
    """The figures of a period, grouped and broken down as asked, with totals, case figures and charts."""
    user = request.state.user
    f, errors = read_filters(request)
    ctx: dict[str, Any] = {"f": f, "errors": errors, "dimensions": dimension_names(), "periods": period_names(),
                           "measures": measure_names(), "case_measures": case_measure_names(), "money": MONEY,
                           "is_state": _role(user) == Role.STATE_ADMIN.value, "is_lsp": _role(user) == Role.LSP_ADMIN.value,
                           "report": None, "max_days": core.MAX_DAYS, **await _choices(user, f)}
    if not errors:
        scope = await _scope(request, f)
        report = await core.figures(scope, f["from"], f["to"], f["by"], f["period"] or None)
        cases = await core.case_figures(scope, f["from"], f["to"], _case_by(f["by"]))
        qs = query_string(f)
        ctx.update({
            "report": report, "rows": [{**r, "label": row_label(f["by"], r)} for r in report.rows[:PAGE_ROWS]],
            "truncated": len(report.rows) > PAGE_ROWS, "cases": cases,
            "case_rows": [{**r, "label": row_label(cases.by, r)} for r in cases.rows], "when": date_range(f["from"], f["to"]),
            "qs": qs, "bucket_label": bucket_label, "qs_with": lambda **changes: query_string(f, **changes),
            "charts": [
                {"kind": "trend", "src": f"/reports/chart.svg?{qs}&kind=trend", "alt": chart_alt("trend", core.Report(
                    by="district" if f["by"] == "district" else "", period=f["period"] or "day", start=f["from"], end=f["to"]))},
                {"kind": "share", "src": f"/reports/chart.svg?{qs}&kind=share",
                 "alt": chart_alt("share", report, _share_by(f["by"]))},
                {"kind": "counters", "src": f"/reports/chart.svg?{qs}&kind=counters", "alt": chart_alt("counters", report)},
            ] if report.rows else [],
        })
    return render(request, "reports/report.html", ctx, 400 if errors else 200)


# --- exports ------------------------------------------------------------------------------------

def rupees(paise: int) -> str:
    """Whole paise as an exact rupee amount with two decimals, no grouping: 123456 -> '1234.56'."""
    sign = "-" if paise < 0 else ""
    r, p = divmod(abs(int(paise)), 100)
    return f"{sign}{r}.{p:02d}"


def _headers(report: core.Report) -> list[str]:
    names = measure_names()
    head = [_("Period from"), _("Period to")] if report.period else []
    head += [_("Code"), dimension_names()[report.by]]
    return head + [f"{names[m]} (₹)" if m in MONEY else names[m] for m in MEASURES]


def _case_headers(cases: core.Report) -> list[str]:
    dim = {"department": _("Department"), "service": _("Service"), "district": _("District")}[cases.by]
    names = case_measure_names()
    return [_("Code"), dim, *[names[m] for m in core.CASE_MEASURES]]


async def _export_data(request: Request) -> tuple[dict[str, Any], core.Report, core.Report, str]:
    f, errors = read_filters(request)
    if errors:
        raise _bad_request(errors)
    scope = await _scope(request, f)
    report = await core.figures(scope, f["from"], f["to"], f["by"], f["period"] or None)
    cases = await core.case_figures(scope, f["from"], f["to"], _case_by(f["by"]))
    where = f["counter"] or (f"lsp{f['lsp']}" if f["lsp"] else "") or f["district"] or (
        (await District.get(id=scope.district_id)).code if scope.district_id else "state")
    name = "-".join(re.sub(r"[^A-Za-z0-9]+", "", str(p)) for p in ("emitra", "report", where, f["by"], f["period"] or "total"))
    return f, report, cases, f"{name}-{f['from'].isoformat()}-to-{f['to'].isoformat()}"


@page(REPORTERS)
async def export_csv(request: Request) -> Response:
    """The figures as CSV: amounts in rupees with two decimals (exact, from the paise), a total row last."""
    f, report, _cases, name = await _export_data(request)
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(_headers(report))
    for row in report.rows:
        lead = [row["period_start"].isoformat(), row["period_end"].isoformat()] if report.period else []
        writer.writerow(lead + [row["code"], row_label(report.by, row)] + [rupees(row[m]) if m in MONEY else row[m] for m in MEASURES])
    lead = ["", ""] if report.period else []
    writer.writerow(lead + ["", _("Total")] + [rupees(report.totals[m]) if m in MONEY else report.totals[m] for m in MEASURES])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}.csv"'})


@page(REPORTERS)
async def export_xlsx(request: Request) -> Response:
    """The figures (sheet "Figures") and the case figures (sheet "Cases") as an Excel workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    f, report, cases, name = await _export_data(request)
    book = Workbook()
    sheet = book.active
    sheet.title = "Figures"
    sheet.append(spreadsheet.row(_headers(report)))
    lead_cols = 4 if report.period else 2

    def money(paise: int) -> Decimal:
        return Decimal(int(paise)) / 100  # exact: only for display in the spreadsheet

    for row in report.rows:
        lead = [row["period_start"], row["period_end"]] if report.period else []
        sheet.append(spreadsheet.row(lead + [str(row["code"]), row_label(report.by, row)] + [money(row[m]) if m in MONEY else row[m] for m in MEASURES]))
    sheet.append([""] * (lead_cols - 1) + [_("Total")] + [money(report.totals[m]) if m in MONEY else report.totals[m] for m in MEASURES])
    for cell in sheet[1] + sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for col, m in enumerate(MEASURES, start=lead_cols + 1):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "#,##0.00" if m in MONEY else "0"
    if report.period:
        for col in (1, 2):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["B" if not report.period else "D"].width = 40
    case_sheet = book.create_sheet("Cases")
    case_sheet.append(spreadsheet.row(_case_headers(cases)))
    for row in cases.rows:
        case_sheet.append(spreadsheet.row([str(row["code"]), row_label(cases.by, row), *[row[m] for m in core.CASE_MEASURES]]))
    case_sheet.append(["", _("Total"), *[cases.totals[m] for m in core.CASE_MEASURES]])
    for cell in case_sheet[1] + case_sheet[case_sheet.max_row]:
        cell.font = Font(bold=True)
    case_sheet.column_dimensions["B"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="{name}.xlsx"'})


# --- charts -------------------------------------------------------------------------------------

def _pygal() -> Any:
    """pygal, without the import hook it adds to ``sys.meta_path`` for its map plugins (which we do
    not use): the hook has no ``find_spec``, so every later first import in the process raises an
    ImportWarning (an error under the test suite's warning filter)."""
    import sys

    import pygal

    sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]
    return pygal


def _style() -> Any:
    _pygal()
    from pygal.style import Style

    return Style(background="white", plot_background="white", foreground="#1b1b1b", foreground_strong="#1b1b1b",
                 foreground_subtle="#555555", opacity="1", opacity_hover="1", transition="none",
                 font_family="'Noto Sans', 'Noto Sans Devanagari', system-ui, sans-serif", title_font_size=20, label_font_size=15,
                 major_label_font_size=15, legend_font_size=15, value_font_size=14, tooltip_font_size=14,
                 colors=("#0b5394", "#e69138", "#38761d", "#cc0000", "#674ea7", "#45818e", "#bf9000", "#a61c00", "#3d85c6", "#999999"))


def _options(**extra: Any) -> dict[str, Any]:
    return {"style": _style(), "js": [], "width": 680, "height": 380, "truncate_label": -1, "explicit_size": True, "legend_at_bottom": True,
            "truncate_legend": 40, "print_values": False, "show_minor_x_labels": True,
            "value_formatter": lambda v: f"{v:,.0f}" if v is not None else "", **extra}


def count_ticks(top: int) -> list[int]:
    """Whole-number ticks from 0 to at least ``top`` for an axis of counts, at most eleven of them,
    a step of 1, 2 or 5 times a power of ten: left to itself pygal divides a small range in tenths
    and the formatter rounds each, so an axis up to 3 read 0, 0, 0, 1, 1, 1, 1, 1, 2, ..."""
    top = max(1, int(top))
    step, scale = 1, 1
    while -(-top // step) > 10:
        step = next(m * scale for m in (1, 2, 5, 10) if m * scale > step)
        scale = 10 ** (len(str(step)) - 1)
    return list(range(0, -(-top // step) * step + 1, step))


def rupee_axis_top(top_paise: int, intervals: int) -> int:
    """The top, in whole rupees, of a rupee axis drawn beside a count axis of ``intervals`` steps:
    pygal puts the second axis's ticks at the first axis's heights, so its top decides every tick.
    The step is a whole number of rupees, 1, 2 or 5 times a power of ten, the smallest that reaches
    ``top_paise``: every tick is then a round amount the label shows exactly (a top of ₹8.75 gave
    ticks 0 and 8.75, drawn as "9")."""
    intervals, scale = max(1, intervals), 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if step * intervals * 100 >= top_paise:
                return step * intervals
        scale *= 10


def _rupees_value(value: float | None) -> str:
    """A rupee value of a chart (paise / 100, for drawing) printed to the paisa, as the tables print it."""
    return "" if value is None else format_paise(round(value * 100))


_SCRIPT = re.compile(r"<script\b[^>]*?(?:/>|>.*?</script\s*>)", re.S | re.I)


def svg_response(chart: Any) -> Response:
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    return Response(svg, media_type="image/svg+xml",
                    headers={"content-security-policy": SVG_CSP, "cache-control": "private, max-age=60"})


def _others(pairs: list[tuple[str, float]], label: str) -> list[tuple[str, float]]:
    pairs = sorted(pairs, key=lambda p: -p[1])
    if len(pairs) <= TOP + 1:
        return pairs
    return pairs[:TOP] + [(label, sum(v for _n, v in pairs[TOP:]))]


async def _trend(scope: core.Scope, f: dict[str, Any]) -> Any:
    pygal = _pygal()

    period = f["period"] or "day"
    by_district = f["by"] == "district"
    report = await core.figures(scope, f["from"], f["to"], "district" if by_district else "category", period)
    buckets = report.buckets()
    index = {a: i for i, (a, _b) in enumerate(buckets)}
    many = len(buckets) > 16
    chart = (pygal.Line if many else pygal.Bar)(**_options(x_label_rotation=30 if many else 0, show_dots=len(buckets) <= 62,
                                                           x_labels_major_every=max(1, len(buckets) // 12), show_minor_x_labels=not many))
    chart.title = chart_alt("trend", report)
    chart.x_labels = [bucket_label(period, a, b) if period == "month" else f"{a.day} {month_abbr(a.month)}" for a, b in buckets]
    if by_district:
        series: dict[str, list[int]] = {}
        totals: dict[str, int] = {}
        for row in report.rows:
            name = row_label("district", row)
            series.setdefault(name, [0] * len(buckets))[index[row["period_start"]]] += row["transactions"]
            totals[name] = totals.get(name, 0) + row["transactions"]
        keep = [n for n, _v in _others(list(totals.items()), "")][:TOP]
        others = [0] * len(buckets)
        for name, values in series.items():
            if name in keep:
                continue
            others = [a + b for a, b in zip(others, values)]
        for name in keep:
            chart.add(name, series[name])
        if any(others):
            chart.add(_("Other districts"), others)
        chart.y_labels = count_ticks(max([v for name in keep for v in series[name]] + others, default=0))
    else:
        counts, amounts = [0] * len(buckets), [0] * len(buckets)
        for row in report.rows:
            counts[index[row["period_start"]]] += row["transactions"]
            amounts[index[row["period_start"]]] += row["citizen_total_paise"]
        chart.y_labels = count_ticks(max(counts))
        chart.range = (0, chart.y_labels[-1])  # both axes from zero, so the bars compare honestly
        chart.secondary_range = (0, rupee_axis_top(max(amounts), len(chart.y_labels) - 1))  # round rupees at each tick
        chart.add(_("Transactions"), counts)
        chart.add(_("Collected from citizens (₹)"), [a / 100 for a in amounts], secondary=True,  # display only
                  formatter=_rupees_value)
    return chart


async def _share(scope: core.Scope, f: dict[str, Any], of: str) -> Any:
    pygal = _pygal()

    by = _share_by(f["by"])
    report = await core.figures(scope, f["from"], f["to"], by)
    measure = "service_charge_paise" if of == "charges" else "transactions"
    chart = pygal.Pie(**_options(inner_radius=0.4, legend_at_bottom=False, legend_box_size=14, height=400, print_values=True))
    title = (_("Share of service charges by %(dimension)s, %(when)s") % {
        "dimension": dimension_names()[by].lower(), "when": date_range(report.start, report.end)} if of == "charges" else chart_alt("share", report, by))
    chart.title = title
    pairs = [(row_label(by, r), r[measure] / 100 if of == "charges" else r[measure]) for r in report.rows]
    for name, value in _others([p for p in pairs if p[1]], _("Others")):
        chart.add(name, value, **({"formatter": _rupees_value} if of == "charges" else {}))
    return chart


async def _counters(scope: core.Scope, f: dict[str, Any]) -> Any:
    pygal = _pygal()

    report = await core.figures(scope, f["from"], f["to"], "counter")
    rows = sorted(report.rows, key=lambda r: (-r["transactions"], r["code"]))
    shown = rows[:25]
    chart = pygal.HorizontalBar(**_options(height=120 + 26 * max(1, len(shown)), show_legend=False, print_values=True))
    title = chart_alt("counters", report)
    if len(rows) > len(shown):
        title += " — " + _("the %(shown)s busiest of %(all)s") % {"shown": len(shown), "all": len(rows)}
    chart.title = title
    shown = list(reversed(shown))  # the busiest at the top
    chart.x_labels = [r["code"] for r in shown]
    chart.add(_("Transactions"), [r["transactions"] for r in shown])
    chart.y_labels = count_ticks(max((r["transactions"] for r in shown), default=0))  # the value axis, drawn across
    return chart


@page(REPORTERS)
async def chart_svg(request: Request) -> Response:
    """One chart of the report as SVG: ``kind=trend`` (over time), ``share`` (by service or department), ``counters``."""
    f, errors = read_filters(request)
    kind = request.query_params.get("kind", "")
    if kind not in CHART_KINDS:
        errors["kind"] = _("Chart: kind must be trend, share or counters.")
    if errors:
        raise _bad_request(errors)
    scope = await _scope(request, f)
    if kind == "trend":
        chart = await _trend(scope, f)
    elif kind == "share":
        chart = await _share(scope, f, request.query_params.get("of", ""))
    else:
        chart = await _counters(scope, f)
    return svg_response(chart)


# --- the state dashboard ------------------------------------------------------------------------

@page(STATE)
async def state_dashboard(request: Request) -> Response:
    """Every district side by side: counters, this month and last month, service charges, open cases, breaches."""
    today = clock.today()
    data = await core.state_dashboard(today)
    (this_start, this_end), (prev_start, prev_end) = data["this"], data["prev"]
    this_qs = urlencode({"from": this_start.isoformat(), "to": this_end.isoformat()})
    trend_qs = urlencode({"from": prev_start.isoformat(), "to": this_end.isoformat(), "by": "district", "period": "week"})
    trend = core.Report(by="district", period="week", start=prev_start, end=this_end)
    share = core.Report(by="district", period=None, start=this_start, end=this_end)
    return render(request, "reports/state.html", {
        "rows": data["rows"], "total": data["total"], "this_when": date_range(this_start, this_end),
        "prev_when": date_range(prev_start, prev_end), "this_qs": this_qs,
        "prev_qs": urlencode({"from": prev_start.isoformat(), "to": prev_end.isoformat()}),
        "charts": [
            {"src": f"/reports/chart.svg?{trend_qs}&kind=trend", "alt": chart_alt("trend", trend)},
            {"src": f"/reports/chart.svg?{this_qs}&by=district&kind=share", "alt": chart_alt("share", share, "district")},
        ] if data["total"]["transactions"] or data["total"]["prev_transactions"] else [],
    })


ROUTES = [
    Route("/reports", report_page),
    Route("/reports/export.csv", export_csv),
    Route("/reports/export.xlsx", export_xlsx),
    Route("/reports/chart.svg", chart_svg),
    Route("/state", state_dashboard),
]

"""MIS reports: figures over the pre-aggregated daily table, and case figures, within a user's scope.

Every figures report is a ``GROUP BY`` over :class:`~emitra.core.models.MonthlyFigure` for the
calendar months wholly inside its period and over :class:`~emitra.core.models.DailyFigure` for the
days around them (never over the requests: a district records millions), grouped by one dimension (district, LSP, counter,
service, department or category) and, when a period is asked for, by business day as well; the
days are then put into day, week or month buckets here, in Python, with
:func:`emitra.core.mis.periods`. Case figures (pending applications, SLA breaches, grievances) are
three ``GROUP BY`` over the much smaller case table.

Who sees what is decided by :func:`scope_for`: the state admin every district (or one), a Society
admin its district, an LSP admin its own counters. A filter naming something outside that scope
raises :class:`OutOfScope`; nothing widens a scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from emitra.core import config, db
from emitra.core.mis import MEASURES, periods
from emitra.core.models import LSP, Case, Counter, DailyFigure, District, MonthlyFigure, Role, User

#: the dimension a report is grouped by, and its column in the daily table
DIMENSIONS = {"district": "district_id", "lsp": "lsp_id", "counter": "counter_id", "service": "service_code",
              "department": "provider", "category": "category"}
PERIODS = ("day", "week", "month")
CASE_DIMENSIONS = {"department": "department", "service": "service_code", "district": "district_id"}
CASE_MEASURES = ("filed", "open", "breached", "escalated", "closed", "closed_late", "grievances_open", "grievances_resolved")
MAX_DAYS = 366


class OutOfScope(Exception):
    """A filter names a district, LSP or counter the user may not report on (or that does not exist)."""

    def __init__(self, field_name: str):
        super().__init__(field_name)
        self.field = field_name


@dataclass(frozen=True)
class Scope:
    """What a report covers: ``None`` is "every" at that level (an LSP admin's scope has its ``lsp_id``)."""

    district_id: int | None = None
    lsp_id: int | None = None
    counter_id: int | None = None


def _role(user: User) -> str:
    return getattr(user.role, "value", user.role)


async def scope_for(user: User, *, district: str = "", lsp: str = "", counter: str = "") -> Scope:
    """The scope of a user's report, narrowed by the filters (a district code, an LSP id, a counter code).

    Raises :class:`PermissionError` for a role without reports and :class:`OutOfScope` (naming the
    filter) for a district, LSP or counter outside the user's own.
    """
    role = _role(user)
    if role == Role.STATE_ADMIN.value:
        base = Scope()
    elif role == Role.SOCIETY_ADMIN.value and user.district_id is not None:
        base = Scope(district_id=user.district_id)
    elif role == Role.LSP_ADMIN.value and user.lsp_id is not None:
        lsp_row = await LSP.get(id=user.lsp_id)
        base = Scope(district_id=lsp_row.district_id, lsp_id=lsp_row.id)
    else:
        raise PermissionError(role)
    district_id, lsp_id, counter_id = base.district_id, base.lsp_id, None
    if district:
        row = await District.get_or_none(code=district.strip().upper())
        if row is None or (base.district_id is not None and row.id != base.district_id):
            raise OutOfScope("district")
        district_id = row.id
    if lsp:
        wanted = lsp.strip()
        if not (wanted.isascii() and wanted.isdigit()) or not 0 < int(wanted) <= db.MAX_ID:  # no LSP has that number
            raise OutOfScope("lsp")
        row = await LSP.get_or_none(id=int(wanted))
        if row is None or (base.lsp_id is not None and row.id != base.lsp_id) or (district_id is not None and row.district_id != district_id):
            raise OutOfScope("lsp")
        lsp_id, district_id = row.id, row.district_id
    if counter:
        row = await Counter.get_or_none(code=counter.strip().upper())
        if row is None or (lsp_id is not None and row.lsp_id != lsp_id) or (district_id is not None and row.district_id != district_id):
            raise OutOfScope("counter")
        counter_id = row.id
    return Scope(district_id=district_id, lsp_id=lsp_id, counter_id=counter_id)


def check_dates(start: dt.date, end: dt.date) -> str | None:
    """The name of the bad field, or None: ``from`` after ``to``, or more than :data:`MAX_DAYS` days."""
    if start > end:
        return "from"
    if (end - start).days + 1 > MAX_DAYS:
        return "to"
    return None


def _daily(scope: Scope, model: Any = DailyFigure) -> Any:
    query = model.all()
    if scope.district_id is not None:
        query = query.filter(district_id=scope.district_id)
    if scope.lsp_id is not None:
        query = query.filter(lsp_id=scope.lsp_id)
    if scope.counter_id is not None:
        query = query.filter(counter_id=scope.counter_id)
    return query


def bucket_of(kind: str | None, day: dt.date) -> dt.date:
    """The first day of the period ``day`` falls in (an ISO week starts on Monday)."""
    if kind is None or kind == "day":
        return day
    if kind == "week":
        return day - dt.timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    raise ValueError(f"period must be day, week or month, not {kind!r}")


@dataclass
class Report:
    by: str
    period: str | None
    start: dt.date
    end: dt.date
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    def buckets(self) -> list[tuple[dt.date, dt.date]]:
        """The periods of the report, each clipped to [start, end] (the first and last may be partial)."""
        return [(max(a, self.start), min(b, self.end)) for a, b in periods(self.period or "day", self.start, self.end)]


def _zero() -> dict[str, int]:
    return {m: 0 for m in MEASURES}


def _service(code: str) -> Any:
    from emitra.core.plugins import get_host

    host = get_host()
    return host.registry.get(code) or host.all_declared.get(code)


async def labels(by: str, keys: set[Any]) -> dict[Any, dict[str, str]]:
    """``{key: {"code", "label_en", "label_hi"}}`` for the keys of a dimension."""
    out: dict[Any, dict[str, str]] = {}
    if by == "district":
        for d in await District.filter(id__in=keys):
            out[d.id] = {"code": d.code, "label_en": d.name_en, "label_hi": d.name_hi}
    elif by == "lsp":
        for lsp in await LSP.filter(id__in=keys):
            out[lsp.id] = {"code": str(lsp.id), "label_en": lsp.name, "label_hi": lsp.name}
    elif by == "counter":  # rows, not model objects: a district report names hundreds of counters
        for cid, code, name, name_hi in await Counter.filter(id__in=keys).values_list("id", "code", "name", "name_hi"):
            out[cid] = {"code": code, "label_en": f"{code} · {name}", "label_hi": f"{code} · {name_hi or name}"}
    elif by == "service":
        for code in keys:
            service = _service(code)
            out[code] = {"code": code, "label_en": service.title_en if service else code, "label_hi": service.title_hi if service else code}
    elif by == "department":  # the provider, a department or a partner, as stored; its Hindi name where declared
        from emitra.core.plugins import department_hi

        for key in keys:
            out[key] = {"code": key, "label_en": key or "—", "label_hi": department_hi(key or "") or key or "—"}
    else:  # category: the stored code, named by the page
        for key in keys:
            out[key] = {"code": key, "label_en": key or "—", "label_hi": key or "—"}
    return out


async def figures(scope: Scope, start: dt.date, end: dt.date, by: str, period: str | None = None) -> Report:
    """Transactions and amounts in [start, end] by business day, grouped by ``by`` (and ``period``).

    One query: ``SELECT <by>[, business_date], SUM(...) FROM daily_figure WHERE ... GROUP BY ...``.
    Rows carry ``key``, ``code``, ``label_en``, ``label_hi``, ``period_start`` and ``period_end``
    (None without a period) and the measures of :data:`emitra.core.mis.MEASURES` in whole units
    (counts and paise); ``totals`` sums them.
    """
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}, not {by!r}")
    if period is not None and period not in PERIODS:
        raise ValueError(f"period must be day, week or month, not {period!r}")
    column = DIMENSIONS[by]
    sums = {f"sum_{m}": Sum(m) for m in MEASURES}
    months, edges = whole_months(start, end) if period in (None, "month") else (None, [(start, end)])
    raw: list[dict[str, Any]] = []
    for a, b in edges:  # days outside whole months
        group = [column, "business_date"] if period else [column]
        raw += await (_daily(scope).filter(business_date__gte=a, business_date__lte=b)
                      .annotate(**sums).group_by(*group).values(*group, *sums))
    if months:  # whole months: one row per counter and service a month instead of thirty
        group = [column, "month"] if period else [column]
        for r in await (_daily(scope, MonthlyFigure).filter(month__gte=months[0], month__lt=months[1])
                        .annotate(**sums).group_by(*group).values(*group, *sums)):
            r["business_date"] = r.pop("month", None)
            raw.append(r)
    report = Report(by=by, period=period, start=start, end=end, totals=_zero())
    ends = dict(periods(period, start, end)) if period else {}
    cells: dict[tuple[dt.date | None, Any], dict[str, int]] = {}
    for r in raw:
        bucket = bucket_of(period, _as_date(r["business_date"])) if period else None
        cell = cells.setdefault((bucket, r[column]), _zero())
        for m in MEASURES:
            cell[m] += int(r[f"sum_{m}"] or 0)
    names = await labels(by, {key for _b, key in cells})
    for (bucket, key), values in cells.items():
        if not any(values.values()):
            continue
        name = names.get(key) or {"code": str(key), "label_en": str(key), "label_hi": str(key)}
        report.rows.append({"key": key, **name,
                            "period_start": max(bucket, start) if bucket else None,
                            "period_end": min(ends[bucket], end) if bucket else None, **values})
        for m in MEASURES:
            report.totals[m] += values[m]
    report.rows.sort(key=lambda row: (row["period_start"] or start, row["label_en"].casefold(), str(row["key"])))
    return report


def whole_months(start: dt.date, end: dt.date) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """The calendar months wholly inside [start, end] as [first, after) month starts (or None),
    and the day ranges around them (or the whole range, when no month fits)."""
    first = start if start.day == 1 else (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    after = (end + dt.timedelta(days=1)).replace(day=1)  # the first month not wholly inside
    if first >= after:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - dt.timedelta(days=1)))
    if after <= end:
        edges.append((after, end))
    return (first, after), edges


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in the counters' time zone."""
    zone = ZoneInfo(config.timezone())
    return (dt.datetime.combine(start, dt.time.min, zone), dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone))


async def _counters(scope: Scope) -> list[int] | None:
    """The counters a report's cases are of: its counter, its LSP's counters, or None (every one)."""
    if scope.counter_id is not None:
        return [scope.counter_id]
    if scope.lsp_id is not None:
        return list(await Counter.filter(lsp_id=scope.lsp_id).values_list("id", flat=True)) or [0]
    return None


def _at_counters(ids: list[int] | None, *, filed: bool) -> Q:
    """Cases of these counters, or complaints about one of them: filed there (``filed``: the counter of
    the application's payment, ``Case.filed_counter_id``, which a move leaves where it was), or there
    now (``Case.counter_id``: where a moved case is corrected and collected). Decision 101. Both are
    columns of the case's covering indexes: the question never reads the requests (decision 110)."""
    if ids is None:
        return Q()
    return Q(**{"filed_counter_id__in" if filed else "counter_id__in": ids}) | Q(about_counter_id__in=ids)


async def case_figures(scope: Scope, start: dt.date, end: dt.date, by: str = "department") -> Report:
    """Applications and grievances by department, service or district: three ``GROUP BY`` over the cases
    (filed in the period, open now, closed in the period).

    ``filed`` and ``closed`` (and ``closed_late``: closed after being flagged as past their SLA,
    ``grievances_resolved``) count what happened in [start, end]; ``open``, ``breached`` (open and
    past the SLA), ``escalated`` (open, above the first level) and ``grievances_open`` are the
    position now, whatever the period. In a counter's or an LSP's scope a case counts as filed at the
    counter it was filed (and paid) at, and as open or closed at the counter it is at now: they
    differ for a case moved since (decision 101).
    """
    if by not in CASE_DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(CASE_DIMENSIONS)}, not {by!r}")
    column = CASE_DIMENSIONS[by]
    since, until = day_bounds(start, end)
    cases = Case.all() if scope.district_id is None else Case.filter(district_id=scope.district_id)
    counters = await _counters(scope)
    grievance = Q(kind="grievance")
    keyed: dict[Any, dict[str, int]] = {}
    # Three questions, each one range of an index holding every column it reads (Case.Meta.indexes):
    # the table's wide rows are never read, nor the years of older closed cases. Rows are counted by
    # ``district_id`` (never null) as it is in both indexes: counting ``id`` would send PostgreSQL to the table.
    # A case moved to another counter (core/onboarding.move_applications) was filed at the first, where
    # its payment stays: it counts as filed there, and as open or closed where it is now (decision 101).
    for where, measures in ((Q(created_at__gte=since, created_at__lt=until) & _at_counters(counters, filed=True), {"filed": None}),
                            (Q(closed_at=None) & _at_counters(counters, filed=False),
                             {"open": None, "breached": Q(breached=True), "escalated": Q(level__gt=1), "grievances_open": grievance}),
                            (Q(closed_at__gte=since, closed_at__lt=until) & _at_counters(counters, filed=False),
                             {"closed": None, "closed_late": Q(breached=True), "grievances_resolved": grievance})):
        counts = {f"c_{m}": Count("district_id", _filter=only) for m, only in measures.items()}
        for r in await cases.filter(where).annotate(**counts).group_by(column).values(column, *counts):
            row = keyed.setdefault(r[column], dict.fromkeys(CASE_MEASURES, 0))
            for m in measures:
                row[m] = int(r[f"c_{m}"] or 0)
    report = Report(by=by, period=None, start=start, end=end, totals={m: 0 for m in CASE_MEASURES})
    names = await labels("district" if by == "district" else "service" if by == "service" else "department", set(keyed))
    for key, values in keyed.items():
        if not any(values.values()):
            continue
        report.rows.append({"key": key, **names[key], "period_start": None, "period_end": None, **values})
        for m in CASE_MEASURES:
            report.totals[m] += values[m]
    report.rows.sort(key=lambda row: (row["label_en"].casefold(), str(row["key"])))
    return report


async def active_counters(scope: Scope) -> dict[int, int]:
    """Active counters per district id."""
    query = Counter.filter(active=True)
    if scope.district_id is not None:
        query = query.filter(district_id=scope.district_id)
    if scope.lsp_id is not None:
        query = query.filter(lsp_id=scope.lsp_id)
    rows = await query.annotate(n=Count("id")).group_by("district_id").values("district_id", "n")
    return {r["district_id"]: int(r["n"]) for r in rows}


def month_so_far(today: dt.date) -> tuple[dt.date, dt.date]:
    return today.replace(day=1), today


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


async def state_dashboard(today: dt.date) -> dict[str, Any]:
    """Per district: active counters, this month's and last month's figures, open cases, breaches, grievances."""
    scope = Scope()
    this_start, this_end = month_so_far(today)
    prev_start, prev_end = last_month(today)
    this = {r["key"]: r for r in (await figures(scope, this_start, this_end, "district")).rows}
    prev = {r["key"]: r for r in (await figures(scope, prev_start, prev_end, "district")).rows}
    cases = {r["key"]: r for r in (await case_figures(scope, this_start, this_end, "district")).rows}
    counters = await active_counters(scope)
    rows = []
    keys = ("counters", "transactions", "citizen_total_paise", "service_charge_paise", "prev_transactions", "prev_citizen_total_paise",
            "prev_service_charge_paise", "open", "breached", "grievances_open")
    total = {k: 0 for k in keys}
    for district in await District.all().order_by("name_en"):
        t, p, c = this.get(district.id, {}), prev.get(district.id, {}), cases.get(district.id, {})
        row = {"district": district, "counters": counters.get(district.id, 0),
               "transactions": t.get("transactions", 0), "citizen_total_paise": t.get("citizen_total_paise", 0),
               "service_charge_paise": t.get("service_charge_paise", 0),
               "prev_transactions": p.get("transactions", 0), "prev_citizen_total_paise": p.get("citizen_total_paise", 0),
               "prev_service_charge_paise": p.get("service_charge_paise", 0),
               "open": c.get("open", 0), "breached": c.get("breached", 0), "grievances_open": c.get("grievances_open", 0)}
        rows.append(row)
        for k in keys:
            total[k] += row[k]
    return {"rows": rows, "total": total, "this": (this_start, this_end), "prev": (prev_start, prev_end)}

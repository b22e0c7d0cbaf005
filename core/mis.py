"""MIS figures: pre-aggregated per counter, service and business day as transactions are recorded.

Every change of a request's status goes through :func:`status_changed` in the same database
transaction, which adds (or takes away) the request's figures from its :class:`DailyFigure` row:
a request counts as a transaction while it is paid (``paid``, ``submitted``,
``submission_failed``), and as a cancellation once ``cancelled``. A correction made later (a
cheque confirmed, a booking cancelled a week after) changes the figures of the day the request was
recorded on, its ``business_date``. :func:`recount` computes the same figures from the requests
alone; a property test proves the two agree after any sequence of payments, reversals and
back-dated corrections, and ``emitra mis check`` compares them on a live database.

The same change is added to the request's :class:`MonthlyFigure` row (its business day's calendar
month), so that reports over whole months read one row per counter and service instead of thirty;
:func:`differences` also proves every monthly row equals the sum of its days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise import connections
from tortoise.transactions import in_transaction

from emitra.core import clock, config
from emitra.core.db import placeholders
from emitra.core.models import Counter, DailyFigure, MonthlyFigure, RequestStatus, ServiceRequest

COUNTED = {RequestStatus.PAID.value, RequestStatus.SUBMITTED.value, RequestStatus.SUBMISSION_FAILED.value}
CANCELLED = RequestStatus.CANCELLED.value
MEASURES = ("transactions", "principal_paise", "service_charge_paise", "citizen_total_paise", "charge_by_department_paise",
            "charge_by_partner_paise", "cancelled")


def _value(status: Any) -> str:
    return getattr(status, "value", status) or ""


def business_date_of(request: ServiceRequest) -> dt.date:
    """The request's business day: as recorded, or (rows from before the column) its local date."""
    if request.business_date is not None:
        return request.business_date
    return request.created_at.astimezone(ZoneInfo(config.timezone())).date()


def _contribution(request: ServiceRequest, status: str) -> dict[str, int]:
    payer = _value(request.charge_payer)
    if status in COUNTED:
        return {
            "transactions": 1, "principal_paise": request.principal_paise, "service_charge_paise": request.service_charge_paise,
            "citizen_total_paise": request.citizen_total_paise,
            "charge_by_department_paise": request.service_charge_paise if payer == "department" else 0,
            "charge_by_partner_paise": request.service_charge_paise if payer == "partner" else 0, "cancelled": 0,
        }
    if status == CANCELLED:
        return {**{m: 0 for m in MEASURES}, "cancelled": 1}
    return {m: 0 for m in MEASURES}


async def status_changed(request: ServiceRequest, old_status: Any, new_status: Any, category: str = "",
                         counter: Counter | None = None) -> None:
    """Move the request's figures from its old status to its new one (call inside the change's transaction).
    ``counter``, the request's counter if the caller has it at hand, saves a query."""
    before, after = _contribution(request, _value(old_status)), _contribution(request, _value(new_status))
    delta = {m: after[m] - before[m] for m in MEASURES}
    if not any(delta.values()):
        return
    if counter is None or counter.id != request.counter_id:
        counter = await Counter.get(id=request.counter_id)
    day = business_date_of(request)
    rows = ((DailyFigure, "business_date", day), (MonthlyFigure, "month", day.replace(day=1)))
    updated = await _add_both(rows, counter.id, request.service_code, delta)
    for (model, column, when), done in zip(rows, updated):
        if done:
            continue
        key = {column: when, "counter_id": counter.id, "service_code": request.service_code}
        try:
            async with in_transaction():  # a savepoint: a concurrent first row for the same key is retried as an update
                category = category or await _category(request.service_code)
                await model.create(district_id=request.district_id, lsp_id=counter.lsp_id, provider=request.provider[:200],
                                   category=category, **key, **delta)
        except IntegrityError:
            await _add(model, column, when, counter.id, request.service_code, delta)


async def _add_both(rows: tuple[tuple[Any, str, dt.date], ...], counter_id: int, service_code: str,
                    delta: dict[str, int]) -> tuple[bool, ...]:
    """:func:`_add` to the day's and the month's rows; which of them existed.

    On PostgreSQL both in one statement (a data-modifying ``WITH``): every payment at a counter
    locks these rows until its commit, and each round trip saved shortens that wait for the next
    payment of the same service at the counter. SQLite has no data-modifying ``WITH`` (and one
    writer at a time anyway): two statements."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return tuple([await _add(model, column, when, counter_id, service_code, delta) for model, column, when in rows])
    changed = [m for m in MEASURES if delta[m]]
    n = len(changed)
    parts, params = [], [delta[m] for m in changed] + [counter_id, service_code]
    for i, (model, column, when) in enumerate(rows):
        sets = ", ".join(f'"{m}" = "{m}" + ${j + 1}' for j, m in enumerate(changed))
        parts.append(f'u{i} AS (UPDATE "{model._meta.db_table}" SET {sets} WHERE "counter_id" = ${n + 1} AND "service_code" = ${n + 2} '
                     f'AND "{column}" = ${n + 3 + i} RETURNING 1)')
        params.append(when)
    counts = ", ".join(f"(SELECT count(*) FROM u{i}) AS n{i}" for i in range(len(rows)))
    found = (await conn.execute_query_dict(f"WITH {', '.join(parts)} SELECT {counts}", params))[0]
    return tuple(found[f"n{i}"] > 0 for i in range(len(rows)))


async def _add(model: Any, column: str, when: dt.date, counter_id: int, service_code: str, delta: dict[str, int]) -> bool:
    """Add ``delta`` to the row of (counter, day or month, service); False when there is no such row yet.

    One prepared ``UPDATE`` written out here: it runs on every recorded transaction, and building
    it through the ORM's ``F()`` expressions cost more than the statement itself (docs/performance.md)."""
    conn = connections.get("default")
    changed = [m for m in MEASURES if delta[m]]
    when_value: Any = when if conn.capabilities.dialect == "postgres" else when.isoformat()
    sets = ", ".join(f'"{m}" = "{m}" + ?' for m in changed)
    sql = f'UPDATE "{model._meta.db_table}" SET {sets} WHERE "counter_id" = ? AND "{column}" = ? AND "service_code" = ?'
    rows, _ = await conn.execute_query(placeholders(conn, sql), [*(delta[m] for m in changed), counter_id, when_value, service_code])
    return rows > 0


async def _category(code: str) -> str:
    from emitra.core.plugins import get_host

    host = get_host()
    service = host.registry.get(code) or host.all_declared.get(code)
    return _value(service.category) if service is not None else ""


@dataclass(frozen=True)
class Key:
    counter_id: int
    business_date: dt.date
    service_code: str


async def recount(district_id: int | None = None, since: dt.date | None = None) -> dict[Key, dict[str, int]]:
    """The figures computed from the requests alone (what the daily table must equal)."""
    query = ServiceRequest.filter(status__in=[*COUNTED, CANCELLED])
    if district_id is not None:
        query = query.filter(district_id=district_id)
    out: dict[Key, dict[str, int]] = {}
    for request in await query.only("id", "counter_id", "business_date", "created_at", "service_code", "status", "principal_paise",
                                    "service_charge_paise", "citizen_total_paise", "charge_payer"):
        day = business_date_of(request)
        if since is not None and day < since:
            continue
        row = out.setdefault(Key(request.counter_id, day, request.service_code), {m: 0 for m in MEASURES})
        for m, v in _contribution(request, _value(request.status)).items():
            row[m] += v
    return {k: v for k, v in out.items() if any(v.values())}


async def stored(district_id: int | None = None, since: dt.date | None = None) -> dict[Key, dict[str, int]]:
    query = DailyFigure.all()
    if district_id is not None:
        query = query.filter(district_id=district_id)
    if since is not None:
        query = query.filter(business_date__gte=since)
    out = {}
    for row in await query:
        values = {m: int(getattr(row, m)) for m in MEASURES}
        if any(values.values()):
            out[Key(row.counter_id, row.business_date, row.service_code)] = values
    return out


async def differences(district_id: int | None = None) -> list[dict[str, Any]]:
    """Where the daily table and a recount disagree, or a monthly row and the sum of its days
    (``business_date`` is then the month, ``YYYY-MM``); empty when everything agrees."""
    a, b = await stored(district_id), await recount(district_id)
    out = []
    for key in sorted(set(a) | set(b), key=lambda k: (k.business_date, k.counter_id, k.service_code)):
        if a.get(key) != b.get(key):
            out.append({"counter_id": key.counter_id, "business_date": key.business_date.isoformat(), "service_code": key.service_code,
                        "stored": a.get(key), "recount": b.get(key)})
    months, sums = await stored_months(district_id), _by_month(a)
    for key in sorted(set(months) | set(sums), key=lambda k: (k.business_date, k.counter_id, k.service_code)):
        if months.get(key) != sums.get(key):
            out.append({"counter_id": key.counter_id, "business_date": key.business_date.isoformat()[:7], "service_code": key.service_code,
                        "stored": months.get(key), "recount": sums.get(key)})
    return out


def _by_month(daily: dict[Key, dict[str, int]]) -> dict[Key, dict[str, int]]:
    out: dict[Key, dict[str, int]] = {}
    for key, values in daily.items():
        row = out.setdefault(Key(key.counter_id, key.business_date.replace(day=1), key.service_code), {m: 0 for m in MEASURES})
        for m in MEASURES:
            row[m] += values[m]
    return {k: v for k, v in out.items() if any(v.values())}


async def stored_months(district_id: int | None = None) -> dict[Key, dict[str, int]]:
    """The monthly table, keyed like the daily one with the first day of the month."""
    query = MonthlyFigure.all() if district_id is None else MonthlyFigure.filter(district_id=district_id)
    out = {}
    for row in await query:
        values = {m: int(getattr(row, m)) for m in MEASURES}
        if any(values.values()):
            out[Key(row.counter_id, row.month, row.service_code)] = values
    return out


async def rollup_months(district_id: int | None = None) -> int:
    """Replace the monthly table by the sums of the daily one (one ``INSERT ... SELECT``)."""
    from tortoise import connections

    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    month = "date_trunc('month', \"business_date\")::date" if postgres else "substr(\"business_date\", 1, 7) || '-01'"
    where = f' WHERE "district_id" = {int(district_id)}' if district_id is not None else ""
    measures = ", ".join(f'"{m}"' for m in MEASURES)
    sums = ", ".join(f'SUM("{m}")' for m in MEASURES)
    async with in_transaction() as tx:
        await tx.execute_query(f'DELETE FROM "monthly_figure"{where}')
        await tx.execute_query(
            f'INSERT INTO "monthly_figure" ("district_id", "lsp_id", "counter_id", "month", "service_code", "provider", "category", {measures}) '
            f'SELECT "district_id", MAX("lsp_id"), "counter_id", {month}, "service_code", MAX("provider"), MAX("category"), {sums} '
            f'FROM "daily_figure"{where} GROUP BY "district_id", "counter_id", {month}, "service_code"')
        rows = await tx.execute_query_dict(f'SELECT COUNT(*) AS n FROM "monthly_figure"{where}')
    return int(rows[0]["n"])


async def rebuild(district_id: int | None = None) -> int:
    """Replace the daily table by a recount (after a restore, or to adopt rows from before it existed)."""
    figures = await recount(district_id)
    counters = {c.id: c for c in await Counter.all()}
    categories: dict[str, str] = {}
    providers = dict(await ServiceRequest.all().distinct().values_list("service_code", "provider"))
    async with in_transaction():
        query = DailyFigure.all() if district_id is None else DailyFigure.filter(district_id=district_id)
        await query.delete()
        for key, values in figures.items():
            counter = counters[key.counter_id]
            if key.service_code not in categories:
                categories[key.service_code] = await _category(key.service_code)
            await DailyFigure.create(district_id=counter.district_id, lsp_id=counter.lsp_id, counter_id=counter.id,
                                     business_date=key.business_date, service_code=key.service_code,
                                     provider=providers.get(key.service_code, "")[:200], category=categories[key.service_code], **values)
        await rollup_months(district_id)
    return len(figures)


def today() -> dt.date:
    return clock.today()


def periods(kind: str, start: dt.date, end: dt.date) -> Iterable[tuple[dt.date, dt.date]]:
    """Consecutive days, ISO weeks (Monday to Sunday) or calendar months covering [start, end]."""
    if kind == "day":
        d = start
        while d <= end:
            yield d, d
            d += dt.timedelta(days=1)
    elif kind == "week":
        d = start - dt.timedelta(days=start.weekday())
        while d <= end:
            yield d, d + dt.timedelta(days=6)
            d += dt.timedelta(days=7)
    elif kind == "month":
        d = start.replace(day=1)
        while d <= end:
            nxt = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            yield d, nxt - dt.timedelta(days=1)
            d = nxt
    else:
        raise ValueError(f"period must be day, week or month, not {kind!r}")

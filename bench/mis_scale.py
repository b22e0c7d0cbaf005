#!/usr/bin/env python
"""A month's MIS report on a district of 10 million transactions (target: under 0.2 s).

The reports read the pre-aggregated figures (one row per counter, service and business day, and
one per counter, service and month, kept by the counter code as each transaction is recorded,
docs/reports.md) and the case table; they never read the requests. So this suite builds what 10M transactions leave in *those* tables: the
daily figures of a district of ``--counters`` counters over ``--days`` days whose transaction counts
add up to exactly 10M (a realistic mix: busy urban LokMitra centres, quiet kiosks, bills far more
often than certificates, weekly and seasonal rhythm), and one case per application or grievance
among them (about 8 %, most closed, some open, breached or escalated). It does not write the 10M
requests and their ledger entries: no report reads them (bench/money_scale.py builds those, at 1M).

Timed, each as the median of several runs after a warm-up:

- the report page a Society admin opens for last month, ``GET /reports`` grouped by counter
  (figures + case figures + the page), through the whole ASGI app in-process with a logged-in session;
- the same month by service and day (the trend), and by department (the core queries alone, info);
- baseline: the least the database must do for that month, one ``SELECT SUM(...)`` over the same
  rows by the raw driver (the ratio is given for information).

    .venv/bin/python bench/mis_scale.py [--quick] [--database-url URL] [--json PATH]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, parser, setup_environment, temp_dir, wipe, write  # noqa: E402

TARGET_S = 0.2
MEASURE_COLS = ["transactions", "principal_paise", "service_charge_paise", "citizen_total_paise",
                "charge_by_department_paise", "charge_by_partner_paise", "cancelled"]
# How often each kind of service is used, relative to one another (bills dominate, as in the paper's Table 2).
WEIGHT_BY_CATEGORY = {"bill": 60, "recharge": 12, "certificate": 6, "application": 4, "grievance": 2, "ticket": 5,
                      "insurance": 4, "counter": 7}
SERVICES_PER_COUNTER = 8  # a counter's regular services (of the 24 installed); its figures rows per day
APPLICATION_CATEGORIES = {"certificate", "application"}


def _value(x):
    return getattr(x, "value", x)


async def build(transactions: int, counters: int, days: int, seed: int, progress: bool = True) -> dict:
    """Counters, LSPs and daily figures summing to ``transactions``, and their cases. Returns the facts."""
    from tqdm import tqdm

    from emitra.core.models import LSP, Citizen, Counter, CounterKind, District, User
    from emitra.core.plugins import get_host

    rng = random.Random(seed)
    district = await District.get(code="JP")
    host = get_host()
    services = sorted(host.registry, key=lambda s: s.code)
    weights = [WEIGHT_BY_CATEGORY.get(_value(s.category), 3) for s in services]
    # the first LSP is the demo's (its admin, ``lsp``, opens the LSP's report page); the others are new
    demo_lsp = await LSP.get(id=(await User.get(username="lsp")).lsp_id)
    lsps = [demo_lsp, *[await LSP.create(district=district, name=f"Bench LSP {i + 1}") for i in range(1, max(2, counters // 25))]]
    made = []
    for i in range(counters):
        kind = CounterKind.LOKMITRA if i % 3 == 0 else CounterKind.JANMITRA
        made.append(Counter(district=district, lsp=lsps[i % len(lsps)], code=f"JP-B-{i + 1:05d}", name=f"Bench counter {i + 1}",
                            kind=kind, owner_name=f"Owner {i + 1}"))
    await Counter.bulk_create(made, batch_size=1000)
    rows_counters = await Counter.filter(code__startswith="JP-B-").order_by("id").values_list("id", "lsp_id", "kind")
    # Each counter's share: lognormal (a few very busy centres, many quiet kiosks).
    share = [rng.lognormvariate(0, 0.8) * (2.0 if _value(kind) == "lokmitra" else 1.0) for _id, _lsp, kind in rows_counters]
    end = _last_day_of_last_month()
    start = end - dt.timedelta(days=days - 1)
    rhythm = [(1.15 if d.weekday() < 5 else 0.6) * (1 + 0.15 * math.sin(2 * math.pi * d.timetuple().tm_yday / 365))
              for d in (start + dt.timedelta(days=k) for k in range(days))]
    total_weight = sum(share) * sum(rhythm)
    fees = [_fee(s) for s in services]
    principals = [_principal(s) for s in services]
    payer = [_value(s.fee.payer) for s in services]

    conn = _conn()
    pg = _is_pg()
    columns = ["district_id", "lsp_id", "counter_id", "business_date", "service_code", "provider", "category", *MEASURE_COLS]
    buffer: list[tuple] = []
    cases: list[tuple] = []
    requests: list[tuple] = []
    # each case's request (its payment at the counter where it was filed): an LSP's or a counter's report
    # counts a case as filed at its request's counter (decision 101); one in MOVED_EVERY cases has moved since
    paid_by = ((await Citizen.all().order_by("id").first()).id, (await User.get(username="operator1")).id)
    first_request = 1 + int((await conn.execute_query_dict('SELECT COALESCE(MAX("id"), 0) AS n FROM "service_request"'))[0]["n"])
    counter_ids = [cid for cid, _lsp, _kind in rows_counters]
    written = applications = 0
    remainder = 0.0
    bar = tqdm(total=transactions, unit="tx", unit_scale=True, desc="daily figures for", disable=not progress)
    # Each counter has its regular services, drawn by weight, and splits its day among them in
    # proportion (stochastically rounded): one figures row per service used that day.
    is_case = [_value(s.category) in APPLICATION_CATEGORIES or _value(s.category) == "grievance" for s in services]
    for (cid, lsp_id, _kind), weight in zip(rows_counters, share):
        offered: list[int] = []
        while len(offered) < SERVICES_PER_COUNTER:
            pick = rng.choices(range(len(services)), weights=weights)[0]
            if pick not in offered:
                offered.append(pick)
        mix_total = sum(weights[i] for i in offered)
        mix = [(i, weights[i] / mix_total) for i in offered]
        for k in range(days):
            expected = transactions * weight * rhythm[k] / total_weight + remainder
            n = int(expected)
            remainder = expected - n
            if n <= 0:
                continue
            day = start + dt.timedelta(days=k)
            used = 0
            for position, (index, fraction) in enumerate(mix):
                if position == len(mix) - 1:
                    count = n - used
                else:
                    x = n * fraction
                    count = min(n - used, int(x) + (rng.random() < x - int(x)))
                if count <= 0:
                    continue
                used += count
                s = services[index]
                fee, principal = fees[index], principals[index]
                cancelled = 1 if _value(s.category) == "ticket" and rng.random() < 0.05 else 0
                buffer.append((district.id, lsp_id, cid, day, s.code, s.provider[:200], _value(s.category), count,
                               principal * count, fee * count, (principal + (fee if payer[index] == "citizen" else 0)) * count,
                               fee * count if payer[index] == "department" else 0,
                               fee * count if payer[index] == "partner" else 0, cancelled))
                if is_case[index]:
                    for _ in range(count):
                        applications += 1
                        case = _case(rng, district.id, cid, s, day, applications, end, first_request + applications - 1)
                        requests.append(_request(district.id, cid, paid_by, s, case, principal, fee, payer[index]))
                        if applications % MOVED_EVERY == 0:  # moved to another counter since (onboarding.move_applications)
                            case = (*case[:3], rng.choice(counter_ids), *case[4:])
                        cases.append(case)
            written += n
            bar.update(n)
            if len(buffer) >= 20000:
                await _insert(conn, pg, "daily_figure", columns, buffer)
                buffer.clear()
            if len(cases) >= 20000:
                await _insert(conn, pg, "service_request", REQUEST_COLUMNS, requests)
                await _insert(conn, pg, "work_case", CASE_COLUMNS, cases)
                cases.clear()
                requests.clear()
    await _insert(conn, pg, "daily_figure", columns, buffer)
    await _insert(conn, pg, "service_request", REQUEST_COLUMNS, requests)
    await _insert(conn, pg, "work_case", CASE_COLUMNS, cases)
    bar.close()
    # the rounding above can leave a handful short: give them to the last counter's last day
    if written < transactions:
        await conn.execute_query(
            'UPDATE "daily_figure" SET "transactions" = "transactions" + ' + str(transactions - written)
            + ' WHERE "id" = (SELECT MAX("id") FROM "daily_figure")')
    from emitra.core import mis

    await mis.rollup_months()  # the monthly figures, as the counter code keeps them beside the daily ones
    # PostgreSQL: vacuumed too, as autovacuum does after a load; its visibility map is what lets the
    # case figures be answered from their indexes alone (an index-only scan)
    await conn.execute_script("VACUUM ANALYZE" if pg else "ANALYZE")
    return {"counters": counters, "days": days, "start": start, "end": end, "cases": applications,
            "daily_rows": await _count(conn, "daily_figure"), "transactions": await _sum_transactions(conn)}


CASE_COLUMNS = ["number", "district_id", "kind", "counter_id", "request_id", "filed_counter_id", "service_code", "title_en", "title_hi", "desk", "department",
                "channel", "state", "state_since", "due_at", "level", "breached", "applicant_name", "mobile", "email", "lang",
                "subject", "body", "paper_documents", "created_at", "closed_at"]


MOVED_EVERY = 50  # one case in 50 moved to another counter after it was filed (a kiosk closed, say)
REQUEST_COLUMNS = ["id", "district_id", "idempotency_key", "counter_id", "operator_id", "citizen_id", "service_code",
                   "service_title_en", "service_title_hi", "provider", "form_data", "quote_details", "reference", "principal_paise",
                   "service_charge_paise", "charge_payer", "citizen_total_paise", "status", "department_ref", "business_date",
                   "message_lang", "created_at"]


def _request(district_id: int, counter_id: int, paid_by: tuple[int, int], s, case: tuple, principal: int, fee: int,
             payer: str) -> tuple:
    """The request a case was filed with: the case's id (its ``request_id``), counter, service and moment."""
    request_id, created = case[4], case[-2]
    day = created[:10] if isinstance(created, str) else created.date()
    return (request_id, district_id, f"bench-case-{request_id}", counter_id, paid_by[1], paid_by[0], s.code, s.title_en[:200],
            s.title_hi[:200], s.provider[:200], "{}", "[]", "", principal, fee, payer, principal + (fee if payer == "citizen" else 0),
            "submitted", "", day if _is_pg() else str(day), "hi", created)


def _case(rng: random.Random, district_id: int, counter_id: int, s, day: dt.date, n: int, today: dt.date, request_id: int) -> tuple:
    kind = "grievance" if _value(s.category) == "grievance" else "application"
    created = dt.datetime.combine(day, dt.time(10, 0), dt.timezone.utc) + dt.timedelta(minutes=rng.randrange(480))
    sla = dt.timedelta(days=s.sla_days or 15)
    age = (today - day).days
    closed = None
    state = "forwarded"
    if age > 2 and rng.random() < 0.97:  # most are decided; recent ones are still open
        closed = created + dt.timedelta(days=rng.uniform(1, min(age, sla.days * 1.3)))
        state = "collected" if kind == "application" else "resolved"
    breached = (closed or dt.datetime.combine(today, dt.time(12), dt.timezone.utc)) - created > sla
    level = 2 if breached and rng.random() < 0.5 else 1
    if _is_pg():
        when = (created, created + sla, closed)
    else:
        when = tuple(x.isoformat(" ") if x else None for x in (created, created + sla, closed))
    return (f"B{n:010d}", district_id, kind, counter_id, request_id, counter_id, s.code, s.title_en[:200], s.title_hi[:200], "department",
            s.provider[:200], "counter", state, when[0], when[1], level, breached, "", "", "", "hi", "", "", "[]", when[0], when[2])


def _fee(service) -> int:
    fee = getattr(service.fee, "fee_paise", None)
    return int(fee) if fee is not None else 500


def _principal(service) -> int:
    example_amount = {"bill": 120000, "recharge": 19900, "ticket": 45000, "insurance": 250000}.get(_value(service.category))
    return example_amount or 0


def _last_day_of_last_month() -> dt.date:
    return dt.date.today().replace(day=1) - dt.timedelta(days=1)


def _conn():
    from tortoise import connections

    return connections.get("default")


def _is_pg() -> bool:
    import os

    return os.environ["EMITRA_DATABASE_URL"].startswith("postgres://")


async def _insert(conn, pg: bool, table: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    if pg:
        async with conn.acquire_connection() as raw:
            await raw.copy_records_to_table(table, records=rows, columns=columns)
        return
    cols = ",".join(f'"{c}"' for c in columns)
    marks = ",".join("?" * len(columns))
    async with conn.acquire_connection() as raw:
        await raw.execute("BEGIN")
        await raw.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',
                              [tuple(str(v) if isinstance(v, dt.date) else v for v in row) for row in rows])
        await raw.execute("COMMIT")


async def _count(conn, table: str) -> int:
    return int((await conn.execute_query_dict(f'SELECT COUNT(*) AS n FROM "{table}"'))[0]["n"])


async def _sum_transactions(conn) -> int:
    return int((await conn.execute_query_dict('SELECT SUM("transactions") AS n FROM "daily_figure"'))[0]["n"])


async def timed(fn, runs: int) -> tuple[float, list[float]]:
    await fn()  # warm-up (plans, caches)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


async def measure(facts: dict, runs: int) -> list[Figure]:
    from emitra.core import reports
    from emitra.core.models import Counter, District, User
    from emitra.web.app import create_app

    db_name = "PostgreSQL" if _is_pg() else "SQLite"
    month_end = facts["end"]
    month_start = month_end.replace(day=1)
    district = await District.get(code="JP")
    scope = reports.Scope(district_id=district.id)
    conn = _conn()

    app = create_app()
    url = f"/reports?from={month_start}&to={month_end}&by=counter"
    page_s, page_times = await _page_timed(app, "society", url, runs)
    # an LSP admin's report of its own counters: cases counted as filed where they were paid (decision 101)
    lsp_s, lsp_times = await _page_timed(app, "lsp", url, runs)
    lsp_id = (await User.get(username="lsp")).lsp_id
    lsp_scope = reports.Scope(district_id=district.id, lsp_id=lsp_id)

    async def by_service_day():
        await reports.figures(scope, month_start, month_end, "service", "day")

    async def by_department_cases():
        await reports.case_figures(scope, month_start, month_end, "department")

    async def lsp_cases():
        await reports.case_figures(lsp_scope, month_start, month_end, "department")

    async def baseline():
        await conn.execute_query_dict(
            'SELECT SUM("transactions"), SUM("principal_paise"), SUM("service_charge_paise"), SUM("citizen_total_paise") '
            'FROM "daily_figure" WHERE "district_id" = ' + str(district.id)
            + f" AND \"business_date\" >= '{month_start}' AND \"business_date\" <= '{month_end}'")

    trend_s, _t = await timed(by_service_day, runs)
    cases_s, _t = await timed(by_department_cases, runs)
    lsp_cases_s, _t = await timed(lsp_cases, runs)
    base_s, _t = await timed(baseline, runs)
    month_rows = (await conn.execute_query_dict(
        f"SELECT COUNT(*) AS n, SUM(\"transactions\") AS t FROM \"daily_figure\" WHERE \"business_date\" >= '{month_start}'"
        f" AND \"business_date\" <= '{month_end}'"))[0]
    detail = {"transactions_in_district": facts["transactions"], "daily_rows": facts["daily_rows"], "cases": facts["cases"],
              "counters": facts["counters"], "days": facts["days"], "month": str(month_start)[:7],
              "month_rows": int(month_rows["n"]), "month_transactions": int(month_rows["t"] or 0),
              "runs_s": [round(t, 4) for t in page_times]}
    millions = facts["transactions"] / 1e6
    lsp_counters = await Counter.filter(lsp_id=lsp_id).count()
    return [
        Figure("mis", f"month's MIS report page by counter, {millions:g}M transactions ({db_name})", page_s, "s",
               f"< {TARGET_S} s", page_s < TARGET_S, detail=detail),
        Figure("mis", f"  ratio to a raw SUM over the month's daily rows ({db_name})", page_s / base_s, "ratio", "-", None,
               baseline=base_s, detail={"baseline_s": base_s}),
        Figure("mis", f"  month by service and day, core query ({db_name})", trend_s, "s", "-", None),
        Figure("mis", f"  month's case figures by department, core query ({db_name})", cases_s, "s", "-", None),
        Figure("mis", f"an LSP's month's MIS report page ({lsp_counters} of {facts['counters']} counters, {db_name})", lsp_s, "s",
               f"< {TARGET_S} s", lsp_s < TARGET_S, detail={"runs_s": [round(t, 4) for t in lsp_times]}),
        Figure("mis", f"  the LSP's case figures by department, core query ({db_name})", lsp_cases_s, "s", "-", None),
    ]


async def _facts_of_existing(args) -> dict:
    """The facts of a district built by an earlier run (``--reuse``: profile without rebuilding)."""
    conn = _conn()
    row = (await conn.execute_query_dict('SELECT MIN("business_date") AS a, MAX("business_date") AS b FROM "daily_figure"'))[0]
    end = dt.date.fromisoformat(str(row["b"])[:10])
    return {"counters": await _count(conn, "counter"), "days": (end - dt.date.fromisoformat(str(row["a"])[:10])).days + 1,
            "start": dt.date.fromisoformat(str(row["a"])[:10]), "end": end, "cases": await _count(conn, "work_case"),
            "daily_rows": await _count(conn, "daily_figure"), "transactions": await _sum_transactions(conn)}


async def _page_timed(app, username: str, url: str, runs: int) -> tuple[float, list[float]]:
    """The median time of ``url`` through the whole ASGI app, logged in as ``username`` (a bench counter must show)."""
    import httpx2 as httpx  # starlette 1.x's test client library (the test extra)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        login = await client.get("/login")
        r = await client.post("/login", data={"username": username, "password": "emitra-demo", "csrf_token": _csrf(login.text)})
        assert r.status_code == 303, r.text[:500]

        async def page():
            response = await client.get(url)
            assert response.status_code == 200, response.text[:500]
            return response

        sample = await page()
        assert "JP-B-" in sample.text, f"{username}'s report shows no bench counter"
        return await timed(page, runs)


def _csrf(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the login page"
    return found.group(1)


async def main_async(args) -> list[Figure]:
    from tortoise import Tortoise

    from emitra.core import db, demo

    url = args.url
    if not args.reuse:
        await wipe(url)
    await db.migrate(url)
    await Tortoise.init(config=db.tortoise_config(url))
    try:
        t0 = time.perf_counter()
        if args.reuse and await _count(_conn(), "daily_figure"):
            facts = await _facts_of_existing(args)
        else:
            await demo.load()
            facts = await build(args.transactions, args.counters, args.days, args.seed, progress=not args.no_progress)
        built = time.perf_counter() - t0
        print(f"built {facts['transactions']:,} transactions' figures: {facts['daily_rows']:,} daily rows, "
              f"{facts['cases']:,} cases, {facts['counters']} counters over {facts['days']} days in {built:.0f} s", file=sys.stderr)
        assert facts["transactions"] == args.transactions, facts
        figures = await measure(facts, args.runs)
        figures[0].detail["build_s"] = round(built, 1)
        return figures
    finally:
        await Tortoise.close_connections()


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--transactions", type=int, default=None, help="transactions in the district (default 10M; quick 200k)")
    p.add_argument("--counters", type=int, default=None, help="counters (default 600; quick 60)")
    p.add_argument("--days", type=int, default=365, help="days of history (default 365: a year)")
    p.add_argument("--runs", type=int, default=7, help="timed runs of each query (the median is reported)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--reuse", action="store_true",
                   help="keep the district an earlier run built in --database-url (not wiped; for profiling)")
    args = p.parse_args(argv)
    args.transactions = args.transactions or (200_000 if args.quick else 10_000_000)
    args.counters = args.counters or (60 if args.quick else 600)
    if args.quick:
        args.days = min(args.days, 120)
    tmp = temp_dir()
    args.url = setup_environment(args.database_url, tmp)
    figures = asyncio.run(main_async(args))
    write(figures, args.json)
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())

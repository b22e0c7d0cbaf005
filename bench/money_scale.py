#!/usr/bin/env python
"""Day end, settlement and weekly reconciliation at scale: 100k and 1M transactions (quick: 10k and 100k).

    .venv/bin/python bench/money_scale.py [--quick] [--database-url URL] [--json PATH] [--sizes N,M] [--profile DIR]

For each size the database is wiped and a district generated (``bench/generate.py``: 100 counters,
four weeks, the realistic mix). Then, each in a FRESH process so that its peak memory is its own:

1. **day end and settlement** (timed): every counter closes every day it took cash, in order,
   through ``core.dayend.close_days`` (what ``close_day`` does, for every counter of a day at once),
   the drawer counted as expected except at a few counters short by ₹10; and the Society's
   settlement (``core.settlement.settle``) runs every morning at 06:00 for the day before.
2. the bank statements (a CSV per day) and Stripe's balance transactions (a JSON file per day)
   of the period are written from the books (``generate.bank_statement_files``, not timed);
3. **weekly reconciliation** (timed): for each week, its Stripe files and bank files imported
   (``core.reconcile.import_*``) and the week reconciled and recorded (``core.reconcile.reconcile``,
   confirming the matched deposits). At both sizes with its Stripe side in a worker process
   (``EMITRA_RECONCILE_WORKER=always`` unless the environment says otherwise; decision 153): left
   to ``auto``, a week of the small size would stay in one process and the large size's in two, and
   the memory figure would compare one process with two.

Figures: the total of the timed steps at the large size (target: under 30 s on SQLite, under 15 s
on PostgreSQL), each step's time, and the ratio of the steps' peak memory at the large size to
that at the small one (target: under 1.5: memory must not grow with the number of transactions).
The baseline, timed in the same process on the same database: one SQL aggregate over every
posting of the period (what the day end must at least read); the ratio of the total to it is
given for information.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402
import generate  # noqa: E402

SIZES = (100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
COUNTERS, DAYS = 100, 28
TARGET_SECONDS = {"sqlite": 30.0, "postgres": 15.0}
MEMORY_RATIO = 1.5
SHORT_EVERY = 37  # every 37th counter-day is ₹10 short


# --------------------------------------------------------------------------------------------
# The steps, each run in a process of its own: python bench/money_scale.py --step NAME ...


async def _connect(url: str) -> None:
    from tortoise import Tortoise

    from emitra.core.db import tortoise_config
    from emitra.core.plugins import get_host

    await Tortoise.init(config=tortoise_config(url))
    get_host()


async def step_money(plan: generate.Plan) -> dict[str, Any]:
    """The day ends of every counter-day, then the morning settlements; timed apart."""
    from emitra.core import audit, dayend, settlement
    from emitra.core.models import Counter, LedgerEntry, User

    society = audit.Actor(await User.get(username="society"), via="cli")
    counters = list(await Counter.filter(code__contains="-B").order_by("id"))
    operators = {u.counter_id: u for u in await User.filter(counter_id__in=[c.id for c in counters])}
    now = dayend.day_end_at(plan.end) + dt.timedelta(hours=2)  # the evening after the last day
    closed = short = 0
    began = time.perf_counter()
    for n in range(plan.days):
        day = plan.start + dt.timedelta(days=n)
        figures = await dayend.figures_for_day(counters, day, now)  # what each operator's page shows
        closings = []
        for i, counter in enumerate(counters):
            fig = figures[counter.id]
            if fig.expected_paise == 0 and not fig.entries:
                continue  # no cash that day: nothing to close
            counted = fig.expected_paise
            if (n * len(counters) + i) % SHORT_EVERY == 0 and counted >= 1000:
                counted -= 1000
                short += 1
            closings.append((audit.Actor(operators[counter.id], via="cli"), counter, counted))
        closed += len(await dayend.close_days(day, closings, now))
    dayend_s = time.perf_counter() - began
    settle_s, settled, late = 0.0, 0, 0
    for n in range(plan.days):
        morning = dayend.day_start(plan.start + dt.timedelta(days=n + 1)) + dt.timedelta(hours=6)
        mark = await LedgerEntry.all().order_by("-id").first().values_list("id", flat=True)
        began = time.perf_counter()
        report = await settlement.settle(society, morning)
        settle_s += time.perf_counter() - began
        settled += len(report.items)
        late += len(report.late)
        # not timed: the run's entries dated when it ran (the morning), as a daily cron job's would be
        await LedgerEntry.filter(id__gt=mark, idempotency_key__startswith="settle:").update(created_at=morning)
    return {"dayend_s": dayend_s, "settle_s": settle_s, "day_ends": closed, "short": short, "settled": settled, "late": late}


async def step_statements(plan: generate.Plan, folder: Path) -> dict[str, Any]:
    return await generate.write_statements(plan, folder)


async def step_reconcile(plan: generate.Plan, folder: Path) -> dict[str, Any]:
    from emitra.core import audit, reconcile
    from emitra.core.models import District, User

    society = audit.Actor(await User.get(username="society"), via="cli")
    district = await District.get(code="JP")
    began = time.perf_counter()
    weeks, imported, problems = [], 0, []
    monday = plan.start
    while monday <= plan.end:
        sunday = monday + dt.timedelta(days=6)
        for source in ("stripe", "bank"):
            for path in sorted(folder.glob(f"{source}-*")):
                day = dt.date.fromisoformat(path.stem.split("-", 1)[1])
                if monday <= day <= sunday:
                    data = path.read_bytes()
                    if source == "bank":
                        await reconcile.import_bank_statement(society, district.id, data, path.name)
                    else:
                        await reconcile.import_stripe_transactions(society, district.id, data, path.name)
                    imported += 1
        report = await reconcile.reconcile(society, district.id, monday, sunday, confirm_deposits=True)
        weeks.append({"week": monday.isoformat(), "ok": report.ok, "matched": report.matched_count, "differing": len(report.differing),
                      "unmatched_statement": len(report.unmatched_statement), "unmatched_ledger": len(report.unmatched_ledger),
                      "confirmed": len(report.confirmed)})
        problems += [str(p) for p in report.problems]
        monday += dt.timedelta(days=7)
    return {"reconcile_s": time.perf_counter() - began, "files": imported, "weeks": weeks, "problems": problems[:10]}


async def step_baseline(plan: generate.Plan) -> dict[str, Any]:
    """What the day end must at least read: the period's postings, summed per account in one query."""
    from emitra.core import dayend, ledger

    lo, hi = dayend.day_start(plan.start), dayend.day_end_at(plan.end)
    best = None
    for _ in range(3):
        began = time.perf_counter()
        rows = await ledger.rows(
            'SELECT p."account" AS account, SUM(p."amount_paise") AS total, COUNT(*) AS n FROM "ledger_entry" e '
            'JOIN "posting" p ON p."entry_id" = e."id" WHERE e."created_at" >= ? AND e."created_at" < ? GROUP BY p."account"', [lo, hi])
        took = time.perf_counter() - began
        best = took if best is None else min(best, took)
    return {"baseline_s": best, "accounts": len(rows), "postings": sum(int(r["n"]) for r in rows)}


async def _step(name: str, plan: generate.Plan, url: str, folder: Path, profile: Path | None = None) -> dict[str, Any]:
    from tortoise import Tortoise

    await _connect(url)
    profiler = None
    if profile is not None and name in ("money", "reconcile"):  # the timed steps
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled", interval=0.002)
        profiler.start()
    try:
        if name == "money":
            out = await step_money(plan)
        elif name == "statements":
            out = await step_statements(plan, folder)
        elif name == "reconcile":
            out = await step_reconcile(plan, folder)
        else:
            out = await step_baseline(plan)
    finally:
        await Tortoise.close_connections()
        if profiler is not None:
            profiler.stop()
            profile.mkdir(parents=True, exist_ok=True)
            tag = f"{name}-{plan.transactions}"
            (profile / f"{tag}.txt").write_text(profiler.output_text(unicode=True, color=False))
            (profile / f"{tag}.html").write_text(profiler.output_html())
    out["peak_rss_mib"] = common.peak_rss_mib()
    return out


PROFILE: Path | None = None  # --profile DIR: each timed step's pyinstrument profile is written there


def run_step(name: str, plan: generate.Plan, url: str, folder: Path) -> dict[str, Any]:
    """Run one step in a fresh process (the same environment) and return what it printed."""
    cmd = [sys.executable, __file__, "--step", name, "--plan", json.dumps({**plan.__dict__, "start": plan.start.isoformat()}),
           "--folder", str(folder), "--database-url", url] + (["--profile", str(PROFILE)] if PROFILE else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"step {name} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# The suite


def measure(size: int, url: str, data_dir: Path) -> dict[str, Any]:
    plan = generate.Plan(COUNTERS, size, DAYS, generate.default_start(DAYS))
    print(f"money: generating {size:,} transactions at {COUNTERS} counters over {DAYS} days", file=sys.stderr)
    # in a process of its own too: the plugins' sandboxes (RSRTC's seats) start afresh for each size
    done = subprocess.run([sys.executable, str(HERE / "generate.py"), "--counters", str(plan.counters), "--transactions", str(size),
                           "--days", str(plan.days), "--start", plan.start.isoformat(), "--database-url", url],
                          stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"generating {size} transactions failed (exit {done.returncode})")
    built = json.loads(done.stdout.strip().splitlines()[-1])
    folder = data_dir / f"statements-{size}"
    folder.mkdir(exist_ok=True)
    baseline = run_step("baseline", plan, url, folder)
    money = run_step("money", plan, url, folder)
    statements = run_step("statements", plan, url, folder)
    os.environ.setdefault("EMITRA_RECONCILE_WORKER", "always")  # the same processes at every size (the docstring)
    rec = run_step("reconcile", plan, url, folder)
    total = money["dayend_s"] + money["settle_s"] + rec["reconcile_s"]
    return {"size": size, "built": built, "baseline": baseline, "money": money, "statements": statements, "reconcile": rec,
            "total_s": total, "peak_rss_mib": max(money["peak_rss_mib"], rec["peak_rss_mib"])}


def figures(small: dict[str, Any], large: dict[str, Any], url: str) -> list[common.Figure]:
    db = "PostgreSQL" if url.startswith("postgres://") else "SQLite"
    limit = TARGET_SECONDS["postgres" if db == "PostgreSQL" else "sqlite"]
    n = f"{large['size'] // 1000:,}k" if large["size"] < 1_000_000 else f"{large['size'] // 1_000_000}M"
    full = large["size"] >= 1_000_000  # the targets are for 1M (and 100k against 1M for memory)
    out = [common.Figure("money", f"day end + settlement + weekly reconciliation, {n} transactions, {db}", large["total_s"], "s",
                         f"< {limit:g} s" + ("" if full else " at 1M: not run at this size"),
                         common.at_most(large["total_s"], limit) if full else None,
                         detail={"counters": COUNTERS, "days": DAYS, "day_ends": large["money"]["day_ends"],
                                 "settled": large["money"]["settled"], "weeks": large["reconcile"]["weeks"],
                                 "problems": large["reconcile"]["problems"]})]
    for key, what in (("dayend_s", "day end of every counter-day"), ("settle_s", "settlement, every morning"),
                      ("reconcile_s", "weekly reconciliation (import + reconcile)")):
        value = large["money"].get(key, large["reconcile"].get(key))
        out.append(common.Figure("money", f"  {what}, {n}, {db}", value, "s", "", None))
    ratio = large["peak_rss_mib"] / small["peak_rss_mib"]
    out.append(common.Figure("money", f"peak memory {n} / {small['size'] // 1000:,}k transactions, {db}", ratio, "ratio",
                             f"< {MEMORY_RATIO:g}" + ("" if full else " (1M / 100k)"), common.at_most(ratio, MEMORY_RATIO) if full else None,
                             baseline=small["peak_rss_mib"],
                             detail={"large_mib": large["peak_rss_mib"], "small_mib": small["peak_rss_mib"]}))
    base = large["baseline"]["baseline_s"]
    out.append(common.Figure("money", f"  total / one SQL aggregate over the period's {large['baseline']['postings']:,} postings, {db}",
                             large["total_s"] / base, "ratio", "", None, baseline=base))
    return out


def main(argv: list[str] | None = None) -> None:
    p = common.parser(__doc__)
    p.add_argument("--step", choices=["money", "statements", "reconcile", "baseline"], help=argparse_hidden())
    p.add_argument("--plan", help=argparse_hidden())
    p.add_argument("--folder", help=argparse_hidden())
    p.add_argument("--sizes", help="comma-separated sizes instead of the defaults, e.g. 20000,200000")
    p.add_argument("--profile", metavar="DIR", help="write a pyinstrument profile of each timed step to DIR/<step>-<size>.txt and "
                                                     ".html (the profiler slows the steps: the times printed are then not figures)")
    args = p.parse_args(argv)
    profile = Path(args.profile).resolve() if args.profile else None
    if args.step:  # inside a step's own process: the environment is the parent's
        raw = json.loads(args.plan)
        plan = generate.Plan(raw["counters"], raw["transactions"], raw["days"], dt.date.fromisoformat(raw["start"]), raw["seed"])
        print(json.dumps(asyncio.run(_step(args.step, plan, args.database_url, Path(args.folder), profile)), default=str))
        return
    global PROFILE
    PROFILE = profile
    data_dir = common.temp_dir()
    url = common.setup_environment(args.database_url, data_dir)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (QUICK_SIZES if args.quick else SIZES)
    results = [measure(size, url, data_dir) for size in sizes]
    for r in results:
        print(json.dumps({k: v for k, v in r.items() if k != "statements"}, default=str), file=sys.stderr)
    common.write(figures(results[0], results[-1], url), args.json)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()

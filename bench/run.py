#!/usr/bin/env python
"""Every benchmark of emitra, each figure printed beside its target (``make bench``).

    .venv/bin/python bench/run.py                  # everything, SQLite and PostgreSQL (tens of minutes)
    .venv/bin/python bench/run.py --quick          # small sizes: checks the suites themselves run (minutes)
    .venv/bin/python bench/run.py --only mis,startup
    .venv/bin/python bench/run.py --sqlite-only

Each suite runs in a process of its own (``bench/<suite>.py``, runnable alone the same way), on a
temporary SQLite file and on the PostgreSQL database named by ``--postgres-url``, which is WIPED
(created first when missing). The figures go to ``bench/results/<time>.json`` and
``bench/results/latest.json``; the exit status is 1 when a target is missed or a suite could not
run. What each suite measures and why its baseline: bench/README.md; the figures and what limits
them: docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, Figure, normalise_url, print_table  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/emitra_bench"
# suite -> (script, runs on PostgreSQL too)
SUITES = {
    "startup": ("startup.py", False),
    "counter": ("counter_path.py", True),
    "http": ("http_load.py", True),
    "money": ("money_scale.py", True),
    "mis": ("mis_scale.py", True),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke test of every suite")
    p.add_argument("--only", default="", help=f"comma-separated suites among {', '.join(SUITES)}")
    p.add_argument("--sqlite-only", action="store_true", help="skip the PostgreSQL runs")
    p.add_argument("--money-sizes", default="", metavar="N,M",
                   help="sizes for the money suite instead of 100k,1M (its targets are judged at 1M only)")
    p.add_argument("--postgres-url", default=os.environ.get("EMITRA_BENCH_DATABASE_URL", DEFAULT_PG),
                   help=f"a PostgreSQL database to WIPE and use (default {DEFAULT_PG}; created when missing)")
    return p.parse_args(argv)


def ensure_pg_database(url: str) -> str | None:
    """Create the database when missing; return why PostgreSQL cannot be used, or None."""
    import asyncio

    import asyncpg

    async def go() -> None:
        dsn = url.replace("postgres://", "postgresql://", 1)
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
        except asyncpg.InvalidCatalogNameError:
            base, name = dsn.rsplit("/", 1)
            admin = await asyncpg.connect(base + "/postgres", timeout=5)
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
            finally:
                await admin.close()
            return
        await conn.close()

    try:
        asyncio.run(go())
    except Exception as exc:  # unreachable, refused, no rights: say so and skip those runs
        return f"{type(exc).__name__}: {exc}"
    return None


def run_suite(suite: str, script: str, database_url: str, quick: bool, label: str,
              extra: list[str] | None = None) -> tuple[list[Figure], float, str]:
    out = Path(tempfile.mkstemp(prefix=f"emitra-bench-{suite}-", suffix=".json")[1])
    cmd = [sys.executable, str(HERE / script), "--json", str(out), *(extra or [])]
    if quick:
        cmd.append("--quick")
    if database_url:
        cmd += ["--database-url", database_url]
    print(f"\n== {suite} on {label}: {' '.join(Path(c).name if i < 2 else c for i, c in enumerate(cmd))}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True)
    elapsed = time.perf_counter() - t0
    figures: list[Figure] = []
    try:
        if out.stat().st_size:
            figures = [Figure(**row) for row in json.loads(out.read_text())]
    finally:
        out.unlink(missing_ok=True)
    problem = ""
    if not figures:
        problem = f"{suite} on {label} wrote no figures (exit status {proc.returncode}); its output:\n{proc.stdout[-3000:]}"
        figures = [Figure(suite, f"{suite} suite ({label})", float("nan"), "", "runs", False, detail={"error": problem})]
    print(f"   {len(figures)} figure(s) in {elapsed:.0f} s", flush=True)
    return figures, elapsed, problem


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SUITES)
    unknown = [s for s in chosen if s not in SUITES]
    if unknown:
        sys.exit(f"--only: unknown suite(s) {', '.join(unknown)}; choose among {', '.join(SUITES)}")
    pg_url = normalise_url(args.postgres_url)
    pg_problem = None if args.sqlite_only else ensure_pg_database(pg_url)
    started = time.perf_counter()
    figures: list[Figure] = []
    problems: list[str] = []
    for suite in chosen:
        script, on_pg = SUITES[suite]
        runs = [("", "SQLite")]
        if on_pg and not args.sqlite_only:
            runs.append((pg_url, "PostgreSQL"))
        for url, label in runs:
            if label == "PostgreSQL" and pg_problem:
                figures.append(Figure(suite, f"{suite} suite (PostgreSQL)", float("nan"), "", "runs", False,
                                      detail={"error": pg_problem}))
                problems.append(f"{suite} on PostgreSQL not run: {pg_problem}")
                continue
            extra = ["--sizes", args.money_sizes] if suite == "money" and args.money_sizes else []
            got, _elapsed, problem = run_suite(suite, script, url, args.quick, label, extra)
            figures += got
            if problem:
                problems.append(problem)
    elapsed = time.perf_counter() - started
    missed = [f for f in figures if f.ok is False]
    print(f"\nemitra benchmarks ({'quick sizes: NOT the targets' if args.quick else 'full'}), "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {elapsed / 60:.1f} min\n")
    print_table(figures)
    for problem in problems:
        print(f"\n{problem}")
    met = sum(f.ok is True for f in figures)
    print(f"\n{met} target(s) met, {len(missed)} missed" + (f": {', '.join(f.name.strip() for f in missed)}" if missed else ""))
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    record = {"when": stamp, "quick": args.quick, "python": platform.python_version(), "cpus": os.cpu_count(),
              "machine": platform.machine(), "minutes": round(elapsed / 60, 1), "figures": [asdict(f) for f in figures]}
    text = json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n"
    name = f"{stamp}{'-quick' if args.quick else ''}.json"
    (RESULTS / name).write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print(f"figures written to bench/results/{name} and bench/results/latest.json")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

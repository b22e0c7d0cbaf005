#!/usr/bin/env python
"""The counter transaction over HTTP on loopback, under a real load tool, against a bare baseline.

    .venv/bin/python bench/http_load.py --quick                       # a few seconds a phase, SQLite
    .venv/bin/python bench/http_load.py --database-url postgres://postgres@127.0.0.1:5432/bench_http
    .venv/bin/python bench/http_load.py --quick --profile /tmp/prof   # the app under pyinstrument

The database is WIPED, migrated and loaded with the Jaipur demo district. Two uvicorn servers run
on free loopback ports, one worker each, no access log: the app (``emitra.web.app:create_app``) and
the baseline (``bench/baseline_app.py``: one bare endpoint writing the same rows through the same
ORM in one database transaction). Locust (``bench/locustfile.py``, FastHttpUser, headless) drives
them:

1. maximum throughput: ``--users`` users without any wait, the baseline and the app in turn,
   ``--rounds`` times (so that a noisy neighbour hits both alike); the figure is the ratio of the
   app's requests per second to the baseline's (target >= 0.6);
2. latency at half the app's maximum: the same users at a constant total rate of half what the app
   reached; the figure is the 99th percentile (target < 50 ms); p50 and p95 are kept as details; the
   baseline is run the same way at half its own maximum, for information (the tail of this machine).

Each operator logs in once (``POST /api/v1/token``) and pays a JVVNL bill with a fresh idempotency
key per request (``POST /api/v1/transactions``): login session, form validation, policy, fee,
ledger entries, receipt, audit. Afterwards the books are checked with ``emitra ledger check`` and
the receipts in the database must equal the payments answered 201, each with its ledger entry.

Locust and the servers share this machine's cores: the absolute figures say as much about the
machine as about emitra; the ratio is what is compared with the target. Exit status 1 if a target
is missed. The figures and what limits them: docs/performance.md.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, at_least, at_most, parser, setup_environment, temp_dir, wipe, write  # noqa: E402

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "locustfile.py"
BIN = Path(sys.executable).parent
TARGET_RATIO = 0.6
TARGET_P99_MS = 50.0
OPERATOR_PREFIX = "bench-op-"  # the simulated operators' usernames (bench/locustfile.py logs in as them)

FULL = {"users": 16, "seconds": 15, "rounds": 2, "warmup": 4, "half_seconds": 30}
QUICK = {"users": 8, "seconds": 4, "rounds": 1, "warmup": 2, "half_seconds": 5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, body: dict[str, Any] | None = None, token: str = "") -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


class Server:
    """One uvicorn process (one worker, no access log) on a free loopback port."""

    def __init__(self, name: str, app: str, log_dir: Path, app_dir: Path | None = None, profile: Path | None = None):
        self.name, self.port, self.profile = name, free_port(), profile
        cmd = [sys.executable]
        if profile is not None:  # pyinstrument samples the server; its session is rendered when it stops
            cmd += ["-m", "pyinstrument", "-r", "pyisession", "-o", str(profile)]
        cmd += ["-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
                "--no-access-log", "--log-level", "warning"]
        if app_dir is not None:
            cmd += ["--app-dir", str(app_dir)]
        self.log = log_dir / f"{name}.log"
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("w"), stderr=subprocess.STDOUT, cwd=HERE.parent)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"{self.name} server exited ({self.proc.returncode}); its log:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit(f"{self.name} server did not answer on {self.url} within {timeout:.0f} s; its log:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly; pyinstrument then writes its session
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Run:
    """One locust run's figures for the ``transaction`` requests (after its users were spawned)."""

    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    tally: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def locust(server: Server, user_class: str, users: int, seconds: int, work: Path, rate_per_user: float = 0) -> Run:
    """Run locust headless against ``server``; stats are reset once every user is spawned."""
    prefix = work / f"locust-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "EMITRA_BENCH_RATE": str(rate_per_user), "EMITRA_BENCH_TALLY": f"{prefix}-tally.json"}
    cmd = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "-H", server.url, "-u", str(users), "-r", str(users),
           "-t", f"{seconds}s", "--csv", str(prefix), "--only-summary", "--reset-stats", "--stop-timeout", "10",
           "--loglevel", "WARNING", user_class]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    rows = {row["Name"]: row for row in csv.DictReader(Path(f"{prefix}_stats.csv").open())}
    row = rows.get("transaction")
    if row is None:
        sys.exit(f"locust made no request against {server.name} (exit {done.returncode}):\n{done.stderr[-3000:]}")
    errors = [f"{r['Occurrences']} x {r['Method']} {r['Name']}: {r['Error']}"
              for r in csv.DictReader(Path(f"{prefix}_failures.csv").open())]
    tally_path = Path(f"{prefix}-tally.json")
    return Run(int(row["Request Count"]), int(row["Failure Count"]), float(row["Requests/s"]), float(row["50%"]),
               float(row["95%"]), float(row["99%"]), json.loads(tally_path.read_text()) if tally_path.exists() else {}, errors)


async def prepare(url: str, operators: int) -> None:
    """An empty database, migrated, with the Jaipur demo district and ``operators`` more operators at
    operator1's counter (each simulated user logs in as its own operator, as at a real counter)."""
    from tortoise import Tortoise

    from emitra.core import db, demo
    from emitra.core.auth import hash_password
    from emitra.core.models import Role, User

    await wipe(url)
    await db.migrate(url)
    await Tortoise.init(config=db.tortoise_config(url))
    try:
        await demo.load()
        model = await User.get(username="operator1")
        password = hash_password("emitra-demo")
        for i in range(operators):
            await User.create(username=f"{OPERATOR_PREFIX}{i:02d}", password_hash=password, full_name=f"Bench operator {i}",
                              role=Role.OPERATOR, district_id=model.district_id, lsp_id=model.lsp_id, counter_id=model.counter_id)
    finally:
        await Tortoise.close_connections()


def first_transaction(app: Server) -> dict[str, Any]:
    """One payment through the API (the baseline copies its rows), and its replay: the same receipt."""
    status, body = _request(app.url + "/api/v1/token", {"username": "operator1", "password": "emitra-demo"})
    assert status == 200, (status, body)
    token = body["token"]
    payment = {"citizen": "JP000000017", "service_code": "gov.rj.jvvnl.bill", "form": {"k_number": "210412345678"},
               "payment": {"method": "cash", "amount_paise": 148350}, "idempotency_key": "first-" + uuid.uuid4().hex}
    status, receipt = _request(app.url + "/api/v1/transactions", payment, token)
    if status != 201 or not receipt.get("receipt_no"):
        sys.exit(f"the first payment through the API failed: {status} {receipt}")
    status, again = _request(app.url + "/api/v1/transactions", payment, token)
    if status != 200 or again.get("receipt_no") != receipt["receipt_no"]:
        sys.exit(f"replaying the first payment's idempotency key did not return its receipt: {status} {again}")
    return receipt


async def count_rows(url: str) -> dict[str, int]:
    """What the load left in the database: the app's receipts and their ledger entries."""
    from tortoise import Tortoise

    from emitra.core import db
    from emitra.core.models import LedgerEntry, ServiceRequest

    await Tortoise.init(config=db.tortoise_config(url))
    try:
        return {
            "receipts": await ServiceRequest.filter(idempotency_key__startswith="load-", receipt_no__isnull=False).count(),
            "with_entries": await LedgerEntry.filter(request__idempotency_key__startswith="load-").distinct().count(),
            "baseline_rows": await ServiceRequest.filter(idempotency_key__startswith="base-").count(),
        }
    finally:
        await Tortoise.close_connections()


def ledger_check() -> tuple[bool, str]:
    done = subprocess.run([str(BIN / "emitra"), "ledger", "check"], capture_output=True, text=True, cwd=HERE.parent)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def render_profile(session: Path) -> None:
    for renderer, suffix in (("text", ".txt"), ("html", ".html")):
        subprocess.run([sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", renderer,
                        "-o", str(session.with_suffix(suffix))], check=False)


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--users", type=int, help="simulated operators (default 16; --quick 8)")
    p.add_argument("--seconds", type=int, help="seconds of each maximum-throughput run (default 15; --quick 4)")
    p.add_argument("--rounds", type=int, help="baseline/app rounds at maximum throughput (default 2; --quick 1)")
    p.add_argument("--profile", metavar="DIR", help="run the app under pyinstrument; write DIR/app.txt and DIR/app.html")
    args = p.parse_args(argv)
    size = dict(QUICK if args.quick else FULL)
    size.update({k: v for k, v in (("users", args.users), ("seconds", args.seconds), ("rounds", args.rounds)) if v})
    work = temp_dir("emitra-bench-http-")
    url = setup_environment(args.database_url, work)
    db_name = "PostgreSQL" if url.startswith("postgres://") else "SQLite"
    profile = None
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        profile = Path(args.profile).resolve() / "app.pyisession"
    servers: list[Server] = []
    try:
        print(f"http: preparing the demo district on {db_name} ...", file=sys.stderr, flush=True)
        asyncio.run(prepare(url, size["users"]))
        os.environ["EMITRA_BENCH_OPERATORS"] = f"{OPERATOR_PREFIX}:{size['users']}"
        app = Server("app", "emitra.web.app:create_app", work, profile=profile)
        servers.append(app)
        app.wait_ready("/api/openapi.json")
        first_transaction(app)
        base = Server("baseline", "baseline_app:create_app", work, app_dir=HERE)
        servers.append(base)
        base.wait_ready("/rows")
        rows = _request(base.url + "/rows")[1]

        users, seconds = size["users"], size["seconds"]
        print(f"http: warming up, then {size['rounds']} x {seconds} s at full speed each, {users} users", file=sys.stderr, flush=True)
        warm = [locust(base, "Baseline", users, size["warmup"], work),
                locust(app, "CounterOperator", users, size["warmup"], work)]
        app_runs: list[Run] = []
        base_runs: list[Run] = []
        for _ in range(size["rounds"]):
            base_runs.append(locust(base, "Baseline", users, seconds, work))
            app_runs.append(locust(app, "CounterOperator", users, seconds, work))
        app_rps = sum(r.rps for r in app_runs) / len(app_runs)
        base_rps = sum(r.rps for r in base_runs) / len(base_runs)
        half = app_rps / 2
        print(f"http: app {app_rps:.0f} req/s, baseline {base_rps:.0f} req/s; now {half:.0f} req/s for {size['half_seconds']} s",
              file=sys.stderr, flush=True)
        at_half = locust(app, "CounterOperator", users, size["half_seconds"], work, rate_per_user=half / users)
        # the same measure for the baseline at half its own maximum: what this machine's tail is without emitra
        base_half = locust(base, "Baseline", users, size["half_seconds"], work, rate_per_user=base_rps / 2 / users)
    finally:
        for server in servers:
            server.stop()
    if profile is not None and profile.exists():
        render_profile(profile)
        print(f"http: profile of the app in {profile.with_suffix('.txt')} and {profile.with_suffix('.html')}", file=sys.stderr)

    balanced, check_output = ledger_check()
    counts = asyncio.run(count_rows(url))
    app_all = [*app_runs, at_half]
    # every payment answered 201 (warm-up included) is one receipt with its entry, and nothing else is
    created = sum(r.tally.get("created", 0) for r in [*app_all, warm[1]])
    failed = sum(r.failures for r in app_all) + sum(r.failures for r in base_runs)
    consistent = balanced and counts["receipts"] == counts["with_entries"] == created
    errors = sorted({e for r in [*app_all, *base_runs, *warm] for e in r.errors})[:10]

    ratio = app_rps / base_rps if base_rps else 0.0
    common_detail = {"users": users, "rounds": size["rounds"], "seconds": seconds, "database": db_name,
                     "quick": args.quick, "profiled": profile is not None, "cpus": os.cpu_count(),
                     "rows_per_transaction": rows}
    figures = [
        Figure("http", f"counter transaction over HTTP, {db_name}: throughput vs bare ORM endpoint", round(ratio, 3), "ratio",
               f">= {TARGET_RATIO}", at_least(ratio, TARGET_RATIO) and failed == 0, baseline=round(base_rps, 1),
               detail={**common_detail, "app_rps": round(app_rps, 1), "baseline_rps": round(base_rps, 1),
                       "app_runs_rps": [round(r.rps, 1) for r in app_runs],
                       "baseline_runs_rps": [round(r.rps, 1) for r in base_runs],
                       "app_p50_ms_at_max": app_runs[-1].p50, "app_p99_ms_at_max": app_runs[-1].p99,
                       "baseline_p50_ms_at_max": base_runs[-1].p50, "failures": failed, "errors": errors}),
        Figure("http", f"counter transaction over HTTP, {db_name}: p99 latency at half the maximum rate", at_half.p99, "ms",
               f"< {TARGET_P99_MS:g} ms", at_most(at_half.p99, TARGET_P99_MS - 1e-9) and at_half.failures == 0,
               detail={**common_detail, "rate_rps": round(half, 1), "achieved_rps": round(at_half.rps, 1),
                       "requests": at_half.requests, "failures": at_half.failures, "p50_ms": at_half.p50, "p95_ms": at_half.p95}),
        Figure("http", f"counter transaction over HTTP, {db_name}: baseline p99 at half its maximum rate (info)", base_half.p99, "ms",
               "-", None, detail={"rate_rps": round(base_rps / 2, 1), "achieved_rps": round(base_half.rps, 1),
                                  "p50_ms": base_half.p50, "p95_ms": base_half.p95}),
        Figure("http", f"counter transaction over HTTP, {db_name}: app throughput (info)", round(app_rps, 1), "req/s", "-", None,
               detail={"p50_ms": app_runs[-1].p50, "p95_ms": app_runs[-1].p95, "p99_ms": app_runs[-1].p99}),
        Figure("http", f"counter transaction over HTTP, {db_name}: baseline throughput (info)", round(base_rps, 1), "req/s", "-", None,
               detail={"p50_ms": base_runs[-1].p50, "p95_ms": base_runs[-1].p95, "p99_ms": base_runs[-1].p99}),
        Figure("http", f"counter transaction over HTTP, {db_name}: books balanced, one receipt per 201, each with its entries",
               1.0 if consistent else 0.0, "", "balanced, receipts = 201s", consistent,
               detail={**counts, "answered_201": created, "ledger_check": check_output[-2000:]}),
    ]
    write(figures, args.json)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())

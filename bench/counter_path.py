#!/usr/bin/env python
"""Benchmarks of the counter path in-process, each a ratio against a raw-driver baseline timed in the same run.

One suite of ``bench/run.py`` (which runs it on SQLite and on PostgreSQL); alone:

    .venv/bin/python bench/counter_path.py                      # full run, temporary SQLite file
    .venv/bin/python bench/counter_path.py --quick              # small N, a smoke test
    .venv/bin/python bench/counter_path.py --database-url postgres://postgres@127.0.0.1:5432/bench

The database named by ``--database-url`` is WIPED (PostgreSQL: DROP SCHEMA public CASCADE).
Exit status 1 if any target is missed. See bench/README.md for what each benchmark measures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import gc
import itertools
import json
import logging
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

BILL = "gov.rj.jvvnl.bill"
K_NUMBER = "210412345678"  # Ramesh Kumar Sharma owes 148350 paise in the discom sandbox
SEARCH_QUERY = "98290 12345"  # Ramesh's mobile, typed with a space
SEARCH_MOBILE = "9829012345"
CITIZENS = 20_000
SHARED_MOBILE = 2  # generated citizens who share Ramesh's mobile (a family phone): 3 found
SHOP_MOBILE = "9414000000"  # a kiosk's phone given for SHOP_SHARED citizens (information only)
SHOP_SHARED = 10

FULL = {"counter": 1000, "validate": 2000, "search": 2000, "memory": 500}
QUICK = {"counter": 100, "validate": 200, "search": 200, "memory": 100}

TARGETS = {
    "counter": 4.0,  # record_cash / raw driver doing the same reads and writes (validation, quote, ORM on top)
    "validate": 0.2,  # forms.validate / jsonschema.validate
    "search": 10.0,  # registration.search (parse, ORM objects) / raw indexed SELECT; both well under 1 ms
    "memory": 10.0,  # peak while recording via record_cash / via the raw driver
}


# --------------------------------------------------------------------------------------------
# Set-up: environment first, then emitra (it reads the environment when imported and used).


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small N (a smoke test, well under 20 s)")
    p.add_argument(
        "--database-url",
        default="",
        help="sqlite:///path or postgres://user@host:port/db (WIPED first); default: a temporary SQLite file",
    )
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    return p.parse_args(argv)


def prepare_environment(database_url: str) -> tuple[str, Path]:
    tmp = Path(tempfile.mkdtemp(prefix="emitra-bench-"))
    os.environ["EMITRA_FAST_PASSWORD_HASH"] = "1"
    os.environ["EMITRA_DATA_DIR"] = str(tmp)
    os.environ["EMITRA_SECRET_KEY"] = "bench-secret-key-not-for-production"
    os.environ.pop("EMITRA_PLUGINS", None)
    url = database_url.strip() or f"sqlite://{tmp / 'bench.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if not (url.startswith("sqlite://") or url.startswith("postgres://")):
        sys.exit(f"--database-url must start with sqlite:// or postgres://, not {url!r}")
    os.environ["EMITRA_DATABASE_URL"] = url
    return url, tmp


def is_pg(url: str) -> bool:
    return url.startswith("postgres://")


async def reset_database(url: str) -> None:
    from common import wipe  # bench/ is on sys.path: this file runs as a script

    await wipe(url)


# --------------------------------------------------------------------------------------------
# Timing


@dataclass
class Result:
    key: str
    name: str
    n: int
    subject: float  # seconds per op (memory: bytes)
    baseline: float
    target: float | None  # ratio subject/baseline must be <= target; None: for information
    unit: str = "time"  # "time" or "KiB"
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.subject / self.baseline if self.baseline else float("inf")

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.ratio <= self.target


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} µs"
    return f"{seconds * 1e3:8.2f} ms"


def fmt_value(r: Result, v: float) -> str:
    return fmt_time(v) if r.unit == "time" else f"{v / 1024:8.1f} KiB"


async def interleaved(fns: list[Callable[[], Any]], n: int, warmup: int, block: int = 25) -> list[list[float]]:
    """Per-op times of each callable (sync or async), run alternately in blocks so drift hits all alike."""
    is_async = [asyncio.iscoroutinefunction(f) for f in fns]

    async def once(i: int) -> float:
        f = fns[i]
        t0 = time.perf_counter()
        if is_async[i]:
            await f()
        else:
            f()
        return time.perf_counter() - t0

    for _ in range(warmup):
        for i in range(len(fns)):
            await once(i)
    times: list[list[float]] = [[] for _ in fns]
    done = 0
    while done < n:
        k = min(block, n - done)
        for i in range(len(fns)):
            for _ in range(k):
                times[i].append(await once(i))
        done += k
    return times


async def traced_peak(fn: Callable[[], Awaitable[Any]], n: int) -> tuple[int, int]:
    """(peak, retained) bytes allocated by Python while awaiting ``fn`` n times, after a warm-up."""
    await fn()
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(n):
            await fn()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - start, current - start


# --------------------------------------------------------------------------------------------
# The raw-driver baseline: the same rows, one transaction, no validation, no ORM.


def _pg_placeholders(sql: str) -> str:
    n = itertools.count(1)
    return re.sub(r"\?", lambda _m: f"${next(n)}", sql)


SQL_REQUEST = (
    'INSERT INTO "service_request" ("receipt_no","idempotency_key","service_code","service_title_en","service_title_hi",'
    '"provider","form_data","quote_details","reference","principal_paise","service_charge_paise","charge_payer",'
    '"citizen_total_paise","status","department_ref","business_date","created_at","citizen_id","counter_id","district_id","operator_id") '
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
SQL_RECEIPT = 'UPDATE "service_request" SET "receipt_no"=? WHERE "id"=?'
SQL_PAYMENT = (
    'INSERT INTO "payment" ("method","amount_paise","tendered_paise","status","confirmed_at","created_at","district_id","request_id",'
    '"details","reference") VALUES (?,?,?,?,?,?,?,?,?,?)'
)
SQL_ENTRY = (
    'INSERT INTO "ledger_entry" ("idempotency_key","memo","created_at","district_id","request_id") VALUES (?,?,?,?,?)'
)
SQL_POSTING = 'INSERT INTO "posting" ("account","amount_paise","district_id","entry_id") VALUES (?,?,?,?)'
SQL_AUDIT = (
    'INSERT INTO "audit_log" ("at","actor_name","action","object_type","object_id","detail","ip","actor_id",'
    '"counter_id","district_id","prev_hash","hash") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)'
)
# The audit hash chain (core/audit.py): lock the head, chain the new row to it, move the head on.
SQL_HEAD_READ = 'SELECT "last_hash" FROM "audit_head" WHERE "id"=1'
SQL_HEAD_UPDATE = 'UPDATE "audit_head" SET "last_id"=?,"last_hash"=?,"entries"="entries"+1 WHERE "id"=1'
# The request's MIS figures (core/mis.py): the row of its counter, business day and service, and
# the same row of the month, each updated in place (the first request of the day or month creates it).
FIGURE_TABLES = (("daily_figure", "business_date"), ("monthly_figure", "month"))
FIGURE_MEASURES = ("transactions", "principal_paise", "service_charge_paise", "citizen_total_paise",
                   "charge_by_department_paise", "charge_by_partner_paise")


@functools.cache
def figures_sql(table: str, column: str, measures: tuple[str, ...], pg: bool) -> tuple[str, str]:
    """The ``UPDATE`` adding to the measures that change (as core/mis.py writes it) and the ``INSERT`` of a first row."""
    sets = ",".join(f'"{m}"="{m}"+?' for m in measures)
    update = f'UPDATE "{table}" SET {sets} WHERE "counter_id"=? AND "{column}"=? AND "service_code"=?'
    cols = ",".join(f'"{m}"' for m in (*measures, "counter_id", column, "service_code", "district_id", "lsp_id", "provider", "category"))
    insert = f'INSERT INTO "{table}" ({cols}) VALUES ({",".join("?" * (len(measures) + 7))})'
    return (_pg_placeholders(update), _pg_placeholders(insert)) if pg else (update, insert)


SQL_HANDOVER = 'UPDATE "service_request" SET "status"=?,"department_ref"=? WHERE "id"=?'
SQL_SEARCH = 'SELECT * FROM "citizen" WHERE "district_id"=? AND "mobile"=? LIMIT ?'
# The reads record_cash makes before it writes (the "same work" baseline makes them too): keep them
# in step with the statements it sends (the note of the counter benchmark counts them).
SQL_READS = [
    ('SELECT "id" FROM "service_request" WHERE "idempotency_key"=? LIMIT 1', "key"),
    ('SELECT 1 FROM "counter_service" WHERE "counter_id"=? AND "service_code"=? AND "enabled"=? LIMIT 1', "enabled"),
    ('SELECT "service_code","district_id","fee_paise" FROM "fee_override" WHERE "district_id"=? OR "district_id" IS NULL', "fees"),
    ('SELECT * FROM "policy_rule" WHERE "district_id"=?', "policy"),  # the district's policy rules (core/compliance.py)
    ('SELECT "mode" FROM "lsp" WHERE "id"=?', "lsp"),  # a prepaid LSP's counters pay from a wallet
]

CITIZEN_COLUMNS = ["id", "district_id", "emitra_id", "name", "name_key", "date_of_birth", "gender", "mobile",
                   "address", "aadhaar_masked", "aadhaar_hash", "registered_at_id", "created_at", "name_sound"]


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))  # as tortoise's JSONField writes it


@dataclass
class Ctx:
    """What record_cash wrote for one JVVNL bill, copied from its rows so the baseline writes the same."""

    district_id: int
    district_code: str
    counter_id: int
    operator_id: int
    operator_name: str
    citizen_id: int
    service_code: str
    title_en: str
    title_hi: str
    provider: str
    form_data: dict[str, Any]
    quote_details: list[Any]
    reference: str
    principal: int
    fee: int
    payer: str
    total: int
    tendered: int
    lsp_id: int
    category: str
    lines: list[tuple[str, int]]  # (account, amount_paise) of the ledger entry
    paid_detail: dict[str, Any]  # the "request.paid" audit detail; receipt_no is replaced per request

    def figures(self) -> dict[str, int]:
        """What one paid request adds to its figures rows, the measures that change only (as core/mis.py)."""
        by = {"department": "charge_by_department_paise", "partner": "charge_by_partner_paise"}.get(self.payer)
        delta = {"transactions": 1, "principal_paise": self.principal, "service_charge_paise": self.fee,
                 "citizen_total_paise": self.total, **({by: self.fee} if by else {})}
        return {m: delta[m] for m in FIGURE_MEASURES if delta.get(m)}


class Raw:
    """One connection of the driver tortoise itself uses (aiosqlite or asyncpg)."""

    def __init__(self, url: str):
        self.url = url
        self.pg = is_pg(url)
        self.conn: Any = None

    async def open(self) -> "Raw":
        if self.pg:
            import asyncpg

            self.conn = await asyncpg.connect(self.url)
        else:
            import aiosqlite

            self.conn = await aiosqlite.connect(self.url.removeprefix("sqlite://"), isolation_level=None)
            # the pragmas of emitra.core.db._connection
            for pragma in ("journal_mode=WAL", "journal_size_limit=16384", "foreign_keys=ON", "synchronous=NORMAL"):
                await self.conn.execute(f"PRAGMA {pragma}")
        return self

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()

    def _now(self) -> Any:
        now = dt.datetime.now(dt.timezone.utc)
        return now if self.pg else str(now)  # SQLite: the text tortoise stores

    async def reads(self, c: Ctx, key: str) -> None:
        """The checks record_cash makes before writing: idempotency, enabled service, policy rules, fee overrides, LSP mode."""
        args = {"key": (key,), "enabled": (c.counter_id, c.service_code, True), "fees": (c.district_id,),
                "policy": (c.district_id,), "lsp": (c.lsp_id,)}
        for sql, which in SQL_READS:
            if self.pg:
                await self.conn.fetch(_pg_placeholders(sql), *args[which])
            else:
                await self.conn.execute_fetchall(sql, args[which])

    async def record(self, c: Ctx, key: str, handover: bool = False, reads: bool = False) -> int:
        """The rows record_cash writes in its transaction (and, with ``handover``, in its second one);
        with ``reads``, also the checks it makes first (the same work, by the raw driver)."""
        from emitra.core.clock import today
        from emitra.core.ids import make_receipt_no

        if reads:
            await self.reads(c, key)

        day = today()
        request_row = [None, key, c.service_code, c.title_en, c.title_hi, c.provider, _json(c.form_data),
                       _json(c.quote_details), c.reference, c.principal, c.fee, c.payer, c.total, "paid", "",
                       day if self.pg else day.isoformat(), self._now(), c.citizen_id, c.counter_id, c.district_id, c.operator_id]

        def audit_row(rid: int, action: str, detail: dict[str, Any]) -> list[Any]:
            return [self._now(), c.operator_name, action, "ServiceRequest", str(rid), _json(detail), "", c.operator_id,
                    c.counter_id, c.district_id]

        if self.pg:
            conn = self.conn
            async with conn.transaction():
                rid = await conn.fetchval(PG[SQL_REQUEST] + ' RETURNING "id"', *request_row)
                receipt = make_receipt_no(c.district_code, c.counter_id, rid)
                await conn.execute(PG[SQL_RECEIPT], receipt, rid)
                await conn.execute(PG[SQL_PAYMENT], "cash", c.total, c.tendered, "received", self._now(), self._now(), c.district_id,
                                   rid, "{}", "")
                eid = await conn.fetchval(PG[SQL_ENTRY] + ' RETURNING "id"', f"request:{receipt}",
                                          f"{c.service_code} cash {receipt}", self._now(), c.district_id, rid)
                await conn.executemany(PG[SQL_POSTING], [(a, p, c.district_id, eid) for a, p in c.lines])
                await self.figures(c, day)
                await self.audit(audit_row(rid, "request.paid", {**c.paid_detail, "receipt_no": receipt}))
            if handover:
                async with conn.transaction():
                    await conn.execute(PG[SQL_HANDOVER], "submitted", f"ACK-{rid}", rid)
                    await self.audit(audit_row(rid, "request.submitted", {
                        "via": "web", "receipt_no": receipt, "department_ref": f"ACK-{rid}"}))
            return rid
        conn = self.conn
        await conn.execute("BEGIN")
        try:
            rid = (await conn.execute_insert(SQL_REQUEST, request_row))[0]
            receipt = make_receipt_no(c.district_code, c.counter_id, rid)
            await conn.execute(SQL_RECEIPT, (receipt, rid))
            await conn.execute(SQL_PAYMENT, ("cash", c.total, c.tendered, "received", self._now(), self._now(), c.district_id, rid,
                                             "{}", ""))
            eid = (await conn.execute_insert(SQL_ENTRY, (f"request:{receipt}", f"{c.service_code} cash {receipt}",
                                                         self._now(), c.district_id, rid)))[0]
            await conn.executemany(SQL_POSTING, [(a, p, c.district_id, eid) for a, p in c.lines])
            await self.figures(c, day)
            await self.audit(audit_row(rid, "request.paid", {**c.paid_detail, "receipt_no": receipt}))
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        if handover:
            await conn.execute("BEGIN")
            try:
                await conn.execute(SQL_HANDOVER, ("submitted", f"ACK-{rid}", rid))
                await self.audit(audit_row(rid, "request.submitted", {
                    "via": "web", "receipt_no": receipt, "department_ref": f"ACK-{rid}"}))
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
        return rid

    async def figures(self, c: Ctx, day: dt.date) -> None:
        """Add the request to its day's and its month's figures rows (the same work as core/mis.status_changed)."""
        delta = c.figures()
        for (table, column), when in zip(FIGURE_TABLES, (day, day.replace(day=1))):
            update, insert = figures_sql(table, column, tuple(delta), self.pg)
            args = [*delta.values(), c.counter_id, when if self.pg else when.isoformat(), c.service_code]
            if self.pg:
                missing = await self.conn.execute(update, *args) == "UPDATE 0"
            else:
                missing = (await self.conn.execute(update, args)).rowcount == 0
            if missing:  # the first request of the day (or month) at this counter for this service
                new = [*args, c.district_id, c.lsp_id, c.provider[:200], c.category]
                await (self.conn.execute(insert, *new) if self.pg else self.conn.execute(insert, new))

    async def audit(self, row: list[Any]) -> None:
        """One chained audit row, inside the caller's transaction (the same work as core/audit.record)."""
        import hashlib

        if self.pg:
            prev = await self.conn.fetchval(_pg_placeholders(SQL_HEAD_READ) + " FOR UPDATE") or "0" * 64
            digest = hashlib.sha256((prev + "".join(map(str, row))).encode()).hexdigest()
            aid = await self.conn.fetchval(PG[SQL_AUDIT] + ' RETURNING "id"', *row, prev, digest)
            await self.conn.execute(_pg_placeholders(SQL_HEAD_UPDATE), aid, digest)
        else:
            found = await self.conn.execute_fetchall(SQL_HEAD_READ)
            prev = (found[0][0] if found else "") or "0" * 64
            digest = hashlib.sha256((prev + "".join(map(str, row))).encode()).hexdigest()
            aid = (await self.conn.execute_insert(SQL_AUDIT, [*row, prev, digest]))[0]
            await self.conn.execute(SQL_HEAD_UPDATE, (aid, digest))

    async def search(self, district_id: int, mobile: str, limit: int = 20) -> list[Any]:
        if self.pg:
            return await self.conn.fetch(PG[SQL_SEARCH], district_id, mobile, limit)
        return list(await self.conn.execute_fetchall(SQL_SEARCH, (district_id, mobile, limit)))

    async def explain_search(self, district_id: int, mobile: str) -> str:
        if self.pg:
            rows = await self.conn.fetch("EXPLAIN " + PG[SQL_SEARCH], district_id, mobile, 20)
            scans = [r[0].strip().removeprefix("->").strip() for r in rows if "Scan" in r[0]]
            return " / ".join(re.sub(r"\s+\(cost=.*", "", line) for line in scans)
        rows = await self.conn.execute_fetchall("EXPLAIN QUERY PLAN " + SQL_SEARCH, (district_id, mobile, 20))
        return " / ".join(str(r[-1]) for r in rows)

    async def insert_citizens(self, district_id: int, counter_id: int, district_code: str, n: int, seed: int = 42) -> None:
        """``n`` citizens in one go, ``SHARED_MOBILE`` of them on Ramesh's mobile."""
        from emitra.core.ids import make_emitra_id
        from emitra.core.names import name_key, name_sound

        rng = random.Random(seed)
        first = ["Ramesh", "Suresh", "Sunita", "Geeta", "Mohammed", "Kavita", "Anil", "Pooja", "Rajendra", "Meena",
                 "Vikram", "Lakshmi", "Arjun", "Priya", "Mahendra", "Santosh", "Rekha", "Dinesh", "Asha", "Kamla"]
        last = ["Sharma", "Meena", "Saini", "Yadav", "Jat", "Gurjar", "Verma", "Khan", "Rathore", "Choudhary",
                "Agarwal", "Jain", "Bairwa", "Kumawat", "Shekhawat"]
        places = ["Malviya Nagar", "Chomu", "Bassi", "Sanganer", "Amer", "Ramganj", "Mansarovar", "Jhotwara"]
        if self.pg:
            start = await self.conn.fetchval('SELECT COALESCE(MAX("id"), 0) FROM "citizen"') + 1
        else:
            start = (await self.conn.execute_fetchall('SELECT COALESCE(MAX("id"), 0) FROM "citizen"'))[0][0] + 1
        picked = rng.sample(range(n), SHARED_MOBILE + SHOP_SHARED)
        shared, shop = set(picked[:SHARED_MOBILE]), set(picked[SHARED_MOBILE:])
        now = dt.datetime.now(dt.timezone.utc)
        rows = []
        for i in range(n):
            cid = start + i
            name = f"{rng.choice(first)} {rng.choice(last)}"
            dob = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25_000))
            mobile = (SEARCH_MOBILE if i in shared else SHOP_MOBILE if i in shop
                      else f"{rng.choice('6789')}{rng.randrange(10**9):09d}")
            row = [cid, district_id, make_emitra_id(district_code, cid), name, name_key(name), dob, rng.choice("MF"),
                   mobile, f"{rng.choice(places)}, Jaipur", "", None, counter_id, now, name_sound(name)]
            if not self.pg:
                row[5], row[12] = dob.isoformat(), str(now)
            rows.append(tuple(row))
        if self.pg:
            await self.conn.copy_records_to_table("citizen", records=rows, columns=CITIZEN_COLUMNS)
            await self.conn.execute("SELECT setval(pg_get_serial_sequence('citizen', 'id'), (SELECT MAX(id) FROM citizen))")
            await self.conn.execute("ANALYZE citizen")
        else:
            cols = ",".join(f'"{c}"' for c in CITIZEN_COLUMNS)
            await self.conn.execute("BEGIN")
            await self.conn.executemany(f'INSERT INTO "citizen" ({cols}) VALUES ({",".join("?" * len(CITIZEN_COLUMNS))})', rows)
            await self.conn.execute("COMMIT")
            await self.conn.execute("ANALYZE")


PG = {sql: _pg_placeholders(sql) for sql in (SQL_REQUEST, SQL_RECEIPT, SQL_PAYMENT, SQL_ENTRY, SQL_POSTING, SQL_AUDIT,
                                               SQL_HANDOVER, SQL_SEARCH)}


# --------------------------------------------------------------------------------------------
# The benchmarks


async def bench_validate(n: int) -> Result:
    import jsonschema

    from emitra.core import forms
    from emitra.core.plugins import get_host

    schema = get_host().registry.get(BILL).form
    data = {"k_number": K_NUMBER, "mobile": SEARCH_MOBILE}

    def ours() -> None:
        forms.validate(schema, data)

    def plain() -> None:
        jsonschema.validate(data, schema)

    # both must accept the valid form and refuse a wrong one
    ours(), plain()
    for check, exc in ((lambda: forms.validate(schema, {"k_number": "12AB"}), forms.FormErrors),
                       (lambda: jsonschema.validate({"k_number": "12AB"}, schema), jsonschema.ValidationError)):
        try:
            check()
        except exc:
            pass
        else:
            raise AssertionError("a wrong K-number was accepted")
    t_ours, t_plain = await interleaved([ours, plain], n, warmup=20, block=50)
    return Result("validate", "form validation: forms.validate vs jsonschema.validate()", n,
                  statistics.median(t_ours), statistics.median(t_plain), TARGETS["validate"])


class StatementCounter(logging.Handler):
    """Counts the SQL statements tortoise sends (its db_client logger, at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        verb = str(record.msg if not record.args else record.args[0]).lstrip().split(" ", 1)[0].upper()
        if verb in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            self.statements.append(verb)

    async def count(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        log = logging.getLogger("tortoise.db_client")
        level, propagate = log.level, log.propagate
        log.setLevel(logging.DEBUG)
        log.propagate = False
        log.addHandler(self)
        try:
            return await fn()
        finally:
            log.removeHandler(self)
            log.setLevel(level)
            log.propagate = propagate


async def counter_context():
    """Operator, counter and citizen of the demo; a record_cash (its statements counted) after a first one that
    made today's figures rows; the Ctx the baseline copies from its rows."""
    from emitra.core import counter as counter_core
    from emitra.core.audit import Actor
    from emitra.core.models import AuditLog, Citizen, Counter, DailyFigure, District, LedgerEntry, Payment, Posting, RequestStatus
    from emitra.core.models import ServiceRequest, User

    user = await User.get(username="operator1")
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    district = await District.get(id=counter.district_id)
    actor = Actor(user)
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K_NUMBER}, uuid.uuid4().hex)  # today's figures rows
    counted = StatementCounter()
    first = await counted.count(lambda: counter_core.record_cash(
        actor, counter, citizen, BILL, {"k_number": K_NUMBER}, uuid.uuid4().hex))
    assert first.status == RequestStatus.SUBMITTED and first.citizen_total_paise == 148_350, first
    req = await ServiceRequest.get(id=first.id)
    payment = await Payment.get(request_id=req.id)
    entry = await LedgerEntry.get(request_id=req.id)
    lines = [tuple(r) for r in await Posting.filter(entry_id=entry.id).order_by("id").values_list("account", "amount_paise")]
    paid = await AuditLog.get(action="request.paid", object_id=str(req.id))
    figure = await DailyFigure.get(counter_id=counter.id, business_date=req.business_date, service_code=req.service_code)
    ctx = Ctx(district.id, district.code, counter.id, user.id, user.username, citizen.id, req.service_code,
              req.service_title_en, req.service_title_hi, req.provider, req.form_data, req.quote_details, req.reference,
              req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise,
              payment.tendered_paise, counter.lsp_id, figure.category, lines, dict(paid.detail))
    verbs = counted.statements
    note = (f"record_cash sent {len(verbs)} SQL statements ({verbs.count('SELECT')} SELECT, {verbs.count('INSERT')} INSERT, "
            f"{verbs.count('UPDATE')} UPDATE) in 2 transactions; the same-work baseline {len(SQL_READS) + 2} SELECT, 6 INSERT, "
            "6 UPDATE (postings in one executemany, as tortoise's bulk insert); the rows-only one the first transaction's 10")
    return actor, counter, citizen, ctx, note


async def bench_counter(raw: Raw, n: int) -> tuple[Result, list[Result], dict[str, Callable]]:
    from emitra.core import counter as counter_core

    actor, counter, citizen, ctx, note = await counter_context()

    async def orm() -> None:
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K_NUMBER}, uuid.uuid4().hex)

    async def baseline() -> None:
        await raw.record(ctx, uuid.uuid4().hex)

    async def same_work() -> None:
        await raw.record(ctx, uuid.uuid4().hex, handover=True, reads=True)

    async def orm_rows_only() -> None:
        await orm_record(ctx, uuid.uuid4().hex)

    t_orm, t_raw, t_same, t_rows = await interleaved([orm, baseline, same_work, orm_rows_only], n, warmup=10, block=25)
    await check_books(raw)
    main = Result("counter", "counter transaction: record_cash vs raw driver doing the same work", n,
                  statistics.median(t_orm), statistics.median(t_same), TARGETS["counter"], notes=[
                      note, "same work: its 5 checks (idempotency, enabled, policy rules, fee overrides, LSP mode), the rows "
                      "(figures included), the hand-over tx"])
    infos = [
        Result("counter_rows", "  (info) record_cash vs raw writing only the rows, 1 tx", n,
               statistics.median(t_orm), statistics.median(t_raw), None),
        Result("counter_orm_only", "  (info) the ORM alone: the same rows via tortoise, 1 tx, vs raw", n,
               statistics.median(t_rows), statistics.median(t_raw), None),
    ]
    return main, infos, {"orm": orm, "baseline": baseline}


async def orm_record(c: Ctx, key: str) -> None:
    """The rows of record_cash's transaction through tortoise, with nothing else (no reads, no hand-over)."""
    from tortoise.expressions import F
    from tortoise.transactions import in_transaction

    from emitra.core.clock import now, today
    from emitra.core.ids import make_receipt_no
    from emitra.core.models import AuditLog, DailyFigure, LedgerEntry, MonthlyFigure, Payment, Posting, ServiceRequest

    day = today()
    async with in_transaction():
        request = await ServiceRequest.create(
            district_id=c.district_id, idempotency_key=key, counter_id=c.counter_id, operator_id=c.operator_id,
            citizen_id=c.citizen_id, service_code=c.service_code, service_title_en=c.title_en,
            service_title_hi=c.title_hi, provider=c.provider, form_data=c.form_data, quote_details=c.quote_details,
            reference=c.reference, principal_paise=c.principal, service_charge_paise=c.fee, charge_payer=c.payer,
            citizen_total_paise=c.total, business_date=day)
        request.receipt_no = make_receipt_no(c.district_code, c.counter_id, request.id)
        await request.save(update_fields=["receipt_no"])
        await Payment.create(district_id=c.district_id, request=request, method="cash", amount_paise=c.total,
                             tendered_paise=c.tendered, confirmed_at=now())
        entry = await LedgerEntry.create(district_id=c.district_id, idempotency_key=f"request:{request.receipt_no}",
                                         memo=f"{c.service_code} cash {request.receipt_no}", request_id=request.id)
        await Posting.bulk_create([Posting(entry=entry, district_id=c.district_id, account=a, amount_paise=p)
                                   for a, p in c.lines])
        added = {m: F(m) + v for m, v in c.figures().items()}  # today's rows exist: record_cash made them first
        await DailyFigure.filter(counter_id=c.counter_id, business_date=day, service_code=c.service_code).update(**added)
        await MonthlyFigure.filter(counter_id=c.counter_id, month=day.replace(day=1), service_code=c.service_code).update(**added)
        await AuditLog.create(
            actor_id=c.operator_id, actor_name=c.operator_name, district_id=c.district_id, counter_id=c.counter_id,
            action="request.paid", object_type="ServiceRequest", object_id=str(request.id),
            detail={**c.paid_detail, "receipt_no": request.receipt_no})


async def check_books(raw: Raw) -> None:
    """The ORM's and the baseline's rows together still balance, one entry and one payment per request,
    and the MIS figures they kept agree with a recount of the requests (so both did the same work)."""
    from tortoise.functions import Sum

    from emitra.core import mis
    from emitra.core.models import LedgerEntry, Payment, Posting, ServiceRequest

    total = (await Posting.all().annotate(t=Sum("amount_paise")).first().values("t"))["t"]
    counts = [await m.all().count() for m in (ServiceRequest, Payment, LedgerEntry)]
    assert total == 0 and len(set(counts)) == 1, (total, counts)
    wrong = await mis.differences()
    assert not wrong, wrong[:3]


async def bench_memory(fns: dict[str, Callable], n: int) -> Result:
    peak_orm, kept_orm = await traced_peak(fns["orm"], n)
    peak_raw, kept_raw = await traced_peak(fns["baseline"], n)
    r = Result("memory", f"memory: tracemalloc peak over {n} record_cash vs raw", n, peak_orm, peak_raw,
               TARGETS["memory"], unit="KiB")
    r.notes.append(f"retained after the loop: record_cash {kept_orm / 1024:.1f} KiB, raw {kept_raw / 1024:.1f} KiB")
    return r


async def bench_search(raw: Raw, n: int) -> list[Result]:
    from emitra.core import registration
    from emitra.core.models import Citizen, Counter, District

    counter = await Counter.get(code="JP-LM-001")
    district = await District.get(id=counter.district_id)
    t0 = time.perf_counter()
    await raw.insert_citizens(district.id, counter.id, district.code, CITIZENS)
    load_s = time.perf_counter() - t0
    total = await Citizen.all().count()
    found = await registration.search(district.id, SEARCH_QUERY)
    plain = await raw.search(district.id, SEARCH_MOBILE)
    assert len(found) == len(plain) == SHARED_MOBILE + 1, (len(found), len(plain))
    plan = await raw.explain_search(district.id, SEARCH_MOBILE)
    assert "mobile" in plan.lower(), f"the baseline SELECT does not use the mobile index: {plan}"

    assert len(await registration.search(district.id, SHOP_MOBILE)) == len(await raw.search(district.id, SHOP_MOBILE)) == SHOP_SHARED

    async def ours() -> None:
        await registration.search(district.id, SEARCH_QUERY)

    async def baseline() -> None:
        await raw.search(district.id, SEARCH_MOBILE)

    async def ours_shop() -> None:
        await registration.search(district.id, SHOP_MOBILE)

    async def baseline_shop() -> None:
        await raw.search(district.id, SHOP_MOBILE)

    t_ours, t_raw, t_ours10, t_raw10 = await interleaved([ours, baseline, ours_shop, baseline_shop], n, warmup=20, block=50)
    r = Result("search", f"citizen search by mobile ({total} citizens, {len(found)} found) vs raw SELECT", n,
               statistics.median(t_ours), statistics.median(t_raw), TARGETS["search"])
    r.notes.append(f"{CITIZENS} citizens bulk-inserted in {load_s:.2f} s; plan: {plan}")
    info = Result("search_10", f"  (info) the same, a mobile shared by {SHOP_SHARED} citizens ({SHOP_SHARED} found)", n,
                  statistics.median(t_ours10), statistics.median(t_raw10), None)
    return [r, info]


# --------------------------------------------------------------------------------------------


def report(results: list[Result], header: str) -> str:
    lines = [header, ""]
    lines.append(f"{'benchmark':<76} {'N':>5} {'subject':>12} {'baseline':>12} {'ratio':>7} {'target':>8}  result")
    for r in results:
        target = f"<= {r.target:g}" if r.target is not None else "-"
        verdict = {True: "PASS", False: "FAIL", None: "info"}[r.passed]
        lines.append(f"{r.name:<76} {r.n:>5} {fmt_value(r, r.subject):>12} {fmt_value(r, r.baseline):>12} "
                     f"{r.ratio:>7.2f} {target:>8}  {verdict}")
        for note in r.notes:
            lines.append(f"    {note}")
    return "\n".join(lines)


async def run(url: str, sizes: dict[str, int]) -> list[Result]:
    from tortoise import Tortoise

    from emitra.core import db, demo

    await reset_database(url)
    await db.migrate(url)
    await Tortoise.init(config=db.tortoise_config(url))
    raw = await Raw(url).open()
    results: list[Result] = []
    try:
        await demo.load()
        results.append(await bench_validate(sizes["validate"]))
        main, infos, fns = await bench_counter(raw, sizes["counter"])
        results += [main, *infos]
        results.append(await bench_memory(fns, sizes["memory"]))
        results += await bench_search(raw, sizes["search"])
    finally:
        await raw.close()
        await Tortoise.close_connections()
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, tmp = prepare_environment(args.database_url)
    sizes = QUICK if args.quick else FULL
    shown = re.sub(r"//([^:@/]+):[^@/]+@", r"//\1:***@", url)
    started = time.perf_counter()
    try:
        results = asyncio.run(run(url, sizes))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started
    header = (f"emitra benchmarks ({'quick' if args.quick else 'full'}) on {shown}\n"
              f"Python {platform.python_version()}, {os.cpu_count()} CPUs; subject and baseline are medians per op "
              f"(memory: peak KiB), ratio = subject / baseline")
    print(report(results, header))
    failed = [r for r in results if r.passed is False]
    print(f"\n{len(results) - len(failed) - sum(r.passed is None for r in results)} passed, {len(failed)} failed "
          f"in {elapsed:.1f} s")
    if args.json:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from common import Figure, write

        db_name = "PostgreSQL" if is_pg(url) else "SQLite"
        figures = [Figure(suite="counter", name=f"{r.name} ({db_name})", value=r.ratio, unit="ratio",
                          target=f"<= {r.target:g}" if r.target is not None else "-", ok=r.passed,
                          baseline=r.baseline, detail={"n": r.n, "subject": r.subject, "baseline": r.baseline,
                                                       "unit": "s per op" if r.unit == "time" else "bytes", "notes": r.notes})
                   for r in results]
        write(figures, args.json)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

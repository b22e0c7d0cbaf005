#!/usr/bin/env python
"""A generated district for the money benchmarks: N counters and M transactions over D days.

    .venv/bin/python bench/generate.py --counters 100 --transactions 100000 --days 28 \\
        --database-url sqlite:///tmp/bench.sqlite3          # the database is WIPED first

**How.** Recording a million transactions through the counter code would take hours, so the
generator records a few real ones and clones them:

1. The demo district (``emitra.core.demo.load``), two more post-paid LSPs and ``counters`` more
   counters (LokMitra centres and JanMitra kiosks, each with every service enabled and an operator
   ``bench-op-<n>``). Kiosks share the service charge 30% LSP / 50% kiosk owner / 20% Society.
2. **Templates**: at the demo's LokMitra centre and JanMitra kiosk (each standing for its kind), one
   transaction of every service in :data:`MIX` in cash and one by UPI, through
   ``core.counter.record_payment`` (and ``confirm_payment`` for UPI, with its UTR), plus a bus
   ticket cancelled at the counter (``core.counter.cancel``: the fare refunded from the drawer).
3. **Clones**, day by day: each transaction picks a counter, a moment of the day, a service by
   :data:`MIX` and a method by :data:`METHODS`, and copies its template's rows (``service_request``,
   ``payment``, ``ledger_entry``, ``posting``) with fresh ids, idempotency keys and receipt numbers,
   the counter's code and LSP in the account names, its operator, the moment, and a UTR or card
   charge id of its own. A card payment is the UPI template collected into ``escrow:card`` (a
   charge captured without a destination transfer, as ``card.confirm`` posts it). About one bus
   ticket in five is cancelled an hour later, as the template was. Rows go in with the raw driver,
   in one transaction per chunk: ``executemany`` on SQLite, ``COPY`` (asyncpg
   ``copy_records_to_table``) on PostgreSQL.
4. The MIS's ``daily_figure`` rows are added up from the clones as ``core.mis.status_changed``
   would have kept them, and the books are checked: every entry balanced, the ledger summing to
   zero, and the MIS equal to a recount of the requests.

Not cloned: the audit records of the clones (the audit log is a hash chain written one record at
a time) and the cases of cloned applications (the money benchmarks never read them).

:func:`bank_statement_files` and :func:`stripe_file` write, from the books after the day ends and
settlement, what the bank and Stripe would send for a week, with a few deliberate mismatches.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import random
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Iterator

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

#: service kinds (as in core/demo_month.py), weight in the mix
MIX = [("jvvnl", 28), ("avvnl", 2), ("phed", 10), ("mobile", 14), ("dth", 5), ("lic", 4), ("photocopy", 7),
       ("jamabandi", 10), ("birth", 5), ("sampark", 5), ("bus", 3)]
#: methods and their weight; cash only for photocopies and bus tickets
METHODS = [("cash", 70), ("upi", 22), ("card", 8)]
CASH_ONLY = {"photocopy", "bus"}
CANCEL_SHARE = 0.2  # of bus tickets
KIOSK_SPLIT = (3000, 5000, 2000)  # LSP, kiosk owner, Society (basis points)
CHUNK = 20_000  # transactions per database transaction
TABLES = ("service_request", "payment", "ledger_entry", "posting")


@dataclasses.dataclass
class Template:
    """The rows one real transaction wrote, as raw tuples in each table's column order."""

    kind: str
    method: str
    counter_code: str
    lsp_id: int
    receipt_no: str
    request: tuple
    payments: list[tuple]
    entries: list[tuple]
    postings: list[tuple]
    cancelled: bool = False


@dataclasses.dataclass
class Plan:
    counters: int
    transactions: int
    days: int
    start: dt.date
    seed: int = 7

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)


def default_start(days: int, today: dt.date | None = None) -> dt.date:
    """The Monday ``days`` days (rounded up to whole weeks) before this week's Monday."""
    today = today or dt.date.today()
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(days=7 * -(-days // 7))


# --------------------------------------------------------------------------------------------
# The raw driver: SQLite through sqlite3, PostgreSQL through asyncpg.


class Raw:
    """Bulk reads and writes with the database's own driver, beside tortoise's connection."""

    def __init__(self, url: str):
        self.url = url
        self.pg = url.startswith("postgres://")
        self.sqlite: sqlite3.Connection | None = None
        self.conn: Any = None
        self.columns: dict[str, list[str]] = {}

    async def open(self) -> "Raw":
        if self.pg:
            import asyncpg

            self.conn = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
        else:
            self.sqlite = sqlite3.connect(self.url.removeprefix("sqlite://"), isolation_level=None)
            self.sqlite.execute("PRAGMA synchronous=NORMAL")
        for table in TABLES + ("daily_figure",):
            self.columns[table] = await self._columns(table)
        return self

    async def close(self) -> None:
        if self.pg:
            await self.conn.close()
        else:
            self.sqlite.close()

    async def _columns(self, table: str) -> list[str]:
        if self.pg:
            rows = await self.conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name=$1 "
                                         "AND table_schema='public' ORDER BY ordinal_position", table)
            return [r[0] for r in rows]
        return [r[1] for r in self.sqlite.execute(f'PRAGMA table_info("{table}")')]

    async def fetch(self, sql: str, *args: Any) -> list[tuple]:
        """Rows as tuples; ``sql`` uses ``?`` placeholders (turned into $1... for PostgreSQL)."""
        if self.pg:
            n = 0

            def number(_: Any) -> str:
                nonlocal n
                n += 1
                return f"${n}"

            import re

            return [tuple(r) for r in await self.conn.fetch(re.sub(r"\?", number, sql), *args)]
        return self.sqlite.execute(sql, args).fetchall()

    async def max_id(self, table: str) -> int:
        return (await self.fetch(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"'))[0][0]

    async def insert(self, rows: dict[str, list[tuple]]) -> None:
        """Insert every table's rows (in the order given) in one transaction."""
        if self.pg:
            async with self.conn.transaction():
                for table, values in rows.items():
                    if values:
                        await self.conn.copy_records_to_table(table, records=values, columns=self.columns[table])
            return
        db = self.sqlite
        db.execute("BEGIN")
        try:
            for table, values in rows.items():
                if values:
                    cols = self.columns[table]
                    db.executemany(f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                                   f'VALUES ({", ".join("?" for _ in cols)})', values)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    async def execute(self, sql: str) -> None:
        if self.pg:
            await self.conn.execute(sql)
        else:
            self.sqlite.execute(sql)

    async def reset_sequences(self) -> None:
        if self.pg:
            for table in TABLES + ("daily_figure",):
                await self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM \"{table}\"), 1))")

    async def analyze(self) -> None:
        await self.execute("ANALYZE")


async def fill_drawer_totals() -> None:
    """The drawers' totals of the cloned rows (written beside the ledger, not through it): what the
    counters' own writes keep as they go (decision 124), written at once from the postings."""
    from tortoise.transactions import in_transaction

    from emitra.core import drawer_totals

    async with in_transaction():
        await drawer_totals.rebuild()


async def create_indexes(raw: "Raw") -> list[str]:
    """The indexes the money code needs at this size are the schema's own (migration 0011:
    posting.entry_id, ledger_entry.created_at and .request_id, payment.request_id): nothing to add."""
    return []


# --------------------------------------------------------------------------------------------
# 1. The district


async def make_district(plan: Plan) -> dict[str, Any]:
    """The demo district, two more LSPs, ``plan.counters`` more counters with an operator each."""
    from tortoise.transactions import in_transaction

    from emitra.core import audit, demo, payments
    from emitra.core.auth import hash_password
    from emitra.core.models import Counter, CounterKind, CounterService, District, LSP, LspPrice, Role, User
    from emitra.core.plugins import get_host

    await demo.load(audit.Actor(None, via="cli"))
    district = await District.get(code="JP")
    society = await User.get(username="society")
    lsm, jm = await Counter.get(code="JP-LM-001"), await Counter.get(code="JP-JM-001")
    await payments.set_split(audit.Actor(society, via="cli"), jm, *KIOSK_SPLIT)
    codes = [s.code for s in get_host().registry]
    password = hash_password("emitra-demo")
    async with in_transaction():
        lsps = [await LSP.get(id=lsm.lsp_id)]
        prices = await LspPrice.filter(lsp_id=lsps[0].id).values("service_code", "unit_price_paise")
        for name in ("Shekhawati Seva Kendra Pvt Ltd", "Dhoondhar e-Mitra Services LLP"):
            lsp = await LSP.create(district=district, name=name)
            await LspPrice.bulk_create([LspPrice(district=district, lsp=lsp, **p) for p in prices])
            lsps.append(lsp)
        made = []
        for n in range(1, plan.counters + 1):
            kiosk = n % 10 < 7  # seven kiosks in ten
            lsp = lsps[n % len(lsps)]
            made.append(Counter(district=district, lsp=lsp, code=f"JP-{'JM' if kiosk else 'LM'}-B{n:04d}",
                                name=f"{'JanMitra kiosk' if kiosk else 'LokMitra centre'} no. {n}",
                                kind=CounterKind.JANMITRA if kiosk else CounterKind.LOKMITRA,
                                owner_name=f"Kiosk owner {n}" if kiosk else lsp.name, address=f"Ward {n % 60 + 1}, Jaipur",
                                **(dict(zip(("split_lsp_bp", "split_owner_bp", "split_society_bp"), KIOSK_SPLIT)) if kiosk else {})))
        await Counter.bulk_create(made)
        made = await Counter.filter(code__startswith="JP-", code__contains="-B").order_by("id")
        await CounterService.bulk_create([CounterService(district=district, counter=c, service_code=code) for c in made for code in codes])
        await User.bulk_create([User(username=f"bench-op-{c.code.lower()}", full_name=f"Operator of {c.code}", role=Role.OPERATOR,
                                     password_hash=password, district=district, lsp_id=c.lsp_id, counter=c) for c in made])
    return {"district": district, "template": {"lokmitra": lsm, "janmitra": jm}, "counters": list(made)}


# --------------------------------------------------------------------------------------------
# 2. Templates


class _Rng:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)


async def _record(raw: Raw, kind: str, method: str, counter: Any, operator: Any, citizens: list[Any], rng: random.Random,
                  cancel: bool = False) -> Template | None:
    from emitra.core import audit
    from emitra.core import counter as counter_core
    from emitra.core.demo_month import CODES, JAIPUR, _form
    from emitra.core.forms import FormErrors
    from emitra.core.models import Payment
    from emitra.core.plugins import get_host

    place = JAIPUR[0] if counter.code == "JP-LM-001" else JAIPUR[1]
    citizen = rng.choice(citizens)
    code = CODES[kind]
    service = get_host().registry.get(code)
    if kind == "bus":
        service.booking.today, service.booking.time_of_day = dt.date.today(), dt.time(9, 0)
    actor = audit.Actor(operator, via="cli")
    for attempt in range(20):  # a bus may be sold out: another journey
        form = _form(_Rng(rng.randrange(1 << 30)), kind, place, citizen, dt.date.today())
        try:
            request = await counter_core.record_payment(actor, counter, citizen, code, form, counter_core.new_idempotency_key(),
                                                        "cash" if method == "cash" else "upi")
            break
        except FormErrors:
            if attempt == 19:
                raise
    if method != "cash":
        payment = await Payment.get(request_id=request.id)
        await counter_core.confirm_payment(audit.Actor(None, via="api"), payment, provider="upi", event_id=f"upi-{request.receipt_no}",
                                           provider_reference=f"UTR{request.id:010d}")
    if cancel:
        await counter_core.cancel(actor, counter, await type(request).get(id=request.id), "plans changed")
    req = (await raw.fetch('SELECT * FROM "service_request" WHERE id=?', request.id))[0]
    pays = await raw.fetch('SELECT * FROM "payment" WHERE request_id=? ORDER BY id', request.id)
    entries = await raw.fetch('SELECT * FROM "ledger_entry" WHERE request_id=? ORDER BY id', request.id)
    postings = await raw.fetch(f'SELECT * FROM "posting" WHERE entry_id IN ({",".join(str(e[0]) for e in entries) or "0"}) ORDER BY id')
    return Template(kind, method, counter.code, counter.lsp_id, request.receipt_no, req, pays, entries, postings, cancel)


async def make_templates(raw: Raw, district: dict[str, Any], seed: int) -> dict[tuple[str, str, str, bool], Template]:
    """One real transaction per (counter kind, service kind, cash/UPI), and a cancelled bus ticket."""
    from emitra.core.models import Citizen, User

    rng = random.Random(seed)
    citizens = list(await Citizen.filter(district_id=district["district"].id).order_by("id"))
    out = {}
    for counter_kind, counter in district["template"].items():
        operator = await User.get(counter_id=counter.id, role="operator")
        for kind, _ in MIX:
            for method in ("cash",) if kind in CASH_ONLY else ("cash", "upi"):
                out[(counter_kind, kind, method, False)] = await _record(raw, kind, method, counter, operator, citizens, rng)
        out[(counter_kind, "bus", "cash", True)] = await _record(raw, "bus", "cash", counter, operator, citizens, rng, cancel=True)
    return out


# --------------------------------------------------------------------------------------------
# 3. Clones


class Cloner:
    """Copies templates with fresh ids and keys; collects the rows of a chunk and the MIS figures."""

    def __init__(self, raw: Raw, district_code: str, ids: dict[str, int], citizen_ids: list[int]):
        self.raw = raw
        self.code = district_code
        self.next = {t: ids[t] + 1 for t in TABLES}
        self.citizen_ids = citizen_ids
        self.col = {t: {c: i for i, c in enumerate(raw.columns[t])} for t in TABLES}
        self.rows: dict[str, list[tuple]] = {t: [] for t in TABLES}
        self.figures: dict[tuple[int, dt.date, str], list[int]] = {}  # MIS: see core/mis.py MEASURES
        self.meta: dict[str, tuple[str, str]] = {}  # service code -> (provider, category)
        self._entry_figures: dict[tuple[int, bool], dict[int, tuple[int, int, int, int]]] = {}

    def _id(self, table: str) -> int:
        n = self.next[table]
        self.next[table] = n + 1
        return n

    def entry_figures(self, t: Template, card: bool) -> dict[int, tuple[int, int, int, int]]:
        """The figures each of ``t``'s entries keeps for the weekly reconciliation (core/entry_figures.py,
        decision 164), by the template's entry id, as its clone's postings give them: a card payment's
        clone moves escrow:card where its UPI template moved escrow:upi."""
        from emitra.core import entry_figures

        found = self._entry_figures.get((id(t), card))
        if found is None:
            c = self.col["posting"]
            lines: dict[int, list[tuple[str, int]]] = {}
            for p in t.postings:
                account = p[c["account"]].replace("escrow:upi", "escrow:card") if card else p[c["account"]]
                lines.setdefault(p[c["entry_id"]], []).append((account, p[c["amount_paise"]]))
            found = self._entry_figures[(id(t), card)] = {e[self.col["ledger_entry"]["id"]]: entry_figures.of(lines.get(e[self.col["ledger_entry"]["id"]], []))
                                                          for e in t.entries}
        return found

    def clone(self, t: Template, counter: Any, operator_id: int, moment: dt.datetime, method: str, rng: random.Random) -> None:
        from emitra.core.ids import make_receipt_no

        c = self.col
        request_id = self._id("service_request")
        receipt = make_receipt_no(self.code, counter.id, request_id)
        req = list(t.request)
        req[c["service_request"]["id"]] = request_id
        req[c["service_request"]["receipt_no"]] = receipt
        req[c["service_request"]["idempotency_key"]] = f"bench-{request_id}"
        req[c["service_request"]["counter_id"]] = counter.id
        req[c["service_request"]["operator_id"]] = operator_id
        req[c["service_request"]["citizen_id"]] = rng.choice(self.citizen_ids)
        req[c["service_request"]["created_at"]] = moment
        day = moment.astimezone(TZ).date()
        req[c["service_request"]["business_date"]] = day
        self.rows["service_request"].append(tuple(req))
        confirmed = moment + dt.timedelta(minutes=1) if method != "cash" else moment
        ref = f"UTR{request_id:010d}" if method == "upi" else f"ch_bench{request_id:010d}"
        for p in t.payments:
            p = list(p)
            p[c["payment"]["id"]] = self._id("payment")
            p[c["payment"]["request_id"]] = request_id
            p[c["payment"]["created_at"]] = moment
            # open for settlement as a fresh payment is, or born closed like its template (a department-paid
            # charge collected into escrow: core/payments.closed_at_birth)
            p[c["payment"]["settled_at"]] = None if p[c["payment"]["settled_at"]] is None else moment
            if p[c["payment"]["confirmed_at"]] is not None:
                p[c["payment"]["confirmed_at"]] = confirmed
            if p[c["payment"]["reference"]] == t.receipt_no:  # UPI: the receipt number the bank's confirmation names
                p[c["payment"]["reference"]] = receipt
            if method != "cash" and p[c["payment"]["method"]] == "upi":
                details = {"reference": receipt, "provider_reference": ref}
                if method == "card":
                    p[c["payment"]["method"]] = "card"
                    details["payment_intent"] = f"pi_bench{request_id:010d}"
                p[c["payment"]["details"]] = json.dumps(details)
            self.rows["payment"].append(tuple(p))
        swap = [(t.receipt_no, receipt), (f":{t.counter_code}", f":{counter.code}"), (f"lsp_fee_payable:{t.lsp_id}", f"lsp_fee_payable:{counter.lsp_id}"),
                (f"lsp_sales:{t.lsp_id}", f"lsp_sales:{counter.lsp_id}")]
        if method == "card":
            swap += [("escrow:upi", "escrow:card"), (" upi ", " card ")]
        entry_ids = {}
        figures = self.entry_figures(t, method == "card")
        columns = [c["ledger_entry"][name] for name in ("bank_paise", "card_paise", "fee_paise", "touches")]
        for n, e in enumerate(t.entries):
            e = list(e)
            for at, value in zip(columns, figures[e[c["ledger_entry"]["id"]]]):
                e[at] = value
            entry_id = self._id("ledger_entry")
            entry_ids[e[c["ledger_entry"]["id"]]] = entry_id
            e[c["ledger_entry"]["id"]] = entry_id
            e[c["ledger_entry"]["request_id"]] = request_id
            e[c["ledger_entry"]["idempotency_key"]] = _swap(e[c["ledger_entry"]["idempotency_key"]], swap)
            e[c["ledger_entry"]["memo"]] = _swap(e[c["ledger_entry"]["memo"]], swap)
            e[c["ledger_entry"]["created_at"]] = confirmed if n == 0 else moment + dt.timedelta(hours=1)  # a cancellation an hour later
            self.rows["ledger_entry"].append(tuple(e))
        for p in t.postings:
            p = list(p)
            p[c["posting"]["id"]] = self._id("posting")
            p[c["posting"]["entry_id"]] = entry_ids[p[c["posting"]["entry_id"]]]
            p[c["posting"]["account"]] = _swap(p[c["posting"]["account"]], swap)
            self.rows["posting"].append(tuple(p))
        self._count(t, counter, day)

    def _count(self, t: Template, counter: Any, day: dt.date) -> None:
        """What core/mis.status_changed adds to the counter's daily figures for this request."""
        c = self.col["service_request"]
        r = t.request
        code = r[c["service_code"]]
        self.meta.setdefault(code, (r[c["provider"]], ""))
        row = self.figures.setdefault((counter.id, counter.lsp_id, day, code), [0] * 8)
        if t.cancelled:
            row[7] += 1
            return
        fee, payer = r[c["service_charge_paise"]], r[c["charge_payer"]]
        for i, v in enumerate((1, r[c["principal_paise"]], fee, r[c["citizen_total_paise"]], fee if payer == "department" else 0,
                               fee if payer == "partner" else 0)):
            row[i] += v

    async def flush(self) -> int:
        n = len(self.rows["service_request"])
        if n:
            await self.raw.insert(self.rows)
        self.rows = {t: [] for t in TABLES}
        return n


def _swap(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text


TZ = dt.timezone(dt.timedelta(hours=5, minutes=30))  # Asia/Kolkata has no daylight saving


def _weights(rng: random.Random, n: int) -> list[float]:
    """Busier and quieter counters: a log-normal spread of daily volume."""
    return [rng.lognormvariate(0, 0.5) for _ in range(n)]


def schedule(plan: Plan, rng: random.Random) -> Iterator[tuple[dt.date, int]]:
    """How many transactions each day gets (Sundays quieter, Mondays busier), adding up to M."""
    days = [plan.start + dt.timedelta(days=i) for i in range(plan.days)]
    factor = [{0: 1.15, 5: 0.9, 6: 0.35}.get(d.weekday(), 1.0) for d in days]
    total = sum(factor)
    counts = [int(plan.transactions * f / total) for f in factor]
    counts[0] += plan.transactions - sum(counts)
    yield from zip(days, counts)


async def generate(raw: Raw, plan: Plan, district: dict[str, Any], templates: dict, progress: bool = True) -> dict[str, Any]:
    from tqdm import tqdm

    from emitra.core.models import Citizen, User

    rng = random.Random(plan.seed)
    ids = {t: await raw.max_id(t) for t in TABLES}
    citizen_ids = [c for c in await Citizen.filter(district_id=district["district"].id).values_list("id", flat=True)]
    cloner = Cloner(raw, district["district"].code, ids, citizen_ids)
    counters = district["counters"]
    operators = dict(await User.filter(counter_id__in=[c.id for c in counters]).values_list("counter_id", "id"))
    weights = _weights(rng, len(counters))
    kinds, kind_w = zip(*MIX)
    methods, method_w = zip(*METHODS)
    methods_count = {m: 0 for m in methods}
    cancelled = 0
    bar = tqdm(total=plan.transactions, unit="tx", desc="generating", disable=not progress, file=sys.stderr, mininterval=1)
    for day, count in schedule(plan, rng):
        picks = rng.choices(range(len(counters)), weights=weights, k=count)
        opened = dt.datetime.combine(day, dt.time(9, 0), TZ)
        seconds = sorted(rng.randrange(0, 10 * 3600) for _ in range(count))  # 09:00 to 19:00
        for n, second in zip(picks, seconds):
            counter = counters[n]
            kind = rng.choices(kinds, weights=kind_w)[0]
            method = "cash" if kind in CASH_ONLY else rng.choices(methods, weights=method_w)[0]
            cancel = kind == "bus" and rng.random() < CANCEL_SHARE and second < 8 * 3600
            cancelled += cancel
            t = templates[(counter.kind.value if hasattr(counter.kind, "value") else counter.kind, kind, "cash" if method == "cash" else "upi", cancel)]
            cloner.clone(t, counter, operators[counter.id], opened + dt.timedelta(seconds=second), method, rng)
            methods_count[method] += 1
            if len(cloner.rows["service_request"]) >= CHUNK:
                bar.update(await cloner.flush())
        bar.update(await cloner.flush())
    bar.close()
    await write_figures(raw, cloner)
    await raw.reset_sequences()
    return {"methods": methods_count, "cancelled": cancelled}


async def write_figures(raw: Raw, cloner: Cloner) -> None:
    """The MIS rows of the clones (their days hold nothing else: the templates are recorded today)."""
    from emitra.core.mis import _category

    district = (await raw.fetch('SELECT id FROM "district" WHERE code=?', cloner.code))[0][0]
    cols = raw.columns["daily_figure"]
    next_id = await raw.max_id("daily_figure") + 1
    rows = []
    categories = {code: await _category(code) for code in cloner.meta}
    for (counter_id, lsp_id, day, code), v in sorted(cloner.figures.items()):
        values = {"id": next_id, "district_id": district, "lsp_id": lsp_id, "counter_id": counter_id, "business_date": day,
                  "service_code": code, "provider": cloner.meta[code][0], "category": categories[code],
                  "transactions": v[0], "principal_paise": v[1], "service_charge_paise": v[2], "citizen_total_paise": v[3],
                  "charge_by_department_paise": v[4], "charge_by_partner_paise": v[5], "cancelled": v[7]}
        rows.append(tuple(values[c] for c in cols))
        next_id += 1
    for i in range(0, len(rows), 50_000):
        await raw.insert({"daily_figure": rows[i:i + 50_000]})
    from emitra.core.mis import rollup_months

    await rollup_months()  # the monthly figures, as the counter code keeps them beside the daily ones


# --------------------------------------------------------------------------------------------
# 4. Checks


async def verify(raw: Raw, plan: Plan) -> dict[str, Any]:
    """The generated books are sound, or the bench must not run on them (raises)."""
    total = (await raw.fetch('SELECT COALESCE(SUM(amount_paise), 0), COUNT(*) FROM "posting"'))[0]
    unbalanced = (await raw.fetch('SELECT COUNT(*) FROM (SELECT entry_id FROM "posting" GROUP BY entry_id '
                                  'HAVING SUM(amount_paise) <> 0) u'))[0][0]
    entries = (await raw.fetch('SELECT COUNT(*) FROM "ledger_entry"'))[0][0]
    lo, hi = plan.start, plan.end
    mis = (await raw.fetch('SELECT COALESCE(SUM(transactions), 0), COALESCE(SUM(principal_paise), 0), COALESCE(SUM(cancelled), 0) '
                           'FROM "daily_figure" WHERE business_date >= ? AND business_date <= ?', lo, hi))[0]
    counted = (await raw.fetch("SELECT COUNT(*), COALESCE(SUM(principal_paise), 0) FROM \"service_request\" WHERE business_date >= ? "
                               "AND business_date <= ? AND status <> 'cancelled'", lo, hi))[0]
    cancelled = (await raw.fetch("SELECT COUNT(*) FROM \"service_request\" WHERE business_date >= ? AND business_date <= ? "
                                 "AND status = 'cancelled'", lo, hi))[0][0]
    from emitra.core import entry_figures

    differing = (await raw.fetch(f'SELECT COUNT(*) FROM "ledger_entry" e JOIN ({entry_figures.postings_sql()}) x ON x.id = e."id" '
                                 f'WHERE e."touches" IS NULL OR {entry_figures.differs("e", "x")}'))[0][0]
    problems = []
    if total[0] != 0 or unbalanced:
        problems.append(f"ledger: sum {total[0]} paise, {unbalanced} unbalanced entries")
    if differing:
        problems.append(f"ledger: {differing} entries without their postings' figures (core/entry_figures.py)")
    if (int(mis[0]), int(mis[1]), int(mis[2])) != (int(counted[0]), int(counted[1]), int(cancelled)):
        problems.append(f"MIS: daily_figure says {tuple(mis)}, the requests {tuple(counted) + (cancelled,)}")
    if problems:
        raise SystemExit("generated data is broken: " + "; ".join(problems))
    return {"entries": entries, "postings": total[1], "requests_in_period": int(counted[0]) + cancelled}


# --------------------------------------------------------------------------------------------
# 5. What the bank and Stripe send, once the day ends and settlements are in the books

STRIPE_FEE_BP = 200  # Stripe's 2% on a card charge


def _rupees(paise: int) -> str:
    return f"{paise // 100}.{paise % 100:02d}"


async def _moves(account: str, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[dict[str, Any]]:
    """Entries of [lo, hi) with key ``prefix...`` moving ``account``: id, key, time, amount, receipt, payment details."""
    from emitra.core import ledger

    rows = await ledger.rows(
        'SELECT e."id" AS id, e."idempotency_key" AS key, e."created_at" AS at, p."amount_paise" AS amount, r."receipt_no" AS receipt, '
        '(SELECT y."details" FROM "payment" y WHERE y."request_id" = e."request_id" ORDER BY y."id" LIMIT 1) AS details '
        'FROM "ledger_entry" e JOIN "posting" p ON p."entry_id" = e."id" LEFT JOIN "service_request" r ON r."id" = e."request_id" '
        'WHERE p."account" = ? AND e."idempotency_key" LIKE ? AND e."created_at" >= ? AND e."created_at" < ? ORDER BY e."id"',
        [account, prefix + "%", lo, hi])
    for r in rows:
        if isinstance(r["details"], str):
            r["details"] = json.loads(r["details"] or "{}")
        if isinstance(r["at"], str):
            r["at"] = dt.datetime.fromisoformat(r["at"])
    return rows


async def write_statements(plan: Plan, folder: Path) -> dict[str, Any]:
    """The bank's statement of each day (``bank-<date>.csv``) and Stripe's balance transactions of
    each day (``stripe-<date>.json``) of the period, from the books: each day's deposits (the day
    ends of the day before, by slip number), UPI credits (by UTR), settlement payouts out of
    ``escrow:upi`` (by the payout's reference), Stripe's payout of the day; on Stripe's side each card charge (2%
    fee), each LSP share transferred (a settlement out of ``escrow:card``) and the day's payout.

    Deliberate mismatches each week: one deposit ₹10 short (differing), one UPI credit missing
    (unmatched in the ledger) and bank charges (unmatched on the statement)."""
    from emitra.core.dayend import day_end_at, day_start
    from emitra.core.models import DayEnd

    folder.mkdir(parents=True, exist_ok=True)
    lines = 0
    for n in range(plan.days):
        day = plan.start + dt.timedelta(days=n)
        lo, hi = day_start(day), day_end_at(day)
        first_of_week = day.weekday() == 0
        bank: list[tuple[str, str, str, int]] = []  # description, reference, signed paise
        for i, d in enumerate(await DayEnd.filter(business_date=day - dt.timedelta(days=1), deposit_paise__gt=0).order_by("id")):
            short = 1000 if first_of_week and i == 0 else 0
            bank.append((f"BY CASH DEP SLIP {d.slip_no}", d.slip_no, d.deposit_paise - short))
        for i, r in enumerate(await _moves("escrow:upi", "request:", lo, hi)):
            if not (first_of_week and i == 0):
                utr = r["details"].get("provider_reference", "")
                bank.append((f"UPI/CR/{utr}/e-Mitra {r['receipt']}", utr, int(r["amount"])))
        for r in await _moves("escrow:upi", "settle:", lo, hi):
            bank.append((f"NEFT LSP SETTLEMENT {r['key'].removeprefix('settle:')}", f"NEFT{r['id']:010d}", int(r["amount"])))
        stripe, payout = [], 0
        for r in await _moves("escrow:card", "request:", lo, hi):
            amount = int(r["amount"])
            fee = amount * STRIPE_FEE_BP // 10000
            charge = r["details"].get("provider_reference", "")
            stripe.append({"id": f"txn_{charge}", "object": "balance_transaction", "amount": amount, "currency": "inr", "fee": fee,
                           "net": amount - fee, "type": "charge", "created": int(r["at"].timestamp()), "source": charge,
                           "description": f"e-Mitra {r['receipt']}"})
            payout += amount - fee
        for r in await _moves("escrow:card", "settle:", lo, hi):
            amount = int(r["amount"])
            stripe.append({"id": f"txn_tr_{r['id']}", "object": "balance_transaction", "amount": amount, "currency": "inr", "fee": 0,
                           "net": amount, "type": "transfer", "created": int(r["at"].timestamp()), "source": f"tr_{r['id']}",
                           "description": f"LSP share {r['key'].removeprefix('settle:')}"})
            payout += amount
        if payout > 0:
            po = f"po_bench{day:%Y%m%d}"
            at = int((hi - dt.timedelta(hours=1)).timestamp())
            stripe.append({"id": f"txn_{po}", "object": "balance_transaction", "amount": -payout, "currency": "inr", "fee": 0,
                           "net": -payout, "type": "payout", "created": at, "source": po, "description": "STRIPE PAYOUT"})
            bank.append((f"STRIPE PAYMENTS UK LTD {po}", po, payout))
        if first_of_week:
            bank.append(("SMS ALERT CHARGES INCL GST", "", -1770))
        if stripe:
            (folder / f"stripe-{day.isoformat()}.json").write_text(json.dumps({"object": "list", "has_more": False, "data": stripe}))
        if bank:
            rows = ["date,description,reference,debit,credit,balance"]
            rows += [f"{day.isoformat()},{desc},{ref},{_rupees(-paise) if paise < 0 else ''},{_rupees(paise) if paise > 0 else ''},"
                     for desc, ref, paise in bank]
            (folder / f"bank-{day.isoformat()}.csv").write_text("\n".join(rows) + "\n")
        lines += len(bank) + len(stripe)
    return {"lines": lines, "files": len(list(folder.iterdir()))}


# --------------------------------------------------------------------------------------------
# The whole build


async def build(url: str, plan: Plan, progress: bool = True) -> dict[str, Any]:
    """Wipe the database at ``url``, migrate, and build the district; return what was made."""
    from tortoise import Tortoise

    from emitra.core.db import migrate, tortoise_config
    from emitra.core.plugins import get_host

    began = time.perf_counter()
    await common.wipe(url)
    await migrate(url)
    await Tortoise.init(config=tortoise_config(url))
    get_host()
    raw = await Raw(url).open()
    try:
        district = await make_district(plan)
        templates = await make_templates(raw, district, plan.seed)
        made = await generate(raw, plan, district, templates, progress)
        await fill_drawer_totals()
        indexes = await create_indexes(raw)
        await raw.analyze()
        checked = await verify(raw, plan)
    finally:
        await raw.close()
        await Tortoise.close_connections()
    return {"counters": plan.counters, "transactions": plan.transactions, "days": plan.days, "start": plan.start.isoformat(),
            "end": plan.end.isoformat(), "templates": len(templates), "indexes": indexes, **made, **checked,
            "seconds": round(time.perf_counter() - began, 1)}


def main(argv: list[str] | None = None) -> None:
    p = common.parser(__doc__)
    p.add_argument("--counters", type=int, default=100)
    p.add_argument("--transactions", type=int, default=100_000)
    p.add_argument("--days", type=int, default=28)
    p.add_argument("--start", type=dt.date.fromisoformat, help="first day (default: whole weeks ending last Sunday)")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    data_dir = common.temp_dir()
    url = common.setup_environment(args.database_url, data_dir)
    plan = Plan(args.counters, args.transactions, args.days, args.start or default_start(args.days), args.seed)
    print(json.dumps(asyncio.run(build(url, plan)), default=str))


if __name__ == "__main__":
    main()

"""Day end at a counter, the Society's confirmation of the deposit, and prepaid wallet top-ups.

**What a day end covers.** The expected cash of a business day is computed from the ledger: the
postings to ``counter_cash:<counter>`` whose entries were created (``ledger_entry.created_at``) on
that date in the counters' time zone (Asia/Kolkata), refunds paid out of the drawer included (a
cancelled booking credits the drawer), the day-end entries themselves left out. Cash taken on a
closed day *after* it was closed is carried into the next day end (its ``note`` says how much), so
every posting to the drawer is covered by exactly one day end. Days are closed in order: a day
cannot be closed while an earlier day with cash movements is still open.

**What the counter keeps.** Of the citizen-paid transactions in cash, the LSP's and the kiosk
owner's shares of the service charge (``lsp_fee_payable:<lsp>``, ``owner_fee_payable:<counter>``)
and the LSP's own sales (``lsp_sales:<lsp>``, photocopies and the like) stay with the counter; the
rest is deposited. Department- and partner-paid charges are receivables, not cash: nothing of them
is kept back.

The entry (key ``dayend:<counter>:<date>``)::

    Dr lsp_fee_payable:<lsp>          retained (and owner_fee_payable / lsp_sales, each its part)
    Dr deposit_in_transit:<counter>   counted - retained
    Dr cash_over_short:<counter>      expected - counted   (a credit when the drawer holds more)
        Cr counter_cash:<counter>     expected

The deposit, once the bank shows it (key ``deposit:<slip_no>``)::

    Dr society_bank                   amount credited by the bank
        Cr deposit_in_transit:<counter>
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from stdnum import verhoeff
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from emitra.core import audit, clock, config, drawer_totals, ledger
from emitra.core.db import on_postgres
from emitra.core.models import LSP, Counter, DayEnd, District, LedgerEntry, Posting, Role, Wallet
from emitra.core.money import bank_reference as normal_reference
from emitra.core.money import format_paise

from emitra.core.drawer_totals import DAYEND_KEY  # noqa: E402  (re-exported: day ends are made here)


class MoneyError(ValueError):
    """A day end, deposit, settlement, remittance or top-up that cannot be done; ``field`` names what to fix."""

    def __init__(self, field: str, message_en: str, message_hi: str):
        super().__init__(f"{field}: {message_en}")
        self.field = field
        self.message_en = message_en
        self.message_hi = message_hi


# --- dates ----------------------------------------------------------------------------------------

def tz() -> ZoneInfo:
    return ZoneInfo(config.timezone())


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the counters (Asia/Kolkata) at the start of ``day``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz())


def day_end_at(day: dt.date) -> dt.datetime:
    return day_start(day + dt.timedelta(days=1))


def local_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(tz()).date()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parse_date(text: str, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise MoneyError(field, f"{text!r} is not a date; write it as YYYY-MM-DD, for example 2026-11-20.",
                         f"{text!r} तारीख नहीं है; इसे YYYY-MM-DD रूप में लिखें, जैसे 2026-11-20।") from None


def check_paise(amount: Any, field: str, allow_zero: bool = True) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise MoneyError(field, "Amounts are whole paise (an integer).", "राशि पूरे पैसे (पूर्णांक) में होती है।")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise MoneyError(field, "The amount must be more than zero." if not allow_zero else "The amount cannot be negative.",
                         "राशि शून्य से अधिक होनी चाहिए।" if not allow_zero else "राशि ऋणात्मक नहीं हो सकती।")
    return amount


# --- day-end notes, in English and Hindi -----------------------------------------------------------
#
# A day end's note says what is unusual about it (cash carried in from a day closed early, shares the
# drawer could not cover, a shortage or excess, a bank credit other than the slip). It is written in
# both languages when it is written (DayEnd.note, DayEnd.note_hi); :func:`note_hi` puts a note written
# before the Hindi column existed (migration 0020) into Hindi from its English, part by part.

def _note_carried(paise: int, day: dt.date) -> tuple[str, str]:
    return (f"includes {format_paise(paise)} taken on {day:%d-%m-%Y} after that day was closed",
            f"इसमें {format_paise(paise)} शामिल है जो {day:%d-%m-%Y} को उस दिन के बंद होने के बाद लिया गया")


def _note_kept_short(shares: int, owed: int) -> tuple[str, str]:
    return (f"the drawer held less than the counter's shares ({format_paise(shares)}): {format_paise(owed)} of them stay owed to the LSP",
            f"दराज़ में काउंटर के हिस्सों ({format_paise(shares)}) से कम नकद था: उनमें से {format_paise(owed)} एलएसपी को देय रहता है")


def _note_difference(difference: int) -> tuple[str, str]:
    amount = format_paise(abs(difference))
    return (f"excess {amount}", f"अधिक नकद {amount}") if difference > 0 else (f"shortage {amount}", f"नकद में कमी {amount}")


def _note_bank(credited: int, slip: int) -> tuple[str, str]:
    gap = format_paise(abs(credited - slip))
    less = credited < slip
    return (f"bank credited {format_paise(credited)}, {gap} {'less' if less else 'more'} than the slip",
            f"बैंक ने {format_paise(credited)} जमा किए, पर्ची से {gap} {'कम' if less else 'अधिक'}")


def _joined(parts: list[tuple[str, str]]) -> tuple[str, str]:
    return "; ".join(en for en, _ in parts)[:500], "; ".join(hi for _, hi in parts)[:500]


_AMOUNT = r"(-?₹[\d,]+\.\d\d)"
_LEGACY_NOTES = [  # (the English part as written before 0020, how to say it in Hindi)
    (re.compile(rf"includes {_AMOUNT} taken on (\d\d-\d\d-\d{{4}}) after that day was closed"),
     lambda m: f"इसमें {m[1]} शामिल है जो {m[2]} को उस दिन के बंद होने के बाद लिया गया"),
    (re.compile(rf"the drawer held less than the counter's shares \({_AMOUNT}\): {_AMOUNT} of them stay owed to the LSP"),
     lambda m: f"दराज़ में काउंटर के हिस्सों ({m[1]}) से कम नकद था: उनमें से {m[2]} एलएसपी को देय रहता है"),
    (re.compile(rf"excess {_AMOUNT}"), lambda m: f"अधिक नकद {m[1]}"),
    (re.compile(rf"shortage {_AMOUNT}"), lambda m: f"नकद में कमी {m[1]}"),
    (re.compile(rf"bank credited {_AMOUNT}, {_AMOUNT} (less|more) than the slip"),
     lambda m: f"बैंक ने {m[1]} जमा किए, पर्ची से {m[2]} {'कम' if m[3] == 'less' else 'अधिक'}"),
]


def note_hi(day_end: DayEnd) -> str:
    """The day end's note in Hindi: as written, or (a day end noted before migration 0020) its English
    put into Hindi part by part; a part of no known shape stays as it is."""
    if day_end.note_hi or not day_end.note:
        return day_end.note_hi
    out = []
    for part in day_end.note.split("; "):
        for pattern, say in _LEGACY_NOTES:
            m = pattern.fullmatch(part)
            if m:
                part = say(m)
                break
        out.append(part)
    return "; ".join(out)


# --- deposit slips --------------------------------------------------------------------------------

def make_slip_no(district_code: str, counter_id: int, day: dt.date) -> str:
    """``DS`` + district + counter (4 digits) + date (YYYYMMDD) + a Verhoeff check digit,
    e.g. ``DSJP0001202611205``: the same counter and day always give the same slip number."""
    body = f"{counter_id:04d}{day:%Y%m%d}"
    return f"DS{district_code.upper()}{body}{verhoeff.calc_check_digit(body)}"


def is_valid_slip_no(text: str) -> bool:
    cleaned = (text or "").replace("-", "").replace(" ", "").upper()
    return len(cleaned) == 17 and cleaned[:2] == "DS" and cleaned[2:4].isalpha() and cleaned[4:].isdigit() \
        and verhoeff.is_valid(cleaned[4:])


# --- what the drawer should hold ------------------------------------------------------------------

def retained_accounts(counter: Counter) -> list[str]:
    return [f"lsp_fee_payable:{counter.lsp_id}", f"owner_fee_payable:{counter.code}", f"lsp_sales:{counter.lsp_id}"]


@dataclass
class Figures:
    """What a day end would post: computed from the ledger, in paise."""

    counter: Counter
    business_date: dt.date
    expected_paise: int
    retained: dict[str, int]  # account -> paise the counter keeps
    carried_paise: int = 0  # cash taken on the previous closed day after its close
    entries: int = 0  # transactions in the drawer
    window_from: dt.datetime | None = None
    window_to: dt.datetime | None = None
    closed: DayEnd | None = None
    previous: Closed | None = None  # the counter's last day end before this one

    @property
    def retained_paise(self) -> int:
        return sum(self.retained.values())

    def deposit_for(self, counted: int) -> int:
        return counted - min(self.retained_paise, counted)


def _window(qs, lo: dt.datetime | None, hi: dt.datetime | None):
    if lo is not None:
        qs = qs.filter(entry__created_at__gte=lo)
    if hi is not None:
        qs = qs.filter(entry__created_at__lt=hi)
    return qs.exclude(entry__idempotency_key__startswith=DAYEND_KEY)


async def _sum(qs) -> int:
    """The sum of ``amount_paise`` over a Posting queryset, in SQL. (Grouped explicitly: with a join in
    the filter, Tortoise would otherwise group by every column and sum each row alone.)"""
    rows = await qs.annotate(total=Sum("amount_paise")).group_by("district_id").values("total")
    return sum(int(r["total"] or 0) for r in rows)


def _marks(values: list[Any]) -> str:
    return ", ".join("?" for _ in values)


def _between(lo: dt.datetime | None, hi: dt.datetime | None) -> tuple[str, list[Any]]:
    """The SQL condition on ``e.created_at`` for [lo, hi), without the day-end entries themselves."""
    sql, params = f"e.\"idempotency_key\" NOT LIKE '{DAYEND_KEY}%'", []
    if lo is not None:
        sql, params = sql + ' AND e."created_at" >= ?', params + [lo]
    if hi is not None:
        sql, params = sql + ' AND e."created_at" < ?', params + [hi]
    return sql, params


#: The accounts the day end reads, by prefix: the drawers, and the shares a counter keeps
#: (:func:`retained_accounts`). The window's postings are picked by ``substr(account, 1, n)``, not
#: by ``account IN (...)``: PostgreSQL answers an IN list from the posting(account) index, reading
#: every drawer's whole history (a day end slowing down day after day), where the window's entries
#: (ledger_entry.created_at) and their postings (posting.entry_id) are a day's worth whatever the
#: size of the books. Accounts the caller did not ask for are dropped in Python.
from emitra.core.drawer_totals import CASH_PREFIX, RETAINED_PREFIXES  # noqa: E402


def _has_prefix(column: str, prefixes: tuple[str, ...]) -> str:
    """SQL: ``column`` starts with one of ``prefixes`` (this module's constants), in a form no index answers."""
    return "(" + " OR ".join(f"substr({column}, 1, {len(x)}) = '{x}'" for x in prefixes) + ")"


_IS_DRAWER = _has_prefix('p."account"', (CASH_PREFIX,))
_IS_KEPT = _has_prefix('r."account"', RETAINED_PREFIXES)


async def index_rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """:func:`ledger.rows` for the money code's aggregates over a window of entries, planned on
    PostgreSQL as nested loops over the indexes (no hash or merge join, no table scan, no JIT),
    the settings restored afterwards. Its statistics guess ``substr(account, ...)`` at a few rows,
    so it would hash-join the window's entries to a scan of every posting (0.3 s a day at 1M
    postings, growing with the books), and, taken while every payment was open, scan the payments
    to find the open ones; from the window's entries by ledger_entry(created_at) and
    posting(entry_id) it reads a day's worth. SQLite: as it is."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return await ledger.rows(sql, params)
    if not isinstance(conn, TransactionalDBClient):  # the settings are local to a transaction
        async with in_transaction():
            return await index_rows(sql, params)
    old = (await ledger.rows(f"SELECT {', '.join(f'current_setting({name!r}) AS {name}' for name in _PLANNER)}", []))[0]
    await ledger.rows(f"SELECT {', '.join(f'set_config({name!r}, {value!r}, true)' for name, value in _PLANNER.items())}", [])
    out = await ledger.rows(sql, params)
    await ledger.rows(f"SELECT {', '.join(f'set_config({name!r}, ?, true)' for name in _PLANNER)}", [old[name] for name in _PLANNER])
    return out


_PLANNER = {"enable_hashjoin": "off", "enable_mergejoin": "off", "enable_seqscan": "off", "enable_bitmapscan": "off", "jit": "off"}


def _window_postings(where: str) -> str:
    """SQL: the window's entries ``e`` (``where``) and their postings ``p``, read in that order: CROSS
    JOIN makes SQLite start from the entries, which it would otherwise read through the
    posting(account) index when the window has no lower bound (every posting of the district)."""
    return f'"ledger_entry" e CROSS JOIN "posting" p WHERE p."entry_id" = e."id" AND {where}'


async def _drawer_sums(codes: list[str], lo: dt.datetime | None, hi: dt.datetime | None,
                       district_id: int | None = None) -> dict[str, tuple[int, int]]:
    """For each counter code: the sum and the number of postings to its drawer in [lo, hi), one query for all."""
    where, params = _between(lo, hi)
    district = ' AND p."district_id" = ?' if district_id is not None else ""
    rows = await index_rows(
        f'SELECT p."account" AS account, SUM(p."amount_paise") AS total, COUNT(*) AS n FROM {_window_postings(where)} '
        f'AND {_IS_DRAWER}{district} GROUP BY p."account"', params + ([district_id] if district_id is not None else []))
    wanted = set(codes)
    sums = {r["account"].removeprefix(CASH_PREFIX): (int(r["total"] or 0), int(r["n"])) for r in rows}
    return {code: v for code, v in sums.items() if code in wanted}


async def _first_cash(codes: list[str], lo: dt.datetime | None, hi: dt.datetime | None) -> dict[str, dt.datetime]:
    """For each counter code: when its drawer first moved in [lo, hi), if it did.

    Read from the window's entries when it is bounded, or when the books hold few entries before
    ``hi`` (a district's first days); else from the drawers' postings (posting(account)), which a
    counter never closed, added to a district with years of books, has few of."""
    accounts = [f"{CASH_PREFIX}{c}" for c in codes]
    where, params = _between(lo, hi)
    if lo is not None or (hi is not None and await _few_entries_before(hi)):
        rows = await index_rows(f'SELECT p."account" AS account, MIN(e."created_at") AS at FROM {_window_postings(where)} '
                                f'AND {_IS_DRAWER} GROUP BY p."account"', params)
    else:
        rows = await ledger.rows(f'SELECT p."account" AS account, MIN(e."created_at") AS at FROM "posting" p JOIN "ledger_entry" e '
                                 f'ON e."id" = p."entry_id" WHERE p."account" IN ({_marks(accounts)}) AND {where} GROUP BY p."account"',
                                 accounts + params)
    wanted = set(accounts)
    return {r["account"].removeprefix(CASH_PREFIX): ledger.as_datetime(r["at"]) for r in rows if r["account"] in wanted}


_FEW_ENTRIES = 20_000  # "few entries before": about a busy day of a district


async def _few_entries_before(moment: dt.datetime) -> bool:
    """Whether the books hold at most _FEW_ENTRIES entries created before ``moment`` (counted in the
    created_at index, never more than that many)."""
    rows = await ledger.rows(f'SELECT COUNT(*) AS n FROM (SELECT 1 FROM "ledger_entry" WHERE "created_at" < ? LIMIT {_FEW_ENTRIES + 1}) x',
                             [moment])
    return int(rows[0]["n"]) <= _FEW_ENTRIES


async def _cash_figures(codes: list[str], lo: dt.datetime | None, hi: dt.datetime | None,
                        district_id: int) -> dict[str, tuple[int, int, dict[str, int]]]:
    """For each counter code, in one pass over the window [lo, hi): the sum and the number of
    postings to its drawer, and what its cash transactions credited to the shares it keeps (the
    LSP's and owner's shares of citizen-paid charges, the LSP's own sales), by account (any share
    account: the caller picks the counter's own, :func:`retained_accounts`).

    Each entry that moved a drawer (``w``, once per entry and drawer) is joined to its postings:
    those to the same drawer give the drawer's sum and count, the kept shares the retained sums.

    A window open at the start (counters never closed) begins at the first movement of their
    drawers when the books hold more than a few entries before ``hi``: nothing before it can
    count, and a new counter's first day end in a district with years of books would otherwise
    read them all (5.5 s at a month of 1M transactions, growing with the books)."""
    if lo is None and hi is not None and not await _few_entries_before(hi):
        first = await _first_cash(codes, None, hi)
        if not first:
            return {}  # no drawer of these counters ever moved before hi
        lo = min(first.values())
    rows = []
    for a, b, kept in _parts(lo, hi):
        if kept:
            rows += await drawer_totals.window(codes, a, b, district_id)
        else:
            rows += await _window_from_postings(a, b, district_id)
    wanted = set(codes)
    out: dict[str, tuple[int, int, dict[str, int]]] = {}
    for r in rows:
        code = r["cash"].removeprefix(CASH_PREFIX)
        if code not in wanted:
            continue
        expected, n, kept = out.get(code, (0, 0, {}))
        if r["account"] == r["cash"]:
            expected, n = expected + int(r["total"] or 0), n + int(r["n"])
        else:
            kept[r["account"]] = kept.get(r["account"], 0) - int(r["total"] or 0)
        out[code] = (expected, n, kept)
    return out


def _parts(lo: dt.datetime | None, hi: dt.datetime | None) -> list[tuple[dt.datetime | None, dt.datetime | None, bool]]:
    """[lo, hi) as the parts read apart: its whole half hours from the drawers' totals (True), the
    part half hours at its ends (or all of it, when open at the start or shorter than a half hour)
    from the postings (False)."""
    if lo is None or hi is None:
        return [(lo, hi, False)]
    a, b = drawer_totals.next_bucket(lo), drawer_totals.bucket(hi)
    if a >= b:
        return [(lo, hi, False)]
    return [p for p in ((lo, a, False), (a, b, True), (b, hi, False)) if p[0] < p[1]]


async def _window_from_postings(lo: dt.datetime | None, hi: dt.datetime | None, district_id: int) -> list[dict[str, Any]]:
    """What the drawers' totals hold, summed from the postings of [lo, hi): rows of (cash, account,
    total, n) for every drawer of the district that moved."""
    where, params = _between(lo, hi)
    return await index_rows(
        'SELECT w."account" AS cash, r."account" AS account, SUM(r."amount_paise") AS total, COUNT(*) AS n FROM '
        f'(SELECT DISTINCT p."entry_id" AS entry_id, p."account" AS account, e."request_id" AS request_id FROM {_window_postings(where)} '
        f'AND {_IS_DRAWER} AND p."district_id" = ?) w '
        'JOIN "posting" r ON r."entry_id" = w.entry_id LEFT JOIN "service_request" s ON s."id" = w.request_id '
        f'WHERE r."account" = w."account" OR ({_IS_KEPT} AND (r."account" LIKE \'lsp_sales:%\' OR s."charge_payer" = \'citizen\')) '
        'GROUP BY w."account", r."account"', params + [district_id])


@dataclass(frozen=True)
class Closed:
    """What the next day end needs of a counter's previous one."""

    counter_id: int
    business_date: dt.date
    closed_at: dt.datetime


async def _previous_many(counter_ids: list[int], day: dt.date) -> dict[int, Closed]:
    """Each counter's last day end before ``day``, in one query whatever the number of counters.
    (Grouped and joined back, not a subquery per row: with statistics taken while day_end was
    small, PostgreSQL ran a correlated MAX as a scan of the table per row, quadratic in day ends.)"""
    if not counter_ids:
        return {}
    rows = await ledger.rows(
        'SELECT d."counter_id" AS counter_id, d."business_date" AS day, d."closed_at" AS at FROM "day_end" d JOIN '
        f'(SELECT x."counter_id" AS counter_id, MAX(x."business_date") AS day FROM "day_end" x WHERE x."counter_id" IN ({_marks(counter_ids)}) '
        'AND x."business_date" < ? GROUP BY x."counter_id") m ON m.counter_id = d."counter_id" AND m.day = d."business_date"',
        list(counter_ids) + [day])
    return {r["counter_id"]: Closed(r["counter_id"], _as_date(r["day"]), ledger.as_datetime(r["at"])) for r in rows}


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _cutoff(day_end: DayEnd | Closed) -> dt.datetime:
    return min(day_end_at(day_end.business_date), day_end.closed_at)


async def oldest_open_date(counter: Counter) -> dt.date | None:
    """The earliest day with cash movements at this counter that no day end covers yet."""
    last = await DayEnd.filter(counter_id=counter.id).order_by("-business_date").first()
    where, params = _between(day_end_at(last.business_date) if last else None, None)
    # the drawer's postings (posting(account, entry_id)) and their entries, the earliest by MIN: asked for
    # the first in date order, PostgreSQL walked every entry of the books by date looking for this drawer's
    rows = await ledger.rows(f'SELECT MIN(e."created_at") AS at FROM "posting" p CROSS JOIN "ledger_entry" e WHERE p."account" = ? '
                             f'AND e."id" = p."entry_id" AND {where}', [f"{CASH_PREFIX}{counter.code}", *params])
    return local_date(ledger.as_datetime(rows[0]["at"])) if rows and rows[0]["at"] is not None else None


async def next_open_date(counter: Counter) -> dt.date | None:
    """The business day whose day end this counter does next: :func:`oldest_open_date`, or, when the
    only cash no day end covers was taken on the last closed day after its close (carried into the
    next day end), the day after that one. None when every movement of the drawer is closed."""
    open_day = await oldest_open_date(counter)
    if open_day is not None:
        return open_day
    last = await DayEnd.filter(counter_id=counter.id).order_by("-business_date").first()
    if last is None or _cutoff(last) >= day_end_at(last.business_date):
        return None
    carried = await _first_cash([counter.code], _cutoff(last), day_end_at(last.business_date))
    return last.business_date + dt.timedelta(days=1) if counter.code in carried else None


async def earlier_open_date(counter: Counter, business_date: dt.date) -> dt.date | None:
    """The earlier day with cash and no day end that keeps ``business_date`` from being closed (the
    "Close … first" of :func:`close_day`), if there is one: what the day-end page warns of."""
    previous = (await _previous_many([counter.id], business_date)).get(counter.id)
    lo = day_end_at(previous.business_date) if previous else None
    if lo is not None and lo >= day_start(business_date):
        return None
    first = (await _first_cash([counter.code], lo, day_start(business_date))).get(counter.code)
    return local_date(first) if first is not None else None


async def figures(counter: Counter, business_date: dt.date, now: dt.datetime | None = None) -> Figures:
    """Expected cash, the retained shares and what was carried in, for ``business_date`` (not posted)."""
    return (await figures_for_day([counter], business_date, now))[counter.id]


async def figures_for_day(counters: list[Counter], business_date: dt.date, now: dt.datetime | None = None,
                          reckon_closed: bool = False) -> dict[int, Figures]:
    """:func:`figures` of many counters for one day, by counter id, with a few aggregate queries
    for all of them (grouped by district and by where each counter's window opens), not a few per
    counter: the day end of a whole district reads the day's postings once. ``reckon_closed``: a
    day already closed is reckoned again from the ledger as its close found it (``now`` its
    ``closed_at``), not given as closed (:func:`correct_count`)."""
    now = now or utcnow()
    out: dict[int, Figures] = {}
    for existing in [] if reckon_closed else await DayEnd.filter(counter_id__in=[c.id for c in counters], business_date=business_date):
        counter = next(c for c in counters if c.id == existing.counter_id)
        out[counter.id] = Figures(counter, business_date, existing.expected_paise, {}, closed=existing)
    open_ = [c for c in counters if c.id not in out]
    previous = await _previous_many([c.id for c in open_], business_date)
    hi = min(day_end_at(business_date), now)
    groups: dict[tuple[int, dt.datetime | None], list[Counter]] = {}
    for c in open_:
        prev = previous.get(c.id)
        groups.setdefault((c.district_id, _cutoff(prev) if prev else None), []).append(c)
    for (district_id, lo), group in groups.items():
        sums = await _cash_figures([c.code for c in group], lo, hi, district_id)
        for c in group:
            expected, entries, by_account = sums.get(c.code, (0, 0, {}))
            retained = {a: by_account[a] for a in retained_accounts(c) if by_account.get(a, 0) > 0}
            out[c.id] = Figures(c, business_date, expected, retained, 0, entries, lo, hi, previous=previous.get(c.id))
    carried: dict[tuple[dt.datetime, dt.datetime], list[Counter]] = {}
    for c in open_:
        prev = previous.get(c.id)
        if prev is not None and _cutoff(prev) < day_end_at(prev.business_date):  # closed before its day was over
            carried.setdefault((_cutoff(prev), day_end_at(prev.business_date)), []).append(c)
    for (lo, until), group in carried.items():
        sums = await _drawer_sums([c.code for c in group], lo, until)
        for c in group:
            out[c.id].carried_paise = sums.get(c.code, (0, 0))[0]
    return out


# --- closing the day ------------------------------------------------------------------------------

async def _refuse_unless_closable(counter: Counter, business_date: dt.date, now: dt.datetime) -> None:
    await _refuse_unless_all_closable([counter], business_date, now)


async def _refuse_unless_all_closable(counters: list[Counter], business_date: dt.date, now: dt.datetime) -> None:
    """Raise the first refusal, counter by counter in order: the day closed already, not begun, a
    later day closed, or an earlier day with cash still open. A few queries for all the counters."""
    ids = [c.id for c in counters]
    closed = {d.counter_id: d for d in await DayEnd.filter(counter_id__in=ids, business_date=business_date)}
    later: dict[int, DayEnd] = {}
    for d in await DayEnd.filter(counter_id__in=ids, business_date__gt=business_date).order_by("business_date"):
        later.setdefault(d.counter_id, d)
    previous = await _previous_many(ids, business_date)
    windows: dict[dt.datetime | None, list[Counter]] = {}
    for c in counters:
        prev = previous.get(c.id)
        windows.setdefault(day_end_at(prev.business_date) if prev else None, []).append(c)
    first_cash: dict[str, dt.datetime] = {}
    for lo, group in windows.items():
        if lo is None or lo < day_start(business_date):
            first_cash |= await _first_cash([c.code for c in group], lo, day_start(business_date))
    for counter in counters:
        if counter.id in closed:
            slip = closed[counter.id].slip_no
            raise MoneyError(
                "date", f"The day end of {counter.code} for {business_date:%d-%m-%Y} is already closed (deposit slip {slip}); "
                        "a day is closed once. Ask the Society if the count was wrong.",
                f"{counter.code} का {business_date:%d-%m-%Y} का दिवसांत पहले ही बंद है (जमा पर्ची {slip}); "
                "एक दिन एक ही बार बंद होता है। गिनती गलत हो तो सोसायटी से संपर्क करें।")
        if business_date > local_date(now):
            raise MoneyError("date", f"{business_date:%d-%m-%Y} has not begun yet; a day is closed on or after that day.",
                             f"{business_date:%d-%m-%Y} अभी शुरू नहीं हुआ है; दिन उसी दिन या उसके बाद बंद होता है।")
        if counter.id in later:
            when = later[counter.id].business_date
            raise MoneyError("date", f"{when:%d-%m-%Y} is already closed at {counter.code}; days are closed in order, "
                                     f"so {business_date:%d-%m-%Y} can no longer be closed (its cash was counted with the later day).",
                             f"{counter.code} पर {when:%d-%m-%Y} पहले ही बंद है; दिन क्रम से बंद होते हैं, "
                             f"इसलिए {business_date:%d-%m-%Y} अब बंद नहीं हो सकता।")
        if counter.code in first_cash:
            first = local_date(first_cash[counter.code])
            raise MoneyError("date", f"Close {first:%d-%m-%Y} first: {counter.code} took cash that day and it has no day end yet.",
                             f"पहले {first:%d-%m-%Y} बंद करें: उस दिन {counter.code} पर नकद लिया गया और उसका दिवसांत नहीं हुआ।")


def _retained_lines(retained: dict[str, int], counted: int) -> dict[str, int]:
    """The shares kept back, never more than the cash counted (a drawer short beyond them keeps less)."""
    left, kept = counted, {}
    for account, paise in retained.items():
        take = min(paise, left)
        if take:
            kept[account] = take
        left -= take
    return kept


async def close_day(actor: audit.Actor, counter: Counter, business_date: dt.date, counted_paise: int,
                    now: dt.datetime | None = None) -> DayEnd:
    """Close ``counter``'s cash for ``business_date``: one DayEnd row, one balanced entry, one audit
    record, in one transaction. Only an operator of this counter closes it; a day closes once."""
    return (await close_days(business_date, [(actor, counter, counted_paise)], now))[0]


async def close_days(business_date: dt.date, closings: list[tuple[audit.Actor, Counter, int]],
                     now: dt.datetime | None = None) -> list[DayEnd]:
    """Close many counters' cash for one day, each as :func:`close_day` closes one (``closings``
    is (operator, counter, cash counted) per counter), all or none, in one transaction and a few
    queries whatever their number. The first refusal (in the order given) is raised."""
    for actor, counter, counted in closings:
        check_paise(counted, "counted")
        user = actor.user
        if user is None or user.role != Role.OPERATOR or user.counter_id != counter.id:
            raise MoneyError("operator", f"Only an operator of counter {counter.code} closes its day.",
                             f"काउंटर {counter.code} का दिन केवल उसी काउंटर का ऑपरेटर बंद करता है।")
    if not closings:
        return []
    now = now or utcnow()
    counters = [c for _, c, _ in closings]
    await _refuse_unless_all_closable(counters, business_date, now)
    codes = dict(await District.filter(id__in={c.district_id for c in counters}).values_list("id", "code"))
    try:
        async with in_transaction():
            figs = await figures_for_day(counters, business_date, now)
            made, entries, records = [], [], []
            for actor, counter, counted in closings:
                fig = figs[counter.id]
                slip_no = make_slip_no(codes[counter.district_id], counter.id, business_date)
                expected = fig.expected_paise
                kept = _retained_lines(fig.retained, counted)
                retained = sum(kept.values())
                deposit = counted - retained
                difference = counted - expected
                notes = []
                if fig.carried_paise:
                    notes.append(_note_carried(fig.carried_paise, fig.previous.business_date))
                if retained < fig.retained_paise:
                    notes.append(_note_kept_short(fig.retained_paise, fig.retained_paise - retained))
                if difference:
                    notes.append(_note_difference(difference))
                note_en, note_hi_text = _joined(notes)
                made.append(DayEnd(
                    district_id=counter.district_id, counter=counter, business_date=business_date, expected_paise=expected,
                    counted_paise=counted, retained_paise=retained, deposit_paise=deposit, difference_paise=difference,
                    slip_no=slip_no, status="flagged" if difference else "closed", closed_by=actor.name, closed_at=now,
                    note=note_en, note_hi=note_hi_text))
                lines = [ledger.debit(a, p) for a, p in kept.items()]
                lines += [ledger.debit(f"deposit_in_transit:{counter.code}", deposit),
                          ledger.debit(f"cash_over_short:{counter.code}", expected - counted),
                          ledger.credit(f"counter_cash:{counter.code}", expected)]
                if any(l.amount_paise for l in lines):
                    entries.append(ledger.NewEntry(counter.district_id, f"{DAYEND_KEY}{counter.code}:{business_date.isoformat()}",
                                                   f"day end {counter.code} {business_date.isoformat()} slip {slip_no}", lines))
                records.append((actor, counter, {"date": business_date.isoformat(), "slip_no": slip_no, "expected_paise": expected,
                                                 "counted_paise": counted, "retained_paise": retained, "deposit_paise": deposit,
                                                 "difference_paise": difference, "transactions": fig.entries}))
            if len(made) == 1:
                await made[0].save()
            else:
                await DayEnd.bulk_create(made, batch_size=1000)
                ids = dict(await DayEnd.filter(counter_id__in=[c.id for c in counters], business_date=business_date)
                           .values_list("counter_id", "id"))
                for day_end in made:
                    day_end.id = ids[day_end.counter_id]
            await ledger.post_many(entries)
            await audit.record_many([(actor, "dayend.closed", day_end, {"district_id": counter.district_id, "counter_id": counter.id,
                                                                        "detail": detail})
                                     for day_end, (actor, counter, detail) in zip(made, records)])
    except IntegrityError:  # closed at the same moment from another screen
        await _refuse_unless_all_closable(counters, business_date, now)
        raise
    return made


async def confirm_deposit(actor: audit.Actor, day_end: DayEnd, bank_reference: str, amount_paise: int,
                          on: dt.date | dt.datetime | None = None) -> DayEnd:
    """The Society sees the deposit in its bank: Dr society_bank / Cr deposit_in_transit:<counter>.

    ``on`` places the confirmation in time: the bank's value date (``confirmed_at`` is then noon of
    that day in the counters' time zone) or a datetime (a naive one is local time); now if not given.

    Called from the Society's Day ends page and by the bank statement reconciliation (``actor.user``
    may then be None). The amount the bank credited is posted; if it differs from the slip, the day
    end is flagged and the difference stays visible in ``deposit_in_transit:<counter>``. Confirming
    again with the same reference and amount changes nothing; with others it is refused. A bank
    reference that already confirmed another slip of the district is refused, naming that slip (one
    bank credit pays one slip), and so is a slip with nothing to deposit. The reference is taken,
    stored and compared in one form, whatever its capitals and spaces (:func:`money.bank_reference`:
    "utr 9ab12" is UTR9AB12).
    """
    user = actor.user
    if user is not None and not (user.role == Role.SOCIETY_ADMIN and user.district_id == day_end.district_id):
        raise MoneyError("actor", "Only the district Society confirms deposits.", "जमा की पुष्टि केवल जिला सोसायटी करती है।")
    reference = normal_reference(bank_reference)
    if not reference or len(reference) > 100:
        raise MoneyError("bank_reference", "Give the bank's reference for the deposit (1 to 100 characters).",
                         "जमा का बैंक संदर्भ दें (1 से 100 अक्षर)।")
    amount = check_paise(amount_paise, "amount", allow_zero=False)
    fresh = await DayEnd.get(id=day_end.id).prefetch_related("counter")
    if fresh.confirmed_at is not None:
        return await _confirmed_already(fresh, reference, amount)
    if fresh.nothing_to_deposit:
        raise _nothing_to_deposit(fresh)
    other = await DayEnd.filter(district_id=fresh.district_id, bank_reference=reference).exclude(id=fresh.id).first()
    if other is not None:
        raise _reference_used(reference, other)
    code = fresh.counter.code
    async with in_transaction():
        # again under the district's lock: two confirmations sent at the same moment with one bank
        # reference both passed the check above (PostgreSQL; SQLite runs one transaction at a time)
        await _lock_districts({fresh.district_id})
        meanwhile = await DayEnd.get(id=fresh.id)  # confirmed by another since it was read open above (two staff at once)
        if meanwhile.confirmed_at is not None:
            return await _confirmed_already(meanwhile, reference, amount)
        _take_figures(fresh, {name: getattr(meanwhile, name) for name in _FIGURES})  # its count corrected since it was read (decision 162): the slip as it is now
        if fresh.nothing_to_deposit:
            raise _nothing_to_deposit(fresh)
        other = await DayEnd.filter(district_id=fresh.district_id, bank_reference=reference).exclude(id=fresh.id).first()
        if other is not None:
            raise _reference_used(reference, other)
        try:
            await ledger.post(fresh.district_id, f"deposit:{fresh.slip_no}", f"deposit {fresh.slip_no} bank ref {reference}"[:300],
                              [ledger.debit("society_bank", amount), ledger.credit(f"deposit_in_transit:{code}", amount)])
        except ledger.LedgerError:
            raise MoneyError("bank_reference", f"Deposit slip {fresh.slip_no} was already confirmed.",
                             f"जमा पर्ची {fresh.slip_no} की पुष्टि पहले ही हो चुकी है।") from None
        _mark_confirmed(fresh, actor, amount, reference, on)
        await fresh.save(update_fields=["confirmed_by", "confirmed_at", "bank_reference", "note", "note_hi", "status"])
        await audit.record(actor, "dayend.deposit_confirmed", fresh, district_id=fresh.district_id, counter_id=fresh.counter_id,
                           detail={"slip_no": fresh.slip_no, "bank_reference": reference, "amount_paise": amount,
                                   "slip_paise": fresh.deposit_paise, "value_date": on.isoformat() if on else None})
    return fresh


async def confirm_deposits(actor: audit.Actor, deposits: list[tuple[DayEnd, str, int, dt.date | dt.datetime | None]]
                           ) -> list[DayEnd | MoneyError]:
    """:func:`confirm_deposit` for many day ends, (day end, bank reference, amount, on) each: for
    each, the confirmed day end or the :class:`MoneyError` refusing it (the others go ahead). The
    plain case (not yet confirmed, a slip with money to deposit) is posted for all in one
    transaction and a few statements; anything else goes through :func:`confirm_deposit` alone.
    A day end given again in the same call is refused there, naming its slip (only its first
    occurrence is considered: one slip, one confirmation); references as in :func:`confirm_deposit`."""
    deposits = [(day_end, normal_reference(reference), amount, on) for day_end, reference, amount, on in deposits]
    fresh = {d.id: d for d in await DayEnd.filter(id__in=[d.id for d, *_ in deposits]).prefetch_related("counter")}
    user = actor.user
    keys = [f"deposit:{fresh[d.id].slip_no}" for d, *_ in deposits]
    posted = set(await LedgerEntry.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    # the slips each bank reference already confirmed, and those this call confirms: one credit, one slip
    references = {reference for _, reference, *_ in deposits} - {""}
    used: dict[tuple[int, str], DayEnd] = {}
    for chunk in [sorted(references)[i:i + 5000] for i in range(0, len(references), 5000)]:
        for d in await DayEnd.filter(district_id__in={d.district_id for d in fresh.values()}, bank_reference__in=chunk):
            used.setdefault((d.district_id, d.bank_reference), d)
    out: list[DayEnd | MoneyError | None] = []
    batch: list[tuple[int, DayEnd, str, int, Any]] = []
    first: dict[int, str] = {}  # each day end's first occurrence in the call: its reference
    for n, (day_end, reference, amount, on) in enumerate(deposits):
        d = fresh[day_end.id]
        out.append(None)
        if d.id in first:
            out[n] = _given_twice(d, first[d.id], reference)
            continue
        first[d.id] = reference
        other = used.get((d.district_id, reference))
        if d.confirmed_at is None and other is not None and other.id != d.id:
            out[n] = _reference_used(reference, other)
            continue
        plain = (d.confirmed_at is None and d.deposit_paise > 0 and 0 < len(reference) <= 100 and isinstance(amount, int)
                 and not isinstance(amount, bool) and amount > 0 and f"deposit:{d.slip_no}" not in posted
                 and (user is None or (user.role == Role.SOCIETY_ADMIN and user.district_id == d.district_id)))
        if plain:
            batch.append((n, d, reference, amount, on))
            used[(d.district_id, reference)] = d
            continue
        try:
            out[n] = await confirm_deposit(actor, d, reference, amount, on)
        except MoneyError as exc:
            out[n] = exc
    if batch:
        async with in_transaction():
            # the references checked again under the districts' locks (see confirm_deposit)
            await _lock_districts({d.district_id for _, d, *_ in batch})
            taken: dict[tuple[int, str], DayEnd] = {}
            for d in await DayEnd.filter(district_id__in={d.district_id for _, d, *_ in batch},
                                         bank_reference__in=sorted({r for _, _, r, *_ in batch})):
                taken.setdefault((d.district_id, d.bank_reference), d)
            # and the day ends themselves: one confirmed by another since they were read open (two staff at once)
            meanwhile = {d.id: d for d in await DayEnd.filter(id__in=[d.id for _, d, *_ in batch]).exclude(confirmed_at=None)}
            # and their figures as they are now: a count corrected since they were read (decision 162)
            now_read = {r["id"]: r for r in await DayEnd.filter(id__in=[d.id for _, d, *_ in batch]).values("id", *_FIGURES)}
            for n, d, reference, amount, _ in batch:
                other = taken.get((d.district_id, reference))
                _take_figures(d, now_read[d.id])
                if d.id not in meanwhile and d.nothing_to_deposit:
                    out[n] = _nothing_to_deposit(d)
                elif d.id in meanwhile:
                    try:
                        out[n] = await _confirmed_already(meanwhile[d.id], reference, amount)
                    except MoneyError as exc:
                        out[n] = exc
                elif other is not None and other.id != d.id:
                    out[n] = _reference_used(reference, other)
            batch = [b for b in batch if out[b[0]] is None]
            if batch:
                await ledger.post_many([ledger.NewEntry(d.district_id, f"deposit:{d.slip_no}", f"deposit {d.slip_no} bank ref {reference}"[:300],
                                                        [ledger.debit("society_bank", amount), ledger.credit(f"deposit_in_transit:{d.counter.code}", amount)])
                                        for _, d, reference, amount, _ in batch])
                records = []
                for n, d, reference, amount, on in batch:
                    _mark_confirmed(d, actor, amount, reference, on)
                    records.append((actor, "dayend.deposit_confirmed", d, {"district_id": d.district_id, "counter_id": d.counter_id, "detail": {
                        "slip_no": d.slip_no, "bank_reference": reference, "amount_paise": amount, "slip_paise": d.deposit_paise,
                        "value_date": on.isoformat() if on else None}}))
                    out[n] = d
                await ledger.execute_many('UPDATE "day_end" SET "confirmed_by" = ?, "confirmed_at" = ?, "bank_reference" = ?, "note" = ?, '
                                          '"note_hi" = ?, "status" = ? WHERE "id" = ?',
                                          [[d.confirmed_by, d.confirmed_at, d.bank_reference, d.note, d.note_hi, d.status, d.id] for _, d, *_ in batch])
                await audit.record_many(records)
    return out


#: what a correction of the count changes on a day end (:func:`correct_count`)
_FIGURES = ("counted_paise", "retained_paise", "deposit_paise", "difference_paise", "status", "note", "note_hi")


def _take_figures(day_end: DayEnd, now: dict[str, Any]) -> None:
    """Give ``day_end`` (read before the districts' lock) its figures as read under it (``now``)."""
    for name in _FIGURES:
        setattr(day_end, name, now[name])


async def _lock_districts(ids: set[int]) -> None:
    """Hold the districts' rows until the transaction ends (PostgreSQL: SELECT ... FOR UPDATE, in id
    order), so that deposit confirmations of a district check and take bank references one at a time."""
    await District.select_for_update().filter(id__in=sorted(ids)).order_by("id")


def _nothing_to_deposit(day_end: DayEnd) -> MoneyError:
    return MoneyError("amount", f"Deposit slip {day_end.slip_no} has nothing to deposit (₹0.00: the counter kept back all it counted); "
                                "there is no bank credit to confirm.",
                      f"जमा पर्ची {day_end.slip_no} पर जमा करने को कुछ नहीं है (₹0.00: काउंटर ने गिनी गई पूरी राशि रख ली); "
                      "पुष्टि के लिए कोई बैंक जमा नहीं है।")


def _reference_used(reference: str, other: DayEnd) -> MoneyError:
    """One bank credit pays one slip: a reference that already confirmed another slip is refused."""
    return MoneyError(
        "bank_reference",
        f"Bank reference {reference} already confirmed deposit slip {other.slip_no} ({other.business_date:%d-%m-%Y}); one bank credit "
        "pays one slip. Check the reference on the bank statement. If one credit really paid several slips, confirm each with the "
        f"reference and a suffix ({reference}/1, {reference}/2) and the part of the credit for that slip.",
        f"बैंक संदर्भ {reference} से जमा पर्ची {other.slip_no} ({other.business_date:%d-%m-%Y}) की पुष्टि पहले ही हो चुकी है; एक बैंक जमा "
        "एक ही पर्ची का होता है। बैंक विवरण में संदर्भ जाँचें। यदि एक जमा में सचमुच कई पर्चियाँ थीं, तो हर एक की पुष्टि संदर्भ के साथ "
        f"प्रत्यय ({reference}/1, {reference}/2) और उस पर्ची के हिस्से की राशि से करें।")


@dataclass
class SharedReference:
    """A bank reference on more than one slip of the district (confirmed before one bank credit
    could pay only one slip, or before references were compared whatever their capitals and
    spaces: migration 0022), with what the Society should do, in English and Hindi."""
    reference: str
    day_ends: list[DayEnd]

    @property
    def message_en(self) -> str:
        slips = ", ".join(f"{d.slip_no} ({d.business_date:%d-%m-%Y})" for d in self.day_ends)
        return (f"Bank reference {self.reference} confirmed {len(self.day_ends)} deposit slips: {slips}. One bank credit pays one slip: "
                "check each against the bank statement (the weekly reconciliation lists a deposit the bank did not credit).")

    @property
    def message_hi(self) -> str:
        slips = ", ".join(f"{d.slip_no} ({d.business_date:%d-%m-%Y})" for d in self.day_ends)
        return (f"बैंक संदर्भ {self.reference} से {len(self.day_ends)} जमा पर्चियों की पुष्टि हुई है: {slips}। एक बैंक जमा एक ही पर्ची का होता है: "
                "हर एक को बैंक विवरण से जाँचें (साप्ताहिक मिलान उस जमा को दिखाता है जो बैंक में नहीं आया)।")


#: A day end awaiting its deposit, in SQL: money to deposit and the bank's credit not confirmed
#: (``confirmed_at``, written with the bank reference and the ``deposit:`` entry in one transaction,
#: so until then the deposit is in ``deposit_in_transit:<counter>``). The one rule of the Day ends
#: page (:attr:`DayEnd.awaiting_deposit`), its total row and the Waiting today panel: a bank
#: reference alone does not take a day end out of it (decision 120).
AWAITING_SQL = '"confirmed_at" IS NULL AND "deposit_paise" > 0'


async def awaiting_totals(district_id: int, counter_id: int | None = None, flagged: bool = False,
                          lsp_id: int | None = None) -> tuple[int, int]:
    """How many day ends of the district (of one counter, of one LSP's counters, only the flagged
    ones) await their deposit (:data:`AWAITING_SQL`), and their deposits added up, in paise: one
    aggregate query."""
    where, params = ['"district_id" = ?', AWAITING_SQL], [district_id]
    if counter_id is not None:
        where.append('"counter_id" = ?')
        params.append(counter_id)
    if lsp_id is not None:
        where.append('"counter_id" IN (SELECT "id" FROM "counter" WHERE "lsp_id" = ?)')
        params.append(lsp_id)
    if flagged:
        where.append('"status" = \'flagged\'')
    row = (await ledger.rows(f'SELECT COUNT(*) AS n, SUM("deposit_paise") AS paise FROM "day_end" WHERE {" AND ".join(where)}', params))[0]
    return int(row["n"] or 0), int(row["paise"] or 0)


async def shared_references(district_id: int, limit: int = 20) -> list[SharedReference]:
    """The bank references on more than one slip of the district (at most ``limit``, in order),
    with their slips: shown on the Society's Day ends page. One grouped read of the index on
    day_end (district_id, bank_reference)."""
    rows = await ledger.rows('SELECT "bank_reference" AS r FROM "day_end" WHERE "district_id" = ? AND "bank_reference" <> \'\' '
                             'GROUP BY "bank_reference" HAVING COUNT(*) > 1 ORDER BY "bank_reference" LIMIT ?', [district_id, limit])
    if not rows:
        return []
    by_reference: dict[str, list[DayEnd]] = {}
    for d in await DayEnd.filter(district_id=district_id, bank_reference__in=[r["r"] for r in rows]).order_by("business_date", "id"):
        by_reference.setdefault(d.bank_reference, []).append(d)
    return [SharedReference(r, by_reference[r]) for r in sorted(by_reference)]


def _given_twice(day_end: DayEnd, first: str, again: str) -> MoneyError:
    """A slip given a second time in one batch of confirmations: only its first occurrence counts."""
    return MoneyError(
        "slip",
        f"Deposit slip {day_end.slip_no} is given twice in this confirmation: only the first (bank reference {first or '-'}) is "
        f"considered; this one (bank reference {again or '-'}) was not confirmed. One slip is confirmed once.",
        f"जमा पर्ची {day_end.slip_no} इस पुष्टि में दो बार दी गई है: केवल पहली (बैंक संदर्भ {first or '-'}) पर विचार किया गया; "
        f"इसकी (बैंक संदर्भ {again or '-'}) पुष्टि नहीं हुई। एक पर्ची की पुष्टि एक ही बार होती है।")


def _moment(on: dt.date | dt.datetime | None) -> dt.datetime:
    """When a confirmation happened: now; a datetime as given (naive = local time); a date at noon
    in the counters' time zone (a bank's value date has no time)."""
    if on is None:
        return utcnow()
    tz = ZoneInfo(config.timezone())
    if isinstance(on, dt.datetime):
        return (on if on.tzinfo is not None else on.replace(tzinfo=tz)).astimezone(dt.timezone.utc)
    return dt.datetime.combine(on, dt.time(12), tz).astimezone(dt.timezone.utc)


def _mark_confirmed(day_end: DayEnd, actor: audit.Actor, amount: int, reference: str, on: dt.date | dt.datetime | None) -> None:
    """Record the bank's credit on a day end (not saved): confirmed, or flagged when the credit
    differs from the slip (the note says by how much) or the drawer was short or over."""
    mismatch = amount != day_end.deposit_paise
    day_end.confirmed_by, day_end.confirmed_at, day_end.bank_reference = actor.name, _moment(on), reference
    if mismatch:
        en, hi = _note_bank(amount, day_end.deposit_paise)
        day_end.note, day_end.note_hi = ("; ".join(filter(None, [day_end.note, en]))[:500],
                                         "; ".join(filter(None, [note_hi(day_end), hi]))[:500])
    day_end.status = "flagged" if mismatch or day_end.difference_paise else "confirmed"


async def _confirmed_already(day_end: DayEnd, reference: str, amount: int) -> DayEnd:
    """A day end found confirmed when asked to confirm it: with the same bank reference and amount
    nothing changes (it is returned as it is); with others, refused naming the reference it has."""
    if (normal_reference(day_end.bank_reference), await _confirmed_amount(day_end)) == (reference, amount):
        return day_end
    raise MoneyError("bank_reference", f"Deposit slip {day_end.slip_no} was already confirmed with bank reference {day_end.bank_reference}.",
                     f"जमा पर्ची {day_end.slip_no} की पुष्टि पहले ही बैंक संदर्भ {day_end.bank_reference} से हो चुकी है।")


async def _confirmed_amount(day_end: DayEnd) -> int:
    entry = await LedgerEntry.get_or_none(idempotency_key=f"deposit:{day_end.slip_no}")
    if entry is None:
        return 0
    return await _sum(Posting.filter(entry=entry, account="society_bank"))


async def find_slip(text: str) -> DayEnd | None:
    """The day end of a deposit slip number (as printed or typed: dashes and spaces ignored)."""
    cleaned = (text or "").replace("-", "").replace(" ", "").upper()
    return await DayEnd.get_or_none(slip_no=cleaned) if is_valid_slip_no(cleaned) else None


# --- correcting a day end's count (decision 162) --------------------------------------------------
#
# The operator types the cash counted; the deposit is what is left of it once the counter's shares
# are kept back. A count typed wrong made a wrong deposit, shortage or excess, and nothing but a
# hand-made ledger entry could put it right. :func:`correct_count` corrects the count of a day end
# whose deposit is not confirmed yet: the day end's figures and note are written again as the close
# would have written them with the right count, and the ledger gets one adjusting entry (key
# ``dayend:<counter>:<date>:fix<n>``, dated as the day end's own entry) moving the difference
# between the deposit in transit, the cash over/short and the shares kept back. The drawer's credit
# (the expected cash) does not change, so the entry never touches ``counter_cash``: the next day
# end's window and the drawers' totals are as they were. The slip number and the business day are
# not corrected: they are the day end's identity (the slip number is made from the counter and the
# day, the deposit's ledger key and the bank's reference for it), and the day decides which cash
# the day end covers.

FIX_KEY = ":fix"  # dayend:<counter>:<date>:fix<n>, the n-th correction of that day end


@dataclass
class Corrected:
    """A day end's count corrected (:func:`correct_count`): its figures before and after
    (counted, kept back, deposit, difference, in paise, and status), the adjusting entry's key;
    ``repeated`` when the day end already said that count (a form sent twice): nothing written."""

    day_end: DayEnd
    old: dict[str, Any]
    new: dict[str, Any]
    key: str = ""
    repeated: bool = False


def _figures_of(day_end: DayEnd) -> dict[str, Any]:
    return {"counted_paise": day_end.counted_paise, "retained_paise": day_end.retained_paise, "deposit_paise": day_end.deposit_paise,
            "difference_paise": day_end.difference_paise, "status": day_end.status}


def may_correct(user: Any, day_end: DayEnd) -> bool:
    """Who corrects a day end's count: an operator of its counter (who closes it) or the district
    Society's admin; nobody else (an LSP admin reads its counters' day ends only, decision 142).
    The operator only within :func:`correction_deadline` (:func:`why_not_correctable`)."""
    return user is not None and bool(user.active) and (
        (user.role == Role.OPERATOR and user.counter_id == day_end.counter_id)
        or (user.role == Role.SOCIETY_ADMIN and user.district_id == day_end.district_id))


def correction_deadline(day_end: DayEnd) -> dt.datetime:
    """Until when the counter's operator may correct the count of ``day_end`` (decision 166): its
    close plus ``EMITRA_DAYEND_CORRECTION_HOURS`` (default 24), the moment included; after it only
    the district Society corrects it. In the counters' time zone."""
    closed = day_end.closed_at if day_end.closed_at.tzinfo else day_end.closed_at.replace(tzinfo=dt.timezone.utc)
    return (closed + dt.timedelta(hours=config.dayend_correction_hours())).astimezone(tz())


def _said_at(when: dt.datetime) -> str:
    return f"{when.astimezone(tz()):%d-%m-%Y %H:%M}"


def past_operators_window(user: Any, day_end: DayEnd, now: dt.datetime | None = None) -> MoneyError | None:
    """The refusal of an operator who corrects the count of ``day_end`` after
    :func:`correction_deadline` (``now``: the clock's, core/clock.now), or None (within it, or not an
    operator: the Society has no such window, and :func:`may_correct` refuses anyone else)."""
    if user is None or user.role != Role.OPERATOR:
        return None
    deadline = correction_deadline(day_end)
    if (now or clock.now()) <= deadline:
        return None
    when, hours, slip = _said_at(deadline), config.dayend_correction_hours(), day_end.slip_no
    return MoneyError(
        "actor", f"The counter's operator could correct the count of deposit slip {slip} until {when} ({hours} hours after the day "
                 f"was closed); now only the district Society corrects it. Ask the Society's admin, with the reason and the day's papers.",
        f"जमा पर्ची {slip} की गिनती काउंटर का ऑपरेटर {when} तक (दिन बंद होने के {hours} घंटे बाद तक) सुधार सकता था; अब इसे केवल "
        "जिला सोसायटी सुधारती है। कारण और दिन के कागज़ों के साथ सोसायटी के व्यवस्थापक से कहें।")


def may_correct_now(user: Any, day_end: DayEnd, now: dt.datetime | None = None) -> bool:
    """:func:`may_correct`, and an operator within :func:`correction_deadline`: whether the slip
    offers this user the correction (its deposit not confirmed either)."""
    return may_correct(user, day_end) and day_end.confirmed_at is None and past_operators_window(user, day_end, now) is None


async def why_not_correctable(day_end: DayEnd, user: Any = None, now: dt.datetime | None = None) -> MoneyError | None:
    """Why the count of ``day_end`` can no longer be corrected, or None: its deposit confirmed (on
    the Day ends page or by the weekly reconciliation), or matched exactly to a bank statement line
    by a recorded reconciliation (the bank credited the slip's amount); for ``user``, an operator,
    also the end of the operator's window (:func:`past_operators_window`, decision 166)."""
    slip = day_end.slip_no
    if day_end.confirmed_at is not None:
        on = local_date(day_end.confirmed_at)
        return MoneyError(
            "slip", f"Deposit slip {slip} was confirmed on {on:%d-%m-%Y} with bank reference {day_end.bank_reference}: its deposit is "
                    "in the books as the bank credited it, and a confirmed day end's count is not corrected. If the count was wrong, the "
                    "difference stays in the counter's deposits in transit (the day end is flagged when the bank credited another amount "
                    "than the slip): the Society's accountant books its correction by hand, with a reversing entry.",
            f"जमा पर्ची {slip} की पुष्टि {on:%d-%m-%Y} को बैंक संदर्भ {day_end.bank_reference} से हो चुकी है: उसकी जमा राशि बैंक द्वारा "
            "जमा की गई राशि के रूप में खातों में है, और पुष्ट दिवसांत की गिनती सुधारी नहीं जाती। यदि गिनती गलत थी, तो अंतर काउंटर की "
            "रास्ते में जमा राशि में रहता है (बैंक ने पर्ची से अलग राशि जमा की हो तो दिवसांत चिह्नित होता है): सोसायटी का लेखाकार "
            "उसका सुधार उलट प्रविष्टि से स्वयं दर्ज करता है।")
    from emitra.core.models import StatementLine

    line = await StatementLine.filter(matched_id=f"slip:{slip}", matched_kind="deposit").order_by("id").first()
    if line is not None:
        return MoneyError(
            "slip", f"A recorded reconciliation matched deposit slip {slip} to the bank statement's line of {line.value_date:%d-%m-%Y} "
                    f"({format_paise(line.amount_paise)}, reference {line.reference or '-'}): the bank credited exactly the slip's amount, "
                    "so the count is not corrected. Confirm the deposit instead (the Society's Day ends page, or the week's reconciliation "
                    "run with Confirm deposits).",
            f"एक दर्ज मिलान ने जमा पर्ची {slip} को बैंक विवरण की {line.value_date:%d-%m-%Y} की पंक्ति ({format_paise(line.amount_paise)}, "
            f"संदर्भ {line.reference or '-'}) से मिलाया है: बैंक ने ठीक पर्ची की राशि जमा की, इसलिए गिनती सुधारी नहीं जाती। इसके बजाय "
            "जमा की पुष्टि करें (सोसायटी का दिवसांत पृष्ठ, या 'जमा की पुष्टि करें' के साथ सप्ताह का मिलान)।")
    return past_operators_window(user, day_end, now)


def _note_corrected(old: int, new: int, by: str, on: dt.date) -> tuple[str, str]:
    return (f"count corrected from {format_paise(old)} to {format_paise(new)} by {by} on {on:%d-%m-%Y}",
            f"गिनती {format_paise(old)} से {format_paise(new)} सुधारी गई, {by} द्वारा {on:%d-%m-%Y} को")


async def correct_count(actor: audit.Actor, day_end: DayEnd, counted_paise: int, reason: str,
                        was_paise: int | None = None, now: dt.datetime | None = None) -> Corrected:
    """Correct the cash counted of ``day_end`` (decision 162): the day end's kept back, deposit,
    difference, status and note computed again as its close would have with that count, one
    adjusting entry for the difference, one ``dayend.count_corrected`` audit record with the old
    and new figures and the reason, in one transaction.

    Only an operator of the counter or the district Society's admin (:func:`may_correct`), the
    operator only until :func:`correction_deadline` (``now``: the clock's; decision 166); refused
    once the deposit is confirmed or matched exactly by a recorded reconciliation
    (:func:`why_not_correctable`). ``was_paise``: the count the person saw when they typed the
    correction (the page's form sends it): a day end corrected by someone else since is refused,
    naming its count now. The count it already says is no change: nothing is written
    (``repeated``), so a form sent twice corrects once."""
    if not may_correct(actor.user, day_end):
        code = (await Counter.get(id=day_end.counter_id)).code
        raise MoneyError("actor", f"Only an operator of counter {code}, or the district Society, corrects the count of its day end.",
                         f"काउंटर {code} के दिवसांत की गिनती केवल उसी काउंटर का ऑपरेटर या जिला सोसायटी सुधारती है।")
    now = now or clock.now()
    # before what was typed is read (it would not be taken anyway), on the day end as it is now
    refusal = await why_not_correctable(await DayEnd.get(id=day_end.id), actor.user, now)
    if refusal is not None:
        raise refusal
    counted = check_paise(counted_paise, "counted")
    reason = " ".join(str(reason or "").split())
    if not 5 <= len(reason) <= 300:
        raise MoneyError("reason", f"Say why the count is corrected, in 5 to 300 characters (now {len(reason)}), for example "
                                   "'typed 1947.50 for 1974.50'.",
                         f"गिनती क्यों सुधारी जा रही है, 5 से 300 अक्षरों में लिखें (अभी {len(reason)}), जैसे 'typed 1947.50 for 1974.50'।")
    async with in_transaction():
        # under the district's lock, as deposit confirmations are: a correction and a confirmation
        # of one slip at the same moment take turns (the second sees what the first did)
        await _lock_districts({day_end.district_id})
        fresh = await DayEnd.get(id=day_end.id)
        refusal = await why_not_correctable(fresh, actor.user, now)
        if refusal is not None:
            raise refusal
        old = _figures_of(fresh)
        if fresh.counted_paise == counted:
            return Corrected(fresh, old, old, repeated=True)
        if was_paise is not None and was_paise != fresh.counted_paise:
            raise MoneyError(
                "counted", f"The count of deposit slip {fresh.slip_no} was corrected meanwhile: it now says {format_paise(fresh.counted_paise)}, "
                           f"not {format_paise(was_paise)}. Look at the day end again, and correct it from there if it is still wrong.",
                f"जमा पर्ची {fresh.slip_no} की गिनती इस बीच सुधारी जा चुकी है: अब यह {format_paise(fresh.counted_paise)} है, "
                f"{format_paise(was_paise)} नहीं। दिवसांत फिर से देखें, और अब भी गलत हो तो वहीं से सुधारें।")
        counter = await Counter.get(id=fresh.counter_id)
        fig = (await figures_for_day([counter], fresh.business_date, fresh.closed_at, reckon_closed=True))[counter.id]
        kept = _retained_lines(fig.retained, counted)
        retained = sum(kept.values())
        expected = fresh.expected_paise
        new_lines = {**kept, f"deposit_in_transit:{counter.code}": counted - retained, f"cash_over_short:{counter.code}": expected - counted,
                     f"{CASH_PREFIX}{counter.code}": -expected}
        base = f"{DAYEND_KEY}{counter.code}:{fresh.business_date.isoformat()}"
        where, params = await ledger.key_prefix('e."idempotency_key"', base + FIX_KEY)
        entries = await ledger.rows(f'SELECT e."id" AS id, e."idempotency_key" AS k, e."created_at" AS at FROM "ledger_entry" e '
                                    f'WHERE e."idempotency_key" = ? OR ({where}) ORDER BY e."id"', [base, *params])
        posted: dict[str, int] = {}
        for p in await Posting.filter(entry_id__in=[r["id"] for r in entries]).values("account", "amount_paise"):
            posted[p["account"]] = posted.get(p["account"], 0) + int(p["amount_paise"])
        change = {a: new_lines.get(a, 0) - posted.get(a, 0) for a in sorted(set(new_lines) | set(posted))}
        if fig.expected_paise != expected or change.get(f"{CASH_PREFIX}{counter.code}", 0):
            raise MoneyError(
                "slip", f"The ledger no longer gives the expected cash of deposit slip {fresh.slip_no} ({format_paise(fig.expected_paise)} "
                        f"against {format_paise(expected)} when it was closed): the count cannot be corrected here. Ask the administrator who "
                        "runs emitra to run 'emitra ledger check'.",
                f"खाते अब जमा पर्ची {fresh.slip_no} की अपेक्षित नकदी ({format_paise(fig.expected_paise)}, बंद करते समय {format_paise(expected)}) "
                "नहीं देते: गिनती यहाँ नहीं सुधारी जा सकती। emitra चलाने वाले व्यवस्थापक से 'emitra ledger check' चलवाएँ।")
        notes = []
        if fig.carried_paise and fig.previous is not None:
            notes.append(_note_carried(fig.carried_paise, fig.previous.business_date))
        if retained < fig.retained_paise:
            notes.append(_note_kept_short(fig.retained_paise, fig.retained_paise - retained))
        if counted != expected:
            notes.append(_note_difference(counted - expected))
        notes.append(_note_corrected(fresh.counted_paise, counted, actor.name, today()))
        fresh.counted_paise, fresh.retained_paise, fresh.deposit_paise = counted, retained, counted - retained
        fresh.difference_paise, fresh.status = counted - expected, "flagged" if counted != expected else "closed"
        fresh.note, fresh.note_hi = _joined(notes)
        key = f"{base}{FIX_KEY}{sum(1 for r in entries if r['k'] != base) + 1}"
        # dated as the day end's own entry: every week's balances come out as if the count had been right
        at = ledger.as_datetime(entries[0]["at"]) if entries else fresh.closed_at
        await ledger.post_many([ledger.NewEntry(fresh.district_id, key, f"day end {counter.code} {fresh.business_date.isoformat()} slip "
                                                f"{fresh.slip_no} count corrected {format_paise(old['counted_paise'])} to {format_paise(counted)}",
                                                [ledger.Line(a, p) for a, p in change.items() if p], created_at=at)])
        await fresh.save(update_fields=["counted_paise", "retained_paise", "deposit_paise", "difference_paise", "status", "note", "note_hi"])
        new = _figures_of(fresh)
        await audit.record(actor, "dayend.count_corrected", fresh, district_id=fresh.district_id, counter_id=fresh.counter_id,
                           detail={"slip_no": fresh.slip_no, "date": fresh.business_date.isoformat(), "reason": reason, "entry": key,
                                   "old": old, "new": new})
    return Corrected(fresh, old, new, key)


# --- prepaid wallets ------------------------------------------------------------------------------

@dataclass
class TopUp:
    counter: Counter
    amount_paise: int
    reference: str
    balance_paise: int
    repeated: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


async def top_up(actor: audit.Actor, counter: Counter, amount_paise: int, reference: str, _retry: bool = True) -> TopUp:
    """Money paid into the Society's bank for a prepaid counter's wallet (by its LSP admin or the
    Society): Dr society_bank / Cr kiosk_wallet:<counter>, and the Wallet row raised by the same amount,
    in one transaction. The same reference again posts nothing (key ``topup:<counter>:<reference>``),
    whatever its capitals and spaces (:func:`money.bank_reference`; a top-up recorded before
    references were put in that form is found under the key as it was typed then)."""
    user = actor.user
    allowed = user is not None and (
        (user.role == Role.LSP_ADMIN and user.lsp_id == counter.lsp_id)
        or (user.role == Role.SOCIETY_ADMIN and user.district_id == counter.district_id))
    if not allowed:
        raise MoneyError("actor", f"Only the admin of the LSP running {counter.code}, or the district Society, tops up its wallet.",
                         f"{counter.code} का वॉलेट केवल उसे चलाने वाले एलएसपी के एडमिन या जिला सोसायटी टॉप-अप करते हैं।")
    amount = check_paise(amount_paise, "amount", allow_zero=False)
    ref = normal_reference(reference)
    if not ref or len(ref) > 60:
        raise MoneyError("reference", "Give the bank reference of the payment into the Society's account (1 to 60 characters).",
                         "सोसायटी के खाते में भुगतान का बैंक संदर्भ दें (1 से 60 अक्षर)।")
    lsp = await LSP.get(id=counter.lsp_id)
    if lsp.mode != "prepaid":
        raise MoneyError("counter", f"{counter.code} belongs to a post-paid LSP: it deposits its cash at day end and has no wallet to top up.",
                         f"{counter.code} पोस्ट-पेड एलएसपी का है: यह दिवसांत पर नकद जमा करता है, इसका कोई वॉलेट नहीं है।")
    key = f"topup:{counter.code}:{ref}"
    previous = await _earlier_top_up(counter.code, ref, (reference or "").strip())
    if previous is not None:
        posted = -await _sum(Posting.filter(entry=previous, account=f"kiosk_wallet:{counter.code}"))
        if posted != amount:
            raise MoneyError("reference", f"Reference {ref} was already used for a top-up of {format_paise(posted)} at {counter.code}.",
                             f"संदर्भ {ref} से {counter.code} पर {format_paise(posted)} का टॉप-अप पहले ही हो चुका है।")
        wallet = await Wallet.get_or_none(counter_id=counter.id)
        return TopUp(counter, amount, ref, wallet.balance_paise if wallet else 0, repeated=True)
    try:
        async with in_transaction():
            await ledger.post(counter.district_id, key, f"wallet top-up {counter.code} ref {ref}",
                              [ledger.debit("society_bank", amount), ledger.credit(f"kiosk_wallet:{counter.code}", amount)])
            wallet, _ = await Wallet.get_or_create(counter_id=counter.id, defaults={"district_id": counter.district_id})
            await Wallet.filter(id=wallet.id).update(balance_paise=F("balance_paise") + amount)
            wallet = await Wallet.get(id=wallet.id)
            await audit.record(actor, "wallet.topped_up", wallet, district_id=counter.district_id, counter_id=counter.id,
                               detail={"counter": counter.code, "amount_paise": amount, "reference": ref, "balance_paise": wallet.balance_paise})
    except IntegrityError:  # the same reference (or the first wallet row) at the same moment: nothing was written
        if _retry:
            return await top_up(actor, counter, amount, ref, _retry=False)
        raise
    return TopUp(counter, amount, ref, wallet.balance_paise)


@dataclass
class WalletRefund:
    lsp: LSP
    amount_paise: int
    reference: str
    owed_paise: int  # still owed back to the LSP after it
    repeated: bool = False


async def refund_wallets(actor: audit.Actor, lsp: LSP, amount_paise: int, reference: str) -> WalletRefund:
    """The Society paid back to an LSP what its closed counters' wallets held (decision 70):
    Dr wallet_refund_payable:<lsp> / Cr society_bank, key ``walletrefund:<lsp>:<reference>``, audited
    ``wallet.refunded``. Only the district Society's admin; never more than is owed. The same
    reference again with the same amount records nothing (a double click, a retried command)."""
    user = actor.user
    if not (user is not None and user.active and user.role == Role.SOCIETY_ADMIN and user.district_id == lsp.district_id):
        raise MoneyError("actor", f"Only the district Society's admin records a refund to {lsp.name}.",
                         f"{lsp.name} को वापसी केवल जिला सोसायटी के एडमिन दर्ज करते हैं।")
    amount = check_paise(amount_paise, "amount", allow_zero=False)
    ref = normal_reference(reference)
    if not ref or len(ref) > 60:
        raise MoneyError("reference", "Give the bank reference of the transfer to the LSP (1 to 60 characters).",
                         "एलएसपी को किए गए हस्तांतरण का बैंक संदर्भ दें (1 से 60 अक्षर)।")
    account, key = f"wallet_refund_payable:{lsp.id}", f"walletrefund:{lsp.id}:{ref}"
    previous = await LedgerEntry.get_or_none(idempotency_key=key)
    if previous is not None:
        posted = await _sum(Posting.filter(entry=previous, account=account))
        if posted != amount:
            raise MoneyError("reference", f"Reference {ref} was already used for a refund of {format_paise(posted)} to {lsp.name}.",
                             f"संदर्भ {ref} से {lsp.name} को {format_paise(posted)} की वापसी पहले ही दर्ज है।")
        return WalletRefund(lsp, amount, ref, -await ledger.balance(account), repeated=True)
    async with in_transaction():
        if on_postgres():  # two refunds at once must not both pass the check below
            await LSP.select_for_update().get(id=lsp.id)
        owed = -await ledger.balance(account)
        if amount > owed:
            raise MoneyError("amount", f"{format_paise(amount)} is more than the {format_paise(owed)} owed back to {lsp.name} "
                                       "for its closed counters' wallets.",
                             f"{format_paise(amount)} बंद काउंटरों के वॉलेट के लिए {lsp.name} को लौटाने योग्य {format_paise(owed)} से अधिक है।")
        await ledger.post(lsp.district_id, key, f"refund of closed counters' wallets to LSP {lsp.id} ref {ref}",
                          [ledger.debit(account, amount), ledger.credit("society_bank", amount)])
        await audit.record(actor, "wallet.refunded", lsp, district_id=lsp.district_id,
                           detail={"lsp_id": lsp.id, "amount_paise": amount, "reference": ref, "owed_after_paise": owed - amount})
    return WalletRefund(lsp, amount, ref, owed - amount)


WALLET_REFUNDS_PAGE = 50  # an LSP's wallet refunds on a page of their history (decision 72)


@dataclass
class RefundHistory:
    """An LSP's wallet refunds (:func:`refund_wallets`), newest first, one page of them: each with its
    reference, time, amount and who recorded it; above them what was refunded in all and what is
    still owed back."""

    lsp: LSP
    rows: list[dict[str, Any]]
    page: int
    pages: int
    count: int
    refunded_paise: int
    owed_paise: int
    per_page: int = WALLET_REFUNDS_PAGE


async def refund_history(lsp: LSP, page: int = 1, per_page: int | None = None) -> RefundHistory:
    """Every refund of an LSP's closed counters' wallets, newest first, ``per_page`` a page (past the
    last page, the last): what the Network page listed only the latest 5 of. Read from the books (the
    ``walletrefund:<lsp>:`` entries' debits of ``wallet_refund_payable:<lsp>``), so it holds what the
    ledger holds; who recorded each comes from its ``wallet.refunded`` audit record (the ledger does
    not keep people). The caller checks who may read it."""
    per_page = int(per_page or WALLET_REFUNDS_PAGE)
    account = f"wallet_refund_payable:{lsp.id}"
    where, params = await ledger.key_prefix('e."idempotency_key"', f"walletrefund:{lsp.id}:")
    totals = await ledger.rows(
        'SELECT COUNT(*) AS n, SUM(p."amount_paise") AS total FROM "ledger_entry" e JOIN "posting" p ON p."entry_id" = e."id" '
        f'AND p."account" = ? WHERE {where}', [account, *params])
    count, refunded = int(totals[0]["n"] or 0), int(totals[0]["total"] or 0)
    pages = max(1, -(-count // per_page))
    page = min(max(1, int(page)), pages)
    rows = await ledger.rows(
        'SELECT e."idempotency_key" AS k, e."created_at" AS at, p."amount_paise" AS paise FROM "ledger_entry" e '
        f'JOIN "posting" p ON p."entry_id" = e."id" AND p."account" = ? WHERE {where} '
        f'ORDER BY e."id" DESC LIMIT {per_page} OFFSET {(page - 1) * per_page}', [account, *params])
    found = [{"reference": r["k"].removeprefix(f"walletrefund:{lsp.id}:"), "at": ledger.as_datetime(r["at"]),
              "amount_paise": int(r["paise"]), "by": ""} for r in rows]
    if found:
        from emitra.core.models import AuditLog, User

        records = await AuditLog.filter(action="wallet.refunded", object_type="LSP", object_id=str(lsp.id)) \
            .values("actor_id", "actor_name", "detail")
        names = {u.id: u.full_name for u in await User.filter(id__in={r["actor_id"] for r in records if r["actor_id"]})}
        by: dict[str, str] = {}
        for r in records:
            detail = json.loads(r["detail"]) if isinstance(r["detail"], str) else (r["detail"] or {})
            ref = str(detail.get("reference", ""))
            full = names.get(r["actor_id"], "")
            by[ref] = f"{full} ({r['actor_name']})" if full and full != r["actor_name"] else r["actor_name"]
        for row in found:
            row["by"] = by.get(row["reference"], "")
    return RefundHistory(lsp, found, page, pages, count, refunded, -await ledger.balance(account), per_page)


async def _earlier_top_up(code: str, ref: str, typed: str) -> LedgerEntry | None:
    """The top-up of the counter already recorded with the bank reference ``ref`` (in its stored
    form): under its key, or the key as typed; else one recorded before references were stored in
    one form, its key in other capitals or spaced otherwise (the counter's top-ups, read by the key's
    index where the database can: :func:`ledger.key_prefix`)."""
    prefix = f"topup:{code}:"
    found = await LedgerEntry.filter(idempotency_key__in=sorted({prefix + ref, prefix + typed})).order_by("id").first()
    if found is not None:
        return found
    where, params = await ledger.key_prefix('"idempotency_key"', prefix)
    for row in await ledger.rows(f'SELECT "id", "idempotency_key" AS k FROM "ledger_entry" WHERE {where} ORDER BY "id"', params):
        if normal_reference(row["k"].removeprefix(prefix)) == ref:
            return await LedgerEntry.get(id=row["id"])
    return None


async def counter_by_code(code: str) -> Counter:
    counter = await Counter.get_or_none(code=(code or "").strip().upper())
    if counter is None:
        raise MoneyError("counter", f"There is no counter with code {code!r}.", f"{code!r} कोड का कोई काउंटर नहीं है।")
    return counter


def today() -> dt.date:
    return clock.today()

"""What each counter's cash drawer took, added up by half hour as the postings are written (decision 124).

A day end's figures (core/dayend) are sums over a window of the books: what the counter's drawer
(``counter_cash:<code>``) took since its last day end, and what those cash transactions credited to
the shares the counter keeps back (the LSP's and owner's shares of citizen-paid charges, the LSP's
own sales). Read from the postings, that window is every posting of every entry of the district in
it, whatever the counter: 0.1 s a day on SQLite and 0.2 s on PostgreSQL at 36,000 transactions a
day, for each counter closing alone, twice (the operator's page, then the close).

So the same sums are kept as they happen, in ``drawer_total``: a row per drawer, half hour (UTC,
which the counters' midnight in Asia/Kolkata falls on) and account: the drawer's own postings (sum
and count) and, for each kept share, what the drawer's entries credited to it. The row is written
in the transaction that writes the entry (:func:`note`, called by core/ledger for every new entry),
so it is never seen without its postings nor they without it. A window is then read as the whole
half hours inside it from this table and the two part half hours at its ends from the postings
(:func:`window`), which gives the same figures as the postings alone, to the paisa.

It is a stored sum, so ``emitra ledger check`` compares it with the postings (:func:`problems`)
and ``emitra ledger rebuild-drawer-totals`` writes it again from them (:func:`rebuild`), as
migration 0033 first wrote it. Rows are keyed by drawer, so two counters never wait for each
other's row; the two operators of one counter do, for the moment of a commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from tortoise import connections

from emitra.core.db import placeholders

#: An entry whose key starts so is a day end's own (it empties the drawer): never in a window.
DAYEND_KEY = "dayend:"
#: The drawers, and the shares a counter keeps back, by account prefix.
CASH_PREFIX = "counter_cash:"
RETAINED_PREFIXES = ("lsp_fee_payable:", "owner_fee_payable:", "lsp_sales:")
#: The length of a row's time, in seconds: a half hour, so that a day of India's time is whole rows.
SPAN = 1800

_UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)


def bucket(moment: dt.datetime) -> dt.datetime:
    """The start of the half hour (UTC) ``moment`` falls in (naive: UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    seconds = int((moment - _EPOCH).total_seconds() // SPAN) * SPAN
    return _EPOCH + dt.timedelta(seconds=seconds)


def next_bucket(moment: dt.datetime) -> dt.datetime:
    """The first half-hour start at or after ``moment``."""
    start = bucket(moment)
    return start if start == moment.astimezone(_UTC) else start + dt.timedelta(seconds=SPAN)


def kept(account: str, charge_payer: str | None) -> bool:
    """Whether a posting to ``account`` in a drawer's entry is a share the counter keeps back: the
    LSP's own sales always, the fee shares when the citizen paid the charge."""
    return account.startswith(RETAINED_PREFIXES) and (account.startswith("lsp_sales:") or charge_payer == "citizen")


def _rows_of(district_id: int, since: dt.datetime, lines: Iterable[tuple[str, int]], charge_payer: str | None,
             into: dict[tuple[int, str, dt.datetime, str], list[int]]) -> None:
    """Add one entry's lines to ``into``, keyed (district, drawer, half hour, account): [total, count]."""
    lines = list(lines)
    drawers = {a for a, _ in lines if a.startswith(CASH_PREFIX)}
    for drawer in sorted(drawers):
        for account, amount in lines:
            if account == drawer or kept(account, charge_payer):
                row = into.setdefault((district_id, drawer, since, account), [0, 0])
                row[0] += amount
                row[1] += 1


#: a new entry for :func:`note`: (district id, key, request id, created at, [(account, amount)], the
#: request's charge payer or None where the caller did not know it)
Noted = tuple[int, str, int | None, dt.datetime, list[tuple[str, int]], str | None]
#: the table's rows to add: ((district id, drawer, half hour, account), [total, postings])
Rows = list[tuple[tuple[int, str, dt.datetime, str], list[int]]]


async def note(entries: list[Noted]) -> None:
    """Add new entries to the drawers' totals, in the caller's transaction. Entries that move no
    drawer (and a day end's own) add nothing; the charge payer of those with a kept share that the
    caller did not give is read once for all."""
    await _add(connections.get("default"), await rows_of(entries))


async def rows_of(entries: list[Noted]) -> Rows:
    """What :func:`note` adds for ``entries``, in key order, without adding it (:func:`upsert`
    writes it; core/ledger writes a counter's entry with it in one statement on PostgreSQL)."""
    touching = [e for e in entries if not e[1].startswith(DAYEND_KEY) and any(a.startswith(CASH_PREFIX) for a, _ in e[4])]
    if not touching:
        return []
    conn = connections.get("default")
    payer: dict[int, str] = {e[2]: e[5] for e in touching if e[2] is not None and e[5] is not None}
    wanted = sorted({e[2] for e in touching if e[2] is not None and e[2] not in payer and any(a.startswith(RETAINED_PREFIXES) for a, _ in e[4])})
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        found = await conn.execute_query_dict(
            placeholders(conn, f'SELECT "id", "charge_payer" FROM "service_request" WHERE "id" IN ({", ".join("?" for _ in chunk)})'), chunk)
        payer.update({int(r["id"]): r["charge_payer"] for r in found})
    into: dict[tuple[int, str, dt.datetime, str], list[int]] = {}
    for district_id, _key, request_id, created_at, lines, _payer in touching:
        _rows_of(district_id, bucket(created_at), lines, payer.get(request_id) if request_id is not None else None, into)
    return sorted(into.items())


_ADD_ROWS = 200  # rows per upsert (1,200 parameters)


async def _add(conn: Any, rows: Rows) -> None:
    """Upsert the rows, in key order (two writers of one drawer lock its rows in the same order)."""
    for i in range(0, len(rows), _ADD_ROWS):
        sql, params = upsert(rows[i:i + _ADD_ROWS])
        await conn.execute_query(placeholders(conn, sql), params)


def upsert(rows: Rows) -> tuple[str, list[Any]]:
    """The statement (``?`` placeholders) and its parameters that add ``rows`` (at most _ADD_ROWS,
    in key order) to the table."""
    return ('INSERT INTO "drawer_total" ("district_id", "drawer", "since", "account", "total_paise", "postings") VALUES '
            + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(rows))
            + ' ON CONFLICT ("drawer", "since", "account", "district_id") DO UPDATE SET "total_paise" = "drawer_total"."total_paise" + '
              'excluded."total_paise", "postings" = "drawer_total"."postings" + excluded."postings"',
            [v for (district_id, drawer, since, account), (total, n) in rows for v in (district_id, drawer, since, account, total, n)])


def _since_sql(dialect: str, column: str) -> str:
    """SQL: the half hour a timestamp column falls in, as this table stores it."""
    if dialect == "postgres":
        return f"to_timestamp(floor(extract(epoch from {column}) / {SPAN}) * {SPAN})"
    return f"strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', {column}) AS INTEGER) / {SPAN}) * {SPAN}, 'unixepoch') || '+00:00'"


def from_postings_sql(dialect: str, entries: str = "") -> str:
    """SQL: the table's rows as the postings give them (district, drawer, since, account, total,
    postings), of every entry or of those whose ids are in ``entries`` (SQL: an IN list)."""
    created = 'e."created_at"'
    return (
        'SELECT w."district_id" AS district_id, w."drawer" AS drawer, w."since" AS since, r."account" AS account, '
        'SUM(r."amount_paise") AS total, COUNT(*) AS n FROM '
        f'(SELECT DISTINCT p."entry_id" AS entry_id, p."account" AS drawer, p."district_id" AS district_id, e."request_id" AS request_id, '
        f'{_since_sql(dialect, created)} AS since '
        f'FROM "ledger_entry" e JOIN "posting" p ON p."entry_id" = e."id" WHERE e."idempotency_key" NOT LIKE \'{DAYEND_KEY}%\' '
        f'AND substr(p."account", 1, {len(CASH_PREFIX)}) = \'{CASH_PREFIX}\'{" AND e.id IN " + entries if entries else ""}) w '
        'JOIN "posting" r ON r."entry_id" = w."entry_id" LEFT JOIN "service_request" s ON s."id" = w."request_id" '
        'WHERE r."account" = w."drawer" OR ((' + " OR ".join(f"substr(r.\"account\", 1, {len(x)}) = '{x}'" for x in RETAINED_PREFIXES)
        + ') AND (substr(r."account", 1, 10) = \'lsp_sales:\' OR s."charge_payer" = \'citizen\')) '
        'GROUP BY w."district_id", w."drawer", w."since", r."account"')


async def rebuild(client: Any = None) -> int:
    """Write the whole table again from the postings (migration 0033; ``emitra ledger
    rebuild-drawer-totals``); the number of rows. Call inside a transaction."""
    conn = client or connections.get("default")
    await conn.execute_query('DELETE FROM "drawer_total"')
    await conn.execute_query(
        'INSERT INTO "drawer_total" ("district_id", "drawer", "since", "account", "total_paise", "postings") '
        f'SELECT x.district_id, x.drawer, x.since, x.account, x.total, x.n FROM ({from_postings_sql(conn.capabilities.dialect)}) x')
    return int((await conn.execute_query_dict('SELECT COUNT(*) AS n FROM "drawer_total"'))[0]["n"])


async def redate(entries: Any, moment: dt.datetime) -> int:
    """Give the entries of ``entries`` (a LedgerEntry queryset) the time ``moment``, their drawers'
    totals moved with them, in one transaction; how many. What a demo or a test does to make a
    day's transactions look taken on another day (the books never re-date an entry)."""
    from tortoise.transactions import in_transaction

    from emitra.core.models import LedgerEntry

    # read before the transaction opens: a queryset made by ``Model.all()`` is bound to the connection
    # of the moment it was made, which on SQLite would wait for this transaction's lock
    ids = sorted(await entries.values_list("id", flat=True))
    if not ids:
        return 0
    async with in_transaction() as conn:
        await _move(conn, ids, -1)
        await LedgerEntry.filter(id__in=ids).update(created_at=moment)
        await _move(conn, ids, 1)
        await conn.execute_query('DELETE FROM "drawer_total" WHERE "postings" = 0 AND "total_paise" = 0')
    return len(ids)


async def _move(conn: Any, ids: list[int], sign: int) -> None:
    """Add (1) or take away (-1) what the entries of ``ids`` give the drawers' totals now."""
    dialect = conn.capabilities.dialect
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        found = await conn.execute_query_dict(from_postings_sql(dialect, "(" + ", ".join(str(int(x)) for x in chunk) + ")"))
        await _add(conn, sorted(((int(r["district_id"]), r["drawer"], _moment(r["since"]), r["account"]),
                                 [sign * int(r["total"] or 0), sign * int(r["n"])]) for r in found))


def _moment(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(_text(value))


async def problems() -> list[str]:
    """The rows that differ from what the postings say (``emitra ledger check``), each with the fix."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    want = {(r["drawer"], _text(r["since"]), r["account"], int(r["district_id"])): (int(r["total"] or 0), int(r["n"]))
            for r in await conn.execute_query_dict(from_postings_sql(dialect))}
    have = {(r["drawer"], _text(r["since"]), r["account"], int(r["district_id"])): (int(r["total_paise"]), int(r["postings"]))
            for r in await conn.execute_query_dict(
                'SELECT "drawer", "since", "account", "district_id", "total_paise", "postings" FROM "drawer_total"')}
    out = []
    for key in sorted(set(want) | set(have)):
        if want.get(key, (0, 0)) != have.get(key, (0, 0)):
            drawer, since, account, _district = key
            w, h = want.get(key, (0, 0)), have.get(key, (0, 0))
            out.append(f"drawer total {drawer} {since} {account}: {h[0]} paise in {h[1]} postings kept, but the postings say "
                       f"{w[0]} in {w[1]}: run `emitra ledger rebuild-drawer-totals` (decision 124)")
    return out


def _text(value: Any) -> str:
    """A row's half hour as text, whichever driver read it."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=_UTC)).astimezone(_UTC).isoformat(" ")
    return dt.datetime.fromisoformat(str(value)).astimezone(_UTC).isoformat(" ")


async def window(codes: list[str], lo: dt.datetime, hi: dt.datetime, district_id: int) -> list[dict[str, Any]]:
    """The kept sums of the whole half hours of [lo, hi) for the drawers of ``codes``: rows of
    (cash, account, total, n), as core/dayend's window query gives them."""
    conn = connections.get("default")
    drawers = [f"{CASH_PREFIX}{c}" for c in codes]
    out: list[dict[str, Any]] = []
    for i in range(0, len(drawers), 500):
        chunk = drawers[i:i + 500]
        out += await conn.execute_query_dict(placeholders(
            conn, 'SELECT "drawer" AS cash, "account" AS account, SUM("total_paise") AS total, SUM("postings") AS n FROM "drawer_total" '
                  f'WHERE "drawer" IN ({", ".join("?" for _ in chunk)}) AND "since" >= ? AND "since" < ? AND "district_id" = ? '
                  'GROUP BY "drawer", "account"'), chunk + [lo, hi, district_id])
    return out

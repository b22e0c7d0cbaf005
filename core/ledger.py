"""Double-entry postings in integer paise. Entries are balanced, immutable and idempotent.

A line's amount is positive for a debit and negative for a credit; the lines of an entry sum to
zero. Posting the same idempotency key again with the same lines returns the entry already
posted; with different lines it is an error. Accounts are named ``kind:party`` (see
docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.functions import Sum

from emitra.core import drawer_totals, entry_figures
from emitra.core.db import insert_rows, placeholders, raw_rows
from emitra.core.models import LedgerEntry, Posting


class LedgerError(ValueError):
    pass


@dataclass(frozen=True)
class Line:
    account: str
    amount_paise: int  # + debit, - credit


def debit(account: str, paise: int) -> Line:
    return Line(account, paise)


def credit(account: str, paise: int) -> Line:
    return Line(account, -paise)


def _normalise(lines: list[Line]) -> list[Line]:
    kept = []
    for line in lines:
        if not isinstance(line.amount_paise, int) or isinstance(line.amount_paise, bool):
            raise LedgerError(f"{line.account}: amounts are whole paise (int)")
        if line.amount_paise != 0:
            kept.append(line)
    if not kept:
        raise LedgerError("an entry needs at least one non-zero line")
    total = sum(line.amount_paise for line in kept)
    if total != 0:
        raise LedgerError(f"entry does not balance: debits minus credits = {total} paise")
    return sorted(kept, key=lambda l: (l.account, l.amount_paise))


async def post(district_id: int, key: str, memo: str, lines: list[Line], request_id: int | None = None,
               fresh: bool = False, charge_payer: str | None = None) -> LedgerEntry:
    """Post one balanced entry. Call inside the transaction that records what it pays for.

    A key used before returns that entry if its lines are the same (else :class:`LedgerError`).
    ``fresh=True`` says the key names something created in this same transaction (a new request's
    receipt number), so it cannot have been used: the lookup is skipped, the unique index on the
    key remains the guard, and the rows are written by two prepared statements (the entry, its
    postings), the returned entry built from what was written.

    ``charge_payer``: who pays the service charge of ``request_id``, when the caller has the request
    at hand; the drawers' totals need it for a cash entry that credits a share kept back, and read it
    from the request otherwise (a round trip on the counter's transaction)."""
    lines = _normalise(lines)
    if fresh:  # two prepared statements (the entry, its postings), as post_many writes them: every payment posts one
        now = dt.datetime.now(dt.timezone.utc)
        new = NewEntry(district_id, key, memo[:300], lines, request_id, charge_payer=charge_payer)
        ids = await _insert([(new, lines)], now)
        return LedgerEntry(id=ids[key], district_id=district_id, idempotency_key=key, memo=memo[:300], request_id=request_id, created_at=now)
    existing = await LedgerEntry.get_or_none(idempotency_key=key)
    if existing is not None:
        posted = await Posting.filter(entry=existing).order_by("account", "amount_paise").values_list("account", "amount_paise")
        if [tuple(p) for p in posted] != [(l.account, l.amount_paise) for l in lines]:
            raise LedgerError(f"idempotency key {key!r} was already used for a different entry")
        return existing
    bank, card, fee, touches = entry_figures.of((l.account, l.amount_paise) for l in lines)
    entry = await LedgerEntry.create(district_id=district_id, idempotency_key=key, memo=memo[:300], request_id=request_id,
                                     bank_paise=bank, card_paise=card, fee_paise=fee, touches=touches)
    await Posting.bulk_create(
        [Posting(entry=entry, district_id=district_id, account=l.account, amount_paise=l.amount_paise) for l in lines]
    )
    await drawer_totals.note([(district_id, key, request_id, entry.created_at, [(l.account, l.amount_paise) for l in lines], charge_payer)])
    return entry


@dataclass(frozen=True)
class NewEntry:
    """One entry for :func:`post_many`: what :func:`post` takes, as a value."""

    district_id: int
    key: str
    memo: str
    lines: list[Line]
    request_id: int | None = None
    #: when the entry happened, if not when it is posted (a Stripe fee, dated when Stripe created it):
    #: written with the entry, not updated after it
    created_at: dt.datetime | None = None
    #: who pays ``request_id``'s service charge, if the caller knows it (see :func:`post`)
    charge_payer: str | None = None


async def post_many(entries: list[NewEntry], fresh: bool = False) -> dict[str, int]:
    """Post many balanced entries with a handful of statements (not a few per entry), with the
    rules of :func:`post`: a key already posted with the same lines is left as it is, with other
    lines it is an error and nothing is posted. Returns each key's entry id. Call inside a
    transaction.

    The new rows go in as multi-row ``INSERT``s written here, not through ORM objects: a settlement
    run or a week's deposits post tens of thousands of entries, and building a model object per
    entry and posting cost more than the statements (about 1 ms a settled payment with its audit
    record). The entries' ids come back by ``RETURNING`` (SQLite 3.35+ and PostgreSQL).

    ``fresh=True`` says the caller has just looked the keys up in this same transaction and found
    none posted (a Stripe file's fees): the look-up is not made again, and the unique index on the
    key remains the guard, as for :func:`post`."""
    normalised = {}
    for e in entries:
        if e.key in normalised:
            raise LedgerError(f"idempotency key {e.key!r} appears twice in one batch")
        normalised[e.key] = (e, _normalise(e.lines))
    out: dict[str, int] = {}
    keys = list(normalised)
    for i in range(0, 0 if fresh else len(keys), 5000):
        existing = dict(await LedgerEntry.filter(idempotency_key__in=keys[i:i + 5000]).values_list("idempotency_key", "id"))
        if existing:
            posted: dict[int, list[tuple[str, int]]] = {}
            for entry_id, account, amount in await Posting.filter(entry_id__in=list(existing.values())).order_by(
                    "entry_id", "account", "amount_paise").values_list("entry_id", "account", "amount_paise"):
                posted.setdefault(entry_id, []).append((account, amount))
            for key, entry_id in existing.items():
                if posted.get(entry_id, []) != [(l.account, l.amount_paise) for l in normalised[key][1]]:
                    raise LedgerError(f"idempotency key {key!r} was already used for a different entry")
            out.update(existing)
    fresh = [(normalised[k][0], normalised[k][1]) for k in keys if k not in out]
    if fresh:
        out.update(await _insert(fresh, dt.datetime.now(dt.timezone.utc)))
    return out


async def _insert(fresh: list[tuple[NewEntry, list[Line]]], now: dt.datetime) -> dict[str, int]:
    """Write new entries (their lines normalised) and their postings; each key's entry id."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres" and len(fresh) == 1 and len(fresh[0][1]) <= _ONE_STATEMENT_LINES:
        return await _insert_one(conn, *fresh[0], now)
    out: dict[str, int] = {}
    for i in range(0, len(fresh), _ENTRY_ROWS):
        batch = [e for e, _ in fresh[i:i + _ENTRY_ROWS]]
        # with what each moves of the accounts a week's reconciliation reads (decision 164)
        figures = [entry_figures.of((l.account, l.amount_paise) for l in kept) for _, kept in fresh[i:i + _ENTRY_ROWS]]
        for r in await rows('INSERT INTO "ledger_entry" ("district_id", "idempotency_key", "memo", "request_id", "created_at", '
                            '"bank_paise", "card_paise", "fee_paise", "touches") VALUES '
                            + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(batch)) + ' RETURNING "id", "idempotency_key"',
                            [v for e, f in zip(batch, figures) for v in (e.district_id, e.key, e.memo[:300], e.request_id, e.created_at or now, *f)]):
            out[r["idempotency_key"]] = r["id"]
    lines = [(out[e.key], e.district_id, l.account, l.amount_paise) for e, kept in fresh for l in kept]
    # the drawers' totals (decision 124), in the same transaction as the entries
    await drawer_totals.note([(e.district_id, e.key, e.request_id, e.created_at or now, [(l.account, l.amount_paise) for l in kept],
                               e.charge_payer) for e, kept in fresh])
    # PostgreSQL's COPY: one stream, not 2,000 parameters bound a statement (decision 42); but it asks
    # the server twice (the COPY, then its data), where a counter's entry of a few postings is one INSERT
    if conn.capabilities.dialect == "postgres" and len(lines) > _POSTING_ROWS:
        for i in range(0, len(lines), 50_000):
            await insert_rows(conn, "posting", ["entry_id", "district_id", "account", "amount_paise"], lines[i:i + 50_000])
        return out
    for i in range(0, len(lines), _POSTING_ROWS):
        batch = lines[i:i + _POSTING_ROWS]
        await rows('INSERT INTO "posting" ("entry_id", "district_id", "account", "amount_paise") VALUES '
                   + ", ".join(["(?, ?, ?, ?)"] * len(batch)), [v for line in batch for v in line])
    return out


async def _insert_one(conn: Any, e: NewEntry, kept: list[Line], now: dt.datetime) -> dict[str, int]:
    """One new entry on PostgreSQL (a counter's payment posts one): the entry, what it adds to
    the drawers' totals and its postings written by one statement, data-modifying ``WITH``s that
    the server runs together, where three statements were three round trips on the counter's
    transaction (decision 169). The rows are those :func:`_insert` writes, to the paisa."""
    lines = [(l.account, l.amount_paise) for l in kept]
    created = e.created_at or now
    drawer = await drawer_totals.rows_of([(e.district_id, e.key, e.request_id, created, lines, e.charge_payer)])
    sql = ('WITH e AS (INSERT INTO "ledger_entry" ("district_id", "idempotency_key", "memo", "request_id", "created_at", '
           '"bank_paise", "card_paise", "fee_paise", "touches") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id", "idempotency_key")')
    params: list[Any] = [e.district_id, e.key, e.memo[:300], e.request_id, created, *entry_figures.of(lines)]
    if drawer:  # (a few rows: one drawer's, and the shares it keeps back)
        upsert, more = drawer_totals.upsert(drawer)
        sql += f', d AS ({upsert} RETURNING 1)'
        params += more
    sql += (', p AS (INSERT INTO "posting" ("entry_id", "district_id", "account", "amount_paise") SELECT e."id", v.d, v.a, v.m FROM e, '
            '(VALUES ' + ", ".join(["(CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS BIGINT))"] * len(lines)) + ') AS v(d, a, m) '
            'RETURNING 1) SELECT "id", "idempotency_key" FROM e')
    params += [v for account, amount in lines for v in (e.district_id, account, amount)]
    found = await conn.execute_query_dict(placeholders(conn, sql), params)
    return {found[0]["idempotency_key"]: found[0]["id"]}


# at most this many lines, an entry is written by one statement on PostgreSQL (_insert_one)
_ONE_STATEMENT_LINES = 50
# Rows per multi-row INSERT (1,000 and 2,000 parameters; both databases take 32,766 or more): larger
# batches saved no time measurably, and the sqlite3 module keeps each compiled statement in its
# cache, which at 1,000 rows a statement grew the process by 13 MiB.
_ENTRY_ROWS = 200
_POSTING_ROWS = 500


async def rows(sql: str, params: list[Any], *, raw: bool = False) -> list[Any]:
    """The rows of a raw query over the books, written with ``?`` placeholders, on SQLite or
    PostgreSQL, in the current transaction: for the aggregates an ORM filter across ``entry__``
    would write as a LEFT JOIN that reads every posting. Dicts, or with ``raw`` the driver's rows
    (read by column name only: :func:`core.db.raw_rows`)."""
    from tortoise import connections

    conn = connections.get("default")
    if raw:
        return await raw_rows(conn, sql, params)
    return await conn.execute_query_dict(placeholders(conn, sql), params)


async def execute_many(sql: str, params: list[list[Any]]) -> None:
    """Run a raw statement (``?`` placeholders) once per list of ``params``, in the current
    transaction: updating many rows each with its own values in one round trip, where the ORM's
    bulk_update builds a CASE per row and column (seconds for a week's statement lines)."""
    from tortoise import connections

    if params:
        conn = connections.get("default")
        await conn.execute_many(placeholders(conn, sql), params)


def as_datetime(value: Any) -> dt.datetime:
    """A timestamp of a raw row (:func:`rows`) as an aware datetime: SQLite returns UTC text."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)




_BYTE_ORDER: bool | None = None  # does the PostgreSQL database compare text byte by byte (a C collation)?


async def key_prefix(column: str, prefix: str) -> tuple[str, list[Any]]:
    """SQL (and its parameters) for ``column`` starting with ``prefix``, in a form the column's
    index answers where it can: a range ``>= prefix AND < prefix+1`` on SQLite and on a PostgreSQL
    database with a C collation (its order is byte order, so the range is exactly the strings that
    start with ``prefix``); elsewhere, where a collation may order punctuation apart and the range
    would miss some, ``LIKE`` alone (read from the table: right, not fast). The ``LIKE`` beside the
    range changes no answer; it keeps the condition readable as what it means."""
    from tortoise import connections

    global _BYTE_ORDER
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql, params = f"{column} LIKE ? ESCAPE '\\'", [like]
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres" and _BYTE_ORDER is None:
        found = await rows("SELECT datcollate AS c FROM pg_database WHERE datname = current_database()", [])
        _BYTE_ORDER = bool(found) and str(found[0]["c"]).split(".")[0] in ("C", "POSIX")
    if prefix and (conn.capabilities.dialect == "sqlite" or _BYTE_ORDER):
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        sql, params = f"{column} >= ? AND {column} < ? AND {sql}", [prefix, upper, like]
    return sql, params


async def balance(account: str) -> int:
    """Debits minus credits on ``account``, recomputed from the postings."""
    row = await Posting.filter(account=account).annotate(total=Sum("amount_paise")).first().values("total")
    return int(row["total"] or 0) if row else 0


async def trial_balance() -> int:
    """Sum of every posting: zero when the books balance."""
    row = await Posting.all().annotate(total=Sum("amount_paise")).first().values("total")
    return int(row["total"] or 0) if row else 0


def reversal_key(key: str) -> str:
    """The key of the entry reversing the entry of ``key``: ``reverse:<key>``, or, past the key
    column's 100 characters, ``reverse:sha256:<the key's SHA-256>``."""
    reverse = f"reverse:{key}"
    return reverse if len(reverse) <= 100 else f"reverse:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def key_again(key: str, generation: int) -> str:
    """The key an entry is posted under the ``generation``-th time, once the entries posted under
    the generations before were each reversed (:func:`reversal_key`): ``key`` itself the first time,
    ``<key>#<n>`` after (a Stripe payout posted again by a new import, decision 98; a bank line
    booked again once the statement it was booked from was withdrawn, decision 161). A key once
    used is never posted again. Past the key column's 100 characters, the key's SHA-256 stands for
    it, after its kind."""
    if generation <= 1:
        return key
    again = f"{key}#{generation}"
    if len(again) > 100:
        kind = key.split(":", 1)[0]
        again = f"{kind}:sha256:{hashlib.sha256(key.encode()).hexdigest()[:64]}#{generation}"
    return again


async def reverse(entry: LedgerEntry, memo: str, key: str | None = None) -> LedgerEntry:
    """Post the mirror of ``entry`` (every line negated): the only way a posted entry is corrected.

    Idempotent: reversing the same entry twice posts once (key ``reverse:<original key>``,
    :func:`reversal_key`).
    """
    lines = [Line(p.account, -p.amount_paise) for p in await Posting.filter(entry=entry)]
    return await post(entry.district_id, key or reversal_key(entry.idempotency_key), memo, lines, entry.request_id)


async def receipt_problems() -> list[str]:
    """Receipts and entries that do not match: what a crash or a lost database would leave behind
    if a transaction were ever half-written.

    Every request has its receipt number and its payment; every receipt that took money (paid,
    handed over, cancelled, or a cheque in clearing, whose collection is posted at once) has its
    ledger entries; every entry written for a request belongs to a receipt. A free service (nothing
    charged, no fee) and a card or UPI payment not yet confirmed rightly have no entries.
    """
    from tortoise import connections

    from emitra.core import payments
    from emitra.core.models import RequestStatus

    conn = connections.get("default")
    took_money = ", ".join(f"'{s.value}'" for s in (RequestStatus.PAID, RequestStatus.SUBMITTED,
                                                      RequestStatus.SUBMISSION_FAILED, RequestStatus.CANCELLED))
    posted_on_start = ", ".join(f"'{code}'" for code, m in sorted(payments.methods().items()) if m.post_on_start) or "''"
    no_receipt = await conn.execute_query_dict(
        'SELECT "idempotency_key" AS key FROM "service_request" WHERE "receipt_no" IS NULL OR "receipt_no" = \'\'')
    no_payment = await conn.execute_query_dict(
        'SELECT r."receipt_no" AS receipt FROM "service_request" r WHERE r."receipt_no" IS NOT NULL '
        'AND NOT EXISTS (SELECT 1 FROM "payment" p WHERE p."request_id" = r."id")')
    no_entries = await conn.execute_query_dict(
        'SELECT r."receipt_no" AS receipt, r."status" AS status FROM "service_request" r '
        'WHERE r."receipt_no" IS NOT NULL AND (r."citizen_total_paise" <> 0 OR r."service_charge_paise" <> 0) '
        f'AND (r."status" IN ({took_money}) OR (r."status" = \'{RequestStatus.PAYMENT_PENDING.value}\' AND EXISTS ('
        f'SELECT 1 FROM "payment" p WHERE p."request_id" = r."id" AND p."method" IN ({posted_on_start})))) '
        'AND NOT EXISTS (SELECT 1 FROM "ledger_entry" e WHERE e."request_id" = r."id")')
    orphans = await conn.execute_query_dict(
        'SELECT e."idempotency_key" AS key FROM "ledger_entry" e JOIN "service_request" r ON r."id" = e."request_id" '
        'WHERE r."receipt_no" IS NULL OR r."receipt_no" = \'\'')
    return ([f"request {r['key']} has no receipt number (half-written)" for r in no_receipt]
            + [f"receipt {r['receipt']} has no payment" for r in no_payment]
            + [f"receipt {r['receipt']} ({r['status']}) took money but has no ledger entries" for r in no_entries]
            + [f"entry {r['key']} belongs to a request without a receipt" for r in orphans])


async def payout_problems() -> list[str]:
    """Settlement payouts whose payments do not add up to what the payout moved out of escrow
    (decision 68): the sum of its ``settlement_item`` rows against its entry's escrow credit."""
    rows_ = await rows(
        'SELECT e."idempotency_key" AS key, (SELECT -SUM(p."amount_paise") FROM "posting" p WHERE p."entry_id" = e."id" '
        'AND substr(p."account", 1, 7) = \'escrow:\') AS moved, SUM(i."amount_paise") AS items FROM "settlement_item" i '
        'JOIN "ledger_entry" e ON e."id" = i."entry_id" GROUP BY e."id", e."idempotency_key"', [])
    return [f"payout {r['key']} moved {int(r['moved'] or 0)} paise out of escrow but its payments add up to {int(r['items'])}"
            for r in rows_ if int(r["moved"] or 0) != int(r["items"])]


async def vouching_problems() -> list[str]:
    """Stripe imports said to vouch for another district's entries (decision 112): a
    ``statement_entry`` row whose import is of another district than the entry. Only an import of
    the entry's district vouches for it (decision 106, which refuses such a file); migration 0032
    removed the rows imports wrote before, and any found again is named, import and entry."""
    rows_ = await rows(
        'SELECT s."statement_id" AS imp, di."code" AS imp_district, e."idempotency_key" AS key, de."code" AS entry_district '
        'FROM "statement_entry" s JOIN "statement_import" i ON i."id" = s."statement_id" JOIN "ledger_entry" e ON e."id" = s."entry_id" '
        'JOIN "district" di ON di."id" = i."district_id" JOIN "district" de ON de."id" = e."district_id" '
        'WHERE i."district_id" <> e."district_id" ORDER BY s."statement_id", e."id"', [])
    return [f"import #{r['imp']} of district {r['imp_district']} vouches for entry {r['key']} of district {r['entry_district']}'s books "
            "(table statement_entry): a Stripe import vouches only for its own district's entries; delete the row (decision 112)"
            for r in rows_]


async def check() -> dict[str, object]:
    """Verify the books: every entry balanced and non-empty, the whole ledger summing to zero,
    every account named ``kind:party`` or a known single account, every receipt with its entries
    and every entry with its receipt (:func:`receipt_problems`), every settlement payout equal to
    its payments (:func:`payout_problems`), every Stripe import vouching only for its own district's
    entries (:func:`vouching_problems`), the drawers' half-hourly totals equal to their postings
    (:func:`drawer_totals.problems`, decision 124), each entry's figures for the weekly reconciliation
    equal to its postings (:func:`entry_figures.problems`, decision 164), no closed counter's wallet holding money; and what closed
    counters' wallets left owed back to their LSPs (``wallet_refunds_owed_paise``), and what cancelled UPI-paid
    bookings left owed to citizens (``upi_refunds_owed_paise``, decision 71), and how many of those are
    owed longer than ``EMITRA_UPI_REFUND_DUE_DAYS`` working days (``upi_refunds_overdue``: reported,
    never making the books unbalanced, decision 75). Balances are never stored, so
    they always equal what the postings say; the stored sums, the drawers' totals and the entries'
    figures, are checked here."""
    from tortoise import connections

    conn = connections.get("default")
    entries = await LedgerEntry.all().count()
    postings = await Posting.all().count()
    total = await trial_balance()
    unbalanced = await conn.execute_query_dict(
        'SELECT e."idempotency_key" AS key, SUM(p."amount_paise") AS diff FROM "ledger_entry" e '
        'JOIN "posting" p ON p."entry_id" = e."id" GROUP BY e."id", e."idempotency_key" HAVING SUM(p."amount_paise") <> 0')
    empty = await conn.execute_query_dict(
        'SELECT e."idempotency_key" AS key FROM "ledger_entry" e LEFT JOIN "posting" p ON p."entry_id" = e."id" '
        'WHERE p."id" IS NULL')
    bad_accounts = await conn.execute_query_dict(
        'SELECT DISTINCT "account" FROM "posting" WHERE "account" NOT LIKE \'%:%\' AND "account" NOT IN (\'society_bank\', \'society_fee_income\', \'processor_fees\', \'escrow\', \'bank_charges\', \'bank_interest\')')
    from emitra.core.models import Wallet

    problems = [f"entry {r['key']} does not balance: {int(r['diff'])} paise" for r in unbalanced]
    for wallet in await Wallet.all().prefetch_related("counter"):
        in_books = -await balance(f"kiosk_wallet:{wallet.counter.code}")
        if in_books != wallet.balance_paise:
            problems.append(f"wallet of {wallet.counter.code} holds {wallet.balance_paise} paise but the ledger says {in_books}")
        if not wallet.counter.active and wallet.balance_paise:
            # stranded: no payment can be taken there to use it (closed before decision 70)
            problems.append(f"wallet of the closed counter {wallet.counter.code} still holds {wallet.balance_paise} paise: "
                            f"reopen it and close it again, which moves the balance (--wallet-to) or records it as owed to its LSP")
    # what closed counters' wallets left owed back to their LSPs, until the Society refunds it (decision 70)
    where, params = await key_prefix('"account"', "wallet_refund_payable:")
    owed = await rows(f'SELECT "account", SUM("amount_paise") AS total FROM "posting" WHERE {where} GROUP BY "account" ORDER BY "account"',
                      params)
    from emitra.core import upi_refunds

    # what cancelled UPI-paid bookings' refunds left owed to citizens, until the Society sends them (decision 71)
    upi_owed = await upi_refunds.owed_accounts()
    # how many of them are owed longer than EMITRA_UPI_REFUND_DUE_DAYS working days: reported, not a
    # problem of the books (they balance; "balanced" stays the books' answer, decision 75)
    upi_overdue = await upi_refunds.overdue_count() if upi_owed else 0
    problems += [f"entry {r['key']} has no postings" for r in empty]
    problems += [f"account {r['account']!r} is not named kind:party" for r in bad_accounts]
    problems += await receipt_problems()
    problems += await payout_problems()
    problems += await vouching_problems()
    problems += await drawer_totals.problems()
    problems += await entry_figures.problems()
    return {
        "balanced": total == 0 and not problems,
        "entries": entries,
        "postings": postings,
        "imbalance_paise": total,
        "problems": problems,
        "wallet_refunds_owed_paise": {r["account"]: -int(r["total"]) for r in owed if int(r["total"] or 0)},
        "upi_refunds_owed_paise": upi_owed,
        "upi_refunds_overdue": upi_overdue,
    }

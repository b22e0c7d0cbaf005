"""Escrow settlement, principal remittance to departments, department fee claims, and the LSP's statement.

**Settlement.** Card and UPI collections are debited to ``escrow:card`` / ``escrow:upi`` when the
payment is confirmed; the LSP's share of the citizen-paid service charge was credited to
``lsp_fee_payable:<lsp>`` (the kiosk owner's to ``owner_fee_payable:<counter>``, the LSP's own sales
to ``lsp_sales:<lsp>``) in the same entry. :func:`settle` pays those shares out of escrow to the LSP's
bank, each payment once. A run makes **one payout per LSP and escrow**: one transfer (a NEFT from
the UPI collection account, a Stripe transfer from the card balance) and one entry, key
``settle:<reference>``, whose reference (``STLJP261103060000L3UPI``: district, the run's local time,
LSP, method; letters and digits only, as banks keep them in a narration) the Society quotes on the
transfer; the payments it covers are rows of ``settlement_item``, each request once (decision 68)::

    Dr lsp_fee_payable:<lsp>  (and owner_fee_payable:<counter>, lsp_sales:<lsp>, each its total)
        Cr escrow:<card|upi>

It should run within 24 hours of each confirmation; a payment settled later is flagged in the
run's report. Department- and partner-paid charges are not in escrow (they are receivables) and
are not paid out here. Payments settled before decision 68 have an entry each (``settle:<receipt>``).

**Remittance.** :func:`remit` pays a department what the counters collected for it in a period
(``dept_payable:<provider>``), refunds of cancelled bookings netted, with a statement of receipts::

    Dr dept_payable:<provider>   Cr society_bank          (key remit:<district>:<from>:<to>:<provider>)

**Claims.** :func:`claim` lists the service charges a department or partner owes (Rs 3.95 a bill,
commissions): the debits to ``dept_fee_receivable:<provider>`` / ``partner_fee_receivable:<provider>``
in the period. Nothing is posted until the department pays; :func:`record_claim_payment` then posts
each payment the department makes against the claim, until it is paid in full::

    Dr society_bank   Cr dept_fee_receivable:<provider>   (key claimpaid:<district>:<from>:<to>:<provider>:<ref>)

``<ref>`` is 12 hex digits of the SHA-256 of the payment's bank reference: the same reference again
posts nothing. A payment recorded before payments in part were possible has the key without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any, Callable

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from emitra.core import audit, clock, ledger, payments, spreadsheet
from emitra.core.db import insert_rows, on_postgres
from emitra.core.counter import slug
from emitra.core.dayend import MoneyError, day_end_at, day_start, index_rows, local_date, tz, utcnow
from emitra.core.models import Counter, District, LedgerEntry, Payment, Posting, Role, ServiceRequest, SettlementItem, Wallet
from emitra.core.money import bank_reference as normal_reference
from emitra.core.money import format_paise, split
from emitra.core.text import count_en

LATE_AFTER = dt.timedelta(hours=24)
PAYOUT_PREFIXES = ("lsp_fee_payable:", "owner_fee_payable:", "lsp_sales:")
LIKE_ACCOUNT = 'p."account" LIKE ?'
IN_CHUNK = 5000  # values in one IN (...) list: PostgreSQL takes at most 32767 parameters a query


def _provider_hi(provider: str) -> str:
    """A department's or partner's name in a Hindi message: the Hindi name its plugin declares, else
    the stored one (decisions 114 and 115 name them so on the pages)."""
    from emitra.core.plugins import department_hi  # (here: the plugin host is not needed otherwise)

    return department_hi(provider) or provider


def _society_admin(actor: audit.Actor, district_id: int | None = None) -> int | None:
    """The district the actor may act for: a Society admin's own; None (all) for the system itself."""
    user = actor.user
    if user is None:
        return district_id
    if user.role != Role.SOCIETY_ADMIN:
        raise MoneyError("actor", "Only the district Society does this.", "यह केवल जिला सोसायटी करती है।")
    if district_id is not None and district_id != user.district_id:
        raise MoneyError("district", "This belongs to another district.", "यह किसी अन्य जिले का है।")
    return user.district_id


# --- settlement -----------------------------------------------------------------------------------

@dataclass
class Pending:
    """One confirmed electronic payment whose shares are still in escrow."""

    request_id: int
    receipt_no: str
    district_id: int
    counter_code: str
    lsp_id: int
    method: str
    escrow_account: str
    confirmed_at: dt.datetime
    lines: dict[str, int] = field(default_factory=dict)  # payout account -> paise
    late: bool = False
    settled_at: dt.datetime | None = None

    @property
    def amount_paise(self) -> int:
        return sum(self.lines.values())

    @property
    def hours(self) -> float:
        end = self.settled_at or utcnow()
        return round((end - self.confirmed_at).total_seconds() / 3600, 1)


@dataclass
class Payout:
    """One transfer out of escrow to an LSP in a run: the shares of its payments, one entry."""

    district_id: int
    lsp_id: int
    escrow_account: str
    reference: str  # what the Society quotes on the transfer; the entry's key is settle:<reference>
    items: list[Pending] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"settle:{self.reference}"

    @property
    def method(self) -> str:
        return self.escrow_account.removeprefix("escrow:")

    @property
    def lines(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.items:
            for account, paise in item.lines.items():
                out[account] = out.get(account, 0) + paise
        return dict(sorted(out.items()))

    @property
    def amount_paise(self) -> int:
        return sum(i.amount_paise for i in self.items)

    @property
    def late(self) -> int:
        return sum(1 for i in self.items if i.late)


@dataclass
class SettlementReport:
    now: dt.datetime
    items: list[Pending] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)

    @property
    def late(self) -> list[Pending]:
        return [i for i in self.items if i.late]

    @property
    def total_paise(self) -> int:
        return sum(i.amount_paise for i in self.items)

    def by_lsp(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for i in self.items:
            out[i.lsp_id] = out.get(i.lsp_id, 0) + i.amount_paise
        return dict(sorted(out.items()))


async def pending(now: dt.datetime | None = None, district_id: int | None = None) -> list[Pending]:
    """Confirmed card and UPI payments (confirmed at or before ``now``) whose LSP share is not yet paid out."""
    return (await _open(now or utcnow(), district_id))[0]


async def _candidates(now: dt.datetime, district_id: int | None) -> tuple[list[dict[str, Any]], list[int]]:
    """The escrow payments open for settlement and due (received or cleared, confirmed at or before
    ``now``, the charge paid by the citizen), and the ids of the open ones found already settled or
    reversed or with nothing to settle (a charge the citizen did not pay), which :func:`settle` closes.

    Only the open ones are read (``payment.settled_at`` NULL), not every electronic collection
    ever made: settlement closes what it pays, and a payment whose charge the citizen does not pay
    is born closed (decision 41), so a run reads about a day's payments whatever the size of the
    books. One of those written before decision 41 comes back here and is closed; those confirmed
    after ``now`` are left to a later run, in SQL. A payment the marker leaves open by mistake (one
    from before migration 0013, a run stopped between its posting and its marking) is found closed
    here by the ledger itself (its ``settle:`` or ``reverse:request:`` entry) and closed by the next
    run: the ledger, not the marker, decides what is paid. Read a page at a time, method by method, in the order of the index
    on (method, settled_at, id)."""
    district = ' AND y."district_id" = ?' if district_id is not None else ""
    due: list[dict[str, Any]] = []
    closed: list[int] = []
    for method in payments.escrow_methods():
        after = 0
        while True:
            # The request's columns by subqueries, not a join: PostgreSQL, its statistics taken while every
            # payment was open, would read every request to find the open payments by request_id.
            page = await index_rows(
                'SELECT y."id" AS id, y."request_id" AS request_id, y."method" AS method, y."status" AS status, y."confirmed_at" AS confirmed_at, '
                f'{_OF_REQUEST.format("receipt_no")} AS receipt_no, {_OF_REQUEST.format("counter_id")} AS counter_id, '
                f'{_CHARGE_PAYER} AS charge_payer FROM "payment" y '
                f'WHERE y."method" = ? AND y."settled_at" IS NULL AND y."id" > ?{district} AND {_NOT_LATER} '
                # id order, written as the index's order: PostgreSQL otherwise walks the primary key and filters
                f'ORDER BY y."method", y."settled_at", y."id" LIMIT {IN_CHUNK}',
                [method, after] + ([district_id] if district_id is not None else []) + [now])
            posted = await _posted_keys([f"{kind}{c['receipt_no']}" for c in page if c["receipt_no"] for kind in ("settle:", "reverse:request:")])
            # (one a payout paid has its marker set in the payout's transaction; were it lost, settlement_item's
            # unique request refuses to pay it again: settle() reads what is paid then, not for every page)
            for c in page:
                if (c["charge_payer"] != "citizen" or c["status"] in _FAILED
                        or f"settle:{c['receipt_no']}" in posted or f"reverse:request:{c['receipt_no']}" in posted):
                    closed.append(c["id"])
                elif c["status"] in _DUE and c["confirmed_at"] is not None and ledger.as_datetime(c["confirmed_at"]) <= now:
                    due.append(c)
            if len(page) < IN_CHUNK:
                break
            after = page[-1]["id"]
    due.sort(key=lambda c: c["id"])
    return due, closed


_OF_REQUEST = '(SELECT r."{}" FROM "service_request" r WHERE r."id" = y."request_id")'  # a column of the payment's request
_CHARGE_PAYER = _OF_REQUEST.format("charge_payer").replace('r."charge_payer"', 'COALESCE(r."charge_payer", \'\')')
_DUE = ("received", "cleared")  # the statuses of a payment whose money is in escrow
_FAILED = ("failed", "bounced")  # declined or withdrawn: nothing reached escrow, nothing to settle (closed at once since then)
#: SQL: not a payment confirmed after the run's time (``?``), whose turn comes in a later run
_NOT_LATER = (f'(y."status" NOT IN ({", ".join(repr(s) for s in _DUE)}) OR y."confirmed_at" IS NULL OR y."confirmed_at" <= ?)')


async def _posted_keys(keys: list[str]) -> set[str]:
    """Which of ``keys`` the ledger has, looked up in its unique index on the key. Asked apart from
    the page of payments, not as an EXISTS per row: PostgreSQL answered those with a hashed subplan
    that read every ledger entry for each page (0.26 s a page at 100k, growing with the books).
    Always _KEYS_ASKED keys a statement (the last chunk padded with a repeat): one statement text,
    where a text per length filled the sqlite3 module's statement cache (20 MiB at 100k)."""
    return await _found('SELECT "idempotency_key" AS k FROM "ledger_entry" WHERE "idempotency_key" IN ({})', keys)


async def _paid_requests(request_ids: list[int]) -> set[int]:
    """Which of these requests a payout has settled (``settlement_item``, decision 68): the books,
    not the payment's marker, say what is paid."""
    return await _found('SELECT "request_id" AS k FROM "settlement_item" WHERE "request_id" IN ({})', request_ids)


async def _found(sql: str, values: list[Any]) -> set[Any]:
    """The ``k`` of the rows ``sql`` finds for ``values``, _KEYS_ASKED values a statement."""
    found: set[Any] = set()
    for start in range(0, len(values), _KEYS_ASKED):
        chunk = values[start:start + _KEYS_ASKED]
        chunk += chunk[-1:] * (_KEYS_ASKED - len(chunk))
        found.update(r["k"] for r in await ledger.rows(sql.format(", ".join("?" * _KEYS_ASKED)), chunk))
    return found


_KEYS_ASKED = 500


async def _open(now: dt.datetime, district_id: int | None) -> tuple[list[Pending], list[int]]:
    """:func:`pending`, and the payments :func:`_candidates` found closed."""
    due, closed = await _candidates(now, district_id)
    open_: dict[int, dict[str, Any]] = {}
    for c in due:
        open_.setdefault(c["request_id"], c)  # the request's first payment, as its settlement names it
    request_ids = sorted(open_)
    escrows = sorted({f"escrow:{code}" for code in payments.methods()} | {"escrow:card", "escrow:upi"})
    collected: dict[int, dict[str, Any]] = {}
    shares: dict[int, dict[str, int]] = {}
    for start in range(0, len(request_ids), IN_CHUNK):  # PostgreSQL takes at most 32767 parameters a query
        chunk = request_ids[start:start + IN_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for p in await ledger.rows(  # the collection into escrow (an inner join from the requests' entries, not a scan of the account)
                'SELECT p."entry_id" AS entry_id, p."account" AS account, p."district_id" AS district_id, e."request_id" AS request_id '
                f'FROM "ledger_entry" e JOIN "posting" p ON p."entry_id" = e."id" WHERE e."request_id" IN ({marks}) '
                f'AND e."idempotency_key" LIKE \'request:%\' AND p."amount_paise" > 0 AND p."account" IN ({", ".join("?" for _ in escrows)}) '
                'ORDER BY p."entry_id"', chunk + escrows):
            collected.setdefault(p["request_id"], p)
        shares.update(await _still_owed(chunk))
    counters = {c["id"]: c for c in await Counter.filter(id__in={c["counter_id"] for c in open_.values()}).values("id", "code", "lsp_id")}
    out = []
    for request_id, entry in sorted(collected.items(), key=lambda kv: kv[1]["entry_id"]):
        pay = open_[request_id]
        lines = {a: v for a, v in sorted(shares.get(request_id, {}).items()) if v > 0}
        if not lines:
            continue
        counter = counters[pay["counter_id"]]
        out.append(Pending(request_id, pay["receipt_no"], entry["district_id"], counter["code"], counter["lsp_id"], pay["method"],
                           entry["account"], ledger.as_datetime(pay["confirmed_at"]), lines))
    return out, closed


async def _still_owed(request_ids: list[int]) -> dict[int, dict[str, int]]:
    """What is still owed on each request's payment, by payout account: the shares its collection
    credited, less anything already paid on it (a card's destination charge moves the LSP's share at
    capture: ``card_transfer:<receipt>``). At most IN_CHUNK requests."""
    marks = ", ".join("?" for _ in request_ids)
    shares: dict[int, dict[str, int]] = {}
    for p in await ledger.rows(
            'SELECT e."request_id" AS request_id, p."account" AS account, SUM(p."amount_paise") AS total FROM "ledger_entry" e '
            f'JOIN "posting" p ON p."entry_id" = e."id" WHERE e."request_id" IN ({marks}) '
            f'AND ({" OR ".join(LIKE_ACCOUNT for _ in PAYOUT_PREFIXES)}) '
            'GROUP BY e."request_id", p."account"', list(request_ids) + [f"{prefix}%" for prefix in PAYOUT_PREFIXES]):
        shares.setdefault(p["request_id"], {})[p["account"]] = -int(p["total"] or 0)
    return shares


async def _close(payment_ids: list[int], request_ids: list[int], now: dt.datetime) -> None:
    """Mark payments closed for settlement: by id (found closed by :func:`_candidates`), and the
    escrow payments of the requests just settled."""
    methods = payments.escrow_methods()
    for start in range(0, len(payment_ids), IN_CHUNK):
        await Payment.filter(id__in=payment_ids[start:start + IN_CHUNK]).update(settled_at=now)
    for start in range(0, len(request_ids), _CLOSE_CHUNK):
        chunk = request_ids[start:start + _CLOSE_CHUNK]
        # by the request_id index: on SQLite the other terms written with a unary +, which keeps them from
        # choosing the (method, settled_at, id) index; since decision 41 its statistics take that for the
        # more selective one, and it reads every open payment of the method for each chunk (50 ms a chunk
        # at 1M, against 3 ms). PostgreSQL's statistics choose well.
        plus = "" if on_postgres() else "+"
        await ledger.rows(f'UPDATE "payment" SET "settled_at" = ? WHERE "request_id" IN ({", ".join("?" for _ in chunk)}) '
                          f'AND {plus}"method" IN ({", ".join("?" for _ in methods)}) AND {plus}"settled_at" IS NULL', [now, *chunk, *methods])


#: requests a statement when closing settled payments (the size of the batches before decision 68: a
#: run's payments now go in one transaction, their markers still 500 a statement, by the request_id index)
_CLOSE_CHUNK = 500


async def settle(actor: audit.Actor, now: dt.datetime | None = None, district_id: int | None = None,
                 items: list[Pending] | None = None, progress: Callable[[Pending], None] | None = None) -> SettlementReport:
    """Pay each LSP its share of every confirmed electronic payment out of escrow, once per payment.

    ``now`` is the time of the run (injectable for tests and back-dated runs); a payment confirmed
    more than 24 hours before it is settled late and listed in ``report.late``. ``items`` (from
    :func:`pending`) and ``progress`` (called after each payment) let the command line show a bar.
    """
    district_id = _society_admin(actor, district_id)
    now = now or utcnow()
    if now.tzinfo is None:
        raise MoneyError("now", "Give the time of the run with its time zone, e.g. 2026-11-21T10:00:00+05:30.",
                         "समय उसके समय क्षेत्र सहित दें, जैसे 2026-11-21T10:00:00+05:30।")
    report = SettlementReport(now)
    if items is None:
        items, closed = await _open(now, district_id)
    else:
        closed = (await _candidates(now, district_id))[1]
    await _close(closed, [], now)
    todo = [i for i in items if district_id is None or i.district_id == district_id]
    for item in todo:
        item.settled_at = now
        item.late = now - item.confirmed_at > LATE_AFTER
    if not todo:
        return report
    codes = dict(await District.filter(id__in={i.district_id for i in todo}).values_list("id", "code"))
    fresh = todo
    for attempt in range(_ATTEMPTS):
        try:
            async with in_transaction():
                payouts = await _payouts(fresh, codes, now)
                made = await ledger.post_many([_payout_entry(p) for p in payouts])
                await _write_items(payouts, made)
                await audit.record_many([_payout_record(actor, p, now) for p in payouts])
                await _close([], [i.request_id for i in todo], now)  # each settled now, by this run or another
            break
        except IntegrityError:  # another run settled some of them since they were read (settlement_item's unique request)
            if attempt == _ATTEMPTS - 1:
                raise
            paid = await _paid_requests([i.request_id for i in todo])  # its transaction has committed: pay the rest
            fresh = [i for i in todo if i.request_id not in paid]
    report.items, report.payouts = fresh, payouts
    if progress is not None:
        for item in fresh:
            progress(item)
    return report


_ATTEMPTS = 3  # tries of a run whose payments another run settles at the same moment


def payout_reference(district_code: str, now: dt.datetime, lsp_id: int, escrow_account: str) -> str:
    """What the Society quotes on a payout's transfer, and the key of its entry after ``settle:``:
    district, the run's local time to the second, the LSP and the method, in capitals and digits
    only (a bank keeps nothing else of a narration), e.g. ``STLJP261103060000L3UPI``."""
    method = "".join(ch for ch in escrow_account.removeprefix("escrow:").upper() if ch.isascii() and ch.isalnum())
    return f"STL{district_code}{now.astimezone(tz()):%y%m%d%H%M%S}L{lsp_id}{method}"


async def _payouts(items: list[Pending], codes: dict[int, str], now: dt.datetime) -> list[Payout]:
    """The run's payments grouped into one payout per LSP and escrow, each with its reference (a
    suffix when an earlier run of the same second used it)."""
    groups: dict[tuple[int, int, str], Payout] = {}
    for item in items:
        key = (item.district_id, item.lsp_id, item.escrow_account)
        if key not in groups:
            groups[key] = Payout(item.district_id, item.lsp_id, item.escrow_account,
                                 payout_reference(codes[item.district_id], now, item.lsp_id, item.escrow_account))
        groups[key].items.append(item)
    payouts = [groups[k] for k in sorted(groups)]
    used = await _posted_keys([p.key for p in payouts])
    for p in payouts:
        base, n = p.reference, 1
        while p.key in used:
            n += 1
            p.reference = f"{base}R{n}"
            used |= await _posted_keys([p.key])
    return payouts


def _payout_entry(payout: Payout) -> ledger.NewEntry:
    lines = [ledger.debit(a, p) for a, p in payout.lines.items()] + [ledger.credit(payout.escrow_account, payout.amount_paise)]
    late = f", {payout.late} late" if payout.late else ""
    return ledger.NewEntry(payout.district_id, payout.key, f"settlement {payout.reference}: {count_en(len(payout.items), 'payment')} by "
                                                           f"{payout.method} to LSP {payout.lsp_id}{late}", lines)


async def _write_items(payouts: list[Payout], made: dict[str, int]) -> None:
    """Each payout's payments, a row each, in batches (one statement text)."""
    rows = [(made[p.key], i.request_id, i.receipt_no, i.amount_paise, i.confirmed_at, i.late) for p in payouts for i in p.items]
    await insert_rows(connections.get("default"), "settlement_item",
                      ["entry_id", "request_id", "receipt_no", "amount_paise", "confirmed_at", "late"], rows)


def _payout_record(actor: audit.Actor, payout: Payout, now: dt.datetime) -> tuple[audit.Actor, str, Any, dict[str, Any]]:
    receipts = "\n".join(i.receipt_no for i in payout.items)
    return (actor, "settlement.paid", None, {"district_id": payout.district_id, "detail": {
        "reference": payout.reference, "lsp": payout.lsp_id, "escrow": payout.escrow_account, "amount_paise": payout.amount_paise,
        "payments": len(payout.items), "late": payout.late, "settled_at": now.isoformat(),
        "first_confirmed_at": min(i.confirmed_at for i in payout.items).isoformat(),
        "receipts_sha256": hashlib.sha256(receipts.encode()).hexdigest()}})


async def payout_items(entry_key: str) -> list[SettlementItem]:
    """The payments a payout (its entry's key, ``settle:<reference>``) covered, in receipt order."""
    return await SettlementItem.filter(entry__idempotency_key=entry_key).order_by("receipt_no")


async def _visible_payout(reference: str, district_id: int, lsp_id: int | None) -> tuple[LedgerEntry, int] | None:
    """The entry of the payout ``reference`` (as typed: any capitals, spaces or dashes) in the
    district, and the LSP it paid; None when the district has no such payout, or (``lsp_id``) it
    paid another LSP. A payout pays one LSP: its first payment's counter names it."""
    reference = "".join(ch for ch in str(reference).upper() if ch.isascii() and ch.isalnum())
    if not reference or len(reference) > 90:
        return None
    entry = await LedgerEntry.get_or_none(idempotency_key=f"settle:{reference}", district_id=district_id)
    if entry is None:
        return None
    owner = await ledger.rows(
        'SELECT c."lsp_id" AS lsp_id FROM "settlement_item" i JOIN "service_request" r ON r."id" = i."request_id" '
        'JOIN "counter" c ON c."id" = r."counter_id" WHERE i."entry_id" = ? ORDER BY i."id" LIMIT 1', [entry.id])
    if not owner or (lsp_id is not None and owner[0]["lsp_id"] != lsp_id):
        return None
    return entry, owner[0]["lsp_id"]


async def payout_csv(reference: str, district_id: int, lsp_id: int | None = None) -> str | None:
    """The receipts a payout covered, as CSV (what an LSP matches its bank credit with); None when
    the district has no such payout, or (``lsp_id``) it paid another LSP."""
    found = await _visible_payout(reference, district_id, lsp_id)
    if found is None:
        return None
    entry = found[0]
    reference = entry.idempotency_key.removeprefix("settle:")
    items = await payout_items(entry.idempotency_key)
    buf = io.StringIO()
    w = spreadsheet.writer(buf, lineterminator="\n")
    w.writerow(["Settlement payout", reference, f"{local_date(entry.created_at).isoformat()}", f"{len(items)} payments"])
    w.writerow(["receipt_no", "confirmed_at", "amount_paise", "amount_rupees", "late"])
    for i in items:
        w.writerow([i.receipt_no, i.confirmed_at.astimezone(tz()).isoformat(timespec="seconds"), i.amount_paise,
                    format_paise(i.amount_paise, symbol=False), "late" if i.late else ""])
    total = sum(i.amount_paise for i in items)
    w.writerow(["TOTAL", "", total, format_paise(total, symbol=False), ""])
    return buf.getvalue()


# --- a payout's payments, page by page, and which payout paid a receipt (decision 68's limit lifted) ----

PAYOUT_PAGE = 100  # payments a payout's page lists (a district's payout covers thousands)
PAYOUTS_PAGE = 50  # payouts a page of the list shows, newest first


@dataclass
class PayoutLine:
    """One payment a payout paid: what the citizen paid for it, and the LSP's share paid out."""

    receipt_no: str
    counter_code: str
    method: str  # the payment method's code (upi, card, ...)
    confirmed_at: dt.datetime
    paid_paise: int  # what the citizen paid (service_request.citizen_total_paise)
    share_paise: int  # paid out by the payout (settlement_item.amount_paise: the LSP's, owner's and sales shares)
    late: bool


@dataclass
class PayoutView:
    """A payout with its totals and one page of the payments it paid, in receipt order."""

    reference: str
    at: dt.datetime
    lsp_id: int
    method: str  # the escrow it was paid from: upi, card
    payments: int
    amount_paise: int
    late: int
    lines: dict[str, int]  # payout account -> paise
    page: int
    pages: int
    per_page: int
    items: list[PayoutLine] = field(default_factory=list)


async def payout(reference: str, district_id: int, lsp_id: int | None = None, page: int = 1,
                 per_page: int | None = None) -> PayoutView | None:
    """Payout ``reference`` of the district with its totals and page ``page`` (from 1; past the last,
    the last) of the payments it paid; None as :func:`payout_csv`. Read by the entry's items
    (``settlement_item``'s entry_id index), a page at a time, so a payout of thousands of payments is
    never read whole to show a hundred."""
    found = await _visible_payout(reference, district_id, lsp_id)
    if found is None:
        return None
    entry, owner = found
    per_page = per_page or PAYOUT_PAGE
    totals = (await ledger.rows(
        'SELECT COUNT(*) AS n, SUM(i."amount_paise") AS total, SUM(CASE WHEN i."late" THEN 1 ELSE 0 END) AS late '
        'FROM "settlement_item" i WHERE i."entry_id" = ?', [entry.id]))[0]
    lines: dict[str, int] = {}
    method = ""
    for p in await Posting.filter(entry_id=entry.id).order_by("id").values("account", "amount_paise"):
        if p["amount_paise"] > 0:
            lines[p["account"]] = lines.get(p["account"], 0) + int(p["amount_paise"])
        elif p["account"].startswith("escrow:"):
            method = p["account"].removeprefix("escrow:")
    n = int(totals["n"] or 0)
    pages = max(1, -(-n // per_page))
    page = min(max(1, page), pages)
    escrow = payments.escrow_methods()
    rows = await ledger.rows(
        'SELECT i."receipt_no" AS receipt_no, i."amount_paise" AS share, i."confirmed_at" AS confirmed_at, i."late" AS late, '
        'c."code" AS counter_code, r."citizen_total_paise" AS paid, '
        f'(SELECT y."method" FROM "payment" y WHERE y."request_id" = i."request_id" AND y."method" IN ({", ".join("?" for _ in escrow)}) '
        'ORDER BY y."id" LIMIT 1) AS method '
        'FROM "settlement_item" i JOIN "service_request" r ON r."id" = i."request_id" JOIN "counter" c ON c."id" = r."counter_id" '
        f'WHERE i."entry_id" = ? ORDER BY i."receipt_no", i."id" LIMIT {int(per_page)} OFFSET {(page - 1) * int(per_page)}',
        [*escrow, entry.id])
    items = [PayoutLine(r["receipt_no"], r["counter_code"], r["method"] or method, ledger.as_datetime(r["confirmed_at"]),
                        int(r["paid"]), int(r["share"]), bool(r["late"])) for r in rows]
    return PayoutView(entry.idempotency_key.removeprefix("settle:"), ledger.as_datetime(entry.created_at), owner, method, n,
                      int(totals["total"] or 0), int(totals["late"] or 0), dict(sorted(lines.items())), page, pages, per_page, items)


_PAYOUT_LSP = ('(SELECT c."lsp_id" FROM "settlement_item" i JOIN "service_request" r ON r."id" = i."request_id" '
               'JOIN "counter" c ON c."id" = r."counter_id" WHERE i."entry_id" = e."id" ORDER BY i."id" LIMIT 1)')


async def payouts(district_id: int, lsp_id: int | None = None, page: int = 1,
                  per_page: int | None = None) -> tuple[list[dict[str, Any]], int, int]:
    """The district's payouts (``lsp_id``: those to that LSP), newest first: page ``page`` of them
    (past the last, the last), the page and the number of pages. Each with its reference, time,
    LSP, method, number of payments and amount. Found by their keys' index (``settle:STL``: a
    receipt number has digits where a reference has ``STL``, so the entries of payments settled
    before decision 68 are not among them)."""
    per_page = per_page or PAYOUTS_PAGE
    where, params = await ledger.key_prefix('e."idempotency_key"', "settle:STL")
    mine = f" AND {_PAYOUT_LSP} = ?" if lsp_id is not None else ""
    params = params + [district_id] + ([lsp_id] if lsp_id is not None else [])
    n = int((await ledger.rows(f'SELECT COUNT(*) AS n FROM "ledger_entry" e WHERE {where} AND e."district_id" = ?{mine}', params))[0]["n"])
    pages = max(1, -(-n // per_page))
    page = min(max(1, page), pages)
    rows = await ledger.rows(
        f'SELECT e."idempotency_key" AS k, e."created_at" AS at, {_PAYOUT_LSP} AS lsp_id, '
        '(SELECT p."account" FROM "posting" p WHERE p."entry_id" = e."id" AND p."amount_paise" < 0 ORDER BY p."id" LIMIT 1) AS escrow, '
        '(SELECT COUNT(*) FROM "settlement_item" i WHERE i."entry_id" = e."id") AS n, '
        '(SELECT SUM(i."amount_paise") FROM "settlement_item" i WHERE i."entry_id" = e."id") AS total '
        f'FROM "ledger_entry" e WHERE {where} AND e."district_id" = ?{mine} '
        f'ORDER BY e."id" DESC LIMIT {int(per_page)} OFFSET {(page - 1) * int(per_page)}', params)
    return [{"reference": r["k"].removeprefix("settle:"), "at": ledger.as_datetime(r["at"]), "lsp_id": r["lsp_id"],
             "method": str(r["escrow"] or "").removeprefix("escrow:"), "payments": int(r["n"] or 0),
             "amount_paise": int(r["total"] or 0)} for r in rows], page, pages


@dataclass
class Finding:
    """Which payout paid a receipt, or why none has (yet): the answer to an LSP's "was receipt X
    paid, in which transfer?". ``why_en``/``why_hi`` say why it is not settled, or what is odd."""

    receipt_no: str
    found: bool = False  # a receipt of the district (of the LSP's counters, for an LSP)
    reference: str = ""  # the payout that paid it ("" for one settled before decision 68, by its own entry)
    at: dt.datetime | None = None  # when it was settled
    share_paise: int = 0  # what was paid out on it
    late: bool = False
    legacy: bool = False  # settled before decision 68: entry settle:<receipt no>
    page: int = 1  # the page of its payout's list (PAYOUT_PAGE a page) that shows it
    lsp_id: int | None = None
    counter_code: str = ""
    method: str = ""  # of its escrow payment, or of its payments when none went to escrow
    status: str = ""  # of that payment
    confirmed_at: dt.datetime | None = None
    why_en: str = ""
    why_hi: str = ""

    @property
    def settled(self) -> bool:
        return self.at is not None


async def find_receipt(receipt_no: str, district_id: int, lsp_id: int | None = None, now: dt.datetime | None = None) -> Finding:
    """Which payout paid ``receipt_no`` (as typed: spaces, dashes and small letters allowed), in the
    district (``lsp_id``: at that LSP's counters; another LSP's receipt is "no such receipt", as
    its payouts are); else why it is not settled, as far as the books tell: not a card or UPI
    payment, a charge the department pays, pending, failed, reversed, nothing owed, or waiting for
    the next run (late when confirmed more than 24 hours before ``now``). Read as settlement reads
    it: ``settlement_item``, then an entry ``settle:<receipt no>`` from before decision 68."""
    import re

    from emitra.core.ids import RECEIPT_DIGITS, is_valid_receipt_no

    cleaned = re.sub(r"[\s\-]", "", str(receipt_no or "")).upper()[:40]
    out = Finding(cleaned)
    if not is_valid_receipt_no(cleaned):
        fewest, most = RECEIPT_DIGITS
        out.why_en = (f"This is not a receipt number: two letters and {fewest} to {most} digits, such as JP0001000000421. "
                      "Check it against the receipt.")
        out.why_hi = f"यह रसीद संख्या नहीं है: दो अक्षर और {fewest} से {most} अंक, जैसे JP0001000000421। रसीद से मिलाएँ।"
        return out
    request = await ServiceRequest.get_or_none(receipt_no=cleaned, district_id=district_id).prefetch_related("counter")
    if request is None or (lsp_id is not None and request.counter.lsp_id != lsp_id):
        out.why_en = ("No receipt with this number at your counters." if lsp_id is not None
                      else "No receipt with this number in the district.")
        out.why_hi = ("आपके काउंटरों पर इस संख्या की कोई रसीद नहीं है।" if lsp_id is not None
                      else "जिले में इस संख्या की कोई रसीद नहीं है।")
        return out
    out.found, out.lsp_id, out.counter_code = True, request.counter.lsp_id, request.counter.code
    escrow = payments.escrow_methods()
    pays = await Payment.filter(request_id=request.id).order_by("id")
    in_escrow = [p for p in pays if p.method in escrow]
    pay = next((p for p in in_escrow if p.status in _DUE), in_escrow[-1] if in_escrow else None)
    if pay is not None:
        out.method, out.status, out.confirmed_at = pay.method, pay.status, pay.confirmed_at
    elif pays:
        out.method, out.status = pays[-1].method, pays[-1].status
    item = await SettlementItem.get_or_none(request_id=request.id).prefetch_related("entry")
    if item is not None:
        out.reference, out.at, out.share_paise, out.late = item.entry.idempotency_key.removeprefix("settle:"), item.entry.created_at, \
            item.amount_paise, item.late
        before = await ledger.rows('SELECT COUNT(*) AS n FROM "settlement_item" i WHERE i."entry_id" = ? AND i."receipt_no" < ?',
                                   [item.entry.id, item.receipt_no])
        out.page = int(before[0]["n"] or 0) // PAYOUT_PAGE + 1
        return out
    legacy = await LedgerEntry.get_or_none(idempotency_key=f"settle:{cleaned}")
    if legacy is not None:
        out.legacy, out.at = True, legacy.created_at
        out.share_paise = int((await Posting.filter(entry_id=legacy.id, amount_paise__gt=0).annotate(t=Sum("amount_paise"))
                               .first().values("t") or {}).get("t") or 0)
        return out
    out.why_en, out.why_hi = await _why_not_settled(request, pay, now or utcnow())
    return out


async def _why_not_settled(request: ServiceRequest, pay: Payment | None, now: dt.datetime) -> tuple[str, str]:
    """Why settlement has not paid the request's payment ``pay`` (its escrow payment, None when none
    went to escrow), in English and Hindi: the same tests, in the same order, as a run makes."""
    if pay is None:
        return ("Not paid by card or UPI: settlement pays only payments collected into escrow. The LSP's share of a cash "
                "payment stays with it at the counter's day end.",
                "कार्ड या UPI से भुगतान नहीं: निपटान केवल एस्क्रो में आए भुगतानों का होता है। नकद भुगतान में एलएसपी का हिस्सा "
                "काउंटर के दिवस-अंत पर उसी के पास रहता है।")
    if await LedgerEntry.exists(idempotency_key=f"reverse:request:{request.receipt_no}"):
        return ("The transaction was reversed: nothing is owed to the LSP on it.",
                "लेन-देन उलट दिया गया: इस पर एलएसपी को कुछ देय नहीं है।")
    if (request.charge_payer or "") != "citizen":
        return ("The department or partner pays this service charge: it is claimed from them (Claims), not paid out of escrow.",
                "यह सेवा शुल्क विभाग या भागीदार देता है: यह उनसे दावे (Claims) में लिया जाता है, एस्क्रो से नहीं दिया जाता।")
    if pay.status == "pending":
        return ("The payment is pending: the bank or Stripe has not confirmed it yet. The first run after it is confirmed settles it.",
                "भुगतान लंबित है: बैंक या Stripe ने अभी इसकी पुष्टि नहीं की है। पुष्टि के बाद का पहला निपटान इसे निपटाएगा।")
    if pay.status in _FAILED:
        return ("The payment failed (declined, bounced or withdrawn): nothing reached escrow, so there is nothing to settle.",
                "भुगतान विफल रहा (अस्वीकृत, अनादरित या वापस लिया गया): एस्क्रो में कुछ नहीं आया, इसलिए निपटाने को कुछ नहीं है।")
    if pay.status not in _DUE or pay.confirmed_at is None:
        return (f"The payment is {pay.status}: settlement pays only received or cleared payments.",
                f"भुगतान की स्थिति {pay.status} है: निपटान केवल प्राप्त या क्लियर भुगतानों का होता है।")
    owed = (await _still_owed([request.id])).get(request.id, {})
    if not any(v > 0 for v in owed.values()):
        if await LedgerEntry.exists(idempotency_key=f"card_transfer:{request.receipt_no}"):
            return ("Nothing to settle: the LSP's share went with the card payment itself (Stripe's transfer at capture).",
                    "निपटाने को कुछ नहीं: एलएसपी का हिस्सा कार्ड भुगतान के साथ ही चला गया (कैप्चर पर Stripe का ट्रांसफ़र)।")
        return ("Nothing is owed to the LSP on this payment, so no payout pays it.",
                "इस भुगतान पर एलएसपी को कुछ देय नहीं है, इसलिए कोई निपटान भुगतान इसे नहीं चुकाता।")
    if pay.settled_at is not None:
        return ("The payment is marked closed for settlement, but no payout paid it: tell the district's technical team.",
                "भुगतान निपटान के लिए बंद दर्ज है, पर किसी निपटान भुगतान में यह नहीं चुकाया गया: जिले की तकनीकी टीम को बताएँ।")
    if now - ledger.as_datetime(pay.confirmed_at) > LATE_AFTER:
        return ("Not settled yet: confirmed more than 24 hours ago, it waits for the next settlement run, which will flag it late.",
                "अभी निपटाया नहीं गया: पुष्टि 24 घंटे से अधिक पहले हुई थी; यह अगले निपटान की प्रतीक्षा में है, जो इसे विलंबित चिह्नित करेगा।")
    return ("Not settled yet: confirmed, it waits for the next settlement run (within 24 hours of its confirmation).",
            "अभी निपटाया नहीं गया: पुष्टि हो चुकी है, यह अगले निपटान की प्रतीक्षा में है (पुष्टि के 24 घंटे के भीतर)।")


# --- statements (remittances and claims) ----------------------------------------------------------

@dataclass
class StatementLine:
    receipt_no: str
    at: dt.datetime
    service_code: str
    reference: str
    kind: str  # collection, refund, reversal, other
    amount_paise: int


@dataclass
class ClaimPayment:
    """One payment a department made against a claim."""

    key: str
    at: dt.datetime
    amount_paise: int
    reference: str
    by_account: dict[str, int] = field(default_factory=dict)  # receivable account -> paise it cleared


@dataclass
class Statement:
    kind: str  # remittance or claim
    district_code: str
    provider_slug: str
    provider: str
    period_start: dt.date
    period_end: dt.date
    lines: list[StatementLine] = field(default_factory=list)
    total_paise: int = 0
    key: str = ""
    posted: bool = False  # remitted, or (a claim) paid by the department
    repeated: bool = False
    paid_paise: int | None = None  # a claim: what the department paid against it, in all (None: nothing yet)
    bank_reference: str = ""  # a claim: the bank references of its payments, comma-separated
    payments: list[ClaimPayment] = field(default_factory=list)  # a claim: each payment recorded, in order

    @property
    def mismatch_paise(self) -> int:
        return 0 if self.paid_paise is None else self.paid_paise - self.total_paise

    @property
    def owed_paise(self) -> int:
        """A claim: what the department still owes on it (never below zero)."""
        return max(0, self.total_paise - (self.paid_paise or 0))

    @property
    def claim_status(self) -> str:
        """A claim: ``unpaid``, ``paid_in_part``, ``paid`` (in full) or ``overpaid`` (a payment of more
        than the claim recorded before such payments were refused)."""
        paid = self.paid_paise or 0
        if not self.payments:
            return "unpaid"
        if paid < self.total_paise:
            return "paid_in_part"
        return "paid" if paid == self.total_paise else "overpaid"

    def csv(self) -> str:
        """The statement as CSV: one row per receipt, then the total."""
        buf = io.StringIO()
        w = spreadsheet.writer(buf, lineterminator="\n")
        title = "Remittance statement" if self.kind == "remittance" else "Service charge claim"
        w.writerow([title, self.provider, f"district {self.district_code}", f"{self.period_start.isoformat()} to {self.period_end.isoformat()}"])
        w.writerow(["receipt_no", "date", "service_code", "reference", "kind", "amount_paise", "amount_rupees"])
        for line in self.lines:
            w.writerow([line.receipt_no, local_date(line.at).isoformat(), line.service_code, line.reference, line.kind,
                        line.amount_paise, format_paise(line.amount_paise, symbol=False)])
        w.writerow(["TOTAL", "", "", "", f"{len(self.lines)} lines", self.total_paise, format_paise(self.total_paise, symbol=False)])
        return buf.getvalue()


def _key_slug(provider_slug: str) -> str:
    if len(provider_slug) <= 50:
        return provider_slug
    return f"{provider_slug[:40]}-{hashlib.sha1(provider_slug.encode()).hexdigest()[:8]}"


def _kind(key: str) -> str:
    for prefix, kind in (("request:", "collection"), ("cancel:", "refund"), ("reverse:", "reversal"), ("cleared:", "collection")):
        if key.startswith(prefix):
            return kind
    return "other"


async def provider_names(district_id: int, slugs: set[str]) -> dict[str, str]:
    """The name of each provider slug: from the installed plugins' services, and for a slug none of
    them has (a plugin since removed) from the district's requests, read only then."""
    from emitra.core.plugins import get_host

    names = {slug(s.provider): s.provider for s in get_host().registry if s.provider}
    if slugs - names.keys():
        for name in await ServiceRequest.filter(district_id=district_id).distinct().values_list("provider", flat=True):
            names.setdefault(slug(name), name)
    return {s: names[s] for s in slugs if s in names}


async def known_provider(text: str, district_id: int | None = None) -> str:
    """The slug of the department or partner ``text`` names, by its slug or as its services name it
    (``Swift Courier Pvt Ltd``); raise :class:`MoneyError` (field ``provider``) with the nearest
    names when no loaded service and no request of the district has it: a mistyped name would
    otherwise list an empty claim, ₹0.00, as if nothing were owed."""
    import difflib

    from emitra.core.plugins import get_host

    wanted = slug(text)
    names = {slug(s.provider): s.provider for s in get_host().registry if s.provider}
    if wanted not in names:
        requests = ServiceRequest.all() if district_id is None else ServiceRequest.filter(district_id=district_id)
        for name in await requests.distinct().values_list("provider", flat=True):
            names.setdefault(slug(name), name)
    if wanted and wanted in names:
        return wanted
    close = [s for s in sorted(names) if wanted and wanted in s] or difflib.get_close_matches(wanted, sorted(names), n=3)
    hint_en = f"did you mean {', '.join(repr(c) for c in close)} ({'; '.join(names[c] for c in close)})? " if close else ""
    hint_hi = f"क्या आपका आशय {', '.join(repr(c) for c in close)} था? " if close else ""
    raise MoneyError("provider",
                     f"No department or partner {text!r}; {hint_en}give its name as its services name it, or its slug "
                     "(`emitra plugins` lists the providers).",
                     f"{text!r} नाम का कोई विभाग या भागीदार नहीं है; {hint_hi}उसका नाम वैसा ही लिखें जैसा उसकी सेवाओं में है, "
                     "या उसका स्लग (`emitra plugins` सूची देता है)।")


async def provider_name(district_id: int, provider_slug: str) -> str:
    return (await provider_names(district_id, {provider_slug})).get(provider_slug, provider_slug)


def _check_period(start: dt.date, end: dt.date, today: dt.date | None) -> None:
    if start > end:
        raise MoneyError("from", f"The period starts ({start:%d-%m-%Y}) after it ends ({end:%d-%m-%Y}).",
                         f"अवधि समाप्त होने ({end:%d-%m-%Y}) के बाद शुरू ({start:%d-%m-%Y}) हो रही है।")
    today = today or clock.today()
    if end >= today:
        raise MoneyError("to", f"A period is settled once it has ended: the last day can be {today - dt.timedelta(days=1):%d-%m-%Y} at the latest.",
                         f"अवधि समाप्त होने के बाद ही निपटती है: अंतिम दिन अधिकतम {today - dt.timedelta(days=1):%d-%m-%Y} हो सकता है।")


async def _district(district_id: int) -> District:
    return await District.get(id=district_id)


async def _statement(kind: str, district_id: int, provider_slug: str, start: dt.date, end: dt.date) -> Statement:
    if kind == "remittance":
        accounts, skip, sign = [f"dept_payable:{provider_slug}"], "remit:", -1
    else:
        accounts, skip, sign = [f"dept_fee_receivable:{provider_slug}", f"partner_fee_receivable:{provider_slug}"], "claimpaid:", 1
    qs = Posting.filter(district_id=district_id, account__in=accounts, entry__created_at__gte=day_start(start),
                        entry__created_at__lt=day_end_at(end)).exclude(entry__idempotency_key__startswith=skip)
    rows = await qs.order_by("entry__created_at", "id").values(
        "amount_paise", "entry__idempotency_key", "entry__created_at", "entry__request__receipt_no",
        "entry__request__service_code", "entry__request__reference")
    district = await _district(district_id)
    st = Statement(kind, district.code, provider_slug, await provider_name(district_id, provider_slug), start, end)
    st.lines = [StatementLine(r["entry__request__receipt_no"] or "", r["entry__created_at"], r["entry__request__service_code"] or "",
                              r["entry__request__reference"] or "", _kind(r["entry__idempotency_key"]), sign * int(r["amount_paise"]))
                for r in rows]
    st.total_paise = sum(line.amount_paise for line in st.lines)  # the lines just read (each already signed)
    return st


async def _posted(kind: str, district: District, provider_slug: str) -> list[LedgerEntry]:
    prefix = ("remit:" if kind == "remittance" else "claimpaid:") + f"{district.code}:"
    accounts = [f"dept_payable:{provider_slug}"] if kind == "remittance" else [
        f"dept_fee_receivable:{provider_slug}", f"partner_fee_receivable:{provider_slug}"]
    return await LedgerEntry.filter(district_id=district.id, idempotency_key__startswith=prefix,
                                    postings__account__in=accounts).distinct().order_by("id")


def _period_of(key: str) -> tuple[dt.date, dt.date]:
    parts = key.split(":")
    return dt.date.fromisoformat(parts[2]), dt.date.fromisoformat(parts[3])


async def _overlap(kind: str, district: District, provider_slug: str, start: dt.date, end: dt.date) -> LedgerEntry | None:
    """The entry already posted for exactly this period (returned), or an error for an overlapping one."""
    for entry in await _posted(kind, district, provider_slug):
        s, e = _period_of(entry.idempotency_key)
        if (s, e) == (start, end):
            return entry
        if not (e < start or s > end):
            what = "remitted" if kind == "remittance" else "claimed and paid"
            raise MoneyError("from", f"{s:%d-%m-%Y} to {e:%d-%m-%Y} was already {what}; choose a period that does not overlap it.",
                             f"{s:%d-%m-%Y} से {e:%d-%m-%Y} पहले ही निपट चुका है; ऐसी अवधि चुनें जो इससे न टकराए।")
    return None


async def remittance_statement(district_id: int, provider_slug: str, start: dt.date, end: dt.date) -> Statement:
    """What the counters collected for ``provider_slug`` in the period (refunds netted), receipt by receipt."""
    st = await _statement("remittance", district_id, provider_slug, start, end)
    entry = await LedgerEntry.get_or_none(idempotency_key=f"remit:{st.district_code}:{start}:{end}:{_key_slug(provider_slug)}")
    if entry is not None:
        st.key, st.posted = entry.idempotency_key, True
    return st


async def remit(actor: audit.Actor, provider_slug: str, period_start: dt.date, period_end: dt.date,
                district_id: int | None = None, today: dt.date | None = None) -> Statement:
    """Pay the department its principal for the period (Dr dept_payable / Cr society_bank), once."""
    district_id = _society_admin(actor, district_id)
    if district_id is None:
        raise MoneyError("district", "Name the district.", "जिला बताएँ।")
    _check_period(period_start, period_end, today)
    district = await _district(district_id)
    async with in_transaction():
        same = await _overlap("remittance", district, provider_slug, period_start, period_end)
        st = await remittance_statement(district_id, provider_slug, period_start, period_end)
        if same is not None:
            st.repeated = True
            return st
        if st.total_paise == 0:
            raise MoneyError("provider", f"Nothing was collected for {st.provider} from {period_start:%d-%m-%Y} to {period_end:%d-%m-%Y}.",
                             f"{period_start:%d-%m-%Y} से {period_end:%d-%m-%Y} तक {_provider_hi(st.provider)} के लिए कुछ वसूल नहीं हुआ।")
        st.key = f"remit:{district.code}:{period_start}:{period_end}:{_key_slug(provider_slug)}"
        await ledger.post(district_id, st.key, f"remittance to {st.provider} {period_start} to {period_end}: {len(st.lines)} lines",
                          [ledger.debit(f"dept_payable:{provider_slug}", st.total_paise), ledger.credit("society_bank", st.total_paise)])
        await audit.record(actor, "remittance.posted", None, district_id=district_id,
                           detail={"provider": provider_slug, "from": period_start.isoformat(), "to": period_end.isoformat(),
                                   "lines": len(st.lines), "total_paise": st.total_paise, "key": st.key})
        st.posted = True
    return st


def _claim_key(district_code: str, start: dt.date, end: dt.date, provider_slug: str, reference: str | None = None) -> str:
    """The key of a claim's payment: the claim's, and the payment's bank reference as 12 hex digits of
    its SHA-256 (at most 98 characters: a slug of at most 50, a district code of 2)."""
    base = f"claimpaid:{district_code}:{start}:{end}:{_key_slug(provider_slug)}"
    return base if reference is None else f"{base}:{hashlib.sha256(reference.encode()).hexdigest()[:12]}"


def _memo_reference(memo: str) -> str:
    return memo.rsplit("bank ref ", 1)[-1] if "bank ref " in memo else ""


async def _claim_payments(district: District, provider_slug: str, start: dt.date, end: dt.date) -> list[ClaimPayment]:
    """The payments recorded against the claim, in order: the entries keyed by the claim's key (one
    recorded before payments in part were possible) or by it and a reference."""
    base = _claim_key(district.code, start, end, provider_slug)
    where, params = await ledger.key_prefix('e."idempotency_key"', base)
    rows = await ledger.rows(
        'SELECT e."idempotency_key" AS k, e."memo" AS memo, e."created_at" AS at, p."account" AS account, p."amount_paise" AS amount '
        f'FROM "ledger_entry" e CROSS JOIN "posting" p WHERE p."entry_id" = e."id" AND {where} AND e."district_id" = ? ORDER BY e."id", p."id"',
        params + [district.id])
    out: dict[str, ClaimPayment] = {}
    for r in rows:
        key = r["k"]
        if key != base and not key.startswith(base + ":"):
            continue  # another provider whose slug starts with this one's
        item = out.setdefault(key, ClaimPayment(key, ledger.as_datetime(r["at"]), 0, _memo_reference(r["memo"])))
        if r["account"] == "society_bank":
            item.amount_paise += int(r["amount"])
        elif r["account"].startswith(("dept_fee_receivable:", "partner_fee_receivable:")):
            item.by_account[r["account"]] = item.by_account.get(r["account"], 0) - int(r["amount"])
    return list(out.values())


async def claim_statement(district_id: int, provider_slug: str, start: dt.date, end: dt.date) -> Statement:
    """The service charges (paid by the department or partner) behind a claim for the period, and the
    payments recorded against it."""
    st = await _statement("claim", district_id, provider_slug, start, end)
    st.payments = await _claim_payments(await _district(district_id), provider_slug, start, end)
    if st.payments:
        st.key, st.posted = st.payments[-1].key, True
        st.paid_paise = sum(p.amount_paise for p in st.payments)
        st.bank_reference = ", ".join(p.reference for p in st.payments)
    return st


async def claim(actor: audit.Actor, provider_slug: str, period_start: dt.date, period_end: dt.date,
                district_id: int | None = None) -> Statement:
    """List the department- or partner-paid service charges behind a claim. Posts nothing."""
    district_id = _society_admin(actor, district_id)
    if district_id is None:
        raise MoneyError("district", "Name the district.", "जिला बताएँ।")
    if period_start > period_end:
        raise MoneyError("from", "The period starts after it ends.", "अवधि समाप्त होने के बाद शुरू हो रही है।")
    return await claim_statement(district_id, provider_slug, period_start, period_end)


async def record_claim_payment(actor: audit.Actor, provider_slug: str, period_start: dt.date, period_end: dt.date,
                               amount_paise: int, bank_reference: str, district_id: int | None = None,
                               today: dt.date | None = None) -> Statement:
    """A payment by the department against the claim: Dr society_bank / Cr its fee receivable.

    A claim may be paid in parts, each with its own bank reference, until it is paid in full: a
    payment of less than what is still owed leaves the rest receivable (the claim is *paid in
    part*); more than is still owed is refused. The same reference again with the same amount
    posts nothing (``repeated``); with another amount it is refused. Each payment is split between
    the claim's receivable accounts in proportion to what each still has owed on the claim, so the
    last payment clears each exactly. The reference is one whatever its capitals and spaces
    (:func:`money.bank_reference`): a payment recorded before references were put in that form is
    recognised by the reference its entry's memo names."""
    from emitra.core.dayend import check_paise

    district_id = _society_admin(actor, district_id)
    if district_id is None:
        raise MoneyError("district", "Name the district.", "जिला बताएँ।")
    amount = check_paise(amount_paise, "amount", allow_zero=False)
    reference = normal_reference(bank_reference)
    if not reference or len(reference) > 100:
        raise MoneyError("bank_reference", "Give the bank's reference for the department's payment (1 to 100 characters).",
                         "विभाग के भुगतान का बैंक संदर्भ दें (1 से 100 अक्षर)।")
    _check_period(period_start, period_end, today)
    district = await _district(district_id)
    async with in_transaction():
        if on_postgres():  # one payment of the district's claims at a time: two at once could together pay more than is owed
            await District.select_for_update().get(id=district_id)
        await _overlap("claim", district, provider_slug, period_start, period_end)  # (an overlapping period is refused)
        st = await claim_statement(district_id, provider_slug, period_start, period_end)
        key = _claim_key(district.code, period_start, period_end, provider_slug, reference)
        same = next((p for p in st.payments if p.key == key or normal_reference(p.reference) == reference), None)
        if same is not None:
            if same.amount_paise != amount:
                raise MoneyError("bank_reference",
                                 f"A payment of {format_paise(same.amount_paise)} with bank reference {reference} is already recorded on this claim; "
                                 "another payment has its own bank reference.",
                                 f"बैंक संदर्भ {reference} से {format_paise(same.amount_paise)} का भुगतान इस दावे पर पहले ही दर्ज है; "
                                 "दूसरे भुगतान का अपना बैंक संदर्भ होता है।")
            st.repeated = True
            return st
        if st.total_paise <= 0:
            raise MoneyError("provider", f"{st.provider} owes no service charges for {period_start:%d-%m-%Y} to {period_end:%d-%m-%Y}.",
                             f"{period_start:%d-%m-%Y} से {period_end:%d-%m-%Y} के लिए {_provider_hi(st.provider)} पर कोई सेवा शुल्क बकाया नहीं है।")
        paid = st.paid_paise or 0
        if st.owed_paise <= 0:
            raise MoneyError("amount", f"This claim is paid in full ({format_paise(paid)} of {format_paise(st.total_paise)}, bank reference "
                                       f"{st.bank_reference}): nothing more is owed on it.",
                             f"यह दावा पूरा चुकाया जा चुका है ({format_paise(st.total_paise)} में से {format_paise(paid)}, बैंक संदर्भ "
                             f"{st.bank_reference}): इस पर अब कुछ बकाया नहीं है।")
        if amount > st.owed_paise:
            already = f" ({format_paise(paid)} paid already)" if paid else ""
            already_hi = f" ({format_paise(paid)} पहले ही चुकाया गया)" if paid else ""
            raise MoneyError("amount", f"{format_paise(amount)} is more than the {format_paise(st.owed_paise)} still owed on this claim of "
                                       f"{format_paise(st.total_paise)}{already}; record at most {format_paise(st.owed_paise)}.",
                             f"{format_paise(amount)} इस {format_paise(st.total_paise)} के दावे पर बकाया {format_paise(st.owed_paise)} से "
                             f"अधिक है{already_hi}; अधिकतम {format_paise(st.owed_paise)} दर्ज करें।")
        by_account: dict[str, int] = {}
        for p in await Posting.filter(district_id=district_id, account__in=[f"dept_fee_receivable:{provider_slug}", f"partner_fee_receivable:{provider_slug}"],
                                      entry__created_at__gte=day_start(period_start), entry__created_at__lt=day_end_at(period_end)
                                      ).exclude(entry__idempotency_key__startswith="claimpaid:").annotate(total=Sum("amount_paise")
                                      ).group_by("account").values("account", "total"):
            if int(p["total"] or 0) > 0:
                by_account[p["account"]] = int(p["total"])
        for payment in st.payments:  # what each account still has owed on the claim
            for account, cleared in payment.by_account.items():
                if account in by_account:
                    by_account[account] -= cleared
        accounts = sorted(a for a, left in by_account.items() if left > 0)
        parts = split(amount, [by_account[a] for a in accounts])
        st.key = key
        await ledger.post(district_id, key, f"service charges paid by {st.provider} {period_start} to {period_end} bank ref {reference}"[-300:],
                          [ledger.debit("society_bank", amount)] + [ledger.credit(a, p) for a, p in zip(accounts, parts)])
        st.payments.append(ClaimPayment(key, utcnow(), amount, reference, dict(zip(accounts, parts))))
        st.posted, st.paid_paise = True, paid + amount
        st.bank_reference = ", ".join(p.reference for p in st.payments)
        await audit.record(actor, "claim.paid", None, district_id=district_id,
                           detail={"provider": provider_slug, "from": period_start.isoformat(), "to": period_end.isoformat(),
                                   "claimed_paise": st.total_paise, "paid_paise": amount, "paid_in_all_paise": st.paid_paise,
                                   "owed_paise": st.owed_paise, "bank_reference": reference, "key": key})
    return st


async def posted_statements(kind: str, district_id: int) -> list[dict[str, Any]]:
    """Remittances (or claims' payments, each payment of a claim paid in parts apart) already posted
    in the district, newest first."""
    prefix = "remit:" if kind == "remittance" else "claimpaid:"
    account_prefix = "dept_payable:" if kind == "remittance" else ("dept_fee_receivable:", "partner_fee_receivable:")
    # the entries by their keys' index (not every posting of the district joined to its entry), then their postings
    where, params = await ledger.key_prefix('e."idempotency_key"', prefix)
    rows = await ledger.rows(
        'SELECT p."account" AS account, p."amount_paise" AS amount_paise, e."idempotency_key" AS k, e."created_at" AS at, e."memo" AS memo '
        f'FROM "ledger_entry" e CROSS JOIN "posting" p WHERE p."entry_id" = e."id" AND {where} AND e."district_id" = ? '
        'ORDER BY e."id" DESC, p."id"', params + [district_id])
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if not r["account"].startswith(account_prefix):
            continue
        key = r["k"]
        s, e = _period_of(key)
        item = out.setdefault(key, {"key": key, "provider_slug": r["account"].split(":", 1)[1], "from": s, "to": e,
                                    "at": ledger.as_datetime(r["at"]), "memo": r["memo"], "total_paise": 0,
                                    "reference": _memo_reference(r["memo"]) if kind == "claim" else ""})
        item["total_paise"] += abs(int(r["amount_paise"])) if kind == "claim" else int(r["amount_paise"])
    return list(out.values())


async def providers(district_id: int) -> list[dict[str, Any]]:
    """Each department or partner with money in the district's books: principal owed (dept_payable)
    and service charges it owes (its fee receivable), both as positive paise."""
    from emitra.core import reconcile

    found = await reconcile.balances(district_id, ("dept_payable:", "dept_fee_receivable:", "partner_fee_receivable:"))
    names = await provider_names(district_id, {a.split(":", 1)[1] for a in found})
    out: dict[str, dict[str, Any]] = {}
    for account, total in found.items():
        kind, provider_slug = account.split(":", 1)
        item = out.setdefault(provider_slug, {"slug": provider_slug, "name": names.get(provider_slug, provider_slug), "payable_paise": 0, "receivable_paise": 0})
        if kind == "dept_payable":
            item["payable_paise"] -= total
        else:
            item["receivable_paise"] += total
    return sorted(out.values(), key=lambda i: i["name"].lower())


# --- the LSP's statement --------------------------------------------------------------------------

_REQUEST_JOIN = ' LEFT JOIN "service_request" r ON r."id" = e."request_id"'


async def lsp_statement(lsp_id: int, start: dt.date, end: dt.date) -> dict[str, Any]:
    """What an LSP (and its kiosk owners) earned by counter in a period, what was paid to them, what is
    still owed, and its counters' wallets. Aggregated in SQL.

    The period's postings to the LSP's accounts are read from those accounts' postings
    (posting(account, entry_id), within the ids of the period's entries), each then checked for
    its entry's date and key, in one pass for what was earned and one for what was paid: asked as
    a filter on the period's entries, SQLite read every entry of the period and looked up each of
    the LSP's accounts for it (17 s for a month of 1M transactions; 2.7 s now). What is owed and
    the wallets are the balances carried from the last recorded reconciliation (decision 40)."""
    from emitra.core import reconcile

    counters = await Counter.filter(lsp_id=lsp_id).order_by("code")
    by_id = {c.id: c for c in counters}
    accounts = [f"lsp_fee_payable:{lsp_id}", f"lsp_sales:{lsp_id}"] + [f"owner_fee_payable:{c.code}" for c in counters]
    # closed counters' wallets owed back to the LSP (decision 70): owed, never earned in a period
    refund = f"wallet_refund_payable:{lsp_id}"
    lo, hi = day_start(start), day_end_at(end)
    bounds = (await ledger.rows('SELECT MIN("id") AS lo, MAX("id") AS hi FROM "ledger_entry" WHERE "created_at" >= ? AND "created_at" < ?',
                                [lo, hi]))[0]
    earned: dict[int, dict[str, int]] = {c.id: {"citizen": 0, "department": 0, "sales": 0, "owner": 0, "total": 0} for c in counters}
    paid = {"dayend": 0, "settle": 0}
    paid_by_account: dict[str, int] = {}
    payouts: list[dict[str, Any]] = []
    if bounds["lo"] is not None:
        window = (f'FROM "posting" p CROSS JOIN "ledger_entry" e{{}} WHERE p."account" IN ({", ".join("?" for _ in accounts)}) '
                  'AND p."entry_id" >= ? AND p."entry_id" <= ? AND e."id" = p."entry_id" AND e."created_at" >= ? AND e."created_at" < ?')
        params = [*accounts, int(bounds["lo"]), int(bounds["hi"]), lo, hi]
        for r in await index_rows(
                'SELECT r."counter_id" AS counter_id, r."charge_payer" AS charge_payer, p."account" AS account, '
                f'SUM(p."amount_paise") AS total {window.format(_REQUEST_JOIN)} AND (substr(e."idempotency_key", 1, 8) = \'request:\' '
                'OR substr(e."idempotency_key", 1, 16) = \'reverse:request:\') GROUP BY r."counter_id", r."charge_payer", p."account"', params):
            row = earned.setdefault(r["counter_id"], {"citizen": 0, "department": 0, "sales": 0, "owner": 0, "total": 0})
            paise = -int(r["total"] or 0)
            if r["account"].startswith("owner_fee_payable:"):
                row["owner"] += paise
            elif r["account"].startswith("lsp_sales:"):
                row["sales"] += paise
            elif r["charge_payer"] == "citizen":
                row["citizen"] += paise
            else:
                row["department"] += paise
            row["total"] += paise
        for r in await index_rows(
                'SELECT substr(e."idempotency_key", 1, 6) AS kind, p."account" AS account, SUM(p."amount_paise") AS total '
                f'{window.format("")} AND (substr(e."idempotency_key", 1, 7) = \'dayend:\' OR substr(e."idempotency_key", 1, 7) = \'settle:\') '
                'GROUP BY substr(e."idempotency_key", 1, 6), p."account"', params):
            paid[r["kind"]] += int(r["total"] or 0)
            paid_by_account[r["account"]] = paid_by_account.get(r["account"], 0) + int(r["total"] or 0)
        # the period's payouts to this LSP (decision 68), each with the number of payments it covered
        for r in await index_rows(
                'SELECT e."idempotency_key" AS key, e."created_at" AS at, SUM(p."amount_paise") AS total, '
                '(SELECT COUNT(*) FROM "settlement_item" i WHERE i."entry_id" = e."id") AS n '
                f'{window.format("")} AND substr(e."idempotency_key", 1, 7) = \'settle:\' '
                'AND EXISTS (SELECT 1 FROM "settlement_item" x WHERE x."entry_id" = e."id") '
                'GROUP BY e."id", e."idempotency_key", e."created_at" ORDER BY e."id"', params):
            payouts.append({"reference": r["key"].removeprefix("settle:"), "at": ledger.as_datetime(r["at"]),
                            "payments": int(r["n"]), "amount_paise": int(r["total"] or 0)})
    district_id = counters[0].district_id if counters else None
    found = await reconcile.balances(district_id, ("lsp_fee_payable:", "lsp_sales:", "owner_fee_payable:", "kiosk_wallet:",
                                                   "wallet_refund_payable:")) if district_id is not None else {}
    balances = {a: -found.get(a, 0) for a in [*accounts, refund]}
    wallets = {w.counter_id: w.balance_paise for w in await Wallet.filter(counter_id__in=list(by_id))}
    return {
        "counters": counters,
        "earned": [(by_id[cid], row) for cid, row in earned.items() if cid in by_id],
        "earned_total": sum(row["total"] for row in earned.values()),
        # each column's total, for the statement's Total row (it showed the grand total alone)
        "earned_columns": {k: sum(row[k] for row in earned.values()) for k in ("citizen", "department", "sales", "owner", "total")},
        "kept_at_day_end_paise": paid["dayend"],
        "settled_from_escrow_paise": paid["settle"],
        "payouts": payouts,
        "paid_by_account": paid_by_account,
        "owed": balances,
        "owed_total": sum(balances.values()),
        "wallets": [(c, wallets.get(c.id), -found.get(f"kiosk_wallet:{c.code}", 0)) for c in counters],
    }

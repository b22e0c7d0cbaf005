"""Double-entry postings in integer paise. Entries are balanced, immutable and idempotent.

A line's amount is positive for a debit and negative for a credit; the lines of an entry sum to
zero. Posting the same idempotency key again with the same lines returns the entry already
posted; with different lines it is an error. Accounts are named ``kind:party`` (see
docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Sum

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


async def post(district_id: int, key: str, memo: str, lines: list[Line], request_id: int | None = None) -> LedgerEntry:
    """Post one balanced entry. Call inside the transaction that records what it pays for."""
    lines = _normalise(lines)
    existing = await LedgerEntry.get_or_none(idempotency_key=key)
    if existing is not None:
        posted = await Posting.filter(entry=existing).order_by("account", "amount_paise").values_list("account", "amount_paise")
        if [tuple(p) for p in posted] != [(l.account, l.amount_paise) for l in lines]:
            raise LedgerError(f"idempotency key {key!r} was already used for a different entry")
        return existing
    entry = await LedgerEntry.create(district_id=district_id, idempotency_key=key, memo=memo[:300], request_id=request_id)
    await Posting.bulk_create(
        [Posting(entry=entry, district_id=district_id, account=l.account, amount_paise=l.amount_paise) for l in lines]
    )
    return entry


async def balance(account: str) -> int:
    """Debits minus credits on ``account``, recomputed from the postings."""
    row = await Posting.filter(account=account).annotate(total=Sum("amount_paise")).first().values("total")
    return int(row["total"] or 0) if row else 0


async def trial_balance() -> int:
    """Sum of every posting: zero when the books balance."""
    row = await Posting.all().annotate(total=Sum("amount_paise")).first().values("total")
    return int(row["total"] or 0) if row else 0


async def reverse(entry: LedgerEntry, memo: str, key: str | None = None) -> LedgerEntry:
    """Post the mirror of ``entry`` (every line negated): the only way a posted entry is corrected.

    Idempotent: reversing the same entry twice posts once (key ``reverse:<original key>``).
    """
    lines = [Line(p.account, -p.amount_paise) for p in await Posting.filter(entry=entry)]
    return await post(entry.district_id, key or f"reverse:{entry.idempotency_key}", memo, lines, entry.request_id)


async def check() -> dict[str, object]:
    """Verify the books: every entry balanced and non-empty, the whole ledger summing to zero,
    every account named ``kind:party`` or a known single account. Balances are never stored, so
    they always equal what the postings say."""
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
        'SELECT DISTINCT "account" FROM "posting" WHERE "account" NOT LIKE \'%:%\' AND "account" NOT IN (\'society_bank\', \'society_fee_income\', \'processor_fees\', \'escrow\')')
    from emitra.core.models import Wallet

    problems = [f"entry {r['key']} does not balance: {int(r['diff'])} paise" for r in unbalanced]
    for wallet in await Wallet.all().prefetch_related("counter"):
        in_books = -await balance(f"kiosk_wallet:{wallet.counter.code}")
        if in_books != wallet.balance_paise:
            problems.append(f"wallet of {wallet.counter.code} holds {wallet.balance_paise} paise but the ledger says {in_books}")
    problems += [f"entry {r['key']} has no postings" for r in empty]
    problems += [f"account {r['account']!r} is not named kind:party" for r in bad_accounts]
    return {
        "balanced": total == 0 and not problems,
        "entries": entries,
        "postings": postings,
        "imbalance_paise": total,
        "problems": problems,
    }

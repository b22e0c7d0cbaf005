"""What a ledger entry moves of the accounts the weekly reconciliation reads, kept on the entry as it
is written (decision 164).

A week's run needs, of each entry of its window, what the entry moves to or from the Society's bank
accounts (:data:`BANK_ACCOUNTS` together), escrow:card and processor_fees, and which of
:data:`TOUCHED` it touches at all. It added them up from the postings, grouping a week's half a
million postings by entry, twice (the bank's side and Stripe's); the ledger is append-only and an
entry's postings are written with it, in one transaction, so those four figures are known when the
entry is written and never change. :mod:`core.ledger` writes them on the entry's row
(``ledger_entry.bank_paise``, ``card_paise``, ``fee_paise``, ``touches``), and the run reads the
window's entries alone.

An entry written before migration 0040, or by anything that inserts rows without
:mod:`core.ledger`, has them NULL: the run adds its postings up as before (:data:`SQL`).
``emitra ledger check`` holds every entry's figures to its postings (:func:`mismatches`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: the accounts whose movements are money in or out of the Society's bank account: UPI is paid to
#: the Society's own VPA, so escrow:upi is UPI money in that account not yet settled onwards
BANK_ACCOUNTS = ("society_bank", "escrow:upi")
CARD, FEES = "escrow:card", "processor_fees"
IN_TRANSIT = "deposit_in_transit:"  # a day end's deposit in transit (any counter's: by the prefix)

#: the accounts an entry's ``touches`` records, bit i for the i-th (the last by its prefix)
TOUCHED = ("society_bank", "escrow:upi", CARD, FEES, IN_TRANSIT)
BIT = {name: 1 << i for i, name in enumerate(TOUCHED)}

#: the columns, in the order :func:`of` gives their values
COLUMNS = ("bank_paise", "card_paise", "fee_paise", "touches")


def of(lines: Iterable[tuple[str, int]]) -> tuple[int, int, int, int]:
    """(bank, card, fee, touches) of an entry's postings, given as (account, amount) pairs: the sum
    moved to or from the bank accounts, escrow:card and processor_fees, and the bits of
    :data:`TOUCHED` it touches (a posting of any amount, zero too, touches its account)."""
    bank = card = fee = bits = 0
    for account, amount in lines:
        if account in BANK_ACCOUNTS:
            bank += amount
            bits |= BIT[account]
        elif account == CARD:
            card += amount
            bits |= BIT[CARD]
        elif account == FEES:
            fee += amount
            bits |= BIT[FEES]
        elif account.startswith(IN_TRANSIT):
            bits |= BIT[IN_TRANSIT]
    return bank, card, fee, bits


def _touch(name: str, p: str) -> str:
    if name == IN_TRANSIT:
        return f"substr({p}.\"account\", 1, {len(IN_TRANSIT)}) = '{IN_TRANSIT}'"
    return f"{p}.\"account\" = '{name}'"


def sql(p: str = "p") -> dict[str, str]:
    """The same four figures as SQL aggregates over the postings ``p`` of an entry (grouped by it):
    what an entry without stored figures is read by, and what ``ledger check`` compares them with."""
    bank = f'CASE WHEN {p}."account" IN ({", ".join(repr(a) for a in BANK_ACCOUNTS)}) THEN {p}."amount_paise" ELSE 0 END'
    return {
        "bank_paise": f"SUM({bank})",
        "card_paise": f"SUM(CASE WHEN {p}.\"account\" = '{CARD}' THEN {p}.\"amount_paise\" ELSE 0 END)",
        "fee_paise": f"SUM(CASE WHEN {p}.\"account\" = '{FEES}' THEN {p}.\"amount_paise\" ELSE 0 END)",
        "touches": " + ".join(f"MAX(CASE WHEN {_touch(name, p)} THEN {BIT[name]} ELSE 0 END)" for name in TOUCHED),
    }


def touching(p: str = "p") -> str:
    """A posting of one of :data:`TOUCHED`'s accounts (the others change none of the figures)."""
    return "(" + " OR ".join(_touch(name, p) for name in TOUCHED) + ")"


def postings_sql() -> str:
    """Every entry with the figures its postings give (an entry of no posting of :data:`TOUCHED`'s
    accounts has them all zero: a LEFT JOIN of the postings that touch them)."""
    computed = sql()
    return ('SELECT e."id" AS id, ' + ", ".join(f"COALESCE({computed[c]}, 0) AS {c}" for c in COLUMNS)
            + f' FROM "ledger_entry" e LEFT JOIN "posting" p ON p."entry_id" = e."id" AND {touching()} GROUP BY e."id"')


def differs(stored: str, x: str) -> str:
    return " OR ".join(f'{stored}."{c}" <> {x}.{c}' for c in COLUMNS)


async def mismatches(limit: int = 20) -> list[dict[str, Any]]:
    """Entries whose stored figures are not their postings' (a posting added, edited or deleted
    behind its entry by hand), in id order: each with its key and both sets of figures, at most
    ``limit``."""
    from emitra.core import ledger

    rows = await ledger.rows(
        'SELECT e."id" AS id, e."idempotency_key" AS k, ' + ", ".join(f'e."{c}" AS s_{c}, x.{c} AS p_{c}' for c in COLUMNS)
        + f' FROM "ledger_entry" e JOIN ({postings_sql()}) x ON x.id = e."id" WHERE e."touches" IS NOT NULL AND ({differs("e", "x")})'
        f' ORDER BY e."id" LIMIT {int(limit)}', [])
    return [{"id": int(r["id"]), "key": r["k"], "stored": tuple(int(r[f"s_{c}"]) for c in COLUMNS),
             "postings": tuple(int(r[f"p_{c}"]) for c in COLUMNS)} for r in rows]


async def mismatch_count() -> int:
    """How many entries :func:`mismatches` would list, whatever their number (one COUNT)."""
    from emitra.core import ledger

    rows = await ledger.rows(
        f'SELECT COUNT(*) AS n FROM "ledger_entry" e JOIN ({postings_sql()}) x ON x.id = e."id" '
        f'WHERE e."touches" IS NOT NULL AND ({differs("e", "x")})', [])
    return int(rows[0]["n"])


def _said(figures: tuple[int, ...]) -> str:
    bank, card, fee, touches = figures
    names = "+".join(name.rstrip(":") for name in TOUCHED if touches & BIT[name]) or "none"
    return f"bank {bank}, escrow:card {card}, processor_fees {fee} paise, touching {names}"


async def problems(limit: int = 20) -> list[str]:
    """``emitra ledger check``'s lines for entries whose stored figures differ from their postings,
    each with the fix (at most ``limit``, and a line saying there are more)."""
    found = await mismatches(limit + 1)
    out = [f"entry {m['key']}: the figures kept on it ({_said(m['stored'])}) are not its postings' ({_said(m['postings'])}): "
           "a posting was changed behind it; find out how, then run `emitra ledger rebuild-entry-figures` (decision 164)"
           for m in found[:limit]]
    if len(found) > limit:
        out.append(f"more entries' figures differ from their postings than the {limit} above: `emitra ledger rebuild-entry-figures` "
                   "writes every one again")
    return out


async def rebuild() -> int:
    """Write the figures of every entry that has none (written before migration 0040) or whose
    figures differ from its postings, from the postings; how many entries. Call inside a
    transaction. (An update of an entry a recorded week covers moves the books' rewrite count,
    decision 159: the next weekly run then reads the history once, and records a new checkpoint.)"""
    from tortoise import connections

    conn = connections.get("default")
    sets = ", ".join(f'"{c}" = x.{c}' for c in COLUMNS)
    count, _ = await conn.execute_query(
        f'UPDATE "ledger_entry" SET {sets} FROM ({postings_sql()}) x WHERE x.id = "ledger_entry"."id" '
        f'AND ("ledger_entry"."touches" IS NULL OR {differs(chr(34) + "ledger_entry" + chr(34), "x")})')
    return int(count or 0)

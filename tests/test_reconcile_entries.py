"""The week's run finds the entries that moved the bank's and Stripe's accounts by runs of entry
ids and the posting(account, entry_id) index (core/reconcile._entries_touching, decision 38). It
must find exactly what a plain question over every entry finds, however the ids and the dates of
the entries are interleaved: back-dated entries (a Stripe fee posted at import, dated when Stripe
charged it), entries of the window far apart in id, entries of another district, entries after
the run's last id, and entries that move none of the accounts."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from emitra.core import drawer_totals, ledger
from emitra.core import reconcile as rec
from emitra.core.models import District, LedgerEntry, Posting

pytestmark = pytest.mark.anyio

ACCOUNTS = ["society_bank", "escrow:upi", "escrow:card"]
KEPT = [*ACCOUNTS, "processor_fees"]
PREFIXES = ("deposit_in_transit:",)
OTHER = ["cash:JP-T-1", "lsp_fee_payable:L1", "dept_payable:X", "deposit_in_transit:JP-T-1", "processor_fees", "counter_cash:JP-T-1"]
LO = dt.datetime(2026, 3, 2, 18, 30, tzinfo=dt.timezone.utc)
HI = LO + dt.timedelta(days=7)


async def _books(rng: random.Random, n: int) -> None:
    """``n`` balanced entries in two districts, dated around the window in a random order (so
    that ids and dates are interleaved), a few of them redated later (back-dated)."""
    districts = [d.id for d in await District.all()]
    if len(districts) < 2:
        districts.append((await District.create(code="ZZ", name_en="Test district", name_hi="परीक्षण जिला")).id)
    for i in range(n):
        accounts = rng.sample(ACCOUNTS + OTHER, rng.choice([2, 2, 3, 4]))
        amount = rng.randrange(100, 10_000)
        lines = [ledger.debit(accounts[0], amount)] + [ledger.credit(a, 0) for a in accounts[1:-1]] + [ledger.credit(accounts[-1], amount)]
        if len(accounts) > 2:  # a third leg: part of the amount through it
            part = rng.randrange(1, amount)
            lines = [ledger.debit(accounts[0], amount), ledger.credit(accounts[1], part), ledger.credit(accounts[-1], amount - part)]
        entry = await ledger.post(rng.choice(districts), f"test:{i}", f"entry {i} memo", lines)
        at = LO + dt.timedelta(minutes=rng.randrange(-3 * 24 * 60, 10 * 24 * 60))
        await drawer_totals.redate(LedgerEntry.filter(id=entry.id), at)


async def _plain(district_id: int, lo: dt.datetime, hi: dt.datetime, max_id: int) -> dict[int, tuple]:
    """The same question asked plainly: every entry of the window, its postings read and added up
    in Python; those moving money to or from the bank or escrow:card, or touching escrow:card."""
    out = {}
    for e in await LedgerEntry.filter(district_id=district_id, created_at__gte=lo, created_at__lt=hi, id__lte=max_id):
        postings = await Posting.filter(entry_id=e.id).values_list("account", "amount_paise")
        if not any(a in ACCOUNTS for a, _ in postings):
            continue
        bank = sum(p for a, p in postings if a in ("society_bank", "escrow:upi"))
        escrow = sum(p for a, p in postings if a == "escrow:card")
        fee = sum(p for a, p in postings if a == "processor_fees")
        accounts = frozenset(a if not a.startswith(PREFIXES) else PREFIXES[0] for a, _ in postings if a in KEPT or a.startswith(PREFIXES))
        if bank or escrow or "escrow:card" in accounts:
            out[e.id] = (e.idempotency_key, bank, escrow, fee, accounts)
    return out


async def _found(district_id: int, lo: dt.datetime, hi: dt.datetime, max_id: int) -> dict[int, tuple]:
    out = {}
    async for entries in rec._entries_touching(district_id, ACCOUNTS, lo, hi, max_id):
        for e in entries:
            assert e.id not in out, f"entry {e.id} given twice"
            assert lo <= e.created_at < hi
            out[e.id] = (e.idempotency_key, e.bank, e.escrow, e.fee, e.accounts)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_entries_of_a_window_found_by_id_runs_are_those_of_a_plain_query(demo_db, monkeypatch, seed):
    rng = random.Random(seed)
    # small spans and gaps, so that a few hundred entries make many runs, merged runs and spans
    monkeypatch.setattr(rec, "ID_SPAN", rng.choice([3, 7, 50]))
    monkeypatch.setattr(rec, "ID_GAP", rng.choice([0, 2, 9]))
    await _books(rng, 300)
    last = (await LedgerEntry.all().order_by("-id").first()).id
    for district in await District.all():
        for lo, hi, max_id in [(LO, HI, last), (LO - dt.timedelta(days=2), HI + dt.timedelta(days=2), last),
                               (LO, HI, last - 40), (HI, HI + dt.timedelta(days=1), last), (LO - dt.timedelta(days=30), LO - dt.timedelta(days=20), last)]:
            plain = await _plain(district.id, lo, hi, max_id)
            assert await _found(district.id, lo, hi, max_id) == plain
    # the window holds entries of both districts, some moving the bank, some redated into it
    assert await _plain((await District.get(code="JP")).id, LO, HI, last)


async def test_id_runs_are_the_window_entries_runs(demo_db, monkeypatch):
    """The runs cover every id of the window and start and end on one; runs closer than ID_GAP are one."""
    rng = random.Random(5)
    await _books(rng, 120)
    last = (await LedgerEntry.all().order_by("-id").first()).id
    ids = sorted(await LedgerEntry.filter(created_at__gte=LO, created_at__lt=HI).values_list("id", flat=True))
    monkeypatch.setattr(rec, "ID_GAP", 0)
    runs = await rec._id_runs(LO, HI, last)
    assert [i for a, b in runs for i in range(a, b + 1)] == ids  # exact runs of consecutive ids
    monkeypatch.setattr(rec, "ID_GAP", 10**9)
    assert await rec._id_runs(LO, HI, last) == [(ids[0], ids[-1])]

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
    async for entries, refs in rec._entries_touching(district_id, ACCOUNTS, lo, hi, max_id):
        assert refs == {}  # (none asked for)
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


@pytest.mark.parametrize("block, holed", [(2048, 64), (4, 64), (16, 0), (1, 10**6)])
async def test_id_runs_are_the_window_entries_runs(demo_db, monkeypatch, block, holed):
    """The runs cover every id of the window and start and end on one; runs closer than ID_GAP are
    one: found by blocks of ids (those with gaps read id by id), or by numbering the window's ids
    when too many blocks have gaps (``holed`` 0: always)."""
    monkeypatch.setattr(rec, "ID_BLOCK", block)
    monkeypatch.setattr(rec, "MAX_HOLED_BLOCKS", holed)
    rng = random.Random(5)
    await _books(rng, 120)
    last = (await LedgerEntry.all().order_by("-id").first()).id
    for lo, hi, max_id in [(LO, HI, last), (LO, HI, last - 30), (LO - dt.timedelta(days=2), LO, last)]:
        ids = sorted(await LedgerEntry.filter(created_at__gte=lo, created_at__lt=hi, id__lte=max_id).values_list("id", flat=True))
        assert ids
        monkeypatch.setattr(rec, "ID_GAP", 0)
        runs = await rec._id_runs(lo, hi, max_id)
        assert [i for a, b in runs for i in range(a, b + 1)] == ids  # exact runs of consecutive ids
        assert all(b + 1 < c for (_, b), (c, _) in zip(runs, runs[1:]))  # each as long as it can be
        monkeypatch.setattr(rec, "ID_GAP", 10**9)
        assert await rec._id_runs(lo, hi, max_id) == [(ids[0], ids[-1])]
    assert await rec._id_runs(LO - dt.timedelta(days=60), LO - dt.timedelta(days=50), last) == []


async def _forget_figures(where: str) -> int:
    """Entries as migration 0040 leaves those written before it: no figures kept on them."""
    from tortoise import connections

    count, _ = await connections.get("default").execute_query(
        f'UPDATE "ledger_entry" SET "bank_paise" = NULL, "card_paise" = NULL, "fee_paise" = NULL, "touches" = NULL WHERE {where}')
    return count


@pytest.mark.parametrize("seed", [4, 5])
async def test_entries_without_their_figures_kept_are_read_by_their_postings(demo_db, monkeypatch, seed):
    """Books upgraded from before decision 164 (entries written without their figures, among entries
    written with them) give the run the same entries and sums as the plain question; `ledger
    rebuild-entry-figures` fills them in, and the run still finds the same."""
    from emitra.core import entry_figures

    rng = random.Random(seed)
    monkeypatch.setattr(rec, "ID_SPAN", rng.choice([5, 40]))
    await _books(rng, 200)
    last = (await LedgerEntry.all().order_by("-id").first()).id
    assert await _forget_figures('"id" % 3 = 0 OR "id" < 40') > 60
    districts = await District.all()
    windows = [(LO, HI, last), (LO - dt.timedelta(days=2), HI + dt.timedelta(days=2), last - 25)]
    truth = {(d.id, w): await _plain(d.id, *w) for d in districts for w in windows}
    for (district_id, w), plain in truth.items():
        assert await _found(district_id, *w) == plain
    assert await entry_figures.mismatches() == []  # no figures is not a wrong figure
    assert await entry_figures.rebuild() >= 60
    assert await LedgerEntry.filter(touches=None).count() == 0
    for (district_id, w), plain in truth.items():
        assert await _found(district_id, *w) == plain


async def test_the_ledger_writes_each_entrys_figures_and_the_check_finds_one_changed_behind_it(demo_db, tmp_path):
    """Every way the ledger writes an entry (one at a time, in a batch, fresh) keeps the figures its
    postings give; a posting added behind an entry's back makes `emitra ledger check` name the entry
    and the fix, and `emitra ledger rebuild-entry-figures` writes them again, audited."""
    from emitra.core import entry_figures
    from emitra.core.models import AuditLog
    from tests.case_helpers import run_commands
    from tests.conftest import DB_URL

    district = await District.get(code="JP")
    one = await ledger.post(district.id, "test:one", "a UPI collection settled in part by card",
                            [ledger.debit("escrow:upi", 700), ledger.debit("escrow:card", 300), ledger.credit("dept_payable:X", 1000)])
    fresh = await ledger.post(district.id, "test:fresh", "a deposit in transit", [ledger.debit("deposit_in_transit:JP-T-1", 500),
                                                                                   ledger.credit("counter_cash:JP-T-1", 500)], fresh=True)
    made = await ledger.post_many([ledger.NewEntry(district.id, "test:fee", "a card fee", [ledger.debit("processor_fees", 20),
                                                                                          ledger.credit("escrow:card", 20)]),
                                   ledger.NewEntry(district.id, "test:none", "nothing the reconciliation reads",
                                                   [ledger.debit("cash:JP-T-1", 5), ledger.credit("lsp_fee_payable:L1", 5)])])
    kept = {e.idempotency_key: (e.bank_paise, e.card_paise, e.fee_paise, e.touches)
            for e in await LedgerEntry.filter(id__in=[one.id, fresh.id, *made.values()])}
    bit = entry_figures.BIT
    assert kept == {"test:one": (700, 300, 0, bit["escrow:upi"] | bit["escrow:card"]),
                    "test:fresh": (0, 0, 0, bit["deposit_in_transit:"]),
                    "test:fee": (0, -20, 20, bit["escrow:card"] | bit["processor_fees"]),
                    "test:none": (0, 0, 0, 0)}
    assert await entry_figures.problems() == [] and (await ledger.check())["balanced"]

    await Posting.create(entry_id=one.id, district_id=district.id, account="society_bank", amount_paise=0)  # behind its back
    [problem] = await entry_figures.problems()
    assert problem.startswith("entry test:one: the figures kept on it (bank 700, escrow:card 300, processor_fees 0 paise, "
                              "touching escrow:upi+escrow:card) are not its postings' (bank 700, escrow:card 300, processor_fees 0 "
                              "paise, touching society_bank+escrow:upi+escrow:card)"), problem
    assert "emitra ledger rebuild-entry-figures" in problem

    check, rebuild, again = run_commands(tmp_path, [["ledger", "check"], ["ledger", "rebuild-entry-figures"], ["ledger", "check"]],
                                         database_url=DB_URL)
    assert check[0] == 1 and "entry test:one: the figures kept on it" in check[1], check
    assert rebuild[0] == 0 and "(1 differed before)" in rebuild[1], rebuild
    assert again[0] == 0 and again[1].startswith("balanced"), again
    assert (await LedgerEntry.get(id=one.id)).touches == bit["society_bank"] | bit["escrow:upi"] | bit["escrow:card"]
    record = await AuditLog.filter(action="ledger.entry_figures_rebuilt").get()
    assert record.detail["differing_before"] == 1 and record.detail["entries"] >= 1


@pytest.mark.parametrize("seed,max_runs", [(6, 200), (7, 200), (8, 1)])
async def test_a_week_rolled_forward_from_a_checkpoint_is_the_week_summed_from_the_history(demo_db, monkeypatch, seed, max_runs):
    """The roll-forward carried from a recorded week (on PostgreSQL the week's postings read by runs
    of entry ids, :func:`reconcile._sums_by_runs`) gives every account the opening, in, out and
    closing that the whole history gives: a checkpoint at the week's start or days before it, taken
    through an id after which entries dated before it were made (back-dated ones, a Stripe fee)."""
    from types import SimpleNamespace

    rng = random.Random(seed)
    monkeypatch.setattr(rec, "MAX_SUM_RUNS", max_runs)  # 1: the runs are too many, the join is asked
    await _books(rng, 250)
    ids = sorted(await LedgerEntry.all().values_list("id", flat=True))
    last = ids[-1]

    async def history(*_args):
        return None

    for district in await District.all():
        for as_of, through in [(LO, last), (LO, ids[len(ids) // 2]), (LO - dt.timedelta(days=2), ids[len(ids) // 3])]:
            monkeypatch.setattr(rec, "_usable_checkpoint", history)
            found: dict = {}
            await rec.roll_forward(district.id, as_of - dt.timedelta(days=30), as_of, through, found)
            truth = await rec.roll_forward(district.id, LO, HI, last)
            checkpoint = SimpleNamespace(as_of=as_of, through_id=through, balances=found["closing"])

            async def recorded(*_args, cp=checkpoint):
                return cp

            monkeypatch.setattr(rec, "_usable_checkpoint", recorded)
            assert await rec.roll_forward(district.id, LO, HI, last) == truth
            assert truth[0]  # the week moved accounts

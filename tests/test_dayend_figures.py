"""The day end's cash figures (core/dayend._cash_figures: one SQL question over the window's
entries that moved a drawer, their postings and requests) are what the books say, read plainly in
Python, however the books are made: cash, UPI and card payments of citizen-, department- and
partner-paid services, the LSP's own sales, cancellations refunded from the drawer, reversals,
entries moving two drawers or another counter's shares, a drawer's posting of another district,
day ends closed mid-day, in the evening and after midnight, entries back-dated or with ids out of
date order, two districts, counters of two LSPs, counters never closed (windows with no start, in
young books and in books with many entries). A faster way of reading them must pass it too."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from emitra.core import dayend, drawer_totals, ledger
from emitra.core.models import LSP, Citizen, Counter, CounterKind, DayEnd, District, LedgerEntry, Posting, ServiceRequest, User

pytestmark = pytest.mark.anyio

IST = ZoneInfo("Asia/Kolkata")
START = dt.date(2026, 11, 16)
DAYS = 4


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=IST) + dt.timedelta(hours=hour, minutes=minute)


async def _plain(codes: list[str], lo: dt.datetime | None, hi: dt.datetime | None,
                 district_id: int) -> dict[str, tuple[int, int, dict[str, int]]]:
    """What ``dayend._cash_figures`` must give, read plainly: every entry of the window but the day
    ends, its postings and its request, summed in Python. An entry with a posting of the district
    to a drawer counts for that drawer: all its postings to it give the drawer's sum and count, its
    postings to share accounts what is kept (the LSP's and owner's shares only when the citizen
    paid the charge)."""
    if lo is None and hi is not None and not await dayend._few_entries_before(hi):
        first = await dayend._first_cash(codes, None, hi)  # the window's start, as the day end takes it
        if not first:
            return {}
        lo = min(first.values())
    entries = LedgerEntry.all()
    if lo is not None:
        entries = entries.filter(created_at__gte=lo)
    if hi is not None:
        entries = entries.filter(created_at__lt=hi)
    entries = [e for e in await entries.values("id", "idempotency_key", "request_id") if not e["idempotency_key"].startswith("dayend:")]
    postings: dict[int, list[tuple[str, int, int]]] = {}
    for p in await Posting.filter(entry_id__in=[e["id"] for e in entries]).values("entry_id", "account", "amount_paise", "district_id"):
        postings.setdefault(p["entry_id"], []).append((p["account"], p["amount_paise"], p["district_id"]))
    payers = dict(await ServiceRequest.all().values_list("id", "charge_payer"))
    out: dict[str, tuple[int, int, dict[str, int]]] = {}
    for e in entries:
        lines = postings.get(e["id"], [])
        for drawer in {a for a, _, d in lines if a.startswith(dayend.CASH_PREFIX) and d == district_id}:
            code = drawer.removeprefix(dayend.CASH_PREFIX)
            if code not in codes:
                continue
            expected, n, kept = out.get(code, (0, 0, {}))
            moved = [amount for a, amount, _ in lines if a == drawer]
            for a, amount, _ in lines:
                if a.startswith(dayend.RETAINED_PREFIXES) and (a.startswith("lsp_sales:") or payers.get(e["request_id"]) == "citizen"):
                    kept[a] = kept.get(a, 0) - amount
            out[code] = (expected + sum(moved), n + len(moved), kept)
    return out


async def _counters() -> list[Counter]:
    """The demo's two counters (one LSP), a counter of a second LSP in Jaipur, two in a second district."""
    jp = await District.get(code="JP")
    zz = await District.create(code="ZZ", name_en="Test district", name_hi="परीक्षण जिला")
    marudhar = await LSP.create(district=jp, name="Marudhar e-Services")
    other = await LSP.create(district=zz, name="Test district e-Services")
    for district, lsp, code in [(jp, marudhar, "JP-MD-001"), (zz, other, "ZZ-JM-001"), (zz, other, "ZZ-JM-002")]:
        await Counter.create(district=district, lsp=lsp, code=code, name=code, kind=CounterKind.JANMITRA, owner_name="owner")
    return list(await Counter.all().order_by("id"))


async def _books(rng: random.Random, counters: list[Counter], n: int) -> None:
    """``n`` entries at random moments of the days around START (ids out of date order), the day
    ends of some counter-days, and entries redated afterwards (back-dated)."""
    operator, citizen = await User.get(username="operator1"), await Citizen.first()
    requests: dict[int, list[ServiceRequest]] = {}
    for c in counters:
        for i, payer in enumerate(["citizen", "citizen", "department", "partner"]):
            requests.setdefault(c.id, []).append(await ServiceRequest.create(
                district_id=c.district_id, idempotency_key=f"t:{c.code}:{i}", counter=c, operator=operator, citizen=citizen,
                service_code="test.service", service_title_en="Test", service_title_hi="परीक्षण", provider="Test", form_data={},
                principal_paise=10000, service_charge_paise=1000, charge_payer=payer, citizen_total_paise=11000))
    posted: list[tuple[int, list[ledger.Line], int | None]] = []

    def moment() -> dt.datetime:
        return at(START - dt.timedelta(days=1), 0) + dt.timedelta(minutes=rng.randrange(0, (DAYS + 2) * 24 * 60))

    for i in range(n):
        c = rng.choice(counters)
        lsp, other = c.lsp_id, rng.choice(counters)
        request = rng.choice(requests[c.id] + [None])
        drawer, share, owner, sales = f"counter_cash:{c.code}", f"lsp_fee_payable:{lsp}", f"owner_fee_payable:{c.code}", f"lsp_sales:{lsp}"
        principal, fee, kiosk, society = rng.randrange(100, 50000), rng.randrange(1, 1000), rng.randrange(1, 1000), rng.randrange(1, 500)
        kind = rng.choice(["cash", "cash", "cash", "upi", "card", "sale", "refund", "reverse", "two_drawers", "odd", "other_district", "dayend"])
        district = c.district_id
        if kind in ("cash", "upi", "card"):
            into = {"cash": drawer, "upi": "escrow:upi", "card": "escrow:card"}[kind]
            lines = [ledger.debit(into, principal + fee + kiosk + society), ledger.credit("dept_payable:test", principal),
                     ledger.credit(share, fee), ledger.credit(owner, kiosk), ledger.credit("society_fee_income", society)]
        elif kind == "sale":
            lines = [ledger.debit(drawer, principal), ledger.credit(sales, principal)]
        elif kind == "refund":  # a cancellation: the fare and the shares handed back from the drawer
            lines = [ledger.debit("dept_payable:test", principal), ledger.debit(share, fee), ledger.debit(owner, kiosk),
                     ledger.credit(drawer, principal + fee + kiosk)]
        elif kind == "reverse" and posted:
            district, lines, request_id = rng.choice(posted)
            lines = [ledger.Line(line.account, -line.amount_paise) for line in lines]
            request = next((r for rs in requests.values() for r in rs if r.id == request_id), None)
        elif kind == "two_drawers":  # cash handed from one counter's drawer to another's, with a share
            lines = [ledger.debit(f"counter_cash:{other.code}", principal + fee), ledger.credit(drawer, principal), ledger.credit(share, fee)]
            district = rng.choice([c.district_id, other.district_id])
        elif kind == "odd":  # another counter's owner's share and the LSP's sales in one cash entry
            lines = [ledger.debit(drawer, principal + fee + kiosk), ledger.credit(f"owner_fee_payable:{other.code}", kiosk),
                     ledger.credit(sales, fee), ledger.credit(share, principal)]
        elif kind == "other_district":  # the drawer's posting of another district
            district = rng.choice([d.id for d in await District.all()])
            lines = [ledger.debit(drawer, principal + fee), ledger.credit(share, fee), ledger.credit("dept_payable:test", principal)]
        else:  # a day end's own entry (one in capitals too)
            lines = [ledger.debit(f"deposit_in_transit:{c.code}", principal), ledger.debit(share, fee), ledger.credit(drawer, principal + fee)]
        key = f"t:{i}" if kind != "dayend" else rng.choice(["dayend:", "dayend"]) + f"{c.code}:{i}"
        entry = await ledger.post(district, key, f"entry {i}", lines, request_id=request.id if request else None)
        posted.append((district, lines, entry.request_id))
        await drawer_totals.redate(LedgerEntry.filter(id=entry.id), moment())
    for c in counters:  # day ends closed mid-day, in the evening, after midnight; some counters never
        for k in range(-1, DAYS + 1):
            day = START + dt.timedelta(days=k)
            if rng.random() < 0.4:
                d = await DayEnd.create(district_id=c.district_id, counter=c, business_date=day, expected_paise=0, counted_paise=0,
                                        retained_paise=0, deposit_paise=0, difference_paise=0, slip_no=dayend.make_slip_no("JP", c.id, day),
                                        closed_by="test")
                await DayEnd.filter(id=d.id).update(closed_at=at(day, rng.choice([11, 14, 21, 24, 25, 30])))


def _shown(figures: dict[int, dayend.Figures]) -> dict[int, tuple]:
    return {i: (f.expected_paise, f.retained, f.carried_paise, f.entries, f.window_from, f.window_to, f.closed and f.closed.id, f.previous)
            for i, f in figures.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_day_ends_figures_are_those_of_the_books_read_plainly(demo_db, monkeypatch, seed):
    rng = random.Random(seed)
    counters = await _counters()
    await _books(rng, counters, 240)
    sql = dayend._cash_figures
    compared = nonzero = kept = 0
    for few in (20_000, 30):  # the books a few entries, or many (a window never closed begins at the drawer's first cash)
        monkeypatch.setattr(dayend, "_FEW_ENTRIES", few)
        for k in range(-2, DAYS + 2):
            day = START + dt.timedelta(days=k)
            for now in (at(day, 13), at(day, 23, 59), at(day + dt.timedelta(days=3), 2)):
                asked = rng.sample(counters, rng.randrange(1, len(counters) + 1))
                monkeypatch.setattr(dayend, "_cash_figures", _plain)
                expected = _shown(await dayend.figures_for_day(asked, day, now))
                monkeypatch.setattr(dayend, "_cash_figures", sql)
                assert _shown(await dayend.figures_for_day(asked, day, now)) == expected, (day, now, [c.code for c in asked])
                compared += len(expected)
                nonzero += sum(1 for v in expected.values() if v[0] or v[3])
                kept += sum(1 for v in expected.values() if v[1])
    # the windows held cash, shares kept, counters closed and not
    assert compared > 100 and nonzero > 30 and kept > 20

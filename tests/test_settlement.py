"""Escrow settlement of card and UPI payments, remittances to departments, department fee claims,
and the LSP's statement: through the core, the pages and the command line."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import types
from zoneinfo import ZoneInfo

import pytest

from emitra.core import counter as counter_core, drawer_totals
from emitra.core import dayend, hookimpl, ledger, payments, settlement
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, Counter, CounterService, District, LedgerEntry, Payment, Posting, SettlementItem, User
from emitra.core.money import format_paise
from emitra.core.plugins import PluginHost, get_host, set_host
from tests.case_helpers import run_commands

IST = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2026, 11, 20)
NEXT = DAY + dt.timedelta(days=1)
BILL, K, K2 = "gov.rj.jvvnl.bill", "210412345678", "210412345679"
BIRTH, WATER, LIC, BUS = "gov.rj.pehchan.birth_certificate", "gov.rj.phed.water_bill", "pvt.lic.premium", "pvt.rsrtc.bus_ticket"
JVVNL = "jaipur-vidyut-vitran-nigam-ltd-jvvnl"
RSRTC = "rajasthan-state-road-transport-corporation-rsrtc"
LIC_SLUG = "life-insurance-corporation-of-india"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=IST)


class EscrowTestMethod(payments.PaymentMethod):
    """A pending electronic method collected into escrow:upi, confirmed by the test (like UPI)."""

    def collection_account(self, counter):
        return "escrow:upi"


@pytest.fixture
def escrow_method():
    module = types.SimpleNamespace()

    def register_methods(register):
        register(EscrowTestMethod(code="escrowtest", title_en="Escrow test", title_hi="एस्क्रो परीक्षण"))

    module.emitra_register_payment_methods = hookimpl(register_methods)
    previous = get_host()
    set_host(PluginHost(extra_plugins=[("escrowtest", module)]))
    yield "escrowtest"
    set_host(previous)


@pytest.fixture
def bus_calendar():
    bus = get_host().registry.get(BUS).booking
    saved = bus.today, bus.time_of_day
    bus.today, bus.time_of_day = DAY, dt.time(10, 0)
    bus.reset()
    yield bus
    bus.reset()
    bus.today, bus.time_of_day = saved


def _example(code: str) -> dict:
    return dict(get_host().registry.get(code).example)


async def _operator(username: str = "operator1"):
    user = await User.get(username=username)
    return Actor(user, via="test"), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


async def _pay_electronically(username: str, code: str, data: dict, key: str) -> Payment:
    actor, counter, citizen = await _operator(username)
    request = await counter_core.record_payment(actor, counter, citizen, code, data, key, "escrowtest")
    payment = await Payment.get(request=request)
    await counter_core.confirm_payment(actor, payment, "escrowtest", f"evt-{key}")
    return await Payment.get(id=payment.id)


def _system() -> Actor:
    return Actor(None, via="test")


# --- settlement -------------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_settlement_pays_the_lsp_share_once_out_of_escrow(demo_db, escrow_method):
    kiosk = await Counter.get(code="JP-JM-001")
    kiosk.split_lsp_bp, kiosk.split_owner_bp, kiosk.split_society_bp = 3000, 5000, 2000
    await kiosk.save()
    first = await _pay_electronically("operator1", BIRTH, _example(BIRTH), "u-1")  # Rs 10, all the LSP's at JP-LM-001
    second = await _pay_electronically("operator2", BIRTH, _example(BIRTH), "u-2")  # Rs 10: LSP 3, owner 5, Society 2
    await _pay_electronically("operator1", BILL, {"k_number": K}, "u-3")  # Rs 3.95 paid by JVVNL: not in escrow
    assert await ledger.balance("escrow:upi") == 1_000 + 1_000 + 148_350
    confirmed = max(first.confirmed_at, second.confirmed_at)
    assert await settlement.pending(first.confirmed_at - dt.timedelta(seconds=1)) == []  # nothing confirmed yet at that time
    waiting = await settlement.pending(confirmed)
    assert [(p.receipt_no, p.lines) for p in waiting] == [
        ((await first.request).receipt_no, {"lsp_fee_payable:1": 1_000}),
        ((await second.request).receipt_no, {"lsp_fee_payable:1": 300, "owner_fee_payable:JP-JM-001": 500})]
    run_at = confirmed + dt.timedelta(hours=2)
    report = await settlement.settle(_system(), run_at)
    assert [i.amount_paise for i in report.items] == [1_000, 800] and report.late == [] and report.by_lsp() == {1: 1_800}
    assert await ledger.balance("escrow:upi") == 200 + 148_350  # the Society's share and the bill stay in escrow
    assert await ledger.balance("lsp_fee_payable:1") == -395  # the bill's charge is owed until JVVNL pays it
    assert await ledger.balance("owner_fee_payable:JP-JM-001") == 0
    # one transfer to the LSP for both payments (decision 68), quoting a reference a bank keeps whole
    [payout] = report.payouts
    reference = f"STLJP{run_at.astimezone(dayend.tz()):%y%m%d%H%M%S}L1UPI"
    assert (payout.reference, payout.amount_paise, payout.lsp_id) == (reference, 1_800, 1)
    entry = await LedgerEntry.get(idempotency_key=f"settle:{reference}").prefetch_related("postings")
    assert sorted((p.account, p.amount_paise) for p in entry.postings) == [
        ("escrow:upi", -1_800), ("lsp_fee_payable:1", 1_300), ("owner_fee_payable:JP-JM-001", 500)]
    assert [(i.receipt_no, i.amount_paise) for i in await settlement.payout_items(entry.idempotency_key)] == sorted(
        [((await first.request).receipt_no, 1_000), ((await second.request).receipt_no, 800)])
    record = await AuditLog.get(action="settlement.paid")
    assert record.detail["reference"] == reference and record.detail["payments"] == 2 and record.detail["amount_paise"] == 1_800
    entries = await LedgerEntry.all().count()
    again = await settlement.settle(_system(), confirmed + dt.timedelta(hours=3))
    assert again.items == [] and again.payouts == [] and await LedgerEntry.all().count() == entries  # each payment is settled once
    assert (await ledger.check())["balanced"]
    await SettlementItem.filter(receipt_no=(await second.request).receipt_no).update(amount_paise=700)  # a row changed afterwards
    assert (await ledger.check())["problems"] == [f"payout settle:{reference} moved 1800 paise out of escrow but its payments add up to 1700"]


async def second_lsp(admin: bool = False):
    """A second LSP of the district, Marwar Seva Kendra, with a counter of its own (JP-LM-009,
    offering the birth certificate; its operator ``operator9``) and (``admin``) an LSP admin ``marwar``;
    passwords ``emitra-demo``."""
    from emitra.core import onboarding

    society = Actor(await User.get(username="society"), via="test")
    lsp2 = await onboarding.add_lsp(society, name="Marwar Seva Kendra", district_code="JP")
    other = await onboarding.add_counter(society, code="JP-LM-009", lsp_id=lsp2.id, name="Sanganer centre", owner_name="Marwar Seva Kendra")
    await CounterService.create(district_id=other.district_id, counter=other, service_code=BIRTH, enabled=True)
    await onboarding.add_user(society, username="operator9", role="operator", counter_code="JP-LM-009", full_name="Op Nine",
                              password="emitra-demo")
    if admin:
        await onboarding.add_user(society, username="marwar", role="lsp_admin", lsp_id=lsp2.id, full_name="Marwar Admin",
                                  password="emitra-demo")
    return lsp2


@pytest.mark.anyio
async def test_a_run_pays_each_lsp_once_per_escrow_and_never_a_payment_twice(demo_db, escrow_method):
    """Payments at two LSPs' counters make two payouts, each with its own payments; a run working
    from a list read before another run settled them pays none of them again; a second run in the
    same second gets a reference of its own."""
    lsp2 = await second_lsp()
    mine = await _pay_electronically("operator1", BIRTH, _example(BIRTH), "p-1")
    theirs = await _pay_electronically("operator9", BIRTH, _example(BIRTH), "p-2")
    at = max(mine.confirmed_at, theirs.confirmed_at) + dt.timedelta(hours=1)
    stale = await settlement.pending(at)
    report = await settlement.settle(_system(), at)
    assert sorted((p.lsp_id, p.amount_paise, [i.receipt_no for i in p.items]) for p in report.payouts) == sorted([
        (1, 1_000, [(await mine.request).receipt_no]), (lsp2.id, 1_000, [(await theirs.request).receipt_no])])
    assert len({p.reference for p in report.payouts}) == 2
    entries = await LedgerEntry.all().count()
    late_run = await settlement.settle(_system(), at, items=stale)  # read before the first run paid them
    assert late_run.items == [] and await LedgerEntry.all().count() == entries
    assert await SettlementItem.all().count() == 2
    third = await _pay_electronically("operator1", BIRTH, {**_example(BIRTH), "child_name": "Ishaan Sharma"}, "p-3")
    again = await settlement.settle(_system(), at if third.confirmed_at <= at else third.confirmed_at)
    [payout] = again.payouts
    if third.confirmed_at <= at:  # the same second as the first run: a reference of its own
        assert payout.reference == next(p.reference for p in report.payouts if p.lsp_id == 1) + "R2"
    assert await ledger.balance("escrow:upi") == 0 and (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_payment_settled_by_its_own_entry_before_payouts_is_not_paid_again(demo_db, escrow_method):
    """Books from before decision 68 settled a payment with an entry of its own, settle:<receipt>:
    a run finds it there (its marker lost, as by a run stopped between the two) and pays nothing."""
    paid = await _pay_electronically("operator1", BIRTH, _example(BIRTH), "q-1")
    receipt = (await paid.request).receipt_no
    district = await District.get(code="JP")
    await ledger.post(district.id, f"settle:{receipt}", f"settlement {receipt} upi to LSP 1",
                      [ledger.debit("lsp_fee_payable:1", 1_000), ledger.credit("escrow:upi", 1_000)], paid.request_id)
    report = await settlement.settle(_system(), paid.confirmed_at + dt.timedelta(hours=1))
    assert report.items == [] and report.payouts == [] and (await Payment.get(id=paid.id)).settled_at is not None
    assert await ledger.balance("escrow:upi") == 0


@pytest.mark.anyio
async def test_settlement_closes_what_it_settles_and_what_it_never_will(demo_db, escrow_method):
    """A run marks the payments it closes (settled_at), so the next one does not read them again; a
    payment the marker missed (one from before it, a run stopped before marking) is closed by the ledger."""
    paid = await _pay_electronically("operator1", BIRTH, _example(BIRTH), "o-1")
    bill = await _pay_electronically("operator1", BILL, {"k_number": K}, "o-2")  # JVVNL pays its charge: nothing to settle
    # born closed: no run has to find the department-paid one; the citizen-paid one waits for its run
    assert (await Payment.get(id=bill.id)).settled_at is not None and (await Payment.get(id=paid.id)).settled_at is None
    await Payment.filter(id=bill.id).update(settled_at=None)  # as one written before decision 41: a run closes it
    report = await settlement.settle(_system(), paid.confirmed_at + dt.timedelta(hours=1))
    assert [i.request_id for i in report.items] == [paid.request_id]
    assert (await Payment.get(id=paid.id)).settled_at is not None and (await Payment.get(id=bill.id)).settled_at is not None
    await Payment.filter(id=paid.id).update(settled_at=None)  # as a payment settled before migration 0013
    entries = await LedgerEntry.all().count()
    again = await settlement.settle(_system(), paid.confirmed_at + dt.timedelta(hours=2))
    assert again.items == [] and await LedgerEntry.all().count() == entries
    assert (await Payment.get(id=paid.id)).settled_at is not None
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_payment_settled_more_than_24_hours_after_confirmation_is_flagged(demo_db, escrow_method):
    on_time = await _pay_electronically("operator1", BIRTH, _example(BIRTH), "l-1")
    report = await settlement.settle(_system(), on_time.confirmed_at + dt.timedelta(hours=23, minutes=59))
    assert len(report.items) == 1 and report.late == []
    late = await _pay_electronically("operator1", BIRTH, {**_example(BIRTH), "child_name": "Ishaan Sharma"}, "l-2")
    report = await settlement.settle(_system(), late.confirmed_at + dt.timedelta(hours=25))
    assert [i.receipt_no for i in report.late] == [(await late.request).receipt_no] and report.late[0].hours == 25.0
    assert "1 late" in (await LedgerEntry.get(idempotency_key=report.payouts[0].key)).memo
    assert (await SettlementItem.get(receipt_no=report.late[0].receipt_no)).late
    assert await ledger.balance("escrow:upi") == 0 and (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_only_the_society_runs_settlement_for_its_district(demo_db, escrow_method):
    with pytest.raises(dayend.MoneyError) as err:
        await settlement.settle(Actor(await User.get(username="lsp")))
    assert err.value.field == "actor"
    with pytest.raises(dayend.MoneyError) as err:
        await settlement.settle(_system(), dt.datetime(2026, 11, 21, 10, 0))  # a time without its zone
    assert err.value.field == "now"


# --- remittances ------------------------------------------------------------------------------------

async def _day_of_bills(bus) -> tuple[Actor, list]:
    """At JP-LM-001 on 20-11-2026: two JVVNL bills, a PHED water bill, a birth certificate, an LIC
    premium, and a bus ticket cancelled the same day."""
    actor, counter, citizen = await _operator()
    done = []
    for key, code, data in [("r-1", BILL, {"k_number": K}), ("r-2", BILL, {"k_number": K2}), ("r-3", WATER, _example(WATER)),
                            ("r-4", BIRTH, _example(BIRTH)), ("r-5", LIC, _example(LIC))]:
        done.append(await counter_core.record_cash(actor, counter, citizen, code, data, key))
    trip = {"from": "jaipur", "to": "ajmer", "journey_date": "2026-11-23", "service_class": "ordinary", "seats": 1,
            "passengers": [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"}]}
    ticket = await counter_core.record_cash(actor, counter, citizen, BUS, trip, "r-6")
    await counter_core.cancel(actor, counter, ticket, "plans changed")
    done.append(ticket)
    await drawer_totals.redate(LedgerEntry.all(), at(DAY, 12))
    return actor, done


async def _movement(account: str) -> int:
    """Every posting to ``account`` except the remittances themselves."""
    rows = await Posting.filter(account=account).exclude(entry__idempotency_key__startswith="remit:").values_list("amount_paise", flat=True)
    return sum(rows)


@pytest.mark.anyio
async def test_a_remittance_pays_the_department_what_was_collected_with_a_statement(demo_db, bus_calendar):
    actor, done = await _day_of_bills(bus_calendar)
    society = Actor(await User.get(username="society"))
    with pytest.raises(dayend.MoneyError) as err:
        await settlement.remit(actor, JVVNL, DAY, DAY, today=NEXT)  # an operator cannot
    assert err.value.field == "actor"
    with pytest.raises(dayend.MoneyError) as err:
        await settlement.remit(society, JVVNL, DAY, DAY, today=DAY)  # the period has not ended
    assert err.value.field == "to"
    st = await settlement.remit(society, JVVNL, DAY, DAY, today=NEXT)
    bills = [r for r in done if r.service_code == BILL]
    assert [(l.receipt_no, l.kind, l.amount_paise) for l in st.lines] == [(r.receipt_no, "collection", r.principal_paise) for r in bills]
    assert st.total_paise == sum(r.principal_paise for r in bills) == -await _movement(f"dept_payable:{JVVNL}")
    assert st.provider == "Jaipur Vidyut Vitran Nigam Ltd (JVVNL)" and st.posted and not st.repeated
    assert await ledger.balance(f"dept_payable:{JVVNL}") == 0 and await ledger.balance("society_bank") == -st.total_paise
    csv_text = st.csv()
    assert bills[0].receipt_no in csv_text and bills[1].receipt_no in csv_text
    assert csv_text.strip().splitlines()[-1].startswith(f"TOTAL,,,,2 lines,{st.total_paise},")
    entries = await LedgerEntry.all().count()
    again = await settlement.remit(society, JVVNL, DAY, DAY, today=NEXT)
    assert again.repeated and await LedgerEntry.all().count() == entries
    with pytest.raises(dayend.MoneyError, match="already remitted") as err:
        await settlement.remit(society, JVVNL, DAY - dt.timedelta(days=3), DAY, today=NEXT)
    assert err.value.field == "from"
    # the bus company: the fare collected less the refund paid from the drawer
    rsrtc = await settlement.remit(society, RSRTC, DAY, DAY, today=NEXT)
    assert [l.kind for l in rsrtc.lines] == ["collection", "refund"]
    assert rsrtc.total_paise == 14_800 - 13_320 == -await _movement(f"dept_payable:{RSRTC}")
    with pytest.raises(dayend.MoneyError, match="Nothing was collected") as err:
        await settlement.remit(society, JVVNL, NEXT, NEXT, today=NEXT + dt.timedelta(days=1))
    # the Hindi message names the discom in Hindi, as the remittances page does (it was the English name)
    from emitra.core.plugins import department_hi

    assert department_hi("Jaipur Vidyut Vitran Nigam Ltd (JVVNL)") == "जयपुर विद्युत वितरण निगम लि. (JVVNL)"
    assert "जयपुर विद्युत वितरण निगम लि." in err.value.message_hi and "Jaipur Vidyut" not in err.value.message_hi
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_claim_lists_exactly_the_department_paid_charges_and_posts_nothing_until_paid(demo_db, bus_calendar):
    _, done = await _day_of_bills(bus_calendar)
    society = Actor(await User.get(username="society"))
    entries = await LedgerEntry.all().count()
    st = await settlement.claim(society, JVVNL, DAY, DAY)
    bills = [r.receipt_no for r in done if r.service_code == BILL]
    assert [(l.receipt_no, l.amount_paise) for l in st.lines] == [(bills[0], 395), (bills[1], 395)] and st.total_paise == 790
    assert await LedgerEntry.all().count() == entries and not st.posted
    lic = await settlement.claim(_system(), LIC_SLUG, DAY, DAY, district_id=society.user.district_id)
    assert [(l.receipt_no, l.amount_paise) for l in lic.lines] == [(done[4].receipt_no, 500)]  # the partner pays Rs 5
    assert await settlement.claim(society, RSRTC, DAY, DAY) == await settlement.claim(society, RSRTC, DAY, DAY)
    assert (await settlement.claim(society, RSRTC, DAY, DAY)).lines == []  # the citizen paid the bus ticket's charge
    with pytest.raises(dayend.MoneyError) as err:
        await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 790, "", today=NEXT)
    assert err.value.field == "bank_reference"
    paid = await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 790, "RTGS-55", today=NEXT)
    assert paid.posted and paid.paid_paise == 790 and paid.mismatch_paise == 0
    assert await ledger.balance(f"dept_fee_receivable:{JVVNL}") == 0 and await ledger.balance("society_bank") == 790
    again = await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 790, "RTGS-55", today=NEXT)
    assert again.repeated and await ledger.balance("society_bank") == 790
    short = await settlement.record_claim_payment(society, LIC_SLUG, DAY, DAY, 400, "NEFT-9", today=NEXT)
    assert short.mismatch_paise == -100 and await ledger.balance(f"partner_fee_receivable:{LIC_SLUG}") == 100
    shown = await settlement.claim_statement(society.user.district_id, LIC_SLUG, DAY, DAY)
    assert shown.posted and shown.paid_paise == 400 and shown.bank_reference == "NEFT-9"
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_claim_payment_reference_is_one_whatever_its_capitals_and_spaces(demo_db, bus_calendar):
    """The department's payment typed "neft a" and then "NEFTA" is one payment (its key hashes the
    reference in capitals without spaces); so is one recorded before, found by its entry's memo."""
    await _day_of_bills(bus_calendar)
    society = Actor(await User.get(username="society"))
    first = await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 500, " neft a", today=NEXT)
    assert first.posted and first.bank_reference == "NEFTA" and first.key.endswith(":" + hashlib.sha256(b"NEFTA").hexdigest()[:12])
    again = await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 500, "NEFTA", today=NEXT)
    assert again.repeated and await ledger.balance("society_bank") == 500
    with pytest.raises(dayend.MoneyError) as err:  # the same reference in other capitals cannot be another payment
        await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 290, "Neft A", today=NEXT)
    assert err.value.field == "bank_reference" and "NEFTA" in err.value.message_en
    # a payment recorded before references were put in one form: its key and memo as typed then
    district = await District.get(id=society.user.district_id)
    await ledger.post(district.id, settlement._claim_key(district.code, DAY, DAY, JVVNL, "rtgs 7"), "service charges paid by JVVNL bank ref rtgs 7",
                      [ledger.debit("society_bank", 100), ledger.credit(f"dept_fee_receivable:{JVVNL}", 100)])
    old = await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 100, "RTGS7", today=NEXT)
    assert old.repeated and await ledger.balance("society_bank") == 600
    with pytest.raises(dayend.MoneyError) as err:
        await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 190, "RTGS 7", today=NEXT)
    assert err.value.field == "bank_reference"
    rest = await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 190, "neft-b", today=NEXT)
    assert (rest.claim_status, rest.paid_paise, rest.owed_paise) == ("paid", 790, 0) and rest.payments[-1].reference == "NEFT-B"
    assert await ledger.balance(f"dept_fee_receivable:{JVVNL}") == 0 and (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_claim_paid_short_takes_further_payments_until_paid_in_full(demo_db, bus_calendar):
    """₹5.00 of a ₹7.90 claim paid, then the rest with another bank reference (it was refused as
    "already recorded as paid"): each payment posted once, never more than is still owed."""
    await _day_of_bills(bus_calendar)
    society = Actor(await User.get(username="society"))
    receivable = f"dept_fee_receivable:{JVVNL}"
    first = await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 500, "NEFT-A", today=NEXT)
    assert (first.claim_status, first.paid_paise, first.owed_paise) == ("paid_in_part", 500, 290)
    assert await ledger.balance(receivable) == 290  # the rest stays receivable
    again = await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 500, "NEFT-A", today=NEXT)  # a double click
    assert again.repeated and await ledger.balance("society_bank") == 500
    with pytest.raises(dayend.MoneyError) as err:  # the same reference cannot be another payment
        await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 290, "NEFT-A", today=NEXT)
    assert err.value.field == "bank_reference" and "NEFT-A" in err.value.message_en and err.value.message_hi
    with pytest.raises(dayend.MoneyError) as err:  # more than is still owed
        await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 400, "NEFT-B", today=NEXT)
    assert err.value.field == "amount" and "₹4.00 is more than the ₹2.90 still owed" in err.value.message_en and err.value.message_hi
    rest = await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 290, "NEFT-B", today=NEXT)
    assert (rest.claim_status, rest.paid_paise, rest.owed_paise, rest.bank_reference) == ("paid", 790, 0, "NEFT-A, NEFT-B")
    assert await ledger.balance(receivable) == 0 and await ledger.balance("society_bank") == 790
    with pytest.raises(dayend.MoneyError, match="paid in full") as err:
        await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 10, "NEFT-C", today=NEXT)
    assert err.value.field == "amount"
    shown = await settlement.claim_statement(society.user.district_id, JVVNL, DAY, DAY)
    assert [(p.reference, p.amount_paise) for p in shown.payments] == [("NEFT-A", 500), ("NEFT-B", 290)]
    listed = await settlement.posted_statements("claim", society.user.district_id)
    assert sorted((r["reference"], r["total_paise"]) for r in listed) == [("NEFT-A", 500), ("NEFT-B", 290)]
    assert (await ledger.check())["balanced"]


PROVIDER_ACCOUNTS = ("dept_payable:", "dept_fee_receivable:", "partner_fee_receivable:")


async def _from_every_posting() -> dict[str, dict[str, int]]:
    """What the Society's remittance and claim pages must show of each provider, summed from every posting."""
    out: dict[str, dict[str, int]] = {}
    for account, amount in await Posting.all().values_list("account", "amount_paise"):
        if account.startswith(PROVIDER_ACCOUNTS):
            kind, provider = account.split(":", 1)
            row = out.setdefault(provider, {"payable_paise": 0, "receivable_paise": 0})
            row["payable_paise" if kind == "dept_payable" else "receivable_paise"] += -amount if kind == "dept_payable" else amount
    return {p: v for p, v in out.items() if any(v.values())}


async def _shown() -> dict[str, dict[str, int]]:
    return {i["slug"]: {"payable_paise": i["payable_paise"], "receivable_paise": i["receivable_paise"]}
            for i in await settlement.providers(1) if i["payable_paise"] or i["receivable_paise"]}


@pytest.mark.anyio
async def test_what_each_provider_is_owed_is_the_books_with_or_without_a_recorded_week(demo_db, bus_calendar):
    """The balances carried from the last recorded reconciliation (plus what it does not cover)
    are those of every posting: entries since, entries it read that are dated after its week, and
    an entry dated behind it after it was taken (then the books are summed again)."""
    from emitra.core import reconcile

    actor, done = await _day_of_bills(bus_calendar)
    society = Actor(await User.get(username="society"))
    assert await _shown() == await _from_every_posting() and JVVNL in await _shown()
    names = {i["slug"]: i["name"] for i in await settlement.providers(1)}
    assert names[JVVNL] == "Jaipur Vidyut Vitran Nigam Ltd (JVVNL)" and names[LIC_SLUG] == "Life Insurance Corporation of India"
    # the next Monday's bill, entered before the week is reconciled
    counter, citizen = await Counter.get(code="JP-LM-001"), await Citizen.get(name="Ramesh Kumar Sharma")
    monday = await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": "210400000011"}, "r-mon")
    await drawer_totals.redate(LedgerEntry.filter(request_id=monday.id), at(DAY + dt.timedelta(days=3), 10))
    start, end = dt.date(2026, 11, 16), dt.date(2026, 11, 22)
    await reconcile.reconcile(society, 1, start, end)
    assert await reconcile._usable_checkpoint(1, at(DAY + dt.timedelta(days=10), 0), 10**9) is not None
    await settlement.remit(society, JVVNL, DAY, DAY, today=NEXT)
    await counter_core.record_cash(actor, counter, citizen, WATER, _example(WATER), "r-later")
    assert await _shown() == await _from_every_posting()
    assert (await _shown())[JVVNL]["payable_paise"] == monday.principal_paise  # the Friday's remitted, the Monday's owed
    # an entry dated inside the recorded week, made after it was recorded: the checkpoint no longer counts it
    await ledger.post(1, "late:fix", "late correction", [ledger.debit(f"dept_payable:{JVVNL}", 100), ledger.credit("society_bank", 100)])
    await drawer_totals.redate(LedgerEntry.filter(idempotency_key="late:fix"), at(DAY, 15))
    assert await _shown() == await _from_every_posting()
    posted = await settlement.posted_statements("remittance", 1)
    assert [(p["provider_slug"], p["from"], p["to"]) for p in posted] == [(JVVNL, DAY, DAY)]
    assert posted[0]["total_paise"] == sum(r.principal_paise for r in done if r.service_code == BILL)
    await settlement.record_claim_payment(society, JVVNL, DAY, DAY, 790, "RTGS-55", today=NEXT)
    claims = await settlement.posted_statements("claim", 1)
    assert [(p["provider_slug"], p["total_paise"]) for p in claims] == [(JVVNL, 790)]


@pytest.mark.anyio
async def test_the_lsp_statement_shows_what_each_counter_earned_and_what_is_owed(demo_db, bus_calendar):
    actor, done = await _day_of_bills(bus_calendar)
    _, counter, _ = await _operator()
    await dayend.close_day(actor, counter, DAY, sum(r.citizen_total_paise for r in done) - 13_320, now=at(DAY, 19))
    await drawer_totals.redate(LedgerEntry.filter(idempotency_key__startswith="dayend:"), at(DAY, 19))
    s = await settlement.lsp_statement(1, DAY, DAY)
    row = dict((c.code, r) for c, r in s["earned"])["JP-LM-001"]
    # citizen-paid: birth certificate Rs 10 + bus ticket Rs 10; department/partner-paid: 3 bills x 3.95 + LIC Rs 5
    assert (row["citizen"], row["department"], row["total"]) == (2_000, 3 * 395 + 500, 2_000 + 1_685)
    assert s["kept_at_day_end_paise"] == 2_000 and s["owed"]["lsp_fee_payable:1"] == 1_685
    assert s["earned_total"] == 3_685
    assert s["earned_columns"] == {k: sum(r[k] for _, r in s["earned"]) for k in ("citizen", "department", "sales", "owner", "total")}
    assert s["earned_columns"]["total"] == s["earned_total"] and s["earned_columns"]["citizen"] == 2_000


@pytest.mark.anyio
async def test_the_lsp_statement_is_the_books_before_and_after_a_recorded_week(demo_db, bus_calendar):
    """What was earned and paid in a period, and what is owed, equal plain sums over the postings,
    whether the balances are summed from every posting or carried from a recorded reconciliation."""
    from emitra.core import reconcile

    actor, done = await _day_of_bills(bus_calendar)
    _, counter, citizen = await _operator()
    await dayend.close_day(actor, counter, DAY, sum(r.citizen_total_paise for r in done) - 13_320, now=at(DAY, 19))
    await drawer_totals.redate(LedgerEntry.filter(idempotency_key__startswith="dayend:"), at(DAY, 19))

    async def plain(lsp_id: int) -> tuple[dict[str, int], int, int]:
        accounts = [a for a in await Posting.all().distinct().values_list("account", flat=True)
                    if a in (f"lsp_fee_payable:{lsp_id}", f"lsp_sales:{lsp_id}") or a.startswith("owner_fee_payable:")]
        owed = {a: -sum(await Posting.filter(account=a).values_list("amount_paise", flat=True)) for a in accounts}
        in_period = Posting.filter(account__in=accounts, entry__created_at__gte=at(DAY, 0), entry__created_at__lt=at(NEXT, 0))
        earned = -sum(await in_period.filter(entry__idempotency_key__startswith="request:").values_list("amount_paise", flat=True))
        kept = sum(await in_period.filter(entry__idempotency_key__startswith="dayend:").values_list("amount_paise", flat=True))
        return owed, earned, kept

    async def check() -> None:
        s = await settlement.lsp_statement(1, DAY, DAY)
        owed, earned, kept = await plain(1)
        assert {a: v for a, v in s["owed"].items() if v} == {a: v for a, v in owed.items() if v}
        assert s["earned_total"] == earned and s["kept_at_day_end_paise"] == kept
        assert [w[2] for w in s["wallets"]] == [-await ledger.balance(f"kiosk_wallet:{c.code}") for c in s["counters"]]

    await check()
    society = Actor(await User.get(username="society"))
    await reconcile.reconcile(society, 1, dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    await counter_core.record_cash(actor, counter, citizen, BIRTH, _example(BIRTH), "r-after")  # today: after the checkpoint
    await check()
    assert (await settlement.lsp_statement(1, DAY, DAY))["owed"]["lsp_fee_payable:1"] == 1_685 + 1_000


# --- pages ------------------------------------------------------------------------------------------

def _yesterday() -> dt.date:
    return dt.datetime.now(IST).date() - dt.timedelta(days=1)


def test_the_society_remits_and_downloads_the_statement_and_other_roles_cannot(web, monkeypatch):
    async def sell():
        actor, counter, citizen = await _operator()
        for key, k in (("w-1", K), ("w-2", K2)):
            await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": k}, key)
        await drawer_totals.redate(LedgerEntry.all(), dt.datetime.combine(_yesterday(), dt.time(12), tzinfo=IST))
    web.run(sell)
    for username in ("operator1", "lsp"):
        web.login(username)
        for path in ("/society/remittances", "/society/claims", "/society/settlement", "/society/dayends"):
            assert web.get(path).status_code == 403, (username, path)
        web.logout()
    web.login("society")
    day = _yesterday().isoformat()
    total = web.run(lambda: settlement.remittance_statement(1, JVVNL, _yesterday(), _yesterday())).total_paise
    assert total == web.run(lambda: ledger.balance(f"dept_payable:{JVVNL}")) * -1 > 148_350
    page = web.get(f"/society/remittances?provider={JVVNL}&from={day}&to={day}")
    assert page.status_code == 200 and f'id="statement-total">{format_paise(total)}<' in page.text
    from emitra.web import money as money_pages

    monkeypatch.setattr(money_pages, "STATEMENT_LINES_SHOWN", 1)  # a department's month is tens of thousands of receipts
    short = web.get(f"/society/remittances?provider={JVVNL}&from={day}&to={day}")
    assert "The first 1 of 2; the CSV download has every one." in short.text and f'id="statement-total">{format_paise(total)}<' in short.text
    assert web.post("/society/remittances", data={"provider": JVVNL, "from": day, "to": day}).status_code == 403  # no CSRF token
    bad = web.post_form("/society/remittances", {"provider": JVVNL, "from": "31-11-2026", "to": day})  # no 31 November (20-11-2026, day first, is read since decision 119)
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    done = web.post_form("/society/remittances", {"provider": JVVNL, "from": day, "to": day})
    assert done.status_code == 303
    assert web.run(lambda: ledger.balance(f"dept_payable:{JVVNL}")) == 0 and web.run(lambda: ledger.balance("society_bank")) == -total
    csv_page = web.get(f"/society/remittances/statement.csv?provider={JVVNL}&from={day}&to={day}")
    assert csv_page.status_code == 200 and csv_page.headers["content-type"].startswith("text/csv")
    assert f"TOTAL,,,,2 lines,{total}," in csv_page.text
    claims = web.get(f"/society/claims?provider={JVVNL}&from={day}&to={day}")
    assert claims.status_code == 200 and 'id="statement-total">₹7.90<' in claims.text
    bad_claim = web.post_form("/society/claims", {"provider": JVVNL, "from": day, "to": day, "amount": "7.9x", "bank_reference": "R1"})
    assert bad_claim.status_code == 400 and "Amount paid by the department" in bad_claim.text
    assert web.get("/society/settlement").status_code == 200
    assert web.post_form("/society/settlement", {}).status_code == 200
    assert web.run(lambda: ledger.check())["balanced"]


def test_a_claim_paid_in_part_shows_what_is_owed_and_takes_the_rest_and_every_refusal_is_shown(web):
    async def sell():
        actor, counter, citizen = await _operator()
        for key, k in (("c-1", K), ("c-2", K2)):
            await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": k}, key)
        await drawer_totals.redate(LedgerEntry.all(), dt.datetime.combine(_yesterday(), dt.time(12), tzinfo=IST))
    web.run(sell)
    web.login("society")
    day = _yesterday().isoformat()
    page = f"/society/claims?provider={JVVNL}&from={day}&to={day}"
    assert web.post_form("/society/claims", {"provider": JVVNL, "from": day, "to": day, "amount": "5", "bank_reference": "NEFT-1"},
                         token_from=page).status_code == 303
    shown = web.get(page)
    assert "Paid in part: ₹5.00 of ₹7.90; ₹2.90 is still owed." in shown.text and "NEFT-1" in shown.text
    assert 'name="amount" inputmode="decimal" value="2.90"' in shown.text  # a form for the rest
    too_much = web.post_form("/society/claims", {"provider": JVVNL, "from": day, "to": day, "amount": "3", "bank_reference": "NEFT-2"},
                             token_from=page)
    assert too_much.status_code == 400 and "₹3.00 is more than the ₹2.90 still owed" in too_much.text
    assert web.post_form("/society/claims", {"provider": JVVNL, "from": day, "to": day, "amount": "2.90", "bank_reference": "NEFT-2"},
                         token_from=page).status_code == 303
    paid = web.get(page)
    assert "Paid in full by the department: ₹7.90." in paid.text and 'name="bank_reference"' not in paid.text
    # a payment on a claim paid in full: refused, and the page says why (it was a blank 400)
    late = web.post_form("/society/claims", {"provider": JVVNL, "from": day, "to": day, "amount": "1", "bank_reference": "NEFT-3"},
                         token_from=page)
    assert late.status_code == 400 and "This claim is paid in full" in late.text and 'role="alert"' in late.text
    assert web.run(lambda: ledger.balance(f"dept_fee_receivable:{JVVNL}")) == 0
    assert web.run(lambda: ledger.balance("society_bank")) == 790
    web.get("/lang/hi?next=/")
    assert "पूरा चुकाया जा चुका है" in web.post_form("/society/claims", {"provider": JVVNL, "from": day, "to": day, "amount": "1",
                                                                          "bank_reference": "NEFT-3"}, token_from=page).text


def test_the_statement_pages_offer_only_what_can_be_posted_and_refuse_an_unknown_provider(web):
    """A period ending today has no Remit button (remitting it is refused): the page says why. The
    CSV of a provider with nothing in the books is a 404, as the page refuses it (it was an empty 200)."""
    async def sell():
        actor, counter, citizen = await _operator()
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "t-1")
    web.run(sell)
    web.login("society")
    today = dt.datetime.now(IST).date().isoformat()
    page = web.get(f"/society/remittances?provider={JVVNL}&from={today}&to={today}")
    assert page.status_code == 200 and "Remit ₹" not in page.text and "This period has not ended" in page.text
    claims = web.get(f"/society/claims?provider={JVVNL}&from={today}&to={today}")
    assert "Record the department" not in claims.text and "This period has not ended" in claims.text
    refused = web.post_form("/society/remittances", {"provider": JVVNL, "from": today, "to": today})
    assert refused.status_code == 400 and "A period is settled once it has ended" in refused.text
    for kind in ("remittances", "claims"):
        csv_page = web.get(f"/society/{kind}/statement.csv?provider=nonesuch&from={today}&to={today}")
        assert csv_page.status_code == 404 and "choose one from the list" in csv_page.text


def test_money_pages_name_lsps_methods_and_accounts_in_words_and_dates_as_dd_mm_yyyy(web):
    """The settlement report named the LSP "1", the method "escrow:upi" and the wait "72.0"; the
    LSP's statement labelled an amount "(lsp_fee_payable:1)"; a cheque's date was ISO."""
    from emitra.core.payment_methods import cheque

    async def pay():
        actor, counter, citizen = await _operator()
        request = await counter_core.record_payment(actor, counter, citizen, BIRTH, _example(BIRTH), "m-1", "upi")
        payment = await Payment.get(request=request)
        await counter_core.confirm_payment(Actor(None, via="webhook"), payment, "upi", "evt-m-1", provider_reference="UTR0001")
        await Payment.filter(id=payment.id).update(confirmed_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=74))
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "m-2")  # Rs 3.95 owed to the LSP until JVVNL pays
        details = cheque.CHEQUE.check_details({"instrument_no": "004512", "bank_name": "State Bank of India", "ifsc": "SBIN0001234",
                                               "instrument_date": "2026-11-25", "drawer_name": "Ramesh Kumar Sharma"})
        await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": K2}, "m-3", "cheque", payment_details=details)
    web.run(pay)
    web.login("society")
    report = web.post_form("/society/settlement", {})
    assert report.status_code == 200
    run = report.text[report.text.index("This run"):report.text.index("Waiting to be settled")]
    assert "Pink City e-Services Pvt Ltd" in run and "UPI (QR code)" in run and "3 days 2 hours" in run
    assert "escrow:upi" not in run and "<td>1</td>" not in run and "74.0" not in run
    # the transfer to make: one per LSP and method, with the reference to quote on it (decision 68)
    import re
    transfers = run[run.index("Transfers to make"):run.index("</table>", run.index("Transfers to make"))]
    assert re.search(r"<code>STLJP\d{12}L1UPI</code></td><td class=\"num\">1</td><td class=\"num\">₹10.00</td>", transfers), transfers
    cheques = web.get("/society/cheques")
    assert "25-11-2026" in cheques.text and "2026-11-25" not in cheques.text
    web.logout()
    web.login("lsp")
    statement = web.get("/lsp/statement")
    assert "LSP&#39;s share of service charges" in statement.text and "lsp_fee_payable" not in statement.text


def test_the_settlement_page_and_the_payouts_memo_count_one_payment_or_many(web):
    """The page said "1 payment(s) settled", "1 payment(s)" and "1 of them were confirmed"; the payout's
    ledger entry "1 payment(s) by upi"."""
    async def pay(keys, hours_ago=0):
        actor, counter, citizen = await _operator()
        for key in keys:
            request = await counter_core.record_payment(actor, counter, citizen, BIRTH, _example(BIRTH), key, "upi")
            payment = await Payment.get(request=request)
            await counter_core.confirm_payment(Actor(None, via="webhook"), payment, "upi", f"evt-{key}", provider_reference=f"UTR{key}")
            if hours_ago:
                await Payment.filter(id=payment.id).update(confirmed_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours_ago))

    async def memos():
        return [e.memo for e in await LedgerEntry.filter(idempotency_key__startswith="settle:").order_by("id")]

    web.run(lambda: pay(["p-1"], hours_ago=30))
    web.login("society")
    page = web.get("/society/settlement").text
    waiting = page[page.index("Waiting to be settled"):]
    assert "1 payment, ₹10.00." in waiting and "1 of them was confirmed more than 24 hours ago." in waiting
    hindi = web.get("/society/settlement?lang=hi").text
    assert "1 भुगतान, ₹10.00।" in hindi and "इनमें से 1 की पुष्टि 24 घंटे से अधिक पहले हुई थी।" in hindi
    done = web.post_form("/society/settlement?lang=en", {})
    assert done.status_code == 200 and "1 payment settled, ₹10.00 in all, at " in done.text
    web.run(lambda: pay(["p-2", "p-3"], hours_ago=30))
    waiting = web.get("/society/settlement?lang=en").text
    assert "2 payments, ₹20.00." in waiting and "2 of them were confirmed more than 24 hours ago." in waiting
    done = web.post_form("/society/settlement?lang=hi", {})
    assert done.status_code == 200 and "2 भुगतान निपटाए गए, कुल ₹20.00, " in done.text
    first, second = web.run(memos)
    assert ": 1 payment by upi to LSP 1, 1 late" in first and ": 2 payments by upi to LSP 1, 2 late" in second


def test_the_settlement_page_says_when_it_lists_only_the_first_payments_waiting(web, monkeypatch):
    """The page listed the first 100 payments waiting under a count of all of them, without saying
    so: with more waiting, the Society read the table as the whole list."""
    from emitra.web import money as money_pages

    async def pay():
        actor, counter, citizen = await _operator()
        for n in range(3):
            request = await counter_core.record_payment(actor, counter, citizen, BIRTH, _example(BIRTH), f"w-{n}", "upi")
            await counter_core.confirm_payment(Actor(None, via="webhook"), await Payment.get(request=request), "upi", f"evt-w-{n}",
                                               provider_reference=f"UTR000{n}")
    web.run(pay)
    monkeypatch.setattr(money_pages, "WAITING_SHOWN", 2, raising=False)
    web.login("society")
    page = web.get("/society/settlement")
    waiting = page.text[page.text.index("Waiting to be settled"):]
    assert "3 payments, ₹30.00." in waiting and "payment(s)" not in waiting and "The first 2 of 3, the longest waiting first; the run settles every one." in waiting
    assert waiting.count("<tr><td>JP") == 2
    hindi = web.get("/society/settlement?lang=hi")
    assert "3 में से पहले 2" in hindi.text
    monkeypatch.setattr(money_pages, "WAITING_SHOWN", 100)
    assert "The first" not in web.get("/society/settlement?lang=en").text
    # the run says how many it settled in words a clerk reads ("3 payments settled", not "3 payment(s) settled")
    run = web.post_form("/society/settlement", {})
    assert "3 payments settled, ₹30.00 in all" in run.text and "payment(s)" not in run.text


# --- command line -----------------------------------------------------------------------------------

def test_the_money_commands_print_a_summary_and_name_the_wrong_field(tmp_path):
    """The commands as an operator, the Society and an LSP run them (in one process, to keep it fast)."""
    calls = [
        ["db", "migrate"], ["demo"],
        ["dayend", "close", "JP-LM-001", "--date", "2026-11-20", "--counted", "12.345", "--as", "operator1"],
        ["dayend", "close", "JP-LM-001", "--date", "2026-11-20", "--counted", "0", "--as", "operator2"],
        ["dayend", "close", "JP-LM-001", "--date", "2026-11-20", "--counted", "0", "--as", "operator1"],
        ["dayend", "close", "JP-LM-001", "--date", "2026-11-20", "--counted", "0", "--as", "operator1"],
        ["settle", "--now", "2026-11-21T10:00:00+05:30"],
        ["settle", "--now", "tomorrow"],
        ["remit", JVVNL, "--from", "2026-11-01", "--to", "2026-11-20", "--as", "society"],
        ["claims", JVVNL, "--from", "2026-11-01", "--to", "2026-11-20"],
        ["wallet", "topup", "JP-LM-001", "500", "--reference", "N1", "--as", "lsp"],
        ["ledger", "check"],
    ]
    (migrate, demo, bad, wrong, ok, twice, settled, bad_now, remit, claims, topup, check) = run_commands(tmp_path, calls)
    assert migrate[0] == 0 and demo[0] == 0
    assert bad[0] != 0 and "--counted" in bad[1] and "more than two decimals" in bad[1]
    assert wrong[0] != 0 and "--as: Only an operator of counter JP-LM-001" in wrong[1]
    assert ok[0] == 0 and "deposit slip DSJP0001202611205" in ok[1] and "to deposit ₹0.00" in ok[1]
    assert twice[0] != 0 and "--date:" in twice[1] and "already closed" in twice[1]
    assert settled[0] == 0 and "settled 0 payments" in settled[1]
    assert bad_now[0] != 0 and "--now" in bad_now[1]
    assert remit[0] != 0 and "PROVIDER: Nothing was collected" in remit[1]
    assert claims[0] == 0 and "0 transactions, ₹0.00" in claims[1]
    assert topup[0] != 0 and "COUNTER_CODE:" in topup[1] and "post-paid" in topup[1]
    assert check[0] == 0 and check[1].startswith("balanced")


def test_a_provider_is_named_by_its_name_or_slug_and_a_mistyped_one_is_refused_not_claimed_at_nil(tmp_path):
    """``emitra claims jvvnl`` listed an empty claim, ₹0.00, as if the department owed nothing."""
    period = ["--from", "2026-11-01", "--to", "2026-11-20"]
    calls = [["db", "migrate"], ["demo"],
             ["claims", "jvvnl", *period], ["remit", "jvvnl", *period, "--as", "society"], ["claims", "Nobody Co", *period],
             ["claims", "Jaipur Vidyut Vitran Nigam Ltd (JVVNL)", *period], ["claims", JVVNL, *period]]
    (_, _, short, remit, nobody, by_name, by_slug) = run_commands(tmp_path, calls)
    for refused in (short, remit):
        assert refused[0] != 0
        assert (f"PROVIDER: No department or partner 'jvvnl'; did you mean '{JVVNL}' (Jaipur Vidyut Vitran Nigam Ltd (JVVNL))? "
                "give its name as its services name it, or its slug") in refused[1]
    assert nobody[0] != 0 and "PROVIDER: No department or partner 'Nobody Co'; give its name" in nobody[1]
    assert by_name[0] == 0 and by_name[1].startswith("claim on Jaipur Vidyut Vitran Nigam Ltd (JVVNL) for 2026-11-01")
    assert by_slug == by_name


def test_an_lsp_sees_its_payouts_and_downloads_their_receipts_and_no_one_else_does(web):
    """The LSP matches each transfer from the Society with a payout on its statement (decision 68):
    the reference it quotes, the payments it covered, and their receipts as CSV; another LSP's admin
    and an operator get nothing."""
    from emitra.core import onboarding

    async def pay_and_settle():
        actor, counter, citizen = await _operator()
        receipts = []
        for n in range(2):
            request = await counter_core.record_payment(actor, counter, citizen, BIRTH, {**_example(BIRTH), "child_name": f"Child {n}"},
                                                        f"po-{n}", "upi")
            await counter_core.confirm_payment(Actor(None, via="webhook"), await Payment.get(request=request), "upi", f"evt-po-{n}",
                                               provider_reference=f"UTR77{n}")
            receipts.append(request.receipt_no)
        report = await settlement.settle(_system(), dt.datetime.now(dt.timezone.utc))
        society = Actor(await User.get(username="society"), via="test")
        other = await onboarding.add_lsp(society, name="Marwar Seva Kendra", district_code="JP")
        await onboarding.add_user(society, username="marwar", role="lsp_admin", lsp_id=other.id, full_name="Marwar Admin",
                                  password="emitra-demo")
        return report.payouts[0].reference, sorted(receipts)
    reference, receipts = web.run(pay_and_settle)
    web.login("lsp")
    statement = web.get("/lsp/statement")
    payouts = statement.text[statement.text.index('id="payouts"'):]
    assert f"<code>{reference}</code>" in payouts and '<td class="num">2</td><td class="num">₹20.00</td>' in payouts
    got = web.get(f"/lsp/payout.csv?reference={reference.lower()}")  # as typed from a bank statement
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    rows = got.text.splitlines()
    assert rows[0].startswith(f"Settlement payout,{reference},") and [r.split(",")[0] for r in rows[2:-1]] == receipts
    assert rows[-1].startswith("TOTAL,,2000,20.00")
    assert web.get("/lsp/payout.csv?reference=STLJP000000000000L1UPI").status_code == 404
    assert "Settlement payouts" not in web.get("/lsp/statement?from=2020-01-01&to=2020-01-31").text  # none in that period
    web.logout()
    web.login("marwar")
    assert web.get(f"/lsp/payout.csv?reference={reference}").status_code == 404  # another LSP's
    web.logout()
    web.login("operator1")
    assert web.get(f"/lsp/payout.csv?reference={reference}").status_code in (403, 404)


@pytest.mark.anyio
async def test_a_withdrawn_payment_is_closed_for_settlement_and_no_run_reads_it_again(demo_db):
    """A UPI payment the citizen never made (withdrawn at the counter) has nothing in escrow: it is
    closed for settlement as it fails, where it stayed open and every run read it again, for ever;
    one failed before that change is closed by the next run."""
    actor, counter, citizen = await _operator()
    request = await counter_core.record_payment(actor, counter, citizen, BIRTH, _example(BIRTH), "wd-1", "upi")
    payment = await Payment.get(request=request)
    assert payment.settled_at is None  # citizen-paid: open until it is settled
    _, outcome = await counter_core.withdraw_payment(actor, counter, request, "left without paying")
    failed = await Payment.get(id=payment.id)
    assert outcome == "withdrawn" and failed.status == "failed" and failed.settled_at is not None
    await Payment.filter(id=payment.id).update(settled_at=None)  # as one failed before the change
    assert await settlement.pending(dt.datetime.now(dt.timezone.utc)) == []
    report = await settlement.settle(_system(), dt.datetime.now(dt.timezone.utc))
    assert report.items == [] and report.payouts == [] and (await Payment.get(id=payment.id)).settled_at is not None
    assert await ledger.balance("escrow:upi") == 0 and (await ledger.check())["balanced"]



def _sold_yesterday(web) -> str:
    async def sell():
        actor, counter, citizen = await _operator()
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "k-1")
        await drawer_totals.redate(LedgerEntry.all(), dt.datetime.combine(_yesterday(), dt.time(12), tzinfo=IST))
    web.run(sell)
    web.login("society")
    return _yesterday().isoformat()


def test_a_refused_claim_payment_keeps_the_amount_and_bank_reference_typed(web):
    """A claim payment refused (an amount mistyped) came back with the bank reference emptied and the
    amount put back to what is owed."""
    day = _sold_yesterday(web)
    page = f"/society/claims?provider={JVVNL}&from={day}&to={day}"
    refused = web.post_form("/society/claims", {"provider": JVVNL, "from": day, "to": day, "amount": "3.9x", "bank_reference": "NEFT-TYPED-7"},
                            token_from=page)
    assert refused.status_code == 400 and "Amount paid by the department" in refused.text
    assert 'name="bank_reference" value="NEFT-TYPED-7"' in refused.text and 'name="amount" inputmode="decimal" value="3.9x"' in refused.text
    assert 'name="bank_reference" value=""' in web.get(page).text  # a fresh page: nothing typed yet


def test_the_remittance_and_claim_pages_name_the_department_in_hindi_on_a_hindi_page(web):
    """The remittance and claim pages named JVVNL in English on a Hindi page (the list, the choice, the
    statement's heading and its button), where the services and reports name it in Hindi."""
    day = _sold_yesterday(web)
    web.get("/lang/hi?next=/")
    for kind in ("remittances", "claims"):
        hindi = web.get(f"/society/{kind}?provider={JVVNL}&from={day}&to={day}").text
        assert "जयपुर विद्युत वितरण निगम लि. (JVVNL)" in hindi and "Jaipur Vidyut Vitran Nigam Ltd" not in hindi
    web.get("/lang/en?next=/")
    assert "Jaipur Vidyut Vitran Nigam Ltd (JVVNL)" in web.get(f"/society/claims?provider={JVVNL}&from={day}&to={day}").text


def test_the_provider_lists_of_remittances_and_claims_end_with_their_total_in_english_and_hindi(web):
    """The list of departments and partners on the remittance and claim pages had no total: what the
    Society owes them all, and what they owe it. A total row adds the paise of every row (integers,
    shown in rupees), under the list, in the table's foot (printed once, at the end)."""
    async def sell():
        actor, counter, citizen = await _operator()
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "tot-1")  # ₹1,483.50, Rs 3.95 owed by JVVNL
        await counter_core.record_cash(actor, counter, citizen, WATER, _example(WATER), "tot-2")  # ₹386.40, Rs 3.95 owed by PHED
        await LedgerEntry.all().update(created_at=dt.datetime.combine(_yesterday(), dt.time(12), tzinfo=IST))
    web.run(sell)
    providers = web.run(lambda: settlement.providers(1))
    assert len(providers) == 2
    payable, receivable = sum(p["payable_paise"] for p in providers), sum(p["receivable_paise"] for p in providers)
    assert (payable, receivable) == (148_350 + 38_640, 395 + 395)
    web.login("society")

    def total_row(path: str) -> str:
        page = web.get(path).text
        foot = page[page.index("<tfoot>"):page.index("</tfoot>")]
        assert 'id="providers-total"' in foot
        return " ".join(re.sub(r"<[^>]+>", " ", foot).split())

    for path in ("/society/remittances", "/society/claims"):
        assert total_row(path) == f"Total of 2 departments and partners {format_paise(payable)} {format_paise(receivable)}", path
    assert total_row("/society/claims") == "Total of 2 departments and partners ₹1,869.90 ₹7.90"
    web.get("/lang/hi?next=/")
    assert total_row("/society/remittances") == "2 विभागों और भागीदारों का योग ₹1,869.90 ₹7.90"


def test_a_total_row_is_printed_once_under_the_list():
    """A table's foot repeats at the foot of every printed sheet unless it is a row group: the print
    style makes every total row print once, under the last row."""
    from pathlib import Path

    css = (Path(__file__).parents[1] / "web" / "static" / "style.css").read_text()
    printed = css[css.index("@media print {"):]
    printed = printed[:printed.index("\n}")]
    assert "tfoot { display:table-row-group; }" in printed

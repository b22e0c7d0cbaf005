"""A golden week for one counter, exact to the paisa.

JP-LM-001 (service charges split 80% LSP, 20% Society) is run from Monday 16-11-2026 to Sunday
22-11-2026: cash bills and applications, two cheques (one clears, one bounces), a UPI payment, a bus
ticket sold and cancelled, a day end every evening (Friday's drawer ₹10 short), the deposits
confirmed the next day, a settlement run, and on Monday 23-11-2026 the week's remittances to JVVNL and
RSRTC and JVVNL's payment of the fee claim. Every figure asserted is computed here from the list of
what happened, not read back from the code under test. The bank statement is written as the bank
would show it, imported, and both weeks reconciled.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from emitra.core import counter as counter_core, drawer_totals
from emitra.core import dayend, ledger, settlement
from emitra.core import reconcile as rec
from emitra.core.audit import Actor
from emitra.core.models import Citizen, Counter, DayEnd, LedgerEntry, Payment, Posting, User
from emitra.core.payment_methods import cheque
from emitra.core.plugins import get_host

pytestmark = pytest.mark.anyio

IST = ZoneInfo("Asia/Kolkata")
MON = dt.date(2026, 11, 16)
DAYS = [MON + dt.timedelta(days=n) for n in range(7)]  # Monday .. Sunday
NEXT_MON = MON + dt.timedelta(days=7)
BILL, JAMABANDI, BUS = "gov.rj.jvvnl.bill", "gov.rj.revenue.jamabandi_copy", "pvt.rsrtc.bus_ticket"
JVVNL, RSRTC = "jaipur-vidyut-vitran-nigam-ltd-jvvnl", "rajasthan-state-road-transport-corporation-rsrtc"
# the JVVNL sandbox's bills (paise); JVVNL pays Rs 3.95 on each
BILLS = {"210412345678": 148_350, "210412345679": 62_000, "210400000011": 9_995, "210498765432": 1_234_567}
DEPT_FEE = 395
APP_FEE = 1_000  # the jamabandi copy: no principal, Rs 10 paid by the citizen
FARE, BUS_FEE = 29_600, 1_000  # Jaipur to Ajmer, ordinary, two seats; Rs 10 paid by the citizen
REFUND = FARE - FARE * 10 // 100  # cancelled more than 24 hours before departure: fare less 10%
LSP_BP, SOCIETY_BP = 8_000, 2_000
LSP_OF_10 = APP_FEE * LSP_BP // 10_000  # 800: what the counter keeps of a citizen-paid Rs 10
SHORT = 1_000  # Friday's drawer is ₹10 short


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=IST)


class Books:
    """Dates what the test posts: every ledger entry made since the last stamp gets ``moment``."""

    def __init__(self) -> None:
        self.mark = 0

    async def stamp(self, moment: dt.datetime) -> None:
        await drawer_totals.redate(LedgerEntry.filter(id__gt=self.mark), moment)
        last = await LedgerEntry.all().order_by("-id").first()
        self.mark = last.id if last else 0


@pytest.fixture
def bus():
    svc = get_host().registry.get(BUS).booking
    saved = svc.today, svc.time_of_day
    svc.reset()
    yield svc
    svc.reset()
    svc.today, svc.time_of_day = saved


def _bank_csv(rows: list[tuple[dt.date, str, str, int]]) -> bytes:
    """(value date, narration, reference, paise: + credit, - debit) as the bank's CSV export."""
    out = ["date,description,reference,debit,credit,balance"]
    for day, text, ref, paise in rows:
        rupees = f"{abs(paise) // 100}.{abs(paise) % 100:02d}"
        out.append(f"{day.isoformat()},{text},{ref},{rupees if paise < 0 else ''},{rupees if paise > 0 else ''},")
    return ("\n".join(out) + "\n").encode()


async def test_a_golden_week_for_one_counter_is_exact_to_the_paisa(demo_db, bus, monkeypatch):
    books = Books()
    operator = await User.get(username="operator1")
    op = Actor(operator, via="test")
    society = Actor(await User.get(username="society"), via="test")
    counter = await Counter.get(code="JP-LM-001")
    counter.split_lsp_bp, counter.split_owner_bp, counter.split_society_bp = LSP_BP, 0, SOCIETY_BP
    await counter.save()
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    jamabandi = dict(get_host().registry.get(JAMABANDI).example)
    n = iter(range(1000))

    # what happened, kept by the test: per day the cash in and out, the citizen-paid fees taken in cash
    cash_in = {d: 0 for d in DAYS}
    cash_fees = {d: 0 for d in DAYS}  # number of citizen-paid Rs 10 charges taken in cash
    jvvnl_principal = 0
    jvvnl_bills = 0
    rsrtc_net = 0

    async def cash_bill(day, k):
        nonlocal jvvnl_principal, jvvnl_bills
        req = await counter_core.record_cash(op, counter, citizen, BILL, {"k_number": k}, f"gw-{next(n)}")
        assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (BILLS[k], DEPT_FEE, "department", BILLS[k])
        cash_in[day] += BILLS[k]
        jvvnl_principal += BILLS[k]
        jvvnl_bills += 1

    async def cash_application(day):
        req = await counter_core.record_cash(op, counter, citizen, JAMABANDI, jamabandi, f"gw-{next(n)}")
        assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (0, APP_FEE, "citizen", APP_FEE)
        cash_in[day] += APP_FEE
        cash_fees[day] += 1

    async def cheque_for(day, k, number):
        details = cheque.CHEQUE.check_details({"instrument_no": number, "bank_name": "State Bank of India", "ifsc": "SBIN0001234",
                                               "instrument_date": (day - dt.timedelta(days=1)).isoformat(), "drawer_name": citizen.name})
        req = await counter_core.record_payment(op, counter, citizen, BILL, {"k_number": k}, f"gw-{next(n)}", "cheque", payment_details=details)
        assert req.status == "payment_pending"
        return req

    def today(day):
        monkeypatch.setenv("EMITRA_TODAY", day.isoformat())

    slips: dict[dt.date, DayEnd] = {}

    async def close(day, short=0):
        fig = await dayend.figures(counter, day, at(day, 19))
        books_expected = cash_in[day]
        assert fig.expected_paise == books_expected, day
        slips[day] = await dayend.close_day(op, counter, day, books_expected - short, now=at(day, 19))
        await books.stamp(at(day, 19))

    async def confirm(day_end, on):
        today(on)
        await dayend.confirm_deposit(society, day_end, f"BR-{day_end.business_date:%d}", day_end.deposit_paise, on=on)
        await books.stamp(at(on, 11))

    mon, tue, wed, thu, fri, sat, sun = DAYS
    # Monday: a bill and an application in cash
    today(mon)
    await cash_bill(mon, "210412345678")
    await cash_application(mon)
    await books.stamp(at(mon, 11))
    await close(mon)
    # Tuesday: two bills in cash; a cheque for the big bill (it clears on Wednesday)
    today(tue)
    await confirm(slips[mon], tue)
    today(tue)
    await cash_bill(tue, "210412345679")
    await cash_bill(tue, "210400000011")
    good_cheque = await cheque_for(tue, "210498765432", "004512")
    await books.stamp(at(tue, 12))
    await close(tue)
    # Wednesday: the cheque clears; a bill in cash; an application paid by UPI; a cheque that will bounce
    await confirm(slips[tue], wed)
    await cheque.clear(society, await Payment.get(request=good_cheque))
    jvvnl_principal += BILLS["210498765432"]
    jvvnl_bills += 1
    await books.stamp(at(wed, 11, 30))
    await cash_bill(wed, "210412345678")
    upi_req = await counter_core.record_payment(op, counter, citizen, JAMABANDI, jamabandi, f"gw-{next(n)}", "upi")
    upi_pay = await Payment.get(request=upi_req)
    await counter_core.confirm_payment(Actor(None, via="webhook"), upi_pay, provider="upi", event_id="upi-evt-1", provider_reference="UTR6321")
    await Payment.filter(id=upi_pay.id).update(confirmed_at=at(wed, 12))
    bad_cheque = await cheque_for(wed, "210412345679", "887001")
    await books.stamp(at(wed, 12))
    await close(wed)
    # Thursday: the cheque bounces; settlement pays the LSP its UPI share; a bus ticket sold and cancelled
    await confirm(slips[wed], thu)
    await cheque.bounce(society, await Payment.get(request=bad_cheque), "funds insufficient")
    await books.stamp(at(thu, 10))
    run = await settlement.settle(society, now=at(thu, 10, 30))
    assert [(i.receipt_no, i.amount_paise, i.late) for i in run.items] == [(upi_req.receipt_no, LSP_OF_10, False)]
    await books.stamp(at(thu, 10, 30))
    await cash_bill(thu, "210400000011")
    bus.today, bus.time_of_day = thu, dt.time(10, 0)
    trip = {"from": "jaipur", "to": "ajmer", "journey_date": (thu + dt.timedelta(days=4)).isoformat(), "service_class": "ordinary", "seats": 2,
            "passengers": [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"}, {"name": "Sunita Sharma", "age": 44, "gender": "F"}]}
    ticket = await counter_core.record_cash(op, counter, citizen, BUS, trip, f"gw-{next(n)}")
    assert (ticket.principal_paise, ticket.service_charge_paise, ticket.charge_payer) == (FARE, BUS_FEE, "citizen")
    await counter_core.cancel(op, counter, ticket, "plans changed")
    cash_in[thu] += FARE + BUS_FEE - REFUND
    cash_fees[thu] += 1
    rsrtc_net += FARE - REFUND
    await books.stamp(at(thu, 13))
    await close(thu)
    # Friday: two bills and an application; the drawer is ₹10 short
    await confirm(slips[thu], fri)
    await cash_bill(fri, "210412345678")
    await cash_bill(fri, "210412345679")
    await cash_application(fri)
    await books.stamp(at(fri, 12))
    await close(fri, short=SHORT)
    # Saturday: a bill and an application
    await confirm(slips[fri], sat)
    await cash_bill(sat, "210400000011")
    await cash_application(sat)
    await books.stamp(at(sat, 12))
    await close(sat)
    # Sunday: a bill
    await confirm(slips[sat], sun)
    await cash_bill(sun, "210412345679")
    await books.stamp(at(sun, 12))
    await close(sun)
    # Monday 23rd: Sunday's deposit confirmed; the week remitted; JVVNL pays the claim
    await confirm(slips[sun], NEXT_MON)
    jv = await settlement.remit(society, JVVNL, MON, sun, today=NEXT_MON)
    rs = await settlement.remit(society, RSRTC, MON, sun, today=NEXT_MON)
    claim = await settlement.claim(society, JVVNL, MON, sun)
    paid = await settlement.record_claim_payment(society, JVVNL, MON, sun, jvvnl_bills * DEPT_FEE, "NEFT-JVVNL-CLAIM-47", today=NEXT_MON)
    await books.stamp(at(NEXT_MON, 15))

    # --- the figures, computed from what happened ---------------------------------------------
    retained = {d: cash_fees[d] * LSP_OF_10 for d in DAYS}
    deposits = {d: cash_in[d] - (SHORT if d == fri else 0) - retained[d] for d in DAYS}
    assert cash_in == {mon: 148_350 + 1_000, tue: 62_000 + 9_995, wed: 148_350, thu: 9_995 + 29_600 + 1_000 - 26_640,
                       fri: 148_350 + 62_000 + 1_000, sat: 9_995 + 1_000, sun: 62_000}
    assert deposits == {mon: 148_550, tue: 71_995, wed: 148_350, thu: 13_155, fri: 209_550, sat: 10_195, sun: 62_000}
    for d in DAYS:
        de = await DayEnd.get(id=slips[d].id)
        assert (de.expected_paise, de.retained_paise, de.deposit_paise) == (cash_in[d], retained[d], deposits[d]), d
        assert de.difference_paise == (-SHORT if d == fri else 0)
        assert de.status == ("flagged" if d == fri else "confirmed") and de.confirmed_at is not None
    assert [d for d in DAYS if slips[d].status == "flagged"] == [fri]
    assert await ledger.balance("cash_over_short:JP-LM-001") == SHORT
    assert await ledger.balance("counter_cash:JP-LM-001") == 0
    assert await ledger.balance("deposit_in_transit:JP-LM-001") == 0
    assert await ledger.balance("cheques_in_clearing:JP-LM-001") == 0
    # the LSP: kept 80% of each citizen-paid Rs 10 in cash (4 × ₹8), got ₹8 of the UPI one from escrow;
    # its 80% of JVVNL's Rs 3.95 on each bill (₹3.16) is still owed to it by the Society
    assert sum(retained.values()) == 4 * 800
    assert await ledger.balance(f"lsp_fee_payable:{counter.lsp_id}") == -(jvvnl_bills * (DEPT_FEE * LSP_BP // 10_000))
    assert await ledger.balance("society_fee_income") == -(5 * 200 + jvvnl_bills * (DEPT_FEE - DEPT_FEE * LSP_BP // 10_000))
    assert await ledger.balance("escrow:upi") == 200  # the Society's ₹2 of the UPI payment, in its own account
    # the departments
    # nine bills in cash and one by the cheque that cleared; the bounced cheque's bill is not paid
    assert jvvnl_bills == 10 and jvvnl_principal == 3 * 148_350 + 3 * 62_000 + 3 * 9_995 + 1_234_567
    assert (jv.total_paise, rs.total_paise) == (jvvnl_principal, rsrtc_net) == (1_895_602, 2_960)
    assert await ledger.balance(f"dept_payable:{JVVNL}") == 0 and await ledger.balance(f"dept_payable:{RSRTC}") == 0
    assert claim.total_paise == paid.paid_paise == 10 * 395 == 3_950
    assert await ledger.balance(f"dept_fee_receivable:{JVVNL}") == 0
    # the Society's bank account: deposits + cleared cheque + UPI + claim - LSP settlement - remittances;
    # in the books, the UPI money not yet paid onwards is escrow:upi (the same bank account)
    bank = sum(deposits.values()) + BILLS["210498765432"] + APP_FEE + 3_950 - LSP_OF_10 - 1_895_602 - 2_960
    assert await ledger.balance("society_bank") + await ledger.balance("escrow:upi") == bank == 3_950
    result = await ledger.check()
    assert result["balanced"] and result["imbalance_paise"] == 0 and result["problems"] == [], result

    # --- the bank statement, as the bank shows it; two weeks reconciled ---------------------------
    rows = [(d + dt.timedelta(days=1), f"BY CASH DEP SLIP {slips[d].slip_no}", f"BR-{d:%d}", deposits[d]) for d in DAYS]
    rows += [(wed, "CLEARING CHQ 004512 SBIN0001234", "CLG4512", BILLS["210498765432"]),
             (wed, f"UPI CR {upi_req.receipt_no} UTR6321", "UTR6321", APP_FEE),
             (thu, f"NEFT DR PINK CITY E-SERVICES {run.payouts[0].reference}", "NEFTLSP01", -LSP_OF_10),
             (fri, "NEFT CR UNKNOWN REMITTER", "NEFT777", 77_700),  # planted: nobody expects it
             (NEXT_MON, "NEFT DR JVVNL REMITTANCE 16-22 NOV", "NEFTJV01", -1_895_602),
             (NEXT_MON, "NEFT DR RSRTC REMITTANCE 16-22 NOV", "NEFTRS01", -2_960),
             (NEXT_MON, "NEFT CR JVVNL SERVICE CHARGES", "NEFT-JVVNL-CLAIM-47", 3_950)]
    rows.sort(key=lambda r: r[0])
    district_id = counter.district_id
    imp = await rec.import_bank_statement(society, district_id, _bank_csv(rows), "sbi-16-23-nov.csv")
    assert imp.lines == len(rows) == 14

    week1 = await rec.reconcile(society, district_id, MON, sun)
    assert [(i.reference, i.amount_paise) for i in week1.unmatched_statement] == [("NEFT777", 77_700)]
    assert week1.unmatched_ledger == [] and week1.differing == []
    assert sorted((p.kind, p.statement.amount_paise) for p in week1.matched) == sorted(
        [("deposit", deposits[d]) for d in DAYS[:-1]] + [("cheque", 1_234_567), ("upi", 1_000), ("settlement", -800)])
    assert week1.ok and week1.rolls_forward and week1.problems == []
    assert all(r.ok for r in week1.accounts)
    rolls = {r.account: r for r in week1.accounts}
    assert rolls["counter_cash:JP-LM-001"].closing_paise == 0
    assert rolls["deposit_in_transit:JP-LM-001"].closing_paise == deposits[sun]  # Sunday's cash is on its way
    assert rolls["cash_over_short:JP-LM-001"].closing_paise == SHORT

    week2 = await rec.reconcile(society, district_id, NEXT_MON, NEXT_MON + dt.timedelta(days=6))
    assert week2.unmatched_statement == [] and week2.unmatched_ledger == [] and week2.differing == []
    assert sorted((p.kind, p.statement.amount_paise) for p in week2.matched) == sorted(
        [("deposit", deposits[sun]), ("remittance", -1_895_602), ("remittance", -2_960), ("fee_claim", 3_950)])
    assert week2.ok and week2.rolls_forward and all(r.ok for r in week2.accounts)
    assert (await ledger.check())["balanced"]
    assert await Posting.filter(account="society_bank").count() > 0

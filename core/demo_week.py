"""A week in the demo district: ``emitra demo-week``.

Runs, on the demo database, the week that tests/test_golden_week.py runs inside a test: for counter
JP-LM-001, from Monday ``start`` to Sunday, cash bills and applications, a cheque that clears and one
that bounces, a UPI payment confirmed through :func:`emitra.core.counter.confirm_payment` with an
event id, a bus ticket sold and cancelled the same day, a day end every evening (Friday's drawer ₹10
short), the deposits confirmed the next day, a settlement run, and on the Monday after the week's
remittances to JVVNL and RSRTC and JVVNL's payment of the fee claim. It then writes the bank statement
the bank would send for that time (``bank-<start>.csv`` in the data directory), imports it through
:mod:`emitra.core.reconcile`, reconciles the week and the week after (where the Monday's remittances
and claim payment fall), and checks the ledger.

Everything goes through the ordinary core functions (day end, deposit confirmation, settlement,
remittance, claim, reconciliation), as the operator ``operator1`` and the Society admin ``society``
of the demo, with their audit records. The counter's fee split is used as configured.

**What the simulation changes that a real week would not.** To place the week in time, it re-dates
the rows it creates, and nothing else: the ``created_at`` of the ledger entries it posts and the
``confirmed_at`` of the payments it takes (the simulated day and hour). It also fixes "today" for
the run (``EMITRA_TODAY``, the RSRTC sandbox's day and time of day) to each simulated day, and puts
both back when it is done. The whole week is one database transaction: if a step fails, nothing of
it is kept.

Every figure of the summary is computed from the list of what happened, then compared with what the
books say; any difference is listed under ``mismatches``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from emitra.core import config, drawer_totals

COUNTER = "JP-LM-001"
DISTRICT = "JP"
BILL, JAMABANDI, BUS = "gov.rj.jvvnl.bill", "gov.rj.revenue.jamabandi_copy", "pvt.rsrtc.bus_ticket"
JVVNL, RSRTC = "jaipur-vidyut-vitran-nigam-ltd-jvvnl", "rajasthan-state-road-transport-corporation-rsrtc"
# the JVVNL sandbox's bills (paise); JVVNL pays Rs 3.95 on each
BILLS = {"210412345678": 148_350, "210412345679": 62_000, "210400000011": 9_995, "210498765432": 1_234_567}
DEPT_FEE = 395
APP_FEE = 1_000  # the jamabandi copy: no principal, Rs 10 paid by the citizen
FARE, BUS_FEE = 29_600, 1_000  # Jaipur to Ajmer, ordinary, two seats; Rs 10 paid by the citizen
REFUND = FARE - FARE * 10 // 100  # cancelled more than 24 hours before departure: fare less 10%
SHORT = 1_000  # Friday's drawer is ₹10 short


class DemoWeekError(Exception):
    """The week cannot be run (the demo is not loaded, the week was run already, ...)."""


def default_start(today: dt.date | None = None) -> dt.date:
    """The Monday of the last full week (its remittances fall on a Monday that has come)."""
    from emitra.core import reconcile as rec

    return rec.last_full_week(today)[0]


def _bank_csv(rows: list[tuple[dt.date, str, str, int]]) -> bytes:
    """(value date, narration, reference, paise: + credit, - debit) as the bank's CSV export."""
    out = ["date,description,reference,debit,credit,balance"]
    for day, text, ref, paise in rows:
        rupees = f"{abs(paise) // 100}.{abs(paise) % 100:02d}"
        out.append(f"{day.isoformat()},{text},{ref},{rupees if paise < 0 else ''},{rupees if paise > 0 else ''},")
    return ("\n".join(out) + "\n").encode()


async def _refuse_unless_runnable(start: dt.date):
    from emitra.core import dayend
    from emitra.core.models import Counter, DayEnd, District

    if start.weekday() != 0:
        raise DemoWeekError(f"{start.isoformat()} is a {start:%A}; the demo week starts on a Monday "
                            f"(e.g. {(start - dt.timedelta(days=start.weekday())).isoformat()}).")
    from tortoise.exceptions import OperationalError

    try:
        district = await District.get_or_none(code=DISTRICT)
        counter = await Counter.get_or_none(code=COUNTER)
    except OperationalError:  # no tables: a database never migrated
        raise DemoWeekError("The database has no tables yet: run `emitra db migrate`, then `emitra demo`, first.") from None
    if district is None or counter is None:
        raise DemoWeekError("The demo district JP is not loaded: run `emitra demo` first.")
    done = await DayEnd.get_or_none(counter_id=counter.id, business_date=start)
    if done is not None:
        raise DemoWeekError(f"The week of {start:%d-%m-%Y} was already run at {COUNTER} (its Monday has day end {done.slip_no}); "
                            "choose another week with --start, or load a fresh demo database.")
    later = await DayEnd.filter(counter_id=counter.id, business_date__gte=start).order_by("business_date").first()
    if later is not None:
        raise DemoWeekError(f"{COUNTER} already has a day end on {later.business_date:%d-%m-%Y}; days are closed in order, "
                            f"so the week of {start:%d-%m-%Y} cannot be simulated. Choose a later week with --start.")
    open_day = await dayend.oldest_open_date(counter)
    if open_day is not None and open_day < start:
        raise DemoWeekError(f"{COUNTER} took cash on {open_day:%d-%m-%Y} and that day has no day end; close it first "
                            "or choose a week before it.")
    return district, counter


async def run_week(start: dt.date) -> dict[str, Any]:
    """Run the demo week that starts on Monday ``start`` and return the summary (see the module doc).

    Raises :class:`DemoWeekError` when the demo is not loaded or the week cannot (or may not) be run;
    nothing is written then."""
    from emitra.core import counter as counter_core
    from emitra.core import dayend, ledger, settlement
    from emitra.core import reconcile as rec
    from emitra.core.audit import Actor
    from emitra.core.models import Citizen, DayEnd, LedgerEntry, Payment, Posting, User
    from emitra.core.payment_methods import cheque
    from emitra.core.payments import fee_shares, kept_at_counter
    from emitra.core.plugins import get_host

    district, counter = await _refuse_unless_runnable(start)
    ist = ZoneInfo(config.timezone())
    days = [start + dt.timedelta(days=n) for n in range(7)]
    mon, tue, wed, thu, fri, sat, sun = days
    next_mon = start + dt.timedelta(days=7)
    tag = f"{start:%Y%m%d}"

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ist)

    bus = get_host().registry.get(BUS).booking
    saved_bus = bus.today, bus.time_of_day
    saved_today = os.environ.get("EMITRA_TODAY")

    def today(day: dt.date) -> None:
        os.environ["EMITRA_TODAY"] = day.isoformat()

    operator = await User.get(username="operator1")
    society_user = await User.get(username="society")
    op = Actor(operator, via="cli")
    society = Actor(society_user, via="cli")
    citizen = await Citizen.get(name="Ramesh Kumar Sharma", district_id=district.id)
    jamabandi = dict(get_host().registry.get(JAMABANDI).example)
    last = await LedgerEntry.all().order_by("-id").first()
    first_mark = last.id if last else 0
    mark = first_mark
    requests: list[int] = []
    dated: set[int] = set()
    n = iter(range(1000))

    async def stamp(moment: dt.datetime) -> None:
        """Dates what the week posted since the last stamp: its ledger entries and the payments it took."""
        nonlocal mark
        await drawer_totals.redate(LedgerEntry.filter(id__gt=mark), moment)
        newest = await LedgerEntry.all().order_by("-id").first()
        mark = newest.id if newest else 0
        fresh = await Payment.filter(request_id__in=requests or [0], confirmed_at__isnull=False).exclude(id__in=sorted(dated) or [0]).values_list("id", flat=True)
        if fresh:
            await Payment.filter(id__in=list(fresh)).update(confirmed_at=moment)
            dated.update(fresh)

    # what happened, kept here: per day the cash in, the citizen-paid fees taken in cash
    cash_in = {d: 0 for d in days}
    cash_fees = {d: 0 for d in days}
    jvvnl_principal = jvvnl_bills = rsrtc_net = 0
    slips: dict[dt.date, DayEnd] = {}

    async def cash_bill(day: dt.date, k: str) -> None:
        nonlocal jvvnl_principal, jvvnl_bills
        req = await counter_core.record_cash(op, counter, citizen, BILL, {"k_number": k}, f"demo-week-{tag}-{next(n)}")
        requests.append(req.id)
        cash_in[day] += BILLS[k]
        jvvnl_principal += BILLS[k]
        jvvnl_bills += 1

    async def cash_application(day: dt.date) -> None:
        req = await counter_core.record_cash(op, counter, citizen, JAMABANDI, jamabandi, f"demo-week-{tag}-{next(n)}")
        requests.append(req.id)
        cash_in[day] += APP_FEE
        cash_fees[day] += 1

    async def cheque_for(day: dt.date, k: str, number: str):
        details = cheque.CHEQUE.check_details({"instrument_no": number, "bank_name": "State Bank of India", "ifsc": "SBIN0001234",
                                               "instrument_date": (day - dt.timedelta(days=1)).isoformat(), "drawer_name": citizen.name})
        req = await counter_core.record_payment(op, counter, citizen, BILL, {"k_number": k}, f"demo-week-{tag}-{next(n)}", "cheque",
                                                payment_details=details)
        requests.append(req.id)
        return req

    async def close(day: dt.date, short: int = 0) -> None:
        slips[day] = await dayend.close_day(op, counter, day, cash_in[day] - short, now=at(day, 19))
        await stamp(at(day, 19))

    async def confirm(day_end: DayEnd, on: dt.date) -> None:
        today(on)
        await dayend.confirm_deposit(society, day_end, f"BR-{day_end.business_date:%Y%m%d}", day_end.deposit_paise, on=on)
        await stamp(at(on, 11))

    good_no, bad_no = f"{4500 + start.day:06d}", f"{887000 + start.day:06d}"
    utr = f"UTR{tag}"
    try:
        async with in_transaction():
            # Monday: a bill and an application in cash
            today(mon)
            await cash_bill(mon, "210412345678")
            await cash_application(mon)
            await stamp(at(mon, 11))
            await close(mon)
            # Tuesday: two bills in cash; a cheque for the big bill (it clears on Wednesday)
            await confirm(slips[mon], tue)
            await cash_bill(tue, "210412345679")
            await cash_bill(tue, "210400000011")
            good_cheque = await cheque_for(tue, "210498765432", good_no)
            await stamp(at(tue, 12))
            await close(tue)
            # Wednesday: the cheque clears; a bill in cash; an application paid by UPI; a cheque that will bounce
            await confirm(slips[tue], wed)
            await cheque.clear(society, await Payment.get(request=good_cheque))
            jvvnl_principal += BILLS["210498765432"]
            jvvnl_bills += 1
            await stamp(at(wed, 11, 30))
            await cash_bill(wed, "210412345678")
            upi_req = await counter_core.record_payment(op, counter, citizen, JAMABANDI, jamabandi, f"demo-week-{tag}-{next(n)}", "upi")
            requests.append(upi_req.id)
            upi_pay = await Payment.get(request=upi_req)
            await counter_core.confirm_payment(Actor(None, via="webhook"), upi_pay, provider="upi", event_id=f"upi-evt-demo-week-{tag}",
                                               provider_reference=utr, at=at(wed, 12))
            bad_cheque = await cheque_for(wed, "210412345679", bad_no)
            await stamp(at(wed, 12))
            await close(wed)
            # Thursday: the cheque bounces; settlement pays the LSP its UPI share; a bus ticket sold and cancelled
            await confirm(slips[wed], thu)
            await cheque.bounce(society, await Payment.get(request=bad_cheque), "funds insufficient")
            await stamp(at(thu, 10))
            due = [i for i in await settlement.pending(at(thu, 10, 30), district.id) if i.receipt_no == upi_req.receipt_no]
            run = await settlement.settle(society, now=at(thu, 10, 30), district_id=district.id, items=due)
            await stamp(at(thu, 10, 30))
            await cash_bill(thu, "210400000011")
            bus.today, bus.time_of_day = thu, dt.time(10, 0)
            trip = {"from": "jaipur", "to": "ajmer", "journey_date": (thu + dt.timedelta(days=4)).isoformat(), "service_class": "ordinary",
                    "seats": 2, "passengers": [{"name": "Ramesh Kumar Sharma", "age": 48, "gender": "M"},
                                               {"name": "Sunita Sharma", "age": 44, "gender": "F"}]}
            ticket = await counter_core.record_cash(op, counter, citizen, BUS, trip, f"demo-week-{tag}-{next(n)}")
            requests.append(ticket.id)
            await counter_core.cancel(op, counter, ticket, "plans changed")
            cash_in[thu] += FARE + BUS_FEE - REFUND
            cash_fees[thu] += 1
            rsrtc_net += FARE - REFUND
            await stamp(at(thu, 13))
            await close(thu)
            # Friday: two bills and an application; the drawer is ₹10 short
            await confirm(slips[thu], fri)
            await cash_bill(fri, "210412345678")
            await cash_bill(fri, "210412345679")
            await cash_application(fri)
            await stamp(at(fri, 12))
            await close(fri, short=SHORT)
            # Saturday: a bill and an application
            await confirm(slips[fri], sat)
            await cash_bill(sat, "210400000011")
            await cash_application(sat)
            await stamp(at(sat, 12))
            await close(sat)
            # Sunday: a bill
            await confirm(slips[sat], sun)
            await cash_bill(sun, "210412345679")
            await stamp(at(sun, 12))
            await close(sun)
            # the Monday after: Sunday's deposit confirmed; the week remitted; JVVNL pays the claim
            await confirm(slips[sun], next_mon)
            jv = await settlement.remit(society, JVVNL, mon, sun, district_id=district.id, today=next_mon)
            rs = await settlement.remit(society, RSRTC, mon, sun, district_id=district.id, today=next_mon)
            claim = await settlement.claim(society, JVVNL, mon, sun, district_id=district.id)
            claim_ref = f"NEFT-JVVNL-CLAIM-{tag}"
            paid = await settlement.record_claim_payment(society, JVVNL, mon, sun, jvvnl_bills * DEPT_FEE, claim_ref,
                                                         district_id=district.id, today=next_mon)
            await stamp(at(next_mon, 15))

            # --- the figures, computed from what happened, and what the books say ---------------------
            kept_per_fee = kept_at_counter(counter, APP_FEE)
            society_per_fee = sum(p for a, p in fee_shares(counter, APP_FEE) if a == "society_fee_income")
            retained = {d: cash_fees[d] * kept_per_fee for d in days}
            deposits = {d: cash_in[d] - (SHORT if d == fri else 0) - retained[d] for d in days}
            settled = kept_per_fee  # the LSP's (and owner's) share of the UPI application
            bank_total = sum(deposits.values()) + BILLS["210498765432"] + APP_FEE + jvvnl_bills * DEPT_FEE - settled - jvvnl_principal - rsrtc_net
            mismatches: list[str] = []

            def expect(what: str, books: int, computed: int) -> None:
                if books != computed:
                    mismatches.append(f"{what}: the books say {books}, the week says {computed} (paise)")

            day_rows = []
            for d in days:
                de = await DayEnd.get(id=slips[d].id)
                expect(f"expected cash {d}", de.expected_paise, cash_in[d])
                expect(f"retained {d}", de.retained_paise, retained[d])
                expect(f"deposit {d}", de.deposit_paise, deposits[d])
                expect(f"difference {d}", de.difference_paise, -SHORT if d == fri else 0)
                day_rows.append({"date": d.isoformat(), "slip_no": de.slip_no, "expected_paise": de.expected_paise,
                                 "counted_paise": de.counted_paise, "retained_paise": de.retained_paise,
                                 "deposit_paise": de.deposit_paise, "shortage_paise": max(0, -de.difference_paise),
                                 "status": de.status})
            rows = await (Posting.filter(entry_id__gt=first_mark).annotate(total=Sum("amount_paise"))
                          .group_by("account").values("account", "total"))
            moved = {r["account"]: int(r["total"] or 0) for r in rows if int(r["total"] or 0)}
            expect("counter_cash:JP-LM-001 moved", moved.get(f"counter_cash:{COUNTER}", 0), 0)
            expect("deposit_in_transit:JP-LM-001 moved", moved.get(f"deposit_in_transit:{COUNTER}", 0), 0)
            expect("cheques_in_clearing:JP-LM-001 moved", moved.get(f"cheques_in_clearing:{COUNTER}", 0), 0)
            expect("cash_over_short:JP-LM-001 moved", moved.get(f"cash_over_short:{COUNTER}", 0), SHORT)
            expect(f"dept_payable:{JVVNL} moved", moved.get(f"dept_payable:{JVVNL}", 0), 0)
            expect(f"dept_payable:{RSRTC} moved", moved.get(f"dept_payable:{RSRTC}", 0), 0)
            expect(f"dept_fee_receivable:{JVVNL} moved", moved.get(f"dept_fee_receivable:{JVVNL}", 0), 0)
            expect("society_bank + escrow:upi moved", moved.get("society_bank", 0) + moved.get("escrow:upi", 0), bank_total)
            expect("escrow:upi moved", moved.get("escrow:upi", 0), society_per_fee)
            expect("JVVNL remittance", jv.total_paise, jvvnl_principal)
            expect("RSRTC remittance", rs.total_paise, rsrtc_net)
            expect("JVVNL claim", claim.total_paise, jvvnl_bills * DEPT_FEE)
            expect("JVVNL claim paid", paid.paid_paise or 0, jvvnl_bills * DEPT_FEE)
            expect("settled to the LSP", sum(i.amount_paise for i in run.items), settled)

            # --- the bank statement, as the bank shows it -----------------------------------------------
            bank_rows = [(d + dt.timedelta(days=1), f"BY CASH DEP SLIP {slips[d].slip_no}", f"BR-{d:%Y%m%d}", deposits[d]) for d in days]
            bank_rows += [(wed, f"CLEARING CHQ {good_no} SBIN0001234", f"CLG{good_no}", BILLS["210498765432"]),
                          (wed, f"UPI CR {upi_req.receipt_no} {utr}", utr, APP_FEE),
                          (thu, f"NEFT DR PINK CITY E-SERVICES {run.payouts[0].reference}", f"NEFTLSP{tag}", -settled),
                          (next_mon, f"NEFT DR JVVNL REMITTANCE {mon:%d-%m} TO {sun:%d-%m}", f"NEFTJV{tag}", -jv.total_paise),
                          (next_mon, f"NEFT DR RSRTC REMITTANCE {mon:%d-%m} TO {sun:%d-%m}", f"NEFTRS{tag}", -rs.total_paise),
                          (next_mon, "NEFT CR JVVNL SERVICE CHARGES", claim_ref, paid.paid_paise)]
            bank_rows.sort(key=lambda r: r[0])
            csv_bytes = _bank_csv(bank_rows)
            filename = f"bank-{start.isoformat()}.csv"
            imp = await rec.import_bank_statement(society, district.id, csv_bytes, filename)
            reports = [await rec.reconcile(society, district.id, mon, sun),
                       await rec.reconcile(society, district.id, next_mon, next_mon + dt.timedelta(days=6))]
    finally:
        bus.today, bus.time_of_day = saved_bus
        if saved_today is None:
            os.environ.pop("EMITRA_TODAY", None)
        else:
            os.environ["EMITRA_TODAY"] = saved_today

    path = Path(config.data_dir()) / filename
    path.write_bytes(csv_bytes)
    check = await ledger.check()
    recs = []
    for r in reports:
        recs.append({"period_start": r.period_start.isoformat(), "period_end": r.period_end.isoformat(), "ok": r.ok,
                     "rolls_forward": r.rolls_forward, "matched": r.matched_count, "differing": len(r.differing),
                     "unmatched_statement": len(r.unmatched_statement), "unmatched_ledger": len(r.unmatched_ledger),
                     "matched_kinds": sorted(p.kind for p in r.matched), "problems": [str(p) for p in r.problems],
                     "unmatched": [i.as_dict() for i in r.unmatched_statement + r.unmatched_ledger],
                     "differences": [p.as_dict() for p in r.differing]})
    reconciled = all(r["ok"] and r["rolls_forward"] and not r["differing"] and not r["unmatched_statement"]
                     and not r["unmatched_ledger"] for r in recs)
    balanced = bool(check["balanced"])
    return {
        "district": district.code, "counter": COUNTER, "week_start": mon.isoformat(), "week_end": sun.isoformat(),
        "split_bp": {"lsp": counter.split_lsp_bp, "owner": counter.split_owner_bp, "society": counter.split_society_bp},
        "days": day_rows,
        "totals": {
            "cash_in_paise": sum(cash_in.values()), "retained_paise": sum(retained.values()),
            "deposited_paise": sum(deposits.values()), "shortage_paise": SHORT,
            "cheque_cleared_paise": BILLS["210498765432"], "cheque_bounced_paise": BILLS["210412345679"], "upi_paise": APP_FEE,
            "settled_to_lsp_paise": settled,
            "remitted": {"JVVNL": jv.total_paise, "RSRTC": rs.total_paise}, "remitted_paise": jv.total_paise + rs.total_paise,
            "jvvnl_bills": jvvnl_bills, "claimed_paise": claim.total_paise, "claim_paid_paise": paid.paid_paise,
            "bank_net_paise": bank_total,
        },
        "accounts_moved": dict(sorted(moved.items())),
        "bank_statement": {"file": str(path), "lines": imp.lines, "import_id": imp.id},
        "reconciliation": recs,
        "mismatches": mismatches,
        "ledger": check,
        "reconciled": reconciled and not mismatches,
        "balanced": balanced,
        "ok": reconciled and balanced and not mismatches,
    }


def summary_text(result: dict[str, Any]) -> str:
    """The summary for a person (``emitra demo-week`` without ``--json``)."""
    from emitra.core.money import format_paise

    t = result["totals"]
    out = [f"demo week {result['week_start']} to {result['week_end']} at {result['counter']} (district {result['district']}): "
           f"{'OK' if result['ok'] else 'DOES NOT RECONCILE'}",
           f"  {'day':<12}{'expected':>14}{'deposited':>14}{'shortage':>10}  status"]
    for d in result["days"]:
        out.append(f"  {d['date']:<12}{format_paise(d['expected_paise']):>14}{format_paise(d['deposit_paise']):>14}"
                   f"{format_paise(d['shortage_paise']):>10}  {d['status']}")
    out.append(f"  deposited {format_paise(t['deposited_paise'])}, kept at the counter {format_paise(t['retained_paise'])}, "
               f"short {format_paise(t['shortage_paise'])}")
    out.append(f"  remitted {format_paise(t['remitted_paise'])} (JVVNL {format_paise(t['remitted']['JVVNL'])}, "
               f"RSRTC {format_paise(t['remitted']['RSRTC'])}); claimed {format_paise(t['claimed_paise'])} from JVVNL "
               f"for {t['jvvnl_bills']} bills, paid {format_paise(t['claim_paid_paise'])}; settled to the LSP {format_paise(t['settled_to_lsp_paise'])}")
    out.append(f"  bank statement: {result['bank_statement']['file']} ({result['bank_statement']['lines']} lines)")
    for r in result["reconciliation"]:
        out.append(f"  reconciliation {r['period_start']} to {r['period_end']}: matched {r['matched']}, differing {r['differing']}, "
                   f"unmatched {r['unmatched_statement']} on the statement / {r['unmatched_ledger']} in the ledger; "
                   f"{'rolls forward' if r['rolls_forward'] else 'DOES NOT ROLL FORWARD'}")
        out += [f"    problem: {p}" for p in r["problems"]]
    out += [f"  MISMATCH {m}" for m in result["mismatches"]]
    lc = result["ledger"]
    out.append(f"  ledger: {'balanced' if lc['balanced'] else 'NOT BALANCED'}, {lc['entries']} entries, imbalance {lc['imbalance_paise']} paise")
    out += [f"    {p}" for p in lc["problems"]]
    return "\n".join(out)

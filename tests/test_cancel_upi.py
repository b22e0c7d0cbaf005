"""A bus booking paid by UPI and cancelled at the counter is not refunded from the drawer: its
refund is owed to the citizen, and the Society sends it to the citizen's UPI account by bank
transfer (decision 71). Balanced books settled or not; the transfer recorded once, never more than
owed, audited, the citizen told; the weekly reconciliation pairs the bank's debit with it; the
Society's page and command; the receipt, the API and /track say where the refund goes."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import ledger, reconcile, settlement, upi_refunds  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.dayend import MoneyError  # noqa: E402
from emitra.core.models import (AuditLog, District, LedgerEntry, Notification, Payment, Posting,  # noqa: E402
                                RequestStatus, ServiceRequest, User)

# the bus trip, its prices and the RSRTC sandbox at a fixed moment: the card cancels' (test_cancel_card.py)
from test_cancel_card import BUS, CHARGE, FARE, PHOTOCOPY, REFUND, RSRTC, TOTAL, TRIP, _ctx, bus  # noqa: E402,F401  (bus: the autouse fixture)

MOBILE = "9829012345"  # Ramesh Kumar Sharma's


async def _book_by_upi(key="bus-upi", utr="UTR600100200300"):
    """Two seats to Ajmer paid by UPI: the bank's confirmation (with its UTR) applied."""
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_payment(actor, counter, citizen, BUS, TRIP, key, "upi")
    payment = await Payment.get(request_id=req.id)
    await counter_core.confirm_payment(Actor(None, via="webhook"), payment, "upi", f"evt-{key}", provider_reference=utr)
    req = await ServiceRequest.get(id=req.id)
    assert req.status == RequestStatus.SUBMITTED and req.citizen_total_paise == TOTAL
    return actor, counter, req, payment


async def _entry_lines(key: str) -> dict[str, int]:
    entry = await LedgerEntry.get(idempotency_key=key)
    return dict(await Posting.filter(entry=entry).values_list("account", "amount_paise"))


def _run_time() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)


async def _society() -> Actor:
    return Actor(await User.get(username="society"))


@pytest.mark.anyio
@pytest.mark.parametrize("settled_first", [False, True], ids=["not-yet-settled", "settled-first"])
async def test_a_upi_paid_booking_is_owed_to_the_citizen_not_paid_from_the_drawer(demo_db, bus, settled_first):
    actor, counter, req, payment = await _book_by_upi()
    lsp = f"lsp_fee_payable:{counter.lsp_id}"
    owed_account = f"upi_refund_payable:{req.receipt_no}"
    drawer = await ledger.balance(f"counter_cash:{counter.code}")
    system = Actor(None, via="system")
    if settled_first:  # the LSP's share of the charge already paid out of escrow:upi
        assert [p.lines for p in (await settlement.settle(system, _run_time())).payouts] == [{lsp: CHARGE}]
    escrow = await ledger.balance("escrow:upi")

    done = await counter_core.cancel(actor, counter, req, "plans changed")
    assert done.status == RequestStatus.CANCELLED and bus.bookings[req.department_ref].cancelled
    # no cash: the drawer is untouched, and nothing leaves escrow:upi until the Society transfers it
    assert await ledger.balance(f"counter_cash:{counter.code}") == drawer
    assert await ledger.balance("escrow:upi") == escrow
    rows = await Payment.filter(request_id=req.id).order_by("id").values_list("method", "amount_paise", "status")
    assert rows == [("upi", TOTAL, "received"), ("upi_refund", -REFUND, "pending")]
    assert (await Payment.get(request_id=req.id, method="upi_refund")).details["utr"] == "UTR600100200300"
    assert await _entry_lines(f"refund:cancel:{req.receipt_no}") == {RSRTC: REFUND, owed_account: -REFUND}
    assert not await Payment.exists(method="cash_refund")
    cancelled = await AuditLog.get(action="request.cancelled", object_id=str(req.id))
    assert cancelled.detail["refund_to"] == "upi" and cancelled.detail["refund_paise"] == REFUND
    told = await Notification.get(event="upi_refund_owed")
    assert told.recipient == MOBILE and "Rs 266.40" in told.body_en and "UPI account" in told.body_en
    assert "₹266.40" in told.body_hi and "यूपीआई" in told.body_hi
    checked = await ledger.check()
    assert checked["balanced"], checked["problems"]
    assert checked["upi_refunds_owed_paise"] == {owed_account: REFUND}
    owed, _ = await upi_refunds.owed(counter.district_id)
    assert [(o.receipt_no, o.counter_code, o.owed_paise, o.utr) for o in owed] == [(req.receipt_no, counter.code, REFUND, "UTR600100200300")]

    if not settled_first:  # the cancel leaves the LSP's share of the charge owed: the next run pays it
        assert [p.lines for p in (await settlement.settle(system, _run_time())).payouts] == [{lsp: CHARGE}]
    assert await ledger.balance(lsp) == 0 and await ledger.balance(RSRTC) == -(FARE - REFUND)
    assert await ledger.balance("escrow:upi") == TOTAL - CHARGE
    assert (await ledger.check())["balanced"]
    # cancelling again changes nothing
    await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))
    assert await Payment.filter(request_id=req.id).count() == 2 and await Notification.filter(event="upi_refund_owed").count() == 1

    # the Society's transfer: only its admin, never more than owed, once per reference
    with pytest.raises(MoneyError, match="Only the district Society's admin"):
        await upi_refunds.pay(Actor(await User.get(username="lsp")), req.receipt_no, "IMPS1")
    with pytest.raises(MoneyError, match="₹266.41 is more than the ₹266.40 owed to the citizen"):
        await upi_refunds.pay(await _society(), req.receipt_no, "IMPS1", REFUND + 1)
    with pytest.raises(MoneyError, match="No cancelled UPI-paid booking"):
        await upi_refunds.pay(await _society(), "JP0000000000000", "IMPS1")
    sent = await upi_refunds.pay(await _society(), req.receipt_no.lower(), "imps 61")
    assert (sent.amount_paise, sent.reference, sent.owed_paise, sent.repeated) == (REFUND, "IMPS61", 0, False)
    again = await upi_refunds.pay(await _society(), req.receipt_no, "IMPS61")
    assert again.repeated and again.amount_paise == REFUND
    with pytest.raises(MoneyError, match="Nothing is owed to the citizen"):
        await upi_refunds.pay(await _society(), req.receipt_no, "IMPS62")
    assert await _entry_lines("upirefund:IMPS61") == {owed_account: REFUND, "escrow:upi": -REFUND}
    assert await LedgerEntry.filter(idempotency_key__startswith="upirefund:").count() == 1
    refund = await Payment.get(request_id=req.id, method="upi_refund")
    assert (refund.status, refund.reference) == ("refunded", "IMPS61") and refund.confirmed_at is not None
    assert await AuditLog.filter(action="upi.refund_sent").count() == 1
    told = await Notification.get(event="upi_refund_sent")
    assert told.recipient == MOBILE and "has sent Rs 266.40" in told.body_en and "IMPS61" in told.body_en and "भेजा गया" in told.body_hi
    # the books: the citizen is paid back out of the UPI collection account, the partner keeps its
    # cancellation charge in escrow:upi, the service charge is kept
    assert await ledger.balance(owed_account) == 0 and await ledger.balance("escrow:upi") == TOTAL - CHARGE - REFUND
    checked = await ledger.check()
    assert checked["balanced"] and checked["upi_refunds_owed_paise"] == {}
    assert reconcile._bank_kind("upirefund:IMPS61", {owed_account, "escrow:upi"}) == "upi_refund"
    assert (await upi_refunds.owed(counter.district_id))[0] == []


@pytest.mark.anyio
async def test_a_refund_sent_in_parts_and_a_reference_used_for_another_citizen(demo_db, bus):
    actor, counter, req, _ = await _book_by_upi()
    _, _, other, _ = await _book_by_upi("bus-upi-2", "UTR600100200301")
    await counter_core.cancel(actor, counter, req)
    await counter_core.cancel(actor, counter, other)
    society = await _society()
    part = await upi_refunds.pay(society, req.receipt_no, "NEFT-A", 10000)
    assert part.owed_paise == REFUND - 10000
    assert (await Payment.get(request_id=req.id, method="upi_refund")).status == "pending"  # still owed
    with pytest.raises(MoneyError, match="Bank reference NEFT-A is already recorded for another transfer"):
        await upi_refunds.pay(society, other.receipt_no, "NEFT-A")
    with pytest.raises(MoneyError, match="already recorded for another transfer"):
        await upi_refunds.pay(society, req.receipt_no, "NEFT-A", 5000)  # the same reference, another amount
    assert (await upi_refunds.pay(society, req.receipt_no, "NEFT-B")).owed_paise == 0
    assert (await Payment.get(request_id=req.id, method="upi_refund")).status == "refunded"
    checked = await ledger.check()
    assert checked["balanced"] and checked["upi_refunds_owed_paise"] == {f"upi_refund_payable:{other.receipt_no}": REFUND}


@pytest.mark.anyio
async def test_the_weekly_reconciliation_pairs_the_banks_debit_with_the_refund_sent(demo_db, bus):
    """The bank statement of the UPI collection account shows the citizen's payment coming in and
    the Society's transfer back going out; the transfer's entry is the bank debit of kind
    upi_refund, paired by its bank reference."""
    from emitra.core import clock

    actor, counter, req, _ = await _book_by_upi()
    await counter_core.cancel(actor, counter, req)
    society = await _society()
    await upi_refunds.pay(society, req.receipt_no, "IMPS 7788")
    district = await District.get(id=counter.district_id)
    day = clock.today()
    bank = ("date,description,reference,debit,credit,balance\n"
            f"{day.isoformat()},UPI CR {req.receipt_no} UTR600100200300,UTR600100200300,,306.00,\n"
            f"{day.isoformat()},IMPS DR REFUND TO CITIZEN,IMPS7788,266.40,,\n")
    await reconcile.import_bank_statement(society, district.id, bank.encode(), "bank.csv")
    start, end = reconcile.week_of(day)
    report = await reconcile.reconcile(society, district.id, start, end)
    refunded = [p for p in report.matched if p.kind == "upi_refund"]
    assert [(p.statement.amount_paise, p.ledger.amount_paise, p.ledger.reference, p.how) for p in refunded] == \
        [(-REFUND, -REFUND, "upirefund:IMPS7788", "reference")]
    assert [p.kind for p in report.matched if p.statement.reference == "UTR600100200300"] == ["upi"]
    assert not [i for i in report.unmatched_ledger if i.kind in ("upi", "upi_refund")]
    assert report.unmatched_statement == []
    assert [i.kind for i in report.unmatched_ledger if i.kind == "other"] == []
    from emitra.core.models import StatementLine
    assert (await StatementLine.get(reference="IMPS7788")).matched_kind == "upi_refund"
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_cash_paid_cancellations_are_still_refunded_from_the_drawer(demo_db, bus):
    actor, counter, citizen = await _ctx()
    await counter_core.record_cash(actor, counter, citizen, PHOTOCOPY, {"quantity": 300}, "cash-in-drawer")
    cash = await counter_core.record_cash(actor, counter, citizen, BUS, TRIP, "bus-cash")
    drawer = await ledger.balance(f"counter_cash:{counter.code}")
    await counter_core.cancel(actor, counter, cash)
    assert await ledger.balance(f"counter_cash:{counter.code}") == drawer - REFUND
    assert await Payment.filter(request_id=cash.id).order_by("id").values_list("method", flat=True) == ["cash", "cash_refund"]
    assert await ledger.check() == {**await ledger.check(), "balanced": True, "upi_refunds_owed_paise": {}}


# --- the pages and the API (browser-free: the test client) -------------------------------------------

def _booked(web, *keys: str) -> list[str]:
    async def book():
        out = []
        for n, key in enumerate(keys):
            out.append((await _book_by_upi(key, f"UTR60010020040{n}"))[2].receipt_no)
        return out

    return web.run(book)


def test_the_receipt_the_api_and_tracking_say_the_refund_reaches_the_upi_account(web):
    on_page, by_api = _booked(web, "bus-upi-web", "bus-upi-api")
    drawer = web.run(lambda: ledger.balance("counter_cash:JP-LM-001"))
    web.login("operator1")
    page = web.get(f"/receipts/{on_page}")
    assert "Paid by UPI: the District e-Mitra Society sends the refund to the citizen" in page.text and "Give no cash." in page.text
    done = web.post_form(f"/receipts/{on_page}/cancel", {"reason": "citizen asked"}, token_from=f"/receipts/{on_page}")
    assert done.status_code == 303
    page = web.get(f"/receipts/{on_page}")
    assert 'id="upi-refund"' in page.text
    assert "Refund of ₹266.40: it will reach the citizen's UPI account from the District " \
        "e-Mitra Society, by bank transfer. No cash is paid at the counter." in page.text
    assert "refunded in cash" not in page.text
    hindi = web.get(f"/receipts/{on_page}?lang=hi")
    assert "₹266.40" in hindi.text and "यूपीआई खाते" in hindi.text and "it will reach" not in hindi.text
    web.get(f"/receipts/{on_page}?lang=en")
    api = web.post(f"/api/v1/transactions/{by_api}/cancel", headers=web.api_token("operator1"), json={"reason": "x"})
    assert api.status_code == 200, api.text
    body = api.json()
    assert (body["status"], body["refund_paise"], body["refund_to"]) == ("cancelled", REFUND, "upi")
    assert (body["refund"]["status"], body["refund"]["amount_paise"]) == ("owed", REFUND)
    assert "₹266.40" in body["refund"]["message_en"] and "UPI account from the District e-Mitra Society" in body["refund"]["message_en"]
    assert "₹266.40" in body["refund"]["message_hi"] and "यूपीआई खाते" in body["refund"]["message_hi"]
    assert web.run(lambda: ledger.balance("counter_cash:JP-LM-001")) == drawer  # no cash either way
    assert web.run(lambda: Payment.filter(method="cash_refund").count()) == 0
    web.logout()

    # the citizen: owed, then sent with its date
    def track():
        return web.post_form("/track", {"number": on_page, "mobile": MOBILE})
    shown = track()
    assert 'id="refund"' in shown.text and "₹266.40 owed to you: the District e-Mitra Society will send it to your UPI account" in shown.text
    web.run(lambda: _pay(on_page, "IMPS-900"))
    shown = track()
    today = web.run(_today_text)
    assert f"₹266.40 sent to your UPI account by the District e-Mitra Society on {today}." in shown.text
    web.get("/track?lang=hi")
    assert f"ज़िला ई-मित्र सोसायटी ने {today} को ₹266.40 आपके यूपीआई खाते में भेज दिए।" in track().text
    web.get("/track?lang=en")
    web.login("operator1")
    page = web.get(f"/receipts/{on_page}")
    assert (f"Refund of ₹266.40 sent to the citizen's UPI account by the District e-Mitra Society on {today} "
            "(bank reference IMPS-900).") in page.text
    got = web.get(f"/api/v1/transactions/{on_page}", headers=web.api_token("operator1")).json()
    assert (got["refund"]["status"], got["refund"]["reference"]) == ("sent", "IMPS-900") and got["refund"]["sent_at"]


async def _pay(receipt_no: str, reference: str):
    return await upi_refunds.pay(await _society(), receipt_no, reference)


async def _today_text() -> str:
    from emitra.core import clock
    return clock.today().strftime("%d-%m-%Y")


def _cancel_all(web, receipts: list[str]) -> None:
    async def go():
        actor, counter, _ = await _ctx()
        for number in receipts:
            await counter_core.cancel(actor, counter, await ServiceRequest.get(receipt_no=number))
    web.run(go)


def _books(web) -> tuple[int, int, int]:
    """Transfers' entries, their audit records, and the SMSes telling citizens a refund was sent."""
    async def count():
        return (await LedgerEntry.filter(idempotency_key__startswith="upirefund:").count(),
                await AuditLog.filter(action="upi.refund_sent").count(), await Notification.filter(event="upi_refund_sent").count())
    return web.run(count)


def test_the_society_lists_what_is_owed_and_records_the_transfer_on_its_page(web):
    first, second = _booked(web, "bus-upi-a", "bus-upi-b")
    _cancel_all(web, [first, second])
    web.login("society")
    assert 'href="/society/upi-refunds"' in web.get("/no-such-page").text  # in the Society's menu, on every page
    page = web.get("/society/upi-refunds")
    assert page.status_code == 200 and 'id="total-owed">₹532.80<' in page.text
    assert f'id="r-{first}-owed">₹266.40<' in page.text and "<code>UTR600100200400</code>" in page.text and "JP-LM-001" in page.text
    assert f'action="/society/upi-refunds/{first}/pay"' in page.text and 'name="csrf_token"' in page.text
    url = f"/society/upi-refunds/{first}/pay"
    # refused, beside the field, nothing written: more than owed, no reference, a bad amount, no CSRF token
    over = web.post_form(url, {"amount": "266.41", "reference": "IMPS-1"}, token_from="/society/upi-refunds")
    assert over.status_code == 400 and "Amount sent (₹): ₹266.41 is more than the ₹266.40 owed to the citizen" in over.text
    assert 'value="266.41"' in over.text
    assert "Bank reference: type the bank reference" in web.post_form(url, {"amount": "", "reference": ""},
                                                                      token_from="/society/upi-refunds").text
    assert web.post_form(url, {"amount": "lots", "reference": "IMPS-1"}, token_from="/society/upi-refunds").status_code == 400
    assert web.post(url, data={"amount": "", "reference": "IMPS-1"}).status_code == 403
    assert _books(web) == (0, 0, 0)
    # recorded: all that is owed by default
    done = web.post_form(url, {"amount": "", "reference": "imps 1"}, token_from="/society/upi-refunds")
    assert done.status_code == 303
    shown = web.get(done.headers["location"])
    assert (f"Transfer of ₹266.40 to the citizen of {first} recorded (bank reference IMPS1); the citizen is sent an SMS. "
            "Still owed to them: ₹0.00.") in shown.text
    assert f'id="r-{first}-owed"' not in shown.text and f'id="r-{second}-owed">₹266.40<' in shown.text
    assert 'id="sent-list"' in shown.text and "<code>IMPS1</code>" in shown.text
    assert _books(web) == (1, 1, 1)
    # the same form sent again, and the same reference for the other citizen: nothing new
    repeat = web.post_form(url, {"amount": "", "reference": "IMPS1"}, token_from="/society/upi-refunds")
    assert repeat.status_code == 400 and "a transfer with reference IMPS1 is already recorded" in repeat.text
    again = web.post_form(f"/society/upi-refunds/{second}/pay", {"amount": "", "reference": "IMPS 1"}, token_from="/society/upi-refunds")
    assert again.status_code == 400 and "Bank reference IMPS1 is already recorded for another transfer" in again.text
    assert _books(web) == (1, 1, 1)
    hindi = web.get("/society/upi-refunds?lang=hi")
    assert "₹266.40" in hindi.text and "नागरिकों को देय यूपीआई रिफंड" in hindi.text and "UPI refunds owed to citizens" not in hindi.text
    web.get("/society/upi-refunds?lang=en")
    assert web.get("/society/upi-refunds/JP0000000000000/pay").status_code == 405
    assert web.post_form("/society/upi-refunds/JP0000000000000/pay", {"reference": "X1"}, token_from="/society/upi-refunds").status_code == 404
    checked = web.run(ledger.check)
    assert checked["balanced"] and checked["upi_refunds_owed_paise"] == {f"upi_refund_payable:{second}": REFUND}


@pytest.mark.parametrize("who", ["operator1", "lsp", "officer", "state", "citizen"])
def test_only_the_society_admin_sees_the_page_and_records_a_transfer(web, who):
    first, = _booked(web, "bus-upi-roles")
    _cancel_all(web, [first])
    web.login(who)
    assert web.get("/society/upi-refunds").status_code == 403
    assert 'href="/society/upi-refunds"' not in web.get("/no-such-page").text  # the menu, on every page
    refused = web.post_form(f"/society/upi-refunds/{first}/pay", {"reference": "IMPS-X"}, token_from="/no-such-page")
    assert refused.status_code == 403 and _books(web) == (0, 0, 0)


# --- the commands -------------------------------------------------------------------------------------

def test_the_commands_list_what_is_owed_record_the_transfer_and_ledger_check_names_it(monkeypatch):
    import asyncio

    from click.testing import CliRunner
    from tortoise import Tortoise

    from emitra.core import db
    from emitra.core.cli import main

    # the test session's own conftest (its database), not a second copy of the module
    conftest = next(m for name, m in sys.modules.items() if name.endswith("conftest") and hasattr(m, "_reset_and_seed"))
    DB_URL = conftest.DB_URL
    conftest._reset_and_seed()

    async def cancelled() -> str:
        await Tortoise.init(config=db.tortoise_config(DB_URL))
        try:
            actor, counter, req, _ = await _book_by_upi("bus-upi-cli", "UTR600100200777")
            await counter_core.cancel(actor, counter, req)
            return req.receipt_no
        finally:
            await Tortoise.close_connections()

    receipt_no = asyncio.run(cancelled())
    monkeypatch.setenv("EMITRA_DATABASE_URL", DB_URL)

    def emitra(*args: str):
        return CliRunner().invoke(main, list(args))

    listed = emitra("upi-refunds", "list")
    assert listed.exit_code == 0, listed.output
    assert receipt_no in listed.output and "JP-LM-001" in listed.output and "owed ₹266.40 of ₹266.40" in listed.output
    assert "UTR UTR600100200777" in listed.output and "1 owed, ₹266.40 in all" in listed.output
    checked = emitra("ledger", "check")
    assert checked.exit_code == 0 and checked.output.startswith("balanced"), checked.output
    assert f"owed to the citizen of {receipt_no}" in checked.output and f"emitra upi-refunds pay {receipt_no} --reference REF" in checked.output
    over = emitra("upi-refunds", "pay", receipt_no, "--reference", "IMPS-C1", "--amount", "266.41", "--as", "society")
    assert over.exit_code == 1 and "Error: --amount: ₹266.41 is more than the ₹266.40 owed" in over.output
    refused = emitra("upi-refunds", "pay", receipt_no, "--reference", "IMPS-C1", "--as", "lsp")
    assert refused.exit_code == 1 and "Only the district Society's admin" in refused.output
    paid = emitra("upi-refunds", "pay", receipt_no, "--reference", "imps-c1", "--as", "society")
    assert paid.exit_code == 0 and f"sent: ₹266.40 to the citizen of {receipt_no} (reference IMPS-C1); still owed ₹0.00" in paid.output
    again = emitra("upi-refunds", "pay", receipt_no, "--reference", "IMPS-C1", "--as", "society")
    assert again.exit_code == 0 and again.output.startswith("already recorded: ₹266.40")
    assert emitra("upi-refunds", "list").output.strip() == "no UPI refund is owed"
    checked = emitra("ledger", "check")
    assert checked.exit_code == 0 and checked.output.startswith("balanced") and "owed to the citizen" not in checked.output


@pytest.mark.anyio
async def test_a_refund_owed_by_the_society_does_not_keep_the_counter_from_closing(demo_db, bus):
    from emitra.core import onboarding

    actor, counter, req, _ = await _book_by_upi()
    await counter_core.cancel(actor, counter, req)
    assert not [en for en, _ in await onboarding.close_blockers(counter) if "await confirmation" in en]

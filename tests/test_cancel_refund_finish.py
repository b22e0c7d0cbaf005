"""A card-paid booking cancelled at RSRTC whose refund to the card Stripe failed (or whose answer was
lost) is finished without the operator (decision 73): `refunds.finish_cancel_refunds`, `emitra card
cancel-refunds`, the Card refunds page. The fake Stripe on 127.0.0.1 (tests/fake_stripe.py), as in
tests/test_cancel_card.py: nothing leaves the machine."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_cancel_card import REFUND, RSRTC, TOTAL, _book_by_card, _entry_lines, bus  # noqa: E402,F401  (bus: the autouse fixture)

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import ledger, refunds  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.models import LSP, AuditLog, Counter, LedgerEntry, Notification, Payment, RequestStatus, Role, ServiceRequest, User  # noqa: E402
from emitra.core.dayend import utcnow  # noqa: E402
from emitra.core.payment_methods import card  # noqa: E402


async def _society() -> Actor:
    return Actor(await User.get(username="society"), via="cli")


async def _left_waiting(fake, fault="500", key="bus-card"):
    """Book by card, cancel at the counter with Stripe failing: RSRTC has cancelled, nothing is booked,
    and the operator goes home."""
    if fault == "500":  # the library's retry too: Stripe makes nothing
        fake.fail("create_refund", "500", times=2)
    elif fault == "drop":  # Stripe makes the refund, and the answer is lost (both tries)
        fake.fail("create_refund", "drop", times=2)
    actor, counter, req, payment = await _book_by_card(fake, key)
    with pytest.raises(counter_core.CounterError) as failed:
        await counter_core.cancel(actor, counter, req, "plans changed")
    assert "Nothing was booked here" in failed.value.message_en
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED
    return actor, counter, req, payment


async def _booked_once(req, payment) -> None:
    fresh = await ServiceRequest.get(id=req.id)
    assert fresh.status == RequestStatus.CANCELLED
    assert await Payment.filter(request_id=req.id).order_by("id").values_list("method", "amount_paise") == [("card", TOTAL), ("card_refund", -REFUND)]
    assert await _entry_lines(f"refund:cancel:{req.receipt_no}") == {RSRTC: REFUND, "escrow:card": -REFUND}
    assert await LedgerEntry.filter(idempotency_key__startswith="refund:").count() == 1
    assert await AuditLog.filter(action="request.cancelled", object_id=str(req.id)).count() == 1
    assert await ledger.balance("escrow:card") == TOTAL - REFUND
    assert (await ledger.check())["balanced"]


async def _tried_again_while_down(fake, actor, counter, req) -> None:
    """The operator cancels again while Stripe is still down: a second attempt's audit record."""
    fake.fail("create_refund", "500", times=2)
    with pytest.raises(counter_core.CounterError):
        await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id), "plans changed")
    assert await AuditLog.filter(action="card.cancel_refund_requested", object_id=str((await Payment.get(request_id=req.id)).id)).count() == 2


async def _panel_row(district_id: int):
    from emitra.core import society_today

    return next(r for r in await society_today.waiting(district_id, utcnow()) if r.kind == "card_refunds")


@pytest.mark.anyio
async def test_stripe_down_then_up_the_sweep_reports_it_failing_then_finishes_it_once(demo_db, fake, bus):
    actor, counter, req, payment = await _left_waiting(fake)
    society = await _society()
    waiting = await refunds.waiting_cancel_refunds(society.user)
    assert [(w.receipt_no, w.counter_code, w.refund_paise, w.state, w.stripe_refunded, w.refused) for w in waiting] == \
        [(req.receipt_no, counter.code, REFUND, "unknown", False, False)]
    # the Society's morning panel counts it with its money, once however many times it was tried
    await _tried_again_while_down(fake, actor, counter, req)
    row = await _panel_row(counter.district_id)
    assert (row.count, row.amount_paise, row.overdue, row.link) == (1, REFUND, 0, "/card-refunds")

    fake.fail("create_refund", "500", times=2)  # still down
    [still] = await refunds.finish_cancel_refunds(society)
    assert still.outcome == refunds.FAILING and still.receipt_no == req.receipt_no
    assert "Stripe did not answer the refund of ₹266.40" in still.message_en and "fake 500" in still.message_en
    assert "Stripe ने जवाब नहीं दिया" in still.message_hi
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED and fake.created["refund"] == 0
    assert len(await refunds.waiting_cancel_refunds(society.user)) == 1

    [done] = await refunds.finish_cancel_refunds(society)  # Stripe back
    assert (done.outcome, done.refund_paise) == (refunds.FINISHED, REFUND) and done.refund_id == next(iter(fake.refunds))
    assert "Refunded ₹266.40 to the card" in done.message_en and "कार्ड पर ₹266.40 वापस किए गए" in done.message_hi
    await _booked_once(req, payment)
    assert fake.created["refund"] == 1 and [r["amount"] for r in fake.refunds.values()] == [REFUND]
    cancelled = await AuditLog.get(action="request.cancelled", object_id=str(req.id))
    assert cancelled.actor_name == "society" and cancelled.detail["finished_by"] == "society"
    assert cancelled.detail["refund_to"] == "card" and cancelled.detail["stripe_refund"] == done.refund_id
    # the citizen, long gone from the counter, is told through the outbox
    [sms] = await Notification.filter(event="card_refunded")
    assert sms.channel == "sms" and sms.recipient == "9829012345" and req.receipt_no in sms.body_en
    assert "Rs 266.40 has been refunded to the card" in sms.body_en and "₹266.40 कार्ड पर लौटाए" in sms.body_hi
    assert len(sms.body_en) <= 300 and len(sms.body_hi) <= 300

    # run again: nothing waits; the operator cancelling again changes nothing either
    assert await refunds.waiting_cancel_refunds(society.user) == [] and await refunds.finish_cancel_refunds(society) == []
    assert ((row := await _panel_row(counter.district_id)).count, row.amount_paise) == (0, 0)
    again = await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))
    assert again.status == RequestStatus.CANCELLED and fake.created["refund"] == 1
    await _booked_once(req, payment)
    assert await Notification.filter(event="card_refunded").count() == 1


@pytest.mark.anyio
async def test_a_refund_stripe_made_but_whose_answer_was_lost_shows_stripe_has_refunded_and_is_booked_without_a_second_refund(
        demo_db, fake, bus):
    actor, counter, req, payment = await _left_waiting(fake, "drop")
    assert fake.created["refund"] == 1  # Stripe did refund
    society = await _society()
    [w] = await refunds.waiting_cancel_refunds(society.user)
    assert w.state == "unknown" and not w.stripe_refunded
    # Stripe's charge.refunded arrives: shown as refunded at Stripe, still not booked on its own (decision 69)
    assert await card.handle_event(fake.refunded_event(payment.reference)) == "cancel_refund_not_booked_yet"
    [w] = await refunds.waiting_cancel_refunds(society.user)
    assert w.stripe_refunded and not w.refused
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED
    assert not await LedgerEntry.exists(idempotency_key=f"refund:cancel:{req.receipt_no}")

    [done] = await refunds.finish_cancel_refunds(society)
    assert done.outcome == refunds.FINISHED
    assert fake.created["refund"] == 1  # the same refund, given back under the key
    await _booked_once(req, payment)


@pytest.mark.anyio
async def test_a_refund_stripe_refuses_is_reported_as_the_societys_to_finish_by_hand(demo_db, fake, bus):
    actor, counter, req, payment = await _book_by_card(fake)
    fake.create_refund({"payment_intent": payment.reference})  # refunded in full at Stripe's Dashboard meanwhile
    with pytest.raises(counter_core.CounterError, match="Stripe refused the refund"):
        await counter_core.cancel(actor, counter, req)
    society = await _society()
    [w] = await refunds.waiting_cancel_refunds(society.user)
    assert w.refused and not w.stripe_refunded and "greater than unrefunded amount" in w.error
    [refused] = await refunds.finish_cancel_refunds(society)
    assert refused.outcome == refunds.REFUSED
    assert "the District e-Mitra Society must refund the card by hand" in refused.message_en
    assert "greater than unrefunded amount" in refused.message_en and "No cash is to be paid" in refused.message_en
    assert "ज़िला ई-मित्र सोसाइटी को कार्ड पर रिफंड हाथ से" in refused.message_hi
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED
    assert await Payment.filter(request_id=req.id).count() == 1 and await Notification.filter(event="card_refunded").count() == 0
    assert [w.receipt_no for w in await refunds.waiting_cancel_refunds(society.user)] == [req.receipt_no]  # still listed


@pytest.mark.anyio
async def test_two_runs_at_once_and_a_run_with_the_operators_cancel_book_each_refund_once(demo_db, fake, bus):
    _, _, first, first_payment = await _left_waiting(fake, key="bus-one")
    actor, counter, second, second_payment = await _left_waiting(fake, key="bus-two")
    society = await _society()
    runs = await asyncio.gather(refunds.finish_cancel_refunds(society), refunds.finish_cancel_refunds(society))
    outcomes = sorted(r.outcome for run in runs for r in run if r.receipt_no == first.receipt_no)
    assert refunds.FINISHED in outcomes and set(outcomes) <= {refunds.FINISHED, refunds.ALREADY_FINISHED}
    for req in (first, second):
        assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.CANCELLED
        assert await Payment.filter(request_id=req.id, method="card_refund").count() == 1
        assert await LedgerEntry.filter(idempotency_key=f"refund:cancel:{req.receipt_no}").count() == 1
        assert await AuditLog.filter(action="request.cancelled", object_id=str(req.id)).count() == 1
    assert fake.created["refund"] == 2 and await Notification.filter(event="card_refunded").count() == 2
    assert await ledger.balance("escrow:card") == 2 * (TOTAL - REFUND) and (await ledger.check())["balanced"]

    # a third booking: the sweep and the operator's second cancel at the same moment
    _, _, third, _ = await _left_waiting(fake, key="bus-three")
    await asyncio.gather(refunds.finish_cancel_refunds(society),
                         counter_core.cancel(actor, counter, await ServiceRequest.get(id=third.id)))
    assert await Payment.filter(request_id=third.id, method="card_refund").count() == 1
    assert await LedgerEntry.filter(idempotency_key=f"refund:cancel:{third.receipt_no}").count() == 1
    assert await AuditLog.filter(action="request.cancelled", object_id=str(third.id)).count() == 1
    assert fake.created["refund"] == 3 and (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_run_after_the_operator_finished_it_does_nothing(demo_db, fake, bus):
    actor, counter, req, payment = await _left_waiting(fake)
    await counter_core.cancel(actor, counter, await ServiceRequest.get(id=req.id))  # the operator cancels again
    await _booked_once(req, payment)
    society = await _society()
    assert await refunds.waiting_cancel_refunds(society.user) == []
    assert await refunds.finish_cancel_refunds(society) == []
    assert fake.created["refund"] == 1 and await Notification.filter(event="card_refunded").count() == 0  # told at the counter
    await _booked_once(req, payment)


@pytest.mark.anyio
async def test_who_sees_and_finishes_which_waiting_refunds(demo_db, fake, bus):
    actor, counter, req, payment = await _left_waiting(fake)
    for username in ("society", "lsp", "operator1"):
        assert [w.receipt_no for w in await refunds.waiting_cancel_refunds(await User.get(username=username))] == [req.receipt_no]
    assert await refunds.waiting_cancel_refunds(await User.get(username="operator2")) == []  # another counter
    other = await LSP.create(district_id=counter.district_id, name="Another LSP")
    stranger = await User.create(username="lsp2", full_name="Other LSP admin", role=Role.LSP_ADMIN, password_hash="x",
                                 district_id=counter.district_id, lsp=other)
    assert await refunds.waiting_cancel_refunds(stranger) == [] and await refunds.finish_cancel_refunds(Actor(stranger)) == []
    for username in ("officer", "citizen", "state"):
        with pytest.raises(refunds.RefundError, match="Only the Society's admin, an LSP admin or an operator"):
            await refunds.finish_cancel_refunds(Actor(await User.get(username=username)))
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMITTED
    [done] = await refunds.finish_cancel_refunds(Actor(await User.get(username="operator1")))
    assert done.outcome == refunds.FINISHED and (await Counter.get(id=req.counter_id)).code == counter.code
    await _booked_once(req, payment)


def test_the_command_lists_them_and_finishes_them(fake, bus):
    """`emitra card cancel-refunds --as USER` lists; `--finish` finishes; exit 1 while one still waits."""
    from click.testing import CliRunner
    from tests.conftest import DB_URL, truncate
    from tortoise import Tortoise

    from emitra.core import db, demo
    from emitra.core.cli import main

    async def prepare():
        await Tortoise.init(config=db.tortoise_config(DB_URL))
        try:
            await truncate()
            await demo.load()
            _, _, req, _ = await _left_waiting(fake)
            return req.receipt_no
        finally:
            await Tortoise.close_connections()

    receipt_no = asyncio.run(prepare())
    cli = CliRunner()
    listed = cli.invoke(main, ["card", "cancel-refunds", "--as", "society"])
    assert listed.exit_code == 0, listed.output
    assert f"{receipt_no}  JP-LM-001  ₹266.40  Stripe did not refund it" in listed.output and "1 waiting" in listed.output
    refused = cli.invoke(main, ["card", "cancel-refunds", "--finish", "--as", "officer"])
    assert refused.exit_code == 1 and "Only the Society's admin, an LSP admin or an operator" in refused.output
    fake.fail("create_refund", "500", times=2)
    failing = cli.invoke(main, ["card", "cancel-refunds", "--finish", "--as", "society"])
    assert failing.exit_code == 1 and f"{receipt_no}: failing: " in failing.output and "0 finished, 1 still waiting" in failing.output
    done = cli.invoke(main, ["card", "cancel-refunds", "--finish", "--as", "society"])
    assert done.exit_code == 0, done.output
    assert f"{receipt_no}: finished: Refunded ₹266.40 to the card" in done.output and "1 finished, 0 still waiting" in done.output
    again = cli.invoke(main, ["card", "cancel-refunds", "--finish", "--as", "society"])
    assert again.exit_code == 0 and "0 finished, 0 still waiting" in again.output
    assert fake.created["refund"] == 1
    assert "0 waiting" in cli.invoke(main, ["card", "cancel-refunds", "--as", "society"]).output


def test_the_page_lists_them_for_whom_it_may_and_finishes_them_with_its_button(web, fake):
    async def leave():
        _, _, req, _ = await _left_waiting(fake)
        return req.receipt_no

    receipt_no = web.run(leave)
    # the operator's counter page shows it with the button; operator2's (another counter) does not
    web.login("operator2")
    assert receipt_no not in web.get("/counter").text and receipt_no not in web.get("/card-refunds").text
    web.logout()
    web.login("lsp")
    page = web.get("/card-refunds")
    assert page.status_code == 200 and receipt_no in page.text and "JP-LM-001" in page.text
    web.logout()
    for username in ("officer", "citizen", "state"):
        web.login(username)
        assert web.get("/card-refunds").status_code == 403
        web.logout()
    web.login("operator1")
    home = web.get("/counter")
    assert receipt_no in home.text and "Refunds to the card waiting" in home.text and 'action="/card-refunds/finish"' in home.text
    web.logout()

    web.login("society")
    page = web.get("/card-refunds")
    assert "Refunds to the card waiting" in page.text and receipt_no in page.text and "₹266.40" in page.text
    assert "Stripe did not refund it yet: finish it" in page.text and "fake 500" in page.text
    assert web.post("/card-refunds/finish", data={"receipt_no": receipt_no}).status_code == 403  # no CSRF token: nothing done
    assert fake.created["refund"] == 0
    web.get("/lang/hi")
    assert "कार्ड पर रिफंड बाकी" in web.get("/card-refunds").text
    web.get("/lang/en")
    fake.fail("create_refund", "500", times=2)  # still down
    still = web.post_form("/card-refunds/finish", {"receipt_no": receipt_no}, token_from="/card-refunds")
    assert still.status_code == 200 and "Still failing: try again later" in still.text and receipt_no in still.text
    done = web.post_form("/card-refunds/finish", {}, token_from="/card-refunds")  # "Finish them all"
    assert done.status_code == 200 and "Finished" in done.text and "Refunded ₹266.40 to the card" in done.text
    assert "No refund to the card is waiting." in done.text and fake.created["refund"] == 1
    again = web.post_form("/card-refunds/finish", {"receipt_no": receipt_no}, token_from="/card-refunds")
    assert "Nothing was waiting for receipt" in again.text and fake.created["refund"] == 1
    assert web.run(lambda: Payment.filter(method="card_refund").count()) == 1
    assert "refunded to the card ₹266.40" in web.get(f"/receipts/{receipt_no}").text
    outbox = web.get("/admin/outbox")  # the citizen's SMS, in the Society's outbox
    assert outbox.status_code == 200 and "Booking refunded to the card" in outbox.text


def test_the_page_shows_stripe_has_refunded_once_stripes_event_came(web, fake):
    async def leave():
        _, _, req, payment = await _left_waiting(fake, "drop")
        assert await card.handle_event(fake.refunded_event(payment.reference)) == "cancel_refund_not_booked_yet"
        return req.receipt_no

    receipt_no = web.run(leave)
    web.login("lsp")
    page = web.get("/card-refunds")
    assert receipt_no in page.text and "Stripe has refunded: finish it" in page.text
    web.get("/lang/hi")
    assert "Stripe ने रिफंड कर दिया है: इसे पूरा करें" in web.get("/card-refunds").text
    assert web.run(lambda: ServiceRequest.get(receipt_no=receipt_no)).status == RequestStatus.SUBMITTED  # not booked by the event
    done = web.post_form("/card-refunds/finish", {"receipt_no": receipt_no}, token_from="/card-refunds")
    assert "पूरा हुआ" in done.text and fake.created["refund"] == 1
    assert web.run(lambda: ServiceRequest.get(receipt_no=receipt_no)).status == RequestStatus.CANCELLED

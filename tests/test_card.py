"""Card payments through Stripe, with the real ``stripe`` library talking to a fake Stripe on
127.0.0.1 (tests/fake_stripe.py): the counter, the webhook, the API, refunds, and the faults a
network brings (a 500, a timeout, an answer lost after the charge was made)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tortoise.functions import Sum

sys.path.insert(0, str(Path(__file__).parent))

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import ledger, refunds, stripe_api  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.models import (AuditLog, Citizen, Counter, LedgerEntry, Payment, Posting, ProcessedEvent,  # noqa: E402
                                RequestStatus, ServiceRequest, User)
from emitra.core.payment_methods import card  # noqa: E402
from emitra.core.plugins import get_host  # noqa: E402

BILL, K, DUE = "gov.rj.jvvnl.bill", "210412345678", 148_350  # ₹1,483.50; the Rs 3.95 charge is paid by JVVNL
JVVNL = "dept_payable:jaipur-vidyut-vitran-nigam-ltd-jvvnl"
GRIEVANCE = "gov.rj.sampark.grievance"  # Rs 5, paid by the citizen: all of it service charge
LSP_ACCOUNT = "acct_1PinkCityLSP"
EMITRA = str(Path(sys.executable).parent / "emitra")


async def _ctx(username="operator1"):
    user = await User.get(username=username)
    return Actor(user), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


async def _balances(request_id: int) -> dict[str, int]:
    """Every account the request's entries touched, with its balance from those entries."""
    out: dict[str, int] = {}
    for account, amount in await Posting.filter(entry__request_id=request_id).values_list("account", "amount_paise"):
        out[account] = out.get(account, 0) + amount
    return out


async def _books() -> dict[str, int]:
    rows = await Posting.all().group_by("account").annotate(total=Sum("amount_paise")).values("account", "total")
    return {r["account"]: int(r["total"]) for r in rows if int(r["total"])}


async def _pay_bill_by_card(key: str, k: str = K):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": k}, key, "card")
    return req, await Payment.get(request=req)


async def _kiosk_grievance(key: str, monkeypatch):
    """A Rs 5 grievance at the kiosk whose fee is split LSP 30% / owner 50% / Society 20%, the
    LSP's share going to its Stripe connected account."""
    actor, _, citizen = await _ctx("operator2")
    kiosk = await Counter.get(code="JP-JM-001")
    kiosk.split_lsp_bp, kiosk.split_owner_bp, kiosk.split_society_bp = 3000, 5000, 2000
    await kiosk.save()
    monkeypatch.setenv("EMITRA_STRIPE_LSP_ACCOUNTS", f"{kiosk.lsp_id}={LSP_ACCOUNT}")
    req = await counter_core.record_payment(actor, kiosk, citizen, GRIEVANCE, get_host().registry.get(GRIEVANCE).example, key, "card")
    return req, await Payment.get(request=req), kiosk


# --- the flow in the core ----------------------------------------------------------------------------

@pytest.mark.anyio
async def test_a_bill_paid_by_card_waits_for_stripe_then_is_paid_and_handed_over(demo_db, fake):
    req, payment = await _pay_bill_by_card("card-1")
    assert req.status == RequestStatus.PAYMENT_PENDING and req.department_ref == ""
    intent = fake.intents[payment.reference]  # the intent's id is saved on the payment
    assert intent["amount"] == DUE and intent["currency"] == "inr" and intent["metadata"]["receipt_no"] == req.receipt_no
    assert payment.details["client_secret"] == intent["client_secret"] and payment.details["stripe_state"] == "created"
    assert [c[2] for c in fake.calls] == [f"emitra-pi-{req.receipt_no}"]  # the key comes from our receipt number
    assert "transfer_data" not in intent or intent["transfer_data"] is None  # JVVNL pays the charge: nothing is the LSP's
    assert await LedgerEntry.filter(request_id=req.id).count() == 0  # not our money yet
    actions = await AuditLog.filter(object_type="Payment", object_id=str(payment.id)).order_by("id").values_list("action", flat=True)
    assert actions[:2] == ["card.intent_requested", "card.intent_created"]  # the marker was written before Stripe was asked

    outcome = await card.handle_event(fake.pay(payment.reference))
    assert outcome == "confirmed"
    done = await ServiceRequest.get(id=req.id)
    assert done.status == RequestStatus.SUBMITTED and done.department_ref.startswith("JVVNL-ACK-")
    assert await ledger.balance("escrow:card") == DUE and await ledger.balance(JVVNL) == -DUE
    assert (await Payment.get(id=payment.id)).status == "received"
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_the_lsp_share_travels_as_a_destination_charge(demo_db, fake, monkeypatch):
    req, payment, kiosk = await _kiosk_grievance("card-dest", monkeypatch)
    intent = fake.intents[payment.reference]
    assert intent["transfer_data"] == {"destination": LSP_ACCOUNT}
    assert intent["amount"] == 500 and intent["application_fee_amount"] == 350  # the LSP's 30% (₹1.50) goes to its account
    await card.handle_event(fake.pay(payment.reference))
    lsp = f"lsp_fee_payable:{kiosk.lsp_id}"
    assert await _balances(req.id) == {"escrow:card": 350, lsp: 0, "owner_fee_payable:JP-JM-001": -250, "society_fee_income": -100}
    moved = [t for t in fake.balance if t["type"] == "transfer"]
    assert [t["amount"] for t in moved] == [-150]  # Stripe moved exactly what the ledger says
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_declined_card_cancels_the_intent_and_fails_the_request(demo_db, fake):
    req, payment = await _pay_bill_by_card("card-decl")
    outcome = await card.handle_event(fake.pay(payment.reference, "pm_card_chargeDeclined"))
    assert outcome == "failed"
    assert fake.intents[payment.reference]["status"] == "canceled"  # no later attempt can succeed on it
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.PAYMENT_FAILED
    failed = await Payment.get(id=payment.id)
    assert failed.status == "failed" and "Your card was declined" in failed.details["failure"]
    assert await _balances(req.id) == {} and (await ledger.check())["balanced"]


# --- exactly once, whatever the order -----------------------------------------------------------------

@pytest.mark.anyio
async def test_repeated_and_reordered_events_leave_the_same_books(demo_db, fake, monkeypatch):
    # A: the events in order, once each
    a, pay_a, _ = await _kiosk_grievance("order-a", monkeypatch)
    await card.handle_event(fake.pay(pay_a.reference))
    in_order = await _balances(a.id)

    # B: a declined attempt, then a good card, but Stripe delivers the decline late; everything twice
    b, pay_b, _ = await _kiosk_grievance("order-b", monkeypatch)
    declined = fake.pay(pay_b.reference, "pm_card_chargeDeclined")
    succeeded = fake.pay(pay_b.reference)
    for event in (succeeded, declined, succeeded, declined):
        await card.handle_event(event)
    assert await _balances(b.id) == in_order
    assert (await ServiceRequest.get(id=b.id)).status == RequestStatus.SUBMITTED

    # C: the decline arrives first, while Stripe already has the success: confirmed, not failed
    c, pay_c, _ = await _kiosk_grievance("order-c", monkeypatch)
    declined = fake.pay(pay_c.reference, "pm_card_chargeDeclined")
    succeeded = fake.pay(pay_c.reference)
    assert await card.handle_event(declined) == "confirmed"
    await card.handle_event(succeeded)
    assert await _balances(c.id) == in_order
    assert await ProcessedEvent.filter(provider="stripe").count() == 5  # a.s, b.s, b.d, c.d, c.s: each event once

    # D: refunded at Stripe, and charge.refunded arrives before payment_intent.succeeded, twice
    d, pay_d, _ = await _kiosk_grievance("order-d", monkeypatch)
    succeeded = fake.pay(pay_d.reference)
    fake.create_refund({"payment_intent": pay_d.reference, "reverse_transfer": "true"})
    refunded = fake.refunded_event(pay_d.reference)
    for event in (refunded, succeeded, refunded):
        await card.handle_event(event)
    # E: the same, in order, the refund asked by us
    e, pay_e, _ = await _kiosk_grievance("order-e", monkeypatch)
    await card.handle_event(fake.pay(pay_e.reference))
    await refunds.refund(Actor(await User.get(username="society")), e.receipt_no)
    await card.handle_event(fake.refunded_event(pay_e.reference))
    assert await _balances(d.id) == await _balances(e.id)
    assert set((await _balances(d.id)).values()) == {0}  # refunded in full: every account back where it was
    for r in (d, e):
        assert (await ServiceRequest.get(id=r.id)).status == RequestStatus.CANCELLED
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_success_after_the_payment_was_failed_is_refunded_not_booked(demo_db, fake):
    req, payment = await _pay_bill_by_card("late-1")
    await counter_core.fail_payment(Actor(await User.get(username="society")), payment, "citizen left; paid cash on a new receipt")
    books = await _books()
    succeeded = fake.pay(payment.reference)
    assert await card.handle_event(succeeded) == "late_success_refunded"
    assert await card.handle_event(succeeded) == "duplicate"
    assert [r["amount"] for r in fake.refunds.values()] == [DUE]  # the citizen's money goes back, once
    assert await card.handle_event(fake.refunded_event(payment.reference)) == "not_booked_failed"
    assert await _books() == books and (await ServiceRequest.get(id=req.id)).status == RequestStatus.PAYMENT_FAILED
    assert (await ledger.check())["balanced"]


# --- refunds ------------------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_a_refund_posts_one_balanced_mirror_entry_and_is_asked_of_stripe_once(demo_db, fake):
    req, payment = await _pay_bill_by_card("refund-1")
    await card.handle_event(fake.pay(payment.reference))
    society = Actor(await User.get(username="society"))
    refunded = await refunds.refund(society, req.receipt_no)
    assert refunded.status == "refunded"
    entry = await LedgerEntry.get(idempotency_key=f"refund:{req.receipt_no}")
    lines = dict(await Posting.filter(entry=entry).values_list("account", "amount_paise"))
    assert lines == {JVVNL: DUE, "escrow:card": -DUE, "dept_fee_receivable:jaipur-vidyut-vitran-nigam-ltd-jvvnl": -395,
                     "lsp_fee_payable:1": 395}
    assert sum(lines.values()) == 0
    await refunds.refund(society, req.receipt_no)  # asking again refunds nothing more
    assert await card.handle_event(fake.refunded_event(payment.reference)) == "already_refunded"
    assert fake.created["refund"] == 1 and [c[2] for c in fake.calls if c[1] == "/v1/refunds"] == [f"emitra-refund-{req.receipt_no}"]
    assert await LedgerEntry.filter(request_id=req.id).count() == 2
    assert set((await _balances(req.id)).values()) == {0}
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.CANCELLED
    assert await AuditLog.filter(action="payment.refunded").count() == 1
    with pytest.raises(refunds.RefundError, match="nothing to refund"):
        pending, _ = await _pay_bill_by_card("refund-2", "210412345679")
        await refunds.refund(society, pending.receipt_no)
    # Stripe's own records, read back in paise
    rows = await stripe_api.balance_transactions(stripe_api.settings())
    assert [(r["type"], r["amount_paise"]) for r in rows] == [("charge", DUE), ("refund", -DUE)]
    assert rows[0]["fee_paise"] == DUE * 2 // 100 and rows[0]["net_paise"] == DUE - DUE * 2 // 100
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_partial_refund_from_the_dashboard_is_left_to_the_society(demo_db, fake):
    req, payment = await _pay_bill_by_card("partial-1")
    await card.handle_event(fake.pay(payment.reference))
    books = await _books()
    fake.create_refund({"payment_intent": payment.reference, "amount": "10000"})
    assert await card.handle_event(fake.refunded_event(payment.reference)) == "partial_refund_for_the_society"
    assert await _books() == books and await AuditLog.filter(action="card.partial_refund").count() == 1
    fake.create_refund({"payment_intent": payment.reference})  # the rest: now refunded in full
    assert await card.handle_event(fake.refunded_event(payment.reference)) == "refunded"
    assert set((await _balances(req.id)).values()) == {0}


# --- faults -------------------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_a_500_from_stripe_fails_the_payment_cleanly(demo_db, fake):
    fake.fail("create_intent", "500", times=2)  # the library retries once; both fail
    actor, counter, citizen = await _ctx()
    with pytest.raises(card.CardUnavailable) as caught:
        await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": K}, "f-500", "card")
    assert not caught.value.retry_same_key and "Stripe refused to start the card payment (500" in caught.value.message_en
    req = await ServiceRequest.get(idempotency_key="f-500")
    assert caught.value.receipt_no == req.receipt_no and req.status == RequestStatus.PAYMENT_FAILED
    payment = await Payment.get(request=req)
    assert payment.status == "failed" and payment.reference == "" and payment.details["stripe_state"] == "refused"
    assert fake.created["payment_intent"] == 0 and await LedgerEntry.filter(request_id=req.id).count() == 0
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_timeout_then_a_retry_with_the_same_key_makes_one_intent(demo_db, fake, monkeypatch):
    monkeypatch.setenv("EMITRA_STRIPE_MAX_RETRIES", "0")
    monkeypatch.setenv("EMITRA_STRIPE_TIMEOUT", "0.5")
    fake.fail("create_intent", "timeout", delay=1.5)  # Stripe makes it, and answers too late
    with pytest.raises(card.CardUnavailable) as caught:
        await _pay_bill_by_card("f-timeout")
    assert caught.value.retry_same_key and "press the button again" in caught.value.message_en
    req = await ServiceRequest.get(idempotency_key="f-timeout")
    payment = await Payment.get(request=req)
    assert req.status == RequestStatus.PAYMENT_PENDING and payment.status == "pending" and payment.reference == ""
    assert payment.details["stripe_state"] == "unknown" and payment.details["stripe_idempotency_key"] == f"emitra-pi-{req.receipt_no}"
    assert fake.created["payment_intent"] == 1

    # the operator presses the button again: the same request, the same key
    again = await counter_core.record_payment(*(await _ctx()), BILL, {"k_number": K}, "f-timeout", "card")
    payment = await card.ensure_started(again)
    assert fake.created["payment_intent"] == 1 and list(fake.intents) == [payment.reference]
    assert payment.details["stripe_state"] == "created" and payment.details["client_secret"]
    await card.handle_event(fake.pay(payment.reference))
    assert await ledger.balance("escrow:card") == DUE and (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_an_answer_lost_after_the_charge_was_made_is_recovered_by_the_librarys_retry(demo_db, fake):
    fake.fail("create_intent", "drop")
    req, payment = await _pay_bill_by_card("f-drop")
    posts = [c for c in fake.calls if c[1] == "/v1/payment_intents"]
    assert len(posts) == 2 and posts[0][2] == posts[1][2] == f"emitra-pi-{req.receipt_no}"  # retried with our key
    assert fake.created["payment_intent"] == 1 and payment.reference in fake.intents


@pytest.mark.anyio
async def test_a_webhook_stripe_cannot_be_asked_about_is_not_applied_yet(demo_db, fake):
    req, payment = await _pay_bill_by_card("f-cancel")
    declined = fake.pay(payment.reference, "pm_card_chargeDeclined")
    fake.fail("cancel_intent", "500", times=2)
    with pytest.raises(card.TryLater):
        await card.handle_event(declined)
    assert (await Payment.get(id=payment.id)).status == "pending" and await ProcessedEvent.all().count() == 0
    assert await card.handle_event(declined) == "failed"  # delivered again later


def test_settings_name_the_variable_that_is_wrong(monkeypatch):
    monkeypatch.setenv("EMITRA_STRIPE_API_KEY", "sk_test_x")
    monkeypatch.setenv("EMITRA_STRIPE_LSP_ACCOUNTS", "1=acct_A1, 2=acct_B2")
    assert dict(stripe_api.settings().lsp_accounts) == {1: "acct_A1", 2: "acct_B2"}
    monkeypatch.setenv("EMITRA_STRIPE_LSP_ACCOUNTS", "1=acct_A1,two=acct_B2")
    with pytest.raises(stripe_api.StripeConfigError, match="EMITRA_STRIPE_LSP_ACCOUNTS: 'two=acct_B2'"):
        stripe_api.settings()
    assert stripe_api.minor_units(148_350) == 148_350
    for bad in (1.5, True, -1):
        with pytest.raises((TypeError, ValueError)):
            stripe_api.minor_units(bad)
    with pytest.raises(ValueError, match="INR only"):
        stripe_api.minor_units(100, "usd")


# --- through the web ----------------------------------------------------------------------------------

def _ramesh(web) -> str:
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def _confirm(web, eid, k=K):
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    confirm = web.post_form(form_url, {"k_number": k}, token_from=form_url)
    assert confirm.status_code == 200, confirm.text
    return form_url, confirm


def _form_of(page_text, method):
    form = re.search(rf'<form[^>]*id="pay-{method}".*?</form>', page_text, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def _deliver(web, fake, event, secret=None, timestamp=None, headers=None):
    body, signed = fake.signed(event, secret, timestamp)
    return web.client.post("/webhooks/stripe", content=body, headers=headers if headers is not None else signed)


def _state(web, receipt_no):
    async def read():
        req = await ServiceRequest.get(receipt_no=receipt_no)
        payment = await Payment.get(request=req)
        return {"request": req.status.value, "payment": payment.status, "reference": payment.reference,
                "books": await _books(), "events": await ProcessedEvent.all().count(), "balanced": (await ledger.check())["balanced"]}

    return web.run(read)


def test_the_operator_takes_a_card_and_the_webhook_completes_it(web, fake):
    web.login("operator1")
    eid = _ramesh(web)
    form_url, confirm = _confirm(web, eid)
    assert "Take the payment by card" in confirm.text
    done = web.client.post(form_url + "/pay", data={**_form_of(confirm.text, "card"), "method": "card"})
    assert done.status_code == 303, done.text
    receipt = web.get(done.headers["location"])
    receipt_no = re.search(r'id="receipt-no">([A-Z0-9]+)<', receipt.text).group(1)
    state = _state(web, receipt_no)
    intent = fake.intents[state["reference"]]
    assert "Awaiting the card payment" in receipt.text and "Total due from the citizen" in receipt.text
    assert intent["id"] in receipt.text and intent["client_secret"] in receipt.text
    assert state["request"] == "payment_pending" and state["books"] == {}

    # a forged or stale webhook is refused and changes nothing
    event = fake.pay(intent["id"])
    assert _deliver(web, fake, event, secret="whsec_somebody_else").status_code == 400
    assert _deliver(web, fake, event, timestamp=int(time.time()) - 3600).status_code == 400
    assert _deliver(web, fake, event, headers={"Content-Type": "application/json"}).status_code == 400
    assert _state(web, receipt_no) == state

    first = _deliver(web, fake, event)
    assert first.status_code == 200 and first.json()["outcome"] == "confirmed"
    paid = _state(web, receipt_no)
    assert paid["request"] == "submitted" and paid["payment"] == "received" and paid["books"]["escrow:card"] == DUE
    assert _deliver(web, fake, event).status_code == 200  # Stripe delivers it again: nothing changes
    assert _state(web, receipt_no) == paid
    page = web.get(done.headers["location"])
    assert "Paid" in page.text and "JVVNL-ACK-" in page.text and intent["client_secret"] not in page.text
    ignored = _deliver(web, fake, fake.event("customer.created", {"id": "cus_1"}))
    assert ignored.status_code == 200 and ignored.json()["outcome"] == "ignored"


def test_a_stripe_error_gives_the_operator_a_clear_message_and_a_fresh_confirmation(web, fake):
    fake.fail("create_intent", "500", times=2)
    web.login("operator1")
    eid = _ramesh(web)
    form_url, confirm = _confirm(web, eid)
    fields = _form_of(confirm.text, "card")
    failed = web.client.post(form_url + "/pay", data={**fields, "method": "card"})
    assert failed.status_code == 400
    assert "Stripe refused to start the card payment (500" in failed.text and "Nothing was charged" in failed.text
    fresh = _form_of(failed.text, "cash")
    assert fresh["idempotency_key"] != fields["idempotency_key"]  # the failed attempt is closed; a new one can start
    cash = web.client.post(form_url + "/pay", data={**fresh, "tendered": ""})
    assert cash.status_code == 303
    assert web.run(lambda: ServiceRequest.filter(status=RequestStatus.PAYMENT_FAILED).count()) == 1
    assert web.run(lambda: Posting.filter(account="escrow:card").count()) == 0 and fake.created["payment_intent"] == 0


def test_the_operator_presses_again_after_a_timeout_and_gets_the_same_intent(web, fake, monkeypatch):
    monkeypatch.setenv("EMITRA_STRIPE_MAX_RETRIES", "0")
    monkeypatch.setenv("EMITRA_STRIPE_TIMEOUT", "0.5")
    fake.fail("create_intent", "timeout", delay=1.5)
    web.login("operator1")
    form_url, confirm = _confirm(web, _ramesh(web))
    fields = {**_form_of(confirm.text, "card"), "method": "card"}
    slow = web.client.post(form_url + "/pay", data=fields)
    assert slow.status_code == 400 and "Stripe did not answer in time" in slow.text
    assert _form_of(slow.text, "card")["idempotency_key"] == fields["idempotency_key"]
    again = web.client.post(form_url + "/pay", data=fields)
    assert again.status_code == 303
    assert fake.created["payment_intent"] == 1 and list(fake.intents)[0] in web.get(again.headers["location"]).text


def test_the_card_is_not_offered_when_stripe_is_not_configured(web, monkeypatch):
    monkeypatch.delenv("EMITRA_STRIPE_API_KEY", raising=False)
    web.login("operator1")
    form_url, confirm = _confirm(web, _ramesh(web))
    assert "Take the payment by card" not in confirm.text
    refused = web.client.post(form_url + "/pay", data={**_form_of(confirm.text, "cash"), "method": "card"})
    assert refused.status_code == 400 and "Choose how the citizen pays" in refused.text
    assert web.run(ServiceRequest.all().count) == 0
    h = web.api_token("operator1")
    api = web.post("/api/v1/transactions", headers=h, json={"citizen": _ramesh(web), "service_code": BILL, "form": {"k_number": K},
                                                          "payment": {"method": "card", "amount_paise": DUE}, "idempotency_key": "api-off"})
    assert api.status_code == 422 and api.json()["error"]["fields"][0]["field"] == "payment.method"


def test_the_api_takes_a_card_payment_and_a_replay_after_a_timeout_finishes_it(web, fake, monkeypatch):
    h = web.api_token("operator1")
    body = {"citizen": _ramesh(web), "service_code": BILL, "form": {"k_number": K},
            "payment": {"method": "card", "amount_paise": DUE}, "idempotency_key": "api-card-1"}
    created = web.post("/api/v1/transactions", headers=h, json=body)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["status"] == "payment_pending" and out["payment"]["method"] == "card" and out["payment"]["status"] == "pending"
    intent = fake.intents[out["payment"]["reference"]]
    assert out["payment"]["details"]["client_secret"] == intent["client_secret"]

    monkeypatch.setenv("EMITRA_STRIPE_MAX_RETRIES", "0")
    monkeypatch.setenv("EMITRA_STRIPE_TIMEOUT", "0.5")
    fake.fail("create_intent", "timeout", delay=1.5)
    second = {**body, "form": {"k_number": "210412345679"}, "idempotency_key": "api-card-2",
              "payment": {"method": "card", "amount_paise": r_amount(web, h, "210412345679")}}
    slow = web.post("/api/v1/transactions", headers=h, json=second)
    assert slow.status_code == 503 and slow.json()["error"]["code"] == "card_unavailable"
    assert "press the button again" in slow.json()["error"]["message"]
    replay = web.post("/api/v1/transactions", headers=h, json=second)
    assert replay.status_code == 200 and replay.json()["payment"]["details"]["client_secret"]
    assert fake.created["payment_intent"] == 2
    _deliver(web, fake, fake.pay(replay.json()["payment"]["reference"]))
    assert web.get(f"/api/v1/transactions/{replay.json()['receipt_no']}", headers=h).json()["status"] == "submitted"


def test_the_books_balance_at_the_end_by_the_command_line(web, fake):
    h = web.api_token("operator1")
    eid = _ramesh(web)
    receipts = []
    for i, k in enumerate((K, "210412345679")):
        r = web.post("/api/v1/transactions", headers=h, json={"citizen": eid, "service_code": BILL, "form": {"k_number": k},
                                                              "payment": {"method": "card", "amount_paise": r_amount(web, h, k)},
                                                              "idempotency_key": f"cli-{i}"})
        assert r.status_code == 201, r.text
        receipts.append(r.json())
        assert _deliver(web, fake, fake.pay(r.json()["payment"]["reference"])).status_code == 200
    receipt_no = receipts[0]["receipt_no"]
    cli = lambda *args: subprocess.run([EMITRA, *args], capture_output=True, text=True, env=dict(os.environ), timeout=120)  # noqa: E731
    refused = cli("card", "refund", receipt_no, "--as", "operator1")
    assert refused.returncode != 0 and "Only the district Society's admin refunds card payments" in refused.stderr
    done = cli("card", "refund", receipt_no, "--as", "society")
    assert done.returncode == 0 and f"{receipt_no}: refunded" in done.stdout, done.stderr
    assert _deliver(web, fake, fake.refunded_event(receipts[0]["payment"]["reference"])).json()["outcome"] == "already_refunded"
    h_lsp = web.api_token("operator1")
    assert web.get(f"/api/v1/transactions/{receipt_no}", headers=h_lsp).json()["status"] == "cancelled"
    web.login("operator1")
    assert "refunded to the card" in web.get(f"/receipts/{receipt_no}").text
    out = cli("ledger", "check", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout)
    assert result["balanced"] and result["imbalance_paise"] == 0 and not result["problems"]


def r_amount(web, h, k):
    quote = web.post("/api/v1/quotes", headers=h, json={"service_code": BILL, "form": {"k_number": k}})
    return quote.json()["citizen_total_paise"]

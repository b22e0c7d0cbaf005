"""The citizen left without paying: the counter withdraws an awaited card or UPI payment.

Before, a card or UPI payment the citizen never made stayed ``payment_pending`` for ever: the
operator could not cancel it (nothing had been received to refund) and the receipt said "Total due"
with a live QR code or card intent the citizen could still pay later. Withdrawn, the card's
PaymentIntent is cancelled at Stripe (the fake server on 127.0.0.1, through the real library), the
payment fails as a decline fails it (nothing posted, the bill due again), and a confirmation
arriving afterwards is never booked."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import clock, ledger  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.models import AuditLog, Citizen, Counter, LedgerEntry, Payment, RequestStatus, ServiceRequest, User  # noqa: E402
from emitra.core.payment_methods import card  # noqa: E402
from emitra.core.payment_methods.cheque import CHEQUE  # noqa: E402
from emitra.core.plugins import get_host  # noqa: E402
from emitra.web.webhooks_upi import sign  # noqa: E402

BILL, K, DUE = "gov.rj.jvvnl.bill", "210412345678", 148_350
GRIEVANCE = "gov.rj.sampark.grievance"
SECRET = "upi-test-secret"


async def _ctx(username="operator1"):
    user = await User.get(username=username)
    return Actor(user), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


async def _pay_bill(key: str, method: str, k: str = K, details: dict | None = None):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": k}, key, method, payment_details=details)
    return actor, counter, req, await Payment.get(request=req)


# --- the core --------------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_a_withdrawn_card_payment_is_cancelled_at_stripe_and_never_booked(demo_db, fake):
    actor, counter, req, payment = await _pay_bill("wd-card-1", "card")
    entries = await LedgerEntry.all().count()
    done, outcome = await counter_core.withdraw_payment(actor, counter, req, "  citizen   had no card  ")
    assert outcome == "withdrawn" and done.status == RequestStatus.PAYMENT_FAILED
    assert fake.intents[payment.reference]["status"] == "canceled"  # nothing can be charged on it any more
    failed = await Payment.get(id=payment.id)
    assert failed.status == "failed" and failed.details["failure"] == "withdrawn at the counter: citizen had no card"
    assert await LedgerEntry.all().count() == entries and (await ledger.check())["balanced"]
    record = await AuditLog.filter(action="payment.failed", object_id=str(payment.id)).first()
    assert record is not None and record.actor_name == "operator1" and "withdrawn at the counter" in json.dumps(record.detail)
    # twice (a double click): nothing more happens
    again, outcome = await counter_core.withdraw_payment(actor, counter, await ServiceRequest.get(id=req.id))
    assert outcome == "withdrawn" and again.status == RequestStatus.PAYMENT_FAILED
    assert await AuditLog.filter(action="payment.failed", object_id=str(payment.id)).count() == 1
    # the bill is due again: a new payment for it is taken
    _, _, second, _ = await _pay_bill("wd-card-1-cash", "cash")
    assert second.status == RequestStatus.SUBMITTED


@pytest.mark.anyio
async def test_a_card_the_citizen_did_pay_is_confirmed_not_withdrawn(demo_db, fake):
    actor, counter, req, payment = await _pay_bill("wd-card-2", "card")
    late = fake.pay(payment.reference)  # paid at the terminal; Stripe's webhook has not arrived yet
    done, outcome = await counter_core.withdraw_payment(actor, counter, req)
    assert outcome == "paid" and done.status == RequestStatus.SUBMITTED and done.department_ref
    assert (await Payment.get(id=payment.id)).status == "received" and await ledger.balance("escrow:card") == DUE
    books = await LedgerEntry.all().count()
    assert await card.handle_event(late) == "confirmed"  # the webhook, late: booked once only
    assert await LedgerEntry.all().count() == books and (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_stripe_silent_changes_nothing_and_says_try_again(demo_db, fake, monkeypatch):
    monkeypatch.setenv("EMITRA_STRIPE_MAX_RETRIES", "0")
    actor, counter, req, payment = await _pay_bill("wd-card-3", "card")
    fake.fail("cancel_intent", "500", times=1)
    with pytest.raises(counter_core.ProviderBusy) as caught:
        await counter_core.withdraw_payment(actor, counter, req)
    assert caught.value.field == "payment" and "Stripe did not answer" in caught.value.message_en and caught.value.message_hi
    assert (await Payment.get(id=payment.id)).status == "pending" and fake.intents[payment.reference]["status"] != "canceled"
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.PAYMENT_PENDING
    _, outcome = await counter_core.withdraw_payment(actor, counter, req)  # a minute later
    assert outcome == "withdrawn"


@pytest.mark.anyio
async def test_only_an_awaited_card_or_upi_payment_at_ones_own_counter_can_be_withdrawn(demo_db, fake):
    actor, counter, cash, _ = await _pay_bill("wd-cash", "cash")
    with pytest.raises(counter_core.CounterError) as caught:
        await counter_core.withdraw_payment(actor, counter, cash)
    assert caught.value.field == "payment" and "Only a card or UPI payment that is still awaited" in caught.value.message_en
    cheque = CHEQUE.check_details({"instrument_no": "004512", "bank_name": "State Bank of India", "ifsc": "SBIN0001234",
                                   "instrument_date": clock.today().isoformat(), "drawer_name": "Ramesh Kumar Sharma"})
    _, _, by_cheque, instrument = await _pay_bill("wd-cheque", "cheque", "210412345679", cheque)
    with pytest.raises(counter_core.CounterError):  # a cheque is the bank's to clear or bounce
        await counter_core.withdraw_payment(actor, counter, by_cheque)
    assert (await Payment.get(id=instrument.id)).status == "pending"
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    grievance = get_host().registry.get(GRIEVANCE)
    upi_req = await counter_core.record_payment(actor, counter, citizen, GRIEVANCE, grievance.example, "wd-upi-other", "upi")
    upi_payment = await Payment.get(request=upi_req)
    other_actor, kiosk, _ = await _ctx("operator2")
    with pytest.raises(counter_core.CounterError) as caught:
        await counter_core.withdraw_payment(other_actor, kiosk, upi_req)
    assert caught.value.field == "receipt_no" and (await Payment.get(id=upi_payment.id)).status == "pending"


# --- the counter's page and the bank's late confirmation -----------------------------------------------

def _ramesh(web):
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def _start(web, key, method="upi", k=K):
    body = {"citizen": _ramesh(web), "service_code": BILL, "form": {"k_number": k}, "idempotency_key": key,
            "payment": {"method": method, "amount_paise": DUE if k == K else 62_000}}
    response = web.client.post("/api/v1/transactions", json=body, headers=web.api_token("operator1"))
    assert response.status_code == 201, response.text
    return response.json()["receipt_no"]


def _state(web, receipt_no):
    async def read():
        req = await ServiceRequest.get(receipt_no=receipt_no)
        payment = await Payment.get(request=req)
        return req.status.value, payment.status, await LedgerEntry.filter(request_id=req.id).count(), (await ledger.check())["balanced"]

    return web.run(read)


def test_the_operator_withdraws_an_unpaid_upi_payment_from_the_receipt(web, monkeypatch):
    monkeypatch.setenv("EMITRA_UPI_WEBHOOK_SECRET", SECRET)
    receipt_no = _start(web, "wd-upi-web")
    web.login("operator1")
    page = web.get(f"/receipts/{receipt_no}")
    assert "The citizen did not pay" in page.text and f'action="/receipts/{receipt_no}/withdraw"' in page.text
    assert web.post(f"/receipts/{receipt_no}/withdraw", data={"reason": "left"}).status_code == 403  # no CSRF token: refused
    assert _state(web, receipt_no)[:2] == ("payment_pending", "pending")
    done = web.post_form(f"/receipts/{receipt_no}/withdraw", {"reason": "citizen's phone had no balance"}, token_from=f"/receipts/{receipt_no}")
    assert done.status_code == 303 and done.headers["location"] == f"/receipts/{receipt_no}"
    done = web.get(f"/receipts/{receipt_no}")
    assert "Payment failed" in done.text and "withdrawn at the counter: citizen&#39;s phone had no balance" in done.text
    assert "<svg" not in done.text and "The citizen did not pay" not in done.text  # no QR code to pay, no second withdrawal
    assert _state(web, receipt_no) == ("payment_failed", "failed", 0, True)
    # the citizen's bank credits it after all: never booked, recorded for the Society to return
    raw = json.dumps({"event_id": "evt-wd-1", "reference": receipt_no, "amount_paise": DUE, "status": "SUCCESS", "utr": "612345000111"}).encode()
    late = web.client.post("/webhooks/upi", content=raw, headers={"content-type": "application/json", "x-upi-signature": "sha256=" + sign(raw, SECRET)})
    assert late.status_code == 200 and late.json()["applied"] is False
    assert _state(web, receipt_no) == ("payment_failed", "failed", 0, True)

    async def late_records():
        return [r.detail for r in await AuditLog.filter(action="upi.late_success")]

    assert [(d["receipt_no"], d["utr"], d["amount_paise"]) for d in web.run(late_records)] == [(receipt_no, "612345000111", DUE)]


def test_the_page_shows_why_a_withdrawal_was_refused(web, fake, monkeypatch):
    monkeypatch.setenv("EMITRA_STRIPE_MAX_RETRIES", "0")
    receipt_no = _start(web, "wd-card-web", "card")
    web.login("operator1")
    fake.fail("cancel_intent", "500", times=1)
    refused = web.post_form(f"/receipts/{receipt_no}/withdraw", {"reason": "no card"}, token_from=f"/receipts/{receipt_no}")
    assert refused.status_code == 400 and re.search(r'role="alert">Stripe did not answer', refused.text)
    assert 'value="no card"' in refused.text and _state(web, receipt_no)[:2] == ("payment_pending", "pending")
    web.logout()
    web.login("operator2")  # another counter's operator: no such receipt there
    assert web.post_form(f"/receipts/{receipt_no}/withdraw", {}, token_from="/counter").status_code == 404


def test_the_api_withdraws_once_and_names_what_it_refuses(web, fake, monkeypatch):
    monkeypatch.setenv("EMITRA_STRIPE_MAX_RETRIES", "0")
    receipt_no = _start(web, "wd-card-api", "card")
    headers = web.api_token("operator1")
    fake.fail("cancel_intent", "500", times=1)
    busy = web.client.post(f"/api/v1/transactions/{receipt_no}/withdraw", json={}, headers=headers)
    assert busy.status_code == 503 and busy.json()["error"]["fields"][0]["field"] == "payment"
    first = web.client.post(f"/api/v1/transactions/{receipt_no}/withdraw", json={"reason": "walked away"}, headers=headers)
    assert first.status_code == 200 and first.json()["withdrawal"] == "withdrawn" and first.json()["status"] == "payment_failed"
    again = web.client.post(f"/api/v1/transactions/{receipt_no}/withdraw", headers=headers)
    assert again.status_code == 200 and again.json()["withdrawal"] == "withdrawn"
    cash = web.client.post("/api/v1/transactions", headers=headers, json={
        "citizen": _ramesh(web), "service_code": BILL, "form": {"k_number": K}, "idempotency_key": "wd-api-cash",
        "payment": {"method": "cash", "amount_paise": DUE, "tendered_paise": DUE}})
    assert cash.status_code == 201, cash.text
    refused = web.client.post(f"/api/v1/transactions/{cash.json()['receipt_no']}/withdraw", headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "payment"
    elsewhere = web.client.post(f"/api/v1/transactions/{receipt_no}/withdraw", headers=web.api_token("operator2"))
    assert elsewhere.status_code == 404

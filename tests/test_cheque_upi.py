"""Cheques, demand drafts and UPI: pending payments confirmed or failed exactly once, as the counter,
the Society, the bank's webhook and an API caller see them."""

import datetime as dt
import html
import json
import logging
import re

import pytest

from emitra.core import clock, ledger
from emitra.core import counter as counter_core
from emitra.core.audit import Actor
from emitra.core.forms import FormErrors
from emitra.core.models import (AuditLog, Citizen, Counter, LedgerEntry, Payment, Posting, ProcessedEvent, RequestStatus,
                                ServiceRequest, User)
from emitra.core.payment_methods import cheque, upi
from emitra.web.webhooks_upi import sign

BILL, K, DUE = "gov.rj.jvvnl.bill", "210412345678", 148_350  # ₹1,483.50, Rs 3.95 paid by JVVNL
JVVNL = "dept_payable:jaipur-vidyut-vitran-nigam-ltd-jvvnl"
SECRET = "upi-test-secret"


def instrument(**changes):
    today = clock.today()
    return {"instrument_no": "004512", "bank_name": "State Bank of India", "ifsc": "SBIN0001234",
            "instrument_date": (today - dt.timedelta(days=3)).isoformat(), "drawer_name": "Ramesh Kumar Sharma", **changes}


async def _ctx(username="operator1"):
    user = await User.get(username=username)
    return Actor(user), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


async def _balances(request_id: int) -> dict[str, int]:
    """Every account the request's entries touched, with its balance from those entries."""
    out: dict[str, int] = {}
    for account, amount in await Posting.filter(entry__request_id=request_id).values_list("account", "amount_paise"):
        out[account] = out.get(account, 0) + amount
    return out


# --- cheques and drafts in the core --------------------------------------------------------------

@pytest.mark.anyio
async def test_a_cheque_goes_to_clearing_and_the_bill_is_handed_over_only_when_cleared(demo_db):
    actor, counter, citizen = await _ctx()
    details = cheque.CHEQUE.check_details(instrument())
    req = await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": K}, "chq-1", "cheque", payment_details=details)
    assert req.status == RequestStatus.PAYMENT_PENDING and req.department_ref == ""  # not handed to JVVNL yet
    assert await ledger.balance("cheques_in_clearing:JP-LM-001") == DUE  # posted at once: the cheque is in hand
    assert await ledger.balance(JVVNL) == -DUE and await ledger.balance("society_bank") == 0
    payment = await Payment.get(request=req)
    assert payment.status == "pending" and payment.reference == "CHEQUE 004512 SBIN0001234"

    done = await cheque.clear(Actor(await User.get(username="society")), payment)
    assert done.status == RequestStatus.SUBMITTED and done.department_ref.startswith("JVVNL-ACK-")
    assert await ledger.balance("cheques_in_clearing:JP-LM-001") == 0 and await ledger.balance("society_bank") == DUE
    assert (await Payment.get(id=payment.id)).status == "cleared"
    entries = await LedgerEntry.all().count()
    await cheque.clear(Actor(None), payment)  # clearing twice changes nothing
    await cheque.bounce(Actor(None), payment, "too late")  # nor does a bounce after clearing
    assert await LedgerEntry.all().count() == entries and (await Payment.get(id=payment.id)).status == "cleared"
    assert await AuditLog.filter(action="payment.confirmed").count() == 1
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_a_bounce_reverses_everything_and_the_bill_can_be_paid_again(demo_db):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": K}, "dd-1", "dd",
                                            payment_details=cheque.DD.check_details(instrument(ifsc="hdfc0000601")))
    payment = await Payment.get(request=req)
    assert payment.details["ifsc"] == "HDFC0000601"  # typed in lower case, kept as the bank prints it
    assert any(v for v in (await _balances(req.id)).values())
    with pytest.raises(ValueError):
        await cheque.bounce(actor, payment, "  ")  # the bank's reason is required
    await cheque.bounce(Actor(await User.get(username="society")), payment, "Payment stopped by drawer")
    assert set((await _balances(req.id)).values()) == {0}  # every posting reversed
    assert await ledger.balance("cheques_in_clearing:JP-LM-001") == 0 and await ledger.balance(JVVNL) == 0
    fresh = await ServiceRequest.get(id=req.id)
    assert fresh.status == RequestStatus.PAYMENT_FAILED and fresh.department_ref == ""
    assert (await Payment.get(id=payment.id)).status == "bounced"
    await cheque.clear(actor, payment)  # too late: it bounced
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.PAYMENT_FAILED

    again = await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": K}, "dd-1-again", "cash")
    assert again.status == RequestStatus.SUBMITTED and again.receipt_no != req.receipt_no
    assert await ledger.balance(JVVNL) == -DUE  # owed once, by the payment that stands
    assert (await ledger.check())["balanced"]


@pytest.mark.anyio
async def test_bad_instrument_details_are_named(demo_db):
    today = clock.today()
    with pytest.raises(FormErrors) as bad:
        cheque.CHEQUE.check_details(instrument(ifsc="SBI0001234", instrument_no="45A2"))
    assert set(bad.value.by_field()) == {"ifsc", "instrument_no"} and "4 letters, a zero" in bad.value.by_field()["ifsc"]
    assert "SBIN0001234" in bad.value.by_field("hi")["ifsc"] and "अक्षर" in bad.value.by_field("hi")["ifsc"]
    stale = cheque.add_months(today, -3) - dt.timedelta(days=1)
    with pytest.raises(FormErrors) as old:
        cheque.CHEQUE.check_details(instrument(instrument_date=stale.isoformat()))
    assert "more than 3 months old" in old.value.by_field()["instrument_date"]
    with pytest.raises(FormErrors) as ahead:
        cheque.DD.check_details(instrument(instrument_date=(today + dt.timedelta(days=1)).isoformat()))
    assert "post-dated" in ahead.value.by_field()["instrument_date"] and "आगे की तारीख" in ahead.value.by_field("hi")["instrument_date"]
    cheque.CHEQUE.check_details(instrument(instrument_date=cheque.add_months(today, -3).isoformat()))  # the last valid day
    cheque.CHEQUE.check_details(instrument(instrument_date=today.isoformat()))
    assert cheque.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert cheque.add_months(dt.date(2026, 2, 28), -3) == dt.date(2025, 11, 28)
    with pytest.raises(FormErrors) as missing:
        cheque.CHEQUE.check_details({"instrument_no": "004512"})
    assert {"bank_name", "ifsc", "instrument_date", "drawer_name"} <= set(missing.value.by_field())
    assert await Payment.all().count() == 0 and (await ledger.check())["balanced"]


# --- UPI in the core ------------------------------------------------------------------------------

def test_the_upi_amount_is_exact_to_the_paisa():
    assert upi.rupees_text(148_350) == "1483.50"
    assert upi.rupees_text(5) == "0.05" and upi.rupees_text(100) == "1.00" and upi.rupees_text(123_456_789) == "1234567.89"
    with pytest.raises(ValueError):
        upi.rupees_text(1483.5)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_upi_payment_shows_a_link_and_qr_code_and_posts_nothing_until_confirmed(demo_db, monkeypatch):
    monkeypatch.setenv("EMITRA_UPI_VPA", "jaipur.emitra@sbi")
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": K}, "upi-1", "upi")
    assert req.status == RequestStatus.PAYMENT_PENDING
    payment = await Payment.get(request=req)
    link = payment.details["upi_link"]
    assert link.startswith("upi://pay?pa=jaipur.emitra@sbi&")
    assert "&am=1483.50&" in link and "&cu=INR&" in link and f"&tr={req.receipt_no}&" in link
    assert "pn=District%20e-Mitra%20Society%2C%20Jaipur" in link
    assert payment.reference == req.receipt_no
    assert "qr_svg" not in payment.details  # drawn from the link when shown, never stored (decision 188)
    shown = upi.shown_details(payment.method, payment.status, payment.details)
    assert shown["qr_svg"].startswith("<svg") and "<path" in shown["qr_svg"] and shown["upi_link"] == link
    assert shown["qr_svg"] == upi.qr_svg(link) != upi.qr_svg(link.replace("am=1483.50", "am=1483.51"))  # the code of this link
    assert await LedgerEntry.filter(request_id=req.id).count() == 0  # the money is not ours yet
    await counter_core.confirm_payment(Actor(None, via="webhook"), payment, "upi", "evt-1", provider_reference="UTR1")
    assert await ledger.balance("escrow:upi") == DUE and await ledger.balance(JVVNL) == -DUE
    assert (await ledger.check())["balanced"]


# --- the bank's confirmation (webhook) ------------------------------------------------------------

def _start_upi(web, key="upi-web-1", k=K):
    headers = web.api_token("operator1")
    body = {"citizen": _ramesh(web), "service_code": BILL, "form": {"k_number": k}, "idempotency_key": key,
            "payment": {"method": "upi", "amount_paise": 148_350 if k == K else 62_000}}
    response = web.client.post("/api/v1/transactions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _ramesh(web):
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def _notify(web, payload, secret=SECRET, signature=None):
    raw = json.dumps(payload).encode()
    headers = {"content-type": "application/json", "x-upi-signature": signature if signature is not None else "sha256=" + sign(raw, secret)}
    return web.client.post("/webhooks/upi", content=raw, headers=headers)


def _balanced(web) -> bool:
    async def check():
        return (await ledger.check())["balanced"]

    return web.run(check)


def _state(web, receipt_no):
    async def read():
        req = await ServiceRequest.get(receipt_no=receipt_no)
        payment = await Payment.get(request=req)
        return {"request": req.status.value, "payment": payment.status, "entries": await LedgerEntry.all().count(),
                "events": await ProcessedEvent.all().count(), "escrow": await ledger.balance("escrow:upi"),
                "balanced": (await ledger.check())["balanced"]}

    return web.run(read)


def test_the_banks_confirmation_is_signed_checked_and_applied_once(web, monkeypatch):
    monkeypatch.setenv("EMITRA_UPI_WEBHOOK_SECRET", SECRET)
    started = _start_upi(web)
    receipt_no = started["receipt_no"]
    assert started["status"] == "payment_pending" and started["payment"]["status"] == "pending"
    assert "am=1483.50" in started["payment"]["details"]["upi_link"] and started["payment"]["details"]["qr_svg"].startswith("<svg")
    assert started["payment"]["details"]["qr_svg"] == upi.qr_svg(started["payment"]["details"]["upi_link"])
    ok = {"event_id": "evt-100", "reference": receipt_no, "amount_paise": 148_350, "status": "SUCCESS", "utr": "612345678901"}
    before = _state(web, receipt_no)

    for bad in (_notify(web, ok, secret="not-the-secret"), _notify(web, ok, signature=""), _notify(web, ok, signature="sha256=00")):
        assert bad.status_code == 401
    assert _state(web, receipt_no) == before  # a forged confirmation changes nothing

    wrong_amount = _notify(web, {**ok, "event_id": "evt-99", "amount_paise": 100})
    assert wrong_amount.status_code == 409 and "differs" in wrong_amount.json()["error"]["message"]
    assert _state(web, receipt_no) == before

    first = _notify(web, ok)
    assert first.status_code == 200 and first.json()["applied"] is True
    after = _state(web, receipt_no)
    assert after["payment"] == "received" and after["request"] == "submitted" and after["escrow"] == 148_350
    shown = web.client.get(f"/api/v1/transactions/{receipt_no}", headers=web.api_token("operator1")).json()["payment"]
    assert shown["status"] == "received" and "qr_svg" not in shown["details"] and shown["details"]["upi_link"]  # nothing left to scan
    repeat = _notify(web, ok)
    late_failure = _notify(web, {**ok, "event_id": "evt-101", "status": "FAILURE"})  # a different event, too late
    assert repeat.status_code == 200 and repeat.json()["applied"] is False and late_failure.json()["applied"] is False
    assert {k: v for k, v in _state(web, receipt_no).items() if k != "events"} == {k: v for k, v in after.items() if k != "events"}
    assert _state(web, receipt_no)["balanced"]

    unknown = _notify(web, {**ok, "event_id": "evt-102", "reference": "JP0001999999999"})
    assert unknown.status_code == 404
    assert _notify(web, {**ok, "event_id": "evt-103", "status": "MAYBE"}).status_code == 422


def test_a_failed_upi_payment_fails_the_request(web, monkeypatch):
    monkeypatch.setenv("EMITRA_UPI_WEBHOOK_SECRET", SECRET)
    receipt_no = _start_upi(web, "upi-web-2", "210412345679")["receipt_no"]
    failed = _notify(web, {"event_id": "evt-200", "reference": receipt_no, "amount_paise": 62_000, "status": "FAILURE", "utr": ""})
    assert failed.status_code == 200 and failed.json()["payment_status"] == "failed"
    late_success = _notify(web, {"event_id": "evt-201", "reference": receipt_no, "amount_paise": 62_000, "status": "SUCCESS", "utr": "6123"})
    assert late_success.json()["applied"] is False
    state = _state(web, receipt_no)
    assert state["request"] == "payment_failed" and state["payment"] == "failed" and state["escrow"] == 0 and state["balanced"]
    web.login("operator1")
    page = web.get(f"/receipts/{receipt_no}")
    assert "Payment failed" in page.text and "Total due from the citizen" in page.text and "<svg" not in page.text


def test_the_payers_upi_address_is_kept_for_a_refund_and_masked_elsewhere(web, monkeypatch):
    """The bank's confirmation may name the UPI address the citizen paid from (``payer_vpa``): kept
    whole for the Society's UPI refunds (decision 79), masked in the audit log and the API. One
    that is not a UPI address is not kept, not logged, and does not refuse the confirmation."""
    monkeypatch.setenv("EMITRA_UPI_WEBHOOK_SECRET", SECRET)
    from emitra.core import upi_refunds

    def payment_of(receipt_no):
        async def read():
            payment = await Payment.get(request=await ServiceRequest.get(receipt_no=receipt_no))
            audit = await AuditLog.get(action="payment.confirmed", object_id=str(payment.id))
            return payment, audit.detail

        return web.run(read)

    receipt_no = _start_upi(web, "upi-vpa-1")["receipt_no"]
    ok = {"event_id": "evt-300", "reference": receipt_no, "amount_paise": 148_350, "status": "SUCCESS", "utr": "612345678903",
          "payer_vpa": " Ramesh.K-9829@OKAXIS "}
    assert _notify(web, ok).json()["applied"] is True
    payment, audited = payment_of(receipt_no)
    assert payment.details["payer_vpa"] == "ramesh.k-9829@okaxis"
    assert upi_refunds.upi_details(payment) == {"utr": "612345678903", "payer_vpa": "ramesh.k-9829@okaxis"}
    assert audited["payer_vpa"] == "ra" + "*" * 11 + "@okaxis" and "9829" not in json.dumps(audited)
    shown = web.client.get(f"/api/v1/transactions/{receipt_no}", headers=web.api_token("operator1"))
    assert shown.status_code == 200 and shown.json()["payment"]["details"]["payer_vpa"] == "ra" + "*" * 11 + "@okaxis"
    assert "9829@" not in shown.text

    from emitra.core.privacy import vpa_or_empty

    assert [vpa_or_empty(v) for v in ("9829012345@ybl", "a.b_c-d@ok-hdfc.bank", "not a vpa", 12345, None, "x@", "@upi", "a@1bank",
                                      "x" * 120 + "@upi", "ramesh@upi\u0000", "रमेश@upi")] == \
        ["9829012345@ybl", "a.b_c-d@ok-hdfc.bank"] + [""] * 9
    for n, (bad, key) in enumerate([("not a vpa", "210412345679")]):
        other = _start_upi(web, f"upi-vpa-bad-{n}", key)["receipt_no"]
        due = 62_000
        logged: list[logging.LogRecord] = []
        handler = logging.Handler(logging.WARNING)
        handler.emit = logged.append
        logging.getLogger("emitra.web.webhooks_upi").addHandler(handler)
        try:
            answer = _notify(web, {**ok, "event_id": f"evt-31{n}", "reference": other, "amount_paise": due, "payer_vpa": bad})
        finally:
            logging.getLogger("emitra.web.webhooks_upi").removeHandler(handler)
        assert answer.status_code == 200 and answer.json()["applied"] is True, answer.text
        payment, audited = payment_of(other)
        assert payment.status == "received" and "payer_vpa" not in payment.details and "payer_vpa" not in audited
        text = " ".join(r.getMessage() for r in logged)
        assert "payer_vpa is not a UPI address" in text and str(bad) not in text
    assert _balanced(web)


def test_confirmations_are_refused_when_no_secret_is_configured(web, monkeypatch):
    monkeypatch.delenv("EMITRA_UPI_WEBHOOK_SECRET", raising=False)
    receipt_no = _start_upi(web, "upi-web-3")["receipt_no"]
    response = _notify(web, {"event_id": "e", "reference": receipt_no, "amount_paise": 148_350, "status": "SUCCESS", "utr": "1"}, secret="")
    assert response.status_code == 503 and _state(web, receipt_no)["payment"] == "pending" and _balanced(web)


# --- the counter's pages --------------------------------------------------------------------------

def _confirm(web, eid, k=K):
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    confirm = web.post_form(form_url, {"k_number": k}, token_from=form_url)
    assert confirm.status_code == 200, confirm.text
    return form_url, confirm


def _form_of(page_text, method):
    form = re.search(rf'<form[^>]*id="pay-{method}".*?</form>', page_text, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_the_operator_takes_a_cheque_and_the_receipt_says_it_is_in_clearing(web):
    web.login("operator1")
    eid = _ramesh(web)
    form_url, confirm = _confirm(web, eid)
    for title in ("Cash", "Cheque", "Demand draft", "UPI (QR code)", "Cash received (₹)", "IFSC of the branch", "Cheque number"):
        assert title in confirm.text, title
    fields = _form_of(confirm.text, "cheque")
    bad = web.client.post(form_url + "/pay", data={**fields, "method": "cheque", **{f"cheque.{k}": v for k, v in instrument(
        ifsc="SBIN001234", instrument_date=(clock.today() - dt.timedelta(days=200)).isoformat()).items()}})
    assert bad.status_code == 400
    assert re.search(r'id="f-cheque-ifsc-error"[^>]*>IFSC must be 11 characters', bad.text)
    assert re.search(r'id="f-cheque-instrument_date-error"[^>]*>The cheque dated [\d-]+ is more than 3 months old', bad.text)
    assert 'value="Ramesh Kumar Sharma"' in bad.text  # what was typed is kept
    assert web.run(ServiceRequest.all().count) == 0 and web.run(Payment.all().count) == 0  # nothing written

    good = web.client.post(form_url + "/pay", data={**fields, "method": "cheque", **{f"cheque.{k}": v for k, v in instrument().items()}})
    assert good.status_code == 303, good.text
    receipt = web.get(good.headers["location"])
    assert "Pending: cheque in clearing" in receipt.text and "004512" in receipt.text and "SBIN0001234" in receipt.text
    assert "Department acknowledgement" not in receipt.text and "Total due from the citizen" in receipt.text

    hindi = web.get(good.headers["location"] + "?lang=hi")
    assert "चेक" in hindi.text
    web.get("/?lang=en")
    assert _balanced(web)


def _payment_of(web, receipt_no):
    async def find():
        return await Payment.get(request__receipt_no=receipt_no)

    return web.run(find)


def _input_of(page_text, field_id):
    return re.search(rf'<input id="{field_id}"[^>]*>', page_text).group(0)


def test_an_ifsc_and_a_cheque_number_typed_with_spaces_or_small_letters_are_taken(web):
    """The IFSC box cut what was typed at 11 characters: "SBIN 0001234" lost its last digit in the browser,
    and the server then refused "SBIN000123". A code of a set shape is typed as it is printed, with
    spaces; they are left out (and small letters made capitals) before it is checked."""
    web.login("operator1")
    eid = _ramesh(web)
    form_url, confirm = _confirm(web, eid)
    for field_id, spaced in (("f-cheque-ifsc", "SBIN 0001234"), ("f-cheque-instrument_no", "004 512")):
        box = _input_of(confirm.text, field_id)
        room = re.search(r'maxlength="(\d+)"', box)
        assert room is None or int(room.group(1)) >= len(spaced) + 2, box  # a space or two fit in the box
    fields = _form_of(confirm.text, "cheque")
    still_wrong = web.client.post(form_url + "/pay", data={**fields, "method": "cheque", **{f"cheque.{k}": v for k, v in instrument(
        ifsc="SBIN 000123").items()}})
    assert still_wrong.status_code == 400
    said = re.search(r'id="f-cheque-ifsc-error"[^>]*>([^<]*)<', still_wrong.text).group(1)
    assert said.startswith("IFSC must be 11 characters, not counting spaces"), said
    assert 'value="SBIN 000123"' in still_wrong.text  # shown as typed, to be corrected
    too_long = web.client.post(form_url + "/pay", data={**fields, "method": "cheque", **{f"cheque.{k}": v for k, v in instrument(
        ifsc="SBIN 00012345").items()}})  # told its shape, not "at most 11 characters" (of 13 typed, a space among them)
    assert re.search(r'id="f-cheque-ifsc-error"[^>]*>IFSC must be 11 characters, not counting spaces', too_long.text)
    hindi = web.client.post(form_url + "/pay?lang=hi", data={**fields, "method": "cheque", **{f"cheque.{k}": v for k, v in instrument(
        ifsc="sbin 00012").items()}})
    assert "IFSC रिक्त स्थान छोड़कर 11 अक्षरों का होना चाहिए" in hindi.text
    web.get("/?lang=en")
    assert web.run(Payment.all().count) == 0

    good = web.client.post(form_url + "/pay", data={**fields, "method": "cheque", **{f"cheque.{k}": v for k, v in instrument(
        ifsc=" sbin 0001234 ", instrument_no="004 512").items()}})
    assert good.status_code == 303, good.text
    receipt_no = good.headers["location"].rstrip("/").split("/")[-1]
    payment = _payment_of(web, receipt_no)
    assert payment.details["ifsc"] == "SBIN0001234" and payment.details["instrument_no"] == "004512"
    assert payment.reference == "CHEQUE 004512 SBIN0001234"


def test_the_api_takes_an_ifsc_with_spaces_too(web):
    headers = web.api_token("operator1")
    body = {"citizen": _ramesh(web), "service_code": BILL, "form": {"k_number": K}, "idempotency_key": "chq-spaced",
            "payment": {"method": "dd", "amount_paise": 148_350, "details": instrument(ifsc="hdfc 0000 601")}}
    response = web.client.post("/api/v1/transactions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    payment = _payment_of(web, response.json()["receipt_no"])
    assert payment.details["ifsc"] == "HDFC0000601"


def test_the_operator_shows_the_upi_qr_code_on_the_receipt(web, monkeypatch):
    monkeypatch.setenv("EMITRA_UPI_WEBHOOK_SECRET", SECRET)
    web.login("operator1")
    eid = _ramesh(web)
    form_url, confirm = _confirm(web, eid)
    done = web.client.post(form_url + "/pay", data={**_form_of(confirm.text, "upi"), "method": "upi"})
    assert done.status_code == 303, done.text
    receipt = web.get(done.headers["location"])
    receipt_no = re.search(r'id="receipt-no">([A-Z0-9]+)<', receipt.text).group(1)
    assert "Awaiting UPI payment" in receipt.text and '<svg role="img" aria-label="UPI QR code"' in receipt.text
    assert f"upi://pay?pa={upi.DEMO_VPA}&amp;" in receipt.text and "am=1483.50" in receipt.text and f"tr={receipt_no}" in receipt.text
    link = html.unescape(re.search(r'id="upi-link">([^<]+)<', receipt.text).group(1))
    assert upi.qr_svg(link) in receipt.text  # the code of the link shown beside it, drawn for the page (decision 188)
    _notify(web, {"event_id": "evt-300", "reference": receipt_no, "amount_paise": 148_350, "status": "SUCCESS", "utr": "612300000001"})
    paid = web.get(done.headers["location"])
    assert "Paid" in paid.text and "612300000001" in paid.text and "<svg" not in paid.text and "JVVNL-ACK-" in paid.text
    assert _balanced(web)


def test_cash_still_works_from_the_confirmation_page(web):
    web.login("operator1")
    eid = _ramesh(web)
    form_url, confirm = _confirm(web, eid)
    done = web.client.post(form_url + "/pay", data={**_form_of(confirm.text, "cash"), "tendered": "1500"})
    assert done.status_code == 303
    receipt = web.get(done.headers["location"])
    assert "₹16.50" in receipt.text and "Payment status" not in receipt.text and _balanced(web)


# --- the Society's cheques page -------------------------------------------------------------------

def _cheque_by_api(web, key, k=K, method="cheque"):
    headers = web.api_token("operator1")
    body = {"citizen": _ramesh(web), "service_code": BILL, "form": {"k_number": k}, "idempotency_key": key,
            "payment": {"method": method, "amount_paise": 148_350 if k == K else 62_000, "details": instrument()}}
    response = web.client.post("/api/v1/transactions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _payment_id(web, receipt_no):
    async def find():
        return (await Payment.get(request__receipt_no=receipt_no)).id

    return web.run(find)


def test_the_society_clears_or_bounces_cheques_of_its_district(web):
    first = _cheque_by_api(web, "chq-api-1")
    second = _cheque_by_api(web, "chq-api-2", "210412345679", "dd")
    assert first["status"] == "payment_pending" and first["payment"]["details"]["instrument_no"] == "004512"
    one, two = _payment_id(web, first["receipt_no"]), _payment_id(web, second["receipt_no"])

    for username in ("operator1", "lsp", "officer", "citizen"):
        web.login(username)
        assert web.get("/society/cheques").status_code == 403, username
        token = web.csrf("/no-such-page")
        assert web.client.post(f"/society/cheques/{one}/clear", data={"csrf_token": token}).status_code == 403
        web.logout()
    assert web.get("/society/cheques").status_code == 303  # not logged in: to the login page

    web.login("society")
    listing = web.get("/society/cheques")
    assert listing.status_code == 200 and first["receipt_no"] in listing.text and second["receipt_no"] in listing.text
    assert "Cheques in clearing" in listing.text  # the menu link
    assert web.client.post(f"/society/cheques/{one}/clear", data={}).status_code == 403  # no CSRF token: refused
    assert web.client.post(f"/society/cheques/{two}/bounce", data={"reason": "x", "csrf_token": "forged"}).status_code == 403
    assert _state(web, first["receipt_no"])["payment"] == "pending" and _state(web, second["receipt_no"])["payment"] == "pending"

    no_reason = web.post_form(f"/society/cheques/{two}/bounce", {"reason": " "}, token_from="/society/cheques")
    assert no_reason.status_code == 400 and "Give the bank&#39;s reason" in no_reason.text

    cleared = web.post_form(f"/society/cheques/{one}/clear", {}, token_from="/society/cheques")
    assert cleared.status_code == 303
    bounced = web.post_form(f"/society/cheques/{two}/bounce", {"reason": "Insufficient funds"}, token_from="/society/cheques")
    assert bounced.status_code == 303
    again = web.post_form(f"/society/cheques/{one}/bounce", {"reason": "late"}, token_from="/society/cheques")
    assert again.status_code == 409 and "already decided" in again.text

    state_one, state_two = _state(web, first["receipt_no"]), _state(web, second["receipt_no"])
    assert state_one["request"] == "submitted" and state_one["payment"] == "cleared"
    assert state_two["request"] == "payment_failed" and state_two["payment"] == "bounced" and state_two["balanced"]
    after = web.get("/society/cheques")
    assert "No cheque or demand draft is waiting" in after.text and "Insufficient funds" in after.text
    assert "Bounced" in web.get(f"/receipts/{second['receipt_no']}").text
    assert "Paid" in web.get(f"/receipts/{first['receipt_no']}").text

    async def balances():
        return await ledger.balance("society_bank"), await ledger.balance("cheques_in_clearing:JP-LM-001")

    assert web.run(balances) == (148_350, 0) and _balanced(web)


def test_another_districts_society_cannot_see_or_decide_our_cheques(web):
    receipt_no = _cheque_by_api(web, "chq-api-3")["receipt_no"]
    payment_id = _payment_id(web, receipt_no)

    async def other_district():
        from emitra.core.auth import hash_password
        from emitra.core.models import District, Role, Society

        district = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
        await Society.create(district=district, name="District e-Mitra Society, Ajmer")
        await User.create(username="society_aj", password_hash=hash_password("emitra-demo"), full_name="Nodal officer, Ajmer",
                          role=Role.SOCIETY_ADMIN, district=district)

    web.run(other_district)
    web.login("society_aj")
    assert receipt_no not in web.get("/society/cheques").text
    assert web.post_form(f"/society/cheques/{payment_id}/clear", {}, token_from="/society/cheques").status_code == 404
    assert _state(web, receipt_no)["payment"] == "pending" and _balanced(web)


# --- the API ----------------------------------------------------------------------------------------

def test_the_api_names_wrong_instrument_details_and_writes_nothing(web):
    headers = web.api_token("operator1")
    body = {"citizen": _ramesh(web), "service_code": BILL, "form": {"k_number": K}, "idempotency_key": "chq-bad",
            "payment": {"method": "cheque", "amount_paise": 148_350,
                        "details": instrument(ifsc="SBINO001234", instrument_date=(clock.today() + dt.timedelta(days=10)).isoformat())}}
    response = web.client.post("/api/v1/transactions", json=body, headers=headers)
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"payment.details.ifsc", "payment.details.instrument_date"}
    missing = web.client.post("/api/v1/transactions", json={**body, "payment": {"method": "dd", "amount_paise": 148_350}}, headers=headers)
    assert missing.status_code == 422 and missing.json()["error"]["fields"][0]["field"] == "payment.details"
    unknown = web.client.post("/api/v1/transactions", json={**body, "payment": {"method": "barter", "amount_paise": 148_350}}, headers=headers)
    assert unknown.status_code == 422
    [method] = unknown.json()["error"]["fields"]  # checked against the request schema: the field names the methods
    assert method["field"] == "payment.method" and "cheque" in method["message_en"], method
    assert web.run(ServiceRequest.all().count) == 0 and web.run(LedgerEntry.all().count) == 0 and _balanced(web)

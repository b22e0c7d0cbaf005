"""A cash payment at the counter: priced by the schedule, recorded once, all or nothing."""

import pytest
from tortoise.functions import Sum

from emitra.core import counter as counter_core
from emitra.core import ledger
from emitra.core.audit import Actor
from emitra.core.forms import FormErrors
from emitra.core.models import AuditLog, Citizen, Counter, LedgerEntry, Payment, Posting, RequestStatus, ServiceRequest, User

pytestmark = pytest.mark.anyio

BILL = "gov.rj.jvvnl.bill"
K = "210412345678"  # owes 148350 paise in the discom sandbox


async def _ctx(username="operator1"):
    user = await User.get(username=username)
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    return Actor(user), counter, citizen


async def _counts():
    return [await m.all().count() for m in (ServiceRequest, Payment, LedgerEntry, Posting)]


async def test_a_bill_paid_in_cash_is_recorded_with_balanced_postings_and_handed_over(demo_db):
    actor, counter, citizen = await _ctx()
    req = await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-1", expected_total_paise=148350)
    assert (req.principal_paise, req.service_charge_paise, req.charge_payer, req.citizen_total_paise) == (148350, 395, "department", 148350)
    assert req.receipt_no.startswith("JP")
    assert req.status == RequestStatus.SUBMITTED and req.department_ref.startswith("JVVNL-ACK-")
    assert await ledger.trial_balance() == 0
    assert await ledger.balance("counter_cash:JP-LM-001") == 148350
    assert await ledger.balance("dept_fee_receivable:jaipur-vidyut-vitran-nigam-ltd-jvvnl") == 395
    assert await ledger.balance(f"lsp_fee_payable:{counter.lsp_id}") == -395
    audit = await AuditLog.get(action="request.paid", object_id=str(req.id))
    assert audit.actor_id == actor.user.id and audit.counter_id == counter.id and audit.detail["receipt_no"] == req.receipt_no


async def test_the_same_idempotency_key_twice_records_once(demo_db):
    actor, counter, citizen = await _ctx()
    first = await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-2")
    counts = await _counts()
    again = await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-2")
    assert again.id == first.id and await _counts() == counts


async def test_copies_of_one_payment_sent_at_the_same_moment_record_it_once(demo_db):
    """A client retrying before its first try was answered: every copy passes the idempotency
    check before any has written; the database's unique key lets one write, the others replay it."""
    import asyncio

    actor, counter, citizen = await _ctx()
    before = await _counts()
    copies = await asyncio.gather(*(counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-race")
                                    for _ in range(4)))
    assert len({r.id for r in copies}) == 1 and len({r.receipt_no for r in copies}) == 1
    assert sum(not getattr(r, "replayed", False) for r in copies) == 1  # one recorded it, three were answered as replays
    assert [a - b for a, b in zip(await _counts(), before)] == [1, 1, 1, 4]
    assert await ledger.trial_balance() == 0


async def test_an_unknown_k_number_is_an_error_on_that_field_and_writes_nothing(demo_db):
    actor, counter, citizen = await _ctx()
    before = await _counts()
    with pytest.raises(FormErrors) as err:
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": "999999999999"}, "key-3")
    assert "No consumer account" in err.value.by_field()["k_number"]
    with pytest.raises(FormErrors) as err:
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": "12AB"}, "key-4")
    assert "12 digits" in err.value.by_field()["k_number"]
    with pytest.raises(FormErrors) as err:
        await counter_core.record_cash(actor, counter, citizen, BILL, {}, "key-5")
    assert "required" in err.value.by_field()["k_number"]
    assert await _counts() == before


async def test_a_changed_amount_or_short_cash_is_refused(demo_db):
    actor, counter, citizen = await _ctx()
    with pytest.raises(counter_core.CounterError) as err:
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-6", expected_total_paise=100000)
    assert err.value.field == "amount"
    with pytest.raises(counter_core.CounterError) as err:
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-7", tendered_paise=100000)
    assert err.value.field == "tendered"
    assert await ServiceRequest.all().count() == 0


async def test_a_service_not_enabled_at_the_counter_is_refused(demo_db):
    from emitra.core.models import CounterService

    actor, counter, citizen = await _ctx()
    await CounterService.filter(counter=counter).update(enabled=False)
    with pytest.raises(counter_core.CounterError, match="not offered at counter JP-LM-001"):
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-8")


async def test_a_failure_midway_leaves_nothing_half_written(demo_db, monkeypatch):
    """Break the ledger write (the third of the four inserts): request, payment and audit roll back too."""
    actor, counter, citizen = await _ctx()
    before = await _counts()
    audit_before = await AuditLog.all().count()

    async def broken_post(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(counter_core.ledger, "post", broken_post)
    with pytest.raises(RuntimeError, match="disk full"):
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-9")
    assert await _counts() == before
    assert await AuditLog.all().count() == audit_before


async def test_a_failed_hand_over_keeps_the_payment_and_flags_it(demo_db, monkeypatch):
    actor, counter, citizen = await _ctx()
    service = counter_core.get_host().registry.get(BILL)

    async def down(*args, **kwargs):
        raise ConnectionError("discom link down")

    monkeypatch.setattr(service.billing, "post_payment", down)
    req = await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-10")
    assert (await ServiceRequest.get(id=req.id)).status == RequestStatus.SUBMISSION_FAILED
    assert await AuditLog.exists(action="request.submission_failed", object_id=str(req.id))
    assert await ledger.trial_balance() == 0


async def test_a_citizen_of_another_district_cannot_be_served(demo_db):
    from emitra.core.models import District

    actor, counter, _ = await _ctx()
    other = await District.create(code="JD", name_en="Jodhpur", name_hi="जोधपुर")
    stranger = await Citizen.create(district=other, name="X Y", name_key="x y", date_of_birth="1990-01-01", mobile="9000000000", emitra_id="JD000000999")
    with pytest.raises(counter_core.CounterError, match="another district"):
        await counter_core.record_cash(actor, counter, stranger, BILL, {"k_number": K}, "key-11")


async def test_a_closed_counter_takes_nothing(demo_db):
    actor, counter, citizen = await _ctx()
    counter.active = False
    await counter.save()
    with pytest.raises(counter_core.CounterError, match="is closed by the Society"):
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "key-12")
    assert await ServiceRequest.all().count() == 0


async def test_a_scan_already_attached_is_refused_as_such_when_named_again(demo_db):
    """An operator who names, for a second application, the scan an earlier one took is told that it
    is attached already (not that it was never uploaded here); nothing of the second is written."""
    from tests.case_helpers import ADDRESS, CASTE, upload

    actor, counter, citizen = await _ctx()
    scan = await upload(CASTE, "ration_card_scan")
    form = {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "SC",
            "caste": "Bairwa", "address": dict(ADDRESS), "ration_card_scan": scan, "mobile": "9829012345"}
    await counter_core.record_cash(actor, counter, citizen, CASTE, form, "scan-again-1")
    before = await ServiceRequest.all().count()
    with pytest.raises(FormErrors) as refused:
        await counter_core.record_cash(actor, counter, citizen, CASTE, form, "scan-again-2")
    assert "already attached to another application" in refused.value.by_field()["ration_card_scan"]
    assert await ServiceRequest.all().count() == before


async def test_one_scan_named_by_two_payments_at_the_same_moment_is_attached_once(demo_db):
    """Two applications naming the same uploaded scan, sent together: both pass the form's check
    before either is written; one is recorded with the scan, the other refused naming the field,
    nothing of it written."""
    import asyncio

    from emitra.core.models import Document
    from tests.case_helpers import ADDRESS, CASTE, upload

    actor, counter, citizen = await _ctx()
    scan = await upload(CASTE, "ration_card_scan")
    form = {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "SC",
            "caste": "Bairwa", "address": dict(ADDRESS), "ration_card_scan": scan, "mobile": "9829012345"}
    before = await ServiceRequest.all().count()
    done = await asyncio.gather(*(counter_core.record_cash(actor, counter, citizen, CASTE, form, f"scan-race-{i}") for i in range(2)),
                                return_exceptions=True)
    recorded = [r for r in done if isinstance(r, ServiceRequest)]
    refused = [r for r in done if isinstance(r, FormErrors)]
    assert len(recorded) == 1 and len(refused) == 1, done
    assert "already attached" in refused[0].by_field()["ration_card_scan"]
    assert (await Document.get(public_id=scan)).request_id == recorded[0].id
    assert await ServiceRequest.all().count() == before + 1
    assert await ledger.trial_balance() == 0


def test_an_applications_receipt_says_when_to_expect_the_answer_and_where_to_follow_it(web):
    """A grievance's or certificate's receipt said neither: the citizen came back to the counter to ask."""
    import datetime as dt
    import re

    from emitra.core.models import Case
    from emitra.web.templating import local_time

    async def record():
        actor, counter, citizen = await _ctx()
        grievance = await counter_core.record_cash(actor, counter, citizen, "gov.rj.sampark.grievance", {
            "department": "phed", "subject": "No water in ward 12", "description": "No water supply in ward 12 for a week now."}, "rcpt-g")
        bill = await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "rcpt-b")
        case = await Case.get(request_id=grievance.id)
        return grievance.receipt_no, bill.receipt_no, local_time(case.due_at, "%d-%m-%Y")

    grievance, bill, due = web.run(record)
    assert re.fullmatch(r"\d\d-\d\d-\d{4}", due) and due != dt.date.today().strftime("%d-%m-%Y")
    web.login("operator1")
    page = web.get(f"/receipts/{grievance}").text
    assert re.search(rf'Answer expected by</th><td id="receipt-due">{due}<', page)
    assert "Follow this application at http://testserver/track with the receipt number and your mobile number." in page
    plain = web.get(f"/receipts/{bill}").text
    assert "receipt-due" not in plain and "receipt-track" not in plain  # a bill has no answer to wait for
    web.get("/lang/hi")
    assert "उत्तर अपेक्षित" in web.get(f"/receipts/{grievance}").text

"""Aadhaar numbers typed into free text are kept masked: grievances, remarks, receipts."""

from __future__ import annotations

import re

import pytest

from emitra.core import privacy, workflow
from emitra.core.models import AuditLog, Case, CaseEvent, Notification, ServiceRequest
from tests.case_helpers import GRIEVANCE, actor, pay

AADHAAR = "499118665246"  # a valid Aadhaar number (check digit), of the demo's test data
WRITTEN = ["4991 1866 5246", "4991-1866-5246", "4991.1866.5246", "499118665246", "4991\u00a01866\u00a05246"]
K_NUMBER = "210412345678"  # 12 digits, not a valid Aadhaar number: a discom's consumer number, kept as typed


def _full(text: str) -> list[str]:
    """The ways of writing the Aadhaar number found in ``text`` (there must be none)."""
    return [w for w in WRITTEN if w in text] + (["digits"] if AADHAAR in re.sub(r"\D", "", text) else [])


@pytest.mark.parametrize("written", WRITTEN)
def test_each_way_of_writing_it_is_masked(written):
    assert privacy.mask_aadhaar_in_text(f"my Aadhaar is {written}.") == "my Aadhaar is XXXX XXXX 5246."


def test_numbers_that_are_not_aadhaar_numbers_stay_as_typed():
    text = f"K-number {K_NUMBER}, receipt JP0001000012345, mobile 9414098765, 1499118665246 (13 digits)"
    assert privacy.mask_aadhaar_in_text(text) == text
    assert privacy.mask_any(f"K-number {K_NUMBER}") == "K-number XXXX XXXX 5678"  # for display of form values


def test_an_online_grievance_and_a_remark_never_keep_it_in_full(web):
    body = "Ward 12 has had no water for a week. " + " and ".join(WRITTEN) + f"; my K-number is {K_NUMBER}."
    filed = web.post_form("/grievances/new", {
        "district": "JP", "about": "department", "department": "phed", "counter_code": "", "complaint_type": "",
        "receipt_no": "", "name": "Sunita Devi", "mobile": "9414098765", "subject": "Aadhaar 4991-1866-5246: no water",
        "body": body})
    assert filed.status_code == 303

    async def case_id() -> int:
        return (await Case.get(channel="online")).id

    number = web.run(case_id)
    web.login("phed")
    page = web.get(f"/office/cases/{number}")
    assert page.status_code == 200 and "XXXX XXXX 5246" in page.text and not _full(page.text)
    assert K_NUMBER in page.text  # what the department needs stays
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert web.post(f"/office/cases/{number}/remark", data={"csrf_token": token, "remark": "Checked Aadhaar 4991 1866 5246",
                                                          "public": "1"}).status_code == 303

    async def stored() -> str:
        case = await Case.get(id=number)
        case = await workflow.act(await actor("phed"), case, "resolve", "Supply restored for 4991-1866-5246's ward")
        events = " ".join(e.remark for e in await CaseEvent.filter(case_id=number))
        notes = " ".join(f"{n.body_en} {n.body_hi}" for n in await Notification.filter(case_id=number))
        audit = " ".join(str(a.detail) for a in await AuditLog.filter(object_id=str(number)))
        return " ".join([case.subject, case.body, events, notes, audit])

    everything = web.run(stored)
    assert "XXXX XXXX 5246" in everything and not _full(everything)
    assert not _full(web.get(f"/office/cases/{number}").text)


def test_a_receipt_prints_it_masked(web):
    form = {"department": "phed", "subject": "Aadhaar 4991 1866 5246 not linked", "mobile": "9414098765",
            "description": "Please link 4991-1866-5246 to my water connection."}

    async def file() -> str:
        return (await pay(GRIEVANCE, form, "grv-aadhaar")).receipt_no

    receipt = web.run(file)
    web.login("operator1")
    page = web.get(f"/receipts/{receipt}")
    assert page.status_code == 200 and not _full(page.text)

    async def details() -> str:
        request = await ServiceRequest.get(receipt_no=receipt)
        case = await Case.get(request_id=request.id)
        return f"{request.quote_details} {case.subject} {case.body}"

    kept = web.run(details)
    assert "XXXX XXXX 5246" in kept and not _full(kept)


@pytest.mark.anyio
async def test_the_complaint_book_the_audit_log_and_a_withdrawal_never_keep_it_in_full(demo_db):
    """Free text typed at the counter outside a case: a citizen's entry in the complaint book (shown
    to the Society and mailed in the weekly digest), the reason a payment was withdrawn (kept on the
    payment, in the ledger's memo and in the audit record) and any audit record's detail were kept
    as typed, the Aadhaar number in full."""
    import datetime as dt

    from emitra.core import audit, book, clock
    from emitra.core import counter as counter_core
    from emitra.core.models import BookEntry, Citizen, Counter, LedgerEntry, Payment
    from emitra.core.plugins import get_host

    who = await actor("operator1")
    counter = await Counter.get(id=who.user.counter_id)
    said = "My Aadhaar " + " and ".join(WRITTEN) + f" was taken for a photocopy; K-number {K_NUMBER}."
    entry = await book.add_entry(who, counter, "complaint", said, "Geeta 4991 1866 5246", "8003344556")
    stored = await BookEntry.get(id=entry.id)
    assert "XXXX XXXX 5246" in stored.text and K_NUMBER in stored.text and not _full(stored.text + stored.name)
    monday = clock.today() - dt.timedelta(days=clock.today().weekday())
    note = await book.weekly_digest(audit.Actor(None, via="cli"), counter.district_id, monday)
    assert note is not None and "XXXX XXXX 5246" in note.body_en and not _full(note.body_en + note.body_hi)

    grievance = get_host().registry.get(GRIEVANCE)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    req = await counter_core.record_payment(who, counter, citizen, GRIEVANCE, grievance.example, "privacy-upi", "upi")
    await counter_core.withdraw_payment(who, counter, req, "left; his Aadhaar is 4991 1866 5246")
    failed = await Payment.get(request_id=req.id)
    memos = " ".join(e.memo for e in await LedgerEntry.filter(request_id=req.id))
    assert "XXXX XXXX 5246" in failed.details["failure"] and not _full(failed.details["failure"] + memos)

    details = " ".join(str(a.detail) for a in await AuditLog.filter(action__in=("book.entry", "payment.failed")))
    assert "XXXX XXXX 5246" in details and not _full(details)


async def test_officers_and_the_societys_free_text_never_keeps_it_in_full(demo_db, monkeypatch):
    """What officers and the Society type, kept and shown to others: an inspection's findings,
    follow-up and closing note, the reason a payment failed (a cheque's bounce, as the bank wrote
    it), the department's note acknowledging a dispatch. Each kept masked (a K-number of 12 digits
    stays as typed), in its record and in the audit log."""
    import datetime as dt

    from emitra.core import clock, dispatch, inspections
    from emitra.core import counter as counter_core
    from emitra.core.models import Citizen, Counter, Dispatch, Inspection, LedgerEntry, Payment
    from emitra.core.plugins import get_host
    from tests.case_helpers import caste_case

    society, lokmitra, today = await actor("society"), await Counter.get(code="JP-LM-001"), clock.today()
    said = "operator kept Aadhaar 4991 1866 5246 on the desk; K-number " + K_NUMBER
    made = await inspections.record(society, lokmitra, today, {**{c: True for c, _, _ in inspections.CHECKLIST}, "rate_list": False},
                                    said, "shred 4991-1866-5246 copies", today + dt.timedelta(days=7))
    closed = await inspections.close(society, made, "seen shredded: 499118665246")
    stored = await Inspection.get(id=closed.id)
    kept = f"{stored.findings} {stored.follow_up} {stored.closing_note if hasattr(stored, 'closing_note') else ''}"
    assert "XXXX XXXX 5246" in stored.findings and K_NUMBER in stored.findings and not _full(kept)

    who = await actor("operator1")
    grievance = get_host().registry.get(GRIEVANCE)
    req = await counter_core.record_payment(who, lokmitra, await Citizen.get(name="Ramesh Kumar Sharma"), GRIEVANCE, grievance.example,
                                            "privacy-fail", "upi")
    await counter_core.fail_payment(society, await Payment.get(request_id=req.id), "bank: payer 4991 1866 5246 refused")
    failed = await Payment.get(request_id=req.id)
    memos = " ".join(e.memo for e in await LedgerEntry.filter(request_id=req.id))
    assert "XXXX XXXX 5246" in failed.details["failure"] and not _full(failed.details["failure"] + memos)

    await caste_case("privacy-caste")
    [sent] = await dispatch.prepare(who, lokmitra, today)
    await dispatch.acknowledge(await actor("tehsildar"), sent, "received; cover note quotes Aadhaar 4991 1866 5246")
    assert "XXXX XXXX 5246" in (await Dispatch.get(id=sent.id)).ack_note and not _full((await Dispatch.get(id=sent.id)).ack_note)

    from emitra.core import vetting
    from emitra.core.models import LSP, MisReport

    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    report = await vetting.submit(await actor("lsp"), await LSP.get(name="Pink City e-Services Pvt Ltd"),
                                  dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    await vetting.return_report(society, report, "the kiosk owner's Aadhaar 4991 1866 5246 is on page 2")
    assert "XXXX XXXX 5246" in (await MisReport.get(id=report.id)).remarks

    details = " ".join(str(a.detail) for a in await AuditLog.all())
    assert not _full(details)


def test_a_scan_named_by_its_aadhaar_number_is_kept_and_shown_masked(web):
    """An operator saved the scan of an Aadhaar card as 'Aadhaar 4991 1866 5246.pdf', and the file
    name was kept and shown as typed: the officer's case page listed the document with the number in
    full. Now the name is stored masked, and the pages mask any 12-digit group in a name kept before."""
    from emitra.core import documents
    from emitra.core.models import Counter, Document, User
    from emitra.core.plugins import get_host
    from tests.case_helpers import ADDRESS, CASTE
    from emitra.core.audit import Actor

    async def filed() -> tuple[int, str]:
        user = await User.get(username="operator1")
        counter = await Counter.get(id=user.counter_id)
        service = get_host().registry.get(CASTE)
        scan = await documents.store(Actor(user), counter, service, "ration_card_scan", "Aadhaar 4991 1866 5246.pdf", b"%PDF-1.4 scan")
        older = await documents.store(Actor(user), counter, service, "ration_card_scan", "ration.pdf", b"%PDF-1.4 older")
        await Document.filter(id=older.id).update(original_name=f"card {AADHAAR}.pdf")  # kept before names were masked
        form = {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "SC",
                "caste": "Bairwa", "address": dict(ADDRESS), "ration_card_scan": scan.public_id, "mobile": "9829012345"}
        request = await pay(CASTE, form, "aadhaar-scan")
        await Document.filter(id=older.id).update(request_id=request.id)
        names = " ".join(d.original_name for d in await Document.filter(id=scan.id))
        return (await Case.get(request_id=request.id)).id, names

    case_id, stored = web.run(filed)
    assert stored == "Aadhaar XXXX XXXX 5246.pdf"
    web.login("tehsildar")
    page = web.get(f"/office/cases/{case_id}").text
    documents_listed = re.search(r'<ul id="documents">(.*?)</ul>', page, re.S).group(1)
    assert "Aadhaar XXXX XXXX 5246.pdf" in documents_listed and "card XXXX XXXX 5246.pdf" in documents_listed
    assert not _full(page)


def test_the_counters_confirmation_page_shows_it_masked(web):
    """The operator checks the form on the confirmation page, on a screen the queue can see: an
    Aadhaar number typed into a grievance's subject or description shows its last four digits only
    (a mistyped number fails its check digit and is not one; decision 141)."""
    from tests.test_form_text import ramesh

    web.login("operator1")
    eid = ramesh(web)
    form = {"department": "phed", "subject": "Aadhaar 4991 1866 5246 not linked", "mobile": "9414098765",
            "description": "Please link 4991-1866-5246 to my water connection."}
    for lang in ("en", "hi"):
        web.get(f"/lang/{lang}")
        confirm = web.post_form(f"/counter/citizens/{eid}/services/{GRIEVANCE}", form)
        assert confirm.status_code == 200 and 'id="total"' in confirm.text, confirm.text[-2000:]
        # what the screen shows: the form's values ride in hidden fields to be recorded when paid
        shown = re.sub(r"<input[^>]*>", "", confirm.text)
        assert not _full(shown) and "XXXX XXXX 5246" in shown

"""A corrected application resubmitted by the counter with the new scan the officer asked for: on the
counter's cases page and through the API, checked as every upload is, attached to the application in
one transaction with the resubmission, audited, and seen by the officer on the case page."""

from __future__ import annotations

import re
import stat

from emitra.core import config
from emitra.core.models import AuditLog, Case, Document
from tests.case_helpers import CASTE, caste_case

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
ASKED = "Attach an affidavit for the father's name"


def _returned(web, key: str = "corr-1") -> Case:
    """A caste application the tehsildar sent back asking for an affidavit; the operator logged in."""
    case = web.run(lambda: caste_case(key))
    web.login("tehsildar")
    sent_back = web.post_form(f"/office/cases/{case.id}/act", {"action": "return", "remark": ASKED}, token_from=f"/office/cases/{case.id}")
    assert sent_back.status_code == 303
    web.logout()
    web.login("operator1")
    return case


def _resubmit(web, case: Case, remark: str, files: dict | None = None):
    url = f"/counter/cases/{case.id}/resubmit"
    return web.client.post(url, data={"remark": remark, "csrf_token": web.csrf("/counter/cases")}, files=files or {})


def _corrections(web, case: Case | None = None) -> list[Document]:
    async def rows():
        query = Document.filter(field="correction")
        return await (query.filter(request_id=case.request_id) if case else query).order_by("id")

    return web.run(rows)


def _stored_files() -> set:
    return {p for p in config.data_dir().rglob("*") if p.is_file() and "documents" in p.parts}


def test_a_returned_application_is_resubmitted_with_the_scan_the_officer_asked_for(web):
    case = _returned(web)
    page = web.get("/counter/cases").text
    returned = re.search(r'<section id="returned">(.*?)</section>', page, re.S).group(1)
    form = re.search(r'<form[^>]*action="/counter/cases/%d/resubmit"[^>]*>' % case.id, returned).group(0)
    assert 'enctype="multipart/form-data"' in form and 'method="post"' in form
    assert 'type="file"' in returned and 'name="document"' in returned and 'accept="application/pdf,image/jpeg,image/png"' in returned
    before = _stored_files()
    done = _resubmit(web, case, "Affidavit for the father's name attached", {"document": ("../../etc/affidavit.pdf", PDF, "application/pdf")})
    assert done.status_code == 303 and "done=resubmit" in done.headers["location"]
    assert "is back with the department" in web.get(done.headers["location"]).text
    assert web.run(lambda: Case.get(id=case.id)).state == "forwarded"
    (doc,) = _corrections(web, case)
    assert (doc.original_name, doc.content_type, doc.size_bytes) == ("affidavit.pdf", "application/pdf", len(PDF))
    # stored privately under its random id, never under the name the browser gave
    (path,) = _stored_files() - before
    assert path == config.data_dir() / "documents" / doc.public_id[:2] / doc.public_id
    assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0
    audit = web.run(lambda: AuditLog.get(action="case.correction_attached", object_id=str(case.id)))
    assert audit.detail["document"] == doc.public_id and audit.detail["number"] == case.number
    assert web.run(lambda: AuditLog.exists(action="case.resubmit", object_id=str(case.id)))
    web.logout()
    web.login("tehsildar")  # the officer finds it with the application's documents
    officer_page = web.get(f"/office/cases/{case.id}").text
    documents = re.search(r'<ul id="documents">(.*?)</ul>', officer_page, re.S).group(1)
    assert f'href="/documents/{doc.public_id}"' in documents and "affidavit.pdf" in documents
    assert ">Corrected document</a>" in documents and ">correction</a>" not in documents
    served = web.get(f"/documents/{doc.public_id}")
    assert served.status_code == 200 and served.content == PDF
    web.logout()
    web.login("phed")  # another department's officer does not
    assert web.get(f"/documents/{doc.public_id}").status_code == 404


def test_without_a_scan_the_resubmission_goes_as_before(web):
    case = _returned(web, "corr-2")
    done = _resubmit(web, case, "Father's name corrected from the ration card")
    assert done.status_code == 303 and web.run(lambda: Case.get(id=case.id)).state == "forwarded"
    assert _corrections(web) == []


def test_a_scan_that_is_refused_keeps_nothing_and_says_why(web):
    case = _returned(web, "corr-3")
    before = _stored_files()
    refused = {
        "not a scan": ("affidavit.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        "empty": ("affidavit.pdf", b"", "application/pdf"),
        "too big": ("affidavit.pdf", PDF + b"0" * (2048 * 1024 + 10), "application/pdf"),
    }
    says = {"not a scan": "Corrected document: This file is not a PDF, JPEG or PNG file.",
            "empty": "Corrected document: The file is empty; scan the document again.",
            "too big": "Corrected document: The file is 2.1 MB; at most 2 MB is accepted."}
    for what, upload in refused.items():
        page = _resubmit(web, case, "Affidavit attached", {"document": upload})
        assert page.status_code == 400, what
        error = re.search(r'id="error-%d"[^>]*>(.*?)</p>' % case.id, page.text, re.S).group(1)
        assert says[what] in error, (what, error)
        assert "Affidavit attached" in page.text  # what the operator wrote is kept in the box
        assert "At most 2 MB." in page.text  # the help says the limit as the refusal does
    # a good scan with a step that is refused (no reason written): neither is kept, not even the file
    no_remark = _resubmit(web, case, "", {"document": ("affidavit.pdf", PDF, "application/pdf")})
    assert no_remark.status_code == 400 and "at least 5 characters" in no_remark.text
    assert web.run(lambda: Case.get(id=case.id)).state == "returned"
    assert web.run(lambda: Document.filter(field="correction").count()) == 0
    assert _stored_files() == before
    assert not web.run(lambda: AuditLog.exists(action="case.correction_attached"))
    web.get("/lang/hi")
    hindi = _resubmit(web, case, "Affidavit attached", {"document": refused["not a scan"]})
    assert hindi.status_code == 400 and "सुधारा गया दस्तावेज़: यह फ़ाइल PDF, JPEG या PNG फ़ाइल नहीं है।" in hindi.text


def test_only_the_counter_of_the_case_resubmits_it_and_with_the_forms_token(web):
    case = _returned(web, "corr-4")
    url = f"/counter/cases/{case.id}/resubmit"
    no_token = web.client.post(url, data={"remark": "Affidavit attached"}, files={"document": ("a.pdf", PDF, "application/pdf")})
    assert no_token.status_code == 403
    web.logout()
    web.login("operator2")  # another counter
    other = web.client.post(url, data={"remark": "Affidavit attached", "csrf_token": web.csrf("/counter/cases")},
                            files={"document": ("a.pdf", PDF, "application/pdf")})
    assert other.status_code == 404
    web.logout()
    web.login("tehsildar")
    officer = web.client.post(url, data={"remark": "Affidavit attached", "csrf_token": web.csrf("/office")},
                              files={"document": ("a.pdf", PDF, "application/pdf")})
    assert officer.status_code == 403
    assert web.run(lambda: Case.get(id=case.id)).state == "returned" and _corrections(web) == []


def test_the_api_resubmits_with_the_corrected_documents_scan(web):
    case = _returned(web, "corr-5")
    web.logout()
    token = web.api_token("operator1")
    uploaded = web.client.post("/api/v1/documents", headers=token, data={"service_code": CASTE, "field": "correction"},
                               files={"file": ("affidavit.pdf", PDF, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    doc_id = uploaded.json()["id"]
    url = f"/api/v1/cases/{case.number}/actions"
    wrong_step = web.client.post(url, headers=token, json={"action": "collect", "document": doc_id})
    assert wrong_step.status_code == 422 and wrong_step.json()["error"]["fields"][0]["field"] == "document"
    form_scan = web.run(lambda: Document.filter(field="ration_card_scan", request_id=case.request_id).first())
    not_a_correction = web.client.post(url, headers=token, json={"action": "resubmit", "remark": "Affidavit attached",
                                                                   "document": form_scan.public_id})
    assert not_a_correction.status_code == 422 and not_a_correction.json()["error"]["fields"][0]["field"] == "document"
    assert web.run(lambda: Case.get(id=case.id)).state == "returned"
    done = web.client.post(url, headers=token, json={"action": "resubmit", "remark": "Affidavit attached", "document": doc_id})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "forwarded"
    (doc,) = _corrections(web, case)
    assert doc.public_id == doc_id
    assert web.run(lambda: AuditLog.exists(action="case.correction_attached", object_id=str(case.id)))
    again = web.client.post(url, headers=token, json={"action": "resubmit", "remark": "Affidavit attached", "document": doc_id})
    assert again.status_code == 422 and "already attached" in again.json()["error"]["message"]  # it stays with its application
    assert web.run(lambda: Case.get(id=case.id)).state == "forwarded"

    # a correction's scan is not a form's document: a new application's form cannot name it
    spare = web.client.post("/api/v1/documents", headers=token, data={"service_code": CASTE, "field": "correction"},
                            files={"file": ("spare.pdf", PDF, "application/pdf")}).json()["id"]

    async def in_a_form():
        from emitra.core import documents
        from emitra.core.forms import FormErrors
        from emitra.core.models import Counter
        from emitra.core.plugins import get_host

        try:
            await documents.check_references(await Counter.get(code="JP-LM-001"), get_host().registry.get(CASTE),
                                             {"ration_card_scan": spare})
        except FormErrors as exc:
            return exc.by_field()
        return {}

    assert "ration_card_scan" in web.run(in_a_form)


def test_a_failure_after_the_scan_is_stored_undoes_the_resubmission_and_removes_the_file(web_answering_errors, monkeypatch):
    """One transaction: the step, the document, its attachment and the audit record, or none of them."""
    from emitra.core import audit

    web = web_answering_errors
    case = _returned(web, "corr-6")
    real = audit.record

    async def failing(actor, action, *args, **kwargs):
        if action == "case.correction_attached":
            raise RuntimeError("the disk is full")
        return await real(actor, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", failing)
    before = _stored_files()
    crashed = _resubmit(web, case, "Affidavit attached", {"document": ("affidavit.pdf", PDF, "application/pdf")})
    assert crashed.status_code == 500
    assert web.run(lambda: Case.get(id=case.id)).state == "returned"
    assert web.run(lambda: Document.filter(field="correction").count()) == 0
    assert not web.run(lambda: AuditLog.exists(action="case.resubmit", object_id=str(case.id)))
    assert _stored_files() == before

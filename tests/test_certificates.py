"""Certificates on screen and on paper (PDF) with a QR code, and the public verification of
certificates and receipts."""

from __future__ import annotations

import io
import logging
import re
import sys

import pytest

from emitra.core import certificate_render, fees, workflow
from emitra.core.models import Certificate, Counter, ServiceRequest
from emitra.core.plugins import get_host
from emitra.web import certificates as certificates_web
from emitra.web.certificates import mask_name
from tests.case_helpers import CASTE, actor, caste_case

JAMABANDI = "gov.rj.revenue.jamabandi_copy"

HOLDER = "Lakshmi Narayan Bairwa"
REASON = "Issued on a forged ration card"


def issued(web, key: str = "caste-1", username: str = "operator1") -> dict[str, str]:
    """A paid caste application, approved and issued by the tehsildar."""

    async def go():
        case = await caste_case(key, username)
        case = await workflow.act(await actor("tehsildar"), case, "approve", "Caste verified against the ration card")
        case = await workflow.act(await actor("tehsildar"), case, "issue")
        cert = await Certificate.get(case_id=case.id)
        request = await ServiceRequest.get(id=case.request_id)
        return {"number": cert.number, "token": cert.token, "receipt": request.receipt_no, "case_id": case.id}

    return web.run(go)


def revoke(web, case_id: int, reason: str = REASON) -> None:
    async def go():
        from emitra.core.models import Case

        await workflow.act(await actor("tehsildar"), await Case.get(id=case_id), "revoke", reason)

    web.run(go)


def svg_path(svg: str) -> str:
    return re.search(r'<path fill="#000" d="([^"]+)"', svg).group(1)


# --- what the plugins certify -------------------------------------------------------------------

def test_the_caste_certificate_reads_like_the_tehsildars_certificate():
    service = get_host().registry.get(CASTE)
    content = service.certificate({**service.example, "caste_category": "OBC", "annual_family_income": 240000,
                                   "non_creamy_layer": True}, [])
    rows = {r["label_en"]: r for r in content["rows"]}
    assert (content["title_en"], content["title_hi"], content["holder"]) == ("Caste Certificate", "जाति प्रमाण पत्र", HOLDER)
    assert rows["Certified (English)"]["value"].startswith(
        "This is to certify that Lakshmi Narayan Bairwa, son/daughter of Gheesa Lal Bairwa, resident of Phagi, tehsil Phagi")
    assert "belongs to the Bairwa caste" in rows["Certified (English)"]["value"]
    assert "Other Backward Class (OBC)" in rows["Certified (English)"]["value"] and "creamy layer" in rows["Certified (English)"]["value"]
    assert "तहसील फागी" in rows["Certified (Hindi)"]["value"] and "अन्य पिछड़ा वर्ग (OBC)" in rows["Certified (Hindi)"]["value"]
    # each particular in English, with its Hindi beside it (value_hi), not both in one value
    assert (rows["Issuing authority"]["value"], rows["Issuing authority"]["value_hi"]) == ("Tehsildar, Phagi", "तहसीलदार, फागी")
    assert (rows["Category"]["value"], rows["Category"]["value_hi"]) == ("Other Backward Class (OBC)", "अन्य पिछड़ा वर्ग (OBC)")
    # the residence in Hindi too, printed with the English on the paper (it was English only), the district
    # in Hindi in the Hindi (the form's "Jaipur" was printed as typed: "जिला Jaipur")
    assert (rows["Resident of"]["value"], rows["Resident of"]["value_hi"]) == (
        "Phagi, tehsil Phagi, district Jaipur", "Phagi, तहसील फागी, जिला जयपुर")
    assert "जिला जयपुर, राजस्थान" in rows["Certified (Hindi)"]["value"] and "Jaipur" not in rows["Certified (Hindi)"]["value"]
    assert all(r["label_hi"] for r in content["rows"])
    # only what the paper shows: no house number, PIN or mobile
    assert not any("14, Bairwa Mohalla" in r["value"] + r.get("value_hi", "") or "303005" in r["value"] + r.get("value_hi", "")
                   for r in content["rows"])


@pytest.mark.parametrize("code, title, holder, says", [
    ("gov.rj.revenue.domicile_certificate", "Domicile Certificate (Mool Niwas)", "Pooja Kumawat",
     "Pooja Kumawat, daughter of Jagdish Prasad Kumawat"),
    ("gov.rj.pehchan.birth_certificate", "Birth Certificate", "Aarav Sharma", "Registration of Births and Deaths Act, 1969"),
    ("gov.rj.pehchan.death_certificate", "Death Certificate", "Prabhu Dayal Sharma", "original record of death"),
])
def test_other_certificates_name_their_holder_and_say_what_they_certify(code, title, holder, says):
    service = get_host().registry.get(code)
    content = service.certificate(dict(service.example), [])
    assert (content["title_en"], content["holder"]) == (title, holder)
    assert says in content["rows"][0]["value"]
    if code.startswith("gov.rj.revenue."):  # where the holder lives, in both languages
        assert ", तहसील चौमूं, जिला जयपुर" in next(r for r in content["rows"] if r["label_en"] == "Resident of")["value_hi"]
        assert "जिला जयपुर" in content["rows"][1]["value"]  # the Hindi statement names the district in Hindi
    assert all(r["label_en"] and r["label_hi"] and r["value"] for r in content["rows"])


def test_a_holders_name_is_masked_word_by_word():
    assert mask_name("Lakshmi Narayan Bairwa") == "L****** N****** B*****"
    assert mask_name("  Geeta  ") == "G****"


# --- the certificate page and its PDF -----------------------------------------------------------

def test_the_certificate_page_shows_the_holder_the_number_and_the_qr_of_its_verification_address(web):
    cert = issued(web)
    web.login("tehsildar")
    page = web.get(f"/certificates/{cert['number']}")
    assert page.status_code == 200
    assert HOLDER in page.text and cert["number"] in page.text
    assert "Caste Certificate" in page.text and "जाति प्रमाण पत्र" in page.text  # both languages, whatever the page's
    assert page.headers["cache-control"] == "no-store"
    url = f"http://testserver/verify/certificate/{cert['token']}"
    assert url in page.text
    svg = re.search(r"<svg[^>]*>.*?</svg>", page.text, re.S).group(0)
    # the code drawn is the code of that address (and not of another certificate's)
    assert svg_path(svg) == svg_path(certificate_render.qr_svg(url))
    assert svg_path(svg) != svg_path(certificate_render.qr_svg(url.replace(cert["token"], "another-certificates-token")))
    assert f'href="/certificates/{cert["number"]}.pdf"' in page.text
    assert 'class="no-print cert-actions"' in page.text  # the download link is not printed


def test_the_qr_matrix_is_the_qr_code_of_the_address():
    import qrcode

    url = "https://emitra.example.org/verify/certificate/abcdefghijklmnop"
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    reference.add_data(url)
    reference.make(fit=True)
    matrix = certificate_render.qr_matrix(url)
    assert matrix == [list(row) for row in reference.get_matrix()]
    assert len(matrix) == 4 * reference.version + 17
    # the three finder patterns are in their corners
    for top, left in ((0, 0), (0, len(matrix) - 7), (len(matrix) - 7, 0)):
        assert all(matrix[top][left + i] for i in range(7)) and not matrix[top + 1][left + 1]


def test_the_pdf_is_an_a4_pdf_with_the_number_and_the_public_verification_address(web, monkeypatch):
    monkeypatch.setenv("EMITRA_PUBLIC_URL", "https://emitra.example.org/")
    cert = issued(web)
    web.login("operator1")  # the counter that hands it over prints it
    pdf = web.get(f"/certificates/{cert['number']}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'inline; filename="{cert["number"]}.pdf"'
    body = pdf.content
    assert body.startswith(b"%PDF-") and len(body) > 10_000
    assert f"/Title ({cert['number']} Caste Certificate)".encode() in body
    assert f"https://emitra.example.org/verify/certificate/{cert['token']}".encode() in body
    assert b"/MediaBox [0 0 595.28 841.89]" in body  # A4
    assert b"NotoSansDevanagari" in body  # the Hindi is set in the embedded Devanagari font
    # the page, too, prints the public address when one is configured
    assert f"https://emitra.example.org/verify/certificate/{cert['token']}" in web.get(f"/certificates/{cert['number']}").text


def jamabandi_issued(web) -> dict[str, str]:
    """A paid copy of the jamabandi of khasra 245/1, Sanganer, approved and issued by the tehsildar:
    its "Village / tehsil" particular carries a Hindi value (``value_hi``), its khasra number none."""

    async def go():
        from emitra.core.models import Case
        from tests.case_helpers import pay

        request = await pay(JAMABANDI, {"village": "sanganer", "khasra_no": "245/1"}, "jamabandi-1")
        case = await workflow.act(await actor("tehsildar"), await Case.get(request_id=request.id), "approve", "Checked")
        case = await workflow.act(await actor("tehsildar"), case, "issue")
        return {"number": (await Certificate.get(case_id=case.id)).number}

    return web.run(go)


def pdf_text(body: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def cell(page: str, label: str) -> str:
    """The value cell of the certificate's particular labelled ``label``, its tags removed."""
    row = re.search(r"<tr><th[^>]*>(?:(?!</tr>).)*?" + re.escape(label) + r".*?</th><td>(.*?)</td></tr>", page, re.S).group(1)
    return re.sub(r"<[^>]+>", "|", row)


def test_a_certificate_carries_the_hindi_values_and_department_name_the_plugin_gives(web):
    cert = jamabandi_issued(web)
    web.login("tehsildar")
    for lang, first, second in (("en", "Sanganer / Sanganer", "सांगानेर / सांगानेर"), ("hi", "सांगानेर / सांगानेर", "Sanganer / Sanganer")):
        web.get(f"/lang/{lang}?next=/")
        page = web.get(f"/certificates/{cert['number']}").text
        # the value in both languages, the page's first, as the label; a value without Hindi once
        village = cell(page, "Village / tehsil")
        assert village.index(first) < village.index(second), (lang, village)
        assert cell(page, "Khasra number").strip("|") == "245/1"
        department = re.search(r'id="cert-dept">(.*?)</p>', page, re.S).group(1)
        assert "Revenue Department, Government of Rajasthan" in department and "राजस्व विभाग, राजस्थान सरकार" in department
        pdf = web.get(f"/certificates/{cert['number']}.pdf")
        text = pdf_text(pdf.content)
        assert "Revenue Department, Government of Rajasthan" in text and "राजस्व" in text, text
        assert "सांगानेर / सांगानेर" in text and "Sanganer / Sanganer" in text, text
    # the QR page shows the same particulars as the paper
    token = web.run(lambda: Certificate.get(number=cert["number"])).token
    web.get("/lang/en?next=/")
    verify = web.get(f"/verify/certificate/{token}").text
    assert "सांगानेर / सांगानेर" in cell(verify, "Village / tehsil") and "Authentic" in verify


def test_a_particulars_hindi_value_is_certified_content(web):
    """value_hi is hashed with the rest: changed in the database, the certificate is not authentic."""
    cert = jamabandi_issued(web)

    async def tamper():
        certificate = await Certificate.get(number=cert["number"])
        rows = [dict(r) for r in certificate.rows]
        row = next(r for r in rows if r["label_en"] == "Village / tehsil")
        assert row["value_hi"] == "सांगानेर / सांगानेर"
        row["value_hi"] = "बस्सी / बस्सी"
        await Certificate.filter(id=certificate.id).update(rows=rows)
        return certificate.token

    token = web.run(tamper)
    page = web.get(f"/verify/certificate/{token}")
    assert "Not authentic" in re.search(r'id="verdict">(.*?)</div>', page.text, re.S).group(1) and "बस्सी" not in page.text


BIRTH, DEATH = "gov.rj.pehchan.birth_certificate", "gov.rj.pehchan.death_certificate"
DEVANAGARI = re.compile(r"[\u0900-\u097f]")


def test_birth_and_death_certificates_give_each_particular_in_english_and_in_hindi():
    """The registrar's certificates kept both languages in one value ("Male / पुरुष"): each
    particular now has its English value and, where it is words, its Hindi value (value_hi)."""
    birth = get_host().registry.get(BIRTH)
    rows = {r["label_en"]: r for r in birth.certificate(dict(birth.example), [])["rows"]}
    assert (rows["Sex"]["value"], rows["Sex"]["value_hi"]) == ("Male", "पुरुष")
    assert (rows["Place of birth"]["value"], rows["Place of birth"]["value_hi"]) == (
        "Mahila Chikitsalaya, Sanganeri Gate, Jaipur (Hospital or health centre)", "Mahila Chikitsalaya, Sanganeri Gate, Jaipur (अस्पताल या स्वास्थ्य केंद्र)")
    death = get_host().registry.get(DEATH)
    death_rows = {r["label_en"]: r for r in death.certificate(dict(death.example), [])["rows"]}
    assert (death_rows["Informant"]["value"], death_rows["Informant"]["value_hi"]) == ("Ramesh Kumar Sharma (Son)", "Ramesh Kumar Sharma (पुत्र)")
    for particulars in (rows, death_rows):
        assert (particulars["Issuing authority"]["value"], particulars["Issuing authority"]["value_hi"]) == (
            "Registrar, Births and Deaths", "रजिस्ट्रार, जन्म-मृत्यु")
        # English values in English (the Hindi statement is its own row, as on every certificate)
        assert [label for label, r in particulars.items() if DEVANAGARI.search(r["value"])] == ["Certified (Hindi)"]
        assert all(DEVANAGARI.search(r["value_hi"]) for r in particulars.values() if "value_hi" in r)
    # without the kind of place, the place alone
    assert {r["label_en"]: r for r in birth.certificate({**birth.example, "place_type": ""}, [])["rows"]}["Place of birth"] == {
        "label_en": "Place of birth", "label_hi": "जन्म स्थान", "value": "Mahila Chikitsalaya, Sanganeri Gate, Jaipur"}


def birth_issued(web) -> dict[str, str]:
    """A paid birth certificate application, approved and issued by the registrar."""

    async def go():
        from emitra.core.models import Case
        from tests.case_helpers import pay

        service = get_host().registry.get(BIRTH)
        request = await pay(BIRTH, dict(service.example), "birth-1")
        case = await workflow.act(await actor("registrar"), await Case.get(request_id=request.id), "approve", "Checked against the register")
        case = await workflow.act(await actor("registrar"), case, "issue")
        cert = await Certificate.get(case_id=case.id)
        return {"number": cert.number, "token": cert.token}

    return web.run(go)


def test_a_birth_certificate_shows_its_particulars_in_the_pages_language_first(web):
    cert = birth_issued(web)
    web.login("registrar")
    for lang in ("en", "hi"):
        web.get(f"/lang/{lang}?next=/")
        page = web.get(f"/certificates/{cert['number']}").text
        for label, en, hi in (("Sex", "Male", "पुरुष"), ("Issuing authority", "Registrar, Births and Deaths", "रजिस्ट्रार, जन्म-मृत्यु")):
            value = [v for v in cell(page, label).split("|") if v.strip() and v.strip() != "/"]
            assert value == ([en, hi] if lang == "en" else [hi, en]), (lang, label, value)
        pdf = web.get(f"/certificates/{cert['number']}.pdf")
        assert pdf.status_code == 200
        lines = [line.strip() for line in pdf_text(pdf.content).splitlines()]
        assert "Male / पुरुष" not in " ".join(lines) and "Registrar, Births and Deaths / " not in " ".join(lines), lines
        assert any(line.endswith("Registrar, Births and Deaths") for line in lines), lines
    token = web.run(lambda: Certificate.get(number=cert["number"])).token
    verify = web.get(f"/verify/certificate/{token}").text  # the QR page, in Hindi as chosen: the Hindi value first
    assert cell(verify, "Sex").index("पुरुष") < cell(verify, "Sex").index("Male")


def test_a_birth_certificate_issued_with_both_languages_in_one_value_still_shows_and_verifies(web):
    """A certificate issued before the values were separate keeps its rows as issued (they are
    hashed: rewriting them would make it 'altered'): it shows them as they are and stays authentic."""
    cert = birth_issued(web)

    async def as_issued_before():
        from emitra.core.certificates import content_hash

        certificate = await Certificate.get(number=cert["number"])
        rows = []
        for r in certificate.rows:
            r = {k: v for k, v in r.items() if k != "value_hi"}
            if r["label_en"] == "Sex":
                r["value"] = "Male / पुरुष"
            if r["label_en"] == "Issuing authority":
                r["value"] = "Registrar, Births and Deaths / रजिस्ट्रार, जन्म-मृत्यु"
            rows.append(r)
        sha = content_hash(certificate.number, certificate.holder_name, certificate.title_en, rows, certificate.issued_at)
        await Certificate.filter(id=certificate.id).update(rows=rows, sha256=sha)

    web.run(as_issued_before)
    web.login("registrar")
    page = web.get(f"/certificates/{cert['number']}").text
    assert "Male / पुरुष" in cell(page, "Sex") and "Not authentic" not in page
    pdf = web.get(f"/certificates/{cert['number']}.pdf")
    assert pdf.status_code == 200 and "Male / पुरुष" in pdf_text(pdf.content)
    verify = web.get(f"/verify/certificate/{cert['token']}").text
    assert "Authentic" in re.search(r'id="verdict">(.*?)</div>', verify, re.S).group(1)
    assert "Registrar, Births and Deaths / रजिस्ट्रार, जन्म-मृत्यु" in cell(verify, "Issuing authority")


class Remember(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_without_text_shaping_the_pdf_is_still_made_and_a_warning_logged(web, monkeypatch):
    cert = issued(web)

    async def load():
        certificate = await Certificate.get(number=cert["number"]).prefetch_related("case")
        return certificate, certificate.case

    certificate, case = web.run(load)
    monkeypatch.setitem(sys.modules, "uharfbuzz", None)  # as if it were not installed
    log = logging.getLogger("emitra.core.certificate_render")
    remember = Remember()
    log.addHandler(remember)
    try:
        body = certificate_render.pdf_bytes(certificate, case, certificate_render.verify_url(cert["token"]))
    finally:
        log.removeHandler(remember)
    assert body.startswith(b"%PDF-") and cert["number"].encode() in body
    assert any("unshaped" in m for m in remember.messages)


# --- who may open it ----------------------------------------------------------------------------

def test_only_the_people_of_the_case_may_open_the_certificate(web):
    cert = issued(web)
    path = f"/certificates/{cert['number']}"
    anonymous = web.get(path)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    for username, status in (("tehsildar", 200), ("sdm", 200), ("operator1", 200), ("society", 200), ("state", 200),
                             ("citizen", 200),  # linked to Ramesh Kumar Sharma, who paid for this request
                             ("operator2", 404), ("officer", 404), ("phed", 404), ("registrar", 404), ("lsp", 404)):
        web.login(username)
        assert web.get(path).status_code == status, username
        assert web.get(path + ".pdf").status_code == status, username
        web.logout()
    web.login("tehsildar")
    assert web.get("/certificates/JP-C-2026-999999").status_code == 404


def test_a_citizen_cannot_open_another_citizens_certificate(web):
    async def for_sunita():
        from tests.case_helpers import pay, upload, ADDRESS

        scan = await upload(CASTE, "ration_card_scan")
        form = {"applicant_name": "Sunita Devi", "father_name": "Ram Lal", "caste_category": "SC", "caste": "Bairwa",
                "address": dict(ADDRESS), "ration_card_scan": scan}
        request = await pay(CASTE, form, "caste-sunita", citizen="Sunita Devi")
        from emitra.core.models import Case

        case = await Case.get(request_id=request.id)
        case = await workflow.act(await actor("tehsildar"), case, "approve", "Verified")
        await workflow.act(await actor("tehsildar"), case, "issue")
        return (await Certificate.get(case_id=case.id)).number

    number = web.run(for_sunita)
    web.login("citizen")  # Ramesh
    assert web.get(f"/certificates/{number}").status_code == 404


def test_a_revoked_certificate_says_so_on_the_page_and_on_paper(web):
    cert = issued(web)
    revoke(web, cert["case_id"])
    web.login("tehsildar")
    page = web.get(f"/certificates/{cert['number']}")
    assert page.status_code == 200
    banner = re.search(r'<div class="cert-banner bad" role="alert" id="revoked">(.*?)</div>', page.text, re.S).group(1)
    assert "REVOKED on" in banner and REASON in banner


# --- public verification ------------------------------------------------------------------------

def test_the_qr_address_shows_the_authentic_certificate_to_anyone_without_personal_data(web):
    cert = issued(web)
    page = web.get(f"/verify/certificate/{cert['token']}")  # not logged in
    assert page.status_code == 200
    verdict = re.search(r'id="verdict">(.*?)</div>', page.text, re.S).group(1)
    assert "Authentic" in verdict
    assert HOLDER in page.text and cert["number"] in page.text and "Gheesa Lal Bairwa" in page.text
    assert "Revenue Department, Government of Rajasthan" in page.text
    for personal in ("9829012345", "14, Bairwa Mohalla", "303005", "Ramesh"):
        assert personal not in page.text


def test_after_revocation_the_qr_address_says_revoked_with_the_reason(web):
    cert = issued(web)
    revoke(web, cert["case_id"])
    page = web.get(f"/verify/certificate/{cert['token']}")
    verdict = re.search(r'id="verdict">(.*?)</div>', page.text, re.S).group(1)
    assert "Revoked" in verdict and REASON in verdict and "Authentic" not in verdict


def test_a_certificate_altered_in_the_database_is_not_authentic(web):
    cert = issued(web)

    async def tamper():
        certificate = await Certificate.get(number=cert["number"])
        rows = [dict(r) for r in certificate.rows]
        rows[next(i for i, r in enumerate(rows) if r["label_en"] == "Caste")]["value"] = "Rajput"
        await Certificate.filter(id=certificate.id).update(rows=rows)

    web.run(tamper)
    page = web.get(f"/verify/certificate/{cert['token']}")
    verdict = re.search(r'id="verdict">(.*?)</div>', page.text, re.S).group(1)
    assert "Not authentic" in verdict and "Rajput" not in page.text
    by_number = web.get(f"/verify?number={cert['number']}")
    assert "Not authentic" in by_number.text
    web.login("tehsildar")
    assert 'id="altered"' in web.get(f"/certificates/{cert['number']}").text


def test_by_number_an_altered_certificate_shows_none_of_its_particulars(web):
    """The QR page hides an altered record's particulars; the check by number must too, even masked."""
    cert = issued(web)
    web.run(lambda: Certificate.filter(number=cert["number"]).update(holder_name="Suresh Dutt Sharma",
                                                                       title_en="Domicile Certificate"))
    page = web.get(f"/verify?number={cert['number']}")
    verdict = re.search(r'id="verdict">(.*?)</div>', page.text, re.S).group(1)
    assert "Not authentic" in verdict and cert["number"] in verdict
    assert "S***** D*** S*****" not in page.text and "Issued to" not in page.text and 'id="masked-holder"' not in page.text
    assert "Domicile" not in page.text and "Caste Certificate" not in page.text and "Issued on" not in page.text
    assert "none is shown" in verdict


def test_by_number_a_number_too_long_is_refused_for_its_length(web):
    page = web.get("/verify", params={"number": "1" * 60})
    assert page.status_code == 400
    error = re.search(r'id="number-error"[^>]*>(.*?)</p>', page.text, re.S).group(1)
    assert "at most 40 characters; this one has 60" in error and "letters, digits and dashes" not in error
    web.get("/lang/hi?next=/verify")
    hindi = web.get("/verify", params={"number": "1" * 60})
    assert hindi.status_code == 400 and "अधिकतम 40 अक्षर" in hindi.text


def test_an_unknown_token_is_not_found(web):
    page = web.get("/verify/certificate/no-such-token-at-all")
    assert page.status_code == 404 and "Not found" in page.text


def test_by_number_the_status_shows_with_the_name_masked_and_nothing_else(web):
    cert = issued(web)
    page = web.get(f"/verify?number={cert['number']}")
    assert page.status_code == 200
    assert "Authentic" in page.text and "L****** N****** B*****" in page.text and "Caste Certificate" in page.text
    assert HOLDER not in page.text and "Gheesa" not in page.text and cert["token"] not in page.text
    revoke(web, cert["case_id"])
    assert "Revoked" in web.get(f"/verify?number={cert['number']}").text
    missing = web.get("/verify?number=JP-C-2026-999999")
    assert missing.status_code == 404 and "Not found" in missing.text
    bad = web.get("/verify?number=<script>")
    assert bad.status_code == 400 and "letters, digits and dashes" in bad.text


# --- receipts -----------------------------------------------------------------------------------

def test_a_receipt_is_checked_against_the_published_rate_without_personal_data(web):
    cert = issued(web)
    receipt = cert["receipt"]
    page = web.get(f"/verify/receipt?receipt_no={receipt}&total=10")
    assert page.status_code == 200
    assert "As published" in page.text and "₹10.00" in page.text
    assert "Caste certificate" in page.text
    for personal in ("Ramesh", "9829012345", "98XXXXXX45", HOLDER, "Gheesa"):
        assert personal not in page.text, personal

    async def lower_the_district_rate():
        society = await actor("society")
        await fees.set_override(society, get_host().registry.get(CASTE), 500, society.user.district_id)

    web.run(lower_the_district_rate)
    page = web.get(f"/verify/receipt?receipt_no={receipt}&total=10.00")
    assert "Charged more than the published rate: file a complaint." in page.text
    assert "₹5.00" in page.text  # the published rate and the excess
    counter = web.run(lambda: Counter.get(code="JP-LM-001"))
    assert f'href="/grievances/new?counter={counter.code}&amp;receipt={receipt}"' in page.text
    assert "Ramesh" not in page.text and "9829012345" not in page.text


def test_the_receipt_check_opens_as_an_empty_form(web):
    page = web.get("/verify/receipt")  # from a link or the address bar: nothing typed yet, so nothing is wrong
    assert page.status_code == 200 and 'name="receipt_no"' in page.text and 'name="total"' in page.text
    assert 'role="alert"' not in page.text and "Type the receipt number" not in page.text


def test_a_receipt_number_is_checked_for_its_form_and_existence(web):
    missing = web.get("/verify/receipt?receipt_no=JP0001000009999&total=10")
    assert missing.status_code == 404 and "No receipt with this number and total" in missing.text
    for bad in ("JP0001<b>", "A" * 25, ""):
        page = web.get("/verify/receipt", params={"receipt_no": bad, "total": "10"})
        assert page.status_code == 400 and "receipt number" in page.text
    for bad in ("", "ten", "10.001", "-10"):
        page = web.get("/verify/receipt", params={"receipt_no": "JP0001000009999", "total": bad})
        error = re.search(r'id="total-error"[^>]*>(.*?)</p>', page.text, re.S).group(1)
        assert page.status_code == 400 and "Total paid: type the total printed on the receipt" in error


def test_a_receipt_is_shown_only_with_the_total_printed_on_it(web):
    """A receipt number alone says nothing (it would tell anyone which numbers exist, as /track does
    not): the total printed on the receipt must come with it, typed as a person copies it."""
    receipt = issued(web)["receipt"]
    alone = web.get(f"/verify/receipt?receipt_no={receipt}")
    assert alone.status_code == 400 and "Caste certificate" not in alone.text and "JP-LM-001" not in alone.text
    wrong = web.get("/verify/receipt", params={"receipt_no": receipt, "total": "11"})
    unknown = web.get("/verify/receipt", params={"receipt_no": "JP0001000009999", "total": "10"})
    for page in (wrong, unknown):  # the same answer: which of the two was wrong is not said
        assert page.status_code == 404 and "No receipt with this number and total" in page.text
        assert "Caste certificate" not in page.text and "JP-LM-001" not in page.text and 'id="receipt"' not in page.text
    for typed_no, typed_total in ((receipt, "10"), (receipt.lower(), "₹10.00"), (f"{receipt[:6]} {receipt[6:]}", "Rs 10"),
                                  (f"{receipt[:2]}-{receipt[2:]}", " 10.0 ")):
        page = web.get("/verify/receipt", params={"receipt_no": typed_no, "total": typed_total})
        assert page.status_code == 200, (typed_no, typed_total)
        assert 'id="receipt"' in page.text and "Caste certificate" in page.text and "JP-LM-001" in page.text
    form = web.get("/verify").text  # the public page asks for both
    assert 'name="receipt_no"' in form and 'name="total"' in form


def test_receipts_not_found_are_throttled_after_ten_from_one_address(web):
    receipt = issued(web)["receipt"]
    for i in range(10):
        assert web.get("/verify/receipt", params={"receipt_no": f"JP00010000{i:05d}", "total": "10"}).status_code == 404
    blocked = web.get("/verify/receipt", params={"receipt_no": receipt, "total": "10"})  # even the right pair, now
    assert blocked.status_code == 429 and "Wait 15 minutes" in blocked.text and 'id="receipt"' not in blocked.text
    from emitra.core.ids import make_receipt_no

    # a well-formed receipt number no counter issued (a mistyped one is refused before any look-up: decision 183)
    tracked = web.post_form("/track", {"number": make_receipt_no("JP", 1, 9999), "mobile": "9829012345"})
    assert tracked.status_code == 404  # a count of its own: tracking is not blocked by it


def test_certificate_numbers_looked_up_are_throttled_found_or_not_but_not_the_qr_code(web):
    """Certificate numbers run in sequence, so a run of look-ups by number would list a district's
    certificates (masked names, titles, dates) even if every one is found: every look-up by number
    is counted per address, and after the limit the answer is 429 for any number, the QR code's
    page still open (its token cannot be guessed)."""
    cert = issued(web)
    prefix, serial = cert["number"].rsplit("-", 1)
    for i in range(certificates_web.CERTIFICATE_LOOKUPS):
        number = cert["number"] if i % 2 else f"{prefix}-{int(serial) + 1000 + i:06d}"
        assert web.get("/verify", params={"number": number}).status_code == (200 if i % 2 else 404)
    blocked = web.get("/verify", params={"number": cert["number"]})  # even a number that exists, now
    assert blocked.status_code == 429 and 'id="throttled"' in blocked.text and "Wait 15 minutes" in blocked.text
    assert 'id="verdict"' not in blocked.text and 'id="masked-holder"' not in blocked.text
    assert web.get("/verify", params={"number": "<script>"}).status_code == 400  # a malformed number is not looked up, nor counted
    assert web.get(f"/verify/certificate/{cert['token']}").status_code == 200  # the QR code still answers
    hindi = web.get("/verify", params={"number": cert["number"], "lang": "hi"})
    assert hindi.status_code == 429 and "15 मिनट" in hindi.text
    receipt = web.get("/verify/receipt", params={"receipt_no": cert["receipt"], "total": "10"})
    assert receipt.status_code == 200  # a count of its own: receipts are not blocked by it


@pytest.mark.parametrize("code", [CASTE, "gov.rj.revenue.domicile_certificate"])
def test_the_tehsildars_certificates_give_each_particular_in_english_and_in_hindi(code):
    """The caste and domicile certificates wrote the category, sex, purpose and issuing authority as
    "Tehsildar, Phagi / तहसीलदार, फागी" in one value, as the birth and death certificates did: each
    now has its English value and its Hindi (value_hi), shown in the page's language first."""
    service = get_host().registry.get(code)
    rows = {r["label_en"]: r for r in service.certificate(dict(service.example), [])["rows"]}
    authority = rows["Issuing authority"]
    assert authority["value"].startswith("Tehsildar, ") and authority["value_hi"].startswith("तहसीलदार, ")
    assert [label for label, r in rows.items() if DEVANAGARI.search(r["value"])] == ["Certified (Hindi)"]
    assert all(DEVANAGARI.search(r["value_hi"]) for r in rows.values() if "value_hi" in r)
    assert not any(" / " in r["value"] and DEVANAGARI.search(r["value"]) for r in rows.values())


def test_a_revocation_reason_longer_than_the_certificate_keeps_is_refused_not_cut(web):
    """A reason of 501 to 2,000 characters was taken (it is a remark), and the certificate kept its
    first 500: anyone verifying read a sentence cut in the middle, and the officer was never told.
    Now it is refused beside the step, naming its length and the limit, and nothing changes; the
    page's box takes 500 and says who reads it."""
    cert = issued(web)
    case_id = cert["case_id"]
    web.login("tehsildar")
    page = web.get(f"/office/cases/{case_id}").text
    form = re.search(r'<form[^>]*id="act-revoke">(.*?)</form>', page, re.S).group(1)
    assert 'maxlength="500"' in form and "anyone who scans its QR code" in form
    long = "Issued on a forged ration card; the ration card office confirmed in writing that " + "x" * 480
    token = web.csrf(f"/office/cases/{case_id}")
    refused = web.post(f"/office/cases/{case_id}/act", data={"csrf_token": token, "action": "revoke", "remark": long})
    assert refused.status_code == 400
    error = re.search(r'id="error-revoke"[^>]*>(.*?)</p>', refused.text, re.S).group(1)
    assert f"it is {len(long)} characters long" in error and "at most 500" in error
    assert long in refused.text  # kept in the box, to shorten
    certificate = web.run(lambda: Certificate.get(number=cert["number"]))
    assert certificate.revoked_at is None and certificate.revoked_reason == ""
    from emitra.core.models import Case

    assert web.run(lambda: Case.get(id=case_id)).state == "ready"
    web.get("/office?lang=hi")
    token = web.csrf(f"/office/cases/{case_id}")
    hindi = web.post(f"/office/cases/{case_id}/act", data={"csrf_token": token, "action": "revoke", "remark": long})
    assert "अधिकतम 500 अक्षरों तक छोटा करें" in hindi.text
    exact = long[:500]
    token = web.csrf(f"/office/cases/{case_id}")
    assert web.post(f"/office/cases/{case_id}/act", data={"csrf_token": token, "action": "revoke", "remark": exact}).status_code == 303
    assert web.run(lambda: Certificate.get(number=cert["number"])).revoked_reason == exact


@pytest.mark.parametrize("broken,why", [
    (lambda self, data, details: 1 / 0, "ZeroDivisionError raised by its certificate()"),
    (lambda self, data, details: {"title_en": "Caste Certificate", "rows": []}, "its certificate() returned no title_hi"),
    (lambda self, data, details: ["not", "a", "certificate"], "its certificate() returned a list, not a dict"),
])
def test_a_plugin_that_cannot_write_its_certificate_refuses_the_issue_by_name_and_issues_nothing(web, monkeypatch, broken, why):
    """A partner's certificate() that raises or returns something else was a 500 for the officer
    pressing Issue: now the step is refused, naming the service and what failed, in English and
    Hindi; the case stays approved, no certificate, no audit record; the partner's error is logged."""
    from emitra.core.models import AuditLog, Case

    async def approved():
        case = await caste_case("caste-broken", "operator1")
        return (await workflow.act(await actor("tehsildar"), case, "approve", "Caste verified against the ration card")).id

    case_id = web.run(approved)
    monkeypatch.setattr(type(get_host().registry.get(CASTE)), "certificate", broken)
    web.login("tehsildar")
    logged: list[str] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = lambda record: logged.append(record.getMessage())
    logging.getLogger("emitra.plugins").addHandler(handler)
    try:
        refused = web.post_form(f"/office/cases/{case_id}/act", {"action": "issue", "remark": ""}, token_from=f"/office/cases/{case_id}")
    finally:
        logging.getLogger("emitra.plugins").removeHandler(handler)
    assert refused.status_code == 400 and f"the plugin of service {CASTE} failed ({why})" in refused.text.replace("&#39;", "'")
    assert "Nothing was issued" in refused.text and any(CASTE in line for line in logged)
    hindi = web.post_form(f"/office/cases/{case_id}/act?lang=hi", {"action": "issue", "remark": ""}, token_from=f"/office/cases/{case_id}")
    assert hindi.status_code == 400 and "प्रमाण पत्र नहीं बन सका" in hindi.text
    assert web.run(lambda: Case.get(id=case_id)).state == "approved"
    assert web.run(lambda: Certificate.filter(case_id=case_id).count()) == 0
    assert web.run(lambda: AuditLog.filter(action="case.issue").count()) == 0
    monkeypatch.undo()  # the plugin fixed: the same press issues it
    assert web.post_form(f"/office/cases/{case_id}/act?lang=en", {"action": "issue", "remark": ""},
                         token_from=f"/office/cases/{case_id}").status_code == 303
    assert web.run(lambda: Certificate.filter(case_id=case_id).count()) == 1


def test_a_certificate_and_a_receipt_are_found_as_people_type_them(web):
    """A certificate number typed with spaces (JP C 2026 000001) was refused as not "letters, digits
    and dashes", one without its dashes or in Hindi digits was not found; a total written the Indian
    way ("Rs. 40/-", "रु. ४०") was refused."""
    async def setup():
        case = await workflow.act(await actor("tehsildar"), await caste_case(), "approve", "Caste verified")
        case = await workflow.act(await actor("tehsildar"), case, "issue")
        cert = await Certificate.get(case_id=case.id)
        request = await ServiceRequest.get(id=case.request_id)
        return cert.number, request.receipt_no, request.citizen_total_paise // 100

    number, receipt, rupees = web.run(setup)
    compact = number.replace("-", "")
    hindi = number.translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    for typed in (number.replace("-", " ").lower(), compact, number.replace("-", "–"), hindi, f"{number}."):
        page = web.get("/verify", params={"number": typed})
        assert page.status_code == 200 and "Authentic" in page.text, typed
    devanagari = str(rupees).translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    for total in (f"Rs. {rupees}/-", f"{rupees}/-", f"रु. {devanagari}", f"₹{rupees}.00 /-"):
        page = web.get("/verify/receipt", params={"receipt_no": f"{receipt.lower()}\u200b", "total": total})
        assert page.status_code == 200 and 'id="citizen-total"' in page.text, total
    assert web.get("/verify/receipt", params={"receipt_no": receipt, "total": "forty"}).status_code == 400


def test_a_receipt_whose_payment_failed_or_waits_says_so(web):
    """A receipt is printed when a cheque is taken; the cheque bounced (payment failed) and the
    receipt check still showed "Total paid by the citizen" with no status, as if it were paid."""
    from emitra.core.models import RequestStatus
    from tests.case_helpers import pay

    async def setup(status):
        request = await pay("gov.rj.jvvnl.bill", {"k_number": "210412345678"}, f"bill-{status.value}")
        await ServiceRequest.filter(id=request.id).update(status=status)
        return request.receipt_no

    shown = {}
    for status in (RequestStatus.PAYMENT_FAILED, RequestStatus.PAYMENT_PENDING, RequestStatus.SUBMITTED):
        receipt = web.run(lambda: setup(status))
        page = web.get("/verify/receipt", params={"receipt_no": receipt, "total": "1483.50"})
        assert page.status_code == 200
        shown[status] = re.search(r'id="receipt-status">(.*?)</td>', page.text).group(1)
    assert shown[RequestStatus.PAYMENT_FAILED] == "<strong>Payment failed</strong>"
    assert shown[RequestStatus.PAYMENT_PENDING].startswith("<strong>Payment pending (cheque in clearing")
    assert shown[RequestStatus.SUBMITTED] == "Paid and passed to the provider"
    web.get("/lang/hi?next=/verify")
    receipt = web.run(lambda: setup(RequestStatus.CANCELLED))
    hindi = web.get("/verify/receipt", params={"receipt_no": receipt, "total": "1483.50"}).text
    assert re.search(r'id="receipt-status"><strong>[\u0900-\u097F]', hindi)


def test_a_receipt_whose_charge_the_partner_pays_says_the_partner_pays_it(web):
    """The receipt check told a citizen paying an LIC premium or a BSNL bill that the service charge
    was "paid by the department, not by you": a partner pays it (Payer.PARTNER), and the citizen
    reads the payer printed on the receipt, "paid by the partner"."""
    from emitra.core.audit import Actor
    from emitra.core.models import Citizen, User
    from emitra.core.testing import Counter as AtTheCounter

    async def pay():
        user = await User.get(username="operator1")
        at = AtTheCounter(Actor(user), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma"))
        return await at.pay("pvt.lic.premium", get_host().registry.get("pvt.lic.premium").example)

    paid = web.run(pay)
    assert paid.charge_payer == "partner" and paid.service_charge_paise == 500
    check = f"/verify/receipt?receipt_no={paid.receipt_no}&total={paid.citizen_total_paise / 100:.2f}"
    page = web.get(check)
    assert page.status_code == 200 and "As published" in page.text
    assert "₹5.00 (paid by the partner, not by you)" in page.text and "paid by the department" not in page.text
    web.get("/lang/hi")
    hindi = web.get(check).text
    assert "₹5.00 (भागीदार द्वारा भुगतान, आपके द्वारा नहीं)" in hindi and "विभाग द्वारा" not in hindi

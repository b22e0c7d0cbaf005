"""What a new operator met in a day at a rural kiosk, without JavaScript: the browser's Back after a
payment, numbers typed with spaces and in lower case, an Aadhaar number in Hindi digits, the
error pages of a Hindi session, a scan kept by a refused form (docs/counter.md)."""

import html
import re

from emitra.core.models import Case, Citizen, ServiceRequest

BILL = "gov.rj.jvvnl.bill"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def geeta(web) -> str:
    async def find():
        return (await Citizen.get(name="Geeta Meena")).emitra_id

    return web.run(find)


def requests(web) -> list[str]:
    async def receipts():
        return list(await ServiceRequest.all().order_by("id").values_list("receipt_no", flat=True))

    return web.run(receipts)


def form_fields(page: str) -> dict[str, str]:
    """The hidden inputs of the page's service form, as the browser posts them."""
    form = page[page.index('<form method="post" action="/counter/citizens/'):]
    return {k: html.unescape(v) for k, v in HIDDEN.findall(form[:form.index("</form>")])}


def pay_fields(confirm: str) -> dict[str, str]:
    """The cash form of the confirmation page."""
    form = confirm[confirm.index('id="pay-cash"'):]
    return {k: html.unescape(v) for k, v in HIDDEN.findall(form[:form.index("</form>")])}


def test_back_after_a_payment_and_the_form_resubmitted_answers_with_the_first_receipt(web):
    """Back from the receipt lands on the confirmation page, a POST's answer the browser does not
    keep: it offers to send the form again. That made a new confirmation page with a new key, and
    "Cash received" took the same bill's money a second time."""
    web.login("operator2")
    eid = geeta(web)
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    posted = {**form_fields(web.get(form_url).text), "k_number": "210400000011"}
    confirm = web.client.post(form_url, data=posted)
    assert confirm.status_code == 200, confirm.text
    first = web.client.post(form_url + "/pay", data=pay_fields(confirm.text))
    assert first.status_code == 303

    again = web.client.post(form_url, data=posted)  # Back, and the browser's "Resubmit"
    assert again.status_code == 200
    second = web.client.post(form_url + "/pay", data=pay_fields(again.text))
    assert second.status_code == 303 and second.headers["location"] == first.headers["location"]
    assert len(requests(web)) == 1

    # the resubmitted form changed before paying again: refused, naming the receipt and the way to a new payment
    changed = web.client.post(form_url, data={**posted, "k_number": "210412345678"})
    refused = web.client.post(form_url + "/pay", data=pay_fields(changed.text))
    receipt_no = requests(web)[0]
    assert refused.status_code == 400
    assert f"This form was paid already: receipt {receipt_no}" in refused.text
    assert "open the service again from the citizen" in refused.text and "idempotency key" not in refused.text
    assert len(requests(web)) == 1

    # the service opened again from the citizen's page is a new payment
    fresh = web.client.post(form_url, data={**form_fields(web.get(form_url).text), "k_number": "210412345678"})
    assert web.client.post(form_url + "/pay", data=pay_fields(fresh.text)).status_code == 303
    assert len(requests(web)) == 2


AADHAAR = "456789012341"  # a valid Aadhaar number (Verhoeff check digit)
AADHAAR_HI = "४५६७ ८९०१ २३४१"  # the same, typed on a Hindi keyboard


def test_an_aadhaar_number_typed_in_hindi_digits_into_a_grievance_is_kept_masked(web):
    """The masking of free text checked the number's check digit on ASCII digits only: the citizen's
    Aadhaar number in Hindi digits went whole into the receipt, the case and the officer's inbox."""
    web.login("operator2")
    eid = geeta(web)
    form_url = f"/counter/citizens/{eid}/services/gov.rj.sampark.grievance"
    posted = {**form_fields(web.get(form_url).text), "department": "social_justice",
              "subject": f"pension nahi mili, aadhaar {AADHAAR_HI}", "description": f"Aadhaar {AADHAAR_HI.replace(' ', '')} hai."}
    confirm = web.client.post(form_url, data=posted)
    assert confirm.status_code == 200, confirm.text
    done = web.client.post(form_url + "/pay", data=pay_fields(confirm.text))
    assert done.status_code == 303
    receipt = web.get(done.headers["location"]).text
    assert "XXXX XXXX २३४१" in receipt and "४५६७" not in receipt

    async def case():
        return await Case.get(request__receipt_no=done.headers["location"].rsplit("/", 1)[1])

    filed = web.run(case)
    assert filed.subject == "pension nahi mili, aadhaar XXXX XXXX २३४१"
    assert filed.body == "Aadhaar XXXX XXXX २३४१ hai."


def test_a_number_typed_in_groups_or_in_small_letters_is_taken_as_its_field_wants_it(web):
    """A K-number copied from the bill in its groups (2104 1234 5678), a mobile with a space and a
    property ID in small letters were refused ("must be exactly 12 digits", "2 capital letters")
    though every digit and letter was right; the operator had to find what the message meant."""
    web.login("operator1")

    async def ramesh():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    eid = web.run(ramesh)
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    confirm = web.client.post(form_url, data={**form_fields(web.get(form_url).text), "k_number": " 2104 1234-5678 ",
                                              "mobile": "98290 12345"})
    assert confirm.status_code == 200, re.findall(r'class="error"[^>]*>([^<]+)', confirm.text)
    assert "₹1,483.50" in confirm.text
    done = web.client.post(form_url + "/pay", data=pay_fields(confirm.text))
    assert done.status_code == 303

    async def stored():
        return (await ServiceRequest.get(receipt_no=done.headers["location"].rsplit("/", 1)[1])).form_data

    assert web.run(stored) == {"k_number": "210412345678", "mobile": "9829012345"}

    tax_url = f"/counter/citizens/{eid}/services/gov.rj.jmc.ud_tax"
    tax = web.client.post(tax_url, data={**form_fields(web.get(tax_url).text), "property_id": "mn 0000 4217", "assessment_year": "2025-26"})
    assert tax.status_code == 200 and "MN00004217" in tax.text, re.findall(r'class="error"[^>]*>([^<]+)', tax.text)

    # a number wrong whichever way it is written is refused as typed, naming the field
    short = web.client.post(form_url, data={**form_fields(web.get(form_url).text), "k_number": "2104 1234 567"})
    assert short.status_code == 400 and "K-number must be exactly 12 digits" in short.text and 'value="2104 1234 567"' in short.text


def test_an_error_page_says_what_happened_in_words_with_its_status_beside(web):
    """An operator who opened another counter's receipt, an address that does not exist or an admin's
    page got a page headed "404" or "403", in Hindi too: a number that says nothing to them. The
    heading now says it in the page's language, the status in brackets for the help desk."""
    web.login("operator2")
    heading = lambda page: re.sub(r"\s+", " ", re.search(r"<h1>(.*?)</h1>", page.text, re.S).group(1)).strip()
    assert heading(web.get("/counter/no-such-page")) == 'Not found <small id="status-code">(404)</small>'
    assert heading(web.get("/society/policy")) == 'Not allowed <small id="status-code">(403)</small>'
    web.get("/lang/hi")
    other = web.get("/receipts/JP0001000000018")
    assert other.status_code == 404 and heading(other) == 'नहीं मिला <small id="status-code">(404)</small>'
    assert "<title>नहीं मिला" in other.text
    assert heading(web.get("/society/policy")) == 'अनुमति नहीं है <small id="status-code">(403)</small>'


def test_a_hindi_session_gets_the_pages_that_do_not_exist_in_hindi(web):
    """An address no route answers (a typo, an old bookmark) and a form's address opened by itself
    (Enter in the address bar on the page a refused payment answered) were English pages in a
    Hindi session, the menu included: the language was set only once a route was reached."""
    web.login("operator2")
    eid = geeta(web)
    web.get("/lang/hi")
    missing = web.get("/counter/no-such-page")
    assert missing.status_code == 404 and '<html lang="hi">' in missing.text
    assert "यह पृष्ठ मौजूद नहीं है।" in missing.text and "This page does not exist" not in missing.text
    opened = web.get(f"/counter/citizens/{eid}/services/{BILL}/pay")
    assert opened.status_code == 405 and '<html lang="hi">' in opened.text
    assert "यह पता केवल फ़ॉर्म प्राप्त करता है" in opened.text and "काउंटर" in opened.text  # the message, and the menu
    web.get("/lang/en")
    assert "only receives a form and cannot be opened by itself" in web.get(f"/counter/citizens/{eid}/services/{BILL}/pay").text


def test_a_scan_kept_by_a_refused_form_is_named_by_its_file(web):
    """A caste certificate refused for its PIN kept the ration card's scan, and said so by the
    document's id: "Document uploaded: 189e0c603e4a45cb9c2ba11ac1355de6". The operator, who chose
    a file by its name, could not tell whether the right one was kept."""
    web.login("operator2")
    url = f"/counter/citizens/{geeta(web)}/services/gov.rj.revenue.caste_certificate"
    typed = {**form_fields(web.get(url).text), "applicant_name": "Geeta Meena", "father_name": "Ram Lal", "caste_category": "ST",
             "caste": "Meena", "address.village_ward": "Ward 4", "address.tehsil": "chomu", "address.district": "Jaipur"}
    refused = web.client.post(url, data={**typed, "address.pin": "30370"},
                              files={"ration_card_scan": ("ration card.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf")})
    assert refused.status_code == 400 and "PIN code must be 6 digits" in refused.text
    kept = re.search(r"Document uploaded: (.*?)\. Choose a file only to replace it", refused.text).group(1)
    assert kept == "<strong>ration card.pdf (PDF, 1 KB)</strong>"
    web.get("/lang/hi")
    step = web.client.post(url, data={**typed, "ration_card_scan": form_fields(refused.text)["ration_card_scan"], "address.pin": "30370"})
    assert step.status_code == 400 and "दस्तावेज़ अपलोड हुआ: <strong>ration card.pdf (PDF, 1 KB)</strong>" in step.text

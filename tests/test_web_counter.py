"""The counter in the browser's terms (no JavaScript): log in, find, register, pay a bill, print."""

import re

from emitra.core.models import AuditLog, Citizen, Payment, ServiceRequest

BILL = "gov.rj.jvvnl.bill"


def ramesh(web) -> str:
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def count(web, model):
    async def c():
        return await model.all().count()

    return web.run(c)


def pay(web, eid, k="210412345678", tendered=""):
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    confirm = web.post_form(form_url, {"k_number": k}, token_from=form_url)
    assert confirm.status_code == 200, confirm.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.text))
    fields["tendered"] = tendered
    return web.client.post(form_url + "/pay", data=fields), confirm


def test_operator_pays_a_jvvnl_bill_in_cash_and_prints_the_receipt(web):
    web.login("operator1")
    eid = ramesh(web)
    search = web.get("/counter?q=9829012345")
    assert eid in search.text.replace("-", "")
    picker = web.get(f"/counter/citizens/{eid}")
    assert "Electricity bill" in picker.text and f"/services/{BILL}" in picker.text
    form = web.get(f"/counter/citizens/{eid}/services/{BILL}")
    assert 'name="k_number"' in form.text and "K-number" in form.text
    done, confirm = pay(web, eid, tendered="1500")
    assert "₹1,483.50" in confirm.text and "₹3.95" in confirm.text and "paid by the department" in confirm.text
    assert done.status_code == 303
    receipt = web.get(done.headers["location"])
    text = receipt.text
    receipt_no = re.search(r'id="receipt-no">([A-Z0-9]+)<', text).group(1)
    for expected in (receipt_no, "JP-LM-001", "operator1", "Anil Verma", eid[:2], "Electricity bill", "₹1,483.50", "₹3.95",
                     "paid by the department", "Ramesh Kumar Sharma", "IST", "change", "₹16.50"):
        assert expected in text, expected
    assert "@media print" in web.get("/static/style.css").text


def test_the_same_confirmation_posted_twice_makes_one_receipt(web):
    web.login("operator1")
    eid = ramesh(web)
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    confirm = web.post_form(form_url, {"k_number": "210412345679"}, token_from=form_url)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.text))
    first = web.client.post(form_url + "/pay", data=fields)
    second = web.client.post(form_url + "/pay", data=fields)
    assert first.headers["location"] == second.headers["location"]
    assert count(web, ServiceRequest) == 1 and count(web, Payment) == 1


def test_field_errors_appear_next_to_the_field_in_english_and_hindi(web):
    web.login("operator1")
    eid = ramesh(web)
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    wrong = web.post_form(form_url, {"k_number": "999999999999"})
    assert wrong.status_code == 400
    assert re.search(r'id="f-k_number-error"[^>]*>No consumer account with K-number 999999999999', wrong.text)
    short = web.post_form(form_url, {"k_number": "12345"})
    assert "K-number must be exactly 12 digits" in short.text
    missing = web.post_form(form_url, {"k_number": ""})
    assert "is required" in missing.text
    web.get("/lang/hi")
    hindi = web.post_form(form_url, {"k_number": "12345"})
    assert "के-नंबर ठीक 12 अंकों का होना चाहिए" in hindi.text
    assert count(web, ServiceRequest) == 0


def test_malformed_cash_amounts_are_refused_with_a_message(web):
    web.login("operator1")
    eid = ramesh(web)
    for tendered, fragment in (("12.345", "more than two decimals"), ("-20", "negative"), ("ten", "not an amount"), ("1000", "less than the amount to collect")):
        response, _ = pay(web, eid, tendered=tendered)
        assert response.status_code == 400 and fragment in response.text, tendered
    assert count(web, ServiceRequest) == 0


def test_a_form_posted_without_its_csrf_token_is_refused_and_writes_nothing(web):
    web.login("operator1")
    eid = ramesh(web)
    audit_before = count(web, AuditLog)
    response = web.client.post("/counter/citizens/new", data={"name": "No Token", "date_of_birth": "1990-01-01", "mobile": "9876543210"})
    assert response.status_code == 403 and "did not come from this site" in response.text
    response = web.client.post(f"/counter/citizens/{eid}/services/{BILL}/pay",
                               data={"data.k_number": "210412345678", "expected_total_paise": "148350", "idempotency_key": "x", "csrf_token": "forged"})
    assert response.status_code == 403
    # a token that is not ASCII is as wrong as any other (hmac.compare_digest refuses to compare such text: it was a 500)
    response = web.client.post("/counter/citizens/new", data={"name": "No Token", "date_of_birth": "1990-01-01", "mobile": "9876543210",
                                                              "csrf_token": "जाली-टोकन"})
    assert response.status_code == 403 and "did not come from this site" in response.text
    web.logout()
    assert web.client.post("/login", data={"username": "operator1", "password": "emitra-demo", "csrf_token": "é"}).status_code == 403
    assert count(web, ServiceRequest) == 0 and count(web, AuditLog) == audit_before + 1  # the log-out


def test_registration_at_the_counter_and_duplicate_shown(web):
    web.login("operator1")
    data = {"name": "Pooja Kumari Jat", "date_of_birth": "1999-05-17", "mobile": "9460011223", "gender": "F", "aadhaar": "499118665246", "address": ""}
    created = web.post_form("/counter/citizens/new", data)
    assert created.status_code == 303
    page = web.get(created.headers["location"])
    assert "Registered" in page.text and "XXXX XXXX 5246" in page.text and "499118665246" not in page.text
    dup = web.post_form("/counter/citizens/new", {**data, "aadhaar": "", "name": "Pooja Kumari"})
    assert dup.status_code == 409 and "may already be registered" in dup.text
    bad = web.post_form("/counter/citizens/new", {**data, "mobile": "123", "aadhaar": ""})
    assert bad.status_code == 400 and "10 digits" in bad.text


def test_a_citizen_registered_in_latin_letters_is_shown_when_registered_again_in_devanagari(web):
    """Ramesh Kumar Sharma (demo) typed again as रमेश कुमार शर्मा with his mobile and date of birth:
    the operator sees his record, its Aadhaar masked, and may still register a different person."""
    web.login("operator1")
    eid = ramesh(web)
    data = {"name": "श्री रमेश कुमार शर्मा", "date_of_birth": "1978-03-14", "mobile": "9829012345", "gender": "M", "aadhaar": "", "address": ""}
    dup = web.post_form("/counter/citizens/new", data)
    assert dup.status_code == 409 and "may already be registered" in dup.text and "in Hindi and the same name in English" in dup.text
    assert f"/counter/citizens/{eid}" in dup.text and "Ramesh Kumar Sharma" in dup.text
    assert "XXXX XXXX 2346" in dup.text and "234123412346" not in dup.text and 'name="confirm_new_person"' in dup.text
    web.get("/lang/hi")
    assert "हिंदी में लिखा नाम" in web.post_form("/counter/citizens/new", data).text
    found = web.get("/counter?q=" + "रमेश")
    assert f"/counter/citizens/{eid}" in found.text
    before = count(web, Citizen)
    again = web.post_form("/counter/citizens/new", {**data, "confirm_new_person": "yes"})
    assert again.status_code == 303 and count(web, Citizen) == before + 1


def test_a_mistyped_emitra_id_is_caught_at_search(web):
    web.login("operator1")
    eid = ramesh(web)
    typo = eid[:-1] + str((int(eid[-1]) + 1) % 10)
    response = web.get(f"/counter?q={typo}")
    assert "wrong check digit" in response.text


def test_an_operator_cannot_read_another_counters_receipt_by_url_or_api(web):
    web.login("operator1")
    done, _ = pay(web, ramesh(web))
    receipt_url = done.headers["location"]
    receipt_no = receipt_url.rsplit("/", 1)[1]
    assert web.get(receipt_url).status_code == 200
    web.post_form("/logout", {}, token_from="/counter")
    web.login("operator2")
    assert web.get(receipt_url).status_code == 404
    headers = web.api_token("operator2")
    assert web.get(f"/api/v1/transactions/{receipt_no}", headers=headers).status_code == 404
    for allowed in ("lsp", "society", "state"):
        assert web.get(f"/api/v1/transactions/{receipt_no}", headers=web.api_token(allowed)).status_code == 200, allowed


def test_roles_are_checked_on_every_page(web):
    assert web.get("/counter").status_code == 303  # not logged in: to the login page
    web.login("officer")
    assert web.get("/counter").status_code == 403
    assert web.get("/admin/fees").status_code == 403
    assert web.get("/").headers["location"] == "/office"  # an officer's home is the inbox
    web.post_form("/logout", {}, token_from="/no-such-page")
    web.login("society")
    assert web.get("/admin/fees").status_code == 200
    assert web.get("/counter/citizens/new").status_code == 403


def test_wrong_password_is_refused_and_audited(web):
    token = web.csrf("/login")
    response = web.client.post("/login", data={"username": "operator1", "password": "nope-nope", "csrf_token": token})
    assert response.status_code == 400 and "Wrong username or password" in response.text

    async def failed():
        return await AuditLog.filter(action="auth.login_failed").count()

    assert web.run(failed) == 1


def test_login_never_redirects_to_another_site(web):
    token = web.csrf("/login")
    response = web.client.post("/login", data={"username": "operator1", "password": "emitra-demo", "csrf_token": token, "next": "//evil.example/x"})
    assert response.headers["location"] == "/"


def test_society_lowers_a_fee_on_the_page_and_bad_amounts_are_named(web):
    web.login("society")
    bad = web.post_form("/admin/fees", {"service_code": BILL, "fee_rupees": "3.999"})
    assert bad.status_code == 400 and "more than two decimals" in bad.text
    ok = web.post_form("/admin/fees", {"service_code": BILL, "fee_rupees": "3.50"})
    assert ok.status_code == 303
    assert "₹3.50" in web.get("/admin/fees").text

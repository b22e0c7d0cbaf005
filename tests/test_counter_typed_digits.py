"""Numbers typed at the counter as people type them: on a Hindi keyboard (९८२९०१२३४५), with a 0 in
front of a mobile, or a number that is not a mobile at all (an Aadhaar number) in the search box."""

import datetime as dt
import re

from emitra.core.ids import make_receipt_no
from emitra.core.models import Citizen
from tests.test_web_counter import pay

BILL = "gov.rj.jvvnl.bill"


def ramesh(web) -> str:
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def test_a_search_by_a_number_of_the_wrong_length_says_so_on_the_counter_page(web):
    web.login("operator1")
    for typed, count in (("2345 6789 0124", "12"), ("98290123456", "11")):  # an Aadhaar number; a digit too many
        page = web.get("/counter", params={"q": typed})
        assert page.status_code == 200, page.text  # was a 400 error page: "Length of (the value sent) 12 > 10"
        assert f"A mobile number has 10 digits; this number has {count}." in page.text
        assert "an Aadhaar number cannot be searched" in page.text
        assert 'name="q"' in page.text  # the search box is there to try again
    web.get("/lang/hi")
    page = web.get("/counter", params={"q": "234567890124"})
    assert "मोबाइल नंबर 10 अंकों का होता है; इस नंबर में 12 अंक हैं।" in page.text


def test_a_mobile_typed_with_hindi_digits_finds_the_citizen(web):
    web.login("operator1")
    eid = ramesh(web)
    page = web.get("/counter", params={"q": "९८२९० १२३४५"})
    assert "Ramesh Kumar Sharma" in page.text and "No citizen found" not in page.text
    assert eid in page.text.replace("-", "")


def test_registration_takes_hindi_digits_a_leading_zero_and_a_day_first_date(web):
    web.login("operator1")
    answer = web.post_form("/counter/citizens/new", {
        "name": "Kamla Devi Meena", "date_of_birth": "०५-०६-१९७२", "gender": "F",
        "mobile": "०९४६१२३४५६७", "aadhaar": "", "address": "Ward 4, Chomu"})
    assert answer.status_code == 303, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text))[-900:]

    async def stored():
        return await Citizen.get(name="Kamla Devi Meena")

    citizen = web.run(stored)
    assert (citizen.mobile, citizen.date_of_birth.isoformat()) == ("9461234567", "1972-06-05")


def test_a_k_number_typed_with_hindi_digits_is_the_bills_number(web):
    web.login("operator1")
    eid = ramesh(web)
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    confirm = web.post_form(form_url, {"k_number": "२१०४१२३४५६७८"}, token_from=form_url)
    assert confirm.status_code == 200, confirm.text  # was "K-number must be exactly 12 digits"
    assert "210412345678" in confirm.text and "must be exactly 12 digits" not in confirm.text


def _text(page) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))


def test_the_day_end_takes_a_date_typed_day_first_or_in_hindi_digits(web):
    from emitra.core import clock

    web.login("operator1")
    day = clock.today() - dt.timedelta(days=3)
    hindi = day.strftime("%d-%m-%Y").translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    for typed in (day.strftime("%d-%m-%Y"), day.strftime("%d/%m/%Y"), hindi):
        page = web.get("/counter/dayend", params={"date": typed})
        assert page.status_code == 200, _text(page)[-600:]  # was "give a date as YYYY-MM-DD"
        assert f"Cash in the drawer for {day:%d-%m-%Y}" in page.text and "YYYY-MM-DD" not in page.text
    assert "(₹3.95 on a bill)" in page.text and "Rs 3.95" not in page.text  # as the rest of the page writes rupees


def test_the_day_end_of_a_day_not_begun_is_refused_naming_the_field(web):
    web.login("operator1")
    page = web.get("/counter/dayend", params={"date": "2099-01-01"})
    assert page.status_code == 400
    # was "Cash in the drawer for 01-01-2099" with today's transactions
    assert "Business day: 01-01-2099 has not begun yet: pick today or an earlier day." in _text(page)
    assert "Cash in the drawer for 01-01-2099" not in page.text
    web.get("/lang/hi")
    page = web.get("/counter/dayend", params={"date": "01-01-2099"})
    assert "01-01-2099 अभी शुरू नहीं हुआ है" in page.text


def test_a_receipt_number_in_the_citizen_search_points_to_the_receipt(web):
    web.login("operator1")
    eid = ramesh(web)
    receipt_no = pay(web, eid)[0].headers["location"].rsplit("/", 1)[1]
    page = web.get("/counter", params={"q": receipt_no.lower() + "."})
    assert page.status_code == 200
    assert f'href="/receipts/{receipt_no}"' in page.text  # was "An e-Mitra ID is two letters and nine digits"
    assert "two letters and nine digits" not in page.text and "No citizen found" not in page.text
    typo = receipt_no[:-1] + str((int(receipt_no[-1]) + 1) % 10)
    assert "its check digit is wrong" in web.get("/counter", params={"q": typo}).text
    web.get("/lang/hi")
    assert f'href="/receipts/{receipt_no}"' in web.get("/counter", params={"q": receipt_no}).text
    web.post_form("/logout", {}, token_from="/counter")
    web.login("operator2")
    page = web.get("/counter", params={"q": receipt_no})
    assert f'href="/receipts/{receipt_no}"' not in page.text
    assert f"{receipt_no} रसीद संख्या है, पर इस काउंटर (JP-JM-001) की रसीद नहीं" in _text(page)
    web.get("/lang/en")
    page = web.get("/counter", params={"q": receipt_no})
    assert f"{receipt_no} is a receipt number, but not a receipt of this counter (JP-JM-001)" in _text(page)
    # a receipt of a counter whose id passed 9999 has 14 digits (core/ids.RECEIPT_DIGITS): still a receipt
    longer = make_receipt_no("JP", 12_345, 421)
    assert len(longer) == 16 and f"{longer} is a receipt number, but not a receipt of this counter" in _text(
        web.get("/counter", params={"q": longer}))

"""Numbers typed at the counter as people type them: on a Hindi keyboard (९८२९०१२३४५), with a 0 in
front of a mobile, or a number that is not a mobile at all (an Aadhaar number) in the search box."""

import re

from emitra.core.models import Citizen

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

"""Hostile text typed by citizens, operators and officers is shown escaped on every page, never as markup.

Autoescape is on for every template (web/templating.py); the only ``|safe`` outputs are the QR
codes, drawn on the server from numbers (core/certificate_render.py, core/payment_methods/upi.py).
"""

from __future__ import annotations

import re

from markupsafe import escape

from emitra.core.models import LSP, Case, Citizen, Counter
from tests.test_reports import PERIOD, _record

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
HOSTILE = f"Ram {SCRIPT} {ATTRIBUTE} {TEMPLATE}"
RAW = (SCRIPT, "<img src=x onerror", "<script")


def assert_escaped(html: str, text: str = HOSTILE) -> None:
    """``text`` is on the page, escaped (so ``{{7*7}}`` was not evaluated either); none of its markup is."""
    assert str(escape(text)) in html, f"{text!r} is not shown (escaped) on the page"
    for raw in RAW:
        assert raw not in html.replace('<script src="/static/', ""), f"{raw!r} appears unescaped"


def test_a_citizen_name_and_search_are_escaped_at_the_counter(web):
    web.login("operator1")
    search = web.get("/counter", params={"q": HOSTILE})
    assert search.status_code == 200
    assert_escaped(search.text)

    async def rename():
        citizen = await Citizen.get(name="Ramesh Kumar Sharma")
        citizen.name = HOSTILE
        await citizen.save(update_fields=["name"])
        return citizen.emitra_id

    emitra_id = web.run(rename)
    assert_escaped(web.get(f"/counter/citizens/{emitra_id}").text)
    assert_escaped(web.get(f"/counter/citizens/{emitra_id}", params={"q": HOSTILE}).text)
    assert_escaped(web.get("/counter", params={"q": "Ram"}).text)  # the list of matches
    # a registration refused for its fields echoes what was typed, escaped
    refused = web.post_form("/counter/citizens/new", {"name": HOSTILE, "date_of_birth": "1999-05-17", "mobile": "123",
                                                      "gender": "F", "aadhaar": "", "address": HOSTILE})
    assert refused.status_code == 400
    assert_escaped(refused.text)


def test_a_grievance_is_escaped_in_the_form_the_office_and_the_error_messages(web):
    grievance = {"district": "JP", "about": "department", "department": "phed", "counter_code": "", "complaint_type": "",
                 "receipt_no": "", "name": HOSTILE[:60], "mobile": "9414098765", "subject": HOSTILE[:150],
                 "body": f"The tap has been dry for a week. {HOSTILE}"}
    bad = web.post_form("/grievances/new", {**grievance, "mobile": "1"})
    assert bad.status_code == 400
    assert_escaped(bad.text, HOSTILE[:60])
    unknown = web.post_form("/grievances/new", {**grievance, "about": "counter", "counter_code": f"JP{ATTRIBUTE}",
                                                "complaint_type": "rude"})
    assert unknown.status_code == 400
    assert "there is no e-Mitra counter" in unknown.text and "<img src=x" not in unknown.text
    assert web.post_form("/grievances/new", grievance).status_code == 303

    async def case_id():
        return (await Case.get(channel="online")).id

    number = web.run(case_id)
    web.login("phed")
    page = web.get(f"/office/cases/{number}")
    assert page.status_code == 200
    assert_escaped(page.text, f"The tap has been dry for a week. {HOSTILE}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    remarked = web.post(f"/office/cases/{number}/remark", data={"csrf_token": token, "remark": HOSTILE, "public": "1"})
    assert remarked.status_code == 303
    assert_escaped(web.get(f"/office/cases/{number}").text)
    inbox = web.get("/office").text
    assert number and SCRIPT not in inbox and "<img src=x" not in inbox


def test_tracking_echoes_the_typed_number_escaped(web):
    page = web.post_form("/track", {"number": HOSTILE[:40], "mobile": "9414098765"})
    assert SCRIPT not in page.text and "<img src=x" not in page.text


def test_complaint_book_entries_are_escaped(web):
    web.login("operator1")
    saved = web.post_form("/counter/book", {"kind": "complaint", "text": HOSTILE, "name": HOSTILE[:60], "mobile": ""})
    assert saved.status_code == 303
    assert_escaped(web.get(saved.headers["location"]).text)
    web.logout()
    web.login("society")
    assert_escaped(web.get("/society/book").text)


def test_counter_and_lsp_names_are_escaped_on_pages_and_in_charts(web, monkeypatch):
    _record(web, monkeypatch)

    async def rename():
        await Counter.filter(code="JP-LM-001").update(name=HOSTILE)
        await LSP.all().update(name=HOSTILE)

    web.run(rename)
    web.login("operator1")
    assert_escaped(web.get("/counter").text)
    assert_escaped(web.get("/counters/JP-LM-001/rates").text)
    web.logout()
    web.login("society")
    for path in ("/", f"/reports?{PERIOD}&by=counter", f"/reports?{PERIOD}&by=lsp"):
        assert_escaped(web.get(path).text)
    chart = web.get(f"/reports/chart.svg?{PERIOD}&kind=share&by=lsp")
    assert chart.status_code == 200
    assert "<script>alert" not in chart.text and "<img src=x" not in chart.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chart.text


def test_the_next_parameter_cannot_leave_the_site_or_inject_markup(web):
    for target in ("javascript:alert(1)", "//evil.example/", "https://evil.example/", "/\\evil.example"):
        page = web.get("/login", params={"next": target})
        assert 'name="next" value="/"' in page.text, target
    hostile = f'/counter{ATTRIBUTE}'
    page = web.get("/login", params={"next": hostile})
    assert str(escape(hostile)) in page.text and ATTRIBUTE not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = web.client.post("/login", data={"username": "operator1", "password": "emitra-demo", "csrf_token": token,
                                           "next": "javascript:alert(1)"})
    assert done.status_code == 303 and done.headers["location"] == "/"

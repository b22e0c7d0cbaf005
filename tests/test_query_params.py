"""Dates and numbers typed into a query string (or a form) that the pages cannot use: refused with a
400 that names the field, in English and in Hindi, never a server error (web/params.py).

A date beyond the years 1 to 9999 of Python's arithmetic (the day after 9999-12-31, midnight of
0001-01-01 in UTC) and a page number beyond SQLite's 64-bit integers were server errors; every
page now takes dates from 2000-01-01 to 2099-12-31 and pages up to a million.
"""

from __future__ import annotations

import html

import pytest
from starlette.datastructures import QueryParams

from emitra.core.models import Role
from tests.test_route_roles import ANONYMOUS, USERS, Visitors, _fill, _ids, _row_counts, page_and_api_routes

DATE_RANGE = "give a date from 2000-01-01 to 2099-12-31."
DATE_RANGE_HI = "2000-01-01 से 2099-12-31 तक की कोई तिथि दें।"
WHOLE_HI = "पूर्ण संख्या दें"
BACKWARDS = "the period starts after it ends; give a date on or before the To date."
BACKWARDS_HI = "से: अवधि अपनी समाप्ति के बाद शुरू हो रही है; 'तक' तिथि या उससे पहले की तिथि दें।"
BIG = "9" * 30
# the reconciliation's week is read by core/reconcile.week_given, against the same days
WEEK = "Give the week as a date from 2000 to 2099 (YYYY-MM-DD), any day of that week."
WEEK_HI = "2000 से 2099"

# (user, address, what the refusal says in English (the field named first), a part of it in Hindi)
REFUSED = [
    ("tehsildar", "/office?min_age=1000000", "At least this many days old: give a whole number from 0 to 36500.", WHOLE_HI),
    ("tehsildar", f"/office?page={BIG}", "Page: give a whole number from 1 to 1000000.", WHOLE_HI),
    ("society", "/admin/outbox?page=999999999999999999999", "Page: give a whole number from 1 to 1000000.", WHOLE_HI),
    ("society", "/reports?from=9999-12-01&to=9999-12-31", f"From: {DATE_RANGE}", DATE_RANGE_HI),
    ("society", "/reports?from=0001-01-01&to=0001-01-31", f"To: {DATE_RANGE}", DATE_RANGE_HI),
    ("society", "/reports/export.csv?from=9999-12-01&to=9999-12-31", f"From: {DATE_RANGE}", DATE_RANGE_HI),
    ("society", "/reports/export.xlsx?from=0001-01-01&to=0001-01-31", f"From: {DATE_RANGE}", DATE_RANGE_HI),
    ("society", "/reports/chart.svg?from=0001-01-01&to=0001-01-31&kind=trend", f"From: {DATE_RANGE}", DATE_RANGE_HI),
    ("state", "/reports?from=2100-01-01&to=2100-01-31&by=district", f"To: {DATE_RANGE}", DATE_RANGE_HI),
    ("society", "/society/reconciliation?week=9999-12-31", WEEK, WEEK_HI),
    ("society", "/society/reconciliation?week=0001-01-01", WEEK, WEEK_HI),
    ("society", "/society/reconciliation/export.csv?week=0001-01-01", WEEK, WEEK_HI),
    ("society", "/society/reconciliation/export.xlsx?week=9999-12-31", WEEK, WEEK_HI),
    ("society", "/society/book?week=9999-12-31", f"Week of: {DATE_RANGE}", DATE_RANGE_HI),
    ("society", "/society/remittances?from=0001-01-01&to=9999-12-31", f"To: {DATE_RANGE}", DATE_RANGE_HI),
    ("society", "/society/claims/statement.csv?provider=jvvnl&from=0001-01-01&to=2026-11-30", f"From: {DATE_RANGE}", DATE_RANGE_HI),
    ("lsp", "/lsp/statement?from=0001-01-01&to=9999-12-31", f"From: {DATE_RANGE}", DATE_RANGE_HI),
    ("lsp", "/mis/reports/preview?period=0001-01-01..0001-01-31", f"Period: {DATE_RANGE}", DATE_RANGE_HI),
    ("operator1", "/counter/dayend?date=9999-12-31", f"Business day: {DATE_RANGE}", DATE_RANGE_HI),
    # a period the wrong way round: said with the fix, as the reports say it (was "From: The period starts after it ends.")
    ("society", "/society/remittances?from=2026-11-30&to=2026-11-01", f"From: {BACKWARDS}", BACKWARDS_HI),
    ("society", "/society/claims?from=2026-11-30&to=2026-11-01", f"From: {BACKWARDS}", BACKWARDS_HI),
    ("lsp", "/lsp/statement?from=2026-11-30&to=2026-11-01", f"From: {BACKWARDS}", BACKWARDS_HI),
]


@pytest.mark.parametrize("user, address, english, hindi", REFUSED, ids=[a for _u, a, _e, _h in REFUSED])
def test_an_out_of_range_date_or_number_is_refused_naming_the_field(web, user, address, english, hindi):
    web.login(user)
    answer = web.get(address + "&lang=en")
    assert answer.status_code == 400, answer.text[:300]
    assert english in html.unescape(answer.text)
    answer = web.get(address + "&lang=hi")
    assert answer.status_code == 400 and hindi in html.unescape(answer.text)


def test_the_first_and_last_day_of_the_range_are_taken_and_the_days_beyond_are_not(web):
    web.login("society")
    assert web.get("/reports?from=2000-01-01&to=2000-01-31").status_code == 200
    assert web.get("/reports?from=2099-12-01&to=2099-12-31").status_code == 200
    assert web.get("/reports?from=1999-12-31&to=2000-01-31").status_code == 400
    assert web.get("/reports?from=2099-12-01&to=2100-01-01").status_code == 400
    assert web.get("/society/reconciliation?week=2000-01-01").status_code == 200
    assert web.get("/admin/outbox?page=1000000").status_code == 200
    assert web.get("/admin/outbox?page=1000001").status_code == 400


def test_an_lsp_number_beyond_any_id_is_no_such_lsp(web):
    """The reports' LSP filter is an LSP's number: one past PostgreSQL's 32-bit ids was a 500 there."""
    web.login("society")
    for number in ("2147483648", "999999999999", BIG):
        answer = web.get(f"/reports?lsp={number}")
        assert answer.status_code == 404 and "No LSP with this code in the reports you may see." in answer.text


def test_a_posted_date_out_of_range_is_refused_and_nothing_is_written(web):
    """The same dates come in posted forms too: a day end and a report submitted for vetting."""
    web.login("operator1")
    before = _row_counts(web)
    closed = web.post_form("/counter/dayend", {"date": "9999-12-31", "counted": "0"})
    assert closed.status_code == 400 and f"Business day: {DATE_RANGE}" in html.unescape(closed.text)
    assert _row_counts(web) == before
    web.logout()
    web.login("lsp")
    before = _row_counts(web)
    submitted = web.post_form("/mis/reports", {"period": "0001-01-01..0001-01-31"})
    assert submitted.status_code == 400 and f"Period: {DATE_RANGE}" in html.unescape(submitted.text)
    assert _row_counts(web) == before


def _roles(allowed) -> list[Role | None]:
    return [ANONYMOUS] if isinstance(allowed, str) else [r for r in USERS if r in allowed]


def test_no_query_parameter_of_any_get_route_makes_a_server_error(web_answering_errors, monkeypatch):
    """Every GET route of the route table, as every role allowed on it: the query parameters its
    handler reads (found by watching it read them) are set, one at a time, to a date past the end
    of Python's calendar, one before its start, and a 30-digit number. None may answer 5xx. (Not
    every one is a 4xx: a search box or a case number filter takes any text and finds nothing.)"""
    read: set[str] = set()
    getitem, contains, getlist = QueryParams.__getitem__, QueryParams.__contains__, QueryParams.getlist

    def watched(method):
        def reading(self, key, *args):
            read.add(key)
            return method(self, key, *args)
        return reading

    monkeypatch.setattr(QueryParams, "__getitem__", watched(getitem))
    monkeypatch.setattr(QueryParams, "__contains__", watched(contains))
    monkeypatch.setattr(QueryParams, "getlist", watched(getlist))
    web = web_answering_errors
    visitors, ids = Visitors(web), _ids(web)
    failures, tried = [], set()
    for path, methods, kind, allowed in page_and_api_routes():
        if "GET" not in methods:
            continue
        url = _fill(path, ids)
        for role in _roles(allowed):
            read.clear()
            visitors.request(role, kind, "GET", url)
            for name in sorted(read):
                for value in ("9999-12-31", "0001-01-01", BIG):
                    answer = visitors.request(role, kind, "GET", f"{url}?{name}={value}")
                    tried.add((path, name))
                    if answer.status_code >= 500:
                        failures.append(f"{path}?{name}={value} as {role.value if role else 'anonymous'}: {answer.status_code}")
    assert failures == [], "\n".join(failures)
    # the walk saw the parameters it is about (else it would pass by reading nothing)
    assert {("/reports", "from"), ("/admin/outbox", "page"), ("/office", "min_age"), ("/society/reconciliation", "week"),
            ("/counter/dayend", "date"), ("/lsp/statement", "to"), ("/society/book", "week"), ("/api/v1/cases", "offset")} <= tried


TOO_BIG_ID = str(2**31)  # one past PostgreSQL's integer ids (core/db.MAX_ID)


@pytest.mark.parametrize("user,method,path,form", [
    ("tehsildar", "GET", f"/office/cases/{TOO_BIG_ID}", None),
    ("tehsildar", "POST", f"/office/cases/{TOO_BIG_ID}/act", {"action": "approve", "remark": "ok"}),
    ("tehsildar", "POST", f"/office/cases/{TOO_BIG_ID}/remark", {"remark": "a note"}),
    ("operator1", "POST", f"/counter/cases/{TOO_BIG_ID}/act", {"action": "collect", "remark": ""}),
    ("operator1", "POST", f"/counter/cases/{TOO_BIG_ID}/retry", {}),
    ("operator1", "POST", f"/counter/cases/{TOO_BIG_ID}/resubmit", {"remark": "Affidavit attached"}),
    ("society", "GET", f"/society/inspections/{TOO_BIG_ID}", None),
    ("society", "POST", f"/society/cheques/{TOO_BIG_ID}/clear", {}),
    ("society", "POST", f"/society/cheques/{TOO_BIG_ID}/bounce", {"reason": "funds insufficient"}),
    ("society", "POST", f"/society/dayends/{TOO_BIG_ID}/confirm", {"bank_reference": "CDM1", "amount": "10"}),
    ("society", "POST", f"/society/policy/approvals/{TOO_BIG_ID}/revoke", {}),
    ("society", "GET", f"/mis/reports/{TOO_BIG_ID}", None),
    ("society", "GET", f"/mis/reports/{TOO_BIG_ID}.csv", None),
])
def test_a_record_number_beyond_the_databases_ids_is_no_such_record(web, user, method, path, form):
    """A number no record can have (larger than PostgreSQL's integer ids) in a page's path is "no
    such record" (404), not a server error; nothing is written."""
    web.login(user)
    if method == "GET":
        answer = web.get(path)
    else:
        answer = web.post_form(path, form or {}, token_from={"tehsildar": "/office", "operator1": "/counter"}.get(user, "/"))
    assert answer.status_code == 404, (path, answer.status_code, answer.text[:300])


def test_a_bulk_action_on_case_numbers_no_case_can_have_is_refused(web):
    web.login("tehsildar")
    answer = web.post_form("/office/act", {"action": "approve", "remark": "ok", "case": TOO_BIG_ID}, token_from="/office")
    assert answer.status_code == 400  # as when nothing is ticked: no case can have that number

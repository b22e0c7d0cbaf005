"""The cases API: a department's system lists, reads and moves its cases; scope and refusals hold."""

from __future__ import annotations

from emitra.core.models import Case
from tests.case_helpers import caste_case, grievance_case


def test_an_officer_lists_reads_and_approves_through_the_api(web):
    case = web.run(lambda: caste_case("api-1"))
    headers = web.api_token("tehsildar")
    listed = web.get("/api/v1/cases?state=forwarded", headers=headers).json()["cases"]
    assert [c["number"] for c in listed] == [case.number]
    one = web.get(f"/api/v1/cases/{case.number}", headers=headers).json()
    assert {a["action"] for a in one["allowed_actions"]} == {"approve", "reject", "return"}
    assert [t["action"] for t in one["timeline"]] == ["open", "forward"]
    moved = web.post(f"/api/v1/cases/{case.number}/actions", json={"action": "approve", "remark": "Verified"}, headers=headers)
    assert moved.status_code == 200 and moved.json()["state"] == "approved"
    again = web.post(f"/api/v1/cases/{case.number}/actions", json={"action": "approve"}, headers=headers)
    assert again.status_code == 409 and "Allowed for you: 'Issue the certificate'." in again.json()["error"]["message"]


def test_other_departments_and_counters_do_not_see_the_case(web):
    case = web.run(lambda: caste_case("api-2"))
    for username in ("officer", "phed", "operator2"):
        headers = web.api_token(username)
        assert web.get(f"/api/v1/cases/{case.number}", headers=headers).status_code == 404
        assert web.post(f"/api/v1/cases/{case.number}/actions", json={"action": "approve"}, headers=headers).status_code == 404
        assert web.get("/api/v1/cases", headers=headers).json()["cases"] == []
    assert web.get("/api/v1/cases", headers=web.api_token("lsp")).status_code == 403
    assert web.get("/api/v1/cases").status_code == 401


def test_a_reason_is_required_and_bulk_reports_each_refusal(web):
    one = web.run(lambda: caste_case("api-3"))
    two = web.run(lambda: caste_case("api-4"))
    headers = web.api_token("tehsildar")
    no_reason = web.post(f"/api/v1/cases/{one.number}/actions", json={"action": "reject"}, headers=headers)
    assert no_reason.status_code == 422 and no_reason.json()["error"]["fields"][0]["field"] == "remark"
    web.post(f"/api/v1/cases/{two.number}/actions", json={"action": "approve"}, headers=headers)
    bulk = web.post("/api/v1/cases/actions", json={"numbers": [one.number, two.number, "NOPE"], "action": "approve"}, headers=headers).json()
    assert bulk["done"] == [one.number]
    assert [r["number"] for r in bulk["refused"]] == [two.number, "NOPE"]
    assert web.post("/api/v1/cases/actions", json={"numbers": [], "action": "approve"}, headers=headers).status_code == 422
    assert web.run(lambda: Case.get(number=one.number)).state == "approved"


def test_the_society_sees_its_district_and_the_operator_collects(web):
    case = web.run(lambda: grievance_case("api-g"))
    assert case.number in [c["number"] for c in web.get("/api/v1/cases", headers=web.api_token("society")).json()["cases"]]
    caste = web.run(lambda: caste_case("api-5"))
    officer = web.api_token("tehsildar")
    for action in ("approve", "issue"):
        assert web.post(f"/api/v1/cases/{caste.number}/actions", json={"action": action}, headers=officer).status_code == 200
    collected = web.post(f"/api/v1/cases/{caste.number}/actions", json={"action": "collect", "remark": "ID checked"},
                         headers=web.api_token("operator1"))
    assert collected.status_code == 200 and collected.json()["state"] == "collected"

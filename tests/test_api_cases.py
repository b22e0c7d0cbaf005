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


def three_turns(web, prefix: str) -> dict[str, str]:
    """Three caste applications of the Revenue Department: one with the department (its turn), one sent
    back to the counter for correction (the counter's turn), one rejected (closed)."""

    async def go():
        from emitra.core import workflow
        from tests.case_helpers import actor

        ours, returned, rejected = [await caste_case(f"{prefix}-{n}") for n in range(3)]
        await workflow.act(await actor("tehsildar"), returned, "return", "Father's name differs from the ration card")
        await workflow.act(await actor("tehsildar"), rejected, "reject", "Caste not shown on the ration card")
        return {"ours": ours.number, "counter": returned.number, "closed": rejected.number}

    return web.run(go)


def test_the_case_list_shows_what_waits_on_the_officer_as_the_inbox_does(web):
    cases = three_turns(web, "api-turn")

    def listed(headers, query=""):
        answer = web.get(f"/api/v1/cases{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return {c["number"] for c in answer.json()["cases"]}

    officer = web.api_token("tehsildar")
    assert listed(officer) == {cases["ours"]}  # the department's turn only, as /office lists
    assert listed(officer, "?turn=ours") == listed(officer, "?turn=department") == {cases["ours"]}
    assert listed(officer, "?turn=counter") == {cases["counter"]}  # waiting on others, when asked
    assert listed(officer, "?turn=open") == {cases["ours"], cases["counter"]}
    # each case says whose turn it is, and names its department in both languages
    shown = {c["number"]: c for c in web.get("/api/v1/cases?turn=all", headers=officer).json()["cases"]}
    assert {n: shown[cases[n]]["waiting_on"] for n in cases} == {"ours": "department", "counter": "counter", "closed": "none"}
    assert shown[cases["ours"]]["department_hi"] == "राजस्व विभाग, राजस्थान सरकार"
    assert listed(officer, "?turn=all") == set(cases.values())
    assert listed(officer, "?state=rejected") == {cases["closed"]}  # a state alone: whoever's turn, closed too
    assert listed(officer, "?state=returned&turn=department") == set()
    # the operator's desk is the counter: its default is what waits on the counter
    assert listed(web.api_token("operator1")) == {cases["counter"]}
    assert listed(web.api_token("operator1"), "?turn=department") == {cases["ours"]}
    wrong = web.get("/api/v1/cases?turn=mine", headers=officer)
    assert wrong.status_code == 422
    field = wrong.json()["error"]["fields"][0]
    assert field["field"] == "turn" and "ours, department, counter, open, all" in field["message_en"] and field["message_hi"]


def test_the_openapi_document_names_the_turn_parameter_and_its_values(web):
    document = web.get("/api/openapi.json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/cases"]["get"]["parameters"]}
    assert parameters["turn"]["schema"]["enum"] == ["ours", "department", "counter", "open", "all"]
    assert parameters["turn"]["schema"]["default"] == "ours"


def test_a_case_number_is_found_however_it_was_typed(web):
    """The API found a case only by its number exactly as stored: "jp0001 000000421" or a grievance
    number without its dashes was 404, though the citizen's tracking page reads them."""
    case = web.run(lambda: caste_case("api-typed"))
    headers = web.api_token("tehsildar")
    typed = f"{case.number[:6].lower()} {case.number[6:]}"
    one = web.get(f"/api/v1/cases/{typed}", headers=headers)
    assert one.status_code == 200 and one.json()["number"] == case.number
    other = web.run(lambda: caste_case("api-typed-2"))
    bulk = web.post("/api/v1/cases/actions", json={"numbers": [other.number.lower(), "-".join(other.number[i:i + 4] for i in range(0, 15, 4))],
                                                    "action": "approve", "remark": "Verified"}, headers=headers).json()
    assert bulk["done"] == [other.number] and len(bulk["refused"]) == 1  # the same case twice: the second is refused by the step
    assert web.get(f"/api/v1/cases/{'X' * 500}", headers=headers).status_code == 404


def test_case_numbers_are_read_as_the_citizens_tracking_page_reads_them():
    from emitra.core.workflow import clean_number  # also what `emitra cases act NUMBER` looks up

    assert clean_number("gr jp 0000670") == clean_number("GRJP0000670") == "GR-JP-0000670"
    assert clean_number("jp0001–000000421") == "JP0001000000421"  # an en dash, as a phone's keyboard makes it

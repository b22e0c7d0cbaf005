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
    wrong = web.post(f"/api/v1/cases/{case.number}/actions", json={"action": "reject", "remark": "Too late"}, headers=headers)
    assert wrong.status_code == 409 and "Allowed for you: 'Issue the certificate'." in wrong.json()["error"]["message"]


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
    web.post(f"/api/v1/cases/{two.number}/actions", json={"action": "reject", "remark": "Papers forged"}, headers=headers)
    bulk = web.post("/api/v1/cases/actions", json={"numbers": [one.number, two.number, "NOPE"], "action": "approve"}, headers=headers).json()
    assert bulk["done"] == [one.number] and bulk["already"] == []
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
    # the same case twice: the second is the step done already (decision 105), not taken twice
    assert bulk["done"] == [other.number] and bulk["refused"] == [] and [a["number"] for a in bulk["already"]] == [other.number]
    assert web.get(f"/api/v1/cases/{'X' * 500}", headers=headers).status_code == 404


def test_case_numbers_are_read_as_the_citizens_tracking_page_reads_them():
    from emitra.core.workflow import clean_number  # also what `emitra cases act NUMBER` looks up

    assert clean_number("gr jp 0000670") == clean_number("GRJP0000670") == "GR-JP-0000670"
    assert clean_number("jp0001–000000421") == "JP0001000000421"  # an en dash, as a phone's keyboard makes it


def test_a_step_sent_again_is_answered_as_done_once_and_a_colleagues_is_refused_naming_who(web):
    """A department's system retries a request after a timeout (decision 105): the single step sent
    again answers 200 with the case as it is, the bulk lists the cases under ``already``; nothing is
    taken twice. The same step sent by a colleague is refused, naming who took it and when, in
    English and Hindi; a case that has moved on since is refused as before."""
    from emitra.core.models import AuditLog, CaseEvent

    one = web.run(lambda: caste_case("api-again-1"))
    two = web.run(lambda: caste_case("api-again-2"))
    three = web.run(lambda: caste_case("api-again-3"))
    officer = web.api_token("tehsildar")
    first = web.post(f"/api/v1/cases/{one.number}/actions", json={"action": "approve", "remark": "Verified"}, headers=officer)
    again = web.post(f"/api/v1/cases/{one.number}/actions", json={"action": "approve", "remark": "Verified"}, headers=officer)
    assert first.status_code == again.status_code == 200 and again.json()["state"] == "approved"
    import datetime as dt

    def instants(body: dict) -> dict:  # the same moments (one read back from the database in UTC)
        return {k: dt.datetime.fromisoformat(v) if k.endswith("_at") and v else v for k, v in body.items()}

    assert instants(again.json()) == instants(first.json())
    bulk = web.post("/api/v1/cases/actions", json={"numbers": [one.number, two.number], "action": "approve"}, headers=officer).json()
    assert bulk["done"] == [two.number] and [a["number"] for a in bulk["already"]] == [one.number] and bulk["refused"] == []
    assert bulk["already"][0]["action"] == "approve" and bulk["already"][0]["at"][:4].isdigit()
    retried = web.post("/api/v1/cases/actions", json={"numbers": [one.number, two.number], "action": "approve"}, headers=officer).json()
    assert retried["done"] == [] and [a["number"] for a in retried["already"]] == [one.number, two.number]
    for case in (one, two):
        assert web.run(lambda: CaseEvent.filter(case_id=case.id, action="approve").count()) == 1
        assert web.run(lambda: AuditLog.filter(action="case.approve", object_id=str(case.id)).count()) == 1
    # a case that moved on since (issued): approving it again is refused as before
    assert web.post(f"/api/v1/cases/{one.number}/actions", json={"action": "issue"}, headers=officer).status_code == 200
    moved = web.post(f"/api/v1/cases/{one.number}/actions", json={"action": "approve"}, headers=officer)
    assert moved.status_code == 409
    # a colleague's system sends the same step: refused, naming who took it and when
    colleague = web.api_token("sdm")
    late = web.post(f"/api/v1/cases/{two.number}/actions", json={"action": "approve"}, headers=colleague)
    assert late.status_code == 409
    field = late.json()["error"]["fields"][0]
    assert field["message_en"].startswith("Tehsildar, Revenue Department took this step (Approved) on ")
    assert "ने यह चरण (" in field["message_hi"] and "'Approve' cannot be taken now" in field["message_en"]
    late_bulk = web.post("/api/v1/cases/actions", json={"numbers": [two.number, three.number], "action": "approve"}, headers=colleague).json()
    assert late_bulk["done"] == [three.number] and late_bulk["already"] == []
    assert [r["number"] for r in late_bulk["refused"]] == [two.number]
    assert late_bulk["refused"][0]["message_en"].startswith("Tehsildar, Revenue Department took this step (Approved) on ")


def test_breached_lists_the_cases_past_a_deadline_now_and_false_the_others(web):
    """Decision 168: ``breached=true`` is what ``emitra cases list --breached`` lists (flagged by the
    SLA sweep, or open with a deadline passed since it last ran), ``breached=false`` every other
    case, a case without deadlines and a closed one among them; each case says ``past_deadline``."""
    import datetime as dt

    from emitra.core import clock, workflow
    from tests.case_helpers import actor

    async def arrange() -> list[Case]:
        cases = [await caste_case(f"api-late-{n}") for n in range(6)]
        flagged, overall, state_late, on_time, closed, undated = cases
        now = clock.now()
        await Case.filter(id=flagged.id).update(breached=True)
        await Case.filter(id=overall.id).update(due_at=now - dt.timedelta(hours=1))
        await Case.filter(id=state_late.id).update(state_due_at=now - dt.timedelta(minutes=5))
        await Case.filter(id__in=[flagged.id, on_time.id]).update(state_due_at=now + dt.timedelta(days=1), due_at=now + dt.timedelta(days=20))
        await workflow.act(await actor("tehsildar"), closed, "reject", "Caste not shown on the ration card")
        await Case.filter(id=closed.id).update(due_at=now - dt.timedelta(days=1), breached=False)
        await Case.filter(id=undated.id).update(state_due_at=None, due_at=None)
        return cases

    flagged, overall, state_late, on_time, closed, undated = web.run(arrange)
    headers = web.api_token("tehsildar")

    def listed(value: str) -> dict[str, dict]:
        answer = web.get(f"/api/v1/cases?turn=all&breached={value}&limit=500", headers=headers)
        assert answer.status_code == 200, answer.text
        return {c["number"]: c for c in answer.json()["cases"] if c["number"] in numbers}

    numbers = {c.number for c in (flagged, overall, state_late, on_time, closed, undated)}
    late = listed("true")
    assert set(late) == {flagged.number, overall.number, state_late.number}
    assert [(late[c.number]["breached"], late[c.number]["past_deadline"]) for c in (flagged, overall, state_late)] == \
        [(True, True), (False, True), (False, True)]
    others = listed("false")
    assert set(others) == {on_time.number, closed.number, undated.number}
    assert not any(c["past_deadline"] or c["breached"] for c in others.values())
    assert web.get("/api/v1/cases?breached=yes", headers=headers).json()["error"]["fields"][0]["field"] == "breached"

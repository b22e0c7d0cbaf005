"""Day-end dispatch: each counter sends the day's paper documents to each department, which acknowledges them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from emitra.core import dispatch, workflow
from emitra.core.models import AuditLog, Case, CaseEvent, Counter, Dispatch
from emitra.core.plugins import get_host
from tests.case_helpers import actor, caste_case, grievance_case, pay

REVENUE = "Revenue Department, Government of Rajasthan"
JAMABANDI = "gov.rj.revenue.jamabandi_copy"
DAY = dt.date(2026, 11, 28)
PAPERS_EN = ["Signed application form", "Self-attested copy of the ration card", "Affidavit of caste"]
PAPERS_HI = ["हस्ताक्षरित आवेदन पत्र", "राशन कार्ड की स्व-प्रमाणित प्रति", "जाति का शपथ पत्र"]


async def _jamabandi_case() -> Case:
    request = await pay(JAMABANDI, dict(get_host().registry.get(JAMABANDI).example), "jb-1")
    return await Case.get(request_id=request.id)


async def _the_day() -> dict[str, Case]:
    """Two caste applications at the LokMitra centre, one at the JanMitra kiosk, and two without paper."""
    return {
        "a": await caste_case("caste-1"), "b": await caste_case("caste-2"), "c": await caste_case("caste-3", username="operator2"),
        "jamabandi": await _jamabandi_case(), "grievance": await grievance_case(),
    }


@pytest.mark.anyio
async def test_each_counter_prepares_one_dispatch_per_department_once(demo_db):
    cases = await _the_day()
    a, b, c = cases["a"], cases["b"], cases["c"]
    lokmitra, janmitra = await Counter.get(code="JP-LM-001"), await Counter.get(code="JP-JM-001")
    assert {d: [x.number for x in cs] for d, cs in (await dispatch.pending(lokmitra)).items()} == {REVENUE: [a.number, b.number]}

    [made] = await dispatch.prepare(await actor("operator1"), lokmitra, DAY)
    assert (made.number, made.department, made.business_date) == ("DSP-JP-LM-001-20261128-1", REVENUE, DAY)
    assert [i["number"] for i in made.items] == [a.number, b.number]
    for item in made.items:
        assert item["applicant"] == "Lakshmi Narayan Bairwa" and item["service"]["en"].startswith("Caste certificate")
        assert [d["en"] for d in item["documents"]] == PAPERS_EN and [d["hi"] for d in item["documents"]] == PAPERS_HI
    assert set(await Case.filter(dispatch_id=made.id).values_list("number", flat=True)) == {a.number, b.number}
    audit = await AuditLog.get(action="dispatch.prepared", object_id=str(made.id))
    assert audit.detail["cases"] == [a.number, b.number]

    # nothing is sent twice, and the papers without paper documents never travel
    assert await dispatch.prepare(await actor("operator1"), lokmitra, DAY) == []
    assert await dispatch.pending(lokmitra) == {}
    assert await Dispatch.all().count() == 1
    for name in ("jamabandi", "grievance"):
        assert (await Case.get(id=cases[name].id)).dispatch_id is None

    # the kiosk's dispatch is its own
    with pytest.raises(dispatch.DispatchError) as err:
        await dispatch.prepare(await actor("operator2"), lokmitra, DAY)
    assert err.value.field == "counter"
    [kiosk] = await dispatch.prepare(await actor("operator2"), janmitra, DAY)
    assert (kiosk.number, [i["number"] for i in kiosk.items]) == ("DSP-JP-JM-001-20261128-1", [c.number])

    # a later application the same day goes in a second, separately numbered dispatch
    d = await caste_case("caste-4")
    [second] = await dispatch.prepare(await actor("operator1"), lokmitra, DAY)
    assert (second.number, [i["number"] for i in second.items]) == ("DSP-JP-LM-001-20261128-2", [d.number])


@pytest.mark.anyio
async def test_papers_wait_while_a_case_is_with_the_counter_or_refused(demo_db):
    a, b = await caste_case("caste-1"), await caste_case("caste-2")
    lokmitra = await Counter.get(code="JP-LM-001")
    tehsildar = await actor("tehsildar")
    a = await workflow.act(tehsildar, a, "return", "Father's name differs from the ration card")
    b = await workflow.act(tehsildar, b, "reject", "Not on the state list of castes")
    assert await dispatch.pending(lokmitra) == {}  # returned for correction; rejected
    a = await workflow.act(await actor("operator1"), a, "resubmit", "Father's name corrected")
    assert [x.number for x in (await dispatch.pending(lokmitra))[REVENUE]] == [a.number]


@pytest.mark.anyio
async def test_the_department_acknowledges_once_reporting_what_is_missing(demo_db):
    a, b = await caste_case("caste-1"), await caste_case("caste-2")
    lokmitra = await Counter.get(code="JP-LM-001")
    [made] = await dispatch.prepare(await actor("operator1"), lokmitra, DAY)

    for username in ("officer", "phed", "operator1", "operator2"):  # JVVNL, PHED, the counter itself
        with pytest.raises(dispatch.DispatchError) as err:
            await dispatch.acknowledge(await actor(username), made, "Received")
        assert err.value.field == "role"
    with pytest.raises(dispatch.DispatchError) as err:
        await dispatch.acknowledge(await actor("tehsildar"), made, "", ["JP-NOT-ON-THE-LIST"])
    assert err.value.field == "missing" and "is not on dispatch" in err.value.message_en
    assert (await Dispatch.get(id=made.id)).acknowledged_at is None  # nothing half-written

    done = await dispatch.acknowledge(await actor("tehsildar"), made, "Bundle arrived with one form short", [b.number])
    done = await Dispatch.get(id=done.id)
    assert done.acknowledged_at is not None and done.acknowledged_by_id == (await actor("tehsildar")).user.id
    assert done.ack_note == f"Bundle arrived with one form short · Missing / अप्राप्त: {b.number}"
    assert dispatch.missing_numbers(done) == [b.number]

    # the missing case carries an internal remark for the officer, never shown to the citizen
    remark = await CaseEvent.get(case_id=b.id, action="remark")
    assert remark.public is False and made.number in remark.remark and "not received" in remark.remark
    assert made.number not in str(await workflow.timeline(await Case.get(id=b.id)))
    assert not await CaseEvent.filter(case_id=a.id, action="remark").exists()
    # and its papers wait at the counter again; the other case stays with the dispatch
    assert [x.number for x in (await dispatch.pending(lokmitra))[REVENUE]] == [b.number]
    assert (await Case.get(id=a.id)).dispatch_id == made.id
    assert await AuditLog.filter(action="dispatch.acknowledged", object_id=str(made.id)).count() == 1

    for username in ("tehsildar", "sdm", "society"):
        with pytest.raises(dispatch.DispatchError) as err:
            await dispatch.acknowledge(await actor(username), done, "again")
        assert err.value.field == "dispatch"
        assert "already acknowledged by Tehsildar, Revenue Department" in err.value.message_en
        assert "पावती" in err.value.message_hi and "पहले ही दी जा चुकी है" in err.value.message_hi


# --- the pages ---------------------------------------------------------------------------------------

def test_the_counter_prints_the_list_and_the_department_acknowledges_it(web):
    cases = web.run(_the_day)
    a, b, c = cases["a"], cases["b"], cases["c"]
    web.login("operator1")
    page = web.get("/counter/dispatch")
    assert page.status_code == 200
    assert a.number in page.text and b.number in page.text and c.number not in page.text
    assert cases["jamabandi"].number not in page.text and cases["grievance"].number not in page.text
    assert "Affidavit of caste" in page.text and "Lakshmi Narayan Bairwa" in page.text and REVENUE in page.text
    prepared = web.post_form("/counter/dispatch", {})
    assert prepared.status_code == 303 and prepared.headers["location"] == "/counter/dispatch?prepared=1"
    page = web.get(prepared.headers["location"])
    assert "Prepared 1 dispatch list. Print it and send it with its papers." in page.text and "No papers are waiting." in page.text
    number = re.search(r"DSP-JP-LM-001-\d{8}-1", page.text).group(0)
    assert "Waiting for the department" in page.text
    again = web.post_form("/counter/dispatch", {}, token_from="/counter/dispatch")
    assert web.get(again.headers["location"]).text.count("Nothing to send") == 1

    printable = web.get(f"/dispatch/{number}")
    assert printable.status_code == 200
    for name in PAPERS_EN + PAPERS_HI:
        assert printable.text.count(name) == 2  # both cases
    assert "LokMitra Centre, Malviya Nagar" in printable.text and REVENUE in printable.text and "2 cases, 6 paper documents" in printable.text
    assert "Received by the department's clerk" in printable.text and "Signature and seal" in printable.text
    assert "Acknowledge receipt" not in printable.text  # the counter does not acknowledge its own dispatch
    assert "/office/cases/" not in printable.text  # the counter's cases are on its own pages
    web.logout()

    for username in ("operator2", "officer", "phed"):  # another counter, JVVNL, PHED
        web.login(username)
        assert web.get(f"/dispatch/{number}").status_code == 404, username
        if username != "operator2":
            assert number not in web.get("/office/dispatches").text
            refused = web.post_form(f"/office/dispatches/{number}/acknowledge", {"note": "Received"}, token_from="/office/dispatches")
            assert refused.status_code == 404
        web.logout()
    web.login("citizen")
    assert web.get(f"/dispatch/{number}").status_code == 403
    assert web.get("/office/dispatches").status_code == 403
    web.logout()

    web.login("tehsildar")
    office = web.get("/office/dispatches")
    assert office.status_code == 200 and number in office.text and "LokMitra Centre, Malviya Nagar" in office.text
    assert "DSP-JP-JM-001" not in office.text  # the kiosk has not prepared its dispatch yet
    form = web.get(f"/dispatch/{number}")
    assert "Acknowledge receipt" in form.text and f'name="missing" value="{b.number}"' in form.text
    # each case number on the list opens the case, for the officer checking the bundle against it
    for case in (a, b):
        assert f'<a href="/office/cases/{case.id}">{case.number}</a>' in form.text
        assert web.get(f"/office/cases/{case.id}").status_code == 200
    too_long = web.post_form(f"/office/dispatches/{number}/acknowledge", {"note": "x" * 400, "missing": b.number},
                             token_from=f"/dispatch/{number}")
    assert too_long.status_code == 400 and "shorten it to at most 300" in too_long.text
    done = web.post_form(f"/office/dispatches/{number}/acknowledge", {"note": "One form short", "missing": b.number},
                         token_from=f"/dispatch/{number}")
    assert done.status_code == 303
    shown = web.get(done.headers["location"])
    assert "Acknowledged by Tehsildar, Revenue Department" in shown.text and "One form short" in shown.text
    assert f"Missing / अप्राप्त: {b.number}" in shown.text and "Acknowledge receipt" not in shown.text
    twice = web.client.post(f"/office/dispatches/{number}/acknowledge",
                            data={"note": "again", "csrf_token": web.csrf("/office/dispatches")})
    assert twice.status_code == 409 and "already acknowledged" in twice.text
    assert web.post(f"/office/dispatches/{number}/acknowledge", data={"note": "no token"}).status_code == 403
    web.logout()

    web.login("operator1")
    page = web.get("/counter/dispatch")
    assert f"Reported missing from {number}" in page.text and "Acknowledged" in page.text
    web.logout()
    web.login("society")
    district = web.get("/office/dispatches")
    assert number in district.text and REVENUE in district.text
    assert web.get(f"/dispatch/{number}").status_code == 200


def test_the_dispatch_pages_name_the_department_in_the_pages_language(web):
    """The counter's dispatch page, the printable list and the Society's list named the department as
    stored (English) on Hindi pages; the Hindi name its plugin declares is shown there."""
    from emitra.plugins.government.revenue import PROVIDER_HI

    web.run(_the_day)
    web.login("operator1")
    web.get("/lang/hi?next=/counter/dispatch")
    waiting = web.get("/counter/dispatch").text
    assert f"<h3>{PROVIDER_HI} <small>" in waiting and REVENUE not in waiting
    prepared = web.post_form("/counter/dispatch", {})
    page = web.get(prepared.headers["location"]).text
    number = re.search(r"DSP-JP-LM-001-\d{8}-1", page).group(0)
    assert f"<td>{PROVIDER_HI}</td>" in page and REVENUE not in page  # the dispatches sent
    printable = web.get(f"/dispatch/{number}").text
    assert f"<td>{PROVIDER_HI}</td>" in printable and REVENUE not in printable
    web.get("/lang/en?next=/counter/dispatch")
    assert f"<td>{REVENUE}</td>" in web.get(f"/dispatch/{number}").text
    web.logout()
    web.login("society")
    web.get("/lang/hi?next=/office/dispatches")
    district = web.get("/office/dispatches").text
    assert f"<td>{PROVIDER_HI}</td>" in district and REVENUE not in district


def test_the_department_finds_a_dispatch_by_number_case_counter_or_date_past_the_last_fifty(web):
    """Dispatches received listed the waiting ones and the last 50 acknowledged, with no way to find
    another: a counter asking about last month's bundle, or a case whose papers were reported
    missing, could be looked up only by typing the list's address. Now the page is found by a part
    of the dispatch number, a case on it (even one reported missing, which has left it), the
    counter, or the date, and pages through every acknowledged one."""
    def go():
        async def run():
            cases = await _the_day()
            counter = await Counter.get(code="JP-LM-001")
            [first] = await dispatch.prepare(await actor("operator1"), counter)
            first = await dispatch.acknowledge(await actor("tehsildar"), first, "One short", [cases["b"].number])
            [kiosk] = await dispatch.prepare(await actor("operator2"), await Counter.get(code="JP-JM-001"))
            user = await actor("operator1")
            old = []
            for n in range(52):  # older acknowledged dispatches of the same department
                old.append(await Dispatch.create(
                    district_id=counter.district_id, counter=counter, department=first.department, number=f"DSP-JP-LM-001-202509{n % 28 + 1:02d}-{n + 2}",
                    business_date=dt.date(2025, 9, n % 28 + 1), items=[], created_by=user.user,
                    acknowledged_by=user.user, acknowledged_at=first.acknowledged_at - dt.timedelta(days=60 + n)))
            return cases, first, kiosk, old
        return web.run(run)

    cases, first, kiosk, old = go()
    web.login("tehsildar")
    page = web.get("/office/dispatches").text
    assert first.number in page and kiosk.number in page and old[-1].number not in page  # the oldest is on page 2
    assert "page 1 of 2" in page
    pager = re.search(r'<p class="pager no-print">(.*?)</p>', page, re.S).group(1)  # the inbox's pager (one macro)
    assert '<a href="/office/dispatches?page=2" rel="next">Older</a>' in pager and "Page 1 of 2" in pager and 'rel="prev"' not in pager
    older = web.get("/office/dispatches", params={"page": "2"}).text
    assert old[-1].number in older and first.number not in older
    by_case = web.get("/office/dispatches", params={"number": cases["b"].number.lower()}).text  # reported missing: left the list
    assert first.number in by_case and kiosk.number not in by_case and old[0].number not in by_case
    by_part = web.get("/office/dispatches", params={"number": "20250915"}).text
    assert old[14].number in by_part and first.number not in by_part
    by_counter = web.get("/office/dispatches", params={"counter": "JP-JM"}).text
    assert kiosk.number in by_counter and first.number not in by_counter and "No acknowledged dispatch matches the filters." in by_counter
    by_name = web.get("/office/dispatches", params={"counter": "janmitra"}).text
    assert kiosk.number in by_name and first.number not in by_name
    by_date = web.get("/office/dispatches", params={"date": "2025-09-03"}).text
    assert old[2].number in by_date and old[30].number in by_date and old[3].number not in by_date
    bad = web.get("/office/dispatches", params={"date": "03-09-2025"})
    assert bad.status_code == 400 and "Date: give a date as YYYY-MM-DD" in bad.text
    web.get("/office?lang=hi")
    hindi = web.get("/office/dispatches", params={"counter": "zz"}).text
    assert "पावती दिया गया कोई प्रेषण इन फ़िल्टरों से मेल नहीं खाता।" in hindi and "प्रेषण या प्रकरण संख्या" in hindi
    web.logout()
    web.login("phed")  # another department finds nothing of Revenue's, by any number
    assert first.number not in web.get("/office/dispatches", params={"number": cases["b"].number}).text


@pytest.mark.anyio
async def test_many_cases_reported_missing_with_a_full_note_are_never_cut_mid_number(demo_db):
    """The note and the list of cases reported missing were kept in 500 characters and cut there:
    with a full note and a dozen cases missing, the counter read the list ending in half a number,
    and the cases after it were not named at all. Now the numbers that fit are named whole, then
    how many more, which are marked on the list."""
    cases = [await caste_case(f"many-{n}") for n in range(12)]
    [made] = await dispatch.prepare(await actor("operator1"), await Counter.get(code="JP-LM-001"))
    note = "Bundle arrived wet; " + "the forms are unreadable in places. " * 8
    note = note[:300]
    done = await dispatch.acknowledge(await actor("tehsildar"), made, note, [c.number for c in cases])
    kept = done.ack_note
    assert len(kept) <= 500 and kept.startswith(note.strip())
    listed = kept.split("Missing / अप्राप्त: ")[1].split(" and ")[0].split(", ")
    numbers = sorted(c.number for c in cases)
    assert listed == numbers[:len(listed)] and 0 < len(listed) < 12  # each one whole
    assert f"and {12 - len(listed)} more, marked on the list / {12 - len(listed)} और, सूची में चिह्नित" in kept
    assert dispatch.missing_numbers(done) == numbers  # the list itself marks every one
    short = dispatch.ack_note("One form short", [cases[0].number])
    assert short == f"One form short · Missing / अप्राप्त: {cases[0].number}"


def test_acknowledge_pressed_twice_shows_it_acknowledged_once(web):
    """A double click on 'Acknowledge receipt': the first press acknowledged the dispatch, the second
    answered 409 'already acknowledged by <you>', the page the clerk saw. Now the same form sent
    again by the same officer shows the acknowledgement; another note, or a colleague, is refused."""
    async def prepared():
        cases = await _the_day()
        [made] = await dispatch.prepare(await actor("operator1"), await Counter.get(code="JP-LM-001"))
        return cases, made

    cases, made = web.run(prepared)
    web.login("tehsildar")
    token = web.csrf(f"/dispatch/{made.number}")
    form = {"csrf_token": token, "note": "One form short", "missing": [cases["b"].number]}
    first = web.post(f"/office/dispatches/{made.number}/acknowledge", data=form)
    second = web.post(f"/office/dispatches/{made.number}/acknowledge", data=form)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == f"/dispatch/{made.number}?done=acknowledged"
    assert web.run(lambda: AuditLog.filter(action="dispatch.acknowledged").count()) == 1
    assert web.run(lambda: CaseEvent.filter(case_id=cases["b"].id, action="remark").count()) == 1
    other = web.post(f"/office/dispatches/{made.number}/acknowledge", data={**form, "missing": []})
    assert other.status_code == 409 and "already acknowledged by Tehsildar, Revenue Department" in other.text
    web.logout()
    web.login("sdm")
    late = web.post_form(f"/office/dispatches/{made.number}/acknowledge", {"note": "One form short", "missing": cases["b"].number},
                         token_from=f"/dispatch/{made.number}")
    assert late.status_code == 409 and "already acknowledged by Tehsildar, Revenue Department" in late.text


def test_the_dispatch_pages_count_lists_cases_and_papers_one_or_many_in_english_and_hindi(web):
    """The pages said "Prepared 1 dispatch list(s)" and "1 case(s), 3 paper document(s)"."""
    web.run(lambda: caste_case("count-1", username="operator2"))
    web.login("operator2")
    prepared = web.post_form("/counter/dispatch?lang=en", {})
    page = web.get(prepared.headers["location"]).text
    assert "Prepared 1 dispatch list. Print it and send it with its papers." in page
    assert "1 प्रेषण सूची तैयार की गई। इसे प्रिंट करें" in web.get("/counter/dispatch?prepared=1&lang=hi").text
    many = web.get("/counter/dispatch?prepared=2&lang=en").text
    assert "Prepared 2 dispatch lists. Print each one and send it with its papers." in many
    assert "2 प्रेषण सूचियाँ तैयार की गईं। प्रत्येक को प्रिंट करें" in web.get("/counter/dispatch?prepared=2&lang=hi").text
    number = re.search(r"DSP-JP-JM-001-\d{8}-1", page).group(0)
    assert "1 case, 3 paper documents" in web.get(f"/dispatch/{number}?lang=en").text
    assert "1 प्रकरण, 3 कागज़ी दस्तावेज़" in web.get(f"/dispatch/{number}?lang=hi").text

    async def one_paper():
        d = await Dispatch.get(number=number)
        await Dispatch.filter(id=d.id).update(items=[{**d.items[0], "documents": d.items[0]["documents"][:1]}])
    web.run(one_paper)
    assert "1 case, 1 paper document<" in web.get(f"/dispatch/{number}?lang=en").text

"""The Society's watch lists: dormant counters, overcharging, day-end shortages, complaints, cases near their deadline."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from emitra.core import book, clock, fees, grievances, watch
from emitra.core import counter as counter_core
from emitra.core.audit import Actor
from emitra.core.models import LSP, Case, Citizen, Counter, CounterKind, DailyFigure, DayEnd, District, User
from emitra.core.plugins import get_host
from emitra.web.watch import THRESHOLDS
from tests.case_helpers import CASTE, caste_case

BILL = "gov.rj.jvvnl.bill"
DAY = dt.date(2026, 11, 20)


async def _operator(username: str = "operator1") -> tuple[Actor, Counter]:
    user = await User.get(username=username)
    return Actor(user, via="test"), await Counter.get(id=user.counter_id)


async def _bill(key: str, username: str = "operator1") -> None:
    who, counter = await _operator(username)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    await counter_core.record_cash(who, counter, citizen, BILL, dict(get_host().registry.get(BILL).example), key)


async def _complain(counter_code: str, complaint_type: str, n: int = 1) -> list[Case]:
    district = await District.get(code="JP")
    cases = []
    for i in range(n):
        cases.append(await grievances.file_online(
            Actor(None, via="web"), district.id, about="counter", counter_code=counter_code, complaint_type=complaint_type,
            name="Sunita Devi", mobile="9414098765", subject="At the counter today",
            body=f"The operator asked me for more money than the receipt showed, visit {i}.", lang="en"))
    return cases


async def _shortage(counter: Counter, day: dt.date, short_paise: int) -> DayEnd:
    """A day end closed short (data the counter sends: written directly)."""
    return await DayEnd.create(district_id=counter.district_id, counter=counter, business_date=day, expected_paise=100_000,
                               counted_paise=100_000 - short_paise, retained_paise=0, deposit_paise=100_000 - short_paise,
                               difference_paise=-short_paise, slip_no=f"SLIP-{counter.code}-{day.isoformat()}", status="flagged",
                               closed_by="operator")


def _codes(items) -> list[str]:
    return [i.counter.code for i in items]


@pytest.mark.anyio
async def test_dormant_lists_counters_below_the_minimum_with_their_last_day(demo_db, monkeypatch):
    for offset, key in ((20, "d1"), (10, "d2"), (2, "d3")):
        monkeypatch.setenv("EMITRA_TODAY", (DAY - dt.timedelta(days=offset)).isoformat())
        await _bill(key)
    items = await watch.dormant((await District.get(code="JP")).id, DAY, days=30, min_transactions=3)
    assert _codes(items) == ["JP-JM-001"]  # three bills at the LokMitra centre: enough
    assert items[0].figures["transactions"] == 0 and items[0].figures["last_transaction"] is None
    assert "no transaction ever recorded" in items[0].reason_en and "fewer than 3" in items[0].reason_en
    # a higher minimum, or a shorter period, lists the LokMitra centre too, with its count and last day
    stricter = await watch.dormant((await District.get(code="JP")).id, DAY, days=30, min_transactions=4)
    assert _codes(stricter) == ["JP-JM-001", "JP-LM-001"]
    lm = stricter[1]
    assert lm.figures["transactions"] == 3 and lm.figures["last_transaction"] == DAY - dt.timedelta(days=2)
    assert "3 transactions in the last 30 days" in lm.reason_en and "18-11-2026" in lm.reason_en
    shorter = await watch.dormant((await District.get(code="JP")).id, DAY, days=15, min_transactions=3)
    assert _codes(shorter) == ["JP-JM-001", "JP-LM-001"] and shorter[1].figures["transactions"] == 2
    # a suspended counter is not dormant: it is not meant to transact
    await Counter.filter(code="JP-JM-001").update(active=False)
    assert _codes(await watch.dormant((await District.get(code="JP")).id, DAY, days=30, min_transactions=3)) == []


@pytest.mark.anyio
async def test_overcharging_from_complaints_and_book_entries(demo_db):
    overcharged = await _complain("JP-JM-001", "overcharging", 2)
    await _complain("JP-LM-001", "rude")  # a complaint, but not of overcharging
    who, lokmitra = await _operator("operator1")
    await book.add_entry(who, lokmitra, "complaint", "यहाँ ज्यादा पैसे लिए गए, रसीद ₹10 की थी")
    await book.add_entry(who, lokmitra, "complaint", "The queue was not in order.")
    await book.add_entry(who, lokmitra, "suggestion", "Please OVERCHARGE nobody and put up the rate list.")  # a suggestion, not a complaint
    district = (await District.get(code="JP")).id
    items = {i.counter.code: i for i in await watch.overcharging(district, clock.today())}
    assert set(items) == {"JP-JM-001", "JP-LM-001"}
    kiosk = items["JP-JM-001"]
    assert kiosk.figures["complaints"] == 2 and kiosk.figures["book_entries"] == 0
    assert [n for _, n in kiosk.cases] == [c.number for c in overcharged]
    assert "2 online complaints of overcharging" in kiosk.reason_en
    centre = items["JP-LM-001"]
    assert centre.figures["complaints"] == 0 and centre.figures["book_entries"] == 1 and centre.cases == []
    assert "1 complaint book entry mentioning overcharging" in centre.reason_en
    assert watch.mentions_overcharging("He OverCharged me") and not watch.mentions_overcharging("rude operator")
    # the period: complaints from before it do not count
    later = clock.today() + dt.timedelta(days=120)
    assert await watch.overcharging(district, later, days=90) == []


@pytest.mark.anyio
async def test_overcharging_from_charges_above_the_published_rate(demo_db):
    society = Actor(await User.get(username="society"))
    district = (await District.get(code="JP")).id
    await caste_case("w-caste-1")
    await caste_case("w-caste-2", mobile="9414098765")
    await _bill("w-bill-1", "operator2")
    today = clock.today()
    assert await watch.overcharging(district, today) == []  # charged at the published ₹10
    # The Society lowers the caste certificate's rate to ₹6: the ₹10 charged today is now above it.
    await fees.set_override(society, get_host().registry.get(CASTE), 600, district)
    items = await watch.overcharging(district, today)
    assert _codes(items) == ["JP-LM-001"]
    item = items[0]
    assert item.figures["days_over_rate"] == 1 and item.figures["transactions_over_rate"] == 2
    assert item.figures["excess_paise"] == 800 and item.figures["services_over_rate"] == [CASTE]
    assert "₹8.00 in excess" in item.reason_en and "a rate lowered during the period also shows here" in item.reason_en
    # counted as English counts: one day, two transactions (never "1 day(s)")
    assert item.reason_en.startswith("In the last 90 days: service charges above the published rate on 1 day, 2 transactions, ")
    # charges another system recorded for the kiosk, ₹5 a bill where JVVNL publishes ₹3.95
    kiosk = await Counter.get(code="JP-JM-001")
    await DailyFigure.create(district_id=district, lsp_id=kiosk.lsp_id, counter=kiosk, business_date=today - dt.timedelta(days=40),
                             service_code=BILL, provider="JVVNL", transactions=4, service_charge_paise=2000)
    items = {i.counter.code: i for i in await watch.overcharging(district, today)}
    assert items["JP-JM-001"].figures["excess_paise"] == 2000 - 4 * 395
    assert "JP-JM-001" not in _codes(await watch.overcharging(district, today, days=30))  # 40 days ago: outside 30


@pytest.mark.anyio
async def test_shortages_need_the_minimum_number_of_short_days(demo_db):
    lokmitra, kiosk = await Counter.get(code="JP-LM-001"), await Counter.get(code="JP-JM-001")
    for offset, short in ((1, 5_000), (3, 1_000), (8, 250)):
        await _shortage(lokmitra, DAY - dt.timedelta(days=offset), short)
    for offset in (1, 2):
        await _shortage(kiosk, DAY - dt.timedelta(days=offset), 100)
    await DayEnd.create(district_id=kiosk.district_id, counter=kiosk, business_date=DAY - dt.timedelta(days=3), expected_paise=1000,
                        counted_paise=1500, retained_paise=0, deposit_paise=1500, difference_paise=500, slip_no="EXCESS-1",
                        closed_by="operator")  # an excess is not a shortage
    district = lokmitra.district_id
    items = await watch.shortages(district, DAY)
    assert _codes(items) == ["JP-LM-001"]
    assert items[0].figures == {"shortages": 3, "short_paise": 6_250, "days": 30}
    assert "3 day ends short in the last 30 days" in items[0].reason_en and "₹62.50 short in all" in items[0].reason_en
    two = await watch.shortages(district, DAY, min_shortages=2)
    assert _codes(two) == ["JP-LM-001", "JP-JM-001"] and "2 day ends short in the last 30 days" in two[1].reason_en
    assert "1 day end short in the last 2 days" in (await watch.shortages(district, DAY, days=2, min_shortages=1))[0].reason_en
    assert _codes(await watch.shortages(district, DAY, days=7)) == []  # the 8-days-old shortage falls out


@pytest.mark.anyio
async def test_complaints_count_online_complaints_and_book_entries(demo_db):
    await _complain("JP-LM-001", "rude", 2)
    who, lokmitra = await _operator("operator1")
    await book.add_entry(who, lokmitra, "complaint", "No receipt was given for the water bill.")
    await book.add_entry(who, lokmitra, "suggestion", "Open on Sunday mornings too.")
    await _complain("JP-JM-001", "no_receipt", 2)
    district = lokmitra.district_id
    items = await watch.complaints(district, clock.today())
    assert _codes(items) == ["JP-LM-001"]
    assert items[0].figures["complaints"] == 3 and items[0].figures["online"] == 2 and items[0].figures["book_entries"] == 1
    assert len(items[0].cases) == 2 and "3 complaints in the last 30 days" in items[0].reason_en
    assert _codes(await watch.complaints(district, clock.today(), min_complaints=2)) == ["JP-LM-001", "JP-JM-001"]


@pytest.mark.anyio
async def test_near_breach_lists_what_is_due_soon_and_apart_what_is_past(demo_db):
    soon, later, past, closed = await _complain("JP-JM-001", "other", 4)
    now = clock.now()
    await Case.filter(id=soon.id).update(state_due_at=now + dt.timedelta(hours=24), due_at=now + dt.timedelta(days=10))
    await Case.filter(id=later.id).update(state_due_at=now + dt.timedelta(days=5), due_at=now + dt.timedelta(days=12))
    await Case.filter(id=past.id).update(state_due_at=now - dt.timedelta(hours=3))
    await Case.filter(id=closed.id).update(state_due_at=now + dt.timedelta(hours=2), closed_at=now)
    deadlines = await watch.near_breach(soon.district_id, now)
    assert [i.case.number for i in deadlines.soon] == [soon.number]
    assert deadlines.soon[0].deadline == "state" and 23.9 < deadlines.soon[0].hours_left <= 24
    assert [i.case.number for i in deadlines.breached] == [past.number] and deadlines.breached[0].hours_left < 0
    wider = await watch.near_breach(soon.district_id, now, hours=24 * 6)
    assert [i.case.number for i in wider.soon] == [soon.number, later.number]


# --- the page -----------------------------------------------------------------------------------

async def _other_district_with_shortages() -> None:
    district = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    lsp = await LSP.create(district=district, name="Ajmer Services")
    counter = await Counter.create(district=district, lsp=lsp, code="AJ-LM-001", name="LokMitra Centre, Ajmer",
                                   kind=CounterKind.LOKMITRA, owner_name=lsp.name)
    for offset in range(1, 5):
        await _shortage(counter, clock.today() - dt.timedelta(days=offset), 700)


async def _jaipur_shortages() -> None:
    lokmitra = await Counter.get(code="JP-LM-001")
    for offset in range(1, 4):
        await _shortage(lokmitra, clock.today() - dt.timedelta(days=offset), 1_000)


def test_the_watch_page_is_the_societys_and_shows_its_district_only(web):
    web.run(_other_district_with_shortages)
    web.run(_jaipur_shortages)
    cases = web.run(lambda: _complain("JP-JM-001", "overcharging", 3))
    for username in ("lsp", "operator1", "officer"):
        web.login(username)
        assert web.get("/society/watch").status_code == 403
        web.logout()
    web.login("society")
    page = web.get("/society/watch")
    assert page.status_code == 200
    shortages = re.search(r'<section id="shortages">.*?</section>', page.text, re.S).group(0)
    assert 'id="shortages-JP-LM-001"' in shortages and "₹30.00 short in all" in shortages
    assert "AJ-LM-001" not in page.text
    # every list shows its threshold; every counter links to its inspections; cases link to the case page
    assert "fewer than 20 transactions in the last 30 days" in page.text
    assert "at least 3 days in the last 30 days" in page.text
    assert 'href="/society/inspections?counter=JP-LM-001"' in page.text
    assert f'href="/office/cases/{cases[0].id}"' in page.text
    overcharging = re.search(r'<section id="overcharging">.*?</section>', page.text, re.S).group(0)
    assert 'id="overcharging-JP-JM-001"' in overcharging and "3 online complaints of overcharging" in overcharging
    # the thresholds in the query string change the lists; the other thresholds are carried along
    stricter = web.get("/society/watch", params={"short_min": "4", "complaint_min": "5"})
    assert 'id="shortages-JP-LM-001"' not in stricter.text and "at least 4 days" in stricter.text
    assert 'name="complaint_min" value="5"' in stricter.text
    assert 'id="complaints-JP-JM-001"' not in stricter.text
    assert 'id="complaints-JP-JM-001"' in web.get("/society/watch").text
    bad = web.get("/society/watch", params={"short_days": "a month"})
    assert bad.status_code == 400 and "Type a whole number from 1 to 366" in bad.text
    assert 'id="shortages-JP-LM-001"' in bad.text  # the default is used meanwhile
    # as of an earlier day, the counter lists look back from that day (the shortages are later)
    earlier = (clock.today() - dt.timedelta(days=90)).isoformat()
    back = web.get("/society/watch", params={"on": earlier})
    assert back.status_code == 200 and 'id="shortages-JP-LM-001"' not in back.text and f'value="{earlier}"' in back.text
    future = web.get("/society/watch", params={"on": (clock.today() + dt.timedelta(days=1)).isoformat()})
    assert future.status_code == 400 and "not in the future" in future.text


def test_the_watch_page_lists_cases_near_their_deadline_with_links(web):
    soon, later = web.run(lambda: _complain("JP-LM-001", "refused", 2))

    async def due() -> None:
        now = clock.now()
        await Case.filter(id=soon.id).update(state_due_at=now + dt.timedelta(hours=24))
        await Case.filter(id=later.id).update(state_due_at=now + dt.timedelta(days=5), due_at=now + dt.timedelta(days=9))

    web.run(due)
    web.login("society")
    page = web.get("/society/watch").text
    deadlines = re.search(r'<section id="deadlines">.*?</section>', page, re.S).group(0)
    assert f'id="soon-{soon.id}"' in deadlines and f'href="/office/cases/{soon.id}"' in deadlines
    assert f'id="soon-{later.id}"' not in deadlines and "e-Mitra Society" in deadlines
    assert f'id="soon-{later.id}"' in web.get("/society/watch", params={"hours": "168"}).text


def test_the_watch_page_names_a_cases_department_in_the_pages_language(web):
    """The deadlines' Department column printed the stored (English) name on a Hindi page."""
    from emitra.plugins.government.revenue import PROVIDER, PROVIDER_HI

    case = web.run(lambda: caste_case("watch-hi"))
    web.run(lambda: Case.filter(id=case.id).update(state_due_at=clock.now() + dt.timedelta(hours=12)))
    web.login("society")
    row = r'<tr id="soon-%d">.*?</tr>' % case.id
    assert f"<td>{PROVIDER}</td>" in re.search(row, web.get("/society/watch").text, re.S).group(0)
    web.get("/lang/hi?next=/society/watch")
    assert f"<td>{PROVIDER_HI}</td>" in re.search(row, web.get("/society/watch").text, re.S).group(0)


def test_a_refused_as_of_date_stays_in_its_box_in_english_and_hindi(web):
    """A date the page refuses was replaced by today's in the box, so the Society could not see what it
    had typed wrong; the refusal says today is used, and the box keeps what was typed."""
    web.login("society")
    future = (clock.today() + dt.timedelta(days=400)).isoformat()
    page = web.get("/society/watch", params={"on": future})
    assert page.status_code == 400 and "not in the future" in page.text
    box = re.search(r'<input id="t-on"[^>]*>', page.text).group(0)
    assert f'value="{future}"' in box and 'aria-invalid="true"' in box
    web.get("/lang/hi?next=/society/watch")
    page = web.get("/society/watch", params={"on": "31-12-2026<b>"})
    box = re.search(r'<input id="t-on"[^>]*>', page.text).group(0)
    assert page.status_code == 400 and "भविष्य की नहीं" in page.text and 'value="31-12-2026&lt;b&gt;"' in box
    assert f'value="{clock.today().isoformat()}"' in re.search(r'<input id="t-on"[^>]*>', web.get("/society/watch").text).group(0)


def test_the_watch_counts_its_days_and_complaints_one_or_many_in_english_and_hindi(web):
    """The Hindi reasons and thresholds said "पिछले 1 दिनों में" and "1 शिकायतें"; the English thresholds "in the last 1 days"."""
    web.run(lambda: _complain("JP-JM-001", "overcharging", 1))
    web.run(lambda: _complain("JP-LM-001", "overcharging", 3))
    web.login("society")
    one_day = {"over_days": "1", "complaint_days": "1", "complaint_min": "1", "lookup_days": "1", "dormant_days": "1", "short_days": "1"}
    hindi = web.get("/society/watch", params={"lang": "hi", **one_day})
    assert hindi.status_code == 200 and "दिनों" not in hindi.text
    overcharging = re.search(r'<section id="overcharging">.*?</section>', hindi.text, re.S).group(0)
    assert "पिछले 1 दिन में: अधिक राशि लेने की 1 ऑनलाइन शिकायत।" in overcharging
    assert "पिछले 1 दिन में: अधिक राशि लेने की 3 ऑनलाइन शिकायतें।" in overcharging
    assert "पिछले 1 दिन में: अधिक शुल्क वसूली की शिकायतें" in overcharging  # the threshold
    complaints = re.search(r'<section id="complaints">.*?</section>', hindi.text, re.S).group(0)
    assert "पिछले 1 दिन में 1 शिकायत (1 ऑनलाइन" in complaints and "पिछले 1 दिन में 3 शिकायतें (3 ऑनलाइन" in complaints
    assert "पिछले 1 दिन में 1 लेन-देन" in hindi.text or "पिछले 1 दिन में 0 लेन-देन" in hindi.text  # a dormant counter
    many = web.get("/society/watch", params={"lang": "hi", "complaint_min": "1"}).text
    assert "पिछले 30 दिनों में 3 शिकायतें (3 ऑनलाइन" in many and "पिछले 30 दिनों में 1 शिकायत (1 ऑनलाइन" in many
    english = web.get("/society/watch", params={"lang": "en", **one_day}).text
    assert "In the last 1 day: complaints of overcharging" in english
    assert "Counters whose operators, in the last 1 day, were refused" in english and "1 days" not in english
    assert "In the last 90 days: complaints of overcharging" in web.get("/society/watch").text


def test_the_watch_thresholds_count_their_minimum_one_or_many_in_english_and_hindi(web):
    """A minimum of 1 read "fewer than 1 transactions", "at least 1 days", "at least 1 complaints",
    "within the next 1 hours"; in Hindi "कम से कम 1 शिकायतों", "अगले 1 घंटों" (decision 146)."""
    web.login("society")
    ones = {"dormant_min": "1", "short_min": "1", "complaint_min": "1", "hours": "1"}
    english = re.sub(r"\s+", " ", web.get("/society/watch", params={"lang": "en", **ones}).text)
    assert "Active counters with fewer than 1 transaction in the last 30 days" in english
    assert "(less cash counted than expected) on at least 1 day in the last 30 days." in english
    assert "Counters with at least 1 complaint in the last 30 days:" in english
    assert "falls within the next 1 hour." in english
    for plural in ("1 transactions", "1 days", "1 complaints", "1 hours"):
        assert plural not in english, plural
    hindi = re.sub(r"\s+", " ", web.get("/society/watch", params={"lang": "hi", **ones}).text)
    assert "पिछले 30 दिनों में कम से कम 1 शिकायत वाले काउंटर" in hindi and "1 शिकायतों" not in hindi
    assert "पिछले 30 दिनों में कम से कम 1 दिन कमी रही" in hindi and "पिछले 30 दिनों में 1 से कम लेन-देन वाले सक्रिय काउंटर" in hindi
    assert "अगले 1 घंटे में पड़ती है" in hindi and "1 घंटों" not in hindi
    many = {"dormant_min": "5", "short_min": "2", "complaint_min": "3", "hours": "48"}
    english = re.sub(r"\s+", " ", web.get("/society/watch", params={"lang": "en", **many}).text)
    assert "fewer than 5 transactions in the last" in english and "on at least 2 days in the last" in english
    assert "at least 3 complaints in the last" in english and "within the next 48 hours." in english
    hindi = re.sub(r"\s+", " ", web.get("/society/watch", params={"lang": "hi", **many}).text)
    assert "कम से कम 3 शिकायतों वाले काउंटर" in hindi and "अगले 48 घंटों में" in hindi


#: every threshold box: (list, box) as the page names them in English and in Hindi
BOXES = {"dormant_days": (("Dormant counters", "Days"), ("निष्क्रिय काउंटर", "दिन")),
         "dormant_min": (("Dormant counters", "Minimum transactions"), ("निष्क्रिय काउंटर", "न्यूनतम लेन-देन")),
         "over_days": (("Overcharging", "Days"), ("अधिक शुल्क वसूली", "दिन")),
         "short_days": (("Day-end shortages", "Days"), ("दिवस-समापन पर कमी", "दिन")),
         "short_min": (("Day-end shortages", "Minimum shortages"), ("दिवस-समापन पर कमी", "न्यूनतम कमी")),
         "complaint_days": (("Many complaints", "Days"), ("अधिक शिकायतें", "दिन")),
         "complaint_min": (("Many complaints", "Minimum complaints"), ("अधिक शिकायतें", "न्यूनतम शिकायतें")),
         "hours": (("Cases near their deadline", "Hours"), ("समय-सीमा के निकट प्रकरण", "घंटे")),
         "lookup_days": (("Citizen look-ups refused", "Days"), ("नागरिक खोज रोकी गई", "दिन"))}


def _beside(page: str, name: str) -> str:
    """The refusal shown in the box ``name``'s own field (the box points at it for screen readers)."""
    field = re.search(r'<div class="field has-error"><label for="t-%s">.*?</div>' % name, page, re.S)
    assert field, f"{name}: no refusal beside its box"
    assert f'aria-describedby="t-{name}-error"' in field.group(0)
    return " ".join(re.search(r'<p class="error" id="t-%s-error" role="alert">(.*?)</p>' % name, field.group(0), re.S).group(1).split())


def test_every_refused_threshold_names_its_list_its_box_and_the_fix_beside_it_in_english_and_hindi(web):
    """Every threshold refused read "Give a whole number from 1 to 366; the default 30 is used.", the
    same under each box: four boxes are called "Days", and the text named none of them nor said
    what was wrong with what was typed."""
    web.login("society")
    typed = {"dormant_days": "a month", "dormant_min": "0", "over_days": "400", "short_days": "2.5", "short_min": "-1",
             "complaint_days": "999", "complaint_min": "lots", "hours": "100000", "lookup_days": "0"}
    #: what each language's refusal says of the range and the default
    ranges = {"en": "Type a whole number from {low} to {high}|the default, {default}, is used",
              "hi": "{low} से {high} तक|डिफ़ॉल्ट मान {default}"}
    pages = {}
    for index, lang in enumerate(("en", "hi")):
        pages[lang] = page = web.get("/society/watch", params={"lang": lang, **typed})
        assert page.status_code == 400
        for name, labels in BOXES.items():
            (list_name, box), (default, low, high) = labels[index], THRESHOLDS[name]
            said = _beside(page.text, name)
            assert said.startswith(f"{list_name}, {box}: "), said
            for words in ranges[lang].format(low=low, high=high, default=default).split("|"):
                assert words in said, (words, said)
    for name, words in {"dormant_days": "“a month” is not a whole number", "dormant_min": "0 is less than 1",
                        "over_days": "400 is more than 366", "short_days": "“2.5” is not a whole number",
                        "hours": "100000 is more than 1440"}.items():
        assert words in _beside(pages["en"].text, name)
    for name, words in {"dormant_days": "“a month” पूर्ण संख्या नहीं है", "over_days": "400, 366 से अधिक है",
                        "dormant_min": "0, 1 से कम है"}.items():
        assert words in _beside(pages["hi"].text, name)
    # a refused date names its box too
    future = (clock.today() + dt.timedelta(days=3)).isoformat()
    assert "Counter lists as of: give a date" in _beside(web.get("/society/watch", params={"lang": "en", "on": future}).text, "on")
    assert _beside(web.get("/society/watch", params={"lang": "hi", "on": future}).text, "on").startswith("काउंटर सूचियाँ इस तिथि तक:")

"""An operator's look-ups of citizens his counter has not served are limited (core/citizen_lookups.py,
decision 87): past EMITRA_CITIZEN_LOOKUPS in EMITRA_CITIZEN_LOOKUP_WINDOW_MINUTES, the counter's
citizen page, its search and the API's citizen answer 429 in English and Hindi, the first refusal
of a window is audited and shown on the Society's watch list, and citizens the counter serves are
never counted.

The demo's citizens were registered at JP-LM-001 (operator1's counter): operator2, at JP-JM-001,
has served none of them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from emitra.core import auth
from emitra.core.citizen_lookups import REFUSED, day_key, lookups_key
from emitra.core.ids import make_emitra_id
from emitra.core.models import AuditLog, Citizen, Counter, LoginThrottle, User
from tests.case_helpers import pay

BILL = "gov.rj.jvvnl.bill"
WINDOW = dt.timedelta(minutes=60)
REFUSAL_EN = "The Society has been told"
REFUSAL_HI = "सोसायटी को सूचित कर दिया गया है"


@pytest.fixture(autouse=True)
def two_lookups(monkeypatch):
    monkeypatch.setenv("EMITRA_CITIZEN_LOOKUPS", "2")


def ids(web) -> list[str]:
    async def find():
        return [c.emitra_id for c in await Citizen.all().order_by("id")]

    return web.run(find)


def counted(web, username: str) -> int:
    async def count():
        user = await User.get(username=username)
        return await auth.events_in_window(lookups_key(user.id), WINDOW)

    return web.run(count)


def refusals(web) -> list[AuditLog]:
    return web.run(lambda: AuditLog.filter(action=REFUSED).order_by("id"))


def end_the_window(web, username: str) -> None:
    """As if the window had begun an hour and a second ago (the throttle tests move time the same way)."""
    async def move():
        user = await User.get(username=username)
        past = dt.datetime.now(dt.timezone.utc) - WINDOW - dt.timedelta(seconds=1)
        await LoginThrottle.filter(key__startswith="citizen-").update(window_start=past)
        assert await LoginThrottle.exists(key=lookups_key(user.id))

    web.run(move)


def test_opening_more_unknown_records_than_the_limit_is_refused_in_english_and_hindi(web):
    web.login("operator2")
    first, second, third, _fourth = ids(web)
    assert web.get(f"/counter/citizens/{first}").status_code == 200
    assert web.get(f"/counter/citizens/{second}").status_code == 200
    # the same citizen again in the window (the form's steps, the payment) is not another look-up
    assert web.get(f"/counter/citizens/{first}").status_code == 200
    assert web.get(f"/counter/citizens/{first}/services/{BILL}").status_code == 200
    assert counted(web, "operator2") == 2
    refused = web.get(f"/counter/citizens/{third}")
    assert refused.status_code == 429
    assert REFUSAL_EN in refused.text and "serve" in refused.text and "ask the Society" in refused.text
    assert "Mohammed Iqbal" not in refused.text
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    hindi = web.get(f"/counter/citizens/{third}?lang=hi")
    assert hindi.status_code == 429 and REFUSAL_HI in hindi.text and "सोसायटी से पूछें" in hindi.text
    # the form of an unknown citizen is refused as his page is
    assert web.get(f"/counter/citizens/{third}/services/{BILL}").status_code == 429


def test_the_api_refuses_in_its_error_shape_with_both_languages(web):
    headers = web.api_token("operator2")
    first, second, third, _fourth = ids(web)
    for eid in (first, second, first):
        assert web.get(f"/api/v1/citizens/{eid}", headers=headers).status_code == 200
    refused = web.get(f"/api/v1/citizens/{third}", headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    error = refused.json()["error"]
    assert error["code"] == "too_many_lookups" and REFUSAL_EN in error["message"]
    (field,) = error["fields"]
    assert field["field"] == "citizen" and REFUSAL_HI in field["message_hi"] and REFUSAL_EN in field["message_en"]
    # a payment for an unknown citizen goes through the same look-up
    paid = web.post("/api/v1/transactions", headers=headers, json={
        "citizen": third, "service_code": BILL, "form": {"k_number": "210412345678"}, "idempotency_key": "lookups-1",
        "payment": {"method": "cash", "amount_paise": 100}})
    assert paid.status_code == 429 and paid.json()["error"]["code"] == "too_many_lookups"


def test_citizens_the_counter_serves_are_never_counted(web):
    web.run(lambda: pay(BILL, {"k_number": "210412345678"}, "served-1", username="operator2", citizen="Sunita Devi"))
    sunita = web.run(lambda: Citizen.get(name="Sunita Devi")).emitra_id
    web.login("operator2")
    for _ in range(5):
        assert web.get(f"/counter/citizens/{sunita}").status_code == 200
        assert web.get("/counter?q=9414098765").status_code == 200  # a search listing only her
    assert counted(web, "operator2") == 0
    # registered here just now: served, from the page the registration opens onwards
    created = web.post_form("/counter/citizens/new", {"name": "Pooja Kumari", "date_of_birth": "1995-05-05", "gender": "F",
                                                      "mobile": "9876501234", "address": "Chomu"})
    assert created.status_code == 303, created.text
    for _ in range(3):
        assert web.get(created.headers["location"]).status_code == 200
    # operator1's counter registered every demo citizen: none of them counts for him
    web.logout()
    web.login("operator1")
    for eid in ids(web)[:4] * 2:
        assert web.get(f"/counter/citizens/{eid}").status_code == 200
    assert counted(web, "operator1") == 0


def test_the_search_is_counted_when_it_lists_a_citizen_the_counter_has_not_served(web):
    web.login("operator2")
    assert web.get("/counter?q=Geeta").status_code == 200
    assert web.get("/counter?q=nobody-by-this-name").status_code == 200  # nothing found: not counted
    assert counted(web, "operator2") == 1
    assert web.get("/counter?q=8003344556").status_code == 200
    refused = web.get("/counter?q=Mohammed")
    assert refused.status_code == 429 and REFUSAL_EN in refused.text and "9783011122" not in refused.text


def test_the_refusal_is_audited_once_a_window_and_the_limit_resets_after_it(web):
    web.login("operator2")
    first, second, third, fourth = ids(web)
    web.get(f"/counter/citizens/{first}")
    web.get(f"/counter/citizens/{second}")
    for eid in (third, fourth, third):
        assert web.get(f"/counter/citizens/{eid}").status_code == 429
    (entry,) = refusals(web)
    assert entry.actor_name == "operator2" and entry.detail["limit"] == 2 and entry.detail["window_minutes"] == 60
    assert entry.detail["opened"] == third
    operator2 = web.run(lambda: User.get(username="operator2"))
    assert entry.counter_id == operator2.counter_id and entry.district_id == operator2.district_id
    # the Society sees who hit the limit on its watch list
    web.logout()
    web.login("society")
    watch = web.get("/society/watch")
    assert watch.status_code == 200 and "JP-JM-001" in watch.text and "operator2" in watch.text
    web.logout()
    web.login("operator2")
    end_the_window(web, "operator2")
    assert web.get(f"/counter/citizens/{third}").status_code == 200
    assert web.get(f"/counter/citizens/{fourth}").status_code == 200
    assert web.get(f"/counter/citizens/{first}").status_code == 429  # a new window: counted again, refused, audited
    assert len(refusals(web)) == 2


def test_another_operator_is_not_affected(web):
    async def stranger() -> str:
        counter = await Counter.get(code="JP-JM-001")
        citizen = await Citizen.create(district_id=counter.district_id, name="Farida Bano", date_of_birth=dt.date(1980, 2, 2),
                                       gender="F", mobile="9829055555", address="Chomu", registered_at=counter)
        citizen.emitra_id = make_emitra_id("JP", citizen.id)
        await citizen.save(update_fields=["emitra_id"])
        return citizen.emitra_id

    farida = web.run(stranger)
    web.login("operator2")
    first, second, third, _fourth = ids(web)[:4]
    web.get(f"/counter/citizens/{first}")
    web.get(f"/counter/citizens/{second}")
    assert web.get(f"/counter/citizens/{third}").status_code == 429
    web.logout()
    web.login("operator1")  # Farida was registered at JP-JM-001: operator1's counter has not served her
    assert web.get(f"/counter/citizens/{farida}").status_code == 200
    assert counted(web, "operator1") == 1


def test_a_search_by_e_mitra_id_that_opens_the_page_is_one_look_up_and_old_marks_go(web):
    web.login("operator2")
    first, second, third, _fourth = ids(web)
    opened = web.get(f"/counter?q={first}")
    assert opened.status_code == 303 and web.get(opened.headers["location"]).status_code == 200
    assert counted(web, "operator2") == 1
    web.get(f"/counter/citizens/{second}")
    end_the_window(web, "operator2")
    assert web.get(f"/counter/citizens/{third}").status_code == 200  # a new window: the last one's marks are removed

    async def marks():
        return sorted(await LoginThrottle.filter(key__startswith="citizen-seen:").values_list("key", flat=True))

    operator2 = web.run(lambda: User.get(username="operator2"))
    third_id = web.run(lambda: Citizen.get(emitra_id=third)).id
    assert web.run(marks) == [f"citizen-seen:{operator2.id}:{third_id}"]


def test_a_slow_harvest_under_the_windows_limit_is_refused_by_the_days_and_shown_on_the_today_panel(web, monkeypatch):
    """Decision 96: 2 an hour (this file's limit) would allow 48 a day; EMITRA_CITIZEN_LOOKUPS_PER_DAY
    caps the 24 hours. The refusal says so, is audited, and the Society's today panel marks it."""
    monkeypatch.setenv("EMITRA_CITIZEN_LOOKUPS_PER_DAY", "3")
    operator2 = web.run(lambda: User.get(username="operator2"))

    def end_the_hour() -> None:
        past = dt.datetime.now(dt.timezone.utc) - WINDOW - dt.timedelta(seconds=1)
        web.run(lambda: LoginThrottle.filter(key__startswith="citizen-").exclude(key=day_key(operator2.id)).update(window_start=past))

    web.login("operator2")
    first, second, third, fourth = ids(web)
    assert web.get(f"/counter/citizens/{first}").status_code == 200
    assert web.get(f"/counter/citizens/{second}").status_code == 200
    end_the_hour()
    assert web.get(f"/counter/citizens/{third}").status_code == 200  # the hour's count began again: 1 of 2; the day's 3 of 3
    refused = web.get(f"/counter/citizens/{fourth}")
    assert refused.status_code == 429 and "looked up 3 citizens" in refused.text and "in the last 24 hours" in refused.text
    assert 3600 < int(refused.headers["retry-after"]) <= 24 * 3600
    hindi = web.get(f"/counter/citizens/{fourth}?lang=hi")
    assert hindi.status_code == 429 and "पिछले 24 घंटे में" in hindi.text
    end_the_hour()
    assert web.get(f"/counter/citizens/{fourth}?lang=en").status_code == 429  # a new hour does not end the day's limit
    (entry,) = refusals(web)
    assert (entry.detail["limit"], entry.detail["window_minutes"], entry.detail["opened"]) == (3, 24 * 60, fourth)
    # the Society's morning look: the row links to the watch list, marked (a refusal in the last 24 hours)
    web.logout()
    web.login("society")
    today = web.get("/society/today?lang=en")
    row = today.text[today.text.index('id="w-lookups"'):]
    row = row[:row.index("</tr>")]
    assert 'class="marked"' in row and 'id="w-lookups-count">1<' in row and "at 1 counter: ask the operators why" in row
    assert 'href="/society/watch?lookup_days=7#lookups"' in row
    watch = web.get("/society/watch?lookup_days=7")
    assert "within 24 hours (operator2)" in watch.text
    assert "नागरिकों की खोज से रोके गए ऑपरेटर" in web.get("/society/today?lang=hi").text
    # the day over, the operator may look up again
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=24, seconds=1)
    web.run(lambda: LoginThrottle.filter(key=day_key(operator2.id)).update(window_start=past))
    web.logout()
    web.login("operator2")
    assert web.get(f"/counter/citizens/{fourth}?lang=en").status_code == 200

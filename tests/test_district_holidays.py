"""A district's own holidays, kept by its Society (decision 109).

Before, the only holidays were ``EMITRA_HOLIDAYS``, one list for the whole installation edited by
the server's administrator: a holiday the Collector of Jaipur declared could not be kept by the
Jaipur Society, and once listed it counted in Ajmer too. Now each district Society keeps its own
calendar (its Holidays page, ``emitra holidays``), every change audited; a refund owed in Jaipur
leaves Jaipur's holidays out of its working days, and one owed in Ajmer Ajmer's."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_cancel_upi import _book_by_upi, _society, bus  # noqa: E402,F401  (bus: the autouse fixture)

from emitra.core import counter as counter_core  # noqa: E402
from emitra.core import holidays, ledger, onboarding, registration, society_today, upi_refunds  # noqa: E402
from emitra.core.audit import Actor  # noqa: E402
from emitra.core.models import AuditLog, Citizen, Counter, CounterService, District, DistrictHoliday, Payment, User  # noqa: E402
from test_cancel_card import BUS, TRIP  # noqa: E402
from test_cli import run as emitra  # noqa: E402

FRIDAY = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.timezone.utc)  # the cancels' time: Friday 20-11-2026, 11:30 in Jaipur
MONDAY = dt.date(2026, 11, 23)


async def _ajmer() -> tuple[Actor, Counter, Citizen]:
    """A second district, Ajmer (AJ), made as the state admin makes one: its Society's admin
    ``ajmer_society``, an LSP, a counter offering the bus booking, its operator and a citizen."""
    state = Actor(await User.get(username="state"), via="cli")
    await onboarding.add_district(state, code="AJ", name_en="Ajmer", name_hi="अजमेर", society_name="Ajmer e-Mitra Society")
    await onboarding.add_user(state, username="ajmer_society", full_name="Nodal officer, Ajmer", role="society_admin",
                              password="emitra-demo", district_code="AJ")
    lsp = await onboarding.add_lsp(state, name="Ajmer e-Services", district_code="AJ")
    counter = await onboarding.add_counter(state, code="AJ-LM-001", name="LokMitra Ajmer", lsp_id=lsp.id, owner_name="Ajmer e-Services")
    await onboarding.add_user(state, username="ajmer_op", full_name="Ajmer operator", role="operator", password="emitra-demo",
                              counter_code="AJ-LM-001")
    await CounterService.create(district_id=counter.district_id, counter=counter, service_code=BUS, enabled=True)
    operator = Actor(await User.get(username="ajmer_op"))
    citizen = await registration.register(operator, counter, {
        "name": "Farhan Chishti", "date_of_birth": "1980-05-05", "gender": "M", "mobile": "9414011111", "address": "Dargah Bazaar, Ajmer"})
    return operator, counter, citizen


async def _ajmer_refund() -> Payment:
    """A bus booking paid by UPI at the Ajmer counter, cancelled on the Friday: its refund owed by Ajmer's Society."""
    from emitra.core.models import ServiceRequest

    operator, counter, citizen = await _ajmer()
    req = await counter_core.record_payment(operator, counter, citizen, BUS, TRIP, "bus-upi-ajmer", "upi")
    payment = await Payment.get(request_id=req.id)
    await counter_core.confirm_payment(Actor(None, via="webhook"), payment, "upi", "evt-ajmer", provider_reference="UTR600100200399")
    await counter_core.cancel(operator, counter, await ServiceRequest.get(id=req.id))
    refund = await Payment.get(request_id=req.id, method="upi_refund")
    await Payment.filter(id=refund.id).update(created_at=FRIDAY)
    return refund


async def _jaipur_refund() -> Payment:
    actor, counter, req, _ = await _book_by_upi("bus-upi-jaipur", "UTR600100200398")
    await counter_core.cancel(actor, counter, req)
    refund = await Payment.get(request_id=req.id, method="upi_refund")
    await Payment.filter(id=refund.id).update(created_at=FRIDAY)
    return refund


def _overdue(owed) -> list[tuple[str, bool]]:
    return [(o.receipt_no, o.overdue) for o in owed[0]]


async def _panel_overdue(district_id: int) -> int:
    rows = await society_today.waiting(district_id, dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc))
    return next(r for r in rows if r.kind == "upi_refunds").overdue


@pytest.mark.anyio
async def test_a_district_holiday_delays_an_owed_refund_in_that_district_only(demo_db, bus, monkeypatch):
    """Friday's refunds are overdue on Wednesday (Saturday, Monday, Tuesday, Wednesday: 4 working
    days). Jaipur's Society declares the Monday a holiday: Jaipur's refund is then 3 working days
    old, not overdue, on the list, the Society's panel and in `ledger check`; Ajmer's refund,
    cancelled at the same moment, is still overdue in Ajmer. Removed, Jaipur's is overdue again."""
    jaipur, ajmer = await _jaipur_refund(), await _ajmer_refund()
    jp, aj = await District.get(code="JP"), await District.get(code="AJ")
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-25")  # Wednesday
    jp_receipt, aj_receipt = (await jaipur.request).receipt_no, (await ajmer.request).receipt_no
    assert _overdue(await upi_refunds.owed(jp.id)) == [(jp_receipt, True)]
    assert _overdue(await upi_refunds.owed(aj.id)) == [(aj_receipt, True)]
    assert (await ledger.check())["upi_refunds_overdue"] == 2

    holiday = await holidays.add(await _society(), jp.id, "2026-11-23", "  Local  fair ")
    assert (holiday.date, holiday.name, holiday.created_by) == (MONDAY, "Local fair", "society")
    assert _overdue(await upi_refunds.owed(jp.id)) == [(jp_receipt, False)]  # 3 working days in Jaipur
    assert _overdue(await upi_refunds.owed(aj.id)) == [(aj_receipt, True)]  # Jaipur's holiday is no holiday in Ajmer
    assert (await _panel_overdue(jp.id), await _panel_overdue(aj.id)) == (0, 1)
    assert (await ledger.check())["upi_refunds_overdue"] == 1
    assert upi_refunds.working_days_between(FRIDAY.date(), dt.date(2026, 11, 25), await holidays.closed_days(jp.id)) == 3
    assert upi_refunds.working_days_between(FRIDAY.date(), dt.date(2026, 11, 25), await holidays.closed_days(aj.id)) == 4
    audited = await AuditLog.get(action="holiday.added")
    assert (audited.district_id, audited.detail) == (jp.id, {"via": "web", "date": "2026-11-23", "name": "Local fair"})

    # the state-wide list still counts, in every district
    monkeypatch.setenv("EMITRA_HOLIDAYS", "2026-11-24")
    assert _overdue(await upi_refunds.owed(aj.id)) == [(aj_receipt, False)]
    monkeypatch.delenv("EMITRA_HOLIDAYS")

    # only the district's own Society keeps its holidays: Ajmer's, the state admin and an LSP admin are refused
    for username in ("ajmer_society", "state", "lsp"):
        with pytest.raises(holidays.HolidayError, match="Only the JP district Society's admin keeps the holidays of Jaipur") as refused:
            await holidays.add(Actor(await User.get(username=username)), jp.id, "2026-11-24", "Another")
        assert refused.value.field == "actor" and "जिला सोसायटी" in refused.value.message_hi
        with pytest.raises(holidays.HolidayError, match="Only the JP district Society's admin"):
            await holidays.remove(Actor(await User.get(username=username)), jp.id, "2026-11-23")
    assert await DistrictHoliday.filter(district_id=jp.id).count() == 1

    removed = await holidays.remove(await _society(), jp.id, dt.date(2026, 11, 23))
    assert removed.name == "Local fair" and not await DistrictHoliday.exists(district_id=jp.id)
    assert _overdue(await upi_refunds.owed(jp.id)) == [(jp_receipt, True)]
    assert (await AuditLog.get(action="holiday.removed")).detail == {"via": "web", "date": "2026-11-23", "name": "Local fair"}


@pytest.mark.anyio
async def test_a_holiday_is_refused_naming_the_field_and_nothing_is_written(demo_db, monkeypatch):
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-25")
    society, jp = await _society(), (await District.get(code="JP")).id
    await holidays.add(society, jp, "2026-11-23", "Local fair")
    cases = [
        ("", "Fair", "date", "give the holiday's date as YYYY-MM-DD"),
        ("23/11/2026", "Fair", "date", "'23/11/2026' is not a date: give the holiday's date as YYYY-MM-DD"),
        ("2026-02-30", "Fair", "date", "is not a date"),
        ("2025-11-24", "Fair", "date", "24-11-2025 is more than a year in the past: a holiday before 25-11-2025 changes no refund "
                                       "still owed; give a date from 25-11-2025 on"),
        ("2028-01-01", "Fair", "date", "01-01-2028 is after the end of next year"),
        ("2026-11-23", "Fair", "date", "23-11-2026 is already a holiday of Jaipur (Local fair): remove it first"),
        ("2026-11-24", "   ", "name", "give the holiday's name"),
        ("2026-11-24", "x" * 101, "name", "the name is 101 characters long; shorten it to at most 100"),
        ("2026-11-24", "Fair\x00", "name", "a character that cannot be stored"),
    ]
    for date, name, field, message in cases:
        with pytest.raises(holidays.HolidayError) as refused:
            await holidays.add(society, jp, date, name)
        assert refused.value.field == field and message in refused.value.message_en, (date, refused.value)
        assert refused.value.message_hi and refused.value.message_hi != refused.value.message_en
    with pytest.raises(holidays.HolidayError, match="24-11-2026 is not a holiday of Jaipur: nothing was removed"):
        await holidays.remove(society, jp, "2026-11-24")
    assert await DistrictHoliday.all().count() == 1 and await AuditLog.filter(action__startswith="holiday.").count() == 1
    # a year back to the day is still taken
    assert (await holidays.add(society, jp, "2025-11-25", "Last year's fair")).date == dt.date(2025, 11, 25)


# --- the page (browser-free: the test client) -----------------------------------------------------------

PAGE = "/society/holidays"


def test_the_society_adds_and_removes_a_holiday_on_its_page(web, monkeypatch):
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-25")
    web.login("society")
    assert f'href="{PAGE}"' in web.get("/no-such-page").text  # in the Society's menu, on every page
    page = web.get(PAGE)
    assert page.status_code == 200 and "Holidays of Jaipur district, 2026" in page.text and 'id="none"' in page.text
    assert 'action="/society/holidays/add"' in page.text and 'type="date"' in page.text

    # refused beside its field, what was typed kept, nothing written; and without the form's token
    old = web.post_form(PAGE + "/add", {"date": "2024-03-01", "name": "Holi"}, token_from=PAGE)
    assert old.status_code == 400
    assert "Date: 01-03-2024 is more than a year in the past" in old.text and 'id="h-date-error"' in old.text
    assert 'value="2024-03-01"' in old.text and 'value="Holi"' in old.text and "Holidays of Jaipur district, 2026" in old.text
    nameless = web.post_form(PAGE + "/add", {"date": "2026-11-23", "name": ""}, token_from=PAGE)
    assert nameless.status_code == 400 and "Name of the holiday: give the holiday" in nameless.text
    assert web.post(PAGE + "/add", data={"date": "2026-11-23", "name": "Local fair"}).status_code == 403
    assert web.run(lambda: DistrictHoliday.all().count()) == 0

    done = web.post_form(PAGE + "/add", {"date": "2026-11-23", "name": "Local fair"}, token_from=PAGE)
    assert done.status_code == 303
    shown = web.get(done.headers["location"])
    assert "23-11-2026 added: Local fair. It is no working day in the district now." in shown.text
    assert 'id="h-2026-11-23"' in shown.text and "Monday" in shown.text
    again = web.post_form(PAGE + "/add", {"date": "2026-11-23", "name": "Local fair"}, token_from=PAGE)
    assert again.status_code == 400 and "Date: 23-11-2026 is already a holiday of Jaipur (Local fair)" in again.text
    assert 'id="h-2026-11-23"' not in web.get(PAGE + "?year=2027").text  # another year's list

    # in Hindi
    web.post_form("/lang/hi", {"next": PAGE}, token_from=PAGE)
    hindi = web.post_form(PAGE + "/add", {"date": "2026-11-23", "name": "Local fair"}, token_from=PAGE)
    assert hindi.status_code == 400 and "पहले से जयपुर का अवकाश है" in hindi.text
    web.post_form("/lang/en", {"next": PAGE}, token_from=PAGE)

    assert web.post(PAGE + "/remove", data={"date": "2026-11-23"}).status_code == 403  # no token: still there
    gone = web.post_form(PAGE + "/remove", {"date": "2026-11-23"}, token_from=PAGE)
    assert gone.status_code == 303
    shown = web.get(gone.headers["location"])
    assert "23-11-2026 (Local fair) removed: it is a working day in the district again." in shown.text
    assert 'id="h-2026-11-23"' not in shown.text

    async def audited():
        return [(a.action, a.actor_name, a.detail) for a in await AuditLog.filter(action__startswith="holiday.").order_by("id")]
    assert web.run(audited) == [("holiday.added", "society", {"via": "web", "date": "2026-11-23", "name": "Local fair"}),
                                ("holiday.removed", "society", {"via": "web", "date": "2026-11-23", "name": "Local fair"})]
    missing = web.post_form(PAGE + "/remove", {"date": "2026-11-23"}, token_from=PAGE)
    assert missing.status_code == 400 and "23-11-2026 is not a holiday of Jaipur: nothing was removed" in missing.text


def test_another_districts_society_neither_sees_nor_removes_jaipurs_holidays(web, monkeypatch):
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-25")

    async def setup():
        await _ajmer()
        await holidays.add(await _society(), (await District.get(code="JP")).id, "2026-11-23", "Local fair")
    web.run(setup)
    web.login("ajmer_society")
    page = web.get(PAGE)
    assert page.status_code == 200 and "Holidays of Ajmer district" in page.text and "Local fair" not in page.text
    refused = web.post_form(PAGE + "/remove", {"date": "2026-11-23"}, token_from=PAGE)
    assert refused.status_code == 400 and "23-11-2026 is not a holiday of Ajmer" in refused.text
    assert web.run(lambda: DistrictHoliday.filter(name="Local fair").count()) == 1
    # Ajmer's own holiday is Ajmer's alone
    assert web.post_form(PAGE + "/add", {"date": "2026-11-24", "name": "Urs"}, token_from=PAGE).status_code == 303
    web.client.cookies.clear()
    web.login("society")
    assert "Urs" not in web.get(PAGE).text
    for who in ("state", "lsp", "operator1"):
        web.client.cookies.clear()
        web.login(who)
        assert web.get(PAGE).status_code == 403


# --- the command line (a subprocess on the test database) ------------------------------------------------

@pytest.mark.anyio
async def test_the_society_keeps_the_holidays_from_the_command_line(demo_db):
    await _ajmer()
    this_year = dt.date.today().year
    day = dt.date(this_year + 1, 3, 2).isoformat()
    added = emitra("holidays", "add", day, "--name", "Sheetla Ashtami", "--district", "jp", "--as", "society")
    assert added.returncode == 0 and f"added: {day} Sheetla Ashtami: no working day in JP" in added.stdout, added.stderr
    listed = emitra("holidays", "list", "--district", "JP", "--year", str(this_year + 1))
    assert listed.returncode == 0 and f"{day}  " in listed.stdout and "Sheetla Ashtami  (added by society)" in listed.stdout
    assert "1 holiday of JP" in listed.stdout
    assert "0 holidays of AJ" in emitra("holidays", "list", "--district", "AJ").stdout
    twice = emitra("holidays", "add", day, "--name", "Again", "--district", "JP", "--as", "society")
    assert twice.returncode == 1 and "DATE: " in twice.stderr and "is already a holiday of Jaipur (Sheetla Ashtami)" in twice.stderr
    bad = emitra("holidays", "add", "2-3-2027", "--name", "X", "--district", "JP", "--as", "society")
    assert bad.returncode == 1 and "DATE: '2-3-2027' is not a date: give the holiday's date as YYYY-MM-DD" in bad.stderr
    other = emitra("holidays", "remove", day, "--district", "JP", "--as", "ajmer_society")
    assert other.returncode == 1 and "--as: Only the JP district Society's admin keeps the holidays of Jaipur" in other.stderr
    unknown = emitra("holidays", "list", "--district", "ZZ")
    assert unknown.returncode == 1 and "--district: no district with code 'ZZ'" in unknown.stderr
    removed = emitra("holidays", "remove", day, "--district", "JP", "--as", "society")
    assert removed.returncode == 0 and f"removed: {day} Sheetla Ashtami: a working day in JP again" in removed.stdout
    assert [a.detail["via"] for a in await AuditLog.filter(action__startswith="holiday.").order_by("id")] == ["cli", "cli"]
    assert not await DistrictHoliday.exists()

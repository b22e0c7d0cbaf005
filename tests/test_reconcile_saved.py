"""Saved reconciliation reports (core/reconcile_saved.py): the Society's page shows a week's report
again without computing it while nothing it read has changed, and computes it again as soon as
something has: a statement imported, a ledger entry of the week, a day end closed or confirmed, a
run recorded. What it keeps is what a computed report shows."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from emitra.core import clock, dayend, drawer_totals, ledger
from emitra.core import reconcile as rec
from emitra.core import reconcile_saved as saved
from emitra.core.audit import Actor
from emitra.core.models import DayEnd, District, LedgerEntry, ReconciliationSnapshot, User

from tests.test_reconcile import _a_week, _cash_day, _post_dated

pytestmark = pytest.mark.anyio
DATA = Path(__file__).parent / "data"
PAGE = "/society/reconciliation"
WEEK = "2025-11-24"  # the week of tests/data/bank_good.csv
COMPUTED = re.compile(r"Report computed at ([0-9:\- ]+);")


def _computed_at(page) -> str:
    found = COMPUTED.search(page.text)
    assert found, "the page says when its report was computed"
    return found.group(1)


def _snapshots(web) -> list[tuple[int, bool]]:
    return web.run(lambda: ReconciliationSnapshot.filter(period_start=dt.date(2025, 11, 24)).order_by("id").values_list("id", "recorded"))


def _import(web, token: str, action: str, name: str, kind: str):
    page = web.post(PAGE, data={"action": action, "csrf_token": token}, files={"file": (name, (DATA / name).read_bytes(), kind)})
    assert page.status_code == 200, page.text
    return page


def test_the_page_shows_the_kept_report_until_something_it_read_changes(web):
    web.login("society")
    token = web.csrf(PAGE)
    imported = _import(web, token, "import_bank", "bank_good.csv", "text/csv")
    assert "Report computed at" in imported.text and "or a run is recorded. No run of this week is recorded yet." in imported.text
    first = web.get(f"{PAGE}?week={WEEK}")
    kept = _snapshots(web)
    assert len(kept) == 1 and "Unmatched on the statements: 3 " in first.text
    # looked at again (in Hindi too): the same report, not computed again
    again = web.get(f"{PAGE}?week={WEEK}")
    assert _snapshots(web) == kept and _computed_at(again) == _computed_at(first)
    hindi = web.get(f"{PAGE}?week={WEEK}&lang=hi")
    assert _snapshots(web) == kept and "पर बनाई गई" in hindi.text
    web.get(f"{PAGE}?week={WEEK}&lang=en")

    # today's payment is not last year's week: still the kept report
    district_id = web.run(lambda: District.get(code="JP")).id
    web.run(lambda: ledger.post(district_id, "remit:today", "today", [ledger.debit("society_bank", 100), ledger.credit("dept_payable:test", 100)]))
    assert _snapshots(web) == kept and web.get(f"{PAGE}?week={WEEK}").status_code == 200 and _snapshots(web) == kept

    # an entry of the week (here the bank's ₹1,000 remittance recorded late): computed again, and it shows
    web.run(lambda: _post_dated(district_id, "remit:late", dt.date(2025, 11, 26), -100_000))
    late = web.get(f"{PAGE}?week={WEEK}")
    now_kept = _snapshots(web)
    assert now_kept != kept and len(now_kept) == 1  # only the latest computed report of a week is kept
    assert "remit:late" in late.text and "Unmatched on the statements: 2 " in late.text  # NEFT0099 found its entry

    # a Stripe file: computed again
    _import(web, token, "import_stripe", "stripe_balance.json", "application/json")
    assert _snapshots(web) != now_kept

    # a recorded run: the page shows the run's report, and keeps showing it
    run = web.post(PAGE, data={"action": "run", "week": WEEK, "csrf_token": token})
    assert "This reconciliation is recorded" in run.text and "Report of the run recorded at" in run.text and "by society" in run.text
    after_run = _snapshots(web)
    assert after_run[-1][1] is True
    shown = web.get(f"{PAGE}?week={WEEK}")
    assert "Report of the run recorded at" in shown.text and _snapshots(web) == after_run

    # asked to compute again: a new report, and the recorded run still named
    fresh = web.post(PAGE, data={"action": "refresh", "week": WEEK, "csrf_token": token})
    assert fresh.status_code == 200 and "Last recorded run of this week:" in fresh.text
    assert len(_snapshots(web)) == len(after_run) + 1
    assert web.post(PAGE, data={"action": "refresh", "week": "someday", "csrf_token": token}).status_code == 400
    assert web.post(PAGE, data={"action": "refresh", "week": WEEK}).status_code == 403  # no CSRF token


def test_a_long_list_shows_its_first_items_and_the_csv_has_every_one(web, monkeypatch):
    monkeypatch.setattr(saved, "SHOWN", 1)
    web.login("society")
    _import(web, web.csrf(PAGE), "import_bank", "bank_good.csv", "text/csv")
    page = web.get(f"{PAGE}?week={WEEK}")
    assert "Unmatched on the statements: 3 " in page.text and "The first 1 of 3; the CSV download has every one." in page.text
    assert "कुल 3 में से पहले 1" in web.get(f"{PAGE}?week={WEEK}&lang=hi").text
    web.get(f"{PAGE}?week={WEEK}&lang=en")
    rows = web.get(f"{PAGE}/export.csv?week={WEEK}").text.splitlines()
    assert sum(1 for r in rows if r.startswith("unmatched_statement,bank,")) == 3


async def test_the_kept_report_is_the_computed_one(demo_db, tmp_path):
    """Every bucket, count, message (in both languages) and balance survives keeping."""
    w = await _a_week(tmp_path)
    start, end = w["week"]
    computed = await rec.build_report(w["district"].id, start, end)
    shown, snap = await saved.week_report(w["district"].id, start, end)
    assert computed.differing and computed.unmatched_statement and computed.unmatched_ledger and computed.matched
    assert shown.as_dict() == computed.as_dict()
    assert [(m.en, m.hi) for m in shown.problems + shown.notes] == [(m.en, m.hi) for m in computed.problems + computed.notes]
    again, same = await saved.week_report(w["district"].id, start, end)
    assert same.id == snap.id and again.as_dict() == computed.as_dict()


async def test_a_day_end_closed_or_confirmed_makes_the_report_stale(demo_db):
    district = await District.get(code="JP")
    today = clock.today()
    start, end = rec.week_of(today)
    day_end = await _cash_day("operator1", "210412345678", "rs-a", today)
    report, snap = await saved.week_report(district.id, start, end)
    in_transit = [i for i in report.unmatched_ledger if i.key == f"slip:{day_end.slip_no}"]
    assert in_transit and in_transit[0].status == "in_transit" and await saved.is_current(snap)
    # a second counter closes its day: stale (its deposit is a new ledger entry and a new day end)
    await _cash_day("operator2", "210412345679", "rs-b", today)
    assert not await saved.is_current(snap)
    report, snap = await saved.week_report(district.id, start, end)
    assert await saved.is_current(snap)


async def _three_weeks_ago() -> tuple[District, DayEnd, tuple[dt.date, dt.date]]:
    """A counter's cash day three weeks ago (its entries and day end moved back from today's)."""
    district = await District.get(code="JP")
    day_end = await _cash_day("operator1", "210412345678", "rs-old", clock.today())
    back = dt.timedelta(days=21)
    for entry in await LedgerEntry.all():
        await drawer_totals.redate(LedgerEntry.filter(id=entry.id), entry.created_at - back)
    await DayEnd.filter(id=day_end.id).update(business_date=day_end.business_date - back)
    return district, await DayEnd.get(id=day_end.id), rec.week_of(day_end.business_date - back)


async def test_a_deposit_confirmed_weeks_later_makes_its_weeks_report_stale(demo_db):
    """The confirmation is posted today, outside the week: the day end itself tells."""
    district, day_end, (start, end) = await _three_weeks_ago()
    report, snap = await saved.week_report(district.id, start, end)
    assert f"slip:{day_end.slip_no}" in {i.key for i in report.unmatched_ledger}
    society = Actor(await User.get(username="society"), via="cli")
    await dayend.confirm_deposit(society, day_end, "BANK-REF-9", day_end.deposit_paise)
    assert not await saved.is_current(snap)
    report, snap = await saved.week_report(district.id, start, end)
    assert f"slip:{day_end.slip_no}" not in {i.key for i in report.unmatched_ledger}


async def test_a_statement_imported_or_a_run_recorded_makes_the_report_stale(demo_db):
    district, day_end, (start, end) = await _three_weeks_ago()
    society = Actor(await User.get(username="society"), via="cli")
    _, snap = await saved.week_report(district.id, start, end)
    assert await saved.is_current(snap)
    # the bank's statement of the week: an import posts nothing to the ledger
    text = ("date,description,reference,debit,credit,balance\n"
            f"{end.isoformat()},BY CASH DEP SLIP {day_end.slip_no},CDM9,,{day_end.deposit_paise / 100:.2f},\n")
    await rec.import_bank_statement(society, district.id, text.encode(), "week.csv")
    assert not await saved.is_current(snap)
    report, snap = await saved.week_report(district.id, start, end)
    assert [p.ledger.key for p in report.matched] == [f"slip:{day_end.slip_no}"] and await saved.is_current(snap)
    # a run recorded (from the command line, say): the page shows the run's report from now on
    await rec.reconcile(society, district.id, start, end)
    assert not await saved.is_current(snap)
    report, run = await saved.week_report(district.id, start, end)
    assert run.recorded and run.recorded_by == "society" and report.recorded and await saved.is_current(run)


async def test_a_report_kept_by_an_older_version_is_computed_again(demo_db, monkeypatch):
    district = await District.get(code="JP")
    start, end = rec.week_of(clock.today())
    _, snap = await saved.week_report(district.id, start, end)
    assert await saved.is_current(snap)
    monkeypatch.setattr(saved, "VERSION", saved.VERSION + 1)
    assert not await saved.is_current(snap)
    _, newer = await saved.week_report(district.id, start, end)
    assert newer.id != snap.id and await saved.is_current(newer)

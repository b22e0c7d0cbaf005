"""Reports over whole months read the monthly figures, the days around them the daily ones: the
result is the same as summing every day, for any period and grouping."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from emitra.core import mis, reports
from emitra.core.models import Counter, DailyFigure, District, MonthlyFigure

pytestmark = pytest.mark.anyio

SERVICES = [("gov.rj.jvvnl.bill", "JVVNL", "bill"), ("gov.rj.revenue.caste_certificate", "Revenue Department", "certificate"),
            ("private.rsrtc.ticket", "RSRTC", "ticket")]


async def _random_days(seed: int) -> None:
    rng = random.Random(seed)
    district = await District.get(code="JP")
    counters = await Counter.filter(district=district)
    day = dt.date(2026, 8, 20)
    rows = []
    while day <= dt.date(2026, 12, 10):
        for counter in counters:
            for code, provider, category in rng.sample(SERVICES, k=rng.randint(0, 3)):
                n = rng.randint(1, 40)
                rows.append(DailyFigure(district=district, lsp_id=counter.lsp_id, counter=counter, business_date=day, service_code=code,
                                        provider=provider, category=category, transactions=n, principal_paise=n * rng.randint(0, 90000),
                                        service_charge_paise=n * 500, citizen_total_paise=n * 1000, cancelled=rng.randint(0, 1)))
        day += dt.timedelta(days=1)
    await DailyFigure.bulk_create(rows, batch_size=500)
    await mis.rollup_months()


@pytest.mark.parametrize("start,end", [
    ("2026-09-01", "2026-09-30"),   # one whole month: monthly rows only
    ("2026-08-25", "2026-11-03"),   # days, two whole months, days
    ("2026-09-01", "2026-11-30"),   # three whole months
    ("2026-10-05", "2026-10-20"),   # inside one month: daily rows only
    ("2026-08-31", "2026-09-30"),   # one day, then a month
    ("2026-11-01", "2026-12-10"),   # a month, then days of an unfinished one
])
async def test_figures_over_months_equal_the_sum_of_their_days(demo_db, monkeypatch, start, end):
    await _random_days(seed=len(start + end))
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    district = await District.get(code="JP")
    scope = reports.Scope(district_id=district.id)
    for by, period in (("counter", None), ("service", "month"), ("category", None), ("lsp", "month"), ("district", None)):
        fast = await reports.figures(scope, a, b, by, period)
        with monkeypatch.context() as m:
            m.setattr(reports, "whole_months", lambda s, e: (None, [(s, e)]))  # every day from the daily table
            slow = await reports.figures(scope, a, b, by, period)
        assert fast.rows == slow.rows and fast.totals == slow.totals, (by, period)
        assert fast.totals["transactions"] > 0


async def test_the_monthly_table_is_checked_against_its_days(demo_db):
    await _random_days(seed=7)
    assert await mis.stored_months() == mis._by_month(await mis.stored())
    row = await MonthlyFigure.filter(month=dt.date(2026, 10, 1)).first()
    await MonthlyFigure.filter(id=row.id).update(transactions=row.transactions + 1)  # edited by hand
    found = [d for d in await mis.differences() if d["business_date"] == "2026-10"]
    assert found == [{"counter_id": row.counter_id, "business_date": "2026-10", "service_code": row.service_code,
                      "stored": {**found[0]["recount"], "transactions": found[0]["recount"]["transactions"] + 1},
                      "recount": found[0]["recount"]}]
    assert await mis.rollup_months() == await MonthlyFigure.all().count()
    assert not [d for d in await mis.differences() if len(d["business_date"]) == 7]


def test_whole_months():
    d = dt.date
    assert reports.whole_months(d(2026, 9, 1), d(2026, 9, 30)) == ((d(2026, 9, 1), d(2026, 10, 1)), [])
    assert reports.whole_months(d(2026, 8, 25), d(2026, 11, 3)) == (
        (d(2026, 9, 1), d(2026, 11, 1)), [(d(2026, 8, 25), d(2026, 8, 31)), (d(2026, 11, 1), d(2026, 11, 3))])
    assert reports.whole_months(d(2026, 10, 5), d(2026, 10, 20)) == (None, [(d(2026, 10, 5), d(2026, 10, 20))])
    assert reports.whole_months(d(2026, 12, 1), d(2027, 1, 31)) == ((d(2026, 12, 1), d(2027, 2, 1)), [])
    assert reports.whole_months(d(2024, 2, 1), d(2024, 2, 28)) == (None, [(d(2024, 2, 1), d(2024, 2, 28))])  # leap year

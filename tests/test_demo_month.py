"""`emitra demo-month`: a generated month on the demo district, through the ordinary core, whose
figures are true (the daily MIS table equals a recount, the ledger balances) and which plants what
the watch lists look for: a dormant counter, a counter short at day end, a counter with
overcharging complaints, SLA breaches. A small month keeps the test short."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tortoise.functions import Sum

from emitra.core import counter as counter_core
from emitra.core import demo_month, ledger, mis
from emitra.core.audit import Actor
from emitra.core.auth import verify_password
from emitra.core.models import (BookEntry, Case, Certificate, Citizen, Counter, DailyFigure, DayEnd, District, LedgerEntry, LSP, Payment,
                                Role, ServiceRequest, User)

EMITRA = str(Path(sys.executable).parent / "emitra")
OCTOBER = dt.date(2026, 10, 1)


async def _transactions(counter_id: int) -> int:
    row = await DailyFigure.filter(counter_id=counter_id).annotate(t=Sum("transactions")).group_by("counter_id").values("t")
    return int(row[0]["t"]) if row else 0


@pytest.mark.anyio
async def test_a_small_month_is_true_and_plants_what_the_watch_lists_look_for(demo_db, monkeypatch):
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-28")
    monkeypatch.delenv("EMITRA_NOW", raising=False)
    # as after `emitra demo-cases`: cash taken today at JP-LM-001, its day not closed yet
    today_bill = await counter_core.record_cash(Actor(await User.get(username="operator1")), await Counter.get(code="JP-LM-001"),
                                                await Citizen.get(name="Sunita Devi"), "gov.rj.jvvnl.bill", {"k_number": "210412345679"}, "today-1")
    seen: list[tuple[int, int]] = []
    result = await demo_month.run(OCTOBER, counters=5, per_counter_day=3, seed=7, progress=lambda n, t: seen.append((n, t)))

    assert seen[-1] == (31, 31) and len(seen) == 31
    assert os.environ["EMITRA_TODAY"] == "2026-11-28" and "EMITRA_NOW" not in os.environ  # put back
    assert result["ok"] and result["mismatches"] == [] and result["mis_differences"] == []
    assert await mis.differences() == []
    assert await ledger.balance("counter_cash:JP-LM-001") == today_bill.citizen_total_paise  # still open, for today's day end
    check = await ledger.check()
    assert check["balanced"] and check["imbalance_paise"] == 0 and check["problems"] == []

    # the district grew: a second LSP with its admin, five Jaipur counters, a second district
    jaipur, ajmer = await District.get(code="JP"), await District.get(code="AJ")
    assert ajmer.name_hi == "अजमेर"
    marudhar = await LSP.get(name="Marudhar Digital Seva Pvt Ltd", district_id=jaipur.id)
    lsp2 = await User.get(username="lsp2")
    assert (lsp2.role, lsp2.lsp_id) == (Role.LSP_ADMIN, marudhar.id)
    assert await Counter.filter(district_id=jaipur.id).count() == 5 and await Counter.filter(district_id=ajmer.id).count() == 3
    operator = await User.get(username="op-jp-jm-003")
    assert operator.role == Role.OPERATOR and verify_password(operator.password_hash, "emitra-demo")
    society_aj = await User.get(username="society_aj")
    assert (society_aj.role, society_aj.district_id) == (Role.SOCIETY_ADMIN, ajmer.id)

    # every figure is placed in October, on the day it was recorded
    assert not await DailyFigure.filter(business_date__lt=OCTOBER).exists()
    after = await DailyFigure.filter(business_date__gt=dt.date(2026, 10, 31)).values_list("business_date", "transactions")
    assert after == [(dt.date(2026, 11, 28), 1)]  # only today's bill
    for de in await DayEnd.filter(expected_paise__gt=0).order_by("id").limit(20):  # a day of cheques only posts nothing
        entry = await LedgerEntry.get(idempotency_key=f"dayend:{(await Counter.get(id=de.counter_id)).code}:{de.business_date}")
        assert entry.created_at.astimezone(ZoneInfo("Asia/Kolkata")).date() == de.business_date
    ajmer_figures = await DailyFigure.filter(district_id=ajmer.id).annotate(t=Sum("transactions")).group_by("district_id").values("t")
    assert ajmer_figures and ajmer_figures[0]["t"] > 0 and result["districts"]["AJ"]["transactions"] == ajmer_figures[0]["t"]

    # planted: the dormant counter has the fewest transactions (fewer than 20 in the month) ...
    counts = {c.code: await _transactions(c.id) for c in await Counter.filter(district_id=jaipur.id)}
    dormant = counts.pop(demo_month.DORMANT)
    assert 0 < dormant < 20 and dormant < min(counts.values())
    # ... the short counter is short at three or more day ends, and no other counter is
    short = await Counter.get(code=demo_month.SHORT)
    assert await DayEnd.filter(counter_id=short.id, difference_paise__lt=0).count() >= 3
    assert not await DayEnd.exclude(difference_paise=0).exclude(counter_id=short.id).exists()
    # ... the overcharging counter has three or more complaints online and in its book
    over = await Counter.get(code=demo_month.OVERCHARGING)
    complaints = await Case.filter(service_code="emitra.counter_complaint", about_counter_id=over.id).count()
    assert complaints >= 3 and await BookEntry.filter(counter_id=over.id, kind="complaint").count() >= 3
    assert result["planted"]["overcharging"]["complaints"] == complaints

    # money moved in every way: cheques cleared and bounced, UPI, bus tickets cancelled a day or two later
    assert await Payment.filter(method="cheque", status="cleared").exists()
    assert await Payment.filter(method="upi", status="received").exists()
    assert result["cheques"]["cleared"] > 0 and result["tickets_cancelled"] > 0
    cancelled = await DailyFigure.filter(cancelled__gt=0).first()
    assert cancelled is not None and cancelled.service_code == "pvt.rsrtc.bus_ticket"

    # the applications moved: certificates issued and collected, some waiting, some past their SLA
    states = result["applications"]["application"]
    assert states.get("collected", 0) > 0 and await Certificate.all().count() > 0
    assert result["breaches"] > 0 and await Case.filter(breached=True).count() == result["breaches"]
    assert await Case.filter(kind="application", state__in=["forwarded", "verification", "returned"]).exists()

    # the demo LSP's report for the month is submitted and vetted: frozen, and it verifies
    from emitra.core import vetting
    from emitra.core.models import MisReport

    report = await MisReport.get(id=result["mis_report"]["id"])
    assert report.status == "vetted" and vetting.verify(report)
    assert report.figures["totals"]["transactions"] > 0

    # loading the same month again adds nothing
    before = await ServiceRequest.all().count()
    again = await demo_month.run(OCTOBER, counters=5, per_counter_day=3, seed=7)
    assert again["already_loaded"] and again["ok"] and await ServiceRequest.all().count() == before
    assert "already loaded" in demo_month.summary_text(again)


@pytest.mark.anyio
async def test_a_month_that_has_not_ended_is_refused_and_nothing_is_written(demo_db, monkeypatch):
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-28")
    with pytest.raises(demo_month.DemoMonthError, match="has not ended"):
        await demo_month.run(dt.date(2026, 11, 1), counters=5, per_counter_day=1)
    with pytest.raises(demo_month.DemoMonthError, match="--counters must be from 5"):
        await demo_month.run(OCTOBER, counters=3, per_counter_day=1)
    assert not await District.exists(code="AJ") and await ServiceRequest.all().count() == 0


def _cli(*args, env):
    full = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    return subprocess.run([EMITRA, *args], capture_output=True, text=True, env=full, timeout=300)


def test_a_person_loads_a_month_once_from_the_command_line(tmp_path):
    env = {"EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": "", "EMITRA_TODAY": "2026-11-28", "EMITRA_NOW": None}
    assert _cli("db", "migrate", env=env).returncode == 0
    missing = _cli("demo-month", "--month", "2026-10", env=env)
    assert missing.returncode == 1 and "run `emitra demo` first" in missing.stderr and "Traceback" not in missing.stderr
    assert _cli("demo", env=env).returncode == 0
    bad = _cli("demo-month", "--month", "October", env=env)
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr

    out = _cli("demo-month", "--month", "2026-10", "--counters", "5", "--per-day", "1", "--json", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    month = json.loads(out.stdout)
    assert month["ok"] and month["month"] == "2026-10" and month["transactions"] > 0
    assert month["planted"]["dormant"]["counter"] == "JP-JM-002" and month["ledger"]["balanced"]

    again = _cli("demo-month", "--month", "2026-10", "--counters", "5", "--per-day", "1", env=env)
    assert again.returncode == 0 and "already loaded" in again.stdout

"""MIS reports, exports, charts and the state dashboard: figures equal what was recorded, buckets are
right, every role sees only its own scope."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from emitra.core import counter as counter_core
from emitra.core import mis, reports
from emitra.core.audit import Actor
from emitra.core.models import (LSP, Case, Citizen, Counter, CounterKind, DailyFigure, District, ServiceRequest, Society,
                                User)
from emitra.core.money import format_paise
from emitra.core.plugins import get_host
from emitra.web import reports as reports_web
from tests.case_helpers import caste_case
from tests.test_money_properties import BILL, JAMABANDI, K_NUMBERS

PERIOD = "from=2026-10-01&to=2026-11-30"
# (business day, operator, service): the 30th of October must land in October, and in the week of Monday 26 October
PAYMENTS = [("2026-10-30", "operator1", BILL), ("2026-11-02", "operator2", JAMABANDI), ("2026-11-03", "operator1", BILL),
            ("2026-11-16", "operator1", JAMABANDI), ("2026-11-16", "operator2", BILL)]


def _record(web, monkeypatch) -> list[ServiceRequest]:
    """The payments above, each recorded through the counter core on its day."""
    done = []
    for n, (day, who, code) in enumerate(PAYMENTS):
        monkeypatch.setenv("EMITRA_TODAY", day)

        async def pay(n=n, who=who, code=code):
            user = await User.get(username=who)
            citizen = await Citizen.get(name="Ramesh Kumar Sharma")
            data = {"k_number": K_NUMBERS[n % 3]} if code == BILL else dict(get_host().registry.get(JAMABANDI).example)
            return await counter_core.record_cash(Actor(user), await Counter.get(id=user.counter_id), citizen, code, data, f"rep-{n}")

        done.append(web.run(pay))
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-28")
    return done


async def _other_lsp() -> Counter:
    """A second LSP in Jaipur with one counter, an operator and a day of figures."""
    jaipur = await District.get(code="JP")
    lsp = await LSP.create(district=jaipur, name="Amber Digital Seva")
    counter = await Counter.create(district=jaipur, lsp=lsp, code="JP-LM-900", name="LokMitra Centre, Amer", kind=CounterKind.LOKMITRA,
                                   owner_name=lsp.name)
    await User.create(username="amber_op", full_name="Amber operator", role="operator", password_hash="x", district=jaipur, lsp=lsp,
                      counter=counter)
    await DailyFigure.create(district=jaipur, lsp=lsp, counter=counter, business_date=dt.date(2026, 11, 10), service_code=BILL,
                             provider="JVVNL", category="bill", transactions=7, principal_paise=700_000, service_charge_paise=0,
                             citizen_total_paise=700_000, charge_by_department_paise=7_000)
    await mis.rollup_months()  # as the counter code keeps them: the month's figures with the day's
    return counter


async def _other_district() -> District:
    """Udaipur: its own Society, LSP, counter and figures."""
    udaipur = await District.create(code="UD", name_en="Udaipur", name_hi="उदयपुर")
    await Society.create(district=udaipur, name="District e-Mitra Society, Udaipur")
    lsp = await LSP.create(district=udaipur, name="Lake City Services")
    counter = await Counter.create(district=udaipur, lsp=lsp, code="UD-LM-001", name="LokMitra Centre, Fatehpura",
                                   kind=CounterKind.LOKMITRA, owner_name=lsp.name)
    await DailyFigure.create(district=udaipur, lsp=lsp, counter=counter, business_date=dt.date(2026, 11, 20), service_code=BILL,
                             provider="AVVNL", category="bill", transactions=11, principal_paise=1_234_567, service_charge_paise=0,
                             citizen_total_paise=1_234_567, charge_by_department_paise=11_000)
    await mis.rollup_months()  # as the counter code keeps them: the month's figures with the day's
    return udaipur


def _totals_row(html: str) -> str:
    match = re.search(r'<tr class="total" id="totals">(.*?)</tr>', html, re.S)
    assert match, "no totals row"
    return match.group(1)


def test_the_counter_report_totals_equal_the_recorded_requests(web, monkeypatch):
    recorded = _record(web, monkeypatch)
    web.login("society")
    page = web.get(f"/reports?{PERIOD}&by=counter")
    assert page.status_code == 200, page.text
    total = _totals_row(page.text)
    assert f">{len(recorded)}<" in total
    assert format_paise(sum(r.citizen_total_paise for r in recorded)) in total
    assert format_paise(sum(r.principal_paise for r in recorded)) in total
    assert "JP-LM-001 · LokMitra Centre, Malviya Nagar" in page.text and "JP-JM-001" in page.text
    # each counter's row opens that counter's report by service: one "by" in its link (it had two, by=counter
    # then by=service, and worked only because the last one won)
    link = html.unescape(re.search(r'<a href="(/reports\?[^"]*counter=JP-LM-001[^"]*)"', page.text).group(1))
    asked = parse_qs(urlsplit(link).query)
    assert asked["by"] == ["service"] and asked["counter"] == ["JP-LM-001"], link
    # and per counter, from the core
    report = web.run(lambda: reports.figures(reports.Scope(), dt.date(2026, 10, 1), dt.date(2026, 11, 30), "counter"))
    by_code = {r["code"]: r for r in report.rows}
    for code in ("JP-LM-001", "JP-JM-001"):
        mine = [r for r in recorded if r.counter_id == by_code[code]["key"]]
        assert by_code[code]["transactions"] == len(mine)
        assert by_code[code]["citizen_total_paise"] == sum(r.citizen_total_paise for r in mine)
        assert by_code[code]["service_charge_paise"] == sum(r.service_charge_paise for r in mine)
    assert report.totals["service_charge_paise"] == sum(r.service_charge_paise for r in recorded)
    # grouped by service, the titles come from the plugins
    page = web.get(f"/reports?{PERIOD}&by=service")
    assert get_host().registry.get(JAMABANDI).title_en in page.text


def test_periods_bucket_by_day_week_and_month(web, monkeypatch):
    recorded = _record(web, monkeypatch)
    start, end = dt.date(2026, 10, 1), dt.date(2026, 11, 30)
    months = web.run(lambda: reports.figures(reports.Scope(), start, end, "category", "month"))
    per_month: dict[dt.date, int] = {}
    for row in months.rows:
        per_month[row["period_start"]] = per_month.get(row["period_start"], 0) + row["transactions"]
    assert per_month == {dt.date(2026, 10, 1): 1, dt.date(2026, 11, 1): 4}  # the 30th of October is October's
    oct_bill = [r for r in months.rows if r["period_start"] == dt.date(2026, 10, 1)][0]
    assert oct_bill["period_end"] == dt.date(2026, 10, 31) and oct_bill["citizen_total_paise"] == recorded[0].citizen_total_paise
    weeks = web.run(lambda: reports.figures(reports.Scope(), start, end, "counter", "week"))
    per_week: dict[dt.date, int] = {}
    for row in weeks.rows:
        per_week[row["period_start"]] = per_week.get(row["period_start"], 0) + row["transactions"]
    # Friday 30 Oct is in the week of Monday 26 Oct; 2 and 3 Nov in the week of 2 Nov; Monday 16 Nov starts its own
    assert per_week == {dt.date(2026, 10, 26): 1, dt.date(2026, 11, 2): 2, dt.date(2026, 11, 16): 2}
    days = web.run(lambda: reports.figures(reports.Scope(), start, end, "counter", "day"))
    assert {(r["period_start"], r["code"], r["transactions"]) for r in days.rows if r["period_start"] == dt.date(2026, 11, 16)} == {
        (dt.date(2026, 11, 16), "JP-LM-001", 1), (dt.date(2026, 11, 16), "JP-JM-001", 1)}
    # a week cut by the period's start is shown from the start
    clipped = web.run(lambda: reports.figures(reports.Scope(), dt.date(2026, 10, 28), end, "category", "week"))
    assert min(r["period_start"] for r in clipped.rows) == dt.date(2026, 10, 28)
    web.login("lsp")
    page = web.get(f"/reports?{PERIOD}&by=category&period=month")
    assert page.status_code == 200
    assert "Oct 2026" in page.text and "Nov 2026" in page.text


def test_the_lsp_admin_sees_only_its_own_counters(web, monkeypatch):
    _record(web, monkeypatch)
    other = web.run(_other_lsp)
    web.login("lsp")
    page = web.get(f"/reports?{PERIOD}&by=counter")
    assert page.status_code == 200
    assert "JP-LM-001" in page.text and "JP-LM-900" not in page.text
    assert ">7<" not in _totals_row(page.text)
    widened = web.get(f"/reports?{PERIOD}&by=counter&lsp={other.lsp_id}")  # an lsp filter is ignored for an LSP admin
    assert "LokMitra Centre, Amer" not in widened.text and "JP-LM-001" in widened.text
    assert web.get(f"/reports?{PERIOD}&counter=JP-LM-900").status_code == 404
    assert web.get(f"/reports/export.csv?{PERIOD}&counter=JP-LM-900").status_code == 404
    assert web.get(f"/reports/chart.svg?{PERIOD}&kind=counters&counter=JP-LM-900").status_code == 404
    assert "JP-LM-900" not in web.get(f"/reports/chart.svg?{PERIOD}&kind=counters").text
    assert "JP-LM-900" not in web.get(f"/reports/export.csv?{PERIOD}&by=counter").text
    assert web.get(f"/reports?{PERIOD}&by=district").status_code == 400  # district grouping is the state's
    web.logout()
    web.login("society")  # the Society sees both LSPs of its district
    page = web.get(f"/reports?{PERIOD}&by=lsp")
    assert "Amber Digital Seva" in page.text and "Pink City e-Services Pvt Ltd" in page.text
    only = web.get(f"/reports?{PERIOD}&by=counter&lsp={other.lsp_id}")
    assert "JP-LM-900" in only.text and "JP-LM-001 ·" not in only.text


def test_the_society_admin_sees_only_its_district_and_the_state_sees_all(web, monkeypatch):
    _record(web, monkeypatch)
    web.run(_other_district)
    web.login("society")
    page = web.get(f"/reports?{PERIOD}&by=counter")
    assert "JP-LM-001" in page.text and "UD-LM-001" not in page.text and "Fatehpura" not in page.text
    asked = web.get(f"/reports?{PERIOD}&by=counter&district=UD")  # the district filter is the state's: ignored
    assert asked.status_code == 200 and "UD-LM-001" not in asked.text
    assert web.get(f"/reports?{PERIOD}&counter=UD-LM-001").status_code == 404
    assert "Udaipur" not in web.get(f"/reports/export.csv?{PERIOD}&by=lsp&district=UD").text
    assert web.get("/state").status_code == 403
    web.logout()
    web.login("state")
    page = web.get(f"/reports?{PERIOD}&by=district")
    assert "Jaipur" in page.text and "Udaipur" in page.text
    assert ">16<" in _totals_row(page.text)  # 5 recorded in Jaipur + 11 in Udaipur
    one = web.get(f"/reports?{PERIOD}&by=counter&district=UD")
    assert "UD-LM-001" in one.text and "JP-LM-001" not in one.text
    assert format_paise(1_234_567) in _totals_row(one.text)
    assert web.get(f"/reports?{PERIOD}&district=XX").status_code == 404


def test_csv_and_xlsx_exports_carry_the_same_figures(web, monkeypatch):
    recorded = _record(web, monkeypatch)
    web.login("society")
    response = web.get(f"/reports/export.csv?{PERIOD}&by=counter&period=month")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="emitra-report-JP-counter-month-2026-10-01-to-2026-11-30.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["Period from", "Period to", "Code", "Counter", "Transactions"]
    assert rows[0][7] == "Collected from citizens (₹)"
    body, total = rows[1:-1], rows[-1]
    assert [r[:3] for r in body] == [["2026-10-01", "2026-10-31", "JP-LM-001"], ["2026-11-01", "2026-11-30", "JP-JM-001"],
                                     ["2026-11-01", "2026-11-30", "JP-LM-001"]]
    assert total[3] == "Total" and int(total[4]) == len(recorded)
    paise = sum(r.citizen_total_paise for r in recorded)
    assert total[7] == f"{paise // 100}.{paise % 100:02d}"
    response = web.get(f"/reports/export.xlsx?{PERIOD}&by=counter")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert 'filename="emitra-report-JP-counter-total-2026-10-01-to-2026-11-30.xlsx"' in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Figures", "Cases"]
    sheet = list(book["Figures"].values)
    assert sheet[0][:3] == ("Code", "Counter", "Transactions")
    assert [r[0] for r in sheet[1:-1]] == ["JP-JM-001", "JP-LM-001"]
    assert sheet[-1][1] == "Total" and sheet[-1][2] == len(recorded)
    assert round(sheet[-1][5] * 100) == paise and isinstance(sheet[-1][5], float)  # a number, not text
    for row in sheet[1:-1]:
        mine = [r for r in recorded if r.counter_id == web.run(lambda code=row[0]: Counter.get(code=code)).id]
        assert row[2] == len(mine) and round(row[5] * 100) == sum(r.citizen_total_paise for r in mine)
    assert list(book["Cases"].values)[0][0] == "Code"


def test_case_figures_count_open_breached_and_escalated_applications(web, monkeypatch):
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-20")
    case = web.run(lambda: caste_case("rep-caste"))

    async def breach():
        await Case.filter(id=case.id).update(breached=True, level=2)

    web.run(breach)
    report = web.run(lambda: reports.case_figures(reports.Scope(), dt.date(2026, 11, 1), dt.date(2026, 11, 30), "department"))
    row = [r for r in report.rows if r["key"] == case.department][0]
    assert (row["filed"], row["open"], row["breached"], row["escalated"], row["closed"]) == (1, 1, 1, 1, 0)
    earlier = web.run(lambda: reports.case_figures(reports.Scope(), dt.date(2026, 10, 1), dt.date(2026, 10, 31), "department"))
    assert earlier.totals["filed"] == 0 and earlier.totals["open"] == 1  # open is the position now
    web.login("lsp")  # filed at its counter: the LSP sees it
    page = web.get("/reports?from=2026-11-01&to=2026-11-30")
    assert case.department in page.text and 'id="cases"' in page.text
    # the note under the table says where a moved case counts (decision 101), in English and Hindi
    assert "counts as filed at the counter where it was filed and paid, and as open or closed at the counter it is at now" in page.text
    web.get("/lang/hi")
    assert "दूसरे काउंटर पर भेजा गया प्रकरण" in web.get("/reports?from=2026-11-01&to=2026-11-30").text
    web.get("/lang/en")
    book = load_workbook(io.BytesIO(web.get("/reports/export.xlsx?from=2026-11-01&to=2026-11-30").content))
    cases = list(book["Cases"].values)
    assert cases[1][0] == case.department and cases[1][2:5] == (1, 1, 1)
    web.logout()
    web.run(_other_lsp)
    other = web.run(lambda: LSP.get(name="Amber Digital Seva"))
    scope = reports.Scope(district_id=other.district_id, lsp_id=other.id)  # another LSP: the case is not at its counters
    assert web.run(lambda: reports.case_figures(scope, dt.date(2026, 11, 1), dt.date(2026, 11, 30))).rows == []


def test_charts_are_svg_without_scripts_and_with_their_own_policy(web, monkeypatch):
    _record(web, monkeypatch)
    web.login("society")
    page = web.get(f"/reports?{PERIOD}&by=service")
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page.text)
    assert len(images) == 3
    assert images[0][1] == "Transactions per day, 1 Oct – 30 Nov 2026"
    for src, _alt in images:
        response = web.get(src.replace("&amp;", "&"))
        assert response.status_code == 200, src
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert response.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
        assert "<svg" in response.text and "<script" not in response.text.lower()
        assert ElementTree.fromstring(response.content).tag == "{http://www.w3.org/2000/svg}svg"  # a well-formed image
    trend = web.get(f"/reports/chart.svg?{PERIOD}&kind=trend&period=month").text
    assert "Transactions per month" in trend and "Oct 2026" in trend
    counters = web.get(f"/reports/chart.svg?{PERIOD}&kind=counters").text
    assert "JP-LM-001" in counters and "JP-JM-001" in counters
    share = web.get(f"/reports/chart.svg?{PERIOD}&kind=share&by=service").text
    assert get_host().registry.get(JAMABANDI).title_en[:20] in share
    charges = web.get(f"/reports/chart.svg?{PERIOD}&kind=share&by=department&of=charges").text
    assert "Share of service charges by department or partner" in charges
    assert web.get(f"/reports/chart.svg?{PERIOD}&kind=pie").status_code == 400


def test_the_state_dashboard_lists_every_district(web, monkeypatch):
    recorded = _record(web, monkeypatch)  # today is 28 Nov 2026: October is last month
    web.run(_other_district)
    web.login("state")
    page = web.get("/state")
    assert page.status_code == 200
    assert 'id="district-JP"' in page.text and 'id="district-UD"' in page.text
    jaipur = re.search(r'<tr id="district-JP">(.*?)</tr>', page.text, re.S).group(1)
    cells = re.findall(r'<td class="num[^"]*">(?:<a [^>]*>)?([^<]*)', jaipur)
    assert cells[:2] == ["2", "4"] and cells[4] == "1"  # 2 counters, 4 this month, 1 last month
    assert cells[2] == format_paise(sum(r.citizen_total_paise for r in recorded[1:]))
    assert cells[5] == format_paise(recorded[0].citizen_total_paise)
    total = re.search(r'<tr class="total" id="state-total">(.*?)</tr>', page.text, re.S).group(1)
    assert ">3<" in total and ">15<" in total  # 3 counters, 4 + 11 this month
    assert "/reports?from=2026-11-01&amp;to=2026-11-28&amp;district=UD&amp;by=counter" in page.text
    charts = re.findall(r'<img src="([^"]+)"', page.text)
    assert len(charts) == 2
    svg = web.get(charts[0].replace("&amp;", "&"))
    assert svg.status_code == 200 and "Udaipur" in svg.text and "Jaipur" in svg.text
    assert "उदयपुर" in web.get("/state?lang=hi").text  # district names in the page language


@pytest.mark.parametrize("username", ["operator1", "officer", "citizen"])
def test_other_roles_get_403_on_every_report_route(web, username):
    web.login(username)
    for path in ("/reports", "/reports/export.csv", "/reports/export.xlsx", "/reports/chart.svg?kind=trend", "/state"):
        assert web.get(path).status_code == 403, path


def test_bad_dates_are_refused_naming_the_field(web):
    web.login("society")
    page = web.get("/reports?from=2026-13-01&to=2026-11-30")
    assert page.status_code == 400 and "From: give a date as YYYY-MM-DD" in page.text and 'id="f-from-error"' in page.text
    page = web.get("/reports?from=2026-11-20&to=2026-11-01")
    assert page.status_code == 400 and "From: the period starts after it ends" in page.text
    page = web.get("/reports?from=2025-01-01&to=2026-11-30")
    assert page.status_code == 400 and "To: a report covers at most 366 days" in page.text
    assert 'id="figures"' not in page.text
    assert web.get("/reports?from=2025-11-30&to=2026-11-30").status_code == 200  # 366 days exactly
    assert web.get("/reports?period=fortnight").status_code == 400
    response = web.get("/reports/export.csv?from=2026-11-20&to=2026-11-01")
    assert response.status_code == 400 and "From:" in response.text
    assert web.get("/reports/export.xlsx?to=yesterday").status_code == 400
    assert web.get("/reports/chart.svg?kind=trend&from=x").status_code == 400


@pytest.mark.anyio
async def test_only_reporting_roles_have_a_scope(demo_db):
    with pytest.raises(PermissionError):
        await reports.scope_for(await User.get(username="operator1"))
    lsp_admin = await User.get(username="lsp")
    assert await reports.scope_for(lsp_admin) == reports.Scope(district_id=lsp_admin.district_id, lsp_id=lsp_admin.lsp_id)
    with pytest.raises(reports.OutOfScope) as refused:
        await reports.scope_for(await User.get(username="society"), district="ZZ")
    assert refused.value.field == "district"


def _axis_labels(svg: str) -> list[list[str]]:
    """The tick labels of each numeric axis of a pygal chart, as drawn."""
    root = ElementTree.fromstring(svg.encode())
    out = []
    for axis in root.iter("{http://www.w3.org/2000/svg}g"):
        if axis.get("class", "").startswith("axis "):
            labels = [t.text or "" for t in axis.iter("{http://www.w3.org/2000/svg}text")]
            if labels and all(re.fullmatch(r"[\d,]+", label) for label in labels):
                out.append(labels)
    return out


def test_count_axes_of_a_small_report_read_in_whole_distinct_numbers(web, monkeypatch):
    """A day of three transactions (the report's default on the 1st of a month): the counters chart's
    axis used to read 0, 0, 0, 1, 1, 1, 1, 1, 2, ... (tenths, each rounded), so a bar of 1 seemed to
    end at any of five ticks."""
    _record(web, monkeypatch)
    web.login("lsp")
    day = "from=2026-11-16&to=2026-11-16"  # two transactions, one at each of the LSP's counters
    counters = web.get(f"/reports/chart.svg?{day}&kind=counters").text
    assert _axis_labels(counters) == [["0", "1"]]
    trend = _axis_labels(web.get(f"/reports/chart.svg?{day}&kind=trend").text)
    assert trend[0] == ["0", "1", "2"]  # the count axis; the rupee axis beside it is its own
    month = _axis_labels(web.get(f"/reports/chart.svg?{PERIOD}&kind=counters").text)[0]
    assert month == sorted(set(month), key=int) and month[0] == "0" and int(month[-1]) >= 3
    assert [reports_web.count_ticks(n)[-1] >= n for n in (0, 1, 9, 11, 99, 101, 12_345)] == [True] * 7
    assert all(len(reports_web.count_ticks(n)) <= 11 for n in (1, 10, 11, 49, 999, 1001, 99_999))


def test_department_names_are_in_hindi_on_a_hindi_report(web, monkeypatch):
    """The LSP admin reading the reports in Hindi: the departments and partners (rows grouped by
    department, the case table, the pie's legend, the export) in their declared Hindi names, as on
    the LSP's services page; they used to stay in English."""
    _record(web, monkeypatch)
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-20")
    case = web.run(lambda: caste_case("rep-caste-hi"))
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-28")
    bill = get_host().registry.get(BILL)
    assert bill.provider_hi and case.department == "Revenue Department, Government of Rajasthan"
    web.login("lsp")
    web.get("/lang/hi")
    page = web.get(f"/reports?{PERIOD}&by=department").text
    rows = re.search(r"<table[^>]*id=\"figures\".*?</table>", page, re.S)
    assert bill.provider_hi in rows.group(0) and bill.provider not in rows.group(0)
    cases = re.search(r'id="cases".*?</table>', page, re.S).group(0)
    assert "राजस्व विभाग, राजस्थान सरकार" in cases and case.department not in cases
    share = web.get(f"/reports/chart.svg?{PERIOD}&kind=share&by=department").text
    assert bill.provider_hi[:20] in share and bill.provider[:20] not in share
    exported = web.get(f"/reports/export.csv?{PERIOD}&by=department").text
    assert bill.provider_hi in exported
    mis_figures = re.search(r"<table.*?</table>", web.get("/mis/reports/preview?period=2026-10-01..2026-10-31").text, re.S).group(0)
    assert bill.provider_hi in mis_figures and bill.provider not in mis_figures  # the MIS report's figures too
    web.get("/lang/en")
    assert bill.provider in web.get(f"/reports?{PERIOD}&by=department").text


def test_the_rupee_axis_of_the_trend_chart_shows_the_amounts_its_ticks_stand_for(web):
    """A day of one ₹8.75 payment: the rupee axis beside the count axis (0, 1) read 0 and "9" for a
    tick at ₹8.75; its ticks are now round rupee amounts, each drawn as it is, and the bar's value
    (and a service-charge slice's) reads to the paisa."""
    async def one_payment() -> None:
        counter = await Counter.get(code="JP-LM-001").prefetch_related("lsp", "district")
        await DailyFigure.create(district=counter.district, lsp=counter.lsp, counter=counter, business_date=dt.date(2026, 11, 10),
                                 service_code=BILL, provider="JVVNL", category="bill", transactions=1, principal_paise=480,
                                 service_charge_paise=395, citizen_total_paise=875, charge_by_department_paise=0)
        await mis.rollup_months()

    web.run(one_payment)
    web.login("society")
    svg = web.get("/reports/chart.svg?from=2026-11-10&to=2026-11-10&kind=trend").text
    counts, rupee_axis = _axis_labels(svg)
    assert counts == ["0", "1"] and rupee_axis == ["0", "10"]
    assert ">₹8.75<" in svg  # the bar's value, not 9
    charges = web.get("/reports/chart.svg?from=2026-11-10&to=2026-11-10&kind=share&by=department&of=charges").text
    assert ">₹3.95<" in charges and ">4<" not in charges  # the slice's printed value, to the paisa
    for top, intervals in ((875, 1), (1, 1), (0, 1), (148_350, 4), (123_456_789, 10), (100_000, 2)):
        axis_top = reports_web.rupee_axis_top(top, intervals)
        step = axis_top // intervals
        assert axis_top * 100 >= top and axis_top % intervals == 0 and str(step).lstrip("0")[0] in "125" and set(str(step)[1:]) <= {"0"}
    assert reports_web.rupee_axis_top(100_000, 2) == 1_000 and reports_web.rupee_axis_top(148_350, 4) == 2_000

"""The LSP's MIS report of a past month, vetted by the Society and then frozen: transactions recorded
through the real counter in November 2026, the report submitted with EMITRA_TODAY in December, a
November cheque cleared in December (a back-dated correction) carried by December's report as an
adjustment, never by November's frozen one."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from emitra.core import counter as counter_core
from emitra.core import mis, vetting
from emitra.core.audit import Actor
from emitra.core.auth import hash_password
from emitra.core.models import (LSP, AuditLog, Citizen, Counter, CounterKind, DailyFigure, District, MisReport, Payment, Role,
                                ServiceRequest, Society, User)
from emitra.core.payment_methods import cheque
from emitra.core.plugins import get_host
from tests.test_cli import run as emitra
from tests.test_money_properties import BILL, JAMABANDI, K_NUMBERS

NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
DEC = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


async def _actor(username: str) -> Actor:
    return Actor(await User.get(username=username), via="test")


async def _november(monkeypatch) -> dict:
    """Two cash payments at two counters and a cheque (still in clearing) in November."""
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    op1, op2 = await _actor("operator1"), await _actor("operator2")
    lm, jm = await Counter.get(code="JP-LM-001"), await Counter.get(code="JP-JM-001")
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-16")
    bill = await counter_core.record_cash(op1, lm, citizen, BILL, {"k_number": K_NUMBERS[0]}, "v-1")
    copy = await counter_core.record_cash(op2, jm, citizen, JAMABANDI, dict(get_host().registry.get(JAMABANDI).example), "v-2")
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-27")
    details = cheque.CHEQUE.check_details({"instrument_no": "400001", "bank_name": "State Bank of India", "ifsc": "SBIN0001234",
                                           "instrument_date": "2026-11-27", "drawer_name": citizen.name})
    pending = await counter_core.record_payment(op1, lm, citizen, BILL, {"k_number": K_NUMBERS[1]}, "v-3", "cheque", payment_details=details)
    return {"paid": [bill, copy], "cheque": pending}


async def _second_lsp() -> tuple[LSP, User]:
    district = await District.get(code="JP")
    lsp = await LSP.create(district=district, name="Desert Rose Services")
    await Counter.create(district=district, lsp=lsp, code="JP-LM-002", name="LokMitra Centre, Sanganer", kind=CounterKind.LOKMITRA,
                         owner_name=lsp.name)
    admin = await User.create(username="lsp2", full_name="Admin, Desert Rose", role=Role.LSP_ADMIN, district=district, lsp=lsp,
                              password_hash=hash_password("emitra-demo"))
    return lsp, admin


async def _other_society() -> User:
    district = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    await Society.create(district=district, name="District e-Mitra Society, Ajmer")
    return await User.create(username="society_aj", full_name="Nodal officer, Ajmer", role=Role.SOCIETY_ADMIN, district=district,
                             password_hash=hash_password("emitra-demo"))


def _expected(requests: list[ServiceRequest]) -> dict[str, int]:
    return {"transactions": len(requests), "principal_paise": sum(r.principal_paise for r in requests),
            "service_charge_paise": sum(r.service_charge_paise for r in requests),
            "citizen_total_paise": sum(r.citizen_total_paise for r in requests),
            "charge_by_department_paise": sum(r.service_charge_paise for r in requests if r.charge_payer == "department"),
            "charge_by_partner_paise": sum(r.service_charge_paise for r in requests if r.charge_payer == "partner"), "cancelled": 0}


@pytest.mark.anyio
async def test_the_lsp_submits_november_and_its_totals_equal_the_transactions(demo_db, monkeypatch):
    made = await _november(monkeypatch)
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    admin = await _actor("lsp")
    with pytest.raises(vetting.VettingError) as early:  # 27 November: the month has not ended
        await vetting.submit(admin, lsp, *NOV)
    assert early.value.field == "end" and "has not ended yet" in early.value.message_en and early.value.message_hi
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    report = await vetting.submit(admin, lsp, *NOV)
    assert report.status == "submitted" and report.district_id == lsp.district_id
    assert report.figures["totals"] == _expected(made["paid"])  # the cheque in clearing is not a transaction yet
    rows = [(r["counter"], r["service_code"], r["transactions"]) for r in report.figures["rows"]]
    assert rows == [("JP-JM-001", JAMABANDI, 1), ("JP-LM-001", BILL, 1)]
    assert report.figures["rows"][1]["title_en"] == get_host().registry.get(BILL).title_en
    assert report.adjustments == [] and len(report.sha256) == 64 and vetting.verify(report)
    audit = await AuditLog.get(action="mis_report.submit", object_id=str(report.id))
    assert audit.actor_name == "lsp" and audit.detail["sha256"] == report.sha256
    # the same month again, or a week inside it, overlaps the submitted report
    for start, end in (NOV, (dt.date(2026, 11, 23), dt.date(2026, 11, 29))):
        with pytest.raises(vetting.VettingError, match=f"report {report.id} .* overlaps"):
            await vetting.submit(admin, lsp, start, end)
    with pytest.raises(vetting.VettingError, match="neither a calendar month nor a Monday-to-Sunday week"):
        await vetting.submit(admin, lsp, dt.date(2026, 10, 3), dt.date(2026, 10, 9))
    assert await MisReport.all().count() == 1


@pytest.mark.anyio
async def test_a_vetted_report_is_frozen_and_a_late_correction_goes_into_the_next_report(demo_db, monkeypatch):
    made = await _november(monkeypatch)
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    admin, society = await _actor("lsp"), await _actor("society")
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    november = await vetting.submit(admin, lsp, *NOV)
    vetted = await vetting.vet(society, november, "Checked against the day-end slips")
    assert (vetted.status, vetted.decided_by_id, vetted.remarks) == ("vetted", society.user.id, "Checked against the day-end slips")
    frozen_figures, frozen_sha = vetted.figures, vetted.sha256
    # 10 December: the November cheque clears; November's live figures change
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-10")
    request = made["cheque"]
    await cheque.clear(society, await Payment.get(request=request))
    live = await vetting.compute(lsp, *NOV)
    assert live["totals"]["transactions"] == 3 and await mis.differences() == []
    again = await MisReport.get(id=november.id)
    assert (again.figures, again.sha256, again.status) == (frozen_figures, frozen_sha, "vetted") and vetting.verify(again)
    assert again.figures["totals"]["transactions"] == 2
    for step in (lambda: vetting.vet(society, again), lambda: vetting.return_report(society, again, "Please recount it")):
        with pytest.raises(vetting.VettingError, match="is frozen") as refused:
            await step()
        assert "स्थिर" in refused.value.message_hi
    # January: December's report carries the difference, naming November's report
    monkeypatch.setenv("EMITRA_TODAY", "2027-01-04")
    december = await vetting.submit(admin, lsp, *DEC)
    assert december.figures["totals"]["transactions"] == 0
    assert december.adjustments == [{
        "of_report": november.id, "period_start": "2026-11-01", "period_end": "2026-11-30", "counter": "JP-LM-001",
        "service_code": BILL, "title_en": get_host().registry.get(BILL).title_en, "title_hi": get_host().registry.get(BILL).title_hi,
        "deltas": {"transactions": 1, "principal_paise": request.principal_paise, "service_charge_paise": request.service_charge_paise,
                   "citizen_total_paise": request.citizen_total_paise, "charge_by_department_paise": request.service_charge_paise,
                   "charge_by_partner_paise": 0, "cancelled": 0}}]
    await vetting.vet(society, december)
    # once reported, the correction is not reported again
    assert await vetting.adjustments_for(lsp) == []


@pytest.mark.anyio
async def test_returning_needs_remarks_and_the_period_is_submitted_again(demo_db, monkeypatch):
    await _november(monkeypatch)
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    admin, society = await _actor("lsp"), await _actor("society")
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    first = await vetting.submit(admin, lsp, *NOV)
    for remarks in ("", "  ok  "):
        with pytest.raises(vetting.VettingError) as short:
            await vetting.return_report(society, first, remarks)
        assert short.value.field == "remarks" and "5 to 2000 characters" in short.value.message_en
    assert (await MisReport.get(id=first.id)).status == "submitted"
    returned = await vetting.return_report(society, first, "The kiosk's jamabandi copies are missing")
    assert (returned.status, returned.remarks) == ("returned", "The kiosk's jamabandi copies are missing")
    with pytest.raises(vetting.VettingError, match="was returned to the LSP"):
        await vetting.vet(society, returned)
    second = await vetting.submit(admin, lsp, *NOV)  # a returned report may be submitted again: a new report
    assert second.id != first.id and second.status == "submitted"
    assert [r.id for r in await vetting.history(second)] == [first.id]
    assert (await MisReport.get(id=first.id)).remarks == "The kiosk's jamabandi copies are missing"  # the history is kept
    resubmitted = await AuditLog.get(action="mis_report.submit", object_id=str(second.id))
    assert resubmitted.detail["resubmits"] == first.id
    assert (await AuditLog.get(action="mis_report.return", object_id=str(first.id))).detail["remarks"].startswith("The kiosk")


@pytest.mark.anyio
async def test_another_lsp_and_another_district_can_neither_see_nor_act(demo_db, monkeypatch):
    await _november(monkeypatch)
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    other_lsp, other_admin = await _second_lsp()
    ajmer = await _other_society()
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    with pytest.raises(vetting.VettingError, match="Only an admin of Pink City"):
        await vetting.submit(Actor(other_admin, via="test"), lsp, *NOV)
    with pytest.raises(vetting.VettingError, match="Only an admin"):
        await vetting.submit(await _actor("society"), lsp, *NOV)
    report = await vetting.submit(await _actor("lsp"), lsp, *NOV)
    own = await vetting.submit(Actor(other_admin, via="test"), other_lsp, *NOV)  # its own LSP: nothing recorded, nothing overlaps
    assert own.figures["rows"] == [] and own.figures["totals"]["transactions"] == 0
    for step in (lambda: vetting.vet(Actor(ajmer, via="test"), report),
                 lambda: vetting.return_report(Actor(ajmer, via="test"), report, "Not ours to judge"),
                 lambda: vetting.vet(Actor(other_admin, via="test"), report)):
        with pytest.raises(vetting.VettingError, match="Only the Society admin of the report's district"):
            await step()
    assert (await MisReport.get(id=report.id)).status == "submitted"
    assert not vetting.visible(other_admin, report) and not vetting.visible(ajmer, report)
    assert vetting.visible(await User.get(username="state"), report) and not vetting.visible(await User.get(username="operator1"), report)
    assert [r.id for r in await vetting.scope(other_admin)] == [own.id]
    assert await vetting.scope(ajmer).count() == 0


@pytest.mark.anyio
async def test_tampering_with_the_frozen_figures_is_detected(demo_db, monkeypatch):
    await _november(monkeypatch)
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    report = await vetting.vet(await _actor("society"), await vetting.submit(await _actor("lsp"), lsp, *NOV))
    ok = emitra("mis", "verify")
    assert ok.returncode == 0 and "1 vetted report: every SHA-256 matches" in ok.stdout
    figures = dict(report.figures)
    figures["totals"] = {**figures["totals"], "citizen_total_paise": figures["totals"]["citizen_total_paise"] - 10000}
    await MisReport.filter(id=report.id).update(figures=figures)  # someone edits the table directly
    altered = await MisReport.get(id=report.id)
    assert altered.sha256 == report.sha256 and not vetting.verify(altered)
    assert [r.id for r in await vetting.verify_all()] == [report.id]
    failed = emitra("mis", "verify")
    assert failed.returncode == 1 and f"report #{report.id} (2026-11-01..2026-11-30" in failed.stderr
    listed = emitra("mis", "reports", "--status", "vetted")
    assert listed.returncode == 0 and f"#{report.id}" in listed.stdout and "ALTERED" in listed.stdout
    monkeypatch.setenv("EMITRA_TODAY", "2027-01-04")  # corrections cannot be computed against altered figures
    with pytest.raises(vetting.VettingError, match=f"Vetted report {report.id} .* no longer matches its SHA-256"):
        await vetting.submit(await _actor("lsp"), lsp, *DEC)


@pytest.mark.anyio
async def test_a_report_reads_the_daily_table_and_the_periods_offered_have_ended(demo_db, monkeypatch):
    await _november(monkeypatch)
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    # the figures are the daily table's (not a scan of the requests): an edit of the table shows
    await DailyFigure.filter(service_code=JAMABANDI).update(transactions=5)
    assert (await vetting.compute(lsp, *NOV))["totals"]["transactions"] == 6
    assert (await vetting.compute(lsp, *DEC))["rows"] == []
    today = dt.date(2026, 12, 2)
    months = vetting.recent_months(today)
    assert months[0] == NOV and months[-1] == (dt.date(2025, 12, 1), dt.date(2025, 12, 31)) and len(months) == 12
    weeks = vetting.recent_weeks(today)
    assert weeks[0] == (dt.date(2026, 11, 23), dt.date(2026, 11, 29)) and all(vetting.period_kind(s, e) == "week" for s, e in weeks)
    assert vetting.period_kind(dt.date(2028, 2, 1), dt.date(2028, 2, 29)) == "month"


# --- the pages ----------------------------------------------------------------------------------

def _report_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(response.headers["location"].split("/mis/reports/")[1].split("?")[0])


def test_the_lsp_previews_and_submits_november_and_the_society_vets_it(web, monkeypatch):
    made = web.run(lambda: _november(monkeypatch))
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    web.login("lsp")
    listing = web.get("/mis/reports")
    assert listing.status_code == 200 and "No MIS reports yet." in listing.text
    assert 'value="2026-11-01..2026-11-30"' in listing.text and 'value="2026-12-01..2026-12-31"' not in listing.text
    assert 'value="2026-11-23..2026-11-29"' in listing.text  # a week may be reported too
    assert '<option value="2026-11-01..2026-11-30">Nov 2026</option>' in listing.text and ">11-2026<" not in listing.text  # by name
    assert '<option value="2026-11-01..2026-11-30">नवंबर 2026</option>' in web.get("/mis/reports", params={"lang": "hi"}).text
    web.get("/mis/reports", params={"lang": "en"})  # (the language a page was asked in stays the session's)
    preview = web.get("/mis/reports/preview", params={"period": "2026-11-01..2026-11-30"})
    assert preview.status_code == 200 and "Not submitted yet" in preview.text
    total = sum(r.citizen_total_paise for r in made["paid"])
    from emitra.core.money import format_paise

    assert format_paise(total) in preview.text and "JP-JM-001" in preview.text
    assert web.run(lambda: MisReport.all().count()) == 0  # a preview saves nothing
    same = web.get("/mis/reports/preview", params={"start": "2026-11-01", "end": "2026-11-30"})
    assert same.status_code == 200 and format_paise(total) in same.text
    early = web.post_form("/mis/reports", {"start": "2026-12-01", "end": "2026-12-31"}, token_from="/mis/reports")
    assert early.status_code == 400 and "has not ended yet" in early.text
    odd = web.get("/mis/reports/preview", params={"start": "2026-11-03", "end": "2026-11-12"})
    assert odd.status_code == 400 and "neither a calendar month nor a Monday-to-Sunday week" in odd.text
    report_id = _report_id(web.post_form("/mis/reports", {"start": "2026-11-01", "end": "2026-11-30"}, token_from="/mis/reports"))
    page = web.get(f"/mis/reports/{report_id}")
    assert page.status_code == 200 and "Submitted, waiting for the Society" in page.text and format_paise(total) in page.text
    assert "corrections to earlier vetted periods" in page.text and 'action="/mis/reports/%d/vet"' % report_id not in page.text
    twice = web.post_form("/mis/reports", {"start": "2026-11-01", "end": "2026-11-30"}, token_from="/mis/reports")
    assert twice.status_code == 400 and "overlaps" in twice.text
    assert web.post_form(f"/mis/reports/{report_id}/vet", {}, token_from="/mis/reports").status_code == 403  # the LSP cannot vet
    csv_text = web.get(f"/mis/reports/{report_id}.csv")
    assert csv_text.status_code == 200 and csv_text.headers["content-type"].startswith("text/csv")
    total_row = next(line for line in csv_text.text.splitlines() if line.startswith("total,"))
    assert total_row.split(",")[8:] == ["2", str(sum(r.principal_paise for r in made["paid"])), str(sum(r.service_charge_paise for r in made["paid"])),
                                        str(total), str(sum(r.service_charge_paise for r in made["paid"] if r.charge_payer == "department")), "0", "0"]
    web.logout()
    web.login("society")
    listing = web.get("/mis/reports")
    assert f'href="/mis/reports/{report_id}"' in listing.text and "Pink City e-Services Pvt Ltd" in listing.text
    assert "<td>Nov 2026</td>" in listing.text  # the report's period, its month by name
    short = web.post_form(f"/mis/reports/{report_id}/return", {"remarks": "no"}, token_from=f"/mis/reports/{report_id}")
    assert short.status_code == 400 and "5 to 2000 characters" in short.text
    vetted = web.post_form(f"/mis/reports/{report_id}/vet", {"remarks": "Matches the slips"}, token_from=f"/mis/reports/{report_id}")
    assert vetted.status_code == 303
    page = web.get(f"/mis/reports/{report_id}")
    report = web.run(lambda: MisReport.get(id=report_id))
    assert "Vetted on" in page.text and "frozen" in page.text and report.sha256[:16] in page.text and "Matches the slips" in page.text
    assert "matches the stored figures" in page.text and 'id="decide"' not in page.text
    again = web.post_form(f"/mis/reports/{report_id}/return", {"remarks": "Second thoughts"}, token_from=f"/mis/reports/{report_id}")
    assert again.status_code == 400 and "is frozen" in again.text
    hindi = web.get(f"/mis/reports/{report_id}", params={"lang": "hi"})
    assert hindi.status_code == 200 and get_host().registry.get(BILL).title_hi in hindi.text
    web.logout()
    web.login("state")
    assert web.get(f"/mis/reports/{report_id}").status_code == 200 and f"#{report_id}" in web.get("/mis/reports").text


def test_other_lsps_districts_and_roles_get_nothing(web, monkeypatch):
    web.run(lambda: _november(monkeypatch))
    web.run(_second_lsp)
    web.run(_other_society)
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    report = web.run(lambda: _submit_november())
    for username in ("lsp2", "society_aj"):
        web.login(username)
        assert f'/mis/reports/{report.id}"' not in web.get("/mis/reports").text
        assert web.get(f"/mis/reports/{report.id}").status_code == 404
        assert web.get(f"/mis/reports/{report.id}.csv").status_code == 404
        web.logout()
    web.login("society_aj")
    assert web.post_form(f"/mis/reports/{report.id}/vet", {}, token_from="/mis/reports").status_code == 404
    assert web.post_form(f"/mis/reports/{report.id}/return", {"remarks": "Not in our district"}, token_from="/mis/reports").status_code == 404
    web.logout()
    assert web.run(lambda: MisReport.get(id=report.id)).status == "submitted"
    for username in ("operator1", "officer"):
        web.login(username)
        assert web.get("/mis/reports").status_code == 403
        assert web.get(f"/mis/reports/{report.id}").status_code == 403
        web.logout()
    web.login("society")
    returned = web.post_form(f"/mis/reports/{report.id}/return", {"remarks": "Recount the kiosk"}, token_from=f"/mis/reports/{report.id}")
    assert returned.status_code == 303
    web.logout()
    web.login("lsp")
    listing = web.get("/mis/reports")
    assert "Returned" in listing.text and "Recount the kiosk" in listing.text


async def _submit_november() -> MisReport:
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    return await vetting.submit(await _actor("lsp"), lsp, *NOV)


def test_a_period_already_reported_says_so_in_the_list_and_its_preview_before_submitting(web, monkeypatch):
    """The list offered the weeks of a month already submitted or vetted, and their preview ended in
    *Submit this report to the Society*, refused only once pressed ("report 1 ... overlaps it")."""
    web.run(lambda: _november(monkeypatch))
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    web.login("lsp")
    report_id = _report_id(web.post_form("/mis/reports", {"start": "2026-11-01", "end": "2026-11-30"}, token_from="/mis/reports"))
    listing = web.get("/mis/reports")
    week = re.search(r'<option value="2026-11-23..2026-11-29"[^>]*>([^<]*)</option>', listing.text).group(1)
    assert f"in report {report_id}" in week, week
    october = re.search(r'<option value="2026-10-01..2026-10-31"[^>]*>([^<]*)</option>', listing.text).group(1)
    assert "report" not in october  # a period no report covers is offered as before
    assert f"23-11-2026 – 29-11-2026 (रिपोर्ट {report_id} में पहले से)" in web.get("/mis/reports", params={"lang": "hi"}).text
    for lang, words in (("en", f"report {report_id} for 01-11-2026 to 30-11-2026 overlaps it"), ("hi", f"की रिपोर्ट {report_id} इससे मेल खाती है")):
        preview = web.get("/mis/reports/preview", params={"period": "2026-11-23..2026-11-29", "lang": lang})
        assert preview.status_code == 200 and words in preview.text, preview.text
        assert 'action="/mis/reports"' not in preview.text  # no Submit button to press in vain
    assert 'action="/mis/reports"' in web.get("/mis/reports/preview", params={"period": "2026-10-01..2026-10-31", "lang": "en"}).text
    web.run(lambda: MisReport.filter(id=report_id).update(status=vetting.RETURNED))  # a returned period is submitted again
    assert 'action="/mis/reports"' in web.get("/mis/reports/preview", params={"period": "2026-11-01..2026-11-30"}).text
    assert "in report" not in re.search(r'<option value="2026-11-01..2026-11-30"[^>]*>([^<]*)</option>', web.get("/mis/reports").text).group(1)

"""The LSP's periodic MIS reports and the Society's vetting of them (docs/vetting.md).

* ``/mis/reports``: the LSP admin's reports and the form to submit a past month or week (with a
  preview first, ``/mis/reports/preview``); the Society admin's district reports, submitted first;
  the state admin reads every district's.
* ``/mis/reports/{id}``: one report, printable: figures by counter and service, the corrections to
  earlier vetted periods, the status and its SHA-256; Vet / Return for the Society admin.
* ``/mis/reports/{id}.csv``: the report as CSV.

Every step goes through :mod:`emitra.core.vetting` (role, scope, period and freezing checked and
audited there); this module decides who may *see* what: out of scope is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import clock, vetting
from emitra.core.mis import MEASURES
from emitra.core.models import LSP, Counter, District, MisReport, Role, User
from emitra.core.text import MONTHS
from emitra.web import params
from emitra.web.i18n import _, pick
from emitra.web.security import actor, page
from emitra.web.templating import render

READERS = [Role.LSP_ADMIN, Role.SOCIETY_ADMIN, Role.STATE_ADMIN]
LSP_ADMIN = [Role.LSP_ADMIN]
SOCIETY = [Role.SOCIETY_ADMIN]


def _role(user: User) -> str:
    return user.role.value if hasattr(user.role, "value") else str(user.role)


def _error(exc: vetting.VettingError) -> str:
    return pick(exc.message_en, exc.message_hi)


def _month(day: dt.date) -> str:
    """"Nov 2026" (नवंबर 2026): a report's month as the other pages name months (core/text.MONTHS), not "11-2026"."""
    return f"{pick(*MONTHS[day.month - 1])} {day.year}"


def _period_label(start: dt.date, end: dt.date) -> str:
    if vetting.period_kind(start, end) == "month":
        return _month(start)
    return f"{start.strftime('%d-%m-%Y')} – {end.strftime('%d-%m-%Y')}"


def _choices(today: dt.date, standing: list[MisReport]) -> dict[str, list[tuple[str, str]]]:
    """The periods offered: the last 12 complete months, and the last 8 complete weeks; one that a
    submitted or vetted report of the LSP (``standing``) covers part of says which (decision 199)."""
    def label(start: dt.date, end: dt.date, text: str) -> str:
        clash = next((r for r in standing if r.period_start <= end and r.period_end >= start), None)
        return text if clash is None else _("%(period)s (already in report %(id)s)") % {"period": text, "id": clash.id}

    return {
        "months": [(f"{s}..{e}", label(s, e, _month(s))) for s, e in vetting.recent_months(today)],
        "weeks": [(f"{s}..{e}", label(s, e, f"{s.strftime('%d-%m-%Y')} – {e.strftime('%d-%m-%Y')}")) for s, e in vetting.recent_weeks(today)],
    }


def _read_period(source: Any, errors: dict[str, str]) -> tuple[dt.date, dt.date] | None:
    """``period=START..END`` (from the select) or ``start`` and ``end`` (YYYY-MM-DD)."""
    period = str(source.get("period", "") or "").strip()
    start_text, end_text = (period.split("..", 1) if ".." in period else
                            (str(source.get("start", "") or "").strip(), str(source.get("end", "") or "").strip()))
    if not start_text or not end_text:
        errors["period"] = _("Period: choose a month or a week from the list.")
        return None
    try:
        start, end = params.day(start_text, "period", _("Period")), params.day(end_text, "period", _("Period"))
    except params.BadParam as exc:
        errors["period"] = exc.message
        return None
    try:
        vetting.check_period(start, end)
    except vetting.VettingError as exc:
        errors["period"] = _error(exc)
        return None
    return start, end


async def _names(reports: list[MisReport]) -> tuple[dict[int, str], dict[int, str]]:
    lsps = dict(await LSP.filter(id__in={r.lsp_id for r in reports}).values_list("id", "name")) if reports else {}
    districts = {d.id: pick(d.name_en, d.name_hi) for d in await District.filter(id__in={r.district_id for r in reports})} if reports else {}
    return lsps, districts


async def _list(request: Request, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    user = request.state.user
    form = getattr(request.state, "form", None)
    reports = await vetting.scope(user).order_by("-period_start", "-id")
    if _role(user) != Role.LSP_ADMIN.value:
        reports.sort(key=lambda r: r.status != vetting.SUBMITTED)  # stable: submitted first, latest period first within
    lsps, districts = await _names(reports)
    is_lsp = _role(user) == Role.LSP_ADMIN.value
    return render(request, "vetting/list.html", {
        "reports": reports, "lsps": lsps, "districts": districts, "is_lsp": is_lsp,
        "is_society": _role(user) == Role.SOCIETY_ADMIN.value,
        "choices": _choices(clock.today(), [r for r in reports if r.status in vetting.STANDING]) if is_lsp else {},
        "errors": errors or {}, "period_of": _period_label, "chosen": str((form or request.query_params).get("period", "") or ""),
    }, status)


@page(READERS)
async def reports(request: Request) -> Response:
    """The reports in this user's scope; for an LSP admin, the form to submit one."""
    return await _list(request)


@page(LSP_ADMIN)
async def preview(request: Request) -> Response:
    """What the report of a period would say, before submitting it (nothing is saved)."""
    user = request.state.user
    errors: dict[str, str] = {}
    period = _read_period(request.query_params, errors)
    if period is None:
        return await _list(request, errors=errors, status=400)
    start, end = period
    lsp = await LSP.get(id=user.lsp_id)
    figures = await vetting.compute(lsp, start, end)
    try:
        adjustments = await vetting.adjustments_for(lsp)
    except vetting.VettingError as exc:
        return await _list(request, errors={"period": _error(exc)}, status=409)
    groups = vetting.by_counter(figures)
    clash = await vetting.standing_overlap(lsp.id, start, end)  # said now, not once Submit is pressed (decision 199)
    return render(request, "vetting/preview.html", {
        "reported": _error(vetting.overlap_error(clash)) if clash is not None else "", "clash": clash,
        "lsp": lsp, "start": start, "end": end, "figures": figures, "groups": groups, "names_hi": await _names_hi(groups),
        "adjustments": adjustments, "adjustment_totals": vetting.adjustment_totals(adjustments), "measures": MEASURES,
        "period_label": _period_label(start, end),
    })


@page(LSP_ADMIN)
async def submit(request: Request) -> Response:
    """Submit the LSP's report of a past month or week to the Society."""
    user = request.state.user
    errors: dict[str, str] = {}
    period = _read_period(request.state.form, errors)
    if period is None:
        return await _list(request, errors=errors, status=400)
    lsp = await LSP.get(id=user.lsp_id)
    try:
        report = await vetting.submit(actor(request), lsp, *period)
    except vetting.VettingError as exc:
        return await _list(request, errors={"period": _error(exc)}, status=400)
    return RedirectResponse(f"/mis/reports/{report.id}?done=submitted", status_code=303)


async def _names_hi(groups: list[dict]) -> dict[str, str]:
    """The Hindi names of the counters of a report's groups, by code, for a Hindi page (the figures,
    frozen when vetted, keep the English name they were computed with)."""
    codes = [g["counter"] for g in groups]
    return dict(await Counter.filter(code__in=codes).values_list("code", "name_hi")) if codes else {}


async def _visible(request: Request) -> MisReport:
    report_id = params.record_id(request.path_params["report_id"])
    report = await MisReport.get_or_none(id=report_id) if report_id else None
    if report is None or not vetting.visible(request.state.user, report):
        raise HTTPException(404, _("No MIS report with this number in your scope."))
    return report


async def _report_page(request: Request, report: MisReport, *, errors: dict[str, str] | None = None,
                       remarks: str = "", status: int = 200) -> Response:
    user = request.state.user
    lsp = await LSP.get(id=report.lsp_id)
    district = await District.get(id=report.district_id)
    people = {u.id: u for u in await User.filter(id__in=[i for i in (report.submitted_by_id, report.decided_by_id) if i])}
    earlier = await vetting.history(report)
    adjustments = report.adjustments or []
    groups = vetting.by_counter(report.figures or {})
    return render(request, "vetting/report.html", {
        "report": report, "lsp": lsp, "district": district, "figures": report.figures or {},
        "groups": groups, "names_hi": await _names_hi(groups), "adjustments": adjustments,
        "adjustment_totals": vetting.adjustment_totals(adjustments), "measures": MEASURES,
        "submitted_by": people.get(report.submitted_by_id), "decided_by": people.get(report.decided_by_id),
        "intact": vetting.verify(report), "earlier": earlier, "period_label": _period_label(report.period_start, report.period_end),
        "can_decide": (_role(user) == Role.SOCIETY_ADMIN.value and user.district_id == report.district_id
                       and report.status == vetting.SUBMITTED),
        "errors": errors or {}, "remarks": remarks, "done": request.query_params.get("done", ""),
    }, status)


@page(READERS)
async def report_page(request: Request) -> Response:
    """One report: figures by counter and service, adjustments, status, printable."""
    return await _report_page(request, await _visible(request))


@page(SOCIETY)
async def vet(request: Request) -> Response:
    report = await _visible(request)
    remarks = str(request.state.form.get("remarks", "")).strip()
    try:
        await vetting.vet(actor(request), report, remarks)
    except vetting.VettingError as exc:
        return await _report_page(request, await MisReport.get(id=report.id), errors={"vet": _error(exc)}, remarks=remarks, status=400)
    return RedirectResponse(f"/mis/reports/{report.id}?done=vetted", status_code=303)


@page(SOCIETY)
async def return_report(request: Request) -> Response:
    report = await _visible(request)
    remarks = str(request.state.form.get("remarks", "")).strip()
    try:
        await vetting.return_report(actor(request), report, remarks)
    except vetting.VettingError as exc:
        return await _report_page(request, await MisReport.get(id=report.id), errors={"return": _error(exc)}, remarks=remarks,
                                  status=400)
    return RedirectResponse(f"/mis/reports/{report.id}?done=returned", status_code=303)


@page(READERS)
async def report_csv(request: Request) -> Response:
    report = await _visible(request)
    name = f"mis-report-{report.id}-{report.period_start}-{report.period_end}.csv"
    return Response(vetting.csv_text(report), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


ROUTES = [
    Route("/mis/reports", reports),
    Route("/mis/reports", submit, methods=["POST"]),
    Route("/mis/reports/preview", preview),
    Route("/mis/reports/{report_id:int}.csv", report_csv),
    Route("/mis/reports/{report_id:int}", report_page),
    Route("/mis/reports/{report_id:int}/vet", vet, methods=["POST"]),
    Route("/mis/reports/{report_id:int}/return", return_report, methods=["POST"]),
]

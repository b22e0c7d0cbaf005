"""The LSP's periodic MIS report and the Society's vetting of it.

The LSP's admin submits the figures of a calendar month (or a Monday–Sunday week) once it has
ended (:func:`submit`): they are read from the pre-aggregated :class:`DailyFigure` table
(:func:`compute`) and snapshotted into the report with a SHA-256 of their canonical JSON. The
Society's admin of the district vets the report (:func:`vet`), after which it is *frozen*: its
figures and adjustments never change again, and :func:`verify` recomputes the hash to show they
have not been altered. Or the Society returns it with remarks (:func:`return_report`), and the LSP
submits the period again (a new report; the returned one stays as it was, remarks and all).

A correction made after a period was vetted (a cheque of November cleared in December, a ticket
cancelled later) changes that period's live figures but never its frozen report: the next report
the LSP submits carries the difference as *adjustment* lines, each naming the vetted report it
corrects. Adjustments already carried by another submitted or vetted report are not repeated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from emitra.core import audit, clock, privacy, spreadsheet
from emitra.core.mis import MEASURES
from emitra.core.models import LSP, Counter, DailyFigure, MisReport, Role, ServiceRequest, User

SUBMITTED, RETURNED, VETTED = "submitted", "returned", "vetted"
STATUSES = (SUBMITTED, RETURNED, VETTED)
#: reports whose figures and adjustments count as reported (a returned one does not)
STANDING = (SUBMITTED, VETTED)
MIN_REMARKS = 5


class VettingError(Exception):
    """A report that cannot be submitted, vetted or returned, naming the field, in English and Hindi."""

    def __init__(self, field: str, message_en: str, message_hi: str):
        super().__init__(message_en)
        self.field = field
        self.message_en = message_en
        self.message_hi = message_hi


def _role(user: User | None) -> str:
    if user is None:
        return ""
    return user.role.value if hasattr(user.role, "value") else str(user.role)


def _dmy(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


# --- periods ------------------------------------------------------------------------------------

def month_end(start: dt.date) -> dt.date:
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def period_kind(start: dt.date, end: dt.date) -> str | None:
    """``month`` (a calendar month), ``week`` (Monday to Sunday), or None."""
    if start.day == 1 and end == month_end(start):
        return "month"
    if start.weekday() == 0 and end == start + dt.timedelta(days=6):
        return "week"
    return None


def recent_months(today: dt.date, count: int = 12) -> list[tuple[dt.date, dt.date]]:
    """The last ``count`` calendar months that have ended, the latest first."""
    out = []
    end = today.replace(day=1) - dt.timedelta(days=1)
    for _ in range(count):
        start = end.replace(day=1)
        out.append((start, end))
        end = start - dt.timedelta(days=1)
    return out


def recent_weeks(today: dt.date, count: int = 8) -> list[tuple[dt.date, dt.date]]:
    """The last ``count`` Monday–Sunday weeks that have ended, the latest first."""
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return [(monday - dt.timedelta(days=7 * n), monday - dt.timedelta(days=7 * n - 6)) for n in range(count)]


def check_period(start: dt.date, end: dt.date, today: dt.date | None = None) -> str:
    """The kind of the period, or a :class:`VettingError` saying what is wrong with it."""
    today = today or clock.today()
    kind = period_kind(start, end)
    if kind is None:
        raise VettingError("start", f"Period: {_dmy(start)} to {_dmy(end)} is neither a calendar month nor a Monday-to-Sunday week; "
                           "choose one of the months or weeks offered.",
                           f"अवधि: {_dmy(start)} से {_dmy(end)} न कैलेंडर माह है न सोमवार से रविवार का सप्ताह; दिए गए माह या सप्ताह में से चुनें।")
    if end >= today:
        raise VettingError("end", f"Period: it ends on {_dmy(end)} and has not ended yet (today is {_dmy(today)}); "
                           "a report is submitted after the period's last day.",
                           f"अवधि: यह {_dmy(end)} को समाप्त होती है और अभी समाप्त नहीं हुई (आज {_dmy(today)} है); "
                           "रिपोर्ट अवधि के अंतिम दिन के बाद प्रस्तुत की जाती है।")
    return kind


# --- figures ------------------------------------------------------------------------------------

def _titles(codes: set[str]) -> dict[str, tuple[str, str]]:
    from emitra.core.plugins import get_host

    host = get_host()
    out = {}
    for code in codes:
        service = host.registry.get(code) or host.all_declared.get(code)
        if service is not None:
            out[code] = (service.title_en, service.title_hi)
    return out


async def compute(lsp: LSP, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The LSP's figures for [start, end] from the daily table, per counter and service, with totals.

    One grouped query; rows ordered by counter code then service code; integers only (paise).
    """
    grouped = await (DailyFigure.filter(lsp_id=lsp.id, business_date__gte=start, business_date__lte=end)
                     .annotate(**{f"s_{m}": Sum(m) for m in MEASURES})
                     .group_by("counter_id", "service_code", "provider")
                     .values("counter_id", "service_code", "provider", *(f"s_{m}" for m in MEASURES)))
    merged: dict[tuple[int, str], dict[str, Any]] = {}
    for g in grouped:
        row = merged.setdefault((g["counter_id"], g["service_code"]), {"provider": g["provider"], **{m: 0 for m in MEASURES}})
        for m in MEASURES:
            row[m] += int(g[f"s_{m}"] or 0)  # PostgreSQL sums bigints as numeric
    merged = {k: v for k, v in merged.items() if any(v[m] for m in MEASURES)}
    counters = {c.id: c for c in await Counter.filter(id__in={k[0] for k in merged})} if merged else {}
    codes = {k[1] for k in merged}
    titles = _titles(codes)
    for code in codes - set(titles):  # a plugin no longer loaded: the title the request recorded
        first = await ServiceRequest.filter(service_code=code).order_by("id").first().values("service_title_en", "service_title_hi")
        titles[code] = (first["service_title_en"], first["service_title_hi"]) if first else (code, code)
    rows = []
    for (counter_id, code), values in merged.items():
        counter = counters[counter_id]
        rows.append({"counter": counter.code, "counter_name": counter.name, "service_code": code, "title_en": titles[code][0],
                     "title_hi": titles[code][1], "provider": values["provider"], **{m: values[m] for m in MEASURES}})
    rows.sort(key=lambda r: (r["counter"], r["service_code"]))
    totals = {m: sum(r[m] for r in rows) for m in MEASURES}
    return {"lsp_id": lsp.id, "lsp": lsp.name, "period_start": start.isoformat(), "period_end": end.isoformat(),
            "rows": rows, "totals": totals}


def by_counter(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``figures`` grouped by counter, each with its subtotal (for the report page)."""
    out: list[dict[str, Any]] = []
    for row in figures.get("rows", []):
        if not out or out[-1]["counter"] != row["counter"]:
            out.append({"counter": row["counter"], "counter_name": row.get("counter_name", ""), "rows": [],
                        "subtotal": {m: 0 for m in MEASURES}})
        out[-1]["rows"].append(row)
        for m in MEASURES:
            out[-1]["subtotal"][m] += int(row.get(m, 0))
    return out


def canonical(figures: dict[str, Any], adjustments: list[dict[str, Any]]) -> bytes:
    return json.dumps({"figures": figures, "adjustments": adjustments}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def digest(figures: dict[str, Any], adjustments: list[dict[str, Any]]) -> str:
    return hashlib.sha256(canonical(figures, adjustments)).hexdigest()


def verify(report: MisReport) -> bool:
    """True when the stored figures and adjustments still hash to the stored SHA-256 and belong to
    the report's LSP and period (False: they were altered outside this module)."""
    figures = report.figures if isinstance(report.figures, dict) else {}
    adjustments = report.adjustments if isinstance(report.adjustments, list) else []
    if not report.sha256 or digest(figures, adjustments) != report.sha256:
        return False
    return (figures.get("lsp_id"), figures.get("period_start"), figures.get("period_end")) == (
        report.lsp_id, report.period_start.isoformat(), report.period_end.isoformat())


# --- adjustments --------------------------------------------------------------------------------

def _keyed(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["counter"], r["service_code"]): r for r in rows}


async def adjustments_for(lsp: LSP, exclude_id: int | None = None) -> list[dict[str, Any]]:
    """For every vetted report of the LSP: where its period's live figures now differ from what was
    frozen plus what other standing reports already carried for it, one line per counter and service."""
    vetted = await MisReport.filter(lsp_id=lsp.id, status=VETTED).order_by("period_start", "id")
    if not vetted:
        return []
    standing = MisReport.filter(lsp_id=lsp.id, status__in=STANDING)
    if exclude_id is not None:
        standing = standing.exclude(id=exclude_id)
    reported: dict[tuple[int, str, str], dict[str, int]] = {}
    for adjustments in await standing.values_list("adjustments", flat=True):
        for line in adjustments or []:
            key = (int(line["of_report"]), line["counter"], line["service_code"])
            acc = reported.setdefault(key, {m: 0 for m in MEASURES})
            for m in MEASURES:
                acc[m] += int(line.get("deltas", {}).get(m, 0))
    out = []
    for report in vetted:
        if not verify(report):  # adjustments against altered figures would carry the alteration forward
            raise VettingError("report", f"Vetted report {report.id} ({_dmy(report.period_start)} to {_dmy(report.period_end)}) no longer "
                               "matches its SHA-256, so corrections to it cannot be computed; the Society must look into it "
                               "(`emitra mis verify`) before another report is submitted.",
                               f"सत्यापित रिपोर्ट {report.id} ({_dmy(report.period_start)} से {_dmy(report.period_end)}) अब अपने SHA-256 से "
                               "मेल नहीं खाती, इसलिए उसके सुधार की गणना नहीं हो सकती; अगली रिपोर्ट से पहले सोसाइटी इसकी जांच करे "
                               "(`emitra mis verify`)।")
        live = await compute(lsp, report.period_start, report.period_end)
        now, frozen = _keyed(live["rows"]), _keyed(report.figures.get("rows", []))
        for key in sorted(set(now) | set(frozen) | {(c, s) for (r, c, s) in reported if r == report.id}):
            before = {m: int(frozen.get(key, {}).get(m, 0)) + reported.get((report.id, *key), {}).get(m, 0) for m in MEASURES}
            after = {m: int(now.get(key, {}).get(m, 0)) for m in MEASURES}
            deltas = {m: after[m] - before[m] for m in MEASURES}
            if not any(deltas.values()):
                continue
            source = now.get(key) or frozen.get(key) or {}
            out.append({"of_report": report.id, "period_start": report.period_start.isoformat(),
                        "period_end": report.period_end.isoformat(), "counter": key[0], "service_code": key[1],
                        "title_en": source.get("title_en", key[1]), "title_hi": source.get("title_hi", key[1]), "deltas": deltas})
    return out


def adjustment_totals(adjustments: list[dict[str, Any]]) -> dict[str, int]:
    return {m: sum(int(a.get("deltas", {}).get(m, 0)) for a in adjustments) for m in MEASURES}


# --- the steps ----------------------------------------------------------------------------------

def _frozen_error(report: MisReport) -> VettingError:
    when = _dmy(report.decided_at.date()) if report.decided_at else ""
    return VettingError("report", f"Report {report.id} was vetted on {when} and is frozen: its figures and adjustments "
                        "can no longer change; corrections go into the next report as adjustments.",
                        f"रिपोर्ट {report.id} का {when} को सत्यापन हो चुका है और यह स्थिर (फ्रीज़) है: इसके आंकड़े और समायोजन "
                        "अब नहीं बदल सकते; सुधार अगली रिपोर्ट में समायोजन के रूप में जाते हैं।")


async def standing_overlap(lsp_id: int, start: dt.date, end: dt.date) -> MisReport | None:
    """The LSP's submitted or vetted report that covers part of ``start``..``end`` (the first), if
    any: that period is reported already, and is not submitted again (a returned one may be)."""
    return await (MisReport.filter(lsp_id=lsp_id, status__in=STANDING, period_start__lte=end, period_end__gte=start)
                  .order_by("period_start").first())


def overlap_error(clash: MisReport) -> VettingError:
    """Why a period ``clash`` covers is not submitted: said by the submission refused, and by the
    preview before it (decision 199)."""
    state_en = "vetted" if clash.status == VETTED else "waiting for the Society's vetting"
    state_hi = "सत्यापित" if clash.status == VETTED else "सोसाइटी के सत्यापन की प्रतीक्षा में"
    return VettingError("start", f"Period: report {clash.id} for {_dmy(clash.period_start)} to {_dmy(clash.period_end)} "
                        f"overlaps it and is {state_en}; a period is reported once (a returned report may be submitted again).",
                        f"अवधि: {_dmy(clash.period_start)} से {_dmy(clash.period_end)} की रिपोर्ट {clash.id} इससे मेल खाती है "
                        f"और {state_hi} है; एक अवधि की रिपोर्ट एक ही बार दी जाती है (लौटाई गई रिपोर्ट फिर से दी जा सकती है)।")


async def submit(actor: audit.Actor, lsp: LSP, start: dt.date, end: dt.date) -> MisReport:
    """The LSP admin submits the LSP's figures of a past month or week (audited, one transaction)."""
    user = actor.user
    if user is None or _role(user) != Role.LSP_ADMIN.value or user.lsp_id != lsp.id:
        raise VettingError("lsp", f"Only an admin of {lsp.name} can submit its MIS report.",
                           f"{lsp.name} की एमआईएस रिपोर्ट केवल उसका एडमिन प्रस्तुत कर सकता है।")
    kind = check_period(start, end)
    async with in_transaction():
        await _lock(LSP, lsp.id)  # two submissions of the same LSP at once: one waits for the other
        clash = await standing_overlap(lsp.id, start, end)
        if clash is not None:
            raise overlap_error(clash)
        figures = await compute(lsp, start, end)
        adjustments = await adjustments_for(lsp)
        returned = await MisReport.filter(lsp_id=lsp.id, status=RETURNED, period_start=start, period_end=end).order_by("-id").first()
        report = await MisReport.create(district_id=lsp.district_id, lsp_id=lsp.id, period_start=start, period_end=end,
                                        status=SUBMITTED, figures=figures, adjustments=adjustments, submitted_by=user,
                                        submitted_at=clock.now(), sha256=digest(figures, adjustments))
        await audit.record(actor, "mis_report.submit", report, district_id=lsp.district_id, detail={
            "lsp_id": lsp.id, "period_start": start.isoformat(), "period_end": end.isoformat(), "kind": kind,
            "sha256": report.sha256, "transactions": figures["totals"]["transactions"], "adjustments": len(adjustments),
            "resubmits": returned.id if returned else None})
    return report


async def _lock(model: Any, pk: int) -> None:
    from emitra.core.workflow import _supports_for_update

    if _supports_for_update():
        await model.select_for_update().get(id=pk)


def _check_society(actor: audit.Actor, report: MisReport, verb_en: str, verb_hi: str) -> None:
    user = actor.user
    if user is None or _role(user) != Role.SOCIETY_ADMIN.value or user.district_id != report.district_id:
        raise VettingError("report", f"Only the Society admin of the report's district can {verb_en} it.",
                           f"इस रिपोर्ट को केवल उसके ज़िले का सोसाइटी एडमिन {verb_hi} सकता है।")


async def _decide(actor: audit.Actor, report: MisReport, status: str, remarks: str) -> MisReport:
    remarks = privacy.mask_aadhaar_in_text(remarks)  # kept masked, as a case's text (docs/security.md)
    async with in_transaction():
        fresh = await MisReport.get(id=report.id)
        if fresh.status == VETTED:
            raise _frozen_error(fresh)
        if fresh.status != SUBMITTED:
            raise VettingError("report", f"Report {fresh.id} was returned to the LSP; only a submitted report can be vetted or returned.",
                               f"रिपोर्ट {fresh.id} एलएसपी को लौटाई जा चुकी है; केवल प्रस्तुत रिपोर्ट का सत्यापन या वापसी हो सकती है।")
        if status == VETTED and not verify(fresh):
            raise VettingError("report", f"Report {fresh.id}: its stored figures do not match their SHA-256; "
                               "return it so that the LSP submits the period again.",
                               f"रिपोर्ट {fresh.id}: संग्रहीत आंकड़े उनके SHA-256 से मेल नहीं खाते; इसे लौटाएं ताकि एलएसपी अवधि फिर से प्रस्तुत करे।")
        at = clock.now()
        # conditional on the status still being "submitted": a concurrent decision changes nothing
        changed = await MisReport.filter(id=fresh.id, status=SUBMITTED).update(status=status, decided_by_id=actor.user.id,
                                                                                decided_at=at, remarks=remarks)
        if not changed:
            raise _frozen_error(await MisReport.get(id=fresh.id))
        await audit.record(actor, f"mis_report.{'vet' if status == VETTED else 'return'}", fresh, district_id=fresh.district_id,
                           detail={"lsp_id": fresh.lsp_id, "period_start": fresh.period_start.isoformat(),
                                   "period_end": fresh.period_end.isoformat(), "remarks": remarks, "sha256": fresh.sha256})
    return await MisReport.get(id=report.id)


async def vet(actor: audit.Actor, report: MisReport, remarks: str = "") -> MisReport:
    """The Society admin of the district vets a submitted report: from now on it is frozen."""
    _check_society(actor, report, "vet", "सत्यापित कर")
    remarks = (remarks or "").strip()
    if len(remarks) > 2000:
        raise VettingError("remarks", "Remarks: at most 2000 characters.", "टिप्पणी: अधिकतम 2000 अक्षर।")
    return await _decide(actor, report, VETTED, remarks)


async def return_report(actor: audit.Actor, report: MisReport, remarks: str) -> MisReport:
    """The Society admin returns a submitted report to the LSP, saying why (at least 5 characters)."""
    _check_society(actor, report, "return", "लौटा")
    remarks = (remarks or "").strip()
    if len(remarks) < MIN_REMARKS or len(remarks) > 2000:
        raise VettingError("remarks", "Remarks: say what the LSP must correct, 5 to 2000 characters.",
                           "टिप्पणी: एलएसपी को क्या सुधारना है, 5 से 2000 अक्षरों में लिखें।")
    return await _decide(actor, report, RETURNED, remarks)


# --- reading ------------------------------------------------------------------------------------

def visible(user: User, report: MisReport) -> bool:
    """LSP admin: their LSP's reports; Society admin: their district's; state admin: all."""
    role = _role(user)
    if role == Role.STATE_ADMIN.value:
        return True
    if role == Role.LSP_ADMIN.value:
        return user.lsp_id is not None and report.lsp_id == user.lsp_id
    if role == Role.SOCIETY_ADMIN.value:
        return user.district_id is not None and report.district_id == user.district_id
    return False


def scope(user: User) -> Any:
    """The reports this user may read (before filters)."""
    role = _role(user)
    if role == Role.STATE_ADMIN.value:
        return MisReport.all()
    if role == Role.LSP_ADMIN.value and user.lsp_id is not None:
        return MisReport.filter(lsp_id=user.lsp_id)
    if role == Role.SOCIETY_ADMIN.value and user.district_id is not None:
        return MisReport.filter(district_id=user.district_id)
    return MisReport.filter(id=-1)


async def history(report: MisReport) -> list[MisReport]:
    """The other reports of the same LSP and period (earlier returned submissions), oldest first."""
    return await (MisReport.filter(lsp_id=report.lsp_id, period_start=report.period_start, period_end=report.period_end)
                  .exclude(id=report.id).order_by("id"))


async def verify_all(status: str = VETTED) -> list[MisReport]:
    """The reports (vetted by default) whose stored JSON no longer matches their SHA-256."""
    return [r for r in await MisReport.filter(status=status).order_by("id") if not verify(r)]


def csv_text(report: MisReport) -> str:
    """The report as CSV: the figures per counter and service, the total, then the adjustments."""
    import io

    buf = io.StringIO()
    w = spreadsheet.writer(buf, lineterminator="\n")
    head = ["section", "period_start", "period_end", "of_report", "counter", "service_code", "title_en", "provider", *MEASURES]
    w.writerow(head)
    figures = report.figures or {}
    start, end = report.period_start.isoformat(), report.period_end.isoformat()
    for r in figures.get("rows", []):
        w.writerow(["figures", start, end, "", r["counter"], r["service_code"], r["title_en"], r["provider"], *(r[m] for m in MEASURES)])
    totals = figures.get("totals", {m: 0 for m in MEASURES})
    w.writerow(["total", start, end, "", "", "", "", "", *(totals.get(m, 0) for m in MEASURES)])
    for a in report.adjustments or []:
        w.writerow(["adjustment", a["period_start"], a["period_end"], a["of_report"], a["counter"], a["service_code"],
                    a.get("title_en", ""), "", *(a["deltas"].get(m, 0) for m in MEASURES)])
    w.writerow(["report", start, end, report.id, "", "", f"status {report.status}", f"sha256 {report.sha256}", *([""] * len(MEASURES))])
    return buf.getvalue()

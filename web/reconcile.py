"""The Society admin's weekly reconciliation page (docs/reconciliation.md).

GET shows the upload forms and, for a week (``?week=YYYY-MM-DD``, any day of it; by default the
last full Monday–Sunday week), its report: the one kept from the last time it was computed while
nothing it was computed from has changed, else computed now and kept (core/reconcile_saved.py; no
statement line or balance is written). POST does one of five things, named by ``action``: import a
bank statement CSV, import Stripe balance transactions (JSON), run the reconciliation of a week and
record it (with, when asked, the confirmation of the day-end deposits it matched), compute a
week's report again (``refresh``), or withdraw a bank statement or a Stripe file imported by mistake
(``withdraw``, with ``import_id`` and ``reason``: core/statement_withdraw.py; a Stripe file's payouts
and fees reversed with it, decision 98). Every upload is all or nothing: the
page lists every bad line with its number and reason, and nothing is imported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from emitra.core import clock
from emitra.core import reconcile as rec
from emitra.core import reconcile_saved as saved
from emitra.core import statement_withdraw as sw
from emitra.core.documents import display_name
from emitra.core.models import District, Role, StatementImport
from emitra.web.i18n import _, pick
from emitra.web.labels import N_
from emitra.web.security import actor, page
from emitra.web.templating import render

SOCIETY = [Role.SOCIETY_ADMIN]
PAGE = "/society/reconciliation"

KIND_LABELS = {
    "deposit": N_("Day-end cash deposit"),
    "settlement": N_("Settlement of the LSP's share"),
    "remittance": N_("Remittance to a department"),
    "cheque": N_("Cheque or draft clearing"),
    "fee_claim": N_("Service charges paid by a department"),
    "wallet_topup": N_("Wallet top-up"),
    "wallet_refund": N_("Closed counters' wallets refunded to an LSP"),
    "upi_refund": N_("UPI refund sent to a citizen"),
    "upi_refund_return": N_("UPI refund returned by the citizen's bank"),
    "card_payout": N_("Card payout (Stripe)"),
    "card_charge": N_("Card payment"),
    "card_refund": N_("Card refund"),
    "card_fee": N_("Card processing fees"),
    "upi": N_("UPI payment"),
    "other": N_("Other"),
}
SOURCE_LABELS = {"bank": N_("Bank statement"), "stripe": N_("Stripe"), "ledger": N_("Ledger")}
STATUS_LABELS = {
    "in_transit": N_("in transit"),
    "in_transit_flagged": N_("in transit, flagged at day end"),
    "confirmed": N_("confirmed"),
    "confirmed_flagged": N_("confirmed, flagged"),
}


def kind_label(kind: str) -> str:
    return _(KIND_LABELS.get(kind, KIND_LABELS["other"]))


def _week(text: str | None) -> tuple[dt.date, dt.date, str]:
    """The Monday–Sunday week of the day given (YYYY-MM-DD), else the last full week; and an
    error message when the text was not a date a statement can have."""
    if text:
        try:
            start, end = rec.week_given(text)
            return start, end, ""
        except ValueError:  # not a date, or one outside 2000 to 2099 (rec.FIRST_DATE, rec.LAST_DATE)
            start, end = rec.last_full_week()
            return start, end, _("Give the week as a date from 2000 to 2099 (YYYY-MM-DD), any day of that week.")
    start, end = rec.last_full_week()
    return start, end, ""


def _errors(exc: rec.StatementError) -> list[dict[str, Any]]:
    return [{"line": e.line, "item": e.item, "field": e.field, "message": pick(e.message_en, e.message_hi)} for e in exc.errors]


async def _render(request: Request, status: int = 200, *, week: tuple[dt.date, dt.date] | None = None, fresh: bool = False,
                  run: bool = False, errors: dict[str, Any] | None = None, imported: StatementImport | None = None,
                  week_error: str = "", withdrawn: sw.Withdrawal | None = None) -> Response:
    """The page for a week: its saved report while current, else computed now (``fresh``: always;
    ``run``: the report of the run just recorded, with the deposits it confirmed)."""
    user = request.state.user
    district = await District.get(id=user.district_id)
    if week is None:
        start, end, week_error = _week(request.query_params.get("week"))
        status = 400 if week_error else status  # the last full week is shown below the refusal
    else:
        start, end = week
    kept = await saved.latest(district.id, start, end, recorded=True) if run else None
    if kept is not None:
        report, snap = saved.from_snapshot(kept, district.code), kept
    else:
        report, snap = await saved.week_report(district.id, start, end, fresh=fresh)
    last_run = snap if snap.recorded else await saved.latest(district.id, start, end, recorded=True)
    imports = await StatementImport.filter(district_id=district.id).order_by("-imported_at", "-id").limit(10)
    return render(request, "reconcile/page.html", {
        "district": district, "report": report, "start": start, "end": end,
        "prev_week": (start - dt.timedelta(days=7)).isoformat(), "next_week": (start + dt.timedelta(days=7)).isoformat(),
        "snap": snap, "last_run": last_run,
        "imports": imports, "errors": errors or {}, "imported": imported, "week_error": week_error,
        "kind_label": kind_label, "source_label": lambda s: _(SOURCE_LABELS.get(s, s)),
        "status_label": lambda s: _(STATUS_LABELS[s]) if s in STATUS_LABELS else s,
        "can_confirm": rec.can_confirm_deposits(), "max_mb": rec.MAX_FILE_BYTES // (1024 * 1024),
        "begun": start <= clock.today(), "left_out": _left_out(imported), "read_notes": getattr(imported, "notes", None) or [],
        "withdrawn": withdrawn, "min_reason": sw.MIN_REASON, "max_reason": sw.MAX_REASON,
    }, status)


def _left_out(imported: StatementImport | None) -> list[tuple[int, int]]:
    """The lines of an import just made that earlier imports had (left out), by earlier import."""
    left_out = getattr(imported, "left_out", None) or {}
    return sorted(left_out.items())


async def _upload(form: Any) -> tuple[bytes, str] | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(rec.MAX_FILE_BYTES + 1)  # never more than the limit into memory
    return data, display_name(upload.filename)


@page(SOCIETY)
async def reconciliation(request: Request) -> Response:
    """The page (GET), and the imports and the recorded run (POST, by ``action``)."""
    if request.method != "POST":
        return await _render(request)
    form = request.state.form
    action = str(form.get("action", ""))
    user = request.state.user
    if action in ("import_bank", "import_stripe"):
        got = await _upload(form)
        if got is None:
            return await _render(request, 400, errors={action: [{"line": 0, "item": None, "field": "file",
                                                                  "message": _("Choose the file to import.")}]})
        data, filename = got
        importer = rec.import_bank_statement if action == "import_bank" else rec.import_stripe_transactions
        try:
            imported = await importer(actor(request), user.district_id, data, filename)
        except rec.StatementError as exc:
            return await _render(request, 400, errors={action: _errors(exc)})
        if imported.period_end:
            start, end = rec.week_of(imported.period_end)
            return await _render(request, week=(start, end), imported=imported)
        return await _render(request, imported=imported)
    if action == "run":
        start, end, week_error = _week(str(form.get("week", "")))
        if week_error:
            return await _render(request, 400, week=(start, end), week_error=week_error)
        try:
            await rec.reconcile(actor(request), user.district_id, start, end, confirm_deposits=form.get("confirm_deposits") == "1")
        except rec.WeekNotBegun as exc:
            return await _render(request, 400, week=(start, end), week_error=pick(exc.message_en, exc.message_hi))
        return await _render(request, week=(start, end), run=True)
    if action == "withdraw":
        return await _withdraw(request, form)
    if action == "refresh":
        start, end, week_error = _week(str(form.get("week", "")))
        return await _render(request, 400 if week_error else 200, week=(start, end), week_error=week_error, fresh=not week_error)
    return await _render(request, 400, errors={"action": [{"line": 0, "item": None, "field": "action",
                                                           "message": _("Unknown action; use the buttons on this page.")}]})


#: the fields of a withdrawal as its refusal names them (core/statement_withdraw.py's ``field``), in words
WITHDRAW_FIELDS = {"import_id": N_("Import number"), "import": N_("Import number"), "reason": N_("Reason")}


async def _withdraw(request: Request, form: Any) -> Response:
    """Withdraw a statement import (core/statement_withdraw.py): the page of the week its last
    line fell in, saying what was taken back and which weeks to run again; or the refusal, with
    nothing changed."""
    text = str(form.get("import_id", "")).strip().lstrip("#")
    if not text.isdigit() or len(text) > 10:
        return await _render(request, 400, errors={"withdraw": [{"line": 0, "item": None, "field": _(WITHDRAW_FIELDS["import_id"]),
                                                                  "message": _("Give the number of the import to withdraw, as the list shows it.")}]})
    try:
        done = await sw.withdraw_import(actor(request), request.state.user.district_id, int(text), form.get("reason", ""))
    except sw.WithdrawRefused as exc:
        field = _(WITHDRAW_FIELDS[exc.field]) if exc.field in WITHDRAW_FIELDS else exc.field
        return await _render(request, 400, errors={"withdraw": [{"line": 0, "item": None, "field": field,
                                                                  "message": pick(exc.message_en, exc.message_hi)}],
                                                   "withdraw_id": int(text)})
    week = done.weeks[-1] if done.weeks else None
    return await _render(request, week=week, withdrawn=done)


def _export_week(request: Request) -> tuple[dt.date, dt.date]:
    start, end, week_error = _week(request.query_params.get("week"))
    if week_error:  # not another week's figures under a file name the Society did not ask for
        raise HTTPException(400, week_error)
    return start, end


def _download(body: str | bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@page(SOCIETY)
async def export_csv(request: Request) -> Response:
    """The report of a week as CSV (``?week=YYYY-MM-DD``), computed now, for a spreadsheet (UTF-8 with a
    byte-order mark, formula-like cells neutralised: core/spreadsheet.py); nothing is written."""
    start, end = _export_week(request)
    report, text = await rec.export_csv(request.state.user.district_id, start, end)
    # a byte-order mark first, as the reports' export: without it Excel reads the file as the
    # computer's ANSI code page, and a narration's dash, accent or Hindi comes out as "â€“" (decision 58)
    return _download("\ufeff" + text, "text/csv; charset=utf-8", f"reconciliation-{report.district_code}-{start.isoformat()}-{end.isoformat()}.csv")


@page(SOCIETY)
async def export_xlsx(request: Request) -> Response:
    """The report of a week as an Excel workbook (``?week=YYYY-MM-DD``): the CSV's rows, with every
    reference and narration a text cell, so Excel keeps a UTR's or a card number's digits (decision 67)."""
    start, end = _export_week(request)
    report, data = await rec.export_xlsx(request.state.user.district_id, start, end)
    return _download(data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"reconciliation-{report.district_code}-{start.isoformat()}-{end.isoformat()}.xlsx")

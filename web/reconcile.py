"""The Society admin's weekly reconciliation page (docs/reconciliation.md).

GET shows the upload forms and, for a week (``?week=YYYY-MM-DD``, any day of it; by default the
last full Monday–Sunday week), its report: the one kept from the last time it was computed while
nothing it was computed from has changed, else computed now and kept (core/reconcile_saved.py; no
statement line or balance is written). POST does one of seven things, named by ``action``: import a
bank statement CSV, import Stripe balance transactions (JSON), fetch a week's from Stripe and
import them as the command line's ``--from-stripe`` does (``fetch_stripe``, with ``week``; the file
fetched is then downloadable: GET ``/society/reconciliation/fetched/<import>.json``), run the reconciliation of a week and
record it (with, when asked, the confirmation of the day-end deposits it matched), compute a
week's report again (``refresh``), or withdraw a bank statement or a Stripe file imported by mistake
(``withdraw``, with ``import_id`` and ``reason``: core/statement_withdraw.py; a Stripe file's payouts
and fees reversed with it, decision 98; a bank statement's bookings of its lines as the bank's charges
or interest reversed with it when ``reverse_bookings`` is ticked, refused otherwise, decision 161), or book an unmatched bank statement line as the bank's
charges or interest (``book_line``, with ``line_id``, ``book_as`` and ``reason``: core/bank_lines.py,
decision 156). Every upload is all or nothing: the
page lists every bad line with its number and reason, and nothing is imported.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from emitra.core import bank_lines, clock
from emitra.core import reconcile as rec
from emitra.core import reconcile_saved as saved
from emitra.core import settlement
from emitra.core import statement_withdraw as sw
from emitra.core.documents import display_name
from emitra.core.money import format_paise
from emitra.core.models import LSP, District, Role, StatementImport
from emitra.core.plugins import department_hi
from emitra.web.i18n import _, memo, pick
from emitra.web.labels import N_, account_label
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
    "bank_charges": N_("Bank charges"),
    "bank_interest": N_("Interest paid by the bank"),
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


#: the kinds of account whose party is a department or partner (its slug), and an LSP (its number)
_PROVIDER_ACCOUNTS = ("dept_payable", "dept_fee_receivable", "partner_fee_receivable")
_LSP_ACCOUNTS = ("lsp_fee_payable", "lsp_sales", "wallet_refund_payable")


async def account_names(district_id: int, accounts: list[str]) -> dict[str, str]:
    """Each account in words in the page's language (web/labels.account_label): what it holds, and
    whose: a department or partner by its name (in Hindi where its plugin gives one), an LSP by its
    name, a counter by its code; one look-up of the LSPs named, none per account."""
    parties = [a.partition(":") for a in accounts]
    slugs = {p for k, _s, p in parties if k in _PROVIDER_ACCOUNTS and p}
    lsp_ids = {int(p) for k, _s, p in parties if k in _LSP_ACCOUNTS and p.isdigit()}
    providers = await settlement.provider_names(district_id, slugs) if slugs else {}
    lsps = dict(await LSP.filter(id__in=lsp_ids).values_list("id", "name")) if lsp_ids else {}
    names: dict[str, str] = {}
    for account, (kind, _s, party) in zip(accounts, parties):
        if kind in _PROVIDER_ACCOUNTS and party in providers:
            name = providers[party]
            names[account] = account_label(account, pick(name, department_hi(name) or name))
        elif kind in _LSP_ACCOUNTS and party.isdigit() and int(party) in lsps:
            names[account] = account_label(account, lsps[int(party)])
        else:
            names[account] = account_label(account)
    return names


def problem_texts(report: rec.Report, names: dict[str, str]) -> list[str]:
    """The report's problems in the page's language, an account a problem names in words (``names``:
    :func:`account_names`) with its ledger name in brackets for the accountant, its figures from the
    report's roll-forward (a report kept before the account was kept with its message has it read
    from the text, core/reconcile_saved._from_message); any other problem as its text."""
    rolls = {a.account: a for a in report.accounts}
    texts = []
    for problem in report.problems:
        roll = rolls.get(getattr(problem, "account", ""))
        if roll is None or names.get(roll.account, roll.account) == roll.account:  # (an account no table names: its key is its name)
            texts.append(pick(problem.en, problem.hi))
            continue
        texts.append(_("%(account)s (%(key)s) does not roll forward: opening %(opening)s + in %(in)s − out %(out)s ≠ closing %(closing)s")
                     % {"account": names[roll.account], "key": roll.account, "opening": format_paise(roll.opening_paise),
                        "in": format_paise(roll.in_paise), "out": format_paise(roll.out_paise), "closing": format_paise(roll.closing_paise)})
    return texts


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


#: the fields a refusal names (core/reconcile.LineError.field, core/statement_withdraw's, the page's
#: own), in words; the bank's columns by core/reconcile.COLUMN_EN / COLUMN_HI, which its messages use.
#: ``tests/test_reconcile_labels.py`` checks every field core/reconcile.py names is labelled.
FIELDS = {
    "file": N_("The file"),
    "header": N_("Header (the column names)"),
    "columns": N_("Columns"),
    "line": N_("Line"),
    "account": N_("Account number"),
    "summary": N_("Statement summary"),
    "data": N_("The file's contents"),
    "transaction": N_("Transaction"),
    "stripe": N_("Stripe"),
    "id": N_("Stripe id"),
    "fee": N_("Fee"),
    "net": N_("Net amount"),
    "type": N_("Type"),
    "created": N_("Time (created)"),
    "source": N_("Source"),
    "currency": N_("Currency"),
    "import_id": N_("Import number"),
    "import": N_("Import number"),
    "reason": N_("Reason"),
    "action": N_("Action"),
    "week": N_("Week"),
    "book_as": N_("Book as"),
    "reverse_bookings": N_("Also reverse its bookings"),
}
#: the fields that are keys of a Stripe file: their key is shown beside the label, as the file names it
STRIPE_KEYS = frozenset({"id", "amount", "fee", "net", "type", "created", "source", "currency", "description"})


def field_label(field: str) -> str:
    """A refused field in words in the page's language; the code itself when it has no label."""
    if field in rec.COLUMN_EN:
        en = rec.COLUMN_EN[field]
        return pick(en[:1].upper() + en[1:], rec.COLUMN_HI[field])
    return _(FIELDS[field]) if field in FIELDS else field


def _errors(exc: rec.StatementError, stripe: bool = False) -> list[dict[str, Any]]:
    return [{"line": e.line, "item": e.item, "field": field_label(e.field), "key": e.field if stripe and e.field in STRIPE_KEYS else "",
             "message": pick(e.message_en, e.message_hi)} for e in exc.errors]


async def _render(request: Request, status: int = 200, *, week: tuple[dt.date, dt.date] | None = None, fresh: bool = False,
                  run: bool = False, errors: dict[str, Any] | None = None, imported: StatementImport | None = None,
                  week_error: str = "", withdrawn: sw.Withdrawal | None = None, booked: bank_lines.Booked | None = None) -> Response:
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
    names = await account_names(district.id, [a.account for a in report.accounts])
    return render(request, "reconcile/page.html", {
        "district": district, "report": report, "start": start, "end": end,
        "prev_week": (start - dt.timedelta(days=7)).isoformat(), "next_week": (start + dt.timedelta(days=7)).isoformat(),
        "snap": snap, "last_run": last_run,
        "imports": imports, "errors": errors or {}, "imported": imported, "week_error": week_error,
        "kind_label": kind_label, "source_label": lambda s: _(SOURCE_LABELS.get(s, s)), "account_name": names,
        "problems": problem_texts(report, names),
        "status_label": lambda s: _(STATUS_LABELS[s]) if s in STATUS_LABELS else s,
        "can_confirm": rec.can_confirm_deposits(), "max_mb": rec.MAX_FILE_BYTES // (1024 * 1024),
        "begun": start <= clock.today(), "left_out": _left_out(imported), "read_notes": getattr(imported, "notes", None) or [],
        "withdrawn": withdrawn, "withdrawn_bookings": [pick(b.named_en(), b.named_hi()) for b in withdrawn.bookings] if withdrawn else [],
        "min_reason": sw.MIN_REASON, "max_reason": sw.MAX_REASON,
        "stripe_listing": rec.stripe_listing_available(), "stripe_setting": rec.STRIPE_KEY_SETTING,
        "fetched": {i.id for i in imports if rec.fetched_kept(i)}, "booked": booked,
        "book_min": bank_lines.MIN_REASON, "book_max": bank_lines.MAX_REASON,
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
            return await _render(request, 400, errors={action: [{"line": 0, "item": None, "field": field_label("file"),
                                                                  "message": _("Choose the file to import.")}]})
        data, filename = got
        importer = rec.import_bank_statement if action == "import_bank" else rec.import_stripe_transactions
        try:
            imported = await importer(actor(request), user.district_id, data, filename)
        except rec.StatementError as exc:
            return await _render(request, 400, errors={action: _errors(exc, stripe=action == "import_stripe")})
        if imported.period_end:
            start, end = rec.week_of(imported.period_end)
            return await _render(request, week=(start, end), imported=imported)
        return await _render(request, imported=imported)
    if action == "fetch_stripe":
        return await _fetch_stripe(request, form)
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
    if action == "book_line":
        return await _book_line(request, form)
    if action == "refresh":
        start, end, week_error = _week(str(form.get("week", "")))
        return await _render(request, 400 if week_error else 200, week=(start, end), week_error=week_error, fresh=not week_error)
    return await _render(request, 400, errors={"action": [{"line": 0, "item": None, "field": field_label("action"),
                                                           "message": _("Unknown action; use the buttons on this page.")}]})


async def _fetch_stripe(request: Request, form: Any) -> Response:
    """Fetch a week's balance transactions from Stripe and import them as the command line's
    ``import-stripe --from-stripe`` does (core/reconcile.import_from_stripe): the page of that week,
    with the link to the file fetched; or the refusal (no key, Stripe unreachable, a repeat), nothing imported."""
    start, end, week_error = _week(str(form.get("week", "")))
    if week_error:
        return await _render(request, 400, errors={"fetch_stripe": [{"line": 0, "item": None, "field": field_label("week"), "message": week_error}]})
    try:
        imported = await rec.import_from_stripe(actor(request), request.state.user.district_id, start, end)
    except rec.StatementError as exc:
        return await _render(request, 400, week=(start, end), errors={"fetch_stripe": _errors(exc, stripe=True)})
    return await _render(request, week=(start, end), imported=imported)


@page(SOCIETY)
async def fetched_json(request: Request) -> Response:
    """The file an import fetched from Stripe (``/society/reconciliation/fetched/<import>.json``),
    as it was imported, for the Society to keep; the district's own imports only. Nothing is written."""
    imp = await StatementImport.get_or_none(id=request.path_params["import_id"], district_id=request.state.user.district_id)
    data = rec.fetched_file(imp) if imp is not None else None
    if data is None:
        raise HTTPException(404, _("No file fetched from Stripe is kept for this import."))
    return _download(data, "application/json", imp.filename or rec.fetched_name(imp.period_start, imp.period_end))


async def _withdraw(request: Request, form: Any) -> Response:
    """Withdraw a statement import (core/statement_withdraw.py): the page of the week its last
    line fell in, saying what was taken back and which weeks to run again; or the refusal, with
    nothing changed."""
    text = str(form.get("import_id", "")).strip().lstrip("#")
    if not text.isdigit() or len(text) > 10:
        return await _render(request, 400, errors={"withdraw": [{"line": 0, "item": None, "field": field_label("import_id"),
                                                                  "message": _("Give the number of the import to withdraw, as the list shows it.")}]})
    try:
        done = await sw.withdraw_import(actor(request), request.state.user.district_id, int(text), form.get("reason", ""),
                                        reverse_bookings=form.get("reverse_bookings") == "1")
    except sw.WithdrawRefused as exc:
        return await _render(request, 400, errors={"withdraw": [{"line": 0, "item": None, "field": field_label(exc.field),
                                                                  "message": pick(exc.message_en, exc.message_hi)}],
                                                   "withdraw_id": int(text), "withdraw_bookings": exc.bookings,
                                                   "withdraw_reason": str(form.get("reason", ""))[:sw.MAX_REASON]})
    week = done.weeks[-1] if done.weeks else None
    return await _render(request, week=week, withdrawn=done)


async def _book_line(request: Request, form: Any) -> Response:
    """Book an unmatched bank statement line as the bank's charges or interest (core/bank_lines.py):
    the page of the line's week, saying what was booked (or that it was booked already), to be run
    again; or the refusal, with nothing booked."""
    text = str(form.get("line_id", "")).strip()
    start, end, _error = _week(str(form.get("week", "")))
    if not text.isdigit() or len(text) > 12:
        return await _render(request, 400, week=(start, end), errors={"book_line": [{"line": 0, "item": None, "field": field_label("line"),
                                                                                  "message": _("Book a line from the list of lines unmatched on the statements.")}]})
    try:
        done = await bank_lines.book_line(actor(request), request.state.user.district_id, int(text), str(form.get("book_as", "")),
                                          form.get("reason", ""))
    except bank_lines.BookRefused as exc:
        return await _render(request, 400, week=(start, end), errors={
            "book_line": [{"line": 0, "item": None, "field": field_label(exc.field), "message": pick(exc.message_en, exc.message_hi)}],
            "book_line_id": int(text)})
    return await _render(request, week=rec.week_of(done.value_date), booked=done)


#: the workbook's columns (core/reconcile.REPORT_COLUMNS, ROLL_COLUMNS) headed in words in the page's
#: language, as the reports' exports are; amounts say they are in rupees. The cells keep their codes
#: (``matched``, ``bank``, ``card_fee``) for a spreadsheet's filter, and the CSV, for a program, its
#: column codes.
EXPORT_HEADERS = {
    "bucket": N_("Bucket"), "scope": N_("Source"), "kind": N_("Kind"), "how": N_("Matched by"),
    "statement_date": N_("Statement date"), "statement_line": N_("Statement line"), "statement_reference": N_("Statement reference"),
    "statement_description": N_("Statement narration"), "statement_amount": N_("Statement amount"),
    "ledger_key": N_("Ledger key"), "ledger_date": N_("Ledger date"), "ledger_reference": N_("Ledger reference"),
    "ledger_description": N_("Ledger description"), "ledger_amount": N_("Ledger amount"), "difference": N_("Difference"),
    "account": N_("Account"), "account_name": N_("Account name"), "opening": N_("Opening"), "in": N_("In (debits)"),
    "out": N_("Out (credits)"), "closing": N_("Closing"), "rolls_forward": N_("Rolls forward"),
}


def _export_headers() -> dict[str, str]:
    return {code: f"{_(words)} (₹)" if code in rec.MONEY_COLUMNS else _(words) for code, words in EXPORT_HEADERS.items()}


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
    district_id = request.state.user.district_id
    # the columns keep their codes (the CSV is for a program: docs/reconciliation.md); the accounts are named in words
    # too, and the ledger's memos are in the page's language, as the page shows them (decision 151)
    report, text = await rec.export_csv(district_id, start, end, names=functools.partial(account_names, district_id), memo=memo)
    # a byte-order mark first, as the reports' export: without it Excel reads the file as the
    # computer's ANSI code page, and a narration's dash, accent or Hindi comes out as "â€“" (decision 58)
    return _download("\ufeff" + text, "text/csv; charset=utf-8", f"reconciliation-{report.district_code}-{start.isoformat()}-{end.isoformat()}.csv")


@page(SOCIETY)
async def export_xlsx(request: Request) -> Response:
    """The report of a week as an Excel workbook (``?week=YYYY-MM-DD``): the CSV's rows, with every
    reference and narration a text cell, so Excel keeps a UTR's or a card number's digits (decision 67)."""
    start, end = _export_week(request)
    district_id = request.state.user.district_id
    report, data = await rec.export_xlsx(district_id, start, end, _export_headers(), functools.partial(account_names, district_id), memo)
    return _download(data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"reconciliation-{report.district_code}-{start.isoformat()}-{end.isoformat()}.xlsx")

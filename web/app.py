"""The Starlette application factory: every route, middleware and the database lifespan in one place."""

from __future__ import annotations

import gc
import logging
import re
from urllib.parse import urlsplit
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp
from tortoise.exceptions import ValidationError
from tortoise.contrib.starlette import RegisterTortoise

from emitra.core import config, db
from emitra.core.plugins import get_host
from emitra.web import accesslog, admin, api, assets, counter, lsp, network, pages, society
from emitra.web import money
from emitra.web import card_refunds, cheques, webhooks_upi
from emitra.web import certificates as certificate_pages
from emitra.web import api_cases, audit_log, citizen_login, citizen_mobile, citizen_sign_in, citizens, dispatch, office, outbox
from emitra.web import holidays as holiday_pages
from emitra.web import officers as officer_pages
from emitra.web import reports, society_today, vetting, watch
from emitra.web import webhooks as stripe_webhooks
from emitra.web import reconcile as reconcile_pages
from emitra.web import upi_refunds as upi_refund_pages
from emitra.web.head import HeadAsGet
from emitra.web.headers import SecurityHeaders
from emitra.web.i18n import _
from emitra.web.security import CsrfFailed, Forbidden, FormTooLarge, load_user, set_language
from emitra.web.templating import render

log = logging.getLogger(__name__)

#: answers smaller than this go as they are (a redirect, a short error: gzip's own 20 bytes would be most of it)
GZIP_MINIMUM_BYTES = 500
#: already compressed: gzip would spend time for nothing (a PDF's streams are deflated, an .xlsx is a zip)
NOT_GZIPPED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

ROUTES = [
    Route("/", pages.home),
    Route("/login", pages.login, methods=["GET", "POST"]),
    Route("/healthz", pages.healthz),
    Route("/favicon.ico", assets.favicon),  # (browsers ask for it whatever a page links)
    Route("/logout", pages.logout, methods=["POST"]),
    Route("/lang/{lang}", pages.set_language, methods=["GET", "POST"]),
    Route("/counter", counter.counter_home),
    Route("/counter/citizens/new", counter.register_citizen, methods=["GET", "POST"]),
    Route("/counter/citizens/{emitra_id}", counter.citizen_page),
    Route("/counter/citizens/{emitra_id}/services/{code}", counter.service_form, methods=["GET", "POST"]),
    Route("/counter/citizens/{emitra_id}/services/{code}/pay", counter.pay_cash, methods=["POST"]),
    Route("/receipts/{receipt_no}", counter.receipt),
    Route("/receipts/{receipt_no}/cancel", counter.cancel_request, methods=["POST"]),
    Route("/receipts/{receipt_no}/withdraw", counter.withdraw_payment, methods=["POST"]),
    Route("/receipts/{receipt_no}/message-lang", counter.change_message_lang, methods=["POST"]),
    Route("/documents/{public_id}", counter.document),
    Route("/counter/cases/{case_id}/resubmit", counter.resubmit_case, methods=["POST"]),
    Route("/lsp/services", lsp.counter_services, methods=["GET", "POST"]),
    Route("/lsp/prices", lsp.prices, methods=["GET", "POST"]),
    Route("/network", network.network, methods=["GET", "POST"]),
    Route("/network/lsps/{lsp_id}/wallet-refund", network.refund_wallets, methods=["POST"]),
    Route("/network/lsps/{lsp_id}/wallet-refunds", network.wallet_refund_history),
    *officer_pages.ROUTES,
    Route("/admin/fees", admin.fee_schedule, methods=["GET", "POST"]),
    Route("/society/policy", society.policy),
    Route("/society/policy/rules", society.add_rule, methods=["POST"]),
    Route("/society/policy/approvals", society.approve, methods=["POST"]),
    Route("/society/policy/approvals/{approval_id}/revoke", society.revoke, methods=["POST"]),
    Route("/card-refunds", card_refunds.card_refunds),
    Route("/card-refunds/finish", card_refunds.finish, methods=["POST"]),
    Route("/society/cheques", cheques.cheques),
    Route("/society/cheques/{payment_id}/clear", cheques.clear, methods=["POST"]),
    Route("/society/cheques/{payment_id}/bounce", cheques.bounce, methods=["POST"]),
    Route("/society/reconciliation", reconcile_pages.reconciliation, methods=["GET", "POST"]),
    Route("/society/reconciliation/export.csv", reconcile_pages.export_csv),
    Route("/society/reconciliation/export.xlsx", reconcile_pages.export_xlsx),
    Route("/society/reconciliation/fetched/{import_id:int}.json", reconcile_pages.fetched_json),
    Route("/webhooks/upi", webhooks_upi.upi_webhook, methods=["POST"]),
    Route("/webhooks/stripe", stripe_webhooks.stripe_webhook, methods=["POST"]),
    Route("/counter/dayend", money.counter_dayend, methods=["GET", "POST"]),
    Route("/dayend/{slip_no}", money.deposit_slip),
    Route("/dayend/{slip_no}/correct", money.correct_count, methods=["GET", "POST"]),
    Route("/society/dayends", money.society_dayends),
    Route("/lsp/dayends", money.lsp_dayends),
    Route("/society/dayends/{day_end_id}/confirm", money.confirm_deposit, methods=["POST"]),
    Route("/society/settlement", money.society_settlement, methods=["GET", "POST"]),
    Route("/society/remittances", money.remittances, methods=["GET", "POST"]),
    Route("/society/remittances/statement.csv", money.remittance_csv),
    Route("/society/claims", money.claims, methods=["GET", "POST"]),
    Route("/society/claims/statement.csv", money.claims_csv),
    Route("/lsp/statement", money.lsp_statement),
    Route("/lsp/payout.csv", money.payout_csv),
    Route("/payouts", money.payouts),
    Route("/payouts/{reference}", money.payout_page),
    Route("/wallets", money.wallets, methods=["GET", "POST"]),
    Route("/api/v1/token", api.token, methods=["POST"]),
    Route("/api/v1/services", api.services),
    Route("/api/v1/citizens", api.register_citizen, methods=["POST"]),
    Route("/api/v1/citizens/{emitra_id}", api.get_citizen),
    Route("/api/v1/quotes", api.quote, methods=["POST"]),
    Route("/api/v1/transactions", api.create_transaction, methods=["POST"]),
    Route("/api/v1/transactions/{receipt_no}", api.get_transaction),
    Route("/api/v1/transactions/{receipt_no}/cancel", api.cancel_transaction, methods=["POST"]),
    Route("/api/v1/transactions/{receipt_no}/withdraw", api.withdraw_payment, methods=["POST"]),
    Route("/api/v1/transactions/{receipt_no}/message-lang", api.change_message_lang, methods=["POST"]),
    Route("/api/v1/documents", api.upload_document, methods=["POST"]),
    Route("/api/openapi.json", api.openapi),
    Route("/api/v1/cases", api_cases.list_cases),
    Route("/api/v1/cases/actions", api_cases.act_on_many, methods=["POST"]),
    Route("/api/v1/cases/{number}", api_cases.get_case),
    Route("/api/v1/cases/{number}/actions", api_cases.act_on_case, methods=["POST"]),
    *office.ROUTES,
    *certificate_pages.ROUTES,
    *citizen_login.ROUTES,  # before /my/{number}
    *citizen_mobile.ROUTES,  # before /my/{number}
    *citizens.ROUTES,
    *outbox.ROUTES,
    *audit_log.ROUTES,
    *dispatch.ROUTES,
    *reports.ROUTES,
    *vetting.ROUTES,
    *watch.ROUTES,
    *upi_refund_pages.ROUTES,
    *society_today.ROUTES,
    *holiday_pages.ROUTES,
    *citizen_sign_in.ROUTES,
    Mount("/static", assets.Assets(directory=assets.STATIC_DIR), name="static"),  # web/assets.py: hashed addresses kept a year
]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "")
    if _is_api(request):
        return JSONResponse({"error": {"code": "http_%d" % status, "message": str(detail)}}, status_code=status,
                            headers=getattr(exc, "headers", None))  # a 405 keeps its Allow header
    if not hasattr(request.state, "user"):  # no route was reached (an address that does not exist, a GET of a form's
        request.state.user = await load_user(request)  # address): the session's language, not the last request's
        set_language(request, request.state.user)
    if isinstance(exc, FormTooLarge):  # in the page's language, with the way back to the form it was sent from
        return render(request, "error.html", {
            "status": status, "heading": _("The form was not sent: it is too large"), "back": _page_sent_from(request),
            "message": _("Nothing was received or recorded: the form with its files is larger than %(mb)d MB, the most this "
                         "site accepts. Go back to the form, choose smaller files (documents scanned at a lower resolution, "
                         "a bank statement split by week) or fewer at once, and send it again.") % {"mb": exc.mb}}, status)
    message = detail if status in (403, 404) and detail and detail not in ("Not Found", "Forbidden") else {
        404: _("This page does not exist."),
        # a form's address opened by itself (Enter in the address bar on the page a refused form answered)
        405: _("This address only receives a form and cannot be opened by itself: nothing was done. Go back to the page, "
               "or open it again from the menu.") if request.method == "GET" else _("This action is not allowed here."),
    }.get(status, str(detail))
    response = render(request, "error.html", {"status": status, "message": message}, status)
    response.headers.update(getattr(exc, "headers", None) or {})  # a 429's Retry-After
    return response


def _page_sent_from(request: Request) -> str:
    """The page of this site the posted form was on (its Referer's path, sent for the site's own
    pages: ``Referrer-Policy: same-origin``), or "" when there is none."""
    sent_from = urlsplit(request.headers.get("referer", ""))
    path = sent_from.path
    # (a backslash or a control character: a browser reads "/\\evil.example" as "//evil.example", another site)
    if sent_from.netloc != request.headers.get("host", "") or not path.startswith("/") or path.startswith("//") \
            or any(c == "\\" or ord(c) < 32 for c in path + sent_from.query):
        return ""
    return sent_from.path + (f"?{sent_from.query}" if sent_from.query else "")


RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE_EN = "The service is briefly unavailable: the database cannot be reached. Nothing half-done was kept; wait a few seconds and try again."
DATABASE_UNAVAILABLE_HI = "सेवा कुछ क्षणों के लिए उपलब्ध नहीं है: डेटाबेस से संपर्क नहीं हो पा रहा। अधूरा कुछ भी दर्ज नहीं हुआ; कुछ सेकंड रुककर फिर से प्रयास करें।"


def _database_unavailable(request: Request, exc: BaseException) -> Response:
    """The database is down, cut off or locked by another process: a 503 with ``Retry-After``, in
    JSON for the API and as a short page in both languages otherwise, never a traceback. The
    transaction that failed was rolled back; the next request reconnects by itself."""
    log.warning("database unavailable on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if _is_api(request):
        return JSONResponse({"error": {"code": "database_unavailable", "message": (
            "The database cannot be reached just now (restarting, cut off or locked); this request was not completed. "
            f"Try again in {RETRY_AFTER_SECONDS} seconds: retrying with the same idempotency_key is safe, a payment already "
            "recorded is never recorded twice.")}}, status_code=503, headers=headers)
    request.state.user = getattr(request.state, "user", None)  # the page must not ask the database who is logged in
    response = render(request, "error.html", {"status": 503, "message": f"{DATABASE_UNAVAILABLE_EN} / {DATABASE_UNAVAILABLE_HI}"}, 503)
    response.headers.update(headers)
    return response


async def _database_error(request: Request, exc: Exception) -> Response:
    """A database or network error raised by a route: a 503 when the database is unreachable,
    otherwise passed on to :func:`_server_error` (a bug, logged with its traceback)."""
    if db.unavailable(exc):
        return _database_unavailable(request, exc)
    raise exc


def _database_error_types(url: str) -> dict[type[BaseException], object]:
    """The errors a route may raise when the database fails; PostgreSQL's driver only when serving
    PostgreSQL (importing it costs a SQLite start-up some 40 ms for errors it cannot raise)."""
    from tortoise.exceptions import DBConnectionError, OperationalError

    types: list[type[BaseException]] = [OperationalError, DBConnectionError, OSError]
    if url.startswith(("postgres://", "postgresql://")):
        try:
            import asyncpg

            types += [asyncpg.PostgresError, asyncpg.InterfaceError]
        except ImportError:  # pragma: no cover  (SQLite-only installs)
            pass
    return {t: _database_error for t in types}


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure: logged with its traceback; the user gets a message, never the details."""
    if db.unavailable(exc):  # raised outside the routes (a middleware reading the session, the lifespan)
        return _database_unavailable(request, exc)
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_api(request):
        return JSONResponse({"error": {"code": "internal_error", "message": "Something failed on our side. Retrying with the same idempotency_key is safe: a payment already recorded is never recorded twice."}}, status_code=500)
    if not hasattr(request.state, "user"):
        request.state.user = None
    return render(request, "error.html", {"status": 500, "message": _("Something failed on our side. Try again; if it persists, tell the Society's help desk.")}, 500)


#: the value in a model's refusal ("code: Length of '<value>' 50071 > 20", "Value '<value>' does not match ...")
_REFUSED_VALUE = re.compile(r"'.*'", re.S)


def _model_refusal(exc: Exception) -> str:
    """What the model said of a value, without the value: it holds whatever was sent (an Aadhaar
    number, a line break that would forge a log line, a megabyte of text), and goes into the log."""
    return _REFUSED_VALUE.sub("(the value sent / भेजा गया मान)", str(exc))[:300]


async def _invalid_value(request: Request, exc: Exception) -> Response:
    """A value the database model refuses (longer than its column, out of range) that a route let
    through: the request was wrong, not the server; 400 naming the field and what the model said
    (never the value, :func:`_model_refusal`), never a 500."""
    why = _model_refusal(exc)
    log.warning("value refused by the model on %s %s: %s", request.method, request.url.path, why)
    if _is_api(request):
        return JSONResponse({"error": {"code": "invalid_value", "message": f"A value is not acceptable: {why}"}}, status_code=400)
    if not hasattr(request.state, "user"):
        request.state.user = await load_user(request)
    return render(request, "error.html", {"status": 400, "message": _("A value you sent is too long or not acceptable: %(why)s") % {"why": why}}, 400)


async def _forbidden(request: Request, exc: Exception) -> Response:
    said = getattr(exc, "message", "")  # a form naming what is not the user's: that, and the page to go back to
    return render(request, "error.html", {"status": 403, "message": said or _("Your role does not allow this page."),
                                          "back": getattr(exc, "back", "") if said else ""}, 403)


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {
        "status": 403, "message": _("This form has expired or did not come from this site. Go back, reload the page and submit it again.")}, 403)


class App(Starlette):
    """The application, with two layers outside Starlette's own outermost one (ServerErrorMiddleware,
    which answers an unhandled exception with :func:`_server_error`): the security headers, so a 500
    carries them like every other answer, and HEAD answered as GET (web/head.py), so a HEAD's 500
    has no body either."""

    def build_middleware_stack(self) -> ASGIApp:
        return HeadAsGet(SecurityHeaders(super().build_middleware_stack()))


class NotMigrated(RuntimeError):
    """The database lacks migrations this version needs (or has some it does not know): not served."""


async def _refuse_unmigrated(url: str) -> None:
    """Refuse to start on a database whose migrations are not this version's (no schema yet, an upgrade
    not migrated, a newer emitra's): every page that needs a missing table would be a 500. One small
    query on the connection just opened. A database that cannot be reached now is not refused: pages
    answer 503 until it is back (docs/operations.md)."""
    from emitra.core import cli_ops

    try:
        applied = await cli_ops.applied_migrations_here()
    except Exception as exc:
        if db.unavailable(exc):
            log.warning("the migrations were not checked: the database cannot be reached: %s: %s", type(exc).__name__, exc)
            return
        raise
    line, pending, unknown = cli_ops.migration_state(applied)
    if pending or unknown:
        message = f"not serving {db.safe_url(url)}: {line}"
        log.error(message)
        raise NotMigrated(message)


def create_app(database_url: str | None = None) -> Starlette:
    config.check()  # every setting now, not at the first log-in or payment that reads it
    accesslog.install()  # no query values (a citizen's mobile number searched for) in the access log
    url = db.check_url(database_url or config.database_url())
    get_host()  # load plugins at start-up, so a broken one is reported now
    assets.manifest()  # the static files' hashes, for their addresses (web/assets.py)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        async with RegisterTortoise(app, config=db.tortoise_config(url)):
            await _refuse_unmigrated(url)
            async with db.background_checkpoints(url):
                # what start-up built (plugins, forms, policy, templates: some 200,000 objects) lives as long
                # as the process: keep it out of the garbage collector's full passes, which otherwise stop
                # every request for a few hundred milliseconds now and then (docs/performance.md)
                gc.collect()
                gc.freeze()
                yield

    return App(
        routes=ROUTES,
        middleware=[
            # (the security headers and HEAD are outside every middleware listed here: App above)
            # pages, style sheets, CSV and the API's JSON gzipped for a slow kiosk link (docs/operations.md; the
            # CSRF token a page carries is masked afresh on every page against BREACH: web/security.csrf_token)
            Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=6, exclude_content_types=NOT_GZIPPED),
            # a signed cookie (HttpOnly, SameSite=Lax, Secure behind https) carrying the random session id;
            # the session itself is checked on the server (web_session), see docs/security.md
            Middleware(SessionMiddleware, secret_key=config.secret_key(), session_cookie="emitra_session",
                       max_age=config.session_max_hours() * 3600, same_site="lax", https_only=config.secure_cookies()),
        ],
        exception_handlers={**_database_error_types(url), HTTPException: _http_error, Forbidden: _forbidden, CsrfFailed: _csrf_failed,
                            ValidationError: _invalid_value, Exception: _server_error},
        lifespan=lifespan,
    )

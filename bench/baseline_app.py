"""The baseline of the HTTP benchmark: a bare Starlette endpoint writing a counter transaction's rows.

``POST /write`` writes, in one database transaction through tortoise and emitra's own models, the
rows one cash payment of the JVVNL bill writes (copied from a real one): the service request
(inserted, then given its receipt number), its payment, its ledger entry and postings, its audit
records, the updates of its MIS figures (:class:`DailyFigure`, and the month's row), of its
counter drawer's half-hourly totals (:class:`DrawerTotal`, decision 124) and of the audit chain's head. The values are copied from the newest paid request in the database (the benchmark
makes one through the real API first). No login, no validation, no policy, no fee, no plugin, no
hand-over: what is left is the HTTP server, the ORM and the database, which is what the real
transaction cannot do without. (Its audit records copy the real one's hashes without chaining
them, so the benchmark's database fails ``emitra audit verify`` afterwards; the next run wipes it.)

Served by uvicorn like the app itself::

    uvicorn --app-dir bench --factory baseline_app:create_app --port 8124

It reads the same environment as emitra (``EMITRA_DATABASE_URL``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.contrib.starlette import RegisterTortoise
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from emitra.core import config, db, drawer_totals, models
from emitra.core.ids import make_receipt_no
from emitra.core.models import AuditHead, AuditLog, DailyFigure, District, DrawerTotal, LedgerEntry, Payment, Posting, ServiceRequest

MonthlyFigure = getattr(models, "MonthlyFigure", None)  # the MIS keeps month totals beside the days

KEY_PREFIX = "base-"  # the baseline's idempotency keys, told apart from the app's


@dataclass
class Template:
    """The rows of one real counter transaction, copied field by field."""

    district_code: str
    request: dict[str, Any]
    payment: dict[str, Any]
    entry_memo: str
    postings: list[tuple[str, int]]
    audits: list[dict[str, Any]]
    figure_ids: dict[Any, int]  # the MIS figure rows the payment added to, by model
    drawer_rows: list[tuple[int, int]]  # the drawer's totals rows the payment added to: (id, paise)

    @property
    def rows(self) -> dict[str, int]:
        """Rows written per transaction, by table (inserted or updated)."""
        return {"service_request": 1, "payment": 1, "ledger_entry": 1, "posting": len(self.postings),
                "audit_log": len(self.audits), **{m._meta.db_table: 1 for m in self.figure_ids}, "drawer_total": len(self.drawer_rows),
                "audit_head": 1}


_REQUEST_FIELDS = ("district_id", "counter_id", "operator_id", "citizen_id", "service_code", "service_title_en",
                   "service_title_hi", "provider", "form_data", "quote_details", "reference", "principal_paise",
                   "service_charge_paise", "charge_payer", "citizen_total_paise", "status", "department_ref", "business_date")
_PAYMENT_FIELDS = ("district_id", "method", "amount_paise", "tendered_paise", "status", "reference", "details")
_AUDIT_FIELDS = ("district_id", "actor_id", "actor_name", "counter_id", "action", "object_type", "detail", "ip",
                 "prev_hash", "hash")


async def load_template() -> Template:
    """The newest paid request and what was written with it; refuses to start without one."""
    request = await ServiceRequest.filter(status="submitted").exclude(idempotency_key__startswith=KEY_PREFIX).order_by("-id").first()
    if request is None:
        raise SystemExit("The baseline copies a real counter transaction: make one first (bench/http_load.py does).")
    payment = await Payment.get(request_id=request.id)
    entry = await LedgerEntry.get(request_id=request.id)
    postings = await Posting.filter(entry_id=entry.id).order_by("id").values_list("account", "amount_paise")
    audits = await AuditLog.filter(object_type="ServiceRequest", object_id=str(request.id)).order_by("id")
    key = {"counter_id": request.counter_id, "service_code": request.service_code}
    figures = {DailyFigure: (await DailyFigure.get(**key, business_date=request.business_date)).id}
    if MonthlyFigure is not None:
        figures[MonthlyFigure] = (await MonthlyFigure.get(**key, month=request.business_date.replace(day=1))).id
    district = await District.get(id=request.district_id)
    amounts = dict(postings)
    drawers = [a for a in amounts if a.startswith(drawer_totals.CASH_PREFIX)]
    drawer_rows = [(row.id, amounts[row.account]) for row in await DrawerTotal.filter(
        drawer__in=drawers, since=drawer_totals.bucket(entry.created_at), account__in=list(amounts))]
    return Template(
        district_code=district.code,
        request={f: getattr(request, f) for f in _REQUEST_FIELDS},
        payment={f: getattr(payment, f) for f in _PAYMENT_FIELDS},
        entry_memo=entry.memo,
        postings=[(a, p) for a, p in postings],
        audits=[{f: getattr(a, f) for f in _AUDIT_FIELDS} for a in audits],
        figure_ids=figures,
        drawer_rows=drawer_rows,
    )


async def write(t: Template) -> str:
    """One transaction writing the template's rows; returns the new receipt number."""
    now = dt.datetime.now(dt.timezone.utc)
    r = t.request
    async with in_transaction():
        request = await ServiceRequest.create(idempotency_key=KEY_PREFIX + uuid.uuid4().hex, **r)
        request.receipt_no = make_receipt_no(t.district_code, r["counter_id"], request.id)
        await request.save(update_fields=["receipt_no"])
        await Payment.create(request_id=request.id, confirmed_at=now, **t.payment)
        entry = await LedgerEntry.create(district_id=r["district_id"], idempotency_key=f"request:{request.receipt_no}",
                                         memo=t.entry_memo, request_id=request.id)
        await Posting.bulk_create([Posting(entry_id=entry.id, district_id=r["district_id"], account=a, amount_paise=p)
                                   for a, p in t.postings])
        last = None
        for a in t.audits:
            last = await AuditLog.create(object_id=str(request.id), **{**a, "detail": {**a["detail"], "receipt_no": request.receipt_no}})
        for model, figure_id in t.figure_ids.items():
            await model.filter(id=figure_id).update(
                transactions=F("transactions") + 1, principal_paise=F("principal_paise") + r["principal_paise"],
                citizen_total_paise=F("citizen_total_paise") + r["citizen_total_paise"])
        for row_id, paise in t.drawer_rows:
            await DrawerTotal.filter(id=row_id).update(total_paise=F("total_paise") + paise, postings=F("postings") + 1)
        if last is not None:
            await AuditHead.filter(id=1).update(last_id=last.id, entries=F("entries") + len(t.audits))
    return request.receipt_no


def create_app() -> Starlette:
    url = config.database_url()
    state: dict[str, Template] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette):
        async with RegisterTortoise(app, config=db.tortoise_config(url)):
            state["template"] = await load_template()
            yield

    async def write_rows(request: Request) -> Response:
        receipt_no = await write(state["template"])
        return JSONResponse({"receipt_no": receipt_no}, status_code=201)

    async def rows(request: Request) -> Response:
        return JSONResponse(state["template"].rows)

    return Starlette(routes=[Route("/write", write_rows, methods=["POST"]), Route("/rows", rows)], lifespan=lifespan)

"""The JSON API for partners and counter software. Described by /api/openapi.json.

Authentication: POST /api/v1/token with a username and password returns a bearer token (8 hours).
Errors are ``{"error": {"code", "message", "fields": [{"field", "message_en", "message_hi"}]}}``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emitra.core import audit, citizen_lookups, counter as counter_core, fees, forms, payments, registration, upi_refunds
from emitra.core.auth import can_see_counter
from emitra.core.forms import FormErrors
from emitra.core.ids import IdError, is_valid_receipt_no
from emitra.core.privacy import mask_vpa
from emitra.core.models import Citizen, Counter, Role, ServiceRequest, User
from emitra.core.text import NAMES as UNSTORABLE, shown, unstorable_in
from emitra.core.payment_methods import card as card_payments, upi
from emitra.web.counter import LANG_CHANGERS, may_change_message_lang, method_details
from emitra.web.openapi import (CANCEL_INPUT, CITIZEN_INPUT, MESSAGE_LANG_INPUT, QUOTE_INPUT, TOKEN_INPUT, WITHDRAW_INPUT, document,
                                transaction_input)
from emitra.web.security import (ANYONE, API_TOKEN_MAX_AGE, actor, api, api_authenticate, api_error, issue_api_token, read_form,
                                 unstorable_field)

OPERATOR = [Role.OPERATOR]
RECEIPT_READERS = [Role.OPERATOR, Role.LSP_ADMIN, Role.SOCIETY_ADMIN, Role.STATE_ADMIN, Role.CITIZEN]


MAX_BODY_BYTES = 1024 * 1024  # a JSON body larger than this is refused (413) before it is parsed


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    """The JSON parser's hook for numbers with a fraction or exponent: refuses NaN, Infinity and
    1e999 at parse time. It never yields money: every amount field must be an integer of paise and
    a fractional one is refused naming its field (``_paise_field``)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


async def _read_json(request: Request) -> Any | Response:
    """The parsed body: 415 for a content type other than JSON, 413 above 1 MiB, 400 if it is not JSON."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        return api_error(415, "unsupported_media_type", f"Send the body as JSON with 'Content-Type: application/json', not {media_type}.")
    too_large = api_error(413, "too_large", f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    if request.headers.get("content-length", "0").isdigit() and int(request.headers.get("content-length", "0")) > MAX_BODY_BYTES:
        return too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            return too_large
    try:  # ValueError covers bad JSON, bad UTF-8, NaN and out-of-range numbers; RecursionError a too deeply nested body
        return json.loads(bytes(raw) or b"null", parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, RecursionError):
        return api_error(400, "bad_json", "The request body is not valid JSON (UTF-8, finite numbers, nested at most a few hundred levels).")


def _unstorable_error(field: str, kind: str) -> Response:
    """422 naming ``field``, whose text holds a NUL character or a lone surrogate (``kind``)."""
    field = shown(field)  # a key may hold it too: the answer must still be valid UTF-8
    what_en, what_hi = UNSTORABLE[kind]
    msg = f"{field} contains {what_en}; remove it."
    return api_error(422, "invalid_fields", msg, [{"field": field, "message_en": msg, "message_hi": f"{field} में {what_hi} है; इसे हटाएँ।"}])


async def _json(request: Request, schema: dict[str, Any], optional: bool = False) -> dict[str, Any] | Response:
    """The body as a JSON object checked against ``schema`` (the one the OpenAPI document shows); a
    refusal names each wrong field in English and Hindi. ``optional``: an empty body is ``{}``."""
    body = await _read_json(request)
    if isinstance(body, Response):
        return body
    if body is None and optional:
        body = {}
    if not isinstance(body, dict):
        return api_error(400, "bad_json", "The request body must be a JSON object.")
    found = unstorable_in(body)
    if found:
        return _unstorable_error(*found)
    try:
        forms.validate(schema, body)
    except FormErrors as exc:
        return _form_errors(exc)
    return body


def _citizen_json(c: Citizen) -> dict[str, Any]:
    return {
        "emitra_id": c.emitra_id, "name": c.name, "date_of_birth": c.date_of_birth.isoformat(),
        "gender": c.gender, "mobile": c.mobile, "address": c.address, "aadhaar": c.aadhaar_masked,
    }


_API_FIELDS = {"amount": "payment.amount_paise", "tendered": "payment.tendered_paise"}


def _counter_error(exc: counter_core.CounterError) -> Response:
    field = _API_FIELDS.get(exc.field, exc.field)
    fields = [{"field": field, "message_en": exc.message_en, "message_hi": exc.message_hi}]
    if isinstance(exc, counter_core.ProviderBusy):
        return api_error(503, "try_again", exc.message_en, fields)
    if isinstance(exc, counter_core.ServiceUnavailable):
        return api_error(503, "service_unavailable", exc.message_en, fields)
    if isinstance(exc, card_payments.CardUnavailable):  # 503: send the same idempotency_key again; 502: failed, take it again
        return api_error(503 if exc.retry_same_key else 502, "card_unavailable", exc.message_en, fields)
    if isinstance(exc, counter_core.PolicyRefused):
        fields[0].update(rule=exc.decision.rule, citation=exc.decision.citation)
        return api_error(403, "prohibited" if exc.decision.decision == "deny" else "restricted", exc.message_en, fields)
    if isinstance(exc, counter_core.IdempotencyConflict) or exc.field == "amount":
        return api_error(409, "conflict", exc.message_en, fields)
    return api_error(422, "refused", exc.message_en, fields)


def _form_errors(exc: FormErrors) -> Response:
    return api_error(422, "invalid_fields", "Some fields are wrong; see fields.", [e.as_dict() for e in exc.errors])


@api(ANYONE)
async def token(request: Request) -> Response:
    body = await _json(request, TOKEN_INPUT)
    if isinstance(body, Response):
        return body
    user = await api_authenticate(request, str(body.get("username", "")), str(body.get("password", "")))
    if isinstance(user, Response):  # 401, or 429 while the username or address is locked
        return user
    request.state.user = user
    await audit.record(actor(request, "api"), "auth.token_issued", user)
    return JSONResponse({"token": issue_api_token(user), "token_type": "bearer", "expires_in": API_TOKEN_MAX_AGE, "role": user.role.value})


async def _operator_counter(request: Request) -> Counter:
    """The operator's counter, with its LSP."""
    return await counter_core.operator_counter(request.state.user.counter_id)


@api(OPERATOR)
async def services(request: Request) -> Response:
    counter = await _operator_counter(request)
    out = []
    offered = await counter_core.enabled_services(counter)
    rates = await fees.published_rates(offered, counter.district_id)
    for s in offered:
        rate = rates[s.code]
        out.append({
            "code": s.code, "title_en": s.title_en, "title_hi": s.title_hi, "provider": s.provider,
            "domain": s.domain.value, "category": s.category.value, "workflow": s.workflow.value,
            "fee_paise": rate.fee_paise, "payer": rate.payer.value, "form": s.form,
        })
    return JSONResponse(out)


@api(OPERATOR)
async def register_citizen(request: Request) -> Response:
    body = await _json(request, CITIZEN_INPUT)
    if isinstance(body, Response):
        return body
    counter = await _operator_counter(request)
    confirm = body.get("confirm_new_person", False)
    if not isinstance(confirm, bool):
        return api_error(422, "invalid_fields", "confirm_new_person must be true or false (a JSON boolean).",
                         [{"field": "confirm_new_person", "message_en": "confirm_new_person must be true or false.",
                           "message_hi": "confirm_new_person true या false होना चाहिए।"}])
    try:
        citizen = await registration.register(actor(request, "api"), counter, body, confirm)
    except FormErrors as exc:
        return _form_errors(exc)
    except registration.LikelyDuplicate as exc:
        elsewhere = [c.elsewhere for c in exc.candidates if c.elsewhere]
        message = ("This person seems to be registered already. Use the existing e-Mitra ID"
                   + ("." if exc.certain else ", or send confirm_new_person: true if they are a different person."))
        if elsewhere:  # only the district: the person's record is that district's to show
            message = (f"This Aadhaar number is already registered in another district ({elsewhere[0].name_en}); a person has one "
                       f"e-Mitra ID. Ask the citizen for the one issued there (it begins with {elsewhere[0].code}).")
        return JSONResponse({"error": {
            "code": "likely_duplicate", "message": message,
            "candidates": [{"district": c.elsewhere.code, "reason": c.reason} if c.elsewhere else
                           {"emitra_id": c.citizen.emitra_id, "name": c.citizen.name, "reason": c.reason} for c in exc.candidates],
        }}, status_code=409)
    return JSONResponse(_citizen_json(citizen), status_code=201)


async def _find_citizen(request: Request, counter: Counter, emitra_id: str) -> Citizen | Response:
    """The citizen of the counter's district, or the error to answer: 422 for an ID that cannot be
    one, 404, 429 once the operator has spent his look-ups of citizens the counter has not served
    (core/citizen_lookups.py, decision 87)."""
    try:
        citizen = await registration.get_by_emitra_id(emitra_id)
    except IdError as exc:
        return api_error(422, "invalid_fields", str(exc), [{"field": "citizen", "message_en": str(exc), "message_hi": exc.message_hi}])
    if citizen is None or citizen.district_id != counter.district_id:
        return api_error(404, "not_found", "No citizen with this e-Mitra ID in this district.")
    try:
        await citizen_lookups.open_citizen(actor(request, "api"), counter, citizen)
    except citizen_lookups.LookupsSpent as exc:
        response = api_error(429, "too_many_lookups", exc.message_en,
                             [{"field": "citizen", "message_en": exc.message_en, "message_hi": exc.message_hi}])
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    return citizen


@api(OPERATOR)
async def get_citizen(request: Request) -> Response:
    found = await _find_citizen(request, await _operator_counter(request), request.path_params["emitra_id"])
    return found if isinstance(found, Response) else JSONResponse(_citizen_json(found))


def _priced_json(priced: counter_core.Priced) -> dict[str, Any]:
    return {
        "service_code": priced.service.code, "form": priced.data, "reference": priced.quote.reference,
        "details": priced.quote.details, "principal_paise": priced.quote.principal_paise,
        "service_charge_paise": priced.rate.fee_paise, "charge_payer": priced.rate.payer.value,
        "citizen_total_paise": priced.citizen_total_paise,
    }


async def _service_and_form(request: Request, body: dict[str, Any], counter: Counter):
    code = body.get("service_code")
    if not isinstance(code, str):
        return api_error(422, "invalid_fields", "service_code is required.", [{"field": "service_code", "message_en": "service_code is required (a string such as gov.rj.jvvnl.bill).", "message_hi": "service_code आवश्यक है।"}])
    try:
        service = await counter_core.service_at(counter, code)
    except counter_core.PolicyRefused as exc:
        kind = "prohibited" if exc.decision.decision == "deny" else "restricted"
        return api_error(403, kind, exc.message_en, [{"field": "service_code", "message_en": exc.message_en, "message_hi": exc.message_hi,
                                                       "rule": exc.decision.rule, "citation": exc.decision.citation}])
    except counter_core.CounterError as exc:
        return api_error(404, "service_not_offered", exc.message_en)
    form = body.get("form")
    if not isinstance(form, dict):
        return api_error(422, "invalid_fields", "form must be an object with the service's fields.", [{"field": "form", "message_en": "form must be a JSON object.", "message_hi": "form एक JSON ऑब्जेक्ट होना चाहिए।"}])
    return service, form


@api(OPERATOR)
async def quote(request: Request) -> Response:
    body = await _json(request, QUOTE_INPUT)
    if isinstance(body, Response):
        return body
    counter = await _operator_counter(request)
    found = await _service_and_form(request, body, counter)
    if isinstance(found, Response):
        return found
    service, form = found
    try:
        priced = await counter_core.price(counter, service, form)
    except FormErrors as exc:
        return _form_errors(exc)
    except counter_core.CounterError as exc:
        return _counter_error(exc)
    return JSONResponse(_priced_json(priced))


def _paise_field(body: dict[str, Any], name: str, required: bool, prefix: str = "") -> int | None | Response:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        msg = f"{prefix}{name} must be a whole, non-negative number of paise (e.g. 148745 for Rs 1,487.45), not {json.dumps(value)}."
        return api_error(422, "invalid_fields", msg, [{"field": prefix + name, "message_en": msg,
                                                       "message_hi": f"{prefix}{name} पैसे में एक पूर्ण, गैर-ऋणात्मक संख्या होनी चाहिए।"}])
    return value


@functools.lru_cache(maxsize=4)
def _transaction_schema(methods: tuple[str, ...]) -> dict[str, Any]:
    return transaction_input(list(methods))


@api(OPERATOR)
async def create_transaction(request: Request) -> Response:
    """Take a payment (cash, cheque, dd, upi...) for a service. Replaying the same idempotency_key returns the first receipt."""
    body = await _json(request, _transaction_schema(tuple(sorted(payments.methods()))))
    if isinstance(body, Response):
        return body
    counter = await _operator_counter(request)
    citizen = await _find_citizen(request, counter, str(body.get("citizen", "")))
    if isinstance(citizen, Response):
        return citizen
    found = await _service_and_form(request, body, counter)
    if isinstance(found, Response):
        return found
    service, form = found
    payment = body.get("payment") or {}
    method = payments.methods().get(payment.get("method", "cash")) if isinstance(payment, dict) and isinstance(payment.get("method", "cash"), str) else None
    if method is None or not getattr(method, "available", lambda: True)():
        codes = ", ".join(sorted(c for c, m in payments.methods().items() if getattr(m, "available", lambda: True)()))
        return api_error(422, "invalid_fields", f"payment.method must be one of: {codes}.",
                         [{"field": "payment.method", "message_en": f"Choose a payment method: {codes}.", "message_hi": f"भुगतान का तरीका चुनें: {codes}।"}])
    details = None
    if method.form.get("properties"):  # a cheque's or a draft's details, typed by the operator
        if not isinstance(payment.get("details"), dict):
            return api_error(422, "invalid_fields", f"payment.details must be an object with the {method.code} fields.",
                             [{"field": "payment.details", "message_en": f"payment.details must be a JSON object with the {method.code} fields.",
                               "message_hi": "payment.details एक JSON ऑब्जेक्ट होना चाहिए।"}])
        try:
            details = method_details(method, payment["details"])
        except FormErrors as exc:
            return api_error(422, "invalid_fields", "Some payment details are wrong; see fields.",
                             [{**e.as_dict(), "field": f"payment.details.{e.field}"} for e in exc.errors])
    expected = _paise_field(payment, "amount_paise", required=True, prefix="payment.")
    if isinstance(expected, Response):
        return expected
    tendered = _paise_field(payment, "tendered_paise", required=False, prefix="payment.")
    if isinstance(tendered, Response):
        return tendered
    key = body["idempotency_key"]  # 1 to 64 characters: checked with the schema
    try:
        req = await counter_core.record_payment(actor(request, "api"), counter, citizen, service.code, form, key, method.code,
                                                expected_total_paise=expected, tendered_paise=tendered, payment_details=details,
                                                checked=service, message_lang=body.get("message_lang"))
        if method.code == "card":  # a replay after Stripe did not answer asks again with the same key
            await card_payments.ensure_started(req)
    except FormErrors as exc:
        return _form_errors(exc)
    except counter_core.CounterError as exc:
        return _counter_error(exc)
    receipt = await _receipt_json(req, counter, citizen, request.state.user)
    return JSONResponse(receipt, status_code=200 if getattr(req, "replayed", False) else 201)


async def _receipt_json(req: ServiceRequest, counter: Counter | None = None, citizen: Citizen | None = None,
                        operator: User | None = None) -> dict[str, Any]:
    """The receipt object; the request's counter, citizen and operator, if the caller has them, save their queries."""
    if counter is None or counter.id != req.counter_id:
        counter = await Counter.get(id=req.counter_id)
    if citizen is None or citizen.id != req.citizen_id:
        citizen = await Citizen.get(id=req.citizen_id)
    if operator is None or operator.id != req.operator_id:
        operator = await User.get(id=req.operator_id)
    out = counter_core.receipt(req, counter, citizen)
    out["operator"] = operator.username
    out["details"] = req.quote_details
    out["department_ref"] = req.department_ref
    out["message_lang"] = req.message_lang or None  # the citizen's messages' language; None before it was asked (decision 99)
    recorded = getattr(req, "receipt_payment", None)  # a payment made just now carries its values (core.counter)
    if recorded is not None:
        out["payment"] = recorded
        return out
    every = list(await req.payments.all().order_by("id"))
    paid = [p for p in every if p.method not in counter_core.REFUND_METHODS]
    if paid:  # how it was paid, and for a pending payment what the citizen needs (a UPI link and QR code)
        details = dict(paid[0].details or {})
        if details.get("payer_vpa"):  # the citizen's UPI address: for the Society's refund, masked here (decision 79)
            details["payer_vpa"] = mask_vpa(str(details["payer_vpa"]))
        out["payment"] = {"method": paid[0].method, "status": paid[0].status, "amount_paise": paid[0].amount_paise,
                          "reference": paid[0].reference, "details": upi.shown_details(paid[0].method, paid[0].status, details)}
    to_upi = next((p for p in every if p.method == upi_refunds.METHOD), None)
    if to_upi is not None:  # a cancelled UPI booking: its refund, owed to the citizen until the Society sends it
        en, hi = upi_refunds.refund_texts(to_upi, req.receipt_no or "")
        out["refund"] = {"to": "upi", "amount_paise": -to_upi.amount_paise, "status": "sent" if to_upi.status == "refunded" else "owed",
                         "reference": to_upi.reference, "sent_at": to_upi.confirmed_at.isoformat() if to_upi.confirmed_at else None,
                         "message_en": en, "message_hi": hi}
    return out


def _receipt_no(request: Request) -> str | None:
    """The path's receipt number without spaces or dashes, in capitals; None when it cannot be one."""
    text = re.sub(r"[\s\-]", "", request.path_params["receipt_no"]).upper()
    return text if text.isascii() and is_valid_receipt_no(text) else None


@api(RECEIPT_READERS)
async def get_transaction(request: Request) -> Response:
    user = request.state.user
    number = _receipt_no(request)
    req = await ServiceRequest.get_or_none(receipt_no=number).prefetch_related("counter") if number else None
    visible = req is not None and (req.citizen_id == user.citizen_id if user.role == Role.CITIZEN else can_see_counter(user, req.counter))
    if not visible:
        return api_error(404, "not_found", "No receipt with this number.")
    return JSONResponse(await _receipt_json(req))


async def _own_receipt(request: Request, schema: dict[str, Any]) -> tuple[Counter, ServiceRequest, dict[str, Any]] | Response:
    """The operator's counter, the receipt in the path if that counter took it (else 404), and the
    optional JSON body checked against ``schema``."""
    counter = await _operator_counter(request)
    number = _receipt_no(request)
    req = await ServiceRequest.get_or_none(receipt_no=number) if number else None
    if req is None or req.counter_id != counter.id:
        return api_error(404, "not_found", "No receipt with this number at your counter.")
    body = await _json(request, schema, optional=True)
    return body if isinstance(body, Response) else (counter, req, body)


@api(OPERATOR)
async def cancel_transaction(request: Request) -> Response:
    """Cancel a paid booking at the counter that sold it; the refund is paid back to the card for a
    card payment (through Stripe), owed to the citizen's UPI account (sent by the Society, ``refund``)
    for a UPI payment, in cash otherwise. Stripe silent after the partner cancelled: 503,
    send the cancel again (the card is refunded once)."""
    found = await _own_receipt(request, CANCEL_INPUT)
    if isinstance(found, Response):
        return found
    counter, req, body = found
    try:
        await counter_core.cancel(actor(request, "api"), counter, req, str(body.get("reason", "")))
    except counter_core.CounterError as exc:
        return _counter_error(exc)
    out = await _receipt_json(req)
    refunds = [p for p in await req.payments.all().order_by("id") if p.method in counter_core.REFUND_METHODS]
    out["refund_paise"] = -sum(p.amount_paise for p in refunds)
    to_card = next((p for p in refunds if p.method == "card_refund"), None)
    paid_with = out.get("payment", {}).get("method")
    out["refund_to"] = "card" if to_card is not None or paid_with == "card" else "upi" if "refund" in out or paid_with == "upi" else "cash"
    if to_card is not None:
        out["refund_reference"] = to_card.reference
    return JSONResponse(out)


@api(OPERATOR)
async def withdraw_payment(request: Request) -> Response:
    """The citizen left without paying: withdraw the receipt's awaited card or UPI payment."""
    found = await _own_receipt(request, WITHDRAW_INPUT)
    if isinstance(found, Response):
        return found
    counter, req, body = found
    try:
        req, outcome = await counter_core.withdraw_payment(actor(request, "api"), counter, req, str(body.get("reason", "")))
    except counter_core.CounterError as exc:
        return _counter_error(exc)
    return JSONResponse({**await _receipt_json(req), "withdrawal": outcome})


@api(LANG_CHANGERS)
async def change_message_lang(request: Request) -> Response:
    """Change the language of the citizen's messages about a receipt after payment (decision 108):
    the operator of the counter where it was filed, a Society admin of its district (else 404)."""
    number = _receipt_no(request)
    req = await ServiceRequest.get_or_none(receipt_no=number).prefetch_related("counter") if number else None
    if req is None or not may_change_message_lang(request.state.user, req, req.counter):
        return api_error(404, "not_found", "No receipt with this number in your scope.")
    body = await _json(request, MESSAGE_LANG_INPUT)
    if isinstance(body, Response):
        return body
    await counter_core.change_message_lang(actor(request, "api"), req, body["message_lang"])  # checked by the schema
    return JSONResponse(await _receipt_json(req, req.counter))


@api(OPERATOR)
async def upload_document(request: Request) -> Response:
    """Upload a scanned document for a service's form field (multipart: service_code, field, file)."""
    from emitra.core import documents

    counter = await _operator_counter(request)
    try:
        form = await read_form(request)  # never more than EMITRA_MAX_REQUEST_MB taken in
    except HTTPException as exc:
        if exc.status_code != 413:
            raise
        return api_error(413, "too_large", str(exc.detail).split(" / ")[0])
    except Exception:
        return api_error(400, "bad_form", "Send multipart/form-data with service_code, field and file.")
    found = unstorable_field(form)  # a NUL, or a lone surrogate that a declared charset=utf-7 decodes into
    if found:
        return _unstorable_error(*found)
    code, field, upload = str(form.get("service_code", "")), str(form.get("field", "")), form.get("file")
    try:
        service = await counter_core.service_at(counter, code)
    except counter_core.CounterError as exc:
        return api_error(404, "service_not_offered", exc.message_en)
    spec = documents.spec_for(service, field)
    if spec is None:
        return api_error(422, "invalid_fields", f"{code} has no document field {field!r}.",
                         [{"field": "field", "message_en": f"{code} has no document field {field!r}.", "message_hi": "इस सेवा में ऐसा दस्तावेज़ फ़ील्ड नहीं है।"}])
    if upload is None or isinstance(upload, str):
        return api_error(422, "invalid_fields", "file is required.", [{"field": "file", "message_en": "file is required.", "message_hi": "फ़ाइल आवश्यक है।"}])
    # the limit and one byte into memory; a refusal names upload.size (counted as Starlette spooled the file to disk)
    content = await upload.read(int(spec.get("max_kb") or documents.DEFAULT_MAX_KB) * 1024 + 1)
    try:
        doc = await documents.store(actor(request, "api"), counter, service, field, upload.filename or "", content, size=upload.size)
    except FormErrors as exc:
        return _form_errors(exc)
    return JSONResponse({"id": doc.public_id, "content_type": doc.content_type, "size_bytes": doc.size_bytes,
                         "service_code": code, "field": field}, status_code=201)


@api(ANYONE)
async def openapi(request: Request) -> Response:
    return JSONResponse(document())

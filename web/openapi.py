"""The OpenAPI 3.1 document of the JSON API. A test checks that it names every API route."""

from __future__ import annotations

from typing import Any

from emitra import __version__
from emitra.core.money import MAX_PAISE
from emitra.core.notify import MESSAGE_LANG_REFUSED_EN, MESSAGE_LANG_REFUSED_HI
from emitra.core.workflow import REMARK_MAX
from emitra.core.workflow import WAITING_ON

#: ``turn`` of ``GET /api/v1/cases``: ``ours`` (the default) is the caller's desk, the rest as
#: core/workflow.py's WAITING_ON (web/api_cases.py)
CASE_TURNS = ("ours", *WAITING_ON)

_ERROR = {"$ref": "#/components/schemas/Error"}

# The largest amount the API takes, in paise: the counter pages' and the statements' limit
# (Rs 99,99,99,999.99, core.money.MAX_PAISE), far inside the 64-bit integers the database stores.

# Request bodies. The API checks every body against these same schemas before anything else
# (emitra.web.api._json), so the document and the checks cannot drift apart. A ``title`` is the
# field's name in the English and Hindi messages of a refusal.
TOKEN_INPUT: dict[str, Any] = {"type": "object", "required": ["username", "password"], "additionalProperties": False, "properties": {
    "username": {"type": "string", "minLength": 1, "maxLength": 60, "title": "username"},
    "password": {"type": "string", "minLength": 1, "maxLength": 1024, "title": "password"}}}

CITIZEN_INPUT: dict[str, Any] = {"type": "object", "required": ["name", "date_of_birth", "mobile"], "additionalProperties": False, "properties": {
    "name": {"type": "string", "minLength": 2, "maxLength": 200, "title": "name"},
    "date_of_birth": {"type": "string", "format": "date", "title": "date_of_birth", "description": "YYYY-MM-DD, not in the future, at most 125 years ago"},
    "mobile": {"type": "string", "maxLength": 20, "title": "mobile", "description": "10 digits starting with 6-9; +91, spaces and dashes are removed"},
    "gender": {"enum": ["", "M", "F", "T"], "title": "gender"},
    "address": {"type": "string", "maxLength": 300, "title": "address"},
    "aadhaar": {"type": "string", "maxLength": 20, "title": "aadhaar", "description": "12 digits with a valid check digit; stored masked and hashed only"},
    "confirm_new_person": {"type": "boolean", "title": "confirm_new_person"}}}

_SERVICE_CODE = {"type": "string", "minLength": 1, "maxLength": 100, "title": "service_code", "examples": ["gov.rj.jvvnl.bill"]}
_FORM = {"type": "object", "title": "form", "description": "The service's fields; its JSON Schema is the service's form in GET /api/v1/services"}

QUOTE_INPUT: dict[str, Any] = {"type": "object", "required": ["service_code", "form"], "additionalProperties": False,
                               "properties": {"service_code": _SERVICE_CODE, "form": _FORM}}


_MESSAGE_LANG = {"type": "string", "pattern": "^(en|hi)$", "title": "message_lang", "examples": ["hi"],
                 "description": "The language of every SMS and email to the citizen about this request: hi (Hindi) or en (English)",
                 "x-error-en": MESSAGE_LANG_REFUSED_EN, "x-error-hi": MESSAGE_LANG_REFUSED_HI}


def transaction_input(methods: list[str]) -> dict[str, Any]:
    """The body of POST /api/v1/transactions; ``methods`` are the payment method codes installed."""
    paise = {"type": "integer", "minimum": 0, "maximum": MAX_PAISE}
    return {"type": "object", "required": ["citizen", "service_code", "form", "payment", "idempotency_key"], "additionalProperties": False, "properties": {
        "citizen": {"type": "string", "maxLength": 40, "title": "citizen", "description": "e-Mitra ID"},
        "service_code": _SERVICE_CODE, "form": _FORM,
        "payment": {"type": "object", "title": "payment", "required": ["amount_paise"], "additionalProperties": False, "properties": {
            "method": {"enum": methods, "title": "payment.method",
                       "description": "cash is recorded at once; the others stay payment_pending until the bank or provider confirms"},
            "details": {"type": "object", "title": "payment.details", "description": "cheque/dd: number, bank, ifsc, date, drawer"},
            "amount_paise": {**paise, "title": "payment.amount_paise", "description": "The citizen total from the quote"},
            "tendered_paise": {**paise, "title": "payment.tendered_paise", "description": "Cash handed over, if more"}}},
        "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 64, "title": "idempotency_key"},
        "message_lang": {**_MESSAGE_LANG, "description": _MESSAGE_LANG["description"] + ". Left out: the citizen's last choice at a counter, if any"}}}


MESSAGE_LANG_INPUT: dict[str, Any] = {"type": "object", "required": ["message_lang"], "additionalProperties": False, "properties": {
    "message_lang": {**_MESSAGE_LANG, "description": _MESSAGE_LANG["description"] + " from now on: the messages already queued or sent keep theirs"}}}


CANCEL_INPUT: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                "properties": {"reason": {"type": "string", "maxLength": 500, "title": "reason"}}}
WITHDRAW_INPUT: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                  "properties": {"reason": {"type": "string", "maxLength": 200, "title": "reason"}}}
_ACTION = {"type": "string", "minLength": 1, "maxLength": 40, "title": "action", "examples": ["approve"]}
_REMARK = {"type": "string", "maxLength": REMARK_MAX, "title": "remark"}
_CORRECTION = {"type": "string", "pattern": "^[0-9a-f]{32}$", "title": "document",
               "description": "resubmit only: the id of the corrected document's scan, uploaded first to /api/v1/documents "
                              "with field 'correction'; attached to the application in the same transaction"}
CASE_ACTION_INPUT: dict[str, Any] = {"type": "object", "required": ["action"], "additionalProperties": False,
                                     "properties": {"action": _ACTION, "remark": _REMARK, "document": _CORRECTION}}
BULK_ACTION_INPUT: dict[str, Any] = {"type": "object", "required": ["numbers", "action"], "additionalProperties": False, "properties": {
    "numbers": {"type": "array", "items": {"type": "string", "maxLength": 60}, "minItems": 1, "maxItems": 200, "title": "numbers"},
    "action": _ACTION, "remark": _REMARK}}


def _resp(description: str, schema: dict[str, Any] | None = None, links: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema:
        out["content"] = {"application/json": {"schema": schema}}
    if links:
        out["links"] = links
    return out


def _errors(*codes: int) -> dict[str, Any]:
    """The refusals an operation may answer; every secured one may also answer 401 and 503."""
    texts = {400: "Malformed JSON", 401: "No or bad bearer token", 403: "Role not allowed", 404: "Not found or not in your scope",
             409: "Conflict (duplicate person, amount changed, key reused, step not allowed now)",
             413: "The body is larger than 1 MiB", 415: "The body is not application/json",
             502: "The card payment failed; take it again with a new idempotency_key",
             422: "Invalid fields (each named, in English and Hindi)",
             429: "Too many attempts, or too many look-ups of citizens the counter has not served; wait (Retry-After) and try again",
             503: "The database or a department's system is unavailable for a moment; retry"}
    return {str(c): _resp(texts[c], _ERROR) for c in sorted(set(codes) | {503})}


def _json_body(codes: tuple[int, ...]) -> tuple[int, ...]:
    return codes + (400, 413, 415, 422)


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _path(name: str, description: str, example: str, max_length: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1}
    if max_length:
        schema["maxLength"] = max_length
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema, "example": example}


_NULLABLE_TEXT = {"type": ["string", "null"]}
_LABELLED = {"type": "object", "required": ["label_en", "label_hi", "value"],
             "properties": {"label_en": {"type": "string"}, "label_hi": {"type": "string"}, "value": {},
                            "value_hi": {"type": "string", "description": "the value in Hindi, when it differs"}}}


def document() -> dict[str, Any]:
    from emitra.core import payments

    secured = [{"bearer": []}]
    receipt = {"$ref": "#/components/schemas/Receipt"}
    case = {"$ref": "#/components/schemas/Case"}
    receipt_no = _path("receipt_no", "The receipt number, e.g. JP0001000000018 (any case)", "JP0001000000018")
    number = _path("number", "The case number: the receipt number of an application, GR-JP-0000123 for a grievance", "GR-JP-0000001")
    receipt_links = {
        "getTransaction": {"operationId": "getTransaction", "parameters": {"receipt_no": "$response.body#/receipt_no"}},
        "cancelTransaction": {"operationId": "cancelTransaction", "parameters": {"receipt_no": "$response.body#/receipt_no"}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "emitra counter API", "version": __version__,
                 "description": "Register citizens, quote and pay services at an e-Mitra counter. Amounts are integer paise. "
                                "Bodies are JSON objects (Content-Type: application/json, at most 1 MiB); text never contains NUL characters or lone UTF-16 surrogates (\\ud800 to \\udfff)."},
        "paths": {
            "/api/v1/token": {"post": {
                "summary": "Exchange a username and password for a bearer token (8 hours)", "operationId": "token",
                "requestBody": _body(TOKEN_INPUT),
                "responses": {"200": _resp("A token", {"$ref": "#/components/schemas/Token"}), **_errors(*_json_body((401, 429)))}}},
            "/api/v1/services": {"get": {
                "summary": "Services enabled at the operator's counter, with published fee, payer and form (JSON Schema)",
                "operationId": "listServices", "security": secured,
                "responses": {"200": _resp("Services", {"type": "array", "items": {"$ref": "#/components/schemas/Service"}}), **_errors(401, 403)}}},
            "/api/v1/citizens": {"post": {
                "summary": "Register a citizen; a likely duplicate is answered with 409 and the candidates",
                "operationId": "registerCitizen", "security": secured,
                "requestBody": _body({"$ref": "#/components/schemas/CitizenInput"}),
                "responses": {"201": _resp("Registered", {"$ref": "#/components/schemas/Citizen"}, {
                    "getCitizen": {"operationId": "getCitizen", "parameters": {"emitra_id": "$response.body#/emitra_id"}}}),
                    **_errors(*_json_body((401, 403, 409)))}}},
            "/api/v1/citizens/{emitra_id}": {"get": {
                "summary": "A citizen of the operator's district (Aadhaar masked)", "operationId": "getCitizen", "security": secured,
                "description": "A citizen the operator's counter has not served counts against the operator's look-ups; past "
                               "EMITRA_CITIZEN_LOOKUPS in the window, 429 too_many_lookups with Retry-After (decision 87).",
                "parameters": [_path("emitra_id", "The e-Mitra ID, with or without dashes (JP-00000001-7 = JP000000017)", "JP000000017")],
                "responses": {"200": _resp("The citizen", {"$ref": "#/components/schemas/Citizen"}), **_errors(401, 403, 404, 422, 429)}}},
            "/api/v1/quotes": {"post": {
                "summary": "Validate a service form and get the amount due with the published service charge",
                "operationId": "quote", "security": secured,
                "requestBody": _body(QUOTE_INPUT),
                "responses": {"200": _resp("The quote", {"$ref": "#/components/schemas/Quote"}), **_errors(*_json_body((401, 403, 404)))}}},
            "/api/v1/transactions": {"post": {
                "summary": "Take a payment for a service (idempotent by idempotency_key)",
                "operationId": "createTransaction", "security": secured,
                "requestBody": _body({"$ref": "#/components/schemas/TransactionInput"}),
                "responses": {"201": _resp("Recorded", receipt, receipt_links),
                              "200": _resp("Replay of an already recorded payment", receipt, receipt_links),
                              **_errors(*_json_body((401, 403, 404, 409, 429, 502)))}}},
            "/api/v1/transactions/{receipt_no}": {"get": {
                "summary": "A receipt, if it is in your scope", "operationId": "getTransaction", "security": secured,
                "parameters": [receipt_no],
                "responses": {"200": _resp("The receipt", receipt), **_errors(401, 403, 404)}}},
            "/api/v1/transactions/{receipt_no}/cancel": {"post": {
                "summary": "Cancel a paid booking (cancellable services only) at the counter that sold it; the refund is paid back "
                           "to the card for a card payment (through Stripe), to the citizen's UPI account by the Society for a UPI "
                           "payment (owed until the Society's bank transfer: refund), in cash otherwise (refund_to)",
                "operationId": "cancelTransaction", "security": secured,
                "parameters": [receipt_no],
                "requestBody": _body({"$ref": "#/components/schemas/CancelInput"}, required=False),
                "responses": {"200": _resp("The receipt, now cancelled, with refund_paise and refund_to", receipt),
                              **_errors(*_json_body((401, 403, 404, 409)))}}},
            "/api/v1/transactions/{receipt_no}/withdraw": {"post": {
                "summary": "The citizen left without paying: withdraw the receipt's awaited card or UPI payment (at the counter that took it). "
                           "withdrawal is 'withdrawn' (the request is payment_failed) or 'paid' (the provider says the citizen paid: confirmed instead)",
                "operationId": "withdrawPayment", "security": secured,
                "parameters": [receipt_no],
                "requestBody": _body({"$ref": "#/components/schemas/WithdrawInput"}, required=False),
                "responses": {"200": _resp("The receipt, with withdrawal", {"allOf": [receipt, {"type": "object", "required": ["withdrawal"],
                                           "properties": {"withdrawal": {"enum": ["withdrawn", "paid"]}}}]}),
                              **_errors(*_json_body((401, 403, 404, 409, 503)))}}},
            "/api/v1/transactions/{receipt_no}/message-lang": {"post": {
                "summary": "Change the language of the citizen's SMS and email about a receipt after payment (a wrong choice, the "
                           "citizen's new one): the operator of the counter where it was filed, a Society admin of its district. "
                           "Messages queued from now on follow it; those already queued or sent keep theirs. Audited",
                "operationId": "changeMessageLang", "security": secured,
                "parameters": [receipt_no],
                "requestBody": _body({"$ref": "#/components/schemas/MessageLangInput"}),
                "responses": {"200": _resp("The receipt, with its message_lang", receipt), **_errors(*_json_body((401, 403, 404)))}}},
            "/api/v1/documents": {"post": {
                "summary": "Upload a scanned document (PDF, JPEG or PNG, as the field accepts) for a service's form field; put the returned id in the form",
                "operationId": "uploadDocument", "security": secured,
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["service_code", "field", "file"], "additionalProperties": False, "properties": {
                    "service_code": {"type": "string", "maxLength": 100}, "field": {"type": "string", "maxLength": 200, "description": "the field's path, e.g. ration_card_scan; or 'correction' for the scan a resubmission attaches"},
                    "file": {"type": "string", "format": "binary"}}}}}},
                "responses": {"201": _resp("Stored", {"type": "object", "required": ["id", "content_type", "size_bytes", "service_code", "field"],
                                                      "properties": {"id": {"type": "string"}, "content_type": {"type": "string"},
                                                                     "size_bytes": {"type": "integer", "minimum": 0},
                                                                     "service_code": {"type": "string"}, "field": {"type": "string"}}}),
                              **_errors(400, 401, 403, 404, 413, 422)}}},
            "/api/v1/cases": {"get": {
                "summary": "Applications and grievances in your scope (officer: your department; Society: your district; operator: "
                           "your counter) waiting on your desk (see turn), oldest first",
                "operationId": "listCases", "security": secured,
                "parameters": [{"name": n, "in": "query", "required": False, "schema": s} for n, s in (
                    ("state", {"type": "string", "maxLength": 30, "description": "only cases in this state, closed ones too; "
                               "whoever's turn it is unless turn is given"}),
                    ("service_code", {"type": "string", "maxLength": 100}),
                    ("turn", {"enum": list(CASE_TURNS), "default": "ours", "description": (
                        "whose turn the listed cases are: ours (the default; without state): the open cases waiting on "
                        "your desk, the department's (or the Society's on a Society desk case) for an officer, the "
                        "Society and the state, the counter's for an operator, as the officer's inbox lists; department "
                        "or counter: the open cases waiting on it (counter: a correction or a collection); open: every "
                        "open case; all: closed ones too")}),
                    ("breached", {"enum": ["true", "false"], "description": (
                        "true: the cases past a deadline now, flagged by the SLA sweep or open with their state's or "
                        "their overall deadline passed (not flagged yet); false: the others")}),
                    ("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}),
                    ("offset", {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0}))],
                "responses": {"200": _resp("Cases", {"type": "object", "required": ["cases", "limit", "offset"], "properties": {
                    "cases": {"type": "array", "items": case}, "limit": {"type": "integer"},
                    "offset": {"type": "integer"}}}), **_errors(401, 403, 422)}}},
            "/api/v1/cases/actions": {"post": {
                "summary": "Take the same step on many cases; each is its own transaction, refusals are listed and leave the others done",
                "operationId": "actOnCases", "security": secured,
                "requestBody": _body(BULK_ACTION_INPUT),
                "responses": {"200": _resp("Done, done already by you, and refused", {"type": "object", "required": ["done", "already", "refused"], "properties": {
                    "done": {"type": "array", "items": {"type": "string"}},
                    "already": {"type": "array", "items": {"type": "object", "required": ["number", "action", "at"], "properties": {
                        "number": {"type": "string"}, "action": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}}},
                    "refused": {"type": "array", "items": {"type": "object", "required": ["number", "field", "message_en", "message_hi"], "properties": {
                        "number": {"type": "string"}, "field": {"type": "string"}, "message_en": {"type": "string"},
                        "message_hi": {"type": "string"}}}}}}), **_errors(*_json_body((401, 403)))}}},
            "/api/v1/cases/{number}": {"get": {
                "summary": "A case with its full timeline and the steps you may take", "operationId": "getCase", "security": secured,
                "parameters": [number],
                "responses": {"200": _resp("The case", case), **_errors(401, 403, 404)}}},
            "/api/v1/cases/{number}/actions": {"post": {
                "summary": "Take one step on a case (approve, reject, return, issue, collect...); 409 says what is allowed now",
                "operationId": "actOnCase", "security": secured,
                "parameters": [number],
                "requestBody": _body(CASE_ACTION_INPUT),
                "responses": {"200": _resp("The case after the step", case), **_errors(*_json_body((401, 403, 404, 409)))}}},
            "/api/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                          "responses": {"200": _resp("OpenAPI 3.1", {"type": "object", "required": ["openapi", "paths"]})}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "additionalProperties": False, "properties": {"error": {
                    "type": "object", "required": ["code", "message"], "additionalProperties": False, "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"},
                        "fields": {"type": "array", "items": {"type": "object", "required": ["field", "message_en", "message_hi"], "properties": {
                            "field": {"type": "string"}, "message_en": {"type": "string"}, "message_hi": {"type": "string"},
                            "rule": {"type": "string"}, "citation": {"type": "string"}}}},
                        # a record of this district: its e-Mitra ID and name; of another district (the same Aadhaar): its district only
                        "candidates": {"type": "array", "items": {"oneOf": [
                            {"type": "object", "required": ["emitra_id", "name", "reason"], "additionalProperties": False, "properties": {
                                "emitra_id": {"type": "string"}, "name": {"type": "string"}, "reason": {"enum": ["aadhaar", "mobile+dob+name"]}}},
                            {"type": "object", "required": ["district", "reason"], "additionalProperties": False, "properties": {
                                "district": {"type": "string"}, "reason": {"const": "aadhaar"}}}]}}}}}},
                "Case": {"type": "object", "required": ["number", "kind", "service_code", "state", "allowed_actions"], "properties": {
                    "number": {"type": "string"}, "kind": {"enum": ["application", "grievance"]}, "service_code": {"type": "string"},
                    "title_en": {"type": "string"}, "title_hi": {"type": "string"}, "department": {"type": "string"},
                    "department_hi": {"type": "string", "description": "the department's Hindi name its plugin declares, else the English one"},
                    "desk": {"enum": ["department", "society"]}, "channel": {"type": "string"}, "state": {"type": "string"},
                    "state_en": {"type": "string"}, "state_hi": {"type": "string"},
                    "waiting_on": {"enum": ["department", "counter", "none"], "description": (
                        "whose turn it is: the department's (or the Society's on a Society desk case), the counter's "
                        "(a correction, a collection), nobody's (closed)")},
                    "level": {"type": "integer"},
                    "breached": {"type": "boolean", "description": "flagged by the SLA sweep"},
                    "past_deadline": {"type": "boolean", "description": (
                        "flagged, or open with a deadline passed (what the sweep flags when it runs next)")},
                    "created_at": {"type": "string", "format": "date-time"},
                    "state_due_at": _NULLABLE_TEXT, "due_at": _NULLABLE_TEXT, "closed_at": _NULLABLE_TEXT, "applicant_name": {"type": "string"},
                    "allowed_actions": {"type": "array", "items": {"type": "object", "required": ["action", "label_en", "label_hi", "reason_required"], "properties": {
                        "action": {"type": "string"}, "label_en": {"type": "string"}, "label_hi": {"type": "string"},
                        "reason_required": {"type": "boolean"}}}},
                    "timeline": {"type": "array", "items": {"type": "object", "required": ["at", "action", "state"], "properties": {
                        "at": {"type": "string", "format": "date-time"}, "action": {"type": "string"}, "state": {"type": "string"}}}}}},
                "Token": {"type": "object", "required": ["token", "token_type", "expires_in", "role"], "properties": {
                    "token": {"type": "string"}, "token_type": {"const": "bearer"}, "expires_in": {"type": "integer"}, "role": {"type": "string"}}},
                "Service": {"type": "object", "required": ["code", "title_en", "title_hi", "fee_paise", "payer", "form"], "properties": {
                    "code": {"type": "string"}, "title_en": {"type": "string"}, "title_hi": {"type": "string"},
                    "provider": {"type": "string"}, "domain": {"enum": ["government", "central", "private"]},
                    "category": {"type": "string"}, "workflow": {"type": "string"}, "fee_paise": {"type": "integer", "minimum": 0},
                    "payer": {"enum": ["citizen", "department", "partner"]}, "form": {"type": "object", "description": "JSON Schema"}}},
                "CitizenInput": CITIZEN_INPUT,
                "Citizen": {"type": "object", "required": ["emitra_id", "name", "date_of_birth", "gender", "mobile", "address", "aadhaar"], "properties": {
                    "emitra_id": {"type": "string"}, "name": {"type": "string"}, "date_of_birth": {"type": "string", "format": "date"},
                    "gender": {"enum": ["", "M", "F", "T"]}, "mobile": {"type": "string"}, "address": {"type": "string"},
                    "aadhaar": {"type": "string", "description": "Masked: XXXX XXXX 1234, or empty"}}},
                "Quote": {"type": "object", "required": ["service_code", "form", "principal_paise", "service_charge_paise", "charge_payer", "citizen_total_paise"], "properties": {
                    "service_code": {"type": "string"}, "form": {"type": "object"}, "reference": {"type": "string"},
                    "details": {"type": "array", "items": _LABELLED}, "principal_paise": {"type": "integer"},
                    "service_charge_paise": {"type": "integer"}, "charge_payer": {"type": "string"}, "citizen_total_paise": {"type": "integer"}}},
                "TransactionInput": transaction_input(sorted(payments.methods())),
                "CancelInput": CANCEL_INPUT,
                "WithdrawInput": WITHDRAW_INPUT,
                "MessageLangInput": MESSAGE_LANG_INPUT,
                "Receipt": {"type": "object", "required": ["receipt_no", "service_code", "counter", "citizen", "citizen_total_paise", "status"], "properties": {
                    "receipt_no": {"type": "string"}, "service_code": {"type": "string"}, "service_title_en": {"type": "string"},
                    "service_title_hi": {"type": "string"}, "provider": {"type": "string"}, "counter": {"type": "string"},
                    "operator": {"type": "string"}, "citizen": {"type": "string"}, "reference": {"type": "string"},
                    "principal_paise": {"type": "integer"}, "service_charge_paise": {"type": "integer"}, "charge_payer": {"type": "string"},
                    "citizen_total_paise": {"type": "integer"},
                    "status": {"enum": ["paid", "submitted", "submission_failed", "cancelled", "payment_pending", "payment_failed"]},
                    "recorded_at": {"type": ["string", "null"], "format": "date-time"},
                    "department_ref": {"type": "string", "description": "The department's or partner's acknowledgement (PNR, policy number...)"},
                    "message_lang": {"enum": ["en", "hi", None], "description": "The language of the SMS and email to the citizen "
                                     "about it; null for a request recorded before the citizen was asked"},
                    "details": {"type": "array", "items": _LABELLED},
                    "payment": {"type": "object", "required": ["method", "status", "amount_paise"], "properties": {
                        "method": {"type": "string"}, "status": {"type": "string"}, "amount_paise": {"type": "integer"},
                        "reference": {"type": "string"}, "details": {"type": "object"}}},
                    "refund_paise": {"type": "integer", "description": "Cancel only: what was paid back (the service charge is not)"},
                    "refund_to": {"enum": ["cash", "card", "upi"], "description": "Cancel only: where the refund went: the drawer's cash, "
                                  "the card the booking was paid with (through Stripe), or the citizen's UPI account (sent by the "
                                  "District e-Mitra Society by bank transfer; no cash at the counter)"},
                    "refund": {"type": "object", "description": "A UPI-paid booking cancelled: its refund to the citizen's UPI account, "
                               "owed until the Society sends it", "properties": {
                                   "to": {"enum": ["upi"]}, "amount_paise": {"type": "integer"},
                                   "status": {"enum": ["owed", "sent"]}, "reference": {"type": "string", "description": "The bank reference of the transfer, once sent"},
                                   "sent_at": {"type": ["string", "null"], "format": "date-time"},
                                   "message_en": {"type": "string"}, "message_hi": {"type": "string"}}},
                    "refund_reference": {"type": "string", "description": "Cancel only: Stripe's refund id (re_...) of a refund to the card"}}},
            },
        },
    }

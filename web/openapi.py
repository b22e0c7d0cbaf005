"""The OpenAPI 3.1 document of the JSON API. A test checks that it names every API route."""

from __future__ import annotations

from typing import Any

from emitra import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}


def _resp(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _errors(*codes: int) -> dict[str, Any]:
    texts = {400: "Malformed JSON", 401: "No or bad bearer token", 403: "Role not allowed", 404: "Not found or not in your scope",
             409: "Conflict (duplicate person, amount changed, key reused)", 422: "Invalid fields (each named, in English and Hindi)"}
    return {str(c): _resp(texts[c], _ERROR) for c in codes}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def document() -> dict[str, Any]:
    secured = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "emitra counter API", "version": __version__,
                 "description": "Register citizens, quote and pay services at an e-Mitra counter. Amounts are integer paise."},
        "paths": {
            "/api/v1/token": {"post": {
                "summary": "Exchange a username and password for a bearer token (8 hours)", "operationId": "token",
                "requestBody": _body({"type": "object", "required": ["username", "password"],
                                      "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}),
                "responses": {"200": _resp("A token", {"$ref": "#/components/schemas/Token"}), **_errors(400, 401)}}},
            "/api/v1/services": {"get": {
                "summary": "Services enabled at the operator's counter, with published fee, payer and form (JSON Schema)",
                "operationId": "listServices", "security": secured,
                "responses": {"200": _resp("Services", {"type": "array", "items": {"$ref": "#/components/schemas/Service"}}), **_errors(401, 403)}}},
            "/api/v1/citizens": {"post": {
                "summary": "Register a citizen; a likely duplicate is answered with 409 and the candidates",
                "operationId": "registerCitizen", "security": secured,
                "requestBody": _body({"$ref": "#/components/schemas/CitizenInput"}),
                "responses": {"201": _resp("Registered", {"$ref": "#/components/schemas/Citizen"}), **_errors(400, 401, 403, 409, 422)}}},
            "/api/v1/citizens/{emitra_id}": {"get": {
                "summary": "A citizen of the operator's district (Aadhaar masked)", "operationId": "getCitizen", "security": secured,
                "parameters": [{"name": "emitra_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _resp("The citizen", {"$ref": "#/components/schemas/Citizen"}), **_errors(401, 403, 404, 422)}}},
            "/api/v1/quotes": {"post": {
                "summary": "Validate a service form and get the amount due with the published service charge",
                "operationId": "quote", "security": secured,
                "requestBody": _body({"type": "object", "required": ["service_code", "form"],
                                      "properties": {"service_code": {"type": "string"}, "form": {"type": "object"}}}),
                "responses": {"200": _resp("The quote", {"$ref": "#/components/schemas/Quote"}), **_errors(400, 401, 403, 404, 422)}}},
            "/api/v1/transactions": {"post": {
                "summary": "Take a cash payment for a service (idempotent by idempotency_key)",
                "operationId": "createTransaction", "security": secured,
                "requestBody": _body({"$ref": "#/components/schemas/TransactionInput"}),
                "responses": {"201": _resp("Recorded", {"$ref": "#/components/schemas/Receipt"}),
                              "200": _resp("Replay of an already recorded payment", {"$ref": "#/components/schemas/Receipt"}),
                              **_errors(400, 401, 403, 404, 409, 422)}}},
            "/api/v1/transactions/{receipt_no}": {"get": {
                "summary": "A receipt, if it is in your scope", "operationId": "getTransaction", "security": secured,
                "parameters": [{"name": "receipt_no", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _resp("The receipt", {"$ref": "#/components/schemas/Receipt"}), **_errors(401, 403, 404)}}},
            "/api/v1/transactions/{receipt_no}/cancel": {"post": {
                "summary": "Cancel a paid booking (cancellable services only) at the counter that sold it; the refund is paid in cash",
                "operationId": "cancelTransaction", "security": secured,
                "parameters": [{"name": "receipt_no", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}}},
                "responses": {"200": _resp("The receipt, now cancelled, with refund_paise", {"$ref": "#/components/schemas/Receipt"}),
                              **_errors(400, 401, 403, 404, 422)}}},
            "/api/v1/documents": {"post": {
                "summary": "Upload a scanned document (PDF, JPEG or PNG, as the field accepts) for a service's form field; put the returned id in the form",
                "operationId": "uploadDocument", "security": secured,
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["service_code", "field", "file"], "properties": {
                    "service_code": {"type": "string"}, "field": {"type": "string", "description": "the field's path, e.g. ration_card_scan"},
                    "file": {"type": "string", "format": "binary"}}}}}},
                "responses": {"201": _resp("Stored", {"type": "object", "properties": {"id": {"type": "string"}, "content_type": {"type": "string"},
                                                                                       "size_bytes": {"type": "integer"}}}),
                              **_errors(400, 401, 403, 404, 422)}}},
            "/api/v1/cases": {"get": {
                "summary": "Applications and grievances in your scope (officer: your department; Society: your district; operator: your counter), oldest first",
                "operationId": "listCases", "security": secured,
                "parameters": [{"name": n, "in": "query", "required": False, "schema": s} for n, s in (
                    ("state", {"type": "string"}), ("service_code", {"type": "string"}), ("breached", {"enum": ["true", "false"]}),
                    ("limit", {"type": "integer", "minimum": 1, "maximum": 500}), ("offset", {"type": "integer", "minimum": 0}))],
                "responses": {"200": _resp("Cases", {"type": "object", "properties": {
                    "cases": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}, "limit": {"type": "integer"},
                    "offset": {"type": "integer"}}}), **_errors(401, 403, 422)}}},
            "/api/v1/cases/actions": {"post": {
                "summary": "Take the same step on many cases; each is its own transaction, refusals are listed and leave the others done",
                "operationId": "actOnCases", "security": secured,
                "requestBody": _body({"type": "object", "required": ["numbers", "action"], "properties": {
                    "numbers": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 200},
                    "action": {"type": "string"}, "remark": {"type": "string", "maxLength": 2000}}}),
                "responses": {"200": _resp("Done and refused", {"type": "object", "properties": {
                    "done": {"type": "array", "items": {"type": "string"}},
                    "refused": {"type": "array", "items": {"type": "object"}}}}), **_errors(400, 401, 403, 422)}}},
            "/api/v1/cases/{number}": {"get": {
                "summary": "A case with its full timeline and the steps you may take", "operationId": "getCase", "security": secured,
                "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _resp("The case", {"$ref": "#/components/schemas/Case"}), **_errors(401, 403, 404)}}},
            "/api/v1/cases/{number}/actions": {"post": {
                "summary": "Take one step on a case (approve, reject, return, issue, collect...); 409 says what is allowed now",
                "operationId": "actOnCase", "security": secured,
                "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": _body({"type": "object", "required": ["action"], "properties": {
                    "action": {"type": "string"}, "remark": {"type": "string", "maxLength": 2000}}}),
                "responses": {"200": _resp("The case after the step", {"$ref": "#/components/schemas/Case"}),
                              **_errors(400, 401, 403, 404, 409, 422)}}},
            "/api/openapi.json": {"get": {"summary": "This document", "operationId": "openapi", "responses": {"200": _resp("OpenAPI 3.1")}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "fields": {"type": "array", "items": {"type": "object", "properties": {
                        "field": {"type": "string"}, "message_en": {"type": "string"}, "message_hi": {"type": "string"}}}},
                    "candidates": {"type": "array", "items": {"type": "object"}}}}}},
                "Case": {"type": "object", "properties": {
                    "number": {"type": "string"}, "kind": {"enum": ["application", "grievance"]}, "service_code": {"type": "string"},
                    "title_en": {"type": "string"}, "title_hi": {"type": "string"}, "department": {"type": "string"},
                    "desk": {"enum": ["department", "society"]}, "channel": {"type": "string"}, "state": {"type": "string"},
                    "state_en": {"type": "string"}, "state_hi": {"type": "string"}, "level": {"type": "integer"},
                    "breached": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
                    "state_due_at": {"type": ["string", "null"]}, "due_at": {"type": ["string", "null"]},
                    "closed_at": {"type": ["string", "null"]}, "applicant_name": {"type": "string"},
                    "allowed_actions": {"type": "array", "items": {"type": "object"}},
                    "timeline": {"type": "array", "items": {"type": "object"}}}},
                "Token": {"type": "object", "properties": {"token": {"type": "string"}, "token_type": {"const": "bearer"},
                                                           "expires_in": {"type": "integer"}, "role": {"type": "string"}}},
                "Service": {"type": "object", "properties": {
                    "code": {"type": "string"}, "title_en": {"type": "string"}, "title_hi": {"type": "string"},
                    "provider": {"type": "string"}, "domain": {"enum": ["government", "central", "private"]},
                    "category": {"type": "string"}, "workflow": {"type": "string"}, "fee_paise": {"type": "integer", "minimum": 0},
                    "payer": {"enum": ["citizen", "department", "partner"]}, "form": {"type": "object", "description": "JSON Schema"}}},
                "CitizenInput": {"type": "object", "required": ["name", "date_of_birth", "mobile"], "properties": {
                    "name": {"type": "string"}, "date_of_birth": {"type": "string", "format": "date"},
                    "mobile": {"type": "string", "pattern": "^[6-9][0-9]{9}$"}, "gender": {"enum": ["", "M", "F", "T"]},
                    "address": {"type": "string"}, "aadhaar": {"type": "string", "description": "12 digits; stored masked and hashed only"},
                    "confirm_new_person": {"type": "boolean"}}},
                "Citizen": {"type": "object", "properties": {
                    "emitra_id": {"type": "string"}, "name": {"type": "string"}, "date_of_birth": {"type": "string", "format": "date"},
                    "gender": {"type": "string"}, "mobile": {"type": "string"}, "address": {"type": "string"},
                    "aadhaar": {"type": "string", "description": "Masked: XXXX XXXX 1234"}}},
                "Quote": {"type": "object", "properties": {
                    "service_code": {"type": "string"}, "form": {"type": "object"}, "reference": {"type": "string"},
                    "details": {"type": "array", "items": {"type": "object"}}, "principal_paise": {"type": "integer"},
                    "service_charge_paise": {"type": "integer"}, "charge_payer": {"type": "string"}, "citizen_total_paise": {"type": "integer"}}},
                "TransactionInput": {"type": "object", "required": ["citizen", "service_code", "form", "payment", "idempotency_key"], "properties": {
                    "citizen": {"type": "string", "description": "e-Mitra ID"}, "service_code": {"type": "string"}, "form": {"type": "object"},
                    "payment": {"type": "object", "required": ["amount_paise"], "properties": {
                        "method": {"enum": ["cash", "cheque", "dd", "upi", "card"], "description": "cash is recorded at once; the others stay payment_pending until the bank or provider confirms"},
                        "details": {"type": "object", "description": "cheque/dd: number, bank, ifsc, date, drawer"},
                        "amount_paise": {"type": "integer", "minimum": 0, "description": "The citizen total from the quote"},
                        "tendered_paise": {"type": "integer", "minimum": 0, "description": "Cash handed over, if more"}}},
                    "idempotency_key": {"type": "string", "maxLength": 64}}},
                "Receipt": {"type": "object", "properties": {
                    "receipt_no": {"type": "string"}, "service_code": {"type": "string"}, "service_title_en": {"type": "string"},
                    "service_title_hi": {"type": "string"}, "provider": {"type": "string"}, "counter": {"type": "string"},
                    "operator": {"type": "string"}, "citizen": {"type": "string"}, "reference": {"type": "string"},
                    "principal_paise": {"type": "integer"}, "service_charge_paise": {"type": "integer"}, "charge_payer": {"type": "string"},
                    "citizen_total_paise": {"type": "integer"}, "status": {"type": "string"}, "recorded_at": {"type": "string", "format": "date-time"},
                    "department_ref": {"type": "string", "description": "The department's or partner's acknowledgement (PNR, policy number...)"},
                    "details": {"type": "array", "items": {"type": "object"}}}},
            },
        },
    }

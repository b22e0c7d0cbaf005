"""The district Society admin's Policy page: the rules that apply in the district, the district's own
rules, the restricted services and the Society's approvals of them (docs/policy.md).

Every change goes through :mod:`emitra.core.compliance`, which checks it and writes the audit log.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from emitra.core import clock, compliance
from emitra.core.models import LSP, District, PolicyApproval, PolicyRule, Role
from emitra.core.plugins import get_host
from emitra.core.services import Category
from emitra.policy.rules import DECISIONS, check_rule
from emitra.web import params
from emitra.web.i18n import _
from emitra.web.labels import N_
from emitra.web.security import actor, page
from emitra.web.templating import render

SOCIETY = [Role.SOCIETY_ADMIN]
PAGE = "/society/policy"
LIST_FIELDS = ("categories", "providers", "codes", "terms_en", "terms_hi", "doubtful_en", "doubtful_hi")
TEXT_FIELDS = ("id", "citation", "decision", "effective_from", "effective_to")

# What to tell the admin about a field of a rule the schema refused (the schema's own words follow).
FIELD_HELP = {
    "id": N_("Give an id of capital letters, digits and hyphens, beginning with a letter (3 to 61 characters), for example JP-DTH-REVIEW."),
    "citation": N_("Cite the order or resolution the rule rests on (at least 5 characters)."),
    "decision": N_("Choose deny (prohibited) or restricted (needs the Society's approval for each LSP)."),
    "effective_from": N_("Give the date the rule takes effect as YYYY-MM-DD, for example 2026-12-01."),
    "effective_to": N_("Give the last day of the rule as YYYY-MM-DD, not before it takes effect, or leave it empty."),
    "match": N_("The rule matches nothing: give categories, providers, service codes or terms."),
    "categories": N_("Each category needs at least one letter."),
    "providers": N_("Each provider needs at least one letter."),
    "codes": N_("Each service code needs at least one letter."),
    "terms_en": N_("Each English term needs at least 2 letters."),
    "terms_hi": N_("Each Hindi term needs at least one letter."),
    "doubtful_en": N_("Each doubtful English term needs at least 2 letters."),
    "doubtful_hi": N_("Each doubtful Hindi term needs at least one letter."),
}


def _split(text: str) -> list[str]:
    """Comma-separated text (commas or new lines) as a list, blanks dropped."""
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def _rule_data(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The rule as compliance.add_rule takes it (empty optional fields left out), and the form as sent."""
    sent = {k: str(form.get(k, "")).strip() for k in TEXT_FIELDS + LIST_FIELDS}
    data: dict[str, Any] = {k: sent[k] for k in TEXT_FIELDS if sent[k]}
    for k in LIST_FIELDS:
        if _split(sent[k]):
            data[k] = _split(sent[k])
    return data, sent


def _rule_errors(data: dict[str, Any]) -> dict[str, str]:
    """field -> message, in the page's language, with the checker's own words after it."""
    errors: dict[str, str] = {}
    for problem in check_rule(data, "rule"):
        # "rule: rule 'JP-X': effective_from: '2026-13-45' is not a 'date'"
        parts = problem.split(": ", 3)
        field, detail = (parts[2], parts[3]) if len(parts) == 4 else ("rule", problem)
        field = field.split(".")[0]  # terms_en.0 -> terms_en
        if field == "match":
            errors[field] = _(FIELD_HELP[field])
        elif field not in errors:
            errors[field] = f"{_(FIELD_HELP[field])} ({detail})" if field in FIELD_HELP else detail
    if "match" not in errors and not any(data.get(k) for k in LIST_FIELDS):  # said too, when other fields are wrong
        errors["match"] = _(FIELD_HELP["match"])
    return errors


def _form_of(row: PolicyRule) -> dict[str, str]:
    """A district rule as the form shows it, to replace it."""
    match = row.match or {}
    return {"id": row.rule_id, "citation": row.citation, "decision": row.decision, "effective_from": row.effective_from.isoformat(),
            "effective_to": row.effective_to.isoformat() if row.effective_to else "",
            **{k: ", ".join(match.get(k, [])) for k in LIST_FIELDS}}


def _source(rule: Any) -> str:
    """Where a rule comes from, short: india.toml, districts/JP.toml, or the district's own rules."""
    if rule.source == "database":
        return ""
    path = Path(rule.source)
    return f"{path.parent.name}/{path.name}" if path.parent.name == "districts" else path.name


def _status(rule: Any, today: dt.date) -> str:
    if rule.effective_to and rule.effective_to < today:
        return "lapsed"
    return "in_force" if rule.effective_from <= today else "scheduled"


async def _render(request: Request, status: int = 200, rule_form: dict[str, str] | None = None,
                  rule_errors: dict[str, str] | None = None, approval_errors: dict[str, dict[str, str]] | None = None,
                  approval_form: dict[str, str] | None = None, error: str = "") -> Response:
    user = request.state.user
    district = await District.get(id=user.district_id)
    today = clock.today()
    host = get_host()
    files = [r for r in host.policy.rules if r.district in (None, district.code)]
    db_rules = await compliance.district_rules(district.id)
    rows = [{"rule": r, "status": _status(r, today), "db": r.source == "database", "source": _source(r)} for r in files + db_rules]
    current = [row for row in rows if row["status"] != "lapsed"]
    lapsed = [row for row in rows if row["status"] == "lapsed" and row["db"]]

    services = sorted(host.registry, key=lambda s: s.code)
    decisions = await compliance.decide_many(services, district.id, None, today)
    restricted = [(s, decisions[s.code]) for s in services if decisions[s.code].decision == "restricted"]
    denied = [(s, decisions[s.code]) for s in services if decisions[s.code].decision == "deny"]
    approvals = await PolicyApproval.filter(district_id=district.id, revoked_at=None).prefetch_related("lsp").order_by("service_code", "id")
    approved_for: dict[str, list[str]] = {}
    for a in approvals:
        approved_for.setdefault(a.service_code, []).append(a.lsp.name)
    refusals = [r for r in host.registry.refusals if r.field == "policy"]

    if rule_form is None:
        edit = request.query_params.get("edit", "")
        row = await PolicyRule.get_or_none(district_id=district.id, rule_id=edit) if edit else None
        rule_form = _form_of(row) if row else {"decision": "deny", "effective_from": today.isoformat()}
    return render(request, "society/policy.html", {
        "district": district, "today": today, "rules": current, "lapsed": lapsed, "code_rules": host.policy.code_rules,
        "restricted": restricted, "denied": denied, "approvals": approvals, "approved_for": approved_for,
        "refusals": refusals, "titles": {s.code: s for s in host.all_declared.values()},
        "lsps": await LSP.filter(district_id=district.id, active=True).order_by("name"),
        "decisions": DECISIONS, "categories": [c.value for c in Category],
        "rule_form": rule_form, "rule_errors": rule_errors or {}, "approval_errors": approval_errors or {},
        "approval_form": approval_form or {}, "error": error, "saved": request.query_params.get("saved", ""),
    }, status)


@page(SOCIETY)
async def policy(request: Request) -> Response:
    """Everything about the policy in the admin's district, and the forms that change it."""
    return await _render(request)


@page(SOCIETY)
async def add_rule(request: Request) -> Response:
    """Add or replace a district rule; every problem is shown next to its field and nothing is written."""
    data, sent = _rule_data(request.state.form)
    errors = _rule_errors(data)
    if not errors:
        try:
            await compliance.add_rule(actor(request), data)
        except compliance.PolicyError as exc:
            errors[exc.field] = exc.message
        else:
            return RedirectResponse(f"{PAGE}?saved=rule#rules", status_code=303)
    return await _render(request, 400, rule_form=sent, rule_errors=errors)


@page(SOCIETY)
async def approve(request: Request) -> Response:
    """Approve a restricted service for one LSP of the district, with a note."""
    form = request.state.form
    code = str(form.get("service_code", "")).strip()
    note = str(form.get("note", "")).strip()
    errors: dict[str, str] = {}
    service = get_host().registry.get(code)
    district_id = request.state.user.district_id
    if service is None:
        errors["service_code"] = _("No such service.")
    elif (await compliance.decide(service, district_id, None)).decision != "restricted":
        errors["service_code"] = _("This service is not restricted in your district today, so there is nothing to approve.")
    lsp_id = params.record_id(form.get("lsp"))  # digits up to the largest id: a larger number was a 500 on PostgreSQL
    if lsp_id is None or not await LSP.exists(id=lsp_id, district_id=district_id):
        errors["lsp"] = _("Choose an LSP of your district.")
    if not note:
        errors["note"] = _("Say why it is approved; the note is kept with the approval.")
    if not errors:
        try:
            await compliance.approve(actor(request), lsp_id, code, note)
        except compliance.PolicyError as exc:
            errors[exc.field if exc.field in ("lsp", "note") else "service_code"] = exc.message
        else:
            return RedirectResponse(f"{PAGE}?saved=approval#approvals", status_code=303)
    return await _render(request, 400, approval_errors={code: errors}, approval_form={"service_code": code, "lsp": str(form.get("lsp", "")), "note": note},
                         error=errors.get("service_code", ""))


@page(SOCIETY)
async def revoke(request: Request) -> Response:
    """Revoke an approval in force: the LSP's counters stop offering the service at once."""
    try:
        approval_id = params.record_id(request.path_params["approval_id"])
        if approval_id is None:
            raise ValueError("not an approval's number")
        await compliance.revoke(actor(request), approval_id)
    except (ValueError, compliance.PolicyError):
        return await _render(request, 404, error=_("No such approval in force in your district."))
    return RedirectResponse(f"{PAGE}?saved=revoked#approvals", status_code=303)

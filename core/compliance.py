"""The policy at the counter: decisions with the district's own rules and the Society's approvals,
and the Society's changes to them (each in the audit log)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.transactions import in_transaction

from emitra.core import audit, cache, clock
from emitra.core.models import LSP, PolicyApproval, PolicyRule, Role
from emitra.core.plugins import get_host
from emitra.core.services import Service
from emitra.policy.engine import Decision, district_rule
from emitra.policy.rules import check_rule


class PolicyError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


async def _district_code(district_id: int) -> str:
    from emitra.core.counter import district_code

    return await district_code(district_id)


async def district_rules(district_id: int) -> list[Any]:
    async def load() -> list[Any]:
        code = await _district_code(district_id)
        return [district_rule(row, code) for row in await PolicyRule.filter(district_id=district_id)]

    return await cache.get("policy_rules", district_id, load)


async def decide(service: Service, district_id: int, lsp_id: int | None, on: dt.date | None = None,
                 rules: list[Any] | None = None) -> Decision:
    """The decision for ``service`` in a district, for one LSP, on a date (today by default)."""
    on = on or clock.today()
    code = await _district_code(district_id)
    extra = rules if rules is not None else await district_rules(district_id)
    decision = get_host().policy.static(service, on, code, extra)
    if decision.decision == "restricted" and lsp_id is not None:
        approval = await PolicyApproval.filter(district_id=district_id, lsp_id=lsp_id, service_code=service.code,
                                               rule_id=decision.rule, revoked_at=None).first()
        if approval:
            return Decision("allow", decision.rule, decision.citation, decision.authority, decision.reason, approval.approved_by)
    return decision


async def decide_many(services: list[Service], district_id: int, lsp_id: int | None, on: dt.date | None = None) -> dict[str, Decision]:
    rules = await district_rules(district_id)
    return {s.code: await decide(s, district_id, lsp_id, on, rules) for s in services}


def _society(actor: audit.Actor) -> int:
    user = actor.user
    if user is None or user.role != Role.SOCIETY_ADMIN or user.district_id is None:
        raise PolicyError("role", "only a district Society admin changes the district's policy")
    return user.district_id


async def add_rule(actor: audit.Actor, data: dict[str, Any]) -> PolicyRule:
    """Add or replace a district rule (same fields as a rules file); every problem is named."""
    district_id = _society(actor)
    problems = check_rule(data, "rule")
    if problems:
        raise PolicyError(problems[0].split(": ")[2] if problems[0].count(": ") >= 2 else "rule", "; ".join(p.split(": ", 1)[1] for p in problems))
    match = {k: data[k] for k in ("categories", "providers", "codes", "terms_en", "terms_hi", "doubtful_en", "doubtful_hi") if data.get(k)}
    async with in_transaction():
        row = await PolicyRule.get_or_none(district_id=district_id, rule_id=data["id"])
        before = None
        if row:
            before = {"citation": row.citation, "decision": row.decision, "effective_from": str(row.effective_from),
                      "effective_to": str(row.effective_to) if row.effective_to else None, "match": row.match}
            row.citation, row.decision, row.match = data["citation"], data["decision"], match
            row.effective_from = dt.date.fromisoformat(data["effective_from"])
            row.effective_to = dt.date.fromisoformat(data["effective_to"]) if data.get("effective_to") else None
            row.created_by = actor.name
            await row.save()
        else:
            row = await PolicyRule.create(
                district_id=district_id, rule_id=data["id"], citation=data["citation"], decision=data["decision"],
                effective_from=dt.date.fromisoformat(data["effective_from"]),
                effective_to=dt.date.fromisoformat(data["effective_to"]) if data.get("effective_to") else None,
                match=match, created_by=actor.name)
        await audit.record(actor, "policy.rule_changed" if before else "policy.rule_added", row, district_id=district_id,
                           detail={"rule": data["id"], "before": before, "after": {**{k: v for k, v in data.items()}, "match": match}})
    return row


async def approve(actor: audit.Actor, lsp_id: int, service_code: str, note: str = "") -> PolicyApproval:
    """Approve a restricted service for one LSP of the Society's district."""
    district_id = _society(actor)
    lsp = await LSP.get_or_none(id=lsp_id, district_id=district_id)
    if lsp is None:
        raise PolicyError("lsp", "no such LSP in your district")
    service = get_host().registry.get(service_code)
    if service is None:
        raise PolicyError("service_code", f"no loaded plugin offers {service_code!r}")
    decision = await decide(service, district_id, None)
    if decision.decision == "deny":
        raise PolicyError("service_code", f"{service_code} is prohibited ({decision.rule}); a prohibition cannot be approved")
    if decision.decision != "restricted":
        raise PolicyError("service_code", f"{service_code} is not restricted; it needs no approval")
    if not note.strip():
        raise PolicyError("note", "say why it is approved (the note is kept with the approval)")
    async with in_transaction():
        approval = await PolicyApproval.create(district_id=district_id, lsp=lsp, service_code=service_code, rule_id=decision.rule,
                                               note=note.strip()[:500], approved_by=actor.name)
        await audit.record(actor, "policy.approved", approval, district_id=district_id,
                           detail={"service": service_code, "rule": decision.rule, "lsp": lsp.name, "note": note.strip()[:500]})
    return approval


async def revoke(actor: audit.Actor, approval_id: int) -> PolicyApproval:
    district_id = _society(actor)
    approval = await PolicyApproval.get_or_none(id=approval_id, district_id=district_id, revoked_at=None)
    if approval is None:
        raise PolicyError("approval", "no such approval in force in your district")
    async with in_transaction():
        approval.revoked_at = dt.datetime.now(dt.timezone.utc)
        approval.revoked_by = actor.name
        await approval.save()
        await audit.record(actor, "policy.revoked", approval, district_id=district_id,
                           detail={"service": approval.service_code, "rule": approval.rule_id})
    return approval

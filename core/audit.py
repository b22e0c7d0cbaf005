"""The audit log: every change of state records who, when, what and from which counter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emitra.core.models import AuditLog, User


@dataclass
class Actor:
    """Who is acting, and from where. Built by the web layer or the CLI."""

    user: User | None
    ip: str = ""
    via: str = "web"  # web, api, cli

    @property
    def name(self) -> str:
        return self.user.username if self.user else f"({self.via})"


async def record(
    actor: Actor,
    action: str,
    obj: Any = None,
    *,
    district_id: int | None = None,
    counter_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Write one audit record. Call it inside the transaction that makes the change."""
    user = actor.user
    if district_id is None and user is not None:
        district_id = user.district_id
    if counter_id is None and user is not None:
        counter_id = user.counter_id
    return await AuditLog.create(
        actor=user,
        actor_name=actor.name,
        district_id=district_id,
        counter_id=counter_id,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "id", "") or "") if obj is not None else "",
        detail={"via": actor.via, **(detail or {})},
        ip=actor.ip,
    )

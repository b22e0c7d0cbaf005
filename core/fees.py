"""The fee schedule: the paper's Table 2 as defaults, overridable by the state and by each Society.

The published rate for a service in a district is, first found wins:
1. the district Society's override,
2. the state's override,
3. the fee the plugin declares,
4. Table 2 for the service's category.

A Society may lower a citizen-paid fee but never raise it above the state's published rate, so a
citizen is never charged more than the state publishes.
"""

from __future__ import annotations

from dataclasses import dataclass

from emitra.core import audit, cache
from emitra.core.models import FeeOverride, Role
from emitra.core.services import Category, Payer, Service
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

# Table 2 of the paper: (service charge in paise, who pays it)
TABLE_2: dict[Category, tuple[int, Payer]] = {
    Category.BILL: (395, Payer.DEPARTMENT),
    Category.LEVY: (395, Payer.DEPARTMENT),
    Category.GRIEVANCE: (500, Payer.CITIZEN),
    Category.APPLICATION: (1000, Payer.CITIZEN),
    Category.PRIVATE_SERVICE: (0, Payer.CITIZEN),
    Category.LOTTERY: (0, Payer.CITIZEN),  # never offered: the policy denies these categories
    Category.GAMBLING: (0, Payer.CITIZEN),
    Category.BETTING: (0, Payer.CITIZEN),
}


@dataclass(frozen=True)
class Rate:
    fee_paise: int
    payer: Payer
    source: str  # "district", "state", "plugin" or "table2"


class FeeError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def commission(service: Service, principal_paise: int) -> int | None:
    """The partner's commission on ``principal_paise`` (floor), or None for a fixed-fee service."""
    bp = service.fee.commission_bp
    return None if bp is None else principal_paise * bp // 10000


def default_rate(service: Service) -> Rate:
    payer = Payer(service.fee.payer)
    if service.fee.commission_bp is not None:
        return Rate(0, payer, "commission")
    if service.fee.fee_paise is not None:
        return Rate(service.fee.fee_paise, payer, "plugin")
    return Rate(TABLE_2[Category(service.category)][0], payer, "table2")


async def state_rate(service: Service) -> Rate:
    """The state's published rate (the ceiling a Society may lower but not raise)."""
    return (await published_rates([service], None))[service.code]


def _rate_from(service: Service, by_scope: dict[int | None, int], district_id: int | None) -> Rate:
    """The published rate from a service's overrides (scope -> paise; None is the state)."""
    base = default_rate(service)
    state = Rate(by_scope[None], base.payer, "state") if None in by_scope else base
    if district_id is not None and district_id in by_scope:
        fee = by_scope[district_id]
        if state.payer == Payer.CITIZEN:
            fee = min(fee, state.fee_paise)  # the state may have lowered its rate since
        return Rate(fee, state.payer, "district")
    return state


async def published_rate(service: Service, district_id: int) -> Rate:
    """The rate a citizen of ``district_id`` is charged (one query for both overrides)."""
    return (await published_rates([service], district_id))[service.code]


async def published_rates(services: list[Service], district_id: int | None) -> dict[str, Rate]:
    """The rates of many services in one query (pages and the API list every service)."""
    by_code = await _overrides(district_id)
    return {s.code: _rate_from(s, by_code.get(s.code, {}), district_id) for s in services}


async def _overrides(district_id: int | None) -> dict[str, dict[int | None, int]]:
    """Every override that applies in a district (the state's and the district's): service -> scope -> paise.

    A few dozen rows at most, read once per cache generation (core/cache.py) on the counter's paths."""
    async def load() -> dict[str, dict[int | None, int]]:
        scope = Q(district_id=None) if district_id is None else Q(district_id=district_id) | Q(district_id=None)
        by_code: dict[str, dict[int | None, int]] = {}
        for row in await FeeOverride.filter(scope).values("service_code", "district_id", "fee_paise"):
            by_code.setdefault(row["service_code"], {})[row["district_id"]] = row["fee_paise"]
        return by_code

    return await cache.get("fee_overrides", district_id, load)


async def set_override(actor: audit.Actor, service: Service, fee_paise: int, district_id: int | None) -> FeeOverride:
    """Set the state's (``district_id=None``) or a district's rate for one service."""
    user = actor.user
    if user is None or user.role not in (Role.STATE_ADMIN, Role.SOCIETY_ADMIN):
        raise FeeError("role", "only the state admin or a Society admin can set fees")
    if user.role == Role.SOCIETY_ADMIN and district_id != user.district_id:
        raise FeeError("district", "a Society admin sets fees for their own district only")
    if user.role == Role.STATE_ADMIN and district_id is not None:
        raise FeeError("district", "the state admin sets the state-wide rate; districts set their own")
    if not isinstance(fee_paise, int) or fee_paise < 0:
        raise FeeError("fee_paise", "a fee is a whole, non-negative number of paise")
    if district_id is not None and Payer(service.fee.payer) == Payer.CITIZEN:
        ceiling = await state_rate(service)
        if fee_paise > ceiling.fee_paise:
            raise FeeError(
                "fee_paise",
                f"the citizen pays this fee, and the state publishes {ceiling.fee_paise} paise; a district may lower it, not raise it",
            )
    async with in_transaction():
        existing = await FeeOverride.get_or_none(service_code=service.code, district_id=district_id)
        before = existing.fee_paise if existing else None
        if existing:
            existing.fee_paise = fee_paise
            existing.set_by = user.username
            await existing.save()
            override = existing
        else:
            override = await FeeOverride.create(service_code=service.code, district_id=district_id, fee_paise=fee_paise, set_by=user.username)
        await audit.record(
            actor,
            "fee.override",
            override,
            district_id=district_id,
            detail={"service": service.code, "before_paise": before, "after_paise": fee_paise},
        )
    return override

"""Department officers' accounts: who acts on a department's applications in a district.

An application reaches the inbox of the officers whose ``department`` is, exactly as written, the
department its service routes it to (``route()``, by default the service's ``provider``). A
partner's new service (a department no counter took applications for before) therefore needs its
officers before its first case can move: the district Society adds them (``emitra officer add``),
and the department name is checked against what the loaded services route to, so that a typo never
makes an officer whose inbox stays empty (docs/workflows.md, "Officers of a new department").
"""

from __future__ import annotations

import difflib
import re

from tortoise.transactions import in_transaction

from emitra.core import audit
from emitra.core import auth
from emitra.core.auth import hash_password
from emitra.core.models import District, Role, User

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,59}$")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")  # an address mail can be sent to (escalations, the complaint book digest)


class OfficerError(ValueError):
    """A refused officer account: the option at fault and the fix."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def known_departments() -> list[str]:
    """The departments the loaded services send applications and grievances to: each application
    service's ``provider`` and the departments its ``departments_hi`` names (those ``route()`` may
    return), and those e-Mitra itself sends online grievances to."""
    from emitra.core import grievances
    from emitra.core.plugins import get_host
    from emitra.core.services import Workflow

    names = set(grievances.DEPARTMENTS_HI)
    for service in get_host().registry:
        if service.workflow == Workflow.APPLICATION:
            names.add(service.provider)
            names.update(service.departments_hi)
    return sorted(names)


def _department_problem(department: str) -> str | None:
    known = known_departments()
    if department in known:
        return None
    said = department.strip().lower()
    close = ([k for k in known if said and (said in k.lower() or k.lower() in said)]
             or difflib.get_close_matches(department, known, n=1, cutoff=0.6))
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (f"{department!r} is no department a loaded service sends applications to, so the officer's inbox would stay "
            f"empty; {hint}write it exactly as the service names it (`emitra officer departments` lists them; a service "
            "whose route() sends applications elsewhere names those departments in its departments_hi)")


async def add_officer(actor: audit.Actor, *, username: str, full_name: str, department: str, district_code: str,
                      password: str, level: int = 1, email: str = "") -> User:
    """Create a department officer of ``district_code``, audited as ``user.created``; raise
    :class:`OfficerError` naming the first option at fault (nothing is written then).

    ``actor`` is a Society admin of that district (or the state admin)."""
    district = await District.get_or_none(code=district_code.strip().upper())
    if district is None:
        raise OfficerError("--district", f"no district with code {district_code!r}")
    user = actor.user
    if user is None or not user.active or not (
            user.role == Role.STATE_ADMIN or (user.role == Role.SOCIETY_ADMIN and user.district_id == district.id)):
        raise OfficerError("--as", f"{actor.name!r} is not an admin of the {district.code} e-Mitra Society (nor the state admin)")
    username = username.strip()
    if not USERNAME.match(username):
        raise OfficerError("USERNAME", f"{username!r} is not a username: 3 to 60 lowercase letters, digits, '.', '_' or '-', "
                                       "beginning with a letter (e.g. 'dmg_me_jaipur')")
    if await User.filter(username=username).exists():
        raise OfficerError("USERNAME", f"{username!r} is taken; choose another")
    if not full_name.strip():
        raise OfficerError("--name", "the officer's name and post are needed, e.g. 'Mining Engineer, Jaipur'")
    if (problem := _department_problem(department)) is not None:
        raise OfficerError("--department", problem)
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        raise OfficerError("--level", f"{level!r} is not a level: 1 is the desk officer, 2 the next officer up, and so on")
    email = email.strip()
    if email and not EMAIL.fullmatch(email):
        raise OfficerError("--email", f"{email!r} is not an email address (escalations are sent there)")
    if len(password) < 8:
        raise OfficerError("password", "at least 8 characters")
    async with in_transaction():
        officer = await User.create(username=username, full_name=full_name.strip()[:200], role=Role.DEPARTMENT_OFFICER,
                                    password_hash=hash_password(password), district=district, department=department,
                                    level=level, email=email)
        await audit.record(actor, "user.created", officer, district_id=district.id,
                           detail={"username": username, "role": Role.DEPARTMENT_OFFICER.value, "department": department,
                                   "level": level})
    return officer


async def _officer_for(actor: audit.Actor, username: str) -> User:
    """The department officer ``username``, if ``actor`` may manage them: a Society admin of the
    officer's district, or the state admin. :class:`OfficerError` names the option at fault."""
    officer = await User.get_or_none(username=username.strip())
    if officer is None or officer.role != Role.DEPARTMENT_OFFICER:
        raise OfficerError("USERNAME", f"{username!r} is no department officer (`emitra officer list` lists them)")
    user = actor.user
    if user is None or not user.active or not (
            user.role == Role.STATE_ADMIN or (user.role == Role.SOCIETY_ADMIN and user.district_id == officer.district_id)):
        raise OfficerError("--as", f"{actor.name!r} is not an admin of the officer's e-Mitra Society (nor the state admin)")
    return officer


async def lock_out(actor: audit.Actor, account: User) -> User:
    """``account`` can no longer log in; its open sessions and API tokens end at once; the account
    stays (its steps in timelines and receipts keep its name). Audited ``user.deactivated``; doing
    it twice changes nothing the second time."""
    if account.active:
        await auth.deactivate(actor, account)
    return account


async def let_in(actor: audit.Actor, account: User) -> User:
    """A deactivated account may log in again with its password. Audited ``user.reactivated``."""
    if not account.active:
        async with in_transaction():
            account.active = True
            await account.save(update_fields=["active"])
            await audit.record(actor, "user.reactivated", account, district_id=account.district_id, detail={"username": account.username})
    return account


async def new_password(actor: audit.Actor, account: User, password: str) -> User:
    """A new password (forgotten, or seen by someone): every session the account has open ends. A
    deactivated account logs in again only once reactivated, not by a password. Audited
    ``user.password_changed``; the password is never recorded."""
    if len(password) < 8:
        raise OfficerError("password", "at least 8 characters")
    await auth.set_password(actor, account, password)
    return account


async def deactivate_officer(actor: audit.Actor, username: str) -> User:
    """An officer who left the department (:func:`lock_out`)."""
    return await lock_out(actor, await _officer_for(actor, username))


async def set_officer_password(actor: audit.Actor, username: str, password: str) -> User:
    """A new password for an officer (:func:`new_password`)."""
    return await new_password(actor, await _officer_for(actor, username), password)


async def reactivate_officer(actor: audit.Actor, username: str) -> User:
    """An officer deactivated by mistake, or back in the department (:func:`let_in`)."""
    return await let_in(actor, await _officer_for(actor, username))


async def unattended(district_id: int) -> list[tuple[str, int]]:
    """The departments of the district that have open cases waiting on them and no active officer
    to act on them (a partner's new department before its officers were added, a grievance to a
    department not yet on e-Mitra, the last officer deactivated): each with how many cases wait.
    Such cases wait in no one's inbox; the Society's inbox names them."""
    from emitra.core import workflow
    from emitra.core.models import Case

    waiting = Case.filter(district_id=district_id, desk="department", closed_at=None)
    pairs = await waiting.distinct().values_list("service_code", "kind", "state")
    counts: dict[str, int] = {}
    for department in await waiting.filter(workflow.whose_turn(pairs, "department")).values_list("department", flat=True):
        counts[department] = counts.get(department, 0) + 1
    if not counts:
        return []
    staffed = set(await User.filter(district_id=district_id, role=Role.DEPARTMENT_OFFICER, active=True,
                                    department__in=list(counts)).values_list("department", flat=True))
    return sorted((d, n) for d, n in counts.items() if d not in staffed)

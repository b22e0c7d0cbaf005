"""The Officers page (``/network/officers``): a district's department officers by department, the
departments that something waits on with no officer who can act (the same facts as ``emitra officer
departments --district``, from :func:`emitra.core.officers.staffing`), and the forms that add an
officer, lock one out, let one in again, give one a new password and name one in English and Hindi.

Each form calls the same function of :mod:`emitra.core.officers` as its command (``emitra officer
add | deactivate | reactivate | set-password | rename``), so the checks, the refusals and the audit records
are the command line's; a refusal is shown beside the box it concerns, in the page's words and
language. Who may: the district Society's admin (their own district's officers) and the state admin
(any district's, chosen on the page), as :mod:`emitra.core.officers` allows. A password is never
shown again, kept in the form or written anywhere but its hash.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emitra.core import officers
from emitra.core.models import District, Role, User
from emitra.core.officers import OfficerError
from emitra.web.i18n import _, department, pick
from emitra.web.security import actor, page
from emitra.web.templating import render

ADMINS = [Role.SOCIETY_ADMIN, Role.STATE_ADMIN]
PAGE = "/network/officers"
ACTIONS = ("add", "deactivate", "reactivate", "password", "rename")

#: the option a refusal names -> the box of the page's form it is shown beside
FIELDS = {"USERNAME": "username", "--name": "name", "--name-hi": "name_hi", "--department": "department", "--level": "level",
          "--email": "email", "password": "password", "--reason": "reason"}
#: what the posted forms may hold (a password is read, never sent back to the page)
KEYS = ("action", "username", "name", "name_hi", "department", "level", "email", "reason", "district")


def _label(field: str) -> str:
    """The box's name, in the page's language, that begins a refusal shown beside it."""
    return {"username": _("Username"), "name": _("Name and post"), "name_hi": _("Name and post in Hindi"),
            "department": _("Department"), "level": _("Level"), "email": _("Email"), "password": _("Password"),
            "reason": _("Reason")}.get(field, "")


def _done_message(action: str, username: str) -> str:
    return {
        "add": _("%(who)s added. Give them their username and password in person; the password is not shown again."),
        "deactivate": _("%(who)s can no longer log in; their sessions ended. Their name stays on the steps they took."),
        "reactivate": _("%(who)s may log in again with their password."),
        "password": _("%(who)s has a new password; every session they had open ended. Give it to them in person."),
    }.get(action, "") % {"who": username} if action != "rename" else \
        _("%(what)s's names are saved: Hindi pages show the Hindi name in the header and on case timelines, "
          "if there is one.") % {"what": username}


async def _district(request: Request, errors: dict[str, dict[str, str]]) -> tuple[District | None, list[District]]:
    """The district whose officers are shown: the Society admin's own; for the state admin, the one
    chosen (``district`` in the address or the form), else the first by code."""
    user = request.state.user
    if user.role == Role.SOCIETY_ADMIN:
        return await District.get_or_none(id=user.district_id), []
    every = await District.all().order_by("code")
    form = request.state.form if request.method == "POST" else {}
    code = str(form.get("district") or request.query_params.get("district") or "").strip().upper()[:10]
    chosen = next((d for d in every if d.code == code), None)
    if code and chosen is None:
        errors["district"] = {"district": _("District: %(code)s is not a district; choose one from the list.") % {"code": code}}
    return chosen or (every[0] if every else None), every


def _level(text: str) -> int | str:
    """The level the form gave, as the core takes it: a whole number, 1 when the box is left empty
    (the command's default), else the text as typed (the core refuses it, naming the box)."""
    if not text:
        return 1
    return int(text) if re.fullmatch(r"\d{1,3}", text) else text


async def _act(request: Request, district: District, text: dict[str, str], form: Any) -> User:
    """Do what the posted form asks, through core/officers.py; :class:`OfficerError` when refused."""
    who = actor(request)
    action = text["action"]
    password, password2 = str(form.get("password", "") or ""), str(form.get("password2", "") or "")
    if action in ("add", "password") and password != password2:
        raise OfficerError("password", "the two passwords differ; type the same password twice",
                           "दोनों पासवर्ड अलग हैं; एक ही पासवर्ड दो बार लिखें")
    if action == "add":
        return await officers.add_officer(who, username=text["username"], full_name=text["name"], department=text["department"],
                                          district_code=district.code, password=password, level=_level(text["level"]),  # type: ignore[arg-type]
                                          email=text["email"], full_name_hi=text["name_hi"])
    if action == "deactivate":
        return await officers.deactivate_officer(who, text["username"], text["reason"])
    if action == "reactivate":
        return await officers.reactivate_officer(who, text["username"], text["reason"])
    if action == "rename":
        return await officers.rename_officer(who, text["username"], name=text["name"], name_hi=text["name_hi"])
    return await officers.set_officer_password(who, text["username"], password)


@page(ADMINS)
async def officers_page(request: Request) -> Response:
    """The district's officers by department, what lacks one, and the forms (POST: one of them)."""
    errors: dict[str, dict[str, str]] = {}
    sent: dict[str, str] = {}
    district, every = await _district(request, errors)
    if request.method == "POST" and district is not None and not errors:
        form = request.state.form
        text = {k: str(form.get(k, "") or "").strip() for k in KEYS}
        where = "add" if text["action"] == "add" else f"{text['action']}-{text['username'][:60]}"
        if text["action"] not in ACTIONS:
            errors[where] = {"form": _("This form asks for nothing this page does; use the forms beside the officers.")}
        else:
            try:
                made = await _act(request, district, text, form)
            except OfficerError as exc:
                box = FIELDS.get(exc.field, "form")
                said = pick(exc.page_en, exc.page_hi)
                if box == "username" and where != "add":  # a row's forms have no username box: said at the row
                    box = "form"
                errors[where] = {box: f"{_label(box)}: {said}" if _label(box) else said[:1].upper() + said[1:]}
                sent = {**text, "_form": where}
            else:
                query = {"done": text["action"], "who": made.username}
                if request.state.user.role == Role.STATE_ADMIN:
                    query["district"] = (await District.get(id=made.district_id)).code
                return RedirectResponse(f"{PAGE}?{urlencode(query)}#officer-{made.username}", status_code=303)
    return await _render(request, district, every, errors, sent)


async def _render(request: Request, district: District | None, every: list[District], errors: dict[str, dict[str, str]],
                  sent: dict[str, str]) -> Response:
    """The page: the departments short of an officer first, then every department with its officers."""
    rows = await officers.staffing(district.id) if district is not None else []
    people = await User.filter(district_id=district.id, role=Role.DEPARTMENT_OFFICER).order_by("department", "-level", "username") \
        if district is not None else []
    by_department: dict[str, list[User]] = {}
    for person in people:
        by_department.setdefault(person.department, []).append(person)
    shown = {f"{action}-{p.username}" for p in people for action in ACTIONS}
    for where in [w for w in errors if w not in shown and w not in ("add", "district")]:  # a row not on this page: said at the top
        errors["page"] = errors.pop(where)
    listed = {row.department for row in rows}
    # an officer of a department no loaded service names any more (its plugin removed): still listed, to lock out
    rows += [officers.Staffing(name, sum(1 for p in by_department[name] if p.active)) for name in sorted(set(by_department) - listed)]
    known = set(officers.known_departments())
    q = request.query_params
    done = ""
    if request.method == "GET" and q.get("done") in ACTIONS and q.get("who") in {p.username for p in people}:
        done = _done_message(q["done"], q["who"])
    wanted = q.get("department", "")
    return render(request, "network/officers.html", {
        "district": district, "districts": every, "rows": rows, "short": [row for row in rows if row.short],
        "by_department": by_department, "known": known, "errors": errors, "sent": sent, "done": done,
        "department_choices": [(name, department(name)) for name in sorted(known, key=lambda n: department(n).casefold())],
        "wanted_department": wanted if wanted in known else "",
        "wanted_level": q.get("level", "") if re.fullmatch(r"[1-9]", q.get("level", "")) else "",
        "state": request.state.user.role == Role.STATE_ADMIN,
        "district_name": pick(district.name_en, district.name_hi or district.name_en) if district else "",
    }, 400 if errors else 200)


ROUTES = [
    Route(PAGE, officers_page, methods=["GET", "POST"]),
]

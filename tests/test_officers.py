"""Officers of a partner's new department: the Society adds them, and the department's applications reach them.

Before ``emitra officer add`` nothing but the demo made users: a partner's application service
loaded, was enabled and paid for, and its cases waited forever in no one's inbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from emitra.core import Category, Domain, FeeRule, Payer, Quote, Service, Workflow, hookimpl
from emitra.core.models import AuditLog, Case, User
from emitra.core.officers import OfficerError, add_officer
from tests.case_helpers import actor, pay

MINES = "Department of Mines and Geology, Rajasthan"
PERMIT = "gov.rj.dmg.quarry_permit"


class QuarryPermit(Service):
    async def quote(self, data, ctx):
        return Quote(principal_paise=50_000, reference=data["khasra_no"])

    async def submit(self, request_id, data, quote):
        return f"DMG-{request_id}"


def mines_plugin():
    module = types.SimpleNamespace()

    @hookimpl
    def emitra_register_services(register):
        register(QuarryPermit(
            code=PERMIT, title_en="Quarry permit", title_hi="खदान परमिट", provider=MINES, provider_hi="खान एवं भूविज्ञान विभाग",
            domain=Domain.GOVERNMENT, category=Category.APPLICATION, workflow=Workflow.APPLICATION,
            fee=FeeRule(payer=Payer.CITIZEN),
            form={"type": "object", "properties": {"khasra_no": {"type": "string", "title": "Khasra number",
                                                                  "x-title-hi": "खसरा संख्या"}}, "required": ["khasra_no"]}))

    module.emitra_register_services = emitra_register_services
    return module


@pytest.fixture
def mines_web(emitra_plugin, request):
    emitra_plugin(mines_plugin(), name="dmg")  # its codes are gov.rj.dmg.* (decision 150)
    return request.getfixturevalue("web")  # the demo enables the loaded services at its counters


def test_the_society_adds_an_officer_of_a_new_department_who_then_acts_on_its_applications(mines_web):
    web = mines_web
    case = web.run(lambda: _paid_permit("permit-1"))
    assert case.department == MINES and case.state == "forwarded"

    async def add(**over):
        args = dict(username="dmg_me", full_name="Mining Engineer, Jaipur", department=MINES, district_code="JP",
                    password="quarry-desk-1", level=1)
        return await add_officer(await actor("society"), **{**args, **over})

    # a department written otherwise than the service names it is refused, naming the option and the name it resembles
    with pytest.raises(OfficerError) as refused:
        web.run(lambda: add(department="Department of Mines & Geology, Rajasthan"))
    assert refused.value.field == "--department"
    assert f"did you mean {MINES!r}?" in refused.value.message and "`emitra officer departments`" in refused.value.message
    with pytest.raises(OfficerError) as refused:
        web.run(lambda: add_officer(_none_actor(), username="dmg_me", full_name="x", department=MINES, district_code="JP",
                                    password="quarry-desk-1"))
    assert refused.value.field == "--as"
    with pytest.raises(OfficerError) as refused:
        web.run(lambda: add(username="tehsildar"))
    assert (refused.value.field, refused.value.message) == ("USERNAME", "'tehsildar' is taken; choose another")
    assert not web.run(lambda: User.filter(username="dmg_me").exists())  # nothing half-written

    officer = web.run(add)
    assert (officer.department, officer.level, officer.district_id) == (MINES, 1, web.run(lambda: User.get(username="society")).district_id)
    entry = web.run(lambda: AuditLog.filter(action="user.created").first())
    assert entry.actor_name == "society" and entry.detail["username"] == "dmg_me" and entry.detail["department"] == MINES

    web.login("dmg_me", "quarry-desk-1")
    inbox = web.get("/office")
    assert inbox.status_code == 200 and case.number in inbox.text
    done = web.post_form(f"/office/cases/{case.id}/act", {"action": "approve", "remark": ""}, token_from=f"/office/cases/{case.id}")
    assert done.status_code in (200, 303)
    assert web.run(lambda: Case.get(id=case.id)).state == "approved"


def _none_actor():
    from emitra.core.audit import Actor

    return Actor(None, via="cli")


async def _paid_permit(key: str) -> Case:
    request = await pay(PERMIT, {"khasra_no": "1234/5"}, key)
    return await Case.get(request_id=request.id)


EMITRA = str(Path(sys.executable).parent / "emitra")


def test_emitra_officer_add_from_the_shell(tmp_path):
    env = {**os.environ, "EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}

    def run(*args, password="revenue-desk-2"):
        return subprocess.run([EMITRA, *args], input=f"{password}\n", capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120)

    assert run("db", "migrate").returncode == 0 and run("demo").returncode == 0
    revenue = "Revenue Department, Government of Rajasthan"
    assert revenue in run("officer", "departments").stdout.splitlines()
    args = ["officer", "add", "nt_phagi", "--name", "Naib Tehsildar, Phagi", "--district", "JP", "--level", "2"]
    typo = run(*args, "--department", "Revenue Department", "--as", "society")
    assert typo.returncode == 1
    assert "Error: --department: 'Revenue Department' is no department a loaded service sends applications to" in typo.stderr
    assert f"did you mean {revenue!r}?" in typo.stderr
    assert "--as: 'operator1' is not an admin" in run(*args, "--department", revenue, "--as", "operator1").stderr
    assert "password: at least 8 characters" in run(*args, "--department", revenue, "--as", "society", password="short").stderr
    assert "nt_phagi" not in run("officer", "list").stdout
    made = run(*args, "--department", revenue, "--as", "society")
    assert made.returncode == 0, made.stderr
    assert f"created nt_phagi: department officer, level 2, of {revenue!r} in JP" in made.stdout
    assert "revenue-desk-2" not in made.stdout + made.stderr  # the password is never printed
    by_district = run("officer", "departments", "--district", "JP").stdout
    assert f"  3 officers  {revenue}\n" in by_district and "open case" not in by_district  # tehsildar, sdm, nt_phagi; no case waits
    # the demo's counters offer PAN, whose department has no officer in Jaipur: named with where it is offered (decision 128)
    assert ("  0 officers  Income Tax Department PAN (Protean/NSDL)  NO OFFICER: offered: gov.in.incometax.pan_new at "
            "JP-JM-001, JP-LM-001") in by_district
    listed = [line.split() for line in run("officer", "list", "--district", "jp").stdout.splitlines()]
    assert ["nt_phagi", "JP", "level", "2", *revenue.split(), "|", "Naib", "Tehsildar,", "Phagi", "/", "-"] in listed  # no Hindi name
    changed = run("officer", "set-password", "nt_phagi", "--as", "society", password="revenue-desk-3")
    assert changed.returncode == 0 and "nt_phagi: password changed" in changed.stdout and "revenue-desk-3" not in changed.stdout
    assert "--as: 'operator1' is not an admin" in run("officer", "deactivate", "nt_phagi", "--as", "operator1").stderr
    gone = run("officer", "deactivate", "nt_phagi", "--as", "society")
    assert gone.returncode == 0 and "nt_phagi deactivated: cannot log in" in gone.stdout
    assert "nt_phagi" in run("officer", "list").stdout and "(deactivated)" in run("officer", "list").stdout
    assert "is no department officer" in run("officer", "deactivate", "operator1", "--as", "society").stderr
    assert run("audit", "verify").returncode == 0


def test_the_society_deactivates_an_officer_who_left_and_resets_a_forgotten_password(web):
    """Before, an officer who left kept their log-in (nothing called ``auth.deactivate``), and a
    forgotten password could not be reset: the Society had no command for either."""
    from emitra.core.models import District, Role
    from emitra.core.officers import deactivate_officer

    web.login("tehsildar")
    assert web.get("/office").status_code == 200
    token = web.api_token("tehsildar")
    assert web.client.get("/api/v1/cases", headers=token).status_code == 200

    async def other_districts_admin():
        district = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
        user = await User.create(username="society_aj", full_name="Ajmer Society", password_hash="x", role=Role.SOCIETY_ADMIN,
                                 district=district)
        from emitra.core.audit import Actor
        return Actor(user, via="cli")

    ajmer = web.run(other_districts_admin)
    for refused, field in ((lambda: deactivate_officer(ajmer, "tehsildar"), "--as"),  # another district's Society
                           (lambda: deactivate_officer(_none_actor(), "tehsildar"), "--as"),
                           (lambda: deactivate_officer_as("society", "operator1"), "USERNAME")):  # not an officer
        with pytest.raises(OfficerError) as caught:
            web.run(refused)
        assert caught.value.field == field
    assert web.run(lambda: User.get(username="tehsildar")).active

    web.run(lambda: deactivate_officer_as("society", "tehsildar"))
    web.run(lambda: deactivate_officer_as("society", "tehsildar"))  # twice: nothing more
    assert web.run(lambda: AuditLog.filter(action="user.deactivated").count()) == 1
    assert web.get("/office", follow_redirects=False).status_code in (302, 303)  # the open session ended at once
    assert web.client.get("/api/v1/cases", headers=token).status_code == 401  # and the API token
    response = web.client.post("/api/v1/token", json={"username": "tehsildar", "password": "emitra-demo"})
    assert response.status_code == 401

    web.run(lambda: reactivate_officer_as("society", "tehsildar"))
    with pytest.raises(OfficerError) as caught:
        web.run(lambda: set_password_as("society", "tehsildar", "short"))
    assert caught.value.field == "password"
    web.run(lambda: set_password_as("society", "tehsildar", "a-new-desk-password"))
    assert web.client.post("/api/v1/token", json={"username": "tehsildar", "password": "emitra-demo"}).status_code == 401
    web.login("tehsildar", "a-new-desk-password")
    assert web.get("/office").status_code == 200
    changed = web.run(lambda: AuditLog.filter(action="user.password_changed").first())
    assert changed.actor_name == "society" and "a-new-desk-password" not in str(changed.detail)


async def deactivate_officer_as(admin: str, username: str):
    from emitra.core.officers import deactivate_officer

    return await deactivate_officer(await actor(admin), username)


async def reactivate_officer_as(admin: str, username: str):
    from emitra.core.officers import reactivate_officer

    return await reactivate_officer(await actor(admin), username)


async def set_password_as(admin: str, username: str, password: str):
    from emitra.core.officers import set_officer_password

    return await set_officer_password(await actor(admin), username, password)


def test_the_society_is_shown_the_cases_no_officer_can_act_on(web):
    """A grievance to a department with no officer on e-Mitra in the district (the demo has none for
    Energy) waited in nobody's inbox, and nothing told the Society."""
    from emitra.plugins.government.grievance import department_name
    from tests.case_helpers import grievance_case

    energy = department_name("energy")
    case = web.run(lambda: grievance_case("unattended-1", department="energy"))
    assert case.department == energy and case.desk == "department"
    web.login("society")
    page = web.get("/office").text
    block = re.search(r'<div class="warning" id="unattended"[^>]*>(.*?)</div>', page, re.S)
    assert block and f"{energy}: 1 case" in block.group(1)
    # the Society adds them on its Officers page; the command is still named for the command line
    assert '<a href="/network/officers" id="unattended-add">Add their officers on the Officers page</a>' in block.group(1)
    assert "(or from the command line: emitra officer add" in block.group(1)
    assert "Public Health Engineering" not in block.group(1)  # the demo's PHED officers act on theirs

    async def add_energy_officer():
        return await add_officer(await actor("society"), username="energy_ae", full_name="AE, Energy", department=energy,
                                 district_code="JP", password="energy-desk-1")

    web.run(add_energy_officer)  # the department grievances go to is one an officer may be added to
    assert 'id="unattended"' not in web.get("/office").text

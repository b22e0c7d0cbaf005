"""The Officers page (/network/officers): the district Society's admin (and the state admin) manage
department officers on a page, as `emitra officer add | deactivate | reactivate | set-password` do.

Before, officers were added only from the command line, and the LSP's Services page and the
Society's inbox told people (an LSP admin among them, who has no shell) to run `emitra officer add`.
The page lists the district's officers by department with their level and state, names first the
departments that something waits on with no officer who can act (the facts of `emitra officer
departments --district`), and its forms call core/officers.py: the same checks, refusals (here
beside the box, in the page's words, in English or Hindi) and audit records."""

from __future__ import annotations

import html
import re

from emitra.core import onboarding
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Role, User

PAGE = "/network/officers"
PAN = "gov.in.incometax.pan_new"
PAN_DEPARTMENT = "Income Tax Department PAN (Protean/NSDL)"
SECRET = "pan-desk-Secret-77"


def _words(text: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))).strip()


def _element(page, element_id: str) -> str:
    """The words of the element with this id (to its first closing tag of the same kind)."""
    found = re.search(rf'<(\w+)[^>]* id="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page.text, re.S)
    assert found, f"no #{element_id} on the page"
    return re.sub(r" ([:.,;])", r"\1", _words(found.group(2)))


def _officers(web) -> int:
    return web.run(lambda: User.filter(role=Role.DEPARTMENT_OFFICER).count())


def _add(web, **fields: str):
    data = {"action": "add", "username": "pan_desk", "name": "PAN desk, Jaipur", "name_hi": "पैन डेस्क, जयपुर",
            "department": PAN_DEPARTMENT, "level": "1", "email": "", "password": SECRET, "password2": SECRET}
    return web.post_form(PAGE, {**data, **fields})


def _can_log_in(web, username: str, password: str) -> bool:
    web.client.cookies.clear()
    token = web.csrf("/login")
    return web.client.post("/login", data={"username": username, "password": password, "csrf_token": token}).status_code == 303


def test_the_society_adds_an_officer_on_its_page_and_the_department_is_no_longer_short(web):
    web.login("society")
    assert f'href="{PAGE}"' in web.get("/no-such-page").text  # in the Society's menu, on every page
    network = web.get("/network")
    assert re.search(rf'id="officers-link">[^<]*<a href="{PAGE}">', network.text) and "Department officers" in _element(network, "officers-link")
    page = web.get(PAGE)
    assert page.status_code == 200 and "Department officers of Jaipur district" in page.text
    assert _element(page, "officer-tehsildar-state") == "active" and "Tehsildar" in _element(page, "officer-tehsildar")
    # the departments short of an officer come first: PAN, offered at both demo counters, has none
    short = _element(page, "short")
    assert page.text.index('id="short"') < page.text.index('id="officer-list"')
    assert f"{PAN_DEPARTMENT}: offered: New PAN card application (Form 49A) at JP-JM-001, JP-LM-001 Add an officer of this department" in short
    assert "Add an officer of this department" in short and "department=Income%20Tax%20Department" in page.text

    done = _add(web)
    assert done.status_code == 303 and done.headers["location"].startswith(f"{PAGE}?done=add&who=pan_desk")
    shown = web.get(done.headers["location"])
    assert "pan_desk added. Give them their username and password in person" in _element(shown, "done")
    row = _element(shown, "officer-pan_desk")
    assert row.startswith("PAN desk, Jaipur / पैन डेस्क, जयपुर ( pan_desk ) 1 active")
    assert _element(shown, "officer-pan_desk-state") == "active"
    assert PAN_DEPARTMENT not in (_element(shown, "short") if 'id="short"' in shown.text else "")
    assert SECRET not in shown.text and SECRET not in done.text

    async def audited():
        return await AuditLog.filter(action="user.created").order_by("-id").first()
    entry = web.run(audited)
    assert entry.actor_name == "society" and entry.detail == {"username": "pan_desk", "role": "department_officer",
                                                              "department": PAN_DEPARTMENT, "level": 1, "via": "web"}
    made = web.run(lambda: User.get(username="pan_desk"))
    assert (made.department, made.level, made.full_name_hi, made.district_id) == (PAN_DEPARTMENT, 1, "पैन डेस्क, जयपुर", entry.district_id)
    assert _can_log_in(web, "pan_desk", SECRET) and web.get("/office").status_code == 200


def test_a_refusal_is_said_beside_its_box_in_english_and_hindi_and_nothing_is_made(web):
    web.login("society")
    before = _officers(web)
    taken = _add(web, username="tehsildar")
    assert taken.status_code == 400
    assert _element(taken, "add-username-error") == "Username: 'tehsildar' is taken; choose another"
    assert 'id="add-username" name="username" type="text" value="tehsildar"' in taken.text  # what was typed is kept
    assert 'value="PAN desk, Jaipur"' in taken.text and SECRET not in taken.text  # ... never the password

    unknown = _add(web, department="Mines")
    assert unknown.status_code == 400
    said = _element(unknown, "add-department-error")
    assert said.startswith("Department: 'Mines' is no department a loaded service sends applications to")
    assert said.endswith("choose the department from the list") and "emitra" not in said

    for level in ("0", "two"):
        bad = _add(web, level=level)
        assert bad.status_code == 400 and _element(bad, "add-level-error").startswith(f"Level: '{level}' is not a level: give a whole number")
    weak = _add(web, password="short", password2="short")
    assert weak.status_code == 400 and _element(weak, "add-password-error") == "Password: at least 8 characters"
    differ = _add(web, password2=SECRET + "x")
    assert differ.status_code == 400 and "the two passwords differ" in _element(differ, "add-password-error")
    latin = _add(web, name_hi="PAN desk")
    assert latin.status_code == 400 and "leave the box empty" in _element(latin, "add-name_hi-error")
    nameless = _add(web, name=" ")
    assert nameless.status_code == 400 and _element(nameless, "add-name-error").startswith("Name and post: the officer's name")
    badly = _add(web, username="PAN Desk")
    assert badly.status_code == 400 and "is not a username: 3 to 60 lowercase letters" in _element(badly, "add-username-error")

    web.post_form("/lang/hi", {"next": PAGE}, token_from=PAGE)
    hindi = _add(web, username="tehsildar")
    assert hindi.status_code == 400
    assert _element(hindi, "add-username-error") == "उपयोगकर्ता नाम: 'tehsildar' पहले से लिया जा चुका है; कोई और चुनें"
    hindi_level = _add(web, level="two")
    assert _element(hindi_level, "add-level-error").startswith("स्तर: 'two' कोई स्तर नहीं है")
    assert "सूची में से विभाग चुनें" in _element(_add(web, department="Mines"), "add-department-error")
    assert _officers(web) == before
    assert not web.run(lambda: AuditLog.filter(action="user.created").exists())
    # without the form's token: refused, nothing made
    assert web.post(PAGE, data={"action": "add", "username": "pan_desk", "name": "N", "department": PAN_DEPARTMENT,
                                "password": SECRET, "password2": SECRET}).status_code == 403
    assert _officers(web) == before


def test_an_officer_locked_out_cannot_log_in_let_in_again_can_and_a_new_password_works(web):
    web.login("society")
    off = web.post_form(PAGE, {"action": "deactivate", "username": "tehsildar", "reason": "transferred to Ajmer"})
    assert off.status_code == 303
    shown = web.get(off.headers["location"])
    assert "tehsildar can no longer log in" in _element(shown, "done")
    assert _element(shown, "officer-tehsildar-state") == "deactivated"
    entry = web.run(lambda: AuditLog.filter(action="user.deactivated").order_by("-id").first())
    assert entry.actor_name == "society" and entry.detail["reason"] == "transferred to Ajmer" and entry.detail["via"] == "web"
    assert not _can_log_in(web, "tehsildar", "emitra-demo")

    web.login("society")
    short = web.post_form(PAGE, {"action": "reactivate", "username": "tehsildar", "reason": "no"})
    assert short.status_code == 400 and _element(short, "reactivate-tehsildar-reason-error").startswith("Reason: the reason has 2 characters")
    on = web.post_form(PAGE, {"action": "reactivate", "username": "tehsildar", "reason": ""})
    assert on.status_code == 303 and "tehsildar may log in again" in _element(web.get(on.headers["location"]), "done")
    assert web.run(lambda: AuditLog.filter(action="user.reactivated").count()) == 1
    assert _can_log_in(web, "tehsildar", "emitra-demo")

    web.client.cookies.clear()
    web.login("society")
    new = "tehsil-New-pass-1"
    differ = web.post_form(PAGE, {"action": "password", "username": "tehsildar", "password": new, "password2": "other-pass-1"})
    assert differ.status_code == 400 and "the two passwords differ" in _element(differ, "password-tehsildar-password-error")
    assert 'id="password-tehsildar" open' in differ.text
    weak = web.post_form(PAGE, {"action": "password", "username": "tehsildar", "password": "1234", "password2": "1234"})
    assert weak.status_code == 400 and _element(weak, "password-tehsildar-password-error") == "Password: at least 8 characters"
    done = web.post_form(PAGE, {"action": "password", "username": "tehsildar", "password": new, "password2": new})
    assert done.status_code == 303 and new not in web.get(done.headers["location"]).text
    entry = web.run(lambda: AuditLog.filter(action="user.password_changed").order_by("-id").first())
    assert entry.actor_name == "society" and new not in str(entry.detail)
    assert _can_log_in(web, "tehsildar", new) and not _can_log_in(web, "tehsildar", "emitra-demo")

    # the names, in English and Hindi (emitra officer rename)
    web.login("society")
    latin = web.post_form(PAGE, {"action": "rename", "username": "tehsildar", "name": "Tehsildar, Sanganer", "name_hi": "Tehsildar"})
    assert latin.status_code == 400 and "is not written in Devanagari" in _element(latin, "rename-tehsildar-name_hi-error")
    assert 'id="rename-tehsildar" open' in latin.text
    renamed = web.post_form(PAGE, {"action": "rename", "username": "tehsildar", "name": "Tehsildar, Sanganer",
                                   "name_hi": "तहसीलदार, सांगानेर"})
    assert renamed.status_code == 303
    assert "tehsildar's names are saved" in _element(web.get(renamed.headers["location"]), "done")
    entry = web.run(lambda: AuditLog.filter(action="user.renamed").order_by("-id").first())
    assert entry.actor_name == "society" and entry.detail["full_name_hi"][1] == "तहसीलदार, सांगानेर"

    # an account that is no officer is not managed here
    other = web.post_form(PAGE, {"action": "deactivate", "username": "operator1", "reason": ""})
    assert other.status_code == 400 and "'operator1' is no department officer" in _element(other, "page-error")
    assert web.run(lambda: User.get(username="operator1")).active


def test_only_the_districts_society_and_the_state_admin_manage_its_officers(web):
    assert web.get(PAGE).headers["location"] == f"/login?next={PAGE}"
    for who in ("lsp", "operator1", "officer", "tehsildar"):
        web.client.cookies.clear()
        web.login(who)
        assert web.get(PAGE).status_code == 403, who
        assert web.post_form(PAGE, {"action": "deactivate", "username": "sdm"}, token_from="/no-such-page").status_code == 403, who
        assert f'href="{PAGE}"' not in web.get("/no-such-page").text
    assert web.run(lambda: User.get(username="sdm")).active

    async def ajmer():
        state = Actor(await User.get(username="state"), via="cli")
        await onboarding.add_district(state, code="AJ", name_en="Ajmer", name_hi="अजमेर", society_name="Ajmer e-Mitra Society")
        await onboarding.add_user(state, username="ajmer_society", full_name="Nodal officer, Ajmer", role="society_admin",
                                  password="emitra-demo", district_code="AJ")
    web.run(ajmer)
    web.client.cookies.clear()
    web.login("ajmer_society")
    page = web.get(PAGE)
    assert "Department officers of Ajmer district" in page.text and "tehsildar" not in page.text
    refused = web.post_form(PAGE, {"action": "deactivate", "username": "tehsildar", "reason": ""})
    assert refused.status_code == 400
    assert _element(refused, "page-error").startswith("Tehsildar is an officer of another district: only its Society's admin")
    assert web.run(lambda: User.get(username="tehsildar")).active

    web.client.cookies.clear()
    web.login("state")
    assert f'href="{PAGE}"' in web.get("/no-such-page").text
    jaipur = web.get(PAGE, params={"district": "JP"})
    assert jaipur.status_code == 200 and 'id="officer-tehsildar"' in jaipur.text and 'name="district" value="JP"' in jaipur.text
    assert web.get(PAGE, params={"district": "ZZ"}).status_code == 400
    off = web.post_form(PAGE, {"action": "deactivate", "username": "sdm", "district": "JP", "reason": ""}, token_from=PAGE)
    assert off.status_code == 303 and "district=JP" in off.headers["location"]
    assert not web.run(lambda: User.get(username="sdm")).active
    made = web.post_form(PAGE, {"action": "add", "username": "aj_revenue", "name": "Tehsildar, Ajmer", "district": "AJ",
                                "department": "Revenue Department, Government of Rajasthan", "level": "1",
                                "password": SECRET, "password2": SECRET}, token_from=PAGE)
    assert made.status_code == 303
    assert web.run(lambda: User.get(username="aj_revenue").select_related("district")).district.code == "AJ"


def test_the_page_in_hindi(web):
    web.login("society")
    web.post_form("/lang/hi", {"next": PAGE}, token_from=PAGE)
    page = web.get(PAGE)
    assert page.status_code == 200
    assert "<h1>जयपुर ज़िले के विभागीय अधिकारी</h1>" in page.text
    assert "आयकर विभाग पैन (प्रोटियन/एनएसडीएल)" in _element(page, "short")
    assert "सक्रिय" in _element(page, "officer-tehsildar-state")
    assert "Add an officer" not in page.text and "Department officers" not in page.text


def test_the_notes_that_said_run_a_command_point_to_the_page(web):
    """The LSP admin is told to ask the Society, who adds officers on its Officers page; the
    Society's inbox links to the page; the command stays for those who use it."""
    web.login("lsp")
    web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": PAN, "enabled": "1"})
    note = _element(web.get("/lsp/services"), "no-officer")
    assert "the Society's admin adds officers on its Officers page (Network, then Department officers)" in note
    assert "emitra officer add" in note
    web.logout()
    web.login("society")
    inbox = web.get("/office")
    assert f'<a href="{PAGE}" id="offered-unstaffed-add">' in inbox.text
    assert "Add an officer of each department named on the Officers page (or from the command line: emitra officer add" \
        in _element(inbox, "offered-unstaffed")

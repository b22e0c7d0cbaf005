"""An application service enabled at a counter whose department has no officer in the counter's
district (decision 128). Before, nothing said so, on the LSP's Services page or from `emitra counter
enable`: the citizen paid, and the application waited in nobody's inbox. Enabling is still allowed
(the officer may be added later), with a warning in English and Hindi naming the department and
what to do; the matrix marks such services; the Society's inbox names those offered in its district."""

from __future__ import annotations

import html
import re

import pytest

from emitra.core import officers, workflow
from emitra.core.models import AuditLog, Case, CounterService, User
from tests.case_helpers import actor, pay, run_commands
from tests.conftest import DB_URL
from tests.test_workflow import MUTATION, REVENUE, mutation_plugin

PAN = "gov.in.incometax.pan_new"
PAN_DEPARTMENT = "Income Tax Department PAN (Protean/NSDL)"
CASTE = "gov.rj.revenue.caste_certificate"  # Revenue: the demo's tehsildar and sdm act on it
GRIEVANCE = "gov.rj.sampark.grievance"  # 12 departments; the demo has officers of one (PHED)
BILL = "gov.rj.jvvnl.bill"  # a payment: no officer acts on it


def _text(page) -> str:
    return html.unescape(re.sub(r"\s+", " ", page.text))


def _element(page, element_id: str) -> str:
    """The words of the element with this id (to its first closing tag of the same kind)."""
    found = re.search(rf'<(\w+)[^>]* id="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page.text, re.S)
    assert found, f"no #{element_id} on the page"
    words = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(2)))).strip()
    return re.sub(r" ([:.,;])", r"\1", words)


def _enabled(web, code: str, counter: str = "JP-JM-001") -> bool:
    return web.run(lambda: CounterService.filter(counter__code=counter, service_code=code, enabled=True).exists())


def test_an_lsp_enabling_a_service_whose_department_has_no_officer_is_warned_and_the_matrix_marks_it(web):
    web.login("lsp")
    assert web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": PAN, "enabled": "0"}).status_code == 303
    on = web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": PAN, "enabled": "1"})
    assert on.status_code == 303 and _enabled(web, PAN)  # allowed: the officer may be added later
    page = web.get(on.headers["location"])
    said = _element(page, "no-officer-now")
    assert (f"New PAN card application (Form 49A): its applications go to {PAN_DEPARTMENT}, which has no active officer in Jaipur "
            "district. Paid applications would wait in nobody's inbox until one is added.") in said
    assert f"Ask the Jaipur e-Mitra Society (or the department) to add an officer of {PAN_DEPARTMENT}" in said
    assert f"emitra officer add USERNAME --name 'NAME AND POST' --department '{PAN_DEPARTMENT}' --district JP" in said
    # the LSP admin has no command line: the Society adds officers on its page, the command kept for those who use it
    assert "the Society's admin adds one on the Officers page (Network, then Department officers), or with: emitra officer add" in said
    assert "the Society's admin adds officers on its Officers page" in _element(page, "no-officer")
    # the matrix: the service's row says why, each counter where it is enabled is marked; others are not
    assert "has no active officer in Jaipur district; its paid applications would wait in nobody's inbox" in _element(page, f"no-officer-{PAN}")
    assert _element(page, f"no-officer-JP-JM-001-{PAN}") == "no officer" and f'id="no-officer-JP-LM-001-{PAN}"' in page.text
    for code in (CASTE, BILL):
        assert f'id="no-officer-{code}"' not in page.text and f'id="no-officer-JP-JM-001-{code}"' not in page.text
    grievance = _element(page, f"no-officer-{GRIEVANCE}")
    assert "11 of its 12 departments have no active officer in Jaipur district" in grievance
    assert "Revenue (land records, tehsil)" in grievance and "Public Health Engineering" not in grievance
    detail = web.run(lambda: AuditLog.filter(action="counter.service_enabled").order_by("-id").first().values("detail"))["detail"]
    assert detail == {"service": PAN, "no_officer": [PAN_DEPARTMENT], "via": "web"}  # the log says the LSP was told

    assert web.post_form("/lang/hi", {"next": "/lsp/services"}, token_from="/lsp/services").status_code == 303
    hindi = web.get(on.headers["location"])
    said = _element(hindi, "no-officer-now")
    assert ("इसके आवेदन आयकर विभाग पैन (प्रोटियन/एनएसडीएल) को जाते हैं, जिसका जयपुर ज़िले में कोई सक्रिय अधिकारी नहीं है") in said
    assert "जयपुर ई-मित्र सोसायटी (या विभाग) से आयकर विभाग पैन (प्रोटियन/एनएसडीएल) का अधिकारी जोड़ने को कहें" in said
    assert "सोसायटी के एडमिन इसे अधिकारी पृष्ठ (नेटवर्क, फिर विभागीय अधिकारी) पर, या इस कमांड से जोड़ते हैं: emitra officer add" in said
    assert "अधिकारी पृष्ठ" in _element(hindi, "no-officer")
    assert "कोई सक्रिय अधिकारी नहीं है" in _element(hindi, f"no-officer-{PAN}") and "no officer" not in _text(hindi)

    async def add_officer():
        await officers.add_officer(await actor("society"), username="pan_desk", full_name="PAN desk, Jaipur",
                                   department=PAN_DEPARTMENT, district_code="JP", password="pan-desk-jaipur")

    web.run(add_officer)
    after = web.get("/lsp/services")
    assert f'id="no-officer-{PAN}"' not in after.text and f'id="no-officer-JP-JM-001-{PAN}"' not in after.text


def test_emitra_counter_enable_warns_and_counter_services_marks_what_no_officer_would_see(web, tmp_path):
    async def revenue_gone():  # the last Revenue officers left: the caste certificate has nobody either
        await User.filter(username__in=["tehsildar", "sdm"]).update(active=False)

    web.run(revenue_gone)
    off, on, listed = run_commands(tmp_path, [["counter", "disable", "JP-JM-001", PAN, BILL, "--as", "lsp"],
                                              ["counter", "enable", "JP-JM-001", PAN, BILL, "--as", "lsp"],
                                              ["counter", "services", "JP-JM-001"]], database_url=DB_URL)
    assert off[0] == 0 and "warning" not in off[1]
    assert on[0] == 0 and f"enabled {PAN} at JP-JM-001" in on[1] and f"enabled {BILL} at JP-JM-001" in on[1]
    assert on[1].count("warning: ") == 1  # the bill reaches no officer and needs none
    assert (f"warning: New PAN card application (Form 49A): its applications go to {PAN_DEPARTMENT}, which has no active officer "
            "in Jaipur district.") in on[1]
    assert f"--department '{PAN_DEPARTMENT}' --district JP" in on[1]
    assert _enabled(web, PAN) and _enabled(web, BILL)
    lines = {line.split()[0]: line for line in listed[1].splitlines()}
    assert lines[PAN].endswith(f"NO OFFICER in JP: {PAN_DEPARTMENT}")
    assert lines[CASTE].endswith("NO OFFICER in JP: Revenue Department, Government of Rajasthan")
    assert "NO OFFICER" not in lines[BILL] and "NO OFFICER" not in lines["gov.rj.pehchan.birth_certificate"]


def test_the_societys_inbox_names_the_services_offered_that_no_officer_would_see(web):
    web.login("society")
    page = web.get("/office")
    assert "Services offered with no officer to act on them" in _element(page, "offered-unstaffed").split(":")[0]
    pan = _element(page, f"unstaffed-{PAN}")
    assert pan == f"New PAN card application (Form 49A): no officer of {PAN_DEPARTMENT}. Offered at JP-JM-001, JP-LM-001."
    assert "(11 of its 12 departments)" in _element(page, f"unstaffed-{GRIEVANCE}")
    assert f'id="unstaffed-{CASTE}"' not in page.text and f'id="unstaffed-{BILL}"' not in page.text

    web.logout()
    web.login("lsp")  # disabled at one counter, it is offered at the other only; then at none
    web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": PAN, "enabled": "0"})
    web.logout()
    web.login("society")
    assert _element(web.get("/office"), f"unstaffed-{PAN}").endswith("Offered at JP-LM-001.")
    web.post_form("/lang/hi", {"next": "/office"}, token_from="/office")
    hindi = _element(web.get("/office"), f"unstaffed-{PAN}")
    assert hindi.startswith("नया पैन कार्ड आवेदन") and "आयकर विभाग पैन (प्रोटियन/एनएसडीएल)" in hindi and "JP-LM-001" in hindi
    web.logout()
    web.login("lsp")
    web.post_form("/lsp/services", {"counter": "JP-LM-001", "service_code": PAN, "enabled": "0"})
    web.logout()
    web.login("society")
    assert f'id="unstaffed-{PAN}"' not in web.get("/office").text


# --- a step kept for an officer of level 2 (decision 131) ---------------------------------------------

@pytest.fixture
def mutation_web(emitra_plugin, request):
    """The land mutation of tests/test_workflow.py: the tehsildar (level 1) scrutinises, only the
    officer above (level 2, the demo's sdm) approves or rejects."""
    emitra_plugin(mutation_plugin(), name="mutation")
    return request.getfixturevalue("web")  # the demo enables the loaded services at its counters


def test_a_district_whose_department_has_no_officer_of_the_level_an_approval_needs_is_warned_naming_the_level(mutation_web):
    """Before, any active officer of the department counted: with the level-2 officer gone, the
    level-1 desk officer scrutinised the mutations and they stopped at the approval nobody there
    could take, while the LSP enabling it, the matrix and the Society's inbox said nothing."""
    web = mutation_web

    async def sdm_gone():  # the sub-divisional officer (level 2) left; the tehsildar (level 1) stays
        await User.filter(username="sdm").update(active=False)

    web.run(sdm_gone)
    web.login("lsp")
    assert web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": MUTATION, "enabled": "0"}).status_code == 303
    on = web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": MUTATION, "enabled": "1"})
    assert on.status_code == 303 and _enabled(web, MUTATION, "JP-JM-001")
    page = web.get(on.headers["location"])
    said = _element(page, "no-officer-now")
    assert (f"Land mutation: its applications go to {REVENUE}, which has no active officer of level 2 or above in Jaipur "
            "district, and only such an officer takes its step 'Approve', 'Reject'.") in said
    assert f"add an officer of level 2 of {REVENUE}" in said and f"--department '{REVENUE}' --district JP --level 2 --as ADMIN" in said
    row = _element(page, f"no-officer-{MUTATION}")
    assert "has no active officer of level 2 or above in Jaipur district" in row and "'Approve'" in row
    assert _element(page, f"no-officer-JP-JM-001-{MUTATION}") == "no officer"
    assert f'id="no-officer-{CASTE}"' not in page.text  # the tehsildar takes every step of the caste certificate
    detail = web.run(lambda: AuditLog.filter(action="counter.service_enabled").order_by("-id").first().values("detail"))["detail"]
    assert detail == {"service": MUTATION, "no_officer": [REVENUE], "no_officer_level": 2, "via": "web"}

    assert web.post_form("/lang/hi", {"next": "/lsp/services"}, token_from="/lsp/services").status_code == 303
    hindi = _element(web.get(on.headers["location"]), "no-officer-now")
    assert ("नामांतरण: इसके आवेदन राजस्व विभाग, राजस्थान सरकार को जाते हैं, जिसका जयपुर ज़िले में स्तर 2 या उससे ऊपर का कोई "
            "सक्रिय अधिकारी नहीं है, और इसका चरण 'स्वीकृत करें', 'अस्वीकृत करें' ऐसे अधिकारी ही करते हैं।") in hindi
    assert "राजस्व विभाग, राजस्थान सरकार का स्तर 2 का अधिकारी जोड़ने को कहें" in hindi
    assert "स्तर 2 या उससे ऊपर" in _element(web.get("/lsp/services"), f"no-officer-{MUTATION}")
    web.post_form("/lang/en", {"next": "/lsp/services"}, token_from="/lsp/services")
    web.logout()

    web.login("society")
    society = _element(web.get("/office"), f"unstaffed-{MUTATION}")
    assert society.startswith(f"Land mutation: no officer of level 2 or above of {REVENUE}, for its step 'Approve', 'Reject'.")
    assert f'id="unstaffed-{CASTE}"' not in web.get("/office").text

    async def sdm_back():
        await User.filter(username="sdm").update(active=True)

    web.run(sdm_back)  # the level-2 officer is back: nothing is marked
    assert f'id="unstaffed-{MUTATION}"' not in web.get("/office").text


def test_the_societys_list_of_cases_no_officer_can_act_on_counts_the_level_their_step_needs(mutation_web, tmp_path):
    """Before, "Cases no officer can act on" counted an officer of any level: a mutation scrutinised by
    the tehsildar (level 1), waiting at the approval only a level-2 officer takes, was listed nowhere
    though nobody in the district could take it (decision 135)."""
    web = mutation_web

    async def two_mutations_one_scrutinised():
        first = await Case.get(request_id=(await pay(MUTATION, {"khasra_no": "112/4"}, "unattended-m1")).id)
        await workflow.act(await actor("tehsildar"), first, "scrutinise", "Khasra checked against the jamabandi")
        await Case.get(request_id=(await pay(MUTATION, {"khasra_no": "113/1"}, "unattended-m2")).id)
        await User.filter(username="sdm").update(active=False)  # the level-2 officer left; the tehsildar stays

    web.run(two_mutations_one_scrutinised)
    # the scrutinised one waits at 'Approve', 'Reject' (level 2); the other the tehsildar may still scrutinise
    web.login("society")
    listed = _element(web.get("/office"), "unattended")
    assert f"{REVENUE}: 1 case, which only an officer of level 2 or above can act on" in listed, listed

    async def in_jaipur():
        from emitra.core.models import District
        return await officers.unattended((await District.get(code="JP")).id)

    assert web.run(in_jaipur) == [officers.Unattended(REVENUE, 1, 2)]
    assert "no active officer of the level the cases' step needs" in listed
    web.post_form("/lang/hi", {"next": "/office"}, token_from="/office")
    hindi = _element(web.get("/office"), "unattended")
    assert "राजस्व विभाग, राजस्थान सरकार: 1 प्रकरण, जिस पर केवल स्तर 2 या उससे ऊपर का अधिकारी कार्रवाई कर सकता है" in hindi, hindi
    web.post_form("/lang/en", {"next": "/office"}, token_from="/office")

    async def tehsildar_gone_too():  # no Revenue officer at all: both wait, and one of level 2 acts on both
        await User.filter(username="tehsildar").update(active=False)

    web.run(tehsildar_gone_too)
    assert f"{REVENUE}: 2 cases, which only an officer of level 2 or above can act on" in _element(web.get("/office"), "unattended")

    async def sdm_back():
        await User.filter(username="sdm").update(active=True)

    web.run(sdm_back)  # the level-2 officer acts on both
    assert 'id="unattended"' not in web.get("/office").text


def test_emitra_officer_departments_names_the_level_the_waiting_cases_need(mutation_web, tmp_path):
    """`emitra officer departments --district JP` said nothing of a Revenue case waiting at an approval
    only a level-2 officer takes, while the department still had its level-1 tehsildar (decision 135)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    web = mutation_web

    async def scrutinised_and_sdm_gone():
        case = await Case.get(request_id=(await pay(MUTATION, {"khasra_no": "112/4"}, "unattended-cli")).id)
        await workflow.act(await actor("tehsildar"), case, "scrutinise", "Khasra checked against the jamabandi")
        await User.filter(username="sdm").update(active=False)

    web.run(scrutinised_and_sdm_gone)
    driver = ("import json, sys\nsys.path.insert(0, sys.argv[1])\nfrom click.testing import CliRunner\nfrom emitra.core.cli import main\n"
              "from emitra.core.plugins import PluginHost, set_host\nfrom tests.test_workflow import mutation_plugin\n"
              "set_host(PluginHost(extra_plugins=[('mutation', mutation_plugin())]))\n"
              "result = CliRunner().invoke(main, ['officer', 'departments', '--district', 'JP'])\n"
              "print(json.dumps([result.exit_code, result.output]))\n")
    env = {**os.environ, "EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": DB_URL}
    done = subprocess.run([sys.executable, "-c", driver, str(Path(__file__).parent.parent)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    code, out = json.loads(done.stdout.strip().splitlines()[-1])
    line = next(line for line in out.splitlines() if line.endswith(REVENUE) or f"{REVENUE}  " in line)
    assert code == 0 and line.startswith("  1 officer ") and ("NO OFFICER: 1 open case waiting (needs an officer of level 2 or "
                                                                "above)") in line, out

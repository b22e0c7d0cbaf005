"""The Society's network: an LSP appointed, a kiosk licensed, its operator taken on, from commands.

Before ``emitra lsp add``, ``emitra counter add`` and ``emitra user add`` nothing but the demo made
LSPs, counters or operators: a district could not open its second kiosk without editing the database."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path


from emitra.core import counter as counter_core
from emitra.core import ledger
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, Counter, CounterKind, Role, User
from emitra.core.onboarding import Refused, add_counter, add_lsp, add_user, parse_split
from tests.case_helpers import actor
from tests.case_helpers import as_user as _as
from tests.case_helpers import refused as _refused

BILL, K = "gov.rj.jvvnl.bill", "210412345678"


def test_a_split_is_in_basis_points_or_in_per_cent_with_the_sign():
    assert parse_split("3000/5000/2000") == (3000, 5000, 2000)
    assert parse_split("30%/50%/20%") == (3000, 5000, 2000)
    assert parse_split(" 60 % / 0 / 4000 ") == (6000, 0, 4000)
    assert parse_split("62.5%/30%/7.5%") == (6250, 3000, 750)
    for text, said in (("30/50/20", "add up to 100;"), ("30%%/50%/20%", "or three shares in per cent"),
                       ("30.555%/50%/19.445%", "or three shares in per cent"), ("-30%/100%/30%", "or three shares in per cent"),
                       ("1000%/0/0", "or three shares in per cent"), ("30%/70%", "or three shares in per cent")):
        try:
            parse_split(text)
        except Refused as exc:
            assert exc.field == "--split" and said in exc.message, (text, exc.message)
            assert "30%/50%/20%" in exc.message_hi or said.startswith("add"), exc.message_hi
        else:
            raise AssertionError(text)



def test_the_society_opens_a_kiosk_whose_new_operator_takes_a_payment(web):
    async def lsp():
        return await add_lsp(await actor("society"), name="Dhundhar Digital Services Pvt Ltd", district_code="jp")

    assert "not an admin of the JP e-Mitra Society" in _refused(web, lambda: _as("lsp", add_lsp, name="X", district_code="JP"), "--as")
    made = web.run(lsp)
    assert (made.mode, made.district_id) == ("postpaid", web.run(lambda: User.get(username="society")).district_id)
    assert "already an LSP of JP" in _refused(web, lambda: _as("society", add_lsp, name="dhundhar digital services pvt ltd",
                                                              district_code="JP"), "--name")

    kiosk = dict(name="JanMitra Kiosk, Phagi", lsp_id=made.id, owner_name="Mahesh Saini", address="Bus stand, Phagi",
                 split="3000/5000/2000")
    for code, field, fragment in (("JP-XX-002", "CODE", "is not a counter code"), ("AJ-JM-002", "CODE", "begin it with JP-"),
                                  ("JP-JM-001", "CODE", "is taken")):
        assert fragment in _refused(web, lambda: _as("society", add_counter, code=code, **kiosk), field)
    assert "add up to 9000" in _refused(web, lambda: _as("society", add_counter, code="JP-JM-002", **{**kiosk, "split": "3000/5000/1000"}),
                                        "--split")
    assert "owner's name" in _refused(web, lambda: _as("society", add_counter, code="JP-JM-002", **{**kiosk, "owner_name": ""}), "--owner")
    assert "no LSP with number" in _refused(web, lambda: _as("society", add_counter, code="JP-JM-002", **{**kiosk, "lsp_id": 10**12}),
                                            "--lsp")
    assert not web.run(lambda: Counter.filter(code="JP-JM-002").exists())  # nothing half-written

    counter = web.run(lambda: _as("society", add_counter, code="jp-jm-002", **kiosk))
    assert (counter.code, counter.kind, counter.split_owner_bp) == ("JP-JM-002", CounterKind.JANMITRA, 5000)
    assert web.run(lambda: counter_core.enabled_codes(counter)) == set()  # nothing offered until its LSP enables it

    person = dict(username="op_phagi", full_name="Pooja Meena", role="operator", password="kiosk-phagi-1", counter_code="JP-JM-002")
    assert "an operator works at a counter" in _refused(web, lambda: _as("society", add_user, **{**person, "counter_code": ""}), "--counter")
    assert "is not operator, lsp_admin, society_admin or state_admin" in _refused(
        web, lambda: _as("society", add_user, **{**person, "role": "superuser"}), "--role")
    assert "'society' is not the state admin" in _refused(web, lambda: _as("society", add_user, **{**person, "role": "state_admin"}), "--as")
    assert "may not add this account" in _refused(web, lambda: _as("lsp", add_user, **person), "--as")  # another LSP's counter
    assert "is taken" in _refused(web, lambda: _as("society", add_user, **{**person, "username": "operator1"}), "USERNAME")
    assert _refused(web, lambda: _as("society", add_user, **{**person, "password": "short"}), "password") == "at least 8 characters"
    operator = web.run(lambda: _as("society", add_user, **person))
    assert (operator.role, operator.counter_id, operator.lsp_id) == (Role.OPERATOR, counter.id, made.id)
    actions = web.run(lambda: AuditLog.filter(action__in=["lsp.created", "counter.created", "user.created"]).order_by("id")
                      .values_list("action", "actor_name"))
    assert actions == [("lsp.created", "society"), ("counter.created", "society"), ("user.created", "society")]
    assert "kiosk-phagi-1" not in str(web.run(lambda: AuditLog.filter(action="user.created").values_list("detail", flat=True)))

    async def enable_and_pay():
        await counter_core.set_enabled(await actor("society"), counter, BILL, True)
        citizen = await Citizen.get(name="Ramesh Kumar Sharma")
        return await counter_core.record_cash(Actor(await User.get(username="op_phagi")), counter, citizen, BILL, {"k_number": K}, "phagi-1")

    web.login("op_phagi", "kiosk-phagi-1")
    assert web.get("/counter").status_code == 200
    paid = web.run(enable_and_pay)
    assert paid.counter_id == counter.id and paid.receipt_no.startswith(f"JP{counter.id:04d}")
    assert web.run(lambda: ledger.check())["balanced"]
    # the new LSP's own admin may take on the next operator of its kiosk
    web.run(lambda: _as("society", add_user, username="dds_admin", full_name="Admin, Dhundhar", role="lsp_admin",
                        password="lsp-admin-1", lsp_id=made.id))
    second = web.run(lambda: _as("dds_admin", add_user, **{**person, "username": "op_phagi_2", "full_name": "Ravi Meena"}))
    assert second.counter_id == counter.id



EMITRA = str(Path(sys.executable).parent / "emitra")


def test_the_network_from_the_shell(tmp_path):
    env = {**os.environ, "EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}

    def run(*args, password="kiosk-bassi-1"):
        return subprocess.run([EMITRA, *args], input=f"{password}\n", capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

    assert run("db", "migrate").returncode == 0 and run("demo").returncode == 0
    made = run("lsp", "add", "--name", "Bassi e-Seva", "--district", "JP", "--mode", "prepaid", "--as", "society")
    assert made.returncode == 0, made.stderr
    number = made.stdout.split()[1].rstrip(":")
    assert f"LSP {number}: Bassi e-Seva (prepaid) in JP" in made.stdout
    assert "Bassi e-Seva" in run("lsp", "list").stdout
    refused = run("counter", "add", "JP-LM-9", "--name", "LokMitra, Bassi", "--lsp", number, "--as", "society")
    assert refused.returncode == 1 and "Error: CODE: 'JP-LM-9' is not a counter code" in refused.stderr
    opened = run("counter", "add", "JP-LM-002", "--name", "LokMitra Centre, Bassi", "--lsp", number, "--as", "society")
    assert opened.returncode == 0 and "counter JP-LM-002: LokMitra Centre, Bassi (lokmitra)" in opened.stdout
    assert "JP-LM-002" in run("counter", "list").stdout
    hired = run("user", "add", "op_bassi", "--role", "operator", "--name", "Kamla Devi", "--counter", "JP-LM-002", "--as", "society")
    assert hired.returncode == 0 and "created op_bassi: operator at JP-LM-002" in hired.stdout
    assert "kiosk-bassi-1" not in hired.stdout + hired.stderr
    left = run("user", "deactivate", "op_bassi", "--as", "society")
    assert left.returncode == 0 and "op_bassi deactivated: cannot log in" in left.stdout
    assert "is no operator, LSP admin or admin" in run("user", "deactivate", "tehsildar", "--as", "society").stderr
    # a citizen's login, by their e-Mitra ID (the demo's Sunita Devi, who never signed in) or its username (decision 133)
    stop = run("user", "deactivate", "JP-00000002-9", "--as", "society", "--reason", "Phone lost, reported at the counter")
    assert stop.returncode == 0, stop.stderr
    assert ("citizen:2 (Sunita Devi) deactivated: a code sent to their mobile no longer signs them in, and their open sessions "
            "ended (emitra user reactivate citizen:2 --as ... --reason ... to undo)") in stop.stdout
    assert "Error: --as: 'lsp' may not stop or restore citizen:2's sign-in" in run("user", "reactivate", "citizen:2", "--as", "lsp").stderr
    assert "citizen:2 (Sunita Devi) may sign in again with a code" in run("user", "reactivate", "citizen:2", "--as", "society",
                                                                          "--reason", "Phone found").stdout
    assert run("user", "set-password", "op_bassi", "--as", "society", password="kiosk-bassi-2").returncode == 0
    moved = run("user", "move", "op_bassi", "--counter", "JP-JM-001", "--as", "society")
    assert moved.returncode == 0 and "op_bassi now works at JP-JM-001" in moved.stdout, moved.stderr
    closed = run("counter", "close", "JP-LM-002", "--as", "society")
    assert closed.returncode == 0 and "counter JP-LM-002 closed" in closed.stdout, closed.stderr
    assert "JP-LM-002" in run("counter", "list").stdout.split("(closed)")[0].splitlines()[-1]
    assert "Error: CODE: JP-LM-002 is already closed" in run("counter", "close", "JP-LM-002", "--as", "society").stderr
    assert "Error: --as:" in run("counter", "reopen", "JP-LM-002", "--as", "operator1").stderr
    assert "counter JP-LM-002 reopened" in run("counter", "reopen", "JP-LM-002", "--as", "society").stdout
    assert run("audit", "verify").returncode == 0


def test_a_citizens_sign_in_is_stopped_and_restarted_from_the_shell_with_a_reason_as_on_the_page(tmp_path):
    """`emitra user deactivate | reactivate` had no --reason: the Society's page asks why a citizen's
    sign-in is stopped or restarted and keeps it in the audit record, the shell could not say why at
    all. It now takes --reason, required for a citizen's login as the page requires it (5 to 200
    characters), refused with nothing written (no login made) when missing; optional for staff,
    whose lock-out on the Network page asks none, kept when given (decision 145)."""
    env = {**os.environ, "EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}

    def run(*args):
        return subprocess.run([EMITRA, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

    def audited(action):
        with sqlite3.connect(tmp_path / "data" / "emitra.sqlite3") as db:
            return [(who, json.loads(detail)) for who, detail in
                    db.execute("SELECT actor_name, detail FROM audit_log WHERE action = ? ORDER BY id", (action,))]

    def logins():
        with sqlite3.connect(tmp_path / "data" / "emitra.sqlite3") as db:
            return db.execute("SELECT count(*) FROM app_user WHERE username LIKE 'citizen:%'").fetchone()[0]

    assert run("db", "migrate").returncode == 0 and run("demo").returncode == 0
    made_before = logins()
    assert "--reason TEXT" in run("user", "deactivate", "--help").stdout
    bare = run("user", "deactivate", "JP-00000002-9", "--as", "society")  # Sunita Devi, who never signed in
    assert bare.returncode == 1
    assert ("Error: --reason: a citizen's sign-in is stopped or restarted with a reason, as on the Society's page Citizens' "
            "sign-in: give --reason 'WHY' (5 to 200 characters") in bare.stderr
    short = run("user", "deactivate", "JP-00000002-9", "--as", "society", "--reason", "lost")
    assert short.returncode == 1 and "Error: --reason: the reason has 4 characters: say why in 5 to 200" in short.stderr
    assert logins() == made_before and audited("user.deactivated") == []  # nothing written
    stop = run("user", "deactivate", "JP-00000002-9", "--as", "society", "--reason", "  Phone   lost, reported at the counter ")
    assert stop.returncode == 0, stop.stderr
    assert "Error: --reason:" in run("user", "reactivate", "citizen:2", "--as", "society").stderr
    again = run("user", "reactivate", "citizen:2", "--as", "society", "--reason", "Phone found by the family")
    assert again.returncode == 0, again.stderr
    # recorded as the page records it: the same actions, the reason in the detail (here via the shell)
    (stopped,) = audited("user.deactivated")
    assert stopped[0] == "society" and stopped[1]["via"] == "cli" and stopped[1]["reason"] == "Phone lost, reported at the counter"
    (restarted,) = audited("user.reactivated")
    assert restarted[1]["reason"] == "Phone found by the family" and restarted[1]["username"] == "citizen:2"
    # staff: the reason optional, kept when given
    assert run("user", "deactivate", "operator2", "--as", "society").returncode == 0
    assert run("user", "reactivate", "operator2", "--as", "society", "--reason", "Back from leave").returncode == 0
    assert "reason" not in audited("user.deactivated")[-1][1] and audited("user.reactivated")[-1][1]["reason"] == "Back from leave"
    assert run("audit", "verify").returncode == 0


def test_an_operator_who_left_is_locked_out_by_the_society_or_their_lsp(web):
    """`emitra officer deactivate` refused operators and LSP admins ("is no department officer"), so
    an operator who left an LSP kept their log-in."""
    from emitra.core.onboarding import deactivate_user, reactivate_user, set_user_password

    web.login("operator2")
    token = web.api_token("operator2")
    assert web.get("/counter").status_code == 200
    assert "is no operator, LSP admin or admin" in _refused(web, lambda: _as("society", deactivate_user, username="tehsildar"), "USERNAME")
    assert "may not manage operator2" in _refused(web, lambda: _as("operator1", deactivate_user, username="operator2"), "--as")
    web.run(lambda: _as("lsp", deactivate_user, username="operator2"))  # its own LSP's operator
    assert web.get("/counter", follow_redirects=False).status_code in (302, 303)  # the open session ended
    assert web.client.get("/api/v1/services", headers=token).status_code == 401
    entry = web.run(lambda: AuditLog.filter(action="user.deactivated").first())
    assert entry.actor_name == "lsp"
    web.run(lambda: _as("society", reactivate_user, username="operator2"))
    web.run(lambda: _as("society", set_user_password, username="operator2", password="a-new-counter-pw"))
    web.login("operator2", "a-new-counter-pw")
    assert web.get("/counter").status_code == 200


def test_a_new_installation_gets_its_state_admin_districts_and_society_admins_from_the_shell(tmp_path):
    """On a database with nothing but its schema (no demo), the shell adds the first district with
    its Society and bank account, the district's first Society admin and the first state admin,
    each once: afterwards only an admin named by --as adds more, and a name that is no account is
    never taken for the shell. The Society admin then runs the district's network."""
    env = {**os.environ, "EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}

    def run(*args, password="society-admin-1"):
        return subprocess.run([EMITRA, *args], input=f"{password}\n", capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

    assert run("db", "migrate").returncode == 0
    bad = run("district", "add", "JPR", "--name", "Jaipur", "--name-hi", "जयपुर", "--society", "Society")
    assert bad.returncode == 1 and "Error: CODE: 'JPR' is not a district code: two letters" in bad.stderr
    bad = run("district", "add", "JP", "--name", "Jaipur", "--name-hi", "जयपुर", "--society", "Society", "--bank-account", "SBI main")
    assert bad.returncode == 1 and "Error: --bank-account: 'SBI main' has no account number" in bad.stderr
    made = run("district", "add", "jp", "--name", "Jaipur", "--name-hi", "जयपुर", "--society", "District e-Mitra Society, Jaipur",
               "--bank-account", "SBI 0000 1234 5678", "--nodal-email", "nodal@example.org")
    assert made.returncode == 0 and "district JP: Jaipur (जयपुर)" in made.stdout and "--role society_admin --district JP" in made.stdout
    assert "Error: CODE: district JP exists already" in run("district", "add", "JP", "--name", "J", "--name-hi", "ज", "--society", "S").stderr
    first = run("user", "add", "jp_admin", "--role", "society_admin", "--district", "JP", "--name", "Meena Sharma")
    assert first.returncode == 0 and "created jp_admin: society_admin of the JP Society" in first.stdout, first.stderr
    assert "society-admin-1" not in first.stdout + first.stderr
    again = run("user", "add", "jp_admin2", "--role", "society_admin", "--district", "JP", "--name", "Second Admin")
    assert again.returncode == 1 and "Error: --as: an admin of the JP Society exists already" in again.stderr
    typo = run("user", "add", "jp_admin2", "--role", "society_admin", "--district", "JP", "--name", "Second Admin", "--as", "jp_admn")
    assert typo.returncode == 1 and "Error: --as 'jp_admn': no account has that username" in typo.stderr
    assert run("user", "add", "jp_admin2", "--role", "society_admin", "--district", "JP", "--name", "Second Admin",
               "--as", "jp_admin").returncode == 0
    no_as = run("user", "add", "op_x", "--role", "operator", "--name", "Operator", "--counter", "JP-LM-001")
    assert no_as.returncode == 1 and "Error: --as: give --as" in no_as.stderr
    # the Society admin runs the network, and changes the Society's bank account (audited before and after)
    assert run("lsp", "add", "--name", "Dhundhar Digital", "--district", "JP", "--as", "jp_admin").returncode == 0
    changed = run("district", "set", "JP", "--bank-account", "SBI 0000 9999 1111", "--as", "jp_admin")
    assert changed.returncode == 0 and "JP: District e-Mitra Society, Jaipur [SBI 0000 9999 1111]" in changed.stdout
    assert "Error: --society: nothing to change" in run("district", "set", "JP", "--as", "jp_admin").stderr
    # the state admin: the first from the shell, then only a state admin adds districts
    assert run("user", "add", "rajasthan", "--role", "state_admin", "--name", "State Admin").returncode == 0
    shell = run("district", "add", "AJ", "--name", "Ajmer", "--name-hi", "अजमेर", "--society", "District e-Mitra Society, Ajmer")
    assert shell.returncode == 1 and "Error: --as: a state admin exists already" in shell.stderr
    assert "Error: --as: 'jp_admin' is not the state admin" in run("district", "add", "AJ", "--name", "Ajmer", "--name-hi", "अजमेर",
                                                                    "--society", "S", "--as", "jp_admin").stderr
    assert run("district", "add", "AJ", "--name", "Ajmer", "--name-hi", "अजमेर", "--society", "District e-Mitra Society, Ajmer",
               "--as", "rajasthan").returncode == 0
    listed = run("district", "list").stdout.splitlines()
    assert listed[0].startswith("AJ  Ajmer (अजमेर)  District e-Mitra Society, Ajmer  [no bank account set]  0 LSPs")
    assert listed[1] == "JP  Jaipur (जयपुर)  District e-Mitra Society, Jaipur  [SBI 0000 9999 1111]  1 LSP, 0 counters, 2 Society admins"
    assert run("audit", "verify").returncode == 0
    with sqlite3.connect(tmp_path / "data" / "emitra.sqlite3") as db:
        log = [(who, action, json.loads(detail)) for who, action, detail in db.execute(
            'SELECT actor_name, action, detail FROM audit_log WHERE action IN (\'district.created\', \'user.created\', '
            '\'society.updated\') ORDER BY id')]
    assert [(who, action) for who, action, _ in log] == [
        ("(cli)", "district.created"), ("(cli)", "user.created"), ("jp_admin", "user.created"), ("jp_admin", "society.updated"),
        ("(cli)", "user.created"), ("rajasthan", "district.created")]
    assert log[3][2]["bank_account"] == ["SBI 0000 1234 5678", "SBI 0000 9999 1111"] and "name" not in log[3][2]
    assert log[0][2]["bank_account"] == "SBI 0000 1234 5678" and "password" not in json.dumps(log)


def test_the_society_admin_keeps_the_societys_bank_account_on_the_network_page(web):
    """The Network page's Society form (the Society's admin alone) does what `emitra district set`
    does: the refusal beside its field, in Hindi too, what was typed kept; the change audited with
    the account before and after. An LSP admin posting it is refused."""
    web.login("society")
    page = web.get("/network")
    assert page.status_code == 200 and 'id="society-bank_account"' in page.text and 'value="SBI 0000 1234 5678"' in page.text
    society = {"action": "society", "society_name": "District e-Mitra Society, Jaipur", "bank_account": "State Bank", "nodal_email": ""}
    bad = web.post_form("/network", society)
    assert bad.status_code == 400 and re.search(
        r'id="society-bank_account-error"[^>]*>Bank account for the counters&#39; deposits: &#39;State Bank&#39; has no account number', bad.text)
    assert 'value="State Bank"' in bad.text
    hindi = web.client.post("/network?lang=hi", data={**society, "society_name": "", "csrf_token": web.csrf("/network")})
    assert hindi.status_code == 400 and "सोसायटी का नाम आवश्यक है" in hindi.text
    web.get("/network?lang=en")
    done = web.post_form("/network", {**society, "bank_account": "SBI 0000 9999 1111", "nodal_email": "nodal@example.org"})
    assert done.status_code == 303
    shown = web.get(done.headers["location"]).text
    assert "The JP Society&#39;s details are saved" in shown and 'value="SBI 0000 9999 1111"' in shown
    record = web.run(lambda: AuditLog.filter(action="society.updated").order_by("-id").first())
    assert record.actor_name == "society" and record.detail["bank_account"] == ["SBI 0000 1234 5678", "SBI 0000 9999 1111"]
    web.logout()
    web.login("lsp")
    assert web.post_form("/network", {**society, "bank_account": "SBI 1"}).status_code == 403
    assert 'id="society-bank_account"' not in web.get("/network").text

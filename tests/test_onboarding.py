"""The Society's network: an LSP appointed, a kiosk licensed, its operator taken on, from commands.

Before ``emitra lsp add``, ``emitra counter add`` and ``emitra user add`` nothing but the demo made
LSPs, counters or operators: a district could not open its second kiosk without editing the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


from emitra.core import counter as counter_core
from emitra.core import ledger
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, Counter, CounterKind, Role, User
from emitra.core.onboarding import add_counter, add_lsp, add_user
from tests.case_helpers import actor
from tests.case_helpers import as_user as _as
from tests.case_helpers import refused as _refused

BILL, K = "gov.rj.jvvnl.bill", "210412345678"



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
    assert "is not operator or lsp_admin" in _refused(web, lambda: _as("society", add_user, **{**person, "role": "state_admin"}), "--role")
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
    assert "is no operator or LSP admin" in run("user", "deactivate", "tehsildar", "--as", "society").stderr
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


def test_an_operator_who_left_is_locked_out_by_the_society_or_their_lsp(web):
    """`emitra officer deactivate` refused operators and LSP admins ("is no department officer"), so
    an operator who left an LSP kept their log-in."""
    from emitra.core.onboarding import deactivate_user, reactivate_user, set_user_password

    web.login("operator2")
    token = web.api_token("operator2")
    assert web.get("/counter").status_code == 200
    assert "is no operator or LSP admin" in _refused(web, lambda: _as("society", deactivate_user, username="tehsildar"), "USERNAME")
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

"""The operations drills of docs/operations.md, through the `emitra` command as an administrator runs it:
back up a district that has taken money, lose data, restore, and find the books and receipts exactly as
they were; upgrade a database at an older migration with `emitra db migrate` and keep its ledger.

Each drill runs on its own database, never the suite's: a SQLite file in the test's folder, or with
EMITRA_TEST_DATABASE_URL the PostgreSQL database ``<test db>_restore``, created and dropped here.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from tortoise import Tortoise

from emitra.core import counter as counter_core
from emitra.core import db, dayend, demo, documents, ledger
from emitra.core.audit import Actor
from emitra.core.cli_ops import known_migrations
from emitra.core.models import Citizen, Counter, Document, LedgerEntry, Posting, ServiceRequest, User
from emitra.core.plugins import get_host

EMITRA = str(Path(sys.executable).parent / "emitra")
PG_URL = os.environ.get("EMITRA_TEST_DATABASE_URL", "").strip()
BILL, K = "gov.rj.jvvnl.bill", "210412345678"  # ₹1,483.50; the Rs 3.95 charge is paid by JVVNL
GRIEVANCE = "gov.rj.sampark.grievance"  # Rs 5
CASTE = "gov.rj.revenue.caste_certificate"  # Rs 10, with a scanned ration card
SCAN = b"%PDF-1.4 ration card of Lakshmi Narayan Bairwa"
RELEASED_SCHEMA = "0007_mis_indexes"  # the newest migration of the last release: districts upgrade from here


def _pg_admin(sql: str) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


@pytest.fixture
def district(tmp_path, monkeypatch):
    """A district database of its own (empty) and a data dir for its documents; the URL."""
    data = tmp_path / "data"
    monkeypatch.setenv("EMITRA_DATA_DIR", str(data))
    if not PG_URL:
        url = f"sqlite://{tmp_path / 'district.sqlite3'}"
        monkeypatch.setenv("EMITRA_DATABASE_URL", url)
        yield url
        return
    parts = urlsplit(PG_URL)
    name = parts.path.lstrip("/") + "_restore"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    monkeypatch.setenv("EMITRA_DATABASE_URL", url)
    try:
        yield url
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def emitra(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """The command line, with this test's EMITRA_DATABASE_URL and EMITRA_DATA_DIR (and ``env`` over them)."""
    return subprocess.run([EMITRA, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout)


def refused(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A command (or `emitra serve`) that must stop at once with an error: one that hangs or serves fails the test."""
    try:
        out = emitra(*args, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`emitra {' '.join(args)}` was still running after 60 s instead of refusing")
    assert out.returncode != 0 and "Traceback" not in out.stderr, (out.returncode, out.stderr)
    return out


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_db(url: str, fn):
    """Run ``fn`` with the ORM connected to ``url`` (in its own event loop), then disconnect."""
    async def go():
        await db.init(url)
        try:
            return await fn()
        finally:
            await Tortoise.close_connections()

    return asyncio.run(go())


async def _operator():
    user = await User.get(username="operator1")
    return Actor(user, via="test"), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


async def take_a_day(prefix: str, close: bool) -> None:
    """At JP-LM-001: an electricity bill, a grievance and a caste certificate with its scan, paid in cash;
    then, if ``close``, the day end with the drawer counted exact."""
    actor, counter, citizen = await _operator()
    host = get_host().registry
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, f"{prefix}-bill")
    await counter_core.record_cash(actor, counter, citizen, GRIEVANCE, dict(host.get(GRIEVANCE).example), f"{prefix}-grv")
    scan = await documents.store(actor, counter, host.get(CASTE), "ration_card_scan", "card.pdf", SCAN)
    form = {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "SC",
            "caste": "Bairwa", "address": {"house": "14, Bairwa Mohalla", "village_ward": "Phagi", "tehsil": "phagi",
                                           "district": "Jaipur", "pin": "303005"},
            "ration_card_scan": scan.public_id, "mobile": "9829012345"}
    await counter_core.record_cash(actor, counter, citizen, CASTE, form, f"{prefix}-caste")
    if close:
        figures = await dayend.figures(counter, dayend.today())
        await dayend.close_day(actor, counter, dayend.today(), figures.expected_paise)


async def snapshot() -> dict:
    """What must survive a restore or an upgrade: receipts, every posting, day ends, documents."""
    return {
        "receipts": sorted(await ServiceRequest.all().values_list("receipt_no", flat=True)),
        "postings": sorted(await Posting.all().values_list("entry__idempotency_key", "account", "amount_paise")),
        "documents": sorted(await Document.all().values_list("public_id", "sha256")),
        "check": await ledger.check(),
    }


def _receipt_page(client, receipt_no: str) -> int:
    return client.get(f"/receipts/{receipt_no}").status_code


def _login(client, username: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": "emitra-demo", "csrf_token": token})
    assert response.status_code == 303, response.text


def test_the_restore_drill_brings_back_the_books_receipts_and_scans_as_they_were_at_backup(district, tmp_path):
    asyncio.run(db.migrate(district))

    async def morning():
        await demo.load()
        await take_a_day("am", close=True)
        return await snapshot()

    before = with_db(district, morning)
    assert before["check"]["balanced"] and len(before["receipts"]) == 3 and len(before["documents"]) == 1

    backup = tmp_path / "backups" / "district.tar"
    made = emitra("db", "backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert "1 documents" in made.stdout and backup.stat().st_mode & 0o077 == 0  # citizens' records: owner only
    with tarfile.open(backup) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["migrations"] == known_migrations() and manifest["documents"] == 1
    again = emitra("db", "backup", str(backup))
    assert again.returncode != 0 and "already exists" in again.stderr  # a good backup is never overwritten by accident

    async def afternoon_then_disaster():
        await take_a_day("pm", close=False)
        later = sorted(set(await ServiceRequest.all().values_list("receipt_no", flat=True)) - set(before["receipts"]))
        lost = await LedgerEntry.filter(idempotency_key__in=[f"request:{no}" for no in before["receipts"]]).values_list("id", flat=True)
        await Posting.filter(entry_id__in=lost).delete()  # the morning's books are lost
        return later

    later = with_db(district, afternoon_then_disaster)
    for path in (tmp_path / "data" / "documents").rglob("*"):
        if path.is_file():
            path.unlink()  # and the scans with them
    broken = emitra("ledger", "check")
    assert broken.returncode == 1 and "has no postings" in broken.stdout

    refused = emitra("db", "restore", str(backup))
    assert refused.returncode != 0 and "--yes" in refused.stderr
    restored = emitra("db", "restore", str(backup), "--yes")
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "migrations: up to date" in restored.stdout and "ledger: balanced" in restored.stdout

    after = with_db(district, snapshot)
    assert after == before  # receipts, postings, documents and the ledger check exactly as at backup time
    assert emitra("ledger", "check").returncode == 0

    from starlette.testclient import TestClient

    from emitra.web.app import create_app

    with TestClient(create_app(district), follow_redirects=False) as client:
        _login(client, "operator1")
        assert all(_receipt_page(client, no) == 200 for no in before["receipts"])
        assert all(_receipt_page(client, no) == 404 for no in later)  # taken after the backup: gone with it
        public_id, sha = before["documents"][0]
        scan = client.get(f"/documents/{public_id}")
        assert scan.status_code == 200 and scan.content == SCAN
    # what the restore wrote is no more readable by other local accounts than what it replaced
    from emitra.core import documents

    restored_files = [documents._path(public_id)] + ([Path(district.removeprefix("sqlite://"))] if district.startswith("sqlite://") else [])
    assert [str(f) for f in restored_files if f.stat().st_mode & 0o007] == []


def test_a_backup_keeps_the_files_fetched_from_stripe_and_a_restore_brings_them_back(district, tmp_path):
    """Decision 170: the file a Stripe fetch kept for an import (docs/reconciliation.md section 7)
    is in the backup beside the documents, and after the disk is lost the restore writes it back,
    owner-readable, downloadable again as the import's own file (its SHA-256 the import's)."""
    import datetime as dt

    from emitra.core import reconcile as rec
    from emitra.core.models import District, StatementImport

    asyncio.run(db.migrate(district))
    created = int((dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).timestamp())
    fetched = json.dumps({"object": "list", "has_more": False, "data": [{
        "id": "txn_ops_1", "object": "balance_transaction", "amount": 62000, "currency": "inr", "fee": 1240, "net": 60760,
        "type": "charge", "created": created, "source": "ch_ops_1", "description": "e-Mitra card payment"}]}).encode()

    async def import_a_fetch() -> int:
        await demo.load()
        society = Actor(await User.get(username="society"), via="test")
        imp = await rec.import_stripe_transactions(society, (await District.first()).id, fetched, "stripe-fetched.json")
        rec.keep_fetched(imp.district_id, imp.id, fetched)  # what import_from_stripe keeps
        return imp.id

    import_id = with_db(district, import_a_fetch)
    backup = tmp_path / "backups" / "with-stripe.tar"
    made = emitra("db", "backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert "1 file fetched from Stripe" in made.stdout, made.stdout
    with tarfile.open(backup) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        members = [m.name for m in tar.getmembers() if m.name.startswith("stripe-fetched/")]
    assert manifest["stripe_fetched"] == 1 and len(members) == 1 and members[0].endswith(f"/{import_id}.json")

    import shutil

    shutil.rmtree(tmp_path / "data" / "stripe-fetched")  # the disk is lost
    restored = emitra("db", "restore", str(backup), "--yes")
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "1 file fetched from Stripe" in restored.stdout and "ledger: balanced" in restored.stdout

    async def kept() -> bytes | None:
        return rec.fetched_file(await StatementImport.get(id=import_id))

    assert with_db(district, kept) == fetched
    [path] = list((tmp_path / "data" / "stripe-fetched").rglob("*.json"))
    assert path.stat().st_mode & 0o007 == 0  # not readable by other local accounts, as the restored documents


def test_rolling_back_an_upgrade_restores_the_backup_over_a_newer_schema(district, tmp_path):
    """docs/operations.md "Rolling back": the backup taken before an upgrade restored over the
    upgraded database, whose later migration made a table referencing one of the backup's (a
    foreign key to lsp). The later table goes, the backup's books come back, in one transaction."""
    from tortoise import connections

    asyncio.run(db.migrate(district))

    async def load():
        await demo.load()
        await take_a_day("am", close=True)
        return await snapshot()

    before = with_db(district, load)
    backup = tmp_path / "before-upgrade.tar"
    assert emitra("db", "backup", str(backup)).returncode == 0

    async def upgrade():  # what a later migration might do
        conn = connections.get("default")
        await conn.execute_script('CREATE TABLE "later_figure" ("id" INTEGER PRIMARY KEY, "lsp_id" INTEGER NOT NULL REFERENCES "lsp" ("id"))')
        await conn.execute_script('INSERT INTO "later_figure" ("id", "lsp_id") SELECT 1, MIN("id") FROM "lsp"')
        await take_a_day("pm", close=False)

    with_db(district, upgrade)
    restored = emitra("db", "restore", str(backup), "--yes")
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "ledger: balanced" in restored.stdout

    async def after():
        tables = await connections.get("default").execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table'" if district.startswith("sqlite://")
            else "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
        return await snapshot(), {t["name"] for t in tables}

    books, tables = with_db(district, after)
    assert books == before and "later_figure" not in tables and "lsp" in tables


def test_a_restore_refuses_a_foreign_or_doctored_file_and_a_database_in_use(district, tmp_path):
    asyncio.run(db.migrate(district))
    not_a_backup = tmp_path / "notes.tar"
    with tarfile.open(not_a_backup, "w") as tar:
        tar.add(__file__, arcname="notes.py")
    refused = emitra("db", "restore", str(not_a_backup), "--yes")
    assert refused.returncode != 0 and "not an emitra backup" in refused.stderr and "emitra db backup" in refused.stderr
    backup, doctored = tmp_path / "b.tar", tmp_path / "doctored.tar"
    assert emitra("db", "backup", str(backup)).returncode == 0
    doctored.write_bytes(backup.read_bytes())
    with tarfile.open(doctored, "a") as tar:
        tar.add(__file__, arcname="documents/../../escaped.py")  # a path that climbs out of the data dir
    refused = emitra("db", "restore", str(doctored), "--yes")
    assert refused.returncode != 0 and "unexpected files (documents/../../escaped.py)" in refused.stderr
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path.parent / "escaped.py").exists()
    if PG_URL:
        return  # on PostgreSQL a connected session refuses a restore the same way (pg_stat_activity)
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
                               "c.execute('SELECT count(*) FROM app_user').fetchall(); print('open', flush=True); time.sleep(60)",
                               district.removeprefix("sqlite://")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        busy = emitra("db", "restore", str(backup), "--yes")
        assert busy.returncode != 0 and f"is open in process {holder.pid}" in busy.stderr
    finally:
        holder.kill()
        holder.wait()
    assert emitra("db", "restore", str(backup), "--yes").returncode == 0


def test_a_database_at_an_older_migration_upgrades_with_its_ledger_and_receipts(district):
    previous = RELEASED_SCHEMA
    asyncio.run(db.migrate(district))

    async def a_day():
        await demo.load()
        await take_a_day("old", close=True)
        return await snapshot()

    before = with_db(district, a_day)

    async def back_to_previous():
        from tortoise.migrations.api import migrate

        await migrate(config=db.tortoise_config(district), target=f"models.{previous}")
        await Tortoise.close_connections()

    asyncio.run(back_to_previous())
    status = emitra("db", "status")
    to_apply = known_migrations()[known_migrations().index(previous) + 1:]
    assert status.returncode == 1 and f"to apply: {', '.join(to_apply)}" in status.stdout

    upgraded = emitra("db", "migrate")
    assert upgraded.returncode == 0, upgraded.stderr
    assert emitra("db", "status").returncode == 0
    check = emitra("ledger", "check", "--json")
    assert check.returncode == 0 and json.loads(check.stdout)["entries"] == before["check"]["entries"]
    assert with_db(district, snapshot) == before

    async def a_new_day_after_the_upgrade():
        await take_a_day("new", close=False)
        return await ServiceRequest.all().count(), (await ledger.check())["balanced"]

    receipts, balanced = with_db(district, a_new_day_after_the_upgrade)
    assert balanced and receipts == len(before["receipts"]) + 3


def test_sqlite_refuses_several_workers_with_the_reason_and_the_fix():
    if PG_URL:
        pytest.skip("the refusal is for SQLite; PostgreSQL serves several workers (docs/operations.md)")
    out = subprocess.run([EMITRA, "serve", "--workers", "4"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "--workers 4 on SQLite" in out.stderr and "PostgreSQL" in out.stderr and "--workers 1" in out.stderr


def test_workers_starting_together_agree_on_the_generated_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "EMITRA_SECRET_KEY"}
    env["EMITRA_DATA_DIR"] = str(tmp_path / "fresh")
    code = "from emitra.core import config; print(config.secret_key())"
    workers = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True) for _ in range(6)]
    keys = {w.communicate(timeout=60)[0].strip() for w in workers}
    assert len(keys) == 1 and len(keys.pop()) >= 48
    assert (tmp_path / "fresh" / "secret.key").stat().st_mode & 0o077 == 0
    assert [p.name for p in (tmp_path / "fresh").iterdir()] == ["secret.key"]  # no staged copies left behind


def settings_the_code_reads() -> set[str]:
    root = Path(__file__).parent.parent
    code = "\n".join(p.read_text(encoding="utf-8") for folder in ("core", "web", "policy", "plugins") for p in (root / folder).rglob("*.py"))
    return set(re.findall(r"[\"'](EMITRA_[A-Z_]+)[\"']", code))


def test_docs_operations_lists_every_setting_the_code_reads():
    settings = settings_the_code_reads()
    documented = (Path(__file__).parent.parent / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "EMITRA_SECRET_KEY" in settings
    assert sorted(s for s in settings if f"`{s}`" not in documented) == [], "add them to the table in docs/operations.md"


def test_every_setting_the_code_reads_is_checked_at_start_up():
    from emitra.core import config

    assert set(config.SETTINGS) == settings_the_code_reads(), "list each setting in core/config.py _checks (tests/test_config.py: a bad value)"


# --- mistakes of an administrator: one line that names the mistake and the fix, never a traceback ------

def test_bad_settings_stop_every_command_and_the_server_at_once_each_named_with_its_fix(tmp_path):
    bad = {"EMITRA_TODAY": "2026-02-30", "EMITRA_TIMEZONE": "Asia/Jaipur", "EMITRA_LOGIN_MAX_FAILURES": "abc",
           "EMITRA_SECRET_KEY": "Short-Key-41"}
    out = refused("ledger", "check", env=bad)
    lines = out.stderr.splitlines()
    assert out.returncode == 2 and len(lines) == 4 and all(line.startswith("Error: EMITRA_") for line in lines), out.stderr
    assert "EMITRA_TODAY='2026-02-30' is not a date" in out.stderr and "YYYY-MM-DD" in out.stderr
    assert "EMITRA_TIMEZONE='Asia/Jaipur' is not a time zone" in out.stderr and "Asia/Kolkata" in out.stderr
    assert "EMITRA_LOGIN_MAX_FAILURES must be a whole number, not 'abc'" in out.stderr
    assert "EMITRA_SECRET_KEY is too short" in out.stderr and "Short-Key-41" not in out.stderr  # never the key itself
    # read by each log-in, it used to start the server and answer every log-in with a 500
    serve = refused("serve", "--port", str(free_port()), env={"EMITRA_LOGIN_MAX_FAILURES": "abc"})
    assert serve.stderr.startswith("Error: EMITRA_LOGIN_MAX_FAILURES must be a whole number") and "serving" not in serve.stdout


def test_a_database_url_emitra_cannot_open_is_refused_saying_how_to_write_it():
    cases = {
        "postgres://emitra:Pw-Hidden-9@127.0.0.1:54x2/emitra": "the port '54x2' is not a port number",
        # a '?' not percent-encoded: the password was printed whole, or its first part as "the port"
        "postgres://emitra:Pw-Hidden-9?@127.0.0.1/emitra": "the user name or password holds a character a URL reserves",
        "/tmp/a/emitra.sqlite3": "is a path, not a database URL: for a SQLite file there write sqlite:///tmp/a/emitra.sqlite3",
        "mysql://emitra:Pw-Hidden-9@127.0.0.1/emitra": "mysql:// databases are not supported: write sqlite:///",
    }
    for url, says in cases.items():
        out = refused("db", "status", env={"EMITRA_DATABASE_URL": url})
        assert out.returncode == 2 and out.stderr.startswith("Error: EMITRA_DATABASE_URL=") and says in out.stderr, out.stderr
        assert len(out.stderr.splitlines()) == 1 and "Pw-Hidden-9" not in out.stderr + out.stdout


def test_a_sqlite_database_in_a_missing_folder_is_refused_by_every_command_instead_of_hanging(tmp_path):
    folder = tmp_path / "nowhere" / "sub"
    env = {"EMITRA_DATABASE_URL": f"sqlite://{folder / 'emitra.sqlite3'}", "EMITRA_DATA_DIR": str(tmp_path / "data")}
    for command in (["db", "migrate"], ["db", "status"], ["audit", "verify"], ["demo"], ["serve", "--port", str(free_port())]):
        out = refused(*command, env=env)
        assert out.stderr == (f"Error: the folder {folder} of the SQLite database does not exist: create it "
                              f"(mkdir -p {folder}) or correct EMITRA_DATABASE_URL\n"), (command, out.stderr)
    assert not folder.exists()


def to_the_last_release(url: str) -> str:
    """Migrate the database at ``url`` to the last release's schema; what `emitra db status` then says is to apply."""
    async def go():
        from tortoise.migrations.api import migrate

        await migrate(config=db.tortoise_config(url), target=f"models.{RELEASED_SCHEMA}")
        await Tortoise.close_connections()

    asyncio.run(go())
    applied = known_migrations().index(RELEASED_SCHEMA) + 1
    return f"{applied} of {len(known_migrations())} migrations applied, up to {RELEASED_SCHEMA}; to apply: 0008_"


def test_commands_on_a_database_without_the_schema_or_behind_it_say_so_in_one_line(district):
    from emitra.core.db import safe_url

    for command in (["audit", "verify"], ["ledger", "check"], ["demo"], ["demo-cases"]):
        out = refused(*command)
        assert out.stderr == f"Error: {safe_url(district)}: no emitra schema: run `emitra db migrate`\n", (command, out.stderr)
    behind = to_the_last_release(district)
    verify = refused("audit", "verify")  # the column prev_hash comes with 0008
    assert verify.stderr.startswith(f"Error: {safe_url(district)}: {behind}") and "(run `emitra db migrate`)" in verify.stderr
    assert len(verify.stderr.splitlines()) == 1


def test_serve_and_the_app_refuse_a_database_not_migrated_and_serve_once_it_is(district):
    from starlette.testclient import TestClient

    from emitra.core.db import safe_url
    from emitra.web.app import NotMigrated, create_app

    serve = refused("serve", "--port", str(free_port()))  # it used to serve, and answer every log-in with a 500
    assert serve.stderr == f"Error: not serving {safe_url(district)}: no emitra schema: run `emitra db migrate`\n"
    with pytest.raises(NotMigrated, match="no emitra schema"):  # uvicorn started directly: the app's start-up refuses
        with TestClient(create_app(district)):
            pass
    behind = to_the_last_release(district)
    assert refused("serve", "--port", str(free_port())).stderr.startswith(f"Error: not serving {safe_url(district)}: {behind}")
    with pytest.raises(NotMigrated, match="to apply: 0008_"):
        with TestClient(create_app(district)):
            pass

    assert emitra("db", "migrate").returncode == 0 and emitra("demo").returncode == 0
    with TestClient(create_app(district), follow_redirects=False) as client:
        _login(client, "operator1")


def test_a_database_that_cannot_be_reached_or_does_not_exist_is_named_without_the_password():
    port = free_port()  # nothing listens there
    out = refused("ledger", "check", env={"EMITRA_DATABASE_URL": f"postgres://emitra:Pw-Hidden-9@127.0.0.1:{port}/district"})
    assert out.stderr.startswith(f"Error: cannot connect to PostgreSQL at 127.0.0.1:{port} as emitra (database 'district'): "
                                 f"ConnectionRefusedError") and len(out.stderr.splitlines()) == 1, out.stderr
    assert "Pw-Hidden-9" not in out.stderr
    if not PG_URL:
        return
    parts = urlsplit(PG_URL)
    missing = urlunsplit(parts._replace(path=parts.path + "_missing"))
    for command in (["audit", "verify"], ["demo"]):
        out = refused(*command, env={"EMITRA_DATABASE_URL": missing})
        name = parts.path.lstrip("/") + "_missing"
        assert out.stderr.startswith(f"Error: PostgreSQL database {name!r} does not exist on ") and "createdb " in out.stderr, out.stderr


def test_a_backup_to_a_folder_that_cannot_be_written_is_refused_with_the_fix(district, tmp_path):
    asyncio.run(db.migrate(district))
    (tmp_path / "a-file").write_text("not a folder")
    out = refused("db", "backup", str(tmp_path / "a-file" / "emitra.tar"))
    assert out.stderr.startswith(f"Error: cannot write the backup into {tmp_path / 'a-file'} (") and "folder this user can write to" in out.stderr
    assert len(out.stderr.splitlines()) == 1

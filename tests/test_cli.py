"""The emitra command line, run as a user runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EMITRA = str(Path(sys.executable).parent / "emitra")


def run(*args, env_extra=None, tmp_path=None):
    env = {**os.environ, **(env_extra or {})}
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run([EMITRA, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


def test_plugins_json_lists_every_service_with_fee_and_payer():
    out = run("plugins", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    bill = next(r for r in rows if r["code"] == "gov.rj.jvvnl.bill")
    assert {k: bill[k] for k in ("provider", "domain", "category", "fee_paise", "payer", "plugin")} == {
        "provider": "Jaipur Vidyut Vitran Nigam Ltd (JVVNL)", "domain": "government", "category": "bill",
        "fee_paise": 395, "payer": "department", "plugin": "electricity"}
    assert bill["title_hi"].startswith("बिजली बिल")
    for row in rows:
        assert set(row) >= {"code", "title_en", "title_hi", "provider", "domain", "category", "fee_paise", "payer", "plugin"}


def test_plugins_allow_list_by_environment():
    out = run("plugins", "--json", env_extra={"EMITRA_PLUGINS": "nothing-by-that-name"})
    assert json.loads(out.stdout) == []


def test_a_fresh_data_dir_migrates_and_loads_the_demo_twice_safely(tmp_path):
    env = {"EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": "", "EMITRA_SECRET_KEY": None}
    migrated = run("db", "migrate", env_extra=env, tmp_path=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "data" / "emitra.sqlite3").exists()
    first = run("demo", env_extra=env, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "data" / "secret.key").stat().st_mode & 0o077 == 0  # generated, readable by the owner only
    assert "operator1" in first.stdout and "emitra-demo" in first.stdout
    again = run("demo", env_extra=env, tmp_path=tmp_path)
    assert again.returncode == 0 and again.stdout == first.stdout


def test_an_lsp_admin_enables_and_disables_services_from_the_cli(tmp_path):
    env = {"EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}
    assert run("db", "migrate", env_extra=env, tmp_path=tmp_path).returncode == 0
    assert run("demo", env_extra=env, tmp_path=tmp_path).returncode == 0
    off = run("counter", "disable", "JP-JM-001", "gov.rj.jvvnl.bill", "--as", "lsp", env_extra=env, tmp_path=tmp_path)
    assert off.returncode == 0, off.stderr
    assert "gov.rj.jvvnl.bill" not in run("counter", "services", "JP-JM-001", env_extra=env, tmp_path=tmp_path).stdout
    assert "gov.rj.jvvnl.bill" in run("counter", "services", "JP-LM-001", env_extra=env, tmp_path=tmp_path).stdout
    on = run("counter", "enable", "jp-jm-001", "gov.rj.jvvnl.bill", "--as", "lsp", env_extra=env, tmp_path=tmp_path)
    assert on.returncode == 0 and "enabled gov.rj.jvvnl.bill at JP-JM-001" in on.stdout
    wrong = run("counter", "enable", "JP-JM-001", "gov.rj.jvvnl.bill", "--as", "operator1", env_extra=env, tmp_path=tmp_path)
    assert wrong.returncode != 0 and "is not an admin of the LSP" in wrong.stderr
    unknown = run("counter", "enable", "JP-JM-001", "no.such.service", "--as", "lsp", env_extra=env, tmp_path=tmp_path)
    assert unknown.returncode != 0 and "No loaded plugin offers" in unknown.stderr
    assert "JP-LM-001" in run("counter", "list", env_extra=env, tmp_path=tmp_path).stdout


def test_the_catalogue_page_in_the_docs_is_current():
    out = run("plugins", "--markdown")
    page = Path(__file__).resolve().parents[1] / "docs" / "services" / "catalogue.md"
    assert page.read_text() == out.stdout, "run `make catalogue` and commit docs/services/catalogue.md"


def test_the_society_sets_a_counters_split_from_the_cli(tmp_path):
    env = {"EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}
    assert run("db", "migrate", env_extra=env, tmp_path=tmp_path).returncode == 0
    assert run("demo", env_extra=env, tmp_path=tmp_path).returncode == 0
    ok = run("counter", "split", "JP-JM-001", "--lsp", "30%", "--owner", " 62.5 % ", "--society", "7.5", "--as", "society", env_extra=env, tmp_path=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "LSP 30%, kiosk owner 62.5%, Society 7.5%" in ok.stdout
    bad = run("counter", "split", "JP-JM-001", "--lsp", "30", "--owner", "60", "--as", "society", env_extra=env, tmp_path=tmp_path)
    assert bad.returncode != 0 and "must add up to 10000" in bad.stderr
    wrong = run("counter", "split", "JP-JM-001", "--lsp", "100", "--as", "lsp", env_extra=env, tmp_path=tmp_path)
    assert wrong.returncode != 0 and "Only the Society admin" in wrong.stderr


@pytest.mark.parametrize("args,option", [
    (["dayend", "close", "JP-LM-001", "--date", "9999-12-31", "--counted", "0", "--as", "operator1"], "--date"),
    (["dayend", "close", "JP-LM-001", "--date", "0001-01-01", "--counted", "0", "--as", "operator1"], "--date"),
    (["book", "digest", "--week", "9999-12-27"], "--week"),
    (["sla", "sweep", "--at", "9999-12-31T23:59:00"], "--at"),
    (["policy", "check", "gov.rj.jvvnl.bill", "--date", "9999-12-31"], "--date"),
    (["demo-week", "--start", "0001-01-01"], "--start"),
    (["settle", "--now", "9999-12-31T10:00:00+05:30", "--as", "society"], "--now"),
])
def test_a_date_outside_e_mitras_days_is_refused_naming_the_option(args, option):
    """Dates and times typed on the command line are held to the days the pages take (2000 to 2099):
    a usage error naming the option, not a traceback from the date arithmetic."""
    done = run(*args)
    assert done.returncode == 2, (args, done.returncode, done.stderr[-500:])
    assert option in done.stderr and "outside 2000-01-01 to 2099-12-31" in done.stderr and "Traceback" not in done.stderr

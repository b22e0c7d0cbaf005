"""``emitra mis ...`` run as an administrator or cron runs it: the real command in a subprocess, on the
test database (EMITRA_DATABASE_URL is set by conftest)."""

from __future__ import annotations

import json

import pytest

from emitra.core.models import AuditLog, DailyFigure, MisReport
from tests.test_cli import run as emitra
from tests.test_money_properties import BILL
from tests.test_vetting import _november

pytestmark = pytest.mark.anyio


async def test_check_passes_on_a_consistent_database_and_fails_after_a_direct_edit(demo_db, monkeypatch):
    await _november(monkeypatch)
    ok = emitra("mis", "check")
    assert ok.returncode == 0, ok.stderr
    assert "the daily figures equal a full recount" in ok.stdout
    assert json.loads(emitra("mis", "check", "--json", "--district", "jp").stdout) == {"ok": True, "differences": []}
    row = await DailyFigure.get(service_code=BILL)
    await DailyFigure.filter(id=row.id).update(principal_paise=row.principal_paise + 100)  # someone edits the table by hand
    bad = emitra("mis", "check")
    assert bad.returncode == 1
    # the day differs from its recount, and November's figures from the sum of its days
    assert "2 differences" in bad.stdout and "2026-11-16 JP-LM-001" in bad.stdout and BILL in bad.stdout
    assert "2026-11 JP-LM-001" in bad.stdout
    found = json.loads(emitra("mis", "check", "--json").stdout)
    assert found["ok"] is False and found["differences"][0]["stored"]["principal_paise"] == row.principal_paise + 100
    assert found["differences"][0]["recount"]["principal_paise"] == row.principal_paise
    unknown = emitra("mis", "check", "--district", "ZZ")
    assert unknown.returncode != 0 and "no district with code 'ZZ'" in unknown.stderr
    rebuilt = emitra("mis", "rebuild", "--district", "JP")
    assert rebuilt.returncode == 0 and "rebuilt the daily figures: 2 rows" in rebuilt.stdout
    assert emitra("mis", "check").returncode == 0
    assert (await DailyFigure.get(service_code=BILL)).principal_paise == row.principal_paise
    assert (await AuditLog.get(action="mis.rebuild")).detail == {"via": "cli", "rows": 2}


async def test_reports_lists_by_status(demo_db, monkeypatch):
    from emitra.core import vetting
    from emitra.core.audit import Actor
    from emitra.core.models import LSP, User
    from tests.test_vetting import NOV

    assert emitra("mis", "reports").stdout.strip() == "no MIS reports"
    await _november(monkeypatch)
    monkeypatch.setenv("EMITRA_TODAY", "2026-12-02")
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    report = await vetting.submit(Actor(await User.get(username="lsp"), via="test"), lsp, *NOV)
    rows = json.loads(emitra("mis", "reports", "--json").stdout)
    assert [(r["id"], r["status"], r["transactions"], r["intact"]) for r in rows] == [(report.id, "submitted", 2, True)]
    assert rows[0]["sha256"] == report.sha256 and rows[0]["district"] == "JP"
    assert json.loads(emitra("mis", "reports", "--status", "vetted", "--json").stdout) == []
    verify = emitra("mis", "verify")  # only vetted reports are checked
    assert verify.returncode == 0 and "0 vetted reports" in verify.stdout
    assert await MisReport.all().count() == 1

"""`emitra demo-week`: a person runs the golden week on a fresh demo database and every figure reconciles.

The demo counter JP-LM-001 keeps its configured split (the whole service charge to the LSP), so each
citizen-paid ₹10 in cash is kept at the counter and the UPI one is settled to the LSP in full. Every
figure below is worked out here from what the week does (see core/demo_week.py), not read back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EMITRA = str(Path(sys.executable).parent / "emitra")

# expected cash per day (paise): bills 1,483.50 / 620.00 / 99.95 / 12,345.67 (by cheque), applications ₹10,
# the bus ticket ₹296 + ₹10 less the refund of ₹266.40
EXPECTED = {"2026-11-16": 148_350 + 1_000, "2026-11-17": 62_000 + 9_995, "2026-11-18": 148_350,
            "2026-11-19": 9_995 + 29_600 + 1_000 - 26_640, "2026-11-20": 148_350 + 62_000 + 1_000,
            "2026-11-21": 9_995 + 1_000, "2026-11-22": 62_000}
RETAINED = {"2026-11-16": 1_000, "2026-11-19": 1_000, "2026-11-20": 1_000, "2026-11-21": 1_000}  # one citizen-paid ₹10 each
SHORT = {"2026-11-20": 1_000}  # Friday's drawer is ₹10 short
JVVNL = 3 * 148_350 + 3 * 62_000 + 3 * 9_995 + 1_234_567  # nine bills in cash and the cheque that cleared
RSRTC = 29_600 - 26_640


def run(*args, env):
    full = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    return subprocess.run([EMITRA, *args], capture_output=True, text=True, env=full, timeout=300)


def test_a_person_runs_the_demo_week_and_every_figure_reconciles(tmp_path):
    env = {"EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": "", "EMITRA_TODAY": None}
    early = run("demo-week", "--start", "2026-11-16", env=env)
    assert early.returncode == 1 and "emitra db migrate" in early.stderr and "Traceback" not in early.stderr
    assert run("db", "migrate", env=env).returncode == 0
    missing = run("demo-week", "--start", "2026-11-16", env=env)
    assert missing.returncode == 1 and "run `emitra demo` first" in missing.stderr
    assert run("demo", env=env).returncode == 0

    out = run("demo-week", "--start", "2026-11-16", "--json", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    week = json.loads(out.stdout)
    assert (week["ok"], week["balanced"], week["reconciled"], week["mismatches"]) == (True, True, True, [])
    assert week["ledger"]["balanced"] and week["ledger"]["imbalance_paise"] == 0 and week["ledger"]["problems"] == []

    deposits = {d: EXPECTED[d] - RETAINED.get(d, 0) - SHORT.get(d, 0) for d in EXPECTED}
    assert [(d["date"], d["expected_paise"], d["deposit_paise"], d["shortage_paise"], d["status"]) for d in week["days"]] == [
        (d, EXPECTED[d], deposits[d], SHORT.get(d, 0), "flagged" if d in SHORT else "confirmed") for d in EXPECTED]
    t = week["totals"]
    assert t["deposited_paise"] == sum(deposits.values()) == 662_995
    assert (t["remitted"], t["remitted_paise"]) == ({"JVVNL": JVVNL, "RSRTC": RSRTC}, 1_895_602 + 2_960)
    assert (t["jvvnl_bills"], t["claimed_paise"], t["claim_paid_paise"]) == (10, 10 * 395, 3_950)
    assert t["settled_to_lsp_paise"] == 1_000  # the UPI application's ₹10, all the LSP's
    # the Society's bank: deposits + cleared cheque + UPI + claim - settlement - remittances = the claim less Friday's ₹10
    assert t["bank_net_paise"] == 662_995 + 1_234_567 + 1_000 + 3_950 - 1_000 - JVVNL - RSRTC == 3_950 - 1_000
    moved = week["accounts_moved"]
    assert moved["cash_over_short:JP-LM-001"] == 1_000 and "counter_cash:JP-LM-001" not in moved
    assert moved["society_bank"] == 2_950

    # the bank statement a person can look at, and both weeks reconciled with nothing left over
    csv_file = Path(week["bank_statement"]["file"])
    assert csv_file == tmp_path / "data" / "bank-2026-11-16.csv" and csv_file.read_text().startswith("date,description,reference")
    assert week["bank_statement"]["lines"] == 7 + 6 == len(csv_file.read_text().splitlines()) - 1
    first, second = week["reconciliation"]
    assert (first["period_start"], first["period_end"], second["period_start"]) == ("2026-11-16", "2026-11-22", "2026-11-23")
    assert first["matched_kinds"] == sorted(["deposit"] * 6 + ["cheque", "upi", "settlement"])
    assert second["matched_kinds"] == sorted(["deposit", "remittance", "remittance", "fee_claim"])
    for r in (first, second):
        assert (r["ok"], r["rolls_forward"], r["differing"], r["unmatched_statement"], r["unmatched_ledger"], r["problems"]) == (
            True, True, 0, 0, 0, [])

    checked = run("ledger", "check", "--json", env=env)
    assert checked.returncode == 0 and json.loads(checked.stdout)["balanced"] is True

    again = run("demo-week", "--start", "2026-11-16", "--json", env=env)
    assert again.returncode == 1 and "already run" in again.stderr and again.stdout == ""
    assert json.loads(run("ledger", "check", "--json", env=env).stdout)["entries"] == week["ledger"]["entries"]
    not_monday = run("demo-week", "--start", "2026-11-18", env=env)
    assert not_monday.returncode == 1 and "starts on a Monday" in not_monday.stderr


def test_the_summary_for_a_person_names_each_day_and_the_verdict(tmp_path):
    env = {"EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": "", "EMITRA_TODAY": None}
    assert run("db", "migrate", env=env).returncode == 0 and run("demo", env=env).returncode == 0
    out = run("demo-week", "--start", "2026-11-16", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "OK" in text.splitlines()[0]
    assert "2026-11-20       ₹2,113.50     ₹2,093.50    ₹10.00  flagged" in text
    assert "remitted ₹18,985.62 (JVVNL ₹18,956.02, RSRTC ₹29.60)" in text
    assert "claimed ₹39.50 from JVVNL for 10 bills, paid ₹39.50" in text
    assert "unmatched 0 on the statement / 0 in the ledger; rolls forward" in text
    assert "ledger: balanced" in text

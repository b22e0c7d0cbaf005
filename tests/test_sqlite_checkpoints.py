"""SQLite: the server copies its write-ahead log into the database file in the background, every
second (core.db.background_checkpoints), instead of inside a commit that a payment waits for."""

import shutil
import sqlite3
import time

import pytest

from tests.conftest import DB_URL

pytestmark = pytest.mark.skipif(not DB_URL.startswith("sqlite://"), reason="SQLite's write-ahead log only")


def test_payments_reach_the_database_file_within_seconds_without_a_commit_waiting(web, tmp_path):
    h = web.api_token("operator1")
    eid = web.run(_ramesh)
    body = {"citizen": eid, "service_code": "gov.rj.jvvnl.bill", "form": {"k_number": "210412345678"},
            "payment": {"method": "cash", "amount_paise": 148350}, "idempotency_key": "checkpointed-1"}
    receipt = web.post("/api/v1/transactions", headers=h, json=body).json()["receipt_no"]
    path = DB_URL.removeprefix("sqlite://")
    # SQLite by itself would copy the log only once it passes 1,000 pages (never, for one payment):
    # the main file alone, without its -wal, holds the payment only if someone checkpointed it
    deadline, found = time.monotonic() + 5, 0
    while time.monotonic() < deadline and not found:
        time.sleep(0.5)
        shutil.copy(path, tmp_path / "main-file-only.sqlite3")
        with sqlite3.connect(tmp_path / "main-file-only.sqlite3") as copy:
            found = copy.execute("SELECT count(*) FROM service_request WHERE receipt_no = ?", (receipt,)).fetchone()[0]
    assert found == 1


async def _ramesh():
    from emitra.core.models import Citizen

    return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

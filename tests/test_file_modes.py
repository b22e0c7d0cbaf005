"""What emitra writes to disk (the SQLite database, its WAL, citizens' scans, a restored copy) is
not readable by other local accounts."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from emitra.core import db, documents


def _others(path: Path) -> int:
    """The permission bits ``path`` gives to accounts other than its owner and group."""
    return stat.S_IMODE(path.stat().st_mode) & 0o007


def test_a_new_sqlite_database_and_its_journal_are_private(tmp_path):
    url = f"sqlite://{tmp_path / 'district.sqlite3'}"
    asyncio.run(db.migrate(url))
    files = sorted(tmp_path.glob("district.sqlite3*"))
    assert files and [f.name for f in files if _others(f)] == []


def test_a_fresh_data_dir_is_private(tmp_path, monkeypatch):
    from emitra.core import config

    monkeypatch.setenv("EMITRA_DATA_DIR", str(tmp_path / "var"))
    assert _others(config.data_dir()) == 0


@pytest.mark.anyio
async def test_a_stored_scan_and_its_folder_are_private(demo_db):
    from tests.case_helpers import CASTE, upload

    path = documents._path(await upload(CASTE, "ration_card_scan"))
    assert path.read_bytes().startswith(b"%PDF") and _others(path) == 0 and _others(path.parent) == 0
    assert _others(path.parent.parent) == 0  # documents/ itself, made on the first scan

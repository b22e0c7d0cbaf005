"""Test set-up: a real database (SQLite file always; PostgreSQL when EMITRA_TEST_DATABASE_URL is set).

Each test starts from an empty schema with the Jaipur demo district loaded. Nothing is mocked.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="emitra-tests-"))
os.environ["EMITRA_DATA_DIR"] = str(_TMP)
os.environ["EMITRA_FAST_PASSWORD_HASH"] = "1"
os.environ["EMITRA_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ.pop("EMITRA_PLUGINS", None)

PG_URL = os.environ.get("EMITRA_TEST_DATABASE_URL", "").strip()
DB_URL = PG_URL or f"sqlite://{_TMP / 'test.sqlite3'}"
os.environ["EMITRA_DATABASE_URL"] = DB_URL

from tortoise import Tortoise, connections  # noqa: E402

from emitra.core import db  # noqa: E402

TABLES = ["citizen_code", "reconciliation_snapshot", "web_session", "login_throttle", "audit_head", "inspection", "mis_report", "monthly_figure", "daily_figure", "book_entry", "notification", "certificate", "case_event", "work_case", "dispatch", "balance_checkpoint", "statement_entry", "statement_line", "statement_import", "processed_event", "day_end", "wallet", "district_holiday", "drawer_total", "policy_approval", "policy_rule", "posting", "settlement_item", "ledger_entry", "payment", "document", "lsp_price", "service_request", "audit_log", "fee_override", "app_user",
          "counter_service", "citizen", "counter", "lsp", "society", "district"]


async def _drop_everything() -> None:
    if PG_URL:
        import asyncpg

        conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(DB_URL.removeprefix("sqlite://") + suffix).unlink(missing_ok=True)


async def truncate() -> None:
    missing = {m._meta.db_table for app in Tortoise.apps.values() for m in app.values()} - set(TABLES)
    assert not missing, f"add the new tables {sorted(missing)} to TABLES in tests/conftest.py (children before parents)"
    conn = connections.get("default")
    if PG_URL:
        await conn.execute_script("TRUNCATE " + ", ".join(f'"{t}"' for t in TABLES) + " RESTART IDENTITY CASCADE")
    else:
        for table in TABLES:
            await conn.execute_script(f'DELETE FROM "{table}"')
        await conn.execute_script("DELETE FROM sqlite_sequence")


def pytest_sessionstart(session: pytest.Session) -> None:
    asyncio.run(_drop_everything())
    asyncio.run(db.migrate(DB_URL))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def demo_db(anyio_backend):
    """An initialised ORM in this test's event loop, the tables emptied, the demo district loaded."""
    from emitra.core import demo

    await Tortoise.init(config=db.tortoise_config(DB_URL))
    await truncate()
    await demo.load()
    yield
    await Tortoise.close_connections()


def _reset_and_seed() -> None:
    async def run() -> None:
        from emitra.core import demo

        await Tortoise.init(config=db.tortoise_config(DB_URL))
        try:
            await truncate()
            await demo.load()
        finally:
            await Tortoise.close_connections()

    asyncio.run(run())


class Browserless:
    """A Starlette TestClient with helpers to log in and to run ORM queries in the app's loop."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def run(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        return self.client.portal.call(fn)

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {path} (status {page.status_code})"
        return match.group(1)

    def login(self, username: str, password: str = "emitra-demo") -> None:
        token = self.csrf("/login")
        response = self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        assert response.status_code == 303, response.text

    def logout(self) -> None:
        token = self.csrf("/no-such-page")  # every page, even a 404, carries the logout form
        assert self.client.post("/logout", data={"csrf_token": token}).status_code == 303

    def post_form(self, path: str, data: dict[str, str], token_from: str | None = None):
        token = self.csrf(token_from or path)
        return self.client.post(path, data={**data, "csrf_token": token})

    def api_token(self, username: str, password: str = "emitra-demo") -> dict[str, str]:
        response = self.client.post("/api/v1/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


@contextmanager
def serving(app: Any = None, **client_options: Any) -> Iterator[Browserless]:
    """The demo district loaded afresh and ``app`` (by default the application) served to a test
    client; ``raise_server_exceptions=False`` answers a server error with its 500 instead of
    raising it into the test."""
    from starlette.testclient import TestClient

    from emitra.web.app import create_app

    _reset_and_seed()
    with TestClient(app if app is not None else create_app(DB_URL), follow_redirects=False, **client_options) as client:
        yield Browserless(client)


@pytest.fixture
def web():
    with serving() as browser:
        yield browser


@pytest.fixture
def web_answering_errors():
    """Like ``web``, but a server error comes back as a 500 answer, so a test can list them all."""
    with serving(raise_server_exceptions=False) as browser:
        yield browser


@pytest.fixture
def fake(monkeypatch):
    """The local fake Stripe server (tests/fake_stripe.py), emitra pointed at it; nothing leaves the machine."""
    from fake_stripe import FakeStripe

    with FakeStripe() as server:
        for name, value in server.env(EMITRA_STRIPE_TIMEOUT="1", EMITRA_STRIPE_MAX_RETRIES="1").items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("EMITRA_STRIPE_LSP_ACCOUNTS", raising=False)
        yield server

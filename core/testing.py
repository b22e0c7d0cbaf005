"""pytest fixtures for plugin authors, loaded automatically once emitra is installed (entry point
``pytest11``). Each test gets a throw-away SQLite database with the Jaipur demo district.

- ``emitra_plugins``: the plugin host, with every installed plugin loaded (yours included);
- ``emitra_plugin``: ``emitra_plugin(module_or_object, name="...")`` registers a plugin for one test;
- ``emitra_db`` (async): a migrated database with the demo district, the ORM initialised;
- ``emitra_counter`` (async): operator1 at counter JP-LM-001 with the citizen Ramesh Kumar Sharma;
  ``await emitra_counter.quote(code, form)`` and ``await emitra_counter.pay(code, form)``;
- ``emitra_web``: a web client on a fresh database (``login``, ``post_form``, ``api_token``);
- ``emitra_operator``: ``emitra_web`` logged in as operator1.

Async tests need ``pytest.mark.anyio``.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEMO_OPERATOR = "operator1"


def _configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("EMITRA_DATA_DIR", str(tmp_path / "emitra-data"))
    monkeypatch.setenv("EMITRA_FAST_PASSWORD_HASH", "1")
    monkeypatch.setenv("EMITRA_SECRET_KEY", "emitra-plugin-tests-not-for-production")
    url = f"sqlite://{tmp_path / 'emitra-test.sqlite3'}"
    monkeypatch.setenv("EMITRA_DATABASE_URL", url)
    return url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def emitra_plugins():
    from emitra.core.plugins import get_host

    return get_host()


@pytest.fixture
def emitra_plugin():
    """Register a plugin (a module or an object with @hookimpl functions) for one test."""
    from emitra.core.plugins import PluginHost, get_host, set_host

    previous = get_host()
    extra: list[tuple[str, Any]] = []

    def register(plugin: Any, name: str = "test-plugin") -> PluginHost:
        extra.append((name, plugin))
        host = PluginHost(extra_plugins=list(extra))
        set_host(host)
        return host

    yield register
    set_host(previous)


@pytest.fixture
async def emitra_db(anyio_backend, tmp_path, monkeypatch):
    from tortoise import Tortoise

    from emitra.core import db, demo

    url = _configure(monkeypatch, tmp_path)
    await db.migrate(url)
    await Tortoise.init(config=db.tortoise_config(url))
    await demo.load()
    yield url
    await Tortoise.close_connections()


@dataclass
class Counter:
    """operator1 at JP-LM-001 serving Ramesh Kumar Sharma, through the same core as the pages."""

    actor: Any
    counter: Any
    citizen: Any

    async def _service(self, code: str):
        from emitra.core import counter as counter_core
        from emitra.core.models import CounterService

        if not await CounterService.exists(counter=self.counter, service_code=code, enabled=True):
            await counter_core.set_enabled(self.actor, self.counter, code, True)
        return await counter_core.service_at(self.counter, code)

    async def quote(self, code: str, form: dict[str, Any]):
        from emitra.core import counter as counter_core

        return await counter_core.price(self.counter, await self._service(code), form)

    async def pay(self, code: str, form: dict[str, Any], tendered_paise: int | None = None):
        from emitra.core import counter as counter_core

        await self._service(code)
        return await counter_core.record_cash(self.actor, self.counter, self.citizen, code, form, uuid.uuid4().hex,
                                              tendered_paise=tendered_paise)


@pytest.fixture
async def emitra_counter(emitra_db):
    from emitra.core.audit import Actor
    from emitra.core.models import Citizen, Counter as CounterModel, User

    user = await User.get(username=DEMO_OPERATOR)
    return Counter(Actor(user), await CounterModel.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma"))


class WebClient:
    """A Starlette TestClient with the steps a person takes: log in, post a form with its CSRF token."""

    def __init__(self, client: Any):
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def run(self, fn):
        """Run ``await fn()`` in the app's event loop (for ORM queries in a test)."""
        return self.client.portal.call(fn)

    def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = "emitra-demo") -> None:
        response = self.client.post("/login", data={"username": username, "password": password, "csrf_token": self.csrf("/login")})
        assert response.status_code == 303, f"login as {username} failed"

    def post_form(self, path: str, data: dict[str, Any], token_from: str | None = None):
        return self.client.post(path, data={**data, "csrf_token": self.csrf(token_from or path)})

    def api_token(self, username: str, password: str = "emitra-demo") -> dict[str, str]:
        response = self.client.post("/api/v1/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def emitra_web(tmp_path, monkeypatch):
    from starlette.testclient import TestClient
    from tortoise import Tortoise

    from emitra.core import db, demo
    from emitra.web.app import create_app

    url = _configure(monkeypatch, tmp_path)

    async def prepare() -> None:
        await db.migrate(url)
        await Tortoise.init(config=db.tortoise_config(url))
        try:
            await demo.load()
        finally:
            await Tortoise.close_connections()

    asyncio.run(prepare())
    with TestClient(create_app(url), follow_redirects=False) as client:
        yield WebClient(client)


@pytest.fixture
def emitra_operator(emitra_web):
    emitra_web.login(DEMO_OPERATOR)
    return emitra_web

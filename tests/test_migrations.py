"""The committed migrations describe the models exactly: a model change without a migration fails here."""

import pytest
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from emitra.core.db import tortoise_config

pytestmark = pytest.mark.anyio


async def test_models_and_migrations_agree():
    config = tortoise_config("sqlite://:memory:")
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    assert writers == [], "models changed without a migration: run `tortoise -c emitra.core.db.TORTOISE_ORM makemigrations`"

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


async def test_every_index_the_models_declare_is_in_the_migrated_database(demo_db):
    """tortoise-orm 1.x migrations left some declared indexes out (a field's db_index when the field
    came in a later migration, and on SQLite any index of a table a later migration rebuilt): the
    database must have every index the models ask for, by the name tortoise gives it."""
    import re

    from tortoise import connections
    from tortoise.utils import get_schema_sql

    conn = connections.get("default")
    wanted = set(re.findall(r'CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?"(\w+)"', get_schema_sql(conn, safe=False)))
    if conn.capabilities.dialect == "sqlite":
        rows = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = await conn.execute_query_dict("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()")
    have = {r["name"] for r in rows}
    assert wanted and not wanted - have, f"declared but not created: {sorted(wanted - have)}: add them in a migration (see 0019)"

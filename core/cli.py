"""The ``emitra`` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Awaitable, Callable

import click

from emitra.core import config, db


def run(fn: Callable[[], Awaitable[Any]], with_db: bool = True) -> Any:
    async def main() -> Any:
        if not with_db:
            return await fn()
        await db.init()
        try:
            return await fn()
        finally:
            await db.close()

    return asyncio.run(main())


@click.group()
def main() -> None:
    """emitra: multi-service, single-window citizen service counters.

    The database is a SQLite file in ./var unless EMITRA_DATABASE_URL names a PostgreSQL server.
    """


@main.group("db")
def db_group() -> None:
    """Database commands."""


@db_group.command("migrate")
def db_migrate() -> None:
    """Create the database, or bring it up to the latest schema."""
    asyncio.run(db.migrate())
    click.echo(f"database is up to date: {_safe_url(config.database_url())}")


def _safe_url(url: str) -> str:
    """The database URL without its password, for printing and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
    return url


@main.command()
def demo() -> None:
    """Load the Jaipur demo district (safe to run twice) and print the demo logins."""
    from emitra.core import demo as demo_data

    logins = run(demo_data.load)
    click.echo("Demo district Jaipur is loaded. Logins (username / password):")
    for username, full_name, role, _ in demo_data.USERS:
        click.echo(f"  {username:<10} / {logins[username]:<12}  {role.value:<19} {full_name}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Keep 1 on SQLite.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app (pages and the JSON API)."""
    import uvicorn

    click.echo(f"emitra is serving on http://{host}:{port}  (database: {_safe_url(config.database_url())})")
    uvicorn.run("emitra.web.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per service.")
def plugins(as_json: bool) -> None:
    """List plugins and their services, with fee and payer; and what was refused, and why."""
    from emitra.core import fees
    from emitra.core.plugins import get_host

    host = get_host()
    rows = []
    for service in sorted(host.registry, key=lambda s: s.code):
        rate = fees.default_rate(service)
        rows.append({
            "code": service.code, "title_en": service.title_en, "title_hi": service.title_hi,
            "provider": service.provider, "domain": service.domain.value, "category": service.category.value,
            "fee_paise": rate.fee_paise, "payer": rate.payer.value, "workflow": service.workflow.value,
            "plugin": service.plugin,
        })
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"plugins loaded: {', '.join(host.registry.plugins) or '(none)'}")
    for r in rows:
        click.echo(f"  {r['code']:<28} {r['fee_paise']:>6} paise paid by {r['payer']:<10} [{r['plugin']}] {r['title_en']}")
    for refusal in host.registry.refusals:
        click.echo(f"  REFUSED {refusal}", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

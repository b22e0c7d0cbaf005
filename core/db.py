"""Tortoise ORM configuration and the migration runner."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import datetime as _dt
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import tortoise.backends.sqlite.executor  # noqa: F401  (registers tortoise's own adapters first)
from tortoise import Tortoise


def _utc_text(value: _dt.datetime) -> str:
    """SQLite keeps datetimes as text and compares them as text: store and compare every aware
    datetime in UTC, so that times written in India (UTC+05:30) and in UTC order correctly."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc)
    return value.isoformat(" ")


sqlite3.register_adapter(_dt.datetime, _utc_text)

from emitra.core import config

MODELS = ["emitra.core.models"]
#: the largest id a table's primary key holds (an IntField: PostgreSQL's 32-bit integer); a larger
#: number typed as an id names no row, and is not sent to the database (asyncpg refuses it)
MAX_ID = 2**31 - 1


def tortoise_config(url: str | None = None) -> dict[str, Any]:
    url = url or config.database_url()
    return {
        "connections": {"default": _connection(url)},
        "apps": {
            "models": {
                "models": MODELS,
                "default_connection": "default",
                "migrations": "emitra.core.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


#: how a database URL is written: the only two kinds emitra runs on
URL_FORMS = "sqlite:///path/to/emitra.sqlite3 for a SQLite file, or postgres://user:password@host:5432/dbname (postgresql:// too)"


class DatabaseUrlError(config.SettingError):
    """A database URL that names no database emitra can open; the message says what to write."""


def safe_url(url: str) -> str:
    """The database URL without its password (``user:password@`` and a ``?password=`` parameter),
    for printing and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    creds, at, rest = rest.rpartition("@")  # up to the last '@': a password may hold '?', '#', '/' or '@' not percent-encoded
    if at:
        user = creds.split(":", 1)[0]
        creds = f"{user}:***@" if ":" in creds else f"{user}@"
    rest, qmark, query = rest.partition("?")
    query = re.sub(r"(^|&)([^=&]*password[^=&]*)=[^&]*", r"\1\2=***", query, flags=re.IGNORECASE)
    return f"{scheme}://{creds}{rest}{qmark}{query}"


def check_url(url: str) -> str:
    """``url`` if it names a database emitra can open, checked before anything connects: the kind
    (SQLite or PostgreSQL), a PostgreSQL port that is a number and a database name, and the folder of a
    SQLite file (SQLite creates the file, never its folder; tortoise's SQLite client would wait for
    ever after failing to open it). Otherwise :class:`DatabaseUrlError`, saying what to write."""
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if path in ("", ":memory:") or path.startswith("file:"):
            return url
        folder = Path(path).parent
        if not folder.is_dir():
            what = "is a file, not a folder" if folder.exists() else "does not exist"
            raise DatabaseUrlError(f"the folder {folder} of the SQLite database {what}: create it (mkdir -p {folder}) "
                                   f"or correct EMITRA_DATABASE_URL")
        return url
    scheme, sep, _ = url.partition("://")
    if not sep:
        if url.startswith(("/", ".")) or url.endswith((".sqlite3", ".db")):
            raise DatabaseUrlError(f"EMITRA_DATABASE_URL={url!r} is a path, not a database URL: for a SQLite file there write "
                                   f"sqlite://{url}; for PostgreSQL, postgres://user:password@host:5432/dbname")
        raise DatabaseUrlError(f"EMITRA_DATABASE_URL={safe_url(url)!r} is not a database URL: write {URL_FORMS}")
    if scheme not in ("postgres", "postgresql"):
        raise DatabaseUrlError(f"EMITRA_DATABASE_URL={safe_url(url)!r}: {scheme}:// databases are not supported: write {URL_FORMS}")
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        # the port as written after the last '@' (the credentials end there), never a part of the password
        host = re.split(r"[/?#]", url.partition("://")[2].rpartition("@")[2], maxsplit=1)[0]
        port = host.rpartition(":")[2] if ":" in host else ""
        if not port or port.isdigit():  # the port is fine: what urlsplit read as one is a part of the password
            raise DatabaseUrlError(f"EMITRA_DATABASE_URL={safe_url(url)!r}: the user name or password holds a character a URL "
                                   "reserves: percent-encode it (? as %3F, # as %23, / as %2F, @ as %40, : as %3A)") from None
        raise DatabaseUrlError(f"EMITRA_DATABASE_URL={safe_url(url)!r}: the port {port!r} is not a port number: "
                               f"write it as postgres://user:password@host:5432/dbname") from None
    if not parts.path.strip("/"):
        raise DatabaseUrlError(f"EMITRA_DATABASE_URL={safe_url(url)!r} names no database: write it as "
                               f"postgres://user:password@host:5432/DBNAME")
    return url


def _connection(url: str) -> Any:
    check_url(url)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        config.private_file(path)  # SQLite gives its -wal and -shm files the database file's mode
        # WAL and synchronous=NORMAL: measured 30-45% more throughput than the default FULL.
        return {
            "engine": "tortoise.backends.sqlite",
            "credentials": {"file_path": path, "journal_mode": "WAL", "journal_size_limit": 16384, "foreign_keys": "ON", "synchronous": "NORMAL"},
        }
    from tortoise.backends.base.config_generator import expand_db_url

    settings = expand_db_url(url.replace("postgresql://", "postgres://", 1))
    settings["credentials"]["reset"] = _keep_session
    return settings


async def _keep_session(connection: Any) -> None:
    """What the pool does to a connection given back, after asyncpg has rolled back any transaction
    left open (``Connection._reset``, run before this): nothing more. asyncpg's
    default sends ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` each time,
    a round trip per query outside a transaction and per transaction (five of a counter payment's
    twenty-six before decision 134); emitra leaves nothing of that kind on a session: no session advisory lock, no
    cursor outside a transaction, no LISTEN, and its planner settings are ``set_config(..., true)``,
    local to their transaction (decision 134)."""


def placeholders(conn: Any, sql: str) -> str:
    """A raw statement written with ``?`` placeholders, as ``conn``'s dialect wants them (PostgreSQL:
    $1, $2...): the prepared statements of the hot paths and the books' aggregates are written once
    for both databases."""
    if conn.capabilities.dialect != "postgres":
        return sql
    return _numbered(sql)


def on_postgres() -> bool:
    """Is the current connection (the transaction's, if one is open) PostgreSQL's?"""
    from tortoise import connections

    return connections.get("default").capabilities.dialect == "postgres"


def beside_possible() -> bool:
    """Can :func:`beside` give a connection of its own here? Not inside a transaction (its
    uncommitted rows would not be seen), nor on an in-memory SQLite database (another connection
    is another database)."""
    from tortoise import connections
    from tortoise.backends.base.client import TransactionalDBClient

    conn = connections.get("default")
    if isinstance(conn, TransactionalDBClient):
        return False
    return conn.capabilities.dialect == "postgres" or getattr(conn, "filename", ":memory:") not in ("", ":memory:")


@asynccontextmanager
async def beside(base: Any) -> AsyncIterator[None]:
    """In the current task, the default connection is one of its own, not the transaction's the
    task was started in, so that a long read (a week's balances) runs on the database beside the
    transaction's questions instead of between them. ``base``: the connection outside any
    transaction (:func:`beside_possible` said yes): PostgreSQL's pool (each question on a free
    connection of it), or for SQLite a second connection to the file, opened for this and closed
    after (its own thread: SQLite works beside the Python of the first). It sees what is
    committed: the caller bounds what it reads (entry ids up to a maximum read first)."""
    from tortoise import connections

    own = base
    if base.capabilities.dialect != "postgres":
        own = type(base)(file_path=base.filename, connection_name=f"{base.connection_name}-beside", **base.pragmas)
        await own.create_connection(with_db=True)
    token = connections.set("default", own)
    try:
        yield
    finally:
        connections.reset(token)
        if own is not base:
            await own.close()


@asynccontextmanager
async def own_transaction(base: Any) -> AsyncIterator[Any]:
    """A transaction on a connection of its own (:func:`beside`: a second connection to the SQLite
    file, or one of PostgreSQL's pool), handed to the caller to use explicitly (``raw_rows(conn2,
    ...)``, ``insert_rows(conn2, ...)``) while the caller's default connection stays what it was:
    the transaction is held by a task of its own, whose context alone sees it. For work that
    needs a connection's temporary tables beside another connection's (decision 144: the
    reconciliation's Stripe side beside its bank side). ``base``: as for :func:`beside`. Ends in
    a rollback when the body raised, a commit otherwise."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[Any] = loop.create_future()
    finished = asyncio.Event()
    failed = False

    class _Undo(Exception):
        pass

    async def hold() -> None:
        from tortoise.transactions import in_transaction

        async with beside(base):
            try:
                async with in_transaction() as conn:
                    ready.set_result(conn)
                    await finished.wait()
                    if failed:
                        raise _Undo  # rolled back: nothing the body did stays
            except _Undo:
                pass

    holder = asyncio.ensure_future(hold())
    await asyncio.wait([holder, ready], return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():  # it could not begin: its error
        await holder
        raise RuntimeError("own_transaction: the transaction ended before it began")
    try:
        yield ready.result()
    except BaseException:
        failed = True
        raise
    finally:
        finished.set()
        if failed:  # the body's error is the one to raise
            with contextlib.suppress(Exception):
                await holder
        else:
            await holder  # committed (a failure to commit is raised here)


def json_text(column: str, name: str) -> str:
    """SQL: the field ``name`` of the JSON object in ``column`` when it is a string, else NULL
    (a number, an absent field, not an object): SQLite's json_type/json_extract, PostgreSQL's
    jsonb_typeof/->>. ``column`` and ``name`` are this code's own, never a user's."""
    if on_postgres():
        return f"""CASE WHEN jsonb_typeof({column} -> '{name}') = 'string' THEN {column} ->> '{name}' END"""
    return f"""CASE WHEN json_type({column}, '$.{name}') = 'text' THEN json_extract({column}, '$.{name}') END"""


def json_array_length(column: str, name: str) -> str:
    """SQL: how many items the array ``name`` of the JSON object in ``column`` holds (NULL when the
    field is absent)."""
    if on_postgres():
        return f"""jsonb_array_length({column} -> '{name}')"""
    return f"""json_array_length({column}, '$.{name}')"""


def json_integer(column: str, name: str) -> str:
    """SQL: the field ``name`` of the JSON object in ``column`` as an integer (NULL when absent)."""
    if on_postgres():
        return f"""CAST({column} ->> '{name}' AS BIGINT)"""
    return f"""CAST(json_extract({column}, '$.{name}') AS INTEGER)"""


async def insert_rows(conn: Any, table: str, columns: list[str], rows: list[list[Any]] | list[tuple[Any, ...]]) -> None:
    """Insert many rows into ``table`` on ``conn`` (a transaction's connection): PostgreSQL's COPY
    (asyncpg's ``copy_records_to_table``: one stream, where ``executemany`` sends a bind and an
    execute per row, 3.4 s for a month's 330,000 statement lines), SQLite's ``executemany``. The
    values must be of the columns' types (a date for a DATE column, an int for an INTEGER one)."""
    if not rows:
        return
    if conn.capabilities.dialect == "postgres":
        from asyncpg.exceptions import IntegrityConstraintViolationError
        from tortoise.exceptions import IntegrityError

        async with conn.acquire_connection() as raw:
            try:
                await raw.copy_records_to_table(table, records=rows, columns=columns)
            except IntegrityConstraintViolationError as exc:  # as tortoise says it of its own statements (a unique row again)
                raise IntegrityError(exc) from exc
        return
    names = ", ".join(f'"{c}"' for c in columns)
    await conn.execute_many(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})', rows)


async def raw_rows(conn: Any, sql: str, params: list[Any] | None = None) -> list[Any]:
    """The rows of a raw query (``?`` placeholders) on ``conn`` as the driver gives them
    (``sqlite3.Row``, asyncpg's ``Record``: each read by column name, ``row["n"]``), not copied
    into a dict each as ``execute_query_dict`` does: for the reads of hundreds of thousands of
    rows (a week's reconciliation at 1M reads some four million), where the copies cost seconds."""
    async with conn.acquire_connection() as raw:
        if conn.capabilities.dialect == "postgres":
            return await raw.fetch(_numbered(sql), *(params or []))
        return list(await raw.execute_fetchall(sql, params or []))


@functools.lru_cache(maxsize=512)
def _numbered(sql: str) -> str:
    """``sql`` with its ``?`` placeholders as $1, $2... (the same texts come back on every page)."""
    parts = sql.split("?")
    return "".join(part + (f"${i + 1}" if i < len(parts) - 1 else "") for i, part in enumerate(parts))


# For the `tortoise` command line (makemigrations): tortoise -c emitra.core.db.TORTOISE_ORM
TORTOISE_ORM = tortoise_config("sqlite://:memory:")


async def migrate(url: str | None = None) -> None:
    """Bring the database at ``url`` up to the latest migration."""
    from tortoise.migrations.api import migrate as _migrate  # only here: serving never migrates

    await _migrate(config=tortoise_config(url))
    await Tortoise.close_connections()
    await _after_migrations(url)


async def _after_migrations(url: str | None) -> None:
    """Data the schema migrations leave to code, done once: an audit log written before the hash
    chain existed (0008) is chained in order; monthly figures (0010) are summed from the days."""
    from emitra.core import audit, mis
    from emitra.core.models import AuditHead, AuditLog, DailyFigure, MonthlyFigure

    await init(url)
    try:
        if not await AuditHead.exists() and await AuditLog.filter(hash="").exists():
            await audit.chain_existing()
        if not await MonthlyFigure.exists() and await DailyFigure.exists():
            await mis.rollup_months()
    finally:
        await Tortoise.close_connections()


async def init(url: str | None = None) -> None:
    await Tortoise.init(config=tortoise_config(url))


async def close() -> None:
    await Tortoise.close_connections()


# SQLite's own words for a database another process holds locked, or that cannot be opened or read.
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open database file", "disk i/o error")


def unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or the error that caused it) says the database cannot be reached just now:
    PostgreSQL refusing or dropping connections, restarting or shutting down, a network cut or
    timeout on the way to it, SQLite locked by another process for longer than its busy timeout
    or its file unreadable. Such a failure goes away by itself; a wrong query does not, and is not
    counted here."""
    import errno
    import socket

    from tortoise.exceptions import DBConnectionError

    try:
        import asyncpg
    except ImportError:  # pragma: no cover  (SQLite-only installs)
        asyncpg = None
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DBConnectionError):
            return True
        network = isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)) or (
            isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.ECONNREFUSED))
        if network and _raised_by_database_driver(exc):  # not a partner's system failing to answer
            return True
        if isinstance(exc, sqlite3.OperationalError) and str(exc).lower().startswith(_SQLITE_UNAVAILABLE):
            return True
        if asyncpg is not None:
            if isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
                                asyncpg.AdminShutdownError, asyncpg.CrashShutdownError)):
                return True
            if isinstance(exc, asyncpg.InterfaceError) and ("closed" in str(exc) or "closing" in str(exc)):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


_DRIVERS = ("/asyncpg/", "/tortoise/", "/aiosqlite/")


def _raised_by_database_driver(exc: BaseException) -> bool:
    """Whether the database driver (asyncpg, aiosqlite) or the ORM is on ``exc``'s traceback."""
    tb = exc.__traceback__
    while tb is not None:
        if any(part in tb.tb_frame.f_code.co_filename for part in _DRIVERS):
            return True
        tb = tb.tb_next
    return False


#: pages the server's own connection lets the WAL grow to before it checkpoints by itself: a safety
#: net only, the checkpoints are made by :func:`background_checkpoints` long before
SERVER_AUTOCHECKPOINT_PAGES = 20000


@asynccontextmanager
async def background_checkpoints(url: str, every_seconds: float = 1.0) -> AsyncIterator[None]:
    """SQLite: copy the write-ahead log into the database file from a thread of its own, every second.

    By default SQLite does it inside the commit that fills the log past 1,000 pages: that commit,
    and every request queued behind the server's one connection, waits for the copy and its fsync
    (tens of milliseconds, every few dozen payments: the tail of the counter's latency). A passive
    checkpoint on another connection lets the server's writes go on meanwhile. The server's own
    connection keeps a far higher automatic limit, in case this task cannot run. Nothing on
    PostgreSQL, which checkpoints in its own processes."""
    if not url.startswith("sqlite://") or url.endswith(":memory:"):
        yield
        return
    import asyncio
    import contextlib
    import logging
    from urllib.parse import quote

    from tortoise import connections

    path = url.removeprefix("sqlite://")
    await connections.get("default").execute_script(f"PRAGMA wal_autocheckpoint={SERVER_AUTOCHECKPOINT_PAGES}")

    def checkpoint() -> None:
        # mode=rw: never create the file (a database moved away or restored meanwhile is left alone)
        with contextlib.closing(sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=1.0)) as conn:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def run() -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await asyncio.to_thread(checkpoint)
            except sqlite3.Error as exc:  # busy or unreadable now: the next second tries again
                logging.getLogger(__name__).warning("background WAL checkpoint failed: %s", exc)

    task = asyncio.create_task(run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

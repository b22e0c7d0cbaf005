"""``emitra db backup | restore | status``: back up a district's database and documents, restore them, and
say which migrations a database has (docs/operations.md).

A backup is one tar file (mode 0600: it holds citizens' records) with

- ``manifest.json``: what it is (``format``, ``database`` sqlite or postgres, ``created_at``, the
  migrations applied, the number of documents, and for PostgreSQL the pg_dump version);
- ``database.sqlite3``: an online-consistent copy made through SQLite's backup API (the server may
  keep running), or ``database.pgdump``: ``pg_dump --format=custom`` (restore it by hand with
  ``pg_restore`` if you ever need to);
- ``documents/``: the scans uploaded with service forms (``<data dir>/documents``), which live on
  disk, not in the database. The database is copied first: a document is written before its row,
  so every document the copied database names is in the archive.
- ``stripe-fetched/``: the files fetched from Stripe for the Society's imports
  (``<data dir>/stripe-fetched/<district>/<import>.json``, decision 155), the record of what
  Stripe answered, kept on disk for the Society to download (decision 170). A backup taken before
  has none; one with them is refused by an emitra older than decision 170 (unexpected files).

A restore checks the backup before it touches anything (SQLite: ``PRAGMA integrity_check`` and the
migrations table; both: no migration this version of emitra does not know), refuses while another
process has the database open, asks for ``--yes`` before replacing a database that holds data, then
prints the migration state and runs the ledger check (exit 1 when the books do not balance).

The PostgreSQL password (from ``EMITRA_DATABASE_URL``) reaches pg_dump and pg_restore through the
``PGPASSWORD`` environment variable, never on a command line, and is never printed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import io
import json
import os
import pkgutil
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import click

from emitra.core import config
from emitra.core.text import count_en

FORMAT = "emitra-backup"
FORMAT_VERSION = 1
MIGRATIONS_TABLE = "tortoise_migrations"
APP = "models"
DOCUMENT_MEMBER = re.compile(r"documents/[0-9a-f]{2}/[0-9a-f]{32}")
FETCHED_MEMBER = re.compile(r"stripe-fetched/[0-9]{1,12}/[0-9]{1,12}\.json")


class OpsError(click.ClickException):
    """A backup or restore that cannot go on; the message names the cause and the fix."""


class DatabaseUnreachable(OpsError):
    """The database server did not answer (refused, timed out, unknown host): down, or the wrong host or port."""


# --- where the database is -------------------------------------------------------------------------

@dataclass(frozen=True)
class PgTarget:
    """The parts of a postgres:// URL that pg_dump and pg_restore take as options and environment."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    sslmode: str = ""

    def args(self) -> list[str]:
        return ["--host", self.host, "--port", str(self.port), "--username", self.user, "--no-password"]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        if self.password:
            env["PGPASSWORD"] = self.password
        if self.sslmode:
            env["PGSSLMODE"] = self.sslmode
        return env

    def dsn(self, dbname: str | None = None) -> str:
        """A URL for asyncpg (password included: never print it)."""
        from urllib.parse import quote

        creds = quote(self.user, safe="") + (":" + quote(self.password, safe="") if self.password else "")
        query = f"?sslmode={self.sslmode}" if self.sslmode else ""
        return f"postgresql://{creds}@{self.host}:{self.port}/{dbname or self.dbname}{query}"


def pg_target(url: str) -> PgTarget:
    parts = urlsplit(url)
    dbname = parts.path.lstrip("/")
    if not dbname:
        raise OpsError("EMITRA_DATABASE_URL names no database: write it as postgres://user:password@host:5432/DBNAME")
    query = parse_qs(parts.query)
    password = unquote(parts.password or "") or (query.get("password") or [""])[0]  # asyncpg also takes ?password=
    return PgTarget(host=parts.hostname or "localhost", port=parts.port or 5432, user=unquote(parts.username or "postgres"),
                    password=password, dbname=unquote(dbname), sslmode=(query.get("sslmode") or [""])[0])


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite://"))


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite://")


def documents_dir() -> Path:
    return config.data_dir() / "documents"


def _files_kept() -> list[tuple[Path, str]]:
    """The files of the data dir a backup holds besides the database: (path, member name), the
    documents, then the files fetched from Stripe (none other: a stray file there is not taken)."""
    data = config.data_dir()
    found = []
    for folder, member in ((documents_dir(), DOCUMENT_MEMBER), (data / "stripe-fetched", FETCHED_MEMBER)):
        if folder.exists():
            found += [(p, name) for p in sorted(folder.rglob("*")) if p.is_file()
                      for name in [p.relative_to(data).as_posix()] if member.fullmatch(name)]
    return found


# --- migrations ------------------------------------------------------------------------------------

def known_migrations() -> list[str]:
    """The migrations this version of emitra ships, in order."""
    from emitra.core import migrations

    return sorted(m.name for m in pkgutil.iter_modules(migrations.__path__) if re.match(r"\d{4}_", m.name))


def _sqlite_applied(path: Path) -> list[str] | None:
    """The migrations recorded in a SQLite file; None when it has no migrations table."""
    conn = sqlite3.connect(path)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)).fetchone():
            return None
        return sorted(r[0] for r in conn.execute(f'SELECT name FROM "{MIGRATIONS_TABLE}" WHERE app = ?', (APP,)))
    finally:
        conn.close()


async def _pg_applied(target: PgTarget) -> list[str] | None:
    conn = await _pg_connect(target)
    try:
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"public.{MIGRATIONS_TABLE}"):
            return None
        return sorted(r["name"] for r in await conn.fetch(f'SELECT name FROM "{MIGRATIONS_TABLE}" WHERE app = $1', APP))
    finally:
        await conn.close()


def applied_migrations(url: str) -> list[str] | None:
    """The migrations a database has had applied; None for an empty (never migrated) database."""
    if is_sqlite(url):
        path = sqlite_path(url)
        return _sqlite_applied(path) if path.exists() else None
    return asyncio.run(_pg_applied(pg_target(url)))


def migration_state(applied: list[str] | None) -> tuple[str, list[str], list[str]]:
    """A one-line summary, the migrations still to apply, and those this emitra does not know."""
    known = known_migrations()
    if applied is None:
        return "no emitra schema: run `emitra db migrate`", known, []
    pending = [m for m in known if m not in applied]
    unknown = [m for m in applied if m not in known]
    latest = applied[-1] if applied else "(none)"
    if unknown:
        line = (f"{len(applied)} migrations applied, up to {latest}; {', '.join(unknown)} unknown to this version of emitra "
                f"(the database was written by a newer emitra: install that version)")
    elif pending:
        line = f"{len(applied)} of {len(known)} migrations applied, up to {latest}; to apply: {', '.join(pending)} (run `emitra db migrate`)"
    else:
        line = f"up to date: {len(applied)} migrations applied, the latest {latest}"
    return line, pending, unknown


def database_not_ready(url: str) -> str | None:
    """Why this version of emitra cannot work on the database at ``url``, in `emitra db status`'s words
    (no schema, migrations to apply, migrations unknown here); None when its migrations are exactly
    this version's. An :class:`OpsError` when it cannot be reached or does not exist."""
    from emitra.core.db import safe_url

    line, pending, unknown = migration_state(applied_migrations(url))
    return f"{safe_url(url)}: {line}" if pending or unknown else None


async def applied_migrations_here() -> list[str] | None:
    """:func:`applied_migrations` through the ORM's open connection (the web app's start-up check)."""
    from tortoise import connections

    from emitra.core.db import placeholders

    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        found = await conn.execute_query_dict("SELECT to_regclass($1) IS NOT NULL AS found", [f"public.{MIGRATIONS_TABLE}"])
        exists = bool(found[0]["found"])
    else:
        exists = bool(await conn.execute_query_dict("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MIGRATIONS_TABLE]))
    if not exists:
        return None
    rows = await conn.execute_query_dict(placeholders(conn, f'SELECT name FROM "{MIGRATIONS_TABLE}" WHERE app = ?'), [APP])
    return sorted(r["name"] for r in rows)


def migrate_or_explain() -> None:
    """``emitra db migrate``: a migration that fails is rolled back whole (SQLite and PostgreSQL both
    change schemas in a transaction); say so, with where the database stands, instead of hanging on
    the connections the failure left open."""
    from tortoise import Tortoise

    from emitra.core import db

    async def go() -> None:
        try:
            await db.migrate()
        finally:
            await Tortoise.close_connections()

    try:
        asyncio.run(go())
    except Exception as exc:
        line, _, _ = migration_state(applied_migrations(config.database_url()))
        raise OpsError(f"a migration failed and was rolled back: {type(exc).__name__}: {exc}. The database stands at "
                       f"{line.split(' (run')[0]}; to serve meanwhile, reinstall the version of emitra that ran on it, "
                       f"and report the error.") from None


# --- PostgreSQL tools --------------------------------------------------------------------------------

async def _pg_connect(target: PgTarget, dbname: str | None = None):
    import asyncpg

    name = dbname or target.dbname
    try:
        return await asyncpg.connect(target.dsn(dbname))
    except asyncpg.InvalidCatalogNameError:
        raise OpsError(f"PostgreSQL database {name!r} does not exist on {target.host}:{target.port}: "
                       f"create it first (createdb -h {target.host} -p {target.port} -U {target.user} {name})") from None
    except (OSError, asyncio.TimeoutError) as exc:
        raise DatabaseUnreachable(f"cannot connect to PostgreSQL at {target.host}:{target.port} as {target.user} (database {name!r}): "
                                  f"{type(exc).__name__}: {_without(str(exc), target.password)}: is the server running, and are "
                                  f"the host and port in EMITRA_DATABASE_URL right?") from None
    except asyncpg.PostgresError as exc:
        raise OpsError(f"cannot connect to PostgreSQL at {target.host}:{target.port} as {target.user} (database {name!r}): "
                       f"{type(exc).__name__}: {_without(str(exc), target.password)}") from None


def _without(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def without_password(text: str, url: str) -> str:
    """``text`` with the password of the database at ``url`` (if any) replaced by ***."""
    return text if is_sqlite(url) else _without(text, pg_target(url).password)


def _pg_tool(name: str) -> tuple[str, int]:
    """The path of pg_dump or pg_restore and its major version; a clear error when it is missing."""
    path = shutil.which(name)
    if path is None:
        raise OpsError(f"{name} is not installed (or not on PATH): install the PostgreSQL client tools of the server's "
                       f"major version, e.g. `apt-get install postgresql-client-15`")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if match is None:
        raise OpsError(f"cannot read the version of {path} ({out.strip()!r})")
    return path, int(match.group(1))


async def _pg_server_major(target: PgTarget) -> int:
    conn = await _pg_connect(target)
    try:
        return int(await conn.fetchval("SHOW server_version_num")) // 10000
    finally:
        await conn.close()


def _run_tool(argv: list[str], target: PgTarget, what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, env=target.env())
    if done.returncode != 0:
        message = _without(done.stderr.strip(), target.password)
        hint = ""
        if "version mismatch" in message:
            hint = " Install the PostgreSQL client tools of the server's major version (e.g. postgresql-client-15) and put them first on PATH."
        elif "unsupported version" in message and "file header" in message:
            hint = " The backup was written by a newer pg_dump: restore it with pg_restore of that version or newer."
        raise OpsError(f"{what} failed (exit {done.returncode}): {message}{hint}")


# --- SQLite in use? ----------------------------------------------------------------------------------

def sqlite_user_pid(path: Path) -> int | None:
    """The id of a process that has the SQLite file open, if one is visible.

    In WAL mode (how emitra opens SQLite) every connection holds a shared lock on the "DMS" byte
    (offset 128) of the ``-shm`` file for as long as it is open; ``F_GETLK`` names a holder. Locks of
    this very process are not reported (POSIX), which is what a separate ``emitra`` command wants.
    """
    shm = Path(f"{path}-shm")
    if not shm.exists():
        return None
    try:
        fd = os.open(shm, os.O_RDWR)
    except OSError:
        return None
    try:
        probe = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 128, 1, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, probe))
        return pid if kind != fcntl.F_UNLCK else None
    except OSError:  # a file system without POSIX locks: nothing can be said
        return None
    finally:
        os.close(fd)


# --- backup ------------------------------------------------------------------------------------------

def _sqlite_copy(source: Path, copy: Path) -> list[str]:
    """An online-consistent copy through SQLite's backup API; checked; returns its migrations."""
    if not source.exists():
        raise OpsError(f"there is no database at {source}: check EMITRA_DATABASE_URL / EMITRA_DATA_DIR")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
    finally:
        src.close()
        dst.close()
    _check_sqlite_file(copy, str(source))
    applied = _sqlite_applied(copy)
    if applied is None:
        raise OpsError(f"{source} has no emitra schema (no {MIGRATIONS_TABLE} table): nothing to back up")
    return applied


def _check_sqlite_file(path: Path, label: str) -> None:
    try:
        conn = sqlite3.connect(path)
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise OpsError(f"{label} is not a readable SQLite database ({exc})") from None
    if result != ["ok"]:
        raise OpsError(f"{label} fails SQLite's integrity check: {'; '.join(result[:5])}")


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Members extracted by hand are readable by their owner only, like the archive."""
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def backup(path: Path, force: bool = False) -> dict:
    """Write the backup of the configured database and documents to ``path``; return its manifest."""
    url = config.database_url()
    if path.exists() and not force:
        raise OpsError(f"{path} already exists: give a new file name (e.g. with the date), or --force to replace it")
    if path.is_dir():
        raise OpsError(f"{path} is a directory: give the backup's file name, e.g. {path / 'emitra-backup.tar'}")
    manifest: dict = {"format": FORMAT, "version": FORMAT_VERSION,
                      "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        workspace = tempfile.TemporaryDirectory(prefix="emitra-backup-", dir=path.parent)
    except OSError as exc:
        raise OpsError(f"cannot write the backup into {path.parent} ({exc.strerror or exc}): give a path in a folder "
                       f"this user can write to, e.g. /var/backups/emitra/emitra-backup.tar") from None
    with workspace as work:
        if is_sqlite(url):
            member, dump = "database.sqlite3", Path(work) / "database.sqlite3"
            manifest["database"] = "sqlite"
            manifest["migrations"] = _sqlite_copy(sqlite_path(url), dump)
        else:
            target = pg_target(url)
            tool, client = _pg_tool("pg_dump")
            server = asyncio.run(_pg_server_major(target))
            if client < server:
                raise OpsError(f"pg_dump is version {client} but the server is PostgreSQL {server}: install "
                               f"postgresql-client-{server} and put its pg_dump first on PATH")
            applied = asyncio.run(_pg_applied(target))
            if applied is None:
                raise OpsError(f"database {target.dbname!r} has no emitra schema (no {MIGRATIONS_TABLE} table): nothing to back up")
            member, dump = "database.pgdump", Path(work) / "database.pgdump"
            _run_tool([tool, "--format=custom", "--file", str(dump), *target.args(), "--dbname", target.dbname], target, "pg_dump")
            manifest.update(database="postgres", pg_dump_major=client, migrations=applied)
        kept = _files_kept()
        manifest["documents"] = sum(1 for _, name in kept if DOCUMENT_MEMBER.fullmatch(name))
        manifest["stripe_fetched"] = len(kept) - manifest["documents"]
        partial = path.with_name(path.name + ".partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size, info.mtime, info.mode = len(data), int(dt.datetime.now().timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
                tar.add(dump, arcname=member, filter=_private)
                for file, name in kept:
                    tar.add(file, arcname=name, filter=_private)
        except OSError as exc:  # the disk filled up, a scan unreadable: no half-written backup is left
            partial.unlink(missing_ok=True)
            raise OpsError(f"writing the backup {path} failed ({exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}): "
                           f"nothing was kept; free space in {path.parent} or give another folder") from None
        os.replace(partial, path)
    return manifest


# --- restore -----------------------------------------------------------------------------------------

def read_manifest(tar: tarfile.TarFile, path: Path) -> dict:
    try:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    except (KeyError, ValueError, TypeError):
        raise OpsError(f"{path} is not an emitra backup (no readable manifest.json); make one with `emitra db backup`") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise OpsError(f"{path} is a backup of format {manifest.get('format')!r} version {manifest.get('version')!r}; "
                       f"this emitra reads {FORMAT!r} version {FORMAT_VERSION}")
    names = tar.getnames()
    expected = {"sqlite": "database.sqlite3", "postgres": "database.pgdump"}.get(manifest.get("database"))
    if expected is None or expected not in names:
        raise OpsError(f"{path} holds no database copy ({expected or 'unknown database kind'} missing)")
    strays = [n for n in names if n not in ("manifest.json", expected) and not DOCUMENT_MEMBER.fullmatch(n) and not FETCHED_MEMBER.fullmatch(n)]
    if strays:
        raise OpsError(f"{path} holds unexpected files ({', '.join(strays[:3])}): refused; it was not written by `emitra db backup`")
    for member in tar.getmembers():
        if member.name != "manifest.json" and not member.isfile():
            raise OpsError(f"{path}: {member.name} is not a regular file: refused")
    return manifest


def _refuse_unknown_migrations(manifest: dict, path: Path) -> None:
    _, _, unknown = migration_state(manifest.get("migrations") or [])
    if unknown:
        raise OpsError(f"{path} was taken by a newer emitra (its migrations {', '.join(unknown)} are unknown here): "
                       f"restore it with that version of emitra")


def _sqlite_restore(tar: tarfile.TarFile, backup_path: Path, url: str, yes: bool) -> str | None:
    """Swap the checked copy in; the database it replaces is kept beside it. Returns where."""
    target = sqlite_path(url)
    pid = sqlite_user_pid(target)
    if pid is not None:
        raise OpsError(f"{target} is open in process {pid} (emitra serve, a cron job?): stop it, then restore")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    staged.unlink(missing_ok=True)
    config.private_file(staged)  # the restored database is no more readable than the one it replaces
    with tar.extractfile("database.sqlite3") as src, open(staged, "wb") as dst:  # type: ignore[union-attr]
        shutil.copyfileobj(src, dst)
    try:
        _check_sqlite_file(staged, f"the database in {backup_path}")
        if _sqlite_applied(staged) is None:
            raise OpsError(f"the database in {backup_path} has no {MIGRATIONS_TABLE} table: it is not an emitra database")
        kept = None
        if target.exists():
            if _has_data_sqlite(target) and not yes:
                raise OpsError(f"{target} holds data that the restore replaces: run again with --yes "
                               f"(the current database is kept beside it)")
            stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
            kept_path = target.with_name(f"{target.name}.before-restore-{stamp}")
            for suffix in ("", "-wal", "-shm"):  # a crashed server's -wal belongs to the old file: it moves with it
                if Path(f"{target}{suffix}").exists():
                    os.replace(f"{target}{suffix}", f"{kept_path}{suffix}")
            kept = str(kept_path)
        os.replace(staged, target)
        return kept
    finally:
        staged.unlink(missing_ok=True)


def _has_data_sqlite(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    except sqlite3.DatabaseError:
        return True
    finally:
        conn.close()


async def _pg_prepare(target: PgTarget, yes: bool) -> None:
    conn = await _pg_connect(target)
    try:
        others = await conn.fetch("SELECT pid, application_name, client_addr FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        if others:
            who = ", ".join(f"pid {r['pid']}" + (f" ({r['application_name']})" if r["application_name"] else "") for r in others[:5])
            raise OpsError(f"{count_en(len(others), 'other session')} {'is' if len(others) == 1 else 'are'} connected to {target.dbname!r} ({who}): stop `emitra serve` "
                           f"and cron jobs first, then restore")
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        if tables and not yes:
            raise OpsError(f"database {target.dbname!r} holds {tables} tables that the restore replaces: run again with --yes")
    finally:
        await conn.close()


async def _pg_tables_not_in(target: PgTarget, dumped: set[str]) -> list[str]:
    """The tables of the database the backup does not have (made by a later migration)."""
    conn = await _pg_connect(target)
    try:
        return [r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
                if r["tablename"] not in dumped]
    finally:
        await conn.close()


def _pg_restore(tar: tarfile.TarFile, url: str, yes: bool) -> list[str]:
    """Replace the database with the dump, in ONE transaction: the tables a later migration made
    (the backup does not have them) dropped first, then pg_restore's --clean script. Those tables
    must go first: one referencing a table of the backup (a foreign key to lsp, say) keeps --clean
    from dropping that table's key, which is how rolling back an upgrade failed. The script is
    streamed from pg_restore into psql inside BEGIN ... COMMIT; anything that fails (either tool,
    any statement) leaves the database as it was."""
    target = pg_target(url)
    tool, _ = _pg_tool("pg_restore")
    loader_tool, _ = _pg_tool("psql")
    asyncio.run(_pg_prepare(target, yes))
    with tempfile.TemporaryDirectory(prefix="emitra-restore-") as work:
        dump = Path(work) / "database.pgdump"
        with tar.extractfile("database.pgdump") as src, open(dump, "wb") as dst:  # type: ignore[union-attr]
            shutil.copyfileobj(src, dst)
        listing = subprocess.run([tool, "--list", str(dump)], capture_output=True, text=True)
        if listing.returncode != 0:
            raise OpsError(f"pg_restore cannot read the dump: {listing.stderr.strip()}"
                           + (" The backup was written by a newer pg_dump: use pg_restore of that version or newer."
                              if "unsupported version" in listing.stderr else ""))
        dumped = set(re.findall(r"^\d+; \d+ \d+ TABLE public (\S+) ", listing.stdout, flags=re.M))
        extra = asyncio.run(_pg_tables_not_in(target, dumped))
        with open(Path(work) / "psql.err", "w+b") as loader_err, open(Path(work) / "pg_restore.err", "w+b") as writer_err:
            loader = subprocess.Popen([loader_tool, "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", *target.args(),
                                       "--dbname", target.dbname], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                      stderr=loader_err, env=target.env())
            writer = subprocess.Popen([tool, "--clean", "--if-exists", "--no-owner", "--file", "-", str(dump)],
                                      stdout=subprocess.PIPE, stderr=writer_err, env=target.env())
            assert loader.stdin is not None and writer.stdout is not None
            try:
                loader.stdin.write(b"BEGIN;\n" + "".join(f'DROP TABLE IF EXISTS public."{t}" CASCADE;\n' for t in extra).encode())
                shutil.copyfileobj(writer.stdout, loader.stdin)
                wrote = writer.wait()
                # only a whole script is committed; a cut one (mid-COPY, say) fails as data and is rolled back
                loader.stdin.write(b"\nCOMMIT;\n" if wrote == 0 else b"\n\\.\nROLLBACK;\n")
                loader.stdin.close()
            except BrokenPipeError:  # psql stopped at an error: its message says which
                writer.kill()
                wrote = writer.wait()
            loaded = loader.wait()
            for done, what, err in ((wrote, "pg_restore", writer_err), (loaded, "pg_restore (loading with psql)", loader_err)):
                if done != 0:
                    err.seek(0)
                    message = _without(err.read().decode(errors="replace").strip(), target.password)
                    raise OpsError(f"{what} failed (exit {done}): {message} Nothing was changed.")
    return extra


def _restore_files(tar: tarfile.TarFile) -> tuple[int, int]:
    """Write the backup's documents and files fetched from Stripe into the data dir, each readable
    by this account only; (documents, files fetched from Stripe)."""
    data = config.data_dir()
    counts = [0, 0]
    for member in tar.getmembers():
        kind = 0 if DOCUMENT_MEMBER.fullmatch(member.name) else 1 if FETCHED_MEMBER.fullmatch(member.name) else None
        if kind is None:
            continue
        dest = data / member.name  # (the patterns allow no "..", no absolute path)
        config.private_dir(dest.parent)
        config.private_file(dest)  # a citizen's scan, the Society's Stripe record: not readable by other local accounts
        with tar.extractfile(member) as src, open(dest, "wb") as dst:  # type: ignore[union-attr]
            shutil.copyfileobj(src, dst)
        counts[kind] += 1
    return counts[0], counts[1]


def _and_fetched(n: int) -> str:
    return f" and {count_en(n, 'file')} fetched from Stripe" if n else ""


# --- the commands ------------------------------------------------------------------------------------

@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def db_backup(path: Path, force: bool) -> None:
    """Back up the database, the uploaded documents and the files fetched from Stripe to PATH (one tar file, mode 0600).

    Safe while `emitra serve` runs. SQLite: a consistent copy through SQLite's backup API;
    PostgreSQL: pg_dump --format=custom (needs pg_dump of the server's major version).
    """
    from emitra.core.cli import _safe_url

    manifest = backup(path, force)
    size = path.stat().st_size
    click.echo(f"backed up {_safe_url(config.database_url())} ({manifest['database']}, {len(manifest['migrations'])} migrations, "
               f"the latest {manifest['migrations'][-1]}) and {manifest['documents']} documents{_and_fetched(manifest['stripe_fetched'])} "
               f"to {path} ({size:,} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that holds data.")
def db_restore(path: Path, yes: bool) -> None:
    """Restore the database, documents and files fetched from Stripe from a backup made by `emitra db backup`.

    Stop `emitra serve` and cron jobs first. The backup is checked before anything is replaced;
    afterwards the migration state is printed and the ledger checked (exit 1 if it does not balance).
    """
    from emitra.core import cache, ledger
    from emitra.core.cli import _safe_url, echo_ledger_check, run

    url = config.database_url()
    try:
        tar = tarfile.open(path, mode="r:*")  # also a backup compressed afterwards (gzip, xz)
    except tarfile.TarError as exc:
        raise OpsError(f"{path} is not an emitra backup ({exc}); make one with `emitra db backup`") from None
    with tar:
        manifest = read_manifest(tar, path)
        kind = "sqlite" if is_sqlite(url) else "postgres"
        if manifest["database"] != kind:
            raise OpsError(f"{path} is a {manifest['database']} backup but EMITRA_DATABASE_URL names a {kind} database: "
                           f"restore it into a {manifest['database']} database")
        _refuse_unknown_migrations(manifest, path)
        if kind == "sqlite":
            kept = _sqlite_restore(tar, path, url, yes)
            if kept:
                click.echo(f"the database it replaced is kept as {kept} (delete it once you are satisfied)")
        else:
            dropped = _pg_restore(tar, url, yes)
            if dropped:
                click.echo(f"dropped tables made after the backup was taken: {', '.join(dropped)}")
        documents, fetched = _restore_files(tar)
    click.echo(f"restored {_safe_url(url)} from {path} (taken {manifest['created_at']}) and {documents} documents{_and_fetched(fetched)}")
    line, _, _ = migration_state(applied_migrations(url))
    click.echo(f"migrations: {line}")
    run(cache.new_instance)  # a server that cached the replaced database's rows must not take the copy for it
    result = run(ledger.check)
    echo_ledger_check(result, prefix="ledger: ")
    if not result["balanced"]:
        sys.exit(1)


@click.command("status")
def db_status() -> None:
    """Which migrations the database has, and which this version of emitra would apply (exit 1 if any)."""
    from emitra.core.cli import _safe_url

    url = config.database_url()
    line, pending, unknown = migration_state(applied_migrations(url))
    click.echo(f"{_safe_url(url)}: {line}")
    if pending or unknown:
        sys.exit(1)


db_commands: list[click.Command] = [db_backup, db_restore, db_status]

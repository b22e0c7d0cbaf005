"""Settings, read from the environment once per call (so tests and the CLI can change them)."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

DEFAULT_DATA_DIR = Path("var")


#: the data dir and its folders, and the files in them (the SQLite database, the scans): readable by
#: the owner and its group (a backup user), by no other local account (citizens' details and scans)
PRIVATE_DIR_MODE, PRIVATE_FILE_MODE = 0o750, 0o640


def data_dir() -> Path:
    path = Path(os.environ.get("EMITRA_DATA_DIR", DEFAULT_DATA_DIR))
    private_dir(path)
    return path


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing; a folder created here is not readable by other accounts."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        path.chmod(PRIVATE_DIR_MODE)  # mkdir's mode is reduced by the umask; chmod is not
    return path


def private_file(path: str | Path) -> None:
    """Create an empty ``path`` that other accounts cannot read, unless it exists (``:memory:`` is left alone)."""
    if str(path) in ("", ":memory:") or str(path).startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    except FileNotFoundError:  # its folder does not exist yet: SQLite will say so
        return
    os.close(fd)
    os.chmod(path, PRIVATE_FILE_MODE)


def database_url() -> str:
    """``EMITRA_DATABASE_URL`` (postgres://user@host:port/db), else a SQLite file in the data dir."""
    url = os.environ.get("EMITRA_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite://{data_dir() / 'emitra.sqlite3'}"


def secret_key() -> str:
    """Signs session cookies and keys the Aadhaar hashes.

    ``EMITRA_SECRET_KEY`` in production. Without it, a random key is generated once and kept in
    the data dir (mode 0600), so sessions and hashes survive a restart of the demo. The file
    appears whole or not at all (written aside, then linked into place), so worker processes
    starting together all read the one key that won.
    """
    key = os.environ.get("EMITRA_SECRET_KEY", "").strip()
    if key:
        return key
    path = data_dir() / "secret.key"
    if not path.exists():
        fd, staged = tempfile.mkstemp(prefix=".secret.key.", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
            os.link(staged, path)  # fails if another process linked its key first: that one is read below
        except FileExistsError:
            pass
        finally:
            os.unlink(staged)
    return path.read_text().strip()


def timezone() -> str:
    return os.environ.get("EMITRA_TIMEZONE", "Asia/Kolkata")


def secure_cookies() -> bool:
    """Send the session cookie over HTTPS only: with EMITRA_SECURE_COOKIES=1, or when EMITRA_PUBLIC_URL
    is an https:// address (production behind TLS). EMITRA_SECURE_COOKIES=0 turns it off explicitly."""
    flag = os.environ.get("EMITRA_SECURE_COOKIES", "").strip()
    if flag in ("0", "1"):
        return flag == "1"
    return os.environ.get("EMITRA_PUBLIC_URL", "").strip().lower().startswith("https://")


def _int_env(name: str, default: int) -> int:
    """A positive whole number from the environment, or ``default``; a bad value names the variable."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}.") from None
    if value < 1:
        raise ValueError(f"{name} must be 1 or more, not {value}.")
    return value


def login_limits() -> dict[str, int]:
    """Brute-force protection of log-in (docs/security.md): failures allowed per username from one
    address, per username from all addresses, per client address, within a window of minutes; the
    first lock's length in minutes (it doubles at each further failure) and its cap."""
    return {
        "per_user_address": _int_env("EMITRA_LOGIN_MAX_FAILURES", 5),
        "per_user": _int_env("EMITRA_LOGIN_MAX_FAILURES_USER", 20),
        "per_address": _int_env("EMITRA_LOGIN_MAX_FAILURES_IP", 50),
        "window_minutes": _int_env("EMITRA_LOGIN_WINDOW_MINUTES", 15),
        "lock_minutes": _int_env("EMITRA_LOGIN_LOCK_MINUTES", 15),
        "max_lock_minutes": _int_env("EMITRA_LOGIN_MAX_LOCK_MINUTES", 240),
    }


def session_idle_minutes() -> int:
    """A browser session unused this long ends (``EMITRA_SESSION_IDLE_MINUTES``, default 8 hours)."""
    return _int_env("EMITRA_SESSION_IDLE_MINUTES", 8 * 60)


def session_max_hours() -> int:
    """A browser session ends this long after log-in, used or not (``EMITRA_SESSION_MAX_HOURS``, default 12)."""
    return _int_env("EMITRA_SESSION_MAX_HOURS", 12)


def max_request_bytes() -> int:
    """The largest posted page form, files included (``EMITRA_MAX_REQUEST_MB``, default 12 MB)."""
    return _int_env("EMITRA_MAX_REQUEST_MB", 12) * 1024 * 1024

"""Settings, read from the environment once per call (so tests and the CLI can change them)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULT_DATA_DIR = Path("var")


def data_dir() -> Path:
    path = Path(os.environ.get("EMITRA_DATA_DIR", DEFAULT_DATA_DIR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """``EMITRA_DATABASE_URL`` (postgres://user@host:port/db), else a SQLite file in the data dir."""
    url = os.environ.get("EMITRA_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite://{data_dir() / 'emitra.sqlite3'}"


def secret_key() -> str:
    """Signs session cookies and keys the Aadhaar hashes.

    ``EMITRA_SECRET_KEY`` in production. Without it, a random key is generated once and kept in
    the data dir (mode 0600), so sessions and hashes survive a restart of the demo.
    """
    key = os.environ.get("EMITRA_SECRET_KEY", "").strip()
    if key:
        return key
    path = data_dir() / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def timezone() -> str:
    return os.environ.get("EMITRA_TIMEZONE", "Asia/Kolkata")


def secure_cookies() -> bool:
    """Send the session cookie over HTTPS only. Set EMITRA_SECURE_COOKIES=1 behind TLS (production)."""
    return os.environ.get("EMITRA_SECURE_COOKIES", "") == "1"

"""What every benchmark suite shares: the figure it reports, its command line, and its database.

Each suite is a script (``bench/<suite>.py``) that ``bench/run.py`` starts in a process of its own
(so start-up and peak memory are measured cleanly), with ``--json PATH`` to write its figures to.
A suite can be run alone the same way::

    .venv/bin/python bench/money_scale.py --quick --json /tmp/money.json

A figure is one number beside its target. Targets are either ratios against a baseline measured
in the same run (``baseline`` is set) or absolute limits named by the issue that set them (a
month's MIS report under 0.2 s); ``ok`` says whether the target was met, ``None`` for figures
given for information.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


@dataclass
class Figure:
    suite: str  # "http", "money", "mis", "startup", "counter"
    name: str  # what was measured, for a person: "counter transaction over HTTP, SQLite: throughput"
    value: float  # the measured figure, in ``unit``
    unit: str  # "ratio", "s", "ms", "req/s", "MiB", ...
    target: str  # the target as a person reads it: ">= 0.6", "< 0.2 s"
    ok: bool | None  # met, missed, or None for information only
    baseline: float | None = None  # the baseline's own figure, when ``value`` is a ratio
    detail: dict[str, Any] = field(default_factory=dict)  # anything else worth keeping (n, p50, ...)

    def as_row(self) -> list[str]:
        verdict = "info" if self.ok is None else ("ok" if self.ok else "MISSED")
        return [self.name, f"{self.value:.3g} {self.unit}".strip(), self.target, verdict]


def at_least(value: float, limit: float) -> bool:
    return value >= limit


def at_most(value: float, limit: float) -> bool:
    return value <= limit


def parser(description: str) -> argparse.ArgumentParser:
    """The options every suite takes."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke test of the suite itself")
    p.add_argument("--database-url", default="",
                   help="sqlite:///path or postgres://user@host:port/db (WIPED first); default: a temporary SQLite file")
    p.add_argument("--json", metavar="PATH", help="write the figures as JSON to PATH")
    return p


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, and its children's: the largest child's peak
    added, as if the two had come at the same moment (a reconciliation's worker process runs
    beside it, decision 153). Linux reports KiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def temp_dir(prefix: str = "emitra-bench-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def normalise_url(url: str) -> str:
    url = url.strip()
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if url and not (url.startswith("sqlite://") or url.startswith("postgres://")):
        sys.exit(f"--database-url must start with sqlite:// or postgres://, not {url!r}")
    return url


def setup_environment(database_url: str, data_dir: Path) -> str:
    """Set emitra's environment before it is imported; return the database URL to use."""
    os.environ["EMITRA_FAST_PASSWORD_HASH"] = "1"
    os.environ["EMITRA_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("EMITRA_SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ.pop("EMITRA_PLUGINS", None)
    url = normalise_url(database_url) or f"sqlite://{data_dir / 'bench.sqlite3'}"
    os.environ["EMITRA_DATABASE_URL"] = url
    return url


async def wipe(url: str) -> None:
    """Empty the database named by ``url``: delete the SQLite file, or drop PostgreSQL's public schema."""
    if url.startswith("postgres://"):
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()
    else:
        path = url.removeprefix("sqlite://")
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)


def write(figures: Iterable[Figure], path: str | None) -> None:
    figures = list(figures)
    if path:
        Path(path).write_text(json.dumps([asdict(f) for f in figures], indent=2, ensure_ascii=False) + "\n")
    print_table(figures)


def read(path: str | Path) -> list[Figure]:
    return [Figure(**row) for row in json.loads(Path(path).read_text())]


def print_table(figures: list[Figure], out=sys.stdout) -> None:
    rows = [["figure", "measured", "target", ""]] + [f.as_row() for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip(), file=out)
        if i == 0:
            print("  ".join("-" * w for w in widths), file=out)

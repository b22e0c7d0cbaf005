#!/usr/bin/env python
"""Start-up with every plugin loaded (target: under 1.5 s).

Measured as an operator or systemd sees it: from starting ``emitra serve`` (a new Python process: the
imports, every installed service plugin and payment method loaded through their entry points, the
policy rules read and checked, the app built, the database connected) until ``GET /login`` answers
200. Baseline, timed alternately in the same run: a bare Starlette app with one route under the same
uvicorn, started the same way. The median of ``--runs`` starts of each is reported; the phases of an
emitra start (imports, plugins, app, database) are given for information from a separate process.

Every start runs as an installed emitra does: Python keeps the compiled bytecode of the modules it
imports (here under a cache directory of the run, ``PYTHONPYCACHEPREFIX``, even where the environment
says ``PYTHONDONTWRITEBYTECODE``), and the data directory keeps what the first start checked of the
plugins' declarations. The first start after installing, which compiles every module and checks every
declaration, is timed apart and given for information.

    .venv/bin/python bench/startup.py [--quick] [--database-url URL] [--json PATH]
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, parser, setup_environment, temp_dir, wipe, write  # noqa: E402

TARGET_S = 1.5
BIN = Path(sys.executable).parent

BARE_APP = '''
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def login(request):
    return PlainTextResponse("login")

app = Starlette(routes=[Route("/login", login)])
'''

PHASES = '''
import asyncio, json, time
t0 = time.perf_counter()
import emitra.web.app as web_app
from emitra.core.plugins import get_host
t1 = time.perf_counter()
host = get_host()
t2 = time.perf_counter()
app = web_app.create_app()
t3 = time.perf_counter()
from emitra.core import db
async def connect():
    await db.init()
    from emitra.core.models import User
    await User.all().count()
    await db.close()
asyncio.run(connect())
t4 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "plugins_s": t2 - t1, "app_s": t3 - t2, "database_s": t4 - t3,
                  "services": len(list(host.registry))}))
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_start(cmd: list[str], port: int, env: dict[str, str], cwd: Path, timeout: float = 30.0) -> float:
    """Seconds from starting ``cmd`` until http://127.0.0.1:port/login answers 200; the process is then stopped."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                pass
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"{' '.join(cmd)} did not answer within {timeout} s")
            time.sleep(0.005)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def prepare(url: str) -> None:
    from emitra.core import db, demo

    await wipe(url)
    await db.migrate(url)
    await db.init(url)
    try:
        await demo.load()
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--runs", type=int, default=None, help="starts of each (default 7; quick 3)")
    args = p.parse_args(argv)
    runs = args.runs or (3 if args.quick else 7)
    tmp = temp_dir()
    url = setup_environment(args.database_url, tmp)
    asyncio.run(prepare(url))
    env = dict(os.environ)
    # as installed: a pip install compiles the bytecode, and a checkout writes it on its first start; a
    # sandbox's PYTHONDONTWRITEBYTECODE would have every start compile emitra's 120 modules again
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    (tmp / "bare_app.py").write_text(BARE_APP)
    serve = [str(BIN / "emitra"), "serve", "--host", "127.0.0.1"]
    bare = [str(BIN / "uvicorn"), "bare_app:app", "--host", "127.0.0.1", "--log-level", "warning"]
    port = free_port()
    first_start = time_start(serve + ["--port", str(port)], port, env, tmp)
    port = free_port()
    time_start(bare + ["--port", str(port)], port, env, tmp)  # its bytecode, compiled once too
    emitra_times, bare_times = [], []
    for _ in range(runs):  # alternately, so background load hits both alike
        port = free_port()
        emitra_times.append(time_start(serve + ["--port", str(port)], port, env, tmp))
        port = free_port()
        bare_times.append(time_start(bare + ["--port", str(port)], port, env, tmp))
    phases = json.loads(subprocess.run([sys.executable, "-c", PHASES], env=env, cwd=tmp, capture_output=True, text=True,
                                       check=True).stdout)
    ours, bare_s = statistics.median(emitra_times), statistics.median(bare_times)
    db_name = "PostgreSQL" if url.startswith("postgres://") else "SQLite"
    figures = [
        Figure("startup", f"start-up, every plugin loaded, until /login answers ({db_name})", ours, "s", f"< {TARGET_S} s",
               ours < TARGET_S, detail={"runs_s": [round(t, 3) for t in emitra_times], **{k: round(v, 3) if isinstance(v, float) else v
                                                                                          for k, v in phases.items()}}),
        Figure("startup", f"  ratio to a bare Starlette app under the same uvicorn ({db_name})", ours / bare_s, "ratio", "-", None,
               baseline=bare_s, detail={"bare_runs_s": [round(t, 3) for t in bare_times]}),
        Figure("startup", f"  the first start after installing: compiling the bytecode, checking every declaration ({db_name})",
               first_start, "s", "-", None),
        Figure("startup", f"  phases: imports {phases['imports_s']:.2f} s, {phases['services']} services' plugins "
               f"{phases['plugins_s']:.2f} s, app {phases['app_s']:.2f} s, database {phases['database_s']:.2f} s",
               phases["imports_s"] + phases["plugins_s"] + phases["app_s"] + phases["database_s"], "s", "-", None),
    ]
    write(figures, args.json)
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())

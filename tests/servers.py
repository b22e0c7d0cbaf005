"""`emitra serve` in a process of its own, for the tests that need a real server (crash, faults, secrets)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

EMITRA = str(Path(sys.executable).parent / "emitra")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``emitra serve`` in its own process on a free port, its output in ``log``.

    ``env`` is added to this process's environment. Use ``with Server(...) as server:`` to stop it
    at the end, or :meth:`start`, :meth:`kill` and :meth:`stop` to crash and restart it."""

    def __init__(self, database_url: str, log: Path, env: dict[str, str] | None = None):
        self.database_url, self.log, self.port, self.env = database_url, log, free_port(), env or {}
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        env = {**os.environ, **self.env, "EMITRA_DATABASE_URL": self.database_url}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([EMITRA, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                         env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the server exited with {self.proc.returncode}:\n{self.log_tail()}"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/api/openapi.json", timeout=2).status_code == 200:
                    return self
            time.sleep(0.1)
        raise AssertionError(f"the server did not start in 60 s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, requests in flight lose their answer."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

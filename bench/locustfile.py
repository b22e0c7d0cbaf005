"""Locust users for bench/http_load.py: counter operators paying a bill through the JSON API, and the baseline.

``bench/http_load.py`` runs this headless against uvicorn; to drive a server of your own::

    .venv/bin/locust -f bench/locustfile.py --headless -H http://127.0.0.1:8123 -u 16 -r 16 -t 30s CounterOperator

Environment:

- ``EMITRA_BENCH_RATE``: transactions per second per user (``constant_throughput``, each user
  starting at a random point of its first period so that they do not arrive in bursts); unset or
  0: as fast as the server answers (no wait between requests);
- ``EMITRA_BENCH_TALLY``: a file to write, when the run ends, how many payments were created (201),
  replayed (200) or failed, and how many sampled receipts were checked (JSON);
- ``EMITRA_BENCH_OPERATORS``: ``PREFIX:N``, the operators to log in as, ``PREFIX00`` to
  ``PREFIX<N-1>``, one per simulated user in turn (bench/http_load.py creates them at JP-LM-001,
  password ``emitra-demo``); unset: everyone is the demo's operator1 (mind the log-in throttle,
  which counts an attempt before checking it: a handful of simultaneous log-ins of one username
  from one address lock it).

Each :class:`CounterOperator` logs in once (``POST /api/v1/token``) and then pays Ramesh Kumar
Sharma's JVVNL bill (K-number 210412345678, 148350 paise; the sandbox lets it be paid any number of
times) with a fresh idempotency key each time. Every answer must be 201; one in ``SAMPLE`` is
parsed and must carry the receipt of that payment.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid

import gevent
from locust import FastHttpUser, constant, constant_throughput, events, task

RATE = float(os.environ.get("EMITRA_BENCH_RATE") or 0)
SAMPLE = 10  # parse and check one response in SAMPLE
KEY_PREFIX = "load-"  # the idempotency keys of this load, counted afterwards in the database

BODY = {
    "citizen": "JP000000017",  # Ramesh Kumar Sharma
    "service_code": "gov.rj.jvvnl.bill",
    "form": {"k_number": "210412345678"},
    "payment": {"method": "cash", "amount_paise": 148350, "tendered_paise": 150000},
}

tally = {"created": 0, "replayed": 0, "failed": 0, "checked": 0}
_next_user = itertools.count()


def _username() -> str:
    prefix, _, n = os.environ.get("EMITRA_BENCH_OPERATORS", "").rpartition(":")
    return f"{prefix}{next(_next_user) % int(n):02d}" if prefix and n.isdigit() and int(n) > 0 else "operator1"


def _wait():
    return constant_throughput(RATE) if RATE > 0 else constant(0)


class CounterOperator(FastHttpUser):
    """An operator at JP-LM-001 taking cash for electricity bills, one after another."""

    wait_time = _wait()

    def on_start(self) -> None:
        credentials = {"username": _username(), "password": "emitra-demo"}
        with self.client.post("/api/v1/token", json=credentials, name="token", catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"login: {resp.status_code} {resp.text[:200]}")
                raise RuntimeError(f"{credentials['username']} could not log in: {resp.status_code}")
            self.headers = {"Authorization": "Bearer " + resp.json()["token"]}
        self.n = 0
        if RATE > 0:  # users spawned together would all send at the same instant of each period: spread them
            gevent.sleep(random.random() / RATE)

    @task
    def pay_bill(self) -> None:
        key = KEY_PREFIX + uuid.uuid4().hex
        body = {**BODY, "idempotency_key": key}
        self.n += 1
        with self.client.post("/api/v1/transactions", json=body, headers=self.headers, name="transaction",
                              catch_response=True) as resp:
            if resp.status_code == 200:
                tally["replayed"] += 1  # a fresh key is never a replay: the server lost track of its keys
                resp.failure("a fresh idempotency key was answered as a replay (200)")
                return
            if resp.status_code != 201:
                tally["failed"] += 1
                resp.failure(f"{resp.status_code} {(resp.text or '')[:200]}")
                return
            tally["created"] += 1
            if self.n % SAMPLE == 1:
                receipt = json.loads(resp.text)
                if not (receipt.get("receipt_no") and receipt.get("citizen_total_paise") == 148350
                        and receipt.get("status") in ("submitted", "paid")):
                    resp.failure(f"not a receipt of this payment: {resp.text[:200]}")
                    return
                tally["checked"] += 1


class Baseline(FastHttpUser):
    """The baseline: the same rows, written by a bare endpoint (bench/baseline_app.py)."""

    wait_time = _wait()

    @task
    def write(self) -> None:
        with self.client.post("/write", name="transaction", catch_response=True) as resp:
            if resp.status_code != 201:
                tally["failed"] += 1
                resp.failure(f"{resp.status_code} {(resp.text or '')[:200]}")
            else:
                tally["created"] += 1


@events.quitting.add_listener
def _write_tally(environment, **_kwargs) -> None:
    path = os.environ.get("EMITRA_BENCH_TALLY")
    if path:
        with open(path, "w") as f:
            json.dump(tally, f)

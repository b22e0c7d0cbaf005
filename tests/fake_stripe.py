"""A small stand-in for the Stripe API on 127.0.0.1, for the real ``stripe`` library to talk to.

It implements only what emitra calls: PaymentIntents (create, honouring ``Idempotency-Key``;
retrieve; confirm, to play the customer; cancel), refunds and the balance-transaction list; and
it builds webhook events signed with Stripe's real scheme (``t=<unix>,v1=<hex HMAC-SHA256 of
"<t>.<body>">``). Faults are injected per operation: ``500`` (answer 500, do nothing),
``timeout`` (do it, then answer later than the client waits) and ``drop`` (do it, then close the
connection without answering: the response is lost after the charge was made), either for the
next calls (:meth:`FakeStripe.fail`) or for a share of every call (:meth:`FakeStripe.fail_at_rate`).
:meth:`FakeStripe.deliver` plays Stripe's webhook delivery at its worst: every event several times,
shuffled out of order, from several threads at once, again after an answer that is not a 2xx.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_emitra_fake"
WEBHOOK_SECRET = "whsec_emitra_fake_secret"
FEE_BP = 200  # the fake's processing fee: 2%


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (``a[b]=1&c[0]=x``) back into nested dicts and lists."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(out)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


def _int(value: Any, name: str) -> int:
    if not re.match(r"^\d+$", str(value)):
        raise _Refused(f"Invalid integer: {value}", name)
    return int(value)


class _Refused(Exception):
    def __init__(self, message: str, param: str = "", code: str = "parameter_invalid_integer", status: int = 400):
        super().__init__(message)
        self.message, self.param, self.code, self.status = message, param, code, status


class FakeStripe:
    """``with FakeStripe() as fake:`` serves on ``fake.url`` until the block ends."""

    def __init__(self, api_key: str = API_KEY, webhook_secret: str = WEBHOOK_SECRET):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.lock = threading.RLock()
        self.intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.balance: list[dict[str, Any]] = []
        self.idempotent: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self.faults: dict[str, list[tuple[str, float]]] = defaultdict(list)
        self.fault_rates: dict[str, tuple[str, float, float]] = {}  # operation -> (kind, rate, delay)
        self.injected: dict[str, int] = defaultdict(int)  # faults injected by rate, per operation
        self._random = random.Random(8)
        self.calls: list[tuple[str, str, str]] = []  # (method, path, idempotency key)
        self.created = defaultdict(int)  # how many objects of each kind were really made
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-stripe", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "FakeStripe":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def env(self, **extra: str) -> dict[str, str]:
        """The emitra settings that point the stripe library here."""
        return {"EMITRA_STRIPE_API_KEY": self.api_key, "EMITRA_STRIPE_API_BASE": self.url,
                "EMITRA_STRIPE_WEBHOOK_SECRET": self.webhook_secret, **extra}

    # -- faults ------------------------------------------------------------------------------
    def fail(self, operation: str, kind: str, times: int = 1, delay: float = 2.0) -> None:
        """Make the next ``times`` calls of ``operation`` (create_intent, retrieve_intent,
        cancel_intent, create_refund, list_balance) fail: ``500``, ``timeout`` or ``drop``."""
        assert kind in ("500", "timeout", "drop")
        with self.lock:
            self.faults[operation] += [(kind, delay)] * times

    def fail_at_rate(self, operation: str, kind: str, rate: float, delay: float = 2.0, seed: int = 8) -> None:
        """From now on, a share ``rate`` (0 to 1) of the calls of ``operation`` fail with ``kind``,
        chosen by a seeded random generator (the same run fails the same calls). ``rate=0`` stops."""
        assert kind in ("500", "timeout", "drop") and 0 <= rate <= 1
        with self.lock:
            self._random.seed(seed)
            if rate:
                self.fault_rates[operation] = (kind, rate, delay)
            else:
                self.fault_rates.pop(operation, None)

    def _fault(self, operation: str) -> tuple[str, float] | None:
        with self.lock:
            queue = self.faults.get(operation)
            if queue:
                return queue.pop(0)
            kind, rate, delay = self.fault_rates.get(operation, ("", 0.0, 0.0))
            if rate and self._random.random() < rate:
                self.injected[operation] += 1
                return kind, delay
            return None

    # -- ids ---------------------------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    # -- the API -----------------------------------------------------------------------------
    def create_intent(self, p: dict[str, Any]) -> dict[str, Any]:
        amount = _int(p.get("amount"), "amount")
        if p.get("currency") != "inr":
            raise _Refused(f"Invalid currency: {p.get('currency')}", "currency", "invalid_currency")
        if amount < 50:
            raise _Refused("Amount must be at least ₹0.50 inr", "amount", "amount_too_small")
        fee = p.get("application_fee_amount")
        if fee is not None and "transfer_data" not in p:
            raise _Refused("application_fee_amount needs transfer_data[destination]", "application_fee_amount", "parameter_missing")
        if fee is not None and _int(fee, "application_fee_amount") > amount:
            raise _Refused("application_fee_amount cannot exceed amount", "application_fee_amount", "parameter_invalid")
        pi_id = self._id("pi")
        intent = {
            "id": pi_id, "object": "payment_intent", "amount": amount, "amount_received": 0, "currency": "inr",
            "status": "requires_payment_method", "client_secret": f"{pi_id}_secret_{hashlib.sha1(pi_id.encode()).hexdigest()[:16]}",
            "description": p.get("description"), "metadata": p.get("metadata") or {}, "payment_method_types": p.get("payment_method_types") or ["card"],
            "transfer_data": p.get("transfer_data"), "application_fee_amount": int(fee) if fee is not None else None,
            "latest_charge": None, "last_payment_error": None, "created": int(time.time()), "livemode": False,
        }
        self.intents[pi_id] = intent
        self.created["payment_intent"] += 1
        return intent

    def retrieve_intent(self, pi_id: str) -> dict[str, Any]:
        if pi_id not in self.intents:
            raise _Refused(f"No such payment_intent: '{pi_id}'", "intent", "resource_missing", 404)
        return self.intents[pi_id]

    def cancel_intent(self, pi_id: str, p: dict[str, Any]) -> dict[str, Any]:
        intent = self.retrieve_intent(pi_id)
        if intent["status"] in ("succeeded", "canceled"):
            raise _Refused(f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                           "", "payment_intent_unexpected_state")
        intent.update(status="canceled", cancellation_reason=p.get("cancellation_reason"))
        return intent

    def confirm_intent(self, pi_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """Play the customer: ``pm_card_visa`` succeeds, ``pm_card_chargeDeclined`` is declined."""
        intent = self.retrieve_intent(pi_id)
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise _Refused(f"This PaymentIntent's status is {intent['status']}.", "", "payment_intent_unexpected_state")
        if p.get("payment_method") == "pm_card_chargeDeclined":
            intent.update(status="requires_payment_method", last_payment_error={
                "type": "card_error", "code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined."})
            return intent
        now = int(time.time())
        charge_id = self._id("ch")
        fee = intent["amount"] * FEE_BP // 10000
        self.charges[charge_id] = {
            "id": charge_id, "object": "charge", "amount": intent["amount"], "amount_captured": intent["amount"], "amount_refunded": 0,
            "currency": "inr", "paid": True, "refunded": False, "status": "succeeded", "payment_intent": pi_id,
            "metadata": intent["metadata"], "transfer_data": intent["transfer_data"], "created": now,
            "refunds": {"object": "list", "data": [], "has_more": False},
        }
        self.created["charge"] += 1
        self._txn("charge", intent["amount"], fee, charge_id, now)
        if intent["transfer_data"]:
            to_lsp = intent["amount"] - (intent["application_fee_amount"] or 0)
            transfer_id = self._id("tr")
            self.transfers[transfer_id] = {"id": transfer_id, "amount": to_lsp, "destination": intent["transfer_data"]["destination"], "reversed": 0}
            self.charges[charge_id]["transfer"] = transfer_id
            self._txn("transfer", -to_lsp, 0, transfer_id, now)
        intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge_id, last_payment_error=None)
        return intent

    def create_refund(self, p: dict[str, Any]) -> dict[str, Any]:
        intent = self.retrieve_intent(str(p.get("payment_intent")))
        if intent["status"] != "succeeded":
            raise _Refused("This PaymentIntent has no successful charge to refund.", "payment_intent", "charge_not_refundable")
        charge = self.charges[intent["latest_charge"]]
        left = charge["amount"] - charge["amount_refunded"]
        amount = _int(p["amount"], "amount") if p.get("amount") is not None else left
        if amount <= 0 or amount > left:
            raise _Refused(f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})", "amount", "amount_too_large")
        now = int(time.time())
        refund_id = self._id("re")
        refund = {"id": refund_id, "object": "refund", "amount": amount, "currency": "inr", "charge": charge["id"],
                  "payment_intent": intent["id"], "status": "succeeded", "metadata": p.get("metadata") or {}, "created": now}
        self.refunds[refund_id] = refund
        self.created["refund"] += 1
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].insert(0, refund)
        self._txn("refund", -amount, 0, refund_id, now)
        if p.get("reverse_transfer") == "true" and charge.get("transfer"):
            transfer = self.transfers[charge["transfer"]]
            back = transfer["amount"] * amount // charge["amount"]
            transfer["reversed"] += back
            self._txn("transfer_refund", back, 0, charge["transfer"], now)
        return refund

    def list_balance(self, q: dict[str, Any]) -> dict[str, Any]:
        rows = sorted(self.balance, key=lambda t: t["created"])
        created = q.get("created") or {}
        if "gte" in created:
            rows = [r for r in rows if r["created"] >= int(created["gte"])]
        if "lt" in created:
            rows = [r for r in rows if r["created"] < int(created["lt"])]
        if q.get("starting_after"):
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(q["starting_after"]) + 1:]
        limit = int(q.get("limit") or 10)
        return {"object": "list", "url": "/v1/balance_transactions", "data": rows[:limit], "has_more": len(rows) > limit}

    def _txn(self, kind: str, amount: int, fee: int, source: str, now: int) -> None:
        self.balance.append({"id": self._id("txn"), "object": "balance_transaction", "type": kind, "amount": amount, "fee": fee,
                             "net": amount - fee, "currency": "inr", "source": source, "created": now, "status": "pending"})

    # -- playing the customer and sending events -----------------------------------------------
    def pay(self, intent_id: str, card: str = "pm_card_visa") -> dict[str, Any]:
        """The citizen pays (or is declined): returns the event Stripe would send."""
        with self.lock:
            intent = self.confirm_intent(intent_id, {"payment_method": card})
            kind = "payment_intent.succeeded" if intent["status"] == "succeeded" else "payment_intent.payment_failed"
            return self.event(kind, intent)

    def refunded_event(self, intent_id: str) -> dict[str, Any]:
        with self.lock:
            return self.event("charge.refunded", self.charges[self.intents[intent_id]["latest_charge"]])

    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {"id": self._id("evt"), "object": "event", "api_version": "2025-01-01", "created": int(time.time()), "type": kind,
                "livemode": False, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                "data": {"object": json.loads(json.dumps(obj))}}

    def signed(self, event: dict[str, Any], secret: str | None = None, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the webhook delivery, signed as Stripe signs them."""
        body = json.dumps(event).encode()
        t = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new((secret or self.webhook_secret).encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return body, {"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}

    def deliver(self, url: str, events: list[dict[str, Any]], copies: int = 3, threads: int = 8, seed: int = 8,
                attempts: int = 20) -> list[tuple[str, int, dict[str, Any]]]:
        """POST every event ``copies`` times to the webhook endpoint ``url``, shuffled (a late
        copy may come after later events), from ``threads`` threads at once. An answer that is not
        a 2xx (or none) is delivered again, as Stripe does, up to ``attempts`` times per copy.
        Returns (event id, status, answer) for every attempt; raises if a copy never got a 2xx."""
        copies_to_send = [event for event in events for _ in range(copies)]
        random.Random(seed).shuffle(copies_to_send)
        results: list[tuple[str, int, dict[str, Any]]] = []

        def send(event: dict[str, Any]) -> None:
            for attempt in range(attempts):
                body, headers = self.signed(event)
                request = urllib.request.Request(url, data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, raw = answer.status, answer.read()
                except urllib.error.HTTPError as exc:
                    status, raw = exc.code, exc.read()
                except OSError as exc:
                    status, raw = 0, str(exc).encode()
                try:
                    payload = json.loads(raw or b"{}")
                except ValueError:
                    payload = {"body": raw.decode(errors="replace")[:500]}
                with self.lock:
                    results.append((event["id"], status, payload))
                if 200 <= status < 300:
                    return
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
            raise AssertionError(f"event {event['id']} was never accepted: last answer {status} {payload}")

        with ThreadPoolExecutor(threads) as pool:
            for done in [pool.submit(send, e) for e in copies_to_send]:
                done.result()
        return results

    # -- HTTP ----------------------------------------------------------------------------------
    def _route(self, method: str, path: str, params: dict[str, Any], key: str) -> tuple[str, int, dict[str, Any]]:
        """(operation, status, body)."""
        m = re.match(r"^/v1/payment_intents(?:/(?P<id>[^/]+))?(?:/(?P<act>cancel|confirm))?$", path)
        if m and method == "POST" and not m["id"]:
            return "create_intent", 200, self.create_intent(params)
        if m and method == "GET" and m["id"] and not m["act"]:
            return "retrieve_intent", 200, self.retrieve_intent(m["id"])
        if m and method == "POST" and m["act"] == "cancel":
            return "cancel_intent", 200, self.cancel_intent(m["id"], params)
        if m and method == "POST" and m["act"] == "confirm":
            return "confirm_intent", 200, self.confirm_intent(m["id"], params)
        if path == "/v1/refunds" and method == "POST":
            return "create_refund", 200, self.create_refund(params)
        if path == "/v1/balance_transactions" and method == "GET":
            return "list_balance", 200, self.list_balance(params)
        raise _Refused(f"Unrecognized request URL ({method}: {path}).", "", "url_invalid", 404)

    def _operation(self, method: str, path: str) -> str:
        if path == "/v1/payment_intents" and method == "POST":
            return "create_intent"
        if path.endswith("/cancel"):
            return "cancel_intent"
        if path.startswith("/v1/payment_intents/") and method == "GET":
            return "retrieve_intent"
        if path == "/v1/refunds":
            return "create_refund"
        if path == "/v1/balance_transactions":
            return "list_balance"
        return "other"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_fake{next(fake._ids):06d}")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                    self.wfile.flush()
                except OSError:
                    pass  # the client gave up waiting

            def _handle(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                params = decode_form(raw if method == "POST" else url.query)
                key = self.headers.get("Idempotency-Key", "")
                with fake.lock:
                    fake.calls.append((method, url.path, key))
                if self.headers.get("Authorization", "") != f"Bearer {fake.api_key}":
                    self._send(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}})
                    return
                fault = fake._fault(fake._operation(method, url.path))
                if fault and fault[0] == "500":
                    self._send(500, {"error": {"type": "api_error", "message": "An unknown error occurred (fake 500)."}})
                    return
                try:
                    with fake.lock:
                        stored = fake.idempotent.get(key) if key and method == "POST" else None
                        if stored is not None:
                            if stored[0] != raw:
                                status, body = 400, {"error": {"type": "idempotency_error", "message":
                                                     "Keys for idempotent requests can only be used with the same parameters they were first used with."}}
                            else:
                                status, body = stored[1], stored[2]
                            replay = True
                        else:
                            _op, status, body = fake._route(method, url.path, params, key)
                            body = json.loads(json.dumps(body))
                            replay = False
                            if key and method == "POST":
                                fake.idempotent[key] = (raw, status, body)
                except _Refused as exc:
                    status, body, replay = exc.status, {"error": {"type": "invalid_request_error", "message": exc.message,
                                                                  "param": exc.param, "code": exc.code}}, False
                    if key and method == "POST":
                        with fake.lock:
                            fake.idempotent[key] = (raw, status, body)
                if fault and fault[0] == "drop":  # done; the answer is lost
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                if fault and fault[0] == "timeout":
                    time.sleep(fault[1])
                self._send(status, body, {"Idempotent-Replayed": "true"} if replay else None)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        return Handler

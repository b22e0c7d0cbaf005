"""Secrets come from the environment and never come out again: with recognisable values in
EMITRA_SECRET_KEY, the Stripe key and webhook secret, the UPI webhook secret and the database
password, a real `emitra serve` takes logins, a card payment with the fake Stripe, forged and failed
webhooks, a Stripe outage and bad requests, and the command line runs its commands (some failing);
none of the values appears in the server's log, a response, a command's output, the audit log or
the notification outbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx2 as httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fake_stripe import FakeStripe  # noqa: E402

from emitra.core.models import AuditLog, Citizen, Notification  # noqa: E402
from emitra.web.webhooks_upi import sign  # noqa: E402
from tests.servers import EMITRA, Server, free_port  # noqa: E402

DB_URL = os.environ["EMITRA_DATABASE_URL"]  # the test database (tests/conftest.py)
PG_URL = os.environ.get("EMITRA_TEST_DATABASE_URL", "").strip()
BILL, K, DUE = "gov.rj.jvvnl.bill", "210412345678", 148_350

DB_PASSWORD = "Secret-DbPassword-5e6f0a"
SECRETS = {
    "EMITRA_SECRET_KEY": "Secret-SigningKey-7f1c9a0e5b3d-4482c1",
    "EMITRA_STRIPE_API_KEY": "sk_test_Secret-StripeKey-42ab19",
    "EMITRA_STRIPE_WEBHOOK_SECRET": "whsec_Secret-StripeHook-77cd20",
    "EMITRA_UPI_WEBHOOK_SECRET": "Secret-UpiHook-19ef33",
}
VALUES = [DB_PASSWORD, *SECRETS.values()]


def with_password(url: str) -> str:
    """The PostgreSQL URL with a password in it (the test server trusts local connections, so any
    password is accepted); a SQLite URL has none to hide."""
    if not url.startswith("postgres"):
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}:{DB_PASSWORD}@{parts.hostname}:{parts.port or 5432}"))


def leaks(text: str) -> list[str]:
    """The secret values (or their first 12 characters) found in ``text``."""
    return [v for v in VALUES if v in text or v[:12] in text]


def test_no_secret_reaches_a_log_a_response_an_output_or_the_database(web, tmp_path):
    with FakeStripe(api_key=SECRETS["EMITRA_STRIPE_API_KEY"], webhook_secret=SECRETS["EMITRA_STRIPE_WEBHOOK_SECRET"]) as fake:
        secrets = {**SECRETS, "EMITRA_STRIPE_API_BASE": fake.url, "EMITRA_STRIPE_MAX_RETRIES": "0", "EMITRA_STRIPE_TIMEOUT": "2"}
        env = {**os.environ, **secrets, "EMITRA_DATABASE_URL": with_password(DB_URL)}  # for the command line
        citizen = web.run(lambda: Citizen.get(name="Ramesh Kumar Sharma")).emitra_id
        log = tmp_path / "server.log"
        seen: list[httpx.Response] = []
        keep = {"response": [lambda r: (r.read(), seen.append(r))]}
        with Server(with_password(DB_URL), log, secrets) as server, httpx.Client(base_url=server.url, timeout=30, event_hooks=keep) as http:
            page = http.get("/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            assert http.post("/login", data={"username": "operator1", "password": "wrong", "csrf_token": token}).status_code != 303
            assert http.post("/api/v1/token", json={"username": "operator1", "password": "wrong"}).status_code == 401
            api = {"Authorization": f"Bearer {http.post('/api/v1/token', json={'username': 'operator1', 'password': 'emitra-demo'}).json()['token']}"}
            card = http.post("/api/v1/transactions", headers=api, json={
                "citizen": citizen, "service_code": BILL, "form": {"k_number": K},
                "payment": {"method": "card", "amount_paise": DUE}, "idempotency_key": "secret-card-1"})
            assert card.status_code == 201, card.text
            event = fake.pay(card.json()["payment"]["reference"])
            forged, forged_headers = fake.signed(event, "whsec_somebody_else")
            assert http.post("/webhooks/stripe", content=forged, headers=forged_headers).status_code == 400
            body, headers = fake.signed(event)
            assert http.post("/webhooks/stripe", content=body, headers=headers).status_code == 200
            due = http.post("/api/v1/quotes", headers=api, json={"service_code": BILL, "form": {"k_number": "210412345679"}})
            fake.fail("create_intent", "500")
            outage = http.post("/api/v1/transactions", headers=api, json={
                "citizen": citizen, "service_code": BILL, "form": {"k_number": "210412345679"},
                "payment": {"method": "card", "amount_paise": due.json()["citizen_total_paise"]}, "idempotency_key": "secret-card-2"})
            assert outage.status_code == 502 and outage.json()["error"]["code"] == "card_unavailable", outage.text
            upi = b'{"event_id": "evt-1", "reference": "UPI-NOPE", "status": "success", "amount_paise": 100, "utr": "1"}'
            assert http.post("/webhooks/upi", content=upi, headers={"X-UPI-Signature": sign(upi, "not-the-secret")}).status_code == 401
            assert http.post("/webhooks/upi", content=upi, headers={"X-UPI-Signature": sign(upi, SECRETS["EMITRA_UPI_WEBHOOK_SECRET"])}).status_code < 500
            assert http.post("/api/v1/transactions", headers=api, content=b"{not json").status_code == 400
            assert http.get("/no-such-page").status_code == 404
            assert http.get("/api/v1/transactions/JPNOSUCH", headers=api).status_code == 404

        server_log = log.read_text(errors="replace")
        assert "Stripe webhook with a bad signature" in server_log and "UPI confirmation with a missing or wrong signature" in server_log
        assert "POST /api/v1/transactions" in server_log  # the access log was captured
        assert leaks(server_log) == [], server_log
        for response in seen:
            assert leaks(response.text) == [] and leaks(str(response.headers)) == [], (response.url, response.text[:500])

        commands = [["ledger", "check"], ["db", "backup", str(tmp_path / "b.tar")], ["audit", "verify"]]
        unreachable = {**env, "EMITRA_DATABASE_URL": f"postgres://emitra:{DB_PASSWORD}@127.0.0.1:{free_port()}/district"}
        outputs = [subprocess.run([EMITRA, *c], env=env, capture_output=True, text=True, timeout=120) for c in commands]
        outputs += [subprocess.run([EMITRA, *c], env=unreachable, capture_output=True, text=True, timeout=120)
                    for c in (["db", "migrate"], ["db", "backup", str(tmp_path / "x.tar")])]
        for out in outputs:
            assert leaks(out.stdout + out.stderr) == [], (out.args, out.stdout, out.stderr)
        assert outputs[0].returncode == 0 and outputs[1].returncode == 0, outputs[1].stderr
        assert all(out.returncode != 0 for out in outputs[len(commands):])  # they failed, and said so without the password
        assert "emitra:***@127.0.0.1" in outputs[-1].stderr or "as emitra" in outputs[-1].stderr

    async def stored():
        rows = [str(v) for v in await AuditLog.all().values_list("action", "object_id", "detail", "ip")]
        rows += [str(v) for v in await Notification.all().values_list("subject", "body_en", "body_hi", "recipient", "error")]
        return rows

    rows = web.run(stored)
    assert any("secret-card-1" in r or "stripe" in r.lower() for r in rows)  # the flows above were recorded
    assert [r for r in rows if leaks(r)] == []


def test_serve_refuses_a_short_secret_key_without_printing_it():
    for key in ("...", "Short-Secret-3e9a"):  # the docs' placeholder copied as it is; a guessable key
        out = subprocess.run([EMITRA, "serve", "--port", str(free_port())], env={**os.environ, "EMITRA_SECRET_KEY": key},
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and out.stderr.startswith("Error: EMITRA_SECRET_KEY is too short") and "at least 32" in out.stderr
        assert "secrets.token_urlsafe" in out.stderr and "Short-Secret" not in out.stdout + out.stderr


def test_a_password_in_the_query_of_the_database_url_is_not_printed():
    from emitra.core.db import safe_url

    assert safe_url("postgres://emitra@db:5432/jaipur?sslmode=require&password=SeCrEtQ-77") == \
        "postgres://emitra@db:5432/jaipur?sslmode=require&password=***"
    assert safe_url("postgres://emitra:SeCrEtQ-77@db/jaipur?PASSWORD=SeCrEtQ-77") == "postgres://emitra:***@db/jaipur?PASSWORD=***"
    if not PG_URL:
        return
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}password=SeCrEtQ-77"
    out = subprocess.run([EMITRA, "db", "status"], env={**os.environ, "EMITRA_DATABASE_URL": url}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "password=***: up to date" in out.stdout and "SeCrEtQ" not in out.stdout + out.stderr, out.stdout


@pytest.mark.parametrize("password", ["Se?cret-77", "Se#cret-77", "Se/cret-77", "Se:cret@77"])
def test_a_password_with_a_character_a_url_reserves_is_never_printed(password):
    """A database password typed into the URL without percent-encoding its '?', '#' or '/' (a
    generated password often has them) makes a URL the port check refuses: the refusal printed the
    password in full (safe_url took what follows a '?' for the query) or its first part as "the
    port"."""
    from emitra.core.db import DatabaseUrlError, check_url, safe_url

    for url in (f"postgres://emitra:{password}@db.example/jaipur", f"postgres://emitra:{password}@db.example:5432/jaipur"):
        shown = safe_url(url)
        assert "Se" not in shown.replace("postgres", "") and "cret" not in shown and shown.startswith("postgres://emitra:***@"), shown
        try:
            check_url(url)
        except DatabaseUrlError as exc:
            assert "cret" not in str(exc) and "'Se" not in str(exc), str(exc)

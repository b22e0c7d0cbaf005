"""The counter transaction's reference data cache (core/cache.py): a change made anywhere applies at once.

Every change below is made the way the running app cannot hear about it: by another process (the
command line) or by raw SQL that no ORM signal sees. Each time the app has already read the value
(the cache is warm) and must not answer from it afterwards.
"""

import logging
import os
import subprocess
import sys
from pathlib import Path

from tortoise import connections

from emitra.core import cache
from emitra.core.models import Citizen, Counter

from tests.conftest import DB_URL

BILL = "gov.rj.jvvnl.bill"
EMITRA = str(Path(sys.executable).parent / "emitra")


def _sql(web, statement: str) -> None:
    async def run():
        await connections.get("default").execute_script(statement)

    web.run(run)


def _ramesh(web) -> str:
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def _pay(web, h, key: str, citizen: str | None = None, amount: int = 148350):
    body = {"citizen": citizen or _ramesh(web), "service_code": BILL, "form": {"k_number": "210412345678"},
            "payment": {"method": "cash", "amount_paise": amount, "tendered_paise": amount}, "idempotency_key": key}
    return web.post("/api/v1/transactions", headers=h, json=body)


def _citizen_paid_service(web, h) -> dict:
    services = web.get("/api/v1/services", headers=h).json()
    return next(s for s in services if s["payer"] == "citizen" and s["fee_paise"] > 100)


def test_a_service_disabled_from_the_command_line_is_refused_by_the_next_payment(web):
    h = web.api_token("operator1")
    assert _pay(web, h, "warm-1").status_code == 201  # every cached read made once
    out = subprocess.run([EMITRA, "counter", "disable", "JP-LM-001", BILL, "--as", "lsp"], capture_output=True, text=True,
                         env={**os.environ, "EMITRA_DATABASE_URL": DB_URL}, timeout=120)
    assert out.returncode == 0, out.stderr
    refused = _pay(web, h, "after-disable")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "service_not_offered"
    _sql(web, f"UPDATE \"counter_service\" SET \"enabled\" = {'true' if DB_URL.startswith('postgres') else 1} "
              f"WHERE \"service_code\" = '{BILL}'")
    assert _pay(web, h, "after-enable").status_code == 201


def test_a_district_fee_changed_by_raw_sql_is_charged_at_once(web):
    h = web.api_token("operator1")
    service = _citizen_paid_service(web, h)
    before = service["fee_paise"]
    assert web.get("/api/v1/services", headers=h).json()  # warm, twice
    _sql(web, f"INSERT INTO \"fee_override\" (\"service_code\", \"district_id\", \"fee_paise\", \"set_by\", \"set_at\") "
              f"VALUES ('{service['code']}', (SELECT \"id\" FROM \"district\" LIMIT 1), {before - 100}, 'sql', CURRENT_TIMESTAMP)")
    after = next(s for s in web.get("/api/v1/services", headers=h).json() if s["code"] == service["code"])
    assert after["fee_paise"] == before - 100


def test_a_deactivated_operator_is_refused_at_once_and_a_renamed_citizen_shows_the_new_name(web):
    h = web.api_token("operator1")
    eid = _ramesh(web)
    assert web.get(f"/api/v1/citizens/{eid}", headers=h).json()["name"] == "Ramesh Kumar Sharma"
    _sql(web, f"UPDATE \"citizen\" SET \"name\" = 'Ramesh K. Sharma' WHERE \"emitra_id\" = '{eid}'")
    assert web.get(f"/api/v1/citizens/{eid}", headers=h).json()["name"] == "Ramesh K. Sharma"
    _sql(web, "UPDATE \"app_user\" SET \"active\" = false WHERE \"username\" = 'operator1'"
         if DB_URL.startswith("postgres") else "UPDATE \"app_user\" SET \"active\" = 0 WHERE \"username\" = 'operator1'")
    refused = web.get(f"/api/v1/citizens/{eid}", headers=h)
    assert refused.status_code == 401


def test_a_counter_suspended_by_raw_sql_takes_nothing_more(web):
    h = web.api_token("operator1")
    assert _pay(web, h, "warm-2").status_code == 201
    _sql(web, "UPDATE \"counter\" SET \"active\" = " + ("false" if DB_URL.startswith("postgres") else "0") + " WHERE \"code\" = 'JP-LM-001'")
    refused = _pay(web, h, "suspended")  # the operator's token is refused at once: their counter is closed
    assert refused.status_code == 403 and "JP-LM-001 is closed by the Society" in refused.json()["error"]["message"]


def test_a_warm_payment_reads_no_reference_data_again(web):
    """What the cache is for (docs/performance.md): the second payment reads no user, counter,
    enabled service, policy rule or fee override; only the generation."""
    h = web.api_token("operator1")
    eid = _ramesh(web)
    assert _pay(web, h, "warm-3", eid).status_code == 201
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    logger, handler = logging.getLogger("tortoise.db_client"), Collect()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        assert _pay(web, h, "warm-4", eid).status_code == 201
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    for table in ("app_user", "counter", "counter_service", "policy_rule", "fee_override", "citizen"):
        assert not [s for s in reads if f'FROM "{table}"' in s], (table, reads)
    assert any('FROM "cache_generation"' in s for s in reads)


def test_every_cached_table_has_its_triggers_and_they_move_the_generation(web):
    async def run():
        conn = connections.get("default")
        if DB_URL.startswith("postgres"):
            rows = await conn.execute_query_dict("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            names = {r["tgname"] for r in rows}
            assert {f"{t}_cache_bump" for t in cache.TABLES} <= names
        else:
            rows = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = {r["name"] for r in rows}
            assert {f"{t}_cache_bump_{e.lower()}" for t, events in cache.TABLES.items() for e in events} <= names
        before = (await conn.execute_query_dict('SELECT "generation" FROM "cache_generation"'))[0]["generation"]
        counter = await Counter.get(code="JP-LM-001")
        counter.name = counter.name + " "
        await counter.save(update_fields=["name"])
        after = (await conn.execute_query_dict('SELECT "generation" FROM "cache_generation"'))[0]["generation"]
        assert after > before

    web.run(run)


def test_the_counter_page_refuses_a_service_disabled_after_its_confirmation_was_shown(web):
    """The operator's pages use the cache too: the confirmation page was shown (service enabled, the
    cache warm), the LSP disables the service from the command line, the operator presses Pay."""
    import re

    web.login("operator1")
    eid = _ramesh(web)
    form_url = f"/counter/citizens/{eid}/services/{BILL}"
    confirm = web.post_form(form_url, {"k_number": "210412345678"}, token_from=form_url)
    assert confirm.status_code == 200, confirm.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.text))
    out = subprocess.run([EMITRA, "counter", "disable", "JP-LM-001", BILL, "--as", "lsp"], capture_output=True, text=True,
                         env={**os.environ, "EMITRA_DATABASE_URL": DB_URL}, timeout=120)
    assert out.returncode == 0, out.stderr
    paid = web.client.post(form_url + "/pay", data={**fields, "tendered": ""})
    assert paid.status_code != 303 and "not offered" in paid.text

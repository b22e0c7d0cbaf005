"""How often a counter payment asks PostgreSQL (decision 134): each question is a round trip on
the counter's transaction, and the HTTP benchmark's throughput target (issue 8) is set by them.

The questions are counted where asyncpg sends them (a prepared statement, a simple query, a COPY's
two steps); SQLite has no round trips (the file is in the process) and is not counted."""

from __future__ import annotations

import uuid

import pytest
from tortoise import connections

from tests.conftest import DB_URL

pytestmark = pytest.mark.skipif(not DB_URL.startswith("postgres"), reason="round trips are PostgreSQL's")

BILL = {"service_code": "gov.rj.jvvnl.bill", "form": {"k_number": "210412345678"},
        "payment": {"method": "cash", "amount_paise": 148350, "tendered_paise": 150000}}


class Questions:
    """Every statement asyncpg sends while counting, with its text."""

    def __init__(self, monkeypatch):
        import asyncpg.connection as ac

        self.sent: list[str] = []
        self.on = False
        original_execute, original_inner, original_copy = ac.Connection.execute, ac.Connection._execute, ac.Connection.copy_records_to_table
        questions = self

        async def execute(self, query, *args, **kwargs):
            if questions.on and not args:  # with arguments it goes through _execute, counted there
                questions.sent.append(query)
            return await original_execute(self, query, *args, **kwargs)

        async def inner(self, query, args, *rest, **kwargs):
            if questions.on:
                questions.sent.append(query)
            return await original_inner(self, query, args, *rest, **kwargs)

        async def copy_in(self, table, *args, **kwargs):
            if questions.on:  # the COPY, then its rows and the end: the server answers each
                questions.sent += [f"COPY {table}", "(COPY data)"]
            return await original_copy(self, table, *args, **kwargs)

        monkeypatch.setattr(ac.Connection, "execute", execute)
        monkeypatch.setattr(ac.Connection, "_execute", inner)
        monkeypatch.setattr(ac.Connection, "copy_records_to_table", copy_in)


def _citizen(web) -> str:
    from emitra.core.models import Citizen

    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def test_a_cash_bill_payment_asks_the_database_at_most_sixteen_times(web, monkeypatch):
    questions = Questions(monkeypatch)
    h = web.api_token("operator1")
    body = {**BILL, "citizen": _citizen(web)}
    for _ in range(2):  # the counter's reference data read once and cached
        assert web.post("/api/v1/transactions", headers=h, json={**body, "idempotency_key": uuid.uuid4().hex}).status_code == 201
    questions.on = True
    answer = web.post("/api/v1/transactions", headers=h, json={**body, "idempotency_key": uuid.uuid4().hex})
    questions.on = False
    assert answer.status_code == 201, answer.text
    sent = "\n".join(questions.sent)
    # no session reset each time a connection goes back to the pool, no look-up of the request's
    # charge payer just written, no COPY for an entry's few postings
    assert "RESET ALL" not in sent
    assert 'SELECT "id", "charge_payer"' not in sent
    assert "COPY" not in sent
    # the entry, its drawer's totals and its postings written by one statement (decision 169)
    together = [q for q in questions.sent if 'INSERT INTO "ledger_entry"' in q]
    assert len(together) == 1 and 'INSERT INTO "posting"' in together[0] and 'INSERT INTO "drawer_total"' in together[0], sent
    # the citizen's last choice read within the receipt number's UPDATE (decision 172), not by a look at the
    # citizen's latest request (`WHERE "citizen_id"=`); a read of the request by its key may list message_lang
    # first among its columns (their order varies from run to run)
    assert not [q for q in questions.sent if 'FROM "service_request" WHERE "citizen_id"' in q], sent
    assert len(questions.sent) <= 16, sent  # 26 before decision 134, 19 before decision 169, 17 before decision 172


def test_a_transaction_left_open_on_a_connection_is_rolled_back_when_the_pool_takes_it_back(web):
    from emitra.core.models import District

    async def leave_open():
        pool = connections.get("default")._pool
        raw = await pool.acquire()
        await raw.execute("BEGIN")
        await raw.execute('UPDATE "district" SET "name_en" = "name_en" || \' (half-written)\'')
        await pool.release(raw)  # asyncpg's own rollback still runs before the pool's (empty) reset
        return [d.name_en for d in await District.all()]

    assert not any(name.endswith("(half-written)") for name in web.run(leave_open))


def test_a_connection_keeps_no_setting_a_transaction_made_local(web):
    async def settings():
        from tortoise.transactions import in_transaction

        async with in_transaction() as conn:
            await conn.execute_query("SELECT set_config('enable_seqscan', 'off', true)")
        pool = connections.get("default")._pool
        seen = set()
        for _ in range(pool.get_size() + 1):
            async with pool.acquire() as raw:
                seen.add(await raw.fetchval("SELECT current_setting('enable_seqscan')"))
        return seen

    assert web.run(settings) == {"on"}

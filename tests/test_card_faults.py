"""Card payments under load while Stripe misbehaves: answers lost after the intent was made, webhook
events delivered several times, out of order and concurrently, Stripe failing while an event is
applied. A real server process (tests/test_crash.py's ``Server``) talks to the fake Stripe
(tests/fake_stripe.py) through the real ``stripe`` library. The books afterwards are exactly those
of the payments made once: repetition changes nothing."""

from __future__ import annotations

import asyncio
import collections
import sys
from pathlib import Path

import pytest
from tortoise.functions import Sum

sys.path.insert(0, str(Path(__file__).parent))
from fake_stripe import FakeStripe  # noqa: E402
from test_crash import DB_URL, DUE, Payment, Server, _payments, _retry_until_answered, _tokens_and_citizen  # noqa: E402

from emitra.core import ledger  # noqa: E402
from emitra.core.models import AuditLog, Payment as PaymentRow, Posting, ServiceRequest  # noqa: E402

pytestmark = pytest.mark.anyio
N = 20


async def _books() -> collections.Counter:
    rows = await Posting.all().group_by("account").annotate(total=Sum("amount_paise")).values("account", "total")
    return collections.Counter({r["account"]: int(r["total"]) for r in rows if int(r["total"])})


async def _request_books(request_id: int) -> dict[str, int]:
    out: collections.Counter = collections.Counter()
    for account, amount in await Posting.filter(entry__request_id=request_id).values_list("account", "amount_paise"):
        out[account] += amount
    return {a: v for a, v in out.items() if v}


def _by_card(payments: list[Payment]) -> list[Payment]:
    for p in payments:
        p.body["payment"] = {"method": "card", "amount_paise": DUE}
    return payments


async def test_lost_stripe_answers_and_repeated_webhooks_book_each_card_payment_once(demo_db, tmp_path):
    before = await _books()
    with FakeStripe() as fake:
        server = Server(DB_URL, tmp_path / "server.log", env=fake.env(EMITRA_STRIPE_TIMEOUT="2", EMITRA_STRIPE_MAX_RETRIES="0"))
        await asyncio.to_thread(server.start)
        try:
            tokens, citizen = await _tokens_and_citizen(server)
            payments = _by_card(_payments("card", N, citizen))

            # 1. the counters start N card payments at once; Stripe loses 30% of its answers after making the intent
            fake.fail_at_rate("create_intent", "drop", 0.3)
            await _retry_until_answered(server, tokens, payments, retry_code="card_unavailable")
            fake.fail_at_rate("create_intent", "drop", 0)
            assert fake.injected["create_intent"] > 0 and any(p.refused for p in payments)
            assert fake.created["payment_intent"] == N  # a replay sends the same idempotency key: never a second intent
            intents = {p.answer["payment"]["reference"] for p in payments}
            assert len(intents) == N and all(i.startswith("pi_") for i in intents)

            # 2. the citizens pay; every third card is declined first and then a good card is used
            events = []
            for i, intent in enumerate(sorted(intents)):
                if i % 3 == 0:
                    events.append(await asyncio.to_thread(fake.pay, intent, "pm_card_chargeDeclined"))
                events.append(await asyncio.to_thread(fake.pay, intent))

            # 3. Stripe delivers every event three times, shuffled, from 8 threads, while a share of
            #    the cancels and look-ups emitra makes to sort out the declines fail or lose their answer
            fake.fail_at_rate("cancel_intent", "drop", 0.3)
            fake.fail_at_rate("retrieve_intent", "500", 0.3, seed=9)
            deliveries = await asyncio.to_thread(fake.deliver, f"{server.url}/webhooks/stripe", events, 3, 8)
            statuses = collections.Counter(status for _, status, _ in deliveries)
            odd = [d for d in deliveries if d[1] not in (200, 503)]
            assert not odd, f"{statuses}: {odd[:3]}\n{server.log_tail(60)}"  # 503: "deliver it again later", never a server error
        finally:
            server.stop()

    assert fake.created["charge"] == N and not fake.refunds  # one charge per payment, nothing refunded by mistake
    rows = await ServiceRequest.filter(idempotency_key__in=[p.key for p in payments]).values("id", "receipt_no", "status")
    assert len(rows) == N and {r["status"] for r in rows} == {"submitted"}, collections.Counter(r["status"] for r in rows)
    cards = await PaymentRow.filter(request_id__in=[r["id"] for r in rows]).values_list("status", "reference")
    assert sorted(ref for _, ref in cards) == sorted(intents) and {s for s, _ in cards} == {"received"}
    confirmed = collections.Counter(d["receipt_no"] for d in await AuditLog.filter(action="payment.confirmed").values_list("detail", flat=True))
    assert set(confirmed) == {r["receipt_no"] for r in rows} and set(confirmed.values()) == {1}

    # the books: each payment's entries are those of one payment, and the whole ledger moved by N of them
    one = await _request_books(rows[0]["id"])
    assert one.get("escrow:card") == DUE
    for r in rows:
        assert await _request_books(r["id"]) == one, r["receipt_no"]
    moved = await _books()
    moved.subtract(before)
    assert {a: v for a, v in moved.items() if v} == {a: v * N for a, v in one.items()}
    result = await ledger.check()
    assert result["balanced"] and not result["problems"], result
    log = server.log.read_text(errors="replace")
    assert "unhandled error" not in log and " 500 " not in log, server.log_tail(60)

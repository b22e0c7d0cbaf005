"""A Stripe import taken by mistake is withdrawn (core/statement_withdraw.py, decision 98): its lines
go, and the payouts and fees it posted that no other live import vouches for are reversed in the
same transaction; a payout booked by hand stays. The same transactions imported again are posted
again, once, and the week reconciles as if the mistaken import had never been made."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from emitra.core import clock, ledger
from emitra.core import reconcile as rec
from emitra.core import reconcile_saved as saved
from emitra.core import statement_withdraw as sw
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, District, LedgerEntry, StatementEntry, StatementImport, StatementLine, User

pytestmark = pytest.mark.anyio
REASON = "Stripe's export of the wrong range, taken by mistake"


async def _setting() -> tuple[District, Actor]:
    return await District.get(code="JP"), Actor(await User.get(username="society"), via="cli")


def _txn(id: str, type: str, amount: int, fee: int = 0, source: str | None = None, at: int | None = None) -> dict:
    return {"id": id, "object": "balance_transaction", "amount": amount, "currency": "inr", "fee": fee, "net": amount - fee,
            "type": type, "created": at or int(time.time()) - 3600, "source": source}


def _file(*txns: dict) -> bytes:
    return json.dumps({"object": "list", "has_more": False, "data": list(txns)}).encode()


def _summary(report: rec.Report) -> tuple:
    """What a user reads of a week's report: ok, the counts, each bucket's (scope, kind, how, amounts), the balances."""
    return (report.ok, report.counts,
            sorted((p.scope, p.kind, p.how, p.statement.amount_paise, p.ledger.amount_paise) for p in report.matched),
            sorted((p.scope, p.kind) for p in report.differing),
            sorted((i.scope, i.kind, i.amount_paise) for i in report.unmatched_statement),
            sorted((i.scope, i.kind, i.amount_paise) for i in report.unmatched_ledger),
            # each account's balances (its gross in and out also count the mistaken entries and their reversals)
            {a.account: (a.opening_paise, a.closing_paise, a.ok) for a in report.accounts})


async def _books() -> dict[str, int]:
    return {a: await ledger.balance(a) for a in ("escrow:card", "society_bank", "processor_fees")}


async def test_a_withdrawn_stripe_import_is_reversed_and_the_week_reconciles_as_if_it_never_was(demo_db):
    district, actor = await _setting()
    today = clock.today()
    week = rec.week_of(today)
    # a card payment in escrow; the bank shows Stripe's payout of it, net of Stripe's fee
    await ledger.post(district.id, "card:sw-1", "card payment ch_sw1", [ledger.debit("escrow:card", 50_000), ledger.credit("dept_payable:test", 50_000)])
    await rec.import_bank_statement(actor, district.id, (f"date,description,reference,debit,credit,balance\n"
                                                         f"{today.isoformat()},STRIPE PAYMENTS INDIA PAYOUT,po_sw1,,490.00,\n").encode(), "bank.csv")
    data = _file(_txn("txn_swc1", "charge", 50_000, 1_000, "ch_sw1"), _txn("txn_swp1", "payout", -49_000, source="po_sw1"))
    before = await _books()
    clean = await rec.import_stripe_transactions(actor, district.id, data, "stripe.json")
    after_clean = await _books()
    assert after_clean == {"escrow:card": 0, "society_bank": before["society_bank"] + 49_000, "processor_fees": before["processor_fees"] + 1_000}
    one = _summary(await rec.build_report(district.id, *week))
    assert one[0] and one[1] == {"bank": {"statement": 1, "ledger": 1}, "stripe": {"statement": 2, "ledger": 2}}
    assert [m[:2] for m in one[2]] == [("bank", "card_payout"), ("stripe", "card_charge"), ("stripe", "card_fee"), ("stripe", "card_payout")]
    kept, _ = await saved.week_report(district.id, *week)  # the page's report, kept

    done = await sw.withdraw_import(actor, district.id, clean.id, REASON)
    assert (done.lines, sorted(done.reversed), done.kept) == (2, ["payout:po_sw1", "stripe_fee:txn_swc1"], {})
    assert await _books() == before  # the payout and the fee are taken back ...
    for key in ("payout:po_sw1", "stripe_fee:txn_swc1"):  # ... by reversing entries, dated as the entries they reverse
        entry, mirror = await LedgerEntry.get(idempotency_key=key), await LedgerEntry.get(idempotency_key=f"reverse:{key}")
        assert mirror.created_at == entry.created_at and f"Stripe import #{clean.id} withdrawn" in mirror.memo
    assert (await ledger.check())["balanced"]
    record = await AuditLog.get(action="statement.withdrawn", object_id=str(clean.id))
    assert sorted(record.detail["reversed"]) == ["payout:po_sw1", "stripe_fee:txn_swc1"] and record.detail["source"] == "stripe"
    # the week without it: the bank's payout unexplained, the card payment not paid out
    without = await rec.build_report(district.id, *week)
    assert without.matched == [] and [(i.scope, i.kind) for i in without.unmatched_statement] == [("bank", "other")]
    assert [(i.scope, i.kind, i.amount_paise) for i in without.unmatched_ledger] == [("stripe", "card_charge", 50_000)]
    stale, _ = await saved.week_report(district.id, *week)
    assert stale.matched == [] and kept.matched  # the kept report was computed again
    # withdrawn twice: refused, nothing more posted
    entries = await LedgerEntry.all().count()
    with pytest.raises(sw.WithdrawRefused, match=f"Import #{clean.id} was already withdrawn"):
        await sw.withdraw_import(actor, district.id, clean.id, REASON)
    assert await LedgerEntry.all().count() == entries

    # the same file again: posted again, once, under the keys' next generation; the week as with one clean import
    back = await rec.import_stripe_transactions(actor, district.id, data, "stripe.json")
    assert sorted((await AuditLog.get(action="statement.imported", object_id=str(back.id))).detail["posted"]) == [
        "payout:po_sw1#2", "stripe_fee:txn_swc1#2"]
    assert await _books() == after_clean and (await ledger.check())["balanced"]
    assert _summary(await rec.build_report(district.id, *week)) == one
    assert _summary(await rec.reconcile(actor, district.id, *week)) == one  # recorded, too
    # imported twice: refused, nothing more posted
    entries = await LedgerEntry.all().count()
    with pytest.raises(rec.StatementError, match="already imported"):
        await rec.import_stripe_transactions(actor, district.id, data, "stripe.json")
    assert await LedgerEntry.all().count() == entries and await _books() == after_clean
    # withdrawn and imported once more: the third generation, the same week again
    assert sorted((await sw.withdraw_import(actor, district.id, back.id, REASON)).reversed) == ["payout:po_sw1#2", "stripe_fee:txn_swc1#2"]
    assert await _books() == before
    await rec.import_stripe_transactions(actor, district.id, data, "again.json")
    assert await LedgerEntry.exists(idempotency_key="payout:po_sw1#3") and await _books() == after_clean
    assert _summary(await rec.build_report(district.id, *week)) == one and (await ledger.check())["balanced"]


async def test_what_the_import_found_or_another_import_vouches_for_is_not_reversed(demo_db):
    district, actor = await _setting()
    at = int(time.time()) - 7200
    # a payout booked by hand before Stripe's file came: the import finds it and does not post it
    await ledger.post(district.id, "payout:po_hand", "Stripe payout po_hand, booked from the bank's advice",
                      [ledger.debit("society_bank", 30_000), ledger.credit("escrow:card", 30_000)])
    hand = _file(_txn("txn_h1", "payout", -30_000, source="po_hand", at=at), _txn("txn_h2", "charge", 40_000, 800, "ch_h2", at=at))
    first = await rec.import_stripe_transactions(actor, district.id, hand, "hand.json")
    record = await AuditLog.get(action="statement.imported", object_id=str(first.id))
    assert record.detail["found"] == ["payout:po_hand"] and sorted(record.detail["posted"]) == ["payout:po_hand", "stripe_fee:txn_h2"]
    assert {(await LedgerEntry.get(id=r.entry_id)).idempotency_key: r.posted
            for r in await StatementEntry.filter(statement_id=first.id)} == {"payout:po_hand": False, "stripe_fee:txn_h2": True}
    bank = await ledger.balance("society_bank")
    done = await sw.withdraw_import(actor, district.id, first.id, REASON)
    assert done.reversed == ["stripe_fee:txn_h2"] and done.kept == {"payout:po_hand": "found"}
    assert await ledger.balance("society_bank") == bank and not await LedgerEntry.exists(idempotency_key="reverse:payout:po_hand")
    # imported again: the hand's payout is found again (not posted a second time), the fee posted again
    await rec.import_stripe_transactions(actor, district.id, hand, "hand.json")
    assert not await LedgerEntry.exists(idempotency_key="payout:po_hand#2") and await LedgerEntry.exists(idempotency_key="stripe_fee:txn_h2#2")
    assert await ledger.balance("society_bank") == bank and await ledger.balance("processor_fees") == 800

    # two live imports vouch for one payout (two transactions naming one po_): withdrawing one keeps it
    a = await rec.import_stripe_transactions(actor, district.id, _file(_txn("txn_a1", "payout", -12_000, source="po_both", at=at)), "a.json")
    b = await rec.import_stripe_transactions(actor, district.id, _file(_txn("txn_b1", "payout", -12_000, source="po_both", at=at)), "b.json")
    bank = await ledger.balance("society_bank")
    assert (await sw.withdraw_import(actor, district.id, a.id, REASON)).kept == {"payout:po_both": f"import #{b.id}"}
    assert await ledger.balance("society_bank") == bank
    # the last import vouching for it goes: an import posted it (a, withdrawn), so it is reversed, though b only found it
    assert (await sw.withdraw_import(actor, district.id, b.id, REASON)).reversed == ["payout:po_both"]
    assert await ledger.balance("society_bank") == bank - 12_000 and (await ledger.check())["balanced"]
    assert await StatementLine.filter(statement_id__in=[a.id, b.id]).count() == 0
    assert (await StatementImport.get(id=b.id)).withdrawn_at is not None


async def test_a_withdrawal_that_fails_part_way_leaves_everything_as_it_was(demo_db, monkeypatch):
    """One transaction or none: the reversing entries are written before the audit record; when that
    fails, no reversal stays, the lines stay, the import stays imported."""
    district, actor = await _setting()
    imp = await rec.import_stripe_transactions(actor, district.id, _file(_txn("txn_x1", "payout", -5_000, source="po_x1"),
                                                                         _txn("txn_x2", "charge", 9_000, 300, "ch_x2")), "x.json")
    books, entries = await _books(), await LedgerEntry.all().count()

    async def broken(*args, **kwargs):
        raise RuntimeError("the audit log's disk is full")

    monkeypatch.setattr(sw.audit, "record", broken)
    with pytest.raises(RuntimeError):
        await sw.withdraw_import(actor, district.id, imp.id, REASON)
    assert await _books() == books and await LedgerEntry.all().count() == entries
    assert await StatementLine.filter(statement_id=imp.id).count() == 2 and (await StatementImport.get(id=imp.id)).withdrawn_at is None
    monkeypatch.undo()
    assert sorted((await sw.withdraw_import(actor, district.id, imp.id, REASON)).reversed) == ["payout:po_x1", "stripe_fee:txn_x2"]


def test_the_society_withdraws_a_stripe_import_on_the_page_in_english_and_hindi(web):
    web.login("society")
    token = web.csrf("/society/reconciliation")
    at = int(time.time()) - 3600
    district = web.run(lambda: District.get(code="JP"))
    # a payout booked by hand before the file came
    web.run(lambda: ledger.post(district.id, "payout:po_pg0", "Stripe payout po_pg0, from the bank's advice",
                                [ledger.debit("society_bank", 7_000), ledger.credit("escrow:card", 7_000)]))
    data = _file(_txn("txn_pg1", "charge", 20_000, 500, "ch_pg1", at=at), _txn("txn_pg2", "payout", -19_500, source="po_pg1", at=at),
                 _txn("txn_pg3", "payout", -7_000, source="po_pg0", at=at))
    web.post("/society/reconciliation", data={"action": "import_stripe", "csrf_token": token},
             files={"file": ("stripe.json", data, "application/json")})
    imp = web.run(lambda: StatementImport.get(filename="stripe.json"))
    page = web.get("/society/reconciliation")
    assert f'name="import_id" value="{imp.id}"' in page.text and f"Withdraw import #{imp.id}" in page.text
    assert "A Stripe file can be withdrawn too" in page.text
    forged = web.post("/society/reconciliation", data={"action": "withdraw", "import_id": str(imp.id), "reason": REASON, "csrf_token": "x"})
    assert forged.status_code == 403 and web.run(lambda: StatementLine.filter(statement_id=imp.id).count()) == 3
    done = web.post("/society/reconciliation?lang=hi", data={"action": "withdraw", "import_id": str(imp.id), "reason": REASON,
                                                              "csrf_token": token})
    assert done.status_code == 200 and "इसके द्वारा दर्ज 2 बही प्रविष्टियाँ (Stripe के भुगतान और शुल्क) उलट दी गईं" in done.text
    assert "<code>payout:po_pg0</code> (आयात को बही में पहले से मिली: हाथ से दर्ज)" in done.text
    assert web.run(lambda: LedgerEntry.filter(idempotency_key__in=["reverse:payout:po_pg1", "reverse:stripe_fee:txn_pg1"]).count()) == 2
    assert not web.run(lambda: LedgerEntry.exists(idempotency_key="reverse:payout:po_pg0"))
    assert web.run(lambda: AuditLog.get(action="statement.withdrawn")).ip  # from the page: the address is kept
    assert web.run(ledger.check)["balanced"]
    again = web.post("/society/reconciliation?lang=en", data={"action": "withdraw", "import_id": str(imp.id), "reason": REASON,
                                                               "csrf_token": token})
    assert again.status_code == 400 and f"Import #{imp.id} was already withdrawn" in again.text
    web.logout()
    web.login("operator1")
    assert web.post("/society/reconciliation", data={"action": "withdraw", "import_id": str(imp.id), "reason": REASON,
                                                     "csrf_token": web.csrf("/counter/cases")}).status_code == 403

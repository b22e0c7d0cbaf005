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


async def test_a_stripe_file_another_district_booked_is_refused_naming_that_district(demo_db):
    """Decision 106: a payout or fee another district's books hold is that district's money. The
    import used to "find" it and book nothing, and its statement_entry rows vouched for the other
    district's entries; now the file is refused whole, naming the transactions and the district."""
    jaipur, actor = await _setting()
    ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    at = int(time.time()) - 7200
    data = _file(_txn("txn_d1", "charge", 40_000, 800, "ch_d1", at=at), _txn("txn_d2", "payout", -39_200, source="po_d2", at=at))
    first = await rec.import_stripe_transactions(actor, jaipur.id, data, "stripe.json")
    counts = (await LedgerEntry.all().count(), await StatementImport.all().count(), await StatementEntry.all().count(),
              await AuditLog.filter(action="statement.imported").count())
    with pytest.raises(rec.StatementError) as refused:
        await rec.import_stripe_transactions(actor, ajmer.id, data, "stripe.json")
    [error] = refused.value.errors
    assert "Transactions txn_d1, txn_d2 of this file are already booked in the books of district JP (Jaipur), " \
           f"by its import #{first.id}" in error.message_en
    assert "nothing was imported" in error.message_en and "import it there" in error.message_en
    assert "this district's own Stripe account" in error.message_en
    assert "ज़िला JP (जयपुर) की बही में पहले से दर्ज हैं" in error.message_hi and "कुछ आयात नहीं हुआ" in error.message_hi
    assert (await LedgerEntry.all().count(), await StatementImport.all().count(), await StatementEntry.all().count(),
            await AuditLog.filter(action="statement.imported").count()) == counts  # nothing written
    assert not await LedgerEntry.filter(district_id=ajmer.id).exists()

    # an import into Ajmer before this rule "found" Jaipur's entries, and its rows vouch for them: they do not keep them
    before = await rec.import_stripe_transactions(actor, ajmer.id, _file(_txn("txn_d0", "charge", 1_000, 0, "ch_d0", at=at)), "old.json")
    await StatementEntry.bulk_create([StatementEntry(statement_id=before.id, entry_id=e.id, posted=False)
                                      for e in await LedgerEntry.filter(district_id=jaipur.id, idempotency_key__in=["payout:po_d2", "stripe_fee:txn_d1"])])
    # the file was Ajmer's: Jaipur withdraws it, and Ajmer's import books its payout and fee in Ajmer's books
    done = await sw.withdraw_import(actor, jaipur.id, first.id, REASON)
    assert (sorted(done.reversed), done.kept) == (["payout:po_d2", "stripe_fee:txn_d1"], {})
    mine = await rec.import_stripe_transactions(actor, ajmer.id, data, "stripe.json")
    assert sorted(await LedgerEntry.filter(district_id=ajmer.id).values_list("idempotency_key", flat=True)) == [
        "payout:po_d2#2", "stripe_fee:txn_d1#2"]
    assert {r.entry_id for r in await StatementEntry.filter(statement_id=mine.id)} == set(
        await LedgerEntry.filter(district_id=ajmer.id).values_list("id", flat=True))
    # the old import's rows are wrong all the same: the ledger check names them (decision 112), until they are deleted
    checked = await ledger.check()
    assert not checked["balanced"] and [p.split(" (table")[0] for p in checked["problems"]] == [
        f"import #{before.id} of district AJ vouches for entry {key} of district JP's books" for key in ("stripe_fee:txn_d1", "payout:po_d2")]
    await StatementEntry.filter(statement_id=before.id).delete()
    assert (await ledger.check())["balanced"]

    # a payout booked by hand in Ajmer's books is refused to Jaipur's file too, said to be booked by hand
    await ledger.post(ajmer.id, "payout:po_d9", "Stripe payout po_d9, from the bank's advice",
                      [ledger.debit("society_bank", 5_000), ledger.credit("escrow:card", 5_000)])
    with pytest.raises(rec.StatementError, match=r"Transactions txn_d9 of this file are already booked in the books of "
                                                 r"district AJ \(Ajmer\), booked there by hand"):
        await rec.import_stripe_transactions(actor, jaipur.id, _file(_txn("txn_d9", "payout", -5_000, source="po_d9", at=at)), "d9.json")
    assert not await LedgerEntry.filter(district_id=jaipur.id, idempotency_key__startswith="payout:po_d9").exists()


async def test_a_file_of_charges_another_districts_import_holds_is_refused_naming_that_import(demo_db):
    """Decision 112: a file of charges without a fee posts nothing, so decision 106's look at the
    books let it into a second district, where its charges showed as that district's unexplained
    Stripe lines. A Stripe transaction id is Stripe's alone: a line another district's live import
    holds is that district's money, and the file is refused whole, naming the district and import."""
    jaipur, actor = await _setting()
    ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    at = int(time.time()) - 7200
    charges = [_txn(f"txn_q{n}", "charge", 10_000 + n, 0, f"ch_q{n}", at=at) for n in range(1, 8)]
    first = await rec.import_stripe_transactions(actor, jaipur.id, _file(*charges), "charges.json")
    assert not await StatementEntry.filter(statement_id=first.id).exists()  # nothing posted: the books cannot tell
    counts = (await LedgerEntry.all().count(), await StatementImport.all().count(), await StatementLine.all().count(),
              await AuditLog.filter(action="statement.imported").count())
    with pytest.raises(rec.StatementError) as refused:
        await rec.import_stripe_transactions(actor, ajmer.id, _file(*charges), "charges.json")
    [error] = refused.value.errors
    assert error.message_en.startswith("Transactions txn_q1, txn_q2, txn_q3, txn_q4, txn_q5 and 2 more of this file are already imported "
                                       f"in district JP (Jaipur), by its import #{first.id}. A Stripe id is Stripe's alone, so a transaction "
                                       "is the money of one district"), error.message_en
    assert "nothing was imported" in error.message_en and "this district's own Stripe account" in error.message_en
    assert f"ज़िला JP (जयपुर) के आयात #{first.id} में पहले से हैं" in error.message_hi and "कुछ आयात नहीं हुआ" in error.message_hi
    # one of Jaipur's charges in a file of Ajmer's own: refused too, that transaction named
    own = _txn("txn_q9", "charge", 5_000, 100, "ch_q9", at=at)
    with pytest.raises(rec.StatementError, match=r"Transactions txn_q3 of this file are already imported in district JP \(Jaipur\)"):
        await rec.import_stripe_transactions(actor, ajmer.id, _file(own, charges[2]), "mixed.json")
    assert (await LedgerEntry.all().count(), await StatementImport.all().count(), await StatementLine.all().count(),
            await AuditLog.filter(action="statement.imported").count()) == counts  # nothing written
    # the file was Ajmer's: Jaipur withdraws it, and it imports in Ajmer
    await sw.withdraw_import(actor, jaipur.id, first.id, REASON)
    assert (await rec.import_stripe_transactions(actor, ajmer.id, _file(*charges), "charges.json")).lines == 7


async def test_a_bank_line_a_run_matched_to_a_payout_the_withdrawal_reverses_is_unmatched_at_once(demo_db):
    """Decision 107: the bank's credit of a Stripe payout, matched to it by a recorded run, kept that
    mark after a withdrawal reversed the payout, until its week was run again (and a withdrawal of
    the bank statement then counted it as matched). The withdrawal clears it, and names its week."""
    district, actor = await _setting()
    monday = rec.week_of(clock.today())[0]
    sunday = monday - dt.timedelta(days=1)  # Stripe pays out on Sunday, the bank credits it on Monday: the next week
    at = int(dt.datetime.combine(sunday, dt.time(12), tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))).timestamp())
    await ledger.post(district.id, "card:sw-m", "card payment ch_m1", [ledger.debit("escrow:card", 50_000), ledger.credit("dept_payable:test", 50_000)])
    bank = await rec.import_bank_statement(actor, district.id, (f"date,description,reference,debit,credit,balance\n"
                                                                f"{monday.isoformat()},STRIPE PAYMENTS INDIA PAYOUT,po_m1,,490.00,\n").encode(), "bank.csv")
    stripe = await rec.import_stripe_transactions(actor, district.id, _file(_txn("txn_mc1", "charge", 50_000, 1_000, "ch_m1", at=at),
                                                                            _txn("txn_mp1", "payout", -49_000, source="po_m1", at=at)), "stripe.json")
    payout = await LedgerEntry.get(idempotency_key="payout:po_m1")
    week = rec.week_of(monday)
    run = await rec.reconcile(actor, district.id, *week)
    assert [(p.scope, p.kind, p.how) for p in run.matched] == [("bank", "card_payout", "reference")]
    line = await StatementLine.get(statement_id=bank.id)
    assert (line.matched_kind, line.matched_id) == ("card_payout", f"entry:{payout.id}")
    kept, _ = await saved.week_report(district.id, *week)
    assert kept.matched and kept.recorded

    done = await sw.withdraw_import(actor, district.id, stripe.id, REASON)
    line = await StatementLine.get(statement_id=bank.id)
    assert (line.matched_kind, line.matched_id) == ("", "")  # free at once, not at the week's next run
    assert done.weeks == [rec.week_of(sunday), week]  # the file's week, and the bank line's to run again
    assert "payout:po_m1" in done.reversed and done.unmarked == 1
    assert (await AuditLog.get(action="statement.withdrawn", object_id=str(stripe.id))).detail["unmarked"] == 1
    shown, _ = await saved.week_report(district.id, *week)  # the kept report is computed again: the credit is unexplained
    assert shown.matched == [] and [(i.scope, i.amount_paise) for i in shown.unmatched_statement] == [("bank", 49_000)]
    # the bank statement withdrawn after it: none of its lines is still counted as matched
    assert (await sw.withdraw_import(actor, district.id, bank.id, "the bank's statement, taken again below")).marked == 0


async def test_a_stripe_import_whose_record_of_what_it_posted_was_lost_is_not_withdrawn_blindly(demo_db):
    """Decision 107: an import from before migration 0028 whose audit record was lost has no
    statement_entry rows. Its withdrawal used to reverse nothing and succeed silently, leaving its
    payouts and fees in the books; it is refused while the books hold an entry its lines move."""
    district, actor = await _setting()
    at = int(time.time()) - 7200
    old = await rec.import_stripe_transactions(actor, district.id, _file(_txn("txn_o1", "payout", -6_000, source="po_o1", at=at),
                                                                         _txn("txn_o2", "charge", 9_000, 300, "ch_o2", at=at)), "old.json")
    await StatementEntry.filter(statement_id=old.id).delete()  # as migration 0028 left it, without the audit record to read
    books, entries = await _books(), await LedgerEntry.all().count()
    with pytest.raises(sw.WithdrawRefused) as refused:
        await sw.withdraw_import(actor, district.id, old.id, REASON)
    assert f"Import #{old.id} was made before emitra recorded which ledger entries a Stripe import posted" in refused.value.message_en
    assert "payout:po_o1, stripe_fee:txn_o2" in refused.value.message_en and "reversed by hand" in refused.value.message_en
    assert "कुछ वापस नहीं लिया गया" in refused.value.message_hi
    assert await _books() == books and await LedgerEntry.all().count() == entries
    assert await StatementLine.filter(statement_id=old.id).count() == 2 and (await StatementImport.get(id=old.id)).withdrawn_at is None
    # the accountant reverses by hand what the Stripe file shows the import posted: then it is withdrawn, its lines only
    for key in ("payout:po_o1", "stripe_fee:txn_o2"):
        await ledger.reverse(await LedgerEntry.get(idempotency_key=key), f"{key} posted by import #{old.id}, reversed by hand")
    done = await sw.withdraw_import(actor, district.id, old.id, REASON)
    assert (done.lines, done.reversed) == (2, []) and (await ledger.check())["balanced"]

    # an import that moved nothing (a charge without a fee) has no rows either, and is withdrawn as before
    bare = await rec.import_stripe_transactions(actor, district.id, _file(_txn("txn_o3", "charge", 2_000, 0, "ch_o3", at=at)), "bare.json")
    assert not await StatementEntry.filter(statement_id=bare.id).exists()
    assert (await sw.withdraw_import(actor, district.id, bare.id, REASON)).lines == 1


def test_the_page_refuses_another_districts_payout_in_hindi_and_names_the_lines_unmatched_again(web):
    web.login("society")
    token = web.csrf("/society/reconciliation")
    jaipur = web.run(lambda: District.get(code="JP"))
    today, at = clock.today(), int(time.time()) - 3600

    async def ajmer_books_a_payout() -> None:
        ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
        await ledger.post(ajmer.id, "payout:po_pw9", "Stripe payout po_pw9, from the bank's advice",
                          [ledger.debit("society_bank", 4_000), ledger.credit("escrow:card", 4_000)])

    web.run(ajmer_books_a_payout)
    refused = web.post("/society/reconciliation?lang=hi", data={"action": "import_stripe", "csrf_token": token},
                       files={"file": ("ajmer.json", _file(_txn("txn_pw9", "payout", -4_000, source="po_pw9", at=at)), "application/json")})
    assert refused.status_code == 400
    assert "इस फ़ाइल के लेन-देन txn_pw9 ज़िला AJ (अजमेर) की बही में पहले से दर्ज हैं, वहाँ हाथ से दर्ज" in refused.text
    assert not web.run(lambda: StatementImport.exists(filename="ajmer.json"))

    # Jaipur's own payout, credited by the bank and matched by a recorded run; then its Stripe file withdrawn
    web.run(lambda: ledger.post(jaipur.id, "card:pw-1", "card payment ch_pw1",
                                [ledger.debit("escrow:card", 20_000), ledger.credit("dept_payable:test", 20_000)]))
    web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token}, files={"file": (
        "bank.csv", f"date,description,reference,debit,credit,balance\n{today.isoformat()},STRIPE PAYOUT,po_pw1,,195.00,\n".encode(), "text/csv")})
    web.post("/society/reconciliation", data={"action": "import_stripe", "csrf_token": token}, files={"file": (
        "stripe.json", _file(_txn("txn_pw1", "charge", 20_000, 500, "ch_pw1", at=at), _txn("txn_pw2", "payout", -19_500, source="po_pw1", at=at)),
        "application/json")})
    web.post("/society/reconciliation", data={"action": "run", "week": today.isoformat(), "csrf_token": token})
    imp = web.run(lambda: StatementImport.get(filename="stripe.json"))
    done = web.post("/society/reconciliation?lang=en", data={"action": "withdraw", "import_id": str(imp.id), "reason": REASON,
                                                              "csrf_token": token})
    assert done.status_code == 200
    assert "1 statement line of other imports that a recorded run had matched to the payouts reversed" in done.text and "is unmatched again" in done.text
    assert not web.run(lambda: StatementLine.exclude(matched_id="").exists())

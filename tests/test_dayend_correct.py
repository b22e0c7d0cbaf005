"""A day end's count corrected while its deposit is not confirmed (decision 162): the day end, its
slip and the reconciliation see the corrected deposit, the ledger stays balanced by one adjusting
entry, and a confirmed or reconciled deposit, or the wrong person, is refused. Through the core,
the page and the command line."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest

from emitra.core import clock, dayend, drawer_totals, ledger, memos
from emitra.core import counter as counter_core
from emitra.core import reconcile as rec
from emitra.core import reconcile_saved
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, Counter, DayEnd, District, LedgerEntry, Posting, User
from emitra.core.plugins import get_host
from tests.test_cli import run as emitra

IST = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2026, 11, 20)
BILL, K = "gov.rj.jvvnl.bill", "210412345678"  # ₹1,483.50, the charge paid by JVVNL
BIRTH = "gov.rj.pehchan.birth_certificate"  # Rs 10 paid by the citizen
PHOTOCOPY = "pvt.lsp.photocopy"  # the LSP's own sale, kept back whole


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=IST)


SOON = at(DAY, 21)  # two hours after :func:`_kiosk_day`'s close at 19:00: within the operator's window (decision 166)


async def _operator(username: str) -> tuple[Actor, Counter, Citizen]:
    user = await User.get(username=username)
    return Actor(user, via="test"), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


async def _as(username: str) -> Actor:
    return Actor(await User.get(username=username), via="test")


async def _kiosk_day(counted: int) -> tuple[Actor, Counter, DayEnd]:
    """JP-JM-001 (split 30% LSP, 50% kiosk owner) on 20-11-2026: a bill (₹1,483.50), a birth
    certificate application (Rs 10 by the citizen: ₹8 kept back) and 25 photocopies (₹50, kept back):
    ₹1,543.50 expected, ₹58 kept back, ₹1,485.50 to deposit; closed with ``counted``."""
    actor, kiosk, citizen = await _operator("operator2")
    kiosk.split_lsp_bp, kiosk.split_owner_bp, kiosk.split_society_bp = 3000, 5000, 2000
    await kiosk.save()
    example = dict(get_host().registry.get(BIRTH).example)
    for key, code, data in [("c-1", BILL, {"k_number": K}), ("c-2", BIRTH, example), ("c-3", PHOTOCOPY, {"quantity": 25, "both_sides": True})]:
        await counter_core.record_cash(actor, kiosk, citizen, code, data, key)
    await drawer_totals.redate(LedgerEntry.all(), at(DAY, 11))
    return actor, kiosk, await dayend.close_day(actor, kiosk, DAY, counted, now=at(DAY, 19))


async def _books() -> dict[str, int]:
    return {a: await ledger.balance(a) for a in ("counter_cash:JP-JM-001", "deposit_in_transit:JP-JM-001", "cash_over_short:JP-JM-001",
                                                 "lsp_fee_payable:1", "owner_fee_payable:JP-JM-001", "lsp_sales:1")}


pytestmark = pytest.mark.anyio


async def test_a_count_typed_short_is_corrected_with_one_balanced_entry_and_audited(demo_db):
    """₹15.00 typed for ₹1,543.50: the drawer looked ₹1,528.50 short, and the counter could keep back
    only ₹15 of its ₹58 (nothing was left to deposit). Corrected, the day end is as if the count had
    been typed right: everything kept back, ₹1,485.50 to deposit, no shortage, not flagged."""
    actor, kiosk, day_end = await _kiosk_day(1_500)
    assert (day_end.retained_paise, day_end.deposit_paise, day_end.difference_paise, day_end.status) == (1_500, 0, -152_850, "flagged")
    closing = await LedgerEntry.get(idempotency_key=f"dayend:JP-JM-001:{DAY}")
    posted_at_close = sorted(await Posting.filter(entry=closing).values_list("account", "amount_paise"))
    done = await dayend.correct_count(actor, day_end, 154_350, "typed 15.00 for 1543.50", was_paise=1_500, now=SOON)
    d = await DayEnd.get(id=day_end.id)
    assert (d.counted_paise, d.retained_paise, d.deposit_paise, d.difference_paise, d.status) == (154_350, 5_800, 148_550, 0, "closed")
    assert d.slip_no == day_end.slip_no and d.business_date == DAY and d.confirmed_at is None
    assert "count corrected from ₹15.00 to ₹1,543.50 by operator2" in d.note and "shortage" not in d.note
    assert "गिनती ₹15.00 से ₹1,543.50 सुधारी गई" in d.note_hi
    # the books as if the count had been right: the drawer emptied, the deposit in transit, nothing short
    assert await _books() == {"counter_cash:JP-JM-001": 0, "deposit_in_transit:JP-JM-001": 148_550, "cash_over_short:JP-JM-001": 0,
                              "lsp_fee_payable:1": -119, "owner_fee_payable:JP-JM-001": -197, "lsp_sales:1": 0}
    # the close's entry untouched; one adjusting entry beside it, dated as it, never moving the drawer
    assert sorted(await Posting.filter(entry=closing).values_list("account", "amount_paise")) == posted_at_close
    fix = await LedgerEntry.get(idempotency_key=f"dayend:JP-JM-001:{DAY}:fix1")
    assert done.key == fix.idempotency_key and fix.created_at == closing.created_at
    lines = dict(await Posting.filter(entry=fix).values_list("account", "amount_paise"))
    # ₹1,485.50 more in transit, ₹1,528.50 less short, and the ₹43 of photocopies the drawer could not cover now kept back
    assert lines == {"deposit_in_transit:JP-JM-001": 148_550, "cash_over_short:JP-JM-001": -152_850, "lsp_sales:1": 4_300}
    assert memos.hindi(fix.memo) == f"दिवस-समापन JP-JM-001 {DAY}, जमा पर्ची {d.slip_no}: गिनती ₹15.00 से ₹1,543.50 सुधारी गई"
    assert (await ledger.check())["balanced"]
    log = await AuditLog.get(action="dayend.count_corrected", object_id=str(d.id))
    assert log.actor_name == "operator2" and log.detail["reason"] == "typed 15.00 for 1543.50" and log.detail["entry"] == fix.idempotency_key
    assert log.detail["old"] == {"counted_paise": 1_500, "retained_paise": 1_500, "deposit_paise": 0, "difference_paise": -152_850, "status": "flagged"}
    assert log.detail["new"] == {"counted_paise": 154_350, "retained_paise": 5_800, "deposit_paise": 148_550, "difference_paise": 0, "status": "closed"}
    # the same correction sent again (a double click): nothing more written
    entries, records = await LedgerEntry.all().count(), await AuditLog.all().count()
    again = await dayend.correct_count(actor, day_end, 154_350, "typed 15.00 for 1543.50", was_paise=1_500, now=SOON)
    assert again.repeated and await LedgerEntry.all().count() == entries and await AuditLog.all().count() == records
    # a form typed against the old count, another amount: the day end changed meanwhile, refused
    with pytest.raises(dayend.MoneyError, match="corrected meanwhile: it now says ₹1,543.50") as err:
        await dayend.correct_count(actor, day_end, 150_000, "another count", was_paise=1_500, now=SOON)
    assert err.value.field == "counted"
    # a second correction (the Society's, ₹10 short after all): its own entry, the books follow
    second = await dayend.correct_count(await _as("society"), day_end, 153_350, "the bank's counterfoil says 1475.50")
    assert second.key == f"dayend:JP-JM-001:{DAY}:fix2"
    d = await DayEnd.get(id=day_end.id)
    assert (d.deposit_paise, d.difference_paise, d.status) == (147_550, -1_000, "flagged") and "shortage ₹10.00" in d.note
    assert (await _books())["deposit_in_transit:JP-JM-001"] == 147_550 and (await _books())["cash_over_short:JP-JM-001"] == 1_000
    assert (await ledger.check())["balanced"]


async def test_only_the_counters_operator_or_the_society_corrects_and_bad_input_is_named(demo_db):
    actor, kiosk, day_end = await _kiosk_day(150_000)
    for username in ("operator1", "lsp", "officer"):  # another counter's operator, the LSP admin, an officer
        with pytest.raises(dayend.MoneyError, match="Only an operator of counter JP-JM-001, or the district Society") as err:
            await dayend.correct_count(await _as(username), day_end, 154_350, "typed wrong")
        assert err.value.field == "actor" and "JP-JM-001" in err.value.message_hi, username
    with pytest.raises(dayend.MoneyError) as err:
        await dayend.correct_count(Actor(None, via="cli"), day_end, 154_350, "typed wrong")
    assert err.value.field == "actor"
    with pytest.raises(dayend.MoneyError) as err:
        await dayend.correct_count(actor, day_end, -5, "typed wrong", now=SOON)
    assert err.value.field == "counted"
    for reason in ("", "  ok  ", "x" * 301):
        with pytest.raises(dayend.MoneyError, match="Say why the count is corrected") as err:
            await dayend.correct_count(actor, day_end, 154_350, reason, now=SOON)
        assert err.value.field == "reason"
    assert (await DayEnd.get(id=day_end.id)).counted_paise == 150_000
    assert not await LedgerEntry.filter(idempotency_key__startswith=f"dayend:JP-JM-001:{DAY}:fix").exists()
    assert not await AuditLog.filter(action="dayend.count_corrected").exists()


async def test_a_confirmed_deposit_is_not_corrected_and_says_what_to_do(demo_db):
    actor, kiosk, day_end = await _kiosk_day(150_000)
    await dayend.confirm_deposit(await _as("society"), day_end, "UTR-5", 144_200)
    entries = await LedgerEntry.all().count()
    for who in (actor, await _as("society")):
        with pytest.raises(dayend.MoneyError, match=f"Deposit slip {day_end.slip_no} was confirmed on .* with bank reference UTR-5") as err:
            await dayend.correct_count(who, day_end, 154_350, "typed wrong")
        assert err.value.field == "slip" and "reversing entry" in err.value.message_en and "पुष्टि" in err.value.message_hi
    assert await LedgerEntry.all().count() == entries and (await DayEnd.get(id=day_end.id)).counted_paise == 150_000
    assert not await AuditLog.filter(action="dayend.count_corrected").exists()


@pytest.mark.parametrize("batch", [False, True])
async def test_a_count_corrected_while_a_confirmation_waits_for_the_lock_is_confirmed_as_corrected(demo_db, monkeypatch, batch):
    """The operator corrects the count at the moment the Society confirms the bank's credit: the
    confirmation, which read the slip before taking the district's lock, compares the credit with
    the corrected slip (it flagged a difference that was not there, from the count first typed); so
    does a batch of confirmations (the reconciliation's)."""
    actor, kiosk, day_end = await _kiosk_day(150_000)  # ₹1,442.00 to deposit as typed
    locked = dayend._lock_districts
    corrected: list[bool] = []

    async def corrected_meanwhile(ids):
        if not corrected:  # the confirmation's turn comes after the operator's correction
            corrected.append(True)
            await dayend.correct_count(actor, day_end, 154_350, "typed 1500 for 1543.50", now=SOON)
        await locked(ids)

    monkeypatch.setattr(dayend, "_lock_districts", corrected_meanwhile)
    society = await _as("society")
    if batch:  # as the weekly reconciliation confirms its matched deposits
        [done] = await dayend.confirm_deposits(society, [(day_end, "UTR-6", 148_550, None)])
    else:
        done = await dayend.confirm_deposit(society, day_end, "UTR-6", 148_550)
    assert corrected and (done.deposit_paise, done.status) == (148_550, "confirmed") and "bank credited" not in done.note
    assert (await DayEnd.get(id=day_end.id)).status == "confirmed"
    assert await ledger.balance("deposit_in_transit:JP-JM-001") == 0 and (await ledger.check())["balanced"]


# --- the reconciliation sees the corrected deposit ------------------------------------------------

async def _closed_today(username: str, k_number: str, key: str, counted: int | None = None) -> DayEnd:
    actor, counter, citizen = await _operator(username)
    await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": k_number}, key)
    figures = await dayend.figures(counter, clock.today())
    return await dayend.close_day(actor, counter, clock.today(), figures.expected_paise if counted is None else counted)


async def test_the_reconciliation_matches_the_corrected_deposit_and_a_reconciled_one_is_refused(demo_db):
    district, society = await District.get(code="JP"), await _as("society")
    a = await _closed_today("operator1", "210412345678", "rc-a")  # ₹1,483.50, counted right
    b = await _closed_today("operator2", "210412345679", "rc-b", counted=620_000)  # ₹620.00 typed as ₹6,200.00
    day = clock.today().isoformat()
    bank = (f"date,description,reference,debit,credit,balance\n"
            f"{day},CASH DEPOSIT {a.slip_no},BR-1,,1483.50,\n"
            f"{day},CASH DEPOSIT {b.slip_no},BR-2,,620.00,\n")
    await rec.import_bank_statement(society, district.id, bank.encode(), "bank.csv")
    start, end = rec.week_of(clock.today())
    # a recorded run, deposits not confirmed: BR-1 matched exactly, BR-2 differs by the mistyped count
    report = await rec.reconcile(society, district.id, start, end)
    assert [(p.kind, p.statement.reference, p.ledger.amount_paise) for p in report.differing] == [("deposit", "BR-2", 620_000)]
    snapshot = await reconcile_saved.latest(district.id, start, end, recorded=True)
    assert await reconcile_saved.is_current(snapshot)
    # the deposit the bank matched exactly is not corrected; the one it shows otherwise is
    with pytest.raises(dayend.MoneyError, match=f"A recorded reconciliation matched deposit slip {a.slip_no}") as err:
        await dayend.correct_count(Actor(await User.get(username="operator1")), a, 100_000, "typed wrong")
    assert err.value.field == "slip" and "Confirm the deposit instead" in err.value.message_en
    await dayend.correct_count(society, b, 62_000, "an extra zero typed")
    assert not await reconcile_saved.is_current(snapshot)  # the kept report no longer holds: computed again
    again = await rec.build_report(district.id, start, end)
    assert again.differing == [] and {p.statement.reference for p in again.matched if p.kind == "deposit"} == {"BR-1", "BR-2"}
    assert all(r.ok for r in again.accounts) and again.ok
    confirmed = await rec.reconcile(society, district.id, start, end, confirm_deposits=True)
    assert sorted(confirmed.confirmed) == sorted([a.slip_no, b.slip_no])
    assert await ledger.balance("society_bank") == 148_350 + 62_000 and (await ledger.check())["balanced"]


# --- the page -----------------------------------------------------------------------------------

def _take_cash(web, username: str, key: str) -> None:
    async def go():
        actor, counter, citizen = await _operator(username)
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, key)
    web.run(go)


def _today() -> str:
    return dt.datetime.now(IST).date().isoformat()


def test_the_operator_corrects_a_count_on_the_page_and_the_slip_and_the_society_see_it(web):
    _take_cash(web, "operator1", "w-1")
    web.login("operator1")
    closed = web.post_form("/counter/dayend", {"counted": "148.35", "date": _today()})  # ₹1,483.50 typed as ₹148.35
    slip = closed.headers["location"].rsplit("/", 1)[-1]
    page = web.get(f"/dayend/{slip}")
    assert 'id="correct-link"' in page.text
    form = web.get(f"/dayend/{slip}/correct")
    assert form.status_code == 200 and 'name="was" value="14835"' in form.text and 'id="deposit-now">₹148.35<' in form.text
    path = f"/dayend/{slip}/correct"
    assert web.post(path, data={"counted": "1483.50", "reason": "typed wrong", "was": "14835"}).status_code == 403  # no CSRF token
    bad = web.post_form(path, {"counted": "14,83.5O", "reason": "typed wrong", "was": "14835"})
    assert bad.status_code == 400 and "Cash counted in the drawer" in bad.text and 'aria-invalid="true"' in bad.text
    no_reason = web.post_form(path, {"counted": "1483.50", "reason": "", "was": "14835"})
    assert no_reason.status_code == 400 and "Reason: Say why the count is corrected" in html.unescape(no_reason.text)
    assert 'value="1483.50"' in no_reason.text  # what was typed is kept, to be completed
    same = web.post_form(path, {"counted": "148.35", "reason": "typed wrong", "was": "14835"})
    assert same.status_code == 400 and "the day end already says ₹148.35" in same.text
    assert web.run(lambda: DayEnd.get(slip_no=slip)).counted_paise == 14_835
    token = web.csrf(path)
    sent = {"counted": "1,483.50", "reason": "typed 148.35 for 1483.50", "was": "14835", "csrf_token": token}
    done = web.client.post(path, data=sent)
    assert done.status_code == 303 and done.headers["location"] == f"/dayend/{slip}?corrected=1"
    twice = web.client.post(path, data=sent)  # the same form sent again: the corrected slip, nothing more
    assert twice.status_code == 303 and twice.headers["location"] == done.headers["location"]
    assert web.run(lambda: AuditLog.filter(action="dayend.count_corrected").count()) == 1
    shown = web.get(done.headers["location"])
    assert 'id="corrected"' in shown.text and 'id="slip-deposit">₹1,483.50<' in shown.text and "Shortage" not in shown.text
    assert "count corrected from ₹148.35 to ₹1,483.50 by operator1" in shown.text
    own = web.get(f"/counter/dayend?date={_today()}")
    assert "This day is closed." in own.text and "₹1,483.50" in own.text and 'id="difference"' not in own.text
    web.logout()
    # the LSP admin reads the slip but does not correct it; another counter's operator does not see it
    web.login("lsp")
    assert 'id="correct-link"' not in web.get(f"/dayend/{slip}").text
    assert web.get(path).status_code == 403
    web.logout()
    web.login("operator2")
    assert web.get(path).status_code == 404
    web.logout()
    # the Society sees the corrected deposit awaited, and, once confirmed, the page says why it is not corrected
    web.login("society")
    listed = web.get("/society/dayends?status=awaiting")
    assert re.search(r'id="awaiting-total".*?₹1,483.50', listed.text, re.S)
    day_end = web.run(lambda: DayEnd.get(slip_no=slip))
    assert web.post_form(f"/society/dayends/{day_end.id}/confirm", {"bank_reference": "UTR-W1", "amount": "1483.50"},
                         token_from="/society/dayends").status_code == 303
    refused_page = web.get(path)
    assert refused_page.status_code == 200 and 'id="not-correctable"' in refused_page.text and 'name="counted"' not in refused_page.text
    assert 'id="correct-link"' not in web.get(f"/dayend/{slip}").text
    refused = web.post_form(path, {"counted": "1400", "reason": "typed wrong", "was": "148350"}, token_from=f"/dayend/{slip}")
    assert refused.status_code == 400 and f"Deposit slip {slip} was confirmed on" in refused.text
    # in Hindi
    web.get("/lang/hi?next=/")
    hindi = web.get(path)
    assert "गिनती सुधारें" in hindi.text and "पुष्टि" in hindi.text
    assert web.run(lambda: ledger.check())["balanced"]


# --- the command line ----------------------------------------------------------------------------

def test_the_command_line_corrects_a_count_through_the_same_function(tmp_path):
    env = {"EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}

    def _cli(*args, env):
        return emitra(*args, env_extra=env, tmp_path=tmp_path)

    assert _cli("db", "migrate", env=env).returncode == 0
    assert _cli("demo", env=env).returncode == 0
    today = _today()
    closed = _cli("dayend", "close", "JP-LM-001", "--date", today, "--counted", "5", "--as", "operator1", env=env)
    assert closed.returncode == 0, closed.stderr
    slip = re.search(r"deposit slip (DS\w+)", closed.stdout)[1]
    lsp = _cli("dayend", "correct", slip, "--counted", "0", "--reason", "typed 5 for 0", "--as", "lsp", env=env)
    assert lsp.returncode != 0 and "--as: Only an operator of counter JP-LM-001" in lsp.stderr
    bad = _cli("dayend", "correct", slip, "--counted", "0", "--reason", "no", "--as", "operator1", env=env)
    assert bad.returncode != 0 and "--reason: Say why the count is corrected" in bad.stderr
    ok = _cli("dayend", "correct", slip, "--counted", "0", "--reason", "the drawer was empty", "--as", "operator1", env=env)
    assert ok.returncode == 0, ok.stderr
    assert f"deposit slip {slip} corrected: counted ₹5.00 -> ₹0.00, to deposit ₹5.00 -> ₹0.00, status closed" in ok.stdout
    again = _cli("dayend", "correct", slip, "--counted", "0", "--reason", "the drawer was empty", "--as", "operator1", env=env)
    assert again.returncode == 0 and "already says ₹0.00 counted: nothing changed" in again.stdout
    # a day and an hour later (decision 166): the operator is refused, saying until when he could; the Society corrects
    later = {**env, "EMITRA_NOW": (dt.datetime.now(IST) + dt.timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M")}
    late = _cli("dayend", "correct", slip, "--counted", "5", "--reason", "found the five rupees", "--as", "operator1", env=later)
    assert late.returncode != 0 and f"--as: The counter's operator could correct the count of deposit slip {slip} until " in late.stderr
    assert "now only the district Society corrects it" in late.stderr
    society = _cli("dayend", "correct", slip, "--counted", "5", "--reason", "found the five rupees", "--as", "society", env=later)
    assert society.returncode == 0 and f"deposit slip {slip} corrected: counted ₹0.00 -> ₹5.00" in society.stdout


# --- the operator's window (decision 166) ---------------------------------------------------------

async def test_the_operator_corrects_until_his_window_ends_and_then_only_the_society(demo_db, monkeypatch):
    """Closed on 20-11-2026 at 19:00: the counter's operator corrects the count until 21-11-2026 19:00
    (EMITRA_DAYEND_CORRECTION_HOURS, 24 by default), that moment included; a minute later he is
    refused, saying who may and until when he could, and nothing is written; the Society corrects
    it days later."""
    actor, kiosk, day_end = await _kiosk_day(150_000)
    deadline = at(DAY + dt.timedelta(days=1), 19)
    assert dayend.correction_deadline(day_end) == deadline
    late = deadline + dt.timedelta(minutes=1)
    for reason in ("typed 1500 for 1543.50", ""):  # refused before what he typed is read: fixing it would not help
        with pytest.raises(dayend.MoneyError) as err:
            await dayend.correct_count(actor, day_end, 154_350, reason, now=late)
        assert err.value.field == "actor"
        assert err.value.message_en == (f"The counter's operator could correct the count of deposit slip {day_end.slip_no} until 21-11-2026 "
                                        "19:00 (24 hours after the day was closed); now only the district Society corrects it. Ask the "
                                        "Society's admin, with the reason and the day's papers.")
        assert "21-11-2026 19:00 तक" in err.value.message_hi and "केवल जिला सोसायटी" in err.value.message_hi
    # the clock's own time (EMITRA_NOW, core/clock.now) when none is given
    monkeypatch.setenv("EMITRA_NOW", "2026-11-21T19:01")
    with pytest.raises(dayend.MoneyError, match="until 21-11-2026 19:00"):
        await dayend.correct_count(actor, day_end, 154_350, "typed 1500 for 1543.50")
    assert not dayend.may_correct_now(actor.user, day_end)
    assert (await DayEnd.get(id=day_end.id)).counted_paise == 150_000
    assert not await LedgerEntry.filter(idempotency_key__startswith=f"dayend:JP-JM-001:{DAY}:fix").exists()
    assert not await AuditLog.filter(action="dayend.count_corrected").exists()
    # at the deadline itself he still may
    monkeypatch.setenv("EMITRA_NOW", "2026-11-21T19:00")
    assert dayend.may_correct_now(actor.user, day_end)
    done = await dayend.correct_count(actor, day_end, 154_350, "typed 1500 for 1543.50")
    assert done.key.endswith(":fix1") and (await DayEnd.get(id=day_end.id)).counted_paise == 154_350
    # the Society has no window: ten days later it corrects, and is recorded as the operator was
    society = await _as("society")
    assert dayend.may_correct_now(society.user, day_end, now=at(DAY + dt.timedelta(days=10), 12))
    second = await dayend.correct_count(society, day_end, 153_350, "the bank's counterfoil says 1475.50",
                                        now=at(DAY + dt.timedelta(days=10), 12))
    assert second.key.endswith(":fix2")
    assert [r.actor_name for r in await AuditLog.filter(action="dayend.count_corrected").order_by("id")] == ["operator2", "society"]
    assert (await ledger.check())["balanced"]


async def test_the_operators_window_is_a_setting(demo_db, monkeypatch):
    actor, kiosk, day_end = await _kiosk_day(150_000)
    monkeypatch.setenv("EMITRA_DAYEND_CORRECTION_HOURS", "2")
    assert dayend.correction_deadline(day_end) == at(DAY, 21)
    with pytest.raises(dayend.MoneyError, match=r"until 20-11-2026 21:00 \(2 hours after the day was closed\)"):
        await dayend.correct_count(actor, day_end, 154_350, "typed 1500 for 1543.50", now=at(DAY, 21) + dt.timedelta(seconds=1))
    await dayend.correct_count(actor, day_end, 154_350, "typed 1500 for 1543.50", now=at(DAY, 21))
    assert (await DayEnd.get(id=day_end.id)).counted_paise == 154_350


def test_past_his_window_the_page_offers_the_operator_no_correction_and_refuses_his_form(web, monkeypatch):
    _take_cash(web, "operator1", "w-2")
    web.login("operator1")
    closed = web.post_form("/counter/dayend", {"counted": "148.35", "date": _today()})
    slip = closed.headers["location"].rsplit("/", 1)[-1]
    deadline = dayend.correction_deadline(web.run(lambda: DayEnd.get(slip_no=slip)))
    path = f"/dayend/{slip}/correct"
    # at the deadline: offered, saying until when
    monkeypatch.setenv("EMITRA_NOW", deadline.isoformat())
    page = web.get(f"/dayend/{slip}")
    assert 'id="correct-link"' in page.text and f"you may until {deadline:%d-%m-%Y %H:%M}" in html.unescape(page.text)
    assert 'name="counted"' in web.get(path).text
    token = web.csrf(f"/dayend/{slip}")
    # a second later: no link, no form, the reason said; the form sent anyway refused, nothing written
    monkeypatch.setenv("EMITRA_NOW", (deadline + dt.timedelta(seconds=1)).isoformat())
    says = f"The counter's operator could correct the count of deposit slip {slip} until {deadline:%d-%m-%Y %H:%M}"
    page = web.get(f"/dayend/{slip}")
    assert 'id="correct-link"' not in page.text and says in html.unescape(page.text)
    form = web.get(path)
    assert form.status_code == 200 and 'name="counted"' not in form.text and says in html.unescape(form.text)
    sent = {"counted": "1483.50", "reason": "typed 148.35 for 1483.50", "was": "14835"}
    assert web.post(path, data=sent).status_code == 403  # without the form's token: refused as every form is
    refused = web.client.post(path, data={**sent, "csrf_token": token})
    assert refused.status_code == 403 and says in html.unescape(refused.text) and 'name="counted"' not in refused.text
    assert web.run(lambda: DayEnd.get(slip_no=slip)).counted_paise == 14_835
    assert web.run(lambda: AuditLog.filter(action="dayend.count_corrected").count()) == 0
    web.get("/lang/hi?next=/")
    assert "अब इसे केवल जिला सोसायटी सुधारती है" in web.get(path).text
    web.logout()
    # the Society, at the same moment: offered, and corrects
    web.login("society")
    page = web.get(f"/dayend/{slip}")
    assert 'id="correct-link"' in page.text and 'id="correct-until"' not in page.text
    done = web.post_form(path, {"counted": "1483.50", "reason": "typed 148.35 for 1483.50", "was": "14835"})
    assert done.status_code == 303 and web.run(lambda: DayEnd.get(slip_no=slip)).counted_paise == 148_350
    assert web.run(lambda: AuditLog.get(action="dayend.count_corrected")).actor_name == "society"

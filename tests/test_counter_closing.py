"""A closing counter's open applications move to another counter, and its prepaid wallet's balance
does not stay on it (decision 70). Before, an open application blocked a closing until its
department closed it, however long that took, and a closed prepaid counter's wallet kept its money
where no payment could use it."""

from __future__ import annotations

import re

import pytest

from emitra.core import clock, dayend, dispatch, ledger, notify, settlement, workflow
from emitra.core.models import LSP, AuditLog, Case, CaseEvent, Counter, District, Document, Notification, Payment, Role, User, Wallet
from emitra.core import onboarding
from emitra.core.onboarding import add_counter, add_lsp, add_user, close_counter, reopen_counter
from tests.case_helpers import actor, caste_case, run_commands
from tests.conftest import DB_URL
from tests.case_helpers import as_user as _as
from tests.case_helpers import refused as _refused

KIOSK, CENTRE = "JP-JM-001", "JP-LM-001"  # both Pink City's (the demo LSP, admin `lsp`)


def move_applications(*args):
    return onboarding.move_applications(*args)


async def _other_lsp_and_district() -> None:
    """Another LSP of Jaipur with a kiosk and an admin, and another district with its Society admin and a counter."""
    society = await actor("society")
    other = await add_lsp(society, name="Dhundhar Digital", district_code="JP")
    await add_counter(society, code="JP-JM-077", name="Kiosk, Phagi", lsp_id=other.id, owner_name="M. Saini")
    await add_user(society, username="dhundhar_admin", full_name="D. Admin", role="lsp_admin", password="dhundhar-1", lsp_id=other.id)
    ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    await User.create(username="ajmer_society", full_name="Ajmer Society", role=Role.SOCIETY_ADMIN, password_hash="x", district=ajmer)
    ajmer_lsp = await LSP.create(district=ajmer, name="Ajmer e-Seva", mode="postpaid")
    await Counter.create(district=ajmer, lsp=ajmer_lsp, code="AJ-LM-001", name="LokMitra, Ajmer", kind="lokmitra",
                         owner_name="Ajmer e-Seva")


async def _close_the_day(code: str, username: str) -> None:
    counter = await Counter.get(code=code)
    day = await dayend.next_open_date(counter)
    if day is not None:
        expected = (await dayend.figures(counter, day)).expected_paise
        await dayend.close_day(await actor(username), counter, day, expected)


async def _dispatch(code: str, username: str) -> None:
    assert await dispatch.prepare(await actor(username), await Counter.get(code=code))


async def _where(numbers: list[str]) -> set[str]:
    ids = await Case.filter(number__in=numbers).values_list("counter_id", flat=True)
    return set(await Counter.filter(id__in=ids).values_list("code", flat=True))


async def _nothing_moved(numbers: list[str]) -> None:
    assert await _where(numbers) == {KIOSK}
    assert not await AuditLog.filter(action="case.moved").exists()
    assert not await CaseEvent.filter(action="move_counter").exists()
    assert not await Notification.filter(event="counter_changed").exists()


def test_open_applications_move_to_another_counter_and_the_kiosk_then_closes(web, monkeypatch):
    first = web.run(lambda: caste_case("chomu-1", "operator2"))
    second = web.run(lambda: caste_case("chomu-2", "operator2", mobile="9414098765"))
    numbers = [first.number, second.number]
    web.run(_other_lsp_and_district)
    web.run(lambda: _close_the_day(KIOSK, "operator2"))

    said = _refused(web, lambda: _as("society", close_counter, KIOSK), "CODE")
    assert f"emitra counter move-applications {KIOSK} --to CODE" in said

    # who may not, and where they may not go: each refused, nothing moved
    assert "may not move JP-JM-001's applications" in _refused(web, lambda: _as("operator2", move_applications, KIOSK, CENTRE), "--as")
    assert "may not move JP-JM-001's applications" in _refused(
        web, lambda: _as("dhundhar_admin", move_applications, KIOSK, "JP-JM-077"), "--as")  # another LSP's admin
    assert "may not move JP-JM-001's applications" in _refused(
        web, lambda: _as("ajmer_society", move_applications, KIOSK, CENTRE), "--as")  # another district's Society
    assert "a counter of another LSP: only the district Society's admin" in _refused(
        web, lambda: _as("lsp", move_applications, KIOSK, "JP-JM-077"), "--as")
    assert "AJ-LM-001 is in another district" in _refused(
        web, lambda: _as("society", move_applications, KIOSK, "AJ-LM-001"), "--to")
    assert "already at JP-JM-001" in _refused(web, lambda: _as("society", move_applications, KIOSK, KIOSK), "--to")
    assert "no counter with code" in _refused(web, lambda: _as("society", move_applications, KIOSK, "JP-JM-404"), "--to")
    web.run(lambda: _as("society", close_counter, "JP-JM-077"))
    assert "JP-JM-077 is closed" in _refused(web, lambda: _as("society", move_applications, KIOSK, "JP-JM-077"), "--to")
    web.run(lambda: _as("society", reopen_counter, "JP-JM-077"))
    web.run(lambda: _nothing_moved(numbers))

    # the papers leave from where they are: dispatched from the kiosk before its applications move
    assert f"still wait at {KIOSK} for the dispatch to their department" in _refused(
        web, lambda: _as("society", move_applications, KIOSK, CENTRE), "CODE")
    web.run(lambda: _nothing_moved(numbers))
    web.run(lambda: _dispatch(KIOSK, "operator2"))

    # a failure half-way (the second citizen's message) undoes the first case's move too
    calls = []
    real = notify.counter_changed

    async def failing(case, old, new):
        calls.append(case.number)
        if len(calls) == 2:
            raise RuntimeError("outbox unavailable")
        return await real(case, old, new)

    monkeypatch.setattr(notify, "counter_changed", failing)
    with pytest.raises(RuntimeError):
        web.run(lambda: _as("lsp", move_applications, KIOSK, CENTRE))
    assert calls == numbers
    web.run(lambda: _nothing_moved(numbers))
    monkeypatch.setattr(notify, "counter_changed", real)

    moved = web.run(lambda: _as("lsp", move_applications, KIOSK, CENTRE))  # its LSP admin, between its own counters
    assert moved.numbers == numbers and web.run(lambda: _where(numbers)) == {CENTRE}
    entries = web.run(lambda: AuditLog.filter(action="case.moved").order_by("id"))
    centre = web.run(lambda: Counter.get(code=CENTRE))
    assert [(e.detail["number"], e.detail["from"], e.detail["to"], e.counter_id, e.actor_name) for e in entries] == [
        (n, KIOSK, CENTRE, centre.id, "lsp") for n in numbers]
    notes = web.run(lambda: Notification.filter(event="counter_changed", channel="sms").order_by("id"))
    assert [n.recipient for n in notes] == ["9829012345", "9414098765"]
    assert all(f"{n.number} (" in note.body_en and "(JP-LM-001)" in note.body_en and "not JP-JM-001" in note.body_en
               and notify.sms_parts(note.body_en) <= 2 and notify.sms_parts(note.body_hi) <= 2 and "JP-LM-001" in note.body_hi for n, note in zip([first, second], notes))

    # the payments stay the kiosk's; with nothing open any more it closes
    closed = web.run(lambda: _as("society", close_counter, KIOSK))
    assert not closed.active
    assert "no open application to move" in _refused(web, lambda: _as("society", move_applications, KIOSK, CENTRE), "CODE")

    # the centre's operator sees them, with their scans, and may take the counter's steps on them
    web.login("operator1")
    scan = web.run(lambda: Document.get(request_id=second.request_id))
    assert web.get(f"/documents/{scan.public_id}").status_code == 200
    listed = web.get("/counter/cases")
    assert first.number in listed.text and second.number in listed.text
    web.run(lambda: _issue(first.id))
    ready = web.get("/counter/cases")
    assert f'id="case-{first.id}"' in ready.text.split('id="returned"')[0]  # in "Ready for collection"
    handed = web.post_form(f"/counter/cases/{first.id}/act", {"action": "collect", "handed_over": "1"}, token_from="/counter/cases")
    assert handed.status_code == 303 and web.run(lambda: Case.get(id=first.id)).state == "collected"
    web.logout()

    # the citizen's tracking shows where it was filed and where to go now
    track = web.post_form("/track", {"number": second.number, "mobile": "9414098765"})
    assert track.status_code == 200, track.text
    assert "JanMitra" in track.text and "(JP-JM-001)" in track.text
    assert 'id="moved-to"' in track.text and "(JP-LM-001)" in track.text and "Moved to another counter" in track.text
    assert web.run(lambda: ledger.check())["balanced"]


async def _issue(case_id: int) -> None:
    tehsildar = await actor("tehsildar")
    case = await workflow.act(tehsildar, await Case.get(id=case_id), "approve", "Caste verified")
    await workflow.act(tehsildar, case, "issue")


def test_the_network_page_moves_a_counters_open_applications(web):
    case = web.run(lambda: caste_case("chomu-1", "operator2"))
    web.run(_other_lsp_and_district)
    web.login("dhundhar_admin", "dhundhar-1")
    assert web.post_form("/network", {"action": "move_cases", "code": KIOSK, "counter": "JP-JM-077"}).status_code == 403
    web.logout()

    web.login("lsp")
    page = web.get("/network")
    assert 'id="counter-JP-JM-001-open">1<' in page.text and "Move the applications" in page.text
    no_csrf = web.client.post("/network", data={"action": "move_cases", "code": KIOSK, "counter": CENTRE})
    assert no_csrf.status_code == 403
    other = web.post_form("/network", {"action": "move_cases", "code": KIOSK, "counter": "JP-JM-077"})
    assert other.status_code == 400 and "only the district Society" in other.text
    hindi = web.client.post("/network?lang=hi", data={"action": "move_cases", "code": KIOSK, "counter": "",
                                                      "csrf_token": web.csrf("/network")})
    assert hindi.status_code == 400 and "सूची से वह खुला काउंटर चुनें जो आवेदन लेगा" in hindi.text  # not "--to CODE" (decision 197)
    web.get("/network?lang=en")
    papers = web.post_form("/network", {"action": "move_cases", "code": KIOSK, "counter": CENTRE})
    assert papers.status_code == 400 and "an operator of JP-JM-001 prepares the dispatch first, on the counter&#39;s Dispatch page" in papers.text
    assert web.run(lambda: _where([case.number])) == {KIOSK}
    web.run(lambda: _dispatch(KIOSK, "operator2"))
    done = web.post_form("/network", {"action": "move_cases", "code": KIOSK, "counter": CENTRE})
    assert done.status_code == 303
    assert "The open applications of JP-JM-001 moved" in web.get(done.headers["location"]).text
    assert web.run(lambda: _where([case.number])) == {CENTRE}
    assert web.run(lambda: AuditLog.get(action="case.moved")).detail["via"] == "web"


# --- a prepaid counter's wallet on closing ------------------------------------------------------------


async def _prepaid_with_wallets() -> None:
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    lsp.mode = "prepaid"
    await lsp.save()
    by = await actor("lsp")
    for code, rupees, ref in ((KIOSK, 5_000_00, "NEFT-K1"), (CENTRE, 1_000_00, "NEFT-C1")):
        await dayend.top_up(by, await Counter.get(code=code), rupees, ref)


async def _wallet(code: str) -> int:
    return (await Wallet.get(counter__code=code)).balance_paise


def test_a_closing_prepaid_counters_wallet_moves_to_another_counter_of_its_lsp(web):
    web.run(_prepaid_with_wallets)
    web.run(_other_lsp_and_district)
    assert "another LSP's counter" in _refused(web, lambda: _as("society", close_counter, KIOSK, "JP-JM-077"), "--wallet-to")
    assert "is the counter closing" in _refused(web, lambda: _as("society", close_counter, KIOSK, KIOSK), "--wallet-to")
    assert "no counter with code" in _refused(web, lambda: _as("society", close_counter, KIOSK, "JP-JM-404"), "--wallet-to")
    assert "has no wallet: its LSP Dhundhar Digital is postpaid" in _refused(
        web, lambda: _as("society", close_counter, "JP-JM-077", CENTRE), "--wallet-to")
    assert web.run(lambda: Counter.get(code=KIOSK)).active and web.run(lambda: _wallet(KIOSK)) == 5_000_00

    web.run(lambda: _as("society", close_counter, KIOSK, CENTRE))
    assert web.run(lambda: _wallet(KIOSK)) == 0 and web.run(lambda: _wallet(CENTRE)) == 6_000_00
    assert web.run(lambda: ledger.balance(f"kiosk_wallet:{CENTRE}")) == -6_000_00
    assert web.run(lambda: AuditLog.filter(action="counter.closed").order_by("-id").first()).detail["wallet"] == {
        "paise": 5_000_00, "to": CENTRE}
    checked = web.run(ledger.check)
    assert checked["balanced"], checked["problems"]

    # closed, reopened, closed again with the wallet empty: nothing more is posted
    web.run(lambda: _as("society", reopen_counter, KIOSK))
    web.run(lambda: _as("society", close_counter, KIOSK))
    assert web.run(lambda: AuditLog.filter(action="counter.closed").order_by("-id").first()).detail.get("wallet") is None
    # a closed counter cannot take a wallet
    assert f"{KIOSK} is closed" in _refused(web, lambda: _as("society", close_counter, CENTRE, KIOSK), "--wallet-to")


def test_without_a_counter_to_take_it_the_wallet_is_owed_back_to_the_lsp(web):
    web.run(_prepaid_with_wallets)
    lsp = web.run(lambda: LSP.get(name="Pink City e-Services Pvt Ltd"))
    web.login("society")
    page = web.get("/network")
    assert 'id="counter-JP-JM-001-wallet_to"' in page.text and "owed back to the LSP" in page.text
    closed = web.post_form("/network", {"action": "close", "code": KIOSK, "wallet_to": ""})
    assert closed.status_code == 303
    said = web.get(closed.headers["location"]).text
    assert "₹5,000.00 is owed back to its LSP" in said and 'id="counter-JP-JM-001-wallet"' in said
    assert web.get("/network?done=close&what=operator1").status_code == 200  # a name, not a counter's code
    assert web.run(lambda: _wallet(KIOSK)) == 0
    assert web.run(lambda: ledger.balance(f"wallet_refund_payable:{lsp.id}")) == -5_000_00
    checked = web.run(ledger.check)
    assert checked["balanced"] and checked["wallet_refunds_owed_paise"] == {f"wallet_refund_payable:{lsp.id}": 5_000_00}
    today = clock.today()
    statement = web.run(lambda: settlement.lsp_statement(lsp.id, today, today))
    assert statement["owed"][f"wallet_refund_payable:{lsp.id}"] == 5_000_00
    web.logout()
    web.login("lsp")
    shown = web.get("/lsp/statement")
    assert "Wallet balances of closed counters, to be refunded" in shown.text and "5,000.00" in shown.text

    # the Society pays it back, in parts, never more than is owed
    def refund(who: str, paise: int, ref: str):
        return web.run(lambda: _as_money(who, lsp, paise, ref))

    with pytest.raises(dayend.MoneyError, match="Only the district Society's admin"):
        refund("lsp", 1_000_00, "R1")
    with pytest.raises(dayend.MoneyError, match="more than the ₹5,000.00 owed back"):
        refund("society", 5_000_01, "R1")
    assert refund("society", 3_000_00, "neft r1").owed_paise == 2_000_00
    assert refund("society", 3_000_00, "NEFT R1").repeated
    with pytest.raises(dayend.MoneyError, match="already used for a refund of ₹3,000.00"):
        refund("society", 2_000_00, "NEFTR1")
    assert refund("society", 2_000_00, "NEFT-R2").owed_paise == 0
    checked = web.run(ledger.check)
    assert checked["balanced"] and checked["wallet_refunds_owed_paise"] == {}
    assert web.run(lambda: AuditLog.filter(action="wallet.refunded").count()) == 2
    assert "Wallet balances of closed counters" not in web.get("/lsp/statement").text


async def _as_money(who: str, lsp: LSP, paise: int, ref: str):
    return await dayend.refund_wallets(await actor(who), lsp, paise, ref)


def test_a_closed_counter_still_holding_a_wallet_is_a_problem_of_the_books(web):
    """As every prepaid counter closed before decision 70 was left."""
    web.run(_prepaid_with_wallets)
    web.run(lambda: Counter.filter(code=KIOSK).update(active=False))
    checked = web.run(ledger.check)
    assert not checked["balanced"]
    assert any("wallet of the closed counter JP-JM-001 still holds 500000 paise" in p for p in checked["problems"])


# --- the commands -------------------------------------------------------------------------------------

def test_the_commands_move_applications_and_say_what_became_of_the_wallet(tmp_path):
    calls = [
        ["db", "migrate"], ["demo"], ["demo-cases"],
        ["counter", "close", CENTRE, "--as", "society"],  # demo-cases left applications open there
        ["counter", "move-applications", CENTRE, "--to", "JP-JM-404", "--as", "lsp"],
        ["counter", "move-applications", CENTRE, "--to", KIOSK, "--as", "operator2"],
        ["counter", "move-applications", CENTRE, "--to", KIOSK, "--as", "lsp"],
        ["lsp", "add", "--name", "Bassi e-Seva", "--district", "JP", "--mode", "prepaid", "--as", "society"],
        ["counter", "add", "JP-LM-002", "--name", "LokMitra Centre, Bassi", "--lsp", "2", "--as", "society"],
        ["counter", "add", "JP-LM-003", "--name", "LokMitra Centre, Bassi 2", "--lsp", "2", "--as", "society"],
        ["wallet", "topup", "JP-LM-002", "700", "--reference", "N1", "--as", "society"],
        ["wallet", "topup", "JP-LM-003", "300", "--reference", "N2", "--as", "society"],
        ["counter", "close", "JP-LM-002", "--wallet-to", CENTRE, "--as", "society"],
        ["counter", "close", "JP-LM-002", "--wallet-to", "JP-LM-003", "--as", "society"],
        ["counter", "close", "JP-LM-003", "--as", "society"],
        ["ledger", "check"],
        ["wallet", "refund", "2", "1000.01", "--reference", "R1", "--as", "society"],
        ["wallet", "refund", "2", "1000", "--reference", "R1", "--as", "society"],
        ["ledger", "check"],
    ]
    out = run_commands(tmp_path, calls, timeout=600)
    assert out[1][0] == 0 and out[2][0] == 0, out[:3]
    assert out[3][0] == 1 and f"emitra counter move-applications {CENTRE} --to CODE" in out[3][1], out[3]
    assert out[4][0] == 1 and "Error: --to: no counter with code 'JP-JM-404'" in out[4][1], out[4]
    assert out[5][0] == 1 and "Error: --as: 'operator2' may not move JP-LM-001's applications" in out[5][1], out[5]
    assert out[6][0] == 1 and "Error: CODE: the paper documents of" in out[6][1] and f"prepare the dispatch at {CENTRE}" in out[6][1], out[6]
    assert out[7][0] == 0 and "LSP 2: Bassi e-Seva (prepaid)" in out[7][1], out[7]
    assert out[12][0] == 1 and "Error: --wallet-to: JP-LM-001 is another LSP's counter" in out[12][1], out[12]
    assert out[13][0] == 0 and "its wallet's ₹700.00 moved to JP-LM-003's wallet" in out[13][1], out[13]
    assert out[14][0] == 0 and "its wallet's ₹1,000.00 is owed back to its LSP (number 2)" in out[14][1], out[14]
    assert out[15][0] == 0 and "balanced" in out[15][1] and "owed back to LSP 2" in out[15][1] and "₹1,000.00" in out[15][1], out[15]
    assert out[16][0] == 1 and "Error: RUPEES: ₹1,000.01 is more than the ₹1,000.00 owed back to Bassi e-Seva" in out[16][1], out[16]
    assert out[17][0] == 0 and "refunded: ₹1,000.00 to LSP 2 Bassi e-Seva (reference R1); still owed back ₹0.00" in out[17][1], out[17]
    assert out[18][0] == 0 and out[18][1].startswith("balanced") and "owed back" not in out[18][1], out[18]


# --- the Network page's refund form (the command was the only way: Society staff work on pages) ------

def _owed_back_to_pink_city(web) -> LSP:
    """The demo LSP prepaid, its kiosk closed with ₹5,000.00 in its wallet and no counter to take it."""
    web.run(_prepaid_with_wallets)
    web.run(lambda: _as("society", close_counter, KIOSK))
    return web.run(lambda: LSP.get(name="Pink City e-Services Pvt Ltd"))


def _books(web, lsp: LSP) -> tuple[int, int, int]:
    """What is written by a refund: its entries, its audit records, and what is still owed back."""
    async def count():
        from emitra.core.models import LedgerEntry
        return (await LedgerEntry.filter(idempotency_key__startswith="walletrefund:").count(),
                await AuditLog.filter(action="wallet.refunded").count(),
                -await ledger.balance(f"wallet_refund_payable:{lsp.id}"))
    return web.run(count)


def test_the_society_refunds_what_is_owed_back_to_an_lsp_on_the_network_page(web):
    lsp = _owed_back_to_pink_city(web)
    web.login("society")
    page = web.get("/network")
    assert f'id="refund-{lsp.id}-owed">₹5,000.00<' in page.text
    assert f'action="/network/lsps/{lsp.id}/wallet-refund"' in page.text
    url = f"/network/lsps/{lsp.id}/wallet-refund"
    done = web.post_form(url, {"amount": "3,000", "reference": "neft r1"}, token_from="/network")
    assert done.status_code == 303
    shown = web.get(done.headers["location"])
    assert "Refund of ₹3,000.00 to Pink City e-Services Pvt Ltd recorded (bank reference NEFTR1). Still owed back to it: ₹2,000.00." in shown.text
    assert f'id="refund-{lsp.id}-owed">₹2,000.00<' in shown.text and "<code>NEFTR1</code>" in shown.text
    assert _books(web, lsp) == (1, 1, 2_000_00)
    entry = web.run(lambda: ledger.rows('SELECT p."account" AS a, p."amount_paise" AS p FROM "posting" p JOIN "ledger_entry" e '
                                        'ON e."id" = p."entry_id" WHERE e."idempotency_key" = ? ORDER BY p."account"',
                                        [f"walletrefund:{lsp.id}:NEFTR1"]))
    assert [(r["a"], int(r["p"])) for r in entry] == [("society_bank", -3_000_00), (f"wallet_refund_payable:{lsp.id}", 3_000_00)]
    hindi = web.get(done.headers["location"].replace("?", "?lang=hi&", 1))
    assert "₹3,000.00" in hindi.text and "Refund of" not in hindi.text
    # the rest: the form goes once nothing is owed, the refunds stay listed
    web.post_form(url, {"amount": "2000", "reference": "NEFT-R2"}, token_from="/network")
    after = web.get("/network")
    assert f'id="refund-{lsp.id}-owed">₹0.00<' in after.text and f'action="/network/lsps/{lsp.id}/wallet-refund"' not in after.text
    assert "<code>NEFT-R2</code>" in after.text and web.run(ledger.check)["balanced"]


def test_a_refund_over_what_is_owed_or_under_a_reference_used_is_refused_on_the_page(web):
    lsp = _owed_back_to_pink_city(web)
    web.login("society")
    url = f"/network/lsps/{lsp.id}/wallet-refund"

    def post(amount: str, reference: str):
        return web.post_form(url, {"amount": amount, "reference": reference}, token_from="/network")

    over = post("5000.01", "NEFT-R1")
    assert over.status_code == 400
    assert ("Amount refunded (₹): ₹5,000.01 is more than the ₹5,000.00 owed back to Pink City e-Services Pvt Ltd "
            "for its closed counters&#39; wallets.") in over.text
    assert 'value="5000.01"' in over.text and _books(web, lsp) == (0, 0, 5_000_00)
    bad = post("five thousand", "NEFT-R1")
    assert bad.status_code == 400 and "Amount refunded (₹): " in bad.text and _books(web, lsp) == (0, 0, 5_000_00)
    assert "Bank reference: type the bank reference" in post("100", "").text

    assert post("1000", "NEFT R1").status_code == 303
    assert _books(web, lsp) == (1, 1, 4_000_00)
    again = post("1000", "neft r1")  # the form sent again: nothing new
    assert again.status_code == 400
    assert "Bank reference: a refund with reference NEFTR1 is already recorded for Pink City e-Services Pvt Ltd: nothing new was recorded." in again.text
    other = post("500", "NEFTR1")  # the reference used, with another amount
    assert other.status_code == 400 and "Bank reference: Reference NEFTR1 was already used for a refund of ₹1,000.00" in other.text
    assert _books(web, lsp) == (1, 1, 4_000_00)
    hindi = web.post_form(url + "?lang=hi", {"amount": "4000.01", "reference": "NEFT-R2"}, token_from="/network?lang=hi")
    assert hindi.status_code == 400 and "₹4,000.00 से अधिक है" in hindi.text and "is more than" not in hindi.text
    assert "वापस की गई राशि (₹): " in hindi.text
    assert _books(web, lsp) == (1, 1, 4_000_00)


def test_only_the_districts_society_admin_may_refund(web):
    lsp = _owed_back_to_pink_city(web)
    url = f"/network/lsps/{lsp.id}/wallet-refund"
    for username in ("lsp", "operator1"):
        web.login(username)
        assert web.post_form(url, {"amount": "100", "reference": "NEFT-X"}, token_from="/no-such-page").status_code == 403
        if username == "lsp":
            assert f"refund-{lsp.id}-owed" not in web.get("/network").text  # the LSP's admin sees no refund form
        web.logout()
    web.login("society")
    assert web.post_form("/network/lsps/999/wallet-refund", {"amount": "100", "reference": "NEFT-X"},
                         token_from="/network").status_code == 404
    assert _books(web, lsp) == (0, 0, 5_000_00)


def test_a_counter_does_not_close_while_papers_of_a_collected_application_wait_for_dispatch(web):
    """Decision 75: an application decided and collected at the kiosk before its papers were sent is
    closed (nothing to move), but its signed form still lies there for its department; the closing
    is refused, naming the dispatch, until the kiosk's operator prepares it."""
    from emitra.core.onboarding import Refused

    case = web.run(lambda: caste_case("chomu-paper", "operator2"))

    async def decide_and_collect():
        await _issue(case.id)
        await workflow.act(await actor("operator2"), await Case.get(id=case.id), "collect", "Identity checked")
    web.run(decide_and_collect)
    collected = web.run(lambda: Case.get(id=case.id))
    assert collected.state == "collected" and collected.closed_at is not None and collected.dispatch_id is None
    web.run(lambda: _close_the_day(KIOSK, "operator2"))

    with pytest.raises(Refused) as caught:
        web.run(lambda: _as("society", close_counter, KIOSK))
    said, hindi = caught.value.message, caught.value.message_hi
    assert caught.value.field == "CODE"
    assert f"the papers of 1 application filed there still wait for the dispatch to its department (e.g. {case.number})" in said
    assert "वहाँ दर्ज 1 आवेदन के कागज़ अब भी उसके विभाग को" in hindi
    assert f"`emitra dispatch prepare {KIOSK} --as OPERATOR`" in said and "Dispatch page" in said
    assert "डिस्पैच तैयार करें" in hindi and f"emitra dispatch prepare {KIOSK} --as OPERATOR" in hindi and "डिस्पैच पृष्ठ" in hindi
    assert "move-applications" not in said  # nothing open to move: the papers are the only thing left
    assert web.run(lambda: Counter.get(code=KIOSK)).active
    assert not web.run(lambda: AuditLog.filter(action="counter.closed").exists())

    web.run(lambda: _dispatch(KIOSK, "operator2"))
    assert not web.run(lambda: _as("society", close_counter, KIOSK)).active


def _case_totals(page) -> dict[str, int]:
    """The report page's *Applications and grievances* total row, by measure (all zero when the
    page says there is none in its scope)."""
    from emitra.core.reports import CASE_MEASURES

    assert page.status_code == 200, page.text
    if 'id="no-cases"' in page.text:
        return dict.fromkeys(CASE_MEASURES, 0)
    table = page.text.split('id="cases"', 1)[1].split("</table>", 1)[0]
    total = table.split('<tr class="total">', 1)[1]
    return dict(zip(CASE_MEASURES, (int(n) for n in re.findall(r'<td class="num">(\d+)</td>', total))))


def _transactions(page) -> int:
    """The report's transactions, from its Total row (none when it has no figures table)."""
    if 'id="totals">' not in page.text:
        return 0
    total = page.text.split('id="totals">', 1)[1].split("</tr>", 1)[0]
    return int(re.findall(r'<td class="num">([\d,]+)</td>', total)[0].replace(",", ""))


def test_a_moved_application_counts_as_filed_where_it_was_filed_and_open_where_it_now_is(web, tmp_path):
    """A kiosk closing moved its open applications to another LSP's counter: the MIS counted them at
    the new counter, *filed* too, while their payments (the transactions beside them) stayed at the
    kiosk, so the kiosk's report said 2 transactions and 0 applications filed, the new counter 0 and
    2, and last month's figures of both changed on the day of the move. Now an application counts as
    filed where it was filed (and paid), and as open, or closed, where it is now; the district's
    figures are the same either way, and `emitra mis check` stays clean (decision 101)."""
    first = web.run(lambda: caste_case("moved-mis-1", "operator2"))
    second = web.run(lambda: caste_case("moved-mis-2", "operator2", mobile="9414098765"))
    web.run(_other_lsp_and_district)
    web.run(lambda: _close_the_day(KIOSK, "operator2"))
    web.run(lambda: _dispatch(KIOSK, "operator2"))
    web.run(lambda: _as("society", move_applications, KIOSK, "JP-JM-077"))  # Dhundhar's kiosk: another LSP
    web.login("tehsildar")
    assert web.post_form(f"/office/cases/{first.id}/act", {"action": "reject", "remark": "Caste not in the SC list"},
                         token_from=f"/office/cases/{first.id}").status_code == 303  # closed at its new counter
    web.logout()
    today = clock.today().isoformat()
    period = f"/reports?from={today}&to={today}"
    web.login("society")
    kiosk, phagi, district = (web.get(f"{period}&counter={code}") for code in (KIOSK, "JP-JM-077", ""))
    assert _transactions(kiosk) == 2 and _transactions(phagi) == 0  # the payments stayed at the kiosk
    assert [_case_totals(kiosk)[m] for m in ("filed", "open", "closed")] == [2, 0, 0]
    assert [_case_totals(phagi)[m] for m in ("filed", "open", "closed")] == [0, 1, 1]
    assert [_case_totals(district)[m] for m in ("filed", "open", "closed")] == [2, 1, 1]
    web.logout()
    web.login("lsp")  # Pink City, whose kiosk filed them
    assert [_case_totals(web.get(period))[m] for m in ("filed", "open", "closed")] == [2, 0, 0]
    web.logout()
    web.login("dhundhar_admin", "dhundhar-1")  # where they are now
    assert [_case_totals(web.get(period))[m] for m in ("filed", "open", "closed")] == [0, 1, 1]
    web.logout()
    [(code, said)] = run_commands(tmp_path, [["mis", "check"]], database_url=DB_URL)  # the daily and monthly figures agree
    assert code == 0 and "the daily figures equal a full recount" in said
    assert web.run(lambda: Case.filter(number__in=[first.number, second.number]).values_list("counter__code", flat=True)) \
        == ["JP-JM-077", "JP-JM-077"]


async def _blockers(code: str) -> tuple[str, str]:
    found = await onboarding.close_blockers(await Counter.get(code=code))
    return " | ".join(en for en, _ in found), " | ".join(hi for _, hi in found)


async def _move_refused(code: str) -> tuple[str, str]:
    with pytest.raises(onboarding.Refused) as caught:
        await _as("society", move_applications, code, CENTRE)
    return caught.value.message, caught.value.message_hi


def test_what_keeps_a_counter_open_is_counted_one_or_many_in_english_and_hindi(web):
    """The refusals said "1 payment(s) ... await", "1 open application(s) ... are", "1 application(s)",
    and in Hindi "1 खुले आवेदन ... किए जाते हैं", "1 आवेदनों"."""
    first = web.run(lambda: caste_case("count-1", "operator2"))
    web.run(lambda: _close_the_day(KIOSK, "operator2"))
    web.run(lambda: Payment.filter(request__counter__code=KIOSK).update(status="pending"))
    en, hi = web.run(lambda: _blockers(KIOSK))
    assert "1 payment taken there (card, UPI or cheque) awaits confirmation: wait for it," in en
    assert "वहाँ लिया गया 1 भुगतान (कार्ड, यूपीआई या चेक) पुष्टि की प्रतीक्षा में है: उसकी प्रतीक्षा करें" in hi
    assert f"1 open application filed there is collected or corrected there (e.g. {first.number}): move it to" in en
    assert "or close the counter once it is closed" in en
    assert "वहाँ दर्ज 1 खुला आवेदन वहीं सुधारा या प्राप्त किया जाता है" in hi and "उसे जिले के किसी" in hi
    assert "the papers of 1 application filed there still wait for the dispatch to its department" in en
    assert "वहाँ दर्ज 1 आवेदन के कागज़ अब भी उसके विभाग को" in hi
    en, hi = web.run(lambda: _move_refused(KIOSK))
    assert f"the paper documents of 1 application (e.g. {first.number}) still wait at {KIOSK} for the dispatch to its department" in en
    assert f"1 आवेदन (जैसे {first.number}) के कागज़ी दस्तावेज़" in hi

    web.run(lambda: caste_case("count-2", "operator2", mobile="9414098765"))
    web.run(lambda: Payment.filter(request__counter__code=KIOSK).update(status="pending"))
    en, hi = web.run(lambda: _blockers(KIOSK))
    assert "2 payments taken there (card, UPI or cheque) await confirmation: wait for them," in en
    assert "वहाँ लिए गए 2 भुगतान (कार्ड, यूपीआई या चेक) पुष्टि की प्रतीक्षा में हैं: उनकी प्रतीक्षा करें" in hi
    assert "2 open applications filed there are collected or corrected there" in en and "once they are closed" in en
    assert "वहाँ दर्ज 2 खुले आवेदन वहीं सुधारे या प्राप्त किए जाते हैं" in hi and "उन्हें जिले के किसी" in hi
    assert "the papers of 2 applications filed there still wait for the dispatch to their department" in en
    assert "वहाँ दर्ज 2 आवेदनों के कागज़ अब भी उनके विभाग को" in hi
    en, hi = web.run(lambda: _move_refused(KIOSK))
    assert f"the paper documents of 2 applications (e.g. {first.number}) still wait at {KIOSK} for the dispatch to their department" in en
    assert f"2 आवेदनों (जैसे {first.number}) के कागज़ी दस्तावेज़" in hi


def test_a_refund_with_its_amount_left_empty_says_the_box_is_empty(web):
    """Was "Amount refunded (₹): '' is not an amount in rupees" (decision 200)."""
    lsp = _owed_back_to_pink_city(web)
    web.login("society")
    empty = web.post_form(f"/network/lsps/{lsp.id}/wallet-refund", {"amount": "", "reference": "NEFT-E1"}, token_from="/network")
    assert empty.status_code == 400
    assert "Amount refunded (₹): the box is empty: type the amount in rupees, for example 125.50." in empty.text
    assert _books(web, lsp) == (0, 0, 5_000_00)

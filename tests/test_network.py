"""A counter that shuts down and an operator who moves (`emitra counter close | reopen`, `emitra user
move`). Before them, a kiosk whose licence ended kept taking payments and its operators kept their
log-ins, and an operator could work at another counter only by editing the database."""

from __future__ import annotations

import re

import pytest

from emitra.core import counter as counter_core
from emitra.core import dayend, ledger
from emitra.core.audit import Actor
from emitra.core.models import LSP, AuditLog, Case, Counter, Payment, User
from emitra.core.onboarding import close_counter, move_user, reopen_counter
from tests.case_helpers import as_user as _as
from tests.case_helpers import caste_case, pay
from tests.case_helpers import refused as _refused

BILL, K = "gov.rj.jvvnl.bill", "210412345678"
DEVANAGARI = re.compile(r"[\u0900-\u097F]")




async def _close_the_day(code: str, username: str) -> None:
    counter = await Counter.get(code=code)
    day = await dayend.next_open_date(counter)
    expected = (await dayend.figures(counter, day)).expected_paise
    await dayend.close_day(Actor(await User.get(username=username)), counter, day, expected)


def _api_pay(web, headers, key: str):
    eid = web.run(lambda: _ramesh())
    return web.client.post("/api/v1/transactions", headers=headers, json={
        "citizen": eid, "service_code": BILL, "form": {"k_number": K}, "idempotency_key": key,
        "payment": {"method": "cash", "amount_paise": 148350, "tendered_paise": 148350}})


async def _ramesh() -> str:
    from emitra.core.models import Citizen

    return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id


async def _prepare_dispatch(code: str, username: str) -> None:
    from emitra.core import dispatch

    assert await dispatch.prepare(Actor(await User.get(username=username)), await Counter.get(code=code))


def test_a_counter_closes_only_once_nothing_waits_on_it_and_then_takes_no_payment(web):
    kiosk = "JP-JM-001"
    web.run(lambda: pay(BILL, {"k_number": K}, "chomu-1", "operator2"))
    case = web.run(lambda: caste_case("chomu-caste", "operator2"))
    web.login("operator2")
    token = web.api_token("operator2")

    assert "may not close or reopen JP-JM-001" in _refused(web, lambda: _as("lsp", close_counter, kiosk), "--as")
    assert "may not close or reopen" in _refused(web, lambda: _as("operator2", close_counter, kiosk), "--as")
    assert "no counter with code" in _refused(web, lambda: _as("society", close_counter, "JP-JM-404"), "CODE")
    said = _refused(web, lambda: _as("society", close_counter, kiosk), "CODE")
    assert "is not covered by a day end: close the day at the counter" in said
    assert f"1 open application filed there is collected or corrected there (e.g. {case.number}): move it to" in said
    assert web.run(lambda: Counter.get(code=kiosk)).active  # nothing written

    web.run(lambda: _close_the_day(kiosk, "operator2"))
    web.run(lambda: Case.filter(id=case.id).update(closed_at=dayend.utcnow(), state="delivered"))
    first = web.run(lambda: Payment.filter(request__counter__code=kiosk).order_by("id").first())
    web.run(lambda: Payment.filter(id=first.id).update(status="pending"))  # as a card payment awaiting its webhook
    assert "1 payment taken there (card, UPI or cheque) awaits confirmation: wait for it" in _refused(
        web, lambda: _as("society", close_counter, kiosk), "CODE")
    web.run(lambda: Payment.filter(status="pending").update(status="received"))
    # the delivered application's papers still lie at the kiosk for its department (decision 75)
    assert f"`emitra dispatch prepare {kiosk} --as OPERATOR`" in _refused(web, lambda: _as("society", close_counter, kiosk), "CODE")
    web.run(lambda: _prepare_dispatch(kiosk, "operator2"))

    closed = web.run(lambda: _as("society", close_counter, kiosk))
    assert not closed.active
    entry = web.run(lambda: AuditLog.get(action="counter.closed"))
    assert entry.actor_name == "society" and entry.detail["operators"] == ["operator2"] and entry.detail["sessions_ended"] >= 1
    assert "is already closed" in _refused(web, lambda: _as("society", close_counter, kiosk), "CODE")

    # its operator: the open session ended, the token is refused, a new log-in is refused with the reason
    assert web.get("/counter").status_code == 303
    refused = _api_pay(web, token, "chomu-after-close")
    assert refused.status_code == 403 and "Your counter JP-JM-001 is closed by the Society" in refused.json()["error"]["message"]
    login = web.post_form("/login", {"username": "operator2", "password": "emitra-demo"})
    assert login.status_code == 403 and "JP-JM-001 is closed by the Society" in login.text
    assert web.client.post("/api/v1/token", json={"username": "operator2", "password": "emitra-demo"}).status_code == 403
    # and the core refuses a payment there whoever asks (a script, a cached page)
    with pytest.raises(counter_core.CounterError, match="JP-JM-001 is closed by the Society"):
        web.run(lambda: pay(BILL, {"k_number": K}, "chomu-2", "operator2"))

    web.run(lambda: _as("society", reopen_counter, kiosk))
    assert "is open" in _refused(web, lambda: _as("society", reopen_counter, kiosk), "CODE")
    assert web.run(lambda: AuditLog.filter(action="counter.reopened").count()) == 1
    assert _api_pay(web, web.api_token("operator2"), "chomu-reopened").status_code == 201
    assert web.run(lambda: ledger.check())["balanced"]


def test_an_operator_moves_to_another_counter_and_takes_a_payment_there(web):
    from emitra.core.onboarding import add_counter, add_lsp

    web.run(lambda: pay(BILL, {"k_number": K}, "malviya-1", "operator1"))
    old_token = web.api_token("operator1")
    web.login("operator1")
    other = web.run(lambda: _as("society", add_lsp, name="Dhundhar Digital", district_code="JP"))
    web.run(lambda: _as("society", add_counter, code="JP-JM-077", name="Kiosk, Phagi", lsp_id=other.id, owner_name="M. Saini"))

    assert "no counter with code" in _refused(web, lambda: _as("society", move_user, "operator1", "JP-JM-404"), "--counter")
    assert "already works at JP-LM-001" in _refused(web, lambda: _as("society", move_user, "operator1", "JP-LM-001"), "--counter")
    assert "may not manage operator1" in _refused(web, lambda: _as("operator2", move_user, "operator1", "JP-JM-001"), "--as")
    assert "a counter of another LSP: only the district Society's admin" in _refused(
        web, lambda: _as("lsp", move_user, "operator1", "JP-JM-077"), "--as")
    assert "an LSP admin" in _refused(web, lambda: _as("society", move_user, "lsp", "JP-JM-001"), "USERNAME")
    said = _refused(web, lambda: _as("lsp", move_user, "operator1", "JP-JM-001"), "USERNAME")
    assert "took cash at JP-LM-001 that no day end covers yet" in said and "close the day at JP-LM-001 first" in said
    assert web.run(lambda: User.get(username="operator1")).counter_id == web.run(lambda: Counter.get(code="JP-LM-001")).id

    web.run(lambda: _close_the_day("JP-LM-001", "operator1"))
    web.run(lambda: _as("society", close_counter, "JP-JM-077"))
    assert "JP-JM-077 is closed" in _refused(web, lambda: _as("society", move_user, "operator1", "JP-JM-077"), "--counter")
    web.run(lambda: _as("society", reopen_counter, "JP-JM-077"))

    moved = web.run(lambda: _as("lsp", move_user, "operator1", "JP-JM-001"))  # its LSP admin, between its own counters
    entry = web.run(lambda: AuditLog.get(action="user.moved"))
    assert (entry.actor_name, entry.detail["from"], entry.detail["to"]) == ("lsp", "JP-LM-001", "JP-JM-001")
    assert entry.detail["sessions_ended"] >= 1
    assert web.get("/counter").status_code == 303  # the session at the old counter ended
    assert _api_pay(web, old_token, "old-token").status_code == 401  # a token names its counter
    paid = _api_pay(web, web.api_token("operator1"), "at-chomu")
    assert paid.status_code == 201, paid.text
    assert web.run(lambda: Counter.get(code="JP-JM-001")).id == moved.counter_id
    assert paid.json()["receipt_no"].startswith(f"JP{moved.counter_id:04d}")

    assert "took cash at JP-JM-001" in _refused(web, lambda: _as("society", move_user, "operator1", "JP-JM-077"), "USERNAME")
    web.run(lambda: _close_the_day("JP-JM-001", "operator1"))
    web.run(lambda: _as("society", move_user, "operator1", "JP-JM-077"))  # another LSP's counter: the Society
    assert web.run(lambda: User.get(username="operator1")).lsp_id == other.id


# --- the Network page ---------------------------------------------------------------------------


def _post(web, data: dict[str, str]):
    return web.post_form("/network", data)


def test_the_society_builds_its_network_from_the_network_page(web):
    web.login("society")
    home = web.get("/")
    assert 'href="/network"' in home.text
    page = web.get("/network")
    assert page.status_code == 200
    for text in ("Pink City e-Services Pvt Ltd", "JP-LM-001", "JP-JM-001", "operator1", "operator2"):
        assert text in page.text

    made = _post(web, {"action": "lsp", "name": "Dhundhar Digital", "mode": "postpaid"})
    assert made.status_code == 303
    assert "LSP appointed: Dhundhar Digital" in web.get(made.headers["location"]).text
    assert "LSP appointed" not in web.get("/network?done=lsp&what=Send+your+password+to+x").text  # only what it made
    lsp = web.run(lambda: LSP.get(name="Dhundhar Digital"))

    wrong = _post(web, {"action": "counter", "code": "JP-XX-9", "name": "Kiosk, Phagi", "lsp": str(lsp.id), "owner": "M. Saini"})
    assert wrong.status_code == 400
    assert re.search(r'id="counter-code-error"[^>]*>Counter code: &#39;JP-XX-9&#39; is not a counter code', wrong.text), wrong.text
    assert 'value="Kiosk, Phagi"' in wrong.text  # what was typed is kept
    hindi = web.client.post("/network?lang=hi", data={"action": "counter", "code": "JP-XX-9", "name": "K", "lsp": str(lsp.id),
                                                      "csrf_token": web.csrf("/network")})
    assert "काउंटर कोड नहीं है" in hindi.text
    web.get("/network?lang=en")
    kiosk = {"action": "counter", "code": "JP-JM-077", "name": "Kiosk, Phagi", "lsp": str(lsp.id), "owner": "M. Saini"}
    short = _post(web, {**kiosk, "split": "30%/50%/20"})  # the last in basis points: 20 of them
    assert short.status_code == 400 and "the shares add up to 8020" in short.text
    assert 'value="30%/50%/20"' in short.text and "or in per cent with the sign, e.g. 30%/50%/20%;" in short.text
    assert _post(web, {**kiosk, "split": "30% / 50% / 20 %"}).status_code == 303  # the shares in per cent, as people write them
    made_kiosk = web.run(lambda: Counter.get(code="JP-JM-077"))
    assert (made_kiosk.split_lsp_bp, made_kiosk.split_owner_bp, made_kiosk.split_society_bp) == (3000, 5000, 2000)

    person = {"action": "operator", "username": "op_phagi", "name": "Pooja Meena", "counter": "JP-JM-077",
              "password": "kiosk-phagi-1", "password2": "kiosk-phagi-2"}
    differ = _post(web, person)
    assert differ.status_code == 400 and "the two passwords differ" in differ.text and "kiosk-phagi" not in differ.text
    assert _post(web, {**person, "password2": "kiosk-phagi-1"}).status_code == 303
    audit_text = str(web.run(lambda: AuditLog.all().values_list("detail", flat=True)))
    assert "kiosk-phagi-1" not in audit_text
    entries = web.run(lambda: AuditLog.filter(action__in=["lsp.created", "counter.created", "user.created"]))
    assert sorted((e.action, e.actor_name, e.detail["via"]) for e in entries) == [("counter.created", "society", "web"), ("lsp.created", "society", "web"),
                               ("user.created", "society", "web")]
    web.logout()
    web.login("op_phagi", "kiosk-phagi-1")
    assert web.get("/counter").status_code == 200


def test_a_counter_closed_on_the_page_takes_no_payment_and_an_operator_moved_there_takes_one_elsewhere(web):
    web.run(lambda: pay(BILL, {"k_number": K}, "chomu-1", "operator2"))
    web.login("society")
    refused = _post(web, {"action": "close", "code": "JP-JM-001"})
    assert refused.status_code == 400 and "is not covered by a day end: close the day at the counter" in refused.text
    web.run(lambda: _close_the_day("JP-JM-001", "operator2"))
    assert _post(web, {"action": "close", "code": "JP-JM-001"}).status_code == 303
    assert "closed" in web.get("/network").text
    assert web.run(lambda: AuditLog.get(action="counter.closed")).detail["via"] == "web"

    # its operator cannot log in; the page's move form takes them to the open counter, where they take a payment
    assert web.client.post("/api/v1/token", json={"username": "operator2", "password": "emitra-demo"}).status_code == 403
    assert _post(web, {"action": "move", "username": "operator2", "counter": "JP-LM-001"}).status_code == 303
    assert web.run(lambda: AuditLog.get(action="user.moved")).detail["to"] == "JP-LM-001"
    web.logout()
    web.login("operator2")
    eid = web.run(_ramesh)
    form = web.get(f"/counter/citizens/{eid}/services/{BILL}")
    assert form.status_code == 200
    paid = _api_pay(web, web.api_token("operator2"), "moved-1")
    assert paid.status_code == 201 and paid.json()["receipt_no"].startswith(
        f"JP{web.run(lambda: Counter.get(code='JP-LM-001')).id:04d}")


def test_the_network_page_keeps_each_to_their_own(web):
    from emitra.core.onboarding import add_counter, add_lsp, add_user

    other = web.run(lambda: _as("society", add_lsp, name="Dhundhar Digital", district_code="JP"))
    web.run(lambda: _as("society", add_counter, code="JP-JM-077", name="Kiosk, Phagi", lsp_id=other.id, owner_name="M. Saini"))
    web.run(lambda: _as("society", add_user, username="op_dudu", full_name="Pooja Meena", role="operator",
                        password="kiosk-phagi-1", counter_code="JP-JM-077"))
    for who in ("operator1", "tehsildar"):
        web.login(who)
        assert web.get("/network").status_code == 403
        web.logout()

    web.login("lsp")  # Pink City's admin
    page = web.get("/network")
    assert page.status_code == 200 and "JP-LM-001" in page.text
    assert "JP-JM-077" not in page.text and "op_dudu" not in page.text and "Dhundhar" not in page.text
    assert "License a counter" not in page.text and "Close this counter" not in page.text
    other_op = _post(web, {"action": "deactivate", "username": "op_dudu"})
    assert other_op.status_code == 403  # said, naming the field, with the way back (was "Your role does not allow this page.")
    assert "Operator: op_dudu is not one of your LSP&#39;s, so nothing was changed." in other_op.text
    assert '<a href="/network">' in other_op.text
    other_counter = _post(web, {"action": "close", "code": "JP-JM-077"})
    assert other_counter.status_code == 403 and "Counter: JP-JM-077 is not one of your LSP&#39;s" in other_counter.text
    there = _post(web, {"action": "operator", "username": "op_there", "name": "Ravi", "counter": "JP-JM-077",
                        "password": "kiosk-chomu-1", "password2": "kiosk-chomu-1"})
    assert there.status_code == 400  # beside the counter box, naming it (was "'lsp' may not add this account: ...")
    assert re.search(r'id="operator-counter-error" role="alert">Counter: JP-JM-077 is not one of your LSP&#39;s counters: choose one of yours',
                     there.text)
    assert not web.run(lambda: User.filter(username="op_there").exists())
    assert web.run(lambda: User.get(username="op_dudu")).active and web.run(lambda: Counter.get(code="JP-JM-077")).active
    own = _post(web, {"action": "close", "code": "JP-JM-001"})  # its own counter: the Society closes counters
    assert own.status_code == 400 and "licenses counters" in own.text
    mine = _post(web, {"action": "lsp", "name": "Mine"})
    assert mine.status_code == 400 and "is not an admin of the JP e-Mitra Society" in mine.text
    assert _post(web, {"action": "deactivate", "username": "operator2"}).status_code == 303
    assert not web.run(lambda: User.get(username="operator2")).active
    assert _post(web, {"action": "operator", "username": "op_chomu", "name": "Ravi", "counter": "JP-JM-001",
                       "password": "kiosk-chomu-1", "password2": "kiosk-chomu-1"}).status_code == 303
    moved = _post(web, {"action": "move", "username": "operator1", "counter": "JP-JM-077"})
    assert moved.status_code == 400 and "only the district Society" in moved.text

    no_csrf = web.client.post("/network", data={"action": "reactivate", "username": "operator2"})
    assert no_csrf.status_code == 403
    assert not web.run(lambda: User.get(username="operator2")).active


def test_the_network_pages_introduction_speaks_to_the_role_that_reads_it(web):
    """An LSP admin read "The LSPs the Society appoints, the counters it licenses...": a page about
    the district's network, when theirs shows their own counters and the forms they may use. The
    Society's admin reads of the LSPs it appoints in its district, named (decision 145)."""
    def intro(page):
        return re.sub(r"\s+", " ", re.search(r'<p id="intro">(.*?)</p>', page, re.S).group(1))

    web.login("lsp")
    page = web.get("/network").text
    said = intro(page)
    assert said.startswith("Your LSP's counters and the people who work them: add an operator")
    assert "The District e-Mitra Society licenses, names, closes and reopens counters" in said
    assert "the Society appoints" not in page and "LSPs, counters and operators" not in page
    assert "<h1>Network: your counters and operators</h1>" in page
    web.get("/lang/hi")
    hindi = intro(web.get("/network").text)
    assert hindi.startswith("आपके एलएसपी के काउंटर") and "सोसायटी" in hindi
    web.logout()
    web.login("society")
    web.get("/lang/en")
    page = web.get("/network").text
    assert intro(page).startswith("The LSPs your Society appoints in the Jaipur district, the counters it licenses")
    assert "<h1>Network: LSPs, counters and operators</h1>" in page
    web.get("/lang/hi")
    assert intro(web.get("/network").text).startswith("जयपुर जिले में")


def test_each_operators_sessions_a_counter_closing_ends_are_in_the_audit_log(web):
    """A closed counter ended its operators' sessions, and the log said only the closing: the
    sessions a closing found open on a later page (a counter closed in the database, by a script)
    were ended with no record, and those the closing itself ended had no record naming the operator.
    Each is now an ``auth.sessions_ended``: who, why, how many (decision 145)."""
    from emitra.core import auth

    web.login("operator2")
    assert web.get("/counter").status_code == 200

    async def second_session():  # the same operator signed in on a second computer
        return await auth.start_session(await User.get(username="operator2"))

    web.run(second_session)
    web.run(lambda: Counter.filter(code="JP-JM-001").update(active=False))  # closed outside the Society's command
    assert web.get("/counter").status_code == 303
    assert web.get("/counter").status_code == 303  # asked again: nothing more to record
    operator2 = web.run(lambda: User.get(username="operator2"))
    (entry,) = web.run(lambda: AuditLog.filter(action="auth.sessions_ended"))
    assert entry.object_id == str(operator2.id) and entry.actor_name == "operator2"
    assert entry.counter_id == operator2.counter_id
    assert entry.detail == {"via": "web", "username": "operator2", "reason": "counter_closed", "sessions_ended": 2,
                            "counter": "JP-JM-001"}

    # closed by the Society's command: each operator's sessions, by name, beside the closing's total
    web.run(lambda: Counter.filter(code="JP-JM-001").update(active=True))
    web.login("operator2")
    web.run(second_session)
    web.run(lambda: _as("society", close_counter, "JP-JM-001"))
    ended = web.run(lambda: AuditLog.filter(action="auth.sessions_ended").order_by("id"))
    assert len(ended) == 2 and ended[1].actor_name == "society" and ended[1].object_id == str(operator2.id)
    assert ended[1].detail == {"via": "web", "username": "operator2", "reason": "counter_closed", "sessions_ended": 2,
                               "counter": "JP-JM-001"}
    assert web.run(lambda: AuditLog.get(action="counter.closed")).detail["sessions_ended"] == 2
    assert web.get("/counter").status_code == 303  # already ended: no record of its own
    assert web.run(lambda: AuditLog.filter(action="auth.sessions_ended").count()) == 2


def _error(page, element_id: str) -> str:
    """The text of the refusal shown beside a field of the Network page (its element's id)."""
    import html

    found = re.search(rf'id="{re.escape(element_id)}" role="alert">([^<]*)<', page.text)
    assert found, (element_id, page.text)
    return html.unescape(found.group(1))


def test_the_network_page_refuses_in_its_own_words_not_the_commands(web):
    """A list left at "— choose —", a counter code or LSP name already taken, a counter closed twice
    (the page reloaded after the Back button): the page said the command line's words to a web user
    ("an operator works at a counter: give --counter CODE", "`emitra lsp list` shows them")."""
    web.run(lambda: caste_case("malviya-caste", "operator1"))  # an open application: the row's form to move them
    cli = re.compile(r"--[a-z]|`|emitra [a-z]|\bCODE\b")
    cases = {  # form posted -> (the error's element, words of the page's refusal)
        "operator": ({"action": "operator", "username": "op_new", "name": "Pooja Meena", "counter": "",
                      "password": "kiosk-new-1", "password2": "kiosk-new-1"}, "operator-counter-error", "choose the counter"),
        "move": ({"action": "move", "username": "operator1", "counter": ""}, "user-operator1-counter-error", "choose the counter"),
        "move_cases": ({"action": "move_cases", "code": "JP-LM-001", "counter": ""}, "counter-JP-LM-001-counter-error",
                       "choose the open counter"),
        "counter": ({"action": "counter", "code": "JP-JM-077", "name": "Kiosk, Phagi", "lsp": "", "owner": "M. Saini"},
                    "counter-lsp-error", "choose the LSP"),
        "taken": ({"action": "counter", "code": "JP-JM-001", "name": "Kiosk, Phagi", "lsp": "1", "owner": "M. Saini"},
                  "counter-code-error", "JP-JM-001 is taken"),
        "lsp": ({"action": "lsp", "name": "Pink City e-Services Pvt Ltd", "mode": "postpaid"}, "lsp-name-error", "already an LSP"),
    }
    web.login("society")
    for key, (data, element, words) in cases.items():
        refused = _post(web, data)
        assert refused.status_code == 400, key
        said = _error(refused, element)
        assert words in said and not cli.search(said), (key, said)
        hindi = web.client.post("/network?lang=hi", data={**data, "csrf_token": web.csrf("/network")})
        said_hi = _error(hindi, element)
        assert DEVANAGARI.search(said_hi) and not cli.search(said_hi), (key, said_hi)
        web.get("/network?lang=en")
    assert not web.run(lambda: User.filter(username="op_new").exists())
    assert not web.run(lambda: Counter.filter(name="Kiosk, Phagi").exists())

    # closed, then the same form posted again from the page before it (the Back button)
    assert _post(web, {"action": "close", "code": "JP-JM-001"}).status_code == 303
    again = _post(web, {"action": "close", "code": "JP-JM-001"})
    said = _error(again, "counter-JP-JM-001-code-error")
    assert again.status_code == 400 and "already closed" in said and not cli.search(said), said
    moved = _post(web, {"action": "move", "username": "operator1", "counter": "JP-JM-001"})
    said = _error(moved, "user-operator1-counter-error")
    assert "JP-JM-001 is closed" in said and not cli.search(said), said

    # the command line keeps its own words
    from emitra.core.onboarding import add_user

    assert "--counter" in _refused(web, lambda: _as("society", add_user, username="op_cli", full_name="R", role="operator",
                                                    password="kiosk-cli-1"), "--counter")

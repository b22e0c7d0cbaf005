"""Every refusal the Network page can give, each triggered through the page's own forms, reads in
the page's words: it begins with the label of the field it concerns (as the page shows that field,
or the row's counter or operator), stands beside that field, names no command-line option
(``--lsp``, ``--split``, ``USERNAME``, ``CODE``), backquote or ``emitra ...`` command, in English
and in Hindi; nothing is changed. The command line keeps its own words (tests/test_onboarding.py).
"""

from __future__ import annotations

import html
import re

import pytest

from emitra.core.models import LSP, Counter, Society, User
from tests.case_helpers import caste_case

CLI = re.compile(r"--[a-z]|`|\bemitra [a-z]|\b(CODE|USERNAME|OPERATOR)\b")
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
#: the label of a row's own refusal (the row's counter, the row's person), English and Hindi
ROW_LABELS = {"code": ("Counter", "काउंटर"), "username": ("Operator", "ऑपरेटर"),
              # a field the row no longer shows (a page sent from before a change): its refusal stands in the row
              "wallet_to": ("Its wallet balance on closing", "बंद होने पर इसके वॉलेट की शेष राशि"),
              "counter": ("Move the open applications to counter", "खुले आवेदन इस काउंटर पर भेजें")}
OK = {"password": "kiosk-new-1", "password2": "kiosk-new-1"}
OPERATOR = {"action": "operator", "username": "op_new", "name": "Pooja Meena", "name_hi": "", "counter": "JP-JM-001", **OK}
COUNTER = {"action": "counter", "code": "JP-JM-077", "name": "JanMitra Kiosk, Phagi", "name_hi": "", "lsp": "1", "owner": "M. Saini",
           "address": "", "split": ""}
SOCIETY = {"action": "society", "society_name": "District e-Mitra Society, Jaipur", "bank_account": "SBI 0000 1234 5678",
           "nodal_email": "nodal@example.org"}

#: (who posts, the form as the page sends it, the id of the refusal's element, words the refusal says)
CASES = {
    "lsp name empty": ("society", {"action": "lsp", "name": "", "mode": "postpaid"}, "lsp-name-error", "is needed"),
    "lsp name long": ("society", {"action": "lsp", "name": "P" * 201, "mode": "postpaid"}, "lsp-name-error", "at most 200"),
    "lsp name taken": ("society", {"action": "lsp", "name": "Pink City e-Services Pvt Ltd", "mode": "postpaid"}, "lsp-name-error",
                       "already an LSP"),
    "counter code": ("society", {**COUNTER, "code": "JP-XX-1"}, "counter-code-error", "is not a counter code"),
    "counter district": ("society", {**COUNTER, "code": "AJ-JM-077"}, "counter-code-error", "begin it with JP-"),
    "counter taken": ("society", {**COUNTER, "code": "JP-JM-001"}, "counter-code-error", "JP-JM-001 is taken"),
    "counter lsp": ("society", {**COUNTER, "lsp": ""}, "counter-lsp-error", "choose the LSP"),
    "counter name": ("society", {**COUNTER, "name": ""}, "counter-name-error", "is needed"),
    "counter name_hi": ("society", {**COUNTER, "name_hi": "Kiosk Phagi"}, "counter-name_hi-error", "is not written in Hindi"),
    "counter owner": ("society", {**COUNTER, "owner": ""}, "counter-owner-error", "is needed"),
    "counter split": ("society", {**COUNTER, "split": "30/70"}, "counter-split-error", "is not three whole numbers"),
    "counter split sum": ("society", {**COUNTER, "split": "5000/5000/5000"}, "counter-split-error", "add up to 15000"),
    "operator username": ("society", {**OPERATOR, "username": "Op New"}, "operator-username-error", "is not a username"),
    "operator taken": ("society", {**OPERATOR, "username": "operator1"}, "operator-username-error", "is taken"),
    "operator name": ("society", {**OPERATOR, "name": ""}, "operator-name-error", "is needed"),
    "operator name_hi": ("society", {**OPERATOR, "name_hi": "Pooja"}, "operator-name_hi-error", "is not written in Devanagari"),
    "operator counter": ("society", {**OPERATOR, "counter": ""}, "operator-counter-error", "choose the counter"),
    "operator password": ("society", {**OPERATOR, "password": "short", "password2": "short"}, "operator-password-error",
                          "has 5 characters"),
    "operator passwords differ": ("society", {**OPERATOR, "password2": "kiosk-new-2"}, "operator-password-error",
                                  "the two passwords differ"),
    "lsp admin's counter": ("lsp", {**OPERATOR, "counter": "AJ-LM-001"}, "operator-counter-error", "not one of your LSP's counters"),
    "lsp admin's operator": ("lsp", {**OPERATOR, "username": "operator1"}, "operator-username-error", "is taken"),
    "society name": ("society", {**SOCIETY, "society_name": ""}, "society-society_name-error", "is needed"),
    "society bank account": ("society", {**SOCIETY, "bank_account": "State Bank of India"}, "society-bank_account-error",
                             "has no account number"),
    "society bank account long": ("society", {**SOCIETY, "bank_account": "SBI " + "1" * 40}, "society-bank_account-error",
                                  "at most 40"),
    "society email": ("society", {**SOCIETY, "nodal_email": "nodal at example"}, "society-nodal_email-error",
                      "is not an email address"),
    "counter's name": ("society", {"action": "rename", "code": "JP-LM-001", "name": "", "name_hi": ""}, "names-JP-LM-001-name-error",
                       "is needed"),
    "counter's Hindi name": ("society", {"action": "rename", "code": "JP-LM-001", "name": "LokMitra", "name_hi": "LokMitra"},
                             "names-JP-LM-001-name_hi-error", "is not written in Hindi"),
    "person's name": ("society", {"action": "rename_user", "username": "operator1", "name": "", "name_hi": ""},
                      "names-user-operator1-name-error", "is needed"),
    "person's Hindi name": ("society", {"action": "rename_user", "username": "operator1", "name": "Anil", "name_hi": "Anil"},
                            "names-user-operator1-name_hi-error", "is not written in Devanagari"),
    "lsp admin renames": ("lsp", {"action": "rename_user", "username": "operator1", "name": "", "name_hi": ""},
                          "names-user-operator1-name-error", "is needed"),
    # an application paid at JP-LM-001 (below): its cash, the open application, its papers
    "close, cash and applications": ("society", {"action": "close", "code": "JP-LM-001"}, "counter-JP-LM-001-code-error",
                                     "cannot close yet"),
    "wallet of a postpaid counter": ("society", {"action": "close", "code": "JP-JM-001", "wallet_to": "JP-LM-001"},
                                     "counter-JP-JM-001-wallet_to-error", "has no wallet"),
    "reopen an open counter": ("society", {"action": "reopen", "code": "JP-JM-001"}, "counter-JP-JM-001-code-error", "is open already"),
    "move applications, none chosen": ("society", {"action": "move_cases", "code": "JP-LM-001", "counter": ""},
                                       "counter-JP-LM-001-counter-error", "choose the open counter"),
    "move applications, papers wait": ("society", {"action": "move_cases", "code": "JP-LM-001", "counter": "JP-JM-001"},
                                       "counter-JP-LM-001-code-error", "prepares the dispatch first"),
    "move applications, none open": ("society", {"action": "move_cases", "code": "JP-JM-001", "counter": "JP-LM-001"},
                                     "counter-JP-JM-001-code-error", "has no open application"),
    "lsp admin moves applications": ("lsp", {"action": "move_cases", "code": "JP-LM-001", "counter": ""},
                                     "counter-JP-LM-001-counter-error", "choose the open counter"),
    "move operator, none chosen": ("society", {"action": "move", "username": "operator1", "counter": ""},
                                   "user-operator1-counter-error", "choose the counter"),
    "move operator, same counter": ("society", {"action": "move", "username": "operator1", "counter": "JP-LM-001"},
                                    "user-operator1-counter-error", "already works at JP-LM-001"),
    "move operator, cash": ("society", {"action": "move", "username": "operator1", "counter": "JP-JM-001"},
                            "user-operator1-username-error", "took cash at JP-LM-001"),
    "lsp admin moves an operator": ("lsp", {"action": "move", "username": "operator1", "counter": ""},
                                    "user-operator1-counter-error", "choose the counter"),
}


def _refusal(page: str, element: str) -> tuple[str, str]:
    """The refusal in ``element`` and the label it must begin with (the field's, as the page shows
    it; a row's own refusal, the row's counter or person)."""
    found = re.search(rf'<p class="error" id="{re.escape(element)}" role="alert">([^<]*)</p>', page)
    assert found, f"no refusal in #{element}"
    field = element.removesuffix("-error")
    label = re.search(rf'<label for="{re.escape(field)}">([^<]*)</label>', page)
    if label:
        return html.unescape(found.group(1)), html.unescape(label.group(1))
    kind = field.rsplit("-", 1)[1]
    hindi = 'lang="hi"' in page[:200]
    return html.unescape(found.group(1)), ROW_LABELS[kind][1 if hindi else 0]


def _state(web) -> dict:
    async def read():
        return {"users": sorted(await User.all().values_list("username", "full_name", "full_name_hi", "counter_id", "active")),
                "counters": sorted(await Counter.all().values_list("code", "name", "name_hi", "active")),
                "lsps": await LSP.all().count(),
                "society": await Society.all().values_list("name", "bank_account", "nodal_officer_email")}

    return web.run(read)


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_every_refusal_of_the_network_page_names_its_field_in_the_pages_words(web, lang):
    web.run(lambda: caste_case("network-refusals", "operator1"))  # cash, an open application and its papers at JP-LM-001
    before = _state(web)
    problems = []
    for who in ("society", "lsp"):
        web.client.cookies.clear()
        web.login(who)
        web.get(f"/lang/{lang}?next=/network")
        for key, (poster, data, element, words) in CASES.items():
            if poster != who:
                continue
            answer = web.post_form("/network", data)
            if answer.status_code != 400:
                problems.append(f"{key}: status {answer.status_code}")
                continue
            said, label = _refusal(answer.text, element)
            if not said.startswith(f"{label}: "):
                problems.append(f"{key}: does not begin with its field's label {label!r}: {said}")
            if CLI.search(said):
                problems.append(f"{key}: the command line's words: {said}")
            if lang == "en" and words not in said:
                problems.append(f"{key}: {words!r} not in {said!r}")
            if lang == "hi" and not DEVANAGARI.search(said.removeprefix(label)):
                problems.append(f"{key}: not in Hindi: {said}")
            if said[-1] not in ".।":
                problems.append(f"{key}: no full stop: {said}")
    assert not problems, "\n".join(problems)
    assert _state(web) == before  # nothing was changed


def test_a_counter_closed_or_reopened_from_the_page_before_says_so_in_its_row(web):
    """The Back button: a counter closed again, a stale wallet choice, a closed counter chosen to
    take an operator or the open applications."""
    web.run(lambda: caste_case("network-stale", "operator2"))  # an open application at JP-JM-001, to move
    web.login("society")
    web.get("/lang/en?next=/network")

    async def close_kiosk() -> None:
        await Counter.filter(code="JP-LM-001").update(active=False)

    web.run(close_kiosk)
    again = web.post_form("/network", {"action": "close", "code": "JP-LM-001"})
    said, label = _refusal(again.text, "counter-JP-LM-001-code-error")
    assert said == "Counter: JP-LM-001 is already closed; nothing was changed. 'Reopen this counter' in its row reopens it."
    moved = web.post_form("/network", {"action": "move", "username": "operator2", "counter": "JP-LM-001"})
    said, label = _refusal(moved.text, "user-operator2-counter-error")
    assert said.startswith(f"{label}: JP-LM-001 is closed: choose an open counter from the list") and not CLI.search(said)
    cases = web.post_form("/network", {"action": "move_cases", "code": "JP-JM-001", "counter": "JP-LM-001"})
    said, label = _refusal(cases.text, "counter-JP-JM-001-counter-error")
    assert said == f"{label}: JP-LM-001 is closed; choose an open counter."

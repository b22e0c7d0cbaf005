"""The day's dispatch from a shell (decision 72): `emitra dispatch pending | prepare | list | show |
acknowledge`. Before, only a counter's Dispatch page sent its papers, so a Society moving a closing
kiosk's applications (`emitra counter move-applications`, refused while papers wait there) needed
that kiosk's page. The commands run on the tests' database (SQLite, or PostgreSQL when set)."""

from __future__ import annotations

import datetime as dt

import pytest

from emitra.core import clock, dayend, onboarding
from emitra.core.models import AuditLog, Case, Counter, Dispatch
from tests.case_helpers import actor, caste_case, run_commands
from tests.conftest import DB_URL

KIOSK, CENTRE = "JP-JM-001", "JP-LM-001"  # Pink City's JanMitra kiosk (operator2) and LokMitra centre (operator1)


def emitra(tmp_path, *calls: list[str]) -> list[list]:
    return run_commands(tmp_path, list(calls), database_url=DB_URL)


async def _close_the_day(code: str, username: str) -> None:
    counter = await Counter.get(code=code)
    day = await dayend.next_open_date(counter)
    if day is not None:
        await dayend.close_day(await actor(username), counter, day, (await dayend.figures(counter, day)).expected_paise)


async def _where(numbers: list[str]) -> set[str]:
    ids = await Case.filter(number__in=numbers).values_list("counter_id", flat=True)
    return set(await Counter.filter(id__in=ids).values_list("code", flat=True))


def test_a_closing_kiosks_papers_are_sent_from_the_shell_and_its_applications_then_move(web, tmp_path):
    first = web.run(lambda: caste_case("chomu-1", "operator2"))
    second = web.run(lambda: caste_case("chomu-2", "operator2", mobile="9414098765"))
    web.run(lambda: _close_the_day(KIOSK, "operator2"))
    yesterday = clock.today() - dt.timedelta(days=1)
    number = f"DSP-{KIOSK}-{yesterday:%Y%m%d}-1"

    (pending, refused_move, unknown, society, other_operator, lsp_admin, future, prepared, nothing, listed, shown,
     by_operator, unknown_case, acknowledged, again, waiting_again) = emitra(
        tmp_path,
        ["dispatch", "pending", KIOSK],
        ["counter", "move-applications", KIOSK, "--to", CENTRE, "--as", "society"],
        ["dispatch", "prepare", "JP-JM-404", "--as", "operator2"],
        ["dispatch", "prepare", KIOSK, "--as", "society"],
        ["dispatch", "prepare", KIOSK, "--as", "operator1"],
        ["dispatch", "prepare", KIOSK, "--as", "lsp"],
        ["dispatch", "prepare", KIOSK, "--date", "2099-01-01", "--as", "operator2"],
        ["dispatch", "prepare", KIOSK.lower(), "--date", yesterday.isoformat(), "--as", "operator2"],
        ["dispatch", "prepare", KIOSK, "--as", "operator2"],
        ["dispatch", "list", KIOSK],
        ["dispatch", "show", number.lower()],
        ["dispatch", "acknowledge", number, "--as", "operator2"],
        ["dispatch", "acknowledge", number, "--missing", "JP0000000000000", "--as", "tehsildar"],
        ["dispatch", "acknowledge", number, "--missing", second.number, "--note", "one bundle short", "--as", "tehsildar"],
        ["dispatch", "acknowledge", number, "--as", "society"],
        ["dispatch", "pending", KIOSK],
    )
    # what waits, per department, with each case's papers in both languages
    assert pending[0] == 0, pending
    assert f"{KIOSK}: 2 cases, 6 papers wait for dispatch" in pending[1]
    assert "Revenue Department, Government of Rajasthan: 2 cases" in pending[1]
    assert first.number in pending[1] and second.number in pending[1] and "Affidavit of caste / जाति का शपथ पत्र" in pending[1]
    # the move's refusal names the command now, not only the page
    assert refused_move[0] == 1 and f"`emitra dispatch prepare {KIOSK} --as OPERATOR`" in refused_move[1], refused_move
    # who may prepare: the counter's operator, as on the page; each refusal names the fix
    assert unknown[0] == 1 and "Error: COUNTER: no counter with code 'JP-JM-404'; `emitra counter list` shows them" in unknown[1]
    for out, who in ((society, "society"), (other_operator, "operator1"), (lsp_admin, "lsp")):
        assert out[0] == 1 and f"Error: --as: {who} is not an operator of {KIOSK}" in out[1], out
        assert "give one of its operators: operator2" in out[1], out
    assert future[0] == 1 and "Error: --date: 2099-01-01 is after today" in future[1], future
    assert prepared[0] == 0 and f"prepared 1 dispatch(es) at {KIOSK} dated {yesterday.isoformat()}" in prepared[1], prepared
    assert f"{number}  Revenue Department, Government of Rajasthan: 2 cases" in prepared[1]
    assert nothing[0] == 1 and f"Error: COUNTER: no papers wait at {KIOSK} for dispatch; nothing was prepared" in nothing[1], nothing
    assert listed[0] == 0 and number in listed[1] and "waiting for the department" in listed[1], listed
    assert shown[0] == 0 and f"dispatch {number} dated {yesterday.isoformat()}" in shown[1] and "prepared by Kavita Saini" in shown[1]
    assert first.number in shown[1] and second.number in shown[1] and "Signed application form / हस्ताक्षरित आवेदन पत्र" in shown[1]
    # the counter and the services in Hindi too, as the papers and the printed list (decision 131)
    assert f"  from {KIOSK} JanMitra Kiosk, Chomu / जनमित्र कियोस्क, चौमूं; " in shown[1], shown
    assert f"  {first.number}  Caste certificate – Revenue Department / जाति प्रमाण पत्र" in shown[1], shown
    # the department acknowledges it, once; what did not arrive waits at the kiosk again
    assert by_operator[0] == 1 and f"Error: --as: Dispatch {number} is acknowledged by an officer of Revenue" in by_operator[1]
    assert unknown_case[0] == 1 and f"Error: --missing: JP0000000000000 is not on dispatch {number}" in unknown_case[1]
    assert acknowledged[0] == 0, acknowledged
    assert f"{number} acknowledged: 1 case received; reported missing: {second.number} (waiting at {KIOSK} again" in acknowledged[1]
    assert again[0] == 1 and f"Error: NUMBER: Dispatch {number} was already acknowledged by Tehsildar" in again[1], again
    assert waiting_again[0] == 0 and f"{second.number}" in waiting_again[1] and f"reported missing from {number}" in waiting_again[1]
    assert first.number not in waiting_again[1]

    # audited once each, by the core, as from the command line
    made = web.run(lambda: Dispatch.get(number=number))
    assert made.business_date == yesterday and made.acknowledged_at is not None and "one bundle short" in made.ack_note
    prepared_log = web.run(lambda: AuditLog.filter(action="dispatch.prepared").order_by("id"))
    assert [(e.actor_name, e.detail["via"], e.detail["cases"]) for e in prepared_log] == [
        ("operator2", "cli", [first.number, second.number])]
    acked = web.run(lambda: AuditLog.filter(action="dispatch.acknowledged"))
    assert [(e.actor_name, e.detail["via"], e.detail["missing"]) for e in acked] == [("tehsildar", "cli", [second.number])]
    assert web.run(lambda: _where([first.number, second.number])) == {KIOSK}

    # the missing papers go again, then the applications move and the kiosk closes
    sent, moved, closed = emitra(
        tmp_path,
        ["dispatch", "prepare", KIOSK, "--as", "operator2"],
        ["counter", "move-applications", KIOSK, "--to", CENTRE, "--as", "society"],
        ["counter", "close", KIOSK, "--as", "society"],
    )
    assert sent[0] == 0 and f"DSP-{KIOSK}-{clock.today():%Y%m%d}-1" in sent[1], sent
    assert moved[0] == 0 and f"2 open applications moved from {KIOSK} to {CENTRE}" in moved[1], moved
    assert closed[0] == 0 and f"counter {KIOSK} closed" in closed[1], closed
    assert web.run(lambda: _where([first.number, second.number])) == {CENTRE}


def test_a_closed_counters_papers_are_refused_naming_the_reopening(web, tmp_path):
    case = web.run(lambda: caste_case("chomu-1", "operator2"))
    web.run(lambda: Counter.filter(code=KIOSK).update(active=False))
    pending, refused, listed, nothing_listed = emitra(
        tmp_path,
        ["dispatch", "pending", KIOSK],
        ["dispatch", "prepare", KIOSK, "--as", "operator2"],
        ["dispatch", "list"],
        ["dispatch", "show", "DSP-JP-JM-001-20261130-9"],
    )
    assert pending[0] == 0 and f"{KIOSK} (closed): 1 case" in pending[1] and case.number in pending[1], pending
    assert refused[0] == 1 and f"Error: COUNTER: {KIOSK} is closed" in refused[1], refused
    assert f"emitra counter reopen {KIOSK} --as SOCIETY_ADMIN" in refused[1]
    assert listed[0] == 0 and listed[1].strip() == "no dispatch", listed
    assert nothing_listed[0] == 1 and "Error: NUMBER: no dispatch 'DSP-JP-JM-001-20261130-9'" in nothing_listed[1]
    assert not web.run(lambda: Dispatch.exists()) and not web.run(lambda: AuditLog.filter(action="dispatch.prepared").exists())


def test_the_move_refusal_names_the_command_in_hindi_too(web):
    web.run(lambda: caste_case("chomu-1", "operator2"))

    async def move():
        return await onboarding.move_applications(await actor("society"), KIOSK, CENTRE)

    with pytest.raises(onboarding.Refused) as caught:
        web.run(move)
    assert f"emitra dispatch prepare {KIOSK} --as OPERATOR" in caught.value.message
    assert f"emitra dispatch prepare {KIOSK} --as OPERATOR" in caught.value.message_hi and "डिस्पैच तैयार करें" in caught.value.message_hi
    web.login("society")
    page = web.post_form("/network?lang=hi", {"action": "move_cases", "code": KIOSK, "counter": CENTRE}, token_from="/network?lang=hi")
    # the Network page says it in its own words (decision 206): the counter's Dispatch page, not the command
    assert page.status_code == 400 and f"पहले {KIOSK} का कोई ऑपरेटर काउंटर के प्रेषण पृष्ठ पर प्रेषण तैयार करे" in page.text
    assert "emitra dispatch" not in page.text


def test_whoever_calls_the_core_only_the_counters_operator_prepares(web):
    """The page's rule is the core's own: a Society or LSP admin calling ``dispatch.prepare`` (a
    script, a future page) makes no list, and nothing is written."""
    from emitra.core import dispatch

    web.run(lambda: caste_case("chomu-1", "operator2"))

    async def prepare_as(username: str):
        return await dispatch.prepare(await actor(username), await Counter.get(code=KIOSK))

    for username in ("society", "lsp", "tehsildar"):
        with pytest.raises(dispatch.DispatchError) as caught:
            web.run(lambda: prepare_as(username))
        assert caught.value.field == "role" and "give one of its operators: operator2" in caught.value.message_en
        assert "operator2" in caught.value.message_hi
    assert not web.run(lambda: Dispatch.exists())
    assert [d.number for d in web.run(lambda: prepare_as("operator2"))] == [f"DSP-{KIOSK}-{clock.today():%Y%m%d}-1"]


async def _dispatches(n: int) -> list[str]:
    """``n`` dispatches from the kiosk, a day apart (newest first in the list), alternately to the
    Revenue and the Social Justice department; the even ones acknowledged."""
    from emitra.core.models import User

    counter = await Counter.get(code=KIOSK)
    operator, officer = await User.get(username="operator2"), await User.get(username="tehsildar")
    numbers = []
    for i in range(n):
        day = clock.today() - dt.timedelta(days=n - i)
        d = await Dispatch.create(
            district_id=counter.district_id, counter=counter, number=f"DSP-{KIOSK}-{day:%Y%m%d}-1", business_date=day, items=[],
            department="Revenue Department" if i % 2 == 0 else "Social Justice and Empowerment Department", created_by=operator,
            acknowledged_by=officer if i % 2 == 0 else None, acknowledged_at=clock.now() if i % 2 == 0 else None)
        numbers.append(d.number)
    return numbers


def test_the_list_of_dispatches_is_narrowed_by_state_and_department_and_its_limit_is_chosen(web, tmp_path):
    """`emitra dispatch list` printed at most 100 and told to name a counter even when one was
    named: it now takes --waiting, --department and --limit (0: all), and its note names only the
    narrowing not given yet."""
    numbers = web.run(lambda: _dispatches(5))  # oldest first
    (two, every, waiting, revenue, revenue_waiting, blank, negative, none) = emitra(
        tmp_path,
        ["dispatch", "list", KIOSK, "--limit", "2"],
        ["dispatch", "list", "--limit", "0"],
        ["dispatch", "list", KIOSK, "--waiting"],
        ["dispatch", "list", "--department", "REVENUE"],
        ["dispatch", "list", "--department", "revenue", "--waiting"],
        ["dispatch", "list", "--department", "  "],
        ["dispatch", "list", "--limit", "-1"],
        ["dispatch", "list", KIOSK, "--date", "2020-01-01", "--waiting"],
    )
    listed = lambda out: [line.split()[0] for line in out[1].splitlines() if line.startswith("DSP-")]  # noqa: E731
    assert two[0] == 0 and listed(two) == numbers[::-1][:2], two
    assert "... and 3 older: name a --date, --waiting, a --department, or give --limit 5 (or --limit 0) for every one" in two[1]
    assert "a COUNTER" not in two[1]  # it was named
    assert every[0] == 0 and listed(every) == numbers[::-1] and "older" not in every[1], every
    assert waiting[0] == 0 and listed(waiting) == [numbers[3], numbers[1]], waiting
    assert all("waiting for the department" in line for line in waiting[1].splitlines())
    assert revenue[0] == 0 and listed(revenue) == [numbers[4], numbers[2], numbers[0]], revenue
    assert revenue_waiting[0] == 0 and revenue_waiting[1].strip() == "no dispatch waiting for its department to a department named like 'revenue'"
    assert blank[0] == 2 and "--department" in blank[1] and "part of the department's name" in blank[1], blank
    assert negative[0] == 2 and "--limit" in negative[1], negative
    assert none[0] == 0 and none[1].strip() == f"no dispatch waiting for its department at {KIOSK} dated 2020-01-01", none

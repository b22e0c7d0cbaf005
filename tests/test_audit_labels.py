"""The audit log on the home page reads in words, in English and Hindi (decision 118): each action
a label with its code small beside it for the auditor, each object its kind ("Day end 427"), an
unknown action its code; every action the code records has a label."""

from __future__ import annotations

import ast
import html
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from emitra.core import audit  # noqa: E402
from emitra.core.models import DayEnd, User  # noqa: E402
from emitra.web import labels  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _audit_rows(text: str) -> list[list[str]]:
    table = text.split(">Audit log<")[-1] if ">Audit log<" in text else text.split(">ऑडिट लॉग<")[-1]
    rows = re.findall(r"<tr><td>(.*?)</td></tr>", table.split("</table>")[0], re.S)
    return [[html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c))).strip() for c in r.split("</td><td>")]
            for r in rows]


def _recorded_codes() -> set[str]:
    """Every string constant in the action argument of an ``audit.record`` call, and the action of each
    ``audit.record_many`` tuple; f-strings expanded by what they are built from."""
    codes: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if {"tests", ".venv", "bench"} & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Tuple) and len(node.elts) == 4 and isinstance(node.elts[1], ast.Constant) \
                    and isinstance(node.elts[1].value, str) and re.fullmatch(r"[a-z_]+\.[a-z_]+", node.elts[1].value):
                codes.add(node.elts[1].value)  # (actor, action, object, options) for record_many
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit" and len(node.args) > 1):
                continue
            for part in ast.walk(node.args[1]):
                if isinstance(part, ast.Constant) and isinstance(part.value, str) and re.fullmatch(r"[a-z_]+\.[a-z_]+", part.value):
                    codes.add(part.value)
    return codes


def test_every_action_the_code_records_has_a_label():
    codes = _recorded_codes()
    assert {"auth.login", "dayend.closed", "statement.withdrawn", "counter.service_enabled"} <= codes
    assert not codes - set(labels.AUDIT_ACTIONS), sorted(codes - set(labels.AUDIT_ACTIONS))
    # built at run time: the hand-over's outcomes, each workflow step (core/workflow.py), the vetting's two
    built = {"request.submitted", "request.submission_failed", "mis_report.vet", "mis_report.return", "case.approve",
             "case.reject", "case.return", "case.resubmit", "case.issue", "case.revoke", "case.forward", "case.close",
             "case.resolve", "case.collect", "case.acknowledge", "case.call_for_verification", "case.inspected"}
    assert not built - set(labels.AUDIT_ACTIONS)


def test_the_society_admin_reads_the_audit_log_in_words_in_english_and_hindi(web):
    async def more() -> int:
        society = await User.get(username="society")
        day = DayEnd(id=427)  # (only its kind and number are recorded)
        actor = audit.Actor(society, via="test")
        await audit.record(actor, "dayend.deposit_confirmed", day, district_id=society.district_id)
        await audit.record(actor, "something.new", None, district_id=society.district_id)
        return day.id

    web.login("society")
    day_id = web.run(more)
    rows = _audit_rows(web.get("/").text)
    assert rows[0][2:] == ["something.new", ""]  # an action without a label: its code
    assert rows[1][2:] == ["Deposit confirmed dayend.deposit_confirmed", f"Day end {day_id}"]
    assert ["Logged in auth.login", f"User {web.run(lambda: User.get(username='society')).id}"] in [r[2:] for r in rows]
    assert not any(r[3].startswith(("DayEnd ", "ServiceRequest ")) for r in rows)

    assert web.post_form("/lang/hi", {"next": "/"}, token_from="/").status_code == 303
    rows = _audit_rows(web.get("/").text)
    assert rows[0][2] == "भाषा बदली user.language"  # the change of language just made
    assert rows[1][2] == "something.new"
    assert rows[2][2:] == ["जमा की पुष्टि हुई dayend.deposit_confirmed", f"दिवस अंत {day_id}"]

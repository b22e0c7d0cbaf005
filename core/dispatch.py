"""Day-end dispatch: the paper documents a counter took during the day, sent to each department.

An application filed at a counter is handed to its department electronically at once, but some
services also need paper: the signed form, self-attested copies, an affidavit
(``Service.paper_documents``). At the end of the day the operator prepares one dispatch per
department (:func:`prepare`): a numbered list of the cases and their papers, printed and sent with
the bundle. The department's clerk checks the bundle against the list and acknowledges it in
e-Mitra (:func:`acknowledge`), reporting any case whose papers did not arrive.

Which cases wait for dispatch (:func:`pending`): applications filed at the counter, with paper
documents, not yet in a dispatch, and in a state where the department needs the paper:

* not the process's initial state (``submitted``: the hand-over to the department has not
  happened yet, or failed and is being retried);
* not ``returned``: the department sent it back for correction and the papers may have to be
  corrected too; they travel once the case is resubmitted (``forwarded`` again);
* not ``rejected`` or ``revoked``: the department has decided against it and does not need the
  paper. A case rejected before its papers left stays at the counter, which keeps them.

Everything else (with the department, in verification, approved, ready, collected) is sent: a
department keeps the signed paper of what it decided.

A case whose papers the department reports missing leaves the dispatch (``dispatch_id`` is cleared),
gets an internal remark that the officer's inbox shows, and waits at its counter again, to go out
with the next dispatch once the papers are found or taken again from the applicant.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any, Iterable

from tortoise.transactions import in_transaction

from emitra.core import audit, clock, privacy, workflow
from emitra.core.models import Case, Counter, Dispatch, Role, User

#: states whose paper does not travel (see the module docstring); the initial state is excluded too
HELD_STATES = ("submitted", "returned", "rejected", "revoked")
NOTE_MAX = 300


class DispatchError(workflow.WorkflowError):
    """A dispatch step refused, with the message in English and Hindi."""


def _role(user: User | None) -> str:
    if user is None:
        return ""
    return user.role.value if hasattr(user.role, "value") else str(user.role)


async def pending(counter: Counter) -> dict[str, list[Case]]:
    """The cases whose papers wait at this counter, by department (departments and cases in order)."""
    cases = await Case.filter(counter_id=counter.id, kind="application", dispatch_id=None,
                              state__not_in=HELD_STATES).order_by("department", "id")
    out: dict[str, list[Case]] = OrderedDict()
    for case in cases:
        if not case.paper_documents:
            continue
        if case.state == workflow.process_of(case).initial:
            continue
        out.setdefault(case.department, []).append(case)
    return out


def item_of(case: Case) -> dict[str, Any]:
    """The snapshot of one case on a dispatch list."""
    return {
        "case_id": case.id,
        "number": case.number,
        "service": {"en": case.title_en, "hi": case.title_hi},
        "applicant": case.applicant_name,
        "documents": [{"en": str(d.get("en", "")), "hi": str(d.get("hi", ""))} for d in case.paper_documents or []],
        "filed_at": case.created_at.isoformat() if case.created_at else "",
    }


async def _next_number(counter: Counter, on: dt.date) -> tuple[str, int]:
    """DSP-<counter>-<YYYYMMDD>-<n>: n counts the counter's dispatches of the day, from 1."""
    prefix = f"DSP-{counter.code}-{on.strftime('%Y%m%d')}-"
    taken = await Dispatch.filter(number__startswith=prefix).values_list("number", flat=True)
    used = [int(n[len(prefix):]) for n in taken if n[len(prefix):].isdigit()]
    return prefix, max(used, default=0) + 1


async def prepare(actor: audit.Actor, counter: Counter, business_date: dt.date | None = None) -> list[Dispatch]:
    """One dispatch per department for every case waiting at this counter; none when nothing waits.

    One transaction: the dispatches, their cases linked to them and the audit records, or nothing.
    Two operators preparing at the same moment cannot put a case in two dispatches. Only an active
    operator of an open ``counter``, for today or an earlier day (:func:`check_preparer`): the page
    and ``emitra dispatch prepare`` alike.
    """
    user = actor.user
    if user is None:
        raise DispatchError("user", "A dispatch is prepared by a signed-in operator, who signs the list.",
                            "प्रेषण सूची लॉग-इन ऑपरेटर तैयार करते हैं, जो उस पर हस्ताक्षर करते हैं।")
    if _role(user) == Role.OPERATOR.value and user.counter_id != counter.id:
        raise DispatchError("counter", f"You work at another counter; only {counter.code}'s operators prepare its dispatch.",
                            f"आप किसी अन्य काउंटर पर हैं; {counter.code} का प्रेषण उसी के ऑपरेटर तैयार करते हैं।")
    on = business_date or clock.today()
    await check_preparer(user, counter, on)  # the page's people only, whoever calls (decision 72)
    made: list[Dispatch] = []
    async with in_transaction():
        if workflow._supports_for_update():  # serialise preparations at one counter
            await Counter.select_for_update().get(id=counter.id)
        waiting = await pending(counter)
        if not waiting:
            return []
        prefix, seq = await _next_number(counter, on)
        for department, cases in waiting.items():
            dispatch = await Dispatch.create(
                district_id=counter.district_id, counter=counter, department=department, number=f"{prefix}{seq}",
                business_date=on, items=[item_of(c) for c in cases], created_by=user)
            seq += 1
            ids = [c.id for c in cases]
            linked = await Case.filter(id__in=ids, dispatch_id=None).update(dispatch_id=dispatch.id)
            if linked != len(ids):  # another preparation took some of them: undo this one entirely
                raise DispatchError("cases", "Another dispatch was prepared at the same moment. Open the page again and retry.",
                                    "उसी समय एक अन्य प्रेषण तैयार हुआ। पृष्ठ फिर से खोलें और पुनः प्रयास करें।")
            await audit.record(actor, "dispatch.prepared", dispatch, district_id=counter.district_id, counter_id=counter.id,
                               detail={"number": dispatch.number, "department": department, "business_date": on.isoformat(),
                                       "cases": [c.number for c in cases]})
            made.append(dispatch)
    return made


def may_prepare(user: User | None, counter: Counter) -> bool:
    """Who prepares a counter's dispatch, on the page (``/counter/dispatch``) and on the command line
    (``emitra dispatch prepare``): an active operator of that counter, who holds the papers and
    signs the list as the sender. Not the LSP's or the Society's admin: they hold no papers."""
    return user is not None and user.active and _role(user) == Role.OPERATOR.value and user.counter_id == counter.id


async def check_preparer(user: User | None, counter: Counter, on: dt.date) -> None:
    """Refuse, naming the fix, what the page cannot reach but a command can ask for: a closed
    counter (its operators cannot log in), someone who is not its operator, a date after today (a
    list is dated the day it leaves; an evening's papers prepared after midnight may bear the day
    before). :func:`prepare` makes the list."""
    if not counter.active:
        raise DispatchError("counter", f"{counter.code} is closed: its papers leave with a dispatch its operator prepares at the "
                                       f"open counter. Reopen it (emitra counter reopen {counter.code} --as SOCIETY_ADMIN), "
                                       f"prepare the dispatch, then close it again.",
                            f"{counter.code} बंद है: इसके कागज़ खुले काउंटर पर इसके ऑपरेटर द्वारा तैयार प्रेषण से जाते हैं। इसे फिर से "
                            f"खोलें (emitra counter reopen {counter.code} --as SOCIETY_ADMIN), प्रेषण तैयार करें, फिर बंद करें।")
    if not may_prepare(user, counter):
        who = user.username if user is not None else "—"
        names = await User.filter(counter_id=counter.id, role=Role.OPERATOR, active=True).order_by("username") \
            .values_list("username", flat=True)
        them = (f"one of its operators: {', '.join(names)}" if names else
                f"its operator; it has none active (emitra user add USERNAME --role operator --counter {counter.code})")
        raise DispatchError("role", f"{who} is not an operator of {counter.code}: a dispatch is prepared and signed by an operator "
                                    f"of the counter where the papers are; give {them}.",
                            f"{who} {counter.code} के ऑपरेटर नहीं हैं: प्रेषण वही ऑपरेटर तैयार करता और उस पर हस्ताक्षर करता है जिसके "
                            f"काउंटर पर कागज़ हैं; " + (f"इसका कोई ऑपरेटर दें: {', '.join(names)}" if names else
                                                    "इसका कोई सक्रिय ऑपरेटर नहीं है (emitra user add ... --role operator)") + "।")
    today = clock.today()
    if on > today:
        raise DispatchError("date", f"{on.isoformat()} is after today ({today.isoformat()}): a dispatch is dated the day it is "
                                    "sent; leave --date out for today.",
                            f"{on.isoformat()} आज ({today.isoformat()}) के बाद की तिथि है: प्रेषण उसी दिन की तिथि का होता है जिस दिन "
                            "भेजा जाए; आज के लिए --date न दें।")


def may_view(user: User, dispatch: Dispatch) -> bool:
    """The counter's operators, the department's officers in its district, the district's Society admin."""
    role = _role(user)
    if not user.active:
        return False
    if role == Role.OPERATOR.value:
        return user.counter_id == dispatch.counter_id
    if user.district_id != dispatch.district_id:
        return False
    if role == Role.SOCIETY_ADMIN.value:
        return True
    if role == Role.DEPARTMENT_OFFICER.value:
        return user.department == dispatch.department
    return False


def may_acknowledge(user: User | None, dispatch: Dispatch) -> bool:
    """A department officer of the dispatch's department and district, or the district's Society admin."""
    if user is None or not user.active or user.district_id != dispatch.district_id:
        return False
    role = _role(user)
    if role == Role.SOCIETY_ADMIN.value:
        return True
    return role == Role.DEPARTMENT_OFFICER.value and user.department == dispatch.department


def missing_numbers(dispatch: Dispatch) -> list[str]:
    return [i["number"] for i in dispatch.items or [] if i.get("missing")]


async def acknowledge(actor: audit.Actor, dispatch: Dispatch, note: str = "", missing: Iterable[str] = ()) -> Dispatch:
    """The department's receipt of a dispatch, once, with what did not arrive.

    Each case reported missing gets an internal remark (the officer's inbox shows it) and goes back
    to its counter's list of papers to send. One transaction.
    """
    user = actor.user
    if not may_acknowledge(user, dispatch):
        raise DispatchError("role", f"Dispatch {dispatch.number} is acknowledged by an officer of {dispatch.department} "
                                    f"in its district, or by the district's Society admin.",
                            f"प्रेषण {dispatch.number} की पावती {dispatch.department} के अधिकारी (उसी ज़िले के) "
                            f"या ज़िला सोसाइटी के व्यवस्थापक ही दे सकते हैं।")
    note = privacy.mask_aadhaar_in_text(" ".join((note or "").split()))  # kept masked, as a case's text (docs/security.md)
    if len(note) > NOTE_MAX:
        raise DispatchError("note", f"The note is {len(note)} characters long; shorten it to at most {NOTE_MAX}.",
                            f"टिप्पणी {len(note)} अक्षरों की है; इसे अधिकतम {NOTE_MAX} अक्षरों तक छोटा करें।")
    missing = sorted({str(m).strip() for m in missing if str(m).strip()})
    async with in_transaction():
        if workflow._supports_for_update():
            fresh = await Dispatch.select_for_update().get(id=dispatch.id)
        else:
            fresh = await Dispatch.get(id=dispatch.id)
        if fresh.acknowledged_at is not None:
            by = await User.get_or_none(id=fresh.acknowledged_by_id)
            who = (by.full_name or by.username) if by else "—"
            on = clock_fmt(fresh.acknowledged_at)
            raise DispatchError("dispatch", f"Dispatch {fresh.number} was already acknowledged by {who} on {on}; "
                                            f"it is acknowledged once. Add a remark on the case instead.",
                                f"प्रेषण {fresh.number} की पावती {who} द्वारा {on} को पहले ही दी जा चुकी है; पावती "
                                f"एक ही बार दी जाती है। इसके बजाय प्रकरण पर टिप्पणी जोड़ें।")
        numbers = [i["number"] for i in fresh.items or []]
        unknown = [m for m in missing if m not in numbers]
        if unknown:
            raise DispatchError("missing", f"{', '.join(unknown)} is not on dispatch {fresh.number}; tick only cases on its list.",
                                f"{', '.join(unknown)} प्रेषण {fresh.number} की सूची में नहीं है; केवल सूची के प्रकरण चुनें।")
        at = clock.now()
        fresh.items = [{**i, "missing": i["number"] in missing} for i in fresh.items or []]
        fresh.ack_note = ack_note(note, missing)
        fresh.acknowledged_by, fresh.acknowledged_at = user, at
        await fresh.save(update_fields=["items", "ack_note", "acknowledged_by_id", "acknowledged_at"])
        await audit.record(actor, "dispatch.acknowledged", fresh, district_id=fresh.district_id, counter_id=fresh.counter_id,
                           detail={"number": fresh.number, "department": fresh.department, "missing": missing, "note": note})
        if missing:
            cases = await Case.filter(number__in=missing, dispatch_id=fresh.id)
            for case in cases:
                await workflow.add_remark(actor, case, (
                    f"Paper documents not received with dispatch {fresh.number} ({clock_fmt(at)}): the counter must send "
                    f"them again. / प्रेषण {fresh.number} के साथ कागज़ी दस्तावेज़ प्राप्त नहीं हुए: काउंटर इन्हें पुनः भेजे।"),
                    public=False)
            await Case.filter(id__in=[c.id for c in cases]).update(dispatch_id=None)
    return fresh


#: the width of ``Dispatch.ack_note``: the department's note and the cases reported missing
ACK_NOTE_MAX = 500


def ack_note(note: str, missing: list[str]) -> str:
    """The department's note and the cases reported missing, as kept on the dispatch: whole, or,
    when so many are missing that they do not fit, as many numbers as fit and how many more (each
    is marked on the list itself and waits at its counter again); never a number cut in the middle."""
    shown = list(missing)
    while True:
        more = len(missing) - len(shown)
        listed = f"Missing / अप्राप्त: {', '.join(shown)}" if shown else ""
        if more:
            listed += f" {'and ' if shown else ''}{more} more, marked on the list / {more} और, सूची में चिह्नित"
        text = " · ".join(p for p in (note, listed) if p)
        if len(text) <= ACK_NOTE_MAX or not shown:
            return text[:ACK_NOTE_MAX]
        shown.pop()


def same_acknowledgement(dispatch: Dispatch, user: User | None, note: str, missing: Iterable[str]) -> bool:
    """Whether ``dispatch`` was acknowledged by ``user`` with this note and these cases missing: a
    second press of the same form, which the page shows done rather than refused."""
    if user is None or dispatch.acknowledged_by_id != user.id:
        return False
    note = privacy.mask_aadhaar_in_text(" ".join((note or "").split()))
    missing = sorted({str(m).strip() for m in missing if str(m).strip()})
    return missing == sorted(missing_numbers(dispatch)) and dispatch.ack_note == ack_note(note, missing)


def clock_fmt(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    from zoneinfo import ZoneInfo

    from emitra.core import config

    value = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(ZoneInfo(config.timezone())).strftime("%d-%m-%Y %H:%M")

"""Workflows: what happens to an application or a grievance after the counter has taken it.

A service declares its process (states, transitions, the role allowed to take each, SLA days per
state and overall); :func:`process_for` supplies the default when it declares none:

    submitted → forwarded → (verification) → approved → ready → collected
                        ↘ returned (for correction) → forwarded
                        ↘ rejected (with a reason)

Every transition goes through :func:`act`: the role is checked, an illegal step is refused with
what is allowed instead, and the change, a :class:`CaseEvent`, the audit record and the
notifications to the citizen are written in one database transaction. :func:`sweep` flags SLA
breaches and escalates them to the next officer.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any, Iterable

from tortoise.expressions import Case as Choose
from tortoise.expressions import Q, When
from tortoise.transactions import in_transaction

from emitra.core import audit, clock, privacy
from emitra.core.db import on_postgres
from emitra.core.models import Case, CaseEvent, Counter, District, Role, ServiceRequest, User
from emitra.core.text import days_en, typed_number

SYSTEM = "system"  # the role of the platform itself (the hand-over to the department, the SLA sweep)
DESKS = ("department", "society")
DELIVERABLES = ("certificate", "department", None)


class WorkflowError(Exception):
    """A step that cannot be taken, with the message in English and Hindi (and what is allowed)."""

    def __init__(self, field: str, message_en: str, message_hi: str, allowed: tuple[str, ...] = ()):
        super().__init__(message_en)
        self.field = field
        self.message_en = message_en
        self.message_hi = message_hi
        #: the actions (codes) the messages name by their labels, for a shell user to type
        self.allowed = allowed


@dataclass(frozen=True)
class State:
    name: str
    label_en: str
    label_hi: str
    #: days allowed in this state before it is a breach (None: no limit)
    sla_days: int | None = None
    final: bool = False
    #: whose turn it is: department (or the Society, for a Society desk case), counter, or nobody
    desk: str = "department"


def _whole_days(value: object) -> bool:
    """A number of days a process may give: a whole number, at least 1 (``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    #: Role values allowed to take it; ``"system"`` for the platform itself. A department officer
    #: step on a Society desk case is taken by the Society admin.
    roles: tuple[str, ...]
    label_en: str
    label_hi: str
    #: the actor must say why (a rejection, a return for correction)
    reason_required: bool = False
    #: how the timeline names the step once taken ("Approved", "Certificate issued"); empty: the label
    done_en: str = ""
    done_hi: str = ""
    #: a department officer's step only an officer of at least this level may take (2: the next
    #: officer up approves what the desk officer scrutinised); 1 lets every officer of the department
    min_level: int = 1


@dataclass(frozen=True)
class Process:
    name: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    initial: str = "submitted"
    #: days from submission to a final state (None: no overall limit)
    sla_days: int | None = None
    #: ``certificate``: the platform issues a verifiable certificate on ``issue``; ``department``:
    #: the department sends its own document to the counter; ``None``: nothing to collect
    deliverable: str | None = "certificate"
    _index: dict[str, State] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({s.name: s for s in self.states})

    def state(self, name: str) -> State:
        found = self._index.get(name)
        if found is None:  # a state a plugin no longer declares: shown, never stuck silently
            return State(name, name, name)
        return found

    def transition(self, action: str) -> Transition | None:
        return next((t for t in self.transitions if t.action == action), None)

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def problems(self) -> list[str]:
        """What is wrong with this declaration: each problem names the state or action and the fix."""
        out: list[str] = []
        names = [s.name for s in self.states]
        if len(set(names)) != len(names):
            out.append("process.states: a state is declared twice; give every state a unique name")
        if self.initial not in names:
            out.append(f"process.initial: {self.initial!r} is not one of the declared states ({', '.join(names)})")
        roles = {r.value for r in Role} | {SYSTEM}
        actions: set[str] = set()
        out += self._label_problems()
        for t in self.transitions:
            if isinstance(t.sources, str) or not all(isinstance(s, str) for s in t.sources):
                out.append(f"process.transitions[{t.action}].sources: {t.sources!r} is not a tuple of state names; write "
                           f"({t.sources!r},) for one state (a lone string in brackets needs the trailing comma)"
                           if isinstance(t.sources, str) else
                           f"process.transitions[{t.action}].sources: {t.sources!r} is not a tuple of state names")
                continue
            if t.action in actions:
                out.append(f"process.transitions: action {t.action!r} is declared twice; give each a unique name")
            actions.add(t.action)
            for s in (*t.sources, t.target):
                if s not in names:
                    out.append(f"process.transitions[{t.action}]: state {s!r} is not declared; add it to states")
            if isinstance(t.roles, str):  # ("system") is a string: each letter was reported as a role
                out.append(f"process.transitions[{t.action}].roles: {t.roles!r} is not a tuple of roles; write ({t.roles!r},) "
                           f"for one role (a lone string in brackets needs the trailing comma)")
            else:
                for r in t.roles:
                    if r not in roles:
                        out.append(f"process.transitions[{t.action}]: role {r!r} is unknown; use one of {', '.join(sorted(roles))}")
                if not t.roles:
                    out.append(f"process.transitions[{t.action}]: no role may take it; list at least one role")
            if any(self.state(s).final for s in t.sources):
                out.append(f"process.transitions[{t.action}]: it leaves a final state; final states have no way out")
            if isinstance(t.min_level, bool) or not isinstance(t.min_level, int) or t.min_level < 1:
                out.append(f"process.transitions[{t.action}].min_level: {t.min_level!r} is not an officer level; write a whole "
                           "number, 1 (every officer of the department) or more (2: the next officer up)")
            elif t.min_level > 1 and OFFICER not in t.roles:
                out.append(f"process.transitions[{t.action}].min_level: levels are department officers'; add "
                           f"'{OFFICER}' to its roles or leave min_level at 1")
        for s in self.states:
            if s.sla_days is not None and not _whole_days(s.sla_days):
                out.append(f"process.states[{s.name}].sla_days: must be a whole number of days, at least 1, or None")
            if s.desk not in (*DESKS, "counter", "none"):
                out.append(f"process.states[{s.name}].desk: {s.desk!r} is not department, society, counter or none")
            if not s.final and not self.from_state(s.name):
                out.append(f"process.states[{s.name}]: no transition leaves it; mark it final or add one")
        if not any(s.final for s in self.states):
            out.append("process.states: no final state; a case must be able to end")
        if self.initial in names:
            out += self._path_problems(names)
        if self.sla_days is not None and not _whole_days(self.sla_days):
            out.append("process.sla_days: must be a whole number of days, at least 1, or None")
        if self.deliverable not in DELIVERABLES:
            out.append(f"process.deliverable: {self.deliverable!r} is not certificate, department or None")
        return out

    def _label_problems(self) -> list[str]:
        """Every state and step is named in English and in Hindi: the timelines, the officer's buttons
        and the citizen's tracking page show one or the other."""
        from emitra.core.plugins import is_hindi

        out = []
        labelled = [(f"states[{s.name}]", s.label_en, s.label_hi, "") for s in self.states]
        labelled += [(f"transitions[{t.action}]", t.label_en, t.label_hi, "") for t in self.transitions]
        labelled += [(f"transitions[{t.action}]", t.done_en, t.done_hi, "done_") for t in self.transitions if t.done_en or t.done_hi]
        for where, en, hi, kind in labelled:
            if not isinstance(en, str) or not en.strip():
                out.append(f"process.{where}.{kind}label_en: missing; name it in English")
            if not isinstance(hi, str) or not is_hindi(hi):
                out.append(f"process.{where}.{kind}label_hi: {hi!r} is not Hindi; name it in Hindi, in Devanagari script "
                           "(the Hindi pages show it)")
        return out + self._sms_label_problems()

    def _sms_label_problems(self) -> list[str]:
        """A state's label is said whole in the SMS telling the citizen of it, in two DLT variables
        (decision 165): one longer would be cut, or the message dropped by the operators' scrubbing."""
        from emitra.core.notify import DLT_VAR_MAX, SMS_SPANS, dlt_size

        room = DLT_VAR_MAX * SMS_SPANS["state"]
        return [f"process.states[{s.name}].label_{lang}: {label!r} is {dlt_size(label, lang)} characters; the SMS telling the "
                f"citizen of this state says it whole, in at most {room} (two DLT variables): shorten it"
                for s in self.states for lang, label in (("en", s.label_en), ("hi", s.label_hi))
                if isinstance(label, str) and dlt_size(label, lang) > room]

    def _path_problems(self, names: list[str]) -> list[str]:
        """The platform's forward out of the initial state, and the roads a case can take from it."""
        out: list[str] = []
        forward = self.transition("forward")
        if forward is None or self.initial not in forward.sources:
            out.append(f"process.transitions: no 'forward' out of {self.initial!r}; the platform forwards every case to the "
                       f"department once its hand-over succeeds: add Transition(\"forward\", (\"{self.initial}\",), ..., "
                       f"(\"{SYSTEM}\", ...))")
        elif SYSTEM not in forward.roles:
            out.append(f"process.transitions[forward]: the role {SYSTEM!r} may not take it, but the platform forwards every case "
                       f"once its hand-over succeeds: add {SYSTEM!r} to its roles")
        reached = {self.initial}
        todo = [self.initial]
        while todo:
            state = todo.pop()
            for t in self.from_state(state):
                if t.target in names and t.target not in reached:
                    reached.add(t.target)
                    todo.append(t.target)
        for name in names:
            if name not in reached:
                out.append(f"process.states[{name}]: no transition leads to it from {self.initial!r}; add one, or remove the state")
        # a case ends in a final state, or where it is nobody's turn (desk "none", e.g. "collected")
        ends = {s.name for s in self.states if s.final or s.desk == "none"}
        can_end = set(ends)
        grew = True
        while grew:
            grew = False
            for t in self.transitions:
                if t.target in can_end and any(s not in can_end for s in t.sources):
                    can_end.update(t.sources)
                    grew = True
        for name in names:
            if name in reached and name not in can_end:
                out.append(f"process.states[{name}]: no way from it to a final state; a case there could never end: "
                           "add a transition towards one")
        return out


OFFICER = Role.DEPARTMENT_OFFICER.value
OPERATOR = Role.OPERATOR.value
SOCIETY = Role.SOCIETY_ADMIN.value


def application_process(
    *,
    personal_verification: bool = False,
    sla_days: int = 15,
    department_days: int = 7,
    verification_days: int = 7,
    deliverable: str | None = "certificate",
    name: str = "application",
) -> Process:
    """The default process for an application (see the module docstring).

    ``personal_verification``: the service's statute requires the applicant to appear before an
    official; the officer must call them (``verification``) before approving.
    """
    states = [
        State("submitted", "Submitted at the counter", "काउंटर पर जमा", 1, desk="counter"),
        State("forwarded", "With the department", "विभाग के पास", department_days),
    ]
    if personal_verification:
        states.append(State("verification", "Personal verification", "व्यक्तिगत सत्यापन", verification_days))
    states += [
        State("returned", "Sent back for correction", "सुधार हेतु लौटाया गया", 7, desk="counter"),
        State("approved", "Approved", "स्वीकृत", 2),
        State("rejected", "Rejected", "अस्वीकृत", final=True, desk="none"),
    ]
    if deliverable:
        states += [
            State("ready", "Ready for collection at the counter", "काउंटर पर लेने हेतु तैयार", desk="counter"),
            State("collected", "Collected", "प्राप्त किया", final=True, desk="none"),
            State("revoked", "Revoked", "निरस्त", final=True, desk="none"),
        ]
    decided_from = ("verification",) if personal_verification else ("forwarded",)
    transitions = [
        Transition("forward", ("submitted",), "forwarded", (SYSTEM, OPERATOR, SOCIETY), "Forward to the department", "विभाग को भेजें",
                   done_en="Forwarded to the department", done_hi="विभाग को भेजा गया"),
        Transition("approve", decided_from, "approved", (OFFICER,), "Approve", "स्वीकृत करें",
                   done_en="Approved", done_hi="स्वीकृत किया गया"),
        Transition("reject", ("forwarded", "verification") if personal_verification else ("forwarded",), "rejected",
                   (OFFICER,), "Reject", "अस्वीकृत करें", reason_required=True, done_en="Rejected", done_hi="अस्वीकृत किया गया"),
        Transition("return", ("forwarded", "verification") if personal_verification else ("forwarded",), "returned",
                   (OFFICER,), "Send back for correction", "सुधार हेतु लौटाएँ", reason_required=True,
                   done_en="Sent back for correction", done_hi="सुधार हेतु लौटाया गया"),
        Transition("resubmit", ("returned",), "forwarded", (OPERATOR,), "Resubmit, corrected", "सुधार कर पुनः भेजें",
                   reason_required=True, done_en="Resubmitted, corrected", done_hi="सुधार कर पुनः भेजा गया"),
    ]
    if personal_verification:
        transitions.insert(1, Transition("call_for_verification", ("forwarded",), "verification", (OFFICER,),
                                         "Call for personal verification", "व्यक्तिगत सत्यापन हेतु बुलाएँ",
                                         done_en="Called for personal verification", done_hi="व्यक्तिगत सत्यापन हेतु बुलाया गया"))
    if deliverable:
        # the platform's document is named by the service (Service.step_labels: "Issue the certificate",
        # "Issue the certified copy"); the default names no kind of document, so it fits any service
        issue = ("Issue the document", "दस्तावेज़ जारी करें", "Document issued", "दस्तावेज़ जारी किया गया") \
            if deliverable == "certificate" else (
            "Mark the document ready at the counter", "दस्तावेज़ काउंटर पर तैयार चिह्नित करें",
            "Document ready at the counter", "दस्तावेज़ काउंटर पर तैयार")
        transitions += [
            Transition("issue", ("approved",), "ready", (OFFICER,), *issue[:2], done_en=issue[2], done_hi=issue[3]),
            Transition("collect", ("ready",), "collected", (OPERATOR,), "Hand over to the citizen", "नागरिक को सौंपें",
                       done_en="Handed over to the citizen", done_hi="नागरिक को सौंपा गया"),
            Transition("revoke", ("ready", "collected"), "revoked", (OFFICER,), "Revoke", "निरस्त करें", reason_required=True,
                       done_en="Revoked", done_hi="निरस्त किया गया"),
        ]
        # A collected certificate may still be revoked, so "collected" is not final: it is nobody's
        # turn (desk "none"), which closes the case and keeps it out of the SLA sweep.
        states = [State(s.name, s.label_en, s.label_hi, s.sla_days, final=False, desk=s.desk) if s.name == "collected" else s
                  for s in states]
    else:
        transitions.append(Transition("close", ("approved",), "collected", (OFFICER,), "Close", "बंद करें",
                                      done_en="Completed", done_hi="पूर्ण किया गया"))
        states.append(State("collected", "Completed", "पूर्ण", final=True, desk="none"))
    return Process(name, tuple(states), tuple(transitions), sla_days=sla_days, deliverable=deliverable)


def grievance_process(*, sla_days: int = 15, department_days: int = 3, action_days: int = 10, name: str = "grievance") -> Process:
    """A grievance: acknowledged, acted on, and resolved with a reply (or closed with a reason)."""
    states = (
        State("submitted", "Registered", "दर्ज", 1, desk="counter"),
        State("forwarded", "With the department", "विभाग के पास", department_days),
        State("in_progress", "Being acted on", "कार्यवाही जारी", action_days),
        State("resolved", "Resolved", "निस्तारित", final=True, desk="none"),
        State("closed", "Closed without action", "बिना कार्यवाही बंद", final=True, desk="none"),
    )
    transitions = (
        Transition("forward", ("submitted",), "forwarded", (SYSTEM, OPERATOR, SOCIETY), "Forward to the department", "विभाग को भेजें",
                   done_en="Forwarded to the department", done_hi="विभाग को भेजा गया"),
        Transition("acknowledge", ("forwarded",), "in_progress", (OFFICER,), "Acknowledge and act", "स्वीकार कर कार्यवाही करें",
                   done_en="Acknowledged, being acted on", done_hi="स्वीकार कर कार्यवाही आरंभ"),
        Transition("resolve", ("forwarded", "in_progress"), "resolved", (OFFICER,), "Resolve, with the reply", "उत्तर सहित निस्तारित करें",
                   reason_required=True, done_en="Resolved, with the reply", done_hi="उत्तर सहित निस्तारित किया गया"),
        Transition("close", ("forwarded", "in_progress"), "closed", (OFFICER,), "Close without action", "बिना कार्यवाही बंद करें",
                   reason_required=True, done_en="Closed without action", done_hi="बिना कार्यवाही बंद किया गया"),
    )
    return Process(name, states, transitions, sla_days=sla_days, deliverable=None)


#: processes of cases that no service plugin owns: grievances filed online, complaints about a counter
BUILTIN: dict[str, Process] = {
    "emitra.grievance": grievance_process(),
    "emitra.counter_complaint": grievance_process(name="counter_complaint", department_days=2, action_days=7, sla_days=10),
}
BUILTIN_TITLES = {
    "emitra.grievance": ("Grievance (filed online)", "शिकायत (ऑनलाइन दर्ज)"),
    "emitra.counter_complaint": ("Complaint about an e-Mitra counter", "ई-मित्र काउंटर के विरुद्ध शिकायत"),
}


def process_for(service: Any) -> Process:
    """The process a service declares, or the default for its workflow and category, its steps named
    as the service names them (``Service.step_labels``)."""
    declared = getattr(service, "process", None)
    if declared is not None:
        return named_steps(declared, getattr(service, "step_labels", None))
    category = getattr(service.category, "value", service.category)
    if category == "grievance":
        return named_steps(grievance_process(sla_days=getattr(service, "sla_days", None) or 15), getattr(service, "step_labels", None))
    return named_steps(application_process(
        personal_verification=bool(getattr(service, "personal_verification", False)),
        sla_days=getattr(service, "sla_days", None) or 15,
        deliverable=getattr(service, "deliverable", "certificate"),
    ), getattr(service, "step_labels", None))


def _step_names(value: Any) -> bool:
    """A step's names as a service gives them: (button English, Hindi) or (..., as taken English, Hindi)."""
    return isinstance(value, (tuple, list)) and len(value) in (2, 4) and all(isinstance(x, str) for x in value)


def named_steps(process: Process, labels: Any) -> Process:
    """``process`` with the steps ``labels`` names (action -> (label_en, label_hi) or (label_en,
    label_hi, done_en, done_hi)) called so: the officer's button, the timeline, the refusals. A name
    left out, or malformed (refused by :func:`step_label_problems`), keeps the process's own."""
    if not labels or not isinstance(labels, dict):
        return process
    transitions = []
    for t in process.transitions:
        names = labels.get(t.action)
        if _step_names(names):
            done = names[2:] if len(names) == 4 else (names[0], names[1]) if t.done_en else ("", "")
            t = replace(t, label_en=names[0], label_hi=names[1], done_en=done[0], done_hi=done[1])
        transitions.append(t)
    return replace(process, transitions=tuple(transitions), _index={})


def step_label_problems(service: Any) -> list[str]:
    """What is wrong with a service's ``step_labels``: each problem names the step and the fix (the
    names' Hindi is checked with the process's own, :meth:`Process.problems`)."""
    labels = getattr(service, "step_labels", None)
    if labels is None or labels == {}:
        return []
    if not isinstance(labels, dict):
        return [f"step_labels: {labels!r} is not a dict of action -> names, e.g. {{\"issue\": (\"Issue the certified copy\", "
                "\"प्रमाणित नकल जारी करें\")}"]
    actions = [t.action for t in process_for(service).transitions]  # names change, actions do not
    out = []
    for action, names in labels.items():
        if action not in actions:
            out.append(f"step_labels[{action!r}]: the process has no such step; name one of {', '.join(actions)}")
        elif not _step_names(names):
            out.append(f"step_labels[{action!r}]: {names!r} is not (English, Hindi) or (English, Hindi, English as taken, "
                       "Hindi as taken), e.g. (\"Issue the certified copy\", \"प्रमाणित नकल जारी करें\", "
                       "\"Certified copy issued\", \"प्रमाणित नकल जारी की गई\")")
    return out


def process_of(case: Case) -> Process:
    if case.service_code in BUILTIN:
        return BUILTIN[case.service_code]
    from emitra.core.plugins import get_host

    host = get_host()
    service = host.registry.get(case.service_code) or host.all_declared.get(case.service_code)
    if service is None:  # the plugin is gone: the default keeps its cases moving
        return grievance_process() if case.kind == "grievance" else application_process()
    return process_for(service)


def turn_of(state: State) -> str:
    """Whose turn a case in this state is: ``department`` (its department's, or the Society's on a
    Society desk case), ``counter`` (the filing counter's: a correction, a collection, a hand-over
    to retry) or ``none`` (closed)."""
    if state.final or state.desk == "none":
        return "none"
    return "counter" if state.desk == "counter" else "department"


#: a grievance number once spaces and dashes are gone: GR, the district's two letters, the digits
_GRIEVANCE_NUMBER = re.compile(r"GR([A-Z]{2})(\d{7,})")


def clean_number(text: str) -> str:
    """A case number as stored, however it was typed: spaces, dashes and case are ignored, so
    "gr jp 0000670" and "GRJP0000670" find GR-JP-0000670 as "jp 0001 000000421" finds JP0001000000421
    (the citizen's tracking page, the API's case paths and ``emitra cases act`` all read numbers so);
    what else a copy brings along goes too (``core/text.typed_number``)."""
    # any space, any dash (– — too), an invisible character or a full stop copied with it, Hindi digits
    text = re.sub(r"[\s\-\u2010-\u2015]", "", typed_number(text or "")).upper()
    grievance = _GRIEVANCE_NUMBER.fullmatch(text)
    return f"GR-{grievance.group(1)}-{grievance.group(2)}" if grievance else text


def number_matches(text: str) -> Q:
    """The cases whose number contains ``text`` as a person types a part of it: as typed, without its
    spaces, or as :func:`clean_number` reads it (spaces and dashes ignored: "jp0001 000000018",
    "GR JP 0000670" and "GRJP0000670" find their cases, as on the tracking page)."""
    typed = (text or "").strip()
    variants = {typed, re.sub(r"\s", "", typed), clean_number(typed)} - {""}
    query = Q(number__icontains=variants.pop())
    for variant in variants:
        query |= Q(number__icontains=variant)
    return query


def number_or_certificate(text: str) -> Q:
    """:func:`number_matches`, or the case whose certificate's number contains ``text`` (JP-C-2026-000123:
    the number a citizen or a verifier quotes, who has the paper and not the application)."""
    typed = re.sub(r"\s", "", text or "")
    return number_matches(text) | Q(certificate__number__icontains=typed) if typed else number_matches(text)


#: whose turn the cases a list shows are (the API's ``turn``, ``emitra cases list --turn``): the
#: department's (or the Society's, on a Society desk case), the counter's, every open case, every case
WAITING_ON = ("department", "counter", "open", "all")


def whose_turn(pairs: Iterable[tuple[str, str, str]], turn: str) -> Q:
    """The cases, among those of the (service, kind, state) ``pairs``, whose turn is ``turn``
    (``department`` or ``counter``, as :func:`turn_of` says): each service's process says whose turn
    each of its states is, so the filter is one (service, states) pair per service."""
    by_service: dict[str, set[str]] = {}
    for code, kind, state in pairs:
        process = process_of(SimpleNamespace(service_code=code, kind=kind, state=state))  # type: ignore[arg-type]
        if turn_of(process.state(state)) == turn:
            by_service.setdefault(code, set()).add(state)
    if not by_service:
        return Q(id__in=[])
    return Q(*(Q(service_code=code, state__in=sorted(states)) for code, states in sorted(by_service.items())), join_type="OR")


async def waiting_on(query: Any, turn: str) -> Any:
    """``query`` (of cases) narrowed to ``turn`` (:data:`WAITING_ON`): the open cases whose turn is
    the department's, or the counter's (a correction, a collection); every open case; or all of
    them, closed ones too. The officer's inbox lists the department's by default, and so do the API
    and the CLI."""
    if turn == "all":
        return query
    query = query.filter(closed_at=None)
    if turn == "open":
        return query
    return query.filter(whose_turn(await query.distinct().values_list("service_code", "kind", "state"), turn))


#: the timeline's names of the steps the platform writes that are not transitions
PLATFORM_STEPS = {
    "open": ("Registered", "दर्ज किया गया"),
    "escalate": ("Escalated to the next officer", "अगले स्तर के अधिकारी को अग्रेषित"),
    "top_level": ("Overdue at the top level", "सर्वोच्च स्तर पर समय-सीमा पार"),
    "remark": ("Remark", "टिप्पणी"),
    # its counter closing, the case moved to another (core/onboarding.move_applications)
    "move_counter": ("Moved to another counter", "दूसरे काउंटर पर भेजा गया"),
}


def step_label(action: str) -> tuple[str, str] | None:
    """(English, Hindi) label of an action in any process this installation knows, or None: what to
    call an action when no case at hand has it (a bulk step on cases that are not on this desk)."""
    from emitra.core.plugins import get_host

    host = get_host()
    services = {**host.all_declared, **host.registry.services}
    processes = [*BUILTIN.values(), *(process_for(s) for s in services.values())]
    found = next((t for p in processes if (t := p.transition(action)) is not None), None)
    return (found.label_en, found.label_hi) if found else None


# --- time ---------------------------------------------------------------------------------------

def now() -> dt.datetime:
    return clock.now()  # EMITRA_NOW / EMITRA_TODAY move it in demonstrations


def _due(start: dt.datetime, days: int | None) -> dt.datetime | None:
    return start + dt.timedelta(days=days) if days else None


def age_days(case: Case, at: dt.datetime | None = None) -> int:
    return max(0, ((at or now()) - case.created_at).days)


# --- who may act --------------------------------------------------------------------------------

def _role_of(actor: audit.Actor) -> str:
    if actor.user is None:
        return SYSTEM
    return actor.user.role.value if hasattr(actor.user.role, "value") else str(actor.user.role)


def may_take(user: User | None, case: Case, transition: Transition) -> bool:
    """Whether this user (None: the platform) may take this step on this case."""
    if user is None:
        return SYSTEM in transition.roles
    role = user.role.value if hasattr(user.role, "value") else str(user.role)
    if user.district_id is not None and user.district_id != case.district_id:
        return False
    if not user.active:
        return False
    if role == OFFICER:
        return OFFICER in transition.roles and case.desk == "department" and user.department == case.department \
            and (user.level or 1) >= transition.min_level
    if role == SOCIETY:
        return SOCIETY in transition.roles or (case.desk == "society" and OFFICER in transition.roles)
    if role == OPERATOR:
        return OPERATOR in transition.roles and case.counter_id is not None and user.counter_id == case.counter_id
    return role in transition.roles


def allowed_actions(user: User | None, case: Case, process: Process | None = None) -> list[Transition]:
    process = process or process_of(case)
    return [t for t in process.from_state(case.state) if may_take(user, case, t)]


def can_view(user: User, case: Case) -> bool:
    """Who may open a case: its department (or the Society desk), its counter, its district's Society, the state."""
    role = user.role.value if hasattr(user.role, "value") else str(user.role)
    if role == Role.STATE_ADMIN.value:
        return True
    if user.district_id is not None and user.district_id != case.district_id:
        return False
    if role == SOCIETY:
        return True
    if role == OFFICER:
        return case.desk == "department" and user.department == case.department
    if role == OPERATOR:
        return case.counter_id is not None and user.counter_id == case.counter_id
    if role == Role.LSP_ADMIN.value:
        return False  # the LSP sees its counters' money, not the citizens' applications
    return False  # citizens follow their cases by receipt number and mobile (or their own page)


# --- opening and moving cases -------------------------------------------------------------------

async def open_case(
    actor: audit.Actor,
    *,
    district_id: int,
    kind: str,
    service_code: str,
    title_en: str,
    title_hi: str,
    department: str,
    desk: str = "department",
    number: str | None = None,
    request: ServiceRequest | None = None,
    counter_id: int | None = None,
    about_counter_id: int | None = None,
    channel: str = "counter",
    applicant_name: str = "",
    mobile: str = "",
    email: str = "",
    lang: str = "hi",
    subject: str = "",
    body: str = "",
    paper_documents: Iterable[dict[str, str]] = (),
    process: Process | None = None,
) -> Case:
    """Open a case in its process's initial state. Call inside the caller's transaction."""
    if desk not in DESKS:
        raise WorkflowError("desk", f"desk must be one of {', '.join(DESKS)}, not {desk!r}.", "डेस्क department या society होना चाहिए।")
    if process is None:
        process = BUILTIN[service_code] if service_code in BUILTIN else None
    if process is None:
        from emitra.core.plugins import get_host

        process = process_for(get_host().registry.services[service_code])
    at = now()
    initial = process.state(process.initial)
    case = await Case.create(
        number=number or f"tmp-{secrets.token_hex(8)}", district_id=district_id, kind=kind, request=request,
        counter_id=counter_id, about_counter_id=about_counter_id, filed_counter_id=getattr(request, "counter_id", None), service_code=service_code, title_en=title_en[:200],
        title_hi=title_hi[:200], desk=desk, department=department[:200], channel=channel, state=initial.name, state_since=at,
        state_due_at=_due(at, initial.sla_days), due_at=_due(at, process.sla_days), applicant_name=applicant_name[:200],
        mobile=mobile[:10], email=email[:200], lang=lang if lang in ("en", "hi") else "hi",
        subject=privacy.mask_aadhaar_in_text(subject)[:200], body=privacy.mask_aadhaar_in_text(body),  # kept masked: docs/security.md
        paper_documents=list(paper_documents), created_at=at,
    )
    if number is None:
        code = (await District.get(id=district_id)).code
        case.number = f"GR-{code}-{case.id:07d}"
        await case.save(update_fields=["number"])
    await CaseEvent.create(case=case, action="open", to_state=initial.name, actor=actor.user, actor_name=_actor_label(actor),
                           actor_role=_role_of(actor), remark="", created_at=at)
    await audit.record(actor, "case.opened", case, district_id=district_id, counter_id=counter_id,
                       detail={"number": case.number, "service": service_code, "state": initial.name, "desk": desk,
                               "department": department})
    from emitra.core import notify

    await notify.case_event(case, "opened", process)
    return case


ROLES_HI = {OFFICER: "विभागीय अधिकारी", OPERATOR: "काउंटर ऑपरेटर", SOCIETY: "सोसायटी व्यवस्थापक", SYSTEM: "ई-मित्र"}


#: the longest remark a case event keeps, as the pages' boxes (maxlength) and the API's schema take it
REMARK_MAX = 2000
#: the longest reason a certificate's revocation keeps: printed on it and on its public verification
#: page (``Certificate.revoked_reason``); a longer one is refused, never cut short
REVOKE_REASON_MAX = 500


def _remark(text: str | None) -> str:
    """A person's remark as it is kept: line breaks as one character each (a browser sends CR LF for
    the line break its box counted as one), Aadhaar numbers masked; a remark longer than
    :data:`REMARK_MAX` is refused naming its length (it used to be cut short without a word)."""
    remark = privacy.mask_aadhaar_in_text((text or "").replace("\r\n", "\n").replace("\r", "\n").strip())
    if len(remark) > REMARK_MAX:
        raise WorkflowError("remark", f"The remark is {len(remark):,} characters long; shorten it to at most {REMARK_MAX:,}.",
                            f"टिप्पणी {len(remark):,} अक्षरों की है; इसे अधिकतम {REMARK_MAX:,} अक्षरों तक छोटा करें।")
    return remark


def _reason_needed(transition: Transition) -> tuple[str, str]:
    """The refusal of a step without its reason, naming who reads it: the citizen reads the
    department's reasons and replies; the department reads the counter's (what was corrected)."""
    en, hi = transition.label_en, transition.label_hi
    if transition.action == "resolve":
        return (f"'{en}' needs the reply the citizen reads (at least 5 characters).",
                f"'{hi}' के लिए नागरिक के पढ़ने योग्य उत्तर लिखें (कम से कम 5 अक्षर)।")
    if set(transition.roles) <= {OPERATOR, SYSTEM}:
        return (f"'{en}' needs a reason the department can read: what was corrected (at least 5 characters).",
                f"'{hi}' के लिए विभाग के पढ़ने योग्य कारण लिखें: क्या सुधारा गया (कम से कम 5 अक्षर)।")
    return (f"'{en}' needs a reason the citizen can read (at least 5 characters).",
            f"'{hi}' के लिए नागरिक के पढ़ने योग्य कारण लिखें (कम से कम 5 अक्षर)।")


def _actor_label(actor: audit.Actor) -> str:
    if actor.user is None:
        return "e-Mitra" if actor.via != "cli" else "e-Mitra (cli)"
    return actor.user.full_name or actor.user.username


#: how a step's taker is named and placed on the timeline, for steps written outside this module;
#: the refusal of a step without its reason, for a page that checks it before taking many
actor_label, role_of, reason_needed = _actor_label, _role_of, _reason_needed


async def act(actor: audit.Actor, case: Case, action: str, remark: str = "", *, public_remark: bool = True,
              remark_hi: str = "") -> Case:
    """Take one step on a case, or refuse it with what is allowed. One transaction, or nothing.

    ``remark_hi``: the same remark in Hindi, for a remark the platform writes (a person's remark is
    kept as written, in ``remark`` alone)."""
    process = process_of(case)
    remark = _remark(remark)
    remark_hi = privacy.mask_aadhaar_in_text((remark_hi or "").strip())
    async with in_transaction():
        fresh = await Case.select_for_update().get(id=case.id) if _supports_for_update() else await Case.get(id=case.id)
        transition = process.transition(action)
        if transition is None or fresh.state not in transition.sources:
            offered = allowed_actions(actor.user, fresh, process)
            state = process.state(fresh.state)
            # the steps by their labels, as the pages' buttons name them, in both languages (quoted in
            # English: "Resubmit, corrected" has a comma of its own)
            labels_en = ", ".join(f"'{t.label_en}'" for t in offered) or "nothing (it is with someone else, or finished)"
            labels_hi = ", ".join(t.label_hi for t in offered) or "कुछ नहीं (प्रकरण किसी और के पास है, या पूर्ण हो चुका है)"
            codes = tuple(t.action for t in offered)
            if transition is None:  # not a step of this process: said to be unknown, never shown as a step
                asked = f"'{action[:40]}' is an unknown action" if action else "no action was chosen"
                asked_hi = f"'{action[:40]}' अज्ञात कार्रवाई है" if action else "कोई कार्रवाई नहीं चुनी गई"
                raise WorkflowError("action", f"Case {fresh.number}: {asked}. Allowed for you: {labels_en}.",
                                    f"प्रकरण {fresh.number}: {asked_hi}। आपके लिए अनुमत: {labels_hi}।", codes)
            raise WorkflowError(
                "action",
                f"Case {fresh.number} is '{state.label_en}': '{transition.label_en}' cannot be taken now. Allowed for you: {labels_en}.",
                f"प्रकरण {fresh.number} '{state.label_hi}' स्थिति में है: '{transition.label_hi}' अभी नहीं हो सकता। आपके लिए अनुमत: {labels_hi}।",
                codes,
            )
        user = actor.user
        if user is not None and transition.min_level > (user.level or 1) and may_take(user, fresh, replace(transition, min_level=1)):
            raise WorkflowError(
                "role",
                f"'{transition.label_en}' on case {fresh.number} is taken by an officer of level {transition.min_level} or above "
                f"of its department; you are level {user.level or 1}. It waits in their inbox.",
                f"प्रकरण {fresh.number} पर '{transition.label_hi}' उसके विभाग के स्तर {transition.min_level} या उससे ऊपर के अधिकारी "
                f"ही कर सकते हैं; आप स्तर {user.level or 1} पर हैं। यह उनके इनबॉक्स में प्रतीक्षा करता है।",
            )
        if not may_take(actor.user, fresh, transition):
            roles = ", ".join(r.replace("_", " ") for r in transition.roles)
            roles_hi = ", ".join(ROLES_HI.get(r, r) for r in transition.roles)
            raise WorkflowError(
                "role",
                f"'{transition.label_en}' on case {fresh.number} is taken by: {roles} (of its department or counter). Your role may not take it.",
                f"प्रकरण {fresh.number} पर '{transition.label_hi}' केवल ये कर सकते हैं: {roles_hi} (उसके विभाग या काउंटर के)। आपकी भूमिका इसकी अनुमति नहीं देती।",
            )
        if transition.reason_required and len(remark) < 5:
            raise WorkflowError("remark", *_reason_needed(transition))
        if transition.action == "revoke" and process.deliverable == "certificate" and len(remark) > REVOKE_REASON_MAX:
            raise WorkflowError(
                "remark",
                f"The reason for '{transition.label_en}' is printed on the certificate and its verification page, which keep at most "
                f"{REVOKE_REASON_MAX} characters; it is {len(remark):,} characters long: shorten it to at most {REVOKE_REASON_MAX}.",
                f"'{transition.label_hi}' का कारण प्रमाण पत्र और उसके सत्यापन पृष्ठ पर छपता है, जहाँ अधिकतम {REVOKE_REASON_MAX} अक्षर आते हैं; "
                f"यह {len(remark):,} अक्षरों का है: इसे अधिकतम {REVOKE_REASON_MAX} अक्षरों तक छोटा करें।",
            )
        at = now()
        target = process.state(transition.target)
        previous = fresh.state
        fresh.state, fresh.state_since = target.name, at
        fresh.state_due_at = _due(at, target.sla_days)
        fresh.closed_at = at if (target.final or target.desk == "none") else None
        await fresh.save(update_fields=["state", "state_since", "state_due_at", "closed_at"])
        await CaseEvent.create(case=fresh, action=transition.action, from_state=previous, to_state=target.name, actor=actor.user,
                               actor_name=_actor_label(actor), actor_role=_role_of(actor), remark=remark,
                               remark_hi=remark_hi[:REMARK_MAX], public=public_remark, created_at=at)
        await audit.record(actor, f"case.{transition.action}", fresh, district_id=fresh.district_id, counter_id=fresh.counter_id,
                           detail={"number": fresh.number, "from": previous, "to": target.name, "remark": remark[:500]})
        if transition.action == "issue" and process.deliverable == "certificate":
            from emitra.core import certificates

            try:
                await certificates.issue(actor, fresh)
            except certificates.CertificateRefused as exc:  # the partner's plugin failed: nothing kept (this transaction)
                raise WorkflowError(exc.field, exc.message_en, exc.message_hi) from exc
        if transition.action == "revoke":
            from emitra.core import certificates

            await certificates.revoke(actor, fresh, remark)
        from emitra.core import notify

        await notify.case_event(fresh, transition.action, process, remark=remark, remark_hi=remark_hi)
    return fresh


async def act_many(actor: audit.Actor, case_ids: Iterable[int], action: str, remark: str = "") -> tuple[list[Case], list[tuple[int, WorkflowError]]]:
    """Take one step on many cases: each in its own transaction, so one refusal does not undo the rest."""
    done: list[Case] = []
    refused: list[tuple[int, WorkflowError]] = []
    for case_id in case_ids:
        case = await Case.get_or_none(id=case_id)
        if case is None:
            refused.append((case_id, WorkflowError("case", f"No case {case_id}.", f"प्रकरण {case_id} नहीं है।")))
            continue
        try:
            done.append(await act(actor, case, action, remark))
        except WorkflowError as exc:
            refused.append((case_id, exc))
    return done, refused


async def last_step(case: Case, action: str) -> CaseEvent | None:
    """The step ``action`` when it is the last one taken on ``case`` and the case is still where it
    led (remarks and escalations aside): a second press of its button, or a colleague's at the same
    moment, finds it here."""
    last = await CaseEvent.filter(case_id=case.id).exclude(action__in=("remark", "escalate", "top_level")).order_by("-id").first()
    return last if last is not None and last.action == action and last.to_state == case.state else None


#: how soon the same note by the same person is taken as the same press sent twice, not a second note
REMARK_AGAIN = dt.timedelta(minutes=2)


async def add_remark(actor: audit.Actor, case: Case, remark: str, *, public: bool = False) -> CaseEvent:
    """A note on a case without moving it (internal unless ``public``)."""
    remark = _remark(remark)
    if not remark:
        raise WorkflowError("remark", "Write the remark first.", "पहले टिप्पणी लिखें।")
    async with in_transaction():
        if _supports_for_update():  # two presses at once: the second waits, and finds the first
            await Case.select_for_update().get(id=case.id)
        last = await CaseEvent.filter(case_id=case.id).order_by("-id").first()
        if (last is not None and actor.user is not None and last.action == "remark" and last.actor_id == actor.user.id
                and last.remark == remark and last.public == public and now() - last.created_at < REMARK_AGAIN):
            return last  # the same note sent again a moment later (a button pressed twice): kept once
        event = await CaseEvent.create(case=case, action="remark", from_state=case.state, to_state=case.state, actor=actor.user,
                                       actor_name=_actor_label(actor), actor_role=_role_of(actor), remark=remark,
                                       public=public, created_at=now())
        await audit.record(actor, "case.remark", case, district_id=case.district_id, counter_id=case.counter_id,
                           detail={"number": case.number, "public": public})
    return event


def _supports_for_update() -> bool:
    return on_postgres()


# --- SLA ----------------------------------------------------------------------------------------

@dataclass
class SweepResult:
    escalated: list[str] = field(default_factory=list)
    breached: list[str] = field(default_factory=list)
    #: overdue at the top level, no officer above (told once: see :func:`sweep`)
    at_top: list[str] = field(default_factory=list)


def _escalates(state: State, case: Case) -> bool:
    return state.desk in ("department", "society")


async def next_level(case: Case) -> int | None:
    """The level an overdue case on a desk goes up to: the lowest level above its own that an
    active officer of its department holds in its district (a department with levels 1 and 3 goes
    from 1 to 3), or None when there is none: the case is at its top level (a Society desk case has
    no levels above the Society). Levels are the officers' (``User.level``), so any process, any
    number of levels."""
    if case.desk != "department":
        return None
    above = await User.filter(role=OFFICER, department=case.department, district_id=case.district_id, active=True,
                              level__gt=case.level).order_by("level").first()
    return above.level if above is not None else None


async def at_top(case: Case) -> bool:
    """Whether the case overstayed its state at the top level: the sweep found no officer above it
    (the event ``top_level``, written once in that state)."""
    return await CaseEvent.filter(case_id=case.id, action="top_level", to_state=case.state,
                                  created_at__gte=case.state_since).exists()


async def at_top_among(cases: Any) -> set[int]:
    """The ids of the open cases of the query ``cases`` that are overdue at their top level
    (:func:`at_top`), in one query: for the inbox's flag and filter (decision 148)."""
    from tortoise.expressions import Subquery

    open_ids = Subquery(cases.filter(closed_at=None).values("id"))
    told = await CaseEvent.filter(action="top_level", case_id__in=open_ids) \
        .values_list("case_id", "to_state", "created_at", "case__state", "case__state_since")
    return {case_id for case_id, to_state, at, state, since in told if to_state == state and at >= since}


def flagged(at_top: set[int]) -> Q:
    """The cases the inbox and ``emitra cases list`` mark as flagged: escalated, breached, or overdue
    at the top level (``at_top``: :func:`at_top_among`), whatever their level and breached flag say."""
    marked = Q(level__gt=1) | Q(breached=True)
    return marked | Q(id__in=sorted(at_top)) if at_top else marked


def past_deadline(at: dt.datetime) -> Q:
    """The cases past a deadline at ``at`` (``emitra cases list --breached``, decision 167): flagged
    ``breached`` by the SLA sweep, or open with their state's deadline (the one the inbox marks
    overdue) or their overall deadline before ``at``, which the sweep flags both of when it runs next.
    So a deadline passed since the sweep last ran counts now, in the query, not at the next run."""
    return Q(breached=True) | Q(Q(state_due_at__lt=at) | Q(due_at__lt=at), closed_at=None)


def within_deadlines(at: dt.datetime) -> Q:
    """The cases :func:`past_deadline` leaves out, written out (its negation in SQL would leave out
    a case without deadlines too: a comparison with NULL is neither true nor false)."""
    open_on_time = Q(Q(state_due_at__isnull=True) | Q(state_due_at__gte=at), Q(due_at__isnull=True) | Q(due_at__gte=at))
    return Q(Q(closed_at__isnull=False) | open_on_time, breached=False)


def is_past_deadline(case: Case, at: dt.datetime) -> bool:
    """:func:`past_deadline` of one case already read (a listed row's mark)."""
    return bool(case.breached) or (case.closed_at is None and any(d is not None and d < at for d in (case.state_due_at, case.due_at)))


def in_inbox_order(query: Any, at_top: set[int]) -> Any:
    """The inbox's order (decision 152), also ``emitra cases list``'s: the cases overdue at the top
    level first (nobody above can take them any more), then the other escalated or breached ones,
    then the rest; within each, by the overall deadline, the earliest first (a case with none after
    them), then the oldest."""
    groups = [When(flagged(at_top), then="1")]  # text, as PostgreSQL types a bound CASE result
    if at_top:
        groups.insert(0, When(id__in=sorted(at_top), then="0"))
    return query.annotate(inbox_group=Choose(*groups, default="2"), inbox_undated=Choose(When(due_at__isnull=True, then="1"), default="0")) \
        .order_by("inbox_group", "inbox_undated", "due_at", "created_at", "id")


async def sweep(actor: audit.Actor | None = None, at: dt.datetime | None = None, district_id: int | None = None) -> SweepResult:
    """Flag every SLA breach and escalate it to the next officer (idempotent: a breach is escalated once).

    A case whose state deadline has passed, on a department's or the Society's desk, goes up to the
    next level an officer holds (:func:`next_level`) and gets a fresh state deadline for that officer.
    At the top level there is no one to send it to: the case is marked overdue at the top level once
    (the event ``top_level``), its top officers and the Society are told, and its state deadline is
    cleared, so no further escalation is written until a step moves it. A case past its overall
    deadline is flagged ``breached``. Run it from cron (``emitra sla sweep``) or the Society's page.
    """
    actor = actor or audit.Actor(None, via="system")
    at = at or now()
    result = SweepResult()
    query = Case.filter(closed_at=None).filter(Q(state_due_at__lt=at) | Q(due_at__lt=at, breached=False))
    if district_id is not None:
        query = query.filter(district_id=district_id)
    for case in await query.order_by("id"):
        process = process_of(case)
        if process.state(case.state).final or process.state(case.state).desk == "none":
            continue
        async with in_transaction():
            # the row locked, as :func:`act` locks it, and read again: a second sweep at once (cron
            # and the Society's button) or an officer's step taken since the list was read is seen
            # here, so a deadline is escalated once and a step just taken is not written over
            fresh = await Case.select_for_update().get(id=case.id) if _supports_for_update() else await Case.get(id=case.id)
            state = process.state(fresh.state)
            if fresh.closed_at is not None or state.final or state.desk == "none":
                continue
            changed: list[str] = []
            if fresh.due_at is not None and fresh.due_at < at and not fresh.breached:
                fresh.breached = True
                changed.append("breached")
                result.breached.append(fresh.number)
            if fresh.state_due_at is not None and fresh.state_due_at < at:
                from emitra.core import notify

                level = await next_level(fresh) if _escalates(state, fresh) else None
                if level is not None:
                    fresh.level = level
                    fresh.escalated_at = at
                    fresh.state_due_at = _due(at, state.sla_days)
                    changed += ["level", "escalated_at", "state_due_at"]
                    result.escalated.append(fresh.number)
                    overdue, overdue_hi = escalated_remark(state, fresh.level)
                    await CaseEvent.create(case=fresh, action="escalate", from_state=fresh.state, to_state=fresh.state,
                                           actor=None, actor_name="e-Mitra SLA", actor_role=SYSTEM, remark=overdue,
                                           remark_hi=overdue_hi, public=True, created_at=at)
                    await audit.record(actor, "case.escalated", fresh, district_id=fresh.district_id, counter_id=fresh.counter_id,
                                       detail={"number": fresh.number, "state": fresh.state, "level": fresh.level})
                    await notify.escalation(fresh, process)
                elif _escalates(state, fresh):  # no officer above: said once, and nothing more until a step moves it
                    fresh.state_due_at = None
                    changed.append("state_due_at")
                    result.at_top.append(fresh.number)
                    overdue, overdue_hi = top_level_remark(state, fresh)
                    await CaseEvent.create(case=fresh, action="top_level", from_state=fresh.state, to_state=fresh.state,
                                           actor=None, actor_name="e-Mitra SLA", actor_role=SYSTEM, remark=overdue,
                                           remark_hi=overdue_hi, public=True, created_at=at)
                    await audit.record(actor, "case.overdue_at_top", fresh, district_id=fresh.district_id,
                                       counter_id=fresh.counter_id,
                                       detail={"number": fresh.number, "state": fresh.state, "level": fresh.level})
                    await notify.overdue_at_top(fresh, process)
                else:  # the counter's turn (a correction, a collection): flagged, not escalated
                    fresh.state_due_at = None
                    changed.append("state_due_at")
                if not fresh.breached:
                    fresh.breached = True
                    changed.append("breached")
                    result.breached.append(fresh.number)
            if changed:
                await fresh.save(update_fields=sorted(set(changed)))
                if "breached" in changed:
                    await audit.record(actor, "case.sla_breached", fresh, district_id=fresh.district_id,
                                       counter_id=fresh.counter_id, detail={"number": fresh.number, "state": fresh.state})
    return result


# --- timeline for tracking ----------------------------------------------------------------------
#
# The remarks the platform writes are stored in English and Hindi (CaseEvent.remark, remark_hi);
# :func:`remark_hi` puts one written before the Hindi column existed (migration 0023) into Hindi
# from its English. A person's remark is shown as written.

def received_remark(department_ref: str) -> tuple[str, str]:
    """The platform's remark on forwarding an application its department acknowledged."""
    return f"Received by the department, reference {department_ref}", f"विभाग को प्राप्त, संदर्भ {department_ref}"


def escalated_remark(state: State, level: int) -> tuple[str, str]:
    """The SLA sweep's remark on escalating a case that overstayed ``state``: "for more than 1 day",
    "for more than 3 days" (it said "day(s)"); in Hindi "1 दिन", "3 दिन", as Hindi counts days."""
    return (f"'{state.label_en}' for more than {days_en(state.sla_days)}: escalated to level {level}",
            f"{state.sla_days} दिन से अधिक समय से '{state.label_hi}' स्थिति में: स्तर {level} पर अग्रेषित")


def top_level_remark(state: State, case: Case) -> tuple[str, str]:
    """The SLA sweep's remark on a case that overstayed ``state`` at the top level: no officer above."""
    if case.desk != "department":
        return (f"'{state.label_en}' for more than {days_en(state.sla_days)}: overdue with the Society, "
                "which has no level above it",
                f"{state.sla_days} दिन से अधिक समय से '{state.label_hi}' स्थिति में: सोसायटी के पास समय-सीमा पार, "
                "इसके ऊपर कोई स्तर नहीं")
    return (f"'{state.label_en}' for more than {days_en(state.sla_days)}: overdue at the top level (level {case.level}); "
            "no officer above it, the Society is told",
            f"{state.sla_days} दिन से अधिक समय से '{state.label_hi}' स्थिति में: सर्वोच्च स्तर (स्तर {case.level}) पर "
            "समय-सीमा पार; इससे ऊपर कोई अधिकारी नहीं, सोसायटी को सूचित किया गया")


_LEGACY_REMARKS = [  # (the English the platform wrote before 0023, how to say it in Hindi given the event's state)
    (re.compile(r"Received by the department, reference (.+)", re.S), lambda m, state: received_remark(m[1])[1]),
    (re.compile(r"'.*' for more than (\d+) day(?:\(s\)|s)?: escalated to level (\d+)", re.S),
     lambda m, state: f"{m[1]} दिन से अधिक समय से '{state.label_hi}' स्थिति में: स्तर {m[2]} पर अग्रेषित"),
]


def remark_hi(event: CaseEvent, process: Process) -> str:
    """The event's remark in Hindi: as written in both languages, or (a platform's remark written
    before migration 0023) its English put into Hindi; otherwise empty (the remark as written)."""
    if event.remark_hi or not event.remark or event.actor_role != SYSTEM:
        return event.remark_hi
    for pattern, say in _LEGACY_REMARKS:
        m = pattern.fullmatch(event.remark)
        if m:
            return say(m, process.state(event.to_state))
    return ""


_LEGACY_DAYS = re.compile(r"('.*' for more than )(\d+) day\(s\)(: escalated to level \d+)", re.S)


def remark_en(event: CaseEvent) -> str:
    """The event's remark as shown in English: as written, but an escalation the sweep wrote as "for
    more than 3 day(s)" before it counted days properly says "3 days" ("1 day")."""
    if event.actor_role != SYSTEM or not event.remark:
        return event.remark
    return _LEGACY_DAYS.sub(lambda m: f"{m[1]}{days_en(int(m[2]))}{m[3]}", event.remark)


def step_names(process: Process, action: str) -> tuple[str, str]:
    """How a timeline names a step once taken ("Approved", "Certificate issued"), English and Hindi."""
    transition = process.transition(action)
    if transition is not None:
        return transition.done_en or transition.label_en, transition.done_hi or transition.label_hi
    return PLATFORM_STEPS.get(action) or (action.replace("_", " ").capitalize(), action.replace("_", " "))


async def timeline(case: Case, *, public_only: bool = True) -> list[dict[str, Any]]:
    """The steps of a case, oldest first: what the citizen may see (no officer's name, no internal note).

    ``action_en``/``action_hi`` name the step as its button does ("Approve"); ``step_en``/``step_hi``
    as taken ("Approved"); ``remark_hi`` is the remark in Hindi, empty when it is only as written."""
    process = process_of(case)
    events = await CaseEvent.filter(case_id=case.id).order_by("id")
    # who took each step, in Hindi when their account has a Hindi name (the officers' own pages)
    names_hi = {} if public_only else dict(await User.filter(id__in={e.actor_id for e in events if e.actor_id})
                                           .values_list("id", "full_name_hi"))
    rows = []
    for e in events:
        if public_only and not e.public:
            continue
        state = process.state(e.to_state or case.state)
        transition = process.transition(e.action)
        step_en, step_hi = step_names(process, e.action)
        rows.append({
            "at": e.created_at,
            "action": e.action,
            "action_en": transition.label_en if transition else step_en,
            "action_hi": transition.label_hi if transition else step_hi,
            "step_en": step_en, "step_hi": step_hi,
            "state": state.name, "state_en": state.label_en, "state_hi": state.label_hi,
            "remark": remark_en(e), "remark_hi": remark_hi(e, process),
            "by": e.actor_name if not public_only else _public_role(e.actor_role),
            "by_hi": names_hi.get(e.actor_id, "") if not public_only else "",
            "by_role": e.actor_role,
        })
    return rows


def _public_role(role: str) -> str:
    return {OFFICER: "department", SOCIETY: "society", OPERATOR: "counter", SYSTEM: "e-Mitra"}.get(role, role)


async def counter_of(case: Case) -> Counter | None:
    return await Counter.get_or_none(id=case.counter_id) if case.counter_id else None

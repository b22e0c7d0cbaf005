"""Department officers' accounts: who acts on a department's applications in a district.

An application reaches the inbox of the officers whose ``department`` is, exactly as written, the
department its service routes it to (``route()``, by default the service's ``provider``). A
partner's new service (a department no counter took applications for before) therefore needs its
officers before its first case can move: the district Society adds them (``emitra officer add``),
and the department name is checked against what the loaded services route to, so that a typo never
makes an officer whose inbox stays empty (docs/workflows.md, "Officers of a new department").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Iterable, NamedTuple

from tortoise.transactions import in_transaction

from emitra.core import audit
from emitra.core import auth
from emitra.core.auth import hash_password
from emitra.core.models import District, Role, User

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,59}$")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")  # an address mail can be sent to (escalations, the complaint book digest)


class OfficerError(ValueError):
    """A refused account: the option at fault and the fix (nothing was written), in English
    (``message``, the command's words) and Hindi (``message_hi``), and as a web page says it
    (``page_en``, ``page_hi``): where the command's words (its options, `emitra ...`) mean nothing
    to someone at a page, a list to choose from, a box (decision 197). Without them, the message."""

    def __init__(self, field: str, message: str, hi: str = "", page: tuple[str, str] | None = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.message_hi = hi or message
        self.page_en, self.page_hi = page or (message, self.message_hi)


def known_departments() -> list[str]:
    """The departments the loaded services send applications and grievances to: each application
    service's ``provider`` and the departments its ``departments_hi`` names (those ``route()`` may
    return), and those e-Mitra itself sends online grievances to."""
    from emitra.core import grievances
    from emitra.core.plugins import get_host
    from emitra.core.services import Workflow

    names = set(grievances.DEPARTMENTS_HI)
    for service in get_host().registry:
        if service.workflow == Workflow.APPLICATION:
            names.add(service.provider)
            names.update(service.departments_hi)
    return sorted(names)


def _department_problem(department: str) -> OfficerError | None:
    known = known_departments()
    if department in known:
        return None
    said = department.strip().lower()
    close = ([k for k in known if said and (said in k.lower() or k.lower() in said)]
             or difflib.get_close_matches(department, known, n=1, cutoff=0.6))
    hint, hint_hi = (f"did you mean {close[0]!r}? ", f"क्या आपका मतलब {close[0]!r} था? ") if close else ("", "")
    shown = department[:120]
    return OfficerError(
        "--department",
        f"{department!r} is no department a loaded service sends applications to, so the officer's inbox would stay "
        f"empty; {hint}write it exactly as the service names it (`emitra officer departments` lists them; a service "
        "whose route() sends applications elsewhere names those departments in its departments_hi)",
        f"{shown!r} ऐसा कोई विभाग नहीं है जिसे कोई लोड की गई सेवा आवेदन भेजती हो, इसलिए अधिकारी का इनबॉक्स खाली रहेगा; "
        f"{hint_hi}विभाग ठीक वैसे लिखें जैसे सेवा उसका नाम लिखती है (`emitra officer departments` उनकी सूची देता है)",
        (f"{shown!r} is no department a loaded service sends applications to, so the officer's inbox would stay empty; "
         f"{hint}choose the department from the list",
         f"{shown!r} ऐसा कोई विभाग नहीं है जिसे कोई लोड की गई सेवा आवेदन भेजती हो, इसलिए अधिकारी का इनबॉक्स खाली रहेगा; "
         f"{hint_hi}सूची में से विभाग चुनें"))


def officer_departments(service: Any) -> list[str]:
    """The departments whose officers act on ``service``'s applications, as its cases name them:
    those its ``departments_hi`` names (``route()`` sends each application to one of them: the
    grievance's, by the department the citizen chose), else its ``provider`` (the default
    ``route()``). Empty for a service no department officer acts on: a payment, or an application
    whose process has no department officer's step."""
    from emitra.core import workflow
    from emitra.core.services import Workflow

    if getattr(service, "workflow", None) != Workflow.APPLICATION:
        return []
    if not any(workflow.OFFICER in t.roles for t in workflow.process_for(service).transitions):
        return []
    named = [d for d in service.departments_hi if isinstance(d, str) and d.strip()] if isinstance(service.departments_hi, dict) else []
    return named or [service.provider]


def officer_level(service: Any) -> tuple[int, tuple[Any, ...]]:
    """The officer level ``service``'s applications need in each of its departments to be carried
    to the end: the highest ``min_level`` of its process's department officer's steps (an officer
    of a level takes the steps of every level below it), with the steps that need it; ``(1, ())``
    when any officer of the department takes every step (decision 131)."""
    from emitra.core import workflow

    steps = [t for t in workflow.process_for(service).transitions if workflow.OFFICER in t.roles]
    level = max((t.min_level for t in steps), default=1)
    return level, (tuple(t for t in steps if t.min_level == level) if level > 1 else ())


@dataclass(frozen=True)
class NoOfficer:
    """An application service whose department (or some of whose departments) has no active officer
    in a district: what it sends there waits in nobody's inbox once paid (decision 128)."""

    service: Any
    #: its departments with no active officer in the district, as the service names them
    missing: tuple[str, ...]
    #: how many departments it sends applications to in all
    of: int
    district_code: str
    district_en: str
    district_hi: str
    #: the officer level ``missing`` lack: 1, no active officer at all; 2 or more, none of the level a
    #: step of the service's process needs (``Transition.min_level``), though some below it may be
    level: int = 1
    #: the steps that need that level (when it is 2 or more)
    steps: tuple[Any, ...] = ()

    def steps_said(self) -> tuple[str, str]:
        """The steps that need :attr:`level`, quoted, in English and Hindi ("'Approve', 'Reject'")."""
        return (", ".join(f"'{t.label_en}'" for t in self.steps),
                ", ".join(f"'{t.label_hi or t.label_en}'" for t in self.steps))

    def said(self) -> tuple[str, str]:
        """The warning in English and Hindi, naming the departments (and the level missing) and what to do."""
        from emitra.core.plugins import department_hi

        title_en, title_hi = self.service.title_en, self.service.title_hi or self.service.title_en
        names_en = "; ".join(self.missing)
        names_hi = "; ".join(department_hi(d, self.service.code) or d for d in self.missing)
        example = self.missing[0]
        command = (f"emitra officer add USERNAME --name 'NAME AND POST' --department '{example}' "
                   f"--district {self.district_code} --level {self.level} --as ADMIN")
        if self.level > 1:
            return self._said_level(title_en, title_hi, names_en, names_hi, command)
        if self.of == 1:
            en = (f"{title_en}: its applications go to {names_en}, which has no active officer in {self.district_en} district. "
                  f"Paid applications would wait in nobody's inbox until one is added. Ask the {self.district_en} e-Mitra "
                  f"Society (or the department) to add an officer of {names_en}; the Society's admin adds one on the Officers page (Network, then Department officers), or with: {command}")
            hi = (f"{title_hi}: इसके आवेदन {names_hi} को जाते हैं, जिसका {self.district_hi} ज़िले में कोई सक्रिय अधिकारी नहीं है। "
                  f"अधिकारी जोड़े जाने तक भुगतान किए गए आवेदन किसी के इनबॉक्स में नहीं पहुँचेंगे। {self.district_hi} ई-मित्र "
                  f"सोसायटी (या विभाग) से {names_hi} का अधिकारी जोड़ने को कहें; सोसायटी के एडमिन इसे अधिकारी पृष्ठ (नेटवर्क, फिर विभागीय अधिकारी) पर, या इस कमांड से जोड़ते हैं: {command}")
        else:
            en = (f"{title_en}: {len(self.missing)} of the {self.of} departments it sends applications to have no active officer "
                  f"in {self.district_en} district: {names_en}. Paid applications sent to them would wait in nobody's inbox "
                  f"until officers are added. Ask the {self.district_en} e-Mitra Society (or the departments) to add their "
                  f"officers; the Society's admin adds one on the Officers page (Network, then Department officers), or with: {command}")
            hi = (f"{title_hi}: जिन {self.of} विभागों को इसके आवेदन जाते हैं, उनमें से {len(self.missing)} का {self.district_hi} "
                  f"ज़िले में कोई सक्रिय अधिकारी नहीं है: {names_hi}। अधिकारी जोड़े जाने तक उन्हें भेजे गए भुगतान किए गए आवेदन "
                  f"किसी के इनबॉक्स में नहीं पहुँचेंगे। {self.district_hi} ई-मित्र सोसायटी (या विभागों) से उनके अधिकारी जोड़ने को कहें; "
                  f"सोसायटी के एडमिन इसे अधिकारी पृष्ठ (नेटवर्क, फिर विभागीय अधिकारी) पर, या इस कमांड से जोड़ते हैं: {command}")
        return en, hi

    def _said_level(self, title_en: str, title_hi: str, names_en: str, names_hi: str, command: str) -> tuple[str, str]:
        """:meth:`said` when a step needs an officer above level 1 (an approval): the level missing."""
        level, (steps_en, steps_hi) = self.level, self.steps_said()
        if self.of == 1:
            en = (f"{title_en}: its applications go to {names_en}, which has no active officer of level {level} or above in "
                  f"{self.district_en} district, and only such an officer takes its step {steps_en}. Paid applications would "
                  f"stop at that step, in nobody's inbox, until one is added. Ask the {self.district_en} e-Mitra Society (or "
                  f"the department) to add an officer of level {level} of {names_en}; the Society's admin adds one on the Officers page (Network, then Department officers), or with: {command}")
            hi = (f"{title_hi}: इसके आवेदन {names_hi} को जाते हैं, जिसका {self.district_hi} ज़िले में स्तर {level} या उससे ऊपर का "
                  f"कोई सक्रिय अधिकारी नहीं है, और इसका चरण {steps_hi} ऐसे अधिकारी ही करते हैं। अधिकारी जोड़े जाने तक भुगतान किए गए "
                  f"आवेदन उस चरण पर रुके रहेंगे, किसी के इनबॉक्स में नहीं। {self.district_hi} ई-मित्र सोसायटी (या विभाग) से "
                  f"{names_hi} का स्तर {level} का अधिकारी जोड़ने को कहें; सोसायटी के एडमिन इसे अधिकारी पृष्ठ (नेटवर्क, फिर विभागीय अधिकारी) पर, या इस कमांड से जोड़ते हैं: {command}")
        else:
            en = (f"{title_en}: {len(self.missing)} of the {self.of} departments it sends applications to have no active officer "
                  f"of level {level} or above in {self.district_en} district, and only such an officer takes its step "
                  f"{steps_en}: {names_en}. Paid applications sent to them would stop at that step, in nobody's inbox, until "
                  f"officers are added. Ask the {self.district_en} e-Mitra Society (or the departments) to add their officers "
                  f"of level {level}; the Society's admin adds one on the Officers page (Network, then Department officers), or with: {command}")
            hi = (f"{title_hi}: जिन {self.of} विभागों को इसके आवेदन जाते हैं, उनमें से {len(self.missing)} का {self.district_hi} "
                  f"ज़िले में स्तर {level} या उससे ऊपर का कोई सक्रिय अधिकारी नहीं है, और इसका चरण {steps_hi} ऐसे अधिकारी ही "
                  f"करते हैं: {names_hi}। अधिकारी जोड़े जाने तक उन्हें भेजे गए भुगतान किए गए आवेदन उस चरण पर रुके रहेंगे, किसी "
                  f"के इनबॉक्स में नहीं। {self.district_hi} ई-मित्र सोसायटी (या विभागों) से उनके स्तर {level} के अधिकारी जोड़ने "
                  f"को कहें; सोसायटी के एडमिन इसे अधिकारी पृष्ठ (नेटवर्क, फिर विभागीय अधिकारी) पर, या इस कमांड से जोड़ते हैं: {command}")
        return en, hi


async def without_officers(district_id: int, services: Iterable[Any]) -> dict[str, NoOfficer]:
    """Of ``services``, those whose applications would reach no officer in the district who can
    carry them to the end: all or some of their departments have no active officer there, or none
    of the level a step of their process needs (an approval kept for level 2), by code; one query
    for the district's officers. Enabling such a service is allowed, with this warning (decisions
    128, 130)."""
    wanted = {s.code: (s, officer_departments(s)) for s in services}
    names = {d for _s, departments in wanted.values() for d in departments}
    if not names:
        return {}
    highest: dict[str, int] = {}  # department -> the highest level of its active officers in the district
    for department, level in await User.filter(district_id=district_id, role=Role.DEPARTMENT_OFFICER, active=True,
                                               department__in=sorted(names)).values_list("department", "level"):
        highest[department] = max(highest.get(department, 0), level or 1)
    gaps: dict[str, tuple[Any, tuple[str, ...], int, int, tuple[Any, ...]]] = {}
    for code, (service, departments) in wanted.items():
        if not departments:
            continue
        level, steps = officer_level(service)
        missing = tuple(d for d in departments if highest.get(d, 0) < level)
        if missing:
            gaps[code] = (service, missing, len(departments), level, steps)
    if not gaps:
        return {}
    district = await District.get(id=district_id)
    return {code: NoOfficer(service, missing, of, district.code, district.name_en, district.name_hi or district.name_en, level, steps)
            for code, (service, missing, of, level, steps) in gaps.items()}


async def offered_without_officers(district_id: int) -> list[tuple[NoOfficer, list[str]]]:
    """The application services enabled at an open counter of the district that would send paid
    applications to a department with no active officer there: each with the codes of the counters
    offering it (the Society's inbox names them, so that it adds the officers before cases wait)."""
    from emitra.core.models import CounterService
    from emitra.core.plugins import get_host

    at: dict[str, list[str]] = {}
    for code, counter in await CounterService.filter(district_id=district_id, enabled=True, counter__active=True) \
            .order_by("counter__code").values_list("service_code", "counter__code"):
        at.setdefault(code, []).append(counter)
    registry = get_host().registry
    gaps = await without_officers(district_id, [s for s in map(registry.get, at) if s is not None])
    return sorted(((gap, at[code]) for code, gap in gaps.items()), key=lambda item: item[0].service.title_en.casefold())


async def add_officer(actor: audit.Actor, *, username: str, full_name: str, department: str, district_code: str,
                      password: str, level: int = 1, email: str = "", full_name_hi: str = "") -> User:
    """Create a department officer of ``district_code``, audited as ``user.created``; raise
    :class:`OfficerError` naming the first option at fault (nothing is written then).

    ``actor`` is a Society admin of that district (or the state admin)."""
    district = await District.get_or_none(code=district_code.strip().upper())
    if district is None:
        raise OfficerError("--district", f"no district with code {district_code!r}", f"{district_code!r} कोड का कोई जिला नहीं है")
    user = actor.user
    if user is None or not user.active or not (
            user.role == Role.STATE_ADMIN or (user.role == Role.SOCIETY_ADMIN and user.district_id == district.id)):
        raise OfficerError("--as", f"{actor.name!r} is not an admin of the {district.code} e-Mitra Society (nor the state admin)",
                           f"{actor.name!r} {district.code} ई-मित्र सोसायटी के (या राज्य के) एडमिन नहीं हैं")
    username = username.strip()
    if not USERNAME.match(username):
        raise OfficerError("USERNAME", f"{username!r} is not a username: 3 to 60 lowercase letters, digits, '.', '_' or '-', "
                                       "beginning with a letter (e.g. 'dmg_me_jaipur')",
                           f"{username[:60]!r} उपयोगकर्ता नाम नहीं है: 3 से 60 छोटे अंग्रेज़ी अक्षर, अंक, '.', '_' या '-', "
                           "जो किसी अक्षर से शुरू हो (जैसे 'dmg_me_jaipur')")
    if await User.filter(username=username).exists():
        raise OfficerError("USERNAME", f"{username!r} is taken; choose another", f"{username!r} पहले से लिया जा चुका है; कोई और चुनें")
    if not full_name.strip():
        raise OfficerError("--name", "the officer's name and post are needed, e.g. 'Mining Engineer, Jaipur'",
                           "अधिकारी का नाम और पद आवश्यक है, जैसे 'Mining Engineer, Jaipur'")
    from emitra.core.plugins import is_hindi

    full_name_hi = " ".join(full_name_hi.split())
    if full_name_hi and not is_hindi(full_name_hi):
        raise OfficerError("--name-hi", f"{full_name_hi!r} is not Hindi: write the name and post in Devanagari, e.g. "
                                        "'खनि अभियंता, जयपुर', or leave it out (the Hindi pages then show --name)",
                           f"{full_name_hi[:200]!r} हिंदी में नहीं है: नाम और पद देवनागरी में लिखें, जैसे 'खनि अभियंता, जयपुर', "
                           "या इसे छोड़ दें (तब हिंदी पृष्ठ अंग्रेज़ी नाम दिखाते हैं)",
                           (f"{full_name_hi[:200]!r} is not Hindi: write the name and post in Devanagari, e.g. "
                            "'खनि अभियंता, जयपुर', or leave the box empty (the Hindi pages then show the name in English)",
                            f"{full_name_hi[:200]!r} हिंदी में नहीं है: नाम और पद देवनागरी में लिखें, जैसे 'खनि अभियंता, जयपुर', "
                            "या खाना खाली छोड़ें (तब हिंदी पृष्ठ अंग्रेज़ी नाम दिखाते हैं)"))
    if (problem := _department_problem(department)) is not None:
        raise problem
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        shown = str(level)[:20]
        raise OfficerError("--level", f"{level!r} is not a level: 1 is the desk officer, 2 the next officer up, and so on",
                           f"{shown!r} कोई स्तर नहीं है: 1 डेस्क अधिकारी है, 2 उससे ऊपर का अधिकारी, और इसी तरह आगे",
                           (f"{shown!r} is not a level: give a whole number, 1 for the desk officer, 2 for the next officer up, "
                            "and so on",
                            f"{shown!r} कोई स्तर नहीं है: पूर्ण संख्या दें, डेस्क अधिकारी के लिए 1, उससे ऊपर के अधिकारी के लिए 2, "
                            "और इसी तरह आगे"))
    email = email.strip()
    if email and not EMAIL.fullmatch(email):
        raise OfficerError("--email", f"{email!r} is not an email address (escalations are sent there)",
                           f"{email[:200]!r} ईमेल पता नहीं है (एस्केलेशन वहीं भेजे जाते हैं)")
    if len(password) < 8:
        raise OfficerError("password", "at least 8 characters", "कम से कम 8 अक्षर")
    async with in_transaction():
        officer = await User.create(username=username, full_name=full_name.strip()[:200], full_name_hi=full_name_hi[:200],
                                    role=Role.DEPARTMENT_OFFICER,
                                    password_hash=hash_password(password), district=district, department=department,
                                    level=level, email=email)
        await audit.record(actor, "user.created", officer, district_id=district.id,
                           detail={"username": username, "role": Role.DEPARTMENT_OFFICER.value, "department": department,
                                   "level": level})
    return officer


async def _officer_for(actor: audit.Actor, username: str) -> User:
    """The department officer ``username``, if ``actor`` may manage them: a Society admin of the
    officer's district, or the state admin. :class:`OfficerError` names the option at fault."""
    officer = await User.get_or_none(username=username.strip())
    shown = username.strip()[:60]
    if officer is None or officer.role != Role.DEPARTMENT_OFFICER:
        raise OfficerError("USERNAME", f"{username!r} is no department officer (`emitra officer list` lists them)",
                           f"{shown!r} कोई विभागीय अधिकारी नहीं है (`emitra officer list` उनकी सूची देता है)",
                           (f"{shown!r} is no department officer: use the forms beside the officers listed on this page",
                            f"{shown!r} कोई विभागीय अधिकारी नहीं है: इस पृष्ठ पर दिए अधिकारियों के पास के फ़ॉर्म का उपयोग करें"))
    user = actor.user
    if user is None or not user.active or not (
            user.role == Role.STATE_ADMIN or (user.role == Role.SOCIETY_ADMIN and user.district_id == officer.district_id)):
        raise OfficerError("--as", f"{actor.name!r} is not an admin of the officer's e-Mitra Society (nor the state admin)",
                           f"{actor.name!r} अधिकारी की ई-मित्र सोसायटी के (या राज्य के) एडमिन नहीं हैं",
                           (f"{shown} is an officer of another district: only its Society's admin (or the state admin) "
                            "manages them, so nothing was changed",
                            f"{shown} किसी दूसरे ज़िले के अधिकारी हैं: उन्हें उस ज़िले की सोसायटी के एडमिन (या राज्य के एडमिन) ही "
                            "संभालते हैं, इसलिए कुछ नहीं बदला"))
    return officer


#: a stop's or restart's reason, in characters: required for a citizen's sign-in (the Society's page
#: and ``emitra user deactivate | reactivate --reason``), optional for staff (decision 145)
REASON_MIN, REASON_MAX = 5, 200


def said_reason(reason: str | None, required: bool) -> str:
    """``reason`` with its spaces run together, checked: :data:`REASON_MIN` to :data:`REASON_MAX`
    characters; "" when none is given and none is ``required``."""
    said = " ".join(str(reason or "").split())
    if not said and not required:
        return ""
    if not said:
        raise OfficerError("--reason", f"a citizen's sign-in is stopped or restarted with a reason, as on the Society's page "
                                       f"Citizens' sign-in: give --reason 'WHY' ({REASON_MIN} to {REASON_MAX} characters, "
                                       "for example: phone lost, reported by the citizen at the counter)",
                           f"नागरिक का साइन-इन कारण के साथ रोका या फिर से शुरू किया जाता है: --reason 'कारण' दें ({REASON_MIN} से "
                           f"{REASON_MAX} अक्षर, जैसे: फ़ोन खो गया, नागरिक ने काउंटर पर बताया)")
    if not REASON_MIN <= len(said) <= REASON_MAX:
        raise OfficerError("--reason", f"the reason has {len(said)} characters: say why in {REASON_MIN} to {REASON_MAX} "
                                       "(for example: phone lost, reported by the citizen at the counter)",
                           f"कारण में {len(said)} अक्षर हैं: {REASON_MIN} से {REASON_MAX} अक्षरों में बताएँ कि क्यों "
                           "(जैसे: फ़ोन खो गया, नागरिक ने काउंटर पर बताया)")
    return said


async def lock_out(actor: audit.Actor, account: User, reason: str = "") -> User:
    """``account`` can no longer log in; its open sessions and API tokens end at once; the account
    stays (its steps in timelines and receipts keep its name). Audited ``user.deactivated``, with
    ``reason`` when given; doing it twice changes nothing the second time."""
    if account.active:
        await auth.deactivate(actor, account, reason)
    return account


async def let_in(actor: audit.Actor, account: User, reason: str = "") -> User:
    """A deactivated account may log in again with its password. Audited ``user.reactivated``, with
    ``reason`` when given."""
    if not account.active:
        async with in_transaction():
            account.active = True
            await account.save(update_fields=["active"])
            await audit.record(actor, "user.reactivated", account, district_id=account.district_id,
                               detail={"username": account.username, **({"reason": reason} if reason else {})})
    return account


async def new_password(actor: audit.Actor, account: User, password: str) -> User:
    """A new password (forgotten, or seen by someone): every session the account has open ends. A
    deactivated account logs in again only once reactivated, not by a password. Audited
    ``user.password_changed``; the password is never recorded."""
    if len(password) < 8:
        raise OfficerError("password", "at least 8 characters", "कम से कम 8 अक्षर")
    await auth.set_password(actor, account, password)
    return account


async def deactivate_officer(actor: audit.Actor, username: str, reason: str = "") -> User:
    """An officer who left the department (:func:`lock_out`); ``reason``, when given, kept in the record."""
    officer = await _officer_for(actor, username)
    return await lock_out(actor, officer, said_reason(reason, required=False))


async def set_officer_password(actor: audit.Actor, username: str, password: str) -> User:
    """A new password for an officer (:func:`new_password`)."""
    return await new_password(actor, await _officer_for(actor, username), password)


async def rename_officer(actor: audit.Actor, username: str, *, name: str | None = None, name_hi: str | None = None) -> User:
    """An officer's name and post, in English or Hindi (:func:`emitra.core.onboarding.rename`; decision 148)."""
    from emitra.core.onboarding import rename

    return await rename(actor, await _officer_for(actor, username), name=name, name_hi=name_hi)


async def reactivate_officer(actor: audit.Actor, username: str, reason: str = "") -> User:
    """An officer deactivated by mistake, or back in the department (:func:`let_in`)."""
    officer = await _officer_for(actor, username)
    return await let_in(actor, officer, said_reason(reason, required=False))


class Unattended(NamedTuple):
    """A department of the district with open cases waiting on it that no active officer there can act on."""

    department: str
    #: how many such cases wait
    cases: int
    #: the officer level that acts on every one of them: 1, any officer of the department (it has none);
    #: 2 or more, they wait at a step kept for that level (``Transition.min_level``) and its officers are below it
    level: int = 1


def level_to_act(process: Any, state: str) -> int:
    """The officer level a case in ``state`` needs for some officer of its department to act on it:
    the lowest ``min_level`` of the department officer's steps from that state (a level-1 officer
    who may scrutinise it acts on it, though only level 2 approves it next); 1 when none is kept."""
    from emitra.core import workflow

    return min((t.min_level for t in process.from_state(state) if workflow.OFFICER in t.roles), default=1)


async def unattended(district_id: int) -> list[Unattended]:
    """The departments of the district that have open cases waiting on them and no active officer
    to act on them (a partner's new department before its officers were added, a grievance to a
    department not yet on e-Mitra, the last officer deactivated), or none of the level the step they
    wait at needs (an approval kept for level 2 where only the level-1 desk officer is left, as
    :func:`without_officers` warns of: decision 135): each with how many cases wait and the level
    that acts on all of them. Such cases wait in no one's inbox; the Society's inbox names them."""
    from tortoise.functions import Count

    from emitra.core import workflow
    from emitra.core.models import Case

    waiting = Case.filter(district_id=district_id, desk="department", closed_at=None)
    pairs = await waiting.distinct().values_list("service_code", "kind", "state")
    needs = {(code, kind, state): level_to_act(workflow.process_of(SimpleNamespace(service_code=code, kind=kind, state=state)), state)
             for code, kind, state in pairs}  # type: ignore[arg-type]
    groups = await waiting.filter(workflow.whose_turn(pairs, "department")).annotate(n=Count("id")) \
        .group_by("department", "service_code", "kind", "state").values_list("department", "service_code", "kind", "state", "n")
    if not groups:
        return []
    highest: dict[str, int] = {}  # department -> the highest level of its active officers in the district
    for department, level in await User.filter(district_id=district_id, role=Role.DEPARTMENT_OFFICER, active=True,
                                               department__in=sorted({g[0] for g in groups})).values_list("department", "level"):
        highest[department] = max(highest.get(department, 0), level or 1)
    found: dict[str, tuple[int, int]] = {}  # department -> (cases, the level that acts on them all)
    for department, code, kind, state, n in groups:
        level = needs[(code, kind, state)]
        if highest.get(department, 0) < level:
            cases, most = found.get(department, (0, 1))
            found[department] = (cases + int(n), max(most, level))
    return [Unattended(d, n, level) for d, (n, level) in sorted(found.items())]


@dataclass(frozen=True)
class Staffing:
    """A department of a district as ``emitra officer departments --district`` and the Officers page
    (web/officers.py) say it: its active officers there, and what waits on it with no officer who can act."""

    department: str
    #: how many active officers of the department the district has
    officers: int
    #: its open cases that no active officer there can act on (:func:`unattended`), if any
    waiting: Unattended | None = None
    #: the application services enabled at the district's open counters that send applications to it
    #: and find no officer (of the level their steps need) there: each with the counters offering it
    offered: tuple[tuple[NoOfficer, tuple[str, ...]], ...] = ()

    @property
    def short(self) -> bool:
        """Whether it lacks an officer something waits on: a case, or a service offered at a counter."""
        return self.waiting is not None or bool(self.offered)


async def staffing(district_id: int) -> list[Staffing]:
    """Every department the loaded services send applications to (and any other that open cases of
    the district wait on), by name: its active officers in the district, the cases none of them can
    act on, and the services offered at counters that reach no officer of theirs."""
    waiting = {gap.department: gap for gap in await unattended(district_id)}
    names = sorted(set(known_departments()) | set(waiting))
    staff: dict[str, int] = {}
    for name in await User.filter(district_id=district_id, role=Role.DEPARTMENT_OFFICER, active=True).values_list("department", flat=True):
        staff[name] = staff.get(name, 0) + 1
    offered: dict[str, list[tuple[NoOfficer, tuple[str, ...]]]] = {}
    for gap, counters in await offered_without_officers(district_id):
        for name in gap.missing:
            offered.setdefault(name, []).append((gap, tuple(counters)))
    return [Staffing(name, staff.get(name, 0), waiting.get(name), tuple(offered.get(name, ()))) for name in names]

"""Notifications to citizens and officers, in English and Hindi, through an outbox.

Every message is first written to the :class:`~emitra.core.models.Notification` outbox, inside the
transaction of the change it reports (so a message is never sent for a change that rolled back,
and never lost for one that committed). :func:`deliver` then offers each queued message to the
transport plugins (hook ``emitra_send_notification``: SMS gateways, email); with none installed the
message is ``kept`` in the outbox, where the Society's admin reads it.

Events: ``submitted`` (a case is registered), ``state_changed`` (each step, with the reason or the
note when the citizen may read it: the same rule as tracking, :func:`citizen_may_read`), ``ready``
(the deliverable waits at the counter), ``escalated`` (to the officers an overdue case now rests
with), ``overdue_at_top`` (to its top officers and the Society, once, when no officer is above it), ``counter_changed`` (the counter where it is corrected and collected closed, and the case
moved to another: :func:`counter_changed`), ``upi_refund_owed``, ``upi_refund_sent`` and
``upi_refund_returned`` (a cancelled UPI booking's refund, to be sent, sent by the Society, and sent
back by the citizen's bank, decision 75: core/upi_refunds.py), ``card_refunded`` (a
booking's refund to the card, which failed when it was cancelled at the counter, finished later:
``core/counter.cancel(finishing=True)``, decision 73). An SMS body stays within :data:`SMS_LIMIT` characters:
the note, then the service title, are shortened to fit; an email carries them in full.

Privacy: a recipient or a body is never written to the log; pages and the command line show the
recipient masked (:func:`mask_recipient`).
"""

from __future__ import annotations

import inspect
import logging
import re
from dataclasses import dataclass
from typing import Any, Callable

from emitra.core import clock
from emitra.core.models import Case, CaseEvent, Counter, Notification, Role, User
from emitra.core.plugins import department_hi
from emitra.core.text import days_en

log = logging.getLogger(__name__)

SMS_LIMIT = 300
#: an SMS in Unicode (Hindi, or any text outside the GSM alphabet) is sent in parts of 67 characters, not
#: 153: 268 characters are four parts (300 were five), as 300 in the GSM alphabet are two (decision 95)
SMS_UNICODE_LIMIT = 268
#: the GSM 03.38 alphabet an SMS is sent in without Unicode, and its extension (each counts two)
GSM_BASIC = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
#: what an English SMS writes instead of a character the GSM alphabet lacks (a dash, an ellipsis, the rupee
#: sign, curly quotes): one such character made the whole message Unicode, in parts of 67 characters, or
#: came out as "?" from a gateway sending it as plain text
GSM_SPELLING = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "‒": "-", "−": "-", "…": "...", "₹": "Rs ",
                              "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " ", "·": "-", "•": "-"})
MAX_ATTEMPTS = 5
#: the languages a citizen may choose for the SMS and email about a counter's request (decision 99),
#: and the refusal of another, naming the field (the counter's form, the API)
MESSAGE_LANGS = ("en", "hi")
MESSAGE_LANG_REFUSED_EN = ('message_lang (the language of the SMS and email to the citizen) must be "hi" for Hindi or "en" '
                           "for English: ask the citizen which they read.")
MESSAGE_LANG_REFUSED_HI = ('message_lang (नागरिक को भेजे जाने वाले SMS और ईमेल की भाषा) हिंदी के लिए "hi" या अंग्रेज़ी के '
                           'लिए "en" होनी चाहिए: नागरिक से पूछें कि वे कौन-सी पढ़ते हैं।')
STATUSES = ("queued", "kept", "sent", "failed")
CHANNELS = ("sms", "email")
EVENTS = ("submitted", "state_changed", "ready", "escalated", "overdue_at_top", "counter_changed", "upi_refund_owed", "upi_refund_sent",
          "upi_refund_returned", "card_refunded")
#: whose remarks the citizen reads, in a message as on /track: the department's, the Society's and the
#: platform's ("system"), when made public. A counter's remark (what was corrected, say) may describe
#: the citizen's papers and stays with the officers (docs/citizens.md).
#: messages that carry a secret (a citizen's sign-in code, core/citizen_login.py; the code to change
#: their mobile, core/mobile_change.py): the outbox page never shows it, and once a transport has
#: taken the message (or given up) the stored bodies lose it too
SECRET_EVENTS = frozenset({"citizen_code", "mobile_change_code"})
CODE_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
CITIZEN_REMARK_ROLES = frozenset({Role.DEPARTMENT_OFFICER.value, Role.SOCIETY_ADMIN.value, "system"})


def citizen_may_read(by_role: str, public: bool) -> bool:
    """Whether the citizen may read the remark of a step taken by ``by_role`` (tracking and messages)."""
    return bool(public) and by_role in CITIZEN_REMARK_ROLES


@dataclass(frozen=True)
class Message:
    """What a transport is given. ``body`` is in ``lang``; both languages are there too."""

    id: int
    channel: str  # sms or email
    recipient: str
    lang: str
    subject: str
    body: str
    body_en: str
    body_hi: str
    event: str

    @property
    def unicode(self) -> bool:
        """Whether ``body`` must be sent as a Unicode SMS (Hindi, or a remark in Hindi in an English
        message): a gateway told to send it as plain text turns each such character into "?"."""
        return not is_gsm(self.body)


def is_gsm(text: str) -> bool:
    """Whether ``text`` can be sent as an SMS in the GSM alphabet (160 characters a part, 153 when
    parts are joined); otherwise it goes in Unicode (70, and 67)."""
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def sms_parts(text: str) -> int:
    """How many SMS parts ``text`` takes, in the GSM alphabet when it can (an extension character such
    as € or [ counts two), else in Unicode (UTF-16 units: a character beyond the BMP counts two)."""
    if is_gsm(text):
        size, single, part = len(text) + sum(c in GSM_EXTENDED for c in text), 160, 153
    else:
        size, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if size <= single else -(-size // part)


def sms_text(text: str) -> str:
    """``text`` spelled in the GSM alphabet when only its punctuation kept it out (an English message:
    "Caste certificate – Revenue Department", "₹40", "…"); otherwise as it is (Hindi stays Hindi)."""
    spelled = " ".join(text.translate(GSM_SPELLING).split(" ")).replace("Rs  ", "Rs ")
    return spelled if is_gsm(spelled) else text


def sms_limit(text: str) -> int:
    """The characters an SMS body like ``text`` may have: :data:`SMS_LIMIT` in the GSM alphabet (two
    parts), :data:`SMS_UNICODE_LIMIT` in Unicode (four)."""
    return SMS_LIMIT if is_gsm(text) else SMS_UNICODE_LIMIT


def _fmt(at: Any) -> str:
    return at.strftime("%d-%m-%Y") if at else ""


def _shorten(text: str, room: int, ellipsis: str = "…") -> str:
    if len(text) <= room:
        return text
    return text[: max(room - len(ellipsis), 0)].rstrip(" ,;:–-.") + ellipsis


def _fit(make: Callable[[str, str], str], title: str, note: str, limit: int | None) -> str:
    """``make(title, note)``, with the note and then the title shortened until it fits ``limit``.

    With a limit it is an SMS: spelled in the GSM alphabet when only punctuation kept it out
    (:func:`sms_text`), and held to :data:`SMS_UNICODE_LIMIT` too when it must go in Unicode."""
    if limit is None:
        return make(title, note)

    def build(t: str, n: str) -> str:  # the SMS spelling of the same words
        return sms_text(make(t, n))

    body = build(title, note)
    gsm = is_gsm(body)
    limit, ellipsis = (min(limit, SMS_LIMIT), "...") if gsm else (min(limit, SMS_UNICODE_LIMIT), "…")
    if len(body) <= limit:
        return body
    over = len(body) - limit
    if note:
        keep = max(len(note) - over, min(len(note), 40))
        note = _shorten(note, keep, ellipsis)
        body = build(title, note)
        over = len(body) - limit
    if over > 0:
        title = _shorten(title, max(len(title) - over, min(len(title), 20)), ellipsis)
        body = build(title, note)
    return body if len(body) <= limit else _shorten(body, limit, ellipsis)


async def _readable_remark(case: Case, event: str, remark: str) -> str:
    """``remark`` if the citizen may read it: the step it was written with (the case's latest event of
    this action, written in the same transaction) was public and taken by the department, the Society
    or the platform; else nothing. A remark no step can be found for is not sent."""
    if not (remark or "").strip():
        return ""
    step = await CaseEvent.filter(case_id=case.id, action=event).order_by("-id").first()
    return remark if step is not None and citizen_may_read(step.actor_role, step.public) else ""


async def _counter_of(case: Case) -> Counter | None:
    return await Counter.get_or_none(id=case.counter_id) if case.counter_id else None


def _track_url() -> str:
    """Where a citizen tracks a case online: ``EMITRA_PUBLIC_URL`` + ``/track``."""
    from emitra.core.certificate_render import public_base_url

    return public_base_url() + "/track"


def _case_page_url(case: Case) -> str:
    """The officer's page of a case: ``EMITRA_PUBLIC_URL`` + ``/office/cases/{id}`` (after signing in,
    the sign-in page leads there)."""
    from emitra.core.certificate_render import public_base_url

    return f"{public_base_url()}/office/cases/{case.id}"


def _texts(case: Case, event: str, process: Any, remark: str, counter: Counter | None,
           limit: int | None) -> tuple[str, str, str, str, str]:
    """(kind, English body, Hindi body, English subject, Hindi subject) for one channel's length limit."""
    state = process.state(case.state)
    number = case.number
    grievance = case.kind == "grievance"
    if event == "opened":
        due = _fmt(case.due_at) if case.due_at and state.desk != "none" else ""
        track_url = _track_url()  # "online" said nowhere where: the site's address (EMITRA_PUBLIC_URL)

        def en(title: str, _: str) -> str:
            what = f"your grievance to {title} is registered" if grievance else f"your application for {title} is registered"
            expected = f" Expected by {due}." if due else ""
            return (f"e-Mitra: {what}, number {number}.{expected} Track it with this number and your mobile "
                    f"at any e-Mitra counter or online at {track_url}")

        def hi(title: str, _: str) -> str:
            what = f"{title} को आपकी शिकायत दर्ज हो गई है" if grievance else f"{title} हेतु आपका आवेदन दर्ज हो गया है"
            expected = f" अपेक्षित तिथि {due}।" if due else ""
            return (f"ई-मित्र: {what}, संख्या {number}।{expected} इस संख्या और अपने मोबाइल से किसी भी ई-मित्र "
                    f"काउंटर पर या ऑनलाइन {track_url} पर स्थिति देखें।")

        kind, subject_en, subject_hi = "submitted", f"Registered: {number}", f"दर्ज: {number}"
    elif event == "issue" or case.state == "ready":
        where_en = f"{counter.name} ({counter.code})" if counter else "the e-Mitra counter where you applied"
        where_hi = f"{counter.name_hi or counter.name} ({counter.code})" if counter else "उसी ई-मित्र काउंटर"

        def en(title: str, _: str) -> str:
            return f"e-Mitra: your {title}, number {number}, is ready. Collect it at {where_en} with your receipt."

        def hi(title: str, _: str) -> str:
            return f"ई-मित्र: आपका {title}, संख्या {number}, तैयार है। अपनी रसीद के साथ {where_hi} से प्राप्त करें।"

        kind, subject_en, subject_hi = "ready", f"Ready for collection: {number}", f"प्राप्ति हेतु तैयार: {number}"
    else:
        transition = process.transition(event)
        if event == "resolve":
            lead_en, lead_hi = "Reply", "उत्तर"
        elif transition is not None and transition.reason_required:
            lead_en, lead_hi = "Reason", "कारण"
        else:
            lead_en, lead_hi = "Note", "टिप्पणी"
        # sent back for correction: the citizen has to go to the counter, as tracking says
        advice_en = advice_hi = ""
        if case.state == "returned" and counter is not None:
            advice_en = f" Take your receipt to {counter.name} ({counter.code}) to correct it."
            advice_hi = f" सुधार हेतु अपनी रसीद लेकर {counter.name_hi or counter.name} ({counter.code}) जाएँ।"
        elif case.state == "verification":  # called to appear: what to bring (the date and place in the remark)
            advice_en = " The department will call you to appear in person with your original papers."
            advice_hi = " विभाग आपको मूल दस्तावेज़ों के साथ व्यक्तिगत रूप से उपस्थित होने हेतु बुलाएगा।"

        def en(title: str, note: str) -> str:
            said = f" {lead_en}: {note}" if note else ""
            return f"e-Mitra: {number} ({title}) is now: {state.label_en}.{advice_en}{said}"

        def hi(title: str, note: str) -> str:
            said = f" {lead_hi}: {note}" if note else ""
            return f"ई-मित्र: {number} ({title}) की स्थिति अब: {state.label_hi}।{advice_hi}{said}"

        kind, subject_en, subject_hi = "state_changed", f"{number}: {state.label_en}", f"{number}: {state.label_hi}"
    remark = " ".join((remark or "").split())
    # a grievance is named by where it went (its service title only repeats "grievance")
    title_en = case.department if grievance and event == "opened" and case.department else case.title_en
    title_hi = (department_hi(case.department, case.service_code) or case.department) if grievance and event == "opened" \
        and case.department else (case.title_hi or case.title_en)
    body_en = _fit(en, title_en, remark, limit)
    body_hi = _fit(hi, title_hi, remark, limit)
    return kind, body_en, body_hi, f"e-Mitra {subject_en}", f"ई-मित्र {subject_hi}"


async def case_event(case: Case, event: str, process: Any, remark: str = "") -> list[Notification]:
    """Queue the citizen's message for a case opened or moved (call inside the change's transaction).

    ``event`` is ``"opened"`` or the action taken (``forward``, ``approve``, ``issue``...). The SMS
    is at most :data:`SMS_LIMIT` characters; the email carries the whole reason. The remark is
    sent only when the citizen may read it (:func:`citizen_may_read`): a counter's or an internal
    remark is left out, as /track leaves it out.
    """
    if not case.mobile and not case.email:
        return []
    remark = await _readable_remark(case, event, remark)
    counter = await _counter_of(case)
    out = []
    if case.mobile:
        kind, en, hi, subject_en, subject_hi = _texts(case, event, process, remark, counter, SMS_LIMIT)
        out.append(await _queue(case, kind, "sms", case.mobile, en, hi, subject_hi if case.lang == "hi" else subject_en))
    if case.email:
        kind, en, hi, subject_en, subject_hi = _texts(case, event, process, remark, counter, None)
        out.append(await _queue(case, kind, "email", case.email, en, hi, subject_hi if case.lang == "hi" else subject_en))
    return out


async def counter_changed(case: Case, old: Counter, new: Counter) -> list[Notification]:
    """Tell the citizen their case is now at the counter ``new`` (``old`` is closing): that is where
    they correct it or collect what the department sends, with the receipt from ``old``. The
    address goes in when it fits an SMS (it is shortened first, then the service's title)."""
    if not case.mobile and not case.email:
        return []
    where, where_hi = f"{new.name} ({new.code})", f"{new.name_hi or new.name} ({new.code})"

    def en(title: str, address: str) -> str:
        at = f", {address}" if address else ""
        return (f"e-Mitra: {case.number} ({title}) is now at {where}{at}, not {old.code}. "
                f"Correct or collect it there with your receipt.")

    def hi(title: str, address: str) -> str:
        at = f", {address}" if address else ""
        return (f"ई-मित्र: {case.number} ({title}) अब {where_hi}{at} पर है, {old.code} पर नहीं। "
                f"अपनी रसीद के साथ वहीं सुधार कराएँ या प्राप्त करें।")

    subject_en, subject_hi = f"e-Mitra {case.number}: now at {new.code}", f"ई-मित्र {case.number}: अब {new.code} पर"
    address = " ".join((new.address or "").split())
    title_hi = case.title_hi or case.title_en
    out = []
    for channel, recipient, limit in (("sms", case.mobile, SMS_LIMIT), ("email", case.email, None)):
        if recipient:
            out.append(await _queue(case, "counter_changed", channel, recipient, _fit(en, case.title_en, address, limit),
                                    _fit(hi, title_hi, address, limit), subject_hi if case.lang == "hi" else subject_en))
    return out


async def escalation(case: Case, process: Any) -> list[Notification]:
    """Tell the officers at the case's new level (or the Society, when there is none) that it is overdue."""
    state = process.state(case.state)
    over_en, over_hi = _overstayed(state)
    due = f" The overall deadline is {_fmt(case.due_at)}." if case.due_at else ""
    due_hi = f" कुल समय सीमा {_fmt(case.due_at)} है।" if case.due_at else ""
    page = _case_page_url(case)  # the case itself, not only "your inbox": one click from the email (decision 140)
    en = (f"e-Mitra SLA: case {case.number} ({case.title_en}) has been '{state.label_en}' {over_en} "
          f"and is escalated to you (level {case.level}).{due} Please act on it in your e-Mitra inbox: {page}")
    hi = (f"ई-मित्र सेवा समय-सीमा: प्रकरण {case.number} ({case.title_hi or case.title_en}) {over_hi} '{state.label_hi}' स्थिति में है "
          f"और आपको (स्तर {case.level}) भेजा गया है।{due_hi} कृपया अपने ई-मित्र इनबॉक्स में कार्यवाही करें: {page}")
    officers: list[User] = []
    if case.desk == "department":
        officers = await _officers_of(case).filter(level=case.level)
        if not officers:  # no one that high: the highest there is
            candidates = await _officers_of(case).order_by("-level")
            officers = [u for u in candidates if u.level == candidates[0].level]
    if not officers:
        officers = await User.filter(role="society_admin", district_id=case.district_id, active=True)
    return await _email_staff(case, "escalated", officers, en, hi, f"e-Mitra: case {case.number} escalated to you",
                              f"ई-मित्र: प्रकरण {case.number} आपको भेजा गया")


def _officers_of(case: Case) -> Any:
    """The active officers of the case's department in its district (a query)."""
    return User.filter(role="department_officer", department=case.department, district_id=case.district_id, active=True)


def _overstayed(state: Any) -> tuple[str, str]:
    """For how long a case overstayed ``state``, as the escalation emails say it."""
    days = state.sla_days
    return (f"for more than {days_en(days)}" if days else "past its time limit",
            f"{days} दिन से अधिक समय से" if days else "समय-सीमा से अधिक समय से")


async def _email_staff(case: Case, event: str, staff: list[User], en: str, hi: str, subject_en: str,
                       subject_hi: str) -> list[Notification]:
    """Email each of ``staff`` (their address, else their inbox) about ``case``, in their language."""
    out = []
    for person in staff:
        lang = person.lang if person.lang in ("en", "hi") else "en"
        out.append(await _queue(case, event, "email", person.email or f"user:{person.username}", en, hi,
                                subject_hi if lang == "hi" else subject_en, lang=lang))
    return out


async def overdue_at_top(case: Case, process: Any) -> list[Notification]:
    """Tell the officers at the case's top level and the Society, once, that it is overdue there and
    that there is no officer above to send it to (core/workflow.sweep)."""
    state = process.state(case.state)
    over_en, over_hi = _overstayed(state)
    page = _case_page_url(case)
    top_en = f"at its top level (level {case.level})" if case.desk == "department" else "with the Society"
    top_hi = f"अपने सर्वोच्च स्तर (स्तर {case.level}) पर" if case.desk == "department" else "सोसायटी के पास"
    en = (f"e-Mitra service time limit: case {case.number} ({case.title_en}) has been '{state.label_en}' {over_en} "
          f"{top_en}. There is no officer above to send it to: it is not escalated further. Please act on it: {page}")
    hi = (f"ई-मित्र सेवा समय-सीमा: प्रकरण {case.number} ({case.title_hi or case.title_en}) {over_hi} '{state.label_hi}' स्थिति में "
          f"{top_hi} है। इससे ऊपर भेजने हेतु कोई अधिकारी नहीं है: इसे आगे अग्रेषित नहीं किया जाएगा। कृपया कार्यवाही करें: {page}")
    officers = await _officers_of(case).filter(level__gte=case.level) if case.desk == "department" else []
    officers += await User.filter(role="society_admin", district_id=case.district_id, active=True)
    return await _email_staff(case, "overdue_at_top", officers, en, hi, f"e-Mitra: case {case.number} overdue at the top level",
                              f"ई-मित्र: प्रकरण {case.number} सर्वोच्च स्तर पर समय-सीमा पार")


def request_lang(request: Any, before: str = "hi") -> str:
    """The language of a message to the citizen about a counter's request: the one the citizen chose
    when served (``ServiceRequest.message_lang``, decision 99); ``before`` for a request recorded
    before the choice was asked (a refund's message was Hindi then)."""
    lang = getattr(request, "message_lang", "") or ""
    return lang if lang in MESSAGE_LANGS else before


async def _queue(case: Case | None, event: str, channel: str, recipient: str, en: str, hi: str, subject: str = "",
                 lang: str | None = None, district_id: int | None = None) -> Notification:
    if channel == "sms":  # every SMS, however its words were put together: in the GSM alphabet when it can be,
        en, hi = sms_text(en), sms_text(hi)  # and within its parts (what no _fit shortened: cut at the end)
        en, hi = (_shorten(b, sms_limit(b), "..." if is_gsm(b) else "…") for b in (en, hi))
    return await Notification.create(
        district_id=case.district_id if case else district_id, case=case, event=event, channel=channel, recipient=recipient[:200],
        lang=lang or (case.lang if case else "hi"), subject=subject[:200], body_en=en, body_hi=hi, created_at=clock.now())


async def queue(event: str, channel: str, recipient: str, body_en: str, body_hi: str, *, subject: str = "",
                lang: str = "en", district_id: int | None = None, case: Case | None = None) -> Notification:
    """Queue any other message (a digest, a notice)."""
    return await _queue(case, event, channel, recipient, body_en, body_hi, subject, lang=lang, district_id=district_id)


def mask_recipient(recipient: str) -> str:
    """98XXXXXX45 for a mobile, r***@example.org for an address: the outbox never shows one in full."""
    if recipient.isdigit() and len(recipient) >= 6:
        return recipient[:2] + "X" * (len(recipient) - 4) + recipient[-2:]
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    return recipient


def without_secret(text: str) -> str:
    """A message body with its code written ``XXXXXX`` (the messages of :data:`SECRET_EVENTS`)."""
    return CODE_IN_TEXT.sub("XXXXXX", text)


def shown_body(note: Notification, body: str) -> str:
    """``body`` (one of ``note``'s) as a page shows it: a secret message's code hidden."""
    return without_secret(body) if note.event in SECRET_EVENTS else body


async def forget_secret(note_id: int | None) -> None:
    """Take the code out of a secret message's stored bodies (it was sent, failed, used or replaced)."""
    note = await Notification.get_or_none(id=note_id) if note_id else None
    if note is not None and note.event in SECRET_EVENTS:
        body_en, body_hi = without_secret(note.body_en), without_secret(note.body_hi)
        if (body_en, body_hi) != (note.body_en, note.body_hi):  # already gone once sent: nothing to write
            note.body_en, note.body_hi = body_en, body_hi
            await note.save(update_fields=["body_en", "body_hi"])


def _message(note: Notification) -> Message:
    return Message(note.id, note.channel, note.recipient, note.lang, note.subject,
                   note.body_hi if note.lang == "hi" else note.body_en, note.body_en, note.body_hi, note.event)


def _scrub(text: str, recipient: str, event: str = "") -> str:
    """A transport's error text, without the recipient in it (it is stored and shown), nor, for a
    message of :data:`SECRET_EVENTS`, its code (a gateway's error may echo the message it refused)."""
    text = text.replace(recipient, mask_recipient(recipient)) if recipient else text
    return without_secret(text) if event in SECRET_EVENTS else text


async def _offer(message: Message) -> tuple[str | None, list[str]]:
    """Offer one message to each transport, newest registered first; the first that sends wins.

    Returns (the transport's name or None, the errors of those that raised).
    """
    from emitra.core.plugins import get_host

    errors: list[str] = []
    hook = get_host().pm.hook.emitra_send_notification
    for impl in reversed(hook.get_hookimpls()):
        if getattr(impl, "hookwrapper", False) or getattr(impl, "wrapper", False):
            continue
        args = {"message": message}
        try:
            result = impl.function(*[args[name] for name in impl.argnames])
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # the transport's failure: logged without the message or the number
            log.warning("notification %s: transport %s failed: %s", message.id, impl.plugin_name, type(exc).__name__)
            errors.append(f"{impl.plugin_name}: {type(exc).__name__}: {_scrub(str(exc), message.recipient, message.event)}")
            continue
        if result:
            return (result if isinstance(result, str) else impl.plugin_name), errors
    return None, errors


async def deliver(limit: int = 500, district_id: int | None = None, note_id: int | None = None) -> dict[str, int]:
    """Offer queued messages to the transport plugins; ``kept`` when none takes them.

    A transport returns True (or its name) when it sent the message, None when it does not handle
    that channel, or raises on a failure: the message stays queued with the error and is retried,
    and after :data:`MAX_ATTEMPTS` attempts it is ``failed``. Each message is claimed before it is
    offered (its attempt count moves on only if no one else moved it), so two runs at once never
    send the same message twice. ``district_id`` limits the run to one district's messages,
    ``note_id`` to one message (a sign-in code, sent as soon as it is asked for). A message of
    :data:`SECRET_EVENTS` sent or failed keeps no code in its bodies.
    """
    counts = {"sent": 0, "kept": 0, "retry": 0, "failed": 0}
    query = Notification.filter(status="queued")
    if district_id is not None:
        query = query.filter(district_id=district_id)
    if note_id is not None:
        query = query.filter(id=note_id)
    for note in await query.order_by("id").limit(limit):
        claimed = await Notification.filter(id=note.id, status="queued", attempts=note.attempts).update(attempts=note.attempts + 1)
        if not claimed:  # another run took it
            continue
        note.attempts += 1
        transport, errors = await _offer(_message(note))
        if transport:
            note.status, note.sent_at, note.transport, note.error = "sent", clock.now(), transport[:60], ""
            counts["sent"] += 1
        elif errors:
            note.error = "; ".join(errors)[:300]
            note.status = "failed" if note.attempts >= MAX_ATTEMPTS else "queued"
            counts["failed" if note.status == "failed" else "retry"] += 1
        else:
            note.status, note.transport, note.error = "kept", "outbox", ""
            counts["kept"] += 1
        fields = ["status", "sent_at", "transport", "error"]
        if note.event in SECRET_EVENTS and note.status in ("sent", "failed"):
            note.body_en, note.body_hi = without_secret(note.body_en), without_secret(note.body_hi)
            fields += ["body_en", "body_hi"]
        await note.save(update_fields=fields)
    return counts

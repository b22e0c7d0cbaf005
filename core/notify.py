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
``core/counter.cancel(finishing=True)``, decision 73), and the codes and notices of a citizen's sign-in
and change of mobile. Every SMS is one of :data:`SMS_TEMPLATES` (:func:`queue_sms`), in at most
:data:`SMS_MAX_PARTS` parts in English and in Hindi, a code's in one (decision 163): a long reason is
cut or left to the tracking page the SMS names, then the service title is shortened; an email carries
them in full. Each value is within the ``{#var#}`` of 30 characters (or two) of the template as the
Society registers it on the operators' DLT platform, or the operator drops the message (decision 165:
:data:`DLT_VAR_MAX`, :func:`dlt_text`; ``emitra notify sms-templates`` prints them).

Privacy: a recipient or a body is never written to the log; pages and the command line show the
recipient masked (:func:`mask_recipient`).
"""

from __future__ import annotations

import inspect
import logging
import re
import string
from dataclasses import dataclass, field
from typing import Any

from emitra.core import clock
from emitra.core.models import Case, CaseEvent, Counter, Notification, Role, User
from emitra.core.plugins import department_hi
from emitra.core.text import days_en

log = logging.getLogger(__name__)

#: the parts an SMS to a citizen may take (decision 163): two, in English (306 characters of the GSM
#: alphabet) and in Hindi (134 in Unicode); the Society pays per part, and on a rural network the parts
#: of a longer message arrive split, late or out of order. Before, a Hindi SMS took up to four.
SMS_MAX_PARTS = 2
#: a message carrying a code (signing in, changing the mobile) goes in ONE part in both languages: a
#: part lost or late leaves the citizen at the page with no code
CODE_SMS_PARTS = 1
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


def sms_size(text: str) -> int:
    """What ``text`` counts as in an SMS: septets in the GSM alphabet (an extension character such as
    € or [ counts two), else UTF-16 units in Unicode (a character beyond the BMP counts two)."""
    if is_gsm(text):
        return len(text) + sum(c in GSM_EXTENDED for c in text)
    return len(text.encode("utf-16-le")) // 2


def _part_sizes(text: str) -> tuple[int, int]:
    """(one part, each part when joined): 160 and 153 in the GSM alphabet, 70 and 67 in Unicode (the
    rest of a joined part is the header that joins them)."""
    return (160, 153) if is_gsm(text) else (70, 67)


def sms_room(text: str, parts: int) -> int:
    """How much an SMS like ``text`` holds in ``parts`` parts (:func:`sms_size` units)."""
    single, part = _part_sizes(text)
    return single if parts <= 1 else part * parts


def sms_parts(text: str) -> int:
    """How many SMS parts ``text`` takes, exactly: in the GSM alphabet when it can, else in Unicode;
    160 or 70 in one part, else packed into parts of 153 or 67, where a phone never splits an
    extension character from its escape nor a character beyond the BMP from its other half (so
    152 + € + 152 GSM characters take three parts, not two)."""
    single, part = _part_sizes(text)
    if sms_size(text) <= single:
        return 1
    gsm = is_gsm(text)
    parts, used = 1, 0
    for c in text:
        size = (2 if c in GSM_EXTENDED else 1) if gsm else len(c.encode("utf-16-le")) // 2
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


def sms_text(text: str) -> str:
    """``text`` spelled in the GSM alphabet when only its punctuation kept it out (an English message:
    "Caste certificate – Revenue Department", "₹40", "…"); otherwise as it is (Hindi stays Hindi)."""
    spelled = " ".join(text.translate(GSM_SPELLING).split(" ")).replace("Rs  ", "Rs ")
    return spelled if is_gsm(spelled) else text


class SmsTooLong(ValueError):
    """A template that, filled, takes more parts than it may even with its shortenable fields shortened
    as far as they may be, or a value said whole longer than its DLT variables hold (:func:`render_sms`
    with ``strict``: the test of every template)."""


#: the most characters one variable (``{#var#}``) of a registered DLT content template may hold
#: (decision 165): the operators' scrubbing drops a message whose variable part is longer, as not
#: matching its template, and the citizen never gets it. Counted by :func:`dlt_size`.
DLT_VAR_MAX = 30
#: how a variable is written in a template registered on the DLT platform
DLT_VAR = "{#var#}"
#: the fields said in two consecutive variables (``{#var#}{#var#}``, 60 characters: how a longer value is
#: registered in practice): names, titles, labels and free text. Every other field takes one (30): the
#: number, the amount, the counter's code, the date, the code, the minutes, the masked mobile.
SMS_SPANS = {"title": 2, "department": 2, "state": 2, "where": 2, "address": 2, "note": 2, "reference": 2, "refund": 2}
#: the fields written into a template's fixed text, the same in every SMS of the site (not variables):
#: the tracking address (:func:`sms_url`), whitelisted on the DLT platform as the URL it is
SMS_FIXED = frozenset({"url"})


def dlt_size(text: str, lang: str = "") -> int:
    """What ``text`` counts as in a DLT variable: its characters as a program's string counts them
    (UTF-16 units: code points, one beyond the BMP two). In Hindi every letter, vowel sign (matra),
    virama, nukta and anusvara counts one: क्षेत्र is 7, not the 3 a reader sees, so a value within
    the limit by this count is within it however the platform counts. ``lang="en"``: as an English
    message sends it, spelled in the GSM alphabet (₹ as Rs, … as ...), never shorter than written."""
    return len((text.translate(GSM_SPELLING) if lang == "en" else text).encode("utf-16-le")) // 2


@dataclass(frozen=True)
class SmsTemplate:
    """One SMS a citizen can be sent, in English and Hindi: the texts to register on the operators'
    DLT platform, with the values as ``{fields}`` (decision 163), each one or two DLT variables of
    :data:`DLT_VAR_MAX` characters (``spans``, decision 165), the tracking address fixed text.

    ``optional``: fields said only when given, each as its English and Hindi words around the value
    (``{}``), the words inside the variable; ``shorten``: the fields cut, in this order (one may come
    twice: cut to a summary first, further at the end), when the message would take more than
    ``parts`` parts, each to no fewer than its characters (0: left out when fewer than
    :data:`SMS_DROP_UNDER` would remain). Every other field is said whole (the number, the amount,
    the code): one too long for its variables is left out if optional, never cut."""

    key: str
    event: str
    en: str
    hi: str
    parts: int = SMS_MAX_PARTS
    optional: dict[str, tuple[str, str]] = field(default_factory=dict)
    shorten: tuple[tuple[str, int], ...] = ()
    spans: dict[str, int] = field(default_factory=dict)

    def fields(self) -> set[str]:
        """The names of the values the template takes (both languages)."""
        return {name for text in (self.en, self.hi) for _, name, _, _ in string.Formatter().parse(text) if name}

    def variables(self) -> set[str]:
        """The fields that are DLT variables (not :data:`SMS_FIXED`)."""
        return self.fields() - SMS_FIXED

    def room(self, name: str, lang: str) -> int:
        """How many characters the value of ``name`` may take in ``lang``: its variables' less the
        words an optional field is said with."""
        words = self.optional.get(name, ("{}", "{}"))[1 if lang == "hi" else 0]
        return DLT_VAR_MAX * self.spans.get(name, 1) - dlt_size(words.replace("{}", ""), lang)

    def text(self, lang: str) -> str:
        return self.hi if lang == "hi" else self.en


#: every SMS the code can send (:func:`queue_sms` refuses any other; tests/test_sms_parts.py fills each
#: with the longest realistic values and checks its parts)
SMS_TEMPLATES: dict[str, SmsTemplate] = {}
#: a shortenable field left out altogether rather than cut to fewer characters than this (a reason cut
#: shorter says nothing; the tracking page has it whole)
SMS_DROP_UNDER = 40
_AFTER_ELLIPSIS = re.compile(r"(\.\.\.|…)[.।]")  # "cut..." then the sentence's full stop: one is enough


def sms_template(key: str, en: str, hi: str, *, parts: int = SMS_MAX_PARTS, optional: dict[str, tuple[str, str]] | None = None,
                 shorten: tuple[tuple[str, int], ...] = (), spans: dict[str, int] | None = None) -> SmsTemplate:
    """Register an SMS template (``key`` is its event, or ``event:variant``) and return it. ``spans``:
    the DLT variables a field takes, when not as :data:`SMS_SPANS` says (one or two)."""
    names = {name for text in (en, hi) for _, name, _, _ in string.Formatter().parse(text) if name}
    template = SmsTemplate(key, key.partition(":")[0], en, hi, parts, optional or {}, shorten,
                           {name: (spans or {}).get(name, SMS_SPANS.get(name, 1)) for name in sorted(names - SMS_FIXED)})
    problems = [f"{key}: the English text is sent as registered, so in the GSM alphabet: {en!r}"] if not is_gsm(en) else []
    for name, least in shorten:
        for lang in MESSAGE_LANGS:
            if not 1 <= template.spans.get(name, 0) <= 2 or least > template.room(name, lang):
                problems.append(f"{key}: {name} is cut to no fewer than {least} characters, more than its "
                                f"{template.spans.get(name, 0)} DLT variable(s) hold in {lang}")
    if problems:
        raise ValueError("; ".join(problems))
    if key in SMS_TEMPLATES and SMS_TEMPLATES[key] != template:
        raise ValueError(f"two SMS templates named {key!r}")
    SMS_TEMPLATES[key] = template
    return template


def dlt_text(key: str, lang: str, url: str | None = None) -> str:
    """The template ``key`` in ``lang`` as the Society registers it on the DLT platform: each field a
    ``{#var#}`` (two together for a field of two, :data:`SMS_SPANS`), the tracking address (``url``,
    by default :func:`sms_url`) written as it is sent."""
    template = SMS_TEMPLATES[key]
    values = {name: DLT_VAR * span for name, span in template.spans.items()}
    return template.text(lang).format(**values, url=url or sms_url())


def dlt_mismatch(key: str, lang: str, body: str, url: str | None = None) -> str:
    """Why ``body`` would not match the template ``key`` in ``lang`` as registered (:func:`dlt_text`),
    as the operators' scrubbing matches it: its fixed text changed, or a value longer than its
    variables hold (:func:`dlt_size`); "" when it matches."""
    template = SMS_TEMPLATES[key]
    pattern, names = [], []
    for literal, name, _, _ in string.Formatter().parse(template.text(lang)):
        pattern.append(re.escape(literal))
        if name in SMS_FIXED:
            pattern.append(re.escape(url or sms_url()))
        elif name:
            pattern.append(f"(.{{0,{DLT_VAR_MAX * template.spans[name]}}})")
            names.append(name)
    found = re.fullmatch("".join(pattern), body, re.DOTALL)
    if found is None:
        return f"{key} ({lang}) does not match its registered text {dlt_text(key, lang, url)!r}: {body!r}"
    for name, value in zip(names, found.groups()):
        if dlt_size(value) > DLT_VAR_MAX * template.spans[name]:
            return f"{key} ({lang}): {name} {value!r} is longer than its {template.spans[name]} DLT variable(s)"
    return ""


def _one_line(value: Any) -> str:
    return " ".join(str(value if value is not None else "").split())


def _within_variables(template: SmsTemplate, name: str, value: str, lang: str, strict: bool) -> str:
    """``value`` within the DLT variables of its field (decision 165): a shortenable field cut at a
    word's end, an optional one said whole or left out; another (a number, an amount, a reference,
    a code) never cut: :class:`SmsTooLong` with ``strict``, else cut and logged (none can be so
    long by design: tests/test_sms_dlt.py)."""
    room = template.room(name, lang)
    if dlt_size(value, lang) <= room:
        return value
    if name in template.optional and name not in dict(template.shorten):
        return ""
    if name not in dict(template.shorten):
        if strict:
            raise SmsTooLong(f"{template.key} ({lang}): {name} is {dlt_size(value, lang)} characters, more than its "
                             f"{template.spans[name]} DLT variable(s) of {DLT_VAR_MAX} hold: {value}")
        log.error("SMS %s (%s): %s is %s characters, more than its DLT variables hold: cut", template.key, lang, name,
                  dlt_size(value, lang))
    least = dict(template.shorten).get(name, 0)
    limit = room
    while True:
        cut = _cut(value, limit, "..." if lang == "en" else "…", least)
        over = dlt_size(cut, lang) - room
        if over <= 0:
            return cut
        limit -= over


def render_sms(key: str, lang: str, values: dict[str, Any], *, strict: bool = False) -> str:
    """The SMS ``key`` in ``lang`` with ``values``, each within its DLT variables (decision 165: a
    longer title, name or reason cut at a word's end, :func:`_within_variables`) and the message
    within its parts: English spelled in the GSM alphabet when only punctuation kept it out
    (:func:`sms_text`); when too long, its shortenable fields cut in order (ending ``...``, or ``…``
    in Unicode) or left out. A message that still takes more parts (values far beyond any realistic)
    is sent so, logged: one cut elsewhere would not match its registered template and would be
    dropped (``strict``: :class:`SmsTooLong` instead). The tracking address is :func:`sms_url`."""
    template = SMS_TEMPLATES[key]
    text = template.text(lang)
    fixed = {"url": sms_url()} if "url" in template.fields() else {}

    def within(vals: dict[str, str]) -> dict[str, str]:
        return {name: _within_variables(template, name, value, lang, strict) for name, value in vals.items()}

    given = within({name: _one_line(values.get(name, "")) for name in template.variables()})

    def build(vals: dict[str, str]) -> str:
        framed = {**vals, **fixed}
        for name, words in template.optional.items():  # the words are inside the variable, with its full stop
            said = (words[1] if lang == "hi" else words[0]).format(vals[name]) if vals.get(name) else ""
            framed[name] = _AFTER_ELLIPSIS.sub(r"\1", said)
        return sms_text(text.format(**framed))

    def over(body: str) -> int:  # how much to cut, at least one when an indivisible pair spills over
        extra = sms_size(body) - sms_room(body, template.parts)
        return max(extra, 1) if sms_parts(body) > template.parts else extra

    def fit(dropped: set[str]) -> tuple[str, dict[str, str]]:
        vals = {**given, **{name: "" for name in dropped}}
        body = build(vals)
        for name, keep in template.shorten:
            for _ in range(4):  # an ellipsis, a word's end or a spelled character may leave a few over: again
                extra, value = over(body), vals[name]
                if extra <= 0 or not value:
                    break
                room = len(value) - extra
                if keep == 0 and room < SMS_DROP_UNDER:
                    vals[name] = ""
                else:
                    vals[name] = _cut(value, max(room, min(keep, len(value))), "..." if is_gsm(body) else "…", keep)
                body = build(vals)
                if room < keep:
                    break
        vals = within(vals)  # a cut's ellipsis spelled in the GSM alphabet: still within its variables
        return build(vals), vals

    # a field left out leaves the room it would have taken: the fields before it are cut only as the rest needs
    dropped: set[str] = set()
    while True:
        body, vals = fit(dropped)
        newly = {name for name, keep in template.shorten if keep == 0 and given[name] and not vals[name]} - dropped
        if not newly:
            break
        dropped |= newly
    if over(body) > 0:
        if strict:
            raise SmsTooLong(f"{key} ({lang}) takes {sms_parts(body)} parts, more than {template.parts}: {body}")
        log.warning("SMS %s (%s) takes %s parts, more than %s: sent so (cut, it would not match its DLT template)",
                    key, lang, sms_parts(body), template.parts)
    if strict and (mismatch := dlt_mismatch(key, lang, body)):
        raise SmsTooLong(mismatch)
    return body


def _cut(text: str, room: int, ellipsis: str, least: int = 0) -> str:
    """``text`` in at most ``room`` characters, ending with ``ellipsis``: at the end of a word when one
    ends in the last third (a reference or a name is not left half-written), and no shorter than
    ``least`` for that."""
    if len(text) <= room:
        return text
    head = text[:max(room - len(ellipsis), 0)]
    space = head.rfind(" ")
    if space >= max(len(head) * 2 // 3, least - len(ellipsis)):
        head = head[:space]
    return head.rstrip(" ,;:–-.।(") + ellipsis


def sms_url() -> str:
    """Where a citizen tracks a case, as every SMS writes it: the site's address + ``/track``, with its
    ``https://`` (decision 165): the DLT platform whitelists a URL only as starting ``http://``,
    ``https://`` or ``www``, the scrubbing blocks a message with a link not whitelisted, and not every
    phone makes a bare domain a link."""
    return _track_url()


# --- the SMS templates (decisions 163 and 165) ---------------------------------------------------------
# Two parts at most (one for a code); what does not fit, a long reason above all, is on the tracking
# page the SMS names (/track: the number and the mobile show the case and its public remarks). Each
# field is one DLT variable of 30 characters, or two (SMS_SPANS); {url} is fixed text (SMS_FIXED).
_NOTE = (" {}.", " {}।")  # "Reason: ...", "कारण: ..." when the citizen may read one: cut first, or left out
_DUE = (" Expected by {}.", " अपेक्षित तिथि {}।")
_TITLE = (" ({})", " ({})")  # a step's message names the service after the number, left out as the last resort
#: a long note is within its two DLT variables first (58 characters and its full stop: decision 165, the
#: summary decision 163 cut it to), then the title is shortened, then the note cut further or left out,
#: then the title (the https:// of the tracking address took 8 of a Hindi message's 134)
_NOTE_CUTS = (("title", 12), ("note", 0), ("title", 0))

sms_template("submitted",
             "e-Mitra: your application for {title} is registered, number {number}.{due} Track it with this number and "
             "your mobile at any e-Mitra counter or at {url}",
             "ई-मित्र: {title} आवेदन दर्ज, संख्या {number}।{due} {url}",
             optional={"due": _DUE}, shorten=(("title", 12),))
sms_template("submitted:grievance",
             "e-Mitra: your grievance to {department} is registered, number {number}.{due} Track it with this number and "
             "your mobile at any e-Mitra counter or at {url}",
             "ई-मित्र: {department} को शिकायत दर्ज, संख्या {number}।{due} {url}",
             optional={"due": _DUE}, shorten=(("department", 12),))
sms_template("ready",
             "e-Mitra: your {title}, number {number}, is ready. Collect it at {where} ({code}) with your receipt.",
             "ई-मित्र: आपका {title}, संख्या {number}, तैयार है। रसीद लेकर {where} ({code}) से लें।",
             shorten=(("title", 12), ("where", 10)))
sms_template("ready:no_counter",
             "e-Mitra: your {title}, number {number}, is ready. Collect it with your receipt at the e-Mitra counter "
             "where you applied.",
             "ई-मित्र: आपका {title}, संख्या {number}, तैयार है। रसीद लेकर उसी ई-मित्र केंद्र से लें जहाँ आवेदन किया था।",
             shorten=(("title", 12),))
sms_template("state_changed",
             "e-Mitra: {number}{title} is now: {state}.{note} Details: {url}",
             "ई-मित्र: {number}{title}: {state}।{note} विवरण: {url}",
             optional={"title": _TITLE, "note": _NOTE}, shorten=_NOTE_CUTS)
sms_template("state_changed:returned",
             "e-Mitra: {number}{title} is now: {state}. Take your receipt to {where} ({code}) to correct it.{note} "
             "Details: {url}",
             "ई-मित्र: {number}{title}: {state}। रसीद लेकर {where} ({code}) जाएँ।{note} {url}",
             optional={"title": _TITLE, "note": _NOTE}, shorten=(("where", 8), ("title", 10), ("note", 0), ("title", 0)))
sms_template("state_changed:verification",
             "e-Mitra: {number}{title} is now: {state}. The department will call you to appear in person with your "
             "original papers.{note} Details: {url}",
             "ई-मित्र: {number}{title}: {state}। विभाग मूल दस्तावेज़ों सहित बुलाएगा।{note} {url}",
             optional={"title": _TITLE, "note": _NOTE}, shorten=_NOTE_CUTS)
sms_template("counter_changed",
             "e-Mitra: {number} ({title}) is now at {where} ({code}){address}, not {old}. Correct or collect it there "
             "with your receipt.",
             "ई-मित्र: {number} ({title}) अब {where} ({code}){address} पर है, {old} पर नहीं। रसीद लेकर वहीं जाएँ।",
             optional={"address": (", {}", ", {}")}, shorten=(("address", 0), ("title", 12), ("where", 10)))
sms_template("card_refunded",
             "e-Mitra: booking {number} ({title}) is cancelled and {amount} has been refunded to the card you paid "
             "with{refund}. Your bank may take 5 to 10 working days to show it.",
             "ई-मित्र: बुकिंग {number} रद्द; {amount} कार्ड पर लौटाए{refund}। बैंक में 5-10 दिन लगें।",
             optional={"refund": (" (refund {})", " (रिफंड {})")}, shorten=(("title", 0),))
sms_template("upi_refund_owed",
             "e-Mitra: your booking {number} is cancelled. The refund of {amount} will reach your UPI account from the "
             "District e-Mitra Society by bank transfer.",
             "ई-मित्र: बुकिंग {number} रद्द। {amount} का रिफंड ज़िला ई-मित्र सोसायटी बैंक से आपके यूपीआई खाते में भेजेगी।")
sms_template("upi_refund_sent",
             "e-Mitra: the District e-Mitra Society has sent {amount}, the refund of your cancelled booking {number}, to "
             "your UPI account (bank reference {reference}).",
             "ई-मित्र: रद्द बुकिंग {number} का रिफंड {amount} आपके यूपीआई खाते में भेजा गया (बैंक संदर्भ {reference})।")
sms_template("upi_refund_returned",
             "e-Mitra: your bank sent back the refund of {amount} for your cancelled booking {number} (account closed or "
             "wrong). Bring your correct bank account details to the e-Mitra counter or the District e-Mitra Society.",
             "ई-मित्र: बुकिंग {number} का रिफंड {amount} बैंक ने लौटाया (खाता बंद/गलत)। सही खाता विवरण ई-मित्र केंद्र पर दें।")
sms_template("citizen_code",
             "e-Mitra: your sign-in code is {code}, valid for {minutes} minutes. Do not share it with anyone, not even "
             "e-Mitra staff.",
             "ई-मित्र: साइन-इन कोड {code}, {minutes} मिनट मान्य। किसी को न बताएँ।", parts=CODE_SMS_PARTS)
sms_template("mobile_change_code",
             "e-Mitra: your code to make this your registered mobile is {code}, valid for {minutes} minutes. Do not share "
             "it. Not asked by you? Ignore this SMS.",
             "ई-मित्र: मोबाइल बदलने का कोड {code}, {minutes} मिनट मान्य। किसी को न बताएँ।", parts=CODE_SMS_PARTS)
sms_template("mobile_changed",
             "e-Mitra: the mobile registered for you was changed to {mobile}. Not you? Go to an e-Mitra counter with your "
             "ID at once.",
             "ई-मित्र: आपका पंजीकृत मोबाइल बदलकर {mobile} किया गया। आपने नहीं बदला? तुरंत पहचान पत्र लेकर ई-मित्र केंद्र जाएँ।")


def _fmt(at: Any) -> str:
    return at.strftime("%d-%m-%Y") if at else ""


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


def _lead(event: str, process: Any) -> tuple[str, str]:
    """What a step's remark is called in its message: a grievance's reply, a reason the step needs, or a note."""
    transition = process.transition(event)
    if event == "resolve":
        return "Reply", "उत्तर"
    if transition is not None and transition.reason_required:
        return "Reason", "कारण"
    return "Note", "टिप्पणी"


def _texts(case: Case, event: str, process: Any, remark: str, remark_hi: str,
           counter: Counter | None) -> tuple[str, str, str, str, str]:
    """(kind, English body, Hindi body, English subject, Hindi subject) of the email: every word, the
    whole reason (the SMS: :func:`_sms_texts`)."""
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
        lead_en, lead_hi = _lead(event, process)
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
    remark, remark_hi = " ".join((remark or "").split()), " ".join((remark_hi or remark or "").split())
    title_en, title_hi = _titles(case, event)
    body_en, body_hi = en(title_en, remark), hi(title_hi, remark_hi)
    return kind, body_en, body_hi, f"e-Mitra {subject_en}", f"ई-मित्र {subject_hi}"


def _titles(case: Case, event: str) -> tuple[str, str]:
    """What a message names the case by: its service's title; a grievance's acknowledgement, where it
    went (its service title only repeats "grievance"), in Hindi when the plugin declares it."""
    if case.kind == "grievance" and event == "opened" and case.department:
        return case.department, department_hi(case.department, case.service_code) or case.department
    return case.title_en, case.title_hi or case.title_en


def _sms_texts(case: Case, event: str, process: Any, remark: str, remark_hi: str,
               counter: Counter | None) -> tuple[str, str, str]:
    """(kind, English SMS, Hindi SMS) of a case opened or moved: a template of :data:`SMS_TEMPLATES`."""
    state = process.state(case.state)
    title_en, title_hi = _titles(case, event)
    en: dict[str, Any] = {"number": case.number, "title": title_en, "state": state.label_en}
    hi: dict[str, Any] = {**en, "title": title_hi, "state": state.label_hi}
    if counter is not None:
        en.update(where=counter.name, code=counter.code)
        hi.update(where=counter.name_hi or counter.name, code=counter.code)
    if event == "opened":
        due = _fmt(case.due_at) if case.due_at and state.desk != "none" else ""
        en.update(department=title_en, due=due)
        hi.update(department=title_hi, due=due)
        kind, key = "submitted", "submitted:grievance" if case.kind == "grievance" else "submitted"
    elif event == "issue" or case.state == "ready":
        kind, key = "ready", "ready" if counter is not None else "ready:no_counter"
    else:
        lead_en, lead_hi = _lead(event, process)
        said_en, said_hi = (" ".join(r.split()).rstrip(" .।") for r in (remark, remark_hi or remark))  # the template ends it
        en["note"], hi["note"] = (f"{lead_en}: {said_en}", f"{lead_hi}: {said_hi}") if said_en else ("", "")
        kind, key = "state_changed", "state_changed"
        if case.state == "returned" and counter is not None:  # to the counter, as tracking says
            key = "state_changed:returned"
        elif case.state == "verification":  # called to appear: what to bring (the date and place in the remark)
            key = "state_changed:verification"
    return kind, render_sms(key, "en", en), render_sms(key, "hi", hi)


async def case_event(case: Case, event: str, process: Any, remark: str = "", remark_hi: str = "") -> list[Notification]:
    """Queue the citizen's message for a case opened or moved (call inside the change's transaction).

    ``event`` is ``"opened"`` or the action taken (``forward``, ``approve``, ``issue``...). The SMS
    takes at most :data:`SMS_MAX_PARTS` parts (a long reason cut or left to the tracking page it
    names, decision 163); the email carries the whole reason. The remark is
    sent only when the citizen may read it (:func:`citizen_may_read`): a counter's or an internal
    remark is left out, as /track leaves it out. ``remark_hi``: the same remark in Hindi, for one the
    platform writes in both ("Received by the department, reference ..."): the Hindi bodies say it.
    """
    if not case.mobile and not case.email:
        return []
    remark = await _readable_remark(case, event, remark)
    remark_hi = remark_hi if remark else ""
    counter = await _counter_of(case)
    out = []
    kind, email_en, email_hi, subject_en, subject_hi = _texts(case, event, process, remark, remark_hi, counter)
    subject = subject_hi if case.lang == "hi" else subject_en
    if case.mobile:
        _, en, hi = _sms_texts(case, event, process, remark, remark_hi, counter)
        out.append(await _queue(case, kind, "sms", case.mobile, en, hi, subject))
    if case.email:
        out.append(await _queue(case, kind, "email", case.email, email_en, email_hi, subject))
    return out


async def counter_changed(case: Case, old: Counter, new: Counter) -> list[Notification]:
    """Tell the citizen their case is now at the counter ``new`` (``old`` is closing): that is where
    they correct it or collect what the department sends, with the receipt from ``old``. The SMS
    gives the address when it fits (it is left out first, then the service's title is shortened)."""
    if not case.mobile and not case.email:
        return []
    where, where_hi = f"{new.name} ({new.code})", f"{new.name_hi or new.name} ({new.code})"
    address = " ".join((new.address or "").split())
    title_hi = case.title_hi or case.title_en
    at = f", {address}" if address else ""
    subject_en, subject_hi = f"e-Mitra {case.number}: now at {new.code}", f"ई-मित्र {case.number}: अब {new.code} पर"
    subject = subject_hi if case.lang == "hi" else subject_en
    out = []
    if case.mobile:
        values = {"number": case.number, "title": case.title_en, "where": new.name, "code": new.code, "address": address,
                  "old": old.code}
        out.append(await _queue(case, "counter_changed", "sms", case.mobile, render_sms("counter_changed", "en", values),
                                render_sms("counter_changed", "hi", {**values, "title": title_hi, "where": new.name_hi or new.name}),
                                subject))
    if case.email:
        out.append(await _queue(
            case, "counter_changed", "email", case.email,
            f"e-Mitra: {case.number} ({case.title_en}) is now at {where}{at}, not {old.code}. "
            "Correct or collect it there with your receipt.",
            f"ई-मित्र: {case.number} ({title_hi}) अब {where_hi}{at} पर है, {old.code} पर नहीं। "
            "अपनी रसीद के साथ वहीं सुधार कराएँ या प्राप्त करें।", subject))
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
    return await Notification.create(
        district_id=case.district_id if case else district_id, case=case, event=event, channel=channel, recipient=recipient[:200],
        lang=lang or (case.lang if case else "hi"), subject=subject[:200], body_en=en, body_hi=hi, created_at=clock.now())


async def queue(event: str, channel: str, recipient: str, body_en: str, body_hi: str, *, subject: str = "",
                lang: str = "en", district_id: int | None = None, case: Case | None = None) -> Notification:
    """Queue any other message (a digest, a notice) by email. An SMS is written from a template:
    :func:`queue_sms`."""
    if channel == "sms":
        raise ValueError(f"{event}: an SMS is written from a template of notify.SMS_TEMPLATES: use notify.queue_sms (decision 163)")
    return await _queue(case, event, channel, recipient, body_en, body_hi, subject, lang=lang, district_id=district_id)


async def queue_sms(key: str, recipient: str, values_en: dict[str, Any], values_hi: dict[str, Any] | None = None, *,
                    subject: str = "", lang: str = "en", district_id: int | None = None, case: Case | None = None) -> Notification:
    """Queue the SMS template ``key`` (:data:`SMS_TEMPLATES`) filled with ``values_en`` in English and
    ``values_hi`` (the English values with these changed) in Hindi, within its parts."""
    en = render_sms(key, "en", values_en)
    hi = render_sms(key, "hi", {**values_en, **(values_hi or {})})
    return await _queue(case, SMS_TEMPLATES[key].event, "sms", recipient, en, hi, subject, lang=lang, district_id=district_id)


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

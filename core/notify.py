"""Notifications to citizens and officers, in English and Hindi, through an outbox.

Every message is first written to the :class:`~emitra.core.models.Notification` outbox, inside the
transaction of the change it reports (so a message is never sent for a change that rolled back,
and never lost for one that committed). :func:`deliver` then offers each queued message to the
transport plugins (hook ``emitra_send_notification``: SMS gateways, email); with none installed the
message is ``kept`` in the outbox, where the Society's admin reads it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from emitra.core import clock
from emitra.core.models import Case, Counter, Notification, User

log = logging.getLogger(__name__)


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


def _fmt(at: Any) -> str:
    return at.strftime("%d-%m-%Y") if at else ""


async def _where(case: Case) -> tuple[str, str]:
    counter = await Counter.get_or_none(id=case.counter_id) if case.counter_id else None
    if counter is None:
        return "", ""
    return f" at {counter.name} ({counter.code})", f" {counter.name} ({counter.code}) पर"


async def case_event(case: Case, event: str, process: Any, remark: str = "") -> list[Notification]:
    """Queue the citizen's message for a case opened or moved (call inside the change's transaction)."""
    if not case.mobile and not case.email:
        return []
    state = process.state(case.state)
    where_en, where_hi = await _where(case)
    title_en, title_hi = case.title_en, case.title_hi
    due = f" Expected by {_fmt(case.due_at)}." if case.due_at and state.desk != "none" else ""
    due_hi = f" अपेक्षित तिथि {_fmt(case.due_at)}।" if case.due_at and state.desk != "none" else ""
    reason_en = f" Reason: {remark}" if remark else ""
    reason_hi = f" कारण: {remark}" if remark else ""
    if event == "opened":
        en = f"e-Mitra: your {title_en} is registered, number {case.number}.{due} Track it at the counter or online with this number and your mobile."
        hi = f"ई-मित्र: आपका {title_hi} दर्ज हुआ, संख्या {case.number}।{due_hi} इस संख्या और अपने मोबाइल से काउंटर पर या ऑनलाइन स्थिति देखें।"
        kind = "submitted"
    elif case.state == "ready":
        en = f"e-Mitra: {title_en} {case.number} is ready. Collect it{where_en} with your receipt."
        hi = f"ई-मित्र: {title_hi} {case.number} तैयार है। अपनी रसीद के साथ{where_hi} से प्राप्त करें।"
        kind = "ready"
    else:
        en = f"e-Mitra: {title_en} {case.number} is now '{state.label_en}'.{reason_en}"
        hi = f"ई-मित्र: {title_hi} {case.number} की स्थिति अब '{state.label_hi}' है।{reason_hi}"
        kind = "state_changed"
    out = []
    if case.mobile:
        out.append(await _queue(case, kind, "sms", case.mobile, en, hi, f"{case.number}: {state.label_en}"))
    if case.email:
        out.append(await _queue(case, kind, "email", case.email, en, hi, f"{case.number}: {state.label_en}"))
    return out


async def escalation(case: Case, process: Any) -> list[Notification]:
    """Tell the officers at the case's new level (or the Society, when there is none) that it is overdue."""
    state = process.state(case.state)
    en = (f"e-Mitra SLA: case {case.number} ({case.title_en}) has been '{state.label_en}' past its time limit "
          f"and is escalated to you (level {case.level}). Please act on it.")
    hi = (f"ई-मित्र SLA: मामला {case.number} ({case.title_hi}) समय सीमा से अधिक '{state.label_hi}' है "
          f"और आपको (स्तर {case.level}) भेजा गया है। कृपया कार्यवाही करें।")
    officers = []
    if case.desk == "department":
        officers = await User.filter(role="department_officer", department=case.department, district_id=case.district_id,
                                     level=case.level, active=True)
        if not officers:  # no one that high: the highest there is
            candidates = await User.filter(role="department_officer", department=case.department,
                                           district_id=case.district_id, active=True).order_by("-level")
            officers = [u for u in candidates if candidates and u.level == candidates[0].level]
    if not officers:
        officers = await User.filter(role="society_admin", district_id=case.district_id, active=True)
    out = []
    for officer in officers:
        recipient = officer.email or f"user:{officer.username}"
        out.append(await _queue(case, "escalated", "email", recipient, en, hi, f"Escalated: {case.number}", lang=officer.lang or "en"))
    return out


async def _queue(case: Case | None, event: str, channel: str, recipient: str, en: str, hi: str, subject: str = "",
                 lang: str | None = None, district_id: int | None = None) -> Notification:
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


async def deliver(limit: int = 500) -> dict[str, int]:
    """Offer queued messages to the transport plugins; ``kept`` when none takes them.

    A transport returns True when it sent the message, None when it does not handle that channel,
    or raises on a failure (the message stays queued and is retried, up to 5 attempts).
    """
    from emitra.core.plugins import get_host

    hook = get_host().pm.hook.emitra_send_notification
    counts = {"sent": 0, "kept": 0, "failed": 0, "retry": 0}
    for note in await Notification.filter(status="queued").order_by("id").limit(limit):
        message = Message(note.id, note.channel, note.recipient, note.lang, note.subject,
                          note.body_hi if note.lang == "hi" else note.body_en, note.body_en, note.body_hi, note.event)
        note.attempts += 1
        try:
            results = hook(message=message)
        except Exception as exc:  # the transport's failure: logged without the message or the number
            log.warning("notification %s: transport failed: %s", note.id, type(exc).__name__)
            note.error = f"{type(exc).__name__}: {str(exc)[:200]}"
            note.status = "failed" if note.attempts >= 5 else "queued"
            counts["failed" if note.status == "failed" else "retry"] += 1
        else:
            sent = [r for r in results if r]
            if sent:
                note.status, note.sent_at, note.transport = "sent", clock.now(), str(sent[0] if isinstance(sent[0], str) else "plugin")[:60]
                counts["sent"] += 1
            else:
                note.status, note.transport = "kept", "outbox"
                counts["kept"] += 1
        await note.save(update_fields=["status", "sent_at", "transport", "attempts", "error"])
    return counts

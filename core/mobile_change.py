"""A citizen's registered mobile changed: by the citizen on their own page (``/my/mobile``), or by a
counter's operator for a citizen at the counter (``/counter/citizens/<e-Mitra ID>/mobile``); decision 154.

The new number is proved before it is taken: a 6-digit code goes to it by SMS (the outbox, event
``mobile_change_code``, a secret message as the sign-in code's), and the change happens only when
that code is typed. The codes are the sign-in's (core/citizen_login.py: a keyed hash in
``citizen_code``, good for the same minutes and once), kept under a key of the citizen's own
(:func:`change_key`), which no mobile's sign-in ever reads; asking one is counted against the new
mobile (the same hourly count as its sign-in codes: no one sends a stranger more SMS this way),
the citizen and the client's address; wrong codes lock as the sign-in's do.

Whether the new number is registered for someone else is told only once the code has proved the
phone is in the hand of whoever asks (its holder can learn as much at ``/my/login``): asked with a
stranger's registered number, the page answers as for any other (decision 137's rule). The change
itself, its audit record (``citizen.mobile_changed``, both numbers masked), the end of the
citizen's other sessions (``auth.sessions_ended``, reason ``mobile_changed``) and the notice to the
old number (event ``mobile_changed``) are one transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from emitra.core import audit, auth, config, notify
from emitra.core.citizen_login import (CODE_DIGITS, Checked, Sent, _end_codes, _send_keys, check_code, count_sent,
                                       deliver_now, hash_code, masked, message_lang, mobile_key, utcnow)
from emitra.core.models import Citizen, CitizenCode, Role, User, WebSession

CODE_EVENT, NOTICE_EVENT = "mobile_change_code", "mobile_changed"
#: how the audit log names who made the change: the citizen on their page, or a counter's operator
BY_CITIZEN, BY_COUNTER = "citizen", "counter"


def change_key(citizen_id: int) -> str:
    """The key a change of ``citizen_id``'s mobile keeps its code and its wrong-code counts under:
    a keyed hash no 10-digit mobile has, so the sign-in page never reads these codes."""
    return mobile_key(f"mobile-change:{citizen_id}")


def code_texts(code: str, minutes: int) -> tuple[str, str]:
    """The SMS to the new number, in English and Hindi, one part each (notify.SMS_TEMPLATES, decision 163)."""
    values = {"code": code, "minutes": minutes}
    return notify.render_sms(CODE_EVENT, "en", values), notify.render_sms(CODE_EVENT, "hi", values)


def notice_texts(new_mobile: str) -> tuple[str, str]:
    """The SMS to the old number once the change is made: the new one masked, and what to do if unasked."""
    values = {"mobile": masked(new_mobile)}
    return notify.render_sms(NOTICE_EVENT, "en", values), notify.render_sms(NOTICE_EVENT, "hi", values)


class Refused(ValueError):
    """What the new number cannot be: ``reason`` is ``same`` (it is the citizen's already) or
    ``taken`` (registered for someone else; whose is never said)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def ask(actor: audit.Actor, citizen: Citizen, new_mobile: str, address: str, by: str = BY_CITIZEN) -> Sent:
    """Send a code to ``new_mobile`` (10 digits, checked by the caller) to change ``citizen``'s
    mobile to it, or refuse: :class:`Refused` (``same``), or a :class:`Sent` naming the hourly limit
    met (the new mobile's, shared with its sign-in codes; the citizen's; the address's). A new code
    ends the citizen's older ones. Audited ``citizen.mobile_change_asked`` (the new number masked)."""
    if new_mobile == citizen.mobile:
        raise Refused("same")
    limits = config.citizen_code_limits()
    keys = {**_send_keys(mobile_key(new_mobile), address),
            "citizen": (f"mobile-change-sent:{citizen.id}", limits["per_mobile"])}
    sent = await count_sent(keys)
    if sent.refused:
        return sent
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    key, now = change_key(citizen.id), utcnow()
    async with in_transaction():
        await _end_codes(key, now)
        note = await notify.queue_sms(CODE_EVENT, new_mobile, {"code": code, "minutes": limits["minutes"]},
                                      lang=await message_lang(citizen), district_id=citizen.district_id)
        row = await CitizenCode.create(mobile_key=key, mobile=new_mobile, code_hash=hash_code(new_mobile, code), created_at=now,
                                       expires_at=now + dt.timedelta(minutes=limits["minutes"]), notification=note,
                                       ip=(address or "")[:45])
        await audit.record(actor, "citizen.mobile_change_asked", citizen, district_id=citizen.district_id,
                           detail={"citizen": citizen.emitra_id or citizen.id, "new_mobile": masked(new_mobile), "by": by,
                                   "code": row.id})
    await deliver_now(note.id)
    return sent


@dataclass
class Changed:
    """What typing a change's code gave: the lock's end (nothing checked), nothing (a wrong, used or
    expired code), or the change made: the number before, the number now, the sessions ended."""

    locked_until: dt.datetime | None = None
    old_mobile: str = ""
    new_mobile: str = ""
    sessions_ended: int = 0

    @property
    def done(self) -> bool:
        return bool(self.new_mobile)


async def confirm(actor: audit.Actor, citizen: Citizen, code: str, address: str, shown_mobile: str,
                  keep_session: str = "", by: str = BY_CITIZEN) -> Changed:
    """Check ``code`` (throttled as a sign-in code: core/citizen_login.check_code) and, when right,
    make the change in one transaction: the mobile, its audit record, the end of the citizen's
    sessions but ``keep_session`` (the session id of the citizen's own browser, which proved the new
    number), the notice to the old number. :class:`Refused` (``taken``) when the new number is
    registered for someone else by then: nothing changed, the refusal audited."""
    checked: Checked = await check_code(actor, change_key(citizen.id), shown_mobile, code, address, district_id=citizen.district_id)
    if checked.locked_until is not None:
        return Changed(locked_until=checked.locked_until)
    if checked.code is None:
        return Changed()
    new_mobile = checked.code.mobile
    note_id = None
    try:
        async with in_transaction():
            fresh = await Citizen.select_for_update().get(id=citizen.id)
            old_mobile = fresh.mobile
            if old_mobile == new_mobile:
                raise Refused("same")
            if await Citizen.filter(mobile=new_mobile).exclude(id=citizen.id).exists():
                raise Refused("taken")
            await Citizen.filter(id=citizen.id).update(mobile=new_mobile)
            # every login of the citizen (the one made at their first code; one linked by hand)
            logins = await User.filter(citizen_id=citizen.id, role=Role.CITIZEN).order_by("id")
            ended_of = {login.id: await _end_others(login, keep_session) for login in logins}
            ended = sum(ended_of.values())
            await audit.record(actor, "citizen.mobile_changed", fresh, district_id=fresh.district_id,
                               detail={"citizen": fresh.emitra_id or fresh.id, "old_mobile": masked(old_mobile),
                                       "new_mobile": masked(new_mobile), "by": by, "sessions_ended": ended})
            for login in logins:
                await auth.record_ended(actor, login, auth.MOBILE_CHANGED, ended_of[login.id])
            if old_mobile:
                note = await notify.queue_sms(NOTICE_EVENT, old_mobile, {"mobile": masked(new_mobile)},
                                              lang=await message_lang(fresh), district_id=fresh.district_id)
                note_id = note.id
    except Refused as exc:
        await audit.record(actor, "citizen.mobile_change_refused", citizen, district_id=citizen.district_id,
                           detail={"citizen": citizen.emitra_id or citizen.id, "new_mobile": masked(new_mobile),
                                   "reason": exc.reason, "by": by})
        raise
    citizen.mobile = new_mobile
    if note_id is not None:
        await deliver_now(note_id)
    return Changed(old_mobile=old_mobile, new_mobile=new_mobile, sessions_ended=ended)


async def _end_others(login: User, keep_session: str) -> int:
    """End the open sessions of ``login`` but the one of ``keep_session`` (a session id): how many."""
    others = WebSession.filter(user_id=login.id, ended_at__isnull=True)
    if keep_session:
        others = others.exclude(id=auth.session_digest(keep_session))
    return await others.update(ended_at=utcnow())


async def pending_mobile(citizen: Citizen) -> str:
    """The new number of the citizen's change waiting for its code (masked), or "" when none is."""
    row = await CitizenCode.filter(mobile_key=change_key(citizen.id), used_at=None, expires_at__gt=utcnow()).order_by("-id").first()
    return masked(row.mobile) if row is not None else ""


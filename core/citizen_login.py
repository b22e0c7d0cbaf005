"""A citizen signs in with a one-time code sent by SMS to the mobile registered for them at a counter.

No password: the citizen types their mobile; when a :class:`~emitra.core.models.Citizen` has it, a
6-digit code goes out through the outbox (core/notify.py, event ``citizen_code``), good for
``EMITRA_CITIZEN_CODE_MINUTES`` and once. Only a keyed hash of the code is stored
(:class:`~emitra.core.models.CitizenCode`). The code signs the browser in as the citizen, through a
``User`` of role citizen linked to that Citizen (made at the first sign-in); when several Citizens
share the mobile (a family's phone), the citizen picks whose applications to open (decision 129).

Throttles, in the table of the log-in's (core/auth.py): codes sent per mobile and per client
address in an hour; wrong codes per mobile (then a lock, as long as the log-in's) and per client
address (the log-in's own address counter: one address guessing passwords and codes is one
guesser). A mobile is never written whole to the audit log or the throttle table: masked
(98XXXXXX45) or as a keyed hash.

A mobile no one is registered with gets the same answer, the same counting, and the same kind of
database work in its place (a code row that opens nothing, an audit record ``auth.code_unregistered``),
so neither the page nor the time it takes says whether a mobile is registered (decision 137).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from emitra.core import audit, auth, config, notify
from emitra.core.counter import last_message_lang
from emitra.core.models import Citizen, CitizenCode, LoginThrottle, Role, ServiceRequest, User

CODE_DIGITS = 6
EVENT = "citizen_code"
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(hours=24)
#: the session's note of the mobile a code signed it in with (its keyed hash): :func:`session_mobile_changed`
SESSION_MOBILE = "code_mobile"


def mobile_key(mobile: str) -> str:
    """A keyed hash of a mobile number: how the sign-in's session, its code rows and its throttle
    counters name the mobile (the secret key unknown, it cannot be turned back into the number)."""
    key = hmac.new(config.secret_key().encode(), b"emitra-citizen-code-mobile-v1", hashlib.sha256).digest()
    return hmac.new(key, mobile.encode(), hashlib.sha256).hexdigest()[:40]


def masked(mobile: str) -> str:
    """98XXXXXX45: how the pages and the audit log write the mobile."""
    return notify.mask_recipient(mobile)


def _digest(salt: str, mobile: str, code: str) -> str:
    key = hmac.new(config.secret_key().encode(), b"emitra-citizen-code-v1", hashlib.sha256).digest()
    return hmac.new(key, f"{salt}:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def hash_code(mobile: str, code: str) -> str:
    """``salt$digest``: an HMAC keyed by the secret key, so a copy of the table does not give the
    code away by trying the million there are."""
    salt = secrets.token_hex(8)
    return f"{salt}${_digest(salt, mobile, code)}"


def code_matches(stored: str, mobile: str, code: str) -> bool:
    salt, _, digest = stored.partition("$")
    return bool(salt and digest) and hmac.compare_digest(digest, _digest(salt, mobile, code))


def sms_texts(code: str, minutes: int) -> tuple[str, str]:
    """The SMS, in English and Hindi: the template ``citizen_code`` of notify.SMS_TEMPLATES, with the
    code and the minutes as the variables (docs/notifications.md), one part in each (decision 163)."""
    values = {"code": code, "minutes": minutes}
    return notify.render_sms(EVENT, "en", values), notify.render_sms(EVENT, "hi", values)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _send_keys(key: str, address: str) -> dict[str, tuple[str, int]]:
    limits = config.citizen_code_limits()
    return {"mobile": (f"citizen-code-sent:{key}", limits["per_mobile"]),
            "address": (f"citizen-code-sent-ip:{(address or 'unknown')[:45]}", limits["per_address"])}


def _check_keys(key: str, address: str) -> dict[str, tuple[str, int]]:
    """The wrong-code counters: the mobile's own, and the address's shared with the log-in page."""
    return {"mobile": (f"citizen-code:{key}", config.citizen_code_limits()["max_failures"]),
            "address": (f"ip:{(address or 'unknown')[:45]}", config.login_limits()["per_address"])}


@dataclass
class Sent:
    """What asking for a code met: nothing (the code is made after the page has answered,
    :func:`send_after_answer`), or the limit that refused (``"mobile"`` or ``"address"``) and the end
    of the hour it counts (the page says when to try again)."""

    refused_until: dt.datetime | None = None
    refused: str = ""  # "mobile" or "address"


async def count_request(mobile: str, address: str) -> Sent:
    """Count asking for a code for ``mobile`` (10 digits), or refuse it: counted alike for a known and
    an unknown mobile, so the limits say nothing of whether it is registered. Nothing else is done
    here, so the page's answer takes as long for both (decision 143): :func:`send_after_answer`."""
    return await count_sent(_send_keys(mobile_key(mobile), address))


async def count_sent(keys: dict[str, tuple[str, int]]) -> Sent:
    """Count one code asked for against each of ``keys`` (name: (throttle key, limit an hour)), or
    refuse it, unrecorded, naming the first limit met: :func:`count_request`; a change of mobile's
    code (core/mobile_change.py) adds the citizen's own."""
    for name in sorted(keys):
        counter_key, limit = keys[name]
        if await auth.events_in_window(counter_key, HOUR) >= limit:
            return Sent(refused_until=await _window_end(counter_key), refused=name)
    for counter_key, _limit in keys.values():
        await auth.count_event(counter_key, HOUR)
    return Sent()


async def send_after_answer(actor: audit.Actor, mobile: str, address: str, page_lang: str) -> None:
    """After the page has answered a request :func:`count_request` let through: the code made and
    sent at once (:func:`send_code`, :func:`deliver_now`). Making it reads and writes more for a
    registered mobile than for an unknown one; done before the answer, the answer's time told which
    (on SQLite some 50 ms against 20). A failure is logged without the mobile."""
    try:
        note_id = await send_code(actor, mobile, address, page_lang)
    except Exception as exc:  # the page has answered; the citizen asks again
        logging.getLogger(__name__).warning("sign-in code not made: %s", type(exc).__name__)
        return
    if note_id is not None:
        await deliver_now(note_id)


async def send_code(actor: audit.Actor, mobile: str, address: str, page_lang: str) -> int | None:
    """Make a code for ``mobile`` when a citizen is registered with it, and queue its SMS (its older
    codes end), in the language the citizen last chose at a counter, else the page's: the message's
    id, or None for an unknown mobile."""
    key = mobile_key(mobile)
    citizens = await Citizen.filter(mobile=mobile).order_by("id")
    lang = await _message_lang(citizens, page_lang)
    now = utcnow()
    if not citizens:
        await _unregistered(actor, key, mobile, now, address)
        return None
    minutes = config.citizen_code_limits()["minutes"]
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    async with in_transaction():
        await _end_codes(key, now)
        note = await notify.queue_sms(EVENT, mobile, {"code": code, "minutes": minutes}, lang=lang,
                                      district_id=citizens[0].district_id)
        row = await CitizenCode.create(mobile_key=key, mobile=mobile, code_hash=hash_code(mobile, code), created_at=now,
                                       expires_at=now + dt.timedelta(minutes=minutes), notification=note, ip=(address or "")[:45])
        await audit.record(actor, "auth.code_sent", row, district_id=citizens[0].district_id,
                           detail={"mobile": masked(mobile), "registered": len(citizens), "lang": lang})
    return note.id


async def _end_codes(key: str, now: dt.datetime) -> None:
    """End the mobile's codes not yet used (a newer one replaces them), their messages losing the code."""
    older = await CitizenCode.filter(mobile_key=key, used_at=None).values_list("notification_id", flat=True)
    await CitizenCode.filter(mobile_key=key, used_at=None).update(used_at=now)
    for note_id in older:
        await notify.forget_secret(note_id)


async def _unregistered(actor: audit.Actor, key: str, mobile: str, now: dt.datetime, address: str) -> None:
    """What asking for a code for a mobile nobody is registered with writes, in place of the code, its
    message and its audit record: the same kind of work, so that neither the time the page takes to
    answer (decision 137; since decision 143 the code is made after the answer) nor the load the
    work puts on the server tells whether the mobile is registered, and the Society's audit log
    shows who asks codes for numbers nobody holds. A code row that opens nothing (no
    hash, no number, no message: :func:`code_matches` refuses it) and the audit record
    ``auth.code_unregistered``, both in one transaction, after the same look-ups as a known mobile's.
    No message is queued: the outbox would show the Society a message to no one, or send one to a
    stranger."""
    async with in_transaction():
        await _end_codes(key, now)
        row = await CitizenCode.create(mobile_key=key, mobile="", code_hash="", created_at=now,
                                       expires_at=now + dt.timedelta(minutes=config.citizen_code_limits()["minutes"]),
                                       ip=(address or "")[:45])
        await audit.record(actor, "auth.code_unregistered", row, detail={"mobile": masked(mobile)})


async def _window_end(counter_key: str, window: dt.timedelta = HOUR) -> dt.datetime | None:
    row = await LoginThrottle.get_or_none(key=counter_key[:120])
    return row.window_start + window if row is not None else None


async def _message_lang(citizens: list[Citizen], page_lang: str) -> str:
    """The language the citizen last chose for messages at a counter (decision 99); of several on
    the mobile, the latest choice of any; else the language of the page they asked on."""
    latest = await ServiceRequest.filter(citizen_id__in=[c.id for c in citizens]).exclude(message_lang="") \
        .order_by("-id").limit(1).values_list("citizen_id", flat=True)
    lang = await last_message_lang(latest[0]) if latest else ""
    return lang if lang in notify.MESSAGE_LANGS else (page_lang if page_lang in notify.MESSAGE_LANGS else "hi")


async def deliver_now(note_id: int) -> None:
    """Offer a sign-in code's message to the transports at once (after the page has answered): a
    code cannot wait for the next delivery run from cron. A failure leaves it queued for cron."""
    try:
        await notify.deliver(limit=1, note_id=note_id)
    except Exception as exc:  # the page has answered; cron retries the message
        logging.getLogger(__name__).warning("sign-in code message %s: not delivered now: %s", note_id, type(exc).__name__)


@dataclass
class Checked:
    """What checking a typed code gave: the code's row and the Citizens on its mobile, or a lock's end
    (``day`` when it is the mobile's day lock, which a counter can lift: :func:`lift_day_lock`)."""

    code: CitizenCode | None = None
    citizens: list[Citizen] = field(default_factory=list)
    locked_until: dt.datetime | None = None
    day: bool = False


def _day_key(key: str) -> str:
    """The throttle counter of the codes typed for the mobile named by ``key`` in a day (decision 143)."""
    return f"citizen-code-day:{key}"


async def check_code(actor: audit.Actor, key: str, shown_mobile: str, code: str, address: str,
                     district_id: int | None = None) -> Checked:
    """Check ``code`` for the mobile named by ``key`` (:func:`mobile_key`), throttled as a log-in is:
    counted first, refused unchecked while the mobile or the address is locked; a right code is used
    up (by one request alone, however many come at once). A lock ends the mobile's codes, so a new
    one must be asked for, and is in the audit log (``auth.code_locked``); so is each wrong code
    (``auth.code_failed``), with the mobile masked, in ``district_id`` (else the district of whoever
    the mobile is registered for)."""
    # the codes typed for the mobile in a day without a right one (decision 143): the 15-minute lock
    # forgets its failures once a quiet window has passed, so alone it let a patient guesser type 5
    # codes every half hour, some 240 a day, for as long as they liked
    day_key, per_day = _day_key(key), config.citizen_code_limits()["per_day"]
    if await auth.events_in_window(day_key, DAY) >= per_day:
        return Checked(locked_until=await _window_end(day_key, DAY), day=True)
    keys = _check_keys(key, address)
    held, locked_now = await auth.count_attempt(keys)
    if held is not None:
        return Checked(locked_until=held)
    typed_today = await auth.count_event(day_key, DAY)
    if typed_today > per_day:  # requests at the same moment: counted, and refused unchecked
        return Checked(locked_until=await _window_end(day_key, DAY), day=True)
    now = utcnow()
    row = await CitizenCode.filter(mobile_key=key, used_at=None, expires_at__gt=now).order_by("-id").first()
    right = row is not None and code_matches(row.code_hash, row.mobile, code)
    async with in_transaction():
        if right and await CitizenCode.filter(id=row.id, used_at=None).update(used_at=now):
            await auth.forgive_attempt(keys, locked_now)
            await LoginThrottle.filter(key=day_key).delete()
            await notify.forget_secret(row.notification_id)
            citizens = await Citizen.filter(mobile=row.mobile).order_by("id")
            return Checked(code=row, citizens=list(citizens))
        # in the district of whoever the mobile is registered for, where its Society reads the log
        district_id = district_id if district_id is not None else await _district_of(key)
        await audit.record(actor, "auth.code_failed", district_id=district_id, detail={"mobile": shown_mobile})
        if typed_today >= per_day:  # the day's last: the mobile's codes end, and the lock is audited
            await LoginThrottle.filter(key=day_key).update(locked_until=await _window_end(day_key, DAY))
            keys, locked_now = {**keys, "day": (day_key, per_day)}, [*locked_now, "day"]
        if locked_now:
            if "mobile" in locked_now or "day" in locked_now:
                await _end_codes(key, now)
            await auth.record_locks(actor, "auth.code_locked", keys, locked_now, district_id, mobile=shown_mobile)
    return Checked()


#: the audit action of a day lock lifted at a counter (decision 160)
LIFTED = "auth.code_lock_lifted"
#: the wrong codes a lifted day lock allows before it holds again, until the day's window ends
#: (decision 171): the holder's few tries, not another day's ten for whoever typed the ten before
LIFT_ALLOWANCE = 3


async def day_lock(mobile: str) -> dt.datetime | None:
    """When the day lock on ``mobile``'s sign-in codes ends (decision 143: ten codes typed for it in
    24 hours without a right one), or None when its codes are checked. What a counter sees: that
    a lock holds, and until when; never a code."""
    day_key = _day_key(mobile_key(mobile))
    if await auth.events_in_window(day_key, DAY) < config.citizen_code_limits()["per_day"]:
        return None
    return await _window_end(day_key, DAY)


async def lift_day_lock(actor: audit.Actor, citizen: Citizen) -> dt.datetime | None:
    """Lift the day lock on the mobile of ``citizen``, who is at a counter and has shown who they are
    (decision 160): its codes are checked again (a new one must be asked for: the lock ended the
    old ones), its 15-minute counter is deleted, and its day's count is set LIFT_ALLOWANCE short
    of the limit, in the same 24-hour window (decision 171): that many wrong codes lock it again
    until the window's end, and a right one clears the count, as always. ``auth.code_lock_lifted``
    is recorded, the mobile masked, in one transaction. The client addresses' counters are left:
    the guesser's address keeps its count. The end the lock had, or None when none held (nothing
    done)."""
    key, per_day = mobile_key(citizen.mobile), config.citizen_code_limits()["per_day"]
    day_key = _day_key(key)
    async with in_transaction():
        row = await LoginThrottle.select_for_update().get_or_none(key=day_key)
        if row is None or row.failures < per_day or row.window_start + DAY <= utcnow():
            return None
        until = row.window_start + DAY
        allowed = min(LIFT_ALLOWANCE, per_day)
        await LoginThrottle.filter(key=day_key).update(failures=per_day - allowed, locked_until=None)
        await LoginThrottle.filter(key=_check_keys(key, "")["mobile"][0]).delete()
        await audit.record(actor, LIFTED, citizen, district_id=citizen.district_id, detail={
            "mobile": masked(citizen.mobile), "failures": row.failures,
            "locked_until": until.astimezone(dt.timezone.utc).isoformat(timespec="seconds"), "identity_seen": True,
            "codes_until_locked_again": allowed})
    return until


async def _district_of(key: str) -> int | None:
    """The district of a citizen registered with the mobile of ``key`` (a code was sent to it), else None."""
    mobiles = await CitizenCode.filter(mobile_key=key).exclude(mobile="").order_by("-id").limit(1).values_list("mobile", flat=True)
    citizen = await Citizen.filter(mobile=mobiles[0]).order_by("id").first() if mobiles else None
    return citizen.district_id if citizen is not None else None


def try_again(until: dt.datetime | None) -> tuple[str, int, int]:
    """(the local time of day ``until`` is, in how many minutes, the seconds for Retry-After)."""
    attempt = auth.LoginAttempt(locked_until=until or utcnow())
    at, minutes = attempt.when()
    return at, minutes, attempt.retry_after_seconds


async def user_for(actor: audit.Actor, citizen: Citizen, lang: str) -> User | None:
    """The login of ``citizen``: their ``User`` of role citizen, made now if they have none (a
    username no one can type at the log-in page, and no password). None when the Society has
    deactivated it: then the code does not sign them in either."""
    user = await login_of(citizen)
    if user is None:
        return await new_login(actor, citizen, lang)
    if not user.active:
        return None
    if user.full_name != citizen.name[:200]:  # the counter corrected the name since
        user.full_name = citizen.name[:200]
        await user.save(update_fields=["full_name"])
    return user


async def message_lang(citizen: Citizen) -> str:
    """The language ``citizen`` last chose for messages at a counter, else Hindi."""
    return await _message_lang([citizen], "hi")


async def login_of(citizen: Citizen) -> User | None:
    """The login of ``citizen`` (their ``User`` of role citizen), or None before their first sign-in."""
    return await User.filter(citizen_id=citizen.id, role=Role.CITIZEN).order_by("id").first()


async def new_login(actor: audit.Actor, citizen: Citizen, lang: str) -> User:
    """Make ``citizen``'s login (username ``citizen:<id>``, no usable password, messages in ``lang``),
    audited ``user.citizen_login_created``: at their first sign-in, or when the Society stops a
    sign-in never used."""
    user = await User.create(username=f"citizen:{citizen.id}", password_hash="!code-only:" + secrets.token_hex(16),
                             full_name=citizen.name[:200], role=Role.CITIZEN, district_id=citizen.district_id,
                             citizen=citizen, lang=lang if lang in notify.MESSAGE_LANGS else "hi")
    await audit.record(actor, "user.citizen_login_created", user, district_id=citizen.district_id,
                       detail={"citizen": citizen.emitra_id or citizen.id})
    return user


async def session_mobile_changed(user: User, signed_in_with: str) -> bool:
    """Whether the counter changed the mobile of the citizen ``user`` is the login of since the
    session signed in with a code sent to the mobile ``signed_in_with`` (:func:`mobile_key`): the
    session then ends, since the code proved a phone that is no longer theirs."""
    if user.role != Role.CITIZEN or user.citizen_id is None or not signed_in_with:
        return False
    mobiles = await Citizen.filter(id=user.citizen_id).values_list("mobile", flat=True)
    return not mobiles or not hmac.compare_digest(mobile_key(mobiles[0]), signed_in_with)


# --- the Society's page: find a citizen, stop or restart their sign-in (decision 137) ----------------

#: the audit actions of a citizen's sign-in stopped and restarted: the command line's (decision 133)
STOPPED, RESTARTED = "user.deactivated", "user.reactivated"


@dataclass
class SignIn:
    """A citizen as the Society's page lists them: their login (None before their first sign-in),
    the last time their sign-in was stopped or restarted (its audit record), if ever, and the end of
    a day lock on their mobile's codes."""

    citizen: Citizen
    login: User | None = None
    last_change: object | None = None  # AuditLog
    code_lock: dt.datetime | None = None  # the end of the day lock on their mobile's codes (decision 160)

    @property
    def state(self) -> str:
        """never (no login yet), active or stopped."""
        return "never" if self.login is None else ("active" if self.login.active else "stopped")


class NotACitizen(ValueError):
    """What the Society typed names no citizen: neither an e-Mitra ID nor a 10-digit mobile."""


async def find_for_society(district_id: int, typed: str) -> list[SignIn]:
    """The citizens of the district that ``typed`` names: an e-Mitra ID (as typed, dashes and case as
    one likes), ``citizen:<id>`` (their login's username, as the audit log names it) or a registered
    mobile (all the citizens sharing it). Another district's citizens are never listed."""
    from emitra.core.ids import IdError, parse_emitra_id
    from emitra.core.models import AuditLog
    from emitra.core.text import typed_mobile

    typed = (typed or "").strip()
    mobile = typed_mobile(typed)
    if mobile.isdigit() and len(mobile) == 10:
        citizens = await Citizen.filter(mobile=mobile, district_id=district_id).order_by("id")
    elif typed.startswith("citizen:") and typed[8:].isdigit() and len(typed) < 20:
        citizens = await Citizen.filter(id=int(typed[8:]), district_id=district_id)
    else:
        try:
            emitra_id = parse_emitra_id(typed)
        except IdError:
            raise NotACitizen(typed) from None
        citizens = await Citizen.filter(emitra_id=emitra_id, district_id=district_id)
    found = [SignIn(c) for c in citizens]
    logins = {u.citizen_id: u for u in await User.filter(citizen_id__in=[c.id for c in citizens], role=Role.CITIZEN).order_by("-id")}
    locks = {mobile: await day_lock(mobile) for mobile in {c.mobile for c in citizens}}
    for row in found:
        row.code_lock = locks[row.citizen.mobile]
        row.login = logins.get(row.citizen.id)
        if row.login is not None:
            row.last_change = await AuditLog.filter(object_type="User", object_id=str(row.login.id),
                                                    action__in=[STOPPED, RESTARTED]).order_by("-id").first()
    return found

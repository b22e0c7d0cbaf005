"""Passwords (argon2id through argon2-cffi), log-in throttling, server-side sessions, and who may see what."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from emitra.core import audit, config
from emitra.core.models import Counter, LoginThrottle, Role, User, WebSession
from emitra.core.text import storable


def _hasher() -> PasswordHasher:
    # EMITRA_FAST_PASSWORD_HASH=1 is for the test suite only: it lowers argon2's cost so that
    # seeding a district per test stays fast. Never set it in production.
    if os.environ.get("EMITRA_FAST_PASSWORD_HASH") == "1":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


_DUMMY_HASH: str | None = None


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("A password needs at least 8 characters.")
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError, UnicodeEncodeError):  # a lone surrogate is no text a password has
        return False


USERNAME_MAX = 60  # app_user.username


async def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None. Takes as long either way."""
    global _DUMMY_HASH
    username = (username or "").strip().lower()
    possible = 0 < len(username) <= USERNAME_MAX and "\x00" not in username and "\ufffd" not in username
    user = await User.get_or_none(username=username, active=True) if possible else None  # no such name can exist
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _hasher().hash("not-a-real-password")
        verify_password(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
        await user.save(update_fields=["password_hash"])
    return user


def password_version(user: User) -> str:
    """A short fingerprint of the password hash: a session or API token carries it, so a password change ends them."""
    return user.password_hash[-16:]


async def set_password(actor: audit.Actor, user: User, password: str) -> None:
    """Change a user's password and end every browser session they have open (API tokens die with
    the old password version)."""
    async with in_transaction():
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash"])
        ended = await end_sessions(user)
        await audit.record(actor, "user.password_changed", user, detail={"sessions_ended": ended})


async def deactivate(actor: audit.Actor, user: User, reason: str = "") -> None:
    """Stop a user from logging in, and end every session they have open (``reason``, when given,
    kept in the audit record)."""
    async with in_transaction():
        user.active = False
        await user.save(update_fields=["active"])
        ended = await end_sessions(user)
        await audit.record(actor, "user.deactivated", user,
                           detail={"sessions_ended": ended, **({"reason": reason} if reason else {})})


# --- log-in throttling ------------------------------------------------------------------------------
# Failed log-ins are counted in the database (table login_throttle), so every worker process and
# every server of a district share the count. Three counters per attempt: the username from this
# address (strict), the username from anywhere (looser: a guesser spread over many addresses), and
# the address (loosest: one address trying many usernames). docs/security.md explains the choice.


def _utcnow() -> dt.datetime:
    """The real time (never the demonstration clock of core/clock.py: locks and sessions run on wall time)."""
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class LoginAttempt:
    """The outcome of :func:`attempt_login`: the user, or why not, and until when a lock holds."""

    user: User | None = None
    locked_until: dt.datetime | None = None  # set when refused without checking the password
    locked_now: list[str] | None = None  # the counters this failure locked

    @property
    def retry_after_seconds(self) -> int:
        if self.locked_until is None:
            return 0
        return max(1, int((self.locked_until - _utcnow()).total_seconds() + 0.999))

    def when(self) -> tuple[str, int]:
        """The lock's end as the local time of day (``14:05``), and in how many whole minutes."""
        local = self.locked_until.astimezone(ZoneInfo(config.timezone())) if self.locked_until else None
        return (local.strftime("%H:%M") if local else ""), max(1, (self.retry_after_seconds + 59) // 60)

    def message(self) -> tuple[str, str]:
        """When to try again, in English and in Hindi (for the 429 page and the API error)."""
        at, minutes = self.when()
        return (
            f"Too many failed log-ins for this account or from this connection. Try again after {at} "
            f"(in {minutes} minutes). The password was not checked.",
            f"इस खाते या इस कनेक्शन से बहुत अधिक असफल लॉग-इन हुए हैं। {at} के बाद (लगभग {minutes} मिनट में) फिर "
            "से प्रयास करें। पासवर्ड की जाँच नहीं की गई।",
        )


async def _who(username: str) -> str:
    """How a log-in's username is written in the throttle table and the audit log: as typed when it
    names a user, else ``unknown:`` and a keyed digest of it. People type their password into the
    username box; an unknown username is never stored, yet repeated tries of the same one are still
    counted together (the same digest)."""
    if len(username) <= 60 and await User.exists(username=username):  # no username is longer
        return username
    key = hmac.new(config.secret_key().encode(), b"emitra-login-name-v1", hashlib.sha256).digest()
    return "unknown:" + hmac.new(key, username.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]


def _throttle_keys(username: str, address: str) -> dict[str, tuple[str, int]]:
    limits = config.login_limits()
    address = (address or "unknown")[:45]
    return {
        "user_address": (f"user:{username[:60]}@{address}", limits["per_user_address"]),
        "user": (f"user:{username[:60]}", limits["per_user"]),
        "address": (f"ip:{address}", limits["per_address"]),
    }


async def _locked_row(key: str, now: dt.datetime) -> LoginThrottle:
    """The throttle row for ``key``, locked for this transaction (created when missing)."""
    row = await LoginThrottle.select_for_update().get_or_none(key=key)
    if row is not None:
        return row
    try:
        async with in_transaction():  # a savepoint: another worker may create it at the same moment
            await LoginThrottle.create(key=key, failures=0, window_start=now)
    except IntegrityError:
        pass
    return await LoginThrottle.select_for_update().get(key=key)


async def serialise(key: str) -> None:
    """Make the callers of ``key`` take turns until the caller's transaction ends: its throttle row
    locked and written (a write, so that SQLite takes its write lock here too, not at a later
    insert). For a check-then-write no unique key can guard (core/grievances: the same grievance
    sent twice at once is filed once)."""
    now = _utcnow()
    row = await _locked_row(key[:120], now)
    row.window_start = now
    await row.save(update_fields=["window_start"])


async def count_attempt(keys: dict[str, tuple[str, int]]) -> tuple[dt.datetime | None, list[str]]:
    """Count one attempt against each throttle counter of ``keys`` (name: (key, limit)), before
    whatever it tries is checked: (the end of a lock already held, nothing counted), or (None, the
    names of the counters this attempt locked). The log-in's rule (:func:`attempt_login`), shared
    by a citizen's sign-in code (core/citizen_login.py)."""
    limits = config.login_limits()
    window = dt.timedelta(minutes=limits["window_minutes"])
    now = _utcnow()
    locked_now: list[str] = []
    async with in_transaction():
        rows = {name: await _locked_row(key, now) for name, (key, _limit) in keys.items()}
        held = [row.locked_until for row in rows.values() if row.locked_until is not None and row.locked_until > now]
        if held:
            return max(held), []
        for name, row in rows.items():
            limit = keys[name][1]
            recently_locked = row.locked_until is not None and row.locked_until + window > now
            if row.window_start + window < now and not recently_locked:
                row.failures, row.window_start = 0, now  # a quiet window: start counting again
            row.failures += 1
            if row.failures >= limit:
                doublings = min(row.failures - limit, 20)
                minutes = min(limits["lock_minutes"] * 2 ** doublings, limits["max_lock_minutes"])
                row.locked_until = now + dt.timedelta(minutes=minutes)
                locked_now.append(name)
            await row.save(update_fields=["failures", "window_start", "locked_until"])
    return None, locked_now


async def forgive_attempt(keys: dict[str, tuple[str, int]], locked_now: list[str]) -> None:
    """After a success counted by :func:`count_attempt`: every counter but the address's starts again;
    the address keeps its count minus this attempt (and a lock this attempt set on it is lifted).
    Call it inside the success's transaction."""
    await LoginThrottle.filter(key__in=[key for name, (key, _limit) in keys.items() if name != "address"]).delete()
    row = await LoginThrottle.select_for_update().get_or_none(key=keys["address"][0])
    if row is not None:
        row.failures = max(0, row.failures - 1)
        if "address" in locked_now:
            row.locked_until = None
        await row.save(update_fields=["failures", "locked_until"])


async def record_locks(actor: audit.Actor, action: str, keys: dict[str, tuple[str, int]], locked_now: list[str],
                       district_id: int | None = None, **detail: object) -> None:
    """One audit record (``action``) per counter this failure locked: its key, failures, limit and end."""
    for name in locked_now:
        key, limit = keys[name]
        row = await LoginThrottle.get(key=key)
        await audit.record(actor, action, district_id=district_id, detail={
            "key": key, "failures": row.failures, "limit": limit,
            "locked_until": row.locked_until.astimezone(dt.timezone.utc).isoformat(timespec="seconds"), **detail})


async def attempt_login(username: str, password: str, address: str, actor: audit.Actor) -> LoginAttempt:
    """Check a log-in against the throttle, then the password.

    A locked username or address is refused without checking the password, so a lock cannot be
    used to test guesses. Otherwise the attempt is counted as a failure *before* the password is
    checked (so parallel guesses in several workers cannot slip past the limit), and a success
    clears the username's counters. After ``limit`` failures within the window, the counter locks
    for ``lock_minutes``; each further failure after a lock doubles it, up to ``max_lock_minutes``.
    Every lock is written to the audit log (``auth.locked``).
    """
    username = storable((username or "").strip().lower())  # no NUL or lone surrogate reaches a query (_who looks it up)
    who = await _who(username)
    keys = _throttle_keys(who, address)
    held, locked_now = await count_attempt(keys)
    if held is not None:
        return LoginAttempt(locked_until=held)
    user = await authenticate(username, password)
    async with in_transaction():
        if user is not None:  # the username's counters start again; the address keeps its count minus this attempt
            await forgive_attempt(keys, locked_now)
            return LoginAttempt(user=user)
        await audit.record(actor, "auth.login_failed", detail={"username": who})
        await record_locks(actor, "auth.locked", keys, locked_now)
    return LoginAttempt(locked_now=locked_now)


# --- other counters shared by every worker ----------------------------------------------------------


async def events_in_window(key: str, window: dt.timedelta) -> int:
    """How many events :func:`count_event` counted for ``key`` in its current window (0 once it is over).

    The public pages' throttles (failed tracking look-ups, online grievances per client address)
    keep their counts in the throttle table beside the log-in's, so every worker process and every
    server sees the same count. A window starts at the first event after the last one ended."""
    row = await LoginThrottle.get_or_none(key=key[:120])
    if row is None or row.window_start + window <= _utcnow():
        return 0
    return row.failures


async def count_event(key: str, window: dt.timedelta) -> int:
    """Count one event for ``key`` (a new window if the last one is over); the count in the window."""
    now = _utcnow()
    async with in_transaction():
        row = await _locked_row(key[:120], now)
        if row.window_start + window <= now:
            row.failures, row.window_start = 0, now
        row.failures += 1
        await row.save(update_fields=["failures", "window_start"])
    return row.failures


async def refuse_once(key: str, window: dt.timedelta) -> dt.datetime | None:
    """Mark the current window of ``key`` (counted by :func:`count_event`) as having refused: the
    window's end the first time in the window, None after (or when nothing is counted). The mark is
    the row's ``locked_until``, set under the row's lock, so of several workers refusing at the
    same moment one alone gets the end (and writes the audit record)."""
    async with in_transaction():
        row = await LoginThrottle.select_for_update().get_or_none(key=key[:120])
        if row is None:
            return None
        end = row.window_start + window
        if end <= _utcnow() or (row.locked_until is not None and row.locked_until >= end):
            return None
        row.locked_until = end
        await row.save(update_fields=["locked_until"])
    return end


# --- server-side sessions ---------------------------------------------------------------------------


def session_digest(session_id: str) -> str:
    """What the database keeps of a session id: its SHA-256, so a copy of the table opens no session."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


async def start_session(user: User, ip: str = "", user_agent: str = "") -> str:
    """A new random session id for ``user`` (kept only as its hash); the caller puts it in the signed cookie."""
    session_id = secrets.token_urlsafe(32)
    await WebSession.create(id=session_digest(session_id), user=user, ip=(ip or "")[:45], user_agent=(user_agent or "")[:200])
    return session_id


#: last_seen_at is written at most this often, so a busy counter does not write on every page
SEEN_EVERY = dt.timedelta(minutes=1)


async def session_user(session_id: str, uid: int, pwv: str) -> User | None:
    """The user of a live session: its row exists, has not ended, belongs to ``uid``, is within the
    idle timeout and the absolute lifetime, and the user is active with the same password version."""
    if not session_id or not uid:
        return None
    row = await WebSession.filter(id=session_digest(session_id), user_id=uid, ended_at__isnull=True).select_related("user").first()
    if row is None:
        return None
    now = _utcnow()
    user = row.user
    if (row.last_seen_at + dt.timedelta(minutes=config.session_idle_minutes()) < now
            or row.created_at + dt.timedelta(hours=config.session_max_hours()) < now):
        row.ended_at = now
        await row.save(update_fields=["ended_at"])
        return None
    if not user.active or pwv != password_version(user):
        return None
    if row.last_seen_at + SEEN_EVERY < now:
        await WebSession.filter(id=row.id).update(last_seen_at=now)
    return user


async def end_session(session_id: str) -> int:
    """Log-out: the session ends on the server, so a copy of the cookie stops working too; 1 if it
    was open, else 0."""
    if not session_id:
        return 0
    return await WebSession.filter(id=session_digest(session_id), ended_at__isnull=True).update(ended_at=_utcnow())


async def end_sessions(user: User) -> int:
    """End every open session of ``user`` (password change, deactivation); how many were open."""
    return await WebSession.filter(user_id=user.id, ended_at__isnull=True).update(ended_at=_utcnow())


#: why sessions ended that their user did not log out of, and no admin ended by name (an audited
#: ``auth.sessions_ended``, decision 145): the operator's counter was closed; the citizen's mobile,
#: to which the code that signed the session in was sent, was changed
COUNTER_CLOSED, MOBILE_CHANGED = "counter_closed", "mobile_changed"


async def end_for_change(actor: audit.Actor, user: User, reason: str, session_id: str = "", counter: Counter | None = None) -> int:
    """End the sessions of ``user`` a change made elsewhere has made invalid, and record how many
    in the audit log (``auth.sessions_ended``: the user, ``reason``, the count; never a session id
    or a mobile). :data:`COUNTER_CLOSED`: every open session of the operator (none is valid while
    their counter is closed). :data:`MOBILE_CHANGED`: the one ``session_id`` signed in by a code sent
    to the old mobile (a session signed in with a password, or by a code to the new mobile, stays).
    Nothing is recorded when none was open (two requests of one browser at the same moment: one
    record). How many ended, 0 or more."""
    async with in_transaction():
        ended = await (end_sessions(user) if reason == COUNTER_CLOSED else end_session(session_id))
        await record_ended(actor, user, reason, ended, counter)
    return ended


async def record_ended(actor: audit.Actor, user: User, reason: str, ended: int, counter: Counter | None = None) -> None:
    """Record, in the caller's transaction, that ``ended`` sessions of ``user`` ended for ``reason``
    (:func:`end_for_change`; a counter's closing, core/onboarding.close_counter): nothing when none."""
    if ended:
        await audit.record(actor, "auth.sessions_ended", user, district_id=user.district_id,
                           counter_id=counter.id if counter is not None else user.counter_id,
                           detail={"username": user.username, "reason": reason, "sessions_ended": ended,
                                   **({"counter": counter.code} if counter is not None else {})})


async def closed_counter(user: User) -> Counter | None:
    """An operator's counter when the Society has closed it (``emitra counter close``): they may not
    log in or use an API token until it reopens or they are moved to an open counter."""
    if user.role != Role.OPERATOR or not user.counter_id:
        return None
    from emitra.core.cache import get

    counter = await get("counter", user.counter_id, lambda: Counter.get_or_none(id=user.counter_id))
    return counter if counter is not None and not counter.active else None


def closed_message(counter: Counter) -> tuple[str, str]:
    """Why an operator of a closed counter cannot log in, in English and Hindi."""
    return (f"Your counter {counter.code} is closed by the Society. Ask your LSP or the Society to move you to an open counter.",
            f"आपका काउंटर {counter.code} सोसायटी द्वारा बंद किया गया है। अपने एलएसपी या सोसायटी से आपको किसी खुले काउंटर पर "
            "स्थानांतरित करने को कहें।")


def can_see_counter(user: User, counter: Counter) -> bool:
    """An operator sees their own counter; an LSP admin their LSP's; a Society admin their district's."""
    if user.role == Role.STATE_ADMIN:
        return True
    if user.role == Role.SOCIETY_ADMIN:
        return counter.district_id == user.district_id
    if user.role == Role.LSP_ADMIN:
        return counter.lsp_id == user.lsp_id
    if user.role == Role.OPERATOR:
        return counter.id == user.counter_id
    return False

"""The limit on an operator's look-ups of citizens his counter has not served (decision 87).

A counter may open any citizen of its district (a citizen walks into any counter), and e-Mitra IDs
run in sequence, so a rogue operator, or someone with his session or API token, could list the
district's citizens one ID after another. Each operator (user) may therefore make at most
``EMITRA_CITIZEN_LOOKUPS`` look-ups of citizens his counter has not served within
``EMITRA_CITIZEN_LOOKUP_WINDOW_MINUTES`` (core/config.py), then is refused until the window ends:

* a look-up is the opening of a citizen's record (the counter's citizen page, the service form and
  payment for that citizen, the API's citizen and transaction), counted once per citizen in a
  window (the form's steps and the payment of one walk-in are one look-up), and each search that
  lists such a citizen (a search by e-Mitra ID that opens the page is the page's look-up);
* a citizen the counter has served (a request of theirs at this counter) or registered is never
  counted nor refused: the counter's daily work is not slowed;
* the first refusal of a window is written to the audit log (``citizen.lookups_refused``), where
  the Society's watch list shows it, and the Society's today page counts the week's; later ones
  in the same window are not;
* besides the window's limit, at most ``EMITRA_CITIZEN_LOOKUPS_PER_DAY`` (240) look-ups in 24 hours
  (decision 96): without it, a harvest kept just under the window's limit (59 an hour, all day and
  night) listed some 1,400 citizens a day unrefused and unseen. The day's count counts what the
  window's counts (a citizen opened again in a later window counts again there).

The counts live in the throttle table (core/auth.py ``count_event``), shared by every worker: one
row per operator, and one per citizen counted in his current window (removed when his next window
begins).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from emitra.core import audit, auth, config
from emitra.core.models import Citizen, Counter, LoginThrottle, ServiceRequest

#: what the audit log calls a refusal
REFUSED = "citizen.lookups_refused"


@dataclass
class LookupsSpent(Exception):
    """The operator has made his window's look-ups of citizens the counter has not served."""

    limit: int
    window_minutes: int
    until: dt.datetime

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.until - auth._utcnow()).total_seconds() + 0.999))

    @property
    def message_en(self) -> str:
        return (f"Refused: you have looked up {self.limit} citizens this counter has not served before in the last "
                f"{span_en(self.window_minutes)}, the most allowed. The Society has been told. Go on serving the citizens "
                f"this counter already serves; to look up anyone else, wait until {self._at()} or ask the Society.")

    @property
    def message_hi(self) -> str:
        return (f"अस्वीकृत: आपने पिछले {span_hi(self.window_minutes)} में ऐसे {self.limit} नागरिकों को खोजा या खोला है जिन्हें "
                f"इस काउंटर ने पहले सेवा नहीं दी, जो अधिकतम सीमा है। सोसायटी को सूचित कर दिया गया है। जिन नागरिकों को यह "
                f"काउंटर पहले से सेवा देता है, उनकी सेवा जारी रखें; किसी और को खोजने के लिए {self._at()} तक प्रतीक्षा करें "
                "या सोसायटी से पूछें।")

    def _at(self) -> str:
        return self.until.astimezone(ZoneInfo(config.timezone())).strftime("%H:%M")

    def __str__(self) -> str:
        return self.message_en


def span_en(minutes: int) -> str:
    """A window's length as the messages say it: "60 minutes", "24 hours"."""
    return f"{minutes // 60} hours" if minutes >= 120 and minutes % 60 == 0 else f"{minutes} minutes"


def span_hi(minutes: int) -> str:
    return f"{minutes // 60} घंटे" if minutes >= 120 and minutes % 60 == 0 else f"{minutes} मिनट"


def _window() -> tuple[int, dt.timedelta]:
    limits = config.citizen_lookup_limits()
    return limits["lookups"], dt.timedelta(minutes=limits["window_minutes"])


DAY = dt.timedelta(hours=24)


def _limits(user_id: int) -> list[tuple[str, int, dt.timedelta]]:
    """Each count kept of one operator's look-ups, as (throttle key, limit, window): the window's
    (EMITRA_CITIZEN_LOOKUPS in EMITRA_CITIZEN_LOOKUP_WINDOW_MINUTES), and the day's
    (EMITRA_CITIZEN_LOOKUPS_PER_DAY in 24 hours: a harvest kept just under the first, all day long)."""
    limits = config.citizen_lookup_limits()
    return [(lookups_key(user_id), limits["lookups"], dt.timedelta(minutes=limits["window_minutes"])),
            (day_key(user_id), limits["per_day"], DAY)]


def lookups_key(user_id: int) -> str:
    """The throttle key counting one operator's look-ups."""
    return f"citizen-lookups:{user_id}"


def day_key(user_id: int) -> str:
    """The throttle key counting one operator's look-ups in 24 hours (decision 96)."""
    return f"citizen-lookups-day:{user_id}"


def _seen_key(user_id: int, citizen_id: int) -> str:
    return f"citizen-seen:{user_id}:{citizen_id}"


async def _served(counter: Counter, citizens: list[Citizen]) -> set[int]:
    """Which of ``citizens`` the counter serves: registered there, or a request of theirs there."""
    out = {c.id for c in citizens if c.registered_at_id == counter.id}
    rest = [c.id for c in citizens if c.id not in out]
    if rest:
        out |= set(await ServiceRequest.filter(counter_id=counter.id, citizen_id__in=rest)
                   .distinct().values_list("citizen_id", flat=True))
    return out


async def _count_or_refuse(actor: audit.Actor, counter: Counter, what: dict[str, object]) -> None:
    """Count one look-up for the operator, or refuse it (each window's first refusal audited): the
    short window's limit and the day's are each checked, and the look-up counted in both."""
    counts = _limits(actor.user.id)
    for key, limit, window in counts:
        if await auth.events_in_window(key, window) >= limit:
            row = await LoginThrottle.get(key=key)
            until = row.window_start + window
            async with in_transaction():
                if await auth.refuse_once(key, window) is not None:
                    await audit.record(actor, REFUSED, counter, district_id=counter.district_id, counter_id=counter.id, detail={
                        "limit": limit, "window_minutes": int(window.total_seconds() // 60),
                        "until": until.astimezone(dt.timezone.utc).isoformat(timespec="seconds"), **what})
            raise LookupsSpent(limit, int(window.total_seconds() // 60), until)
    (key, _limit, window), (day, _per_day, _day) = counts
    if await auth.count_event(key, window) == 1:  # a new window: the last one's marks of citizens counted go
        await LoginThrottle.filter(key__startswith=f"citizen-seen:{actor.user.id}:", window_start__lte=auth._utcnow() - window).delete()
    await auth.count_event(day, DAY)


async def open_citizen(actor: audit.Actor, counter: Counter, citizen: Citizen) -> None:
    """Let the operator open ``citizen``'s record, or raise :class:`LookupsSpent`. Counted once per
    citizen in a window, and only for a citizen the counter does not serve."""
    if await _served(counter, [citizen]):
        return
    _limit, window = _window()
    seen = _seen_key(actor.user.id, citizen.id)
    if await auth.events_in_window(seen, window) > 0:  # already counted in this window (the form's next step)
        return
    await _count_or_refuse(actor, counter, {"opened": citizen.emitra_id})
    await auth.count_event(seen, window)


async def search(actor: audit.Actor, counter: Counter, results: list[Citizen]) -> None:
    """Let the operator see a search's ``results``, or raise :class:`LookupsSpent`. Counted once
    when it lists a citizen the counter does not serve (nothing found, or only its own: not counted)."""
    if not results or len(await _served(counter, results)) == len(results):
        return
    await _count_or_refuse(actor, counter, {"searched": len(results)})

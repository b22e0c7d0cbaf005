"""The Society's watch lists: counters and cases that need a look, each with the reason and the figures.

Five lists, each a query over what is already recorded (the MIS daily table, day ends, cases, the
complaint books), never over the requests themselves:

* :func:`dormant` — active counters that hardly transact (or never did);
* :func:`overcharging` — counters citizens complained about for overcharging, and counters whose
  recorded service charges exceed the published rate;
* :func:`shortages` — counters whose day ends keep coming out short;
* :func:`complaints` — counters with many complaints of any kind;
* :func:`lookups` — counters whose operators were refused look-ups of citizens the counter has not
  served (core/citizen_lookups.py, decision 87): a read of the audit log;
* :func:`near_breach` — open cases about to miss (or past) their deadline.

A period of ``days`` days ends on ``today`` and includes it. Every threshold is a module constant,
and every function takes it as an argument, so the page can let the Society try other values.
Each item says, in English and Hindi, why it is listed (``reason_en``, ``reason_hi``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import F, Q
from tortoise.functions import Max, Sum

from emitra.core import config, fees
from emitra.core.grievances import COUNTER_COMPLAINT, complaint_label
from emitra.core.models import AuditLog, BookEntry, Case, Counter, DailyFigure, DayEnd
from emitra.core.money import format_paise
from emitra.core.text import count_en, days_en, noun_hi

DORMANT_DAYS = 30
DORMANT_MIN_TRANSACTIONS = 20
OVERCHARGING_DAYS = 90
SHORTAGE_DAYS = 30
SHORTAGE_MIN = 3
COMPLAINT_DAYS = 30
COMPLAINT_MIN = 3
NEAR_BREACH_HOURS = 48
LOOKUP_DAYS = 30

#: words in a complaint book entry that mean overcharging (matched ignoring case)
OVERCHARGING_WORDS = ("overcharg", "अधिक राशि", "ज़्यादा पैसे", "ज्यादा पैसे")
#: how :func:`emitra.core.grievances.file_online` begins the body of an overcharging complaint, in
#: English and in Hindi (a citizen whose messages are in Hindi: decision 131)
OVERCHARGING_HEADERS = (f"Complaint: {complaint_label('overcharging')}.", f"शिकायत: {complaint_label('overcharging', 'hi')}।")


@dataclass
class Item:
    """One counter on a watch list: why (both languages), the figures, and the cases behind it."""

    counter: Counter
    reason_en: str
    reason_hi: str
    figures: dict[str, Any] = field(default_factory=dict)
    cases: list[tuple[int, str]] = field(default_factory=list)  # (id, number)


@dataclass
class CaseItem:
    """An open case near (or past) its deadline."""

    case: Case
    deadline: str  # "state" (the current step's) or "overall"
    due_at: dt.datetime
    hours_left: float  # negative once past


@dataclass
class Deadlines:
    soon: list[CaseItem]
    breached: list[CaseItem]


# --- periods ------------------------------------------------------------------------------------

def first_day(today: dt.date, days: int) -> dt.date:
    """The first day of the ``days`` days that end on ``today``."""
    if days < 1:
        raise ValueError("days must be at least 1")
    return today - dt.timedelta(days=days - 1)


def bounds(today: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    """[first day 00:00, the day after ``today`` 00:00) in the counters' time zone."""
    zone = ZoneInfo(config.timezone())
    start = dt.datetime.combine(first_day(today, days), dt.time(0), tzinfo=zone)
    return start, dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def _dmy(day: dt.date | None) -> str:
    return day.strftime("%d-%m-%Y") if day else ""


def _days_hi(days: int) -> str:
    """"1 दिन", "3 दिनों": a count of days as Hindi writes it before a postposition ("पिछले 3 दिनों में")."""
    return f"{days} {noun_hi(days, 'दिन', 'दिनों')}"


async def _counters(district_id: int, ids: Any = None) -> dict[int, Counter]:
    query = Counter.filter(district_id=district_id)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    return {c.id: c for c in await query}


def _sorted(items: list[Item], key: str) -> list[Item]:
    return sorted(items, key=lambda i: (-i.figures.get(key, 0), i.counter.code))


# --- dormant counters ---------------------------------------------------------------------------

async def dormant(district_id: int, today: dt.date, days: int = DORMANT_DAYS,
                  min_transactions: int = DORMANT_MIN_TRANSACTIONS) -> list[Item]:
    """Active counters with fewer than ``min_transactions`` transactions in the last ``days`` days
    (a counter that never transacted is dormant too), fewest first."""
    since = first_day(today, days)
    counts = dict(await DailyFigure.filter(district_id=district_id, business_date__gte=since, business_date__lte=today)
                  .group_by("counter_id").annotate(total=Sum("transactions")).values_list("counter_id", "total"))
    listed = [c for c in await Counter.filter(district_id=district_id, active=True).order_by("code")
              if int(counts.get(c.id) or 0) < min_transactions]
    last = dict(await DailyFigure.filter(district_id=district_id, counter_id__in=[c.id for c in listed] or [0], transactions__gt=0,
                                         business_date__lte=today)
                .group_by("counter_id").annotate(last=Max("business_date")).values_list("counter_id", "last"))
    items = []
    for counter in listed:
        count = int(counts.get(counter.id) or 0)
        last_day = last.get(counter.id)
        if isinstance(last_day, str):  # SQLite gives an aggregate of dates back as text
            last_day = dt.date.fromisoformat(last_day[:10])
        if last_day is None:
            when_en, when_hi = "no transaction ever recorded", "कभी कोई लेन-देन दर्ज नहीं"
        else:
            when_en, when_hi = f"last transaction on {_dmy(last_day)}", f"अंतिम लेन-देन {_dmy(last_day)} को"
        items.append(Item(
            counter,
            f"{count_en(count, 'transaction')} in the last {days_en(days)} (fewer than {min_transactions}); {when_en}.",
            f"पिछले {_days_hi(days)} में {count} लेन-देन ({min_transactions} से कम); {when_hi}।",
            {"transactions": count, "last_transaction": last_day, "days": days},
        ))
    return sorted(items, key=lambda i: (i.figures["transactions"], i.counter.code))


# --- overcharging -------------------------------------------------------------------------------

def mentions_overcharging(text: str) -> bool:
    folded = (text or "").casefold()
    return any(word.casefold() in folded for word in OVERCHARGING_WORDS)


async def _overcharging_cases(district_id: int, start: dt.datetime, end: dt.datetime) -> dict[int, list[tuple[int, str]]]:
    """Counter id -> the overcharging complaints filed online about it in [start, end)."""
    in_period = await Case.filter(district_id=district_id, service_code=COUNTER_COMPLAINT, about_counter_id__not_isnull=True,
                                  created_at__gte=start, created_at__lt=end).order_by("created_at", "id")
    # the body's header says the type; the filing's audit record says it too (should the body read otherwise)
    flagged = {r.object_id for r in await AuditLog.filter(action="grievance.filed_online", object_type="Case",
                                                          object_id__in=[str(c.id) for c in in_period] or ["-"])
               if (r.detail or {}).get("complaint_type") == "overcharging"}
    query = [c for c in in_period if (c.body or "").startswith(OVERCHARGING_HEADERS) or str(c.id) in flagged]
    out: dict[int, list[tuple[int, str]]] = {}
    for case in query:
        out.setdefault(case.about_counter_id, []).append((case.id, case.number))
    return out


async def _services() -> dict[str, Any]:
    from emitra.core.plugins import get_host

    host = get_host()
    return {**{s.code: s for s in host.all_declared.values()}, **{s.code: s for s in host.registry}}


async def _over_rate(district_id: int, since: dt.date, today: dt.date) -> dict[int, dict[str, Any]]:
    """Counter id -> days and transactions whose recorded service charge is above today's published rate.

    The comparison is made by the database (charge > rate x transactions, per service), so only the
    days above the rate are read. Services paid by a share of the amount (a commission) have no
    fixed rate and are left out, as are services no plugin declares any more.
    """
    fixed = [s for s in (await _services()).values() if s.fee.commission_bp is None]
    if not fixed:
        return {}
    rates = await fees.published_rates(fixed, district_id)
    above = Q(*[Q(service_code=code, service_charge_paise__gt=F("transactions") * rate.fee_paise) for code, rate in rates.items()],
              join_type=Q.OR)
    rows = await (DailyFigure.filter(district_id=district_id, business_date__gte=since, business_date__lte=today, transactions__gt=0)
                  .filter(above).values("counter_id", "service_code", "business_date", "transactions", "service_charge_paise"))
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        allowed = rates[r["service_code"]].fee_paise * r["transactions"]
        entry = out.setdefault(r["counter_id"], {"days": set(), "transactions": 0, "excess_paise": 0, "services": set()})
        entry["days"].add(r["business_date"])
        entry["transactions"] += r["transactions"]
        entry["excess_paise"] += r["service_charge_paise"] - allowed
        entry["services"].add(r["service_code"])
    return out


async def overcharging(district_id: int, today: dt.date, days: int = OVERCHARGING_DAYS) -> list[Item]:
    """Counters citizens complained about for overcharging in the last ``days`` days (online
    complaints and complaint book entries), and counters whose recorded service charges exceed
    the service's published rate in the district."""
    start, end = bounds(today, days)
    cases = await _overcharging_cases(district_id, start, end)
    book: dict[int, int] = {}
    for entry in await BookEntry.filter(district_id=district_id, kind="complaint", created_at__gte=start, created_at__lt=end):
        if mentions_overcharging(entry.text):
            book[entry.counter_id] = book.get(entry.counter_id, 0) + 1
    over = await _over_rate(district_id, first_day(today, days), today)
    ids = set(cases) | set(book) | set(over)
    counters = await _counters(district_id, ids)
    items = []
    for cid in ids:
        if cid not in counters:
            continue
        online, written = len(cases.get(cid, [])), book.get(cid, 0)
        charged = over.get(cid)
        parts_en, parts_hi = [], []
        if online:
            parts_en.append(f"{count_en(online, 'online complaint')} of overcharging")
            parts_hi.append(f"अधिक राशि लेने की {online} ऑनलाइन {noun_hi(online, 'शिकायत', 'शिकायतें')}")
        if written:
            parts_en.append(f"{count_en(written, 'complaint book entry', 'complaint book entries')} mentioning overcharging")
            parts_hi.append(f"शिकायत पुस्तिका में अधिक राशि की {written} {noun_hi(written, 'प्रविष्टि', 'प्रविष्टियाँ')}")
        if charged:
            n_days, excess = len(charged["days"]), format_paise(charged["excess_paise"])
            parts_en.append(f"service charges above the published rate on {days_en(n_days)}, {count_en(charged['transactions'], 'transaction')}, "
                            f"{excess} in excess (checked against today's rate: a rate lowered during the period also shows here)")
            parts_hi.append(f"{n_days} दिन प्रकाशित दर से अधिक सेवा शुल्क, {charged['transactions']} लेन-देन, {excess} अधिक "
                            "(आज की दर से जाँचा गया: अवधि में घटाई गई दर भी यहाँ दिखती है)")
        items.append(Item(
            counters[cid],
            f"In the last {days_en(days)}: " + "; ".join(parts_en) + ".",
            f"पिछले {_days_hi(days)} में: " + "; ".join(parts_hi) + "।",
            {"complaints": online, "book_entries": written, "days_over_rate": len(charged["days"]) if charged else 0,
             "transactions_over_rate": charged["transactions"] if charged else 0,
             "excess_paise": charged["excess_paise"] if charged else 0,
             "services_over_rate": sorted(charged["services"]) if charged else [], "evidence": online + written,
             "days": days},
            cases.get(cid, []),
        ))
    return sorted(items, key=lambda i: (-i.figures["evidence"], -i.figures["excess_paise"], i.counter.code))


# --- day-end shortages --------------------------------------------------------------------------

async def shortages(district_id: int, today: dt.date, days: int = SHORTAGE_DAYS, min_shortages: int = SHORTAGE_MIN) -> list[Item]:
    """Counters with at least ``min_shortages`` day ends short (counted less than expected)."""
    counts: dict[int, int] = {}
    totals: dict[int, int] = {}
    for cid, difference in await DayEnd.filter(district_id=district_id, business_date__gte=first_day(today, days),
                                               business_date__lte=today, difference_paise__lt=0).values_list("counter_id", "difference_paise"):
        counts[cid] = counts.get(cid, 0) + 1
        totals[cid] = totals.get(cid, 0) - int(difference)
    counters = await _counters(district_id, counts)
    items = []
    for cid, count in counts.items():
        if count < min_shortages or cid not in counters:
            continue
        short = totals[cid]
        items.append(Item(
            counters[cid],
            f"{count_en(count, 'day end')} short in the last {days_en(days)} (at least {min_shortages} lists a counter), "
            f"{format_paise(short)} short in all.",
            f"पिछले {_days_hi(days)} में {count} दिन के अंत में नकद कम ({min_shortages} या अधिक पर सूची में), कुल {format_paise(short)} कम।",
            {"shortages": count, "short_paise": short, "days": days},
        ))
    return _sorted(items, "shortages")


# --- complaints of any kind ---------------------------------------------------------------------

async def complaints(district_id: int, today: dt.date, days: int = COMPLAINT_DAYS, min_complaints: int = COMPLAINT_MIN) -> list[Item]:
    """Counters with at least ``min_complaints`` complaints: online complaints about the counter
    plus complaint book entries."""
    start, end = bounds(today, days)
    cases: dict[int, list[tuple[int, str]]] = {}
    for case in await Case.filter(district_id=district_id, service_code=COUNTER_COMPLAINT, about_counter_id__not_isnull=True,
                                  created_at__gte=start, created_at__lt=end).order_by("created_at", "id"):
        cases.setdefault(case.about_counter_id, []).append((case.id, case.number))
    book: dict[int, int] = {}
    for cid in await BookEntry.filter(district_id=district_id, kind="complaint", created_at__gte=start,
                                      created_at__lt=end).values_list("counter_id", flat=True):
        book[cid] = book.get(cid, 0) + 1
    ids = {cid for cid in set(cases) | set(book) if len(cases.get(cid, [])) + book.get(cid, 0) >= min_complaints}
    counters = await _counters(district_id, ids)
    items = []
    for cid in ids:
        if cid not in counters:
            continue
        online, written = len(cases.get(cid, [])), book.get(cid, 0)
        items.append(Item(
            counters[cid],
            f"{count_en(online + written, 'complaint')} in the last {days_en(days)} ({online} online, {written} in the complaint book; "
            f"at least {min_complaints} lists a counter).",
            f"पिछले {_days_hi(days)} में {online + written} {noun_hi(online + written, 'शिकायत', 'शिकायतें')} ({online} ऑनलाइन, {written} शिकायत पुस्तिका में; "
            f"{min_complaints} या अधिक पर सूची में)।",
            {"complaints": online + written, "online": online, "book_entries": written, "days": days},
            cases.get(cid, []),
        ))
    return _sorted(items, "complaints")


async def lookups(district_id: int, today: dt.date, days: int = LOOKUP_DAYS) -> list[Item]:
    """Counters whose operators were refused look-ups of citizens the counter has not served (one
    audit record per operator and window in which it happened), with who and when last."""
    from emitra.core.citizen_lookups import REFUSED, span_en, span_hi

    start, end = bounds(today, days)
    by_counter: dict[int, list[AuditLog]] = {}
    for entry in await AuditLog.filter(district_id=district_id, action=REFUSED, at__gte=start, at__lt=end,
                                       counter_id__not_isnull=True).order_by("at", "id"):
        by_counter.setdefault(entry.counter_id, []).append(entry)
    counters = await _counters(district_id, set(by_counter))
    items = []
    for cid, entries in by_counter.items():
        if cid not in counters:
            continue
        operators = ", ".join(sorted({e.actor_name for e in entries}))
        limit = entries[-1].detail.get("limit", "")
        minutes = entries[-1].detail.get("window_minutes", "")
        within_en, within_hi = (span_en(minutes), span_hi(minutes)) if isinstance(minutes, int) else (f"{minutes} minutes", f"{minutes} मिनट")
        items.append(Item(
            counters[cid],
            f"Refused {count_en(len(entries), 'time')} in the last {days_en(days)} for looking up more than {limit} citizens the counter "
            f"had not served within {within_en} ({operators}): ask the operator why.",
            f"पिछले {_days_hi(days)} में {len(entries)} बार रोका गया: {within_hi} में ऐसे {limit} से अधिक नागरिक खोजे जिन्हें "
            f"काउंटर ने सेवा नहीं दी थी ({operators}); ऑपरेटर से कारण पूछें।",
            {"refusals": len(entries), "operators": operators, "last": entries[-1].at, "days": days},
        ))
    return _sorted(items, "refusals")


# --- cases near their deadline ------------------------------------------------------------------

async def near_breach(district_id: int, now: dt.datetime, hours: int = NEAR_BREACH_HOURS) -> Deadlines:
    """Open cases whose step deadline or overall deadline falls within the next ``hours`` (soonest
    first), and the open cases already past one (or marked breached), most overdue first."""
    horizon = now + dt.timedelta(hours=hours)
    query = Case.filter(district_id=district_id, closed_at=None).filter(
        Q(state_due_at__lte=horizon) | Q(due_at__lte=horizon) | Q(breached=True))
    soon, breached = [], []
    for case in await query:
        deadlines = [(name, at) for name, at in (("state", case.state_due_at), ("overall", case.due_at)) if at is not None]
        past = [(name, at) for name, at in deadlines if at <= now]
        if past or case.breached:
            name, at = min(past, key=lambda p: p[1]) if past else min(deadlines, key=lambda p: p[1], default=("overall", case.created_at))
            breached.append(CaseItem(case, name, at, (at - now).total_seconds() / 3600))
            continue
        name, at = min(deadlines, key=lambda p: p[1])
        soon.append(CaseItem(case, name, at, (at - now).total_seconds() / 3600))
    soon.sort(key=lambda i: (i.due_at, i.case.id))
    breached.sort(key=lambda i: (i.due_at, i.case.id))
    return Deadlines(soon, breached)

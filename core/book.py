"""Each LokMitra centre's complaint and suggestion book, and its weekly digest to the nodal officer.

Every LokMitra centre keeps a book in which citizens write complaints and suggestions; the
operator records each entry here (:func:`add_entry`). Once a week the district's entries are sent
in one email to the Society's nodal officer (:func:`weekly_digest`, run by cron as
``emitra book digest``), grouped by centre, mobiles masked. Each entry goes in one digest only. A
week with no entries still gets a short "no entries" digest, once, so the nodal officer knows the
books were checked; the ``book.digest`` audit record of a week is what says it was sent.
JanMitra kiosks keep no book (the Society's rules put it at the LokMitra centres).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from emitra.core import audit, clock, config, notify, privacy
from emitra.core.db import on_postgres
from emitra.core.models import AuditLog, BookEntry, Counter, CounterKind, District, Notification, Role, Society, User
from emitra.core.text import count_en

KINDS = {"complaint": ("complaint", "शिकायत"), "suggestion": ("suggestion", "सुझाव")}
MOBILE = re.compile(r"[6-9]\d{9}")


class BookError(Exception):
    """A book entry or digest that cannot be made, naming the field, in English and Hindi."""

    def __init__(self, field: str, message_en: str, message_hi: str):
        super().__init__(message_en)
        self.field = field
        self.message_en = message_en
        self.message_hi = message_hi


def keeps_book(counter: Counter) -> bool:
    return (counter.kind.value if hasattr(counter.kind, "value") else str(counter.kind)) == CounterKind.LOKMITRA.value


async def add_entry(actor: audit.Actor, counter: Counter, kind: str, text: str, name: str = "", mobile: str = "",
                    *, at: dt.datetime | None = None) -> BookEntry:
    """Record one entry the citizen wrote in the centre's book (audited). ``at``: when it was
    written, now if not given."""
    # kept with any Aadhaar number masked, as a case's text (docs/security.md): the Society reads it, the digest mails it
    text, name = (privacy.mask_aadhaar_in_text((text or "").strip()), privacy.mask_aadhaar_in_text((name or "").strip()))
    mobile = re.sub(r"[\s-]", "", mobile or "")
    if not keeps_book(counter):
        raise BookError("counter", f"{counter.code} is a JanMitra kiosk: the complaint and suggestion book is kept at LokMitra centres.",
                        f"{counter.code} जनमित्र कियोस्क है: शिकायत एवं सुझाव पुस्तिका लोकमित्र केंद्रों पर रखी जाती है।")
    if kind not in KINDS:
        raise BookError("kind", "Kind: choose complaint or suggestion.", "प्रकार: शिकायत या सुझाव चुनें।")
    if not 5 <= len(text) <= 2000:
        raise BookError("text", f"Entry: copy what the citizen wrote, 5 to 2000 characters (now {len(text)}).",
                        f"प्रविष्टि: नागरिक ने जो लिखा वह 5 से 2000 अक्षरों में लिखें (अभी {len(text)})।")
    if len(name) > 100:
        raise BookError("name", "Name: at most 100 characters, or leave it empty.", "नाम: अधिकतम 100 अक्षर, या खाली छोड़ें।")
    if mobile and not MOBILE.fullmatch(mobile):
        raise BookError("mobile", "Mobile number: 10 digits starting with 6, 7, 8 or 9, or leave it empty.",
                        "मोबाइल नंबर: 6, 7, 8 या 9 से शुरू होने वाले 10 अंक, या खाली छोड़ें।")
    async with in_transaction():
        entry = await BookEntry.create(district_id=counter.district_id, counter=counter, kind=kind, text=text, name=name,
                                       mobile=mobile, recorded_by=actor.user, created_at=at or clock.now())
        await audit.record(actor, "book.entry", entry, district_id=counter.district_id, counter_id=counter.id,
                           detail={"kind": kind, "counter": counter.code})
    return entry


def week_bounds(week_start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[Monday 00:00, next Monday 00:00) in the counters' time zone."""
    zone = ZoneInfo(config.timezone())
    start = dt.datetime.combine(week_start, dt.time(0), tzinfo=zone)
    return start, start + dt.timedelta(days=7)


def last_complete_week(today: dt.date | None = None) -> dt.date:
    """The Monday of the last Monday–Sunday week that has ended."""
    today = today or clock.today()
    return today - dt.timedelta(days=today.weekday() + 7)


async def digest_sent(district_id: int, week_start: dt.date) -> bool:
    records = await AuditLog.filter(action="book.digest", district_id=district_id).values_list("detail", flat=True)
    return any((d or {}).get("week_start") == week_start.isoformat() for d in records)


async def recipient(district_id: int) -> str:
    """The nodal officer's address, else the Society admins' (comma-separated)."""
    society = await Society.get_or_none(district_id=district_id)
    if society is not None and society.nodal_officer_email:
        return society.nodal_officer_email
    admins = await User.filter(role=Role.SOCIETY_ADMIN, district_id=district_id, active=True).order_by("id")
    addresses = [u.email for u in admins if u.email] or [f"user:{u.username}" for u in admins]
    if not addresses:
        raise BookError("recipient", "Nobody to send the digest to: set the Society's nodal officer email, or add a Society admin.",
                        "डाइजेस्ट भेजने के लिए कोई नहीं: सोसाइटी के नोडल अधिकारी का ईमेल दर्ज करें, या सोसाइटी एडमिन जोड़ें।")
    return ", ".join(addresses)[:200]


def _entry_line(e: BookEntry, lang: str) -> str:
    when = e.created_at.astimezone(ZoneInfo(config.timezone())).strftime("%d-%m-%Y")
    kind = KINDS.get(e.kind, (e.kind, e.kind))[1 if lang == "hi" else 0]
    who = ", ".join(x for x in (e.name, notify.mask_recipient(e.mobile) if e.mobile else "") if x)
    return f"- {when} {kind}: {e.text}" + (f" ({who})" if who else "")


async def weekly_digest(actor: audit.Actor, district_id: int, week_start: dt.date) -> Notification | None:
    """Send the week's book entries of the district to the nodal officer, in one email.

    Entries written in [``week_start`` Monday 00:00, next Monday 00:00) that are in no digest yet
    are grouped by centre and marked sent. With none: a "no entries" digest, only if none was sent
    for that week. Returns the queued notification, or None when there was nothing more to send.
    """
    if week_start.weekday() != 0:
        raise BookError("week", f"Week: {week_start.isoformat()} is a {week_start.strftime('%A')}; give the Monday the week starts on.",
                        f"सप्ताह: {week_start.isoformat()} सोमवार नहीं है; सप्ताह के आरंभ का सोमवार दें।")
    district = await District.get(id=district_id)
    start, end = week_bounds(week_start)
    sunday = week_start + dt.timedelta(days=6)
    period = f"{week_start.strftime('%d-%m-%Y')} to {sunday.strftime('%d-%m-%Y')}"
    period_hi = f"{week_start.strftime('%d-%m-%Y')} से {sunday.strftime('%d-%m-%Y')}"
    async with in_transaction():
        society = await Society.get_or_none(district_id=district_id)
        if society is not None and on_postgres():  # two runs at once: the second waits, then finds the entries sent
            await Society.select_for_update().get(id=society.id)
        entries = await BookEntry.filter(district_id=district_id, digest_sent_at=None, created_at__gte=start,
                                         created_at__lt=end).order_by("counter_id", "created_at", "id").prefetch_related("counter")
        already = await digest_sent(district_id, week_start)
        if not entries and already:
            return None
        to = await recipient(district_id)
        centres = await Counter.filter(district_id=district_id, kind=CounterKind.LOKMITRA).order_by("code")
        by_centre: dict[int, list[BookEntry]] = {}
        for e in entries:
            by_centre.setdefault(e.counter_id, []).append(e)
        extra_en, extra_hi = (" (entries recorded after the first digest)", " (पहले डाइजेस्ट के बाद दर्ज प्रविष्टियाँ)") if already else ("", "")
        head_en = (f"e-Mitra complaint and suggestion books, {district.name_en} district, week {period}{extra_en}: "
                   f"{count_en(len(entries), 'entry', 'entries')} at {len(by_centre)} of {count_en(len(centres), 'LokMitra centre')}.")
        head_hi = (f"ई-मित्र शिकायत एवं सुझाव पुस्तिकाएँ, {district.name_hi} ज़िला, सप्ताह {period_hi}{extra_hi}: "
                   f"{len(centres)} लोकमित्र केंद्रों में से {len(by_centre)} में {len(entries)} प्रविष्टियाँ।")
        en, hi = [head_en], [head_hi]
        if not entries:
            en.append("No entries were written in any centre's book this week. Centres: "
                      + ", ".join(f"{c.name} ({c.code})" for c in centres) + ".")
            hi.append("इस सप्ताह किसी केंद्र की पुस्तिका में कोई प्रविष्टि नहीं लिखी गई। केंद्र: "
                      + ", ".join(f"{c.name_hi or c.name} ({c.code})" for c in centres) + "।")
        for rows in by_centre.values():
            c = rows[0].counter
            complaints = sum(1 for e in rows if e.kind == "complaint")
            suggestions = len(rows) - complaints
            en.append(f"\n{c.name} ({c.code}): {count_en(complaints, 'complaint')}, {count_en(suggestions, 'suggestion')}")
            hi.append(f"\n{c.name_hi or c.name} ({c.code}): {complaints} शिकायतें, {suggestions} सुझाव")
            en += [_entry_line(e, "en") for e in rows]
            hi += [_entry_line(e, "hi") for e in rows]
        note = await notify.queue("book_digest", "email", to, "\n".join(en), "\n".join(hi),
                                  subject=f"Complaint and suggestion books, {district.name_en}, week {period}", lang="en",
                                  district_id=district_id)
        at = clock.now()
        if entries:
            await BookEntry.filter(id__in=[e.id for e in entries]).update(digest_sent_at=at)
        await audit.record(actor, "book.digest", note, district_id=district_id,
                           detail={"week_start": week_start.isoformat(), "entries": len(entries), "centres": len(by_centre),
                                   "recipient": notify.mask_recipient(to.split(",")[0]), "supplement": already})
    return note

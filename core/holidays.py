"""A district's own holidays, kept by its Society (decision 109).

In Rajasthan the state's holidays are declared once for every district (``EMITRA_HOLIDAYS``, a
setting the server's administrator keeps, decision 81), but each district's Collector also declares
local holidays for the district: a fair (Pushkar Mela in Ajmer), a local deity's day. The Society's
offices are closed then, so those days are not working days in that district, and in no other.
The Society's staff keep them themselves: the **Holidays** page (web/holidays.py) and ``emitra
holidays list | add | remove`` (core/cli_holidays.py) call :func:`add` and :func:`remove`, which
refuse what is wrong naming the field and the fix (English and Hindi), write nothing then, and
write the change with its audit record (``holiday.added``, ``holiday.removed``) in one transaction.
Only the district Society's admin keeps its district's holidays.

A day is closed in a district when it is a Sunday, in ``EMITRA_HOLIDAYS``, or in the district's
calendar here. :func:`closed_days` reads a district's once, for a whole list (the refunds owed,
the Society's panel); :func:`closed_days_by_district` reads every district's in one query (``emitra
ledger check`` counts the overdue refunds of every district).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from emitra.core import audit, clock, config
from emitra.core.models import District, DistrictHoliday, Role

NAME_LIMIT = 100
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


class HolidayError(ValueError):
    """A holiday that cannot be added or removed as asked: ``field`` (``date``, ``name`` or
    ``actor``) and the fix, in English and Hindi; nothing was written."""

    def __init__(self, field: str, message_en: str, message_hi: str):
        super().__init__(f"{field}: {message_en}")
        self.field = field
        self.message_en = message_en
        self.message_hi = message_hi


def shown(day: dt.date) -> str:
    """A date as the pages and messages write it: DD-MM-YYYY."""
    return day.strftime("%d-%m-%Y")


def window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The dates a holiday may be added for: from a year before ``today`` (an earlier one changes no
    deadline still running) to the end of next year (the Collector declares a year's holidays late in
    the year before)."""
    today = today or clock.today()
    try:
        first = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        first = today.replace(year=today.year - 1, day=28)
    return first, dt.date(today.year + 1, 12, 31)


def parse_date(text: str | dt.date) -> dt.date:
    """The holiday's date as typed, ``YYYY-MM-DD`` (what a date box sends), else :class:`HolidayError`."""
    if isinstance(text, dt.date):
        return text
    typed = str(text or "").strip()
    if _ISO.fullmatch(typed):
        try:
            return dt.date.fromisoformat(typed)
        except ValueError:  # 2026-02-30
            pass
    if not typed:
        raise HolidayError("date", "give the holiday's date as YYYY-MM-DD, for example 2026-11-23",
                           "अवकाश की तिथि YYYY-MM-DD के रूप में दें, जैसे 2026-11-23")
    raise HolidayError("date", f"{typed[:20]!r} is not a date: give the holiday's date as YYYY-MM-DD, for example 2026-11-23",
                       f"{typed[:20]!r} कोई तिथि नहीं है: अवकाश की तिथि YYYY-MM-DD के रूप में दें, जैसे 2026-11-23")


def _name(text: str) -> str:
    name = " ".join(str(text or "").split())
    if not name:
        raise HolidayError("name", "give the holiday's name as the Collector's order writes it, for example Pushkar Mela",
                           "अवकाश का नाम कलेक्टर के आदेश के अनुसार दें, जैसे पुष्कर मेला")
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise HolidayError("name", "the name holds a character that cannot be stored (a control character): type it again",
                           "नाम में ऐसा अक्षर है जो सहेजा नहीं जा सकता (नियंत्रण अक्षर): इसे फिर से टाइप करें")
    if len(name) > NAME_LIMIT:
        raise HolidayError("name", f"the name is {len(name)} characters long; shorten it to at most {NAME_LIMIT}",
                           f"नाम {len(name)} अक्षरों का है; इसे अधिकतम {NAME_LIMIT} अक्षरों का करें")
    return name


async def _district_of(actor: audit.Actor, district_id: int) -> District:
    """The district, when ``actor`` is its Society's admin; else refused (the state admin and another
    district's Society too: a district's holidays are its own Society's to keep)."""
    district = await District.get(id=district_id)
    user = actor.user
    if not (user is not None and user.active and user.role == Role.SOCIETY_ADMIN and user.district_id == district_id):
        raise HolidayError("actor", f"Only the {district.code} district Society's admin keeps the holidays of {district.name_en}.",
                           f"{district.name_hi} के अवकाश केवल {district.code} जिला सोसायटी के एडमिन दर्ज करते हैं।")
    return district


async def listing(district_id: int, year: int | None = None) -> list[DistrictHoliday]:
    """The district's holidays, in date order: of ``year``, or all."""
    query = DistrictHoliday.filter(district_id=district_id)
    if year is not None:
        query = query.filter(date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31))
    return await query.order_by("date")


async def add(actor: audit.Actor, district_id: int, date: str | dt.date, name: str) -> DistrictHoliday:
    """Add a local holiday to the district's calendar (the district Society's admin only): a date
    from a year back to the end of next year, not already a holiday of the district, and its name.
    Audited ``holiday.added``."""
    district = await _district_of(actor, district_id)
    day = parse_date(date)
    first, last = window()
    if day < first:
        raise HolidayError("date", f"{shown(day)} is more than a year in the past: a holiday before {shown(first)} changes no "
                                   f"refund still owed; give a date from {shown(first)} on",
                           f"{shown(day)} एक वर्ष से अधिक पुरानी है: {shown(first)} से पहले का अवकाश किसी देय रिफंड को नहीं बदलता; "
                           f"{shown(first)} या उसके बाद की तिथि दें")
    if day > last:
        raise HolidayError("date", f"{shown(day)} is after the end of next year: add a year's holidays once the Collector declares "
                                   f"them, with dates up to {shown(last)}",
                           f"{shown(day)} अगले वर्ष के अंत के बाद है: किसी वर्ष के अवकाश कलेक्टर की घोषणा के बाद जोड़ें, "
                           f"{shown(last)} तक की तिथियों के साथ")
    name = _name(name)
    duplicate = await DistrictHoliday.get_or_none(district_id=district_id, date=day)
    refused = HolidayError("date", f"{shown(day)} is already a holiday of {district.name_en} "
                                   f"({duplicate.name if duplicate else name}): remove it first to give it another name",
                           f"{shown(day)} पहले से {district.name_hi} का अवकाश है ({duplicate.name if duplicate else name}): "
                           "दूसरा नाम देने के लिए पहले उसे हटाएँ")
    if duplicate is not None:
        raise refused
    try:
        async with in_transaction():
            holiday = await DistrictHoliday.create(district_id=district_id, date=day, name=name, created_by=actor.name)
            await audit.record(actor, "holiday.added", holiday, district_id=district_id, detail={"date": day.isoformat(), "name": name})
    except IntegrityError:  # added at the same moment by a colleague: nothing was written here
        raise refused from None
    return holiday


async def remove(actor: audit.Actor, district_id: int, date: str | dt.date) -> DistrictHoliday:
    """Remove a holiday from the district's calendar (the district Society's admin only): its day
    is a working day again. Audited ``holiday.removed`` with the date and name it had."""
    district = await _district_of(actor, district_id)
    day = parse_date(date)
    async with in_transaction():
        holiday = await DistrictHoliday.get_or_none(district_id=district_id, date=day)
        if holiday is None:
            raise HolidayError("date", f"{shown(day)} is not a holiday of {district.name_en}: nothing was removed",
                               f"{shown(day)} {district.name_hi} का अवकाश नहीं है: कुछ नहीं हटाया गया")
        await holiday.delete()
        await audit.record(actor, "holiday.removed", holiday, district_id=district_id,
                           detail={"date": day.isoformat(), "name": holiday.name})
    return holiday


async def closed_days(district_id: int) -> frozenset[dt.date]:
    """The days besides Sundays the district's Society is closed: the state-wide ``EMITRA_HOLIDAYS``
    and the district's own. One query: read it once for a list, never per row."""
    own = await DistrictHoliday.filter(district_id=district_id).values_list("date", flat=True)
    return config.holidays() | frozenset(own)


async def closed_days_by_district(district_ids: Iterable[int]) -> dict[int, frozenset[dt.date]]:
    """:func:`closed_days` of several districts, in one query."""
    ids = sorted(set(district_ids))
    state = config.holidays()
    own: dict[int, set[dt.date]] = {i: set() for i in ids}
    if ids:
        for district_id, day in await DistrictHoliday.filter(district_id__in=ids).values_list("district_id", "date"):
            own[district_id].add(day)
    return {i: state | frozenset(days) for i, days in own.items()}

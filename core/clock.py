"""Today's date where the counters are (Asia/Kolkata by default).

``EMITRA_TODAY=YYYY-MM-DD`` fixes the date, for demonstrations and tests of rules that take effect
on a given day; production leaves it unset.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from emitra.core import config

#: the days e-Mitra works with: a date typed into a page (web/params.py) or carried by a bank or
#: Stripe statement (core/reconcile.py) outside them is a mistake (a mistyped year, a time in
#: milliseconds), and near the calendar's ends the date arithmetic behind the pages and the books
#: (the next day, a week's Monday, midnight in UTC) fails. Not for dates of birth.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def today() -> dt.date:
    fixed = os.environ.get("EMITRA_TODAY", "").strip()
    if fixed:
        return dt.date.fromisoformat(fixed)
    return dt.datetime.now(ZoneInfo(config.timezone())).date()


def now() -> dt.datetime:
    """The time now, aware, in the counters' time zone.

    ``EMITRA_NOW=YYYY-MM-DDTHH:MM`` fixes it; with only ``EMITRA_TODAY`` set, it is that day at the
    current time of day (so SLA deadlines in a demonstration move with the fixed date).
    """
    zone = ZoneInfo(config.timezone())
    fixed = os.environ.get("EMITRA_NOW", "").strip()
    if fixed:
        value = dt.datetime.fromisoformat(fixed)
        return value if value.tzinfo else value.replace(tzinfo=zone)
    real = dt.datetime.now(zone)
    if os.environ.get("EMITRA_TODAY", "").strip():
        return dt.datetime.combine(today(), real.timetz())
    return real

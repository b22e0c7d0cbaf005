"""Today's date where the counters are (Asia/Kolkata by default).

``EMITRA_TODAY=YYYY-MM-DD`` fixes the date, for demonstrations and tests of rules that take effect
on a given day; production leaves it unset.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from emitra.core import config


def today() -> dt.date:
    fixed = os.environ.get("EMITRA_TODAY", "").strip()
    if fixed:
        return dt.date.fromisoformat(fixed)
    return dt.datetime.now(ZoneInfo(config.timezone())).date()

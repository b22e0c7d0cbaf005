"""Dates and whole numbers that a page reads from its query string or form, checked one way everywhere.

Every date a page is asked about — a report's or a statement's period, a day end, a complaint-book
week, an MIS report's period — is a working day of e-Mitra, so it must lie from :data:`FIRST_DAY` to
:data:`LAST_DAY` (2000-01-01 to 2099-12-31, core/clock.py; the reconciliation's week and the bank and
Stripe statements are held to the same days by core/reconcile.py). Beyond that range the date
arithmetic behind the pages (the day after, the week's Monday, the same moment in UTC, N days ago)
runs past Python's years 1 to 9999, which was a server error; here it is a refusal that names the
field and says what to type. A page number is at most :data:`MAX_PAGE` (a larger one overflowed the
database's 64-bit offsets).

Dates of birth are not read here: a citizen's (core/registration.py) and a service form's
(core/forms.py) have their own rules, and people born before 2000 must stay registrable.
"""

from __future__ import annotations

import datetime as dt
import re

from emitra.core.clock import FIRST_DAY, LAST_DAY
from emitra.core.db import MAX_ID
from emitra.core.money import AmountError, parse_rupees
from emitra.web.i18n import _, pick

#: the highest page number a paginated list accepts (50 rows a page: 50 million rows)
MAX_PAGE = 1_000_000

_WHOLE = re.compile(r"[0-9]{1,12}")


class BadParam(ValueError):
    """A value a page cannot use: ``field`` is its name in the query string or form, ``label`` what
    the page calls it, ``fix`` what to type instead (both in the page's language); ``message`` is
    ``"label: fix"``, for a page that does not show the label next to its errors itself."""

    def __init__(self, field: str, label: str, fix: str):
        super().__init__(f"{label}: {fix}")
        self.field = field
        self.label = label
        self.fix = fix

    @property
    def message(self) -> str:
        return f"{self.label}: {self.fix}"


def day(text: str | None, field: str, label: str) -> dt.date:
    """``YYYY-MM-DD`` from :data:`FIRST_DAY` to :data:`LAST_DAY`, else :class:`BadParam`."""
    try:
        value = dt.date.fromisoformat(str(text or "").strip())
    except ValueError:
        raise BadParam(field, label, _("give a date as YYYY-MM-DD, for example 2026-11-20.")) from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise BadParam(field, label, _("give a date from %(first)s to %(last)s.") % {
            "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
    return value


def rupees(text: str | None, field: str, label: str) -> int:
    """An amount typed into a box, in paise, read as every amount is (core/money.parse_rupees: ₹, Rs,
    commas, Hindi digits); refused naming the box (``label``) and the fix in the page's language. A
    box left empty says so, not "'' is not an amount in rupees" (decision 200)."""
    typed = str(text or "").strip()
    if not typed:
        raise BadParam(field, label, _("the box is empty: type the amount in rupees, for example 125.50."))
    try:
        return parse_rupees(typed)
    except AmountError as exc:
        raise BadParam(field, label, pick(str(exc), exc.message_hi)) from None


def whole_number(text: str | None, field: str, label: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` (digits only: no sign, no decimals), else :class:`BadParam`."""
    text = str(text or "").strip()
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
        raise BadParam(field, label, _("give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return int(text)


def record_id(value: object) -> int | None:
    """A record's number from a path or a form (a case, a cheque, a day end, an inspection, a
    report), or None when it cannot be one: not digits, or beyond the database's ids (PostgreSQL's
    integer ids stop at :data:`core.db.MAX_ID`; asked for a larger one it answered with a server
    error). The caller answers None as "no such record" (404)."""
    text = str(value if value is not None else "").strip()
    if not _WHOLE.fullmatch(text) or not 1 <= int(text) <= MAX_ID:
        return None
    return int(text)


def page_number(text: str | None, field: str = "page") -> int:
    """A page of a list, 1 when not given; else from 1 to :data:`MAX_PAGE`."""
    if not str(text or "").strip():
        return 1
    return whole_number(text, field, _("Page"), 1, MAX_PAGE)


def page_or_first(text: str | None, errors: dict[str, str], field: str = "page") -> int:
    """:func:`page_number`, or 1 with its refusal put in ``errors[field]`` for the page to show."""
    try:
        return page_number(text, field)
    except BadParam as exc:
        errors[field] = exc.message
        return 1

"""Text that no database column can store, found in one place for the API, the page forms and the
statement imports.

Two kinds of character reach us that neither database takes:

* a NUL character (``\\0``, ``\\u0000``): PostgreSQL keeps none in text or JSONB (a server error
  there), SQLite would keep it (so the two databases would differ); no one types one at a counter;
* a lone UTF-16 surrogate (U+D800 to U+DFFF without its pair): not a character at all, so it cannot
  be written as UTF-8, for either database or for the page or JSON answer that would show it. JSON
  lets a body write one (``"\\ud800"``, and Python's parser passes even its raw bytes through), and
  a multipart form can decode into one when it names an odd charset (``charset=utf-7``).

Callers refuse such text naming the field (:func:`unstorable` says which kind it is, and
:func:`unstorable_in` finds it in a JSON body: the API's and, in the parts they read
(:func:`picked`), the payment webhooks'); the log-in
form, which answers any username no account can have as a wrong one, replaces it instead
(:func:`storable`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Iterable

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

NUL, SURROGATE = "nul", "surrogate"

#: each kind as a refusal names it, in English and Hindi
NAMES = {
    NUL: ("a NUL character (\\0, \\u0000)", "NUL अक्षर (\\0, \\u0000)"),
    SURROGATE: ("a lone UTF-16 surrogate (\\ud800 to \\udfff, which is not a character)",
                "अकेला UTF-16 सरोगेट (\\ud800 से \\udfff; यह कोई अक्षर नहीं)"),
}


def unstorable(text: str) -> str | None:
    """:data:`NUL` or :data:`SURROGATE` for the first character of ``text`` no database stores; None
    when every character can be stored."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return NUL if found.group() == "\x00" else SURROGATE


def unstorable_in(value: Any, path: str = "") -> tuple[str, str] | None:
    """In a parsed JSON body, the path of the first text (a value or a key, at any depth) no
    database column stores, and which kind it holds (:func:`unstorable`); None when there is none.
    The path is dotted, list items by index (``data.object.metadata.receipt_no``, ``items.0``); the
    whole body, when it is one string, is ``(body)``. Callers quote it with :func:`shown` (a key
    may hold the character too)."""
    if isinstance(value, str):
        kind = unstorable(value)
        return (path or "(body)", kind) if kind else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            kind = unstorable(key) if isinstance(key, str) else None
            found = (name, kind) if kind else unstorable_in(item, name)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = unstorable_in(item, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return None


def picked(value: Any, paths: Iterable[str]) -> dict[str, Any]:
    """Only the parts of a parsed JSON object at the dotted ``paths``, each with all that is beneath
    it, nested as they were (absent ones left out): what a payment webhook reads, for
    :func:`unstorable_in` to search and name by the same paths. Text elsewhere (an event's
    description, metadata someone else set) is neither read nor stored, so it is not refused: the
    sender would send a refused event again and again, and its payment would never be confirmed."""
    out: dict[str, Any] = {}
    for path in paths:
        node, parts = value, path.split(".")
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            target = out
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = node
    return out


def storable(text: str) -> str:
    """``text`` with each character no database stores replaced by U+FFFD (the replacement character)."""
    return _UNSTORABLE.sub("\ufffd", text)


def shown(text: str) -> str:
    """``text`` safe to quote in a message, a page or a JSON answer: a NUL as ``\\0``, a lone
    surrogate as its escape (``\\ud800``)."""
    return text.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode("utf-8")


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of another script written as 0-9: a Hindi keyboard types
    ९८२९०१२३४५ for 9829012345, and a number is stored with ASCII digits."""
    return "".join(str(unicodedata.digit(c)) if not c.isascii() and unicodedata.category(c) == "Nd" else c for c in text)


def typed_number(text: str) -> str:
    """A number copied or typed by a person, with what is not part of it taken away: spaces and
    dashes of any kind, invisible characters a copy from an SMS or a chat brings along (zero-width
    spaces, direction marks, a byte-order mark: Unicode's format characters) and control characters;
    the digits of another script written 0-9; a full stop, comma, danda (।) or bracket at either
    end (``JP0001000000421.`` copied from a sentence). Letters keep their case."""
    kept = "".join(c for c in ascii_digits(text or "") if unicodedata.category(c) not in ("Cf", "Cc", "Zs", "Zl", "Zp", "Pd"))
    return kept.strip(".,;:!?।॥()[]{}<>\"'`")


def typed_mobile(text: str) -> str:
    """A mobile number as a person writes it, as its 10 digits when it has them: ``+91 98290 12345``,
    ``(+91) 98290-12345``, ``098290 12345`` and ``९८२९०१२३४५`` are ``9829012345``. Anything else is
    returned cleaned the same way, for the caller to refuse."""
    digits = re.sub(r"[.()+]", "", typed_number(text))
    if digits.isdigit() and len(digits) > 10 and digits[:-10] in ("0", "91", "091", "0091"):
        return digits[-10:]
    return digits


#: a per-cent sign after a number, with spaces either side of it ("60%", "60 %", "60% ")
_PERCENT_SIGN = re.compile(r"\s*[%\uff05\u066a]\s*$")


def without_percent_sign(text: str) -> str:
    """A share typed in per cent with its sign, as its number: ``60%``, `` 60 % `` and ``62.5%`` are
    ``60``, ``60`` and ``62.5`` (a share field's title says it is in per cent, and people write the
    sign anyway). Only a sign at the end is taken away, with the spaces round the text; the number
    itself is left for the field's own check to read or refuse (``60%%`` stays ``60%``)."""
    return _PERCENT_SIGN.sub("", (text or "").strip(), count=1)


#: characters that reorder text on screen: a subject written "\u202eevil" shows reversed in an officer's
#: inbox, and the rest of the line with it (core/documents.py keeps them out of file names the same way)
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def plain(text: str, multiline: bool = False) -> str:
    """What a citizen wrote in a form, without what no one types and what changes how the rest is shown:
    control characters (a terminal's escape, a bell, a backspace: they reached the officers' pages and
    the data centre's shell as written) and the marks that reorder text on screen. A tab is a space;
    a line break stays in a text of several lines (``multiline``), written ``\\n``, and is a space in a
    line. Hindi's joiners (ZWJ, ZWNJ) stay: ``क्‍ष`` needs them."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not multiline:
        text = text.replace("\n", " ")
    return "".join(c for c in text if c == "\n" or (c not in BIDI_CONTROLS and unicodedata.category(c) != "Cc"))


def count_en(count: int, thing: str, things: str = "") -> str:
    """"1 payment", "3 payments", "0 payments": a count of things in English, singular or plural as the
    number wants, for text the core writes in English itself (the command line's output, the English
    half of a message kept in both languages); ``things`` when the plural is not ``thing`` + "s"
    ("entry", "entries"). Hindi needs no such help as a rule ("1 भुगतान", "3 भुगतान")."""
    return f"{count} {noun_en(count, thing, things)}"


def noun_en(count: int, thing: str, things: str = "") -> str:
    """The word alone of :func:`count_en`, for a count printed apart (in a column of its own)."""
    return thing if count == 1 else things or thing + "s"


def noun_hi(count: int, one: str, many: str) -> str:
    """The Hindi word (or words) for a count where Hindi does change it: ``one`` for 0 and 1,
    ``many`` above, as the catalogue's Hindi plural rule (``n > 1``) chooses. Hindi changes a noun
    before a postposition ("1 दिन में", "3 दिनों में"), a feminine noun ("1 शिकायत", "3 शिकायतें"),
    and the verb and adjective that agree with a count ("1 खुला आवेदन है", "3 खुले आवेदन हैं")."""
    return many if count > 1 else one


def days_en(count: int) -> str:
    """"1 day", "3 days": a count of days in English, singular or plural as the number wants (a
    message the core writes in both languages itself; Hindi says "1 दिन", "3 दिन" alike)."""
    return count_en(count, "day")


# --- dates as the pages write them --------------------------------------------------------------

#: the months as the pages name them, in English and Hindi ("Oct 2026", "अक्टूबर 2026")
MONTHS = (("Jan", "जनवरी"), ("Feb", "फ़रवरी"), ("Mar", "मार्च"), ("Apr", "अप्रैल"), ("May", "मई"), ("Jun", "जून"),
          ("Jul", "जुलाई"), ("Aug", "अगस्त"), ("Sep", "सितंबर"), ("Oct", "अक्टूबर"), ("Nov", "नवंबर"), ("Dec", "दिसंबर"))

#: an ISO date standing alone in a text: not part of a longer number or code (``ACK-2026-12-05``)
_ISO_DATE = re.compile(r"(?<![\w./-])(\d{4})-(\d{2})-(\d{2})(?![\w/]|-\w)")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
#: the years a value is read as a date in (a code "2104-12" is not December 2104)
_YEARS = (1900, 2099)


def _date_day_first(match: re.Match[str]) -> str:
    if not _YEARS[0] <= int(match[1]) <= _YEARS[1]:
        return match[0]
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # 2026-13-45 is no date: left as written
        return match[0]
    return day.strftime("%d-%m-%Y")


def day_first(value: str, *, within: bool = False) -> tuple[str, str]:
    """``value`` as the pages write dates, in English and in Hindi: an ISO date (``2026-12-05``) day
    first, ``05-12-2026``; an ISO month (``2026-10``) by its name, ``Oct 2026`` (``अक्टूबर 2026``).
    What a plugin gives (a bill's due date and month) and what a form stores are ISO; the pages write
    dates day first. A month that could be a financial year (``2011-12``, the year 2011-12) is left
    as written, and so is anything else (``2025-26``, ``0141-2712345``, a year outside 1900-2099). With ``within``, a date
    inside a longer text (the passport's appointment, ``2026-12-09 09:30``) is written day first too; a month only
    ever as the whole value."""
    text = str(value).strip()
    month = _ISO_MONTH.fullmatch(text)
    if month:
        year, number = int(month[1]), int(month[2])
        if 1 <= number <= 12 and number != (year + 1) % 100 and _YEARS[0] <= year <= _YEARS[1]:
            en, hi = MONTHS[number - 1]
            return f"{en} {year}", f"{hi} {year}"
        return str(value), str(value)
    shown = _ISO_DATE.sub(_date_day_first, str(value)) if within else \
        _date_day_first(m) if (m := _ISO_DATE.fullmatch(text)) else str(value)
    return shown, shown

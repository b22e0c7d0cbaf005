"""English and Hindi through gettext catalogs (web/locale/<lang>/LC_MESSAGES/messages.mo).

The language of a request is chosen, first found wins: ``?lang=`` on the URL, the session, the
user's preference, the browser's Accept-Language, English.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import lru_cache
from typing import Any
from pathlib import Path

from emitra.core import memos

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"en": "English", "hi": "हिन्दी"}
DEFAULT = "en"

current_lang: ContextVar[str] = ContextVar("emitra_lang", default=DEFAULT)


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation("messages", localedir=LOCALE_DIR, languages=[lang])


def gettext_(message: str) -> str:
    return translations(current_lang.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_lang.get()).ngettext(singular, plural, n)


_ = gettext_


def pick(en: str, hi: str) -> str:
    """Choose between a pair of texts a plugin or the core gives in both languages."""
    return hi if current_lang.get() == "hi" and hi else en


def provider_name(service: Any) -> str:
    """A service's department or partner in the page's language: its Hindi name when the service
    object carries one (``provider_hi``), else the name it was declared with."""
    return pick(str(service.provider), str(getattr(service, "provider_hi", "") or ""))


def counter_name(counter: Any) -> str:
    """A counter's name in the page's language: its Hindi name (``name_hi``) on a Hindi page when
    the Society gave it one, else its name (``{{ counter|counter_name }}``)."""
    if counter is None:
        return ""
    return pick(str(counter.name), str(getattr(counter, "name_hi", "") or ""))


def department(name: str, service_code: str = "") -> str:
    """A case's department in the page's language: the Hindi name its plugin declares
    (``provider_hi``, ``departments_hi``) on a Hindi page, else the stored English name."""
    if current_lang.get() != "hi" or not name:
        return name
    from emitra.core.plugins import department_hi

    return department_hi(name, service_code) or name


def memo(text: str) -> str:
    """A ledger entry's memo in the page's language: on a Hindi page, the Hindi of a memo the core
    writes (:func:`emitra.core.memos.hindi`), else the memo as stored (``{{ entry.memo|memo }}``)."""
    return memos.hindi(text) if current_lang.get() == "hi" and text else text


def negotiate(accept_language: str) -> str:
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT

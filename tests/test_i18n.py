"""The Hindi catalog is complete and compiled (see docs/i18n.md).

* every string marked for translation (``_()``/``N_()`` in web/ and core/, ``{{ _() }}`` in the
  templates) has a Hindi translation in web/locale/hi/LC_MESSAGES/messages.po;
* the committed messages.mo is what compiling that .po gives;
* a page rendered in Hindi shows the Hindi text.

No database is needed.
"""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages import frontend
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
LOCALE_DIR = ROOT / "web" / "locale"
PO = LOCALE_DIR / "hi" / "LC_MESSAGES" / "messages.po"
MO = LOCALE_DIR / "hi" / "LC_MESSAGES" / "messages.mo"

# The same keywords as `pybabel extract -k _ -k N_ -k gettext_ -k ngettext_:1,2` (docs/i18n.md).
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "N_": None, "gettext_": None, "ngettext_": (1, 2)}

DEVANAGARI = re.compile("[\u0900-\u097f]")
# printf-style placeholders: %(name)s, %s, %d, ... and a literal %%
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]")

FIX = ("run the commands in docs/i18n.md: pybabel extract, pybabel update, "
       "translate in web/locale/hi/LC_MESSAGES/messages.po, pybabel compile")


def _method_map() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping  # Babel < 2.15
    with open(BABEL_CFG, encoding="utf-8") as f:
        return parse(f, filename=str(BABEL_CFG))


def _extracted() -> dict[str | tuple[str, ...], list[str]]:
    """msgid -> where it was found, re-extracted from the sources as `pybabel extract` would."""
    method_map, options_map = _method_map()
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        assert context is None, f"{filename}:{lineno}: message contexts (pgettext) are not used here"
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def _catalog():
    with open(PO, "rb") as f:
        return read_po(f, locale="hi")


def test_babel_cfg_covers_python_and_templates():
    method_map, options_map = _method_map()
    patterns = dict(method_map)
    assert patterns.get("web/**.py") == "python"
    assert patterns.get("core/**.py") == "python"
    assert patterns.get("web/templates/**.html") in ("jinja2", "jinja2.ext.babel_extract", "jinja2.ext:babel_extract")
    assert options_map["web/templates/**.html"]["extensions"] == "jinja2.ext.i18n"


def test_every_marked_string_is_translated_to_hindi():
    extracted = _extracted()
    # Sanity: both the Python modules and the templates were scanned.
    assert "Counter operator" in extracted, "web/labels.py N_() strings were not extracted"
    assert "Log in" in extracted, "template {{ _() }} strings were not extracted"

    catalog = _catalog()
    problems: list[str] = []
    for msgid, where in sorted(extracted.items(), key=lambda kv: str(kv[0])):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalog.get(key)
        at = ", ".join(where[:3])
        if message is None:
            problems.append(f"missing from messages.po: {msgid!r} ({at})")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy (check and remove the flag): {msgid!r} ({at})")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(msgid, tuple) and ids != msgid:
            problems.append(f"plural form differs in messages.po: {msgid!r} ({at})")
        for s in strings:
            if not s or not s.strip():
                problems.append(f"not translated: {msgid!r} ({at})")
            elif not DEVANAGARI.search(s):
                problems.append(f"translation has no Devanagari: {msgid!r} -> {s!r} ({at})")
            elif sorted(PLACEHOLDER.findall(s)) != sorted(PLACEHOLDER.findall(ids[0])):
                problems.append(f"placeholders differ: {msgid!r} -> {s!r} ({at})")
    assert not problems, f"{len(problems)} problem(s) in the Hindi catalog; {FIX}:\n" + "\n".join(problems)


def test_catalog_has_no_fuzzy_or_empty_entries():
    catalog = _catalog()
    assert not catalog.fuzzy, "the messages.po header is marked fuzzy"
    bad = [m.id for m in catalog if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,)))]
    assert not bad, f"fuzzy or untranslated entries in messages.po; {FIX}: {bad}"


def _parsed_mo(data: bytes) -> dict:
    """The messages of a .mo, with the Babel version line of the header left out."""
    messages = dict(gettext.GNUTranslations(io.BytesIO(data))._catalog)  # type: ignore[attr-defined]
    header = messages.pop("", "")
    messages[""] = "".join(line for line in header.splitlines(keepends=True) if not line.startswith("Generated-By:"))
    return messages


def test_committed_mo_matches_po():
    assert MO.exists(), f"{MO.relative_to(ROOT)} is missing; {FIX}"
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(), use_fuzzy=False)  # what `pybabel compile` does
    committed = MO.read_bytes()
    if compiled.getvalue() == committed:
        return
    # Not byte-identical: accept a .mo written by another Babel version with the same messages.
    fresh, stale = _parsed_mo(compiled.getvalue()), _parsed_mo(committed)
    differ = sorted(str(k) for k in fresh.keys() | stale.keys() if fresh.get(k) != stale.get(k))
    assert not differ, f"messages.mo is stale (run pybabel compile, see docs/i18n.md); differing msgids: {differ[:20]}"


@pytest.fixture
def hindi():
    from emitra.web import i18n

    i18n.translations.cache_clear()
    token = i18n.current_lang.set("hi")
    try:
        yield i18n
    finally:
        i18n.current_lang.reset(token)
        i18n.translations.cache_clear()


def test_gettext_returns_hindi(hindi):
    assert hindi.gettext_("Log in") == "लॉग इन करें"
    assert hindi.gettext_("Receipt") == "रसीद"
    from emitra.web.labels import label

    assert label("role.operator") == "काउंटर ऑपरेटर"
    assert label("kind.janmitra") == "जनमित्र कियोस्क (ग्रामीण)"


def test_gettext_english_is_the_msgid():
    from emitra.web import i18n

    token = i18n.current_lang.set("en")
    try:
        assert i18n.gettext_("Log in") == "Log in"
    finally:
        i18n.current_lang.reset(token)


def test_login_page_renders_in_hindi(hindi):
    from emitra.web.templating import templates

    request = SimpleNamespace(url=SimpleNamespace(path="/login"))
    html = templates.env.get_template("login.html").render(
        request=request, user=None, lang="hi", csrf_token="x", next="/", username="", error=None
    )
    assert '<html lang="hi">' in html
    assert "<h1>लॉग इन करें</h1>" in html
    assert "उपयोगकर्ता नाम" in html and "पासवर्ड" in html
    assert ">Log in<" not in html and ">Username<" not in html

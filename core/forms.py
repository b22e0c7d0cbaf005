"""Service forms: JSON Schema validation with messages per field in English and Hindi, turning
posted form text into JSON, and the form's shape for a renderer (conditional fields, steps).

Field names are paths: ``address.pin`` for a nested object, ``members.0.name`` for the first row
of an array of objects. Validators are compiled once per schema and cached: ``jsonschema.validate()``
re-checks the schema on every call (~3 ms) against ~70 µs for a compiled validator.

Conventions a form may use besides standard JSON Schema (2020-12):

- ``x-title-hi``, ``x-description-hi``: Hindi label and help;
- ``x-error-en``, ``x-error-hi``: what to say when a value does not match its ``pattern``;
- ``x-enum-labels``, ``x-enum-labels-hi``: labels for an ``enum``, in the same order;
- ``x-inputmode``: the keyboard a touch screen should show (numeric, tel, decimal);
- ``x-upload``: ``{"accept": [...MIME types], "max_kb": N}`` on a string property: a scanned
  document; the value is the uploaded document's id;
- ``x-steps`` (top level): ``[{"title": ..., "x-title-hi": ..., "fields": [...]}]``: a multi-step
  form; each step lists top-level properties (a property of an ``if/then/else`` branch may be listed
  too: it shows when its branch applies), and every property is in a step (checked at load);
- ``x-rows`` (on an array of objects): how many empty rows a form shows (default 2; 1 to 20);
- ``x-money: true`` (on an ``integer`` field of whole rupees or a ``number`` field of rupees and
  paise): an amount of money, typed as the counter's money boxes take one (:func:`money_field`);
- ``x-percent: true`` (on an ``integer`` or ``number`` field): a share in per cent, typed with its
  sign or without (``60%``, ``60 %``, ``60``) (:func:`percent_field`).

A field for a time of day (``format: time``, or a ``pattern`` that takes HH:MM times) takes a time
as people write it, ``7.35`` or ``7:35 pm``, as ``07:35`` or ``19:35`` (:func:`time_field`).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Iterable, Protocol

import jsonschema

from emitra.core.money import AmountError, format_paise, indian_digits, parse_rupees
from emitra.core.text import ascii_digits, day_first, without_percent_sign


@dataclass
class FieldMessage:
    field: str
    en: str
    hi: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message_en": self.en, "message_hi": self.hi}


class FormErrors(ValueError):
    """One or more fields are wrong; nothing has been written."""

    def __init__(self, errors: list[FieldMessage]):
        super().__init__("; ".join(f"{e.field}: {e.en}" for e in errors))
        self.errors = errors

    def by_field(self, lang: str = "en") -> dict[str, str]:
        out: dict[str, str] = {}
        for e in self.errors:
            out.setdefault(e.field, e.hi if lang == "hi" else e.en)
        return out


_compiled: dict[int, tuple[dict[str, Any], Any]] = {}


@lru_cache(maxsize=512)
def _validator_from_json(schema_json: str):
    return jsonschema.Draft202012Validator(json.loads(schema_json), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def validator_for(schema: dict[str, Any]):
    """The compiled validator of ``schema``, cached by identity (declared forms live as long as the process)."""
    hit = _compiled.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    validator = _validator_from_json(json.dumps(schema, sort_keys=True))
    if len(_compiled) < 4096:
        _compiled[id(schema)] = (schema, validator)
    return validator


# --- the shape of a form -------------------------------------------------------------------------

def _branch_applies(condition: dict[str, Any], data: dict[str, Any]) -> bool:
    return validator_for(condition).is_valid(data)


def effective(schema: dict[str, Any], data: dict[str, Any] | None) -> dict[str, Any]:
    """The object schema with the ``then``/``else`` branches that apply to ``data`` merged in.

    Used to decide which fields to show and what to call them; validation itself uses the full
    schema (jsonschema evaluates the conditions).
    """
    data = data or {}
    out = dict(schema)
    out["properties"] = dict(schema.get("properties", {}))
    out["required"] = list(schema.get("required", []))
    conditionals = [schema] + [s for s in schema.get("allOf", []) if isinstance(s, dict)]
    for part in conditionals:
        if "if" not in part:
            continue
        branch = part.get("then") if _branch_applies(part["if"], data) else part.get("else")
        if isinstance(branch, dict):
            branch = effective(branch, data)
            for name, prop in branch.get("properties", {}).items():
                out["properties"][name] = {**out["properties"].get(name, {}), **prop} if name in out["properties"] else prop
            out["required"] += [r for r in branch.get("required", []) if r not in out["required"]]
    return out


def conditional_names(schema: dict[str, Any]) -> set[str]:
    """Every property named in any ``then``/``else`` branch (shown only when its branch applies)."""
    names: set[str] = set()
    for part in [schema] + [s for s in schema.get("allOf", []) if isinstance(s, dict)]:
        for key in ("then", "else"):
            branch = part.get(key)
            if isinstance(branch, dict):
                names |= set(branch.get("properties", {})) | conditional_names(branch)
    return names


def all_properties(schema: dict[str, Any]) -> dict[str, Any]:
    """Base properties and those of every branch (for labels of any field that may show)."""
    props = dict(schema.get("properties", {}))
    for part in [schema] + [s for s in schema.get("allOf", []) if isinstance(s, dict)]:
        for key in ("then", "else"):
            branch = part.get(key)
            if isinstance(branch, dict):
                for name, prop in all_properties(branch).items():
                    props.setdefault(name, prop)
    return props


def steps(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The form's steps; a form without ``x-steps`` is one step with every top-level field."""
    declared = schema.get("x-steps")
    if declared:
        return declared
    return [{"title": schema.get("title", ""), "x-title-hi": schema.get("x-title-hi", ""), "fields": list(all_properties(schema))}]


def upload_fields(schema: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, dict[str, Any]]]:
    """(path, x-upload spec) of every document field, nested ones included."""
    for name, prop in all_properties(schema).items():
        path = f"{prefix}{name}"
        if "x-upload" in prop:
            yield path, prop["x-upload"]
        elif prop.get("type") == "object":
            yield from upload_fields(prop, path + ".")


# --- messages ------------------------------------------------------------------------------------

def _prop_at(schema: dict[str, Any], path: list[Any], data: Any) -> dict[str, Any]:
    node: dict[str, Any] = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {}) if isinstance(node.get("items"), dict) else {}
        else:
            node = all_properties(effective(node, data if isinstance(data, dict) else {})).get(part, {})
        data = None
    return node


def _labels(prop: dict[str, Any], fallback: str) -> tuple[str, str]:
    en = prop.get("title", fallback)
    return en, prop.get("x-title-hi", en)


def _path_name(path: Iterable[Any]) -> str:
    return ".".join(str(p) for p in path)


def _message(schema: dict[str, Any], data: dict[str, Any], error: jsonschema.ValidationError) -> FieldMessage:
    path = list(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        extra = re.findall(r"'([^']+)'", error.message.split("(")[-1]) or ["?"]
        name = _path_name(path + [extra[0]])
        return FieldMessage(name, f"This form has no field '{extra[0]}'; leave it out.", f"इस फ़ॉर्म में '{extra[0]}' नाम का कोई फ़ील्ड नहीं है; इसे हटा दें।")
    if error.validator == "required":
        match = re.match(r"'([^']+)' is a required property", error.message)
        missing = match.group(1) if match else ""
        path = path + [missing]
        en, hi = _labels(_prop_at(schema, path, data), missing)
        return FieldMessage(_path_name(path), f"{en} is required.", f"{hi} आवश्यक है।")
    prop = _prop_at(schema, path, data)
    name = _path_name(path) or "(form)"
    en, hi = _labels(prop, name)
    kind = error.validator
    if kind == "pattern" and (prop.get("x-error-en") or prop.get("x-error-hi")):
        return FieldMessage(name, prop.get("x-error-en", ""), prop.get("x-error-hi", prop.get("x-error-en", "")))
    if kind == "type" and money_field(prop) and isinstance(error.instance, str) and (said := _money_refusal(prop, en, hi, error.instance)):
        return FieldMessage(name, *said)
    if kind == "pattern" and time_field(prop):  # not one time of day for certain (7.5, 7, 19:35 pm)
        return FieldMessage(name, f"{en}: write the time as HH:MM on the 24-hour clock (07:35, 19:35), or with am or pm (7:35 pm).",
                            f"{hi}: समय 24 घंटे की घड़ी में घंटा:मिनट लिखें (07:35, 19:35), या am/pm के साथ (7:35 pm)।")
    value = error.validator_value
    texts = {
        "pattern": (f"{en} is not in the expected format.", f"{hi} अपेक्षित प्रारूप में नहीं है।"),
        "minLength": (f"{en} needs at least {value} characters.", f"{hi} में कम से कम {value} अक्षर चाहिए।"),
        "maxLength": (f"{en} can have at most {value} characters.", f"{hi} में अधिकतम {value} अक्षर हो सकते हैं।"),
        "minimum": (f"{en} must be at least {value}.", f"{hi} कम से कम {value} होना चाहिए।"),
        "maximum": (f"{en} must be at most {value}.", f"{hi} अधिकतम {value} हो सकता है।"),
        "exclusiveMinimum": (f"{en} must be more than {value}.", f"{hi} {value} से अधिक होना चाहिए।"),
        "enum": (f"{en}: choose one of the listed options{_few(value, prop, 'en')}.",
                 f"{hi}: दिए गए विकल्पों में से एक चुनें{_few(value, prop, 'hi')}।"),
        "const": _const(en, hi, value),
        "format": ((f"{en} is not a date: write it as DD-MM-YYYY (12-03-1978) or YYYY-MM-DD (1978-03-12).",
                    f"{hi} तारीख नहीं है: DD-MM-YYYY (12-03-1978) या YYYY-MM-DD (1978-03-12) में लिखें।") if value == "date" else
                   (f"{en} is not a valid {value}.", f"{hi} मान्य {value} नहीं है।")),
        "type": _type_message(en, hi, value, prop),
        "minItems": (f"{en}: give at least {value}.", f"{hi}: कम से कम {value} दें।"),
        "maxItems": (f"{en}: give at most {value}.", f"{hi}: अधिकतम {value} दें।"),
    }
    en_msg, hi_msg = texts.get(kind, (f"{en}: {error.message}", f"{hi}: {error.message}"))
    return FieldMessage(name, en_msg, hi_msg)


def _few(options: Any, prop: dict[str, Any] | None = None, lang: str = "en") -> str:
    """The allowed values in brackets, when they are few enough to read: by the labels the form
    shows for them (``x-enum-labels``, ``x-enum-labels-hi``), else as they are."""
    if not (isinstance(options, list) and 0 < len(options) <= 12):
        return ""
    prop = prop or {}
    labels = prop.get("x-enum-labels-hi" if lang == "hi" else "x-enum-labels") or prop.get("x-enum-labels")
    if prop.get("enum") == options and isinstance(labels, list) and len(labels) == len(options):
        return " (" + ", ".join(str(o) for o in labels) + ")"
    return " (" + ", ".join(str(o) for o in options) + ")"


#: what a JSON type is called in a message (English, Hindi): never the schema's own word
_TYPE_NAMES = {
    "integer": ("a whole number, such as 1500 or 2,50,000", "पूर्ण संख्या होनी चाहिए, जैसे 1500 या 2,50,000"),
    "number": ("a number, such as 1500 or 2,50,000.50", "संख्या होनी चाहिए, जैसे 1500 या 2,50,000.50"),
    "string": ("text", "टेक्स्ट होना चाहिए"),
    "boolean": ("true or false (a ticked or unticked box)", "true या false (सही का निशान लगा या खाली बॉक्स) होना चाहिए"),
    "array": ("a list", "सूची होनी चाहिए"),
    "object": ("a group of fields", "फ़ील्ड का समूह होना चाहिए"),
    "null": ("left empty", "खाली होना चाहिए"),
}


def _bound(number: int | float) -> str:
    """A field's bound as its description writes it: 5,000 and 1,00,000 (Indian digit grouping)."""
    whole = isinstance(number, int) or number.is_integer()  # (not money: a bound of the form's own field)
    return indian_digits(int(number)) if whole else str(number)


def _type_message(en: str, hi: str, value: Any, prop: dict[str, Any] | None = None) -> tuple[str, str]:
    kinds = [value] if isinstance(value, str) else [k for k in value if isinstance(k, str)] if isinstance(value, list) else []
    low, high = (prop or {}).get("minimum"), (prop or {}).get("maximum")
    numeric = (int, float)
    if kinds in (["integer"], ["number"]) and isinstance(low, numeric) and isinstance(high, numeric) and not isinstance(low, bool) \
            and not isinstance(high, bool):
        # a field with bounds (an age, a number of seats, a share in %): the bounds say what to type,
        # never an example the field would refuse (an age "such as 1500 or 2,50,000")
        a, b = _bound(low), _bound(high)
        if kinds == ["integer"]:
            return f"{en} must be a whole number from {a} to {b}.", f"{hi} {a} से {b} तक की पूर्ण संख्या होनी चाहिए।"
        return f"{en} must be a number from {a} to {b}.", f"{hi} {a} से {b} तक की संख्या होनी चाहिए।"
    names = [_TYPE_NAMES[k] for k in kinds if k in _TYPE_NAMES] or [_TYPE_NAMES["string"]]
    return (f"{en} must be " + " or ".join(n[0] for n in names) + ".",
            f"{hi} " + " या ".join(n[1] for n in names) + "।")


def _const(en: str, hi: str, value: Any) -> tuple[str, str]:
    if value is True:  # a declaration checkbox
        return f"{en}: this box must be ticked.", f"{hi}: इस बॉक्स पर सही का निशान लगाना आवश्यक है।"
    return f"{en} must be {value}.", f"{hi} {value} होना चाहिए।"


def _errors(schema: dict[str, Any], data: dict[str, Any], keep: bool = True) -> list[FieldMessage]:
    validator = validator_for(schema) if keep else _validator_from_json(json.dumps(schema, sort_keys=True))
    errors = list(validator.iter_errors(data))
    # a code of the wrong shape is told its shape (the pattern's own message), not only its length
    # ("at most 11 characters" of an IFSC typed "SBIN 00012345" says less, and counts the space); a
    # pattern without its message ("not in the expected format") leaves the length's, which says more
    shaped = {tuple(e.absolute_path) for e in errors if e.validator == "pattern"
              and _prop_at(schema, list(e.absolute_path), data).get("x-error-en")}
    errors = [e for e in errors if not (e.validator in ("minLength", "maxLength") and tuple(e.absolute_path) in shaped)]
    found = [_message(schema, data, e) for e in errors]
    order = list(all_properties(schema))
    found.sort(key=lambda m: order.index(m.field.split(".")[0]) if m.field.split(".")[0] in order else len(order))
    return found


def field_errors(schema: dict[str, Any], data: dict[str, Any], keep: bool = True) -> list[FieldMessage]:
    """What is wrong with ``data``, field by field, in form order (empty when nothing is).
    ``keep=False`` for a schema made for one check (a default's, core/plugins): its validator is
    not kept among the declared forms' (:func:`validator_for`)."""
    return _errors(schema, data, keep)


def validate(schema: dict[str, Any], data: dict[str, Any]) -> None:
    """Raise :class:`FormErrors` listing every wrong field, in form order."""
    errors = _errors(schema, data)
    if errors:
        raise FormErrors(errors)


def validate_step(schema: dict[str, Any], data: dict[str, Any], step: int) -> None:
    """Check only the fields of steps up to ``step`` (0-based): the later ones are not filled yet."""
    shown = {name for s in steps(schema)[: step + 1] for name in s.get("fields", [])}
    errors = [e for e in _errors(schema, data) if e.field.split(".")[0] in shown]
    if errors:
        raise FormErrors(errors)


# --- posted text to JSON -------------------------------------------------------------------------

class Posted(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


class _Plain:
    """A plain dict seen as posted form data."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    def get(self, key: str, default: Any = None) -> Any:
        value = self.raw.get(key, default)
        return value[0] if isinstance(value, list) and value else value

    def getlist(self, key: str) -> list[Any]:
        value = self.raw.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def keys(self):
        return self.raw.keys()


#: digits grouped the Indian way (2,50,000) or the Western way (250,000), by commas or spaces, with
#: an optional sign and decimals; a separator anywhere else (25,0000) is not grouping
_GROUPED = re.compile(r"^([+-]?)(\d{1,2}(?:[,\s]\d{2})*[,\s]\d{3}|\d{1,3}(?:[,\s]\d{3})+)(\.\d+)?$")


def _ungroup(text: str) -> str:
    """``2,50,000`` -> ``250000``: digit grouping typed into a number field is taken out."""
    match = _GROUPED.match(text)
    if not match:
        return text
    return match.group(1) + re.sub(r"[,\s]", "", match.group(2)) + (match.group(3) or "")


#: a date typed day first, as dates are written in India (12-03-1978, 12/03/1978, 12.3.1978): a
#: counter's browser without a date picker shows a plain text box, and the operator types it so
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def _iso_date(text: str) -> str:
    """``12-03-1978`` -> ``1978-03-12`` when it is a date; anything else as it was (validation names it)."""
    match = _DAY_FIRST.match(text)
    if not match:
        return text
    try:
        return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1))).isoformat()
    except ValueError:  # 31-02-2026: no such day, refused by the format check as typed
        return text


#: what people put inside a code or number of a set shape: spaces (of any kind) and dashes
_GAPS = re.compile(r"[\s\u00a0\u2010-\u2015\-]+")


def fit_to_pattern(prop: dict[str, Any], text: str) -> str:
    """What a value typed into a text field is checked as: its ends trimmed and, for a code of a set
    shape (a ``pattern``: an IFSC, a K-number, a cheque number), Hindi digits as ASCII ones and the
    spaces, dashes or small letters it was typed with taken out when the pattern then takes it
    (:func:`_fitted`). For a caller that is handed the value whole (an API's payment details)."""
    text = text.strip()
    return _fitted(str(prop["pattern"]), ascii_digits(text)) if prop.get("pattern") else text


def typed_max_length(prop: dict[str, Any]) -> int | None:
    """How many characters a field's box takes as typed (the ``maxlength`` attribute): the field's
    ``maxLength``, but twice it for a code of a set shape (a ``pattern``), which is typed with a space
    or a dash between its groups ("SBIN 0001234" for an 11-character IFSC) that :func:`fit_to_pattern`
    takes out; a box cut at ``maxLength`` lost the code's last characters in the browser."""
    limit = prop.get("maxLength")
    if not isinstance(limit, int) or isinstance(limit, bool):
        return None
    return 2 * limit if prop.get("pattern") else limit


def _fitted(pattern: str, text: str) -> str:
    """``text`` as its field's ``pattern`` wants it, when it is refused only for how it was typed:
    in groups (``2104 1234 5678`` for a K-number, ``98290 12345`` for a mobile), or in small letters
    (``mn00004217`` for a property ID of capital letters). A value the pattern takes stays as typed,
    and one it refuses whichever way it is written is kept as typed, so that the refusal shows it."""
    try:
        if re.search(pattern, text):
            return text
        compact = _GAPS.sub("", text)
        return next((c for c in (text.upper(), compact, compact.upper()) if re.search(pattern, c)), text)
    except re.error:  # (the plugin check refuses such a pattern: decision 119)
        return text


#: a time of day as people write it: 7:35, 7.35, 07:35, 19:35, 7:35 pm, 7.35 p.m., 7 pm; the minutes
#: in two digits (7.5 could be 07:05 or 07:30), an hour alone only with am/pm (7 could be morning or evening)
_CLOCK = re.compile(r"^(\d{1,2})(?:\s*[:.]\s*(\d{2}))?\s*(?:([ap])\.?\s*m\.?)?$", re.IGNORECASE)


def time_field(prop: dict[str, Any]) -> bool:
    """A field for a time of day: ``format: time``, or a ``pattern`` that takes HH:MM times (the
    RSRTC departure's ``^([01][0-9]|2[0-3]):[0-5][0-9]$``)."""
    if prop.get("type") not in (None, "string"):
        return False
    if prop.get("format") == "time" and not prop.get("pattern"):
        return True
    return bool(prop.get("pattern")) and _takes_times(str(prop["pattern"]))


@lru_cache(maxsize=256)
def _takes_times(pattern: str) -> bool:
    try:
        return all(re.search(pattern, t) for t in ("00:00", "07:35", "23:59"))
    except re.error:
        return False


def _clock(text: str) -> str | None:
    """``7.35`` -> ``07:35``, ``7:35 pm`` -> ``19:35``, ``12:10 am`` -> ``00:10``; None when it is not
    one time of day for certain (``7.5``, ``7``, ``19:35 pm``, ``25:00``)."""
    match = _CLOCK.match(text.strip())
    if not match or (match[2] is None and match[3] is None):
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def _time(prop: dict[str, Any], text: str) -> str:
    """A time of day typed into a time field, as the field takes it (HH:MM on the 24-hour clock)
    when it is one for certain; else as typed, for the field's check to refuse naming the field."""
    pattern = str(prop.get("pattern") or "")
    try:
        if pattern and re.search(pattern, text):
            return text
        clock = _clock(text)
        return clock if clock and (not pattern or re.search(pattern, clock)) else text
    except re.error:
        return text


def money_field(prop: dict[str, Any]) -> bool:
    """A field for an amount of money (``x-money: true``): whole rupees in an ``integer`` field, rupees
    and paise in a ``number`` one. Typed at the counter it takes what the money boxes take
    (:func:`emitra.core.money.parse_rupees`): ``₹350``, ``Rs 350``, ``Rs. 350/-``, ``1,483.50``, ``रु. ३५०``."""
    return prop.get("x-money") is True and prop.get("type") in ("integer", "number")


def percent_field(prop: dict[str, Any]) -> bool:
    """A field for a share in per cent (``x-percent: true`` on an ``integer`` or ``number`` field): a
    ``%`` typed after the number, with spaces round it, is its unit and is taken away
    (:func:`emitra.core.text.without_percent_sign`); the number is then read and checked as any
    number of its type (its ``minimum`` and ``maximum`` included)."""
    return prop.get("x-percent") is True and prop.get("type") in ("integer", "number")


def _rupees(prop: dict[str, Any], text: str) -> Any:
    """An amount typed into a money field as its type holds it (whole rupees an ``int``, rupees and
    paise a ``Decimal``); as typed when it is not one for certain, for the check to refuse naming
    the field (:func:`_money_refusal`), and so is paise typed into a field of whole rupees."""
    try:
        paise = parse_rupees(text)
    except AmountError:
        return text
    if paise % 100 == 0:
        return paise // 100
    return text if prop.get("type") == "integer" else Decimal(paise) / 100


def _money_refusal(prop: dict[str, Any], en: str, hi: str, typed: str) -> tuple[str, str] | None:
    """Why ``typed`` is not an amount for a money field, naming the field and what to type (the
    money boxes' reasons: a decimal comma, three decimals, paise in whole rupees); None when it is
    one, or no number at all (the field's type says what to type: "a whole number, such as 1500")."""
    try:
        paise = parse_rupees(typed)
    except AmountError as exc:  # (no number at all: the field's type says what to type)
        return None if exc.unreadable else (f"{en}: {exc}", f"{hi}: {exc.message_hi}")
    if prop.get("type") == "integer" and paise % 100:
        rupees = paise // 100
        return (f"{en} is in whole rupees, with no paise: type {rupees} or {rupees + 1}.",
                f"{hi} पूरे रुपयों में है, पैसे नहीं: {rupees} या {rupees + 1} लिखें।")
    return None


def _scalar(prop: dict[str, Any], value: Any) -> Any:
    kind = prop.get("type")
    text = without_percent_sign(str(value)) if percent_field(prop) else str(value).strip()
    if kind == "string" and prop.get("format") == "date":
        return _iso_date(ascii_digits(text))
    if time_field(prop):
        return _time(prop, ascii_digits(text))
    if kind == "string" and prop.get("pattern"):
        # a number of a set shape (a K-number, a policy or cheque number) typed on a Hindi keyboard:
        # ९८२९... is 9829..., as the bill prints it; free text (an address, a name) keeps its digits
        return fit_to_pattern(prop, text)
    if kind == "integer":
        try:
            return int(_ungroup(text))
        except ValueError:
            return _rupees(prop, text) if money_field(prop) else text
    if kind == "number":
        number = _ungroup(text)
        try:
            return int(number) if number.lstrip("+-").isdigit() else Decimal(number)
        except InvalidOperation:
            return _rupees(prop, text) if money_field(prop) else text
    return text


def _coerce_object(schema: dict[str, Any], raw: Any, prefix: str, keys: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    props = all_properties(schema)
    booleans = []
    for name, prop in props.items():
        path = f"{prefix}{name}"
        kind = prop.get("type")
        if kind == "object":
            sub = _coerce_object(prop, raw, path + ".", keys)
            if sub:
                data[name] = sub
        elif kind == "array":
            items = prop.get("items", {}) if isinstance(prop.get("items"), dict) else {}
            if items.get("type") == "object":
                rows = sorted({int(m.group(1)) for k in keys if (m := re.match(re.escape(path) + r"\.(\d+)\.", k))})
                values = [row for i in rows if (row := _coerce_object(items, raw, f"{path}.{i}.", keys))]
            else:
                values = [_scalar(items, v) for v in raw.getlist(path) if str(v).strip() != ""]
            if values or path in keys:
                data[name] = values
        elif kind == "boolean":
            booleans.append((name, path))
        else:
            value = raw.get(path)
            if value is not None and str(value).strip() != "":
                data[name] = _scalar(prop, value)
    for name, path in booleans:  # an unticked checkbox posts nothing: that is False
        data[name] = raw.get(path) in ("on", "true", "1", "yes", True)
    # Fields of if/then/else branches that do not apply to what was posted are left out.
    shown = effective(schema, data)["properties"]
    return {name: value for name, value in data.items() if name in shown}


def coerce(schema: dict[str, Any], raw: Posted | dict[str, Any]) -> dict[str, Any]:
    """Turn posted form text into the JSON the schema asks for. Empty fields are left out.

    A value that cannot be converted is kept as text, so validation names the field.
    """
    posted = raw if hasattr(raw, "getlist") else _Plain(dict(raw))
    keys = [str(k) for k in posted.keys()]
    return _coerce_object(schema, posted, "", keys)


def flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The inverse of :func:`coerce`: (field path, text) pairs, to carry data in hidden inputs."""
    out: list[tuple[str, str]] = []
    for name, value in data.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            out += flatten(value, path + ".")
        elif isinstance(value, list):
            if value and all(isinstance(v, dict) for v in value):
                for i, row in enumerate(value):
                    out += flatten(row, f"{path}.{i}.")
            else:
                out += [(path, str(v)) for v in value]
        elif isinstance(value, bool):
            out.append((path, "on" if value else ""))
        else:
            out.append((path, str(value)))
    return out


def _shown(prop: dict[str, Any], text: str) -> tuple[str, str]:
    """A value as pages write it, in English and Hindi: a date as DD-MM-YYYY (the form takes and
    stores YYYY-MM-DD), and so is a field's ISO date or month without ``format: date`` (a month as
    "Oct 2026", :func:`emitra.core.text.day_first`); a code of a set shape (a ``pattern``) as it is."""
    if prop.get("format") == "date":
        try:
            return (shown := f"{dt.date.fromisoformat(text):%d-%m-%Y}"), shown
        except ValueError:
            return text, text
    if money_field(prop):
        return (shown := _amount_shown(prop, text)), shown
    if prop.get("pattern") or prop.get("type") not in (None, "string"):
        return text, text
    return day_first(text)


def _amount_shown(prop: dict[str, Any], text: str) -> str:
    """An amount of a money field (``x-money``) in the Indian digit grouping, as receipts write
    rupees: whole rupees 180000 as 1,80,000, rupees and paise 1483.5 as 1,483.50 (the label names
    the currency); as stored when it is no amount."""
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation:
        return text
    if not amount.is_finite():
        return text
    if prop.get("type") == "integer" and amount == amount.to_integral_value():
        return indian_digits(int(amount))
    paise = amount * 100
    return format_paise(int(paise), symbol=False) if paise == paise.to_integral_value() else text


def choice_labels(prop: dict[str, Any], value: Any) -> tuple[str, str] | None:
    """(English, Hindi) label of one of an ``enum``'s values, as the form's drop-down shows it
    (``x-enum-labels``, ``x-enum-labels-hi``; the Hindi defaults to the English, the English to the
    value itself); None when ``value`` is not one of them. A value is compared as text, so ``2`` and
    ``"2"`` are the same choice."""
    options = [str(v) for v in prop.get("enum") or []] if isinstance(prop, dict) else []
    if str(value) not in options:
        return None
    i = options.index(str(value))

    def label(key: str, default: list[Any]) -> str:
        labels = prop.get(key)
        return str(labels[i]) if isinstance(labels, list) and len(labels) == len(options) else str(default[i])

    en = label("x-enum-labels", prop["enum"])
    return en, label("x-enum-labels-hi", [en] * len(options))


def describe(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    """(label_en, label_hi, value_en, value_hi) of each filled field, as people read it, with its
    ``field`` path (``passengers.0.age``): enum values by their labels, dates as DD-MM-YYYY (a month
    as "Oct 2026"), a ticked box as Yes (हाँ): for the counter's confirmation page and the officer's
    case page."""
    out = []
    for path, text in flatten(data):
        parts: list[Any] = [int(p) if p.isdigit() else p for p in path.split(".")]
        prop = _prop_at(schema, parts, data)
        if not prop and parts and isinstance(parts[-1], str):
            prop = _prop_at(schema, parts[:-1], data)
        en, hi = _labels(prop, path)
        enum_src = prop if "enum" in prop else prop.get("items", {}) if isinstance(prop.get("items"), dict) else {}
        value_en, value_hi = _shown(prop, text)
        if prop.get("type") == "boolean":
            value_en, value_hi = ("Yes", "हाँ") if text == "on" else ("No", "नहीं")
        elif (labels := choice_labels(enum_src, text)) is not None:
            value_en, value_hi = labels
        row = [p for p in parts if isinstance(p, int)]
        suffix = f" ({row[0] + 1})" if row else ""
        out.append({"field": path, "label_en": en + suffix, "label_hi": hi + suffix, "value_en": value_en, "value_hi": value_hi})
    return out


def parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def deep_copy(schema: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(schema)

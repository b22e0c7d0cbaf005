"""The plugin manager: discovers plugins by the entry-point group ``emitra`` and checks what they declare.

Built-in plugins are entry points of the emitra distribution itself, so they are discovered
exactly like a partner's. ``EMITRA_PLUGINS`` (comma-separated entry-point names) limits which load.
The built-ins' codes (core/builtin_codes.py) are theirs whether they are loaded or not.
"""

from __future__ import annotations

import difflib
import hashlib
import inspect
import json
import logging
import os
import re
import sysconfig
import unicodedata
from dataclasses import dataclass
from importlib.metadata import entry_points, version
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable

import jsonschema
import pluggy

from emitra.core import builtin_codes, hookspecs
from emitra.core.money import paise_problem
from emitra.core.services import NOT_GIVEN, REQUIRED_FIELDS, Category, Domain, FeeRule, Payer, Service, Workflow

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "emitra"
CHECKED_FORMS_FILE = "checked-forms.json"  # in the data directory: see CheckedForms
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def is_hindi(text: Any) -> bool:
    """Whether ``text`` is written in Devanagari: it has no fewer Devanagari letters (vowel signs
    included) than Latin ones. An abbreviation may stand in it ("बिजली बिल – JVVNL", "EPIC नंबर");
    an English title with a Hindi word added ("Gas cylinder booking भुगतान") is not Hindi."""
    if not isinstance(text, str):
        return False
    devanagari = sum(1 for ch in text if "\u0900" <= ch <= "\u097f" and unicodedata.category(ch)[0] in "LM")
    return devanagari > 0 and devanagari >= len(_LATIN_LETTER.findall(text))


_CORE_DIR = str(Path(__file__).resolve().parent)
#: Python's own library (importlib, tomllib...): never the place of a partner's mistake
_STDLIB_DIR = os.path.realpath(sysconfig.get_paths()["stdlib"])


def _partners_file(name: str) -> bool:
    """Whether a traceback's file may be the plugin's own: not emitra's core, nor Python's library
    (a plugin installed into Python's own site-packages is the plugin's)."""
    real = os.path.realpath(name)
    if name.startswith("<frozen") or real.startswith(_CORE_DIR):  # emitra reached by a symlink too
        return False
    return not real.startswith(_STDLIB_DIR + os.sep) or "site-packages" in real or "dist-packages" in real


def failure(exc: BaseException) -> str:
    """An exception a plugin raised, as a refusal says it: its type, its message, and the plugin's
    line it came from (the innermost one outside emitra's core), e.g. ``RuntimeError: config
    missing (at /src/emitra_swift/courier.py, line 40)``: ``Payer.SOCIETY`` fails inside the core's
    enum, and the partner looks for it in their own file. Python's own library is not the place
    either: an entry point naming a module that does not exist fails inside ``importlib``."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if _partners_file(name):
            where = f" (at {name}, line {tb.tb_lineno})"
        tb = tb.tb_next
    return f"{type(exc).__name__}: {exc}{where}"


@dataclass
class Refusal:
    """A plugin, or one of its services, that was not loaded, and why."""

    plugin: str
    field: str
    message: str
    service_code: str = ""

    def __str__(self) -> str:
        what = f"service {self.service_code!r} of plugin {self.plugin!r}" if self.service_code else f"plugin {self.plugin!r}"
        return f"{what} refused: {self.field}: {self.message}"


class DeclarationError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


#: what an empty identity field must say instead
_WHAT_TO_WRITE = {
    "title_en": "write the service's name in English, e.g. 'Electricity bill – JVVNL'",
    "title_hi": "write the service's name in Hindi, in Devanagari script, e.g. 'बिजली बिल – JVVNL'",
    "provider": "name the department or partner that provides the service, e.g. 'Jaipur Vidyut Vitran Nigam Ltd'",
}


#: what a required field left out of Service(...) must be given as
_TO_GIVE = _WHAT_TO_WRITE | {
    "code": "the service's code, dotted lowercase and beginning with your domain and name, e.g. 'pvt.yourname.booking'",
    "domain": "Domain.GOVERNMENT, Domain.CENTRAL or Domain.PRIVATE",
    "category": "one of " + ", ".join(f"Category.{c.name}" for c in Category),
    "form": "a JSON Schema of \"type\": \"object\" with \"properties\", the fields the counter asks for",
    "fee": "FeeRule(payer=Payer.CITIZEN, fee_paise=None) for the published rate; the payer may be Payer.DEPARTMENT or Payer.PARTNER",
}


def _identity_problems(service: Service) -> list[DeclarationError]:
    out = []
    if not isinstance(service.code, str) or not CODE_PATTERN.match(service.code):
        out.append(DeclarationError("code", f"{service.code!r} is not a dotted lowercase code such as 'gov.rj.jvvnl.bill'"))
    for name in ("title_en", "title_hi", "provider"):
        value = getattr(service, name)
        if not isinstance(value, str) or not value.strip():
            said = f"{value!r} is empty" if isinstance(value, str) else "missing"
            out.append(DeclarationError(name, f"{said}; {_WHAT_TO_WRITE[name]}"))
        elif bad := [c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")]:
            out.append(DeclarationError(name, f"{value!r} has a control character ({bad[0]!r}, at position {value.index(bad[0])}); "
                                              "write it on one line, without newlines or tabs (the service picker, the receipt "
                                              "and the SMS print it on one line)"))
        elif name == "title_hi" and not is_hindi(value):
            out.append(DeclarationError("title_hi", f"{value!r} is not Hindi; write the Hindi title in Devanagari script "
                                                    "(a Latin abbreviation may stand in it, e.g. 'बिजली बिल – JVVNL')"))
    hindi_names = {"provider_hi": service.provider_hi}
    if not isinstance(service.departments_hi, dict):
        out.append(DeclarationError("departments_hi", "must be a dict of English department name -> its Hindi name, "
                                                      "e.g. {'Transport': 'परिवहन'}"))
    else:
        hindi_names.update({f"departments_hi[{en!r}]": hi for en, hi in service.departments_hi.items()})
        if not all(isinstance(en, str) and en.strip() for en in service.departments_hi):
            out.append(DeclarationError("departments_hi", "each key must be a department's English name (the text route() returns)"))
    for name, value in hindi_names.items():
        if value == "" and name == "provider_hi":  # optional: the English name is shown
            continue
        if not isinstance(value, str) or not is_hindi(value):
            field, whose = name.split("[")[0], ("the department's" if "[" in name else "the department's or partner's")
            out.append(DeclarationError(field, f"{name + ': ' if name != field else ''}{value!r} is not Hindi; write {whose} Hindi "
                                               "name in Devanagari script (a Latin abbreviation may stand in it, e.g. "
                                               "'जन स्वास्थ्य अभियांत्रिकी विभाग (PHED)')"))
    if service.description_en and not is_hindi(service.description_hi):
        out.append(DeclarationError("description_hi", f"{service.description_hi!r} is not Hindi; the service has a description_en, so "
                                                      "write its description_hi in Devanagari script (the service picker shows one)"))
    for name, enum_type in (("domain", Domain), ("category", Category), ("workflow", Workflow)):
        value = getattr(service, name)
        try:
            setattr(service, name, enum_type(value))
        except ValueError:
            out.append(DeclarationError(name, f"{value!r} is not one of: " + ", ".join(e.value for e in enum_type)))
    return out


def _counter_problems(service: Service) -> list[DeclarationError]:
    """What a counter service the LSP prices, or a booking that may be cancelled, must also give."""
    out = []
    if service.priced_by_lsp:
        if not isinstance(service.unit_en, str) or not service.unit_en.strip():
            out.append(DeclarationError("unit_en", "a service the LSP prices (priced_by_lsp) names its unit, e.g. unit_en='page', "
                                                   "unit_hi='पृष्ठ': the LSP's price list and the confirmation show the price per unit"))
        elif not is_hindi(service.unit_hi):
            out.append(DeclarationError("unit_hi", f"{service.unit_hi!r} is not Hindi; write the unit in Devanagari script, e.g. 'पृष्ठ'"))
    if service.cancellable and type(service).cancel is Service.cancel:
        out.append(DeclarationError("cancellable", "cancellable=True, but the service does not implement cancel(); implement cancel "
                                                   "(and refund_quote), or leave cancellable False"))
    return out


def _rupees_hint(value: Any) -> str:
    """For a fee given in rupees as a float or Decimal (``10.0``, ``3.95``): the int in paise it
    most likely means, as the fix to write; else nothing."""
    from decimal import Decimal, InvalidOperation

    if isinstance(value, bool) or not isinstance(value, (float, Decimal)):
        return ""
    try:
        paise = Decimal(str(value)) * 100
        if paise < 0 or paise != paise.to_integral_value():
            return ""
    except (InvalidOperation, ValueError):  # NaN, infinity
        return ""
    return f"; if you meant Rs {Decimal(int(paise)) / 100:.2f}, write fee_paise={int(paise)}"


def _unknown_field_problems(declared: Any, kind: str, prefix: str) -> list[DeclarationError]:
    """A keyword ``Service(...)`` or ``FeeRule(...)`` has no field for (kept by
    services._keeping_unknown_fields): named, with the field it most likely means."""
    import dataclasses
    import difflib

    unknown = getattr(declared, "unknown_fields", None)
    if not isinstance(unknown, dict) or not unknown:
        return []
    fields = [f.name for f in dataclasses.fields(declared) if f.init and f.name != "plugin"]
    out = []
    for name, value in unknown.items():
        if kind == "FeeRule" and isinstance(value, (int, float)) and not isinstance(value, bool) and "rupee" in name.lower():
            fix = f"the charge is fee_paise, in whole paise: for Rs {value} write fee_paise={round(value * 100)}"
        elif close := difflib.get_close_matches(name, fields, n=1, cutoff=0.6):
            fix = f"did you mean {close[0]}?"
        else:
            fix = f"its fields are {', '.join(fields)}" if len(fields) <= 6 else \
                "its fields are listed in docs/plugins.md, \"What a Service declares\""
        out.append(DeclarationError(prefix + name, f"{kind}(...) has no field {name!r}, so {name}={value!r} would be lost; {fix}"))
    return out


def _fee_problems(service: Service) -> list[DeclarationError]:
    fee = service.fee
    if not isinstance(fee, FeeRule):
        return [DeclarationError("fee", f"{fee!r} is not a FeeRule; write fee=FeeRule(payer=Payer.CITIZEN, fee_paise=None) for "
                                        "Table 2's rate, or an int fee_paise in paise (Rs 5 is 500); the payer may be "
                                        "Payer.DEPARTMENT or Payer.PARTNER")]
    out = _unknown_field_problems(fee, "FeeRule", "fee.")
    payers = ", ".join(f"Payer.{p.name}" for p in Payer)
    try:
        payer = Payer(fee.payer)
    except ValueError:
        if fee.payer is None:
            out.append(DeclarationError("fee.payer", f"no payer given; say who pays the service charge, e.g. "
                                                     f"FeeRule(payer=Payer.CITIZEN, ...): one of {payers}"))
        else:
            out.append(DeclarationError("fee.payer", f"{fee.payer!r} is not a known payer; use one of: {payers}"))
    else:
        if payer == Payer.DEPARTMENT and getattr(service.domain, "value", service.domain) == Domain.PRIVATE.value:
            # a partner has no department: its receipts said "paid by the department", and the
            # LSP's claim was booked as a department's (dept_fee_receivable)
            out.append(DeclarationError("fee.payer", "Payer.DEPARTMENT for a partner's service (domain=Domain.PRIVATE): the receipt "
                                                     "would tell the citizen a department pays the service charge; write "
                                                     "Payer.PARTNER if the partner pays it, or Payer.CITIZEN if the citizen does"))
    if fee.fee_paise is not None and (problem := paise_problem(fee.fee_paise)):
        out.append(DeclarationError("fee.fee_paise", problem[0] + _rupees_hint(fee.fee_paise)))
    if fee.commission_bp is not None:
        if not isinstance(fee.commission_bp, int) or isinstance(fee.commission_bp, bool) or not 0 <= fee.commission_bp <= 10000:
            out.append(DeclarationError("fee.commission_bp", f"{fee.commission_bp!r} is not a whole number of basis points from 0 to 10000 (150 = 1.5%)"))
        if fee.fee_paise is not None:
            out.append(DeclarationError("fee", "give either fee_paise or commission_bp, not both"))
    if not out:
        service.fee = FeeRule(payer=payer, fee_paise=fee.fee_paise, commission_bp=fee.commission_bp)
    return out


def _label_problems(schema: dict[str, Any], prefix: str = "form.properties.", root: dict[str, Any] | None = None) -> list[DeclarationError]:
    from emitra.core.forms import all_properties

    root = schema if root is None else root
    out = []
    for name, prop in all_properties(schema).items():
        if not isinstance(prop, dict):
            continue
        if why := _name_problem(name, top=prefix == "form.properties."):
            out.append(DeclarationError(prefix + name, why))
        if not prop.get("title") or not is_hindi(prop.get("x-title-hi")):
            out.append(DeclarationError(prefix + name, "needs an English \"title\" and a Hindi \"x-title-hi\" (the operator sees one of them)"))
        out += [DeclarationError(prefix + name, why) for why in _property_problems(prop)]
        if why := _default_problem(name, prop, root):
            out.append(DeclarationError(prefix + name, why))
        if prop.get("type") == "object":
            out += _label_problems(prop, f"{prefix}{name}.properties.", root)
        items = prop.get("items")
        if isinstance(items, dict) and items.get("type") == "object":
            out += _label_problems(items, f"{prefix}{name}.items.properties.", root)
    return out


def _default_problem(name: str, prop: dict[str, Any], root: dict[str, Any]) -> str | None:
    """Why a property's ``default`` is not a value the field itself takes (JSON Schema never checks a
    default): the counter's form starts with it, so every operator would have to correct the
    partner's mistake on every request, or meet the field's refusal at "Get amount due"."""
    from emitra.core.forms import field_errors

    if "default" not in prop or prop["default"] in (None, ""):  # the form starts empty either way
        return None
    alone: dict[str, Any] = {"type": "object", "properties": {name: prop}}
    if isinstance(root.get("$defs"), dict):  # a "$ref": "#/$defs/..." resolves as in the whole form
        alone["$defs"] = root["$defs"]
    try:
        errors = field_errors(alone, {name: prop["default"]}, keep=False)
    except (TypeError, ValueError):  # a default JSON cannot hold (a set, a date object): no form could start with it
        default = prop["default"]
        as_text = f" (here {default.isoformat()!r})" if hasattr(default, "isoformat") else ""
        return (f"\"default\": {default!r} is a Python {type(default).__name__}, not a JSON value, so no form could start with "
                f"it; write it as JSON does: text{as_text}, a number, true or false, a list or a dict of them")
    if not errors:
        return None
    allowed = (f"one of {', '.join(repr(v) for v in prop['enum'])}" if isinstance(prop.get("enum"), list)
               else "a value the field takes")
    return (f"\"default\": {prop['default']!r} is refused by the field itself ({errors[0].en.rstrip('.')}), and the counter's "
            f"form starts with it, so the operator would have to correct it on every request; give {allowed} as the default, or leave "
            f"\"default\" out")


#: what the counter's form page posts beside the form's own fields (web/templates/counter/form.html)
COUNTER_NAMES = ("csrf_token", "_step", "_back", "_more")


def _name_problem(name: str, top: bool) -> str | None:
    """Why a property's name cannot be a field of the counter's page: the page posts each field
    under its path (``address.pin``), so a name with a dot is taken for a nested field, a blank one
    is never posted, a space breaks the field's label; and a top-level name the page posts itself
    would be read as the page's own (the CSRF token, the step)."""
    if not name.strip() or "." in name or any(ch.isspace() for ch in name):
        return (f"{name!r} is not a field name the counter can post: write letters, digits and _ (e.g. 'pin_code'); "
                "a '.' separates a nested field's path, and a space breaks the field's label")
    if top and name in COUNTER_NAMES:
        return (f"{name!r} is a name the counter page itself posts ({', '.join(COUNTER_NAMES)}); give the field another "
                "name, e.g. 'account_token'")
    return None


#: the formats JSON Schema 2020-12 defines (any other is ignored: a mistyped "date" checks nothing)
FORMATS = frozenset({"date", "date-time", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
                     "uri", "uri-reference", "iri", "iri-reference", "uuid", "uri-template", "json-pointer",
                     "relative-json-pointer", "regex"})
#: the most empty rows an array of objects may ask the counter's form to draw (``x-rows``)
MAX_ROWS = 20


def _property_problems(prop: dict[str, Any]) -> list[str]:
    """What the counter could not show or check in one property's emitra keys (``x-…``), which JSON
    Schema does not look at: each would otherwise fail at the counter (an error page) or leave a
    Hindi page in English."""
    out = []
    if bool(prop.get("x-error-en")) != bool(prop.get("x-error-hi")):
        out.append("gives \"x-error-en\" or \"x-error-hi\" without the other; write the pattern's message in both "
                   "English and Hindi (the Hindi page would show the English one)")
    elif prop.get("x-error-hi") and not is_hindi(prop["x-error-hi"]):
        out.append(f"\"x-error-hi\": {prop['x-error-hi']!r} is not Hindi; write the message in Devanagari script")
    if bool(prop.get("description")) and not prop.get("x-description-hi"):
        out.append("has a \"description\" but no \"x-description-hi\"; write the help text in Hindi too")
    for where, node in (("", prop), ("items.", prop.get("items"))):
        if not isinstance(node, dict):
            continue
        for key in ("x-enum-labels", "x-enum-labels-hi"):
            if key not in node:
                continue
            values, labels = node.get("enum"), node[key]
            if not isinstance(values, list):
                out.append(f"\"{where}{key}\" labels an \"enum\" that it does not have; give the values as \"enum\"")
            elif not isinstance(labels, list) or len(labels) != len(values) or not all(isinstance(x, str) and x for x in labels):
                count = len(labels) if isinstance(labels, list) else "no list"
                out.append(f"\"{where}{key}\" must be a list of {len(values)} labels, one for each value of \"enum\" in "
                           f"the same order (it has {count})")
    if "format" in prop and prop["format"] not in FORMATS:
        out.append(f"\"format\": {prop['format']!r} is not a format JSON Schema defines; use one of {', '.join(sorted(FORMATS))} "
                   "(\"date\" draws a date picker and takes YYYY-MM-DD); JSON Schema ignores any other, so nothing would be checked")
    if "x-rows" in prop:
        rows = prop["x-rows"]
        if not isinstance(rows, int) or isinstance(rows, bool) or not 1 <= rows <= MAX_ROWS:
            out.append(f"\"x-rows\": {rows!r} is not a whole number of empty rows from 1 to {MAX_ROWS} (the counter's form "
                       "shows that many rows to fill; \"Add a row\" adds more)")
    if "x-money" in prop and (prop["x-money"] is not True or prop.get("type") not in ("integer", "number")):
        out.append(f"\"x-money\": {prop['x-money']!r} on a field of \"type\": {prop.get('type')!r}; an amount of money is "
                   "\"x-money\": true on an \"integer\" field (whole rupees) or a \"number\" one (rupees and paise)")
    if "x-percent" in prop and (prop["x-percent"] is not True or prop.get("type") not in ("integer", "number")):
        out.append(f"\"x-percent\": {prop['x-percent']!r} on a field of \"type\": {prop.get('type')!r}; a share in per cent is "
                   "\"x-percent\": true on an \"integer\" or \"number\" field")
    if "x-upload" in prop:
        if prop.get("type") != "string":  # the field holds the stored document's id, which is text
            out.append(f"\"x-upload\" is on a field of \"type\": {prop.get('type')!r}; a document field is \"type\": \"string\" "
                       "(it holds the uploaded document's id; kit.document(...) writes it)")
        out += _upload_problems(prop["x-upload"])
    return out


def _upload_problems(spec: Any) -> list[str]:
    """A document field's ``x-upload``: the file types the counter can recognise, and a size in KB."""
    from emitra.core.documents import DEFAULT_ACCEPT

    example = '{"accept": ["application/pdf", "image/jpeg", "image/png"], "max_kb": 1024}'
    if not isinstance(spec, dict):
        return [f"\"x-upload\" must be a dict such as {example} (or use kit.document(...))"]
    out = []
    accept = spec.get("accept", DEFAULT_ACCEPT)
    if not isinstance(accept, (list, tuple)) or not accept or any(a not in DEFAULT_ACCEPT for a in accept):
        out.append(f"\"x-upload\".accept: {accept!r} is not a list of the file types emitra recognises in a scan: "
                   f"{', '.join(DEFAULT_ACCEPT)} (a file of any other type would be refused at every upload)")
    max_kb = spec.get("max_kb", 1)
    if not isinstance(max_kb, int) or isinstance(max_kb, bool) or max_kb < 1:
        out.append(f"\"x-upload\".max_kb: {max_kb!r} is not a whole number of KB, at least 1 (e.g. 1024 for 1 MB)")
    return out


class CheckedForms:
    """The forms found to be valid JSON Schemas at an earlier start, kept in a file of the data directory.

    Meta-validating every service's form against JSON Schema 2020-12 is a large part of loading
    the plugins, and a form is the same from one start to the next unless its plugin changed. A form
    is known by the digest of its JSON text, under the jsonschema version that checked it (a newer
    one may judge differently: the file is then ignored). Only sound forms are remembered, so a
    changed form is checked again, and a bad one is checked, and refused with its message, at every
    start. Without a file (``path`` None, or unreadable), every form is checked.
    """

    LIMIT = 4096  # digests kept; beyond, the file keeps only the forms of the last start

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.checker = version("jsonschema") if path is not None else ""
        self.known = self._read()
        self.seen: set[str] = set()

    def _read(self) -> set[str]:
        if self.path is None:
            return set()
        try:
            data = json.loads(self.path.read_text())
            return set(data["forms"]) if data.get("jsonschema") == self.checker else set()
        except (OSError, ValueError, KeyError, TypeError, AttributeError):  # none yet, or damaged: check everything
            return set()

    def check_schema(self, form: dict[str, Any]) -> None:
        """Raise :class:`jsonschema.SchemaError` when ``form`` is not a valid JSON Schema, or when one
        of its ``$ref`` does not resolve inside it (checked at every start: a form that validates
        nothing at the counter must not load)."""
        digest = _digest(form) if self.path is not None else None
        if digest is None or digest not in self.known:
            jsonschema.Draft202012Validator.check_schema(form)
        _check_refs(form)
        if digest is not None:
            self.seen.add(digest)

    def save(self) -> None:
        """Write the forms known now, if this start found new ones (atomically: several workers may start at once)."""
        if self.path is None or self.seen <= self.known:
            return
        forms = self.known | self.seen
        if len(forms) > self.LIMIT:
            forms = self.seen
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"jsonschema": self.checker, "forms": sorted(forms)}))
            os.replace(tmp, self.path)
        except OSError as exc:  # a read-only data directory: every start checks every form, nothing worse
            log.warning("could not keep the checked forms in %s: %s", self.path, exc)
            tmp.unlink(missing_ok=True)
        self.known = forms


#: keywords whose values are data, not schemas: a "$ref" key inside them is not a reference
_NOT_SCHEMAS = frozenset({"enum", "const", "default", "examples"})
#: the JSON Schema type names, for the message when a form names another
_TYPE_NAMES = ("array", "boolean", "integer", "null", "number", "object", "string")


def _check_refs(form: dict[str, Any]) -> None:
    """Resolve every ``$ref`` of ``form`` as the validator will at the counter; raise
    :class:`jsonschema.SchemaError` at the first that does not, with its path. A form refers only to
    itself (its ``$defs``) or to the JSON Schema meta-schemas: nothing is fetched over the network."""
    from jsonschema_specifications import REGISTRY
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    def walk(node: Any, resolver: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, resolver, (*path, i))
            return
        if not isinstance(node, dict):
            return
        if isinstance(node.get("$id"), str) and path:
            resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolver.lookup(ref)
            except (Unresolvable, ValueError):
                if ref.startswith("#"):
                    why = (f"$ref {ref!r} points to nothing in the form (no {ref[1:] or '/'!r}); "
                           "define it (under \"$defs\") or correct the reference")
                else:
                    why = f"$ref {ref!r} is outside the form; a form defines what it refers to under \"$defs\", as \"#/$defs/NAME\""
                raise jsonschema.SchemaError(why, path=(*path, "$ref")) from None
        for key, value in node.items():
            if key not in _NOT_SCHEMAS and not str(key).startswith("x-"):
                walk(value, resolver, (*path, key))

    walk(form, REGISTRY.resolver_with_root(DRAFT202012.create_resource(form)), ())


def _digest(form: Any) -> str | None:
    """The SHA-256 of ``form``'s JSON text, or None for a form that is not plain JSON: a tuple or an
    enum key reads back different from what was written, and two forms must not share a digest
    unless jsonschema sees them alike."""
    try:
        text = json.dumps(form, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    if json.loads(text) != form:
        return None
    return hashlib.sha256(text.encode()).hexdigest()


_EVERY_FORM = CheckedForms()  # no file: every form checked (``emitra plugin check``, tests)


def _form_problems(form: Any, checked: CheckedForms = _EVERY_FORM) -> list[DeclarationError]:
    from emitra.core.forms import all_properties, conditional_names

    if not isinstance(form, dict):
        return [DeclarationError("form", "must be a JSON Schema (a dict)")]
    try:
        checked.check_schema(form)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        message = exc.message
        if list(exc.absolute_path)[-1:] == ["type"] and exc.validator == "anyOf":
            message = f"{exc.instance!r} is not a type name; use one of {', '.join(_TYPE_NAMES)} (or a list of them)"
            if exc.instance in ("file", "upload", "document"):
                message += ('; a file upload is "type": "string" with "x-upload": {"accept": [...], "max_kb": N} '
                            '(kit.document(title_en, title_hi) writes one)')
        elif exc.validator == "format" and exc.validator_value == "regex" and isinstance(exc.instance, str):
            message = _regex_problem(exc.instance)
        return [DeclarationError("form", f"not a valid JSON Schema at {where}: {message}")]
    if form.get("type") != "object" or not isinstance(form.get("properties"), dict):
        return [DeclarationError("form", "must be a JSON Schema of \"type\": \"object\" with \"properties\"")]
    out = []
    props = all_properties(form)
    for name in form.get("required", []):
        if name not in props:
            out.append(DeclarationError("form.required", f"{name!r} is required but not among the properties"))
    if form.get("additionalProperties") is False and conditional_names(form):
        out.append(DeclarationError(
            "form.additionalProperties",
            "false would reject the fields of the if/then/else branches; use \"unevaluatedProperties\": false instead"))
    return out + _steps_problems(form.get("x-steps"), props) + _label_problems(form)


def _regex_problem(text: str) -> str:
    """Why ``text`` (a ``pattern``) is no regular expression: Python's reason and where, and the fix."""
    try:
        re.compile(text)
    except re.error as exc:
        where = f" at position {exc.pos} ({text[exc.pos:exc.pos + 1]!r})" if exc.pos is not None and exc.pos < len(text) else \
            (" at its end" if exc.pos is not None else "")
        why = f"{exc.msg}{where}"
    else:  # jsonschema judged otherwise (another version's rules): say so rather than guess
        why = "the JSON Schema checker does not take it"
    return (f"{text!r} is not a regular expression: {why}; close each '[' with ']' and each '(' with ')', write a '[', '(', "
            "'{' or '\\' meant as itself with a backslash before it, and put a count such as {8} after the ']' "
            "(e.g. '^[0-9]{8}$' for exactly eight digits)")


_STEP = '{"title": ..., "x-title-hi": ..., "fields": [...]}'


def _steps_problems(declared: Any, props: dict[str, Any]) -> list[DeclarationError]:
    """What would stop a multi-step form (``x-steps``) at the counter: a step it cannot read, one
    with no Hindi title, a field it does not have, or a field in no step (never shown, so a
    required one could never be filled)."""
    if declared is None or declared == []:  # one step of every field
        return []
    if not isinstance(declared, list):
        return [DeclarationError("form.x-steps", f"must be a list of steps, each {_STEP}")]
    out, listed = [], set()
    for i, step in enumerate(declared, 1):
        if not isinstance(step, dict):
            out.append(DeclarationError("form.x-steps", f"step {i} must be {_STEP}, not {step!r}"))
            continue
        which = repr(step["title"]) if isinstance(step.get("title"), str) and step["title"] else str(i)
        fields = step.get("fields")
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            example = json.dumps(list(props)[:2], ensure_ascii=False)
            out.append(DeclarationError("form.x-steps", f"step {which}: \"fields\" must be a list of the names of properties, e.g. {example}"))
            continue
        unknown = [f for f in fields if f not in props]
        if unknown:
            out.append(DeclarationError("form.x-steps", f"step {which} lists fields that are not properties: {unknown}"))
        listed.update(fields)
        if not isinstance(step.get("title"), str) or not step["title"].strip() or not is_hindi(step.get("x-title-hi")):
            out.append(DeclarationError("form.x-steps", f"step {which} needs an English \"title\" and a Hindi \"x-title-hi\" "
                                                        "(the counter shows one of them above the step)"))
    if not out:
        out += [DeclarationError("form.x-steps", f"{name!r} is in no step, so the counter would never show it; list it in the "
                                                 "\"fields\" of one step") for name in props if name not in listed]
    return out


def declaration_problems(service: Any, checked: CheckedForms = _EVERY_FORM) -> list[DeclarationError]:
    """Every problem with a declaration, each naming its field (empty when it is sound); ``checked``
    may vouch for its form having been found a valid JSON Schema at an earlier start."""
    if not isinstance(service, Service):
        return [DeclarationError("service", f"register() takes an emitra.core.Service, not {type(service).__name__}")]
    unknown = _unknown_field_problems(service, "Service", "")
    if missing := [name for name in REQUIRED_FIELDS if getattr(service, name) is NOT_GIVEN]:
        return unknown + [DeclarationError(", ".join(missing), f"not given to Service(...): give {'; '.join(f'{n}=... ({_TO_GIVE[n]})' for n in missing)}")]
    if unknown:
        return unknown + _unknown_field_problems(service.fee, "FeeRule", "fee.")
    problems = (_identity_problems(service) + _counter_problems(service) + _fee_problems(service) + _form_problems(service.form, checked)
                + _workflow_problems(service))
    if service.example is not None and not problems:
        problems += _example_problems(service)
    return problems


def _workflow_problems(service: Service) -> list[DeclarationError]:
    from emitra.core.workflow import DELIVERABLES, Process, process_for, step_label_problems

    out = []
    if service.process is not None and not isinstance(service.process, Process):
        return [DeclarationError("process", f"must be an emitra.core.workflow.Process, not {type(service.process).__name__}")]
    if service.deliverable not in DELIVERABLES:
        out.append(DeclarationError("deliverable", f"{service.deliverable!r} is not 'certificate', 'department' or None"))
    if service.sla_days is not None and (not isinstance(service.sla_days, int) or isinstance(service.sla_days, bool) or service.sla_days < 1):
        out.append(DeclarationError("sla_days", f"{service.sla_days!r} is not a whole number of days (at least 1) or None"))
    docs = service.paper_documents
    if not isinstance(docs, (tuple, list)) or not all(
            isinstance(d, (tuple, list)) and len(d) == 2 and all(isinstance(x, str) and x.strip() for x in d) for d in docs):
        out.append(DeclarationError("paper_documents", "must be a list of (English, Hindi) name pairs, e.g. (('Affidavit', 'शपथ पत्र'),)"))
    category = getattr(service.category, "value", service.category)
    if not getattr(service, "workflow_given", True) and category in ("application", "grievance"):
        out.append(DeclarationError("workflow", f"not given, so this {category} is done when paid (Workflow.PAYMENT) and no case ever "
                                                "reaches the department's officers; give workflow=Workflow.APPLICATION, or "
                                                "workflow=Workflow.PAYMENT if your own system processes it after submit"))
    if getattr(service.workflow, "value", service.workflow) != "application":
        # what only an application has would be ignored: the department would never see a case
        given = [name for name, value in (("process", service.process), ("personal_verification", service.personal_verification),
                                          ("deliverable='certificate'", service.deliverable == "certificate")) if value]
        if given:
            workflow = getattr(service.workflow, "name", service.workflow)
            out.append(DeclarationError("workflow", f"{given[0]} is given, but the workflow is Workflow.{workflow}, which is done "
                                                    "when paid and opens no case for the department; set "
                                                    "workflow=Workflow.APPLICATION"))
    if not out and getattr(service.workflow, "value", service.workflow) == "application":
        out += [DeclarationError(p.split(":")[0], p.split(": ", 1)[1]) for p in step_label_problems(service)]
    if not out and getattr(service.workflow, "value", service.workflow) == "application":
        out += [DeclarationError(p.split(":")[0], p.split(": ", 1)[1]) for p in process_for(service).problems()]
    return out


def _example_problems(service: Service) -> list[DeclarationError]:
    from emitra.core.forms import upload_fields, validator_for

    uploads = {path.split(".")[0] for path, _ in upload_fields(service.form)}
    out = []
    for error in validator_for(service.form).iter_errors(service.example):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required" and any(f"'{u}'" in error.message for u in uploads):
            continue  # documents are uploaded, not part of the example
        out.append(DeclarationError("example", f"does not fit the form at {'.'.join(path) or '(top)'}: {error.message}"))
    return out


def check_declaration(service: Any, checked: CheckedForms = _EVERY_FORM) -> None:
    """Raise :class:`DeclarationError` naming the first field of ``service`` that is wrong."""
    problems = declaration_problems(service, checked)
    if problems:
        raise problems[0]


#: the first parts of a code, by domain (docs/plugins.md: a code begins with its owner's name)
_CODE_PREFIX = {"government": "gov.rj", "central": "gov.in", "private": "pvt"}


def own_namespace(service: Any, plugin: str) -> str:
    """The namespace ``plugin`` owns for ``service``: its domain's prefix and the plugin's own
    (entry-point) name, ``pvt.bharat_gas`` (decision 150)."""
    domain = getattr(service.domain, "value", service.domain)
    owner = re.sub(r"[^a-z0-9_]+", "_", plugin.lower()).strip("_") or "yourname"
    return f"{_CODE_PREFIX.get(domain, 'pvt')}.{owner}"


def own_code(service: Any, plugin: str) -> str:
    """A code under ``plugin``'s own name for ``service`` (what a refusal for a shared code suggests)."""
    last = str(service.code).rsplit(".", 1)[-1] or "service"
    return f"{own_namespace(service, plugin)}.{last}"


def _under(code: str, namespaces: Iterable[str]) -> bool:
    return any(code.startswith(namespace + ".") for namespace in namespaces)


#: whose services a domain's codes are, for a refusal ("a partner's")
_DOMAIN_WHOSE = {"government": "a Rajasthan department's", "central": "a central government department's", "private": "a partner's"}


def _domain_problem(service: Any, code: str, plugin: str) -> str | None:
    """Why ``code`` does not begin with the prefix of the service's own ``domain`` (None when it
    does): a partner's service (``Domain.PRIVATE``) coded ``gov.rj.<name>.…`` read as a Rajasthan
    department's, and a Society's policy rule on ``pvt.*`` never matched it."""
    domain = getattr(service.domain, "value", service.domain)
    expected = _CODE_PREFIX.get(domain)
    prefix = next((p for p in _CODE_PREFIX.values() if code.startswith(p + ".")), None)
    if expected is None or prefix is None or prefix == expected:
        return None
    other = next(d for d, p in _CODE_PREFIX.items() if p == prefix)
    rest = code[len(prefix) + 1:]
    return (f"{code!r} begins with {prefix!r}, the prefix of {_DOMAIN_WHOSE[other]} codes, but the service declares "
            f"domain=Domain.{domain.upper()}, {_DOMAIN_WHOSE[domain]}: a code begins with its own domain's prefix, so write "
            f"{expected + '.' + rest!r}; or, if it is {_DOMAIN_WHOSE[other]} service, domain=Domain.{other.upper()}")


def namespace_problem(service: Any, plugin: str, builtin: set[str], allowed: dict[str, frozenset[str]]) -> str | None:
    """Why ``plugin`` may not declare ``service``'s code (None when it may): a plugin declares codes
    in its own namespace only (its name under a domain's prefix, :func:`own_namespace`; a built-in
    plugin, in those of the codes core/builtin_codes.py gives it), and in the namespaces the Society
    allows it by name
    (``allowed``: ``EMITRA_PLUGIN_NAMESPACES``). A built-in's namespace is its own even when a
    partner's plugin is named like it (``recharge``: ``pvt.recharge``). The providers' namespaces
    are those under the domains' prefixes (``gov.rj.``, ``gov.in.``, ``pvt.``): a code under none of
    them is in no one's and not refused here. Decision 150."""
    code = str(service.code)
    if not _under(code, _CODE_PREFIX.values()):  # no provider's namespace (emitra's own tests use test.*)
        return None
    mine = own_namespace(service, plugin)
    if prefix := next((p for p in _CODE_PREFIX.values() if code.startswith(p + ".") and "." not in code[len(p) + 1:]), None):
        # 'pvt.bharat_gas': a provider's namespace, with no service in it (was "'pvt' is another provider's")
        return (f"{code!r} is a provider's namespace ({prefix!r}, then a name) with no service after it; a code is the domain's "
                f"prefix, the plugin's own name, then the service: write '{mine}.<service>', the service's own name after "
                f"the namespace (as 'pvt.bharat_gas.refill' is Bharat Gas's refill)")
    if mismatch := _domain_problem(service, code, plugin):
        return mismatch
    if _under(code, allowed.get(plugin, ())) or (plugin in builtin and _under(code, builtin_codes.NAMESPACES.get(plugin, ()))):
        return None
    owners = sorted(p for p, namespaces in builtin_codes.NAMESPACES.items() if p != plugin and _under(code, namespaces))
    if _under(code, [f"{root}.{mine.split('.')[-1]}" for root in _CODE_PREFIX.values()]) and not owners:
        return None
    namespace = code.rsplit(".", 1)[0]
    whose = (f"{namespace!r} belongs to the plugin{'s' if len(owners) > 1 else ''} built into emitra "
             f"{', '.join(repr(o) for o in owners)}" if owners else
             f"{namespace!r} is another provider's")
    granted = sorted(allowed.get(plugin, ()))
    may = f"{mine!r}" + (f" (and {', '.join(repr(n) for n in granted)}, which the Society allows it)" if granted else "")
    return (f"{code!r} is outside the namespace plugin {plugin!r} may declare codes in, {may}: {whose}, and a plugin's "
            f"codes begin with its domain and its own name; write {own_code(service, plugin)!r}, or, if the plugin offers "
            f"this service for {namespace!r} by agreement, the Society allows it by name: "
            f"EMITRA_PLUGIN_NAMESPACES={plugin}={namespace}")


def emitra_requirement() -> str:
    """The requirement a plugin written against this emitra puts on it: this version, up to the next
    minor version while emitra is 0.x (the next major from 1.0), where the plugin API
    (``hookspecs.PLUGIN_API``) may change: ``emitra>=0.1.0,<0.2``."""
    from emitra import __version__

    parts = [int(n) for n in re.findall(r"\d+", __version__)[:2]] + [0]
    upper = f"0.{parts[1] + 1}" if parts[0] == 0 else f"{parts[0] + 1}"
    return f"emitra>={__version__},<{upper}"


def plugin_api_problem(plugin: Any) -> str | None:
    """Why ``plugin`` cannot load here because of the plugin API it declares (its module-level
    ``__emitra_plugin_api__``), naming both versions; None when it declares this emitra's, or none."""
    from emitra import __version__

    declared = getattr(plugin, "__emitra_plugin_api__", None)
    current = hookspecs.PLUGIN_API
    if declared is None or (declared == current and type(declared) is int):
        return None
    if type(declared) is not int:
        return (f"{declared!r} is not a plugin API version; write the whole number of the plugin API the plugin is written "
                f"for, __emitra_plugin_api__ = {current} for emitra {__version__}")
    return (f"the plugin is written for plugin API {declared}, but emitra {__version__} has plugin API {current}, whose hooks "
            f"and services it may not fit: install the plugin's release for plugin API {current} (one that requires "
            f"{emitra_requirement()}), or the emitra it was written for")


def clashes(declared: list[tuple[str, str]], builtin: set[str], reserved: dict[str, str] | None = None) -> dict[int, list[str]]:
    """Which (plugin, code) declarations are refused because their code is declared more than once,
    or is reserved to a built-in plugin: index -> every plugin that declares that code, in order.

    No declaration wins by the order plugins load in. A code in ``reserved`` (code -> the built-in
    plugin that owns it, core/builtin_codes.py) may be declared only by that plugin, loaded as the
    one shipped with emitra (in ``builtin``): every other declaration is refused, whether the owner
    is loaded or not (``EMITRA_PLUGINS`` leaving a built-in out must not hand its code to a
    partner). For any other code, when exactly one of the declarers is a plugin shipped with
    emitra, emitra's keeps the code and the others are refused (installing a partner's package must
    not take a service away from the counters); otherwise every one is refused.
    """
    reserved = reserved or {}
    by_code: dict[str, list[int]] = {}
    for i, (_, code) in enumerate(declared):
        by_code.setdefault(code, []).append(i)
    out: dict[int, list[str]] = {}
    for code, indexes in by_code.items():
        owner = reserved.get(code)
        if len(indexes) < 2 and (owner is None or (declared[indexes[0]][0] == owner and owner in builtin)):
            continue
        declarers = [declared[i][0] for i in indexes]
        if owner is not None:
            shipped = [i for i in indexes if declared[i][0] == owner and owner in builtin]
        else:
            shipped = [i for i in indexes if declared[i][0] in builtin]
        for i in indexes:
            if not (len(shipped) == 1 and i == shipped[0]):
                out[i] = declarers
    return out


def clash_message(code: str, plugin: str, declarers: list[str], builtin: set[str], suggestion: str, what: str = "service",
                  reserved: dict[str, str] | None = None) -> str:
    """Why ``plugin``'s ``code`` is refused, ``declarers`` being every plugin that declares it and
    ``reserved`` the built-ins' codes (code -> the built-in plugin that owns it)."""
    fix = f"a plugin's codes must be its own: begin them with your domain and your own name, e.g. {suggestion!r}"
    owner = (reserved or {}).get(code)
    if owner is not None and not (plugin == owner and plugin in builtin):
        if owner in builtin:
            return f"{code!r} is the code of a {what} built into emitra (plugin {owner!r}), which keeps it; {fix}"
        return (f"{code!r} is the code of a {what} built into emitra (plugin {owner!r}), reserved to it even when it is "
                f"not loaded (EMITRA_PLUGINS leaves it out); {fix}")
    others = sorted(set(declarers) - {plugin})
    if not others:
        return f"{code!r} is declared {len(declarers)} times by this plugin; give each {what} a code of its own"
    shipped = sorted(set(declarers) & builtin)
    if len(shipped) == 1 and plugin not in builtin:
        return f"{code!r} is the code of a {what} built into emitra (plugin {shipped[0]!r}), which keeps it; {fix}"
    names = ", ".join(repr(d) for d in sorted(set(declarers)))
    return f"{code!r} is declared by plugins {names}; none of them is loaded under it, as none may take another's code: {fix}"


class Registry:
    """The services that loaded, keyed by code, and the refusals, in load order.

    ``unavailable`` holds services whose department or partner failed while serving a request
    (code -> reason); they show as unavailable until they answer again.
    """

    def __init__(self) -> None:
        self.services: dict[str, Service] = {}
        self.refusals: list[Refusal] = []
        self.plugins: list[str] = []
        #: the plugins shipped with emitra (entry points of the emitra distribution itself)
        self.builtin: set[str] = set()
        #: code -> every plugin whose sound declaration has it, loaded or refused (``emitra plugins check``)
        self.declared_by: dict[str, list[str]] = {}
        self.unavailable: dict[str, str] = {}
        #: services a rule restricts (code -> decision): offered only where the Society approved them
        self.restricted: dict[str, Any] = {}

    def mark_unavailable(self, code: str, reason: str) -> None:
        self.unavailable[code] = reason

    def mark_available(self, code: str) -> None:
        self.unavailable.pop(code, None)

    def get(self, code: str) -> Service | None:
        return self.services.get(code)

    def __iter__(self):
        return iter(self.services.values())


#: the hooks emitra calls synchronously (emitra_send_notification alone may be ``async def``)
SYNC_HOOKS = ("emitra_register_services", "emitra_register_policy_rules", "emitra_register_payment_methods",
              "emitra_transaction_recorded")


def async_hook_problems(pm: pluggy.PluginManager, plugin: Any) -> list[str]:
    """The hooks ``plugin`` implements as ``async def`` that emitra calls synchronously: calling one
    makes a coroutine that nothing awaits, so its body never runs (no service, no rule, no
    notification) and pluggy says nothing."""
    out = []
    for hook in SYNC_HOOKS:
        for impl in getattr(pm.hook, hook).get_hookimpls():
            if impl.plugin is plugin and inspect.iscoroutinefunction(impl.function):
                out.append(f"{hook} is an async def; emitra calls it synchronously, so its body would never run: write it as a plain def")
    return out


HOOKS = sorted(name for name in vars(hookspecs) if name.startswith("emitra_"))
_UNKNOWN_HOOK = re.compile(r"^unknown hook '([^']+)' in plugin ")


def hook_problem(exc: Exception) -> str:
    """What pluggy's ``check_pending`` refused, said for the partner: a misspelled hook names the
    hook it most likely means and the hooks there are (pluggy says only ``unknown hook 'x' in plugin
    <module ...>``); any other problem as pluggy says it."""
    found = _UNKNOWN_HOOK.match(str(exc))
    if not found:
        if isinstance(exc, pluggy.PluginValidationError) and (wrong := _ARGUMENTS.search(str(exc))):
            return _argument_problem(wrong.group(1), str(exc))
        return str(exc)
    name = found.group(1)
    close = difflib.get_close_matches(name, HOOKS, n=1, cutoff=0.6)
    fix = f"rename the function to {close[0]!r}" if close else "rename the function to one of the hooks"
    return (f"unknown hook {name!r}: emitra has no hook of that name, so it would never be called; {fix} "
            f"(the hooks are {', '.join(HOOKS)})")


def _argument_problem(names: str, said: str) -> str:
    """A hook implementation that takes an argument its spec does not have (pluggy's message is
    three lines naming neither the spec's arguments nor the fix): which arguments, and what to write."""
    hook = re.search(r"for hook '([^']+)'", said)
    spec = getattr(hookspecs, hook.group(1), None) if hook else None
    if spec is None:
        return " ".join(said.split())
    params = ", ".join(inspect.signature(spec).parameters)
    return (f"{hook.group(1)} takes {names.strip('{}')}, which emitra does not pass; emitra calls it by keyword with {params} only: "
            f"write def {hook.group(1)}({params})")


_ARGUMENTS = re.compile(r"Argument\(s\) (\{[^}]*\}) are declared in the hookimpl but can not be found in the hookspec")


def unmarked_hooks(plugin: Any) -> list[str]:
    """Functions of ``plugin`` named like one of emitra's hooks but not marked with emitra's
    ``@hookimpl``: pluggy never calls them, and nothing would say so (no service registered, no
    notification sent). One problem per function."""
    out = []
    for hook in HOOKS:
        function = getattr(plugin, hook, None)
        if callable(function) and not hasattr(function, "emitra_impl"):
            out.append(f"{hook} is not marked @hookimpl, so emitra would never call it: put @hookimpl on the line above "
                       "'def' (from emitra.core import hookimpl; a pluggy HookimplMarker of another name is not emitra's)")
    return out


def returned_problem(result: Any) -> str | None:
    """What is wrong when ``emitra_register_services`` returned ``result`` (it returns nothing: the
    services returned instead of registered would be silently lost)."""
    if result is None:
        return None
    return (f"it returned a {type(result).__name__} instead of registering; call register(service) once for each service "
            "(the hook returns nothing)")


def _make_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("emitra")
    pm.add_hookspecs(hookspecs)
    return pm


def _shipped_with_emitra(ep: Any) -> bool:
    """Whether an entry point belongs to the emitra distribution itself (a built-in plugin)."""
    dist = getattr(ep, "dist", None)
    name = (dist.metadata["Name"] or "") if dist is not None else ""
    return re.sub(r"[-_.]+", "-", name).lower() == "emitra"


def _discover(allow: set[str] | None) -> list[tuple[str, Any]]:
    return [(ep.name, ep) for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
            if allow is None or ep.name in allow]


def _not_installed(allow: set[str], extra: list[tuple[str, Any]]) -> list[Refusal]:
    """The names ``EMITRA_PLUGINS`` gives that no installed plugin (nor one passed in) has: a
    misspelt name would otherwise leave its services out without a word."""
    installed = sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
    known = set(installed) | {name for name, _ in extra}
    return [Refusal(name, "EMITRA_PLUGINS", f"EMITRA_PLUGINS names {name!r}, but no installed plugin is called so: correct the name, "
                                            f"or install the plugin; the installed ones are {', '.join(installed) or '(none)'}")
            for name in sorted(allow - known)]


class PluginHost:
    """Owns the pluggy manager and the service registry built from it."""

    def __init__(self, extra_plugins: Iterable[tuple[str, ModuleType | object]] = (), use_entry_points: bool = True):
        self.pm = _make_manager()
        self.registry = Registry()
        self.payment_methods: dict[str, Any] = {}
        #: every sound declaration, loaded or refused by policy (for `emitra policy check`)
        self.all_declared: dict[str, Service] = {}
        from emitra.core import config

        #: the Society's exceptions to the namespace rule (EMITRA_PLUGIN_NAMESPACES): plugin -> namespaces
        self.namespaces = config.plugin_namespaces()
        allow_env = os.environ.get("EMITRA_PLUGINS")
        allow = {n.strip() for n in allow_env.split(",") if n.strip()} if allow_env else None
        candidates: list[tuple[str, Any]] = []
        extra_plugins = list(extra_plugins)
        if use_entry_points and allow is not None:
            for refusal in _not_installed(allow, extra_plugins):
                self._refuse(refusal)
        if use_entry_points:
            for name, ep in _discover(allow):
                if _shipped_with_emitra(ep):
                    self.registry.builtin.add(name)
                elif name in builtin_codes.PLUGINS:  # it would pass for the built-in: its codes, its place
                    self._refuse(Refusal(name, "name", f"{name!r} is the name of a plugin built into emitra; the entry point "
                                                       f"{name} = {ep.value} is not loaded under it: give it a name of your own"))
                    continue
                try:
                    candidates.append((name, ep.load()))
                except Exception as exc:  # a broken plugin must not stop the others
                    self._refuse(Refusal(name, "import", failure(exc)))
        candidates.extend(extra_plugins)
        self._checked_forms = CheckedForms(_checked_forms_path())
        self._declared: list[Service] = []  # sound declarations, in load order, until their codes are settled
        self._declared_methods: list[Any] = []
        for name, plugin in candidates:
            self._load(name, plugin)
        self._settle_codes()
        self._checked_forms.save()
        self.policy = self._make_policy()
        self.apply_policy()

    def _make_policy(self):
        """The rules files (a malformed one raises PolicyFileError: start-up stops) and rules in code."""
        from emitra.policy import Policy
        from emitra.policy.rules import CodeRule

        code_rules: list[CodeRule] = []
        for impl in self.pm.hook.emitra_register_policy_rules.get_hookimpls():
            def register(rule: CodeRule, plugin_name: str = impl.plugin_name) -> None:
                if not isinstance(rule, CodeRule):
                    self._refuse(Refusal(plugin_name, "emitra_register_policy_rules",
                                         f"register() takes an emitra.policy.CodeRule, not {type(rule).__name__}"))
                    return
                if not callable(rule.check):
                    self._refuse(Refusal(plugin_name, "emitra_register_policy_rules",
                                         f"rule {rule.id!r}: check is {rule.check!r}, not a function; give check=a function "
                                         "(service, on) returning 'deny', 'restricted' or None"))
                    return
                rule.plugin = plugin_name
                code_rules.append(rule)

            try:
                impl.function(register=register)
            except Exception as exc:
                self._refuse(Refusal(impl.plugin_name, "emitra_register_policy_rules", failure(exc)))
        return Policy(code_rules=code_rules)

    def apply_policy(self, on=None) -> None:
        """Refuse the services the rules deny on ``on`` (today); note the restricted ones."""
        from emitra.core.clock import today

        on = on or today()
        self.registry.restricted = {}
        for service in list(self.registry):
            decision = self.policy.static(service, on)
            if decision.decision == "deny":
                del self.registry.services[service.code]
                self._refuse(Refusal(service.plugin, "policy", decision.explain(), service.code))
            elif decision.decision == "restricted":
                self.registry.restricted[service.code] = decision

    def _refuse(self, refusal: Refusal) -> None:
        log.warning("%s", refusal)
        self.registry.refusals.append(refusal)

    def _load(self, name: str, plugin: Any) -> None:
        if problem := plugin_api_problem(plugin):
            self._refuse(Refusal(name, "plugin_api", problem))
            return
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
            problems = async_hook_problems(self.pm, plugin) + unmarked_hooks(plugin)
        except Exception as exc:
            problems = [hook_problem(exc)]
        if problems:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self._refuse(Refusal(name, "hooks", problems[0]))
            return
        self.registry.plugins.append(name)
        self._load_payment_methods(name, plugin)
        impls = [i for i in self.pm.hook.emitra_register_services.get_hookimpls() if i.plugin is plugin]
        if not impls:  # only functions marked with @hookimpl are hooks
            return
        impl = impls[0].function

        def register(service: Service) -> None:
            code = getattr(service, "code", "?") or "?"
            try:
                check_declaration(service, self._checked_forms)
            except DeclarationError as exc:
                self._refuse(Refusal(name, exc.field, exc.message, str(code)))
                return
            service.plugin = name
            self._declared.append(service)

        try:
            result = impl(register=register)
        except Exception as exc:
            self._refuse(Refusal(name, "emitra_register_services", failure(exc)))
            return
        if problem := returned_problem(result):
            self._refuse(Refusal(name, "emitra_register_services", problem))

    def _settle_codes(self) -> None:
        """Register the sound declarations under their codes, once every plugin has declared its own:
        a code outside its plugin's namespaces is refused (:func:`namespace_problem`), before it can
        make its owner's declaration a clash; then a code declared more than once, or a built-in's
        code (core/builtin_codes.py) declared by another plugin, is refused as :func:`clashes` says,
        whatever the load order."""
        builtin = self.registry.builtin
        kept = []
        for service in self._declared:  # a built-in's own code is the clash's to refuse, as before
            problem = None if service.code in builtin_codes.SERVICES else namespace_problem(service, service.plugin, builtin,
                                                                                            self.namespaces)
            if problem:
                self._refuse(Refusal(service.plugin, "namespace", problem, service.code))
            else:
                kept.append(service)
        self._declared = kept
        refused = clashes([(s.plugin, s.code) for s in self._declared], builtin, builtin_codes.SERVICES)
        for i, service in enumerate(self._declared):
            self.registry.declared_by.setdefault(service.code, []).append(service.plugin)
            if i in refused:
                message = clash_message(service.code, service.plugin, refused[i], builtin, own_code(service, service.plugin),
                                        reserved=builtin_codes.SERVICES)
                self._refuse(Refusal(service.plugin, "code", message, service.code))
                continue
            self.registry.services[service.code] = service
            self.all_declared[service.code] = service
        refused = clashes([(m.plugin, m.code) for m in self._declared_methods], builtin, builtin_codes.PAYMENT_METHODS)
        for i, method in enumerate(self._declared_methods):
            if i in refused:
                message = clash_message(method.code, method.plugin, refused[i], builtin, f"{method.plugin}_{method.code}", "payment method",
                                        builtin_codes.PAYMENT_METHODS)
                self._refuse(Refusal(method.plugin, "payment_method", message))
                continue
            self.payment_methods[method.code] = method
        self._declared, self._declared_methods = [], []

    def _load_payment_methods(self, name: str, plugin: Any) -> None:
        from emitra.core.payments import PaymentMethod

        for impl in self.pm.hook.emitra_register_payment_methods.get_hookimpls():
            if impl.plugin is not plugin:
                continue

            def register(method: Any) -> None:
                if not isinstance(method, PaymentMethod) or not CODE_PATTERN.match(f"pay.{getattr(method, 'code', '')}"):
                    self._refuse(Refusal(name, "payment_method", "register() takes a PaymentMethod with a lowercase code"))
                    return
                method.plugin = name
                self._declared_methods.append(method)

            try:
                impl.function(register=register)
            except Exception as exc:
                self._refuse(Refusal(name, "emitra_register_payment_methods", failure(exc)))

    def transaction_recorded(self, transaction: dict[str, Any]) -> None:
        for impl in self.pm.hook.emitra_transaction_recorded.get_hookimpls():
            try:
                impl.function(transaction=transaction)
            except Exception:
                log.exception("plugin %s failed in emitra_transaction_recorded", impl.plugin_name)


def _checked_forms_path() -> Path | None:
    """Where the forms found sound are kept between starts: the data directory, if there is one
    (not ``config.data_dir()``, which makes it: listing the services must not leave a ``var/`` behind)."""
    from emitra.core import config

    folder = Path(os.environ.get("EMITRA_DATA_DIR", config.DEFAULT_DATA_DIR))
    return folder / CHECKED_FORMS_FILE if folder.is_dir() else None


_host: PluginHost | None = None


def department_hi(name: str, service_code: str = "") -> str:
    """The Hindi name of the department ``name`` (a case's ``department``), or "" when none is declared.

    The case's own service is asked first (its ``provider_hi`` when ``name`` is its provider, else its
    ``departments_hi``), then every declared service, then the departments e-Mitra itself sends online
    grievances to (core/grievances.py)."""
    if not name:
        return ""
    host = get_host()
    own = host.all_declared.get(service_code) or host.registry.get(service_code) if service_code else None
    for service in ([own] if own is not None else []) + list(host.all_declared.values()):
        hindi = service.provider_hi if service.provider == name else ""
        hindi = hindi or (service.departments_hi.get(name, "") if isinstance(service.departments_hi, dict) else "")
        if hindi:
            return hindi
    from emitra.core import grievances

    return grievances.DEPARTMENTS_HI.get(name, "")


def get_host() -> PluginHost:
    """The process-wide plugin host, loaded on first use (never at import time)."""
    global _host
    if _host is None:
        _host = PluginHost()
    return _host


def set_host(host: PluginHost | None) -> None:
    """Replace the process-wide host (tests and embedding applications)."""
    global _host
    _host = host

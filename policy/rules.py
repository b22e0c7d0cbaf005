"""Rules as data: loading and checking the rules files (one per authority).

A malformed file stops start-up with a message naming the file, the rule and the field; nothing
is applied unless every file is sound.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

RULES_DIR = Path(__file__).parent / "rules"
DECISIONS = ("deny", "restricted")

RULE_SCHEMA = {
    "type": "object",
    "required": ["id", "citation", "effective_from", "decision"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Z][A-Z0-9-]{2,60}$"},
        "citation": {"type": "string", "minLength": 5},
        "effective_from": {"type": "string", "format": "date"},
        "effective_to": {"type": "string", "format": "date"},
        "decision": {"enum": list(DECISIONS)},
        "categories": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "providers": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "codes": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "terms_en": {"type": "array", "items": {"type": "string", "minLength": 2}},
        "terms_hi": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "doubtful_en": {"type": "array", "items": {"type": "string", "minLength": 2}},
        "doubtful_hi": {"type": "array", "items": {"type": "string", "minLength": 1}},
    },
}
FILE_SCHEMA = {
    "type": "object",
    "required": ["authority", "rule"],
    "additionalProperties": False,
    "properties": {"authority": {"type": "string", "minLength": 2}, "rule": {"type": "array", "items": {"type": "object"}}},
}


class PolicyFileError(ValueError):
    """A rules file that cannot be applied: names the file, the rule and the field."""


@dataclass(frozen=True)
class Rule:
    id: str
    authority: str
    citation: str
    decision: str  # deny or restricted
    effective_from: dt.date
    effective_to: dt.date | None = None
    categories: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # English and Hindi
    doubtful: tuple[str, ...] = ()
    district: str | None = None  # a district's rule applies in that district only
    source: str = ""  # the file, "database" or "code:<plugin>"

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    @classmethod
    def from_dict(cls, data: dict[str, Any], authority: str, source: str, district: str | None = None) -> "Rule":
        return cls(
            id=data["id"], authority=authority, citation=data["citation"], decision=data["decision"],
            effective_from=dt.date.fromisoformat(data["effective_from"]),
            effective_to=dt.date.fromisoformat(data["effective_to"]) if data.get("effective_to") else None,
            categories=tuple(c.lower() for c in data.get("categories", [])),
            providers=tuple(data.get("providers", [])), codes=tuple(data.get("codes", [])),
            terms=tuple(data.get("terms_en", [])) + tuple(data.get("terms_hi", [])),
            doubtful=tuple(data.get("doubtful_en", [])) + tuple(data.get("doubtful_hi", [])),
            district=district, source=source,
        )


def check_rule(data: Any, where: str) -> list[str]:
    """Problems with one rule, each naming the rule and the field."""
    rule_id = data.get("id", "?") if isinstance(data, dict) else "?"
    problems = []
    for error in jsonschema.Draft202012Validator(RULE_SCHEMA, format_checker=jsonschema.FormatChecker()).iter_errors(data):
        field_name = ".".join(str(p) for p in error.absolute_path) or (
            error.message.split("'")[1] if error.validator == "required" else "(rule)")
        problems.append(f"{where}: rule {rule_id!r}: {field_name}: {error.message}")
    if not problems:
        start, end = data["effective_from"], data.get("effective_to")
        if end and end < start:
            problems.append(f"{where}: rule {rule_id!r}: effective_to: {end} is before effective_from {start}")
        if not any(data.get(k) for k in ("categories", "providers", "codes", "terms_en", "terms_hi", "doubtful_en", "doubtful_hi")):
            problems.append(f"{where}: rule {rule_id!r}: match: the rule matches nothing; give categories, providers, codes or terms")
    return problems


def rules_dirs() -> list[Path]:
    """The packaged rules, then any folder named in EMITRA_POLICY_DIR (a deployment's own files)."""
    dirs = [RULES_DIR]
    extra = os.environ.get("EMITRA_POLICY_DIR", "").strip()
    if extra:
        dirs.append(Path(extra))
    return dirs


def load_files(dirs: list[Path] | None = None) -> list[Rule]:
    """Every rule of every file, or :class:`PolicyFileError` listing every problem (all or nothing)."""
    problems: list[str] = []
    rules: list[Rule] = []
    seen: dict[tuple[str | None, str], str] = {}
    for base in dirs or rules_dirs():
        files = sorted(base.glob("*.toml")) + sorted((base / "districts").glob("*.toml"))
        for path in files:
            district = path.stem.upper() if path.parent.name == "districts" else None
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                problems.append(f"{path}: not valid TOML: {exc}")
                continue
            for error in jsonschema.Draft202012Validator(FILE_SCHEMA).iter_errors(data):
                problems.append(f"{path}: {'.'.join(str(p) for p in error.absolute_path) or '(file)'}: {error.message}")
            if not isinstance(data.get("rule"), list):
                continue
            for i, raw in enumerate(data["rule"]):
                found = check_rule(raw, f"{path} [rule {i + 1}]")
                if found:
                    problems += found
                    continue
                key = (district, raw["id"])
                if key in seen:
                    problems.append(f"{path}: rule {raw['id']!r}: id: also defined in {seen[key]}")
                    continue
                seen[key] = str(path)
                rules.append(Rule.from_dict(raw, str(data.get("authority", "")), str(path), district))
    if problems:
        raise PolicyFileError("The policy rules cannot be applied; nothing was loaded:\n  " + "\n  ".join(problems))
    return rules


@dataclass
class CodeRule:
    """A rule written in code, registered by a plugin or a deployment through ``emitra_register_policy_rules``.

    ``check(service, on)`` returns ``"deny"``, ``"restricted"`` or None (no opinion).
    """

    id: str
    citation: str
    check: Any
    authority: str = "code"
    plugin: str = field(default="")

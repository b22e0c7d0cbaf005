"""A JSON Schema form, as the list of fields the form macro renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emitra.web.i18n import pick


@dataclass
class Field:
    name: str
    label: str
    help: str
    widget: str  # text, date, number, select, checkbox, textarea
    required: bool
    value: Any = ""
    error: str = ""
    pattern: str = ""
    inputmode: str = ""
    maxlength: int | None = None
    options: list[tuple[str, str]] = field(default_factory=list)


def fields_for(schema: dict[str, Any], values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> list[Field]:
    values = values or {}
    errors = errors or {}
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type")
        widget = "text"
        options: list[tuple[str, str]] = []
        if "enum" in prop:
            widget = "select"
            labels_en = prop.get("x-enum-labels", prop["enum"])
            labels_hi = prop.get("x-enum-labels-hi", labels_en)
            options = [(str(v), pick(str(en), str(hi))) for v, en, hi in zip(prop["enum"], labels_en, labels_hi)]
        elif kind == "boolean":
            widget = "checkbox"
        elif kind in ("integer", "number"):
            widget = "number"
        elif prop.get("format") == "date":
            widget = "date"
        elif prop.get("maxLength", 0) > 200:
            widget = "textarea"
        out.append(Field(
            name=name,
            label=pick(prop.get("title", name), prop.get("x-title-hi", "")),
            help=pick(prop.get("description", ""), prop.get("x-description-hi", "")),
            widget=widget,
            required=name in required,
            value=values.get(name, prop.get("default", "")),
            error=errors.get(name, ""),
            pattern=prop.get("pattern", "").removeprefix("^").removesuffix("$") if widget == "text" else "",
            inputmode=prop.get("x-inputmode", ""),
            maxlength=prop.get("maxLength"),
            options=options,
        ))
    return out

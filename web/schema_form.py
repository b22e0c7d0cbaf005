"""A JSON Schema form as the tree of fields the ``field`` macro renders (no JavaScript needed).

Conditional fields show when their branch applies to what has been posted so far; a multi-step
form shows one step at a time, carrying earlier steps in hidden inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emitra.core import documents, forms
from emitra.web.i18n import pick


@dataclass
class Field:
    name: str  # the path: address.pin, members.0.name
    label: str
    help: str
    widget: str  # text, date, number, select, checkbox, checkboxes, textarea, file, group, rows
    required: bool
    value: Any = ""
    error: str = ""
    pattern: str = ""
    inputmode: str = ""
    maxlength: int | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    accept: str = ""  # file: the MIME types, for the input's accept attribute
    kinds: str = ""  # file: the same as people read them, "JPEG, PNG"
    max_bytes: int = 0  # file: the largest the field takes
    too_large: str = ""  # file: the refusal of a larger one, its size written "{size}" (web/static/upload-limits.js)
    size: str = ""  # file: the size limit, "200 KB", "1 MB" (core/documents.size_label)
    size_unit: str = ""  # file: the unit the limit and a file's size beside it are written in, "KB" or "MB"
    children: list["Field"] = field(default_factory=list)  # group: its fields
    rows: list[list["Field"]] = field(default_factory=list)  # rows: one list of fields per row
    more: bool = True  # rows: another row may be added (not at maxItems)

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def _options(prop: dict[str, Any]) -> list[tuple[str, str]]:
    values = prop.get("enum", [])
    labels_en = prop.get("x-enum-labels", values)
    labels_hi = prop.get("x-enum-labels-hi", labels_en)
    return [(str(v), pick(str(en), str(hi))) for v, en, hi in zip(values, labels_en, labels_hi)]


def _get(values: dict[str, Any], name: str) -> Any:
    return values.get(name, "") if isinstance(values, dict) else ""


def _field(name: str, path: str, prop: dict[str, Any], required: bool, value: Any, errors: dict[str, str]) -> Field:
    kind = prop.get("type")
    if (value is None or value == "") and "default" in prop:
        value = prop["default"]
    f = Field(
        name=path,
        label=pick(prop.get("title", name), prop.get("x-title-hi", "")),
        help=pick(prop.get("description", ""), prop.get("x-description-hi", "")),
        widget="text",
        required=required,
        value=value if value is not None else "",
        error=errors.get(path, ""),
        inputmode=prop.get("x-inputmode", ""),
        maxlength=forms.typed_max_length(prop),
    )
    items = prop.get("items", {}) if isinstance(prop.get("items"), dict) else {}
    if kind == "object":
        f.widget = "group"
        group = value if isinstance(value, dict) else {}
        if f.error and not any(k.startswith(path + ".") for k in errors):
            # refused as a whole (a required group left empty is dropped, so "Address is required."):
            # mark the group's own fields, so that the operator sees which ones to fill
            errors = {**errors, **{path + "." + m.field: pick(m.en, m.hi) for m in forms.field_errors(prop, group)}}
        f.children = _fields(prop, group, errors, path + ".")
    elif kind == "array" and items.get("type") == "object":
        f.widget = "rows"
        existing = value if isinstance(value, list) else []
        count = max(len(existing) + 1, prop.get("x-rows", 2), prop.get("minItems", 0))
        count = min(count, prop.get("maxItems", count))
        f.more = count < prop.get("maxItems", count + 1)
        f.rows = [_fields(items, existing[i] if i < len(existing) else {}, errors, f"{path}.{i}.") for i in range(count)]
        f.error = f.error or next((m for k, m in errors.items() if k.startswith(path + ".") and k.count(".") == 1), "")
    elif kind == "array" and "enum" in items:
        f.widget = "checkboxes"
        f.options = _options(items)
        f.value = [str(v) for v in value] if isinstance(value, list) else []
    elif "x-upload" in prop:
        f.widget = "file"
        accept, max_kb = documents.limits(prop["x-upload"])
        f.accept, f.kinds, f.size = ",".join(accept), documents.kinds(accept), documents.size_label(max_kb)
        f.max_bytes, f.size_unit, f.too_large = max_kb * 1024, documents.size_unit(max_kb), pick(*documents.too_large(max_kb, "{size}"))
    elif "enum" in prop:
        f.widget = "select"
        f.options = _options(prop)
    elif kind == "boolean":
        f.widget = "checkbox"
    elif kind in ("integer", "number"):
        # a text box, not <input type=number>: that one sends nothing for "2,50,000" (then "is
        # required.") and changes the amount when the mouse wheel turns over it
        f.widget = "number"
        f.inputmode = f.inputmode or ("numeric" if kind == "integer" else "decimal")
    elif prop.get("format") == "date":
        f.widget = "date"
    elif prop.get("maxLength", 0) > 200:
        f.widget = "textarea"
    return f


def _fields(schema: dict[str, Any], values: dict[str, Any], errors: dict[str, str], prefix: str = "", only: list[str] | None = None) -> list[Field]:
    shape = forms.effective(schema, values)
    required = set(shape.get("required", []))
    names = [n for n in (only if only is not None else list(shape["properties"])) if n in shape["properties"]]
    return [_field(n, prefix + n, shape["properties"][n], n in required, _get(values, n), errors) for n in names]


def fields_for(schema: dict[str, Any], values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, step: int | None = None) -> list[Field]:
    """The fields to show: every field that applies, or those of one step of a multi-step form."""
    only = forms.steps(schema)[step]["fields"] if step is not None else None
    return _fields(schema, values or {}, errors or {}, only=only)


def step_title(schema: dict[str, Any], step: int) -> str:
    s = forms.steps(schema)[step]
    return pick(s.get("title", ""), s.get("x-title-hi", ""))

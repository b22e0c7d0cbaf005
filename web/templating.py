"""Jinja2 templates with gettext, money and date filters, and the JSON Schema form macros."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from emitra.core import config, documents, privacy
from emitra.core.ids import format_emitra_id
from emitra.core.money import format_paise
from emitra.core.payment_methods import upi as upi_method
from emitra.core.text import day_first
from emitra.web import i18n
from emitra.web.assets import static_url
from emitra.web.labels import audit_action, audit_by, audit_object, label
from emitra.web.security import csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"


def site_url(request: Request) -> str:
    """Where citizens reach this site, for an address a page prints (a certificate's check, the rate
    poster's complaint page): ``EMITRA_PUBLIC_URL`` when set, never the request's Host header, which
    the client chooses; unset, the address asked for."""
    from emitra.core.certificate_render import public_base_url

    if os.environ.get("EMITRA_PUBLIC_URL", "").strip():
        return public_base_url()
    return str(request.base_url).rstrip("/")


def local_time(value: dt.datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(ZoneInfo(config.timezone())).strftime(fmt)


def date_text(value: Any) -> str:
    """A date as every page writes it, DD-MM-YYYY: a date, or the ISO text of one (a cheque's date
    in a payment's details); anything else as it is."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value.strftime("%d-%m-%Y") if isinstance(value, dt.date) else ("" if value is None else str(value))


def detail_value(detail: dict[str, Any]) -> str:
    """A service's detail (a quote's row: ``value``, and ``value_hi`` when the plugin gives one) in the
    page's language, its dates as every page writes them: a due date ``2026-12-05`` as 05-12-2026, a
    bill month ``2026-10`` as Oct 2026 (अक्टूबर 2026), a date inside its text day first too. What is
    stored and what the API answers stay as the plugin gave them."""
    value = "" if detail.get("value") is None else str(detail.get("value"))
    en = day_first(value, within=True)[0]
    hi = day_first(str(detail.get("value_hi") or value), within=True)[1]
    # a quote shown before it is stored (the counter's confirmation page) may echo an Aadhaar number
    return privacy.mask_aadhaar_in_text(i18n.pick(en, hi))


def day_end_note(day_end: Any) -> str:
    """A day end's note in the page's language (core/dayend.note_hi for Hindi)."""
    from emitra.core.dayend import note_hi

    return i18n.pick(day_end.note, note_hi(day_end))


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.filters["paise"] = format_paise
    env.filters["local_time"] = local_time
    env.filters["emitra_id"] = lambda v: format_emitra_id(v) if v else ""
    env.filters["day_end_note"] = day_end_note
    env.filters["date_text"] = date_text
    env.filters["shown_details"] = upi_method.shown_details  # a pending UPI payment's QR code, drawn when shown (decision 188)
    env.filters["file_size"] = documents.size_text  # {{ doc.size_bytes|file_size }}: "120 KB", "1.5 MB"
    env.globals["detail_value"] = detail_value  # {{ detail_value(d) }}: a quote's detail, its dates day first
    env.filters["counter_name"] = i18n.counter_name  # {{ counter|counter_name }}: its Hindi name on a Hindi page
    env.filters["memo"] = i18n.memo  # {{ entry.memo|memo }}: a memo the core writes, in Hindi on a Hindi page
    env.globals["pick"] = i18n.pick
    env.globals["provider_name"] = i18n.provider_name
    env.globals["department"] = i18n.department  # {{ department(case.department, case.service_code) }}
    env.globals["label"] = label
    env.globals["audit_action"] = audit_action
    env.globals["audit_object"] = audit_object
    env.globals["audit_by"] = audit_by
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    env.globals["static_url"] = static_url  # {{ static_url('style.css') }}: the file's address kept a year (web/assets.py)
    return env


templates = Jinja2Templates(env=_env())


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    ctx = {
        "user": getattr(request.state, "user", None),
        "lang": i18n.current_lang.get(),
        "csrf_token": csrf_token(request),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)

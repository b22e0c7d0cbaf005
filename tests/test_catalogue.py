"""The whole catalogue: every registered service, filled in from its declared ``example``, taken
through the counter pages (form steps, uploads, confirmation, cash, receipt) and through the JSON
API (quote, transaction), on the demo database. A new plugin is covered by declaring its example.

Dates: a sandbox that reads the calendar keeps "now" in its ``today`` (and ``time_of_day``)
attribute. The examples' dates are chosen to be accepted on 20-11-2026 at 10:00, the date the
plugin tests use, so this test sets every such sandbox to that moment (and restores it after):
the suite keeps passing on later real dates (the RSRTC journey date, for one, would otherwise
pass out of its booking window).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from emitra.core import forms
from emitra.core.models import Citizen, Document, ServiceRequest
from emitra.core.money import format_paise
from emitra.core.plugins import get_host

TODAY = dt.date(2026, 11, 20)
TIME_OF_DAY = dt.time(10, 0)

#: a tiny file of each kind an upload field may accept (checked by its magic bytes)
SAMPLES = {
    "application/pdf": ("scan.pdf", b"%PDF-1.4 example"),
    "image/jpeg": ("photo.jpg", b"\xff\xd8\xff\xe0 example"),
    "image/png": ("scan.png", b"\x89PNG\r\n\x1a\n example"),
}

CODES = sorted(s.code for s in get_host().registry)


def _service(code: str):
    service = get_host().registry.get(code)
    assert service is not None, f"{code} is not loaded"
    assert service.example is not None, f"{code} declares no example"
    return service


@pytest.fixture
def pinned_calendars():
    """Every sandbox that has a ``today``: set to TODAY at TIME_OF_DAY, its in-memory bookings forgotten."""
    saved = []
    for service in get_host().registry:
        for sandbox in vars(service).values():
            if hasattr(sandbox, "today") and isinstance(getattr(sandbox, "today"), dt.date):
                saved.append((sandbox, sandbox.today, getattr(sandbox, "time_of_day", None)))
                sandbox.today = TODAY
                if hasattr(sandbox, "time_of_day"):
                    sandbox.time_of_day = TIME_OF_DAY
                if callable(getattr(sandbox, "reset", None)):
                    sandbox.reset()
    yield
    for sandbox, today, time_of_day in saved:
        sandbox.today = today
        if hasattr(sandbox, "time_of_day"):
            sandbox.time_of_day = time_of_day
        if callable(getattr(sandbox, "reset", None)):
            sandbox.reset()


def _sample(spec: dict[str, Any]) -> tuple[str, bytes, str]:
    mime = next(m for m in (spec.get("accept") or list(SAMPLES)) if m in SAMPLES)
    name, content = SAMPLES[mime]
    return name, content, mime


def _hidden(text: str) -> list[tuple[str, str]]:
    return [(k, html.unescape(v)) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text)
            if k != "csrf_token"]


def _form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _errors(text: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'class="error"[^>]*>([^<]+)<', text)]


def _ramesh(web) -> str:
    async def find():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(find)


def _stored_documents(web, service) -> dict[str, str]:
    """Upload a sample for every document field, in-process (the API has no upload endpoint): path -> public id."""
    uploads = list(forms.upload_fields(service.form))

    async def store():
        from emitra.core import documents
        from emitra.core.audit import Actor
        from emitra.core.models import Counter, User

        user = await User.get(username="operator1")
        counter = await Counter.get(id=user.counter_id)
        out = {}
        for path, spec in uploads:
            name, content, _mime = _sample(spec)
            out[path] = (await documents.store(Actor(user), counter, service, path, name, content)).public_id
        return out

    return web.run(store) if uploads else {}


def _with_documents(example: dict[str, Any], docs: dict[str, str]) -> dict[str, Any]:
    form = json.loads(json.dumps(example))
    for path, public_id in docs.items():
        node = form
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = public_id
    return form


def _through_the_pages(web, service, eid: str):
    """Post the example step by step, with a sample file in each document field; return the confirmation page."""
    url = f"/counter/citizens/{eid}/services/{service.code}"
    page = web.get(url)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    pairs = forms.flatten(service.example)
    uploads = dict(forms.upload_fields(service.form))
    steps = forms.steps(service.form)
    carried = _hidden(page.text)  # the step number
    for i, step in enumerate(steps):
        shown = set(step["fields"])
        mine = [(k, v) for k, v in pairs if k.split(".")[0] in shown]
        files = {path: _sample(spec) for path, spec in uploads.items() if path.split(".")[0] in shown}
        page = web.client.post(url, data=_form(carried + mine + [("csrf_token", token)]), files=files or None)
        assert page.status_code == 200, (f"step {i + 1}", _errors(page.text) or page.text[:1000])
        if i + 1 < len(steps):
            assert f"Step {i + 2} / {len(steps)}" in page.text, (f"step {i + 1}", _errors(page.text))
            carried = _hidden(page.text)
    assert 'id="total"' in page.text, _errors(page.text) or page.text[:1000]
    return url, page


@pytest.mark.parametrize("code", CODES)
def test_the_example_goes_through_the_counter_pages_and_the_api(web, pinned_calendars, code):
    service = _service(code)
    eid = _ramesh(web)
    h = web.api_token("operator1")
    web.login("operator1")
    form = _with_documents(service.example, _stored_documents(web, service))

    quote = web.post("/api/v1/quotes", headers=h, json={"service_code": code, "form": form})
    assert quote.status_code == 200, quote.text
    total = quote.json()["citizen_total_paise"]

    # the counter pages: the form, step by step; the amount to confirm; cash; the receipt
    url, confirm = _through_the_pages(web, service, eid)
    shown = html.unescape(re.search(r'id="total">([^<]+)<', confirm.text).group(1))
    assert shown == format_paise(total)
    paid = web.client.post(url + "/pay", data=_form(_hidden(confirm.text) + [("csrf_token", web.csrf(url))]))
    assert paid.status_code == 303, _errors(paid.text) or paid.text[:1000]
    receipt_no = paid.headers["location"].rsplit("/", 1)[1]
    receipt = web.get(paid.headers["location"])
    assert receipt.status_code == 200
    text = html.unescape(receipt.text)
    assert re.search(r'id="receipt-no">([^<]+)<', text).group(1) == receipt_no
    assert service.title_en in text
    assert html.unescape(re.search(r'id="receipt-total">([^<]+)<', receipt.text).group(1)) == format_paise(total)

    async def attached():
        req = await ServiceRequest.get(receipt_no=receipt_no)
        return sorted(await Document.filter(request_id=req.id).values_list("field", flat=True))

    assert web.run(attached) == sorted(path for path, _ in forms.upload_fields(service.form))

    # the JSON API: the same form (its documents stored beforehand) paid for with the quoted amount
    body = {"citizen": eid, "service_code": code, "form": form, "idempotency_key": f"catalogue-{uuid.uuid4().hex}",
            "payment": {"method": "cash", "amount_paise": total}}
    created = web.post("/api/v1/transactions", headers=h, json=body)
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["citizen_total_paise"] == total and made["receipt_no"] != receipt_no
    assert made["status"] in ("paid", "submitted"), made


def test_the_cli_lists_the_catalogue_as_json():
    emitra = Path(sys.executable).parent / "emitra"
    done = subprocess.run([str(emitra), "plugins", "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) >= 20
    assert {r["domain"] for r in rows} >= {"government", "central", "private"}
    for row in rows:
        assert isinstance(row["fee_paise"], int) and row["fee_paise"] >= 0, row
        assert row["payer"] in ("citizen", "department", "partner"), row
    assert {r["code"] for r in rows} == set(CODES)

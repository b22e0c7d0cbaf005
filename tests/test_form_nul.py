"""Hostile input through the pages' own forms: every form a role can open, posted with a NUL
character in each of its fields, and again with a lone UTF-16 surrogate in each, is refused with a
page that names the field (400), never a server error, on both databases, and nothing is written.
PostgreSQL stores no NUL in text or JSONB, so a NUL that reaches the database is a 500 there and a
stored NUL on SQLite; a lone surrogate is no character at all, so neither database (nor the page)
can encode it. A browser never sends one, but a multipart form that declares ``charset=utf-7``
decodes "+2AA-" into one (core/text.py). The JSON API's fuzzing covers the API
(tests/test_fuzz_api.py), this the HTML forms.

Forms are found on the pages each role opens without a path parameter, and on the pages those
link to (one level), as a kiosk operator would reach them."""

from __future__ import annotations

import html
import re

import pytest

from emitra.core.models import Citizen, Role
from emitra.core.text import unstorable

from .case_helpers import caste_case, grievance_case
from .test_route_roles import USERS, _row_counts, guarded_routes

NUL = "ab\x00cd"
SURROGATE = "ab\ud800cd"
BOUNDARY = "emitraFormBoundary"
# forms that end the session or only switch the language: posting them tells nothing
SKIP_ACTIONS = ("/logout", "/lang/")
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
FIELD = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.I)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
LINK = re.compile(r'href="(/[^"#?]*)(?:\?[^"]*)?"')


def _attrs(text: str) -> dict[str, str]:
    return {k.lower(): html.unescape(v) for k, v in ATTR.findall(text)}


def _forms(page: str, path: str) -> list[tuple[str, dict[str, str], list[str]]]:
    """(action, hidden values, names of the fields a user types into) of each POST form."""
    out = []
    for head, body in FORM.findall(page):
        a = _attrs(head)
        if a.get("method", "get").lower() != "post":
            continue
        action = a.get("action") or path
        if action.startswith(SKIP_ACTIONS) or a.get("enctype", "").lower() == "multipart/form-data":
            continue  # uploads: tests/test_uploads.py posts files with hostile names and contents
        hidden, typed = {}, []
        for tag, rest in FIELD.findall(body):
            f = _attrs(rest)
            name = f.get("name")
            if not name:
                continue
            kind = f.get("type", "text").lower() if tag.lower() == "input" else tag.lower()
            if kind == "hidden":
                hidden[name] = f.get("value", "")
            elif kind in ("text", "textarea", "search", "tel", "email", "number", "date", "password", "select", "url"):
                typed.append(name)
        out.append((action, hidden, typed))
    return out


def multipart(fields: dict[str, str], charset: str = "utf-7") -> dict:
    """Keyword arguments for ``client.post``: ``fields`` as a multipart form that declares ``charset``
    and is written in it (UTF-7 writes a lone surrogate as "+2AA-", which Starlette decodes back)."""
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode(charset) + b"\r\n"
             for name, value in fields.items()]
    return {"content": b"".join(parts) + f"--{BOUNDARY}--\r\n".encode(),
            "headers": {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}; charset={charset}"}}


def _pages(web) -> list[str]:
    """Pages this role opens without a path parameter, and the pages they link to."""
    roots = [p for p, methods, kind, _roles in guarded_routes() if kind == "page" and "GET" in methods and "{" not in p]
    seen, out = set(), []
    for root in roots:
        page = web.get(root)
        if page.status_code != 200:
            continue
        for path in [root, *LINK.findall(page.text)]:
            if path not in seen and not path.startswith(("/static", "/logout", "/lang", "/api")):
                seen.add(path)
                out.append(path)
    return out


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.LSP_ADMIN, Role.SOCIETY_ADMIN, Role.DEPARTMENT_OFFICER, Role.CITIZEN, Role.STATE_ADMIN],
                         ids=lambda r: r.value)
def test_every_form_refuses_a_nul_character_or_a_lone_surrogate_naming_the_field(web, role):
    web.run(lambda: caste_case("nul-1"))  # a case on the Revenue officer's desk, and the citizen's to track
    web.run(lambda: grievance_case("nul-2"))
    user = "tehsildar" if role == Role.DEPARTMENT_OFFICER else USERS[role]
    web.login(user)
    posted, failures = 0, []
    for path in _pages(web):
        page = web.get(path)
        if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
            continue
        for action, hidden, typed in _forms(page.text, path):
            for field in typed:  # one field at a time, the others as the page filled them
                fields = {**hidden, **{f: "1" for f in typed}}
                for what, sent in (("a NUL character", {"data": {**fields, field: NUL}}),
                                   ("a lone UTF-16 surrogate", multipart({**fields, field: SURROGATE}))):
                    before = _row_counts(web)
                    response = web.post(action, **sent)
                    posted += 1
                    named = f"The field '{field}' contains {what}" in html.unescape(response.text)
                    if response.status_code != 400 or not named:  # refused, the field named, before any handler reads it
                        failures.append(f"{action} {field} ({what}): {response.status_code}")
                    elif _row_counts(web) != before:
                        failures.append(f"{action} {field} ({what}): refused, but rows were written")
                    if response.status_code == 303 and response.headers.get("location", "").startswith("/login"):
                        web.login(user)  # a form that ended the session (none should): carry on as the same user
    assert posted >= 6, f"{posted} field(s) posted: the walk is broken"
    assert failures == [], failures


def test_the_bytes_of_a_surrogate_in_a_form_are_decoded_to_characters_a_database_stores(web):
    """A urlencoded form decodes the UTF-8 bytes of a surrogate, percent-encoded (%ED%A0%80), as three
    replacement characters, and sent raw as three Latin-1 characters; a multipart form in UTF-8
    falls back to Latin-1 the same way. Either way the citizen is registered with characters both
    databases store, and their page shows: never a server error."""
    web.login("operator1")
    fields = {"date_of_birth": "1990-01-01", "gender": "F", "address": "Chomu"}
    sent = [("Asha", "9414000001", {"content": b"name=Asha%ED%A0%80", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
            ("Bela", "9414000002", {"content": b"name=Bela\xed\xa0\x80", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
            ("Chetna", "9414000003", None)]
    for name, mobile, kwargs in sent:
        token = web.csrf("/counter/citizens/new")
        if kwargs is None:  # multipart, UTF-8, the surrogate's bytes raw in the name
            kwargs = multipart({**fields, "mobile": mobile, "csrf_token": token, "name": name}, "utf-8")
            kwargs["content"] = kwargs["content"].replace(name.encode(), name.encode() + b"\xed\xa0\x80")
        else:
            rest = "&".join(f"{k}={v}" for k, v in {**fields, "mobile": mobile, "csrf_token": token}.items())
            kwargs = {**kwargs, "content": kwargs["content"] + b"&" + rest.encode()}
        response = web.post("/counter/citizens/new", **kwargs)
        assert response.status_code == 303, (name, response.status_code)
        assert web.get(response.headers["location"]).status_code == 200

    async def names():
        return dict(await Citizen.filter(mobile__in=[m for _, m, _ in sent]).values_list("mobile", "name"))

    stored = web.run(names)
    assert stored["9414000001"] == "Asha\ufffd\ufffd\ufffd"
    assert stored["9414000002"].startswith("Bela") and stored["9414000003"].startswith("Chetna")
    assert not any(unstorable(name) for name in stored.values())

"""Every page a test client can reach is well-formed HTML5, for every role allowed on it.

The pages are parsed with html5lib, the WHATWG parser, which lists every parse error (an attribute
glued to the one before it, a stray end tag, a duplicate attribute...) where a browser silently
repairs the page. On top of what the parser reports, each page is checked for three faults no parse
error names: an ``id`` used twice on the page (a ``<label for>`` or ``aria-describedby`` then points
at the first one only), attributes written without a space between them, and a ``<label for>`` that
points at no element (a screen reader reads the box without its name, and a click on the label
focuses nothing).

Walked, in English and in Hindi: every GET page of the route table as each role allowed on it (anonymous for public ones),
with the demo's ids and an application paid at the counter so that receipts, cases, documents and
an inspection are real; the counter's form of every loaded service, blank and sent empty (every
field's refusal shown); the Network page's and the watch lists' forms sent empty; the error pages
(404, 403, 405, a form without its CSRF token). A fault is fixed in the templates, never here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter as Tally

import html5lib
import pytest
from html5lib.constants import E as ERRORS

from emitra.core import clock, dayend, inspections, workflow
from emitra.core.models import Certificate, Citizen, Counter, Document, Role, ServiceRequest
from emitra.core.plugins import get_host
from emitra.web.security import ANYONE
from tests.case_helpers import actor, caste_case
from tests.test_route_roles import ANONYMOUS, COOKIE, USERS, Visitors, _fill, page_and_api_routes

#: a start tag: its name, then its attributes as written
START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)\s*/?>")
#: a quoted attribute value followed at once by something that is not a space, ``/`` or the tag's end
GLUED = re.compile(r"=\s*(\"[^\"]*\"|'[^']*')(?=[^\s/>])")
TAG_OPEN = re.compile(r"<[a-zA-Z][^<>]*>")
RAW_TEXT = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.S | re.I)


def _message(code: str, data: dict | None) -> str:
    try:
        return ERRORS.get(code, code) % (data or {})
    except (KeyError, TypeError, ValueError):
        return code


def faults(html: str) -> list[str]:
    """What is wrong with the page ``html``: the parser's errors (with the line and column), ids used
    more than once, attributes glued together, labels for no element."""
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    tree = parser.parse(html)
    lines = html.splitlines()
    found = []
    for (line, col), code, data in parser.errors:
        where = lines[line - 1][max(0, col - 60):col + 20] if 0 < line <= len(lines) else ""
        found.append(f"parse error at {line}:{col}: {_message(code, data)} ({where.strip()!r})")
    ids = Tally(el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id") is not None)
    found += [f"id {name!r} is used {n} times" for name, n in ids.items() if n > 1]
    found += [f"id {name!r} is empty or has spaces" for name in ids if not name or re.search(r"\s", name)]
    for el in tree.iter():
        if el.tag == "label" and el.get("for") is not None and el.get("for") not in ids:
            found.append(f"<label for={el.get('for')!r}> points at no element ({''.join(el.itertext()).strip()[:40]!r})")
    text = RAW_TEXT.sub("", html)
    for tag in TAG_OPEN.findall(text):
        if not START_TAG.fullmatch(tag) or GLUED.search(tag):
            found.append(f"attributes glued or malformed in {tag[:160]!r}")
    return found


def test_the_checks_find_what_they_look_for():
    """The checker itself, on pages with one fault each (a check that finds nothing checks nothing)."""
    page = '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>{}</body></html>'
    assert faults(page.format('<label for="a">A</label><input id="a" name="a" required>')) == []
    glued = faults(page.format('<input id="a" name="a"required>'))
    assert any("glued" in f for f in glued) and any("parse error" in f for f in glued)
    assert any("glued" in f for f in faults(page.format("<input id='a' name='a'maxlength=3>")))
    assert faults(page.format('<p id="x">1</p><p id="x">2</p>')) == ["id 'x' is used 2 times"]
    assert faults(page.format('<label for="nowhere">A</label><input id="a">')) == ["<label for='nowhere'> points at no element ('A')"]
    assert any("parse error" in f for f in faults(page.format("<p><div></p>")))
    assert any("parse error" in f for f in faults(page.format('<input name="a" name="b">')))


def _demo(web) -> dict[str, str]:
    """An application paid at the demo counter, approved and its certificate issued (its receipt,
    case, document, certificate), the counter's day closed (a deposit slip), an inspection recorded,
    and the other ids the route table's paths take."""

    async def make():
        case = await caste_case("html-valid")
        case = await workflow.act(await actor("tehsildar"), case, "approve", "Caste verified against the ration card")
        case = await workflow.act(await actor("tehsildar"), case, "issue")
        certificate = await Certificate.get(case_id=case.id)
        request = await ServiceRequest.get(id=case.request_id)
        document = await Document.filter(request_id=request.id).first()
        counter = await Counter.get(id=request.counter_id)
        day = await dayend.next_open_date(counter)
        day_end = await dayend.close_day(await actor("operator1"), counter, day, (await dayend.figures(counter, day)).expected_paise)
        inspection = await inspections.record(await actor("society"), counter, clock.today() - dt.timedelta(days=1),
                                              {i.code: True for i in inspections.checklist_for(counter)}, "All in order.",
                                              "Repaint the rate board.", clock.today() + dt.timedelta(days=7))
        citizen = await Citizen.get(id=request.citizen_id)
        return {"receipt_no": request.receipt_no, "case_id": str(case.id), "number": certificate.number, "token": certificate.token,
                "emitra_id": citizen.emitra_id, "public_id": document.public_id, "inspection_id": str(inspection.id),
                "slip_no": day_end.slip_no, "day_end_id": str(day_end.id), "code": counter.code, "lsp_id": str(counter.lsp_id),
                "lang": "hi", "case_number": case.number}

    return web.run(make)


class Walker(Visitors):
    """Each role's session, every page asked for in ``lang``."""

    def __init__(self, web, lang: str):
        super().__init__(web)
        self.lang = lang

    def _in_lang(self, url: str) -> str:
        return f"{url}{'&' if '?' in url else '?'}lang={self.lang}"

    def request(self, role, kind: str, method: str, url: str):
        return super().request(role, kind, method, self._in_lang(url))

    def post(self, role, url: str, data: dict[str, str]):
        """``data`` posted to ``url`` as ``role``, with its CSRF token."""
        self.web.client.cookies.clear()
        self.web.client.cookies.set(COOKIE, self.cookies[role])
        return self.web.client.post(self._in_lang(url), data={**data, "csrf_token": self.csrf[role]})


def _roles(allowed) -> list:
    return [ANONYMOUS] if allowed == ANYONE else [role for role in USERS if role in allowed]


def _page(answer) -> bool:
    return answer.headers.get("content-type", "").startswith("text/html")


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_every_page_every_role_reaches_is_well_formed_html(web, lang):
    ids = _demo(web)
    visitors = Walker(web, lang)
    problems, pages = [], 0

    def check(what: str, answer) -> None:
        nonlocal pages
        if not _page(answer):
            return
        pages += 1
        assert f'<html lang="{lang}">' in answer.text[:100], what
        problems.extend(f"{what} ({answer.status_code}): {fault}" for fault in faults(answer.text))

    routes = sorted(page_and_api_routes(), key=lambda r: r[0] in ("/logout", "/lang/{lang}"))
    for path, methods, kind, allowed in routes:
        if kind != "page" or "GET" not in methods:
            continue
        if path == "/counter/citizens/{emitra_id}/services/{code}":
            continue  # every service's form, below
        url = _fill(path.replace("/my/{number}", "/my/{case_number}"), ids)
        for role in _roles(allowed):
            check(f"GET {url} as {role.value if role else 'anonymous'}", visitors.request(role, "page", "GET", url))
    # the counter's form of every service, blank and sent empty (each field's refusal beside it)
    citizen = ids["emitra_id"]
    for service in get_host().registry:
        url = f"/counter/citizens/{citizen}/services/{service.code}"
        check(f"GET {url}", visitors.request(Role.OPERATOR, "page", "GET", url))
        check(f"POST {url} (empty)", visitors.request(Role.OPERATOR, "page", "POST", url))
    # forms sent empty, each refusal shown beside its field
    for role, action in [(Role.SOCIETY_ADMIN, "lsp"), (Role.SOCIETY_ADMIN, "counter"), (Role.SOCIETY_ADMIN, "society"),
                         (Role.LSP_ADMIN, "operator"), (Role.SOCIETY_ADMIN, "close")]:
        check(f"POST /network {action} (empty) as {role.value}", visitors.post(role, "/network", {"action": action, "code": ids["code"]}))
    for role, url in [(Role.OPERATOR, "/counter/citizens/new"),
                      (Role.SOCIETY_ADMIN, "/society/inspections/new"), (ANONYMOUS, "/grievances/new"), (ANONYMOUS, "/verify/receipt"),
                      (ANONYMOUS, "/login"), (Role.OPERATOR, "/counter/dayend"), (Role.LSP_ADMIN, "/lsp/prices")]:
        check(f"POST {url} (empty) as {role.value if role else 'anonymous'}", visitors.request(role, "page", "POST", url))
    bad = {k: "x" for k in ("dormant_days", "dormant_min", "over_days", "short_days", "short_min", "complaint_days",
                             "complaint_min", "hours", "lookup_days", "on")}
    check("GET /society/watch with every threshold refused", visitors.request(
        Role.SOCIETY_ADMIN, "page", "GET", "/society/watch?" + "&".join(f"{k}={v}" for k, v in bad.items())))
    # the error pages: not found, forbidden, a method not allowed, a form without its CSRF token
    check("404", visitors.request(Role.OPERATOR, "page", "GET", "/no-such-page"))
    check("404 anonymous", visitors.request(ANONYMOUS, "page", "GET", "/no-such-page"))
    check("403", visitors.request(Role.OPERATOR, "page", "GET", "/society/watch"))
    check("405", visitors.request(Role.OPERATOR, "page", "GET", "/logout"))
    web.client.cookies.clear()
    check("403 no CSRF", web.client.post(f"/login?lang={lang}", data={"username": "x", "password": "y"}))
    assert not problems, f"{len(problems)} faults on {pages} pages:\n" + "\n".join(problems)
    assert pages > 150


def test_no_template_writes_a_conditional_attribute_without_its_own_space():
    """The pages are rendered with ``trim_blocks`` and ``lstrip_blocks`` (web/templating.py): the newline
    after ``{% endif %}`` and the indentation before ``{% if %}`` are dropped, so an attribute written
    as ``{% if x %}attr="..."{% endif %}`` is glued to the one before it whenever the line before
    ends a condition too. Each conditional attribute carries its own space inside the condition
    (``{% if x %} attr="..."{% endif %}``), which holds however the lines are broken, on pages this
    walk does not reach too."""
    from emitra.web.templating import TEMPLATE_DIR

    glued = re.compile(r"\{%-? (?:if|elif|else)\b[^%]*%\}(?=[a-z][a-z-]*=\"|(?:checked|selected|disabled|required|autofocus|"
                       r"hidden|open|formnovalidate|novalidate|readonly|multiple)(?:\{%|[\s>]))")
    found = [f"{path.relative_to(TEMPLATE_DIR)}:{n}: {line.strip()[:120]}"
             for path in sorted(TEMPLATE_DIR.rglob("*.html")) for n, line in enumerate(path.read_text().splitlines(), 1)
             if glued.search(line)]
    assert not found, "\n".join(found)

"""What the counter's main pages cost on a slow kiosk link: the bytes each sends, and the requests it
makes, the first time and once its style sheet is kept (docs/performance.md, "Page weight").

A JanMitra kiosk is often on a 2G/EDGE or shared rural line: some 64 kbit/s (8,000 bytes a second)
and half a second or more per round trip. The budget is each page in half a second of that line or
less (:data:`PAGE_BUDGETS`), and one request per page once the browser has the style sheet; the
first page of the day brings its files too. Bytes are those on the wire: the status line, the headers and the (gzipped) body.
"""

import re

from emitra.core import counter as counter_core
from emitra.core.audit import Actor
from emitra.core.models import Citizen, Counter, User
from tests.test_web_counter import BILL, pay, ramesh

#: bytes of each page's answer, headers included (some 600 of them: the security policy is the longest),
#: measured in English and Hindi at the end of 2026 plus about a quarter, so that a page growing by
#: a few lines passes and one doubling (gzip lost, a table repeated) does not. The citizen's page is the
#: largest: every service of the counter, each with its description, and the citizen's last payments
#: (some 4,000 bytes in Hindi: half a second at 64 kbit/s).
PAGE_BUDGETS = {"log-in": 2_000, "counter home": 2_500, "citizen's page": 5_000, "service form": 2_500,
                "confirmation": 3_500, "receipt": 3_000}
#: bytes of the files a page links, the first time (the style sheet some 2,400 with its headers, gzipped;
#: the print button's script some 800); later pages ask for none of them
FILES_BUDGET = 3_500
#: requests of a first visit: the page, its style sheet and at most one script
FIRST_VISIT_REQUESTS = 3
#: a file kept at least this long is not asked for again on the next page
KEPT_SECONDS = 24 * 3600


def wire_bytes(response) -> int:
    """The bytes of an answer as they cross the line: status line, headers and body as sent (gzipped)."""
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n")
    head += sum(len(name) + len(value) + 4 for name, value in response.headers.raw) + 2
    return head + response.num_bytes_downloaded


def kept(response) -> bool:
    """Whether a browser keeps this answer, unasked, for the next pages (``max-age`` of a day or more)."""
    match = re.search(r"max-age=(\d+)", response.headers.get("cache-control", ""))
    return bool(match) and int(match.group(1)) >= KEPT_SECONDS and "no-cache" not in response.headers["cache-control"]


def weigh(web, name: str, page) -> dict:
    """The page's answer and the files it links (style sheets, scripts), each fetched as a browser would."""
    assert page.status_code == 200, (name, page.status_code)
    files = [web.get(url) for url in re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', page.text)]
    assert files and all(f.status_code == 200 for f in files), name
    return {"page": wire_bytes(page), "first": wire_bytes(page) + sum(map(wire_bytes, files)),
            "requests": 1 + len(files), "later": 1 + sum(not kept(f) for f in files)}


async def _fifteen_payments() -> None:
    """The counter's home page lists its last 15 requests: a day's worth, so it is weighed full."""
    user = await User.get(username="operator1")
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    for n in range(15):
        await counter_core.record_cash(Actor(user), counter, citizen, BILL, {"k_number": "210412345678"}, f"weight-{n}")


def _counter_pages(web, lang: str) -> dict[str, dict]:
    web.client.cookies.clear()
    web.get(f"/lang/{lang}")
    weights = {"log-in": weigh(web, "log-in", web.get("/login"))}
    web.login("operator1")
    eid = ramesh(web)
    weights["counter home"] = weigh(web, "counter home", web.get("/counter"))
    weights["citizen's page"] = weigh(web, "citizen's page", web.get(f"/counter/citizens/{eid}"))
    weights["service form"] = weigh(web, "service form", web.get(f"/counter/citizens/{eid}/services/{BILL}"))
    done, confirm = pay(web, eid, tendered="1500")
    weights["confirmation"] = weigh(web, "confirmation", confirm)
    weights["receipt"] = weigh(web, "receipt", web.get(done.headers["location"]))
    return weights


def test_the_counters_pages_stay_within_their_budget_on_a_slow_link(web):
    """Log-in, the counter's home (full), a citizen's page, a service form, its confirmation and the
    receipt, in English and Hindi (Devanagari is three bytes a letter): each page's answer in half a
    second of a 64 kbit/s line; the first visit within its bytes and requests; every later page one
    request. Pages went out uncompressed (the citizen's page 9 KB) and the style sheet was asked for
    again on every page (no lifetime: one more round trip each)."""
    web.run(_fifteen_payments)
    over = []
    for lang in ("en", "hi"):
        for name, weight in _counter_pages(web, lang).items():
            where = f"{name} ({lang})"
            if weight["page"] > PAGE_BUDGETS[name]:
                over.append(f"{where}: {weight['page']} bytes, budget {PAGE_BUDGETS[name]}")
            if weight["first"] - weight["page"] > FILES_BUDGET:
                over.append(f"{where}: its files {weight['first'] - weight['page']} bytes, budget {FILES_BUDGET}")
            if weight["requests"] > FIRST_VISIT_REQUESTS:
                over.append(f"{where}: first visit {weight['requests']} requests, budget {FIRST_VISIT_REQUESTS}")
            if weight["later"] != 1:
                over.append(f"{where}: {weight['later']} requests once its files are kept, budget 1")
    assert over == [], "\n".join(over)


def test_pages_and_style_sheets_are_gzipped_for_a_browser_that_takes_it(web):
    page = web.get("/login", headers={"accept-encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip" and "accept-encoding" in page.headers["vary"].lower()
    assert page.num_bytes_downloaded < len(page.content) / 2 and "csrf_token" in page.text
    style = web.get(re.search(r'href="(/static/style[^"]+)"', page.text).group(1), headers={"accept-encoding": "gzip"})
    assert style.headers["content-encoding"] == "gzip" and style.num_bytes_downloaded < len(style.content) / 2
    plain = web.get("/login", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.num_bytes_downloaded == len(plain.content)
    short = web.get("/healthz", headers={"accept-encoding": "gzip"})  # under 500 bytes: gzip would add more than it saves
    assert "content-encoding" not in short.headers


def test_every_page_carries_its_own_csrf_token_and_each_is_taken(web):
    """A compressed page that repeats the same secret beside text an attacker can put in it (a search,
    an address) gives the secret away through its size (BREACH): the token is masked afresh on every
    page, and the session's token is taken from any of them."""
    web.login("operator1")
    tokens = {web.csrf("/counter") for _ in range(3)}
    assert len(tokens) == 3
    for token in tokens:
        assert web.post("/lang/hi", data={"csrf_token": token, "next": "/counter"}).status_code == 303
    other = tokens.pop()
    web.logout()
    web.login("operator1")  # a new session: the last one's tokens are refused
    assert web.post("/lang/en", data={"csrf_token": other, "next": "/counter"}).status_code == 403
    assert web.post("/lang/en", data={"csrf_token": other[:-2], "next": "/counter"}).status_code == 403

"""The Society's audit log page (decision 201): the home page listed the district's 30 newest audit
entries and nothing else, so a deposit confirmed this morning was gone behind 30 log-ins by noon, and
the docs' "written to the audit log" pointed a new clerk at a page that could not show it."""

from __future__ import annotations

import html
import re

from emitra.core import dayend
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Counter, District, User
from emitra.core.onboarding import set_counter


def _rows(page) -> list[str]:
    body = page.text.split('<tbody id="audit-rows">', 1)[1].split("</tbody>", 1)[0]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in body.split("</tr>") if "<td" in row]


def test_a_change_behind_many_log_ins_is_found_on_the_audit_log_page(web):
    async def rename():
        await set_counter(Actor(await User.get(username="society"), via="web"), "JP-JM-001", name="JanMitra Kiosk, Chomu Bazaar")
    web.run(rename)
    for _ in range(26):  # a morning's log-ins and log-outs push it off the home page's 30
        web.login("society")
        web.logout()
    web.login("society")
    home = web.get("/")
    assert "Counter updated" not in home.text and "JP-JM-001" in home.text and 'href="/admin/audit"' in home.text

    page = web.get("/admin/audit")
    assert page.status_code == 200
    rows = _rows(page)
    assert len(rows) == 2 and "society" in rows[0] and "Counter JP-JM-001" in rows[0], rows  # log-ins left out by default
    assert "Demo data loaded" in rows[1] and "District JP" in rows[1], rows  # named in words, not "District 1"
    assert rows[1].split(" ")[2:4] == ["(command", "line)"], rows[1]  # not "(cli)"
    everything = _rows(web.get("/admin/audit", params={"what": "all"}))
    assert len(everything) == 50 and "Logged in" in everything[0] and "User society" in everything[0], everything[0]
    second = web.get("/admin/audit", params={"what": "all", "page": "2"})
    assert "Page 2 of" in second.text and len(_rows(second)) >= 1
    only = _rows(web.get("/admin/audit", params={"what": "auth.login", "who": "SOCIETY "}))
    assert only and all("Logged in" in r for r in only)
    assert _rows(web.get("/admin/audit", params={"who": "lsp"})) == []
    today = dayend.today().isoformat()
    assert len(_rows(web.get("/admin/audit", params={"from": today, "to": today}))) == 2
    assert _rows(web.get("/admin/audit", params={"to": "2026-01-01"})) == []
    hindi = web.get("/admin/audit", params={"lang": "hi"})
    assert hindi.status_code == 200 and "ऑडिट लॉग" in hindi.text and "काउंटर" in _rows(hindi)[0]
    assert "(कमांड लाइन)" in _rows(hindi)[1]
    web.get("/lang/en?next=/")

    for query, said in (({"from": "30-11-2026"}, "From: give a date as YYYY-MM-DD"), ({"what": "nothing.such"}, "What: choose"),
                        ({"from": "2026-12-02", "to": "2026-11-01"}, "From: the period starts after it ends"),
                        ({"page": "0"}, "Page: give a whole number")):
        refused = web.get("/admin/audit", params=query)
        assert refused.status_code == 400 and said in html.unescape(refused.text), (query, html.unescape(refused.text)[-2000:])


def test_the_audit_log_page_keeps_to_the_district_and_the_admins(web):
    async def elsewhere():
        district = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
        await AuditLog.create(district=district, actor_name="society_aj", action="counter.updated", object_type="Counter", object_id="99")
    web.run(elsewhere)
    for who in ("operator1", "lsp", "tehsildar"):
        web.login(who)
        assert web.get("/admin/audit").status_code == 403, who
        web.logout()
    web.login("society")
    assert "society_aj" not in web.get("/admin/audit").text
    web.logout()
    web.login("state")
    assert "society_aj" in web.get("/admin/audit").text
    assert web.run(lambda: Counter.get(code="JP-JM-001")).name  # nothing changed by reading

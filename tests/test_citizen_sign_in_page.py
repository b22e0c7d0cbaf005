"""The Society's page that stops or restarts one citizen's sign-in by a code (web/citizen_sign_in.py,
decision 137): before, only `emitra user deactivate | reactivate` did it (decision 133), so a Society
without a shell at hand could not stop a stolen phone's holder.

Through the application's own pages: the Society's admin finds the citizen by e-Mitra ID or by the
registered mobile (shown masked), stops the sign-in with a reason (the citizen's open session ends,
a code is refused with the message as before), restarts it; each change is the command line's audit
record with the reason; only the district's own citizens; Hindi; the forms need the CSRF token.
"""

from __future__ import annotations

import re

from emitra.core.ids import format_emitra_id
from emitra.core.models import AuditLog, Citizen, District, User
from tests.test_citizen_login import COOKIE, SUNITA, SUNITA_SHOWN, ask_code, last_code, type_code

PAGE = "/society/citizen-sign-in"


def _row(page: str, citizen_id: int) -> str:
    found = re.search(rf'<tr id="c-{citizen_id}">(.*?)</tr>', page, re.S)
    assert found, page[:500]
    return found.group(1)


def _as(web, cookie: str) -> None:
    web.client.cookies.clear()
    web.client.cookies.set(COOKIE, cookie)


def test_the_society_stops_and_restarts_a_citizens_sign_in_from_its_page(web):
    # Sunita signs in on her phone
    ask_code(web, SUNITA)
    assert type_code(web, last_code(web)).headers["location"] == "/my"
    sunita_browser = web.client.cookies[COOKIE]
    sunita = web.run(lambda: Citizen.get(mobile=SUNITA))
    # the Society's admin finds the page from the menu and the Network page, and her by mobile
    web.client.cookies.clear()
    web.login("society")
    society_browser = web.client.cookies[COOKIE]
    assert f'href="{PAGE}"' in web.get("/society/today").text and f'href="{PAGE}"' in web.get("/network").text
    found = web.get(PAGE, params={"q": "+91 94140 98765"})
    assert found.status_code == 200 and SUNITA_SHOWN in found.text and SUNITA not in found.text
    row = _row(found.text, sunita.id)
    assert "Sunita Devi" in row and format_emitra_id(sunita.emitra_id) in row and "Can sign in" in row
    # a reason is needed: nothing changes without one
    refused = web.post_form(f"{PAGE}/stop", {"citizen": str(sunita.id), "reason": " "}, token_from=PAGE)
    assert refused.status_code == 400 and "Reason: say why" in refused.text
    assert web.run(lambda: User.get(citizen_id=sunita.id)).active
    # stopped, with the reason
    stopped = web.post_form(f"{PAGE}/stop", {"citizen": str(sunita.id), "reason": "Phone stolen, reported at JP-JM-001"},
                            token_from=PAGE)
    assert stopped.status_code == 303 and stopped.headers["location"].startswith(PAGE + "?")
    assert SUNITA not in stopped.headers["location"]
    page = web.get(stopped.headers["location"]).text
    assert "Sign-in of Sunita Devi stopped" in page
    row = _row(page, sunita.id)
    assert "Stopped" in row and "Phone stolen, reported at JP-JM-001" in row and "Restart Sunita Devi" in row
    entry = web.run(lambda: AuditLog.filter(action="user.deactivated").order_by("-id").first())
    assert entry.actor_name == "society" and entry.detail["reason"] == "Phone stolen, reported at JP-JM-001"
    assert entry.detail["sessions_ended"] == 1 and entry.detail["via"] == "web"
    # her open session ended; a code meets the message the command line's stop gives
    _as(web, sunita_browser)
    assert web.get("/my").headers["location"] == "/my/login?next=/my"
    ask_code(web, SUNITA)
    again = type_code(web, last_code(web))
    assert again.status_code == 403 and "stopped by the District e-Mitra Society" in again.text
    # restarted, by her e-Mitra ID as the card writes it, with a reason
    _as(web, society_browser)
    assert "Stopped" in _row(web.get(PAGE, params={"q": format_emitra_id(sunita.emitra_id).lower()}).text, sunita.id)
    restarted = web.post_form(f"{PAGE}/restart", {"citizen": str(sunita.id), "reason": "Phone recovered"}, token_from=PAGE)
    assert "Sunita Devi may sign in again" in web.get(restarted.headers["location"]).text
    entry = web.run(lambda: AuditLog.filter(action="user.reactivated").order_by("-id").first())
    assert entry.detail["reason"] == "Phone recovered"
    web.client.cookies.clear()
    ask_code(web, SUNITA)
    assert type_code(web, last_code(web)).headers["location"] == "/my"


def test_a_citizen_who_never_signed_in_is_stopped_from_the_page_in_hindi(web):
    geeta = web.run(lambda: Citizen.get(name="Geeta Meena"))
    web.login("society")
    web.get("/lang/hi")
    page = web.get(PAGE, params={"q": geeta.emitra_id}).text
    assert "साइन-इन" in page and geeta.mobile not in page
    stopped = web.post_form(f"{PAGE}/stop", {"citizen": str(geeta.id), "reason": "परिवार का सदस्य फ़ोन रखता है"}, token_from=PAGE)
    assert stopped.status_code == 303
    login = web.run(lambda: User.get(citizen_id=geeta.id))
    assert not login.active
    assert [r.action for r in web.run(lambda: AuditLog.filter(object_id=str(login.id)).order_by("id"))] == \
        ["user.citizen_login_created", "user.deactivated"]
    assert "परिवार का सदस्य फ़ोन रखता है" in web.get(stopped.headers["location"]).text


def test_the_page_lists_only_the_districts_citizens_and_its_forms_need_the_token(web):
    async def stranger():
        other = await District.create(code="JD", name_en="Jodhpur", name_hi="जोधपुर")
        return await Citizen.create(district=other, name="X Y", name_key="x y", date_of_birth="1990-01-01", mobile="9000000000",
                                    emitra_id="JD000000999")

    far = web.run(stranger)
    web.login("society")
    assert "No citizen of your district" in web.get(PAGE, params={"q": "9000000000"}).text
    assert web.post_form(f"{PAGE}/stop", {"citizen": str(far.id), "reason": "Phone stolen"}, token_from=PAGE).status_code == 404
    assert not web.run(lambda: User.filter(citizen_id=far.id).exists())
    assert "Type the citizen" in web.get(PAGE, params={"q": "Sunita"}).text
    sunita = web.run(lambda: Citizen.get(mobile=SUNITA))
    no_token = web.client.post(f"{PAGE}/stop", data={"citizen": str(sunita.id), "reason": "Phone stolen"})
    assert no_token.status_code == 403
    assert not web.run(lambda: User.filter(citizen_id=sunita.id).exists())
    # the page prints without its forms
    page = web.get(PAGE, params={"q": SUNITA}).text
    assert 'id="find" novalidate' in page and 'class="no-print" id="find"' in page
    assert '<th class="no-print">' in page

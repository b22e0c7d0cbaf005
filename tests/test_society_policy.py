"""The district Society admin's Policy page: district rules, approvals and revocations, each taking
effect at the counters at once and each in the audit log; only the Society admin may use it."""

import re

import pytest

from emitra.core.models import AuditLog, Citizen, PolicyApproval, PolicyRule

PAGE = "/society/policy"
DTH = "pvt.recharge.dth"


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setenv("EMITRA_TODAY", "2026-11-28")
    return "2026-11-28"


def _ramesh(web) -> str:
    async def eid():
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    return web.run(eid)


def _offered(web, eid: str) -> bool:
    """Is the DTH recharge in the operator's list for the citizen, and may its form be opened?"""
    web.login("operator1")
    listed = DTH in web.get(f"/counter/citizens/{eid}").text
    form = web.get(f"/counter/citizens/{eid}/services/{DTH}")
    web.logout()
    assert listed == (form.status_code == 200), form.status_code
    return listed


def _actions(web) -> list[str]:
    """The Society's changes in the audit log, oldest first (refusals at the counter left out)."""
    async def actions():
        return await AuditLog.filter(action__startswith="policy.").exclude(action="policy.refused").order_by("id").values_list("action", flat=True)

    return web.run(actions)


def _count(web, model) -> int:
    async def count():
        return await model.all().count()

    return web.run(count)


RULE = {"citation": "Society resolution 21/2026: DTH resellers under review", "effective_to": "",
        "categories": "", "providers": "", "terms_en": "", "terms_hi": "", "doubtful_en": "", "doubtful_hi": ""}


def test_a_district_deny_rule_added_on_the_page_removes_the_service_at_the_counter(web, today):
    eid = _ramesh(web)
    assert _offered(web, eid)
    web.login("society")
    page = web.get(PAGE)
    assert page.status_code == 200
    assert "IN-LOTTERY-1998" in page.text and "RJ-PROHIBITED-SERVICES" in page.text  # the files' rules
    assert 'href="/society/policy"' in page.text  # the nav link
    saved = web.post_form(PAGE + "/rules", {**RULE, "id": "JP-DTH-BAN", "decision": "deny", "effective_from": today, "codes": DTH},
                          token_from=PAGE)
    assert saved.status_code == 303, saved.text
    page = web.get(saved.headers["location"])
    assert "JP-DTH-BAN" in page.text and "DTH resellers under review" in page.text
    web.logout()

    web.login("operator1")
    assert DTH not in web.get(f"/counter/citizens/{eid}").text
    refused = web.get(f"/counter/citizens/{eid}/services/{DTH}")
    assert refused.status_code == 403 and "JP-DTH-BAN" in refused.text
    web.logout()
    assert _actions(web) == ["policy.rule_added"]

    # the same id replaces the rule: ended yesterday, the service is back
    web.login("society")
    replaced = web.post_form(PAGE + "/rules", {**RULE, "id": "JP-DTH-BAN", "decision": "deny", "effective_from": "2026-11-01",
                                                "effective_to": "2026-11-27", "codes": DTH}, token_from=PAGE)
    assert replaced.status_code == 303
    lapsed = web.get(PAGE).text
    assert "Lapsed district rules" in lapsed and "01-11-2026 – 27-11-2026" in lapsed  # dates as every page writes them
    web.logout()
    assert _count(web, PolicyRule) == 1 and _actions(web)[-1] == "policy.rule_changed"
    assert _offered(web, eid)


@pytest.mark.parametrize("change,field,words", [
    ({"effective_from": "2026-13-45"}, "effective_from", "YYYY-MM-DD"),
    ({"effective_from": "28-11-2026"}, "effective_from", "YYYY-MM-DD"),
    ({"decision": "forbid"}, "decision", "deny"),
    ({"codes": ""}, "match", "matches nothing"),
    ({"id": "jp dth"}, "id", "capital letters"),
    ({"effective_to": "2026-11-01"}, "effective_to", "not before"),
])
def test_a_malformed_rule_is_refused_naming_the_field_and_nothing_is_written(web, today, change, field, words):
    web.login("society")
    before = _actions(web)
    sent = {**RULE, "id": "JP-DTH-BAN", "decision": "deny", "effective_from": today, "codes": DTH, **change}
    page = web.post_form(PAGE + "/rules", sent, token_from=PAGE)
    assert page.status_code == 400
    error = re.search(rf'id="rule-{field}-error"[^>]*>([^<]+)<', page.text)
    assert error, f"no error shown next to {field}"
    assert words in error.group(1)
    for key, value in sent.items():  # what was typed is kept, to correct it
        if value and key != "csrf_token":
            assert f'value="{value}"' in page.text or f">{value}<" in page.text or key == "decision"
    assert _count(web, PolicyRule) == 0 and _actions(web) == before


def test_the_hindi_page_explains_the_error_in_hindi(web, today):
    web.login("society")
    web.get(PAGE + "?lang=hi")
    page = web.post_form(PAGE + "/rules", {**RULE, "id": "JP-DTH-BAN", "decision": "deny", "effective_from": "2026-13-45", "codes": DTH},
                         token_from=PAGE)
    assert page.status_code == 400
    error = re.search(r'id="rule-effective_from-error"[^>]*>([^<]+)<', page.text).group(1)
    assert re.search("[\u0900-\u097f]", error) and "YYYY-MM-DD" in error
    assert "नीति" in web.get(PAGE).text


def test_a_restricted_service_is_offered_once_approved_and_not_after_revocation(web, today):
    eid = _ramesh(web)
    web.login("society")
    saved = web.post_form(PAGE + "/rules", {**RULE, "id": "JP-DTH-REVIEW", "decision": "restricted", "effective_from": "2026-11-01",
                                             "codes": DTH}, token_from=PAGE)
    assert saved.status_code == 303
    page = web.get(PAGE)
    restricted = page.text.split('id="restricted"')[1].split('id="approvals"')[0]
    assert DTH in restricted and "JP-DTH-REVIEW" in restricted
    lsp_id = re.search(r'<option value="(\d+)"\s*>Pink City e-Services', restricted).group(1)
    web.logout()
    assert not _offered(web, eid)

    web.login("society")
    no_note = web.post_form(PAGE + "/approvals", {"service_code": DTH, "lsp": lsp_id, "note": " "}, token_from=PAGE)
    assert no_note.status_code == 400 and "Say why it is approved" in no_note.text
    not_restricted = web.post_form(PAGE + "/approvals", {"service_code": "gov.rj.jvvnl.bill", "lsp": lsp_id, "note": "x"}, token_from=PAGE)
    assert not_restricted.status_code == 400 and "not restricted" in not_restricted.text
    no_lsp = web.post_form(PAGE + "/approvals", {"service_code": DTH, "lsp": "999", "note": "x"}, token_from=PAGE)
    assert no_lsp.status_code == 400 and "Choose an LSP of your district" in no_lsp.text
    assert _count(web, PolicyApproval) == 0
    approved = web.post_form(PAGE + "/approvals", {"service_code": DTH, "lsp": lsp_id, "note": "Licensed reseller, checked 2026-11-20"},
                             token_from=PAGE)
    assert approved.status_code == 303, approved.text
    page = web.get(PAGE)
    approvals = page.text.split('id="approvals"')[1].split('id="refused"')[0]
    assert DTH in approvals and "Licensed reseller, checked 2026-11-20" in approvals and "society" in approvals
    approval_id = re.search(r'action="/society/policy/approvals/(\d+)/revoke"', approvals).group(1)
    web.logout()
    assert _offered(web, eid)

    web.login("society")
    revoked = web.post_form(f"{PAGE}/approvals/{approval_id}/revoke", {}, token_from=PAGE)
    assert revoked.status_code == 303
    assert web.post_form(f"{PAGE}/approvals/{approval_id}/revoke", {}, token_from=PAGE).status_code == 404  # already revoked
    assert "No approval is in force." in web.get(PAGE).text
    web.logout()
    assert not _offered(web, eid)
    assert _actions(web) == ["policy.rule_added", "policy.approved", "policy.revoked"]


def test_services_refused_at_plugin_load_are_listed(web, today):
    import types

    from emitra.core import Category, Domain, FeeRule, Payer, Quote, Service, hookimpl
    from emitra.core.plugins import PluginHost, get_host, set_host

    class Coupon(Service):
        async def quote(self, data, ctx):
            return Quote(principal_paise=100, reference="x")

    plugin = types.SimpleNamespace(emitra_register_services=hookimpl(lambda register: register(Coupon(
        code="pvt.gold.coupon", title_en="Golden Coupon", title_hi="गोल्डन कूपन", provider="Gold", domain=Domain.PRIVATE,
        category=Category.LOTTERY, form={"type": "object", "properties": {}}, fee=FeeRule(payer=Payer.CITIZEN, fee_paise=500)))))
    old = get_host()
    set_host(PluginHost(extra_plugins=[("gold", plugin)]))
    try:
        web.login("society")
        refused = web.get(PAGE).text.split('id="refused"')[1]
        assert "pvt.gold.coupon" in refused and "Golden Coupon" in refused and "IN-LOTTERY-1998" in refused
    finally:
        set_host(old)


@pytest.mark.parametrize("username", ["operator1", "lsp", "officer", "state"])
def test_other_roles_are_refused(web, username):
    web.login(username)
    assert web.get(PAGE).status_code == 403
    token = web.csrf(PAGE)  # the 403 page carries the logout form, so a valid token
    for path, data in [(PAGE + "/rules", {"id": "JP-X-BAN", "citation": "order 1/2026", "decision": "deny",
                                          "effective_from": "2026-11-28", "codes": DTH}),
                       (PAGE + "/approvals", {"service_code": DTH, "lsp": "1", "note": "x"}),
                       (PAGE + "/approvals/1/revoke", {})]:
        assert web.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert 'href="/society/policy"' not in web.get(PAGE).text
    assert _count(web, PolicyRule) == 0


def test_logged_out_visitors_are_sent_to_log_in(web):
    response = web.get(PAGE)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_post_without_csrf_is_refused(web, today):
    web.login("society")
    data = {**RULE, "id": "JP-DTH-BAN", "decision": "deny", "effective_from": today, "codes": DTH}
    assert web.post(PAGE + "/rules", data=data).status_code == 403
    assert web.post(PAGE + "/rules", data={**data, "csrf_token": "forged"}).status_code == 403
    assert _count(web, PolicyRule) == 0 and _actions(web) == []


def test_an_lsp_number_beyond_any_id_is_no_such_lsp_not_a_server_error(web, today):
    """The approval form's LSP is a number from the page's list; one beyond the database's ids (a
    32-bit integer on PostgreSQL, a 64-bit one on SQLite) was a server error on either database.
    It is refused as any unknown LSP, beside the field, and nothing is written."""
    web.login("society")
    saved = web.post_form(PAGE + "/rules", {**RULE, "id": "JP-DTH-REVIEW", "decision": "restricted", "effective_from": "2026-11-01",
                                             "codes": DTH}, token_from=PAGE)
    assert saved.status_code == 303
    for lsp in ("2147483648", "99999999999", "-99999999999", "9" * 40):
        refused = web.post_form(PAGE + "/approvals", {"service_code": DTH, "lsp": lsp, "note": "x"}, token_from=PAGE)
        assert refused.status_code == 400 and "Choose an LSP of your district" in refused.text, lsp
    assert _count(web, PolicyApproval) == 0

"""Prohibited and restricted services: rules as data, enforced at load, at enablement and at every
transaction, with time injected; plugins that try to disguise a lottery or betting service."""

import datetime as dt
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from emitra.core import Category, Domain, FeeRule, Payer, Quote, Service, hookimpl
from emitra.core import counter as counter_core
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, Counter, ServiceRequest, User
from emitra.core.plugins import PluginHost, get_host, set_host
from emitra.policy import CodeRule, Policy, PolicyFileError
from emitra.policy.rules import load_files

TODAY = dt.date(2026, 11, 28)
FORM = {"type": "object", "properties": {"ticket": {"type": "string", "title": "Ticket number", "x-title-hi": "टिकट संख्या"}}}


def svc(code, title_en, title_hi, category=Category.PRIVATE_SERVICE, description_en="", description_hi="", form=FORM, provider="Partner"):
    class S(Service):
        async def quote(self, data, ctx):
            return Quote(principal_paise=10000, reference="T")

    return S(code=code, title_en=title_en, title_hi=title_hi, provider=provider, domain=Domain.PRIVATE, category=category,
             form=form, fee=FeeRule(payer=Payer.CITIZEN, fee_paise=500), description_en=description_en, description_hi=description_hi)


DISGUISES = [
    # (title_en, title_hi, category, description_en, expected decision)
    ("Rajasthan Bumper Lottery", "राजस्थान बंपर लॉटरी", Category.PRIVATE_SERVICE, "", "deny"),
    ("Lucky coupon", "लकी कूपन", Category.LOTTERY, "", "deny"),  # the category alone decides
    ("Sports predictions", "खेल भविष्यवाणी", Category.BETTING, "", "deny"),
    ("L0tt3ry t1ckets", "टिकट", Category.PRIVATE_SERVICE, "", "deny"),
    ("L.O.T.T.E.R.Y coupons", "कूपन", Category.PRIVATE_SERVICE, "", "deny"),
    ("Mega-Lotto draw", "ड्रा", Category.PRIVATE_SERVICE, "", "deny"),
    ("Daily coupon", "दैनिक कूपन", Category.PRIVATE_SERVICE, "Play satta matka online and win", "deny"),
    ("Cricket fun", "क्रिकेट", Category.PRIVATE_SERVICE, "Place bets on today's match", "deny"),
    ("Kismat scheme", "किस्मत लाटरी योजना", Category.PRIVATE_SERVICE, "", "deny"),  # a Hindi spelling variant
    ("Evening game", "शाम का सट्टा", Category.PRIVATE_SERVICE, "", "deny"),
    ("Card club", "ताश क्लब", Category.PRIVATE_SERVICE, "", "allow"),
    ("Card club", "ताश क्लब – जुआ", Category.PRIVATE_SERVICE, "", "deny"),
    ("Lotery tickets", "टिकट", Category.PRIVATE_SERVICE, "", "restricted"),  # a near spelling: a person decides
    ("Gambleing hall", "हॉल", Category.PRIVATE_SERVICE, "", "deny"),
    ("Lucky draw coupons", "कूपन", Category.PRIVATE_SERVICE, "", "restricted"),  # doubtful: a person decides
    ("Tambola nights", "तंबोला", Category.PRIVATE_SERVICE, "", "restricted"),
    ("Betterment levy", "सुधार शुल्क", Category.LEVY, "", "allow"),  # not "bet"
    ("Electricity bill", "बिजली बिल", Category.BILL, "", "allow"),
    # two neighbouring words that merely meet ("...poke r..." in a village list) name no "poker" (decision 97) ...
    ("Land records", "भू-अभिलेख", Category.APPLICATION, "Villages: Chapoke, Rampura, Sikar", "allow"),
    # ... but a term spelled across whole words, or inside one word, still does
    ("Lot tery coupons", "कूपन", Category.PRIVATE_SERVICE, "", "deny"),
    ("Superlottery coupons", "कूपन", Category.PRIVATE_SERVICE, "", "deny"),
]


@pytest.mark.parametrize("title_en,title_hi,category,description_en,expected", DISGUISES, ids=[d[0] + "/" + d[1] for d in DISGUISES])
def test_a_disguised_service_is_caught(title_en, title_hi, category, description_en, expected):
    decision = Policy().static(svc("pvt.x.y", title_en, title_hi, category, description_en), TODAY)
    assert decision.decision == expected, decision.explain()
    if expected != "allow":
        assert decision.rule and decision.citation


def test_the_texts_a_rule_may_name_narrowed_down_keep_every_text_it_names():
    """A long form (a district's villages) is narrowed down to the texts that may name a term before
    each is asked (decision 97): every text :func:`find` finds a term in is among them."""
    from emitra.policy import matching

    texts = [d[0] for d in DISGUISES] + [d[1] for d in DISGUISES] + [d[3] for d in DISGUISES]
    texts += [f"Village {n} ({name} tehsil)" for n, name in enumerate(["Chapoke", "Lotteri", "Rampura", "Bettingpur", "जुआरी", "Sikar"] * 40)]
    for rule in Policy().rules:
        for terms in (rule.terms, rule.doubtful):
            if not terms:
                continue
            named = [i for i, text in enumerate(texts) if matching.find(list(terms), text)]
            kept = matching.candidates(terms, texts)
            assert set(named) <= set(kept) and kept == sorted(kept), (rule.id, set(named) - set(kept))
            assert len(kept) < len(texts)


def test_a_services_texts_read_once_for_every_rule_find_what_each_rule_finds_in_them():
    """The texts are normalised once and their words looked up once in the union of every list of
    terms (decision 104): each list still finds exactly what :func:`find` finds text by text, even a
    list compiled after the texts were first asked of (the union grows, and is asked again)."""
    from emitra.policy import matching

    texts = [d[0] for d in DISGUISES] + [d[1] for d in DISGUISES] + [d[3] for d in DISGUISES]
    texts += ["Village Zorbulon Khurd", "Zorbulan Kalan", "Chapoke Rampura", "Sikar"]
    prepared = matching.Texts(texts)
    lists = [terms for rule in Policy().rules for terms in (rule.terms, rule.doubtful) if terms]
    for terms in lists:
        assert matching.may_name(terms, prepared) == any(matching.find(list(terms), t) for t in texts), terms[:3]
    # a list no rule had: "zorbulon" is spelled near in one text and exactly in another, words the
    # union's first look-up found near nothing
    fresh = ("zorbulon", "quintaxel")
    assert matching.may_name(fresh, prepared) and matching.may_name(("zorbulun",), prepared)
    assert not matching.may_name(("quintaxel",), prepared)
    named, kept = [i for i, t in enumerate(texts) if matching.find(["zorbulun"], t)], matching.candidates(("zorbulun",), prepared)
    assert named and set(named) <= set(kept) and len(kept) < len(texts)


def test_a_disguise_in_the_form_itself_is_caught():
    form = {"type": "object", "properties": {"pick": {"type": "string", "title": "Your pick", "x-title-hi": "आपका चयन",
                                                      "enum": ["a", "b"], "x-enum-labels": ["Single bet", "Double bet"],
                                                      "x-enum-labels-hi": ["एक", "दो"]}}}
    decision = Policy().static(svc("pvt.x.game", "Evening game", "शाम का खेल", form=form), TODAY)
    assert decision.decision == "deny" and "form" in decision.reason


def _lottery_plugin(title_en="Golden Coupon", title_hi="गोल्डन कूपन", category=Category.LOTTERY):
    module = types.SimpleNamespace()
    module.emitra_register_services = hookimpl(lambda register: register(svc("pvt.gold.coupon", title_en, title_hi, category)))
    return module


def test_a_denied_service_is_not_loaded_and_the_refusal_names_the_rule():
    host = PluginHost(extra_plugins=[("gold", _lottery_plugin())])
    assert host.registry.get("pvt.gold.coupon") is None
    assert host.registry.get("gov.rj.jvvnl.bill") is not None  # the rest loads
    refusal = next(r for r in host.registry.refusals if r.service_code == "pvt.gold.coupon")
    assert refusal.field == "policy" and "IN-LOTTERY-1998" in refusal.message and "category 'lottery'" in refusal.message


def test_rules_in_code_are_asked_too():
    module = types.SimpleNamespace()
    module.emitra_register_policy_rules = hookimpl(lambda register: register(CodeRule(
        "JP-NO-BUS", "Collector's order 12/2026", lambda service, on: "deny" if service.code == "pvt.rsrtc.bus_ticket" else None)))
    host = PluginHost(extra_plugins=[("order", module)])
    assert host.registry.get("pvt.rsrtc.bus_ticket") is None
    assert "JP-NO-BUS" in next(r for r in host.registry.refusals if r.service_code == "pvt.rsrtc.bus_ticket").message


def _order(check):
    module = types.SimpleNamespace()
    module.emitra_register_policy_rules = hookimpl(lambda register: register(CodeRule("JP-NO-BUS", "Collector's order 12/2026", check)))
    return module


def _raises(service, on):
    if service.code == "pvt.rsrtc.bus_ticket":
        raise KeyError("route list")
    return None


@pytest.mark.parametrize("check,why", [
    # stopped every start: PluginHost() raised, so the server and every `emitra` command failed
    (_raises, "rule in code of plugin 'order' failed (KeyError: 'route list'); the service is refused until the rule is corrected"),
    # 'denied' for 'deny': the service was allowed without a word
    (lambda service, on: "denied" if service.code == "pvt.rsrtc.bus_ticket" else None,
     "rule in code of plugin 'order' returned 'denied', not 'deny', 'restricted' or None; the service is refused until the rule "
     "is corrected"),
])
def test_a_rule_in_code_that_fails_or_answers_wrongly_refuses_what_it_was_asked_about_and_stops_nothing_else(check, why):
    host = PluginHost(extra_plugins=[("order", _order(check))])
    assert host.registry.get("pvt.rsrtc.bus_ticket") is None and host.registry.get("gov.rj.jvvnl.bill") is not None
    (refusal,) = [r for r in host.registry.refusals if r.plugin == "rsrtc"]
    assert refusal.field == "policy" and "JP-NO-BUS" in refusal.message and why in refusal.message


def test_a_rule_in_code_without_a_check_is_refused_at_registration():
    host = PluginHost(extra_plugins=[("order", _order("deny"))])
    (refusal,) = [r for r in host.registry.refusals if r.plugin == "order"]
    assert refusal.field == "emitra_register_policy_rules"
    assert refusal.message == ("rule 'JP-NO-BUS': check is 'deny', not a function; give check=a function (service, on) returning "
                               "'deny', 'restricted' or None")
    assert host.registry.get("pvt.rsrtc.bus_ticket") is not None and host.policy.code_rules == []


def _write_rules(folder: Path, text: str) -> Path:
    (folder / "districts").mkdir(parents=True, exist_ok=True)
    path = folder / "districts" / "JP.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_malformed_rules_file_names_file_rule_and_field_and_nothing_is_applied(tmp_path):
    _write_rules(tmp_path, '''authority = "Jaipur"
[[rule]]
id = "JP-GOOD"
citation = "Collector's order 1/2026"
effective_from = "2026-01-01"
decision = "deny"
terms_en = ["hookah"]

[[rule]]
id = "JP-BAD"
citation = "Collector's order 2/2026"
effective_from = "2026-13-45"
decision = "forbid"
terms_en = ["x"]
''')
    with pytest.raises(PolicyFileError) as err:
        load_files([tmp_path])
    text = str(err.value)
    assert "JP.toml" in text and "rule 'JP-BAD'" in text and "effective_from" in text and "decision" in text
    assert "nothing was loaded" in text


def test_emitra_refuses_to_start_with_a_malformed_rules_file(tmp_path):
    _write_rules(tmp_path, 'authority = "Jaipur"\n[[rule]]\nid = "JP-X"\ncitation = "order"\ndecision = "deny"\nterms_en = ["x"]\n')
    out = subprocess.run([str(Path(sys.executable).parent / "emitra"), "plugins"], capture_output=True, text=True,
                         env={**os.environ, "EMITRA_POLICY_DIR": str(tmp_path)}, timeout=60)
    assert out.returncode == 2 and "rule 'JP-X'" in out.stderr and "effective_from" in out.stderr


def test_policy_check_explains_as_json(tmp_path):
    rules = tmp_path / "rules"
    _write_rules(rules, '''authority = "District e-Mitra Society, Jaipur"
[[rule]]
id = "JP-BUS-BAN"
citation = "Collector's order 7/2026: no private bus bookings during the fair"
effective_from = "2026-12-01"
effective_to = "2026-12-10"
decision = "deny"
codes = ["pvt.rsrtc.*"]
''')
    emitra = str(Path(sys.executable).parent / "emitra")
    env = {**os.environ, "EMITRA_POLICY_DIR": str(rules)}

    def check(day, *extra):
        out = subprocess.run([emitra, "policy", "check", "pvt.rsrtc.bus_ticket", "--date", day, "--json", *extra],
                             capture_output=True, text=True, env={**env, "EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert check("2026-11-30", "--district", "JP")["decision"] == "allow"  # not yet in force
    during = check("2026-12-05", "--district", "JP")
    assert (during["decision"], during["rule"]) == ("deny", "JP-BUS-BAN")
    assert during["citation"].startswith("Collector's order 7/2026")
    assert check("2026-12-11", "--district", "JP")["decision"] == "allow"  # lapsed
    assert check("2026-12-05")["decision"] == "allow"  # a district's file applies in that district only
    bad = subprocess.run([emitra, "policy", "check", "pvt.rsrtc.bus_ticket", "--date", "05-12-2026"], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "YYYY-MM-DD" in bad.stderr


@pytest.mark.anyio
async def test_a_ban_that_takes_effect_tomorrow_removes_the_service_tomorrow(demo_db, monkeypatch):
    from emitra.core import compliance

    user = await User.get(username="operator1")
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    society = Actor(await User.get(username="society"))
    actor = Actor(user)
    today = dt.date(2026, 11, 28)
    tomorrow = today + dt.timedelta(days=1)
    monkeypatch.setenv("EMITRA_TODAY", today.isoformat())
    paid = await counter_core.record_cash(actor, counter, citizen, "pvt.lic.premium", get_host().registry.get("pvt.lic.premium").example, "k-before")
    await compliance.add_rule(society, {"id": "JP-LIC-PAUSE", "citation": "Society resolution 14/2026", "decision": "deny",
                                        "effective_from": tomorrow.isoformat(), "providers": ["Life Insurance Corporation"]})
    assert any(s.code == "pvt.lic.premium" for s in await counter_core.enabled_services(counter))  # still offered today
    monkeypatch.setenv("EMITRA_TODAY", tomorrow.isoformat())
    assert not any(s.code == "pvt.lic.premium" for s in await counter_core.enabled_services(counter))
    with pytest.raises(counter_core.PolicyRefused) as refused:
        await counter_core.record_cash(actor, counter, citizen, "pvt.lic.premium", get_host().registry.get("pvt.lic.premium").example, "k-after")
    assert "JP-LIC-PAUSE" in refused.value.message_en and "Society resolution 14/2026" in refused.value.message_en
    # what was paid before stays intact and readable
    assert (await ServiceRequest.get(id=paid.id)).citizen_total_paise == paid.citizen_total_paise
    logged = await AuditLog.filter(action__in=["policy.rule_added", "policy.refused"]).values_list("action", flat=True)
    assert sorted(logged) == ["policy.refused", "policy.rule_added"]


@pytest.mark.anyio
async def test_a_restricted_service_needs_the_societys_recorded_approval(demo_db, monkeypatch):
    from emitra.core import compliance

    monkeypatch.setenv("EMITRA_TODAY", "2026-11-28")
    society = Actor(await User.get(username="society"))
    lsp_admin = Actor(await User.get(username="lsp"))
    user = await User.get(username="operator1")
    counter = await Counter.get(id=user.counter_id)
    await compliance.add_rule(society, {"id": "JP-DTH-REVIEW", "citation": "Society review of DTH resellers", "decision": "restricted",
                                        "effective_from": "2026-11-01", "codes": ["pvt.recharge.dth"]})
    with pytest.raises(counter_core.PolicyRefused, match="recorded approval"):
        await counter_core.set_enabled(lsp_admin, counter, "pvt.recharge.dth", True)
    with pytest.raises(counter_core.PolicyRefused):
        await counter_core.service_at(counter, "pvt.recharge.dth")
    with pytest.raises(compliance.PolicyError, match="say why"):
        await compliance.approve(society, counter.lsp_id, "pvt.recharge.dth", "")
    approval = await compliance.approve(society, counter.lsp_id, "pvt.recharge.dth", "Licensed reseller, checked on 2026-11-20")
    await counter_core.set_enabled(lsp_admin, counter, "pvt.recharge.dth", True)
    assert (await counter_core.service_at(counter, "pvt.recharge.dth")).code == "pvt.recharge.dth"
    await compliance.revoke(society, approval.id)
    with pytest.raises(counter_core.PolicyRefused):
        await counter_core.service_at(counter, "pvt.recharge.dth")
    with pytest.raises(compliance.PolicyError, match="cannot be approved|not restricted"):
        await compliance.approve(society, counter.lsp_id, "gov.rj.jvvnl.bill", "no need")
    assert await AuditLog.filter(action__in=["policy.approved", "policy.revoked", "policy.rule_added"]).count() == 3


def test_a_ban_refuses_through_the_page_and_the_api_naming_the_rule(web, monkeypatch):
    from emitra.core import compliance

    monkeypatch.setenv("EMITRA_TODAY", "2026-11-28")

    async def ban():
        await compliance.add_rule(Actor(await User.get(username="society")), {
            "id": "JP-LIC-PAUSE", "citation": "Society resolution 14/2026", "decision": "deny",
            "effective_from": "2026-11-28", "codes": ["pvt.lic.premium"]})
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    eid = web.run(ban)
    web.login("operator1")
    assert "pvt.lic.premium" not in web.get(f"/counter/citizens/{eid}").text
    page = web.get(f"/counter/citizens/{eid}/services/pvt.lic.premium")
    assert page.status_code == 403 and "JP-LIC-PAUSE" in page.text and "Society resolution 14/2026" in page.text
    h = web.api_token("operator1")
    r = web.post("/api/v1/quotes", headers=h, json={"service_code": "pvt.lic.premium", "form": get_host().registry.get("pvt.lic.premium").example})
    assert r.status_code == 403 and r.json()["error"]["code"] == "prohibited"
    assert r.json()["error"]["fields"][0]["rule"] == "JP-LIC-PAUSE"

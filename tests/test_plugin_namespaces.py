"""A plugin declares codes in its own namespace only, and for the plugin API it is written for (decision 150)."""

import pytest

from emitra import __version__
from emitra.core import Category, Domain, FeeRule, Payer, Service, builtin_codes, hookspecs
from emitra.core.config import SettingError
from emitra.core.plugins import PluginHost
from tests.test_plugins import plugin as registering

FORM = {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स"}}}


def svc(code, domain=Domain.PRIVATE):
    return Service(code=code, title_en="Gas refill", title_hi="गैस रिफिल", provider="Bharat Gas", domain=domain,
                   category=Category.PRIVATE_SERVICE, form=FORM, fee=FeeRule(payer=Payer.PARTNER, fee_paise=500))


def plugin(*services, api=None):
    module = registering(*services)
    if api is not None:
        module.__emitra_plugin_api__ = api
    return module


def host(*named):
    return PluginHost(extra_plugins=list(named), use_entry_points=False)


def test_a_code_in_another_partners_namespace_is_refused_naming_plugin_code_and_the_namespace_it_may_use():
    h = host(("bharat_gas", plugin(svc("pvt.bharat_gas.refill"), svc("pvt.hp_gas.refill"))))
    assert h.registry.get("pvt.bharat_gas.refill").plugin == "bharat_gas"
    assert h.registry.get("pvt.hp_gas.refill") is None
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.service_code, refusal.field) == ("bharat_gas", "pvt.hp_gas.refill", "namespace")
    assert refusal.message.startswith("'pvt.hp_gas.refill' is outside the namespace plugin 'bharat_gas' may declare codes in, "
                                      "'pvt.bharat_gas': 'pvt.hp_gas' is another provider's")
    assert "write 'pvt.bharat_gas.refill'" in refusal.message and "EMITRA_PLUGIN_NAMESPACES=bharat_gas=pvt.hp_gas" in refusal.message


def test_a_squatter_does_not_take_the_owners_code_away_whatever_the_load_order():
    """Before, both declarations of pvt.hp_gas.refill were refused as a clash: a plugin declaring a
    code in HP Gas's namespace took HP Gas's own service off the counters."""
    for order in (("hp_gas", "bharat_gas"), ("bharat_gas", "hp_gas")):
        h = host(*[(name, plugin(svc("pvt.hp_gas.refill"))) for name in order])
        assert h.registry.get("pvt.hp_gas.refill").plugin == "hp_gas"
        assert [(r.plugin, r.field) for r in h.registry.refusals] == [("bharat_gas", "namespace")]


def test_a_builtins_namespace_is_its_own_even_for_a_plugin_named_like_it_and_for_codes_it_has_not_declared():
    h = host(("recharge", plugin(svc("pvt.recharge.fastag"))),
             ("bharat_gas", plugin(svc("gov.rj.jvvnl.new_connection", Domain.GOVERNMENT))))
    assert not list(h.registry)
    messages = {r.service_code: r.message for r in h.registry.refusals}
    assert "'pvt.recharge' belongs to the plugins built into emitra 'dth', 'mobile_recharge'" in messages["pvt.recharge.fastag"]
    assert messages["gov.rj.jvvnl.new_connection"].startswith(
        "'gov.rj.jvvnl.new_connection' is outside the namespace plugin 'bharat_gas' may declare codes in, 'gov.rj.bharat_gas': "
        "'gov.rj.jvvnl' belongs to the plugin built into emitra 'electricity'")


def test_the_society_allows_a_named_exception_and_a_builtins_code_stays_its_own(monkeypatch):
    monkeypatch.setenv("EMITRA_PLUGIN_NAMESPACES", "jmc_trade=gov.rj.jmc, other=pvt.other_ns")
    h = host(("jmc_trade", plugin(svc("gov.rj.jmc.trade_licence", Domain.GOVERNMENT), svc("gov.rj.jmc.ud_tax", Domain.GOVERNMENT),
                                  svc("gov.rj.phed.tanker", Domain.GOVERNMENT))))
    assert [s.code for s in h.registry] == ["gov.rj.jmc.trade_licence"]
    refusals = {r.service_code: r for r in h.registry.refusals}
    assert refusals["gov.rj.jmc.ud_tax"].field == "code"  # the built-in levies' code, whatever the exception
    assert "built into emitra (plugin 'levies')" in refusals["gov.rj.jmc.ud_tax"].message
    assert refusals["gov.rj.phed.tanker"].field == "namespace"
    assert "'gov.rj.jmc_trade' (and 'gov.rj.jmc', which the Society allows it)" in refusals["gov.rj.phed.tanker"].message


def test_a_malformed_exception_stops_the_host_naming_it(monkeypatch):
    monkeypatch.setenv("EMITRA_PLUGIN_NAMESPACES", "jmc_trade=gov")
    with pytest.raises(SettingError) as refused:
        host()
    assert "EMITRA_PLUGIN_NAMESPACES: 'jmc_trade=gov' is not plugin=namespace" in str(refused.value)


def test_every_plugin_shipped_with_emitra_keeps_to_its_namespaces():
    from emitra.core.plugins import namespace_problem

    h = PluginHost()
    assert h.registry.refusals == []
    assert {s.code for s in h.registry} >= set(builtin_codes.SERVICES)
    for service in h.registry:
        assert namespace_problem(service, service.plugin, h.registry.builtin, {}) is None, service.code
    # and they are their owners' alone: another plugin named like none of them is refused every one
    for code in builtin_codes.SERVICES:
        assert namespace_problem(h.registry.get(code), "bharat_gas", h.registry.builtin, {}) is not None, code


def test_a_plugin_written_for_another_plugin_api_is_refused_naming_the_plugin_and_both_versions():
    from emitra.core.plugins import emitra_requirement

    other = hookspecs.PLUGIN_API + 1
    h = host(("bharat_gas", plugin(svc("pvt.bharat_gas.refill"), api=other)),
             ("hp_gas", plugin(svc("pvt.hp_gas.refill"), api=hookspecs.PLUGIN_API)),
             ("indane", plugin(svc("pvt.indane.refill"), api="1")))
    assert [s.code for s in h.registry] == ["pvt.hp_gas.refill"]
    refusals = {r.plugin: r for r in h.registry.refusals}
    assert str(refusals["bharat_gas"]) == (
        f"plugin 'bharat_gas' refused: plugin_api: the plugin is written for plugin API {other}, but emitra {__version__} "
        f"has plugin API {hookspecs.PLUGIN_API}, whose hooks and services it may not fit: install the plugin's release for plugin "
        f"API {hookspecs.PLUGIN_API} (one that requires {emitra_requirement()}), or the emitra it was written for")
    assert refusals["indane"].message.startswith("'1' is not a plugin API version; write the whole number")
    assert "bharat_gas" not in h.registry.plugins

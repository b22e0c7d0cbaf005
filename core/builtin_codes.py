"""The codes of the plugins shipped with emitra, each with the plugin (entry-point name) that declares it.

They are reserved to that plugin whether or not it is loaded (core/plugins.py, docs/decisions.md
no. 49): ``EMITRA_PLUGINS`` leaving out ``electricity`` must not let a partner's plugin declare
``gov.rj.jvvnl.bill`` and take the electricity bill over. A static list, so that start-up imports
no plugin it does not load; ``tests/test_plugins.py`` keeps it equal to what the built-ins declare
(add a built-in service's code here in the same change that adds the service).
"""

from __future__ import annotations

#: service code -> the built-in plugin that declares it
SERVICES: dict[str, str] = {
    "gov.in.eci.voter_registration": "voter_id",
    "gov.in.incometax.pan_new": "pan",
    "gov.in.rpo_jaipur.passport": "passport",
    "gov.rj.avvnl.bill": "electricity",
    "gov.rj.jdvvnl.bill": "electricity",
    "gov.rj.jmc.ud_tax": "levies",
    "gov.rj.jvvnl.bill": "electricity",
    "gov.rj.pehchan.birth_certificate": "births_deaths",
    "gov.rj.pehchan.death_certificate": "births_deaths",
    "gov.rj.phed.water_bill": "phed_water",
    "gov.rj.revenue.caste_certificate": "revenue",
    "gov.rj.revenue.domicile_certificate": "revenue",
    "gov.rj.revenue.jamabandi_copy": "revenue",
    "gov.rj.revenue.land_revenue": "levies",
    "gov.rj.sampark.grievance": "grievance",
    "pvt.bsnl.bill": "bsnl",
    "pvt.lic.premium": "lic",
    "pvt.lsp.fax": "counter_services",
    "pvt.lsp.internet": "counter_services",
    "pvt.lsp.photocopy": "counter_services",
    "pvt.marudhar.policy": "insurance",
    "pvt.recharge.dth": "dth",
    "pvt.recharge.mobile_prepaid": "mobile_recharge",
    "pvt.rsrtc.bus_ticket": "rsrtc",
}

#: payment-method code -> the built-in plugin that declares it
PAYMENT_METHODS: dict[str, str] = {
    "card": "pay_card",
    "cash": "pay_cash",
    "cheque": "pay_cheque",
    "dd": "pay_cheque",
    "upi": "pay_upi",
}

#: the entry-point names of the built-in plugins that declare a code
PLUGINS: frozenset[str] = frozenset(SERVICES.values()) | frozenset(PAYMENT_METHODS.values())

#: built-in plugin -> the namespaces of its codes (a code without its last part: ``gov.rj.jvvnl``),
#: which only it, or a plugin the Society names in ``EMITRA_PLUGIN_NAMESPACES``, may declare codes in
#: (core/plugins.py, ``namespace_problem``; decision 150)
NAMESPACES: dict[str, frozenset[str]] = {
    plugin: frozenset(code.rsplit(".", 1)[0] for code, owner in SERVICES.items() if owner == plugin)
    for plugin in frozenset(SERVICES.values())
}

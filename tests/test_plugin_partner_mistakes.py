"""Mistakes a partner makes in a new plugin's declaration (an LPG refill booking, written from
docs/plugins.md alone): each is refused at load naming the plugin, the field and the fix, and the
plugin's other services still load."""

import datetime
import types

import pytest

from emitra.core import Category, Domain, FeeRule, Payer, Service, Workflow, hookimpl
from emitra.core.plugins import PluginHost

CYLINDER = {"type": "string", "title": "Cylinder", "x-title-hi": "सिलेंडर", "enum": ["dom14", "dom5", "com19"],
            "x-enum-labels": ["Domestic 14.2 kg", "Domestic 5 kg", "Commercial 19 kg"],
            "x-enum-labels-hi": ["घरेलू 14.2 किग्रा", "घरेलू 5 किग्रा", "व्यावसायिक 19 किग्रा"]}
CONSUMER_NO = {"type": "string", "title": "LPG consumer number", "x-title-hi": "एलपीजी उपभोक्ता संख्या", "pattern": "^[0-9]{10}$",
               "x-error-en": "The consumer number is 10 digits.", "x-error-hi": "उपभोक्ता संख्या 10 अंकों की होती है।"}


def form(**props):
    return {"type": "object", "properties": {"consumer_no": CONSUMER_NO, "cylinder": CYLINDER, **props},
            "required": ["consumer_no", "cylinder"], "additionalProperties": False}


def refill(code="pvt.jaipur_lpg.refill", **over):
    declared = dict(code=code, title_en="LPG cylinder refill booking", title_hi="एलपीजी सिलेंडर रीफिल बुकिंग",
                    provider="Jaipur LPG Agency", provider_hi="जयपुर एलपीजी एजेंसी", domain=Domain.PRIVATE,
                    category=Category.PRIVATE_SERVICE, form=form(), fee=FeeRule(payer=Payer.PARTNER, fee_paise=395),
                    workflow=Workflow.PAYMENT)
    declared.update(over)
    return Service(**declared)


def load(*services):
    """The partner's plugin, named jaipur_lpg, with its services made inside its hook as a plugin
    makes them (a misspelt keyword raised there, refusing the whole plugin)."""
    @hookimpl
    def emitra_register_services(register):
        for make in services:
            register(make())

    module = types.SimpleNamespace(emitra_register_services=emitra_register_services)
    return PluginHost(extra_plugins=[("jaipur_lpg", module)], use_entry_points=False).registry


def refused_alone(make):
    """Load ``make()`` beside a sound service of the same plugin: the one refusal, the other loaded."""
    registry = load(make, lambda: refill(code="pvt.jaipur_lpg.transfer"))
    assert registry.get("pvt.jaipur_lpg.transfer") is not None, [str(r) for r in registry.refusals]
    assert len(registry.refusals) == 1 and registry.refusals[0].plugin == "jaipur_lpg", [str(r) for r in registry.refusals]
    return registry.refusals[0]


ROWS = {"type": "array", "title": "Cylinders", "x-title-hi": "सिलेंडर",
        "items": {"type": "object", "properties": {"size": {**CYLINDER, "default": "dom19"}}}}


@pytest.mark.parametrize("props,field,said", [
    # a default not among the choices: the drop-down started on "— choose —" on every request
    ({"cylinder": {**CYLINDER, "default": "dom19"}}, "form.properties.cylinder",
     "\"default\": 'dom19' is refused by the field itself (Cylinder: choose one of the listed options (Domestic 14.2 kg, "
     "Domestic 5 kg, Commercial 19 kg)), and the counter's form starts with it, so the operator would have to correct it on "
     "every request; give one of 'dom14', 'dom5', 'com19' as the default, or leave \"default\" out"),
    # a default its own pattern refuses: "Get amount due" said the consumer number was wrong, every time
    ({"consumer_no": {**CONSUMER_NO, "default": "0000"}}, "form.properties.consumer_no",
     "\"default\": '0000' is refused by the field itself (The consumer number is 10 digits), and the counter's form starts "
     "with it"),
    ({"consumer_no": {**CONSUMER_NO, "default": 1234567890}}, "form.properties.consumer_no",
     "\"default\": 1234567890 is refused by the field itself (LPG consumer number must be text)"),
    ({"delivery": {"type": "string", "format": "date", "title": "Delivery on", "x-title-hi": "डिलीवरी की तारीख",
                   "default": "2026-13-01"}}, "form.properties.delivery",
     "\"default\": '2026-13-01' is refused by the field itself (Delivery on is not a date"),
    ({"delivery": {"type": "string", "format": "date", "title": "Delivery on", "x-title-hi": "डिलीवरी की तारीख",
                   "default": datetime.date(2026, 12, 5)}}, "form.properties.delivery",
     "\"default\": datetime.date(2026, 12, 5) is a Python date, not a JSON value, so no form could start with it; write it as "
     "JSON does: text (here '2026-12-05'), a number"),
    ({"cylinders": ROWS}, "form.properties.cylinders.items.properties.size", "\"default\": 'dom19' is refused by the field itself"),
    ({"cylinder": {"$ref": "#/$defs/cylinder", "title": "Cylinder", "x-title-hi": "सिलेंडर", "default": "dom19"}},
     "form.properties.cylinder", "\"default\": 'dom19' is refused by the field itself (Cylinder: choose one of"),
])
def test_a_default_its_own_field_refuses_is_refused_at_load_naming_the_field_and_the_fix(props, field, said):
    """JSON Schema never checks a "default": each of these loaded without a word, and the counter's
    form started with a value the field then refused (or no choice at all)."""
    declared = {**form(**props), "$defs": {"cylinder": CYLINDER}}
    refusal = refused_alone(lambda: refill(form=declared))
    assert refusal.field == field and refusal.service_code == "pvt.jaipur_lpg.refill"
    assert said in refusal.message, refusal.message


def test_a_default_the_field_takes_is_accepted():
    registry = load(lambda: refill(form=form(cylinder={**CYLINDER, "default": "dom14"},
                                             count={"type": "integer", "title": "Cylinders", "x-title-hi": "सिलेंडर",
                                                    "minimum": 1, "maximum": 2, "default": 1},
                                             note={"type": "string", "title": "Note", "x-title-hi": "टिप्पणी", "default": ""})))
    assert registry.refusals == [] and registry.get("pvt.jaipur_lpg.refill").form["properties"]["cylinder"]["default"] == "dom14"


class Refill(Service):
    """The guide's way: a subclass whose own __init__ declares the service."""

    def __init__(self, **mistake):
        super().__init__(code="pvt.jaipur_lpg.refill", title_en="LPG cylinder refill booking", title_hi="एलपीजी सिलेंडर रीफिल बुकिंग",
                         provider="Jaipur LPG Agency", domain=Domain.PRIVATE, category=Category.PRIVATE_SERVICE, form=form(),
                         fee=FeeRule(payer=Payer.PARTNER), **mistake)


@pytest.mark.parametrize("make,field,said", [
    # a misspelt field name was a TypeError that refused the whole plugin, naming no field to write instead
    (lambda: Refill(provider_hindi="जयपुर एलपीजी एजेंसी"), "provider_hindi",
     "Service(...) has no field 'provider_hindi', so provider_hindi='जयपुर एलपीजी एजेंसी' would be lost; did you mean provider_hi?"),
    (lambda: Refill(descripton_en="Book a refill."), "descripton_en", "did you mean description_en?"),
    (lambda: refill(fee=FeeRule(payer=Payer.PARTNER, fee_rupees=5)), "fee.fee_rupees",
     "FeeRule(...) has no field 'fee_rupees', so fee_rupees=5 would be lost; the charge is fee_paise, in whole paise: "
     "for Rs 5 write fee_paise=500"),
    (lambda: refill(fee=FeeRule(payer=Payer.PARTNER, paid_by="partner")), "fee.paid_by",
     "FeeRule(...) has no field 'paid_by', so paid_by='partner' would be lost; its fields are payer, fee_paise, commission_bp"),
])
def test_a_keyword_a_service_has_no_field_for_refuses_that_service_naming_the_field_it_means(make, field, said):
    refusal = refused_alone(make)
    assert refusal.field == field and said in refusal.message, str(refusal)


def test_a_misspelt_required_field_is_named_before_the_field_it_left_out():
    """``title_hindi=`` for ``title_hi=``: the refusal says which keyword was wrong, not only that title_hi is missing."""
    declared = dict(code="pvt.jaipur_lpg.refill", title_en="LPG refill", title_hindi="एलपीजी रीफिल", provider="Jaipur LPG Agency",
                    domain=Domain.PRIVATE, category=Category.PRIVATE_SERVICE, form=form(), fee=FeeRule(payer=Payer.PARTNER))
    refusal = refused_alone(lambda: Service(**declared))
    assert refusal.field == "title_hindi" and "did you mean title_hi?" in refusal.message


def test_a_code_that_is_only_the_plugins_namespace_is_refused_saying_a_service_goes_after_it():
    """It said "'pvt' is another provider's" and advised EMITRA_PLUGIN_NAMESPACES=jaipur_lpg=pvt."""
    refusal = refused_alone(lambda: refill(code="pvt.jaipur_lpg"))
    assert refusal.field == "namespace"
    assert ("'pvt.jaipur_lpg' is a provider's namespace ('pvt', then a name) with no service after it; a code is the domain's "
            "prefix, the plugin's own name, then the service: write 'pvt.jaipur_lpg.<service>'") in refusal.message
    assert "EMITRA_PLUGIN_NAMESPACES" not in refusal.message and "another provider's" not in refusal.message


def test_a_partners_hindi_name_in_english_is_named_once():
    refusal = refused_alone(lambda: refill(provider_hi="Jaipur LPG Agency"))
    assert refusal.field == "provider_hi"
    assert refusal.message.startswith("'Jaipur LPG Agency' is not Hindi; write the department's or partner's Hindi name"), refusal.message


@pytest.mark.parametrize("code,domain,said", [
    # a partner's refill coded as a Rajasthan department's loaded (its name is its own under every
    # prefix), and a Society's rule on pvt.* never matched it
    ("gov.rj.jaipur_lpg.refill", Domain.PRIVATE,
     "'gov.rj.jaipur_lpg.refill' begins with 'gov.rj', the prefix of a Rajasthan department's codes, but the service declares "
     "domain=Domain.PRIVATE, a partner's: a code begins with its own domain's prefix, so write 'pvt.jaipur_lpg.refill'; or, if "
     "it is a Rajasthan department's service, domain=Domain.GOVERNMENT"),
    ("pvt.jaipur_lpg.refill", Domain.GOVERNMENT, "so write 'gov.rj.jaipur_lpg.refill'; or, if it is a partner's service, "
                                                 "domain=Domain.PRIVATE"),
    ("gov.in.jaipur_lpg.refill", Domain.PRIVATE, "the prefix of a central government department's codes"),
])
def test_a_code_under_another_domains_prefix_than_the_services_is_refused_naming_both_fixes(code, domain, said):
    refusal = refused_alone(lambda: refill(code=code, domain=domain))
    assert (refusal.service_code, refusal.field) == (code, "namespace") and said in refusal.message, str(refusal)


def test_a_partners_service_whose_charge_a_department_would_pay_is_refused_naming_the_two_payers():
    """A private agency's refill with Payer.DEPARTMENT loaded: its receipts told the citizen that
    "the department" paid the service charge, and the LSP's claim was booked as a department's."""
    refusal = refused_alone(lambda: refill(fee=FeeRule(payer=Payer.DEPARTMENT, fee_paise=395)))
    assert refusal.field == "fee.payer"
    assert refusal.message == ("Payer.DEPARTMENT for a partner's service (domain=Domain.PRIVATE): the receipt would tell the "
                               "citizen a department pays the service charge; write Payer.PARTNER if the partner pays it, or "
                               "Payer.CITIZEN if the citizen does")
    assert load(lambda: refill(fee=FeeRule(payer=Payer.CITIZEN))).refusals == []

"""The plugin host: discovery by entry point, and declarations checked at load."""

import types

import pytest

from emitra.core import Category, Domain, FeeRule, Payer, Service, Workflow, hookimpl
from emitra.core.plugins import PluginHost, get_host
from emitra.core.workflow import application_process

FORM = {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स"}}, "required": ["x"]}


#: a form of two fields, for x-steps
STEPPED = {"type": "object", "properties": {"a": {"type": "string", "title": "A", "x-title-hi": "ए"},
                                            "b": {"type": "string", "title": "B", "x-title-hi": "बी"}}}


#: an array of objects, drawn as rows to fill
ROWS = {"type": "array", "title": "Members", "x-title-hi": "सदस्य",
        "items": {"type": "object", "properties": {"n": {"type": "string", "title": "Name", "x-title-hi": "नाम"}}}}


def svc(**over):
    base = dict(code="test.ok.service", title_en="OK service", title_hi="ठीक सेवा", provider="Test Dept",
                domain=Domain.GOVERNMENT, category=Category.APPLICATION, form=FORM, fee=FeeRule(payer=Payer.CITIZEN),
                workflow=Workflow.PAYMENT)
    base.update(over)
    return Service(**base)


def plugin(*services):
    module = types.SimpleNamespace()

    @hookimpl
    def emitra_register_services(register):
        for s in services:
            register(s)

    module.emitra_register_services = emitra_register_services
    return module


def host(*named):
    return PluginHost(extra_plugins=list(named), use_entry_points=False)


def test_builtin_plugins_are_discovered_through_the_entry_point_group():
    registry = get_host().registry
    assert "electricity" in registry.plugins
    jvvnl = registry.get("gov.rj.jvvnl.bill")
    assert jvvnl is not None and jvvnl.plugin == "electricity"
    assert jvvnl.fee.payer == Payer.DEPARTMENT


@pytest.mark.parametrize("override,field,fragment", [
    ({"form": {"type": "object", "properties": {"x": {"type": "nonsense"}}}}, "form", "not a valid JSON Schema"),
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X"}}}}, "form.properties.x", "x-title-hi"),
    ({"form": {"type": "string"}}, "form", "type\": \"object"),
    ({"form": {"type": "object", "properties": {}, "required": ["missing"]}}, "form.required", "missing"),
    ({"fee": FeeRule(payer=Payer.CITIZEN, fee_paise=-100)}, "fee.fee_paise", "negative"),
    ({"fee": FeeRule(payer=Payer.CITIZEN, fee_paise=3.95)}, "fee.fee_paise", "whole paise"),
    # a fee in rupees as a float was refused without the int to write; a fee given as a bare number said only "must be a FeeRule"
    ({"fee": FeeRule(payer=Payer.CITIZEN, fee_paise=10.0)}, "fee.fee_paise",
     "10.0 is a float, not whole paise; an amount is an int (Rs 3.95 is 395); if you meant Rs 10.00, write fee_paise=1000"),
    ({"fee": FeeRule(payer=Payer.CITIZEN, fee_paise=3.95)}, "fee.fee_paise", "; if you meant Rs 3.95, write fee_paise=395"),
    ({"fee": 10}, "fee", "10 is not a FeeRule; write fee=FeeRule(payer=Payer.CITIZEN, fee_paise=None) for Table 2's rate, "
                         "or an int fee_paise in paise (Rs 5 is 500)"),
    # "type": "file", the usual guess for an upload, was refused listing the type names, not how an upload is declared
    ({"form": {"type": "object", "properties": {"scan": {"type": "file", "title": "Scan", "x-title-hi": "स्कैन"}}}}, "form",
     "'file' is not a type name; use one of array, boolean, integer, null, number, object, string (or a list of them); a file "
     "upload is \"type\": \"string\" with \"x-upload\""),
    # overflowed the database at every payment (10**19), or charged more than emitra takes anywhere
    ({"fee": FeeRule(payer=Payer.CITIZEN, fee_paise=10**19)}, "fee.fee_paise",
     "10000000000000000000 is more than the largest amount, 99999999999 paise (₹99,99,99,999.99); an amount is whole paise"),
    ({"fee": FeeRule(payer="tourist")}, "fee.payer", "not a known payer"),
    ({"code": "Not A Code"}, "code", "dotted lowercase"),
    ({"title_hi": "Only English"}, "title_hi", "Devanagari"),
    # the department's Hindi name is optional, but when given it is Hindi
    ({"provider_hi": "Test Department"}, "provider_hi", "is not Hindi; write the department's or partner's Hindi name in Devanagari"),
    ({"departments_hi": {"Transport": "Transport Dept"}}, "departments_hi", "departments_hi['Transport']: 'Transport Dept' is not Hindi"),
    ({"departments_hi": [("Transport", "परिवहन")]}, "departments_hi", "must be a dict of English department name"),
    ({"domain": "galactic"}, "domain", "government, central, private"),
    ({"form": {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string", "title": "A", "x-title-hi": "ए"}},
               "if": {"properties": {"a": {"const": "x"}}}, "then": {"properties": {"b": {"type": "string", "title": "B", "x-title-hi": "बी"}}}}},
     "form.additionalProperties", "unevaluatedProperties"),
    ({"form": {"type": "object", "properties": {"a": {"type": "string", "title": "A", "x-title-hi": "ए"}}, "x-steps": [{"title": "One", "fields": ["a", "zz"]}]}},
     "form.x-steps", "zz"),
    ({"category": "lottery-ish"}, "category", "not one of"),
    # an English title with one Hindi word added is not a Hindi title
    ({"title_hi": "Gas cylinder booking भुगतान"}, "title_hi", "not Hindi"),
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "Account number खाता"}}}},
     "form.properties.x", "x-title-hi"),
    # a wrong type name: the message lists the right ones
    ({"form": {"type": "object", "properties": {"x": {"type": "strng", "title": "X", "x-title-hi": "एक्स"}}}},
     "form", "'strng' is not a type name; use one of array, boolean, integer, null, number, object, string"),
    # a $ref to nothing would fail at the counter ("Get amount due"): refused at load, naming where it is
    ({"form": {"type": "object", "properties": {"x": {"$ref": "#/$defs/account_no", "title": "X", "x-title-hi": "एक्स"}}}},
     "form", "at properties/x/$ref: $ref '#/$defs/account_no' points to nothing in the form"),
    ({"form": {"type": "object", "properties": {"x": {"$ref": "https://partner.example/account.json", "title": "X", "x-title-hi": "एक्स"}}}},
     "form", "is outside the form"),
    # the counter's own keys, which JSON Schema does not look at: each failed at the counter or spoke English on Hindi pages
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स", "enum": ["a", "b"],
                                                       "x-enum-labels": ["A"]}}}},  # "Get amount due" was an error page
     "form.properties.x", '"x-enum-labels" must be a list of 2 labels, one for each value of "enum" in the same order (it has 1)'),
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स",
                                                       "x-upload": {"max_kb": "1 MB"}}}}},  # the form page was an error page
     "form.properties.x", '"x-upload".max_kb: \'1 MB\' is not a whole number of KB, at least 1 (e.g. 1024 for 1 MB)'),
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स",
                                                       "x-upload": {"accept": ["application/zip"]}}}}},  # every upload refused
     "form.properties.x", "is not a list of the file types emitra recognises in a scan: application/pdf, image/jpeg, image/png"),
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स", "pattern": "^[0-9]$",
                                                       "x-error-en": "One digit."}}}},
     "form.properties.x", 'gives "x-error-en" or "x-error-hi" without the other; write the pattern\'s message in both English and Hindi'),
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स", "description": "As printed"}}}},
     "form.properties.x", 'has a "description" but no "x-description-hi"'),
    ({"title_hi": ""}, "title_hi", "'' is empty; write the service's name in Hindi, in Devanagari script"),
    # a title on two lines printed broken on the picker and the receipt; a pattern that is no regex said only "is not a 'regex'"
    ({"title_en": "Gas\nbooking"}, "title_en", "'Gas\\nbooking' has a control character ('\\n', at position 3); write it on one line"),
    ({"title_hi": "गैस बुकिंग\r"}, "title_hi", "has a control character ('\\r', at position 10)"),
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स", "pattern": "^([0-9]{8}$"}}}},
     "form", "at properties/x/pattern: '^([0-9]{8}$' is not a regular expression: missing ), unterminated subpattern at position 1"),
    # a process given to a service that is done when paid was ignored: no case, the department never saw the application
    ({"process": application_process(), "workflow": Workflow.PAYMENT}, "workflow",
     "process is given, but the workflow is Workflow.PAYMENT, which is done when paid and opens no case for the department; "
     "set workflow=Workflow.APPLICATION"),
    ({"personal_verification": True}, "workflow", "personal_verification is given, but the workflow is Workflow.PAYMENT"),
    # a certificate was promised on a service done when paid: no case, so no officer ever issued it
    ({"deliverable": "certificate"}, "workflow",
     "deliverable='certificate' is given, but the workflow is Workflow.PAYMENT, which is done when paid and opens no case for the "
     "department; set workflow=Workflow.APPLICATION"),
    # the service picker's line, and a counter service's unit, spoke English on Hindi pages
    ({"description_en": "Renew a licence."}, "description_hi",
     "'' is not Hindi; the service has a description_en, so write its description_hi in Devanagari script"),
    ({"description_en": "Renew a licence.", "description_hi": "Renew a licence."}, "description_hi", "'Renew a licence.' is not Hindi"),
    ({"priced_by_lsp": True}, "unit_en", "a service the LSP prices (priced_by_lsp) names its unit, e.g. unit_en='page', unit_hi='पृष्ठ'"),
    ({"priced_by_lsp": True, "unit_en": "page", "unit_hi": "page"}, "unit_hi", "'page' is not Hindi; write the unit in Devanagari script"),
    # a booking the counter offered to cancel, and every cancel was an error (Service.cancel raises NotImplementedError)
    ({"cancellable": True}, "cancellable",
     "cancellable=True, but the service does not implement cancel(); implement cancel (and refund_quote), or leave cancellable False"),
    # the counter's form page was an error page ('>' between str and int), or drew a row per number
    ({"form": {"type": "object", "properties": {"m": {**ROWS, "x-rows": "many"}}}}, "form.properties.m",
     '"x-rows": \'many\' is not a whole number of empty rows from 1 to 20'),
    ({"form": {"type": "object", "properties": {"m": {**ROWS, "x-rows": 100_000}}}}, "form.properties.m",
     '"x-rows": 100000 is not a whole number of empty rows from 1 to 20'),
    # a mistyped format is no format to JSON Schema: no date picker, and any text passed as a date
    ({"form": {"type": "object", "properties": {"d": {"type": "string", "title": "D", "x-title-hi": "डी", "format": "Date"}}}},
     "form.properties.d", "\"format\": 'Date' is not a format JSON Schema defines; use one of date, date-time, duration, email"),
    # the stored document's id is text: an integer field holding it was refused at every submission
    ({"form": {"type": "object", "properties": {"x": {"type": "integer", "title": "X", "x-title-hi": "एक्स", "x-upload": {}}}}},
     "form.properties.x", "\"x-upload\" is on a field of \"type\": 'integer'; a document field is \"type\": \"string\""),
    # an amount of money typed as the money boxes take one (decision 132): only on a field holding a number
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स", "x-money": True}}}},
     "form.properties.x", "\"x-money\": True on a field of \"type\": 'string'; an amount of money is \"x-money\": true on an \"integer\""),
    ({"form": {"type": "object", "properties": {"x": {"type": "integer", "title": "X", "x-title-hi": "एक्स", "x-money": "rupees"}}}},
     "form.properties.x", "\"x-money\": 'rupees' on a field of \"type\": 'integer'"),
    # a share in per cent typed with its sign (decision 192): only on a field holding a number
    ({"form": {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स", "x-percent": True}}}},
     "form.properties.x", "\"x-percent\": True on a field of \"type\": 'string'; a share in per cent is \"x-percent\": true"),
    # x-steps the counter could not draw: a crash inside the core refused the whole plugin, or a field never shown
    ({"form": {**STEPPED, "x-steps": {"title": "One", "x-title-hi": "एक", "fields": ["a", "b"]}}}, "form.x-steps",
     'must be a list of steps, each {"title": ..., "x-title-hi": ..., "fields": [...]}'),
    ({"form": {**STEPPED, "x-steps": ["a", "b"]}}, "form.x-steps", 'step 1 must be {"title": ..., "x-title-hi": ..., "fields": [...]}'),
    ({"form": {**STEPPED, "x-steps": [{"title": "One", "x-title-hi": "एक", "fields": "ab"}]}}, "form.x-steps",
     "step 'One': \"fields\" must be a list of the names of properties, e.g. [\"a\", \"b\"]"),
    ({"form": {**STEPPED, "x-steps": [{"title": "One", "x-title-hi": "एक", "fields": ["a"]}]}}, "form.x-steps",
     "'b' is in no step, so the counter would never show it; list it in the \"fields\" of one step"),
    ({"form": {**STEPPED, "x-steps": [{"title": "One", "fields": ["a", "b"]}]}}, "form.x-steps",
     "step 'One' needs an English \"title\" and a Hindi \"x-title-hi\""),
    # names the counter page posts beside the form's own fields, or cannot tell from a nested field's path
    ({"form": {"type": "object", "properties": {"csrf_token": {"type": "string", "title": "Token", "x-title-hi": "टोकन"}}}},
     "form.properties.csrf_token", "is a name the counter page itself posts (csrf_token, _step, _back, _more)"),
    ({"form": {"type": "object", "properties": {"_step": {"type": "string", "title": "Step", "x-title-hi": "चरण"}}}},
     "form.properties._step", "is a name the counter page itself posts"),
    ({"form": {"type": "object", "properties": {"address.pin": {"type": "string", "title": "PIN", "x-title-hi": "पिन"}}}},
     "form.properties.address.pin", "'address.pin' is not a field name the counter can post"),
    ({"form": {"type": "object", "properties": {"a": {"type": "object", "title": "A", "x-title-hi": "ए", "properties": {
        "p q": {"type": "string", "title": "Q", "x-title-hi": "क्यू"}}}}}},
     "form.properties.a.properties.p q", "'p q' is not a field name the counter can post"),
])
def test_a_bad_declaration_is_refused_naming_plugin_and_field_and_others_still_load(override, field, fragment):
    h = host(("bad", plugin(svc(**{"code": "test.bad.one", **override}))),
             ("good", plugin(svc(code="test.good.one"))))
    assert h.registry.get("test.good.one") is not None
    assert len(h.registry.refusals) == 1
    refusal = h.registry.refusals[0]
    assert refusal.plugin == "bad" and refusal.field == field
    assert fragment in refusal.message
    assert "bad" in str(refusal) and field in str(refusal)


@pytest.mark.parametrize("category", [Category.APPLICATION, Category.GRIEVANCE])
def test_an_application_left_without_its_workflow_is_refused_naming_the_two_to_choose_from(category):
    """The default workflow is done when paid: an application whose plugin forgot
    ``workflow=Workflow.APPLICATION`` was paid at the counter and never reached an officer, with no word."""
    def service(code, **workflow):
        return Service(code=code, title_en="Permit", title_hi="परमिट", provider="Test Dept", domain=Domain.PRIVATE,
                       category=category, form=FORM, fee=FeeRule(payer=Payer.CITIZEN), **workflow)

    bill = Service(code="test.gas.bill", title_en="Bill", title_hi="बिल", provider="Test Dept", domain=Domain.PRIVATE,
                   category=Category.BILL, form=FORM, fee=FeeRule(payer=Payer.PARTNER))
    h = host(("gas", plugin(service("test.gas.forgot"), service("test.gas.own", workflow=Workflow.PAYMENT),
                            service("test.gas.case", workflow=Workflow.APPLICATION), bill)))
    (refusal,) = h.registry.refusals
    assert (refusal.service_code, refusal.field) == ("test.gas.forgot", "workflow")
    assert refusal.message == (f"not given, so this {category.value} is done when paid (Workflow.PAYMENT) and no case ever reaches "
                               "the department's officers; give workflow=Workflow.APPLICATION, or workflow=Workflow.PAYMENT if "
                               "your own system processes it after submit")
    # said explicitly, either is taken; a bill needs no workflow
    assert h.registry.get("test.gas.own").workflow == Workflow.PAYMENT and h.registry.get("test.gas.bill").workflow == Workflow.PAYMENT
    assert h.registry.get("test.gas.case").workflow == Workflow.APPLICATION


def test_a_code_two_plugins_declare_is_refused_for_both_whatever_the_load_order():
    for order in (("first", "second"), ("second", "first")):
        h = host(*[(name, plugin(svc(), svc(code=f"test.{name}.own"))) for name in order])
        assert h.registry.get("test.ok.service") is None
        assert h.registry.get("test.first.own") and h.registry.get("test.second.own")  # their other services load
        refusals = {r.plugin: r for r in h.registry.refusals}
        assert sorted(refusals) == ["first", "second"]
        for name, refusal in refusals.items():
            assert (refusal.field, refusal.service_code) == ("code", "test.ok.service")
            assert "declared by plugins 'first', 'second'" in refusal.message
            assert f"begin them with your domain and your own name, e.g. 'gov.rj.{name}.service'" in refusal.message


def test_a_code_declared_twice_by_one_plugin_is_refused():
    h = host(("twice", plugin(svc(), svc())))
    assert h.registry.get("test.ok.service") is None
    assert [r.message for r in h.registry.refusals] == ["'test.ok.service' is declared 2 times by this plugin; give each service a code of its own"] * 2


def test_an_unpaid_fee_rule_refuses_only_its_service_naming_the_payers():
    h = host(("gas", plugin(svc(code="pvt.gas.refill", domain=Domain.PRIVATE, fee=FeeRule(fee_paise=2000)),
                            svc(code="pvt.gas.deposit", domain=Domain.PRIVATE))))
    assert h.registry.get("pvt.gas.deposit") is not None
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.service_code, refusal.field) == ("gas", "pvt.gas.refill", "fee.payer")
    assert "no payer given; say who pays the service charge" in refusal.message
    assert "Payer.CITIZEN, Payer.DEPARTMENT, Payer.PARTNER" in refusal.message
    assert FeeRule(Payer.CITIZEN, 1000) == FeeRule(payer=Payer.CITIZEN, fee_paise=1000)  # the positional form still works


def test_every_builtin_service_names_its_department_in_hindi():
    """Hindi pages name the department a case is with in Hindi: each built-in plugin declares it."""
    from emitra.core.plugins import department_hi, is_hindi

    services = get_host().all_declared.values()
    assert services and all(is_hindi(s.provider_hi) for s in services), [s.code for s in services if not is_hindi(s.provider_hi)]
    assert department_hi("Revenue Department, Government of Rajasthan") == "राजस्व विभाग, राजस्थान सरकार"
    assert department_hi("Public Health Engineering (water supply)") == "जन स्वास्थ्य अभियांत्रिकी (जल आपूर्ति)"  # a grievance's
    assert department_hi("District Collectorate") == "जिला कलेक्टरेट" and department_hi("Unknown office") == ""
    h = host(("hi", plugin(svc(provider_hi="परीक्षण विभाग", departments_hi={"Other Dept": "अन्य विभाग"}))))
    assert h.registry.refusals == [] and h.registry.get("test.ok.service").provider_hi == "परीक्षण विभाग"


def test_hindi_titles_may_hold_an_abbreviation():
    from emitra.core.plugins import is_hindi

    assert is_hindi("बिजली बिल – जयपुर विद्युत वितरण निगम लि. (JVVNL)") and is_hindi("EPIC नंबर")
    assert not is_hindi("Bharat Gas cylinder booking भुगतान") and not is_hindi("TODO: the Hindi title") and not is_hindi(None)


def test_a_plugin_that_crashes_while_registering_does_not_stop_the_others():
    broken = types.SimpleNamespace()

    @hookimpl
    def emitra_register_services(register):
        raise RuntimeError("database of the department is down")

    broken.emitra_register_services = emitra_register_services
    h = host(("broken", broken), ("good", plugin(svc())))
    assert h.registry.get("test.ok.service") is not None
    assert h.registry.refusals[0].plugin == "broken"
    assert "database of the department is down" in h.registry.refusals[0].message


def test_a_member_no_emitra_enum_has_is_refused_naming_the_members_and_the_plugins_line():
    """``Payer.SOCIETY`` raised ``AttributeError: SOCIETY``: the partner read neither the choices nor where."""
    wrong = types.SimpleNamespace()

    @hookimpl
    def emitra_register_services(register):
        register(svc(fee=FeeRule(payer=Payer.SOCIETY)))

    wrong.emitra_register_services = emitra_register_services
    h = host(("wrong", wrong), ("good", plugin(svc(code="test.good.one"))))
    assert h.registry.get("test.good.one") is not None
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field) == ("wrong", "emitra_register_services")
    line = emitra_register_services.__code__.co_firstlineno + 2
    assert refusal.message == ("AttributeError: Payer has no member 'SOCIETY'; use one of Payer.CITIZEN, Payer.DEPARTMENT, "
                               f"Payer.PARTNER (at {__file__}, line {line})")


def _labelled(process, **over):
    """``process`` with one state or step changed, e.g. ``forwarded=dict(label_hi="")``."""
    import dataclasses

    def change(item, name):
        return dataclasses.replace(item, **over[name]) if name in over else item

    return dataclasses.replace(process, states=tuple(change(s, s.name) for s in process.states),
                               transitions=tuple(change(t, t.action) for t in process.transitions), _index={})


@pytest.mark.parametrize("over,message", [
    # the Hindi timeline, the officer's Hindi button, showed nothing
    ({"forwarded": {"label_hi": ""}}, "process.states[forwarded].label_hi: '' is not Hindi; name it in Hindi, in Devanagari script"),
    ({"approve": {"label_hi": "Approve"}}, "process.transitions[approve].label_hi: 'Approve' is not Hindi"),
    ({"approve": {"done_en": "Approved", "done_hi": ""}}, "process.transitions[approve].done_label_hi: '' is not Hindi"),
    ({"forwarded": {"label_en": " "}}, "process.states[forwarded].label_en: missing; name it in English"),
    # ("forwarded") is a string: each letter was reported as an undeclared state
    ({"approve": {"sources": "forwarded"}},
     "process.transitions[approve].sources: 'forwarded' is not a tuple of state names; write ('forwarded',) for one state"),
    # roles=("system") is a string too: each letter was reported as an unknown role
    ({"forward": {"roles": "system"}},
     "process.transitions[forward].roles: 'system' is not a tuple of roles; write ('system',) for one role"),
    # True is an int: a day's limit the partner never wrote
    ({"forwarded": {"sla_days": True}}, "process.states[forwarded].sla_days: must be a whole number of days, at least 1, or None"),
])
def test_every_state_and_step_of_a_process_is_named_in_english_and_hindi(over, message):
    h = host(("office", plugin(svc(workflow=Workflow.APPLICATION, process=_labelled(application_process(), **over)))))
    assert h.registry.get("test.ok.service") is None
    (refusal,) = h.registry.refusals
    field, why = message.split(": ", 1)
    assert (refusal.plugin, refusal.field) == ("office", field) and refusal.message.startswith(why)
    sound = host(("office", plugin(svc(workflow=Workflow.APPLICATION, process=application_process()))))
    assert sound.registry.refusals == []


def test_a_misspelled_hook_is_refused_not_silently_ignored():
    typo = types.SimpleNamespace()

    @hookimpl
    def emitra_register_servces(register):  # sic
        pass

    typo.emitra_register_servces = emitra_register_servces
    h = host(("typo", typo), ("good", plugin(svc())))
    assert [r.plugin for r in h.registry.refusals] == ["typo"]
    assert "emitra_register_servces" in h.registry.refusals[0].message
    # the refusal says what to do: the hook it most likely means (pluggy named only the typo and the module)
    assert "rename the function to 'emitra_register_services'" in h.registry.refusals[0].message
    assert h.registry.get("test.ok.service") is not None


@pytest.mark.parametrize("hook", ["emitra_register_services", "emitra_transaction_recorded", "emitra_send_notification"])
def test_a_hook_function_without_hookimpl_is_refused_not_silently_never_called(hook):
    """A plugin whose ``emitra_register_services`` lacked ``@hookimpl`` loaded with no service and
    no refusal (``emitra plugins`` listed it as loaded); an unmarked ``emitra_transaction_recorded``
    was never called, and nothing said so."""
    bare = types.SimpleNamespace()

    def implementation(**kwargs):
        pass

    implementation.__name__ = hook
    setattr(bare, hook, implementation)
    h = host(("bare", bare), ("good", plugin(svc())))
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field) == ("bare", "hooks")
    assert refusal.message == (f"{hook} is not marked @hookimpl, so emitra would never call it: put @hookimpl on the line above 'def' "
                               "(from emitra.core import hookimpl; a pluggy HookimplMarker of another name is not emitra's)")
    assert "bare" not in h.registry.plugins and h.registry.get("test.ok.service") is not None


def test_a_hook_taking_an_argument_emitra_does_not_pass_is_refused_naming_the_arguments_to_take():
    """pluggy's three lines ("Plugin ... for hook ... / hookimpl definition: ... / Argument(s) {...}
    are declared in the hookimpl but can not be found in the hookspec") named no fix."""
    renamed = types.SimpleNamespace()

    @hookimpl
    def emitra_register_services(registry):
        registry(svc())

    renamed.emitra_register_services = emitra_register_services
    h = host(("renamed", renamed), ("good", plugin(svc(code="test.good.one"))))
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field) == ("renamed", "hooks")
    assert refusal.message == ("emitra_register_services takes 'registry', which emitra does not pass; emitra calls it by keyword "
                               "with register only: write def emitra_register_services(register)")
    assert h.registry.get("test.good.one") is not None


@pytest.mark.parametrize("hook", ["emitra_register_services", "emitra_register_policy_rules", "emitra_register_payment_methods",
                                  "emitra_transaction_recorded"])
def test_an_async_implementation_of_a_hook_emitra_calls_synchronously_is_refused(hook):
    """``async def emitra_register_services`` loaded with no service and no refusal: emitra calls the
    hook synchronously, so the coroutine was never run (only a RuntimeWarning, in no log)."""
    eager = types.SimpleNamespace()

    async def implementation(**kwargs):
        pass

    implementation.__name__ = hook
    setattr(eager, hook, hookimpl(implementation))
    h = host(("eager", eager), ("good", plugin(svc())))
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field) == ("eager", "hooks")
    assert refusal.message == (f"{hook} is an async def; emitra calls it synchronously, so its body would never run: "
                               f"write it as a plain def")
    assert "eager" not in h.registry.plugins and h.registry.get("test.ok.service") is not None


def test_services_returned_by_the_register_hook_instead_of_registered_are_refused_by_name():
    """``return [Service(...)]`` loaded the plugin with no service and said nothing."""
    returner = types.SimpleNamespace()

    @hookimpl
    def emitra_register_services(register):
        return [svc()]

    returner.emitra_register_services = emitra_register_services
    h = host(("returner", returner))
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field) == ("returner", "emitra_register_services")
    assert refusal.message == ("it returned a list instead of registering; call register(service) once for each service "
                               "(the hook returns nothing)")


def test_a_step_may_list_a_branch_field_and_a_stepped_form_loads():
    form = {**STEPPED, "if": {"properties": {"a": {"const": "x"}}},
            "then": {"properties": {"c": {"type": "string", "title": "C", "x-title-hi": "सी"}}},
            "x-steps": [{"title": "One", "x-title-hi": "एक", "fields": ["a"]}, {"title": "Two", "x-title-hi": "दो", "fields": ["b", "c"]}]}
    h = host(("stepped", plugin(svc(form=form))))
    assert h.registry.refusals == [] and h.registry.get("test.ok.service") is not None


def test_transaction_recorded_hook_receives_the_receipt_and_cannot_break_it():
    seen = []
    listener, crasher = types.SimpleNamespace(), types.SimpleNamespace()

    @hookimpl
    def emitra_transaction_recorded(transaction):
        seen.append(transaction["receipt_no"])

    def crash(transaction):
        raise RuntimeError("sms gateway down")

    listener.emitra_transaction_recorded = emitra_transaction_recorded
    crasher.emitra_transaction_recorded = hookimpl(crash)
    h = host(("crasher", crasher), ("listener", listener))
    h.transaction_recorded({"receipt_no": "JP0001000000011"})
    assert seen == ["JP0001000000011"]


def _install_fake_distribution(tmp_path, monkeypatch, name, entry_points, modules):
    """A real distribution on sys.path (a .dist-info with entry_points.txt), as pip would leave it."""
    dist = tmp_path / f"{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[emitra]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))
    for module, source in modules.items():
        (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))


PARTNER_PLUGIN = '''
from emitra.core import Category, Domain, FeeRule, Payer, Service, hookimpl

@hookimpl
def emitra_register_services(register):
    register(Service(code="pvt.partner_demo.recharge", title_en="Mobile recharge", title_hi="मोबाइल रिचार्ज",
                     provider="Partner Telecom", domain=Domain.PRIVATE, category=Category.PRIVATE_SERVICE,
                     form={"type": "object", "properties": {"mobile": {"type": "string", "title": "Mobile", "x-title-hi": "मोबाइल"}}},
                     fee=FeeRule(payer=Payer.PARTNER, fee_paise=200)))
'''


def test_a_third_party_package_is_discovered_like_the_builtins_and_a_broken_one_is_refused(tmp_path, monkeypatch):
    _install_fake_distribution(tmp_path, monkeypatch, "emitra_partner_demo",
                               {"partner_demo": "emitra_partner_demo_mod", "partner_broken": "emitra_partner_missing_mod"},
                               {"emitra_partner_demo_mod": PARTNER_PLUGIN})
    h = PluginHost()
    assert h.registry.get("pvt.partner_demo.recharge").plugin == "partner_demo"
    assert h.registry.get("gov.rj.jvvnl.bill") is not None  # the built-ins still load
    broken = [r for r in h.registry.refusals if r.plugin == "partner_broken"]
    assert broken and broken[0].field == "import" and "emitra_partner_missing_mod" in broken[0].message


def test_a_service_missing_required_fields_is_refused_by_name_and_the_plugins_other_services_load():
    """Service(...) without title_hi and fee raised TypeError in the hook, which refused the whole plugin."""
    module = types.SimpleNamespace()

    @hookimpl
    def emitra_register_services(register):
        register(Service(code="test.partial.first", title_en="First", provider="Test Dept", domain=Domain.PRIVATE,
                         category=Category.PRIVATE_SERVICE, form=FORM))
        register(svc(code="test.partial.second"))

    module.emitra_register_services = emitra_register_services
    h = host(("partial", module))
    assert h.registry.get("test.partial.second") is not None
    [refusal] = [r for r in h.registry.refusals if r.service_code == "test.partial.first"]
    assert refusal.field == "title_hi, fee" and refusal.message.startswith("not given to Service(...): give title_hi=... (write")
    assert "fee=... (FeeRule(payer=Payer.CITIZEN, fee_paise=None)" in refusal.message


HIJACKER = PARTNER_PLUGIN.replace('code="pvt.partner_demo.recharge"', 'code="gov.rj.jvvnl.bill"').replace(
    '"Mobile recharge"', '"Gas cylinder booking"')


def test_a_partner_cannot_take_over_a_builtin_service_code(tmp_path, monkeypatch):
    """'bharat_gas' loads before 'electricity' by name: the built-in keeps its code all the same."""
    _install_fake_distribution(tmp_path, monkeypatch, "emitra_bharat_gas", {"bharat_gas": "emitra_bharat_gas_mod"},
                               {"emitra_bharat_gas_mod": HIJACKER})
    h = PluginHost()
    jvvnl = h.registry.get("gov.rj.jvvnl.bill")
    assert jvvnl.plugin == "electricity" and jvvnl.title_en.startswith("Electricity bill")
    assert [r.plugin for r in h.registry.refusals] == ["bharat_gas"]
    refusal = h.registry.refusals[0]
    assert (refusal.field, refusal.service_code) == ("code", "gov.rj.jvvnl.bill")
    assert "built into emitra (plugin 'electricity'), which keeps it" in refusal.message
    assert "e.g. 'pvt.bharat_gas.bill'" in refusal.message
    assert "bharat_gas" not in h.registry.builtin and "electricity" in h.registry.builtin


CASH_TAKER = '''
from emitra.core import hookimpl
from emitra.core.payments import PaymentMethod

@hookimpl
def emitra_register_payment_methods(register):
    register(PaymentMethod(code="cash", title_en="Cash to Acme", title_hi="एक्मे को नकद", immediate=True))
'''


def test_a_partner_cannot_take_over_a_builtin_payment_method(tmp_path, monkeypatch):
    _install_fake_distribution(tmp_path, monkeypatch, "emitra_acme", {"acme": "emitra_acme_mod"}, {"emitra_acme_mod": CASH_TAKER})
    h = PluginHost()
    assert h.payment_methods["cash"].plugin == "pay_cash"
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field) == ("acme", "payment_method")
    assert "'cash' is the code of a payment method built into emitra (plugin 'pay_cash'), which keeps it" in refusal.message


def test_the_allow_list_limits_which_entry_points_load(tmp_path, monkeypatch):
    _install_fake_distribution(tmp_path, monkeypatch, "emitra_partner_demo", {"partner_demo": "emitra_partner_demo_mod"},
                               {"emitra_partner_demo_mod": PARTNER_PLUGIN})
    monkeypatch.setenv("EMITRA_PLUGINS", "partner_demo")
    h = PluginHost()
    assert [s.code for s in h.registry] == ["pvt.partner_demo.recharge"]


def test_a_name_the_allow_list_gives_that_no_installed_plugin_has_is_a_refusal_naming_the_installed_ones(monkeypatch):
    """EMITRA_PLUGINS=electricty loaded nothing of it and said nothing: the bills were simply not offered."""
    monkeypatch.setenv("EMITRA_PLUGINS", "electricty, phed_water")
    h = PluginHost()
    assert h.registry.plugins == ["phed_water"]
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field) == ("electricty", "EMITRA_PLUGINS")
    assert refusal.message.startswith("EMITRA_PLUGINS names 'electricty', but no installed plugin is called so: correct the name, or "
                                      "install the plugin; the installed ones are births_deaths, bsnl, ")
    assert "electricity" in refusal.message


def test_every_problem_of_a_declaration_is_reported_at_once():
    from emitra.core.plugins import declaration_problems

    bad = svc(code="Bad Code", title_hi="no hindi", fee=FeeRule(payer="tourist", fee_paise=-1),
              form={"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]})
    fields = [p.field for p in declaration_problems(bad)]
    assert fields == ["code", "title_hi", "fee.payer", "fee.fee_paise", "form.required", "form.properties.a"]


# --- the built-ins' codes are theirs, loaded or not ----------------------------------------------

def test_the_reserved_codes_are_exactly_what_the_builtins_declare(monkeypatch):
    """core/builtin_codes.py is a static list (start-up imports no plugin it does not load): with
    every plugin loaded, it must equal the built-ins' own declarations, code for code."""
    from emitra.core import builtin_codes

    monkeypatch.delenv("EMITRA_PLUGINS", raising=False)
    h = PluginHost()
    declared = {code: plugins for code, plugins in h.registry.declared_by.items() if set(plugins) & h.registry.builtin}
    assert all(len(plugins) == 1 for plugins in declared.values()), declared
    assert {code: plugins[0] for code, plugins in declared.items()} == builtin_codes.SERVICES
    methods = {code: m.plugin for code, m in h.payment_methods.items() if m.plugin in h.registry.builtin}
    assert methods == builtin_codes.PAYMENT_METHODS
    assert builtin_codes.PLUGINS == h.registry.builtin  # every built-in declares a code: its name is known unloaded too


def test_a_partner_cannot_take_a_builtin_code_that_emitra_plugins_leaves_out(tmp_path, monkeypatch):
    """EMITRA_PLUGINS names the partner and not 'electricity': the JVVNL bill's code is still the
    built-in's, and the partner's declaration of it is refused naming the code, the owner and the fix."""
    _install_fake_distribution(tmp_path, monkeypatch, "emitra_bharat_gas", {"bharat_gas": "emitra_bharat_gas_mod"},
                               {"emitra_bharat_gas_mod": HIJACKER})
    monkeypatch.setenv("EMITRA_PLUGINS", "bharat_gas,phed_water")
    h = PluginHost()
    assert h.registry.get("gov.rj.jvvnl.bill") is None and "electricity" not in h.registry.plugins
    assert h.registry.get("gov.rj.phed.water_bill").plugin == "phed_water"
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field, refusal.service_code) == ("bharat_gas", "code", "gov.rj.jvvnl.bill")
    assert refusal.message == ("'gov.rj.jvvnl.bill' is the code of a service built into emitra (plugin 'electricity'), reserved to it "
                               "even when it is not loaded (EMITRA_PLUGINS leaves it out); a plugin's codes must be its own: begin them "
                               "with your domain and your own name, e.g. 'pvt.bharat_gas.bill'")


def test_a_partner_cannot_take_a_builtin_payment_method_that_emitra_plugins_leaves_out(tmp_path, monkeypatch):
    _install_fake_distribution(tmp_path, monkeypatch, "emitra_acme", {"acme": "emitra_acme_mod"}, {"emitra_acme_mod": CASH_TAKER})
    monkeypatch.setenv("EMITRA_PLUGINS", "acme,pay_upi")
    h = PluginHost()
    assert "cash" not in h.payment_methods and h.payment_methods["upi"].plugin == "pay_upi"
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field) == ("acme", "payment_method")
    assert refusal.message.startswith("'cash' is the code of a payment method built into emitra (plugin 'pay_cash'), reserved to it "
                                      "even when it is not loaded")
    assert "e.g. 'acme_cash'" in refusal.message


def test_a_builtin_code_is_reserved_in_a_host_without_entry_points():
    """Embedding applications and tests load plugins by hand: a built-in's code is refused there
    too, while a partner's own code loads."""
    h = host(("gas", plugin(svc(code="gov.rj.jvvnl.bill"), svc(code="pvt.gas.refill", domain=Domain.PRIVATE))))
    assert [s.code for s in h.registry] == ["pvt.gas.refill"]
    (refusal,) = h.registry.refusals
    assert refusal.service_code == "gov.rj.jvvnl.bill" and "(plugin 'electricity'), reserved to it" in refusal.message


def test_a_partner_entry_point_named_like_a_builtin_is_not_loaded_in_its_place(tmp_path, monkeypatch):
    """A partner's entry point called 'electricity' would pass for the built-in (its codes, its
    place in EMITRA_PLUGINS, and it came first): it is refused by name, and the built-in keeps its codes."""
    _install_fake_distribution(tmp_path, monkeypatch, "emitra_fake_power", {"electricity": "emitra_fake_power_mod"},
                               {"emitra_fake_power_mod": HIJACKER})
    h = PluginHost()
    assert h.registry.get("gov.rj.jvvnl.bill").title_en.startswith("Electricity bill")
    (refusal,) = h.registry.refusals
    assert (refusal.plugin, refusal.field) == ("electricity", "name")
    assert "'electricity' is the name of a plugin built into emitra" in refusal.message and "emitra_fake_power_mod" in refusal.message


def test_a_failure_inside_pythons_own_library_is_not_given_as_the_plugins_place():
    """An installed entry point naming a module that is not there (renamed after `pip install -e`)
    was refused "(at .../lib/python3.11/importlib/__init__.py, line 126)": a file of Python's, not the partner's."""
    import importlib

    from emitra.core.plugins import failure

    with pytest.raises(ModuleNotFoundError) as caught:
        importlib.import_module("emitra_no_such_plugin_module")
    exc = caught.value.with_traceback(caught.value.__traceback__.tb_next)  # from importlib on, as the loader's ep.load() sees it
    assert "importlib" in exc.__traceback__.tb_frame.f_code.co_filename
    assert failure(exc) == "ModuleNotFoundError: No module named 'emitra_no_such_plugin_module'"

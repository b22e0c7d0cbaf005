"""The forms found sound at one start are not meta-validated again at the next (start-up time),
while a changed form is checked again and a bad one is refused, with its message, at every start."""

import json
from importlib.metadata import version

import jsonschema
import pytest

from emitra.core import Category, Domain, FeeRule, Payer, Service, Workflow
from emitra.core.plugins import CHECKED_FORMS_FILE, PluginHost
from tests.test_plugins import plugin

FORM = {"type": "object", "properties": {"x": {"type": "string", "title": "X", "x-title-hi": "एक्स"}}, "required": ["x"]}
BAD_FORM = {"type": "object", "properties": {"x": {"type": "nonsense", "title": "X", "x-title-hi": "एक्स"}}}


def svc(form, code="test.forms.one"):
    return Service(code=code, title_en="Forms", title_hi="फ़ॉर्म", provider="Test Dept", domain=Domain.GOVERNMENT,
                   category=Category.APPLICATION, form=form, fee=FeeRule(payer=Payer.CITIZEN), workflow=Workflow.APPLICATION)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EMITRA_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def checks(monkeypatch):
    """The forms meta-validated, in order."""
    seen = []
    original = jsonschema.Draft202012Validator.check_schema

    def counting(schema, *args, **kwargs):
        seen.append(schema)
        return original(schema, *args, **kwargs)

    monkeypatch.setattr(jsonschema.Draft202012Validator, "check_schema", counting)
    return seen


def start(*services):
    return PluginHost(extra_plugins=[("forms", plugin(*services))], use_entry_points=False)


def test_a_sound_form_is_checked_at_the_first_start_only(data_dir, checks):
    assert start(svc(FORM)).registry.get("test.forms.one") is not None
    assert checks == [FORM]
    assert (data_dir / CHECKED_FORMS_FILE).exists()
    again = start(svc(FORM))
    assert again.registry.get("test.forms.one") is not None and not again.registry.refusals
    assert checks == [FORM]


def test_a_changed_form_is_checked_again_and_a_bad_one_at_every_start(data_dir, checks):
    start(svc(FORM))
    changed = {**FORM, "properties": {**FORM["properties"], "y": {"type": "integer", "title": "Y", "x-title-hi": "वाई"}}}
    start(svc(changed))
    assert checks == [FORM, changed]
    for _ in range(2):
        host = start(svc(BAD_FORM))
        assert host.registry.get("test.forms.one") is None
        refusal = host.registry.refusals[0]
        assert refusal.field == "form" and "not a valid JSON Schema at properties/x/type" in refusal.message
    assert checks[2:] == [BAD_FORM, BAD_FORM]


def test_a_form_that_is_not_plain_json_is_always_checked(data_dir, checks):
    # a tuple is written like a list but jsonschema refuses it where an array is needed: no digest may stand for both
    with_tuple = {**FORM, "required": ("x",)}
    start(svc(FORM))
    host = start(svc(with_tuple))
    assert checks == [FORM, with_tuple]
    assert host.registry.refusals and host.registry.refusals[0].field == "form"


def test_a_damaged_file_or_another_jsonschema_version_means_checking_everything(data_dir, checks):
    path = data_dir / CHECKED_FORMS_FILE
    start(svc(FORM))
    path.write_text("{not json")
    start(svc(FORM))
    kept = json.loads(path.read_text())
    assert kept["forms"] and kept["jsonschema"] == version("jsonschema")
    path.write_text(json.dumps({**kept, "jsonschema": "0.0.1"}))
    start(svc(FORM))
    assert checks == [FORM, FORM, FORM]


def test_without_a_data_directory_every_form_is_checked_and_none_is_made(tmp_path, monkeypatch, checks):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("EMITRA_DATA_DIR", str(missing))
    start(svc(FORM))
    start(svc(FORM))
    assert checks == [FORM, FORM]
    assert not missing.exists()


def test_a_form_whose_ref_points_nowhere_is_refused_at_every_start_even_if_once_found_sound(data_dir, checks):
    """A file written before references were resolved at load may vouch for such a form: the
    references are resolved at every start all the same ("Get amount due" would fail on them)."""
    from emitra.core.plugins import _digest

    dangling = {"type": "object", "properties": {"x": {"$ref": "#/$defs/account_no", "title": "X", "x-title-hi": "एक्स"}}}
    (data_dir / CHECKED_FORMS_FILE).write_text(json.dumps({"jsonschema": version("jsonschema"), "forms": [_digest(dangling)]}))
    for _ in range(2):
        host = start(svc(dangling))
        assert host.registry.get("test.forms.one") is None
        (refusal,) = host.registry.refusals
        assert refusal.field == "form" and "at properties/x/$ref: $ref '#/$defs/account_no' points to nothing" in refusal.message
    sound = {**dangling, "$defs": {"account_no": {"type": "string", "pattern": "^[0-9]{6}$"}}}
    assert start(svc(sound)).registry.get("test.forms.one") is not None

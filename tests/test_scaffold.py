"""The partner kit: `emitra plugin new` makes a package that, once pip-installed, works with no
change to the core; `emitra plugins check` reports every problem of a plugin at once."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def sh(*args, cwd=None, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_a_scaffolded_plugin_installs_lists_and_passes_its_own_tests(tmp_path):
    made = sh(BIN / "emitra", "plugin", "new", "bharat_gas", "--dir", tmp_path, "--title", "Bharat Gas cylinder booking")
    assert made.returncode == 0, made.stderr
    assert "first: write the Hindi title" in made.stdout  # the command says what the check will refuse
    project = tmp_path / "emitra-bharat-gas"
    assert (project / "pyproject.toml").read_text().count('bharat_gas = "emitra_bharat_gas"') == 1
    # the Hindi title is a marked placeholder, refused until the partner writes it
    untranslated = sh(BIN / "emitra", "plugins", "check", project)
    assert untranslated.returncode != 0
    assert "service 'pvt.bharat_gas.payment': title_hi: 'TODO: the Hindi title of Bharat Gas cylinder booking, in Devanagari' is not Hindi" in untranslated.stdout
    module = project / "emitra_bharat_gas.py"
    module.write_text(module.read_text().replace('TITLE_HI = "TODO: the Hindi title of Bharat Gas cylinder booking, in Devanagari"',
                                                 'TITLE_HI = "भारत गैस सिलेंडर बुकिंग"'))
    assert sh(BIN / "emitra", "plugins", "check", project).stdout.strip() == "no problems found"
    site = tmp_path / "site"
    installed = sh(BIN / "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", site, project)
    assert installed.returncode == 0, installed.stderr
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}  # the emitra under test first
    listed = json.loads(sh(BIN / "emitra", "plugins", "--json", env_extra=env).stdout)
    service = next(s for s in listed if s["code"] == "pvt.bharat_gas.payment")
    assert (service["plugin"], service["payer"], service["fee_paise"], service["domain"]) == ("bharat_gas", "partner", 500, "private")
    # once installed, checking the project's own module (or the project) is no clash with the installed copy of itself
    for path in (module, project):
        assert sh(BIN / "emitra", "plugins", "check", path, env_extra=env).stdout.strip() == "no problems found", path
    # another plugin declaring the installed plugin's code: the check says neither would load
    copycat = tmp_path / "copycat.py"
    copycat.write_text(module.read_text())
    clash = sh(BIN / "emitra", "plugins", "check", copycat, env_extra=env)
    assert clash.returncode != 0
    assert ("plugin 'copycat', service 'pvt.bharat_gas.payment': namespace: 'pvt.bharat_gas.payment' is outside the namespace "
            "plugin 'copycat' may declare codes in, 'pvt.copycat': 'pvt.bharat_gas' is another provider's") in clash.stdout
    own_tests = sh(BIN / "pytest", "-q", "-p", "no:cacheprovider", cwd=project, env_extra={**env, "EMITRA_TEST_DATABASE_URL": ""})
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
    assert "4 passed" in own_tests.stdout


def test_the_scaffold_pins_emitra_to_the_releases_of_its_plugin_api_and_emitra_refuses_another_api(tmp_path):
    """The scaffold's pyproject said dependencies = ["emitra"]: the plugin installed against any emitra,
    one whose hooks it does not fit included. It now requires this emitra's releases, which pip
    records in the installed metadata, and the module says its plugin API, which emitra checks."""
    from emitra import __version__
    from emitra.core import hookspecs

    made = sh(BIN / "emitra", "plugin", "new", "gas_pin", "--dir", tmp_path, "--title-hi", "गैस भुगतान")
    assert made.returncode == 0, made.stderr
    project = tmp_path / "emitra-gas-pin"
    upper = "0." + str(int(__version__.split(".")[1]) + 1) if __version__.startswith("0.") else str(int(__version__.split(".")[0]) + 1)
    assert f'dependencies = ["emitra>={__version__},<{upper}"]' in (project / "pyproject.toml").read_text()
    assert f"\n__emitra_plugin_api__ = {hookspecs.PLUGIN_API}\n" in (project / "emitra_gas_pin.py").read_text()
    site = tmp_path / "site"
    installed = sh(BIN / "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", site, project)
    assert installed.returncode == 0, installed.stderr
    metadata = next(site.glob("emitra_gas_pin-*.dist-info")) / "METADATA"
    requires = [line.split(":", 1)[1].strip() for line in metadata.read_text().splitlines() if line.startswith("Requires-Dist:")]
    (emitra,) = [r for r in requires if r.startswith("emitra")]
    assert sorted(emitra.removeprefix("emitra").replace(" ", "").split(",")) == [f"<{upper}", f">={__version__}"], requires
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    assert "pvt.gas_pin.payment" in sh(BIN / "emitra", "plugins", env_extra=env).stdout
    # a release of the plugin written for another plugin API: refused at load, naming the plugin and both versions
    module = site / "emitra_gas_pin.py"
    module.write_text(module.read_text().replace(f"__emitra_plugin_api__ = {hookspecs.PLUGIN_API}",
                                                 f"__emitra_plugin_api__ = {hookspecs.PLUGIN_API + 1}"))
    # its bytecode (pip's, or the listing's above) goes: the module was rewritten with its size unchanged,
    # maybe within the second it was compiled, and a .pyc is checked by the source's time and size alone
    shutil.rmtree(site / "__pycache__", ignore_errors=True)
    listed = sh(BIN / "emitra", "plugins", env_extra=env)
    assert "pvt.gas_pin.payment" not in listed.stdout
    assert (f"REFUSED plugin 'gas_pin' refused: plugin_api: the plugin is written for plugin API {hookspecs.PLUGIN_API + 1}, "
            f"but emitra {__version__} has plugin API {hookspecs.PLUGIN_API}") in listed.stderr
    checked = sh(BIN / "emitra", "plugins", "check", module, env_extra=env)
    assert checked.returncode != 0 and "plugin 'gas_pin': plugin_api: the plugin is written for plugin API" in checked.stdout


def test_plugins_check_names_a_code_in_another_providers_namespace_and_the_namespace_to_use(tmp_path):
    path = tmp_path / "bharat_gas.py"
    path.write_text(BROKEN.replace('"Lottery Ticket"', '"pvt.hp_gas.refill"').replace('title_hi="Ticket"', 'title_hi="टिकट"')
                    .replace('"galactic"', "Domain.PRIVATE").replace("fee_paise=-5", "fee_paise=5").replace(
                        '{"n": {"type": "string"}}', '{"n": {"type": "string", "title": "N", "x-title-hi": "एन"}}'))
    out = sh(BIN / "emitra", "plugins", "check", path)
    assert out.returncode != 0
    assert ("plugin 'bharat_gas', service 'pvt.hp_gas.refill': namespace: 'pvt.hp_gas.refill' is outside the namespace plugin "
            "'bharat_gas' may declare codes in, 'pvt.bharat_gas': 'pvt.hp_gas' is another provider's") in out.stdout
    allowed = sh(BIN / "emitra", "plugins", "check", path, env_extra={"EMITRA_PLUGIN_NAMESPACES": "bharat_gas=pvt.hp_gas"})
    assert "pvt.hp_gas.refill" not in allowed.stdout, allowed.stdout


def test_scaffolding_refuses_bad_names_and_existing_folders(tmp_path):
    bad = sh(BIN / "emitra", "plugin", "new", "Bad-Name", "--dir", tmp_path)
    assert bad.returncode != 0 and "lowercase letters" in bad.stderr
    assert sh(BIN / "emitra", "plugin", "new", "ok_name", "--dir", tmp_path).returncode == 0
    again = sh(BIN / "emitra", "plugin", "new", "ok_name", "--dir", tmp_path)
    assert again.returncode != 0 and "exists already" in again.stderr


BROKEN = '''
from emitra.core import Category, Domain, FeeRule, Payer, Service, hookimpl

@hookimpl
def emitra_register_services(register):
    register(Service(code="Lottery Ticket", title_en="Ticket", title_hi="Ticket", provider="X", domain="galactic",
                     category=Category.PRIVATE_SERVICE, form={"type": "object", "properties": {"n": {"type": "string"}}},
                     fee=FeeRule(payer=Payer.CITIZEN, fee_paise=-5)))
    register(Service(code="gov.rj.jvvnl.bill", title_en="Clash", title_hi="टकराव", provider="X", domain=Domain.PRIVATE,
                     category=Category.BILL, form={"type": "object", "properties": {}}, fee=FeeRule(payer=Payer.PARTNER)))
'''


def test_plugins_check_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "broken_plugin.py"
    path.write_text(BROKEN)
    out = sh(BIN / "emitra", "plugins", "check", path)
    assert out.returncode != 0
    lines = out.stdout.splitlines()
    for fragment in ("'Lottery Ticket': code:", "title_hi:", "domain: 'galactic'", "fee.fee_paise: -5 is negative",
                     "form.properties.n: needs an English",
                     "'gov.rj.jvvnl.bill': code: 'gov.rj.jvvnl.bill' is the code of a service built into emitra (plugin 'electricity'), "
                     "which keeps it; a plugin's codes must be its own: begin them with your domain and your own name, "
                     "e.g. 'pvt.broken_plugin.bill'"):
        assert any(fragment in line for line in lines), (fragment, lines)
    assert "problem found" in out.stderr or "problems found" in out.stderr


def test_a_hindi_title_given_to_the_scaffold_passes_the_check_at_once(tmp_path):
    made = sh(BIN / "emitra", "plugin", "new", "jal_tanker", "--dir", tmp_path, "--title", "Water tanker booking",
              "--title-hi", "पानी टैंकर बुकिंग", "--provider", "Jaipur Jal Seva", "--provider-hi", "जयपुर जल सेवा")
    assert made.returncode == 0 and "first:" not in made.stdout, made.stdout + made.stderr
    assert sh(BIN / "emitra", "plugins", "check", tmp_path / "emitra-jal-tanker").stdout.strip() == "no problems found"
    module = (tmp_path / "emitra-jal-tanker" / "emitra_jal_tanker.py").read_text()
    # the partner is named in Hindi on Hindi pages (before, the scaffold wrote the title as provider and no Hindi name)
    assert 'provider="Jaipur Jal Seva",' in module and 'provider_hi="जयपुर जल सेवा",' in module
    bare = sh(BIN / "emitra", "plugin", "new", "jal_tanker2", "--dir", tmp_path)
    assert bare.returncode == 0 and "# provider_hi=" in (tmp_path / "emitra-jal-tanker2" / "emitra_jal_tanker2.py").read_text()


TAKER = '''
from emitra.core import Category, Domain, FeeRule, Payer, Service, hookimpl
from emitra.core.payments import PaymentMethod

@hookimpl
def emitra_register_services(register):
    register(Service(code="gov.rj.jvvnl.bill", title_en="Gas cylinder booking", title_hi="गैस सिलेंडर बुकिंग", provider="Bharat Gas",
                     domain=Domain.PRIVATE, category=Category.BILL,
                     form={"type": "object", "properties": {"n": {"type": "string", "title": "N", "x-title-hi": "एन"}}},
                     fee=FeeRule(payer=Payer.PARTNER)))

@hookimpl
def emitra_register_payment_methods(register):
    register(PaymentMethod(code="cash", title_en="Cash to Bharat Gas", title_hi="भारत गैस को नकद", immediate=True))
'''


def test_plugins_check_reports_a_builtin_code_that_emitra_plugins_leaves_out(tmp_path):
    """The built-ins' codes are reserved whether or not they are loaded: the check says so with
    EMITRA_PLUGINS leaving 'electricity' and 'pay_cash' out, as the loader will refuse them."""
    path = tmp_path / "bharat_gas.py"
    path.write_text(TAKER)
    out = sh(BIN / "emitra", "plugins", "check", path, env_extra={"EMITRA_PLUGINS": "phed_water"})
    assert out.returncode != 0 and "2 problems found" in out.stderr, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        "plugin 'bharat_gas', service 'gov.rj.jvvnl.bill': code: 'gov.rj.jvvnl.bill' is the code of a service built into emitra "
        "(plugin 'electricity'), reserved to it even when it is not loaded (EMITRA_PLUGINS leaves it out); a plugin's codes must be "
        "its own: begin them with your domain and your own name, e.g. 'pvt.bharat_gas.bill'",
        "plugin 'bharat_gas', payment method 'cash': code: 'cash' is the code of a payment method built into emitra (plugin "
        "'pay_cash'), reserved to it even when it is not loaded (EMITRA_PLUGINS leaves it out); a plugin's codes must be its own: "
        "begin them with your domain and your own name, e.g. 'bharat_gas_cash'"]
    loaded = sh(BIN / "emitra", "plugins", "check", path)  # every plugin loaded: the built-ins keep their codes
    assert "(plugin 'electricity'), which keeps it" in loaded.stdout and "(plugin 'pay_cash'), which keeps it" in loaded.stdout


def test_plugins_check_reports_an_entry_point_named_like_a_builtin(tmp_path):
    """The loader refuses a partner's entry point named like a built-in: so does the check, and the
    built-in's own module passes it."""
    path = tmp_path / "electricity.py"
    path.write_text(TAKER.replace("gov.rj.jvvnl.bill", "pvt.electricity.refill").replace('code="cash"', 'code="bharat_gas_wallet"'))
    out = sh(BIN / "emitra", "plugins", "check", path)
    assert out.stdout.splitlines() == ["plugin 'electricity': name: 'electricity' is the name of a plugin built into emitra; a partner's "
                                       "plugin is not loaded under it: give your entry point a name of your own"], out.stdout + out.stderr
    from emitra.plugins.government import electricity

    assert sh(BIN / "emitra", "plugins", "check", electricity.__file__).stdout.strip() == "no problems found"


def test_plugins_check_names_the_line_of_the_plugin_a_mistake_raised_at_and_the_members_it_may_use(tmp_path):
    """``Payer.SOCIETY`` was reported as ``AttributeError: SOCIETY``: neither the choices nor where."""
    path = tmp_path / "courier.py"
    path.write_text(
        "from emitra.core import Category, Domain, FeeRule, Payer, Service, hookimpl\n"
        "\n"
        "@hookimpl\n"
        "def emitra_register_services(register):\n"
        "    fee = FeeRule(payer=Payer.SOCIETY)\n")
    out = sh(BIN / "emitra", "plugins", "check", path)
    assert out.returncode != 0
    assert out.stdout.splitlines() == [
        "plugin 'courier': emitra_register_services raised AttributeError: Payer has no member 'SOCIETY'; use one of "
        f"Payer.CITIZEN, Payer.DEPARTMENT, Payer.PARTNER (at {path}, line 5)"]


def _check_one_line(tmp_path, name, hook_source):
    """`emitra plugins check` of a module ``name`` importing hookimpl and holding ``hook_source``: its one problem line."""
    (tmp_path / f"{name}.py").write_text("from emitra.core import hookimpl\n\n" + hook_source)
    out = sh(BIN / "emitra", "plugins", "check", tmp_path / f"{name}.py")
    assert out.returncode != 0
    (line,) = out.stdout.splitlines()
    return line


def test_plugins_check_reports_an_async_hook_and_services_returned_instead_of_registered(tmp_path):
    """Both loaded with no service and no word: the coroutine never ran; the returned list was dropped."""
    assert _check_one_line(tmp_path, "eager", "@hookimpl\nasync def emitra_register_services(register):\n    pass\n") == (
        "plugin 'eager': hooks: emitra_register_services is an async def; emitra calls it synchronously, so its body "
        "would never run: write it as a plain def")
    assert _check_one_line(tmp_path, "returner", "@hookimpl\ndef emitra_register_services(register):\n    return []\n") == (
        "plugin 'returner': emitra_register_services: it returned a list instead of registering; call "
        "register(service) once for each service (the hook returns nothing)")


def test_plugins_check_reports_a_hook_without_hookimpl_and_one_taking_the_wrong_argument(tmp_path):
    """The first said only "no @hookimpl emitra_register_services: it registers no service" (the
    function is right there), the second was pluggy's three lines naming no fix."""
    assert _check_one_line(tmp_path, "bare", "def emitra_register_services(register):\n    pass\n") == (
        "plugin 'bare': hooks: emitra_register_services is not marked @hookimpl, so emitra would never call it: put "
        "@hookimpl on the line above 'def' (from emitra.core import hookimpl; a pluggy HookimplMarker of another name "
        "is not emitra's)")
    assert _check_one_line(tmp_path, "renamed", "@hookimpl\ndef emitra_register_services(registry):\n    pass\n") == (
        "plugin 'renamed': hooks: emitra_register_services takes 'registry', which emitra does not pass; emitra calls "
        "it by keyword with register only: write def emitra_register_services(register)")


def test_plugins_check_of_a_project_reports_every_entry_point_when_one_cannot_be_imported(tmp_path):
    """A project with several entry points: one that fails to import is named as the loader names it
    (plugin, import), and the others' problems are still listed (before, the whole project was
    "cannot load" and the misspelled hook, the float fee went unreported)."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "emitra-gas"\nversion = "0.1.0"\n'
                                             '[project.entry-points.emitra]\ngas_broken = "gas_broken"\ngas_typo = "gas_typo"\n'
                                             'gas_float = "gas_float"\n')
    (tmp_path / "gas_broken.py").write_text("import emitra_nonexistent_dep\n")
    (tmp_path / "gas_typo.py").write_text("from emitra.core import hookimpl\n\n@hookimpl\ndef emitra_register_service(register):\n    pass\n")
    (tmp_path / "gas_float.py").write_text(TAKER.replace("gov.rj.jvvnl.bill", "pvt.gas_float.refill").replace('code="cash"', 'code="gas_float_wallet"')
                                           .replace("fee=FeeRule(payer=Payer.PARTNER)", "fee=FeeRule(payer=Payer.PARTNER, fee_paise=5.0)"))
    out = sh(BIN / "emitra", "plugins", "check", tmp_path)
    assert out.returncode != 0
    assert out.stdout.splitlines() == [
        "plugin 'gas_broken': import: ModuleNotFoundError: No module named 'emitra_nonexistent_dep' "
        f"(at {tmp_path / 'gas_broken.py'}, line 1)",
        "plugin 'gas_typo': hooks: unknown hook 'emitra_register_service': emitra has no hook of that name, so it would never be "
        "called; rename the function to 'emitra_register_services' (the hooks are emitra_register_payment_methods, "
        "emitra_register_policy_rules, emitra_register_services, emitra_send_notification, emitra_transaction_recorded)",
        "plugin 'gas_float', service 'pvt.gas_float.refill': fee.fee_paise: 5.0 is a float, not whole paise; an amount is an int "
        "(Rs 3.95 is 395); if you meant Rs 5.00, write fee_paise=500"], out.stdout + out.stderr
    assert "3 problems found" in out.stderr


def _registered(project, module_name):
    """The services the scaffolded module ``module_name`` of ``project`` registers, imported as pip would."""
    import importlib

    sys.path.insert(0, str(project))
    try:
        module = importlib.import_module(module_name)
    finally:
        sys.path.remove(str(project))
    services = []
    module.emitra_register_services(register=services.append)
    return services


def test_the_scaffold_writes_only_what_its_own_check_accepts(tmp_path):
    """A title with a quote or a backslash is escaped (before: a pyproject.toml that did not parse and a
    module that did not import); a built-in plugin's name is refused before anything is written
    (before: a package whose entry point emitra refuses as a whole)."""
    made = sh(BIN / "emitra", "plugin", "new", "indane", "--dir", tmp_path, "--title", 'Indane "Xtra" cylinder booking',
              "--title-hi", 'इंडेन "एक्स्ट्रा" सिलेंडर बुकिंग', "--provider", "Indian Oil \\ Indane")
    assert made.returncode == 0, made.stderr
    project = tmp_path / "emitra-indane"
    assert sh(BIN / "emitra", "plugins", "check", project).stdout.strip() == "no problems found"
    services = _registered(project, "emitra_indane")
    assert (services[0].title_en, services[0].title_hi, services[0].provider) == (
        'Indane "Xtra" cylinder booking', 'इंडेन "एक्स्ट्रा" सिलेंडर बुकिंग', "Indian Oil \\ Indane")
    for builtin in ("electricity", "pay_cash"):
        taken = sh(BIN / "emitra", "plugin", "new", builtin, "--dir", tmp_path)
        assert taken.returncode != 0 and f"'{builtin}' is the name of a plugin built into emitra" in taken.stderr, taken.stderr
        assert "choose a name of your own" in taken.stderr
        assert not (tmp_path / f"emitra-{builtin.replace('_', '-')}").exists()


PARTNER_MISTAKES = '''
from emitra.core import Category, Domain, FeeRule, Payer, Service, hookimpl

FORM = {"type": "object", "properties": {"n": {"type": "string", "title": "Number", "x-title-hi": "संख्या", "pattern": "^[0-9{8}$"}}}

@hookimpl
def emitra_register_services(register):
    register(Service(code="pvt.partner_mistakes.gas", title_en="Gas booking", provider="Gas Co", domain=Domain.PRIVATE,
                     category=Category.PRIVATE_SERVICE, form=FORM))
    register(Service(code="pvt.partner_mistakes.refill", title_en="Gas\\nrefill", title_hi="गैस रिफिल", provider="Gas Co",
                     domain=Domain.PRIVATE, category=Category.PRIVATE_SERVICE, form=FORM, fee=FeeRule(payer=Payer.PARTNER)))
'''


def test_plugins_check_explains_a_bad_pattern_a_title_on_two_lines_and_a_service_missing_its_hindi_title_and_fee(tmp_path):
    path = tmp_path / "partner_mistakes.py"
    path.write_text(PARTNER_MISTAKES)
    out = sh(BIN / "emitra", "plugins", "check", path)
    assert out.returncode != 0
    text = out.stdout
    # was "plugin 'partner_mistakes': emitra_register_services raised TypeError: Service.__init__() missing 2 required ..."
    assert "TypeError" not in text
    assert "service 'pvt.partner_mistakes.gas': title_hi, fee: not given to Service(...): give title_hi=... (" in text
    # the other service is checked too: its own mistakes are named, each with its fix
    assert ("service 'pvt.partner_mistakes.refill': title_en: 'Gas\\nrefill' has a control character ('\\n', at position 3); "
            "write it on one line") in text
    # was "'^[0-9{8}$' is not a 'regex'"
    assert ("form: not a valid JSON Schema at properties/n/pattern: '^[0-9{8}$' is not a regular expression: "
            "unterminated character set at position 1 ('['); close each '[' with ']'") in text
    assert "e.g. '^[0-9]{8}$' for exactly eight digits" in text


def _scaffold(tmp_path, name="bharat_gas"):
    made = sh(BIN / "emitra", "plugin", "new", name, "--dir", tmp_path, "--title", "Bharat Gas cylinder booking",
              "--title-hi", "भारत गैस सिलेंडर बुकिंग")
    assert made.returncode == 0, made.stderr
    return tmp_path / f"emitra-{name.replace('_', '-')}"


def test_plugins_check_names_the_line_and_column_of_a_pyproject_that_does_not_parse_and_the_fix(tmp_path):
    """Was: "cannot load: TOMLDecodeError: Illegal character '\\n' (at line 8, column 69) (at
    .../lib/python3.11/tomllib/_parser.py, line 580)": a place in Python's parser, no fix."""
    project = _scaffold(tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('description = "An emitra service plugin: Bharat Gas cylinder booking"',
                                                       'description = "An emitra service plugin: Bharat Gas cylinder booking'))
    expected = (f"{pyproject}, line 8, column 69: a text is not closed on its line (Illegal character '\\n'); end it with the "
                "quote it begins with, e.g. description = \"Bharat Gas cylinder booking\". Line 8 reads: description = \"An emitra "
                "service plugin: Bharat Gas cylinder booking")
    out = sh(BIN / "emitra", "plugins", "check", project)
    assert out.returncode != 0 and out.stdout.splitlines() == [expected.replace(str(pyproject), str(project / "pyproject.toml"))]
    # the module of a project whose pyproject.toml does not parse is checked, and the file named all the same (pip would not install it)
    module = sh(BIN / "emitra", "plugins", "check", project / "emitra_bharat_gas.py")
    assert module.returncode != 0 and module.stdout.splitlines() == [expected], module.stdout
    # text not in quotes, a value after another
    pyproject.write_text('[project]\nname = "emitra-bharat-gas"\ndescription = Bharat Gas cylinder booking\n')
    out = sh(BIN / "emitra", "plugins", "check", project)
    assert out.stdout.startswith(f"{project / 'pyproject.toml'}, line 3, column 15: what follows '=' is not a TOML value (Invalid "
                                 "value); write text between double quotes, e.g. description = \"Bharat Gas cylinder booking\"")
    pyproject.write_text('[project]\nname = "emitra-bharat-gas" version = "0.1.0"\n')
    out = sh(BIN / "emitra", "plugins", "check", project)
    assert "line 2, column 28: something follows the value on its line" in out.stdout
    assert "tomllib" not in out.stdout + out.stderr and "TOMLDecodeError" not in out.stdout


def test_plugins_check_points_at_the_line_where_an_unclosed_list_opens_naming_its_key(tmp_path):
    """Was "line 4, column 1: a list is not closed (Unclosed array) ... Line 4 reads: [tool.emitra]":
    the next table's line, which is right, pointed at instead of the list left open (decision 135)."""
    project = _scaffold(tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[project]\nname = "emitra-bharat-gas"\nkeywords = ["emitra", "gas"\n\n[tool.emitra]\nx = 1\n')
    out = sh(BIN / "emitra", "plugins", "check", project)
    assert out.returncode != 0 and out.stdout.splitlines() == [
        f"{pyproject}, line 3, column 12: the list 'keywords' opened here is not closed (Unclosed array: reached line 5, column 1 "
        "without its ]); close the list with ] after its last item, its items separated by commas, e.g. keywords = [\"a\", \"b\"]. "
        'Line 3 reads: keywords = ["emitra", "gas"'], out.stdout
    # over several lines, and at the end of the file
    pyproject.write_text('[project]\nname = "emitra-bharat-gas"\ndependencies = [\n  "emitra",\n  "requests"\n')
    out = sh(BIN / "emitra", "plugins", "check", project)
    assert out.stdout.startswith(f"{pyproject}, line 3, column 16: the list 'dependencies' opened here is not closed (Unclosed "
                                 "array: reached the end of the file without its ]); close the list with ]"), out.stdout
    # the list left open is the innermost one, not a list closed before it nor the one around it
    pyproject.write_text('[project]\nkeywords = ["gas]", "cylinder"]  # [\nauthors = [{ name = "A", roles = ["x" }]\n')
    out = sh(BIN / "emitra", "plugins", "check", project)
    assert out.stdout.startswith(f"{pyproject}, line 3, column 34: the list 'roles' opened here is not closed (Unclosed array: "
                                 "reached line 3, column 39 without its ])"), out.stdout


FORM_SHARED = '''
from emitra.core import Category, Domain, FeeRule, Payer, Service, hookimpl

FORM = {"type": "object", "properties": {"n": {"type": "string", "title": "Number"}}}

@hookimpl
def emitra_register_services(register):
    for code, title, title_hi in (("pvt.gas.booking", "Gas booking", "गैस बुकिंग"), ("pvt.gas.refill", "Gas refill", "गैस रिफिल"),
                                  ("pvt.gas.transfer", "Gas transfer", "Gas transfer")):
        register(Service(code=code, title_en=title, title_hi=title_hi, provider="Gas Co", domain=Domain.PRIVATE,
                         category=Category.PRIVATE_SERVICE, form=FORM, fee=FeeRule(payer=Payer.PARTNER)))
'''


def test_a_form_problem_services_share_is_listed_once_naming_every_service(tmp_path):
    """Was one identical line per service: three services of one form, three times its problem."""
    path = tmp_path / "gas.py"
    path.write_text(FORM_SHARED)
    out = sh(BIN / "emitra", "plugins", "check", path)
    assert out.stdout.splitlines() == [
        "plugin 'gas', services 'pvt.gas.booking', 'pvt.gas.refill', 'pvt.gas.transfer': form.properties.n: needs an English "
        "\"title\" and a Hindi \"x-title-hi\" (the operator sees one of them)",
        "plugin 'gas', service 'pvt.gas.transfer': title_hi: 'Gas transfer' is not Hindi; write the Hindi title in Devanagari script "
        "(a Latin abbreviation may stand in it, e.g. 'बिजली बिल – JVVNL')"], out.stdout
    assert "2 problems found" in out.stderr


def test_plugins_check_takes_the_pyproject_for_its_project_and_says_what_to_give_otherwise(tmp_path):
    """Was "cannot load: AttributeError: 'NoneType' object has no attribute 'loader'" for the
    pyproject.toml or the README, and a FileNotFoundError for the tests folder."""
    project = _scaffold(tmp_path)
    assert sh(BIN / "emitra", "plugins", "check", project / "pyproject.toml").stdout.strip() == "no problems found"
    readme = sh(BIN / "emitra", "plugins", "check", project / "README.md")
    assert readme.stdout.splitlines() == [f"{project / 'README.md'}: not a plugin; give its module (a .py file, e.g. "
                                          "emitra_bharat_gas.py) or its project folder (the one holding pyproject.toml)"]
    tests = sh(BIN / "emitra", "plugins", "check", project / "tests")
    assert tests.stdout.splitlines() == [f"{project / 'tests'}: neither a .py file nor a folder with a pyproject.toml; its project "
                                         f"is {project}: check that folder"]
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[project.entry-points.emitra]", "[project.entry_points.emitra]"))
    spelt = sh(BIN / "emitra", "plugins", "check", project)
    assert spelt.stdout.strip().endswith("the table is spelt [project.entry-points.emitra], with a hyphen, not "
                                         "[project.entry_points.emitra]"), spelt.stdout


def test_an_entry_point_naming_a_module_or_an_object_the_project_lacks_is_named_in_the_partners_words(tmp_path):
    """A module misspelt in the entry point was located in Python's importlib; a ':object' after it was
    not looked at, so the check passed what the loader refuses."""
    project = _scaffold(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace('bharat_gas = "emitra_bharat_gas"', 'bharat_gas = "emitra_bharat_gaz"'))
    out = sh(BIN / "emitra", "plugins", "check", project)
    assert out.stdout.splitlines() == [
        f"plugin 'bharat_gas': import: the entry point bharat_gas = \"emitra_bharat_gaz\" of {pyproject} names the module "
        f"'emitra_bharat_gaz', which the project does not have (no emitra_bharat_gaz.py nor emitra_bharat_gaz/__init__.py in "
        f"{project / 'src'} or {project}); write the module's name as its file is called, or rename the file"], out.stdout
    assert "importlib" not in out.stdout
    pyproject.write_text(text.replace('bharat_gas = "emitra_bharat_gas"', 'bharat_gas = "emitra_bharat_gas:plugin"'))
    out = sh(BIN / "emitra", "plugins", "check", project)
    assert out.returncode != 0 and out.stdout.startswith(
        f"plugin 'bharat_gas': import: the entry point bharat_gas = \"emitra_bharat_gas:plugin\" of {pyproject} names 'plugin', "
        "which module 'emitra_bharat_gas' does not have"), out.stdout


def test_the_scaffolds_receipt_names_the_account_paid_for(tmp_path):
    """The receipt printed only the account holder: the citizen's receipt did not say which account was paid."""
    import asyncio

    from emitra.core import QuoteContext

    project = _scaffold(tmp_path, "gas_receipt")
    services = _registered(project, "emitra_gas_receipt")
    quote = asyncio.run(services[0].quote({"account": "100001"}, QuoteContext(counter_code="JP-LM-001", district_code="JP", lsp_id=1)))
    assert {"label_en": "Account number", "label_hi": "खाता संख्या", "value": "100001"} in quote.details
    assert "Account number" in (project / "tests" / "test_gas_receipt.py").read_text()  # the scaffold's own test checks the receipt


def test_plugins_new_and_plugin_check_are_the_commands_a_partner_types_by_analogy(tmp_path):
    """`emitra plugins new` was "No such command 'new'" beside `emitra plugins check`, and
    `emitra plugin check` beside `emitra plugin new`."""
    made = sh(BIN / "emitra", "plugins", "new", "gas_alias", "--dir", tmp_path, "--title", "Gas", "--title-hi", "गैस")
    assert made.returncode == 0, made.stderr
    checked = sh(BIN / "emitra", "plugin", "check", tmp_path / "emitra-gas-alias")
    assert checked.returncode == 0 and checked.stdout.strip() == "no problems found", checked.stdout + checked.stderr

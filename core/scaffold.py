"""`emitra plugin new NAME`: an installable service-plugin package, and `emitra plugins check PATH`."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from emitra.core import builtin_codes, hookspecs
from emitra.core.clock import today
from emitra.core.plugins import (CODE_PATTERN, DeclarationError, _shipped_with_emitra, async_hook_problems, clash_message, clashes,
                                 declaration_problems, failure, get_host, hook_problem, own_code,
                                 returned_problem)

NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
#: what the scaffold writes for the Hindi title: no Hindi, so the declaration check refuses it until translated
TITLE_HI_PLACEHOLDER = "TODO: the Hindi title of {title}, in Devanagari"

PYPROJECT = '''[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "emitra-{dash}"
version = "0.1.0"
description = "An emitra service plugin: {title}"
requires-python = ">=3.11"
dependencies = ["emitra"]

[project.optional-dependencies]
test = ["pytest"]

# This line is what makes emitra find the plugin: the entry-point group "emitra".
[project.entry-points.emitra]
{name} = "emitra_{name}"

[tool.setuptools]
py-modules = ["emitra_{name}"]
'''

MODULE = '''"""{title}: an emitra service plugin.

Replace the sandbox below with calls to the real system of the department or partner.
"""

from __future__ import annotations

import hashlib
from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl

# The service's name in Hindi, in Devanagari script, as the counter shows it to the operator and
# prints it on the receipt. Write it here: until you do, emitra refuses the service (title_hi).
TITLE_HI = "{title_hi}"

# A deterministic stand-in for the partner's system: account -> (holder, amount due in paise).
SANDBOX = {{
    "100001": ("Ramesh Kumar Sharma", 25_000),
    "100002": ("Sunita Devi", 7_550),
}}

FORM = {{
    "type": "object",
    "title": "{title}",
    "x-title-hi": TITLE_HI,
    "properties": {{
        "account": {{
            "type": "string",
            "title": "Account number",
            "x-title-hi": "खाता संख्या",
            "pattern": "^[0-9]{{6}}$",
            "x-error-en": "The account number is 6 digits.",
            "x-error-hi": "खाता संख्या 6 अंकों की होती है।",
            "x-inputmode": "numeric",
        }},
    }},
    "required": ["account"],
    "additionalProperties": False,
}}


class {cls}(Service):
    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        try:
            holder, due = SANDBOX[data["account"]]
        except KeyError:
            raise FieldError("account", "No such account; check the number.", "ऐसा कोई खाता नहीं है; संख्या जाँचें।") from None
        return Quote(principal_paise=due, reference=data["account"],
                     details=[{{"label_en": "Account holder", "label_hi": "खाताधारक", "value": holder}}])

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return "ACK-" + hashlib.sha256(f"{{request_id}}:{{data['account']}}".encode()).hexdigest()[:10].upper()


@hookimpl
def emitra_register_services(register):
    register({cls}(
        code="pvt.{name}.payment",
        title_en="{title}",
        title_hi=TITLE_HI,
        provider="{provider}",
        {provider_hi_line}
        domain=Domain.PRIVATE,
        category=Category.PRIVATE_SERVICE,
        form=FORM,
        fee=FeeRule(payer=Payer.PARTNER, fee_paise=500),  # the partner pays Rs 5 a transaction
        workflow=Workflow.PAYMENT,
        description_en="Pay the amount due on an account.",
        description_hi="खाते पर देय राशि का भुगतान।",
    ))
'''

TEST = '''"""Tests of the {name} plugin, with the fixtures emitra ships (pytest finds them by itself)."""

import pytest

from emitra.core import FieldError
from emitra.core.forms import FormErrors, validate

import emitra_{name}

pytestmark = pytest.mark.anyio


def test_the_plugin_is_discovered_and_its_declaration_is_sound(emitra_plugins):
    service = emitra_plugins.registry.get("pvt.{name}.payment")
    assert service is not None, emitra_plugins.registry.refusals
    assert service.fee.fee_paise == 500


def test_the_form_refuses_a_malformed_account():
    with pytest.raises(FormErrors) as err:
        validate(emitra_{name}.FORM, {{"account": "12"}})
    assert "6 digits" in err.value.by_field()["account"]


async def test_a_payment_at_the_counter(emitra_counter):
    receipt = await emitra_counter.pay("pvt.{name}.payment", {{"account": "100001"}})
    assert receipt.principal_paise == 25_000
    assert receipt.charge_payer == "partner"
    assert receipt.citizen_total_paise == 25_000


async def test_an_unknown_account_is_named(emitra_counter):
    with pytest.raises(FormErrors) as err:
        await emitra_counter.pay("pvt.{name}.payment", {{"account": "999999"}})
    assert "No such account" in err.value.by_field()["account"]
'''

README = '''# emitra-{dash}

An [emitra](https://example.invalid/emitra) service plugin: {title}.

First write the service's Hindi title (`TITLE_HI` in `emitra_{name}.py`), in Devanagari: emitra
refuses the service until then.

```sh
pip install -e '.[test]'   # into the environment where emitra is installed
emitra plugins             # pvt.{name}.payment is listed
emitra plugins check .     # every problem of the declarations, at once
pytest                     # the plugin's tests, on a throw-away SQLite database
```
'''


def new(name: str, directory: Path, title: str | None = None, title_hi: str | None = None, provider: str | None = None,
        provider_hi: str | None = None) -> Path:
    if not NAME.match(name):
        raise ValueError(f"{name!r}: a plugin name is lowercase letters, digits and _ (2 to 41), starting with a letter")
    if name in builtin_codes.PLUGINS:  # emitra would refuse the package's entry point: it would pass for the built-in
        raise ValueError(f"{name!r} is the name of a plugin built into emitra, and a partner's plugin is not loaded under it: "
                         f"choose a name of your own (your own name or your service's, e.g. '{name}_partner')")
    root = directory / f"emitra-{name.replace('_', '-')}"
    if root.exists():
        raise FileExistsError(f"{root} exists already; choose another name or folder")
    title = title or name.replace("_", " ").title() + " payment"
    # the texts go between double quotes in Python and in TOML: a quote or a backslash in a title
    # (Indane "Xtra") is escaped, or the package would not even load
    values = {"name": name, "dash": name.replace("_", "-"), "title": _quoted(title),
              "title_hi": _quoted(title_hi or TITLE_HI_PLACEHOLDER.format(title=title)),
              "cls": "".join(part.title() for part in name.split("_")) + "Payment",
              "provider": _quoted(provider or title),
              # the partner's name on Hindi pages (receipts, catalogue); without it they show the English name
              "provider_hi_line": f'provider_hi="{_quoted(provider_hi)}",' if provider_hi else
              '# provider_hi="...",  # your name in Devanagari, for Hindi pages (else they show provider in English)'}
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(**values))
    (root / f"emitra_{name}.py").write_text(MODULE.format(**values))
    (root / "tests" / f"test_{name}.py").write_text(TEST.format(**values))
    (root / "README.md").write_text(README.format(**{**values, "title": title}))
    return root


def _quoted(text: str) -> str:
    """``text`` escaped to stand between double quotes in Python and in TOML alike: both read JSON's
    escapes of a quote, a backslash and control characters; Devanagari is kept as it is."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _declared_entry_points(pyproject: Path) -> dict[str, str]:
    """The ``[project.entry-points.emitra]`` of a pyproject.toml: plugin name -> module[:object]."""
    return tomllib.loads(pyproject.read_text()).get("project", {}).get("entry-points", {}).get("emitra", {})


def _plugin_name(path: Path) -> str:
    """The name a plugin module file is known by: its entry point's, in the project the file belongs
    to or among the installed plugins (so a project's own module is not taken for another plugin
    that happens to declare its codes); the file's name when it has no entry point."""
    path = path.resolve()
    for root in list(path.parents)[:3]:
        pyproject = root / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            declared = _declared_entry_points(pyproject)
        except (OSError, ValueError):
            continue
        for name, target in declared.items():
            module = str(target).split(":")[0].strip().replace(".", "/")
            for where in (root / "src", root):
                if path in (where / f"{module}.py", where / module / "__init__.py"):
                    return name
        break
    from importlib.metadata import entry_points

    for ep in entry_points(group="emitra"):
        if ep.value.split(":")[0].strip() == path.stem:
            return ep.name
    return path.stem


def _load_path(path: Path) -> tuple[list[tuple[str, ModuleType]], list[str]]:
    """The plugin modules at ``path``, each with its plugin (entry-point) name: a .py file, or a
    project folder with [project.entry-points.emitra]; and the problems of those that cannot be
    imported, each naming its plugin (``plugin 'x': import: ...``), as the loader refuses them: one
    entry point that fails to import must not hide the problems of the project's others."""
    if path.is_file():
        name = _plugin_name(path)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent))
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            return [], [f"plugin {name!r}: import: {failure(exc)}"]
        return [(name, module)], []
    pyproject = path / "pyproject.toml"
    if not pyproject.exists():
        raise FileNotFoundError(f"{path}: neither a .py file nor a folder with a pyproject.toml")
    entry_points = _declared_entry_points(pyproject)
    if not entry_points:
        raise ValueError(f"{pyproject}: no [project.entry-points.emitra]; emitra would never find this plugin")
    for where in (path / "src", path):
        if where.exists():
            sys.path.insert(0, str(where))
    modules, problems = [], []
    for ep_name, target in entry_points.items():
        module_name = target.split(":")[0].strip()
        sys.modules.pop(module_name, None)
        try:
            modules.append((ep_name, importlib.import_module(module_name)))
        except Exception as exc:
            problems.append(f"plugin {ep_name!r}: import: {failure(exc)}")
    return modules, problems


def check(path: Path) -> list[str]:
    """Every problem of the plugin(s) at ``path``, each naming plugin, service and field."""
    try:
        modules, problems = _load_path(path)
    except Exception as exc:
        return [f"{path}: cannot load: {failure(exc)}"]
    host = get_host()
    names = {name for name, _ in modules}
    checked: list[tuple[str, Any]] = []  # (plugin, sound service)
    methods: list[tuple[str, Any]] = []  # (plugin, payment method)
    for name, module in modules:
        if name in builtin_codes.PLUGINS and _builtin_source(name) != Path(getattr(module, "__file__", "") or "").resolve():
            problems.append(f"plugin {name!r}: name: {name!r} is the name of a plugin built into emitra; a partner's plugin is not "
                            f"loaded under it: give your entry point a name of your own")
        pm = pluggy.PluginManager("emitra")
        pm.add_hookspecs(hookspecs)
        try:
            pm.register(module, name=name)
            pm.check_pending()
        except Exception as exc:
            problems.append(f"plugin {name!r}: hooks: {hook_problem(exc)}")
            continue
        if found := async_hook_problems(pm, module):
            problems += [f"plugin {name!r}: hooks: {p}" for p in found]
            continue
        problems += _payment_methods(pm, name, methods)
        impls = pm.hook.emitra_register_services.get_hookimpls()
        if not impls:
            if not pm.hook.emitra_register_payment_methods.get_hookimpls():  # a payment method's plugin registers no service
                problems.append(f"plugin {name!r}: no @hookimpl emitra_register_services: it registers no service")
            continue
        registered: list[Any] = []
        try:
            result = impls[0].function(register=registered.append)
        except Exception as exc:
            problems.append(f"plugin {name!r}: emitra_register_services raised {failure(exc)}")
        else:
            if problem := returned_problem(result):
                problems.append(f"plugin {name!r}: emitra_register_services: {problem}")
        for service in registered:
            code = getattr(service, "code", "?") or "?"
            found = declaration_problems(service)
            for p in found:
                problems.append(f"plugin {name!r}, service {code!r}: {p.field}: {p.message}")
            if not found:
                checked.append((name, service))
                decision = host.policy.static(service, today())
                if decision.decision != "allow":
                    problems.append(f"plugin {name!r}, service {code!r}: policy: {decision.explain()}")
    # the codes as the loader will settle them: with the installed plugins' (the copies installed
    # of the plugins checked here excepted), with one another's, and with the codes reserved to the
    # built-ins, whether EMITRA_PLUGINS loads them or not
    builtin = host.registry.builtin
    declared = [(plugin, code) for code, plugins in host.registry.declared_by.items() for plugin in plugins if plugin not in names]
    declared += [(name, service.code) for name, service in checked]
    refused = clashes(declared, builtin, builtin_codes.SERVICES)
    offset = len(declared) - len(checked)
    for i, (name, service) in enumerate(checked):
        if offset + i in refused:
            message = clash_message(service.code, name, refused[offset + i], builtin, own_code(service, name), reserved=builtin_codes.SERVICES)
            problems.append(f"plugin {name!r}, service {service.code!r}: code: {message}")
    declared = [(m.plugin, code) for code, m in host.payment_methods.items() if m.plugin not in names]
    declared += [(name, method.code) for name, method in methods]
    refused = clashes(declared, builtin, builtin_codes.PAYMENT_METHODS)
    offset = len(declared) - len(methods)
    for i, (name, method) in enumerate(methods):
        if offset + i in refused:
            message = clash_message(method.code, name, refused[offset + i], builtin, f"{name}_{method.code}", "payment method",
                                    builtin_codes.PAYMENT_METHODS)
            problems.append(f"plugin {name!r}, payment method {method.code!r}: code: {message}")
    return problems


def _builtin_source(name: str) -> Path | None:
    """The module file of the built-in plugin called ``name`` (an entry point of emitra itself)."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="emitra"):
        if ep.name == name and _shipped_with_emitra(ep):
            spec = importlib.util.find_spec(ep.module)
            return Path(spec.origin).resolve() if spec is not None and spec.origin else None
    return None


def _payment_methods(pm: pluggy.PluginManager, name: str, into: list[tuple[str, Any]]) -> list[str]:
    """The problems of the payment methods the plugin registers; the sound ones are added to ``into``."""
    from emitra.core.payments import PaymentMethod

    problems: list[str] = []
    for impl in pm.hook.emitra_register_payment_methods.get_hookimpls():
        registered: list[Any] = []
        try:
            impl.function(register=registered.append)
        except Exception as exc:
            problems.append(f"plugin {name!r}: emitra_register_payment_methods raised {failure(exc)}")
        for method in registered:
            if not isinstance(method, PaymentMethod) or not CODE_PATTERN.match(f"pay.{getattr(method, 'code', '')}"):
                problems.append(f"plugin {name!r}: payment_method: register() takes a PaymentMethod with a lowercase code")
            else:
                into.append((name, method))
    return problems


__all__ = ["DeclarationError", "check", "new"]

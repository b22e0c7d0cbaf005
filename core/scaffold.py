"""`emitra plugin new NAME`: an installable service-plugin package, and `emitra plugins check PATH`."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pluggy

from emitra.core import builtin_codes, hookspecs
from emitra.core.clock import today
from emitra.core.plugins import (CODE_PATTERN, DeclarationError, _shipped_with_emitra, async_hook_problems, unmarked_hooks, clash_message, clashes,
                                 declaration_problems, emitra_requirement, failure, get_host, hook_problem, namespace_problem,
                                 own_code, plugin_api_problem, returned_problem)

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
# the emitra releases this plugin fits: those of the plugin API it is written for (__emitra_plugin_api__)
dependencies = ["{requirement}"]

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

# The plugin API this plugin is written for: emitra refuses the plugin, naming both versions, when
# its own is another (a number written out: it says what the code below was written against).
__emitra_plugin_api__ = {api}

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
        # the details are shown before the payment and printed on the receipt: name what was paid for
        return Quote(principal_paise=due, reference=data["account"],
                     details=[{{"label_en": "Account number", "label_hi": "खाता संख्या", "value": data["account"]}},
                              {{"label_en": "Account holder", "label_hi": "खाताधारक", "value": holder}}])

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
    assert {{"label_en": "Account number", "label_hi": "खाता संख्या", "value": "100001"}} in receipt.quote_details


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
              "requirement": emitra_requirement(), "api": hookspecs.PLUGIN_API,
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


class CheckError(Exception):
    """What stops ``emitra plugins check`` from checking a path, said for the partner: the file and,
    for a pyproject.toml that does not parse, its line and column and the fix."""


#: where tomllib (Python 3.11 to 3.13) puts the place of a syntax error: at the end of its message
_TOML_AT = re.compile(r"^(?P<msg>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$", re.S)
_NOT_CLOSED = ("a text is not closed on its line", "end it with the quote it begins with, e.g. "
               'description = "Bharat Gas cylinder booking"')
#: tomllib's reason (the start of its message) -> what is wrong and the fix, in words
_TOML_FIXES = (
    ("Illegal character '\\n'", _NOT_CLOSED),
    ("Illegal character '\\r'", _NOT_CLOSED),
    ("Expected \"'\"", _NOT_CLOSED),
    ("Unterminated string", ("a text is not closed before the end of the file", 'end it with the quotes it begins with (""" or \'\'\')')),
    ("Illegal character", ("a text holds a control character", "remove it, or write a tab as \\t")),
    ("Expected '=' after a key", ("a key has no '=' after it", 'write each setting as key = value, e.g. version = "0.1.0"')),
    ("Invalid value", ("what follows '=' is not a TOML value", 'write text between double quotes, e.g. description = "Bharat Gas '
                       'cylinder booking", or a number, true or false, or a list in [ ], e.g. dependencies = ["emitra"]')),
    ("Expected newline or end of document after a statement", (
        "something follows the value on its line", "put each key = value on a line of its own, and text with spaces between "
        "double quotes")),
    ("Cannot declare", ("a table is declared twice", "keep one [header] of that name and put all its keys under it")),
    ("Cannot overwrite a value", ("a key is given twice", "keep one of them")),
    ("Duplicate inline table key", ("a key is given twice inside { }", "keep one of them")),
    ("Expected ']' at the end of a table declaration", ("a table's header is not closed", "end it with ], e.g. "
                                                                                       "[project.entry-points.emitra]")),
    ("Expected ']]' at the end of an array declaration", ("an array of tables' header is not closed", "end it with ]]")),
    ("Invalid initial character for a key part", ("a key begins with a character a key cannot have", (
        "a key is letters, digits, _ and - (e.g. bharat_gas = \"emitra_bharat_gas\"), or text between double quotes"))),
    ("Unclosed array", ("a list is not closed", 'end it with ], its items separated by commas, e.g. dependencies = ["emitra"]')),
    ("Unclosed inline table", ("an inline table is not closed", "end it with } on the same line")),
    ("Unescaped '\\' in a string", ("a backslash in a text is not escaped", "write it as \\\\ between double quotes, or put the text "
                                                                             "between single quotes")),
)


def toml_problem(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """Where ``path`` (a pyproject.toml) does not parse, and how to fix it: its line and column (not
    the place inside Python's TOML parser), the line as written, what is wrong in words and the fix."""
    reason, line, column = getattr(exc, "msg", None), getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if reason is None:  # Python before 3.14 gives the place in the message only
        found = _TOML_AT.match(str(exc))
        reason = found["msg"] if found else str(exc)
        if found and found["line"]:
            line, column = int(found["line"]), int(found["col"])
    what, fix = next((said for start, said in _TOML_FIXES if reason.startswith(start)),
                     ("it is not TOML", "compare it with the pyproject.toml that `emitra plugin new` writes"))
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    if reason.startswith("Unclosed array") and (opened := _list_opened(lines, line, column)) is not None:
        at, col, key = opened
        found = f"line {line}, column {column}" if line is not None else "the end of the file"
        return (f"{path}, line {at}, column {col}: the list {f'{key!r} ' if key else ''}opened here is not closed ({reason}: "
                f"reached {found} without its ]); close the list with ] after its last item, its items separated by commas, "
                f"e.g. {key or 'keywords'} = [\"a\", \"b\"]. Line {at} reads: {lines[at - 1].rstrip()}")
    if line is not None and 0 < line <= len(lines):
        return f"{path}, line {line}, column {column}: {what} ({reason}); {fix}. Line {line} reads: {lines[line - 1].rstrip()}"
    return f"{path}, at its end: {what} ({reason}); {fix}"


#: the key a list is the value of: what stands before its ``[`` on its line (bare, dotted or quoted)
_KEY_BEFORE = re.compile(r"""(?P<key>(?:"[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_.\-])+)\s*=\s*$""")


def _list_opened(lines: list[str], line: int | None, column: int | None) -> tuple[int, int, str] | None:
    """Where the list tomllib found unclosed at ``line``, ``column`` (None: the end of the file) was
    opened: the line and column of its ``[`` and its key. tomllib names the place where it met what
    is neither ``,`` nor ``]`` (often the next ``[table]``'s line), not the list's; the list is the
    innermost ``[`` still open at that place, brackets counted outside quotes and comments (decision 135)."""
    last = len(lines) if line is None else min(line, len(lines))
    opened: list[tuple[int, int]] = []  # the [ still open: (line, column), from 1
    quote = ""
    for number, text in enumerate(lines[:last], 1):
        if number == line and column is not None:
            text = text[:column - 1]
        i = 0
        while i < len(text):
            char = text[i]
            if quote:
                if char == "\\" and quote == '"':
                    i += 1
                elif char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char == "[":
                opened.append((number, i + 1))
            elif char == "]" and opened:
                opened.pop()
            i += 1
        quote = ""  # a text ends with its line (one over lines, in triple quotes, is rare in a pyproject)
    if not opened:
        return None
    at, col = opened[-1]
    key = _KEY_BEFORE.search(lines[at - 1][:col - 1])
    return at, col, key["key"] if key else ""


def _declared_entry_points(pyproject: Path) -> dict[str, str]:
    """The ``[project.entry-points.emitra]`` of a pyproject.toml: plugin name -> module[:object].
    Raise :class:`CheckError` when the file does not parse."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CheckError(toml_problem(pyproject, exc)) from None
    return data.get("project", {}).get("entry-points", {}).get("emitra", {})


def _entry_points_missing(pyproject: Path) -> str:
    """Why a pyproject.toml gives emitra no entry point, with what it has instead when that is a near miss."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    said = f"{pyproject}: no [project.entry-points.emitra]; emitra would never find this plugin"
    example = 'add the table [project.entry-points.emitra] with a line your_name = "your_module" (the plugin\'s name = its module)'
    near = [key for key in project if key != "entry-points" and key.replace("_", "-").lower() == "entry-points"]
    if near:
        return f"{said}: the table is spelt [project.entry-points.emitra], with a hyphen, not [project.{near[0]}.emitra]"
    groups = sorted(project.get("entry-points", {}))
    if groups:
        return f"{said}: its entry-point groups are {', '.join(groups)}; emitra reads the group named emitra, so {example}"
    return f"{said}; {example}"


def _plugin_name(path: Path) -> tuple[str, list[str]]:
    """The name a plugin module file is known by: its entry point's, in the project the file belongs
    to or among the installed plugins (so a project's own module is not taken for another plugin
    that happens to declare its codes); the file's name when it has no entry point. With it, the
    problem of the project's pyproject.toml when it does not parse (pip would not install it)."""
    path = path.resolve()
    problems: list[str] = []
    for root in list(path.parents)[:3]:
        pyproject = root / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            declared = _declared_entry_points(pyproject)
        except CheckError as exc:
            problems.append(str(exc))
            break
        except (OSError, ValueError):
            continue
        for name, target in declared.items():
            module = str(target).split(":")[0].strip().replace(".", "/")
            for where in (root / "src", root):
                if path in (where / f"{module}.py", where / module / "__init__.py"):
                    return name, problems
        break
    from importlib.metadata import entry_points

    for ep in entry_points(group="emitra"):
        if ep.value.split(":")[0].strip() == path.stem:
            return ep.name, problems
    return path.stem, problems


def _project_folder(path: Path) -> Path:
    """The project folder to check when ``path`` is not a module: a pyproject.toml stands for its
    folder; anything else that is not a .py file or a project folder is refused saying what to give."""
    if path.is_file() and path.name == "pyproject.toml":
        return path.parent
    if path.is_file():
        raise CheckError(f"{path}: not a plugin; give its module (a .py file, e.g. emitra_bharat_gas.py) or its project folder "
                         "(the one holding pyproject.toml)")
    if not (path / "pyproject.toml").exists():
        above = next((p for p in list(path.resolve().parents)[:3] if (p / "pyproject.toml").is_file()), None)
        hint = f"; its project is {above}: check that folder" if above is not None else ""
        raise CheckError(f"{path}: neither a .py file nor a folder with a pyproject.toml{hint}")
    return path


def _resolve(target: str) -> Any:
    """The object an entry point's ``module:attr.attr`` names, as the loader's ``EntryPoint.load`` finds it."""
    module_name, _, attrs = target.partition(":")
    found: Any = importlib.import_module(module_name.strip())
    for attr in filter(None, attrs.strip().split(".")):
        found = getattr(found, attr)
    return found


#: plugin names ``_load_path`` could only guess (the file's, its project's entry points unreadable): no
#: namespace is checked under them, as it would be the guess's and not the plugin's
_UNSURE_NAMES: set[str] = set()


def _load_path(path: Path) -> tuple[list[tuple[str, Any]], list[str]]:
    """The plugins at ``path``, each with its plugin (entry-point) name: a .py file, or a project
    folder with [project.entry-points.emitra] (each entry point's module, or the object it names
    after a ':'); and the problems of those that cannot be imported, each naming its plugin
    (``plugin 'x': import: ...``), as the loader refuses them: one entry point that fails to import
    must not hide the problems of the project's others."""
    if path.is_file() and path.suffix == ".py":
        name, problems = _plugin_name(path)
        if problems:  # its project's pyproject does not parse: the name is the file's, a guess
            _UNSURE_NAMES.add(name)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent))
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            return [], problems + [f"plugin {name!r}: import: {failure(exc)}"]
        return [(name, module)], problems
    path = _project_folder(path)
    pyproject = path / "pyproject.toml"
    entry_points = _declared_entry_points(pyproject)
    if not entry_points:
        raise CheckError(_entry_points_missing(pyproject))
    for where in (path / "src", path):
        if where.exists():
            sys.path.insert(0, str(where))
    modules, problems = [], []
    for ep_name, target in entry_points.items():
        module_name = str(target).split(":")[0].strip()
        sys.modules.pop(module_name, None)
        try:
            modules.append((ep_name, _resolve(str(target))))
        except ModuleNotFoundError as exc:
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                file = module_name.replace(".", "/")
                problems.append(f"plugin {ep_name!r}: import: the entry point {ep_name} = {json.dumps(str(target))} of {pyproject} names "
                                f"the module {module_name!r}, which the project does not have (no {file}.py nor {file}/__init__.py in "
                                f"{path / 'src'} or {path}); write the module's name as its file is called, or rename the file")
            else:
                problems.append(f"plugin {ep_name!r}: import: {failure(exc)}")
        except AttributeError as exc:
            problems.append(f"plugin {ep_name!r}: import: the entry point {ep_name} = {json.dumps(str(target))} of {pyproject} names "
                            f"{str(target).partition(':')[2].strip()!r}, which module {module_name!r} does not have ({exc}); "
                            "name an object the module defines, or the module alone")
        except Exception as exc:
            problems.append(f"plugin {ep_name!r}: import: {failure(exc)}")
    return modules, problems


def check(path: Path) -> list[str]:
    """Every problem of the plugin(s) at ``path``, each naming plugin, service and field."""
    _UNSURE_NAMES.clear()
    try:
        modules, problems = _load_path(path)
    except CheckError as exc:
        return [str(exc)]
    except Exception as exc:
        return [f"{path}: cannot load: {failure(exc)}"]
    host = get_host()
    names = {name for name, _ in modules}
    checked: list[tuple[str, Any]] = []  # (plugin, sound service)
    methods: list[tuple[str, Any]] = []  # (plugin, payment method)
    for name, module in modules:
        shipped = name in builtin_codes.PLUGINS and _builtin_source(name) == Path(getattr(module, "__file__", "") or "").resolve()
        if name in builtin_codes.PLUGINS and not shipped:
            problems.append(f"plugin {name!r}: name: {name!r} is the name of a plugin built into emitra; a partner's plugin is not "
                            f"loaded under it: give your entry point a name of your own")
        if problem := plugin_api_problem(module):
            problems.append(f"plugin {name!r}: plugin_api: {problem}")
            continue
        pm = pluggy.PluginManager("emitra")
        pm.add_hookspecs(hookspecs)
        try:
            pm.register(module, name=name)
            pm.check_pending()
        except Exception as exc:
            problems.append(f"plugin {name!r}: hooks: {hook_problem(exc)}")
            continue
        if found := async_hook_problems(pm, module) + unmarked_hooks(module):
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
        shared: dict[str, list[str]] = {}  # "field: why" -> the services it is said of, in order
        for service in registered:
            code = str(getattr(service, "code", "?") or "?")
            found = declaration_problems(service)
            said = [f"{p.field}: {p.message}" for p in found]
            if not found and service.code not in builtin_codes.SERVICES and name not in _UNSURE_NAMES and (
                    outside := namespace_problem(service, name, {name} if shipped else set(), host.namespaces)):
                said.append(f"namespace: {outside}")
            elif not found:
                checked.append((name, service))
                decision = host.policy.static(service, today())
                if decision.decision != "allow":
                    said.append(f"policy: {decision.explain()}")
            for problem in said:
                codes = shared.setdefault(problem, [])
                if code not in codes:
                    codes.append(code)
        problems += [_said_of(name, codes, problem) for problem, codes in shared.items()]
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


def _said_of(plugin: str, codes: list[str], problem: str) -> str:
    """A problem of one or more services of ``plugin``, on one line: a form the services share is wrong
    once, and said once, naming every service it is wrong for."""
    if len(codes) == 1:
        return f"plugin {plugin!r}, service {codes[0]!r}: {problem}"
    return f"plugin {plugin!r}, services {', '.join(repr(c) for c in codes)}: {problem}"


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

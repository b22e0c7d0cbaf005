"""The documentation keeps up with the code.

* every hook spec in ``emitra.core.hookspecs`` has a docstring and a ``### <hook>`` heading in
  docs/plugins.md (and the hook reference names no hook that does not exist);
* every service the built-in plugins register is named, by its code, somewhere under docs/.
"""

from __future__ import annotations

import inspect
import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from emitra.core import hookspecs
from emitra.core.plugins import ENTRY_POINT_GROUP, get_host

DOCS = Path(__file__).resolve().parent.parent / "docs"
PLUGINS_MD = DOCS / "plugins.md"


def hooks() -> dict[str, object]:
    """Every hook spec: an ``emitra_*`` function carrying pluggy's spec marker (``emitra_spec``)."""
    return {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("emitra_") and hasattr(fn, "emitra_spec")
    }


def documented_hooks() -> set[str]:
    """The hooks with a ``### emitra_<name>`` heading in docs/plugins.md (backticks allowed)."""
    text = PLUGINS_MD.read_text(encoding="utf-8")
    return set(re.findall(r"^###\s+`?(emitra_\w+)", text, flags=re.MULTILINE))


def test_hookspecs_are_found():
    assert "emitra_register_services" in hooks()


@pytest.mark.parametrize("hook", sorted(hooks()))
def test_hook_has_a_docstring(hook: str):
    doc = inspect.getdoc(hooks()[hook]) or ""
    assert doc.strip(), f"the hook spec {hook} in core/hookspecs.py has an empty docstring; it is the hook's documentation"


@pytest.mark.parametrize("hook", sorted(hooks()))
def test_hook_is_documented_in_plugins_md(hook: str):
    assert hook in documented_hooks(), f"docs/plugins.md has no '### {hook}' heading in its Hook reference"


def test_plugins_md_documents_no_hook_that_does_not_exist():
    stale = documented_hooks() - set(hooks())
    assert not stale, f"docs/plugins.md documents hooks that core/hookspecs.py does not define: {sorted(stale)}"


def builtin_services() -> list[str]:
    """Codes of the services registered by plugins that ship in the emitra distribution itself."""
    builtin = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist is not None and ep.dist.name == "emitra"}
    assert builtin, "no built-in plugin is registered under the entry-point group 'emitra'"
    codes = sorted(s.code for s in get_host().registry if s.plugin in builtin)
    assert codes, f"the built-in plugins {sorted(builtin)} registered no service"
    return codes


def test_every_builtin_service_is_named_in_the_docs():
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md")))
    missing = [code for code in builtin_services() if not re.search(rf"(?<![\w.]){re.escape(code)}(?![\w])", text)]
    assert not missing, f"services not mentioned by code anywhere under docs/: {missing}"


def test_operations_md_quotes_the_migrations_this_version_has():
    """The example outputs of docs/operations.md (`db status`, `db backup`, `db restore`, a failed
    migration) name the number of migrations and the latest one as `emitra` prints them today."""
    from emitra.core.cli_ops import known_migrations

    known = known_migrations()
    text = re.sub(r"\n#\s*", " ", (DOCS / "operations.md").read_text(encoding="utf-8"))  # a comment continued on the next line
    latest = re.findall(r"(\d+) migrations(?: applied)?, the latest (\d{4}_\w+)", text)
    assert len(latest) >= 3, "the examples of `db status`, `db backup` and `db restore` are gone"
    assert set(latest) == {(str(len(known)), known[-1])}, f"docs/operations.md quotes {sorted(set(latest))}; write {len(known)}, {known[-1]}"
    partial = re.findall(r"(\d+) of (\d+) migrations applied, up to (\d{4}_\w+)", text)
    assert partial and all(total == str(len(known)) and known[int(applied) - 1] == name for applied, total, name in partial), partial


def test_no_file_keeps_a_merge_conflicts_markers():
    """A conflict resolved by hand once left its markers in docs/decisions.md, and nothing noticed."""
    root = DOCS.parent
    skip = {".venv", "build", "var", ".git", "node_modules", "emitra.egg-info"}
    marked = []
    for path in root.rglob("*"):
        if path.suffix not in (".py", ".md", ".html", ".po", ".pot", ".toml", ".css", ".js", ".cfg", ".txt") or not path.is_file():
            continue
        if skip & set(path.relative_to(root).parts):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "=======":
                marked.append(f"{path.relative_to(root)}:{n}")
    assert not marked, f"merge conflict markers left in: {', '.join(marked[:10])}"


def partners_guide_commands() -> list[str]:
    """The ``emitra`` commands docs/plugins.md tells a partner to type: each line of its shell blocks
    (a ``$`` prompt or none, each part of a ``&&`` chain or a pipe), and each inline command that
    gives an option (``--...``: a whole command, not a command's name in a sentence)."""
    text = PLUGINS_MD.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```(?:console|sh)\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in re.split(r"&&|\|", re.sub(r"^\$\s*", "", line.strip())):
                part = part.strip().strip("()").strip()
                if part.startswith("emitra "):
                    found.append(part)
    found += [c for c in re.findall(r"`(emitra [^`]+)`", text) if " --" in c]
    return found


def test_the_partners_guide_shows_commands_the_cli_takes():
    """`emitra officer add USERNAME --department ... --district JP --as society`, as the guide gave it,
    was refused: "Missing option '--name'"."""
    import shlex

    import click

    from emitra.core.cli import main

    commands = partners_guide_commands()
    assert "emitra counter enable JP-LM-001 gov.rj.jmc_trade.licence_renewal --as lsp" in commands
    wrong = []
    for command in commands:
        ctx, cmd = main.make_context("emitra", shlex.split(command, comments=True)[1:]), main
        try:
            while isinstance(cmd, click.Group):
                rest = [*getattr(ctx, "_protected_args", []), *ctx.args]  # the subcommand and its arguments (click 8 and 9)
                if not rest:
                    break
                name, cmd, rest = cmd.resolve_command(ctx, rest)
                ctx = cmd.make_context(name, rest, parent=ctx)
        except (click.MissingParameter, click.NoSuchOption) as exc:
            wrong.append(f"{command}: {exc.format_message()}")
        except click.BadParameter:  # a value the guide writes as a placeholder (PATH, a folder made on the way)
            continue
        except click.UsageError as exc:
            wrong.append(f"{command}: {exc.format_message()}")
    assert wrong == []


def test_the_partners_guide_shows_a_choice_in_each_language():
    """The guide's example plugin, run as a partner would copy it: its quote names the kind of trade
    by the form's labels, in English and in Hindi (``value``, ``value_hi``), and the guide says how."""
    import asyncio

    from emitra.core import QuoteContext

    text = PLUGINS_MD.read_text(encoding="utf-8")
    plugin = re.search(r"### `src/emitra_jmc_trade/plugin.py`\n+```python\n(.*?)```", text, flags=re.S)
    assert plugin, "docs/plugins.md has no example plugin"
    space: dict = {}
    exec(compile(plugin.group(1), "docs/plugins.md", "exec"), space)
    quote = asyncio.run(space["TradeLicenceRenewal"]().quote({"licence_no": "123456", "trade": "eatery", "years": 2},
                                                              QuoteContext("JP-LM-001", "JP", 1)))
    assert {"label_en": "Kind of trade", "label_hi": "व्यापार का प्रकार", "value": "Eatery or dhaba",
            "value_hi": "भोजनालय या ढाबा"} in quote.details
    assert "## Hindi values: choices and details" in text and "kit.choice_label(" in text

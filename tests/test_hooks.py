"""Every hook has a test: its name must appear in some other tests/test_*.py file.

Modelled on datasette's ``test_plugin_hooks_have_tests``. A new hook spec in
``emitra.core.hookspecs`` fails here until a test that calls or implements it is written.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from emitra.core import hookspecs

TESTS = Path(__file__).resolve().parent
NOT_COUNTED = {"test_docs.py", "test_hooks.py"}  # they name every hook without testing it


def hook_names() -> list[str]:
    """Every hook spec: an ``emitra_*`` function carrying pluggy's spec marker (``emitra_spec``)."""
    return sorted(
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("emitra_") and hasattr(fn, "emitra_spec")
    )


def test_hookspecs_are_found():
    assert "emitra_register_services" in hook_names()


@pytest.mark.parametrize("hook", hook_names())
def test_plugin_hook_has_a_test(hook: str):
    pattern = re.compile(rf"\b{re.escape(hook)}\b")
    files = sorted(p for p in TESTS.glob("test_*.py") if p.name not in NOT_COUNTED)
    testing = [p.name for p in files if pattern.search(p.read_text(encoding="utf-8"))]
    assert testing, f"hook {hook} is not named in any of {', '.join(p.name for p in files)}: write a test for it"

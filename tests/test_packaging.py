"""Installed, everything lives under the one namespace `emitra`, and the wheel holds every package."""

import importlib.util
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERIC = ["core", "web", "policy", "plugins"]


def tree_packages() -> set[str]:
    found = set()
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts and rel.parts[0] in {".venv", "tests", "build", "bench", "docs", "var"} or any(p.startswith(".") for p in rel.parts):
            continue
        found.add(".".join(("emitra",) + rel.parts))
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
                   check=True, cwd=out)
    return next(out.glob("emitra-*.whl"))


def test_every_package_in_the_tree_is_in_the_wheel(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    in_wheel = {n.rsplit("/", 1)[0].replace("/", ".") for n in names if n.endswith("__init__.py")}
    assert tree_packages() - in_wheel == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert not [n for n in names if n.split("/")[0] in GENERIC], "generic top-level modules in the wheel"
    for data in ("emitra/web/templates/receipt.html", "emitra/web/static/style.css", "emitra/core/migrations/0001_initial.py",
                 "emitra/policy/rules/india.toml", "emitra/policy/rules/rajasthan.toml", "emitra/web/locale/hi/LC_MESSAGES/messages.mo"):
        assert data in names, data
    entry_points = next(zf_read(wheel, n) for n in names if n.endswith("entry_points.txt"))
    assert "[emitra]" in entry_points and "emitra.plugins.government.electricity" in entry_points


def zf_read(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name).decode()


def test_a_clean_install_exposes_no_generic_top_level_module(wheel, tmp_path):
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True)
    probe = (
        "import importlib.util as u, json; "
        f"print(json.dumps({{m: u.find_spec(m) is not None for m in {GENERIC + ['emitra', 'emitra.core', 'emitra.web', 'emitra.policy', 'emitra.plugins.government']!r}}}))"
    )
    out = subprocess.run([str(python), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    found = __import__("json").loads(out)
    assert {m: found[m] for m in GENERIC} == {m: False for m in GENERIC}
    assert all(found[m] for m in found if m.startswith("emitra"))


def test_the_test_process_itself_does_not_see_generic_modules():
    for name in GENERIC:
        assert importlib.util.find_spec(name) is None, f"'{name}' is importable: the repo root is on sys.path"

"""The tree's habits, checked by the tools that define them: mypy on the typed core, ruff's lint, and pytest
markers that are declared where they are used and used where they are declared."""

import ast
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# mypy checks mbench/spec.py, results.py, store.py and every module of mbench/measure/ except rounds.py,
# which is being rewritten and joins this list when it checks clean (pyproject.toml [tool.mypy] configures it).
TYPED = [
    "mbench/spec.py",
    "mbench/results.py",
    "mbench/store.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "mbench" / "measure").glob("*.py") if p.name != "rounds.py"),
]
LINTED = ["mbench", "converters", "tests", "benchmarks", "examples"]
BUILTIN_MARKS = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}


def _tool(module: str, *args: str) -> subprocess.CompletedProcess:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed in this environment (pip install {module})")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True)


def test_the_typed_core_is_mypy_clean():
    checked = _tool("mypy", *TYPED)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_ruff_finds_nothing():
    checked = _tool("ruff", "check", *LINTED)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _declared_marks() -> set[str]:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    return {line.split(":")[0].strip() for line in declared}


def _used_marks() -> set[str]:
    """Every ``pytest.mark.NAME`` in the tests, decorators and ``pytestmark`` alike."""
    used = set()
    for path in (ROOT / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "mark"
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id == "pytest"
            ):
                used.add(node.attr)
    return used - BUILTIN_MARKS


def test_every_declared_marker_is_used_and_every_used_one_declared():
    declared, used = _declared_marks(), _used_marks()
    assert declared - used == set(), f"declared in pyproject.toml, used by no test: {sorted(declared - used)}"
    assert used - declared == set(), f"used by tests, not declared in pyproject.toml: {sorted(used - declared)}"

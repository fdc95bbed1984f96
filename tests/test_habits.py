"""Pytest markers are declared where they are used and used where they are declared. (ruff and mypy run before
the tests, in `make lint`.)"""

import ast
import tomllib
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent

BUILTIN_MARKS = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}


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

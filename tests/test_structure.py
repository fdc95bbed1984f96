"""The road in the tree: every module imports only its own stage or earlier ones, and no import cycle exists.

Imports are read from the AST of every module, including imports inside functions and under TYPE_CHECKING
(a lazy import is still a dependency)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The road, first to last. A module belongs to the longest prefix it matches.
STAGES = [
    (
        "vocabulary",
        [
            "mbench.__init__",
            "mbench.spec",
            "mbench.yaml_config",
            "mbench.host",
            "mbench.errors",
            "mbench.paths",
            "mbench.capture",
        ],
    ),
    ("data", ["mbench.data"]),
    ("models", ["mbench.models"]),
    ("artifact", ["mbench.artifacts"]),
    ("rows", ["mbench.results", "mbench.store"]),
    ("runners", ["mbench.runners"]),
    ("converters", ["converters"]),
    ("convert", ["mbench.convert"]),
    ("measure", ["mbench.measure"]),
    ("devices", ["mbench.devices"]),
    ("ops", ["mbench.ops"]),
    ("accuracy", ["mbench.accuracy"]),
    ("sweep", ["mbench.sweep"]),
    ("report", ["mbench.report"]),
    ("cli", ["mbench.cli"]),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts)


def _stage(module: str) -> int | None:
    best, found = -1, None
    for index, (_, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    if found is None and module in ("mbench", "mbench.__init__"):
        return 0
    return found


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in ("mbench", "converters")}


def _modules() -> dict[str, Path]:
    files = [*ROOT.joinpath("mbench").rglob("*.py"), *ROOT.joinpath("converters").rglob("*.py")]
    return {
        _module_name(f).removesuffix(".__init__")
        if f.name == "__init__.py" and f.parent.name != "mbench"
        else _module_name(f): f
        for f in files
    }


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an imported name refers to (``from a.b import c`` may name a module or an attribute)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def test_every_module_has_a_stage():
    assert [m for m in MODULES if _stage(m) is None] == []


def test_no_import_runs_backwards():
    backwards = []
    for module, path in MODULES.items():
        for name in _imports(path):
            target = _resolve(name)
            if target and target != module and _stage(target) > _stage(module):
                backwards.append(
                    f"{module} ({STAGES[_stage(module)][0]}) imports {target} ({STAGES[_stage(target)][0]})"
                )
    assert backwards == []


def test_no_import_cycle():
    graph = {
        m: {t for n in _imports(p) if (t := _resolve(n)) and t != m and not m.startswith(t + ".")}
        for m, p in MODULES.items()
    }
    state, cycles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(trail[trail.index(target) :] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize("rule", ["backwards", "cycle"])
def test_the_checks_can_fail(rule, monkeypatch):
    """A backward import and a cycle, planted in the module table, are both caught."""
    fake = {
        "mbench.spec": "from mbench.report.build import render_report\n",
        "mbench.report.build": "from mbench.report.plots import x\n",
        "mbench.report.plots": "from mbench.report.build import y\n",
    }
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: fake.get(_module_name_of(self), ""))
    with pytest.raises(AssertionError):
        (test_no_import_runs_backwards if rule == "backwards" else test_no_import_cycle)()


def _module_name_of(path: Path) -> str:
    return next((m for m, p in MODULES.items() if p == path), "")


def test_the_tree_keeps_its_shape():
    """At most nine single-file modules at mbench's top level; measurement in its package, not in devices/; no
    seed model named in code outside mbench/models/ (help texts' Example: lines aside); no dates in mbench's code."""
    import re

    top = sorted(p.name for p in ROOT.joinpath("mbench").glob("*.py") if p.name != "__init__.py")
    assert len(top) <= 9, top
    assert ROOT.joinpath("mbench", "measure", "rounds.py").is_file()
    assert not {"rounds.py", "agent.py", "serve.py"} & {p.name for p in ROOT.joinpath("mbench", "devices").iterdir()}
    named, dated = [], []
    for path in ROOT.joinpath("mbench").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if "models" not in path.parts and re.search(r"hed-(vgg|mobilenetv2)", line) and "Example:" not in line:
                named.append(where)
            if re.search(r"20\d\d-[01]\d-[0-3]\d", line):
                dated.append(where)
    assert named == [] and dated == []

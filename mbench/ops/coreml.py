"""Core ML: the compute plan's *estimated* cost per operation, not a time. Core ML times no operation; on macOS
(14.4 or later) its compute plan (``coremltools.models.compute_plan.MLComputePlan``, runners/coreml.py) gives each
ML Program operation's estimated share of the model's cost and the compute device it prefers. The pass takes that
share where Core ML runs (this Mac, or the Mac an SSH entry reaches, through mbench's agent) with the pass's runs,
whose whole-inference times are measured; elsewhere it is a not_run row that says why.

The shares are placed in modules here: coremltools names each operation's output after the node of the exported
graph it came from (``relu_1``; a convolution it fused with its batch norm after the norm,
``_native_batch_norm_legit_no_training_1``), and the converter writes that graph's nodes with their module paths
beside the package (converters/coreml.py: ``model.mlpackage.modules.json``). An operation covers the exported nodes
between the tensors it reads and the tensors it makes (onnx_graph.between, as for ONNX Runtime's fused nodes), its
primary module first (the node of its own kind: the convolution of a fused conv and batch norm). The ML Program is
read from the package itself, which coremltools can do on any OS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from converters.coreml import modules_path
from mbench.artifacts import Artifact
from mbench.measure.passes import Recorder
from mbench.ops.modules import from_scope
from mbench.ops.onnx_graph import Placement, between
from mbench.ops.profile import OpProfile, OpsPlan, OpTime, recorded
from mbench.runners.base import NotRunnableHere
from mbench.runners.coreml import COMPUTE_PLAN

WEIGHTS = re.compile(r"^(const|constexpr_\w+)$")  # operations that hold or decompress weights: no run-time cost
_NEW_NAME_SUFFIX = re.compile(r"(_cast_fp16|_cast_fp32|_to_fp16|_to_fp32)+$")  # coremltools' casts of a tensor


def profile(artifact: Artifact, threads: int, plan: OpsPlan, recorder: Recorder) -> OpProfile:
    nodes_file = modules_path(artifact.path)
    if not nodes_file.is_file():
        raise NotRunnableHere(
            f"no module map beside {artifact.path.name} ({nodes_file.name}): convert it again with this mbench, "
            "whose Core ML converter writes one"
        )
    with recorded(recorder, artifact, threads, plan) as recording:
        planned = json.loads(recording.path(COMPUTE_PLAN).read_text())
    placements = place_operations(*program_operations(artifact.path), json.loads(nodes_file.read_text()))
    unplaced = Placement((), (), "")
    ops, unknown = [], 0
    for op in planned["operations"]:
        if WEIGHTS.match(op["operator"]):
            continue
        if op["cost"] is None:
            unknown += 1
            continue
        found = placements.get(op["outputs"][0] if op["outputs"] else "", unplaced)
        ops.append(OpTime(op["operator"], op["cost"], found.modules, tuple(op["outputs"]), op["device"], found.how))
    seen = recording.runs
    notes = [
        "estimated: each operation's share of the model's cost as Core ML's compute plan predicts it for compute "
        f"units {planned['compute_units']}, not a time; run_ms is the pass's measured runs"
    ]
    if unknown:
        notes.append(f"{unknown} operations have no cost estimate in the compute plan and are left out")
    return OpProfile.of_runs(
        recording, seen, threads, plan, seen.mean(seen.wall_ms), ops, notes, seen.wall_ms, estimated=True
    )


@dataclass(frozen=True)
class Operation:
    """One operation of an ML Program: its type, the variables it reads and those it makes."""

    kind: str
    reads: tuple[str, ...]
    makes: tuple[str, ...]


def program_operations(package: Path) -> tuple[list[Operation], list[str]]:
    """The main function's operations of the ML Program in ``package`` (nested blocks after their operation), as
    the package's spec holds them, and the function's outputs; coremltools reads it on any OS."""
    import coremltools as ct

    spec = ct.models.MLModel(str(package), skip_model_load=True).get_spec()
    if not spec.HasField("mlProgram"):
        raise RuntimeError(f"{package.name} is not an ML Program: its operations cannot be placed")
    main = spec.mlProgram.functions["main"]
    found: list[Operation] = []

    def walk(block) -> None:
        for op in block.operations:
            reads = tuple(
                b.name for arg in op.inputs.values() for b in arg.arguments if b.WhichOneof("binding") == "name"
            )
            found.append(Operation(op.type, reads, tuple(o.name for o in op.outputs)))
            for inner in op.blocks:
                walk(inner)

    block = main.block_specializations[main.opset]
    walk(block)
    return found, list(block.outputs)


class _Exported:
    """The exported graph the converter wrote (converters/coreml.graph_nodes), as onnx_graph.between walks it: one
    tensor per node, named as the node; ``getitem`` nodes stand for the tensor they pick."""

    def __init__(self, written: dict) -> None:
        nodes = written["nodes"]
        self.alias = {n["name"]: n["inputs"][0] for n in nodes if n["op"] == "getitem" and n["inputs"]}
        self.nodes = {n["name"]: n for n in nodes if n["op"] not in ("placeholder", "output", "getitem")}
        self.order = {name: index for index, name in enumerate(self.nodes)}
        self.producer = {name: name for name in self.nodes}
        self.known = {self.tensor(n["name"]) for n in nodes if n["op"] != "output"}
        self.outputs = [self.tensor(i) for n in nodes if n["op"] == "output" for i in n["inputs"]]

    def tensor(self, name: str) -> str:
        while name in self.alias:
            name = self.alias[name]
        return name

    def data_inputs(self, node: dict) -> list[str]:
        return [self.tensor(name) for name in node["inputs"]]

    def modules(self, name: str) -> tuple[str, ...]:
        module = self.nodes[name]["module"]
        return () if module is None else (from_scope(module),)

    def of_kind(self, name: str, kind: str) -> bool:
        """Whether node ``name`` is an op of the ML Program operation type ``kind`` (``conv``: ``conv2d.default``)."""
        op = self.nodes[name]["op"].split(".")[0].lstrip("_").lower()
        return bool(op) and (op.startswith(kind.lower()) or kind.lower().startswith(op))


def place_operations(operations: list[Operation], outputs: list[str], written: dict) -> dict[str, Placement]:
    """Each computing operation, by its first output's name, placed in the modules of the exported nodes it covers:
    ``node`` (one), ``fused`` (several), ``layout`` (a cast or copy of a tensor that stays, with the node that made
    it), or not placed (''; a variable of coremltools' own with nothing known around it). The program's
    ``outputs``, which coremltools renames after the model's outputs, stand for the exported graph's in order."""
    source = _Exported(written)
    weights = {v for op in operations if WEIGHTS.match(op.kind) for v in op.makes}
    stands = {v: _stand_in(v, source.known) for op in operations for v in (*op.reads, *op.makes)}
    stands.update({v: t for v, t in zip(outputs, source.outputs) if t in source.known})
    kept = {stands[v] for op in operations if not WEIGHTS.match(op.kind) for v in op.makes if stands[v]}
    placements = {}
    for op in operations:
        if WEIGHTS.match(op.kind) or not op.makes:
            continue
        reads = {stands[v] for v in op.reads if v not in weights and stands[v]}
        makes = {stands[v] for v in op.makes if stands[v]}
        covered, how = between(source, reads, makes, kept), "node"
        if not covered:  # a variable of its own: the node of its kind that reads what it reads
            covered = [
                n
                for n in source.nodes
                if source.of_kind(n, op.kind) and reads <= set(source.data_inputs(source.nodes[n]))
            ][:1]
        if not covered:
            covered, how = [t for t in sorted(makes | reads) if t in source.nodes][:1], "layout"
        elif len(covered) > 1:
            how = "fused"
        primary = next((c for c in covered if source.of_kind(c, op.kind)), None)
        covered = covered if primary is None else [primary] + [c for c in covered if c != primary]
        modules = tuple(dict.fromkeys(m for c in covered for m in source.modules(c)))
        placements[op.makes[0]] = Placement(modules, tuple(covered), how if modules else "")
    return placements


def _stand_in(variable: str, known: set[str]) -> str | None:
    """The exported tensor an ML Program variable stands for: the same name, or the name before coremltools' cast
    suffix (``relu_1_cast_fp16`` -> ``relu_1``); None for a variable of its own (``var_12``, ``const_3``)."""
    for name in (variable, _NEW_NAME_SUFFIX.sub("", variable)):
        if name in known:
            return name
    return None

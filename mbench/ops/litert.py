"""LiteRT: its Python interpreter has no per-operator timing, so the pass runs a ``benchmark_model`` binary (on PATH
here, or the inventory's on an Android phone: the recorder's ``benchmark_model``) with ``--enable_op_profiling=true``
and reads its "Run Order" table: per node, its type, its average ms, and its Name, the node's output tensor, which
litert-torch names after the module locations the node came from
(``pkg.Model/pkg.Block_wide/torch.nn.modules.conv.Conv2d_conv``, several joined by ``;;`` where nodes were fused).
Without the binary the pass is a not_run row that says so.
"""

from __future__ import annotations

import re

from mbench.artifacts import Artifact
from mbench.devices.parsers import UnparsableOutput
from mbench.devices.parsers.benchmark_model import parse, run_order
from mbench.measure.passes import BENCHMARK_MODEL, Recorder
from mbench.ops.modules import ROOT
from mbench.ops.profile import OpProfile, OpsPlan, OpTime

TOOL = BENCHMARK_MODEL
_ORDER = re.compile(r":\d+$")  # benchmark_model's node index after the name
_SUFFIX = re.compile(r";\d*$")  # litert-torch's tensor counter
_CLASS = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*\.)+[A-Z][A-Za-z0-9_]*")  # a module's class: pkg.mod.ClassName


def tensor_modules(name: str, kind: str = "") -> tuple[str, ...]:
    """Module paths from a litert-torch tensor name (``[pkg.Net/pkg.Block_wide/torch.nn.modules.conv.Conv2d_conv;2]:5``
    -> ``wide.conv``); () for names that carry no module location (``arith.constant``, ``serving_default_...``).
    The module whose class shares a word with the node type ``kind`` (``Conv2d`` for ``CONV_2D``) comes first."""
    name = _SUFFIX.sub("", _ORDER.sub("", name.strip()).strip("[]"))
    found = [place for place in map(_location, name.split(";;")) if place is not None]
    words = [w.lower() for w in kind.split("_") if w.isalpha()]
    found.sort(key=lambda place: not any(w in place[1].lower() for w in words))
    return tuple(dict.fromkeys(module for module, _ in found))


def _location(location: str) -> tuple[str, str] | None:
    """``pkg.Net/pkg.Block_wide/torch.nn.modules.conv.Conv2d_conv`` -> (``wide.conv``, ``Conv2d``); the root class
    alone -> (ROOT, its class)."""
    segments = location.strip().split("/")
    if not _CLASS.fullmatch(segments[0]):
        return None
    attributes, kind = [], segments[0].rpartition(".")[2]
    for segment in segments[1:]:
        kind, _, attribute = segment.rpartition(".")[2].partition("_")
        if not (attribute and kind[:1].isupper()):
            return None
        attributes.append(attribute)
    return ".".join(attributes) or ROOT, kind


def profile(artifact: Artifact, threads: int, plan: OpsPlan, recorder: Recorder) -> OpProfile:
    return from_output(recorder.benchmark_model(artifact, threads, plan), threads, plan)


def from_output(text: str, threads: int, plan: OpsPlan, seconds: float = 0.0) -> OpProfile:
    nodes = run_order(text)
    if not nodes:
        raise RuntimeError(f"{TOOL} printed no 'Run Order' table (was --enable_op_profiling=true taken?)")
    ops = tuple(
        OpTime(kind, ms, tensor_modules(name, kind), (name,), "benchmark_model", "tensor name")
        for kind, ms, name in nodes
    )
    try:
        run_ms = parse(text).values["latency_mean"][0]
    except UnparsableOutput:
        run_ms = sum(op.ms for op in ops)
    notes = ["per-node times from benchmark_model's Run Order table; modules from the output tensor names"]
    if not any(op.modules for op in ops):
        notes.append(
            "no tensor name carries a PyTorch module location (litert-torch names each node's output after the "
            f"modules it came from; these read like {ops[0].nodes[0]!r}: a model converted another way?)"
        )
    return OpProfile(TOOL, "", threads, plan, run_ms, ops, tuple(notes), seconds)

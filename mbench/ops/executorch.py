"""ExecuTorch: the program run with ETDump on, read by the devtools Inspector with the ETRecord written at conversion
(converters/executorch.py). Ops on the portable kernels carry debug handles, which place them in the edge graph and
its module stacks. XNNPACK reports its own operators but not their debug handles: they are lined up with the nodes
of their delegate call (xnnpack.line_up); where that fails the call is one block placed in every module it covers.
The delegate's time outside its operators is such a block too.
"""

from __future__ import annotations

import re
import statistics
import warnings
from pathlib import Path

from converters.executorch import etrecord_path
from mbench.artifacts import Artifact
from mbench.measure.passes import Recorder
from mbench.ops import xnnpack
from mbench.ops.modules import DELEGATE_BLOCK, from_scope
from mbench.ops.profile import OpProfile, OpsPlan, OpTime, PassRuns, recorded
from mbench.runners.base import NotRunnableHere, native_stderr_without
from mbench.runners.executorch import ETDUMP

DELEGATE_CALL = "DELEGATE_CALL"
OPERATOR_CALL = "OPERATOR_CALL"
EXECUTE = "Method::execute"
_OP_NAME = re.compile(r"^(?:aten|quantized_decomposed|dim_order_ops)\.(\w+)")


def profile(artifact: Artifact, threads: int, plan: OpsPlan, recorder: Recorder) -> OpProfile:
    record = etrecord_path(artifact.path)
    if not record.is_file():
        raise NotRunnableHere(
            f"no ETRecord beside {artifact.path.name} ({record.name}): convert it again with "
            "this mbench, whose ExecuTorch converter writes one"
        )
    with recorded(recorder, artifact, threads, plan) as recording:
        events, graph = _read(recording.path(ETDUMP), record)
    seen = recording.runs
    ms = {id(e): _mean(e.perf_data.raw, seen) for e in events if e.perf_data is not None}
    execute = [e for e in events if e.name == EXECUTE]
    if not execute:
        raise RuntimeError("the ETDump holds no Method::execute event")
    ops, notes = _ops(events, ms, _nodes_by_handle(graph))
    runs_ms = tuple(execute[0].perf_data.raw[-plan.runs :])
    return OpProfile.of_runs(recording, seen, threads, plan, ms[id(execute[0])], ops, notes, runs_ms)


def _mean(raw: list[float], seen: PassRuns) -> float:
    """An event's ms per inference over the kept profiled runs (its last entries; one per run)."""
    runs = len(seen.wall_ms)
    return seen.mean(raw[-runs:]) if len(raw) >= runs else statistics.fmean(raw)


def _read(etdump: Path, record: Path):
    """The Execute block's events, and the edge graph the ETRecord keeps."""
    with native_stderr_without(lambda line: True), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Output Buffer not found")  # none is kept: intended
        from executorch.devtools import Inspector
        from executorch.devtools.etrecord import parse_etrecord

        etrecord = parse_etrecord(str(record))
        inspector = Inspector(etdump_path=str(etdump), etrecord=etrecord)
    events = [e for block in inspector.event_blocks if block.name == "Execute" for e in block.events]
    return events, etrecord.edge_dialect_program.graph_module.graph


def _nodes_by_handle(graph) -> dict[int, list[xnnpack.Node]]:
    found: dict[int, list[xnnpack.Node]] = {}
    for node in graph.nodes:
        handle = node.meta.get("debug_handle")
        if node.op != "call_function" or handle is None or getattr(node.target, "__name__", "") == "getitem":
            continue
        stack = list(node.meta.get("nn_module_stack", {}).values())
        modules = (from_scope(stack[-1][0]),) if stack else ()
        found.setdefault(handle, []).append(xnnpack.Node(_op_name(node), modules))
    return found


def _op_name(node) -> str:
    """The edge op's name (``convolution``); a convolution is told apart as ``convolution_transposed`` or, for a
    1x1 kernel at stride 1 without padding (which XNNPACK may run as a fully connected operator),
    ``convolution_1x1``."""
    found = _OP_NAME.match(getattr(node.target, "__name__", ""))
    name = found.group(1) if found else str(node.target)
    if name != "convolution" or len(node.args) < 7:
        return name
    if node.args[6]:
        return "convolution_transposed"
    weight = getattr(node.args[1], "meta", {}).get("val")
    kernel = tuple(weight.shape[2:]) if weight is not None else ()
    pointwise = kernel and all(k == 1 for k in kernel) and all(v == 1 for v in node.args[3]) and not any(node.args[4])
    return "convolution_1x1" if pointwise else name


def _covered(handles, nodes: dict[int, list[xnnpack.Node]]) -> list[xnnpack.Node]:
    handles = handles if isinstance(handles, (list, tuple)) else [handles] if handles is not None else []
    return [node for handle in dict.fromkeys(handles) for node in nodes.get(handle, [])]


def _ops(events, ms: dict[int, float], nodes: dict[int, list[xnnpack.Node]]) -> tuple[list[OpTime], list[str]]:
    ops, notes = [], []
    for event in events:
        if event.name == OPERATOR_CALL:
            covered = _covered(event.debug_handles, nodes)
            op = event.op_types[0] if event.op_types else "?"
            ops.append(OpTime(op.removesuffix(".default"), ms[id(event)], _modules(covered), (op,), "portable", "node"))
        elif event.name == DELEGATE_CALL:
            inside = [e for e in events if e.is_delegated_op and e._instruction_id == event._instruction_id]
            found, note = _delegate(event, inside, ms, _covered(event.debug_handles, nodes))
            ops += found
            notes += [note] if note else []
    return ops, notes


def _modules(nodes: list[xnnpack.Node]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for node in nodes for m in node.modules))


def _delegate(call, inside, ms: dict[int, float], nodes: list[xnnpack.Node]) -> tuple[list[OpTime], str]:
    """One delegate call's operators placed in its nodes, and its time outside them; or the call as one block."""
    backend = call.delegate_backend_name or "delegate"
    placed = xnnpack.line_up([e.name for e in inside], nodes) if inside else None
    covered = _modules(nodes)
    if placed is None:
        note = (
            f"{backend} call {call._instruction_id}: its {len(inside)} operators could not be lined up with "
            f"its {len(nodes)} nodes; kept as one block placed in all {len(covered)} modules it covers"
        )
        return [
            OpTime(
                f"{backend} (block)", ms[id(call)], covered, (f"call {call._instruction_id}",), backend, DELEGATE_BLOCK
            )
        ], note
    ops = [
        OpTime(xnnpack.op_type(e.name), ms[id(e)], modules, (e.name,), backend, how)
        for e, (modules, how) in zip(inside, placed)
    ]
    outside = ms[id(call)] - sum(op.ms for op in ops)
    if outside > 0:
        ops.append(
            OpTime(
                f"{backend} (outside its operators)",
                outside,
                covered,
                (f"call {call._instruction_id}",),
                backend,
                DELEGATE_BLOCK,
            )
        )
    return ops, ""

"""ONNX Runtime: a session like the timed one with profiling on; its trace gives each node's kernel time, op type
and execution provider, and the graph it ran (saved beside the trace) places each node in the source modules
(onnx_graph)."""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from pathlib import Path

from mbench.artifacts import Artifact
from mbench.ops.onnx_graph import Placement, place_nodes
from mbench.ops.profile import OpProfile, OpsPlan, OpTime
from mbench.runners.base import seeded_inputs
from mbench.runners.onnxruntime import OPTIMIZED_MODEL, OnnxRuntimeRunner

KERNEL = "_kernel_time"


def profile(artifact: Artifact, threads: int, plan: OpsPlan) -> OpProfile:
    import onnx

    runner = OnnxRuntimeRunner()
    with tempfile.TemporaryDirectory(prefix="mbench-ort-") as folder:
        runner.load(artifact, threads, profile_dir=Path(folder))
        inputs = seeded_inputs(artifact.inputs)
        for _ in range(plan.warmup_runs + plan.runs):
            runner.run(inputs)
        trace = json.loads(runner.end_profiling().read_text())
        runner.close()
        placements = place_nodes(onnx.load(str(artifact.path)), onnx.load(str(Path(folder) / OPTIMIZED_MODEL)))
    runs = [e for e in trace if e.get("cat") == "Session" and e.get("name") == "model_run"][-plan.runs :]
    if len(runs) < plan.runs:
        raise RuntimeError(f"ONNX Runtime's profile holds {len(runs)} model runs, {plan.runs} were made")
    ops = _node_times(trace, runs, placements)
    return OpProfile(
        "onnxruntime", runner.version(), threads, plan, sum(r["dur"] for r in runs) / len(runs) / 1e3, ops, _notes(ops)
    )


def _node_times(trace: list[dict], runs: list[dict], placements: dict[str, Placement]) -> tuple[OpTime, ...]:
    """Each node's kernel time per run, over the events that fall inside the profiled runs."""
    spans = [(r["ts"], r["ts"] + r["dur"]) for r in runs]
    totals: dict[str, float] = defaultdict(float)
    kinds: dict[str, tuple[str, str]] = {}
    for event in trace:
        if event.get("cat") != "Node" or not event.get("name", "").endswith(KERNEL):
            continue
        if any(start <= event["ts"] <= end for start, end in spans):
            name = event["name"].removesuffix(KERNEL)
            totals[name] += event["dur"]
            kinds[name] = (event["args"].get("op_name", "?"), event["args"].get("provider", ""))
    unplaced = Placement((), (), "")
    return tuple(
        OpTime(
            kinds[name][0],
            total / len(runs) / 1e3,
            placements.get(name, unplaced).modules,
            (name,),
            kinds[name][1],
            placements.get(name, unplaced).how,
        )
        for name, total in totals.items()
    )


def _notes(ops: tuple[OpTime, ...]) -> tuple[str, ...]:
    fused = [op for op in ops if op.placed == "fused" and len(op.modules) > 1]
    notes = []
    if fused:
        notes.append(
            f"{len(fused)} nodes that ONNX Runtime fused span several modules: each is placed in all of "
            "them, joined by ';' (matched through the optimized graph's inputs and outputs)"
        )
    layout = [op for op in ops if op.placed == "layout"]
    if layout:
        notes.append(
            f"{len(layout)} layout nodes ONNX Runtime inserted are placed with the module whose tensor they move"
        )
    return tuple(notes)

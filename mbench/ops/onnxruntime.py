"""ONNX Runtime: a session like the timed one with profiling on; its trace gives each node's kernel time, op type
and execution provider, and the graph it ran (saved beside the trace) places each node in the source modules
(onnx_graph)."""

from __future__ import annotations

import bisect
import json
from collections import defaultdict

from mbench.artifacts import Artifact
from mbench.measure.passes import Recorder
from mbench.ops.onnx_graph import Placement, place_nodes
from mbench.ops.profile import OpProfile, OpsPlan, OpTime, PassRuns, recorded
from mbench.runners.onnxruntime import OPTIMIZED_MODEL, TRACE

KERNEL = "_kernel_time"


def profile(artifact: Artifact, threads: int, plan: OpsPlan, recorder: Recorder) -> OpProfile:
    import onnx

    with recorded(recorder, artifact, threads, plan) as recording:
        trace = json.loads(recording.path(TRACE).read_text())
        ran = onnx.load(str(recording.path(OPTIMIZED_MODEL)), load_external_data=False)
    placements = place_nodes(onnx.load(str(artifact.path), load_external_data=False), ran)
    runs = [e for e in trace if e.get("cat") == "Session" and e.get("name") == "model_run"][-plan.runs :]
    if len(runs) < plan.runs:
        raise RuntimeError(f"ONNX Runtime's profile holds {len(runs)} model runs, {plan.runs} were made")
    runs_ms = tuple(r["dur"] / 1e3 for r in runs)
    # a tool that timed its runs itself (onnxruntime_perf_test on a phone) leaves them to the trace, CPU time unknown
    seen = recording.runs if recording.runs.wall_ms else PassRuns(runs_ms, ())
    ops = _node_times(trace, runs, placements, seen)
    return OpProfile.of_runs(recording, seen, threads, plan, seen.mean(runs_ms), ops, _notes(ops), runs_ms)


def _node_times(
    trace: list[dict], runs: list[dict], placements: dict[str, Placement], seen: PassRuns
) -> tuple[OpTime, ...]:
    """Each node's kernel time per inference over the kept runs, from the events inside the profiled runs."""
    starts = [r["ts"] for r in runs]
    per_run: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(runs))
    kinds: dict[str, tuple[str, str]] = {}
    for event in trace:
        if event.get("cat") != "Node" or not event.get("name", "").endswith(KERNEL):
            continue
        index = bisect.bisect_right(starts, event["ts"]) - 1
        if index >= 0 and event["ts"] <= runs[index]["ts"] + runs[index]["dur"]:
            name = event["name"].removesuffix(KERNEL)
            per_run[name][index] += event["dur"] / 1e3
            kinds[name] = (event["args"].get("op_name", "?"), event["args"].get("provider", ""))
    unplaced = Placement((), (), "")
    return tuple(
        OpTime(
            kinds[name][0],
            seen.mean(times),
            placements.get(name, unplaced).modules,
            (name,),
            kinds[name][1],
            placements.get(name, unplaced).how,
        )
        for name, times in per_run.items()
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

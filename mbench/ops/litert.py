"""LiteRT: its Python interpreter has no per-operator timing, so the pass runs a ``benchmark_model`` binary (on PATH
here) with ``--enable_op_profiling=true`` and reads its "Run Order" table: per node, its type, its average ms, and
its Name, the node's output tensor, which litert-torch names after the module locations the node came from
(``pkg.Model/pkg.Block_wide/torch.nn.modules.conv.Conv2d_conv``, several joined by ``;;`` where nodes were fused).
Without the binary the pass is a not_run row that says so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

from mbench.artifacts import Artifact, package_versions
from mbench.ops.modules import ROOT
from mbench.ops.profile import OpProfile, OpsPlan, OpTime
from mbench.runners.base import NotRunnableHere

TOOL = "benchmark_model"
RUN_ORDER = "Run Order"
_TABLE_END = re.compile(r"^\s*$|^=+")
_INDEX = re.compile(r";\d*$|:\d+$")


def run_order(text: str) -> list[tuple[str, float, str]]:
    """(node type, avg ms, name) of each node in the last "Run Order" table (the steady-state one; the first covers
    AllocateTensors)."""
    blocks = text.split(RUN_ORDER)
    if len(blocks) < 2:
        return []
    nodes = []
    for line in blocks[-1].splitlines()[2:]:
        fields = [f.strip() for f in line.split("\t") if f.strip()]
        if _TABLE_END.match(line) or len(fields) < 9:
            break
        nodes.append((fields[0], float(fields[3]), "\t".join(fields[8:])))
    return nodes


def tensor_modules(name: str) -> tuple[str, ...]:
    """Module paths from a litert-torch tensor name; () for names that carry no module location."""
    name = _INDEX.sub("", name.strip().strip("[]"))
    found = []
    for location in name.split(";;"):
        segments = location.split("/")
        if len(segments) < 1 or "." not in segments[0] or not segments[0].strip():
            continue
        attributes = [seg.rsplit(".", 1)[-1].partition("_")[2] for seg in segments[1:]]
        found.append(".".join(attributes) if all(attributes) else None)
    return tuple(dict.fromkeys(m if m else ROOT for m in found if m is not None))


def profile(artifact: Artifact, threads: int, plan: OpsPlan) -> OpProfile:
    binary = shutil.which(TOOL)
    if binary is None:
        version = package_versions("ai-edge-litert")["ai-edge-litert"]
        raise NotRunnableHere(
            f"LiteRT's Python interpreter (ai-edge-litert {version}) has no per-operator timing, "
            f"and no {TOOL} binary is on PATH (build or download LiteRT's {TOOL} and put it on "
            "PATH)"
        )
    command = [
        binary,
        f"--graph={artifact.path}",
        f"--num_threads={threads}",
        "--enable_op_profiling=true",
        f"--warmup_runs={plan.warmup_runs}",
        f"--num_runs={plan.runs}",
        "--min_secs=0",
        "--warmup_min_secs=0",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{TOOL} exited {done.returncode}: {(done.stderr or done.stdout)[-500:]}")
    return from_output(done.stdout + done.stderr, threads, plan, time.perf_counter() - started)


def from_output(text: str, threads: int, plan: OpsPlan, seconds: float = 0.0) -> OpProfile:
    nodes = run_order(text)
    if not nodes:
        raise RuntimeError(f"{TOOL} printed no '{RUN_ORDER}' table (was --enable_op_profiling=true taken?)")
    ops = tuple(
        OpTime(kind, ms, tensor_modules(name), (name,), "benchmark_model", "tensor name") for kind, ms, name in nodes
    )
    return OpProfile(
        TOOL,
        "",
        threads,
        plan,
        sum(op.ms for op in ops),
        ops,
        ("per-node times from benchmark_model's Run Order table; modules from the output tensor names",),
        seconds,
    )

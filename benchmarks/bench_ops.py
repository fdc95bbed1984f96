"""Per-operator profiles over the zoo (issue 40): how much of each artifact's operator time reaches a PyTorch module,
how the pass's sums compare with the `latency` of a normal profile, what the pass costs, and, for hed-vgg, what
makes ExecuTorch slower than ONNX Runtime, by module and by operator.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_ops.py [--work /tmp/mbench-ops] [--threads N] [--runs 20]

Converts every real zoo model (the layer micro-benchmarks left out) to ONNX and ExecuTorch (the PyTorch reference is
always written; cached in --work); then, model by model, profiles its artifacts together in interleaved rounds
(`latency`) and runs the ops pass over them as `mbench profile --ops` does, in the same run. For the finding it takes
--finding-passes more passes of hed-vgg's ONNX and ExecuTorch artifacts in turn and compares their medians, by
operator kind and by module. Prints a table per artifact and the finding, and rewrites its section of
benchmarks/RESULTS.md (--skip-measured keeps the models already measured in --work's store).

Per artifact: `placed`, the share of operator time placed in a module (target: at least 95 %); `in blocks`, the
share placed only as part of a delegate block (a delegate call kept whole, or its time outside its operators: placed
in every module the call covers, not in one); `ops (ms)`, the sum of
the operators' mean times; `in ops`, that sum over the pass's whole inference (the rest is the runtime between its
operators); `overhead`, a profiled run over a plain run of the same artifact, alternated in one process (median of 15
pairs: ops_overhead.py); `ops / plain` = in ops x overhead, the operators' sum against a plain run on the same
machine state (target: within 15 %); `latency (ms)` and `ops / latency`, the sum against the profile's `latency` (its
p10 over interleaved rounds, taken minutes before the pass: on a busy machine the two read different machine
states); `ops / mean`, the sum against the timed rounds' mean (`latency_mean`: a mean like the pass's, where the p10
picks the machine's fast phases); `CPU share`, the CPU time the pass's runs got over their wall time (about 1
at one thread on an idle machine); and the pass's cost in seconds (load, warm-up, profiled runs, reading the
profile).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from datetime import datetime, UTC
from pathlib import Path

import pandas as pd

from mbench import models
from mbench.artifacts import find_artifacts
from mbench.devices.inventory import LocalDevice, load_inventory
from mbench.devices.local import LocalRecorder
from mbench.measure.timing import RunPlan
from mbench.models.conv_variants import layer_names
from mbench.ops.modules import DELEGATE_BLOCK, joined, shown_as
from mbench.ops.profile import OpProfile, OpsPlan, profile_ops
from mbench.ops.rows import OP_ATTRIBUTED, OP_MS
from mbench.results import details_of
from mbench.spec import Format
from mbench.store import Store
from mbench.sweep import convert_and_record, ops_and_record, profile_and_record

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ops_overhead import overhead  # noqa: E402  (beside this script)
from results_md import write_section  # noqa: E402

FORMATS = (Format.ONNX, Format.EXECUTORCH)
OPS_FORMATS = (*FORMATS, Format.PYTORCH)
FINDING = "hed-vgg"


def zoo() -> list[str]:
    return [name for name in models.names() if name not in set(layer_names())]


COLUMNS = (
    "placed",
    "in blocks",
    "ops (ms)",
    "in ops",
    "overhead",
    "ops / plain",
    "latency (ms)",
    "ops / latency",
    "ops / mean",
    "CPU share",
    "pass (s)",
)


def artifact_table(rows: pd.DataFrame, overheads: dict[tuple[str, str], float]) -> str:
    """One line per artifact (module docstring): what was placed, the operators' sum against a plain run and against
    `latency`, the CPU the pass got, and its cost."""
    timed = rows[rows.status == "ok"].set_index(["model", "format"])
    latency, mean = timed[timed.metric == "latency"].value, timed[timed.metric == "latency_mean"].value
    lines = [f"| model | format | runtime | {' | '.join(COLUMNS)} |", "|---" * (3 + len(COLUMNS)) + "|"]
    ops = rows[rows.metric == OP_MS]
    blocks = ops[ops.details.map(lambda d: DELEGATE_BLOCK in details_of(d).get("placed", ""))]
    in_blocks = blocks.groupby(["model", "format"]).value.sum()
    for r in rows[rows.metric == OP_ATTRIBUTED].sort_values(["model", "format"]).itertuples():
        d, extra = details_of(r.details), overheads.get((r.model, r.format))
        timed, timed_mean = latency.get((r.model, r.format)), mean.get((r.model, r.format))
        in_ops = d["ops_ms"] / d["run_ms"] if d.get("run_ms") else None
        blocked = in_blocks.get((r.model, r.format), 0.0) / d["ops_ms"] if d.get("ops_ms") else None
        cells = [f"{r.value:.1%}", f"{_num(blocked and 100 * blocked, 1)} %", _num(d.get("ops_ms")), _num(in_ops, 3),
                 _num(extra, 3), _num(in_ops * extra if in_ops and extra else None, 3), _num(timed),
                 _num(d["ops_ms"] / timed if timed and d.get("ops_ms") else None),
                 _num(d["ops_ms"] / timed_mean if timed_mean and d.get("ops_ms") else None), _num(d.get("cpu_share")),
                 _num(d.get("pass_seconds"), 1)]  # fmt: skip
        lines.append(f"| {r.model} | {r.format} | {r.runtime} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _num(x, digits: int = 2) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.{digits}f}"


KINDS = {
    "Conv": "convolution",
    "Convolution": "convolution",
    "Fully Connected": "convolution",
    "ConvTranspose": "transposed convolution",
    "Deconvolution": "transposed convolution",
    "MaxPool": "max pool",
    "Max Pooling": "max pool",
    "Concat": "concatenation",
    "Copy": "concatenation",
    "ReorderInput": "layout change",
    "ReorderOutput": "layout change",
    "Transpose": "layout change",
}


def kind(op_type: str) -> str:
    """A common name for an ONNX Runtime node type and an XNNPACK operator (``Convolution (NHWC, F32) IGEMM``)."""
    if "outside its operators" in op_type:
        return "delegate, outside its operators"
    return KINDS.get(op_type.split(" (")[0], op_type)


def finding_passes(artifacts: list, threads: int, count: int, runs: int) -> dict[str, list[OpProfile]]:
    """``count`` ops passes of each artifact, taken in turn (ONNX, ExecuTorch, ONNX, ...) so that the machine's
    slow phases fall on both alike."""
    found: dict[str, list[OpProfile]] = {a.format.value: [] for a in artifacts}
    recorder = LocalRecorder(timeout_s=900)  # an agent per pass, as `mbench profile --ops` runs it
    for _ in range(count):
        for artifact in artifacts:
            found[artifact.format.value].append(
                profile_ops(artifact, threads, OpsPlan(warmup_runs=3, runs=runs), recorder)
            )
    return found


def _median_by(profiles: list[OpProfile], key) -> pd.Series:
    """Per key (of an operator), the median over passes of its ms per inference."""
    per_pass = [
        pd.Series([op.ms for op in p.ops], index=[key(op) for op in p.ops]).groupby(level=0).sum() for p in profiles
    ]
    return pd.concat(per_pass, axis=1).fillna(0).median(axis=1)


def finding(passes: dict[str, list[OpProfile]], model: str = FINDING) -> str:
    """ExecuTorch against ONNX Runtime on ``model``, medians over the passes: by operator kind, then by module."""
    et, ort = passes.get("executorch", []), passes.get("onnx", [])
    if not et or not ort:
        return f"{model}: no passes of both its ONNX and ExecuTorch artifacts were taken"
    ratios = [e.ops_ms / o.ops_ms for e, o in zip(et, ort)]
    shares = [p.cpu_share for p in et + ort if p.cpu_share is not None]
    lines = [
        f"{model}, {len(et)} passes of each taken in turn: operators ExecuTorch "
        f"{statistics.median(p.ops_ms for p in et):.2f} ms against ONNX Runtime "
        f"{statistics.median(p.ops_ms for p in ort):.2f} ms (median); ExecuTorch / ONNX Runtime per pair of "
        f"passes {', '.join(f'{r:.2f}' for r in ratios)}; CPU share of the runs "
        f"{min(shares):.2f}-{max(shares):.2f}.",
        "",
    ]
    for title, key in (
        ("operator kind", lambda op: kind(op.op_type)),
        ("module (primary)", lambda op: shown_as(joined(op.modules), joined(op.placed))),
    ):
        table = pd.DataFrame({"executorch": _median_by(et, key), "onnx": _median_by(ort, key)}).fillna(0)
        table["gap"] = table.executorch - table.onnx
        table = table.sort_values("gap", ascending=False)
        shown = table if len(table) <= 12 else pd.concat([table.head(8), table.tail(4)])
        lines += [f"| {title} | executorch (ms) | onnx (ms) | gap (ms) |", "|---|---|---|---|"]
        lines += [f"| {name} | {r.executorch:.2f} | {r.onnx:.2f} | {r.gap:+.2f} |" for name, r in shown.iterrows()]
        lines.append("")
    return "\n".join(lines)


def measured(store: Store) -> dict[str, str]:
    """The newest run of each model this script measured into ``store``."""
    runs = store.runs()
    mine = runs[runs.command.str.startswith("bench_ops profile ")]
    return {command.removeprefix("bench_ops profile "): run for command, run in zip(mine.command, mine.run_id)}


def measure(store: Store, artifacts: Path, inventory, name: str, threads: int, args) -> str:
    """One model's artifacts: timed together in interleaved rounds, then the ops pass, as one run; its id."""
    run_id, _ = profile_and_record(
        artifacts,
        "host",
        inventory,
        store,
        RunPlan(runs=20, max_seconds=args.max_seconds, processes=1),
        threads,
        [name],
        command=f"bench_ops profile {name}",
    )
    ops_and_record(
        artifacts,
        "host",
        inventory,
        store,
        run_id,
        threads,
        [name],
        OpsPlan(warmup_runs=3, runs=args.runs),
        on_result=lambda a, rows: print(
            f"ops {a.model} {a.format.value}: {rows[-1].status.value}", file=sys.stderr, flush=True
        ),
    )
    return run_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mbench-ops"))
    parser.add_argument("--threads", type=int, help="runtime threads [default: mbench's host default]")
    parser.add_argument("--runs", type=int, default=20, help="profiled runs of the ops pass per artifact")
    parser.add_argument("--models", nargs="*", help="models [default: the zoo without the layer micro-benchmarks]")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="timed rounds' budget per artifact")
    parser.add_argument("--finding-passes", type=int, default=5, help="ops passes of each hed-vgg artifact")
    parser.add_argument(
        "--skip-measured",
        action="store_true",
        help="keep the newest measurement of each model already in --work's store",
    )
    args = parser.parse_args()
    names = args.models or zoo()
    args.work.mkdir(parents=True, exist_ok=True)
    threads = args.threads or LocalDevice(kind="local").thread_count()
    (args.work / "devices.yaml").write_text(f"devices:\n  host:\n    kind: local\n    threads: {threads}\n")
    inventory = load_inventory(args.work / "devices.yaml")
    with Store(args.work / "results.db") as store:
        convert_and_record(
            [models.get(m) for m in names], list(FORMATS), args.work / "artifacts", store, command="bench_ops convert"
        )
        done = measured(store) if args.skip_measured else {}
        runs = [
            done.get(name) or measure(store, args.work / "artifacts", inventory, name, threads, args) for name in names
        ]
        rows = store.measurements()
    rows = rows[rows.run_id.isin(runs)]
    artifacts = [a for a in find_artifacts(args.work / "artifacts") if a.model in names]
    overheads = {(a.model, a.format.value): overhead(a, threads) for a in artifacts if a.format in OPS_FORMATS}
    table = artifact_table(rows, overheads)
    pair = [a for a in artifacts if a.model == FINDING and a.format in FORMATS]
    passes = finding_passes(
        sorted(pair, key=lambda a: a.format.value != "onnx"), threads, args.finding_passes, args.runs
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            "## Where the time goes: per-operator profiles over the zoo (`benchmarks/bench_ops.py`)",
            "",
            f"Host: {platform.node()}, {platform.machine()}, {os.cpu_count()} cores, threads {threads}; per model, "
            f"its artifacts timed together in interleaved rounds (one agent each, at least 20 runs, budget "
            f"{args.max_seconds:g} s), then the ops pass in the same run ({args.runs} profiled runs after 3 warm-up "
            f"runs per artifact); load average {os.getloadavg()[0]:.1f} at the end; {when}.",
            "",
            table,
            "",
            finding(passes),
        ]
    )
    print(text)
    write_section("ops", text)


if __name__ == "__main__":
    main()

"""Per-operator profiles over the zoo (issue 40): how much of each artifact's operator time reaches a PyTorch module,
how the pass's sums compare with the `latency` of a normal profile, what the pass costs, and, for hed-vgg, what makes
ExecuTorch slower than ONNX Runtime, by module and by operator.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_ops.py [--work /tmp/mbench-ops] [--threads N] [--runs 20]

Converts every real zoo model (the layer micro-benchmarks left out) to ONNX and ExecuTorch (the PyTorch reference is
always written; cached in --work); then, model by model, profiles its artifacts together in interleaved rounds
(`latency`) and runs the ops pass over them as `mbench profile --ops` does, in the same run. Prints a table per
artifact and the hed-vgg finding, and rewrites its section of benchmarks/RESULTS.md.

Per artifact: `placed`, the share of operator time placed in a module (target: at least 95 %); `ops / latency`, the
sum of the operators' mean times over the profile's `latency` (its p10 estimate over rounds; target: within 15 %);
`p10 / latency`, the pass's own whole-inference p10 over `latency`, the profiler's overhead at the same statistic;
`CPU share`, the CPU time the pass's runs got over their wall time (about 1 at one thread on an idle machine), and
`ops x share / latency`, the operators' sum scaled by it, an estimate of the sum the pass would read on an idle
machine; and the pass's cost in seconds (load, warm-up, profiled runs, reading the profile).
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
from mbench.devices.inventory import LocalDevice, load_inventory
from mbench.measure.timing import RunPlan
from mbench.models.conv_variants import layer_names
from mbench.ops.profile import OpsPlan
from mbench.ops.rows import OP_ATTRIBUTED, OP_MS
from mbench.ops.view import module_times, newest_passes
from mbench.results import details_of
from mbench.spec import Format
from mbench.store import Store
from mbench.sweep import convert_and_record, ops_and_record, profile_and_record

FORMATS = (Format.ONNX, Format.EXECUTORCH)
FINDING = "hed-vgg"


def zoo() -> list[str]:
    return [name for name in models.names() if name not in set(layer_names())]


def artifact_table(rows: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """One line per artifact: placed share, operators' sum and the pass's p10 against `latency`, the pass's cost."""
    latency = rows[(rows.metric == "latency") & (rows.status == "ok")].set_index(["model", "format"]).value
    summary = rows[rows.metric == OP_ATTRIBUTED]
    found = []
    for r in summary.itertuples():
        d, timed = details_of(r.details), latency.get((r.model, r.format))
        p10 = statistics.quantiles(d["runs_ms"], n=10)[0] if len(d.get("runs_ms", [])) >= 2 else None
        found.append(
            {
                "model": r.model,
                "format": r.format,
                "runtime": r.runtime,
                "status": r.status,
                "placed": r.value,
                "ops_ms": d.get("ops_ms"),
                "latency_ms": timed,
                "ops_ratio": d["ops_ms"] / timed if timed and d.get("ops_ms") else None,
                "p10_ratio": p10 / timed if timed and p10 else None,
                "share": d.get("cpu_share"),
                "pass_s": d.get("pass_seconds"),
            }
        )
    frame = pd.DataFrame(found).sort_values(["model", "format"])
    lines = [
        "| model | format | runtime | placed | ops (ms) | latency (ms) | ops / latency | p10 / latency "
        "| CPU share | ops x share / latency | pass (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in frame.itertuples():
        scaled = r.ops_ratio * r.share if r.ops_ratio and r.share else None
        cells = [
            _pct(r.placed),
            _num(r.ops_ms),
            _num(r.latency_ms),
            _ratio(r.ops_ratio),
            _ratio(r.p10_ratio),
            _ratio(r.share),
            _ratio(scaled),
            _num(r.pass_s, 1),
        ]
        lines.append(f"| {r.model} | {r.format} | {r.runtime} | " + " | ".join(cells) + " |")
    return "\n".join(lines), frame


def _pct(x) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.1%}"


def _num(x, digits: int = 2) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.{digits}f}"


def _ratio(x) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.2f}"


def finding(rows: pd.DataFrame, model: str = FINDING) -> str:
    """ExecuTorch against ONNX Runtime on ``model``: the modules and the operator kinds that make up the gap."""
    passes = newest_passes(rows[rows.model == model])
    if passes.empty:
        return f"no ops pass of {model}"
    times = module_times(passes).pivot_table(index="module", columns="format", values="ms", aggfunc="sum").fillna(0)
    if not {"onnx", "executorch"} <= set(times.columns):
        return f"{model}: no pass of both ONNX Runtime and ExecuTorch"
    gap = (times.executorch - times.onnx).sort_values(ascending=False)
    ops = passes[(passes.metric == OP_MS) & (passes.status == "ok")]
    kinds = ops.groupby(["format", "op_type"]).value.sum().sort_values(ascending=False)
    lines = [
        f"{model}: ExecuTorch {times.executorch.sum():.2f} ms of operators against ONNX Runtime "
        f"{times.onnx.sum():.2f} ms (gap {times.executorch.sum() - times.onnx.sum():+.2f} ms).",
        "",
        "| module | executorch (ms) | onnx (ms) | gap (ms) |",
        "|---|---|---|---|",
    ]
    for module in list(gap.index[:8]) + list(gap.index[-3:]):
        lines.append(f"| {module} | {times.executorch[module]:.2f} | {times.onnx[module]:.2f} | {gap[module]:+.2f} |")
    lines += ["", "| runtime | operator | ms |", "|---|---|---|"]
    for fmt in ("executorch", "onnx"):
        for op_type, ms in kinds[fmt].head(6).items():
            lines.append(f"| {fmt} | {op_type} | {ms:.2f} |")
    return "\n".join(lines)


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
        runs = [measure(store, args.work / "artifacts", inventory, name, threads, args) for name in names]
        rows = store.measurements()
    rows = rows[rows.run_id.isin(runs)]
    table, _ = artifact_table(rows)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            "## Where the time goes: per-operator profiles over the zoo (`benchmarks/bench_ops.py`)",
            "",
            f"Host: {platform.node()}, {platform.machine()}, {os.cpu_count()} cores, threads {threads}; per model, its "
            f"artifacts timed together in interleaved rounds (one agent each, at least 20 runs, budget "
            f"{args.max_seconds:g} s), then the ops pass in the same run ({args.runs} profiled runs after 3 "
            f"warm-up runs per artifact); load average {os.getloadavg()[0]:.1f} at the end; {when}.",
            "",
            table,
            "",
            finding(rows),
        ]
    )
    print(text)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from results_md import write_section  # noqa: E402  (beside this script)

    write_section("ops", text)


if __name__ == "__main__":
    main()

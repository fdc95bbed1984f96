"""ExecuTorch (.pte, XNNPACK) against ONNX Runtime and LiteRT on both HED models, fp32 and int8, same threads.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_executorch.py [--work /tmp/mbench-et] [--threads N] [--runs 30]

Converts through mbench's own pipeline (cached in --work), then profiles every artifact together through
``mbench.sweep.profile_and_record`` (so it inherits however mbench orders multi-artifact profiles, interleaved
rounds included) and prints a markdown table of size, parity, conversion seconds and latency. Budgets are modest
on purpose. Rewrites its own section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import datetime, UTC
from pathlib import Path

from mbench import models
from mbench.convert.pipeline import ConvertSettings
from mbench.devices.inventory import LocalDevice, load_inventory
from mbench.measure.timing import RunPlan
from mbench.spec import Format, Precision
from mbench.store import Store
from mbench.sweep import convert_and_record, profile_and_record

MODELS = ("hed-vgg", "hed-mobilenetv2")
FORMATS = (Format.ONNX, Format.TFLITE, Format.EXECUTORCH)
PRECISIONS = (Precision.FP32, Precision.INT8)
METRICS = ("size", "convert_time", "parity_max_abs", "latency", "latency_median", "latency_p90")


def table(rows) -> str:
    latest = rows.sort_values("id").groupby(["model", "format", "precision", "metric"]).tail(1)
    wide = latest.pivot_table(
        index=["model", "format", "precision"], columns="metric", values="value", aggfunc="last"
    ).reindex(columns=list(METRICS))
    lines = [
        "| model | format | precision | size (MB) | convert (s) | parity max abs | latency (ms) | median (ms) "
        "| p90 (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (model, fmt, precision), r in wide.iterrows():
        cells = [
            f"{r['size'] / 1e6:.2f}",
            f"{r['convert_time']:.1f}",
            f"{r['parity_max_abs']:.2g}",
            f"{r['latency']:.2f}",
            f"{r['latency_median']:.2f}",
            f"{r['latency_p90']:.2f}",
        ]
        lines.append(f"| {model} | {fmt} | {precision} | " + " | ".join(c.replace("nan", "-") for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mbench-et"))
    parser.add_argument(
        "--threads", type=int, help="runtime threads [default: mbench's host default, every CPU but one]"
    )
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    args.threads = args.threads or LocalDevice(kind="local").thread_count()
    (args.work / "devices.yaml").write_text(f"devices:\n  host:\n    kind: local\n    threads: {args.threads}\n")
    plan = RunPlan(warmup_runs=5, warmup_seconds=0.5, runs=args.runs, min_seconds=1.0, max_seconds=60.0)
    with Store(args.work / "results.db") as store:
        before = store.measurements().id.max()  # this run's rows only: an older success never fills a new failure
        convert_and_record(
            [models.get(m) for m in MODELS],
            list(FORMATS),
            args.work / "artifacts",
            store,
            ConvertSettings(PRECISIONS),
            command="bench_executorch convert",
        )
        profile_and_record(
            args.work / "artifacts",
            "host",
            load_inventory(args.work / "devices.yaml"),
            store,
            plan,
            args.threads,
            list(MODELS),
            command="bench_executorch profile",
        )
        rows = store.measurements()
    rows = rows[rows.format.isin([f.value for f in FORMATS]) & ~(rows.id <= before)]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            "## ExecuTorch (.pte, XNNPACK) against ONNX Runtime and LiteRT (`benchmarks/bench_executorch.py`)",
            "",
            f"Host: {platform.node()}, {platform.machine()}, {os.cpu_count()} cores, threads {args.threads}, "
            f"{args.runs}+ runs per artifact, measured together in interleaved rounds; load average "
            f"{os.getloadavg()[0]:.1f} at the end; {when}.",
            "",
            table(rows),
        ]
    )
    print(text)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from results_md import write_section  # noqa: E402  (beside this script)

    write_section("executorch", text)


if __name__ == "__main__":
    main()

"""Parity in dB and the task verdict of every HED artifact: both models on ONNX Runtime, LiteRT and ExecuTorch at
fp32, fp16 and int8.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_parity.py [--work /tmp/mbench-parity] [--docs 200]

Converts through mbench's own pipeline (cached in --work: parity, PSNR included, is measured at conversion), writes
the document data (`mbench data docs --n 200 --seed 1`, as `make demo`: 20 test documents), scores every artifact on
its test split at 9 thresholds, and prints two markdown tables: max |Δ| and PSNR against fp32 PyTorch, and ODS F
with its difference from fp32 of the same runtime, the resolution of that difference (a paired bootstrap over the
documents) and the Precision section's verdict. Rewrites its own section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import datetime, UTC
from pathlib import Path

import pandas as pd

from mbench import models
from mbench.accuracy.evaluate import evaluate_and_record
from mbench.accuracy.resolution import compare
from mbench.convert.pipeline import ConvertSettings
from mbench.data.docs import write_dataset
from mbench.host import cpu_features, cpu_model
from mbench.report.precision import compare_precisions
from mbench.spec import Format, Precision
from mbench.store import Store, latest_rows
from mbench.sweep import convert_and_record

MODELS = ("hed-vgg", "hed-mobilenetv2")
FORMATS = (Format.ONNX, Format.TFLITE, Format.EXECUTORCH)
PRECISIONS = (Precision.FP32, Precision.FP16, Precision.INT8)
RUNTIMES = {"onnx": "ONNX Runtime", "tflite": "LiteRT", "executorch": "ExecuTorch"}


def _db(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:.1f}"


def parity_table(frame: pd.DataFrame) -> str:
    """PSNR in dB (max |Δ|) per model and precision, a column per runtime."""
    lines = ["| model | precision | " + " | ".join(RUNTIMES.values()) + " |", "|---|---|---|---|---|"]
    for (model, precision), group in frame[frame.format != "pytorch"].groupby(
        ["model", "precision"], observed=True, sort=False
    ):
        by = group.set_index("format")
        cells = [f"{_db(by.psnr_db[f])} dB ({by.parity[f]:.2g})" if f in by.index else "-" for f in RUNTIMES]
        lines.append(f"| {model} | {precision} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def task_table(frame: pd.DataFrame) -> str:
    """ODS F, its difference from fp32 of the same runtime with the resolution, and the verdict's first words."""
    lines = [
        "| model | runtime | precision | ODS F | Δ vs fp32 | resolution | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in frame[(frame.precision != "fp32") & (frame.format != "pytorch")].itertuples():
        lines.append(
            f"| {r.model} | {RUNTIMES[r.format]} | {r.precision} | {r.task_score:.4f} | {r.task_delta:+.4f} | "
            f"{r.resolution:.4f} | {r.verdict.split(':')[0]} |"
        )
    return "\n".join(lines)


def fp32_table(frame: pd.DataFrame) -> str:
    """Each runtime's fp32 ODS F against fp32 PyTorch's: a tie or a difference beyond the resolution."""
    lines = ["| model | runtime | ODS F | PyTorch | against PyTorch |", "|---|---|---|---|---|"]
    for model, group in frame[frame.precision == "fp32"].groupby("model"):
        reference = group[group.format == "pytorch"].iloc[0]
        for r in group[group.format != "pytorch"].itertuples():
            versus = compare("ods_f", (r.task_score, r.task_details), (reference.task_score, reference.task_details))
            lines.append(
                f"| {model} | {RUNTIMES[r.format]} | {r.task_score:.4f} | {reference.task_score:.4f} | "
                f"{versus.text()} |"
            )
    return "\n".join(lines)


def measure(work: Path, documents: int) -> pd.DataFrame:
    """Convert (cached), write the data, score every artifact; the Precision section's frame of the newest rows."""
    with Store(work / "results.db") as store:
        convert_and_record(
            [models.get(m) for m in MODELS],
            list(FORMATS),
            work / "artifacts",
            store,
            ConvertSettings(PRECISIONS),
            command="bench_parity convert",
        )
        if not (work / "docs" / "test" / "corners.json").is_file():
            write_dataset(work / "docs", documents, seed=1)
        evaluate_and_record(work / "artifacts", work / "docs", store, levels=9, command="bench_parity evaluate")
        rows = latest_rows(store.measurements())
    frame = compare_precisions(rows[rows.model.isin(MODELS)])
    frame = frame[frame.format.isin([*RUNTIMES, "pytorch"])].drop_duplicates(["model", "format", "precision"])
    return frame.sort_values(["model", "precision", "format"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mbench-parity"))
    parser.add_argument("--docs", type=int, default=200, help="documents to generate (a tenth are the test split)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    frame = measure(args.work, args.docs)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            "## Parity in dB and the task verdict of every HED artifact (`benchmarks/bench_parity.py`)",
            "",
            f"Host: {platform.node()}, {platform.machine()}, {os.cpu_count()} cores ({cpu_model()}: {cpu_features()}); "
            "parity over 4 seeded inputs "
            f"and 2 document photos; ODS F on {args.docs // 10} test documents at 9 thresholds; {when}.",
            "",
            "PSNR against fp32 PyTorch (max |Δ| in brackets):",
            "",
            parity_table(frame),
            "",
            "ODS F against fp32 of the same runtime:",
            "",
            task_table(frame),
            "",
            "fp32 ODS F against fp32 PyTorch's (resolution: 1.96 x the standard deviation of the paired bootstrap "
            "difference over the documents):",
            "",
            fp32_table(frame),
        ]
    )
    print(text)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from results_md import write_section  # noqa: E402  (beside this script)

    write_section("parity", text)


if __name__ == "__main__":
    main()

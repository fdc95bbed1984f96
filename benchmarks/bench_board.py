"""The HED pair on the emulated arm64 board (issue 41; `make board` first, as root): fp32 and int8 ONNX, TFLite and
ExecuTorch artifacts profiled on the board with a few runs, and evaluated there and on this host on the same
documents. Prints, and writes to its section of RESULTS.md, per artifact: the runtime and version that ran it on
the board, its latency under emulation beside this host's, its parity with PyTorch on the board beside the
conversion's (this host), and its ODS F on the board beside this host's.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_board.py --docs 5 --runs 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
BOARD = "arm64-board"
FEW = [
    "--warmup-runs",
    "1",
    "--warmup-seconds",
    "0",
    "--min-seconds",
    "0",
    "--processes",
    "1",
    "--target-ci",
    "0",
    "--max-seconds",
    "5",
]


def mbench(*argv: str) -> float:
    """One mbench command in this process; its wall time in seconds."""
    from mbench.cli import main

    started = time.perf_counter()
    try:
        main(list(argv), standalone_mode=False)
    except SystemExit as done:
        if done.code not in (0, None):
            raise
    return time.perf_counter() - started


CONVERT = ["hed-vgg", "hed-mobilenetv2", "--to", "onnx,tflite,executorch", "--precision", "fp32,int8"]


def measure(work: Path, artifacts: Path | None, docs: int, runs: int) -> tuple[pd.DataFrame, dict]:
    from mbench.data.docs import write_dataset
    from mbench.store import Store

    data, db, seconds = work / "docs", str(work / "board.db"), {}
    if not (data / "test").is_dir():
        write_dataset(data, docs * 10, seed=1, size=256)  # a tenth of the documents are the test split
    if artifacts is None:
        artifacts = work / "artifacts"
        seconds["convert (cached after the first)"] = mbench("convert", *CONVERT, "--out", str(artifacts), "--db", db)
    seconds["profile on the board"] = mbench(
        "profile", str(artifacts), "--device", BOARD, "--runs", str(runs), *FEW, "--db", db
    )
    seconds["profile here"] = mbench("profile", str(artifacts), "--runs", str(runs), *FEW, "--db", db)
    for where in (BOARD, "host"):
        seconds[f"evaluate on {where}"] = mbench(
            "evaluate", str(artifacts), "--data", str(data), "--device", where, "--limit", str(docs), "--db", db
        )
    with Store(db) as store:
        return store.measurements(), seconds


def parity_here(artifacts: Path) -> list:
    """The board's parity measurement (accuracy/device_parity.py) made on this host with its own runtimes, so both
    columns compare the same inputs with the same PyTorch outputs."""
    from mbench.accuracy.device_parity import device_parity
    from mbench.artifacts import find_artifacts
    from mbench.results import Context, RowKey
    from mbench.runners.base import runner_for

    rows = []
    for artifact in (a for a in find_artifacts(artifacts) if a.format.value in ("onnx", "tflite", "executorch")):
        runner = runner_for(artifact.format)
        runner.load(artifact, threads=1)
        rows += device_parity(artifact, runner, RowKey.of(artifact, "host"), Context())
        runner.close()
    return rows


def parity_row(row) -> dict:
    return dict(
        id=float("inf"),
        model=row.model,
        format=row.format,
        precision=row.precision,
        device=row.device,
        metric=row.metric,
        value=row.value,
        status=row.status.value,
        runtime="",
        runtime_version="",
        error="",
    )


def table(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per artifact: the board's runtime, latency there and here, parity and ODS F there and here."""
    rows = rows.sort_values("id").groupby(["model", "format", "precision", "device", "metric"]).tail(1)
    ok = rows[rows.status == "ok"].pivot_table(
        index=["model", "format", "precision"], columns=["metric", "device"], values="value", aggfunc="last"
    )
    board = rows[(rows.device == BOARD) & (rows.metric == "latency")].set_index(["model", "format", "precision"])
    runtime = (board.runtime + " " + board.runtime_version).where(board.status == "ok", board.error.str[:60])
    frame = pd.DataFrame(
        {
            "board runtime": runtime,
            "board ms (emulated)": ok.get(("latency", BOARD)),
            "host ms": ok.get(("latency", "host")),
            "parity here": ok.get(("device_parity_max_abs", "host")),
            "parity on board": ok.get(("device_parity_max_abs", BOARD)),
            "ODS F here": ok.get(("ods_f", "host")),
            "ODS F on board": ok.get(("ods_f", BOARD)),
        }
    )
    frame["ODS F Δ"] = frame["ODS F on board"] - frame["ODS F here"]
    return frame.reset_index().sort_values(["format", "model", "precision"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("build/bench_board"), help="artifacts, data and results")
    parser.add_argument("--artifacts", type=Path, help="the HED pair's artifacts, already converted")
    parser.add_argument("--docs", type=int, default=5, help="test documents scored on the board and here")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per artifact (emulation: about 270x slower)")
    parser.add_argument("--reuse", action="store_true", help="the figures stored by an earlier run in --work")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.reuse:
        from mbench.store import Store

        with Store(args.work / "board.db") as store:
            rows, seconds = store.measurements(), {}
    else:
        rows, seconds = measure(args.work, args.artifacts, args.docs, args.runs)
    rows = pd.concat(
        [rows, pd.DataFrame([parity_row(m) for m in parity_here(args.artifacts or args.work / "artifacts")])]
    )
    text = "\n".join(
        [
            f"### The HED pair on the emulated arm64 board ({args.docs} documents, {args.runs}+ runs)",
            "",
            table(rows).to_markdown(index=False, floatfmt=".4g"),
        ]
        + (["", "Wall time: " + "; ".join(f"{k} {v:.0f} s" for k, v in seconds.items()) + "."] if seconds else [])
    )
    print(text)
    print(json.dumps(seconds))
    if not args.no_write:
        from results_md import write_section  # noqa: E402  (beside this script)

        write_section("bench_board", text)


if __name__ == "__main__":
    main()

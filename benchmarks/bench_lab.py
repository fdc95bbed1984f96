"""The zoo sweep (onnx + tflite fp32, measured on host) with the in-process executor against Ray on this machine.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_lab.py [--models a,b,...] [--work /tmp/mbench-lab-bench]

Each executor starts cold in its own folder (no conversion cache shared). Printed and written to
benchmarks/RESULTS.md ("Lab on Ray" section): conversion-phase wall time, total wall time, the speed-up.
Ray's start (``ray.init``) is timed apart and not in the sweep's figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import datetime, UTC
from pathlib import Path

from mbench import models
from mbench.sweep.ray import start_ray, run_sweep_ray
from mbench.store import Store
from mbench.sweep import run_sweep
from mbench.sweep.config import load_sweep_config

HEADING = "## Lab on Ray: zoo sweep, in-process against Ray"
PROFILE = "{runs: 10, min_seconds: 0.2, warmup_seconds: 0, target_ci: 0, threads: 1}"


def _config(folder: Path, names: list[str]):
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n    threads: 1\n")
    (folder / "sweep.yaml").write_text(
        f"models: [{', '.join(names)}]\nformats: [onnx, tflite]\nprecisions: [fp32]\ndevices: [host]\n"
        f"out: art\ndb: results.db\ninventory: devices.yaml\nprofile: {PROFILE}\naccuracy: null\n"
    )
    return load_sweep_config(folder / "sweep.yaml")


def _timed(sweep, config) -> tuple[float, float, int]:
    """(conversion phase s, total s, failed conversions) of one cold sweep."""
    marks, started = {}, time.perf_counter()

    def step(s) -> None:
        if s.what.startswith("convert"):
            marks["converted"] = time.perf_counter()
            marks["failed"] = marks.get("failed", 0) + (s.outcome == "failed")

    with Store(config.db) as store:
        sweep(config, store, step)
    return marks["converted"] - started, time.perf_counter() - started, marks.get("failed", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(models.names()), help="comma-separated (default: every model)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/mbench-lab-bench"))
    args = parser.parse_args()
    names = args.models.split(",")
    local = _timed(run_sweep, _config(args.work / "local", names))
    began = time.perf_counter()
    start_ray(None, ["host"])
    ray_start = time.perf_counter() - began
    lab = _timed(run_sweep_ray, _config(args.work / "ray", names))
    table = _table(names, local, lab, ray_start)
    print(table)
    _write(table)


def _table(names, local, lab, ray_start) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        f"| {what} | {a:.1f} s | {b:.1f} s | x{a / b:.2f} |"
        for what, a, b in (("conversion phase", local[0], lab[0]), ("whole sweep", local[1], lab[1]))
    ]
    return "\n".join(
        [
            HEADING,
            "",
            f"{when}, {os.cpu_count()} cores, {len(names)} models x (pytorch + onnx + tflite) fp32, measured on host "
            f"(profile {PROFILE}; accuracy not scored); failed conversions: in-process {local[2]}, Ray {lab[2]}; "
            f"Ray start {ray_start:.1f} s "
            "(not counted). Models: " + ", ".join(names) + ".",
            "",
            "| phase | in-process | Ray | speed-up |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def _write(table: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from results_md import write_section  # noqa: E402  (beside this script)

    write_section("lab", table)


if __name__ == "__main__":
    main()

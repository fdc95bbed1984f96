"""Measure mbench itself on this host and print a markdown table (also its section of benchmarks/RESULTS.md).

    .venv/bin/python benchmarks/bench_mbench.py [--work /tmp/mbench-bench] [--threads 2]

(a) overhead: mbench's reported median against a bare loop over the same onnxruntime session / LiteRT
    interpreter in this process (goal <= 2 %);
(b) repeatability: two back-to-back profiles of the same artifacts (goal: medians within 3 %);
(c) the HED sweep as `mbench run` (convert both HED models to three formats, profile, report) cold and again
    cached, where conversions are reused and finished profiles resumed (goals <= 5 min cold, <= 30 s cached);
(d) each HED artifact's achieved GFLOP/s against this host's fp32 matmul rate measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, UTC
from pathlib import Path

from mbench import models
from mbench.artifacts import find_artifacts
from mbench.devices.inventory import load_inventory
from mbench.measure.timing import RunPlan, enough, timed, warm_up
from mbench.models.facts import model_facts
from mbench.devices.profile import profile_each
from mbench.runners.base import runner_for, seeded_inputs
from mbench.spec import Format

ROUNDS = 3
ROOT = Path(__file__).resolve().parents[1]


def mbench(*args: str, cwd: Path) -> float:
    """Run the mbench CLI as a user would; returns wall seconds."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from mbench.cli import main; main()", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


SWEEP = """models: [hed-vgg, hed-mobilenetv2]
formats: [onnx, coreml, tflite]
devices: [host]
"""


def sweep(work: Path) -> float:
    (work / "sweep.yaml").write_text(SWEEP)
    return mbench("run", "sweep.yaml", "--quiet", cwd=work)


def mbench_medians(artifacts, threads: int, plan: RunPlan) -> dict[tuple[str, str], float]:
    device = load_inventory(ROOT / "devices.yaml").get("host")
    medians = {}
    for artifact, profile in profile_each(artifacts, "host", device, plan, threads):
        if profile.samples:
            medians[(artifact.model, artifact.format.value)] = statistics.median(profile.samples[0].values_ms)
    return medians


def bare_median(artifact, threads: int, plan: RunPlan) -> float:
    runner = runner_for(artifact.format)
    runner.load(artifact, threads)
    inputs = seeded_inputs(artifact.inputs, seed=1)
    step = lambda: runner.run(inputs)  # noqa: E731
    warm_up(step, plan)
    samples, started = [], time.perf_counter()
    while len(samples) % 10 or not enough(samples, time.perf_counter() - started, plan):
        samples.append(timed(step))
    return statistics.median(samples)


def matmul_gflops(threads: int, n: int = 1024, repeats: int = 20) -> float:
    import torch

    torch.set_num_threads(threads)
    a, b = torch.rand(n, n), torch.rand(n, n)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * n**3 / statistics.median(times) / 1e9


def pct(a: float, b: float) -> str:
    return f"{(a / b - 1) * 100:+.1f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mbench-bench"))
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="runtime threads for (a), (b), (d) [default: 1, the steadiest on a small shared machine]",
    )
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    shutil.copy(ROOT / "devices.yaml", args.work / "devices.yaml")
    lines = [
        "## mbench itself: sweep time, overhead, achieved compute (`benchmarks/bench_mbench.py`)",
        "",
        f"Host: {platform.node()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{args.threads} threads; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
    ]
    lines += sweep_lines(args.work)
    artifacts = [a for a in find_artifacts(args.work / "artifacts") if a.format in (Format.ONNX, Format.TFLITE)]
    medians, overhead = overhead_lines(artifacts, args.threads)
    lines += overhead + gflops_lines(artifacts, medians, args.threads)
    text = "\n".join(lines) + "\n"
    print(text)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from results_md import write_section  # noqa: E402  (beside this script)

    write_section("mbench", text)


def sweep_lines(work: Path) -> list[str]:
    """(c): the HED sweep cold, then again with everything cached."""
    cold = sweep(work)
    cached = sweep(work)
    return [
        "| (c) `mbench run`: convert 2 HED models x 3 formats, profile, report | seconds | goal |",
        "|---|---|---|",
        f"| cold | {cold:.1f} | <= 300 |",
        f"| again: conversions cached, profiles resumed | {cached:.1f} | <= 30 |",
        "",
    ]


def overhead_lines(artifacts, threads: int) -> tuple[dict, list[str]]:
    """(a, b): mbench's medians against a bare loop, alternating ROUNDS times so the machine's drift lands on both;
    the medians of the per-round medians, and the table."""
    plan = RunPlan()
    rounds = [
        (
            mbench_medians(artifacts, threads, plan),
            {(a.model, a.format.value): bare_median(a, threads, plan) for a in artifacts},
        )
        for _ in range(ROUNDS)
    ]
    lines = [
        f"| (a, b) artifact, {ROUNDS} alternating rounds | bare loop median (ms) | mbench median (ms) "
        "| overhead (goal <= 2 %) | mbench round to round (goal within 3 %) |",
        "|---|---|---|---|---|",
    ]
    medians = {}
    for artifact in artifacts:
        key = (artifact.model, artifact.format.value)
        ours, bare = [r[0][key] for r in rounds], [r[1][key] for r in rounds]
        medians[key] = statistics.median(ours)
        spread = " / ".join(pct(x, ours[0]) for x in ours[1:])
        lines.append(
            f"| {key[0]} {key[1]} | {statistics.median(bare):.3f} | {medians[key]:.3f} "
            f"| {pct(medians[key], statistics.median(bare))} | {spread} |"
        )
    return medians, lines


def gflops_lines(artifacts, medians: dict, threads: int) -> list[str]:
    """(d): each artifact's achieved GFLOP/s against this host's fp32 matmul rate."""
    peak = matmul_gflops(threads)
    lines = [
        "",
        f"| (d) artifact | GMAC | median (ms) | GFLOP/s | share of fp32 matmul ({peak:.0f} GFLOP/s) |",
        "|---|---|---|---|---|",
    ]
    for artifact in artifacts:
        macs = model_facts(models.get(artifact.model)).macs
        median = medians[(artifact.model, artifact.format.value)]
        rate = 2 * macs / (median / 1e3) / 1e9
        lines.append(
            f"| {artifact.model} {artifact.format.value} | {macs / 1e9:.3f} | {median:.2f} | {rate:.1f} "
            f"| {rate / peak:.0%} |"
        )
    return lines


if __name__ == "__main__":
    main()

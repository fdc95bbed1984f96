"""The measuring side: load one artifact, time it, print one JSON line. Runs as its own process on the host
(and, through the SSH runner, on a remote machine), so peak memory and imports belong to that artifact alone.

    python -m mbench.devices.agent path/to/model.onnx.manifest.json --threads 2 --runs 50
    python -m mbench.devices.serve    (one warm artifact timed in bursts on command, for interleaved rounds)
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import resource
import sys
import time
from dataclasses import asdict, dataclass, field

from mbench.artifacts import read_manifest
from mbench.host import cpu_features, cpu_model
from mbench.measure import RunPlan, time_runs
from mbench.spec import Format

RESULT_MARKER = "MBENCH-RESULT "
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # glibc mallopt parameters (malloc.h)
COMPUTE_UNITS = ("CPU_ONLY", "CPU_AND_GPU", "CPU_AND_NE", "ALL")


@dataclass
class AgentResult:
    status: str  # "ok", "failed" or "not_run"
    error: str = ""
    runtime: str = ""
    runtime_version: str = ""
    threads: int = 0
    compute_units: str = ""  # Core ML only: CPU_ONLY, CPU_AND_GPU, CPU_AND_NE or ALL
    load_ms: float | None = None
    first_ms: float | None = None
    warmup_ms: list[float] = field(default_factory=list)
    samples_ms: list[float] = field(default_factory=list)
    rss_before_load_bytes: int | None = None
    peak_rss_bytes: int | None = None
    environment: dict = field(default_factory=dict)  # CPU, governor, load before and after
    # from interleaved rounds (devices/rounds.py), one entry per timed run, empty where the device cannot say:
    cpu_ms: list[float] = field(default_factory=list)  # CPU time of the whole agent process (all threads)
    wait_ms: list[float] = field(default_factory=list)  # its threads' time runnable on a run queue (Linux)
    rounds: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # place of the artifact in its round's shuffled order
    processes: list[int] = field(default_factory=list)  # which of the artifact's agent processes ran it
    timestamps: list[float] = field(default_factory=list)  # epoch seconds at the start of each run
    cpus: list[int] = field(default_factory=list)  # the CPU set the agent was pinned to
    kernel: list[dict] = field(default_factory=list)  # per burst: what /proc said about contention (serve.py)
    burst_runs: int = 0  # timed runs per burst where rounds were paced (rounds._pace)
    grown_burst_runs: int = 0  # the most timed runs of a burst grown once its minimums were met (rounds._grow)

    def to_line(self) -> str:
        return RESULT_MARKER + json.dumps(asdict(self))

    @classmethod
    def from_output(cls, stdout: str) -> "AgentResult":
        """The last result line in the agent's output; other libraries may print around it."""
        lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARKER)]
        if not lines:
            raise ValueError("the agent printed no result line")
        return cls(**json.loads(lines[-1][len(RESULT_MARKER):]))


def _peak_rss_bytes() -> int:
    """This process's high-water resident memory. On Linux VmHWM, since ru_maxrss survives fork+exec and would
    report the parent's peak; elsewhere ru_maxrss (bytes on macOS)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def keep_freed_memory() -> str:
    """Ask the C allocator to keep what one run frees for the next run, as the mobile runtimes' planned arenas do;
    returns what was set, for the row's details.

    With glibc's defaults a large tensor may be mmapped and handed back to the kernel at every free, then faulted
    in again page by page in the next run; whether it is depends on the dynamic mmap threshold, i.e. on the
    allocations the process happened to make first. Measured on the 2-core host, PyTorch eager hed-mobilenetv2 at
    one thread: some agent processes took about 2,300 minor page faults and 4.5 ms of system time per run, others
    1,400 or none, so the median was 15 ms in one process and 20 ms in the next. With mmap and trimming off: 0 faults
    per run and 14.1-14.9 ms in every process, peak RSS unchanged. ONNX Runtime and LiteRT keep arenas of their own
    and fault 0 times per run either way. (PyTorch's CPU performance tuning guide makes the same point about memory
    reuse when it recommends jemalloc or TCMalloc.)"""
    try:
        libc = ctypes.CDLL(None)
        kept = libc.mallopt(M_MMAP_MAX, 0) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1) == 1
    except (OSError, AttributeError):
        return "system default (no mallopt here)"
    return "glibc, freed memory kept for the next run (M_MMAP_MAX 0, M_TRIM_THRESHOLD 2 GiB)" if kept else \
        "system default (mallopt refused)"


def _runner(fmt: Format, compute_units: str):
    from mbench.runners.base import runner_for

    if fmt is Format.COREML and compute_units:
        from mbench.runners.coreml import CoreMLRunner

        return CoreMLRunner(compute_units)
    return runner_for(fmt)


def measure(manifest: str, threads: int, plan: RunPlan, compute_units: str = "") -> AgentResult:
    from mbench.runners.base import NotRunnableHere, seeded_inputs

    artifact = read_manifest(manifest)
    runner = _runner(artifact.format, compute_units)
    result = AgentResult("ok", runtime=runner.name, runtime_version=runner.version(), threads=threads,
                         compute_units=compute_units if artifact.format is Format.COREML else "")
    inputs = seeded_inputs(artifact.inputs, seed=1)
    result.environment = {**machine_state("before"), "allocator": keep_freed_memory()}
    result.rss_before_load_bytes = _peak_rss_bytes()
    try:
        started = time.perf_counter()
        runner.load(artifact, threads)
        result.load_ms = (time.perf_counter() - started) * 1e3
        timings = time_runs(lambda: runner.run(inputs), plan)
    except NotRunnableHere as reason:
        result.status, result.error = "not_run", str(reason)
        return result
    finally:
        runner.close()
    result.first_ms, result.warmup_ms, result.samples_ms = timings.first_ms, list(timings.warmup_ms), list(
        timings.samples_ms)
    result.peak_rss_bytes = _peak_rss_bytes()
    result.environment.update(machine_state("after"))
    return result


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def machine_state(when: str) -> dict:
    """What can make a number differ between runs: the CPU, its governor and clock, and the load around the run."""
    state = {f"load_1min_{when}": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}
    if when == "before":
        state.update(cpu_model=cpu_model(), cpu_features=cpu_features(), cpu_count=os.cpu_count(),
                     platform=platform.platform(),
                     python=platform.python_version(),
                     governor=_read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") or "not readable",
                     cpu_mhz=_read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq") or "not readable")
    return state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mbench.devices.agent", description=__doc__)
    parser.add_argument("manifest")
    parser.add_argument("--threads", type=int, required=True, help="runtime threads, as the caller decided")
    parser.add_argument("--compute-units", default="", choices=["", *COMPUTE_UNITS],
                        help="Core ML compute units (default: ALL)")
    defaults = RunPlan()
    for name in ("warmup_runs", "runs"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    for name in ("warmup_seconds", "min_seconds", "max_seconds", "target_ci"):
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(defaults, name))
    args = parser.parse_args(argv)
    plan = RunPlan(args.warmup_runs, args.warmup_seconds, args.runs, args.min_seconds, args.max_seconds,
                   args.target_ci)
    try:
        result = measure(args.manifest, args.threads, plan, args.compute_units)
    except Exception as error:  # noqa: BLE001  (reported as a failed row by the caller)
        result = AgentResult("failed", error=f"{type(error).__name__}: {error}", threads=args.threads)
    print(result.to_line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The agent: one artifact kept loaded and warm in a process of its own, timed in short bursts on command, so that
several artifacts on one machine are measured in interleaved rounds (rounds.py), and peak memory and imports belong
to that artifact alone. It runs on the host and, through the SSH runner, on a remote machine.

    python -m mbench.measure.agent [--parent-pid PID]

One JSON command per line on stdin, one JSON reply per line on stdout (anything a library prints goes to stderr):
    {"do": "runtime", "manifest": PATH, "compute_units": ""}   -> runtime, runtime_version (imported, before load)
    {"do": "load", "manifest": PATH, "threads": N, "compute_units": "", "cpus": [1]}  -> runtime, load_ms, first_ms
    {"do": "warmup", "plan": {RunPlan fields}}                                       -> warmup_ms
    {"do": "pin", "cpus": [1]}             -> cpus (every thread of the agent moved there, for an agent that
                                              loaded and warmed up unpinned beside others: rounds.py)
    {"do": "burst", "seconds": 0.1}        -> wall_ms, cpu_ms, wait_ms, t (epoch seconds at each run's start),
                                              kernel (what /proc said about contention around the burst: the
                                              CPUs beside the agent's among them, and the minor page faults
                                              per timed run)
    {"do": "predict", "inputs": [NPY]}     -> outputs: [NPY] (the loaded artifact run once on these inputs; NPY is
                                              an array as base64 .npy text, measure/arrays.py: accuracy on a device)
    {"do": "ops", "manifest": PATH, "threads": N, "warmup_runs": 3, "runs": 10, "compute_units": ""}
                                           -> runtime, runtime_version, wall_ms, cpu_ms, wait_ms, files (the
                                              per-operator pass's runs of the artifact on a runner of its own, with
                                              the runtime's profile of them: {name: base64 of the file},
                                              measure/passes.py; not_run for a runtime with no such profile)
    {"do": "close"}                        -> peak_rss_bytes, environment
A reply has "ok": true, or "ok": false with "status" (failed or not_run) and "error". The agent exits when its
parent dies or stdin closes.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mbench.artifacts import read_manifest
from mbench.measure.machine import (
    contention,
    kernel_view,
    keep_freed_memory,
    machine_state,
    peak_rss_bytes,
    run_queue_wait_ns,
)
from mbench.measure.timing import RunPlan, warm_up
from mbench.spec import Format

if TYPE_CHECKING:
    import numpy as np

    from mbench.runners.base import Runner

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
    # from interleaved rounds (measure/rounds.py), one entry per timed run, empty where the device cannot say:
    cpu_ms: list[float] = field(default_factory=list)  # CPU time of the whole agent process (all threads)
    wait_ms: list[float] = field(default_factory=list)  # its threads' time runnable on a run queue (Linux)
    rounds: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # place of the artifact in its round's shuffled order
    processes: list[int] = field(default_factory=list)  # which of the artifact's agent processes ran it
    timestamps: list[float] = field(default_factory=list)  # epoch seconds at the start of each run
    cpus: list[int] = field(default_factory=list)  # the CPU set the agent was pinned to
    kernel: list[dict] = field(default_factory=list)  # per burst: what /proc said about contention (agent.py)
    burst_runs: int = 0  # timed runs per burst where rounds were paced (rounds._pace)
    grown_burst_runs: int = 0  # the most timed runs of a burst grown once its minimums were met (rounds._grow)


def _runner(fmt: Format, compute_units: str) -> Runner:
    from mbench.runners.base import runner_for

    if fmt is Format.COREML and compute_units:
        from mbench.runners.coreml import CoreMLRunner

        return CoreMLRunner(compute_units)
    return runner_for(fmt)


ACTIONS = ("runtime", "load", "warmup", "pin", "burst", "predict", "ops", "close")


class Server:
    def __init__(self) -> None:
        self.runner: Runner | None = None  # chosen by 'runtime' or 'load'
        self.inputs: list[np.ndarray] | None = None  # made by 'load'
        # the CPUs mbench may use, as inherited: those the agent is not pinned to are its neighbours (kernel_view)
        self.allowed = frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else frozenset()

    def runtime(self, manifest: str, compute_units: str = "") -> dict:
        """The artifact's runtime chosen and imported ahead of 'load' (importing torch takes 1.5 s): agents can do
        this side by side, since nothing is timed yet, and then load one at a time (rounds.py)."""
        runner = self.runner = _runner(read_manifest(manifest).format, compute_units)
        return dict(runtime=runner.name, runtime_version=runner.version())

    def load(self, manifest: str, threads: int, compute_units: str = "", cpus: list[int] | None = None) -> dict:
        from mbench.runners.base import seeded_inputs

        if cpus and hasattr(os, "sched_setaffinity"):
            self.pin(cpus)  # before the runtime starts threads of its own, which inherit the set
        placed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        artifact = read_manifest(manifest)
        runner = self.runner = self.runner or _runner(artifact.format, compute_units)
        inputs = self.inputs = seeded_inputs(artifact.inputs, seed=1)
        reply = dict(
            runtime=runner.name,
            runtime_version=runner.version(),
            cpus=placed,
            compute_units=compute_units if artifact.format is Format.COREML else "",
            environment={**machine_state("before"), "allocator": keep_freed_memory()},
            rss_before_load_bytes=peak_rss_bytes(),
        )
        started = time.perf_counter()
        runner.load(artifact, threads)
        reply["load_ms"] = (time.perf_counter() - started) * 1e3
        started = time.perf_counter()
        runner.run(inputs)
        reply["first_ms"] = (time.perf_counter() - started) * 1e3
        return reply

    def _loaded(self) -> tuple[Runner, list[np.ndarray]]:
        """The runtime holding the artifact and its seeded inputs, as 'load' left them."""
        if self.runner is None or self.inputs is None:
            raise RuntimeError("no artifact loaded: send 'load' before 'warmup' or 'burst'")
        return self.runner, self.inputs

    def warmup(self, plan: dict) -> dict:
        runner, inputs = self._loaded()
        return {"warmup_ms": warm_up(lambda: runner.run(inputs), RunPlan(**plan))}

    def pin(self, cpus: list[int]) -> dict:
        """Every thread of this process onto ``cpus``, threads it starts later inheriting them: numpy's BLAS pool,
        started at import, would otherwise stay unpinned."""
        for task in os.listdir("/proc/self/task"):
            try:
                os.sched_setaffinity(int(task), cpus)
            except ProcessLookupError:  # a thread that ended meanwhile
                pass
        return {"cpus": sorted(os.sched_getaffinity(0))}

    def burst(self, seconds: float, runs: int = 1) -> dict:
        wall: list[float] = []
        cpu: list[float] = []
        wait: list[float] = []
        starts: list[float] = []
        runner, inputs = self._loaded()
        neighbours = self.allowed - set(os.sched_getaffinity(0)) if self.allowed else frozenset()
        before, begun = kernel_view(neighbours), time.perf_counter()
        runner.run(inputs)  # untimed re-warm: another artifact just had the CPUs (caches, thread pools)
        rewarm_ms = (time.perf_counter() - begun) * 1e3
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        while len(wall) < runs or time.perf_counter() - begun < seconds:
            waited, c0, starts_at, t0 = run_queue_wait_ns(), time.process_time_ns(), time.time(), time.perf_counter_ns()
            runner.run(inputs)
            t1, c1, waited_after = time.perf_counter_ns(), time.process_time_ns(), run_queue_wait_ns()
            wall.append((t1 - t0) / 1e6)
            cpu.append((c1 - c0) / 1e6)
            starts.append(starts_at)
            if waited is not None and waited_after is not None:
                wait.append((waited_after - waited) / 1e6)
        kernel = contention(before, kernel_view(neighbours), time.perf_counter() - begun)
        kernel["faults_per_run"] = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / len(wall)
        return dict(
            wall_ms=wall,
            cpu_ms=cpu,
            wait_ms=wait if len(wait) == len(wall) else [],
            t=starts,
            kernel=kernel,
            rewarm_ms=rewarm_ms,
        )

    def predict(self, inputs: list[str]) -> dict:
        from mbench.measure.arrays import decode, encode

        runner, _ = self._loaded()
        return {"outputs": encode(runner.run(decode(inputs)))}

    def ops(
        self,
        manifest: str,
        threads: int,
        warmup_runs: int,
        runs: int,
        compute_units: str = "",
        cpus: list[int] | None = None,
        warmup_seconds: float = 0.0,
    ) -> dict:
        """The per-operator pass's runs, apart from any artifact 'load' holds: a profiling runtime is slower, so
        its runs are never timed rounds. Pinned to ``cpus`` where given, and freed memory kept for the next run,
        as 'load' sets up the timed rounds' agents (eager PyTorch that faults its tensors in at every run is slower
        by up to a third). The files travel back whole; the caller reads them."""
        from mbench.measure.passes import OpsPlan, record

        if cpus and hasattr(os, "sched_setaffinity"):
            self.pin(cpus)
        keep_freed_memory()
        artifact = read_manifest(manifest)
        with tempfile.TemporaryDirectory(prefix="mbench-ops-") as folder:
            runner = _runner(artifact.format, compute_units)
            return record(
                runner, artifact, threads, OpsPlan(warmup_runs, runs, warmup_seconds), Path(folder)
            ).as_reply()

    def close(self) -> dict:
        if self.runner is not None:
            self.runner.close()
        return dict(peak_rss_bytes=peak_rss_bytes(), environment=machine_state("after"))


def serve(parent_pid: int | None = None) -> int:
    """Answer commands until 'close' or the end of stdin; replies go to the real stdout, prints to stderr."""
    from mbench.measure.processes import die_with_parent
    from mbench.runners.base import NotRunnableHere

    if parent_pid:
        die_with_parent(parent_pid)
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    server = Server()
    for line in sys.stdin:
        command = json.loads(line)
        action = command.pop("do", "")
        try:
            if action not in ACTIONS:
                raise ValueError(f"unknown command {action!r}; expected one of {', '.join(ACTIONS)}")
            reply = {"ok": True, **getattr(server, action)(**command)}
        except NotRunnableHere as reason:
            reply = {"ok": False, "status": "not_run", "error": str(reason)}
        except Exception as error:  # noqa: BLE001  (the caller turns it into a failed row)
            reply = {"ok": False, "status": "failed", "error": f"{type(error).__name__}: {error}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
        if action == "close":
            break
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mbench.measure.agent", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parent-pid", type=int, help="die with this process (Linux); exit at once if it is gone")
    sys.exit(serve(parser.parse_args().parent_pid))

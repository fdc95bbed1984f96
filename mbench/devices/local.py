"""The host itself: each artifact is measured by its own warm agent processes, in interleaved rounds with the
artifacts it is compared with (measure/groups.py, measure/rounds.py), each agent pinned to the CPUs ``placement``
picks. The per-operator pass (``--ops``) runs in such an agent too (``LocalRecorder``), pinned alike."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

from mbench.artifacts import Artifact
from mbench.devices.inventory import LocalDevice, usable_cpus
from mbench.measure.groups import Grouping, measure_in_groups
from mbench.measure.passes import Here, OpsPlan, Recording, by_agent
from mbench.measure.rounds import Job
from mbench.measure.rows import Profile, result_rows
from mbench.measure.timing import RunPlan

PROVENANCE = "host"


def agent_argv() -> list[str]:
    return [sys.executable, "-m", "mbench.measure.agent", "--parent-pid", str(os.getpid())]


def placement(threads: int) -> list[int] | None:
    """The CPUs an agent with ``threads`` threads is pinned to: the last ``threads`` CPUs this process may use
    (CPU 0 takes most interrupts), all of them when it needs as many; None where the OS does not allow pinning."""
    allowed = usable_cpus()
    if allowed is None:
        return None
    return allowed[-threads:] if threads < len(allowed) else allowed


def profile(
    artifacts: list[Artifact],
    name: str,
    device: LocalDevice,
    plan: RunPlan,
    threads: int,
    grouping: Grouping = Grouping(),
) -> Iterator[tuple[Artifact, Profile]]:
    """Every artifact the host can run, in interleaved rounds, group after group (measure/groups.py) under the
    plan's cap on agents and this machine's available memory; each yielded as it finishes."""
    jobs = [Job(a, str(a.manifest_path)) for a in artifacts if a.format in device.formats]
    for track, batch in measure_in_groups(
        jobs, agent_argv(), plan, threads, placement(threads), device.timeout_s, grouping
    ):
        artifact = track.job.artifact
        yield (
            artifact,
            result_rows(artifact, name, track.result, PROVENANCE, threads=threads, plan=batch.plan, notes=batch.notes),
        )


class LocalRecorder(Here):
    """The per-operator pass's runs made by a fresh agent on this machine (agent.py's 'ops'), one per artifact,
    pinned to the CPUs the timed rounds' agents get: the pass runs in the same kind of process as ``latency`` (in
    mbench's own, warm, process PyTorch eager ran 1.13-1.39x slower: benchmarks/RESULTS.md). LiteRT's pass is
    ``benchmark_model``'s, as ``Here`` runs it."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    def __call__(self, artifact: Artifact, threads: int, plan: OpsPlan, folder: Path) -> Recording:
        return by_agent(
            agent_argv(),
            self.timeout_s,
            "this machine",
            folder,
            manifest=str(artifact.manifest_path),
            threads=threads,
            warmup_runs=plan.warmup_runs,
            warmup_seconds=plan.warmup_seconds,
            runs=plan.runs,
            cpus=placement(threads),
        )

"""The host itself: each artifact is measured by its own warm agent process, all of them in interleaved rounds
(measure/rounds.py), each agent pinned to the CPUs ``placement`` picks."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator

from mbench.artifacts import Artifact
from mbench.devices.inventory import LocalDevice, usable_cpus
from mbench.measure.rounds import Job, measure_in_rounds
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


def profile(artifacts: list[Artifact], name: str, device: LocalDevice, plan: RunPlan,
            threads: int) -> Iterator[tuple[Artifact, Profile]]:
    """Every artifact the host can run, in interleaved rounds; each yielded as it finishes."""
    jobs = [Job(a, str(a.manifest_path)) for a in artifacts if a.format in device.formats]
    for track in measure_in_rounds(jobs, agent_argv(), plan, threads, placement(threads), device.timeout_s):
        artifact = track.job.artifact
        yield artifact, result_rows(artifact, name, track.result, PROVENANCE, threads=threads, plan=plan)

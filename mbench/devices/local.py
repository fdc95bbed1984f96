"""The host itself: each artifact is measured by its own warm agent process, all of them in interleaved rounds
(devices/rounds.py), each agent pinned to the CPUs ``placement`` picks."""
from __future__ import annotations

import os
import sys
from typing import Iterator

from mbench.artifacts import Artifact
from mbench.devices.agent import AgentResult
from mbench.devices.inventory import LocalDevice
from mbench.devices.rounds import measure_in_rounds
from mbench.devices.rows import Profile, result_rows
from mbench.measure import RunPlan

PROVENANCE = "host"


def agent_argv() -> list[str]:
    return [sys.executable, "-m", "mbench.devices.serve", "--parent-pid", str(os.getpid())]


def placement(threads: int) -> list[int] | None:
    """The CPUs an agent with ``threads`` threads is pinned to: the last ``threads`` CPUs this process may use
    (CPU 0 takes most interrupts), all of them when it needs as many; None where the OS does not allow pinning."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    return allowed[-threads:] if threads < len(allowed) else allowed


def profile(artifacts: list[Artifact], name: str, device: LocalDevice, plan: RunPlan,
            threads: int) -> Iterator[tuple[Artifact, AgentResult, Profile]]:
    """Every artifact the host can run, in interleaved rounds; each yielded as it finishes."""
    runnable = [a for a in artifacts if a.format in device.formats]
    for track in measure_in_rounds(runnable, agent_argv(), plan, threads, placement(threads), device.timeout_s):
        yield track.artifact, track.result, result_rows(track.artifact, name, track.result, PROVENANCE,
                                                        threads=threads, plan=plan)

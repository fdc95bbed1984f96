"""Bounded groups of agents: artifacts compared with each other share interleaved rounds, and groups run one after
another, so the agents alive at once, and their memory, do not grow with the number of artifacts.

A group is the artifacts of models joined by comparison: a model's formats and precisions, plus every pair asked for
(the pairs declared with the models, the user's ``--pair``). Each group's agents start, measure and exit before the
next group's start (rounds.measure_in_rounds once per group). A group needing more agents than the cap (the plan's
``max_agents``, and the memory the OS reports available less ``memory_margin_gb``) runs with fewer processes per
artifact, down to one; one still larger is split into parts, whose ratios are not paired. Round numbers go on from
group to group, so rounds of different groups never pair. The rows' details say all of this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import TypeVar

from mbench.artifacts import Artifact
from mbench.measure.rounds import Job, Track, measure_in_rounds
from mbench.measure.timing import RunPlan

AGENT_BYTES = 300 * 1024**2  # an agent with its runtime imported, before its artifact is loaded
ARTIFACT_FACTOR = 2  # an agent's memory grows by about this many times its artifact's size once loaded

T = TypeVar("T")


@dataclass(frozen=True)
class GroupStart:
    """A group about to start: what the progress display shows."""

    index: int  # from 1
    count: int  # groups in all (a split group's parts count once each)
    name: str
    artifacts: list[Artifact]  # one per job: an artifact measured per compute unit or delegate is there as often
    processes: int  # per artifact
    total: int  # results to come from all groups


@dataclass(frozen=True)
class Grouping:
    """What decides the groups beyond the models themselves, and who hears of each group as it starts."""

    pairs: tuple[tuple[str, str], ...] = ()
    on_group: Callable[[GroupStart], None] = field(default=lambda start: None, compare=False)


@dataclass(frozen=True)
class Batch:
    """One set of interleaved rounds: its jobs, its plan (processes per artifact perhaps reduced), and what its
    rows' details say of it."""

    name: str
    jobs: list[Job]
    plan: RunPlan
    notes: dict


def compared(models: list[str], pairs) -> list[list[str]]:
    """The models joined by ``pairs`` (transitively), each group in order of first appearance in ``models``; a
    pair naming a model not in ``models`` joins nothing."""
    parent = {m: m for m in models}

    def root(m: str) -> str:
        while parent[m] != m:
            m = parent[m]
        return m

    for a, b in pairs:
        if a in parent and b in parent:
            parent[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for m in dict.fromkeys(models):
        groups.setdefault(root(m), []).append(m)
    return list(groups.values())


def grouped(items: list[T], model: Callable[[T], str], pairs) -> list[list[T]]:
    """The items of each group of compared models (``compared``; ``model`` names an item's), in the items' order:
    the one rule for which artifacts share rounds, whatever a device's runner calls an item."""
    groups = compared([model(item) for item in items], pairs)
    return [[item for item in items if model(item) in models] for models in groups]


def group_jobs(jobs: list[Job], pairs) -> list[list[Job]]:
    """The jobs of each group of compared models (``grouped``)."""
    return grouped(jobs, lambda job: job.artifact.model, pairs)


def group_name(models: list[str]) -> str:
    """A group's name: its models in order, joined by '+'."""
    return "+".join(dict.fromkeys(models))


def agent_cap(jobs: list[Job], plan: RunPlan, available: int | None) -> int:
    """The most agents ``jobs`` may have alive at once: ``plan.max_agents``, fewer where the memory available
    (bytes; None: not known) less the plan's margin holds fewer at the estimated size of these jobs' agents."""
    if available is None:
        return plan.max_agents
    mean_bytes = sum(j.artifact.bytes for j in jobs) / max(len(jobs), 1)
    each = AGENT_BYTES + ARTIFACT_FACTOR * mean_bytes
    fits = int((available - plan.memory_margin_gb * 1024**3) // each)
    return max(1, min(plan.max_agents, fits))


def batches(jobs: list[Job], plan: RunPlan, cap: int) -> list[Batch]:
    """One group's rounds under ``cap`` agents: whole, with fewer processes per artifact where it needs, or split
    into parts of at most ``cap`` artifacts with one process each."""
    name = group_name([j.artifact.model for j in jobs])
    n, wanted = len(jobs), plan.processes
    processes = max(1, min(wanted, cap // n))
    notes = {"group": name}
    if processes < wanted:
        notes["processes_reduced"] = f"{wanted} -> {processes}: {n} artifacts over the {cap}-agent cap"
    plan = replace(plan, processes=processes)
    if n <= cap:
        return [Batch(name, jobs, plan, notes)]
    parts = math.ceil(n / cap)
    size = math.ceil(n / parts)
    return [
        Batch(
            f"{name} ({i + 1}/{parts})",
            jobs[i * size : (i + 1) * size],
            plan,
            {**notes, "group_split": f"part {i + 1} of {parts}: ratios across the parts are not paired"},
        )
        for i in range(parts)
    ]


def available_memory(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """MemAvailable in bytes, as the kernel estimates it; None where it does not say (not Linux)."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def measure_in_groups(
    jobs: list[Job],
    argv: list[str],
    plan: RunPlan,
    threads: int,
    cpus: list[int] | None,
    timeout_s: float,
    grouping: Grouping = Grouping(),
    memory: Callable[[], int | None] = available_memory,
) -> Iterator[tuple[Track, Batch]]:
    """Each job's finished track with the batch it was measured in (its plan, what its rows say of it), group
    after group (module docstring).
    ``memory`` gives the memory available where the agents run (None: not known, as on a remote machine); it is
    read as each group starts, once the agents of the one before have exited."""
    groups, offset, index = group_jobs(jobs, grouping.pairs), 0, 0
    count = len(groups)
    for group in groups:
        parts = batches(group, plan, agent_cap(group, plan, memory()))
        count += len(parts) - 1
        for batch in parts:
            index += 1
            start = GroupStart(
                index, count, batch.name, [j.artifact for j in batch.jobs], batch.plan.processes, len(jobs)
            )
            grouping.on_group(start)
            last = offset
            for track in measure_in_rounds(batch.jobs, argv, batch.plan, threads, cpus, timeout_s):
                track.result.rounds = [r + offset for r in track.result.rounds]
                last = max([last, *track.result.rounds])
                yield track, batch
            offset = last + 1

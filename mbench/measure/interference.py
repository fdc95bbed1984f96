"""Interference: what the machine did to an artifact's runs, from what the agent recorded, and whether a row is
contended.

Marking (a run that was clearly descheduled): each timed run has its wall time, the CPU time of the whole agent
process (all threads) and, on Linux, the time its threads spent runnable but waiting on a run queue
(/proc/self/task/*/schedstat). A run is marked when its CPU share (CPU time / wall time) is below ``MARK_SHARE``
of the artifact's own typical share (the 90th percentile of its shares: what it gets when left alone), or when
its threads waited on a run queue for more than ``MARK_WAIT`` of its wall time.

Swing (a machine that slows down as a whole): a neighbour the guest cannot see (another VM on the same host, a
frequency change, a shared memory bus) slows every run alike while the agent keeps its CPU share, so nothing is
marked. It shows as whole rounds running slower than others: the swing is the spread of the artifact's per-round
medians (their 75th over their 25th percentile, minus one; estimate.Rounds.swing).

Neighbours (something else running on the CPUs beside the agent's): the agent keeps its CPU and its speed holds
steady, so nothing is marked and nothing swings, yet the runs are slower: cores share caches, the memory bus and, on
a VM, often one physical core (its vCPUs are hyperthreads). The agent reads the ticks of the CPUs it may use but
was not pinned to from /proc/stat around each burst (machine.kernel_view); ``neighbour_busy`` is their busy share
over all its bursts, while mbench itself waits on them.

A row is contended when more than ``CONTENDED_ABOVE`` of its runs are marked, when its swing is above
``SWING_CONTENDED_ABOVE``, or when its neighbours were busier than ``NEIGHBOUR_CONTENDED_ABOVE`` (``contended``).
How these thresholds were measured is in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import numpy as np

MARK_SHARE = 0.75
MARK_WAIT = 0.10
CONTENDED_ABOVE = 0.10
SWING_CONTENDED_ABOVE = 0.10
NEIGHBOUR_CONTENDED_ABOVE = 0.25
TYPICAL_SHARE_QUANTILE = 90


def shares(wall_ms, cpu_ms) -> list[float]:
    return [c / w if w > 0 else 0.0 for w, c in zip(wall_ms, cpu_ms)]


def mark(wall_ms, cpu_ms, wait_ms=()) -> list[bool]:
    """Which runs were clearly descheduled (module docstring); without CPU times nothing is marked."""
    if not cpu_ms or len(cpu_ms) != len(wall_ms):
        return [False] * len(wall_ms)
    share = shares(wall_ms, cpu_ms)
    typical = float(np.percentile(share, TYPICAL_SHARE_QUANTILE))
    waits = wait_ms if wait_ms and len(wait_ms) == len(wall_ms) else [0.0] * len(wall_ms)
    return [s < MARK_SHARE * typical or wait > MARK_WAIT * wall for s, wait, wall in zip(share, waits, wall_ms)]


def neighbour_busy(kernel: list[dict]) -> float | None:
    """How busy the CPUs beside the agent's were during its bursts (module docstring): their busy ticks over all
    their ticks, summed over the bursts' kernel views; None where the agent had no such CPUs or the kernel did not
    say (no /proc/stat, not pinned, pinned to every CPU, a device whose tool times whole runs)."""
    total = sum(k.get("neighbour_ticks", 0) for k in kernel)
    return sum(k.get("neighbour_busy_ticks", 0) for k in kernel) / total if total > 0 else None


def _seen(marked_share: float, swing: float | None, neighbours: float | None) -> list[tuple[str, bool]]:
    """Each thing seen of the machine, in words, and whether it is past its threshold (module docstring)."""
    seen = [(f"{100 * marked_share:.0f} % of runs descheduled", marked_share > CONTENDED_ABOVE)]
    if swing is not None:
        seen.append((f"speed swung {100 * swing:.0f} % between rounds", swing > SWING_CONTENDED_ABOVE))
    if neighbours is not None:
        seen.append((f"the CPUs beside it {100 * neighbours:.0f} % busy", neighbours > NEIGHBOUR_CONTENDED_ABOVE))
    return seen


def contended(marked_share: float, swing: float | None, neighbours: float | None = None) -> bool:
    """Whether what was seen of the machine makes a row contended (module docstring)."""
    return any(past for _, past in _seen(marked_share, swing, neighbours))


def interference_phrase(marked_share: float, swing: float | None, neighbours: float | None = None) -> str:
    """What was seen of the machine, in words: '45 % of runs descheduled; speed swung 28 % between rounds; the CPUs
    beside it 97 % busy'."""
    return "; ".join(words for words, _ in _seen(marked_share, swing, neighbours))


def contention(marked_share: float, swing: float | None, neighbours: float | None = None) -> str:
    """Only what made a row contended, in words ('speed swung 22 % between rounds and the CPUs beside it 100 %
    busy'); '' for a quiet row. The headline names it beside a ratio it calls not trustworthy."""
    return " and ".join(words for words, past in _seen(marked_share, swing, neighbours) if past)

"""From timed runs taken in interleaved rounds to one latency, a verdict on interference, and paired ratios.

Marking (a run that was clearly descheduled): each timed run has its wall time, the CPU time of the whole agent
process (all threads) and, on Linux, the time its threads spent runnable but waiting on a run queue
(/proc/self/task/*/schedstat). A run is marked when its CPU share (CPU time / wall time) is below ``MARK_SHARE``
of the artifact's own typical share (the 90th percentile of its shares: what it gets when left alone), or when
its threads waited on a run queue for more than ``MARK_WAIT`` of its wall time.

Swing (a machine that slows down as a whole): a neighbour the guest cannot see (another VM on the same host, a
frequency change, a shared memory bus) slows every run alike while the agent keeps its CPU share, so nothing is
marked. It shows as whole rounds running slower than others: the swing is the spread of the artifact's per-round
medians (their 75th over their 25th percentile, minus one; rounds are a fraction of a second apart). On a quiet
machine it is a few percent.

Neighbours (something else running on the CPUs beside the agent's): the agent keeps its CPU and its speed holds
steady, so nothing is marked and nothing swings, yet the runs are slower: cores share caches, the memory bus and, on
a VM, often one physical core (its vCPUs are hyperthreads). The agent reads the ticks of the CPUs it may use but
was not pinned to from /proc/stat around each burst (devices/serve.py); ``neighbour_busy`` is their busy share over
all its bursts, while mbench itself waits on them. Measured on the 2-vCPU VM (benchmarks/RESULTS.md, 2026-12-03):
beside the one-core busy loop of bench_repeatability.py the CPU beside the agents' was 100 % busy, in quiet
profiles 0.0-2.0 %. In one busy profile before this signal the eight artifacts ran 5-18 % slower than quiet,
MobileNetV2 the most (ONNX VGG/MNV2 2.59x against 2.76x quiet), with at most 1.6 % of runs marked, and six of the
eight rows swung less than 10 %: they read as quiet.

A row is contended when more than ``CONTENDED_ABOVE`` of its runs are marked, when its swing is above
``SWING_CONTENDED_ABOVE``, or when its neighbours were busier than ``NEIGHBOUR_CONTENDED_ABOVE`` (``contended``).

The headline estimator ``LATENCY_ESTIMATOR`` (the 10th percentile of the timed runs, every round weighing alike) was
chosen by benchmarks/bench_repeatability.py among ``ESTIMATORS`` (see benchmarks/RESULTS.md and the note at its
definition): the most repeatable quiet vs. quiet vs. busy that still sees a real 10 % slowdown. Noise on a machine
only adds time (Chen and Revels, "Robust benchmarking in noisy environments", 2016), so a low quantile is steadier
than the median, and unlike the minimum it does not rest on one lucky run.

A paired ratio's 95 % interval (``paired_ratio``) resamples the agent processes and then the rounds within them.
Resampling rounds alone took the three processes a run happened to get as the only ones there could be. Measured on
the 2-vCPU VM with benchmarks/bench_interval.py (RESULTS.md, 2026-12-03, 18 profiles of the six HED host artifacts,
VGG/MNV2 per runtime): another profile's ratio fell inside a profile's interval in 70 % and 67 % of pairs (8 and 10
profiles), against 61 % and 53 % with rounds alone; two estimates as uncertain as each other would land inside each
other's interval about 83 % of the time. What is left is the machine moving between profiles minutes apart, which no
profile sees from inside: an interval says how sure one run is of its own ratio, not where the next run will land.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Callable

import numpy as np

MARK_SHARE = 0.75
MARK_WAIT = 0.10
CONTENDED_ABOVE = 0.10
SWING_CONTENDED_ABOVE = 0.10
NEIGHBOUR_CONTENDED_ABOVE = 0.25
TYPICAL_SHARE_QUANTILE = 90
MIN_ROUNDS = 4  # fewer rounds give no swing and no interval


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


@dataclass(frozen=True)
class Rounds:
    """One artifact's timed runs with the round each was taken in and whether it was marked."""

    values: tuple[float, ...]
    rounds: tuple[int, ...] = ()
    marked: tuple[bool, ...] = ()
    processes: tuple[int, ...] = ()  # which of the artifact's agent processes ran each (devices/rounds.py)

    def __post_init__(self) -> None:
        for name, empty in (("rounds", 0), ("marked", False), ("processes", 0)):
            if not getattr(self, name):
                object.__setattr__(self, name, (empty,) * len(self.values))

    @classmethod
    def measured(cls, values_ms, rounds=(), cpu_ms=(), wait_ms=()) -> "Rounds":
        """Timed runs as measured, with their marks worked out from the CPU times and waits."""
        return cls(tuple(values_ms), tuple(rounds), tuple(mark(values_ms, cpu_ms, wait_ms)))

    @property
    def marked_share(self) -> float:
        return sum(self.marked) / len(self.marked) if self.marked else 0.0

    @property
    def swing(self) -> float | None:
        """How far the machine's speed moved between rounds (module docstring); None below MIN_ROUNDS rounds."""
        groups = self.by_round()
        if len(groups) < MIN_ROUNDS:
            return None
        low, high = np.percentile([statistics.median(self.values[i] for i in g) for g in groups.values()], [25, 75])
        return float(high / low - 1) if low > 0 else None

    def by_round(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for index, r in enumerate(self.rounds):
            found.setdefault(r, []).append(index)
        return found

    def take(self, indices) -> "Rounds":
        return Rounds(*(tuple(getattr(self, name)[i] for i in indices)
                        for name in ("values", "rounds", "marked", "processes")))


def _unmarked(s: Rounds) -> list[float]:
    kept = [v for v, m in zip(s.values, s.marked) if not m]
    return kept if len(kept) >= max(3, len(s.values) // 4) else list(s.values)  # too few left: all of them


def _trimmed(values, cut: float = 0.1) -> float:
    ordered = sorted(values)
    k = int(len(ordered) * cut)
    return statistics.fmean(ordered[k:len(ordered) - k] or ordered)


def _round_medians(s: Rounds) -> list[float]:
    return [statistics.median(s.values[i] for i in indices) for indices in s.by_round().values()]


def _min_round_median(s: Rounds) -> float:
    return min(_round_medians(s))


FAST_ROUNDS = 0.25


def _fast_rounds_mean(s: Rounds) -> float:
    """The mean of the unmarked runs in the fastest quarter of rounds (by round median): the machine's quiet
    phases. With one round (a tool that times whole invocations, rows from before rounds) it is the unmarked mean."""
    groups = sorted(s.by_round().values(), key=lambda g: statistics.median(s.values[i] for i in g))
    kept = groups[:max(1, round(len(groups) * FAST_ROUNDS))]
    return statistics.fmean(_unmarked(s.take([i for g in kept for i in g])))


def round_weighted_quantile(s: Rounds, q: float) -> float:
    """The ``q`` quantile of the runs with every round weighing alike (each run 1 / its round's runs): numpy's
    default (linear) quantile where every round has as many runs, or there is one round. An artifact that met its
    stopping rule takes one run per round while the others go on (devices/rounds.py); unweighted, its many runs of
    the early rounds would outvote the stretch it then shares with them."""
    groups = s.by_round()
    order = np.argsort(s.values, kind="stable")
    values = np.asarray(s.values, dtype=float)[order]
    weights = np.array([1.0 / len(groups[s.rounds[i]]) for i in order])
    if len(values) == 1:
        return float(values[0])
    below = np.cumsum(weights) - weights  # weight below each run: 0 for the fastest
    return float(np.interp(q, below / (weights.sum() - weights[-1]), values))


ESTIMATORS: dict[str, Callable[[Rounds], float]] = {
    "median": lambda s: statistics.median(s.values),
    "trimmed_mean": lambda s: _trimmed(s.values),
    "p25": lambda s: float(np.percentile(s.values, 25)),
    "p25_rounds": lambda s: round_weighted_quantile(s, 0.25),
    "p10_rounds": lambda s: round_weighted_quantile(s, 0.10),
    "min_round_median": _min_round_median,
    "round_median_p10": lambda s: float(np.percentile(_round_medians(s), 10)),
    "fast_rounds_mean": _fast_rounds_mean,
    "unmarked_mean": lambda s: statistics.fmean(_unmarked(s)),
    "unmarked_median": lambda s: statistics.median(_unmarked(s)),
}
# By bench_repeatability.py (benchmarks/RESULTS.md, 2026-11-23). At two threads, once the VM's speed swung 20-130 %
# between rounds, fast_rounds_mean beat unmarked_mean in six runs of six. At the settings of today's default (one
# thread, freed memory kept: agent.keep_freed_memory), four runs at the default budget: worst quiet vs. quiet
# p25 3.0 / 2.3 / 1.9 / 5.5 %, round_median_p10 2.5 / 1.9 / 2.4 / 5.1 %, fast_rounds_mean 3.1 / 2.2 / 3.8 / 5.8 %,
# median 5.6 / 4.2 / 2.1 / 7.4 %; p25 and round_median_p10 were within every target in the first three (ratio spread
# <= 2.9 %, the 10 % slowdown seen in every condition) and no estimator was in the fourth (the VM swung 14-36 %).
# p25 is the simpler of the two (it needs no rounds). In a run with a 3 s budget in one of the VM's slow phases every
# low estimator failed (p25 19.9 %) and the median came closest (5.2 %). Checked again on 2026-12-01's noisier VM,
# six runs at three agent processes per artifact, by the script's rule: round_median_p10 5.2 % on average (8.8 % at
# worst), p25 6.4 % (10.4 %), the median 15.8 % (38.0 %). p25 kept: the stopping rule follows the headline, and
# round_median_p10's interval (over rounds, not runs) was within 1 % in 3 of 120 artifact-profiles when p25's rule
# stopped them: nearly every artifact would spend its whole budget. Since 2026-12-02 the same quantile weighs every
# round alike (p25_rounds): settled artifacts take one run per round (devices/rounds.py); replayed on two recordings
# that kept every artifact's full bursts to the end, it gave the figures of full bursts (an identical copy within
# 0.4-1.2 % of its original, quiet vs. quiet 5.4 / 3.3 % against 5.2 / 3.1 %) where plain p25 on the same runs did not
# (copy up to 3.6 %, 8.7 / 3.9 %). On 2026-12-02 from 19:00 (another VM, AVX-512 VNNI; runs stopped by p25's rule)
# the 10th percentile weighed the same way, p10_rounds, was measured beside it in five runs, by the script's rule
# (the worst of quiet vs. quiet and the ratio spreads): 3.8 / 3.1 / 4.2 / 3.2 / 3.5 % against 5.3 / 2.8 / 3.6 / 3.8 /
# 6.1 % (3.6 % on average against 4.3 %, at worst 4.2 % against 6.1 %), ahead where the VM swung and a little behind
# where it was calm; it saw the slowdown in four (p25_rounds three), and kept the identical copy within 1.3 % of its
# original in all fifteen profiles, where p25_rounds once read it 9.9 % slower: beside the busy loop that profile's
# runs fell into two modes (about 7.7 and 10 ms) and its 25th percentile sat between them. Its interval and halves
# narrowed about as fast as p25's on the same runs. p10_rounds since 2026-12-02 23:30, the stopping rule with it;
# the two runs since: quiet vs. quiet 2.9 / 5.1 % (p25_rounds on the same runs 4.5 / 5.5 %), ratios within 5.0 / 1.7 %.
LATENCY_ESTIMATOR = "p10_rounds"


def estimate(samples: Rounds, name: str = LATENCY_ESTIMATOR) -> float:
    if not samples.values:
        raise ValueError("no samples: a latency needs at least one timed run")
    return ESTIMATORS[name](samples)


def halves_apart(samples: Rounds, name: str = LATENCY_ESTIMATOR) -> float | None:
    """How far apart the estimates over an artifact's even and odd rounds (in the order taken) are, |a / b - 1|:
    two interleaved halves share the machine's slow drifts, so what differs between them is what more rounds would
    still average out (measure.enough stops on it). None below ``MIN_ROUNDS`` rounds in a half."""
    groups = samples.by_round()
    if len(groups) < 2 * MIN_ROUNDS:
        return None
    order = sorted(groups)
    even, odd = (estimate(samples.take([i for r in order[k::2] for i in groups[r]]), name) for k in (0, 1))
    return abs(even / odd - 1) if odd > 0 else None


@dataclass(frozen=True)
class Ratio:
    value: float
    low: float | None  # 95 % bootstrap interval over processes and rounds (paired_ratio); None below MIN_ROUNDS shared
    high: float | None
    rounds: int

    def text(self) -> str:
        """'2.54x (2.52-2.55)'; with too few shared rounds for an interval it says so rather than look certain."""
        if self.low is not None:
            return f"{three_digits(self.value)}x ({three_digits(self.low)}-{three_digits(self.high)})"
        if self.rounds:
            return f"{three_digits(self.value)}x (no interval: {self.rounds} round{'s' * (self.rounds != 1)}, " \
                   f"{MIN_ROUNDS} needed)"
        return f"{three_digits(self.value)}x"


def three_digits(value: float) -> str:
    """Three significant digits, kept (2.00, 0.452, 12.3): enough that a tight interval still shows its width."""
    return f"{value:#.3g}".rstrip(".")


def paired_ratio(first: Rounds, second: Rounds, name: str = LATENCY_ESTIMATOR, resamples: int = 1000,
                 seed: int = 0) -> Ratio:
    """estimate(first) / estimate(second) on the rounds both took part in, with a 95 % percentile bootstrap
    interval that resamples those rounds (the same rounds for both, so a slow phase of the machine cancels).

    Where the rounds came from several agent processes (each burst is one process's, devices/rounds.py), it
    resamples in two stages: first the processes (rounds grouped by which process of each artifact ran them), then
    the rounds within each drawn group. A process keeps a bias for its whole life (memory layout, where its
    allocations landed), so its rounds are not independent of each other; resampling rounds alone treated the three
    processes a run happened to get as the only ones there could be, and gave intervals that held another run's
    ratio too seldom (module docstring)."""
    a_rounds, b_rounds = first.by_round(), second.by_round()
    common = sorted(set(a_rounds) & set(b_rounds))
    if not common:
        return Ratio(estimate(first, name) / estimate(second, name), None, None, 0)

    def ratio(chosen) -> float:
        a = first.take([i for r in chosen for i in a_rounds[r]])
        b = second.take([i for r in chosen for i in b_rounds[r]])
        return estimate(a, name) / estimate(b, name)

    value = ratio(common)
    if len(common) < MIN_ROUNDS or not resamples:  # no resamples asked: the ratio alone
        return Ratio(value, None, None, len(common))
    groups: dict[tuple[int, int], list[int]] = {}
    for r in common:
        groups.setdefault((first.processes[a_rounds[r][0]], second.processes[b_rounds[r][0]]), []).append(r)
    rng, cells = np.random.default_rng(seed), list(groups.values())

    def draw() -> list[int]:
        if len(cells) == 1:
            return list(rng.choice(common, size=len(common), replace=True))
        return [r for k in rng.integers(0, len(cells), len(cells)) for r in rng.choice(cells[k], len(cells[k]))]

    draws = [ratio(draw()) for _ in range(resamples)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return Ratio(value, float(low), float(high), len(common))


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

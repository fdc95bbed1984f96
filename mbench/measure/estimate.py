"""From timed runs taken in interleaved rounds to one latency and paired ratios with intervals.

The headline estimator (``latency``, stored as ``LATENCY_ESTIMATOR``) is the 10th percentile of the timed runs,
every round weighing alike. Noise on a machine only adds time (Chen and Revels, "Robust benchmarking in noisy
environments", 2016), so a low quantile is steadier than the median, and unlike the minimum it does not rest on one
lucky run. benchmarks/bench_repeatability.py chose it among the candidates in benchmarks/estimators.py: the most
repeatable quiet vs. quiet vs. busy that still sees a real 10 % slowdown (figures in benchmarks/RESULTS.md).

A paired ratio's 95 % interval (``paired_ratio``) resamples the agent processes and then the rounds within them, so
a process's lifelong bias (its memory layout) counts as the uncertainty it is. It says how sure one run is of its
own ratio, not where the next run will land: the machine also moves between profiles minutes apart, which no
profile sees from inside (benchmarks/bench_interval.py measures how often another run falls inside).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from mbench.measure.interference import mark
from mbench.results import SampleSet

MIN_ROUNDS = 4  # fewer rounds give no swing and no interval
NOT_PAIRED = "not paired: measured in different rounds"
LATENCY_QUANTILE = 0.10  # the headline's quantile; the stopping rule (timing.enough) narrows its interval
LATENCY_ESTIMATOR = "p10_rounds"  # its name, stored on every latency row


@dataclass(frozen=True)
class Rounds:
    """One artifact's timed runs with the round each was taken in and whether it was marked."""

    values: tuple[float, ...]
    rounds: tuple[int, ...] = ()
    marked: tuple[bool, ...] = ()
    processes: tuple[int, ...] = ()  # which of the artifact's agent processes ran each (measure/rounds.py)

    def __post_init__(self) -> None:
        for name, empty in (("rounds", 0), ("marked", False), ("processes", 0)):
            if not getattr(self, name):
                object.__setattr__(self, name, (empty,) * len(self.values))

    @classmethod
    def measured(cls, values_ms, rounds=(), cpu_ms=(), wait_ms=()) -> Rounds:
        """Timed runs as measured, with their marks worked out from the CPU times and waits."""
        return cls(tuple(values_ms), tuple(rounds), tuple(mark(values_ms, cpu_ms, wait_ms)))

    @classmethod
    def of(cls, samples: SampleSet) -> Rounds:
        """A stored sample set's timed runs with their rounds, marks and processes."""
        return cls(samples.values_ms, samples.rounds, samples.marked, samples.processes)

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

    def take(self, indices) -> Rounds:
        return Rounds(
            *(tuple(getattr(self, name)[i] for i in indices) for name in ("values", "rounds", "marked", "processes"))
        )


def round_weighted_quantile(s: Rounds, q: float) -> float:
    """The ``q`` quantile of the runs with every round weighing alike (each run 1 / its round's runs): numpy's
    default (linear) quantile where every round has as many runs, or there is one round. An artifact that met its
    stopping rule takes one run per round while the others go on (measure/rounds.py); unweighted, its many runs of
    the early rounds would outvote the stretch it then shares with them."""
    groups = s.by_round()
    order = np.argsort(s.values, kind="stable")
    values = np.asarray(s.values, dtype=float)[order]
    weights = np.array([1.0 / len(groups[s.rounds[i]]) for i in order])
    if len(values) == 1:
        return float(values[0])
    below = np.cumsum(weights) - weights  # weight below each run: 0 for the fastest
    return float(np.interp(q, below / (weights.sum() - weights[-1]), values))


def latency(samples: Rounds) -> float:
    """The headline latency of timed runs: their ``LATENCY_QUANTILE`` quantile, every round weighing alike."""
    return round_weighted_quantile(samples, LATENCY_QUANTILE)


Estimator = Callable[[Rounds], float]


def estimate(samples: Rounds, estimator: Estimator = latency) -> float:
    """``estimator`` (the headline latency by default) of timed runs; there must be at least one."""
    if not samples.values:
        raise ValueError("no samples: a latency needs at least one timed run")
    return estimator(samples)


def halves_apart(samples: Rounds, estimator: Estimator = latency) -> float | None:
    """How far apart the estimates over an artifact's even and odd rounds (in the order taken) are, |a / b - 1|:
    two interleaved halves share the machine's slow drifts, so what differs between them is what more rounds would
    still average out (timing.enough stops on it). None below ``MIN_ROUNDS`` rounds in a half."""
    groups = samples.by_round()
    if len(groups) < 2 * MIN_ROUNDS:
        return None
    order = sorted(groups)
    even, odd = (estimate(samples.take([i for r in order[k::2] for i in groups[r]]), estimator) for k in (0, 1))
    return abs(even / odd - 1) if odd > 0 else None


@dataclass(frozen=True)
class Ratio:
    value: float
    low: float | None  # 95 % bootstrap interval over processes and rounds (paired_ratio); None below MIN_ROUNDS shared
    high: float | None
    rounds: int

    def text(self) -> str:
        """'2.54x (2.52-2.55)'; with too few shared rounds for an interval it says so rather than look certain, and
        with none (two artifacts measured in different groups, or parts of a split group: measure/groups.py) that the
        ratio is not paired."""
        if self.low is not None and self.high is not None:  # both or neither
            return f"{three_digits(self.value)}x ({three_digits(self.low)}-{three_digits(self.high)})"
        if self.rounds:
            return (
                f"{three_digits(self.value)}x (no interval: {self.rounds} round{'s' * (self.rounds != 1)}, "
                f"{MIN_ROUNDS} needed)"
            )
        return f"{three_digits(self.value)}x ({NOT_PAIRED})"


def three_digits(value: float) -> str:
    """Three significant digits, kept (2.00, 0.452, 12.3): enough that a tight interval still shows its width."""
    return f"{value:#.3g}".rstrip(".")


def paired_ratio(
    first: Rounds, second: Rounds, estimator: Estimator = latency, resamples: int = 1000, seed: int = 0
) -> Ratio:
    """estimate(first) / estimate(second) on the rounds both took part in, with a 95 % percentile bootstrap
    interval that resamples those rounds (the same rounds for both, so a slow phase of the machine cancels).

    Where the rounds came from several agent processes (each burst is one process's, measure/rounds.py), it
    resamples in two stages: first the processes (rounds grouped by which process of each artifact ran them), then
    the rounds within each drawn group. A process keeps a bias for its whole life (memory layout, where its
    allocations landed), so its rounds are not independent of each other; resampling rounds alone treated the three
    processes a run happened to get as the only ones there could be, and gave intervals that held another run's
    ratio too seldom (module docstring)."""
    a_rounds, b_rounds = first.by_round(), second.by_round()
    common = sorted(set(a_rounds) & set(b_rounds))
    if not common:
        return Ratio(estimate(first, estimator) / estimate(second, estimator), None, None, 0)

    def ratio(chosen) -> float:
        a = first.take([i for r in chosen for i in a_rounds[r]])
        b = second.take([i for r in chosen for i in b_rounds[r]])
        return estimate(a, estimator) / estimate(b, estimator)

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

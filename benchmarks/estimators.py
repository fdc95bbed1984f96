"""The candidate latency estimators that bench_repeatability.py compares with mbench's headline one
(mbench.measure.estimate.latency, named ``LATENCY_ESTIMATOR`` there): each maps an artifact's timed runs, with their
rounds and marks, to one figure. RESULTS.md holds what each achieved and why the headline one was chosen."""

from __future__ import annotations

import statistics
from collections.abc import Callable

import numpy as np

from mbench.measure.estimate import LATENCY_ESTIMATOR, Rounds, latency, round_weighted_quantile


def _unmarked(s: Rounds) -> list[float]:
    kept = [v for v, m in zip(s.values, s.marked) if not m]
    return kept if len(kept) >= max(3, len(s.values) // 4) else list(s.values)  # too few left: all of them


def _trimmed(values, cut: float = 0.1) -> float:
    ordered = sorted(values)
    k = int(len(ordered) * cut)
    return statistics.fmean(ordered[k : len(ordered) - k] or ordered)


def _round_medians(s: Rounds) -> list[float]:
    return [statistics.median(s.values[i] for i in indices) for indices in s.by_round().values()]


def _min_round_median(s: Rounds) -> float:
    return min(_round_medians(s))


FAST_ROUNDS = 0.25


def _fast_rounds_mean(s: Rounds) -> float:
    """The mean of the unmarked runs in the fastest quarter of rounds (by round median): the machine's quiet
    phases. With one round (a tool that times whole invocations, rows from before rounds) it is the unmarked mean."""
    groups = sorted(s.by_round().values(), key=lambda g: statistics.median(s.values[i] for i in g))
    kept = groups[: max(1, round(len(groups) * FAST_ROUNDS))]
    return statistics.fmean(_unmarked(s.take([i for g in kept for i in g])))


ESTIMATORS: dict[str, Callable[[Rounds], float]] = {
    "median": lambda s: statistics.median(s.values),
    "trimmed_mean": lambda s: _trimmed(s.values),
    "p25": lambda s: float(np.percentile(s.values, 25)),
    "p25_rounds": lambda s: round_weighted_quantile(s, 0.25),
    LATENCY_ESTIMATOR: latency,
    "min_round_median": _min_round_median,
    "round_median_p10": lambda s: float(np.percentile(_round_medians(s), 10)),
    "fast_rounds_mean": _fast_rounds_mean,
    "unmarked_mean": lambda s: statistics.fmean(_unmarked(s)),
    "unmarked_median": lambda s: statistics.median(_unmarked(s)),
}

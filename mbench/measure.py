"""The timing loop and the statistics built from its raw samples.

Defaults follow LiteRT benchmark_model: warm up for at least one run and 0.5 s, then time at least 50 runs
and at least 1 s, stopping at 150 s.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class RunPlan:
    warmup_runs: int = 1
    warmup_seconds: float = 0.5
    runs: int = 50
    min_seconds: float = 1.0
    max_seconds: float = 150.0


@dataclass(frozen=True)
class Timings:
    first_ms: float
    warmup_ms: tuple[float, ...]
    samples_ms: tuple[float, ...]


def _time_until(step: Callable[[], None], min_runs: int, min_seconds: float, max_seconds: float) -> list[float]:
    samples: list[float] = []
    start = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - start
        if (len(samples) >= min_runs and elapsed >= min_seconds) or (samples and elapsed >= max_seconds):
            return samples
        t0 = time.perf_counter_ns()
        step()
        samples.append((time.perf_counter_ns() - t0) / 1e6)


def time_runs(step: Callable[[], None], plan: RunPlan) -> Timings:
    """Time the first call on its own, then the warm-up, then the counted runs."""
    first = _time_until(step, 1, 0.0, plan.max_seconds)[0]
    warmup = _time_until(step, max(plan.warmup_runs - 1, 0), plan.warmup_seconds, plan.max_seconds)
    samples = _time_until(step, max(plan.runs, 1), plan.min_seconds, plan.max_seconds)
    return Timings(first, tuple(warmup), tuple(samples))


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default) of already sorted values."""
    position = (len(sorted_values) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


@dataclass(frozen=True)
class LatencyStats:
    count: int
    mean: float
    median: float
    p90: float
    p95: float
    p99: float
    stdev: float
    min: float
    max: float

    @classmethod
    def from_samples(cls, samples: list[float] | tuple[float, ...]) -> "LatencyStats":
        if not samples:
            raise ValueError("no samples: a latency needs at least one timed run")
        ordered = sorted(samples)
        return cls(
            count=len(ordered), mean=statistics.fmean(ordered), median=percentile(ordered, 50),
            p90=percentile(ordered, 90), p95=percentile(ordered, 95), p99=percentile(ordered, 99),
            stdev=statistics.stdev(ordered) if len(ordered) > 1 else 0.0, min=ordered[0], max=ordered[-1],
        )

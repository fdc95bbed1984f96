import numpy as np
import pytest

from mbench.measure import LatencyStats, RunPlan, time_runs


def test_latency_stats_agree_with_numpy():
    samples = list(np.random.default_rng(3).gamma(4.0, 2.0, size=257))
    stats = LatencyStats.from_samples(samples)
    assert stats.count == 257
    assert stats.mean == pytest.approx(np.mean(samples))
    assert stats.median == pytest.approx(np.median(samples))
    for q in (90, 95, 99):
        assert getattr(stats, f"p{q}") == pytest.approx(np.percentile(samples, q))
    assert stats.stdev == pytest.approx(np.std(samples, ddof=1))
    assert (stats.min, stats.max) == (min(samples), max(samples))


def test_latency_stats_need_samples():
    with pytest.raises(ValueError, match="at least one"):
        LatencyStats.from_samples([])


def test_time_runs_honours_minimum_runs_and_time():
    calls = []
    timings = time_runs(lambda: calls.append(1), RunPlan(warmup_runs=3, warmup_seconds=0, runs=7, min_seconds=0))
    assert len(timings.warmup_ms) == 2  # the first run counts as the first warm-up run
    assert len(timings.samples_ms) == 7
    assert len(calls) == 1 + 2 + 7
    long = time_runs(lambda: None, RunPlan(warmup_runs=1, warmup_seconds=0, runs=1, min_seconds=0.05))
    assert len(long.samples_ms) > 1

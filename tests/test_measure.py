import random
import time

import numpy as np
import pytest

from mbench.measure.estimate import LATENCY_QUANTILE
from mbench.measure.timing import HALVES_CI, LatencyStats, RunPlan, ci_width, enough, quantile_interval, timed, warm_up


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


def _until_enough(step, plan: RunPlan) -> list[float]:
    """Timed runs of ``step`` until the plan's stopping rule holds, checked every ten runs as bursts are."""
    samples, started = [], time.perf_counter()
    while len(samples) % 10 or not enough(samples, time.perf_counter() - started, plan):
        samples.append(timed(step))
    return samples


def test_the_rule_waits_for_minimum_runs_and_time():
    plan = RunPlan(runs=7, min_seconds=0.05, target_ci=0)
    assert not enough([1.0] * 6, 1.0, plan) and not enough([1.0] * 7, 0.01, plan) and enough([1.0] * 7, 0.05, plan)


def test_adaptive_runs_stop_when_the_headline_quantile_is_pinned_down():
    steady = _until_enough(lambda: time.sleep(0.002), RunPlan(runs=20, min_seconds=0, max_seconds=5))
    assert 20 <= len(steady) <= 300  # well before the 5 s budget (2,500 runs)
    assert ci_width(steady, LATENCY_QUANTILE) <= 0.01


def test_the_stopping_rule_pins_down_the_quantile_the_headline_reports():
    from mbench.measure.estimate import Rounds, estimate

    values = list(np.random.default_rng(2).gamma(2.0, 3.0, 300))
    assert estimate(Rounds(tuple(values))) == pytest.approx(np.percentile(values, 100 * LATENCY_QUANTILE))
    low, high = quantile_interval(values, LATENCY_QUANTILE)
    assert low < np.percentile(values, 100 * LATENCY_QUANTILE) < high < np.median(values)


def test_adaptive_runs_end_at_the_budget_when_noise_never_settles():
    rng = random.Random(1)
    plan = RunPlan(runs=20, min_seconds=0, max_seconds=0.4)
    noisy = _until_enough(lambda: time.sleep(rng.uniform(0.0005, 0.004)), plan)
    assert ci_width(noisy, LATENCY_QUANTILE) > plan.target_ci and len(noisy) >= plan.runs
    # the same runs are not enough a moment before the budget, and are at it: the budget, not the interval, ended them
    assert not enough(noisy, 0.99 * plan.max_seconds, plan) and enough(noisy, plan.max_seconds, plan)
    # and it ended at the first check past the budget: the runs before the last ten took less than the budget
    assert sum(noisy[:-10]) < 1e3 * plan.max_seconds and len(noisy) % 10 == 0


def test_warm_up_continues_until_timings_settle():
    calls = []

    def step():
        calls.append(1)
        time.sleep(max(0.008 - 0.0005 * len(calls), 0.001))  # a cache warming up over 14 calls, then steady

    warmup = warm_up(step, RunPlan(warmup_runs=1, warmup_seconds=0, runs=10, min_seconds=0, max_seconds=1))
    assert len(warmup) >= 12
    assert np.median([timed(step) for _ in range(5)]) < 2.0  # the runs after it are past the slow phase


def test_median_interval_brackets_the_median_and_noise_is_flagged():
    samples = list(np.random.default_rng(0).normal(10, 0.1, 400))
    low, high = quantile_interval(samples)
    assert low < np.median(samples) < high
    steady = LatencyStats.from_samples(samples)
    assert steady.noise() == "" and steady.cv == pytest.approx(0.01, rel=0.2)
    drifting = LatencyStats.from_samples(list(np.linspace(10, 14, 200)))
    assert "drifted" in drifting.noise() and drifting.drift > 0.05
    spread = LatencyStats.from_samples(list(np.random.default_rng(0).gamma(1.0, 5.0, 200)))
    assert "CV" in spread.noise()
    assert spread.trimmed_mean < spread.mean


def test_in_rounds_agreeing_halves_stop_runs_whose_interval_is_only_a_little_too_wide():
    """Runs spread so that the quartile's interval is twice the target: the runs alone go on to the budget; halves
    of the rounds that agree stop them; halves apart, or none yet, do not; runs spread far wider go on whatever the
    halves say (two wide halves can agree by chance)."""
    plan = RunPlan(runs=50, min_seconds=0, max_seconds=100, target_ci=0.01)
    spread = list(np.random.default_rng(4).uniform(10, 12.5, 400))
    assert plan.target_ci < ci_width(spread, LATENCY_QUANTILE) <= HALVES_CI * plan.target_ci
    assert not enough(spread, 1.0, plan)
    assert enough(spread, 1.0, plan, lambda: 0.005)
    assert not enough(spread, 1.0, plan, lambda: 0.02) and not enough(spread, 1.0, plan, lambda: None)
    wide = list(np.random.default_rng(4).uniform(10, 20, 400))
    assert ci_width(wide, LATENCY_QUANTILE) > HALVES_CI * plan.target_ci and not enough(wide, 1.0, plan, lambda: 0.0)
    assert enough(wide, 100.0, plan)  # the budget ends it all the same

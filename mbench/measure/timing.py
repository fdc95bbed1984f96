"""The run plan, the timing loop and its stopping rule, and the statistics built from raw samples.

Minimums follow LiteRT benchmark_model: warm up for at least one run and 0.5 s, then time at least 50 runs and at
least 1 s. Beyond those, warm-up goes on until timings settle, and timed runs go on until the 95 % confidence
interval of the quantile the headline reports (estimate.LATENCY_QUANTILE, the 10th percentile) is narrower than
``target_ci`` of it. The time budget (``max_seconds``) ends timed runs whatever else holds, the minimums included:
a slow model's row then keeps the runs it got and says so (``few_runs``). A low quantile's interval narrows sooner
than the median's on a machine whose speed swings: its fast mode is dense, its middle is not.

In interleaved rounds that interval, which takes the runs as independent, is the wrong yardstick: runs of one round
share the machine's phase, and runs spread over minutes of a moving machine widen it without making the estimate
worse. There the rule also holds once the headline estimate over the artifact's even rounds and over its odd rounds
agree within ``target_ci`` (estimate.halves_apart) while the runs' interval is within ``HALVES_CI`` times it, a
guard against two wide halves agreeing by chance. How often each rule settles, and how close the results land, is
in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field, replace
from collections.abc import Callable

from mbench.measure.estimate import LATENCY_QUANTILE

CHECK_EVERY = 10  # runs between convergence checks
SETTLE_WINDOW = 5  # warm-up runs compared, window against window
HALVES_CI = 3  # in rounds: halves that agree settle an artifact whose runs' interval is within this many target_ci


def setting(default, help: str, **bounds):
    """A RunPlan field with what a user reads about it and its bounds (``ge``, ``gt``, ``lt``): the command line's
    profile options and the sweep file's ``profile:`` keys are made from these (cli._options.plan_options,
    sweep config), so neither declares a setting or a default of its own."""
    return field(default=default, metadata={"help": help, **bounds})


@dataclass(frozen=True)
class RunPlan:
    """How one artifact is timed: warm-up, minimum runs and time, the stopping rule and budget, and the rounds."""

    warmup_runs: int = setting(1, "Minimum warm-up runs.", ge=0)
    warmup_seconds: float = setting(0.5, "Minimum warm-up time.", ge=0)
    runs: int = setting(50, "Minimum timed runs.", ge=1)
    min_seconds: float = setting(1.0, "Minimum time spent in timed runs.", ge=0)
    max_seconds: float = setting(
        20.0,
        "Time budget per artifact for its timed runs: it ends them even before the "
        "minimums, and the row then says how few runs it got.",
        ge=0,
    )
    target_ci: float = setting(
        0.01,
        "Stop when the 95 % interval of the headline quantile (p10) is this narrow "
        "relative to it (1% or 0.01; 0: fixed runs).",
        ge=0,
        lt=1,
    )
    settle_tolerance: float = setting(
        0.05, "Warm-up ends when consecutive window medians differ by less than this fraction.", ge=0
    )
    burst_seconds: float = setting(
        0.1,
        "Length of a burst of timed runs per interleaved round, for the artifact "
        "that needs most rounds to meet the minimums; the others take the runs that "
        "meet theirs in as many rounds.",
        gt=0,
    )
    burst_runs: int = setting(
        3,
        "Timed runs a burst has at least, however long they take (a slow model's untimed "
        "re-warm run stays a small part of its burst).",
        ge=1,
    )
    seed: int = setting(0, "Seed of the shuffled order of the artifacts in each round.")
    processes: int = setting(
        3,
        "Agent processes per artifact in interleaved rounds, taking its bursts in turn; on "
        "Android and iPhone, rounds of one tool invocation per artifact.",
        ge=1,
    )
    together: bool = setting(
        True,
        "In rounds, an artifact whose stopping rule holds takes one run per round until "
        "every artifact's does, so all rows cover the same stretch of the machine "
        "(--apart: it leaves at once; faster, but rows of one profile may then read a "
        "moving machine at different times).",
        off="apart",
    )
    max_agents: int = setting(
        24,
        "Most agent processes alive at once on the host or an SSH machine: artifacts "
        "compared with each other (a model's formats and precisions, the pairs) share "
        "rounds as one group, groups run one after another, and a group needing more "
        "runs with fewer processes per artifact, or is split.",
        ge=1,
    )
    memory_margin_gb: float = setting(
        2.0,
        "On the host, a group starts no more agents than fit in the memory "
        "the OS reports available (MemAvailable) less this margin.",
        ge=0,
    )

    def shared(self, parts: int) -> RunPlan:
        """What one of ``parts`` invocations of a device tool is asked for (rounds on Android and iPhone, whose tools
        time a whole invocation): its share of the runs and seconds; each invocation warms up on its own."""
        if parts <= 1:
            return self
        return replace(
            self,
            runs=math.ceil(self.runs / parts),
            min_seconds=round(self.min_seconds / parts, 3),
            max_seconds=round(self.max_seconds / parts, 3),
        )


def enough(
    samples_ms: list[float] | tuple[float, ...],
    timed_s: float,
    plan: RunPlan,
    halves: Callable[[], float | None] | None = None,
) -> bool:
    """The stopping rule of timed runs: the minimums (runs, seconds) are met and the interval of ``LATENCY_QUANTILE``
    (the quantile the headline ``latency`` reports) is narrow enough (or adaptive stopping is off), or the budget is
    spent. In rounds, ``halves`` gives how far apart the estimates over even and odd rounds are (None: too few
    rounds); agreeing within ``target_ci`` they stop an artifact whose interval is within ``HALVES_CI`` times it."""
    if timed_s >= plan.max_seconds:
        return True
    if len(samples_ms) < max(plan.runs, 1):
        return False
    if timed_s >= plan.min_seconds:
        width = 0.0 if plan.target_ci == 0 else ci_width(samples_ms, LATENCY_QUANTILE)
        if width <= plan.target_ci:
            return True
        if halves is not None and width <= HALVES_CI * plan.target_ci:
            apart = halves()
            if apart is not None and apart <= plan.target_ci:
                return True
    return False


def few_runs(runs: int, timed_s: float, plan: RunPlan) -> str:
    """What a row says where the budget ended its timed runs before the plan's minimums: '3 of 50 wanted' (or the
    seconds, where the runs were enough); '' where the minimums were met."""
    if runs < plan.runs:
        return f"{runs} of {plan.runs} wanted"
    if timed_s < plan.min_seconds and timed_s >= plan.max_seconds:
        return f"{timed_s:.2f} s of {plan.min_seconds:g} s wanted"
    return ""


def timed(step: Callable[[], object]) -> float:
    t0 = time.perf_counter_ns()
    step()
    return (time.perf_counter_ns() - t0) / 1e6


def _settled(samples: list[float], tolerance: float) -> bool:
    if len(samples) < 2 * SETTLE_WINDOW:
        return False
    now = statistics.median(samples[-SETTLE_WINDOW:])
    before = statistics.median(samples[-2 * SETTLE_WINDOW : -SETTLE_WINDOW])
    return abs(now - before) <= tolerance * before


def warm_up(step: Callable[[], object], plan: RunPlan) -> list[float]:
    samples: list[float] = []
    start = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - start
        minimums = len(samples) >= plan.warmup_runs - 1 and elapsed >= plan.warmup_seconds
        if minimums and (
            plan.target_ci == 0
            or _settled(samples, plan.settle_tolerance)
            or elapsed >= 2 * max(plan.warmup_seconds, 1.0)
        ):
            return samples
        samples.append(timed(step))


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default) of already sorted values."""
    position = (len(sorted_values) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def quantile_interval(samples: list[float] | tuple[float, ...], q: float = 0.5) -> tuple[float, float]:
    """Distribution-free 95 % confidence interval of the ``q`` quantile (0.5: the median) from order statistics
    (normal approximation of the binomial: ranks nq -+ 1.96 sqrt(nq(1-q)))."""
    ordered = sorted(samples)
    n = len(ordered)
    half = 1.96 * math.sqrt(n * q * (1 - q))
    low, high = max(int(math.floor(n * q - half)), 0), min(int(math.ceil(n * q + half)), n - 1)
    return ordered[low], ordered[high]


def ci_width(samples: list[float] | tuple[float, ...], q: float = 0.5) -> float:
    """The width of the ``q`` quantile's interval relative to that quantile (infinite below 10 samples)."""
    if len(samples) < 10:
        return math.inf
    low, high = quantile_interval(samples, q)
    return (high - low) / percentile(sorted(samples), 100 * q)


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
    trimmed_mean: float  # mean of the middle 80 %
    cv: float  # stdev / mean
    ci_low: float  # 95 % interval of the median
    ci_high: float
    drift: float  # relative change of the median from the first to the second half of the runs

    @classmethod
    def from_samples(cls, samples: list[float] | tuple[float, ...]) -> LatencyStats:
        if not samples:
            raise ValueError("no samples: a latency needs at least one timed run")
        ordered, n = sorted(samples), len(samples)
        mean = statistics.fmean(ordered)
        stdev = statistics.stdev(ordered) if n > 1 else 0.0
        cut = n // 10
        low, high = quantile_interval(ordered) if n >= 10 else (ordered[0], ordered[-1])
        first, second = samples[: n // 2] or samples, samples[n // 2 :]
        return cls(
            count=n,
            mean=mean,
            median=percentile(ordered, 50),
            p90=percentile(ordered, 90),
            p95=percentile(ordered, 95),
            p99=percentile(ordered, 99),
            stdev=stdev,
            min=ordered[0],
            max=ordered[-1],
            trimmed_mean=statistics.fmean(ordered[cut : n - cut]),
            cv=stdev / mean if mean else 0.0,
            ci_low=low,
            ci_high=high,
            drift=statistics.median(second) / statistics.median(first) - 1 if n > 1 else 0.0,
        )

    def noise(self, max_cv: float = 0.10, max_drift: float = 0.05) -> str:
        """Why this measurement should not be trusted at face value, or '' when it looks steady."""
        reasons = []
        if self.cv > max_cv:
            reasons.append(f"CV {self.cv:.0%} > {max_cv:.0%}")
        if abs(self.drift) > max_drift:
            reasons.append(f"median drifted {self.drift:+.0%} between the first and second half")
        return "; ".join(reasons)

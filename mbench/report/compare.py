"""Two runs side by side: per artifact and device, how a metric changed and whether the change is real.

Latency metrics are tested on the raw timed runs with a two-sided Mann-Whitney U test (no assumption that latencies
are normal; they rarely are). A regression is a change for the worse past the threshold that is also significant;
a metric without raw samples (size, accuracy on a fixed data set) is deterministic, so the threshold alone decides.
Something that worked in the first run and fails in the second is a regression too.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mbench.results import SampleSet
from mbench.store import KEY, Store, latest_rows

HIGHER_IS_BETTER = frozenset({"ods_f", "ois_f", "ap", "top1", "top5", "miou"})


class UnknownRunError(ValueError):
    pass


@dataclass(frozen=True)
class Difference:
    key: tuple[str, str, str, str]  # model, format, precision, device
    before: float | None
    after: float | None
    p_value: float | None
    samples: tuple[int, int]
    regressed: bool
    note: str

    @property
    def change(self) -> float | None:
        """Relative change from the first run to the second, e.g. 0.12 for 12 % more."""
        if self.before is None or self.after is None or self.before == 0:
            return None
        return (self.after - self.before) / abs(self.before)


@dataclass(frozen=True)
class RunComparison:
    run_a: str
    run_b: str
    metric: str
    threshold: float
    alpha: float
    differences: list[Difference]

    @property
    def regressions(self) -> list[Difference]:
        return [d for d in self.differences if d.regressed]

    def frame(self) -> pd.DataFrame:
        records = [dict(zip(KEY, d.key), before=d.before, after=d.after,
                        change_pct=None if d.change is None else round(100 * d.change, 2), p_value=d.p_value,
                        samples=f"{d.samples[0]} / {d.samples[1]}", verdict="REGRESSION" if d.regressed else "ok",
                        note=d.note) for d in self.differences]
        return pd.DataFrame(records, columns=[*KEY, "before", "after", "change_pct", "p_value", "samples", "verdict",
                                                   "note"])


def compare_runs(store: Store, run_a: str, run_b: str, metric: str = "latency_median", threshold: float = 0.05,
                 alpha: float = 0.05) -> RunComparison:
    """Compare `metric` of every artifact and device measured in both runs (run_a is the baseline)."""
    _check_runs(store, [run_a, run_b])
    rows = store.measurements()
    before, after = (_values(rows, run, metric) for run in (run_a, run_b))
    samples = store.samples()
    differences = []
    for key in sorted(set(before) | set(after)):
        pooled = (_pooled(samples, run_a, key), _pooled(samples, run_b, key))
        differences.append(_difference(key, before.get(key), after.get(key), pooled, metric, threshold, alpha))
    return RunComparison(run_a, run_b, metric, threshold, alpha, differences)


def latest_run(store: Store, metric: str, excluding: str) -> str:
    """The newest run, other than `excluding`, that measured `metric`."""
    _check_runs(store, [excluding])
    rows = store.measurements()
    runs = store.runs()
    measured = set(rows[(rows.metric == metric) & (rows.run_id != excluding)].run_id)
    later = [r for r in runs.run_id if r in measured]
    if not later:
        raise UnknownRunError(f"no run other than {excluding} measured {metric!r}; run `mbench profile` again first")
    return later[-1]


def _check_runs(store: Store, wanted: list[str]) -> None:
    known = list(store.runs().run_id)
    for run in wanted:
        if run not in known:
            listing = ", ".join(known[-8:]) or "none"
            raise UnknownRunError(f"run {run!r} is not in {store.path}; known runs (newest last): {listing}")


def _values(rows: pd.DataFrame, run: str, metric: str) -> dict[tuple, tuple[float | None, str]]:
    """Per key, the run's newest (value, error) for the metric; a failed row has value None and its error."""
    names = [metric, "latency"] if metric.startswith("latency") else [metric]  # 'latency' rows carry failures
    mine = latest_rows(rows[(rows.run_id == run) & rows.metric.isin(names)])
    mine = mine[(mine.metric == metric) | (mine.status != "ok")].sort_values("metric", key=lambda m: m == metric)
    values = {}
    for row in mine.itertuples():  # failures first, so a measured value wins
        ok = row.status == "ok" and not pd.isna(row.value)
        values[tuple(getattr(row, k) for k in KEY)] = (float(row.value) if ok else None, row.error)
    return values


def _pooled(samples: list[SampleSet], run: str, key: tuple) -> list[float]:
    return [v for s in samples if s.run_id == run and (s.model, s.format, s.precision, s.device) == key
            for v in s.values_ms]


def _difference(key, before, after, pooled, metric, threshold, alpha) -> Difference:
    counts = (len(pooled[0]), len(pooled[1]))
    (a, error_a), (b, error_b) = before or (None, "not measured"), after or (None, "not measured")
    if a is None or b is None:
        broke = a is not None and b is None and after is not None
        note = f"failed in the second run: {error_b}" if broke else f"not measured in both runs: {error_b or error_a}"
        return Difference(key, a, b, None, counts, broke, note)
    p_value = _mann_whitney(*pooled) if metric.startswith("latency") and min(counts) >= 2 else None
    significant = p_value is None or p_value < alpha
    loss = (a - b) if metric in HIGHER_IS_BETTER else (b - a)
    worse = a != 0 and loss / abs(a) > threshold
    note = "no raw samples: the threshold alone decides" if p_value is None else (
        "significant" if significant else f"not significant at alpha {alpha:g}")
    return Difference(key, a, b, p_value, counts, worse and significant, note)


def _mann_whitney(first: list[float], second: list[float]) -> float:
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(first, second, alternative="two-sided").pvalue)

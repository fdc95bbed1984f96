"""Two runs side by side: per artifact and device, how a metric changed and whether the change is real.

Latency metrics are tested on the raw timed runs with a two-sided Mann-Whitney U test (no assumption that latencies
are normal; they rarely are). A regression is a change for the worse past the threshold that is also significant;
a metric without raw samples (size, accuracy on a fixed data set) is deterministic, so the threshold alone decides.
Something that worked in the first run and fails in the second is a regression too.

Inconclusive: when either run's row is contended (its details say ``contended``: more than 10 % of its timed runs
were marked as descheduled, see mbench/estimate.py), a change for the worse past the threshold could be the machine
rather than the artifact. It is then a regression only if it also holds on the unmarked runs alone (at least
``MIN_UNMARKED`` on each side, their medians worse past the threshold and the test significant); otherwise it is
"inconclusive", which `mbench compare` reports with its own exit status (3), never as a pass or a regression.

The default metric is ``latency`` (the headline estimate); rows stored before it existed fall back to
``latency_median``, and the note says so.
"""
from __future__ import annotations

import dataclasses
import json
import statistics
from dataclasses import dataclass

import pandas as pd

from mbench.results import SampleSet
from mbench.store import KEY, Store, latest_rows

HIGHER_IS_BETTER = frozenset({"ods_f", "ois_f", "ap", "top1", "top5", "miou"})
DEFAULT_METRIC = "latency"
FALLBACK = {"latency": "latency_median"}  # rows stored before `latency` existed
MIN_UNMARKED = 10


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
    inconclusive: bool = False

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

    @property
    def inconclusive(self) -> list[Difference]:
        return [d for d in self.differences if d.inconclusive]

    def frame(self) -> pd.DataFrame:
        records = [dict(zip(KEY, d.key), before=d.before, after=d.after,
                        change_pct=None if d.change is None else round(100 * d.change, 2), p_value=d.p_value,
                        samples=f"{d.samples[0]} / {d.samples[1]}", verdict=_verdict(d),
                        note=d.note) for d in self.differences]
        return pd.DataFrame(records, columns=[*KEY, "before", "after", "change_pct", "p_value", "samples", "verdict",
                                                   "note"])


def _verdict(d: Difference) -> str:
    return "REGRESSION" if d.regressed else "inconclusive" if d.inconclusive else "ok"


def compare_runs(store: Store, run_a: str, run_b: str, metric: str = DEFAULT_METRIC, threshold: float = 0.05,
                 alpha: float = 0.05) -> RunComparison:
    """Compare `metric` of every artifact and device measured in both runs (run_a is the baseline)."""
    _check_runs(store, [run_a, run_b])
    rows = store.measurements()
    before, after = (_values(rows, run, metric) for run in (run_a, run_b))
    samples = store.samples()
    differences = []
    for key in sorted(set(before) | set(after)):
        pooled = (_pooled(samples, run_a, key), _pooled(samples, run_b, key))
        found = _difference(key, before.get(key), after.get(key), [v for v, _ in pooled[0]],
                            [v for v, _ in pooled[1]], metric, threshold, alpha)
        differences.append(_machine_or_artifact(found, before.get(key), after.get(key), pooled, threshold, alpha))
    return RunComparison(run_a, run_b, metric, threshold, alpha, differences)


def _machine_or_artifact(found: Difference, before, after, pooled, threshold: float, alpha: float) -> Difference:
    """A regression measured on a contended machine stands only if the unmarked runs alone show it too."""
    busy = [side for side, value in (("before", before), ("after", after)) if value and value[2]]
    if not busy or not found.regressed or found.p_value is None:
        return found
    clean = [[v for v, marked in side if not marked] for side in pooled]
    where = " and ".join(busy)
    if min(len(c) for c in clean) >= MIN_UNMARKED:
        a, b = (statistics.median(c) for c in clean)
        if (b - a) / a > threshold and _mann_whitney(*clean) < alpha:
            return dataclasses.replace(found, note=f"{found.note}; contended {where}, but the unmarked runs agree")
    return dataclasses.replace(found, regressed=False, inconclusive=True,
                               note=f"contended {where}: the difference could be the machine ({found.note})")


def latest_run(store: Store, metric: str, excluding: str) -> str:
    """The newest run, other than `excluding`, that measured `metric`."""
    _check_runs(store, [excluding])
    rows = store.measurements()
    runs = store.runs()
    measured = set(rows[rows.metric.isin([metric, FALLBACK.get(metric, metric)]) & (rows.run_id != excluding)].run_id)
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


def _values(rows: pd.DataFrame, run: str, metric: str) -> dict[tuple, tuple[float | None, str, bool]]:
    """Per key, the run's newest (value, error or note, contended) for the metric; a failed row has value None and
    its error. An older row without ``latency`` gives its ``latency_median``, noted."""
    fallback = FALLBACK.get(metric)
    names = [metric, "latency", *([fallback] if fallback else [])] if metric.startswith("latency") else [metric]
    mine = latest_rows(rows[(rows.run_id == run) & rows.metric.isin(names)])
    rank = {fallback: 1, metric: 2}
    mine = mine[mine.metric.isin(rank) | (mine.status != "ok")]
    mine = mine.sort_values("metric", key=lambda m: m.map(rank).fillna(0))
    values = {}
    for row in mine.itertuples():  # failures first, then the fallback, so the metric itself wins
        ok = row.status == "ok" and not pd.isna(row.value)
        note = "older row: latency_median stands in for latency" if ok and row.metric == fallback else row.error
        values[tuple(getattr(row, k) for k in KEY)] = (float(row.value) if ok else None, note, _contended(row.details))
    return values


def _contended(details: str) -> bool:
    try:
        return bool(json.loads(details or "{}").get("contended"))
    except ValueError:
        return False


def _pooled(samples: list[SampleSet], run: str, key: tuple) -> list[tuple[float, bool]]:
    """(value, marked) of every raw run of ``key`` in ``run``."""
    return [(v, bool(s.marked[i]) if s.marked else False) for s in samples
            if s.run_id == run and (s.model, s.format, s.precision, s.device) == key for i, v in enumerate(s.values_ms)]


def _difference(key, before, after, first, second, metric, threshold, alpha) -> Difference:
    pooled = (first, second)
    counts = (len(pooled[0]), len(pooled[1]))
    (a, error_a, _), (b, error_b, _) = before or (None, "not measured", False), after or (None, "not measured", False)
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
    older = [n for n in (error_a, error_b) if n.startswith("older row")]
    note = f"{note}; {older[0]}" if older else note
    return Difference(key, a, b, p_value, counts, worse and significant, note)


def _mann_whitney(first: list[float], second: list[float]) -> float:
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(first, second, alternative="two-sided").pvalue)

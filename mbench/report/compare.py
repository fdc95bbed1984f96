"""Two runs side by side: per artifact and device, how a metric changed and whether the change is real.

Latency metrics are tested on the raw timed runs with a two-sided Mann-Whitney U test (no assumption that latencies
are normal; they rarely are). A regression is a change for the worse past the threshold that is also significant;
a metric without raw samples (size, accuracy on a fixed data set) is deterministic, so the threshold alone decides.
Something that worked in the first run and fails in the second is a regression too.

Drift: two runs minutes apart differ by the machine as well as by the artifacts. Where other artifacts on the same
device did not change between the runs (same sha256, runtime version and threads), the median of their changes is
the machine's drift, and each change is judged against it ((1 + change) / (1 + drift) - 1). A drift past the
threshold marks the pair of runs as "moved": like a contended row, no pass is given where a regression could hide.
A change within the threshold as measured but past it against the drift (the machine got faster while the artifact
got slower) is judged as a regression would be: otherwise a true slowdown hides behind a machine that ran faster in
the second run (benchmarks/RESULTS.md has the case that passed before).

Inconclusive: when either run's row is contended (its details say ``contended``: more than 10 % of its timed runs
were marked as descheduled, the machine's speed swung more than 10 % between rounds, or the CPUs beside the agent's
were more than 25 % busy, see mbench/measure/interference.py), a change for the worse past the threshold could be
the machine rather than the artifact. It is then a regression only if it also holds on the unmarked runs alone (at least
``MIN_UNMARKED`` on each side, their medians worse past the threshold and the test significant). On any machine, a
regression must be past the threshold by more than the swing either run saw (rows record ``round_swing``: a change
within the machine's own movement during a run cannot be told from it) plus, where a drift was seen, the references'
disagreement about it; otherwise it is "inconclusive", which `mbench compare` reports with its own exit status (3),
never as a pass or a regression. For the same reason, on a contended or moved machine any change (an improvement
too) that lies within that uncertainty of a regression past the threshold is inconclusive.

Calm machine: where neither row is contended and at least ``MIN_CALM_REFERENCES`` unchanged artifacts measured the
same two runs, their changes measure directly how far an unchanged artifact strays between these two runs, so the
margin is the widest of them (its distance from the drift) instead of the swing: on a calm machine unchanged
artifacts stray far less than one row's swing, so a real slowdown is not called inconclusive for the swing alone.

The default metric is ``latency`` (the headline estimate); rows stored before it existed fall back to
``latency_median``, and the note says so. A ``latency`` row estimated otherwise than today's headline (its details'
``estimator``: older versions stored ``p25`` or ``p25_rounds``, today's store ``p10_rounds``; the 10th and 25th
percentiles of one artifact's runs lie a few percent apart) is estimated again from its stored runs with
today's, so both sides and the drift's references are alike, and the note says so; where its runs were not stored
the note says the two were estimated differently and the verdict is left as it is.

Emulated devices (devices.yaml ``emulated: true``, whose timing rows say ``emulated``) get no verdict on a timing
metric: an emulator's time is not a device's speed. Their changes are listed with the verdict "emulated".
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from mbench.errors import MBenchError
from mbench.measure.estimate import LATENCY_ESTIMATOR, Rounds, estimate
from mbench.measure.interference import contention
from mbench.report.tables import emulated_timing, machine_seen
from mbench.results import SampleSet, details_of
from mbench.store import KEY, Store, latest_rows

HIGHER_IS_BETTER = frozenset({"ods_f", "ois_f", "ap", "top1", "top5", "miou"})
DEFAULT_METRIC = "latency"
FALLBACK = {"latency": "latency_median"}  # rows stored before `latency` existed
MIN_UNMARKED = 10
MIN_REFERENCES = 2
MIN_CALM_REFERENCES = 3  # unchanged artifacts needed before their disagreement replaces the swing (module docstring)


class UnknownRunError(MBenchError, ValueError):
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
    emulated: bool = False  # timed on an emulated device: listed, never a verdict

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
        records = [
            dict(
                zip(KEY, d.key),
                before=d.before,
                after=d.after,
                change_pct=None if d.change is None else round(100 * d.change, 2),
                p_value=d.p_value,
                samples=f"{d.samples[0]} / {d.samples[1]}",
                verdict=_verdict(d),
                note=d.note,
            )
            for d in self.differences
        ]
        return pd.DataFrame(
            records, columns=[*KEY, "before", "after", "change_pct", "p_value", "samples", "verdict", "note"]
        )


def _verdict(d: Difference) -> str:
    return "emulated" if d.emulated else "REGRESSION" if d.regressed else "inconclusive" if d.inconclusive else "ok"


def compare_runs(
    store: Store, run_a: str, run_b: str, metric: str = DEFAULT_METRIC, threshold: float = 0.05, alpha: float = 0.05
) -> RunComparison:
    """Compare `metric` of every artifact and device measured in both runs (run_a is the baseline)."""
    check_runs(store, [run_a, run_b])
    rows = store.measurements()
    samples = [s for run in dict.fromkeys((run_a, run_b)) for s in store.samples(run)]
    before, after = (as_today(run_values(rows, run, metric), samples, run) for run in (run_a, run_b))
    differences, emulated = [], _emulated_keys(rows[rows.run_id.isin((run_a, run_b))])
    for key in sorted(set(before) | set(after)):
        pooled = (_pooled(samples, run_a, key), _pooled(samples, run_b, key))
        found = _difference(
            key,
            before.get(key),
            after.get(key),
            [v for v, _ in pooled[0]],
            [v for v, _ in pooled[1]],
            metric,
            threshold,
            alpha,
        )
        found = _machine_or_artifact(
            found, before.get(key), after.get(key), pooled, threshold, alpha, machine_drift(before, after, key)
        )
        differences.append(_without_verdict(found) if key in emulated else found)
    return RunComparison(run_a, run_b, metric, threshold, alpha, differences)


def _emulated_keys(rows: pd.DataFrame) -> set[tuple]:
    return set(rows[emulated_timing(rows)][list(KEY)].itertuples(index=False, name=None))


def _without_verdict(found: Difference) -> Difference:
    note = "; ".join(n for n in ("emulated device: an emulator's time is not a device's speed", found.note) if n)
    return dataclasses.replace(found, regressed=False, inconclusive=False, emulated=True, note=note)


@dataclass(frozen=True)
class Drift:
    """How much the machine itself moved between two runs, as seen by a key's references: the other artifacts on
    the same device that did not change (same sha256, runtime version and threads in both runs)."""

    change: float  # the median of the references' relative changes
    spread: float  # how much they disagree: the interquartile range of those changes
    references: int
    widest: float = 0.0  # the farthest any reference's change lies from ``change``


def machine_drift(before: dict, after: dict, key: tuple) -> Drift | None:
    """``key``'s view of the machine's drift between the runs; None with fewer than MIN_REFERENCES references."""
    changes = [
        after[k].value / before[k].value - 1
        for k in set(before) & set(after)
        if k != key
        and k[3] == key[3]
        and before[k].value
        and after[k].value
        and before[k].identity == after[k].identity
    ]
    if len(changes) < MIN_REFERENCES:
        return None
    low, high = np.percentile(changes, [25, 75])
    middle = statistics.median(changes)
    return Drift(middle, float(high - low), len(changes), max(abs(c - middle) for c in changes))


def _machine_or_artifact(
    found: Difference, before, after, pooled, threshold: float, alpha: float, drift: Drift | None
) -> Difference:
    """What the machine allows a difference to mean (module docstring): the change is taken relative to the machine's
    drift between the runs where unchanged references show it; a regression must be past the threshold by more than
    the machine's own uncertainty (the swing either run saw, plus the references' disagreement; on a calm machine
    with enough references, the widest any of them strayed) and agree with the
    unmarked runs where runs were marked; on a contended or moved machine any change that could hide a regression
    past the threshold is inconclusive, not a pass."""
    if found.p_value is None:
        return found
    busy = [
        f"{name} ({side.contention})" if side.contention else name
        for name, side in (("before", before), ("after", after))
        if side.contended
    ]
    swing = max(before.swing, after.swing)
    moved = drift is not None and abs(drift.change) > threshold
    change = found.change if drift is None else (1 + found.change) / (1 + drift.change) - 1
    calm = not busy and drift is not None and drift.references >= MIN_CALM_REFERENCES
    uncertain = drift.widest if calm else swing + (drift.spread if drift else 0.0)
    margin = (
        f"the widest an unchanged artifact strayed from the machine's drift ({drift.widest:.0%})"
        if calm
        else f"the swing ({swing:.0%})"
    )
    seen = (
        ([f"contended {' and '.join(busy)}"] if busy else [])
        + (
            [
                f"the machine moved {drift.change:+.0%} between the runs "
                f"(median of {drift.references} unchanged artifacts, spread {drift.spread:.0%})"
            ]
            if moved
            else []
        )
        + (
            [f"unchanged artifacts strayed up to {drift.widest:.0%} from the machine's drift"]
            if calm
            else [f"swung up to {swing:.0%} between rounds"]
        )
    )
    why = ", ".join(seen)
    # A machine that got faster can hide a regression: past the threshold against the drift counts as well.
    suspect = found.regressed or (change > threshold and found.p_value < alpha)
    if suspect and change - uncertain > threshold and (not busy or _unmarked_agree(pooled, threshold, alpha)):
        drifted = f", {change:+.0%} against the machine's drift ({drift.change:+.0%})" if drift else ""
        agree = "; the unmarked runs agree" if busy else ""
        return dataclasses.replace(
            found, regressed=True, note=f"{found.note}{agree}; past the threshold by more than {margin}{drifted}"
        )
    if suspect:
        return dataclasses.replace(
            found, regressed=False, inconclusive=True, note=f"{why}: the difference could be the machine ({found.note})"
        )
    if (busy or moved) and (change + uncertain > threshold or moved and abs(found.change) > threshold):
        return dataclasses.replace(
            found, inconclusive=True, note=f"{why}: a regression past the threshold cannot be ruled out ({found.note})"
        )
    return found


def _unmarked_agree(pooled, threshold: float, alpha: float) -> bool:
    clean = [[v for v, marked in side if not marked] for side in pooled]
    if min(len(c) for c in clean) < MIN_UNMARKED:
        return False
    a, b = (statistics.median(c) for c in clean)
    return (b - a) / a > threshold and _mann_whitney(*clean) < alpha


def latest_run(store: Store, metric: str, excluding: str | None = None) -> str:
    """The newest run, other than `excluding`, that measured `metric`."""
    if excluding is not None:
        check_runs(store, [excluding])
    rows = store.measurements()
    runs = store.runs()
    measured = set(rows[rows.metric.isin([metric, FALLBACK.get(metric, metric)]) & (rows.run_id != excluding)].run_id)
    later = [r for r in runs.run_id if r in measured]
    if not later:
        other = f" other than {excluding}" if excluding else ""
        raise UnknownRunError(f"no run{other} in {store.path} measured {metric!r}; run `mbench profile` first")
    return later[-1]


def check_runs(store: Store, wanted: list[str]) -> None:
    known = list(store.runs().run_id)
    for run in wanted:
        if run not in known:
            listing = ", ".join(known[-8:]) or "none"
            raise UnknownRunError(f"run {run!r} is not in {store.path}; known runs (newest last): {listing}")


class Side(NamedTuple):
    """One run's newest row of a metric for one key, as a comparison needs it."""

    value: float | None  # None for a failed row
    note: str  # its error, or why an older row's median stands in
    contended: bool
    swing: float  # between rounds; 0 where not recorded
    identity: tuple  # artifact sha256, runtime version, threads: what must not change for a drift reference
    estimator: str = ""  # how a `latency` row was estimated (its details' ``estimator``); "" where not recorded
    stored_as: str = ""  # the estimator it was stored with, where it was estimated again (as_today)
    contention: str = ""  # what made a contended row contended, in words (estimate.contention)


def run_values(rows: pd.DataFrame, run: str, metric: str) -> dict[tuple, Side]:
    """Per key, the run's newest row of the metric. An older row without ``latency`` gives its ``latency_median``,
    noted."""
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
        identity = (row.artifact_sha256, row.runtime_version, row.threads)
        seen = details_of(row.details)
        contended = bool(seen.get("contended"))
        values[tuple(getattr(row, k) for k in KEY)] = Side(
            float(row.value) if ok else None,
            note,
            contended,
            float(seen.get("round_swing") or 0.0),
            identity,
            seen.get("estimator", "") if row.metric == "latency" else "",
            contention=contention(*machine_seen(seen)) if contended else "",
        )
    return values


def as_today(sides: dict[tuple, Side], samples: list[SampleSet], run: str) -> dict[tuple, Side]:
    """Each `latency` row stored with another estimator than today's headline, estimated again from its stored
    runs (the newest set of its key in ``run``); rows without stored runs as they are."""
    found = dict(sides)
    for key, side in sides.items():
        if side.value is None or not side.estimator or side.estimator == LATENCY_ESTIMATOR:
            continue
        mine = _sets_of(samples, run, key)
        if mine:
            found[key] = side._replace(
                value=estimate(Rounds.of(mine[-1])), estimator=LATENCY_ESTIMATOR, stored_as=side.estimator
            )
    return found


def _sets_of(samples: list[SampleSet], run: str, key: tuple) -> list[SampleSet]:
    """The sample sets of ``key`` in ``run``, in the order stored."""
    return [s for s in samples if s.run_id == run and (s.model, s.format, s.precision, s.device) == key]


def _pooled(samples: list[SampleSet], run: str, key: tuple) -> list[tuple[float, bool]]:
    """(value, marked) of every raw run of ``key`` in ``run``."""
    return [
        (v, bool(s.marked[i]) if s.marked else False)
        for s in _sets_of(samples, run, key)
        for i, v in enumerate(s.values_ms)
    ]


def _difference(key, before, after, first, second, metric, threshold, alpha) -> Difference:
    pooled = (first, second)
    counts = (len(pooled[0]), len(pooled[1]))
    (a, error_a, *_), (b, error_b, *_) = (side or (None, "not measured") for side in (before, after))
    if a is None or b is None:
        broke = a is not None and b is None and after is not None
        note = f"failed in the second run: {error_b}" if broke else f"not measured in both runs: {error_b or error_a}"
        return Difference(key, a, b, None, counts, broke, note)
    p_value = _mann_whitney(*pooled) if metric.startswith("latency") and min(counts) >= 2 else None
    significant = p_value is None or p_value < alpha
    loss = (a - b) if metric in HIGHER_IS_BETTER else (b - a)
    worse = a != 0 and loss / abs(a) > threshold
    note = (
        "no raw samples: the threshold alone decides"
        if p_value is None
        else ("significant" if significant else f"not significant at alpha {alpha:g}")
    )
    older = [n for n in (error_a, error_b) if n.startswith("older row")]
    note = f"{note}; {older[0]}" if older else note
    if before.estimator and after.estimator and before.estimator != after.estimator:
        note = f"{note}; estimated differently: {before.estimator} then {after.estimator}"
    again = [
        f"{name} stored as {side.stored_as}" for name, side in (("first", before), ("second", after)) if side.stored_as
    ]
    if len(again) == 2 and before.stored_as == after.stored_as:
        again = [f"both stored as {before.stored_as}"]
    if again:
        note = f"{note}; {LATENCY_ESTIMATOR} taken again from the stored runs ({', '.join(again)})"
    return Difference(key, a, b, p_value, counts, worse and significant, note)


def _mann_whitney(first: list[float], second: list[float]) -> float:
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(first, second, alternative="two-sided").pvalue)

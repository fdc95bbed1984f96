"""Two builds of a network measured in one run: a baseline and a candidate model profiled together, in the same
interleaved rounds, compared per format, precision and device by their paired latency ratio.

Two runs minutes apart see the machine's drift between them as much as any change in the artifact; two models timed
round after round in one run share every slow phase of the machine, which cancels in their paired ratio
(estimate.paired_ratio, with a 95 % bootstrap interval over the agent processes and the rounds both took part in).
This is the regression gate to use on a shared or virtual machine: profile both builds in one `mbench profile` with
``--pair BASELINE,CANDIDATE``, then `mbench compare RUN --models BASELINE,CANDIDATE`.

Verdict, for a ratio r (candidate / baseline) with interval [low, high] and threshold t: a regression when the whole
interval is past 1 + t, or when r > 1 + t and low > 1 on rows that are not contended (the slowdown is past the
threshold and real); otherwise inconclusive (exit 3) while high > 1 + t (a regression past the threshold can be
neither confirmed nor ruled out: measure longer, or on a quieter machine), else ok. Without an interval (fewer than
estimate.MIN_ROUNDS shared rounds: a tool that times whole invocations, rows from before rounds) the threshold alone
decides, as for a metric without raw samples, and a contended row past it is inconclusive. Two models profiled
together but not paired were measured in different groups (measure/groups.py), whose rounds never pair: the note
says so and names --pair.
"""

from __future__ import annotations

from mbench.errors import MBenchError
from mbench.measure.estimate import NOT_PAIRED, Ratio, Rounds, paired_ratio
from mbench.report.compare import DEFAULT_METRIC, Difference, RunComparison, check_runs, run_values
from mbench.store import Store


class UnknownModelError(MBenchError, ValueError):
    pass


def compare_models(store: Store, run: str, baseline: str, candidate: str, threshold: float = 0.05) -> RunComparison:
    """The candidate model against the baseline model, both measured in ``run`` (``latency``, paired over rounds)."""
    check_runs(store, [run])
    values = run_values(store.measurements(), run, DEFAULT_METRIC)
    measured = sorted({key[0] for key in values})
    for model in (baseline, candidate):
        if model not in measured:
            raise UnknownModelError(
                f"model {model!r} has no latency in run {run}; measured there: {', '.join(measured) or 'none'}"
            )
    timed = {
        (s.model, s.format, s.precision, s.device): Rounds.of(s)
        for s in store.samples(run)
        if s.model in (baseline, candidate)
    }
    differences = []
    for key in sorted(k for k in values if k[0] == baseline):
        other = (candidate, *key[1:])
        if other in values:
            differences.append(_paired(key, other, values, timed, candidate, threshold))
    return RunComparison(run, run, DEFAULT_METRIC, threshold, 0.05, differences)


def _paired(key, other, values, timed, candidate: str, threshold: float) -> Difference:
    base, cand = values[key], values[other]
    a, b = base.value, cand.value
    shown = (f"{candidate} vs {key[0]}", *key[1:])
    if a is None or b is None:
        return Difference(shown, a, b, None, (0, 0), False, f"not measured: {cand.note or base.note}")
    counts = tuple(len(timed[k].values) if k in timed else 0 for k in (key, other))
    if key not in timed or other not in timed:
        ratio, apart = Ratio(b / a, None, None, 0), False
    else:
        ratio = paired_ratio(timed[other], timed[key])
        apart = not ratio.rounds  # both timed in rounds, none in common: different groups
    regressed, inconclusive, note = verdict(ratio, threshold, base.contended or cand.contended, apart)
    return Difference(shown, a, b, None, counts, regressed, note, inconclusive)


def verdict(ratio: Ratio, threshold: float, contended: bool, apart: bool = False) -> tuple[bool, bool, str]:
    """(regressed, inconclusive, note) for a candidate / baseline ratio (module docstring); ``apart``: the two were
    timed in rounds but in none together (different groups: profiled without --pair), which the note says."""
    past = 1 + threshold
    if ratio.low is None:
        why = (
            f"{NOT_PAIRED}, as models not paired are (profile them with --pair BASELINE,CANDIDATE)"
            if apart
            else f"no interval ({ratio.rounds} shared rounds)"
        )
        seen = f"{ratio.value:.3f}x, {why}: the threshold alone decides"
        worse = ratio.value > past
        return worse and not contended, worse and contended, seen + ("; contended" if contended else "")
    seen = f"paired over {ratio.rounds} rounds: {ratio.value:.3f}x ({ratio.low:.3f}-{ratio.high:.3f})"
    seen += "; contended" if contended else ""
    if ratio.low > past or (ratio.value > past and ratio.low > 1 and not contended):
        return True, False, seen
    if ratio.high > past:
        return False, True, f"{seen}: a regression past the threshold can be neither confirmed nor ruled out"
    return False, False, seen

"""The headline per model pair: size, latency and accuracy ratios in one sentence and a table.

The HED pair (VGG against MobileNetV2) comes first, with what the seed's 4.4 MB and 1.6 MB were."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mbench.models import headline_pairs
from mbench.measure.estimate import Ratio, three_digits
from mbench.measure.interference import contention
from mbench.report.tables import MB, machine_seen, paired, paired_runs, value
from mbench.accuracy.resolution import compare
from mbench.results import SampleSet, details_of

FORMATS = ("pytorch", "onnx", "tflite", "coreml", "executorch")


@dataclass(frozen=True)
class PairLine:
    format: str
    device: str
    what: str
    big: float | None
    small: float | None
    unit: str
    paired: Ratio | None = None  # latency lines: the ratio from the same rounds, with its 95 % interval
    warning: str = ""  # e.g. CONTENDED (MODEL: speed swung 22 % between rounds): the ratio is not trustworthy
    runs: tuple[float, ...] = ()  # latency lines: the paired ratio in each run that timed the same two builds

    @property
    def ratio_text(self) -> str:
        """'2.78x (2.75-2.85)', and where the store holds more runs of the same two builds, the range their ratios
        took: '2.78x (2.75-2.85); 2.72-2.89x over 18 runs'."""
        if self.paired is None:
            return f"{self.ratio:.2f}x" if self.ratio else ""
        if len(self.runs) < 2:
            return self.paired.text()
        low, high = (three_digits(f(self.runs)) for f in (min, max))
        return f"{self.paired.text()}; {low}-{high}x over {len(self.runs)} runs"

    @property
    def ratio(self) -> float | None:
        """How many times bigger (or slower) the first model is; parity differences have no meaningful ratio."""
        if self.what.startswith("parity") or not (self.big and self.small):
            return None
        return self.big / self.small


@dataclass(frozen=True)
class Headline:
    first: str
    second: str
    sentence: str
    lines: list[PairLine]
    seed_notes: list[str]


def headlines(
    rows: pd.DataFrame, pairs: list[tuple[str, str]] = (), metric: str | None = None, samples: list[SampleSet] = ()
) -> list[Headline]:
    """One headline per pair with measurements: the pairs declared with the models first (models.headline_pairs),
    then the pairs asked for. A pair is compared at fp32 (the lower precisions have their own section), so a line
    never sets one model's int8 against the other's fp32."""
    rows = rows[rows.precision == "fp32"]
    declared = headline_pairs()
    found = [headline(rows, p, metric, samples) for p in declared]
    found += [headline(rows, p, metric, samples) or _absent(rows, p) for p in pairs if p not in declared]
    return [h for h in found if h is not None]


def _absent(rows: pd.DataFrame, pair: tuple[str, str]) -> Headline:
    missing = ", ".join(m for m in pair if m not in set(rows.model))
    return Headline(*pair, f"No comparison: {missing} has no measurements in this database.", [], [])


def headline(
    rows: pd.DataFrame, pair: tuple[str, str], metric: str | None = None, samples: list[SampleSet] = ()
) -> Headline | None:
    big, small = pair
    if not {big, small} <= set(rows.model):
        return None
    lines = [
        PairLine("pytorch", "-", "fp32 weights", _mb(rows, big, "weight_bytes"), _mb(rows, small, "weight_bytes"), "MB")
    ]
    lines += [
        PairLine(f, "-", "artifact size", _mb(rows, big, "size", f), _mb(rows, small, "size", f), "MB") for f in FORMATS
    ]
    lines += _latency_lines(rows, samples, big, small)
    lines += [
        PairLine(
            f,
            "host",
            "parity max |Δ| vs PyTorch",
            value(rows, big, f, "parity_max_abs"),
            value(rows, small, f, "parity_max_abs"),
            "",
        )
        for f in FORMATS
        if f != "pytorch"
    ]
    for accuracy in dict.fromkeys(m for m in (metric, "corner_iou") if m and (rows.metric == m).any()):
        lines += [
            PairLine(f, "host", accuracy, value(rows, big, f, accuracy), value(rows, small, f, accuracy), "")
            for f in FORMATS
        ]
    present = set(rows[rows.model.isin(pair)].format)  # a format neither was converted to gets no lines
    lines = [line for line in lines if line.format in present]
    notes = _seed_notes(rows, big, small) if pair in headline_pairs() else []
    if notes and (rows.metric == "corner_iou").any():
        from mbench.accuracy.summary import small_vs_large

        notes.insert(0, small_vs_large(rows, small, big))
    return Headline(big, small, _sentence(lines, big, small, metric, _versus(rows, lines, metric, pair)), lines, notes)


def _versus(rows: pd.DataFrame, lines: list[PairLine], metric: str | None, pair: tuple[str, str]) -> str:
    """The accuracy the sentence quotes (the first format both were scored on), as a tie or a difference beyond the
    resolution of the images scored (report.ties): '' where not both were scored with their per-image parts."""
    scored = [line for line in lines if metric and line.what == metric and None not in (line.big, line.small)]
    if not scored:
        return ""
    first, second = (_score(rows, model, scored[0].format, metric) for model in reversed(pair))
    versus = compare(metric, first, second)
    return versus.text() if versus.resolution is not None else ""


def _score(rows: pd.DataFrame, model: str, fmt: str, metric: str) -> tuple[float, str]:
    """(value, details) of the newest ok row of ``metric`` for the model's ``fmt`` artifact (tables.value's row)."""
    hit = rows[(rows.model == model) & (rows.format == fmt) & (rows.metric == metric) & (rows.status == "ok")]
    return float(hit.value.iloc[-1]), hit.details.iloc[-1]


def run_ratios(rows: pd.DataFrame, samples: list[SampleSet], pair: tuple[str, str]) -> list[PairLine]:
    """The pair's latency lines at fp32 wherever both were timed, from one run's rows and samples: each ratio is
    paired over that run's rounds (what `mbench profile` prints at its end)."""
    return [line for line in _latency_lines(rows[rows.precision == "fp32"], samples, *pair) if line.ratio]


def _latency_lines(rows: pd.DataFrame, samples: list[SampleSet], big: str, small: str) -> list[PairLine]:
    devices = sorted(rows[rows.metric.isin(["latency", "latency_median"])].device.unique())
    return [latency_line(rows, samples, big, small, f, device) for device in devices for f in FORMATS]


def latency_line(rows: pd.DataFrame, samples: list[SampleSet], big: str, small: str, fmt: str, device: str) -> PairLine:
    """`latency` of both (the median for older rows and tools without single runs, said so), the ratio paired over
    the rounds both were measured in with its 95 % interval, and a warning naming what made either row contended."""
    values = [value(rows, m, fmt, "latency", device) for m in (big, small)]
    what, medians = "latency", [value(rows, m, fmt, "latency_median", device) for m in (big, small)]
    if None in values and None not in medians:
        values, what = medians, "median latency (older rows, or a device tool that prints no single runs)"
    flagged = [flag for flag in (_contended(rows, m, fmt, device) for m in (big, small)) if flag]
    warning = f"CONTENDED ({'; '.join(flagged)}): the ratio is not trustworthy" if flagged else ""
    keys = (big, fmt, "fp32", device), (small, fmt, "fp32", device)
    return PairLine(
        fmt, device, what, *values, "ms", paired(samples, *keys), warning, tuple(paired_runs(samples, *keys))
    )


def _contended(rows: pd.DataFrame, model: str, fmt: str, device: str) -> str:
    """'MODEL: speed swung 22 % between rounds' where the model's latency row is contended (the model alone if its
    details hold no figures), else ''."""
    hit = rows[(rows.model == model) & (rows.format == fmt) & (rows.device == device) & (rows.metric == "latency")]
    found = {} if hit.empty else details_of(hit.details.iloc[-1])
    if not found.get("contended"):
        return ""
    why = contention(*machine_seen(found))
    return f"{model}: {why}" if why else model


def _mb(rows: pd.DataFrame, model: str, metric: str, fmt: str = "pytorch") -> float | None:
    v = value(rows, model, fmt, metric)
    return None if v is None else v / MB


def _sentence(lines: list[PairLine], big: str, small: str, metric: str | None, versus: str = "") -> str:
    weights = lines[0]
    timed = [line for line in lines if line.what.endswith("latency") or line.what.startswith("median latency")]
    timed = [line for line in timed if line.ratio]
    parts = []
    if weights.ratio:
        lighter, heavier, ratio = (small, big, weights.ratio) if weights.ratio >= 1 else (big, small, 1 / weights.ratio)
        parts.append(
            f"{lighter} has {ratio:.1f}x less weight data than {heavier} "
            f"({weights.small:.2f} MB against {weights.big:.2f} MB fp32)"
        )
    if timed:
        fastest = min(timed, key=lambda line: line.small)
        word = "faster" if fastest.ratio >= 1 else "slower"
        ratio = (
            fastest.paired.text()
            if fastest.paired and fastest.ratio >= 1
            else f"{max(fastest.ratio, 1 / fastest.ratio):.1f}x"
        )
        warning = f"; {fastest.warning}" if fastest.warning else ""
        parts.append(
            f"{small}'s fastest artifact runs in {fastest.small:.2f} ms against {fastest.big:.2f} ms "
            f"({ratio} {word}, {fastest.format} on {fastest.device}{warning})"
        )
    scored = [
        line for line in lines if metric and line.what == metric and line.big is not None and line.small is not None
    ]
    if scored:
        parts.append(
            f"{metric} {scored[0].small:.3f} against {scored[0].big:.3f} ({scored[0].format})"
            + (f", {versus}" if versus else "")
        )
    if not parts:
        return f"{big} and {small} have no successful measurements yet."
    tail = "" if scored else " No task accuracy metric is in the database yet; parity with PyTorch is shown."
    return "; ".join(parts) + "." + tail


def _seed_notes(rows: pd.DataFrame, big: str, small: str) -> list[str]:
    notes = []
    params = value(rows, big, "pytorch", "parameters")
    if params:
        notes.append(
            f"The seed's 4.4 MB is {big}'s fp32 weights: {params:,.0f} parameters x 4 bytes = "
            f"{params * 4 / MB:.3f} MB, measured here from the model."
        )
    weights, stats = _mb(rows, small, "weight_bytes"), _mb(rows, small, "buffer_bytes")
    if weights is not None and stats is not None:
        notes.append(
            f"The seed's 1.6 MB for {small} was a frozen TensorFlow graph file, not its weights: the weights are "
            f"{weights:.3f} MB, {weights + stats:.3f} MB with BatchNorm statistics; the remaining ~0.4 MB were "
            "training-time graph nodes. The artifact sizes above are what a phone actually ships."
        )
    return notes

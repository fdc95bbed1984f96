"""The precision view: each model's formats x precisions side by side with a verdict on each (the task score
against fp32 where there is one, parity otherwise: report.verdict), and the findings a reader must not miss (a lower
precision that is slower *and* less accurate than fp32 on the same runtime)."""

from __future__ import annotations

import pandas as pd

from mbench.convert.parity import VACUOUS, flag_in_details, psnr_in_details
from mbench.report.tables import MB, paired
from mbench.report.verdict import task_scores, with_verdicts
from mbench.results import details_of

PRECISION_ORDER = ["fp32", "fp16", "int8", "int8-dynamic", "int8-weights", "palette8", "palette6", "palette4"]
TITLES = {
    "size_mb": "size (MB)",
    "verdict": "verdict",
    "task_delta": "task Δ vs fp32",
    "parity": "parity max |Δ|",
    "psnr_db": "PSNR (dB)",
    "tolerance": "parity tolerance",
    "flag": "parity",
    "latency_ms": "latency (ms)",
    "size_ratio": "size vs fp32",
    "speedup": "speed-up vs fp32",
}


def _ok(rows: pd.DataFrame, metric: str, name: str) -> pd.DataFrame:
    hit = rows[(rows.metric == metric) & (rows.status == "ok")]
    return hit[["model", "format", "precision", "device", "value"]].rename(columns={"value": name})


def _latency(rows: pd.DataFrame) -> pd.DataFrame:
    """The headline ``latency`` per artifact and device, as the headline and the comparison table give it: an older
    row's median where it has none (a report once set medians here beside the headline's p10 of the same runs)."""
    key = ["model", "format", "precision", "device"]
    both = _ok(rows, "latency_median", "median_ms").merge(_ok(rows, "latency", "latency_ms"), on=key, how="outer")
    return both.assign(latency_ms=both.latency_ms.fillna(both.median_ms)).drop(columns="median_ms")


def _parity(rows: pd.DataFrame) -> pd.DataFrame:
    """Parity max |Δ| and PSNR with the tolerance they were judged by and the flag ("" within the bounds)."""
    hit = rows[(rows.metric == "parity_max_abs") & (rows.status == "ok")]
    return hit[["model", "format", "precision"]].assign(
        parity=hit.value,
        psnr_db=hit.details.map(psnr_in_details),
        tolerance=hit.details.map(lambda d: details_of(d).get("tolerance")),
        flag=hit.details.map(flag_in_details),
    )


def compare_precisions(rows: pd.DataFrame) -> pd.DataFrame:
    """Per model, format, precision and device: size, parity, task score, ``latency``, size and speed against fp32,
    and the verdict."""
    key = ["model", "format", "precision"]
    size = _ok(rows, "size", "size_mb").drop(columns="device")
    size["size_mb"] /= MB
    frame = size.merge(_parity(rows), on=key, how="left").merge(task_scores(rows), on=key, how="left")
    fp32 = frame[frame.precision == "fp32"][["model", "format", "size_mb", "parity", "task_score", "task_details"]]
    frame = frame.merge(fp32, on=["model", "format"], how="left", suffixes=("", "_fp32"))  # measured on the host
    frame = frame.merge(_latency(rows), on=key, how="left")
    frame["device"] = frame["device"].fillna("—")
    fp32 = frame[frame.precision == "fp32"][["model", "format", "device", "latency_ms"]]
    frame = with_verdicts(frame.merge(fp32, on=["model", "format", "device"], how="left", suffixes=("", "_fp32")))
    frame["size_ratio"] = frame.size_mb / frame.size_mb_fp32
    frame["speedup"] = frame.latency_ms_fp32 / frame.latency_ms
    order = PRECISION_ORDER + sorted(set(frame.precision) - set(PRECISION_ORDER))
    frame["precision"] = pd.Categorical(frame.precision, order)
    return frame.sort_values(["model", "device", "format", "precision"])


def precision_view(rows: pd.DataFrame) -> pd.DataFrame:
    """The comparison as the report shows it."""
    frame = compare_precisions(rows)
    shown = ["model", "device", "format", "precision", *TITLES]
    return frame[shown].rename(columns=TITLES)


def precision_findings(rows: pd.DataFrame, samples: list = ()) -> list[str]:
    """A sentence for every artifact its verdict or its parity flags, for every lower precision slower than fp32 of
    its format on the same device (saying whether it is also less accurate), then the fastest artifact per model and
    device. Where both were timed in the same rounds (``samples``), slower means the paired ratio's 95 % interval
    lies above 1, and the sentence gives it: an estimate a hair above fp32's is no finding."""
    frame = compare_precisions(rows)
    judged = frame.drop_duplicates(["model", "format", "precision"])
    findings = [_flagged(f) for f in judged.itertuples(index=False)]
    findings += [
        _slower(f, samples) for f in frame[(frame.precision != "fp32") & (frame.speedup < 1)].itertuples(index=False)
    ]
    timed = frame[frame.latency_ms.notna()]
    for (model, device), group in timed.groupby(["model", "device"], observed=True):
        best = group.loc[group.latency_ms.idxmin()]
        findings.append(
            f"Fastest {model} artifact on {device}: {best.format} {best.precision}, "
            f"{best.latency_ms:.2f} ms, {best.size_mb:.2f} MB."
        )
    return [finding for finding in findings if finding]


def _slower(f, samples: list) -> str:
    """The sentence for a lower precision whose ``latency`` is above fp32's; '' where the two were timed in the same
    rounds and the paired interval reaches 1."""
    ratio = paired(samples, (f.model, f.format, f.precision, f.device), (f.model, f.format, "fp32", f.device))
    if ratio is not None and ratio.low is not None and ratio.low <= 1:
        return ""
    text = (
        f"{f.model} {f.format} {f.precision} on {f.device} is {1 / f.speedup:.2f}x slower than fp32 "
        f"({f.latency_ms:.2f} ms against {f.latency_ms_fp32:.2f} ms"
        f"{f'; paired over the same rounds {ratio.text()}' if ratio and ratio.rounds else ''}"
        f"{f'; {ratio.text()}' if ratio and not ratio.rounds else ''})"
    )
    if pd.notna(f.task_delta):
        if f.task_delta < -(f.resolution if pd.notna(f.resolution) else 0.0):  # a tie is not less accurate
            text += f" and less accurate ({f.task} {f.task_score:.4f} against {f.task_score_fp32:.4f})"
    elif f.parity > f.parity_fp32:
        text += f" and less accurate (parity max |Δ| {f.parity:.2g} against {f.parity_fp32:.2g})"
    return text + "."


def _flagged(f) -> str:
    """The sentence for an artifact whose task verdict is *worse*, or whose parity is flagged ('' for neither): a
    parity flag the task overrules says so."""
    name, flag = f"{f.model} {f.format} {f.precision}", f.flag if isinstance(f.flag, str) else ""
    if f.verdict.startswith("worse"):
        return f"{name} is {f.verdict}."
    if flag.startswith(VACUOUS):
        return f"{name}: its parity checks nothing ({flag.split(': ', 1)[1]})."
    if not flag:
        return ""
    figures = flag.split(": ", 1)[1]
    if f.verdict.startswith("within by"):
        return (
            f"{name} is beyond its parity bounds against fp32 PyTorch ({figures}), but its task score judges "
            f"it: {f.verdict}."
        )
    return f"{name} is beyond its parity tolerance against fp32 PyTorch ({figures})."

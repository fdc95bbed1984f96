"""Accuracy in words and deltas, from the measurements table, for the report's headline.

"About as accurate" is a stated rule, not a feeling: MobileNetV2-HED's ODS F within ``ODS_MARGIN`` of VGG-HED's
and its corner IoU within ``IOU_MARGIN``, or within the resolution of the documents both were scored on
(accuracy.resolution), both fp32 PyTorch on the same test split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mbench.accuracy.resolution import Comparison, compare
from mbench.results import details_of

if TYPE_CHECKING:
    import pandas as pd

ACCURACY_METRICS = ("ods_f", "ois_f", "ap", "corner_iou", "detection_rate")
ODS_MARGIN = 0.02
IOU_MARGIN = 0.03
# The most a lower precision may lose against fp32 on each task metric and still be judged fine (report.verdict).
TASK_MARGINS = {
    "ods_f": ODS_MARGIN,
    "ois_f": ODS_MARGIN,
    "ap": ODS_MARGIN,
    "corner_iou": IOU_MARGIN,
    "detection_rate": 0.05,
    "top1": 0.01,
    "miou": 0.01,
}


def latest_accuracy(measurements: pd.DataFrame) -> pd.DataFrame:
    """The newest ok value of each accuracy metric per (model, format, precision, device): one row each."""
    rows = measurements[measurements.metric.isin(ACCURACY_METRICS) & (measurements.status == "ok")]
    rows = rows.sort_values("id").groupby(["model", "format", "precision", "device", "metric"]).tail(1)
    return rows.pivot_table(index=["model", "format", "precision", "device"], columns="metric", values="value")


def deltas_against_pytorch(measurements: pd.DataFrame) -> pd.DataFrame:
    """Each artifact's accuracy minus the fp32 PyTorch reference of the same model on the same device."""
    table = latest_accuracy(measurements)
    has_reference = {("pytorch", "fp32")} <= set(
        zip(table.index.get_level_values("format"), table.index.get_level_values("precision"))
    )
    if not has_reference:
        return table * float("nan")  # nothing to compare against: every delta unknown
    reference = table.xs(("pytorch", "fp32"), level=("format", "precision"), drop_level=False)
    reference = reference.reset_index(level=["format", "precision"], drop=True)
    aligned = reference.reindex(table.index.droplevel(["format", "precision"]))
    aligned.index = table.index
    return table - aligned


def small_vs_large(measurements: pd.DataFrame, small: str, large: str) -> str:
    """One sentence, with numbers, on whether the small model of a declared pair is about as accurate as the large
    one (edge and corner scores): a difference counts only beyond its margin and beyond the resolution of the
    documents both were scored on (a tie otherwise)."""
    table = latest_accuracy(measurements)
    try:
        a, b = (table.loc[(name, "pytorch", "fp32")].iloc[0] for name in (small, large))
    except KeyError:
        return f"No fp32 PyTorch accuracy for both {small} and {large} yet (run `mbench evaluate`)."
    ods, iou = (_versus(measurements, small, large, metric) for metric in ("ods_f", "corner_iou"))
    signs = {_side(ods, ODS_MARGIN), _side(iou, IOU_MARGIN)}
    verdict = (
        "neither uniformly more nor less accurate than"
        if {-1, 1} <= signs
        else "less accurate than"
        if -1 in signs
        else "more accurate than"
        if 1 in signs
        else "about as accurate as"
    )
    return (
        f"{small} is {verdict} {large}: ODS F {a.ods_f:.3f} vs {b.ods_f:.3f} ({_delta(ods)}), corner IoU "
        f"{a.corner_iou:.3f} vs {b.corner_iou:.3f} ({_delta(iou)}), fp32 PyTorch on the same "
        f"{_documents(measurements, large)}test documents ('about as accurate' = within {ODS_MARGIN} ODS F and "
        f"{IOU_MARGIN} IoU, or within the resolution of those documents)."
    )


def _newest(measurements: pd.DataFrame, model: str, metric: str) -> pd.DataFrame:
    """The model's fp32 PyTorch ok rows of ``metric``, oldest first."""
    rows = measurements[
        (measurements.model == model)
        & (measurements.format == "pytorch")
        & (measurements.precision == "fp32")
        & (measurements.metric == metric)
        & (measurements.status == "ok")
    ]
    return rows.sort_values("id")


def _versus(measurements: pd.DataFrame, small: str, large: str, metric: str) -> Comparison:
    first, second = (_newest(measurements, model, metric).iloc[-1] for model in (small, large))
    return compare(metric, (first.value, first.details), (second.value, second.details))


def _side(versus: Comparison, margin: float) -> int:
    """-1 (worse) or 1 (better) beyond both the margin and the resolution; 0 otherwise."""
    if versus.tie or abs(versus.difference) <= margin:
        return 0
    return 1 if versus.difference > 0 else -1


def _delta(versus: Comparison) -> str:
    return f"{versus.difference:+.3f}" + (
        f", resolution {versus.resolution:.3f}" if versus.resolution is not None else ""
    )


def _documents(measurements: pd.DataFrame, model: str) -> str:
    """'N ' from the newest fp32 PyTorch ods_f row's context, or '' where it does not say."""
    rows = _newest(measurements, model, "ods_f")
    images = details_of(rows.details.iloc[-1]).get("images") if len(rows) else None
    return f"{images} " if images else ""

"""The verdict on each artifact of a lower precision: its task score against fp32 where it was scored, parity alone
where it was not.

Where the artifact and the fp32 artifact of the same format both have the model's task score (the first of
``TASK_METRICS`` measured), the verdict is the difference: *within* when the lower precision loses no more than the
metric's margin (``accuracy.summary.TASK_MARGINS``) or than the resolution of the images scored
(``report.ties``), else *worse*. Its parity figures (max |Δ|, PSNR) stand beside it as evidence. Without a task
score, the parity rule of mbench.convert.parity judges, and vacuous parity is no pass.
"""

from __future__ import annotations

import pandas as pd

from mbench.accuracy.summary import TASK_MARGINS
from mbench.accuracy.resolution import compare

TASK_METRICS = ("ods_f", "top1", "miou", "corner_iou")  # the first one a model has judges its lower precisions


def task_scores(rows: pd.DataFrame) -> pd.DataFrame:
    """Per model, format and precision: the model's task metric, its score and its row's details (host rows)."""
    scored = rows[rows.metric.isin(TASK_METRICS) & (rows.status == "ok") & (rows.device == "host")]
    if scored.empty:
        return pd.DataFrame(columns=["model", "format", "precision", "task", "task_score", "task_details"])
    rank = scored.metric.map(TASK_METRICS.index)
    first = scored[rank == rank.groupby(scored.model).transform("min")]
    first = first.sort_values("id").groupby(["model", "format", "precision"], as_index=False).last()
    return first[["model", "format", "precision", "metric", "value", "details"]].rename(
        columns={"metric": "task", "value": "task_score", "details": "task_details"}
    )


def with_verdicts(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (compare_precisions: model, format, precision, flag, task columns and their fp32 values) with
    ``task_delta``, ``resolution`` and the ``verdict`` text."""
    judged = [_verdict(row) for row in frame.itertuples(index=False)]
    return frame.assign(
        task_delta=[j[0] for j in judged], resolution=[j[1] for j in judged], verdict=[j[2] for j in judged]
    )


def _verdict(row) -> tuple[float | None, float | None, str]:
    if row.format == "pytorch":
        return None, None, "reference"
    if row.precision == "fp32":
        return None, None, _parity_verdict(row)
    if pd.isna(row.task_score) or pd.isna(row.task_score_fp32):
        return None, None, _parity_verdict(row)
    versus = compare(row.task, (row.task_score, row.task_details), (row.task_score_fp32, row.task_details_fp32))
    margin = TASK_MARGINS.get(row.task, 0.0)
    allowed = max(margin, versus.resolution or 0.0)
    word = "within" if versus.difference >= -allowed else "worse"
    return (
        versus.difference,
        versus.resolution,
        (
            f"{word} by {row.task}: {row.task_score:.4f} against fp32's {row.task_score_fp32:.4f} ({versus.text()}; "
            f"margin {margin:g})"
        ),
    )


def _parity_verdict(row) -> str:
    """No task score: the parity flag judges ('' is a pass; no parity figure at all is no verdict)."""
    if isinstance(row.flag, str) and row.flag:
        return f"by parity: {row.flag}"
    return "within by parity" if not pd.isna(row.parity) else "no verdict (neither a task score nor parity here)"

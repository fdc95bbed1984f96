"""Ties between accuracy scores on the Pareto front: a difference no larger than the resolution of the images both
were scored on (a paired bootstrap over those images, mbench.accuracy.resolution) says nothing about which artifact
is better."""

from __future__ import annotations

from mbench.accuracy.resolution import resampled_row, spread
from mbench.report.pareto import Margin


def ties(metric: str, details: list[str]) -> Margin:
    """For points whose metric rows have these details: the resolution between points i and j (0 where unknown)."""
    found = [resampled_row(metric, d) for d in details]

    def margin(i: int, j: int) -> float:
        (set_i, scores_i), (set_j, scores_j) = found[i], found[j]
        width = spread(scores_i, scores_j) if set_i and set_i == set_j else None
        return width or 0.0

    return margin

"""The Pareto front: the points no other point beats on both axes at once."""
from __future__ import annotations

from collections.abc import Sequence


def pareto_front(points: Sequence[tuple[float, float]], maximize_y: bool) -> list[int]:
    """Indices of the non-dominated points, ordered by x; x (latency, say) is always better lower.

    y is better higher when `maximize_y` (accuracy), lower otherwise (size). A point is dominated when another is at
    least as good on both axes and strictly better on one.
    """
    sign = -1.0 if maximize_y else 1.0
    order = sorted(range(len(points)), key=lambda i: (points[i][0], sign * points[i][1]))
    front: list[int] = []
    best: float | None = None
    for i in order:
        y = sign * points[i][1]
        if best is None or y < best:
            front.append(i)
            best = y
    return front

"""The Pareto front: the points no other point beats on both axes at once, where 'beats' on y means by more than
the resolution of the data it was measured on (accuracy.resolution): two accuracies closer than that are a tie."""

from __future__ import annotations

from collections.abc import Callable, Sequence

Margin = Callable[[int, int], float]  # the resolution of y between two points; 0 where none is known


def pareto_front(points: Sequence[tuple[float, float]], maximize_y: bool, margin: Margin | None = None) -> list[int]:
    """Indices of the non-dominated points, ordered by x; x (latency, say) is always better lower.

    y is better higher when `maximize_y` (accuracy), lower otherwise (size). A point is dominated when another is
    at least as good on x, not worse on y by more than their margin, and strictly better on x or better on y by more
    than the margin. So of two points whose accuracies tie, the faster one alone stays on the front.
    """
    sign = -1.0 if maximize_y else 1.0
    costs = [(x, sign * y) for x, y in points]
    gap = margin or (lambda i, j: 0.0)
    front = [
        i
        for i in range(len(costs))
        if costs[i] not in costs[:i]  # of equal points, the first
        and not any(_dominates(costs[j], costs[i], gap(i, j)) for j in range(len(costs)) if j != i)
    ]
    return sorted(front, key=lambda i: costs[i])


def _dominates(a: tuple[float, float], b: tuple[float, float], margin: float) -> bool:
    """Whether cost pair ``a`` dominates ``b`` (both lower is better), y differences within ``margin`` a tie."""
    no_worse = a[0] <= b[0] and a[1] <= b[1] + margin
    return no_worse and (a[0] < b[0] or a[1] < b[1] - margin)

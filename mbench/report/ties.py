"""Ties between accuracy scores: a difference no larger than the resolution of the images both were scored on (a
paired bootstrap over those images, mbench.accuracy.resolution) says nothing about which artifact is better."""

from __future__ import annotations

from dataclasses import dataclass

from mbench.accuracy.resolution import parts_in, resampled, spread
from mbench.report.pareto import Margin
from mbench.results import details_of


@dataclass(frozen=True)
class Comparison:
    """Two scores of one metric and what the data can tell between them."""

    difference: float  # first minus second
    resolution: float | None  # None: the rows kept no per-image parts of the same images

    @property
    def tie(self) -> bool:
        return self.resolution is not None and abs(self.difference) <= self.resolution

    def text(self) -> str:
        """'a tie: 0.0002 apart, within the resolution 0.0031' / 'apart by 0.0200, beyond the resolution 0.0031'."""
        if self.resolution is None:
            return f"{self.difference:+.4f} (resolution unknown: scored before per-image parts were kept)"
        if self.tie:
            return f"a tie: {abs(self.difference):.4f} apart, within the resolution {self.resolution:.4f}"
        return f"{self.difference:+.4f}, beyond the resolution {self.resolution:.4f}"


def _resampled(metric: str, details: str):
    image_set, parts = parts_in(details_of(details))
    return image_set, resampled(metric, parts)


def ties(metric: str, details: list[str]) -> Margin:
    """For points whose metric rows have these details: the resolution between points i and j (0 where unknown)."""
    found = [_resampled(metric, d) for d in details]

    def margin(i: int, j: int) -> float:
        (set_i, scores_i), (set_j, scores_j) = found[i], found[j]
        width = spread(scores_i, scores_j) if set_i and set_i == set_j else None
        return width or 0.0

    return margin


def compare(metric: str, first: tuple[float, str], second: tuple[float, str]) -> Comparison:
    """(value, details) of two metric rows: their difference and its resolution."""
    (set_a, a), (set_b, b) = _resampled(metric, first[1]), _resampled(metric, second[1])
    return Comparison(first[0] - second[0], spread(a, b) if set_a and set_a == set_b else None)

"""How small an accuracy difference the data can resolve: a paired bootstrap over the images.

Every task metric is pooled from per-image parts (ODS F from each image's matched and total edge pixels at each
threshold, top-1 from each image's hit, mIoU from each image's per-class intersections and unions, ...). The rows
keep those parts (``per_image`` in each metric row's details), so any two artifacts scored on the same images can be
compared later: ``RESAMPLES`` times, draw the images with replacement (one seeded stream, ``SEED``), score both
artifacts on the same draw, and take the difference. The *resolution* of the pair is 1.96 x the standard deviation
of that difference (the half-width of its normal 95 % interval); a difference of the full scores no larger than it
is a tie. Pairing matters: two artifacts that agree image by image resolve far smaller differences than the spread
of either score alone would suggest. AP is not resampled (its per-image parts are not kept).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

RESAMPLES = 1000
SEED = 0
Z95 = 1.96
MEAN_METRICS = ("corner_iou", "detection_rate", "top1")


def image_set(names: list[str]) -> str:
    """A short hash of the scored images' names in order: rows are paired only where it is the same."""
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def edge_parts(counts: list) -> dict[str, list]:
    """Per image: its four counts at every threshold (ODS F), and at its own best threshold (OIS F)."""
    from mbench.accuracy.edges import recall_precision_f

    whole = [np.concatenate([c.matched_r, c.total_r, c.matched_p, c.total_p]).tolist() for c in counts]
    best = [int(np.argmax(recall_precision_f(c.matched_r, c.total_r, c.matched_p, c.total_p)[2])) for c in counts]
    own = [
        [float(getattr(c, n)[i]) for n in ("matched_r", "total_r", "matched_p", "total_p")]
        for c, i in zip(counts, best)
    ]
    return {"ods_f": whole, "ois_f": own}


def _ods(pooled: np.ndarray) -> np.ndarray:
    """ODS F of each pooled row, interpolated between thresholds as BSDS (and pyEdgeEval) does."""
    from mbench.accuracy.edges import recall_precision_f

    recall, precision, f = recall_precision_f(*np.split(pooled, 4, axis=1))
    d = np.linspace(0, 1, 101)
    r = recall[:, :-1, None] * (1 - d) + recall[:, 1:, None] * d
    p = precision[:, :-1, None] * (1 - d) + precision[:, 1:, None] * d
    between = recall_precision_f(r, 1.0, p, 1.0)[2].reshape(len(pooled), -1)
    return np.maximum(f[:, 0], between.max(axis=1)) if between.size else f[:, 0]


def _f(pooled: np.ndarray) -> np.ndarray:
    from mbench.accuracy.edges import recall_precision_f

    return recall_precision_f(*pooled.T)[2]


def _miou(pooled: np.ndarray) -> np.ndarray:
    """Mean over the classes with a non-zero union of intersection / union (0 where no class has one)."""
    inter, union = np.split(pooled, 2, axis=1)
    present = union > 0
    ratios = np.divide(inter, union, out=np.zeros_like(inter), where=present)
    return ratios.sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def _mean(pooled: np.ndarray) -> np.ndarray:
    return pooled[:, 0]


STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "ods_f": _ods,
    "ois_f": _f,
    "miou": _miou,
    **{m: _mean for m in MEAN_METRICS},
}


def score(metric: str, parts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The metric of each weighting of the images (rows of ``weights``: how often each image was drawn)."""
    pooled = weights @ parts
    if metric in MEAN_METRICS:
        pooled = pooled / weights.sum(axis=1, keepdims=True)
    return STATISTICS[metric](pooled)


@lru_cache(maxsize=8)
def _draws(images: int) -> np.ndarray:
    """RESAMPLES draws of ``images`` images with replacement from one seeded stream, as counts per image: every
    artifact scored on the same images is resampled alike, which pairs them."""
    draws = np.random.default_rng(SEED).integers(0, images, size=(RESAMPLES, images))
    return np.stack([np.bincount(row, minlength=images) for row in draws]).astype(np.float64)


def resampled(metric: str, parts: list) -> np.ndarray | None:
    """The metric on each of the RESAMPLES draws; None for a metric without per-image parts."""
    if metric not in STATISTICS or not parts:
        return None
    return score(metric, np.asarray(parts, np.float64), _draws(len(parts)))


def resolution(metric: str, a: list, b: list) -> float | None:
    """1.96 x the standard deviation of the paired bootstrap difference of ``metric`` between two artifacts'
    per-image parts on the same images; None for a metric without parts or parts of different images."""
    if len(a) != len(b):
        return None
    return spread(resampled(metric, a), resampled(metric, b))


def spread(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    """The resolution of two resampled scores: 1.96 x the standard deviation of their difference."""
    return None if a is None or b is None or len(a) != len(b) else float(Z95 * (a - b).std())


def parts_in(details: dict) -> tuple[str, list]:
    """(image set, per-image parts) of a metric row's details; ("", []) in rows scored before parts were kept."""
    return details.get("image_set", ""), details.get("per_image") or []


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


def resampled_row(metric: str, details: str) -> tuple[str, np.ndarray | None]:
    """(image set, the metric on each resample) of a metric row's details JSON."""
    from mbench.results import details_of

    image_set, parts = parts_in(details_of(details))
    return image_set, resampled(metric, parts)


def compare(metric: str, first: tuple[float, str], second: tuple[float, str]) -> Comparison:
    """(value, details) of two metric rows: their difference and its resolution."""
    (set_a, a), (set_b, b) = resampled_row(metric, first[1]), resampled_row(metric, second[1])
    return Comparison(first[0] - second[0], spread(a, b) if set_a and set_a == set_b else None)

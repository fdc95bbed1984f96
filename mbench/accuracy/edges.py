"""Edge maps scored with the BSDS protocol: ODS F, OIS F and AP over a threshold sweep.

Per image and threshold, the edge-probability map (after non-maximum suppression) is binarised and thinned, and its
pixels are matched one-to-one to the ground-truth pixels within 0.0075 x the image diagonal by the BSDS
correspondence (CSA) matcher. pyEdgeEval 0.2.8 supplies that matcher, the NMS and the thinning; this module adds the
aggregation: ODS = best F of the pooled counts at one threshold for the whole set (interpolated between thresholds),
OIS = F of the counts pooled at each image's own best threshold, AP = interpolated precision averaged over recall.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MATCH_TOLERANCE = 0.0075  # x the image diagonal, as in the BSDS benchmark
DEFAULT_THRESHOLDS = 19


@dataclass(frozen=True)
class EdgeCounts:
    """One image's matched and total pixels at each threshold: recall = matched_r / total_r, likewise precision."""

    matched_r: np.ndarray
    total_r: np.ndarray
    matched_p: np.ndarray
    total_p: np.ndarray


@dataclass(frozen=True)
class EdgeScores:
    ods_f: float
    ods_threshold: float
    ois_f: float
    ap: float
    images: int


def thresholds(count: int = DEFAULT_THRESHOLDS) -> np.ndarray:
    """``count`` evenly spaced thresholds strictly inside (0, 1), as the BSDS benchmark spaces its 99."""
    return np.linspace(1 / (count + 1), 1 - 1 / (count + 1), count)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(logits, -60, 60)))


def _pyedgeeval():
    """pyEdgeEval's matcher and metric helpers; its import prints a .mat-file warning, kept quiet here."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        from pyEdgeEval.common import metrics
        from pyEdgeEval.common.binary_label import evaluate_boundaries_threshold
    return evaluate_boundaries_threshold, metrics


def edge_counts(probability: np.ndarray, truth: np.ndarray, levels: np.ndarray, nms: bool = True) -> EdgeCounts:
    """Count matches of a HxW edge-probability map (values in [0, 1]) against a HxW binary truth at each level."""
    evaluate_boundaries_threshold = _pyedgeeval()[0]
    probability = np.asarray(probability, dtype=np.float64)
    if probability.shape != truth.shape:
        raise ValueError(f"edge map of shape {probability.shape} against truth of shape {truth.shape}")
    counts = evaluate_boundaries_threshold(levels, probability, np.asarray(truth) > 0, max_dist=MATCH_TOLERANCE,
                                           apply_thinning=True, apply_nms=nms)
    return EdgeCounts(*counts)


def _f(matched_r, total_r, matched_p, total_p):
    return _pyedgeeval()[1].compute_rec_prec_f1(matched_r, total_r, matched_p, total_p)


def edge_scores(per_image: list[EdgeCounts], levels: np.ndarray) -> EdgeScores:
    """ODS, OIS and AP of a set of images scored at the same thresholds."""
    if not per_image:
        raise ValueError("no images to score")
    pooled = [sum(getattr(c, name) for c in per_image) for name in ("matched_r", "total_r", "matched_p", "total_p")]
    recall, precision, _ = _f(*pooled)
    ods_threshold, _, _, ods_f = _pyedgeeval()[1].interpolated_max_scores(levels, recall, precision)
    best = [int(np.argmax(_f(c.matched_r, c.total_r, c.matched_p, c.total_p)[2])) for c in per_image]
    best_counts = [sum(float(getattr(c, name)[i]) for c, i in zip(per_image, best))
                   for name in ("matched_r", "total_r", "matched_p", "total_p")]
    ois_f = float(_f(*best_counts)[2])
    return EdgeScores(float(ods_f), float(ods_threshold), ois_f, average_precision(recall, precision), len(per_image))


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Mean over recall levels 0, 0.01, ..., 1 of the best precision at that recall or more (0 where none)."""
    levels = np.linspace(0, 1, 101)
    return float(np.mean([np.max(precision[recall >= r - 1e-12], initial=0.0) for r in levels]))

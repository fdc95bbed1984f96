"""Edge maps scored with the BSDS protocol: ODS F, OIS F and AP over a threshold sweep.

Per image and threshold, the edge-probability map (after non-maximum suppression) is binarised and thinned, and its
pixels are matched one-to-one to the ground-truth pixels within 0.0075 x the image diagonal by the BSDS
correspondence (CSA) matcher. pyEdgeEval 0.2.8 supplies that matcher, the NMS and the thinning; this module adds the
aggregation: ODS = best F of the pooled counts at one threshold for the whole set (interpolated between thresholds),
OIS = F of the counts pooled at each image's own best threshold, AP = interpolated precision averaged over recall.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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


MATCH_SEED = 1  # the matcher's random stream starts here for every image (_seeded_matcher)


@lru_cache(maxsize=1)
def _pyedgeeval():
    """pyEdgeEval's matcher and metric helpers; its import prints a .mat-file warning, kept quiet here."""
    import contextlib
    import importlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        from pyEdgeEval.common import metrics
        from pyEdgeEval.common.binary_label import evaluate_boundaries_threshold
    matcher = importlib.import_module("pyEdgeEval._lib.correspond_pixels")  # the module, not the function it exports
    return evaluate_boundaries_threshold, metrics, _seeded_matcher(matcher.__file__)


def _seeded_matcher(library: str):
    """A call that restarts the BSDS matcher's random stream at MATCH_SEED. The matcher picks its outlier edges at
    random from one stream per process, seeded from the time of day when the library loads, so the same edge map
    scored twice got different counts (a synthetic 128 x 128 square, five times in one process: 319-321 matched pixels
    at one threshold) and an artifact's ODS F moved in the third decimal between two `mbench evaluate` runs. The
    library exports its stream (C++ ``Random::rand``) and ``Random::reseed``, not through Python; here through
    ctypes, on the library Python already loaded. None where that is not possible: the scores then stay as random as
    before, and rows say so (``matcher_seed``)."""
    import ctypes

    try:
        loaded = ctypes.CDLL(library)
        stream = ctypes.addressof(ctypes.c_char.in_dll(loaded, "_ZN6Random4randE"))
        reseed = loaded._ZN6Random6reseedEm
    except (OSError, AttributeError, ValueError):
        return None
    reseed.argtypes, reseed.restype = [ctypes.c_void_p, ctypes.c_uint64], None
    return lambda: reseed(stream, MATCH_SEED)


def matcher_seed() -> int | None:
    """The seed the matcher's random stream restarts at for every image, None where it runs on from the time."""
    return MATCH_SEED if _pyedgeeval()[2] is not None else None


def edge_counts(probability: np.ndarray, truth: np.ndarray, levels: np.ndarray, nms: bool = True) -> EdgeCounts:
    """Count matches of a HxW edge-probability map (values in [0, 1]) against a HxW binary truth at each level."""
    evaluate_boundaries_threshold, _, seed = _pyedgeeval()
    probability = np.asarray(probability, dtype=np.float64)
    if probability.shape != truth.shape:
        raise ValueError(f"edge map of shape {probability.shape} against truth of shape {truth.shape}")
    if seed is not None:
        seed()
    counts = evaluate_boundaries_threshold(
        levels, probability, np.asarray(truth) > 0, max_dist=MATCH_TOLERANCE, apply_thinning=True, apply_nms=nms
    )
    return EdgeCounts(*counts)


def recall_precision_f(matched_r, total_r, matched_p, total_p):
    return _pyedgeeval()[1].compute_rec_prec_f1(matched_r, total_r, matched_p, total_p)


def edge_scores(per_image: list[EdgeCounts], levels: np.ndarray) -> EdgeScores:
    """ODS, OIS and AP of a set of images scored at the same thresholds."""
    if not per_image:
        raise ValueError("no images to score")
    pooled = [sum(getattr(c, name) for c in per_image) for name in ("matched_r", "total_r", "matched_p", "total_p")]
    recall, precision, _ = recall_precision_f(*pooled)
    ods_threshold, _, _, ods_f = _pyedgeeval()[1].interpolated_max_scores(levels, recall, precision)
    best = [int(np.argmax(recall_precision_f(c.matched_r, c.total_r, c.matched_p, c.total_p)[2])) for c in per_image]
    best_counts = [
        sum(float(getattr(c, name)[i]) for c, i in zip(per_image, best))
        for name in ("matched_r", "total_r", "matched_p", "total_p")
    ]
    ois_f = float(recall_precision_f(*best_counts)[2])
    return EdgeScores(float(ods_f), float(ods_threshold), ois_f, average_precision(recall, precision), len(per_image))


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Mean over recall levels 0, 0.01, ..., 1 of the best precision at that recall or more (0 where none)."""
    levels = np.linspace(0, 1, 101)
    return float(np.mean([np.max(precision[recall >= r - 1e-12], initial=0.0) for r in levels]))

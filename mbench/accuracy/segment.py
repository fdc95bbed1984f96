"""Mean intersection-over-union of a semantic segmentation model on an images folder and a masks folder.

A mask is a single-channel PNG of class indices with the same file stem as its image; ``ignore_index`` pixels
(255 by default, as in Pascal VOC) are left out. The model's output is C x h x w class scores; the arg-max map is
resized (nearest) to the mask's size. mIoU is averaged over the classes that occur in the truth or the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

import numpy as np

from mbench.accuracy.classify import IMAGE_SUFFIXES
from mbench.data.docs import read_rgb


@dataclass(frozen=True)
class SegmentScores:
    miou: float
    per_class: tuple[float | None, ...]  # None for a class absent from truth and prediction
    images: int
    per_image: dict = field(default_factory=dict)  # "miou": each image's intersections and unions per class
    image_set: str = ""


def mask_pairs(images_dir: Path, masks_dir: Path) -> list[tuple[Path, Path]]:
    """(image, mask) pairs matched by file stem; a missing mask is an error naming the image."""
    images = sorted(p for p in Path(images_dir).glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise FileNotFoundError(f"{images_dir}: no images ({', '.join(IMAGE_SUFFIXES)})")
    masks = {p.stem: p for p in Path(masks_dir).glob("*.png")}
    missing = [p.name for p in images if p.stem not in masks]
    if missing:
        raise FileNotFoundError(f"{masks_dir}: no mask <stem>.png for {', '.join(missing[:5])}")
    return [(p, masks[p.stem]) for p in images]


def read_mask(path: Path) -> np.ndarray:
    import cv2

    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None or mask.ndim != 2:
        raise ValueError(f"{path}: expected a single-channel PNG of class indices")
    return mask.astype(np.int64)


def confusion(predicted: np.ndarray, truth: np.ndarray, classes: int, ignore_index: int = 255) -> np.ndarray:
    """classes x classes counts: row = true class, column = predicted class."""
    keep = (truth != ignore_index) & (truth < classes)
    return np.bincount(truth[keep] * classes + predicted[keep], minlength=classes**2).reshape(classes, classes)


def intersections_unions(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each class's intersection and union of prediction and truth (both sum over images to the pooled ones)."""
    inter = np.diag(matrix).astype(np.float64)
    return inter, matrix.sum(axis=0) + matrix.sum(axis=1) - inter


def iou_from_confusion(matrix: np.ndarray) -> SegmentScores:
    inter, union = intersections_unions(matrix)
    per_class = tuple(float(i / u) if u > 0 else None for i, u in zip(inter, union))
    present = [v for v in per_class if v is not None]
    return SegmentScores(float(np.mean(present)) if present else 0.0, per_class, 0)


def mean_iou(
    predict: Callable[[np.ndarray], np.ndarray], images_dir: Path, masks_dir: Path, ignore_index: int = 255
) -> SegmentScores:
    import cv2

    from mbench.accuracy.resolution import image_set

    pairs, matrices = mask_pairs(images_dir, masks_dir), []
    for image_path, mask_path in pairs:
        scores, truth = np.asarray(predict(read_rgb(image_path))), read_mask(mask_path)
        scores = scores.reshape(-1, *scores.shape[-2:])
        labels = np.argmax(scores, axis=0).astype(np.uint8)
        labels = cv2.resize(labels, truth.shape[::-1], interpolation=cv2.INTER_NEAREST).astype(np.int64)
        matrices.append(confusion(labels, truth, scores.shape[0], ignore_index))
    result = iou_from_confusion(sum(matrices))
    parts = [np.concatenate(intersections_unions(m)).tolist() for m in matrices]
    return SegmentScores(
        result.miou, result.per_class, len(pairs), {"miou": parts}, image_set([p.name for p, _ in pairs])
    )

"""Top-1 accuracy of an image classifier on a folder with one sub-folder per class (ImageFolder layout).

Classes are the sub-folder names in sorted order, so class index i is the i-th name; the model's output is a
vector of class scores (logits or probabilities) of at least that many entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

import numpy as np

from mbench.data.docs import read_rgb

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


@dataclass(frozen=True)
class ClassifyScores:
    top1: float
    images: int
    classes: int
    per_image: dict = field(default_factory=dict)  # "top1": each image's hit (accuracy.resolution)
    image_set: str = ""


def image_folder(root: Path) -> tuple[list[str], list[tuple[Path, int]]]:
    """Class names and (image, class index) pairs under ``root/CLASS/*``."""
    root = Path(root)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not classes:
        raise FileNotFoundError(f"{root}: expected one sub-folder per class holding images (ImageFolder layout)")
    items = [
        (path, index)
        for index, name in enumerate(classes)
        for path in sorted((root / name).iterdir())
        if path.suffix.lower() in IMAGE_SUFFIXES
    ]
    if not items:
        raise FileNotFoundError(f"{root}: no images ({', '.join(IMAGE_SUFFIXES)}) in its class sub-folders")
    return classes, items


def top1_accuracy(predict: Callable[[np.ndarray], np.ndarray], root: Path) -> ClassifyScores:
    """Fraction of images whose highest-scoring class is their folder's class."""
    from mbench.accuracy.resolution import image_set

    classes, items = image_folder(root)
    hits = []
    for path, label in items:
        scores = np.asarray(predict(read_rgb(path))).reshape(-1)
        if scores.size < len(classes):
            raise ValueError(f"the model gives {scores.size} class scores but {root} has {len(classes)} classes")
        hits.append(int(np.argmax(scores) == label))
    return ClassifyScores(
        sum(hits) / len(items),
        len(items),
        len(classes),
        {"top1": [[hit] for hit in hits]},
        image_set([str(path.relative_to(root)) for path, _ in items]),
    )

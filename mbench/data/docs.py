"""Synthetic document-scanning data, deterministic from a seed.

Each sample is a paper-like page with text-like content, warped by a random perspective, scale and rotation onto a
varied background (gradient, texture or clutter), then shadowed, blurred, noised and JPEG-compressed. The geometry is
drawn in coordinates relative to the image, so one (seed, index) is the same document at any resolution. Labels: a
1-pixel line along each of the four page edges and the four corners (x, y in pixels; top-left, top-right,
bottom-right, bottom-left of the page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLITS = ("train", "val", "test")
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)


@dataclass(frozen=True)
class DocSample:
    image: np.ndarray  # HxWx3 uint8, RGB
    edges: np.ndarray  # HxW uint8, 1 on the document's edges
    corners: np.ndarray  # 4x2 float32, (x, y) pixels


def sample_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, index])


def make_sample(seed: int, index: int, size: int = 256) -> DocSample:
    """Document ``index`` of the data set drawn from ``seed``, rendered at ``size`` x ``size``."""
    import cv2

    rng = sample_rng(seed, index)
    corners = _document_corners(rng) * size
    background = _background(rng, size)
    page = _page(rng, size)
    h, w = page.shape[:2]
    source = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    warp = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    warped = cv2.warpPerspective(page, warp, (size, size), flags=cv2.INTER_AREA)
    alpha = cv2.warpPerspective(np.ones((h, w), np.float32), warp, (size, size), flags=cv2.INTER_LINEAR)[..., None]
    image = background * (1 - alpha) + warped.astype(np.float32) * alpha
    image = _degrade(rng, _shadow(rng, image, size), size)
    return DocSample(image, edge_map(corners, size), corners.astype(np.float32))


def thin(binary: np.ndarray) -> np.ndarray:
    """Morphological thinning to 1-pixel lines (MATLAB bwmorph 'thin', pyEdgeEval's port, imported quietly: it
    prints a .mat-file warning)."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        from pyEdgeEval.preprocess import binary_thin
    return binary_thin(np.asarray(binary) > 0)


def edge_map(corners: np.ndarray, size: int) -> np.ndarray:
    """A closed polyline through the corners, thinned to one pixel as the BSDS protocol thins predictions."""
    import cv2

    edges = np.zeros((size, size), np.uint8)
    points = np.round(corners).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(edges, [points], isClosed=True, color=1, thickness=1, lineType=cv2.LINE_8)
    return thin(edges).astype(np.uint8)


def _document_corners(rng: np.random.Generator) -> np.ndarray:
    """Corners in [0, 1] image coordinates, redrawn until all four lie inside with a small margin."""
    while True:
        aspect = rng.uniform(0.62, 0.85)  # width / height of the page, around A4 and Letter
        height = rng.uniform(0.45, 0.95)
        half = np.array([[-aspect, -1], [aspect, -1], [aspect, 1], [-aspect, 1]]) * height / 2
        angle = rng.uniform(-np.pi / 5, np.pi / 5) + rng.choice([0, np.pi / 2]) * (rng.random() < 0.15)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        corners = half @ rotation.T + rng.uniform(0.35, 0.65, size=2)
        corners += rng.normal(0, 0.03, size=(4, 2))  # perspective: each corner moves on its own
        if corners.min() > 0.02 and corners.max() < 0.98:
            return corners


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    kind = rng.integers(3)
    if kind == 0:
        return _gradient(rng, size)
    if kind == 1:
        return _texture(rng, size)
    return _clutter(rng, size)


def _gradient(rng: np.random.Generator, size: int) -> np.ndarray:
    a, b = rng.uniform(0, 200, size=(2, 3))
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:size, 0:size] / size
    t = np.clip((np.cos(angle) * xx + np.sin(angle) * yy + 1) / 2, 0, 1)[..., None]
    return (a * (1 - t) + b * t).astype(np.float32)


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """Wood, fabric or stone: smooth noise at a few scales, stretched along one direction, tinted."""
    import cv2

    field = np.zeros((size, size), np.float32)
    for cells, weight in ((4, 1.0), (16, 0.5), (64, 0.25)):
        stretch = rng.integers(1, 4)
        noise = rng.random((cells, cells * stretch)).astype(np.float32)
        field += weight * cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)
    field = (field - field.min()) / (np.ptp(field) + 1e-6)
    base, ink = rng.uniform(20, 200, size=(2, 3))
    return (base + (ink - base) * field[..., None] * rng.uniform(0.3, 1.0)).astype(np.float32)


def _clutter(rng: np.random.Generator, size: int) -> np.ndarray:
    """A desk: a base colour with rectangles, discs and straight strokes (pens, cables, other papers' edges)."""
    import cv2

    image = np.empty((size, size, 3), np.float32)
    image[:] = rng.uniform(30, 180, size=3)
    for _ in range(rng.integers(3, 12)):
        colour = tuple(float(c) for c in rng.uniform(0, 255, size=3))
        p, q = (rng.uniform(-0.1, 1.1, size=(2, 2)) * size).astype(int)
        shape = rng.integers(3)
        if shape == 0:
            cv2.rectangle(image, tuple(map(int, p)), tuple(map(int, q)), colour, -1)
        elif shape == 1:
            cv2.circle(image, tuple(map(int, p)), int(rng.uniform(0.02, 0.2) * size), colour, -1)
        else:
            cv2.line(
                image, tuple(map(int, p)), tuple(map(int, q)), colour, max(1, int(rng.uniform(0.005, 0.03) * size))
            )
    return image


def _page(rng: np.random.Generator, size: int) -> np.ndarray:
    """A page (height ``size``, A4-ish) with a tint, margins, a title, lines of words and sometimes a picture."""
    import cv2

    h, w = size, int(size * 0.75)
    page = np.empty((h, w, 3), np.float32)
    page[:] = rng.uniform(205, 255) - rng.uniform(0, 20, size=3)
    ink = tuple(float(c) for c in rng.uniform(0, 90, size=3))
    margin, line_h = rng.uniform(0.06, 0.14), rng.uniform(0.018, 0.04)
    y = margin + 2 * line_h
    cv2.rectangle(page, _px(margin, margin, w, h), _px(rng.uniform(0.4, 0.8), margin + 1.5 * line_h, w, h), ink, -1)
    if rng.random() < 0.4:
        top = rng.uniform(0.25, 0.6)
        cv2.rectangle(
            page,
            _px(margin, top, w, h),
            _px(rng.uniform(0.4, 0.9), top + rng.uniform(0.1, 0.25), w, h),
            tuple(float(c) for c in rng.uniform(0, 255, size=3)),
            -1,
        )
    while y < 1 - margin:
        x = margin
        end = 1 - margin - (rng.random() < 0.2) * rng.uniform(0, 0.5)
        while x < end:
            word = rng.uniform(0.03, 0.12)
            cv2.rectangle(page, _px(x, y, w, h), _px(min(x + word, end), y + line_h * 0.55, w, h), ink, -1)
            x += word + rng.uniform(0.015, 0.03)
        y += line_h * rng.uniform(1.4, 1.9)
    return page.clip(0, 255).astype(np.uint8)


def _px(x: float, y: float, w: int, h: int) -> tuple[int, int]:
    return int(x * w), int(y * h)


def _shadow(rng: np.random.Generator, image: np.ndarray, size: int) -> np.ndarray:
    """Darken one side of a soft straight boundary (a hand or a phone over the page), sometimes."""
    if rng.random() < 0.5:
        return image
    angle, offset = rng.uniform(0, 2 * np.pi), rng.uniform(-0.3, 0.3)
    yy, xx = np.mgrid[0:size, 0:size] / size - 0.5
    side = (np.cos(angle) * xx + np.sin(angle) * yy - offset) / rng.uniform(0.02, 0.15)
    darkness = rng.uniform(0.3, 0.7) / (1 + np.exp(-side))
    return image * (1 - darkness[..., None])


def _degrade(rng: np.random.Generator, image: np.ndarray, size: int) -> np.ndarray:
    """Camera blur, sensor noise and JPEG artefacts."""
    import cv2

    sigma = rng.uniform(0, 1.5) * size / 256
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    image = image + rng.normal(0, rng.uniform(0, 8), size=image.shape)
    image = image.clip(0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 95))])
        image = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return image


def read_rgb(path: Path) -> np.ndarray:
    """An image file as HxWx3 uint8 RGB."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{path}: not a readable image")
    return np.ascontiguousarray(image[..., ::-1])


def split_indices(n: int) -> dict[str, range]:
    """The first 80% of the indices train, the next 10% validate, the rest test."""
    n_train = int(round(n * SPLIT_FRACTIONS[0]))
    n_val = int(round(n * SPLIT_FRACTIONS[1]))
    return {"train": range(0, n_train), "val": range(n_train, n_train + n_val), "test": range(n_train + n_val, n)}


def write_dataset(out: Path, n: int, seed: int, size: int = 256) -> dict[str, int]:
    """Write ``out/SPLIT/NNNNN.png`` images, ``NNNNN_edges.png`` labels (0/255) and ``out/SPLIT/corners.json``."""
    import cv2

    if n < 3:
        raise ValueError(f"n={n}: need at least 3 documents (one per split)")
    counts = {}
    for split, indices in split_indices(n).items():
        folder = Path(out) / split
        folder.mkdir(parents=True, exist_ok=True)
        corners = {}
        for index in indices:
            sample = make_sample(seed, index, size)
            cv2.imwrite(str(folder / f"{index:05d}.png"), np.ascontiguousarray(sample.image[..., ::-1]))
            cv2.imwrite(str(folder / f"{index:05d}_edges.png"), sample.edges * 255)
            corners[f"{index:05d}"] = sample.corners.round(3).tolist()
        (folder / "corners.json").write_text(json.dumps(corners, indent=1) + "\n")
        counts[split] = len(indices)
    (Path(out) / "dataset.json").write_text(json.dumps({"seed": seed, "n": n, "size": size, "splits": counts}) + "\n")
    return counts

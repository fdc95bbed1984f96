"""Document corners from an edge map, as the phone app finds them, and their quadrilateral IoU with the truth.

The pipeline: threshold the edge probability, probabilistic Hough transform (OpenCV HoughLinesP), merge segments
that lie on nearly the same line, intersect line pairs meeting at 45-135 degrees, and keep the largest convex
quadrilateral whose four corners lie (nearly) inside the image. The score is the SmartDoc 2015 Jaccard index: the
overlap of the found and true quadrilaterals measured in the true document's own frame (the perspective undone), 0
for an image where no document is found.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

DOC_FRAME = np.float32([[0, 0], [1000, 0], [1000, 1414], [0, 1414]])  # an A4 page, for the SmartDoc measure


@dataclass(frozen=True)
class CornerSettings:
    threshold: float = 0.5
    min_length: float = 0.12  # x image side, shortest Hough segment
    max_gap: float = 0.03
    merge_angle_deg: float = 6.0
    merge_distance: float = 0.03  # x image diagonal
    max_lines: int = 8
    min_area: float = 0.05  # x image area
    outside: float = 0.05  # how far outside the image a corner may lie, x image side


@dataclass(frozen=True)
class Line:
    """A line through ``point`` along unit ``direction``, with the total segment length that supports it."""

    point: np.ndarray
    direction: np.ndarray
    support: float


def find_document(probability: np.ndarray, settings: CornerSettings = CornerSettings()) -> np.ndarray | None:
    """The four corners (4 x 2, x y, clockwise from top-left) of the largest plausible quadrilateral, or None."""
    lines = merged_lines(hough_segments(probability, settings), probability.shape, settings)
    best, best_area = None, settings.min_area * probability.shape[0] * probability.shape[1]
    for four in itertools.combinations(lines[: settings.max_lines], 4):
        for order in ((0, 1, 2, 3), (0, 1, 3, 2), (0, 2, 1, 3)):
            quad = _quadrilateral([four[i] for i in order], probability.shape, settings)
            if quad is not None and polygon_area(quad) > best_area:
                best, best_area = quad, polygon_area(quad)
    return None if best is None else clockwise_from_top_left(best)


def hough_segments(probability: np.ndarray, settings: CornerSettings) -> np.ndarray:
    """N x 4 segments (x1, y1, x2, y2) found in the thresholded map."""
    import cv2

    side = min(probability.shape)
    binary = (probability >= settings.threshold).astype(np.uint8) * 255
    found = cv2.HoughLinesP(
        binary,
        1,
        np.pi / 180,
        threshold=max(10, int(side * settings.min_length / 2)),
        minLineLength=side * settings.min_length,
        maxLineGap=side * settings.max_gap,
    )
    return np.zeros((0, 4)) if found is None else found.reshape(-1, 4).astype(np.float64)


def merged_lines(segments: np.ndarray, shape: tuple[int, ...], settings: CornerSettings) -> list[Line]:
    """Group segments of nearly equal angle and offset; each group becomes one line, strongest first."""
    import cv2

    diagonal = float(np.hypot(*shape[:2]))
    groups: list[list[np.ndarray]] = []
    for segment in sorted(segments, key=lambda s: -np.hypot(s[2] - s[0], s[3] - s[1])):
        for group in groups:
            if _same_line(group[0], segment, settings.merge_angle_deg, settings.merge_distance * diagonal):
                group.append(segment)
                break
        else:
            groups.append([segment])
    lines = []
    for group in groups:
        points = np.concatenate([_points_along(s) for s in group]).astype(np.float32)
        vx, vy, x0, y0 = cv2.fitLine(points, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
        support = sum(float(np.hypot(s[2] - s[0], s[3] - s[1])) for s in group)
        lines.append(Line(np.array([x0, y0], np.float64), np.array([vx, vy], np.float64), support))
    return sorted(lines, key=lambda line: -line.support)


def _points_along(segment: np.ndarray, step: float = 4.0) -> np.ndarray:
    length = np.hypot(segment[2] - segment[0], segment[3] - segment[1])
    t = np.linspace(0, 1, max(2, int(length / step)))[:, None]
    return segment[:2] * (1 - t) + segment[2:] * t


def _same_line(a: np.ndarray, b: np.ndarray, max_angle_deg: float, max_distance: float) -> bool:
    da, db = a[2:] - a[:2], b[2:] - b[:2]
    cos = abs(float(da @ db)) / (np.linalg.norm(da) * np.linalg.norm(db) + 1e-9)
    if cos < np.cos(np.radians(max_angle_deg)):
        return False
    normal = np.array([-da[1], da[0]]) / (np.linalg.norm(da) + 1e-9)
    return max(abs(float((b[:2] - a[:2]) @ normal)), abs(float((b[2:] - a[:2]) @ normal))) <= max_distance


def intersection(a: Line, b: Line) -> np.ndarray | None:
    """Where two lines cross, or None when they meet at less than 45 degrees (or more than 135)."""
    cross = a.direction[0] * b.direction[1] - a.direction[1] * b.direction[0]
    if abs(cross) < np.sin(np.radians(45)) - 1e-9:
        return None
    t = ((b.point[0] - a.point[0]) * b.direction[1] - (b.point[1] - a.point[1]) * b.direction[0]) / cross
    return a.point + t * a.direction


def _quadrilateral(cycle: list[Line], shape: tuple[int, ...], settings: CornerSettings) -> np.ndarray | None:
    h, w = shape[:2]
    corners = []
    for a, b in zip(cycle, cycle[1:] + cycle[:1]):
        point = intersection(a, b)
        margin = settings.outside * max(h, w)
        if point is None or not (-margin <= point[0] <= w + margin and -margin <= point[1] <= h + margin):
            return None
        corners.append(point)
    quad = np.array(corners)
    return quad if is_convex(quad) else None


def is_convex(quad: np.ndarray) -> bool:
    edges = np.roll(quad, -1, axis=0) - quad
    turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    return bool(np.all(turns > 0) or np.all(turns < 0))


def polygon_area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return float(abs(x @ np.roll(y, -1) - y @ np.roll(x, -1)) / 2)


def clockwise_from_top_left(quad: np.ndarray) -> np.ndarray:
    """Order corners clockwise on screen (y down), starting from the one nearest the top-left of the image."""
    centre = quad.mean(axis=0)
    quad = quad[np.argsort(np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0]))]
    return np.roll(quad, -int(np.argmin(quad.sum(axis=1))), axis=0)


def quad_iou(found: np.ndarray | None, truth: np.ndarray) -> float:
    """SmartDoc 2015 Jaccard index: both quadrilaterals mapped into the true page's frame, area overlap / union."""
    import cv2

    if found is None:
        return 0.0
    warp = cv2.getPerspectiveTransform(np.float32(truth), DOC_FRAME)
    mapped = cv2.perspectiveTransform(np.float32(found).reshape(-1, 1, 2), warp).reshape(-1, 2)
    if not is_convex(mapped):
        return 0.0
    inter, _ = cv2.intersectConvexConvex(np.float32(clockwise_from_top_left(mapped)), DOC_FRAME)
    union = polygon_area(mapped) + polygon_area(DOC_FRAME) - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass(frozen=True)
class CornerScores:
    corner_iou: float  # mean over images, 0 where no document was found
    detection_rate: float
    images: int
    per_image: tuple[float, ...] = ()  # each image's IoU


def corner_scores(found: list[np.ndarray | None], truths: list[np.ndarray]) -> CornerScores:
    if not truths or len(found) != len(truths):
        raise ValueError(f"{len(found)} detections for {len(truths)} true documents")
    ious = [quad_iou(f, t) for f, t in zip(found, truths)]
    return CornerScores(float(np.mean(ious)), sum(f is not None for f in found) / len(found), len(found), tuple(ious))

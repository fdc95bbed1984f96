"""The phone's corner pipeline and the SmartDoc quadrilateral IoU, on hand-made cases with known answers."""

import numpy as np
import pytest

from mbench.accuracy.corners import Line, corner_scores, find_document, intersection, quad_iou
from mbench.data.docs import make_sample

RECT = np.float32([[40, 60], [200, 60], [200, 220], [40, 220]])


def test_iou_of_identical_half_and_missing():
    assert quad_iou(RECT, RECT) == pytest.approx(1.0)
    left_half = np.float32([[40, 60], [120, 60], [120, 220], [40, 220]])
    assert quad_iou(left_half, RECT) == pytest.approx(0.5, abs=1e-4)
    assert quad_iou(None, RECT) == 0.0


def test_iou_ignores_corner_order():
    assert quad_iou(RECT[[2, 3, 0, 1]], RECT) == pytest.approx(1.0)


def test_lines_meet_only_between_45_and_135_degrees():
    horizontal = Line(np.array([0.0, 10.0]), np.array([1.0, 0.0]), 1.0)
    vertical = Line(np.array([5.0, 0.0]), np.array([0.0, 1.0]), 1.0)
    shallow = Line(np.array([0.0, 10.0]), np.array([np.cos(0.5), np.sin(0.5)]), 1.0)  # 29 degrees
    np.testing.assert_allclose(intersection(horizontal, vertical), [5.0, 10.0])
    assert intersection(horizontal, shallow) is None


@pytest.mark.parametrize("index", range(6))
def test_document_found_on_its_own_edge_map(index):
    import cv2

    sample = make_sample(0, index, 256)
    edge_probability = cv2.dilate(sample.edges, np.ones((3, 3), np.uint8)).astype(float)
    assert quad_iou(find_document(edge_probability), sample.corners) > 0.95


def test_nothing_found_on_an_empty_map_and_scores_count_it():
    assert find_document(np.zeros((128, 128))) is None
    scores = corner_scores([RECT, None], [RECT, RECT])
    assert scores.corner_iou == pytest.approx(0.5) and scores.detection_rate == 0.5

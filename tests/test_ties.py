"""Ties: an accuracy difference within the resolution of the images scored (a paired, seeded bootstrap over them)
is no difference, on the Pareto front and in the headline. Scores come from the real BSDS scoring of real edge
detectors (conftest.sobel_scores: Sobel magnitude, with and without blur or noise) on generated document photos."""

import json

import numpy as np
import pandas as pd
import pytest

from mbench.accuracy.resolution import resampled, resolution, score
from mbench.report.headline import headline
from mbench.report.pareto import pareto_front
from mbench.accuracy.resolution import compare
from mbench.report.ties import ties
from mbench.results import Context, Measurement, new_run_id
from mbench.store import Store


def _details(scores, metric: str) -> str:
    return json.dumps({"image_set": scores.image_set, "per_image": scores.per_image[metric]})


@pytest.mark.parametrize("metric", ["ods_f", "ois_f", "corner_iou", "detection_rate"])
def test_the_per_image_parts_give_back_the_scores(sobel_scores, metric):
    for scores in sobel_scores.values():
        parts = np.asarray(scores.per_image[metric], np.float64)
        assert score(metric, parts, np.ones((1, len(parts))))[0] == pytest.approx(getattr(scores, metric), abs=1e-9)


def test_the_bootstrap_is_seeded_and_paired(sobel_scores):
    plain, noisy = sobel_scores["plain"].per_image["ods_f"], sobel_scores["noisy"].per_image["ods_f"]
    assert np.array_equal(resampled("ods_f", plain), resampled("ods_f", plain))
    alone = np.hypot(resampled("ods_f", plain).std(), resampled("ods_f", noisy).std()) * 1.96
    assert 0 < resolution("ods_f", plain, noisy) < alone / 3  # pairing: far finer than either score's spread


def test_a_difference_within_the_resolution_is_a_tie_and_one_beyond_it_is_not(sobel_scores):
    plain, noisy, blurred = (sobel_scores[name] for name in ("plain", "noisy", "blurred"))
    tie = compare("ods_f", (noisy.ods_f, _details(noisy, "ods_f")), (plain.ods_f, _details(plain, "ods_f")))
    assert tie.difference != 0 and tie.tie and tie.text().startswith("a tie")
    apart = compare("ods_f", (blurred.ods_f, _details(blurred, "ods_f")), (plain.ods_f, _details(plain, "ods_f")))
    assert apart.difference > apart.resolution > 0 and not apart.tie and "beyond the resolution" in apart.text()
    unknown = compare("ods_f", (noisy.ods_f, "{}"), (plain.ods_f, _details(plain, "ods_f")))
    assert unknown.resolution is None and not unknown.tie


def test_a_slower_artifact_whose_accuracy_ties_is_not_on_the_pareto_front(sobel_scores):
    """hed-mobilenetv2's PyTorch (slower, 0.9181) against ONNX Runtime (faster, 0.9179) in miniature."""
    plain, noisy, blurred = (sobel_scores[name] for name in ("plain", "noisy", "blurred"))
    slow, fast = (noisy, plain) if noisy.ods_f > plain.ods_f else (plain, noisy)
    points = [(20.0, slow.ods_f), (5.0, fast.ods_f), (30.0, blurred.ods_f)]
    margin = ties("ods_f", [_details(s, "ods_f") for s in (slow, fast, blurred)])
    assert pareto_front(points, maximize_y=True) == [1, 0, 2]  # without ties the slower one is a front point
    assert pareto_front(points, maximize_y=True, margin=margin) == [1, 2]


def test_the_headline_calls_a_tie_a_tie(sobel_scores, tmp_path):
    plain, noisy = sobel_scores["plain"], sobel_scores["noisy"]
    rows = [
        Measurement(
            model, "pytorch", "fp32", "host", "ods_f", s.ods_f, "F", context=Context(details=_details(s, "ods_f"))
        )
        for model, s in (("hed-vgg", plain), ("hed-mobilenetv2", noisy))
    ]
    sentence = headline(_stored(rows, tmp_path), ("hed-vgg", "hed-mobilenetv2"), metric="ods_f").sentence
    assert f"ods_f {noisy.ods_f:.3f} against {plain.ods_f:.3f} (pytorch), a tie: " in sentence


def _pair_rows(large, small) -> list[Measurement]:
    """fp32 PyTorch ODS F and corner IoU of a declared pair; the corners are the large model's for both (a tie)."""
    return [
        Measurement(
            model,
            "pytorch",
            "fp32",
            "host",
            metric,
            getattr(s if metric == "ods_f" else large, metric),
            "F",
            context=Context(details=_details(s if metric == "ods_f" else large, metric)),
        )
        for model, s in (("hed-vgg", large), ("hed-mobilenetv2", small))
        for metric in ("ods_f", "corner_iou")
    ]


def _stored(rows: list[Measurement], tmp_path) -> pd.DataFrame:
    with Store(tmp_path / "m.db") as store:
        run = new_run_id()
        store.start_run(run, "test")
        store.append(run, rows)
        return store.measurements()


def test_the_pair_is_about_as_accurate_when_a_difference_past_the_margin_is_within_the_resolution(
    sobel_scores, tmp_path
):
    from mbench.accuracy.summary import ODS_MARGIN, small_vs_large

    plain, soft = sobel_scores["plain"], sobel_scores["soft"]
    versus = compare("ods_f", (soft.ods_f, _details(soft, "ods_f")), (plain.ods_f, _details(plain, "ods_f")))
    assert ODS_MARGIN < versus.difference <= versus.resolution  # past the margin, within what 12 documents resolve
    rows = _stored(_pair_rows(plain, soft), tmp_path)
    assert "hed-mobilenetv2 is about as accurate as hed-vgg" in small_vs_large(rows, "hed-mobilenetv2", "hed-vgg")
    without_parts = rows.assign(details="{}")
    assert "is more accurate than" in small_vs_large(without_parts, "hed-mobilenetv2", "hed-vgg")

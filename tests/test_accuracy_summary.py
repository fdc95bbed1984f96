"""The headline sentence and the deltas against fp32 PyTorch, from stored rows."""

import pytest

from mbench.accuracy.summary import deltas_against_pytorch, small_vs_large
from mbench.results import Measurement
from mbench.spec import Status
from mbench.store import Store


def _rows(small_ods, small_iou):
    values = {
        ("hed-vgg", "pytorch"): (0.80, 0.90),
        ("hed-vgg", "onnx"): (0.79, 0.90),
        ("hed-mobilenetv2", "pytorch"): (small_ods, small_iou),
    }
    rows = [
        Measurement(m, f, "fp32", "host", metric, v, "F", Status.OK)
        for (m, f), (ods, iou) in values.items()
        for metric, v in (("ods_f", ods), ("corner_iou", iou))
    ]
    rows.append(Measurement("hed-vgg", "coreml", "fp32", "host", "ods_f", None, "", Status.NOT_RUN, "macOS only"))
    return rows


def _table(tmp_path, rows):
    with Store(tmp_path / "m.db") as store:
        store.start_run("r", "test")
        store.append("r", rows)
        return store.measurements()


@pytest.mark.parametrize(
    ("ods", "iou", "verdict"),
    [
        (0.79, 0.88, "about as accurate as"),
        (0.70, 0.88, "less accurate than"),
        (0.85, 0.95, "more accurate than"),
        (0.85, 0.80, "neither uniformly more nor less accurate than"),
    ],
)
def test_statement_with_numbers(tmp_path, ods, iou, verdict):
    sentence = small_vs_large(_table(tmp_path, _rows(ods, iou)), "hed-mobilenetv2", "hed-vgg")
    assert f"hed-mobilenetv2 is {verdict} hed-vgg" in sentence
    assert f"ODS F {ods:.3f} vs 0.800" in sentence


def test_deltas_against_fp32_pytorch(tmp_path):
    deltas = deltas_against_pytorch(_table(tmp_path, _rows(0.79, 0.88)))
    assert deltas.loc[("hed-vgg", "onnx", "fp32", "host"), "ods_f"] == pytest.approx(-0.01)
    assert deltas.loc[("hed-vgg", "pytorch", "fp32", "host"), "ods_f"] == 0.0
    assert ("hed-vgg", "coreml", "fp32", "host") not in deltas.index  # no number, no delta


def test_statement_without_rows(tmp_path):
    assert "run `mbench evaluate`" in small_vs_large(
        _table(tmp_path, _rows(0.8, 0.9)[:2]), "hed-mobilenetv2", "hed-vgg"
    )

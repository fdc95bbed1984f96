"""Top-1 on a class-folder tree and mIoU on image/mask folders, by hand and through real ONNX artifacts."""

import json

import numpy as np
import pytest

from mbench.accuracy.classify import top1_accuracy
from mbench.accuracy.evaluate import Task, evaluate_and_record
from mbench.accuracy.segment import confusion, iou_from_confusion, mean_iou
from mbench.convert.pipeline import convert_model
from mbench.models.sources import spec_from_source
from mbench.spec import Format
from mbench.store import Store

COLOURS = {"0-red": (255, 0, 0), "1-green": (0, 255, 0), "2-blue": (0, 0, 255)}
MODELS = """import torch
def channel_means():
    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
def pixel_channels():
    conv = torch.nn.Conv2d(3, 3, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).reshape(3, 3, 1, 1))
    return conv
class MaskAndClass(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = pixel_channels()
    def forward(self, x):
        return {"mask": self.mask(x), "logits": x.mean((2, 3))}
def mask_and_class():
    return MaskAndClass()
"""


def _write(path, rgb):
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.ascontiguousarray(np.asarray(rgb, np.uint8)[..., ::-1]))


@pytest.fixture
def class_folders(tmp_path):
    for name, colour in COLOURS.items():
        for i in range(2):
            _write(tmp_path / "classes" / name / f"{i}.png", np.full((16, 16, 3), colour))
    _write(tmp_path / "classes" / "0-red" / "wrong.png", np.full((16, 16, 3), COLOURS["2-blue"]))
    return tmp_path / "classes"


@pytest.fixture
def seg_folders(tmp_path):
    import cv2

    image = np.zeros((16, 16, 3), np.uint8)
    image[:, :8] = COLOURS["0-red"]
    image[:, 8:] = COLOURS["2-blue"]
    mask = np.zeros((16, 16), np.uint8)
    mask[:, 8:] = 2
    mask[:4, :8] = 1  # a quarter of the red half labelled green: the model cannot get those right
    mask[0, 0] = 255  # ignored
    _write(tmp_path / "seg" / "images" / "a.png", image)
    (tmp_path / "seg" / "masks").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "seg" / "masks" / "a.png"), mask)
    return tmp_path / "seg"


def test_top1_by_hand(class_folders):
    scores = top1_accuracy(lambda image: image.reshape(-1, 3).mean(axis=0), class_folders)
    assert (scores.top1, scores.images, scores.classes) == (pytest.approx(6 / 7), 7, 3)


def test_miou_by_hand(seg_folders):
    scores = mean_iou(
        lambda image: image.transpose(2, 0, 1).astype(float), seg_folders / "images", seg_folders / "masks"
    )
    matrix = confusion(np.array([0, 0, 1]), np.array([0, 1, 1]), 2)  # rows: truth, columns: prediction
    assert matrix.tolist() == [[1, 0], [1, 1]] and iou_from_confusion(matrix).miou == pytest.approx(0.5)
    assert scores.per_class[2] == 1.0 and scores.per_class[1] == 0.0
    assert scores.per_class[0] == pytest.approx(96 / 127)  # 96 true red of 127 predicted red (one pixel ignored)
    assert scores.miou == pytest.approx((96 / 127 + 0 + 1) / 3)


def test_plugin_tasks_through_onnx_artifacts(class_folders, seg_folders, tmp_path):
    (tmp_path / "mine.py").write_text(MODELS)
    for factory in ("channel_means", "pixel_channels"):  # two models of one file: each named, or both are "mine"
        spec = spec_from_source(f"{tmp_path / 'mine.py'}:{factory}", (1, 3, 16, 16), factory.replace("_", "-"))
        list(convert_model(spec, [Format.ONNX], tmp_path / "art"))
    with Store(tmp_path / "m.db") as store:
        evaluate_and_record(tmp_path / "art", class_folders, store, Task.CLASSIFY, models=["channel-means"])
        evaluate_and_record(tmp_path / "art", seg_folders, store, Task.SEGMENT, models=["pixel-channels"])
        rows = store.measurements()
    values = {(r.model, r.format, r.metric): r.value for r in rows.itertuples()}
    assert values[("channel-means", "onnx", "top1")] == pytest.approx(6 / 7)
    assert values[("pixel-channels", "onnx", "miou")] == pytest.approx((96 / 127 + 0 + 1) / 3)


def test_plugin_task_needs_models(class_folders, tmp_path):
    with Store(tmp_path / "m.db") as store, pytest.raises(ValueError, match="--model"):
        evaluate_and_record(tmp_path, class_folders, store, Task.CLASSIFY)


def test_each_task_scores_the_output_it_names(class_folders, seg_folders, tmp_path):
    """One model, two outputs: top-1 on its "logits", mIoU on its "mask" (its first); an unknown name is a failed
    row that lists the outputs there are."""
    from click.testing import CliRunner

    from mbench.cli import main

    (tmp_path / "mine.py").write_text(MODELS)
    list(
        convert_model(
            spec_from_source(f"{tmp_path / 'mine.py'}:mask_and_class", (1, 3, 16, 16)), [Format.ONNX], tmp_path / "art"
        )
    )
    with Store(tmp_path / "m.db") as store:
        evaluate_and_record(tmp_path / "art", seg_folders, store, Task.SEGMENT, models=["mine"])
        evaluate_and_record(tmp_path / "art", class_folders, store, Task.CLASSIFY, models=["mine"], output="nope")
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(tmp_path / "art"),
            "--task",
            "classify",
            "--data",
            str(class_folders),
            "--model",
            "mine",
            "--output",
            "logits",
            "--db",
            str(tmp_path / "m.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    with Store(tmp_path / "m.db") as store:
        rows = store.measurements()
    onnx = rows[rows.format == "onnx"]
    scored = {(r.metric, r.status): (r.value, json.loads(r.details).get("output"), r.error) for r in onnx.itertuples()}
    assert scored[("miou", "ok")][:2] == (pytest.approx((96 / 127 + 0 + 1) / 3), "mask")
    assert scored[("top1", "ok")][:2] == (pytest.approx(6 / 7), "logits")
    assert "mine has no output 'nope'; its outputs are mask, logits" in scored[("top1", "failed")][2]

"""The task judges where there is a task: a lower precision's verdict in the report is its task score against fp32
of the same format, with the metric's margin and the resolution of the images scored; parity stands beside it."""

import json

import pytest
import torch
from torch import nn

from mbench.accuracy.evaluate import evaluate_and_record
from mbench.accuracy.summary import TASK_MARGINS
from mbench.artifacts import Parity
from mbench.convert.parity import parity_details
from mbench.convert.pipeline import ConvertSettings, conversion_rows, convert_model
from mbench.data.docs import write_dataset
from mbench.report.precision import compare_precisions, precision_findings
from mbench.results import Context, Measurement, new_run_id
from mbench.spec import Format, InputSpec, ModelSpec, Precision, Status
from mbench.store import Store


class Edges(nn.Module):
    """An edge-map model (N x 1 x H x W logits from N x 3 x H x W), as the document task scores."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 1, 3, padding=1)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


SPEC = ModelSpec("test-verdict-edges", Edges, (InputSpec("image", (1, 3, 32, 32)),), ("edges",), "edge-detection")


def _store(path, rows):
    store = Store(path)
    run = new_run_id()
    store.start_run(run, "test")
    store.append(run, rows)
    return store


def test_a_scored_lower_precision_is_judged_by_its_task_delta(tmp_path):
    settings = ConvertSettings((Precision.FP32, Precision.INT8), calibration_samples=8)
    outcomes = list(convert_model(SPEC, [Format.ONNX, Format.TFLITE], tmp_path / "art", settings))
    write_dataset(tmp_path / "docs", 60, seed=1, size=32)
    with _store(tmp_path / "m.db", [r for o in outcomes for r in conversion_rows(o)]) as store:
        evaluate_and_record(tmp_path / "art", tmp_path / "docs", store, levels=5)
        frame = compare_precisions(store.measurements()).set_index(["format", "precision"])
    for fmt in ("onnx", "tflite"):
        int8, fp32 = frame.loc[(fmt, "int8")], frame.loc[(fmt, "fp32")]
        assert int8.task == "ods_f" and int8.task_delta == pytest.approx(int8.task_score - fp32.task_score)
        assert int8.resolution > 0 and int8.psnr_db > 0  # the parity figures stand beside the verdict
        within = int8.task_delta >= -max(TASK_MARGINS["ods_f"], int8.resolution)
        assert int8.verdict.startswith(f"{'within' if within else 'worse'} by ods_f: {int8.task_score:.4f} against")


def _rows(model: str, fp32, int8, flagged: bool) -> list[Measurement]:
    """fp32 and int8 ONNX rows of a model: sizes, parity (int8 beyond its tolerance where ``flagged``), ODS F."""
    parity = Parity(Status.OK, 0.9 if flagged else 0.01, 0.01, tolerance=0.5, psnr_db=42.0, psnr_floor_db=30.0)
    rows = []
    for precision, scores in (("fp32", fp32), ("int8", int8)):
        details = json.dumps(parity_details(parity if precision == "int8" else Parity(Status.OK, 1e-6, 1e-7)))
        accuracy = json.dumps({"image_set": scores.image_set, "per_image": scores.per_image["ods_f"]})
        rows += [
            Measurement(model, "onnx", precision, "host", "size", 1e6, "bytes"),
            Measurement(
                model, "onnx", precision, "host", "parity_max_abs", 0.9, "abs", context=Context(details=details)
            ),
            Measurement(
                model, "onnx", precision, "host", "ods_f", scores.ods_f, "F", context=Context(details=accuracy)
            ),
        ]
    return rows


def test_the_task_overrules_a_parity_flag_and_a_loss_beyond_the_margin_is_worse(sobel_scores, tmp_path):
    plain, noisy, blurred = (sobel_scores[name] for name in ("plain", "noisy", "blurred"))
    rows = _rows("fine-int8", plain, noisy, flagged=True) + _rows("lossy-int8", blurred, plain, flagged=False)
    with _store(tmp_path / "m.db", rows) as store:
        measured = store.measurements()
    frame = compare_precisions(measured).set_index(["model", "precision"])
    assert frame.loc[("fine-int8", "int8"), "verdict"].startswith("within by ods_f")
    assert frame.loc[("fine-int8", "int8"), "flag"].startswith("parity_exceeded")  # evidence, not the verdict
    assert frame.loc[("lossy-int8", "int8"), "verdict"].startswith("worse by ods_f")
    findings = precision_findings(measured)
    assert any(
        f.startswith("fine-int8 onnx int8 is beyond its parity bounds")
        and "its task score judges it: within by ods_f" in f
        for f in findings
    )
    assert any(f.startswith("lossy-int8 onnx int8 is worse by ods_f") for f in findings)

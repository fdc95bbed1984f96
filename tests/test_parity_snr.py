"""Parity in dB (PSNR against fp32 PyTorch over several inputs) through the real converters, its infinity through the
manifest and the SQLite store, and vacuous parity: a model whose output ignores its input is flagged everywhere."""

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from mbench.artifacts import read_manifest
from mbench.cli._echo import echo_conversion
from mbench.convert.agreement import SEEDS, psnr_db, vacuous_reason
from mbench.convert.parity import FLAG, VACUOUS, flag_in_details, psnr_floor_db, psnr_in_details
from mbench.convert.pipeline import ConvertSettings, conversion_rows, convert_model, reference_output
from mbench.report.coverage import CellState, coverage_frame
from mbench.report.precision import precision_view
from mbench.report.tables import comparison
from mbench.results import new_run_id
from mbench.spec import Format, InputSpec, ModelSpec, Precision, Status
from mbench.store import Store

FORMATS = [Format.ONNX, Format.TFLITE, Format.EXECUTORCH]
PRECISIONS = (Precision.FP32, Precision.FP16, Precision.INT8)


class Small(nn.Module):
    """Two convolutions with a ReLU between: outputs that change with the input, O(1) in size."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 2, 3, padding=1)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


class Dead(nn.Module):
    """A dead network: the first convolution's bias of -1e4 keeps every ReLU at zero for inputs in [0, 1), so the
    output is the second convolution's bias whatever the input (the converters cannot fold it away)."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 2, 3, padding=1)
        with torch.no_grad():
            self.a.bias.fill_(-1e4)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


SMALL = ModelSpec("test-snr-small", Small, (InputSpec("x", (1, 3, 16, 16)),), ("y",), "test")
DEAD = ModelSpec("test-snr-dead", Dead, (InputSpec("x", (1, 3, 16, 16)),), ("y",), "test")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("snr")
    settings = ConvertSettings(PRECISIONS, calibration_samples=8)
    return out, {(o.format, o.precision): o for o in convert_model(SMALL, FORMATS, out, settings)}


@pytest.fixture(scope="module")
def dead(tmp_path_factory):
    out = tmp_path_factory.mktemp("dead")
    return list(convert_model(DEAD, FORMATS, out, ConvertSettings((Precision.FP32,))))


def test_psnr_is_peak_over_mean_square_in_db():
    reference = np.array([[1.0, -2.0]])
    assert psnr_db(np.array([[1.0, -1.8]]), reference) == pytest.approx(10 * math.log10(4 / 0.02))
    assert psnr_db(reference, reference) == math.inf
    assert psnr_db(np.array([[0.1, 0.0]]), np.zeros((1, 2))) == -math.inf


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_precision_has_a_psnr_consistent_with_its_max_and_mean(small, fmt):
    reference = reference_output(SMALL)
    (references,) = reference.outputs.values()
    assert len(reference.inputs.feeds) == len(SEEDS) and references.shape[0] == len(SEEDS)
    peak = float(np.abs(references).max())
    psnrs = {}
    for precision in PRECISIONS:
        parity = small[1][(fmt, precision)].artifact.parity
        assert parity.status is Status.OK and parity.psnr_floor_db == psnr_floor_db(precision)
        # max |Δ|² >= MSE >= mean |Δ|², so the PSNR lies between what each would give alone
        assert 20 * math.log10(peak / parity.max_abs) <= parity.psnr_db <= 20 * math.log10(peak / parity.mean_abs)
        psnrs[precision] = parity.psnr_db
    assert psnrs[Precision.FP32] > psnrs[Precision.FP16] > psnrs[Precision.INT8] > psnr_floor_db(Precision.INT8)
    assert psnrs[Precision.FP32] > psnr_floor_db(Precision.FP32)


def test_every_parity_row_stores_its_psnr_and_infinity_reads_back_from_the_store(small, tmp_path):
    with Store(tmp_path / "m.db") as store:
        run = new_run_id()
        store.start_run(run, "test")
        store.append(run, [row for outcome in small[1].values() for row in conversion_rows(outcome)])
        rows = store.measurements()
    parity = rows[rows.metric == "parity_max_abs"]
    assert len(parity) == 1 + len(FORMATS) * len(PRECISIONS)
    for details in parity.details:
        json.loads(details, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
        assert isinstance(psnr_in_details(details), float)
    reference = parity[parity.format == "pytorch"].details.iloc[0]
    assert json.loads(reference)["psnr_db"] == "inf" and psnr_in_details(reference) == math.inf
    onnx_fp32 = parity[(parity.format == "onnx") & (parity.precision == "fp32")].details.iloc[0]
    assert psnr_in_details(onnx_fp32) == small[1][(Format.ONNX, Precision.FP32)].artifact.parity.psnr_db


def test_the_manifest_keeps_infinity_as_json_and_reads_it_back(small):
    reference = small[1][(Format.PYTORCH, Precision.FP32)].artifact
    assert '"psnr_db": "inf"' in reference.manifest_path.read_text()
    assert read_manifest(reference.manifest_path).parity.psnr_db == math.inf


def test_a_cached_artifact_measured_on_other_inputs_is_measured_again(small, tmp_path):
    artifact = small[1][(Format.ONNX, Precision.FP16)].artifact
    record = json.loads(artifact.manifest_path.read_text())
    record["parity"].update(inputs="one seeded input", psnr_db=None)  # as an artifact built before PSNR existed
    artifact.manifest_path.write_text(json.dumps(record))
    again = {
        (o.format, o.precision): o
        for o in convert_model(SMALL, [Format.ONNX], small[0], ConvertSettings((Precision.FP16,)))
    }
    outcome = again[(Format.ONNX, Precision.FP16)]
    assert outcome.cached and outcome.artifact.parity.psnr_db == artifact.parity.psnr_db
    assert read_manifest(artifact.manifest_path).parity.inputs == artifact.parity.inputs


def test_the_reference_outputs_say_whether_they_change():
    changing = np.stack([np.full((1, 2), float(i)) for i in range(3)])
    assert vacuous_reason(changing) == ""
    assert "does not change with its input" in vacuous_reason(np.stack([np.ones((1, 2))] * 3))


def test_a_model_whose_output_ignores_its_input_is_flagged_on_every_row(dead, capsys):
    assert {o.format for o in dead} == {Format.PYTORCH, *FORMATS}
    for outcome in dead:
        assert outcome.artifact is not None, outcome.error
        parity = outcome.artifact.parity
        assert "does not change with its input" in parity.vacuous and parity.psnr_db > 100  # agrees, vacuously
        for row in conversion_rows(outcome):
            details = json.loads(row.context.details)
            assert details[VACUOUS] is True and "does not change" in details["parity_vacuous_reason"]
        echo_conversion(outcome)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(dead) and all(f"{VACUOUS}: PyTorch's output is the same" in line for line in lines)


def test_the_report_counts_vacuous_parity_as_no_pass(dead, tmp_path):
    with Store(tmp_path / "m.db") as store:
        run = new_run_id()
        store.start_run(run, "test")
        store.append(run, [row for outcome in dead for row in conversion_rows(outcome)])
        rows = store.measurements()
    table = comparison(rows).set_index("format")
    assert all(table.loc[f.value, "status"].startswith(VACUOUS) for f in FORMATS)
    assert all(str(flag).startswith(VACUOUS) for flag in precision_view(rows)["parity"])
    cells = coverage_frame(rows).set_index("format")
    assert all(cells.loc[f.value, "state"] == CellState.PARITY_VACUOUS.value for f in FORMATS)
    assert not any(flag_in_details(d).startswith(FLAG) for d in rows.details)

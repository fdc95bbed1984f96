"""Every artifact's parity is judged at conversion time by the one rule in mbench.convert.parity: beyond the
tolerance, the row is flagged with the figure and the tolerance, in the rows, the CLI line and the report."""

import json

import torch
from torch import nn

from mbench.cli._echo import echo_conversion
from mbench.convert.parity import FLAG, relative_tolerance, tolerance
from mbench.convert.pipeline import ConvertSettings, conversion_rows, convert_model
from mbench.report.coverage import CellState, coverage_frame
from mbench.report.precision import precision_findings, precision_view
from mbench.report.tables import comparison
from mbench.results import new_run_id
from mbench.spec import Format, InputSpec, ModelSpec, Precision
from mbench.store import Store


class Cancelling(nn.Module):
    """1000.3 x - 1000 x by two 1x1 convolutions: fp32 keeps 0.3 x, fp16 weights round 1000.3 to 1000.5."""

    def __init__(self):
        super().__init__()
        self.up, self.down = nn.Conv2d(3, 6, 1, bias=False), nn.Conv2d(6, 3, 1, bias=False)
        eye = torch.eye(3)
        with torch.no_grad():
            self.up.weight.copy_(torch.cat([1000.3 * eye, 1000.0 * eye]).reshape(6, 3, 1, 1))
            self.down.weight.copy_(torch.cat([eye, -eye], dim=1).reshape(3, 6, 1, 1))

    def forward(self, x):
        return self.down(self.up(x))


SPEC = ModelSpec("test-cancelling", Cancelling, (InputSpec("x", (1, 3, 8, 8)),), ("y",), "test")


def _outcomes(tmp_path):
    settings = ConvertSettings((Precision.FP32, Precision.FP16))
    return {o.precision: o for o in convert_model(SPEC, [Format.ONNX], tmp_path, settings) if o.format is Format.ONNX}


def test_fp16_beyond_its_tolerance_is_flagged_with_figure_and_tolerance(tmp_path, capsys):
    outcomes = _outcomes(tmp_path)
    fp32, fp16 = outcomes[Precision.FP32].artifact, outcomes[Precision.FP16].artifact
    assert not fp32.parity.exceeded and fp32.parity.tolerance is not None
    assert fp16.parity.exceeded and fp16.parity.max_abs > fp16.parity.tolerance
    rows = [r for r in conversion_rows(outcomes[Precision.FP16]) if r.metric == "parity_max_abs"]
    details = json.loads(rows[0].context.details)
    assert details[FLAG] is True and details["tolerance"] == fp16.parity.tolerance
    echo_conversion(outcomes[Precision.FP16])
    assert (
        f"{FLAG}: max |Δ| {fp16.parity.max_abs:.3g} > tolerance {fp16.parity.tolerance:.3g}" in capsys.readouterr().out
    )


def test_the_flag_shows_in_the_table_and_the_precision_section(tmp_path):
    store = Store(tmp_path / "m.db")
    run_id = new_run_id()
    store.start_run(run_id, "test")
    for outcome in _outcomes(tmp_path / "art").values():
        store.append(run_id, conversion_rows(outcome))
    rows = store.measurements()
    table = comparison(rows).set_index("precision")
    assert table.loc["fp16", "status"].startswith(f"{FLAG}: max |Δ|") and table.loc["fp32", "status"] == "ok"
    view = precision_view(rows).set_index("precision")
    assert view.loc["fp16", "parity"].startswith(FLAG) and view.loc["fp32", "parity"] == ""
    assert any("test-cancelling onnx fp16 is beyond its parity tolerance" in f for f in precision_findings(rows))
    cells = coverage_frame(rows).set_index("precision")  # the coverage matrix judges by the same tolerance
    assert cells.loc["fp16", "state"] == CellState.PARITY_EXCEEDED.value
    fp16 = rows[(rows.metric == "parity_max_abs") & (rows.precision == "fp16")]
    assert cells.loc["fp16", "tolerance"] == json.loads(fp16.details.iloc[0])["tolerance"]
    store.close()


def test_the_rule_is_documented_per_precision():
    assert [relative_tolerance(p) for p in (Precision.FP32, Precision.FP16, Precision.INT8)] == [1e-4, 1e-2, 1e-1]
    assert tolerance(1e-3, Precision.INT8, 20.0) == 2.0 and tolerance(1e-3, Precision.FP32, 1.0) == 1e-3

"""The coverage matrix over real conversions: states, named operators, tolerances, the layer table, the command."""

import pandas as pd
import pytest
from click.testing import CliRunner

from mbench import models
from mbench.cli import main
from mbench.sweep.coverage import parity_tolerance, record_coverage
from mbench.report.coverage import CellState, coverage_frame, matrix_html, operator_in_message
from mbench.report.layers import layer_frame, layer_html
from mbench.spec import Format, Precision
from mbench.store import Store


@pytest.fixture(scope="module")
def coverage_store(tmp_path_factory):
    """A failing model and a working layer through all three converters, recorded in a real store (no host runs)."""
    tmp = tmp_path_factory.mktemp("coverage")
    specs = [models.get("test-unsupported-op"), models.get("conv-standard3x3-3to4")]
    store = Store(tmp / "m.db")
    record_coverage(specs, [Format.ONNX, Format.COREML, Format.TFLITE], [Precision.FP32], tmp / "art", store)
    yield store
    store.close()


@pytest.mark.slow
def test_failures_name_the_operator_each_converter_rejected(coverage_store):
    frame = coverage_frame(coverage_store.measurements()).set_index(["model", "format"])
    onnx, coreml = frame.loc[("test-unsupported-op", "onnx")], frame.loc[("test-unsupported-op", "coreml")]
    assert onnx.state == coreml.state == CellState.FAILED.value
    assert onnx.operator == "linalg_inv_ex" and "No ONNX function found" in onnx.error
    assert coreml.operator == "linalg_inv" and "not supported" in coreml.error


@pytest.mark.slow
def test_a_failure_naming_no_operator_borrows_the_others_as_suspects(coverage_store):
    tflite = (
        coverage_frame(coverage_store.measurements())
        .set_index(["model", "format"])
        .loc[("test-unsupported-op", "tflite")]
    )
    assert tflite.state == CellState.FAILED.value and operator_in_message(tflite.error) == ""
    assert tflite.operator.startswith("not named; suspect") and "linalg_inv (named by coreml)" in tflite.operator


@pytest.mark.slow
def test_working_layer_reaches_parity_but_not_the_host_run(coverage_store):
    frame = coverage_frame(coverage_store.measurements()).set_index(["model", "format"])
    onnx = frame.loc[("conv-standard3x3-3to4", "onnx")]
    assert onnx.state == CellState.PARITY_OK.value and onnx.parity_max_abs < onnx.tolerance
    assert frame.loc[("conv-standard3x3-3to4", "coreml")].state == CellState.CONVERTED.value  # no Core ML off macOS


@pytest.mark.slow
def test_a_tighter_tolerance_marks_parity_exceeded(coverage_store):
    rows = coverage_store.measurements()
    tolerance = rows[(rows["metric"] == "parity_tolerance") & (rows["model"] == "conv-standard3x3-3to4")]
    stricter = tolerance.assign(id=rows["id"].max() + 1, value=0.0)  # a later, zero tolerance wins
    frame = coverage_frame(pd.concat([rows, stricter])).set_index(["model", "format"])
    cell = frame.loc[("conv-standard3x3-3to4", "onnx")]
    assert cell.parity_max_abs > 0  # onnxruntime's 3x3 conv is not bit-identical to PyTorch's
    assert cell.state == CellState.PARITY_EXCEEDED.value and "> 0" in cell.error


def test_tolerance_scales_with_the_output():
    spec = models.get("conv-standard3x3-3to4")
    tolerance, scale = parity_tolerance(spec, Precision.FP32)
    assert scale > 0 and tolerance == max(spec.parity_atol, 1e-4 * scale)


@pytest.mark.parametrize(
    ("message", "operator"),
    [
        ("RuntimeError: Lowering not found: aten.linalg_inv_ex.default", "linalg_inv_ex"),
        ("error: 'tfl.custom' op is neither a custom op nor a flex op", "tfl.custom"),
        (
            "ValueError: Failed to run converter passes: .../conv.py:1198:0: error: failed to legalize operation "
            "'mhlo.convolution' that was explicitly marked illegal",
            "mhlo.convolution",
        ),
        ("AssertionError: Number of input tokens (1) does not match output tokens (0)", ""),
    ],
)
def test_operator_in_litert_style_messages(message, operator):
    assert operator_in_message(message) == operator


@pytest.mark.slow
def test_matrix_html_escapes_messages_and_lists_failures(coverage_store):
    page = matrix_html(coverage_frame(coverage_store.measurements()))
    assert "<h3>Failures</h3>" in page and "linalg_inv" in page
    assert "<class" not in page and "&lt;class" in page  # the ONNX message's <class ...> is escaped


@pytest.mark.slow
def test_coverage_command_runs_layers_on_the_host(tmp_path, inventory_file):
    db, html = tmp_path / "m.db", tmp_path / "reports" / "coverage.html"
    result = CliRunner().invoke(
        main,
        [
            "coverage",
            "conv-standard3x3-3to4",
            "conv-depthwise-separable-3to4",
            "--to",
            "onnx",
            "--out",
            str(tmp_path / "art"),
            "--db",
            str(db),
            "--devices",
            str(inventory_file),
            "--html",
            str(html),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 cells: 2 runs on host" in result.output
    page = html.read_text()
    assert "Converter coverage" in page and "Convolution variants" in page
    with Store(db) as store:
        layers = layer_frame(store.measurements(), ["conv-standard3x3-3to4", "conv-depthwise-separable-3to4"])
    assert layers["parameters"].tolist() == [108, 39]
    assert (layers[["pytorch fp32 ms", "onnx fp32 ms"]] > 0).all().all()
    assert "108" in layer_html(layers)


def test_the_layer_table_shows_the_headline_latency_and_the_median_only_for_older_rows(tmp_path):
    from mbench.results import Measurement

    with Store(tmp_path / "l.db") as store:
        store.start_run("R", "test")
        store.append(
            "R",
            [
                Measurement("new", "onnx", "fp32", "host", "latency", 1.5, "ms"),
                Measurement("new", "onnx", "fp32", "host", "latency_median", 1.7, "ms"),
                Measurement("old", "onnx", "fp32", "host", "latency_median", 2.2, "ms"),
                Measurement("old", "onnx", "fp32", "android", "latency_median", 9.0, "ms"),
            ],
        )
        frame = layer_frame(store.measurements(), ["new", "old"])
    assert frame.set_index("layer")["onnx fp32 ms"].to_dict() == {"new": 1.5, "old": 2.2}

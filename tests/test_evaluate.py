"""Evaluation of real artifacts (the tiny model through the real converters and runtimes) on generated documents."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from mbench.data.docs import write_dataset
from mbench.accuracy.evaluate import evaluate_and_record, load_split
from mbench.cli import main
from mbench.store import Store

DOC_METRICS = {"ods_f", "ois_f", "ap", "corner_iou", "detection_rate"}


@pytest.fixture(scope="module")
def docs32(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs32")
    write_dataset(out, 30, seed=1, size=32)  # the tiny model's input size; 3 test documents
    return out


def test_rows_for_every_artifact_and_a_reason_for_core_ml(tiny_artifacts_dir, docs32, tmp_path):
    with Store(tmp_path / "m.db") as store:
        written = evaluate_and_record(tiny_artifacts_dir, docs32, store)
        rows = store.measurements()
    assert written == 20 == len(rows)
    ok = rows[rows.status == "ok"]
    assert set(ok.format) == {"pytorch", "onnx", "tflite"} and set(ok.metric) == DOC_METRICS
    assert ok.value.between(0, 1).all()
    assert set(ok.runtime) == {"torch-eager", "onnxruntime", "litert"}
    coreml = rows[rows.format == "coreml"]
    assert set(coreml.status) == {"not_run"} and coreml.value.isna().all()
    assert coreml.error.str.contains("only on macOS").all()
    by_format = ok.pivot(index="metric", columns="format", values="value")
    assert (by_format.onnx - by_format.pytorch).abs().max() < 0.02  # same weights, same scores


def test_cli_generates_data_then_evaluates(tiny_artifacts_dir, tmp_path):
    runner = CliRunner()
    data = tmp_path / "docs"
    result = runner.invoke(main, ["data", "docs", "--n", "20", "--seed", "2", "--size", "32", "--out", str(data)])
    assert result.exit_code == 0 and "train 16, val 2, test 2" in result.output
    result = runner.invoke(
        main,
        [
            "evaluate",
            str(tiny_artifacts_dir),
            "--data",
            str(data),
            "--model",
            "test-tiny",
            "--thresholds",
            "5",
            "--db",
            str(tmp_path / "m.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("ods_f") == 3 and "not_run" in result.output


def test_missing_data_names_the_command_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="mbench data docs"):
        load_split(tmp_path / "nothing")


def test_litert_keeps_its_delegate_notice_out_of_the_output(tiny_conversions):
    """LiteRT prints 'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.' once per process; mbench's output
    (evaluate's table) should not carry it, while what else goes to stderr still does."""
    from mbench.spec import Format

    tflite = next(o.artifact for o in tiny_conversions[1] if o.format is Format.TFLITE and o.artifact is not None)
    code = (
        "import sys; from mbench.artifacts import read_manifest; from mbench.runners.litert import LiteRTRunner; "
        f"LiteRTRunner().load(read_manifest({str(tflite.manifest_path)!r}), 1); print('loaded', file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "loaded" in done.stderr
    assert "XNNPACK delegate" not in done.stderr + done.stdout

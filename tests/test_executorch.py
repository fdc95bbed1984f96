"""ExecuTorch (.pte) through the real exporter, the XNNPACK delegate and executorch.runtime: conversion at each
precision, parity, the agent, accuracy evaluation and the coverage column."""

import json

import pytest

from mbench import models
from mbench.accuracy.evaluate import evaluate_and_record
from mbench.convert.pipeline import ConvertSettings, convert_model
from mbench.sweep.coverage import record_coverage
from mbench.data.docs import write_dataset
from mbench.devices.inventory import load_inventory
from mbench.measure.timing import RunPlan
from mbench.report.coverage import CellState, coverage_frame
from mbench.spec import Format, Precision, Status
from mbench.store import Store
from mbench.sweep import profile_and_record

QUICK = RunPlan(warmup_runs=2, warmup_seconds=0, runs=12, min_seconds=0, target_ci=0)
TOLERANCE = {Precision.FP32: 1e-5, Precision.FP16: 1e-3, Precision.INT8: 5e-2}


@pytest.fixture(scope="module")
def pte(tmp_path_factory):
    out = tmp_path_factory.mktemp("pte")
    settings = ConvertSettings((Precision.FP32, Precision.FP16, Precision.INT8), calibration_samples=8)
    outcomes = list(convert_model(models.get("test-tiny"), [Format.EXECUTORCH], out, settings))
    return out, {o.precision: o for o in outcomes if o.format is Format.EXECUTORCH}


@pytest.mark.parametrize("precision", list(TOLERANCE))
def test_converts_with_parity_and_a_delegation_record(pte, precision):
    artifact = pte[1][precision].artifact
    assert artifact is not None, pte[1][precision].error
    assert artifact.path.suffix == ".pte" and artifact.path.read_bytes()[4:8] == b"ET12"
    assert artifact.parity.status is Status.OK and artifact.parity.max_abs < TOLERANCE[precision]
    assert artifact.versions["executorch"] == "1.5.1"
    manifest = json.loads(artifact.manifest_path.read_text())
    assert manifest["delegation"]["delegate"] == "xnnpack" and manifest["delegation"]["share"] == 1.0
    assert manifest["delegation"]["portable_ops"] == {} and "xnnpack delegate took" in manifest["quantization"]
    assert (artifact.calibration != "") is (precision is Precision.INT8)


def test_int8_is_quantized_and_fp16_io_is_half(pte):
    artifacts = {p: o.artifact for p, o in pte[1].items()}
    assert artifacts[Precision.INT8].parity.max_abs > artifacts[Precision.FP32].parity.max_abs
    assert artifacts[Precision.FP16].inputs[0].dtype == "float16"
    assert artifacts[Precision.INT8].delegation["delegated_ops"] > artifacts[Precision.FP32].delegation["delegated_ops"]


def test_the_agent_profiles_it_with_the_threads_asked(pte):
    from mbench.devices.local import agent_argv
    from mbench.measure.rounds import Job, measure_in_rounds

    artifact = pte[1][Precision.FP32].artifact
    plan = RunPlan(warmup_runs=1, warmup_seconds=0, runs=5, min_seconds=0, processes=1)
    [track] = measure_in_rounds([Job(artifact, str(artifact.manifest_path))], agent_argv(), plan, 2, None, 120)
    result = track.result
    assert result.status == "ok" and result.runtime == "executorch" and result.threads == 2
    assert len(result.samples_ms) >= 5


def test_profiled_and_evaluated_through_the_sweep(pte, tmp_path):
    (tmp_path / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n    threads: 1\n")
    write_dataset(tmp_path / "docs", 30, seed=1, size=32)
    with Store(tmp_path / "m.db") as store:
        profile_and_record(pte[0], "host", load_inventory(tmp_path / "devices.yaml"), store, QUICK)
        evaluate_and_record(pte[0], tmp_path / "docs", store)
        rows = store.measurements()
    pte_rows = rows[rows.format == "executorch"]
    medians = pte_rows[pte_rows.metric == "latency_median"]
    assert set(medians.precision) == {"fp32", "fp16", "int8"} and (medians.status == "ok").all()
    assert set(medians.runtime) == {"executorch"}
    scores = pte_rows[pte_rows.metric == "ods_f"]
    assert set(scores.precision) == {"fp32", "fp16", "int8"} and scores.value.between(0, 1).all()
    ods = rows[rows.metric == "ods_f"].set_index(["format", "precision"]).value
    assert abs(ods[("executorch", "fp32")] - ods[("pytorch", "fp32")]) < 0.02


def test_the_coverage_matrix_has_the_column(tmp_path):
    with Store(tmp_path / "m.db") as store:
        record_coverage(
            [models.get("test-unsupported-op"), models.get("conv-standard3x3-3to4")],
            [Format.EXECUTORCH],
            [Precision.FP32],
            tmp_path / "art",
            store,
        )
        frame = coverage_frame(store.measurements()).set_index(["model", "format"])
    assert frame.loc[("conv-standard3x3-3to4", "executorch")].state == CellState.PARITY_OK.value
    failed = frame.loc[("test-unsupported-op", "executorch")]
    assert failed.state == CellState.FAILED.value and failed.operator.startswith("linalg_inv")


def test_core_ml_delegate_converts_here_and_says_where_it_runs(tmp_path):
    from converters.executorch import Options

    settings = ConvertSettings(options={Format.EXECUTORCH: Options(delegate="coreml")})
    outcome = list(convert_model(models.get("test-tiny"), [Format.EXECUTORCH], tmp_path, settings))[-1]
    artifact = outcome.artifact
    assert artifact is not None, outcome.error
    assert artifact.delegation["delegate"] == "coreml" and artifact.delegation["share"] == 1.0
    assert artifact.parity.status is Status.NOT_RUN and "only on macOS" in artifact.parity.reason


def test_android_and_iphone_say_what_pte_needs(pte):
    from mbench.devices.android import _why_not
    from mbench.devices.inventory import AndroidDevice

    phone = AndroidDevice(kind="android", serial="X", benchmark_binary="bm", formats=(Format.EXECUTORCH,))
    assert "executor_runner" in _why_not(phone, pte[1][Precision.FP32].artifact)

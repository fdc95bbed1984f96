"""Per-operator profiles on the real runtimes, on a model whose slowest module is known (tests/ops_model.py)."""

from __future__ import annotations

import json
import platform
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from fake_tools import TRANSCRIPTS
from ops_model import RUNTIMES, estimated_rows

from mbench.ops.profile import OpsPlan
from mbench.ops.rows import OP_ATTRIBUTED, OP_MS, ops_pass
from mbench.ops.xnnpack import Node, line_up
from mbench.ops.view import module_times, newest_passes, side_by_side, top_modules
from mbench.spec import Format, Status
from mbench.store import Store


@pytest.fixture(scope="module")
def stored_pass(ops_db):
    """The pass's rows as the views read them back."""
    with Store(ops_db) as store:
        return newest_passes(store.measurements())


def test_every_runtime_is_profiled(stored_pass):
    summary = stored_pass[stored_pass.metric == OP_ATTRIBUTED]
    assert dict(zip(summary.format, summary.status)) == {f: "ok" for f in RUNTIMES}, summary.error.tolist()
    assert dict(zip(summary.format, summary.runtime)) == RUNTIMES


@pytest.mark.parametrize("fmt", list(RUNTIMES))
def test_the_wide_module_takes_the_most_time(stored_pass, fmt):
    top = top_modules(module_times(stored_pass[stored_pass.format == fmt], depth=1), count=3)
    assert top.module.iloc[0] == "wide", top
    assert top.share.iloc[0] > 0.5, top


@pytest.mark.parametrize("fmt", list(RUNTIMES))
def test_nearly_all_time_reaches_a_module(stored_pass, fmt):
    summary = stored_pass[(stored_pass.metric == OP_ATTRIBUTED) & (stored_pass.format == fmt)]
    assert summary.value.iloc[0] >= 0.95
    details = json.loads(summary.details.iloc[0])
    assert details["ops_ms"] > 0 and details["run_ms"] >= details["ops_ms"] * 0.5 and details["pass_seconds"] > 0


def test_op_rows_carry_module_type_and_share(stored_pass):
    ops = stored_pass[(stored_pass.metric == OP_MS) & (stored_pass.format == "onnx")]
    details = [json.loads(d) for d in ops.details]
    assert {"module", "op_type", "nodes", "where", "share"} <= set(details[0])
    assert any(d["op_type"] == "Conv" and "wide.conv" in d["module"].split(";") for d in details)
    assert all(d["where"] == "CPUExecutionProvider" for d in details)
    assert sum(d["share"] for d in details) == pytest.approx(1.0, abs=1e-3)
    assert (ops.unit == "ms").all() and (ops.value > 0).all()


def test_the_root_module_keeps_its_own_ops(stored_pass):
    eager = stored_pass[(stored_pass.metric == OP_MS) & (stored_pass.format == "pytorch")]
    assert "(root)" in set(eager.module) and {"wide.conv", "wide.bn", "wide.act"} <= set(eager.module)


def test_runtimes_side_by_side_line_up_in_the_same_modules(stored_pass):
    """Fused or not, each runtime files the wide convolution under its own module, wide.conv."""
    table = side_by_side(module_times(stored_pass), "ops-model")
    assert table.index[0] == "wide.conv"
    assert len(table.columns) == 3 and table.loc["wide.conv"].notna().all()


def _only(artifacts, fmt: Format):
    return next(a for a in artifacts if a.format is fmt)


@pytest.mark.skipif(shutil.which("benchmark_model") is not None, reason="a benchmark_model binary is on PATH here")
def test_litert_without_benchmark_model_is_not_run_and_says_why(wide_artifacts):
    ((_, rows),) = ops_pass([_only(wide_artifacts, Format.TFLITE)], threads=1)
    assert [(r.metric, r.status) for r in rows] == [(OP_ATTRIBUTED, Status.NOT_RUN)]
    assert "no per-operator timing" in rows[0].error and "benchmark_model" in rows[0].error


@pytest.mark.skipif(platform.system() == "Darwin", reason="Core ML runs on macOS")
def test_coreml_off_macos_is_not_run(wide_artifacts):
    ((_, rows),) = ops_pass([_only(wide_artifacts, Format.COREML)], threads=1)
    assert rows[0].status is Status.NOT_RUN and "macOS" in rows[0].error


def test_executorch_without_its_etrecord_is_not_run_and_names_the_file(wide_artifacts, tmp_path):
    artifact = _only(wide_artifacts, Format.EXECUTORCH)
    copy = tmp_path / artifact.path.name
    shutil.copy(artifact.path, copy)
    ((_, rows),) = ops_pass([replace(artifact, path=copy)], threads=1)
    assert rows[0].status is Status.NOT_RUN and f"{copy.name}.etrecord" in rows[0].error


def test_a_runtime_that_fails_gives_a_failed_row_and_the_pass_goes_on(wide_artifacts, tmp_path):
    good = _only(wide_artifacts, Format.ONNX)
    broken = tmp_path / good.path.name
    broken.write_bytes(good.path.read_bytes()[:1000])
    found = list(ops_pass([replace(good, path=broken), good], threads=1, plan=OpsPlan(warmup_runs=0, runs=1)))
    assert [rows[-1].status for _, rows in found] == [Status.FAILED, Status.OK]
    assert found[0][1][0].metric == OP_ATTRIBUTED and found[0][1][0].error


def test_xnnpack_operators_line_up_with_their_nodes_in_order():
    nodes = [
        Node("convolution", ("a.conv",)),
        Node("_native_batch_norm_legit_no_training", ("a.bn",)),
        Node("relu", ("a.act",)),
        Node("max_pool2d", ("pool",)),
        Node("convolution_1x1", ("b",)),
        Node("mean", ("head.pool",)),
        Node("view_copy", ("head",)),
        Node("linear", ("head.fc",)),
    ]
    placed = line_up(
        [
            "Transpose (ND, X32) #1",
            "Convolution (NHWC, F32) IGEMM #1",
            "Max Pooling (NHWC, F32) #1",
            "Fully Connected (NC, F32) GEMM #1",
            "Mean (ND) #1",
            "Transpose (ND, X32) #2",
            "Static Reshape (NC) #1",
            "Fully Connected (NC, F32) GEMM #2",
        ],
        nodes,
    )
    assert placed == [
        (("a.conv", "a.bn", "a.act"), "layout"),
        (("a.conv", "a.bn", "a.act"), "xnnpack op"),
        (("pool",), "xnnpack op"),
        (("b",), "xnnpack op"),
        (("head.pool",), "xnnpack op"),
        (("head.pool",), "layout"),
        (("head",), "xnnpack op"),
        (("head.fc",), "xnnpack op"),
    ]


def test_xnnpack_operators_out_of_order_are_refused():
    nodes = [Node("convolution", ("a",)), Node("max_pool2d", ("pool",))]
    assert line_up(["Max Pooling (NHWC, F32) #1", "Convolution (NHWC, F32) IGEMM #1"], nodes) is None
    assert line_up(["Convolution (NHWC, F32) IGEMM #1"], nodes) is None  # the pool left over cannot be fused
    assert line_up(["Fully Connected (NC, F32) GEMM #1", "Max Pooling (NHWC, F32) #1"], nodes) is None  # a 3x3 conv


FIXTURES = Path(__file__).parent / "fixtures" / "devices"


def test_litert_op_profile_is_read_from_benchmark_models_run_order_table():
    from mbench.ops.litert import from_output

    found = from_output((FIXTURES / "benchmark_model_op_profiling.txt").read_text(), 1, OpsPlan())
    assert [op.op_type for op in found.ops] == [
        "TRANSPOSE",
        "CONV_2D",
        "CONV_2D",
        "CONV_2D",
        "CONV_2D",
        "LOGISTIC",
        "RESHAPE",
    ]
    assert found.ops[2].modules == ("wide.conv", "wide.act", "wide.bn") and found.ops[2].ms == 2.0
    assert found.ops[5].modules == ("(root)", "head") and found.ops[0].modules == ()
    assert found.run_ms == pytest.approx(2.35) and found.attributed == pytest.approx(2.3 / 2.35)


def test_run_order_of_a_recorded_benchmark_model():
    from mbench.devices.parsers.benchmark_model import run_order

    if not TRANSCRIPTS.is_dir():
        pytest.skip(f"recorded transcripts not present at {TRANSCRIPTS} (they live outside the repository)")
    nodes = run_order((TRANSCRIPTS / "benchmark_model_01.txt").read_text())
    assert len(nodes) == 31 and nodes[0] == ("CONV_2D", 60.957, "[MobilenetV1/MobilenetV1/Conv2d_0/Relu6]:0")


def test_litert_runs_a_benchmark_model_on_path(wide_artifacts, tmp_path, monkeypatch):
    from fake_tools import FakeTools

    tools = FakeTools(tmp_path, monkeypatch)
    tools.add(
        "benchmark_model",
        contains="--enable_op_profiling=true",
        stdout=(FIXTURES / "benchmark_model_op_profiling.txt").read_text(),
    )
    artifact = _only(wide_artifacts, Format.TFLITE)
    ((_, rows),) = ops_pass([artifact], threads=2, plan=OpsPlan(warmup_runs=1, runs=4))
    assert rows[-1].status is Status.OK and rows[0].context.runtime == "benchmark_model"
    assert json.loads(rows[0].context.details)["module"] == "wide.conv;wide.act;wide.bn"
    (call,) = tools.calls("benchmark_model")
    assert f"--graph={artifact.path}" in call and "--num_threads=2" in call and "--num_runs=4" in call


def test_core_ml_operations_are_placed_in_modules_through_the_exported_graph(wide_artifacts):
    """The real ML Program of the wide model's .mlpackage (read here by coremltools, as on any OS) against the
    exported graph its converter wrote beside it: the fused conv and batch norm goes to the convolution first, the
    final sigmoid to the root module, and every computing operation is placed."""
    from converters.coreml import modules_path
    from mbench.ops.coreml import WEIGHTS, place_operations, program_operations

    package = _only(wide_artifacts, Format.COREML).path
    operations, outputs = program_operations(package)
    placed = place_operations(operations, outputs, json.loads(modules_path(package).read_text()))
    computing = [op for op in operations if not WEIGHTS.match(op.kind)]
    assert computing and all(placed[op.makes[0]].modules for op in computing)
    convs = [placed[op.makes[0]] for op in computing if op.kind == "conv"]
    assert [c.modules for c in convs] == [
        ("stem.conv", "stem.bn"),
        ("wide.conv", "wide.bn"),
        ("narrow.conv", "narrow.bn"),
        ("head",),
    ]
    assert convs[1].how == "fused" and convs[3].how == "node"
    (sigmoid,) = [placed[op.makes[0]] for op in computing if op.kind == "sigmoid"]
    assert sigmoid.modules == ("(root)",) and outputs == [next(op for op in computing if op.kind == "sigmoid").makes[0]]


def test_core_ml_without_its_module_map_is_not_run_and_names_the_file(wide_artifacts, tmp_path):
    artifact = _only(wide_artifacts, Format.COREML)
    copy = tmp_path / artifact.path.name
    shutil.copytree(artifact.path, copy)
    ((_, rows),) = ops_pass([replace(artifact, path=copy)], threads=1)
    assert rows[0].status is Status.NOT_RUN and f"{copy.name}.modules.json" in rows[0].error


def test_estimated_shares_are_stored_apart_from_every_time(wide_artifacts, ops_db, tmp_path):
    """Estimated shares become op_estimated_share rows in 'fraction', marked estimated; `mbench ops` lists them
    apart and never in a table of milliseconds; its JSON marks them estimated, with a share and no ms."""
    from click.testing import CliRunner

    from mbench.cli import main
    from mbench.ops.rows import OP_ESTIMATED

    rows = estimated_rows(_only(wide_artifacts, Format.COREML))
    assert [r.metric for r in rows] == [OP_ESTIMATED] * 3 + [OP_ATTRIBUTED]
    assert all(r.unit == "fraction" and json.loads(r.context.details)["estimated"] for r in rows[:3])
    summary = json.loads(rows[-1].context.details)
    assert "ops_ms" not in summary and summary["estimated"] and summary["run_ms"] == 4.2
    db = tmp_path / "results.db"
    shutil.copy(ops_db, db)
    with Store(db) as store:
        store.start_run("coreml", "ops (test)")
        store.append("coreml", rows)
    listed = CliRunner().invoke(main, ["ops", "--db", str(db), "--depth", "1"])
    assert listed.exit_code == 0, listed.output
    assert "ops-model coreml fp32 on host (coreml): 100.0% of the estimated cost placed" in listed.output
    assert "  est.  75.0%  wide" in listed.output
    side = CliRunner().invoke(main, ["ops", "ops-model", "--db", str(db)])
    assert side.exit_code == 0 and "(coreml)" not in side.output.split("\n\n")[0].splitlines()[1]
    records = json.loads(CliRunner().invoke(main, ["ops", "--db", str(db), "--depth", "1", "--json"]).output)
    estimated = [r for r in records if r.get("estimated")]
    assert {(r["format"], r["module"], r["share"]) for r in estimated} >= {("coreml", "wide", 0.75)}
    assert all("ms" not in r for r in estimated) and {r["format"] for r in records if "ms" in r} == set(RUNTIMES)
    from mbench.report.ops import ops_sections

    with Store(db) as store:
        (section,) = ops_sections(store.measurements())
    assert len(section.table.columns) == 4  # the milliseconds of ONNX Runtime, ExecuTorch, eager; no Core ML column
    assert "Core ML's compute plan estimates wide.conv 75%, stem.conv 20%, (root) 5% of the cost" in " ".join(
        section.findings
    )


def test_a_model_with_only_estimated_shares_gets_its_own_section(wide_artifacts, tmp_path):
    """A model profiled only on Core ML has no times to line up: its section shows the estimated shares per module
    and says they are not milliseconds."""
    from mbench.report.ops import ops_sections

    with Store(tmp_path / "results.db") as store:
        store.start_run("coreml", "ops (test)")
        store.append("coreml", estimated_rows(_only(wide_artifacts, Format.COREML)))
        (section,) = ops_sections(store.measurements())
    assert section.title == "Where the time goes: ops-model" and "not milliseconds" in section.note
    assert section.table.columns == ["module", "coreml fp32 @host (estimated share)"]
    assert [row[0].text for row in section.table.rows] == ["wide.conv", "stem.conv", "(root)"]


def test_the_pass_warms_up_until_its_runs_settle():
    """A runtime whose first runs are slow (a fresh process) is warmed up past them by the timed rounds' rule, so
    no slow run is profiled; three warm-up runs alone would have profiled three of them."""
    import time

    from mbench.measure.passes import profiled_runs

    calls = []

    def run():
        calls.append(1)
        time.sleep(0.06 if len(calls) <= 6 else 0.002)

    seen = profiled_runs(run, OpsPlan(warmup_runs=3, runs=5, warmup_seconds=0.1))
    assert len(seen.wall_ms) == 5 and max(seen.wall_ms) < 30, seen.wall_ms
    assert len(calls) > 6 + 5  # the warm-up ran past the slow runs, then the profiled runs

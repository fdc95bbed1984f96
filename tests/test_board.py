"""The emulated arm64 board (board/, `make board`) through the checkout's own devices.yaml entry: real aarch64
runtimes (ONNX Runtime, LiteRT, ExecuTorch) under qemu-user behind the board's own sshd. The HED pair, fp32 and int8,
is profiled there once and evaluated there once, with few runs and two documents, and hed-mobilenetv2's ops pass runs
there once: emulation is hundreds of times slower than this machine. Skipped where the board is not running, except
in CI (.ci/run builds and starts it), where these tests must run."""

import json
import os
from pathlib import Path

import pytest

from mbench import models
from mbench.measure.processes import DeviceError
from mbench.devices.check import check
from mbench.devices.inventory import load_inventory
from mbench.measure.timing import RunPlan
from mbench.spec import Format, Precision
from mbench.store import Store
from mbench.sweep import profile_and_record
from ssh_server import free_port

ROOT = Path(__file__).resolve().parents[1]
BOARD = "arm64-board"
HED = ("hed-vgg", "hed-mobilenetv2")
ON_BOARD = {"onnx": ("onnxruntime", "1.32.0"), "tflite": ("litert", "1.4.0"), "executorch": ("executorch", "1.5.1")}
# one timed run after the load's first, one agent and one thread per artifact: a profile of the twelve HED artifacts
# took about 3 minutes on the board (benchmarks/RESULTS.md)
FEW = RunPlan(
    warmup_runs=0, warmup_seconds=0, runs=1, min_seconds=0, max_seconds=0, target_ci=0, processes=1, burst_runs=1
)


def checkout_inventory():
    return load_inventory(ROOT / "devices.yaml")


@pytest.fixture(scope="module")
def board() -> dict:
    """What `mbench devices check arm64-board` reports, as a dict; skips (fails in CI) when it is not running."""
    inventory = checkout_inventory()
    try:
        return dict(check(BOARD, inventory.get(BOARD), inventory))
    except DeviceError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{error} -- .ci/run must start the board (make board)")
        pytest.skip(f"{error} (as root: it builds the board the first time; docs/board.md)")


def test_check_reports_an_aarch64_python_and_the_runtimes_that_exist_for_it(board):
    assert board["architecture"] == "aarch64 (emulated here)" and board["python"].startswith("3.11.")
    assert board["runtime onnxruntime"] == "1.32.0" and board["runtime ai-edge-litert"] == "1.4.0"
    assert board["runtime executorch"] == "1.5.1" and board["runtime torch"] == "2.13.0"


@pytest.fixture(scope="module")
def hed(board, tmp_path_factory):
    """The HED pair converted here to ONNX, TFLite and ExecuTorch at fp32 and static int8 (the PyTorch reference
    too): the folder, and each conversion's outcome by (model, format, precision)."""
    from mbench.convert.pipeline import ConvertSettings, convert_model

    out = tmp_path_factory.mktemp("hed")
    settings = ConvertSettings(precisions=(Precision.FP32, Precision.INT8))
    outcomes = [
        outcome
        for name in HED
        for outcome in convert_model(models.get(name), [Format.ONNX, Format.TFLITE, Format.EXECUTORCH], out, settings)
    ]
    made = {(o.model, o.format.value, o.precision.value): o for o in outcomes if o.artifact is not None}
    assert len(made) == 14, [(o.model, o.format, o.precision, o.error) for o in outcomes if o.artifact is None]
    return out, made


@pytest.fixture(scope="module")
def board_db(hed, tmp_path_factory) -> Path:
    """The HED pair's conversion rows, and its artifacts profiled once on the board."""
    from mbench.convert.pipeline import conversion_rows
    from mbench.results import new_run_id

    db = tmp_path_factory.mktemp("board") / "board.db"
    with Store(db) as store:
        store.start_run(run := new_run_id(), "convert (test)")
        store.append(run, [row for outcome in hed[1].values() for row in conversion_rows(outcome)])
        profile_and_record(hed[0], BOARD, checkout_inventory(), store, FEW, threads=1)
    return db


def test_profile_on_the_board_runs_each_hed_artifact_on_its_aarch64_runtime_and_marks_the_rows_emulated(board_db):
    from mbench.runners.base import version_skew

    with Store(board_db) as store:
        rows = store.measurements()
    latency = rows[(rows.metric == "latency") & (rows.device == BOARD)]
    assert len(latency) == 12 and set(latency.model) == set(HED), latency[["model", "format", "precision"]]
    assert (latency.status == "ok").all(), latency[latency.status != "ok"].error.tolist()
    assert (latency.value > 0).all()
    details = [json.loads(d) for d in latency.details]
    assert all(d["emulated"] is True and d["machine"] == "aarch64" for d in details)
    for row in latency.itertuples():
        assert (row.runtime, row.runtime_version) == ON_BOARD[row.format], row
        skew = version_skew(row.runtime, row.runtime_version, json.loads(row.converter_versions))
        # converted and checked here with LiteRT 2.3, run there by LiteRT 1.4; the others are the same versions
        assert skew == ("2.3.0" if row.format == "tflite" else ""), row


def test_emulated_rows_are_drawn_apart_and_get_no_verdict(board_db):
    from mbench.report.build import build_page
    from mbench.report.compare import compare_runs

    with Store(board_db) as store:
        page = build_page(store)
        run = store.runs().run_id.iloc[-1]
        compared = compare_runs(store, run, run)
    assert BOARD not in str(page.overview)
    assert page.headlines and all(line.device != BOARD for h in page.headlines for line in h.lines)  # sizes, parity
    emulated = next(s for s in page.sections if s.title == "Emulated devices")
    assert str(emulated.table).count(BOARD) >= 12
    assert compared.differences and all(
        d.emulated and not d.regressed and not d.inconclusive for d in compared.differences
    )


def test_a_board_that_is_not_running_says_so_in_check_and_in_its_rows(tiny_artifacts_dir, tmp_path):
    entry = checkout_inventory().get(BOARD)
    nobody = tmp_path / "devices.yaml"  # the board's entry on a port nothing listens on
    fields = {**entry.model_dump(mode="json", exclude_defaults=True), "port": free_port(), "timeout_s": 30}
    nobody.write_text(f"devices:\n  {BOARD}:\n" + "".join(f"    {k}: {json.dumps(v)}\n" for k, v in fields.items()))
    inventory = load_inventory(nobody)
    with pytest.raises(DeviceError, match=rf"the emulated board on 127.0.0.1:{fields['port']} is not running"):
        check(BOARD, inventory.get(BOARD), inventory)
    with Store(tmp_path / "down.db") as store:
        profile_and_record(tiny_artifacts_dir, BOARD, inventory, store, FEW)
        rows = store.measurements()
    assert (rows.status == "failed").all() and rows.error.str.contains("is not running").all()


def test_the_ops_pass_on_the_board_places_the_aarch64_kernels_operators_in_modules(hed):
    """hed-mobilenetv2 fp32's ops pass run by the board's agent: ONNX Runtime's nodes and XNNPACK's aarch64
    operators, placed here in the model's modules; LiteRT's pass is not_run over SSH and says why."""
    from mbench.measure.passes import OpsPlan
    from mbench.sweep.ops import passed

    artifacts = [hed[1][("hed-mobilenetv2", fmt, "fp32")].artifact for fmt in ("onnx", "executorch", "tflite")]
    plan = OpsPlan(warmup_runs=0, runs=2, warmup_seconds=0)
    found = {a.format.value: rows for a, rows in passed(artifacts, BOARD, checkout_inventory(), 1, plan)}
    assert found["tflite"][-1].status.value == "not_run" and "benchmark_model" in found["tflite"][-1].error
    for fmt in ("onnx", "executorch"):
        summary = found[fmt][-1]
        assert summary.status.value == "ok" and summary.value >= 0.95, (fmt, summary.error, summary.value)
        details = json.loads(summary.context.details)
        assert details["machine"] == "aarch64" and details["emulated"] is True
        assert summary.context.runtime == ON_BOARD[fmt][0]
    ops = [(r.value, json.loads(r.context.details)) for r in found["executorch"][:-1]]
    lined_up = sum(ms for ms, d in ops if "xnnpack op" in d["placed"])
    assert lined_up / sum(ms for ms, _ in ops) > 0.9 and all(d["where"] == "XnnpackBackend" for _, d in ops)


@pytest.fixture(scope="module")
def two_documents(tmp_path_factory):
    from mbench.data.docs import write_dataset

    out = tmp_path_factory.mktemp("docs")
    write_dataset(out, 20, seed=1, size=256)  # the HED input size; a tenth of them, 2, are the test split
    return out


def test_evaluate_on_the_board_scores_here_what_the_aarch64_kernels_computed(hed, two_documents, tmp_path):
    from click.testing import CliRunner

    from mbench.accuracy.evaluate import evaluate_and_record
    from mbench.cli import main

    db = tmp_path / "eval.db"
    argv = ["evaluate", str(hed[0]), "--data", str(two_documents), "--device", BOARD, "--thresholds", "5"]
    result = CliRunner().invoke(main, [*argv, "--devices", str(ROOT / "devices.yaml"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        evaluate_and_record(hed[0], two_documents, store, levels=5)  # the same artifacts on this host
        rows = store.measurements()
    board_rows, here = rows[rows.device == BOARD], rows[rows.device == "host"]
    ok = board_rows[board_rows.status == "ok"]
    scored = ok[ok.metric == "ods_f"]
    assert len(scored) == 12 and (ok.provenance == "ssh").all(), board_rows[board_rows.status != "ok"].error.tolist()
    assert all(json.loads(d)["machine"] == "aarch64" and json.loads(d)["emulated"] for d in ok.details)
    for row in scored.itertuples():
        assert (row.runtime, row.runtime_version) == ON_BOARD[row.format], row
        on_host = here[(here.metric == "ods_f") & (here.model == row.model) & (here.format == row.format)]
        on_host = on_host[on_host.precision == row.precision].value.iloc[0]
        # fp32: the NEON kernels sum in another order, nothing more; int8: they may round differently, and LiteRT is
        # another version there (benchmarks/RESULTS.md: at most 0.004 of ODS F on five documents)
        assert row.value == pytest.approx(on_host, abs=1e-3 if row.precision == "fp32" else 0.03), row
    for row in ok[ok.metric == "device_parity_psnr_db"].itertuples():  # PyTorch's outputs against the board's
        converted = hed[1][(row.model, row.format, row.precision)].artifact.parity.psnr_db  # against this host's
        if row.precision == "fp32":
            assert row.value > 100 and converted > 100, row  # float rounding only (PSNR of identical outputs: inf)
        else:
            assert abs(row.value - converted) < 3, (row, converted)
    assert len(ok[ok.metric == "device_parity_max_abs"]) == 12
    skipped = board_rows[board_rows.format == "pytorch"]
    assert (skipped.status == "not_run").all() and "not among this device's formats" in skipped.error.iloc[0]


def raise_op_version(artifact, op: str, version: int):
    """The artifact rewritten with the operator code of ``op`` at ``version`` in its flatbuffer, and its manifest's
    digest and size made to match: what a newer converter writes where it uses a newer version of that op."""
    import dataclasses

    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    from mbench.artifacts import digest

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(artifact.path.read_bytes(), 0))
    code = next(c for c in model.operatorCodes if c.builtinCode == getattr(schema.BuiltinOperator, op))
    code.version = version
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    artifact.path.write_bytes(builder.Output())
    sha256, size = digest(artifact.path)
    raised = dataclasses.replace(artifact, sha256=sha256, bytes=size)
    raised.write_manifest()
    return raised


def test_an_artifact_litert_1_4_cannot_load_fails_with_both_versions_and_the_op_and_the_sweep_goes_on(
    board, tiny_conversions, tmp_path
):
    """No conversion here writes an op LiteRT 1.4.0 lacks: litert-torch and ai-edge-quantizer wrote version 1 of
    every op in the HED pair and in 50 tiny PyTorch models (their int8, fp16 and dynamic forms too), and the one
    builtin 1.4.0 lacks that they wrote, STABLEHLO_SORT (torch.topk, torch.sort), LiteRT 2.3.0 lacks as well. So this
    is the tiny model's real TFLite artifact with its CONCATENATION operator code raised to version 7, the newest
    LiteRT 2.3.0 runs and three past 1.4.0's newest (4): a model converted by a newer converter that uses the newer
    op. Its ONNX artifact goes through the same sweep."""
    import shutil

    from mbench.artifacts import find_artifacts
    from mbench.runners.litert import LiteRTRunner

    folder = tmp_path / "artifacts"
    for artifact in find_artifacts(tiny_conversions[0]):
        if artifact.format.value in ("onnx", "tflite") and artifact.precision.value == "fp32":
            target = folder / artifact.path.parent.relative_to(tiny_conversions[0])
            target.mkdir(parents=True, exist_ok=True)
            for path in artifact.path.parent.glob(artifact.path.name + "*"):  # the artifact and its manifest
                shutil.copy(path, target / path.name)
    tflite = next(a for a in find_artifacts(folder) if a.format.value == "tflite")
    raised = raise_op_version(tflite, "CONCATENATION", 7)
    here = LiteRTRunner()
    here.load(raised, threads=1)  # LiteRT 2.3.0 runs it
    here.close()
    with Store(tmp_path / "skew.db") as store:
        profile_and_record(folder, BOARD, checkout_inventory(), store, FEW, threads=1)
        rows = store.measurements()
    latency = rows[rows.metric == "latency"].set_index("format")
    assert latency.loc["onnx", "status"] == "ok"  # the sweep goes on past the artifact that failed
    failed = latency.loc["tflite"]
    assert failed.status == "failed", failed
    assert "LiteRT 1.4.0 here cannot run this artifact, converted and checked with LiteRT 2.3.0" in failed.error
    assert "Didn't find op for builtin opcode 'CONCATENATION' version '7'" in failed.error  # LiteRT's own words

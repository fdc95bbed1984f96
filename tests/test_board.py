"""The emulated arm64 board (board/, `make board`) through the checkout's own devices.yaml entry: real aarch64
runtimes under qemu-user behind the board's own sshd. Skipped where the board is not running, except in CI
(.ci/run builds and starts it), where these tests must run."""

import json
import os
from pathlib import Path

import pytest

from mbench.measure.processes import DeviceError
from mbench.devices.check import check
from mbench.devices.inventory import load_inventory
from mbench.measure.timing import RunPlan
from mbench.store import Store
from mbench.sweep import profile_and_record
from ssh_server import free_port

ROOT = Path(__file__).resolve().parents[1]
BOARD = "arm64-board"
# emulation runs a model about 270x slower than this machine: a few runs in one agent per artifact
FEW = RunPlan(warmup_runs=1, warmup_seconds=0, runs=3, min_seconds=0, max_seconds=2, target_ci=0, processes=1)


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
    assert board["runtime executorch"] == "not installed"


@pytest.fixture(scope="module")
def board_db(board, tiny_conversions, tmp_path_factory) -> Path:
    """The tiny model's conversion rows, and its artifacts profiled on the board with a few runs."""
    from mbench.convert.pipeline import conversion_rows
    from mbench.results import new_run_id

    db = tmp_path_factory.mktemp("board") / "board.db"
    with Store(db) as store:
        store.start_run(run := new_run_id(), "convert (test)")
        store.append(run, [row for outcome in tiny_conversions[1] for row in conversion_rows(outcome)])
        profile_and_record(tiny_conversions[0], BOARD, checkout_inventory(), store, FEW)
    return db


def test_profile_on_the_board_measures_aarch64_runtimes_and_marks_the_rows_emulated(board_db):
    with Store(board_db) as store:
        rows = store.measurements()
    latency = rows[rows.metric == "latency"].set_index("format")
    assert set(latency.index) == {"onnx", "tflite"} and (latency.status == "ok").all() and (latency.value > 0).all()
    details = [json.loads(d) for d in latency.details]
    assert all(d["emulated"] is True and d["machine"] == "aarch64" for d in details)
    from mbench.runners.base import version_skew

    tflite = latency.loc["tflite"]  # converted and checked here with LiteRT 2.3, run there by LiteRT 1.4
    assert version_skew("litert", tflite.runtime_version, json.loads(tflite.converter_versions)) == "2.3.0"
    assert tflite.runtime_version == "1.4.0"
    assert latency.loc["onnx", "runtime_version"] == "1.32.0"


def test_emulated_rows_are_drawn_apart_and_get_no_verdict(board_db):
    from mbench.report.build import build_page
    from mbench.report.compare import compare_runs

    with Store(board_db) as store:
        page = build_page(store)
        run = store.runs().run_id.iloc[-1]
        compared = compare_runs(store, run, run)
    assert BOARD not in str(page.overview) and not page.headlines
    emulated = next(s for s in page.sections if s.title == "Emulated devices")
    assert str(emulated.table).count(BOARD) >= 2
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


@pytest.fixture(scope="module")
def docs32(tmp_path_factory):
    from mbench.data.docs import write_dataset

    out = tmp_path_factory.mktemp("docs32")
    write_dataset(out, 10, seed=1, size=32)  # the tiny model's input size; 1 test document
    return out


def test_evaluate_on_the_board_scores_here_what_the_board_computed(board, tiny_artifacts_dir, docs32, tmp_path):
    from click.testing import CliRunner

    from mbench.accuracy.evaluate import evaluate_and_record
    from mbench.cli import main

    db = tmp_path / "eval.db"
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(tiny_artifacts_dir),
            "--data",
            str(docs32),
            "--device",
            BOARD,
            "--devices",
            str(ROOT / "devices.yaml"),
            "--thresholds",
            "5",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        evaluate_and_record(tiny_artifacts_dir, docs32, store, levels=5)  # the same artifacts on this host
        rows = store.measurements()
    board_rows, here = rows[rows.device == BOARD], rows[rows.device == "host"]
    ok = board_rows[board_rows.status == "ok"]
    assert set(ok.format) == {"onnx", "tflite"} and (ok.provenance == "ssh").all()
    assert all(json.loads(d)["machine"] == "aarch64" for d in ok.details)
    parity = ok[ok.metric == "device_parity_max_abs"]
    assert len(parity) == 2 and (parity.value < 1e-5).all() and (parity.error == "").all()
    assert (ok[ok.metric == "device_parity_psnr_db"].value > 80).all()  # the fp32 floor
    for row in ok[ok.metric == "ap"].itertuples():  # fp32 on aarch64 kernels scores as on this machine's
        on_host = here[(here.metric == "ap") & (here.format == row.format)].value.iloc[0]
        assert row.value == pytest.approx(on_host, abs=1e-3)
    skipped = board_rows[board_rows.format == "pytorch"]
    assert (skipped.status == "not_run").all() and "not among this device's formats" in skipped.error.iloc[0]

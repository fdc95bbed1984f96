"""Profiling the tiny artifacts on the host through the agent, and the rows that land in SQLite."""

import pandas as pd
import pytest

from mbench.artifacts import find_artifacts
from mbench.devices.inventory import load_inventory
from mbench.measure.timing import RunPlan
from mbench.spec import Format
from mbench.store import Store
from mbench.sweep import profile_and_record

QUICK = RunPlan(warmup_runs=2, warmup_seconds=0, runs=12, min_seconds=0, target_ci=0)


@pytest.fixture(scope="module")
def profiled(tiny_artifacts_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "results.db"
    inventory_path = tmp_path_factory.mktemp("inv") / "devices.yaml"
    inventory_path.write_text("devices:\n  host:\n    kind: local\n    threads: 1\n")
    with Store(db) as store:
        run_id, written = profile_and_record(tiny_artifacts_dir, "host", load_inventory(inventory_path), store, QUICK)
        assert list(store.runs().run_id) == [run_id]
        yield written, store.measurements(), store.samples()


def test_every_runnable_format_gets_latency_rows(profiled):
    _, rows, _ = profiled
    medians = rows[(rows.metric == "latency_median") & (rows.status == "ok")]
    assert set(medians.format) == {"pytorch", "onnx", "tflite"}
    assert (medians.value > 0).all()
    counts = rows[rows.metric == "latency_count"]
    assert (counts.value >= 12).all()


def test_rows_carry_their_context(profiled):
    _, rows, _ = profiled
    onnx = rows[(rows.format == "onnx") & (rows.metric == "latency_median")].iloc[0]
    assert onnx.runtime == "onnxruntime" and onnx.runtime_version.startswith("1.")
    assert onnx.threads == 1 and onnx.runs >= 12 and onnx.warmup_runs >= 2
    assert onnx.host and onnx.provenance == "host" and onnx.mbench_version
    assert onnx.device == "host" and len(onnx.artifact_sha256) == 64


def test_coreml_gets_an_honest_row_instead_of_a_number(profiled):
    _, rows, _ = profiled
    coreml = rows[(rows.format == "coreml") & (rows.device == "host")]
    assert len(coreml) == 1
    assert coreml.iloc[0].status == "not_run" and pd.isna(coreml.iloc[0].value)
    assert "only on macOS" in coreml.iloc[0].error


def test_memory_and_first_inference_are_recorded(profiled):
    _, rows, _ = profiled
    for fmt in ("onnx", "tflite", "pytorch"):
        mine = rows[rows.format == fmt].set_index("metric").value
        assert mine["peak_rss"] >= mine["rss_before_load"] > 10e6
        assert mine["first_inference"] > 0 and mine["load_time"] > 0


def test_raw_samples_are_kept_and_match_the_stored_median(profiled):
    _, rows, samples = profiled
    import statistics

    onnx = next(s for s in samples if s.format == "onnx")
    stored = rows[(rows.format == "onnx") & (rows.metric == "latency_median")].value.iloc[0]
    assert statistics.median(onnx.values_ms) == pytest.approx(stored)


def test_a_broken_artifact_becomes_a_failed_row_and_the_rest_go_on(tiny_artifacts_dir, tmp_path, inventory_file):
    import shutil

    broken = tmp_path / "artifacts"
    shutil.copytree(tiny_artifacts_dir, broken)
    onnx = next(a for a in find_artifacts(broken) if a.format is Format.ONNX)
    onnx.path.write_bytes(b"not an onnx model")
    with Store(tmp_path / "r.db") as store:
        profile_and_record(broken, "host", load_inventory(inventory_file), store, QUICK)
        rows = store.measurements()
    failed = rows[(rows.format == "onnx")]
    assert list(failed.status) == ["failed"] and "onnx" in failed.error.iloc[0].lower()
    assert (rows[(rows.format == "tflite") & (rows.metric == "latency_median")].status == "ok").all()


def test_one_agent_measures_one_artifact_through_its_protocol(tiny_artifacts_dir):
    """The agent process as profiles start it, spoken to in JSON lines: runtime, load, warm-up, bursts, close."""
    from mbench.devices.local import agent_argv
    from mbench.measure.rounds import Job, measure_in_rounds

    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format is Format.ONNX)
    plan = RunPlan(warmup_runs=1, warmup_seconds=0, runs=3, min_seconds=0, target_ci=0, processes=1)
    [track] = measure_in_rounds([Job(onnx, str(onnx.manifest_path))], agent_argv(), plan, 1, None, 60)
    result = track.result
    assert result.status == "ok" and len(result.samples_ms) >= 3 and result.runtime == "onnxruntime"
    assert result.load_ms > 0 and result.peak_rss_bytes > result.rss_before_load_bytes > 0


def test_rows_carry_noise_statistics_and_machine_state(profiled):
    import json

    _, rows, _ = profiled
    onnx = rows[rows.format == "onnx"].set_index("metric")
    assert onnx.value["latency_ci_low"] <= onnx.value["latency_median"] <= onnx.value["latency_ci_high"]
    assert onnx.value["latency_cv"] >= 0 and "latency_drift" in onnx.index
    details = json.loads(onnx.details["latency_median"])
    assert details["cpu_count"] >= 1 and "load_1min_before" in details and "load_1min_after" in details
    assert "noise" in details and "governor" in details
    assert details["cpu_model"] and details["cpu_features"] not in ("", "not readable")  # int8 kernels vary by CPU
    assert details["allocator"].startswith("glibc, freed memory kept") and details["faults_per_run_max"] >= 0


FAULTS_PER_FREE = """
import ctypes, resource, sys
import numpy as np
from mbench.measure.machine import keep_freed_memory
ctypes.CDLL(None).prctl(41, 1, 0, 0, 0)  # PR_SET_THP_DISABLE: 4 KiB pages, so faults count pages on any THP setting
if sys.argv[1] == "keep":
    keep_freed_memory()
faults = []
for _ in range(20):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(40 << 20, dtype=np.uint8).sum()  # 40 MiB allocated, touched and freed, as a large activation per run
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(sorted(faults)[10])
"""


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="glibc's allocator")
def test_the_agent_keeps_freed_memory_so_runs_do_not_fault_it_in_again():
    import subprocess
    import sys

    def median_faults(mode: str) -> int:
        return int(
            subprocess.run(
                [sys.executable, "-c", FAULTS_PER_FREE, mode], capture_output=True, text=True, check=True
            ).stdout
        )

    # glibc mmaps a block above 32 MiB whatever its dynamic threshold says, so by default its 10,240 pages go back to
    # the kernel at each free and are faulted in again at each use
    assert median_faults("default") > 5000
    assert median_faults("keep") < 20

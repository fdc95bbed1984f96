"""The device lab on a real local Ray instance (2 CPUs): two inventory devices over SSH on loopback, the real sshd
of tests/ssh_server.py, the tiny model through the real converters."""

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from mbench.sweep import run_sweep
from mbench.sweep.ray import run_sweep_ray
from mbench.store import Store
from mbench.sweep.config import OpsSettings, load_sweep_config
from ssh_server import free_port, ssh_entry

ray = pytest.importorskip("ray")
DEVICES = ("board-a", "board-b")
CONFIG = """models: [test-tiny]
formats: [onnx, tflite]
precisions: [fp32]
devices: [board-a, board-b]
out: art
db: results.db
inventory: devices.yaml
profile: {runs: 5, min_seconds: 0.3, warmup_seconds: 0, target_ci: 0, threads: 1}
accuracy: null
"""


@pytest.fixture(scope="module")
def local_ray():
    ray.init(
        num_cpus=2, resources={f"device:{name}": 1 for name in DEVICES}, include_dashboard=False, log_to_driver=False
    )
    yield ray
    ray.shutdown()


def _sweep(sshd, tmp_path, **board_b):
    root, port = sshd
    entries = {name: ssh_entry(root, port, cache_dir=tmp_path / f"cache-{name}") for name in DEVICES}
    entries["board-b"].update(board_b)
    (tmp_path / "devices.yaml").write_text(
        "devices:\n"
        + "".join(
            f"  {name}:\n" + "".join(f"    {k}: {v}\n" for k, v in entry.items()) for name, entry in entries.items()
        )
    )
    (tmp_path / "sweep.yaml").write_text(CONFIG)
    return load_sweep_config(tmp_path / "sweep.yaml")


@pytest.fixture
def sweep(sshd, tmp_path):
    return _sweep(sshd, tmp_path)


def _busy(rows) -> dict[str, list[tuple[float, float]]]:
    medians = rows[rows.metric == "latency_median"]
    spans = {}
    for device, details in zip(medians.device, medians.details):
        d = json.loads(details)
        spans.setdefault(device, []).append((d["started_at"], d["finished_at"]))
    return {device: sorted(s) for device, s in spans.items()}


def test_each_device_measures_one_artifact_at_a_time_and_devices_overlap(local_ray, sweep):
    steps = []
    with Store(sweep.db) as store:
        assert len(run_sweep_ray(sweep, store, steps.append)) == 3
        rows = store.measurements()
    busy = _busy(rows[rows.status == "ok"])
    failed = rows[rows.status != "ok"][["device", "format", "metric", "status", "error"]]
    assert {d: len(s) for d, s in busy.items()} == {"board-a": 3, "board-b": 3}, failed.to_string()
    for spans in busy.values():
        assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:]))
    a, b = busy["board-a"], busy["board-b"]
    assert max(a[0][0], b[0][0]) < min(a[-1][1], b[-1][1])  # the two devices were busy at the same time
    assert any("queues: board-a" in s.what for s in steps)


def _kill_first_profile_worker(marker: str, found: list) -> None:
    """SIGKILL the Ray worker that runs a device task: the parent of the first ssh client whose command names
    ``marker`` (the loopback server's known_hosts)."""
    for _ in range(1200):
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if argv[0].endswith(b"ssh") and marker.encode() in b" ".join(argv):
                os.kill(parent, signal.SIGKILL)
                found.append(parent)
                return
        time.sleep(0.05)


def test_a_worker_killed_mid_task_is_retried_and_each_row_is_stored_once(local_ray, sweep, sshd):
    killed = []
    killer = threading.Thread(target=_kill_first_profile_worker, args=(str(sshd[0] / "known_hosts"), killed))
    killer.start()
    with Store(sweep.db) as store:
        run_sweep_ray(sweep, store)
        killer.join()
        rows = store.measurements()
        assert killed, "no profiling task was seen running"
        medians = rows[rows.metric == "latency_median"]
        assert (medians.status == "ok").all() and len(medians) == 6
        assert not medians.duplicated(["artifact_sha256", "device"]).any()
        run_sweep_ray(sweep, store)  # a rerun resumes: nothing measured again
        assert len(store.measurements()[lambda r: r.metric == "latency_median"]) == 6


def _hanging_python(tmp_path) -> str:
    script = tmp_path / "hangs.sh"
    script.write_text("#!/bin/sh\nsleep 60\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize("fault, message", [("unreachable", "Connection refused"), ("hangs", "timed out")])
def test_a_device_that_fails_gives_failure_rows_and_the_other_goes_on(local_ray, sshd, tmp_path, fault, message):
    """With the sweep's ops pass on: the device that works gets its passes in the same task (LiteRT's not_run over
    SSH), the one that fails a failed row for each pass as for each timed artifact."""
    board_b = {"port": free_port()} if fault == "unreachable" else {"python": _hanging_python(tmp_path), "timeout_s": 2}
    config = _sweep(sshd, tmp_path, **board_b)
    config = config.model_copy(update={"ops": OpsSettings(runs=2, warmup_runs=0, warmup_seconds=0)})
    with Store(config.db) as store:
        run_sweep_ray(config, store)
        rows = store.measurements()
    measured = rows[rows.metric.isin(["latency_median", "latency"])]
    a, b = measured[measured.device == "board-a"], measured[measured.device == "board-b"]
    assert a.artifact_sha256.nunique() == 3 and (a.status == "ok").all()
    assert b.artifact_sha256.nunique() == 3 and (b.status == "failed").all() and b.error.str.contains(message).all()
    passes = rows[rows.metric == "op_attributed"]
    a, b = passes[passes.device == "board-a"], passes[passes.device == "board-b"]
    assert dict(zip(a.format, a.status)) == {"pytorch": "ok", "onnx": "ok", "tflite": "not_run"}
    assert len(b) == 3 and (b.status == "failed").all() and b.error.str.contains(message).all()


PAIRED = """models:
  - test-tiny
  - {model: net.py:build, input_shape: "1,3,32,32", name: net-b}
  - {model: net.py:build, input_shape: "1,3,32,32", name: net-c}
formats: [onnx]
precisions: [fp32]
devices: [board-a]
out: art
db: ray.db
inventory: devices.yaml
pairs: [[test-tiny, net-c]]
profile: {runs: 5, min_seconds: 0.1, warmup_seconds: 0, target_ci: 0, threads: 1, processes: 1}
accuracy: null
"""
NET = "import torch.nn as nn\n\n\ndef build():\n    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())\n"


def _groups_and_rounds(path: Path) -> tuple[dict, dict]:
    """Per model and format: the group its latency row names, and the rounds its samples were timed in."""
    with Store(path) as store:
        rows, samples = store.measurements(), store.samples()
    latency = rows[rows.metric == "latency"]
    groups = {(m, f): json.loads(d)["group"] for m, f, d in zip(latency.model, latency.format, latency.details)}
    return groups, {(s.model, s.format): set(s.rounds) for s in samples}


def test_ray_measures_in_the_groups_the_in_process_executor_makes(local_ray, sshd, tmp_path):
    """The sweep's pairs reach the device task: under Ray, as in process, test-tiny and net-c (paired) share
    rounds and net-b has its own after them."""
    config = _sweep(sshd, tmp_path)
    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "sweep.yaml").write_text(PAIRED)
    config = load_sweep_config(tmp_path / "sweep.yaml")
    with Store(config.db) as store:
        run_sweep_ray(config, store)
    with Store(tmp_path / "local.db") as store:
        run_sweep(config.model_copy(update={"db": tmp_path / "local.db"}), store)
    ray_groups, ray_rounds = _groups_and_rounds(config.db)
    local_groups, local_rounds = _groups_and_rounds(tmp_path / "local.db")
    paired = "test-tiny+net-c"
    assert (
        ray_groups
        == local_groups
        == {
            (m, f): paired if m != "net-b" else "net-b"
            for m in ("test-tiny", "net-b", "net-c")
            for f in ("pytorch", "onnx")
        }
    )
    for rounds in (ray_rounds, local_rounds):
        assert rounds[("test-tiny", "onnx")] == rounds[("net-c", "onnx")] == rounds[("net-c", "pytorch")]
        assert not rounds[("net-b", "onnx")] & rounds[("test-tiny", "onnx")]

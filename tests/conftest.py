"""Shared fixtures: the tiny model converted once per session through the real converters."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# The tests' own models (test-tiny, test-unsupported-op) are registered in this process and in every process it
# starts (agents, Ray workers), never in the production zoo.
os.environ["MBENCH_MODEL_MODULES"] = str(Path(__file__).resolve().parent / "tiny_models.py")

from mbench import models  # noqa: E402  (after the variable above, which it reads)
from mbench.convert.pipeline import convert_model
from mbench.spec import Format

ALL_FORMATS = [Format.ONNX, Format.COREML, Format.TFLITE]


@pytest.fixture(scope="session")
def tiny_conversions(tmp_path_factory):
    out = tmp_path_factory.mktemp("artifacts")
    return out, list(convert_model(models.get("test-tiny"), ALL_FORMATS, out))


@pytest.fixture(scope="session")
def tiny_artifacts_dir(tiny_conversions) -> Path:
    return tiny_conversions[0]


@pytest.fixture
def inventory_file(tmp_path) -> Path:
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  host:\n    kind: local\n    threads: 1\n    timeout_s: 300\n")
    return path


@pytest.fixture(scope="session")
def profiled_db(tiny_conversions, tmp_path_factory) -> Path:
    """A results database with the tiny model's real conversion rows and two real profile runs on the host."""
    from mbench.convert.pipeline import conversion_rows
    from mbench.devices.inventory import load_inventory
    from mbench.measure.timing import RunPlan
    from mbench.results import new_run_id
    from mbench.store import Store
    from mbench.sweep import profile_and_record

    folder = tmp_path_factory.mktemp("profiled")
    (folder / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n    threads: 1\n")
    plan = RunPlan(warmup_runs=2, warmup_seconds=0, runs=15, min_seconds=0)
    with Store(folder / "results.db") as store:
        run = new_run_id()
        store.start_run(run, "convert (test)")
        store.append(run, [row for outcome in tiny_conversions[1] for row in conversion_rows(outcome)])
        for _ in range(2):
            profile_and_record(tiny_conversions[0], "host", load_inventory(folder / "devices.yaml"), store, plan)
    return folder / "results.db"


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """A real OpenSSH server on 127.0.0.1 (tests/ssh_server.py): (its folder with keys and known_hosts, its port)."""
    from ssh_server import missing_openssh, start_sshd

    if missing_openssh():
        if os.environ.get("CI") == "true":
            pytest.fail(missing_openssh() + " -- .ci/run must install them")
        pytest.skip(missing_openssh())
    root = tmp_path_factory.mktemp("sshd")
    server, port = start_sshd(root)
    yield root, port
    server.terminate()
    server.wait(timeout=10)

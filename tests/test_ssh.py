"""The SSH runner against a real OpenSSH server started on 127.0.0.1 with throwaway keys; the remote python is
this test's own interpreter, so the remote agent runs the same measurement code on real artifacts."""

import os
import shutil
import socket
from pathlib import Path

import pytest

from mbench.devices import ssh
from mbench.devices.inventory import load_inventory
from mbench.measure.timing import RunPlan
from mbench.store import Store
from mbench.sweep import profile_and_record
from ssh_server import free_port, ssh_entry

QUICK = RunPlan(warmup_runs=1, warmup_seconds=0, runs=5, min_seconds=0)


def write_inventory(root: Path, port: int, **fields) -> Path:
    entry = ssh_entry(root, port, **fields)
    path = root / f"devices-{len(list(root.glob('devices-*')))}.yaml"
    path.write_text("devices:\n  board:\n" + "".join(f"    {k}: {v}\n" for k, v in entry.items() if v is not None))
    return path


def profile(root, inventory_path, artifacts_dir):
    db = root / f"r{len(list(root.glob('r*.db')))}.db"
    with Store(db) as store:
        profile_and_record(artifacts_dir, "board", load_inventory(inventory_path), store, QUICK)
        return store.measurements()


def test_profile_over_ssh_measures_real_rows_tagged_with_the_remote(sshd, tiny_artifacts_dir):
    root, port = sshd
    rows = profile(root, write_inventory(root, port), tiny_artifacts_dir)
    medians = rows[(rows.metric == "latency_median") & (rows.status == "ok")]
    assert set(medians.format) == {"onnx", "tflite", "pytorch"} and (medians.value > 0).all()
    assert (rows.provenance == "ssh").all() and (rows.host == socket.gethostname()).all()
    assert '"uname"' in rows.details.iloc[0] and (medians.runtime != "").all()
    coreml = rows[rows.format == "coreml"]
    assert list(coreml.status) == ["not_run"] and "only on macOS" in coreml.error.iloc[0]
    cached = sorted(p.name for p in (root / "cache").iterdir())
    assert len(cached) == 4 and all(len(name) == 64 for name in cached)


def test_without_threads_the_remote_uses_the_cpus_it_reports_not_ours(sshd, onnx_only):
    import sys

    root, port = sshd
    one_cpu = root / "python-on-one-cpu"  # the remote's python, allowed a single CPU whatever this machine has
    one_cpu.write_text(
        f"#!{sys.executable}\nimport os, sys\nos.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})\n"
        f"os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
    )
    one_cpu.chmod(0o755)
    rows = profile(root, write_inventory(root, port, threads=None, python=one_cpu), onnx_only)
    assert (rows.status == "ok").all() and (rows.threads == 1).all()
    assert '"usable_cpus": 1' in rows.details.iloc[0]
    assert load_inventory(write_inventory(root, port, threads=None)).get("board").thread_count() is None


@pytest.fixture(scope="module")
def onnx_only(tiny_artifacts_dir, tmp_path_factory):
    """The ONNX artifact alone, for the tests about transport rather than runtimes."""
    from mbench.artifacts import find_artifacts

    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format.value == "onnx")
    out = tmp_path_factory.mktemp("onnx-only")
    shutil.copy(onnx.path, out)
    shutil.copy(onnx.manifest_path, out)
    return out


def test_artifacts_are_copied_once(sshd, tiny_artifacts_dir):
    root, port = sshd
    inventory = load_inventory(write_inventory(root, port))
    host = ssh.SSHHost(inventory.get("board"))
    from mbench.artifacts import find_artifacts

    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format.value == "onnx")
    first = host.upload(onnx)
    marker = Path(first).parent / "marker"
    marker.write_text("still here")
    assert host.upload(onnx) == first and marker.exists()  # not copied again


def test_two_models_with_identical_artifacts_keep_one_copy_each(sshd, as_models):
    """A candidate build unchanged in a format has its baseline's hash: each model's copy keeps its own manifest on
    the remote, and both are measured (they are in different groups, one after the other)."""
    from mbench.spec import Format

    root, port = sshd
    folder = as_models(["base", "candidate"], [Format.ONNX])
    rows = profile(root, write_inventory(root, port, cache_dir=root / "cache-twins"), folder)
    medians = rows[rows.metric == "latency_median"]
    assert sorted(medians.model) == ["base", "candidate"] and (medians.status == "ok").all(), rows.error.tolist()
    [sha] = (root / "cache-twins").iterdir()
    assert sorted(p.name for p in sha.iterdir()) == ["base", "candidate"]


def test_an_unknown_host_key_is_refused_unless_the_entry_accepts_new_keys(sshd, onnx_only, tmp_path):
    root, port = sshd
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    rows = profile(root, write_inventory(root, port, known_hosts=empty), onnx_only)
    assert set(rows.status) == {"failed"} and "Host key verification failed" in rows.error.iloc[0]
    rows = profile(root, write_inventory(root, port, known_hosts=empty, accept_new_host_key="true"), onnx_only)
    assert (rows[rows.metric == "latency_median"].status == "ok").all() and "ssh-ed25519" in empty.read_text()


def test_an_unreachable_host_gives_failed_rows(sshd, onnx_only):
    root, _ = sshd
    rows = profile(root, write_inventory(root, free_port()), onnx_only)
    assert set(rows.status) == {"failed"} and "Connection refused" in rows.error.iloc[0]


def test_ssh_refused_at_first_is_tried_again(sshd, onnx_only, tmp_path, monkeypatch):
    """sshd drops connections past its MaxStartups ("kex_exchange_identification: ... Connection reset by peer",
    ssh exits 255): every ssh call and agent is made again. Here each of the first two ssh invocations of the
    profile fails so; the rows are measured all the same, over the real server."""
    root, port = sshd
    real, count = shutil.which("ssh"), tmp_path / "count"
    wrapper = tmp_path / "bin" / "ssh"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f"#!/bin/sh\necho x >> {count}\n[ $(wc -l < {count}) -le 2 ] && "
        "{ echo 'kex_exchange_identification: read: Connection reset by peer' >&2; exit 255; }\n"
        f'exec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    rows = profile(root, write_inventory(root, port), onnx_only)
    assert (rows.status == "ok").all() and len(count.read_text().split()) > 2


def test_a_remote_that_answers_garbage_gives_failed_rows(sshd, onnx_only):
    root, port = sshd
    rows = profile(root, write_inventory(root, port, python="/bin/echo"), onnx_only)
    assert set(rows.status) == {"failed"} and "did not answer as python" in rows.error.iloc[0]


def test_a_yaml_value_cannot_inject_a_remote_command(sshd, onnx_only):
    root, port = sshd
    victim = root / "victim"
    victim.mkdir()
    hostile = f'"{root / "cache2"}; rm -rf {victim}"'
    rows = profile(root, write_inventory(root, port, cache_dir=hostile), onnx_only)
    assert victim.exists()
    assert (rows[rows.metric == "latency_median"].status == "ok").any()  # the odd directory name just works
    assert (root / f"cache2; rm -rf {victim}").is_dir()


def test_the_ssh_command_line_verifies_host_keys():
    from mbench.devices.inventory import SSHDevice

    device = SSHDevice(kind="ssh", host="pi.local", user="me", port=2222, identity_file="/k", known_hosts="/kh")
    command = ssh.SSHHost(device).command(["python3", "-c", "print('a b'); x"])
    assert command[:2] == ["ssh", "-o"] and "StrictHostKeyChecking=yes" in command and "BatchMode=yes" in command
    assert "UserKnownHostsFile=/kh" in command and command[command.index("-p") + 1] == "2222"
    assert command[-5:] == ["me@pi.local", "--", "python3", "-c", "'print('\"'\"'a b'\"'\"'); x'"]


def test_core_ml_runs_once_per_compute_unit_on_a_mac_only(tiny_artifacts_dir):
    from mbench.artifacts import find_artifacts
    from mbench.devices.inventory import SSHDevice
    from mbench.devices.local import agent_argv
    from mbench.measure.rounds import Job, measure_in_rounds
    from mbench.measure.timing import RunPlan

    coreml = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format.value == "coreml")
    mac = SSHDevice(kind="ssh", host="mac", user="me", coreml_compute_units=("CPU_ONLY", "CPU_AND_NE"))
    assert ssh._units(mac, coreml, {"system": "Darwin"}) == ["CPU_ONLY", "CPU_AND_NE"]
    assert ssh._units(mac, coreml, {"system": "Linux"}) == [""]
    job = Job(coreml, str(coreml.manifest_path), compute_units="CPU_AND_NE")
    [track] = measure_in_rounds([job], agent_argv(), RunPlan(runs=1, processes=1), 1, None, 60)
    assert track.result.compute_units == "CPU_AND_NE" and track.result.status == "not_run"


def test_mbench_profile_on_an_ssh_entry_from_the_command_line(sshd, onnx_only):
    from click.testing import CliRunner

    from mbench.cli import main

    root, port = sshd
    result = CliRunner().invoke(
        main,
        [
            "profile",
            str(onnx_only),
            "--device",
            "board",
            "--runs",
            "5",
            "--min-seconds",
            "0",
            "--warmup-seconds",
            "0",
            "--devices",
            str(write_inventory(root, port)),
            "--db",
            str(root / "cli.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok      test-tiny        onnx") and "onnxruntime" in result.output

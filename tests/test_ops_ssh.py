"""The ops pass on an SSH machine: `mbench profile --device <ssh entry> --ops` against the real OpenSSH server of the
SSH tests (conftest.py), whose remote python is this interpreter, so mbench's agent there runs the real runtimes
on tests/ops_model.py (its wide layer must take the most time) and the rows are placed in modules here."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner
from ops_model import RUNTIMES
from ssh_server import free_port, ssh_entry

from mbench.cli import main
from mbench.ops.rows import OP_ATTRIBUTED, OP_MS
from mbench.ops.view import module_times, newest_passes, top_modules
from mbench.store import Store


def _inventory(root, port, path, **fields) -> str:
    """An entry for the shared loopback server with a cache of its own (test_ssh.py counts what its cache holds)."""
    entry = ssh_entry(root, port, cache_dir=path.parent / "cache", **fields)
    path.write_text("devices:\n  board:\n" + "".join(f"    {k}: {v}\n" for k, v in entry.items() if v is not None))
    return str(path)


@pytest.fixture(scope="module")
def remote_pass(sshd, wide_artifacts, tmp_path_factory):
    """`mbench profile --ops` over SSH on the wide model's artifacts: (the rows of its ops pass, the output)."""
    root, port = sshd
    tmp = tmp_path_factory.mktemp("ops-ssh")
    quick = ["--runs", "3", "--min-seconds", "0", "--max-seconds", "0", "--warmup-seconds", "0", "--processes", "1"]
    result = CliRunner().invoke(
        main,
        [
            "profile",
            str(wide_artifacts[0].path.parent.parent),
            "--device",
            "board",
            "--devices",
            _inventory(root, port, tmp / "devices.yaml"),
            *quick,
            "--ops",
            "--db",
            str(tmp / "results.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    with Store(tmp / "results.db") as store:
        rows = store.measurements()
    return rows[rows.metric.isin([OP_MS, OP_ATTRIBUTED])], result.output


def test_the_remote_agent_profiles_each_runtime_and_the_wide_module_comes_first(remote_pass):
    rows, output = remote_pass
    summary = rows[rows.metric == OP_ATTRIBUTED]
    assert {f: s for f, s in zip(summary.format, summary.status) if f in RUNTIMES} == dict.fromkeys(RUNTIMES, "ok")
    assert "ops ok      ops-model        onnx" in output
    passes = newest_passes(rows)
    for fmt in RUNTIMES:
        top = top_modules(module_times(passes[passes.format == fmt], depth=1), count=3)
        assert top.module.iloc[0] == "wide" and top.share.iloc[0] > 0.5, (fmt, top)
        assert summary[summary.format == fmt].value.iloc[0] >= 0.95


def test_remote_op_rows_carry_the_device_and_the_remotes_context(remote_pass):
    rows, _ = remote_pass
    ok = rows[rows.status == "ok"]
    assert (ok.device == "board").all() and (ok.provenance == "ssh").all()
    assert (ok.host == socket.gethostname()).all()  # the remote's hostname, as its agent said it
    onnx = ok[(ok.format == "onnx") & (ok.metric == OP_MS)]
    details = [json.loads(d) for d in onnx.details]
    assert all("uname" in d and d["pass"] == "ops" and d["where"] == "CPUExecutionProvider" for d in details)
    assert any(d["op_type"] == "Conv" and d["module"].split(";")[0] == "wide.conv" for d in details)
    assert set(ok.runtime) == set(RUNTIMES.values()) and (ok.threads == 1).all() and (ok.runs == 10).all()


def test_runtimes_without_a_remote_profile_are_not_run_and_say_why(remote_pass):
    rows, _ = remote_pass
    reasons = dict(zip(rows.format, rows.error))
    assert rows[rows.format.isin(["tflite", "coreml"])].status.eq("not_run").all()
    assert "benchmark_model" in reasons["tflite"] and "not on board" in reasons["tflite"]
    assert "only on macOS" in reasons["coreml"]  # the remote agent's own words: it runs Linux


def test_an_unreachable_remote_fails_each_artifacts_pass(sshd, wide_artifacts, tmp_path):
    from mbench.devices.inventory import load_inventory
    from mbench.sweep import ops_and_record

    root, _ = sshd
    inventory = load_inventory(_inventory(root, free_port(), tmp_path / "devices.yaml"))
    onnx = next(a for a in wide_artifacts if a.format.value == "onnx")
    with Store(tmp_path / "results.db") as store:
        store.start_run("r", "ops (test)")
        ops_and_record(onnx.path.parent.parent, "board", inventory, store, "r", models=["ops-model"])
        rows = store.measurements()
    assert set(rows.metric) == {OP_ATTRIBUTED} and set(rows.status) == {"failed"}
    assert rows.error.str.contains("Connection refused").all() and (rows.device == "board").all()

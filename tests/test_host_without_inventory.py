"""`host` (this machine) exists with or without devices.yaml, as a new user in an empty folder finds it."""

from click.testing import CliRunner

from mbench.cli import main
from mbench.devices.inventory import load_inventory
from mbench.errors import ExitCode
from mbench.store import Store


def _in_empty_folder(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "devices.yaml").exists()
    return CliRunner().invoke(main, args)


def test_devices_lists_host_without_inventory(tmp_path, monkeypatch):
    result = _in_empty_folder(tmp_path, monkeypatch, ["devices"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("host ") and "no such inventory file" in result.output


def test_devices_check_host_without_inventory(tmp_path, monkeypatch):
    result = _in_empty_folder(tmp_path, monkeypatch, ["devices", "check", "host"])
    assert result.exit_code == 0, result.output
    assert "host (local)" in result.output


def test_other_devices_still_need_the_inventory(tmp_path, monkeypatch):
    result = _in_empty_folder(tmp_path, monkeypatch, ["devices", "check", "pi"])
    assert result.exit_code == ExitCode.ERROR, result.output
    assert "unknown device 'pi'" in result.output and "devices.yaml: no such inventory file" in result.output


def test_profile_on_host_without_inventory(tmp_path, monkeypatch, tiny_artifacts_dir):
    result = _in_empty_folder(
        tmp_path,
        monkeypatch,
        [
            "profile",
            str(tiny_artifacts_dir),
            "--device",
            "host",
            "--runs",
            "3",
            "--min-seconds",
            "0",
            "--warmup-seconds",
            "0",
            "--db",
            "m.db",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rows stored in m.db" in result.output


def test_run_on_host_without_inventory(tmp_path, monkeypatch):
    (tmp_path / "sweep.yaml").write_text(
        "models: [test-tiny]\nformats: [onnx]\ndevices: [host]\nreport: null\n"
        "profile: {runs: 3, min_seconds: 0, warmup_seconds: 0, target_ci: 0}\n"
    )
    result = _in_empty_folder(tmp_path, monkeypatch, ["run", "sweep.yaml"])
    assert result.exit_code == 0, result.output
    assert f"2 artifacts on 1 device(s); results in {tmp_path / 'mbench.db'}" in result.output  # pytorch and onnx
    with Store(tmp_path / "mbench.db") as store:
        rows = store.measurements()
    latency = rows[(rows.metric == "latency") & (rows.model == "test-tiny") & (rows.format == "onnx")]
    assert latency.device.tolist() == ["host"] and latency.status.tolist() == ["ok"] and latency.value.gt(0).all()


def test_inventory_overrides_host_and_host_is_added_when_absent(tmp_path):
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  host:\n    kind: local\n    threads: 3\n")
    assert load_inventory(path).get("host").threads == 3
    path.write_text("devices:\n  pi:\n    kind: ssh\n    host: pi.local\n    user: pi\n")
    assert set(load_inventory(path).devices) == {"host", "pi"}

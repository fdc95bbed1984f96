"""`mbench devices` lists; `mbench devices check NAME` reports what a device has, for every kind."""

from click.testing import CliRunner

from fake_tools import FakeTools
from mbench.cli import main
from mbench.devices import ios
from test_ssh import write_inventory  # the sshd fixture (a real OpenSSH server) is in conftest.py

UDID = "00008110-000A1B2C3D4E5F60"


def run(*args):
    return CliRunner().invoke(main, ["devices", *args])


def write(tmp_path, text):
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n" + text)
    return str(path)


def test_devices_without_a_subcommand_still_lists(inventory_file):
    listed = run("--devices", str(inventory_file))
    assert listed.exit_code == 0 and listed.output.startswith("host ") and "local" in listed.output
    assert run("list", "--devices", str(inventory_file)).output == listed.output


def test_check_the_host(inventory_file):
    result = run("check", "host", "--devices", str(inventory_file))
    assert result.exit_code == 0 and "runtime onnxruntime" in result.output and "free disk" in result.output


def test_check_an_ssh_host_through_a_real_server(sshd):  # noqa: F811
    root, port = sshd
    result = run("check", "board", "--devices", str(write_inventory(root, port)))
    assert result.exit_code == 0, result.output
    assert "hostname" in result.output and "runtime onnxruntime    1." in result.output and "GiB" in result.output


def test_check_an_android_phone(tmp_path, monkeypatch):
    fakes = FakeTools(tmp_path / "fakes", monkeypatch)
    fakes.add("adb", "ro.product.model", stdout="Pixel 7\n").add("adb", "ro.build.version.release", stdout="14\n")
    fakes.add("adb", "ro.product.cpu.abi", stdout="arm64-v8a\n")
    fakes.add(
        "adb",
        "df -k",
        stdout="Filesystem 1K-blocks Used Available Use% Mounted on\n"
        "/dev/block/dm-48 115249236 60160000 55089236 53% /data\n",
    )
    (tmp_path / "benchmark_model").write_text("binary")
    path = write(
        tmp_path, f"  pixel:\n    kind: android\n    serial: R5CT\n    benchmark_binary: {tmp_path}/benchmark_model\n"
    )
    result = run("check", "pixel", "--devices", path)
    assert result.exit_code == 0, result.output
    assert "arm64-v8a" in result.output and "52.5 GiB" in result.output and "(present here)" in result.output


def test_check_an_unreachable_phone_says_so(tmp_path, monkeypatch):
    FakeTools(tmp_path / "fakes", monkeypatch).add("adb", "getprop", stderr="adb: device 'R5CT' not found\n", rc=1)
    path = write(tmp_path, "  pixel:\n    kind: android\n    serial: R5CT\n    benchmark_binary: /nowhere\n")
    result = run("check", "pixel", "--devices", path)
    assert result.exit_code == 4 and "pixel (android) not reachable" in result.output and "not found" in result.output


def test_check_an_iphone(tmp_path, monkeypatch):
    path = write(tmp_path, f"  iphone:\n    kind: ios\n    udid: {UDID}\n    mac: local\n")
    if not ios.on_macos():
        result = run("check", "iphone", "--devices", path)
        assert result.exit_code == 4 and "not macOS" in result.output
    monkeypatch.setattr(ios, "on_macos", lambda: True)
    fakes = FakeTools(tmp_path / "fakes", monkeypatch)
    fakes.add("xcodebuild", "-version", stdout="Xcode 16.2\nBuild version 16C5032a\n")
    fakes.add("xcrun", "xctrace list devices", stdout=f"== Devices ==\nstudio (ABCD)\nMy iPhone (17.5) ({UDID})\n")
    result = run("check", "iphone", "--devices", path)
    assert result.exit_code == 0, result.output
    assert f"My iPhone (17.5) ({UDID})" in result.output and "Xcode 16.2" in result.output

"""`mbench devices check NAME`: connect to one device and report what is there, without profiling."""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path
from typing import assert_never

from mbench.measure.processes import DeviceError, tail
from mbench.devices.inventory import AndroidDevice, Device, Inventory, IOSDevice, LocalDevice, SSHDevice

RUNTIMES = ("onnxruntime", "ai-edge-litert", "executorch", "coremltools", "torch")
_REMOTE_FACTS = (
    "import json, os, platform, shutil, socket\nfrom importlib import metadata\n"
    "def version(name):\n    try:\n        return metadata.version(name)\n    except Exception:\n"
    "        return 'not installed'\n"
    "print(json.dumps({'hostname': socket.gethostname(), 'os': platform.platform(),"
    " 'python': platform.python_version(), 'machine': platform.machine(),"
    " 'free_disk_bytes': shutil.disk_usage(os.path.expanduser('~')).free,"
    " 'runtimes': {n: version(n) for n in %r}}))" % (RUNTIMES + ("mbench",),)
)

Report = list[tuple[str, str]]


def check(name: str, device: Device, inventory: Inventory) -> Report:
    """What the device is and has, as (label, value) lines; a device that cannot be reached raises DeviceError."""
    if isinstance(device, LocalDevice):
        return _local()
    elif isinstance(device, SSHDevice):
        return _ssh(device)
    elif isinstance(device, AndroidDevice):
        return _android(device)
    elif isinstance(device, IOSDevice):
        return _ios(name, device, inventory)
    else:
        assert_never(device)


def _gib(value: float) -> str:
    return f"{value / 2**30:.1f} GiB"


def _local() -> Report:
    from mbench.artifacts import package_versions

    report = [
        ("os", platform.platform()),
        ("architecture", platform.machine()),
        ("python", platform.python_version()),
        ("free disk", _gib(shutil.disk_usage(Path.cwd()).free)),
    ]
    return report + [(f"runtime {n}", v) for n, v in package_versions(*RUNTIMES).items()]


def _ssh(device: SSHDevice) -> Report:
    from mbench.devices.ssh import SSHHost

    host = SSHHost(device)
    output = host.call([*host.python(), "-c", _REMOTE_FACTS], "python")
    try:
        facts = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise DeviceError(f"{device.host}: unreadable answer from {device.python}: {tail(output)}") from None
    machine = facts["machine"] + (" (emulated here)" if device.emulated else "")
    report = [
        ("hostname", facts["hostname"]),
        ("os", facts["os"]),
        ("architecture", machine),
        ("python", facts["python"]),
        ("free disk", _gib(facts["free_disk_bytes"])),
    ]
    return report + [(f"runtime {n}", v) for n, v in facts["runtimes"].items()]


def _android(device: AndroidDevice) -> Report:
    from mbench.devices.android import AdbPhone

    phone = AdbPhone(device)
    report = [
        ("model", phone.getprop("ro.product.model")),
        ("android", phone.getprop("ro.build.version.release")),
        ("abi", phone.getprop("ro.product.cpu.abi")),
    ]
    df = phone.call(phone.shell(["df", "-k", device.remote_dir.rsplit("/", 1)[0] or "/"]), "adb shell df")
    report.append(("free disk", _df_free(df)))
    for label, binary in (
        ("benchmark_model", device.benchmark_binary),
        ("onnxruntime_perf_test", device.ort_perf_test_binary),
    ):
        if binary:
            report.append((label, f"{binary} ({'present' if Path(binary).is_file() else 'MISSING'} here)"))
    return report


def _df_free(df: str) -> str:
    """The free space of the last line of ``df -k`` (1K blocks: Filesystem, 1K-blocks, Used, Available...)."""
    fields = df.strip().splitlines()[-1].split() if df.strip() else []
    try:
        return _gib(int(fields[3]) * 1024)
    except (IndexError, ValueError):
        return f"unknown ({tail(df, 1)})"


def _ios(name: str, device: IOSDevice, inventory: Inventory) -> Report:
    from mbench.devices.ios import mac_for

    mac = mac_for(name, device, inventory)
    xcode = mac.call(["xcodebuild", "-version"], "xcodebuild -version", ".").strip().splitlines()
    listing = mac.call(["xcrun", "xctrace", "list", "devices"], "xcrun xctrace list devices", ".")
    paired = next((line.strip() for line in listing.splitlines() if device.udid in line), "")
    return [
        ("mac", device.mac),
        ("xcode", " ".join(xcode[:2])),
        ("iphone", paired or f"{device.udid} NOT connected or paired (xcrun xctrace list devices)"),
    ]

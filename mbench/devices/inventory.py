"""devices.yaml: the inventory of places to profile on, validated with unknown keys refused.

Errors name the file, the line, the key and what would be valid, before any work starts.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

from mbench.errors import MBenchError
from mbench import paths
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr

from mbench.spec import Format
from mbench.yaml_config import load_validated, node_at

HOST = "host"  # this machine: always a device, with or without an inventory; an inventory entry overrides it


class InventoryError(MBenchError, ValueError):
    pass


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_USER = re.compile(r"[A-Za-z_][A-Za-z0-9._-]{0,31}")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _device_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            "a device name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit "
            "(it becomes a file name and a command-line argument)"
        )
    return value


def _host(value: str) -> str:
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    labels = value.removesuffix(".").split(".")
    if len(value) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(
            "host must be a hostname (dot-separated labels of letters, digits and '-', e.g. pi5.local) "
            "or an IPv4/IPv6 address"
        )
    return value


def _user(value: str) -> str:
    if not _USER.fullmatch(value):
        raise ValueError(
            "user must be a POSIX user name: 1-32 letters, digits, '.', '_' or '-', not starting with "
            "'-', '.' or a digit"
        )
    return value


def _cpu_mask(value: str) -> str:
    if not re.fullmatch(r"(0x)?[0-9A-Fa-f]{1,16}", value) or int(value, 16) == 0:
        raise ValueError("taskset must be a hexadecimal CPU mask naming at least one CPU, e.g. f0 for CPUs 4-7")
    return value


DeviceName = Annotated[str, AfterValidator(_device_name)]


def usable_cpus() -> list[int] | None:
    """The CPUs this process may run on, in order; None where the OS does not say (nor allow pinning)."""
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


class _Device(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    formats: tuple[Format, ...] = (Format.PYTORCH, Format.ONNX, Format.TFLITE, Format.COREML, Format.EXECUTORCH)
    threads: Annotated[int, Field(ge=1)] | None = None
    timeout_s: Annotated[float, Field(gt=0)] = 900.0
    labels: dict[str, str] = {}

    def thread_count(self) -> int | None:
        """The inventory's threads; None leaves the count to the device's runner, which asks the device itself for
        its CPUs (not this machine's: a 4-core board profiled from a 2-core laptop gets 4)."""
        return self.threads


class LocalDevice(_Device):
    kind: Literal["local"]

    def thread_count(self) -> int:
        """Every CPU this process may use but one, which is left to the system and to mbench itself (at least one).
        Measured on a 2-vCPU VM (benchmarks/RESULTS.md, repeatability): runtimes on both CPUs ran whole rounds up
        to 2.5x slower at times and a one-core busy loop doubled every latency; on one pinned CPU they held within
        a few percent, busy loop or not."""
        if self.threads:
            return self.threads
        allowed = usable_cpus()
        return max(1, (len(allowed) if allowed else os.cpu_count() or 1) - 1)


class SSHDevice(_Device):
    kind: Literal["ssh"]
    host: Annotated[str, AfterValidator(_host)]
    user: Annotated[str, AfterValidator(_user)]
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    identity_file: str | None = None
    known_hosts: str | None = None
    accept_new_host_key: bool = False  # trust-on-first-use only when the entry says so
    python: str = "python3"
    pythonpath: str | None = None  # where mbench lives on the remote, if not installed in `python`
    cache_dir: str = ".cache/mbench"  # relative to the remote home; artifacts live under <cache_dir>/<sha256>/
    coreml_compute_units: tuple[Literal["CPU_ONLY", "CPU_AND_GPU", "CPU_AND_NE", "ALL"], ...] = ("ALL",)
    # an instruction set emulated on this machine (board/: qemu-user): its rows keep their latency but are marked,
    # and left out of headlines, Pareto fronts and regression verdicts (an emulated time is not a device's speed)
    emulated: bool = False


class AndroidDevice(_Device):
    kind: Literal["android"]
    formats: tuple[Format, ...] = (Format.TFLITE, Format.ONNX)
    serial: str
    benchmark_binary: str  # a LiteRT benchmark_model built for the phone's ABI, on this machine
    ort_perf_test_binary: str | None = None  # onnxruntime_perf_test for the phone, on this machine
    delegates: tuple[Literal["cpu", "gpu", "nnapi", "xnnpack"], ...] = ("cpu",)
    taskset: Annotated[str, AfterValidator(_cpu_mask)] | None = None  # CPU mask, e.g. "f0" for the big cores
    remote_dir: str = "/data/local/tmp/mbench"
    adb: str = "adb"


ComputeUnits = tuple[Literal["CPU_ONLY", "CPU_AND_GPU", "CPU_AND_NE", "ALL"], ...]


class IOSDevice(_Device):
    kind: Literal["ios"]
    formats: tuple[Format, ...] = (Format.COREML,)
    udid: str
    mac: DeviceName  # name of an ssh entry that is a Mac, or "local" when mbench runs on that Mac
    coreml_compute_units: ComputeUnits = ("ALL",)
    cache_dir: str = ".cache/mbench"  # on a local Mac, relative to the home folder; the harness is staged there
    team_id: str = ""
    signing_identity: str = ""


Device = Annotated[LocalDevice | SSHDevice | AndroidDevice | IOSDevice, Field(discriminator="kind")]


class Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    devices: dict[DeviceName, Device]
    _missing: str = PrivateAttr("")  # why there is no inventory file, when there is none

    def missing_file(self) -> str:
        """Why only ``host`` exists (no inventory file), or "" when the inventory was read from a file."""
        return self._missing

    def get(self, name: str) -> Device:
        if name not in self.devices and self._missing:
            raise InventoryError(
                f"unknown device {name!r}: {self._missing}; only {HOST!r} (this machine) exists without one"
            )
        if name not in self.devices:
            known = ", ".join(sorted(self.devices)) or "(none)"
            raise InventoryError(f"unknown device {name!r}; devices in the inventory: {known}")
        return self.devices[name]


def load_inventory(path: Path | str = paths.INVENTORY) -> Inventory:
    """The inventory at ``path`` plus ``host`` (this machine) unless the file defines it; without the file, ``host``
    alone, and asking for any other device names the missing file."""
    path = Path(path)
    if not path.is_file():
        inventory = Inventory(devices={HOST: host_device()})
        inventory._missing = f"{path}: no such inventory file (create it, or pass --devices PATH)"
        return inventory
    loaded = load_validated(
        path,
        Inventory,
        InventoryError,
        "inventory",
        "create it, or pass --devices PATH",
        _valid_keys,
        frozenset(_KIND_TAGS),
    )
    return loaded if HOST in loaded.devices else Inventory(devices={HOST: host_device(), **loaded.devices})


def host_device() -> LocalDevice:
    return LocalDevice(kind="local", description="this machine")


_KIND_TAGS = {"local", "ssh", "android", "ios"}


def _valid_keys(root, loc: list) -> list[str]:
    if len(loc) < 3:
        return sorted(Inventory.model_fields)
    kind = node_at(root, loc[:2])
    kind_value = next((v.value for k, v in getattr(kind, "value", []) if k.value == "kind"), "local")
    model = {"local": LocalDevice, "ssh": SSHDevice, "android": AndroidDevice, "ios": IOSDevice}.get(kind_value)
    return sorted(model.model_fields) if model else sorted(_KIND_TAGS)

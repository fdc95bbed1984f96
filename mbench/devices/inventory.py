"""devices.yaml: the inventory of places to profile on, validated with unknown keys refused.

Errors name the file, the line, the key and what would be valid, before any work starts.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from mbench.spec import Format
from mbench.yaml_config import load_validated, node_at

DEFAULT_INVENTORY = Path("devices.yaml")


class InventoryError(ValueError):
    pass


class _Device(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    formats: tuple[Format, ...] = (Format.PYTORCH, Format.ONNX, Format.TFLITE, Format.COREML, Format.EXECUTORCH)
    threads: Annotated[int, Field(ge=1)] | None = None
    timeout_s: Annotated[float, Field(gt=0)] = 900.0
    labels: dict[str, str] = {}

    def thread_count(self) -> int:
        return self.threads or os.cpu_count() or 1


class LocalDevice(_Device):
    kind: Literal["local"]


class SSHDevice(_Device):
    kind: Literal["ssh"]
    host: str
    user: str
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    identity_file: str | None = None
    known_hosts: str | None = None
    accept_new_host_key: bool = False  # trust-on-first-use only when the entry says so
    python: str = "python3"
    pythonpath: str | None = None  # where mbench lives on the remote, if not installed in `python`
    cache_dir: str = ".cache/mbench"  # relative to the remote home; artifacts live under <cache_dir>/<sha256>/
    coreml_compute_units: tuple[Literal["CPU_ONLY", "CPU_AND_GPU", "CPU_AND_NE", "ALL"], ...] = ("ALL",)


class AndroidDevice(_Device):
    kind: Literal["android"]
    formats: tuple[Format, ...] = (Format.TFLITE, Format.ONNX)
    serial: str
    benchmark_binary: str  # a LiteRT benchmark_model built for the phone's ABI, on this machine
    ort_perf_test_binary: str | None = None  # onnxruntime_perf_test for the phone, on this machine
    delegates: tuple[Literal["cpu", "gpu", "nnapi", "xnnpack"], ...] = ("cpu",)
    taskset: str | None = None  # CPU mask, e.g. "f0" for the big cores
    remote_dir: str = "/data/local/tmp/mbench"
    adb: str = "adb"


ComputeUnits = tuple[Literal["CPU_ONLY", "CPU_AND_GPU", "CPU_AND_NE", "ALL"], ...]


class IOSDevice(_Device):
    kind: Literal["ios"]
    formats: tuple[Format, ...] = (Format.COREML,)
    udid: str
    mac: str  # name of an ssh entry that is a Mac, or "local" when mbench runs on that Mac
    coreml_compute_units: ComputeUnits = ("ALL",)
    cache_dir: str = ".cache/mbench"  # on a local Mac, relative to the home folder; the harness is staged there
    team_id: str = ""
    signing_identity: str = ""


Device = Annotated[Union[LocalDevice, SSHDevice, AndroidDevice, IOSDevice], Field(discriminator="kind")]


class Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    devices: dict[str, Device]

    def get(self, name: str) -> Device:
        if name not in self.devices:
            known = ", ".join(sorted(self.devices)) or "(none)"
            raise InventoryError(f"unknown device {name!r}; devices in the inventory: {known}")
        return self.devices[name]


def load_inventory(path: Path | str = DEFAULT_INVENTORY) -> Inventory:
    return load_validated(Path(path), Inventory, InventoryError, "inventory", "create it, or pass --devices PATH",
                          _valid_keys, frozenset(_KIND_TAGS))


_KIND_TAGS = {"local", "ssh", "android", "ios"}


def _valid_keys(root, loc: list) -> list[str]:
    if len(loc) < 3:
        return sorted(Inventory.model_fields)
    kind = node_at(root, loc[:2])
    kind_value = next((v.value for k, v in getattr(kind, "value", []) if k.value == "kind"), "local")
    model = {"local": LocalDevice, "ssh": SSHDevice, "android": AndroidDevice, "ios": IOSDevice}.get(kind_value)
    return sorted(model.model_fields) if model else sorted(_KIND_TAGS)

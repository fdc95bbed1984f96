"""iPhones, reached through a Mac (this machine when it is one, or an ssh entry of the inventory).

mbench copies its XCTest harness (``ios/MBenchHarness``) with the Core ML artifact as
``Resources/model.mlpackage`` to the Mac, runs ``xcodebuild build-for-testing`` then
``xcodebuild test-without-building -destination id=UDID`` (settings through ``TEST_RUNNER_MBENCH_*``, which
xcodebuild hands to the test as ``MBENCH_*``), and reads the harness's ``MBENCH-IOS {json}`` lines, one per compute
unit; XCTest's own ``measured [Time, seconds]`` lines are the fallback. Several artifacts are measured in
interleaved rounds of one test invocation each, in the groups the host's are (``profile``).
"""

from __future__ import annotations

import platform
import posixpath
import shutil
from pathlib import Path
from typing import Protocol
from collections.abc import Iterator

from mbench.artifacts import Artifact
from mbench.measure.processes import DeviceError, run_tool
from mbench.devices.inventory import Inventory, IOSDevice, SSHDevice
from mbench.devices.parsers import ToolRun, combined, xctest
from mbench.measure.rows import DeviceNotSupported, Profile, failed_rows, tool_context, tool_rows
from mbench.devices.ssh import SSHHost
from mbench.measure.groups import Grouping
from mbench.measure.tool_rounds import in_groups, invocations_seen
from mbench.measure.timing import RunPlan
from mbench.spec import Format, Status

PROVENANCE = "ios"
HARNESS = Path(__file__).resolve().parents[2] / "ios" / "MBenchHarness"
SCHEME = "MBenchHarness"
MODEL_IN_HARNESS = "Tests/MBenchHarnessTests/Resources/model.mlpackage"
EXECUTORCH_MISSING = (
    "iPhone: .pte needs ExecuTorch's iOS benchmark app (or executor_runner) in the harness, and mbench "
    "has no parser for its output tested on a real transcript yet, so it is not run"
)


class Mac(Protocol):
    def stage(self, entries: list[tuple[Path, str]], key: str) -> str: ...

    def call(self, argv: list[str], what: str, cwd: str) -> str: ...


class LocalMac:
    """mbench runs on the Mac itself; the harness is staged in ``<cache_dir>/ios/<sha256>`` as on a remote Mac."""

    def __init__(self, timeout_s: float, cache_dir: str) -> None:
        self.timeout_s, self.cache_dir = timeout_s, Path.home() / Path(cache_dir).expanduser()

    def stage(self, entries: list[tuple[Path, str]], key: str) -> str:
        directory = self.cache_dir / "ios" / key
        shutil.rmtree(directory, ignore_errors=True)
        for path, name in entries:
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if path.is_dir() else shutil.copy)(path, target)
        return str(directory)

    def call(self, argv: list[str], what: str, cwd: str) -> str:
        return run_tool(argv, self.timeout_s, what, cwd=cwd)


class RemoteMac:
    """A Mac listed as an ssh entry: the harness is copied there and xcodebuild runs in its folder."""

    def __init__(self, host: SSHHost) -> None:
        self.host = host

    def stage(self, entries: list[tuple[Path, str]], key: str) -> str:
        directory = posixpath.join(self.host.device.cache_dir, "ios", key)
        self.host.copy_tree(entries, directory)
        return directory

    def call(self, argv: list[str], what: str, cwd: str) -> str:
        return self.host.call(["sh", "-c", 'cd "$1" && shift && exec "$@"', "sh", cwd, *argv], what)


def on_macos() -> bool:
    return platform.system() == "Darwin"


def mac_for(name: str, device: IOSDevice, inventory: Inventory | None) -> Mac:
    """The Mac an iPhone is reached through, or one sentence saying what is missing."""
    if device.mac == "local":
        if on_macos():
            return LocalMac(device.timeout_s, device.cache_dir)
        raise DeviceNotSupported(
            f"device {name!r} is an iPhone reached through a Mac, but its entry says mac: local and this machine "
            f"runs {platform.system()}, not macOS: run mbench on the Mac, or list the Mac as an ssh entry in the "
            f"inventory and set mac: <its name>"
        )
    entries = inventory.devices if inventory else {}
    mac = entries.get(device.mac)
    if not isinstance(mac, SSHDevice):
        what = f"is of kind {mac.kind!r}" if mac else "is not in the inventory"
        raise DeviceNotSupported(
            f"device {name!r} is an iPhone reached through the Mac {device.mac!r}, which {what}: "
            f"add the Mac as an entry of kind ssh (or set mac: local when mbench runs on it)"
        )
    return RemoteMac(SSHHost(mac))


def _signing(device: IOSDevice) -> list[str]:
    return ([f"DEVELOPMENT_TEAM={device.team_id}"] if device.team_id else []) + (
        [f"CODE_SIGN_IDENTITY={device.signing_identity}"] if device.signing_identity else []
    )


def build_argv(device: IOSDevice) -> list[str]:
    return [
        "xcodebuild",
        "build-for-testing",
        "-scheme",
        SCHEME,
        "-destination",
        f"id={device.udid}",
        "-derivedDataPath",
        "build",
        "-allowProvisioningUpdates",
        *_signing(device),
    ]


def test_argv(device: IOSDevice, plan: RunPlan) -> list[str]:
    settings = {
        "RUNS": plan.runs,
        "WARMUP_RUNS": plan.warmup_runs,
        "COMPUTE_UNITS": ",".join(device.coreml_compute_units),
    }
    return [
        "env",
        *(f"TEST_RUNNER_MBENCH_{key}={value}" for key, value in settings.items()),
        "xcodebuild",
        "test-without-building",
        "-scheme",
        SCHEME,
        "-destination",
        f"id={device.udid}",
        "-derivedDataPath",
        "build",
    ]


def harness_entries(artifact: Artifact) -> list[tuple[Path, str]]:
    if not (HARNESS / "Package.swift").is_file():
        raise DeviceError(f"the iOS harness source is missing at {HARNESS} (it ships in mbench's repository)")
    entries = [(p, str(p.relative_to(HARNESS))) for p in sorted(HARNESS.rglob("*")) if p.is_file()]
    return entries + [(artifact.path, MODEL_IN_HARNESS)]


def build(mac: Mac, device: IOSDevice, artifact: Artifact) -> str:
    """The harness staged with one Core ML artifact and built for testing: the folder it is in on the Mac."""
    workdir = mac.stage(harness_entries(artifact), artifact.sha256)
    mac.call(build_argv(device), "xcodebuild build-for-testing", workdir)
    return workdir


def run_built(mac: Mac, device: IOSDevice, workdir: str, plan: RunPlan) -> dict[str, ToolRun]:
    """One invocation of the built harness: every configured compute unit."""
    output = mac.call(test_argv(device, plan), f"xcodebuild test-without-building on {device.udid}", workdir)
    return xctest.parse(output)


def profile(
    artifacts: list[Artifact],
    name: str,
    device: IOSDevice,
    plan: RunPlan,
    inventory: Inventory | None,
    threads: int | None = None,
    grouping: Grouping = Grouping(),
) -> Iterator[tuple[Artifact, Profile]]:
    """Each Core ML artifact on the iPhone, a row set per compute unit; failures become rows. ``threads`` cannot
    be honoured (Core ML has no thread count); each row says so in its details.

    Each artifact is staged and built once, then tested once per round in interleaved rounds, group after group as
    on the host (measure/tool_rounds.py, measure/groups.py); each compute unit's rows combine its invocations
    (``parsers.COMBINED``, timed samples kept with their rounds) and say which group they were measured in."""
    mac = mac_for(name, device, inventory)
    units = list(device.coreml_compute_units)
    built: list[tuple[Artifact, str]] = []
    for artifact in (a for a in artifacts if a.format in device.formats):
        if artifact.format is Format.EXECUTORCH:
            yield artifact, _failed(artifact, name, device, EXECUTORCH_MISSING, Status.NOT_RUN)
            continue
        try:
            built.append((artifact, build(mac, device, artifact)))
        except DeviceError as error:
            yield artifact, _failed(artifact, name, device, str(error))
    for group in in_groups(
        built,
        lambda harness: harness[0],
        lambda harness, share: run_built(mac, device, harness[1], share),
        plan,
        grouping,
        len(built) * len(units),
    ):
        for measured in group:
            artifact, invocations = measured.item[0], measured.runs
            if not invocations:
                yield artifact, _failed(artifact, name, device, measured.error)
                continue
            seen = {**invocations_seen(len(invocations), measured.error, plan), **measured.notes}
            for unit in units:
                found = [
                    (k, run)
                    for k, run in zip(measured.rounds, (_unit_run(device, unit, got) for got in invocations))
                    if run
                ]
                run = combined([run for _, run in found], [k for k, _ in found]) if found else None
                yield (
                    artifact,
                    _unit_rows(
                        artifact,
                        name if len(units) == 1 else f"{name}/{unit}",
                        device,
                        unit,
                        run,
                        invocations[0],
                        threads,
                        seen,
                    ),
                )


def _failed(artifact: Artifact, name: str, device: IOSDevice, error: str, status: Status = Status.FAILED) -> Profile:
    context = tool_context(artifact, ToolRun(xctest.TOOL), PROVENANCE, device.udid, {"udid": device.udid})
    return failed_rows(artifact, name, status, error, context)


def _unit_run(device: IOSDevice, unit: str, runs: dict[str, ToolRun]) -> ToolRun | None:
    """The harness's result for ``unit``; a lone unnamed result stands for the one unit configured."""
    return runs.get(unit) or (
        next(iter(runs.values())) if len(runs) == 1 and len(device.coreml_compute_units) == 1 else None
    )


def _unit_rows(
    artifact: Artifact,
    label: str,
    device: IOSDevice,
    unit: str,
    run: ToolRun | None,
    first: dict[str, ToolRun],
    threads: int | None,
    seen: dict,
) -> Profile:
    details = {"udid": device.udid, "compute_units": unit, **seen}
    if threads:
        details["threads_not_applied"] = f"{threads} requested; Core ML has no thread count, iOS schedules its work"
    if run is None:
        error = f"the harness printed no result for compute units {unit} (got: {', '.join(first)})"
        context = tool_context(artifact, ToolRun(xctest.TOOL), PROVENANCE, device.udid, details)
        return failed_rows(artifact, label, Status.FAILED, error, context)
    host = f"{run.details.get('machine', 'iPhone')} ({device.udid})"
    context = tool_context(artifact, run, PROVENANCE, host, {**details, **run.details})
    return tool_rows(artifact, label, run, context)

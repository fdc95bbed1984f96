"""Measure artifacts on a device and turn each agent result into measurement rows and raw samples."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator, assert_never

from mbench.artifacts import Artifact
from mbench.devices.agent import AgentResult
from mbench.devices.inventory import AndroidDevice, Device, Inventory, IOSDevice, LocalDevice, SSHDevice
from mbench.measure import LatencyStats, RunPlan
from mbench.results import Context, Measurement, failure, host_details
from mbench.spec import Status
from mbench.store import SampleSet

LATENCY_FIELDS = ("mean", "median", "p90", "p95", "p99", "stdev", "min", "max", "trimmed_mean", "ci_low", "ci_high")


class DeviceNotSupported(RuntimeError):
    """A device that cannot be used at all from here (e.g. an iPhone with no Mac to reach it through)."""


@dataclass(frozen=True)
class Profile:
    rows: list[Measurement]
    samples: list[SampleSet]


def profile_each(artifacts: list[Artifact], device_name: str, device: Device, plan: RunPlan,
                 threads: int | None = None, inventory: Inventory | None = None,
                 ) -> Iterator[tuple[Artifact, AgentResult, Profile]]:
    """Profile each artifact the device can take, one at a time; a failure is a row and the others go on.
    ``inventory`` is needed for an iOS device, which is reached through the Mac it names."""
    threads = threads or device.thread_count()
    if isinstance(device, LocalDevice):
        from mbench.devices.local import run_agent

        for artifact in (a for a in artifacts if a.format in device.formats):
            result = run_agent(artifact, plan, threads, device.timeout_s)
            yield artifact, result, result_rows(artifact, device_name, result, provenance="host")
    elif isinstance(device, SSHDevice):
        from mbench.devices import ssh

        yield from ssh.profile(artifacts, device_name, device, plan, threads)
    elif isinstance(device, AndroidDevice):
        from mbench.devices import android

        yield from android.profile(artifacts, device_name, device, plan, threads)
    elif isinstance(device, IOSDevice):
        from mbench.devices import ios

        yield from ios.profile(artifacts, device_name, device, plan, inventory)
    else:
        assert_never(device)


def result_rows(artifact: Artifact, device: str, result: AgentResult, provenance: str,
                remote: dict[str, str] | None = None) -> Profile:
    """Rows for one agent result: load, first inference, latency statistics and memory, or one row with the reason.
    ``remote`` is the identity of the machine the agent ran on (hostname, uname...) when it is not this one."""
    stats = LatencyStats.from_samples(result.samples_ms) if result.status == "ok" else None
    units = {"compute_units": result.compute_units} if result.compute_units else {}
    noise = {"noise": stats.noise()} if stats else {}
    details = {**(remote or host_details()), **result.environment, **noise, **units}
    context = Context.of_artifact(
        artifact, runtime=result.runtime, runtime_version=result.runtime_version, threads=result.threads,
        warmup_runs=len(result.warmup_ms) + 1 if result.status == "ok" else None,
        runs=len(result.samples_ms) or None, provenance=provenance, details=json.dumps(details),
        **({"host": remote["hostname"]} if remote else {}),
    )
    key = (artifact.model, artifact.format.value, artifact.precision.value)
    if stats is None:
        return Profile([failure(key, device, "latency", Status(result.status), result.error, context,
                                artifact.sha256)], [])
    values = [("load_time", result.load_ms, "ms"), ("first_inference", result.first_ms, "ms")]
    values += [(f"latency_{name}", getattr(stats, name), "ms") for name in LATENCY_FIELDS]
    values += [("latency_cv", stats.cv, "ratio"), ("latency_drift", stats.drift, "ratio"),
               ("latency_count", stats.count, "runs"), ("peak_rss", result.peak_rss_bytes, "bytes"),
               ("rss_before_load", result.rss_before_load_bytes, "bytes")]
    rows = [Measurement(*key, device, metric, value, unit, Status.OK, "", artifact.sha256, context)
            for metric, value, unit in values]
    return Profile(rows, [SampleSet(*key, device, artifact.sha256, tuple(result.samples_ms))])

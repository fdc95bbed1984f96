"""Measure artifacts on a device and turn each agent result into measurement rows and raw samples."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

from mbench.artifacts import Artifact
from mbench.devices.agent import AgentResult
from mbench.devices.inventory import Device, LocalDevice
from mbench.measure import LatencyStats, RunPlan
from mbench.results import Context, Measurement, failure, host_details
from mbench.spec import Status
from mbench.store import SampleSet

LATENCY_FIELDS = ("mean", "median", "p90", "p95", "p99", "stdev", "min", "max", "trimmed_mean", "ci_low", "ci_high")


class DeviceNotSupported(RuntimeError):
    pass


@dataclass(frozen=True)
class Profile:
    rows: list[Measurement]
    samples: list[SampleSet]


def profile_each(artifacts: list[Artifact], device_name: str, device: Device, plan: RunPlan,
                 threads: int | None = None) -> Iterator[tuple[Artifact, AgentResult, Profile]]:
    """Profile each artifact the device can take, one at a time; a failure is a row and the others go on."""
    if not isinstance(device, LocalDevice):
        raise DeviceNotSupported(f"device {device_name!r} is of kind {device.kind!r}; this version of mbench "
                                 "profiles on kind 'local' only")
    from mbench.devices.local import run_agent

    threads = threads or device.thread_count()
    for artifact in artifacts:
        if artifact.format in device.formats:
            result = run_agent(artifact, plan, threads, device.timeout_s)
            yield artifact, result, result_rows(artifact, device_name, result, provenance="host")


def _noise(result: AgentResult) -> dict:
    if result.status != "ok" or not result.samples_ms:
        return {}
    return {"noise": LatencyStats.from_samples(result.samples_ms).noise()}


def result_rows(artifact: Artifact, device: str, result: AgentResult, provenance: str) -> Profile:
    """Rows for one agent result: load, first inference, latency statistics and memory, or one row with the reason."""
    context = Context.of_artifact(
        artifact, runtime=result.runtime, runtime_version=result.runtime_version, threads=result.threads,
        warmup_runs=len(result.warmup_ms) + 1 if result.status == "ok" else None,
        runs=len(result.samples_ms) or None, provenance=provenance,
        details=json.dumps({**host_details(), **result.environment, **_noise(result)}),
    )
    key = (artifact.model, artifact.format.value, artifact.precision.value)
    if result.status != "ok":
        return Profile([failure(key, device, "latency", Status(result.status), result.error, context)], [])
    stats = LatencyStats.from_samples(result.samples_ms)
    values = [("load_time", result.load_ms, "ms"), ("first_inference", result.first_ms, "ms")]
    values += [(f"latency_{name}", getattr(stats, name), "ms") for name in LATENCY_FIELDS]
    values += [("latency_cv", stats.cv, "ratio"), ("latency_drift", stats.drift, "ratio"),
               ("latency_count", stats.count, "runs"), ("peak_rss", result.peak_rss_bytes, "bytes"),
               ("rss_before_load", result.rss_before_load_bytes, "bytes")]
    rows = [Measurement(*key, device, metric, value, unit, Status.OK, "", artifact.sha256, context)
            for metric, value, unit in values]
    return Profile(rows, [SampleSet(*key, device, artifact.sha256, tuple(result.samples_ms))])

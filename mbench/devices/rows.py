"""Rows from a device tool's parsed output (benchmark_model, onnxruntime_perf_test, XCTest), in the same shape as
the agent's rows, so the store and the report see one kind of measurement whatever produced it."""
from __future__ import annotations

import json

from mbench.artifacts import Artifact
from mbench.devices.agent import AgentResult
from mbench.devices.parsers import ToolRun
from mbench.measure import LatencyStats
from mbench.profile import LATENCY_FIELDS, Profile
from mbench.results import Context, Measurement, failure
from mbench.spec import Status
from mbench.store import SampleSet


def tool_context(artifact: Artifact, run: ToolRun, provenance: str, host: str, details: dict) -> Context:
    return Context.of_artifact(artifact, runtime=run.tool, runtime_version=run.tool_version, threads=run.threads,
                               warmup_runs=run.warmup_runs, runs=run.runs, host=host, provenance=provenance,
                               details=json.dumps({"tool": run.tool, **details}, sort_keys=True))


def tool_rows(artifact: Artifact, device: str, run: ToolRun, context: Context) -> Profile:
    """One row per value the tool printed; raw samples (where printed) give the full latency statistics."""
    key = (artifact.model, artifact.format.value, artifact.precision.value)
    values = dict(run.values)
    samples = []
    if run.samples_ms:
        stats = LatencyStats.from_samples(run.samples_ms)
        values.update({f"latency_{name}": (getattr(stats, name), "ms") for name in LATENCY_FIELDS})
        values["latency_count"] = (stats.count, "runs")
        samples = [SampleSet(*key, device, artifact.sha256, tuple(run.samples_ms))]
    rows = [Measurement(*key, device, metric, value, unit, Status.OK, "", artifact.sha256, context)
            for metric, (value, unit) in values.items()]
    return Profile(rows, samples)


def failed_rows(artifact: Artifact, device: str, status: Status, error: str, context: Context) -> Profile:
    key = (artifact.model, artifact.format.value, artifact.precision.value)
    return Profile([failure(key, device, "latency", status, error, context, artifact.sha256)], [])


def summary(run: ToolRun) -> AgentResult:
    """What the CLI prints per artifact: the tool's result in the agent's shape."""
    return AgentResult("ok", runtime=run.tool, runtime_version=run.tool_version, threads=run.threads or 0,
                       samples_ms=list(run.samples_ms))

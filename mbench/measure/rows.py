"""Measurement rows from what a device produced: the agent's result, or a device tool's parsed output
(benchmark_model, onnxruntime_perf_test, XCTest), in one shape, so the store and the report see one kind of
measurement whatever produced it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mbench.errors import MBenchError
from mbench.artifacts import Artifact
from mbench.measure.agent import AgentResult
from mbench.measure.tool_run import ToolRun
from mbench.measure.estimate import LATENCY_ESTIMATOR, Rounds, estimate
from mbench.measure.interference import contended, neighbour_busy
from mbench.measure.timing import LatencyStats, RunPlan, few_runs
from mbench.results import Context, Measurement, RowKey, SampleSet, host_details
from mbench.spec import Status

LATENCY_FIELDS = ("mean", "median", "p90", "p95", "p99", "stdev", "min", "max", "trimmed_mean", "ci_low", "ci_high")


class DeviceNotSupported(MBenchError, RuntimeError):
    """A device that cannot be used at all from here (e.g. an iPhone with no Mac to reach it through)."""


@dataclass(frozen=True)
class Profile:
    """One artifact's profile on one device (one compute unit or delegate): its rows and raw samples, as stored;
    what `mbench profile` prints and a sweep reports is read from these."""

    rows: list[Measurement]
    samples: list[SampleSet]

    @property
    def failure(self) -> Measurement | None:
        """The row that says why the profile failed (a failed profile is that one row); None when it did not."""
        return next((row for row in self.rows if row.status is not Status.OK), None)

    @property
    def status(self) -> Status:
        return self.failure.status if self.failure else Status.OK


def latency_values(stats: LatencyStats) -> list[tuple[str, float, str]]:
    """The latency statistics as (metric, value, unit)."""
    values = [(f"latency_{name}", getattr(stats, name), "ms") for name in LATENCY_FIELDS]
    return values + [
        ("latency_cv", stats.cv, "ratio"),
        ("latency_drift", stats.drift, "ratio"),
        ("latency_count", stats.count, "runs"),
    ]


def result_rows(
    artifact: Artifact,
    device: str,
    result: AgentResult,
    provenance: str,
    remote: dict | None = None,
    threads: int | None = None,
    plan: RunPlan | None = None,
    notes: dict | None = None,
) -> Profile:
    """Rows for one agent result: load, first inference, ``latency`` (the headline estimate, estimate.py) with the
    other latency statistics, and memory; or one row with the reason. ``remote`` is the identity of the machine the
    agent ran on (hostname, uname...) when it is not this one; ``threads`` is the thread count as decided by the
    caller (stored as decided, not as the agent echoed it); ``notes`` is what the details say of the group it was
    measured in (measure/groups.py)."""
    stats = LatencyStats.from_samples(result.samples_ms) if result.status == "ok" else None
    units = {"compute_units": result.compute_units} if result.compute_units else {}
    timed = Rounds.measured(result.samples_ms, result.rounds, result.cpu_ms, result.wait_ms) if stats else None
    seen = {**interference(timed, result, plan), "noise": stats.noise()} if timed and stats else {}
    details = {**(remote or host_details()), **result.environment, **seen, **units, **(notes or {})}
    context = Context.of_artifact(
        artifact,
        runtime=result.runtime,
        runtime_version=result.runtime_version,
        threads=threads or result.threads,
        warmup_runs=len(result.warmup_ms) + 1 if result.status == "ok" else None,
        runs=len(result.samples_ms) or None,
        provenance=provenance,
        details=json.dumps(details),
        **({"host": remote["hostname"]} if remote else {}),
    )
    key = RowKey.of(artifact, device)
    if stats is None or timed is None:  # timed exists exactly when stats does
        return Profile([key.failure("latency", Status(result.status), result.error, context)], [])
    values = [
        ("load_time", result.load_ms, "ms"),
        ("first_inference", result.first_ms, "ms"),
        ("latency", estimate(timed), "ms"),
        *latency_values(stats),
        ("peak_rss", result.peak_rss_bytes, "bytes"),
        ("rss_before_load", result.rss_before_load_bytes, "bytes"),
    ]
    rows = [key.row(metric, value, unit, context) for metric, value, unit in values]
    per_run = dict(
        rounds=result.rounds,
        positions=result.positions,
        processes=result.processes,
        timestamps=result.timestamps,
        cpu_ms=result.cpu_ms,
        wait_ms=result.wait_ms,
        marked=timed.marked if result.cpu_ms else [],
    )
    return Profile(rows, [key.samples(result.samples_ms, **per_run)])


def interference(timed: Rounds, result: AgentResult, plan: RunPlan | None) -> dict:
    """What the row says about the machine while it was measured: the share of marked runs, the swing between
    rounds and how busy the CPUs beside the agent's were, whether they make it contended (estimate.py), the
    kernel's view per burst summarised (with the page faults per run: memory handed back and faulted in again
    between runs, see agent.keep_freed_memory), and where the agent ran."""
    kernel, swing, neighbours = result.kernel, timed.swing, neighbour_busy(result.kernel)
    seen = {
        "marked_share": round(timed.marked_share, 4),
        "contended": contended(timed.marked_share, swing, neighbours),
        "round_swing": None if swing is None else round(swing, 4),
        "neighbour_busy": None if neighbours is None else round(neighbours, 4),
        "estimator": LATENCY_ESTIMATOR,
        "rounds": len(set(result.rounds)) or None,
        "processes": len(set(result.processes)) or None,
        "cpus": result.cpus or None,
    }
    if plan is not None and result.rounds:
        seen["round_seed"] = plan.seed
        seen["burst_seconds"], seen["burst_runs"] = plan.burst_seconds, plan.burst_runs
        if result.burst_runs:
            seen["paced_burst_runs"] = result.burst_runs
        if result.grown_burst_runs:
            seen["grown_burst_runs"] = result.grown_burst_runs
        if plan.together:
            seen["rounds_together"] = True
        seen["few_runs"] = few_runs(len(result.samples_ms), sum(result.samples_ms) / 1e3, plan) or None
    for name in ("procs_running", "load_1min", "steal_share", "psi_some_share", "faults_per_run"):
        values = [k[name] for k in kernel if name in k]
        if values:
            seen[f"{name}_max"] = round(max(values), 4)
    return {k: v for k, v in seen.items() if v is not None}


def tool_context(artifact: Artifact, run: ToolRun, provenance: str, host: str, details: dict) -> Context:
    return Context.of_artifact(
        artifact,
        runtime=run.tool,
        runtime_version=run.tool_version,
        threads=run.threads,
        warmup_runs=run.warmup_runs,
        runs=run.runs,
        host=host,
        provenance=provenance,
        details=json.dumps(
            {"tool": run.tool, **details, **({"estimator": LATENCY_ESTIMATOR} if run.samples_ms else {})},
            sort_keys=True,
        ),
    )


def tool_rows(artifact: Artifact, device: str, run: ToolRun, context: Context) -> Profile:
    """One row per value the tool printed; raw samples (where printed) give the full latency statistics and
    ``latency``, the headline estimate over their rounds (one round per invocation, ``parsers.combined``)."""
    key = RowKey.of(artifact, device)
    values = dict(run.values)
    samples = []
    if run.samples_ms:
        stats = LatencyStats.from_samples(run.samples_ms)
        values.update(
            {
                metric: (value, unit)
                for metric, value, unit in latency_values(stats)
                if metric not in ("latency_cv", "latency_drift")
            }
        )
        values["latency"] = (estimate(Rounds(tuple(run.samples_ms), run.sample_rounds)), "ms")
        samples = [key.samples(run.samples_ms, **({"rounds": run.sample_rounds} if run.sample_rounds else {}))]
    rows = [key.row(metric, value, unit, context) for metric, (value, unit) in values.items()]
    return Profile(rows, samples)


def failed_rows(artifact: Artifact, device: str, status: Status, error: str, context: Context) -> Profile:
    return Profile([RowKey.of(artifact, device).failure("latency", status, error, context)], [])

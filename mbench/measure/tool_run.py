"""What a device tool measured in one invocation (``ToolRun``), and several invocations on one artifact combined
into one: the shape the tool parsers (devices/parsers) produce and rows.py turns into rows."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


class UnparsableOutput(ValueError):
    """The tool's output holds none of the lines its parser knows; the message quotes its tail."""


@dataclass(frozen=True)
class ToolRun:
    """One run of a device tool. ``values`` maps an mbench metric (latency_mean, load_time, op:CONV_2D, ...)
    to (value, unit); ``samples_ms`` holds raw per-run latencies where the tool prints them."""

    tool: str
    values: dict[str, tuple[float, str]] = field(default_factory=dict)
    samples_ms: tuple[float, ...] = ()
    tool_version: str = ""
    threads: int | None = None
    runs: int | None = None
    warmup_runs: int | None = None
    details: dict[str, str] = field(default_factory=dict)  # what the tool said about the device (model, OS)
    sample_rounds: tuple[int, ...] = ()  # the round of each sample, where invocations were combined (``combined``)


COMBINED = (
    "latency_count: their sum; latency_mean: weighted by their counts; latency_min / latency_max: the lowest / "
    "highest; every other figure (median, percentiles, stdev, load, memory, per-operator): the median of "
    "the invocations' values"
)


def combined(runs: list[ToolRun], rounds: list[int] | None = None) -> ToolRun:
    """Several invocations of one tool on one artifact (rounds on a device whose tool times a whole invocation) as
    one run, as ``COMBINED`` says; per-run samples, where printed, are kept in order with the round of their
    invocation (``rounds``, by default each invocation's index: an artifact's rounds end at its first failed one)."""
    if len(runs) == 1:
        return runs[0]
    counts = [run.values.get("latency_count", (1.0, ""))[0] for run in runs]
    values: dict[str, tuple[float, str]] = {}
    for metric in dict.fromkeys(m for run in runs for m in run.values):
        found = [(run.values[metric][0], count) for run, count in zip(runs, counts) if metric in run.values]
        unit = next(run.values[metric][1] for run in runs if metric in run.values)
        numbers = [value for value, _ in found]
        if metric == "latency_count":
            value = sum(numbers)
        elif metric == "latency_mean":
            value = sum(v * c for v, c in found) / sum(c for _, c in found)
        elif metric in ("latency_min", "latency_max"):
            value = (min if metric == "latency_min" else max)(numbers)
        else:
            value = statistics.median(numbers)
        values[metric] = (value, unit)
    first = runs[0]
    return ToolRun(
        first.tool,
        values,
        tuple(v for run in runs for v in run.samples_ms),
        first.tool_version,
        first.threads,
        sum(run.runs or 0 for run in runs) or None,
        first.warmup_runs,
        first.details,
        tuple(k for k, run in zip(rounds or range(len(runs)), runs) for _ in run.samples_ms),
    )

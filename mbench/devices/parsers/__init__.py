"""Pure functions from a device tool's stdout to a ToolRun: what the tool measured, in mbench's units.

One module per tool (benchmark_model, onnxruntime_perf_test, XCTest); none of them runs anything.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MIB = 1024 * 1024


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


NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


def key_values(line: str) -> dict[str, float]:
    """``count=50 first=249042 avg=2.95e+06`` as a dict of floats."""
    return {key: float(value) for key, value in re.findall(rf"(\w+)=({NUMBER})", line)}


def unparsable(tool: str, text: str) -> UnparsableOutput:
    tail = " | ".join(line.strip() for line in text.strip().splitlines()[-3:] if line.strip())
    return UnparsableOutput(f"{tool} printed no result this parser knows: {tail[:300] or '(no output)'}")

"""Pure functions from a device tool's stdout to a ToolRun: what the tool measured, in mbench's units.

One module per tool (benchmark_model, onnxruntime_perf_test, XCTest); none of them runs anything.
"""

from __future__ import annotations

import re

from mbench.measure.tool_run import COMBINED, ToolRun, UnparsableOutput, combined

__all__ = ["COMBINED", "MIB", "NUMBER", "ToolRun", "UnparsableOutput", "combined", "key_values", "unparsable"]

MIB = 1024 * 1024


NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


def key_values(line: str) -> dict[str, float]:
    """``count=50 first=249042 avg=2.95e+06`` as a dict of floats."""
    return {key: float(value) for key, value in re.findall(rf"(\w+)=({NUMBER})", line)}


def unparsable(tool: str, text: str) -> UnparsableOutput:
    tail = " | ".join(line.strip() for line in text.strip().splitlines()[-3:] if line.strip())
    return UnparsableOutput(f"{tool} printed no result this parser knows: {tail[:300] or '(no output)'}")

"""XCTest output from ``xcodebuild test`` / ``test-without-building`` (and ``swift test``, same lines).

Two sources: the JSON lines mbench's own harness prints (``MBENCH-IOS {...}``, one per compute unit), and XCTest's
``Test Case '-[Suite test]' measured [Time, seconds] average: .., values: [..], performanceMetricID:..`` lines, which
every ``measure {}`` block prints (wall clock, ``Clock Monotonic Time``, memory in kB, CPU).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from mbench.devices.parsers import NUMBER, ToolRun, unparsable

TOOL = "xctest"
HARNESS_MARKER = "MBENCH-IOS "
_MEASURED = re.compile(
    r"Test Case '-\[(?P<test>[^\]]+)\]' measured \[(?P<label>[^,\]]+(?:\([^)]*\))?), "
    r"(?P<unit>[^\]]+)\] average: (?P<average>" + NUMBER + r"),.*?values: \[(?P<values>[^\]]*)\]"
    r"(?:, performanceMetricID:(?P<metric_id>[\w.\-]+))?"
)
_SECONDS = {"s": 1e3, "seconds": 1e3, "ms": 1.0}
_XCODE = re.compile(r"Xcode (\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class XCTMeasurement:
    test: str
    label: str
    unit: str
    average: float
    values: tuple[float, ...]
    metric_id: str = ""


def measurements(text: str) -> list[XCTMeasurement]:
    found = []
    for match in _MEASURED.finditer(text):
        values = tuple(float(v) for v in re.findall(NUMBER, match.group("values")))
        found.append(
            XCTMeasurement(
                match.group("test"),
                match.group("label").strip(),
                match.group("unit").strip(),
                float(match.group("average")),
                values,
                match.group("metric_id") or "",
            )
        )
    return found


def time_run(measurement: XCTMeasurement) -> ToolRun | None:
    """A timing measurement (wall clock or monotonic clock) as a ToolRun with its raw samples in ms."""
    scale = _SECONDS.get(measurement.unit)
    if scale is None or "Time" not in measurement.label or "CPU" in measurement.label:
        return None
    return ToolRun(TOOL, samples_ms=tuple(v * scale for v in measurement.values), runs=len(measurement.values))


def harness_runs(text: str) -> dict[str, ToolRun]:
    """The harness's JSON lines, keyed by compute unit."""
    runs = {}
    for line in text.splitlines():
        if HARNESS_MARKER not in line:
            continue
        record = json.loads(line.split(HARNESS_MARKER, 1)[1])
        values = {"load_time": (float(record["load_ms"]), "ms"), "first_inference": (float(record["first_ms"]), "ms")}
        if record.get("footprint_bytes"):
            values["memory_footprint"] = (float(record["footprint_bytes"]), "bytes")
        runs[record["compute_units"]] = ToolRun(
            TOOL,
            values,
            tuple(float(v) for v in record["samples_ms"]),
            tool_version=xcode_version(text),
            runs=len(record["samples_ms"]),
            warmup_runs=int(record.get("warmup_runs", 0)) or None,
            details={key: str(record[key]) for key in ("machine", "os") if key in record},
        )
    return runs


def xcode_version(text: str) -> str:
    found = _XCODE.search(text)
    return found.group(1) if found else ""


def parse(text: str) -> dict[str, ToolRun]:
    """Harness JSON lines when present, else one ToolRun per timed XCTest measurement (keyed by test name)."""
    runs = harness_runs(text)
    if not runs:
        for measurement in measurements(text):
            run = time_run(measurement)
            if run:
                runs[measurement.test] = run
    if not runs:
        raise unparsable(TOOL, text)
    return runs

"""LiteRT / TFLite ``benchmark_model`` stdout.

Known variants: lines with or without an ``INFO:`` (or glog) prefix; stats with or without
``p5=/median=/p95=``; ``curr=X(all same)`` when every run took the same time; the new
``Inference timings in us: Init: .., First inference: .., Warmup (avg): .., Inference (avg): ..`` and the old
``Average inference timings in us: Warmup: .., Init: .., no stats: ..``; ``Peak memory footprint (MB)``,
``Memory footprint delta from the start of the tool (MB)`` and ``Overall peak memory footprint (MB) via periodic
monitoring``; and the op-profiling tables, of which the last ``Summary by node type`` and the last ``Run Order``
are the steady-state ones.
"""

from __future__ import annotations

import re

from mbench.devices.parsers import MIB, NUMBER, ToolRun, key_values, unparsable

TOOL = "benchmark_model"
_PREFIX = re.compile(r"^(?:.*\] |INFO: |\s)*")
_ALL_SAME = re.compile(rf"count=(\d+) curr=({NUMBER})\(all same\)")
_STAT_NAMES = {
    "avg": "latency_mean",
    "std": "latency_stdev",
    "min": "latency_min",
    "max": "latency_max",
    "median": "latency_median",
    "p5": "latency_p5",
    "p95": "latency_p95",
}
_TIMINGS = {
    "Init": "load_time",
    "First inference": "first_inference",
    "Warmup (avg)": "warmup_mean",
    "Warmup": "warmup_mean",
    "Inference (avg)": "latency_mean",
    "Inference": "latency_mean",
    "no stats": "latency_mean",
}
_MEMORY = {
    "Peak memory footprint (MB)": "peak_memory",
    "Memory footprint delta from the start of the tool (MB)": "memory_delta",
}


def _clean(line: str) -> str:
    return _PREFIX.sub("", line.rstrip())


def stats_of(line: str) -> dict[str, float]:
    """A ``count=...`` line as statistics in microseconds; ``(all same)`` means min = max = avg, std 0."""
    same = _ALL_SAME.search(line)
    if same:
        value = float(same.group(2))
        return {"count": float(same.group(1)), "avg": value, "min": value, "max": value, "std": 0.0}
    return key_values(line)


def _steady_and_warmup(lines: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    runs = [stats_of(line) for line in lines if line.startswith("count=")]
    if not runs:
        runs = [stats_of(line) for line in lines if line.startswith("Timings (microseconds): count=")][-1:]
    if not runs:
        return {}, {}
    return runs[-1], runs[0] if len(runs) > 1 else {}


def _timings(lines: list[str]) -> dict[str, tuple[float, str]]:
    values: dict[str, tuple[float, str]] = {}
    for line in lines:
        if "inference timings in us:" in line.lower():
            for label, number in re.findall(rf"([A-Za-z][A-Za-z ()]*?): ({NUMBER})", line.split("us:", 1)[1]):
                if label.strip() in _TIMINGS:
                    values.setdefault(_TIMINGS[label.strip()], (float(number) / 1e3, "ms"))
        session = re.match(rf"Initialized session in ({NUMBER}) ?ms", line)
        if session:
            values.setdefault("load_time", (float(session.group(1)), "ms"))
    return values


def _memory(lines: list[str]) -> dict[str, tuple[float, str]]:
    values = {}
    for line in lines:
        for label, metric in _MEMORY.items():
            if line.startswith(label + ":"):
                numbers = key_values(line)
                values[metric] = (numbers["overall"] * MIB, "bytes")
                values[metric + "_init"] = (numbers["init"] * MIB, "bytes")
        monitored = re.match(rf"Overall peak memory footprint \(MB\)[^:]*: ({NUMBER})", line)
        if monitored:
            values["peak_memory_monitored"] = (float(monitored.group(1)) * MIB, "bytes")
    return values


def op_times(text: str) -> dict[str, float]:
    """Average ms per run of each node type, from the last ``Summary by node type`` table."""
    blocks = text.split("Summary by node type")
    if len(blocks) < 2:
        return {}
    ops = {}
    for line in blocks[-1].splitlines()[2:]:
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 7 or not fields[-7]:
            break
        ops[fields[-7]] = float(fields[-5])
    return ops


def run_order(text: str) -> list[tuple[str, float, str]]:
    """(node type, avg ms, Name) of each node of the last ``Run Order`` table, in the order the nodes ran (the
    steady-state table; an earlier one covers AllocateTensors). Name is the node's output tensor."""
    blocks = text.split("Run Order")
    if len(blocks) < 2:
        return []
    nodes = []
    for line in blocks[-1].splitlines()[2:]:
        fields = [f.strip() for f in _clean(line).split("\t") if f.strip()] if "\t" in line else []
        if len(fields) < 9:
            break
        nodes.append((fields[0], float(fields[3]), "\t".join(fields[8:])))
    return nodes


def _threads(lines: list[str]) -> int | None:
    for line in lines:
        found = re.match(r"(?:Num threads|#threads used for CPU inference): \[(\d+)\]", line)
        if found:
            return int(found.group(1))
    return None


def parse(text: str) -> ToolRun:
    lines = [_clean(line) for line in text.splitlines()]
    steady, warmup = _steady_and_warmup(lines)
    values = _timings(lines)
    for name, microseconds in steady.items():
        if name in _STAT_NAMES:
            values.setdefault(_STAT_NAMES[name], (microseconds / 1e3, "ms"))
    if "latency_mean" not in values:
        raise unparsable(TOOL, text)
    if "count" in steady:
        values["latency_count"] = (steady["count"], "runs")
    values.update(_memory(lines))
    values.update({f"op:{name}": (ms, "ms") for name, ms in op_times(text).items()})
    count = int(steady["count"]) if "count" in steady else None
    return ToolRun(
        TOOL,
        values,
        threads=_threads(lines),
        runs=count,
        warmup_runs=int(warmup["count"]) if "count" in warmup else None,
    )

"""``onnxruntime_perf_test`` stdout.

Known variants: ``Session creation time cost: 0.2 s`` with or without the space after the colon,
``Average inference time cost`` with or without ``total``, the newer latency block (``Min Latency: .. s``, ``P50``,
``P90``, ``P95``, ``P99``) and ``First inference time cost`` only in newer builds, ``Peak working set size: N bytes``.
"""

from __future__ import annotations

import re

from mbench.devices.parsers import NUMBER, ToolRun, unparsable

TOOL = "onnxruntime_perf_test"
# label pattern -> (metric, multiplier to mbench's unit, unit)
_LINES = {
    r"Session creation time cost": ("load_time", 1e3, "ms"),
    r"First inference time cost": ("first_inference", 1.0, "ms"),
    r"Average inference time cost(?: total)?": ("latency_mean", 1.0, "ms"),
    r"Total inference requests": ("latency_count", 1.0, "runs"),
    r"Min Latency": ("latency_min", 1e3, "ms"),
    r"Max Latency": ("latency_max", 1e3, "ms"),
    r"P50 Latency": ("latency_median", 1e3, "ms"),
    r"P90 Latency": ("latency_p90", 1e3, "ms"),
    r"P95 Latency": ("latency_p95", 1e3, "ms"),
    r"P99 Latency": ("latency_p99", 1e3, "ms"),
    r"Peak working set size": ("peak_memory", 1.0, "bytes"),
}


def parse(text: str) -> ToolRun:
    values: dict[str, tuple[float, str]] = {}
    threads = None
    for line in text.splitlines():
        for label, (metric, scale, unit) in _LINES.items():
            found = re.match(rf"\s*{label}: ?({NUMBER})", line)
            if found:
                values.setdefault(metric, (float(found.group(1)) * scale, unit))
        setting = re.match(r"Setting intra_op_num_threads to (\d+)", line)
        if setting:
            threads = int(setting.group(1))
    if "latency_mean" not in values:
        raise unparsable(TOOL, text)
    count = values.get("latency_count", (None,))[0]
    return ToolRun(TOOL, values, threads=threads or None, runs=int(count) if count else None)

"""Converter coverage: which model converts to which format at which precision, how faithfully, and what broke.

``record_coverage`` converts (through ``convert_and_record``), stores each model's parity tolerance, and optionally
runs every host-runnable artifact a few times; ``coverage_frame`` turns the stored rows into one row per
(model, format, precision) with a state; ``matrix_html`` renders them as a self-contained HTML fragment.
"""
from __future__ import annotations

import enum
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, assert_never

from mbench.measure import RunPlan
from mbench.results import Context, Measurement
from mbench.spec import Format, ModelSpec, Precision, Status

if TYPE_CHECKING:
    import pandas as pd

    from mbench.convert import Conversion
    from mbench.devices.inventory import Inventory
    from mbench.store import Store

HOST_RUN_PLAN = RunPlan(warmup_runs=3, warmup_seconds=0.2, runs=10, min_seconds=0.3, max_seconds=30.0)
CONVERSION_METRICS = ("conversion", "size", "parity_max_abs")
LATENCY_METRICS = ("latency_median", "latency")
TOLERANCE_METRIC = "parity_tolerance"
# Rows from `mbench convert` carry no tolerance row: they are judged by ModelSpec's default absolute tolerance.
DEFAULT_TOLERANCE = ModelSpec.__dataclass_fields__["parity_atol"].default


class CellState(str, enum.Enum):
    """How far an artifact got, in order: each state implies the ones before it (but failed)."""

    FAILED = "failed"
    CONVERTED = "converted"
    PARITY_EXCEEDED = "parity exceeded"
    PARITY_OK = "parity within tolerance"
    RUNS = "runs on host"


def relative_tolerance(precision: Precision) -> float:
    """Allowed |artifact - PyTorch| as a fraction of the largest |PyTorch output|: outputs differ in scale."""
    match precision:
        case Precision.FP32:
            return 1e-4
        case Precision.FP16:
            return 1e-2
        case (Precision.INT8 | Precision.INT8_DYNAMIC | Precision.INT8_WEIGHTS | Precision.PALETTE8 |
              Precision.PALETTE6 | Precision.PALETTE4):
            return 1e-1
        case _:
            assert_never(precision)


def reference_scale(spec: ModelSpec) -> float:
    """The largest |PyTorch output| on the parity input, as the conversions compute it."""
    import numpy as np

    from mbench.convert import reference_output

    return float(np.abs(reference_output(spec)[2]).max())


def parity_tolerance(spec: ModelSpec, precision: Precision, scale: float | None = None) -> tuple[float, float]:
    """(tolerance, largest |reference output|): the larger of the spec's absolute one and the relative one."""
    scale = reference_scale(spec) if scale is None else scale
    return max(spec.parity_atol, relative_tolerance(precision) * scale), scale


def tolerance_row(spec: ModelSpec, precision: Precision, scale: float) -> Measurement:
    tolerance, _ = parity_tolerance(spec, precision, scale)
    details = {"atol": spec.parity_atol, "rtol": relative_tolerance(precision), "reference_max_abs": scale}
    return Measurement(spec.name, Format.PYTORCH.value, precision.value, "host", TOLERANCE_METRIC, tolerance, "abs",
                       context=Context(details=json.dumps(details)))


@dataclass(frozen=True)
class HostRun:
    """Where and how to run each converted artifact a few times; None in ``record_coverage`` skips it."""

    inventory: "Inventory"
    device: str = "host"
    plan: RunPlan = HOST_RUN_PLAN
    threads: int | None = None


def record_coverage(specs: list[ModelSpec], formats: list[Format], precisions: list[Precision], out_dir: Path,
                    store: "Store", host_run: HostRun | None = None,
                    on_outcome: Callable[["Conversion"], None] | None = None, on_result=None) -> None:
    """Convert every model to every format at every precision, store tolerances, then run on the host if asked."""
    from mbench.convert import ConvertSettings
    from mbench.results import new_run_id
    from mbench.sweep import convert_and_record, profile_and_record

    convert_and_record(specs, formats, out_dir, store, ConvertSettings(tuple(precisions)), on_outcome,
                       command="mbench coverage")
    run_id = new_run_id()
    store.start_run(run_id, "mbench coverage (parity tolerances)")
    scales = {spec.name: reference_scale(spec) for spec in specs}
    store.append(run_id, [tolerance_row(spec, precision, scales[spec.name]) for precision in precisions
                          for spec in specs])
    if host_run is not None:
        profile_and_record(out_dir, host_run.device, host_run.inventory, store, host_run.plan, host_run.threads,
                           [s.name for s in specs], on_result=on_result, command="mbench coverage (host runs)")


# Where converters name the operator they could not handle, most specific first.
OPERATOR_PATTERNS = (
    re.compile(r"lowering for Torch `(\w+)` op"),  # coremltools
    re.compile(r"convert function for op '(\w+)' not implemented"),  # coremltools
    re.compile(r"Unsupported fx node (\w+)"),  # coremltools
    re.compile(r"Lowering not found: (?:aten\.)?([\w.]+)"),  # litert-torch
    re.compile(r"'(tfl\.\w+)' op"),  # the TFLite MLIR converter
    re.compile(r"failed to legalize operation '([\w.]+)'"),  # litert-torch's MLIR passes (e.g. mhlo.convolution)
    re.compile(r"aten[.:]+(\w+)"),  # torch.onnx (dynamo) and others naming an aten op
)


def operator_in_message(message: str) -> str:
    """The operator a converter's error names, or "" when it names none."""
    for pattern in OPERATOR_PATTERNS:
        found = pattern.search(message)
        if found:
            return found.group(1).removesuffix(".default")
    return ""


def _latest(rows: "pd.DataFrame", metrics: tuple[str, ...]) -> "pd.DataFrame":
    chosen = rows[rows["metric"].isin(metrics)].sort_values("id")
    return chosen.drop_duplicates(["model", "format", "precision"], keep="last").set_index(
        ["model", "format", "precision"])


def coverage_frame(measurements: "pd.DataFrame", models: list[str] | None = None) -> "pd.DataFrame":
    """One row per (model, format, precision) of the latest conversion: state, parity, tolerance, latency, error."""
    import pandas as pd

    rows = measurements[(measurements["format"] != Format.PYTORCH.value) & (measurements["device"] == "host")]
    if models:
        rows = rows[rows["model"].isin(models)]
    latest = _latest(rows, CONVERSION_METRICS)
    conversion_rows = rows.merge(latest["run_id"].reset_index(), on=["model", "format", "precision", "run_id"])
    tolerances = _latest(measurements, (TOLERANCE_METRIC,)).reset_index(level="format", drop=True)["value"]
    latency = _latest(rows, LATENCY_METRICS)
    cells = [_cell(key, group, tolerances, latency, latest.loc[key, "id"])
             for key, group in conversion_rows.groupby(["model", "format", "precision"])]
    frame = _suspect_operators(pd.DataFrame(cells, columns=CELL_COLUMNS))
    return frame.sort_values(["model", "format", "precision"]).reset_index(drop=True)


def _suspect_operators(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Where a failure names no operator, suggest those another format's failure of the same model named."""
    failed = frame["state"] == CellState.FAILED.value
    named = frame[failed & (frame["operator"] != "")]
    for i in frame.index[failed & (frame["operator"] == "")]:
        others = named[named["model"] == frame.at[i, "model"]]
        if not others.empty:
            frame.at[i, "operator"] = "not named; suspect " + ", ".join(
                f"{op} (named by {fmt})" for op, fmt in zip(others["operator"], others["format"]))
    return frame


CELL_COLUMNS = ["model", "format", "precision", "state", "parity_max_abs", "tolerance", "latency_ms", "operator",
                "error"]


def _cell(key, group: "pd.DataFrame", tolerances, latency, converted_id) -> list:
    model, fmt, precision = key
    by_metric = group.set_index("metric")
    if "conversion" in by_metric.index:
        error = str(by_metric.loc["conversion", "error"])
        return [*key, CellState.FAILED.value, None, None, None, operator_in_message(error), error]
    parity = by_metric.loc["parity_max_abs"] if "parity_max_abs" in by_metric.index else None
    tolerance = tolerances.get((model, precision), DEFAULT_TOLERANCE)
    run = latency.loc[key] if key in latency.index and latency.loc[key, "id"] > converted_id else None
    state, error = _state(parity, tolerance, run)
    latency_ms = run["value"] if run is not None and run["status"] == Status.OK.value else None
    max_abs = parity["value"] if parity is not None else None
    return [*key, state.value, max_abs, tolerance, latency_ms, "", error]


def _state(parity, tolerance, run) -> tuple[CellState, str]:
    """The furthest state reached, and the reason it went no further."""
    if parity is None or parity["status"] != Status.OK.value:
        return CellState.CONVERTED, "" if parity is None else str(parity["error"])
    if parity["value"] > tolerance:
        return CellState.PARITY_EXCEEDED, f"max |artifact - PyTorch| {parity['value']:.3g} > {tolerance:.3g}"
    if run is None:
        return CellState.PARITY_OK, "not run on the host"
    if run["status"] != Status.OK.value:
        return CellState.PARITY_OK, str(run["error"])
    return CellState.RUNS, ""


STATE_COLOURS = {CellState.FAILED: "#f8d0d0", CellState.CONVERTED: "#e8e8e8", CellState.PARITY_EXCEEDED: "#fbe3b8",
                 CellState.PARITY_OK: "#d9f0d3", CellState.RUNS: "#a6dba0"}
CELL_STYLE = "border:1px solid #bbb;padding:3px 6px;vertical-align:top;font:12px sans-serif"


def html_cell(text: str, colour: str = "", title: str = "") -> str:
    style = CELL_STYLE + (f";background:{colour}" if colour else "")
    tip = f' title="{html.escape(title)}"' if title else ""
    return f'<td style="{style}"{tip}>{html.escape(text)}</td>'


def _th(text: str) -> str:
    return f'<th style="{CELL_STYLE};background:#f4f4f4;text-align:left">{html.escape(text)}</th>'


def html_table(header: list[str], body: list[str]) -> str:
    """A plain table with inline styles; ``body`` holds ready ``<tr>`` strings."""
    head = "<tr>" + "".join(_th(h) for h in header) + "</tr>"
    return f'<table style="border-collapse:collapse">{head}{"".join(body)}</table>'


def _matrix_cell(cell) -> str:
    state = CellState(cell.state)
    text = state.value
    if cell.latency_ms is not None and cell.latency_ms == cell.latency_ms:
        text += f" · {cell.latency_ms:.2f} ms"
    if state is CellState.FAILED:
        text += f" · {cell.operator or 'op not named'}"
    return html_cell(text, STATE_COLOURS[state], cell.error)


def matrix_html(frame: "pd.DataFrame") -> str:
    """Model x (format, precision) states, a legend, and every failure with its operator and message."""
    columns = sorted({(f, p) for f, p in zip(frame["format"], frame["precision"])})
    cells = {(c.model, c.format, c.precision): c for c in frame.itertuples()}
    body = []
    for model in sorted(set(frame["model"])):
        row = [html_cell(model)] + [_matrix_cell(cells[(model, *col)]) if (model, *col) in cells else html_cell("-")
                              for col in columns]
        body.append("<tr>" + "".join(row) + "</tr>")
    matrix = html_table(["model"] + [f"{f} {p}" for f, p in columns], body)
    legend = " ".join(f'<span style="background:{c};padding:2px 6px;font:12px sans-serif">{html.escape(s.value)}'
                      "</span>" for s, c in STATE_COLOURS.items())
    note = ("Hover a cell for the reason it went no further (e.g. Core ML converts on Linux but runs only on macOS). "
            "Parity: max |artifact - PyTorch| on a seeded input within the larger of the model's absolute tolerance "
            "and a relative one (1e-4 of the largest output at fp32).")
    return (f'<section style="font:13px sans-serif"><h2>Converter coverage</h2><p>{legend}</p>'
            f"<p>{html.escape(note)}</p>{matrix}{_failures_html(frame)}</section>")


def _failures_html(frame: "pd.DataFrame") -> str:
    failed = frame[frame["state"] == CellState.FAILED.value]
    if failed.empty:
        return "<p>No conversion failed.</p>"
    body = ["<tr>" + html_cell(f.model) + html_cell(f"{f.format} {f.precision}") + html_cell(f.operator or "not named")
            + html_cell(f.error[:600]) + "</tr>" for f in failed.itertuples()]
    return "<h3>Failures</h3>" + html_table(["model", "format", "operator", "converter's message"], body)


def standalone_page(title: str, *fragments: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f'<body style="font:13px sans-serif;margin:20px"><h1>{html.escape(title)}</h1>{"".join(fragments)}'
            "</body></html>\n")

"""Converter coverage, the reading half: one row per (model, format, precision) of the latest conversion with the
state it reached, and the operator a failure names; ``matrix_html`` renders them as a self-contained fragment.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from mbench.convert.diagnose import operator_in_message
from mbench.convert.parity import VACUOUS, psnr_in_details
from mbench.spec import Format, Status
from mbench.sweep.coverage import DEFAULT_TOLERANCE, TOLERANCE_METRIC
from mbench.report.render import render
from mbench.results import details_of
from mbench.store import latest_rows

if TYPE_CHECKING:
    import pandas as pd

CONVERSION_METRICS = ("conversion", "size", "parity_max_abs")
LATENCY_METRICS = ("latency_median", "latency")


class CellState(str, enum.Enum):
    """How far an artifact got, in order: each state implies the ones before it (but failed)."""

    FAILED = "failed"
    CONVERTED = "converted"
    PARITY_VACUOUS = "parity vacuous"  # the PyTorch output ignores the input: agreeing with it checks nothing
    PARITY_EXCEEDED = "parity exceeded"
    PARITY_OK = "parity within tolerance"
    RUNS = "runs on host"


def _latest(rows: pd.DataFrame, metrics: tuple[str, ...]) -> pd.DataFrame:
    artifact = ("model", "format", "precision")
    return latest_rows(rows, artifact, metrics).set_index(list(artifact))


def coverage_frame(measurements: pd.DataFrame, models: list[str] | None = None) -> pd.DataFrame:
    """One row per (model, format, precision) of the latest conversion: state, parity, tolerance, latency, error."""
    import pandas as pd

    rows = measurements[(measurements["format"] != Format.PYTORCH.value) & (measurements["device"] == "host")]
    if models:
        rows = rows[rows["model"].isin(models)]
    latest = _latest(rows, CONVERSION_METRICS)
    conversion_rows = rows.merge(latest["run_id"].reset_index(), on=["model", "format", "precision", "run_id"])
    tolerances = _latest(measurements, (TOLERANCE_METRIC,)).reset_index(level="format", drop=True)["value"]
    latency = _latest(rows, LATENCY_METRICS)
    cells = [
        _cell(key, group, tolerances, latency, latest.loc[key, "id"])
        for key, group in conversion_rows.groupby(["model", "format", "precision"])
    ]
    frame = _suspect_operators(pd.DataFrame(cells, columns=CELL_COLUMNS))
    return frame.sort_values(["model", "format", "precision"]).reset_index(drop=True)


def _suspect_operators(frame: pd.DataFrame) -> pd.DataFrame:
    """Where a failure names no operator, suggest those another format's failure of the same model named."""
    failed = frame["state"] == CellState.FAILED.value
    named = frame[failed & (frame["operator"] != "")]
    for i in frame.index[failed & (frame["operator"] == "")]:
        others = named[named["model"] == frame.at[i, "model"]]
        if not others.empty:
            frame.at[i, "operator"] = "not named; suspect " + ", ".join(
                f"{op} (named by {fmt})" for op, fmt in zip(others["operator"], others["format"])
            )
    return frame


CELL_COLUMNS = [
    "model",
    "format",
    "precision",
    "state",
    "parity_max_abs",
    "tolerance",
    "latency_ms",
    "operator",
    "error",
]


def _cell(key, group: pd.DataFrame, tolerances, latency, converted_id) -> list:
    model, fmt, precision = key
    by_metric = group.set_index("metric")
    if "conversion" in by_metric.index:
        error = str(by_metric.loc["conversion", "error"])
        return [*key, CellState.FAILED.value, None, None, None, operator_in_message(error), error]
    parity = by_metric.loc["parity_max_abs"] if "parity_max_abs" in by_metric.index else None
    tolerance = tolerances.get((model, precision), _judged_tolerance(parity))
    run = latency.loc[key] if key in latency.index and latency.loc[key, "id"] > converted_id else None
    state, error = _state(parity, tolerance, run)
    latency_ms = run["value"] if run is not None and run["status"] == Status.OK.value else None
    max_abs = parity["value"] if parity is not None else None
    return [*key, state.value, max_abs, tolerance, latency_ms, "", error]


def _judged_tolerance(parity) -> float:
    """The tolerance the conversion judged the parity by (mbench.convert.parity), else the default absolute one."""
    found = details_of(parity["details"]).get("tolerance") if parity is not None else None
    return DEFAULT_TOLERANCE if found is None else float(found)


def _state(parity, tolerance, run) -> tuple[CellState, str]:
    """The furthest state reached, and the reason it went no further."""
    if parity is None or parity["status"] != Status.OK.value:
        return CellState.CONVERTED, "" if parity is None else str(parity["error"])
    found = details_of(parity["details"])
    if found.get(VACUOUS):
        return CellState.PARITY_VACUOUS, found.get("parity_vacuous_reason", "")
    if parity["value"] > tolerance:
        return CellState.PARITY_EXCEEDED, f"max |artifact - PyTorch| {parity['value']:.3g} > {tolerance:.3g}"
    psnr, floor = psnr_in_details(parity["details"]), found.get("psnr_floor_db")
    if psnr is not None and floor is not None and psnr < floor:
        return CellState.PARITY_EXCEEDED, f"PSNR {psnr:.1f} dB < {floor:g} dB"
    if run is None:
        return CellState.PARITY_OK, "not run on the host"
    if run["status"] != Status.OK.value:
        return CellState.PARITY_OK, str(run["error"])
    return CellState.RUNS, ""


STATE_COLOURS = {
    CellState.FAILED: "#f8d0d0",
    CellState.CONVERTED: "#e8e8e8",
    CellState.PARITY_VACUOUS: "#e6d5f0",
    CellState.PARITY_EXCEEDED: "#fbe3b8",
    CellState.PARITY_OK: "#d9f0d3",
    CellState.RUNS: "#a6dba0",
}


def _matrix_cell(cell) -> dict:
    state = CellState(cell.state)
    text = state.value
    if cell.latency_ms is not None and cell.latency_ms == cell.latency_ms:
        text += f" · {cell.latency_ms:.2f} ms"
    if state is CellState.FAILED:
        text += f" · {cell.operator or 'op not named'}"
    return {"text": text, "colour": STATE_COLOURS[state], "title": cell.error}


def matrix_html(frame: pd.DataFrame) -> str:
    """Model x (format, precision) states, a legend, and every failure with its operator and message."""
    columns = sorted({(f, p) for f, p in zip(frame["format"], frame["precision"])})
    cells = {(c.model, c.format, c.precision): c for c in frame.itertuples()}
    rows = [
        (model, [_matrix_cell(cells[(model, *col)]) if (model, *col) in cells else None for col in columns])
        for model in sorted(set(frame["model"]))
    ]
    return render(
        "coverage.html.j2",
        columns=[f"{f} {p}" for f, p in columns],
        rows=rows,
        legend=[(s.value, c) for s, c in STATE_COLOURS.items()],
        failures=list(frame[frame["state"] == CellState.FAILED.value].itertuples()),
    )


def standalone_page(title: str, *fragments: str) -> str:
    """Fragments (already rendered HTML) on a page of their own."""
    return render("standalone.html.j2", title=title, fragments=fragments) + "\n"

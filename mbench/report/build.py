"""Render the store into one self-contained HTML file: styles, scripts and plotly.js inlined, no network to open it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

import pandas as pd

from mbench import __version__
from mbench.accuracy.summary import ACCURACY_METRICS
from mbench.report import plots, precision, tables
from mbench.report.headline import Headline, headlines
from mbench.report.ops import ops_sections
from mbench.report.sections import GroupedTable, Section, Table
from mbench.report.render import render, write_page
from mbench.store import Store, latest_rows, newest_model_rows


@dataclass(frozen=True)
class Page:
    """Everything the template draws, built from the latest rows of the store."""

    headlines: list[Headline]
    overview: Table
    plots: list[plots.Plot]
    failures: GroupedTable
    context: Table
    provenance: Table
    metric: str | None
    sections: list[Section]  # drawn where their data exists (builtin_sections), before any extra ones
    left_out: list[Section]  # drawn last: models whose older source's rows were left out


def build_page(store: Store, pairs: list[tuple[str, str]] = (), metric: str | None = None) -> Page | None:
    measured = store.measurements()
    kept, left_out = newest_model_rows(measured)
    rows = latest_rows(kept)
    if rows.empty:
        return None
    metric = tables.accuracy_metric(rows, metric)
    emulated = tables.emulated_timing(rows)
    everything, rows, on_emulators = rows, rows[~emulated], rows[emulated]
    wide = tables.comparison(rows)
    older = set(measured.artifact_sha256) - set(kept.artifact_sha256)  # artifacts of a model's older source
    left_apart = older, set(on_emulators.device)
    samples = [s for s in store.samples() if s.artifact_sha256 not in left_apart[0] and s.device not in left_apart[1]]
    figures = plots.size_vs_latency(wide) + [
        plots.pareto(wide, rows, metric),
        plots.distributions(samples),
        plots.op_breakdown(rows),
    ]
    return Page(
        headlines(rows, list(pairs), metric, samples),
        Table.of_frame(wide),
        [f for f in figures if f],
        _failures(everything),
        Table.of_frame(tables.context(everything)),
        Table.of_frame(tables.provenance_summary(everything)),
        metric,
        builtin_sections(rows, samples) + ops_sections(kept) + _emulated_section(on_emulators),
        _left_out_section(left_out),
    )


def _failures(rows: pd.DataFrame) -> GroupedTable:
    bad = tables.failures(rows)
    return GroupedTable.of_groups(list(bad.columns), tables.failure_runs(bad))


def builtin_sections(rows: pd.DataFrame, samples: list = ()) -> list[Section]:
    """Sections drawn only when their data exists: precision, accuracy, converter coverage, layer benchmark."""
    if rows.empty:
        return []
    found = []
    if rows.precision.nunique() > 1:
        found.append(
            Section.of_frame(
                "Precision",
                precision.precision_view(rows),
                "Each model's formats and precisions side by side: size, parity with fp32 PyTorch and latency, "
                "each against the fp32 artifact of the same format on the same device. A lower precision that is "
                "slower than fp32 is listed first: quantized kernels are not faster on every CPU.",
                tuple(precision.precision_findings(rows, samples)),
            )
        )
    if rows.metric.isin(ACCURACY_METRICS).any():
        found.append(
            Section.of_frame(
                "Accuracy",
                _accuracy_table(rows),
                "Task accuracy per artifact (edge maps: ODS/OIS F and AP by the BSDS protocol; corners: SmartDoc-style "
                "quadrilateral IoU and detection rate), and each artifact's difference from fp32 PyTorch.",
            )
        )
    return found + _coverage_sections(rows)


def _accuracy_table(rows: pd.DataFrame) -> pd.DataFrame:
    from mbench.accuracy.summary import deltas_against_pytorch, latest_accuracy

    deltas = deltas_against_pytorch(rows).add_prefix("Δ ")
    return latest_accuracy(rows).join(deltas).reset_index()


def _coverage_sections(rows: pd.DataFrame) -> list[Section]:
    from mbench.sweep.coverage import TOLERANCE_METRIC
    from mbench.report.coverage import coverage_frame
    from mbench.report.layers import layer_frame
    from mbench.models.conv_variants import layer_names

    found = []
    if (rows.metric == TOLERANCE_METRIC).any():
        found.append(
            Section.of_frame(
                "Converter coverage",
                coverage_frame(rows),
                "Each model x format x precision of `mbench coverage`: converted, parity within tolerance, runs on "
                "this host, or failed with the operator and the converter's message.",
            )
        )
    layers = [name for name in layer_names() if name in set(rows.model)]
    if layers:
        found.append(
            Section.of_frame(
                "Layer benchmark",
                layer_frame(rows, layers),
                "One layer per model: parameters, MACs and latency per format "
                "(`latency`, the headline estimate; the median for rows from before it).",
            )
        )
    return found


def _emulated_section(on_emulators: pd.DataFrame) -> list[Section]:
    if on_emulators.empty:
        return []
    return [
        Section.of_frame(
            "Emulated devices",
            tables.comparison(on_emulators),
            "Timed under an emulator (devices.yaml `emulated: true`, e.g. the arm64 board of `make board`): the "
            "runtimes' own aarch64 kernels ran, but an emulated time is not a device's speed (hundreds of times this "
            "machine's), so these rows are left out of the headline, the Pareto front and `mbench compare`'s verdicts.",
        )
    ]


def _left_out_section(left_out: pd.DataFrame) -> list[Section]:
    if left_out.empty:
        return []
    return [
        Section.of_frame(
            "Older source models left out",
            left_out,
            "A model name whose source model (structure and weights hash) changed is reported with its newest model's "
            "rows only, so numbers of two different models are never paired under one name.",
        )
    ]


def render_report(
    store: Store,
    out: Path,
    title: str = "mbench report",
    pairs: list[tuple[str, str]] = (),
    metric: str | None = None,
    sections: list[Section] = (),
    page: Page | None = None,
) -> Path:
    """Write the report to `out`. `pairs` adds headline pairs after the HED one; `metric` picks the accuracy
    metric of the Pareto plot (default: the first measured of ods_f, top1, miou); `sections` are extra tables
    (e.g. a coverage matrix) drawn after the built-in ones; `page`: one already built from this store with the same
    pairs and metric (a command that also prints its headline builds it once)."""
    import plotly.offline

    page = page or build_page(store, pairs, metric)
    sections = [*page.sections, *sections, *page.left_out] if page else list(sections)
    html = render(
        "report.html.j2",
        title=title,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        page=page,
        sections=sections,
        runs=Table.of_frame(store.runs()),
        plotly_js=plotly.offline.get_plotlyjs() if page and page.plots else "",
    )
    return write_page(out, html)

"""Plotly figures for the report, serialised as JSON that is safe inside a <script> element.

Text from models, devices and operators is HTML-escaped before it reaches plotly (plotly renders a few tags in
labels and decodes entities, so `<script>` shows as text), and `<`, `>`, `&` in the JSON become \\u escapes, so no
string can close the script element it is embedded in.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from mbench.report import tables
from mbench.report.pareto import pareto_front
from mbench.report.ties import ties
from mbench.results import SampleSet

SIZE, LATENCY = "size (MB)", "latency (ms)"  # latency: the headline estimate (the median for older rows)
LAYOUT = dict(template="plotly_white", height=440, margin=dict(l=60, r=20, t=50, b=50), hovermode="closest")


@dataclass(frozen=True)
class Plot:
    anchor: str
    title: str
    note: str
    figure_json: str


def embeddable(figure) -> str:
    """The figure as JSON with every <, > and & escaped, so it can sit inside <script type=application/json>."""
    return figure.to_json().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _text(value: object) -> str:
    return html.escape(str(value))


def _label(row) -> str:
    return " · ".join(_text(getattr(row, k)) for k in tables.KEY)


def size_vs_latency(wide: pd.DataFrame) -> list[Plot]:
    """One scatter per device: artifact size against latency, a trace per model, formats (and precisions
    other than fp32) as labels."""
    import plotly.graph_objects as go

    plots = []
    timed = wide.dropna(subset=[SIZE, LATENCY])
    for device, points in timed.groupby("device"):
        figure = go.Figure(layout=dict(LAYOUT, xaxis_title="latency (ms)", yaxis_title="artifact size (MB)"))
        gap = SIDE_BY_SIDE * ((points[LATENCY].max() - points[LATENCY].min()) or 1.0)
        for model, mine in points.groupby("model"):
            figure.add_scatter(
                x=mine[LATENCY].tolist(),
                y=mine[SIZE].tolist(),
                name=_text(model),
                mode="markers+text",
                text=[_text(f if p == "fp32" else f"{f} {p}") for f, p in zip(mine.format, mine.precision)],
                textposition=label_positions(mine[LATENCY].tolist(), gap),
                marker=dict(size=11),
            )
        where = ", ".join(sorted(points.provenance.unique()))
        title = f"Size against latency on {device} (provenance: {where})"
        note = "Lower left is smaller and faster. Each point is one artifact on this device."
        plots.append(Plot(f"size-latency-{len(plots)}", title, note, embeddable(figure)))
    return plots


SIDE_BY_SIDE = 0.06  # of the latency range: points of one model closer than this take their labels in turn


def label_positions(latencies: list[float], gap: float) -> list[str]:
    """Each point's label above it, but below for every other one of a run of points less than ``gap`` apart in
    latency (one model's formats often take about the same time; their labels overlapped)."""
    order = sorted(range(len(latencies)), key=latencies.__getitem__)
    positions, below = ["top center"] * len(latencies), False
    for before, point in zip(order, order[1:]):
        below = not below if latencies[point] - latencies[before] < gap else False
        positions[point] = "bottom center" if below else "top center"
    return positions


def pareto(wide: pd.DataFrame, rows: pd.DataFrame, metric: str | None) -> Plot | None:
    """Accuracy (or, without one, size) against latency, with each device's Pareto front drawn."""
    points = _pareto_points(wide, rows, metric)
    if points.empty:
        return None
    figure = _pareto_figure(points, metric)
    if metric:
        note = (
            f"Higher and further left is better. The line joins, per device, the artifacts no other artifact "
            f"beats on both {metric} and latency; {metric} differences within the resolution of the images "
            "scored (a paired bootstrap over them, docs/parity.md) are ties, so of two tied artifacts the faster "
            "one alone is on the front."
        )
    else:
        note = (
            "No accuracy metric (ods_f, top1, miou) is in the database yet, so this front trades artifact size "
            "against latency instead: lower and further left is better."
        )
    title = f"{metric or 'Size'} against latency: the Pareto front"
    return Plot("pareto", title, note, embeddable(figure))


def _pareto_points(wide: pd.DataFrame, rows: pd.DataFrame, metric: str | None) -> pd.DataFrame:
    if not metric:
        return wide.dropna(subset=[SIZE, LATENCY]).assign(y=lambda f: f[SIZE])
    scores = rows[(rows.metric == metric) & (rows.status == "ok")]
    scores = scores.groupby(tables.KEY[:3], as_index=False)[["value", "details"]].last()
    scores = scores.rename(columns={"value": "y", "details": "y_details"})
    return wide.dropna(subset=[LATENCY]).merge(scores, on=tables.KEY[:3]).dropna(subset=["y"])


def _pareto_figure(points: pd.DataFrame, metric: str | None):
    import plotly.graph_objects as go

    y_title = metric or "artifact size (MB)"
    figure = go.Figure(layout=dict(LAYOUT, xaxis_title="latency (ms)", yaxis_title=_text(y_title)))
    for device, mine in points.groupby("device"):
        labels = [_label(r) for r in mine.itertuples()]
        figure.add_scatter(
            x=mine[LATENCY].tolist(),
            y=mine.y.tolist(),
            name=_text(device),
            mode="markers",
            text=labels,
            hovertemplate=f"%{{text}}<br>%{{x:.3g}} ms, {_text(y_title)} %{{y:.4g}}<extra></extra>",
            marker=dict(size=10),
        )
        margin = ties(metric, list(mine.y_details)) if metric else None
        front = mine.iloc[pareto_front(list(zip(mine[LATENCY], mine.y)), maximize_y=bool(metric), margin=margin)]
        texts, positions = _direct_labels(front, points)
        figure.add_scatter(
            x=front[LATENCY].tolist(),
            y=front.y.tolist(),
            name=f"Pareto front ({_text(device)})",
            mode="lines+markers+text",
            text=texts,
            textposition=positions,
            textfont=dict(size=11),
            marker=dict(symbol="circle-open", size=18, line=dict(width=2)),
            line=dict(dash="dash"),
            hoverinfo="skip",
        )
    return figure


DIRECT_LABELS = 6  # the most front points labelled on the plot itself; every point has its label on hover
LABEL_GAP = (0.25, 0.08)  # a label's point is this far from other labels' in x or in y (fractions of the ranges)


def _direct_labels(front: pd.DataFrame, points: pd.DataFrame) -> tuple[list[str], list[str]]:
    """'model format precision' for up to DIRECT_LABELS front points, far enough apart not to overlap ("" for the
    rest), and each label's position: left of points in the right half, so none runs off the plot."""
    x, y = points[LATENCY], points.y
    span_x, span_y = (x.max() - x.min()) or 1.0, (y.max() - y.min()) or 1.0
    placed: list[tuple[float, float]] = []
    texts, positions = [], []
    for r, latency in zip(front.itertuples(), front[LATENCY]):
        at = (latency - x.min()) / span_x, (r.y - y.min()) / span_y
        free = all(abs(at[0] - p[0]) > LABEL_GAP[0] or abs(at[1] - p[1]) > LABEL_GAP[1] for p in placed)
        texts.append(_text(f"{r.model} {r.format} {r.precision}") if free and len(placed) < DIRECT_LABELS else "")
        placed += [at] if texts[-1] else []
        positions.append("top left" if at[0] > 0.5 else "top right")
    return texts, positions


def distributions(samples: list[SampleSet]) -> Plot | None:
    """Box plots of the raw timed runs of the newest sample set per artifact and device."""
    import plotly.graph_objects as go

    latest = {(s.model, s.format, s.precision, s.device): s for s in samples}
    if not latest:
        return None
    figure = go.Figure(
        layout=dict(
            LAYOUT, xaxis_title="latency per run (ms)", showlegend=False, height=max(300, 60 + 36 * len(latest))
        )
    )
    for key, sample_set in sorted(latest.items()):
        figure.add_box(
            x=list(sample_set.values_ms), name=" · ".join(_text(k) for k in key), boxpoints="outliers", orientation="h"
        )
    note = "Every timed run, not just the summary: a wide box or a long tail means the median alone misleads."
    return Plot("distributions", "Latency distributions from the raw samples", note, embeddable(figure))


def op_breakdown(rows: pd.DataFrame, top: int = 25) -> Plot | None:
    """Per-operator time where a runtime reported one, the `top` costliest operators overall."""
    import plotly.graph_objects as go

    ops = tables.op_rows(rows)
    if ops.empty:
        return None
    keep = ops.groupby("op").value.sum().nlargest(top).index
    ops = ops[ops.op.isin(keep)]
    unit = _text(ops.unit.iloc[0] or "ms")
    figure = go.Figure(
        layout=dict(
            LAYOUT, xaxis_title=f"time per operator ({unit})", barmode="group", height=max(320, 80 + 22 * len(keep))
        )
    )
    for key, mine in ops.groupby(tables.KEY):
        figure.add_bar(
            x=mine.value.tolist(),
            y=[_text(o) for o in mine.op],
            orientation="h",
            name=" · ".join(_text(k) for k in key),
        )
    note = f"The {len(keep)} costliest operators as the runtime's own profiler reported them."
    return Plot("ops", "Per-operator breakdown", note, embeddable(figure))

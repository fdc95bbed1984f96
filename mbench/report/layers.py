"""The layer-level benchmark: each conv-variant micro-model's weights, MACs and host latency per format."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mbench.report.render import render
from mbench.store import latest_rows

if TYPE_CHECKING:
    import pandas as pd


def layer_frame(measurements: pd.DataFrame, layers: list[str]) -> pd.DataFrame:
    """One row per layer: parameters, MACs, and the latest `latency` (ms, the headline estimate) on the host per
    format; the median where a row was measured before that metric existed."""
    rows = measurements[measurements["model"].isin(layers) & (measurements["status"] == "ok")].sort_values("id")
    facts = latest_rows(rows, ("model", "metric"), ("parameters", "macs"))
    frame = facts.pivot(index="model", columns="metric", values="value").reindex(columns=["parameters", "macs"])
    latency = latest_rows(
        rows[rows["device"] == "host"], ("model", "format", "precision", "metric"), ("latency", "latency_median")
    )
    latency = latency.assign(fallback=latency["metric"] != "latency").sort_values("fallback")
    latency = latency.drop_duplicates(["model", "format", "precision"], keep="first")
    per_format = latency.pivot_table(index="model", columns=["format", "precision"], values="value")
    per_format.columns = [f"{f} {p} ms" for f, p in per_format.columns]
    frame = frame.join(per_format, how="outer").reindex([n for n in layers if n in set(rows["model"])])
    return frame.rename_axis("layer").reset_index().astype({"parameters": "Int64", "macs": "Int64"}, errors="ignore")


def layer_html(frame: pd.DataFrame, descriptions: dict[str, str] | None = None) -> str:
    """The layer table as a self-contained HTML fragment; blank where a format was not measured."""
    columns = [c for c in frame.columns if c != "layer"]
    rows = [
        (values["layer"], (descriptions or {}).get(values["layer"], ""), [_number(values[c]) for c in columns])
        for values in (dict(zip(frame.columns, row)) for row in frame.itertuples(index=False))
    ]
    return render("layers.html.j2", columns=["layer", *columns], rows=rows)


def _number(value) -> str:
    if value is None or value != value:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3f}"

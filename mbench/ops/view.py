"""Op rows read back from the store: each artifact's newest pass, its modules' times, and the runtimes of one model
side by side.

Each operator is filed under its primary module (modules.shown_as: the convolution of a fused Conv+BatchNorm+ReLU),
so a runtime that fuses and one that does not line up in the same leaf modules; the batch norm and activation that
PyTorch eager runs on their own keep rows that the fusing runtimes do not have. ``depth`` cuts paths to sum whole
blocks.

Core ML's pass has estimated shares of the cost, not times (``op_estimated_share``): ``estimated_shares`` reads them
apart, and nothing here adds them to, or lines them up with, another runtime's milliseconds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from mbench.errors import MBenchError
from mbench.ops.modules import ROOT, SEPARATOR, shown_as
from mbench.ops.rows import OP_ATTRIBUTED, OP_ESTIMATED, OP_MS
from mbench.results import Measurement, details_of

if TYPE_CHECKING:
    import pandas as pd

UNPLACED = "(not placed)"
REST = "(rest)"
ARTIFACT = ["model", "format", "precision", "device"]


class NoOpsPass(MBenchError):
    """The store holds no ops pass (for the model asked about)."""


def heaviest(rows: list[Measurement], count: int) -> list[tuple[str, float]]:
    """The heaviest modules of one pass's rows (each operator under its primary module), ms per inference (for an
    estimated pass, its estimated shares)."""
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        if row.metric in (OP_MS, OP_ESTIMATED) and row.value is not None:
            found = details_of(row.context.details)
            totals[shown_as(found.get("module", ""), found.get("placed", "")) or UNPLACED] += row.value
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


def passes_of(measurements: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """``newest_passes`` of every model, or of ``model``; NoOpsPass says what the store has instead."""
    passes = newest_passes(measurements)
    if passes.empty:
        raise NoOpsPass("no ops pass in this store: run `mbench profile ARTIFACTS --ops` first")
    if model is not None and model not in set(passes.model):
        raise NoOpsPass(
            f"no ops pass of model {model!r} in this store; passes exist for {', '.join(sorted(set(passes.model)))}"
        )
    return passes if model is None else passes[passes.model == model]


def newest_passes(measurements: pd.DataFrame) -> pd.DataFrame:
    """The op rows of each artifact's (and device's) newest pass, with ``module``, ``op_type``, ``placed``,
    ``where`` read from their details and ``runtime`` as a label column; empty when no pass was stored."""
    rows = measurements[measurements.metric.isin([OP_MS, OP_ESTIMATED, OP_ATTRIBUTED])]
    if rows.empty:
        return rows.assign(module=[], op_type=[], placed=[], where=[])
    newest = rows.sort_values("id").groupby(ARTIFACT)["run_id"].transform("last")
    rows = rows[rows.run_id == newest].copy()
    details = rows.details.map(details_of)
    for column in ("module", "op_type", "placed", "where"):
        rows[column] = details.map(lambda found, c=column: found.get(c, ""))
    rows["module"] = rows.module.where(rows.module != "", UNPLACED)
    return rows


def module_times(passes: pd.DataFrame, depth: int | None = None) -> pd.DataFrame:
    """ms per inference per (artifact, module): each operator under its primary module, cut to ``depth`` names."""
    return _per_module(passes, OP_MS, depth).rename(columns={"value": "ms"})


def estimated_shares(passes: pd.DataFrame, depth: int | None = None) -> pd.DataFrame:
    """Core ML's estimated share of the cost per (artifact, module), as ``module_times`` files them; heaviest first."""
    shares = _per_module(passes, OP_ESTIMATED, depth).rename(columns={"value": "share"})
    return shares.sort_values(ARTIFACT + ["share"], ascending=[True] * 4 + [False])


def _per_module(passes: pd.DataFrame, metric: str, depth: int | None) -> pd.DataFrame:
    ops = passes[(passes.metric == metric) & (passes.status == "ok")]
    shown = [shown_as(m, placed) if m != UNPLACED else m for m, placed in zip(ops.module, ops.placed)]
    modules = [_cut(m, depth) for m in shown]
    return ops.assign(module=modules).groupby(ARTIFACT + ["runtime", "module"], as_index=False)["value"].sum()


def _cut(module: str, depth: int | None) -> str:
    if depth is None or module in (ROOT, UNPLACED) or module.startswith("(") or SEPARATOR in module:
        return module
    return ".".join(module.split(".")[:depth])


def label(row) -> str:
    """An artifact's column title: format, precision, runtime (and device off the host)."""
    where = "" if row["device"] == "host" else f" @{row['device']}"
    return f"{row['format']} {row['precision']} ({row['runtime']}){where}"


def side_by_side(times: pd.DataFrame, model: str, top: int = 15) -> pd.DataFrame:
    """One model's modules (rows, heaviest first by their largest time on any artifact) against its artifacts
    (columns), ms per inference; beyond the ``top`` modules one ``(rest)`` row."""
    mine = times[times.model == model]
    if mine.empty:
        return mine
    mine = mine.assign(artifact=mine.apply(label, axis=1))
    table = mine.pivot_table(index="module", columns="artifact", values="ms", aggfunc="sum")
    table = table.loc[table.max(axis=1).sort_values(ascending=False).index]
    if len(table) > top:
        rest = table.iloc[top:].sum(min_count=1).rename(REST)
        table = table.iloc[:top]
        table.loc[REST] = rest
    return table


def top_modules(times: pd.DataFrame, count: int = 10) -> pd.DataFrame:
    """Each artifact's heaviest modules: module, ms, share of the artifact's time."""
    share = times.ms / times.groupby(ARTIFACT)["ms"].transform("sum")
    ordered = times.assign(share=share).sort_values(ARTIFACT + ["ms"], ascending=[True] * 4 + [False])
    return ordered.groupby(ARTIFACT, as_index=False).head(count)


def differ_most(table: pd.DataFrame, count: int = 5) -> pd.DataFrame:
    """The modules whose time differs most between the artifacts of a side-by-side table: slowest over fastest, for
    modules every artifact has, largest first; with the ms that ratio costs."""
    rows = table.drop(index=[REST], errors="ignore").dropna()
    rows = rows[(rows > 0).all(axis=1)]
    if rows.shape[1] < 2 or rows.empty:
        return rows.iloc[0:0]
    slow, fast = rows.idxmax(axis=1), rows.idxmin(axis=1)
    found = rows.assign(
        slowest=slow,
        fastest=fast,
        ratio=rows.max(axis=1) / rows.min(axis=1),
        gap_ms=rows.max(axis=1) - rows.min(axis=1),
    )
    return found.sort_values("gap_ms", ascending=False).head(count)[["slowest", "fastest", "ratio", "gap_ms"]]


def placed_summary(passes: pd.DataFrame, key: tuple) -> str:
    """One artifact's pass in words: the share of operator time placed, operators' and a whole inference's time."""
    summary = passes[(passes.metric == OP_ATTRIBUTED) & (passes[ARTIFACT].apply(tuple, axis=1) == tuple(key))]
    if summary.empty or summary.status.iloc[0] != "ok":
        return "no summary row"
    found = details_of(summary.details.iloc[0])
    if found.get("estimated"):
        return (
            f"{summary.value.iloc[0]:.1%} of the estimated cost placed; estimated shares (the compute plan's), not "
            f"times; {found.get('run_ms', 0):.3f} ms an inference (pass {found.get('pass_seconds', 0):.1f} s)"
        )
    return (
        f"{summary.value.iloc[0]:.1%} of operator time placed; operators {found.get('ops_ms', 0):.3f} ms of "
        f"{found.get('run_ms', 0):.3f} ms an inference (pass {found.get('pass_seconds', 0):.1f} s)"
    )


def module_changes(
    measurements: pd.DataFrame, run_a: str, run_b: str, count: int = 3, estimated: bool = False
) -> pd.DataFrame:
    """Per artifact measured by the ops passes of both runs, its ``count`` modules whose time changed most (in ms,
    either way): before, after, change (relative); empty when either run has no op rows. ``estimated``: Core ML's
    passes instead, their estimated shares of the cost (0-1) in place of ms."""
    import pandas as pd

    metric, value = (OP_ESTIMATED, "share") if estimated else (OP_MS, "ms")
    per_module = estimated_shares if estimated else module_times

    def values(run: str) -> pd.DataFrame:
        ops = measurements[(measurements.run_id == run) & (measurements.metric == metric)]
        found = per_module(newest_passes(ops)) if not ops.empty else pd.DataFrame(columns=ARTIFACT + ["module", value])
        return found.rename(columns={value: "value"})

    before, after = values(run_a), values(run_b)
    if before.empty or after.empty:
        return pd.DataFrame(columns=ARTIFACT + ["module", "before", "after", "change"])
    both = before.merge(after, on=ARTIFACT + ["module"], how="outer", suffixes=("_a", "_b"))
    both = both.fillna({"value_a": 0.0, "value_b": 0.0}).rename(columns={"value_a": "before", "value_b": "after"})
    both = both.assign(
        delta=(both.after - both.before).abs(),
        change=(both.after / both.before.where(both.before > 0)) - 1,
    )
    ranked = both.sort_values("delta", ascending=False).groupby(ARTIFACT, as_index=False).head(count)
    return ranked.sort_values(ARTIFACT + ["delta"], ascending=[True] * 4 + [False])[
        ARTIFACT + ["module", "before", "after", "change"]
    ]

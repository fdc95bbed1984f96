"""Op rows read back from the store: each artifact's newest pass, its modules' times, and the runtimes of one model
side by side.

Runtimes place time at different depths (PyTorch eager in leaf modules, a fused ONNX Runtime node in the block
around them), so before runtimes are lined up each module is rolled up into the coarsest module that any of them
reports above it (``aligned``); a row that spans several modules counts as their deepest common module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mbench.ops.modules import ROOT, common_ancestor
from mbench.ops.rows import OP_ATTRIBUTED, OP_MS
from mbench.results import details_of

if TYPE_CHECKING:
    import pandas as pd

UNPLACED = "(not placed)"
REST = "(rest)"
ARTIFACT = ["model", "format", "precision", "device"]


def newest_passes(measurements: pd.DataFrame) -> pd.DataFrame:
    """The op rows of each artifact's (and device's) newest pass, with ``module``, ``op_type``, ``placed``,
    ``where`` read from their details and ``runtime`` as a label column; empty when no pass was stored."""
    rows = measurements[measurements.metric.isin([OP_MS, OP_ATTRIBUTED])]
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
    """ms per inference per (artifact, module): joined modules as their common module, cut to ``depth`` names."""
    ops = passes[(passes.metric == OP_MS) & (passes.status == "ok")]
    modules = ops.module.map(lambda m: _cut(common_ancestor(m), depth))
    return (
        ops.assign(module=modules)
        .groupby(ARTIFACT + ["runtime", "module"], as_index=False)["value"]
        .sum()
        .rename(columns={"value": "ms"})
    )


def _cut(module: str, depth: int | None) -> str:
    if depth is None or module in (ROOT, UNPLACED) or ";" in module:
        return module
    return ".".join(module.split(".")[:depth])


def aligned(times: pd.DataFrame) -> pd.DataFrame:
    """``times`` with each module rolled up into the coarsest module that any artifact of the same model reports
    above it (never the root), and summed again."""
    frames = []
    for _, group in times.groupby("model"):
        keys = set(group.module)
        frames.append(group.assign(module=group.module.map(lambda m, keys=keys: _coarsest(m, keys))))
    if not frames:
        return times
    import pandas as pd

    return pd.concat(frames).groupby(ARTIFACT + ["runtime", "module"], as_index=False)["ms"].sum()


def _coarsest(module: str, keys: set[str]) -> str:
    if module in (ROOT, UNPLACED) or ";" in module:
        return module
    names = module.split(".")
    return next((".".join(names[:n]) for n in range(1, len(names)) if ".".join(names[:n]) in keys), module)


def label(row) -> str:
    """An artifact's column title: format, precision, runtime (and device off the host)."""
    where = "" if row["device"] == "host" else f" @{row['device']}"
    return f"{row['format']} {row['precision']} ({row['runtime']}){where}"


def side_by_side(times: pd.DataFrame, model: str, top: int = 15) -> pd.DataFrame:
    """One model's modules (rows, heaviest first by their largest time on any artifact) against its artifacts
    (columns), ms per inference; beyond the ``top`` modules one ``(rest)`` row."""
    mine = aligned(times[times.model == model])
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

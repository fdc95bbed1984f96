"""The report's "Where the time goes": per model, its modules' time on each runtime side by side (the newest ops pass
of each artifact, `mbench profile --ops`), the modules where the runtimes differ most, and the operators that fell
out of a delegate onto ExecuTorch's portable kernels. Core ML's estimated shares (its compute plan's, not times) are
a finding of their own, never a column of milliseconds."""

from __future__ import annotations

import pandas as pd

from mbench.ops.view import REST, differ_most, estimated_shares, module_times, newest_passes, side_by_side
from mbench.report.sections import Section

TOP = 15
NOTE = (
    "ms per inference per PyTorch module, from a profiling pass separate from the timed rounds (its "
    "profilers slow the runtimes down a little, so its sums run above `latency`). Each operator is filed under "
    "its primary module: the convolution's of a fused Conv+BatchNorm+ReLU, so the batch norms and activations "
    "that PyTorch eager runs on their own keep rows the fusing runtimes lack. The top {top} modules by their "
    "largest time, then the rest."
)


def ops_sections(measurements: pd.DataFrame) -> list[Section]:
    """One section per model with an ops pass in the store; none when there is none."""
    passes = newest_passes(measurements)
    if passes.empty:
        return []
    times = module_times(passes)
    return [_section(model, times, passes[passes.model == model]) for model in sorted(set(passes.model))]


def _section(model: str, times: pd.DataFrame, passes: pd.DataFrame) -> Section:
    table = side_by_side(times, model, TOP)
    findings = [*_differences(table), *_fell_out(passes), *_estimated(passes), *_not_profiled(passes)]
    if table.empty:  # no pass of this model timed its operators: Core ML's estimates or failures only
        return Section.of_frame(f"Where the time goes: {model}", _shares_table(passes), ESTIMATED_NOTE, tuple(findings))
    frame = table.reset_index().rename(columns={"index": "module"})
    frame.columns = [str(c) for c in frame.columns]
    return Section.of_frame(f"Where the time goes: {model}", frame, NOTE.format(top=TOP), tuple(findings))


ESTIMATED_NOTE = (
    "No pass of this model timed its operators. Core ML's compute plan gives each operation an estimated share of "
    "the cost, filed under its primary module as times are elsewhere: shares of the cost, not milliseconds."
)


def _shares_table(passes: pd.DataFrame) -> pd.DataFrame:
    """Core ML's estimated shares per module (rows, heaviest first) against its artifacts (columns); empty
    where the model's passes all failed."""
    shares = estimated_shares(passes)
    if shares.empty:
        return pd.DataFrame({"module": []})
    shares = shares.assign(
        artifact=[f"{r.format} {r.precision} @{r.device} (estimated share)" for r in shares.itertuples()]
    )
    table = shares.pivot_table(index="module", columns="artifact", values="share", aggfunc="sum")
    table = table.loc[table.max(axis=1).sort_values(ascending=False).index].head(TOP)
    return table.reset_index()


def _differences(table: pd.DataFrame) -> list[str]:
    return [
        f"{module}: {row.slowest} takes {row.ratio:.1f}x {row.fastest}'s time (+{row.gap_ms:.2f} ms)"
        for module, row in differ_most(table.drop(index=[REST], errors="ignore")).iterrows()
    ]


def _fell_out(passes: pd.DataFrame) -> list[str]:
    """Operators ExecuTorch ran on its portable kernels: what the delegate did not take, and where it came from."""
    portable = passes[(passes.metric == "op_ms") & (passes["where"] == "portable") & (passes.status == "ok")]
    if portable.empty:
        return []
    found = portable.groupby(["format", "precision", "op_type"], as_index=False).agg(
        ms=("value", "sum"), modules=("module", lambda m: ", ".join(sorted(set(m))[:4]))
    )
    return [
        f"{r.format} {r.precision}: {r.op_type} fell out of the delegate ({r.ms:.2f} ms on portable kernels, in "
        f"{r.modules})"
        for r in found.sort_values("ms", ascending=False).itertuples()
    ]


def _estimated(passes: pd.DataFrame, top: int = 3) -> list[str]:
    """Each Core ML pass's heaviest modules by the compute plan's estimated share of the cost."""
    shares = estimated_shares(passes)
    return [
        f"{key[1]} {key[2]} on {key[3]}: Core ML's compute plan estimates "
        + ", ".join(f"{r.module} {r.share:.0%}" for r in group.head(top).itertuples())
        + " of the cost (estimated shares, not times)"
        for key, group in shares.groupby(["model", "format", "precision", "device"], sort=True)
    ]


def _not_profiled(passes: pd.DataFrame) -> list[str]:
    bad = passes[passes.status != "ok"]
    return [f"{r.format} {r.precision} on {r.device}: {r.status}, {r.error}" for r in bad.itertuples()]

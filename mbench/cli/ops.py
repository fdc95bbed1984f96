"""`mbench ops`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mbench.cli._options import db_option
from mbench.errors import MBenchError


@click.command(name="ops")
@click.argument("model", required=False)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Modules shown per artifact (with MODEL: per table, the others summed as '(rest)').",
)
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    help="Cut module paths to this many names (1: the model's top-level modules) [default: as placed].",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the modules' times as JSON records (ms; Core ML's estimated shares as records with 'share' and "
    "'estimated': true instead).",
)
@db_option
def ops(model, top, depth, as_json, db):
    """Where the time goes: each artifact's heaviest PyTorch modules, from the newest per-operator pass in the store
    (`mbench profile ARTIFACTS --ops`), in ms per inference with their share. With MODEL: its runtimes side by
    side (each module rolled up to the coarsest module any runtime reports it in), and the modules where they differ
    most. Core ML's passes are listed apart: its compute plan gives each operation's estimated share of the cost,
    not a time.

    Example: mbench ops hed-vgg --depth 2
    """
    from mbench.ops.view import estimated_shares, module_times, passes_of
    from mbench.store import Store

    if not Path(db).is_file():
        raise MBenchError(f"{db}: no results database here (run `mbench profile ARTIFACTS --ops`, or pass --db PATH)")
    with Store(db) as store:
        passes = passes_of(store.measurements(), model)
    times, estimated = module_times(passes, depth), estimated_shares(passes, depth)
    if as_json:
        records = json.loads(times.to_json(orient="records"))
        records += [{**r, "estimated": True} for r in json.loads(estimated.to_json(orient="records"))]
        click.echo(json.dumps(records, indent=1))
        return
    _failures(passes)
    if model is None:
        _per_artifact(passes, times, top)
    else:
        _side_by_side(times, model, top)
    _estimated(passes, estimated, top)


def _failures(passes) -> None:
    bad = passes[passes.status != "ok"]
    for _, row in bad.iterrows():
        colour = "yellow" if row.status == "not_run" else "red"
        click.secho(f"{row.status:<7} {row.model} {row.format} {row.precision} on {row.device}: {row.error}", fg=colour)


def _per_artifact(passes, times, top: int) -> None:
    from mbench.ops.view import ARTIFACT, placed_summary, top_modules

    heaviest = top_modules(times, top)
    for key, group in heaviest.groupby(ARTIFACT, sort=True):
        click.echo(f"{' '.join(key[:3])} on {key[3]} ({group.runtime.iloc[0]}): {placed_summary(passes, key)}")
        for row in group.itertuples():
            click.echo(f"  {row.ms:9.3f} ms {row.share:6.1%}  {row.module}")


def _side_by_side(times, model: str, top: int) -> None:
    from mbench.ops.view import differ_most, side_by_side

    table = side_by_side(times, model, top)
    click.echo(f"{model}: ms per inference per module, newest ops pass of each artifact")
    click.echo(table.to_string(na_rep="-", float_format=lambda x: f"{x:.3f}"))
    differ = differ_most(table)
    if not differ.empty:
        click.echo("\nwhere they differ most:")
        for module, row in differ.iterrows():
            click.echo(f"  {module}: {row.slowest} {row.ratio:.2f}x {row.fastest} (+{row.gap_ms:.3f} ms)")


def _estimated(passes, shares, top: int) -> None:
    """Core ML's passes: the compute plan's estimated shares per module, apart from every time."""
    from mbench.ops.view import ARTIFACT, placed_summary

    for key, group in shares.groupby(ARTIFACT, sort=True):
        click.echo(f"{' '.join(key[:3])} on {key[3]} ({group.runtime.iloc[0]}): {placed_summary(passes, key)}")
        for row in group.head(top).itertuples():
            click.echo(f"  est. {row.share:6.1%}  {row.module}")


command = ops

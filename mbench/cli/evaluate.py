"""`mbench evaluate`."""
from __future__ import annotations

from pathlib import Path

import click

from mbench.cli._options import db_option, library_errors


@click.command(name="evaluate")
@click.argument("artifacts_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default="artifacts")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default="data/docs",
              show_default=True, help="Folder written by `mbench data docs`.")
@click.option("--split", type=click.Choice(["train", "val", "test"]), default="test", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N documents of the split.")
@click.option("--thresholds", "levels", type=click.IntRange(min=2), default=19, show_default=True,
              help="Edge thresholds swept for ODS/OIS/AP (BSDS uses 99).")
@click.option("--model", "model_filter", multiple=True, help="Only these models (repeatable).")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True, help="Runtime threads.")
@db_option
@library_errors
def evaluate(artifacts_dir, data_dir, split, limit, levels, model_filter, threads, db):
    """Score every edge-detection artifact on the document data: ODS/OIS F, AP, corner IoU, detection rate.

    Each runnable artifact's edge maps are scored with the BSDS protocol (tolerance 0.0075 x diagonal) and its
    document corners with the phone pipeline (SmartDoc 2015 IoU). Artifacts this host cannot run get not_run rows.

    Example: mbench evaluate artifacts/ --data data/docs --split test
    """
    from mbench.accuracy.evaluate import evaluate_and_record
    from mbench.store import Store

    with Store(db) as store:
        written = evaluate_and_record(artifacts_dir, data_dir, store, split, threads, list(model_filter), limit,
                                      levels, on_result=_print_scores)
    click.echo(f"{written} rows stored in {db}")


def _print_scores(artifact, rows) -> None:
    label = f"{artifact.model} {artifact.format.value:<8} {artifact.precision.value:<6}"
    if rows[0].status.value != "ok":
        colour = "yellow" if rows[0].status.value == "not_run" else "red"
        click.secho(f"{rows[0].status.value:<7} {label} {rows[0].error[:160]}", fg=colour)
        return
    values = "  ".join(f"{r.metric} {r.value:.3f}" for r in rows)
    click.echo(f"ok      {label} {values}")


command = evaluate

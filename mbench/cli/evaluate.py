"""`mbench evaluate`."""

from __future__ import annotations

from pathlib import Path

from mbench import paths

import click

from mbench.errors import MBenchError

from mbench.cli._echo import label
from mbench.cli._options import db_option
from mbench.cli.devices import inventory_option


@click.command(name="evaluate")
@click.argument("artifacts_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=paths.ARTIFACTS)
@click.option(
    "--task",
    type=click.Choice(["docs", "classify", "segment"]),
    default="docs",
    show_default=True,
    help="docs: edge/corner metrics on `mbench data docs` output; classify: top-1 on DATA/CLASS/*.png; "
    "segment: mIoU on DATA/images/*.png with DATA/masks/*.png.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="data/docs",
    show_default=True,
    help="The task's data folder.",
)
@click.option(
    "--normalize",
    type=click.Choice(["none", "imagenet"]),
    default="none",
    show_default=True,
    help="Input scaling after pixels / 255 (imagenet: mean/std per channel).",
)
@click.option("--split", type=click.Choice(["train", "val", "test"]), default="test", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N documents of the split.")
@click.option(
    "--thresholds",
    "levels",
    type=click.IntRange(min=2),
    default=19,
    show_default=True,
    help="Edge thresholds swept for ODS/OIS/AP (BSDS uses 99).",
)
@click.option("--model", "model_filter", multiple=True, help="Only these models (repeatable).")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True, help="Runtime threads.")
@click.option(
    "--output",
    "output_name",
    default="",
    help="The output scored, by its name in the manifest, for models with several [default: each artifact's first].",
)
@click.option(
    "--device",
    default="host",
    show_default=True,
    help="Where the artifacts run: a device from the inventory. On an SSH device mbench's agent runs each "
    "one there (inputs sent, outputs brought back, scores computed here) and also measures its "
    "parity with PyTorch there; Android and iPhone give not_run rows.",
)
@inventory_option
@db_option
def evaluate(
    artifacts_dir,
    task,
    data_dir,
    normalize,
    split,
    limit,
    levels,
    model_filter,
    threads,
    output_name,
    device,
    inventory_path,
    db,
):
    """Score every edge-detection artifact on the document data: ODS/OIS F, AP, corner IoU, detection rate.

    Each runnable artifact's edge maps are scored with the BSDS protocol (tolerance 0.0075 x diagonal) and its
    document corners with the phone pipeline (SmartDoc 2015 IoU). Artifacts this host cannot run get not_run rows.

    Your own models: --task classify --data FOLDER (one sub-folder per class) or --task segment --data FOLDER
    (images/ and masks/ of class indices), with --model naming them.

    Example: mbench evaluate artifacts/ --data data/docs --split test

    Example: mbench evaluate artifacts/ --device arm64-board --limit 5
    """
    from mbench.accuracy.evaluate import Task, evaluate_and_record
    from mbench.accuracy.predict import IMAGENET, Preprocess
    from mbench.devices.inventory import load_inventory
    from mbench.devices.predict import target
    from mbench.store import Store

    preprocess = IMAGENET if normalize == "imagenet" else Preprocess()
    where = target(device, load_inventory(inventory_path))
    with Store(db) as store:
        try:
            written = evaluate_and_record(
                artifacts_dir,
                data_dir,
                store,
                Task(task),
                split,
                threads,
                list(model_filter),
                limit,
                levels,
                preprocess,
                on_result=_print_scores,
                output=output_name,
                where=where,
            )
        except ValueError as error:
            raise MBenchError(str(error)) from None
    click.echo(f"{written} rows stored in {db}")


def _print_scores(artifact, rows) -> None:
    from mbench.accuracy.device_parity import METRIC as PARITY

    name = label(artifact.model, artifact.format, artifact.precision)
    if rows[0].status.value != "ok":
        colour = "yellow" if rows[0].status.value == "not_run" else "red"
        click.secho(f"{rows[0].status.value:<7} {name} {rows[0].error[:160]}", fg=colour)
        return
    values = "  ".join(f"{r.metric} {r.value:.2e}" if r.metric == PARITY else f"{r.metric} {r.value:.3f}" for r in rows)
    click.echo(f"ok      {name} {values}")


command = evaluate

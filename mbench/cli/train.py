"""`mbench train`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from mbench.errors import MBenchError


@click.command(name="train")
@click.argument("model_name", metavar="MODEL")
@click.option("--epochs", type=click.IntRange(min=1), default=6, show_default=True)
@click.option(
    "--n",
    "n_documents",
    type=click.IntRange(min=3),
    default=2000,
    show_default=True,
    help="Documents drawn from the seed; the first 80% are the train split.",
)
@click.option("--size", type=click.IntRange(min=32), default=128, show_default=True, help="Training resolution.")
@click.option("--batch", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=5e-4, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Data seed (as `mbench data docs --seed`).")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--max-minutes", type=click.FloatRange(min=0), help="Stop after the epoch that crosses this time.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Checkpoint .pt (state_dict); the config, data seed and curve go to the same name .json.",
)
def train(model_name, epochs, n_documents, size, batch, lr, seed, threads, max_minutes, out):
    """Train an HED model from scratch on synthetic documents on the CPU (class-balanced BCE, Adam).

    Example: mbench train hed-mobilenetv2 --epochs 10 --out mbench/models/weights/hed-mobilenetv2.pt
    """
    from mbench.models.hed import UNTRAINED
    from mbench.models.train import TrainConfig, save_checkpoint
    from mbench.models.train import train as run_training

    if model_name not in UNTRAINED:
        raise MBenchError(f"cannot train {model_name!r}: trainable models are {', '.join(sorted(UNTRAINED))}")
    config = TrainConfig(model_name, epochs, n_documents, size, batch, lr, seed, 0, threads, 1.0, max_minutes)
    click.echo(f"training {model_name}: {config}", err=True)
    model, history = run_training(config, log=_print_epoch)
    command = "mbench " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    path = save_checkpoint(model, config, history, out, command)
    click.echo(f"weights written to {path} (and {path.with_suffix('.json').name})")


def _print_epoch(entry) -> None:
    click.echo(f"epoch {entry.epoch:3d}  loss {entry.loss:.5f}  {entry.seconds:7.1f} s", err=True)


command = train

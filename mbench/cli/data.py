"""`mbench data`."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(name="data")
def data():
    """Make evaluation and training data.

    Example: mbench data docs --n 2000 --seed 0 --out data/docs
    """


@data.command(name="docs")
@click.option(
    "--n",
    "count",
    type=click.IntRange(min=3),
    default=2000,
    show_default=True,
    help="Documents in all; 80% train, 10% val, 10% test.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--size", type=click.IntRange(min=32), default=256, show_default=True, help="Image side in pixels.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="data/docs", show_default=True)
def docs(count, seed, size, out):
    """Synthetic document photos with edge and corner labels, deterministic from the seed.

    Writes OUT/{train,val,test}/NNNNN.png, NNNNN_edges.png (1-pixel document edges) and corners.json.

    Example: mbench data docs --n 2000 --seed 0 --out data/docs
    """
    from mbench.data.docs import write_dataset

    counts = write_dataset(out, count, seed, size)
    click.echo(
        f"{sum(counts.values())} documents ({', '.join(f'{k} {v}' for k, v in counts.items())}) "
        f"at {size}x{size} written under {out}/ from seed {seed}"
    )


command = data

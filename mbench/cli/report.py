"""`mbench report`."""

from __future__ import annotations

from pathlib import Path

from mbench import paths

import click

from mbench.errors import MBenchError

from mbench.cli._options import db_option, pair_option


@click.command(name="report")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=paths.REPORT, show_default=True
)
@click.option("--title", default="mbench report", show_default=True)
@pair_option(
    "Add a headline comparing model A with model B (repeatable); the pairs declared with the models come first."
)
@click.option("--metric", help="Accuracy metric of the Pareto plot [default: the first measured of ods_f, top1, miou].")
@db_option
def report(output, title, pairs, metric, db):
    """Write a self-contained HTML report of everything in the results database.

    Example: mbench report --db mbench.db -o reports/index.html --pair resnet50,xception
    """
    from mbench.report.build import build_page, render_report
    from mbench.store import Store, newest_model_rows

    if not Path(db).is_file():
        raise MBenchError(
            f"{db}: no results database here (run `mbench convert` and `mbench profile`, or pass --db PATH)"
        )
    with Store(db) as store:
        page = build_page(store, pairs, metric)
        path = render_report(store, output, title, pairs=pairs, metric=metric, page=page)
        left_out = newest_model_rows(store.measurements())[1]
    for row in left_out.itertuples(index=False):
        click.echo(f"{row.model}: {row[3]} rows of older source models ({row[2]}) left out; shown: {row[1]}")
    click.echo(f"report written to {path}")
    for headline in page.headlines if page else []:
        click.echo(headline.sentence)


command = report

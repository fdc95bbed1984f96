"""`mbench report`."""
from __future__ import annotations

from pathlib import Path

import click

from mbench.cli._options import db_option


@click.command(name="report")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default="reports/index.html",
              show_default=True)
@click.option("--title", default="mbench report", show_default=True)
@db_option
def report(output, title, db):
    """Write a self-contained HTML report of everything in the results database.

    Example: mbench report --db mbench.db -o reports/index.html
    """
    from mbench.report.build import render_report
    from mbench.store import Store

    if not Path(db).is_file():
        raise click.ClickException(f"{db}: no results database here (run `mbench convert` and `mbench profile`, "
                                   "or pass --db PATH)")
    with Store(db) as store:
        path = render_report(store, output, title)
    click.echo(f"report written to {path}")


command = report

"""`mbench run`."""

from __future__ import annotations

from pathlib import Path

import click

from mbench.cli._options import pair_option, verbose_option
from mbench.cli._progress import sweep_progress


@click.command(name="run")
@click.argument("config_path", metavar="CONFIG.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--fresh", is_flag=True, help="Profile everything again instead of resuming.")
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: in this process; ray: conversions and devices as Ray tasks (needs mbench[lab]).",
)
@click.option(
    "--address",
    default=None,
    help="With --executor ray: an existing cluster (auto or ray://HOST:PORT); "
    "without it a local Ray instance sized to this machine.",
)
@pair_option(
    "Measure models A and B of the sweep in the same rounds on every device, whichever executor, and give "
    "the pair a headline in the report (repeatable; added to the sweep file's `pairs`)."
)
@click.option("--quiet", is_flag=True, help="No progress display, only the summary.")
@verbose_option
def run(config_path, fresh, executor, address, pairs, quiet):
    """Run a whole sweep from a YAML file: convert, profile on every device, write the report.

    Conversions are cached; an interrupted sweep resumes where it stopped (artifacts already profiled on a
    device by an earlier run of the same config, and the same pairs, are kept, the rest is done). Artifacts are
    measured in the groups `mbench profile` makes (a model's formats and precisions, the declared pairs, the sweep's
    `pairs` and --pair), by either executor. See examples/sweep.yaml.

    Example: mbench run examples/sweep.yaml
    """
    from mbench.report.build import build_page, render_report
    from mbench.store import Store
    from mbench.sweep import run_sweep
    from mbench.sweep.config import load_sweep_config, with_pairs

    config = with_pairs(load_sweep_config(config_path), pairs)
    with Store(config.db) as store, sweep_progress(quiet) as show:
        if executor == "ray":
            from mbench.sweep.ray import run_sweep_ray

            artifacts = run_sweep_ray(config, store, show, fresh, address)
        else:
            artifacts = run_sweep(config, store, show, fresh)
        page = build_page(store, config.pairs)
        report = render_report(store, config.report, pairs=config.pairs, page=page) if config.report else None
    click.echo(
        f"{len(artifacts)} artifacts on {len(config.devices)} device(s); results in {config.db}"
        + (f"; report {report}" if report else "")
    )
    for headline in page.headlines if page else []:
        click.echo(headline.sentence)


command = run

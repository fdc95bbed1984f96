"""`mbench coverage`."""

from __future__ import annotations

from pathlib import Path

from mbench import paths

import click

from mbench.cli._echo import echo_conversion, echo_profile
from mbench.cli._options import db_option, format_list, precision_list


@click.command(name="coverage")
@click.argument("model_names", nargs=-1, metavar="[MODELS]...")
@click.option(
    "--to",
    "formats",
    default="onnx,coreml,tflite",
    show_default=True,
    callback=format_list(),
    help="Target formats, comma-separated.",
)
@click.option(
    "--precision",
    "precisions",
    default="fp32",
    show_default=True,
    callback=precision_list(),
    help="Precisions, comma-separated.",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=paths.ARTIFACTS, show_default=True)
@click.option(
    "--run/--no-run",
    "run_on_host",
    default=True,
    show_default=True,
    help="Run each host-runnable artifact a few times (at least 10 timed runs and 0.3 s) to mark it 'runs on host'.",
)
@click.option(
    "--devices",
    "inventory_path",
    type=click.Path(path_type=Path),
    default=paths.INVENTORY,
    show_default=True,
    help="Device inventory file (its 'host' entry runs the artifacts).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="reports/coverage.html",
    show_default=True,
    help="Where to write the matrix page.",
)
@db_option
def coverage(model_names, formats, precisions, out, run_on_host, inventory_path, html_path, db):
    """Convert models to every format and precision and write a matrix of what converts, agrees and runs.

    Without MODELS: the whole zoo (no test models, no @standard variants). Each failure is listed with the
    operator the converter named and its message. Conv-variant layers also get a weights/MACs/latency table.

    Example: mbench coverage resnet50 conv-standard3x3 --to onnx,tflite --html reports/coverage.html
    """
    from mbench.sweep.coverage import HostRun, record_coverage
    from mbench.devices.inventory import load_inventory
    from mbench.models.sources import spec_from_source
    from mbench.store import Store

    specs = [spec_from_source(name) for name in (model_names or _zoo())]
    host_run = HostRun(load_inventory(inventory_path)) if run_on_host else None
    with Store(db) as store:
        record_coverage(
            specs, formats, precisions, out, store, host_run, on_outcome=echo_conversion, on_result=echo_profile
        )
        frame = _write_page(store, [s.name for s in specs], html_path)
    counts = frame["state"].value_counts().to_dict()
    click.echo(f"{len(frame)} cells: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + f"; matrix in {html_path}")


def _zoo() -> list[str]:
    from mbench import models

    return models.names()


def _write_page(store, names: list[str], html_path: Path):
    from mbench import models
    from mbench.report.coverage import coverage_frame, matrix_html, standalone_page
    from mbench.report.layers import layer_frame, layer_html
    from mbench.report.render import write_page
    from mbench.models.conv_variants import layer_names

    measurements = store.measurements()
    frame = coverage_frame(measurements, names)
    fragments = [matrix_html(frame)]
    layers = [n for n in layer_names() if n in names]
    if layers:
        descriptions = {n: models.get(n).description for n in layers}
        fragments.append(layer_html(layer_frame(measurements, layers), descriptions))
    write_page(html_path, standalone_page("mbench converter coverage", *fragments))
    return frame


command = coverage

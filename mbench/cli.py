"""The mbench command line: thin click commands over the library (mbench.sweep, mbench.report)."""
from __future__ import annotations

import functools
import json
from dataclasses import asdict
from pathlib import Path

import click

DEFAULT_DB = "mbench.db"


def _csv(choices: list[str]):
    def parse(ctx, param, text):
        values = [v.strip() for v in (text or "").split(",") if v.strip()]
        bad = [v for v in values if v not in choices]
        if bad:
            raise click.BadParameter(f"{', '.join(bad)} not among {', '.join(choices)}")
        return values
    return parse


def _shape(ctx, param, text):
    if text is None:
        return None
    try:
        shape = tuple(int(d) for d in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected comma-separated integers such as 1,3,224,224") from None
    if len(shape) < 2 or min(shape) < 1:
        raise click.BadParameter(f"{text!r}: expected at least two positive dimensions such as 1,3,224,224")
    return shape


def db_option(command):
    return click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB,
                        show_default=True, help="SQLite results database.")(command)


def library_errors(command):
    """Turn the library's expected errors into messages a user can act on."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from mbench.devices.inventory import InventoryError
        from mbench.models.registry import UnknownModelError
        from mbench.models.sources import ModelSourceError
        from mbench.profile import DeviceNotSupported

        try:
            return command(*args, **kwargs)
        except (InventoryError, UnknownModelError, ModelSourceError, DeviceNotSupported, FileNotFoundError) as error:
            raise click.ClickException(str(error)) from None
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mbench")
def main():
    """Convert PyTorch models to ONNX, Core ML and TFLite, profile them, and report size, latency and parity.

    Example: mbench convert hed-vgg hed-mobilenetv2 --to onnx,coreml,tflite --out artifacts/
    """


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def models(as_json):
    """List the registered models with parameters, MACs and input shape.

    Example: mbench models --json
    """
    from mbench import models as registry
    from mbench.models.facts import model_facts

    facts = [model_facts(registry.get(name)) for name in registry.names()]
    if as_json:
        click.echo(json.dumps([asdict(f) for f in facts], indent=2))
        return
    click.echo(f"{'model':<20} {'params':>12} {'GMACs':>8}  {'input':<16} description")
    for f in facts:
        shape = "x".join(map(str, f.input_shape))
        click.echo(f"{f.name:<20} {f.parameters:>12,} {f.macs / 1e9:>8.3f}  {shape:<16} {f.description}")


@main.command()
@click.argument("model_names", nargs=-1, metavar="MODELS...")
@click.option("--model", "user_model", help="Your own model: path/to/file.py:factory or package.module:factory.")
@click.option("--input-shape", callback=_shape, help="Input shape of --model, e.g. 1,3,224,224.")
@click.option("--to", "formats", default="onnx,coreml,tflite", show_default=True,
              callback=_csv(["onnx", "coreml", "tflite"]), help="Target formats, comma-separated.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="artifacts", show_default=True)
@db_option
@library_errors
def convert(model_names, user_model, input_shape, formats, out, db):
    """Convert models to each format and write artifacts with manifests; every outcome is stored.

    A PyTorch reference (the state_dict) is always written too: it is the baseline for parity and latency.

    Example: mbench convert hed-vgg hed-mobilenetv2 --to onnx,coreml,tflite --out artifacts/
    """
    from mbench.models.sources import absolute_source, spec_from_source
    from mbench.spec import Format
    from mbench.store import Store
    from mbench.sweep import convert_and_record

    if not model_names and not user_model:
        raise click.UsageError("name at least one model (see `mbench models`) or give --model FILE.py:FACTORY")
    specs = [spec_from_source(name) for name in model_names]
    if user_model:
        specs.append(spec_from_source(absolute_source(user_model), input_shape))
    with Store(db) as store:
        outcomes = convert_and_record(specs, [Format(f) for f in formats], out, store, on_outcome=_print_conversion)
    failed = sum(1 for o in outcomes if o.artifact is None)
    click.echo(f"{len(outcomes) - failed} artifacts written under {out}/, {failed} failed; rows stored in {db}")


def _print_conversion(outcome) -> None:
    label = f"{outcome.model} {outcome.format.value:<8}"
    if outcome.artifact is None:
        click.secho(f"FAILED  {label} {outcome.error.splitlines()[0][:200]}", fg="red")
        return
    a, p = outcome.artifact, outcome.artifact.parity
    parity = f"parity max |Δ| {p.max_abs:.2e}" if p.max_abs is not None else f"parity {p.status.value}"
    click.echo(f"ok      {label} {a.bytes / 1e6:8.3f} MB  {a.seconds:6.1f} s  {parity}")


@main.command()
@click.argument("artifacts_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default="artifacts")
@click.option("--device", default="host", show_default=True, help="A device name from the inventory.")
@click.option("--devices", "inventory_path", type=click.Path(path_type=Path), default="devices.yaml",
              show_default=True, help="Device inventory file.")
@click.option("--model", "model_filter", multiple=True, help="Only these models (repeatable).")
@click.option("--threads", type=click.IntRange(min=1), help="Runtime threads [default: the device's setting].")
@click.option("--runs", type=click.IntRange(min=1), default=50, show_default=True, help="Minimum timed runs.")
@click.option("--min-seconds", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Minimum time spent in timed runs.")
@click.option("--warmup", type=click.IntRange(min=0), default=1, show_default=True, help="Minimum warm-up runs.")
@click.option("--warmup-seconds", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="Minimum warm-up time.")
@db_option
@library_errors
def profile(artifacts_dir, device, inventory_path, model_filter, threads, runs, min_seconds, warmup, warmup_seconds,
            db):
    """Measure load time, first inference, latency statistics and peak memory of every artifact on a device.

    Defaults follow LiteRT benchmark_model: warm up for at least 0.5 s, then at least 50 runs and 1 s.

    Example: mbench profile artifacts/ --device host --threads 2
    """
    from mbench.devices.inventory import load_inventory
    from mbench.measure import RunPlan
    from mbench.store import Store
    from mbench.sweep import profile_and_record

    plan = RunPlan(warmup_runs=warmup, warmup_seconds=warmup_seconds, runs=runs, min_seconds=min_seconds)
    inventory = load_inventory(inventory_path)
    with Store(db) as store:
        written = profile_and_record(artifacts_dir, device, inventory, store, plan, threads, list(model_filter),
                                     on_result=_print_profile)
    click.echo(f"{written} rows stored in {db}")


def _print_profile(artifact, result) -> None:
    label = f"{artifact.model} {artifact.format.value:<8}"
    if result.status != "ok":
        click.secho(f"{result.status:<7} {label} {result.error[:200]}", fg="yellow" if result.status == "not_run" else "red")
        return
    from mbench.measure import LatencyStats

    stats = LatencyStats.from_samples(result.samples_ms)
    click.echo(f"ok      {label} median {stats.median:8.3f} ms  p90 {stats.p90:8.3f} ms  n={stats.count:<5} "
               f"{result.runtime} {result.runtime_version}, {result.threads} threads")


@main.command()
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


@main.command()
@click.option("--devices", "inventory_path", type=click.Path(path_type=Path), default="devices.yaml",
              show_default=True, help="Device inventory file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@library_errors
def devices(inventory_path, as_json):
    """List the devices in the inventory.

    Example: mbench devices --devices devices.yaml
    """
    from mbench.devices.inventory import load_inventory

    inventory = load_inventory(inventory_path)
    if as_json:
        click.echo(json.dumps({n: d.model_dump(mode="json") for n, d in inventory.devices.items()}, indent=2))
        return
    for name, device in inventory.devices.items():
        formats = ",".join(f.value for f in device.formats)
        click.echo(f"{name:<16} {device.kind:<8} threads={device.thread_count():<3} formats={formats}  "
                   f"{device.description}")


if __name__ == "__main__":
    main()

"""`mbench devices` (list, the default) and `mbench devices check NAME`."""

from __future__ import annotations

import json
from pathlib import Path

from mbench import paths

import click

from mbench.errors import MBenchError


def inventory_option(command):
    return click.option(
        "--devices",
        "inventory_path",
        type=click.Path(path_type=Path),
        default=paths.INVENTORY,
        show_default=True,
        help="Device inventory file.",
    )(command)


@click.group(name="devices", invoke_without_command=True)
@inventory_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def devices(ctx, inventory_path, as_json):
    """List the devices in the inventory (the default), or check one.

    Example: mbench devices --devices devices.yaml
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_devices, inventory_path=inventory_path, as_json=as_json)


@devices.command(name="list")
@inventory_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_devices(inventory_path, as_json):
    """List the devices in the inventory.

    Example: mbench devices list --json
    """
    from mbench.devices.inventory import load_inventory

    inventory = load_inventory(inventory_path)
    if as_json:
        click.echo(json.dumps({n: d.model_dump(mode="json") for n, d in inventory.devices.items()}, indent=2))
        return
    for name, device in inventory.devices.items():
        formats = ",".join(f.value for f in device.formats)
        click.echo(
            f"{name:<16} {device.kind:<8} threads={device.thread_count() or 'its CPUs':<3} formats={formats}  "
            f"{device.description}"
        )
    if inventory.missing_file():
        click.echo(f"({inventory.missing_file()}; only this machine is listed)")


@devices.command(name="check")
@click.argument("name")
@inventory_option
def check_device(name, inventory_path):
    """Connect to one device and report its OS, runtimes, free disk, Android ABI and benchmark binary, or the
    paired iPhone, without profiling anything.

    Example: mbench devices check pixel7
    """
    from mbench.measure.processes import DeviceError
    from mbench.devices.check import check
    from mbench.devices.inventory import load_inventory

    inventory = load_inventory(inventory_path)
    device = inventory.get(name)
    try:
        report = check(name, device, inventory)
    except DeviceError as error:
        raise MBenchError(f"{name} ({device.kind}) not reachable: {error}") from None
    click.echo(f"{name} ({device.kind})")
    for label, value in report:
        click.echo(f"  {label:<22} {value}")


command = devices

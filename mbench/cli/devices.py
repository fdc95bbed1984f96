"""`mbench devices`."""
from __future__ import annotations

import json
from pathlib import Path

import click

from mbench.cli._options import library_errors


@click.command(name="devices")
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


command = devices

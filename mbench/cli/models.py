"""`mbench models`."""

from __future__ import annotations

import json
from dataclasses import asdict

import click


@click.command(name="models")
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


command = models

"""One line per outcome, as the commands print them while they work."""
from __future__ import annotations

import click


def echo_conversion(outcome) -> None:
    if outcome.retired:
        click.secho(f"retired {outcome.retired.line()}", fg="yellow")
    label = f"{outcome.model} {outcome.format.value:<8} {outcome.precision.value:<12}"
    if outcome.artifact is None:
        colour = "yellow" if outcome.status.value == "not_run" else "red"
        click.secho(f"{outcome.status.value:<7} {label} {outcome.error.splitlines()[0][:200]}", fg=colour)
        return
    a, p = outcome.artifact, outcome.artifact.parity
    parity = f"parity max |Δ| {p.max_abs:.2e}" if p.max_abs is not None else f"parity {p.status.value}"
    state = "cached" if outcome.cached else "ok"
    click.echo(f"{state:<7} {label} {a.bytes / 1e6:8.3f} MB  {a.seconds:6.1f} s  {parity}")



def echo_profile(artifact, result) -> None:
    label = f"{artifact.model} {artifact.format.value:<8} {artifact.precision.value:<12}"
    if result.status != "ok":
        colour = "yellow" if result.status == "not_run" else "red"
        click.secho(f"{result.status:<7} {label} {result.error[:200]}", fg=colour)
        return
    if not result.samples_ms:
        click.echo(f"ok      {label} statistics from {result.runtime} {result.runtime_version} (no raw samples)")
        return
    from mbench.measure import LatencyStats

    stats = LatencyStats.from_samples(result.samples_ms)
    noise = stats.noise()
    click.echo(f"ok      {label} median {stats.median:8.3f} ms  p90 {stats.p90:8.3f} ms  n={stats.count:<5} "
               f"{result.runtime} {result.runtime_version}, {result.threads} threads"
               + (click.style(f"  NOISY: {noise}", fg="yellow") if noise else ""))


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
    flag = ""
    if p.exceeded:
        from mbench.convert.parity import exceeded_text

        flag = click.style(f"  {exceeded_text(p.max_abs, p.tolerance)}", fg="red")
    click.echo(f"{state:<7} {label} {a.bytes / 1e6:8.3f} MB  {a.seconds:6.1f} s  {parity}" + flag)

def echo_profile(artifact, result) -> None:
    label = f"{artifact.model} {artifact.format.value:<8} {artifact.precision.value:<12}"
    if result.status != "ok":
        colour = "yellow" if result.status == "not_run" else "red"
        click.secho(f"{result.status:<7} {label} {result.error[:200]}", fg=colour)
        return
    if not result.samples_ms:
        click.echo(f"ok      {label} statistics from {result.runtime} {result.runtime_version} (no raw samples)")
        return
    from mbench.estimate import Rounds, estimate, interference_phrase
    from mbench.measure import LatencyStats

    stats = LatencyStats.from_samples(result.samples_ms)
    timed = Rounds.measured(result.samples_ms, result.rounds, result.cpu_ms, result.wait_ms)
    noise = stats.noise()
    cpus = f" on CPU{'s' if len(result.cpus) > 1 else ''} {','.join(map(str, result.cpus))}" if result.cpus else ""
    rounds = len(set(result.rounds))
    count = f"n={stats.count} in {rounds} round{'s' if rounds != 1 else ''}" if rounds else f"n={stats.count}"
    click.echo(f"ok      {label} latency {estimate(timed):8.3f} ms  median {stats.median:8.3f} ms  "
               f"p90 {stats.p90:8.3f} ms  {count:<18} {result.runtime} {result.runtime_version}, "
               f"{result.threads} thread{'s' if result.threads != 1 else ''}{cpus}"
               + (click.style(f"  CONTENDED: {interference_phrase(timed.marked_share, timed.swing)}", fg="red")
                  if timed.contended else "")
               + (click.style(f"  NOISY: {noise}", fg="yellow") if noise else ""))


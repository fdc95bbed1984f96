"""One line per outcome, as the commands print them while they work."""
from __future__ import annotations

import click


MODEL_WIDTH = 16  # hed-mobilenetv2 and most of the zoo's names; a longer name pushes its line's columns along


def label(model: str, fmt, precision) -> str:
    """An artifact as the lines name it: the model in a column as wide as the HED pair's names need (lines print as
    artifacts finish, before all names are known), its format and precision in columns wide enough for the longest
    (executorch, int8-dynamic)."""
    return f"{model:<{MODEL_WIDTH}} {fmt.value:<10} {precision.value:<12}"


def echo_conversion(outcome) -> None:
    if outcome.retired:
        click.secho(f"retired {outcome.retired.line()}", fg="yellow")
    name = label(outcome.model, outcome.format, outcome.precision)
    if outcome.artifact is None:
        colour = "yellow" if outcome.status.value == "not_run" else "red"
        click.secho(f"{outcome.status.value:<7} {name} {outcome.error.splitlines()[0][:200]}", fg=colour)
        return
    a, p = outcome.artifact, outcome.artifact.parity
    parity = f"parity max |Δ| {p.max_abs:.2e}" if p.max_abs is not None else f"parity {p.status.value}"
    state = "cached" if outcome.cached else "ok"
    flag = ""
    if p.exceeded:
        from mbench.convert.parity import exceeded_text

        flag = click.style(f"  {exceeded_text(p.max_abs, p.tolerance)}", fg="red")
    click.echo(f"{state:<7} {name} {a.bytes / 1e6:8.3f} MB  {a.seconds:6.1f} s  {parity}" + flag)

def echo_profile(artifact, result) -> None:
    name = label(artifact.model, artifact.format, artifact.precision)
    if result.status != "ok":
        colour = "yellow" if result.status == "not_run" else "red"
        click.secho(f"{result.status:<7} {name} {result.error[:200]}", fg=colour)
        return
    if not result.samples_ms:
        click.echo(f"ok      {name} statistics from {result.runtime} {result.runtime_version} (no raw samples)")
        return
    from mbench.estimate import Rounds, contended, estimate, interference_phrase, neighbour_busy
    from mbench.measure import LatencyStats

    stats = LatencyStats.from_samples(result.samples_ms)
    timed = Rounds.measured(result.samples_ms, result.rounds, result.cpu_ms, result.wait_ms)
    noise, neighbours = stats.noise(), neighbour_busy(result.kernel)
    cpus = f" on CPU{'s' if len(result.cpus) > 1 else ''} {','.join(map(str, result.cpus))}" if result.cpus else ""
    rounds = len(set(result.rounds))
    count = f"n={stats.count} in {rounds} round{'s' if rounds != 1 else ''}" if rounds else f"n={stats.count}"
    click.echo(f"ok      {name} latency {estimate(timed):8.3f} ms  median {stats.median:8.3f} ms  "
               f"p90 {stats.p90:8.3f} ms  {count:<19} {result.runtime} {result.runtime_version}, "
               f"{result.threads} thread{'s' if result.threads != 1 else ''}{cpus}"
               + (click.style(f"  CONTENDED: {interference_phrase(timed.marked_share, timed.swing, neighbours)}",
                              fg="red") if contended(timed.marked_share, timed.swing, neighbours) else "")
               + (click.style(f"  NOISY: {noise}", fg="yellow") if noise else ""))


def echo_ratios(pair: tuple[str, str], lines, timed: list[str]) -> None:
    """A pair's latency ratios from one run (report.headline.run_ratios), as `mbench profile` ends; without any,
    which of the two was not timed at fp32, and which models were."""
    if not lines:
        missing = [m for m in pair if m not in timed] or list(pair)
        click.secho(f"{pair[0]} / {pair[1]}: no ratio, {' and '.join(missing)} not timed at fp32 in this run on a "
                    f"format both have (timed: {', '.join(timed) or 'none'})", fg="yellow")
        return
    click.echo(f"{pair[0]} / {pair[1]} at fp32, each ratio paired over this run's rounds (95 % interval):")
    for line in lines:
        warning = click.style(f"  {line.warning}", fg="red") if line.warning else ""
        click.echo(f"  {line.device} {line.format:<10} {line.what} {line.big:.3f} / {line.small:.3f} {line.unit} = "
                   f"{line.ratio_text}{warning}")

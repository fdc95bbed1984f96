"""One line per outcome, as the commands print them while they work."""

from __future__ import annotations

import click

MODEL_WIDTH = 16  # most of the zoo's names; a longer name pushes its line's columns along


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
    a = outcome.artifact
    state = "cached" if outcome.cached else "ok"
    click.echo(f"{state:<7} {name} {a.bytes / 1e6:8.3f} MB  {a.seconds:6.1f} s  {_parity(a.parity)}")


def _parity(p) -> str:
    """max |Δ| and PSNR against PyTorch, then what judges them: vacuous parity, or the bounds they miss."""
    from mbench.convert.parity import VACUOUS, exceeded_text, psnr_text

    if p.max_abs is None:
        text = f"parity {p.status.value}"
    else:
        text = f"parity max |Δ| {p.max_abs:.2e}" + (f"  PSNR {psnr_text(p.psnr_db)}" if p.psnr_db is not None else "")
    if p.vacuous:
        return text + click.style(
            f"  {VACUOUS}: PyTorch's output is the same for every input, so this checks nothing", fg="red"
        )
    if p.exceeded:
        return text + click.style(f"  {exceeded_text(p.max_abs, p.tolerance, p.psnr_db, p.psnr_floor_db)}", fg="red")
    return text


def echo_profile(artifact, profile) -> None:
    """One line per profile, read from its rows as stored (measure/rows.py): the failure, or the figures, how many
    runs in how many rounds, the runtime and where it ran, and what was seen of the machine. A profile of one
    compute unit or delegate (``iphone/ALL``, ``pixel/gpu``) names it in brackets."""
    from mbench.measure.interference import interference_phrase
    from mbench.report.tables import machine_seen
    from mbench.results import details_of

    first = profile.rows[0]
    name = label(artifact.model, artifact.format, artifact.precision) + (
        f" ({first.device.split('/', 1)[1]})" if "/" in first.device else ""
    )
    failure = profile.failure
    if failure:
        colour = "yellow" if failure.status.value == "not_run" else "red"
        click.secho(f"{failure.status.value:<7} {name} {failure.error[:200]}", fg=colour)
        return
    values, context, found = (
        {row.metric: row.value for row in profile.rows},
        first.context,
        details_of(first.context.details),
    )
    shown = [
        ("latency", "latency") if "latency" in values else ("mean", "latency_mean"),
        ("median", "latency_median"),
        ("p90", "latency_p90"),
    ]
    figures = "  ".join(f"{word} {values[metric]:8.3f} ms" for word, metric in shown if values.get(metric) is not None)
    runs, rounds = values.get("latency_count") or context.runs, found.get("rounds")
    count = (f"n={runs:.0f}" if runs else "") + (f" in {rounds} round{'s' if rounds != 1 else ''}" if rounds else "")
    cpus = found.get("cpus") or []
    where = (f", {context.threads} thread{'s' if context.threads != 1 else ''}" if context.threads else "") + (
        f" on CPU{'s' if len(cpus) > 1 else ''} {','.join(map(str, cpus))}" if cpus else ""
    )
    click.echo(
        f"ok      {name} {figures}  {count:<19} {_runtime(context)}{where}"
        + (
            click.style(f"  CONTENDED: {interference_phrase(*machine_seen(found))}", fg="red")
            if found.get("contended")
            else ""
        )
        + (click.style(f"  NOISY: {found['noise']}", fg="yellow") if found.get("noise") else "")
        + (click.style("  EMULATED: not this device's speed", fg="yellow") if found.get("emulated") else "")
        + (click.style(f"  few runs: {found['few_runs']}", fg="yellow") if found.get("few_runs") else "")
    )


def _runtime(context) -> str:
    """'litert 1.4.0', and where the artifact was converted beside another version of it, that one too."""
    import json

    from mbench.runners.base import version_skew

    named = f"{context.runtime} {context.runtime_version}".strip()
    skew = version_skew(context.runtime, context.runtime_version, json.loads(context.converter_versions or "{}"))
    return f"{named} (artifact converted with {skew})" if skew else named


def echo_ops(artifact, rows) -> None:
    """One line per artifact of the ops pass: its failure, or the share of operator time placed in a module, the
    operators' and a whole inference's time, and its heaviest modules."""
    from mbench.ops.view import heaviest
    from mbench.results import details_of

    name = label(artifact.model, artifact.format, artifact.precision)
    summary = rows[-1]
    if summary.status.value != "ok":
        colour = "yellow" if summary.status.value == "not_run" else "red"
        click.secho(f"ops {summary.status.value:<7} {name} {summary.error[:200]}", fg=colour)
        return
    found = details_of(summary.context.details)
    if found.get("estimated"):
        top = ", ".join(f"{module} {share:.1%}" for module, share in heaviest(rows, 3))
        click.echo(
            f"ops ok      {name} {summary.value:6.1%} placed  estimated shares, not times; run {found['run_ms']:8.3f}"
            f" ms  pass {found['pass_seconds']:.1f} s  {summary.context.runtime}  top (estimated): {top}"
        )
        return
    top = ", ".join(f"{module} {ms:.2f} ms" for module, ms in heaviest(rows, 3))
    click.echo(
        f"ops ok      {name} {summary.value:6.1%} placed  ops {found['ops_ms']:8.3f} of {found['run_ms']:8.3f}"
        f" ms  pass {found['pass_seconds']:.1f} s  {summary.context.runtime}  top: {top}"
    )


def echo_ratios(pair: tuple[str, str], lines, timed: list[str]) -> None:
    """A pair's latency ratios from one run (report.headline.run_ratios), as `mbench profile` ends; without any,
    which of the two was not timed at fp32, and which models were."""
    if not lines:
        missing = [m for m in pair if m not in timed] or list(pair)
        click.secho(
            f"{pair[0]} / {pair[1]}: no ratio, {' and '.join(missing)} not timed at fp32 in this run on a "
            f"format both have (timed: {', '.join(timed) or 'none'})",
            fg="yellow",
        )
        return
    click.echo(
        f"{pair[0]} / {pair[1]} at fp32, each ratio paired over this run's rounds "
        "(95 % interval over its agent processes, then their rounds):"
    )
    for line in lines:
        warning = click.style(f"  {line.warning}", fg="red") if line.warning else ""
        click.echo(
            f"  {line.device} {line.format:<10} {line.what} {line.big:.3f} / {line.small:.3f} {line.unit} = "
            f"{line.ratio_text}{warning}"
        )

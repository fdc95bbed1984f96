"""`mbench compare`: the difference between two runs, as a table, a page and an exit status CI can gate on."""

from __future__ import annotations

from pathlib import Path

import click

from mbench.errors import MBenchError

from mbench.cli._options import db_option, pair_of, parse_fraction


EXIT_REGRESSION = 1
EXIT_INCONCLUSIVE = 3  # 2 is click's usage error


@click.command(name="compare")
@click.argument("runs", nargs=-1)
@click.option("--baseline", metavar="RUN", help="Compare RUN against the newest run that measured the metric.")
@click.option(
    "--models",
    metavar="BASE,CAND",
    callback=lambda ctx, param, text: pair_of(text, "--models") if text else None,
    help="Compare two models measured in one RUN (a baseline and a candidate build, profiled together with "
    "--pair BASE,CAND): their latency paired over the rounds both took part in, with a 95 % interval.",
)
@click.option(
    "--metric",
    help="The metric to compare and gate on [default: latency, the headline estimate; "
    "latency_median for rows stored before it existed].",
)
@click.option(
    "--threshold",
    default="5%",
    show_default=True,
    callback=parse_fraction(),
    help="How much worse counts as a regression (5% or 0.05).",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    help="Significance level of the Mann-Whitney U test on the raw samples.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write an HTML page.")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON records.")
@db_option
def compare(runs, baseline, models, metric, threshold, alpha, output, as_json, db):
    """Compare two runs (RUN_A is the baseline) per model, format, precision and device, or, with --models, two
    models measured in one run. With no RUNS: the newest run that measured the metric against the one before it.

    Two runs minutes apart also differ by the machine's drift between them; on a shared or virtual machine, profile
    the baseline and candidate builds together (one `mbench profile --pair BASE,CAND`, which measures them in the
    same rounds) and gate on `mbench compare RUN --models BASE,CAND`, where the machine's slow phases fall on both
    alike. Two models profiled in one run but not paired were measured in different groups: their ratio says it
    is not paired, and the threshold alone decides.

    Exits 1 when the metric got worse by more than the threshold and the difference is significant (or, for a
    metric without raw samples, by more than the threshold), so a CI pipeline can gate on it. Exits 3
    ("inconclusive") when there is no regression but a run's row is CONTENDED (runs descheduled, or the machine's
    speed swung between rounds) or the machine moved between the runs (the artifacts that did not change got
    slower or faster past the threshold), and the change, or a regression it could hide, may be the machine rather
    than the artifact: measure again on a quieter machine, or both builds in one run.

    Example: mbench compare --baseline 20261122T162754Z-9a4697 --threshold 5%

    Example: mbench compare 20261123T152416Z-1c8fe6 --models hed-mobilenetv2,hed-mobilenetv2-v2
    """
    from mbench.report.compare import DEFAULT_METRIC, compare_runs, latest_run
    from mbench.report.compare_models import compare_models
    from mbench.store import Store

    metric = metric or DEFAULT_METRIC
    if not Path(db).is_file():
        raise MBenchError(f"{db}: no results database here (pass --db PATH)")
    if models and (len(runs) != 1 or baseline or metric != DEFAULT_METRIC):
        raise click.UsageError(
            f"--models compares two models of one run on {DEFAULT_METRIC}: give exactly one RUN "
            "and no --baseline or --metric"
        )
    with Store(db) as store:
        if models:  # an unknown run or model is an MBenchError: the command group shows it and exits 4
            result = compare_models(store, runs[0], *models, threshold=threshold)
        else:
            run_a, run_b = _pick_runs(store, runs, baseline, metric, latest_run)
            result = compare_runs(store, run_a, run_b, metric, threshold, alpha)
        measurements = store.measurements() if not as_json and result.run_a != result.run_b else None
    _show(result, as_json, output)
    if measurements is not None:
        _module_changes(measurements, result.run_a, result.run_b)
    if result.regressions:
        click.echo(f"{len(result.regressions)} regression(s) in {metric} past {threshold:.1%}", err=True)
        raise SystemExit(EXIT_REGRESSION)
    if result.inconclusive:
        click.echo(
            f"{len(result.inconclusive)} inconclusive: on a contended or moving machine, a change in {metric} "
            f"past {threshold:.1%} can neither be confirmed nor ruled out (measure again on a quieter one)",
            err=True,
        )
        raise SystemExit(EXIT_INCONCLUSIVE)


def _pick_runs(store, runs, baseline, metric, latest_run) -> tuple[str, str]:
    if not runs and not baseline:
        newest = latest_run(store, metric)
        return latest_run(store, metric, excluding=newest), newest
    if baseline and not runs:
        return baseline, latest_run(store, metric, excluding=baseline)
    if len(runs) == 2 and not baseline:
        return runs[0], runs[1]
    raise click.UsageError(
        "give two runs (RUN_A RUN_B), --baseline RUN, or none (the newest two); run ids are in "
        "`mbench report`'s Runs table"
    )


def _module_changes(measurements, run_a: str, run_b: str) -> None:
    """Where both runs hold an ops pass (`mbench profile --ops`), the modules whose time changed most; for Core ML's
    passes, the modules whose estimated share of the cost changed most."""
    from mbench.ops.view import module_changes

    for estimated, title, shown in (
        (False, "modules whose time changed most (ops passes of both runs, ms per inference):", "{:.3f}"),
        (True, "modules whose estimated share changed most (Core ML's compute plans of both runs):", "{:.1%}"),
    ):
        changes = module_changes(measurements, run_a, run_b, estimated=estimated)
        if changes.empty:
            continue
        click.echo(title)
        for key, group in changes.groupby(["model", "format", "precision", "device"], sort=True):
            moved = ", ".join(
                f"{r.module} {shown.format(r.before)} -> {shown.format(r.after)}"
                + (f" ({r.change:+.0%})" if r.change == r.change else "")
                for r in group.itertuples()
            )
            click.echo(f"  {' '.join(key)}: {moved}")


def _show(result, as_json: bool, output: Path | None) -> None:
    frame = result.frame()
    if as_json:
        click.echo(frame.to_json(orient="records", indent=1))
    else:
        what = (
            f"in run {result.run_a}: candidate against baseline, paired over rounds"
            if result.run_a == result.run_b
            else f"{result.run_a} (before) -> {result.run_b} (after)"
        )
        click.echo(f"{result.metric} {what}, threshold {result.threshold:.1%}, alpha {result.alpha:g}")
        click.echo(frame.to_string(index=False, na_rep="-", float_format=lambda x: f"{x:.4g}"))
    if output:
        from mbench.report.compare_page import render_comparison

        click.echo(f"comparison written to {render_comparison(result, output)}")


command = compare

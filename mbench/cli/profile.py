"""`mbench profile`."""
from __future__ import annotations

from pathlib import Path

import click

from mbench.cli._echo import echo_profile, echo_ratios
from mbench.cli._options import db_option, library_errors, parse_fraction, parse_pair
from mbench.measure import RunPlan

PLAN = RunPlan()  # the one source of the defaults below


@click.command(name="profile")
@click.argument("artifacts_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default="artifacts")
@click.option("--device", default="host", show_default=True, help="A device name from the inventory.")
@click.option("--devices", "inventory_path", type=click.Path(path_type=Path), default="devices.yaml",
              show_default=True, help="Device inventory file.")
@click.option("--model", "model_filter", multiple=True, help="Only these models (repeatable).")
@click.option("--threads", type=click.IntRange(min=1),
              help="Runtime threads [default: the device's setting, else on the host every CPU but one, on a "
                   "remote device every CPU it reports].")
@click.option("--runs", type=click.IntRange(min=1), default=PLAN.runs, show_default=True, help="Minimum timed runs.")
@click.option("--min-seconds", type=click.FloatRange(min=0), default=PLAN.min_seconds, show_default=True,
              help="Minimum time spent in timed runs.")
@click.option("--warmup", type=click.IntRange(min=0), default=PLAN.warmup_runs, show_default=True,
              help="Minimum warm-up runs.")
@click.option("--warmup-seconds", type=click.FloatRange(min=0), default=PLAN.warmup_seconds, show_default=True,
              help="Minimum warm-up time.")
@click.option("--max-seconds", type=click.FloatRange(min=0), default=PLAN.max_seconds, show_default=True,
              help="Time budget per artifact for timed runs once the minimums are met.")
@click.option("--target-ci", default=f"{PLAN.target_ci:g}", show_default=True,
              callback=parse_fraction(below=1),
              help="Stop when the 95 % interval of the headline quantile (p10) is this narrow relative to it (1% or "
                   "0.01; 0: fixed runs).")
@click.option("--burst-seconds", type=click.FloatRange(min=0, min_open=True), default=PLAN.burst_seconds,
              show_default=True, help="Length of a burst of timed runs per interleaved round, for the artifact "
                                      "that needs most rounds to meet the minimums; the others take the runs that "
                                      "meet theirs in as many rounds.")
@click.option("--burst-runs", type=click.IntRange(min=1), default=PLAN.burst_runs, show_default=True,
              help="Timed runs a burst has at least, however long they take (a slow model's untimed re-warm run "
                   "stays a small part of its burst).")
@click.option("--seed", type=int, default=PLAN.seed, show_default=True,
              help="Seed of the shuffled order of the artifacts in each round.")
@click.option("--processes", type=click.IntRange(min=1), default=PLAN.processes, show_default=True,
              help="Agent processes per artifact in interleaved rounds, taking its bursts in turn; on Android and "
                   "iPhone, rounds of one tool invocation per artifact.")
@click.option("--together/--apart", default=PLAN.together, show_default=True,
              help="In rounds, an artifact whose stopping rule holds takes one run per round until every "
                   "artifact's does, so all rows cover the same stretch of the machine (--apart: it leaves at once; "
                   "faster, but rows of one profile may then read a moving machine at different times).")
@click.option("--pair", "pairs", multiple=True, callback=parse_pair, metavar="A,B",
              help="At the end, also print model A's latency over model B's, paired over this run's rounds "
                   "(repeatable); hed-vgg,hed-mobilenetv2 is printed whenever both were profiled.")
@db_option
@library_errors
def profile(artifacts_dir, device, inventory_path, model_filter, threads, runs, min_seconds, warmup, warmup_seconds,
            max_seconds, target_ci, burst_seconds, burst_runs, seed, processes, together, pairs, db):
    """Measure load time, first inference, latency statistics and peak memory of every artifact on a device.

    Minimums follow LiteRT benchmark_model: warm up for at least 0.5 s, then at least 50 runs and 1 s; then
    warm-up goes on until timings settle and runs go on until the headline (p10) is known within --target-ci or
    --max-seconds is spent. On the host all artifacts are measured in interleaved rounds (--processes warm agents
    per artifact taking its bursts in turn, a short burst each per round, in a seeded shuffled order), so a slow
    phase of the machine falls on all of them alike and no one process's bias decides a figure. Every raw sample
    is stored with its round and the agent's CPU time; runs that were clearly descheduled are marked, and a row
    with more than 10 % marked runs, whose speed swung more than 10 % between rounds, or whose agent's
    neighbouring CPUs were more than 25 % busy with other work, is flagged CONTENDED. An
    artifact whose rule holds takes one run per round until every artifact's does (--apart: it leaves at once),
    and one that has its minimums but not yet its rule takes longer bursts, so that the rest of a round is at most a
    fifth of it; each line says how many rounds it took part in. Noisy measurements (CV > 10 %, or a drift > 5 %
    between the first and second half) are flagged. On Android and iPhone, whose tools time a whole invocation,
    --processes rounds give each artifact one invocation per round (with its share of the runs and seconds), in a seeded
    shuffled order. At the end, hed-vgg's latency over hed-mobilenetv2's (and each --pair's) per format, paired
    over this run's rounds, with its 95 % interval.

    Example: mbench profile artifacts/ --device host --threads 2

    Example: mbench profile artifacts/ --model net --model net-v2 --pair net,net-v2
    """
    from mbench.devices.inventory import load_inventory
    from mbench.report.headline import PAIR, run_ratios
    from mbench.store import Store
    from mbench.sweep import profile_and_record

    plan = RunPlan(warmup_runs=warmup, warmup_seconds=warmup_seconds, runs=runs, min_seconds=min_seconds,
                   max_seconds=max_seconds, target_ci=target_ci, burst_seconds=burst_seconds, burst_runs=burst_runs,
                   seed=seed, processes=processes, together=together)
    inventory = load_inventory(inventory_path)
    with Store(db) as store:
        run_id, written = profile_and_record(artifacts_dir, device, inventory, store, plan, threads,
                                             list(model_filter), on_result=echo_profile)
        rows, samples = store.measurements(), store.samples(run_id)
    click.echo(f"{written} rows stored in {db} (run {run_id})")
    mine = rows[rows.run_id == run_id]
    timed = sorted(set(mine[mine.metric.isin(["latency", "latency_median"]) & (mine.precision == "fp32")].model))
    for pair in dict.fromkeys([PAIR, *pairs]):
        lines = run_ratios(mine, samples, pair)
        if lines or pair in pairs:
            echo_ratios(pair, lines, timed)


command = profile

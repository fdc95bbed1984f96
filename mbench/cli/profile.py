"""`mbench profile`."""

from __future__ import annotations

from pathlib import Path

from mbench import paths

import click

from mbench.cli._echo import echo_ops, echo_ratios
from mbench.cli._options import db_option, ops_plan_options, pair_option, plan_options
from mbench.cli._progress import profile_progress


@click.command(name="profile")
@click.argument("artifacts_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=paths.ARTIFACTS)
@click.option("--device", default="host", show_default=True, help="A device name from the inventory.")
@click.option(
    "--devices",
    "inventory_path",
    type=click.Path(path_type=Path),
    default=paths.INVENTORY,
    show_default=True,
    help="Device inventory file.",
)
@click.option("--model", "model_filter", multiple=True, help="Only these models (repeatable).")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="Runtime threads [default: the device's setting, else on the host every CPU but one, on a "
    "remote device every CPU it reports].",
)
@plan_options
@pair_option(
    "Measure models A and B in the same rounds and, at the end, print A's latency over B's, paired "
    "over those rounds (repeatable); the pairs declared with the models are always measured "
    "together and printed whenever both were profiled."
)
@click.option(
    "--ops",
    "ops",
    is_flag=True,
    help="After the timed rounds, a per-operator pass over the same artifacts on the device, in runs of its own "
    "(this machine: ONNX Runtime, ExecuTorch, PyTorch eager, LiteRT where a benchmark_model binary is on PATH, "
    "Core ML on macOS; an SSH machine: the same but LiteRT, through mbench's agent there; an Android phone: its "
    "benchmark_model and onnxruntime_perf_test): each operator's time placed in the PyTorch module that made it, "
    "stored as op_ms and op_attributed rows of the same run (Core ML: its compute plan's estimated share of the "
    "cost per operation, op_estimated_share, not a time; see `mbench ops`).",
)
@ops_plan_options
@db_option
def profile(artifacts_dir, device, inventory_path, model_filter, threads, plan, pairs, ops, ops_plan, db):
    """Measure load time, first inference, latency statistics and peak memory of every artifact on a device.

    Minimums follow LiteRT benchmark_model: warm up for at least 0.5 s, then at least 50 runs and 1 s; then
    warm-up goes on until timings settle and runs go on until the headline (p10) is known within --target-ci or
    --max-seconds is spent (which ends them even before the minimums: the line then says `few runs`). On every
    device artifacts compared with each other (a model's formats and precisions, the declared pairs and --pair)
    form a group and groups run one after another; on the host and SSH machines with at most --max-agents agents
    alive (fewer where memory is short: fewer processes per artifact, or a split group, said on its rows). A
    group's artifacts are measured in interleaved rounds (--processes warm agents
    per artifact taking its bursts in turn, a short burst each per round, in a seeded shuffled order), so a slow
    phase of the machine falls on all of them alike and no one process's bias decides a figure. Every raw sample
    is stored with its round and the agent's CPU time; runs that were clearly descheduled are marked, and a row
    with more than 10 % marked runs, whose speed swung more than 10 % between rounds, or whose agent's
    neighbouring CPUs were more than 25 % busy with other work, is flagged CONTENDED. An
    artifact whose rule holds takes one run per round until every artifact's does (--apart: it leaves at once),
    and one that has its minimums but not yet its rule takes longer bursts, so that the rest of a round is at most a
    fifth of it; each line says how many rounds it took part in. Noisy measurements (CV > 10 %, or a drift > 5 %
    between the first and second half) are flagged. On Android and iPhone, whose tools time a whole invocation,
    --processes rounds give each artifact of a group one invocation per round (with its share of the runs and
    seconds), in a seeded shuffled order. At the end, each declared pair's latency ratio (and each --pair's) per
    format, paired over this run's rounds, with its 95 % interval (a ratio across the parts of a split group says
    it is not paired).

    Example: mbench profile artifacts/ --device host --threads 2

    Example: mbench profile artifacts/ --model net --model net-v2 --pair net,net-v2

    Example: mbench profile artifacts/ --model hed-vgg --ops
    """
    from mbench.devices.inventory import load_inventory
    from mbench.measure.groups import Grouping
    from mbench.models import headline_pairs
    from mbench.report.headline import run_ratios
    from mbench.store import Store
    from mbench.sweep import ops_and_record, profile_and_record

    inventory = load_inventory(inventory_path)
    with Store(db) as store:
        with profile_progress() as shown:
            run_id, written = profile_and_record(
                artifacts_dir,
                device,
                inventory,
                store,
                plan,
                threads,
                list(model_filter),
                on_result=shown.result,
                grouping=Grouping(tuple(pairs), shown.group),
            )
        if ops:
            written += ops_and_record(
                artifacts_dir, device, inventory, store, run_id, threads, list(model_filter), ops_plan, echo_ops
            )
        rows, samples = store.measurements(), store.samples(run_id)
    click.echo(f"{written} rows stored in {db} (run {run_id})")
    mine = rows[rows.run_id == run_id]
    timed = sorted(set(mine[mine.metric.isin(["latency", "latency_median"]) & (mine.precision == "fp32")].model))
    for pair in dict.fromkeys([*headline_pairs(), *pairs]):
        lines = run_ratios(mine, samples, pair)
        if lines or pair in pairs:
            echo_ratios(pair, lines, timed)


command = profile

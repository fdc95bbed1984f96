"""Do mbench's numbers hold on a busy machine? (issue 13) Prints tables, `--json` for machines, and writes its
section of benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/bench_repeatability.py [--max-seconds 3] [--threads N] [--apart] [--json]

Converts (if absent) the six fp32 HED host artifacts (ONNX, TFLite, PyTorch for hed-vgg and hed-mobilenetv2), one
genuinely slower artifact (hed-mobilenetv2 ONNX at 256 x 288: 12.5 % more pixels) and an identical build under
another name (hed-mobilenetv2-copy ONNX), then profiles all eight in
interleaved rounds three times: quiet, quiet again, and beside a one-core busy loop this script starts and stops.
Before each profile, times a plain numpy matmul and a 64 MB array copy, taking turns, for 5 s (and for 3 s after
it): the machine's own swing and speed, in cache and in memory, with no mbench in the way.
Reports, per latency estimator of mbench/measure/estimate.py: the spread of each artifact's latency quiet vs. quiet and
across the three conditions, the VGG/MNV2 ratio per runtime and condition, and the slowdown of the larger input.
Then `mbench compare --threshold 5%`: quiet vs. quiet, quiet vs. busy (must not say regression) and the slower
artifact standing in for hed-mobilenetv2 ONNX (must say regression); and the paired gate of two builds measured in
one run, `mbench compare RUN --models`, in each condition: the copy (must not say regression) and the slower
artifact (must say regression) against hed-mobilenetv2. Also times the six profiled in rounds against
the same six profiled one after another (each alone), at the same settings, and one after another with one agent
process each (as before rounds): each twice, in the order rounds, one after another, one process each, then back,
so that a machine speeding up or slowing down over those minutes weighs on the three alike; and what each way's
figures held, its two profiles against each other.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from mbench import models
from mbench.artifacts import find_artifacts
from mbench.convert.pipeline import convert_model
from mbench.devices.inventory import load_inventory
from mbench.devices.profile import profile_each
from estimators import ESTIMATORS
from machine_control import BusyLoop, control
from mbench.measure.estimate import LATENCY_ESTIMATOR, Rounds, estimate, paired_ratio, round_weighted_quantile
from mbench.measure.timing import RunPlan
from mbench.models.sources import spec_from_source
from mbench.results import details_of, new_run_id
from mbench.spec import Format
from mbench.store import Store

ROOT = Path(__file__).resolve().parents[1]
PAIR = ("hed-vgg", "hed-mobilenetv2")
SLOWER = "hed-mobilenetv2-256x288"
COPY = "hed-mobilenetv2-copy"  # the same network and weights under another name: an identical build
RUNTIMES = ("onnx", "tflite", "pytorch")
CONDITIONS = ("quiet", "quiet again", "busy")


def artifacts(out: Path) -> list:
    """The six HED host artifacts and the slower one, converted where absent (conversions are cached)."""
    slower, copy = (
        dataclasses.replace(spec_from_source("mbench.models.hed:hed_mobilenetv2_model", shape), name=name)
        for name, shape in ((SLOWER, (1, 3, 256, 288)), (COPY, (1, 3, 256, 256)))
    )
    for spec, formats in [
        (models.get(PAIR[0]), [Format.ONNX, Format.TFLITE]),
        (models.get(PAIR[1]), [Format.ONNX, Format.TFLITE]),
        (slower, [Format.ONNX]),
        (copy, [Format.ONNX]),
    ]:
        for outcome in convert_model(spec, formats, out):
            if outcome.artifact is None:
                sys.exit(f"conversion failed: {outcome.model} {outcome.format.value}: {outcome.error}")
    found = [a for a in find_artifacts(out) if a.precision.value == "fp32"]
    return [
        a
        for a in found
        if a.model in PAIR and a.format.value in RUNTIMES or a.model in (SLOWER, COPY) and a.format is Format.ONNX
    ]


def profile(store: Store, chosen: list, plan: RunPlan, threads: int | None, what: str) -> tuple[str, float]:
    device = load_inventory(ROOT / "devices.yaml").get("host")
    run_id, started = new_run_id(), time.perf_counter()
    store.start_run(run_id, f"bench_repeatability: {what}")
    for _, profile in profile_each(chosen, "host", device, plan, threads):
        store.append(run_id, profile.rows, profile.samples)
    return run_id, time.perf_counter() - started


def sequential(chosen: list, plan: RunPlan, threads: int | None, scratch: Path) -> tuple[list[str], float]:
    """The same artifacts each profiled alone, one after another (what `mbench profile` did before rounds): their
    run ids and the seconds it took."""
    with Store(scratch) as store:
        done = [profile(store, [artifact], plan, threads, "sequential") for artifact in chosen]
    return [run for run, _ in done], sum(seconds for _, seconds in done)


WAYS = ("rounds", "sequential", "one_process")


def six_times(six: list, plan: RunPlan, threads: int | None, db: Path, scratch: Path) -> tuple[dict, dict]:
    """Seconds to profile the six in rounds, one after another, and one after another with one agent process each,
    each twice in the order A B C C B A (a machine drifting over those minutes weighs on the three alike), and when
    the first profile in rounds took its first timed run; and each way's two profiles (``held``): what it took."""
    times: dict = {way: [] for way in WAYS}
    profiles: dict = {way: [] for way in WAYS}
    for way in (*WAYS, *reversed(WAYS)):
        begun = time.time()
        if way == "rounds":
            with Store(db) as store:
                run, seconds = profile(store, six, plan, threads, "six in rounds")
                times.setdefault("start", min(s.timestamps[0] for s in store.samples(run) if s.timestamps) - begun)
            ids, where = [run], db
        else:
            chosen = dataclasses.replace(plan, processes=1) if way == "one_process" else plan
            (ids, seconds), where = sequential(six, chosen, threads, scratch), scratch
        times[way].append(seconds)
        profiles[way].append((where, ids, begun))
    return times, profiles


def held(profiles: dict) -> dict:
    """What each way's figures were worth: its two profiles of the six against each other (the chosen estimator),
    per artifact and per VGG/MNV2 ratio (from each profile's two latencies; only rounds pair them), and how far
    apart the two began (A B C C B A: rounds' two are furthest apart)."""
    found = {}
    for way, (first, second) in profiles.items():
        latency = []
        for where, ids, _ in (first, second):
            with Store(where) as store:
                latency.append({(s.model, s.format): estimate(Rounds.of(s)) for run in ids for s in store.samples(run)})
        keys = sorted(set(latency[0]) & set(latency[1]))
        ratios = {
            f: [one[(PAIR[0], f)] / one[(PAIR[1], f)] for one in latency]
            for f in RUNTIMES
            if all((m, f) in keys for m in PAIR)
        }
        found[way] = {
            "apart_s": second[2] - first[2],
            "latency": {f"{m} {f}": spread([one[(m, f)] for one in latency]) for m, f in keys},
            "ratio_spread": {f: spread(v) for f, v in ratios.items()},
        }
    return found


def timed_runs(store: Store, run_id: str) -> dict[tuple[str, str], Rounds]:
    return {(s.model, s.format): Rounds.of(s) for s in store.samples(run_id)}


def seen(store: Store, run_id: str) -> dict[tuple[str, str], dict]:
    """Per artifact, what its row says of the machine: marked share, swing between rounds, how busy the CPUs beside
    its agents were, contended."""
    rows = store.measurements()
    mine = rows[(rows.run_id == run_id) & (rows.metric == "latency")]
    keep = ("marked_share", "round_swing", "neighbour_busy", "contended")
    found = {(r.model, r.format): details_of(r.details) for r in mine.itertuples()}
    return {key: {k: details.get(k) for k in keep} for key, details in found.items()}


def spread(values: list[float]) -> float:
    return max(values) / min(values) - 1


def figures(runs: dict[str, dict], name: str) -> dict:
    """For one estimator: latency per artifact and condition, its spreads, the ratios and the slowdown."""
    keys = sorted(set.intersection(*(set(r) for r in runs.values())))
    latency = {f"{m} {f}": {c: estimate(runs[c][(m, f)], ESTIMATORS[name]) for c in CONDITIONS} for m, f in keys}
    ratios = {
        f: {c: paired_ratio(runs[c][(PAIR[0], f)], runs[c][(PAIR[1], f)], ESTIMATORS[name]) for c in CONDITIONS}
        for f in RUNTIMES
        if all((PAIR[0], f) in runs[c] and (PAIR[1], f) in runs[c] for c in CONDITIONS)
    }
    slowdown = {
        c: paired_ratio(runs[c][(SLOWER, "onnx")], runs[c][(PAIR[1], "onnx")], ESTIMATORS[name]) for c in CONDITIONS
    }
    return {
        "latency_ms": latency,
        "quiet_vs_quiet": {k: spread([v["quiet"], v["quiet again"]]) for k, v in latency.items()},
        "across_conditions": {k: spread(list(v.values())) for k, v in latency.items()},
        "ratios": {f: {c: dataclasses.asdict(r) for c, r in v.items()} for f, v in ratios.items()},
        "ratio_spread": {f: spread([r.value for r in v.values()]) for f, v in ratios.items()},
        "slowdown": {c: r.value - 1 for c, r in slowdown.items()},
    }


FASTEST = 0.05


def fastest_moved(runs: dict[str, dict]) -> dict[str, float]:
    """Per artifact, how far its fastest runs (the ``FASTEST`` quantile, rounds weighing alike) moved quiet again
    against quiet: a machine that ran slower as a whole moves them too, and no estimator of those runs undoes it."""
    quiet, again = runs["quiet"], runs["quiet again"]
    return {
        f"{m} {f}": round_weighted_quantile(again[(m, f)], FASTEST) / round_weighted_quantile(quiet[(m, f)], FASTEST)
        - 1
        for m, f in sorted(set(quiet) & set(again))
    }


def on_shared_rounds(runs: dict[str, dict]) -> dict:
    """The chosen estimator on the rounds every artifact of a profile took part in (up to the round after which the
    first one met its stopping rule and left), against all of each artifact's runs: how much of the spread between
    profiles comes from artifacts measured over different stretches of a moving machine."""
    last = {c: min(max(r.rounds) for r in found.values()) for c, found in runs.items()}
    shared = {
        c: {k: r.take([i for i, n in enumerate(r.rounds) if n <= last[c]]) for k, r in found.items()}
        for c, found in runs.items()
    }
    keys = sorted(set.intersection(*(set(r) for r in runs.values())))
    figures = {"shared_rounds": {c: n + 1 for c, n in last.items()}}
    for what, chosen in (("all runs", runs), ("shared rounds", shared)):
        latency = {k: {c: estimate(chosen[c][k]) for c in CONDITIONS} for k in keys}
        figures[what] = {
            "quiet_vs_quiet_worst": max(spread([v["quiet"], v["quiet again"]]) for v in latency.values()),
            "copy_vs_original": {
                c: spread([latency[(COPY, "onnx")][c], latency[(PAIR[1], "onnx")][c]]) for c in CONDITIONS
            },
        }
    return figures


def winner(estimators: dict) -> tuple[str | None, str]:
    """The rule the estimator is chosen by: among those that see the real slowdown (7-13 %) in every condition, the
    one with the smallest worst spread (quiet vs. quiet, VGG/MNV2 ratio across conditions); None if none sees it."""

    def worst(f: dict) -> float:
        return max([*f["quiet_vs_quiet"].values(), *f["ratio_spread"].values()])

    seeing = {n: f for n, f in estimators.items() if all(0.07 <= v <= 0.13 for v in f["slowdown"].values())}
    if not seeing:
        best = min(estimators, key=lambda n: worst(estimators[n]))
        return None, f"no estimator sees the 7-13 % slowdown in every condition; the least spread is {best}'s"
    best = min(seeing, key=lambda n: worst(seeing[n]))
    return best, f"{best}: sees the slowdown everywhere, worst spread {100 * worst(seeing[best]):.1f} %"


def compare(db: Path, *args: str) -> int:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mbench.cli import main; main()",
            "compare",
            *args,
            "--threshold",
            "5%",
            "--db",
            str(db),
        ],
        capture_output=True,
        text=True,
    )
    return done.returncode


def as_regression(db: Path, run_id: str) -> str:
    """A copy of ``run_id`` in which the slower artifact's rows stand in for hed-mobilenetv2 ONNX (a true slowdown of
    one rebuilt artifact; the other artifacts are unchanged, as in a candidate build's run)."""
    new = f"{run_id}-slower"
    with sqlite3.connect(db) as con:
        con.execute(
            "INSERT INTO runs SELECT ?, started_at, command || ' (slower stand-in)', mbench_version, git_sha "
            "FROM runs WHERE run_id = ?",
            (new, run_id),
        )
        for table in ("measurements", "samples"):
            columns = [c[1] for c in con.execute(f"PRAGMA table_info({table})") if c[1] != "id"]
            chosen = ", ".join({"run_id": "?", "model": "?"}.get(c, c) for c in columns)
            insert = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} WHERE run_id = ? AND "
            con.execute(insert + "model = ?", (new, PAIR[1], run_id, SLOWER))
            kept = ", ".join(c if c != "run_id" else "?" for c in columns)
            con.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {kept} FROM {table} WHERE run_id = ? AND "
                "model != ? AND NOT (model = ? AND format = 'onnx')",
                (new, run_id, SLOWER, PAIR[1]),
            )
    return new


def verdicts(db: Path, runs: dict[str, str]) -> dict[str, int]:
    scratch = db.with_name("compare.db")
    shutil.copy(db, scratch)
    found = {
        "quiet vs quiet again": compare(scratch, runs["quiet"], runs["quiet again"]),
        "quiet vs busy": compare(scratch, runs["quiet"], runs["busy"]),
    }
    for condition in ("quiet again", "busy"):
        slower = as_regression(scratch, runs[condition])
        found[f"quiet vs slower ({condition})"] = compare(scratch, runs["quiet"], slower)
    for condition in CONDITIONS:  # two builds measured together in one run: the paired gate
        for other in (COPY, SLOWER):
            found[f"in one run ({condition}): {other} vs {PAIR[1]}"] = compare(
                scratch, runs[condition], "--models", f"{PAIR[1]},{other}"
            )
    return found


def conditions(db: Path, chosen: list, plan: RunPlan, threads: int | None):
    """Quiet, quiet again, beside a busy loop: run ids, seconds, timed runs, what each row saw, and the machine's
    own swing and speed (`control`: its swing just before the profile, its level before and after) per condition."""
    db.unlink(missing_ok=True)
    with Store(db) as store:
        runs, seconds, machine = {}, {}, {}
        for condition in CONDITIONS:
            with BusyLoop() if condition == "busy" else contextlib.nullcontext():
                before = control(5.0)
                runs[condition], seconds[condition] = profile(store, chosen, plan, threads, condition)
                after = control(3.0)
                machine[condition] = {
                    "swing": before["swing"],
                    "memory_swing": before["memory_swing"],
                    "before_ms": before["level_ms"],
                    "after_ms": after["level_ms"],
                    "memory_before_ms": before["memory_level_ms"],
                    "memory_after_ms": after["memory_level_ms"],
                }
        samples = {c: timed_runs(store, run) for c, run in runs.items()}
        flagged = {c: seen(store, run) for c, run in runs.items()}
    return runs, seconds, samples, flagged, machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "repeatability")
    parser.add_argument("--max-seconds", type=float, default=RunPlan().max_seconds)
    parser.add_argument(
        "--threads", type=int, help="runtime threads [default: devices.yaml's host setting, else every CPU but one]"
    )
    parser.add_argument(
        "--apart",
        action="store_true",
        help="in rounds, an artifact leaves when its own stopping rule holds (mbench profile --apart)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of markdown")
    parser.add_argument("--note", default="", help="what else the machine was doing, for RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="do not update benchmarks/RESULTS.md")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    chosen, plan = artifacts(args.work / "artifacts"), RunPlan(max_seconds=args.max_seconds, together=not args.apart)
    db = args.work / "results.db"
    runs, seconds, samples, flagged, machine = conditions(db, chosen, plan, args.threads)
    times, ways = six_times([a for a in chosen if a.model in PAIR], plan, args.threads, db, args.work / "sequential.db")
    host = load_inventory(ROOT / "devices.yaml").get("host")
    report = {
        "plan": dataclasses.asdict(plan),
        "bursts_paced": True,
        "threads": args.threads or host.thread_count(),
        "threads_from": "given" if args.threads else "inventory" if host.threads else "default",
        "cpu_count": os.cpu_count(),
        "conditions_note": args.note,
        "runs": runs,
        "seconds": seconds,
        "control": machine,
        "six_in_rounds_s": statistics.fmean(times["rounds"]),
        "six_in_rounds_start_s": times["start"],
        "six_sequential_s": statistics.fmean(times["sequential"]),
        "six_sequential_one_process_s": statistics.fmean(times["one_process"]),
        "six_times": times,
        "six_held": held(ways),
        "seen": {c: {f"{m} {f}": s for (m, f), s in v.items()} for c, v in flagged.items()},
        "estimators": {name: figures(samples, name) for name in ESTIMATORS},
        "windows": on_shared_rounds(samples),
        "fastest_moved": fastest_moved(samples),
        "compare_exit_codes": verdicts(db, runs),
        "chosen_estimator": LATENCY_ESTIMATOR,
    }
    report["winner"], report["winner_reason"] = winner(report["estimators"])
    text = markdown(report)
    print(json.dumps(report, indent=1, default=str) if args.json else text)
    if not args.no_write:
        write_results(text)


def markdown(report: dict) -> str:
    from bench_repeatability_text import render  # noqa: E402  (the tables, beside this script)

    return render(report)


def write_results(text: str) -> None:
    from results_md import write_section  # noqa: E402  (beside this script)

    write_section("repeatability", text)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()

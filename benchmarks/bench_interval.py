"""Does a ratio's 95 % interval hold the next run's ratio? Profiles the six fp32 HED host artifacts in interleaved
rounds several times, one profile after another on a quiet machine, and for each profile and runtime takes the
VGG/MNV2 ratio with its interval as the headline gives it (estimate.paired_ratio: processes, then rounds within
them) and as it was before processes were resampled (rounds alone). It prints each and how often another profile's
ratio falls inside a profile's interval. Two estimates as uncertain as each other land within one's 95 % interval of
the other about 83 % of the time (their difference has sqrt(2) times the spread), so that is what an honest interval
reaches; far less means the interval is narrower than the run-to-run spread.

    .venv/bin/python benchmarks/bench_interval.py --runs 6      # about 5-12 minutes on 2 cores, conversions cached
    .venv/bin/python benchmarks/bench_interval.py --db DB ...   # the same figures from profiles already stored
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

from mbench.measure.estimate import Ratio, Rounds, paired_ratio
from mbench.measure.interference import contended
from mbench.measure.timing import RunPlan
from mbench.report.tables import machine_seen
from mbench.results import details_of
from mbench.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_repeatability as repeatability  # noqa: E402  (beside this script: the artifacts and one profile)

ROOT = Path(__file__).resolve().parents[1]
WAYS = ("processes and rounds", "rounds alone")


def measure(db: Path, runs: int, work: Path, threads: int | None) -> None:
    chosen = [a for a in repeatability.artifacts(work / "artifacts") if a.model in repeatability.PAIR]
    with Store(db) as store:
        for k in range(runs):
            run_id, seconds = repeatability.profile(store, chosen, RunPlan(), threads, "interval coverage")
            print(f"profile {k + 1} of {runs}: {run_id}, {seconds:.1f} s", file=sys.stderr, flush=True)


def seen(details: str) -> str:
    """What a latency row saw (estimate.py): 'quiet', 'swing' when its swing alone made it contended, else 'busy'."""
    share, swing, neighbours = machine_seen(details_of(details))
    if not contended(share, swing, neighbours):
        return "quiet"
    return "busy" if contended(share, None, neighbours) else "swing"


def ratios(dbs: list[Path]) -> list[dict]:
    """Per stored profile that timed both HED models in rounds, per runtime: the ratio both ways, and what was seen."""
    found = []
    for db in dbs:
        with Store(db) as store:
            rows = store.measurements()
            latency = rows[(rows.metric == "latency") & (rows.status == "ok")]
            for run in latency.run_id.unique():
                timed = {
                    (s.model, s.format): Rounds.of(s) for s in store.samples(run) if s.precision == "fp32" and s.rounds
                }
                for fmt in repeatability.RUNTIMES:
                    a, b = (timed.get((m, fmt)) for m in repeatability.PAIR)
                    if a is None or b is None:
                        continue
                    mine = latency[
                        (latency.run_id == run) & (latency.format == fmt) & latency.model.isin(repeatability.PAIR)
                    ]
                    kinds = {seen(d) for d in mine.details}
                    alone = [Rounds(r.values, r.rounds, r.marked) for r in (a, b)]  # processes left out
                    found.append(
                        {
                            "run": run,
                            "format": fmt,
                            "seen": next(k for k in ("busy", "swing", "quiet") if k in kinds),
                            "processes and rounds": paired_ratio(a, b),
                            "rounds alone": paired_ratio(*alone),
                        }
                    )
    return [f for f in found if f["processes and rounds"].low is not None]


def held(found: list[dict], way: str, kind=lambda f: True) -> tuple[int, int]:
    """(inside, pairs): another profile's ratio (same runtime) inside a profile's interval, over the profiles ``kind``
    picks."""
    pairs = [
        (mine[way], other[way])
        for mine, other in itertools.permutations(found, 2)
        if mine["format"] == other["format"] and kind(mine)
    ]
    return sum(m.low <= o.value <= m.high for m, o in pairs), len(pairs)


def text(found: list[dict], note: str) -> str:
    def width(r: Ratio) -> str:
        return f"{100 * (r.high - r.low) / r.value:.1f} %"

    lines = [
        "| profile | runtime | VGG/MNV2, processes and rounds | width | rounds alone | width | rows saw (worse side) |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in found:
        new, old = f["processes and rounds"], f["rounds alone"]
        lines.append(
            f"| {f['run']} | {f['format']} | {new.text()} | {width(new)} | {old.text()} | {width(old)} | {f['seen']} |"
        )
    lines += [
        "",
        "| intervals from | another profile's ratio inside (all) | profiles that saw only swing | quiet ones |",
        "|---|---|---|---|",
    ]
    for way in WAYS:
        cells = [
            held(found, way),
            held(found, way, lambda f: f["seen"] == "swing"),
            held(found, way, lambda f: f["seen"] == "quiet"),
        ]
        lines.append(
            f"| {way} | " + " | ".join(f"{k} of {n} ({100 * k / n:.0f} %)" if n else "none" for k, n in cells) + " |"
        )
    runs = sorted({f["run"] for f in found})
    started = [datetime.strptime(r[:16], "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%d %H:%M") for r in (runs[0], runs[-1])]
    head = [
        "## Does a ratio's interval hold the next run's? (`benchmarks/bench_interval.py`)",
        "",
        f"{len(runs)} profiles of the six fp32 HED host artifacts in interleaved rounds, one after another, begun "
        f"{started[0]} to {started[1]} UTC on {platform.node()} ({os.cpu_count()} CPUs). An honest 95 % interval "
        "holds another equally uncertain estimate about 83 % of the time." + (f" {note}" if note else ""),
        "",
    ]
    return "\n".join(head + lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=6, help="profiles of the six to take [6]")
    parser.add_argument("--db", type=Path, nargs="+", help="read profiles already stored instead of measuring")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "interval")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of markdown")
    parser.add_argument("--note", default="", help="what else the machine was doing, for RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="do not update benchmarks/RESULTS.md")
    args = parser.parse_args()
    dbs = args.db
    if not dbs:
        args.work.mkdir(parents=True, exist_ok=True)
        dbs = [args.work / f"profiles-{time.strftime('%Y%m%dT%H%M%S')}.db"]
        measure(dbs[0], args.runs, args.work, args.threads)
    found = ratios(dbs)
    if len({f["run"] for f in found}) < 2:
        sys.exit(f"fewer than two profiles of both HED models in rounds in {', '.join(map(str, dbs))}")
    shown = text(found, args.note)
    if args.json:
        print(
            json.dumps(
                {
                    "profiles": [{**f, **{w: vars(f[w]) for w in WAYS}} for f in found],
                    "held": {w: held(found, w) for w in WAYS},
                },
                indent=1,
            )
        )
    else:
        print(shown)
    if not args.no_write:
        from results_md import write_section

        write_section("interval", shown)


if __name__ == "__main__":
    main()

"""Do profiles scale from six artifacts to the zoo? (issue 39) Prints a table, each N's rows as soon as that N is
done (`--json`: one JSON object per N, for machines).

    .venv/bin/python benchmarks/bench_scaling.py [--max-seconds 1] [--sizes 6,12,all] [--models a,b,...] [--json]

Converts (if absent) the zoo's real models (every registered model but the conv-*/resize-* micro-models, or
``--models``) to PyTorch, ONNX and TFLite at fp32, the HED pair first, so that N=6 is the six HED host artifacts. For
each N, profiles the first N artifacts on the host twice (quiet, quiet again) at a fixed budget, and prints: wall
time, and the target it is held to, 1.3 x (N x max_seconds + the groups' start-up), a group's start-up being the
time from its start to its first timed run; the most agent processes alive at once and the peak proportional set
size (PSS, /proc/PID/smaps_rollup) of this process and its agents together, sampled every 0.1 s; the spread of
each artifact's `latency` quiet vs. quiet; and of the in-group ratios (hed-vgg / hed-mobilenetv2 per format, and
each model's ONNX / TFLite).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from mbench import models
from mbench.artifacts import find_artifacts
from mbench.convert.pipeline import convert_model
from mbench.devices.inventory import load_inventory
from mbench.measure.groups import Grouping
from mbench.measure.timing import RunPlan
from mbench.results import details_of
from mbench.spec import Format
from mbench.store import Store
from mbench.sweep import profile_and_record
from mbench.sweep.steps import conversion_outcome

ROOT = Path(__file__).resolve().parents[1]
FORMATS = (Format.PYTORCH, Format.ONNX, Format.TFLITE)
PAIR = ("hed-vgg", "hed-mobilenetv2")


def zoo() -> list[str]:
    """The real models, the HED pair first."""
    real = [m for m in models.names() if not m.startswith(("conv-", "resize-", "test-"))]
    return [*PAIR, *sorted(m for m in real if m not in PAIR)]


def artifacts(names: list[str], out: Path) -> list:
    for name in names:
        for outcome in convert_model(models.get(name), [Format.ONNX, Format.TFLITE], out):
            print(f"convert {name} {outcome.format.value}: {conversion_outcome(outcome)}", file=sys.stderr)
    found = {(a.model, a.format): a for a in find_artifacts(out)}
    return [found[(m, f)] for m in names for f in FORMATS if (m, f) in found]


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for children in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                kids = [int(k) for k in children.read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _is_agent(pid: int) -> bool:
    try:
        return b"mbench.measure.agent" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _agents(pids: list[int]) -> int:
    """The agent processes among ``pids``: those running mbench's agent whose parent does not. A process an agent
    forks (to run a program, for a moment before it execs) shows the agent's command line too, and is not one."""
    agents = {p for p in pids if _is_agent(p)}
    return sum(_parent(p) not in agents for p in agents)


@dataclass
class Watch:
    """Samples, every 0.1 s while it runs, the agents alive and the PSS of this process and its descendants."""

    most_agents: int = 0
    peak_pss: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        me = Path("/proc/self").resolve().name
        while not self.done.wait(0.1):
            pids = _descendants(int(me))
            self.most_agents = max(self.most_agents, _agents(pids))
            self.peak_pss = max(self.peak_pss, sum(_pss(p) for p in [int(me), *pids]))


def profile_once(chosen: list, plan: RunPlan, inventory, folder: Path) -> dict:
    """One profile of ``chosen``: wall time, groups' start-up, most agents, peak PSS, latency per artifact."""
    run_dir = folder / f"n{len(chosen)}-{time.time_ns()}"
    run_dir.mkdir()
    for a in chosen:  # the artifacts and their manifests, linked into a folder of their own
        for path in (a.path, a.manifest_path):
            (run_dir / path.name).symlink_to(path)
    starts, watch = {}, Watch()
    sampler = threading.Thread(target=watch.run)
    sampler.start()
    began = time.perf_counter()
    try:
        with Store(folder / "scaling.db") as store:
            run_id, _ = profile_and_record(
                run_dir,
                "host",
                inventory,
                store,
                plan,
                grouping=Grouping(on_group=lambda start: starts.setdefault(start.name, time.time())),
            )
            rows, samples = store.measurements(), store.samples(run_id)
    finally:
        wall = time.perf_counter() - began
        watch.done.set()
        sampler.join()
    mine = rows[(rows.run_id == run_id) & (rows.metric == "latency") & (rows.status == "ok")]
    first = {}
    for s in (s for s in samples if s.timestamps):
        group = details_of(mine[(mine.model == s.model) & (mine.format == s.format)].details.iloc[0])["group"]
        first[group] = min(first.get(group, float("inf")), min(s.timestamps))
    startup = sum(first[g] - t for g, t in starts.items() if g in first)
    latency = {f"{r.model} {r.format}": r.value for r in mine.itertuples()}
    return dict(
        wall_s=wall,
        startup_s=startup,
        groups=len(starts),
        most_agents=watch.most_agents,
        peak_pss_gb=watch.peak_pss / 1024**3,
        latency=latency,
        ok=len(latency),
        asked=len(chosen),
    )


def ratios(latency: dict) -> dict:
    """In-group ratios: hed-vgg / hed-mobilenetv2 per format, and each model's ONNX / TFLite."""
    found = {}
    for fmt in ("pytorch", "onnx", "tflite"):
        a, b = latency.get(f"{PAIR[0]} {fmt}"), latency.get(f"{PAIR[1]} {fmt}")
        if a and b:
            found[f"vgg/mnv2 {fmt}"] = a / b
    for key, value in latency.items():
        model, fmt = key.rsplit(" ", 1)
        other = latency.get(f"{model} tflite")
        if fmt == "onnx" and other:
            found[f"{model} onnx/tflite"] = value / other
    return found


def spread(first: dict, second: dict) -> tuple[float, float]:
    """The median and largest |second / first - 1| over the keys both have."""
    gaps = [abs(second[k] / first[k] - 1) for k in first if k in second and first[k]]
    return (statistics.median(gaps), max(gaps)) if gaps else (float("nan"), float("nan"))


HEADER = (
    "   N  wall s (target)   groups  start-up s  most agents  peak PSS GB  ok/asked  "
    "latency spread med/max  ratio spread med/max"
)


def table_lines(result: dict, max_seconds: float) -> list[str]:
    """One N's rows, quiet then quiet again: wall time against 1.3 x (N x max_seconds + the groups' start-up)."""
    lines = []
    for run in result["runs"]:
        target = 1.3 * (result["n"] * max_seconds + run["startup_s"])
        lines.append(
            f"{result['n']:4d}  {run['wall_s']:6.1f} ({target:6.1f})  {run['groups']:6d}  {run['startup_s']:10.1f}"
            f"  {run['most_agents']:11d}  {run['peak_pss_gb']:11.2f}  {run['ok']:3d}/{run['asked']:<3d}  "
            f"{result['latency_spread'][0]:10.1%} {result['latency_spread'][1]:6.1%}  "
            f"{result['ratio_spread'][0]:10.1%} {result['ratio_spread'][1]:6.1%}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-seconds", type=float, default=1.0)
    parser.add_argument("--sizes", default="6,12,all")
    parser.add_argument("--models", default="", help="comma-separated subset of the zoo (HED pair first)")
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "scaling")
    parser.add_argument("--json", action="store_true", help="one JSON object per N, printed as each N is done")
    args = parser.parse_args()
    names = args.models.split(",") if args.models else zoo()
    every = artifacts(names, args.out)
    plan = RunPlan(max_seconds=args.max_seconds)
    if not args.json:
        print(f"max_seconds {args.max_seconds}, models: {', '.join(names)}; {len(every)} artifacts", flush=True)
        print(HEADER, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n")
        inventory = load_inventory(folder / "devices.yaml")
        for size in args.sizes.split(","):
            chosen = every if size == "all" else every[: int(size)]
            quiet, again = (profile_once(chosen, plan, inventory, folder) for _ in range(2))
            result = dict(
                n=len(chosen),
                runs=[quiet, again],
                latency_spread=spread(quiet["latency"], again["latency"]),
                ratio_spread=spread(ratios(quiet["latency"]), ratios(again["latency"])),
                ratios=[ratios(quiet["latency"]), ratios(again["latency"])],
            )
            # each N as soon as it is done, so that a run stopped part way still leaves the sizes it finished
            print(json.dumps(result) if args.json else "\n".join(table_lines(result, args.max_seconds)), flush=True)


if __name__ == "__main__":
    main()

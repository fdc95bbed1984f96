"""The library's front door: convert, profile and report with every result written to the store.

The CLI is a thin layer over these; ``examples/hed_sweep.py`` drives them from Python.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

from mbench.artifacts import Artifact, find_artifacts
from mbench.convert.pipeline import Conversion, ConvertSettings, conversion_rows, convert_model
from mbench.devices.inventory import Inventory, load_inventory
from mbench.measure import RunPlan
from mbench.models.sources import spec_from_source
from mbench.devices.profile import profile_each
from mbench.devices.rows import Profile
from mbench.results import new_run_id
from mbench.spec import Format, ModelSpec
from mbench.store import Store
from mbench.sweep_config import SweepConfig


def start_run(store: Store, command: str | None) -> str:
    """A new run in the store, named by its command (this process's own by default); its id."""
    run_id = new_run_id()
    store.start_run(run_id, command or " ".join(sys.argv))
    return run_id


def convert_and_record(specs: list[ModelSpec], formats: list[Format], out_dir: Path, store: Store,
                       settings: ConvertSettings = ConvertSettings(),
                       on_outcome: Callable[[Conversion], None] | None = None,
                       command: str | None = None) -> list[Conversion]:
    """Convert every model to every format and precision; each model's outcomes are stored as soon as they exist."""
    run_id, outcomes = start_run(store, command), []
    for spec in specs:
        for outcome in convert_model(spec, formats, out_dir, settings):
            store.append(run_id, conversion_rows(outcome))
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return outcomes


class Recorded(NamedTuple):
    """What a profile stored: its run and how many rows."""

    run_id: str
    rows: int


def profile_and_record(artifacts_dir: Path, device_name: str, inventory: Inventory, store: Store, plan: RunPlan,
                       threads: int | None = None, models: list[str] | None = None,
                       on_result: Callable[[Artifact, Profile], None] | None = None,
                       command: str | None = None) -> Recorded:
    """Profile every artifact under ``artifacts_dir`` on one device, as a new run named by ``command``."""
    device = inventory.get(device_name)
    artifacts = [a for a in find_artifacts(artifacts_dir) if not models or a.model in models]
    if not artifacts:
        raise FileNotFoundError(f"no artifacts under {artifacts_dir} (run `mbench convert ... --out {artifacts_dir}`)")
    run_id, written = start_run(store, command), 0
    for artifact, profile in profile_each(artifacts, device_name, device, plan, threads, inventory):
        written += store.append(run_id, profile.rows, profile.samples)
        if on_result:
            on_result(artifact, profile)
    return Recorded(run_id, written)


@dataclass(frozen=True)
class Step:
    """One unit of a sweep, reported as it finishes: what it was, how it ended, and how far the sweep has come."""

    what: str
    outcome: str
    done: int
    total: int


def run_sweep(config: SweepConfig, store: Store, on_step: Callable[[Step], None] = lambda step: None,
              fresh: bool = False) -> list[Artifact]:
    """Convert, profile on every device, score accuracy, and record. Rerunning the same config resumes: an artifact
    already profiled on a device (or scored) in an earlier run of this sweep (same key) is not done again unless
    ``fresh``."""
    inventory = load_inventory(config.inventory)
    specs = [spec_from_source(name) for name in config.models]
    tag = f"[sweep:{config.key()}]"
    run_id = start_run(store, f"mbench run {tag}")
    total = len(specs) * (1 + len(config.formats) * len(config.precisions)) * (1 + len(config.devices))
    progress = Progress(on_step, total)
    artifacts = convert_step(config, store, run_id, specs, progress)
    progress.total = progress.done + len(artifacts) * len(config.devices)
    finished = set() if fresh else store.profiled(tag)
    for name in config.devices:
        profile_step(config, store, run_id, inventory, name, [a for a in artifacts if (a.sha256, name) not in
                                                                finished], len(artifacts), progress)
    evaluate_step(config, store, run_id, specs, artifacts, progress, fresh, tag)
    return artifacts


@dataclass
class Progress:
    """Counts a sweep's steps and reports each one as it ends."""

    on_step: Callable[[Step], None]
    total: int
    done: int = 0

    def step(self, what: str, outcome: str, count: int = 1) -> None:
        self.done += count
        self.on_step(Step(what, outcome, self.done, self.total))


def convert_step(config: SweepConfig, store: Store, run_id: str, specs: list[ModelSpec],
                 progress: Progress) -> list[Artifact]:
    """Every model to every format and precision, each outcome stored as it exists; the artifacts made."""
    artifacts = []
    for spec in specs:
        for outcome in convert_model(spec, config.formats, config.out, config.convert_settings()):
            store.append(run_id, conversion_rows(outcome))
            if outcome.retired:
                progress.step(f"retired {outcome.retired.line()}", "retired", count=0)
            progress.step(f"convert {outcome.model} {outcome.format.value} {outcome.precision.value}",
                          conversion_outcome(outcome))
            artifacts += [outcome.artifact] if outcome.artifact else []
    return artifacts


def conversion_outcome(outcome: Conversion) -> str:
    """How a conversion ended, in a word: cached, ok, or its status."""
    return "cached" if outcome.cached else (outcome.status.value if outcome.artifact is None else "ok")


def profile_step(config: SweepConfig, store: Store, run_id: str, inventory: Inventory, name: str,
                 todo: list[Artifact], count: int, progress: Progress) -> None:
    """One device's artifacts not yet measured by this sweep, measured together (interleaved rounds)."""
    if len(todo) < count:
        progress.step(f"profile on {name}: {count - len(todo)} already measured by this sweep", "resumed",
                      count - len(todo))
    for artifact, profile in profile_each(todo, name, inventory.get(name), config.profile.plan(),
                                      config.profile.threads, inventory):
        store.append(run_id, profile.rows, profile.samples)
        progress.step(f"profile {artifact.model} {artifact.format.value} {artifact.precision.value} on {name}",
                      profile.status.value)


def evaluate_step(config: SweepConfig, store: Store, run_id: str, specs: list[ModelSpec], artifacts: list[Artifact],
                  progress: Progress, fresh: bool, tag: str) -> None:
    """Score every artifact that runs here on the sweep's data (``config.accuracy``; none when it is null).
    Resumes like profiling: an artifact scored by an earlier run of this sweep is not scored again."""
    from mbench.sweep_accuracy import METRICS, plan, score

    if config.accuracy is None:
        return
    finished = set() if fresh else {sha for sha, _ in store.profiled(tag, METRICS)}
    jobs = plan(config.accuracy, specs, artifacts, config.out)
    progress.total = progress.done + len(jobs)
    for job in jobs:
        if job.artifact is None or job.artifact.sha256 in finished:
            progress.step(job.what, "skipped" if job.artifact is None else "resumed")
            continue
        rows = score(job, config.accuracy)
        store.append(run_id, rows)
        progress.step(job.what, rows[0].status.value)

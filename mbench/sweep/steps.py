"""The steps of a sweep, each recording what it made in the store as soon as it exists: convert, profile, score.

Both executors run these same steps (local.py in this process, ray.py on a cluster), and so do `mbench convert` and
`mbench profile` (``convert_and_record``, ``profile_and_record``): a step is written once.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple
from collections.abc import Callable, Iterator

from mbench.artifacts import Artifact, find_artifacts
from mbench.convert.pipeline import Conversion, ConvertSettings, conversion_rows, convert_model
from mbench.devices.inventory import Inventory
from mbench.devices.profile import profile_each
from mbench.measure.groups import Grouping, GroupStart
from mbench.measure.rows import Profile
from mbench.measure.timing import RunPlan
from mbench.results import Measurement, new_run_id
from mbench.models.loading import ModelSourceError
from mbench.spec import Format, ModelSpec, Precision
from mbench.store import Store
from mbench.sweep.config import ModelEntry, model_label, spec_of


def start_run(store: Store, command: str | None) -> str:
    """A new run in the store, named by its command (this process's own by default); its id."""
    run_id = new_run_id()
    store.start_run(run_id, command or " ".join(sys.argv))
    return run_id


@dataclass(frozen=True)
class Step:
    """One unit of a sweep, reported as it finishes: what it was, how it ended, and how far the sweep has come."""

    what: str
    outcome: str
    done: int
    total: int


@dataclass
class Progress:
    """Counts a sweep's steps and reports each one as it ends."""

    on_step: Callable[[Step], None] = lambda step: None
    total: int = 0
    done: int = 0

    def step(self, what: str, outcome: str, count: int = 1) -> None:
        self.done += count
        self.on_step(Step(what, outcome, self.done, self.total))


def what(artifact: Artifact) -> str:
    return f"{artifact.model} {artifact.format.value} {artifact.precision.value}"


def conversion_outcome(outcome: Conversion) -> str:
    """How a conversion ended, in a word: cached, ok, or its status."""
    return "cached" if outcome.cached else (outcome.status.value if outcome.artifact is None else "ok")


def record_conversion(store: Store, run_id: str, outcome: Conversion, progress: Progress) -> None:
    """One conversion's rows stored and its step reported."""
    store.append(run_id, conversion_rows(outcome))
    if outcome.retired:
        progress.step(f"retired {outcome.retired.line()}", "retired", count=0)
    progress.step(
        f"convert {outcome.model} {outcome.format.value} {outcome.precision.value}", conversion_outcome(outcome)
    )


def load_failure(model: str, error: Exception) -> Conversion:
    """A model that does not load, as the failed conversion of its PyTorch reference."""
    return Conversion(model, Format.PYTORCH, Precision.FP32, error=str(error))


def load_step(entries: list[ModelEntry], store: Store, run_id: str, progress: Progress) -> list[ModelSpec]:
    """The specs of a sweep's model entries; one that does not load is a failure row with its error, and the others
    go on."""
    specs = []
    for entry in entries:
        try:
            specs.append(spec_of(entry))
        except ModelSourceError as error:
            record_conversion(store, run_id, load_failure(model_label(entry), error), progress)
    return specs


def model_outcomes(
    spec: ModelSpec, formats: list[Format], out: Path, settings: ConvertSettings, keep_going: bool
) -> Iterator[Conversion]:
    """``convert_model``'s outcomes; with ``keep_going``, a model whose own code fails (its factory, the type it
    returns, its forward pass) yields that failure instead of raising it."""
    try:
        yield from convert_model(spec, formats, out, settings)
    except ModelSourceError as error:
        if not keep_going:
            raise
        yield load_failure(spec.name, error)


def convert_step(
    specs: list[ModelSpec],
    formats: list[Format],
    out: Path,
    settings: ConvertSettings,
    store: Store,
    run_id: str,
    progress: Progress,
    on_outcome: Callable[[Conversion], None] | None = None,
    keep_going: bool = False,
) -> list[Conversion]:
    """Every model to every format and precision, each outcome stored as it exists; with ``keep_going`` (a sweep) a
    model that does not load is a failure row and the others go on."""
    outcomes = []
    for spec in specs:
        for outcome in model_outcomes(spec, formats, out, settings, keep_going):
            record_conversion(store, run_id, outcome, progress)
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return outcomes


def stamped(profile: Profile, started: float, finished: float) -> Profile:
    """The rows with ``started_at``/``finished_at`` (epoch seconds) in their details: when the device was busy."""

    def stamp(row: Measurement) -> Measurement:
        details = {**json.loads(row.context.details or "{}"), "started_at": started, "finished_at": finished}
        return replace(row, context=replace(row.context, details=json.dumps(details)))

    return Profile([stamp(row) for row in profile.rows], profile.samples)


def measured(
    artifacts: list[Artifact],
    name: str,
    inventory: Inventory,
    plan: RunPlan,
    threads: int | None,
    grouping: Grouping = Grouping(),
) -> Iterator[tuple[Artifact, Profile]]:
    """Each artifact's profile on device ``name``, stamped with when it was measured, as each finishes."""
    started = time.time()
    for artifact, profile in profile_each(artifacts, name, inventory.get(name), plan, threads, inventory, grouping):
        finished = time.time()  # the generator measures between two yields: [started, finished] brackets it
        yield artifact, stamped(profile, started, finished)
        started = finished


def record_profile(
    store: Store, run_id: str, artifact: Artifact, device: str, profile: Profile, progress: Progress
) -> int:
    """One artifact's profile stored and its step reported; the rows written."""
    written = store.append(run_id, profile.rows, profile.samples)
    progress.step(f"profile {what(artifact)} on {device}", profile.status.value)
    return written


def profile_step(
    store: Store,
    run_id: str,
    inventory: Inventory,
    name: str,
    todo: list[Artifact],
    plan: RunPlan,
    threads: int | None,
    progress: Progress,
    on_result: Callable[[Artifact, Profile], None] | None = None,
    grouping: Grouping = Grouping(),
) -> int:
    """One device's artifacts measured in groups of interleaved rounds, each stored as it finishes; rows written.
    Each group's start is reported too (a step that counts for nothing) and handed on to ``grouping``."""

    def announce(start: GroupStart) -> None:
        progress.step(f"group {start.index}/{start.count} {start.name} on {name}", "started", count=0)
        grouping.on_group(start)

    written = 0
    for artifact, profile in measured(todo, name, inventory, plan, threads, replace(grouping, on_group=announce)):
        written += record_profile(store, run_id, artifact, name, profile, progress)
        if on_result:
            on_result(artifact, profile)
    return written


def convert_and_record(
    specs: list[ModelSpec],
    formats: list[Format],
    out_dir: Path,
    store: Store,
    settings: ConvertSettings = ConvertSettings(),
    on_outcome: Callable[[Conversion], None] | None = None,
    command: str | None = None,
) -> list[Conversion]:
    """`mbench convert`: every model to every format and precision, as a new run named by ``command``."""
    run_id = start_run(store, command)
    return convert_step(specs, formats, out_dir, settings, store, run_id, Progress(), on_outcome)


class Recorded(NamedTuple):
    """What a profile stored: its run and how many rows."""

    run_id: str
    rows: int


def profile_and_record(
    artifacts_dir: Path,
    device_name: str,
    inventory: Inventory,
    store: Store,
    plan: RunPlan,
    threads: int | None = None,
    models: list[str] | None = None,
    on_result: Callable[[Artifact, Profile], None] | None = None,
    command: str | None = None,
    grouping: Grouping = Grouping(),
) -> Recorded:
    """`mbench profile`: every artifact under ``artifacts_dir`` on one device, as a new run named by ``command``;
    ``grouping`` says which models are compared (measured in the same rounds) and hears of each group's start."""
    inventory.get(device_name)  # an unknown device is refused before anything runs
    artifacts = [a for a in find_artifacts(artifacts_dir) if not models or a.model in models]
    if not artifacts:
        raise FileNotFoundError(f"no artifacts under {artifacts_dir} (run `mbench convert ... --out {artifacts_dir}`)")
    run_id = start_run(store, command)
    return Recorded(
        run_id,
        profile_step(store, run_id, inventory, device_name, artifacts, plan, threads, Progress(), on_result, grouping),
    )

"""A sweep in this process: the steps of steps.py one after another, every outcome stored as it exists.

``Sweep`` is what both executors (this one and ray.py) share: the configuration read, the run started, and which
artifacts an earlier run of the same sweep already measured or scored, so that a rerun resumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable

from mbench.artifacts import Artifact
from mbench.devices.inventory import Inventory, load_inventory
from mbench.measure.groups import Grouping
from mbench.ops.rows import OP_ATTRIBUTED
from mbench.spec import ModelSpec
from mbench.store import Store
from mbench.sweep.accuracy import evaluate_step
from mbench.sweep.config import SweepConfig
from mbench.sweep.ops import ops_step
from mbench.sweep.steps import Progress, Step, convert_step, load_step, profile_step, start_run


@dataclass
class Sweep:
    config: SweepConfig
    store: Store
    progress: Progress
    fresh: bool = False
    inventory: Inventory = field(init=False)
    specs: list[ModelSpec] = field(init=False)
    tag: str = field(init=False)
    run_id: str = field(init=False)
    finished: set[tuple[str, str]] = field(init=False)
    passed: set[tuple[str, str]] = field(init=False)  # (artifact, device) the sweep's ops pass has done

    def __post_init__(self) -> None:
        self.inventory = load_inventory(self.config.inventory)
        self.tag = f"[sweep:{self.config.key()}]"
        self.finished = set() if self.fresh else self.store.profiled(self.tag)
        self.passed = set() if self.fresh else self.store.profiled(self.tag, (OP_ATTRIBUTED,))
        self.run_id = start_run(self.store, f"mbench run {self.tag}")
        self.specs = load_step(self.config.models, self.store, self.run_id, self.progress)

    def todo(self, artifacts: list[Artifact], device: str) -> list[Artifact]:
        """The artifacts not yet measured on ``device`` by this sweep; the others are reported as resumed."""
        return self._left(artifacts, device, self.finished, "profile", "measured")

    def ops_todo(self, artifacts: list[Artifact], device: str) -> list[Artifact]:
        """The artifacts the sweep's ops pass has not yet done on ``device``: none when the sweep asks for none."""
        return [] if self.config.ops is None else self._left(artifacts, device, self.passed, "ops", "passed")

    def _left(self, artifacts: list[Artifact], device: str, done: set, step: str, verb: str) -> list[Artifact]:
        left = [a for a in artifacts if (a.sha256, device) not in done]
        if len(left) < len(artifacts):
            skipped = len(artifacts) - len(left)
            self.progress.step(f"{step} on {device}: {skipped} already {verb} by this sweep", "resumed", skipped)
        return left

    def evaluate(self, artifacts: list[Artifact]) -> None:
        evaluate_step(self.config, self.store, self.run_id, self.specs, artifacts, self.progress, self.fresh, self.tag)


def run_sweep(
    config: SweepConfig, store: Store, on_step: Callable[[Step], None] = lambda step: None, fresh: bool = False
) -> list[Artifact]:
    """Convert, profile on every device, score accuracy, and record. Rerunning the same config resumes: an artifact
    already profiled on a device (or scored) in an earlier run of this sweep (same key) is not done again unless
    ``fresh``."""
    sweep = Sweep(config, store, Progress(on_step), fresh)
    formats = len(config.formats) * len(config.precisions)
    sweep.progress.total = sweep.progress.done + len(sweep.specs) * (1 + formats) * (1 + len(config.devices))
    settings, run_id = config.convert_settings(), sweep.run_id
    outcomes = convert_step(
        sweep.specs, config.formats, config.out, settings, store, run_id, sweep.progress, keep_going=True
    )
    artifacts = [o.artifact for o in outcomes if o.artifact]
    passes = 2 if config.ops else 1
    sweep.progress.total = sweep.progress.done + len(artifacts) * len(config.devices) * passes
    for name in config.devices:
        profile_step(
            store,
            sweep.run_id,
            sweep.inventory,
            name,
            sweep.todo(artifacts, name),
            config.profile.plan(),
            config.profile.threads,
            sweep.progress,
            grouping=Grouping(tuple(config.pairs)),
        )
        if config.ops:
            todo = sweep.ops_todo(artifacts, name)
            ops_step(
                store, run_id, sweep.inventory, name, todo, config.ops.plan(), config.profile.threads, sweep.progress
            )
    sweep.evaluate(artifacts)
    return artifacts

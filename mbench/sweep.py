"""The library's front door: convert, profile and report with every result written to the store.

The CLI is a thin layer over these; ``examples/hed_sweep.py`` drives them from Python.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from mbench.artifacts import Artifact, find_artifacts
from mbench.convert import Conversion, ConvertSettings, conversion_rows, convert_model
from mbench.devices.agent import AgentResult
from mbench.devices.inventory import Inventory
from mbench.measure import RunPlan
from mbench.profile import profile_each
from mbench.results import new_run_id
from mbench.spec import Format, ModelSpec
from mbench.store import Store


def _start(store: Store, command: str | None) -> str:
    run_id = new_run_id()
    store.start_run(run_id, command or " ".join(sys.argv))
    return run_id


def convert_and_record(specs: list[ModelSpec], formats: list[Format], out_dir: Path, store: Store,
                       settings: ConvertSettings = ConvertSettings(),
                       on_outcome: Callable[[Conversion], None] | None = None,
                       command: str | None = None) -> list[Conversion]:
    """Convert every model to every format and precision; each model's outcomes are stored as soon as they exist."""
    run_id, outcomes = _start(store, command), []
    for spec in specs:
        for outcome in convert_model(spec, formats, out_dir, settings):
            store.append(run_id, conversion_rows(outcome))
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return outcomes


def profile_and_record(artifacts_dir: Path, device_name: str, inventory: Inventory, store: Store, plan: RunPlan,
                       threads: int | None = None, models: list[str] | None = None,
                       on_result: Callable[[Artifact, AgentResult], None] | None = None,
                       command: str | None = None) -> int:
    """Profile every artifact under ``artifacts_dir`` on one device; returns the number of rows stored."""
    device = inventory.get(device_name)
    artifacts = [a for a in find_artifacts(artifacts_dir) if not models or a.model in models]
    if not artifacts:
        raise FileNotFoundError(f"no artifacts under {artifacts_dir} (run `mbench convert ... --out {artifacts_dir}`)")
    run_id, written = _start(store, command), 0
    for artifact, result, profile in profile_each(artifacts, device_name, device, plan, threads, inventory):
        written += store.append(run_id, profile.rows, profile.samples)
        if on_result:
            on_result(artifact, result)
    return written

"""`mbench run --executor ray`: the same sweep and the same steps as local.py, on a Ray cluster.

Policy: every conversion finishes before any measurement starts, so a host measurement never runs beside a
conversion on the same node. Artifacts go to the sweep's ``out`` folder, which every node must see at the same path
(a shared folder, e.g. NFS, in a lab): artifacts are tens of MB, are cached across runs by path and are read by
device tools (adb push, scp) as files, so the object store carries only the small ``Conversion`` outcomes.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from collections.abc import Callable

from mbench.artifacts import Artifact
from mbench.convert.pipeline import Conversion, convert_one
from mbench.devices.inventory import load_inventory
from mbench.measure.groups import Grouping
from mbench.models.loading import ModelSourceError
from mbench.measure.rows import Profile
from mbench.ops.rows import OP_ATTRIBUTED
from mbench.results import Measurement, RowKey
from mbench.spec import Format, Precision, Status
from mbench.store import Store
from mbench.sweep.config import SweepConfig, model_label, spec_of
from mbench.sweep.local import Sweep
from mbench.sweep.ops import passed, record_ops
from mbench.sweep.steps import Progress, Step, load_failure, measured, record_conversion, record_profile

CONVERT_CPUS = 1
CONVERT_MEMORY = 2 * 1024**3  # a 35 M-parameter model took 1.9 GB to convert
MAX_RETRIES = 2  # a worker killed mid-task is retried this many times


def start_ray(address: str | None, device_names: list[str]):
    """Join ``address`` (``auto`` or ``ray://...``), or start a local instance sized to this machine that holds
    every inventory device (reached from here) as a ``device:<name>`` resource."""
    import ray

    if ray.is_initialized():
        return ray
    if address:
        ray.init(address=address)
    else:
        ray.init(
            num_cpus=os.cpu_count(),
            resources={f"device:{name}": 1 for name in device_names},
            include_dashboard=False,
            log_to_driver=False,
        )
    return ray


def _convert(entry, fmt, precision, out, settings) -> Conversion:
    try:
        return convert_one(spec_of(entry), fmt, precision, out, settings)
    except ModelSourceError as error:  # the model's own code fails: its row says why
        return replace(load_failure(model_label(entry), error), format=fmt, precision=precision)


def _profile(artifacts, name, inventory_path, plan, threads, pairs, ops_plan=None, ops_todo=()):
    """A device task: its artifacts measured in the groups the in-process executor makes (the sweep's pairs), then
    the ops pass over ``ops_todo`` where the sweep asks for one: (profiles, passes)."""
    inventory = load_inventory(inventory_path)
    grouping = Grouping(tuple(pairs))
    profiles = list(measured(artifacts, name, inventory, plan, threads, grouping))
    return profiles, list(passed(list(ops_todo), name, inventory, threads, ops_plan)) if ops_plan else []


def run_sweep_ray(
    config: SweepConfig,
    store: Store,
    on_step: Callable[[Step], None] = lambda step: None,
    fresh: bool = False,
    address: str | None = None,
) -> list[Artifact]:
    """Convert on the cluster, then measure each device's artifacts in one task on the node that holds it;
    every outcome is written by this driver as it arrives, so an interrupted sweep resumes as ``run_sweep`` does."""
    ray = start_ray(address, list(config.devices))
    sweep = Sweep(config, store, Progress(on_step), fresh)
    artifacts = _convert_all(ray, sweep)
    _measure_all(ray, sweep, artifacts)
    sweep.evaluate(artifacts)  # on the driver, after measuring
    return artifacts


def _convert_all(ray, sweep: Sweep) -> list[Artifact]:
    config, progress = sweep.config, sweep.progress
    task = ray.remote(num_cpus=CONVERT_CPUS, memory=CONVERT_MEMORY, max_retries=MAX_RETRIES)(_convert)
    settings = config.convert_settings()
    pending = {}
    loaded = {spec.name for spec in sweep.specs}  # the others are failure rows already (steps.load_step)
    for entry in [e for e in config.models if model_label(e) in loaded]:
        name = model_label(entry)
        work = [(Format.PYTORCH, Precision.FP32)]
        work += [(f, p) for f in config.formats if f is not Format.PYTORCH for p in settings.precisions]
        for fmt, precision in work:
            ref = task.remote(entry, fmt, precision, config.out, settings)
            pending[ref] = (name, fmt, precision)
    progress.total, artifacts = progress.done + len(pending), []
    while pending:
        [ref], _ = ray.wait(list(pending), num_returns=1)
        name, fmt, precision = pending.pop(ref)
        try:
            outcome = ray.get(ref)
        except Exception as error:  # noqa: BLE001  (a task that failed past its retries is a row)
            outcome = Conversion(name, fmt, precision, error=f"lab task: {error}")
        record_conversion(sweep.store, sweep.run_id, outcome, progress)
        artifacts += [outcome.artifact] if outcome.artifact else []
    return artifacts


def _measure_all(ray, sweep: Sweep, artifacts: list[Artifact]) -> None:
    """One task per device on the node that holds it; a task past its deadline (the device's ``timeout_s`` per
    artifact) is cancelled and its artifacts become failure rows."""
    config, progress = sweep.config, sweep.progress
    pending, queues, deadlines = {}, {}, {}
    progress.total = progress.done + len(artifacts) * len(config.devices) * (2 if config.ops else 1)
    ops_plan = config.ops.plan() if config.ops else None
    for name in config.devices:
        todo, ops = sweep.todo(artifacts, name), sweep.ops_todo(artifacts, name)
        if todo or ops:
            task = ray.remote(num_cpus=0, resources={f"device:{name}": 1}, max_retries=MAX_RETRIES)(_profile)
            plan, threads = config.profile.plan(), config.profile.threads
            ref = task.remote(todo, name, config.inventory, plan, threads, config.pairs, ops_plan, ops)
            pending[ref], queues[name] = (name, todo, ops), len(todo)
            deadlines[ref] = time.monotonic() + sweep.inventory.get(name).timeout_s * (len(todo) + len(ops))
    while pending:
        wait = max(0.0, min(deadlines[ref] for ref in pending) - time.monotonic())
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=wait)
        ended = ready or [ref for ref in pending if deadlines[ref] <= time.monotonic()]
        for ref in ended:
            name, todo, ops = pending.pop(ref)
            profiles, passes = _device_rows(ray, ref, name, todo, ops, ready)
            for artifact, profile in profiles:
                queues[name] -= 1
                record_profile(
                    sweep.store, sweep.run_id, artifact, f"{name} (queues: {_queues(queues)})", profile, progress
                )
            for artifact, rows in passes:
                record_ops(sweep.store, sweep.run_id, artifact, name, rows, progress)


def _device_rows(ray, ref, name, todo, ops, ready):
    """Each measured artifact's rows and each ops pass's, or one failure row per artifact and pass with the reason
    the device's task ended."""
    try:
        if ref not in ready:
            ray.cancel(ref, force=True)
            raise TimeoutError(
                f"device {name} did not finish {len(todo) + len(ops)} artifact(s) within its timeout_s each"
            )
        return ray.get(ref)
    except Exception as error:  # noqa: BLE001
        return (
            [(a, Profile([_failure(a, name, "latency", str(error))], [])) for a in todo],
            [(a, [_failure(a, name, OP_ATTRIBUTED, str(error))]) for a in ops],
        )


def _failure(artifact: Artifact, device: str, metric: str, error: str) -> Measurement:
    return RowKey.of(artifact, device).failure(metric, Status.FAILED, error)


def _queues(queues: dict[str, int]) -> str:
    return ", ".join(f"{name} {left} left" for name, left in queues.items())

"""`mbench run --executor ray`: the same sweep as ``mbench.sweep.run_sweep`` on a Ray cluster.

Policy: every conversion finishes before any measurement starts, so a host measurement never runs beside a
conversion on the same node. Artifacts go to the sweep's ``out`` folder, which every node must see at the same path
(a shared folder, e.g. NFS, in a lab): artifacts are tens of MB, are cached across runs by path and are read by
device tools (adb push, scp) as files, so the object store carries only the small ``Conversion`` outcomes.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from typing import Callable

from mbench.artifacts import Artifact
from mbench.convert.pipeline import Conversion, convert_one, conversion_rows
from mbench.devices.inventory import load_inventory
from mbench.devices.rows import Profile
from mbench.models.sources import spec_from_source
from mbench.results import Measurement, RowKey
from mbench.spec import Format, Precision, Status
from mbench.store import Store
from mbench.sweep import Progress, Step, conversion_outcome, evaluate_step, start_run
from mbench.sweep_config import SweepConfig

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
        ray.init(num_cpus=os.cpu_count(), resources={f"device:{name}": 1 for name in device_names},
                 include_dashboard=False, log_to_driver=False)
    return ray


def _convert(spec_name, fmt, precision, out, settings) -> Conversion:
    return convert_one(spec_from_source(spec_name), fmt, precision, out, settings)


def _profile(artifacts, name, inventory_path, plan, threads):
    from mbench.devices.profile import profile_each

    inventory = load_inventory(inventory_path)
    measured, started = [], time.time()
    for artifact, profile in profile_each(artifacts, name, inventory.get(name), plan, threads, inventory):
        finished = time.time()  # the generator measures between two yields: [started, finished] brackets it
        measured.append((artifact, profile.status.value, _stamped(profile, started, finished)))
        started = finished
    return measured


def _stamped(profile: Profile, started: float, finished: float) -> Profile:
    """The rows with ``started_at``/``finished_at`` (epoch seconds) in their details: when the device was busy."""
    def stamp(row: Measurement) -> Measurement:
        details = {**json.loads(row.context.details or "{}"), "started_at": started, "finished_at": finished}
        return replace(row, context=replace(row.context, details=json.dumps(details)))

    return Profile([stamp(row) for row in profile.rows], profile.samples)


def run_sweep_ray(config: SweepConfig, store: Store, on_step: Callable[[Step], None] = lambda step: None,
                  fresh: bool = False, address: str | None = None) -> list[Artifact]:
    """Convert on the cluster, then measure each device's artifacts in one task on the node that holds it;
    every outcome is written by this driver as it arrives, so an interrupted sweep resumes as ``run_sweep`` does."""
    inventory = load_inventory(config.inventory)
    ray = start_ray(address, list(config.devices))
    tag = f"[sweep:{config.key()}]"
    finished = set() if fresh else store.profiled(tag)
    run_id = start_run(store, f"mbench run {tag}")
    progress = Progress(on_step, 0)
    artifacts = _convert_all(ray, config, store, run_id, progress)
    _measure_all(ray, config, inventory, store, run_id, artifacts, finished, progress)
    specs = [spec_from_source(name) for name in config.models]
    evaluate_step(config, store, run_id, specs, artifacts, progress, fresh, tag)  # on the driver, after measuring
    return artifacts


def _convert_all(ray, config, store, run_id, progress) -> list[Artifact]:
    task = ray.remote(num_cpus=CONVERT_CPUS, memory=CONVERT_MEMORY, max_retries=MAX_RETRIES)(_convert)
    settings = config.convert_settings()
    pending = {}
    for name in config.models:
        work = [(Format.PYTORCH, Precision.FP32)]
        work += [(f, p) for f in config.formats if f is not Format.PYTORCH for p in settings.precisions]
        for fmt, precision in work:
            ref = task.remote(name, fmt, precision, config.out, settings)
            pending[ref] = (name, fmt, precision)
    progress.total, artifacts = progress.done + len(pending), []
    while pending:
        [ref], _ = ray.wait(list(pending), num_returns=1)
        name, fmt, precision = pending.pop(ref)
        try:
            outcome = ray.get(ref)
        except Exception as error:  # noqa: BLE001  (a task that failed past its retries is a row)
            outcome = Conversion(name, fmt, precision, error=f"lab task: {error}")
        store.append(run_id, conversion_rows(outcome))
        artifacts += [outcome.artifact] if outcome.artifact else []
        progress.step(f"convert {name} {fmt.value} {precision.value}", conversion_outcome(outcome))
    return artifacts


def _measure_all(ray, config, inventory, store, run_id, artifacts, finished, progress) -> None:
    """One task per device on the node that holds it; a task past its deadline (the device's ``timeout_s`` per
    artifact) is cancelled and its artifacts become failure rows."""
    pending, queues, deadlines = {}, {}, {}
    for name in config.devices:
        todo = [a for a in artifacts if (a.sha256, name) not in finished]
        if todo:
            task = ray.remote(num_cpus=0, resources={f"device:{name}": 1}, max_retries=MAX_RETRIES)(_profile)
            ref = task.remote(todo, name, config.inventory, config.profile.plan(), config.profile.threads)
            pending[ref], queues[name] = (name, todo), len(todo)
            deadlines[ref] = time.monotonic() + inventory.get(name).timeout_s * len(todo)
    progress.total = progress.done + sum(queues.values())
    while pending:
        wait = max(0.0, min(deadlines[ref] for ref in pending) - time.monotonic())
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=wait)
        ended = ready or [ref for ref in pending if deadlines[ref] <= time.monotonic()]
        for ref in ended:
            name, todo = pending.pop(ref)
            for what, status, measurements, samples in _device_rows(ray, ref, name, todo, ready):
                store.append(run_id, measurements, samples)
                queues[name] -= 1
                progress.step(f"profile {what} on {name} (queues: {_queues(queues)})", status)


def _device_rows(ray, ref, name, todo, ready):
    """Each measured artifact's rows, or one failure row per artifact with the reason the device's task ended."""
    try:
        if ref not in ready:
            ray.cancel(ref, force=True)
            raise TimeoutError(f"device {name} did not finish {len(todo)} artifact(s) within its timeout_s each")
        results = ray.get(ref)
        return [(_what(a), status, p.rows, p.samples) for a, status, p in results]
    except Exception as error:  # noqa: BLE001
        return [(_what(a), "failed", [_failure(a, name, str(error))], ()) for a in todo]


def _failure(artifact: Artifact, device: str, error: str) -> Measurement:
    return RowKey.of(artifact, device).failure("latency", Status.FAILED, error)


def _what(a: Artifact) -> str:
    return f"{a.model} {a.format.value} {a.precision.value}"


def _queues(queues: dict[str, int]) -> str:
    return ", ".join(f"{name} {left} left" for name, left in queues.items())

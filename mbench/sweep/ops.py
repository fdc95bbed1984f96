"""The per-operator pass as a step of `mbench profile --ops` and of a sweep with `ops:`: each device's recorder
chosen (this machine's agent, an SSH machine's, an Android phone's tools) and each artifact's pass stored as it
finishes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from mbench.artifacts import Artifact, find_artifacts
from mbench.devices.inventory import AndroidDevice, Inventory, LocalDevice, SSHDevice
from mbench.devices.local import LocalRecorder
from mbench.measure.passes import OpsPlan, Recorder
from mbench.results import Measurement
from mbench.spec import Status
from mbench.store import Store
from mbench.sweep.steps import Progress, what


def passed(
    artifacts: list[Artifact], name: str, inventory: Inventory, threads: int | None, plan: OpsPlan
) -> Iterator[tuple[Artifact, list[Measurement]]]:
    """The per-operator pass (mbench.ops) over ``artifacts`` on device ``name``, each artifact's rows as it
    finishes: on this machine in an agent, on an SSH machine through mbench's agent there, on an Android phone
    through its benchmark_model (the artifacts the device's entry takes); an iPhone gives a not_run row per artifact,
    an unreachable device a failed one."""
    from mbench.ops.rows import ops_pass

    device = inventory.get(name)
    recorder: Recorder = LocalRecorder(device.timeout_s)
    skipped = None
    if isinstance(device, SSHDevice):
        from mbench.devices.ssh import AgentRecorder

        recorder = AgentRecorder(device, name)
    elif isinstance(device, AndroidDevice):
        from mbench.devices.android import PhoneRecorder

        recorder = PhoneRecorder(device, name, threads)
    elif not isinstance(device, LocalDevice):
        skipped = (
            Status.NOT_RUN,
            f"the ops pass runs on this machine, SSH machines and Android devices, and device {name!r} is "
            f"a {device.kind} device",
        )
    if not isinstance(device, LocalDevice):
        artifacts = [a for a in artifacts if a.format in device.formats]
    if recorder.unreachable:
        skipped = (Status.FAILED, recorder.unreachable)
    threads = threads or device.thread_count() or (recorder.identity or {}).get("usable_cpus") or 1
    yield from ops_pass(artifacts, threads, plan, name, skipped, recorder)


def record_ops(
    store: Store, run_id: str, artifact: Artifact, device: str, rows: list[Measurement], progress: Progress
) -> int:
    """One artifact's ops pass stored and its step reported; the rows written."""
    written = store.append(run_id, rows)
    progress.step(f"ops {what(artifact)} on {device}", rows[-1].status.value)
    return written


def ops_step(
    store: Store,
    run_id: str,
    inventory: Inventory,
    name: str,
    todo: list[Artifact],
    plan: OpsPlan,
    threads: int | None,
    progress: Progress,
    on_result: Callable[[Artifact, list], None] | None = None,
) -> int:
    """One device's ops pass over ``todo`` (``passed``), each artifact's rows stored as it finishes; rows written."""
    written = 0
    for artifact, rows in passed(todo, name, inventory, threads, plan):
        written += record_ops(store, run_id, artifact, name, rows, progress)
        if on_result:
            on_result(artifact, rows)
    return written


def ops_and_record(
    artifacts_dir: Path,
    device_name: str,
    inventory: Inventory,
    store: Store,
    run_id: str,
    threads: int | None = None,
    models: list[str] | None = None,
    plan: OpsPlan = OpsPlan(),
    on_result: Callable[[Artifact, list], None] | None = None,
) -> int:
    """`mbench profile --ops`: the per-operator pass over the artifacts ``profile_and_record`` timed, once their
    agents have finished, stored in the same run ``run_id`` (``ops_step``). Returns the rows written."""
    artifacts = [a for a in find_artifacts(artifacts_dir) if not models or a.model in models]
    return ops_step(store, run_id, inventory, device_name, artifacts, plan, threads, Progress(), on_result)

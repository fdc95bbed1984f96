"""Measure artifacts on a device: each kind of device has its runner; every result comes back as rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import assert_never

from mbench.artifacts import Artifact
from mbench.devices.inventory import AndroidDevice, Device, Inventory, IOSDevice, LocalDevice, SSHDevice
from mbench.measure.groups import Grouping
from mbench.measure.rows import Profile
from mbench.models import headline_pairs
from mbench.measure.timing import RunPlan


def profile_each(
    artifacts: list[Artifact],
    device_name: str,
    device: Device,
    plan: RunPlan,
    threads: int | None = None,
    inventory: Inventory | None = None,
    grouping: Grouping = Grouping(),
) -> Iterator[tuple[Artifact, Profile]]:
    """Profile each artifact the device can take, yielded as each finishes; a failure is a row and the others go
    on. On every kind of device artifacts are measured in the same groups (measure/groups.py), each group's in
    interleaved rounds (measure/rounds.py; measure/tool_rounds.py on phones): the pairs declared with the models
    join ``grouping``'s. ``threads`` is decided once: the caller's, else the device's setting, else the host's
    default (every CPU but one) here, or, for a remote device, the CPUs it reports (ssh: its Python; android:
    ``nproc`` or the taskset mask), in its runner. ``inventory`` is needed for an iOS device, which is reached
    through the Mac it names."""
    threads = threads or device.thread_count()
    grouping = replace(grouping, pairs=(*headline_pairs(), *grouping.pairs))
    if isinstance(device, LocalDevice):
        from mbench.devices import local

        yield from local.profile(artifacts, device_name, device, plan, threads, grouping)
    elif isinstance(device, SSHDevice):
        from mbench.devices import ssh

        yield from ssh.profile(artifacts, device_name, device, plan, threads, grouping)
    elif isinstance(device, AndroidDevice):
        from mbench.devices import android

        yield from android.profile(artifacts, device_name, device, plan, threads, grouping)
    elif isinstance(device, IOSDevice):
        from mbench.devices import ios

        yield from ios.profile(artifacts, device_name, device, plan, inventory, threads, grouping)
    else:
        assert_never(device)

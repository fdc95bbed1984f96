"""Outputs from a device, for accuracy measured on the device's own kernels: `mbench evaluate --device NAME`.

On an SSH device, mbench's agent loads the artifact there and answers 'predict' commands (measure/agent.py): the
inputs prepared here go there, the outputs come back, and the scoring happens here. That is the runner protocol
(load, run, close), so the accuracy code runs a remote artifact as it runs a local one. Android and iPhone tools
time a model but bring no outputs back, so an evaluation there is not_run with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never
from collections.abc import Callable

import numpy as np

from mbench.artifacts import Artifact
from mbench.devices.inventory import AndroidDevice, Inventory, IOSDevice, LocalDevice, SSHDevice
from mbench.measure.processes import DeviceError
from mbench.results import host_details
from mbench.runners.base import NotRunnableHere, Runner

NO_OUTPUTS = (
    "not measurable on {kind} devices yet: {tool} times the model but brings no outputs back to score "
    "(evaluate on the host or an SSH device)"
)


@dataclass(frozen=True)
class Target:
    """Where `mbench evaluate` runs the artifacts: the device name its rows carry, their provenance and details (the
    machine's identity), and the runner for an artifact there (None: this process's own runners)."""

    device: str = "host"
    provenance: str = "host"
    details: dict = field(default_factory=host_details)
    runner: Callable[[Artifact], Runner] | None = None


def target(name: str, inventory: Inventory) -> Target:
    device = inventory.get(name)
    if isinstance(device, LocalDevice):
        return Target(name)
    elif isinstance(device, SSHDevice):
        return _ssh_target(name, device)
    elif isinstance(device, AndroidDevice):
        return Target(name, "adb", {}, lambda _: Unable(NO_OUTPUTS.format(kind="Android", tool="benchmark_model")))
    elif isinstance(device, IOSDevice):
        return Target(name, "xctest", {}, lambda _: Unable(NO_OUTPUTS.format(kind="iOS", tool="the XCTest harness")))
    else:
        assert_never(device)


def _ssh_target(name: str, device: SSHDevice) -> Target:
    from mbench.devices.ssh import PROVENANCE, SSHHost

    try:
        identity = SSHHost(device).identity()
    except DeviceError:
        identity = {"hostname": device.host}  # each artifact's load then says why it is unreachable
    return Target(
        name, PROVENANCE, {**identity, **({"emulated": True} if device.emulated else {})}, lambda _: AgentRunner(device)
    )


class AgentRunner:
    """The runner protocol answered by mbench's agent on an SSH device, over one ssh session per artifact."""

    def __init__(self, device: SSHDevice) -> None:
        self.device, self.session, self.name, self._version = device, None, "", ""

    def version(self) -> str:
        return self._version

    def load(self, artifact: Artifact, threads: int) -> None:
        from mbench.devices.ssh import SSHHost
        from mbench.measure.session import AgentSession

        if artifact.format not in self.device.formats:
            raise NotRunnableHere(f"{artifact.format.value} is not among this device's formats in the inventory")
        host = SSHHost(self.device)
        manifest = host.upload(artifact)
        self.session = AgentSession(host.command([*host.python(), "-m", "mbench.measure.agent"]), self.device.timeout_s)
        try:
            loaded = _answer(self.session.first(do="load", manifest=manifest, threads=threads))
        except (NotRunnableHere, DeviceError):
            self.session.stop()  # nothing closes a runner whose load failed
            self.session = None
            raise
        self.name, self._version = loaded["runtime"], loaded["runtime_version"]

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        from mbench.measure.arrays import decode, encode

        return decode(_answer(self.session.ask(do="predict", inputs=encode(inputs)))["outputs"])

    def close(self) -> None:
        if self.session is not None:
            self.session.ask(do="close")
            self.session.stop()
            self.session = None


def _answer(reply: dict) -> dict:
    """The agent's reply, or its failure raised as the agent classed it (not_run, failed)."""
    if reply.get("ok"):
        return reply
    if reply.get("status") == "not_run":
        raise NotRunnableHere(reply.get("error", ""))
    raise DeviceError(reply.get("error", "the agent failed without saying why"))


class Unable:
    """A runner for a device that cannot return outputs: loading says why."""

    name = ""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def version(self) -> str:
        return ""

    def load(self, artifact: Artifact, threads: int) -> None:
        raise NotRunnableHere(self.reason)

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        raise NotRunnableHere(self.reason)

    def close(self) -> None:
        pass

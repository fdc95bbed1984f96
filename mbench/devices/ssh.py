"""SSH hosts (a Raspberry Pi, a Jetson, a Mac) through the system OpenSSH client.

Host keys are verified against ``known_hosts`` (``StrictHostKeyChecking=yes``) unless the entry says
``accept_new_host_key: true``. ``ssh`` joins the words after the destination with spaces and hands them to the
remote shell, so every remote command is an argument list quoted word by word with ``shlex.quote`` here: a value
from devices.yaml is one word, never code. Artifacts are copied once, to ``<cache_dir>/<sha256>/<model>/`` with
their manifest; the remote runs mbench's own agent in serve mode (one per artifact, each over its own ssh session, in
the groups of interleaved rounds the host's are: measure/groups.py) and its replies become rows tagged with the remote's
hostname. A remote agent exits when its ssh session ends. On macOS, Core ML runs once per configured compute unit.
The per-operator pass (``--ops``) runs there too, through the same agent (``AgentRecorder``).
"""

from __future__ import annotations

import io
import os
import json
import posixpath
import shlex
import subprocess
import tarfile
from pathlib import Path
from typing import TypeVar
from collections.abc import Callable, Iterator

from mbench.artifacts import Artifact
from mbench.measure.processes import DeviceError, connect_attempts, dropped_by_sshd, guarded, run_tool, tail
from mbench.measure.agent import AgentResult
from mbench.measure.groups import Grouping, measure_in_groups
from mbench.measure.passes import BENCHMARK_MODEL, OpsPlan, Recording, by_agent
from mbench.measure.rounds import Job
from mbench.devices.inventory import SSHDevice
from mbench.measure.rows import Profile, result_rows
from mbench.models.registry import MODULES_VARIABLE
from mbench.runners.base import NotRunnableHere
from mbench.measure.timing import RunPlan
from mbench.spec import Format

PROVENANCE = "ssh"
_IDENTITY = (
    "import json, os, platform, socket; print(json.dumps({'hostname': socket.gethostname(), "
    "'system': platform.system(), 'uname': ' '.join(platform.uname()), "
    "'python': platform.python_version(), 'machine': platform.machine(), 'usable_cpus': "
    "len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}))"
)
_UNPACK = (
    'rm -rf "$1.partial" && mkdir -p "$1.partial" && tar -xf - -C "$1.partial" && rm -rf "$1" && mv "$1.partial" "$1"'
)


class SSHHost:
    """One remote machine; every call is ``ssh [verified options] user@host -- quoted words``."""

    def __init__(self, device: SSHDevice) -> None:
        self.device = device

    def options(self) -> list[str]:
        d = self.device
        options = [
            "-o",
            "BatchMode=yes",
            "-o",
            f"StrictHostKeyChecking={'accept-new' if d.accept_new_host_key else 'yes'}",
            "-o",
            "ConnectTimeout=15",
            "-p",
            str(d.port),
        ]
        if d.known_hosts:
            options += ["-o", f"UserKnownHostsFile={d.known_hosts}"]
        if d.identity_file:
            options += ["-o", "IdentitiesOnly=yes", "-i", d.identity_file]
        return options

    def command(self, argv: list[str]) -> list[str]:
        return [
            "ssh",
            *self.options(),
            f"{self.device.user}@{self.device.host}",
            "--",
            *(shlex.quote(word) for word in argv),
        ]

    def call(self, argv: list[str], what: str) -> str:
        try:
            return _reached(
                lambda: run_tool(self.command(argv), self.device.timeout_s, f"{what} on {self.device.host}")
            )
        except DeviceError as error:
            if self.device.emulated and "Connection refused" in str(error):
                raise DeviceError(
                    f"the emulated board on {self.device.host}:{self.device.port} is not running "
                    "(nothing listens there; `make board` starts it)",
                    error.returncode,
                ) from None
            raise

    def identity(self) -> dict:
        """hostname, system, uname, python, machine and the CPUs it may use, from the remote's own python."""
        output = self.call([self.device.python, "-c", _IDENTITY], "python")
        try:
            return json.loads(output.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise DeviceError(
                f"{self.device.python} on {self.device.host} did not answer as python: {tail(output)}"
            ) from None

    def python(self) -> list[str]:
        pythonpath = self.device.pythonpath
        return ["env", f"PYTHONPATH={pythonpath}", self.device.python] if pythonpath else [self.device.python]

    def upload(self, artifact: Artifact) -> str:
        """The remote manifest path of ``artifact``, copying it (and its manifest) only if not there yet. Two models
        can make byte-identical artifacts (a candidate build unchanged in one format), so each model has its own
        folder under the file's hash: a copy replaces its folder whole, and would delete the other's manifest."""
        directory = posixpath.join(self.device.cache_dir, artifact.sha256, artifact.model)
        manifest = posixpath.join(directory, artifact.manifest_path.name)
        try:
            self.call(["test", "-f", manifest], "cache lookup")
        except DeviceError:
            self.copy_tree(
                [(artifact.path, artifact.path.name), (artifact.manifest_path, artifact.manifest_path.name)], directory
            )
        return manifest

    def copy_tree(self, entries: list[tuple[Path, str]], directory: str) -> None:
        """Files or folders (local path, name inside ``directory``) to a fresh remote ``directory``, as one tar."""
        _reached(lambda: self._copy_tree(entries, directory))

    def _copy_tree(self, entries: list[tuple[Path, str]], directory: str) -> None:
        command = self.command(["sh", "-c", _UNPACK, "sh", directory])
        try:
            done = subprocess.run(
                guarded(command), input=_tar_of(entries), capture_output=True, timeout=self.device.timeout_s
            )
        except subprocess.TimeoutExpired:
            raise DeviceError(f"copy to {self.device.host}: timed out after {self.device.timeout_s:.0f} s") from None
        if done.returncode != 0:
            error = tail(done.stderr.decode(errors="replace"))
            raise DeviceError(f"copy to {self.device.host}: exited {done.returncode}: {error}", done.returncode)


Result = TypeVar("Result")


def _reached(call: Callable[[], Result]) -> Result:
    """One ssh invocation, made again where sshd dropped the connection (processes.dropped_by_sshd)."""
    for last in connect_attempts():
        try:
            return call()
        except DeviceError as error:
            if last or not dropped_by_sshd(error.returncode, str(error)):
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def _tar_of(entries: list[tuple[Path, str]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, name in entries:
            archive.add(path, arcname=name)
    return buffer.getvalue()


def _units(device: SSHDevice, artifact: Artifact, identity: dict) -> list[str]:
    if artifact.format is Format.COREML and identity.get("system") == "Darwin":
        return list(device.coreml_compute_units)
    return [""]


def profile(
    artifacts: list[Artifact],
    name: str,
    device: SSHDevice,
    plan: RunPlan,
    threads: int | None,
    grouping: Grouping = Grouping(),
) -> Iterator[tuple[Artifact, Profile]]:
    """Each artifact (each Core ML compute unit on a Mac) through its own remote agent in serve mode, all in
    interleaved rounds group after group under the plan's cap on agents (measure/groups.py; the remote's memory is
    not read); failures become rows. Without ``threads``, all the CPUs the remote
    says it may use: it is the machine under test, with nothing of mbench's beside the agent."""
    host = SSHHost(device)
    try:
        identity, unreachable = host.identity(), ""
    except DeviceError as error:
        identity, unreachable = {"hostname": device.host}, str(error)
    identity = {**identity, "emulated": True} if device.emulated else identity
    threads = threads or identity.get("usable_cpus") or 0
    jobs = []
    for artifact in (a for a in artifacts if a.format in device.formats):
        for units in _units(device, artifact, identity):
            label = f"{name}/{units}" if units and len(device.coreml_compute_units) > 1 else name
            try:
                manifest = "" if unreachable else host.upload(artifact)
            except DeviceError as error:
                manifest, failure = "", str(error)
            else:
                failure = unreachable
            if failure:
                result = AgentResult("failed", failure, threads=threads, compute_units=units)
                yield artifact, result_rows(artifact, label, result, PROVENANCE, identity, threads, plan)
            else:
                jobs.append(Job(artifact, manifest, units, label))
    argv = host.command([*_model_modules(), *host.python(), "-m", "mbench.measure.agent"])
    for track, batch in measure_in_groups(jobs, argv, plan, threads, None, device.timeout_s, grouping, lambda: None):
        job = track.job
        yield (
            job.artifact,
            result_rows(job.artifact, job.label, track.result, PROVENANCE, identity, threads, batch.plan, batch.notes),
        )


class AgentRecorder:
    """The per-operator pass's runs made on the remote by mbench's agent (agent.py's 'ops'), one agent per artifact
    over its own ssh session; the files the runtime wrote come back to be read here (mbench.ops). Core ML's plan is
    taken for the entry's first compute unit. A remote that cannot be reached says so in ``unreachable``."""

    provenance = PROVENANCE

    def __init__(self, device: SSHDevice, name: str) -> None:
        self.host, self.where = SSHHost(device), name
        try:
            identity, self.unreachable = self.host.identity(), ""
        except DeviceError as error:
            identity, self.unreachable = {"hostname": device.host}, str(error)
        self.identity: dict | None = {**identity, "emulated": True} if device.emulated else identity

    def __call__(self, artifact: Artifact, threads: int, plan: OpsPlan, folder: Path) -> Recording:
        return by_agent(
            self.host.command([*_model_modules(), *self.host.python(), "-m", "mbench.measure.agent"]),
            self.host.device.timeout_s,
            self.host.device.host,
            folder,
            manifest=self.host.upload(artifact),
            threads=threads,
            warmup_runs=plan.warmup_runs,
            warmup_seconds=plan.warmup_seconds,
            runs=plan.runs,
            compute_units=self.host.device.coreml_compute_units[0] if artifact.format is Format.COREML else "",
        )

    def benchmark_model(self, artifact: Artifact, threads: int, plan: OpsPlan) -> str:
        raise NotRunnableHere(
            f"LiteRT's per-operator profile comes from a {BENCHMARK_MODEL} binary, which mbench runs on this machine "
            f"and on Android devices, not on {self.where}"
        )


def _model_modules() -> list[str]:
    """``env MBENCH_MODEL_MODULES=...`` where this process registers models of its own: the remote agent rebuilds a
    PyTorch artifact from its model, so it registers them too (the files must be at the same path there)."""
    modules = os.environ.get(MODULES_VARIABLE, "")
    return ["env", f"{MODULES_VARIABLE}={modules}"] if modules else []

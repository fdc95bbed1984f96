"""Android phones through adb: push the .tflite (or .onnx) and the inventory's benchmark binary, run LiteRT's
``benchmark_model`` (or ``onnxruntime_perf_test``) with the configured threads / delegates, parse its output. Several
artifacts are measured in interleaved rounds of one invocation each, in the groups the host's are (``profile``).

``adb shell`` joins its arguments with spaces and hands them to the phone's shell, so every remote command is
built as an argument list and quoted with ``shlex.join`` here: a value from devices.yaml is one word, never code.
The per-operator pass (``--ops``) runs each tool once more per artifact, with its profiler on (``PhoneRecorder``).
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import replace
from pathlib import Path
from collections.abc import Iterator

from mbench.artifacts import Artifact
from mbench.measure.processes import DeviceError, run_tool
from mbench.devices.inventory import AndroidDevice
from mbench.devices.parsers import ToolRun, benchmark_model, combined, ort_perf_test
from mbench.measure.passes import BENCHMARK_MODEL, OpsPlan, PassRuns, Recording, benchmark_model_argv
from mbench.measure.rows import Profile, failed_rows, tool_context, tool_rows
from mbench.measure.groups import Grouping
from mbench.measure.tool_rounds import Measured, in_groups, invocations_seen
from mbench.measure.timing import RunPlan
from mbench.results import Context
from mbench.runners.base import NotRunnableHere
from mbench.runners.onnxruntime import OPTIMIZED_MODEL, TRACE
from mbench.spec import Format, Status

PROVENANCE = "android"
ORT_PROFILE = "mbench_ort_profile"  # onnxruntime_perf_test -p: the prefix of the profile it writes on the phone
DELEGATE_FLAGS = {
    "cpu": [],
    "gpu": ["--use_gpu=true"],
    "nnapi": ["--use_nnapi=true"],
    "xnnpack": ["--use_xnnpack=true"],
}


class AdbPhone:
    """One phone, addressed by serial; every call is an argument list with the inventory's timeout."""

    def __init__(self, device: AndroidDevice) -> None:
        self.device = device
        self._pushed: set[str] = set()

    def adb(self, *args: str) -> list[str]:
        return [self.device.adb, "-s", self.device.serial, *args]

    def shell(self, argv: list[str]) -> list[str]:
        return self.adb("shell", shlex.join(argv))

    def call(self, argv: list[str], what: str) -> str:
        return run_tool(argv, self.device.timeout_s, what)

    def getprop(self, name: str) -> str:
        return self.call(self.shell(["getprop", name]), f"adb getprop {name}").strip()

    def cpu_count(self) -> int:
        """The CPUs the benchmark tool will run on: the inventory's taskset mask, else what ``nproc`` says."""
        if self.device.taskset:
            return bin(int(self.device.taskset, 16)).count("1")
        said = self.call(self.shell(["nproc"]), "adb shell nproc").strip()
        if not said.isdigit() or int(said) < 1:
            raise DeviceError(
                f"adb shell nproc on {self.device.serial} answered {said[:80]!r}, not a CPU count; "
                f"set threads in this device's inventory entry"
            )
        return int(said)

    def remote(self, local: str | Path) -> str:
        return posixpath.join(self.device.remote_dir, Path(local).name)

    def push(self, local: str | Path, executable: bool = False) -> str:
        """Copy a file to the phone once per session; returns its path there."""
        remote = self.remote(local)
        if remote not in self._pushed:
            self.call(self.shell(["mkdir", "-p", self.device.remote_dir]), "adb shell mkdir")
            self.call(self.adb("push", str(local), remote), f"adb push {Path(local).name}")
            if executable:
                self.call(self.shell(["chmod", "755", remote]), "adb shell chmod")
            self._pushed.add(remote)
        return remote

    def remove(self, local: str | Path) -> str:
        """Delete a file pushed this session from the phone: '' when done (or never pushed), else why not."""
        remote = self.remote(local)
        if remote not in self._pushed:
            return ""
        self._pushed.discard(remote)
        try:
            self.call(self.shell(["rm", "-f", remote]), "adb shell rm")
        except DeviceError as error:
            return str(error)
        return ""


def benchmark_argv(binary: str, model: str, plan: RunPlan, threads: int, delegate: str) -> list[str]:
    return [
        binary,
        f"--graph={model}",
        f"--num_threads={threads}",
        f"--warmup_runs={plan.warmup_runs}",
        f"--warmup_min_secs={plan.warmup_seconds}",
        f"--num_runs={plan.runs}",
        f"--min_secs={plan.min_seconds}",
        f"--max_secs={plan.max_seconds}",
        *DELEGATE_FLAGS[delegate],
    ]


def ort_argv(binary: str, model: str, plan: RunPlan, threads: int) -> list[str]:
    return [binary, "-e", "cpu", "-m", "times", "-r", str(plan.runs), "-x", str(threads), "-I", model]


def _pinned(device: AndroidDevice, argv: list[str]) -> list[str]:
    return ["taskset", device.taskset, *argv] if device.taskset else argv


def run_artifact(phone: AdbPhone, artifact: Artifact, plan: RunPlan, threads: int, delegate: str) -> ToolRun:
    """One invocation of one artifact with one delegate, parsed; its model and the tool are pushed on the first
    (``profile`` deletes the models once every round has ended)."""
    device = phone.device
    if artifact.format is Format.TFLITE:
        binary, parser = phone.push(device.benchmark_binary, executable=True), benchmark_model.parse
        argv = benchmark_argv(binary, phone.remote(artifact.path), plan, threads, delegate)
    else:
        binary, parser = phone.push(device.ort_perf_test_binary or "", executable=True), ort_perf_test.parse
        argv = ort_argv(binary, phone.remote(artifact.path), plan, threads)
    phone.push(artifact.path)
    output = phone.call(phone.shell(_pinned(device, argv)), f"{Path(binary).name} on {device.serial}")
    run = parser(output)
    return run if run.threads else replace(run, threads=threads)


class PhoneRecorder:
    """The per-operator pass on a phone (measure/passes.py's Recorder), one invocation per artifact apart from the
    timed ones, with the plan's runs: LiteRT's ``benchmark_model`` asked for op profiling with the default (CPU)
    delegate, ``onnxruntime_perf_test`` for ONNX Runtime's profile; the model is pushed for it and deleted after.
    What they wrote is read on this machine (ops/litert.py, ops/onnxruntime.py).
    ``threads``: the caller's, else the inventory's, else the CPUs the tool runs on (``AdbPhone.cpu_count``)."""

    provenance = PROVENANCE

    def __init__(self, device: AndroidDevice, name: str, threads: int | None = None) -> None:
        self.phone, self.where = AdbPhone(device), name
        threads = threads or device.thread_count()
        try:
            host = f"{self.phone.getprop('ro.product.model')} ({device.serial})"
            threads, self.unreachable = threads or self.phone.cpu_count(), ""
        except DeviceError as error:
            host, self.unreachable = device.serial, str(error)
        self.identity: dict | None = {
            "hostname": host,
            "serial": device.serial,
            "taskset": device.taskset or "",
            **({"usable_cpus": threads} if threads else {}),
        }

    def __call__(self, artifact: Artifact, threads: int, plan: OpsPlan, folder: Path) -> Recording:
        """An .onnx through ``onnxruntime_perf_test`` with ONNX Runtime's profiler on (``-p``, a trace like the
        host's) and the graph it ran saved (``-u``), both pulled into ``folder``: the tool times the runs itself, so
        the recording has no runs of its own (ops/onnxruntime.py takes them from the trace)."""
        device = self.phone.device
        why_not = _why_not(device, artifact)
        if why_not or artifact.format is not Format.ONNX:
            raise NotRunnableHere(why_not or f"android: no per-operator profile of {artifact.format.value} is taken")
        binary = self.phone.push(device.ort_perf_test_binary or "", executable=True)
        prefix, ran = (posixpath.join(device.remote_dir, name) for name in (ORT_PROFILE, OPTIMIZED_MODEL))
        self._clean(prefix, ran)
        argv = ort_argv(binary, self.phone.push(artifact.path), RunPlan(runs=plan.runs), threads)
        argv[-2:-2] = ["-p", prefix, "-u", ran]  # before -I MODEL
        try:
            self.phone.call(self.phone.shell(_pinned(device, argv)), f"{Path(binary).name} -p on {device.serial}")
            traces = self._profiles(prefix)
            if not traces:
                raise DeviceError(f"{Path(binary).name} -p wrote no profile ({prefix}_*.json) on {device.serial}")
            for remote, local in ((traces[-1], TRACE), (ran, OPTIMIZED_MODEL)):
                self.phone.call(self.phone.adb("pull", remote, str(folder / local)), f"adb pull {remote}")
        finally:
            self.phone.remove(artifact.path)
            self._clean(prefix, ran)
        return Recording(_tool(artifact), "", PassRuns((), ()), folder, (TRACE, OPTIMIZED_MODEL))

    def _clean(self, prefix: str, ran: str) -> None:
        """The profiles and saved graph of an earlier pass deleted from the phone, where it can."""
        try:
            self.phone.call(self.phone.shell(["rm", "-f", ran, *self._profiles(prefix)]), "adb shell rm")
        except DeviceError:
            pass  # a leftover file is overwritten or told apart by its date next time

    def _profiles(self, prefix: str) -> list[str]:
        """The profiles ONNX Runtime wrote on the phone (``<prefix>_<date and time>.json``), oldest first."""
        folder, stem = posixpath.split(prefix)
        listed = self.phone.call(self.phone.shell(["ls", folder]), "adb shell ls").split()
        return sorted(posixpath.join(folder, n) for n in listed if n.startswith(stem + "_") and n.endswith(".json"))

    def benchmark_model(self, artifact: Artifact, threads: int, plan: OpsPlan) -> str:
        device = self.phone.device
        binary = self.phone.push(device.benchmark_binary, executable=True)
        argv = benchmark_model_argv(binary, self.phone.push(artifact.path), threads, plan)
        try:
            return self.phone.call(self.phone.shell(_pinned(device, argv)), f"{BENCHMARK_MODEL} on {device.serial}")
        finally:
            self.phone.remove(artifact.path)


def _configs(device: AndroidDevice, artifact: Artifact) -> list[str]:
    return list(device.delegates) if artifact.format is Format.TFLITE else ["cpu"]


EXECUTORCH_MISSING = (
    "android: .pte needs ExecuTorch's executor_runner (or its benchmark app) built for the phone, and "
    "mbench has no parser for their output tested on a real transcript yet, so it is not run"
)


def _why_not(device: AndroidDevice, artifact: Artifact) -> str:
    if artifact.format is Format.EXECUTORCH:
        return EXECUTORCH_MISSING
    if artifact.format not in (Format.TFLITE, Format.ONNX):
        return (
            "android devices run .tflite (benchmark_model) and .onnx (onnxruntime_perf_test), "
            f"not {artifact.format.value}"
        )
    if artifact.format is Format.ONNX and not device.ort_perf_test_binary:
        return "no ort_perf_test_binary in this android entry of the inventory, so ONNX cannot run on it"
    return ""


def profile(
    artifacts: list[Artifact],
    name: str,
    device: AndroidDevice,
    plan: RunPlan,
    threads: int | None,
    grouping: Grouping = Grouping(),
) -> Iterator[tuple[Artifact, Profile]]:
    """Each artifact with each configured delegate; a failure is a row and the sweep goes on. Without
    ``threads``, one per CPU the tool runs on (``taskset`` picks the big cores where that matters).

    In interleaved rounds, group after group as on the host (measure/tool_rounds.py, measure/groups.py): each
    artifact and delegate of a group is invoked once per round; its rows combine its invocations as
    ``parsers.COMBINED`` says, and their details say how many there were and which group. A group's models are
    deleted from the phone once its rounds have ended."""
    phone = AdbPhone(device)
    try:
        host = f"{phone.getprop('ro.product.model')} ({device.serial})"
        threads, unreachable = threads or phone.cpu_count(), ""
    except DeviceError as error:
        host, threads, unreachable = device.serial, threads or 0, str(error)
    configs = [
        (artifact, delegate)
        for artifact in artifacts
        if artifact.format in device.formats
        for delegate in _configs(device, artifact)
    ]
    runnable = []
    for artifact, delegate in configs:
        why_not = _why_not(device, artifact)
        reason = why_not or unreachable
        if reason:
            yield (
                artifact,
                _failed(
                    phone,
                    artifact,
                    _label(name, delegate),
                    delegate,
                    host,
                    threads,
                    reason,
                    Status.NOT_RUN if why_not else Status.FAILED,
                ),
            )
        else:
            runnable.append((artifact, delegate))
    for group in in_groups(
        runnable,
        lambda config: config[0],
        lambda config, share: run_artifact(phone, config[0], share, threads, config[1]),
        plan,
        grouping,
    ):
        left = {m.item[0].path: phone.remove(m.item[0].path) for m in group}
        for m in group:
            (artifact, delegate) = m.item
            yield (
                artifact,
                _rows(phone, artifact, _label(name, delegate), delegate, host, threads, m, plan, left[artifact.path]),
            )


def _tool(artifact: Artifact) -> str:
    return "benchmark_model" if artifact.format is Format.TFLITE else "onnxruntime_perf_test"


def _label(name: str, delegate: str) -> str:
    return name if delegate == "cpu" else f"{name}/{delegate}"


def _context(phone: AdbPhone, artifact: Artifact, run: ToolRun, host: str, delegate: str, **more) -> Context:
    details = {"serial": phone.device.serial, "delegate": delegate, "taskset": phone.device.taskset or "", **more}
    return tool_context(artifact, run, PROVENANCE, host, details)


def _rows(
    phone: AdbPhone,
    artifact: Artifact,
    label: str,
    delegate: str,
    host: str,
    threads: int,
    measured: Measured,
    plan: RunPlan,
    left: str,
) -> Profile:
    """One artifact's rows from its invocations in its group's rounds, or its failure; ``left``: why its model could
    not be deleted from the phone afterwards (the details say so; the figures stand)."""
    if not measured.runs:
        return _failed(phone, artifact, label, delegate, host, threads, measured.error, Status.FAILED)
    run = combined(measured.runs, measured.rounds)
    seen = {
        **invocations_seen(len(measured.runs), measured.error, plan),
        **measured.notes,
        **({"model_left_on_phone": left} if left else {}),
    }
    return tool_rows(artifact, label, run, _context(phone, artifact, run, host, delegate, **seen))


def _failed(
    phone: AdbPhone, artifact: Artifact, label: str, delegate: str, host: str, threads: int, reason: str, status: Status
) -> Profile:
    context = _context(phone, artifact, ToolRun(_tool(artifact), threads=threads), host, delegate)
    return failed_rows(artifact, label, status, reason, context)

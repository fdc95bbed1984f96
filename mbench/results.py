"""Measurement rows: one metric of one artifact on one device, with the context that makes it reproducible."""

from __future__ import annotations

import json
import os
import re
import platform
import socket
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import datetime, UTC
from functools import lru_cache
from typing import Any
from pathlib import Path

from mbench import __version__
from mbench.artifacts import Artifact
from mbench.host import cpu_features, cpu_model
from mbench.spec import Format, Precision, Status

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Context:
    """How a number was produced. Empty fields mean 'not applicable', never 'unknown but assumed'."""

    runtime: str = ""
    runtime_version: str = ""
    converter: str = ""
    converter_versions: str = ""
    threads: int | None = None
    warmup_runs: int | None = None
    runs: int | None = None
    host: str = field(default_factory=socket.gethostname)
    provenance: str = "host"
    details: str = "{}"  # JSON: anything else worth keeping (python, platform, cpu)

    @classmethod
    def of_artifact(cls, artifact: Artifact, details: str = "{}", **fields) -> Context:
        """The artifact's converter, and its source model's hash (``model_hash``) added to ``details``."""
        return cls(
            converter=artifact.converter,
            converter_versions=json.dumps(artifact.versions, sort_keys=True),
            details=with_model_hash(details, artifact.model_hash),
            **fields,
        )


def details_of(details: str | None) -> dict:
    """A row's details JSON as a dict: {} where empty, unreadable or not an object (rows written by older or other
    versions are read, never trusted to parse)."""
    try:
        found = json.loads(details or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def with_model_hash(details: str, model_hash: str) -> str:
    """``details`` (JSON) with the source model's structure+weights hash, so rows of two models never pair."""
    return json.dumps({**json.loads(details or "{}"), "model_hash": model_hash}) if model_hash else details


@dataclass(frozen=True)
class Measurement:
    model: str
    format: str
    precision: str
    device: str
    metric: str
    value: float | None
    unit: str
    status: Status = Status.OK
    error: str = ""
    artifact_sha256: str = ""
    context: Context = field(default_factory=Context)


@dataclass(frozen=True)
class SampleSet:
    """The raw timed runs behind a latency row, so any statistic can be recomputed later. Runs taken in
    interleaved rounds (measure/rounds.py) also keep, per run, their round, their place in the round's order, which
    of the artifact's agent processes ran it, a timestamp, the agent's CPU time and run-queue wait, and whether the
    run was marked as descheduled (estimate.py); these are empty for sets stored before rounds existed or from
    tools that print only times."""

    model: str
    format: str
    precision: str
    device: str
    artifact_sha256: str
    values_ms: tuple[float, ...]
    run_id: str = ""  # filled when read back from the store
    rounds: tuple[int, ...] = ()
    positions: tuple[int, ...] = ()
    processes: tuple[int, ...] = ()
    timestamps: tuple[float, ...] = ()
    cpu_ms: tuple[float, ...] = ()
    wait_ms: tuple[float, ...] = ()
    marked: tuple[bool, ...] = ()

    PER_RUN = ("rounds", "positions", "processes", "timestamps", "cpu_ms", "wait_ms", "marked")

    def per_run(self) -> dict[str, list]:
        """The per-run extras that were recorded (the store's nullable ``per_run_zlib`` column)."""
        return {name: list(getattr(self, name)) for name in self.PER_RUN if getattr(self, name)}


@dataclass(frozen=True)
class RowKey:
    """What a row is about: one artifact (model, format, precision, and its sha256 where it exists) on one device.
    The one place the typed key becomes the stored strings."""

    model: str
    format: Format
    precision: Precision
    device: str = "host"
    artifact_sha256: str = ""

    @classmethod
    def of(cls, artifact: Artifact, device: str = "host") -> RowKey:
        return cls(artifact.model, artifact.format, artifact.precision, device, artifact.sha256)

    @property
    def strings(self) -> tuple[str, str, str, str]:
        return self.model, self.format.value, self.precision.value, self.device

    def row(
        self,
        metric: str,
        value: float | None,
        unit: str,
        context: Context | None = None,
        status: Status = Status.OK,
        error: str = "",
    ) -> Measurement:
        return Measurement(
            *self.strings, metric, value, unit, status, error, self.artifact_sha256, context or Context()
        )

    def failure(self, metric: str, status: Status, error: str, context: Context | None = None) -> Measurement:
        """A row that carries an error or a reason instead of a number."""
        return self.row(metric, None, "", context, status, error)

    def samples(self, values_ms, **per_run) -> SampleSet:
        extras: dict[str, Any] = {name: tuple(values) for name, values in per_run.items()}  # SampleSet.PER_RUN
        return SampleSet(*self.strings, self.artifact_sha256, tuple(values_ms), **extras)


def describe_error(error: BaseException, limit: int = 2000) -> str:
    """The exception's type and message, without terminal colours, cut to ``limit`` characters."""
    text = ANSI_ESCAPE.sub("", f"{type(error).__name__}: {error}").strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


@lru_cache(maxsize=1)
def git_sha() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


def host_details() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_features": cpu_features(),
        "cpu_count": str(os.cpu_count()),
        "mbench": __version__,
    }

"""Measurement rows: one metric of one artifact on one device, with the context that makes it reproducible."""
from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from mbench import __version__
from mbench.artifacts import Artifact
from mbench.spec import Status


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
    def of_artifact(cls, artifact: Artifact, **fields) -> "Context":
        return cls(converter=artifact.converter, converter_versions=json.dumps(artifact.versions, sort_keys=True),
                   **fields)


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


def failure(artifact_key: tuple[str, str, str], device: str, metric: str, status: Status, error: str,
            context: Context | None = None, artifact_sha256: str = "") -> Measurement:
    """A row that carries an error or a reason instead of a number."""
    model, fmt, precision = artifact_key
    return Measurement(model, fmt, precision, device, metric, None, "", status, error, artifact_sha256,
                       context or Context())


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


@lru_cache(maxsize=1)
def git_sha() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


def host_details() -> dict[str, str]:
    return {"python": platform.python_version(), "platform": platform.platform(), "machine": platform.machine(),
            "cpu_count": str(os.cpu_count()), "mbench": __version__}

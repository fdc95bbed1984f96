"""A whole sweep in one YAML file: models x formats x precisions x devices, for `mbench run CONFIG.yaml`."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from mbench.convert.pipeline import ConvertSettings
from mbench.measure import RunPlan
from mbench.spec import Format, Precision
from mbench.yaml_config import load_validated


class SweepConfigError(ValueError):
    pass


PLAN = RunPlan()  # the one source of the defaults below


class ProfileSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    threads: Annotated[int, Field(ge=1)] | None = None  # None: the device's setting, else its default
    warmup_runs: Annotated[int, Field(ge=0)] = PLAN.warmup_runs
    warmup_seconds: Annotated[float, Field(ge=0)] = PLAN.warmup_seconds
    runs: Annotated[int, Field(ge=1)] = PLAN.runs
    min_seconds: Annotated[float, Field(ge=0)] = PLAN.min_seconds
    max_seconds: Annotated[float, Field(ge=0)] = PLAN.max_seconds
    target_ci: Annotated[float, Field(ge=0, lt=1)] = PLAN.target_ci  # a fraction: 0.01 is 1 %
    burst_seconds: Annotated[float, Field(gt=0)] = PLAN.burst_seconds
    burst_runs: Annotated[int, Field(ge=1)] = PLAN.burst_runs
    seed: int = PLAN.seed
    processes: Annotated[int, Field(ge=1)] = PLAN.processes
    together: bool = PLAN.together

    def plan(self) -> RunPlan:
        return RunPlan(**self.model_dump(exclude={"threads"}))


class AccuracySettings(BaseModel):
    """What the sweep scores its artifacts on. Without ``data``: the model's own generated task data where mbench
    makes it (``docs_n`` document photos of ``docs_seed`` for edge-detection models, as `make demo` does)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: Literal["docs", "classify", "segment"] = "docs"
    data: Path | None = None
    split: Literal["train", "val", "test"] = "test"
    limit: Annotated[int, Field(ge=1)] | None = None
    thresholds: Annotated[int, Field(ge=2)] = 9
    normalize: Literal["none", "imagenet"] = "none"
    threads: Annotated[int, Field(ge=1)] = 1
    docs_n: Annotated[int, Field(ge=3)] = 200
    docs_seed: int = 1


class SweepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    models: Annotated[list[str], Field(min_length=1)]
    formats: list[Format] = [Format.ONNX, Format.COREML, Format.TFLITE]
    precisions: list[Precision] = [Precision.FP32]
    devices: Annotated[list[str], Field(min_length=1)] = ["host"]
    out: Path = Path("artifacts")
    db: Path = Path("mbench.db")
    inventory: Path = Path("devices.yaml")
    report: Path | None = Path("reports/index.html")
    calibration: Path | None = None
    calibration_samples: Annotated[int, Field(ge=1)] = 32
    profile: ProfileSettings = ProfileSettings()
    accuracy: AccuracySettings | None = AccuracySettings()  # null: no evaluation

    def convert_settings(self) -> ConvertSettings:
        return ConvertSettings(tuple(self.precisions), self.calibration, self.calibration_samples)

    def key(self) -> str:
        """Identifies the work, not where results go: a rerun with the same key resumes."""
        work = self.model_dump(mode="json", exclude={"db", "report"})
        return hashlib.sha256(json.dumps(work, sort_keys=True).encode()).hexdigest()[:12]


def load_sweep_config(path: Path | str) -> SweepConfig:
    """Relative paths in the file are taken relative to the file's folder."""
    path = Path(path)
    config = load_validated(path, SweepConfig, SweepConfigError, "sweep config", "see examples/sweep.yaml")
    base = path.resolve().parent
    fields = {name: base / value for name in ("out", "db", "inventory", "report", "calibration")
              if isinstance(value := getattr(config, name), Path) and not value.is_absolute()}
    if config.accuracy and config.accuracy.data and not config.accuracy.data.is_absolute():
        fields["accuracy"] = config.accuracy.model_copy(update={"data": base / config.accuracy.data})
    return config.model_copy(update=fields)

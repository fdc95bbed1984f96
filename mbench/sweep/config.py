"""A whole sweep in one YAML file: models x formats x precisions x devices, for `mbench run CONFIG.yaml`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from mbench.errors import MBenchError
from mbench import paths
from mbench.convert.pipeline import ConvertSettings
from mbench.measure.timing import RunPlan
from mbench.spec import Format, Precision
from mbench.yaml_config import load_validated


class SweepConfigError(MBenchError, ValueError):
    pass


class _ProfileBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    threads: Annotated[int, Field(ge=1)] | None = None  # None: the device's setting, else its default

    def plan(self) -> RunPlan:
        return RunPlan(**self.model_dump(exclude={"threads"}))


def _plan_key(setting: dataclasses.Field) -> tuple:
    """A sweep file key for a RunPlan field: its type, bounds (timing.setting) and default."""
    bounds = {k: v for k, v in setting.metadata.items() if k in ("ge", "gt", "lt")}
    return Annotated[type(setting.default), Field(**bounds, description=setting.metadata["help"])], setting.default


# The sweep file's `profile:` keys: `threads` and every RunPlan field, with RunPlan's defaults and bounds.
ProfileSettings = create_model(
    "ProfileSettings", __base__=_ProfileBase, **{f.name: _plan_key(f) for f in dataclasses.fields(RunPlan)}
)


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
    out: Path = paths.ARTIFACTS
    db: Path = paths.DATABASE
    inventory: Path = paths.INVENTORY
    report: Path | None = paths.REPORT
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
    fields = {
        name: base / value
        for name in ("out", "db", "inventory", "report", "calibration")
        if isinstance(value := getattr(config, name), Path) and not value.is_absolute()
    }
    if config.accuracy and config.accuracy.data and not config.accuracy.data.is_absolute():
        fields["accuracy"] = config.accuracy.model_copy(update={"data": base / config.accuracy.data})
    return config.model_copy(update=fields)

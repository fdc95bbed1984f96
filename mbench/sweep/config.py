"""A whole sweep in one YAML file: models x formats x precisions x devices, for `mbench run CONFIG.yaml`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    create_model,
    field_validator,
)

from mbench.errors import MBenchError
from mbench import paths
from mbench.convert.pipeline import ConvertSettings
from mbench.measure.passes import OpsPlan
from mbench.measure.timing import RunPlan
from mbench.models.inputs import parse_inputs
from mbench.models.sources import default_name, spec_from_source
from mbench.spec import Format, ModelSpec, Precision
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


class _OpsBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def plan(self) -> OpsPlan:
        return OpsPlan(**self.model_dump())


# The sweep file's `ops:` keys (the per-operator pass after each device's timed rounds, as `mbench profile --ops`):
# every OpsPlan field, with its defaults and bounds; `ops: {}` takes them all.
OpsSettings = create_model(
    "OpsSettings", __base__=_OpsBase, **{f.name: _plan_key(f) for f in dataclasses.fields(OpsPlan)}
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
    output: str = ""  # the output scored, by name, for models with several; "": each artifact's first


class UserModel(BaseModel):
    """A model of one's own in a sweep, as `mbench convert --model SOURCE --input-shape ... --name ...` takes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str  # path/to/file.py:factory (relative to the sweep file's folder) or package.module:factory
    input_shape: str | list[str]  # as --input-shape: "1,3,224,224", "1,3,224,224;1,16:int64" or one item per input
    name: str | None = None

    @field_validator("model")
    @classmethod
    def _has_factory(cls, source: str) -> str:
        if ":" not in source:
            raise ValueError("expected path/to/file.py:factory or package.module:factory")
        return source

    @field_validator("input_shape")
    @classmethod
    def _parses(cls, shapes):
        parse_inputs(shapes)  # its error says what is wrong and what would do
        return shapes


def _registry_name(entry: str) -> str:
    if ":" in entry:
        raise ValueError(
            f"{entry!r} is a model of your own: give it as a mapping with its input shape, "
            f"e.g. {{model: {entry}, input_shape: 1,3,224,224}}"
        )
    return entry


ModelEntry = str | UserModel
ENTRY_TAGS = frozenset({"registry", "own"})  # which kind of entry pydantic read: left out of error locations
_Entry = Annotated[
    Annotated[str, AfterValidator(_registry_name), Tag("registry")] | Annotated[UserModel, Tag("own")],
    Discriminator(lambda value: "registry" if isinstance(value, str) else "own"),
]


def model_label(entry: ModelEntry) -> str:
    """The name a model entry's rows carry, known before its file is loaded."""
    return entry if isinstance(entry, str) else entry.name or default_name(entry.model)


def spec_of(entry: ModelEntry) -> ModelSpec:
    """The entry's model spec: a registry name, or a model of one's own (loading its file)."""
    if isinstance(entry, str):
        return spec_from_source(entry)
    return spec_from_source(entry.model, parse_inputs(entry.input_shape), entry.name)


def _two_models(pair: tuple[str, str]) -> tuple[str, str]:
    if pair[0] == pair[1]:
        raise ValueError("a pair is two different model names, e.g. [resnet50, xception]")
    return pair


def pairs_outside(pairs, models: list[str]) -> str:
    """What is wrong with ``pairs`` for a sweep of ``models`` (their labels): the names in no entry, or ''."""
    unknown = [name for pair in pairs for name in pair if name not in models]
    if not unknown:
        return ""
    return f"{', '.join(dict.fromkeys(unknown))} not among the sweep's models ({', '.join(models)})"


class SweepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    models: Annotated[list[_Entry], Field(min_length=1)]  # registry names, or models of one's own (UserModel)
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
    ops: OpsSettings | None = None  # {}: the per-operator pass on every device after its timed rounds
    # models measured in the same rounds (as `mbench profile --pair`), besides the pairs declared with the models
    pairs: list[Annotated[tuple[str, str], AfterValidator(_two_models)]] = []

    @field_validator("pairs")
    @classmethod
    def _pairs_of_the_sweep(cls, pairs: list[tuple[str, str]], info: ValidationInfo) -> list[tuple[str, str]]:
        if "models" in info.data and (wrong := pairs_outside(pairs, [model_label(e) for e in info.data["models"]])):
            raise ValueError(wrong)
        return pairs

    def convert_settings(self) -> ConvertSettings:
        return ConvertSettings(tuple(self.precisions), self.calibration, self.calibration_samples)

    def key(self) -> str:
        """Identifies the work, not where results go: a rerun with the same key resumes. Pairs are work (they decide
        which artifacts share rounds); a sweep without any keeps the key it had before pairs existed. The ops pass
        is not: a rerun that asks for it adds it where the sweep has none, and keeps the timed rows."""
        work = self.model_dump(mode="json", exclude={"db", "report", "ops", *(() if self.pairs else ("pairs",))})
        return hashlib.sha256(json.dumps(work, sort_keys=True).encode()).hexdigest()[:12]


def with_pairs(config: SweepConfig, pairs: list[tuple[str, str]]) -> SweepConfig:
    """``config`` with ``pairs`` (`mbench run --pair`) added to its own; a name in no model entry is an error."""
    wrong = pairs_outside(pairs, [model_label(e) for e in config.models])
    if wrong:
        raise SweepConfigError(f"--pair: {wrong}")
    return config.model_copy(update={"pairs": list(dict.fromkeys([*config.pairs, *pairs]))})


def load_sweep_config(path: Path | str) -> SweepConfig:
    """Relative paths in the file are taken relative to the file's folder."""
    path = Path(path)
    config = load_validated(
        path, SweepConfig, SweepConfigError, "sweep config", "see examples/sweep.yaml", _valid_keys, ENTRY_TAGS
    )
    base = path.resolve().parent
    fields = {
        name: base / value
        for name in ("out", "db", "inventory", "report", "calibration")
        if isinstance(value := getattr(config, name), Path) and not value.is_absolute()
    }
    if config.accuracy and config.accuracy.data and not config.accuracy.data.is_absolute():
        fields["accuracy"] = config.accuracy.model_copy(update={"data": base / config.accuracy.data})
    fields["models"] = [_from_folder(entry, base) for entry in config.models]
    return config.model_copy(update=fields)


def _valid_keys(root, loc: list) -> list[str]:
    """The keys allowed where an unknown one was found: a model entry's, a nested section's, or the top level's."""
    if len(loc) > 1 and loc[0] == "models":
        return sorted(UserModel.model_fields)
    nested = (
        {"profile": ProfileSettings, "accuracy": AccuracySettings, "ops": OpsSettings}.get(str(loc[0]))
        if len(loc) > 1
        else None
    )
    return sorted((nested or SweepConfig).model_fields)


def _from_folder(entry: ModelEntry, base: Path) -> ModelEntry:
    """A model file named relative to the sweep file, made absolute."""
    if isinstance(entry, str):
        return entry
    location, _, factory = entry.model.rpartition(":")
    if not location.endswith(".py") or Path(location).is_absolute():
        return entry
    return entry.model_copy(update={"model": f"{base / location}:{factory}"})

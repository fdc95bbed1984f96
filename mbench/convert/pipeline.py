"""Convert one source model into each requested format, check each artifact against PyTorch, and record rows.

One format failing never stops the others: its failure becomes a row with the converter's message.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Iterator

import numpy as np

from converters import converter_for
from mbench.artifacts import Artifact, Parity, digest
from mbench.data.calibration import DEFAULT_SAMPLES, Calibration, calibration_for
from mbench.convert.cache import cache_key, cached_artifact, model_fingerprint, samples_fingerprint
from mbench.convert.capture import output_to
from mbench.convert.retire import Retired, retire_other_models
from mbench.convert.diagnose import Culprit, culprit_for
from mbench.convert.parity import FLAG, tolerance
from mbench.host import cpu_features, cpu_model
from mbench.models.facts import ModelFacts, model_facts
from mbench.results import Context, Measurement, RowKey, describe_error, with_model_hash
from mbench.runners.base import NotRunnableHere, runner_for, seeded_inputs
from mbench.spec import Format, ModelSpec, Precision, Status

PARITY_SEED = 0


@dataclass(frozen=True)
class Conversion:
    """The outcome for one (model, format, precision): an artifact, or the error that stopped it."""

    model: str
    format: Format
    precision: Precision
    artifact: Artifact | None = None
    error: str = ""
    facts: ModelFacts | None = None  # on the PyTorch reference only
    status: Status = Status.FAILED  # of a conversion that produced no artifact: failed, or not offered
    cached: bool = False  # the artifact was already built with the same cache key
    model_hash: str = ""  # the source model's structure+weights hash
    retired: Retired | None = None  # older artifacts of this name deleted first (on the first outcome)


def artifact_path(out_dir: Path, spec: ModelSpec, fmt: Format, precision: Precision) -> Path:
    return Path(out_dir) / spec.name / f"{spec.name}-{precision.value}{fmt.suffix}"


@dataclass(frozen=True)
class ConvertSettings:
    """What to produce beyond the formats: precisions, calibration data, per-format converter options."""

    precisions: tuple[Precision, ...] = (Precision.FP32,)
    calibration_dir: Path | None = None
    calibration_samples: int = DEFAULT_SAMPLES
    options: dict[Format, object] = field(default_factory=dict)
    rebuild: bool = False  # ignore the cache


def reference_output(spec: ModelSpec):
    """The model as every conversion builds it (seeded weights), the fixed parity inputs, and PyTorch's output."""
    import torch

    torch.manual_seed(0)
    model = spec.build()
    inputs = seeded_inputs(tuple(spec.inputs), PARITY_SEED)
    with torch.inference_mode():
        return model, inputs, model(torch.from_numpy(inputs[0])).numpy()


def convert_model(spec: ModelSpec, formats: list[Format], out_dir: Path,
                  settings: ConvertSettings = ConvertSettings()) -> Iterator[Conversion]:
    """Write the PyTorch reference artifact (fp32) and one artifact per format and precision, with manifests,
    yielding each outcome as soon as it exists. What the converters print goes to ``<artifact>.convert.log``.

    Every artifact's parity is measured against the fp32 PyTorch model on the same seeded input."""
    job = _job(spec, out_dir, settings)
    yield replace(job.convert(Format.PYTORCH, Precision.FP32), facts=model_facts(spec, job.model), retired=job.retired)
    for fmt in [f for f in formats if f is not Format.PYTORCH]:
        for precision in settings.precisions:
            yield job.convert(fmt, precision)


def convert_one(spec: ModelSpec, fmt: Format, precision: Precision, out_dir: Path,
                settings: ConvertSettings = ConvertSettings()) -> Conversion:
    """One (model, format, precision) alone, as a lab task converts it: the same artifact, cache and parity as
    ``convert_model``; the PyTorch reference carries the model's facts."""
    job = _job(spec, out_dir, replace(settings, precisions=(precision,)))
    outcome = replace(job.convert(fmt, precision), retired=job.retired)
    return replace(outcome, facts=model_facts(spec, job.model)) if fmt is Format.PYTORCH else outcome


def _job(spec: ModelSpec, out_dir: Path, settings: ConvertSettings) -> _Job:
    import torch

    model, inputs, reference = reference_output(spec)
    example = torch.from_numpy(inputs[0])
    calibration = None
    if Precision.INT8 in settings.precisions:
        calibration = calibration_for(spec.inputs[0], settings.calibration_dir, settings.calibration_samples,
                                      task=spec.task)
    fingerprint = model_fingerprint(model, spec)
    retired = retire_other_models(artifact_path(out_dir, spec, Format.PYTORCH, Precision.FP32).parent, spec.name,
                                  fingerprint)
    return _Job(model, spec, example, Path(out_dir), inputs, reference, calibration, settings.options,
                fingerprint, samples_fingerprint(calibration and calibration.samples), settings.rebuild, retired)


@dataclass(frozen=True)
class _Job:
    """Everything one model's conversions share."""

    model: object
    spec: ModelSpec
    example: object
    out_dir: Path
    inputs: list[np.ndarray]
    reference: np.ndarray
    calibration: Calibration | None
    options: dict[Format, object]
    fingerprint: str
    calibration_fingerprint: str
    rebuild: bool
    retired: Retired | None = None
    culprits: dict[Format, Culprit | None] = field(default_factory=dict)

    def convert(self, fmt: Format, precision: Precision) -> Conversion:
        converter = converter_for(fmt)
        if precision not in converter.PRECISIONS:
            offered = ", ".join(p.value for p in Precision if p in converter.PRECISIONS)
            return Conversion(self.spec.name, fmt, precision, status=Status.NOT_RUN, model_hash=self.fingerprint,
                              error=f"{fmt.value} does not offer {precision.value} (it offers {offered})")
        path = artifact_path(self.out_dir, self.spec, fmt, precision)
        path.parent.mkdir(parents=True, exist_ok=True)
        calibration = self.calibration if precision is Precision.INT8 else None
        options = self.options.get(fmt) or converter.Options()
        key = cache_key(self.fingerprint, fmt.value, precision.value, options, converter.versions(),
                        self.calibration_fingerprint if calibration else "")
        hit = None if self.rebuild else cached_artifact(path, key)
        if hit is not None:  # judged again: the rule may have changed since it was built
            judged = replace(hit.parity, tolerance=self._tolerance(fmt, precision))
            return Conversion(self.spec.name, fmt, precision, hit.with_parity(judged), cached=True,
                              model_hash=self.fingerprint)
        return self._build(converter, fmt, precision, path, options, calibration, key)

    def _build(self, converter, fmt, precision, path, options, calibration, key) -> Conversion:
        """Run the converter (its output kept in a log beside the artifact); a failure becomes the outcome."""
        log = path.with_name(path.name + ".convert.log")
        log.unlink(missing_ok=True)
        started = time.perf_counter()
        try:
            with output_to(log):
                converted = converter.convert(self.model, self.spec, self.example, options, path, precision,
                                              calibration)
        except Exception as error:  # noqa: BLE001  (any converter failure becomes a row; the sweep goes on)
            where = self._culprit(converter, fmt, precision, options, path)
            return Conversion(self.spec.name, fmt, precision, model_hash=self.fingerprint,
                              error=(f"fails at {where}: " if where else "")
                              + f"{describe_error(error)} (log: {log})")
        artifact = self._artifact(converter, fmt, precision, path, converted, time.perf_counter() - started,
                                  calibration, key)
        return Conversion(self.spec.name, fmt, precision, artifact, model_hash=self.fingerprint)

    def _artifact(self, converter, fmt, precision, path, converted, seconds, calibration, key) -> Artifact:
        sha, size = digest(path)
        artifact = Artifact(
            self.spec.name, fmt, precision, path, sha, size, converter.NAME, converter.versions(), seconds,
            converted.inputs, converted.outputs, self.spec.source, converted.quantization,
            calibration.describe() if calibration and converted.calibrated else "", key, self.fingerprint,
            delegation=converted.delegation,
        )
        parity = check_parity(artifact, self.inputs, self.reference)
        artifact = artifact.with_parity(replace(parity, tolerance=self._tolerance(fmt, precision)))
        artifact.write_manifest()
        return artifact

    def _culprit(self, converter, fmt: Format, precision: Precision, options, path: Path) -> Culprit | None:
        """The first module that does not convert to ``fmt``, searched once per format (bounded in time)."""
        if fmt not in self.culprits:
            self.culprits[fmt] = culprit_for(converter, self.model, self.spec, self.example, options, path,
                                             precision)
        return self.culprits[fmt]

    def _tolerance(self, fmt: Format, precision: Precision) -> float | None:
        if fmt is Format.PYTORCH:
            return None
        return tolerance(self.spec.parity_atol, precision, float(np.abs(self.reference).max()))


def check_parity(artifact: Artifact, inputs: list[np.ndarray], reference: np.ndarray) -> Parity:
    """Run the artifact on this host and compare with PyTorch; a reason instead of numbers where it cannot run."""
    if artifact.format is Format.PYTORCH:
        return Parity(Status.OK, 0.0, 0.0, "reference", PARITY_SEED)
    runner = runner_for(artifact.format)
    try:
        runner.load(artifact, threads=1)
        output = np.asarray(runner.run(inputs)[0], dtype=np.float64).reshape(reference.shape)
    except NotRunnableHere as reason:
        return Parity(Status.NOT_RUN, reason=str(reason), seed=PARITY_SEED)
    except Exception as error:  # noqa: BLE001
        return Parity(Status.FAILED, reason=describe_error(error), seed=PARITY_SEED)
    finally:
        runner.close()
    diff = np.abs(output - reference)
    return Parity(Status.OK, float(diff.max()), float(diff.mean()), "", PARITY_SEED,
                  cpu=f"{cpu_model()}: {cpu_features()}")


def conversion_rows(outcome: Conversion) -> list[Measurement]:
    """Size, conversion time and parity rows for an artifact; one failed row for a conversion that failed."""
    if outcome.artifact is None:
        context = Context(details=with_model_hash("{}", outcome.model_hash))
        return [RowKey(outcome.model, outcome.format, outcome.precision).failure("conversion", outcome.status,
                                                                                 outcome.error, context)]
    a = outcome.artifact
    ctx = Context.of_artifact(a, details=json.dumps({"cached": outcome.cached, "quantization": a.quantization,
                                                     "calibration": a.calibration}))
    rows = [_row(a, "size", a.bytes, "bytes", ctx), _row(a, "convert_time", a.seconds, "s", ctx)]
    if outcome.facts:
        f = outcome.facts
        rows += [_row(a, "parameters", f.parameters, "count", ctx), _row(a, "weight_bytes", f.weight_bytes, "bytes", ctx),
                 _row(a, "buffer_bytes", f.buffer_bytes, "bytes", ctx), _row(a, "macs", f.macs, "count", ctx)]
    p = a.parity
    judged = replace(ctx, details=json.dumps({**json.loads(ctx.details), "tolerance": p.tolerance,
                                              "parity_max_abs": p.max_abs, FLAG: p.exceeded,
                                              "parity_cpu": p.cpu}))
    for metric, value in (("parity_max_abs", p.max_abs), ("parity_mean_abs", p.mean_abs)):
        rows.append(_row(a, metric, value, "abs", judged, p.status, p.reason if p.status is not Status.OK else ""))
    return rows


def _row(a: Artifact, metric: str, value, unit: str, ctx: Context, status: Status = Status.OK,
         error: str = "") -> Measurement:
    return RowKey.of(a).row(metric, value, unit, ctx, status, error)

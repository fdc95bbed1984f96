"""Convert one source model into each requested format, check each artifact against PyTorch, and record rows.

One format failing never stops the others: its failure becomes a row with the converter's message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from converters import converter_for
from mbench.artifacts import Artifact, Parity, digest
from mbench.capture import output_of, output_to
from mbench.convert.agreement import ParityInputs, check_parity, parity_inputs, vacuous_reason
from mbench.convert.cache import cache_key, cached_artifact, model_fingerprint, samples_fingerprint
from mbench.convert.diagnose import Culprit, culprit_for
from mbench.convert.parity import parity_details, psnr_floor_db, tolerance, vacuous_details
from mbench.convert.retire import Retired, retire_other_models
from mbench.data.calibration import DEFAULT_SAMPLES, Calibration, calibration_for
from mbench.models.facts import ModelFacts, model_facts
from mbench.results import Context, Measurement, RowKey, describe_error, with_model_hash
from mbench.spec import Format, ModelSpec, Precision, Status


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
    vacuous: str = ""  # why the model's PyTorch outputs say nothing (agreement.vacuous_reason); "" where they do


def artifact_path(out_dir: Path, spec: ModelSpec, fmt: Format, precision: Precision) -> Path:
    return Path(out_dir) / spec.name / f"{spec.name}-{precision.value}{fmt.suffix}"


def log_path(path: Path) -> Path:
    """Where what converting and checking the artifact at ``path`` printed goes."""
    return path.with_name(path.name + ".convert.log")


@dataclass(frozen=True)
class ConvertSettings:
    """What to produce beyond the formats: precisions, calibration data, per-format converter options."""

    precisions: tuple[Precision, ...] = (Precision.FP32,)
    calibration_dir: Path | None = None
    calibration_samples: int = DEFAULT_SAMPLES
    options: dict[Format, object] = field(default_factory=dict)
    rebuild: bool = False  # ignore the cache


def reference_output(spec: ModelSpec, calibration_dir: Path | None = None):
    """The model as every conversion builds it (seeded weights), the parity inputs (agreement.parity_inputs), and
    PyTorch's outputs on them, stacked (inputs x output shape)."""
    import torch

    torch.manual_seed(0)
    model = spec.build()
    inputs = parity_inputs(spec, calibration_dir)
    with torch.inference_mode():
        return model, inputs, np.stack([model(torch.from_numpy(x)).numpy() for x in inputs.arrays])


def convert_model(
    spec: ModelSpec, formats: list[Format], out_dir: Path, settings: ConvertSettings = ConvertSettings()
) -> Iterator[Conversion]:
    """Write the PyTorch reference artifact (fp32) and one artifact per format and precision, with manifests,
    yielding each outcome as soon as it exists. What the converters print goes to ``<artifact>.convert.log``.

    Every artifact's parity is measured against the fp32 PyTorch model on the same inputs (agreement.parity_inputs)."""
    job = _job(spec, out_dir, settings)
    yield replace(job.convert(Format.PYTORCH, Precision.FP32), facts=model_facts(spec, job.model), retired=job.retired)
    for fmt in [f for f in formats if f is not Format.PYTORCH]:
        for precision in settings.precisions:
            yield job.convert(fmt, precision)


def convert_one(
    spec: ModelSpec, fmt: Format, precision: Precision, out_dir: Path, settings: ConvertSettings = ConvertSettings()
) -> Conversion:
    """One (model, format, precision) alone, as a lab task converts it: the same artifact, cache and parity as
    ``convert_model``; the PyTorch reference carries the model's facts."""
    job = _job(spec, out_dir, replace(settings, precisions=(precision,)))
    outcome = replace(job.convert(fmt, precision), retired=job.retired)
    return replace(outcome, facts=model_facts(spec, job.model)) if fmt is Format.PYTORCH else outcome


def _job(spec: ModelSpec, out_dir: Path, settings: ConvertSettings) -> _Job:
    import torch

    (model, inputs, reference), printed = output_of(lambda: reference_output(spec, settings.calibration_dir))
    example = torch.from_numpy(inputs.arrays[0])
    calibration = None
    if Precision.INT8 in settings.precisions:
        calibration = calibration_for(
            spec.inputs[0], settings.calibration_dir, settings.calibration_samples, task=spec.task
        )
    fingerprint = model_fingerprint(model, spec)
    retired = retire_other_models(
        artifact_path(out_dir, spec, Format.PYTORCH, Precision.FP32).parent, spec.name, fingerprint
    )
    return _Job(
        model,
        spec,
        example,
        Path(out_dir),
        inputs,
        reference,
        calibration,
        settings.options,
        fingerprint,
        samples_fingerprint(calibration and calibration.samples),
        settings.rebuild,
        retired,
        vacuous_reason(reference),
        spec.printed + printed,
    )


@dataclass(frozen=True)
class _Job:
    """Everything one model's conversions share."""

    model: object
    spec: ModelSpec
    example: object
    out_dir: Path
    inputs: ParityInputs
    reference: np.ndarray  # PyTorch's outputs on inputs.arrays, stacked
    calibration: Calibration | None
    options: dict[Format, object]
    fingerprint: str
    calibration_fingerprint: str
    rebuild: bool
    retired: Retired | None = None
    vacuous: str = ""
    printed: str = ""  # by loading and building the model (libraries it imports): opens the reference's log
    culprits: dict[Format, Culprit | None] = field(default_factory=dict)

    def convert(self, fmt: Format, precision: Precision) -> Conversion:
        """One outcome, carrying whether the model's outputs say anything at all."""
        return replace(self._convert(fmt, precision), vacuous=self.vacuous)

    def _convert(self, fmt: Format, precision: Precision) -> Conversion:
        converter = converter_for(fmt)
        if precision not in converter.PRECISIONS:
            offered = ", ".join(p.value for p in Precision if p in converter.PRECISIONS)
            return Conversion(
                self.spec.name,
                fmt,
                precision,
                status=Status.NOT_RUN,
                model_hash=self.fingerprint,
                error=f"{fmt.value} does not offer {precision.value} (it offers {offered})",
            )
        path = artifact_path(self.out_dir, self.spec, fmt, precision)
        path.parent.mkdir(parents=True, exist_ok=True)
        calibration = self.calibration if precision is Precision.INT8 else None
        options = self.options.get(fmt) or converter.Options()
        key = cache_key(
            self.fingerprint,
            fmt.value,
            precision.value,
            options,
            converter.versions(),
            self.calibration_fingerprint if calibration else "",
        )
        hit = None if self.rebuild else cached_artifact(path, key)
        if hit is not None:
            return Conversion(
                self.spec.name, fmt, precision, self._rejudged(hit), cached=True, model_hash=self.fingerprint
            )
        return self._build(converter, fmt, precision, path, options, calibration, key)

    def _build(self, converter, fmt, precision, path, options, calibration, key) -> Conversion:
        """Run the converter (its output kept in a log beside the artifact, the reference's opening with what loading
        and building the model printed); a failure becomes the outcome."""
        log = log_path(path)
        log.write_text(self.printed if fmt is Format.PYTORCH else "")
        started = time.perf_counter()
        try:
            with output_to(log):
                converted = converter.convert(
                    self.model, self.spec, self.example, options, path, precision, calibration
                )
        except Exception as error:  # noqa: BLE001  (any converter failure becomes a row; the sweep goes on)
            where = self._culprit(converter, fmt, precision, options, path)
            return Conversion(
                self.spec.name,
                fmt,
                precision,
                model_hash=self.fingerprint,
                error=(f"fails at {where}: " if where else "") + f"{describe_error(error)} (log: {log})",
            )
        artifact = self._artifact(
            converter, fmt, precision, path, converted, time.perf_counter() - started, calibration, key
        )
        return Conversion(self.spec.name, fmt, precision, artifact, model_hash=self.fingerprint)

    def _artifact(self, converter, fmt, precision, path, converted, seconds, calibration, key) -> Artifact:
        sha, size = digest(path)
        artifact = Artifact(
            self.spec.name,
            fmt,
            precision,
            path,
            sha,
            size,
            converter.NAME,
            converter.versions(),
            seconds,
            converted.inputs,
            converted.outputs,
            self.spec.source,
            converted.quantization,
            calibration.describe() if calibration and converted.calibrated else "",
            key,
            self.fingerprint,
            delegation=converted.delegation,
        )
        artifact = artifact.with_parity(self._judged(self._measured(artifact), fmt, precision))
        artifact.write_manifest()
        return artifact

    def _measured(self, artifact: Artifact) -> Parity:
        """The artifact's parity, what its runtime prints (and the libraries it imports) added to its convert log."""
        with output_to(log_path(artifact.path)):
            return check_parity(artifact, self.inputs.arrays, self.reference)

    def _rejudged(self, hit: Artifact) -> Artifact:
        """A cached artifact judged again (the rule may have changed since it was built), and measured again first
        where its parity was measured on other inputs."""
        if hit.parity.inputs == self.inputs.description:
            return hit.with_parity(self._judged(hit.parity, hit.format, hit.precision))
        artifact = hit.with_parity(self._judged(self._measured(hit), hit.format, hit.precision))
        artifact.write_manifest()
        return artifact

    def _judged(self, parity: Parity, fmt: Format, precision: Precision) -> Parity:
        """The parity with the bounds it is judged by, the inputs it was measured on and whether it says anything."""
        if fmt is Format.PYTORCH:
            return replace(parity, inputs=self.inputs.description, vacuous=self.vacuous)
        return replace(
            parity,
            tolerance=self._tolerance(precision),
            psnr_floor_db=psnr_floor_db(precision),
            inputs=self.inputs.description,
            vacuous=self.vacuous,
        )

    def _culprit(self, converter, fmt: Format, precision: Precision, options, path: Path) -> Culprit | None:
        """The first module that does not convert to ``fmt``, searched once per format (bounded in time)."""
        if fmt not in self.culprits:
            self.culprits[fmt] = culprit_for(converter, self.model, self.spec, self.example, options, path, precision)
        return self.culprits[fmt]

    def _tolerance(self, precision: Precision) -> float:
        return tolerance(self.spec.parity_atol, precision, float(np.abs(self.reference).max()))


def conversion_rows(outcome: Conversion) -> list[Measurement]:
    """Size, conversion time and parity rows for an artifact; one failed row for a conversion that failed. Every row
    of a model whose outputs do not change with its input says so (``parity_vacuous``)."""
    vacuous = vacuous_details(outcome.vacuous)
    if outcome.artifact is None:
        context = Context(details=with_model_hash(json.dumps(vacuous), outcome.model_hash))
        return [
            RowKey(outcome.model, outcome.format, outcome.precision).failure(
                "conversion", outcome.status, outcome.error, context
            )
        ]
    a = outcome.artifact
    ctx = Context.of_artifact(
        a,
        details=json.dumps(
            {"cached": outcome.cached, "quantization": a.quantization, "calibration": a.calibration, **vacuous}
        ),
    )
    rows = [_row(a, "size", a.bytes, "bytes", ctx), _row(a, "convert_time", a.seconds, "s", ctx)]
    if outcome.facts:
        f = outcome.facts
        rows += [
            _row(a, "parameters", f.parameters, "count", ctx),
            _row(a, "weight_bytes", f.weight_bytes, "bytes", ctx),
            _row(a, "buffer_bytes", f.buffer_bytes, "bytes", ctx),
            _row(a, "macs", f.macs, "count", ctx),
        ]
    p = a.parity
    judged = replace(ctx, details=json.dumps({**json.loads(ctx.details), **parity_details(p)}))
    for metric, value in (("parity_max_abs", p.max_abs), ("parity_mean_abs", p.mean_abs)):
        rows.append(_row(a, metric, value, "abs", judged, p.status, p.reason if p.status is not Status.OK else ""))
    return rows


def _row(
    a: Artifact, metric: str, value, unit: str, ctx: Context, status: Status = Status.OK, error: str = ""
) -> Measurement:
    return RowKey.of(a).row(metric, value, unit, ctx, status, error)

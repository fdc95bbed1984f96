"""Convert one source model into each requested format, check each artifact against PyTorch, and record rows.

One format failing never stops the others: its failure becomes a row with the converter's message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path


from converters import converter_for
from mbench.artifacts import Artifact, Parity, TensorInfo, digest
from mbench.capture import output_of, output_to
from mbench.convert.agreement import ParityInputs, check_parity
from mbench.convert.cache import cache_key, cached_artifact, model_fingerprint, samples_fingerprint
from mbench.convert.diagnose import Culprit, culprit_for
from mbench.convert.parity import parity_details, psnr_floor_db, tolerance, vacuous_details
from mbench.convert.reference import Reference, judge, reference_output, tolerances
from mbench.convert.retire import Retired, retire_other_models
from mbench.data.calibration import DEFAULT_SAMPLES, Calibration, calibration_for_inputs
from mbench.models.facts import ModelFacts, model_facts
from mbench.results import Context, Measurement, RowKey, describe_error, with_model_hash
from mbench.spec import Format, InputSpec, ModelSpec, Precision, Status


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


def convert_model(
    spec: ModelSpec, formats: list[Format], out_dir: Path, settings: ConvertSettings = ConvertSettings()
) -> Iterator[Conversion]:
    """Write the PyTorch reference artifact (fp32) and one artifact per format and precision, with manifests,
    yielding each outcome as soon as it exists. What the converters print goes to ``<artifact>.convert.log``.

    Every artifact's parity is measured against the fp32 PyTorch model on the same inputs (agreement.parity_inputs)."""
    job = _job(spec, out_dir, settings)
    yield replace(
        job.convert(Format.PYTORCH, Precision.FP32), facts=model_facts(job.spec, job.model), retired=job.retired
    )
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
    return replace(outcome, facts=model_facts(job.spec, job.model)) if fmt is Format.PYTORCH else outcome


def _job(spec: ModelSpec, out_dir: Path, settings: ConvertSettings) -> _Job:
    reference, printed = output_of(lambda: reference_output(spec, settings.calibration_dir))
    spec = reference.spec
    calibration = None
    if Precision.INT8 in settings.precisions:
        calibration = calibration_for_inputs(
            spec.inputs, settings.calibration_dir, settings.calibration_samples, task=spec.task
        )
    fingerprint = model_fingerprint(reference.model, spec)
    retired = retire_other_models(
        artifact_path(out_dir, spec, Format.PYTORCH, Precision.FP32).parent, spec.name, fingerprint
    )
    return _Job(
        reference,
        Path(out_dir),
        calibration,
        settings.options,
        fingerprint,
        samples_fingerprint(calibration and calibration.feeds()),
        settings.rebuild,
        retired,
        reference.vacuous(),
        spec.printed + printed,
    )


@dataclass(frozen=True)
class _Job:
    """Everything one model's conversions share."""

    reference: Reference
    out_dir: Path
    calibration: Calibration | None
    options: dict[Format, object]
    fingerprint: str
    calibration_fingerprint: str
    rebuild: bool
    retired: Retired | None = None
    vacuous: str = ""
    printed: str = ""  # by loading and building the model (libraries it imports): opens the reference's log
    culprits: dict[Format, Culprit | None] = field(default_factory=dict)

    @property
    def spec(self) -> ModelSpec:
        return self.reference.spec

    @property
    def model(self):
        return self.reference.model

    @property
    def inputs(self) -> ParityInputs:
        return self.reference.inputs

    def module_for(self, fmt: Format):
        """The PyTorch reference saves the model's own state_dict; the exporters take its flat outputs."""
        return self.model if fmt is Format.PYTORCH else self.reference.exportable

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
                    self.module_for(fmt), self.spec, self.reference.examples, options, path, precision, calibration
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
            with_limits(converted.inputs, self.spec.inputs),
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
            return check_parity(artifact, self.inputs.feeds, self.reference.outputs)

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
        judged = judge(parity, self._tolerances(precision), psnr_floor_db(precision))
        return replace(judged, inputs=self.inputs.description, vacuous=self.vacuous)

    def _culprit(self, converter, fmt: Format, precision: Precision, options, path: Path) -> Culprit | None:
        """The first module that does not convert to ``fmt``, searched once per format (bounded in time)."""
        if fmt not in self.culprits:
            self.culprits[fmt] = culprit_for(
                converter,
                self.model,
                self.spec,
                self.reference.examples,
                options,
                path,
                precision,
                whole=self.module_for(fmt),
            )
        return self.culprits[fmt]

    def _tolerances(self, precision: Precision) -> dict[str, float]:
        """Each output's tolerance, by the scale of its own PyTorch values."""
        return tolerances(self.reference, lambda scale: tolerance(self.spec.parity_atol, precision, scale))


def with_limits(converted: tuple[TensorInfo, ...], inputs: tuple[InputSpec, ...]) -> tuple[TensorInfo, ...]:
    """The artifact's inputs as the converter reports them, with each integer input's bound for seeded values."""
    return tuple(replace(info, limit=spec.limit) if spec.limit else info for info, spec in zip(converted, inputs))


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
    judged = replace(ctx, details=json.dumps({**json.loads(ctx.details), **parity_details(p), **_per_output(p)}))
    for metric, value in (("parity_max_abs", p.max_abs), ("parity_mean_abs", p.mean_abs)):
        rows.append(_row(a, metric, value, "abs", judged, p.status, p.reason if p.status is not Status.OK else ""))
    return rows


def _per_output(parity: Parity) -> dict:
    """Which output the row's figures are, and each output's, where the model has several."""
    if len(parity.outputs) < 2:
        return {}
    return {"parity_output": parity.output, "parity_outputs": parity.outputs}


def _row(
    a: Artifact, metric: str, value, unit: str, ctx: Context, status: Status = Status.OK, error: str = ""
) -> Measurement:
    return RowKey.of(a).row(metric, value, unit, ctx, status, error)

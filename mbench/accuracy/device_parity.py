"""Parity with PyTorch measured on a device: the artifact run there on the conversion's fixed parity input, against
fp32 PyTorch's output computed here (convert/pipeline.reference_output, the model built as every conversion builds
it). The conversion's own ``parity_max_abs`` is this host's runtime; ``device_parity_max_abs`` is the device's
(another instruction set takes other kernels, and int8 kernels round differently)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mbench.artifacts import Artifact
from mbench.convert.parity import exceeded_text, tolerance
from mbench.results import Context, Measurement, RowKey
from mbench.runners.base import Runner

METRIC = "device_parity_max_abs"


@lru_cache(maxsize=4)
def _reference(model: str) -> tuple[list[np.ndarray], np.ndarray, float, str] | None:
    """The parity inputs, PyTorch's output, the model's absolute tolerance and its source hash."""
    from mbench import models
    from mbench.convert.cache import model_fingerprint
    from mbench.convert.pipeline import reference_output

    try:
        spec = models.get(model)
    except KeyError:
        return None
    built, inputs, output = reference_output(spec)
    return inputs, output, spec.parity_atol, model_fingerprint(built, spec)


def device_parity(artifact: Artifact, runner: Runner, key: RowKey, context: Context) -> list[Measurement]:
    """One row: max |device output - PyTorch| on the parity input, flagged past the precision's tolerance; none for a
    model that is not in this process's registry, or whose source changed since this artifact (no reference)."""
    reference = _reference(artifact.model)
    if reference is None or (artifact.model_hash and reference[3] != artifact.model_hash):
        return []
    inputs, expected, atol, _ = reference
    output = np.asarray(runner.run(inputs)[0], dtype=np.float64).reshape(expected.shape)
    max_abs, limit = (
        float(np.abs(output - expected).max()),
        tolerance(atol, artifact.precision, float(np.abs(expected).max())),
    )
    error = exceeded_text(max_abs, limit) if max_abs > limit else ""
    return [key.row(METRIC, max_abs, "", context, error=error)]

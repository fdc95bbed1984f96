"""Parity with PyTorch measured on a device: the artifact run there on the conversion's parity inputs, against fp32
PyTorch's outputs computed here (convert/pipeline.reference_output, the model built as every conversion builds it).
The conversion's own ``parity_max_abs`` is this host's runtime; ``device_parity_max_abs`` and
``device_parity_psnr_db`` are the device's (another instruction set takes other kernels, and int8 kernels round
differently), judged by the same rule (convert/parity.py: a tolerance on max |Δ| and a floor on the PSNR)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mbench.artifacts import Artifact
from mbench.convert.agreement import psnr_db
from mbench.convert.parity import exceeded_text, psnr_floor_db, tolerance
from mbench.results import Context, Measurement, RowKey
from mbench.runners.base import Runner

METRIC = "device_parity_max_abs"
PSNR_METRIC = "device_parity_psnr_db"


@lru_cache(maxsize=4)
def _reference(model: str) -> tuple[list[np.ndarray], np.ndarray, float, str] | None:
    """The parity inputs, PyTorch's outputs on them (stacked), the model's absolute tolerance and its source hash."""
    from mbench import models
    from mbench.convert.cache import model_fingerprint
    from mbench.convert.pipeline import reference_output

    try:
        spec = models.get(model)
    except KeyError:
        return None
    built, inputs, outputs = reference_output(spec)
    return inputs.arrays, outputs, spec.parity_atol, model_fingerprint(built, spec)


def device_parity(artifact: Artifact, runner: Runner, key: RowKey, context: Context) -> list[Measurement]:
    """max |device output - PyTorch| over the parity inputs and the PSNR of the device's outputs against PyTorch's,
    the first flagged where either is past its bound; none for a model that is not in this process's registry, or
    whose source changed since this artifact (no reference to compare with)."""
    reference = _reference(artifact.model)
    if reference is None or (artifact.model_hash and reference[3] != artifact.model_hash):
        return []
    inputs, expected, atol, _ = reference
    outputs = np.stack([np.asarray(runner.run([x])[0], np.float64).reshape(expected.shape[1:]) for x in inputs])
    max_abs, psnr = float(np.abs(outputs - expected).max()), psnr_db(outputs, expected)
    limit, floor = tolerance(atol, artifact.precision, float(np.abs(expected).max())), psnr_floor_db(artifact.precision)
    error = exceeded_text(max_abs, limit, psnr, floor) if max_abs > limit or psnr < floor else ""
    return [key.row(METRIC, max_abs, "", context, error=error), key.row(PSNR_METRIC, psnr, "dB", context)]

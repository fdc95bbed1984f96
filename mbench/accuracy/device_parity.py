"""Parity with PyTorch measured on a device: the artifact run there on the conversion's parity inputs, against fp32
PyTorch's outputs computed here (convert/reference.reference_output, the model built as every conversion builds it).
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
def _reference(model: str) -> tuple[list[tuple[np.ndarray, ...]], dict[str, np.ndarray], float, str] | None:
    """The parity feeds, PyTorch's outputs on them (by output name, stacked over the feeds), the model's absolute
    tolerance and its source hash."""
    from mbench import models
    from mbench.convert.cache import model_fingerprint
    from mbench.convert.reference import reference_output

    try:
        spec = models.get(model)
    except KeyError:
        return None
    reference = reference_output(spec)
    return reference.inputs.feeds, reference.outputs, spec.parity_atol, model_fingerprint(reference.model, spec)


def device_parity(artifact: Artifact, runner: Runner, key: RowKey, context: Context) -> list[Measurement]:
    """max |device output - PyTorch| over the parity feeds and every output, and the lowest PSNR of an output
    against PyTorch's, the first flagged where either is past its bound; none for a model that is not in this
    process's registry, or whose source changed since this artifact (no reference to compare with)."""
    reference = _reference(artifact.model)
    if reference is None or (artifact.model_hash and reference[3] != artifact.model_hash):
        return []
    feeds, expected, atol, _ = reference
    ran = [runner.run(list(feed)) for feed in feeds]
    got = {
        name: np.stack([np.asarray(outputs[i], np.float64).reshape(want.shape[1:]) for outputs in ran])
        for i, (name, want) in enumerate(expected.items())
    }
    max_abs = max(float(np.abs(got[name] - want).max()) for name, want in expected.items())
    psnr = min(psnr_db(got[name], want) for name, want in expected.items())
    scale = max(float(np.abs(want).max()) for want in expected.values())
    limit, floor = tolerance(atol, artifact.precision, scale), psnr_floor_db(artifact.precision)
    error = exceeded_text(max_abs, limit, psnr, floor) if max_abs > limit or psnr < floor else ""
    return [key.row(METRIC, max_abs, "", context, error=error), key.row(PSNR_METRIC, psnr, "dB", context)]

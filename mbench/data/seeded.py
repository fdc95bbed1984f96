"""Seeded input values for parity, timing and calibration, one array per input of the input's dtype."""

from __future__ import annotations

import numpy as np

from mbench.spec import InputSpec

DEFAULT_INTEGER_LIMIT = 2  # valid for any mask and any vocabulary; a bound of the input raises it (InputSpec.limit)


def seeded_arrays(inputs: tuple[InputSpec, ...], seed: int = 0) -> list[np.ndarray]:
    """Floats uniform in [0, 1), like pixels / 255; integers uniform in [0, limit); booleans either value."""
    rng = np.random.default_rng(seed)
    return [seeded_array(spec, rng) for spec in inputs]


def seeded_array(spec: InputSpec, rng: np.random.Generator) -> np.ndarray:
    dtype = np.dtype(spec.dtype)
    if dtype.kind == "f":
        return rng.random(spec.shape, dtype=np.float32).astype(dtype, copy=False)
    if dtype.kind == "b":
        return rng.integers(0, 2, spec.shape).astype(bool)
    return rng.integers(0, spec.limit or DEFAULT_INTEGER_LIMIT, spec.shape, dtype=dtype)

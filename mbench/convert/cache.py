"""Content-addressed conversion cache: an artifact is reused when everything that could change it is unchanged.

The key hashes the model (structure, weights, input spec, source), the format, the precision, the converter's
options and library versions, and the calibration samples. A manifest with the same key whose file still has
the recorded sha256 is a hit; anything else is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, is_dataclass
from pathlib import Path

import numpy as np

from mbench.artifacts import Artifact, digest, manifest_path_for, read_manifest
from mbench.spec import ModelSpec


def model_fingerprint(model, spec: ModelSpec) -> str:
    """sha256 of the module structure, every state_dict tensor, the input spec and the source."""
    h = hashlib.sha256()
    h.update(repr(model).encode())
    inputs = [list(i.shape) if i.dtype == "float32" else [list(i.shape), i.dtype, i.limit] for i in spec.inputs]
    h.update(json.dumps([spec.source, inputs, list(spec.output_names)]).encode())
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def samples_fingerprint(samples: tuple | None) -> str:
    """sha256 of calibration samples: arrays, or tuples of arrays (one per model input)."""
    h = hashlib.sha256()
    for sample in samples or ():
        for array in sample if isinstance(sample, tuple) else (sample,):
            h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def cache_key(fingerprint: str, fmt: str, precision: str, options, versions: dict[str, str], calibration: str) -> str:
    options_text = json.dumps(asdict(options) if is_dataclass(options) else repr(options), sort_keys=True)
    parts = [fingerprint, fmt, precision, options_text, json.dumps(versions, sort_keys=True), calibration]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def cached_artifact(path: Path, key: str) -> Artifact | None:
    """The artifact at ``path`` if its manifest carries ``key`` and the file is intact."""
    manifest = manifest_path_for(path)
    if not (manifest.is_file() and path.exists()):
        return None
    try:
        artifact = read_manifest(manifest)
    except (ValueError, TypeError, KeyError):
        return None
    if artifact.cache_key != key or digest(path)[0] != artifact.sha256:
        return None
    return artifact

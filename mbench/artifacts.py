"""An artifact on disk and its manifest: what it is, how it was made, and how close it is to PyTorch."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path

from mbench.spec import Format, InputSpec, Precision, Status

MANIFEST_SUFFIX = ".manifest.json"


# An artifact's tensor is described by the same record as a model's input: name, shape, layout, dtype.
TensorInfo = InputSpec


@dataclass(frozen=True)
class Converted:
    """What a converter reports about the file it wrote."""

    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    quantization: str = "none (fp32)"
    calibrated: bool = False  # the calibration samples were used (static quantization)
    delegation: dict = field(default_factory=dict)  # ExecuTorch: delegate, share of ops it took, ops left outside


@dataclass(frozen=True)
class Parity:
    """Agreement with the PyTorch model on fixed inputs (several seeded ones, and task images where the model has
    them); a reason instead of numbers where not measurable. Judged by mbench.convert.parity."""

    status: Status
    max_abs: float | None = None
    mean_abs: float | None = None
    reason: str = ""
    seed: int = 0
    tolerance: float | None = None  # the most max_abs may be (mbench.convert.parity); None: not judged
    cpu: str = ""  # the CPU it was measured on, model and kernel features (mbench.host): int8 kernels differ by CPU
    psnr_db: float | None = None  # peak signal-to-noise ratio against PyTorch, inf where the outputs are identical
    psnr_floor_db: float | None = None  # the least psnr_db may be (mbench.convert.parity); None: not judged
    inputs: str = ""  # what it was measured on; a cached artifact measured on other inputs is measured again
    vacuous: str = ""  # why the PyTorch outputs say nothing (they do not change with the input); "" where they do
    output: str = ""  # the output whose figures these are: the one furthest past its bounds (convert.reference.judge)
    outputs: dict = field(default_factory=dict)  # each output's figures and bounds by name, in output order (JSON-safe)

    @property
    def exceeded(self) -> bool:
        """Beyond either bound: max |Δ| above its tolerance, or the PSNR below its floor."""
        beyond = self.max_abs is not None and self.tolerance is not None and self.max_abs > self.tolerance
        return beyond or (
            self.psnr_db is not None and self.psnr_floor_db is not None and self.psnr_db < self.psnr_floor_db
        )


def decibels_to_json(value: float | None) -> float | str | None:
    """A figure in dB as JSON holds it: JSON has no infinity, so an infinite one (identical outputs) is the string
    "inf" (or "-inf"); ``decibels_from_json`` reads either form back as a float."""
    return str(value) if value is not None and math.isinf(value) else value


def decibels_from_json(value: float | str | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Artifact:
    model: str
    format: Format
    precision: Precision
    path: Path
    sha256: str
    bytes: int
    converter: str
    versions: dict[str, str]
    seconds: float
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    source: str
    quantization: str = "none (fp32)"
    calibration: str = ""
    cache_key: str = ""
    model_hash: str = ""  # sha256 of the source model's structure and weights (convert/cache.py model_fingerprint)
    parity: Parity = field(default_factory=lambda: Parity(Status.NOT_RUN, reason="not checked"))
    delegation: dict = field(default_factory=dict)

    @property
    def manifest_path(self) -> Path:
        return manifest_path_for(self.path)

    def with_parity(self, parity: Parity) -> Artifact:
        return replace(self, parity=parity)

    def write_manifest(self) -> Path:
        record = asdict(self)
        record.update(format=self.format.value, precision=self.precision.value, path=self.path.name)
        record["parity"].update(status=self.parity.status.value, psnr_db=decibels_to_json(self.parity.psnr_db))
        self.manifest_path.write_text(json.dumps(record, indent=2) + "\n")
        return self.manifest_path


def manifest_path_for(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def read_manifest(manifest: Path | str) -> Artifact:
    """Load an artifact from its manifest; the artifact path is resolved next to the manifest."""
    record = json.loads(Path(manifest).read_text())
    parity = record.pop("parity")
    return Artifact(
        **{
            **record,
            "format": Format(record["format"]),
            "precision": Precision(record["precision"]),
            "path": Path(manifest).with_name(record["path"]),
            "inputs": tuple(TensorInfo(**{**t, "shape": tuple(t["shape"])}) for t in record["inputs"]),
            "outputs": tuple(TensorInfo(**{**t, "shape": tuple(t["shape"])}) for t in record["outputs"]),
            "parity": Parity(
                **{**parity, "status": Status(parity["status"]), "psnr_db": decibels_from_json(parity.get("psnr_db"))}
            ),
        }
    )


def find_artifacts(root: Path) -> list[Artifact]:
    """Every artifact whose manifest lies under ``root``, in a stable order."""
    return [read_manifest(m) for m in sorted(Path(root).rglob("*" + MANIFEST_SUFFIX))]


def digest(path: Path) -> tuple[str, int]:
    """sha256 and byte count of a file, or of a directory (an .mlpackage) as its sorted relative paths and contents."""
    h, total = hashlib.sha256(), 0
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode() + b"\0")
        data = f.read_bytes()
        h.update(data)
        total += len(data)
    return h.hexdigest(), total


def package_versions(*dists: str) -> dict[str, str]:
    found = {}
    for name in dists:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found

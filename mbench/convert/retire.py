"""One source model per name: artifacts of a name whose source model changed are retired (deleted) before the new
ones are written, so a folder never holds two different models under one name."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from converters.coreml import MODULES_SUFFIX
from converters.executorch import ETRECORD_SUFFIX
from mbench.artifacts import Artifact, find_artifacts

SIDE_FILES = (".convert.log", ETRECORD_SUFFIX, MODULES_SUFFIX)  # beside an artifact, named after it


@dataclass(frozen=True)
class Retired:
    """What was deleted from one model's folder because its source model (structure+weights hash) changed."""

    model: str
    artifacts: tuple[Artifact, ...]
    new_hash: str

    def line(self) -> str:
        old = sorted({a.model_hash[:12] or "unrecorded" for a in self.artifacts})
        kinds = ", ".join(f"{a.format.value} {a.precision.value}" for a in self.artifacts)
        return (
            f"{self.model}: source model changed (hash {', '.join(old)} -> {self.new_hash[:12]}); deleted its "
            f"{len(self.artifacts)} older artifacts ({kinds}) so none is mixed with the new model"
        )


def retire_other_models(folder: Path, model: str, model_hash: str) -> Retired | None:
    """Delete every artifact (file, manifest, conversion log, the files its converter writes beside it) in
    ``folder`` not made from the model ``model_hash``; an artifact whose manifest records no hash (made before hashes
    were recorded) counts as another model."""
    folder = Path(folder)
    stale = tuple(a for a in find_artifacts(folder) if a.model_hash != model_hash) if folder.is_dir() else ()
    for artifact in stale:
        if artifact.path.is_dir():
            shutil.rmtree(artifact.path, ignore_errors=True)  # a parallel task may be at it too
        else:
            artifact.path.unlink(missing_ok=True)
        for suffix in SIDE_FILES:
            artifact.path.with_name(artifact.path.name + suffix).unlink(missing_ok=True)
        artifact.manifest_path.unlink(missing_ok=True)
    return Retired(model, stale, model_hash) if stale else None

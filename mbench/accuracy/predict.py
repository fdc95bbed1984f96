"""Run an artifact on images through the existing runners: RGB uint8 in, one output out (the first by default)."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable

import numpy as np

from mbench.artifacts import Artifact
from mbench.runners.base import Runner, runner_for


@dataclass(frozen=True)
class Preprocess:
    """Pixels / 255, then (x - mean) / std per channel; the HED models take pixels / 255 as they are."""

    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)


IMAGENET = Preprocess((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


@dataclass
class ArtifactPredictor:
    """Load once, then ``predict`` each image resized to the artifact's input size. Use as a context manager."""

    artifact: Artifact
    threads: int = 1
    preprocess: Preprocess = field(default_factory=Preprocess)
    output: str = ""  # the output scored, by name (the manifest's); "" is the first
    make_runner: Callable[[Artifact], Runner] | None = None  # e.g. a device's (devices/predict.py); else this host's

    def __enter__(self) -> ArtifactPredictor:
        self._index = output_index(self.artifact, self.output)
        self.runner = self.make_runner(self.artifact) if self.make_runner else runner_for(self.artifact.format)
        self.runner.load(self.artifact, threads=self.threads)
        return self

    def __exit__(self, *exc) -> None:
        self.runner.close()

    @property
    def scored_output(self) -> str:
        """The name of the output ``predict`` returns (after entering)."""
        return self.artifact.outputs[self._index].name if self.artifact.outputs else ""

    @property
    def input_size(self) -> tuple[int, int]:
        shape = self.artifact.inputs[0].shape
        return shape[-2], shape[-1]

    def predict(self, image: np.ndarray) -> np.ndarray:
        """The chosen output for one HxWx3 uint8 RGB image, batch dimension removed."""
        outputs = self.runner.run([to_input(image, self.input_size, self.preprocess)])
        return np.asarray(outputs[self._index])[0]


def output_index(artifact: Artifact, name: str = "") -> int:
    """Where the output ``name`` is among the artifact's outputs; 0 (the first) when no name is given."""
    names = [o.name for o in artifact.outputs]
    if not name:
        return 0
    if name not in names:
        raise ValueError(f"{artifact.model} has no output {name!r}; its outputs are {', '.join(names)}")
    return names.index(name)


def to_input(image: np.ndarray, size: tuple[int, int], preprocess: Preprocess = Preprocess()) -> np.ndarray:
    """HxWx3 uint8 -> 1x3xhxw float32, resized with area averaging when the sizes differ."""
    import cv2

    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {image.shape}")
    if image.shape[:2] != tuple(size):
        image = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    x = (image.astype(np.float32) / 255 - np.float32(preprocess.mean)) / np.float32(preprocess.std)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32)


def resize_map(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A HxW float map brought to ``size`` (h, w) bilinearly, unchanged when it already has that size."""
    import cv2

    if values.shape == tuple(size):
        return values
    return cv2.resize(values.astype(np.float32), (size[1], size[0]), interpolation=cv2.INTER_LINEAR)

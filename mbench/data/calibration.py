"""Calibration inputs for static quantization: a folder of images, or a clearly labelled synthetic fallback."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mbench.data.seeded import seeded_arrays
from mbench.errors import MBenchError
from mbench.spec import InputSpec

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
DEFAULT_SAMPLES = 32


class CalibrationError(MBenchError, ValueError):
    pass


@dataclass(frozen=True)
class Calibration:
    samples: tuple[np.ndarray, ...]  # each shaped like the model's first input, float32 in [0, 1]
    source: str  # where the samples came from, stored in every quantized artifact's manifest
    others: tuple[tuple[np.ndarray, ...], ...] = ()  # per sample, the model's further inputs (seeded values)

    def describe(self) -> str:
        return f"{len(self.samples)} samples from {self.source}"

    def feeds(self) -> tuple[tuple[np.ndarray, ...], ...]:
        """One value per model input for each sample, in the model's input order."""
        return tuple((sample, *(self.others[i] if self.others else ())) for i, sample in enumerate(self.samples))


def takes_images(spec_input: InputSpec) -> bool:
    """Calibration images and task images feed an N,C,H,W float32 input."""
    return spec_input.dtype == "float32" and len(spec_input.shape) == 4


def calibration_for_inputs(
    inputs: tuple[InputSpec, ...],
    folder: Path | None = None,
    count: int = DEFAULT_SAMPLES,
    seed: int = 0,
    task: str = "",
) -> Calibration:
    """Samples for every input: the first input's as ``calibration_for`` makes them where it is NCHW float32 (else
    seeded values), each further input's seeded (mbench.data.seeded), one seed per sample."""
    first, rest = inputs[0], tuple(inputs[1:])
    others = tuple(tuple(seeded_arrays(rest, seed + 1 + i)) for i in range(count)) if rest else ()
    if takes_images(first):
        return replace(calibration_for(first, folder, count, seed, task), others=others)
    if folder is not None:
        raise CalibrationError(
            "calibration images need a first input of shape N,C,H,W in float32; "
            f"this model's is {','.join(map(str, first.shape))} {first.dtype}"
        )
    samples = tuple(seeded_arrays((first,), seed + 1 + i)[0] for i in range(count))
    return Calibration(samples, f"synthetic seeded inputs ({first.dtype}; no image input to calibrate on)", others)


def calibration_for(
    spec_input: InputSpec, folder: Path | None = None, count: int = DEFAULT_SAMPLES, seed: int = 0, task: str = ""
) -> Calibration:
    """Images from ``folder`` resized to the input; else the model's own task data where mbench can make it (document
    photos for the edge detectors); else uniform noise, labelled as synthetic."""
    if folder is not None:
        return Calibration(_images(Path(folder), spec_input, count), f"images in {folder}")
    _, channels, height, width = spec_input.shape
    if task == "edge-detection" and channels == 3 and height == width:
        from mbench.data.docs import make_sample

        samples = tuple(
            make_sample(seed, i, height).image.transpose(2, 0, 1)[None].astype(np.float32) / 255 for i in range(count)
        )
        return Calibration(
            samples, f"the task's own data: generated document photos (mbench data docs, seed {seed}, training split)"
        )
    rng = np.random.default_rng(seed)
    samples = tuple(rng.random(spec_input.shape, dtype=np.float32) for _ in range(count))
    return Calibration(samples, "synthetic uniform noise (no calibration data given: pass --calibration DIR)")


def _images(folder: Path, spec_input: InputSpec, count: int) -> tuple[np.ndarray, ...]:
    if not folder.is_dir():
        raise CalibrationError(f"calibration folder {folder} does not exist")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)[:count]
    if not files:
        raise CalibrationError(f"calibration folder {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return tuple(_load(path, spec_input.shape) for path in files)


def _load(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """An image as NCHW float32 in [0, 1] (pixels / 255), resized to the input's height and width."""
    from PIL import Image

    _, channels, height, width = shape
    mode = "RGB" if channels == 3 else "L"
    with Image.open(path) as image:
        pixels = np.asarray(image.convert(mode).resize((width, height), Image.BILINEAR), dtype=np.float32) / 255
    pixels = pixels.reshape(height, width, channels).transpose(2, 0, 1)
    return pixels[None].astype(np.float32)

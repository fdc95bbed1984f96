"""The figures of agreement between an artifact and PyTorch, and the inputs they are measured on.

Parity runs every artifact and the fp32 PyTorch model on the same inputs: ``SEEDS`` seeded feeds (one value per model
input: floats uniform in [0, 1) like pixels / 255, integers below the input's limit) and, where the model's first
input is an image, ``TASK_IMAGES`` real images in it (the ``--calibration`` folder's first ones, else the model's task
data where mbench makes it: document photos for the edge detectors). For each output, from its values on all of them
together come max |Δ|, mean |Δ| and the PSNR (``output_figures``); from PyTorch's outputs alone, whether they change
with the input at all (``vacuous_reason``). The rules that judge these figures are in mbench.convert.parity; the
output that stands for the artifact is picked by mbench.convert.reference.judge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mbench.artifacts import Artifact, Parity, decibels_to_json
from mbench.spec import Format, ModelSpec, Status

SEEDS = (0, 1, 2, 3)  # the first is the input the latency runs also use (runners.base.seeded_inputs)
TASK_IMAGES = 2
TASK_IMAGE_SEED = 2  # document photos unlike calibration's (seed 0), so parity is not measured on calibration data
# Outputs that change by less than this share of their largest |value| say nothing: about 20 times what two fp32
# runtimes differ by on the same input (HED: ONNX Runtime against PyTorch, 5e-7 of the largest |output|).
VACUOUS_RTOL = 1e-5


@dataclass(frozen=True)
class ParityInputs:
    feeds: list[tuple[np.ndarray, ...]]  # each one value per model input, in forward's order
    description: str  # stored with the parity: a cached artifact measured on other inputs is measured again


def parity_inputs(spec: ModelSpec, calibration_dir: Path | None = None) -> ParityInputs:
    """The seeded feeds, then up to TASK_IMAGES real images where the model's first input takes them."""
    from mbench.data.calibration import calibration_for_inputs, takes_images
    from mbench.runners.base import seeded_inputs

    seeded = [tuple(seeded_inputs(tuple(spec.inputs), seed)) for seed in SEEDS]
    text = f"{len(SEEDS)} seeded uniform inputs (seeds {SEEDS[0]}-{SEEDS[-1]})"
    if not takes_images(spec.inputs[0]):
        return ParityInputs(seeded, text)
    images = calibration_for_inputs(spec.inputs, calibration_dir, TASK_IMAGES, TASK_IMAGE_SEED, spec.task)
    if images.source.startswith("synthetic"):
        return ParityInputs(seeded, text)
    feeds = list(images.feeds())
    return ParityInputs(seeded + feeds, f"{text} and {len(feeds)} images: {images.source}")


def psnr_db(outputs: np.ndarray, references: np.ndarray) -> float:
    """10 log10(peak² / MSE) over every value of every input, peak = the largest |reference value|: inf where the
    outputs are identical, -inf where the reference is all zeros and the outputs are not."""
    references = np.asarray(references, np.float64)
    mse = float(np.mean((np.asarray(outputs, np.float64) - references) ** 2))
    if mse == 0:
        return math.inf
    peak = float(np.abs(references).max())
    return 10 * math.log10(peak * peak / mse) if peak > 0 else -math.inf


def vacuous_reason(references: np.ndarray) -> str:
    """Why PyTorch's outputs on different inputs say nothing, or "": the largest change between the first input's
    output and any other's is at most VACUOUS_RTOL of the largest |output| (or every output is zero)."""
    references = np.asarray(references, np.float64)
    scale = float(np.abs(references).max())
    change = float(np.abs(references[1:] - references[0]).max()) if len(references) > 1 else math.inf
    if change > VACUOUS_RTOL * scale:
        return ""
    return (
        f"the PyTorch model's output does not change with its input: at most {change:.3g} between "
        f"{len(references)} different inputs, against a largest |output| of {scale:.3g} (threshold: "
        f"{VACUOUS_RTOL:g} of it), so agreeing with it checks nothing"
    )


def check_parity(artifact: Artifact, feeds: list[tuple], references: dict[str, np.ndarray]) -> Parity:
    """Run the artifact on this host on each feed and compare each output with PyTorch's (``references``: by output
    name, stacked over the feeds); a reason instead of numbers where it cannot run. Each output's figures are in
    ``outputs``; the row's are set when it is judged (mbench.convert.reference.judge)."""
    if artifact.format is Format.PYTORCH:
        return Parity(Status.OK, 0.0, 0.0, "reference", SEEDS[0], psnr_db=math.inf)
    from mbench.host import cpu_features, cpu_model
    from mbench.results import describe_error
    from mbench.runners.base import NotRunnableHere, runner_for

    runner = runner_for(artifact.format)
    try:
        runner.load(artifact, threads=1)
        runs = [_all_outputs(runner.run(list(feed)), references) for feed in feeds]
    except NotRunnableHere as reason:
        return Parity(Status.NOT_RUN, reason=str(reason), seed=SEEDS[0])
    except Exception as error:  # noqa: BLE001  (a runtime failing becomes the parity's reason)
        return Parity(Status.FAILED, reason=describe_error(error), seed=SEEDS[0])
    finally:
        runner.close()
    figures = {
        name: output_figures(np.stack([run[i] for run in runs]).reshape(expected.shape), expected)
        for i, (name, expected) in enumerate(references.items())
    }
    return Parity(Status.OK, seed=SEEDS[0], cpu=f"{cpu_model()}: {cpu_features()}", outputs=figures)


def _all_outputs(outputs: list, references: dict[str, np.ndarray]) -> list[np.ndarray]:
    if len(outputs) != len(references):
        raise ValueError(
            f"the artifact gives {len(outputs)} outputs where PyTorch gives {len(references)} ({', '.join(references)})"
        )
    return [np.asarray(output, np.float64) for output in outputs]


def output_figures(outputs: np.ndarray, references: np.ndarray) -> dict:
    """One output's agreement with PyTorch's over every feed: max |Δ|, mean |Δ| and the PSNR (JSON-safe)."""
    diff = np.abs(outputs - np.asarray(references, np.float64))
    return {
        "max_abs": float(diff.max()) if diff.size else 0.0,
        "mean_abs": float(diff.mean()) if diff.size else 0.0,
        "psnr_db": decibels_to_json(psnr_db(outputs, references) if diff.size else math.inf),
    }

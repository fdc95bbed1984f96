"""The PyTorch reference every artifact is judged against, and the judging of an artifact's parity output by output.

The reference is the model as every conversion builds it (seeded weights), its parity feeds (mbench.convert.agreement:
one value per model input each) and its outputs on them, flattened and named (mbench.models.outputs). Each output is
judged by its own bounds (its tolerance scales with its own values); the row carries the figures of the output
furthest past, or closest to, its bounds, and the details every output's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mbench.artifacts import Parity, decibels_from_json
from mbench.convert.agreement import ParityInputs, parity_inputs, vacuous_reason
from mbench.models.loading import build_model, read_outputs, run_forward
from mbench.models.outputs import exportable
from mbench.spec import ModelSpec


@dataclass(frozen=True)
class Reference:
    """A model as built, its spec with its output names, its parity feeds and its outputs on them by name."""

    spec: ModelSpec
    model: object  # as the factory built it
    exportable: object  # the same module with a flat tuple of outputs (mbench.models.outputs.exportable)
    inputs: ParityInputs
    outputs: dict[str, np.ndarray]  # by output name, stacked over the feeds

    @property
    def examples(self) -> tuple:
        """The first feed as tensors: what the converters trace."""
        import torch

        return tuple(torch.from_numpy(x) for x in self.inputs.feeds[0])

    @property
    def scale(self) -> float:
        """The largest |PyTorch output| over every output."""
        return max(_scale(values) for values in self.outputs.values())

    def vacuous(self) -> str:
        """Why PyTorch's outputs say nothing (none of them changes with the input), or ""."""
        reasons = [vacuous_reason(values) for values in self.outputs.values()]
        return reasons[0] if all(reasons) else ""


def reference_output(spec: ModelSpec, calibration_dir: Path | None = None) -> Reference:
    """Build the model (seeded), run it on each parity feed and name its outputs; a model whose own code fails at any
    of these raises ModelLoadError."""
    import torch

    torch.manual_seed(0)
    model = build_model(spec)
    inputs = parity_inputs(spec, calibration_dir)
    with torch.inference_mode():
        results = [run_forward(model, tuple(torch.from_numpy(x) for x in feed), spec) for feed in inputs.feeds]
    runs = [read_outputs(result, spec) for result in results]
    named = replace(spec, output_names=tuple(name for name, _ in runs[0]))
    outputs = {name: np.stack([run[i][1].numpy() for run in runs]) for i, name in enumerate(named.output_names)}
    return Reference(named, model, exportable(model, results[0]), inputs, outputs)


def judge(parity: Parity, tolerances: dict[str, float], floor: float) -> Parity:
    """Each output's figures with its bounds (its own tolerance, the precision's PSNR floor); the row's figures are
    those of the output furthest past them. A parity without per-output figures (one measured before outputs were
    judged one by one) keeps its own figures, judged by the first tolerance."""
    if not parity.outputs:
        return replace(parity, tolerance=next(iter(tolerances.values())), psnr_floor_db=floor)
    judged = {
        name: {**figures, "tolerance": tolerances.get(name), "psnr_floor_db": floor}
        for name, figures in parity.outputs.items()
    }
    worst = max(judged, key=lambda name: badness(judged[name]))
    figures = judged[worst]
    return replace(
        parity,
        max_abs=figures["max_abs"],
        mean_abs=figures["mean_abs"],
        psnr_db=decibels_from_json(figures["psnr_db"]),
        tolerance=figures["tolerance"],
        psnr_floor_db=floor,
        output=worst,
        outputs=judged,
    )


def badness(figures: dict) -> float:
    """How far an output is from its bounds, as a factor on its error: above 1 past them. max |Δ| over its
    tolerance, or the PSNR's shortfall below its floor as an amplitude ratio, whichever is larger."""
    limit, psnr = figures.get("tolerance"), decibels_from_json(figures.get("psnr_db"))
    by_max = figures["max_abs"] / limit if limit else figures["max_abs"]
    by_psnr = 0.0 if psnr is None or math.isinf(psnr) else 10 ** ((figures["psnr_floor_db"] - psnr) / 20)
    return max(by_max, by_psnr)


def tolerances(reference: Reference, tolerance_of) -> dict[str, float]:
    """Each output's tolerance, ``tolerance_of(scale)`` of the largest |value| of that output."""
    return {name: tolerance_of(_scale(values)) for name, values in reference.outputs.items()}


def _scale(values: np.ndarray) -> float:
    return float(np.abs(values).max()) if values.size else 0.0

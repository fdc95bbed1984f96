"""Core ML through coremltools. Prediction exists only on macOS; elsewhere loading says so, as NotRunnableHere.

Loaded with a ``profile_dir``, ``write_profile`` writes there the compute plan of the compiled model for the
runner's compute units (``COMPUTE_PLAN``, JSON: coremltools' ``MLComputePlan``, macOS 14.4 or later): each ML
Program operation's *estimated* share of the model's cost and the compute device Core ML prefers for it. Core ML
times no operation; the plan is its only per-operation view.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np

from mbench.artifacts import Artifact, package_versions
from mbench.runners.base import NotRunnableHere

NOT_ON_MACOS = "not measurable here: Core ML runs only on macOS (coremltools converts on Linux but cannot predict)"
COMPUTE_PLAN = "compute_plan.json"


class CoreMLRunner:
    name = "coreml"

    def __init__(self, compute_units: str = "ALL") -> None:
        self.compute_units = compute_units

    def version(self) -> str:
        return package_versions("coremltools")["coremltools"]

    def load(self, artifact: Artifact, threads: int, profile_dir: Path | None = None) -> None:
        self._profile_dir = profile_dir
        if platform.system() != "Darwin":
            raise NotRunnableHere(NOT_ON_MACOS)
        import coremltools as ct

        self._model = ct.models.MLModel(str(artifact.path), compute_units=getattr(ct.ComputeUnit, self.compute_units))
        self._input_names = [i.name for i in artifact.inputs]
        self._output_names = [o.name for o in artifact.outputs]

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        result = self._model.predict(dict(zip(self._input_names, inputs)))
        return [np.asarray(result[name]) for name in self._output_names]

    def write_profile(self) -> list[Path]:
        """The compute plan's operations, in program order (nested blocks after their operation): operator,
        outputs, cost (the estimated share, 0-1; None where Core ML could not estimate it), device (the preferred
        one's class: MLCPUComputeDevice, MLGPUComputeDevice, MLNeuralEngineComputeDevice) and supported."""
        import coremltools as ct
        from coremltools.models.compute_plan import MLComputePlan

        if self._profile_dir is None:
            raise RuntimeError("the model was loaded without a profile_dir")
        plan = MLComputePlan.load_from_path(
            self._model.get_compiled_model_path(), compute_units=getattr(ct.ComputeUnit, self.compute_units)
        )
        program = plan.model_structure.program
        if program is None:
            raise RuntimeError("the compute plan holds no ML Program (a neural network model?): no operation to cost")
        operations: list[dict] = []

        def walk(block) -> None:
            for op in block.operations:
                cost = plan.get_estimated_cost_for_mlprogram_operation(op)
                usage = plan.get_compute_device_usage_for_mlprogram_operation(op)
                operations.append(
                    {
                        "operator": op.operator_name,
                        "outputs": [value.name for value in op.outputs],
                        "cost": None if cost is None else cost.weight,
                        "device": type(usage.preferred_compute_device).__name__ if usage else "",
                        "supported": [type(d).__name__ for d in usage.supported_compute_devices] if usage else [],
                    }
                )
                for inner in op.blocks:
                    walk(inner)

        walk(program.functions["main"].block)
        path = self._profile_dir / COMPUTE_PLAN
        path.write_text(json.dumps({"compute_units": self.compute_units, "operations": operations}))
        return [path]

    def close(self) -> None:
        self._model = None


def make_runner() -> CoreMLRunner:
    return CoreMLRunner()

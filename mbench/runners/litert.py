"""LiteRT (TFLite) interpreter with its default XNNPACK delegate."""

from __future__ import annotations

import numpy as np

from mbench.artifacts import Artifact, package_versions
from mbench.runners.base import native_stderr_without, version_skew


# printed once per process as allocate_tensors applies the default delegate, in the middle of `mbench evaluate`'s
# table; the Python API has no way to lower the runtime's log level
DELEGATE_NOTICE = "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."


class LiteRTRunner:
    name = "litert"

    def version(self) -> str:
        return package_versions("ai-edge-litert")["ai-edge-litert"]

    def load(self, artifact: Artifact, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._interpreter = Interpreter(model_path=str(artifact.path), num_threads=threads)
            with native_stderr_without(lambda line: line.strip() == DELEGATE_NOTICE):
                self._interpreter.allocate_tensors()
        except (RuntimeError, ValueError) as error:
            skew = version_skew(self.name, self.version(), artifact.versions)
            if not skew:
                raise
            raise RuntimeError(
                f"LiteRT {self.version()} here cannot run this artifact, converted and checked with "
                f"LiteRT {skew} (an op or op version newer than this runtime knows): {error}"
            ) from None
        self._inputs = self._interpreter.get_input_details()
        self._outputs = self._interpreter.get_output_details()  # the graph's order: forward's (litert-torch)

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Float inputs in, float outputs out; a full-integer model's I/O is (de)quantized as a phone app would."""
        for detail, value in zip(self._inputs, inputs):
            self._interpreter.set_tensor(detail["index"], quantize(value, detail))
        self._interpreter.invoke()
        return [dequantize(self._interpreter.get_tensor(d["index"]), d) for d in self._outputs]

    def close(self) -> None:
        self._interpreter = None


def quantize(value: np.ndarray, detail: dict) -> np.ndarray:
    dtype = np.dtype(detail["dtype"])
    if dtype.kind in "fb" or not detail["quantization"][0]:  # float, or an integer input that is not quantized
        return value.astype(dtype, copy=False)
    scale, zero_point = detail["quantization"]
    limits = np.iinfo(dtype)
    return np.clip(np.round(value / scale + zero_point), limits.min, limits.max).astype(dtype)


def dequantize(value: np.ndarray, detail: dict) -> np.ndarray:
    if np.dtype(detail["dtype"]).kind in "fb" or not detail["quantization"][0]:
        return value
    scale, zero_point = detail["quantization"]
    return (value.astype(np.float32) - zero_point) * scale


def make_runner() -> LiteRTRunner:
    return LiteRTRunner()

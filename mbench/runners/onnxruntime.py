"""ONNX Runtime on the CPU execution provider."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mbench.artifacts import Artifact


OPTIMIZED_MODEL = "optimized.onnx"  # the graph it ran; its weights beside it in OPTIMIZED_MODEL + ".data"
TRACE = "ort_profile.json"


class OnnxRuntimeRunner:
    name = "onnxruntime"

    def version(self) -> str:
        import onnxruntime

        return onnxruntime.__version__

    def load(self, artifact: Artifact, threads: int, profile_dir: Path | None = None) -> None:
        """``profile_dir``: a session that also writes its profile (``write_profile``) and the graph it runs
        (``optimized.onnx``, its weights in a file of their own) there, with the same options as the timed one."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Its intra-op threads spin during a run but stop when it returns: left spinning, an idle warm agent took
        # CPU from the artifact measured beside it in interleaved rounds (45-60 % of ONNX runs marked descheduled
        # on an idle 2-core host, 2 % with this; it costs about 4 % of a lone run's median there).
        options.add_session_config_entry("session.force_spinning_stop", "1")
        if profile_dir is not None:
            options.enable_profiling = True
            options.profile_file_prefix = str(profile_dir / "ort_profile")
            options.optimized_model_filepath = str(profile_dir / OPTIMIZED_MODEL)
            # the weights apart, so that the graph alone travels back from a remote agent (measure/passes.py)
            options.add_session_config_entry(
                "session.optimized_model_external_initializers_file_name", OPTIMIZED_MODEL + ".data"
            )
            options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "0")
            options.log_severity_level = 3  # not its warning that the saved graph suits this machine only
        self._session = ort.InferenceSession(str(artifact.path), options, providers=["CPUExecutionProvider"])
        self._input_names = [i.name for i in self._session.get_inputs()]

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return self._session.run(None, dict(zip(self._input_names, inputs)))

    def write_profile(self) -> list[Path]:
        """The profile of every run since the session started (a Chrome trace, JSON) and the graph it ran."""
        written = Path(self._session.end_profiling())  # ort_profile_<date and time>.json
        trace = written.replace(written.with_name(TRACE))
        return [trace, trace.with_name(OPTIMIZED_MODEL)]

    def close(self) -> None:
        self._session = None


def make_runner() -> OnnxRuntimeRunner:
    return OnnxRuntimeRunner()

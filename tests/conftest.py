"""Shared fixtures: the tiny model converted once per session through the real converters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The tests' own models (test-tiny, test-unsupported-op) are registered in this process and in every process it
# starts (agents, Ray workers), never in the production zoo.
os.environ["MBENCH_MODEL_MODULES"] = str(Path(__file__).resolve().parent / "tiny_models.py")

from mbench import models  # noqa: E402  (after the variable above, which it reads)
from mbench.convert.pipeline import convert_model
from mbench.spec import Format

ALL_FORMATS = [Format.ONNX, Format.COREML, Format.TFLITE]


@pytest.fixture(scope="session")
def tiny_conversions(tmp_path_factory):
    out = tmp_path_factory.mktemp("artifacts")
    return out, list(convert_model(models.get("test-tiny"), ALL_FORMATS, out))


@pytest.fixture(scope="session")
def tiny_artifacts_dir(tiny_conversions) -> Path:
    return tiny_conversions[0]


@pytest.fixture
def as_models(tiny_artifacts_dir, tmp_path):
    """A function: the tiny model's artifacts of ``formats`` copied under each of ``models``' names into a folder of
    their own (returned), with manifests naming those models: several models for a runner to group, converted once."""
    import shutil
    from dataclasses import replace

    from mbench.artifacts import find_artifacts

    def copy(models: list[str], formats: list[Format]) -> Path:
        out = tmp_path / "models"
        out.mkdir(exist_ok=True)
        for artifact in (a for a in find_artifacts(tiny_artifacts_dir) if a.format in formats):
            for model in models:
                path = out / f"{model}-{artifact.path.name}"
                (shutil.copytree if artifact.path.is_dir() else shutil.copy)(artifact.path, path)
                replace(artifact, model=model, path=path).write_manifest()
        return out

    return copy


@pytest.fixture
def inventory_file(tmp_path) -> Path:
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  host:\n    kind: local\n    threads: 1\n    timeout_s: 300\n")
    return path


@pytest.fixture(scope="session")
def profiled_db(tiny_conversions, tmp_path_factory) -> Path:
    """A results database with the tiny model's real conversion rows and two real profile runs on the host."""
    from mbench.convert.pipeline import conversion_rows
    from mbench.devices.inventory import load_inventory
    from mbench.measure.timing import RunPlan
    from mbench.results import new_run_id
    from mbench.store import Store
    from mbench.sweep import profile_and_record

    folder = tmp_path_factory.mktemp("profiled")
    (folder / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n    threads: 1\n")
    plan = RunPlan(warmup_runs=2, warmup_seconds=0, runs=15, min_seconds=0)
    with Store(folder / "results.db") as store:
        run = new_run_id()
        store.start_run(run, "convert (test)")
        store.append(run, [row for outcome in tiny_conversions[1] for row in conversion_rows(outcome)])
        for _ in range(2):
            profile_and_record(tiny_conversions[0], "host", load_inventory(folder / "devices.yaml"), store, plan)
    return folder / "results.db"


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """A real OpenSSH server on 127.0.0.1 (tests/ssh_server.py): (its folder with keys and known_hosts, its port)."""
    from ssh_server import missing_openssh, start_sshd

    if missing_openssh():
        if os.environ.get("CI") == "true":
            pytest.fail(missing_openssh() + " -- .ci/run must install them")
        pytest.skip(missing_openssh())
    root = tmp_path_factory.mktemp("sshd")
    server, port = start_sshd(root)
    yield root, port
    server.terminate()
    server.wait(timeout=10)


def sobel(image, blur: float = 0.0, noise: float = 0.0):
    """A real, weak edge detector: logits of the normalised gradient magnitude; ``noise`` adds seeded per-image
    noise, ``blur`` smooths first."""
    import cv2
    import numpy as np

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    gray = cv2.GaussianBlur(gray, (0, 0), blur) if blur else gray
    magnitude = np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    magnitude = magnitude / (magnitude.max() + 1e-6)
    if noise:
        magnitude += noise * np.random.default_rng(int(image.sum()) % 1000).standard_normal(magnitude.shape)
    p = np.clip(magnitude, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@pytest.fixture(scope="session")
def sobel_scores():
    """The same 12 documents scored by four detectors: plain, with a little noise (a tie), blurred (better), softly
    blurred (better by more than ODS F's margin but within the resolution of 12 documents)."""
    import numpy as np

    from mbench.accuracy.evaluate import DocExample, score_documents
    from mbench.data.docs import make_sample

    examples = [
        DocExample(f"{i:05d}", s.image, s.edges > 0, np.float32(s.corners))
        for i, s in ((i, make_sample(5, i, 128)) for i in range(12))
    ]
    return {
        name: score_documents(predict, examples, levels=9)
        for name, predict in (
            ("plain", sobel),
            ("noisy", lambda im: sobel(im, noise=1e-2)),
            ("blurred", lambda im: sobel(im, blur=2.5)),
            ("soft", lambda im: sobel(im, blur=0.8)),
        )
    }


@pytest.fixture(scope="session")
def wide_artifacts(tmp_path_factory):
    """tests/ops_model.py (its wide layer must take the most time) converted to ONNX, ExecuTorch, TFLite, Core ML."""
    import ops_model
    from mbench.models.sources import spec_from_source

    spec = spec_from_source(ops_model.SOURCE, ops_model.INPUT_SHAPE)
    out = tmp_path_factory.mktemp("ops-artifacts")
    formats = [Format.ONNX, Format.EXECUTORCH, Format.TFLITE, Format.COREML]
    return [c.artifact for c in convert_model(spec, formats, out) if c.artifact]


@pytest.fixture(scope="session")
def ops_db(wide_artifacts, tmp_path_factory) -> Path:
    """A store holding the ops pass over the wide model's ONNX, ExecuTorch and PyTorch artifacts."""
    import ops_model
    from mbench.ops.profile import OpsPlan
    from mbench.ops.rows import ops_pass
    from mbench.results import new_run_id
    from mbench.store import Store

    path = tmp_path_factory.mktemp("ops-db") / "results.db"
    with Store(path) as store:
        run = new_run_id()
        store.start_run(run, "ops (test)")
        profiled = [a for a in wide_artifacts if a.format.value in ops_model.RUNTIMES]
        for _, rows in ops_pass(profiled, threads=1, plan=OpsPlan(warmup_runs=2, runs=5)):
            store.append(run, rows)
    return path

"""Shared fixtures: the tiny model converted once per session through the real converters."""
from __future__ import annotations

from pathlib import Path

import pytest

from mbench import models
from mbench.convert import convert_model
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
def inventory_file(tmp_path) -> Path:
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  host:\n    kind: local\n    threads: 1\n    timeout_s: 300\n")
    return path

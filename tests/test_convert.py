"""Real conversions of the tiny model through every converter; parity checked on the host runtimes."""

import json

import pytest

from mbench.artifacts import find_artifacts, read_manifest
from mbench.convert.pipeline import convert_model, conversion_rows
from mbench.host import cpu_features, cpu_model
from mbench.models.sources import spec_from_source
from mbench.spec import Format, Status


def _by_format(conversions):
    return {c.format: c for c in conversions}


def test_every_format_converts(tiny_conversions):
    _, conversions = tiny_conversions
    outcomes = _by_format(conversions)
    assert set(outcomes) == {Format.PYTORCH, Format.ONNX, Format.COREML, Format.TFLITE}
    for outcome in conversions:
        assert outcome.error == "", outcome.error
        assert outcome.artifact.path.exists()
        assert outcome.artifact.bytes > 1000


@pytest.mark.parametrize("fmt", [Format.ONNX, Format.TFLITE])
def test_parity_with_pytorch_on_host_runtimes(tiny_conversions, fmt):
    parity = _by_format(tiny_conversions[1])[fmt].artifact.parity
    assert parity.status is Status.OK
    assert 0 <= parity.mean_abs <= parity.max_abs < 1e-4


def test_coreml_parity_is_a_reason_not_a_number_off_macos(tiny_conversions):
    parity = _by_format(tiny_conversions[1])[Format.COREML].artifact.parity
    assert parity.status is Status.NOT_RUN
    assert parity.max_abs is None
    assert "only on macOS" in parity.reason


def test_onnx_is_one_self_contained_file(tiny_conversions):
    artifact = _by_format(tiny_conversions[1])[Format.ONNX].artifact
    siblings = {p.name for p in artifact.path.parent.glob(artifact.path.name + "*")}
    assert siblings == {artifact.path.name, artifact.path.name + ".manifest.json", artifact.path.name + ".convert.log"}
    assert not list(artifact.path.parent.glob("*.data"))


def test_manifest_round_trips_with_provenance(tiny_artifacts_dir):
    artifacts = {a.format: a for a in find_artifacts(tiny_artifacts_dir)}
    onnx = artifacts[Format.ONNX]
    record = json.loads(onnx.manifest_path.read_text())
    assert {
        "model",
        "format",
        "precision",
        "sha256",
        "bytes",
        "converter",
        "versions",
        "seconds",
        "inputs",
        "outputs",
        "parity",
    } <= set(record)
    assert record["versions"]["onnx"] and record["versions"]["torch"]
    assert read_manifest(onnx.manifest_path) == onnx
    assert onnx.inputs[0].shape == (1, 3, 32, 32) and onnx.outputs[0].shape == (1, 1, 32, 32)
    assert len(onnx.sha256) == 64


def test_coreml_output_names_are_read_from_the_spec(tiny_conversions):
    artifact = _by_format(tiny_conversions[1])[Format.COREML].artifact
    assert artifact.outputs[0].name == "edges"
    assert artifact.path.is_dir() and artifact.path.suffix == ".mlpackage"


def test_conversion_rows_carry_size_and_parity(tiny_conversions):
    rows = {r.metric: r for c in tiny_conversions[1] if c.format is Format.ONNX for r in conversion_rows(c)}
    assert rows["size"].value > 0 and rows["size"].unit == "bytes"
    assert rows["parity_max_abs"].status is Status.OK
    assert rows["size"].context.converter.startswith("torch.onnx.export")
    parity_cpu = json.loads(rows["parity_max_abs"].context.details)["parity_cpu"]
    assert parity_cpu == f"{cpu_model()}: {cpu_features()}" and parity_cpu.split(": ")[0]  # int8 kernels vary by CPU


def test_cpu_features_are_the_kernel_extensions_its_cpuinfo_lists(monkeypatch):
    import mbench.host as host

    x86 = "processor\t: 0\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu avx2 ht avx512_vnni sse4_2 avx512f fma\n"
    arm = "processor\t: 0\nFeatures\t: fp asimd evtstrm sve i8mm asimddp cpuid\nCPU part\t: 0xd40\n"
    for text, model, features in (
        (x86, "AMD EPYC 9R14", "sse4_2 avx2 fma avx512f avx512_vnni"),
        (arm, None, "asimd asimddp i8mm sve"),
        ("", None, "not readable"),
    ):
        monkeypatch.setattr(host, "_cpuinfo", lambda text=text: text)
        assert host.cpu_features() == features
        if model:
            assert host.cpu_model() == model


UNSUPPORTED_BY_SOME = """
import torch
class Model(torch.nn.Module):
    def forward(self, x):
        return torch.fft.rfft(x).abs()  # Core ML has no lowering for the FFT; ONNX and TFLite have one
def build():
    return Model()
"""


def test_one_failing_format_does_not_stop_the_others(tmp_path):
    source = tmp_path / "odd.py"
    source.write_text(UNSUPPORTED_BY_SOME)
    spec = spec_from_source(f"{source}:build", (1, 1, 8, 8))
    outcomes = list(convert_model(spec, [Format.ONNX, Format.COREML, Format.TFLITE], tmp_path / "out"))
    by_format = _by_format(outcomes)
    assert by_format[Format.COREML].artifact is None
    assert "fft" in by_format[Format.COREML].error.lower()
    assert by_format[Format.ONNX].artifact is not None and by_format[Format.TFLITE].artifact is not None
    (row,) = conversion_rows(by_format[Format.COREML])
    assert row.status is Status.FAILED and row.metric == "conversion" and row.error


def test_converter_chatter_goes_to_a_log_beside_the_artifact(tiny_conversions, capfd):
    tflite = _by_format(tiny_conversions[1])[Format.TFLITE].artifact
    log = tflite.path.with_name(tflite.path.name + ".convert.log")
    assert "LiteRT-Torch Convert" in log.read_text()
    assert "LiteRT-Torch Convert" not in capfd.readouterr().out

"""The conversion cache: reuse what is identical, rebuild what changed or broke."""

from mbench import models
from mbench.convert.pipeline import ConvertSettings, convert_model
from mbench.spec import Format, Precision
from converters.onnx import Options as OnnxOptions

FORMATS = [Format.ONNX, Format.TFLITE]


def _convert(out, settings=ConvertSettings()):
    return {(o.format, o.precision): o for o in convert_model(models.get("test-tiny"), FORMATS, out, settings)}


def test_a_second_conversion_reuses_every_artifact(tmp_path):
    first = _convert(tmp_path)
    second = _convert(tmp_path)
    assert not any(o.cached for o in first.values())
    assert all(o.cached for o in second.values())
    assert {k: o.artifact.sha256 for k, o in first.items()} == {k: o.artifact.sha256 for k, o in second.items()}


def test_changed_options_damaged_files_and_rebuild_convert_again(tmp_path):
    int8 = ConvertSettings((Precision.INT8,), calibration_samples=4)
    _convert(tmp_path, int8)
    qdq = ConvertSettings(
        (Precision.INT8,), calibration_samples=4, options={Format.ONNX: OnnxOptions(quant_format="qdq")}
    )
    again = _convert(tmp_path, qdq)
    assert not again[(Format.ONNX, Precision.INT8)].cached and again[(Format.TFLITE, Precision.INT8)].cached
    fewer_samples = _convert(tmp_path, ConvertSettings((Precision.INT8,), calibration_samples=3, options=qdq.options))
    assert not fewer_samples[(Format.TFLITE, Precision.INT8)].cached
    tflite = fewer_samples[(Format.TFLITE, Precision.INT8)].artifact
    tflite.path.write_bytes(b"damaged")
    assert not _convert(tmp_path, ConvertSettings((Precision.INT8,), calibration_samples=3, options=qdq.options))[
        (Format.TFLITE, Precision.INT8)
    ].cached
    forced = _convert(tmp_path, ConvertSettings(rebuild=True))
    assert not any(o.cached for o in forced.values())

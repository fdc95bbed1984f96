"""A model of one's own as it comes: several outputs (a tuple, a dict with a nested tuple) and several inputs (an
image and int64 token ids), through the real ONNX, TFLite and ExecuTorch converters, judged output by output, run
by every runtime and profiled on the host."""

import json

import pytest
from click.testing import CliRunner

from mbench.artifacts import Parity, find_artifacts
from mbench.cli import main
from mbench.convert.reference import badness, judge
from mbench.runners.base import runner_for, seeded_inputs
from mbench.spec import Format, Status
from mbench.store import Store

NETS = """import torch


class Pair(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.head = torch.nn.Conv2d(4, 1, 1)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        return self.head(y), y.mean((2, 3))


class Segmenter(Pair):
    def forward(self, x):
        y = torch.relu(self.conv(x))
        return {"out": self.head(y), "aux": (torch.sigmoid(y), 10 * y.amax((2, 3)))}


class ImageAndTokens(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.embed = torch.nn.Embedding(50, 4)

    def forward(self, image, ids):
        return self.conv(image) + self.embed(ids).mean(1)[:, :, None, None]


def pair():
    return Pair()


def segmenter():
    return Segmenter()


def image_and_tokens():
    return ImageAndTokens()
"""
FORMATS = "onnx,tflite,executorch"
OUTPUTS = {"pair": ["output_0", "output_1"], "segmenter": ["out", "aux_0", "aux_1"], "image-and-tokens": ["output"]}
SHAPES = {"pair": ["1,3,16,16"], "segmenter": ["1,3,16,16"], "image-and-tokens": ["1,3,16,16", "1,6:int64:50"]}


def _invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The three models converted and profiled on the host: (artifacts folder, rows)."""
    folder = tmp_path_factory.mktemp("own")
    (folder / "nets.py").write_text(NETS)
    (folder / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n    threads: 1\n")
    out, db = str(folder / "art"), str(folder / "m.db")
    for name, shapes in SHAPES.items():
        shape_options = [option for shape in shapes for option in ("--input-shape", shape)]
        _invoke(
            "convert",
            "--model",
            f"{folder / 'nets.py'}:{name.replace('-', '_')}",
            "--name",
            name,
            *shape_options,
            "--to",
            FORMATS,
            "--out",
            out,
            "--db",
            db,
        )
    _invoke(
        "profile",
        out,
        "--devices",
        str(folder / "devices.yaml"),
        "--runs",
        "3",
        "--min-seconds",
        "0",
        "--warmup-seconds",
        "0",
        "--target-ci",
        "0",
        "--max-seconds",
        "2",
        "--processes",
        "1",
        "--db",
        db,
    )
    with Store(db) as store:
        return folder / "art", store.measurements()


@pytest.mark.slow
def test_every_format_converts_every_output_in_order_with_its_name(converted):
    artifacts = find_artifacts(converted[0])
    assert {(a.model, a.format.value) for a in artifacts} == {
        (m, f) for m in OUTPUTS for f in ("pytorch", *FORMATS.split(","))
    }
    for artifact in artifacts:
        assert [o.name for o in artifact.outputs] == OUTPUTS[artifact.model], artifact.path
    segmenter = {a.format: a for a in artifacts if a.model == "segmenter"}
    assert [o.shape for o in segmenter[Format.TFLITE].outputs] == [(1, 1, 16, 16), (1, 4, 16, 16), (1, 4)]


@pytest.mark.slow
def test_parity_is_judged_per_output_and_the_row_shows_the_worst(converted):
    artifacts, rows = converted
    for artifact in find_artifacts(artifacts):
        if artifact.format is Format.PYTORCH:
            continue
        parity = artifact.parity
        assert parity.status is Status.OK and list(parity.outputs) == OUTPUTS[artifact.model]
        assert not parity.exceeded and parity.max_abs == parity.outputs[parity.output]["max_abs"]
        assert parity.output == max(parity.outputs, key=lambda n: badness(parity.outputs[n]))
        assert all(0 < badness(figures) < 1 for figures in parity.outputs.values())  # fp32: well within both bounds
    row = rows[(rows.model == "segmenter") & (rows.format == "tflite") & (rows.metric == "parity_max_abs")].iloc[0]
    details = json.loads(row.details)
    assert list(details["parity_outputs"]) == OUTPUTS["segmenter"] and details["parity_output"] in OUTPUTS["segmenter"]
    assert row.value == details["parity_outputs"][details["parity_output"]]["max_abs"]


def test_the_worst_output_is_the_one_furthest_past_its_own_bounds():
    big = {"max_abs": 0.5, "mean_abs": 0.1, "psnr_db": 40.0}
    small = {"max_abs": 0.01, "mean_abs": 0.001, "psnr_db": "inf"}
    parity = Parity(Status.OK, outputs={"big": big, "small": small})
    judged = judge(parity, {"big": 1.0, "small": 0.001}, 30.0)  # small: 10x its tolerance
    assert (judged.output, judged.max_abs, judged.tolerance, judged.exceeded) == ("small", 0.01, 0.001, True)
    assert judged.outputs["big"]["tolerance"] == 1.0 and judged.psnr_db == float("inf")
    within = judge(parity, {"big": 1.0, "small": 0.1}, 30.0)
    assert within.output == "big" and not within.exceeded
    below_floor = judge(parity, {"big": 1.0, "small": 0.1}, 60.0)  # big: 20 dB under the floor, 10x in amplitude
    assert below_floor.output == "big" and below_floor.exceeded and badness(below_floor.outputs["big"]) == 10.0


@pytest.mark.slow
def test_every_runtime_returns_every_output(converted):
    for artifact in find_artifacts(converted[0]):
        runner = runner_for(artifact.format)
        runner.load(artifact, threads=1)
        try:
            outputs = runner.run(seeded_inputs(artifact.inputs, seed=3))
        finally:
            runner.close()
        assert [tuple(o.shape) for o in outputs] == [o.shape for o in artifact.outputs], artifact.path


@pytest.mark.slow
def test_two_inputs_keep_their_dtype_and_bound_in_every_manifest(converted):
    for artifact in find_artifacts(converted[0]):
        if artifact.model != "image-and-tokens":
            continue
        image, ids = artifact.inputs
        assert (image.name, image.shape, image.dtype) == ("input_0", (1, 3, 16, 16), "float32")
        expected = "int32" if artifact.format is Format.TFLITE else "int64"  # LiteRT takes 32-bit integers
        assert (ids.name, ids.shape, ids.dtype, ids.limit) == ("input_1", (1, 6), expected, 50)
        values = seeded_inputs(artifact.inputs, seed=1)[1]
        assert values.dtype == expected and 0 <= values.min() and values.max() < 50


@pytest.mark.slow
def test_each_form_is_profiled_on_the_host(converted):
    rows = converted[1]
    latency = rows[rows.metric == "latency"]
    assert {(r.model, r.format) for r in latency.itertuples() if r.status == "ok"} == {
        (m, f) for m in OUTPUTS for f in ("pytorch", *FORMATS.split(","))
    }


@pytest.mark.slow
def test_int8_calibrates_every_input_and_judges_every_output(tmp_path):
    """Two inputs calibrated together (ONNX, TFLite); three outputs through ONNX Runtime's quantizer, whose shape
    inference fails on the ReduceMax behind aux_1 and falls back to ONNX's own."""
    (tmp_path / "nets.py").write_text(NETS)
    common = ["--precision", "int8", "--calibration-samples", "4", "--out", str(tmp_path / "art")]
    common += ["--db", str(tmp_path / "m.db")]
    tokens = f"{tmp_path / 'nets.py'}:image_and_tokens"
    output = _invoke("convert", "--model", tokens, "--input-shape", "1,3,16,16;1,6:int64:50", "--to", "onnx,tflite",
                     *common)  # fmt: skip
    output += _invoke("convert", "--model", f"{tmp_path / 'nets.py'}:segmenter", "--name", "segmenter",
                      "--input-shape", "1,3,16,16", "--to", "onnx", *common)  # fmt: skip
    int8 = {(a.model, a.format): a for a in find_artifacts(tmp_path / "art") if a.precision.value == "int8"}
    assert set(int8) == {("nets", Format.ONNX), ("nets", Format.TFLITE), ("segmenter", Format.ONNX)}, output
    assert all(a.parity.status is Status.OK and "4 samples" in a.calibration for a in int8.values())
    assert list(int8[("segmenter", Format.ONNX)].parity.outputs) == OUTPUTS["segmenter"]

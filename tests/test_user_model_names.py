"""Your own model keeps its own name, and one name never holds two different source models."""

import json

from click.testing import CliRunner

from mbench.artifacts import find_artifacts
from mbench.cli import main
from mbench.store import Store

NET = (
    "import torch\ndef build():\n    torch.manual_seed(0)\n"
    "    return torch.nn.Sequential(torch.nn.Conv2d(3, {c}, 3), torch.nn.ReLU())\n"
)


def _convert(tmp_path, source, formats, *extra):
    result = CliRunner().invoke(
        main,
        [
            "convert",
            "--model",
            f"{source}:build",
            "--input-shape",
            "1,3,16,16",
            "--to",
            formats,
            "--out",
            "art",
            "--db",
            "m.db",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output


def _hashes(rows, model):
    return {json.loads(d).get("model_hash") for d in rows[rows.model == model].details}


def test_two_models_whose_factories_are_both_build_keep_apart(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "effnet.py").write_text(NET.format(c=4))
    (tmp_path / "nets" / "mobile.py").write_text(NET.format(c=8))
    _convert(tmp_path, "nets/effnet.py", "tflite")
    _convert(tmp_path, "nets/mobile.py", "onnx")
    artifacts = find_artifacts(tmp_path / "art")
    assert {a.model for a in artifacts} == {"effnet", "mobile"}
    assert all(a.path.parent.name == a.model and len(a.model_hash) == 64 for a in artifacts)
    assert len({a.model_hash for a in artifacts}) == 2
    with Store(tmp_path / "m.db") as store:
        rows = store.measurements()
    assert set(rows.model) == {"effnet", "mobile"}
    assert all(len(_hashes(rows, model)) == 1 and None not in _hashes(rows, model) for model in ("effnet", "mobile"))


def test_a_changed_source_retires_every_older_artifact_of_its_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "effnet.py"
    source.write_text(NET.format(c=4))
    _convert(tmp_path, source, "onnx,tflite")
    old = {a.model_hash for a in find_artifacts(tmp_path / "art")}
    assert len(old) == 1 and len(find_artifacts(tmp_path / "art")) == 3
    source.write_text(NET.format(c=6))
    output = _convert(tmp_path, source, "onnx")
    retired = [line for line in output.splitlines() if line.startswith("retired ")]
    assert len(retired) == 1 and "effnet: source model changed" in retired[0] and "deleted its 3" in retired[0]
    left = find_artifacts(tmp_path / "art")
    assert {a.format.value for a in left} == {"pytorch", "onnx"} and len({a.model_hash for a in left}) == 1
    assert not list((tmp_path / "art" / "effnet").glob("*.tflite*"))
    assert "retired" not in _convert(tmp_path, source, "onnx")  # same source again: cached, nothing retired


def test_the_report_keeps_only_the_newest_source_model_of_a_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "effnet.py"
    source.write_text(NET.format(c=4))
    _convert(tmp_path, source, "onnx,tflite")
    source.write_text(NET.format(c=6))
    _convert(tmp_path, source, "onnx")
    result = CliRunner().invoke(main, ["report", "--db", "m.db", "-o", "r.html"])
    assert result.exit_code == 0, result.output
    assert "effnet: " in result.output and "rows of older source models" in result.output
    html = (tmp_path / "r.html").read_text()
    assert "Older source models left out" in html
    with Store(tmp_path / "m.db") as store:
        from mbench.store import newest_model_rows

        kept, left_out = newest_model_rows(store.measurements())
    assert len(_hashes(kept, "effnet")) == 1 and set(kept[kept.model == "effnet"].format) == {"pytorch", "onnx"}
    assert left_out.loc[0, "rows left out"] > 0

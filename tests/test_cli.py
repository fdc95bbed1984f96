"""The command line as a user types it, end to end on the tiny model."""

import json
import re

import click
import pytest
from click.testing import CliRunner

from mbench.cli import main
from mbench.errors import ExitCode


def _commands():
    return sorted(main.commands)


@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help_with_an_example(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert main.commands[name].help.strip()


def test_top_level_help_lists_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("models", "convert", "profile", "report", "devices"):
        assert name in result.output


def test_models_lists_params_and_macs():
    result = CliRunner().invoke(main, ["models", "--json"])
    facts = {m["name"]: m for m in json.loads(result.output)}
    assert facts["hed-vgg"]["parameters"] == 1_101_948
    assert facts["hed-mobilenetv2"]["macs"] == pytest.approx(0.140e9, rel=0.01)


def test_convert_profile_report_end_to_end(tmp_path, inventory_file):
    runner = CliRunner()
    db, out, html = tmp_path / "m.db", tmp_path / "art", tmp_path / "reports" / "index.html"
    result = runner.invoke(main, ["convert", "test-tiny", "--to", "onnx,tflite", "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "3 artifacts written" in result.output
    result = runner.invoke(
        main,
        [
            "profile",
            str(out),
            "--devices",
            str(inventory_file),
            "--runs",
            "5",
            "--min-seconds",
            "0",
            "--warmup-seconds",
            "0",
            "--target-ci",
            "0",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        sum(
            line.startswith("ok ") and " median " in line and re.search(r" n=\d+ in \d+ rounds? ", line) is not None
            for line in result.output.splitlines()
        )
        == 3
    )  # each line says how many rounds it took part in
    result = runner.invoke(main, ["report", "--db", str(db), "-o", str(html)])
    assert result.exit_code == 0 and html.exists()


def test_user_model_through_the_cli(tmp_path):
    source = tmp_path / "mine.py"
    source.write_text(
        "import torch\ndef build():\n    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())\n"
    )
    result = CliRunner().invoke(
        main,
        [
            "convert",
            "--model",
            f"{source}:build",
            "--input-shape",
            "1,3,16,16",
            "--to",
            "onnx",
            "--out",
            str(tmp_path / "a"),
            "--db",
            str(tmp_path / "m.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"^ok +mine +onnx ", result.output, re.M)


def test_profile_and_report_end_with_a_pairs_ratio_paired_over_its_rounds(tmp_path, inventory_file):
    """Two models of one's own, profiled together: the end of `mbench profile` gives big / small per format with
    its interval from this run's rounds (a burst of one run per round: 20 rounds), `mbench report` prints its
    headline sentence, and a pair that has no ratio says why."""
    source = tmp_path / "nets.py"
    source.write_text(
        "import torch\n"
        "def small():\n    return torch.nn.Conv2d(3, 8, 3)\n"
        "def big():\n    return torch.nn.Sequential(torch.nn.Conv2d(3, 32, 3), "
        "*[torch.nn.Conv2d(32, 32, 3) for _ in range(3)])\n"
    )
    db, out, runner = str(tmp_path / "m.db"), str(tmp_path / "a"), CliRunner()
    for name in ("small", "big"):
        made = runner.invoke(
            main,
            [
                "convert",
                "--model",
                f"{source}:{name}",
                "--name",
                name,
                "--input-shape",
                "1,3,48,48",
                "--to",
                "onnx",
                "--out",
                out,
                "--db",
                db,
            ],
        )
        assert made.exit_code == 0, made.output
    result = runner.invoke(
        main,
        [
            "profile",
            out,
            "--devices",
            str(inventory_file),
            "--runs",
            "20",
            "--min-seconds",
            "0",
            "--warmup-seconds",
            "0",
            "--target-ci",
            "0",
            "--burst-seconds",
            "0.0001",
            "--burst-runs",
            "1",
            "--processes",
            "1",
            "--pair",
            "big,small",
            "--db",
            db,
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "big / small at fp32, each ratio paired over this run's rounds (95 % interval over its agent processes, "
        "then their rounds):"
    ) in result.output
    onnx = re.search(r"host onnx +latency [\d.]+ / [\d.]+ ms = ([\d.]+)x \(([\d.]+)-([\d.]+)\)", result.output)
    assert onnx is not None, result.output
    ratio, low, high = map(float, onnx.groups())
    assert 1 < low <= ratio <= high  # four 32-channel convolutions against one 8-channel one
    assert "hed-vgg / hed-mobilenetv2" not in result.output  # the seed pair only when both were profiled
    report = runner.invoke(main, ["report", "--db", db, "-o", str(tmp_path / "r.html"), "--pair", "big,small"])
    assert report.exit_code == 0, report.output
    sentence = re.search(r"small's fastest artifact runs in [\d.]+ ms against [\d.]+ ms \(([\d.]+)x \(", report.output)
    assert sentence is not None and float(sentence.group(1)) > 1, report.output  # the report's headline, printed
    asked = runner.invoke(
        main,
        [
            "profile",
            out,
            "--devices",
            str(inventory_file),
            "--model",
            "small",
            "--runs",
            "5",
            "--min-seconds",
            "0",
            "--warmup-seconds",
            "0",
            "--target-ci",
            "0",
            "--processes",
            "1",
            "--pair",
            "big,small",
            "--db",
            db,
        ],
    )
    assert asked.exit_code == 0 and "big / small: no ratio, big not timed at fp32 in this run" in asked.output
    assert "(timed: small)" in asked.output


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["convert", "hed-vgq", "--to", "onnx"], "registered models", ExitCode.ERROR),
        (
            ["convert", "test-tiny", "--to", "onnx,caffe"],
            "caffe not among onnx, coreml, tflite, executorch",
            ExitCode.USAGE,
        ),
        (["convert", "--model", "x.py:build"], "input shape", ExitCode.ERROR),
        (["convert", "--model", "x.py:build", "--input-shape", "1,a"], "comma-separated integers", ExitCode.USAGE),
        (["profile", ".", "--device", "iphone"], "unknown device 'iphone'", ExitCode.ERROR),
        (
            ["profile", ".", "--target-ci", "2"],
            "'2' is 200%: a fraction below 1 is expected (did you mean 2%, i.e. 0.02?)",
            ExitCode.USAGE,
        ),
        (["report", "--db", "absent.db"], "no results database", ExitCode.ERROR),
        (["profile", ".", "--pair", "net,net"], "'net,net': expected two different model names", ExitCode.USAGE),
        (["devices", "check", "pi", "--devices", "absent.yaml"], "no such inventory file", ExitCode.ERROR),
    ],
)
def test_bad_input_gets_a_clear_error(args, message, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n")
    (tmp_path / "art.pt.manifest.json").write_text("{}")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code, result.output  # click's usage errors 2, mbench's errors 4 (mbench/errors.py)
    assert message in result.output


def test_cli_import_stays_light():
    import subprocess
    import sys

    code = "import sys, mbench.cli; print(any(m in sys.modules for m in ('torch', 'onnxruntime', 'coremltools')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    assert isinstance(main, click.Group)

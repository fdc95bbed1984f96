"""What the libraries a user's model imports print (torchao's pytree registration warns through torch's logging)
goes to the reference artifact's convert log, not into `mbench convert`'s table. Run in a fresh interpreter: in
this one torchao may already be imported, and it warns only once."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = """
import torchao  # noqa: F401  (registers pytree types; torch warns about its Enum subclasses)
from torch import nn


def build():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 1))
"""


def test_warnings_of_a_user_models_imports_go_to_its_convert_log(tmp_path):
    (tmp_path / "aonet.py").write_text(MODEL)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-c",
        "from mbench.cli import main; main()",
        "convert",
        "--model",
        f"{tmp_path / 'aonet.py'}:build",
        "--input-shape",
        "1,3,16,16",
        "--to",
        "onnx",
        "--out",
        str(tmp_path / "art"),
        "--db",
        str(tmp_path / "m.db"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert [line.split()[:3] for line in lines[:2]] == [["ok", "aonet", "pytorch"], ["ok", "aonet", "onnx"]], lines
    assert "_pytree" not in done.stdout + done.stderr
    log = (tmp_path / "art" / "aonet" / "aonet-fp32.pt.convert.log").read_text()
    assert "_pytree.py" in log and "Enum subclass" in log

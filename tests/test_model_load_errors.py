"""A model that does not load gets one `Error:` paragraph: the file and line, what failed, the underlying message in
one line and the likely fix; exit code 4; `--verbose` adds the full traceback."""

import re

import pytest
from click.testing import CliRunner

from mbench.cli import main

CONV = "import torch\n\n\ndef build():\n    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU())\n"


def _convert(tmp_path, text: str, shape: str = "1,3,32,32", *extra: str):
    source = tmp_path / "net.py"
    source.write_text(text)
    result = CliRunner().invoke(
        main,
        [
            "convert",
            "--model",
            f"{source}:build",
            "--input-shape",
            shape,
            "--to",
            "onnx",
            "--out",
            str(tmp_path / "art"),
            "--db",
            str(tmp_path / "m.db"),
            *extra,
        ],
    )
    return source, result


def _paragraph(result) -> str:
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    return errors[0]


def test_a_syntax_error_names_the_file_and_line(tmp_path):
    source, result = _convert(tmp_path, "import torch\n\ndef build(:\n    return torch.nn.Identity()\n")
    assert result.exit_code == 4
    error = _paragraph(result)
    assert error.startswith(f"Error: {source}, line 3: loading the file failed: SyntaxError: ")
    assert "'def build(:'" in error and "Likely fix: correct the syntax at that line" in error


def test_a_package_that_is_not_installed_is_named_with_how_to_install_it(tmp_path):
    source, result = _convert(tmp_path, "import torch\nimport no_such_package_xyz.layers\n" + CONV)
    assert result.exit_code == 4
    error = _paragraph(result)
    assert f"{source}, line 2: importing a package failed: ModuleNotFoundError: No module named" in error
    assert re.search(
        r"Likely fix: install the package that provides 'no_such_package_xyz' into mbench's "
        r"environment \(\S+python\S* -m pip install no_such_package_xyz\)",
        error,
    )


def test_a_factory_that_raises_gives_its_line_and_message(tmp_path):
    text = "import torch\n\n\ndef build():\n    raise RuntimeError('weights file not found')\n"
    source, result = _convert(tmp_path, text)
    assert result.exit_code == 4
    error = _paragraph(result)
    assert (
        f"Error: {source}, line 5: calling the factory build() failed: RuntimeError: weights file not found. "
        "Likely fix: make build() a factory that takes no required argument and returns a torch.nn.Module"
    ) in error
    assert error.endswith("(--verbose shows the full traceback)")


def test_a_factory_that_returns_no_module_says_what_it_returned(tmp_path):
    source, result = _convert(tmp_path, "import torch\n\n\ndef build():\n    return 42\n")
    assert result.exit_code == 4
    error = _paragraph(result)
    assert f"Error: {source}, line 4: the factory returned the wrong type: build() returned int (42)" in error
    assert "not a torch.nn.Module. Likely fix: make build() a factory" in error


def test_an_input_shape_that_does_not_fit_names_the_shape_and_the_fix(tmp_path):
    text = (
        "import torch\n\n\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.conv = torch.nn.Conv2d(3, 8, 3)\n\n    def forward(self, x):\n"
        "        return self.conv(x)\n\n\ndef build():\n    return Net()\n"
    )
    source, result = _convert(tmp_path, text, "1,5,32,32")
    assert result.exit_code == 4
    error = _paragraph(result)
    assert f"Error: {source}, line 10: the forward pass on input 1x5x32x32 failed: RuntimeError: " in error
    assert "expected input[1, 5, 32, 32] to have 3 channels, but got 5 channels instead" in error
    assert "Likely fix: give the input shape as N,C,H,W matching the model (--input-shape" in error
    assert not (tmp_path / "art" / "net").exists() or not list((tmp_path / "art" / "net").glob("*.onnx"))


def test_verbose_adds_the_full_traceback(tmp_path):
    text = "import torch\n\n\ndef build():\n    raise RuntimeError('weights file not found')\n"
    source, result = _convert(tmp_path, text, "1,3,32,32", "--verbose")
    assert result.exit_code == 4
    assert "Traceback (most recent call last):" in result.output
    assert f'File "{source}", line 5, in build' in result.output
    assert result.output.rstrip().splitlines()[-1].startswith(f"Error: {source}, line 5: calling the factory")


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("1,3,a", "comma-separated integers"),
        ("1,16:int8", "dtype 'int8' is not one of float32, int64, int32, bool"),
        ("1,16:float32:9", "a limit after the dtype is a positive integer bound for int64 or int32 inputs"),
    ],
)
def test_a_malformed_input_shape_is_a_usage_error(tmp_path, shape, message):
    _, result = _convert(tmp_path, CONV, shape)
    assert result.exit_code == 2 and message in result.output

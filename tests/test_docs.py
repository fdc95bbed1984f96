"""The user's pages stay true: the CLI reference matches the help, the README stays a short guide, every relative
link lands on a file, and no page carries a date (measured history lives in benchmarks/RESULTS.md)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mbench.cli import main
from mbench.cli.reference import COMMAND, reference

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 250
LINK = re.compile(r"\]\(([^)\s]+)\)")  # [text](target) and ![alt](target); the text may span lines
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def test_cli_reference_is_current():
    page = (ROOT / "docs" / "cli.md").read_text()
    assert page == reference(main), f"docs/cli.md differs from the CLI's help: run `{COMMAND}`"


def test_cli_reference_ignores_the_terminal_width():
    """The page is the same from a narrow terminal, so it does not depend on who regenerates it."""
    env = {**os.environ, "COLUMNS": "40", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "mbench.cli.reference"], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out == reference(main)


def test_cli_reference_names_every_command_and_option():
    page = reference(main)
    for sub in ("mbench profile", "mbench devices check", "mbench data docs", "mbench compare"):
        assert f"\n## {sub}\n" in page
    assert "| `--target-ci TEXT` |" in page and "| `--onnx-quant-format [qoperator\\|qdq]` |" in page

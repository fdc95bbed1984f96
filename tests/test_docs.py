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
    out = subprocess.run(
        [sys.executable, "-m", "mbench.cli.reference"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out == reference(main)


def test_cli_reference_names_every_command_and_option():
    page = reference(main)
    for sub in ("mbench profile", "mbench devices check", "mbench data docs", "mbench compare"):
        assert f"\n## {sub}\n" in page
    assert "| `--target-ci TEXT` |" in page and "| `--onnx-quant-format [qoperator\\|qdq]` |" in page


def test_readme_is_a_short_guide():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; at most {README_MAX_LINES}: move details to a docs/ page"
    )


def _relative_links(page: Path) -> list[str]:
    targets = LINK.findall(page.read_text())
    return [t for t in targets if not re.match(r"[a-z]+:", t)]


def _anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_to_files(page):
    """Every relative link lands on a file, and a link into a Markdown page on one of its headings."""
    broken = []
    for target in _relative_links(page):
        path, _, anchor = target.partition("#")
        file = page.parent / path if path else page
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in _anchors(file)):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} has links to missing files or headings: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_dates(page):
    found = [(n, line.strip()) for n, line in enumerate(page.read_text().splitlines(), 1) if DATE.search(line)]
    assert not found, f"{page.relative_to(ROOT)} has dates (measured history goes to benchmarks/RESULTS.md): {found}"


def test_pages_exist():
    """The index links every page, so the link test above also checks that each is there."""
    index = (ROOT / "docs" / "README.md").read_text()
    for name in ("cli", "devices", "measurement", "accuracy", "lab", "zoo", "report", "conversion"):
        assert f"({name}.md)" in index

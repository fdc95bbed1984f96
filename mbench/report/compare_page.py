"""The run-to-run comparison as a self-contained HTML page (same styles and sortable tables as the report)."""

from __future__ import annotations

from datetime import datetime, UTC
from pathlib import Path

from mbench import __version__
from mbench.report.compare import RunComparison
from mbench.report.render import render, write_page
from mbench.report.sections import Table


def render_comparison(result: RunComparison, out: Path) -> Path:
    html = render(
        "compare.html.j2",
        result=result,
        differences=Table.of_frame(result.frame()),
        version=__version__,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return write_page(out, html)

"""Render the store into one self-contained HTML file (inline styles, no network needed to open it)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from mbench import __version__
from mbench.report import tables
from mbench.report.headline import headline
from mbench.store import Store


def _html(frame: pd.DataFrame) -> str:
    """A pandas table as HTML; every cell is escaped, numbers get a readable precision."""
    return frame.to_html(index=False, escape=True, na_rep="—", float_format=_number, classes="table", border=0)


def _number(x: float) -> str:
    if float(x).is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) < 0.01 else f"{x:.2f}"


def render_report(store: Store, out: Path, title: str = "mbench report") -> Path:
    rows = tables.latest(store.measurements())
    env = Environment(loader=PackageLoader("mbench.report", "templates"), autoescape=select_autoescape(["html", "j2"]))
    page = env.get_template("report.html.j2").render(
        title=title,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        empty=rows.empty,
        headline=None if rows.empty else headline(rows),
        comparison=_html(tables.comparison(rows)) if not rows.empty else "",
        failures=_html(tables.failures(rows)) if not rows.empty else "",
        failure_count=0 if rows.empty else len(tables.failures(rows)),
        context=_html(tables.context(rows)) if not rows.empty else "",
        runs=_html(store.runs()),
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out

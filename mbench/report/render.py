"""The one way mbench writes HTML: jinja2 templates from ``report/templates``, autoescaped."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from mbench.report.sections import number_text


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("mbench.report", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.filters["number"] = lambda x: "—" if x is None else number_text(float(x))
    return env


def render(template: str, **values) -> str:
    return environment().get_template(template).render(**values)


def write_page(out: Path | str, html: str) -> Path:
    """A page written to ``out``, its folder made first; the path written."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out

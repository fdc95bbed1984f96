"""benchmarks/RESULTS.md holds one section per benchmark script, each between its own pair of HTML comments, so a
script rewrites its own figures and leaves the other scripts' sections (and the notes written around them) alone."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(name: str, text: str, path: Path = RESULTS) -> None:
    """Replace the section ``name`` with ``text`` (appended at the end the first time)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    current = path.read_text() if path.exists() else ""
    block = f"{start}\n{text.strip()}\n{end}"
    if start in current and end in current:
        head, rest = current.split(start, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    path.write_text(current)

"""What the template draws: tables as plain cells (escaped by jinja2) and extra named sections.

`Section` is the hook for pages other modules add to the report (a coverage matrix, say): pass
`sections=[Section.of_frame("Coverage", frame, note="...")]` to `render_report`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Columns whose values the reader filters the overview table by.
FILTER_COLUMNS = ("model", "format", "precision", "device", "provenance")


@dataclass(frozen=True)
class Cell:
    text: str
    number: float | None = None  # the raw value, so the browser sorts numbers as numbers
    pairs: tuple[tuple[str, str], ...] = ()  # a mapping (converter versions, say), drawn as a small table


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[Cell]]

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> Table:
        return cls([str(c) for c in frame.columns], [[_cell(v) for v in row] for row in frame.itertuples(index=False)])

    @property
    def filters(self) -> list[tuple[int, str, list[str]]]:
        """(column index, name, sorted distinct values) for the columns a reader can filter by."""
        return [
            (i, name, sorted({row[i].text for row in self.rows}))
            for i, name in enumerate(self.columns)
            if name in FILTER_COLUMNS
        ]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Group:
    """Rows drawn together: one summary line (collapsed, expands on click) when ``summary``, else the rows alone."""

    summary: str
    rows: list[list[Cell]]


@dataclass(frozen=True)
class GroupedTable:
    columns: list[str]
    groups: list[Group]

    @classmethod
    def of_groups(cls, columns: list[str], groups: list[tuple[str, pd.DataFrame]]) -> GroupedTable:
        return cls([str(c) for c in columns], [Group(summary, Table.of_frame(frame).rows) for summary, frame in groups])

    def __len__(self) -> int:
        return sum(len(g.rows) for g in self.groups)


@dataclass(frozen=True)
class Section:
    """A titled block of the report: a note and a table. Every string is escaped when drawn."""

    title: str
    table: Table
    note: str = ""
    findings: tuple[str, ...] = ()  # sentences drawn as a list above the table

    @classmethod
    def of_frame(cls, title: str, frame: pd.DataFrame, note: str = "", findings: tuple[str, ...] = ()) -> Section:
        return cls(title, Table.of_frame(frame), note, tuple(findings))

    @property
    def anchor(self) -> str:
        return "section-" + "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")


def _cell(value: object) -> Cell:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return Cell("—")
    if isinstance(value, dict):
        pairs = tuple((str(k), str(v)) for k, v in sorted(value.items()))
        return Cell(", ".join(f"{k} {v}" for k, v in pairs) or "—", pairs=pairs)
    if isinstance(value, (bool, np.bool_)):
        return Cell(str(value).lower())
    if isinstance(value, numbers.Real):
        return Cell(number_text(float(value)), float(value))
    return Cell(str(value))


def number_text(x: float) -> str:
    if x.is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}"

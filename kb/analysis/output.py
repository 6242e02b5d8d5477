"""Format rows for people (rich tables, Markdown) and machines (JSON, CSV): one place for every command.

Markdown tables and the briefings of ``restriction_impact`` and ``exposure`` come from `kb.briefing`
(which the web desk shares).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from kb.briefing import Briefing, Section, briefing, markdown_table
from kb.briefing import cell_text as _cell
from kb.rows import to_csv, to_json

__all__ = ["Briefing", "Format", "Section", "briefing", "markdown_table", "render"]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


#: a column whose values are all at most this long is never wrapped (nor a word shorter than this cut)
SHORT = 24


def _table(cols: list[str], cells: list[list[str]], width: int, title: str | None) -> Table:
    """Columns that never break a date, a code or a name in the middle where the width allows:
    short columns unwrapped, long ones wrapped between words; narrower, only the shortest
    columns (dates, codes, numbers) stay whole; narrower still, every column folds."""
    longest = [max((len(row[i]) for row in cells), default=0) for i in range(len(cols))]
    word = [max((len(w) for row in cells for w in row[i].split()), default=0) for i in range(len(cols))]
    borders = 3 * len(cols) + 1
    table = Table(title=title, show_lines=False, header_style="bold")
    for short in (SHORT, 12):
        mins = [max(n, min(len(c), short)) if n <= short else min(w, short)
                for c, n, w in zip(cols, longest, word, strict=True)]
        if sum(mins) + borders <= width:
            for c, n, m in zip(cols, longest, mins, strict=True):
                if n <= short:  # dates, codes, numbers, short names: never broken across lines
                    table.add_column(c, no_wrap=True, overflow="ellipsis", min_width=m)
                else:  # text wraps between words; a word is only cut when it is longer than the column
                    table.add_column(c, overflow="fold", min_width=m)
            return table
    whole = [n <= 10 for n in longest]  # keep dates and codes whole if the rest get a few characters each
    if sum(n for n, w in zip(longest, whole, strict=True) if w) + 6 * whole.count(False) + borders > width:
        whole = [False] * len(cols)
    for c, n, w in zip(cols, longest, whole, strict=True):
        if w:
            table.add_column(c, no_wrap=True, overflow="ellipsis", min_width=n)
        else:
            table.add_column(c, overflow="fold")
    return table


def render(rows: list[dict[str, Any]], fmt: Format, console: Console, columns: list[str] | None = None,
           title: str | None = None) -> None:
    cols = columns or (list(rows[0]) if rows else [])
    if fmt is Format.json:
        console.file.write(to_json(rows))
    elif fmt is Format.markdown:
        console.file.write(markdown_table(rows, cols))
    elif fmt is Format.csv:
        console.file.write(to_csv(rows, cols))
    else:
        cells = [[_cell(r.get(c)) for c in cols] for r in rows]
        table = _table(cols, cells, console.width, title)
        for row in cells:
            table.add_row(*row)
        console.print(table)
        console.print(f"[dim]{len(rows)} row{'s' if len(rows) != 1 else ''}[/dim]")

"""Format rows for people (rich tables) and machines (JSON, CSV): one place for every command."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from kb.rows import to_csv, to_json


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return ", ".join(_cell(x) for x in v)
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def render(rows: list[dict[str, Any]], fmt: Format, console: Console, columns: list[str] | None = None,
           title: str | None = None) -> None:
    cols = columns or (list(rows[0]) if rows else [])
    if fmt is Format.json:
        console.file.write(to_json(rows))
    elif fmt is Format.csv:
        console.file.write(to_csv(rows, cols))
    else:
        table = Table(title=title, show_lines=False, header_style="bold")
        for c in cols:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*(_cell(r.get(c)) for c in cols))
        console.print(table)
        console.print(f"[dim]{len(rows)} row{'s' if len(rows) != 1 else ''}[/dim]")

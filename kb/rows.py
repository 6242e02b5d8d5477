"""Typed result rows: a pydantic model per question, and a list that converts."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T", bound="RowModel")


class RowModel(BaseModel):
    """One result row; extra columns a query returns beyond its header are kept."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Rows(list[T], Generic[T]):
    """The rows of one answer, in order. Converts to dicts, JSON and pandas."""

    def __init__(self, rows: list[T], columns: list[str] | None = None):
        super().__init__(rows)
        self.columns = columns or (list(type(rows[0]).model_fields) if rows else [])
        #: what a reader should know about this answer (e.g. a year outside the data)
        self.notes: list[str] = []

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.model_dump() for r in self]

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dicts(), indent=indent, ensure_ascii=False, default=str)

    def to_df(self) -> Any:
        """A pandas DataFrame with one column per result column."""
        import pandas as pd

        return pd.DataFrame(self.to_dicts(), columns=self.columns or None)


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Rows as CSV, as `kb query --format csv` and the web desk write them (lists joined with '; ')."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for r in rows:
        w.writerow(["; ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v)
                    for v in (r.get(c) for c in columns)])
    return buf.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    """Rows as JSON, as `kb query --format json` and the web desk write them."""
    return json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"

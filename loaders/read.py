"""Read data files (YAML and CSV) into raw records that remember file and line.

A YAML file is a mapping of sections (``sources:``, ``elements:``, ``agreements:``,
...) to lists of records. A CSV file holds one section, named by the start of its
file name (``production*.csv``, ``reserves*.csv``); its header row names fields,
list fields are separated by ``;``. Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.errors import DataError, Problem
from kb.schema import BY_SECTION

DATA_SUFFIXES = (".yaml", ".yml", ".csv")


@dataclass
class RawRecord:
    section: str
    data: dict[str, Any]
    file: str
    line: int
    field_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str | None) -> int:
        return self.field_lines.get(name or "", self.line)


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where available: ~10x faster


class _LineLoader(_Base):  # type: ignore[misc,valid-type]
    """Safe loader that keeps the line of every mapping and of each of its keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    out: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate field {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        lines[str(key)] = key_node.start_mark.line + 1
    out["__line__"] = node.start_mark.line + 1
    out["__lines__"] = lines
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# keep dates as the strings written in the file: ISO strings are the graph's date type
_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line_at(exc: UnicodeDecodeError) -> int:
    """The line of the first byte that is not UTF-8."""
    return exc.object[: exc.start].count(b"\n") + 1


def _strip_meta(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_meta(v) for k, v in value.items() if k not in ("__line__", "__lines__")}
    if isinstance(value, list):
        return [_strip_meta(v) for v in value]
    return value


def read_yaml(path: Path, problems: list[Problem]) -> Iterator[RawRecord]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), _line_at(exc), None, f"not UTF-8 text ({exc.reason})"))
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else None
        msg = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(str(path), line, None, f"malformed YAML: {msg}"))
        return
    if doc is None:
        return
    if not isinstance(doc, dict):
        problems.append(Problem(str(path), 1, None, "a data file must be a mapping of sections"))
        return
    for section, items in doc.items():
        if section in ("__line__", "__lines__"):
            continue
        line = doc["__lines__"].get(str(section), 1)
        if section not in BY_SECTION:
            known = ", ".join(sorted(BY_SECTION))
            problems.append(Problem(str(path), line, str(section), f"unknown section (known: {known})"))
            continue
        if not isinstance(items, list):
            problems.append(Problem(str(path), line, str(section), "a section must be a list of records"))
            continue
        for item in items:
            if not isinstance(item, dict):
                problems.append(Problem(str(path), line, str(section), f"record is not a mapping: {item!r}"))
                continue
            yield RawRecord(section, _strip_meta(item), str(path), item["__line__"], item["__lines__"])


def _csv_section(path: Path) -> str | None:
    stem = path.stem.lower()
    for section in BY_SECTION:
        if stem == section or stem.startswith(section + "-") or stem.startswith(section + "_"):
            return section
    return None


def read_csv(path: Path, problems: list[Problem]) -> Iterator[RawRecord]:
    section = _csv_section(path)
    if section is None:
        problems.append(
            Problem(str(path), None, None, "CSV file name must start with a section name, e.g. production-usgs.csv")
        )
        return
    model = BY_SECTION[section]
    list_fields = {
        name for name, f in model.model_fields.items() if getattr(f.annotation, "__origin__", None) is list
    }
    try:
        text = path.read_bytes().decode("utf-8")  # line ends as written: a quoted cell keeps its \r
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), _line_at(exc), None, f"not UTF-8 text ({exc.reason})"))
        return
    lines = []
    quoted = False  # inside a quoted cell that goes on over the line end: a '#' there is data
    for n, ln in enumerate(io.StringIO(text, newline=""), start=1):
        if quoted or not ln.lstrip().startswith("#"):
            lines.append((n, ln))
            quoted ^= ln.count('"') % 2 == 1
    if not lines:
        return
    reader = csv.reader(ln for _, ln in lines)
    try:
        header = [h.strip() for h in next(reader)]
        consumed = reader.line_num
        for row in reader:
            # a quoted cell may span lines: a record starts after the lines read before it
            lineno, consumed = lines[consumed][0], reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(
                    Problem(str(path), lineno, None, f"{len(row)} cells where the header has {len(header)}")
                )
                continue
            data: dict[str, Any] = {}
            for name, cell in zip(header, row, strict=True):
                cell = cell.strip()
                if cell == "":
                    continue  # an unknown stays absent
                data[name] = [c.strip() for c in cell.split(";") if c.strip()] if name in list_fields else cell
            yield RawRecord(section, data, str(path), lineno, {h: lineno for h in header})
    except csv.Error as exc:
        where = lines[min(max(reader.line_num, 1), len(lines)) - 1][0]
        problems.append(Problem(str(path), where, None, f"malformed CSV: {exc}"))


#: folders of a data folder that hold published files as published (read by importers,
#: `kb import ...`), not data records
RAW_DIR = "raw"


def data_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their data files, sorted so loads are deterministic. A folder's
    ``raw/`` subfolder (published files kept byte for byte) is not data records: skipped."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in DATA_SUFFIXES and f.is_file()
                              and RAW_DIR not in f.relative_to(p).parts[:-1]))
        elif p.exists():
            out.append(p)
        else:
            raise DataError([Problem(str(p), None, None, "no such file or folder")])
    return out


def read_all(paths: Iterable[Path]) -> tuple[list[RawRecord], list[Problem]]:
    problems: list[Problem] = []
    records: list[RawRecord] = []
    for path in data_files(paths):
        reader = read_csv if path.suffix.lower() == ".csv" else read_yaml
        records.extend(reader(path, problems))
    return records, problems

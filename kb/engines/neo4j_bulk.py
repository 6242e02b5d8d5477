"""Neo4j's bulk path: ``neo4j-admin database import full`` (``org.neo4j.cli.AdminTool``, from the same
Maven Central jars as the local server) of CSV files written here, into the data directory of the local
Neo4j (`kb neo4j start`), stopped for the import and started again. A Neo4j elsewhere cannot be
imported into from here (`Neo4jBackend.bulk_unavailable` says so and the load merges).

Every type survives as it is and an absent property stays absent: a field is empty where a row lacks
the property; files are split by label or type, then by *signature* (which properties, of which
types), only where one property holds values of several types. Values are encoded a column at a time
(1M relationships: the CSV files in 3 s). `write_typed_csv` also serves the benchmark's LOAD CSV.
"""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from kb.errors import BackendError
from kb.schema import INDEXES, NODE_KEYS

from . import cypher
from .base import Counters, PhaseHook, timed
from .graph import GraphRows

if TYPE_CHECKING:
    from .neo4j import Neo4jBackend

Signature = tuple[tuple[str, str], ...]


def _type(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "long"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)) and v:
        inner = {_type(x) for x in v}
        if len(inner) == 1 and not next(iter(inner)).endswith("[]"):
            return f"{inner.pop()}[]"
    raise BackendError(f"the bulk path cannot write a {type(v).__name__} value {v!r:.60}")


def _signature(props: dict[str, Any]) -> Signature:
    return tuple(sorted((k, _type(v)) for k, v in props.items()))


_ARRAY_DELIMITER = "\x1f"


def _csv_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        if _ARRAY_DELIMITER in v:
            raise BackendError("the Neo4j bulk path cannot write text containing the character U+001F")
        return '"' + v.replace('"', '""') + '"'
    return '"' + _ARRAY_DELIMITER.join(
        (str(x).lower() if isinstance(x, bool) else repr(x) if not isinstance(x, str) else x).replace('"', '""')
        for x in v) + '"'


def _csv_fields(values: list[Any], present: list[Any]) -> list[str]:
    """CSV fields of one property's values ("" where absent), with no Python call per value for
    columns of text, numbers or lists of text."""
    kinds = set(map(type, present))
    if kinds == {str}:
        if _ARRAY_DELIMITER in "".join(present):
            raise BackendError("the Neo4j bulk path cannot write text containing the character U+001F")
        return ["" if v is None else '"' + v.replace('"', '""') + '"' for v in values]
    if kinds == {int} or kinds == {float}:
        return ["" if v is None else repr(v) for v in values]
    if kinds == {list} and set(map(type, chain.from_iterable(present))) == {str}:
        if _ARRAY_DELIMITER in "".join(chain.from_iterable(present)):
            raise BackendError("the Neo4j bulk path cannot write text containing the character U+001F")
        return ["" if v is None else '"' + _ARRAY_DELIMITER.join(v).replace('"', '""') + '"' for v in values]
    return ["" if v is None else _csv_value(v) for v in values]


def _kind(present: list[Any]) -> str | None:
    """The neo4j-admin type of a property's values, or None when they are of several types."""
    scalars = set(map(type, present))
    if scalars == {list}:
        inner = set(map(type, chain.from_iterable(present)))
        if len(inner) == 1 and inner <= {str, int, float, bool} and all(present):
            return f"{_type(next(x for v in present for x in v))}[]"
    if len(scalars) == 1 and scalars <= {str, int, float, bool}:
        return _type(present[0])
    kinds = set(map(_type, present))
    return kinds.pop() if len(kinds) == 1 else None


def _write_csv(path: Path, id_head: list[str], ids: list[list[str]],
               props: list[dict[str, Any]] | list[list[dict[str, Any]]], typed_head: bool = True) -> dict[str, str] | None:
    """One CSV file: the id columns, then the union of the properties; returns each property's type
    (None, nothing written, when a property has values of several types). ``typed_head``: the header
    names ``key:type`` as neo4j-admin reads it (else the bare key, for LOAD CSV). ``props``: one dict
    a row, or blocks of them (labels, types: a property absent from a whole block costs no look-up
    per row)."""
    blocks = cast("list[list[dict[str, Any]]]", props if props and isinstance(props[0], list) else [props])
    keys = [set(chain.from_iterable(block)) for block in blocks]
    head = list(id_head)
    columns = list(ids)
    kinds: dict[str, str] = {}
    for k in sorted(set().union(*keys)):
        parts = [[p.get(k) for p in block] if k in ks else None for block, ks in zip(blocks, keys, strict=True)]
        present = [v for part in parts if part is not None for v in part if v is not None]
        if not present:
            continue
        kind = _kind(present)
        if kind is None:
            return None
        kinds[k] = kind
        head.append(f"{k}:{kind}" if typed_head else k)
        fields: list[str] = []
        for block, part in zip(blocks, parts, strict=True):
            fields += [""] * len(block) if part is None else _csv_fields(part, [v for v in part if v is not None])
        columns.append(fields)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(head) + "\n")
        out.writelines(",".join(row) + "\n" for row in zip(*columns, strict=True))
    return kinds


def typed_csv_files(folder: Path, stem: str, id_head: list[str], ids: list[list[str]], props: list[dict[str, Any]],
                    typed_head: bool = True) -> list[tuple[Path, dict[str, str]]]:
    """The rows as one CSV file ``stem.csv`` (see `_write_csv`), or, where a property has values of
    several types, one file per signature (``stem-1.csv``, ...); each with its properties' types."""
    kinds = _write_csv(folder / f"{stem}.csv", id_head, ids, props, typed_head)
    if kinds is not None:
        return [(folder / f"{stem}.csv", kinds)]
    by_sig: dict[Signature, list[int]] = defaultdict(list)
    for n, p in enumerate(props):
        by_sig[_signature(p)].append(n)
    out: list[tuple[Path, dict[str, str]]] = []
    for j, members in enumerate(by_sig.values(), start=1):
        f = folder / f"{stem}-{j}.csv"
        got = _write_csv(f, id_head, [[c[n] for n in members] for c in ids], [props[n] for n in members], typed_head)
        out.append((f, got or {}))
    return out


def quoted(texts: Iterable[str]) -> list[str]:
    """Texts as quoted CSV fields."""
    return ['"' + t.replace('"', '""') + '"' for t in texts]


def write_neo4j_csv(rows: GraphRows, folder: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """CSV files with neo4j-admin import headers: one for the nodes and one for the relationships
    (neo4j-admin pays about 0.1 s for each file it opens, twice), more only where a property has
    values of several types. Node ids are ``Label:key`` in one id space. A name of "" in the
    lists: the file names its labels or types itself."""
    nodes: list[tuple[str, Path]] = []
    rels: list[tuple[str, Path]] = []
    i = 0

    def files(name: str, id_head: list[str], ids: list[list[str]], props: list[dict[str, Any]], out: list[tuple[str, Path]]) -> None:
        nonlocal i
        i += 1
        stem = f"{'r' if ':END_ID' in id_head else 'n'}{i}_{name}"
        out += [(name, f) for f, _ in typed_csv_files(folder, stem, id_head, ids, props)]

    # first one file for all nodes (a :LABEL column) and one for all relationships (:TYPE); a
    # property with values of several types splits them by label or type, then by signature
    labels = sorted(rows.nodes)
    everything = [list(rows.nodes[label].values()) for label in labels]
    i += 1
    f = folder / f"n{i}_nodes.csv"
    if _write_csv(f, [":ID", ":LABEL"], [quoted(f"{label}:{k}" for label in labels for k in rows.nodes[label]),
                                       [label for label in labels for _ in rows.nodes[label]]], everything) is not None:
        nodes.append(("", f))
    else:
        for label in labels:
            members = rows.nodes[label]
            files(label, [":ID"], [quoted(f"{label}:{k}" for k in members)], list(members.values()), nodes)
    by_type: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rtype, a, b in sorted(rows.rels):
        by_type[rtype].append((a, b))
    columns: dict[str, tuple[list[str], list[str], list[dict[str, Any]]]] = {}
    for rtype, ends in by_type.items():
        starts: list[str] = []
        stops: list[str] = []
        props: list[dict[str, Any]] = []
        for a, b in ends:
            group = rows.rels[(rtype, a, b)]
            starts += quoted(f"{a}:{ka}" for ka, _ in group)
            stops += quoted(f"{b}:{kb_}" for _, kb_ in group)
            props += group.values()
        columns[rtype] = (starts, stops, props)
    i += 1
    f = folder / f"r{i}_relationships.csv"
    if columns and _write_csv(f, [":START_ID", ":END_ID", ":TYPE"],
                              [[x for c in columns.values() for x in c[0]], [x for c in columns.values() for x in c[1]],
                               [t for t, c in columns.items() for _ in c[0]]], [c[2] for c in columns.values()]) is not None:
        rels.append(("", f))
    else:
        for rtype, (starts, stops, props) in columns.items():
            files(rtype, [":START_ID", ":END_ID"], [starts, stops], props, rels)
    return nodes, rels


def write_load_csv_files(rows: GraphRows, import_dir: Path, batch: int, absolute: bool = True) -> list[tuple[str, str]]:
    """Write the rows as typed CSV files (the Neo4j bulk path's encoding) into Neo4j's import
    directory; return (file, statement) pairs in load order (nodes first), each statement a
    ``LOAD CSV ... CALL {} IN TRANSACTIONS`` converting each column back to its type.

    The local launcher leaves ``server.directories.import`` unset, and then Neo4j 5 reads
    ``file:///`` URLs from the filesystem root: ``absolute`` URLs name the file by its full path;
    otherwise they are relative to a configured import directory."""
    import_dir.mkdir(parents=True, exist_ok=True)

    def url(f: Path) -> str:
        return f.resolve().as_uri() if absolute else f"file:///{f.name}"

    out: list[tuple[str, str]] = []
    for label in sorted(rows.nodes):
        items = rows.nodes[label]
        for f, kinds in typed_csv_files(import_dir, f"kb-bench-nodes-{label}", ["_key"], [quoted(items)],
                                        list(items.values()), typed_head=False):
            out.append((f.name, cypher.load_csv_merge_node(label, url(f), kinds, batch)))
    for (rtype, a, b) in sorted(rows.rels):
        group = rows.rels[(rtype, a, b)]
        ends = [quoted(ka for ka, _ in group), quoted(kb_ for _, kb_ in group)]
        for f, kinds in typed_csv_files(import_dir, f"kb-bench-rels-{rtype}-{a}-{b}", ["_a", "_b"], ends,
                                        list(group.values()), typed_head=False):
            out.append((f.name, cypher.load_csv_merge_rel(rtype, a, b, url(f), kinds, batch)))
    return out


def neo4j_bulk(backend: Neo4jBackend, rows: GraphRows, on_phase: PhaseHook | None = None) -> Counters:
    """neo4j-admin import of ``rows`` into the local Neo4j behind ``backend``, then the schema.
    ``on_phase`` hears each phase's seconds: ``csv``, ``stop_import_start``, ``importer`` (the
    tool's own figure, inside the previous one), ``schema``."""
    from . import neo4j_local

    with tempfile.TemporaryDirectory(prefix="kb-bulk-") as tmp:
        with timed(on_phase, "csv"):
            nodes, rels = write_neo4j_csv(rows, Path(tmp))
        try:
            with timed(on_phase, "stop_import_start"):
                out = neo4j_local.import_full(backend.uri, nodes, rels, password=backend.password,
                                              database=backend.database or "neo4j")
        except neo4j_local.Neo4jLocalError as exc:
            raise BackendError(str(exc)) from exc
        finally:
            backend.reconnect()
    m = re.search(r"IMPORT DONE in (?:(\d+)m )?(?:(\d+)s )?(\d+)ms", out)
    if m and on_phase is not None:
        on_phase("importer", int(m.group(1) or 0) * 60 + int(m.group(2) or 0) + int(m.group(3)) / 1000)
    with timed(on_phase, "schema"):
        backend.ensure_schema(NODE_KEYS, INDEXES)
    return Counters(nodes_created=rows.node_count, relationships_created=rows.rel_count,
                    properties_set=sum(len(p) for v in rows.nodes.values() for p in v.values())
                    + sum(len(p) for v in rows.rels.values() for p in v.values()))

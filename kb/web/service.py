"""What the analyst's desk does, without HTTP: list and run the canned questions from text
parameters (a query string) or typed ones (a tool call), show an entity, search names, run a
read-only Cypher statement under a row cap and a time limit. The web app (`kb.web.app`) and the
MCP server (`kb.web.mcp`) are thin layers over `Desk`, so both give the same answers as
`kb query`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kb.errors import KBError, QueryError, ReadOnlyError
from kb.queries.catalog import STRING_OR_COMMENT, Param, Question, catalog, used_params
from kb.queries.resolve import ENTITY_TYPES, AmbiguousEntity, UnknownEntity
from kb.schema import NODE_KEYS

if TYPE_CHECKING:
    from kb.core import KB

#: rows a Cypher statement typed into the desk may return (the rest are cut off, and said so)
ROW_CAP = 1000
#: seconds a statement may run before the engine stops it
TIME_LIMIT = 10.0
#: answers kept per worker process (keyed by question, parameters and graph version)
CACHE_SIZE = 4096
#: properties the loader keeps for its own use: never shown
INTERNAL = frozenset({"names_lc"})
#: relationships an entity page lists at most
NEIGHBOUR_CAP = 2000
#: groups on the front page: a question goes under the entity its first entity parameter names
GROUPS = {"Country": "Countries", "Element": "Elements", "Technology": "Technologies",
          "Dispute": "Disputes", "Entity": "Any entity"}


class NotFound(QueryError):
    """An unknown question or entity; ``suggestions`` are close names."""

    def __init__(self, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.suggestions = suggestions or []


@dataclass
class Answer:
    question: Question
    params: dict[str, Any]  # as given (text from a query string, or typed)
    rows: list[dict[str, Any]]
    columns: list[str]
    notes: list[str]
    ms: float
    typed: dict[str, Any] = field(default_factory=dict)  # the parameters as the question took them
    version: str = ""  # the graph version it was read at
    pictures: dict[str, Any] = field(default_factory=dict)  # chart and graph, made once per answer


@dataclass
class CypherResult:
    statement: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    truncated: bool = False
    ms: float = 0.0
    error: str = ""
    refused: bool = False


class Cache:
    """A thread-safe LRU map (one per worker process) for answers and pages keyed by graph version."""

    def __init__(self, size: int):
        from cachetools import LRUCache

        self._items: LRUCache[Any, Any] = LRUCache(maxsize=max(1, size))
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            return self._items.get(key)

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value


def entity_url(label: str, key: Any) -> str:
    """The stable address of an entity's page."""
    return f"/e/{quote(label, safe='')}/{quote(str(key), safe='')}"


def entity_key(label: str, props: Mapping[str, Any]) -> Any:
    return props.get(NODE_KEYS.get(label, "id"))


def entity_name(label: str, props: Mapping[str, Any]) -> str:
    key = entity_key(label, props)
    return str(props.get("name") or props.get("title") or key)


def param_schema(p: Param) -> dict[str, Any]:
    """A parameter as JSON Schema (tool inputs, OpenAPI)."""
    from typing import get_args

    from kb.queries.catalog import SCHEMA_TYPES

    base = p.base_type
    simple = {"int": {"type": "integer"}, "float": {"type": "number"}, "bool": {"type": "boolean"},
              "str": {"type": "string"}, "Any": {}}
    if base in SCHEMA_TYPES:
        schema: dict[str, Any] = {"type": "string", "enum": list(get_args(SCHEMA_TYPES[base]))}
    elif base in ENTITY_TYPES:
        what = "any entity" if base == "Entity" else f"a {base.lower()}"
        schema = {"type": "string", "description": f"{what}: its key, name or an alias"}
    elif base.startswith("list["):
        schema = {"type": "array", "items": simple.get(base[5:-1], {})}
    else:
        schema = dict(simple.get(base, {}))
    if p.optional:
        schema = {"anyOf": [schema, {"type": "null"}]}
    desc = " - ".join(x for x in (p.description, schema.get("description", "")) if x)
    schema.pop("description", None)
    if desc:
        schema["description"] = desc
    if not p.required:
        schema["default"] = p.default
    return schema


def input_schema(q: Question) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {p.name: param_schema(p) for p in q.params},
        "required": [p.name for p in q.params if p.required],
        "additionalProperties": False,
    }


class Desk:
    """The canned questions, entities and a read-only Cypher box of one KB."""

    def __init__(self, k: KB, *, row_cap: int | None = None, time_limit: float | None = None,
                 cache_size: int = CACHE_SIZE):
        self.kb = k
        self.row_cap = ROW_CAP if row_cap is None else row_cap
        self.time_limit = TIME_LIMIT if time_limit is None else time_limit
        self.answers = Cache(cache_size)  # by (question, parameters, graph version)
        self.pages = Cache(cache_size)  # whole pages for readers not logged in (kb.web.pages.shared)

    # ------------------------------------------------------------------ questions

    def questions(self) -> list[Question]:
        """The questions that only read (a question that writes is not offered)."""
        return [q for q in catalog().values() if q.reads]

    def groups(self) -> dict[str, list[Question]]:
        out: dict[str, list[Question]] = defaultdict(list)
        for q in self.questions():
            first = next((p.entity for p in q.params if p.entity), None)
            out[GROUPS.get(first or "", "The whole KB")].append(q)
        order = [*GROUPS.values(), "The whole KB"]
        return {g: out[g] for g in order if g in out}

    def question(self, name: str) -> Question:
        found = {q.name: q for q in self.questions()}
        if name in found:
            return found[name]
        import difflib

        close = difflib.get_close_matches(name, list(found), n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise NotFound(f"no question named {name!r}{hint}", close)

    def typed(self, q: Question, items: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """Parameters written as text (a query string) typed by the question's header, each
        value once: an empty value means the default, a repeated key of a list parameter adds
        to the list, keys starting with ``_`` belong to the page (sorting, format) and are ignored."""
        known = {p.name: p for p in q.params}
        out: dict[str, Any] = {}
        for key, value in items:
            if key.startswith("_") or not value.strip():
                continue
            p = known.get(key)
            if p is None:
                raise QueryError(f"{q.name}: unknown parameter {key!r} (takes: {', '.join(known) or 'none'})")
            v = p.parse(q.name, value)
            if key in out and not isinstance(v, list):
                raise QueryError(f"{q.name}: parameter {key} is given more than once")
            out[key] = [*out[key], *v] if key in out else v
        return out

    def ask_text(self, name: str, items: Iterable[tuple[str, str]]) -> Answer:
        """Run a question with parameters written as text (a query string); see `typed`."""
        return self.ask(name, self.typed(self.question(name), items))

    def ask(self, name: str, params: Mapping[str, Any]) -> Answer:
        """Run a question with typed parameters (JSON: a tool call); answers are cached by
        (question, parameters, graph version), so a load or an accepted record is seen at once."""
        q = self.question(name)
        key = (q.name, json.dumps(params, sort_keys=True, default=str), self.kb.graph_version())
        hit: Answer | None = self.answers.get(key)
        if hit is not None:
            return hit
        t0 = time.perf_counter()
        try:
            rows, notes = self.kb.answer(q.name, dict(params), timeout=self.time_limit)
        except KBError:
            if self.empty(key[2]):  # "no country 'Japan'" on an empty graph misleads: say what is wrong
                raise QueryError(self.empty_message()) from None
            raise
        if not rows and self.empty(key[2]):
            raise QueryError(self.empty_message())
        ms = (time.perf_counter() - t0) * 1000
        answer = Answer(q, dict(params), rows, [c.name for c in q.columns], notes, ms, dict(params), version=key[2])
        self.answers.put(key, answer)
        return answer

    def empty(self, version: str) -> bool:
        """Whether the graph holds no node at all (asked once per graph version)."""
        key = ("empty", version)
        found: bool | None = self.answers.get(key)
        if found is None:
            from kb.engines.cypher import count_nodes

            found = not self.kb.read(count_nodes())[0]["n"]
            self.answers.put(key, found)
        return found

    def empty_message(self) -> str:
        return f"the KB at {self.kb.backend.location} is empty: load it with `kb load` (and check KB_HOME or --uri)"

    # ------------------------------------------------------------------ pictures

    def chart(self, a: Answer) -> str | None:
        """The answer as a chart (inline SVG) where it is a series; None elsewhere. Made once
        per cached answer (so cached by question, parameters and graph version as well)."""
        from kb.web.charts import chart_svg

        if "chart" not in a.pictures:
            a.pictures["chart"] = chart_svg(self.kb, a.question.name, a.typed, a.rows)
        chart: str | None = a.pictures["chart"]
        return chart

    @staticmethod
    def chart_caption(a: Answer) -> str:
        from kb.web.charts import caption

        return caption(a.question.name)

    def graph(self, a: Answer, limit: int = 150) -> dict[str, Any] | None:
        """The part of the graph the answer touches, as vis-network's nodes and edges (with its
        options); None when the entities it names have no relationship among them."""
        from kb.subgraph import VIS_OPTIONS, of_rows, vis_data

        if "graph" not in a.pictures:
            g = of_rows(self.kb, a.question.name, a.typed, a.rows, limit=limit)
            # a lone node or two tell nothing the table does not
            a.pictures["graph"] = {**vis_data(g), "options": VIS_OPTIONS} if g.relationships else None
        graph: dict[str, Any] | None = a.pictures["graph"]
        return graph

    # ------------------------------------------------------------------ entities

    def search(self, text: str, kind: str = "Entity", limit: int = 10) -> list[dict[str, Any]]:
        """Entities a search box offers for ``text``: what the resolver finds (exact, alias,
        normalised, prefix), then names that start with or contain the words, then its
        close-name suggestions."""
        from kb.queries.resolve import normalise

        labels = ENTITY_TYPES.get(kind, ())
        r = self.kb.resolver()
        hits: list[Any] = []
        try:
            hits.append(r.resolve(text, labels))
        except AmbiguousEntity:
            pass
        except UnknownEntity:
            pass
        norm = normalise(text)
        if norm:
            for form, es in sorted(r.by_norm.items()):
                if norm in form:
                    hits.extend(e for e in es if not labels or e.label in labels)
                if len(hits) >= limit * 3:
                    break
            # close names only when nothing holds the words typed
            names = r.suggest(text, labels, limit=limit) if not hits else []
            for e in r.entities:
                if e.name in names and (not labels or e.label in labels):
                    hits.append(e)
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for e in hits:
            if (e.label, e.key) in seen:
                continue
            seen.add((e.label, e.key))
            out.append({"label": e.label, "key": e.key, "name": e.name, "url": entity_url(e.label, e.key)})
            if len(out) >= limit:
                break
        return out

    def entity(self, label: str, key: str) -> dict[str, Any]:
        """One entity: its properties, its relationships grouped by type (with the neighbours'
        addresses and each relationship's sources) and the sources it cites, with their tier."""
        from kb.engines.cypher import DESK_SOURCES, entity_neighbours, entity_node

        if label not in NODE_KEYS:
            import difflib

            close = difflib.get_close_matches(label, list(NODE_KEYS), n=3)
            raise NotFound(f"no kind of entity {label!r} (kinds: {', '.join(sorted(NODE_KEYS))})", close)
        found = self.kb.read(entity_node(label), {"key": key}, timeout=self.time_limit)
        if not found:
            suggestions = self.kb.resolver().suggest(key, (label,)) if label in {e.label for e in
                                                                               self.kb.resolver().entities} else []
            hint = f" — did you mean {', '.join(suggestions)}?" if suggestions else ""
            raise NotFound(f"no {label} with {NODE_KEYS[label]} {key!r}{hint}", suggestions)
        props = {k: v for k, v in sorted(found[0]["props"].items()) if k not in INTERNAL and not k.startswith("_")}
        rels = self.kb.read(entity_neighbours(label), {"key": key, "limit": NEIGHBOUR_CAP}, timeout=self.time_limit)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        cited: list[str] = []
        source_ids: set[str] = set()
        for r in rels:
            node = r["node"] or {}
            nkey = entity_key(r["label"], node)
            rprops = {k: v for k, v in (r["props"] or {}).items() if k != "sources"}
            rsources = [str(s) for s in (r["props"] or {}).get("sources") or []]
            source_ids.update(rsources)
            if r["type"] == "SOURCED_FROM" and r["outgoing"]:
                cited.append(str(nkey))
                source_ids.add(str(nkey))
                continue
            arrow = f"{r['type']} →" if r["outgoing"] else f"← {r['type']}"
            groups[arrow].append({
                "label": r["label"], "key": nkey, "name": entity_name(r["label"], node),
                "url": entity_url(r["label"], nkey) if nkey is not None else None,
                "properties": rprops, "sources": rsources,
            })
        sources = {s["id"]: {**s, "url_page": entity_url("Source", s["id"])}
                   for s in self.kb.read(DESK_SOURCES, {"ids": sorted(source_ids)}, timeout=self.time_limit)}
        return {
            "label": label, "key": key, "name": entity_name(label, props), "url": entity_url(label, key),
            "properties": props,
            "relationships": dict(groups),
            "truncated": len(rels) >= NEIGHBOUR_CAP,
            "sources": [sources[s] for s in dict.fromkeys(cited) if s in sources],
            "relationship_sources": {s: sources[s] for s in sorted(source_ids) if s in sources},
        }

    # ------------------------------------------------------------------ Cypher

    def cypher(self, statement: str, params: Mapping[str, Any] | None = None) -> CypherResult:
        """One read-only statement: writes are refused before they run (the console's rule),
        at most ``row_cap`` rows come back, the engine stops it after ``time_limit`` seconds."""
        from kb.config import mask

        res = CypherResult(statement)
        # comments out (strings stay): what is left is the statement the engine gets
        stmt = STRING_OR_COMMENT.sub(lambda m: m.group(0) if m.group(0)[0] in "'\"`" else " ", statement)
        stmt = stmt.strip().rstrip(";").strip()
        if not stmt:
            res.error = "write a Cypher statement"
            return res
        if ";" in STRING_OR_COMMENT.sub(" ", stmt) or stmt.startswith(":"):
            res.error = "write one Cypher statement (no console commands, one ';' at most, at the end)"
            return res
        given = dict(params or {})
        missing = [p for p in used_params(stmt) if p not in given]
        if missing:
            res.error = f"parameter ${missing[0]} is not set"
            return res
        t0 = time.perf_counter()
        try:  # the engine stops reading at the cap: a huge answer costs neither memory nor the page
            rows, res.truncated = self.kb.backend.read_capped(stmt, {p: given[p] for p in used_params(stmt)},
                                                              cap=self.row_cap, timeout=self.time_limit)
        except ReadOnlyError as exc:
            res.error, res.refused = f"{exc}; this page is read-only", True
            return res
        except KBError as exc:
            res.error = f"error: {mask(str(exc))}"
            return res
        res.ms = (time.perf_counter() - t0) * 1000
        res.rows = rows
        res.columns = list(rows[0]) if rows else []
        return res

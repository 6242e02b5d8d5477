"""The knowledge-base handle: `kb.connect()` returns one; the library, the CLI
and the tests all go through it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from kb.config import Settings
from kb.engines import Backend, Row, cypher, open_backend
from kb.errors import EmptyKBError, QueryError
from kb.queries.resolve import ENTITY_TYPES, Entity, Resolver, UnknownEntity
from kb.rows import RowModel, Rows
from kb.schema import graph_schema

if TYPE_CHECKING:
    from kb.loaders import LoadReport
    from kb.queries.api import Queries
    from kb.queries.catalog import Question

M = TypeVar("M", bound=RowModel)

#: labels whose nodes carry a ``year`` (from the schema): where an empty answer for a year is explained
YEAR_LABELS = frozenset(label for label, props in graph_schema()["nodes"].items() if props.get("year") == "INTEGER")


def bundled_data_dir() -> Path:
    """The data files shipped inside the package (``kb/data`` in a wheel)."""
    return Path(str(resources.files("kb.data")))


class KB:
    """A connection to one knowledge base on one engine. Use as a context manager."""

    def __init__(self, backend: Backend, settings: Settings):
        self.backend = backend
        self.settings = settings
        self._resolver: Resolver | None = None

    # -- engine
    @property
    def engine(self) -> str:
        return self.backend.engine

    def version(self) -> str:
        return self.backend.version()

    def read(self, query: str, params: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> list[Row]:
        """Run a read-only Cypher statement; writes are refused. ``timeout``: a time limit in seconds."""
        return self.backend.read(query, params, timeout=timeout)

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        self._resolver = None  # entities may have changed
        return self.backend.write(query, params)[0]

    def resolver(self) -> Resolver:
        """Names -> entity keys for this graph (read once, renewed after writes and loads)."""
        if self._resolver is None:
            self._resolver = Resolver.from_graph(self.backend.read)
        return self._resolver

    def resolve(self, text: str, kind: str = "Entity") -> Entity:
        """The entity ``text`` names: ``k.resolve("wind turbine", "Technology").key``. Raises
        `UnknownEntity` (with suggestions) or `AmbiguousEntity`."""
        if kind not in ENTITY_TYPES:
            raise QueryError(f"unknown entity kind {kind!r} (use {', '.join(ENTITY_TYPES)})")
        return self.resolver().resolve(text, ENTITY_TYPES[kind])

    # -- canned questions
    @property
    def queries(self) -> Queries:
        """The canned questions as typed methods: ``k.queries.top_producers(year=2011)``."""
        from kb.queries.api import Queries

        return Queries(self)

    @overload
    def ask(self, name: str, params: Mapping[str, Any] | None, model: type[M], *,
            timeout: float | None = None) -> Rows[M]: ...

    @overload
    def ask(self, name: str, params: Mapping[str, Any] | None = None, model: None = None, *,
            timeout: float | None = None) -> Rows[RowModel]: ...

    def ask(self, name: str, params: Mapping[str, Any] | None = None,
            model: type[RowModel] | None = None, *, timeout: float | None = None) -> Rows[Any]:
        """Run a canned question by name. Parameters are checked against its header
        (a clear `QueryError` before anything is sent) and travel as Cypher parameters.
        Rows come back as the question's row model (``model`` overrides it). ``timeout``:
        a time limit in seconds for a question that reads."""
        from kb.queries.api import ROW_MODELS

        q, bound = self._bind(name, params)
        rows = self.backend.read(q.cypher, bound, timeout=timeout) if q.reads else self.backend.write(q.cypher, bound)[0]
        chosen: type[RowModel] = model or ROW_MODELS.get(name) or RowModel
        answer: Rows[Any] = Rows([chosen.model_validate(r) for r in rows], [c.name for c in q.columns])
        if not answer and q.reads:
            self._refuse_if_empty()
        answer.notes += self._notes(q, bound, len(answer))
        return answer

    def answer(self, name: str, params: Mapping[str, Any] | None = None, *,
               timeout: float | None = None) -> tuple[list[Row], list[str]]:
        """As `ask` for a question that reads, the rows as the engine gave them (plain dicts, no
        row model) and the notes: what the desk and MCP serialise straight to JSON."""
        q, bound = self._bind(name, params)
        if not q.reads:
            raise QueryError(f"{name} writes: use ask()")
        rows = self.backend.read(q.cypher, bound, timeout=timeout)
        if not rows:
            self._refuse_if_empty()
        return rows, self._notes(q, bound, len(rows))

    def _notes(self, question: Question, bound: Mapping[str, Any], n: int) -> list[str]:
        if not n:
            return self._year_notes(question, bound)
        if "offset" in bound and n == bound.get("limit"):  # a full page: say how to get the next
            return [f"{n} rows from offset {bound['offset']}; the next page: "
                    f"offset={bound['offset'] + n} (limit={bound['limit']})"]
        return []

    def _bind(self, name: str, params: Mapping[str, Any] | None) -> tuple[Any, dict[str, Any]]:
        """The question and its parameters checked, defaulted and resolved to keys."""
        from kb.queries import catalog

        return catalog.get(name), self.parameters(name, params)

    def _refuse_if_empty(self) -> None:
        """Raise `EmptyKBError` (naming where this KB is and `kb load`) when the store holds no
        node: asked only once an answer came back empty or a name did not resolve, so a question
        on a loaded KB costs no extra round trip."""
        if self.backend.is_empty():
            self._resolver = None  # read the names again once something is loaded
            raise EmptyKBError(f"the knowledge base at {self.settings.describe()} is empty: load it with "
                               "`kb load` (or point KB_HOME / KB_URI at a loaded one)")

    def parameters(self, name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The parameters question ``name`` runs with: checked against its header, defaults
        filled in, and entity names resolved to keys (``importer='Japan'`` -> ``'JPN'``), so that
        another client (cypher-shell, a driver, LangChain) can run the ``.cypher`` body itself.
        On an empty KB a name that does not resolve raises `EmptyKBError`."""
        try:
            return self._parameters(name, params)
        except UnknownEntity as exc:
            try:
                self._refuse_if_empty()
            except EmptyKBError as empty:
                raise empty from exc
            raise

    def _parameters(self, name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        from kb.queries import catalog

        q = catalog.get(name)
        bound = q.bind(dict(params or {}))
        for p in q.params:  # names -> keys, one resolver for every front end
            if p.entity and bound.get(p.name) is not None:
                labels = ENTITY_TYPES[p.entity]
                if p.many:  # each item, duplicates dropped, in the order given
                    keys = [self.resolver().resolve(v, labels).key for v in bound[p.name]]
                    bound[p.name] = list(dict.fromkeys(keys))
                else:
                    bound[p.name] = self.resolver().resolve(bound[p.name], labels).key
        return bound

    def profile(self, name: str, params: Mapping[str, Any] | None = None) -> list[str]:
        """The engine's profile of a canned question (PROFILE on Neo4j, GRAPH.PROFILE on
        FalkorDB): one line per plan operator with the rows it produced. It runs the question."""
        q, bound = self._bind(name, params)
        return self.backend.profile(q.cypher, bound)

    def _year_notes(self, question: Question, bound: Mapping[str, Any]) -> list[str]:
        """For an empty answer to a question asked for years: the years the data covers, read from
        the first label the question matches that holds years (by the schema)."""
        years = [v for k, v in bound.items() if k in ("year", "start_year", "end_year") and isinstance(v, int)]
        label = next((lb for lb in question.labels if lb in YEAR_LABELS), None)
        if not years or label is None:
            return []
        r = self.backend.read(cypher.year_range(label))
        lo, hi = (r[0]["lo"], r[0]["hi"]) if r else (None, None)
        if lo is None or hi is None or not any(y < lo or y > hi for y in years):
            return []
        return [f"no answer for {', '.join(map(str, years))}: the {label} figures cover {lo}-{hi}"]

    # -- data
    def load(self, paths: Iterable[str | Path] | None = None, *, progress: Any = None,
             dry_run: bool = False, with_bundled: bool = False, bulk: bool = False) -> LoadReport:
        """Load data files (the bundled KB when no path is given). All-or-nothing:
        a bad record anywhere raises `DataError` before anything is written.
        ``with_bundled`` loads the paths together with the bundled data, so their records
        may refer to its sources and entities (a folder written by `kb review accept`).
        ``bulk``: only into an empty store, with the engine's own importer (GRAPH.BULK on FalkorDB,
        neo4j-admin import on a local Neo4j, which is restarted); see `Backend.bulk_write`."""
        from kb.loaders import load_paths

        chosen = [Path(p) for p in paths] if paths else [bundled_data_dir()]
        if with_bundled and paths:
            chosen = [bundled_data_dir(), *chosen]
        self._resolver = None
        report = load_paths(self.backend, chosen, progress=progress, dry_run=dry_run, bulk=bulk)
        if not dry_run:
            self.bump_version()
        return report

    # -- graph version (desk helper): what cached answers are keyed by; bumped by every load
    # and every record accepted in the desk, read by every desk worker (a file in KB_HOME, as
    # the workers of one desk share it; a load from another machine is not seen)
    def _version_file(self) -> Path:
        import hashlib

        where = hashlib.sha256(self.backend.location.encode()).hexdigest()[:16]
        return self.settings.home / "graph-version" / where

    def graph_version(self) -> str:
        try:
            return self._version_file().read_text(encoding="utf-8").strip() or "0"
        except OSError:
            return "0"

    def bump_version(self) -> str:
        import os
        import uuid

        path = self._version_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        new = uuid.uuid4().hex
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(path)  # atomic: a reader sees the old version or the new one
        self._resolver = None
        return new

    def stats(self) -> dict[str, Any]:
        from kb.stats import graph_stats

        return graph_stats(self.backend)

    def clear(self) -> None:
        self._resolver = None
        self.backend.clear()

    # -- lifecycle
    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> KB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<KB {self.backend.location}>"


def connect(uri: str | None = None, **options: Any) -> KB:
    """Open the knowledge base.

    >>> with kb.connect() as k:            # embedded FalkorDB in KB_HOME
    ...     k.load()
    >>> kb.connect("bolt://localhost:7687", password="...")   # Neo4j 5

    Options: ``home``, ``graph`` (FalkorDB), ``database``, ``user``, ``password`` (Neo4j);
    each falls back to its ``KB_*`` environment variable.
    """
    settings = Settings.from_env(uri, **options)
    return KB(open_backend(settings), settings)

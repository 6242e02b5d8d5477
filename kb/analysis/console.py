"""The Cypher console behind `kb console`, in the manner of cypher-shell.

Everything a user types goes through `Session.execute` (or `Session.run`, which
returns the text it would print), so the console is testable without a terminal:

    >>> s = Session(k)                       # read-only
    >>> print(s.run("MATCH (e:Element) RETURN count(e) AS n;"))
    >>> s.execute("CREATE (:X);").refused    # True: every statement goes through KB.read()

Statements end with ``;`` and may span lines; lines starting with ``:`` are console
commands (``:help``, ``:schema``, ``:queries``, ``:run``, ``:param``, ``:params``,
``:exit``). `interactive` runs the prompt_toolkit loop, `run_script` the statements
read from a file or stdin.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kb.analysis.output import Format, render
from kb.engines import cypher
from kb.errors import KBError, QueryError, ReadOnlyError
from kb.queries.catalog import STRING_OR_COMMENT, used_params

if TYPE_CHECKING:
    from kb.core import KB

HELP = """\
Type Cypher statements ending with ';' (they may span lines), or a command:

  :help                       this text
  :schema                     labels, relationship types and property keys in the graph
  :queries                    the canned questions and their parameters
  :run NAME key=value ...     run a canned question (a value $name takes a :param)
  :param name => expression   set a parameter to a Cypher expression's value ($name in statements)
  :param {a: 1, b: 'x'}       set several parameters at once
  :param clear                forget every parameter
  :params                     list the parameters
  :format table|vertical|csv|json   how rows are shown (vertical: one field a line, for wide rows)
  :maxrows N                  show at most N rows of an answer (0: all); the rest are counted
  :pager on|off               page answers taller than the terminal ($PAGER, else less); --no-pager
  :exit                       leave (Ctrl-D on an empty prompt does too)

Ctrl-C cancels the statement that is running (the session and its parameters stay);
Ctrl-D with a statement half typed discards it.

Tab completes labels (after ':'), relationship types (inside [...]), property keys
(after '.'), parameters (after '$'), question names and commands.
The console is read-only unless started with --write: statements that would change
the graph are refused before they run, on either engine."""

COMMANDS = (":help", ":schema", ":queries", ":run", ":param", ":params", ":format", ":maxrows", ":pager", ":exit", ":quit")
#: properties the KB keeps for itself (name lookup, labels of a node as a map): not shown in answers
INTERNAL_PROPERTIES = frozenset({"names_lc", "_labels"})
MAX_ROWS = 1000

KEYWORDS = (
    "MATCH", "OPTIONAL MATCH", "WHERE", "RETURN", "WITH", "UNWIND", "ORDER BY", "SKIP", "LIMIT", "DISTINCT",
    "AS", "AND", "OR", "NOT", "XOR", "IN", "IS NULL", "IS NOT NULL", "STARTS WITH", "ENDS WITH", "CONTAINS",
    "CASE", "WHEN", "THEN", "ELSE", "END", "CALL", "YIELD", "UNION", "EXISTS", "COUNT", "DESC", "ASC",
    "CREATE", "MERGE", "SET", "DELETE", "DETACH DELETE", "REMOVE", "ON CREATE SET", "ON MATCH SET",
    "count(", "collect(", "sum(", "avg(", "min(", "max(", "size(", "labels(", "type(", "keys(", "toLower(",
    "toUpper(", "coalesce(", "round(", "toString(", "toInteger(", "toFloat(", "properties(", "nodes(",
    "relationships(", "shortestPath(", "reduce(", "any(", "all(", "none(", "head(", "last(", "range(",
)

_IDENT = r"(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)"


# --------------------------------------------------------------------------- splitting statements


class Splitter:
    """Cuts text into statements at ``;`` outside strings, backticks and comments.

    A line that starts with ``:`` while no statement is open is a command, complete
    at the end of its line. Feed text in pieces (lines of a prompt, a whole file)."""

    def __init__(self) -> None:
        self._buf: list[str] = []
        self._state = "code"  # code, ', ", `, block-comment
        self._has_code = False  # the open statement holds something besides comments and blanks
        self._line = 1
        self._start_line = 1

    @property
    def pending(self) -> str:
        """The text of the statement not yet ended."""
        return "".join(self._buf)

    @property
    def open(self) -> bool:
        """Whether a statement has begun and not yet ended."""
        return self._has_code or self._state != "code"

    def feed(self, text: str) -> list[tuple[int, str]]:
        """Add text; return the statements it completes as (first line, text)."""
        done: list[tuple[int, str]] = []
        for line in text.splitlines(keepends=True):
            if not self.open and line.lstrip().startswith(":"):
                self._buf = []
                done.append((self._line, line.strip()))
                self._line += 1
                continue
            i, n = 0, len(line)
            while i < n:
                ch = line[i]
                st = self._state
                if st == "code":
                    if ch == ";":
                        if self._has_code:
                            done.append((self._start_line, "".join(self._buf).strip()))
                        self._buf, self._has_code = [], False
                        i += 1
                        continue
                    if ch == "/" and line[i + 1 : i + 2] == "/":  # a comment to the end of the line
                        self._buf.append(line[i:].rstrip("\n"))
                        break
                    if ch == "/" and line[i + 1 : i + 2] == "*":
                        self._state = "block-comment"
                        self._buf.append("/*")
                        i += 2
                        continue
                    if not ch.isspace():
                        if not self._has_code:
                            self._start_line = self._line
                        self._has_code = True
                    if ch in "'\"`":
                        self._state = ch
                elif st in "'\"":
                    if ch == "\\":
                        self._buf.append(line[i : i + 2])
                        i += 2
                        continue
                    if ch == st:
                        self._state = "code"
                elif st == "`":
                    if ch == "`":
                        self._state = "code"
                elif st == "block-comment" and ch == "*" and line[i + 1 : i + 2] == "/":
                    self._state = "code"
                    self._buf.append("*/")
                    i += 2
                    continue
                self._buf.append(ch)
                i += 1
            if line.endswith("\n") and (not self._buf or not self._buf[-1].endswith("\n")):
                self._buf.append("\n")
            self._line += 1
        return done

    def flush(self) -> list[tuple[int, str]]:
        """The statement left open at the end of the input, if any (run as if ended)."""
        stmt = "".join(self._buf).strip()
        has_code = self._has_code
        self._buf, self._state, self._has_code = [], "code", False
        return [(self._start_line, stmt)] if has_code else []

    @staticmethod
    def complete(text: str) -> bool:
        """Whether ``text`` ends a statement (or is a command, or blank) and leaves nothing
        open: the interactive prompt accepts its buffer when this holds."""
        if not text.strip():
            return True
        s = Splitter()
        got = s.feed(text)
        return bool(got) and not s.open


def _escaped(buf: list[str]) -> bool:
    n = 0
    for c in reversed(buf):
        if c != "\\":
            break
        n += 1
    return n % 2 == 1


def strip_comments(text: str) -> str:
    """The text with its comments (``//`` and ``/* */`` outside strings) blanked out."""
    return STRING_OR_COMMENT.sub(lambda m: m.group(0) if m.group(0)[0] in "'\"`" else " ", text)


def split_statements(text: str) -> list[tuple[int, str]]:
    """Every statement and command in ``text`` as (first line, text); a last statement without ``;`` counts."""
    s = Splitter()
    return s.feed(text) + s.flush()


# --------------------------------------------------------------------------- the session


@dataclass
class Outcome:
    """What one statement or command produced."""

    output: str = ""  # the data: a table, JSON or CSV (stdout)
    message: str = ""  # status (time, counters) or what went wrong (stderr in scripts)
    ok: bool = True
    refused: bool = False
    exit: bool = False

    def text(self) -> str:
        return "\n".join(p.rstrip("\n") for p in (self.output, self.message) if p)


@dataclass
class Vocabulary:
    labels: list[str] = field(default_factory=list)
    relationship_types: list[str] = field(default_factory=list)
    property_keys: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    keys_by_label: dict[str, list[str]] = field(default_factory=dict)


class Session:
    """One console on one KB: parameters, output format, read-only or not."""

    def __init__(self, k: KB, *, write: bool = False, fmt: Format = Format.table, width: int = 120,
                 color: bool = False, max_rows: int = MAX_ROWS, pager: bool = True):
        self.kb = k
        self.pager = pager  # the interactive loop pages output taller than the terminal
        self.write = write
        self.fmt = fmt
        self.vertical = False
        self.max_rows = max_rows
        self.width = width
        self.color = color
        self.params: dict[str, Any] = {}
        self._vocab: Vocabulary | None = None

    # ------------------------------------------------------------------ entry points

    def run(self, text: str) -> str:
        """Execute one statement or command; return what the console would print."""
        return self.execute(text).text()

    def execute(self, text: str) -> Outcome:
        """Execute one statement (``;`` optional) or ``:command``."""
        text = text.strip()
        if not text:
            return Outcome()
        try:
            if text.startswith(":"):
                return self._command(text.rstrip(";").strip())
            return self._cypher(text)
        except ReadOnlyError as exc:
            return Outcome(message=f"{exc}; the console is read-only - start it with --write to change the graph",
                           ok=False, refused=True)
        except KBError as exc:
            from kb.config import mask

            typed = strip_comments(text).strip().rstrip(";").strip()
            m = re.fullmatch(rf":param\s+(?:{_IDENT}\s*(?:=>|:)\s*)?(.+)", typed, re.S)
            message, caret = locate_error(mask(str(exc)), m.group(1).strip() if m else typed)
            return Outcome(message=f"error: {message}" + (f"\n{caret}" if caret else ""), ok=False)

    # ------------------------------------------------------------------ Cypher

    def _cypher(self, text: str) -> Outcome:
        stmt = strip_comments(text).strip().rstrip(";").strip()
        missing = [p for p in used_params(stmt) if p not in self.params]
        if missing:
            raise QueryError(f"parameter ${missing[0]} is not set: use :param {missing[0]} => value")
        params = {p: self.params[p] for p in used_params(stmt)}
        t0 = time.perf_counter()
        counters = None
        if self.write:
            rows, counters = self.kb.backend.write(stmt, params)
        else:
            rows = self.kb.read(stmt, params)
        ms = (time.perf_counter() - t0) * 1000
        cols = list(rows[0]) if rows else []
        message = f"{ms:.0f} ms"
        notes = self.kb.backend.notices(stmt, params)
        if notes:
            message = "\n".join(f"{self.kb.engine} {n}" for n in notes) + "\n" + message
        if counters is not None:
            changed = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counters.as_dict().items() if v)
            if changed:
                message = f"{changed}; {message}"
        if not rows and self.fmt is Format.table:
            return Outcome(output="(no rows)", message=message)
        return Outcome(output=self._render(rows, cols, capped=True), message=message)

    def _render(self, rows: list[dict[str, Any]], columns: list[str] | None = None, *, capped: bool = False) -> str:
        from rich.console import Console

        rows = [{c: _public(v) for c, v in r.items()} for r in rows]
        more = 0
        if capped and self.max_rows and len(rows) > self.max_rows:
            more, rows = len(rows) - self.max_rows, rows[: self.max_rows]
        if self.vertical and self.fmt is Format.table:
            text = vertical(rows, columns)
        else:
            buf = io.StringIO()
            console = Console(file=buf, width=self.width, force_terminal=self.color, force_jupyter=False,
                              color_system="auto" if self.color else None, highlight=False, soft_wrap=False)
            render(rows, self.fmt, console, columns=columns)
            text = buf.getvalue()
        if more:
            text = text.rstrip("\n") + f"\n{more} more row{'s' if more != 1 else ''} (:maxrows N to show more)\n"
        return text

    # ------------------------------------------------------------------ commands

    def _command(self, text: str) -> Outcome:
        name, _, rest = text.partition(" ")
        name = name.lower()
        rest = rest.strip()
        if name in (":exit", ":quit", ":q"):
            return Outcome(exit=True)
        if name == ":help":
            return Outcome(output=HELP)
        if name == ":schema":
            return self._schema()
        if name == ":queries":
            return self._queries()
        if name == ":run":
            return self._run_question(rest)
        if name == ":param":
            return self._param(rest)
        if name == ":format":
            choice = rest.lower()
            if choice not in ("table", "vertical", "csv", "json"):
                raise QueryError(":format table, vertical, csv or json")
            self.vertical = choice == "vertical"
            self.fmt = Format.table if self.vertical else Format(choice)
            return Outcome(message=f"format {choice}")
        if name == ":maxrows":
            if not rest.isdigit():
                raise QueryError(f":maxrows takes a number of rows (0: all), now {self.max_rows}")
            self.max_rows = int(rest)
            return Outcome(message=f"showing at most {self.max_rows} rows" if self.max_rows else "showing every row")
        if name == ":pager":
            if rest.lower() not in ("on", "off"):
                raise QueryError(f":pager on or off, now {'on' if self.pager else 'off'}")
            self.pager = rest.lower() == "on"
            return Outcome(message="pager " + rest.lower())
        if name == ":params":
            if rest.lower() == "clear":
                return self._param("clear")
            return self._show_params()
        raise QueryError(f"unknown command {name} (try :help)")

    def _schema(self) -> Outcome:
        from kb import schema

        label_rows = self.kb.read(cypher.label_counts())
        rel_rows = self.kb.read(cypher.relationship_type_counts())
        keys = self.kb.read(cypher.property_keys_by_label())
        by_label = {r["label"]: sorted(r["keys"]) for r in keys}
        models = {m.__label__: m for m in schema.RECORD_KINDS}
        rows = []
        for r in label_rows:
            if r["label"].startswith("_"):
                continue
            m = models.get(r["label"])
            doc = (m.__doc__ or "").strip().splitlines()[0] if m is not None else ""
            rows.append({"label": r["label"], "nodes": r["nodes"], "key": schema.NODE_KEYS.get(r["label"], ""),
                         "properties": by_label.get(r["label"], []), "description": doc})
        if self.fmt is not Format.table:
            data = [{"kind": "label", **r} for r in rows] + [{"kind": "relationship", "label": r["type"],
                                                              "nodes": None, "relationships": r["relationships"]}
                                                             for r in rel_rows]
            return Outcome(output=self._render(data))
        if not rows:
            return Outcome(output="the graph is empty: run `kb load`")
        return Outcome(output=self._render(rows) + self._render(rel_rows))

    def _queries(self) -> Outcome:
        from kb.queries.catalog import catalog

        rows = [{
            "name": q.name,
            "params": ", ".join(p.name + ("" if p.required else f"={p.default!r}") for p in q.params),
            "description": q.description,
        } for q in catalog().values()]
        return Outcome(output=self._render(rows))

    def _run_question(self, rest: str) -> Outcome:
        from kb.queries import catalog

        try:
            words = shlex.split(rest)
        except ValueError as exc:
            raise QueryError(f":run: {exc}") from None
        if not words:
            raise QueryError(":run NAME key=value ... (see :queries)")
        q = catalog.get(words[0])
        if not q.reads and not self.write:
            raise ReadOnlyError(f"refused: {q.name} writes")
        raw, given = [], {}
        for w in words[1:]:
            key, eq, value = w.partition("=")
            if eq and value.startswith("$"):
                if value[1:] not in self.params:
                    raise QueryError(f"parameter ${value[1:]} is not set: use :param {value[1:]} => value")
                given[key.strip()] = self.params[value[1:]]
            else:
                raw.append(w)
        params = {**q.parse(raw), **given}
        t0 = time.perf_counter()
        rows = self.kb.ask(q.name, params)
        ms = (time.perf_counter() - t0) * 1000
        dicts = rows.to_dicts()
        cols = rows.columns or [c.name for c in q.columns]
        message = "\n".join([*(f"note: {n}" for n in rows.notes), f"{ms:.0f} ms"])
        if not dicts and self.fmt is Format.table:
            return Outcome(output="(no rows)", message=message)
        return Outcome(output=self._render(dicts, cols, capped=True), message=message)

    def _param(self, rest: str) -> Outcome:
        if not rest:
            raise QueryError(":param name => expression, :param {name: expression, ...} or :param clear")
        if rest.lower() == "clear":
            self.params.clear()
            return Outcome(message="parameters cleared")
        if rest.startswith("{"):
            value = self._evaluate(rest)
            if not isinstance(value, dict):
                raise QueryError(":param {...} takes a map")
            self.params.update(value)
            return Outcome(message="set " + ", ".join(f"${k}" for k in value))
        m = re.fullmatch(rf"({_IDENT})\s*(?:=>|:)\s*(.+)", rest, re.S)
        if not m:
            raise QueryError(f":param {rest!r}: write :param name => expression")
        name = m.group(1).strip("`")
        self.params[name] = self._evaluate(m.group(2))
        return Outcome(message=f"${name} => {json.dumps(self.params[name], ensure_ascii=False, default=str)}")

    def _evaluate(self, expression: str) -> Any:
        """A Cypher expression's value, evaluated by the engine (read-only) with the current parameters."""
        expression = expression.strip().rstrip(";")
        stmt = cypher.value_of(expression)
        missing = [p for p in used_params(stmt) if p not in self.params]
        if missing:
            raise QueryError(f"parameter ${missing[0]} is not set")
        rows = self.kb.read(stmt, {p: self.params[p] for p in used_params(stmt)})
        return rows[0]["value"]

    def _show_params(self) -> Outcome:
        if not self.params:
            return Outcome(output="no parameters: set one with :param name => value")
        rows = [{"name": f"${k}", "value": json.dumps(v, ensure_ascii=False, default=str)} for k, v in self.params.items()]
        if self.fmt is Format.json:
            return Outcome(output=json.dumps(self.params, ensure_ascii=False, indent=2, default=str) + "\n")
        return Outcome(output=self._render(rows))

    # ------------------------------------------------------------------ completion

    def vocabulary(self) -> Vocabulary:
        """Labels, relationship types and property keys from the graph and kb.schema, and question names."""
        if self._vocab is None:
            from kb import schema
            from kb.queries.catalog import catalog

            labels = set(schema.NODE_KEYS)
            rels = set(schema.REL_TYPES)
            props = {"names_lc"}
            for m in schema.RECORD_KINDS:
                props.update(m.model_fields)
            for query, col, into in ((cypher.db_labels(), "label", labels),
                                     (cypher.db_relationship_types(), "relationshipType", rels),
                                     (cypher.db_property_keys(), "propertyKey", props)):
                with contextlib.suppress(KBError):
                    into.update(str(r[col]) for r in self.kb.read(query))
            by_label: dict[str, list[str]] = {}
            with contextlib.suppress(KBError):
                by_label = {str(r["label"]): sorted(map(str, r["keys"])) for r in self.kb.read(
                    cypher.property_keys_by_label())}
            self._vocab = Vocabulary(
                sorted(x for x in labels if not x.startswith("_")), sorted(rels), sorted(props), sorted(catalog()),
                by_label,
            )
        return self._vocab

    def complete(self, before: str) -> list[tuple[str, int]]:
        """Completions for the text before the cursor, as (text, how many characters it replaces)."""
        return complete(before, self.vocabulary(), self.params)


def complete(before: str, vocab: Vocabulary, params: dict[str, Any] | None = None) -> list[tuple[str, int]]:
    """Completions for ``before`` (the text left of the cursor): (replacement, characters it replaces)."""
    params = params or {}
    line = before.split("\n")[-1]
    stripped = line.lstrip()

    def matching(words: Iterable[str], frag: str, *, fold: bool = False) -> list[tuple[str, int]]:
        f = frag.lower() if fold else frag
        return [(w, len(frag)) for w in words if (w.lower() if fold else w).startswith(f) and w != frag]

    head = Splitter()
    head.feed(before[: len(before) - len(line)])
    if stripped.startswith(":") and not head.open:
        words = stripped.split()
        ends_space = stripped.endswith(" ")
        if len(words) == 1 and not ends_space:
            return matching(COMMANDS, words[0])
        if words[0] == ":run":
            if len(words) == 1 or (len(words) == 2 and not ends_space):
                return matching(vocab.questions, "" if ends_space else words[1])
            from kb.queries import catalog

            try:
                q = catalog.get(words[1])
            except KBError:
                return []
            frag = "" if ends_space else words[-1]
            if "=" in frag:
                return []
            given = {w.split("=", 1)[0] for w in words[2:]}
            return matching([p.name + "=" for p in q.params if p.name not in given], frag)
        return []
    m = re.search(r"([:$.]?)([A-Za-z_][A-Za-z0-9_]*)?$", before)
    sigil, frag = (m.group(1), m.group(2) or "") if m else ("", "")
    if sigil == ":":
        code = strip_comments(before)
        in_rel = code.rfind("[") > max(code.rfind("]"), code.rfind("("))
        return matching(vocab.relationship_types if in_rel else vocab.labels, frag)
    if sigil == "$":
        return matching(list(params), frag)
    if sigil == ".":
        var = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\.[A-Za-z0-9_]*$", before)
        keys = keys_of(var.group(1), strip_comments(before), vocab) if var else None
        return matching(keys if keys is not None else [k for k in vocab.property_keys
                                                       if k not in INTERNAL_PROPERTIES], frag)
    if not frag:
        return []
    return matching([*KEYWORDS, *vocab.labels], frag, fold=True)


def keys_of(variable: str, statement: str, vocab: Vocabulary | None = None) -> list[str] | None:
    """The property keys of the label ``variable`` is bound to in ``statement`` (``(e:Element``,
    ``[r:TYPE``): those the graph's nodes of that label have, and kb.schema's fields for it;
    None when the statement does not give it a label."""
    from kb import schema

    m = re.search(rf"[(\[]\s*{re.escape(variable)}\s*:\s*`?([A-Za-z_][A-Za-z0-9_]*)", statement)
    if not m:
        return None
    label = m.group(1)
    keys = set((vocab.keys_by_label if vocab else {}).get(label, []))
    for model in schema.RECORD_KINDS:
        if model.__label__ == label:
            keys |= set(model.model_fields) - {"sources"}
            if schema.NODE_KEYS.get(label):
                keys.add(schema.NODE_KEYS[label])
    return sorted(keys - INTERNAL_PROPERTIES) if keys else None


def _public(v: Any) -> Any:
    """A value as the console shows it: nodes and maps without the KB's internal properties."""
    if isinstance(v, dict):
        return {k: _public(x) for k, x in v.items() if k not in INTERNAL_PROPERTIES}
    if isinstance(v, list):
        return [_public(x) for x in v]
    return v


def vertical(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """One field a line, a header a row (like psql's expanded display)."""
    cols = columns or (list(rows[0]) if rows else [])
    width = max((len(c) for c in cols), default=0)
    out = []
    for i, r in enumerate(rows, start=1):
        out.append(f"*** row {i} ***")
        for c in cols:
            v = r.get(c)
            text = json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (dict, list)) else (
                "" if v is None else str(v))
            out.append(f"{c.rjust(width)}: {text}")
    out.append(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
    return "\n".join(out) + "\n"


_AT = re.compile(r"line[:\s]+(\d+),\s*column[:\s]+(\d+)")


def locate_error(message: str, statement: str) -> tuple[str, str | None]:
    """An engine's error as one line, and the line of ``statement`` (as the user typed it) with a caret
    under the column the engine names; the engine may have seen it inside a wrapper (``EXPLAIN ...``,
    ``RETURN ... AS value``), which the caret does not count."""
    first = message.split("\n", 1)[0]
    m = _AT.search(message)
    # FalkorDB: "errMsg: ... line: 1, column: 22, offset: 21 errCtx: TEXT errCtxOffset: 21"
    # Neo4j: "... (line 1, column 19 (offset: 18))" then the statement quoted, then a caret line
    ctx_m = re.search(r"errCtx:\s?(.*?)\s*errCtxOffset", message, re.S) or re.search(r'^"(.*)"$', message, re.M)
    head = re.sub(r"\berrMsg:\s*", "", first)
    head = re.sub(r"\s*\(line \d+, column \d+ \(offset: \d+\)\)", "", head)
    head = re.sub(r"\s*line: \d+, column: \d+, offset: \d+.*$", "", head).strip()
    if not m:
        return head, None
    line, col = int(m.group(1)), int(m.group(2))
    lines = statement.split("\n")
    if line == 1 and ctx_m:
        i = ctx_m.group(1).find(lines[0].strip()[:40]) if lines[0].strip() else -1
        if i > 0:
            col -= i
    if not 1 <= line <= len(lines):
        return head, None
    text = lines[line - 1]
    col = max(1, min(col, len(text) + 1))
    return head, f"{text}\n{' ' * (col - 1)}^"


# --------------------------------------------------------------------------- scripts and the prompt


def run_script(session: Session, text: str, out: TextIO, err: TextIO, *, fail_fast: bool = False,
               quiet: bool = False) -> int:
    """Run every statement and command in ``text``; results to ``out``, timing and
    errors to ``err``. Returns how many failed or were refused."""
    failed = 0
    for line, stmt in split_statements(text):
        res = session.execute(stmt)
        if res.output:
            out.write(res.output if res.output.endswith("\n") else res.output + "\n")
            out.flush()
        if not res.ok:
            failed += 1
            first = " ".join(stmt.split())
            err.write(f"statement at line {line} ({first[:60]}{'...' if len(first) > 60 else ''}): {res.message}\n")
            if fail_fast:
                break
        elif res.message and not quiet:
            err.write(res.message + "\n")
        err.flush()
        if res.exit:
            break
    return failed


def history_path(home: Path) -> Path:
    """Where the console keeps its history: ``KB_HOME/console_history``."""
    return home / "console_history"


class _Discarded(Exception):
    """Ctrl-D with a statement half typed."""


def cancellable(session: Session, text: str) -> Outcome | None:
    """Execute ``text`` in a worker thread; None when Ctrl-C cancelled it. The engine may finish the
    statement in the background, but its answer is dropped and the session goes on (its other
    statements use other connections of the client's pool)."""
    done: list[Outcome] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            done.append(session.execute(text))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            failed.append(exc)

    worker = threading.Thread(target=work, name="kb-console-statement", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        return None
    if failed:
        raise failed[0]
    return done[0]


def page(text: str) -> None:
    """Show ``text`` through $KB_PAGER, $PAGER or ``less -FRX`` (colours kept, quits at once when it
    fits); without any, pydoc's own terminal pager."""
    import pydoc

    cmd = os.environ.get("KB_PAGER") or os.environ.get("PAGER") or ("less -FRX" if shutil.which("less") else "")
    if cmd.strip():
        pydoc.pipepager(text + "\n", cmd)
    else:
        pydoc.ttypager(text + "\n")


def interactive(session: Session, history: Path | None, *, banner: str = "",
                printer: Callable[[str], None] | None = None) -> int:
    """The prompt_toolkit loop: multi-line statements ended by ``;``, history, completion.
    Returns how many statements failed or were refused."""
    from prompt_toolkit.formatted_text import ANSI
    from prompt_toolkit.shortcuts import print_formatted_text

    def show(text: str) -> None:
        if printer:
            printer(text)
        else:
            print_formatted_text(ANSI(text))

    def show_output(text: str) -> None:
        """Through a pager when taller than the terminal (and paging is on)."""
        if printer is None and session.pager and text.count("\n") + 1 > shutil.get_terminal_size().lines - 2:
            page(text)
        else:
            show(text)

    prompt = _prompt_session(session, history)
    if banner:
        show(banner)
    failed = 0
    while True:
        try:
            text = prompt.prompt("kb> ")
        except KeyboardInterrupt:
            continue
        except _Discarded:
            show("(statement discarded)")
            continue
        except EOFError:
            break
        errors, stop = _run_typed(session, text, show, show_output)
        failed += errors
        if stop:
            break
    return failed


def _run_typed(session: Session, text: str, show: Callable[[str], None],
               show_output: Callable[[str], None]) -> tuple[int, bool]:
    """Run the statements of one prompt's text in turn: (how many failed, whether to leave)."""
    failed = 0
    for _line, stmt in split_statements(text):
        res = cancellable(session, stmt)
        if res is None:
            show("\x1b[33mcancelled\x1b[0m (the session and its parameters are kept)")
            break
        if res.output:
            show_output(res.output.rstrip("\n"))
        if res.message:
            show(res.message if res.ok else f"\x1b[31m{res.message}\x1b[0m")
        failed += 0 if res.ok else 1
        if res.exit:
            return failed, True
    return failed, False


def _prompt_session(session: Session, history: Path | None) -> Any:
    """A prompt_toolkit session: Enter runs a complete statement (else a new line), Alt-Enter runs
    what is there, Ctrl-D leaves (or discards a half-typed statement); history in ``history``
    (owner-only), completion from `Session.complete`."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    class CypherCompleter(Completer):
        def get_completions(self, document: Any, complete_event: Any) -> Any:
            for text, n in session.complete(document.text_before_cursor):
                yield Completion(text, start_position=-n)

    keys = KeyBindings()

    @keys.add("enter")
    def _(event: Any) -> None:
        buf = event.current_buffer
        if buf.document.is_cursor_at_the_end and Splitter().complete(buf.text):
            buf.validate_and_handle()
        else:
            buf.insert_text("\n")

    @keys.add("escape", "enter")
    def _(event: Any) -> None:  # Alt-Enter runs what is there, ';' or not
        event.current_buffer.validate_and_handle()

    @keys.add("c-d")
    def _(event: Any) -> None:  # on an empty prompt: leave; with a statement half typed: discard it
        buf = event.current_buffer
        if buf.text.strip():
            event.app.exit(exception=_Discarded())
        else:
            event.app.exit(exception=EOFError())

    hist: Any = InMemoryHistory()
    if history is not None:
        try:
            history.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(history, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
            os.chmod(history, 0o600)  # owner-only, like the rest of KB_HOME
            hist = FileHistory(str(history))
        except OSError:
            pass
    return PromptSession(history=hist, completer=CypherCompleter(), multiline=True, key_bindings=keys,
                         prompt_continuation=lambda width, n, soft: "...> ".rjust(width),
                         complete_while_typing=False, enable_history_search=True)

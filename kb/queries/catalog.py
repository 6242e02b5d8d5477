"""The catalogue of canned questions: one ``.cypher`` file each, in ``cypher/``.

A file starts with a header of ``//`` lines, the only place a question is described::

    // name: top_producers
    // description: The largest producers in a year and stage, with their share of the world.
    // mode: read
    // param: year: int - the year of the figures
    // param: stage: str = "mining" - mining, separation, refining or magnets
    // column: country: str - country name
    // column: share: float | None - share of the world total, 0-1

Parameter and column types are Python types: ``str``, ``int``, ``float``, ``bool``,
``list[str]``, ``list[int]``, ``list[float]``, optionally ``| None``. A default is a
Python literal. Loading checks that the declared parameters are exactly the
``$parameters`` the Cypher uses and that no two files share a name; errors name
the file and line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from kb.errors import KBError, QueryError
from kb.queries.resolve import ENTITY_TYPES
from kb.schema import Stage

# Closed sets a header may name as a type: the generated API types them as the schema's
# Literals, and binding refuses a value outside the set.
SCHEMA_TYPES: dict[str, Any] = {"Stage": Stage}
# Entities a parameter names (a key, name or alias): text in the API, resolved to the entity's
# key by `kb.queries.resolve` before the question runs, so the Cypher matches on keys.
TYPES: dict[str, Any] = {
    "str": str, "int": int, "float": float, "bool": bool,
    "list[str]": list[str], "list[int]": list[int], "list[float]": list[float],
    "list[Any]": list[Any], "Any": Any, **SCHEMA_TYPES, **dict.fromkeys(ENTITY_TYPES, str),
    # a list of entities (``list[Element]``): each item resolved like a single one
    **{f"list[{t}]": list[str] for t in ENTITY_TYPES},
}
#: int parameters that count things: never negative
COUNTS = ("limit", "offset", "max_hops")
_HEADER = re.compile(r"^//\s*(name|description|mode|param|column):\s*(.*)$")
_DECL = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)\s*:\s*(?P<type>[A-Za-z\[\]| ]+?)\s*(?:=\s*(?P<default>.+?))?\s*(?:\s-\s(?P<doc>.*))?$")
_PARAM_USE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# strings, `quoted names`, // line and /* block */ comments: where a `$name` is not a parameter
STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)


def used_params(statement: str) -> list[str]:
    """The ``$names`` a Cypher statement uses, outside strings, quoted names and comments,
    in order of first use. The catalogue and the console both ask this function."""
    code = STRING_OR_COMMENT.sub(" ", statement)
    return list(dict.fromkeys(_PARAM_USE.findall(code)))
_MISSING = object()


class CatalogError(KBError):
    """A ``.cypher`` file is malformed."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any = _MISSING
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    @property
    def optional(self) -> bool:
        return self.type.replace(" ", "").endswith("|None")

    @property
    def base_type(self) -> str:
        return self.type.replace(" ", "").removesuffix("|None")

    @property
    def entity(self) -> str | None:
        """The entity type this parameter names (``Country``...), or each item of its list
        names (``list[Element]``), if any."""
        base = self.base_type
        inner = base[5:-1] if base.startswith("list[") and base.endswith("]") else base
        return inner if inner in ENTITY_TYPES else None

    @property
    def many(self) -> bool:
        """Whether the parameter is a list (of entities or of values)."""
        return self.base_type.startswith("list[")

    @property
    def py_type(self) -> str:
        """The annotation in the generated API: an entity is named by text."""
        return self.type.replace(self.entity, "str") if self.entity else self.type

    def parse(self, qname: str, value: str) -> Any:
        """One value written as text, converted to this parameter's type."""
        if self.optional and value.strip().lower() in ("", "null", "none"):
            return None
        base = self.base_type

        def one(v: str, t: str) -> Any:
            v = v.strip()
            try:
                if t == "int":
                    return int(v)
                if t == "float":
                    return float(v)
                if t == "bool":
                    if v.lower() in ("true", "yes", "1"):
                        return True
                    if v.lower() in ("false", "no", "0"):
                        return False
                    raise ValueError(v)
            except ValueError:
                raise QueryError(f"{qname}: parameter {self.name} must be {self.type}, got {v!r}") from None
            return v

        if base.startswith("list["):
            inner = base[5:-1]
            return [one(x, inner) for x in value.split(",") if x.strip()]
        return one(value, base)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "required": self.required,
            "default": None if self.required else self.default, "description": self.description,
        }


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""


@dataclass(frozen=True)
class Question:
    name: str
    description: str
    mode: str
    params: tuple[Param, ...]
    columns: tuple[Column, ...]
    cypher: str
    file: str
    line: int  # first line of the Cypher body
    header: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def reads(self) -> bool:
        return self.mode == "read"

    @property
    def labels(self) -> tuple[str, ...]:
        """The node labels the question's patterns name (``(p:Production)``), in order of first use."""
        found = re.findall(r"\(\s*\w*\s*:\s*`?(\w+)`?", STRING_OR_COMMENT.sub(" ", self.cypher))
        return tuple(dict.fromkeys(found))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "description": self.description, "mode": self.mode,
            "params": [p.as_dict() for p in self.params],
            "columns": [{"name": c.name, "type": c.type, "description": c.description} for c in self.columns],
            "file": Path(self.file).name,
        }

    def parse(self, items: list[str]) -> dict[str, Any]:
        """Parameters written as text (``KEY=VALUE``, lists comma-separated), as the CLI,
        the console's ``:run`` and query strings give them, converted to the declared types."""
        types = {p.name: p for p in self.params}
        params: dict[str, Any] = {}
        for item in items:
            if "=" not in item:
                raise QueryError(f"-p {item!r}: write parameters as KEY=VALUE")
            key, value = item.split("=", 1)
            key = key.strip()
            if key not in types:
                raise QueryError(f"{self.name}: unknown parameter {key!r} (takes: {', '.join(types) or 'none'})")
            params[key] = types[key].parse(self.name, value)
        return params

    def bind(self, given: dict[str, Any]) -> dict[str, Any]:
        """Check and convert parameters; raise `QueryError` before anything is sent."""
        from pydantic import TypeAdapter, ValidationError

        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise QueryError(
                f"{self.name}: unknown parameter {', '.join(unknown)} "
                f"(takes: {', '.join(known) or 'none'})"
            )
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name not in given:
                if p.required:
                    raise QueryError(f"{self.name}: missing parameter {p.name} ({p.type}): {p.description}")
                out[p.name] = p.default
                continue
            value = given[p.name]
            if value is None and p.optional:
                out[p.name] = None
                continue
            if p.name in COUNTS and isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise QueryError(f"{self.name}: parameter {p.name} must be 0 or more, got {value}")
            try:
                out[p.name] = TypeAdapter(TYPES[p.base_type]).validate_python(value, strict=True)
            except ValidationError:
                try:  # ints are welcome where floats are expected, and nothing else is coerced
                    if p.base_type == "float" and isinstance(value, int) and not isinstance(value, bool):
                        out[p.name] = float(value)
                        continue
                except Exception:  # noqa: BLE001
                    pass
                raise QueryError(
                    f"{self.name}: parameter {p.name} must be {_describe(p.base_type)}, "
                    f"got {type(value).__name__} {value!r:.80}"
                ) from None
        return out


def cypher_literal(value: Any) -> str:
    """A parameter value as a Cypher literal, for a client that declares parameters in text
    (cypher-shell's ``:param``): strings single-quoted with backslash escapes, lists, maps."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QueryError(f"{value!r} has no Cypher literal")
        return repr(value)
    if isinstance(value, str):
        escaped = "".join(_ESCAPES.get(ch, ch) for ch in value)
        return f"'{escaped}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"`{str(k).replace('`', '``')}`: {cypher_literal(v)}" for k, v in value.items()) + "}"
    raise QueryError(f"a {type(value).__name__} has no Cypher literal")


_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shell_script(q: Question, params: dict[str, Any]) -> str:
    """A cypher-shell script that runs ``q``'s ``.cypher`` file as written, with ``params``
    (the keys `KB.parameters` gives, not names: the resolver runs in Python) declared by
    one ``:param`` line."""
    decl = ", ".join(f"`{k}`: {cypher_literal(v)}" for k, v in params.items())
    text = Path(q.file).read_text(encoding="utf-8").strip()
    return f":param {{{decl}}}\n{text}\n;\n" if decl else f"{text}\n;\n"


def _describe(type_name: str) -> str:
    """A type as a user reads it: a closed set lists its values."""
    from typing import get_args

    if type_name in SCHEMA_TYPES:
        return "one of " + ", ".join(repr(v) for v in get_args(SCHEMA_TYPES[type_name]))
    return type_name


def _parse_decl(text: str, path: Path, lineno: int) -> tuple[str, str, Any, str]:
    m = _DECL.match(text.strip())
    if not m:
        raise CatalogError(f"{path}:{lineno}: cannot read declaration {text!r} (want 'name: type [= default] [- description]')")
    typ = m["type"].replace(" ", "")
    if typ.removesuffix("|None") not in TYPES:
        raise CatalogError(f"{path}:{lineno}: unknown type {m['type']!r} (known: {', '.join(TYPES)})")
    default: Any = _MISSING
    if m["default"] is not None:
        try:
            default = ast.literal_eval(m["default"])
        except (ValueError, SyntaxError):
            raise CatalogError(f"{path}:{lineno}: default {m['default']!r} is not a Python literal") from None
    return m["name"], typ.replace("|None", " | None"), default, (m["doc"] or "").strip()


def parse_file(path: Path) -> Question:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    header: dict[str, Any] = {"param": [], "column": []}
    where: dict[str, int] = {}
    body_start = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        m = _HEADER.match(stripped)
        if m:
            key, value = m[1], m[2].strip()
            if key in ("param", "column"):
                header[key].append((value, i + 1))
            elif key in header:
                raise CatalogError(f"{path}:{i + 1}: '{key}' is declared twice")
            else:
                header[key], where[key] = value, i + 1
            continue
        if stripped.startswith("//") or not stripped:
            continue
        body_start = i
        break
    for key in ("name", "description", "mode"):
        if key not in header:
            raise CatalogError(f"{path}:1: header lacks '// {key}:'")
    if header["mode"] not in ("read", "write"):
        raise CatalogError(f"{path}:{where['mode']}: mode must be read or write, not {header['mode']!r}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", header["name"]):
        raise CatalogError(f"{path}:{where['name']}: name {header['name']!r} must be a Python identifier in lower case")
    params = tuple(Param(*_parse_decl(v, path, n)) for v, n in header["param"])
    columns = tuple(Column(*(lambda d: (d[0], d[1], d[3]))(_parse_decl(v, path, n))) for v, n in header["column"])
    body = "\n".join(lines[body_start:]).strip()
    used = set(used_params(body))
    declared = {p.name for p in params}
    if used != declared:
        parts = []
        if used - declared:
            parts.append(f"uses undeclared ${', $'.join(sorted(used - declared))}")
        if declared - used:
            parts.append(f"declares unused {', '.join(sorted(declared - used))}")
        raise CatalogError(f"{path}:{body_start + 1}: {header['name']}: {'; '.join(parts)}")
    if not columns:
        raise CatalogError(f"{path}:1: header declares no '// column:'")
    return Question(header["name"], header["description"], header["mode"], params, columns, body,
                    str(path), body_start + 1, where)


def cypher_dir() -> Path:
    return Path(str(resources.files("kb.cypher")))


def load_catalog(folder: Path | None = None) -> dict[str, Question]:
    """Read every ``.cypher`` file of ``folder`` (default: the bundled one)."""
    folder = folder or cypher_dir()
    out: dict[str, Question] = {}
    for path in sorted(folder.glob("*.cypher")):
        q = parse_file(path)
        if q.name in out:
            raise CatalogError(f"question {q.name!r} is defined twice: {out[q.name].file} and {q.file}")
        out[q.name] = q
    return out


@cache
def catalog() -> dict[str, Question]:
    return load_catalog()


def get(name: str) -> Question:
    try:
        return catalog()[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, catalog(), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see `kb queries`)"
        raise QueryError(f"no question named {name!r}{hint}") from None

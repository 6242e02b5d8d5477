"""Validate raw records and turn them into graph rows (nodes and relationships).

Everything is checked before anything is written: field types (pydantic), that
every reference names a record that exists, that no two records share a key,
that every cited source exists. All problems are collected, each with its file,
line and field, and raised together as one `DataError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Any

import periodictable
import pycountry
from pydantic import BaseModel, ValidationError

from kb.engines.graph import GraphRows as GraphRows  # re-exported: the loaders make it
from kb.errors import DataError, Problem
from kb.schema import BY_SECTION, ENTITY_LABELS, EXTRA_ACTORS, FIGURE_LABELS, WEAK_TIERS, Owner

from .read import RawRecord

#: the Source record that countries cite (ISO 3166 through pycountry)
ISO_SOURCE = "iso-3166"
#: the Source record that elements' physical properties cite
ELEMENT_PROPS_SOURCE = "periodictable"

#: atomic numbers of the rare-earth elements (Sc, Y, La-Lu): a figure may name one that no
#: Element record defines; its node is then made from `periodictable`, as countries from ISO 3166
RARE_EARTH_NUMBERS = frozenset({21, 39, *range(57, 72)})


def normalise(text: str) -> str:
    """Lower-case and strip accents: how names are matched case- and accent-insensitively."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def names_lc(*names: Any) -> list[str]:
    out: set[str] = set()
    for n in names:
        for v in n if isinstance(n, list) else [n]:
            if v:
                out.add(str(v).casefold().strip())
                out.add(normalise(str(v)))
    return sorted(out)


def _country_props(iso3: str) -> dict[str, Any] | None:
    if iso3 in EXTRA_ACTORS:
        extra = EXTRA_ACTORS[iso3]
        return {"name": extra["name"], "iso2": extra["iso2"], "kind": extra["kind"], "aliases": list(extra["aliases"])}
    c = pycountry.countries.get(alpha_3=iso3)
    if c is None:
        return None
    name = getattr(c, "common_name", None) or c.name
    aliases = sorted({c.name, getattr(c, "official_name", c.name)} - {name})
    return {"name": name, "iso2": c.alpha_2, "kind": "country", "aliases": aliases}


def _element_props(symbol: str) -> dict[str, Any] | None:
    el = getattr(periodictable, symbol, None)
    if el is None or not hasattr(el, "number"):
        return None
    return {
        "name": el.name.capitalize(),
        "atomic_number": int(el.number),
        "atomic_mass": float(el.mass),
        "density": float(el.density) if el.density is not None else None,
    }


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _bad_text(value: Any, where: str) -> list[tuple[str, str]]:
    """(field, why) for each string the engines cannot store faithfully: NUL characters
    (FalkorDB cuts text there) and lone surrogates (not encodable as UTF-8); YAML escapes
    such as "\\0" or "\\ud800" and CSV cells can hold them."""
    if isinstance(value, str):
        if "\x00" in value:
            return [(where, "text contains a NUL character (\\x00), which the graph cannot store")]
        if any("\ud800" <= c <= "\udfff" for c in value):
            return [(where, "text contains a lone surrogate (not valid Unicode), which the graph cannot store")]
        return []
    if isinstance(value, dict):
        return [bad for k, v in value.items() for bad in _bad_text(k, where) + _bad_text(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [bad for i, v in enumerate(value) for bad in _bad_text(v, f"{where}.{i}")]
    return []


def validate(raw: list[RawRecord], problems: list[Problem]) -> list[tuple[RawRecord, BaseModel]]:
    """Validate each raw record against its model; collect every field error."""
    out: list[tuple[RawRecord, BaseModel]] = []
    for rec in raw:
        model = BY_SECTION[rec.section]
        for name, value in rec.data.items():
            for where, why in _bad_text(value, str(name)):
                problems.append(Problem(rec.file, rec.line_of(str(name)), where, why))
        try:
            out.append((rec, model.model_validate(rec.data)))
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                if not loc:  # a check across fields ("end ... is before start"): name the first field it cites
                    loc = [w for w in re.findall(r"[a-z_]+", err["msg"]) if w in model.model_fields][:1]
                fname = loc[0] if loc else None
                msg = err["msg"]
                if err["type"] == "missing":
                    msg = "required field is missing"
                elif err["type"] == "extra_forbidden":
                    msg = f"unknown field (allowed: {', '.join(model.model_fields)})"
                elif "input" in err and err["type"] != "value_error":
                    msg = f"{msg} (got {err['input']!r})"
                out_field = ".".join(loc) if loc else None
                problems.append(Problem(rec.file, rec.line_of(fname), out_field, msg))
    return out


def build(raw: list[RawRecord], problems: list[Problem] | None = None) -> GraphRows:
    """Validate and build rows; raise `DataError` listing every problem found. Three phases:
    every record's key (refusing duplicates), each record's node and relationships, then the
    countries and elements that records name without defining them."""
    b = _Build(list(problems or []))
    # updates of nodes defined by other records (kb.schema.UPDATE_KINDS) go last, so their fields win
    records = sorted(validate(raw, b.problems), key=lambda rm: getattr(type(rm[1]), "__extends__", False))
    b.collect_keys(records)
    for rec, m in records:
        b.add_record(rec, m)
    b.add_implied()
    if b.problems:
        raise DataError(b.problems)
    return b.rows


class _Build:
    """The state of one `build`: the rows made, the keys known, the problems found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        self.rows = GraphRows()
        self.seen: dict[tuple[str, str], RawRecord] = {}
        self.first_model: dict[tuple[str, str], BaseModel] = {}
        self.keys: dict[str, set[str]] = defaultdict(set)
        self.tiers: dict[str, Any] = {}
        #: elements no record defines, made from `periodictable` (rare earths only)
        self.auto_elements: dict[str, dict[str, Any]] = {}

    # -- 1. keys: every record's (label, key), refusing duplicates

    def collect_keys(self, records: list[tuple[RawRecord, BaseModel]]) -> None:
        for rec, m in records:
            label, key = type(m).__label__, m.key()  # type: ignore[attr-defined]
            if getattr(type(m), "__extends__", False):
                continue  # checked against the records it extends in add_record
            first = self.seen.get((label, key))
            if first is not None and label == "Source" and self.first_model[(label, key)] == m:
                continue  # the same Source written out twice (an importer's output beside the bundled data)
            if first is not None and label != "Country":
                self.problems.append(
                    Problem(rec.file, rec.line, type(m).__key__,  # type: ignore[attr-defined]
                            f"{label} {key!r} is defined twice (first at {first.file}:{first.line})")
                )
                continue
            self.seen[(label, key)] = rec
            self.first_model[(label, key)] = m
            self.keys[label].add(key)
        self.tiers = {k[1]: getattr(m, "tier", None) for k, m in self.first_model.items() if k[0] == "Source"}

    def element_ok(self, symbol: str) -> bool:
        if symbol in self.keys["Element"]:
            return True
        props = _element_props(symbol)
        if props is not None and props["atomic_number"] in RARE_EARTH_NUMBERS:
            self.auto_elements[symbol] = props
            self.keys["Element"].add(symbol)
            return True
        return False

    def country_ok(self, iso3: str) -> bool:
        """Countries exist if ISO 3166 (or our extra actors) knows them."""
        if iso3 in self.keys["Country"]:
            return True
        if _country_props(iso3) is not None:
            self.keys["Country"].add(iso3)
            return True
        return False

    # -- 2. nodes and relationships

    def add_record(self, rec: RawRecord, m: BaseModel) -> None:
        label, key = type(m).__label__, m.key()  # type: ignore[attr-defined]
        extends = getattr(type(m), "__extends__", False)
        if extends and key not in self.keys[label]:
            self.problems.append(Problem(rec.file, rec.line_of(type(m).__key__),  # type: ignore[attr-defined]
                                         type(m).__key__, f"no {label} {key!r} to update"))  # type: ignore[attr-defined]
            return
        if not extends and self.seen.get((label, key)) is not rec and label != "Country":
            return
        if label == "Source":
            self.rows.add_node("Source", key, m.model_dump(exclude={"notes"}) | {"notes": getattr(m, "notes", None)})
            return
        sources: list[str] = m.sources  # type: ignore[attr-defined]
        self._check_sources(rec, label, m, sources)
        made = self._props(rec, label, key, m, sources)
        if made is None:
            return
        props, sources = made
        if label == "Claim":
            for s in sources:
                self.rows.add_rel("CLAIMS", ("Source", s), ("Claim", key), {})
        self.rows.add_node(label, key, props)
        for s in sorted(set(sources)):
            self.rows.add_rel("SOURCED_FROM", (label, key), ("Source", s), {})
        self._refs(rec, label, key, m, sources)
        if label == "Dispute":
            self._dispute_events(key, m, sources)

    def _check_sources(self, rec: RawRecord, label: str, m: BaseModel, sources: list[str]) -> None:
        for s in sources:
            if s not in self.keys["Source"]:
                self.problems.append(Problem(rec.file, rec.line_of("sources"), "sources", f"unknown source {s!r}"))
        tiers = self.tiers
        if (label in FIGURE_LABELS and all(s in tiers for s in sources)
                and all(tiers[s] in WEAK_TIERS for s in sources) and not getattr(m, "second_hand", False)):
            self.problems.append(Problem(
                rec.file, rec.line_of("sources"), "sources",
                f"a {label} figure whose only sources are of tier {'/'.join(sorted({str(tiers[s]) for s in sources}))}: "
                "cite the publication itself or mark the record second_hand: true"))

    def _props(self, rec: RawRecord, label: str, key: str, m: BaseModel,
               sources: list[str]) -> tuple[dict[str, Any], list[str]] | None:
        """The node's properties and its sources (Element and Country cite their reference too);
        None (a problem noted) when the key names no element or country."""
        ref_fields = {r[0] for r in type(m).__refs__}  # type: ignore[attr-defined]
        props = m.model_dump(exclude=ref_fields | {"sources", "events"})
        if label in ("Production", "Reserves"):
            props["id"] = key
            props["iso3"] = m.iso3  # type: ignore[attr-defined]  # part of the natural key, and WLD has no node
        if label in ("Price", "Statistic", "ImportSource"):
            props |= {f: getattr(m, f) for f in ref_fields}  # also properties: questions return them
        if label == "Element":
            phys = _element_props(key)
            if phys is None:
                self.problems.append(Problem(rec.file, rec.line_of("symbol"), "symbol", f"{key!r} is not an element"))
                return None
            props = {**phys, **{k: v for k, v in props.items() if v is not None}}
            props["group"] = props.get("group_usgs")
            props["classification"] = "USGS"
            sources = [*sources, ELEMENT_PROPS_SOURCE]
        if label == "Country":
            base = _country_props(key)
            if base is None:
                self.problems.append(Problem(rec.file, rec.line_of("iso3"), "iso3", f"{key!r} is not an ISO 3166 alpha-3 code"))
                return None
            props = {**base, "aliases": sorted(set(base["aliases"]) | set(props.get("aliases") or []))}
            sources = [*sources, ISO_SOURCE]
        if label == "Event" and props.get("date"):
            # an integer year to filter on: FalkorDB drops <, <= filters on an indexed string
            # compared with a parameter (FalkorDB#2239), so ranges never compare date strings
            props["year"] = int(str(props["date"])[:4])
        if label in ENTITY_LABELS and not getattr(type(m), "__extends__", False):
            props["names_lc"] = names_lc(key, props.get("name"), props.get("aliases") or [],
                                         props.get("iso2"), props.get("title"))
        return props, sources

    def _refs(self, rec: RawRecord, label: str, key: str, m: BaseModel, sources: list[str]) -> None:
        """A relationship per reference the record makes, each target checked to exist."""
        for fname, rtype, target, direction in type(m).__refs__:  # type: ignore[attr-defined]
            for value in _as_list(getattr(m, fname)):
                rprops: dict[str, Any] = {"sources": sorted(set(sources))}
                if isinstance(value, Owner):
                    rprops |= {"share": value.share, "since": value.since}
                    value = value.org
                exists = (self.country_ok(value) if target == "Country"
                          else self.element_ok(value) if target == "Element" else value in self.keys[target])
                if not exists:
                    self.problems.append(Problem(
                        rec.file, rec.line_of(fname), fname,
                        f"{label} {key!r} refers to unknown {target} {value!r}",
                    ))
                    continue
                if label in ("Production", "Reserves") and value == "WLD":
                    continue  # world totals are figures without a country
                a, b = ((label, key), (target, value)) if direction == "out" else ((target, value), (label, key))
                self.rows.add_rel(rtype, a, b, rprops)

    def _dispute_events(self, key: str, m: BaseModel, sources: list[str]) -> None:
        for i, ev in enumerate(m.events, start=1):  # type: ignore[attr-defined]
            ev_key = f"{key}|{ev.date}|{ev.kind}"
            self.rows.add_node("DisputeEvent", ev_key, ev.model_dump() | {"dispute": key, "seq": i})
            self.rows.add_rel("HAS_EVENT", ("Dispute", key), ("DisputeEvent", ev_key), {"sources": sorted(set(sources))})
            for s in sorted(set(sources)):
                self.rows.add_rel("SOURCED_FROM", ("DisputeEvent", ev_key), ("Source", s), {})

    # -- 3. countries and elements referenced but without a record of their own

    def add_implied(self) -> None:
        rows = self.rows
        for iso3 in sorted(self.keys["Country"] - set(rows.nodes.get("Country", {}))):
            base = _country_props(iso3)
            if base is None or iso3 == "WLD":
                continue
            base["names_lc"] = names_lc(iso3, base["name"], base["aliases"], base["iso2"])
            rows.add_node("Country", iso3, base)
            rows.add_rel("SOURCED_FROM", ("Country", iso3), ("Source", ISO_SOURCE), {})
        for symbol, phys in sorted(self.auto_elements.items()):
            if symbol in rows.nodes.get("Element", {}):
                continue
            rows.add_node("Element", symbol, phys | {"names_lc": names_lc(symbol, phys["name"])})
            rows.add_rel("SOURCED_FROM", ("Element", symbol), ("Source", ELEMENT_PROPS_SOURCE), {})
        for src in (ISO_SOURCE, ELEMENT_PROPS_SOURCE):
            used = any(k[2] == "Source" and any(b == src for _, b in v) for k, v in rows.rels.items())
            if used and src not in self.keys["Source"]:
                self.problems.append(Problem("(data)", None, "sources", f"source {src!r} must be defined"))

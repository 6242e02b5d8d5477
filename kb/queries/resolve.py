"""One resolver from what an analyst types to the key of an entity, used by every question
(`KB.ask`), so the CLI, the console's ``:run``, the library and any web or tool front end
agree on what "wind turbine", "EV", "neodymium", "japan" or "JPN" mean.

Order, first hit wins: the exact key → a name or alias as written (any case) → the normalised
form (case, accents, punctuation, hyphen/space, singular/plural) → a unique entity whose
normalised name starts with the words typed ("electric vehicle" → "Electric-vehicle traction
motors"). Fuzzy matching (rapidfuzz) only suggests: a miss raises `UnknownEntity` with up to
three suggestions, several hits raise `AmbiguousEntity` naming them.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kb.engines import cypher
from kb.errors import QueryError

#: header types that name an entity, and the labels each may resolve to
ENTITY_TYPES: dict[str, tuple[str, ...]] = {
    "Country": ("Country",),
    "Element": ("Element",),
    "Technology": ("Technology",),
    "Dispute": ("Dispute",),
    "Entity": (),  # any label that has names
}
#: how a label is named in messages
NOUNS = {"Country": "country", "Element": "element", "Technology": "technology", "Dispute": "dispute"}

class UnknownEntity(QueryError):
    """A name that matches no entity of the kind asked for."""

    def __init__(self, message: str, suggestions: list[str]):
        super().__init__(message)
        self.suggestions = suggestions


class AmbiguousEntity(QueryError):
    """A name that matches several entities."""

    def __init__(self, message: str, matches: list[str]):
        super().__init__(message)
        self.matches = matches


def _words(text: str) -> list[str]:
    if text.isascii():  # most names: nothing to decompose (a 1M-relationship graph has ~90,000 forms)
        plain = text.casefold()
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^\w]+", " ", plain).split()


def _singular(word: str) -> str:
    if len(word) >= 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) >= 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def normalise(text: str) -> str:
    """Case, accents, punctuation, hyphens and plurals folded: 'Wind-Turbines' -> 'wind turbine'."""
    return " ".join(_singular(w) for w in _words(text))


@dataclass(frozen=True)
class Entity:
    label: str
    key: str
    name: str


class Resolver:
    """Every named entity of one graph, indexed by key, by name/alias and by normalised form."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]):
        self.entities: list[Entity] = []
        self.by_key: dict[str, list[Entity]] = defaultdict(list)
        self.by_name: dict[str, list[Entity]] = defaultdict(list)
        self.by_norm: dict[str, list[Entity]] = defaultdict(list)
        # sorted, so answers (and suggestions among equals) never depend on the engine's row order
        for r in sorted(rows, key=lambda r: (str(r.get("label")), str(r.get("key")))):
            if r.get("key") is None:
                continue
            e = Entity(str(r["label"]), str(r["key"]), str(r.get("name") or r["key"]))
            self.entities.append(e)
            self.by_key[e.key.casefold()].append(e)
            forms = [e.name, *(r.get("aliases") or []), *([r["iso2"]] if r.get("iso2") else [])]
            for f in {str(x) for x in forms if x}:
                self.by_name[f.casefold().strip()].append(e)
            for f in {normalise(str(x)) for x in [e.key, *forms] if x}:
                self.by_norm[f].append(e)
        self._forms = sorted(self.by_norm)  # for the prefix search (bisect)

    @classmethod
    def from_graph(cls, read: Callable[[str], list[dict[str, Any]]]) -> Resolver:
        return cls(read(cypher.entity_names()))

    def resolve(self, text: str, labels: tuple[str, ...] = (), what: str | None = None) -> Entity:
        """The one entity ``text`` names among ``labels`` (all labels when empty)."""
        noun = what or (NOUNS.get(labels[0], labels[0].lower()) if len(labels) == 1 else "entity")
        if not isinstance(text, str) or not text.strip():
            raise UnknownEntity(f"no {noun} named {text!r}", [])

        def keep(found: Iterable[Entity]) -> list[Entity]:
            return sorted({e for e in found if not labels or e.label in labels}, key=lambda e: (e.label, e.key))

        raw = text.strip()
        norm = normalise(raw)
        # each way is tried only when the ones before it found nothing (the prefix scan costs most)
        ways: tuple[Callable[[], list[Entity]], ...] = (
            lambda: keep(self.by_key.get(raw.casefold(), [])),
            lambda: keep(self.by_name.get(raw.casefold(), [])),
            lambda: keep(self.by_norm.get(norm, [])),
            lambda: self._prefix(norm, keep))
        for way in ways:
            hits = way()
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                names = [f"{e.name} ({e.label} {e.key})" for e in hits[:6]]
                raise AmbiguousEntity(f"{noun} {raw!r} matches several: {', '.join(names)}", names)
        suggestions = self.suggest(raw, labels)
        hint = f" — did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise UnknownEntity(f"no {noun} {raw!r}{hint}", suggestions)

    def _prefix(self, norm: str, keep: Callable[[Iterable[Entity]], list[Entity]]) -> list[Entity]:
        if len(norm) < 3:
            return []
        start = norm + " "
        i = bisect.bisect_left(self._forms, start)
        found: list[Entity] = []
        while i < len(self._forms) and self._forms[i].startswith(start):
            found += self.by_norm[self._forms[i]]
            i += 1
        return keep(found)

    def suggest(self, text: str, labels: tuple[str, ...] = (), limit: int = 3) -> list[str]:
        """Up to ``limit`` names close to ``text`` (rapidfuzz), best first."""
        from rapidfuzz import fuzz, process

        choices: dict[str, str] = {}
        for form, es in sorted(self.by_norm.items()):
            for e in es:
                if not labels or e.label in labels:
                    choices.setdefault(form, e.name)
        found = process.extract(normalise(text), list(choices), scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=75)
        out: list[str] = []
        for form, _score, _i in found:
            name = choices[form]
            if name not in out:
                out.append(name)
        return out[:limit]

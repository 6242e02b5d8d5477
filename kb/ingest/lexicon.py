"""The names to look for: every entity's names, aliases and demonyms, folded for matching."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ahocorasick

from kb.engines import cypher as cq
from kb.schema import NODE_KEYS

# --------------------------------------------------------------------------- names

#: demonyms, capitals and short forms for countries, in case the data does not list them
#: (data/countries.yaml gives most as aliases). These may be two letters long ("US", "EU").
EXTRA_FORMS: dict[str, list[str]] = {
    "JPN": ["Japanese", "Tokyo"],
    "IND": ["Indian", "New Delhi"],
    "CHN": ["Chinese", "Beijing", "PRC", "People's Republic of China"],
    "USA": ["US", "U.S.", "USA", "U.S.A.", "United States", "American"],
    "EUU": ["EU", "E.U.", "European Union", "the European Union"],
    "GBR": ["UK", "U.K.", "British", "Britain"],
    "AUS": ["Australian", "Canberra"],
    "CAN": ["Canadian", "Ottawa"],
    "KOR": ["South Korea", "South Korean", "Seoul"],
    "RUS": ["Russian", "Moscow"],
    "VNM": ["Vietnamese", "Hanoi", "Viet Nam"],
    "MYS": ["Malaysian", "Kuala Lumpur"],
    "MMR": ["Burma", "Burmese"],
    "BRA": ["Brazilian", "Brasilia"],
    "KAZ": ["Kazakh", "Kazakhstani", "Astana"],
    "DEU": ["German"],
    "FRA": ["French"],
    "ZAF": ["South African", "Pretoria"],
    "TWN": ["Taiwanese", "Taipei", "Chinese Taipei"],
    "THA": ["Thai", "Bangkok"],
    "IDN": ["Indonesian", "Jakarta"],
    "MDG": ["Malagasy"],
    "TZA": ["Tanzanian"],
    "NGA": ["Nigerian"],
    "GRL": ["Greenlandic"],
    "NOR": ["Norwegian", "Oslo"],
    "TUR": ["Turkish", "Ankara", "Türkiye"],
}
#: phrases that contain a name but do not mention its entity; as the longest match they
#: hide the shorter one ("Indian Ocean" is not India)
BLOCKED_FORMS = ["Indian Ocean", "South China Sea", "East China Sea", "Latin America", "Latin American",
                 "Native American", "New Mexico", "American Samoa", "Washington State", "Washington state",
                 "Chinese medicine", "China clay"]

#: labels whose one-word names are proper nouns (matched with their capital)
PROPER_LABELS = {"Country", "Organisation", "Facility", "Dispute", "Measure", "Agreement", "Event"}

_DASHES = dict.fromkeys(map(ord, "-‐‑‒–—―−"), " ")
_QUOTES = dict.fromkeys(map(ord, "’‘`´"), "'")
_CJK = 0x2E80


def _fold(text: str, keep_case: bool) -> tuple[str, list[int]]:
    """Fold text for matching (accents off, dashes to spaces, one space per run, case
    folded unless ``keep_case``) and map each folded character to its original offset."""
    out: list[str] = []
    where: list[int] = []
    space = False
    for i, ch in enumerate(text.translate(_DASHES).translate(_QUOTES)):
        if ch.isspace():
            if not space:
                out.append(" ")
                where.append(i)
            space = True
            continue
        space = False
        d = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        for c in d if keep_case else d.casefold():
            out.append(c)
            where.append(i)
    return "".join(out), where


def _wordish(c: str) -> bool:
    return c.isalnum() and ord(c) < _CJK


@dataclass(frozen=True)
class Form:
    """A way of writing an entity's name, and how strictly it is matched."""

    entity: tuple[str, str] | None  # (label, key); None blocks
    mode: str  # "ci" case-insensitive, "proper" with its capital, "acronym" in capitals outside all-caps lines


def classify(form: str, label: str, curated: bool = False) -> str | None:
    """How ``form`` of an entity with ``label`` is matched, or None if never. ``curated``
    forms (`EXTRA_FORMS`) may be two letters long."""
    letters = [c for c in form if c.isalpha()]
    if len(letters) < (2 if curated else 3):
        return None
    tokens = form.split()
    if any(sum(c.isupper() for c in t) >= 2 for t in tokens):
        return "acronym"
    if len(tokens) == 1 and label in PROPER_LABELS and form[0].isupper():
        return "proper"
    return "ci"


@dataclass
class Lexicon:
    """The graph's names as two automata (case-folded, case-kept) and the entities they name."""

    names: dict[tuple[str, str], str]  # entity -> display name
    ci: ahocorasick.Automaton
    cs: ahocorasick.Automaton
    agreements: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {date, countries, organisations}
    ambiguous: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    form_count: int = 0
    #: facility id -> {kind, region, operators, countries}; organisation id -> kind (for claim subjects)
    facilities: dict[str, dict[str, Any]] = field(default_factory=dict)
    org_kinds: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, entities: Sequence[dict[str, Any]], agreements: dict[str, dict[str, Any]] | None = None) -> Lexicon:
        """``entities``: rows with ``label``, ``key``, ``name``, ``forms`` (names and aliases as written)."""
        table: dict[tuple[str, str], set[tuple[tuple[str, str] | None, str]]] = defaultdict(set)
        names: dict[tuple[str, str], str] = {}

        def add(text: str, entity: tuple[str, str] | None, mode: str) -> None:
            folded = _fold(text, keep_case=mode != "ci")[0].strip()
            if folded:
                table[("ci" if mode == "ci" else "cs", folded)].add((entity, mode))

        for e in entities:
            ent = (e["label"], e["key"])
            names[ent] = e["name"]
            curated = list(EXTRA_FORMS.get(e["key"], [])) if e["label"] == "Country" else []
            for text, is_curated in [(f, False) for f in e["forms"] if f] + [(f, True) for f in curated]:
                mode = classify(text, e["label"], curated=is_curated)
                if mode is None:
                    continue
                add(text, ent, mode)
                letters = sum(c.isalpha() for c in text)
                if mode == "proper" and letters >= 4:
                    add(text.upper(), ent, "proper")  # "TOKYO:" datelines, capitalised headlines
        for text in BLOCKED_FORMS:
            add(text, None, "ci")

        ci, cs = ahocorasick.Automaton(), ahocorasick.Automaton()
        ambiguous: dict[str, list[tuple[str, str]]] = {}
        count = 0
        for (space, folded), targets in table.items():
            named = {t[0] for t in targets if t[0] is not None}
            blocked = any(t[0] is None for t in targets)
            if len(named) > 1 and not blocked:
                ambiguous[folded] = sorted(named)
                continue
            target: tuple[str, str] | None = None if blocked else named.pop()
            mode = "acronym" if any(m == "acronym" for _, m in targets) else min(m for _, m in targets)
            (ci if space == "ci" else cs).add_word(folded, (len(folded), Form(target, mode)))
            count += 1
        for a in (ci, cs):
            if len(a):
                a.make_automaton()
        return cls(names, ci, cs, agreements or {}, ambiguous, count)


def load_lexicon(kb: Any) -> Lexicon:
    """The names of every entity in the graph (one query) and the parties of agreements."""
    rows = kb.read(cq.ingest_lexicon_names())
    entities = []
    for r in rows:
        label = r["label"]
        if label not in NODE_KEYS:
            continue
        key = r[NODE_KEYS[label]]
        forms = [r["name"], r["title"], *(r["aliases"] or [])]
        if label == "Dispute":
            forms.append(r["code"])  # "DS431" is how the press names a dispute
        entities.append({"label": label, "key": key, "name": r["name"] or r["title"] or key, "forms": forms})
    parties = kb.read(cq.ingest_agreement_parties())
    agreements = {r["id"]: {"date": r["date"], "countries": set(r["countries"]),
                            "organisations": set(r["organisations"])} for r in parties}
    lexicon = Lexicon.build(entities, agreements)
    for r in kb.read(cq.ingest_facility_context()):
        if r["label"] == "Facility":
            lexicon.facilities[r["id"]] = {"kind": r["kind"], "region": r["region"] or "",
                                           "operators": set(r["operators"]), "countries": set(r["countries"])}
        elif r["kind"]:
            lexicon.org_kinds[r["id"]] = r["kind"]
    return lexicon



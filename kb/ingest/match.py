"""Finding mentions of the lexicon's names in an article's text (Aho-Corasick, whole words)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from kb.ingest.lexicon import Form, Lexicon, _fold, _wordish
from kb.ingest.read import Article

# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    entity: tuple[str, str]
    form: str  # the text at [start:end]
    via: str = "name"  # "name", or "parties" for an agreement found by its parties


def _caps_lines(text: str) -> tuple[list[int], list[bool]]:
    starts, caps, pos = [], [], 0
    for line in text.split("\n"):
        letters = [c for c in line if c.isalpha()]
        starts.append(pos)
        caps.append(len(letters) >= 6 and sum(c.isupper() for c in letters) >= 0.9 * len(letters))
        pos += len(line) + 1
    return starts, caps


def find_mentions(text: str, lexicon: Lexicon) -> list[Mention]:
    """Whole-word mentions of the lexicon's entities in ``text``, longest first where they
    overlap, ordered by position."""
    line_starts, line_caps = _caps_lines(text)
    found: list[tuple[int, int, Form]] = []
    for automaton, keep_case in ((lexicon.ci, False), (lexicon.cs, True)):
        if not len(automaton):
            continue
        folded, where = _fold(text, keep_case)
        for end, (length, form) in automaton.iter(folded):
            start = end - length + 1
            if start > 0 and _wordish(folded[start]) and _wordish(folded[start - 1]):
                continue
            if end + 1 < len(folded) and _wordish(folded[end]) and _wordish(folded[end + 1]):
                continue
            o_start, o_end = where[start], where[end] + 1
            if text[o_end:o_end + 1] == "$":
                continue  # "US$", "A$", "C$": a currency, not the country
            if form.mode == "acronym" and line_caps[bisect.bisect_right(line_starts, o_start) - 1]:
                continue
            found.append((o_start, o_end, form))
    taken = bytearray(len(text))
    out: list[Mention] = []
    for start, end, form in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        if form.entity is not None:
            out.append(Mention(start, end, form.entity, text[start:end]))
    return sorted(out, key=lambda m: m.start)


_AGREEMENT_WORD = re.compile(
    r"\b(?:memorand(?:um|a)|MoUs?|MOUs?|agreements?|deals?|accords?|pacts?|treat(?:y|ies)|partnerships?|"
    r"joint ventures?)\b", re.IGNORECASE)
_DEAL_VERB = re.compile(r"\b(?:to|must|will|can|could|should|would|cannot|not)\s+$", re.IGNORECASE)


def agreement_mentions(article: Article, mentions: list[Mention], lexicon: Lexicon) -> list[Mention]:
    """An agreement is mentioned where a paragraph names its parties (its countries when it
    has two or more, else all its parties) next to a word like memorandum, agreement or deal.
    Only agreements made by the article's date count, and of those the latest."""
    out: list[Mention] = []
    for b_start, b_end in article.blocks:
        words = [w for w in _AGREEMENT_WORD.finditer(article.text, b_start, b_end)
                 if not (w.group(0).lower() == "deal" and _DEAL_VERB.search(article.text, b_start, w.start()))
                 and not any(m.start < w.end() and w.start() < m.end for m in mentions)]  # inside a name
        if not words:
            continue
        named = {m.entity for m in mentions if b_start <= m.start < b_end}
        countries = {k for label, k in named if label == "Country"}
        orgs = {k for label, k in named if label == "Organisation"}
        fits = []
        for aid, a in lexicon.agreements.items():
            date = a.get("date") or ""
            if date and not (date <= article.date or date.startswith(article.date)):
                continue
            need_c, need_o = (a["countries"], set()) if len(a["countries"]) >= 2 else (a["countries"], a["organisations"])
            if len(need_c) + len(need_o) >= 2 and need_c <= countries and need_o <= orgs:
                fits.append((date, aid))
        if fits:
            latest = max(d for d, _ in fits)
            for _, aid in sorted(f for f in fits if f[0] == latest):
                out += [Mention(w.start(), w.end(), ("Agreement", aid), w.group(0), "parties") for w in words]
    return out



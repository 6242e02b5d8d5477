"""Quantities next to mentions: candidate claims for a curator to review."""

from __future__ import annotations

import re
from typing import Any

from kb.ingest.match import Mention
from kb.ingest.read import Article

# --------------------------------------------------------------------------- quantities

_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_MULT = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "mn": 1e6, "bn": 1e9, "m": 1e6,
         "kt": 1e3, "mt": 1e6}
_CURRENCY = {"us$": "USD", "$": "USD", "usd": "USD", "dollars": "USD", "us dollars": "USD", "a$": "AUD",
             "aud": "AUD", "c$": "CAD", "€": "EUR", "eur": "EUR", "euros": "EUR", "euro": "EUR", "£": "GBP",
             "pounds": "GBP", "¥": "JPY", "yen": "JPY", "jpy": "JPY", "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY",
             "cny": "CNY", "rupees": "INR", "inr": "INR", "rs": "INR", "rs.": "INR"}
_QUANTITIES = [
    ("t", re.compile(_NUM + r"\s*(?P<mult>thousand|million|billion)?\s*(?:metric\s+)?(?P<unit>tonnes?|tons?|kt|Mt|t)\b")),
    ("%", re.compile(_NUM + r"\s*(?:%|per\s?cent\b|percent\b)", re.I)),
    ("money", re.compile(r"(?P<cur>US\$|A\$|C\$|\$|€|£|¥|USD|EUR|JPY|INR|CNY|RMB|AUD|Rs\.?)\s?" + _NUM
                         + r"(?:\s*(?P<mult>thousand|million|billion|trillion|mn|bn|m)\b)?")),
    ("money", re.compile(_NUM + r"\s*(?P<mult>thousand|million|billion|trillion)?\s*"
                         r"(?P<cur>US dollars|dollars|yen|yuan|renminbi|euros?|rupees|pounds)\b", re.I)),
    ("year", re.compile(r"(?<![\d,.$])\b(?P<num>19[5-9]\d|20[0-4]\d)\b(?!,\d)")),
]
_QUALIFIER = re.compile(r"(more than|over|about|around|nearly|almost|up to|at least|some|roughly|"
                        r"approximately|less than|under|just|as much as)\s*$", re.I)
#: a sentence ends at . ! or ? before a capital, digit or quote, not after a month's abbreviation ("Jan. 6")
_SENTENCE_END = re.compile("".join(rf"(?<!\b{m}\.)" for m in ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
                                                              "Oct", "Nov", "Dec", "Sept"))
                           + r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_PER_YEAR_BEFORE = re.compile(r"\b(?:annual(?:ly)?|yearly)\b[\w ]{0,25}$", re.I)
_PER_YEAR_AFTER = re.compile(r"\s*(?:a year|per year|per annum|a yr|/ ?yr?|/ ?year)\b", re.I)
_RELATIVE_YEAR = {"last year": -1, "this year": 0, "next year": 1}
#: words that say a sentence may report a trade measure; such a sentence naming a country and
#: giving no quantity becomes a candidate claim with ``cue: "measure"`` (a curator decides what it is)
_MEASURE_CUE = re.compile(r"\b(?:bans?|banned|banning|embargo(?:es)?|export controls?|quotas?|tariffs?|duty|duties|"
                          r"restrict(?:s|ed|ing|ions?)?|halt(?:s|ed)?|licen[cs]es?|licensing)\b", re.I)


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return out


def candidate_claims(article: Article, source_id: str, mentions: list[Mention]) -> list[dict[str, Any]]:
    """Quantities (tonnes, percentages, money, years) in sentences that mention an entity,
    as candidate claims: rows ``{key, props, about}``."""
    rows: list[dict[str, Any]] = []
    for b_start, b_end in article.blocks:
        if b_end <= article.body_start:
            continue  # the title line
        for s_start, s_end in _sentences(article.text, b_start, b_end):
            about = sorted({m.entity for m in mentions if s_start <= m.start < s_end})
            if not about:
                continue
            sentence = article.text[s_start:s_end]
            taken: list[tuple[int, int]] = []
            years = [int(m.group("num")) for m in _QUANTITIES[-1][1].finditer(sentence)]
            year = years[0] if len(set(years)) == 1 else None
            for phrase, delta in _RELATIVE_YEAR.items():
                if year is None and phrase in sentence.lower():
                    year = int(article.date[:4]) + delta
            found = len(rows)
            for kind, pattern in _QUANTITIES:
                for m in pattern.finditer(sentence):
                    if any(m.start() < e and s < m.end() for s, e in taken):
                        continue
                    taken.append((m.start(), m.end()))
                    value = float(m.group("num").replace(",", ""))
                    mult = (m.groupdict().get("mult") or (m.groupdict().get("unit") or "")).lower()
                    value *= _MULT.get(mult, 1.0) if kind != "year" else 1.0
                    unit = {"t": "t", "%": "%", "year": "year"}.get(kind) or _CURRENCY.get(m.group("cur").lower(), m.group("cur"))
                    if kind == "t" and (_PER_YEAR_BEFORE.search(sentence[: m.start()])
                                        or _PER_YEAR_AFTER.match(sentence, m.end())):
                        unit = "t/y"
                    q = _QUALIFIER.search(sentence[: m.start()])
                    offset = s_start + m.start()
                    props = {
                        "text": " ".join(sentence.split()), "quantity": value, "unit": unit,
                        "match": m.group(0), "offset": offset, "year": int(value) if kind == "year" else year,
                        "qualifier": q.group(1).lower() if q else None, "article_date": article.date,
                    }
                    rows.append({"key": f"{source_id}.q{offset}", "props": {k: v for k, v in props.items() if v is not None},
                                 "about": about})
            cue = _MEASURE_CUE.search(sentence)
            if len(rows) == found and cue and any(label == "Country" for label, _ in about):
                rows.append({"key": f"{source_id}.m{s_start}", "about": about, "props": {
                    "text": " ".join(sentence.split()), "cue": "measure", "match": cue.group(0), "offset": s_start,
                    "article_date": article.date}})
    return rows



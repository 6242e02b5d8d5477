"""Figures next to mentions: candidate claims for a curator to review.

A candidate claim is a figure (tonnes, tonnes a year, a percentage, money, a price per kg)
read in a sentence, with **one subject** — what the sentence says the figure is about — the
other entities of the sentence as context, and the kind of record it would become
(``becomes``: production, capacity, investment, agreement, finance, price, measure). Rules,
each with a test in tests/test_candidates.py:

* Dates are not quantities: a year ("in 2025", "mid-2025", "April 4, 2025") is never a claim;
  a figure without a unit is not one either. A sentence about share prices (premarket, market
  capitalisation) gives no claim. A sum converted in parentheses ("A$400m ($257m)") is one
  figure, not two. A bare "$" is the currency of the publisher's country where its address
  says it (.au, .ca, .nz, .sg), marked ``currency_assumed``.
* The subject: for production and capacity, the facility named or referred to ("its
  Malaysian refinery", "its refinery near Kuantan", "the new circuit"), not one the sentence
  only takes ore *from*; else the company. For money, the sentence's own subject (after "X said"),
  when it is a facility or a company; else a facility, a company, another organisation, a
  country, in that order. For a measure, the country that imposes it. A reference is resolved
  with the graph: the facilities the company mentioned (or last mentioned) operates, in the
  country the sentence names, of the kind the noun says (a mine or a plant), near the place
  it names (the facility's region); "the plant" is the plant the article last spoke of.
* Measured on the labelled real articles in tests/fixtures/articles/labelled: see docs/keeping-current.md.

A sentence naming a country and a trade-measure word but no figure becomes a claim with
``cue: "measure"`` (a curator decides what it is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kb.ingest.lexicon import Lexicon
from kb.ingest.match import Mention
from kb.ingest.read import Article

# --------------------------------------------------------------------------- quantities

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MULT = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "mn": 1e6, "bn": 1e9, "m": 1e6,
         "mil": 1e6, "b": 1e9, "kt": 1e3, "mt": 1e6}
_CURRENCY = {"us$": "USD", "$": "USD", "usd": "USD", "dollars": "USD", "us dollars": "USD", "a$": "AUD",
             "aud": "AUD", "c$": "CAD", "cad": "CAD", "€": "EUR", "eur": "EUR", "euros": "EUR", "euro": "EUR",
             "£": "GBP", "gbp": "GBP", "pounds": "GBP", "¥": "JPY", "yen": "JPY", "jpy": "JPY", "yuan": "CNY",
             "renminbi": "CNY", "rmb": "CNY", "cny": "CNY", "rupees": "INR", "inr": "INR", "rs": "INR", "rs.": "INR",
             "rm": "MYR", "myr": "MYR", "ringgit": "MYR"}
#: a bare "$" in a publication of these countries (by the address's top-level domain)
_DOLLAR_BY_TLD = {"au": "AUD", "ca": "CAD", "nz": "NZD", "sg": "SGD", "hk": "HKD"}
_MONEY_MULT = r"(?:\s*(?P<mult>thousand|million|billion|trillion|mn|bn|mil|m|b)\b)?"
_QUANTITIES = [
    ("t", re.compile(rf"(?P<num>{_NUM})(?:\s*(?:to|-|–)\s*(?P<num2>{_NUM}))?\s*(?P<mult>thousand|million|billion)?\s*"
                     r"(?:metric\s+)?(?P<unit>tonnes?|tons?|kt|Mt|t)\b")),
    ("%", re.compile(rf"(?P<num>{_NUM})\s*(?:%|per\s?cent\b|percent\b)", re.I)),
    ("money", re.compile(r"(?P<cur>US\$|A\$|C\$|\$|€|£|¥|USD|EUR|JPY|INR|CNY|RMB|AUD|CAD|GBP|MYR|RM|Rs\.?)\s?"
                         rf"(?P<num>{_NUM})(?:\s*(?:to|-|–)\s*(?P<num2>{_NUM}))?" + _MONEY_MULT)),
    ("money", re.compile(rf"(?P<num>{_NUM})\s*(?P<mult>thousand|million|billion|trillion)?\s*"
                         r"(?P<cur>US dollars|dollars|yen|yuan|renminbi|euros?|rupees|pounds|ringgit)\b", re.I)),
]
_YEAR = re.compile(r"(?<![\d,.$])\b(?P<num>19[5-9]\d|20[0-4]\d)\b(?!,\d)")
_PER_KG = re.compile(r"\s*(?:/\s?kg|per\s+kilogram|per\s+kg|a\s+kilogram|a\s+kg)\b", re.I)
_QUALIFIER = re.compile(r"(more than|over|about|around|nearly|almost|up to|at least|some|roughly|"
                        r"approximately|less than|under|just|as much as|an estimated|estimated)\s*$", re.I)
#: a sentence ends at . ! or ? before a capital, digit or quote, not after a month's abbreviation ("Jan. 6")
_SENTENCE_END = re.compile("".join(rf"(?<!\b{m}\.)" for m in ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
                                                              "Oct", "Nov", "Dec", "Sept"))
                           + r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_PER_YEAR_BEFORE = re.compile(r"\b(?:annual(?:ly)?|yearly)\b[\w ]{0,25}$", re.I)
_PER_YEAR_AFTER = re.compile(r"(?:\s*(?:of\s+)?(?:[\w()-]+\s+){0,4}?)?\s*(?:a year|per year|per annum|each year|"
                             r"annually|a yr|/ ?yr?\b|/ ?year|tpa\b)", re.I)
_RELATIVE_YEAR = {"last year": -1, "this year": 0, "next year": 1}
#: words that say a sentence may report a trade measure; such a sentence naming a country and
#: giving no quantity becomes a candidate claim with ``cue: "measure"`` (a curator decides what it is)
_MEASURE_CUE = re.compile(r"\b(?:bans?|banned|banning|embargo(?:es)?|export controls?|quotas?|tariffs?|duty|duties|"
                          r"restrict(?:s|ed|ing|ions?)?|halt(?:s|ed)?|licen[cs]es?|licensing)\b", re.I)
_MEASURE_FIGURE = re.compile(r"\b(?:approval|controlled|control list|export controls?|quotas?|tariffs?|duty|duties|"
                             r"bans?|licen[cs]es?|restrict\w*)\b", re.I)
#: share-price talk: its percentages and dollars are not claims about rare earths
_MARKET_NOISE = re.compile(r"\b(?:pre-?market|market capitali[sz]ation|share price|shares (?:in|of)\b|"
                           r"shares (?:rose|fell|surged|jumped|slipped|gained|were|closed)|trading at|stock (?:rose|fell))",
                           re.I)

#: what a figure would become, by the words around it (first match wins)
_KIND_WORDS = [
    ("finance", re.compile(r"\b(?:revenue|receipts|sales|profit|earnings|loss|ebitda|cash flow|net income)\b", re.I)),
    ("agreement", re.compile(r"\b(?:loans?|grants?|funding|financ\w*|commit\w*|offtake|agree\w*|deals?|contracts?|"
                             r"awards?|preferred stock|stake|warrants?)\b", re.I)),
    ("investment", re.compile(r"\b(?:capex|capital (?:cost|expenditure)|costs?|budget|spend\w*|invest\w*|equity|"
                              r"expansion|build)\b", re.I)),
]
#: a yearly tonnage with these words is a capacity (what a plant can or will do), not a production
#: money spent on a plant (its cost, capex, budget): the plant is the subject, not who pays
_SPENT_ON = re.compile(r"\b(?:capex|capital (?:cost|expenditure)|costs?|budget|spend\w*|price tag)\b", re.I)
_CAPACITY_WORDS = re.compile(r"\b(?:capacity|capable|designed|poised|able to|up to|expand\w*|will|expected to|expects?|"
                             r"plans?|aims?|target\w*|once)\b", re.I)
_PRODUCTION_WORDS = re.compile(r"\b(?:produc\w*|output|mined|delivered|delivering|sold|exports?|imports?)\b", re.I)

# --------------------------------------------------------------------------- references

_SPEECH = re.compile(r"^\W*[\w.’'&-]+(?:\s+[\w.’'&-]+){0,5}?\s+(?:previously\s+|also\s+)?(?:said|says|stated|announced|"
                     r"expects|told|reported|confirmed|noted)(?:\s+(?:on\s+\w+|in a statement))?(?:\s+that)?\s+",
                     re.I)
_FACILITY_REF = re.compile(r"\b(?P<det>its|the|this|their|a|an)\s+(?P<mods>(?:[\w-]+\s+){0,6}?)"
                           r"(?P<noun>refinery|plant|facility|circuit|project|mine|operations?|site)\b"
                           r"(?:\s+(?:near|in|at)\s+(?P<place>(?-i:[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)))?", re.I)
_COMPANY_REF = re.compile(r"(?:\b(?:the|this)\s+(?:[\w-]+\s+){0,2}?(?:company|firm|miner|producer|group)\b|^\W*(?:It|Its)\b)",
                          re.I)
_FROM_BEFORE = re.compile(r"\b(?:from|feed(?:stock)?\s+from|ore\s+from|sourced\s+from|sourcing[\w\s]{0,30}from)\s+(?:its\s+|the\s+)?$",
                          re.I)
_MINE_KINDS = {"mine", "deposit"}
#: an introductory phrase before the sentence's subject ("Recognising ..., the government ...")
_INTRO = re.compile(r"^\W*(?:\w+ing|With|After|Despite|Under|As part of|Following|Amid)\b[^,]{0,80},")
_SUBJECT_LABELS = ("Facility", "Organisation", "Country")


@dataclass
class _Candidate:
    start: int  # in the sentence
    entity: tuple[str, str]
    via: str  # "named" or the referring words


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return out


def _is_company(lexicon: Lexicon | None, key: str) -> bool:
    return lexicon is None or lexicon.org_kinds.get(key, "company") in ("company", "state-enterprise")


class _Context:
    """What the article has spoken of so far: the last company, the facilities."""

    def __init__(self, lexicon: Lexicon | None) -> None:
        self.lexicon = lexicon
        self.company: str | None = None
        self.facilities: list[str] = []  # most recent last

    def saw(self, entity: tuple[str, str]) -> None:
        label, key = entity
        if label == "Organisation" and _is_company(self.lexicon, key):
            self.company = key
        elif label == "Facility":
            if key in self.facilities:
                self.facilities.remove(key)
            self.facilities.append(key)

    def resolve(self, m: re.Match[str], companies: list[str], countries: set[str]) -> str | None:
        """The facility "its Malaysian refinery" / "the plant" names, by the graph, or None."""
        lex = self.lexicon
        if lex is None or not lex.facilities:
            return None
        mine = m.group("noun").lower() == "mine"
        if m.group("det").lower() in ("a", "an") and not countries:
            return None  # "a new plant": only "a new plant in Malaysia" says which site

        def fits(fid: str) -> bool:
            return (lex.facilities[fid]["kind"] in _MINE_KINDS) == mine

        if m.group("det").lower() in ("the", "this") and not m.group("mods").strip():
            for fid in reversed(self.facilities):  # "the plant": the one the article spoke of
                if fits(fid):
                    return fid
        operators = companies or ([self.company] if self.company else [])
        found = [fid for fid, f in lex.facilities.items() if fits(fid) and f["operators"] & set(operators)]
        place = (m.group("place") or "").lower()
        at_place = [fid for fid in found if place and place in lex.facilities[fid]["region"].lower()]
        if at_place:  # "its refinery near Kuantan": the place names the site, whatever else the sentence names
            found = at_place
        elif countries:
            found = [fid for fid in found if lex.facilities[fid]["countries"] & countries] or found
        if len(found) > 1:
            seen = [fid for fid in found if fid in self.facilities]
            found = seen[-1:] if seen else found
        return found[0] if len(found) == 1 else None


def _candidates(sentence: str, s_start: int, mentions: list[Mention], ctx: _Context) -> list[_Candidate]:
    """Entities that could be the subject, in sentence order: named ones and references."""
    out = [_Candidate(m.start - s_start, m.entity, "named") for m in mentions if m.entity[0] in _SUBJECT_LABELS]
    companies = [k for label, k in (c.entity for c in out) if label == "Organisation" and _is_company(ctx.lexicon, k)]
    countries = {k for label, k in (c.entity for c in out) if label == "Country"}
    named_spans = [(m.start - s_start, m.end - s_start) for m in mentions]
    for m in _FACILITY_REF.finditer(sentence):
        if any(s < m.end() and m.start() < e and label_ == "Facility"
               for (s, e), label_ in zip(named_spans, (mm.entity[0] for mm in mentions), strict=True)):
            continue  # "the Eneabba refinery": named
        near = countries
        if m.group("det").lower() in ("a", "an"):  # "a new facility in Malaysia": the country that follows
            near = {mm.entity[1] for mm in mentions if mm.entity[0] == "Country"
                    and m.end("noun") < mm.start - s_start <= m.end("noun") + 9}
        fid = ctx.resolve(m, companies, near)
        if fid:
            out.append(_Candidate(m.start(), ("Facility", fid), m.group(0)))
    for m in _COMPANY_REF.finditer(sentence):
        if ctx.company:
            out.append(_Candidate(m.start(), ("Organisation", ctx.company), m.group(0).strip()))
    return sorted(out, key=lambda c: c.start)


def _subject(kind: str, cands: list[_Candidate], sentence: str, at: int, lexicon: Lexicon | None) -> _Candidate | None:
    if not cands:
        return None

    def rank(c: _Candidate) -> int:
        label, key = c.entity
        if label == "Facility":
            return 3
        if label == "Organisation":
            return 2 if _is_company(lexicon, key) else 1
        return 0

    usable = [c for c in cands if not (c.entity[0] == "Facility" and _FROM_BEFORE.search(sentence[:c.start]))] or cands
    if kind == "measure":
        countries = [c for c in usable if c.entity[0] == "Country"]
        before = [c for c in countries if c.start <= at]
        return (before[-1] if before else countries[0]) if countries else None
    if kind in ("production", "capacity"):
        facilities = [c for c in usable if c.entity[0] == "Facility"]
        if facilities:
            return min(facilities, key=lambda c: abs(c.start - at))
    else:  # money: a facility the sentence names (or pays for), else the nearest company or facility after "X said"
        speech = _SPEECH.match(sentence)
        head = speech.end() if speech else 0
        after = [c for c in usable if c.start >= head and rank(c) >= 2]
        spent = kind == "investment" and _SPENT_ON.search(sentence[max(0, at - 80): at + 60]) is not None
        named = [c for c in after if (c.via == "named" or spent) and c.entity[0] == "Facility"]
        if named:
            return min(named, key=lambda c: abs(c.start - at))
        if after:
            intro = _INTRO.match(sentence)

            def distance(c: _Candidate) -> int:
                d = abs(c.start - at)
                between = sentence[min(c.start, at):max(c.start, at)]
                if c.start > at and not re.search(r"\bby\s+(?:the\s+)?$", sentence[:c.start]):
                    d += 50  # after the figure: a purpose ("for the project"), unless the agent ("by Iluka")
                if ", which" in between or ", who" in between:
                    d += 50  # another clause
                if intro and c.start < intro.end():
                    d += 50  # "Recognising the project's potential, ...": not the subject
                return d

            return min(after, key=lambda c: (distance(c), c.via != "named"))
    best = max(rank(c) for c in usable)
    top = [c for c in usable if rank(c) == best]
    return min(top, key=lambda c: (c.start > at, abs(c.start - at)))


def _kind(unit: str, sentence: str, m: re.Match[str]) -> str:
    if unit.endswith("/kg"):
        return "price"
    if _MEASURE_FIGURE.search(sentence) and unit == "%":
        return "measure"
    if unit in ("t", "t/y", "%"):
        if unit == "t/y" and (_CAPACITY_WORDS.search(sentence) or not _PRODUCTION_WORDS.search(sentence)):
            return "capacity"
        return "production"
    window = sentence[max(0, m.start() - 80): m.end() + 60]
    for kind, words in _KIND_WORDS:
        if words.search(window):
            return kind
    return "investment"


def _sentence_year(sentence: str, article_date: str) -> int | None:
    """The one year a sentence names, or the one its words point to ("last year"), else None."""
    years = [int(y.group("num")) for y in _YEAR.finditer(sentence)]
    year = years[0] if len(set(years)) == 1 else None
    for phrase, delta in _RELATIVE_YEAR.items():
        if year is None and phrase in sentence.lower():
            year = int(article_date[:4]) + delta
    return year


def _figure(m: re.Match[str], qkind: str, sentence: str, dollar: str | None,
            taken: list[tuple[int, int]]) -> tuple[float, float | None, str, dict[str, Any]]:
    """A quantity's value (and upper bound of a range), its unit and the props it adds (an
    assumed currency); a price's "/kg" is added to ``taken``."""
    mult = (m.groupdict().get("mult") or m.groupdict().get("unit") or "").lower()
    factor = _MULT.get(mult, 1.0)
    value = float(m.group("num").replace(",", "")) * factor
    high = (float(m.group("num2").replace(",", "")) * factor) if m.groupdict().get("num2") else None
    props: dict[str, Any] = {}
    if qkind == "money":
        cur = m.group("cur").lower()
        unit = _CURRENCY.get(cur, m.group("cur"))
        if cur == "$" and dollar:
            unit, props["currency_assumed"] = dollar, True
        per_kg = _PER_KG.match(sentence, m.end())
        if per_kg:
            unit += "/kg"
            taken.append((m.end(), per_kg.end()))
    else:
        unit = qkind
    if qkind == "t" and (_PER_YEAR_BEFORE.search(sentence[: m.start()]) or _PER_YEAR_AFTER.match(sentence, m.end())):
        unit = "t/y"
    return value, high, unit, props


def candidate_claims(article: Article, source_id: str, mentions: list[Mention],
                     lexicon: Lexicon | None = None) -> list[dict[str, Any]]:
    """Figures (tonnes, tonnes a year, percentages, money, prices) in sentences about an entity,
    as candidate claims: rows ``{key, props, about}``; ``props.subject`` ("Label:key") is what the
    figure is about, ``props.becomes`` the kind of record; ``about`` lists the subject first, then
    the sentence's other entities (context). With ``lexicon`` (from the graph) references such
    as "its Malaysian refinery" resolve to a facility."""
    rows: list[dict[str, Any]] = []
    ctx = _Context(lexicon)
    tld = urlsplit(article.url or "").netloc.rsplit(".", 1)[-1].lower()
    dollar = _DOLLAR_BY_TLD.get(tld)
    for b_start, b_end in article.blocks:
        for s_start, s_end in _sentences(article.text, b_start, b_end):
            in_sentence = [m for m in mentions if s_start <= m.start < s_end]
            text = article.text[s_start:s_end]
            if b_end <= article.body_start:  # the title: context only
                for mention in in_sentence:
                    ctx.saw(mention.entity)
                continue
            cands = _candidates(text, s_start, in_sentence, ctx)
            sentence = _Sentence(text, s_start, cands, {mention.entity for mention in in_sentence}
                                 | {c.entity for c in cands}, article.date)
            found = len(rows)
            noise = _MARKET_NOISE.search(text) is not None
            rows += _figure_claims(sentence, source_id, ctx, lexicon, dollar, noise)
            cue = _MEASURE_CUE.search(text)
            if len(rows) == found and cue and not noise and any(label == "Country" for label, _ in sentence.about):
                rows += _measure_claim(sentence, source_id, cue, lexicon)
            for c in cands:
                ctx.saw(c.entity)
    return rows


@dataclass
class _Sentence:
    """One sentence of an article's body and what its claims share: where it starts in the text,
    the entities that may be a figure's subject, every entity it is about, the article's date."""

    text: str
    start: int
    cands: list[_Candidate]
    about: set[tuple[str, str]]
    article_date: str

    def about_list(self, subject: _Candidate) -> list[tuple[str, str]]:
        """The subject first, then the sentence's other entities (context)."""
        return [subject.entity, *sorted(self.about - {subject.entity})]


def _subject_props(subject: _Candidate, lexicon: Lexicon | None) -> dict[str, Any]:
    """A claim's subject as ``Label:key``, its name and how the sentence refers to it."""
    return {"subject": f"{subject.entity[0]}:{subject.entity[1]}",
            "subject_name": (lexicon.names.get(subject.entity) if lexicon else None) or subject.entity[1],
            "subject_via": subject.via}


def _figure_claims(sentence: _Sentence, source_id: str, ctx: _Context, lexicon: Lexicon | None,
                   dollar: str | None, noise: bool) -> list[dict[str, Any]]:
    """One candidate claim per figure in the sentence that has a subject, in reading order;
    overlapping matches and a sum repeated in another currency in brackets are read once, and a
    sentence of market noise gives none."""
    text = sentence.text
    rows: list[dict[str, Any]] = []
    year = _sentence_year(text, sentence.article_date)
    taken: list[tuple[int, int]] = []
    last_money_end = -10
    hits: list[tuple[int, str, re.Match[str]]] = []
    for qkind, pattern in _QUANTITIES:
        hits += [(m.start(), qkind, m) for m in pattern.finditer(text)]
    for _, qkind, m in sorted(hits, key=lambda h: h[0]):
        if any(m.start() < e and s < m.end() for s, e in taken):
            continue
        taken.append((m.start(), m.end()))
        if qkind == "money":
            converted = re.fullmatch(r"\s*\(\s*", text[last_money_end:m.start()]) is not None
            last_money_end = m.end()
            if converted:
                continue  # "A$400m ($257m)": the same sum in another currency
        if noise:
            continue
        value, high, unit, props = _figure(m, qkind, text, dollar, taken)
        kind = _kind(unit, text, m)
        subject = _subject(kind, sentence.cands, text, m.start(), lexicon)
        if (subject is not None and subject.entity[0] == "Organisation" and ctx.company
                and not _is_company(lexicon, subject.entity[1])
                and kind in ("price", "production", "capacity", "finance", "investment")):
            # a ministry's price floor, a government's figure for a plant: the company the article is about
            subject = _Candidate(m.start(), ("Organisation", ctx.company), "the article's company")
        if subject is None:
            continue
        q = _QUALIFIER.search(text[: m.start()])
        offset = sentence.start + m.start()
        props |= {
            "text": " ".join(text.split()), "quantity": value, "unit": unit, "high": high,
            "match": m.group(0), "offset": offset, "year": year, "becomes": kind,
            **_subject_props(subject, lexicon),
            "qualifier": q.group(1).lower() if q else None, "article_date": sentence.article_date,
        }
        rows.append({"key": f"{source_id}.q{offset}", "props": {k: v for k, v in props.items() if v is not None},
                     "about": sentence.about_list(subject)})
    return rows


def _measure_claim(sentence: _Sentence, source_id: str, cue: re.Match[str],
                   lexicon: Lexicon | None) -> list[dict[str, Any]]:
    """A sentence without figures that speaks of a country's measure (a quota, a ban, a licence):
    one candidate ``measure`` claim about its subject, or none when it has no subject."""
    subject = _subject("measure", sentence.cands, sentence.text, cue.start(), lexicon)
    if subject is None:
        return []
    return [{"key": f"{source_id}.m{sentence.start}", "about": sentence.about_list(subject), "props": {
        "text": " ".join(sentence.text.split()), "cue": "measure", "match": cue.group(0),
        "offset": sentence.start, "article_date": sentence.article_date, "becomes": "measure",
        **_subject_props(subject, lexicon)}}]

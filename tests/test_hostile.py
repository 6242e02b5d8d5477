"""Hostile input on both engines: strings that try to break out of a parameter, strings
the engines choke on, and data files that are wrong in every way at once.

* every canned question's parameters, driven by hypothesis: no injected effect (the graph
  checksum is unchanged), no crash (only a clean `KBError`), text comes back as given;
* every loader string field (YAML and CSV): a load creates exactly the records given, with
  the text as given, or is refused whole with file, line and field named (NUL characters);
* one folder with every kind of broken data: refused whole, every problem named, graph unchanged.

How many hostile inputs were tried is counted in ``TRIED`` and printed at the end of the module.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ConfigDict, TypeAdapter

from kb.errors import DataError, KBError
from kb.loaders import build, read_all
from kb.queries.catalog import catalog
from kb.queries.resolve import AmbiguousEntity, UnknownEntity
from tests.engines import summary

#: hand-picked strings that have broken query builders somewhere
HOSTILE: list[str] = [
    "'", '"', "`", "\\", "\\'", '\\"', "{", "}", "{}", "//", "/*", "*/", ";", "$", "$year", "{iso3}",
    "}) DETACH DELETE n //", "'}) DETACH DELETE n //", '"}) DETACH DELETE n //', "`}) DETACH DELETE n //",
    "' OR 1=1 //", "\" OR true RETURN 1 //", "x' MATCH (n) DETACH DELETE n //", "\"; MATCH (n) DETACH DELETE n; //",
    "` RETURN 1 //", "CYPHER a=1 MATCH (n) DETACH DELETE n", "\\\" MATCH (n) SET n.x = 1 //",
    "\u202e", "\u202eNd\u202c", "\u200b", "Nd\u200b", "\ufeff", "\u2028", "\u0000", "a\u0000b", "\x1b[31m", "\r\n",
    "\t", " ", "", "null", "NULL", "~", "true", "1e3", "-0", "NaN", "名前", "ネオジム", "😀", "Ñd", "é\u0301",
    "x" * 10_000, "'" * 10_000, "\\" * 10_001, "\u202e" * 5_000,
]

#: the ones every string parameter of every question gets (hypothesis draws from all of them)
HOSTILE_CORE: list[str] = [
    "'", '"', "`", "\\", "}) DETACH DELETE n //", "'}) DETACH DELETE n //", '"}) DETACH DELETE n //',
    "' OR 1=1 //", "$year", "\u202eNd\u202c", "Nd\u200b", "a\u0000b", "", "名前", "x" * 10_000,
]

#: characters hypothesis mixes into strings of its own
NASTY_CHARS = "'\"`\\{}()[];:$/*-+=|&!<>,.%#@^~ \t\n\r\u0000\u200b\u202e\u202c\u2028\ufeffaZ0é名😀"

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(HOSTILE[:40]), min_size=1, max_size=4).map("".join),
    st.text(alphabet=NASTY_CHARS, max_size=40),
    st.text(max_size=30),  # any code point but lone surrogates
)

HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

TRIED: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()


summary("hostile inputs", lambda: [
    f"tried: {sum(TRIED.values())} ({', '.join(f'{k} {v}' for k, v in sorted(TRIED.items()))})",
    f"outcomes: {', '.join(f'{k} {v}' for k, v in sorted(OUTCOMES.items()))}",
] if TRIED else [])


def _shape(k) -> tuple[int, int]:  # noqa: ANN001
    n = k.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    r = k.read("MATCH ()-[r]->() RETURN count(r) AS r")[0]["r"]
    return n, r


# --------------------------------------------------------------------------- parameters travel as text


@pytest.mark.slow
@HYPOTHESIS
@given(s=hostile_text)
def test_text_parameters_come_back_exactly(loaded_kb, s):
    """FalkorDB's client sends parameters inside the query text: a string that ends the
    literal early would be injection. Every string comes back exactly as given."""
    TRIED["round-trip"] += 1
    try:
        rows = loaded_kb.read("RETURN $s AS s", {"s": s})
    except KBError as exc:
        # only NUL is refused, by FalkorDB, with a clear message
        assert loaded_kb.engine == "falkordb" and "\x00" in s and "NUL" in str(exc), exc
        return
    assert rows == [{"s": s}]


# --------------------------------------------------------------------------- canned questions


def _param_strategy(base: str, optional: bool) -> st.SearchStrategy[Any]:
    if base == "str":
        value: st.SearchStrategy[Any] = hostile_text
    elif base == "list[str]":
        value = st.lists(hostile_text, max_size=4)
    elif base == "int":
        value = st.one_of(st.integers(-3, 3000), st.sampled_from([-(2**63), 2**63 - 1, 2**63, 10**30]), hostile_text)
    elif base == "float":
        value = st.one_of(st.floats(allow_nan=True), hostile_text)
    elif base == "bool":
        value = st.one_of(st.booleans(), hostile_text)
    else:
        value = st.one_of(hostile_text, st.integers())
    # None where the question takes None, and where it does not (a clean QueryError)
    return st.one_of(st.none(), value) if optional else st.one_of(value, st.just(None))


@st.composite
def canned_call(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(catalog())))
    params = {}
    for p in catalog()[name].params:
        if p.required or draw(st.booleans()):
            params[p.name] = draw(_param_strategy(p.base_type, p.optional))
    return name, params


@pytest.mark.slow
@HYPOTHESIS
@given(call=canned_call())
def test_canned_questions_survive_hostile_parameters(loaded_kb, call):
    name, params = call
    TRIED["canned questions (hypothesis)"] += 1
    shape = _shape(loaded_kb)
    try:
        loaded_kb.ask(name, params)
        OUTCOMES["question answered"] += 1
    except KBError as exc:  # a clean, reported refusal is fine; anything else fails the test
        OUTCOMES[f"question refused ({type(exc).__name__})"] += 1
    assert _shape(loaded_kb) == shape


@pytest.mark.slow
def test_every_question_and_every_hostile_string(loaded_kb):
    """The core hostile strings in every string parameter of every question; then the whole
    graph's checksum is what it was."""
    before = loaded_kb.stats()["checksum"]
    outcomes: Counter[str] = Counter()
    for q in catalog().values():
        texts = [p for p in q.params if p.base_type in ("str", "list[str]") or p.entity]
        assert all(_sample(p.base_type) != "CHN" or p.base_type in ("str", "Country") for p in q.params
                   if p.required and (p.entity or p.base_type.startswith("list["))), q.name  # a sample for each type
        # connection_paths from a real entity to nothing walks every path first (0.4 s a call)
        other = "no such entity" if q.name == "connection_paths" else None
        for p, s in itertools.product(texts, HOSTILE_CORE):
            params: dict[str, Any] = {x.name: other or _sample(x.base_type) for x in q.params if x.required}
            params[p.name] = [s, s] if p.base_type.startswith("list[") else s
            TRIED["canned questions (hand-picked)"] += 1
            try:
                loaded_kb.ask(q.name, params)
                outcomes["answered"] += 1
            except KBError as exc:
                outcomes[type(exc).__name__] += 1
                # refusals expected: NUL, and a name that names no entity (or several)
                assert "\x00" in s or isinstance(exc, (UnknownEntity, AmbiguousEntity)), (q.name, p.name, s[:40], exc)
        # None where a string is required: refused before anything is sent
        for p in q.params:
            if not p.optional:
                params = {x.name: _sample(x.base_type) for x in q.params if x.required} | {p.name: None}
                TRIED["canned questions (hand-picked)"] += 1
                with pytest.raises(KBError, match="must be"):
                    loaded_kb.ask(q.name, params)
    assert outcomes["answered"] > 0
    assert loaded_kb.stats()["checksum"] == before


def _sample(base: str) -> Any:
    return {"str": "CHN", "int": 2011, "list[str]": ["China"], "float": 1.0, "bool": True, "Country": "CHN",
            "Element": "Nd", "Technology": "wind-turbines", "Dispute": "DS431", "Entity": "Japan",
            "Stage": "mining", "list[Element]": ["Dy"], "list[Country]": ["CHN"],
            "list[Entity]": ["Japan"]}.get(base, "CHN")


@pytest.mark.parametrize("statement", [
    "MATCH (n) WHERE n.name = $s RETURN count(n) AS n // }) DETACH DELETE n",
    "MATCH (n:Element {symbol: $s}) RETURN n.name AS name",
    "RETURN $s AS s",
])
def test_a_hostile_string_in_a_read_is_a_value(loaded_kb, statement):
    assert "$s" in statement  # every statement here takes the hostile string
    before = _shape(loaded_kb)
    sent = 0
    for s in HOSTILE:
        if "\x00" in s and loaded_kb.engine == "falkordb":
            continue
        TRIED["ad-hoc reads"] += 1
        rows = loaded_kb.read(statement, {"s": s})
        sent += 1
        if statement == "RETURN $s AS s":
            assert rows == [{"s": s}]  # it came back as the value it was, not as code
    assert sent > 0
    assert _shape(loaded_kb) == before


# --------------------------------------------------------------------------- loader string fields


SOURCE_ID = "hostile-src"
# mostly without NUL (one NUL anywhere refuses the whole load), required text not blank
LOADER_TEXT = st.one_of(*[hostile_text.filter(lambda s: "\x00" not in s)] * 8, hostile_text)
REQUIRED = st.one_of(*[LOADER_TEXT.filter(lambda s: bool(_strip(s)))] * 15, st.none())  # None: refused, named
OPTIONAL = st.one_of(st.none(), LOADER_TEXT)


@st.composite
def hostile_records(draw: st.DrawFn) -> dict[str, Any]:
    def aliases() -> list[str]:
        return draw(st.lists(LOADER_TEXT, max_size=3))

    return {
        "sources": [{
            "id": SOURCE_ID, "title": draw(REQUIRED), "publisher": draw(REQUIRED), "date": "2024-05-01",
            "kind": "report", "edition": draw(OPTIONAL), "notes": draw(OPTIONAL), "url": draw(OPTIONAL),
        }],
        "commodities": [{"id": "hostile-commodity", "name": draw(REQUIRED), "aliases": aliases(),
                         "description": draw(OPTIONAL), "sources": [SOURCE_ID]}],
        "technologies": [{"id": "hostile-tech", "name": draw(REQUIRED), "aliases": aliases(),
                          "description": draw(OPTIONAL), "sector": draw(OPTIONAL), "sources": [SOURCE_ID]}],
        "organisations": [{"id": "hostile-org", "name": draw(REQUIRED), "aliases": aliases(),
                           "description": draw(OPTIONAL), "kind": "company", "country": "JPN",
                           "sources": [SOURCE_ID]}],
        "agreements": [{"id": "hostile-deal", "name": draw(REQUIRED), "description": draw(OPTIONAL),
                        "kind": "mou", "date": "2024-05-02", "status": draw(OPTIONAL), "parties": ["JPN", "AUS"],
                        "organisations": ["hostile-org"], "sources": [SOURCE_ID]}],
        "claims": [{"id": "hostile-claim", "text": draw(REQUIRED), "unit": draw(OPTIONAL),
                    "countries": ["JPN"], "sources": [SOURCE_ID]}],
        "countries": [{"iso3": "JPN", "aliases": aliases(), "sources": [SOURCE_ID]}],
        "production": [{"iso3": "AUS", "year": 2020 + i, "stage": "mining", "tonnes": 10.5 * i, "note": draw(OPTIONAL),
                        "sources": [SOURCE_ID]} for i in range(draw(st.integers(1, 3)))],
    }


def _write_files(folder: Path, records: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    (folder / "sources.yaml").write_text(yaml.safe_dump({"sources": records["sources"]}, allow_unicode=False))
    rest = {k: v for k, v in records.items() if k not in ("sources", "production")}
    (folder / "things.yaml").write_text(yaml.safe_dump(rest, allow_unicode=False))
    with open(folder / "production-hostile.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["iso3", "year", "stage", "tonnes", "note", "sources"])
        for r in records["production"]:
            w.writerow([r["iso3"], r["year"], r["stage"], r["tonnes"], r["note"] or "", ";".join(r["sources"])])


_STRIP = TypeAdapter(str, config=ConfigDict(str_strip_whitespace=True))


def _strip(s: str) -> str:
    """What the record models keep of a string (they strip surrounding white space)."""
    return _STRIP.validate_python(s)


def _strings(value: Any, where: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _strings(v, k)]
    if isinstance(value, list):
        return [x for v in value for x in _strings(v, where)]
    return []


#: the fields hostile_records fills with hostile text (the others are ids, codes, dates)
HOSTILE_FIELDS = {"title", "publisher", "edition", "notes", "url", "name", "aliases", "description", "sector",
                  "status", "text", "unit", "note"}

#: records written per label: sources, commodities, technologies, organisations, agreements, claims;
#: Country nodes: JPN (a record) and AUS (referenced)
FIXED_COUNTS = {"Source": 2, "Commodity": 1, "Technology": 1, "Organisation": 1, "Agreement": 1, "Claim": 1,
                "Country": 2}


@pytest.mark.slow
@HYPOTHESIS
@given(records=hostile_records())
def test_hostile_strings_in_every_loader_field(empty_kb, tmp_path_factory, records):
    TRIED["loader records"] += 1
    TRIED["loader strings"] += sum(1 for field, _ in _strings(records) if field in HOSTILE_FIELDS)
    folder = tmp_path_factory.mktemp("hostile")
    _write_files(folder, records)
    iso = "  - {id: iso-3166, title: ISO 3166, publisher: ISO, date: '2020', kind: standard}\n"
    (folder / "iso.yaml").write_text("sources:\n" + iso)
    empty_kb.clear()

    raw, problems = read_all([folder])
    try:  # what the loader's own validation makes of these records (the text after stripping)
        expected: Any = build(raw, problems)
    except DataError as exc:
        expected = exc
    nul_fields = [(w, s) for w, s in _strings(records) if "\x00" in s]

    try:
        empty_kb.load([folder])
    except DataError as exc:
        assert isinstance(expected, DataError)
        text = str(exc)
        for field, _ in nul_fields:  # a NUL is refused before anything is written, naming file, line, field
            OUTCOMES["NUL refusal named with file, line and field"] += 1
            assert re.search(rf"(things|sources)\.yaml:\d+: {field}(\.\d+)?: text contains a NUL|"
                             rf"production-hostile\.csv:\d+: {field}: text contains a NUL", text), (field, text)
        assert _shape(empty_kb) == (0, 0), "a refused load must write nothing"
        OUTCOMES["load refused"] += 1
        return
    OUTCOMES["load accepted"] += 1
    assert not nul_fields and not isinstance(expected, DataError)

    counts = {r["l"]: r["n"] for r in empty_kb.read("MATCH (n) RETURN labels(n)[0] AS l, count(*) AS n")}
    assert counts == {**FIXED_COUNTS, "Production": len(records["production"])}
    # the text stored is the text given (less surrounding white space), character for character
    given = [
        ("Source", "id", SOURCE_ID, "title", records["sources"][0]["title"]),
        ("Technology", "id", "hostile-tech", "name", records["technologies"][0]["name"]),
        ("Organisation", "id", "hostile-org", "name", records["organisations"][0]["name"]),
        ("Claim", "id", "hostile-claim", "text", records["claims"][0]["text"]),
    ]
    for label, key, k, field, value in given:
        got = empty_kb.read(f"MATCH (n:{label} {{{key}: $k}}) RETURN n.{field} AS v", {"k": k})
        assert got == [{"v": _strip(value)}], (label, field)
    notes = empty_kb.read("MATCH (p:Production) RETURN p.year AS y, p.note AS note ORDER BY y")
    assert [n["note"] for n in notes] == [_strip(r["note"].strip()) or None if r["note"] else None
                                          for r in records["production"]]
    # the text stored is the text validated, character for character
    for label, nodes in expected.nodes.items():
        key = {"Country": "iso3"}.get(label, "id")
        for k, props in nodes.items():
            got = empty_kb.read(f"MATCH (n:`{label}` {{`{key}`: $k}}) RETURN properties(n) AS p", {"k": k})
            assert len(got) == 1
            stored = got[0]["p"]
            for field, value in props.items():
                if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    assert stored.get(field) == value, (label, field)


def test_nul_in_data_is_refused_before_writing(empty_kb, tmp_path):
    (tmp_path / "s.yaml").write_text(
        'sources:\n  - id: s1\n    title: "A\\0B"\n    publisher: P\n    date: "2020"\n    kind: report\n'
        '    notes: "fine"\n  - {id: iso-3166, title: ISO, publisher: ISO, date: "2020", kind: standard}\n'
        'technologies:\n  - id: t1\n    name: T\n    aliases: ["ok", "bad\\0alias"]\n    sources: [s1]\n')
    (tmp_path / "production-nul.csv").write_text("iso3,year,stage,tonnes,note,sources\nAUS,2020,mining,1,a\x00b,s1\n")
    with pytest.raises(DataError) as exc:
        empty_kb.load([tmp_path])
    text = str(exc.value)
    assert re.search(r"s\.yaml:3: title: text contains a NUL", text), text
    assert re.search(r"s\.yaml:12: aliases\.1: text contains a NUL", text), text
    assert re.search(r"production-nul\.csv:2: note: text contains a NUL", text), text
    assert _shape(empty_kb) == (0, 0)


# --------------------------------------------------------------------------- broken data, all at once

BROKEN = {
    "broken.yaml": "sources:\n  - id: b\n    title: [unclosed\n",
    "good.yaml": (
        "sources:\n"
        "  - {id: good-src, title: Good, publisher: P, date: '2020-01-01', kind: report}\n"
        "technologies:\n"
        "  - {id: good-tech, name: Perfectly fine, sources: [good-src]}\n"
    ),
    "bad.yaml": """\
sources:
  - id: bad-src
    title: A source
    publisher: P
    date: "2023-02-30"
    kind: report
  - id: Bad Id!
    title: Another
    publisher: P
    date: "2020"
    kind: pamphlet
agreements:
  - id: deal
    name: A deal
    kind: mou
    date: "2012-11-16"
    organisations: [no-such-org]
    parties: [JPN, XXX]
    sources: [good-src, src-missing]
  - id: deal
    name: The same deal twice
    kind: mou
    date: "2012"
    sources: [good-src]
  - id: nameless
    kind: mou
    date: "2012"
    sources: [good-src]
  - id: typed
    name: Wrong types
    kind: mou
    date: 2012-13
    tonnes_per_year: lots
    sources: [good-src]
measures:
  - id: backwards
    name: Ends before it starts
    kind: quota
    imposed_by: CHN
    start: "2012-06-01"
    end: "2011-01-01"
    sources: [good-src]
  - id: negative
    name: Negative quota
    kind: quota
    imposed_by: CHN
    tonnes: -5
    sources: [good-src]
facilities:
  - id: mine
    name: A mine
    kind: mine
    country: AUS
    owners: [{org: good-org, share: 1.5}]
    capacity_tpa: -1
    sources: [good-src]
technologies:
  - id: extra-field
    name: Has a typo
    sources: [good-src]
    sectr: energy
""",
    "production-broken.csv": """\
iso3,year,stage,tonnes,share,estimated,sources
CHN,2011,mining,-5,,,good-src
JPN,2011,smelting,10,,,good-src
IND,2011,mining,100,,,good-src,extra
USA,20x1,mining,ten,,,good-src
AUS,2011,mining,10,1.5,,good-src
BRA,2011,mining,11,,,good-src
BRA,2011,mining,12,,,good-src
RUS,2011,mining,,,,good-src
VNM,2011,mining,1,,maybe,good-src
ZZZ,2011,mining,1,,,good-src
KOR,2011,mining,inf,,,good-src
""",
    "claims-bad.yaml": "claims:\n  - id: nan-claim\n    text: Not a number\n    quantity: .nan\n    sources: [good-src]\n",
    "reserves-no-tonnes.csv": "iso3,year,sources\nCHN,2011,good-src\n",
}

#: (file:line, field or text) that must each appear on one line of the error
EXPECTED_PROBLEMS = [
    ("broken.yaml:4", "malformed YAML: did not find expected"),
    ("bad.yaml:5", "date: Value error, date '2023-02-30' does not exist"),
    ("bad.yaml:7", "id: Value error, id 'Bad Id!'"),
    ("bad.yaml:11", "kind: Input should be"),                  # not one of the kinds
    ("bad.yaml:17", "organisations: Agreement 'deal' refers to unknown Organisation 'no-such-org'"),
    ("bad.yaml:18", "parties: Agreement 'deal' refers to unknown Country 'XXX'"),
    ("bad.yaml:19", "sources: unknown source 'src-missing'"),
    ("bad.yaml:20", "id: Agreement 'deal' is defined twice (first at"),
    ("bad.yaml:25", "name: required field is missing"),
    ("bad.yaml:32", "date: Value error, date '2012-13' does not exist"),
    ("bad.yaml:33", "tonnes_per_year: Input should be a valid number"),
    ("bad.yaml:41", "end: Value error, end 2011-01-01 is before start 2012-06-01"),
    ("bad.yaml:47", "tonnes: Input should be greater than or equal to 0"),
    ("bad.yaml:54", "owners.0.share: Input should be less than or equal to 1"),
    ("bad.yaml:55", "capacity_tpa: Input should be greater than or equal to 0"),
    ("bad.yaml:61", "sectr: unknown field"),
    ("production-broken.csv:2", "tonnes: Input should be greater than or equal to 0"),
    ("production-broken.csv:3", "stage: Input should be"),
    ("production-broken.csv:4", "8 cells where the header has 7"),
    ("production-broken.csv:5", "year: Input should be a valid integer"),
    ("production-broken.csv:5", "tonnes: Input should be a valid number"),
    ("production-broken.csv:6", "share: Input should be less than or equal to 1"),
    ("production-broken.csv:8", "id: Production 'BRA|mining|2011|good-src' is defined twice"),
    ("production-broken.csv:9", "tonnes: Value error, a Production figure needs tonnes or share"),
    ("production-broken.csv:10", "estimated: Input should be a valid boolean"),
    ("production-broken.csv:11", "iso3: Production 'ZZZ|mining|2011|good-src' refers to unknown Country 'ZZZ'"),
    ("production-broken.csv:12", "tonnes: Input should be a finite number"),
    ("claims-bad.yaml:4", "quantity: Input should be a finite number"),
    ("reserves-no-tonnes.csv:2", "tonnes: required field is missing"),
    ("production-latin1.csv:2", "not UTF-8 text"),
]


def test_broken_data_is_refused_whole_naming_every_problem(empty_kb, tmp_path):
    own = tmp_path / "before"
    own.mkdir()
    (own / "before.yaml").write_text(
        "sources:\n  - {id: before-src, title: Before, publisher: P, date: '2020', kind: report}\n"
        "  - {id: iso-3166, title: ISO 3166, publisher: ISO, date: '2020', kind: standard}\n"
        "agreements:\n  - {id: before-deal, name: Before, kind: mou, date: '2020-01-02', parties: [JPN],"
        " sources: [before-src]}\n")
    empty_kb.load([own])
    before = empty_kb.stats()
    broken = tmp_path / "broken"
    broken.mkdir()
    for name, text in BROKEN.items():
        (broken / name).write_text(text)
    (broken / "production-latin1.csv").write_bytes("iso3,year,stage,tonnes,sources\nCHN,2011,mining,1,caf\xe9\n".encode("latin-1"))

    with pytest.raises(DataError) as exc:
        empty_kb.load([broken, own])
    lines = str(exc.value).splitlines()
    assert "nothing was written" in lines[0]
    missing = [(where, what) for where, what in EXPECTED_PROBLEMS
               if not any(f"{where}:" in ln and what in ln for ln in lines)]
    assert not missing, "\n".join(lines)
    for ln in lines[1:]:  # every problem names its file and line, and a field where there is one
        assert re.match(r"\s+\S+\.(yaml|csv):\d+: ", ln), ln
    after = empty_kb.stats()
    assert after["checksum"] == before["checksum"] and after["nodes"] == before["nodes"]
    assert not empty_kb.read("MATCH (t:Technology {id: 'good-tech'}) RETURN t")  # the good file was not written either


# --------------------------------------------------------------------------- the read-only console

#: every kind of write, as each engine spells it (None: the engine has no such statement; the
#: nearest spelling is tried and must be refused all the same)
WRITES: dict[str, dict[str, str]] = {
    "create": {"*": "CREATE (n:X {v: 1}) RETURN n"},
    "merge": {"*": "MERGE (n:T {v: 99}) RETURN n"},
    "set property": {"*": "MATCH (n:T) SET n.v = 9 RETURN n"},
    "set label": {"*": "MATCH (n:T) SET n:Y RETURN n"},
    "set map": {"*": "MATCH (n:T) SET n += {w: 1} RETURN n"},
    "delete": {"*": "MATCH ()-[r:R]->() DELETE r RETURN 1 AS x"},
    "detach delete": {"*": "MATCH (n) DETACH DELETE n"},
    "remove property": {"*": "MATCH (n:T) REMOVE n.v RETURN n"},
    "remove label": {"*": "MATCH (n:T) REMOVE n:T RETURN n"},
    "create index": {"embedded": "CREATE INDEX FOR (n:T) ON (n.w)", "neo4j": "CREATE INDEX ro_w FOR (n:T) ON (n.w)"},
    "drop index": {"embedded": "DROP INDEX FOR (n:T) ON (n.v)", "neo4j": "DROP INDEX kb_t_v"},
    "create constraint": {"embedded": "CREATE CONSTRAINT ON (n:T) ASSERT n.v IS UNIQUE",
                          "neo4j": "CREATE CONSTRAINT ro_c FOR (n:T) REQUIRE n.v IS UNIQUE"},
    "drop constraint": {"embedded": "DROP CONSTRAINT ON (n:U) ASSERT n.k IS UNIQUE", "neo4j": "DROP CONSTRAINT kb_u_k"},
    "full-text index": {"embedded": "CREATE FULLTEXT INDEX FOR (n:T) ON (n.v)",
                        "neo4j": "CREATE FULLTEXT INDEX ro_ft FOR (n:T) ON EACH [n.v]"},
    "write procedure": {"embedded": "CALL db.idx.fulltext.createNodeIndex('T', 'v')",
                        "neo4j": "CALL db.createLabel('Zed')"},
    "write procedure 2": {"embedded": "CALL db.idx.fulltext.drop('T')", "neo4j": "CALL db.createProperty('zed')"},
    "write procedure 3": {"embedded": "CALL db.idx.fulltext.createNodeIndex({label: 'T', language: 'german'}, 'v')",
                          "neo4j": "CALL db.createRelationshipType('ZED')"},
    "load csv and create": {"*": "LOAD CSV FROM 'file:///etc/hostname' AS row CREATE (:X {v: row[0]})"},
    "load csv (reads server files)": {"*": "LOAD CSV FROM 'file:///etc/hostname' AS row RETURN row"},
    "load csv (fetches a URL)": {"*": "LOAD CSV FROM 'https://example.invalid/x.csv' AS row RETURN row"},
    "write in CALL {}": {"*": "CALL { CREATE (n:X) RETURN n } RETURN n"},
    "write in correlated CALL {}": {"*": "MATCH (n:T) CALL { WITH n SET n.v = 5 } RETURN count(*) AS c"},
    "write in CALL {} IN TRANSACTIONS": {"*": "MATCH (n:T) CALL { WITH n SET n.v = 3 } IN TRANSACTIONS RETURN 1 AS x"},
    "write after WITH": {"*": "MATCH (n:T) WITH n CREATE (:X {v: n.v}) RETURN 1 AS x"},
    "merge after WITH": {"*": "WITH 1 AS one MERGE (m:X {v: one}) RETURN m"},
    "write after a read and UNWIND": {"*": "MATCH (n:T) WITH collect(n) AS ns UNWIND ns AS n SET n.v = 0"},
    "write in FOREACH": {"*": "MATCH (n:T) FOREACH (x IN [1] | SET n.v = x)"},
    "create in FOREACH": {"*": "FOREACH (x IN [1, 2] | CREATE (:X {x: x}))"},
    "write after UNION": {"*": "MATCH (n:T) RETURN n.v AS v UNION CREATE (m:X) RETURN 0 AS v"},
    "write in a comment trick": {"*": "MATCH (n) RETURN count(n) AS c //\nCREATE (:X)"},
    "write after EXPLAIN-like prefix": {"embedded": "PROFILE CREATE (:X)", "neo4j": "CYPHER 5 CREATE (:X)"},
    "terminate transactions": {"embedded": "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
                               "neo4j": "TERMINATE TRANSACTIONS 'neo4j-transaction-1'"},
    "create user": {"*": "CREATE USER bob SET PASSWORD 'abcdefgh12'"},
    "two statements": {"*": "MATCH (n) RETURN count(n) AS c; CREATE (:X)"},
}


def _schema(k) -> dict[str, Any]:  # noqa: ANN001
    indexes: list[tuple[Any, ...]] | list[str]
    if k.engine == "falkordb":
        indexes = sorted(
            (r["label"], tuple(r["properties"]), str(r["types"]), r["entitytype"]) for r in k.read("CALL db.indexes()"))
        constraints = sorted(str(r) for r in k.read("CALL db.constraints()"))
    else:
        indexes = sorted(str(r) for r in k.read("SHOW INDEXES YIELD name, type, labelsOrTypes, properties"))
        constraints = sorted(str(r) for r in k.read("SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties"))
    tokens = {what: sorted(str(v) for r in k.read(f"CALL db.{what}()") for v in r.values())
              for what in ("labels", "propertyKeys", "relationshipTypes")}
    return {"indexes": indexes, "constraints": constraints, **tokens, "checksum": k.stats()["checksum"]}


@pytest.mark.parametrize("kind", list(WRITES))
def test_read_refuses_every_kind_of_write(empty_kb, kind):
    from kb.errors import ReadOnlyError

    empty_kb.write("CREATE (:T {v: 1})-[:R]->(:T {v: 2})")
    empty_kb.backend.ensure_schema({"U": "k"}, [("T", "v")])  # an index and a constraint to drop
    before = _schema(empty_kb)
    engine = "embedded" if empty_kb.engine == "falkordb" else "neo4j"
    statement = WRITES[kind].get(engine) or WRITES[kind]["*"]
    TRIED["read-only console writes"] += 1
    with pytest.raises(KBError) as exc:
        empty_kb.read(statement)
    # refused as a write where the engine knows the statement; a syntax error where it does not
    if not isinstance(exc.value, ReadOnlyError):
        assert re.search(r"Invalid input|not supported|Invalid constraint|Unsupported administration|"
                         r"more than one statement|exactly one statement|not registered|Unexpected clause|"
                         r"can only be used at the end", str(exc.value)), exc.value
    OUTCOMES[f"read-only refusal ({type(exc.value).__name__})"] += 1
    after = _schema(empty_kb)
    if empty_kb.engine == "falkordb":
        # FalkorDB registers the property names a statement mentions while parsing it, even one it
        # then refuses (GRAPH.EXPLAIN does the same). Names only, in memory, gone at the next start;
        # no node, relationship, label, index or constraint: allowed, and nothing else is.
        new_keys = set(after.pop("propertyKeys")) - set(before.pop("propertyKeys"))
        assert all(re.search(rf"\b{k}\b", statement) for k in new_keys), new_keys
    assert after == before

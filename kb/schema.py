"""The graph schema: every label, natural key and relationship type, and the
pydantic models that validate each data record before it reaches the graph.

This module is the allow-list: loaders and queries take labels and relationship
types from here, never from user input. `docs/schema.md` describes it for people.

A record kind is one pydantic model. Its class attributes say where it goes:

* ``__label__`` – the node label; ``__key__`` – the field that is its natural key;
* ``__refs__`` – fields that name other records, each becoming a relationship
  ``(field, REL_TYPE, target label, direction)``; direction ``out`` means
  ``(this)-[:REL]->(target)``, ``in`` means ``(target)-[:REL]->(this)``.

Every factual record cites one or more sources (``sources``); each node gets a
``SOURCED_FROM`` relationship to each source and every relationship built from a
record carries the record's source ids in its ``sources`` property.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# --------------------------------------------------------------------------- enums

#: the supply-chain stages, one vocabulary for country figures, facilities and questions, in the order
#: material flows: mining -> concentrate (ore beneficiated, cracked, leached: concentrate, MREC, chloride)
#: -> separation (separated oxides; "separation-light" and "separation-heavy" where a source tells them
#: apart, "separation" for both together, as country figures and China's quotas publish it) -> metal
#: (metal and alloy) -> magnet -> end-use
Stage = Literal["mining", "concentrate", "separation", "separation-light", "separation-heavy", "metal", "magnet",
                "end-use"]
#: stage names of earlier data files, read as the vocabulary's: the IEA's "refining" (refined, i.e.
#: separated, rare-earth output) is separation; "magnets" is magnet. Loading maps them (Production.stage).
STAGE_ALIASES: dict[str, str] = {"refining": "separation", "magnets": "magnet"}
#: the stages of separation: a figure at "separation" covers both "separation-light" and "separation-heavy"
SEPARATION_STAGES: tuple[str, ...] = ("separation", "separation-light", "separation-heavy")
Tier = Literal["official", "intergovernmental", "company", "press", "other"]
Group = Literal["light", "heavy"]
TargetScope = Literal["all-destinations", "countries", "military-end-users", "listed-entities"]
#: the tiers whose figures need a better source or an explicit second_hand mark (see kb.loaders.build)
WEAK_TIERS: frozenset[str] = frozenset({"press", "other"})
SourceKind = Literal[
    "report", "dataset", "legal", "press-release", "news", "web", "standard", "book", "paper"
]

#: Non-ISO actors that may stand where a country does (ISO 3166 reserves "EU").
EXTRA_ACTORS: dict[str, dict[str, Any]] = {
    "EUU": {
        "name": "European Union",
        "iso2": "EU",
        "kind": "supranational union",
        "aliases": ["EU", "the European Union", "European Community", "EC", "Brussels"],
    },
    "WLD": {"name": "World", "iso2": None, "kind": "aggregate", "aliases": ["world total"]},
}

_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def check_date(value: str | None) -> str | None:
    """Accept ISO dates ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` and check they exist."""
    if value is None:
        return None
    value = str(value)
    if not _DATE_RE.match(value):
        raise ValueError(f"date {value!r} is not ISO YYYY, YYYY-MM or YYYY-MM-DD")
    parts = [int(p) for p in value.split("-")]
    parts += [1] * (3 - len(parts))
    try:
        _dt.date(*parts)
    except ValueError as exc:
        raise ValueError(f"date {value!r} does not exist ({exc})") from None
    return value


class Record(BaseModel):
    """Base of every record kind: strict about unknown fields, cites sources."""

    # no NaN or infinite numbers: neither engine stores them faithfully (FalkorDB cannot take them)
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False, allow_inf_nan=False)

    __label__: ClassVar[str]
    __key__: ClassVar[str]
    __refs__: ClassVar[tuple[tuple[str, str, str, str], ...]] = ()
    __section__: ClassVar[str]
    #: True for a record that adds to a node defined by another record (FacilityUpdate)
    __extends__: ClassVar[bool] = False

    sources: list[str] = Field(min_length=1, description="ids of Source records")
    # who accepted the record in the desk's review, and when (ISO 8601, UTC); absent on curated data
    reviewed_by: str | None = Field(None, description="the editor who accepted it in the desk's review")
    reviewed_at: str | None = Field(None, description="when it was accepted (ISO 8601, UTC)")

    @field_validator("sources", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    def key(self) -> str:
        return str(getattr(self, self.__key__))


class Entity(Record):
    """A named thing users look up by name or alias."""

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    description: str | None = None


def _ident(v: str) -> str:
    if not _ID_RE.match(v):
        raise ValueError(f"id {v!r} must be lower-case letters, digits, '.', '_' or '-'")
    return v


# --------------------------------------------------------------------------- sources


class Source(BaseModel):
    """A publication a fact comes from."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    __label__: ClassVar[str] = "Source"
    __key__: ClassVar[str] = "id"
    __refs__: ClassVar[tuple[tuple[str, str, str, str], ...]] = ()
    __section__: ClassVar[str] = "sources"

    id: str
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    date: str = Field(description="publication date, ISO YYYY[-MM[-DD]]")
    url: str | None = None
    kind: SourceKind
    edition: str | None = None
    accessed: str | None = None
    notes: str | None = None
    tier: Tier | None = Field(None, description="official (statistics, governments, WTO, the EU), "
                              "intergovernmental (IEA, OECD), company, press or other")
    via: str | None = Field(None, description="where the copy read was found, when not the publisher's own")
    file: str | None = Field(None, description="name of the published file imported (kb import ...)")
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$", description="SHA-256 of that file's bytes")

    _id = field_validator("id")(classmethod(lambda cls, v: _ident(v)))
    _dates = field_validator("date", "accessed")(classmethod(lambda cls, v: check_date(v)))

    def key(self) -> str:
        return self.id


# --------------------------------------------------------------------------- elements, uses


class Element(Record):
    """A rare-earth element. Physical properties are added from `periodictable`."""

    __label__ = "Element"
    __key__ = "symbol"
    __section__ = "elements"
    __refs__ = (("commodities", "PART_OF", "Commodity", "out"),)

    symbol: str = Field(pattern=r"^[A-Z][a-z]?$")
    name: str | None = None
    aliases: list[str] = Field(default_factory=list)
    group_usgs: Group | None = Field(None, description="USGS classification; null = neither")
    group_eu: Group | None = Field(None, description="European Commission classification")
    commodities: list[str] = Field(default_factory=lambda: ["rare-earths"])


class Commodity(Entity):
    """A traded material: rare earths as a whole, tungsten, molybdenum, ..."""

    __label__ = "Commodity"
    __key__ = "id"
    __section__ = "commodities"
    id: str
    hs_codes: list[str] = Field(default_factory=list)


class Use(Entity):
    """An application of elements (NdFeB magnets, FCC catalysts, phosphors, ...)."""

    __label__ = "Use"
    __key__ = "id"
    __section__ = "uses"
    __refs__ = (
        ("elements", "USED_IN", "Element", "in"),
        ("technologies", "ENABLES", "Technology", "out"),
    )
    id: str
    elements: list[str] = Field(min_length=1)
    technologies: list[str] = Field(default_factory=list)


class Technology(Entity):
    """An end technology that depends on uses (EV traction motors, wind turbines, ...)."""

    __label__ = "Technology"
    __key__ = "id"
    __section__ = "technologies"
    id: str
    sector: str | None = None


# --------------------------------------------------------------------------- actors


class Country(Record):
    """Extra facts about a country; the node itself comes from ISO 3166 (pycountry)."""

    __label__ = "Country"
    __key__ = "iso3"
    __section__ = "countries"
    iso3: str = Field(pattern=r"^[A-Z]{3}$")
    aliases: list[str] = Field(default_factory=list, description="demonyms, capitals, short forms")


class Organisation(Entity):
    """A company, state enterprise, agency or ministry."""

    __label__ = "Organisation"
    __key__ = "id"
    __section__ = "organisations"
    __refs__ = (
        ("country", "BASED_IN", "Country", "out"),
        ("parent", "SUBSIDIARY_OF", "Organisation", "out"),
    )
    id: str
    kind: Literal[
        "company", "state-enterprise", "agency", "ministry", "government", "international", "other"
    ]
    country: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    parent: str | None = None
    founded: str | None = None
    website: str | None = None

    _dates = field_validator("founded")(classmethod(lambda cls, v: check_date(v)))


class Owner(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    org: str
    share: float | None = Field(None, ge=0, le=1, description="equity share 0-1")
    since: str | None = None

    _dates = field_validator("since")(classmethod(lambda cls, v: check_date(v)))


FacilityKind = Literal["mine", "deposit", "separation-plant", "refinery", "metal-plant", "magnet-plant", "project"]
#: the stage a facility of a kind works at when its record names no stages (a refinery is read as
#: separation; a deposit or project works at none yet). Loading fills ``stages`` from this and marks
#: the node ``stages_from_kind: true``; a record's or an update's own ``stages`` win.
KIND_STAGES: dict[str, list[str]] = {
    "mine": ["mining"], "deposit": [], "separation-plant": ["separation"], "refinery": ["separation"],
    "metal-plant": ["metal"], "magnet-plant": ["magnet"], "project": [],
}
FacilityStatus = Literal["operating", "construction", "planned", "closed", "suspended"]


def _stage(v: Any) -> Any:
    return STAGE_ALIASES.get(v, v) if isinstance(v, str) else v


class SupplyChainFields(BaseModel):
    """The fields a Facility and a FacilityUpdate share: its stages of the supply chain, the products
    it makes, the elements it separates and its dates, validated once here.

    It comes first among a model's bases so that its fields follow the model's own (``id`` ...)."""

    stages: list[Stage] = Field(default_factory=list, description="the stages it works at (kb.schema.Stage); "
                                "none given: from its kind (KIND_STAGES), marked stages_from_kind")
    stages_from_kind: bool | None = Field(None, description="set by loading: stages come from the kind")
    products: list[str] = Field(default_factory=list, description="what it makes, as the operator names it")
    separates: list[str] = Field(default_factory=list, description="elements it separates, as its operator "
                                 "(or an official source) says")
    commissioned: str | None = None
    closed: str | None = None

    _dates = field_validator("commissioned", "closed")(classmethod(lambda cls, v: check_date(v)))
    _stages = field_validator("stages", mode="before")(
        classmethod(lambda cls, v: [_stage(x) for x in v] if isinstance(v, list) else v))

    def _refuse_stages_from_kind(self) -> None:
        """``stages_from_kind`` is the loader's to set: a record that gives it is refused."""
        if self.stages_from_kind is not None:
            raise ValueError("stages_from_kind is set by loading, not in a record")


class _FacilityHead(Entity):
    """A Facility's own fields, before the supply-chain fields it shares with FacilityUpdate."""

    id: str
    kind: FacilityKind
    country: str = Field(pattern=r"^[A-Z]{3}$")
    region: str | None = None
    status: str | None = Field(None, description="operating, construction, planned, closed or suspended; "
                               "older records say it in words")
    operator: str | None = None
    owners: list[Owner] = Field(default_factory=list)
    elements: list[str] = Field(default_factory=list)
    capacity_tpa: float | None = Field(None, ge=0, description="t REO per year")
    capacity_estimated: bool = False


class Facility(SupplyChainFields, _FacilityHead):
    """A mine, deposit, separation plant, refinery, metal or magnet plant: its stages of the supply
    chain, the products it makes, the elements it separates (as its operator or an official source
    says: never split from ore tonnage) and its dates."""

    __label__ = "Facility"
    __key__ = "id"
    __section__ = "facilities"
    __refs__ = (
        ("country", "LOCATED_IN", "Country", "out"),
        ("operator", "OPERATES", "Organisation", "in"),
        ("owners", "OWNS", "Organisation", "in"),
        ("elements", "YIELDS", "Element", "out"),
        ("separates", "SEPARATES", "Element", "out"),
    )

    @model_validator(mode="after")
    def _kind_stages(self) -> Facility:
        self._refuse_stages_from_kind()
        if not self.stages and KIND_STAGES[self.kind]:
            self.stages = list(KIND_STAGES[self.kind])  # type: ignore[arg-type]
            self.stages_from_kind = True
        if self.commissioned and self.closed and self.closed < self.commissioned:
            raise ValueError(f"closed {self.closed} is before commissioned {self.commissioned}")
        return self


class _UpdateHead(Record):
    """An update's own key, before the supply-chain fields."""

    id: str


class FacilityUpdate(SupplyChainFields, _UpdateHead):
    """More about a facility defined elsewhere (data/facilities.yaml), by its id: its stages, products,
    the elements it separates, dates and status, with the sources that say so. Loading merges these
    into the Facility node (the update's fields win) and adds SEPARATES relationships; it refuses an
    update of a facility that does not exist. Section ``facility_updates``."""

    __label__ = "Facility"
    __key__ = "id"
    __section__ = "facility_updates"
    __refs__ = (("separates", "SEPARATES", "Element", "out"),)
    #: merges into an existing node of its label instead of defining one
    __extends__: ClassVar[bool] = True

    status: FacilityStatus | None = None

    @model_validator(mode="after")
    def _given(self) -> FacilityUpdate:
        self._refuse_stages_from_kind()
        self.stages_from_kind = False if self.stages else None  # the update's stages replace the kind's
        return self


FigureMeasure = Literal["output", "capacity"]


class FacilityFigure(Record):
    """One facility's output or capacity in a year, in the unit as published (t REO, t NdPr oxide,
    t NdFeB magnets, t REO in concentrate...), as one publication gives it. ``year`` is the calendar
    year the reported period ends in; ``period`` names the period as the report does (FY2024...)."""

    __label__ = "FacilityFigure"
    __key__ = "id"
    __section__ = "facility_figures"
    __refs__ = (
        ("facility", "OF_FACILITY", "Facility", "out"),
        ("elements", "COVERS", "Element", "out"),
    )

    facility: str
    year: int = Field(ge=1900, le=2100)
    period: str | None = Field(None, description="the period as the report names it, e.g. 'FY2024 (1 July 2023 - 30 June 2024)'")
    measure: FigureMeasure
    quantity: float = Field(ge=0)
    unit: str = Field(min_length=1, description="as published: 't REO', 't NdPr oxide', 't NdFeB magnets', ...")
    product: str | None = Field(None, description="what the figure counts, as published")
    stage: Stage | None = Field(None, description="the stage the figure is at, where the facility works at several")
    elements: list[str] = Field(default_factory=list, description="the elements the product is of, where it is "
                                "one element's or a few (NdPr oxide: Nd, Pr)")
    estimated: bool = False
    second_hand: bool = Field(False, description="read on a page quoting the publication, not in a copy of it")
    note: str | None = None

    _stage_alias = field_validator("stage", mode="before")(classmethod(lambda cls, v: _stage(v)))

    @property
    def id(self) -> str:
        return f"{self.facility}|{self.measure}|{self.year}|{self.unit}|{self.product or ''}|{self.sources[0]}"


class Feed(Record):
    """What feeds what: one facility's product going to another (mine -> plant -> plant), with dates.
    In the graph: ``(from:Facility)-[:FEEDS]->(:Feed)-[:FEEDS]->(to:Facility)``, so a chain is a path
    of FEEDS relationships and each link keeps its product, dates and sources."""

    model_config = ConfigDict(populate_by_name=True)
    __label__ = "Feed"
    __key__ = "id"
    __section__ = "feeds"
    __refs__ = (
        ("from_", "FEEDS", "Facility", "in"),
        ("to", "FEEDS", "Facility", "out"),
    )

    from_: str = Field(alias="from", description="the facility the product comes from")
    to: str = Field(description="the facility it goes to")
    product: str = Field(min_length=1)
    since: str | None = None
    until: str | None = None
    note: str | None = None

    _dates = field_validator("since", "until")(classmethod(lambda cls, v: check_date(v)))

    @model_validator(mode="after")
    def _order(self) -> Feed:
        if self.from_ == self.to:
            raise ValueError("from and to are the same facility")
        if self.since and self.until and self.until < self.since:
            raise ValueError(f"until {self.until} is before since {self.since}")
        return self

    @property
    def id(self) -> str:
        return f"{self.from_}>{self.to}|{self.product}"


# --------------------------------------------------------------------------- figures


class Production(Record):
    """One figure: a country's (or the world's, iso3 WLD) output in a year and stage,
    as one source edition gives it. Editions revise earlier years; all are kept."""

    __label__ = "Production"
    __key__ = "id"
    __section__ = "production"
    __refs__ = (("iso3", "OF_COUNTRY", "Country", "out"),)

    iso3: str = Field(pattern=r"^[A-Z]{3}$")
    year: int = Field(ge=1900, le=2100)
    stage: Stage = Field(description="a stage of kb.schema.Stage; 'refining' and 'magnets' are read as "
                         "'separation' and 'magnet' (STAGE_ALIASES)")
    tonnes: float | None = Field(None, ge=0, description="t REO equivalent")
    share: float | None = Field(None, ge=0, le=1, description="share of world, 0-1, as published")
    unit: str = "t REO"
    estimated: bool = False
    revised: bool = False
    second_hand: bool = Field(False, description="read on a page quoting the publication, not in a copy of it")
    basis: str | None = Field(None, description="how the figure was compiled when it is not a country table's: "
                              "'historical series' (USGS Data Series 140, world totals on the yearbooks' basis); "
                              "the questions that pick one edition's world table leave these out")
    note: str | None = None

    _stage_alias = field_validator("stage", mode="before")(classmethod(lambda cls, v: _stage(v)))

    @model_validator(mode="after")
    def _figure(self) -> Production:
        if self.tonnes is None and self.share is None:
            raise ValueError("a Production figure needs tonnes or share")
        return self

    @property
    def id(self) -> str:
        return f"{self.iso3}|{self.stage}|{self.year}|{self.sources[0]}"


class Reserves(Record):
    """Reserves of a country (or the world) as one source edition gives them."""

    __label__ = "Reserves"
    __key__ = "id"
    __section__ = "reserves"
    __refs__ = (("iso3", "OF_COUNTRY", "Country", "out"),)

    iso3: str = Field(pattern=r"^[A-Z]{3}$")
    year: int = Field(ge=1900, le=2100)
    tonnes: float = Field(ge=0)
    unit: str = "t REO"
    estimated: bool = False
    second_hand: bool = Field(False, description="read on a page quoting the publication, not in a copy of it")
    note: str | None = None

    @property
    def id(self) -> str:
        return f"{self.iso3}|reserves|{self.year}|{self.sources[0]}"


QuotaStage = Literal["mining", "separation"]


class Quota(Record):
    """An official production quota (China's MIIT and Ministry of Natural Resources: the total control
    index for rare-earth mining, and for smelting and separation), t REO, for one year: one batch of
    it (``batch`` 1, 2, 3 in the order issued) or the year's total (``batch`` absent). The smelting
    and separation quota is the only official figure for China's separation stage."""

    __label__ = "Quota"
    __key__ = "id"
    __section__ = "quotas"
    __refs__ = (("iso3", "OF_COUNTRY", "Country", "out"),)

    iso3: str = Field(pattern=r"^[A-Z]{3}$")
    year: int = Field(ge=1900, le=2100)
    stage: QuotaStage = Field(description="mining, or separation (the smelting and separation quota)")
    batch: int | None = Field(None, ge=1, le=9, description="the batch, in the order issued; absent = the year's total")
    tonnes: float = Field(ge=0, description="t REO")
    issued: str | None = Field(None, description="date the batch (or the total) was announced, ISO")
    second_hand: bool = Field(False, description="read in a report of the announcement, not in the announcement")
    note: str | None = None

    _dates = field_validator("issued")(classmethod(lambda cls, v: check_date(v)))

    @property
    def id(self) -> str:
        return f"{self.iso3}|quota|{self.stage}|{self.year}|{self.batch or 'year'}|{self.sources[0]}"


HsCode = Literal["280530", "284610", "284690", "850511"]


TradeFlowKind = Literal["import", "export"]


class TradeFlow(Record):
    """One bilateral trade figure: what an exporter shipped to an importer under one HS
    subheading in a year, as one source (a customs or UN Comtrade release) gives it.

    A figure one country declared (UN Comtrade) names that ``reporter`` and its ``flow``; the
    same shipment declared by the other side (the mirror figure) is a second TradeFlow with
    the other reporter. A reconciled figure (CEPII BACI) names no reporter."""

    __label__ = "TradeFlow"
    __key__ = "id"
    __section__ = "trade_flows"
    __refs__ = (
        ("exporter", "EXPORTED", "Country", "in"),
        ("importer", "IMPORTED", "Country", "in"),
        ("commodity", "OF_COMMODITY", "Commodity", "out"),
    )

    exporter: str = Field(pattern=r"^[A-Z]{3}$")
    importer: str = Field(pattern=r"^[A-Z]{3}$")
    hs_code: HsCode = Field(description="HS 6-digit subheading: 280530, 284610, 284690 or 850511")
    year: int = Field(ge=1900, le=2100)
    value_usd: float | None = Field(None, ge=0, description="current US dollars")
    tonnes: float | None = Field(None, ge=0, description="net weight; absent when not published")
    commodity: str | None = Field(None, description="the Commodity id the subheading belongs to")
    estimated: bool = False
    reporter: str | None = Field(None, pattern=r"^[A-Z]{3}$",
                                 description="the country that declared the figure; absent for reconciled data")
    flow: TradeFlowKind | None = Field(None, description="the reporter's flow: import (from the exporter) or "
                                       "export (to the importer); set with reporter")
    partner: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="the reporter's partner (the other side)")
    classification: str | None = Field(None, description="HS revision as published, e.g. H6 (HS2022), HS17")
    second_hand: bool = Field(False, description="read on a page quoting the publication, not in a copy of it")

    @model_validator(mode="after")
    def _figure(self) -> TradeFlow:
        if self.value_usd is None and self.tonnes is None:
            raise ValueError("a TradeFlow needs value_usd or tonnes")
        if self.exporter == self.importer:
            raise ValueError("exporter and importer are the same country")
        if (self.reporter is None) != (self.flow is None):
            raise ValueError("reporter and flow go together")
        if self.reporter is not None:
            own, other = (self.importer, self.exporter) if self.flow == "import" else (self.exporter, self.importer)
            if self.reporter != own:
                raise ValueError(f"reporter {self.reporter} is not the {self.flow}er of this flow")
            if self.partner is None:
                self.partner = other
            elif self.partner != other:
                raise ValueError(f"partner {self.partner} is not the other side of this flow")
        elif self.partner is not None:
            raise ValueError("partner is set only with a reporter")
        return self

    @property
    def id(self) -> str:
        base = f"{self.exporter}|{self.importer}|{self.hs_code}|{self.year}|{self.sources[0]}"
        return base + (f"|{self.reporter}" if self.reporter else "")


class Price(Record):
    """An average price ($/kg) of one series (an oxide, NdPr oxide, mischmetal) in a year, as one
    source edition publishes it (USGS MCS salient statistics). Editions revise years; all are kept."""

    __label__ = "Price"
    __key__ = "id"
    __section__ = "prices"
    __refs__ = (("elements", "PRICE_OF", "Element", "out"),)

    series: str = Field(min_length=1, description="the series, e.g. 'neodymium oxide', 'NdPr oxide', 'mischmetal'")
    elements: list[str] = Field(min_length=1, description="element symbols the series is of")
    year: int = Field(ge=1900, le=2100)
    usd_per_kg: float = Field(ge=0, description="US dollars per kilogram, as published")
    grade: str | None = Field(None, description="purity or composition as published, e.g. '99.5% minimum'")
    estimated: bool | None = Field(None, description="as the edition marks it; null = the file marks no estimates")
    second_hand: bool = Field(False, description="read on a page quoting the publication, not in a copy of it")
    note: str | None = None

    @property
    def id(self) -> str:
        return f"{self.series}|{self.year}|{self.sources[0]}"


StatisticMeasure = Literal[
    "production, mineral concentrates", "production, compounds and metals",
    "imports, compounds", "imports, ferrocerium and alloys", "imports, rare-earth metals and alloys",
    "imports, compounds and metals",
    "exports, ores and compounds", "exports, ferrocerium and alloys", "exports, rare-earth metals and alloys",
    "apparent consumption, compounds and metals", "employment, mine and mill",
    "net import reliance, compounds and metals", "net import reliance, mineral concentrates",
]
StatisticScope = Literal["rare earths", "heavy rare earths"]


class Statistic(Record):
    """One salient statistic of a country in a year (U.S. production, imports, exports, apparent
    consumption, employment, net import reliance) as one source edition publishes it. ``text`` is the
    cell as published ("7,900", ">95", "E" for net exporter); ``value`` its number where it has one."""

    __label__ = "Statistic"
    __key__ = "id"
    __section__ = "statistics"
    __refs__ = (("iso3", "OF_COUNTRY", "Country", "out"),)

    iso3: str = Field(pattern=r"^[A-Z]{3}$")
    year: int = Field(ge=1900, le=2100)
    scope: StatisticScope = "rare earths"
    measure: StatisticMeasure
    value: float | None = Field(None, description="the number; null where the text has none (E, XX)")
    text: str = Field(min_length=1, description="the cell as published")
    unit: str = Field(description="t REO, percent (of apparent consumption) or persons")
    lower_bound: bool = Field(False, description="published as '>N': the value is a lower bound")
    estimated: bool | None = Field(None, description="as the edition marks it; null = the file marks no estimates")
    second_hand: bool = False
    note: str | None = None

    @property
    def id(self) -> str:
        return f"{self.iso3}|{self.scope}|{self.measure}|{self.year}|{self.sources[0]}"


class ImportSource(Record):
    """A partner's share of a country's imports of a material over a period, as one source publishes
    it (USGS MCS "Import Sources (2021–24)"). ``partner`` is absent for the "Other countries" remainder."""

    __label__ = "ImportSource"
    __key__ = "id"
    __section__ = "import_sources"
    __refs__ = (
        ("importer", "OF_COUNTRY", "Country", "out"),
        ("partner", "FROM_COUNTRY", "Country", "out"),
        ("elements", "COVERS", "Element", "out"),
    )

    importer: str = Field(pattern=r"^[A-Z]{3}$")
    partner: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    partner_name: str = Field(min_length=1, description="the partner as published ('China', 'Other countries')")
    material: str = Field(min_length=1, description="what is imported, as published")
    elements: list[str] = Field(default_factory=list, description="the element, where the share is one element's")
    share: float = Field(ge=0, le=1, description="share of the imports, 0-1")
    period: str = Field(min_length=1, description="the period as published, e.g. '2021–24'")
    from_year: int = Field(ge=1900, le=2100)
    to_year: int = Field(ge=1900, le=2100)
    second_hand: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _years(self) -> ImportSource:
        if self.to_year < self.from_year:
            raise ValueError(f"to_year {self.to_year} is before from_year {self.from_year}")
        return self

    @property
    def id(self) -> str:
        return f"{self.importer}|{self.material}|{self.partner_name}|{self.period}|{self.sources[0]}"


# --------------------------------------------------------------------------- disputes, measures


class DisputeEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    date: str
    kind: str = Field(description="consultations, panel-established, panel-report, appeal, ...")
    description: str
    _dates = field_validator("date")(classmethod(lambda cls, v: check_date(v)))


class Dispute(Record):
    """A WTO dispute (DS431, DS432, DS433, ...)."""

    __label__ = "Dispute"
    __key__ = "code"
    __section__ = "disputes"
    __refs__ = (
        ("complainant", "COMPLAINANT_IN", "Country", "in"),
        ("respondent", "RESPONDENT_IN", "Country", "in"),
        ("third_parties", "THIRD_PARTY_IN", "Country", "in"),
        ("measures", "CHALLENGES", "Measure", "out"),
        ("commodities", "CONCERNS", "Commodity", "out"),
    )
    code: str = Field(pattern=r"^DS\d+$")
    title: str
    aliases: list[str] = Field(default_factory=list)
    complainant: str
    respondent: str
    third_parties: list[str] = Field(default_factory=list)
    requested: str
    status: str
    measures: list[str] = Field(default_factory=list)
    commodities: list[str] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list)
    compliance: str | None = None
    url: str | None = None
    events: list[DisputeEventIn] = Field(default_factory=list)

    _dates = field_validator("requested")(classmethod(lambda cls, v: check_date(v)))


class Measure(Entity):
    """A policy measure: an export quota (one node per year), duty, licence regime,
    halt, export control, stockpile or law."""

    __label__ = "Measure"
    __key__ = "id"
    __section__ = "measures"
    __refs__ = (
        ("imposed_by", "IMPOSED", "Country", "in"),
        ("targets", "TARGETS", "Country", "out"),
        ("elements", "COVERS", "Element", "out"),
        ("commodities", "COVERS", "Commodity", "out"),
        ("part_of", "PART_OF", "Measure", "out"),
    )
    id: str
    kind: Literal[
        "quota", "duty", "licence", "ban", "halt", "export-control", "stockpile", "law", "tariff",
        "price-floor", "subsidy", "other",
    ]
    imposed_by: str = Field(pattern=r"^[A-Z]{3}$")
    targets: list[str] = Field(default_factory=list)
    elements: list[str] = Field(default_factory=list)
    commodities: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list, description="goods covered, free text")
    part_of: str | None = None
    start: str | None = None
    end: str | None = None
    year: int | None = None
    tonnes: float | None = Field(None, ge=0)
    rate: str | None = Field(None, description="a duty rate as published, e.g. '15-25%'")
    status: str | None = None
    estimated: bool = False
    target_scope: TargetScope | None = Field(
        None, description="whom it targets: all-destinations, countries (those in targets), "
        "military-end-users (of the targets) or listed-entities (named on a list)")
    suspended_from: str | None = Field(None, description="first day of a suspension (the measure keeps its start)")
    suspended_until: str | None = Field(None, description="the day a suspension was due to end, as published")

    _dates = field_validator("start", "end", "suspended_from", "suspended_until")(
        classmethod(lambda cls, v: check_date(v)))

    @model_validator(mode="after")
    def _order(self) -> Measure:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.suspended_from and self.suspended_until and self.suspended_until < self.suspended_from:
            raise ValueError(f"suspended_until {self.suspended_until} is before suspended_from {self.suspended_from}")
        if self.suspended_until and not self.suspended_from:
            raise ValueError("suspended_until needs suspended_from")
        if self.target_scope == "countries" and not self.targets:
            raise ValueError("target_scope 'countries' needs targets")
        return self


# --------------------------------------------------------------------------- agreements, events, claims


AgreementKind = Literal[
    "mou", "agreement", "framework", "offtake", "supply", "investment", "loan", "grant", "equity", "guarantee",
    "joint-venture", "other",
]
#: agreement kinds that are financing: their ``buyer`` is the financier, their ``seller`` the recipient
FINANCING_KINDS: frozenset[str] = frozenset({"investment", "loan", "grant", "equity", "guarantee"})


class Agreement(Entity):
    """A deal to diversify supply: MoU, framework, offtake or supply contract, investment, loan, grant.

    An offtake or supply contract names its ``seller`` and ``buyer`` (organisations), the ``product``
    and its ``quantity`` in the ``unit`` as published; financing (loan, grant, equity, investment,
    guarantee) names the financier as ``buyer`` and the recipient as ``seller``, with ``amount`` in
    ``currency`` as published (``value_usd`` only where the figure is in US dollars)."""

    __label__ = "Agreement"
    __key__ = "id"
    __section__ = "agreements"
    __refs__ = (
        ("parties", "PARTY_TO", "Country", "in"),
        ("organisations", "PARTY_TO", "Organisation", "in"),
        ("elements", "COVERS", "Element", "out"),
        ("commodities", "COVERS", "Commodity", "out"),
        ("facilities", "CONCERNS", "Facility", "out"),
        ("seller", "SELLER_IN", "Organisation", "in"),
        ("buyer", "BUYER_IN", "Organisation", "in"),
    )
    id: str
    kind: AgreementKind
    date: str
    parties: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    elements: list[str] = Field(default_factory=list)
    commodities: list[str] = Field(default_factory=list)
    facilities: list[str] = Field(default_factory=list)
    tonnes_per_year: float | None = Field(None, ge=0)
    tonnes_estimated: bool = False
    start: str | None = None
    end: str | None = None
    value_usd: float | None = Field(None, ge=0)
    status: str | None = None
    seller: str | None = Field(None, description="organisation that sells (financing: that receives the money)")
    buyer: str | None = Field(None, description="organisation that buys (financing: the financier)")
    product: str | None = Field(None, description="what is sold, as published")
    quantity: float | None = Field(None, ge=0, description="the volume, in unit")
    unit: str | None = Field(None, description="the volume's unit as published, e.g. 't per year'")
    amount: float | None = Field(None, ge=0, description="money committed, in currency")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="ISO 4217 code of amount")

    _dates = field_validator("date", "start", "end")(classmethod(lambda cls, v: check_date(v)))

    @model_validator(mode="after")
    def _units(self) -> Agreement:
        if self.quantity is not None and not self.unit:
            raise ValueError("quantity needs its unit")
        if self.amount is not None and not self.currency:
            raise ValueError("amount needs its currency")
        return self


class Event(Entity):
    """Something that happened and belongs on a timeline."""

    __label__ = "Event"
    __key__ = "id"
    __section__ = "events"
    __refs__ = (
        ("countries", "INVOLVES", "Country", "out"),
        ("organisations", "INVOLVES", "Organisation", "out"),
        ("measures", "INVOLVES", "Measure", "out"),
        ("elements", "INVOLVES", "Element", "out"),
        ("disputes", "INVOLVES", "Dispute", "out"),
        ("agreements", "INVOLVES", "Agreement", "out"),
    )
    id: str
    date: str
    kind: str
    countries: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    measures: list[str] = Field(default_factory=list)
    elements: list[str] = Field(default_factory=list)
    disputes: list[str] = Field(default_factory=list)
    agreements: list[str] = Field(default_factory=list)

    _dates = field_validator("date")(classmethod(lambda cls, v: check_date(v)))


class Claim(Record):
    """What one source asserts, kept beside the curated figures so differences show."""

    __label__ = "Claim"
    __key__ = "id"
    __section__ = "claims"
    __refs__ = (
        ("countries", "ABOUT", "Country", "out"),
        ("elements", "ABOUT", "Element", "out"),
        ("organisations", "ABOUT", "Organisation", "out"),
        ("agreements", "ABOUT", "Agreement", "out"),
        ("commodities", "ABOUT", "Commodity", "out"),
    )
    id: str
    text: str = Field(min_length=1, description="the claim as the source words it")
    quantity: float | None = None
    unit: str | None = None
    year: int | None = None
    estimated: bool = False
    countries: list[str] = Field(default_factory=list)
    elements: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    agreements: list[str] = Field(default_factory=list)
    commodities: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------- registry

RECORD_KINDS: tuple[Any, ...] = (  # the record models above (pydantic classes)
    Source, Commodity, Element, Use, Technology, Country, Organisation, Facility, FacilityFigure, Feed,
    Production, Reserves, Quota, TradeFlow, Price, Statistic, ImportSource, Measure, Dispute, Agreement, Event, Claim,
)
#: records that add to nodes of a kind above (by key) rather than define their own
UPDATE_KINDS: tuple[Any, ...] = (FacilityUpdate,)
BY_SECTION: dict[str, type[BaseModel]] = {m.__section__: m for m in (*RECORD_KINDS, *UPDATE_KINDS)}

#: label -> natural key property. Nodes made by the loader but not a record kind
#: (DisputeEvent) are listed too.
NODE_KEYS: dict[str, str] = {m.__label__: m.__key__ for m in RECORD_KINDS}
NODE_KEYS["DisputeEvent"] = "id"
NODE_KEYS["CandidateClaim"] = "id"  # quantities found in ingested articles (kb.ingest), for review

#: record kinds that are numeric figures: loading refuses one whose only sources are of a weak tier
#: (press, other) unless it is marked second_hand
FIGURE_LABELS: frozenset[str] = frozenset(
    {"Production", "Reserves", "Quota", "Price", "TradeFlow", "Statistic", "ImportSource", "FacilityFigure"})

#: every relationship type the graph may hold
REL_TYPES: frozenset[str] = frozenset(
    {ref[1] for m in RECORD_KINDS for ref in getattr(m, "__refs__", ())}
    | {"SOURCED_FROM", "CLAIMS", "HAS_EVENT", "MENTIONS", "SUGGESTS"}
)

#: labels whose nodes are entities users find by name (they carry `names_lc`)
ENTITY_LABELS: tuple[str, ...] = (
    "Country", "Element", "Commodity", "Organisation", "Facility", "Use", "Technology",
    "Dispute", "Measure", "Agreement", "Event",
)

#: indexes beyond the key constraints, for the canned questions
INDEXES: tuple[tuple[str, str], ...] = (
    ("Production", "year"),
    ("FacilityFigure", "year"),
    ("Production", "iso3"),  # the world total (iso3 WLD) and a country's series without a label scan
    ("Reserves", "year"),
    ("Quota", "year"),
    ("TradeFlow", "year"),
    ("Price", "year"),
    ("Statistic", "year"),
    ("Measure", "year"),
    ("Event", "year"),
)


# --------------------------------------------------------------------------- the schema as text

#: what kb.ingest writes beside the records (kb/ingest/write.py, kb/ingest/claims.py)
INGEST_NODE_PROPS: dict[str, dict[str, str]] = {
    "CandidateClaim": {"id": "STRING", "status": "STRING", "text": "STRING", "quantity": "FLOAT", "unit": "STRING",
                       "match": "STRING", "offset": "INTEGER", "year": "INTEGER", "qualifier": "STRING",
                       "cue": "STRING", "article_date": "STRING", "record": "STRING", "file": "STRING",
                       "reason": "STRING"},
}
INGEST_SOURCE_PROPS: dict[str, str] = {"origin": "STRING", "text": "STRING", "same_as": "LIST"}


def _graph_type(annotation: Any) -> str:
    """A pydantic annotation as the type name Neo4j's tools print (STRING, INTEGER, FLOAT, ...)."""
    import types
    from typing import Literal, Union, get_args, get_origin

    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return _graph_type(inner[0]) if len(inner) == 1 else "ANY"
    if origin is Literal:
        values = get_args(annotation)
        return "STRING" if all(isinstance(v, str) for v in values) else "ANY"
    if origin in (list, tuple) or annotation in (list, tuple):
        return "LIST"
    return {str: "STRING", int: "INTEGER", float: "FLOAT", bool: "BOOLEAN"}.get(annotation, "STRING")


def graph_schema() -> dict[str, Any]:
    """The graph the loader (and ``kb ingest``) writes, from the models above: node properties
    with their types per label, relationship properties per type, and each relationship type with
    its endpoints: ``{"nodes": {label: {prop: type}}, "rel_props": {type: {prop: type}},
    "relationships": [(start, type, end)]}``. No database is asked (no APOC needed)."""
    nodes: dict[str, dict[str, str]] = {}
    rel_props: dict[str, dict[str, str]] = {}
    rels: set[tuple[str, str, str]] = set()
    for m in RECORD_KINDS:
        label = m.__label__
        refs = getattr(m, "__refs__", ())
        ref_fields = {r[0] for r in refs}
        fields = m.model_fields
        skip = {"sources", "events"} | (ref_fields if label not in ("Price", "Statistic", "ImportSource") else set())
        props = {name: _graph_type(f.annotation) for name, f in fields.items() if name not in skip}
        if label in ("Production", "Reserves"):
            props |= {"id": "STRING", "iso3": "STRING"}
        if label == "Element":
            props |= {"name": "STRING", "atomic_number": "INTEGER", "atomic_mass": "FLOAT", "density": "FLOAT",
                      "group": "STRING", "classification": "STRING"}
        if label == "Country":
            props = {"iso3": "STRING", "name": "STRING", "iso2": "STRING", "kind": "STRING", "aliases": "LIST"}
        if label == "Event":
            props["year"] = "INTEGER"
        if label == "Source":
            props |= INGEST_SOURCE_PROPS
        if label in ENTITY_LABELS:
            props["names_lc"] = "LIST"
        nodes[label] = {m.__key__: "STRING", **props}  # the loader sets the natural key on every node
        if label != "Source":
            rels.add((label, "SOURCED_FROM", "Source"))
        for fname, rtype, target, direction in refs:
            rels.add((label, rtype, target) if direction == "out" else (target, rtype, label))
            rp = rel_props.setdefault(rtype, {})
            rp["sources"] = "LIST"
            if fname == "owners" or rtype == "OWNS":
                rp |= {"share": "FLOAT", "since": "STRING"}
    nodes["DisputeEvent"] = {"id": "STRING", **{n: _graph_type(f.annotation) for n, f in DisputeEventIn.model_fields.items()},
                             "dispute": "STRING", "seq": "INTEGER"}
    rels |= {("Dispute", "HAS_EVENT", "DisputeEvent"), ("DisputeEvent", "SOURCED_FROM", "Source"),
             ("Source", "CLAIMS", "Claim")}
    rel_props["HAS_EVENT"] = {"sources": "LIST"}
    nodes |= INGEST_NODE_PROPS
    rels |= {("Source", "MENTIONS", lb) for lb in ENTITY_LABELS}
    rels |= {("Source", "SUGGESTS", "CandidateClaim"), ("CandidateClaim", "SOURCED_FROM", "Source")}
    rels |= {("CandidateClaim", "ABOUT", lb) for lb in ENTITY_LABELS}
    rel_props["MENTIONS"] = {"count": "INTEGER", "offsets": "LIST", "forms": "LIST", "via": "LIST", "sources": "LIST"}
    rel_props["SUGGESTS"] = {"sources": "LIST"}
    rel_props.setdefault("ABOUT", {})["sources"] = "LIST"
    unknown = {r[1] for r in rels} - REL_TYPES
    assert not unknown, f"relationship types missing from REL_TYPES: {unknown}"
    return {"nodes": nodes, "rel_props": rel_props, "relationships": sorted(rels, key=lambda r: (r[1], r[0], r[2]))}


def schema_text() -> str:
    """`graph_schema` in the layout of neo4j-graphrag's ``format_schema`` (what its Text2Cypher
    retriever and LangChain's graph chains put in a prompt)::

        Node properties:
        Element {symbol: STRING, name: STRING, ...}
        Relationship properties:
        OWNS {sources: LIST, share: FLOAT, since: STRING}
        The relationships:
        (:Element)-[:PART_OF]->(:Commodity)
    """
    g = graph_schema()
    lines = ["Node properties:"]
    lines += [f"{lb} {{{', '.join(f'{p}: {t}' for p, t in props.items())}}}" for lb, props in g["nodes"].items()]
    lines.append("Relationship properties:")
    lines += [f"{t} {{{', '.join(f'{p}: {ty}' for p, ty in props.items())}}}" for t, props in sorted(g["rel_props"].items())]
    lines.append("The relationships:")
    lines += [f"(:{a})-[:{t}]->(:{b})" for a, t, b in g["relationships"]]
    return "\n".join(lines) + "\n"

// name: prices
// description: Average rare-earth prices in US$/kg (oxides, NdPr oxide, mischmetal), one row per series and year from the latest edition that publishes it (USGS Mineral Commodity Summaries salient statistics).
// mode: read
// param: symbol: Element | None = None - symbol, name or alias of an element (Nd also gives NdPr oxide; Ce and La also mischmetal); null for every series
// param: from_year: int | None = None - first year; null for the earliest
// param: to_year: int | None = None - last year; null for the latest
// column: series: str - the series (e.g. neodymium oxide, NdPr oxide, mischmetal)
// column: elements: list[str] - the elements the series is of (symbols)
// column: year: int - the year the average is for
// column: usd_per_kg: float - average price, US dollars per kilogram, as published
// column: grade: str | None - purity or composition as published, where the edition gives it
// column: estimated: bool | None - whether the edition marks it an estimate; null where the file marks no estimates
// column: source: str - title of the edition the price comes from
// column: tier: str | None - the tier of that source (official, intergovernmental, company, press, other)
MATCH (p:Price)-[:SOURCED_FROM]->(s:Source)
WHERE ($symbol IS NULL OR $symbol IN p.elements)
  AND ($from_year IS NULL OR p.year >= $from_year)
  AND ($to_year IS NULL OR p.year <= $to_year)
WITH p, s ORDER BY s.date DESC, s.id DESC
WITH p.series AS series, p.year AS year,
     collect({elements: p.elements, usd: p.usd_per_kg, grade: p.grade, estimated: p.estimated,
              title: s.title, tier: s.tier})[0] AS f
RETURN series, f.elements AS elements, year, f.usd AS usd_per_kg, f.grade AS grade, f.estimated AS estimated,
       f.title AS source, f.tier AS tier
ORDER BY series, year

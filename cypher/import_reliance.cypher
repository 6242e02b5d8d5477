// name: import_reliance
// description: A country's net import reliance on rare earths (percent of apparent consumption) year by year, as published ("E" net exporter, ">95" a lower bound), each year from the latest edition that reports it.
// mode: read
// param: iso3: Country - ISO3 code, name or alias of the country (USA)
// column: year: int - the year
// column: scope: str - rare earths, or heavy rare earths (the MCS 2026 heavy chapter)
// column: measure: str - what the reliance is on (compounds and metals, mineral concentrates)
// column: text: str - the figure as published: a percentage, '>95', or 'E' (net exporter)
// column: percent: float | None - its number (the bound for '>95'); null for 'E'
// column: lower_bound: bool - published as '>N'
// column: estimated: bool | None - whether the edition marks it an estimate; null where the file marks no estimates
// column: source: str - title of the edition
// column: tier: str | None - the tier of that source
MATCH (c:Country {iso3: $iso3})<-[:OF_COUNTRY]-(x:Statistic)-[:SOURCED_FROM]->(s:Source)
WHERE x.measure STARTS WITH 'net import reliance'
WITH x, s ORDER BY s.date DESC, s.id DESC
WITH x.year AS year, x.scope AS scope, x.measure AS measure,
     collect({text: x.text, value: x.value, lower_bound: x.lower_bound, estimated: x.estimated,
              title: s.title, tier: s.tier})[0] AS f
RETURN year, scope, substring(measure, size('net import reliance, ')) AS measure, f.text AS text,
       f.value AS percent, f.lower_bound AS lower_bound, f.estimated AS estimated, f.title AS source, f.tier AS tier
ORDER BY year, scope DESC, measure

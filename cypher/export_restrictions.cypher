// name: export_restrictions
// description: The export restrictions a country had in force in a given year (quotas, duties, licences, bans, halts, export controls), whom each targets and when it was suspended.
// mode: read
// param: iso3: Country - ISO3 code, name or alias of the country imposing them (CHN)
// param: year: int - the year
// column: measure: str - the measure
// column: kind: str - quota, duty, licence, ban, halt or export-control
// column: elements: list[str] - elements covered (symbols); empty where it covers rare earths as a whole or names no goods
// column: target_scope: str | None - whom it targets: all-destinations, countries, military-end-users or listed-entities (null: not recorded)
// column: targets: list[str] - the countries it targets (ISO3); empty where it targets no country in particular
// column: start: str | None - when it took effect
// column: end: str | None - when it ended (null: still in force or unknown)
// column: suspended_from: str | None - first day of a suspension (null: never suspended, as far as the sources say)
// column: suspended_until: str | None - the day the suspension was due to end, as published
// column: tonnes: float | None - a quota's volume
// column: rate: str | None - a duty's rate as published
MATCH (c:Country {iso3: $iso3})
MATCH (c)-[:IMPOSED]->(m:Measure)
WHERE m.kind IN ['quota', 'duty', 'licence', 'ban', 'halt', 'export-control']
  AND (m.year = $year
       OR (m.year IS NULL AND m.start IS NOT NULL AND m.start <= toString($year) + '-12-31'
           AND (m.end IS NULL OR m.end >= toString($year))))
OPTIONAL MATCH (m)-[:COVERS]->(e:Element)
WITH m, e ORDER BY e.atomic_number
WITH m, collect(e.symbol) AS elements
OPTIONAL MATCH (m)-[:TARGETS]->(t:Country)
WITH m, elements, t ORDER BY t.iso3
RETURN m.name AS measure, m.kind AS kind, elements, properties(m).target_scope AS target_scope,
       collect(t.iso3) AS targets, m.start AS start, m.end AS end,
       properties(m).suspended_from AS suspended_from, properties(m).suspended_until AS suspended_until,
       m.tonnes AS tonnes, m.rate AS rate
ORDER BY start, measure

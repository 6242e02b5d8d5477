// name: disputes
// description: Trade disputes over rare earths, optionally only those a country takes part in (as complainant, respondent or third party).
// mode: read
// param: iso3: Country | None = None - ISO3 code, name or alias of a country; null for all disputes
// column: code: str - dispute number (DS431)
// column: title: str - the dispute's title
// column: complainant: str - who brought it
// column: respondent: str - against whom
// column: requested: str - date consultations were requested
// column: status: str - where it stands
// column: measures: list[str] - the measures challenged
// column: third_parties: list[str] - ISO3 codes of third parties
MATCH (c:Country)-[:COMPLAINANT_IN]->(d:Dispute)<-[:RESPONDENT_IN]-(r:Country)
OPTIONAL MATCH (t:Country)-[:THIRD_PARTY_IN]->(d)
WITH d, c, r, t ORDER BY t.iso3
WITH d, c, r, collect(t) AS thirds
WHERE $iso3 IS NULL
   OR c.iso3 = $iso3
   OR r.iso3 = $iso3
   OR any(x IN thirds WHERE x.iso3 = $iso3)
OPTIONAL MATCH (d)-[:CHALLENGES]->(m:Measure)
WITH d, c, r, thirds, m ORDER BY m.name
RETURN d.code AS code, d.title AS title, c.name AS complainant, r.name AS respondent,
       d.requested AS requested, d.status AS status, collect(DISTINCT m.name) AS measures,
       [x IN thirds | x.iso3] AS third_parties
ORDER BY code

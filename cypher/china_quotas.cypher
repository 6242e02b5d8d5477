// name: china_quotas
// description: China's official rare-earth production quotas year by year (MIIT and the Ministry of Natural Resources): the mining quota and the smelting and separation quota (the only official figure for China's separation stage), each batch as issued and the year's total where one was announced (a total set again later follows the earlier one, in the order announced), in t REO.
// mode: read
// param: from_year: int | None = None - first year; null for the earliest
// param: to_year: int | None = None - last year; null for the latest
// param: stage: str | None = None - mining or separation; null for both
// column: year: int - the quota year
// column: stage: str - mining, or separation (smelting and separation)
// column: batch: int | None - the batch in the order issued; null for the year's total
// column: tonnes: float - t REO
// column: issued: str | None - when the batch (or total) was announced
// column: source: str - the announcement
// column: tier: str | None - the tier of the announcement's source
// column: second_hand: bool | None - read in a report of the announcement (see the source's via), not in the announcement
// column: note: str | None - how it was read
MATCH (q:Quota)-[:SOURCED_FROM]->(s:Source)
WHERE ($from_year IS NULL OR q.year >= $from_year) AND ($to_year IS NULL OR q.year <= $to_year)
  AND ($stage IS NULL OR q.stage = $stage)
RETURN q.year AS year, q.stage AS stage, q.batch AS batch, q.tonnes AS tonnes, q.issued AS issued,
       s.title AS source, s.tier AS tier, coalesce(q.second_hand, false) AS second_hand, q.note AS note
ORDER BY year, stage, coalesce(batch, 99), coalesce(issued, ''), source, tonnes

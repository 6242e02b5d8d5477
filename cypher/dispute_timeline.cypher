// name: dispute_timeline
// description: Every step of a dispute with its date, from the request for consultations to compliance.
// mode: read
// param: code: Dispute - dispute number (DS431) or an alias
// column: date: str - ISO date of the step
// column: event: str - kind of step (consultations, panel-report, appeal, ...)
// column: description: str - what happened
MATCH (d:Dispute)
WHERE d.code = $code
MATCH (d)-[:HAS_EVENT]->(e:DisputeEvent)
RETURN e.date AS date, e.kind AS event, e.description AS description
ORDER BY date, e.seq

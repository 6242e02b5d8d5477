// name: search
// description: Entities whose name, code or alias matches the text, case- and accent-insensitively, best matches first.
// mode: read
// param: text: str - what to look for (a name, code or part of one)
// param: limit: int = 20 - how many results
// column: name: str - the entity's name
// column: label: str - what kind of entity it is
// column: key: str - its natural key (ISO3, symbol, id, code)
// column: score: float - 1.0 exact, 0.8 prefix, 0.5 substring
MATCH (n)
WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text)))
WITH n, CASE
    WHEN toLower(trim($text)) IN n.names_lc THEN 1.0
    WHEN any(x IN n.names_lc WHERE x STARTS WITH toLower(trim($text))) THEN 0.8
    ELSE 0.5 END AS score
RETURN coalesce(n.name, n.title, n.code) AS name, labels(n)[0] AS label,
       coalesce(n.iso3, n.symbol, n.code, n.id) AS key, score
ORDER BY score DESC, name
LIMIT $limit

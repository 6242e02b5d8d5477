// name: search
// description: Entities whose name, code or alias matches the text, case- and accent-insensitively, best matches first.
// mode: read
// param: text: str - what to look for (a name, code or part of one)
// param: limit: int = 20 - how many results (a page)
// param: offset: int = 0 - how many to skip first (the next page starts at offset + limit)
// column: name: str - the entity's name
// column: label: str - what kind of entity it is
// column: key: str - its natural key (ISO3, symbol, id, code)
// column: score: float - 1.0 exact name or key, 0.9 exact alias, 0.8 name prefix, 0.7 alias prefix, 0.5 substring
// each entity label is read (not every node of the graph: trade flows and figures have no names)
CALL {
  MATCH (n:Organisation) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Agreement) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Country) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Element) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Technology) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Use) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Commodity) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Facility) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Dispute) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Measure) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
  UNION MATCH (n:Event) WHERE any(x IN n.names_lc WHERE x CONTAINS toLower(trim($text))) RETURN n
}
WITH n
WITH n, toLower(coalesce(n.name, n.title, n.code)) AS name_lc,
     toLower(toString(coalesce(n.iso3, n.symbol, n.code, n.id))) AS key_lc
WITH n, CASE
    WHEN toLower(trim($text)) IN [name_lc, key_lc] THEN 1.0
    WHEN toLower(trim($text)) IN n.names_lc THEN 0.9
    WHEN name_lc STARTS WITH toLower(trim($text)) THEN 0.8
    WHEN any(x IN n.names_lc WHERE x STARTS WITH toLower(trim($text))) THEN 0.7
    ELSE 0.5 END AS score
RETURN coalesce(n.name, n.title, n.code) AS name, labels(n)[0] AS label,
       coalesce(n.iso3, n.symbol, n.code, n.id) AS key, score
ORDER BY score DESC, name, label, key
SKIP $offset LIMIT $limit

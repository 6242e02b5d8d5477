"""What an analyst reads: the Cypher console, charts, graph pictures and the table/JSON/CSV
output they share. Library code: it never imports the CLI."""

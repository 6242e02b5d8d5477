"""The analyst's desk for people who do not live in a terminal and tools not written in Python:
`kb.web.service.Desk` (questions from text or typed parameters, entity pages, a read-only Cypher
box with a row cap and a time limit), `kb.web.app.create_app` (the same over HTTP: HTML, JSON,
CSV, OpenAPI) and `kb.web.mcp` (the same as MCP tools over stdio). `kb serve` and `kb mcp`
start them. Never imports the CLI.
"""

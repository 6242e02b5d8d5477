"""The KB as tools for assistants: an MCP server (the official ``mcp`` SDK) over stdio.

Each canned question that reads is a tool, with its description and a JSON Schema built from
its header (entity parameters take a key, name or alias; `Stage` is an enum). Three more tools:
``find_entities`` (names → entities, as the search box), ``entity`` (one entity's properties,
relationships and sources) and ``cypher_read`` (one read-only statement, row cap, time limit).
A tool that fails returns ``is_error`` with the same one-line message the CLI prints.

    kb mcp                       # stdio; an MCP client starts it as a subprocess
    kb mcp --http --port 8766    # streamable HTTP at /mcp, for clients sending an API token

Over HTTP every request must carry ``Authorization: Bearer TOKEN``, a token of an account of
the desk (``kb users token NAME``); anything else is a 401 before the MCP layer sees it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kb.errors import KBError
from kb.queries.resolve import ENTITY_TYPES
from kb.web.service import Desk, input_schema

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server
    from starlette.types import ASGIApp, Receive, Scope, Send

    from kb.core import KB
    from kb.web.auth import Users

SERVER_NAME = "rare-earth-kb"
EXTRA_TOOLS: dict[str, dict[str, Any]] = {
    "find_entities": {
        "description": "Entities (countries, elements, technologies, disputes, organisations, ...) whose key, "
                       "name or alias matches the text, best first, with their label and key.",
        "schema": {"type": "object", "properties": {
            "text": {"type": "string", "description": "what to look for: 'Japan', 'dysprosium', 'wind turbine'"},
            "kind": {"type": "string", "enum": list(ENTITY_TYPES), "default": "Entity"},
            "limit": {"type": "integer", "default": 10, "minimum": 1, "maximum": 50}},
            "required": ["text"], "additionalProperties": False},
    },
    "entity": {
        "description": "One entity by label and key (from find_entities): its properties, its relationships "
                       "grouped by type with the neighbours' labels and keys, and the sources it cites with "
                       "their tier.",
        "schema": {"type": "object", "properties": {
            "label": {"type": "string", "description": "the entity's label, e.g. Country, Element, Source"},
            "key": {"type": "string", "description": "its key, e.g. JPN, Dy"}},
            "required": ["label", "key"], "additionalProperties": False},
    },
    "cypher_read": {
        "description": "Run one read-only Cypher statement on the KB (statements that would write are refused; "
                       "a row cap and a time limit apply). Prefer the canned questions where one fits.",
        "schema": {"type": "object", "properties": {
            "statement": {"type": "string", "description": "one Cypher statement"},
            "params": {"type": "object", "description": "values for its $parameters", "default": {}}},
            "required": ["statement"], "additionalProperties": False},
    },
}


def call(desk: Desk, name: str, arguments: dict[str, Any]) -> tuple[Any, bool]:
    """Run one tool: (a JSON-able result, whether it is an error)."""
    try:
        if name == "find_entities":
            return {"entities": desk.search(str(arguments.get("text", "")), str(arguments.get("kind", "Entity")),
                                            int(arguments.get("limit", 10)))}, False
        if name == "entity":
            return desk.entity(str(arguments.get("label", "")), str(arguments.get("key", ""))), False
        if name == "cypher_read":
            res = desk.cypher(str(arguments.get("statement", "")), arguments.get("params") or {})
            if res.error:
                return {"error": res.error, "refused": res.refused}, True
            out = {"columns": res.columns, "rows": res.rows, "truncated": res.truncated}
            if res.truncated:
                out["note"] = f"stopped reading at the row cap of {desk.row_cap}: more rows were not read"
            return out, False
        answer = desk.ask(name, arguments)
        return {"rows": answer.rows, "notes": answer.notes}, False
    except KBError as exc:
        from kb.config import mask

        return {"error": mask(str(exc)), "suggestions": list(getattr(exc, "suggestions", []) or [])}, True


def tools(desk: Desk) -> list[Any]:
    import mcp.types as types

    read_only = types.ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
    out = [types.Tool(name=q.name, description=q.description, input_schema=input_schema(q), annotations=read_only)
           for q in desk.questions()]
    out += [types.Tool(name=n, description=t["description"], input_schema=t["schema"], annotations=read_only)
            for n, t in EXTRA_TOOLS.items()]
    return out


def build_server(k: KB, *, row_cap: int | None = None, time_limit: float | None = None) -> Server[Any]:
    import anyio
    import mcp.types as types
    from mcp.server.lowlevel import Server

    from kb import __version__

    desk = Desk(k, row_cap=row_cap, time_limit=time_limit)
    listed = tools(desk)
    names = {t.name for t in listed}

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name not in names:
            import difflib

            close = difflib.get_close_matches(params.name, sorted(names), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            result: Any = {"error": f"no tool named {params.name!r}{hint}"}
            failed = True
        else:
            result, failed = await anyio.to_thread.run_sync(call, desk, params.name, dict(params.arguments or {}))
        text = json.dumps(result, ensure_ascii=False, default=str)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)],
            structured_content=None if failed else json.loads(text),
            is_error=failed,
        )

    return Server(SERVER_NAME, version=__version__,
                  instructions="Canned questions about rare-earth elements and their geopolitics; every fact "
                               "in the KB cites its source. Names of countries, elements, technologies and "
                               "disputes may be keys, names or aliases.",
                  on_list_tools=list_tools, on_call_tool=call_tool)


def serve_stdio(k: KB, *, row_cap: int | None = None, time_limit: float | None = None) -> None:
    """Serve MCP on stdin/stdout until the client closes the stream."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(k, row_cap=row_cap, time_limit=time_limit)

    async def run() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(run)


class TokenGate:
    """ASGI middleware: only requests with a known API token reach the MCP app."""

    def __init__(self, app: ASGIApp, users: Users):
        self.app = app
        self.users = users

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            if not token or self.users.by_token(token) is None:
                from starlette.responses import JSONResponse

                response = JSONResponse({"error": "send Authorization: Bearer TOKEN (kb users token NAME)"},
                                        status_code=401, headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def http_app(k: KB, users: Users, *, host: str = "127.0.0.1", row_cap: int | None = None,
             time_limit: float | None = None) -> ASGIApp:
    """The MCP server over streamable HTTP (at ``/mcp``), behind `TokenGate`."""
    server = build_server(k, row_cap=row_cap, time_limit=time_limit)
    return TokenGate(server.streamable_http_app(host=host, json_response=True), users)


def serve_http(k: KB, users: Users, *, host: str = "127.0.0.1", port: int = 8766, row_cap: int | None = None,
               time_limit: float | None = None, log_level: str = "info") -> None:
    import uvicorn

    uvicorn.run(http_app(k, users, host=host, row_cap=row_cap, time_limit=time_limit), host=host, port=port,
                log_level=log_level)

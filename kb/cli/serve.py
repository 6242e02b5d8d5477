"""`kb serve` (the desk in a browser, JSON, CSV) and `kb mcp` (the questions as MCP tools)."""

from __future__ import annotations

from typing import Annotated

import typer

from kb.cli.common import app, err, fail, opened, out, state

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="address to listen on; anything but 127.0.0.1 lets other machines in")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8765,
    row_cap: Annotated[int, typer.Option(help="rows the Cypher box returns at most")] = 1000,
    time_limit: Annotated[float, typer.Option(help="seconds a statement may run")] = 10.0,
) -> None:
    """Serve the KB read-only in a browser: every question as a form, a table, JSON and CSV.

    Example: kb serve --port 8765   (then open http://127.0.0.1:8765/)
    """
    import uvicorn

    from kb.web.app import create_app

    if not 0 < port < 65536:
        raise fail(f"--port {port}: pick a port between 1 and 65535")
    if host not in LOCAL_HOSTS:
        err.print(f"[yellow]warning:[/yellow] listening on {host}: other machines can read the KB "
                  "(read-only, no authentication)", highlight=False, soft_wrap=True)
    with opened() as k:
        nodes = k.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
        application = create_app(k, row_cap=row_cap, time_limit=time_limit)
        shown = f"[{host}]" if ":" in host else host
        out.print(f"Rare Earth KB on {k.engine} ({nodes} nodes): http://{shown}:{port}/  (Ctrl-C stops)",
                  highlight=False, soft_wrap=True)
        if not nodes:
            err.print("[yellow]note:[/yellow] the KB is empty: run `kb load` first", highlight=False)
        uvicorn.run(application, host=host, port=port, log_level="warning" if state.quiet else "info",
                    access_log=not state.quiet)


@app.command("mcp")
def mcp_server(
    row_cap: Annotated[int, typer.Option(help="rows the cypher_read tool returns at most")] = 1000,
    time_limit: Annotated[float, typer.Option(help="seconds a statement may run")] = 10.0,
) -> None:
    """Serve the canned questions as MCP tools over stdio (for assistants); read-only.

    Example: kb mcp   (an MCP client starts it: {"command": "kb", "args": ["mcp"]})
    """
    from kb.web.mcp import serve_stdio

    with opened() as k:
        serve_stdio(k, row_cap=row_cap, time_limit=time_limit)

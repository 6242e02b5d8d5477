"""`kb serve` (the desk in a browser, JSON, CSV; the review for editors) and `kb mcp` (the
questions as MCP tools, over stdio or streamable HTTP)."""

from __future__ import annotations

import json
import os
from pathlib import Path
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
    edit: Annotated[bool, typer.Option("--edit", help="open the review to editors (accounts: kb users add NAME --editor)")] = False,
    private: Annotated[bool, typer.Option("--private", help="reading needs an account too")] = False,
    users: Annotated[Path | None, typer.Option(help="the accounts file (default: KB_USERS or KB_HOME/users.yaml)")] = None,
    review_dir: Annotated[Path | None, typer.Option(help="where accepted records are written (default KB_HOME/reviewed)")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes, each with its own connection to the one engine")] = 1,
) -> None:
    """Serve the KB in a browser: every question as a form, a table, JSON and CSV; with --edit,
    the review of ingested articles' candidate claims for editors.

    Example: kb serve --port 8765   (then open http://127.0.0.1:8765/)
    Example: kb users add alice --editor && kb serve --edit --workers 2
    """
    import uvicorn

    from kb.web.app import ENV_OPTIONS, create_app
    from kb.web.auth import Users, users_file

    if not 0 < port < 65536:
        raise fail(f"--port {port}: pick a port between 1 and 65535")
    from kb.config import kb_home

    accounts = Users(users or users_file(kb_home()))
    editors = [u for u in accounts.load().values() if u.editor]
    if (edit or private) and host not in LOCAL_HOSTS and not editors:
        raise fail(f"refusing to listen on {host} with {'editing' if edit else '--private'} and no account in "
                   f"{accounts.path}: add one with `kb users add NAME --editor`")
    if host not in LOCAL_HOSTS and not private:
        err.print(f"[yellow]warning:[/yellow] listening on {host}: other machines can read the KB"
                  f"{' (writing needs an editor account)' if edit else ' (read-only, no authentication)'}",
                  highlight=False, soft_wrap=True)
    if edit and not editors:
        err.print(f"[yellow]note:[/yellow] no editor in {accounts.path}: nobody can log in to review "
                  "(kb users add NAME --editor)", highlight=False, soft_wrap=True)
    with opened() as k:
        from kb.engines.cypher import count_nodes

        nodes = k.read(count_nodes())[0]["n"]
        shown = f"[{host}]" if ":" in host else host
        out.print(f"Rare Earth KB on {k.engine} ({nodes} nodes): http://{shown}:{port}/  (Ctrl-C stops)",
                  highlight=False, soft_wrap=True)
        if not nodes:
            err.print("[yellow]note:[/yellow] the KB is empty: run `kb load` first", highlight=False)
        options = {"row_cap": row_cap, "time_limit": time_limit, "editing": edit, "private": private,
                   "users": str(accounts.path), "review_dir": str(review_dir) if review_dir else None}
        # keep-alive longer than uvicorn's 5 s: a busy team's browsers and scripts reuse connections
        log = {"log_level": "warning" if state.quiet else "info", "access_log": not state.quiet, "timeout_keep_alive": 30}
        if workers == 1:
            application = create_app(k, row_cap=row_cap, time_limit=time_limit, editing=edit, private=private,
                                     users=accounts.path, review_dir=review_dir)
            uvicorn.run(application, host=host, port=port, **log)  # type: ignore[arg-type]
            return
    # several workers: each process opens its own connection (same KB_HOME or URI)
    os.environ[ENV_OPTIONS] = json.dumps(options)
    if state.uri:
        os.environ["KB_URI"] = state.uri
    uvicorn.run("kb.web.app:app_from_env", factory=True, host=host, port=port, workers=workers, **log)  # type: ignore[arg-type]


@app.command("mcp")
def mcp_server(
    row_cap: Annotated[int, typer.Option(help="rows the cypher_read tool returns at most")] = 1000,
    time_limit: Annotated[float, typer.Option(help="seconds a statement may run")] = 10.0,
    http: Annotated[bool, typer.Option("--http", help="serve MCP's streamable HTTP transport (behind a token) instead of stdio")] = False,
    host: Annotated[str, typer.Option(help="with --http: the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="with --http: the TCP port")] = 8766,
    users: Annotated[Path | None, typer.Option(help="with --http: the accounts file whose API tokens are let in")] = None,
) -> None:
    """Serve the canned questions as MCP tools (for assistants); read-only. Over stdio by default;
    with --http, over streamable HTTP at /mcp, for any account's API token (kb users token NAME).

    Example: kb mcp   (an MCP client starts it: {"command": "kb", "args": ["mcp"]})
    Example: kb mcp --http --port 8766   (clients send Authorization: Bearer TOKEN)
    """
    from kb.web.mcp import serve_http, serve_stdio

    with opened() as k:
        if not http:
            serve_stdio(k, row_cap=row_cap, time_limit=time_limit)
            return
        from kb.web.auth import Users, users_file

        accounts = Users(users or users_file(k.settings.home))
        if not any(u.tokens for u in accounts.load().values()):
            raise fail(f"no API token in {accounts.path}: make one with `kb users token NAME` (after kb users add NAME)")
        if not 0 < port < 65536:
            raise fail(f"--port {port}: pick a port between 1 and 65535")
        out.print(f"MCP (streamable HTTP) on http://{host}:{port}/mcp  (Authorization: Bearer TOKEN; Ctrl-C stops)",
                  highlight=False, soft_wrap=True)
        serve_http(k, accounts, host=host, port=port, row_cap=row_cap, time_limit=time_limit,
                   log_level="warning" if state.quiet else "info")

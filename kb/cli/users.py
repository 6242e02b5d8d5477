"""`kb users ...`: the desk's accounts (see `kb.web.auth`): add, list, remove, password, token."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kb.cli.common import app, err, fail, out, state

if TYPE_CHECKING:
    from kb.web.auth import Users

users_app = typer.Typer(help="The desk's accounts: editors review in the browser, API tokens for scripts.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")
FileOpt = Annotated[Path | None, typer.Option("--file", help="the accounts file (default: KB_USERS or KB_HOME/users.yaml)")]


def _users(path: Path | None) -> Users:
    from kb.config import kb_home
    from kb.web.auth import Users, users_file

    return Users(path or users_file(kb_home()))


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("password", hide_input=True)
    if typer.prompt("again", hide_input=True) != first:
        raise fail("the two passwords differ")
    return str(first)


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="the account's name")],
    editor: Annotated[bool, typer.Option("--editor", help="may review: accept, reject, merge")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin (one line)")] = False,
    file: FileOpt = None,
) -> None:
    """Add an account; the password is asked for (or read from stdin) and kept as an argon2 hash.

    Example: kb users add alice --editor
    """
    users = _users(file)
    users.add(name, _password(password_stdin), editor=editor)
    if not state.quiet:
        err.print(f"added {name}{' (editor)' if editor else ''} to {users.path}", highlight=False)


@users_app.command("password")
def password(name: Annotated[str, typer.Argument()],
             password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False, file: FileOpt = None) -> None:
    """Set an account's password.

    Example: kb users password alice        (or: printf '%s' "$PW" | kb users password alice --password-stdin)
    """
    _users(file).set_password(name, _password(password_stdin))


@users_app.command("remove")
def remove(name: Annotated[str, typer.Argument()], file: FileOpt = None) -> None:
    """Remove an account (its API tokens stop working; its sessions end at their next request).

    Example: kb users remove bob
    """
    _users(file).remove(name)


@users_app.command("token")
def token(name: Annotated[str, typer.Argument()], file: FileOpt = None) -> None:
    """Make an API token for a script (``Authorization: Bearer TOKEN``); it is shown once.

    Example: kb users token alice
    """
    out.file.write(_users(file).new_token(name) + "\n")


@users_app.command("list")
def list_users(file: FileOpt = None) -> None:
    """The accounts: name, roles, number of API tokens.

    Example: kb users list
    """
    for u in _users(file).load().values():
        out.print(f"{u.name}\t{','.join(u.roles) or '-'}\t{len(u.tokens)} token(s)", highlight=False)

"""Who may do what on the desk: accounts, sessions, CSRF tokens, login throttling, API tokens.

* **Accounts** live in a YAML file the admin manages (``kb users add NAME --editor``; by default
  ``KB_HOME/users.yaml``): a name, an argon2id password hash (argon2-cffi), roles (``editor``)
  and the sha256 digests of the person's API tokens (the token itself is shown once).
* **Sessions**: a random id in a cookie signed with itsdangerous (``HttpOnly``, ``SameSite=Strict``,
  ``Secure`` when the request came over TLS), kept server-side in a small SQLite file beside the
  users file, so that every worker process sees a logout at once and a cookie used after logout
  (or after it expired) is refused.
* **CSRF**: every form carries a one-time token bound to the session; a token from another
  session, a missing token or one already used (a replay) is refused with 403.
* **Login throttling**: more than `MAX_FAILURES` failed logins for a name or from an address in
  `FAILURE_WINDOW` seconds answer 429 until the window has passed.
* **API tokens** (``Authorization: Bearer TOKEN``) let scripts write as their owner; no cookie,
  so no CSRF token is asked for.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.errors import KBError

COOKIE = "kb_session"
SESSION_SECONDS = 8 * 3600
CSRF_SECONDS = 3600
MAX_FAILURES = 5
FAILURE_WINDOW = 300
ROLES = ("editor",)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class AuthError(KBError):
    """A user file that cannot be read or a request the accounts refuse."""


@dataclass
class User:
    name: str
    password: str = ""  # the argon2 hash
    roles: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # sha256 hex of each API token

    @property
    def editor(self) -> bool:
        return "editor" in self.roles


def users_file(home: Path) -> Path:
    """Where the accounts are: ``KB_USERS`` or ``KB_HOME/users.yaml``."""
    return Path(os.environ.get("KB_USERS") or home / "users.yaml")


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Users:
    """The accounts file: read on every check (the admin edits it while the desk runs)."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict[str, User]:
        if not self.path.exists():
            return {}
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise AuthError(f"{self.path}: not valid YAML ({exc})") from exc
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict):
            raise AuthError(f"{self.path}: expected a mapping 'users:' of name -> account")
        out = {}
        for name, u in users.items():
            if not isinstance(u, dict):
                raise AuthError(f"{self.path}: users.{name}: expected a mapping (password, roles, tokens)")
            out[str(name)] = User(str(name), str(u.get("password") or ""), list(u.get("roles") or []),
                                  list(u.get("tokens") or []))
        return out

    def save(self, users: dict[str, User]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"users": {u.name: {"password": u.password, "roles": u.roles, "tokens": u.tokens}
                          for u in sorted(users.values(), key=lambda u: u.name)}}
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# accounts of the desk (kb users ...): argon2 password hashes, roles, API token digests\n")
            yaml.safe_dump(data, f, sort_keys=False)
        tmp.replace(self.path)

    def add(self, name: str, password: str, *, editor: bool = False) -> User:
        if not NAME_RE.match(name):
            raise AuthError(f"user name {name!r}: letters, digits, '.', '_' or '-', at most 64")
        if len(password) < 8:
            raise AuthError("the password must have at least 8 characters")
        users = self.load()
        if name in users:
            raise AuthError(f"user {name!r} exists (kb users remove {name} first, or kb users password {name})")
        users[name] = User(name, _hasher().hash(password), ["editor"] if editor else [])
        self.save(users)
        return users[name]

    def set_password(self, name: str, password: str) -> None:
        if len(password) < 8:
            raise AuthError("the password must have at least 8 characters")
        users = self.load()
        if name not in users:
            raise AuthError(f"no user {name!r} in {self.path}")
        users[name].password = _hasher().hash(password)
        self.save(users)

    def remove(self, name: str) -> None:
        users = self.load()
        if users.pop(name, None) is None:
            raise AuthError(f"no user {name!r} in {self.path}")
        self.save(users)

    def new_token(self, name: str) -> str:
        """A new API token for ``name`` (shown once; only its digest is kept)."""
        users = self.load()
        if name not in users:
            raise AuthError(f"no user {name!r} in {self.path}")
        token = "kb_" + secrets.token_urlsafe(32)
        users[name].tokens.append(token_digest(token))
        self.save(users)
        return token

    def check_password(self, name: str, password: str) -> User | None:
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

        user = self.load().get(name)
        if user is None or not user.password:
            _hasher().hash(password)  # the same work either way: no timing hint that a name exists
            return None
        try:
            _hasher().verify(user.password, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return user

    def by_token(self, token: str) -> User | None:
        digest = token_digest(token)
        for user in self.load().values():
            if any(secrets.compare_digest(digest, t) for t in user.tokens):
                return user
        return None


class Sessions:
    """Sessions, one-time CSRF tokens and failed logins, in SQLite (shared by worker processes)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(
                "CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, user TEXT NOT NULL, expires REAL NOT NULL);"
                "CREATE TABLE IF NOT EXISTS csrf (token TEXT PRIMARY KEY, sid TEXT NOT NULL, expires REAL NOT NULL);"
                "CREATE TABLE IF NOT EXISTS failures (who TEXT NOT NULL, at REAL NOT NULL);"
                "CREATE INDEX IF NOT EXISTS failures_who ON failures (who);")

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            yield db
        finally:
            db.close()

    def create(self, user: str) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (sid, user, now + SESSION_SECONDS))
        return sid

    def user(self, sid: str) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT user FROM sessions WHERE sid = ? AND expires > ?", (sid, time.time())).fetchone()
        return str(row[0]) if row else None

    def end(self, sid: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE sid = ?", (sid,))
            db.execute("DELETE FROM csrf WHERE sid = ?", (sid,))

    def csrf_token(self, sid: str) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._db() as db:
            db.execute("DELETE FROM csrf WHERE expires < ?", (now,))
            db.execute("INSERT INTO csrf VALUES (?, ?, ?)", (token, sid, now + CSRF_SECONDS))
        return token

    def use_csrf(self, sid: str, token: str) -> bool:
        """Whether ``token`` was issued to this session and not used before; it is used up."""
        with self._db() as db:
            cur = db.execute("DELETE FROM csrf WHERE token = ? AND sid = ? AND expires > ?", (token, sid, time.time()))
            return cur.rowcount == 1

    def throttled(self, *who: str) -> bool:
        since = time.time() - FAILURE_WINDOW
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE at < ?", (since,))
            return any(db.execute("SELECT count(*) FROM failures WHERE who = ? AND at >= ?", (w, since)).fetchone()[0]
                       >= MAX_FAILURES for w in who)

    def failed(self, *who: str) -> None:
        with self._db() as db:
            db.executemany("INSERT INTO failures VALUES (?, ?)", [(w, time.time()) for w in who])


def secret_key(home: Path) -> str:
    """The key session cookies are signed with: made once, kept in KB_HOME (0600), shared by workers."""
    path = home / "desk-secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(key)
        return key


class Auth:
    """The desk's accounts and sessions: what the routes ask about the person behind a request."""

    def __init__(self, home: Path, users: Path | None = None, *, private: bool = False, editing: bool = True):
        from itsdangerous import URLSafeTimedSerializer

        self.users = Users(users or users_file(home))
        self.sessions = Sessions(self.users.path.with_name(self.users.path.stem + "-sessions.sqlite"))
        self.signer = URLSafeTimedSerializer(secret_key(home), salt="kb-session")
        self.private = private
        self.editing = editing

    def sign(self, sid: str) -> str:
        return str(self.signer.dumps(sid))

    def unsign(self, cookie: str) -> str | None:
        from itsdangerous import BadSignature

        try:
            return str(self.signer.loads(cookie, max_age=SESSION_SECONDS))
        except BadSignature:
            return None

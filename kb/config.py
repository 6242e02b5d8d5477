"""Settings from arguments and the environment, in one place.

``KB_URI`` picks the engine (no URI: the embedded FalkorDB), ``KB_HOME`` the
embedded data directory, ``KB_GRAPH`` the FalkorDB graph name, ``KB_DATABASE``
the Neo4j database, ``KB_USER``/``KB_PASSWORD`` (or ``NEO4J_USERNAME``/
``NEO4J_PASSWORD``) the Neo4j credentials.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
FALKOR_SCHEMES = ("falkordb", "falkor", "redis", "falkordb+unix")


def kb_home() -> Path:
    env = os.environ.get("KB_HOME")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir("rare-earth-kb", appauthor=False))


@dataclass(frozen=True)
class Settings:
    uri: str | None
    home: Path
    graph: str
    database: str | None
    user: str | None
    password: str | None

    @classmethod
    def from_env(
        cls,
        uri: str | None = None,
        *,
        home: str | Path | None = None,
        graph: str | None = None,
        database: str | None = None,
        user: str | None = None,
        password: str | None = None,
    ) -> Settings:
        env = os.environ
        return cls(
            uri=uri or env.get("KB_URI") or None,
            home=Path(home).expanduser().resolve() if home else kb_home(),
            graph=graph or env.get("KB_GRAPH") or "kb",
            database=database or env.get("KB_DATABASE") or None,
            user=user or env.get("KB_USER") or env.get("NEO4J_USERNAME") or None,
            password=password or env.get("KB_PASSWORD") or env.get("NEO4J_PASSWORD") or None,
        )

    @property
    def scheme(self) -> str:
        if not self.uri:
            return "embedded"
        return self.uri.split("://", 1)[0].lower() if "://" in self.uri else ""

    def describe(self) -> str:
        """Where these settings point, with any password masked."""
        if not self.uri:
            return f"embedded FalkorDB in {self.home}"
        return mask(self.uri)


def mask(text: str) -> str:
    """Hide a password inside a URI (``bolt://user:secret@host`` -> ``bolt://user:***@host``),
    also with no user name (``redis://:secret@host``) or an ``@`` inside the password."""
    return re.sub(r"(://[^:/@\s]*:)\S*@", r"\1***@", text)

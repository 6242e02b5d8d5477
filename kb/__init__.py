"""Rare Earth KB: a sourced graph knowledge base about rare-earth elements
and their geopolitics, on an embedded FalkorDB or on Neo4j 5.

    import kb
    with kb.connect() as k:          # embedded engine; kb.connect("bolt://...") for Neo4j
        k.load()                      # the bundled, sourced data
        k.queries.top_producers(year=2011)

Names are imported lazily so a fresh process starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from kb.core import KB, connect
    from kb.errors import BackendError, DataError, KBError, QueryError

__all__ = ["KB", "BackendError", "DataError", "KBError", "QueryError", "connect", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("KB", "connect"):
        from kb import core

        return getattr(core, name)
    if name in ("KBError", "DataError", "BackendError", "QueryError"):
        from kb import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'kb' has no attribute {name!r}")

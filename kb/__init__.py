"""Rare Earth KB: a sourced graph knowledge base about rare-earth elements
and their geopolitics, on an embedded FalkorDB or on Neo4j 5.

    import kb
    with kb.connect() as k:          # embedded engine; kb.connect("bolt://...") for Neo4j
        k.load()                      # the bundled, sourced data
        k.queries.top_producers(year=2011)   # typed rows; there is no hidden global connection

Names are imported lazily so a fresh process starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:
    from importlib.metadata import version as _version

    __version__ = _version("rare-earth-kb")  # one version number: pyproject.toml's
except Exception:  # noqa: BLE001  (running from a folder that was never installed)
    __version__ = "0+unknown"

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
    if name in ("queries", "schema", "rows", "errors"):
        import importlib

        return importlib.import_module(f"kb.{name}")
    raise AttributeError(f"module 'kb' has no attribute {name!r}")

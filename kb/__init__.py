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


#: the public names, each from the module that defines it (imported on first use: a fresh
#: process starts fast, and the package root imports nothing of its own at start-up)
_LAZY = {"KB": "kb.core", "connect": "kb.core", "KBError": "kb.errors", "DataError": "kb.errors",
         "BackendError": "kb.errors", "QueryError": "kb.errors"}
_SUBMODULES = ("queries", "schema", "rows", "errors")


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"kb.{name}")
    raise AttributeError(f"module 'kb' has no attribute {name!r}")

"""Loaders: data files (YAML/CSV) -> validated records -> graph rows -> the graph.

Installed as ``kb.loaders``. The flow is one way: `read` parses files keeping
file and line, `build` validates everything and makes node and relationship
rows, `write` merges the rows into a backend in batches.
"""

from .build import GraphRows, build
from .read import read_all
from .write import LoadReport, load_paths

__all__ = ["GraphRows", "LoadReport", "build", "load_paths", "read_all"]

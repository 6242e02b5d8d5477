"""Loaders: data files (YAML/CSV) -> validated records -> graph rows -> the graph.

Installed as ``kb.loaders``. The flow is one way: `read` parses files keeping
file and line, `build` validates everything and makes node and relationship
rows, `write` merges the rows into a backend in batches.
"""

if __name__ != "kb.loaders":  # one import name only: the repository root is not a package folder
    raise ImportError(f"the folder loaders/ is the package kb.loaders; import it as kb.loaders, not {__name__}")

from .build import GraphRows, build
from .read import read_all
from .write import LoadReport, load_paths

__all__ = ["GraphRows", "LoadReport", "build", "load_paths", "read_all"]

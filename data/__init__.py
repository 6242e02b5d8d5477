"""The bundled data: one topic per YAML/CSV file, every record citing its sources.

Installed as ``kb.data``. Format and fields: docs/schema.md.
"""

if __name__ != "kb.data":  # one import name only: the repository root is not a package folder
    raise ImportError(f"the folder data/ is the package kb.data; import it as kb.data, not {__name__}")

"""The bundled data: one topic per YAML/CSV file, every record citing its sources.

Installed as ``kb.data``. Format and fields: docs/schema.md.
"""

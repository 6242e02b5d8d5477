"""The canned questions: one ``.cypher`` file each, with a header that names,
describes and types it. Installed as ``kb.cypher``; read by `kb.queries`."""

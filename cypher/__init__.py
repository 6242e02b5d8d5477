"""The canned questions: one ``.cypher`` file each, with a header that names,
describes and types it. Installed as ``kb.cypher``; read by `kb.queries`."""

if __name__ != "kb.cypher":  # one import name only: the repository root is not a package folder
    raise ImportError(f"the folder cypher/ is the package kb.cypher; import it as kb.cypher, not {__name__}")
